//! SEND_BATCH_MESSAGE bodies (`MessageDecoder.encodeMessages` /
//! `decodeMessages`, read by `SendMessageProcessor.sendBatchMessage`): concatenated
//! entries of `TOTALSIZE (i32) ‖ MAGICCODE (i32, ignored) ‖ BODYCRC (i32,
//! ignored) ‖ FLAG (i32) ‖ BODYLEN (i32) ‖ BODY ‖ PROPLEN (i16) ‖ PROPERTIES`.

use std::fmt;

/// Fixed bytes of one batch entry (`22 + bodyLen + propLen` in total).
pub const BATCH_ENTRY_FIXED_LEN: usize = 22;

/// One message of a batch body, borrowing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry<'a> {
    /// TOTALSIZE as the client wrote it (not used to advance, as in Java).
    pub total_size: i32,
    /// FLAG.
    pub flag: i32,
    /// BODY.
    pub body: &'a [u8],
    /// PROPERTIES (encoded; this message's own, e.g. UNIQ_KEY, TAGS, KEYS).
    pub properties: &'a str,
}

/// Why a batch body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchDecodeError {
    /// The body ends inside an entry.
    Truncated {
        /// Index of the entry.
        entry: usize,
        /// Byte offset of the entry in the body.
        offset: usize,
    },
    /// BODYLEN or PROPLEN is negative.
    NegativeLength {
        /// Index of the entry.
        entry: usize,
        /// Which field.
        field: &'static str,
    },
    /// The properties are not UTF-8.
    InvalidProperties {
        /// Index of the entry.
        entry: usize,
    },
}

impl fmt::Display for BatchDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchDecodeError::Truncated { entry, offset } => {
                write!(f, "batch entry {entry} at byte {offset} is truncated")
            }
            BatchDecodeError::NegativeLength { entry, field } => {
                write!(f, "batch entry {entry} has a negative {field}")
            }
            BatchDecodeError::InvalidProperties { entry } => {
                write!(f, "batch entry {entry} has properties that are not UTF-8")
            }
        }
    }
}

impl std::error::Error for BatchDecodeError {}

/// Decodes a SEND_BATCH_MESSAGE body into its entries. Entries are read by
/// their field lengths (TOTALSIZE is reported, not trusted), like the Java
/// broker. An empty body gives no entries.
pub fn decode_batch_body(body: &[u8]) -> Result<Vec<BatchEntry<'_>>, BatchDecodeError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < body.len() {
        let entry = out.len();
        let truncated = BatchDecodeError::Truncated { entry, offset: at };
        let rest = &body[at..];
        if rest.len() < 20 {
            return Err(truncated);
        }
        let i32_at =
            |p: usize| i32::from_be_bytes([rest[p], rest[p + 1], rest[p + 2], rest[p + 3]]);
        let total_size = i32_at(0);
        let flag = i32_at(12);
        let body_len = i32_at(16);
        if body_len < 0 {
            return Err(BatchDecodeError::NegativeLength {
                entry,
                field: "BODYLEN",
            });
        }
        let body_end = 20usize + body_len as usize;
        if rest.len() < body_end + 2 {
            return Err(truncated);
        }
        let msg_body = &rest[20..body_end];
        let prop_len = i16::from_be_bytes([rest[body_end], rest[body_end + 1]]);
        if prop_len < 0 {
            return Err(BatchDecodeError::NegativeLength {
                entry,
                field: "PROPLEN",
            });
        }
        let prop_end = body_end + 2 + prop_len as usize;
        if rest.len() < prop_end {
            return Err(truncated);
        }
        let properties = std::str::from_utf8(&rest[body_end + 2..prop_end])
            .map_err(|_| BatchDecodeError::InvalidProperties { entry })?;
        out.push(BatchEntry {
            total_size,
            flag,
            body: msg_body,
            properties,
        });
        at += prop_end;
    }
    Ok(out)
}

/// Appends one batch entry as a Java client encodes it (magic and CRC 0).
/// Fails if the properties exceed 32767 bytes or the body 2 GiB.
pub fn encode_batch_entry(
    out: &mut Vec<u8>,
    flag: i32,
    body: &[u8],
    properties: &str,
) -> Result<(), super::record::EncodeError> {
    if properties.len() > super::properties::MAX_PROPERTIES_LEN {
        return Err(super::record::EncodeError::PropertiesTooLong(
            properties.len(),
        ));
    }
    let total = BATCH_ENTRY_FIXED_LEN + body.len() + properties.len();
    if total > i32::MAX as usize {
        return Err(super::record::EncodeError::RecordTooLong(total));
    }
    out.extend_from_slice(&(total as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&flag.to_be_bytes());
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&(properties.len() as i16).to_be_bytes());
    out.extend_from_slice(properties.as_bytes());
    Ok(())
}
