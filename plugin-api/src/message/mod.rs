//! RocketMQ messages as the store keeps them: the commit-log record codec,
//! properties, message ids, tag hashes, SEND_BATCH_MESSAGE bodies and the
//! transactional (half and op) records.
//!
//! Pure Rust, no I/O; shared by the host's message store and by plugins
//! (which decode pull bodies and build records). Layouts follow Apache
//! RocketMQ's `MessageDecoder`, `MessageExtEncoder` and `CommitLog`
//! (described in `docs/STORE.md`).

pub mod batch;
mod crc;
pub mod msg_id;
pub mod properties;
pub mod recall_handle;
pub mod record;
pub mod transaction;

pub use batch::{decode_batch_body, encode_batch_entry, BatchDecodeError, BatchEntry};
pub use crc::{body_crc, crc32};
pub use msg_id::{
    configure_uniq_id, decode_offset_msg_id, new_uniq_id, offset_msg_id, write_offset_msg_id,
    UniqIdGenerator,
};
pub use properties::{
    decode_properties, encode_properties, find_property, iter_properties, Properties,
};
pub use recall_handle::{InvalidRecallHandle, RecallHandle};
pub use record::{
    decode_record, decode_records, encode_blank_into, encode_record_into, parse_record,
    record_length, sysflag, DispatchProperties, EncodeError, InvalidRecord, MessageRecord,
    RecordHeader, RecordParse, RecordRead, RecordToEncode, RecordView, BLANK_MAGIC_CODE,
    MESSAGE_MAGIC_CODE, MESSAGE_MAGIC_CODE_V2,
};

/// Milliseconds since the Unix epoch (Java's `System.currentTimeMillis`), the
/// unit of every timestamp in a record; 0 if the clock is set before 1970.
/// The host's `clock::now_millis` reads this same clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `java.lang.String.hashCode()`: `h = 31*h + c` over the UTF-16 code units,
/// wrapping at 32 bits.
pub fn java_string_hash(s: &str) -> i32 {
    java_hash_extend(0, s)
}

/// Continues a [`java_string_hash`] with more text: the hash of `a + b` is
/// `java_hash_extend(java_string_hash(a), b)`. Lets index keys like
/// `topic#key` be hashed without building the string.
pub fn java_hash_extend(mut h: i32, s: &str) -> i32 {
    if s.is_ascii() {
        for &b in s.as_bytes() {
            h = h.wrapping_mul(31).wrapping_add(b as i32);
        }
    } else {
        for u in s.encode_utf16() {
            h = h.wrapping_mul(31).wrapping_add(u as i32);
        }
    }
    h
}

/// The consume-queue tagsCode of a TAGS value: its Java hash sign-extended
/// to 64 bits; 0 when there are no tags (absent or empty).
pub fn tags_code(tags: Option<&str>) -> i64 {
    match tags {
        Some(t) if !t.is_empty() => java_string_hash(t) as i64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hashes() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2_598_919);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Non-BMP: one char, two UTF-16 units.
        assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
        assert_eq!(
            java_hash_extend(java_string_hash("TopicTest#"), "key"),
            java_string_hash("TopicTest#key")
        );
        assert_eq!(tags_code(Some("TagA")), 2_598_919);
        assert_eq!(tags_code(Some("")), 0);
        assert_eq!(tags_code(None), 0);
        assert_eq!(tags_code(Some("polygenelubricants")), i32::MIN as i64);
    }
}
