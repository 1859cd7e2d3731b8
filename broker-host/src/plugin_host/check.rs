//! `broker-host plugins check`: a dry run of a manifest in this process,
//! never in a running broker. It stages every entry exactly as a reload
//! does (parse, resolve, private copy, ABI and layout checks, constructor
//! with the entry's settings, code claims over the whole table) against a
//! throwaway host, and says per entry whether a reload would load it,
//! change it, leave it unchanged, or fail on it.
//!
//! "Unchanged" and "would change" are relative to the processors a running
//! broker lists (its LIST_PROCESSORS answer, which only reads); with no
//! broker to ask, every entry is compared with an empty table.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plugin_api::codes::BROKER_VERSION;
use plugin_api::sdk::BrokerIdentity;

use super::management::{LIST_PROCESSORS, RELOAD_PROCESSORS, ROLLBACK_PROCESSOR, WHO_SERVES};
use super::stage::{self, Copies, Running, Staged};
use super::{Manifest, ManifestError};
use crate::capabilities::{BrokerServices, HostParts};
use crate::clients::{ClientRegistry, RebalanceLockManager};
use crate::config::BrokerConfig;
use crate::metadata::{MetadataError, MetadataStore};
use crate::remoting::ConnectionDirectory;

/// What a reload of the manifest would do with one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A new name: it would be loaded.
    WouldLoad,
    /// A running name whose library or entry changed.
    WouldChange {
        /// The version running now.
        from: String,
    },
    /// Library and entry as running: left alone.
    Unchanged,
    /// The entry fails: the whole reload would be refused.
    WouldFail {
        /// Why.
        reason: String,
    },
    /// Running but no longer in the manifest: it would stop being served.
    WouldRemove,
}

impl Verdict {
    /// The word the report prints.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::WouldLoad => "would-load",
            Verdict::WouldChange { .. } => "would-change",
            Verdict::Unchanged => "unchanged",
            Verdict::WouldFail { .. } => "would-fail",
            Verdict::WouldRemove => "would-remove",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEntry {
    /// The entry's one name (or, for an unnamed entry whose library never
    /// opened, its library as written).
    pub name: String,
    /// What a reload would do.
    pub verdict: Verdict,
    /// Version, ABI, codes and library, as far as known.
    pub detail: String,
}

/// The result of a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The manifest checked.
    pub manifest: PathBuf,
    /// What it was compared with, in words.
    pub compared_with: String,
    /// Per entry, in manifest order, then the removals.
    pub entries: Vec<CheckedEntry>,
}

impl CheckReport {
    /// True when a reload of this manifest would be refused.
    pub fn failed(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e.verdict, Verdict::WouldFail { .. }))
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "checking {} against {}",
            self.manifest.display(),
            self.compared_with
        )?;
        let word_width = self
            .entries
            .iter()
            .map(|e| e.verdict.word().len())
            .max()
            .unwrap_or(0);
        let name_width = self.entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
        for entry in &self.entries {
            let detail = match &entry.verdict {
                Verdict::WouldFail { reason } => reason.as_str(),
                _ => entry.detail.as_str(),
            };
            writeln!(
                f,
                "{:<word_width$}  {:<name_width$}  {detail}",
                entry.verdict.word(),
                entry.name
            )?;
        }
        let failed = self
            .entries
            .iter()
            .filter(|e| matches!(e.verdict, Verdict::WouldFail { .. }))
            .count();
        if failed > 0 {
            write!(
                f,
                "{failed} entr{} would fail: a reload of this manifest would be refused and change nothing",
                if failed == 1 { "y" } else { "ies" }
            )
        } else {
            let changes = self
                .entries
                .iter()
                .filter(|e| e.verdict != Verdict::Unchanged)
                .count();
            write!(f, "ok: a reload would apply {changes} change(s)")
        }
    }
}

/// A processor a running broker lists (a row of LIST_PROCESSORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningProcessor {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its library as the manifest names it.
    pub library: PathBuf,
    /// CRC-32 of the library.
    pub hash: u32,
    /// Fingerprint of its manifest entry.
    pub entry_digest: u32,
    /// Codes it serves.
    pub codes: Vec<i32>,
    /// The host's own processor.
    pub builtin: bool,
}

