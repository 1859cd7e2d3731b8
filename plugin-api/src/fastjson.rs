//! Writing JSON the way fastjson 1.2.83 writes it for Java RocketMQ
//! (`RemotingSerializable.toJson` / `JSON.toJSONString`, and
//! `JSON.toJSONString(obj, true)` for the `config/*.json` files), so that
//! bodies and files come out byte for byte as a Java broker's.
//!
//! The one writer is [`JsonWriter`]: a streaming writer that handles commas,
//! string escaping, integer map keys (bare in fastjson's default form,
//! quoted in the standard form newer clients ask for), JSON values used as
//! map keys (`Map<MessageQueue, _>`), doubles as Java prints them, and
//! fastjson's `PrettyFormat` layout. Bean fields are written in the order the
//! caller gives them; fastjson sorts a bean's fields alphabetically, so
//! callers write them in that order.
//!
//! ```
//! use plugin_api::fastjson::{JsonStyle, JsonWriter};
//!
//! let mut w = JsonWriter::new();
//! w.begin_object().key("brokerAddrs").begin_object();
//! w.int_key(0).string("127.0.0.1:10911");
//! w.end_object().field_str("brokerName", "broker-a").end_object();
//! assert_eq!(w.finish(), r#"{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a"}"#);
//!
//! let mut w = JsonWriter::with_style(JsonStyle::Standard);
//! w.begin_object().int_key(0).string("a/é").end_object();
//! assert_eq!(w.finish(), r#"{"0":"a\/\u00E9"}"#);
//! ```
//!
//! The free primitives ([`JsonStyle::write_str`], [`JsonStyle::write_int_key`],
//! [`write_double`]) append one token to a `String`, for code that lays out
//! its own text.

use std::fmt::Write as _;

use bytes::BufMut;

/// How strings and integer map keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonStyle {
    /// fastjson's defaults: integer map keys bare (`{0:"a"}`); non-ASCII
    /// written raw (UTF-8) except U+007F..U+009F, U+2028 and U+2029, which
    /// are escaped as `\uXXXX` like the C0 controls; `/` written raw.
    #[default]
    Fastjson,
    /// `SerializerFeature.BrowserCompatible` (the route data Java writes for
    /// clients ≥ 4.9.4 and for `acceptStandardJsonOnly`): integer map keys
    /// quoted (`{"0":"a"}`), everything from U+007F up escaped as `\uXXXX`
    /// (UTF-16 units), `/` as `\/`.
    Standard,
}

impl JsonStyle {
    /// Appends `value` as a JSON string literal, escaped as fastjson's
    /// `SerializeWriter.writeStringWithDoubleQuote` escapes it in this style:
    /// `"` and `\` backslashed, `\b \t \n \f \r` as short escapes, the other
    /// C0 controls as `\u00XX`, upper-case hex throughout.
    pub fn write_str(self, out: &mut String, value: &str) {
        self.escape(value, |text| out.push_str(text));
    }

    /// [`JsonStyle::write_str`] into a byte buffer (the remoting codec
    /// writes headers straight into a connection's buffer).
    pub(crate) fn write_str_to_buf<B: BufMut>(self, out: &mut B, value: &str) {
        self.escape(value, |text| out.put_slice(text.as_bytes()));
    }

    /// Appends an integer used as a map key (without the `:`): bare in
    /// [`JsonStyle::Fastjson`] (`0`), quoted in [`JsonStyle::Standard`] (`"0"`).
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

    /// The string literal for `value`, in pieces handed to `put`.
    fn escape(self, value: &str, mut put: impl FnMut(&str)) {
        put("\"");
        // Nearly every string is printable ASCII without quotes or
        // backslashes: copy it whole.
        if crate::codec::scan::is_plain_ascii_text(value.as_bytes())
            && (self == JsonStyle::Fastjson || !value.contains('/'))
        {
            put(value);
            put("\"");
            return;
        }
        let mut start = 0;
        for (index, c) in value.char_indices() {
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '\u{08}' => Some("\\b"),
                '\t' => Some("\\t"),
                '\n' => Some("\\n"),
                '\u{0C}' => Some("\\f"),
                '\r' => Some("\\r"),
                '/' if self == JsonStyle::Standard => Some("\\/"),
                _ => None,
            };
            let unicode = match self {
                JsonStyle::Fastjson => matches!(
                    c,
                    '\u{00}'..='\u{1F}' | '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}'
                ),
                JsonStyle::Standard => !matches!(c, '\u{20}'..='\u{7E}'),
            };
            if short.is_none() && !unicode {
                continue;
            }
            put(&value[start..index]);
            start = index + c.len_utf8();
            match short {
                Some(escape) => put(escape),
                None => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let escape = unicode_escape(*unit);
                        put(std::str::from_utf8(&escape).unwrap_or_default());
                    }
                }
            }
        }
        put(&value[start..]);
        put("\"");
    }
}

