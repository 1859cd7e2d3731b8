//! JSON as Java RocketMQ (fastjson 1.2.83) writes its `config/*.json` files.
//!
//! * [`parse`] / [`parse_tree`]: a lenient reader. Standard JSON plus
//!   fastjson's non-string map keys: bare integers (`{0:12,1:5}`) and JSON
//!   values used as keys (`{{"brokerName":"b","queueId":0,"topic":"t"}:…}`).
//!   A UTF-8 byte-order mark is skipped. [`Json::to_value`] turns such keys
//!   into string keys holding the key's JSON text (`"0"`, `"{\"brokerName\":…}"`),
//!   so managers can deserialize with serde (serde_json reads `"0"` into an
//!   integer-keyed map).
//! * [`Json::to_pretty`]: fastjson's `PrettyFormat` (Java's `ConfigManager` `encode(true)`):
//!   one tab per level, `"key":value`, non-string keys unquoted on one line
//!   with the closing brace on the next, sets compact, lists one item per
//!   line, no trailing newline. [`Json::to_compact`] is the compact form.
//!   Both walk the tree into `plugin_api::fastjson::JsonWriter`, the writer
//!   every body is written with (escapes, keys, Java doubles, layout).
//!
//! [`Json`] keeps object entries in order, so parsing a Java-written file and
//! writing it back gives the same bytes.

use std::fmt;

use plugin_api::fastjson::JsonWriter;
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (protects the stack).
const MAX_DEPTH: usize = 512;

/// An ordered JSON tree that remembers the kind of each object key.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, kept as written.
    Number(Number),
    /// A string.
    String(String),
    /// An array written compactly on one line (Java `Set`s, arrays, and
    /// every array the reader sees).
    Array(Vec<Json>),
    /// An array written one item per line (Java `List`s in pretty format).
    List(Vec<Json>),
    /// An object (bean or map), entries in order.
    Object(Vec<(JsonKey, Json)>),
}

/// An object key.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKey {
    /// A quoted string key (bean field or `Map<String, _>`).
    Str(String),
    /// A bare number key (`Map<Integer, _>` / `Map<Long, _>`).
    Num(Number),
    /// A JSON value used as the key (`Map<MessageQueue, _>`).
    Value(Box<Json>),
}

impl JsonKey {
    /// The key as a string: the string itself, or the key's compact JSON
    /// text for non-string keys.
    pub fn as_text(&self) -> String {
        match self {
            JsonKey::Str(s) => s.clone(),
            JsonKey::Num(n) => n.to_string(),
            JsonKey::Value(v) => v.to_compact_standard(),
        }
    }
}

impl From<&str> for JsonKey {
    fn from(s: &str) -> Self {
        JsonKey::Str(s.to_owned())
    }
}

impl From<String> for JsonKey {
    fn from(s: String) -> Self {
        JsonKey::Str(s)
    }
}

impl From<i64> for JsonKey {
    fn from(n: i64) -> Self {
        JsonKey::Num(n.into())
    }
}

impl From<i32> for JsonKey {
    fn from(n: i32) -> Self {
        JsonKey::Num(n.into())
    }
}

impl From<i64> for Json {
    fn from(n: i64) -> Self {
        Json::Number(n.into())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

/// Why a text is not (lenient) JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// 1-based line of the problem.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} (byte {})",
            self.message, self.line, self.offset
        )
    }
}

impl std::error::Error for JsonError {}

/// Parses lenient (fastjson-written) JSON into a [`serde_json::Value`];
/// non-string keys become string keys holding their JSON text.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_tree(text).map(|tree| tree.to_value())
}

