//! JSON header serialization (type byte 0).
//!
//! Encoding reproduces fastjson 1.2.83's output byte for byte: compact, fields in
//! alphabetical order, `remark`/`extFields` omitted when `None`, enums as names.
//! Decoding is lenient like fastjson: any field order, missing fields default,
//! unknown fields ignored, non-string `extFields` values stringified.

use std::fmt;

use bytes::BufMut;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::command::{ExtFields, FieldsView, LanguageCode, RemotingCommand, SerializeType};
use super::error::CodecError;

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

/// A capacity that holds a JSON header with `fields` in most cases.
pub(crate) fn json_header_capacity(fields: Option<FieldsView<'_>>) -> usize {
    128 + fields.map_or(0, |fields| {
        fields.iter().map(|(k, v)| k.len() + v.len() + 6).sum()
    })
}

/// Appends `cmd`'s JSON header (see [`encode_json_header`]) to `out`, with
/// `fields` as its `extFields` (`cmd.ext_fields` is not read), so a frame
/// can be encoded straight into a connection's buffer.
pub(crate) fn write_json_header<B: BufMut>(
    cmd: &RemotingCommand,
    fields: Option<FieldsView<'_>>,
    out: &mut B,
) {
    out.put_slice(b"{\"code\":");
    push_int(out, cmd.code);
    if let Some(ext) = fields {
        out.put_slice(b",\"extFields\":{");
        for (i, (k, v)) in ext.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            push_json_string(out, k);
            out.put_u8(b':');
            push_json_string(out, v);
        }
        out.put_u8(b'}');
    }
    out.put_slice(b",\"flag\":");
    push_int(out, cmd.flag);
    out.put_slice(b",\"language\":\"");
    out.put_slice(cmd.language.name().as_bytes());
    out.put_slice(b"\",\"opaque\":");
    push_int(out, cmd.opaque);
    if let Some(remark) = &cmd.remark {
        out.put_slice(b",\"remark\":");
        push_json_string(out, remark);
    }
    out.put_slice(b",\"serializeTypeCurrentRPC\":\"");
    out.put_slice(SerializeType::Json.name().as_bytes());
    out.put_slice(b"\",\"version\":");
    push_int(out, cmd.version);
    out.put_u8(b'}');
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

/// Decimal `v`, without the formatting machinery (four per header).
fn push_int<B: BufMut>(out: &mut B, v: i32) {
    out.put_slice(super::format_decimal(v.into(), &mut [0; 20]));
}

