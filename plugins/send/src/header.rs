//! The send request header, V1 (long names, code 10) and V2 (one-letter
//! names, codes 310/320), as `SendMessageRequestHeader(V2)` defines them.

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::{self, ProcessError, Request};

/// A parsed send header; its text fields borrow the request's (a send copies
/// nothing it does not change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendHeader<'a> {
    /// Producer group.
    pub producer_group: &'a str,
    /// Target topic.
    pub topic: &'a str,
    /// Auto-create template (normally TBW102).
    pub default_topic: &'a str,
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
    pub properties: &'a str,
    /// Delivery attempts so far.
    pub reconsume_times: i32,
    /// Max attempts (retry topics).
    pub max_reconsume_times: Option<i32>,
    /// Batch flag (`m`): the body is a batch of encoded messages.
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

/// Which of [`FIELDS`] `key` is, in the naming of the request's code.
#[inline]
fn field_index(key: &str, v2: bool) -> Option<usize> {
    if v2 {
        // One letter: 'a'..='m', 'k' (unitMode) not read.
        match key.as_bytes() {
            [letter @ b'a'..=b'j'] => Some(usize::from(letter - b'a')),
            [b'l'] => Some(10),
            [b'm'] => Some(11),
            _ => None,
        }
    } else {
        FIELDS.iter().position(|(v1, _)| *v1 == key)
    }
}

impl<'a> SendHeader<'a> {
    /// Parses the header in the naming its code uses (one pass over the
    /// fields; the last of a repeated key wins, as in a map).
    pub fn parse(request: &Request<'a>) -> Result<SendHeader<'a>, ProcessError> {
        let v2 = request.code() != request_code::SEND_MESSAGE;
        let names = FIELDS.map(|(v1, v2_name)| if v2 { v2_name } else { v1 });
        let mut values: [Option<&'a str>; 12] = [None; 12];
        for (key, value) in request.ext_fields() {
            if let Some(index) = field_index(key, v2) {
                values[index] = Some(value);
            }
        }
        Ok(SendHeader {
            producer_group: sdk::required_text(names[0], values[0])?,
            topic: sdk::required_text(names[1], values[1])?,
            default_topic: sdk::required_text(names[2], values[2])?,
            default_topic_queue_nums: sdk::required(names[3], values[3])?,
            queue_id: sdk::required(names[4], values[4])?,
            sys_flag: sdk::required(names[5], values[5])?,
            born_timestamp: sdk::required(names[6], values[6])?,
            flag: sdk::required(names[7], values[7])?,
            properties: values[8].unwrap_or_default(),
            reconsume_times: sdk::optional(names[9], values[9])?.unwrap_or(0),
            max_reconsume_times: sdk::optional(names[10], values[10])?,
            // Java decides on the flag alone (clients set it with code 320).
            batch: sdk::optional(names[11], values[11])?.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_index_knows_both_namings_and_nothing_else() {
        for (index, (v1, v2_name)) in FIELDS.iter().enumerate() {
            assert_eq!(field_index(v1, false), Some(index), "{v1}");
            assert_eq!(field_index(v2_name, true), Some(index), "{v2_name}");
            assert_eq!(field_index(v1, true), None, "{v1}");
        }
        for other in ["k", "n", "", "aa", "A", "unitMode", "topicX"] {
            assert_eq!(field_index(other, true), None, "{other}");
            assert_eq!(field_index(other, false), None, "{other}");
        }
    }
}
