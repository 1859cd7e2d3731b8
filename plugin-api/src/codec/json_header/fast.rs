//! A parser for the shape every stock client sends (integers as numbers,
//! strings without escapes, the known keys), tried before serde: headers
//! are decoded for every request, and this one reads each byte once and
//! allocates only the strings it keeps. Anything else (escapes, numbers as
//! strings, nulls, unknown keys, malformed input) returns `None` and goes
//! through the lenient serde path, which also produces every error.

use super::JsonHeader;
use crate::codec::command::{ExtFields, LanguageCode};
use crate::codec::scan::find_string_special;

/// What a surrogate escape without its partner (`"\ud800"`) decodes to.
/// fastjson accepts it into a Java string, and every way that string
/// leaves a Java broker as bytes (`String.getBytes(UTF_8)` into the commit
/// log, fastjson's UTF-8 writer into a response) turns the lone surrogate
/// into `?`; a Rust string cannot hold it, so it is `?` here from the start
/// and the bytes stored and sent are the ones a Java broker's would be.
pub(super) const LONE_SURROGATE: char = '?';

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
                            self.unicode_escape(code)
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

    /// The character a `\uXXXX` escape of `code` stands for, the cursor
    /// past it: a high surrogate followed by a low one's escape is one
    /// character (the cursor then past both); any other surrogate is alone
    /// and becomes [`LONE_SURROGATE`].
    fn unicode_escape(&mut self, code: u32) -> char {
        match code {
            0xD800..=0xDBFF => {
                let low = match self.bytes.get(self.pos..self.pos + 6) {
                    Some([b'\\', b'u', digits @ ..]) => hex4(digits),
                    _ => None,
                };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        self.pos += 6;
                        char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
                            .unwrap_or(LONE_SURROGATE)
                    }
                    _ => LONE_SURROGATE,
                }
            }
            // A low surrogate with no high one before it.
            0xDC00..=0xDFFF => LONE_SURROGATE,
            // Every other code below 0x10000 is a character.
            _ => char::from_u32(code).unwrap_or(LONE_SURROGATE),
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
            fields.push_spans(key, value);
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    fields.collapse_repeated_keys();
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

#[cfg(test)]
mod tests {
    use super::super::{decode_json_header, encode_json_header, JsonHeader};
    use super::parse;
    use crate::codec::RemotingCommand;

    /// The fast parser, where it answers, agrees with the serde one.
    fn same_as_serde(text: &str) -> bool {
        let serde: JsonHeader = serde_json::from_str(text).expect("valid header");
        match parse(text) {
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
        // A surrogate pair is one character.
        assert!(same_as_serde(
            r#"{"remark":"\ud83d\ude00","extFields":{"i":"a\uD83D\uDE00b"}}"#
        ));
        // Shapes left to serde.
        for text in [
            r#"{"code":"310","flag":0}"#,
            r#"{"remark":null}"#,
            r#"{"extFields":{"a":1}}"#,
            r#"{"unknown":{"x":[1]}}"#,
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
            assert!(parse(text).is_none(), "{text}");
            assert!(decode_json_header(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn lone_surrogates_are_accepted_as_fastjson_accepts_them() {
        // Both parsers: the fast one (known keys), serde (a numeric value
        // sends the header there); in keys and values, high and low halves
        // alone.
        for (text, fast) in [
            (
                r#"{"code":10,"extFields":{"k\ud800":"a\ud800b\udc00c"}}"#,
                true,
            ),
            (
                r#"{"code":10,"extFields":{"k\ud800":"a\ud800b\udc00c","n":1}}"#,
                false,
            ),
        ] {
            assert_eq!(parse(text).is_some(), fast, "{text}");
            let header = decode_json_header(text.as_bytes()).expect("accepted");
            assert_eq!(header.ext("k?"), Some("a?b?c"), "{text}");
        }
        // A high half before a non-surrogate escape, an escaped backslash
        // before "ud800" (text, not an escape), a pair, a high half last.
        let header = decode_json_header(
            br#"{"remark":"\ud800\u0041 \\ud800 \ud83d\ude00 \udbff","opaque":9,"x":[1]}"#,
        )
        .expect("accepted");
        assert_eq!(header.remark.as_deref(), Some("?A \\ud800 \u{1F600} ?"));
        assert_eq!(header.opaque, 9);
        // A truncated escape is still an error.
        assert!(decode_json_header(br#"{"remark":"\ud80"}"#).is_err());
        assert!(decode_json_header(br#"{"remark":"\ud800\u12"}"#).is_err());
    }

    #[test]
    fn fast_parser_integers_stop_at_the_i32_limits() {
        for (text, code) in [
            (r#"{"code":2147483647}"#, i32::MAX),
            (r#"{"code":-2147483648}"#, i32::MIN),
        ] {
            assert!(same_as_serde(text), "{text}");
            assert_eq!(parse(text).map(|h| h.code), Some(code), "{text}");
        }
        // serde_json reads -0 as a float; fastjson, like this parser, as 0.
        assert_eq!(parse(r#"{"code":-0}"#).map(|h| h.code), Some(0));
        for text in [
            r#"{"code":2147483648}"#,
            r#"{"code":-2147483649}"#,
            r#"{"code":99999999999999999999999999}"#,
            r#"{"code":-}"#,
        ] {
            assert!(parse(text).is_none(), "{text}");
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
}
