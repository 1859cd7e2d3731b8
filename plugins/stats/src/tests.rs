//! GET_BROKER_STATS on the test kit's in-memory host.

use plugin_api::sdk::serde_json::{self, json, Value};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};

use super::*;

fn topic_config(name: &str, queues: i32) -> TopicConfig {
    let mut config = TopicConfig::new(name);
    config.read_queue_nums = queues;
    config.write_queue_nums = queues;
    config
}

/// Stores `count` messages in the queue; returns the store time of the last.
fn store(fake: &FakeHost, topic: &str, queue_id: i32, count: usize) -> i64 {
    for _ in 0..count {
        fake.store_message(topic, queue_id, b"m", "");
    }
    let last = fake.state().messages.last().map(|m| m.store_timestamp);
    last.expect("a stored message")
}

/// The broker the tests ask: `Orders` (2 queues: 5 messages in queue 0;
/// queue 1 written to 3 with the first 2 deleted), an empty `Audit`, the
/// system topics `TBW102` and `rmq_sys_wheel_timer`, and group `billing`
/// having committed 4 in `Orders` queue 0.
struct Broker {
    fake: FakeHost,
    /// Store times of the newest message of Orders queues 0 and 1.
    orders_last: [i64; 2],
}

fn broker() -> Broker {
    let fake = FakeHost::new();
    fake.add_topic(topic_config("Orders", 2));
    fake.add_topic(topic_config("Audit", 1));
    fake.add_topic(topic_config("rmq_sys_wheel_timer", 1));
    let q0 = store(&fake, "Orders", 0, 5);
    let q1 = store(&fake, "Orders", 1, 3);
    {
        let mut state = fake.state();
        state.min_offsets.insert(("Orders".into(), 1), 2);
        state
            .offsets
            .insert(("billing".into(), "Orders".into(), 0), 4);
    }
    Broker {
        fake,
        orders_last: [q0, q1],
    }
}

fn start(fake: &FakeHost, settings: &str) -> StatsPlugin {
    fake.start::<StatsPlugin>(settings).expect("starts")
}

fn call(plugin: &StatsPlugin, code: i32, fields: &[(&str, &str)]) -> Response {
    let mut request = RequestBuilder::new(code);
    for (key, value) in fields {
        request = request.field(key, value);
    }
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).expect("the body is JSON")
}

fn now() -> i64 {
    plugin_api::sdk::message::now_millis()
}

#[test]
fn lists_user_topics_sorted_with_per_queue_figures() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let before = now();
    let response = call(&plugin, GET_BROKER_STATS, &[]);
    let after = now();
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(response.field("topicCount"), Some("2"));
    assert_eq!(response.field("totalMessageCount"), Some("6"));
    let json = body(&response);
    assert_eq!(json["brokerName"], "broker-a");
    assert_eq!(json["clusterName"], "DefaultCluster");
    assert_eq!(json["brokerAddr"], "127.0.0.1:10911");
    assert_eq!(json["brokerId"], 0);
    assert_eq!(json["brokerVersion"], 479);
    assert_eq!(json["pluginVersion"], <StatsPlugin as Plugin>::VERSION);
    let taken = json["timestamp"].as_i64().expect("a timestamp");
    assert!((before..=after).contains(&taken), "{taken}");
    let names: Vec<&str> = json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Audit", "Orders"], "sorted, no system topic");
    let orders = &json["topics"][1];
    assert_eq!(orders["messageCount"], 6);
    assert_eq!(orders["lastStoreTimestamp"], broker.orders_last[1]);
    assert_eq!(
        (
            &orders["readQueueNums"],
            &orders["writeQueueNums"],
            &orders["perm"]
        ),
        (&json!(2), &json!(2), &json!(6))
    );
    assert_eq!(
        orders["queues"][0],
        json!({"lastStoreTimestamp":broker.orders_last[0],"maxOffset":5,"messageCount":5,"minOffset":0,"queueId":0})
    );
    assert_eq!(
        orders["queues"][1],
        json!({"lastStoreTimestamp":broker.orders_last[1],"maxOffset":3,"messageCount":1,"minOffset":2,"queueId":1})
    );
    assert!(json.get("totalLag").is_none() && orders.get("lag").is_none());
    assert!(json.get("consumerGroup").is_none());
    let audit = &json["topics"][0];
    assert_eq!(
        (&audit["messageCount"], &audit["lastStoreTimestamp"]),
        (&json!(0), &json!(0)),
        "an empty queue"
    );
}

