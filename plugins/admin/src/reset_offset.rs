//! INVOKE_BROKER_TO_RESET_OFFSET (222) in both of Java's modes, chosen per
//! request by the broker's `useServerSideResetOffset` (changeable at
//! runtime with UPDATE_BROKER_CONFIG):
//!
//! - `true` (Java's default): `AdminBrokerProcessor.resetOffsetInner`: the
//!   broker assigns the offsets itself (`assignResetOffset`); the next pull
//!   of each queue answers PULL_OFFSET_MOVED to the reset offset;
//! - `false`: `Broker2Client.resetOffset`: the offsets are computed by
//!   timestamp (with `isForce`) and pushed oneway as
//!   RESET_CONSUMER_CLIENT_OFFSET (220) to every online consumer of the
//!   group; CONSUMER_NOT_ONLINE when none is.
//!
//! Both answer the `ResetOffsetBody` table.

use std::collections::BTreeMap;

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{BoundaryType, ClientRequest, ProcessError, Request, Response, ResponseCode};

use crate::broker_config::host_failure;
use crate::AdminPlugin;

/// `MQVersion.Version.V3_0_7_SNAPSHOT.ordinal()`: the first client version
/// that understands RESET_CONSUMER_CLIENT_OFFSET.
pub const V3_0_7_SNAPSHOT: i32 = 28;

/// The `ResetOffsetRequestHeader` of INVOKE_BROKER_TO_RESET_OFFSET.
struct ResetHeader {
    topic: String,
    group: String,
    timestamp: i64,
    is_force: bool,
    queue_id: i32,
    offset: Option<i64>,
}

impl ResetHeader {
    fn parse(request: &Request<'_>) -> Result<ResetHeader, ProcessError> {
        Ok(ResetHeader {
            group: request.required("group")?,
            topic: request.required("topic")?,
            timestamp: request.required("timestamp")?,
            is_force: request.required("isForce")?,
            queue_id: request.optional("queueId")?.unwrap_or(-1),
            offset: request.optional("offset")?,
        })
    }
}

/// `ResetOffsetBody`: `{"offsetTable":{MessageQueue:offset}}`.
fn reset_offset_body(broker_name: &str, topic: &str, offsets: &BTreeMap<i32, i64>) -> Vec<u8> {
    let mut w = JsonWriter::new();
    w.begin_object().key("offsetTable").begin_object();
    for (queue_id, offset) in offsets {
        w.message_queue_key(broker_name, *queue_id, topic)
            .int(*offset);
    }
    w.end_object().end_object();
    w.into_bytes()
}

/// `ResetOffsetBodyForC`: `{"offsetTable":[MessageQueueForC...]}`.
fn reset_offset_body_for_c(
    broker_name: &str,
    topic: &str,
    offsets: &BTreeMap<i32, i64>,
) -> Vec<u8> {
    let mut w = JsonWriter::new();
    w.begin_object().key("offsetTable").begin_array();
    for (queue_id, offset) in offsets {
        w.begin_object()
            .field_str("brokerName", broker_name)
            .field_int("offset", *offset)
            .field_int("queueId", i64::from(*queue_id))
            .field_str("topic", topic)
            .end_object();
    }
    w.end_array().end_object();
    w.into_bytes()
}

impl AdminPlugin {
    /// INVOKE_BROKER_TO_RESET_OFFSET (222).
    pub(crate) fn reset_offset(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let header = ResetHeader::parse(request)?;
        self.host.info(&format!(
            "[reset-offset] reset offset started by {}. topic={}, group={}, timestamp={}, isForce={}",
            request.remote_addr(),
            header.topic,
            header.group,
            header.timestamp,
            header.is_force
        ));
        if self.host.config_or("useServerSideResetOffset", true) {
            return self.reset_offset_on_server(&header);
        }
        let is_c = request.language() == LanguageCode::Cpp;
        self.reset_offset_on_clients(&header, is_c)
    }

    /// `searchOffsetByTimestamp`: a negative timestamp is the queue's max offset.
    fn offset_at(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        let store = self.host.store();
        if timestamp < 0 {
            store.max_offset(topic, queue_id)
        } else {
            store.offset_by_time(topic, queue_id, timestamp, BoundaryType::Lower)
        }
    }