/// A dry run that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The manifest cannot be read or parsed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The throwaway host for the constructors could not be set up.
    #[error("cannot set up the dry run's host in {dir}: {detail}")]
    Host {
        /// Its directory.
        dir: PathBuf,
        /// Why.
        detail: String,
    },
    /// A broker answered the listing with something else than a listing.
    #[error("the broker's processor listing cannot be read: {0}")]
    Listing(String),
}

/// Reads a LIST_PROCESSORS body.
pub fn parse_listing(body: &[u8]) -> Result<Vec<RunningProcessor>, CheckError> {
    let bad = |what: &str| CheckError::Listing(what.to_owned());
    let rows: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| CheckError::Listing(e.to_string()))?;
    let rows = rows.as_array().ok_or_else(|| bad("not a JSON array"))?;
    rows.iter()
        .map(|row| {
            let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
            let hex = |key: &str| u32::from_str_radix(row[key].as_str().unwrap_or(""), 16).ok();
            Ok(RunningProcessor {
                name: row["name"]
                    .as_str()
                    .ok_or_else(|| bad("a row without a name"))?
                    .to_owned(),
                version: text("version"),
                library: PathBuf::from(text("library")),
                hash: hex("hash").unwrap_or(0),
                // An older broker lists no digest: every entry then counts as changed.
                entry_digest: hex("entryDigest").unwrap_or(0),
                codes: row["codes"]
                    .as_array()
                    .map(|codes| {
                        codes
                            .iter()
                            .filter_map(|c| c.as_i64().and_then(|c| i32::try_from(c).ok()))
                            .collect()
                    })
                    .unwrap_or_default(),
                builtin: row["builtin"].as_bool().unwrap_or(false),
            })
        })
        .collect()
}

/// The codes the host itself serves (plugin management), reserved in every
/// table.
fn management_codes() -> Vec<i32> {
    vec![
        LIST_PROCESSORS,
        RELOAD_PROCESSORS,
        ROLLBACK_PROCESSOR,
        WHO_SERVES,
    ]
}

/// The whole `plugins check`: asks the broker at `addr` for its listing (a
/// read; nothing is changed), then dry-runs `manifest_path` against it, or
/// against an empty table when no broker answers.
pub fn run(
    manifest_path: &Path,
    config: &BrokerConfig,
    addr: &str,
) -> Result<CheckReport, CheckError> {
    let (running, compared_with) = match super::management::call(addr, LIST_PROCESSORS, &[]) {
        Ok(answer) if answer.code == 0 => (
            parse_listing(&answer.body)?,
            format!("the processors running at {addr}"),
        ),
        Ok(answer) => (
            Vec::new(),
            format!(
                "an empty table (the broker at {addr} refused the listing: {})",
                answer.remark.unwrap_or_default()
            ),
        ),
        Err(error) => (Vec::new(), format!("an empty table ({error})")),
    };
    let mut report = check(manifest_path, config, &running)?;
    report.compared_with = compared_with;
    Ok(report)
}

