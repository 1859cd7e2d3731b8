//! The admin plugin over raw TCP against the real broker binary and plugin
//! libraries: the codes RocketMQ's admin tools send, with Java's bodies
//! (as `AdminBrokerProcessor` writes them). Bodies the stock client crates can decode are
//! also decoded with `rocketmq-protocol` (the rocketmq-rust project's
//! protocol types), to show a third-party reader accepts them.

use e2e_tests::stock_client::full_broker;
use e2e_tests::{BrokerProcess, RawClient};
use plugin_api::codec::RemotingCommand;
use rocketmq_protocol::protocol::RemotingDeserializable;
use serde_json::Value;

fn broker() -> BrokerProcess {
    BrokerProcess::start(full_broker().plugins(&["admin_plugin"]))
}

fn create_topic(
    client: &mut RawClient,
    topic: &str,
    queues: i32,
    extra: &[(&str, &str)],
) -> RemotingCommand {
    let queues = queues.to_string();
    let mut fields = vec![
        ("topic", topic),
        ("defaultTopic", "TBW102"),
        ("readQueueNums", queues.as_str()),
        ("writeQueueNums", queues.as_str()),
        ("perm", "6"),
        ("topicFilterType", "SINGLE_TAG"),
        ("topicSysFlag", "0"),
        ("order", "false"),
    ];
    for (key, value) in extra {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    client.call_code(17, &fields)
}

fn json(response: &RemotingCommand) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {}",
            String::from_utf8_lossy(&response.body)
        )
    })
}

fn text(response: &RemotingCommand) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

fn all_topics(client: &mut RawClient) -> (Value, RemotingCommand) {
    let response = client.call_code(21, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    (json(&response), response)
}

fn send(client: &mut RawClient, topic: &str, queue: i32, key: &str) {
    let body = format!("body of {key}");
    let response = client.send_message(topic, queue, "TagA", key, body.as_bytes());
    assert_eq!(response.code, 0, "send: {:?}", response.remark);
}

#[test]
fn topics_are_created_listed_routed_and_deleted() {
    let broker = broker();
    let mut client = broker.client();

    // 17 creates the topic.
    let response = create_topic(&mut client, "AdminTopic", 4, &[]);
    assert_eq!(response.code, 0, "{:?}\n{}", response.remark, broker.log());

    // 21: TopicConfigAndMappingSerializeWrapper with the new topic.
    let (wrapper, response) = all_topics(&mut client);
    let keys: Vec<&String> = wrapper.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "dataVersion",
            "mappingDataVersion",
            "topicConfigTable",
            "topicQueueMappingDetailMap",
            "topicQueueMappingInfoMap"
        ]
    );
    let raw = text(&response);
    assert!(raw.starts_with("{\"dataVersion\":{\"counter\":"), "{raw}");
    let topic = &wrapper["topicConfigTable"]["AdminTopic"];
    assert_eq!(topic["topicName"], "AdminTopic");
    assert_eq!(topic["readQueueNums"], 4);
    assert_eq!(topic["writeQueueNums"], 4);
    assert_eq!(topic["perm"], 6);
    assert_eq!(topic["topicFilterType"], "SINGLE_TAG");
    assert_eq!(topic["order"], false);
    assert!(wrapper["topicConfigTable"]["TBW102"].is_object());
    let total: usize = response
        .ext("totalTopicNum")
        .expect("totalTopicNum header")
        .parse()
        .unwrap();
    assert_eq!(
        total,
        wrapper["topicConfigTable"].as_object().unwrap().len()
    );
    let version = wrapper["dataVersion"]["counter"].as_i64().unwrap();

    // 105 (the embedded route) knows it at once.
    let route = client.call_code(105, &[("topic", "AdminTopic")]);
    assert_eq!(route.code, 0, "{:?}", route.remark);
    assert_eq!(json(&route)["queueDatas"][0]["writeQueueNums"], 4);

    // The same config again is a no-op (the table's version stays).
    let response = create_topic(&mut client, "AdminTopic", 4, &[]);
    assert_eq!(response.code, 0);
    let (wrapper, _) = all_topics(&mut client);
    assert_eq!(wrapper["dataVersion"]["counter"].as_i64().unwrap(), version);

    // An update changes it and bumps the version; attributes are kept as
    // `+key=value` modifications.
    let response = create_topic(
        &mut client,
        "AdminTopic",
        8,
        &[("attributes", "+message.type=NORMAL")],
    );
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let (wrapper, _) = all_topics(&mut client);
    let topic = &wrapper["topicConfigTable"]["AdminTopic"];
    assert_eq!(topic["writeQueueNums"], 8);
    assert_eq!(topic["attributes"]["message.type"], "NORMAL");
    assert!(wrapper["dataVersion"]["counter"].as_i64().unwrap() > version);
    // An update without attributes keeps them.
    let response = create_topic(&mut client, "AdminTopic", 6, &[]);
    assert_eq!(response.code, 0);
    let (wrapper, _) = all_topics(&mut client);
    assert_eq!(
        wrapper["topicConfigTable"]["AdminTopic"]["attributes"]["message.type"],
        "NORMAL"
    );

    // A message gives it a consume queue on disk.
    send(&mut client, "AdminTopic", 0, "k1");
    let queues = broker.dir.path().join("store/consumequeue/AdminTopic");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !queues.join("0").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no consume queue written"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // 215 deletes it: gone from 21, from the route, and its consume queues
    // from the store.
    let response = client.call_code(215, &[("topic", "AdminTopic")]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert!(!queues.exists(), "consume queues deleted with the topic");
    let (wrapper, _) = all_topics(&mut client);
    assert!(wrapper["topicConfigTable"].get("AdminTopic").is_none());
    assert_eq!(client.call_code(105, &[("topic", "AdminTopic")]).code, 17);
    // The deletion survives a restart (topics.json was written).
    let file = std::fs::read_to_string(broker.dir.path().join("store/config/topics.json"))
        .expect("topics.json");
    assert!(!file.contains("AdminTopic"), "{file}");
}

