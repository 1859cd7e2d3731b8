//! JSON header serialization (type byte 0).
//!
//! Encoding reproduces fastjson 1.2.83's output byte for byte: compact, fields in
//! alphabetical order, `remark`/`extFields` omitted when `None`, enums as names.
//! Decoding is lenient like fastjson: any field order, missing fields default,
//! unknown fields ignored, non-string `extFields` values stringified.
//!
//! - `write`: the writer and fastjson's string escapes.
//! - `fast`: the parser for the shape stock clients send, tried first.
//! - `lenient`: the serde reading for everything else, and every error.

mod fast;
mod lenient;
mod write;

use super::command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
use super::error::CodecError;

pub(crate) use write::{json_header_capacity, write_json_header};

/// Serializes the header of `cmd` as fastjson would.
///
/// Layout: `{"code":…,"extFields":{…},"flag":…,"language":"…","opaque":…,"remark":"…","serializeTypeCurrentRPC":"JSON","version":…}`
/// with `extFields`/`remark` left out when `None`, `extFields` entries in [`ExtFields`] order.
/// `serializeTypeCurrentRPC` is always `"JSON"` (the header is JSON).
pub fn encode_json_header(cmd: &RemotingCommand) -> Vec<u8> {
    let fields = cmd.ext_fields.as_ref().map(ExtFields::view);
    let mut out = Vec::with_capacity(json_header_capacity(fields));
    write_json_header(cmd, fields, &mut out);
    out
}

/// Parses a JSON header leniently.
///
/// Returns a command with the header fields filled in, `serialize_type` = JSON and an
/// empty body. Rules: fields in any order; missing `code`/`flag`/`version`/`opaque` = 0,
/// missing `language` = JAVA, unknown language name = OTHER; `remark` missing/null/`""`
/// = `None`; `extFields` missing/null = `None`; `extFields` values that are numbers or
/// booleans are stringified (numbers as serde_json prints them), nested objects/arrays
/// are kept as compact JSON text, null values are skipped, duplicate keys keep the last
/// value; integer fields also accept decimal strings; unknown top-level fields and
/// `serializeTypeCurrentRPC` are ignored. Invalid UTF-8 is replaced with U+FFFD (as Java does).
pub fn decode_json_header(bytes: &[u8]) -> Result<RemotingCommand, CodecError> {
    let text = super::text_lossy(bytes);
    let header: JsonHeader = match fast::parse(&text) {
        Some(header) => header,
        None => {
            // serde_json refuses lone surrogate escapes, fastjson takes them.
            let replaced = replace_lone_surrogates(&text);
            let text = replaced.as_deref().unwrap_or(&text);
            serde_json::from_str(text).map_err(|e| CodecError::InvalidJsonHeader(e.to_string()))?
        }
    };
    Ok(RemotingCommand {
        code: header.code,
        language: header.language,
        version: header.version,
        opaque: header.opaque,
        flag: header.flag,
        remark: header.remark.filter(|r| !r.is_empty()),
        ext_fields: header.ext_fields,
        serialize_type: SerializeType::Json,
        body: bytes::Bytes::new(),
    })
}

/// `text` with every `\uXXXX` escape of a surrogate that is not half of a
/// pair replaced by what the fast parser decodes it to
/// ([`fast::LONE_SURROGATE`]); `None` when there is none (nearly always).
/// Outside strings a backslash is a syntax error either way, so escapes are
/// found by walking backslashes, each taking the character after it.
fn replace_lone_surrogates(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let surrogate = |at: usize| -> Option<u32> {
        let digits = std::str::from_utf8(bytes.get(at + 2..at + 6)?).ok()?;
        let code = u32::from_str_radix(digits, 16).ok()?;
        let escape = bytes.get(at..at + 2) == Some(&b"\\u"[..]);
        (escape && (0xD800..=0xDFFF).contains(&code)).then_some(code)
    };
    let mut out: Option<String> = None;
    // Bytes of `text` before `copied` are in `out` already.
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
        at += found;
        match surrogate(at) {
            Some(0xD800..=0xDBFF) if surrogate(at + 6).is_some_and(|low| low >= 0xDC00) => {
                at += 12;
            }
            Some(_) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(text.get(copied..at)?);
                out.push(fast::LONE_SURROGATE);
                at += 6;
                copied = at;
            }
            None => at += 2,
        }
    }
    let mut out = out?;
    out.push_str(text.get(copied..)?);
    Some(out)
}

/// The header fields as parsed from JSON; absent ones keep these defaults
/// (zeros, JAVA, no remark, no extFields).
#[derive(Debug, PartialEq, Default)]
struct JsonHeader {
    code: i32,
    language: LanguageCode,
    version: i32,
    opaque: i32,
    flag: i32,
    remark: Option<String>,
    ext_fields: Option<ExtFields>,
}
