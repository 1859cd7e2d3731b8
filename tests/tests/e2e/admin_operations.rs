//! The broker half of mqadmin's operations against the real broker, driven
//! by the stock `rocketmq-client-rust` 1.0 admin API (`DefaultMQAdminExt`,
//! name server = the broker's own address) next to its producer and push
//! consumer, plus raw-protocol checks of exact codes, remarks and headers:
//!
//! - GET/UPDATE_BROKER_CONFIG (26/25): read, updated live, persisted into
//!   the `-c` file and read back after a restart; blacklisted keys refused;
//! - INVOKE_BROKER_TO_RESET_OFFSET (222) while a push consumer runs, in
//!   both modes (`useServerSideResetOffset` switched at runtime);
//! - GET_PRODUCER_CONNECTION_LIST (204), GET_CONSUMER_CONNECTION_LIST
//!   (203), GET_CONSUMER_RUNNING_INFO (307), INVOKE_BROKER_TO_GET_CONSUMER_STATUS
//!   (223) and CONSUME_MESSAGE_DIRECTLY (309) (asked of the live push
//!   consumer) and DELETE_SUBSCRIPTIONGROUP (207).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use e2e_tests::stock_client::{
    full_broker, restart_broker, send_all, start_consumer, start_producer, wait_for, Collector,
    ConsumerSpec, Outgoing, StockRuntime,
};
use e2e_tests::{BrokerProcess, RawClient};
use plugin_api::codec::RemotingCommand;
use rocketmq_client_rust::{BrokerAdmin, ConsumerAdmin, DefaultMQAdminExt, OffsetAdmin};
use serde_json::Value;

/// Readiness deadline for a consumer to catch up.
const CATCH_UP: Duration = Duration::from_secs(120);
/// After everything arrived, how long late redeliveries get to show up.
const SETTLE: Duration = Duration::from_secs(3);

fn broker() -> BrokerProcess {
    BrokerProcess::start(full_broker().plugins(&["admin_plugin"]))
}

async fn start_admin(rt: &StockRuntime, name_server: SocketAddr) -> DefaultMQAdminExt {
    let mut admin = DefaultMQAdminExt::new(rt.client_runtime());
    admin.set_namesrv_addr(name_server.to_string());
    admin.start().await.expect("start the admin client");
    admin
}

fn json(response: &RemotingCommand) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "body is not JSON ({e}): {}",
            String::from_utf8_lossy(&response.body)
        )
    })
}

/// GET_ALL_CONSUMER_OFFSET (43) as JSON: fastjson writes the queue ids of
/// `offsetTable` as bare integer keys (`{2:1,3:2}`); quote them.
fn all_offsets(client: &mut RawClient) -> Value {
    let response = client.call_code(43, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let raw = text(&response);
    let mut quoted = String::with_capacity(raw.len() + 16);
    let chars: Vec<char> = raw.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        quoted.push(c);
        index += 1;
        if c == '{' || c == ',' {
            let digits: String = chars[index..]
                .iter()
                .take_while(|d| d.is_ascii_digit() || **d == '-')
                .collect();
            if !digits.is_empty() && chars.get(index + digits.len()) == Some(&':') {
                quoted.push('"');
                quoted.push_str(&digits);
                quoted.push('"');
                index += digits.len();
            }
        }
    }
    serde_json::from_str(&quoted).unwrap_or_else(|e| panic!("offsets ({e}): {raw}"))
}

