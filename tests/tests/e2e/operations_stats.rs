//! The stats, clean-up and name-server operations of mqadmin and the
//! dashboard, driven through the stock `rocketmq-client-rust` 1.0 admin API
//! (`DefaultMQAdminExt` and its `TopicAdmin`, `ConsumerAdmin`, `BrokerAdmin`
//! traits, re-exported at the crate's root) against a real broker:
//! with the broker's embedded name server (the `route` plugin) and with the
//! `rocketmq-namesrv` crate's name server (the `test-namesrv` helper).
//! Exact JSON shapes the admin API does not show are checked over the raw
//! protocol.
//!
//! The minute window of a stats item is sampled every 10 s (Java's
//! `StatsItemSet` schedule), so the stats checks wait for a sample with a
//! generous deadline: readiness waits, never timing assertions.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use e2e_tests::stock_client::{
    full_broker, numbered_message, send_all, start_consumer, start_producer, wait_for, Collector,
    ConsumerSpec, StockRuntime,
};
use e2e_tests::{BrokerProcess, RawClient};
use rocketmq_client_rust::{BrokerAdmin, ConsumerAdmin, DefaultMQAdminExt, TopicAdmin};
use serde_json::Value;

use crate::namesrv_registration::NameServer;

const STATS_WAIT: Duration = Duration::from_secs(60);

fn broker() -> BrokerProcess {
    BrokerProcess::start(full_broker().plugins(&["admin_plugin"]))
}

async fn start_admin(rt: &StockRuntime, name_server: SocketAddr) -> DefaultMQAdminExt {
    let mut admin = DefaultMQAdminExt::with_timeout(rt.client_runtime(), Duration::from_secs(15));
    admin.set_namesrv_addr(name_server.to_string());
    admin.start().await.expect("start the admin client");
    admin
}

/// UPDATE_AND_CREATE_TOPIC (17) with `queues` read and write queues.
fn create_topic(addr: SocketAddr, topic: &str, queues: i32) {
    let queues = queues.to_string();
    let response = RawClient::connect(addr).call_code(
        17,
        &[
            ("topic", topic),
            ("defaultTopic", "TBW102"),
            ("readQueueNums", &queues),
            ("writeQueueNums", &queues),
            ("perm", "6"),
            ("topicFilterType", "SINGLE_TAG"),
            ("topicSysFlag", "0"),
            ("order", "false"),
        ],
    );
    assert_eq!(response.code, 0, "create {topic}: {:?}", response.remark);
}

/// The minute sum of a stats item, or the error text.
async fn minute_sum(
    admin: &DefaultMQAdminExt,
    broker: SocketAddr,
    name: &str,
    key: &str,
) -> Result<u64, String> {
    admin
        .view_broker_stats_data(broker.to_string().into(), name.into(), key.into())
        .await
        .map(|data| data.get_stats_minute().get_sum())
        .map_err(|error| error.to_string())
}

