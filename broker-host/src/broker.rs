//! The broker's startup and shutdown, step by step as RocketMQ's
//! `BrokerStartup` / `BrokerController` do them (`initialize`, `start`, `shutdown`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plugin_api::codec::{HeaderLimits, DEFAULT_MAX_FRAME_LENGTH};
use plugin_api::codes::BROKER_VERSION;
use plugin_api::sdk::{BrokerIdentity, HoldKey};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::broker_stats::BrokerStatsManager;
use crate::capabilities::{BrokerServices, HostParts};
use crate::clients::{ClientRegistry, RebalanceLockManager};
use crate::config::BrokerConfig;
use crate::dispatch::Dispatcher;
use crate::metadata::{MetadataError, MetadataStore};
use crate::metrics::{MetricsError, MetricsServer, MetricsSources};
use crate::namesrv::{NameServerRegistration, RegistrationService};
use crate::plugin_host::management::ManagementProcessor;
use crate::plugin_host::{ManifestError, PluginRegistry, ReloadReport};
use crate::remoting::{ConnectionDirectory, PortKind, RemotingServer, ServerConfig};
use crate::schedule::ScheduleMessageService;
use crate::store::{DefaultMessageStore, StoreConfig, StoreError};
use crate::timer::TimerMessageService;
use crate::transaction::{CheckConfig, ProducerChannels, TransactionCheckService};