fn text(response: &RemotingCommand) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// GET_BROKER_CONFIG over the raw protocol: (properties text, version counter).
fn raw_config(client: &mut RawClient) -> (String, i64) {
    let response = client.call_code(26, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let version: Value =
        serde_json::from_str(response.ext("version").expect("version header")).expect("JSON");
    (
        text(&response),
        version["counter"].as_i64().expect("counter"),
    )
}

fn update_raw(client: &mut RawClient, body: &str) -> RemotingCommand {
    let mut request = client.request(25, &[]);
    request.body = body.as_bytes().to_vec().into();
    client.call(&request)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64
}

fn batch(prefix: &str, n: usize) -> Vec<Outgoing> {
    (0..n)
        .map(|i| Outgoing {
            key: format!("{prefix}-{i:03}"),
            tag: "TagA".to_owned(),
            body: format!("body of {prefix}-{i}").into_bytes(),
        })
        .collect()
}

fn keys(messages: &[Outgoing]) -> HashSet<String> {
    messages.iter().map(|m| m.key.clone()).collect()
}

fn delivery_counts(collector: &Collector) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for delivery in collector.deliveries() {
        *counts.entry(delivery.key().to_owned()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn broker_config_is_updated_live_persisted_and_guarded_by_the_black_list() {
    let mut broker = broker();
    let rt = StockRuntime::new("ops-config");
    let mut client = broker.client();
    let addr = broker.addr().to_string();

    // The stock admin reads the properties text as a map.
    rt.block_on(async {
        let mut admin = start_admin(&rt, broker.addr()).await;
        let config = admin
            .get_broker_config(addr.clone().into())
            .await
            .expect("get broker config");
        let value = |key: &str| {
            config
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(value("brokerName").as_deref(), Some("broker-a"));
        assert_eq!(value("useServerSideResetOffset").as_deref(), Some("true"));
        assert_eq!(value("flushIntervalCommitLog").as_deref(), Some("500"));

        admin
            .update_broker_config(
                addr.clone().into(),
                HashMap::from([
                    ("flushIntervalCommitLog".into(), "700".into()),
                    ("useServerSideResetOffset".into(), "false".into()),
                ]),
            )
            .await
            .expect("update broker config");

        // A blacklisted key is refused as a whole.
        let refused = admin
            .update_broker_config(
                addr.clone().into(),
                HashMap::from([
                    ("rocketmqHome".into(), "/tmp".into()),
                    ("flushIntervalCommitLog".into(), "800".into()),
                ]),
            )
            .await;
        assert!(refused.is_err(), "{refused:?}");
        admin.shutdown().await;
    });

    // Sorted key=value lines; the version moved once.
    let (properties, counter) = raw_config(&mut client);
    assert!(
        properties.contains("\nflushIntervalCommitLog=700\n"),
        "{properties}"
    );
    assert!(
        properties.contains("\nuseServerSideResetOffset=false\n"),
        "{properties}"
    );
    let keys: Vec<&str> = properties
        .lines()
        .map(|l| l.split('=').next().unwrap_or(""))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(counter, 1);

    // Exact refusal over the raw protocol; nothing changed.
    for key in ["brokerConfigPath", "configBlackList", "rocketmqHome"] {
        let response = update_raw(
            &mut client,
            &format!("{key}=/tmp/x\nflushIntervalCommitLog=1"),
        );
        assert_eq!(response.code, 16, "{key}");
        assert_eq!(
            response.remark.as_deref(),
            Some("Can not update config in black list.")
        );
    }
    // A value that does not parse is refused; an unknown key is ignored.
    let response = update_raw(&mut client, "listenPort=not-a-port");
    assert_eq!(response.code, 29, "{:?}", response.remark);
    assert_eq!(
        response.remark.as_deref(),
        Some("invalid value \"not-a-port\" for config key `listenPort`: expected an integer in 0..=65535")
    );
    let response = update_raw(&mut client, "noSuchKeyAnywhere=1");
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let (properties, _) = raw_config(&mut client);
    assert!(properties.contains("\nflushIntervalCommitLog=700\n"));
    assert!(!properties.contains("noSuchKeyAnywhere"));

    // Live: the reset now runs in Broker2Client mode and, with no consumer
    // online, answers CONSUMER_NOT_ONLINE (the server-side mode would have
    // reset the group's offsets and answered SUCCESS).
    let mut create = client.request(200, &[]);
    create.body = br#"{"groupName":"ops_live_group"}"#.to_vec().into();
    assert_eq!(client.call(&create).code, 0);
    let response = client.send_message("OpsLiveTopic", 0, "TagA", "k", b"v");
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let queues = json(&client.call_code(21, &[]))["topicConfigTable"]["OpsLiveTopic"]
        ["writeQueueNums"]
        .as_i64()
        .expect("the topic exists");
    for queue in 0..queues {
        let queue = queue.to_string();
        let response = client.call_code(
            15,
            &[
                ("consumerGroup", "ops_live_group"),
                ("topic", "OpsLiveTopic"),
                ("queueId", &queue),
                ("commitOffset", "0"),
            ],
        );
        assert_eq!(response.code, 0, "{:?}", response.remark);
    }
    let reset_fields = [
        ("topic", "OpsLiveTopic"),
        ("group", "ops_live_group"),
        ("timestamp", "0"),
        ("isForce", "true"),
    ];
    let response = client.call_code(222, &reset_fields);
    assert_eq!(response.code, 206, "{:?}", response.remark);
    assert_eq!(
        response.remark.as_deref(),
        Some("Consumer not online, so can not reset offset, Group: ops_live_group Topic: OpsLiveTopic Timestamp: 0")
    );
    let response = update_raw(&mut client, "useServerSideResetOffset=true");
    assert_eq!(response.code, 0);
    let response = client.call_code(222, &reset_fields);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert!(
        text(&response).starts_with(
            r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"OpsLiveTopic"}:"#
        ),
        "{}",
        text(&response)
    );

    // Persisted into the -c file (TOML here), kept across a restart.
    let file = std::fs::read_to_string(broker.dir.path().join("broker.toml")).expect("config file");
    assert!(file.contains("flushIntervalCommitLog = \"700\""), "{file}");
    assert!(
        file.contains("useServerSideResetOffset = \"true\""),
        "{file}"
    );
    assert!(!file.contains("noSuchKeyAnywhere"), "{file}");
    restart_broker(&mut broker);
    let mut client = broker.client();
    let (properties, counter) = raw_config(&mut client);
    assert!(
        properties.contains("\nflushIntervalCommitLog=700\n"),
        "{properties}"
    );
    assert!(
        properties.contains("\nuseServerSideResetOffset=true\n"),
        "{properties}"
    );
    assert_eq!(counter, 0, "a new process starts a new version");
}

/// Produces batch A, lets a push consumer take it, produces batch B after a
/// gap, resets the group to the gap's time with the stock admin and checks
/// that the running consumer gets B again and A not.
fn reset_rewinds_a_running_push_consumer(server_side: bool) {
    let mode = if server_side { "server" } else { "client" };
    let topic = format!("OpsReset_{mode}");
    let group = format!("ops_reset_{mode}_group");
    let broker = broker();
    let rt = StockRuntime::new(&format!("ops-reset-{mode}"));
    let mut client = broker.client();
    let addr = broker.addr().to_string();
    let first = batch("a", 24);
    let second = batch("b", 24);

    rt.block_on(async {
        let mut admin = start_admin(&rt, broker.addr()).await;
        if !server_side {
            admin
                .update_broker_config(
                    addr.clone().into(),
                    HashMap::from([("useServerSideResetOffset".into(), "false".into())]),
                )
                .await
                .expect("switch to Broker2Client resets");
        }
        let mut producer =
            start_producer(&rt, broker.addr(), &format!("ops_reset_{mode}_producer")).await;
        send_all(&producer, &topic, &first, 4).await;
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(&group, &topic, "*"),
            &collector,
        )
        .await;
        let expected = keys(&first);
        assert!(
            wait_for(CATCH_UP, || expected.is_subset(&collector.acked_keys())).await,
            "batch A not consumed\n{}",
            broker.log()
        );

        tokio::time::sleep(Duration::from_millis(1100)).await;
        let reset_to = now_millis();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        send_all(&producer, &topic, &second, 4).await;
        let all: HashSet<String> = expected.union(&keys(&second)).cloned().collect();
        assert!(
            wait_for(CATCH_UP, || all.is_subset(&collector.acked_keys())).await,
            "batch B not consumed\n{}",
            broker.log()
        );

        // Broker2Client needs a committed offset in every queue (Java's
        // "consumer group not exist" otherwise): wait for the consumer's
        // offset persistence.
        let queues = json(&client.call_code(21, &[]))["topicConfigTable"][topic.as_str()]
            ["writeQueueNums"]
            .as_u64()
            .expect("topic config") as usize;
        let offsets_key = format!("{topic}@{group}");
        assert!(
            wait_for(CATCH_UP, || {
                let table = all_offsets(&mut client);
                table["offsetTable"][offsets_key.as_str()]
                    .as_object()
                    .is_some_and(|queues_seen| queues_seen.len() == queues)
            })
            .await,
            "offsets not committed\n{}",
            broker.log()
        );

        let table = admin
            .reset_offset_by_timestamp(
                None,
                topic.as_str().into(),
                group.as_str().into(),
                reset_to,
                true,
            )
            .await
            .unwrap_or_else(|e| panic!("reset offset ({mode}): {e}\n{}", broker.log()));
        // Every queue goes back to its first message of batch B: as many
        // messages before it as batch A put there.
        assert_eq!(table.len(), queues, "{table:?}");
        assert_eq!(table.values().sum::<u64>(), first.len() as u64, "{table:?}");

        // The running consumer gets batch B again, and batch A not.
        let second_keys = keys(&second);
        assert!(
            wait_for(CATCH_UP, || {
                let counts = delivery_counts(&collector);
                second_keys
                    .iter()
                    .all(|k| counts.get(k).copied().unwrap_or(0) >= 2)
            })
            .await,
            "batch B not re-consumed after the reset ({mode}): {:?}\n{}",
            delivery_counts(&collector),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        let counts = delivery_counts(&collector);
        let replayed_a: Vec<&String> = first
            .iter()
            .map(|m| &m.key)
            .filter(|k| counts.get(*k).copied().unwrap_or(0) > 1)
            .collect();
        assert!(replayed_a.is_empty(), "batch A replayed: {replayed_a:?}");

        consumer.shutdown().await;
        producer.shutdown().await;
        admin.shutdown().await;
    });
    if !server_side {
        assert!(
            broker.log().contains("[reset-offset] reset offset success"),
            "the reset was pushed to the client"
        );
    }
}

#[test]
fn reset_offset_on_the_server_rewinds_a_running_push_consumer() {
    reset_rewinds_a_running_push_consumer(true);
}

#[test]
fn reset_offset_pushed_to_the_client_rewinds_a_running_push_consumer() {
    reset_rewinds_a_running_push_consumer(false);
}

#[test]
fn connections_are_listed_and_a_group_is_deleted_with_its_offsets() {
    const TOPIC: &str = "OpsGroups";
    const GROUP: &str = "ops_groups_group";
    const PRODUCER_GROUP: &str = "ops_groups_producer";
    // The query plugin too: the admin looks the message up (VIEW_MESSAGE_BY_ID)
    // before CONSUME_MESSAGE_DIRECTLY.
    let broker = BrokerProcess::start(full_broker().plugins(&["admin_plugin", "query_plugin"]));
    let rt = StockRuntime::new("ops-groups");
    let mut client = broker.client();
    let addr = broker.addr().to_string();
    let messages = batch("g", 8);

    rt.block_on(async {
        let mut admin = start_admin(&rt, broker.addr()).await;
        let mut producer = start_producer(&rt, broker.addr(), PRODUCER_GROUP).await;
        let sent = send_all(&producer, TOPIC, &messages, 2).await;
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &collector,
        )
        .await;
        let expected = keys(&messages);
        assert!(
            wait_for(CATCH_UP, || expected.is_subset(&collector.acked_keys())).await,
            "not consumed\n{}",
            broker.log()
        );

        let producers = admin
            .examine_producer_connection_info(PRODUCER_GROUP.into(), TOPIC.into())
            .await
            .expect("producer connections");
        assert_eq!(producers.connection_set().len(), 1, "{producers:?}");
        let producer_connection = producers.connection_set().iter().next().expect("one");
        assert!(producer_connection
            .get_client_addr()
            .as_str()
            .starts_with("127.0.0.1:"));
        assert!(producer_connection.get_version() > 0);

        let consumers = admin
            .examine_consumer_connection_info(GROUP.into(), Some(addr.clone().into()))
            .await
            .expect("consumer connections");
        assert_eq!(consumers.get_connection_set().len(), 1, "{consumers:?}");
        assert!(consumers
            .get_subscription_table()
            .keys()
            .any(|t| t.as_str() == TOPIC));

        // GET_CONSUMER_RUNNING_INFO: forwarded to the push consumer's
        // connection, its ConsumerRunningInfo relayed.
        let client_id = consumers
            .get_connection_set()
            .iter()
            .next()
            .expect("one consumer")
            .get_client_id();
        let info = admin
            .get_consumer_running_info(GROUP.into(), client_id.clone(), false, None)
            .await
            .unwrap_or_else(|e| panic!("consumer running info: {e}\n{}", broker.log()));
        assert!(
            info.subscription_set
                .iter()
                .any(|s| s.topic.as_str() == TOPIC),
            "{info:?}"
        );
        assert!(
            info.mq_table.keys().any(|mq| mq.topic_str() == TOPIC),
            "{info:?}"
        );
        // INVOKE_BROKER_TO_GET_CONSUMER_STATUS: each consumer's queue table,
        // in Java's GetConsumerStatusBody (fastjson object keys inside
        // consumerTable, which the stock admin's decoder does not read back:
        // it answers an empty map for Java's body too), so checked raw.
        let response = client.call_code(223, &[("topic", TOPIC), ("group", GROUP)]);
        assert_eq!(response.code, 0, "{:?}", response.remark);
        let body = text(&response);
        // The client's queue table is relayed as the client wrote it.
        assert!(
            body.starts_with(&format!(r#"{{"consumerTable":{{"{client_id}":{{{{"#)),
            "{body}"
        );
        assert!(body.contains(&format!(r#""topic":"{TOPIC}""#)), "{body}");
        assert!(body.contains(r#""brokerName":"broker-a""#), "{body}");
        assert!(body.ends_with(r#"},"messageQueueTable":{}}"#), "{body}");

        // CONSUME_MESSAGE_DIRECTLY: the stored message goes to the consumer,
        // whose listener gets it (a second delivery of that key).
        let first = &sent[0];
        let msg_id = first.offset_msg_id.clone().expect("offset msg id");
        let result = admin
            .consume_message_directly(GROUP.into(), client_id.clone(), TOPIC.into(), msg_id.into())
            .await
            .unwrap_or_else(|e| panic!("consume message directly: {e}\n{}", broker.log()));
        assert!(result.consume_result().is_some(), "{result:?}");
        let key = messages[0].key.clone();
        assert!(
            wait_for(CATCH_UP, || delivery_counts(&collector).get(&key).copied()
                == Some(2))
            .await,
            "{key} not delivered directly: {:?}",
            delivery_counts(&collector)
        );

        // And exactly Java's refusal for a client that is not there.
        let response = client.call_code(307, &[("consumerGroup", GROUP), ("clientId", "nobody@0")]);
        assert_eq!(response.code, 1);
        assert_eq!(
            response.remark.as_deref(),
            Some("The Consumer <ops_groups_group> <nobody@0> not online")
        );

        // The raw body of 204, and its refusal for an unknown group.
        let response = client.call_code(204, &[("producerGroup", PRODUCER_GROUP)]);
        assert_eq!(response.code, 0);
        let body = json(&response);
        let connection = &body["connectionSet"][0];
        assert_eq!(
            connection["clientId"].as_str(),
            Some(producer_connection.get_client_id().as_str())
        );
        assert_eq!(
            connection["version"].as_i64(),
            Some(i64::from(producer_connection.get_version()))
        );
        let response = client.call_code(204, &[("producerGroup", "nobody")]);
        assert_eq!(response.code, 1);
        assert_eq!(
            response.remark.as_deref(),
            Some("the producer group[nobody] not exist")
        );

        // Wait for committed offsets, stop the consumer (its heartbeat
        // would create the group again), delete the group with its offsets.
        let offsets_key = format!("{TOPIC}@{GROUP}");
        assert!(
            wait_for(CATCH_UP, || {
                all_offsets(&mut client)["offsetTable"][offsets_key.as_str()].is_object()
            })
            .await,
            "no committed offsets\n{}",
            broker.log()
        );
        consumer.shutdown().await;
        producer.shutdown().await;
        admin
            .delete_subscription_group(addr.clone().into(), GROUP.into(), Some(true))
            .await
            .expect("delete the group");
        admin.shutdown().await;
    });

    let groups = json(&client.call_code(201, &[]));
    assert!(
        groups["subscriptionGroupTable"][GROUP].is_null(),
        "{groups}"
    );
    let offsets = all_offsets(&mut client);
    assert!(
        offsets["offsetTable"][format!("{TOPIC}@{GROUP}").as_str()].is_null(),
        "{offsets}"
    );
    let file = std::fs::read_to_string(
        broker
            .dir
            .path()
            .join("store/config/subscriptionGroup.json"),
    )
    .expect("subscriptionGroup.json");
    assert!(!file.contains(GROUP), "{file}");
}

#[test]
fn one_queue_reset_and_the_pull_that_takes_it_over_the_raw_protocol() {
    const TOPIC: &str = "OpsRawReset";
    const GROUP: &str = "ops_raw_reset_group";
    let broker = broker();
    let mut client = broker.client();
    let mut create = client.request(200, &[]);
    create.body = format!(r#"{{"groupName":"{GROUP}"}}"#).into_bytes().into();
    assert_eq!(client.call(&create).code, 0);
    for i in 0..3 {
        let response = client.send_message(TOPIC, 0, "TagA", &format!("k{i}"), b"v");
        assert_eq!(response.code, 0, "{:?}", response.remark);
    }
    // The consume queue is written asynchronously (the reput): wait for it.
    let deadline = std::time::Instant::now() + CATCH_UP;
    loop {
        let response = client.call_code(30, &[("topic", TOPIC), ("queueId", "0")]);
        if response.ext("offset") == Some("3") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "queue never reached 3"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let commit = |client: &mut RawClient, offset: &str| {
        client.call_code(
            15,
            &[
                ("consumerGroup", GROUP),
                ("topic", TOPIC),
                ("queueId", "0"),
                ("commitOffset", offset),
            ],
        )
    };
    assert_eq!(commit(&mut client, "3").code, 0);

    // 5.x's queueId + offset: exactly that offset, range-checked.
    let reset = |client: &mut RawClient, offset: &str| {
        client.call_code(
            222,
            &[
                ("topic", TOPIC),
                ("group", GROUP),
                ("timestamp", "0"),
                ("isForce", "true"),
                ("queueId", "0"),
                ("offset", offset),
            ],
        )
    };
    let response = reset(&mut client, "9");
    assert_eq!(response.code, 1);
    assert_eq!(
        response.remark.as_deref(),
        Some("Target offset 9 not in consume queue range [0-3]")
    );
    let response = reset(&mut client, "1");
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(
        text(&response),
        format!(
            r#"{{"offsetTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"{TOPIC}"}}:1}}}}"#
        )
    );

    // Pending: the committed offset reads 1 and an older commit is ignored.
    let query = |client: &mut RawClient| {
        let response = client.call_code(
            14,
            &[("consumerGroup", GROUP), ("topic", TOPIC), ("queueId", "0")],
        );
        response.ext("offset").map(str::to_owned)
    };
    assert_eq!(query(&mut client).as_deref(), Some("1"));
    let response = commit(&mut client, "3");
    assert_eq!(response.code, 0);
    assert_eq!(
        response.remark.as_deref(),
        Some("Offset has been previously reset")
    );
    assert_eq!(query(&mut client).as_deref(), Some("1"));

    // The next pull of the queue is moved to the reset offset, once.
    let pull = e2e_tests::Pull {
        group: GROUP,
        topic: TOPIC,
        queue_id: 0,
        offset: 3,
        sys_flag: 4,
        subscription: Some("*"),
        suspend_ms: 0,
    };
    let response = client.pull(&pull);
    assert_eq!(response.code, 21, "{:?}", response.remark);
    assert_eq!(response.remark.as_deref(), Some("OFFSET_RESET"));
    assert_eq!(response.ext("nextBeginOffset"), Some("1"));
    assert_eq!(response.ext("maxOffset"), Some("3"));
    let response = client.pull(&e2e_tests::Pull { offset: 1, ..pull });
    assert_eq!(response.code, 0, "{:?}", response.remark);
    // Taken: commits apply again, a lower one too.
    assert_eq!(commit(&mut client, "0").code, 0);
    assert_eq!(query(&mut client).as_deref(), Some("0"));
}
