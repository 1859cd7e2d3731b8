//! Staging a manifest: everything a reload does before it changes what runs,
//! shared by the registry's reload and the `plugins check` dry run.
//!
//! For every entry: read the library and hash it; an entry whose library
//! bytes and manifest text both match a running processor is unchanged.
//! Otherwise copy the library to a private path, open it (ABI version and
//! layout checks), resolve the entry's one name (the manifest's `name`, else
//! the name the plugin declares), check its codes, and construct the
//! processor with its settings. Then every name must be unique and every
//! code claimed once over the whole new table. Nothing here touches the
//! running table: the caller applies the result, or discards it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use plugin_api::ffi::ProcessorBox;

use super::registry::EntryError;
use super::{LoadedPlugin, Manifest, PluginLoadError, ProcessorEntry};
use crate::capabilities::BrokerServices;
use crate::dispatch::table::DuplicateCode;

/// A loaded version of one entry.
#[derive(Clone)]
pub(crate) struct Version {
    /// The entry as the manifest wrote it.
    pub entry: ProcessorEntry,
    /// CRC-32 of the library file.
    pub library_hash: u32,
    /// The loaded image; `path` is the manifest's library, `private_copy`
    /// the file opened.
    pub plugin: LoadedPlugin,
}

/// What the caller knows about one running processor.
pub(crate) struct Running<'a> {
    /// Its one name.
    pub name: String,
    /// Its library, resolved as the manifest resolves it.
    pub library: PathBuf,
    /// CRC-32 of that library when it was loaded.
    pub library_hash: u32,
    /// [`ProcessorEntry::digest`] of its manifest entry.
    pub entry_digest: u32,
    /// The codes it serves.
    pub codes: Vec<i32>,
    /// Its plugin version.
    pub version: String,
    /// The loaded image, when the caller has it (the registry does, a dry
    /// run in another process does not): a settings-only change constructs
    /// from it instead of loading the same bytes again.
    pub plugin: Option<&'a LoadedPlugin>,
}

/// A new or changed entry, loaded and constructed, not yet running.
pub(crate) struct Candidate {
    /// Its one name.
    pub name: String,
    /// What was loaded.
    pub version: Version,
    /// The codes it would serve.
    pub codes: Vec<i32>,
    /// The constructed processor.
    pub processor: ProcessorBox,
    /// The version of the running processor of that name, if any.
    pub replaces: Option<String>,
}

impl Candidate {
    /// Retires the processor that will never serve (its `shutdown` runs once,
    /// as for any processor).
    pub fn discard(self) {
        self.processor.shutdown();
    }
}

/// One manifest entry after staging.
pub(crate) enum Staged {
    /// Library and entry as running: left alone.
    Unchanged {
        /// Its one name.
        name: String,
        /// The codes it serves.
        codes: Vec<i32>,
    },
    /// To be started in place of (or beside) what runs.
    Candidate(Box<Candidate>),
}

impl Staged {
    /// Its one name.
    pub fn name(&self) -> &str {
        match self {
            Staged::Unchanged { name, .. } => name,
            Staged::Candidate(candidate) => &candidate.name,
        }
    }
}

/// The whole manifest, staged.
#[derive(Default)]
pub(crate) struct Staging {
    /// Entries that passed, in manifest order.
    pub staged: Vec<Staged>,
    /// Entries that failed: name (or the best label there is) and reason.
    pub failures: Vec<(String, String)>,
    /// Running processors the manifest no longer lists: (name, version, codes).
    pub removed: Vec<(String, String, Vec<i32>)>,
    /// The names of staged and failed entries alike, in manifest order.
    pub order: Vec<String>,
}

impl Staging {
    /// Retires every constructed candidate.
    pub fn discard(self) {
        for staged in self.staged {
            if let Staged::Candidate(candidate) = staged {
                candidate.discard();
            }
        }
    }
}

/// The directory of private library copies: one file per load, at a path
/// `dlopen` has never seen (it returns the already-loaded image for a path
/// it knows, and abi_stable never unloads).
pub(crate) struct Copies {
    dir: PathBuf,
    sequence: AtomicU64,
}

