//! CONSUMER_SEND_MSG_BACK: a consumer hands back a message it failed to
//! consume; it is stored again for the group's `%RETRY%` topic (after a
//! delay) or, past the group's attempts, in its `%DLQ%` topic. Java's
//! `AbstractSendMessageProcessor.consumerSendMsgBack`.

use std::borrow::Cow;

use plugin_api::sdk::message::{decode_record, properties as prop, RecordRead};
use plugin_api::sdk::topics::{self, perm};
use plugin_api::sdk::{MessageToPut, ProcessError, PutStatus, Request, Response, ResponseCode};

use crate::answer::send_back_response;
use crate::destination::new_topic;
use crate::SendPlugin;

impl SendPlugin {
    /// Reads the message at the header's commit-log `offset` and stores it
    /// again, one delivery attempt more, for `group`'s retry topic with
    /// `delayLevel` (0 = `3 + attempts`), or in its dead-letter topic queue 0
    /// when the attempts are used up or `delayLevel < 0`.
    pub(crate) fn send_back(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let offset: i64 = request.required("offset")?;
        let group: String = request.required("group")?;
        let delay_level: i32 = request.required("delayLevel")?;
        let header_max: Option<i32> = request.optional("maxReconsumeTimes")?;

        let group_config = self.group_or_error(&group)?;
        if !perm::is_writeable(self.settings.broker_permission) {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!(
                    "the broker[{}] sending message is forbidden",
                    self.host.identity().broker_name
                ),
            ));
        }
        if group_config.retry_queue_nums <= 0 {
            return Ok(Response::success());
        }
        let retry_topic = self.host.topics().create_topic_if_absent(&new_topic(
            &topics::retry_topic(&group),
            group_config.retry_queue_nums,
            perm::READ | perm::WRITE,
        ));
        if !perm::is_writeable(retry_topic.perm) {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!(
                    "the topic[{}] sending message is forbidden",
                    retry_topic.topic_name
                ),
            ));
        }

        let lookup_failed = || {
            ProcessError::respond(
                ResponseCode::SYSTEM_ERROR,
                format!("look message by offset failed, {offset}"),
            )
        };
        let raw = self
            .host
            .store()
            .message_by_offset(offset)
            .ok_or_else(lookup_failed)?;
        let RecordRead::Message(original, _) = decode_record(&raw, false) else {
            return Err(lookup_failed());
        };

        let mut properties = original.properties_map();
        if properties.get(prop::RETRY_TOPIC).is_none() {
            properties.insert(prop::RETRY_TOPIC, original.topic.clone());
        }
        properties.insert(prop::WAIT, "false");
        let max_reconsume = self.max_reconsume_times(request, header_max, &group_config);
        let reconsume_times = original.header.reconsume_times;
        // A queue of the group's retryQueueNums; the dead-letter topic has
        // one queue (Java's randomQueueId(DLQ_NUMS_PER_GROUP)).
        let (mut topic, mut queue_id) = (
            retry_topic.topic_name,
            self.random_queue(group_config.retry_queue_nums),
        );
        let mut delay = delay_level;
        if reconsume_times >= max_reconsume || delay_level < 0 {
            topic = self.ensure_dlq_topic(&group).topic_name;
            queue_id = 0;
            delay = 0;
        } else if delay == 0 {
            delay = 3 + reconsume_times;
        }
        // The first origin is the stored message's own (offset) id; the
        // request's originMsgId is not read, as in Java.
        if properties
            .get(prop::ORIGIN_MESSAGE_ID)
            .is_none_or(|id| id.trim().is_empty())
        {
            properties.insert(prop::ORIGIN_MESSAGE_ID, original.offset_msg_id());
        }
        // Java's setDelayTimeLevel: 0 for the dead-letter topic.
        properties.insert(prop::DELAY, delay.to_string());
        let (topic, queue_id) = self.apply_delay(&mut properties, Cow::Owned(topic), queue_id);
        // `incSendBackNums(group, backTopic)`: the original's RETRY_TOPIC,
        // else its topic (set above).
        let back_topic = properties
            .get(prop::RETRY_TOPIC)
            .map(str::to_owned)
            .unwrap_or_else(|| original.topic.clone());
        let encoded = properties.encode();
        let born_host = original.header.born_host.to_string();
        let result = self.host.store().put_message(&MessageToPut {
            topic: &topic,
            queue_id,
            flag: original.header.flag,
            sys_flag: original.header.sys_flag,
            born_timestamp: original.header.born_timestamp,
            born_host: &born_host,
            body: &original.body,
            properties: &encoded,
            reconsume_times: reconsume_times + 1,
            prepared_transaction_offset: 0,
            wait_store: false,
        });
        if result.status == PutStatus::PutOk {
            // Broker stats (ABI 1.2); an older broker keeps none.
            if let Ok(ops) = self.host.operations() {
                ops.record_send_back(&group, &back_topic);
            }
        }
        Ok(send_back_response(&result))
    }
}
