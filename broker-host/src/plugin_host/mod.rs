//! Hosting plugins: the manifest that lists them, loading a library through
//! the stable ABI, the registry that builds the request-code table from them
//! and swaps it, the dry run of a manifest (`plugins check`), and the
//! built-in management codes. What a plugin may call on the host is in
//! [`crate::capabilities`].

pub mod check;
pub mod loader;
pub mod management;
pub mod manifest;
pub mod registry;
mod stage;

pub use loader::{LoadedPlugin, PluginLoadError};
pub use manifest::{Manifest, ManifestError, ProcessorEntry};
pub use registry::{Counters, EntryError, PluginRegistry, ProcessorStatus, ReloadReport};
