//! Broker configuration: one typed [`BrokerConfig`] with Apache RocketMQ's key
//! names (`brokerClusterName`, `listenPort`, `storePathRootDir`,
//! `flushDiskType`, ...), loaded like `BrokerStartup` does it:
//!
//! 1. [`BrokerConfig::default`]: RocketMQ 5.3.3 defaults + the `BrokerStartup`
//!    overrides (`listenPort` 10911, `haListenPort` 0 = derived);
//! 2. [`BrokerConfig::load_file`]: the `-c` file, TOML (`*.toml`) or Java
//!    properties (anything else, e.g. `broker.conf`); unknown keys come back
//!    as [`ConfigWarning`]s;
//! 3. name servers: `-n`, else the file's `namesrvAddr`, else env `NAMESRV_ADDR`;
//! 4. [`BrokerConfig::finish`]: derived values and validation (`brokerId` from
//!    `brokerRole`, `haListenPort`, `brokerIP2`, name-server syntax).
//!
//! [`cli::resolve`] runs the whole sequence for the `broker-host` binary.
//! The key table (names, types, defaults, `@ImportantField`, docs) is defined
//! once in `keys.rs`; [`KEYS`] lists it.

pub mod cli;
mod error;
mod host;
mod keys;
pub mod runtime;
mod source;
mod value;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use cli::{manifest_path, resolve, resolve_with_env, Cli};
pub use error::{ConfigError, ConfigWarning, Origin};
pub use host::DEFAULT_BROKER_NAME;
pub use keys::{key_info, suggest_key, BrokerConfig, KeyInfo, Section, KEYS};
pub use runtime::{RuntimeConfig, UpdateReport};
pub use source::{escape_property_value, is_toml_path};
pub use value::{BrokerRole, ConfigValue, FlushDiskType, MetricsExporterType, ParseEnumError};

/// Default plugin manifest when neither `--manifest` nor `pluginManifest` is set.
pub const DEFAULT_PLUGIN_MANIFEST: &str = "conf/plugins.toml";

/// Environment variable read for `namesrvAddr` when neither `-n` nor the file sets it.
pub const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

/// Bounds `registerNameServerPeriod` is clamped to (ms).
pub const REGISTER_NAME_SERVER_PERIOD_RANGE: (u64, u64) = (10_000, 60_000);

