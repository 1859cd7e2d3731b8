//! The processors the broker runs, built from the manifest (RocketMQ's
//! `registerProcessor`, made data) and replaceable while the broker runs.
//!
//! Reload (SIGHUP or the admin request) applies the whole manifest or
//! nothing: every new or changed entry is staged first ([`super::stage`]:
//! private copy, ABI and layout checks, constructor, code claims over the
//! whole new table); only if every entry passes are their pools started and
//! a whole new request-code table installed in one atomic step. If any entry
//! fails, the running table stays exactly as it was and the report names
//! each failing entry with its reason. Requests already queued finish on
//! the old pools; removed entries stop receiving requests. Each name keeps
//! its previous version for rollback, and counters over the broker's life.
//!
//! The first load, at startup, has no running table to keep: the entries
//! that pass are served and the others reported.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::ffi::{ProcessorBox, ABI_VERSION};

use super::stage::{self, Copies, Running, Staged, Version};
use super::{Manifest, ManifestError, PluginLoadError};
use crate::capabilities::BrokerServices;
use crate::dispatch::pool::{ProcessorInfo, ProcessorStats};
use crate::dispatch::table::DuplicateCode;
use crate::dispatch::{DispatchTable, Dispatcher, ProcessorPool};
use crate::remoting::PortKind;

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
        /// Processor name.
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
        /// Processor name.
        name: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// What a reload or rollback did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// One line per change applied: name, codes, old version → new version.
    pub changes: Vec<String>,
    /// Entries that failed: name (or, for an unnamed entry whose library
    /// never opened, the library as written) and reason.
    pub failures: Vec<(String, String)>,
    /// True when the reload applied nothing because an entry failed.
    pub refused: bool,
    /// When refused: the changes the other entries would have made.
    pub not_applied: Vec<String>,
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.changes.is_empty() && self.failures.is_empty() {
            return write!(f, "no changes");
        }
        if self.refused {
            writeln!(
                f,
                "reload refused: {} of the manifest's entries failed; the running processors are unchanged",
                self.failures.len()
            )?;
        }
        for (name, reason) in &self.failures {
            writeln!(f, "FAILED {name}: {reason}")?;
        }
        for change in &self.not_applied {
            writeln!(f, "not applied: {change}")?;
        }
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

/// A processor's counters over some span (since its load, or over the
/// broker's life).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Requests run.
    pub served: u64,
    /// Responses counted as errors.
    pub errors: u64,
    /// SYSTEM_BUSY refusals.
    pub busy: u64,
    /// Panics caught.
    pub panics: u64,
    /// Requests run on the network thread (`inline_codes`).
    pub inline: u64,
}

impl Counters {
    /// The counters of one pool now.
    pub fn of(stats: &ProcessorStats) -> Counters {
        Counters {
            served: stats.served(),
            errors: stats.errors(),
            busy: stats.busy(),
            panics: stats.panics(),
            inline: stats.inline(),
        }
    }

    fn plus(self, other: Counters) -> Counters {
        Counters {
            served: self.served + other.served,
            errors: self.errors + other.errors,
            busy: self.busy + other.busy,
            panics: self.panics + other.panics,
            inline: self.inline + other.inline,
        }
    }
}

/// What the host reports about a processor (the rows of LIST_PROCESSORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorStatus {
    /// Static facts: name, version, library (as the manifest names it),
    /// library hash, codes, threads, queue capacity, ports.
    pub info: ProcessorInfo,
    /// The version a rollback would restore, if any.
    pub previous_version: Option<String>,
    /// The plugin ABI version the library was built against (the host's own
    /// for built-in processors).
    pub abi: String,
    /// The private copy the running version was loaded from (`None` for
    /// built-in processors).
    pub private_copy: Option<PathBuf>,
    /// When the running version was loaded (its pool started), epoch ms.
    pub loaded_at: i64,
    /// Requests waiting in its queue.
    pub queue_depth: usize,
    /// Counters of the running version since it was loaded.
    pub since_load: Counters,
    /// Counters of every version that ran under this name since the broker
    /// started (survives reloads, rollbacks and removal).
    pub lifetime: Counters,
    /// Times a reload or rollback replaced the running version of this name.
    pub reloads: u64,
    /// The host's own processor (plugin management), not a manifest entry.
    pub builtin: bool,
    /// [`super::ProcessorEntry::digest`] of the running version's manifest
    /// entry, hex (`None` for built-in processors): lets a dry run in
    /// another process tell unchanged entries from changed ones.
    pub entry_digest: Option<String>,
}

