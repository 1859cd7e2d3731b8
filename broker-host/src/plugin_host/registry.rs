//! The processors the broker runs, built from the manifest (RocketMQ's
//! `registerProcessor`, made data) and replaceable while the broker runs.
//!
//! Reload (SIGHUP or the admin request): re-read the manifest; for every new
//! or changed entry copy its library to a unique path (`dlopen` returns the
//! already-loaded image for a path it has seen, and abi_stable never unloads),
//! check ABI and version, construct the processor, start its pool — and only
//! then install a whole new request-code table atomically. An entry that
//! fails keeps its running processor; requests already queued finish on the
//! old pool; removed entries stop receiving requests. The previous version of
//! each entry is kept for rollback.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::ffi::ProcessorBox;

use super::{LoadedPlugin, Manifest, ManifestError, PluginLoadError, ProcessorEntry};
use crate::capabilities::BrokerServices;
use crate::dispatch::pool::ProcessorInfo;
use crate::dispatch::table::DuplicateCode;
use crate::dispatch::{DispatchTable, Dispatcher, ProcessorPool};

/// One manifest entry that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// Loading or constructing failed.
    #[error(transparent)]
    Load(#[from] PluginLoadError),
    /// Its codes clash with another entry.
    #[error(transparent)]
    Duplicate(#[from] DuplicateCode),
    /// The library could not be read or copied.
    #[error("cannot copy plugin library {path}: {source}")]
    Copy {
        /// Library path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// `inline_codes` or `main_port_only_codes` names a code the entry does
    /// not serve.
    #[error("processor {name}: {kind} code {code} is not one of the codes it serves {codes:?}")]
    StrayCode {
        /// Processor label.
        name: String,
        /// Which list: "inline" or "main-port-only".
        kind: &'static str,
        /// The stray code.
        code: i32,
        /// The codes it serves.
        codes: Vec<i32>,
    },
    /// Its threads could not be started.
    #[error("cannot start worker threads for {name}: {source}")]
    Threads {
        /// Processor label.
        name: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// What a reload or rollback did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// One line per change: label, codes, old version → new version.
    pub changes: Vec<String>,
    /// Entries left as they were, with the reason.
    pub failures: Vec<(String, String)>,
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.changes.is_empty() && self.failures.is_empty() {
            return write!(f, "no changes");
        }
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        for (label, reason) in &self.failures {
            writeln!(f, "FAILED {label}: {reason}")?;
        }
        Ok(())
    }
}

/// What the host reports about a processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorStatus {
    /// Static facts.
    pub info: ProcessorInfo,
    /// Requests waiting.
    pub queue_depth: usize,
    /// Requests run.
    pub served: u64,
    /// Non-zero responses.
    pub errors: u64,
    /// Panics caught.
    pub panics: u64,
    /// SYSTEM_BUSY refusals.
    pub busy: u64,
    /// Requests run on the network thread (`inline_codes`).
    pub inline: u64,
    /// Version kept for rollback, if any.
    pub previous_version: Option<String>,
    /// Times a reload or rollback replaced the running version of this name.
    pub reloads: u64,
}

/// A loaded version of one entry.
#[derive(Clone)]
struct Version {
    entry: ProcessorEntry,
    library_hash: u32,
    plugin: LoadedPlugin,
}

struct Active {
    current: Version,
    pool: Arc<ProcessorPool>,
    previous: Option<Version>,
}

/// The running processors and how to change them.
pub struct PluginRegistry {
    manifest_path: PathBuf,
    copies_dir: PathBuf,
    services: BrokerServices,
    dispatcher: Arc<Dispatcher>,
    builtins: Mutex<Vec<Arc<ProcessorPool>>>,
    /// Label → running version. The lock also serializes reloads.
    active: Mutex<Vec<(String, Active)>>,
    copy_sequence: AtomicU64,
    /// Label → replacements over the broker's life (kept across removals).
    reloads: Mutex<HashMap<String, u64>>,
}

impl PluginRegistry {
    /// An empty registry; `copies_dir` receives the per-load library copies
    /// (emptied now: copies of an earlier run are never in use).
    pub fn new(
        manifest_path: PathBuf,
        copies_dir: PathBuf,
        services: BrokerServices,
        dispatcher: Arc<Dispatcher>,
    ) -> PluginRegistry {
        let _ = std::fs::remove_dir_all(&copies_dir);
        PluginRegistry {
            manifest_path,
            copies_dir,
            services,
            dispatcher,
            builtins: Mutex::new(Vec::new()),
            active: Mutex::new(Vec::new()),
            copy_sequence: AtomicU64::new(0),
            reloads: Mutex::new(HashMap::new()),
        }
    }

    /// The manifest this registry reads.
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }

    /// Adds host-built processors (served alongside the manifest's).
    pub fn set_builtins(&self, pools: Vec<Arc<ProcessorPool>>) {
        *self.builtins.lock() = pools;
        self.install(&self.active.lock());
    }

    /// Reads the manifest and applies it: new and changed entries are loaded,
    /// removed ones dropped, failures leave what runs in place.
    pub fn reload(&self) -> Result<ReloadReport, ManifestError> {
        let manifest = Manifest::load(&self.manifest_path)?;
        let mut active = self.active.lock();
        let mut report = ReloadReport::default();
        // Candidates in manifest order.
        let mut running: Vec<(String, Active)> = Vec::new();
        let mut loaded: Vec<(String, Active, Option<Active>)> = Vec::new();
        let mut old: HashMap<String, Active> = active.drain(..).collect();

        for entry in &manifest.processors {
            let label = entry.label().to_owned();
            let path = manifest.library_path(entry);
            let previous = old.remove(&label);
            let outcome = self.load_version(&path, entry, previous.as_ref().map(|p| &p.current));
            match (outcome, previous) {
                (Ok(None), Some(unchanged)) => running.push((label, unchanged)),
                (Ok(None), None) => {}
                (Ok(Some((version, pool))), replaced) => {
                    let previous_version = replaced.as_ref().map(|p| p.current.clone());
                    let candidate = Active {
                        current: version,
                        pool,
                        previous: previous_version,
                    };
                    loaded.push((label, candidate, replaced));
                }
                (Err(error), previous) => {
                    report.failures.push((label.clone(), error.to_string()));
                    if let Some(previous) = previous {
                        running.push((label, previous));
                    }
                }
            }
        }

        // One code, one processor. What keeps running unchanged claims its
        // codes first; a new or changed entry that would take a claimed code
        // is refused and the version it replaced (if any) keeps running.
        let mut claimed: HashMap<i32, String> = HashMap::new();
        let mut table_entries: Vec<(String, Active)> = Vec::new();
        for (label, entry) in running {
            if let Err(clash) = claim(&mut claimed, &label, &entry) {
                report.failures.push((label.clone(), clash.to_string()));
                continue;
            }
            table_entries.push((label, entry));
        }
        for (label, entry, replaced) in loaded {
            match claim(&mut claimed, &label, &entry) {
                Ok(()) => {
                    report.changes.push(describe_change(
                        &label,
                        replaced.as_ref().map(|r| &r.current),
                        &entry.current,
                        &entry.pool,
                    ));
                    if replaced.is_some() {
                        *self.reloads.lock().entry(label.clone()).or_default() += 1;
                    }
                    table_entries.push((label, entry));
                }
                Err(clash) => {
                    report.failures.push((label.clone(), clash.to_string()));
                    if let Some(replaced) = replaced {
                        if claim(&mut claimed, &label, &replaced).is_ok() {
                            table_entries.push((label, replaced));
                        }
                    }
                }
            }
        }
        for (label, removed) in old {
            report.changes.push(format!(
                "{label}: removed (codes {:?} now answer REQUEST_CODE_NOT_SUPPORTED), was version {}",
                removed.pool.info().codes,
                removed.current.plugin.version
            ));
        }
        *active = table_entries;
        self.install(&active);
        for line in &report.changes {
            tracing::info!("processor change: {line}");
        }
        for (label, reason) in &report.failures {
            tracing::error!(plugin = %label, "processor not (re)loaded; the running one stays: {reason}");
        }
        Ok(report)
    }

    /// Puts the previous version of `label` back.
    pub fn rollback(&self, label: &str) -> Result<ReloadReport, String> {
        let mut active = self.active.lock();
        let Some(index) = active.iter().position(|(l, _)| l == label) else {
            return Err(format!("no processor named {label}"));
        };
        let Some(previous) = active[index].1.previous.clone() else {
            return Err(format!(
                "processor {label} has no previous version to roll back to"
            ));
        };
        let pool = self
            .start_pool(&previous)
            .map_err(|error| format!("rollback of {label} failed: {error}"))?;
        let current = active[index].1.current.clone();
        let change = describe_change(label, Some(&current), &previous, &pool);
        active[index].1 = Active {
            current: previous,
            pool,
            previous: Some(current),
        };
        self.install(&active);
        *self.reloads.lock().entry(label.to_owned()).or_default() += 1;
        tracing::info!("processor rollback: {change}");
        Ok(ReloadReport {
            changes: vec![change],
            failures: Vec::new(),
        })
    }

    /// Every running processor with its counters.
    pub fn list(&self) -> Vec<ProcessorStatus> {
        let active = self.active.lock();
        let builtins = self.builtins.lock();
        let reloads = self.reloads.lock();
        let manifest = active.iter().map(|(label, a)| {
            (
                &a.pool,
                a.previous.as_ref().map(|p| p.plugin.version.clone()),
                reloads.get(label).copied().unwrap_or(0),
            )
        });
        let builtin = builtins.iter().map(|pool| (pool, None, 0));
        manifest
            .chain(builtin)
            .map(|(pool, previous_version, reloads)| ProcessorStatus {
                info: pool.info().clone(),
                queue_depth: pool.queue_depth(),
                served: pool.stats().served(),
                errors: pool.stats().errors(),
                panics: pool.stats().panics(),
                busy: pool.stats().busy(),
                inline: pool.stats().inline(),
                previous_version,
                reloads,
            })
            .collect()
    }

    /// Builds and installs the table of what is active now.
    fn install(&self, active: &[(String, Active)]) {
        let mut table = DispatchTable::default();
        for (label, entry) in active {
            if let Err(error) = table.add(entry.pool.clone()) {
                tracing::error!(plugin = %label, %error, "processor left out of the table");
            }
        }
        for pool in self.builtins.lock().iter() {
            if let Err(error) = table.add(pool.clone()) {
                tracing::error!(plugin = %pool.info().name, %error, "built-in processor left out of the table");
            }
        }
        self.dispatcher.install(table);
    }

    /// Loads `entry` unless it is unchanged from `current` (then `None`).
    fn load_version(
        &self,
        path: &Path,
        entry: &ProcessorEntry,
        current: Option<&Version>,
    ) -> Result<Option<(Version, Arc<ProcessorPool>)>, EntryError> {
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                EntryError::Load(PluginLoadError::Missing {
                    path: path.to_owned(),
                })
            } else {
                EntryError::Copy {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let library_hash = crc32fast::hash(&bytes);
        if let Some(current) = current {
            if current.library_hash == library_hash && current.entry == *entry {
                return Ok(None);
            }
        }
        let plugin = match current {
            // Same library, other settings: construct again from the loaded image.
            Some(current) if current.library_hash == library_hash => current.plugin.clone(),
            _ => {
                let copy = self.copy_library(path, &bytes, library_hash)?;
                let mut plugin =
                    LoadedPlugin::open(&copy).map_err(|error| rename_path(error, path))?;
                plugin.path = path.to_owned();
                plugin
            }
        };
        let version = Version {
            entry: entry.clone(),
            library_hash,
            plugin,
        };
        let pool = self.start_pool(&version)?;
        Ok(Some((version, pool)))
    }

    fn start_pool(&self, version: &Version) -> Result<Arc<ProcessorPool>, EntryError> {
        let entry = &version.entry;
        let plugin = &version.plugin;
        let codes = plugin.serve_codes(entry.codes.as_deref())?;
        let name = entry.name.clone().unwrap_or_else(|| plugin.name.clone());
        for (kind, listed) in [
            ("inline", &entry.inline_codes),
            ("main-port-only", &entry.main_port_only_codes),
        ] {
            if let Some(&code) = listed.iter().find(|c| !codes.contains(c)) {
                return Err(EntryError::StrayCode {
                    name,
                    kind,
                    code,
                    codes,
                });
            }
        }
        let processor: ProcessorBox =
            plugin.new_processor(self.services.context(), &entry.settings_json())?;
        let info = ProcessorInfo {
            name: name.clone(),
            version: plugin.version.clone(),
            library: plugin.path.clone(),
            library_hash: format!("{:08x}", version.library_hash),
            codes,
            threads: entry.threads,
            queue_capacity: entry.queue_capacity,
            max_queue_wait: Duration::from_millis(entry.max_queue_wait_millis),
            fast_port: entry.fast_port,
            main_port_only_codes: entry.main_port_only_codes.clone(),
            inline_codes: entry.inline_codes.clone(),
        };
        ProcessorPool::start(
            info,
            processor,
            self.dispatcher.hold_service().clone(),
            self.services.parts().store.clone(),
        )
        .map_err(|source| EntryError::Threads { name, source })
    }

    /// Copies the library to a path `dlopen` has never seen.
    fn copy_library(&self, path: &Path, bytes: &[u8], hash: u32) -> Result<PathBuf, EntryError> {
        let copy_error = |source| EntryError::Copy {
            path: path.to_owned(),
            source,
        };
        std::fs::create_dir_all(&self.copies_dir).map_err(copy_error)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".to_owned());
        let sequence = self.copy_sequence.fetch_add(1, Ordering::Relaxed);
        let copy = self.copies_dir.join(format!(
            "{stem}-{hash:08x}-{}-{sequence}{}",
            std::process::id(),
            std::env::consts::DLL_SUFFIX
        ));
        std::fs::write(&copy, bytes).map_err(copy_error)?;
        Ok(copy)
    }
}

/// Claims `entry`'s codes for `label`, unless one is already claimed.
fn claim(
    claimed: &mut HashMap<i32, String>,
    label: &str,
    entry: &Active,
) -> Result<(), DuplicateCode> {
    let codes = &entry.pool.info().codes;
    if let Some((code, owner)) = codes
        .iter()
        .find_map(|code| claimed.get(code).map(|owner| (*code, owner.clone())))
    {
        return Err(DuplicateCode {
            code,
            first: owner,
            second: label.to_owned(),
        });
    }
    for &code in codes {
        claimed.insert(code, label.to_owned());
    }
    Ok(())
}

/// Errors name the manifest's library, not the private copy.
fn rename_path(error: PluginLoadError, original: &Path) -> PluginLoadError {
    match error {
        PluginLoadError::IncompatibleAbi {
            expected, found, ..
        } => PluginLoadError::IncompatibleAbi {
            path: original.to_owned(),
            expected,
            found,
        },
        PluginLoadError::IncompatibleLayout { detail, .. } => PluginLoadError::IncompatibleLayout {
            path: original.to_owned(),
            detail,
        },
        PluginLoadError::Open { detail, .. } => PluginLoadError::Open {
            path: original.to_owned(),
            detail,
        },
        other => other,
    }
}

fn describe_change(
    label: &str,
    old: Option<&Version>,
    new: &Version,
    pool: &ProcessorPool,
) -> String {
    let info = pool.info();
    match old {
        Some(old) => format!(
            "{label}: codes {:?}, version {} -> {} (library {} hash {:08x}, {} threads, queue {})",
            info.codes,
            old.plugin.version,
            new.plugin.version,
            info.library.display(),
            new.library_hash,
            info.threads,
            info.queue_capacity
        ),
        None => format!(
            "{label}: codes {:?}, version {} loaded (library {} hash {:08x}, {} threads, queue {})",
            info.codes,
            new.plugin.version,
            info.library.display(),
            new.library_hash,
            info.threads,
            info.queue_capacity
        ),
    }
}
