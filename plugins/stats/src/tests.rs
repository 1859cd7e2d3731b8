use std::collections::HashMap;

use abi_stable::std_types::{RSlice, RStr};
use plugin_api::codec::ExtFields;
use plugin_api::ffi::{FfiFieldsRef, FfiRequest};
use plugin_api::serde_json::{self, json};

use super::*;

/// A broker as plain maps.
#[derive(Default)]
struct FakeBroker {
    topics: Vec<TopicConfig>,
    system: Vec<String>,
    /// (topic, queue) → (min, max)
    offsets: HashMap<(String, i32), (i64, i64)>,
    /// (topic, queue, offset) → store time
    times: HashMap<(String, i32, i64), i64>,
    /// (group, topic, queue) → committed
    committed: HashMap<(String, String, i32), i64>,
}

fn config(name: &str, read: i32, write: i32) -> TopicConfig {
    TopicConfig {
        topic_name: name.into(),
        read_queue_nums: read,
        write_queue_nums: write,
        perm: 6,
        topic_filter_type: 0,
        topic_sys_flag: 0,
        order: false,
    }
}

impl FakeBroker {
    fn topic(mut self, name: &str, queues: i32) -> Self {
        self.topics.push(config(name, queues, queues));
        self
    }

    fn system_topic(mut self, name: &str) -> Self {
        self.topics.push(config(name, 1, 1));
        self.system.push(name.to_owned());
        self
    }

    fn queue(mut self, topic: &str, queue: i32, min: i64, max: i64, last_time: i64) -> Self {
        self.offsets.insert((topic.into(), queue), (min, max));
        if max > min {
            self.times.insert((topic.into(), queue, max - 1), last_time);
        }
        self
    }

    fn committed(mut self, group: &str, topic: &str, queue: i32, offset: i64) -> Self {
        self.committed
            .insert((group.into(), topic.into(), queue), offset);
        self
    }
}

impl StatsSource for FakeBroker {
    fn identity(&self) -> BrokerIdentity {
        BrokerIdentity {
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            broker_addr: "127.0.0.1:10911".into(),
            broker_permission: 6,
            version: 479,
        }
    }

    fn topics(&self) -> Vec<TopicConfig> {
        self.topics.clone()
    }

    fn topic(&self, name: &str) -> Option<TopicConfig> {
        self.topics
            .iter()
            .find(|t| t.topic_name.as_str() == name)
            .cloned()
    }

    fn is_system_topic(&self, name: &str) -> bool {
        self.system.iter().any(|s| s == name)
    }

    fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.offsets
            .get(&(topic.into(), queue_id))
            .map_or(0, |(_, max)| *max)
    }

    fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.offsets
            .get(&(topic.into(), queue_id))
            .map_or(0, |(min, _)| *min)
    }

    fn store_time(&self, topic: &str, queue_id: i32, offset: i64) -> i64 {
        *self
            .times
            .get(&(topic.into(), queue_id, offset))
            .unwrap_or(&-1)
    }

    fn consumer_offset(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        *self
            .committed
            .get(&(group.into(), topic.into(), queue_id))
            .unwrap_or(&-1)
    }
}

fn broker() -> FakeBroker {
    FakeBroker::default()
        .topic("Orders", 2)
        .topic("Audit", 1)
        .system_topic("TBW102")
        .queue("Orders", 0, 0, 5, 1_700_000_000_005)
        .queue("Orders", 1, 2, 3, 1_700_000_000_009)
        .queue("Audit", 0, 0, 0, 0)
        .committed("billing", "Orders", 0, 4)
}

