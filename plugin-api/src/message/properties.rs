//! Message properties: the well-known names (`MessageConst`) and the
//! `name U+0001 value U+0002` string encoding stored in commit-log records
//! (`MessageDecoder.messageProperties2String` / `string2messageProperties`).

use std::borrow::Cow;
use std::fmt;

/// Separator between a property name and its value (U+0001).
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Separator after each property (U+0002).
pub const PROPERTY_SEPARATOR: char = '\u{2}';
/// Largest encoded properties string a record can hold (PROPERTIESLEN is an i16).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;

/// Message tag; the consume-queue tagsCode is its Java hash.
pub const TAGS: &str = "TAGS";
/// Business keys separated by [`KEY_SEPARATOR`]; each one is indexed.
pub const KEYS: &str = "KEYS";
/// Separator of the keys in [`KEYS`].
pub const KEY_SEPARATOR: &str = " ";
/// Client-generated unique message id (`MessageClientIDSetter`); indexed.
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// `true` (default) = wait for SYNC_FLUSH / replication before answering.
pub const WAIT: &str = "WAIT";
/// Delay level 1..N (`messageDelayLevel`).
pub const DELAY: &str = "DELAY";
/// Original topic of a delayed / transactional message.
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// Original queue id of a delayed / transactional message.
pub const REAL_QID: &str = "REAL_QID";
/// Original topic of a retried message.
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Reconsume counter (client side).
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// Maximum reconsume times (client side).
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
/// Id of the first delivery of a retried message.
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// Broker cluster name, added by the broker on every send.
pub const CLUSTER: &str = "CLUSTER";
/// Region id (tracing).
pub const MSG_REGION: &str = "MSG_REGION";
/// Trace switch.
pub const TRACE_ON: &str = "TRACE_ON";
/// `true` for a transactional (half) message.
pub const TRAN_MSG: &str = "TRAN_MSG";
/// Producer group of a transactional message.
pub const PGROUP: &str = "PGROUP";
/// Transaction id.
pub const TRANSACTION_ID: &str = "__transactionId__";
/// Transaction check counter.
pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
/// First check delay of a transactional message.
pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// Queue offset of the half message.
pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// Added by the client after a pull; never stored.
pub const MIN_OFFSET: &str = "MIN_OFFSET";
/// Added by the client after a pull; never stored.
pub const MAX_OFFSET: &str = "MAX_OFFSET";
/// Request/reply: instance id.
pub const INSTANCE_ID: &str = "INSTANCE_ID";
/// Request/reply: correlation id.
pub const CORRELATION_ID: &str = "CORRELATION_ID";
/// Request/reply: client to reply to.
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// Request/reply: time to live.
pub const TTL: &str = "TTL";
/// Request/reply: arrive time.
pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
/// Request/reply: message type.
pub const MSG_TYPE: &str = "MSG_TYPE";
/// Ordered messages: sharding key.
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// 5.x timer: delivery time (ms).
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// 5.x timer: delay (s).
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// 5.x timer: delay (ms).
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
/// 5.x timer.
pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// 5.x timer.
pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
/// 5.x timer.
pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
/// 5.x timer.
pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
/// 5.x timer.
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
/// 5.x inner batch: message count.
pub const INNER_NUM: &str = "INNER_NUM";
/// 5.x inner batch: base queue offset.
pub const INNER_BASE: &str = "INNER_BASE";
/// 5.x whole-record CRC (`enabledAppendPropCRC`).
pub const CRC32: &str = "__CRC32#";
/// 5.x: topic of a message moved to the DLQ.
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
/// 5.x: message id of a message moved to the DLQ.
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// Consume start time (client side).
pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
/// Duplication info (`duplicationEnable`).
pub const DUP_INFO: &str = "DUP_INFO";

/// Iterator over the `(name, value)` pairs of an encoded properties string,
/// in order, with Java's `string2messageProperties` rules: segments are split
/// on U+0002; a segment counts only if its first U+0001 is neither its first
/// nor its last character (name and value non-empty); the name is the text
/// before that U+0001, the value the rest (it may contain U+0001).
///
/// Duplicates are yielded as they come; Java keeps the last one.
#[derive(Debug, Clone)]
pub struct PropertyIter<'a> {
    rest: &'a str,
    done: bool,
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (name_end, segment_end) = scan_segment(self.rest.as_bytes());
            let segment_end = segment_end.unwrap_or_else(|| {
                self.done = true;
                self.rest.len()
            });
            // Both separators are ASCII: every index here is a char boundary.
            let segment = self.rest.get(..segment_end).unwrap_or_default();
            self.rest = self.rest.get(segment_end + 1..).unwrap_or_default();
            if self.rest.is_empty() {
                self.done = true;
            }
            if let Some(sep) = name_end {
                // Java: kvSepIndex > index && kvSepIndex < newIndex - 1.
                if sep > 0 && sep + 1 < segment.len() {
                    return Some((
                        segment.get(..sep).unwrap_or_default(),
                        segment.get(sep + 1..).unwrap_or_default(),
                    ));
                }
            }
        }
        None
    }
}

