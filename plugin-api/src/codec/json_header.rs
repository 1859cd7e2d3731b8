//! JSON header serialization (type byte 0).
//!
//! Encoding reproduces fastjson 1.2.83's output byte for byte: compact, fields in
//! alphabetical order, `remark`/`extFields` omitted when `None`, enums as names.
//! Decoding is lenient like fastjson: any field order, missing fields default,
//! unknown fields ignored, non-string `extFields` values stringified.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::command::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
use super::error::CodecError;

/// Serializes the header of `cmd` as fastjson would.
///
/// Layout: `{"code":…,"extFields":{…},"flag":…,"language":"…","opaque":…,"remark":"…","serializeTypeCurrentRPC":"JSON","version":…}`
/// with `extFields`/`remark` left out when `None`, `extFields` entries in [`ExtFields`] order.
/// `serializeTypeCurrentRPC` is always `"JSON"` (the header is JSON).
pub fn encode_json_header(cmd: &RemotingCommand) -> Vec<u8> {
    let mut out = String::with_capacity(128 + estimate_ext_len(cmd.ext_fields.as_ref()));
    out.push_str("{\"code\":");
    push_int(&mut out, cmd.code);
    if let Some(ext) = &cmd.ext_fields {
        out.push_str(",\"extFields\":{");
        for (i, (k, v)) in ext.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(&mut out, k);
            out.push(':');
            push_json_string(&mut out, v);
        }
        out.push('}');
    }
    out.push_str(",\"flag\":");
    push_int(&mut out, cmd.flag);
    out.push_str(",\"language\":\"");
    out.push_str(cmd.language.name());
    out.push_str("\",\"opaque\":");
    push_int(&mut out, cmd.opaque);
    if let Some(remark) = &cmd.remark {
        out.push_str(",\"remark\":");
        push_json_string(&mut out, remark);
    }
    out.push_str(",\"serializeTypeCurrentRPC\":\"");
    out.push_str(SerializeType::Json.name());
    out.push_str("\",\"version\":");
    push_int(&mut out, cmd.version);
    out.push('}');
    out.into_bytes()
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
    let header: JsonHeader =
        serde_json::from_str(&text).map_err(|e| CodecError::InvalidJsonHeader(e.to_string()))?;
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

fn estimate_ext_len(ext: Option<&ExtFields>) -> usize {
    ext.map_or(0, |e| e.iter().map(|(k, v)| k.len() + v.len() + 6).sum())
}

fn push_int(out: &mut String, v: i32) {
    use fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
}

/// Writes `s` as a JSON string literal with fastjson's escaping: `"` and `\` escaped,
/// `\b \t \n \f \r` as short escapes, other C0 controls, U+007F..U+009F and U+2028/U+2029
/// as `\uXXXX` (upper-case hex); everything else (including non-ASCII) raw UTF-8.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    // Nearly every header string is printable ASCII without quotes or
    // backslashes: copy it whole.
    if s.bytes()
        .all(|b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{08}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{0C}' => Some('f'),
            '\r' => Some('r'),
            _ => None,
        };
        let needs_unicode =
            matches!(c, '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}');
        if short.is_none() && !needs_unicode {
            continue;
        }
        out.push_str(&s[start..i]);
        start = i + c.len_utf8();
        out.push('\\');
        match short {
            Some(e) => out.push(e),
            None => {
                let cp = c as u32;
                out.push('u');
                for shift in [12u32, 8, 4, 0] {
                    out.push(char::from(HEX[((cp >> shift) & 0xF) as usize]));
                }
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The header fields as parsed from JSON.
struct JsonHeader {
    code: i32,
    language: LanguageCode,
    version: i32,
    opaque: i32,
    flag: i32,
    remark: Option<String>,
    ext_fields: Option<ExtFields>,
}

impl<'de> Deserialize<'de> for JsonHeader {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = JsonHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a RemotingCommand JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonHeader, A::Error> {
        let mut h = JsonHeader {
            code: 0,
            language: LanguageCode::Java,
            version: 0,
            opaque: 0,
            flag: 0,
            remark: None,
            ext_fields: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "code" => h.code = map.next_value::<LenientInt>()?.0,
                "language" => h.language = map.next_value::<LenientLanguage>()?.0,
                "version" => h.version = map.next_value::<LenientInt>()?.0,
                "opaque" => h.opaque = map.next_value::<LenientInt>()?.0,
                "flag" => h.flag = map.next_value::<LenientInt>()?.0,
                "remark" => h.remark = map.next_value::<LenientString>()?.0,
                "extFields" => h.ext_fields = map.next_value::<LenientExtFields>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(h)
    }
}

/// An `int` field: JSON integer in i32 range, a decimal string, or null (= 0).
struct LenientInt(i32);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 32-bit integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("integer {v} out of 32-bit range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("integer {v} out of 32-bit range")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientInt, E> {
                v.trim()
                    .parse::<i32>()
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("string {v:?} is not a 32-bit integer")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientInt, E> {
                Ok(LenientInt(0))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The `language` field: a name (unknown = OTHER), a byte value, or null (= JAVA).
struct LenientLanguage(LanguageCode);

impl<'de> Deserialize<'de> for LenientLanguage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientLanguage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a LanguageCode name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode::from_name(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(
                    u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_byte),
                ))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(
                    u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_byte),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode::Java))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A string-ish value: strings as is, numbers/booleans as their text, objects/arrays
/// as compact JSON text, null = `None`.
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<LenientString, E> {
                Ok(LenientString(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientString, E> {
                let text = serde_json::Number::from_f64(v)
                    .map_or_else(|| v.to_string(), |n| n.to_string());
                Ok(LenientString(Some(text)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientString, E> {
                Ok(LenientString(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientString, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(LenientString(Some(value.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientString, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(LenientString(Some(value.to_string())))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The `extFields` object (order kept, last duplicate wins, null values skipped) or null.
struct LenientExtFields(Option<ExtFields>);

impl<'de> Deserialize<'de> for LenientExtFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientExtFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string values, or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientExtFields, E> {
                Ok(LenientExtFields(None))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LenientExtFields, A::Error> {
                let mut fields = ExtFields::new();
                while let Some(key) = map.next_key::<String>()? {
                    if let Some(value) = map.next_value::<LenientString>()?.0 {
                        fields.insert(key, value);
                    }
                }
                Ok(LenientExtFields(Some(fields)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_fastjson() {
        let mut s = String::new();
        push_json_string(
            &mut s,
            "a\u{1}b\u{2}\"\\\n\t\u{b}\u{7f}\u{85}\u{a0}é\u{2028}😀/",
        );
        assert_eq!(
            s,
            "\"a\\u0001b\\u0002\\\"\\\\\\n\\t\\u000B\\u007F\\u0085\u{a0}é\\u2028😀/\""
        );
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(
            back,
            "a\u{1}b\u{2}\"\\\n\t\u{b}\u{7f}\u{85}\u{a0}é\u{2028}😀/"
        );
    }
}
