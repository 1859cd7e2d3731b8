//! Writing a JSON header as fastjson 1.2.83 writes it, escapes included.

use bytes::BufMut;

use crate::codec::command::{FieldsView, RemotingCommand, SerializeType};

/// A capacity that holds a JSON header with `fields` in most cases.
pub(crate) fn json_header_capacity(fields: Option<FieldsView<'_>>) -> usize {
    128 + fields.map_or(0, |fields| {
        fields.iter().map(|(k, v)| k.len() + v.len() + 6).sum()
    })
}

/// Appends `cmd`'s JSON header (see [`super::encode_json_header`]) to `out`, with
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

/// Decimal `v`, without the formatting machinery (four per header).
fn push_int<B: BufMut>(out: &mut B, v: i32) {
    out.put_slice(crate::codec::format_decimal(v.into(), &mut [0; 20]));
}

/// Writes `s` as a JSON string literal with fastjson's escaping: `"` and `\` escaped,
/// `\b \t \n \f \r` as short escapes, other C0 controls, U+007F..U+009F and U+2028/U+2029
/// as `\uXXXX` (upper-case hex); everything else (including non-ASCII) raw UTF-8.
fn push_json_string<B: BufMut>(out: &mut B, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.put_u8(b'"');
    // Nearly every header string is printable ASCII without quotes or
    // backslashes: copy it whole.
    if crate::codec::scan::is_plain_ascii_text(s.as_bytes()) {
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
