//! Frame layer: `length` (u32 BE) | `type << 24 | headerLen` (u32 BE) | header | body.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::binary_header::{decode_binary_header, encode_binary_header_with};
use super::command::{ExtFields, FieldsView, RemotingCommand, SerializeType};
use super::error::CodecError;
use super::json_header::{decode_json_header, json_header_capacity, write_json_header};

/// Largest header length the 24-bit header-length field can carry.
const MAX_HEADER_LEN: usize = 0x00FF_FFFF;

/// Decodes one whole frame from the front of `src` if one is buffered.
///
/// `Ok(None)` means more bytes are needed; nothing is consumed. `Ok(Some(cmd))` consumes
/// exactly that frame. As soon as the 4-byte length field is buffered it is validated:
/// negative, or `length + 4 > max_frame_length` → [`CodecError::FrameTooLong`];
/// `length < 4` → [`CodecError::FrameTooShort`]. Once the whole frame is buffered it is
/// consumed and decoded with [`decode_after_length`]. After any error the stream is
/// unusable (how much of `src` was consumed is unspecified): close the connection.
pub fn decode_frame(
    src: &mut BytesMut,
    max_frame_length: usize,
) -> Result<Option<RemotingCommand>, CodecError> {
    match split_frame(src, max_frame_length)? {
        Some(frame) => decode_after_length(frame).map(Some),
        None => Ok(None),
    }
}

/// The frame at the front of `src` as its length field announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePeek {
    /// The length field: bytes of the frame after it (4 to the maximum).
    pub length: usize,
    /// The header length from the header word, once those 8 bytes are in.
    pub header_length: Option<usize>,
}

impl FramePeek {
    /// Bytes of the whole frame, length field included.
    pub fn total(&self) -> usize {
        4 + self.length
    }
}

/// Reads the length field (and header word) at the front of `src` without
/// consuming anything, with the checks of [`decode_frame`]: `Ok(None)` until
/// 4 bytes are in, then the frame's extent or the error that closes the
/// connection. A reader learns from it how much more to expect, and whether
/// the header is large enough to decode away from its network thread.
pub fn peek_frame(src: &[u8], max_frame_length: usize) -> Result<Option<FramePeek>, CodecError> {
    let Some(len_bytes) = src.get(..4) else {
        return Ok(None);
    };
    let mut field = [0u8; 4];
    field.copy_from_slice(len_bytes);
    let length = i64::from(i32::from_be_bytes(field));
    let too_long = u64::try_from(length)
        .map(|l| l + 4 > max_frame_length as u64)
        .unwrap_or(true);
    if too_long {
        return Err(CodecError::FrameTooLong {
            length,
            max: max_frame_length,
        });
    }
    if length < 4 {
        return Err(CodecError::FrameTooShort { length });
    }
    let header_length = src.get(4..8).map(|word| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(word);
        (u32::from_be_bytes(bytes) & 0x00FF_FFFF) as usize
    });
    Ok(Some(FramePeek {
        // 0 <= length <= i32::MAX here, so the cast is lossless.
        length: length as usize,
        header_length,
    }))
}

/// Takes the whole frame at the front of `src`, without its length field and
/// not yet decoded (for [`decode_after_length`], e.g. on another thread);
/// `Ok(None)` until it is all in. Errors as [`decode_frame`].
pub fn split_frame(
    src: &mut BytesMut,
    max_frame_length: usize,
) -> Result<Option<Bytes>, CodecError> {
    let Some(peek) = peek_frame(src, max_frame_length)? else {
        return Ok(None);
    };
    if src.len() < peek.total() {
        return Ok(None);
    }
    src.advance(4);
    Ok(Some(src.split_to(peek.length).freeze()))
}

