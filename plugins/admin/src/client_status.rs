//! The codes answered by asking a consumer, as Java's
//! `AdminBrokerProcessor.callConsumer` and `Broker2Client.getConsumeStatus`:
//!
//! - GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309):
//!   the request is forwarded to the named client's connection and the
//!   client's answer relayed back as it is;
//! - INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): GET_CONSUMER_STATUS_FROM_CLIENT
//!   (221) is sent to the group's consumers (or the named one) and their
//!   `messageQueueTable`s gathered into a `GetConsumerStatusBody`.
//!
//! These block a pool thread on the client's answer (`ClientCalls::invoke`,
//! ABI 1.2).

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::{
    ClientRequest, HostError, LiveChannel, ProcessError, Request, Response, ResponseCode,
};

use crate::broker_config::host_failure;
use crate::reset_offset::V3_0_7_SNAPSHOT;
use crate::version_desc;
use crate::AdminPlugin;

/// `MQVersion.Version.V3_1_8_SNAPSHOT.ordinal()`: the first client version
/// `callConsumer` talks to.
pub const V3_1_8_SNAPSHOT: i32 = 62;

/// `Broker2Client.callClient`'s timeout.
pub const CALL_CLIENT_TIMEOUT_MILLIS: u64 = 10_000;

/// `Broker2Client.getConsumeStatus`'s timeout.
pub const CONSUMER_STATUS_TIMEOUT_MILLIS: u64 = 5_000;

/// The commit-log offset in a message id (`MessageDecoder.decodeMessageId`):
/// the last 16 hex digits of a 32 (IPv4) or 40 (IPv6) digit id.
fn commit_log_offset(msg_id: &str) -> Option<i64> {
    if !(msg_id.len() == 32 || msg_id.len() == 40) || !msg_id.is_ascii() {
        return None;
    }
    let hex = &msg_id[msg_id.len() - 16..];
    u64::from_str_radix(hex, 16)
        .ok()
        .and_then(|offset| i64::try_from(offset).ok())
}

/// The text of member `key`'s value in the top-level JSON object `text`
/// (as the client wrote it: fastjson's object-key maps are not JSON, so
/// the value is relayed as text, not parsed).
fn raw_member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let bytes = text.as_bytes();
    let mut index = text.find('{')? + 1;
    let skip_blank = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    // The end of the value starting at `i` (exclusive).
    let value_end = |start: usize| -> Option<usize> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut i = start;
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            return Some(i);
                        }
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    b',' if depth == 0 => return Some(i),
                    _ => {}
                }
            }
            i += 1;
        }
        None
    };
    loop {
        index = skip_blank(index);
        if bytes.get(index) != Some(&b'"') {
            return None;
        }
        let name_end = value_end(index)?;
        let name = &text[index + 1..name_end - 1];
        index = skip_blank(name_end);
        if bytes.get(index) != Some(&b':') {
            return None;
        }
        let start = skip_blank(index + 1);
        let end = value_end(start)?;
        if name == key {
            return Some(text[start..end].trim_end());
        }
        index = skip_blank(end);
        match bytes.get(index) {
            Some(b',') => index += 1,
            _ => return None,
        }
    }
}

impl AdminPlugin {
    /// The live channel of `client_id` in `group` (`ConsumerManager.findChannel`).
    fn consumer_channel(
        &self,
        group: &str,
        client_id: &str,
    ) -> Result<Option<LiveChannel>, ProcessError> {
        let admin = self.host.broker_admin().map_err(host_failure)?;
        Ok(admin
            .consumer_channels(group)
            .into_iter()
            .find(|channel| channel.client_id == client_id))
    }

