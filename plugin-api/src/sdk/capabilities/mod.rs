//! What the host can do for a processor, as plain-Rust traits grouped by
//! concern. A plugin reaches them through [`super::Host`]; the host
//! implements them (over its store, metadata and client registry), and so
//! does the in-memory [`super::testing::FakeHost`].
//!
//! Every capability of ABI 1.0 is always present. A capability added in a
//! later minor version is reached through a fallible accessor on
//! [`super::Host`] that answers [`HostError::MissingCapability`] when the
//! broker is older than the plugin (see `docs/WRITING_PLUGINS.md`).

mod clients;
mod config;
mod offsets;
mod operations;
mod store;
mod topics;

pub use clients::*;
pub use config::*;
pub use offsets::*;
pub use operations::*;
pub use store::*;
pub use topics::*;

/// A host call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The host refused the call; the text says why (used as a remark).
    #[error("{0}")]
    Refused(String),
    /// The broker this plugin runs in is older than the capability.
    #[error(
        "this broker (plugin ABI {host_abi}) lacks the host capability `{capability}`, \
         added in plugin ABI {since}; run the plugin on a newer broker"
    )]
    MissingCapability {
        /// The capability's name.
        capability: &'static str,
        /// The ABI version that added it.
        since: &'static str,
        /// The host's ABI version.
        host_abi: String,
    },
}

/// Severity of a plugin log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Very verbose diagnostics.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the plugin handled.
    Warn,
    /// A failure.
    Error,
}

/// Writing into the broker's log.
pub trait Log: Send + Sync {
    /// Writes one line at `level`, attributed to `plugin`.
    fn log(&self, level: LogLevel, plugin: &str, message: &str);
}

/// Sending requests to client connections (added in plugin ABI 1.1): what
/// Java's broker does with `invokeOneway` on a client channel
/// (CHECK_TRANSACTION_STATE, RESET_CONSUMER_CLIENT_OFFSET, ...).
pub trait ClientCalls: Send + Sync {
    /// Sends `request` oneway to the connection with this host-wide id (the
    /// broker picks the opaque). `Err` when the connection is gone or its
    /// outbound queue is full.
    fn send_oneway(&self, connection_id: u64, request: &ClientRequest) -> Result<(), HostError>;
}

/// A request the broker sends to a client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientRequest {
    /// Request code.
    pub code: i32,
    /// Optional remark.
    pub remark: Option<String>,
    /// Header fields, in order.
    pub ext_fields: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Everything the host provides: what a [`super::Host`] is built over.
pub trait HostServices:
    MessageStore + ConsumerOffsets + TopicsAndGroups + ClientsAndLocks + BrokerConfig + Log
{
    /// The plugin ABI version the host implements (`major.minor.patch`).
    fn abi_version(&self) -> String;

    /// [`ClientCalls`], when the host has it (ABI 1.1 and later).
    fn client_calls(&self) -> Option<&dyn ClientCalls>;

    // ABI 1.2: broker stats
    /// [`Operations`], when the host has it (ABI 1.2 and later).
    fn operations(&self) -> Option<&dyn Operations> {
        None
    }
}

/// Capabilities added after ABI 1.0: name and the ABI minor that added it.
/// [`super::Host`]'s accessor for one answers
/// [`HostError::MissingCapability`] on an older host.
pub const CAPABILITIES_SINCE: &[(&str, u32)] = &[("client_calls", 1), ("operations", 2)];

/// The minor number of an ABI version text (`1.1.0` → 1); 0 when unreadable.
pub fn abi_minor(version: &str) -> u32 {
    version
        .split('.')
        .nth(1)
        .and_then(|minor| minor.parse().ok())
        .unwrap_or(0)
}
