//! The statistics processor: GET_BROKER_STATS (9200), a request code Apache
//! RocketMQ does not use, answering what an operator asks a broker first —
//! which topics it holds, how many messages each queue keeps, how far each
//! queue has been written, when the last message arrived and, for a consumer
//! group, how far behind it is.
//!
//! A custom plugin in the sense of `docs/WRITING_PLUGINS.md`: it uses only
//! plugin-api (the host's store, topic table and consumer offsets through
//! [`Host`]), never the broker's own crates, so it can be built, loaded,
//! swapped and rolled back on its own.
//!
//! # Request
//!
//! Code 9200, every header field optional:
//!
//! | Field | Meaning |
//! |---|---|
//! | `topic` | only this topic (TOPIC_NOT_EXIST (17) if the broker lacks it) |
//! | `consumerGroup` | also report this group's committed offset and lag per queue |
//! | `includeSystemTopics` | `true` to list system topics too (default: the `include_system_topics` setting, else `false`) |
//!
//! # Response
//!
//! SUCCESS with header fields `topicCount` and `totalMessageCount`, and a
//! compact JSON body whose fields are in alphabetical order as fastjson
//! writes a Java bean:
//!
//! ```text
//! {"brokerAddr":"127.0.0.1:10911","brokerId":0,"brokerName":"broker-a",
//!  "brokerVersion":479,"clusterName":"DefaultCluster","consumerGroup":"g",
//!  "pluginVersion":"0.1.0","timestamp":1700000000000,
//!  "topics":[{"lag":1,"lastStoreTimestamp":1700000000000,"messageCount":3,
//!             "perm":6,"queues":[{"consumerOffset":2,"lag":1,
//!             "lastStoreTimestamp":1700000000000,"maxOffset":3,
//!             "messageCount":3,"minOffset":0,"queueId":0}],
//!             "readQueueNums":1,"topic":"T","writeQueueNums":1}],
//!  "totalLag":1,"totalMessageCount":3}
//! ```
//!
//! (one line on the wire). `consumerGroup`, `consumerOffset`, `lag` and
//! `totalLag` appear only when a group was asked for. Topics are sorted by
//! name. `messageCount` is `maxOffset - minOffset` (messages the queue still
//! holds); `lag` is `maxOffset - max(consumerOffset, minOffset)` (messages
//! the group has not consumed that still exist; a group that never
//! committed counts from `minOffset`); `consumerOffset` is -1 when the group
//! has committed nothing in that queue.
//!
//! # Settings
//!
//! ```toml
//! [[processor]]
//! library = "stats_plugin"
//! [processor.settings]
//! include_system_topics = false
//! ```
//!
//! An unknown setting or a value of the wrong type refuses the load (the
//! running version, if any, stays).

use std::time::{SystemTime, UNIX_EPOCH};

use abi_stable::std_types::RStr;
use plugin_api::codes::response_code;
use plugin_api::fastjson::JsonStyle;
use plugin_api::sdk::{
    BrokerIdentity, Host, Outcome, Plugin, ProcessError, Processor, Request, Response, TopicConfig,
};
use plugin_api::serde_json::Value;

/// GET_BROKER_STATS: the request code this plugin serves.
pub const GET_BROKER_STATS: i32 = 9200;

/// What the processor reads from the broker. [`Host`] implements it with the
/// host services; tests implement it over plain maps.
pub trait StatsSource: Send + Sync + 'static {
    /// The broker's identity.
    fn identity(&self) -> BrokerIdentity;
    /// Every topic's config.
    fn topics(&self) -> Vec<TopicConfig>;
    /// One topic's config.
    fn topic(&self, name: &str) -> Option<TopicConfig>;
    /// True for a system topic (`TBW102`, `SCHEDULE_TOPIC_XXXX`, `rmq_sys_*`, ...).
    fn is_system_topic(&self, name: &str) -> bool;
    /// Queue max offset (the next offset to be written).
    fn max_offset(&self, topic: &str, queue_id: i32) -> i64;
    /// Queue min offset (the oldest offset still stored).
    fn min_offset(&self, topic: &str, queue_id: i32) -> i64;
    /// Store time (ms) of the message at `offset`, or a negative number.
    fn store_time(&self, topic: &str, queue_id: i32, offset: i64) -> i64;
    /// Committed offset of `group` in the queue, or -1.
    fn consumer_offset(&self, group: &str, topic: &str, queue_id: i32) -> i64;
}