    /// `callConsumer`: forwards `code` with the request's header fields
    /// (`fields`) and `body` to the client and relays its answer.
    fn call_consumer(
        &self,
        code: i32,
        fields: Vec<(String, String)>,
        body: Vec<u8>,
        group: &str,
        client_id: &str,
    ) -> Result<Response, ProcessError> {
        let Some(channel) = self.consumer_channel(group, client_id)? else {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("The Consumer <{group}> <{client_id}> not online"),
            ));
        };
        if channel.version < V3_1_8_SNAPSHOT {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!(
                    "The Consumer <{client_id}> Version <{}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT",
                    version_desc(channel.version)
                ),
            ));
        }
        let calls = self.host.client_invoke().map_err(host_failure)?;
        let request = ClientRequest {
            code,
            remark: None,
            ext_fields: fields,
            body,
        };
        match calls.invoke(channel.connection_id, &request, CALL_CLIENT_TIMEOUT_MILLIS) {
            Ok(answer) => {
                let mut response = Response {
                    code: ResponseCode::from(answer.code),
                    remark: answer.remark,
                    ..Response::default()
                }
                .with_body(answer.body);
                for (key, value) in &answer.ext_fields {
                    response = response.with_text(key, value);
                }
                Ok(response)
            }
            Err(HostError::Timeout(reason)) => Ok(Response::error(
                ResponseCode::CONSUME_MSG_TIMEOUT,
                format!("consumer <{group}> <{client_id}> Timeout: {reason}"),
            )),
            Err(error) => Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("invoke consumer <{group}> <{client_id}> Exception: {error}"),
            )),
        }
    }

    /// GET_CONSUMER_RUNNING_INFO (307): `consumerGroup`, `clientId`,
    /// `jstackEnable`; the client's `ConsumerRunningInfo` relayed.
    pub(crate) fn consumer_running_info(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let client_id: String = request.required("clientId")?;
        let fields = request
            .ext_fields()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.call_consumer(
            request_code::GET_CONSUMER_RUNNING_INFO,
            fields,
            request.body().to_vec(),
            &group,
            &client_id,
        )
    }

    /// CONSUME_MESSAGE_DIRECTLY (309): the stored message named by `msgId`
    /// is sent to the client with `brokerName`, `topicSysFlag` and
    /// `groupSysFlag` added; the client's `ConsumeMessageDirectlyResult`
    /// relayed.
    pub(crate) fn consume_message_directly(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let client_id: String = request.optional("clientId")?.unwrap_or_default();
        let msg_id: String = request.optional("msgId")?.unwrap_or_default();
        let topic: String = request.optional("topic")?.unwrap_or_default();

        let mut fields: Vec<(String, String)> = request
            .ext_fields()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut put = |key: &str, value: String| {
            fields.retain(|(k, _)| k != key);
            fields.push((key.to_owned(), value));
        };
        put("brokerName", self.broker_name.clone());
        if !topic.is_empty() {
            if let Some(config) = self.host.topics().topic(&topic) {
                put("topicSysFlag", config.topic_sys_flag.to_string());
            }
        }
        if let Some(config) = self.host.topics().subscription_group(&group, false) {
            put("groupSysFlag", config.group_sys_flag.to_string());
        }
        let body = commit_log_offset(&msg_id)
            .and_then(|offset| self.host.store().message_by_offset(offset))
            .ok_or_else(|| {
                ProcessError::respond(
                    ResponseCode::SYSTEM_ERROR,
                    format!("the message [{msg_id}] is not in this broker"),
                )
            })?;
        self.call_consumer(
            request_code::CONSUME_MESSAGE_DIRECTLY,
            fields,
            body,
            &group,
            &client_id,
        )
    }

    /// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): `topic`, `group`,
    /// `clientAddr` (a client id; blank = every consumer of the group).
    /// Answers `GetConsumerStatusBody` with each answering client's
    /// `messageQueueTable` under its client id.
    pub(crate) fn consumer_status(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let topic: String = request.required("topic")?;
        let group: String = request.required("group")?;
        let origin: String = request.optional("clientAddr")?.unwrap_or_default();
        let origin = origin.trim();
        self.host.info(&format!(
            "[get-consumer-status] get consumer status by {}. topic={topic}, group={group}",
            request.remote_addr()
        ));
        let admin = self.host.broker_admin().map_err(host_failure)?;
        let channels = admin.consumer_channels(&group);
        if channels.is_empty() {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("No Any Consumer online in the consumer group: [{group}]"),
            ));
        }
        let ask = ClientRequest {
            code: request_code::GET_CONSUMER_STATUS_FROM_CLIENT,
            remark: None,
            ext_fields: vec![
                ("topic".to_owned(), topic.clone()),
                ("group".to_owned(), group.clone()),
            ],
            body: Vec::new(),
        };
        let mut tables: Vec<(String, String)> = Vec::new();
        for channel in &channels {
            if channel.version < V3_0_7_SNAPSHOT {
                let version = version_desc(channel.version);
                self.host.warn(&format!(
                    "[get-consumer-status] the client does not support this feature. channel={}, version={version}",
                    channel.client_addr
                ));
                return Ok(Response::error(
                    ResponseCode::SYSTEM_ERROR,
                    format!("the client does not support this feature. version={version}"),
                ));
            }
            if !origin.is_empty() && origin != channel.client_id {
                continue;
            }
            let calls = self.host.client_invoke().map_err(host_failure)?;
            match calls.invoke(channel.connection_id, &ask, CONSUMER_STATUS_TIMEOUT_MILLIS) {
                Ok(answer) if answer.code == 0 && !answer.body.is_empty() => {
                    let text = String::from_utf8_lossy(&answer.body);
                    match raw_member(&text, "messageQueueTable") {
                        Some(table) => {
                            tables.push((channel.client_id.clone(), table.to_owned()));
                            self.host.info(&format!(
                                "[get-consumer-status] get consumer status success. topic={topic}, group={group}, channelRemoteAddr={}",
                                channel.client_id
                            ));
                        }
                        None => self.host.warn(&format!(
                            "[get-consumer-status] no messageQueueTable in the answer of {}",
                            channel.client_id
                        )),
                    }
                }
                Ok(_) => {}
                Err(error) => self.host.error(&format!(
                    "[get-consumer-status] get consumer status exception. topic={topic}, group={group}, error={error}"
                )),
            }
            if !origin.is_empty() {
                break;
            }
        }
        let mut body = String::from("{\"consumerTable\":{");
        for (index, (client_id, table)) in tables.iter().enumerate() {
            if index > 0 {
                body.push(',');
            }
            let mut key = String::new();
            plugin_api::sdk::fastjson::JsonStyle::Fastjson.write_str(&mut key, client_id);
            body.push_str(&key);
            body.push(':');
            body.push_str(table);
        }
        body.push_str("},\"messageQueueTable\":{}}");
        Ok(Response::success().with_body(body.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_carry_the_commit_log_offset() {
        assert_eq!(
            commit_log_offset("7F00000100002A9F00000000000004D2"),
            Some(1234)
        );
        assert_eq!(commit_log_offset("nope"), None);
        assert_eq!(commit_log_offset("7F00000100002A9FZZ000000000004D2"), None);
    }

    #[test]
    fn raw_members_are_found_at_the_top_level() {
        let text = r#"{"a":{"x":"}"},"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5},"z":[1,2]}"#;
        assert_eq!(
            raw_member(text, "messageQueueTable"),
            Some(r#"{{"brokerName":"b","queueId":0,"topic":"T"}:5}"#)
        );
        assert_eq!(raw_member(text, "z"), Some("[1,2]"));
        assert_eq!(raw_member(text, "x"), None);
        assert_eq!(raw_member("not json", "a"), None);
    }

    #[test]
    fn version_names_follow_mq_version() {
        assert_eq!(version_desc(27), "V3_0_6");
        assert_eq!(version_desc(28), "V3_0_7_SNAPSHOT");
        assert_eq!(version_desc(29), "V3_0_7");
        assert_eq!(version_desc(61), "V3_1_7");
        assert_eq!(version_desc(V3_1_8_SNAPSHOT), "V3_1_8_SNAPSHOT");
    }
}
