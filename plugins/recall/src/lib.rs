//! RECALL_MESSAGE (370), following Apache RocketMQ 5.3.x's
//! `RecallMessageProcessor`.
//!
//! A timer message's send answer carries a `recallHandle`
//! (`RecallMessageHandle`: base64 of `v1 topic brokerName timestamp
//! messageId`, the timestamp being its delivery time + 1). Recalling it
//! parks a delete message in the timer topic for the same delivery time,
//! with `TIMER_DEL_UNIQKEY` = `<topic>+<messageId>`, as Java's
//! `buildMessage` and `HookUtils.transformTimerMessage` make it; when that
//! time comes the host's timer service (`broker-host/src/timer.rs`) drops
//! the message the key names instead of delivering it, and never delivers
//! the delete message itself.
//!
//! As in Java, the broker does not look for the message: a handle whose
//! time has passed (the message was delivered) is refused with
//! `recall failed, timestamp invalid`, and a well-formed handle of a
//! message that never existed is answered SUCCESS (the delete message
//! cancels nothing).

#[cfg(test)]
mod tests;

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::message::{now_millis, properties as prop, Properties, RecallHandle};
use plugin_api::sdk::topics::{perm, TIMER_TOPIC};
use plugin_api::sdk::{
    Host, MessageToPut, NoSettings, Outcome, Plugin, ProcessError, Processor, PutStatus, Request,
    Response, ResponseCode, StartError,
};

/// `RecallMessageProcessor.RECALL_MESSAGE_TAG`.
pub const RECALL_MESSAGE_TAG: &str = "_RECALL_TAG_";

/// The broker configuration recall reads, once, at start.
#[derive(Debug, Clone)]
struct Settings {
    region_id: String,
    broker_name: String,
    broker_permission: i32,
    slave: bool,
    recall_message_enable: bool,
    allow_recall_when_broker_not_writeable: bool,
    start_accept_send_request_time_stamp: i64,
    timer_wheel_enable: bool,
    timer_max_delay_sec: i64,
    timer_precision_ms: i64,
}

/// The recall processor.
pub struct RecallPlugin {
    host: Host,
    settings: Settings,
}

impl Plugin for RecallPlugin {
    const NAME: &'static str = "recall";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[request_code::RECALL_MESSAGE];
    /// Everything the plugin reads is broker configuration.
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let identity = host.identity();
        let settings = Settings {
            region_id: host
                .config()
                .value("regionId")
                .unwrap_or_else(|| "DefaultRegion".into()),
            broker_name: identity.broker_name,
            broker_permission: identity.broker_permission,
            slave: host
                .config()
                .value("brokerRole")
                .is_some_and(|role| role.eq_ignore_ascii_case("SLAVE")),
            recall_message_enable: host.config_or("recallMessageEnable", false),
            allow_recall_when_broker_not_writeable: host
                .config_or("allowRecallWhenBrokerNotWriteable", true),
            start_accept_send_request_time_stamp: host
                .config_or("startAcceptSendRequestTimeStamp", 0),
            timer_wheel_enable: host.config_or("timerWheelEnable", true),
            timer_max_delay_sec: host.config_or("timerMaxDelaySec", 3 * 24 * 3600),
            timer_precision_ms: timer_precision(host.config_or("timerPrecisionMs", 1000)),
        };
        Ok(RecallPlugin { host, settings })
    }
}

impl Processor for RecallPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        // RecallMessageRequestHeader: a missing field is answered as Java's
        // header decoding answers it.
        let topic: String = request.required("topic")?;
        let handle: String = request.required("recallHandle")?;
        let producer_group: Option<String> = request.optional("producerGroup")?;
        let response = self
            .recall(
                request,
                &topic,
                &handle,
                producer_group.as_deref(),
                now_millis(),
            )
            .unwrap_or_else(ProcessError::into_response);
        // Java's response carries MSG_REGION from the start.
        Ok(response
            .with_text(prop::MSG_REGION, &self.settings.region_id)
            .into())
    }
}

fn refuse(code: ResponseCode, remark: &str) -> ProcessError {
    ProcessError::respond(code, remark)
}

const NOT_AVAILABLE: &str = "recall failed, broker service not available";

