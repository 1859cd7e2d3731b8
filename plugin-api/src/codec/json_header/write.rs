//! Writing a JSON header as fastjson 1.2.83 writes it, escapes included.

use bytes::BufMut;

use crate::codec::command::{FieldsView, RemotingCommand, SerializeType};
use crate::fastjson::JsonStyle;

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

/// Writes `s` as a JSON string literal with fastjson's escaping
/// ([`JsonStyle::Fastjson`]): `"` and `\` escaped, `\b \t \n \f \r` as short
/// escapes, other C0 controls, U+007F..U+009F and U+2028/U+2029 as `\uXXXX`
/// (upper-case hex); everything else (including non-ASCII) raw UTF-8.
fn push_json_string<B: BufMut>(out: &mut B, s: &str) {
    JsonStyle::Fastjson.write_str_to_buf(out, s);
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