    /// `AdminBrokerProcessor.resetOffsetInner`.
    fn reset_offset_on_server(&self, header: &ResetHeader) -> Result<Response, ProcessError> {
        let (topic, group) = (header.topic.as_str(), header.group.as_str());
        if self
            .host
            .config()
            .value("brokerRole")
            .is_some_and(|role| role.eq_ignore_ascii_case("SLAVE"))
        {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                "Can not reset offset in slave broker",
            ));
        }
        let Some(config) = self.host.topics().topic(topic) else {
            self.host.warn(&format!(
                "Reset offset failed, topic does not exist. topic={topic}, group={group}"
            ));
            return Ok(Response::error(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("Topic {topic} does not exist"),
            ));
        };
        if self
            .host
            .topics()
            .subscription_group(group, false)
            .is_none()
        {
            self.host.warn(&format!(
                "Reset offset failed, group does not exist. topic={topic}, group={group}"
            ));
            return Ok(Response::error(
                ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                format!("Group {group} does not exist"),
            ));
        }
        let admin = self.host.broker_admin().map_err(host_failure)?;

        let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
        if header.queue_id >= 0 {
            let queue_id = header.queue_id;
            let offset = match header.offset.filter(|offset| *offset != -1) {
                Some(offset) => {
                    let store = self.host.store();
                    let min = store.min_offset(topic, queue_id);
                    let max = store.max_offset(topic, queue_id);
                    if (min >= 0 && offset < min) || offset > max + 1 {
                        return Ok(Response::error(
                            ResponseCode::SYSTEM_ERROR,
                            format!(
                                "Target offset {offset} not in consume queue range [{min}-{max}]"
                            ),
                        ));
                    }
                    offset
                }
                None => self.offset_at(topic, queue_id, header.timestamp),
            };
            offsets.insert(queue_id, offset);
        } else {
            for queue_id in 0..config.read_queue_nums.max(0) {
                offsets.insert(queue_id, self.offset_at(topic, queue_id, header.timestamp));
            }
        }
        if offsets.is_empty() {
            self.host.warn("Reset offset aborted: no queues to reset");
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                "No queues to reset.",
            ));
        }
        for (queue_id, offset) in &offsets {
            admin.assign_reset_offset(topic, group, *queue_id, *offset);
        }
        let body = reset_offset_body(&self.broker_name, topic, &offsets);
        self.host.info(&format!(
            "Reset offset, topic={topic}, group={group}, queues={}",
            String::from_utf8_lossy(&body)
        ));
        Ok(Response::success().with_body(body))
    }

    /// `Broker2Client.resetOffset`.
    fn reset_offset_on_clients(
        &self,
        header: &ResetHeader,
        is_c: bool,
    ) -> Result<Response, ProcessError> {
        let (topic, group) = (header.topic.as_str(), header.group.as_str());
        let Some(config) = self.host.topics().topic(topic) else {
            self.host.error(&format!(
                "[reset-offset] reset offset failed, no topic in this broker. topic={topic}"
            ));
            return Ok(Response::error(
                ResponseCode::TOPIC_NOT_EXIST,
                format!(
                    "[reset-offset] reset offset failed, no topic in this broker. topic={topic}"
                ),
            ));
        };
        let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
        for queue_id in 0..config.write_queue_nums.max(0) {
            let Some(consumer_offset) = self.host.offsets().query(group, topic, queue_id) else {
                return Ok(Response::error(
                    ResponseCode::SYSTEM_ERROR,
                    format!("THe consumer group <{group}> not exist"),
                ));
            };
            let mut timestamp_offset = if header.timestamp == -1 {
                self.host.store().max_offset(topic, queue_id)
            } else {
                self.host.store().offset_by_time(
                    topic,
                    queue_id,
                    header.timestamp,
                    BoundaryType::Lower,
                )
            };
            if timestamp_offset < 0 {
                self.host.warn(&format!(
                    "reset offset is invalid. topic={topic}, queueId={queue_id}, timeStampOffset={timestamp_offset}"
                ));
                timestamp_offset = 0;
            }
            let offset = if header.is_force || timestamp_offset < consumer_offset {
                timestamp_offset
            } else {
                consumer_offset
            };
            offsets.insert(queue_id, offset);
        }

        let body = if is_c {
            reset_offset_body_for_c(&self.broker_name, topic, &offsets)
        } else {
            reset_offset_body(&self.broker_name, topic, &offsets)
        };
        let push = ClientRequest {
            code: request_code::RESET_CONSUMER_CLIENT_OFFSET,
            remark: None,
            ext_fields: vec![
                ("topic".to_owned(), topic.to_owned()),
                ("group".to_owned(), group.to_owned()),
                ("queueId".to_owned(), "-1".to_owned()),
                ("timestamp".to_owned(), header.timestamp.to_string()),
                ("isForce".to_owned(), "false".to_owned()),
            ],
            body,
        };

        let admin = self.host.broker_admin().map_err(host_failure)?;
        let channels = admin.consumer_channels(group);
        if channels.is_empty() {
            let remark = format!(
                "Consumer not online, so can not reset offset, Group: {group} Topic: {topic} Timestamp: {}",
                header.timestamp
            );
            self.host.error(&remark);
            return Ok(Response::error(ResponseCode::CONSUMER_NOT_ONLINE, remark));
        }
        let calls = self.host.client_calls().map_err(host_failure)?;
        for channel in &channels {
            if channel.version < V3_0_7_SNAPSHOT {
                let version = crate::version_desc(channel.version);
                self.host.warn(&format!(
                    "[reset-offset] the client does not support this feature. channel={}, version={version}",
                    channel.client_addr
                ));
                return Ok(Response::error(
                    ResponseCode::SYSTEM_ERROR,
                    format!("the client does not support this feature. version={version}"),
                ));
            }
            match calls.send_oneway(channel.connection_id, &push) {
                Ok(()) => self.host.info(&format!(
                    "[reset-offset] reset offset success. topic={topic}, group={group}, clientId={}",
                    channel.client_id
                )),
                Err(error) => self.host.error(&format!(
                    "[reset-offset] reset offset exception. topic={topic}, group={group} ,error={error}"
                )),
            }
        }
        Ok(Response::success().with_body(reset_offset_body(&self.broker_name, topic, &offsets)))
    }
}
