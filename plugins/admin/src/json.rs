//! A small writer for the fastjson bodies the admin codes answer with:
//! compact, bean fields written in the (alphabetical) order the caller
//! gives them, doubles as Java prints them, and `MessageQueue` objects as
//! map keys (fastjson's object-key form, as `RemotingSerializable.encode`
//! writes the `MessageQueue`-keyed maps of `TopicStatsTable` and `ConsumeStats`).

use plugin_api::sdk::fastjson::JsonStyle;

/// Compact fastjson text under construction.
#[derive(Debug, Default)]
pub struct JsonWriter {
    out: String,
    /// Per open object/array: does the next entry need a comma?
    comma: Vec<bool>,
    /// A key was written; its value comes next.
    after_key: bool,
}

impl JsonWriter {
    /// An empty writer.
    pub fn new() -> Self {
        JsonWriter::default()
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }

    /// Before an entry (a key, or a value in an array / at the top).
    fn entry(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(comma) = self.comma.last_mut() {
            if *comma {
                self.out.push(',');
            }
            *comma = true;
        }
    }

    /// Starts an object (as a value: after a key, in an array, or at the top).
    pub fn begin_object(&mut self) -> &mut Self {
        self.entry();
        self.out.push('{');
        self.comma.push(false);
        self
    }

    /// `}`.
    pub fn end_object(&mut self) -> &mut Self {
        self.out.push('}');
        self.comma.pop();
        self
    }

    /// Starts an array (as a value).
    pub fn begin_array(&mut self) -> &mut Self {
        self.entry();
        self.out.push('[');
        self.comma.push(false);
        self
    }

    /// `]`.
    pub fn end_array(&mut self) -> &mut Self {
        self.out.push(']');
        self.comma.pop();
        self
    }

    /// A string key followed by `:`; the value comes next.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.entry();
        JsonStyle::Fastjson.write_str(&mut self.out, key);
        self.out.push(':');
        self.after_key = true;
        self
    }

    /// A `MessageQueue` used as a map key:
    /// `{"brokerName":…,"queueId":…,"topic":…}:`; the value comes next.
    pub fn queue_key(&mut self, broker_name: &str, queue_id: i32, topic: &str) -> &mut Self {
        self.entry();
        self.out.push_str("{\"brokerName\":");
        JsonStyle::Fastjson.write_str(&mut self.out, broker_name);
        self.out.push_str(",\"queueId\":");
        self.out.push_str(&queue_id.to_string());
        self.out.push_str(",\"topic\":");
        JsonStyle::Fastjson.write_str(&mut self.out, topic);
        self.out.push_str("}:");
        self.after_key = true;
        self
    }

    /// A string value.
    pub fn string(&mut self, value: &str) -> &mut Self {
        self.entry();
        JsonStyle::Fastjson.write_str(&mut self.out, value);
        self
    }

    /// An integer value.
    pub fn int(&mut self, value: i64) -> &mut Self {
        self.entry();
        self.out.push_str(&value.to_string());
        self
    }

    /// A boolean value.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.entry();
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    /// A double written like Java's `Double.toString` (`0.0`, `12.5`).
    pub fn double(&mut self, value: f64) -> &mut Self {
        self.entry();
        self.out.push_str(&java_double(value));
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

    /// A `"key":double` entry.
    pub fn field_double(&mut self, key: &str, value: f64) -> &mut Self {
        self.key(key).double(value)
    }
}

/// Java's `Double.toString` for values in the plain range: always a
/// fraction part (`0.0`, `3.0`, `12.25`).
pub fn java_double(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_object_keys_and_doubles() {
        let mut w = JsonWriter::new();
        w.begin_object();
        w.key("offsetTable").begin_object();
        w.queue_key("b", 0, "t").begin_object();
        w.field_int("maxOffset", 3).field_int("minOffset", 0);
        w.end_object();
        w.queue_key("b", 1, "t").begin_object().end_object();
        w.end_object();
        w.field_double("topicPutTps", 0.0);
        w.key("list").begin_array();
        w.string("a").string("b").int(3);
        w.end_array();
        w.end_object();
        assert_eq!(
            w.finish(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":3,"minOffset":0},{"brokerName":"b","queueId":1,"topic":"t"}:{}},"topicPutTps":0.0,"list":["a","b",3]}"#
        );
    }

    #[test]
    fn doubles_like_java() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(12.5), "12.5");
        assert_eq!(java_double(3.0), "3.0");
    }
}