/// `\uXXXX` (upper-case hex) for one UTF-16 unit.
fn unicode_escape(unit: u16) -> [u8; 6] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hex = |shift: u16| HEX[usize::from((unit >> shift) & 0xF)];
    [b'\\', b'u', hex(12), hex(8), hex(4), hex(0)]
}

/// Appends a double as fastjson writes one: `null` for NaN and the
/// infinities, otherwise Java's `Double.toString` text (fastjson's
/// `RyuDouble`): the shortest digits that read back as `value`, in plain
/// notation with at least one fraction digit for magnitudes in
/// [10⁻³, 10⁷) (`0.0`, `3.0`, `12.25`, `0.001`, `1234567.0`), otherwise in
/// computerized scientific notation (`1.0E7`, `1.5E10`, `1.0E-4`, `-2.5E-7`).
/// (One known difference: for subnormals whose shortest form has one digit,
/// Java prints a closer second digit, `4.9E-324` for `Double.MIN_VALUE`
/// where this writes `5.0E-324`.)
pub fn write_double(out: &mut String, value: f64) {
    if !value.is_finite() {
        out.push_str("null");
        return;
    }
    if value == 0.0 {
        out.push_str(if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e-7`.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if value < 0.0 {
        out.push('-');
    }
    if (-3..7).contains(&exponent) {
        if exponent >= 0 {
            let whole = exponent as usize + 1;
            if digits.len() > whole {
                out.push_str(&digits[..whole]);
                out.push('.');
                out.push_str(&digits[whole..]);
            } else {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', whole - digits.len()));
                out.push_str(".0");
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        let _ = write!(out, "E{exponent}");
    }
}

/// What an open `{`, `[` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    /// An array written on one line in every layout (Java arrays and `Set`s).
    Array,
    /// An array written one item per line in the pretty layout (Java `List`s).
    List,
}

/// One open object or array.
#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    /// Something was written in it: the next entry needs a comma.
    has_entries: bool,
    /// It is a map key ([`JsonWriter::value_key`]): `:` follows its end.
    is_key: bool,
}

/// What the next key or value follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Pending {
    /// Nothing special: a new entry (comma, line break as the layout wants).
    #[default]
    Entry,
    /// A key: the value comes next, right after the `:`.
    Value,
    /// [`JsonWriter::value_key`]: the next value is a map key.
    Key,
}

/// A streaming fastjson writer: compact (`RemotingSerializable.toJson`) or
/// pretty (`PrettyFormat`, the `config/*.json` files).
///
/// Keys and values are appended in call order; commas are written for the
/// caller. Inside an object call a key method ([`key`](Self::key),
/// [`int_key`](Self::int_key), [`value_key`](Self::value_key),
/// [`message_queue_key`](Self::message_queue_key)) before each value;
/// inside an array, values only. Every method returns `&mut Self` for
/// chaining.
///
/// The pretty layout is fastjson's: a tab per level, each string key of an
/// object and each item of a [`begin_list`](Self::begin_list) array on its
/// own line, the closing bracket of a non-empty object or list on a new
/// line; integer and JSON-value keys stay on the line of the entry before
/// them, [`begin_array`](Self::begin_array) arrays (Java arrays and `Set`s)
/// and JSON-value keys are written compactly. No trailing newline.
#[derive(Debug, Default)]
pub struct JsonWriter {
    out: String,
    style: JsonStyle,
    pretty: bool,
    frames: Vec<Frame>,
    pending: Pending,
    /// Open objects and lists: the indentation of their entries.
    level: usize,
    /// Open frames that are map keys: written compactly.
    key_depth: usize,
}

impl JsonWriter {
    /// A compact writer in fastjson's default style ([`JsonStyle::Fastjson`]).
    pub fn new() -> Self {
        JsonWriter::default()
    }

    /// A compact writer in `style`.
    pub fn with_style(style: JsonStyle) -> Self {
        JsonWriter {
            style,
            ..JsonWriter::default()
        }
    }

    /// A writer in fastjson's `PrettyFormat` (fastjson's default style), as
    /// Java's `ConfigManager` writes the `config/*.json` files.
    pub fn pretty() -> Self {
        JsonWriter {
            pretty: true,
            ..JsonWriter::default()
        }
    }

    /// The style strings and integer keys are written in.
    pub fn style(&self) -> JsonStyle {
        self.style
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The text. Every object and array should be closed.
    pub fn finish(self) -> String {
        debug_assert!(self.frames.is_empty(), "unclosed JSON: {}", self.out);
        self.out
    }

    /// The text as bytes (a response body).
    pub fn into_bytes(self) -> Vec<u8> {
        self.finish().into_bytes()
    }

    fn pretty_layout(&self) -> bool {
        self.pretty && self.key_depth == 0
    }

    /// A line break and the indentation of `level`.
    fn newline(&mut self, level: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n('\t', level));
    }

    /// Before a key or a value: the comma and, in the pretty layout, the
    /// line break. `string_key`: a string key is next (its own line in a
    /// pretty object). Returns whether what comes is a map key announced by
    /// [`value_key`](Self::value_key).
    fn entry(&mut self, string_key: bool) -> bool {
        match std::mem::take(&mut self.pending) {
            Pending::Value => return false,
            Pending::Key => return true,
            Pending::Entry => {}
        }
        let pretty = self.pretty_layout();
        let Some(frame) = self.frames.last_mut() else {
            return false;
        };
        if frame.has_entries {
            self.out.push(',');
        }
        frame.has_entries = true;
        let line = match frame.kind {
            Kind::Object => string_key,
            Kind::List => true,
            Kind::Array => false,
        };
        if pretty && line {
            self.newline(self.level);
        }
        false
    }

    /// After a complete value: if it was a map key, the `:`.
    fn end_value(&mut self, was_key: bool) {
        if was_key {
            self.out.push(':');
            self.pending = Pending::Value;
        }
    }

    fn begin(&mut self, kind: Kind, bracket: char) -> &mut Self {
        let is_key = self.entry(false);
        self.out.push(bracket);
        if is_key {
            self.key_depth += 1;
        }
        if kind != Kind::Array {
            self.level += 1;
        }
        self.frames.push(Frame {
            kind,
            has_entries: false,
            is_key,
        });
        self
    }

    fn end(&mut self, object: bool, bracket: char) -> &mut Self {
        let frame = self.frames.pop();
        debug_assert!(
            frame.is_some_and(|f| (f.kind == Kind::Object) == object),
            "`{bracket}` does not close the innermost bracket: {}",
            self.out
        );
        debug_assert!(self.pending == Pending::Entry, "a key without a value");
        let Some(frame) = frame else {
            self.out.push(bracket);
            return self;
        };
        let pretty = self.pretty_layout();
        if frame.kind != Kind::Array {
            self.level -= 1;
            if pretty && frame.has_entries {
                self.newline(self.level);
            }
        }
        self.out.push(bracket);
        if frame.is_key {
            self.key_depth -= 1;
        }
        self.end_value(frame.is_key);
        self
    }

    /// Starts an object (a value: after a key, in an array, or at the top).
    pub fn begin_object(&mut self) -> &mut Self {
        self.begin(Kind::Object, '{')
    }

    /// Ends the innermost object: `}`.
    pub fn end_object(&mut self) -> &mut Self {
        self.end(true, '}')
    }

    /// Starts an array written on one line in every layout (a Java array or
    /// `Set`).
    pub fn begin_array(&mut self) -> &mut Self {
        self.begin(Kind::Array, '[')
    }

    /// Starts an array written one item per line in the pretty layout (a
    /// Java `List`); the same as [`begin_array`](Self::begin_array) when
    /// compact. Ended by [`end_array`](Self::end_array).
    pub fn begin_list(&mut self) -> &mut Self {
        self.begin(Kind::List, '[')
    }

    /// Ends the innermost array or list: `]`.
    pub fn end_array(&mut self) -> &mut Self {
        self.end(false, ']')
    }

    /// A string key (a bean field or a `Map<String, _>` key) and its `:`;
    /// the value comes next.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.entry(true);
        self.style.write_str(&mut self.out, key);
        self.out.push(':');
        self.pending = Pending::Value;
        self
    }

    /// An integer key (`Map<Integer, _>`, `Map<Long, _>`) and its `:`: bare
    /// in [`JsonStyle::Fastjson`] (`{0:…}`), quoted in
    /// [`JsonStyle::Standard`] (`{"0":…}`); the value comes next.
    pub fn int_key(&mut self, key: i64) -> &mut Self {
        self.entry(false);
        self.style.write_int_key(&mut self.out, key);
        self.out.push(':');
        self.pending = Pending::Value;
        self
    }

    /// Announces a JSON value used as a map key, as fastjson writes a
    /// `Map` whose keys are beans (`{{"brokerName":"b","queueId":0,"topic":"t"}:…}`):
    /// the next value (a scalar, or an object or array up to its end) is
    /// written compactly as the key, then `:`; the entry's value follows.
    pub fn value_key(&mut self) -> &mut Self {
        let nested = self.entry(false);
        debug_assert!(!nested, "a map key inside a map key");
        self.pending = Pending::Key;
        self
    }

    /// A `MessageQueue` bean as a value:
    /// `{"brokerName":…,"queueId":…,"topic":…}`.
    pub fn message_queue(&mut self, broker_name: &str, queue_id: i32, topic: &str) -> &mut Self {
        self.begin_object()
            .field_str("brokerName", broker_name)
            .field_int("queueId", i64::from(queue_id))
            .field_str("topic", topic)
            .end_object()
    }

    /// A `MessageQueue` as a map key (`Map<MessageQueue, _>` of
    /// `TopicStatsTable`, `ConsumeStats`):
    /// `{"brokerName":…,"queueId":…,"topic":…}:`; the value comes next.
    pub fn message_queue_key(
        &mut self,
        broker_name: &str,
        queue_id: i32,
        topic: &str,
    ) -> &mut Self {
        self.value_key().message_queue(broker_name, queue_id, topic)
    }

    /// A string value.
    pub fn string(&mut self, value: &str) -> &mut Self {
        let is_key = self.entry(false);
        self.style.write_str(&mut self.out, value);
        self.end_value(is_key);
        self
    }

    /// An integer value (`int`, `long`).
    pub fn int(&mut self, value: i64) -> &mut Self {
        let is_key = self.entry(false);
        let _ = write!(self.out, "{value}");
        self.end_value(is_key);
        self
    }

    /// An unsigned integer value (a number read from a file beyond `i64`).
    pub fn uint(&mut self, value: u64) -> &mut Self {
        let is_key = self.entry(false);
        let _ = write!(self.out, "{value}");
        self.end_value(is_key);
        self
    }

    /// A boolean value.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        let is_key = self.entry(false);
        self.out.push_str(if value { "true" } else { "false" });
        self.end_value(is_key);
        self
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        let is_key = self.entry(false);
        self.out.push_str("null");
        self.end_value(is_key);
        self
    }

    /// A double as fastjson writes it ([`write_double`]): `0.0`, `12.5`,
    /// `1.5E10`; `null` for NaN and the infinities.
    pub fn double(&mut self, value: f64) -> &mut Self {
        let is_key = self.entry(false);
        write_double(&mut self.out, value);
        self.end_value(is_key);
        self
    }

    /// A `"key":"value"` entry.
    pub fn field_str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).string(value)
    }

    /// A `"key":int` entry.
    pub fn field_int(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key).int(value)
    }

    /// A `"key":bool` entry.
    pub fn field_bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).bool(value)
    }

    /// A `"key":double` entry ([`JsonWriter::double`]).
    pub fn field_double(&mut self, key: &str, value: f64) -> &mut Self {
        self.key(key).double(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(value: f64) -> String {
        let mut out = String::new();
        write_double(&mut out, value);
        out
    }

    #[test]
    fn escapes_like_fastjson() {
        let mut out = String::new();
        JsonStyle::Fastjson.write_str(&mut out, "a\"b\\c\u{1}é/");
        assert_eq!(out, "\"a\\\"b\\\\c\\u0001é/\"");
        let mut out = String::new();
        JsonStyle::Fastjson.write_str(
            &mut out,
            "a\u{1}b\u{2}\"\\\n\t\u{b}\u{7f}\u{85}\u{a0}é\u{2028}😀/\u{8}\u{c}\r",
        );
        assert_eq!(
            out,
            "\"a\\u0001b\\u0002\\\"\\\\\\n\\t\\u000B\\u007F\\u0085\u{a0}é\\u2028😀/\\b\\f\\r\""
        );
        let mut out = String::new();
        JsonStyle::Fastjson.write_str(&mut out, "plain ascii text, 0-9/");
        assert_eq!(out, "\"plain ascii text, 0-9/\"");
    }

    #[test]
    fn escapes_like_fastjson_browser_compatible() {
        let mut out = String::new();
        JsonStyle::Standard.write_str(&mut out, "é/😀");
        assert_eq!(out, "\"\\u00E9\\/\\uD83D\\uDE00\"");
        let mut out = String::new();
        JsonStyle::Standard.write_str(&mut out, "a\"\\\u{1}\n\u{7f}\u{a0}");
        assert_eq!(out, "\"a\\\"\\\\\\u0001\\n\\u007F\\u00A0\"");
        let mut out = String::new();
        JsonStyle::Standard.write_str(&mut out, "10.0.0.1:10911");
        assert_eq!(out, "\"10.0.0.1:10911\"");
    }

    #[test]
    fn the_byte_buffer_form_writes_the_same_text() {
        let text = "a\u{1}\"é\u{85}\u{2029}/";
        for style in [JsonStyle::Fastjson, JsonStyle::Standard] {
            let mut string = String::new();
            style.write_str(&mut string, text);
            let mut bytes = Vec::new();
            style.write_str_to_buf(&mut bytes, text);
            assert_eq!(bytes, string.into_bytes());
        }
    }

    #[test]
    fn integer_keys() {
        let mut out = String::new();
        JsonStyle::Fastjson.write_int_key(&mut out, 0);
        JsonStyle::Standard.write_int_key(&mut out, 1);
        assert_eq!(out, "0\"1\"");
    }

    /// `Double.toString` as JDK 19+ and fastjson's `RyuDouble` print it.
    #[test]
    fn doubles_like_java() {
        for (value, java) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3.0, "3.0"),
            (12.5, "12.5"),
            (-12.25, "-12.25"),
            (0.1, "0.1"),
            (0.001, "0.001"),
            (0.00123, "0.00123"),
            (1.0e-4, "1.0E-4"),
            (-2.5e-7, "-2.5E-7"),
            (1234567.0, "1234567.0"),
            (9999999.0, "9999999.0"),
            (1.0e7, "1.0E7"),
            (1.5e10, "1.5E10"),
            (123456789.125, "1.23456789125E8"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (f64::NEG_INFINITY, "null"),
        ] {
            assert_eq!(double(value), java, "{value:e}");
        }
    }

    /// `TopicRouteData`'s `BrokerData` in both styles, as Java's
    /// `RemotingSerializable.encode` writes it.
    #[test]
    fn integer_map_keys_in_both_styles() {
        let write = |style| {
            let mut w = JsonWriter::with_style(style);
            w.begin_object().key("brokerAddrs").begin_object();
            w.int_key(0).string("127.0.0.1:10911");
            w.int_key(1).string("127.0.0.1:10921");
            w.end_object();
            w.field_str("brokerName", "broker-a")
                .field_str("cluster", "DefaultCluster")
                .field_bool("enableActingMaster", false)
                .end_object();
            w.finish()
        };
        assert_eq!(
            write(JsonStyle::Fastjson),
            r#"{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}"#
        );
        assert_eq!(
            write(JsonStyle::Standard),
            r#"{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}"#
        );
    }

    /// `TopicStatsTable`: a `Map<MessageQueue, TopicOffset>` and a double.
    #[test]
    fn writes_object_keys_and_doubles() {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.key("offsetTable").begin_object();
        w.message_queue_key("b", 0, "t").begin_object();
        w.field_int("maxOffset", 3).field_int("minOffset", 0);
        w.end_object();
        w.message_queue_key("b", 1, "t").begin_object().end_object();
        w.end_object();
        w.field_double("topicPutTps", 0.0);
        w.key("list").begin_array();
        w.string("a")
            .string("b")
            .int(3)
            .null()
            .uint(u64::MAX)
            .double(1.5e10);
        w.end_array();
        w.end_object();
        assert_eq!(
            w.finish(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":3,"minOffset":0},{"brokerName":"b","queueId":1,"topic":"t"}:{}},"topicPutTps":0.0,"list":["a","b",3,null,18446744073709551615,1.5E10]}"#
        );
    }

    /// Scalars, arrays and nested objects as map keys.
    #[test]
    fn any_value_can_be_a_key() {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.value_key().int(-7).string("a");
        w.value_key()
            .begin_array()
            .int(1)
            .int(2)
            .end_array()
            .bool(true);
        w.value_key()
            .begin_object()
            .key("k")
            .begin_object()
            .end_object()
            .end_object()
            .null();
        w.key("last")
            .begin_array()
            .message_queue("b", 2, "t")
            .end_array();
        w.end_object();
        assert_eq!(
            w.finish(),
            r#"{-7:"a",[1,2]:true,{"k":{}}:null,"last":[{"brokerName":"b","queueId":2,"topic":"t"}]}"#
        );
    }

    #[test]
    fn standard_style_applies_to_keys_and_values() {
        let mut w = JsonWriter::with_style(JsonStyle::Standard);
        assert_eq!(w.style(), JsonStyle::Standard);
        w.begin_object().field_str("a/b", "é").end_object();
        assert_eq!(w.as_str(), r#"{"a\/b":"\u00E9"}"#);
        assert_eq!(w.into_bytes(), br#"{"a\/b":"\u00E9"}"#.to_vec());
    }

    #[test]
    fn top_level_values_and_empty_containers() {
        let mut w = JsonWriter::new();
        w.begin_array().end_array();
        assert_eq!(w.finish(), "[]");
        let mut w = JsonWriter::new();
        w.string("x");
        assert_eq!(w.finish(), r#""x""#);
        let mut w = JsonWriter::pretty();
        w.begin_object().end_object();
        assert_eq!(w.finish(), "{}");
    }

    /// fastjson `PrettyFormat`, as Java's `ConfigManager.encode(true)` writes
    /// the config files.
    #[test]
    fn pretty_layout_like_fastjson() {
        let mut w = JsonWriter::pretty();
        w.begin_object();
        w.key("a").begin_object().field_int("x", 1).end_object();
        w.key("m").begin_object();
        w.int_key(0).int(1).int_key(1).int(2);
        w.end_object();
        w.key("e").begin_object().end_object();
        w.key("s").begin_array().string("a").string("b").end_array();
        w.key("l").begin_list().int(1).int(2).end_array();
        w.key("offsetTable").begin_object();
        w.message_queue_key("b", 0, "t").begin_object();
        w.field_int("maxOffset", 3).end_object();
        w.end_object();
        w.key("set").begin_array();
        w.begin_object().field_str("k", "v").end_object();
        w.end_array();
        w.key("el").begin_list().end_array();
        w.end_object();
        assert_eq!(
            w.finish(),
            "{\n\t\"a\":{\n\t\t\"x\":1\n\t},\n\t\"m\":{0:1,1:2\n\t},\n\t\"e\":{},\n\t\"s\":[\"a\",\"b\"],\n\t\"l\":[\n\t\t1,\n\t\t2\n\t],\n\t\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"t\"}:{\n\t\t\t\"maxOffset\":3\n\t\t}\n\t},\n\t\"set\":[{\n\t\t\"k\":\"v\"\n\t}],\n\t\"el\":[]\n}"
        );
    }
}
