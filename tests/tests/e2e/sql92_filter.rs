//! SQL92 filtering with `enablePropertyFilter = true`, as RocketMQ 5.3.3
//! serves it: the stock client's push consumer subscribed with
//! `MessageSelector::by_sql` (CHECK_CLIENT_CONFIG, heartbeat, pulls against
//! the registered subscription), `consumerFilter.json`, and
//! CHECK_CLIENT_CONFIG (46) and PULL_MESSAGE (11) over the raw protocol.

use std::collections::HashSet;
use std::time::Duration;

use e2e_tests::stock_client::{
    full_broker, start_consumer, start_producer, wait_for, Collector, ConsumerSpec, StockRuntime,
};
use e2e_tests::{BrokerProcess, Pull, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::decode_records;
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::message_single::Message;

/// Readiness deadline for a consumer to catch up (debug-build broker, 2 cores).
const CATCH_UP: Duration = Duration::from_secs(180);
/// After everything arrived, how long an unwanted delivery gets to show up.
const SETTLE: Duration = Duration::from_secs(3);

const SUBSCRIPTION: i32 = 0x4;
const SUSPEND: i32 = 0x2;

fn sql_broker() -> BrokerProcess {
    BrokerProcess::start(full_broker().config("enablePropertyFilter = true"))
}

/// Message `i`: key `sql-<i>`, properties `region` (east, west, north in
/// turn) and `price` (`i × 10`).
fn region(i: usize) -> &'static str {
    ["east", "west", "north"][i % 3]
}

async fn send_priced(producer: &DefaultMQProducer, topic: &str, i: usize) {
    let message = Message::builder()
        .topic(topic)
        .tags("TagA")
        .key(format!("sql-{i}"))
        .raw_property("region", region(i))
        .and_then(|builder| builder.raw_property("price", (i * 10).to_string()))
        .expect("user properties")
        .body(format!("body {i}").into_bytes())
        .build()
        .expect("valid message");
    producer
        .send(message)
        .await
        .unwrap_or_else(|error| panic!("send of sql-{i} failed: {error}"))
        .expect("a SendResult");
}

fn keys(indices: impl Iterator<Item = usize>) -> HashSet<String> {
    indices.map(|i| format!("sql-{i}")).collect()
}