#[test]
fn invalid_topic_requests_answer_rocketmq_codes() {
    let broker = broker();
    let mut client = broker.client();

    let response = create_topic(&mut client, "bad topic!", 4, &[]);
    assert_eq!(response.code, 29, "INVALID_PARAMETER for an illegal name");
    assert!(
        response.remark.as_deref().unwrap_or("").contains("illegal"),
        "{:?}",
        response.remark
    );

    let response = create_topic(&mut client, "TBW102", 4, &[]);
    assert_eq!(response.code, 29);
    assert_eq!(
        response.remark.as_deref(),
        Some("The topic[TBW102] is conflict with system topic.")
    );

    let response = client.call_code(17, &[("topic", "NoPerm"), ("defaultTopic", "TBW102")]);
    assert_eq!(response.code, 1, "missing header field");
    assert!(
        response.remark.as_deref().unwrap_or("").contains("is null"),
        "{:?}",
        response.remark
    );

    let response = create_topic(&mut client, "BadFilter", 4, &[("topicFilterType", "NOPE")]);
    assert_eq!(response.code, 1);
    assert_eq!(
        response.remark.as_deref(),
        Some("topicFilterType = [NOPE] value invalid")
    );

    let response = create_topic(
        &mut client,
        "BadAttrs",
        4,
        &[("attributes", "message.type=X")],
    );
    assert_eq!(response.code, 1, "{:?}", response.remark);
    assert!(response
        .remark
        .as_deref()
        .unwrap_or("")
        .contains("format is wrong"));

    let response = create_topic(
        &mut client,
        "MixedTopic",
        4,
        &[("attributes", "+message.type=MIXED")],
    );
    assert_eq!(response.code, 29);
    assert_eq!(
        response.remark.as_deref(),
        Some("MIXED message type is not supported.")
    );

    let response = client.call_code(215, &[("topic", "SCHEDULE_TOPIC_XXXX")]);
    assert_eq!(response.code, 29, "system topics are not deleted");
    let response = client.call_code(215, &[("topic", " ")]);
    assert_eq!(response.code, 29);
    assert_eq!(
        response.remark.as_deref(),
        Some("The specified topic is blank.")
    );
    let response = client.call_code(215, &[]);
    assert_eq!(response.code, 1);

    // None of it changed the table.
    let (wrapper, _) = all_topics(&mut client);
    for topic in [
        "bad topic!",
        "NoPerm",
        "BadFilter",
        "BadAttrs",
        "MixedTopic",
    ] {
        assert!(wrapper["topicConfigTable"].get(topic).is_none(), "{topic}");
    }
    assert!(wrapper["topicConfigTable"]["SCHEDULE_TOPIC_XXXX"].is_object());

    // 202 / 208 / 203 on unknown names.
    let response = client.call_code(202, &[("topic", "NoSuchTopic")]);
    assert_eq!(response.code, 17);
    assert_eq!(
        response.remark.as_deref(),
        Some("topic[NoSuchTopic] not exist")
    );
    let response = client.call_code(203, &[("consumerGroup", "nobody")]);
    assert_eq!(response.code, 206);
    assert_eq!(
        response.remark.as_deref(),
        Some("the consumer group[nobody] not online")
    );
}

