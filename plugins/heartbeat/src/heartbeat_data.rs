//! The `HeartbeatData` body (RocketMQ's `HeartbeatData`, `ConsumerData`,
//! `ProducerData` and `SubscriptionData` beans). Lenient like Java's
//! fastjson, which the Go and C++ clients rely on: missing or `null` fields
//! take their defaults, numbers may come as strings (`"codeSet":["2598919"]`
//! from rocketmq-client-go v2, `"subVersion":"1700000000000"` from the C++
//! client) and enums as their ordinals (`"consumeType":1`), and a
//! subscription without `expressionType` is a TAG subscription.

use plugin_api::sdk::serde::de::{self, Deserializer};
use plugin_api::sdk::serde_json::Value;
use plugin_api::sdk::Deserialize;

/// The heartbeat body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatData {
    /// `ip@instance`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Producer groups.
    #[serde(default, deserialize_with = "null_default")]
    pub producer_data_set: Vec<ProducerData>,
    /// Consumer groups.
    #[serde(default, deserialize_with = "null_default")]
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat v2 fingerprint (0 = classic).
    #[serde(default, deserialize_with = "lenient_i64")]
    pub heartbeat_fingerprint: i64,
    /// v2: subscriptions omitted because unchanged.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub without_sub: bool,
}

/// One producer group.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProducerData {
    /// Group.
    pub group_name: String,
}

/// One consumer group.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerData {
    /// Group.
    pub group_name: String,
    /// Consume type, by name (an ordinal is mapped to its name).
    #[serde(default = "default_consume_type", deserialize_with = "consume_type")]
    pub consume_type: String,
    /// Message model, by name (an ordinal is mapped to its name).
    #[serde(default = "default_message_model", deserialize_with = "message_model")]
    pub message_model: String,
    /// Consume from where, by name (an ordinal is mapped to its name).
    #[serde(
        default = "default_consume_from_where",
        deserialize_with = "consume_from_where"
    )]
    pub consume_from_where: String,
    /// Subscriptions.
    #[serde(default, deserialize_with = "null_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub unit_mode: bool,
}

/// One subscription.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionData {
    /// Topic.
    pub topic: String,
    /// Expression.
    #[serde(default = "default_sub_string", deserialize_with = "sub_string")]
    pub sub_string: String,
    /// Tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags_set: Vec<String>,
    /// Tag hash codes (numbers or numeric strings).
    #[serde(default, deserialize_with = "lenient_i32_vec")]
    pub code_set: Vec<i32>,
    /// Version (a number or a numeric string).
    #[serde(default, deserialize_with = "lenient_i64")]
    pub sub_version: i64,
    /// `TAG` (default) or `SQL92`.
    #[serde(
        default = "default_expression_type",
        deserialize_with = "expression_type"
    )]
    pub expression_type: String,
    /// Obsolete.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub class_filter_mode: bool,
}

fn default_consume_type() -> String {
    "CONSUME_PASSIVELY".into()
}
fn default_message_model() -> String {
    "CLUSTERING".into()
}
fn default_consume_from_where() -> String {
    "CONSUME_FROM_LAST_OFFSET".into()
}
fn default_sub_string() -> String {
    "*".into()
}
fn default_expression_type() -> String {
    "TAG".into()
}

/// Java's `ConsumeType`, in declaration order (fastjson reads an ordinal).
const CONSUME_TYPES: &[&str] = &["CONSUME_ACTIVELY", "CONSUME_PASSIVELY"];
/// Java's `MessageModel`, in declaration order.
const MESSAGE_MODELS: &[&str] = &["BROADCASTING", "CLUSTERING"];
/// Java's `ConsumeFromWhere`, in declaration order, deprecated entries
/// included.
const CONSUME_FROM_WHERE: &[&str] = &[
    "CONSUME_FROM_LAST_OFFSET",
    "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",
    "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET",
    "CONSUME_FROM_TIMESTAMP",
];

/// `null` → `T::default()`.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An integer as fastjson reads one: a number (a fraction truncated), a
/// numeric string (blank = absent) or `null` (absent = 0).
fn integer_value<E: de::Error>(value: &Value) -> Result<Option<i64>, E> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u as i64))
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| E::custom(format!("not an integer: {n}"))),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || s == "null" {
                return Ok(None);
            }
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| E::custom(format!("not an integer: {s:?}")))
        }
        Value::Bool(b) => Ok(Some(i64::from(*b))),
        other => Err(E::custom(format!("not an integer: {other}"))),
    }
}

/// A `long` field: number, numeric string or `null` (0).
fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(integer_value(&Value::deserialize(deserializer)?)?.unwrap_or(0))
}

/// A `Set<Integer>`: items numbers or numeric strings; `null` = empty.
fn lenient_i32_vec<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i32>, D::Error> {
    let items = Option::<Vec<Value>>::deserialize(deserializer)?.unwrap_or_default();
    let mut codes = Vec::with_capacity(items.len());
    for item in &items {
        if let Some(code) = integer_value::<D::Error>(item)? {
            codes.push(code as i32);
        }
    }
    Ok(codes)
}

/// A `boolean`: `true`/`false`, `"true"`/`"false"`, 1/0 or `null` (false).
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" || s.is_empty() => {
            Ok(false)
        }
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        other => Err(de::Error::custom(format!("not a boolean: {other}"))),
    }
}