/// How long the shutdown waits for queued and running requests.
const SHUTDOWN_DRAIN_LIMIT: Duration = Duration::from_secs(15);

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The plugin manifest is unusable.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A metadata file is unusable (and has no usable `.bak`).
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The message store could not be opened or started.
    #[error("message store: {0}")]
    Store(#[from] StoreError),
    /// `messageDelayLevel` is invalid.
    #[error("invalid messageDelayLevel: {0}")]
    DelayLevels(String),
    /// The timer-message service could not start.
    #[error("timer messages: {0}")]
    Timer(String),
    /// A service thread could not be started.
    #[error("cannot start {what}: {source}")]
    Thread {
        /// Which service.
        what: &'static str,
        /// Cause.
        source: std::io::Error,
    },
    /// The metrics endpoint could not start.
    #[error("metrics endpoint: {0}")]
    Metrics(#[from] MetricsError),
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
    config: Arc<BrokerConfig>,
    dispatcher: Arc<Dispatcher>,
    registry: Arc<PluginRegistry>,
    services: BrokerServices,
    metadata: Arc<MetadataStore>,
    store: Arc<DefaultMessageStore>,
    schedule: ScheduleMessageService,
    /// Timer messages (`timerWheelEnable`).
    timer: Option<TimerMessageService>,
    /// The transaction check (half messages nobody committed or rolled back).
    transaction_check: TransactionCheckService,
    servers: Vec<RemotingServer>,
    stop_servers: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    registration: Option<RegistrationService>,
    /// The Prometheus endpoint (`metricsExporterType = PROM`).
    metrics: Option<MetricsServer>,
}

impl Broker {
    /// Runs the startup sequence and returns once both listeners are bound.
    pub async fn start(config: BrokerConfig, manifest_path: &Path) -> Result<Broker, StartError> {
        let config = Arc::new(config);
        tracing::info!(
            cluster = %config.broker_cluster_name,
            broker = %config.broker_name,
            broker_id = config.broker_id,
            "step 1: configuration loaded"
        );

        let metadata = Arc::new(MetadataStore::load(&config)?);
        for report in metadata.load_reports() {
            tracing::info!("{report}");
        }
        tracing::info!(
            dir = %metadata.dir().display(),
            topics = metadata.topics().len(),
            "step 2: system topics and groups created, metadata loaded (topics, consumer offsets, subscription groups, consumer filters, delay offsets)"
        );

        let store = DefaultMessageStore::open(StoreConfig::from_broker_config(&config))?;
        tracing::info!(
            min_offset = store.min_phy_offset(),
            max_offset = store.max_phy_offset(),
            "step 3: message store opened and recovered"
        );

        let directory = ConnectionDirectory::new();
        let clients =
            ClientRegistry::new(directory.clone(), config.notify_consumer_ids_changed_enable);
        // DefaultConsumerIdsChangeListener: a group without members
        // (UNREGISTER) has its consumer filters marked dead.
        let filters = metadata.consumer_filters().clone();
        clients.on_group_removed(Box::new(move |group| filters.unregister(group)));
        let identity = BrokerIdentity {
            cluster_name: config.broker_cluster_name.as_str().into(),
            broker_name: config.broker_name.as_str().into(),
            broker_id: config.broker_id,
            broker_addr: config.broker_addr(),
            broker_permission: config.broker_permission,
            version: BROKER_VERSION,
        };
        // BrokerStatsManager: sampled on Java's schedule from now on.
        let stats = BrokerStatsManager::start(&config.broker_cluster_name).map_err(|source| {
            StartError::Thread {
                what: "the broker stats sampler",
                source,
            }
        })?;
        let services = BrokerServices::new(HostParts {
            config: config.clone(),
            identity,
            metadata: metadata.clone(),
            store: Some(store.clone()),
            clients: clients.clone(),
            locks: Arc::new(RebalanceLockManager::default()),
            directory: directory.clone(),
            stats: stats.clone(),
        });
        let dispatcher = Dispatcher::new();
        let registry = Arc::new(PluginRegistry::new(
            manifest_path.to_path_buf(),
            config.store_root_dir().join("plugin-copies"),
            services.clone(),
            dispatcher.clone(),
        ));
        let management = ManagementProcessor::start(&registry, dispatcher.hold_service().clone())
            .map_err(|source| StartError::Thread {
            what: "the plugin-management processor",
            source,
        })?;
        registry.set_builtins(vec![management]);
        let report = registry.load_initial()?;
        let pools = registry.list().len();
        tracing::info!(
            manifest = %manifest_path.display(),
            processors = pools,
            failed = report.failures.len(),
            "step 4: thread pools and processors registered"
        );

        // Long polling: every dispatched message wakes the pulls held on its queue.
        let hold = dispatcher.hold_service().clone();
        store.set_arrival_listener(Box::new(move |topic, queue_id, max_offset, tags_code| {
            if hold.has_held() {
                let key = HoldKey::queue(topic, queue_id);
                hold.notify(&key, max_offset, Some(tags_code));
            }
        }));
        // Processors hear of closed connections (their optional ABI 1.1 hook),
        // through the table current at the time: no lock a reload holds.
        let closing_dispatcher = Arc::downgrade(&dispatcher);
        directory.on_close(Box::new(move |connection_id| {
            if let Some(dispatcher) = closing_dispatcher.upgrade() {
                for pool in dispatcher.table().pools() {
                    pool.connection_closed(connection_id);
                }
            }
        }));
        let probe_store = store.clone();
        dispatcher
            .hold_service()
            .set_offset_probe(Box::new(move |key: &HoldKey| {
                Some(probe_store.max_offset_in_queue(&key.topic, key.queue_id))
            }));

        let tasks = start_scheduled_tasks(&config, &metadata, &clients);
        tracing::info!("step 5: scheduled tasks started (consumer offsets every {} ms, client housekeeping every 10 s)", config.flush_consumer_offset_interval);

        store.start()?;
        let levels = config
            .message_delay_level_millis()
            .map_err(|e| StartError::DelayLevels(e.to_string()))?;
        let schedule = ScheduleMessageService::start(
            store.clone(),
            metadata.delay_offsets().clone(),
            levels,
            Some(stats.clone()),
        )
        .map_err(|source| StartError::Thread {
            what: "the schedule (delay level) service",
            source,
        })?;
        let timer = if config.timer_wheel_enable {
            Some(
                TimerMessageService::start(store.clone(), &config.store_config_dir())
                    .map_err(|error| StartError::Timer(error.to_string()))?,
            )
        } else {
            None
        };
        // On a master, Java's changeSpecialServiceStatus starts the
        // transaction check with the schedule service.
        let transaction_check = TransactionCheckService::start(
            store.clone(),
            metadata.clone(),
            Arc::new(ProducerChannels::new(clients.clone(), directory.clone())),
            CheckConfig {
                interval: Duration::from_millis(config.transaction_check_interval),
                transaction_timeout: i64::try_from(config.transaction_time_out).unwrap_or(i64::MAX),
                check_max: i32::try_from(config.transaction_check_max).unwrap_or(i32::MAX),
                file_reserved_millis: i64::from(config.file_reserved_time) * 3_600_000,
                broker_name: config.broker_name.to_string(),
                store_host: config.broker_addr(),
            },
        )
        .map_err(|source| StartError::Thread {
            what: "the transaction check service",
            source,
        })?;
        tracing::info!("step 6: store services started (dispatch, flush, clean), abort file created, delay-level, timer and transaction check services running");

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
                    frame_timeout: Duration::from_millis(config.server_frame_timeout_millis),
                    max_connections: config.server_max_connections,
                    header_limits: HeaderLimits {
                        max_ext_fields: config.server_header_max_ext_fields,
                        max_key_length: config.server_header_max_key_length,
                        max_value_length: config.server_header_max_value_length,
                    },
                    write_buffer_water_marks: (
                        config.write_buffer_low_water_mark,
                        config.write_buffer_high_water_mark,
                    ),
                    max_requests_in_flight: config.server_channel_max_requests_in_flight,
                },
                dispatcher.clone(),
                directory.clone(),
                stop_signal.clone(),
            )
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
            tracing::info!(addr = %server.local_addr(), port = ?kind, "step 7: remoting server listening");
            servers.push(server);
        }
        let metrics = MetricsServer::start(MetricsSources {
            config: config.clone(),
            registry: registry.clone(),
            store: store.clone(),
            metadata: metadata.clone(),
            clients: clients.clone(),
        })
        .await?;
        if let Some(metrics) = &metrics {
            tracing::info!(addr = %metrics.local_addr(), "step 7: metrics endpoint listening (GET /metrics)");
        }

        let namesrv = config.namesrv_addrs();
        let registration = if namesrv.is_empty() {
            tracing::info!("step 8: no name server configured: embedded mode, this broker answers route lookups itself");
            None
        } else {
            let service =
                NameServerRegistration::new(config.clone(), metadata.topics().clone()).start();
            tracing::info!(
                namesrv = ?namesrv,
                period_ms = config.effective_register_name_server_period(),
                "step 8: registering with the name servers now (REGISTER_BROKER), then every period and on every topic change"
            );
            Some(service)
        };
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
            registry,
            services,
            metadata,
            store,
            schedule,
            timer,
            transaction_check,
            servers,
            stop_servers,
            tasks,
            registration,
            metrics,
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

    /// The running processors (reload, rollback, listing).
    pub fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    /// Re-reads the manifest and applies it (SIGHUP).
    pub fn reload_plugins(&self) -> Result<ReloadReport, ManifestError> {
        self.registry.reload()
    }

    /// Host services shared with plugins.
    pub fn services(&self) -> &BrokerServices {
        &self.services
    }

    /// The metrics endpoint's address, when it runs.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(MetricsServer::local_addr)
    }

    /// Bound addresses (main first, then fast).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.servers
            .iter()
            .map(RemotingServer::local_addr)
            .collect()
    }

    /// The ordered shutdown (Java's `BrokerController.shutdown`), so nothing acknowledged
    /// is lost: unregister from the name servers first (5.x order: no new
    /// registration, UNREGISTER_BROKER to each, 3 s each, so clients stop
    /// routing here), stop intake, let queued requests finish, stop
    /// scheduled tasks, stop delay delivery, flush and close the store
    /// (removing `abort`), persist every metadata file (consumer offsets last).
    pub async fn shutdown(self) {
        match self.registration {
            Some(registration) => {
                tracing::info!("shutdown 1/7: stopping registration, unregistering from the name servers (UNREGISTER_BROKER)");
                registration.shutdown().await;
            }
            None => tracing::info!("shutdown 1/7: no name server to unregister from"),
        }
        tracing::info!("shutdown 2/7: stopping the remoting servers (no new requests)");
        let _ = self.stop_servers.send(true);
        for server in self.servers {
            server.join().await;
        }
        if let Some(metrics) = self.metrics {
            metrics.shutdown().await;
        }
        tracing::info!("shutdown 3/7: draining queued requests and retiring processors");
        let dispatcher = self.dispatcher.clone();
        let drain = tokio::task::spawn_blocking(move || dispatcher.shutdown());
        // Bounded: a request still running after this is not acknowledged, so
        // moving on to flush loses nothing that was.
        if tokio::time::timeout(SHUTDOWN_DRAIN_LIMIT, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                "in-flight requests still running after {:?}; continuing the shutdown",
                SHUTDOWN_DRAIN_LIMIT
            );
        }
        tracing::info!("shutdown 4/7: stopping scheduled tasks");
        for task in &self.tasks {
            task.abort();
        }
        self.services.parts().stats.stop();
        tracing::info!(
            "shutdown 5/7: stopping the transaction check, delay-level and timer services"
        );
        let schedule = self.schedule;
        let timer = self.timer;
        let transaction_check = self.transaction_check;
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            transaction_check.shutdown();
            schedule.shutdown();
            if let Some(timer) = timer {
                timer.shutdown();
            }
            tracing::info!("shutdown 6/7: flushing and closing the message store");
            store.shutdown();
        })
        .await;
        tracing::info!("shutdown 7/7: persisting metadata");
        if let Err(error) = self.metadata.persist_all() {
            tracing::error!(%error, "persisting metadata at shutdown failed");
        }
        tracing::info!("shutdown complete");
    }
}

