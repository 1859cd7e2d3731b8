//! The reply request header: `SendMessageRequestHeader` (code 324, long
//! names) or `SendMessageRequestHeaderV2` (code 325, one-letter names), as
//! Java's `ReplyMessageProcessor.parseRequestHeader` reads them (V2 turned
//! into V1 by `createSendMessageRequestHeaderV1`).

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::{self, ProcessError, Request};

/// A parsed reply header; its text fields borrow the request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyHeader<'a> {
    /// Producer group of the replier.
    pub producer_group: &'a str,
    /// Target topic (the cluster's reply topic).
    pub topic: &'a str,
    /// Auto-create template.
    pub default_topic: &'a str,
    /// Queues wanted when auto-created.
    pub default_topic_queue_nums: i32,
    /// Target queue (< 0 = the broker picks).
    pub queue_id: i32,
    /// Sysflag from the client.
    pub sys_flag: i32,
    /// Producer timestamp.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Encoded properties (`None` when absent).
    pub properties: Option<&'a str>,
    /// Delivery attempts (`None` when absent: not forwarded then).
    pub reconsume_times: Option<i32>,
    /// Unit mode.
    pub unit_mode: bool,
}

/// (V1 name, V2 name) of each field read.
const FIELDS: [(&str, &str); 11] = [
    ("producerGroup", "a"),
    ("topic", "b"),
    ("defaultTopic", "c"),
    ("defaultTopicQueueNums", "d"),
    ("queueId", "e"),
    ("sysFlag", "f"),
    ("bornTimestamp", "g"),
    ("flag", "h"),
    ("properties", "i"),
    ("reconsumeTimes", "j"),
    ("unitMode", "k"),
];

impl<'a> ReplyHeader<'a> {
    /// Parses the header in the naming its code uses (the last of a
    /// repeated key wins, as in a map). A missing required field answers
    /// SYSTEM_ERROR naming it, as Java's header decoding does.
    pub fn parse(request: &Request<'a>) -> Result<ReplyHeader<'a>, ProcessError> {
        let v2 = request.code() == request_code::SEND_REPLY_MESSAGE_V2;
        let names = FIELDS.map(|(v1, v2_name)| if v2 { v2_name } else { v1 });
        let mut values: [Option<&'a str>; 11] = [None; 11];
        for (key, value) in request.ext_fields() {
            if let Some(index) = names.iter().position(|name| *name == key) {
                values[index] = Some(value);
            }
        }
        Ok(ReplyHeader {
            producer_group: sdk::required_text(names[0], values[0])?,
            topic: sdk::required_text(names[1], values[1])?,
            default_topic: sdk::required_text(names[2], values[2])?,
            default_topic_queue_nums: sdk::required(names[3], values[3])?,
            queue_id: sdk::required(names[4], values[4])?,
            sys_flag: sdk::required(names[5], values[5])?,
            born_timestamp: sdk::required(names[6], values[6])?,
            flag: sdk::required(names[7], values[7])?,
            properties: values[8],
            reconsume_times: sdk::optional(names[9], values[9])?,
            unit_mode: sdk::optional(names[10], values[10])?.unwrap_or(false),
        })
    }
}
