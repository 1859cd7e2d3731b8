//! Plugins: the manifest that lists them, loading a library through the
//! stable ABI, the host services a plugin reaches through its context, and
//! building the request-code table from all of that.

pub mod host_context;
pub mod loader;
pub mod management;
pub mod manifest;
pub mod registry;

pub use host_context::HostServices;
pub use loader::{LoadedPlugin, PluginLoadError};
pub use manifest::{Manifest, ManifestError, ProcessorEntry};
pub use registry::{EntryError, PluginRegistry, ProcessorStatus, ReloadReport};
