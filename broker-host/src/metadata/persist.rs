//! Crash-safe persistence of one `config/*.json` file (Java's `ConfigManager.persist` / `load`).
//!
//! **Persist**: write `<f>.tmp` and fsync it; if `<f>` exists, make `<f>.bak`
//! a copy of it (hard link, or a copy where links are not supported); rename
//! `<f>.tmp` over `<f>` (atomic); fsync the directory. Linking instead of
//! renaming `<f>` away means `<f>` exists and is complete at every instant,
//! so a crash at any point leaves either the old or the new `<f>`, plus a
//! `.bak` that is at most one version older. What lands on disk is what a
//! Java broker's `persist` would produce (the same `<f>` and `<f>.bak`).
//!
//! **Load**: a leftover `<f>.tmp` (a persist that did not finish) is removed.
//! Then `<f>` → `<f>.bak` → defaults:
//!
//! | `<f>` | `<f>.bak` | result |
//! |---|---|---|
//! | parses | – | `<f>` |
//! | missing or empty | parses / missing or empty / corrupt | `.bak` / defaults / **error** |
//! | corrupt | parses | `.bak`, WARN naming `<f>` |
//! | corrupt | missing, empty or corrupt | **error** naming the file(s) |
//!
//! Missing files are not errors (first start). A corrupt file never turns
//! into a silently empty table. After falling back to `.bak` because `<f>`
//! was corrupt, the next persist does not rotate the corrupt `<f>` into
//! `.bak`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::MetadataError;

/// Where a loaded table came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// The file itself.
    Main,
    /// `<f>.bak` (the main file was missing, empty or corrupt).
    Backup,
    /// Neither file had content: built-in defaults.
    Default,
}

/// What loading one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The main file's path.
    pub file: PathBuf,
    /// Which file the content came from.
    pub source: LoadSource,
    /// Problems that were worked around (each also logged at WARN).
    pub warnings: Vec<String>,
    /// A leftover `<f>.tmp` was removed.
    pub removed_tmp: bool,
}

impl std::fmt::Display for LoadReport {
    /// One line: `loaded <f> from the file | from <f>.bak | defaults (no file)`,
    /// plus the warnings.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.source {
            LoadSource::Main => write!(f, "loaded {}", self.file.display())?,
            LoadSource::Backup => write!(
                f,
                "loaded {} from {}",
                self.file.display(),
                sibling(&self.file, ".bak").display()
            )?,
            LoadSource::Default => write!(f, "{}: no file, defaults", self.file.display())?,
        }
        for warning in &self.warnings {
            write!(f, "; {warning}")?;
        }
        Ok(())
    }
}

/// One metadata file and its `.bak` / `.tmp` companions.
#[derive(Debug)]
pub struct ConfigFile {
    path: PathBuf,
    /// Serializes persists of this file (snapshot + write under one lock,
    /// so the newest snapshot is always the last one written).
    lock: Mutex<()>,
    /// The main file was found corrupt at load: do not rotate it into `.bak`.
    main_corrupt: AtomicBool,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io_err(path: &Path, source: io::Error) -> MetadataError {
    MetadataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads `path`: `Ok(None)` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, MetadataError> {
    match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(e) => Err(MetadataError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("not UTF-8: {e}"),
            }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

impl ConfigFile {
    /// The file at `path` (nothing is touched until load or persist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ConfigFile {
            path: path.into(),
            lock: Mutex::new(()),
            main_corrupt: AtomicBool::new(false),
        }
    }

    /// `<f>`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<f>.bak`.
    pub fn bak_path(&self) -> PathBuf {
        sibling(&self.path, ".bak")
    }

    /// `<f>.tmp`.
    pub fn tmp_path(&self) -> PathBuf {
        sibling(&self.path, ".tmp")
    }

    /// Loads through the `<f>` → `<f>.bak` → default chain. `decode` turns
    /// a file's text into the table (an `Err` means the file is corrupt).
    /// Returns `None` as the value when defaults apply.
    pub fn load<T>(
        &self,
        mut decode: impl FnMut(&str) -> Result<T, String>,
    ) -> Result<(Option<T>, LoadReport), MetadataError> {
        let _guard = self.lock.lock();
        let mut report = LoadReport {
            file: self.path.clone(),
            source: LoadSource::Default,
            warnings: Vec::new(),
            removed_tmp: false,
        };

        let tmp = self.tmp_path();
        match fs::remove_file(&tmp) {
            Ok(()) => {
                report.removed_tmp = true;
                let msg = format!("removed leftover {} (an unfinished persist)", tmp.display());
                tracing::warn!(file = %tmp.display(), "{msg}");
                report.warnings.push(msg);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&tmp, e)),
        }

        // The main file.
        let main_failure = match read_optional(&self.path) {
            Ok(Some(text)) if !text.trim().is_empty() => match decode(&text) {
                Ok(value) => {
                    report.source = LoadSource::Main;
                    tracing::info!(file = %self.path.display(), "loaded metadata file");
                    return Ok((Some(value), report));
                }
                Err(reason) => Some(reason),
            },
            Ok(Some(_)) => {
                let msg = format!(
                    "{} is empty; trying {}",
                    self.path.display(),
                    self.bak_path().display()
                );
                tracing::warn!(file = %self.path.display(), "{msg}");
                report.warnings.push(msg);
                self.main_corrupt.store(true, Ordering::Relaxed);
                None
            }
            Ok(None) => None,
            Err(MetadataError::Corrupt { reason, .. }) => Some(reason),
            Err(e) => return Err(e),
        };
        if let Some(reason) = &main_failure {
            let msg = format!(
                "{} is corrupt ({reason}); falling back to {}",
                self.path.display(),
                self.bak_path().display()
            );
            tracing::warn!(file = %self.path.display(), "{msg}");
            report.warnings.push(msg);
            self.main_corrupt.store(true, Ordering::Relaxed);
        }

        // The backup.
        let bak = self.bak_path();
        let bak_text = match read_optional(&bak) {
            Ok(t) => t.filter(|t| !t.trim().is_empty()),
            Err(MetadataError::Corrupt { reason, .. }) => {
                return Err(self.corrupt_error(main_failure, &bak, reason));
            }
            Err(e) => return Err(e),
        };
        match bak_text {
            Some(text) => match decode(&text) {
                Ok(value) => {
                    report.source = LoadSource::Backup;
                    let msg = format!(
                        "loaded {} from its backup {}",
                        self.path.display(),
                        bak.display()
                    );
                    tracing::warn!(file = %bak.display(), "{msg}");
                    report.warnings.push(msg);
                    Ok((Some(value), report))
                }
                Err(reason) => Err(self.corrupt_error(main_failure, &bak, reason)),
            },
            None => match main_failure {
                Some(reason) => Err(MetadataError::Corrupt {
                    path: self.path.clone(),
                    reason,
                }),
                None => {
                    tracing::info!(file = %self.path.display(), "no metadata file; starting with defaults");
                    Ok((None, report))
                }
            },
        }
    }