/// Parses lenient JSON into an order-preserving [`Json`] tree.
pub fn parse_tree(text: &str) -> Result<Json, JsonError> {
    let bytes = text.as_bytes();
    let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let mut parser = Parser {
        text,
        bytes,
        pos: start,
    };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != bytes.len() {
        return Err(parser.error("trailing characters after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> JsonError {
        let upto = self.pos.min(self.bytes.len());
        let line = 1 + self.bytes[..upto].iter().filter(|&&b| b == b'\n').count();
        JsonError {
            offset: self.pos,
            line,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{}'", byte as char)))
        }
    }

    fn unexpected(&self, wanted: &str) -> JsonError {
        match self.text[self.pos.min(self.text.len())..].chars().next() {
            Some(c) => self.error(format!("expected {wanted}, found '{}'", c.escape_debug())),
            None => self.error(format!("expected {wanted}, found end of input")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected(word))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(entries));
        }
        loop {
            self.skip_ws();
            let key = match self.peek() {
                Some(b'"') => JsonKey::Str(self.string()?),
                Some(b'-' | b'0'..=b'9') => JsonKey::Num(self.number()?),
                Some(b'{' | b'[') => JsonKey::Value(Box::new(self.value(depth + 1)?)),
                _ => return Err(self.unexpected("an object key")),
            };
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - s
        };
        if digits(self) == 0 {
            return Err(self.unexpected("a digit"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        let text = &self.text[start..self.pos];
        // Java writes longs; a Java broker never writes these suffixes in
        // files, but fastjson accepts them.
        if let Some(b'L' | b'l') = self.peek() {
            self.pos += 1;
        }
        serde_json::from_str::<Number>(text).map_err(|_| {
            let mut e = self.error(format!("number out of range: {text}"));
            e.offset = start;
            e
        })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'\'' => out.push('\''),
                        b'b' => out.push('\u{08}'),
                        b'f' => out.push('\u{0c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&first)
                                && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                                    char::from_u32(c)
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(first)
                            };
                            // Lone surrogates (Java strings allow them) become U+FFFD.
                            out.push(ch.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected("an escape character"));
                        }
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(digits)
    }
}

impl Json {
    /// The tree as a `serde_json::Value`; non-string keys become string
    /// keys holding their JSON text; a later duplicate key wins.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) | Json::List(items) => {
                Value::Array(items.iter().map(Json::to_value).collect())
            }
            Json::Object(entries) => {
                let mut map = Map::new();
                for (key, value) in entries {
                    map.insert(key.as_text(), value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// A tree from a `serde_json::Value` as fastjson writes a bean: object
    /// keys sorted (fastjson `SortField`), `null` members omitted, arrays
    /// compact.
    pub fn from_value(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> =
                    map.iter().filter(|(_, v)| !v.is_null()).collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Json::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (JsonKey::Str(k.clone()), Json::from_value(v)))
                        .collect(),
                )
            }
        }
    }

    /// Builds an object from entries.
    pub fn object<K: Into<JsonKey>>(entries: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Member `key` (string keys only) of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().rev().find_map(|(k, v)| match k {
                JsonKey::Str(s) if s == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Recursively sorts object entries: string keys by text, number keys
    /// numerically; a canonical order for comparing files whose maps were
    /// written in Java's hash order.
    pub fn sorted(&self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.iter().map(Json::sorted).collect()),
            Json::List(items) => Json::List(items.iter().map(Json::sorted).collect()),
            Json::Object(entries) => {
                let mut entries: Vec<(JsonKey, Json)> = entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.sorted()))
                    .collect();
                entries.sort_by(|(a, _), (b, _)| key_order(a, b));
                Json::Object(entries)
            }
            other => other.clone(),
        }
    }

    /// fastjson `PrettyFormat` text (config files).
    pub fn to_pretty(&self) -> String {
        let mut w = JsonWriter::pretty();
        self.write(&mut w);
        w.finish()
    }

    /// Compact fastjson text (bodies): `{"a":1,0:2}`.
    pub fn to_compact(&self) -> String {
        let mut w = JsonWriter::new();
        self.write(&mut w);
        w.finish()
    }

    /// Compact text in which every key is a quoted string (what a key
    /// becomes in [`Json::to_value`]).
    fn to_compact_standard(&self) -> String {
        serde_json::to_string(&self.to_value()).unwrap_or_default()
    }

    /// Writes the tree; the writer lays it out (compact or pretty).
    fn write(&self, w: &mut JsonWriter) {
        match self {
            Json::Null => {
                w.null();
            }
            Json::Bool(b) => {
                w.bool(*b);
            }
            Json::Number(n) => write_number(w, n),
            Json::String(s) => {
                w.string(s);
            }
            Json::Array(items) => {
                w.begin_array();
                for item in items {
                    item.write(w);
                }
                w.end_array();
            }
            Json::List(items) => {
                w.begin_list();
                for item in items {
                    item.write(w);
                }
                w.end_array();
            }
            Json::Object(entries) => {
                w.begin_object();
                for (key, value) in entries {
                    match key {
                        JsonKey::Str(s) => {
                            w.key(s);
                        }
                        JsonKey::Num(n) => match n.as_i64() {
                            Some(n) => {
                                w.int_key(n);
                            }
                            None => {
                                w.value_key();
                                write_number(w, n);
                            }
                        },
                        JsonKey::Value(v) => {
                            w.value_key();
                            v.write(w);
                        }
                    }
                    value.write(w);
                }
                w.end_object();
            }
        }
    }
}

