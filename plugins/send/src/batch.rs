//! A batch of messages appended as one unit: Java's
//! `SendMessageProcessor.sendBatchMessage`.

use plugin_api::sdk::message::{decode_batch_body, properties as prop, sysflag, Properties};
use plugin_api::sdk::{
    topics, BatchEntry, BatchToPut, ProcessError, Request, Response, ResponseCode,
};

use crate::answer::send_response;
use crate::single::wait_store;
use crate::{SendHeader, SendPlugin};

impl SendPlugin {
    /// Checks the topic and the batch (no retry topic, no transaction, no
    /// delay level), then appends its messages, each with its own
    /// properties followed by the batch's.
    pub(crate) fn send_batch(
        &self,
        request: &Request<'_>,
        header: &SendHeader<'_>,
    ) -> Result<Response, ProcessError> {
        let topic_config = self.check_topic(header)?;
        let queue_id = self.choose_queue(&topic_config, header.queue_id, request.remote_addr())?;
        if header.topic.len() > topics::TOPIC_MAX_LENGTH {
            return Err(ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                format!("message topic length too long {}", header.topic.len()),
            ));
        }
        if header.topic.starts_with(topics::RETRY_GROUP_TOPIC_PREFIX) {
            return Err(ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                format!(
                    "batch request does not support retry group {}",
                    header.topic
                ),
            ));
        }
        if header.sys_flag & sysflag::TRANSACTION_TYPE_MASK != 0 {
            return Err(ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                "batch message does not support transaction",
            ));
        }
        let mut batch_properties = Properties::parse(header.properties_text());
        if batch_properties
            .get(prop::DELAY)
            .and_then(|level| level.parse::<i32>().ok())
            .is_some_and(|level| level > 0)
        {
            return Err(ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                "batch message does not support delay level",
            ));
        }
        self.settings.add_trace_properties(&mut batch_properties);
        batch_properties.insert(prop::CLUSTER, self.settings.cluster_name.as_str());
        let batch_suffix = batch_properties.encode();

        let entries = decode_batch_body(request.body()).map_err(|error| {
            ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                format!("the batch body is malformed: {error}"),
            )
        })?;
        // Stored properties: the entry's own, a separator if needed, then the
        // batch-level ones (4.9 through 5.3.3 behaviour).
        let stored: Vec<String> = entries
            .iter()
            .map(|entry| {
                let mut properties =
                    String::with_capacity(entry.properties.len() + 1 + batch_suffix.len());
                properties.push_str(entry.properties);
                if !properties.is_empty() && !properties.ends_with(prop::PROPERTY_SEPARATOR) {
                    properties.push(prop::PROPERTY_SEPARATOR);
                }
                properties.push_str(&batch_suffix);
                properties
            })
            .collect();
        let put_entries: Vec<BatchEntry<'_>> = entries
            .iter()
            .zip(&stored)
            .map(|(entry, properties)| BatchEntry {
                flag: entry.flag,
                body: entry.body,
                properties,
            })
            .collect();
        let mut sys_flag = header.sys_flag;
        if topic_config.topic_filter_type == 1 {
            sys_flag |= sysflag::MULTI_TAGS_FLAG;
        }
        let result = self.host.store().put_batch(&BatchToPut {
            topic: header.topic,
            queue_id,
            sys_flag,
            born_timestamp: header.born_timestamp,
            born_host: request.remote_addr(),
            entries: &put_entries,
            reconsume_times: header.reconsume_count(),
            wait_store: wait_store(&batch_properties),
        });
        Ok(send_response(&result, queue_id, None))
    }
}
