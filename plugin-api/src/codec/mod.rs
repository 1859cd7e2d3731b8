//! The RocketMQ remoting codec: frames, JSON and binary ("ROCKETMQ") headers.
//!
//! Wire format (all integers big-endian):
//! `length` (4 bytes, = 4 + headerLen + bodyLen) | `type << 24 | headerLen` (4 bytes) |
//! header | body (Java's `RemotingCommand.decode` / `fastEncodeHeader`; see `docs/PROTOCOL.md`).
//!
//! - [`decode_frame`] / [`encode_frame`]: whole frames on a byte stream.
//! - [`RemotingCommand`]: the decoded header plus body.
//! - [`encode_json_header`] / [`decode_json_header`], [`encode_binary_header`] /
//!   [`decode_binary_header`]: the two header serializations.
//! - [`HeaderLimits`]: what a request header may carry (checked after decoding).

pub mod binary_header;
pub mod command;
pub mod error;
pub mod frame;
pub mod json_header;
pub mod limits;
pub(crate) mod scan;

pub use binary_header::{decode_binary_header, encode_binary_header};
pub use command::{
    same_key, ExtFields, FieldSpan, FieldsView, InvalidFieldSpans, LanguageCode, RemotingCommand,
    SerializeType,
};
pub use error::CodecError;
pub use frame::{
    decode_after_length, decode_frame, encode_frame, encode_frame_with_fields, encode_to_vec,
    fill_frame_words, peek_frame, split_frame, FramePeek,
};
pub use json_header::{decode_json_header, encode_json_header};
pub use limits::{preview, HeaderLimitError, HeaderLimits};
pub use scan::find_string_special;

/// Bytes as text, invalid UTF-8 replaced with U+FFFD (as Java decodes).
/// Valid input, nearly all of it, is borrowed after std's fast check;
/// `String::from_utf8_lossy` alone walks it far more slowly.
pub fn text_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// `value` in decimal as Java prints it, written into the end of `buffer`
/// (20 bytes fit every i64); the formatting machinery costs several times
/// more, and headers carry a few integers per request.
pub(crate) fn format_decimal(value: i64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        buffer[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        at -= 1;
        buffer[at] = b'-';
    }
    &buffer[at..]
}

/// Default maximum frame size (`com.rocketmq.remoting.frameMaxLength`); Netty compares
/// `length + 4` with it, so the largest accepted length field is 16 777 212.
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 16_777_216;

/// Flag bit 0: the command is a response.
pub const FLAG_RESPONSE: i32 = 0x1;

/// Flag bit 1: the request is oneway (no response is sent, not even an error).
pub const FLAG_ONEWAY: i32 = 0x2;