impl RecallPlugin {
    /// `processRequest` after the header is decoded.
    fn recall(
        &self,
        request: &Request<'_>,
        topic: &str,
        handle: &str,
        producer_group: Option<&str>,
        now: i64,
    ) -> Result<Response, ProcessError> {
        let settings = &self.settings;
        if !settings.recall_message_enable {
            return Err(refuse(
                ResponseCode::NO_PERMISSION,
                "recall failed, operation is forbidden",
            ));
        }
        if settings.slave {
            return Err(refuse(ResponseCode::SLAVE_NOT_AVAILABLE, NOT_AVAILABLE));
        }
        if now < settings.start_accept_send_request_time_stamp {
            return Err(refuse(ResponseCode::SERVICE_NOT_AVAILABLE, NOT_AVAILABLE));
        }
        if !perm::is_writeable(settings.broker_permission)
            && !settings.allow_recall_when_broker_not_writeable
        {
            return Err(refuse(ResponseCode::SERVICE_NOT_AVAILABLE, NOT_AVAILABLE));
        }
        if self.host.topics().topic(topic).is_none() {
            return Err(ProcessError::respond(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("recall failed, the topic[{topic}] not exist"),
            ));
        }
        let handle = RecallHandle::decode(handle).map_err(|error| {
            ProcessError::respond(ResponseCode::ILLEGAL_OPERATION, error.to_string())
        })?;
        if handle.topic != topic {
            return Err(refuse(
                ResponseCode::ILLEGAL_OPERATION,
                "recall failed, topic not match",
            ));
        }
        if handle.broker_name != settings.broker_name {
            return Err(refuse(ResponseCode::ILLEGAL_OPERATION, NOT_AVAILABLE));
        }
        // NumberUtils.toLong(timestampStr, -1).
        let timestamp: i64 = handle.timestamp.parse().unwrap_or(-1);
        let time_left = timestamp.saturating_sub(now);
        if time_left <= 0 || time_left >= settings.timer_max_delay_sec.saturating_mul(1000) {
            return Err(refuse(
                ResponseCode::ILLEGAL_OPERATION,
                "recall failed, timestamp invalid",
            ));
        }
        self.put_delete_message(request, &handle, timestamp, producer_group, now)
    }

    /// `buildMessage`, parked by `HookUtils.transformTimerMessage`, and
    /// `handlePutMessageResult`.
    fn put_delete_message(
        &self,
        request: &Request<'_>,
        handle: &RecallHandle,
        timestamp: i64,
        producer_group: Option<&str>,
        now: i64,
    ) -> Result<Response, ProcessError> {
        let execute_error = || refuse(ResponseCode::SYSTEM_ERROR, "recall failed, execute error");
        if !self.settings.timer_wheel_enable {
            // WHEEL_TIMER_NOT_ENABLE from the put hook.
            return Err(execute_error());
        }
        let delete_key = format!("{}+{}", handle.topic, handle.message_id);
        let mut properties = Properties::new();
        properties.insert(prop::TAGS, RECALL_MESSAGE_TAG);
        properties.insert(prop::TIMER_DEL_UNIQKEY, delete_key.as_str());
        properties.insert(prop::UNIQ_KEY, handle.message_id.as_str());
        properties.insert(prop::TIMER_DELIVER_MS, handle.timestamp.as_str());
        properties.insert(BORN_TIMESTAMP, now.to_string());
        properties.insert(TRACE_CONTEXT, "");
        if let Some(group) = producer_group {
            properties.insert(prop::PGROUP, group);
        }
        let deliver_ms = round_to_precision(timestamp, self.settings.timer_precision_ms);
        properties.insert(prop::TIMER_OUT_MS, deliver_ms.to_string());
        properties.insert(prop::REAL_TOPIC, handle.topic.as_str());
        properties.insert(prop::REAL_QID, "0");
        let encoded = properties.encode();
        let put = self.host.store().put_message(&MessageToPut {
            topic: TIMER_TOPIC,
            queue_id: 0,
            flag: 0,
            sys_flag: 0,
            born_timestamp: now,
            born_host: request.remote_addr(),
            body: b"0",
            properties: &encoded,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: true,
        });
        match put.status {
            PutStatus::PutOk
            | PutStatus::FlushDiskTimeout
            | PutStatus::FlushSlaveTimeout
            | PutStatus::SlaveNotAvailable => Ok(Response::success()
                .with_text("msgId", &handle.message_id)
                // Under SYNC_FLUSH the answer waits until the delete
                // message is durable, as Java's blocking put does.
                .when_durable(put.flush_ticket)),
            failed => {
                self.host.warn(&format!(
                    "recall of {} failed: the store answered {}",
                    handle.message_id,
                    failed.name()
                ));
                Err(execute_error())
            }
        }
    }
}

/// `MessageConst.PROPERTY_BORN_TIMESTAMP`.
const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// `MessageConst.PROPERTY_TRACE_CONTEXT`.
const TRACE_CONTEXT: &str = "TRACE_CONTEXT";

/// `HookUtils.transformTimerMessage`'s rounding: down to the precision, one
/// step earlier when exact.
fn round_to_precision(deliver_ms: i64, precision: i64) -> i64 {
    if deliver_ms % precision == 0 {
        deliver_ms - precision
    } else {
        deliver_ms / precision * precision
    }
}

/// `timerPrecisionMs` as the timer store takes it: 100, 200, 500 or 1000.
fn timer_precision(configured: i64) -> i64 {
    [1000, 500, 200]
        .into_iter()
        .find(|&candidate| configured >= candidate)
        .unwrap_or(100)
}

plugin_api::export_plugin!(RecallPlugin);
