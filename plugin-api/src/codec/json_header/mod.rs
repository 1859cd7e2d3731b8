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
            serde_json::from_str(&text).map_err(|e| CodecError::InvalidJsonHeader(e.to_string()))?
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