/// Runs `process` on a request with these header fields, as the host would.
fn call(plugin: &StatsPlugin<FakeBroker>, code: i32, fields: &[(&str, &str)]) -> Response {
    let mut ext_fields = ExtFields::new();
    for (key, value) in fields {
        ext_fields.insert(key, value);
    }
    let ffi = FfiRequest {
        code,
        language: 0,
        version: 479,
        opaque: 7,
        flag: 0,
        serialize_type: 0,
        remark: None.into(),
        ext_fields: FfiFieldsRef::of(&ext_fields),
        body: RSlice::from_slice(&[]),
        remote_addr: RStr::from("127.0.0.1:50000"),
        connection_id: 1,
        allow_hold: true,
    };
    match plugin.process(&Request::from_ffi(&ffi)) {
        Ok(Outcome::Respond(response)) => response,
        Ok(other) => panic!("expected a response, got {other:?}"),
        Err(error) => error.into_response(),
    }
}

fn body(response: &Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).expect("the body is JSON")
}

fn field<'a>(response: &'a Response, key: &str) -> Option<&'a str> {
    response.ext_fields.get(key)
}

#[test]
fn lists_user_topics_sorted_with_per_queue_figures() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(&plugin, GET_BROKER_STATS, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(field(&response, "topicCount"), Some("2"));
    assert_eq!(field(&response, "totalMessageCount"), Some("6"));
    let json = body(&response);
    assert_eq!(json["brokerName"], "broker-a");
    assert_eq!(json["clusterName"], "DefaultCluster");
    assert_eq!(json["brokerAddr"], "127.0.0.1:10911");
    assert_eq!(json["brokerVersion"], 479);
    let names: Vec<&str> = json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Audit", "Orders"], "sorted, no system topic");
    let orders = &json["topics"][1];
    assert_eq!(orders["messageCount"], 6);
    assert_eq!(orders["lastStoreTimestamp"], 1_700_000_000_009i64);
    assert_eq!(
        orders["queues"][1],
        json!({"lastStoreTimestamp":1_700_000_000_009i64,"maxOffset":3,"messageCount":1,"minOffset":2,"queueId":1})
    );
    assert!(json.get("totalLag").is_none() && orders.get("lag").is_none());
    let audit = &json["topics"][0];
    assert_eq!(
        (&audit["messageCount"], &audit["lastStoreTimestamp"]),
        (&json!(0), &json!(0)),
        "an empty queue"
    );
}

#[test]
fn the_body_is_compact_with_fields_in_fastjson_order() {
    let source = FakeBroker::default()
        .topic("T", 1)
        .queue("T", 0, 0, 3, 1_700_000_000_000)
        .committed("g", "T", 0, 2);
    let query = Query {
        consumer_group: Some("g".into()),
        ..Query::default()
    };
    let mut stats = collect(&source, &query, "9.9.9").unwrap();
    stats.timestamp = 42;
    assert_eq!(
        stats.to_json(),
        concat!(
            r#"{"brokerAddr":"127.0.0.1:10911","brokerId":0,"brokerName":"broker-a","brokerVersion":479,"#,
            r#""clusterName":"DefaultCluster","consumerGroup":"g","pluginVersion":"9.9.9","timestamp":42,"#,
            r#""topics":[{"lag":1,"lastStoreTimestamp":1700000000000,"messageCount":3,"perm":6,"#,
            r#""queues":[{"consumerOffset":2,"lag":1,"lastStoreTimestamp":1700000000000,"maxOffset":3,"#,
            r#""messageCount":3,"minOffset":0,"queueId":0}],"readQueueNums":1,"topic":"T","writeQueueNums":1}],"#,
            r#""totalLag":1,"totalMessageCount":3}"#
        )
    );
}

#[test]
fn a_consumer_group_adds_offsets_and_lag() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(
        &plugin,
        GET_BROKER_STATS,
        &[("topic", "Orders"), ("consumerGroup", "billing")],
    );
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let json = body(&response);
    assert_eq!(json["consumerGroup"], "billing");
    let queues = &json["topics"][0]["queues"];
    // Queue 0: committed 4 of 5. Queue 1: nothing committed, counts from min 2.
    assert_eq!(
        (&queues[0]["consumerOffset"], &queues[0]["lag"]),
        (&json!(4), &json!(1))
    );
    assert_eq!(
        (&queues[1]["consumerOffset"], &queues[1]["lag"]),
        (&json!(-1), &json!(1))
    );
    assert_eq!(json["topics"][0]["lag"], 2);
    assert_eq!(json["totalLag"], 2);
}