/// Writes `s` as a JSON string literal with fastjson's escaping: `"` and `\` escaped,
/// `\b \t \n \f \r` as short escapes, other C0 controls, U+007F..U+009F and U+2028/U+2029
/// as `\uXXXX` (upper-case hex); everything else (including non-ASCII) raw UTF-8.
fn push_json_string<B: BufMut>(out: &mut B, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.put_u8(b'"');
    // Nearly every header string is printable ASCII without quotes or
    // backslashes: copy it whole.
    if super::scan::is_plain_ascii_text(s.as_bytes()) {
        out.put_slice(s.as_bytes());
        out.put_u8(b'"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => Some(b'"'),
            '\\' => Some(b'\\'),
            '\u{08}' => Some(b'b'),
            '\t' => Some(b't'),
            '\n' => Some(b'n'),
            '\u{0C}' => Some(b'f'),
            '\r' => Some(b'r'),
            _ => None,
        };
        let needs_unicode =
            matches!(c, '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}');
        if short.is_none() && !needs_unicode {
            continue;
        }
        out.put_slice(&s.as_bytes()[start..i]);
        start = i + c.len_utf8();
        out.put_u8(b'\\');
        match short {
            Some(e) => out.put_u8(e),
            None => {
                let cp = c as u32;
                out.put_u8(b'u');
                for shift in [12u32, 8, 4, 0] {
                    out.put_u8(HEX[((cp >> shift) & 0xF) as usize]);
                }
            }
        }
    }
    out.put_slice(&s.as_bytes()[start..]);
    out.put_u8(b'"');
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
        let mut h = JsonHeader::default();
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

/// A parser for the shape every stock client sends (integers as numbers,
/// strings without escapes, the known keys), tried before serde: headers
/// are decoded for every request, and this one reads each byte once and
/// allocates only the strings it keeps. Anything else (escapes, numbers as
/// strings, nulls, unknown keys, malformed input) returns `None` and goes
/// through the lenient serde path, which also produces every error.
mod fast {
    use super::super::scan::find_string_special;
    use super::{ExtFields, JsonHeader, LanguageCode};

    /// Value of each byte as a hex digit, or 0xFF.
    const HEX_VALUES: [u8; 256] = {
        let mut table = [0xFF; 256];
        let mut digit = 0;
        while digit < 10 {
            table[b'0' as usize + digit] = digit as u8;
            digit += 1;
        }
        let mut letter = 0;
        while letter < 6 {
            table[b'a' as usize + letter] = 10 + letter as u8;
            table[b'A' as usize + letter] = 10 + letter as u8;
            letter += 1;
        }
        table
    };

    /// Four hex digits.
    #[inline]
    fn hex4(digits: &[u8]) -> Option<u32> {
        let [a, b, c, d] = *digits else { return None };
        let [a, b, c, d] = [a, b, c, d].map(|digit| HEX_VALUES[usize::from(digit)]);
        if (a | b | c | d) & 0xF0 != 0 {
            return None;
        }
        Some(u32::from(a) << 12 | u32::from(b) << 8 | u32::from(c) << 4 | u32::from(d))
    }

    /// A string as the scan first finds it.
    enum Scanned {
        /// No escapes: `start..end` of the text; the cursor is past the quote.
        Plain(usize, usize),
        /// An escape at the cursor; the string's text began at this offset.
        Escaped(usize),
    }

    struct Cursor<'a> {
        bytes: &'a [u8],
        text: &'a str,
        pos: usize,
    }

    impl<'a> Cursor<'a> {
        /// Skips JSON whitespace; stock clients write none, so the first
        /// test nearly always ends it.
        #[inline]
        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
        }

        #[inline]
        fn peek(&mut self) -> Option<u8> {
            let byte = *self.bytes.get(self.pos)?;
            if byte > b' ' {
                return Some(byte);
            }
            self.skip_ws();
            self.bytes.get(self.pos).copied()
        }

        #[inline]
        fn eat(&mut self, byte: u8) -> Option<()> {
            (self.peek()? == byte).then(|| self.pos += 1)
        }

        /// Scans a string up to its end or its first escape.
        #[inline]
        fn scan_string(&mut self) -> Option<Scanned> {
            self.eat(b'"')?;
            let start = self.pos;
            let end = start + find_string_special(self.bytes.get(start..)?)?;
            self.pos = end;
            match self.bytes[end] {
                b'"' => {
                    self.pos += 1;
                    Some(Scanned::Plain(start, end))
                }
                b'\\' => Some(Scanned::Escaped(start)),
                _ => None,
            }
        }

        /// A string, copied.
        fn string(&mut self) -> Option<String> {
            match self.scan_string()? {
                Scanned::Plain(start, end) => self.text.get(start..end).map(str::to_owned),
                Scanned::Escaped(start) => {
                    let mut out = String::from(self.text.get(start..self.pos)?);
                    self.escaped_rest(&mut out)?;
                    Some(out)
                }
            }
        }

        /// A string that is not kept.
        fn skip_string(&mut self) -> Option<()> {
            match self.scan_string()? {
                Scanned::Plain(..) => Some(()),
                Scanned::Escaped(_) => self.escaped_rest(&mut String::new()),
            }
        }

        /// A key; its bytes when it has no escapes.
        fn plain_span(&mut self) -> Option<&'a [u8]> {
            match self.scan_string()? {
                Scanned::Plain(start, end) => self.bytes.get(start..end),
                Scanned::Escaped(_) => None,
            }
        }

        /// The rest of a string with escapes, from an escape on, into `out`.
        fn escaped_rest(&mut self, out: &mut String) -> Option<()> {
            loop {
                match self.bytes[self.pos] {
                    b'"' => {
                        self.pos += 1;
                        return Some(());
                    }
                    b'\\' => {
                        let escape = *self.bytes.get(self.pos + 1)?;
                        self.pos += 2;
                        out.push(match escape {
                            b'u' => {
                                let code = hex4(self.bytes.get(self.pos..self.pos + 4)?)?;
                                self.pos += 4;
                                // Surrogate pairs are left to serde.
                                char::from_u32(code)?
                            }
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{08}',
                            b'f' => '\u{0C}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            _ => return None,
                        });
                    }
                    _ => return None,
                }
                let run = self.pos;
                self.pos += find_string_special(self.bytes.get(run..)?)?;
                if self.pos > run {
                    out.push_str(self.text.get(run..self.pos)?);
                }
            }
        }

        /// An integer in i32 range, not followed by a fraction or exponent.
        fn int(&mut self) -> Option<i32> {
            self.peek()?;
            let negative = self.bytes.get(self.pos) == Some(&b'-');
            if negative {
                self.pos += 1;
            }
            let start = self.pos;
            let mut value: i64 = 0;
            while let Some(&digit) = self.bytes.get(self.pos) {
                if !digit.is_ascii_digit() {
                    break;
                }
                // Leading zeros keep it small; anything past i32 fails below.
                value = (value * 10 + i64::from(digit - b'0')).min(1 << 32);
                self.pos += 1;
            }
            if self.pos == start {
                return None;
            }
            if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
                return None;
            }
            i32::try_from(if negative { -value } else { value }).ok()
        }

        fn ext_fields(&mut self) -> Option<ExtFields> {
            self.eat(b'{')?;
            // The map's text starts as a copy of the whole header, so a key
            // or value without escapes is just its offsets in it; escaped
            // ones are decoded onto the end (never longer than their source,
            // so the room reserved here is enough).
            let mut fields = ExtFields::over_text(self.text);
            if self.peek()? == b'}' {
                self.pos += 1;
                return Some(fields);
            }
            loop {
                let key = self.string_span(&mut fields)?;
                self.eat(b':')?;
                let value = self.string_span(&mut fields)?;
                fields.insert_spans(key, value);
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        return Some(fields);
                    }
                    _ => return None,
                }
            }
        }

        /// A string as offsets into `fields`' text: in place when it has no
        /// escapes (that text begins with the header), else decoded onto its end.
        #[inline]
        fn string_span(&mut self, fields: &mut ExtFields) -> Option<(u32, u32)> {
            match self.scan_string()? {
                Scanned::Plain(start, end) => Some((offset(start)?, offset(end)?)),
                Scanned::Escaped(start) => {
                    let out = fields.text_mut();
                    let decoded_start = out.len();
                    out.push_str(self.text.get(start..self.pos)?);
                    self.escaped_rest(out)?;
                    Some((offset(decoded_start)?, offset(out.len())?))
                }
            }
        }
    }

    #[inline]
    fn offset(position: usize) -> Option<u32> {
        u32::try_from(position).ok()
    }

    pub(super) fn parse(text: &str) -> Option<JsonHeader> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            text,
            pos: 0,
        };
        let mut header = JsonHeader::default();
        cursor.eat(b'{')?;
        if cursor.peek()? != b'}' {
            loop {
                // Keys with escapes are left to serde.
                let key = cursor.plain_span()?;
                cursor.eat(b':')?;
                match key {
                    b"code" => header.code = cursor.int()?,
                    b"extFields" => header.ext_fields = Some(cursor.ext_fields()?),
                    b"flag" => header.flag = cursor.int()?,
                    b"language" => {
                        header.language = match cursor.scan_string()? {
                            Scanned::Plain(start, end) => {
                                LanguageCode::from_name(text.get(start..end)?)
                            }
                            Scanned::Escaped(start) => {
                                let mut name = String::from(text.get(start..cursor.pos)?);
                                cursor.escaped_rest(&mut name)?;
                                LanguageCode::from_name(&name)
                            }
                        }
                    }
                    b"opaque" => header.opaque = cursor.int()?,
                    b"remark" => header.remark = Some(cursor.string()?),
                    b"serializeTypeCurrentRPC" => cursor.skip_string()?,
                    b"version" => header.version = cursor.int()?,
                    _ => return None,
                }
                if cursor.peek()? != b',' {
                    break;
                }
                cursor.pos += 1;
            }
        }
        cursor.eat(b'}')?;
        cursor.skip_ws();
        (cursor.pos == text.len()).then_some(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_display_writes_them() {
        for v in [0, 1, -1, 9, 10, 479, -479, 1_000_000, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            push_int(&mut out, v);
            assert_eq!(out, v.to_string().into_bytes());
        }
    }

    /// The fast parser, where it answers, agrees with the serde one.
    fn same_as_serde(text: &str) -> bool {
        let serde: JsonHeader = serde_json::from_str(text).expect("valid header");
        match fast::parse(text) {
            Some(fast) => {
                assert_eq!(fast, serde, "{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn fast_parser_takes_stock_client_headers_and_agrees_with_serde() {
        // Java client 5.x send (V2 names), Go client style, a response.
        assert!(same_as_serde(
            r#"{"code":310,"extFields":{"a":"g","b":"T","c":"TBW102","d":"4","e":"1","f":"0","g":"1700000000000","h":"0","i":"TAGS\u0001A\u0002KEYS\u0001k \"q\" \\ \/ \t é\u00e9","j":"0","k":"false","m":"false"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#
        ));
        assert!(same_as_serde(
            r#"{"code":310,"extFields":{"a":"g","b":"T","e":"1","e":"2"},"flag":0,"language":"GO","opaque":-7,"serializeTypeCurrentRPC":"JSON","version":317}"#
        ));
        assert!(same_as_serde(
            r#" { "code" : 0 , "flag":1,"language":"RUST","opaque":2147483647,"remark":"ok","version":0 } "#
        ));
        assert!(same_as_serde(r#"{}"#));
        assert!(same_as_serde(r#"{"code":1,"extFields":{}}"#));
        // Shapes left to serde.
        for text in [
            r#"{"code":"310","flag":0}"#,
            r#"{"remark":null}"#,
            r#"{"extFields":{"a":1}}"#,
            r#"{"unknown":{"x":[1]}}"#,
            r#"{"remark":"\ud83d\ude00"}"#,
        ] {
            assert!(!same_as_serde(text), "{text}");
        }
        // Malformed input: the fast parser declines, serde reports the error.
        for text in [
            r#"{"code":1"#,
            r#"{"code":1}x"#,
            r#"{"code" 1}"#,
            r#"{"code":1,}"#,
            r#"{"code":1.0}"#,
            r#"{"code":9999999999}"#,
            r#"{"remark":"\x"}"#,
        ] {
            assert!(fast::parse(text).is_none(), "{text}");
            assert!(decode_json_header(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn fast_parser_integers_stop_at_the_i32_limits() {
        for (text, code) in [
            (r#"{"code":2147483647}"#, i32::MAX),
            (r#"{"code":-2147483648}"#, i32::MIN),
        ] {
            assert!(same_as_serde(text), "{text}");
            assert_eq!(fast::parse(text).map(|h| h.code), Some(code), "{text}");
        }
        // serde_json reads -0 as a float; fastjson, like this parser, as 0.
        assert_eq!(fast::parse(r#"{"code":-0}"#).map(|h| h.code), Some(0));
        for text in [
            r#"{"code":2147483648}"#,
            r#"{"code":-2147483649}"#,
            r#"{"code":99999999999999999999999999}"#,
            r#"{"code":-}"#,
        ] {
            assert!(fast::parse(text).is_none(), "{text}");
            assert!(decode_json_header(text.as_bytes()).is_err(), "{text}");
        }
        // A key written with an escape is still a known key (serde reads it).
        let header = decode_json_header(br#"{"c\u006fde":7,"opaque":3}"#).expect("valid header");
        assert_eq!((header.code, header.opaque), (7, 3));
    }

    proptest::proptest! {
        /// Headers as our encoder writes them (any strings, any numbers):
        /// the fast parser answers for nearly all and agrees with serde.
        #[test]
        fn fast_parser_agrees_with_serde_on_encoded_headers(
            code: i32,
            opaque: i32,
            flag: i32,
            remark in proptest::option::of(".*"),
            fields in proptest::collection::vec((".{0,8}", ".*"), 0..12),
        ) {
            let mut command = RemotingCommand::request(code);
            command.opaque = opaque;
            command.flag = flag;
            command.remark = remark;
            command.ext_fields = Some(fields.into_iter().collect());
            let encoded = encode_json_header(&command);
            let text = std::str::from_utf8(&encoded).expect("utf-8");
            same_as_serde(text);
        }
    }

    #[test]
    fn escapes_like_fastjson() {
        let mut bytes = Vec::new();
        push_json_string(
            &mut bytes,
            "a\u{1}b\u{2}\"\\\n\t\u{b}\u{7f}\u{85}\u{a0}é\u{2028}😀/",
        );
        let s = String::from_utf8(bytes).expect("utf-8");
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
