//! The broker's startup and shutdown, step by step as RocketMQ's
//! `BrokerStartup` / `BrokerController` do them (broker-startup.md §5, §8).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plugin_api::codec::DEFAULT_MAX_FRAME_LENGTH;
use plugin_api::codes::BROKER_VERSION;
use plugin_api::ffi::FfiBrokerIdentity;
use tokio::sync::watch;

use crate::config::BrokerConfig;
use crate::dispatch::{Dispatcher, PortKind};
use crate::metadata::TopicConfigManager;
use crate::plugins::{build_table, HostServices, Manifest, ManifestError};
use crate::remoting::{RemotingServer, ServerConfig};

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The plugin manifest is unusable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
}

/// A running broker.
pub struct Broker {
    config: BrokerConfig,
    dispatcher: Arc<Dispatcher>,
    services: HostServices,
    servers: Vec<RemotingServer>,
    stop_servers: watch::Sender<bool>,
}

impl Broker {
    /// Runs the startup sequence and returns once both listeners are bound.
    pub async fn start(config: BrokerConfig, manifest_path: &Path) -> Result<Broker, StartError> {
        tracing::info!(
            cluster = %config.broker_cluster_name,
            broker = %config.broker_name,
            broker_id = config.broker_id,
            "step 1: configuration loaded"
        );

        let topics = Arc::new(TopicConfigManager::with_system_topics(&config));
        tracing::info!(topics = topics.len(), "step 2: system topics created");

        tracing::info!(
            "step 3: metadata kept in memory (config/*.json persistence is not built yet)"
        );
        tracing::info!("step 4: message store not built yet; send and pull codes answer REQUEST_CODE_NOT_SUPPORTED until their plugins exist");

        let identity = FfiBrokerIdentity {
            cluster_name: config.broker_cluster_name.as_str().into(),
            broker_name: config.broker_name.as_str().into(),
            broker_id: config.broker_id,
            broker_addr: config.broker_addr().into(),
            broker_permission: config.broker_permission,
            version: BROKER_VERSION,
        };
        let services = HostServices::new(identity, topics);
        let dispatcher = Dispatcher::new();
        let manifest = Manifest::load(manifest_path)?;
        let (table, failures) = build_table(&manifest, &services, dispatcher.hold_service());
        for (name, error) in &failures {
            tracing::error!(plugin = %name, %error, "processor not loaded; its codes answer REQUEST_CODE_NOT_SUPPORTED");
        }
        let pools = table.pools().len();
        dispatcher.install(table);
        tracing::info!(
            manifest = %manifest_path.display(),
            processors = pools,
            failed = failures.len(),
            "step 5: thread pools and processors registered"
        );

        tracing::info!(
            "step 6: scheduled tasks: none yet (offset persistence comes with the store)"
        );

        let (stop_servers, stop_signal) = watch::channel(false);
        let mut servers = Vec::new();
        for (port, kind) in [
            (config.listen_port, PortKind::Main),
            (config.fast_listen_port(), PortKind::Fast),
        ] {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
            let server = RemotingServer::bind(
                ServerConfig {
                    bind: addr,
                    port: kind,
                    max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
                    idle_timeout: Duration::from_secs(config.server_channel_max_idle_time_seconds),
                },
                dispatcher.clone(),
                stop_signal.clone(),
            )
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
            tracing::info!(addr = %server.local_addr(), port = ?kind, "step 7: remoting server listening");
            servers.push(server);
        }

        let namesrv = config.namesrv_addrs();
        if namesrv.is_empty() {
            tracing::info!("step 8: no name server configured: embedded mode, this broker answers route lookups itself");
        } else {
            tracing::warn!(namesrv = ?namesrv, "step 8: name-server registration is not built yet; clients can use this broker's address as their name server");
        }
        tracing::info!(
            "The broker[{}, {}] boot success. serializeType=JSON and name server is {}",
            config.broker_name,
            config.broker_addr(),
            if namesrv.is_empty() {
                "embedded".to_owned()
            } else {
                namesrv.join(";")
            }
        );

        Ok(Broker {
            config,
            dispatcher,
            services,
            servers,
            stop_servers,
        })
    }

    /// The effective configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The dispatcher (request-code table and hold service).
    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    /// Host services shared with plugins.
    pub fn services(&self) -> &HostServices {
        &self.services
    }

    /// Bound addresses (main first, then fast).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.servers
            .iter()
            .map(RemotingServer::local_addr)
            .collect()
    }

    /// Stops intake and retires the processors. (The complete ordered
    /// shutdown — drain, flush, persist, unregister — comes with the store
    /// and lifecycle work.)
    pub async fn shutdown(self) {
        tracing::info!("shutdown: stopping the remoting servers");
        let _ = self.stop_servers.send(true);
        for server in self.servers {
            server.join().await;
        }
        tracing::info!("shutdown: retiring processors");
        self.dispatcher.shutdown();
        tracing::info!("shutdown complete");
    }
}