impl StatsSource for Host {
    fn identity(&self) -> BrokerIdentity {
        self.broker_identity()
    }

    fn topics(&self) -> Vec<TopicConfig> {
        self.all_topic_configs()
    }

    fn topic(&self, name: &str) -> Option<TopicConfig> {
        self.topic_config(name)
    }

    fn is_system_topic(&self, name: &str) -> bool {
        (**self).is_system_topic(RStr::from(name))
    }

    fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        (**self).max_offset(RStr::from(topic), queue_id)
    }

    fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        (**self).min_offset(RStr::from(topic), queue_id)
    }

    fn store_time(&self, topic: &str, queue_id: i32, offset: i64) -> i64 {
        self.message_store_time(RStr::from(topic), queue_id, offset)
    }

    fn consumer_offset(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        self.query_consumer_offset(RStr::from(group), RStr::from(topic), queue_id)
    }
}

/// The manifest entry's `[processor.settings]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// List system topics when the request does not say.
    pub include_system_topics: bool,
}

impl Settings {
    /// Reads the settings table; unknown keys and wrong types are refused.
    pub fn parse(settings: &Value) -> Result<Settings, String> {
        let mut parsed = Settings::default();
        let Some(table) = settings.as_object() else {
            return Err(format!(
                "stats plugin settings must be a table, got {settings}"
            ));
        };
        for (key, value) in table {
            match key.as_str() {
                "include_system_topics" => {
                    parsed.include_system_topics = value.as_bool().ok_or_else(|| {
                        format!("stats plugin setting include_system_topics must be true or false, got {value}")
                    })?;
                }
                other => {
                    return Err(format!(
                        "unknown stats plugin setting {other:?} (known: include_system_topics)"
                    ))
                }
            }
        }
        Ok(parsed)
    }
}

/// What one GET_BROKER_STATS request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Only this topic.
    pub topic: Option<String>,
    /// Also report this group's offsets and lag.
    pub consumer_group: Option<String>,
    /// List system topics too.
    pub include_system_topics: bool,
}

impl Query {
    /// Reads the request header, with `settings` as defaults.
    pub fn from_request(request: &Request<'_>, settings: &Settings) -> Result<Query, ProcessError> {
        let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        Ok(Query {
            topic: non_empty(request.optional("topic")?),
            consumer_group: non_empty(request.optional("consumerGroup")?),
            include_system_topics: request
                .optional("includeSystemTopics")?
                .unwrap_or(settings.include_system_topics),
        })
    }
}

/// One queue's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// Queue id.
    pub queue_id: i32,
    /// Oldest offset still stored.
    pub min_offset: i64,
    /// Next offset to be written.
    pub max_offset: i64,
    /// Store time (ms) of the newest message, 0 if the queue is empty.
    pub last_store_timestamp: i64,
    /// The group's committed offset (-1 = none), when a group was asked for.
    pub consumer_offset: Option<i64>,
}

impl QueueStats {
    /// Messages the queue holds.
    pub fn message_count(&self) -> i64 {
        (self.max_offset - self.min_offset).max(0)
    }

    /// Messages the group has yet to consume, when a group was asked for.
    pub fn lag(&self) -> Option<i64> {
        self.consumer_offset
            .map(|committed| (self.max_offset - committed.max(self.min_offset)).max(0))
    }
}

/// One topic's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStats {
    /// Topic name.
    pub topic: String,
    /// Readable queues.
    pub read_queue_nums: i32,
    /// Writable queues.
    pub write_queue_nums: i32,
    /// Permission bits.
    pub perm: i32,
    /// Every queue, by id.
    pub queues: Vec<QueueStats>,
}

impl TopicStats {
    /// Messages in every queue.
    pub fn message_count(&self) -> i64 {
        self.queues.iter().map(QueueStats::message_count).sum()
    }

