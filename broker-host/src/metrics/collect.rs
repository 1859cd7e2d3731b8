//! What is read when Prometheus scrapes: the broker's state as RocketMQ 5's
//! observable gauges read it (`BrokerMetricsManager`'s stats, connection
//! and lag gauges, `DefaultStoreMetricsManager`'s storage gauges), and the
//! platform's per-processor figures from the plugin registry.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use plugin_api::topics::{is_system_topic, perm, RETRY_GROUP_TOPIC_PREFIX};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use super::names;
use crate::clients::ClientRegistry;
use crate::config::BrokerConfig;
use crate::metadata::MetadataStore;
use crate::plugin_host::{PluginRegistry, ProcessorStatus};
use crate::store::DefaultMessageStore;

/// What the scrape reads.
#[derive(Clone)]
pub struct MetricsSources {
    /// Broker permission, store root.
    pub config: Arc<BrokerConfig>,
    /// The running processors.
    pub registry: Arc<PluginRegistry>,
    /// Offsets, flush and dispatch positions, store times.
    pub store: Arc<DefaultMessageStore>,
    /// Topics, subscription groups, consumer offsets.
    pub metadata: Arc<MetadataStore>,
    /// Producer and consumer connections.
    pub clients: Arc<ClientRegistry>,
}

/// One processor as the metrics see it. Every figure the platform's
/// metrics report comes from [`ProcessorStatus`] through
/// [`ProcessorSample::of`], and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorSample {
    /// Entry name.
    pub name: String,
    /// Loaded version.
    pub version: String,
    /// Version kept for rollback ("" without one).
    pub previous_version: String,
    /// Requests waiting.
    pub queue_depth: u64,
    /// Queue capacity.
    pub queue_capacity: u64,
    /// Requests run since this version was loaded.
    pub served: u64,
    /// Error answers since this version was loaded.
    pub errors: u64,
    /// SYSTEM_BUSY answers since this version was loaded.
    pub busy: u64,
    /// Panics since this version was loaded.
    pub panics: u64,
    /// Times a new version replaced the running one under this name.
    pub reloads: u64,
}

impl ProcessorSample {
    /// Reads the registry's status of one processor.
    pub fn of(status: &ProcessorStatus) -> ProcessorSample {
        ProcessorSample {
            name: status.info.name.clone(),
            version: status.info.version.clone(),
            previous_version: status.previous_version.clone().unwrap_or_default(),
            queue_depth: status.queue_depth as u64,
            queue_capacity: status.info.queue_capacity as u64,
            served: status.since_load.served,
            errors: status.since_load.errors,
            busy: status.since_load.busy,
            panics: status.since_load.panics,
            reloads: status.reloads,
        }
    }
}

/// The gauges (and registry-held counters) refilled on every scrape.
pub struct ScrapeCollector {
    sources: MetricsSources,
    /// Serializes scrapes: each one clears and refills the families.
    scrape: Mutex<()>,
    processor_watermark: IntGaugeVec,
    broker_permission: IntGaugeVec,
    topic_number: IntGaugeVec,
    consumer_group_number: IntGaugeVec,
    producer_connections: IntGaugeVec,
    consumer_connections: IntGaugeVec,
    lag_messages: IntGaugeVec,
    lag_latency: IntGaugeVec,
    inflight_messages: IntGaugeVec,
    queueing_latency: IntGaugeVec,
    ready_messages: IntGaugeVec,
    storage_size: IntGaugeVec,
    flush_behind: IntGaugeVec,
    dispatch_behind: IntGaugeVec,
    plugin_queue_depth: IntGaugeVec,
    plugin_queue_capacity: IntGaugeVec,
    plugin_served: IntCounterVec,
    plugin_errors: IntCounterVec,
    plugin_busy: IntCounterVec,
    plugin_panics: IntCounterVec,
    plugin_reloads: IntCounterVec,
    plugin_info: IntGaugeVec,
}

// The names and label sets below are constants: building them cannot fail.
fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("valid gauge definition")
}

fn storage_gauge(name: &str, help: &str) -> IntGaugeVec {
    // `DefaultStoreMetricsManager.newAttributesBuilder` adds these two.
    let opts = Opts::new(name, help)
        .const_label(names::LABEL_STORAGE_TYPE, names::STORAGE_TYPE_LOCAL)
        .const_label(names::LABEL_STORAGE_MEDIUM, names::STORAGE_MEDIUM_DISK);
    IntGaugeVec::new(opts, &[]).expect("valid gauge definition")
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter definition")
}

