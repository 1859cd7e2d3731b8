//! The send request header, V1 (long names, code 10) and V2 (one-letter
//! names, codes 310/320), as `SendMessageRequestHeader(V2)` defines them.

use plugin_api::codes::request_code;
use plugin_api::sdk::{ProcessError, Request};

/// A parsed send header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendHeader {
    /// Producer group.
    pub producer_group: String,
    /// Target topic.
    pub topic: String,
    /// Auto-create template (normally TBW102).
    pub default_topic: String,
    /// Queues wanted when auto-created.
    pub default_topic_queue_nums: i32,
    /// Target queue (< 0 = broker picks).
    pub queue_id: i32,
    /// Sysflag from the client.
    pub sys_flag: i32,
    /// Producer timestamp.
    pub born_timestamp: i64,
    /// User flag.
    pub flag: i32,
    /// Encoded properties.
    pub properties: String,
    /// Delivery attempts so far.
    pub reconsume_times: i32,
    /// Max attempts (retry topics).
    pub max_reconsume_times: Option<i32>,
    /// Batch flag.
    pub batch: bool,
}

/// (V1 name, V2 name) of each field.
const FIELDS: [(&str, &str); 12] = [
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
    ("maxReconsumeTimes", "l"),
    ("batch", "m"),
];

impl SendHeader {
    /// Parses the header in the naming its code uses.
    pub fn parse(request: &Request<'_>) -> Result<SendHeader, ProcessError> {
        let v2 = request.code() != request_code::SEND_MESSAGE;
        let name = |index: usize| -> &'static str {
            if v2 {
                FIELDS[index].1
            } else {
                FIELDS[index].0
            }
        };
        Ok(SendHeader {
            producer_group: request.required(name(0))?,
            topic: request.required(name(1))?,
            default_topic: request.required(name(2))?,
            default_topic_queue_nums: request.required(name(3))?,
            queue_id: request.required(name(4))?,
            sys_flag: request.required(name(5))?,
            born_timestamp: request.required(name(6))?,
            flag: request.required(name(7))?,
            properties: request.optional(name(8))?.unwrap_or_default(),
            reconsume_times: request.optional(name(9))?.unwrap_or(0),
            max_reconsume_times: request.optional(name(10))?,
            batch: request.optional(name(11))?.unwrap_or(false)
                || request.code() == request_code::SEND_BATCH_MESSAGE,
        })
    }
}
