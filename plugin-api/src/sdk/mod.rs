//! What a plugin author writes against: ordinary Rust types over the stable
//! ABI of [`crate::ffi`].
//!
//! A plugin is one type that implements [`Plugin`] (how to build it, which
//! codes it serves) and [`Processor`] (what it does with a request), exported
//! with [`crate::export_plugin!`]. The macro writes the root module and wraps
//! every entry point in a panic guard, so a panicking processor becomes a
//! SYSTEM_ERROR response instead of aborting the broker.
//!
//! ```ignore
//! use plugin_api::sdk::{Host, Outcome, Plugin, ProcessError, Processor, Request, Response};
//!
//! pub struct Echo { host: Host }
//!
//! impl Plugin for Echo {
//!     const NAME: &'static str = "echo";
//!     const VERSION: &'static str = plugin_api::plugin_version!();
//!     const REQUEST_CODES: &'static [i32] = &[9000];
//!     fn new(host: Host, _settings: &serde_json::Value) -> Result<Self, String> { Ok(Echo { host }) }
//! }
//!
//! impl Processor for Echo {
//!     fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
//!         let text: String = request.required("text")?;
//!         self.host.info(&format!("echo {text}"));
//!         Ok(Response::success().with_body(text.into_bytes()).into())
//!     }
//! }
//!
//! plugin_api::export_plugin!(Echo);
//! ```

mod fields;
#[doc(hidden)]
pub mod glue;
mod host;
mod request;
mod response;

pub use fields::FieldValue;
pub use host::Host;
pub use request::{optional, required, required_text, Request};
pub use response::{Hold, Outcome, ProcessError, Response};

pub use crate::ffi::FfiTopicConfig as TopicConfig;
pub use crate::ffi::{FfiBrokerIdentity as BrokerIdentity, FfiLogLevel as LogLevel};

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

    /// Builds the processor. `settings` is the manifest entry's `settings`
    /// table (an empty object when absent). An `Err` refuses the load with
    /// that text; a panic is caught and refuses the load too.
    fn new(host: Host, settings: &serde_json::Value) -> Result<Self, String>;
}

/// Handles requests. Called synchronously on host-owned threads, possibly
/// from several threads at once.
pub trait Processor: Send + Sync + 'static {
    /// Handles one request.
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError>;

    /// Called once when the host retires this processor.
    fn shutdown(&self) {}
}

/// Exports a type implementing [`Plugin`] as this library's plugin.
///
/// The plugin crate must be a `cdylib` and depend on `abi_stable` (the
/// root-module attribute expands to paths in that crate).
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The root module the broker loads.
        #[::abi_stable::export_root_module]
        pub fn __rocketmq_broker_plugin_root() -> $crate::ffi::PluginModuleRef {
            $crate::sdk::glue::root_module::<$plugin>()
        }
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
