//! The host as a plugin sees it.

use std::str::FromStr;
use std::sync::Arc;

use super::capabilities::{
    missing_capability, BrokerAdmin, BrokerConfig, BrokerIdentity, ClientCalls, ClientsAndLocks,
    ConsumerOffsets, HostError, HostServices, LogLevel, MessageStore, Operations, TopicsAndGroups,
};

/// Handle to the host's capabilities, given to [`super::Plugin::new`].
/// Cheap to clone; keep it in the processor.
///
/// Plugins must not log through their own `tracing`/`log` subscriber (each
/// library has its own globals): the logging methods here put the line in
/// the broker log under the plugin's name.
#[derive(Clone)]
pub struct Host {
    services: Arc<dyn HostServices>,
    plugin_name: &'static str,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("plugin_name", &self.plugin_name)
            .field("abi_version", &self.services.abi_version())
            .finish()
    }
}

impl Host {
    /// A handle over `services` for plugin `plugin_name`. The SDK builds it
    /// when the broker loads a plugin; tests build it over a
    /// [`super::testing::FakeHost`].
    pub fn new(services: Arc<dyn HostServices>, plugin_name: &'static str) -> Self {
        Host {
            services,
            plugin_name,
        }
    }

    /// Name of the plugin this handle belongs to.
    pub fn plugin_name(&self) -> &'static str {
        self.plugin_name
    }

    /// The plugin ABI version of the broker (`major.minor.patch`).
    pub fn abi_version(&self) -> String {
        self.services.abi_version()
    }

    /// The message store.
    pub fn store(&self) -> &dyn MessageStore {
        &*self.services
    }

    /// Consumer offsets.
    pub fn offsets(&self) -> &dyn ConsumerOffsets {
        &*self.services
    }

    /// Topics and subscription groups.
    pub fn topics(&self) -> &dyn TopicsAndGroups {
        &*self.services
    }

    /// Producers, consumers and rebalance locks.
    pub fn clients(&self) -> &dyn ClientsAndLocks {
        &*self.services
    }

    /// The broker's configuration.
    pub fn config(&self) -> &dyn BrokerConfig {
        &*self.services
    }

    /// Sending requests to clients (ABI 1.1). On an older broker this is
    /// [`HostError::MissingCapability`]: ask for it in [`super::Plugin::new`]
    /// (`host.client_calls()?;`) so such a broker refuses the plugin at load
    /// with a message naming the capability.
    pub fn client_calls(&self) -> Result<&dyn ClientCalls, HostError> {
        self.services
            .client_calls()
            .ok_or_else(|| missing_capability("client_calls", self.services.abi_version()))
    }

    /// [`ClientCalls`] with its ABI 1.2 methods, `invoke` and
    /// `find_client_connection`. On an older broker this is
    /// [`HostError::MissingCapability`] (`client_invoke`): a plugin that
    /// needs them asks in [`super::Plugin::new`] (`host.client_invoke()?;`).
    /// (On such a broker the methods themselves answer that error too.)
    pub fn client_invoke(&self) -> Result<&dyn ClientCalls, HostError> {
        let abi = self.services.abi_version();
        if super::capabilities::abi_minor(&abi) < 2 {
            return Err(missing_capability("client_invoke", abi));
        }
        self.client_calls()
    }

    // ABI 1.2: broker config update
    /// Broker administration (ABI 1.2): the configuration read and updated
    /// at runtime, group channels, subscription-group deletion, the
    /// server-side offset-reset table. On an older broker this is
    /// [`HostError::MissingCapability`] (`broker_admin`).
    pub fn broker_admin(&self) -> Result<&dyn BrokerAdmin, HostError> {
        self.services
            .broker_admin()
            .ok_or_else(|| missing_capability("broker_admin", self.services.abi_version()))
    }

    // ABI 1.2: broker stats
    /// Broker statistics and store operations (ABI 1.2); on an older broker
    /// [`HostError::MissingCapability`].
    pub fn operations(&self) -> Result<&dyn Operations, HostError> {
        self.services
            .operations()
            .ok_or_else(|| missing_capability("operations", self.services.abi_version()))
    }

    /// The broker's identity (cluster, name, address, permission, version).
    pub fn identity(&self) -> BrokerIdentity {
        self.services.identity()
    }

    /// A broker config value parsed, or `default` when absent or unparsable.
    pub fn config_or<T: FromStr>(&self, key: &str, default: T) -> T {
        self.services
            .value(key)
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(default)
    }

    /// Writes a log line at `level` into the broker log.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.services.log(level, self.plugin_name, message);
    }

    /// Logs at debug level.
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message);
    }

    /// Logs at info level.
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, message);
    }

    /// Logs at warn level.
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message);
    }

    /// Logs at error level.
    pub fn error(&self, message: &str) {
        self.log(LogLevel::Error, message);
    }
}