struct Active {
    current: Version,
    pool: Arc<ProcessorPool>,
    /// Epoch ms when `pool` started.
    loaded_at: i64,
    previous: Option<Version>,
}

/// Counters of every pool that ran under one name.
#[derive(Default)]
struct Lifetime {
    /// Pools that are gone, added up.
    retired: Counters,
    /// Pools that may still count (running, draining, or kept by a table).
    live: Vec<Arc<ProcessorStats>>,
    /// Times a reload or rollback replaced the running version.
    reloads: u64,
}

impl Lifetime {
    fn total(&mut self) -> Counters {
        let mut retired = self.retired;
        // Only this list holds the counters of a pool that is gone: add them
        // up once and let them go, so the list stays short.
        self.live.retain(|stats| {
            let gone = Arc::strong_count(stats) == 1;
            if gone {
                retired = retired.plus(Counters::of(stats));
            }
            !gone
        });
        self.retired = retired;
        self.live
            .iter()
            .fold(retired, |sum, stats| sum.plus(Counters::of(stats)))
    }
}

/// A staged entry whose pool is running, before the table switch.
enum Ready {
    Unchanged(String),
    New {
        name: String,
        version: Box<Version>,
        pool: Arc<ProcessorPool>,
    },
}

/// The running processors and how to change them.
pub struct PluginRegistry {
    manifest_path: PathBuf,
    copies: Copies,
    services: BrokerServices,
    dispatcher: Arc<Dispatcher>,
    /// Host-built processors with the time they started.
    builtins: Mutex<Vec<(Arc<ProcessorPool>, i64)>>,
    /// Name → running version, in manifest order. The lock also serializes
    /// reloads and rollbacks.
    active: Mutex<Vec<(String, Active)>>,
    /// Name → counters over the broker's life. Locked after `active`.
    lifetimes: Mutex<HashMap<String, Lifetime>>,
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
            copies: Copies::new(copies_dir),
            services,
            dispatcher,
            builtins: Mutex::new(Vec::new()),
            active: Mutex::new(Vec::new()),
            lifetimes: Mutex::new(HashMap::new()),
        }
    }

    /// The manifest this registry reads.
    pub fn manifest_path(&self) -> &Path {
        &self.manifest_path
    }

    /// Adds host-built processors (served alongside the manifest's).
    pub fn set_builtins(&self, pools: Vec<Arc<ProcessorPool>>) {
        let now = crate::clock::now_millis();
        *self.builtins.lock() = pools.into_iter().map(|pool| (pool, now)).collect();
        self.install(&self.active.lock());
    }

    /// The first load, at startup: the entries that pass are served, the
    /// others reported (there is no running table to keep).
    pub fn load_initial(&self) -> Result<ReloadReport, ManifestError> {
        self.apply(false)
    }

    /// Reads the manifest and applies all of it or, if any new or changed
    /// entry fails to load, construct or claim its codes, none of it: then
    /// the report is `refused` and names every failing entry.
    pub fn reload(&self) -> Result<ReloadReport, ManifestError> {
        self.apply(true)
    }

    fn apply(&self, atomic: bool) -> Result<ReloadReport, ManifestError> {
        let manifest = Manifest::load(&self.manifest_path)?;
        let mut active = self.active.lock();
        let running: Vec<Running<'_>> = active
            .iter()
            .map(|(name, a)| Running {
                name: name.clone(),
                library: a.current.plugin.path.clone(),
                library_hash: a.current.library_hash,
                entry_digest: a.current.entry.digest(),
                codes: a.pool.info().codes.clone(),
                version: a.current.plugin.version.clone(),
                plugin: Some(&a.current.plugin),
            })
            .collect();
        let reserved: Vec<(String, Vec<i32>)> = self
            .builtins
            .lock()
            .iter()
            .map(|(pool, _)| (pool.info().name.clone(), pool.info().codes.clone()))
            .collect();
        let staging = stage::stage(&manifest, &running, &reserved, &self.copies, &self.services);
        drop(running);
        let mut report = ReloadReport {
            failures: staging.failures,
            ..ReloadReport::default()
        };
        let removed = staging.removed;
        let mut staged = staging.staged;

        if atomic && !report.failures.is_empty() {
            report.not_applied = would_change(&staged, &removed);
            stage::Staging {
                staged,
                ..Default::default()
            }
            .discard();
            return Ok(self.refuse(&active, report));
        }

        let mut ready = Vec::with_capacity(staged.len());
        for item in staged.drain(..) {
            match item {
                Staged::Unchanged { name, .. } => ready.push(Ready::Unchanged(name)),
                Staged::Candidate(candidate) => {
                    let stage::Candidate {
                        name,
                        version,
                        codes,
                        processor,
                        ..
                    } = *candidate;
                    match self.start_pool(&name, &version, codes, processor) {
                        Ok(pool) => ready.push(Ready::New {
                            name,
                            version: Box::new(version),
                            pool,
                        }),
                        Err(error) => report.failures.push((name, error.to_string())),
                    }
                }
            }
        }
        if atomic && !report.failures.is_empty() {
            for item in ready {
                if let Ready::New {
                    name,
                    version,
                    pool,
                } = item
                {
                    let old = active.iter().find(|(n, _)| *n == name).map(|(_, a)| a);
                    report.not_applied.push(describe_change(
                        &name,
                        old.map(|a| a.current.plugin.version.as_str()),
                        &version,
                        &pool.info().codes,
                    ));
                    pool.close();
                }
            }
            return Ok(self.refuse(&active, report));
        }

        let now = crate::clock::now_millis();
        let mut old: HashMap<String, Active> = active.drain(..).collect();
        let mut next: Vec<(String, Active)> = Vec::with_capacity(ready.len());
        for item in ready {
            match item {
                Ready::Unchanged(name) => {
                    if let Some(unchanged) = old.remove(&name) {
                        next.push((name, unchanged));
                    }
                }
                Ready::New {
                    name,
                    version,
                    pool,
                } => {
                    let replaced = old.remove(&name);
                    if replaced.is_some() {
                        self.count_reload(&name);
                    }
                    report.changes.push(describe_change(
                        &name,
                        replaced.as_ref().map(|r| r.current.plugin.version.as_str()),
                        &version,
                        &pool.info().codes,
                    ));
                    self.count_lifetime(&name, &pool);
                    next.push((
                        name,
                        Active {
                            current: *version,
                            pool,
                            loaded_at: now,
                            previous: replaced.map(|r| r.current),
                        },
                    ));
                }
            }
        }
        // Only when not atomic: a failed entry keeps what it ran.
        for (name, _) in &report.failures {
            if let Some(kept) = old.remove(name) {
                next.push((name.clone(), kept));
            }
        }
        for (name, removed) in old {
            report.changes.push(format!(
                "{name}: removed (codes {:?} now answer REQUEST_CODE_NOT_SUPPORTED), was version {}",
                removed.pool.info().codes,
                removed.current.plugin.version
            ));
        }
        *active = next;
        self.install(&active);
        self.sweep(&active);
        for line in &report.changes {
            tracing::info!("processor change: {line}");
        }
        for (name, reason) in &report.failures {
            tracing::error!(plugin = %name, "processor not loaded: {reason}");
        }
        Ok(report)
    }

    /// Logs a refused reload, deletes the copies it made, and returns the report.
    fn refuse(&self, active: &[(String, Active)], mut report: ReloadReport) -> ReloadReport {
        report.refused = true;
        self.sweep(active);
        for (name, reason) in &report.failures {
            tracing::error!(
                plugin = %name,
                "reload refused, the running processors are unchanged: {name}: {reason}"
            );
        }
        for change in &report.not_applied {
            tracing::warn!("reload refused, not applied: {change}");
        }
        report
    }

    /// Puts the previous version of `name` back.
    pub fn rollback(&self, name: &str) -> Result<ReloadReport, String> {
        let mut active = self.active.lock();
        let result = self.rollback_locked(&mut active, name);
        match &result {
            Ok(report) => {
                for change in &report.changes {
                    tracing::info!("processor rollback: {change}");
                }
            }
            Err(error) => tracing::warn!(plugin = %name, "rollback refused: {error}"),
        }
        result
    }

    fn rollback_locked(
        &self,
        active: &mut [(String, Active)],
        name: &str,
    ) -> Result<ReloadReport, String> {
        let Some(index) = active.iter().position(|(n, _)| n == name) else {
            let names: Vec<&str> = active.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "no processor named {name}; the processors are: {}",
                if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                }
            ));
        };
        let Some(previous) = active[index].1.previous.clone() else {
            return Err(format!(
                "processor {name} has no previous version to roll back to"
            ));
        };
        let fail = |error: EntryError| format!("rollback of {name} failed: {error}");
        let codes = previous
            .plugin
            .serve_codes(previous.entry.codes.as_deref())
            .map_err(|error| fail(error.into()))?;
        let processor = previous
            .plugin
            .new_processor(self.services.context(), &previous.entry.settings_json())
            .map_err(|error| fail(error.into()))?;
        let pool = self
            .start_pool(name, &previous, codes, processor)
            .map_err(fail)?;
        let current = active[index].1.current.clone();
        let change = describe_change(
            name,
            Some(&current.plugin.version),
            &previous,
            &pool.info().codes,
        );
        self.count_lifetime(name, &pool);
        self.count_reload(name);
        active[index].1 = Active {
            current: previous,
            pool,
            loaded_at: crate::clock::now_millis(),
            previous: Some(current),
        };
        self.install(active);
        Ok(ReloadReport {
            changes: vec![change],
            ..ReloadReport::default()
        })
    }

    /// The names of the manifest's running processors, in manifest order.
    pub fn names(&self) -> Vec<String> {
        self.active.lock().iter().map(|(n, _)| n.clone()).collect()
    }

    /// Every running processor with its counters: the manifest's in
    /// manifest order, then the built-in ones.
    pub fn list(&self) -> Vec<ProcessorStatus> {
        let active = self.active.lock();
        let mut lifetimes = self.lifetimes.lock();
        let mut list: Vec<ProcessorStatus> = active
            .iter()
            .map(|(name, a)| {
                let since_load = Counters::of(a.pool.stats());
                ProcessorStatus {
                    info: a.pool.info().clone(),
                    previous_version: a.previous.as_ref().map(|p| p.plugin.version.clone()),
                    abi: a.current.plugin.abi.clone(),
                    private_copy: Some(a.current.plugin.private_copy.clone()),
                    loaded_at: a.loaded_at,
                    queue_depth: a.pool.queue_depth(),
                    since_load,
                    lifetime: lifetimes.get_mut(name).map_or(since_load, Lifetime::total),
                    reloads: lifetimes.get(name).map_or(0, |lifetime| lifetime.reloads),
                    builtin: false,
                    entry_digest: Some(format!("{:08x}", a.current.entry.digest())),
                }
            })
            .collect();
        for (pool, loaded_at) in self.builtins.lock().iter() {
            let since_load = Counters::of(pool.stats());
            list.push(ProcessorStatus {
                info: pool.info().clone(),
                previous_version: None,
                abi: ABI_VERSION.to_owned(),
                private_copy: None,
                loaded_at: *loaded_at,
                queue_depth: pool.queue_depth(),
                since_load,
                lifetime: since_load,
                reloads: 0,
                builtin: true,
                entry_digest: None,
            });
        }
        list
    }

    /// The processor serving `code` now (as the table routes the main port):
    /// (name, version).
    pub fn who_serves(&self, code: i32) -> Option<(String, String)> {
        self.dispatcher
            .table()
            .lookup(PortKind::Main, code)
            .map(|pool| (pool.info().name.clone(), pool.info().version.clone()))
    }

    /// Builds and installs the table of what is active now.
    fn install(&self, active: &[(String, Active)]) {
        let mut table = DispatchTable::default();
        for (name, entry) in active {
            if let Err(error) = table.add(entry.pool.clone()) {
                tracing::error!(plugin = %name, %error, "processor left out of the table");
            }
        }
        for (pool, _) in self.builtins.lock().iter() {
            if let Err(error) = table.add(pool.clone()) {
                tracing::error!(plugin = %pool.info().name, %error, "built-in processor left out of the table");
            }
        }
        self.dispatcher.install(table);
    }

    /// Deletes every private copy but those of the running and previous
    /// versions.
    fn sweep(&self, active: &[(String, Active)]) {
        let keep: HashSet<PathBuf> = active
            .iter()
            .flat_map(|(_, a)| std::iter::once(&a.current).chain(a.previous.as_ref()))
            .map(|version| version.plugin.private_copy.clone())
            .collect();
        self.copies.sweep(&keep);
    }

    fn count_reload(&self, name: &str) {
        self.lifetimes
            .lock()
            .entry(name.to_owned())
            .or_default()
            .reloads += 1;
    }

    fn count_lifetime(&self, name: &str, pool: &ProcessorPool) {
        self.lifetimes
            .lock()
            .entry(name.to_owned())
            .or_default()
            .live
            .push(pool.stats_handle());
    }

    fn start_pool(
        &self,
        name: &str,
        version: &Version,
        codes: Vec<i32>,
        processor: ProcessorBox,
    ) -> Result<Arc<ProcessorPool>, EntryError> {
        let entry = &version.entry;
        let plugin = &version.plugin;
        let info = ProcessorInfo {
            name: name.to_owned(),
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
        .map_err(|source| EntryError::Threads {
            name: name.to_owned(),
            source,
        })
    }
}