#[test]
fn a_push_consumer_with_a_sql92_selector_receives_exactly_the_matching_messages() {
    const TOPIC: &str = "SqlPushTopic";
    const COUNT: usize = 30;
    let mut broker = sql_broker();
    let rt = StockRuntime::new("sql92-push");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "sql_producer").await;
        for i in 0..COUNT {
            send_priced(&producer, TOPIC, i).await;
        }
        let east = Collector::default();
        let west = Collector::default();
        let mut east_consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::sql92("sql_east", TOPIC, "region = 'east' AND price >= 100"),
            &east,
        )
        .await;
        let mut west_consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::sql92(
                "sql_west",
                TOPIC,
                "region IN ('west') AND NOT (price > 200)",
            ),
            &west,
        )
        .await;
        // `price` is a string property: `>=` against an Integer literal goes
        // through Integer.valueOf, as in Java.
        let expected_east = keys((0..COUNT).filter(|i| region(*i) == "east" && i * 10 >= 100));
        let expected_west = keys((0..COUNT).filter(|i| region(*i) == "west" && i * 10 <= 200));
        assert_eq!((expected_east.len(), expected_west.len()), (6, 7));
        let caught_up = wait_for(CATCH_UP, || {
            east.acked_keys().len() >= expected_east.len()
                && west.acked_keys().len() >= expected_west.len()
        })
        .await;
        assert!(
            caught_up,
            "east got {:?}, west got {:?}\n{}",
            east.acked_keys(),
            west.acked_keys(),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        assert_eq!(east.acked_keys(), expected_east);
        assert_eq!(west.acked_keys(), expected_west);
        assert_eq!(
            east.deliveries().len(),
            expected_east.len(),
            "no duplicates"
        );
        assert_eq!(
            west.deliveries().len(),
            expected_west.len(),
            "no duplicates"
        );
        east_consumer.shutdown().await;
        west_consumer.shutdown().await;
        producer.shutdown().await;
    });
    // Every client connection closes with the runtime: the groups lose their
    // last member, which marks their filters dead (UNREGISTER).
    drop(rt);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let gone = |group: &str| {
        broker
            .log()
            .lines()
            .any(|line| line.contains("remove consumer group") && line.contains(group))
    };
    while !(gone("sql_east") && gone("sql_west")) {
        assert!(
            std::time::Instant::now() < deadline,
            "groups never removed\n{}",
            broker.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The heartbeats registered both filters, and the broker wrote them to
    // consumerFilter.json as Java's ConsumerFilterManager does.
    let status = broker.terminate();
    assert!(status.success(), "{status}\n{}", broker.log());
    let path = broker.dir.path().join("store/config/consumerFilter.json");
    let text = std::fs::read_to_string(&path).expect("consumerFilter.json written");
    let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let groups = &file["filterDataByTopic"][TOPIC]["groupFilterData"];
    assert_eq!(
        groups["sql_east"]["expression"], "region = 'east' AND price >= 100",
        "{text}"
    );
    assert_eq!(groups["sql_east"]["expressionType"], "SQL92");
    assert_eq!(groups["sql_east"]["consumerGroup"], "sql_east");
    assert_eq!(groups["sql_east"]["dead"], true, "{text}");
    assert_eq!(
        groups["sql_west"]["expression"],
        "region IN ('west') AND NOT (price > 200)"
    );
}

/// CHECK_CLIENT_CONFIG with this subscription.
fn check_client_config(
    client: &mut RawClient,
    expression_type: &str,
    expression: &str,
) -> RemotingCommand {
    let mut request = client.request(46, &[]);
    request.body = serde_json::json!({
        "clientId": "127.0.0.1@sql",
        "group": "sql_check",
        "subscriptionData": {
            "topic": "SqlCheck",
            "subString": expression,
            "expressionType": expression_type,
        }
    })
    .to_string()
    .into_bytes()
    .into();
    client.call(&request)
}

#[test]
fn check_client_config_accepts_sql92_that_parses_and_names_what_does_not() {
    let broker = sql_broker();
    let mut client = broker.client();
    for expression in [
        "a > 1",
        "(region IN ('east', 'west') OR region IS NULL) AND price BETWEEN 10 AND 20.5",
        "name NOT STARTSWITH 'tmp' AND name CONTAINS 'x'",
    ] {
        let response = check_client_config(&mut client, "SQL92", expression);
        assert_eq!(response.code, 0, "{expression}: {:?}", response.remark);
    }
    assert_eq!(check_client_config(&mut client, "TAG", "*").code, 0);
    for (expression, remark) in [
        (
            "a >",
            "Invalid MessageSelector. Encountered \"<EOF>\" at line 1, column 4. Was expecting a literal, a property, NOT, +, - or (",
        ),
        (
            "a > 'text'",
            "Invalid MessageSelector. Value ''text'' cannot be compared.",
        ),
    ] {
        let response = check_client_config(&mut client, "SQL92", expression);
        assert_eq!(
            (response.code, response.remark.as_deref()),
            (23, Some(remark)),
            "{expression}"
        );
    }
}

/// Sends one message to queue 0 of `topic` with properties `n=<n>` and
/// `color=<color>`, tag `T`.
fn send(client: &mut RawClient, topic: &str, n: usize, color: &str) {
    let mut request =
        client.send_request(topic, 0, "T", &format!("k{n}"), format!("m{n}").as_bytes());
    let properties = plugin_api::message::encode_properties([
        ("TAGS", "T"),
        ("KEYS", &format!("k{n}")),
        ("WAIT", "true"),
        ("n", &n.to_string()),
        ("color", color),
    ]);
    if let Some(fields) = request.ext_fields.as_mut() {
        fields.insert("i", properties);
    }
    let response = client.call(&request);
    assert_eq!(response.code, 0, "{:?}", response.remark);
}

fn wait_for_max_offset(client: &mut RawClient, topic: &str, expected: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = client.call_code(30, &[("topic", topic), ("queueId", "0")]);
        if response.ext("offset") == Some(&expected.to_string()) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "queue never reached {expected}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sql_pull(
    client: &mut RawClient,
    topic: &str,
    offset: i64,
    expression: &str,
    sys_flag: i32,
    suspend_ms: i64,
) -> RemotingCommand {
    client.pull_expression(
        &Pull {
            group: "sql_raw",
            topic,
            queue_id: 0,
            offset,
            sys_flag,
            subscription: Some(expression),
            suspend_ms,
        },
        "SQL92",
    )
}

fn bodies(response: &RemotingCommand) -> Vec<String> {
    decode_records(&response.body)
        .into_iter()
        .map(|record| String::from_utf8(record.body).expect("utf-8"))
        .collect()
}

#[test]
fn a_sql92_pull_answers_the_matching_messages_and_skips_the_others() {
    const TOPIC: &str = "SqlRawTopic";
    let broker = sql_broker();
    let mut client = broker.client();
    let colors = ["red", "blue", "red", "green", "red", "blue"];
    for (n, color) in colors.iter().enumerate() {
        send(&mut client, TOPIC, n, color);
    }
    wait_for_max_offset(&mut client, TOPIC, 6);

    let response = sql_pull(
        &mut client,
        TOPIC,
        0,
        "color = 'red' AND n > 0",
        SUBSCRIPTION,
        0,
    );
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(bodies(&response), vec!["m2", "m4"]);
    assert_eq!(response.ext("nextBeginOffset"), Some("6"));

    // Nothing matches: the skipped messages still advance the offset.
    let response = sql_pull(&mut client, TOPIC, 0, "color = 'purple'", SUBSCRIPTION, 0);
    assert_eq!(
        (response.code, response.remark.as_deref()),
        (20, Some("NO_MATCHED_MESSAGE"))
    );
    assert_eq!(response.ext("nextBeginOffset"), Some("6"));
    assert!(response.body.is_empty());

    // An expression that does not compile.
    let response = sql_pull(&mut client, TOPIC, 0, "color = ", SUBSCRIPTION, 0);
    assert_eq!(
        (response.code, response.remark.as_deref()),
        (23, Some("parse the consumer's subscription failed"))
    );

    // Caught up, a long poll is held and answered when a matching message
    // arrives (the one that does not match is skipped by the re-run or by
    // the client's next pull).
    let handle = {
        let addr = broker.addr();
        std::thread::spawn(move || {
            let mut poller = RawClient::connect(addr);
            let mut offset = 6;
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                let response = sql_pull(
                    &mut poller,
                    TOPIC,
                    offset,
                    "color = 'gold'",
                    SUBSCRIPTION | SUSPEND,
                    20_000,
                );
                if response.code == 0 || std::time::Instant::now() > deadline {
                    return response;
                }
                offset = response
                    .ext("nextBeginOffset")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(offset);
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    send(&mut client, TOPIC, 6, "silver");
    send(&mut client, TOPIC, 7, "gold");
    let response = handle.join().expect("poller");
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(bodies(&response), vec!["m7"]);
    assert_eq!(response.ext("nextBeginOffset"), Some("8"));
}
