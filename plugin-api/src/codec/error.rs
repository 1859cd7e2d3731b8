//! Errors produced by the remoting codec.

/// Why a frame or header could not be decoded or encoded.
///
/// Every decode error means the byte stream can no longer be trusted: the caller
/// should close the connection (this is what the Java broker does).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The length field is negative, or `length + 4` exceeds the maximum frame size.
    #[error("frame length field {length} is negative or exceeds the maximum frame size {max} (length + 4 counted)")]
    FrameTooLong {
        /// The length field as read (or computed, when encoding).
        length: i64,
        /// The maximum frame size in effect (compared with `length + 4`).
        max: usize,
    },
    /// The length field is smaller than 4, so not even the header word fits.
    #[error("frame length field {length} is too small: at least 4 bytes (the header word) must follow it")]
    FrameTooShort {
        /// The length field as read.
        length: i64,
    },
    /// The 24-bit header length does not fit in the frame.
    #[error(
        "bad header length: header length {header_length} exceeds frame length {frame_length} - 4"
    )]
    BadHeaderLength {
        /// Header length from the header word.
        header_length: usize,
        /// The frame's length field (bytes following the length field).
        frame_length: usize,
    },
    /// The serialization type byte is neither 0 (JSON) nor 1 (ROCKETMQ).
    #[error("unknown serialize type byte {0} (expected 0 = JSON or 1 = ROCKETMQ)")]
    UnknownSerializeType(u8),
    /// The JSON header could not be parsed.
    #[error("invalid JSON header: {0}")]
    InvalidJsonHeader(String),
    /// The binary (ROCKETMQ) header could not be parsed.
    #[error("invalid binary header: {0}")]
    InvalidBinaryHeader(String),
    /// An encoded header is longer than the 24-bit header-length field allows.
    #[error("encoded header is {0} bytes, more than the 24-bit limit of 16777215")]
    HeaderTooLong(usize),
    /// A field value cannot be represented in the chosen serialization (e.g. a code > 32767 in binary).
    #[error("field `{field}` value {value} cannot be represented in this serialization")]
    FieldOutOfRange {
        /// Name of the offending field.
        field: &'static str,
        /// The value that did not fit.
        value: i64,
    },
}
