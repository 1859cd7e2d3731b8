//! The host as a plugin sees it.

use abi_stable::std_types::{ROption, RStr};

use crate::ffi::{FfiBrokerIdentity, FfiLogLevel, FfiTopicConfig, HostContextBox};

/// Handle to the host's services, given to [`super::Plugin::new`]. Cheap to clone.
///
/// Plugins must not log through their own `tracing`/`log` subscriber (each
/// library has its own globals); these methods put the line in the broker log
/// under the plugin's name.
#[derive(Clone)]
pub struct Host {
    context: HostContextBox,
    plugin_name: &'static str,
}

/// Every host service of [`FfiHostContext`](crate::ffi::FfiHostContext)
/// (store, offsets, client registry, locks, config) is callable on a `Host`.
impl std::ops::Deref for Host {
    type Target = HostContextBox;

    fn deref(&self) -> &HostContextBox {
        &self.context
    }
}

impl Host {
    /// Wraps the host context for plugin `plugin_name`.
    pub fn new(context: HostContextBox, plugin_name: &'static str) -> Self {
        Host {
            context,
            plugin_name,
        }
    }

    /// Name of the plugin this handle belongs to.
    pub fn plugin_name(&self) -> &'static str {
        self.plugin_name
    }

    /// Writes a log line at `level`.
    pub fn log(&self, level: FfiLogLevel, message: &str) {
        self.context
            .log(level, RStr::from(self.plugin_name), RStr::from(message));
    }

    /// Logs at debug level.
    pub fn debug(&self, message: &str) {
        self.log(FfiLogLevel::Debug, message);
    }

    /// Logs at info level.
    pub fn info(&self, message: &str) {
        self.log(FfiLogLevel::Info, message);
    }

    /// Logs at warn level.
    pub fn warn(&self, message: &str) {
        self.log(FfiLogLevel::Warn, message);
    }

    /// Logs at error level.
    pub fn error(&self, message: &str) {
        self.log(FfiLogLevel::Error, message);
    }

    /// The broker's identity (cluster, name, address, permission, version).
    pub fn broker_identity(&self) -> FfiBrokerIdentity {
        self.context.broker_identity()
    }

    /// One topic's config.
    pub fn topic_config(&self, topic: &str) -> Option<FfiTopicConfig> {
        match self.context.topic_config(RStr::from(topic)) {
            ROption::RSome(config) => Some(config),
            ROption::RNone => None,
        }
    }

    /// Every topic's config.
    pub fn all_topic_configs(&self) -> Vec<FfiTopicConfig> {
        self.context.all_topic_configs().into_vec()
    }

    /// A broker config value by its RocketMQ key.
    pub fn config(&self, key: &str) -> Option<String> {
        match self.context.config_value(RStr::from(key)) {
            ROption::RSome(value) => Some(value.into_string()),
            ROption::RNone => None,
        }
    }

    /// A broker config value parsed, or `default` when absent or unparsable.
    pub fn config_or<T: std::str::FromStr>(&self, key: &str, default: T) -> T {
        self.config(key)
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(default)
    }
}
