//! Metrics: a Prometheus endpoint configured and named as Apache RocketMQ 5's
//! `BrokerMetricsManager` with `metricsExporterType=PROM`
//! (`metricsPromExporterHost`, `metricsPromExporterPort` 5557), serving the
//! metrics of RocketMQ's `BrokerMetricsConstant`, `RemotingMetricsConstant`
//! and `DefaultStoreMetricsConstant` that this broker can measure, plus the
//! platform's own per-processor metrics (`rocketmq_plugin_*`).
//! `docs/OPERATIONS_METRICS.md` lists them.
//!
//! Two halves: [`recorder`] counts on the request paths (RPC latency where
//! the dispatch answers, messages in and out where processors put and read),
//! [`collect`] reads gauges and the registry's counters when scraped. The
//! text format comes from the `prometheus` crate.

pub mod collect;
mod http;
pub mod names;
pub mod recorder;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use prometheus::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{BrokerConfig, MetricsExporterType};

pub use collect::{MetricsSources, ProcessorSample};
pub use recorder::{observe_rpc, record_get, record_put};

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The listener could not be bound.
    #[error("cannot listen on {addr} (metricsPromExporterHost:metricsPromExporterPort): {source}")]
    Bind {
        /// Host and port as configured.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Two metrics with one name and different labels (a programming error).
    #[error("cannot register the metrics: {0}")]
    Registry(#[from] prometheus::Error),
}

/// The registry a scrape gathers: the recorder's counters and the scrape
/// collector, every series labelled as Java labels all of them
/// (`cluster`, `node_type`, `node_id`).
pub fn registry(sources: MetricsSources) -> Result<Registry, prometheus::Error> {
    let config = &sources.config;
    let labels = HashMap::from([
        (
            names::LABEL_CLUSTER.to_owned(),
            config.broker_cluster_name.clone(),
        ),
        (
            names::LABEL_NODE_TYPE.to_owned(),
            names::NODE_TYPE_BROKER.to_owned(),
        ),
        (names::LABEL_NODE_ID.to_owned(), config.broker_name.clone()),
    ]);
    let registry = Registry::new_custom(None, Some(labels))?;
    for collector in recorder::install().collectors() {
        registry.register(collector)?;
    }
    registry.register(Box::new(collect::ScrapeCollector::new(sources)))?;
    Ok(registry)
}

/// The metrics as a scrape would read them (Prometheus text format).
pub fn render(registry: &Registry) -> Result<String, prometheus::Error> {
    let body = http::encode(registry)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The running endpoint.
pub struct MetricsServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Starts the endpoint if `metricsExporterType` is `PROM`; `None`
    /// otherwise (`OTLP_GRPC` and `LOG` are Java's other exporters, not
    /// served here: a warning says so).
    pub async fn start(sources: MetricsSources) -> Result<Option<MetricsServer>, MetricsError> {
        let config: Arc<BrokerConfig> = sources.config.clone();
        match config.metrics_exporter_type {
            MetricsExporterType::Disable => return Ok(None),
            MetricsExporterType::OtlpGrpc | MetricsExporterType::Log => {
                tracing::warn!(
                    exporter = %config.metrics_exporter_type,
                    "metricsExporterType {} is not supported by this broker (only PROM is); no metrics are exported",
                    config.metrics_exporter_type
                );
                return Ok(None);
            }
            MetricsExporterType::Prom => {}
        }
        let registry = Arc::new(registry(sources)?);
        let host = config.metrics_prom_exporter_host.trim();
        // Java falls back to brokerIP1; all interfaces serves that address
        // too, and the loopback a local Prometheus scrapes.
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let port = config.metrics_prom_exporter_port;
        let listener =
            TcpListener::bind((host, port))
                .await
                .map_err(|source| MetricsError::Bind {
                    addr: format!("{host}:{port}"),
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| MetricsError::Bind {
            addr: format!("{host}:{port}"),
            source,
        })?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(http::serve(listener, registry, stopped));
        Ok(Some(MetricsServer {
            local_addr,
            stop,
            task,
        }))
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting scrapes (answers being written finish on their own).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