/// Waits until the minute sum of the item is `want`; panics with the last
/// answer otherwise.
async fn wait_minute_sum(
    admin: &DefaultMQAdminExt,
    broker: SocketAddr,
    name: &str,
    key: &str,
    want: u64,
) {
    let deadline = Instant::now() + STATS_WAIT;
    loop {
        let last = minute_sum(admin, broker, name, key).await;
        if last == Ok(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} <{key}> minute sum never became {want}; last answer {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Broker stats, topic consumers and the broker's consume stats through the
/// admin API, with the broker as name server: the put and get counts move
/// by exactly the messages sent and consumed.
#[test]
fn admin_reads_stats_and_consumers_through_the_embedded_name_server() {
    const TOPIC: &str = "OpsStatsTopic";
    const GROUP: &str = "ops_stats_consumer";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 2);
    let rt = StockRuntime::new("ops-stats");
    rt.block_on(async {
        let admin = start_admin(&rt, broker.addr()).await;
        // Nothing counted yet: Java's answer for an item never counted.
        let unknown = minute_sum(&admin, broker.addr(), "TOPIC_PUT_NUMS", TOPIC).await;
        assert!(
            unknown.is_err(),
            "no stats before the first put: {unknown:?}"
        );
        // Java's remark, which the client's error does not show.
        let raw = RawClient::connect(broker.addr())
            .call_code(315, &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", TOPIC)]);
        assert_eq!(
            (raw.code, raw.remark.as_deref()),
            (
                1,
                Some("The stats <TOPIC_PUT_NUMS> <OpsStatsTopic> not exist")
            )
        );

        let mut producer = start_producer(&rt, broker.addr(), "ops_stats_producer").await;
        let messages: Vec<_> = (0..7).map(numbered_message).collect();
        send_all(&producer, TOPIC, &messages, 1).await;
        wait_minute_sum(&admin, broker.addr(), "TOPIC_PUT_NUMS", TOPIC, 7).await;
        wait_minute_sum(
            &admin,
            broker.addr(),
            "BROKER_PUT_NUMS",
            "DefaultCluster",
            7,
        )
        .await;
        // The raw body: `BrokerStatsData` in fastjson's field order.
        let raw = RawClient::connect(broker.addr())
            .call_code(315, &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", TOPIC)]);
        assert_eq!(raw.code, 0);
        let text = String::from_utf8(raw.body.to_vec()).expect("UTF-8");
        let shape: Value = serde_json::from_str(&text).expect("standard JSON");
        let keys: Vec<&String> = shape.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["statsDay", "statsHour", "statsMinute"], "{text}");
        assert!(
            text.contains(r#""statsMinute":{"avgpt":1.0,"sum":7,"tps":"#),
            "{text}"
        );
        let bytes = minute_sum(&admin, broker.addr(), "TOPIC_PUT_SIZE", TOPIC)
            .await
            .expect("put size counted");
        let body_bytes: usize = messages.iter().map(|m| m.body.len()).sum();
        assert!(
            bytes > body_bytes as u64,
            "stored bytes ({bytes}) include the {body_bytes} body bytes and the record headers"
        );

        // Consume everything: the group's get count moves by exactly 7.
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &collector,
        )
        .await;
        assert!(
            wait_for(STATS_WAIT, || collector.acked_count() >= 7).await,
            "the consumer got {} of 7 messages",
            collector.acked_count()
        );
        wait_minute_sum(
            &admin,
            broker.addr(),
            "GROUP_GET_NUMS",
            &format!("{TOPIC}@{GROUP}"),
            7,
        )
        .await;

        // The message-track path: who consumes the topic.
        let groups = admin
            .query_topic_consume_by_who(TOPIC.into())
            .await
            .expect("query topic consume by who");
        assert!(
            groups.group_list.iter().any(|g| g.as_str() == GROUP),
            "{:?}",
            groups.group_list
        );

        // The broker-wide consume stats name the group and its topic; once
        // the consumer's offsets are committed, the lag is 0.
        let deadline = Instant::now() + STATS_WAIT;
        loop {
            let list = admin
                .fetch_consume_stats_in_broker(broker.addr().to_string().into(), false, 15_000)
                .await
                .expect("broker consume stats");
            assert_eq!(
                list.broker_addr.as_ref().map(|a| a.as_str().to_owned()),
                Some(broker.addr().to_string())
            );
            let stats: Vec<_> = list
                .consume_stats_list
                .iter()
                .filter_map(|entry| entry.get(GROUP))
                .flatten()
                .collect();
            let ours: Vec<_> = stats
                .iter()
                .filter(|s| s.offset_table.keys().any(|q| q.topic().as_str() == TOPIC))
                .collect();
            let committed: i64 = ours
                .iter()
                .flat_map(|s| s.offset_table.values())
                .map(|o| o.get_consumer_offset())
                .sum();
            if committed == 7 {
                let lag: i64 = ours.iter().map(|s| s.compute_total_diff()).sum();
                assert_eq!(lag, 0);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the group's committed offsets never reached 7: {committed}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        consumer.shutdown().await;
        producer.shutdown().await;
    });
}

/// GET_BROKER_CONSUME_STATS (317) with a lag: offsets committed over the
/// raw protocol, read back through the admin API and as raw JSON.
#[test]
fn broker_consume_stats_report_the_lag_of_every_group() {
    const TOPIC: &str = "OpsLagTopic";
    const GROUP: &str = "ops_lag_group";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 1);
    let mut client = broker.client();
    for i in 0..5 {
        let response = client.send_message(TOPIC, 0, "TagA", &format!("k{i}"), b"lagging");
        assert_eq!(response.code, 0, "{:?}", response.remark);
    }
    // The sends answer once appended; wait for the consume queue.
    let dispatched = (0..200).any(|_| {
        let max = client.call_code(30, &[("topic", TOPIC), ("queueId", "0")]);
        let done = max.ext_fields.as_ref().and_then(|f| f.get("offset")) == Some("5");
        if !done {
            std::thread::sleep(Duration::from_millis(50));
        }
        done
    });
    assert!(dispatched, "the 5 messages reach the consume queue");
    let mut group_request = client.request(200, &[]);
    group_request.body = format!(r#"{{"groupName":"{GROUP}"}}"#).into_bytes().into();
    assert_eq!(client.call(&group_request).code, 0);
    let commit = client.call_code(
        15,
        &[
            ("consumerGroup", GROUP),
            ("topic", TOPIC),
            ("queueId", "0"),
            ("commitOffset", "2"),
        ],
    );
    assert_eq!(commit.code, 0, "{:?}", commit.remark);

    let rt = StockRuntime::new("ops-lag");
    rt.block_on(async {
        let admin = start_admin(&rt, broker.addr()).await;
        let list = admin
            .fetch_consume_stats_in_broker(broker.addr().to_string().into(), false, 15_000)
            .await
            .expect("broker consume stats");
        // Only this group has offsets: the broker's total lag is its lag.
        assert_eq!(list.total_diff, 3);
        assert_eq!(list.total_inflight_diff, -2, "Java leaves pullOffset at 0");
        let stats: Vec<_> = list
            .consume_stats_list
            .iter()
            .filter_map(|entry| entry.get(GROUP))
            .flatten()
            .collect();
        assert_eq!(stats.len(), 1, "one topic with offsets");
        let (queue, offsets) = stats[0].offset_table.iter().next().expect("one queue");
        assert_eq!(
            (
                queue.topic().as_str(),
                queue.queue_id(),
                queue.broker_name().as_str()
            ),
            (TOPIC, 0, "broker-a")
        );
        assert_eq!(offsets.get_broker_offset(), 5);
        assert_eq!(offsets.get_consumer_offset(), 2);
        assert!(offsets.get_last_timestamp() > 0, "store time of offset 1");

        // Only order topics: this one is not.
        let order_only = admin
            .fetch_consume_stats_in_broker(broker.addr().to_string().into(), true, 15_000)
            .await
            .expect("broker consume stats, order topics");
        assert_eq!(order_only.total_diff, 0);
    });

    // The raw body: fastjson's field order and MessageQueue object keys.
    let raw = client.call_code(317, &[("isOrder", "false")]);
    assert_eq!(raw.code, 0);
    let text = String::from_utf8(raw.body.to_vec()).expect("UTF-8");
    assert!(
        text.starts_with(&format!(
            r#"{{"brokerAddr":"{}","consumeStatsList":["#,
            broker.addr()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            r#"{{"{GROUP}":[{{"consumeTps":0.0,"offsetTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"{TOPIC}"}}:{{"brokerOffset":5,"consumerOffset":2,"lastTimestamp":"#
        )),
        "{text}"
    );
    assert!(
        text.ends_with(r#"],"totalDiff":3,"totalInflightDiff":-2}"#),
        "{text}"
    );
    // QUERY_TOPICS_BY_CONSUMER (343): the group's offset topics.
    let topics = client.call_code(343, &[("group", GROUP)]);
    assert_eq!(topics.code, 0);
    assert_eq!(
        String::from_utf8_lossy(&topics.body),
        format!(
            r#"{{"brokerAddr":"{}","topicList":["{TOPIC}"]}}"#,
            broker.addr()
        )
    );
    let missing = client.call_code(317, &[]);
    assert_eq!(
        (missing.code, missing.remark.as_deref()),
        (1, Some("the custom field <isOrder> is null"))
    );
}

/// mqadmin `topicList`, `topicClusterList` and `deleteTopic` with the broker
/// as name server: the topic is listed, deleted in the broker (215) and the
/// name server (216), and its route is gone.
#[test]
fn admin_lists_and_deletes_topics_through_the_embedded_name_server() {
    const TOPIC: &str = "OpsDeletedTopic";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 2);
    let rt = StockRuntime::new("ops-topics");
    rt.block_on(async {
        let admin = start_admin(&rt, broker.addr()).await;
        let all = admin.fetch_all_topic_list().await.expect("all topics");
        let names: Vec<&str> = all.topic_list.iter().map(|t| t.as_str()).collect();
        assert!(
            names.contains(&TOPIC) && names.contains(&"TBW102"),
            "{names:?}"
        );
        let by_cluster = admin
            .fetch_topics_by_cluster("DefaultCluster".into())
            .await
            .expect("topics by cluster");
        assert!(by_cluster.topic_list.iter().any(|t| t.as_str() == TOPIC));
        let other = admin
            .fetch_topics_by_cluster("OtherCluster".into())
            .await
            .expect("topics of another cluster");
        assert!(other.topic_list.is_empty(), "{:?}", other.topic_list);
        let route = admin
            .examine_topic_route_info(TOPIC.into())
            .await
            .expect("route before the delete");
        assert!(route.is_some());

        admin
            .delete_topic(TOPIC.into(), "DefaultCluster".into())
            .await
            .expect("delete the topic");

        let all = admin.fetch_all_topic_list().await.expect("all topics");
        assert!(
            !all.topic_list.iter().any(|t| t.as_str() == TOPIC),
            "{:?}",
            all.topic_list
        );
        let route = admin.examine_topic_route_info(TOPIC.into()).await;
        assert!(
            !matches!(route, Ok(Some(_))),
            "no route after the delete: {route:?}"
        );
    });
}

/// The same operations with the `rocketmq-namesrv` name server: the admin
/// client finds the broker through it, reads the broker's stats and topic
/// consumers, and lists and deletes topics in it.
#[test]
fn admin_operations_through_a_separate_name_server() {
    const TOPIC: &str = "OpsNamesrvTopic";
    let namesrv = NameServer::start();
    let broker = BrokerProcess::start(
        full_broker()
            .plugins(&["admin_plugin"])
            .config(&format!("namesrvAddr = \"{}\"", namesrv.addr())),
    );
    create_topic(broker.addr(), TOPIC, 1);
    let rt = StockRuntime::new("ops-namesrv");
    rt.block_on(async {
        let admin = start_admin(&rt, namesrv.addr()).await;
        // Registration reaches the name server at once and on every change.
        let deadline = Instant::now() + STATS_WAIT;
        loop {
            let listed = admin
                .fetch_all_topic_list()
                .await
                .map(|list| list.topic_list.iter().any(|t| t.as_str() == TOPIC))
                .unwrap_or(false);
            if listed {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{TOPIC} never listed by the name server\n{}\n{}",
                namesrv.log(),
                broker.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let mut producer = start_producer(&rt, namesrv.addr(), "ops_namesrv_producer").await;
        let messages: Vec<_> = (0..4).map(numbered_message).collect();
        send_all(&producer, TOPIC, &messages, 1).await;
        wait_minute_sum(&admin, broker.addr(), "TOPIC_PUT_NUMS", TOPIC, 4).await;

        // A committed offset makes the group a consumer of the topic.
        let mut client = RawClient::connect(broker.addr());
        let mut group_request = client.request(200, &[]);
        group_request.body = br#"{"groupName":"ops_namesrv_group"}"#.to_vec().into();
        assert_eq!(client.call(&group_request).code, 0);
        let commit = client.call_code(
            15,
            &[
                ("consumerGroup", "ops_namesrv_group"),
                ("topic", TOPIC),
                ("queueId", "0"),
                ("commitOffset", "1"),
            ],
        );
        assert_eq!(commit.code, 0);
        let groups = admin
            .query_topic_consume_by_who(TOPIC.into())
            .await
            .expect("query topic consume by who through the name server's route");
        let names: Vec<&str> = groups.group_list.iter().map(|g| g.as_str()).collect();
        assert_eq!(names, vec!["ops_namesrv_group"]);

        admin
            .delete_topic(TOPIC.into(), "DefaultCluster".into())
            .await
            .expect("delete the topic");
        let all = admin.fetch_all_topic_list().await.expect("all topics");
        assert!(
            !all.topic_list.iter().any(|t| t.as_str() == TOPIC),
            "{:?}",
            all.topic_list
        );
        producer.shutdown().await;
    });
}

/// GET_ALL_DELAY_OFFSET (45), which the admin API does not reach: the
/// delayOffset.json content, whose level offset moves once a delayed
/// message is delivered.
#[test]
fn all_delay_offset_answers_the_delay_offset_table() {
    const TOPIC: &str = "OpsDelayTopic";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 1);
    let mut client = broker.client();
    let properties = plugin_api::message::encode_properties([
        ("TAGS", "TagA"),
        ("KEYS", "delayed"),
        ("WAIT", "true"),
        ("DELAY", "1"),
    ]);
    let mut send = client.request(
        310,
        &[
            ("a", "ops_delay_producer"),
            ("b", TOPIC),
            ("c", "TBW102"),
            ("d", "1"),
            ("e", "0"),
            ("f", "0"),
            ("g", "1700000000000"),
            ("h", "0"),
            ("i", &properties),
            ("j", "0"),
            ("k", "false"),
            ("m", "false"),
        ],
    );
    send.body = b"later".to_vec().into();
    let sent = client.call(&send);
    assert_eq!(sent.code, 0, "{:?}", sent.remark);

    // Level 1 (1 s): once delivered, its offset in SCHEDULE_TOPIC_XXXX
    // queue 0 is 1.
    let deadline = Instant::now() + STATS_WAIT;
    let body = loop {
        let response = client.call_code(45, &[]);
        assert_eq!(response.code, 0, "{:?}", response.remark);
        let text = String::from_utf8(response.body.to_vec()).expect("UTF-8");
        if text.contains(r#""offsetTable":{1:1"#) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "level 1 never delivered: {text}\n{}",
            broker.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // `DelayOffsetSerializeWrapper` compact: dataVersion then offsetTable,
    // integer keys bare (fastjson).
    assert!(body.starts_with(r#"{"dataVersion":{"counter":"#), "{body}");
    let lenient: Value = serde_json::from_str(&body.replace("{1:", "{\"1\":"))
        .unwrap_or_else(|e| panic!("not JSON once keys are quoted ({e}): {body}"));
    assert_eq!(lenient["offsetTable"]["1"], 1, "{body}");
    assert!(
        lenient["dataVersion"]["timestamp"].as_i64().is_some(),
        "{body}"
    );

    // The delivery is counted as Java's schedule stats count it: a put to
    // the real topic and a get of SCHEDULE_TOPIC_XXXX by SCHEDULE_CONSUMER;
    // the send itself counted for SCHEDULE_TOPIC_XXXX, where it was stored.
    for (name, key) in [
        ("TOPIC_PUT_NUMS", TOPIC),
        ("GROUP_GET_NUMS", "SCHEDULE_TOPIC_XXXX@SCHEDULE_CONSUMER"),
        ("TOPIC_PUT_NUMS", "SCHEDULE_TOPIC_XXXX"),
    ] {
        let deadline = Instant::now() + STATS_WAIT;
        loop {
            let raw = client.call_code(315, &[("statsName", name), ("statsKey", key)]);
            let sum = (raw.code == 0)
                .then(|| serde_json::from_slice::<Value>(&raw.body).ok())
                .flatten()
                .and_then(|data| data["statsMinute"]["sum"].as_i64());
            if sum == Some(1) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} <{key}> never 1: {} {:?}",
                raw.code,
                raw.remark
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// CLEAN_UNUSED_TOPIC (316) and CLEAN_EXPIRED_CONSUMEQUEUE (306) through the
/// admin API: both answer success, and a topic in use keeps its queues and
/// messages.
#[test]
fn clean_ups_answer_success_and_keep_topics_in_use() {
    const TOPIC: &str = "OpsKeptTopic";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 1);
    let mut client = broker.client();
    for i in 0..3 {
        let response = client.send_message(TOPIC, 0, "TagA", &format!("k{i}"), b"kept");
        assert_eq!(response.code, 0);
    }
    let max_offset = |client: &mut RawClient| {
        let max = client.call_code(30, &[("topic", TOPIC), ("queueId", "0")]);
        assert_eq!(max.code, 0);
        max.ext_fields
            .as_ref()
            .and_then(|f| f.get("offset"))
            .map(str::to_owned)
    };
    let ready = (0..200).any(|_| {
        let dispatched = max_offset(&mut client).as_deref() == Some("3");
        if !dispatched {
            std::thread::sleep(Duration::from_millis(50));
        }
        dispatched
    });
    assert!(ready, "the 3 messages reach the consume queue");
    let rt = StockRuntime::new("ops-clean");
    rt.block_on(async {
        let admin = start_admin(&rt, broker.addr()).await;
        let addr = broker.addr().to_string();
        assert!(admin
            .clean_unused_topic_by_addr(addr.clone().into())
            .await
            .expect("clean unused topics"));
        assert!(admin
            .clean_expired_consumer_queue_by_addr(addr.into())
            .await
            .expect("clean expired consume queues"));
    });
    // The topic in use keeps its queue and its 3 messages.
    assert_eq!(max_offset(&mut client).as_deref(), Some("3"));
    let log = broker.log();
    assert!(
        log.contains("invoke cleanUnusedTopic end (0 consume queues deleted)"),
        "{log}"
    );
    assert!(
        log.contains("cleanExpiredConsumeQueue: end (0 consume queues destroyed)"),
        "{log}"
    );
}

/// SNDBCK_PUT_NUMS: a consumer's send-back (36) is counted for the group and
/// the original topic, read with VIEW_BROKER_STATS_DATA over the raw
/// protocol.
#[test]
fn send_backs_are_counted_per_group_and_topic() {
    const TOPIC: &str = "OpsBackTopic";
    let broker = broker();
    create_topic(broker.addr(), TOPIC, 1);
    let mut client = broker.client();
    for i in 0..2 {
        let sent = client.send_message(TOPIC, 0, "TagA", &format!("k{i}"), b"retry me");
        assert_eq!(sent.code, 0);
        let msg_id = sent
            .ext_fields
            .as_ref()
            .and_then(|f| f.get("msgId"))
            .expect("msgId")
            .to_owned();
        let (_, offset) = plugin_api::message::decode_offset_msg_id(&msg_id).expect("offset id");
        let back = client.call_code(
            36,
            &[
                ("offset", &offset.to_string()),
                ("group", "ops_back_group"),
                ("delayLevel", "1"),
                ("originTopic", TOPIC),
            ],
        );
        assert_eq!(back.code, 0, "{:?}", back.remark);
    }
    let key = format!("{TOPIC}@ops_back_group");
    let deadline = Instant::now() + STATS_WAIT;
    loop {
        let raw = client.call_code(315, &[("statsName", "SNDBCK_PUT_NUMS"), ("statsKey", &key)]);
        if raw.code == 0 {
            let data: Value = serde_json::from_slice(&raw.body).expect("JSON");
            if data["statsMinute"]["sum"] == 2 {
                assert_eq!(data["statsMinute"]["avgpt"], 1.0);
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "SNDBCK_PUT_NUMS <{key}> never reached 2: {} {:?} {}",
            raw.code,
            raw.remark,
            String::from_utf8_lossy(&raw.body)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}
