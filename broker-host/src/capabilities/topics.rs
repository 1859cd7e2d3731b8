//! Topics and subscription groups, over the host's `topics.json` and
//! `subscriptionGroup.json` managers.

use plugin_api::sdk::{HostError, MetadataTable, SubscriptionGroup, TopicConfig, TopicsAndGroups};

use super::BrokerServices;
use crate::metadata::{self, MetadataStore, SubscriptionGroupConfig, TopicFilterType};

fn topic_to_sdk(config: &metadata::TopicConfig) -> TopicConfig {
    TopicConfig {
        topic_name: config.topic_name.clone(),
        read_queue_nums: config.read_queue_nums,
        write_queue_nums: config.write_queue_nums,
        perm: config.perm,
        topic_filter_type: match config.topic_filter_type {
            TopicFilterType::SingleTag => 0,
            TopicFilterType::MultiTag => 1,
        },
        topic_sys_flag: config.topic_sys_flag,
        order: config.order,
    }
}

fn topic_from_sdk(config: &TopicConfig) -> metadata::TopicConfig {
    let mut topic = metadata::TopicConfig::new(config.topic_name.as_str());
    topic.read_queue_nums = config.read_queue_nums;
    topic.write_queue_nums = config.write_queue_nums;
    topic.perm = config.perm;
    topic.topic_filter_type = if config.topic_filter_type == 1 {
        TopicFilterType::MultiTag
    } else {
        TopicFilterType::SingleTag
    };
    topic.topic_sys_flag = config.topic_sys_flag;
    topic.order = config.order;
    topic
}

fn group_to_sdk(group: &SubscriptionGroupConfig) -> SubscriptionGroup {
    SubscriptionGroup {
        group_name: group.group_name.clone(),
        consume_enable: group.consume_enable,
        consume_from_min_enable: group.consume_from_min_enable,
        consume_broadcast_enable: group.consume_broadcast_enable,
        consume_message_orderly: group.consume_message_orderly,
        retry_queue_nums: group.retry_queue_nums,
        retry_max_times: group.retry_max_times,
        broker_id: group.broker_id,
        which_broker_when_consume_slowly: group.which_broker_when_consume_slowly,
        notify_consumer_ids_changed_enable: group.notify_consumer_ids_changed_enable,
        group_sys_flag: group.group_sys_flag,
    }
}

impl TopicsAndGroups for BrokerServices {
    fn topic(&self, topic: &str) -> Option<TopicConfig> {
        self.inner.metadata.topics().read(topic, topic_to_sdk)
    }

    fn all_topics(&self) -> Vec<TopicConfig> {
        self.inner
            .metadata
            .topics()
            .all()
            .iter()
            .map(topic_to_sdk)
            .collect()
    }

    fn create_topic_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        self.inner
            .metadata
            .topics()
            .create_topic_in_send_message(topic, default_topic, queue_nums, topic_sys_flag)
            .map(|config| topic_to_sdk(&config))
    }

    fn create_topic_if_absent(&self, config: &TopicConfig) -> TopicConfig {
        topic_to_sdk(
            &self
                .inner
                .metadata
                .topics()
                .create_topic_if_absent(topic_from_sdk(config)),
        )
    }

    fn is_system_topic(&self, topic: &str) -> bool {
        self.inner.metadata.topics().is_system_topic(topic)
    }

    fn update_topic(
        &self,
        config: &TopicConfig,
        attributes: &[(String, String)],
    ) -> Result<(), HostError> {
        let topics = self.inner.metadata.topics();
        let mut topic = topic_from_sdk(config);
        topic.attributes = if attributes.is_empty() {
            // Java's alterCurrentAttributes keeps the current attributes
            // when the request modifies none.
            topics
                .get(&topic.topic_name)
                .map(|current| current.attributes)
                .unwrap_or_default()
        } else {
            attributes.iter().cloned().collect()
        };
        topics
            .update_topic_config(topic)
            .map_err(|error| HostError::Refused(error.to_string()))
    }

    fn delete_topic(&self, topic: &str) -> bool {
        let metadata = &self.inner.metadata;
        let existed = metadata.topics().delete_topic(topic).is_some();
        metadata.consumer_offsets().clean_offset_by_topic(topic);
        if let Some(store) = self.store() {
            store.delete_topic(topic);
        }
        self.inner.stats.on_topic_deleted(topic);
        existed
    }

    fn subscription_group(&self, group: &str, auto_create: bool) -> Option<SubscriptionGroup> {
        self.inner
            .metadata
            .subscription_groups()
            .find_subscription_group(group, auto_create)
            .map(|group| group_to_sdk(&group))
    }

    fn forbidden(&self, group: &str, topic: &str) -> i32 {
        self.inner
            .metadata
            .subscription_groups()
            .forbidden(group, topic)
    }

    fn update_subscription_group(&self, config_json: &[u8]) -> Result<(), HostError> {
        update_subscription_group(&self.inner.metadata, config_json).map_err(HostError::Refused)
    }

    fn metadata_json(&self, table: MetadataTable) -> String {
        let metadata = &self.inner.metadata;
        match table {
            MetadataTable::TopicConfigWrapper => {
                let (topics, version) = metadata.topics().snapshot();
                crate::namesrv::registration::topic_config_wrapper(topics, version, None)
                    .to_compact()
            }
            MetadataTable::SubscriptionGroupWrapper => metadata.subscription_groups().encode(false),
            MetadataTable::ConsumerOffsets => metadata.consumer_offsets().encode(false),
        }
    }
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on the host: the body is read
/// leniently (fastjson-written JSON), the group name taken as it is (Java
/// 5.3.3's `updateSubscriptionGroupConfig` checks none), and a request
/// without attributes keeps the group's current ones (Java's
/// `alterCurrentAttributes`).
fn update_subscription_group(metadata: &MetadataStore, body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("the SubscriptionGroupConfig body is not UTF-8: {e}"))?;
    let value = crate::metadata::json::parse(text)
        .map_err(|e| format!("the SubscriptionGroupConfig body is not JSON: {e}"))?;
    let mut config: SubscriptionGroupConfig = serde_json::from_value(value)
        .map_err(|e| format!("the body is not a SubscriptionGroupConfig: {e}"))?;
    let groups = metadata.subscription_groups();
    if config.attributes.is_empty() {
        if let Some(current) = groups.get(&config.group_name) {
            config.attributes = current.attributes;
        }
    }
    groups.update(config).map_err(|e| e.to_string())
}