#[test]
fn subscription_groups_round_trip() {
    let broker = broker();
    let mut client = broker.client();

    let mut request = client.request(200, &[]);
    request.body = br#"{"groupName":"GID_admin","consumeEnable":true,"consumeBroadcastEnable":false,"retryQueueNums":1,"retryMaxTimes":5,"brokerId":0,"whichBrokerWhenConsumeSlowly":1,"notifyConsumerIdsChangedEnable":true}"#
        .to_vec()
        .into();
    let response = client.call(&request);
    assert_eq!(response.code, 0, "{:?}\n{}", response.remark, broker.log());

    let response = client.call_code(201, &[]);
    assert_eq!(response.code, 0);
    let wrapper = json(&response);
    let keys: Vec<&String> = wrapper.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["dataVersion", "forbiddenTable", "subscriptionGroupTable"]
    );
    let group = &wrapper["subscriptionGroupTable"]["GID_admin"];
    assert_eq!(group["groupName"], "GID_admin");
    assert_eq!(group["retryMaxTimes"], 5);
    assert_eq!(group["consumeBroadcastEnable"], false);
    // The system groups are there too.
    assert!(wrapper["subscriptionGroupTable"]["TOOLS_CONSUMER"].is_object());
    let total: usize = response.ext("totalGroupNum").unwrap().parse().unwrap();
    assert_eq!(
        total,
        wrapper["subscriptionGroupTable"].as_object().unwrap().len()
    );
    let version = wrapper["dataVersion"]["counter"].as_i64().unwrap();

    // Update: the new values replace the old.
    let mut request = client.request(200, &[]);
    request.body = br#"{"groupName":"GID_admin","retryMaxTimes":7}"#.to_vec().into();
    assert_eq!(client.call(&request).code, 0);
    let wrapper = json(&client.call_code(201, &[]));
    assert_eq!(
        wrapper["subscriptionGroupTable"]["GID_admin"]["retryMaxTimes"],
        7
    );
    assert!(wrapper["dataVersion"]["counter"].as_i64().unwrap() > version);
    let file = std::fs::read_to_string(
        broker
            .dir
            .path()
            .join("store/config/subscriptionGroup.json"),
    )
    .expect("subscriptionGroup.json");
    assert!(file.contains("GID_admin"), "persisted: {file}");

    // Invalid input.
    let mut request = client.request(200, &[]);
    request.body = b"{not json".to_vec().into();
    let response = client.call(&request);
    assert_eq!(response.code, 1);
    assert!(response
        .remark
        .as_deref()
        .unwrap_or("")
        .contains("SubscriptionGroupConfig"));
}