    /// The group's lag over every queue, when a group was asked for.
    pub fn lag(&self) -> Option<i64> {
        self.queues.iter().map(QueueStats::lag).sum()
    }

    /// Newest store time over every queue (0 if all are empty).
    pub fn last_store_timestamp(&self) -> i64 {
        self.queues
            .iter()
            .map(|q| q.last_store_timestamp)
            .max()
            .unwrap_or(0)
    }
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerStats {
    /// Who answered.
    pub identity: BrokerIdentity,
    /// This plugin's version.
    pub plugin_version: String,
    /// When the figures were taken (ms since the epoch).
    pub timestamp: i64,
    /// The group asked for, if any.
    pub consumer_group: Option<String>,
    /// The topics, sorted by name.
    pub topics: Vec<TopicStats>,
}

impl BrokerStats {
    /// Messages over every listed topic.
    pub fn total_message_count(&self) -> i64 {
        self.topics.iter().map(TopicStats::message_count).sum()
    }

    /// Lag over every listed topic, when a group was asked for.
    pub fn total_lag(&self) -> Option<i64> {
        self.consumer_group
            .as_ref()
            .map(|_| self.topics.iter().filter_map(TopicStats::lag).sum())
    }

    /// The response body (compact JSON, fields in fastjson's order).
    pub fn to_json(&self) -> String {
        let mut w = Json::default();
        w.open('{');
        w.string("brokerAddr", &self.identity.broker_addr);
        w.int("brokerId", self.identity.broker_id);
        w.string("brokerName", &self.identity.broker_name);
        w.int("brokerVersion", i64::from(self.identity.version));
        w.string("clusterName", &self.identity.cluster_name);
        if let Some(group) = &self.consumer_group {
            w.string("consumerGroup", group);
        }
        w.string("pluginVersion", &self.plugin_version);
        w.int("timestamp", self.timestamp);
        w.key("topics");
        w.open('[');
        for topic in &self.topics {
            w.open('{');
            if let Some(lag) = topic.lag() {
                w.int("lag", lag);
            }
            w.int("lastStoreTimestamp", topic.last_store_timestamp());
            w.int("messageCount", topic.message_count());
            w.int("perm", i64::from(topic.perm));
            w.key("queues");
            w.open('[');
            for queue in &topic.queues {
                w.open('{');
                if let Some(offset) = queue.consumer_offset {
                    w.int("consumerOffset", offset);
                }
                if let Some(lag) = queue.lag() {
                    w.int("lag", lag);
                }
                w.int("lastStoreTimestamp", queue.last_store_timestamp);
                w.int("maxOffset", queue.max_offset);
                w.int("messageCount", queue.message_count());
                w.int("minOffset", queue.min_offset);
                w.int("queueId", i64::from(queue.queue_id));
                w.close('}');
            }
            w.close(']');
            w.int("readQueueNums", i64::from(topic.read_queue_nums));
            w.string("topic", &topic.topic);
            w.int("writeQueueNums", i64::from(topic.write_queue_nums));
            w.close('}');
        }
        w.close(']');
        if let Some(lag) = self.total_lag() {
            w.int("totalLag", lag);
        }
        w.int("totalMessageCount", self.total_message_count());
        w.close('}');
        w.out
    }
}

/// Gathers the figures `query` asks for.
pub fn collect(
    source: &impl StatsSource,
    query: &Query,
    plugin_version: &str,
) -> Result<BrokerStats, ProcessError> {
    let mut configs = match &query.topic {
        Some(name) => match source.topic(name) {
            Some(config) => vec![config],
            None => {
                return Err(ProcessError::respond(
                    response_code::TOPIC_NOT_EXIST,
                    format!("topic[{name}] not exist"),
                ))
            }
        },
        None => source
            .topics()
            .into_iter()
            .filter(|config| {
                query.include_system_topics || !source.is_system_topic(&config.topic_name)
            })
            .collect(),
    };
    configs.sort_by(|a, b| a.topic_name.as_str().cmp(b.topic_name.as_str()));
    let topics = configs
        .iter()
        .map(|config| topic_stats(source, config, query.consumer_group.as_deref()))
        .collect();
    Ok(BrokerStats {
        identity: source.identity(),
        plugin_version: plugin_version.to_owned(),
        timestamp: now_millis(),
        consumer_group: query.consumer_group.clone(),
        topics,
    })
}

fn topic_stats(source: &impl StatsSource, config: &TopicConfig, group: Option<&str>) -> TopicStats {
    let topic = config.topic_name.as_str();
    let queue_count = config.read_queue_nums.max(config.write_queue_nums).max(0);
    let queues = (0..queue_count)
        .map(|queue_id| {
            let min_offset = source.min_offset(topic, queue_id).max(0);
            let max_offset = source.max_offset(topic, queue_id).max(min_offset);
            let last_store_timestamp = if max_offset > min_offset {
                source.store_time(topic, queue_id, max_offset - 1).max(0)
            } else {
                0
            };
            QueueStats {
                queue_id,
                min_offset,
                max_offset,
                last_store_timestamp,
                consumer_offset: group
                    .map(|group| source.consumer_offset(group, topic, queue_id).max(-1)),
            }
        })
        .collect();
    TopicStats {
        topic: topic.to_owned(),
        read_queue_nums: config.read_queue_nums,
        write_queue_nums: config.write_queue_nums,
        perm: config.perm,
        queues,
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A minimal compact JSON writer (commas handled, strings escaped as fastjson does).
#[derive(Default)]
struct Json {
    out: String,
    needs_comma: bool,
}

impl Json {
    fn open(&mut self, bracket: char) {
        self.comma();
        self.out.push(bracket);
        self.needs_comma = false;
    }

    fn close(&mut self, bracket: char) {
        self.out.push(bracket);
        self.needs_comma = true;
    }

    fn comma(&mut self) {
        if self.needs_comma {
            self.out.push(',');
        }
    }

    fn key(&mut self, key: &str) {
        self.comma();
        JsonStyle::Fastjson.write_str(&mut self.out, key);
        self.out.push(':');
        self.needs_comma = false;
    }

    fn int(&mut self, key: &str, value: i64) {
        self.key(key);
        self.out.push_str(&value.to_string());
        self.needs_comma = true;
    }

    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        JsonStyle::Fastjson.write_str(&mut self.out, value);
        self.needs_comma = true;
    }
}

/// The statistics processor, over the host (or, in tests, any [`StatsSource`]).
pub struct StatsPlugin<S = Host> {
    source: S,
    settings: Settings,
    log: Option<Host>,
}

impl<S: StatsSource> StatsPlugin<S> {
    /// A processor reading from `source` (tests; the broker uses [`Plugin::new`]).
    pub fn with_source(source: S, settings: Settings) -> Self {
        StatsPlugin {
            source,
            settings,
            log: None,
        }
    }
}

impl Plugin for StatsPlugin<Host> {
    const NAME: &'static str = "stats";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[GET_BROKER_STATS];

    fn new(host: Host, settings: &Value) -> Result<Self, String> {
        let settings = Settings::parse(settings)?;
        host.info(&format!(
            "broker statistics on request code {GET_BROKER_STATS} (version {}, include_system_topics = {})",
            Self::VERSION,
            settings.include_system_topics
        ));
        Ok(StatsPlugin {
            source: host.clone(),
            settings,
            log: Some(host),
        })
    }
}

impl<S: StatsSource> Processor for StatsPlugin<S> {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        if request.code() != GET_BROKER_STATS {
            return Err(ProcessError::respond(
                response_code::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {} not supported", request.code()),
            ));
        }
        let query = Query::from_request(request, &self.settings)?;
        let stats = collect(&self.source, &query, <StatsPlugin<Host> as Plugin>::VERSION)?;
        if let Some(host) = &self.log {
            host.debug(&format!(
                "GET_BROKER_STATS from {}: {} topics, {} messages",
                request.remote_addr(),
                stats.topics.len(),
                stats.total_message_count()
            ));
        }
        Ok(Response::success()
            .with_field("topicCount", stats.topics.len())
            .with_field("totalMessageCount", stats.total_message_count())
            .with_body(stats.to_json().into_bytes())
            .into())
    }
}

plugin_api::export_plugin!(StatsPlugin<Host>);

#[cfg(test)]
mod tests;