#[test]
fn the_body_is_compact_with_fields_in_fastjson_order() {
    let fake = FakeHost::new();
    fake.add_topic(topic_config("T", 1));
    let last = store(&fake, "T", 0, 3);
    fake.state().offsets.insert(("g".into(), "T".into(), 0), 2);
    let query = Query {
        consumer_group: Some("g".into()),
        ..Query::default()
    };
    let mut stats = collect(&fake.host("stats"), &query, "9.9.9").unwrap();
    stats.timestamp = 42;
    assert_eq!(
        stats.to_json(),
        format!(
            concat!(
                r#"{{"brokerAddr":"127.0.0.1:10911","brokerId":0,"brokerName":"broker-a","brokerVersion":479,"#,
                r#""clusterName":"DefaultCluster","consumerGroup":"g","pluginVersion":"9.9.9","timestamp":42,"#,
                r#""topics":[{{"lag":1,"lastStoreTimestamp":{last},"messageCount":3,"perm":6,"#,
                r#""queues":[{{"consumerOffset":2,"lag":1,"lastStoreTimestamp":{last},"maxOffset":3,"#,
                r#""messageCount":3,"minOffset":0,"queueId":0}}],"readQueueNums":1,"topic":"T","writeQueueNums":1}}],"#,
                r#""totalLag":1,"totalMessageCount":3}}"#
            ),
            last = last
        )
    );
}

/// Without a group: no consumer fields; several topics and queues
/// separated by commas; names escaped as fastjson escapes them.
#[test]
fn the_body_without_a_group_lists_every_topic_and_queue() {
    let queue = |queue_id, min_offset, max_offset| QueueStats {
        queue_id,
        min_offset,
        max_offset,
        last_store_timestamp: if max_offset > min_offset { 7 } else { 0 },
        consumer_offset: None,
    };
    let topic = |name: &str, queues| TopicStats {
        topic: name.into(),
        read_queue_nums: 2,
        write_queue_nums: 2,
        perm: 6,
        queues,
    };
    let stats = BrokerStats {
        identity: FakeHost::new().state().identity.clone(),
        plugin_version: "1.0".into(),
        timestamp: 42,
        consumer_group: None,
        topics: vec![
            topic("A\"1", vec![queue(0, 0, 0), queue(1, 2, 3)]),
            topic("B", vec![queue(0, 0, 0)]),
        ],
    };
    assert_eq!(
        stats.to_json(),
        concat!(
            r#"{"brokerAddr":"127.0.0.1:10911","brokerId":0,"brokerName":"broker-a","brokerVersion":479,"#,
            r#""clusterName":"DefaultCluster","pluginVersion":"1.0","timestamp":42,"topics":["#,
            r#"{"lastStoreTimestamp":7,"messageCount":1,"perm":6,"queues":["#,
            r#"{"lastStoreTimestamp":0,"maxOffset":0,"messageCount":0,"minOffset":0,"queueId":0},"#,
            r#"{"lastStoreTimestamp":7,"maxOffset":3,"messageCount":1,"minOffset":2,"queueId":1}],"#,
            r#""readQueueNums":2,"topic":"A\"1","writeQueueNums":2},"#,
            r#"{"lastStoreTimestamp":0,"messageCount":0,"perm":6,"queues":["#,
            r#"{"lastStoreTimestamp":0,"maxOffset":0,"messageCount":0,"minOffset":0,"queueId":0}],"#,
            r#""readQueueNums":2,"topic":"B","writeQueueNums":2}],"#,
            r#""totalMessageCount":1}"#
        )
    );
}

#[test]
fn a_consumer_group_adds_offsets_and_lag() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let response = call(
        &plugin,
        GET_BROKER_STATS,
        &[("topic", "Orders"), ("consumerGroup", "billing")],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(response.field("topicCount"), Some("1"));
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
    let broker = broker();
    broker
        .fake
        .state()
        .offsets
        .insert(("billing".into(), "Orders".into(), 1), 1);
    let plugin = start(&broker.fake, "");
    let json = body(&call(
        &plugin,
        GET_BROKER_STATS,
        &[("topic", "Orders"), ("consumerGroup", "billing")],
    ));
    let queue = &json["topics"][0]["queues"][1];
    assert_eq!(
        (&queue["consumerOffset"], &queue["lag"], &queue["minOffset"]),
        (&json!(1), &json!(1), &json!(2))
    );

    let pure = QueueStats {
        queue_id: 0,
        min_offset: 100,
        max_offset: 150,
        last_store_timestamp: 0,
        consumer_offset: Some(10),
    };
    assert_eq!(pure.lag(), Some(50));
    assert_eq!(pure.message_count(), 50);
}