#[test]
fn runtime_info_is_a_kv_table_of_strings() {
    let broker = broker();
    let mut client = broker.client();
    let response = client.call_code(28, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let body = json(&response);
    let table = body["table"].as_object().expect("KVTable {\"table\":{…}}");
    assert!(table.values().all(Value::is_string), "{body}");
    assert_eq!(table["brokerVersionDesc"], "V5_3_3");
    assert_eq!(table["brokerActive"], "true");
    for key in [
        "bootTimestamp",
        "runtime",
        "commitLogMinOffset",
        "commitLogMaxOffset",
        "dispatchBehindBytes",
        "remainHowManyDataToFlush",
        "sendThreadPoolQueueCapacity",
        "pullThreadPoolQueueCapacity",
    ] {
        assert!(table.contains_key(key), "{key} missing from {body}");
    }
    let boot: i64 = table["bootTimestamp"].as_str().unwrap().parse().unwrap();
    assert!(boot > 1_600_000_000_000);
    assert!(table["runtime"].as_str().unwrap().starts_with("[ 0 days,"));

    // The stock client's protocol crate reads it.
    let kv = rocketmq_protocol::protocol::body::kv_table::KVTable::decode(&response.body);
    assert!(kv.is_ok(), "{:?}", kv.err());
}

#[test]
fn offsets_topic_stats_consume_stats_and_connections() {
    let broker = broker();
    let mut client = broker.client();
    assert_eq!(create_topic(&mut client, "StatsTopic", 2, &[]).code, 0);
    for i in 0..5 {
        send(&mut client, "StatsTopic", 0, &format!("k{i}"));
    }
    send(&mut client, "StatsTopic", 1, "k5");
    // The consume queues are built asynchronously (the store's dispatch).
    for (queue, expected) in [(0, 5), (1, 1)] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let queue_id = queue.to_string();
            let response = client.call_code(
                30,
                &[("topic", "StatsTopic"), ("queueId", queue_id.as_str())],
            );
            if response.ext("offset") == Some(expected.to_string().as_str()) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "queue {queue} never reached {expected}: {response:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    // A group (200) and a committed offset for it (UPDATE_CONSUMER_OFFSET).
    let mut request = client.request(200, &[]);
    request.body = br#"{"groupName":"stats_group"}"#.to_vec().into();
    assert_eq!(client.call(&request).code, 0);
    let response = client.call_code(
        15,
        &[
            ("consumerGroup", "stats_group"),
            ("topic", "StatsTopic"),
            ("queueId", "0"),
            ("commitOffset", "3"),
        ],
    );
    assert_eq!(response.code, 0, "{:?}", response.remark);

    // 43: ConsumerOffsetManager's JSON, integer queue keys bare (fastjson).
    let response = client.call_code(43, &[]);
    assert_eq!(response.code, 0);
    let offsets = text(&response);
    assert!(offsets.starts_with("{\"dataVersion\":"), "{offsets}");
    assert!(
        offsets.contains("\"offsetTable\":{\"StatsTopic@stats_group\":{0:3}"),
        "{offsets}"
    );
    assert!(
        offsets.contains("\"groupTopicMap\":{\"stats_group\":[\"StatsTopic\"]}"),
        "{offsets}"
    );

    // 202: TopicStatsTable with MessageQueue object keys.
    let response = client.call_code(202, &[("topic", "StatsTopic")]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let stats = text(&response);
    assert!(
        stats.starts_with(
            "{\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"StatsTopic\"}:{\"lastUpdateTimestamp\":"
        ),
        "{stats}"
    );
    assert!(
        stats.contains(",\"maxOffset\":5,\"minOffset\":0}"),
        "{stats}"
    );
    assert!(
        stats.contains("{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"StatsTopic\"}:{"),
        "{stats}"
    );
    assert!(stats.ends_with("},\"topicPutTps\":0.0}"), "{stats}");
    let table = rocketmq_protocol::protocol::admin::topic_stats_table::TopicStatsTable::decode(
        &response.body,
    )
    .expect("rocketmq-protocol decodes TopicStatsTable");
    let offsets = table.get_offset_table();
    assert_eq!(offsets.len(), 2);
    let q0 = offsets
        .iter()
        .find(|(mq, _)| mq.queue_id() == 0)
        .map(|(_, o)| o)
        .unwrap();
    assert_eq!(q0.get_max_offset(), 5);
    assert!(q0.get_last_update_timestamp() > 1_600_000_000_000);
    let q1 = offsets
        .iter()
        .find(|(mq, _)| mq.queue_id() == 1)
        .map(|(_, o)| o)
        .unwrap();
    assert_eq!(q1.get_max_offset(), 1);

    // 208: ConsumeStats for the group (topics from its committed offsets).
    let response = client.call_code(208, &[("consumerGroup", "stats_group")]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let stats = text(&response);
    assert!(
        stats.starts_with(
            "{\"consumeTps\":0.0,\"offsetTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"StatsTopic\"}:{\"brokerOffset\":5,\"consumerOffset\":3,\"lastTimestamp\":"
        ),
        "{stats}"
    );
    assert!(stats.contains(",\"pullOffset\":3}"), "{stats}");
    assert!(
        stats.contains("{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"StatsTopic\"}:{\"brokerOffset\":1,\"consumerOffset\":0,\"lastTimestamp\":0,\"pullOffset\":0}"),
        "{stats}"
    );
    let consume =
        rocketmq_protocol::protocol::admin::consume_stats::ConsumeStats::decode(&response.body)
            .expect("rocketmq-protocol decodes ConsumeStats");
    assert_eq!(consume.offset_table.len(), 2);
    let q0 = consume
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id() == 0)
        .map(|(_, o)| o)
        .unwrap();
    assert_eq!(q0.get_broker_offset(), 5);
    assert_eq!(q0.get_consumer_offset(), 3);
    assert!(q0.get_last_timestamp() > 1_600_000_000_000);
    // A topic list selects topics explicitly; an unknown one is skipped.
    let response = client.call_code(
        208,
        &[
            ("consumerGroup", "other_group"),
            ("topicList", "StatsTopic;Nope"),
        ],
    );
    assert_eq!(response.code, 0);
    assert!(
        text(&response).contains("\"consumerOffset\":0"),
        "{}",
        text(&response)
    );

    // 203: a consumer registered by HEART_BEAT on its own connection (the
    // broker may send it NOTIFY_CONSUMER_IDS_CHANGED).
    let mut consumer = broker.client();
    let mut heartbeat = consumer.request(34, &[]);
    heartbeat.body = br#"{"clientID":"127.0.0.1@4242#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"stats_group","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"StatsTopic"}],"unitMode":false}],"producerDataSet":[]}"#
        .to_vec()
        .into();
    heartbeat.language = plugin_api::codec::LanguageCode::Java;
    consumer.send(&heartbeat);
    let response = loop {
        let frame = consumer.read_frame().expect("heartbeat response");
        if frame.is_response() {
            break frame;
        }
        assert_eq!(
            frame.code, 40,
            "only NOTIFY_CONSUMER_IDS_CHANGED comes unasked"
        );
    };
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let response = client.call_code(203, &[("consumerGroup", "stats_group")]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let connection = json(&response);
    let keys: Vec<&String> = connection.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "connectionSet",
            "consumeFromWhere",
            "consumeType",
            "messageModel",
            "subscriptionTable"
        ]
    );
    let member = &connection["connectionSet"][0];
    assert_eq!(member["clientId"], "127.0.0.1@4242#1");
    assert_eq!(member["language"], "JAVA");
    assert_eq!(member["version"], 479);
    assert!(member["clientAddr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(connection["consumeType"], "CONSUME_PASSIVELY");
    assert_eq!(connection["messageModel"], "CLUSTERING");
    let sub = &connection["subscriptionTable"]["StatsTopic"];
    assert_eq!(sub["subString"], "TagA");
    assert_eq!(sub["tagsSet"], serde_json::json!(["TagA"]));
    assert_eq!(sub["codeSet"], serde_json::json!([2598919]));
    assert_eq!(sub["expressionType"], "TAG");
    let decoded =
        rocketmq_protocol::protocol::body::consumer_connection::ConsumerConnection::decode(
            &response.body,
        );
    assert!(decoded.is_ok(), "{:?}", decoded.err());

    // With a live subscription, 208 keeps only subscribed topics.
    let response = client.call_code(
        208,
        &[("consumerGroup", "stats_group"), ("topic", "TBW102")],
    );
    assert_eq!(response.code, 0);
    assert_eq!(text(&response), "{\"consumeTps\":0.0,\"offsetTable\":{}}");
}

/// Three doubles separated by spaces, as `StoreStatsService.getPutTps()`
/// and friends write them (`String.valueOf(double)`): what the RocketMQ
/// dashboard splits and parses.
fn three_doubles(table: &serde_json::Map<String, Value>, key: &str) -> [f64; 3] {
    let text = table[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing"));
    let parts: Vec<&str> = text.split(' ').collect();
    assert_eq!(parts.len(), 3, "{key}: {text:?}");
    let mut out = [0.0; 3];
    for (slot, part) in out.iter_mut().zip(&parts) {
        assert!(
            part.contains('.'),
            "{key}: {text:?} (Java prints a fraction)"
        );
        *slot = part.parse().unwrap_or_else(|_| panic!("{key}: {text:?}"));
    }
    out
}

fn runtime_table(client: &mut RawClient) -> serde_json::Map<String, Value> {
    let response = client.call_code(28, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    json(&response)["table"]
        .as_object()
        .expect("KVTable")
        .clone()
}

/// Every key Java's `prepareRuntimeInfo` (with the store's and the stats
/// service's `getRuntimeInfo`) writes for a master with the default config,
/// in Java's formats; the put/get counters move with traffic.
#[test]
fn runtime_info_has_every_java_key_and_counts_traffic() {
    let broker = broker();
    let mut client = broker.client();
    let table = runtime_table(&mut client);
    let mut keys = vec![
        "bootTimestamp",
        "runtime",
        "putMessageEntireTimeMax",
        "putMessageTimesTotal",
        "putMessageFailedTimes",
        "putMessageSizeTotal",
        "putMessageDistributeTime",
        "putMessageAverageSize",
        "dispatchMaxBuffer",
        "getMessageEntireTimeMax",
        "putTps",
        "getFoundTps",
        "getMissTps",
        "getTotalTps",
        "getTransferredTps",
        "putLatency99",
        "putLatency999",
        "commitLogDiskRatio",
        "consumeQueueDiskRatio",
        "commitLogMinOffset",
        "commitLogMaxOffset",
        "brokerActive",
        "brokerVersionDesc",
        "brokerVersion",
        "msgPutTotalYesterdayMorning",
        "msgPutTotalTodayMorning",
        "msgPutTotalTodayNow",
        "msgGetTotalYesterdayMorning",
        "msgGetTotalTodayMorning",
        "msgGetTotalTodayNow",
        "dispatchBehindBytes",
        "pageCacheLockTimeMills",
        "earliestMessageTimeStamp",
        "startAcceptSendRequestTimeStamp",
        "timerReadBehind",
        "timerOffsetBehind",
        "timerCongestNum",
        "timerEnqueueTps",
        "timerDequeueTps",
        "remainTransientStoreBufferNumbs",
        "remainHowManyDataToFlush",
        "commitLogDirCapacity",
        "EndTransactionQueueSize",
        "EndTransactionThreadPoolQueueCapacity",
    ];
    for pool in ["send", "pull", "litePull", "query", "ack"] {
        keys.push(Box::leak(
            format!("{pool}ThreadPoolQueueSize").into_boxed_str(),
        ));
        keys.push(Box::leak(
            format!("{pool}ThreadPoolQueueCapacity").into_boxed_str(),
        ));
        keys.push(Box::leak(
            format!("{pool}ThreadPoolQueueHeadWaitTimeMills").into_boxed_str(),
        ));
    }
    let missing: Vec<&&str> = keys.iter().filter(|k| !table.contains_key(**k)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in {table:?}");
    for key in [
        "putTps",
        "getFoundTps",
        "getMissTps",
        "getTotalTps",
        "getTransferredTps",
    ] {
        three_doubles(&table, key);
    }
    assert!(
        table.keys().any(|k| k.starts_with("commitLogDiskRatio_")),
        "commitLogDiskRatio_<path>: {table:?}"
    );
    let ratio: f64 = table["commitLogDiskRatio"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..=1.0).contains(&ratio), "commitLogDiskRatio {ratio}");
    let ratio: f64 = table["consumeQueueDiskRatio"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (0.0..=1.0).contains(&ratio),
        "consumeQueueDiskRatio {ratio}"
    );
    assert_eq!(table["remainTransientStoreBufferNumbs"], "2147483647");
    assert_eq!(
        table["putLatency99"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .map(str::len),
        Some(2)
    );
    assert_eq!(table["earliestMessageTimeStamp"], "-1", "no message yet");
    assert_eq!(table["msgPutTotalTodayNow"], "0");

    // Traffic: puts and a pull.
    assert_eq!(create_topic(&mut client, "RtInfo", 1, &[]).code, 0);
    for i in 0..5 {
        send(&mut client, "RtInfo", 0, &format!("k{i}"));
    }
    // (The consume queue is written by the dispatcher: retried until found.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pulled = client.call_code(
            11,
            &[
                ("consumerGroup", "cg_rt"),
                ("topic", "RtInfo"),
                ("queueId", "0"),
                ("queueOffset", "0"),
                ("maxMsgNums", "32"),
                ("sysFlag", "4"),
                ("commitOffset", "0"),
                ("suspendTimeoutMillis", "0"),
                ("subscription", "*"),
                ("subVersion", "0"),
            ],
        );
        if pulled.code == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pull: {} {:?}",
            pulled.code,
            pulled.remark
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The stats thread samples every second.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let table = runtime_table(&mut client);
    assert_eq!(table["putMessageTimesTotal"], "5", "{table:?}");
    assert_eq!(table["msgPutTotalTodayNow"], "5");
    let got: i64 = table["msgGetTotalTodayNow"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(got >= 1, "msgGetTotalTodayNow {got}");
    let size: i64 = table["putMessageSizeTotal"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(size > 400, "putMessageSizeTotal {size}");
    let put = three_doubles(&table, "putTps");
    assert!(put[0] > 0.0, "putTps {put:?}");
    let found = three_doubles(&table, "getFoundTps");
    let total = three_doubles(&table, "getTotalTps");
    assert!(
        found[0] > 0.0 && total[0] >= found[0],
        "{found:?} {total:?}"
    );
    assert!(three_doubles(&table, "getTransferredTps")[0] > 0.0);
    let earliest: i64 = table["earliestMessageTimeStamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        earliest > 1_600_000_000_000,
        "earliestMessageTimeStamp {earliest}"
    );
}

fn pull_as(client: &mut RawClient, group: &str, topic: &str) -> RemotingCommand {
    client.pull(&e2e_tests::Pull {
        group,
        topic,
        queue_id: 0,
        offset: 0,
        sys_flag: 4,
        subscription: Some("*"),
        suspend_ms: 0,
    })
}

/// Java 5.3.3's `updateAndCreateSubscriptionGroup` stores whatever
/// `SubscriptionGroupConfig` it decodes (no name check); a missing body or
/// group name ends in a NullPointerException (SYSTEM_ERROR, remark from
/// `UtilAll.exceptionSimpleDesc`). Auto-creation
/// (`findSubscriptionGroupConfig`) takes names up to
/// `Validators.CHARACTER_MAX_LENGTH` (255) of legal characters.
#[test]
fn subscription_group_names_follow_java() {
    let broker = broker();
    let mut client = broker.client();
    let long = "g".repeat(200);
    for name in ["bad group", long.as_str()] {
        let mut request = client.request(200, &[]);
        request.body = format!(r#"{{"groupName":"{name}","retryMaxTimes":4}}"#)
            .into_bytes()
            .into();
        let response = client.call(&request);
        assert_eq!(response.code, 0, "{name}: {:?}", response.remark);
        let wrapper = json(&client.call_code(201, &[]));
        assert_eq!(
            wrapper["subscriptionGroupTable"][name]["retryMaxTimes"], 4,
            "{name} stored"
        );
    }
    for body in [&b""[..], &br#"{"retryMaxTimes":3}"#[..]] {
        let mut request = client.request(200, &[]);
        request.body = body.to_vec().into();
        let response = client.call(&request);
        assert_eq!(response.code, 1, "{:?}", String::from_utf8_lossy(body));
        assert!(
            response
                .remark
                .as_deref()
                .unwrap_or("")
                .starts_with("java.lang.NullPointerException"),
            "{:?}",
            response.remark
        );
    }

    // Auto-creation on pull: 255 characters at most.
    assert_eq!(create_topic(&mut client, "AutoGrp", 1, &[]).code, 0);
    let ok = "a".repeat(255);
    let response = pull_as(&mut client, &ok, "AutoGrp");
    assert_ne!(response.code, 26, "{:?}", response.remark);
    let too_long = "a".repeat(256);
    let response = pull_as(&mut client, &too_long, "AutoGrp");
    assert_eq!(response.code, 26, "{:?}", response.remark);
}
