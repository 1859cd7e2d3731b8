//! Errors and warnings of config loading.

use std::fmt;
use std::path::{Path, PathBuf};

use super::keys::suggest_key;

/// Where a config value came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Set through [`BrokerConfig::apply`](super::BrokerConfig::apply) (code, admin request).
    Api,
    /// A config file, with the line of the key when known.
    File { path: PathBuf, line: Option<usize> },
    /// A command-line option such as `-n`.
    CommandLine(&'static str),
    /// An environment variable such as `NAMESRV_ADDR`.
    Env(&'static str),
}

impl Origin {
    pub(crate) fn file(path: &Path, line: Option<usize>) -> Self {
        Origin::File {
            path: path.to_path_buf(),
            line,
        }
    }

    /// `"<origin>: "`, or nothing for [`Origin::Api`].
    fn prefix(&self) -> String {
        match self {
            Origin::Api => String::new(),
            other => format!("{other}: "),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Api => f.write_str("configuration"),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Origin::CommandLine(flag) => write!(f, "command-line option {flag}"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// A config error. Every message names the file (or other origin), the key and
/// the offending value where there is one.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The `.toml` file is not valid TOML.
    #[error("{}: invalid TOML: {message}", path.display())]
    TomlSyntax { path: PathBuf, message: String },

    /// The properties file is not valid (e.g. a bad `\u` escape).
    #[error("{origin}: invalid properties file: {message}")]
    PropertiesSyntax { origin: Origin, message: String },

    /// A TOML key holds a table, array or date-time instead of a scalar.
    #[error(
        "{origin}: key `{key}` has a TOML {kind} value; the config file is a flat list of `key = value` (no [sections]) whose values are strings, integers, floats or booleans"
    )]
    UnsupportedTomlValue {
        origin: Origin,
        key: String,
        kind: &'static str,
    },

    /// A value does not parse as the key's type.
    #[error("{}invalid value {value:?} for config key `{key}`: expected {expected}", origin.prefix())]
    InvalidValue {
        origin: Origin,
        key: String,
        value: String,
        expected: &'static str,
    },

    /// [`BrokerConfig::apply`](super::BrokerConfig::apply) was given a key that does not exist.
    #[error("{}unknown config key `{key}`{}", origin.prefix(), did_you_mean(suggestion))]
    UnknownKey {
        origin: Origin,
        key: String,
        suggestion: Option<&'static str>,
    },

    /// A `;`-separated part of `namesrvAddr` is not `host:port` (Java exits -3).
    #[error(
        "invalid name server address {part:?} in namesrvAddr {value:?}: {reason}; expected host:port pairs separated by ';', e.g. \"127.0.0.1:9876;192.168.0.1:9876\""
    )]
    InvalidNamesrvAddr {
        value: String,
        part: String,
        reason: &'static str,
    },

    /// `brokerRole=SLAVE` with `brokerId <= 0` (Java exits -3).
    #[error("brokerRole is SLAVE but brokerId is {broker_id}: a slave's brokerId must be > 0")]
    SlaveBrokerId { broker_id: i64 },

    /// `enableControllerMode` and `enableDLegerCommitLog` both true (Java exits -4).
    #[error("the config keys enableControllerMode and enableDLegerCommitLog cannot both be true")]
    ControllerModeWithDLedger,

    /// A value that parsed but is not usable.
    #[error("invalid value {value:?} for config key `{key}`: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: String,
    },
}

impl ConfigError {
    /// The exit status Java's `BrokerStartup` uses for this condition: -3 for
    /// a bad name-server address or slave id, -4 for controller mode with
    /// DLedger, -1 (any exception) otherwise.
    pub fn java_exit_code(&self) -> i32 {
        match self {
            ConfigError::InvalidNamesrvAddr { .. } | ConfigError::SlaveBrokerId { .. } => -3,
            ConfigError::ControllerModeWithDLedger => -4,
            _ => -1,
        }
    }
}

/// A problem that does not stop the broker; the binary logs these as warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarning {
    /// A key in a config file that this broker does not know (ignored).
    UnknownKey { key: String, file: PathBuf },
}

impl ConfigWarning {
    /// For [`ConfigWarning::UnknownKey`]: the known key it most likely meant
    /// (same letters ignoring case and `_`/`-`, or edit distance ≤ 2).
    pub fn suggestion(&self) -> Option<&'static str> {
        match self {
            ConfigWarning::UnknownKey { key, .. } => suggest_key(key),
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::UnknownKey { key, file } => {
                write!(
                    f,
                    "{}: unknown config key `{key}` ignored{}",
                    file.display(),
                    did_you_mean(&self.suggestion())
                )
            }
        }
    }
}