/// RocketMQ's scheduled tasks that belong to the broker (store tasks run in
/// the store): consumer offsets every `flushConsumerOffsetInterval`, consumer
/// filters every 10 s, client channel expiry every 10 s.
fn start_scheduled_tasks(
    config: &BrokerConfig,
    metadata: &Arc<MetadataStore>,
    clients: &Arc<ClientRegistry>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let offsets = metadata.consumer_offsets().clone();
    let interval = Duration::from_millis(config.flush_consumer_offset_interval.max(100));
    tasks.push(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let offsets = offsets.clone();
            let persisted = tokio::task::spawn_blocking(move || offsets.persist()).await;
            if let Ok(Err(error)) = persisted {
                tracing::error!(%error, "cannot persist consumerOffset.json");
            }
        }
    }));
    let filters = metadata.consumer_filters().clone();
    tasks.push(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(10));
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let filters = filters.clone();
            let persisted = tokio::task::spawn_blocking(move || filters.persist()).await;
            if let Ok(Err(error)) = persisted {
                tracing::error!(%error, "cannot persist consumerFilter.json");
            }
        }
    }));
    let clients = clients.clone();
    let expiry = Duration::from_millis(config.channel_expired_timeout);
    tasks.push(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(10));
        ticker.tick().await;
        loop {
            ticker.tick().await;
            clients.expire(expiry);
        }
    }));
    tasks
}
