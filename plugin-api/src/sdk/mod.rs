//! What a plugin author writes against: plain Rust, no ABI types.
//!
//! A plugin is one type that implements [`Plugin`] (how to build it, which
//! codes it serves, its settings) and [`Processor`] (what it does with a
//! request), exported with [`crate::export_plugin!`]. The macro writes the
//! library's root module and wraps every entry point in a panic guard, so a
//! panicking processor becomes a SYSTEM_ERROR response instead of aborting
//! the broker. The processor reaches the broker through [`Host`], whose
//! capabilities ([`MessageStore`], [`ConsumerOffsets`], [`TopicsAndGroups`],
//! [`ClientsAndLocks`], [`BrokerConfig`]) are plain-Rust traits; the
//! [`testing`] kit implements them in memory so a processor is unit-tested
//! without a broker.
//!
//! ```
//! use plugin_api::sdk::{
//!     Deserialize, Host, Outcome, Plugin, ProcessError, Processor, Request, Response,
//!     StartError,
//! };
//!
//! pub struct Echo {
//!     host: Host,
//!     prefix: String,
//! }
//!
//! /// `[processor.settings]` of the manifest entry; unknown keys are refused at load.
//! #[derive(Deserialize)]
//! pub struct EchoSettings {
//!     #[serde(default)]
//!     prefix: String,
//! }
//!
//! impl Plugin for Echo {
//!     const NAME: &'static str = "echo";
//!     const VERSION: &'static str = plugin_api::plugin_version!();
//!     const REQUEST_CODES: &'static [i32] = &[9000];
//!     type Settings = EchoSettings;
//!
//!     fn new(host: Host, settings: EchoSettings) -> Result<Self, StartError> {
//!         Ok(Echo { host, prefix: settings.prefix })
//!     }
//! }
//!
//! impl Processor for Echo {
//!     fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
//!         let text: String = request.required("text")?;
//!         self.host.info(&format!("echo {text}"));
//!         Ok(Response::success().with_body(format!("{}{text}", self.prefix)).into())
//!     }
//! }
//!
//! // In the plugin crate (a cdylib): plugin_api::export_plugin!(Echo);
//!
//! // A unit test, without a broker:
//! use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
//! let fake = FakeHost::new();
//! let echo = fake.start::<Echo>(r#"{"prefix":"> "}"#).expect("starts");
//! let outcome = RequestBuilder::new(9000).field("text", "hi").run(&echo);
//! assert_eq!(outcome.response().map(|r| r.body.as_slice()), Some(&b"> hi"[..]));
//! assert_eq!(fake.log_lines(), vec!["INFO echo: echo hi".to_owned()]);
//! ```

mod capabilities;
mod fields;
#[doc(hidden)]
pub mod glue;
mod host;
mod request;
mod response;
mod response_code;
mod send_header;
mod settings;
pub mod testing;

pub use capabilities::*;
pub use fields::FieldValue;
pub use host::Host;
pub use request::{optional, required, required_text, Request};
pub use response::{Hold, HoldKey, Outcome, ProcessError, Response};
pub use response_code::ResponseCode;
pub use send_header::SendMessageHeader;
pub use settings::{parse_settings, NoSettings, SettingsError};

/// serde, for settings types and JSON bodies (`#[derive(Deserialize)]`).
pub use serde::{self, Deserialize, Serialize};
/// JSON bodies in and out.
pub use serde_json;

/// The plain-Rust modules a processor uses, re-exported so that a plugin
/// imports only `plugin_api::sdk`.
pub use crate::{codec, codes, fastjson, filter, message, topics};

/// Why a plugin refused to start; the broker refuses the load with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The manifest's settings table does not fit the plugin's settings type.
    #[error("invalid settings: {0}")]
    Settings(#[from] SettingsError),
    /// The broker lacks something the plugin needs.
    #[error(transparent)]
    Host(#[from] HostError),
    /// Any other reason, in the plugin's words.
    #[error("{0}")]
    Refused(String),
}

impl From<String> for StartError {
    fn from(reason: String) -> Self {
        StartError::Refused(reason)
    }
}

impl From<&str> for StartError {
    fn from(reason: &str) -> Self {
        StartError::Refused(reason.to_owned())
    }
}

/// How a plugin is built and what it serves.
pub trait Plugin: Processor + Sized {
    /// Plugin name, shown in logs and listings.
    const NAME: &'static str;
    /// Plugin version, shown in logs and listings (usually
    /// [`plugin_version!()`](crate::plugin_version!): the crate version, or
    /// `BROKER_PLUGIN_VERSION` when set at build time).
    const VERSION: &'static str;
    /// Request codes this plugin serves; the manifest may narrow them.
    const REQUEST_CODES: &'static [i32];

    /// The manifest entry's `[processor.settings]` table, typed. Unknown
    /// keys and wrong types refuse the load with the key named; use
    /// [`NoSettings`] when the plugin takes none.
    type Settings: serde::de::DeserializeOwned;

    /// Builds the processor. An `Err` refuses the load with its text; a panic
    /// is caught and refuses the load too.
    fn new(host: Host, settings: Self::Settings) -> Result<Self, StartError>;
}

/// Handles requests. Called synchronously on host-owned threads, possibly
/// from several threads at once.
pub trait Processor: Send + Sync + 'static {
    /// Handles one request.
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError>;

    /// Called once when the host retires this processor.
    fn shutdown(&self) {}

    /// A client connection closed (ABI 1.1). Processors that keep state per
    /// connection forget it here.
    fn connection_closed(&self, _connection_id: u64) {}
}

/// Exports a type implementing [`Plugin`] as this library's plugin. The
/// plugin crate must be a `cdylib`; it needs no other dependency than
/// `plugin-api`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The library header the broker looks up (abi_stable's
        /// `export_root_module`, written out so that the plugin crate need
        /// not depend on abi_stable itself).
        #[no_mangle]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::abi_stable::library::LibHeader = {
            extern "C" fn erased_root_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(
                    $crate::sdk::glue::root_module::<$plugin>,
                )
            }
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<
                    $crate::ffi::PluginModuleRef,
                >(
                    erased_root_module,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

/// The version a plugin reports: `BROKER_PLUGIN_VERSION` if that variable was
/// set when the plugin was compiled, else the plugin crate's own
/// `CARGO_PKG_VERSION`. A constant expression:
///
/// ```
/// const VERSION: &'static str = plugin_api::plugin_version!();
/// # assert!(!VERSION.is_empty());
/// ```
///
/// Building the same source twice with different values gives two libraries
/// that report different versions (`BROKER_PLUGIN_VERSION=0.1.0-b cargo build
/// -p send-plugin --target-dir target/send-b`), which is how a hot swap
/// between two builds is shown in the listing.
#[macro_export]
macro_rules! plugin_version {
    () => {
        match ::core::option_env!("BROKER_PLUGIN_VERSION") {
            ::core::option::Option::Some(version) => version,
            ::core::option::Option::None => ::core::env!("CARGO_PKG_VERSION"),
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_exported_header_has_the_name_abi_stable_looks_up() {
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }
}
