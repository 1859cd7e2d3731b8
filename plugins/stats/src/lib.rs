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
//! running version, if any, stays): [`StatsSettings`] is read by the SDK,
//! which names the offending key.

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{
    BrokerIdentity, Deserialize, Host, Outcome, Plugin, ProcessError, Processor, Request, Response,
    ResponseCode, StartError, TopicConfig,
};

/// GET_BROKER_STATS: the request code this plugin serves.
pub const GET_BROKER_STATS: i32 = 9200;

/// The manifest entry's `[processor.settings]`; unknown keys refuse the load.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(crate = "plugin_api::sdk::serde", deny_unknown_fields)]
pub struct StatsSettings {
    /// List system topics (`TBW102`, `SCHEDULE_TOPIC_XXXX`, `rmq_sys_*`, ...)
    /// when the request does not say (`includeSystemTopics`); default `false`.
    #[serde(default)]
    pub include_system_topics: bool,
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
    pub fn from_request(
        request: &Request<'_>,
        settings: &StatsSettings,
    ) -> Result<Query, ProcessError> {
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
        let mut w = JsonWriter::new();
        w.begin_object()
            .field_str("brokerAddr", &self.identity.broker_addr)
            .field_int("brokerId", self.identity.broker_id)
            .field_str("brokerName", &self.identity.broker_name)
            .field_int("brokerVersion", i64::from(self.identity.version))
            .field_str("clusterName", &self.identity.cluster_name);
        if let Some(group) = &self.consumer_group {
            w.field_str("consumerGroup", group);
        }
        w.field_str("pluginVersion", &self.plugin_version)
            .field_int("timestamp", self.timestamp);
        w.key("topics").begin_array();
        for topic in &self.topics {
            w.begin_object();
            if let Some(lag) = topic.lag() {
                w.field_int("lag", lag);
            }
            w.field_int("lastStoreTimestamp", topic.last_store_timestamp())
                .field_int("messageCount", topic.message_count())
                .field_int("perm", i64::from(topic.perm));
            w.key("queues").begin_array();
            for queue in &topic.queues {
                w.begin_object();
                if let Some(offset) = queue.consumer_offset {
                    w.field_int("consumerOffset", offset);
                }
                if let Some(lag) = queue.lag() {
                    w.field_int("lag", lag);
                }
                w.field_int("lastStoreTimestamp", queue.last_store_timestamp)
                    .field_int("maxOffset", queue.max_offset)
                    .field_int("messageCount", queue.message_count())
                    .field_int("minOffset", queue.min_offset)
                    .field_int("queueId", i64::from(queue.queue_id))
                    .end_object();
            }
            w.end_array()
                .field_int("readQueueNums", i64::from(topic.read_queue_nums))
                .field_str("topic", &topic.topic)
                .field_int("writeQueueNums", i64::from(topic.write_queue_nums))
                .end_object();
        }
        w.end_array();
        if let Some(lag) = self.total_lag() {
            w.field_int("totalLag", lag);
        }
        w.field_int("totalMessageCount", self.total_message_count())
            .end_object();
        w.finish()
    }
}

/// Gathers the figures `query` asks for from the host's topic table, store
/// and consumer offsets.
pub fn collect(
    host: &Host,
    query: &Query,
    plugin_version: &str,
) -> Result<BrokerStats, ProcessError> {
    let topics = host.topics();
    let mut configs = match &query.topic {
        Some(name) => match topics.topic(name) {
            Some(config) => vec![config],
            None => {
                return Err(ProcessError::respond(
                    ResponseCode::TOPIC_NOT_EXIST,
                    format!("topic[{name}] not exist"),
                ))
            }
        },
        None => topics
            .all_topics()
            .into_iter()
            .filter(|config| {
                query.include_system_topics || !topics.is_system_topic(&config.topic_name)
            })
            .collect(),
    };
    configs.sort_by(|a, b| a.topic_name.as_str().cmp(b.topic_name.as_str()));
    let topics = configs
        .iter()
        .map(|config| topic_stats(host, config, query.consumer_group.as_deref()))
        .collect();
    Ok(BrokerStats {
        identity: host.identity(),
        plugin_version: plugin_version.to_owned(),
        timestamp: now_millis(),
        consumer_group: query.consumer_group.clone(),
        topics,
    })
}

fn topic_stats(host: &Host, config: &TopicConfig, group: Option<&str>) -> TopicStats {
    let topic = config.topic_name.as_str();
    let store = host.store();
    let queue_count = config.read_queue_nums.max(config.write_queue_nums).max(0);
    let queues = (0..queue_count)
        .map(|queue_id| {
            let min_offset = store.min_offset(topic, queue_id).max(0);
            let max_offset = store.max_offset(topic, queue_id).max(min_offset);
            let last_store_timestamp = if max_offset > min_offset {
                store
                    .message_store_time(topic, queue_id, max_offset - 1)
                    .map_or(0, |timestamp| timestamp.max(0))
            } else {
                0
            };
            QueueStats {
                queue_id,
                min_offset,
                max_offset,
                last_store_timestamp,
                consumer_offset: group
                    .map(|group| host.offsets().query(group, topic, queue_id).unwrap_or(-1)),
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

use plugin_api::sdk::message::now_millis;

/// The statistics processor.
pub struct StatsPlugin {
    host: Host,
    settings: StatsSettings,
}

impl Plugin for StatsPlugin {
    const NAME: &'static str = "stats";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[GET_BROKER_STATS];
    type Settings = StatsSettings;

    fn new(host: Host, settings: StatsSettings) -> Result<Self, StartError> {
        host.info(&format!(
            "broker statistics on request code {GET_BROKER_STATS} (version {}, include_system_topics = {})",
            Self::VERSION,
            settings.include_system_topics
        ));
        Ok(StatsPlugin { host, settings })
    }
}

impl Processor for StatsPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        if request.code() != GET_BROKER_STATS {
            return Err(ProcessError::respond(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {} not supported", request.code()),
            ));
        }
        let query = Query::from_request(request, &self.settings)?;
        let stats = collect(&self.host, &query, Self::VERSION)?;
        self.host.debug(&format!(
            "GET_BROKER_STATS from {}: {} topics, {} messages",
            request.remote_addr(),
            stats.topics.len(),
            stats.total_message_count()
        ));
        Ok(Response::success()
            .with_field("topicCount", stats.topics.len())
            .with_field("totalMessageCount", stats.total_message_count())
            .with_body(stats.to_json().into_bytes())
            .into())
    }
}

plugin_api::export_plugin!(StatsPlugin);

#[cfg(test)]
mod tests;