/// The changes staged entries and removals would make.
fn would_change(staged: &[Staged], removed: &[(String, String, Vec<i32>)]) -> Vec<String> {
    let mut lines: Vec<String> = staged
        .iter()
        .filter_map(|item| match item {
            Staged::Candidate(c) => Some(describe_change(
                &c.name,
                c.replaces.as_deref(),
                &c.version,
                &c.codes,
            )),
            Staged::Unchanged { .. } => None,
        })
        .collect();
    lines.extend(removed.iter().map(|(name, version, codes)| {
        format!("{name}: removed (codes {codes:?}), was version {version}")
    }));
    lines
}

/// `send: codes [..], version A -> B (library L hash H, N threads, queue Q)`,
/// or `... version B loaded (...)` for a new name.
pub(crate) fn describe_change(
    name: &str,
    old_version: Option<&str>,
    new: &Version,
    codes: &[i32],
) -> String {
    let versions = match old_version {
        Some(old) => format!("version {old} -> {}", new.plugin.version),
        None => format!("version {} loaded", new.plugin.version),
    };
    format!(
        "{name}: codes {codes:?}, {versions} (library {} hash {:08x}, {} threads, queue {})",
        new.plugin.path.display(),
        new.library_hash,
        new.entry.threads,
        new.entry.queue_capacity
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_counters_keep_what_pools_that_are_gone_counted() {
        let mut lifetime = Lifetime::default();
        let first = Arc::new(ProcessorStats::default());
        first.record_busy();
        first.record_busy();
        let second = Arc::new(ProcessorStats::default());
        second.record_busy();
        lifetime.live.push(first.clone());
        lifetime.live.push(second.clone());
        assert_eq!(lifetime.total().busy, 3);
        drop(first);
        assert_eq!(lifetime.total().busy, 3, "a retired pool still counts");
        assert_eq!(lifetime.live.len(), 1, "and is folded in once");
        second.record_busy();
        assert_eq!(lifetime.total().busy, 4);
    }

    #[test]
    fn a_refused_report_names_the_failures_and_what_was_not_applied() {
        let report = ReloadReport {
            failures: vec![("stats".into(), "failed to start: no".into())],
            refused: true,
            not_applied: vec!["send: codes [10], version 1 -> 2".into()],
            ..ReloadReport::default()
        };
        assert_eq!(
            report.to_string(),
            "reload refused: 1 of the manifest's entries failed; the running processors are unchanged\n\
             FAILED stats: failed to start: no\n\
             not applied: send: codes [10], version 1 -> 2\n"
        );
        assert_eq!(ReloadReport::default().to_string(), "no changes");
    }
}