fn bool_label(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// A count as a gauge value (saturating; no figure here comes near).
fn gauge_value(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl ScrapeCollector {
    /// A collector reading `sources`.
    pub fn new(sources: MetricsSources) -> ScrapeCollector {
        let lag_labels = [
            names::LABEL_CONSUMER_GROUP,
            names::LABEL_TOPIC,
            names::LABEL_IS_RETRY,
            names::LABEL_IS_SYSTEM,
        ];
        let plugin_labels = [names::LABEL_PROCESSOR, names::LABEL_VERSION];
        ScrapeCollector {
            sources,
            scrape: Mutex::new(()),
            processor_watermark: gauge(
                names::PROCESSOR_WATERMARK,
                "Request processor watermark: requests waiting in the processor's queue",
                &[names::LABEL_PROCESSOR],
            ),
            broker_permission: gauge(names::BROKER_PERMISSION, "Broker permission", &[]),
            topic_number: gauge(names::TOPIC_NUM, "Active topic number", &[]),
            consumer_group_number: gauge(
                names::CONSUMER_GROUP_NUM,
                "Active subscription group number",
                &[],
            ),
            producer_connections: gauge(
                names::PRODUCER_CONNECTIONS,
                "Producer connections",
                &[
                    names::LABEL_LANGUAGE,
                    names::LABEL_VERSION,
                    names::LABEL_PROTOCOL_TYPE,
                ],
            ),
            consumer_connections: gauge(
                names::CONSUMER_CONNECTIONS,
                "Consumer connections",
                &[
                    names::LABEL_CONSUMER_GROUP,
                    names::LABEL_LANGUAGE,
                    names::LABEL_VERSION,
                    names::LABEL_CONSUME_MODE,
                    names::LABEL_PROTOCOL_TYPE,
                    names::LABEL_IS_SYSTEM,
                ],
            ),
            lag_messages: gauge(
                names::CONSUMER_LAG_MESSAGES,
                "Consumer lag messages: stored but not yet committed by the group",
                &lag_labels,
            ),
            lag_latency: gauge(
                names::CONSUMER_LAG_LATENCY,
                "Consumer lag time, milliseconds since the oldest uncommitted message was stored",
                &lag_labels,
            ),
            inflight_messages: gauge(
                names::CONSUMER_INFLIGHT_MESSAGES,
                "Consumer inflight messages: pulled but not yet committed",
                &lag_labels,
            ),
            queueing_latency: gauge(
                names::CONSUMER_QUEUEING_LATENCY,
                "Consumer queueing time, milliseconds since the oldest unpulled message was stored",
                &lag_labels,
            ),
            ready_messages: gauge(
                names::CONSUMER_READY_MESSAGES,
                "Consumer ready messages: stored and not yet pulled by the group",
                &lag_labels,
            ),
            storage_size: storage_gauge(
                names::STORAGE_SIZE,
                "Broker storage size: bytes used on the file system of the store root",
            ),
            flush_behind: storage_gauge(
                names::STORAGE_FLUSH_BEHIND,
                "Broker flush behind bytes: written to the commit log, not yet flushed",
            ),
            dispatch_behind: storage_gauge(
                names::STORAGE_DISPATCH_BEHIND,
                "Broker dispatch behind bytes: in the commit log, not yet in consume queues",
            ),
            plugin_queue_depth: gauge(
                names::PLUGIN_QUEUE_DEPTH,
                "Requests waiting in the processor's queue",
                &plugin_labels,
            ),
            plugin_queue_capacity: gauge(
                names::PLUGIN_QUEUE_CAPACITY,
                "Capacity of the processor's queue (queue_capacity in the manifest)",
                &plugin_labels,
            ),
            plugin_served: counter(
                names::PLUGIN_SERVED,
                "Requests the processor ran, since this version was loaded",
                &plugin_labels,
            ),
            plugin_errors: counter(
                names::PLUGIN_ERRORS,
                "Requests the processor answered with an error, since this version was loaded",
                &plugin_labels,
            ),
            plugin_busy: counter(
                names::PLUGIN_BUSY,
                "Requests refused with SYSTEM_BUSY (queue full or waited too long), since this version was loaded",
                &plugin_labels,
            ),
            plugin_panics: counter(
                names::PLUGIN_PANICS,
                "Panics caught in the processor, since this version was loaded",
                &plugin_labels,
            ),
            plugin_reloads: counter(
                names::PLUGIN_RELOADS,
                "Times a reload or rollback replaced the processor under this name",
                &[names::LABEL_PROCESSOR],
            ),
            plugin_info: gauge(
                names::PLUGIN_INFO,
                "1 for each loaded processor, with its version and the version kept for rollback",
                &[
                    names::LABEL_PROCESSOR,
                    names::LABEL_VERSION,
                    names::LABEL_PREVIOUS_VERSION,
                ],
            ),
        }
    }

    fn gauges(&self) -> [&IntGaugeVec; 17] {
        [
            &self.processor_watermark,
            &self.broker_permission,
            &self.topic_number,
            &self.consumer_group_number,
            &self.producer_connections,
            &self.consumer_connections,
            &self.lag_messages,
            &self.lag_latency,
            &self.inflight_messages,
            &self.queueing_latency,
            &self.ready_messages,
            &self.storage_size,
            &self.flush_behind,
            &self.dispatch_behind,
            &self.plugin_queue_depth,
            &self.plugin_queue_capacity,
            &self.plugin_info,
        ]
    }

    fn counters(&self) -> [&IntCounterVec; 5] {
        [
            &self.plugin_served,
            &self.plugin_errors,
            &self.plugin_busy,
            &self.plugin_panics,
            &self.plugin_reloads,
        ]
    }

    fn fill(&self) {
        self.fill_processors();
        self.fill_broker();
        self.fill_connections();
        self.fill_lag();
        self.fill_storage();
    }

    fn fill_processors(&self) {
        for status in self.sources.registry.list() {
            let sample = ProcessorSample::of(&status);
            let labels = [sample.name.as_str(), sample.version.as_str()];
            self.processor_watermark
                .with_label_values(&[&sample.name])
                .set(gauge_value(sample.queue_depth));
            self.plugin_queue_depth
                .with_label_values(&labels)
                .set(gauge_value(sample.queue_depth));
            self.plugin_queue_capacity
                .with_label_values(&labels)
                .set(gauge_value(sample.queue_capacity));
            // Counters are kept by the registry; the family is refilled
            // with their current values (the vec was reset to zero).
            self.plugin_served
                .with_label_values(&labels)
                .inc_by(sample.served);
            self.plugin_errors
                .with_label_values(&labels)
                .inc_by(sample.errors);
            self.plugin_busy
                .with_label_values(&labels)
                .inc_by(sample.busy);
            self.plugin_panics
                .with_label_values(&labels)
                .inc_by(sample.panics);
            self.plugin_reloads
                .with_label_values(&[&sample.name])
                .inc_by(sample.reloads);
            self.plugin_info
                .with_label_values(&[&sample.name, &sample.version, &sample.previous_version])
                .set(1);
        }
    }

    fn fill_broker(&self) {
        let sources = &self.sources;
        self.broker_permission
            .with_label_values::<&str>(&[])
            .set(i64::from(sources.config.broker_permission));
        self.topic_number
            .with_label_values::<&str>(&[])
            .set(sources.metadata.topics().len() as i64);
        self.consumer_group_number
            .with_label_values::<&str>(&[])
            .set(sources.metadata.subscription_groups().all().len() as i64);
    }

    /// `initConnectionMetrics`: connections counted per language and
    /// version (and group and consume mode for consumers).
    fn fill_connections(&self) {
        let clients = &self.sources.clients;
        for group in clients.producer_groups() {
            for channel in clients.producer_channels(&group) {
                self.producer_connections
                    .with_label_values(&[
                        &names::language_desc(channel.language),
                        &names::version_desc(channel.version),
                        names::PROTOCOL_TYPE_REMOTING,
                    ])
                    .inc();
            }
        }
        for group in clients.consumer_groups() {
            let Some(snapshot) = clients.consumer_group(&group) else {
                continue;
            };
            let consume_mode = names::consume_mode_desc(&snapshot.consume_type);
            let is_system = bool_label(group.starts_with(names::SYSTEM_GROUP_PREFIX));
            for channel in clients.consumer_channels(&group) {
                self.consumer_connections
                    .with_label_values(&[
                        &group,
                        &names::language_desc(channel.language),
                        &names::version_desc(channel.version),
                        &consume_mode,
                        names::PROTOCOL_TYPE_REMOTING,
                        is_system,
                    ])
                    .inc();
            }
        }
    }

    /// `ConsumerLagCalculator` for pull/push groups: every subscription
    /// group with online members, every topic they subscribe to (retry
    /// topics aside) that is readable or writable here.
    fn fill_lag(&self) {
        let sources = &self.sources;
        let offsets = sources.metadata.consumer_offsets();
        let store = &sources.store;
        let now = crate::clock::now_millis();
        let broker_perm = sources.config.broker_permission;
        for config in sources.metadata.subscription_groups().all() {
            let group = config.group_name;
            let Some(snapshot) = sources.clients.consumer_group(&group) else {
                continue;
            };
            for subscription in &snapshot.subscriptions {
                let topic = subscription.topic.as_str();
                if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
                    continue;
                }
                let Some(topic_config) = sources.metadata.topics().get(topic) else {
                    continue;
                };
                let topic_perm = topic_config.perm & broker_perm;
                if !perm::is_readable(topic_perm) && !perm::is_writeable(topic_perm) {
                    continue;
                }
                let mut lag = Figures::default();
                for queue_id in 0..topic_config.write_queue_nums.max(0) {
                    let max = store.max_offset_in_queue(topic, queue_id).max(0);
                    let committed = offsets.query_offset(&group, topic, queue_id);
                    let consumed = if committed < 0 { max } else { committed };
                    let pulled = offsets.query_pull_offset(&group, topic, queue_id);
                    let pulled = if pulled < 0 { max } else { pulled };
                    lag.lag += (max - consumed).max(0);
                    lag.ready += (max - pulled).max(0);
                    lag.inflight += (pulled - consumed).max(0);
                    if consumed < max {
                        lag.oldest_unconsumed = min_time(
                            lag.oldest_unconsumed,
                            store.message_store_time(topic, queue_id, consumed),
                        );
                    }
                    if pulled < max {
                        lag.oldest_unpulled = min_time(
                            lag.oldest_unpulled,
                            store.message_store_time(topic, queue_id, pulled),
                        );
                    }
                }
                let is_system =
                    is_system_topic(topic) || group.starts_with(names::SYSTEM_GROUP_PREFIX);
                let labels = [group.as_str(), topic, "false", bool_label(is_system)];
                let age = |stored: Option<i64>| stored.map_or(0, |at| (now - at).max(0));
                self.lag_messages.with_label_values(&labels).set(lag.lag);
                self.lag_latency
                    .with_label_values(&labels)
                    .set(age(lag.oldest_unconsumed));
                self.inflight_messages
                    .with_label_values(&labels)
                    .set(lag.inflight);
                self.queueing_latency
                    .with_label_values(&labels)
                    .set(age(lag.oldest_unpulled));
                self.ready_messages
                    .with_label_values(&labels)
                    .set(lag.ready);
            }
        }
    }

    /// `DefaultStoreMetricsManager`: disk used under the store root, and
    /// how far flush and dispatch are behind the commit log's end.
    fn fill_storage(&self) {
        let store = &self.sources.store;
        if let Some(used) = used_bytes(&self.sources.config.store_root_dir()) {
            self.storage_size
                .with_label_values::<&str>(&[])
                .set(gauge_value(used));
        }
        self.flush_behind
            .with_label_values::<&str>(&[])
            .set((store.max_phy_offset() - store.flushed_phy_offset()).max(0));
        self.dispatch_behind
            .with_label_values::<&str>(&[])
            .set(store.dispatch_behind_bytes().max(0));
    }
}

/// One group's figures over a topic's queues.
#[derive(Default)]
struct Figures {
    lag: i64,
    ready: i64,
    inflight: i64,
    /// Store time of the oldest message not yet committed, if any.
    oldest_unconsumed: Option<i64>,
    /// Store time of the oldest message not yet pulled, if any.
    oldest_unpulled: Option<i64>,
}

fn min_time(current: Option<i64>, candidate: Option<i64>) -> Option<i64> {
    match (current, candidate.filter(|t| *t > 0)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `File.getTotalSpace() - File.getFreeSpace()` of the store root, as
/// `DefaultStoreMetricsManager` measures storage size.
fn used_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain old data; all-zero is a valid value.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a valid
    // out-pointer for the duration of the call.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    let block = stat.f_frsize as u64;
    let total = stat.f_blocks as u64 * block;
    let free = stat.f_bfree as u64 * block;
    (total > 0).then(|| total.saturating_sub(free))
}

impl Collector for ScrapeCollector {
    fn desc(&self) -> Vec<&Desc> {
        let gauges = self.gauges().into_iter().flat_map(|g| g.desc());
        let counters = self.counters().into_iter().flat_map(|c| c.desc());
        gauges.chain(counters).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _scrape = self.scrape.lock();
        for family in self.gauges() {
            family.reset();
        }
        for family in self.counters() {
            family.reset();
        }
        self.fill();
        let gauges = self.gauges().into_iter().flat_map(|g| g.collect());
        let counters = self.counters().into_iter().flat_map(|c| c.collect());
        gauges.chain(counters).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_time_ignores_unknown_and_zero() {
        assert_eq!(min_time(None, None), None);
        assert_eq!(min_time(None, Some(5)), Some(5));
        assert_eq!(min_time(Some(7), Some(5)), Some(5));
        assert_eq!(min_time(Some(3), Some(5)), Some(3));
        assert_eq!(min_time(Some(3), Some(0)), Some(3));
        assert_eq!(min_time(None, Some(-1)), None);
    }

    #[test]
    fn storage_size_reads_the_file_system() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(used_bytes(dir.path()).is_some_and(|used| used > 0));
        assert_eq!(used_bytes(&dir.path().join("missing")), None);
    }
}
