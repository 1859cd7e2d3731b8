//! The host capabilities a plugin calls, one module per concern: each
//! implements one of the SDK's capability traits over the broker's store,
//! metadata and client registry. The SDK's bridge
//! ([`plugin_api::ffi::host_context`]) carries them across the ABI.
//!
//! State lives here, in the host, never only in a plugin: a hot-swapped
//! processor finds the same topics, store, offsets, clients and locks.

mod admin;
mod clients;
mod config;
mod offsets;
mod operations;
mod runtime_info;
mod store;
mod topics;

use std::sync::Arc;

use plugin_api::ffi::{HostContextBox, ABI_VERSION};
use plugin_api::sdk::{BrokerAdmin, BrokerIdentity, ClientCalls, HostServices, Operations};

use crate::broker_stats::BrokerStatsManager;

use crate::clients::{ClientRegistry, RebalanceLockManager};
use crate::config::{BrokerConfig, RuntimeConfig};
use crate::metadata::MetadataStore;
use crate::remoting::ConnectionDirectory;
use crate::store::DefaultMessageStore;

/// What the host shares with plugins.
pub struct HostParts {
    /// Effective config.
    pub config: Arc<BrokerConfig>,
    /// Broker identity.
    pub identity: BrokerIdentity,
    /// JSON metadata (topics, offsets, groups, filters, delay offsets).
    pub metadata: Arc<MetadataStore>,
    /// The message store (absent in tools and benchmarks that need none).
    pub store: Option<Arc<DefaultMessageStore>>,
    /// Producer/consumer registry.
    pub clients: Arc<ClientRegistry>,
    /// Rebalance locks.
    pub locks: Arc<RebalanceLockManager>,
    /// Live connections, for requests the broker sends to clients.
    pub directory: Arc<ConnectionDirectory>,
    /// Broker statistics (`BrokerStatsManager`), fed by the put and get
    /// capabilities.
    pub stats: Arc<BrokerStatsManager>,
}

/// Every capability the host offers plugins. Cheap to clone.
#[derive(Clone)]
pub struct BrokerServices {
    inner: Arc<HostParts>,
    /// When the services were created (the broker's boot), epoch ms.
    boot_timestamp: i64,
    /// The configuration as UPDATE_BROKER_CONFIG changes it (starts as
    /// [`HostParts::config`]); config reads go here.
    runtime_config: Arc<RuntimeConfig>,
}

impl BrokerServices {
    /// Services over these parts.
    pub fn new(parts: HostParts) -> Self {
        BrokerServices {
            runtime_config: Arc::new(RuntimeConfig::new(&parts.config)),
            inner: Arc::new(parts),
            boot_timestamp: crate::clock::now_millis(),
        }
    }

    /// The stable-ABI context handed to a plugin's constructor.
    pub fn context(&self) -> HostContextBox {
        plugin_api::ffi::host_context(Arc::new(self.clone()))
    }

    /// The parts.
    pub fn parts(&self) -> &HostParts {
        &self.inner
    }

    /// The configuration as it is now (UPDATE_BROKER_CONFIG changes it).
    pub fn runtime_config(&self) -> &Arc<RuntimeConfig> {
        &self.runtime_config
    }

    fn store(&self) -> Option<&Arc<DefaultMessageStore>> {
        self.inner.store.as_ref()
    }
}

impl HostServices for BrokerServices {
    fn abi_version(&self) -> String {
        ABI_VERSION.to_owned()
    }

    fn client_calls(&self) -> Option<&dyn ClientCalls> {
        Some(self)
    }

    // ABI 1.2: broker config update
    fn broker_admin(&self) -> Option<&dyn BrokerAdmin> {
        Some(self)
    }

    // ABI 1.2: broker stats
    fn operations(&self) -> Option<&dyn Operations> {
        Some(self)
    }
}
