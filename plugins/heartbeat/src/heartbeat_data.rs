//! The `HeartbeatData` body (request-codes.md §3). Lenient like Java's
//! fastjson: missing optional fields take their defaults, and a subscription
//! without `expressionType` is a TAG subscription.

use serde::Deserialize;

/// The heartbeat body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatData {
    /// `ip@instance`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// Producer groups.
    #[serde(default)]
    pub producer_data_set: Vec<ProducerData>,
    /// Consumer groups.
    #[serde(default)]
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat v2 fingerprint (0 = classic).
    #[serde(default)]
    pub heartbeat_fingerprint: i64,
    /// v2: subscriptions omitted because unchanged.
    #[serde(default)]
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
    /// Consume type.
    #[serde(default = "default_consume_type")]
    pub consume_type: String,
    /// Message model.
    #[serde(default = "default_message_model")]
    pub message_model: String,
    /// Consume from where.
    #[serde(default = "default_consume_from_where")]
    pub consume_from_where: String,
    /// Subscriptions.
    #[serde(default)]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode.
    #[serde(default)]
    pub unit_mode: bool,
}

/// One subscription.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionData {
    /// Topic.
    pub topic: String,
    /// Expression.
    #[serde(default = "default_sub_string")]
    pub sub_string: String,
    /// Tags.
    #[serde(default)]
    pub tags_set: Vec<String>,
    /// Tag hash codes.
    #[serde(default)]
    pub code_set: Vec<i32>,
    /// Version.
    #[serde(default)]
    pub sub_version: i64,
    /// `TAG` (default) or `SQL92`.
    #[serde(default = "default_expression_type")]
    pub expression_type: String,
    /// Obsolete.
    #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The 5.x example body from request-codes.md §3.
    #[test]
    fn parses_the_spec_example_and_minimal_bodies() {
        let body = r#"{"clientID":"10.0.0.5@12345#987654321","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"TopicTest"},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000001,"tagsSet":[],"topic":"%RETRY%cg1"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;
        let data: HeartbeatData = serde_json::from_str(body).expect("spec body");
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
}