/// In one pass: the first U+0001 before the first U+0002, and that U+0002
/// (the end of the property), eight bytes at a time. Every message is read
/// this way twice (by the send processor and by the dispatch to the consume
/// queue and index), and two `find`s per property cost several times more.
fn scan_segment(bytes: &[u8]) -> (Option<usize>, Option<usize>) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // (b & 0x7F) + 0x7D reaches 0x80 exactly when b & 0x7F >= 3, without
    // carrying into the next byte; b's own high bit rules out b >= 0x80.
    const PLUS_7D: u64 = 0x7D7D_7D7D_7D7D_7D7D;
    let mut name_end = None;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // Marks every byte below 3 (0, 1, 2), exactly.
        let mut marks = !(((word & LOW7) + PLUS_7D) | word) & HIGHS;
        while marks != 0 {
            let index = base + (marks.trailing_zeros() / 8) as usize;
            marks &= marks - 1;
            match bytes[index] {
                0x02 => return (name_end, Some(index)),
                0x01 if name_end.is_none() => name_end = Some(index),
                _ => {}
            }
        }
        base += 8;
    }
    for (offset, &byte) in chunks.remainder().iter().enumerate() {
        match byte {
            0x02 => return (name_end, Some(base + offset)),
            0x01 if name_end.is_none() => name_end = Some(base + offset),
            _ => {}
        }
    }
    (name_end, None)
}

/// Iterates the properties of an encoded string (see [`PropertyIter`]).
pub fn iter_properties(properties: &str) -> PropertyIter<'_> {
    PropertyIter {
        rest: properties,
        done: properties.is_empty(),
    }
}

/// The value of `name` in an encoded properties string (the last occurrence,
/// as Java's map keeps it), without allocating.
pub fn find_property<'a>(properties: &'a str, name: &str) -> Option<&'a str> {
    iter_properties(properties)
        .filter(|(k, _)| *k == name)
        .last()
        .map(|(_, v)| v)
}

/// Decodes an encoded properties string with Java's `string2messageProperties`
/// rules (see [`Properties::parse`]), as owned pairs.
pub fn decode_properties(properties: &str) -> Vec<(String, String)> {
    Properties::parse(properties).into_vec()
}

/// Encodes properties like `messageProperties2String`: `name U+0001 value
/// U+0002` for each pair, in the given order.
pub fn encode_properties<I, K, V>(properties: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    // Room for a few typical properties; grows past that.
    let mut out = String::with_capacity(128);
    for (k, v) in properties {
        out.push_str(k.as_ref());
        out.push(NAME_VALUE_SEPARATOR);
        out.push_str(v.as_ref());
        out.push(PROPERTY_SEPARATOR);
    }
    out
}

/// Ordered message properties (insertion order, unique names). Names and
/// values borrow the encoded string they were parsed from, so reading a
/// message's properties and adding one or two allocates only what is added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties<'a> {
    entries: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Properties<'a> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes an encoded properties string with Java's
    /// `string2messageProperties` rules (see [`PropertyIter`]). A later
    /// duplicate overwrites the value of an earlier one, which keeps its
    /// position.
    pub fn parse(encoded: &'a str) -> Self {
        // A client message carries a handful (TAGS, KEYS, WAIT, UNIQ_KEY, ...);
        // the broker adds two or three.
        let mut properties = Properties {
            entries: Vec::with_capacity(8),
        };
        for (name, value) in iter_properties(encoded) {
            properties.insert(name, value);
        }
        properties
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// Whether `name` is present.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` (replacing the value in place if present, else appending);
    /// returns the previous value.
    pub fn insert(
        &mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Option<Cow<'a, str>> {
        let name = name.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => Some(std::mem::replace(&mut slot.1, value)),
            None => {
                self.entries.push((name, value));
                None
            }
        }
    }

    /// Removes `name`; returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Cow<'a, str>> {
        let pos = self.entries.iter().position(|(k, _)| k == name)?;
        Some(self.entries.remove(pos).1)
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// Encodes with [`encode_properties`].
    pub fn encode(&self) -> String {
        encode_properties(self.iter())
    }

    /// The pairs as owned strings, consuming the set.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.entries
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

impl fmt::Display for Properties<'_> {
    /// The encoded form ([`Properties::encode`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl<'a, K: Into<Cow<'a, str>>, V: Into<Cow<'a, str>>> FromIterator<(K, V)> for Properties<'a> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut p = Properties::new();
        for (k, v) in iter {
            p.insert(k, v);
        }
        p
    }
}

impl From<Vec<(String, String)>> for Properties<'static> {
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java's string2messageProperties, written out the plain way.
    fn java_split(properties: &str) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        let mut rest = properties;
        loop {
            let (segment, next) = match rest.find(PROPERTY_SEPARATOR) {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            if let Some(sep) = segment.find(NAME_VALUE_SEPARATOR) {
                if sep > 0 && sep + 1 < segment.len() {
                    out.push((&segment[..sep], &segment[sep + 1..]));
                }
            }
            match next {
                Some(next) if !next.is_empty() => rest = next,
                _ => return out,
            }
        }
    }

    #[test]
    fn separators_are_found_at_every_position_and_around_word_edges() {
        let texts = [
            String::new(),
            "\u{2}".into(),
            "\u{1}\u{2}".into(),
            "a\u{1}b".into(),
            "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}WAIT\u{1}true\u{2}".into(),
            "12345678\u{1}1234567\u{2}x\u{1}\u{1}y\u{2}\u{2}\u{1}v\u{2}n\u{1}\u{2}".into(),
            "é\u{0}\u{3}\u{1}ü\u{7f}\u{80}\u{2}中文\u{1}值\u{2}".into(),
        ];
        for text in &texts {
            assert_eq!(
                iter_properties(text).collect::<Vec<_>>(),
                java_split(text),
                "{text:?}"
            );
        }
        for len in 0..20 {
            for at in 0..len {
                for second in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = 1;
                    bytes[second] = 2;
                    let text = String::from_utf8(bytes).expect("ascii");
                    assert_eq!(
                        iter_properties(&text).collect::<Vec<_>>(),
                        java_split(&text),
                        "{text:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn splitting_agrees_with_javas_rules(text in "[a\u{0}\u{1}\u{2}\u{3}é中]{0,40}") {
            proptest::prop_assert_eq!(iter_properties(&text).collect::<Vec<_>>(), java_split(&text));
        }
    }
}
