//! Writing JSON the way fastjson 1.2.83 (Java RocketMQ) writes it, for bodies
//! that clients parse: compact, bean fields in alphabetical order (the
//! caller writes them in that order), integer map keys either bare (default
//! fastjson) or quoted (the "standard JSON" route data newer clients ask for).

use std::fmt::Write;

/// How strings and integer map keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    /// fastjson defaults: integer map keys bare (`{0:"a"}`), non-ASCII raw.
    Fastjson,
    /// `BrowserCompatible` + `QuoteFieldNames`: integer keys quoted, non-ASCII
    /// escaped as `\uXXXX`, `/` as `\/` (route data for clients ≥ 4.9.4).
    Standard,
}

impl JsonStyle {
    /// Appends `value` as a JSON string literal.
    pub fn write_str(self, out: &mut String, value: &str) {
        out.push('"');
        for ch in value.chars() {
            match ch {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{08}' => out.push_str("\\b"),
                '\u{0c}' => out.push_str("\\f"),
                '/' if self == JsonStyle::Standard => out.push_str("\\/"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                }
                c if (c as u32) >= 0x7f && self == JsonStyle::Standard => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let _ = write!(out, "\\u{unit:04X}");
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    /// Appends an integer used as a map key.
    pub fn write_int_key(self, out: &mut String, key: i64) {
        match self {
            JsonStyle::Fastjson => {
                let _ = write!(out, "{key}");
            }
            JsonStyle::Standard => {
                let _ = write!(out, "\"{key}\"");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_fastjson() {
        let mut out = String::new();
        JsonStyle::Fastjson.write_str(&mut out, "a\"b\\c\u{1}é/");
        assert_eq!(out, "\"a\\\"b\\\\c\\u0001é/\"");
        let mut out = String::new();
        JsonStyle::Standard.write_str(&mut out, "é/😀");
        assert_eq!(out, "\"\\u00E9\\/\\uD83D\\uDE00\"");
    }

    #[test]
    fn integer_keys() {
        let mut out = String::new();
        JsonStyle::Fastjson.write_int_key(&mut out, 0);
        JsonStyle::Standard.write_int_key(&mut out, 1);
        assert_eq!(out, "0\"1\"");
    }
}
