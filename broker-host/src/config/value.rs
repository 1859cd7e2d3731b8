//! Value types of config keys and how each one is read from text / TOML and
//! written back as text.

use std::fmt;
use std::str::FromStr;

/// How a config value type is parsed and printed.
///
/// Text parsing follows `MixAll.properties2Object` (String values trimmed,
/// booleans via Java's `Boolean.parseBoolean`, numbers via `parseInt` /
/// `parseLong`) with two differences: every value is trimmed before parsing
/// (Java only trims Strings, so `48 ` silently kept the default), and a value
/// that does not parse is reported instead of being ignored.
pub trait ConfigValue: Sized {
    /// What a valid value looks like, for error messages ("an integer in 0..=65535").
    const EXPECTED: &'static str;

    /// Parses an already trimmed text value; `None` if it is not valid.
    fn parse_text(text: &str) -> Option<Self>;

    /// Converts a scalar TOML value. The default accepts TOML strings (parsed
    /// as text) and nothing else; types override it to accept their TOML kind.
    fn from_toml(value: &toml::Value) -> Option<Self> {
        match value {
            toml::Value::String(s) => Self::parse_text(s.trim()),
            _ => None,
        }
    }

    /// The value as the config file takes it (unescaped).
    fn render(&self) -> String;
}

impl ConfigValue for String {
    const EXPECTED: &'static str = "a string";

    fn parse_text(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }

    fn from_toml(value: &toml::Value) -> Option<Self> {
        // Numbers and booleans are accepted for string keys (`deleteWhen = 4`).
        match value {
            toml::Value::String(s) => Some(s.trim().to_owned()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            toml::Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn render(&self) -> String {
        self.clone()
    }
}

/// Optional strings: an empty (or blank) value means "not set".
impl ConfigValue for Option<String> {
    const EXPECTED: &'static str = "a string";

    fn parse_text(text: &str) -> Option<Self> {
        Some(if text.is_empty() {
            None
        } else {
            Some(text.to_owned())
        })
    }

    fn from_toml(value: &toml::Value) -> Option<Self> {
        let s = String::from_toml(value)?;
        Self::parse_text(&s)
    }

    fn render(&self) -> String {
        self.clone().unwrap_or_default()
    }
}

impl ConfigValue for bool {
    const EXPECTED: &'static str = "a boolean (true or false)";

    /// Java `Boolean.parseBoolean`: `true` in any case is true, anything else false.
    fn parse_text(text: &str) -> Option<Self> {
        Some(text.eq_ignore_ascii_case("true"))
    }

    fn from_toml(value: &toml::Value) -> Option<Self> {
        match value {
            toml::Value::Boolean(b) => Some(*b),
            toml::Value::String(s) => Self::parse_text(s.trim()),
            _ => None,
        }
    }

    fn render(&self) -> String {
        self.to_string()
    }
}

macro_rules! integer_value {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl ConfigValue for $ty {
            const EXPECTED: &'static str = $expected;

            fn parse_text(text: &str) -> Option<Self> {
                text.parse().ok()
            }

            fn from_toml(value: &toml::Value) -> Option<Self> {
                match value {
                    toml::Value::Integer(i) => <$ty>::try_from(*i).ok(),
                    toml::Value::String(s) => Self::parse_text(s.trim()),
                    _ => None,
                }
            }

            fn render(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

integer_value! {
    u16 => "an integer in 0..=65535",
    u32 => "an integer in 0..=4294967295",
    u64 => "a non-negative integer",
    usize => "a non-negative integer",
    i32 => "an integer in -2147483648..=2147483647",
    i64 => "a (64-bit) integer",
}

/// Error returned when parsing [`FlushDiskType`] or [`BrokerRole`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected {expected}")]
pub struct ParseEnumError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

macro_rules! config_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// RocketMQ's name of the value (as in the config file).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Parses RocketMQ's name (Java `Enum.valueOf`); case-insensitive.
        impl FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); } )+
                Err(ParseEnumError {
                    what: $what,
                    value: s.to_owned(),
                    expected: <$name as ConfigValue>::EXPECTED,
                })
            }
        }

        impl ConfigValue for $name {
            const EXPECTED: &'static str = concat!("one of", $(" ", $text),+, " (case-insensitive)");

            fn parse_text(text: &str) -> Option<Self> {
                text.parse().ok()
            }

            fn render(&self) -> String {
                self.as_str().to_owned()
            }
        }
    };
}

config_enum! {
    /// `flushDiskType`: when a put is acknowledged relative to the commit-log flush.
    pub enum FlushDiskType ("flushDiskType") {
        /// `ASYNC_FLUSH`: acknowledge once written to the page cache; flushed every `flushIntervalCommitLog`.
        AsyncFlush = "ASYNC_FLUSH",
        /// `SYNC_FLUSH`: acknowledge after the flush (group commit, `syncFlushTimeout`).
        SyncFlush = "SYNC_FLUSH",
    }
}

config_enum! {
    /// `brokerRole`: master/slave role of this broker.
    pub enum BrokerRole ("brokerRole") {
        /// `ASYNC_MASTER`: master, replication to slaves is asynchronous.
        AsyncMaster = "ASYNC_MASTER",
        /// `SYNC_MASTER`: master, a put waits for a slave (`slaveTimeout`).
        SyncMaster = "SYNC_MASTER",
        /// `SLAVE`: replica; requires `brokerId > 0`.
        Slave = "SLAVE",
    }
}

impl BrokerRole {
    /// `true` for `ASYNC_MASTER` and `SYNC_MASTER`.
    pub fn is_master(self) -> bool {
        !matches!(self, BrokerRole::Slave)
    }
}

config_enum! {
    /// `metricsExporterType`: where RocketMQ 5's `BrokerMetricsManager`
    /// sends the broker's metrics. This broker serves `PROM` (a Prometheus
    /// endpoint); `OTLP_GRPC` and `LOG` are accepted so a Java broker's
    /// config loads, and export nothing (a warning at startup says so).
    pub enum MetricsExporterType ("metricsExporterType") {
        /// `DISABLE`: no metrics (the default).
        Disable = "DISABLE",
        /// `OTLP_GRPC`: OpenTelemetry over gRPC (not supported here).
        OtlpGrpc = "OTLP_GRPC",
        /// `PROM`: a Prometheus endpoint on `metricsPromExporterHost:metricsPromExporterPort`.
        Prom = "PROM",
        /// `LOG`: metrics written to the log (not supported here).
        Log = "LOG",
    }
}
