//! The configuration as it changes at runtime (RocketMQ's
//! `org.apache.rocketmq.remoting.Configuration`): GET_BROKER_CONFIG reads
//! it, UPDATE_BROKER_CONFIG changes it, bumps its `DataVersion` and
//! persists the change to the file the broker was started with.
//!
//! A change is live for every value read through the host's config
//! capability when it is used (the admin and pull plugins read
//! `useServerSideResetOffset` per request); values the broker copied at
//! startup (ports, store paths, thread pools, flush intervals) take effect
//! at the next start, from the file.

use std::path::{Path, PathBuf};

use parking_lot::{Mutex, RwLock};

use super::{escape_property_value, is_toml_path, BrokerConfig, ConfigError, Origin};
use crate::metadata::data_version::DataVersion;

/// File `UPDATE_BROKER_CONFIG` persists to when the broker was started
/// without `-c`: `<storePathRootDir>/config/broker.properties` (Java's
/// `BrokerPathConfigHelper` default under the default store root).
pub const DEFAULT_CONFIG_FILE: &str = "broker.properties";

/// The broker's configuration, updatable at runtime.
#[derive(Debug)]
pub struct RuntimeConfig {
    current: RwLock<BrokerConfig>,
    data_version: Mutex<DataVersion>,
    file: PathBuf,
}

/// What an update did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateReport {
    /// Keys set (and persisted).
    pub applied: Vec<String>,
    /// Keys the broker does not know, ignored (as Java's
    /// `MixAll.properties2Object` ignores them).
    pub ignored: Vec<String>,
}

impl RuntimeConfig {
    /// The startup configuration; updates persist to `brokerConfigPath`
    /// (the `-c` file), else to `<storePathRootDir>/config/broker.properties`.
    pub fn new(config: &BrokerConfig) -> RuntimeConfig {
        let file = match config.broker_config_path.as_deref().map(str::trim) {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => config.store_config_dir().join(DEFAULT_CONFIG_FILE),
        };
        RuntimeConfig {
            current: RwLock::new(config.clone()),
            data_version: Mutex::new(DataVersion::default()),
            file,
        }
    }

    /// The file updates persist to.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// One value by its RocketMQ key, as it is now.
    pub fn get(&self, key: &str) -> Option<String> {
        self.current.read().get(key)
    }

    /// A copy of the whole configuration as it is now.
    pub fn snapshot(&self) -> BrokerConfig {
        self.current.read().clone()
    }