impl Copies {
    /// Copies go to `dir` (created on first use).
    pub fn new(dir: PathBuf) -> Copies {
        Copies {
            dir,
            sequence: AtomicU64::new(0),
        }
    }

    /// Writes `bytes` (the library at `path`) to a fresh private path.
    fn copy(&self, path: &Path, bytes: &[u8], hash: u32) -> Result<PathBuf, EntryError> {
        let copy_error = |source| EntryError::Copy {
            path: path.to_owned(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(copy_error)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".to_owned());
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let copy = self.dir.join(format!(
            "{stem}-{hash:08x}-{}-{sequence}{}",
            std::process::id(),
            std::env::consts::DLL_SUFFIX
        ));
        std::fs::write(&copy, bytes).map_err(copy_error)?;
        Ok(copy)
    }

    /// Deletes every copy but those in `keep`: copies of failed or discarded
    /// loads, and of versions older than the previous one. A library stays
    /// mapped after its file is gone, so this frees disk, never code in use.
    pub fn sweep(&self, keep: &HashSet<PathBuf>) {
        let Ok(files) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for file in files.flatten() {
            let path = file.path();
            if keep.contains(&path) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::debug!(copy = %path.display(), "private library copy deleted"),
                Err(error) => {
                    tracing::warn!(copy = %path.display(), %error, "cannot delete a private library copy")
                }
            }
        }
    }
}

/// Stages every entry of `manifest` against what runs (see the module
/// comment). `reserved` are the codes of the host's own processors, claimed
/// before any entry. Constructors run with `services` as their host.
pub(crate) fn stage(
    manifest: &Manifest,
    running: &[Running<'_>],
    reserved: &[(String, Vec<i32>)],
    copies: &Copies,
    services: &BrokerServices,
) -> Staging {
    let mut staging = Staging::default();
    let mut failed_names: HashSet<String> = HashSet::new();
    for entry in &manifest.processors {
        let path = manifest.library_path(entry);
        match stage_entry(entry, &path, running, &staging.staged, copies, services) {
            Ok(staged) => {
                staging.order.push(staged.name().to_owned());
                if let Some(first) = staging.staged.iter().find(|s| s.name() == staged.name()) {
                    let reason = format!(
                        "two manifest entries are named {} (libraries {} and {}); give each its own `name`",
                        staged.name(),
                        library_of(first, running).unwrap_or_else(|| "?".to_owned()),
                        entry.library
                    );
                    let name = staged.name().to_owned();
                    if let Staged::Candidate(candidate) = staged {
                        candidate.discard();
                    }
                    failed_names.insert(name.clone());
                    staging.failures.push((name, reason));
                } else {
                    staging.staged.push(staged);
                }
            }
            Err(error) => {
                // Before the library is open the entry's name may be unknown:
                // then the running processor from the same library, if any.
                let name = entry
                    .name
                    .clone()
                    .or_else(|| {
                        running
                            .iter()
                            .find(|r| r.library == path)
                            .map(|r| r.name.clone())
                    })
                    .unwrap_or_else(|| entry.library.clone());
                staging.order.push(name.clone());
                failed_names.insert(name.clone());
                staging.failures.push((name, error.to_string()));
            }
        }
    }
    claim_codes(&mut staging, reserved);
    staging.removed = running
        .iter()
        .filter(|r| {
            !failed_names.contains(&r.name) && !staging.staged.iter().any(|s| s.name() == r.name)
        })
        .map(|r| (r.name.clone(), r.version.clone(), r.codes.clone()))
        .collect();
    staging
}

fn library_of(staged: &Staged, running: &[Running<'_>]) -> Option<String> {
    match staged {
        Staged::Candidate(candidate) => Some(candidate.version.entry.library.clone()),
        Staged::Unchanged { name, .. } => running
            .iter()
            .find(|r| &r.name == name)
            .map(|r| r.library.display().to_string()),
    }
}

fn stage_entry(
    entry: &ProcessorEntry,
    path: &Path,
    running: &[Running<'_>],
    staged: &[Staged],
    copies: &Copies,
    services: &BrokerServices,
) -> Result<Staged, EntryError> {
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
    let digest = entry.digest();
    let taken = |name: &str| staged.iter().any(|s| s.name() == name);
    if let Some(same) = running.iter().find(|r| {
        r.library == path
            && r.library_hash == library_hash
            && r.entry_digest == digest
            && !taken(&r.name)
    }) {
        return Ok(Staged::Unchanged {
            name: same.name.clone(),
            codes: same.codes.clone(),
        });
    }
    // The same bytes already loaded for this name: construct from that image
    // (a settings or pool change, or the same build at another path).
    let reusable = running.iter().find_map(|r| {
        let plugin = r.plugin?;
        let same_name = match &entry.name {
            Some(name) => *name == r.name,
            None => r.name == plugin.name,
        };
        (same_name && r.library_hash == library_hash).then_some(plugin)
    });
    let mut plugin = match reusable {
        Some(plugin) => plugin.clone(),
        None => {
            let copy = copies.copy(path, &bytes, library_hash)?;
            match LoadedPlugin::open(&copy) {
                Ok(plugin) => plugin,
                Err(error) => {
                    // A failed load leaves no copy behind.
                    let _ = std::fs::remove_file(&copy);
                    return Err(rename_path(error, &copy, path).into());
                }
            }
        }
    };
    plugin.path = path.to_owned();
    let name = entry.name.clone().unwrap_or_else(|| plugin.name.clone());
    let codes = plugin.serve_codes(entry.codes.as_deref())?;
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
    let processor = plugin.new_processor(services.context(), &entry.settings_json())?;
    let replaces = running
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.version.clone());
    Ok(Staged::Candidate(Box::new(Candidate {
        name,
        version: Version {
            entry: entry.clone(),
            library_hash,
            plugin,
        },
        codes,
        processor,
        replaces,
    })))
}

/// One code, one processor, over the whole new table. Unchanged entries
/// claim first: a clash is blamed on the new or changed entry.
fn claim_codes(staging: &mut Staging, reserved: &[(String, Vec<i32>)]) {
    let mut claimed: HashMap<i32, String> = reserved
        .iter()
        .flat_map(|(name, codes)| codes.iter().map(move |code| (*code, name.clone())))
        .collect();
    let mut claim = |name: &str, codes: &[i32]| -> Result<(), DuplicateCode> {
        if let Some((code, owner)) = codes
            .iter()
            .find_map(|code| claimed.get(code).map(|owner| (*code, owner.clone())))
        {
            return Err(DuplicateCode {
                code,
                first: owner,
                second: name.to_owned(),
            });
        }
        for &code in codes {
            claimed.insert(code, name.to_owned());
        }
        Ok(())
    };
    let staged = std::mem::take(&mut staging.staged);
    let mut verdicts: Vec<Option<DuplicateCode>> = staged.iter().map(|_| None).collect();
    for pass_unchanged in [true, false] {
        for (index, item) in staged.iter().enumerate() {
            let (name, codes, unchanged) = match item {
                Staged::Unchanged { name, codes } => (name, codes, true),
                Staged::Candidate(c) => (&c.name, &c.codes, false),
            };
            if unchanged == pass_unchanged {
                verdicts[index] = claim(name, codes).err();
            }
        }
    }
    for (item, verdict) in staged.into_iter().zip(verdicts) {
        match verdict {
            None => staging.staged.push(item),
            Some(clash) => {
                staging
                    .failures
                    .push((item.name().to_owned(), EntryError::from(clash).to_string()));
                if let Staged::Candidate(candidate) = item {
                    candidate.discard();
                }
            }
        }
    }
}

/// Errors name the manifest's library, not the private copy.
fn rename_path(error: PluginLoadError, copy: &Path, original: &Path) -> PluginLoadError {
    let shown =
        |text: String| text.replace(&copy.display().to_string(), &original.display().to_string());
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
            detail: shown(detail),
        },
        PluginLoadError::Open { detail, .. } => PluginLoadError::Open {
            path: original.to_owned(),
            detail: shown(detail),
        },
        PluginLoadError::NotAPlugin { .. } => PluginLoadError::NotAPlugin {
            path: original.to_owned(),
        },
        PluginLoadError::Missing { .. } => PluginLoadError::Missing {
            path: original.to_owned(),
        },
        other => other,
    }
}
