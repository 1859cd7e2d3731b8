//! Where a send goes: the topic check (with auto-creation) of Java's
//! `AbstractSendMessageProcessor.msgCheck`, and the queue choice of
//! `SendMessageProcessor.sendMessage`.

use std::sync::atomic::Ordering;

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::topics::{self, perm};
use plugin_api::sdk::{ProcessError, ResponseCode, TopicConfig};

use crate::{SendHeader, SendPlugin};

impl SendPlugin {
    /// The topic's config after Java's `msgCheck`: its name is valid, it
    /// may be sent to, and it exists (created from the header's default
    /// topic when that allows it, or, for a `%RETRY%` topic, with one queue).
    pub(crate) fn check_topic(&self, header: &SendHeader<'_>) -> Result<TopicConfig, ProcessError> {
        topics::validate_topic_name(header.topic)
            .map_err(|remark| ProcessError::respond(ResponseCode::INVALID_PARAMETER, remark))?;
        if topics::is_not_allowed_send_topic(header.topic) {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!("Sending message to topic[{}] is forbidden.", header.topic),
            ));
        }
        let host_topics = self.host.topics();
        let config = match host_topics.topic(header.topic) {
            Some(config) => config,
            None => match host_topics.create_topic_in_send(
                header.topic,
                header.default_topic,
                header.default_topic_queue_nums,
                0,
            ) {
                Some(config) => config,
                None if header.topic.starts_with(topics::RETRY_GROUP_TOPIC_PREFIX) => host_topics
                    .create_topic_if_absent(&new_topic(header.topic, 1, perm::READ | perm::WRITE)),
                None => {
                    return Err(ProcessError::respond(
                        ResponseCode::TOPIC_NOT_EXIST,
                        format!(
                            "topic[{}] not exist, apply first please!{FAQ_SUGGESTION}",
                            header.topic
                        ),
                    ))
                }
            },
        };
        if !perm::is_writeable(self.settings.broker_permission) && config.order {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!(
                    "the broker[{}] sending message is forbidden",
                    self.host.identity().broker_name
                ),
            ));
        }
        // Java's msgCheck does not look at the topic's own permission.
        Ok(config)
    }

    /// The queue a send goes to: the header's if the topic has it, a
    /// round-robin writable one for `queueId < 0`.
    pub(crate) fn choose_queue(
        &self,
        config: &TopicConfig,
        queue_id: i32,
        producer: &str,
    ) -> Result<i32, ProcessError> {
        let limit = config.write_queue_nums.max(config.read_queue_nums);
        if queue_id >= limit {
            return Err(ProcessError::respond(
                ResponseCode::INVALID_PARAMETER,
                format!(
                    "request queueId[{queue_id}] is illegal, {} Producer: {producer}",
                    topic_summary(config),
                ),
            ));
        }
        if queue_id < 0 {
            return Ok(self.random_queue(config.write_queue_nums));
        }
        Ok(queue_id)
    }

    /// One of `queues` queues (Java's `randomQueueId`), taken round-robin.
    pub(crate) fn random_queue(&self, queues: i32) -> i32 {
        let queues = queues.max(1) as u32;
        (self.next_queue.fetch_add(1, Ordering::Relaxed) % queues) as i32
    }
}

/// A topic with `queues` read and write queues and `perm`, as the send path
/// creates retry and dead-letter topics.
pub(crate) fn new_topic(name: &str, queues: i32, perm: i32) -> TopicConfig {
    TopicConfig {
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        ..TopicConfig::new(name)
    }
}

/// Java's `TopicConfig.toString()` (in the remark of an illegal queue id).
fn topic_summary(config: &TopicConfig) -> String {
    // The host does not hand topic attributes to plugins: written as Java
    // prints none.
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}, attributes={{}}]",
        config.topic_name,
        config.read_queue_nums,
        config.write_queue_nums,
        perm::to_flags(config.perm),
        if config.topic_filter_type == 1 { "MULTI_TAG" } else { "SINGLE_TAG" },
        config.topic_sys_flag,
        config.order
    )
}
