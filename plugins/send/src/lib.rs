//! The send processor: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310),
//! SEND_BATCH_MESSAGE (320) and CONSUMER_SEND_MSG_BACK (36), following
//! RocketMQ's `SendMessageProcessor` (request-codes.md §1).
//!
//! Per request: parse the header, check the topic (auto-creating it from
//! TBW102 when allowed), rewrite retry/DLQ/delay destinations, append through
//! the host's message store, answer with the stored ids.

mod header;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering};

use abi_stable::std_types::{RSlice, RStr, RString};
use plugin_api::codec::ExtFields;
use plugin_api::codes::{request_code, response_code, FAQ_SUGGESTION};
use plugin_api::ffi::{
    FfiBatch, FfiBatchEntry, FfiMessage, FfiPutResult, FfiPutStatus, FfiSubscriptionGroup,
    FfiTopicConfig,
};
use plugin_api::message::{
    decode_batch_body, decode_record, new_uniq_id, properties as prop, sysflag, Properties,
    RecordRead,
};
use plugin_api::sdk::{Host, Outcome, Plugin, ProcessError, Processor, Request, Response};
use plugin_api::topics::{self, perm};

pub use header::SendHeader;

/// A cdylib otherwise allocates with glibc's malloc even though the host runs
/// mimalloc: a send allocates a dozen small blocks (header strings,
/// properties, the response's fields), and glibc's malloc/free were ~7% of a
/// send thread's samples. Safe across the ABI: abi_stable values free through
/// the vtable of the side that allocated them, and a loaded library is never
/// unloaded. `local_dynamic_tls` because this library is `dlopen`ed.
/// 2×64 sends, seven alternated pairs: median 148.8k vs 141.0k msgs/s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Broker versions at or above V3_4_9 send `maxReconsumeTimes` themselves.
const MAX_RECONSUME_TIMES_SINCE_VERSION: i32 = 121;

/// Settings read from the broker config once, at construction.
struct Settings {
    region_id: String,
    trace_on: String,
    cluster_name: String,
    broker_permission: i32,
    max_delay_level: i32,
    reject_transaction_message: bool,
    /// Timer messages are accepted (`timerWheelEnable`).
    timer_wheel_enable: bool,
    /// `timerPrecisionMs` (100, 200, 500 or 1000).
    timer_precision_ms: i64,
    /// `timerMaxDelaySec`.
    timer_max_delay_sec: i64,
}

/// The send processor.
pub struct SendPlugin {
    host: Host,
    settings: Settings,
    next_queue: AtomicU32,
}

impl Plugin for SendPlugin {
    const NAME: &'static str = "send";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[
        request_code::SEND_MESSAGE,
        request_code::SEND_MESSAGE_V2,
        request_code::SEND_BATCH_MESSAGE,
        request_code::CONSUMER_SEND_MSG_BACK,
    ];

    fn new(host: Host, _settings: &plugin_api::serde_json::Value) -> Result<Self, String> {
        let delay_levels =
            topics::parse_delay_levels(&host.config("messageDelayLevel").unwrap_or_else(|| {
                "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".into()
            }))?;
        let identity = host.broker_identity();
        let settings = Settings {
            region_id: host
                .config("regionId")
                .unwrap_or_else(|| "DefaultRegion".into()),
            trace_on: host.config("traceOn").unwrap_or_else(|| "true".into()),
            cluster_name: identity.cluster_name.to_string(),
            broker_permission: identity.broker_permission,
            max_delay_level: delay_levels.len() as i32,
            reject_transaction_message: host.config_or("rejectTransactionMessage", false),
            timer_wheel_enable: host.config_or("timerWheelEnable", true),
            timer_precision_ms: timer_precision(host.config_or("timerPrecisionMs", 1000)),
            timer_max_delay_sec: host.config_or("timerMaxDelaySec", 3 * 24 * 3600),
        };
        Ok(SendPlugin {
            host,
            settings,
            next_queue: AtomicU32::new(0),
        })
    }
}

impl Processor for SendPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let response = match request.code() {
            request_code::CONSUMER_SEND_MSG_BACK => self.send_back(request),
            _ => {
                let header = SendHeader::parse(request)?;
                if header.batch {
                    self.send_batch(request, &header)
                } else {
                    self.send_one(request, &header)
                }
            }
        };
        let response = match response {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        Ok(self.with_trace_fields(request, response).into())
    }
}