#[test]
fn one_topic_only_and_an_unknown_topic_is_topic_not_exist() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let response = call(&plugin, GET_BROKER_STATS, &[("topic", "Audit")]);
    assert_eq!(response.field("topicCount"), Some("1"));
    assert_eq!(response.field("totalMessageCount"), Some("0"));
    assert_eq!(body(&response)["topics"][0]["topic"], "Audit");

    let missing = call(&plugin, GET_BROKER_STATS, &[("topic", "Nope")]);
    assert_eq!(missing.code, ResponseCode::TOPIC_NOT_EXIST);
    assert_eq!(missing.remark.as_deref(), Some("topic[Nope] not exist"));
    assert!(missing.body.is_empty() && missing.ext_fields.is_empty());
}

#[test]
fn a_system_topic_asked_for_by_name_is_answered() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let response = call(&plugin, GET_BROKER_STATS, &[("topic", "TBW102")]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    let json = body(&response);
    assert_eq!(json["topics"][0]["topic"], "TBW102");
    assert_eq!(json["topics"][0]["perm"], 7);
    assert_eq!(json["topics"][0]["queues"].as_array().unwrap().len(), 8);
}

#[test]
fn system_topics_by_header_or_by_setting() {
    let broker = broker();
    let by_header = start(&broker.fake, "");
    let response = call(
        &by_header,
        GET_BROKER_STATS,
        &[("includeSystemTopics", "true")],
    );
    assert_eq!(response.field("topicCount"), Some("4"));
    let names: Vec<String> = body(&response)["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Audit", "Orders", "TBW102", "rmq_sys_wheel_timer"]);

    let by_setting = start(&broker.fake, r#"{"include_system_topics":true}"#);
    assert_eq!(
        call(&by_setting, GET_BROKER_STATS, &[]).field("topicCount"),
        Some("4")
    );
    let overridden = call(
        &by_setting,
        GET_BROKER_STATS,
        &[("includeSystemTopics", "false")],
    );
    assert_eq!(overridden.field("topicCount"), Some("2"));
}

#[test]
fn an_empty_field_means_not_given() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let response = call(
        &plugin,
        GET_BROKER_STATS,
        &[("topic", ""), ("consumerGroup", " ")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("topicCount"), Some("2"));
    assert!(body(&response).get("consumerGroup").is_none());
}

#[test]
fn another_code_is_not_supported() {
    let broker = broker();
    let plugin = start(&broker.fake, "");
    let response = call(&plugin, 9201, &[]);
    assert_eq!(response.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 9201 not supported")
    );
}

#[test]
fn topic_names_are_escaped() {
    let fake = FakeHost::new();
    fake.add_topic(topic_config("a\"b", 1));
    let stats = collect(&fake.host("stats"), &Query::default(), "1").unwrap();
    let json: Value = serde_json::from_str(&stats.to_json()).unwrap();
    assert_eq!(json["topics"][0]["topic"], "a\"b");
}

#[test]
fn starting_and_serving_are_logged() {
    let broker = broker();
    let plugin = start(&broker.fake, r#"{"include_system_topics":false}"#);
    let response = RequestBuilder::new(GET_BROKER_STATS)
        .from_client("10.0.0.7:4242", 3)
        .run(&plugin);
    assert_eq!(
        response.response().map(|r| r.code),
        Some(ResponseCode::SUCCESS)
    );
    assert_eq!(
        broker.fake.log_lines(),
        vec![
            format!(
                "INFO stats: broker statistics on request code 9200 (version {}, include_system_topics = false)",
                <StatsPlugin as Plugin>::VERSION
            ),
            "DEBUG stats: GET_BROKER_STATS from 10.0.0.7:4242: 2 topics, 6 messages".to_owned(),
        ]
    );
}

#[test]
fn settings_refuse_unknown_keys_and_wrong_types() {
    let fake = FakeHost::new();
    assert!(fake.start::<StatsPlugin>("").is_ok());
    assert!(fake.start::<StatsPlugin>("{}").is_ok());
    assert_eq!(
        fake.start::<StatsPlugin>(r#"{"include_system_topic":true}"#)
            .err(),
        Some("invalid settings: unknown setting `include_system_topic`".to_owned())
    );
    assert_eq!(
        fake.start::<StatsPlugin>(r#"{"include_system_topics":"yes"}"#)
            .err(),
        Some(
            "invalid settings: setting `include_system_topics`: invalid type: string \"yes\", expected a boolean"
                .to_owned()
        )
    );
    assert_eq!(
        plugin_api::sdk::parse_settings::<StatsSettings>(r#"{"include_system_topics":true}"#),
        Ok(StatsSettings {
            include_system_topics: true
        })
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
