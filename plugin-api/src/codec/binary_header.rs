//! Binary "ROCKETMQ" header serialization (type byte 1), as in Java's
//! `RocketMQSerializable`.
//!
//! Layout (big-endian): `code` i16, `language` u8, `version` i16, `opaque` i32,
//! `flag` i32, `remarkLen` i32 + UTF-8 remark, `extLen` i32 + map block of entries
//! `keyLen` u16 + key, `valLen` i32 + value.

use super::command::{ExtFields, FieldsView, LanguageCode, RemotingCommand, SerializeType};
use super::error::CodecError;

/// Size of the fixed part: code, language, version, opaque, flag, remarkLen, extLen.
const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4 + 4 + 4;

/// Serializes the header of `cmd` in the binary layout.
///
/// `remark` `None` or `""` is written as length 0; `ext_fields` `None` (or empty) as
/// length 0. Fails with [`CodecError::FieldOutOfRange`] if `code` or `version` does not
/// fit in an i16 or a key is longer than 65535 bytes, and with
/// [`CodecError::HeaderTooLong`] if a length does not fit in an i32.
pub fn encode_binary_header(cmd: &RemotingCommand) -> Result<Vec<u8>, CodecError> {
    encode_binary_header_with(cmd, cmd.ext_fields.as_ref().map(ExtFields::view))
}

/// [`encode_binary_header`] with `fields` as the header's `extFields`
/// (`cmd.ext_fields` is not read).
pub(crate) fn encode_binary_header_with(
    cmd: &RemotingCommand,
    fields: Option<FieldsView<'_>>,
) -> Result<Vec<u8>, CodecError> {
    let code = i16::try_from(cmd.code).map_err(|_| CodecError::FieldOutOfRange {
        field: "code",
        value: i64::from(cmd.code),
    })?;
    let version = i16::try_from(cmd.version).map_err(|_| CodecError::FieldOutOfRange {
        field: "version",
        value: i64::from(cmd.version),
    })?;
    let remark = cmd.remark.as_deref().unwrap_or("").as_bytes();
    let ext_len: usize = fields.map_or(0, |e| {
        e.iter().map(|(k, v)| 2 + k.len() + 4 + v.len()).sum()
    });
    let total = FIXED_LEN + remark.len() + ext_len;

    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&code.to_be_bytes());
    out.push(cmd.language.as_byte());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&cmd.opaque.to_be_bytes());
    out.extend_from_slice(&cmd.flag.to_be_bytes());
    out.extend_from_slice(&len_i32(remark.len(), total)?.to_be_bytes());
    out.extend_from_slice(remark);
    out.extend_from_slice(&len_i32(ext_len, total)?.to_be_bytes());
    if let Some(ext) = fields {
        for (k, v) in ext.iter() {
            let key_len = u16::try_from(k.len()).map_err(|_| CodecError::FieldOutOfRange {
                field: "extFields key length",
                value: i64::try_from(k.len()).unwrap_or(i64::MAX),
            })?;
            out.extend_from_slice(&key_len.to_be_bytes());
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&len_i32(v.len(), total)?.to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
    }
    Ok(out)
}

fn len_i32(len: usize, total: usize) -> Result<i32, CodecError> {
    i32::try_from(len).map_err(|_| CodecError::HeaderTooLong(total))
}

/// Parses a binary header.
///
/// Returns a command with the header fields filled in, `serialize_type` = ROCKETMQ and
/// an empty body. Rules (mirroring Java): remark length 0 = `None`; ext length 0 = `None`;
/// a zero-length key or value skips that entry; duplicate keys keep the last value;
/// unknown language byte = OTHER; invalid UTF-8 is replaced with U+FFFD; bytes after
/// the map block are ignored. Any negative length, or one running past the header
/// (or, for entries, past the map block), is an error.
pub fn decode_binary_header(bytes: &[u8]) -> Result<RemotingCommand, CodecError> {
    let mut r = Reader { buf: bytes };
    let code = r.i16("code")?;
    let language = LanguageCode::from_byte(r.u8("language")?);
    let version = r.i16("version")?;
    let opaque = r.i32("opaque")?;
    let flag = r.i32("flag")?;

    let remark_len = r.len_i32("remark length")?;
    let remark = r.take(remark_len, "remark")?;
    let remark = (remark_len > 0).then(|| String::from_utf8_lossy(remark).into_owned());

    let ext_len = r.len_i32("extFields length")?;
    let ext_block = r.take(ext_len, "extFields")?;
    let ext_fields = if ext_len == 0 {
        None
    } else {
        Some(decode_map(ext_block)?)
    };

    Ok(RemotingCommand {
        code: i32::from(code),
        language,
        version: i32::from(version),
        opaque,
        flag,
        remark,
        ext_fields,
        serialize_type: SerializeType::RocketMq,
        body: bytes::Bytes::new(),
    })
}

fn decode_map(block: &[u8]) -> Result<ExtFields, CodecError> {
    let mut r = Reader { buf: block };
    let mut fields = ExtFields::new();
    while !r.buf.is_empty() {
        let key_len = usize::from(r.u16("extFields key length")?);
        let key = r.take(key_len, "extFields key")?;
        let val_len = r.len_i32("extFields value length")?;
        let val = r.take(val_len, "extFields value")?;
        if key.is_empty() || val.is_empty() {
            continue;
        }
        fields.push_pair(&String::from_utf8_lossy(key), &String::from_utf8_lossy(val));
    }
    fields.collapse_repeated_keys();
    Ok(fields)
}

/// Bounds-checked big-endian reader over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], CodecError> {
        if n > self.buf.len() {
            return Err(CodecError::InvalidBinaryHeader(format!(
                "truncated: {what} needs {n} bytes but only {} remain",
                self.buf.len()
            )));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], CodecError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn u8(&mut self, what: &str) -> Result<u8, CodecError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn i16(&mut self, what: &str) -> Result<i16, CodecError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &str) -> Result<i32, CodecError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    /// Reads an i32 length; negative is an error.
    fn len_i32(&mut self, what: &str) -> Result<usize, CodecError> {
        let v = self.i32(what)?;
        usize::try_from(v)
            .map_err(|_| CodecError::InvalidBinaryHeader(format!("negative {what} {v}")))
    }
}
