//! One message: Java's `SendMessageProcessor.sendMessage`.

use std::borrow::Cow;

use plugin_api::sdk::message::{
    new_uniq_id, properties as prop, sysflag, Properties, RecallHandle,
};
use plugin_api::sdk::{MessageToPut, ProcessError, Request, Response, ResponseCode};

use crate::answer::send_response;
use crate::{SendHeader, SendPlugin};

impl SendPlugin {
    /// Checks the topic, picks the queue, rewrites the destination (retry →
    /// dead letter, timer, delay), completes the properties (trace fields,
    /// UNIQ_KEY, CLUSTER) and appends the message.
    pub(crate) fn send_one(
        &self,
        request: &Request<'_>,
        header: &SendHeader<'_>,
    ) -> Result<Response, ProcessError> {
        let topic_config = self.check_topic(header)?;
        // The answer names this queue whatever the message is redirected to.
        let chosen_queue =
            self.choose_queue(&topic_config, header.queue_id, request.remote_addr())?;
        let mut queue_id = chosen_queue;
        let mut topic = Cow::Borrowed(header.topic);
        let mut properties = Properties::parse(header.properties);
        self.settings.add_trace_properties(&mut properties);

        if let Some(dlq) = self.dead_letter_instead_of_retry(request, header)? {
            topic = Cow::Owned(dlq);
            queue_id = 0;
            properties.insert(prop::DELAY, "-1");
        }

        let mut sys_flag = header.sys_flag;
        if topic_config.topic_filter_type == 1 {
            sys_flag |= sysflag::MULTI_TAGS_FLAG;
        }
        if properties
            .get(prop::TRAN_MSG)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Err(self.transaction_refused());
        }
        if properties.get(prop::UNIQ_KEY).is_none() {
            properties.insert(prop::UNIQ_KEY, new_uniq_id());
        }
        properties.insert(prop::CLUSTER, self.settings.cluster_name.as_str());
        let (topic, queue_id) = self.apply_timer(&mut properties, topic, queue_id)?;
        let (topic, queue_id) = self.apply_delay(&mut properties, topic, queue_id);

        let encoded = properties.encode();
        let result = self.host.store().put_message(&MessageToPut {
            topic: &topic,
            queue_id,
            flag: header.flag,
            sys_flag,
            born_timestamp: header.born_timestamp,
            born_host: request.remote_addr(),
            body: request.body(),
            properties: &encoded,
            reconsume_times: header.reconsume_times,
            prepared_transaction_offset: 0,
            wait_store: wait_store(&properties),
        });
        let response = send_response(&result, chosen_queue, properties.get(prop::UNIQ_KEY));
        Ok(match self.recall_handle(&properties) {
            Some(handle) if response.field("msgId").is_some() => {
                response.with_text("recallHandle", &handle)
            }
            _ => response,
        })
    }

    /// Java's `SendMessageProcessor.attachRecallHandle`: a stored timer
    /// message (not a retry) is answered with the handle RECALL_MESSAGE
    /// takes back (its delivery time + 1, "consider of floor").
    fn recall_handle(&self, properties: &Properties<'_>) -> Option<String> {
        let timer_out_ms: i64 = properties.get(prop::TIMER_OUT_MS)?.parse().ok()?;
        let real_topic = properties.get(prop::REAL_TOPIC)?;
        if real_topic.starts_with(plugin_api::sdk::topics::RETRY_GROUP_TOPIC_PREFIX) {
            return None;
        }
        Some(RecallHandle::build(
            real_topic,
            &self.host.identity().broker_name,
            &(timer_out_ms + 1).to_string(),
            properties.get(prop::UNIQ_KEY).unwrap_or("null"),
        ))
    }

    /// Transactional (half) messages are refused: with Java's remark when
    /// the broker is configured to reject them, else saying this broker
    /// does not support them.
    fn transaction_refused(&self) -> ProcessError {
        let remark = if self.settings.reject_transaction_message {
            format!(
                "the broker[{}] sending transaction message is forbidden",
                self.host.identity().broker_name
            )
        } else {
            "transactional messages are not supported by this broker yet".to_owned()
        };
        ProcessError::respond(ResponseCode::NO_PERMISSION, remark)
    }
}

/// `WAIT` absent or "true" = answer once the message is stored (Java's
/// `MessageExt.isWaitStoreMsgOK`).
pub(crate) fn wait_store(properties: &Properties<'_>) -> bool {
    properties
        .get(prop::WAIT)
        .is_none_or(|wait| wait.eq_ignore_ascii_case("true"))
}