/// A number as Java wrote it: an integer as is, a fraction as
/// `Double.toString` prints it.
fn write_number(w: &mut JsonWriter, n: &Number) {
    if let Some(n) = n.as_i64() {
        w.int(n);
    } else if let Some(n) = n.as_u64() {
        w.uint(n);
    } else if let Some(n) = n.as_f64() {
        w.double(n);
    }
}

fn key_order(a: &JsonKey, b: &JsonKey) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (JsonKey::Num(x), JsonKey::Num(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
        },
        (JsonKey::Num(_), _) => Ordering::Less,
        (_, JsonKey::Num(_)) => Ordering::Greater,
        _ => a.as_text().cmp(&b.as_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unquoted_integer_keys() {
        let v = parse("{\"t@g\":{0:12,1:5\n}}").unwrap();
        assert_eq!(v["t@g"]["0"], 12);
        assert_eq!(v["t@g"]["1"], 5);
    }

    #[test]
    fn reads_object_keys() {
        let text = r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":12}},"x":0.0}"#;
        let tree = parse_tree(text).unwrap();
        assert_eq!(tree.to_compact(), text);
        let v = tree.to_value();
        let key = r#"{"brokerName":"b","queueId":0,"topic":"t"}"#;
        assert_eq!(v["offsetTable"][key]["maxOffset"], 12);
    }

    #[test]
    fn integer_keys_deserialize_into_integer_maps() {
        let v = parse("{0:12,7:-1}").unwrap();
        let m: std::collections::BTreeMap<i32, i64> = serde_json::from_value(v).unwrap();
        assert_eq!(m.get(&7), Some(&-1));
    }

    #[test]
    fn strings_and_escapes() {
        let v = parse(r#"["a\"b\\c\/\u00e9\ud83d\ude00\n", "é"]"#).unwrap();
        assert_eq!(v[0], "a\"b\\c/é😀\n");
        assert_eq!(v[1], "é");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("{\n\t\"a\":1,\n\t\"b\":}").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(parse("{\"a\":1} x").is_err());
        assert!(parse("").is_err());
        assert!(parse("{\"a\":1").is_err());
        assert!(parse("{\"a\":01x}").is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(parse("\u{feff}{}").unwrap(), serde_json::json!({}));
    }

    #[test]
    fn pretty_matches_fastjson() {
        let tree = Json::object([
            ("a", Json::object([("x", Json::from(1))])),
            (
                "m",
                Json::Object(vec![
                    (JsonKey::from(0), Json::from(1)),
                    (JsonKey::from(1), Json::from(2)),
                ]),
            ),
            ("e", Json::Object(vec![])),
            ("s", Json::Array(vec![Json::from("a"), Json::from("b")])),
            ("l", Json::List(vec![Json::from(1), Json::from(2)])),
        ]);
        assert_eq!(
            tree.to_pretty(),
            "{\n\t\"a\":{\n\t\t\"x\":1\n\t},\n\t\"m\":{0:1,1:2\n\t},\n\t\"e\":{},\n\t\"s\":[\"a\",\"b\"],\n\t\"l\":[\n\t\t1,\n\t\t2\n\t]\n}"
        );
        assert_eq!(
            tree.to_compact(),
            "{\"a\":{\"x\":1},\"m\":{0:1,1:2},\"e\":{},\"s\":[\"a\",\"b\"],\"l\":[1,2]}"
        );
    }

    /// Numbers and strings read from a Java-written file are written back
    /// as Java writes them: doubles as `Double.toString`, fastjson's escapes.
    #[test]
    fn numbers_and_strings_are_written_back_as_java_writes_them() {
        let text = concat!(
            r#"{"d":[0.0,12.5,1.5E10,1.0E-4,-3,18446744073709551615],"#,
            r#""s":"a\u0085b\u2028é/\"","m":{0:1,-1:2}}"#
        );
        assert_eq!(parse_tree(text).unwrap().to_compact(), text);
        let pretty = "{\n\t\"x\":1.5E10,\n\t\"m\":{7:\"\\u007F\"\n\t}\n}";
        assert_eq!(parse_tree(pretty).unwrap().to_pretty(), pretty);
    }

    #[test]
    fn from_value_sorts_and_drops_nulls() {
        let v = serde_json::json!({"b": 1, "a": null, "A": [1, {"z": 1, "y": 2}]});
        assert_eq!(
            Json::from_value(&v).to_compact(),
            "{\"A\":[1,{\"y\":2,\"z\":1}],\"b\":1}"
        );
    }
}
