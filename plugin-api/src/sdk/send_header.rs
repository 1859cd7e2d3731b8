//! The header of a message a client sends: Java's `SendMessageRequestHeader`
//! (long names: SEND_MESSAGE 10, SEND_REPLY_MESSAGE 324) and
//! `SendMessageRequestHeaderV2` (one-letter names: SEND_MESSAGE_V2 310,
//! SEND_BATCH_MESSAGE 320, SEND_REPLY_MESSAGE_V2 325). The send and the
//! reply processors read the same header, as Java's do.

use super::{optional, required, required_text, ProcessError, Request};
use crate::codes::request_code;

/// A parsed send header; its text fields borrow the request's (a processor
/// copies nothing it does not change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMessageHeader<'a> {
    /// Producer group.
    pub producer_group: &'a str,
    /// Target topic.
    pub topic: &'a str,
    /// Auto-create template (normally TBW102).
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
    /// Delivery attempts so far (`None` when absent).
    pub reconsume_times: Option<i32>,
    /// Unit mode.
    pub unit_mode: bool,
    /// Max attempts (retry topics).
    pub max_reconsume_times: Option<i32>,
    /// Batch flag (`m`): the body is a batch of encoded messages.
    pub batch: bool,
}

/// (V1 name, V2 name) of each field read, in [`SendMessageHeader`]'s order.
const FIELDS: [(&str, &str); 13] = [
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
    ("maxReconsumeTimes", "l"),
    ("batch", "m"),
];

/// Which of [`FIELDS`] `key` is, in the naming of the request's code.
#[inline]
fn field_index(key: &str, v2: bool) -> Option<usize> {
    if v2 {
        // One letter, 'a'..='m' in order (this is the send hot path).
        match key.as_bytes() {
            [letter @ b'a'..=b'm'] => Some(usize::from(letter - b'a')),
            _ => None,
        }
    } else {
        FIELDS.iter().position(|(v1, _)| *v1 == key)
    }
}

impl<'a> SendMessageHeader<'a> {
    /// Parses the header in the naming its code uses (one pass over the
    /// fields; the last of a repeated key wins, as in a map). A missing or
    /// unreadable required field answers SYSTEM_ERROR naming it, as Java's
    /// header decoding does.
    pub fn parse(request: &Request<'a>) -> Result<SendMessageHeader<'a>, ProcessError> {
        let v2 = !matches!(
            request.code(),
            request_code::SEND_MESSAGE | request_code::SEND_REPLY_MESSAGE
        );
        let names = FIELDS.map(|(v1, v2_name)| if v2 { v2_name } else { v1 });
        let mut values: [Option<&'a str>; 13] = [None; 13];
        for (key, value) in request.ext_fields() {
            if let Some(index) = field_index(key, v2) {
                values[index] = Some(value);
            }
        }
        Ok(SendMessageHeader {
            producer_group: required_text(names[0], values[0])?,
            topic: required_text(names[1], values[1])?,
            default_topic: required_text(names[2], values[2])?,
            default_topic_queue_nums: required(names[3], values[3])?,
            queue_id: required(names[4], values[4])?,
            sys_flag: required(names[5], values[5])?,
            born_timestamp: required(names[6], values[6])?,
            flag: required(names[7], values[7])?,
            properties: values[8],
            reconsume_times: optional(names[9], values[9])?,
            // Java's `Boolean.parseBoolean`: anything but "true" is false.
            unit_mode: values[10].is_some_and(|text| text.eq_ignore_ascii_case("true")),
            max_reconsume_times: optional(names[11], values[11])?,
            // Java decides on the flag alone (clients set it with code 320).
            batch: optional(names[12], values[12])?.unwrap_or(false),
        })
    }

    /// The encoded properties, empty when absent.
    pub fn properties_text(&self) -> &'a str {
        self.properties.unwrap_or_default()
    }

    /// Delivery attempts so far, 0 when absent.
    pub fn reconsume_count(&self) -> i32 {
        self.reconsume_times.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::testing::RequestBuilder;

    #[test]
    fn field_index_knows_both_namings_and_nothing_else() {
        for (index, (v1, v2_name)) in FIELDS.iter().enumerate() {
            assert_eq!(field_index(v1, false), Some(index), "{v1}");
            assert_eq!(field_index(v2_name, true), Some(index), "{v2_name}");
            assert_eq!(field_index(v1, true), None, "{v1}");
        }
        for other in ["n", "", "aa", "A", "topicX"] {
            assert_eq!(field_index(other, true), None, "{other}");
            assert_eq!(field_index(other, false), None, "{other}");
        }
    }

    #[test]
    fn the_code_decides_the_naming() {
        let v1 = [
            ("producerGroup", "pg"),
            ("topic", "T"),
            ("defaultTopic", "TBW102"),
            ("defaultTopicQueueNums", "4"),
            ("queueId", "1"),
            ("sysFlag", "0"),
            ("bornTimestamp", "7"),
            ("flag", "0"),
            ("unitMode", "true"),
        ];
        for code in [request_code::SEND_MESSAGE, request_code::SEND_REPLY_MESSAGE] {
            let mut builder = RequestBuilder::new(code);
            for (key, value) in v1 {
                builder = builder.field(key, value);
            }
            let header = builder.with_request(|request| {
                SendMessageHeader::parse(request)
                    .ok()
                    .map(|h| (h.topic.to_owned(), h.unit_mode))
            });
            assert_eq!(header, Some(("T".to_owned(), true)), "code {code}");
        }
        let missing = RequestBuilder::new(request_code::SEND_MESSAGE_V2)
            .field("topic", "T")
            .with_request(|request| SendMessageHeader::parse(request).is_ok());
        assert!(!missing, "V2 names are one letter");
    }
}
