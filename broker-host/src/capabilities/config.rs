//! The broker's identity and configuration, and the broker log.

use plugin_api::sdk::{BrokerConfig, BrokerIdentity, Log, LogLevel};

use super::BrokerServices;

impl BrokerConfig for BrokerServices {
    fn identity(&self) -> BrokerIdentity {
        self.inner.identity.clone()
    }

    fn value(&self, key: &str) -> Option<String> {
        self.runtime_config.get(key)
    }
}

impl Log for BrokerServices {
    fn log(&self, level: LogLevel, plugin: &str, message: &str) {
        match level {
            LogLevel::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            LogLevel::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            LogLevel::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            LogLevel::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
    }
}
