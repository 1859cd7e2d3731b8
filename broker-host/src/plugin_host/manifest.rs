//! `conf/plugins.toml`: which library serves which request codes, with how
//! many threads and how deep a queue (RocketMQ's `registerProcessor` table,
//! made data).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole manifest.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Directory that bare library names are looked up in, relative to the
    /// manifest's directory. Default: the manifest's directory.
    #[serde(default)]
    pub library_dir: Option<PathBuf>,
    /// The processors, in order.
    #[serde(default, rename = "processor")]
    pub processors: Vec<ProcessorEntry>,
    /// The manifest's own directory (set by [`Manifest::load`]).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// One processor: a library and how the host runs it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProcessorEntry {
    /// The processor's one name: in listings, logs, `rollback`, metrics and
    /// errors. Default: the name the plugin declares (`Plugin::NAME`).
    #[serde(default)]
    pub name: Option<String>,
    /// The library: a path (relative to the manifest) or a bare crate name
    /// such as `route_plugin`, resolved as `lib<name>.so` in `library_dir`.
    pub library: String,
    /// Request codes to serve; default: every code the plugin declares. Codes
    /// the plugin does not declare are refused.
    #[serde(default)]
    pub codes: Option<Vec<i32>>,
    /// Worker threads.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// Bounded queue in front of the threads; a full queue answers SYSTEM_BUSY.
    #[serde(default = "default_queue_capacity")]
    pub queue_capacity: usize,
    /// A request that waited longer than this in the queue is answered
    /// SYSTEM_BUSY instead of run (RocketMQ's `BrokerFastFailure`); 0 = never.
    #[serde(default)]
    pub max_queue_wait_millis: u64,
    /// Also serve these codes on the fast (VIP) port.
    #[serde(default = "default_true")]
    pub fast_port: bool,
    /// Codes served on the main port only, even with `fast_port` (RocketMQ
    /// registers PULL_MESSAGE and LITE_PULL_MESSAGE on the main port only,
    /// but the offset codes of the same processor on both).
    #[serde(default)]
    pub main_port_only_codes: Vec<i32>,
    /// Codes the network thread may run itself when the pool is idle and the
    /// request is its connection's only one in flight (saves waking a
    /// worker). Only for codes that never block: sends, not pulls or queries.
    #[serde(default)]
    pub inline_codes: Vec<i32>,
    /// Free-form settings handed to the plugin's constructor as JSON.
    #[serde(default)]
    pub settings: Option<toml::Table>,
}

fn default_threads() -> usize {
    4
}

fn default_queue_capacity() -> usize {
    10_000
}

fn default_true() -> bool {
    true
}