/// Dry-runs `manifest_path` against `running` (see the module comment).
pub fn check(
    manifest_path: &Path,
    config: &BrokerConfig,
    running: &[RunningProcessor],
) -> Result<CheckReport, CheckError> {
    let manifest = Manifest::load(manifest_path)?;
    let scratch = Scratch::create()?;
    let services = throwaway_services(config, &scratch.0)?;
    let copies = Copies::new(scratch.0.join("plugin-copies"));

    let mut reserved: Vec<(String, Vec<i32>)> = running
        .iter()
        .filter(|r| r.builtin)
        .map(|r| (r.name.clone(), r.codes.clone()))
        .collect();
    if reserved.is_empty() {
        reserved.push(("plugin-management".to_owned(), management_codes()));
    }
    let views: Vec<Running<'_>> = running
        .iter()
        .filter(|r| !r.builtin)
        .map(|r| Running {
            name: r.name.clone(),
            library: r.library.clone(),
            library_hash: r.hash,
            entry_digest: r.entry_digest,
            codes: r.codes.clone(),
            version: r.version.clone(),
            plugin: None,
        })
        .collect();
    let staging = stage::stage(&manifest, &views, &reserved, &copies, &services);

    let mut entries: Vec<CheckedEntry> = Vec::new();
    // Manifest order: staged entries and failures interleave by name.
    for item in &staging.staged {
        entries.push(match item {
            Staged::Unchanged { name, codes } => CheckedEntry {
                name: name.clone(),
                verdict: Verdict::Unchanged,
                detail: format!(
                    "{} codes {codes:?}",
                    running
                        .iter()
                        .find(|r| &r.name == name)
                        .map(|r| format!("version {},", r.version))
                        .unwrap_or_default()
                ),
            },
            Staged::Candidate(candidate) => {
                let plugin = &candidate.version.plugin;
                let versions = match &candidate.replaces {
                    Some(from) => format!("version {from} -> {}", plugin.version),
                    None => format!("version {}", plugin.version),
                };
                CheckedEntry {
                    name: candidate.name.clone(),
                    verdict: match &candidate.replaces {
                        Some(from) => Verdict::WouldChange { from: from.clone() },
                        None => Verdict::WouldLoad,
                    },
                    detail: format!(
                        "{versions}, abi {}, codes {:?}, library {} (hash {:08x})",
                        plugin.abi,
                        candidate.codes,
                        plugin.path.display(),
                        candidate.version.library_hash
                    ),
                }
            }
        });
    }
    for (name, reason) in &staging.failures {
        entries.push(CheckedEntry {
            name: name.clone(),
            verdict: Verdict::WouldFail {
                reason: reason.clone(),
            },
            detail: String::new(),
        });
    }
    for (name, version, codes) in &staging.removed {
        entries.push(CheckedEntry {
            name: name.clone(),
            verdict: Verdict::WouldRemove,
            detail: format!(
                "version {version}, codes {codes:?} would answer REQUEST_CODE_NOT_SUPPORTED"
            ),
        });
    }
    let position = |name: &str| {
        staging
            .order
            .iter()
            .position(|n| n == name)
            .unwrap_or(usize::MAX)
    };
    // Entries in manifest order (a stable sort keeps removals last).
    entries.sort_by_key(|e| match e.verdict {
        Verdict::WouldRemove => usize::MAX,
        _ => position(&e.name),
    });
    staging.discard();
    Ok(CheckReport {
        manifest: manifest_path.to_owned(),
        compared_with: "an empty table".to_owned(),
        entries,
    })
}

/// A host for the constructors that shares nothing with a broker: its
/// metadata lives in the scratch directory and it has no message store.
fn throwaway_services(config: &BrokerConfig, dir: &Path) -> Result<BrokerServices, CheckError> {
    let metadata_dir = dir.join("config");
    let metadata =
        MetadataStore::load_from(config, &metadata_dir).map_err(|error: MetadataError| {
            CheckError::Host {
                dir: metadata_dir.clone(),
                detail: error.to_string(),
            }
        })?;
    let directory = ConnectionDirectory::new();
    Ok(BrokerServices::new(HostParts {
        config: Arc::new(config.clone()),
        identity: BrokerIdentity {
            cluster_name: config.broker_cluster_name.as_str().into(),
            broker_name: config.broker_name.as_str().into(),
            broker_id: config.broker_id,
            broker_addr: config.broker_addr(),
            broker_permission: config.broker_permission,
            version: BROKER_VERSION,
        },
        metadata: Arc::new(metadata),
        store: None,
        clients: ClientRegistry::new(directory.clone(), false),
        locks: Arc::new(RebalanceLockManager::default()),
        directory,
        stats: Arc::new(crate::broker_stats::BrokerStatsManager::new(
            &config.broker_cluster_name,
        )),
    }))
}

/// A private scratch directory, deleted with everything in it on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch, CheckError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "broker-host-check-{}-{nanos:08x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|error| CheckError::Host {
            dir: dir.clone(),
            detail: error.to_string(),
        })?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