    /// Java's `getAllConfigsFormatString`: every key as `key=value\n`,
    /// sorted by key (`MixAll.properties2String(allConfigs, true)`).
    pub fn properties_text(&self) -> String {
        let config = self.current.read();
        let mut entries: Vec<(&'static str, String)> = config
            .entries()
            .into_iter()
            .map(|(info, value)| (info.key, value))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut text = String::new();
        for (key, value) in entries {
            text.push_str(key);
            text.push('=');
            text.push_str(&value);
            text.push('\n');
        }
        text
    }

    /// `getDataVersionJson`.
    pub fn data_version_json(&self) -> String {
        self.data_version.lock().to_json_string()
    }

    /// Java's `Configuration.update`: sets every known key (all or none:
    /// a value that does not parse is an error and nothing changes),
    /// ignores unknown keys, bumps the version and persists the applied keys
    /// to the config file. A failed write is logged, as Java's `persist`
    /// logs it; the change stays in effect.
    pub fn update(&self, entries: &[(String, String)]) -> Result<UpdateReport, ConfigError> {
        let mut report = UpdateReport::default();
        let persisted: Vec<(String, String)> = {
            let mut current = self.current.write();
            let mut next = current.clone();
            let mut applied = Vec::new();
            for (key, value) in entries {
                match next.apply_from(key, value, Origin::Api) {
                    Ok(()) => {
                        report.applied.push(key.clone());
                        applied.push((key.clone(), value.trim().to_owned()));
                    }
                    Err(ConfigError::UnknownKey { .. }) => report.ignored.push(key.clone()),
                    Err(error) => return Err(error),
                }
            }
            *current = next;
            self.data_version.lock().next_version();
            applied
        };
        if !report.ignored.is_empty() {
            tracing::warn!(keys = ?report.ignored, "updateBrokerConfig: unknown keys ignored");
        }
        if !persisted.is_empty() {
            match persist(&self.file, &persisted) {
                Ok(()) => {
                    tracing::info!(file = %self.file.display(), keys = ?report.applied, "broker config updated and persisted")
                }
                Err(error) => {
                    tracing::error!(file = %self.file.display(), %error, "persist string2File error")
                }
            }
        }
        Ok(report)
    }
}

/// Writes `entries` into the config file, keeping the rest of it: a key's
/// existing line is replaced, a new key appended. TOML files (`*.toml`) get
/// `key = "value"` (the loader parses a string for any key type), other
/// files properties lines `key=value`. Written to a temporary file and
/// renamed over the old one.
pub fn persist(file: &Path, entries: &[(String, String)]) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    let toml = is_toml_path(file);
    let text = rewrite(&old, entries, toml);
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = file.as_os_str().to_owned();
    temp.push(".tmp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, file)
}

/// The file text with `entries` set (see [`persist`]).
pub fn rewrite(old: &str, entries: &[(String, String)], toml: bool) -> String {
    let line_for = |key: &str, value: &str| {
        if toml {
            format!("{key} = {}", toml::Value::String(value.to_owned()))
        } else {
            format!("{key}={}", escape_property_value(value))
        }
    };
    let mut lines: Vec<String> = old.lines().map(str::to_owned).collect();
    for (key, value) in entries {
        let mut found = false;
        let mut index = 0;
        while index < lines.len() {
            if defines(&lines[index], key, toml) {
                // A properties value may continue on the next lines.
                let mut end = index + 1;
                if !toml && continues(&lines[index]) {
                    while end < lines.len() {
                        let more = continues(&lines[end]);
                        end += 1;
                        if !more {
                            break;
                        }
                    }
                }
                lines.splice(index..end, [line_for(key, value)]);
                if found {
                    lines.remove(index);
                    continue;
                }
                found = true;
            }
            index += 1;
        }
        if !found {
            lines.push(line_for(key, value));
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// True when `line` sets `key`: `key=`, `key:`, `key value` (properties) or
/// `key =` (TOML), after leading blanks.
fn defines(line: &str, key: &str, toml: bool) -> bool {
    let Some(rest) = line.trim_start().strip_prefix(key) else {
        return false;
    };
    let rest_trimmed = rest.trim_start();
    if toml {
        rest_trimmed.starts_with('=')
    } else {
        rest.is_empty()
            || rest.starts_with([' ', '\t', '\u{c}'])
            || rest_trimmed.starts_with(['=', ':'])
    }
}

/// A properties line ending in an odd number of backslashes continues.
fn continues(line: &str) -> bool {
    let trimmed = line.trim_start();
    if trimmed.starts_with(['#', '!']) {
        return false;
    }
    line.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn properties_lines_are_replaced_in_place_and_new_keys_appended() {
        let old = "# broker\nbrokerName=a\nflushIntervalCommitLog = 500\nlong=1\\\n  2\nkeep=x\n";
        let text = rewrite(
            old,
            &entries(&[
                ("flushIntervalCommitLog", "900"),
                ("long", "3"),
                ("new", "a b"),
            ]),
            false,
        );
        assert_eq!(
            text,
            "# broker\nbrokerName=a\nflushIntervalCommitLog=900\nlong=3\nkeep=x\nnew=a b\n"
        );
    }

    #[test]
    fn toml_values_are_written_as_strings_and_read_back() {
        let old = "brokerName = \"a\"\nflushIntervalCommitLog = 500\n# comment\n";
        let text = rewrite(
            old,
            &entries(&[("flushIntervalCommitLog", "900"), ("brokerName", "b\"q")]),
            true,
        );
        assert_eq!(
            text,
            "brokerName = 'b\"q'\nflushIntervalCommitLog = \"900\"\n# comment\n"
        );
        let mut config = BrokerConfig::default();
        config
            .load_toml_str(&text, Path::new("broker.toml"))
            .expect("loads");
        assert_eq!(config.flush_interval_commit_log, 900);
        assert_eq!(config.broker_name, "b\"q");
    }

    #[test]
    fn a_key_prefix_is_not_the_key() {
        assert!(!defines("brokerNameX=1", "brokerName", false));
        assert!(defines("brokerName 1", "brokerName", false));
        assert!(defines("  brokerName: 1", "brokerName", false));
        assert!(!defines("brokerNameX = 1", "brokerName", true));
    }

    #[test]
    fn update_is_all_or_nothing_and_bumps_the_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("broker.conf");
        std::fs::write(&file, "brokerName=a\n").expect("write");
        let config = BrokerConfig {
            broker_config_path: Some(file.display().to_string()),
            ..BrokerConfig::default()
        };
        let runtime = RuntimeConfig::new(&config);
        let before = runtime.data_version_json();

        let error = runtime
            .update(&entries(&[
                ("flushIntervalCommitLog", "9"),
                ("listenPort", "x"),
            ]))
            .expect_err("listenPort does not parse");
        assert!(error.to_string().contains("listenPort"), "{error}");
        assert_eq!(
            runtime.get("flushIntervalCommitLog").as_deref(),
            Some("500")
        );
        assert_eq!(runtime.data_version_json(), before);

        let report = runtime
            .update(&entries(&[
                ("flushIntervalCommitLog", "9"),
                ("noSuchKey", "1"),
            ]))
            .expect("applies");
        assert_eq!(report.applied, ["flushIntervalCommitLog"]);
        assert_eq!(report.ignored, ["noSuchKey"]);
        assert_eq!(runtime.get("flushIntervalCommitLog").as_deref(), Some("9"));
        assert_ne!(runtime.data_version_json(), before);
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            "brokerName=a\nflushIntervalCommitLog=9\n"
        );
        let text = runtime.properties_text();
        assert!(text.contains("\nflushIntervalCommitLog=9\n"), "{text}");
        let keys: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
}