impl BrokerConfig {
    /// Sets one key from its text, like one line of the properties file.
    ///
    /// The value is trimmed; booleans follow Java `Boolean.parseBoolean`
    /// (`true` in any case, anything else is false); numbers must parse and
    /// fit the key's type; enums take RocketMQ's names (`ASYNC_FLUSH`,
    /// `SLAVE`, ...); an empty value clears an optional key (`namesrvAddr`).
    /// Unlike Java, a value that does not parse is an error, not ignored.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        self.apply_from(key, value, Origin::Api)
    }

    /// [`Self::apply`] with the origin to name in errors.
    pub fn apply_from(
        &mut self,
        key: &str,
        value: &str,
        origin: Origin,
    ) -> Result<(), ConfigError> {
        match self.set_text(key, value.trim()) {
            Some(Ok(())) => Ok(()),
            Some(Err(expected)) => Err(ConfigError::InvalidValue {
                origin,
                key: key.to_owned(),
                value: value.to_owned(),
                expected,
            }),
            None => Err(ConfigError::UnknownKey {
                origin,
                key: key.to_owned(),
                suggestion: suggest_key(key),
            }),
        }
    }

    /// Applies the values `BrokerStartup` derives after reading the config,
    /// and validates. Idempotent.
    ///
    /// * `namesrvAddr`: blank = unset; every `;`-separated part must be
    ///   `host:port` (Java exits -3);
    /// * `brokerRole` ASYNC_MASTER / SYNC_MASTER force `brokerId = 0`; SLAVE
    ///   requires `brokerId > 0` (Java exits -3) — unless `enableControllerMode`;
    /// * `enableDLegerCommitLog` forces `brokerId = -1`; with
    ///   `enableControllerMode` too it is an error (Java exits -4);
    /// * `haListenPort` = `listenPort + 1` unless configured > 0;
    /// * `brokerIP2` = `brokerIP1` unless configured;
    /// * `brokerClusterName`, `brokerName`, `brokerIP1`, `storePathRootDir`
    ///   must not be empty; `messageDelayLevel` must parse.
    ///
    /// `registerNameServerPeriod` and the slave's
    /// `accessMessageInMemoryMaxRatio - 10` are applied at use time by
    /// [`Self::effective_register_name_server_period`] and
    /// [`Self::effective_access_message_in_memory_max_ratio`].
    pub fn finish(&mut self) -> Result<(), ConfigError> {
        if self
            .namesrv_addr
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            self.namesrv_addr = None;
        }
        if let Some(addrs) = &self.namesrv_addr {
            validate_namesrv_addr(addrs)?;
        }

        for (key, value) in [
            ("brokerClusterName", &self.broker_cluster_name),
            ("brokerName", &self.broker_name),
            ("brokerIP1", &self.broker_ip1),
            ("storePathRootDir", &self.store_path_root_dir),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Invalid {
                    key,
                    value: value.clone(),
                    reason: "must not be empty".to_owned(),
                });
            }
        }

        if !self.enable_controller_mode {
            match self.broker_role {
                BrokerRole::AsyncMaster | BrokerRole::SyncMaster => self.broker_id = 0,
                BrokerRole::Slave => {
                    if self.broker_id <= 0 {
                        return Err(ConfigError::SlaveBrokerId {
                            broker_id: self.broker_id,
                        });
                    }
                }
            }
        }
        if self.enable_dleger_commit_log {
            if self.enable_controller_mode {
                return Err(ConfigError::ControllerModeWithDLedger);
            }
            self.broker_id = -1;
        }

        if self.ha_listen_port == 0 {
            self.ha_listen_port =
                self.listen_port
                    .checked_add(1)
                    .ok_or_else(|| ConfigError::Invalid {
                        key: "listenPort",
                        value: self.listen_port.to_string(),
                        reason:
                            "haListenPort = listenPort + 1 does not fit in a port; set haListenPort"
                                .to_owned(),
                    })?;
        }
        if self.broker_ip2.trim().is_empty() {
            self.broker_ip2 = self.broker_ip1.clone();
        }

        self.message_delay_level_millis()?;
        Ok(())
    }

    /// The fast ("VIP") port: `listenPort - 2`, clamped at 0.
    pub fn fast_listen_port(&self) -> u16 {
        self.listen_port.saturating_sub(2)
    }

    /// `brokerIP1:listenPort`: the store host in message ids and the address
    /// registered with name servers.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// `brokerIP2:haListenPort` (after [`Self::finish`]).
    pub fn ha_server_addr(&self) -> String {
        let ip = if self.broker_ip2.trim().is_empty() {
            &self.broker_ip1
        } else {
            &self.broker_ip2
        };
        format!("{ip}:{}", self.ha_listen_port)
    }

    /// The `;`-separated parts of `namesrvAddr`, trimmed, empty parts dropped;
    /// empty when unset (embedded mode).
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// `storePathRootDir` as a path.
    pub fn store_root_dir(&self) -> PathBuf {
        PathBuf::from(&self.store_path_root_dir)
    }

    /// `storePathCommitLog` if set, else `<storePathRootDir>/commitlog`.
    pub fn store_path_commit_log(&self) -> PathBuf {
        match self.store_path_commit_log.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => self.store_root_dir().join("commitlog"),
        }
    }

    /// `<storePathRootDir>/config`: the metadata JSON files.
    pub fn store_config_dir(&self) -> PathBuf {
        self.store_root_dir().join("config")
    }

    /// `registerNameServerPeriod` clamped to [10000, 60000] ms, as `BrokerController` uses it.
    pub fn effective_register_name_server_period(&self) -> u64 {
        let (lo, hi) = REGISTER_NAME_SERVER_PERIOD_RANGE;
        self.register_name_server_period.clamp(lo, hi)
    }

    /// `accessMessageInMemoryMaxRatio`, lowered by 10 for a SLAVE (5.x `BrokerStartup`).
    pub fn effective_access_message_in_memory_max_ratio(&self) -> u32 {
        match self.broker_role {
            BrokerRole::Slave => self.access_message_in_memory_max_ratio.saturating_sub(10),
            _ => self.access_message_in_memory_max_ratio,
        }
    }

    /// `serverCallbackExecutorThreads`, with 0 meaning 4 (`NettyRemotingServer`).
    pub fn effective_server_callback_executor_threads(&self) -> usize {
        match self.server_callback_executor_threads {
            0 => 4,
            n => n,
        }
    }

    /// `messageDelayLevel` as milliseconds per level (level 1 first); units
    /// `s`, `m`, `h`, `d` like `ScheduleMessageService.parseDelayLevel`.
    pub fn message_delay_level_millis(&self) -> Result<Vec<u64>, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            key: "messageDelayLevel",
            value: self.message_delay_level.clone(),
            reason,
        };
        let mut levels = Vec::new();
        for item in self.message_delay_level.split_whitespace() {
            let unit_ms: u64 = match item.chars().last() {
                Some('s') => 1_000,
                Some('m') => 60_000,
                Some('h') => 3_600_000,
                Some('d') => 86_400_000,
                _ => {
                    return Err(invalid(format!(
                        "level {item:?} must be a number followed by s, m, h or d"
                    )))
                }
            };
            let number: u64 = item[..item.len() - 1].parse().map_err(|_| {
                invalid(format!(
                    "level {item:?} must be a number followed by s, m, h or d"
                ))
            })?;
            let ms = number
                .checked_mul(unit_ms)
                .ok_or_else(|| invalid(format!("level {item:?} is too large")))?;
            levels.push(ms);
        }
        if levels.is_empty() {
            return Err(invalid("needs at least one delay level".to_owned()));
        }
        Ok(levels)
    }

    /// Every key as `key=value` lines, like `mqbroker -p`, in properties
    /// syntax (the output can be loaded back as a properties file). Unset
    /// optional keys print as `key=`.
    pub fn print_all(&self) -> String {
        self.print_filtered(|_| true)
    }

    /// Only RocketMQ's `@ImportantField` keys, like `mqbroker -m`.
    pub fn print_important(&self) -> String {
        self.print_filtered(|k| k.important)
    }

    fn print_filtered(&self, keep: impl Fn(&KeyInfo) -> bool) -> String {
        let mut out = String::new();
        for (info, value) in self.entries() {
            if keep(info) {
                out.push_str(info.key);
                out.push('=');
                out.push_str(&escape_property_value(&value));
                out.push('\n');
            }
        }
        out
    }
}

/// Checks every `;`-separated part of `value` is `host:port` like
/// `NetworkUtil.string2SocketAddress` (split at the last `:`; the port must be
/// a number in 0..=65535; `[::1]:9876` works). Empty parts are ignored.
fn validate_namesrv_addr(value: &str) -> Result<(), ConfigError> {
    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let err = |reason| ConfigError::InvalidNamesrvAddr {
            value: value.to_owned(),
            part: part.to_owned(),
            reason,
        };
        let (host, port) = part.rsplit_once(':').ok_or_else(|| err("no port"))?;
        if host.is_empty() {
            return Err(err("empty host"));
        }
        if host.chars().any(char::is_whitespace) {
            return Err(err("whitespace in host"));
        }
        port.parse::<u16>()
            .map_err(|_| err("port is not a number in 0..=65535"))?;
    }
    Ok(())
}
