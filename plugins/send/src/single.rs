//! One message: Java's `SendMessageProcessor.sendMessage`.

use std::borrow::Cow;

use plugin_api::sdk::message::{
    new_uniq_id, properties as prop, sysflag, transaction, Properties, RecallHandle,
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
        let mut properties = Properties::parse(header.properties_text());
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
        if properties.get(prop::UNIQ_KEY).is_none() {
            properties.insert(prop::UNIQ_KEY, new_uniq_id());
        }
        properties.insert(prop::CLUSTER, self.settings.cluster_name.as_str());
        let half = transaction::is_half_message(&properties, header.reconsume_count());
        let (topic, queue_id) = if half {
            if self.settings.reject_transaction_message {
                return Err(self.transaction_refused());
            }
            // Java's `TransactionalMessageBridge.parseHalfMessageInner`.
            // A half is never parked for a delay or timer: clients refuse
            // delayed transactional messages, and on a Java broker the delay
            // hook would overwrite REAL_TOPIC with the half topic.
            sys_flag = transaction::half_sys_flag(sys_flag);
            transaction::make_half_properties(&mut properties, topic, queue_id);
            (
                Cow::Borrowed(transaction::TRANS_HALF_TOPIC),
                transaction::HALF_QUEUE_ID,
            )
        } else {
            let (topic, queue_id) = self.apply_timer(&mut properties, topic, queue_id)?;
            self.apply_delay(&mut properties, topic, queue_id)
        };

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
            reconsume_times: header.reconsume_count(),
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

    /// A half message on a broker with `rejectTransactionMessage`: Java's
    /// answer, which names the broker's `brokerIP1`.
    fn transaction_refused(&self) -> ProcessError {
        ProcessError::respond(
            ResponseCode::NO_PERMISSION,
            format!(
                "the broker[{}] sending transaction message is forbidden",
                self.settings.broker_ip1
            ),
        )
    }
}

/// `WAIT` absent or "true" = answer once the message is stored (Java's
/// `MessageExt.isWaitStoreMsgOK`).
pub(crate) fn wait_store(properties: &Properties<'_>) -> bool {
    properties
        .get(prop::WAIT)
        .is_none_or(|wait| wait.eq_ignore_ascii_case("true"))
}
