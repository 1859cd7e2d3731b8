//! Builds the request-code table from the manifest, as RocketMQ's
//! `registerProcessor` does, loading one library per entry.

use std::sync::Arc;
use std::time::Duration;

use super::{HostServices, LoadedPlugin, Manifest, PluginLoadError, ProcessorEntry};
use crate::dispatch::pool::ProcessorInfo;
use crate::dispatch::{DispatchTable, HoldService, ProcessorPool};

/// One manifest entry that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// Loading or constructing failed.
    #[error(transparent)]
    Load(#[from] PluginLoadError),
    /// Its codes clash with an earlier entry.
    #[error(transparent)]
    Duplicate(#[from] crate::dispatch::table::DuplicateCode),
    /// Its threads could not be started.
    #[error("cannot start worker threads for {name}: {source}")]
    Threads {
        /// Processor label.
        name: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// Loads every entry; entries that fail are reported and left out (their
/// codes answer REQUEST_CODE_NOT_SUPPORTED) so one bad plugin does not stop
/// the broker.
pub fn build_table(
    manifest: &Manifest,
    services: &HostServices,
    hold: &Arc<HoldService>,
) -> (DispatchTable, Vec<(String, EntryError)>) {
    let mut table = DispatchTable::default();
    let mut failures = Vec::new();
    for entry in &manifest.processors {
        match start_entry(manifest, entry, services, hold)
            .and_then(|pool| table.add(pool).map_err(EntryError::from))
        {
            Ok(()) => {}
            Err(error) => failures.push((entry.label().to_owned(), error)),
        }
    }
    (table, failures)
}

fn start_entry(
    manifest: &Manifest,
    entry: &ProcessorEntry,
    services: &HostServices,
    hold: &Arc<HoldService>,
) -> Result<Arc<ProcessorPool>, EntryError> {
    let path = manifest.library_path(entry);
    let plugin = LoadedPlugin::open(&path)?;
    let codes = plugin.serve_codes(entry.codes.as_deref())?;
    let processor = plugin.new_processor(services.context(), &entry.settings_json())?;
    let name = entry.name.clone().unwrap_or_else(|| plugin.name.clone());
    let info = ProcessorInfo {
        name: name.clone(),
        version: plugin.version.clone(),
        library: path,
        codes,
        threads: entry.threads,
        queue_capacity: entry.queue_capacity,
        max_queue_wait: Duration::from_millis(entry.max_queue_wait_millis),
        fast_port: entry.fast_port,
    };
    tracing::info!(
        plugin = %info.name,
        version = %info.version,
        library = %info.library.display(),
        codes = ?info.codes,
        threads = info.threads,
        queue_capacity = info.queue_capacity,
        "processor registered"
    );
    ProcessorPool::start(info, processor, hold.clone())
        .map_err(|source| EntryError::Threads { name, source })
}