impl SendPlugin {
    /// The Java client reads MSG_REGION / TRACE_ON without a null check, so
    /// every send response carries them (not CONSUMER_SEND_MSG_BACK's).
    fn with_trace_fields(&self, request: &Request<'_>, response: Response) -> Response {
        if request.code() == request_code::CONSUMER_SEND_MSG_BACK {
            return response;
        }
        response
            .with_text(prop::MSG_REGION, &self.settings.region_id)
            .with_text(prop::TRACE_ON, &self.settings.trace_on)
    }

    fn send_one(
        &self,
        request: &Request<'_>,
        header: &SendHeader,
    ) -> Result<Response, ProcessError> {
        let topic_config = self.check_topic(request, header)?;
        // The response names this queue whatever the message is redirected to
        // (DLQ, delay level), as Java answers its local queueIdInt.
        let chosen_queue =
            self.choose_queue(&topic_config, header.queue_id, request.remote_addr())?;
        let mut queue_id = chosen_queue;
        let mut topic = Cow::Borrowed(header.topic);
        let mut properties = Properties::parse(header.properties);
        self.add_trace_properties(&mut properties);
        let mut reconsume_times = header.reconsume_times;

        if let Some(group) = topic.strip_prefix(topics::RETRY_GROUP_TOPIC_PREFIX) {
            let group = group.to_owned();
            let group_config = self.group_or_error(&group)?;
            let max_reconsume =
                self.max_reconsume_times(request, header.max_reconsume_times, &group_config);
            // A group holding queue locks consumes orderly: Java sends its
            // failed messages to the DLQ at once.
            let orderly = self.host.group_has_live_lock(RStr::from(group.as_str()));
            if reconsume_times > max_reconsume || orderly {
                let dlq = self.ensure_dlq_topic(&group);
                topic = Cow::Owned(dlq.topic_name.to_string());
                queue_id = 0;
                properties.insert(prop::DELAY, "-1");
                reconsume_times = header.reconsume_times;
            }
        }

        let mut sys_flag = header.sys_flag;
        if topic_config.topic_filter_type == 1 {
            sys_flag |= sysflag::MULTI_TAGS_FLAG;
        }
        if properties
            .get(prop::TRAN_MSG)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let remark = if self.settings.reject_transaction_message {
                format!(
                    "the broker[{}] sending transaction message is forbidden",
                    self.host.broker_identity().broker_name
                )
            } else {
                "transactional messages are not supported by this broker yet".to_owned()
            };
            return Err(ProcessError::respond(response_code::NO_PERMISSION, remark));
        }
        if properties.get(prop::UNIQ_KEY).is_none() {
            properties.insert(prop::UNIQ_KEY, new_uniq_id());
        }
        properties.insert(prop::CLUSTER, &self.settings.cluster_name);
        let (topic, queue_id) = self.apply_timer(&mut properties, topic, queue_id)?;
        let (topic, queue_id) = self.apply_delay(&mut properties, topic, queue_id);