/// Decodes a frame without its 4-byte length field (header word, header, body), e.g. for
/// a caller that already split frames. The body is a zero-copy slice of `frame`.
///
/// Errors: fewer than 4 bytes ([`CodecError::FrameTooShort`]), header length beyond the
/// frame ([`CodecError::BadHeaderLength`]), unknown type byte
/// ([`CodecError::UnknownSerializeType`]), undecodable header.
pub fn decode_after_length(frame: Bytes) -> Result<RemotingCommand, CodecError> {
    let length = frame.len();
    let Some(word_bytes) = frame.get(..4) else {
        return Err(CodecError::FrameTooShort {
            length: length as i64,
        });
    };
    let mut word = [0u8; 4];
    word.copy_from_slice(word_bytes);
    let word = u32::from_be_bytes(word);
    let type_byte = (word >> 24) as u8;
    let header_length = (word & 0x00FF_FFFF) as usize;
    if header_length > length - 4 {
        return Err(CodecError::BadHeaderLength {
            header_length,
            frame_length: length,
        });
    }
    let serialize_type =
        SerializeType::from_byte(type_byte).ok_or(CodecError::UnknownSerializeType(type_byte))?;
    let header = &frame[4..4 + header_length];
    let mut cmd = match serialize_type {
        SerializeType::Json => decode_json_header(header)?,
        SerializeType::RocketMq => decode_binary_header(header)?,
    };
    cmd.serialize_type = serialize_type;
    cmd.body = frame.slice(4 + header_length..);
    Ok(cmd)
}

/// Appends `cmd` as one frame to `dst`, with the header in `cmd.serialize_type`.
///
/// Errors: the header exceeds 24 bits ([`CodecError::HeaderTooLong`]); in binary, a
/// code/version outside i16 ([`CodecError::FieldOutOfRange`]); the frame's length field
/// would exceed `i32::MAX` ([`CodecError::FrameTooLong`]). Nothing is written on error.
/// The frame is not checked against [`super::DEFAULT_MAX_FRAME_LENGTH`].
pub fn encode_frame(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), CodecError> {
    encode_frame_with_fields(cmd, cmd.ext_fields.as_ref().map(ExtFields::view), dst)
}

/// [`encode_frame`] with `fields` as the header's `extFields` instead of
/// `cmd.ext_fields` (which is not read): a response whose fields a plugin
/// built is written from them without a copy.
pub fn encode_frame_with_fields(
    cmd: &RemotingCommand,
    fields: Option<FieldsView<'_>>,
    dst: &mut BytesMut,
) -> Result<(), CodecError> {
    let start = dst.len();
    match cmd.serialize_type {
        SerializeType::Json => {
            // The header goes straight into `dst` behind room for the two
            // length words, which are filled in once its length is known.
            dst.reserve(8 + json_header_capacity(fields) + cmd.body.len());
            dst.put_slice(&[0; 8]);
            write_json_header(cmd, fields, dst);
        }
        SerializeType::RocketMq => {
            let header = encode_binary_header_with(cmd, fields)?;
            dst.reserve(8 + header.len() + cmd.body.len());
            dst.put_slice(&[0; 8]);
            dst.put_slice(&header);
        }
    }
    let header_len = dst.len() - start - 8;
    if let Err(error) = fill_frame_words(
        &mut dst[start..start + 8],
        cmd.serialize_type,
        header_len,
        cmd.body.len(),
    ) {
        // Nothing is written on error.
        dst.truncate(start);
        return Err(error);
    }
    dst.put_slice(&cmd.body);
    Ok(())
}

/// Writes a frame's length field and header word into `words` (the 8 bytes
/// left in front of a header written in place): for a header of
/// `header_len` bytes in `serialize_type` and a body of `body_len` bytes.
/// `words` is left as it was when there is no such frame.
///
/// Errors: [`CodecError::HeaderTooLong`], [`CodecError::FrameTooLong`].
pub fn fill_frame_words(
    words: &mut [u8],
    serialize_type: SerializeType,
    header_len: usize,
    body_len: usize,
) -> Result<(), CodecError> {
    if header_len > MAX_HEADER_LEN {
        return Err(CodecError::HeaderTooLong(header_len));
    }
    let length = 4 + header_len + body_len;
    let length_field = i32::try_from(length).map_err(|_| CodecError::FrameTooLong {
        length: i64::try_from(length).unwrap_or(i64::MAX),
        max: i32::MAX as usize,
    })?;
    let word = (u32::from(serialize_type.as_byte()) << 24) | header_len as u32;
    words[..4].copy_from_slice(&length_field.to_be_bytes());
    words[4..8].copy_from_slice(&word.to_be_bytes());
    Ok(())
}

/// Encodes `cmd` as one frame into a new vector (see [`encode_frame`]).
pub fn encode_to_vec(cmd: &RemotingCommand) -> Result<Vec<u8>, CodecError> {
    let mut buf = BytesMut::new();
    encode_frame(cmd, &mut buf)?;
    Ok(buf.to_vec())
}