#[test]
fn a_committed_offset_below_the_min_offset_counts_from_the_min() {
    let queue = QueueStats {
        queue_id: 0,
        min_offset: 100,
        max_offset: 150,
        last_store_timestamp: 0,
        consumer_offset: Some(10),
    };
    assert_eq!(queue.lag(), Some(50));
    assert_eq!(queue.message_count(), 50);
}

#[test]
fn one_topic_only_and_an_unknown_topic_is_topic_not_exist() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(&plugin, GET_BROKER_STATS, &[("topic", "Audit")]);
    assert_eq!(field(&response, "topicCount"), Some("1"));
    assert_eq!(body(&response)["topics"][0]["topic"], "Audit");

    let missing = call(&plugin, GET_BROKER_STATS, &[("topic", "Nope")]);
    assert_eq!(missing.code, response_code::TOPIC_NOT_EXIST);
    assert_eq!(missing.remark.as_deref(), Some("topic[Nope] not exist"));
}

#[test]
fn a_system_topic_asked_for_by_name_is_answered() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(&plugin, GET_BROKER_STATS, &[("topic", "TBW102")]);
    assert_eq!(response.code, 0);
    assert_eq!(body(&response)["topics"][0]["topic"], "TBW102");
}

#[test]
fn system_topics_by_header_or_by_setting() {
    let by_header = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(
        &by_header,
        GET_BROKER_STATS,
        &[("includeSystemTopics", "true")],
    );
    assert_eq!(field(&response, "topicCount"), Some("3"));

    let by_setting = StatsPlugin::with_source(
        broker(),
        Settings {
            include_system_topics: true,
        },
    );
    assert_eq!(
        field(&call(&by_setting, GET_BROKER_STATS, &[]), "topicCount"),
        Some("3")
    );
    let overridden = call(
        &by_setting,
        GET_BROKER_STATS,
        &[("includeSystemTopics", "false")],
    );
    assert_eq!(field(&overridden, "topicCount"), Some("2"));
}

#[test]
fn an_empty_field_means_not_given() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(
        &plugin,
        GET_BROKER_STATS,
        &[("topic", ""), ("consumerGroup", " ")],
    );
    assert_eq!(field(&response, "topicCount"), Some("2"));
    assert!(body(&response).get("consumerGroup").is_none());
}

#[test]
fn another_code_is_not_supported() {
    let plugin = StatsPlugin::with_source(broker(), Settings::default());
    let response = call(&plugin, 9201, &[]);
    assert_eq!(response.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
}

#[test]
fn topic_names_are_escaped() {
    let source = FakeBroker::default().topic("a\"b", 1);
    let stats = collect(&source, &Query::default(), "1").unwrap();
    let json: serde_json::Value = serde_json::from_str(&stats.to_json()).unwrap();
    assert_eq!(json["topics"][0]["topic"], "a\"b");
}

#[test]
fn settings_are_checked() {
    assert_eq!(Settings::parse(&json!({})), Ok(Settings::default()));
    assert_eq!(
        Settings::parse(&json!({"include_system_topics": true})),
        Ok(Settings {
            include_system_topics: true
        })
    );
    let wrong_type = Settings::parse(&json!({"include_system_topics": "yes"})).unwrap_err();
    assert!(wrong_type.contains("must be true or false"), "{wrong_type}");
    let unknown = Settings::parse(&json!({"include_system_topic": true})).unwrap_err();
    assert!(
        unknown.contains("unknown stats plugin setting \"include_system_topic\""),
        "{unknown}"
    );
}

#[test]
fn the_plugin_declares_its_code_and_version() {
    assert_eq!(
        <StatsPlugin as Plugin>::REQUEST_CODES,
        &[GET_BROKER_STATS][..]
    );
    assert_eq!(<StatsPlugin as Plugin>::NAME, "stats");
    assert!(!<StatsPlugin as Plugin>::VERSION.is_empty());
}
