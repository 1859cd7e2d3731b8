//! Broker statistics and the store operations mqadmin runs (added in plugin
//! ABI 1.2): what Java's `AdminBrokerProcessor` reads from
//! `BrokerStatsManager`, `ConsumerManager`, `ScheduleMessageService` and
//! asks of the message store.

use super::HostError;

/// One window of a stats item (`StatsSnapshot`, answered as
/// `BrokerStatsItem`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsWindow {
    /// Value added within the window.
    pub sum: i64,
    /// `sum` per second over the window.
    pub tps: f64,
    /// `sum` per call within the window.
    pub avgpt: f64,
}

/// A stats item's three windows (`BrokerStatsData`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsItemData {
    /// The last minute (sampled every 10 s).
    pub minute: StatsWindow,
    /// The last hour (sampled every 10 min).
    pub hour: StatsWindow,
    /// The last day (sampled every hour).
    pub day: StatsWindow,
}

/// Broker statistics and store operations (plugin ABI 1.2); reach it with
/// [`crate::sdk::Host::operations`].
pub trait Operations: Send + Sync {
    /// `BrokerStatsManager.getStatsItem(statsName, statsKey)`: `None` for an
    /// unknown stats name or a key never counted. Names and keys as Java's
    /// (`TOPIC_PUT_NUMS` / `topic`, `GROUP_GET_NUMS` / `topic@group`,
    /// `BROKER_PUT_NUMS` / cluster name, ...).
    fn stats_item(&self, stats_name: &str, stats_key: &str) -> Option<StatsItemData>;

    /// The groups that consume `topic`: online consumers subscribed to it
    /// (`ConsumerManager.queryTopicConsumeByWho`) and groups with committed
    /// offsets in it (`ConsumerOffsetManager.whichGroupByTopic`), sorted.
    fn topic_consumed_by(&self, topic: &str) -> Vec<String>;

    /// `ScheduleMessageService.encode()`: the `delayOffset.json` content
    /// (`{"dataVersion":…,"offsetTable":{level:offset}}`).
    fn delay_offsets_json(&self) -> String;

    /// `MessageStore.cleanExpiredConsumerQueue()`: destroys the consume
    /// queues (not of system topics) whose every entry points below the
    /// commit log's first offset. Returns how many queues were destroyed.
    fn clean_expired_consume_queues(&self) -> Result<usize, HostError>;

    /// `MessageStore.cleanUnusedTopic(topicConfigTable.keySet())`: deletes
    /// the consume queues of topics the broker has no config for (system
    /// topics and LMQ topics kept). Returns how many queues were deleted.
    fn clean_unused_topics(&self) -> Result<usize, HostError>;

    /// `BrokerStatsManager.incSendBackNums(group, topic)`: a message of
    /// `topic` that `group` sent back (CONSUMER_SEND_MSG_BACK) was stored
    /// (`SNDBCK_PUT_NUMS`, key `topic@group`).
    fn record_send_back(&self, group: &str, topic: &str);
}
