//! Topics and subscription groups (RocketMQ `TopicConfigManager`,
//! `SubscriptionGroupManager`).

use super::HostError;

/// One topic's configuration, as in `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// Topic name.
    pub topic_name: String,
    /// Readable queues.
    pub read_queue_nums: i32,
    /// Writable queues.
    pub write_queue_nums: i32,
    /// Permission bits (PRIORITY 8, READ 4, WRITE 2, INHERIT 1).
    pub perm: i32,
    /// `SINGLE_TAG` = 0, `MULTI_TAG` = 1.
    pub topic_filter_type: u8,
    /// Topic system flag bits.
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
}

impl TopicConfig {
    /// A topic with RocketMQ's defaults: 16 read and write queues, perm RW (6).
    pub fn new(topic_name: impl Into<String>) -> Self {
        TopicConfig {
            topic_name: topic_name.into(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            perm: 6,
            topic_filter_type: 0,
            topic_sys_flag: 0,
            order: false,
        }
    }
}

/// A subscription group's config (`subscriptionGroup.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionGroup {
    /// Group.
    pub group_name: String,
    /// Consumption allowed.
    pub consume_enable: bool,
    /// Start from min offset on first boot.
    pub consume_from_min_enable: bool,
    /// Broadcasting allowed.
    pub consume_broadcast_enable: bool,
    /// Orderly consumption.
    pub consume_message_orderly: bool,
    /// Retry topic queues.
    pub retry_queue_nums: i32,
    /// Max redeliveries before DLQ.
    pub retry_max_times: i32,
    /// Broker to pull from.
    pub broker_id: i64,
    /// Broker to pull from when slow.
    pub which_broker_when_consume_slowly: i64,
    /// Notify members on changes.
    pub notify_consumer_ids_changed_enable: bool,
    /// Group sysflag.
    pub group_sys_flag: i32,
}

impl SubscriptionGroup {
    /// A group with RocketMQ's defaults (`SubscriptionGroupConfig`'s).
    pub fn new(group_name: impl Into<String>) -> Self {
        SubscriptionGroup {
            group_name: group_name.into(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            consume_message_orderly: false,
            retry_queue_nums: 1,
            retry_max_times: 16,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
            group_sys_flag: 0,
        }
    }
}

/// The metadata tables the admin codes answer with, as compact fastjson text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataTable {
    /// `TopicConfigAndMappingSerializeWrapper` (GET_ALL_TOPIC_CONFIG, 21).
    TopicConfigWrapper,
    /// `SubscriptionGroupWrapper` (GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 201).
    SubscriptionGroupWrapper,
    /// `ConsumerOffsetManager.encode()` (GET_ALL_CONSUMER_OFFSET, 43).
    ConsumerOffsets,
}

/// Topics and subscription groups, kept and persisted by the host.
pub trait TopicsAndGroups: Send + Sync {
    /// One topic's config, if the broker has the topic.
    fn topic(&self, topic: &str) -> Option<TopicConfig>;

    /// Every topic's config.
    fn all_topics(&self) -> Vec<TopicConfig>;

    /// RocketMQ's `createTopicInSendMessageMethod`: creates `topic` from
    /// `default_topic` when that exists with INHERIT; persisted, routable at once.
    fn create_topic_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig>;

    /// Creates a topic with this config unless it exists; returns the current config.
    fn create_topic_if_absent(&self, config: &TopicConfig) -> TopicConfig;

    /// True for a system topic (`TopicValidator.isSystemTopic`).
    fn is_system_topic(&self, topic: &str) -> bool;

    /// UPDATE_AND_CREATE_TOPIC: creates or replaces the topic, bumps the
    /// topic table's DataVersion and persists it. `attributes` are the
    /// request's `+key`=value / `-key` modifications (none = keep the
    /// current ones). `Err` carries the remark.
    fn update_topic(
        &self,
        config: &TopicConfig,
        attributes: &[(String, String)],
    ) -> Result<(), HostError>;

    /// DELETE_TOPIC_IN_BROKER: removes the topic's config and every consumer
    /// offset in it. False if it did not exist.
    fn delete_topic(&self, topic: &str) -> bool;

    /// A subscription group's config, auto-created with defaults when
    /// `auto_create` and the broker allows it (`autoCreateSubscriptionGroup`).
    fn subscription_group(&self, group: &str, auto_create: bool) -> Option<SubscriptionGroup>;

    /// The forbidden bits of `group` for `topic` (5.x `getForbidden`; bit 4
    /// forbids pulling), 0 if none.
    fn forbidden(&self, group: &str, topic: &str) -> i32;

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: creates or replaces the group
    /// described by `config_json` (a `SubscriptionGroupConfig` body as the
    /// request carries it), persisted. `Err` carries the remark.
    fn update_subscription_group(&self, config_json: &[u8]) -> Result<(), HostError>;

    /// A metadata table in the compact fastjson text the admin codes answer with.
    fn metadata_json(&self, table: MetadataTable) -> String;
}
