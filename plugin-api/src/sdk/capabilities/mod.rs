//! What the host can do for a processor, as plain-Rust traits grouped by
//! concern. A plugin reaches them through [`super::Host`]; the host
//! implements them (over its store, metadata and client registry), and so
//! does the in-memory [`super::testing::FakeHost`].
//!
//! Every capability of ABI 1.0 is always present. A capability added in a
//! later minor version is reached through a fallible accessor on
//! [`super::Host`] that answers [`HostError::MissingCapability`] when the
//! broker is older than the plugin (see `docs/WRITING_PLUGINS.md`).

mod admin;
mod clients;
mod config;
mod offsets;
mod operations;
mod store;
mod topics;

pub use admin::*;
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
    /// A client did not answer a [`ClientCalls::invoke`] in time (ABI 1.2;
    /// Java's `RemotingTimeoutException`); the text says which call.
    #[error("{0}")]
    Timeout(String),
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
/// (CHECK_TRANSACTION_STATE, RESET_CONSUMER_CLIENT_OFFSET, ...), and (ABI
/// 1.2) with `invokeSync` (`Broker2Client.callClient`:
/// PUSH_REPLY_MESSAGE_TO_CLIENT, GET_CONSUMER_RUNNING_INFO, ...).
pub trait ClientCalls: Send + Sync {
    /// Sends `request` oneway to the connection with this host-wide id (the
    /// broker picks the opaque). `Err` when the connection is gone or its
    /// outbound queue is full.
    fn send_oneway(&self, connection_id: u64, request: &ClientRequest) -> Result<(), HostError>;

    // ABI 1.2: client invoke

    /// Sends `request` to the connection with this host-wide id (the broker
    /// picks the opaque) and blocks until the client's response with that
    /// opaque arrives: Java's `invokeSync`. For pool threads only (a
    /// processor's `process`), never for an `inline_codes` code.
    ///
    /// [`HostError::Timeout`] when no answer came within `timeout_millis`;
    /// [`HostError::Refused`] when the connection is gone, closes before it
    /// answers, or cannot take the request;
    /// [`HostError::MissingCapability`] on a broker older than ABI 1.2.
    fn invoke(
        &self,
        connection_id: u64,
        request: &ClientRequest,
        timeout_millis: u64,
    ) -> Result<ClientResponse, HostError>;

    /// The connection id of a live producer or consumer channel of the
    /// client `client_id` (Java's `ProducerManager.findChannel(clientId)`,
    /// then the consumer groups' channels), `None` if it has none.
    /// [`HostError::MissingCapability`] on a broker older than ABI 1.2.
    fn find_client_connection(&self, client_id: &str) -> Result<Option<u64>, HostError>;
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

/// A client's answer to a [`ClientCalls::invoke`] (ABI 1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientResponse {
    /// Response code (`ResponseCode`'s numbers; 0 = SUCCESS).
    pub code: i32,
    /// The remark, if any.
    pub remark: Option<String>,
    /// Header fields, in wire order.
    pub ext_fields: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl ClientResponse {
    /// A header field's value.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.ext_fields
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// Everything the host provides: what a [`super::Host`] is built over.
pub trait HostServices:
    MessageStore + ConsumerOffsets + TopicsAndGroups + ClientsAndLocks + BrokerConfig + Log
{
    /// The plugin ABI version the host implements (`major.minor.patch`).
    fn abi_version(&self) -> String;

    /// [`ClientCalls`], when the host has it (ABI 1.1 and later).
    fn client_calls(&self) -> Option<&dyn ClientCalls>;

    // ABI 1.2: broker config update
    /// [`BrokerAdmin`], when the host has it (ABI 1.2 and later).
    fn broker_admin(&self) -> Option<&dyn BrokerAdmin>;
    // ABI 1.2: broker stats
    /// [`Operations`], when the host has it (ABI 1.2 and later).
    fn operations(&self) -> Option<&dyn Operations> {
        None
    }
}

/// Capabilities added after ABI 1.0: name and the ABI minor that added it.
/// [`super::Host`]'s accessor for one answers
/// [`HostError::MissingCapability`] on an older host.
pub const CAPABILITIES_SINCE: &[(&str, u32)] = &[
    ("client_calls", 1),
    ("client_invoke", 2),
    // ABI 1.2: broker config update
    ("broker_admin", 2),
    // ABI 1.2: broker stats
    ("operations", 2),
];

/// [`HostError::MissingCapability`] for `capability` (a name of
/// [`CAPABILITIES_SINCE`]) on a host of ABI `host_abi`.
pub fn missing_capability(capability: &'static str, host_abi: String) -> HostError {
    let since = match CAPABILITIES_SINCE
        .iter()
        .find(|(name, _)| *name == capability)
        .map(|(_, minor)| *minor)
    {
        Some(1) => "1.1.0",
        Some(2) => "1.2.0",
        _ => "a newer version",
    };
    HostError::MissingCapability {
        capability,
        since,
        host_abi,
    }
}

/// The minor number of an ABI version text (`1.1.0` → 1); 0 when unreadable.
pub fn abi_minor(version: &str) -> u32 {
    version
        .split('.')
        .nth(1)
        .and_then(|minor| minor.parse().ok())
        .unwrap_or(0)
}