/// A manifest that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read plugin manifest {path}: {source}")]
    Read {
        /// Manifest path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a valid manifest.
    #[error("invalid plugin manifest {path}: {message}")]
    Invalid {
        /// Manifest path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Manifest::parse(&text, base_dir).map_err(|message| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses manifest text whose relative paths are relative to `base_dir`.
    pub fn parse(text: &str, base_dir: PathBuf) -> Result<Manifest, String> {
        let mut manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        manifest.base_dir = base_dir;
        for entry in &manifest.processors {
            if entry.threads == 0 {
                return Err(format!(
                    "processor {}: threads must be at least 1",
                    entry.label()
                ));
            }
            if entry.queue_capacity == 0 {
                return Err(format!(
                    "processor {}: queue_capacity must be at least 1",
                    entry.label()
                ));
            }
        }
        Ok(manifest)
    }

    /// Where an entry's library file is.
    pub fn library_path(&self, entry: &ProcessorEntry) -> PathBuf {
        let is_bare_name = !entry.library.contains('/') && !entry.library.contains('.');
        if is_bare_name {
            let dir = match &self.library_dir {
                Some(dir) => self.base_dir.join(dir),
                None => self.base_dir.clone(),
            };
            dir.join(format!(
                "{}{}{}",
                std::env::consts::DLL_PREFIX,
                entry.library,
                std::env::consts::DLL_SUFFIX
            ))
        } else {
            self.base_dir.join(&entry.library)
        }
    }
}

impl ProcessorEntry {
    /// The entry's label for messages before the plugin is loaded (its
    /// name, else its library as written).
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.library)
    }

    /// A fingerprint of the entry as written (every key, settings included):
    /// equal digests, equal entries. The listing carries it so that a dry run
    /// in another process can tell an unchanged entry from a changed one.
    pub fn digest(&self) -> u32 {
        let text = serde_json::to_string(self).unwrap_or_else(|_| format!("{self:?}"));
        crc32fast::hash(text.as_bytes())
    }

    /// The settings table as JSON text for the plugin constructor.
    pub fn settings_json(&self) -> String {
        match &self.settings {
            Some(table) => serde_json::to_string(table).unwrap_or_else(|_| "{}".to_owned()),
            None => "{}".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_with_defaults() {
        let manifest = Manifest::parse(
            r#"
            library_dir = "../target/release"
            [[processor]]
            library = "route_plugin"
            [[processor]]
            name = "pull"
            library = "plugins/libpull.so"
            codes = [11]
            threads = 20
            queue_capacity = 100000
            fast_port = false
            [processor.settings]
            suspend = 15000
            "#,
            PathBuf::from("/etc/broker"),
        )
        .expect("valid manifest");
        assert_eq!(manifest.processors.len(), 2);
        let route = &manifest.processors[0];
        assert_eq!(
            (route.threads, route.queue_capacity, route.fast_port),
            (4, 10_000, true)
        );
        assert_eq!(
            manifest.library_path(route),
            PathBuf::from(format!(
                "/etc/broker/../target/release/{}route_plugin{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        );
        let pull = &manifest.processors[1];
        assert_eq!(
            manifest.library_path(pull),
            PathBuf::from("/etc/broker/plugins/libpull.so")
        );
        assert_eq!(pull.codes.as_deref(), Some(&[11][..]));
        assert!(!pull.fast_port);
        assert_eq!(pull.settings_json(), r#"{"suspend":15000}"#);
    }

    #[test]
    fn the_digest_changes_with_any_key_and_only_then() {
        let parse = |text: &str| {
            Manifest::parse(text, PathBuf::new())
                .expect("valid")
                .processors[0]
                .clone()
        };
        let base = parse("[[processor]]\nlibrary = \"x\"\n[processor.settings]\na = 1\nb = 2\n");
        let same = parse("[[processor]]\nlibrary = \"x\"\n[processor.settings]\nb = 2\na = 1\n");
        assert_eq!(base.digest(), same.digest(), "key order is not a change");
        for changed in [
            "[[processor]]\nlibrary = \"x\"\n[processor.settings]\na = 1\nb = 3\n",
            "[[processor]]\nlibrary = \"y\"\n[processor.settings]\na = 1\nb = 2\n",
            "[[processor]]\nname = \"x\"\nlibrary = \"x\"\n[processor.settings]\na = 1\nb = 2\n",
            "[[processor]]\nlibrary = \"x\"\nthreads = 5\n[processor.settings]\na = 1\nb = 2\n",
        ] {
            assert_ne!(base.digest(), parse(changed).digest(), "{changed}");
        }
    }

    #[test]
    fn rejects_unknown_keys_and_zero_threads() {
        let unknown = Manifest::parse(
            "[[processor]]\nlibrary = \"x\"\nthreadz = 3\n",
            PathBuf::new(),
        );
        assert!(unknown.expect_err("unknown key").contains("threadz"));
        let zero = Manifest::parse(
            "[[processor]]\nlibrary = \"x\"\nthreads = 0\n",
            PathBuf::new(),
        );
        assert!(zero.expect_err("zero threads").contains("threads"));
    }
}