        let encoded = properties.encode();
        let message = FfiMessage {
            topic: RStr::from(topic.as_ref()),
            queue_id,
            flag: header.flag,
            sys_flag,
            born_timestamp: header.born_timestamp,
            born_host: RStr::from(request.remote_addr()),
            body: RSlice::from_slice(request.body()),
            properties: RStr::from(encoded.as_str()),
            reconsume_times,
            prepared_transaction_offset: 0,
            wait_store: wait_store(&properties),
        };
        let result = self.host.put_message(&message);
        let transaction_id = properties.get(prop::UNIQ_KEY);
        Ok(send_response(&result, chosen_queue, transaction_id))
    }

    fn send_batch(
        &self,
        request: &Request<'_>,
        header: &SendHeader,
    ) -> Result<Response, ProcessError> {
        let topic_config = self.check_topic(request, header)?;
        let queue_id = self.choose_queue(&topic_config, header.queue_id, request.remote_addr())?;
        if header.topic.len() > topics::TOPIC_MAX_LENGTH {
            return Err(ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                format!("message topic length too long {}", header.topic.len()),
            ));
        }
        if header.topic.starts_with(topics::RETRY_GROUP_TOPIC_PREFIX) {
            return Err(ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                format!(
                    "batch request does not support retry group {}",
                    header.topic
                ),
            ));
        }
        if header.sys_flag & sysflag::TRANSACTION_TYPE_MASK != 0 {
            return Err(ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                "batch message does not support transaction",
            ));
        }
        let mut batch_properties = Properties::parse(header.properties);
        if batch_properties
            .get(prop::DELAY)
            .and_then(|level| level.parse::<i32>().ok())
            .is_some_and(|level| level > 0)
        {
            return Err(ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                "batch message does not support delay level",
            ));
        }
        self.add_trace_properties(&mut batch_properties);
        batch_properties.insert(prop::CLUSTER, &self.settings.cluster_name);
        let batch_suffix = batch_properties.encode();

        let entries = decode_batch_body(request.body()).map_err(|error| {
            ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                format!("the batch body is malformed: {error}"),
            )
        })?;
        // Stored properties: the entry's own, a separator if needed, then the
        // batch-level ones (4.9 through 5.3.3 behaviour).
        let stored: Vec<String> = entries
            .iter()
            .map(|entry| {
                let mut properties = entry.properties.to_owned();
                if !properties.is_empty() && !properties.ends_with(prop::PROPERTY_SEPARATOR) {
                    properties.push(prop::PROPERTY_SEPARATOR);
                }
                properties.push_str(&batch_suffix);
                properties
            })
            .collect();
        let ffi_entries: Vec<FfiBatchEntry<'_>> = entries
            .iter()
            .zip(&stored)
            .map(|(entry, properties)| FfiBatchEntry {
                flag: entry.flag,
                body: RSlice::from_slice(entry.body),
                properties: RStr::from(properties.as_str()),
            })
            .collect();
        let mut sys_flag = header.sys_flag;
        if topic_config.topic_filter_type == 1 {
            sys_flag |= sysflag::MULTI_TAGS_FLAG;
        }
        let batch = FfiBatch {
            topic: RStr::from(header.topic),
            queue_id,
            sys_flag,
            born_timestamp: header.born_timestamp,
            born_host: RStr::from(request.remote_addr()),
            entries: RSlice::from_slice(&ffi_entries),
            reconsume_times: header.reconsume_times,
            wait_store: wait_store(&batch_properties),
        };
        let result = self.host.put_messages(&batch);
        Ok(send_response(&result, queue_id, None))
    }

    fn send_back(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let offset: i64 = request.required("offset")?;
        let group: String = request.required("group")?;
        let delay_level: i32 = request.required("delayLevel")?;
        let header_max: Option<i32> = request.optional("maxReconsumeTimes")?;

        let group_config = self.group_or_error(&group)?;
        if !perm::is_writeable(self.settings.broker_permission) {
            return Err(ProcessError::respond(
                response_code::NO_PERMISSION,
                format!(
                    "the broker[{}] sending message is forbidden",
                    self.host.broker_identity().broker_name
                ),
            ));
        }
        if group_config.retry_queue_nums <= 0 {
            return Ok(Response::success());
        }
        let retry_topic = self.host.create_topic_if_absent(&topic_config(
            &topics::retry_topic(&group),
            group_config.retry_queue_nums,
            perm::READ | perm::WRITE,
        ));
        if !perm::is_writeable(retry_topic.perm) {
            return Err(ProcessError::respond(
                response_code::NO_PERMISSION,
                format!(
                    "the topic[{}] sending message is forbidden",
                    retry_topic.topic_name
                ),
            ));
        }

        let raw = self
            .host
            .message_by_offset(offset)
            .into_option()
            .ok_or_else(|| {
                ProcessError::respond(
                    response_code::SYSTEM_ERROR,
                    format!("look message by offset failed, {offset}"),
                )
            })?;
        let RecordRead::Message(original, _) = decode_record(&raw, false) else {
            return Err(ProcessError::respond(
                response_code::SYSTEM_ERROR,
                format!("look message by offset failed, {offset}"),
            ));
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
            retry_topic.topic_name.to_string(),
            self.random_queue(group_config.retry_queue_nums),
        );
        let mut delay = delay_level;
        if reconsume_times >= max_reconsume || delay_level < 0 {
            topic = self.ensure_dlq_topic(&group).topic_name.to_string();
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
        let encoded = properties.encode();
        let born_host = original.header.born_host.to_string();
        let message = FfiMessage {
            topic: RStr::from(topic.as_ref()),
            queue_id,
            flag: original.header.flag,
            sys_flag: original.header.sys_flag,
            born_timestamp: original.header.born_timestamp,
            born_host: RStr::from(born_host.as_str()),
            body: RSlice::from_slice(&original.body),
            properties: RStr::from(encoded.as_str()),
            reconsume_times: reconsume_times + 1,
            prepared_transaction_offset: 0,
            wait_store: false,
        };
        let result = self.host.put_message(&message);
        Ok(match result.status {
            FfiPutStatus::PutOk => Response::success(),
            other => Response::error(response_code::SYSTEM_ERROR, put_status_name(other)),
        })
    }

    /// Steps 2–5 of the send algorithm: permission, name, system topics,
    /// existence (with auto-creation).
    fn check_topic(
        &self,
        request: &Request<'_>,
        header: &SendHeader,
    ) -> Result<FfiTopicConfig, ProcessError> {
        let broker_name = || self.host.broker_identity().broker_name.to_string();
        topics::validate_topic_name(header.topic)
            .map_err(|remark| ProcessError::respond(response_code::INVALID_PARAMETER, remark))?;
        if topics::is_not_allowed_send_topic(header.topic) {
            return Err(ProcessError::respond(
                response_code::NO_PERMISSION,
                format!("Sending message to topic[{}] is forbidden.", header.topic),
            ));
        }
        let existing = self.host.topic_config(header.topic);
        let config = match existing {
            Some(config) => config,
            None => {
                let created = self
                    .host
                    .create_topic_in_send(
                        RStr::from(header.topic),
                        RStr::from(header.default_topic),
                        header.default_topic_queue_nums,
                        0,
                    )
                    .into_option();
                match created {
                    Some(config) => config,
                    None if header.topic.starts_with(topics::RETRY_GROUP_TOPIC_PREFIX) => {
                        self.host.create_topic_if_absent(&topic_config(
                            header.topic,
                            1,
                            perm::READ | perm::WRITE,
                        ))
                    }
                    None => {
                        return Err(ProcessError::respond(
                            response_code::TOPIC_NOT_EXIST,
                            format!(
                                "topic[{}] not exist, apply first please!{FAQ_SUGGESTION}",
                                header.topic
                            ),
                        ))
                    }
                }
            }
        };
        if !perm::is_writeable(self.settings.broker_permission) && config.order {
            return Err(ProcessError::respond(
                response_code::NO_PERMISSION,
                format!("the broker[{}] sending message is forbidden", broker_name()),
            ));
        }
        // Java's msgCheck does not look at the topic's own permission.
        let _ = request;
        Ok(config)
    }

    /// Step 6: a valid queue, or a random writable one for `queueId < 0`.
    fn choose_queue(
        &self,
        config: &FfiTopicConfig,
        queue_id: i32,
        producer: &str,
    ) -> Result<i32, ProcessError> {
        let limit = config.write_queue_nums.max(config.read_queue_nums);
        if queue_id >= limit {
            return Err(ProcessError::respond(
                response_code::INVALID_PARAMETER,
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

    fn random_queue(&self, queues: i32) -> i32 {
        let queues = queues.max(1) as u32;
        (self.next_queue.fetch_add(1, Ordering::Relaxed) % queues) as i32
    }

    fn group_or_error(&self, group: &str) -> Result<FfiSubscriptionGroup, ProcessError> {
        self.host
            .subscription_group(RStr::from(group), true)
            .into_option()
            .ok_or_else(|| {
                ProcessError::respond(
                    response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
                    format!("subscription group not exist, {group} {FAQ_SUGGESTION}"),
                )
            })
    }

    fn max_reconsume_times(
        &self,
        request: &Request<'_>,
        from_header: Option<i32>,
        group: &FfiSubscriptionGroup,
    ) -> i32 {
        match from_header {
            Some(max) if request.version() >= MAX_RECONSUME_TIMES_SINCE_VERSION => max,
            _ => group.retry_max_times,
        }
    }

    /// The group's dead-letter topic, created when absent (Java checks
    /// neither its permission nor, on this path, that it was created).
    fn ensure_dlq_topic(&self, group: &str) -> FfiTopicConfig {
        self.host.create_topic_if_absent(&topic_config(
            &topics::dlq_topic(group),
            1,
            perm::READ | perm::WRITE,
        ))
    }

    /// MSG_REGION and TRACE_ON, which Java's buildMsgContext puts in every
    /// sent message's properties (a consumer's trace hook reads them).
    fn add_trace_properties<'t>(&'t self, properties: &mut Properties<'t>) {
        properties.insert(prop::MSG_REGION, self.settings.region_id.as_str());
        properties.insert(prop::TRACE_ON, self.settings.trace_on.as_str());
    }

    /// 5.x timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC /
    /// TIMER_DELAY_MS), as Java's HookUtils.transformTimerMessage handles
    /// them: a delay level wins and the timer properties are dropped;
    /// otherwise a delivery time in the future parks the message in
    /// `rmq_sys_wheel_timer` queue 0 (TIMER_OUT_MS, REAL_TOPIC, REAL_QID) for
    /// the host's timer service, and one now or past is stored as it is.
    fn apply_timer<'t>(
        &self,
        properties: &mut Properties<'t>,
        topic: Cow<'t, str>,
        queue_id: i32,
    ) -> Result<(Cow<'t, str>, i32), ProcessError> {
        const TIMER_PROPERTIES: [&str; 3] = [
            prop::TIMER_DELIVER_MS,
            prop::TIMER_DELAY_SEC,
            prop::TIMER_DELAY_MS,
        ];
        let delay_level = properties
            .get(prop::DELAY)
            .and_then(|level| level.trim().parse::<i32>().ok())
            .unwrap_or(0);
        if delay_level > 0 {
            for name in TIMER_PROPERTIES {
                properties.remove(name);
            }
            return Ok((topic, queue_id));
        }
        if topic == topics::TIMER_TOPIC
            || properties.contains_key(prop::TIMER_OUT_MS)
            || !TIMER_PROPERTIES
                .iter()
                .any(|name| properties.contains_key(name))
        {
            return Ok((topic, queue_id));
        }
        if !self.settings.timer_wheel_enable {
            return Err(ProcessError::respond(
                response_code::SYSTEM_ERROR,
                "accurate timer message is not enabled, timerWheelEnable is false",
            ));
        }
        let illegal = || {
            ProcessError::respond(
                response_code::MESSAGE_ILLEGAL,
                format!(
                    "timer message illegal, the delay time should not be bigger than the max delay {}ms; or if set del msg, the delay time should be bigger than the current time",
                    self.settings.timer_max_delay_sec * 1000
                ),
            )
        };
        let number = |name: &str| properties.get(name).map(|value| value.parse::<i64>());
        let now = now_millis();
        let deliver_ms = if let Some(seconds) = number(prop::TIMER_DELAY_SEC) {
            seconds.map(|s| now.saturating_add(s.saturating_mul(1000)))
        } else if let Some(millis) = number(prop::TIMER_DELAY_MS) {
            millis.map(|ms| now.saturating_add(ms))
        } else {
            number(prop::TIMER_DELIVER_MS).unwrap_or(Ok(0))
        }
        .map_err(|_| illegal())?;
        if deliver_ms <= now {
            if properties.contains_key(prop::TIMER_DEL_UNIQKEY) {
                return Err(illegal());
            }
            return Ok((topic, queue_id));
        }
        if deliver_ms - now > self.settings.timer_max_delay_sec * 1000 {
            return Err(illegal());
        }
        // Java rounds down to the precision, one step earlier when exact.
        let precision = self.settings.timer_precision_ms;
        let deliver_ms = if deliver_ms % precision == 0 {
            deliver_ms - precision
        } else {
            deliver_ms / precision * precision
        };
        properties.insert(prop::TIMER_OUT_MS, deliver_ms.to_string());
        properties.insert(prop::REAL_TOPIC, topic);
        properties.insert(prop::REAL_QID, queue_id.to_string());
        Ok((Cow::Borrowed(topics::TIMER_TOPIC), 0))
    }

    /// Step 11: a `DELAY` level > 0 parks the message in SCHEDULE_TOPIC_XXXX,
    /// queue `level - 1`, remembering the real destination.
    fn apply_delay<'t>(
        &self,
        properties: &mut Properties<'t>,
        topic: Cow<'t, str>,
        queue_id: i32,
    ) -> (Cow<'t, str>, i32) {
        let level = properties
            .get(prop::DELAY)
            .and_then(|level| level.trim().parse::<i32>().ok())
            .unwrap_or(0);
        if level <= 0 {
            return (topic, queue_id);
        }
        let level = level.min(self.settings.max_delay_level);
        properties.insert(prop::DELAY, level.to_string());
        properties.insert(prop::REAL_TOPIC, topic);
        properties.insert(prop::REAL_QID, queue_id.to_string());
        (Cow::Borrowed(topics::SCHEDULE_TOPIC), level - 1)
    }
}

/// `WAIT` absent or "true" = wait for the store (Java `isWaitStoreMsgOK`).
fn wait_store(properties: &Properties) -> bool {
    properties
        .get(prop::WAIT)
        .is_none_or(|wait| wait.eq_ignore_ascii_case("true"))
}

fn topic_config(name: &str, queues: i32, perm: i32) -> FfiTopicConfig {
    FfiTopicConfig {
        topic_name: name.into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        topic_filter_type: 0,
        topic_sys_flag: 0,
        order: false,
    }
}

/// Java's `MessageStoreConfig.setTimerPrecisionMs`: the largest of 100,
/// 200, 500 and 1000 not above the setting (100 below that).
fn timer_precision(configured: i64) -> i64 {
    [200, 500, 1000]
        .into_iter()
        .rev()
        .find(|&candidate| configured >= candidate)
        .unwrap_or(100)
}

/// Milliseconds since the epoch.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Java's `TopicConfig.toString()` (in the remark of an illegal queue id).
fn topic_summary(config: &FfiTopicConfig) -> String {
    // Attributes do not cross the plugin ABI: written as Java prints none.
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

/// Java's status names (remark of a failed send-back).
fn put_status_name(status: FfiPutStatus) -> &'static str {
    match status {
        FfiPutStatus::PutOk => "PUT_OK",
        FfiPutStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
        FfiPutStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
        FfiPutStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        FfiPutStatus::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
        FfiPutStatus::CreateMappedFileFailed => "CREATE_MAPPED_FILE_FAILED",
        FfiPutStatus::MessageIllegal => "MESSAGE_ILLEGAL",
        FfiPutStatus::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
        FfiPutStatus::OsPageCacheBusy => "OS_PAGE_CACHE_BUSY",
        FfiPutStatus::UnknownError => "UNKNOWN_ERROR",
    }
}

/// Step 14: store status → response (request-codes.md SEND table).
fn send_response(result: &FfiPutResult, queue_id: i32, transaction_id: Option<&str>) -> Response {
    let stored_code = match result.status {
        FfiPutStatus::PutOk => Some(response_code::SUCCESS),
        FfiPutStatus::FlushDiskTimeout => Some(response_code::FLUSH_DISK_TIMEOUT),
        FfiPutStatus::FlushSlaveTimeout => Some(response_code::FLUSH_SLAVE_TIMEOUT),
        FfiPutStatus::SlaveNotAvailable => Some(response_code::SLAVE_NOT_AVAILABLE),
        _ => None,
    };
    let Some(code) = stored_code else {
        return match result.status {
            FfiPutStatus::CreateMappedFileFailed => Response::error(
                response_code::SYSTEM_ERROR,
                "create mapped file failed, server is busy or broken.",
            ),
            FfiPutStatus::MessageIllegal | FfiPutStatus::PropertiesSizeExceeded => Response::error(
                response_code::MESSAGE_ILLEGAL,
                "the message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.",
            ),
            FfiPutStatus::ServiceNotAvailable => Response::error(
                response_code::SERVICE_NOT_AVAILABLE,
                "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.",
            ),
            FfiPutStatus::OsPageCacheBusy => Response::error(
                response_code::SYSTEM_BUSY,
                "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
            ),
            _ => Response::error(response_code::SYSTEM_ERROR, "UNKNOWN_ERROR"),
        };
    };
    let response = Response {
        code,
        // msgId, queueId, queueOffset, transactionId, MSG_REGION, TRACE_ON.
        ext_fields: ExtFields::with_capacity(6, 160),
        ..Response::default()
    };
    // One id for a single send, comma-joined for a batch.
    let mut response = match result.msg_ids.as_slice() {
        [id] => response.with_text("msgId", id.as_str()),
        ids => response.with_field("msgId", MsgIds(ids)),
    }
    .with_int("queueId", queue_id)
    .with_int("queueOffset", result.queue_offset);
    if let Some(transaction_id) = transaction_id {
        response = response.with_text("transactionId", transaction_id);
    }
    response
}

plugin_api::export_plugin!(SendPlugin);

/// The stored ids as the `msgId` field writes them: comma-separated.
struct MsgIds<'a>(&'a [RString]);

impl std::fmt::Display for MsgIds<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, id) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(id.as_str())?;
        }
        Ok(())
    }
}
