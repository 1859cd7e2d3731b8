//! Java's `ReplyMessageProcessor.pushReplyMessage`: the reply goes to the
//! requester's connection as PUSH_REPLY_MESSAGE_TO_CLIENT (326), with a
//! `ReplyMessageRequestHeader`, and the broker waits for the client's
//! answer (`Broker2Client.callClient`, `invokeSync` with 10 s).

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::message::{properties as prop, Properties};
use plugin_api::sdk::{ClientRequest, ResponseCode};

use crate::header::ReplyHeader;
use crate::ReplyPlugin;

/// `MessageConst.PROPERTY_PUSH_REPLY_TIME`: when the broker pushed the reply.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";

/// `Broker2Client.callClient`'s timeout.
pub const CALL_CLIENT_TIMEOUT_MILLIS: u64 = 10_000;

/// What the push came to: `Ok` when the client answered SUCCESS, else the
/// remark the reply's sender gets with SYSTEM_ERROR.
pub(crate) type PushReplyResult = Result<(), String>;

/// What the push carries besides the header the replier sent.
pub(crate) struct PushContext<'a> {
    /// The replier's address (`bornHost`).
    pub born_host: &'a str,
    /// The broker's `brokerIP1:listenPort` (`storeHost`).
    pub store_host: &'a str,
    /// Now, epoch ms (`storeTimestamp`, PUSH_REPLY_TIME).
    pub now_millis: i64,
}

impl ReplyPlugin {
    /// Pushes the reply (`body`, with `properties`: the header's after the
    /// broker added MSG_REGION and TRACE_ON) to the client named by its
    /// REPLY_TO_CLIENT property.
    pub(crate) fn push_reply_message(
        &self,
        header: &ReplyHeader<'_>,
        properties: &Properties<'_>,
        body: &[u8],
        context: &PushContext<'_>,
    ) -> PushReplyResult {
        let Some(sender_id) = properties.get(prop::REPLY_TO_CLIENT) else {
            self.host.warn(&format!(
                "{} is null, can not reply message",
                prop::REPLY_TO_CLIENT
            ));
            return Err(format!(
                "reply message properties[{}] is null",
                prop::REPLY_TO_CLIENT
            ));
        };
        let connection = self
            .host
            .client_invoke()
            .and_then(|calls| calls.find_client_connection(sender_id));
        let connection = match connection {
            Ok(Some(connection)) => connection,
            Ok(None) => {
                let remark =
                    format!("push reply message fail, channel of <{sender_id}> not found.");
                self.host.warn(&remark);
                return Err(remark);
            }
            Err(error) => {
                self.host.warn(&format!(
                    "push reply message to <{sender_id}> fail. {error}"
                ));
                return Err(push_failed(sender_id));
            }
        };
        let mut pushed = properties.clone();
        pushed.insert(PUSH_REPLY_TIME, context.now_millis.to_string());
        let request = ClientRequest {
            code: request_code::PUSH_REPLY_MESSAGE_TO_CLIENT,
            remark: None,
            ext_fields: reply_header_fields(header, &pushed.encode(), context),
            body: body.to_vec(),
        };
        let answer = self
            .host
            .client_invoke()
            .and_then(|calls| calls.invoke(connection, &request, CALL_CLIENT_TIMEOUT_MILLIS));
        match answer {
            Ok(response) if response.code == ResponseCode::SUCCESS.0 => Ok(()),
            Ok(response) => {
                self.host.warn(&format!(
                    "push reply message to <{sender_id}> return fail, response remark: {}",
                    response.remark.as_deref().unwrap_or("null")
                ));
                Err(push_failed(sender_id))
            }
            Err(error) => {
                self.host.warn(&format!(
                    "push reply message to <{sender_id}> fail. connection {connection}: {error}"
                ));
                Err(push_failed(sender_id))
            }
        }
    }
}

/// Java's remark for a push the client did not take (sic: no space).
fn push_failed(sender_id: &str) -> String {
    format!("push reply message to {sender_id}fail.")
}

/// The fields of Java's `ReplyMessageRequestHeader`, in its declared
/// order, as `makeCustomHeaderToNet` writes them: every non-null field
/// (`reconsumeTimes` only when the replier sent it).
pub(crate) fn reply_header_fields(
    header: &ReplyHeader<'_>,
    properties: &str,
    context: &PushContext<'_>,
) -> Vec<(String, String)> {
    let mut fields = vec![
        ("producerGroup".to_owned(), header.producer_group.to_owned()),
        ("topic".to_owned(), header.topic.to_owned()),
        ("defaultTopic".to_owned(), header.default_topic.to_owned()),
        (
            "defaultTopicQueueNums".to_owned(),
            header.default_topic_queue_nums.to_string(),
        ),
        ("queueId".to_owned(), header.queue_id.to_string()),
        ("sysFlag".to_owned(), header.sys_flag.to_string()),
        (
            "bornTimestamp".to_owned(),
            header.born_timestamp.to_string(),
        ),
        ("flag".to_owned(), header.flag.to_string()),
        ("properties".to_owned(), properties.to_owned()),
    ];
    if let Some(reconsume_times) = header.reconsume_times {
        fields.push(("reconsumeTimes".to_owned(), reconsume_times.to_string()));
    }
    fields.extend([
        ("unitMode".to_owned(), header.unit_mode.to_string()),
        ("bornHost".to_owned(), context.born_host.to_owned()),
        ("storeHost".to_owned(), context.store_host.to_owned()),
        ("storeTimestamp".to_owned(), context.now_millis.to_string()),
    ]);
    fields
}