    fn corrupt_error(
        &self,
        main_failure: Option<String>,
        bak: &Path,
        bak_reason: String,
    ) -> MetadataError {
        match main_failure {
            Some(reason) => MetadataError::CorruptWithBackup {
                path: self.path.clone(),
                reason,
                backup: bak.to_path_buf(),
                backup_reason: bak_reason,
            },
            None => MetadataError::Corrupt {
                path: bak.to_path_buf(),
                reason: bak_reason,
            },
        }
    }

    /// Writes `content` crash-safely (see the module docs).
    pub fn persist(&self, content: &str) -> Result<(), MetadataError> {
        let _guard = self.lock.lock();
        self.persist_locked(content)
    }

    /// Runs `encode` and writes its result while holding this file's
    /// persist lock, so concurrent persists cannot write an older snapshot
    /// after a newer one.
    pub fn persist_with(&self, encode: impl FnOnce() -> String) -> Result<(), MetadataError> {
        let _guard = self.lock.lock();
        let content = encode();
        self.persist_locked(&content)
    }

    fn persist_locked(&self, content: &str) -> Result<(), MetadataError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;

        let tmp = self.tmp_path();
        {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .map_err(|e| io_err(&tmp, e))?;
            file.write_all(content.as_bytes())
                .map_err(|e| io_err(&tmp, e))?;
            file.sync_all().map_err(|e| io_err(&tmp, e))?;
        }

        if self.path.exists() && !self.main_corrupt.load(Ordering::Relaxed) {
            let bak = self.bak_path();
            match fs::remove_file(&bak) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&bak, e)),
            }
            if fs::hard_link(&self.path, &bak).is_err() {
                fs::copy(&self.path, &bak).map_err(|e| io_err(&bak, e))?;
                File::open(&bak)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| io_err(&bak, e))?;
            }
        }

        fs::rename(&tmp, &self.path).map_err(|e| io_err(&self.path, e))?;
        self.main_corrupt.store(false, Ordering::Relaxed);
        sync_dir(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(())
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_num(text: &str) -> Result<i64, String> {
        text.trim().parse::<i64>().map_err(|e| e.to_string())
    }

    #[test]
    fn chain() {
        let dir = tempfile::tempdir().unwrap();
        let f = ConfigFile::new(dir.path().join("x.json"));
        let (v, r) = f.load(decode_num).unwrap();
        assert_eq!((v, r.source), (None, LoadSource::Default));

        f.persist("1").unwrap();
        f.persist("2").unwrap();
        assert_eq!(fs::read_to_string(f.path()).unwrap(), "2");
        assert_eq!(fs::read_to_string(f.bak_path()).unwrap(), "1");
        assert!(!f.tmp_path().exists());

        fs::write(f.path(), "garbage").unwrap();
        let f = ConfigFile::new(dir.path().join("x.json"));
        let (v, r) = f.load(decode_num).unwrap();
        assert_eq!((v, r.source), (Some(1), LoadSource::Backup));
        let line = r.to_string();
        assert!(
            line.contains("x.json.bak") && line.contains("corrupt"),
            "{line}"
        );
        // The corrupt main file is not rotated into .bak.
        f.persist("3").unwrap();
        assert_eq!(fs::read_to_string(f.bak_path()).unwrap(), "1");
        f.persist("4").unwrap();
        assert_eq!(fs::read_to_string(f.bak_path()).unwrap(), "3");
    }

    #[test]
    fn missing_main_uses_bak() {
        let dir = tempfile::tempdir().unwrap();
        let f = ConfigFile::new(dir.path().join("x.json"));
        fs::write(f.bak_path(), "7").unwrap();
        let (v, r) = f.load(decode_num).unwrap();
        assert_eq!((v, r.source), (Some(7), LoadSource::Backup));
    }

    #[test]
    fn empty_main_and_no_bak_is_default() {
        let dir = tempfile::tempdir().unwrap();
        let f = ConfigFile::new(dir.path().join("x.json"));
        fs::write(f.path(), "").unwrap();
        let (v, r) = f.load(decode_num).unwrap();
        assert_eq!((v, r.source), (None, LoadSource::Default));
    }

    #[test]
    fn corrupt_bak_with_missing_main_fails() {
        let dir = tempfile::tempdir().unwrap();
        let f = ConfigFile::new(dir.path().join("x.json"));
        fs::write(f.bak_path(), "nope").unwrap();
        let e = f.load(decode_num).unwrap_err();
        assert!(e.to_string().contains("x.json.bak"), "{e}");
    }
}