/// An enum field kept as its Java name: a name, an ordinal into `names`
/// (a number or a numeric string), or `null` (`default`).
fn enum_name<'de, D: Deserializer<'de>>(
    deserializer: D,
    names: &[&str],
    default: fn() -> String,
) -> Result<String, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let ordinal = match &value {
        Value::String(name) if !name.is_empty() && name.trim().parse::<i64>().is_err() => {
            return Ok(name.clone());
        }
        other => integer_value::<D::Error>(other)?,
    };
    match ordinal {
        None => Ok(default()),
        Some(ordinal) => usize::try_from(ordinal)
            .ok()
            .and_then(|index| names.get(index))
            .map(|name| (*name).to_owned())
            .ok_or_else(|| de::Error::custom(format!("no enum constant with ordinal {ordinal}"))),
    }
}

fn consume_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    enum_name(deserializer, CONSUME_TYPES, default_consume_type)
}
fn message_model<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    enum_name(deserializer, MESSAGE_MODELS, default_message_model)
}
fn consume_from_where<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    enum_name(deserializer, CONSUME_FROM_WHERE, default_consume_from_where)
}

/// A string field: `null` → `default`.
fn string_or<'de, D: Deserializer<'de>>(
    deserializer: D,
    default: fn() -> String,
) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_else(default))
}
fn sub_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    string_or(deserializer, default_sub_string)
}
fn expression_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    string_or(deserializer, default_expression_type)
}

#[cfg(test)]
mod tests {
    use plugin_api::sdk::serde_json;

    use super::*;

    /// A 5.x Java client's body (`MQClientInstance.prepareHeartbeatData`)
    /// and a minimal one.
    #[test]
    fn parses_a_java_client_body_and_a_minimal_one() {
        let body = r#"{"clientID":"10.0.0.5@12345#987654321","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"TopicTest"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000001,"tagsSet":[],"topic":"%RETRY%cg1"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;
        let data: HeartbeatData = serde_json::from_str(body).expect("Java client body");
        assert_eq!(data.client_id, "10.0.0.5@12345#987654321");
        assert_eq!(
            data.consumer_data_set[0].subscription_data_set[0].code_set,
            vec![2598919]
        );
        assert_eq!(
            data.producer_data_set[0].group_name,
            "CLIENT_INNER_PRODUCER"
        );

        let minimal = r#"{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"T","subString":"A"}]}]}"#;
        let data: HeartbeatData = serde_json::from_str(minimal).expect("minimal body");
        let sub = &data.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(sub.expression_type, "TAG");
        assert_eq!(data.consumer_data_set[0].message_model, "CLUSTERING");
    }

    /// rocketmq-client-go v2 writes `codeSet` items as strings.
    #[test]
    fn parses_a_go_client_v2_body() {
        let body = r#"{"clientID":"192.168.1.2@4711","producerDataSet":[],"consumerDataSet":[{"groupName":"goGroup","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1700000000000,"expressionType":"TAG"}],"unitMode":false}]}"#;
        let data: HeartbeatData = serde_json::from_str(body).expect("go body");
        let sub = &data.consumer_data_set[0].subscription_data_set[0];
        assert_eq!(sub.code_set, vec![2598919]);
        assert_eq!(sub.sub_version, 1_700_000_000_000);
    }

    /// The C++ client writes `subVersion` as a string and the enums as
    /// ordinals.
    #[test]
    fn parses_a_cpp_client_body() {
        let body = r#"{"clientID":"10.0.0.9@31337","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"cppGroup","messageModel":1,"subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":"1700000000000","tagsSet":["TagA"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;
        let data: HeartbeatData = serde_json::from_str(body).expect("c++ body");
        let consumer = &data.consumer_data_set[0];
        assert_eq!(consumer.consume_type, "CONSUME_PASSIVELY");
        assert_eq!(consumer.message_model, "CLUSTERING");
        assert_eq!(consumer.consume_from_where, "CONSUME_FROM_FIRST_OFFSET");
        assert_eq!(
            consumer.subscription_data_set[0].sub_version,
            1_700_000_000_000
        );
    }

    #[test]
    fn ordinals_follow_the_java_enums_and_null_is_the_default() {
        let body = r#"{"clientID":"c","heartbeatFingerprint":"12","withoutSub":null,"consumerDataSet":[{"groupName":"g","consumeType":0,"messageModel":"0","consumeFromWhere":1,"unitMode":null,"subscriptionDataSet":[{"topic":"T","subString":null,"tagsSet":null,"codeSet":null,"subVersion":null,"expressionType":null}]},{"groupName":"h","consumeType":null,"messageModel":null,"consumeFromWhere":5,"subscriptionDataSet":null}],"producerDataSet":null}"#;
        let data: HeartbeatData = serde_json::from_str(body).expect("lenient body");
        assert_eq!(data.heartbeat_fingerprint, 12);
        assert!(!data.without_sub);
        let first = &data.consumer_data_set[0];
        assert_eq!(first.consume_type, "CONSUME_ACTIVELY");
        assert_eq!(first.message_model, "BROADCASTING");
        assert_eq!(
            first.consume_from_where,
            "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"
        );
        let sub = &first.subscription_data_set[0];
        assert_eq!(sub.sub_string, "*");
        assert_eq!(sub.expression_type, "TAG");
        assert!(sub.code_set.is_empty() && sub.tags_set.is_empty());
        let second = &data.consumer_data_set[1];
        assert_eq!(second.consume_type, "CONSUME_PASSIVELY");
        assert_eq!(second.message_model, "CLUSTERING");
        assert_eq!(second.consume_from_where, "CONSUME_FROM_TIMESTAMP");
        assert!(second.subscription_data_set.is_empty());
        assert!(serde_json::from_str::<HeartbeatData>(
            r#"{"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":2}]}"#
        )
        .is_err());
    }
}
