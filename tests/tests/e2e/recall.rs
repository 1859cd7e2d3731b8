//! RECALL_MESSAGE (370) with the recall plugin and the host's timer
//! service: a timer message recalled before it is due is never delivered
//! (the stock client's `recall_message` with the handle its send answer
//! carried), a recall after delivery is refused as Java refuses it, and the
//! raw answers to bad handles.

use std::time::{Duration, Instant};

use e2e_tests::stock_client::{full_broker, start_producer, StockRuntime};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, Pull, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::{decode_records, encode_properties, RecallHandle};
use rocketmq_client_rust::SendResult;
use rocketmq_model::common::message::message_single::Message;

fn recall_broker() -> BrokerSetup {
    full_broker()
        .processor(&plugin_library("recall_plugin"), "")
        .config("recallMessageEnable = true")
}

/// Readiness wait (not a timing assertion): until the queue holds `count`.
fn wait_for_max_offset(client: &mut RawClient, topic: &str, queue: i32, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let max = client.call_code(30, &[("topic", topic), ("queueId", &queue.to_string())]);
        if max.ext("offset") == Some(count.to_string().as_str()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{topic}/{queue} never reached {count}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every message of the queue, pulled from offset 0.
fn messages_in(client: &mut RawClient, topic: &str, queue: i32) -> Vec<String> {
    let pulled = client.pull(&Pull {
        group: "recall_checker",
        topic,
        queue_id: queue,
        offset: 0,
        sys_flag: 0x4,
        subscription: Some("*"),
        suspend_ms: 0,
    });
    if pulled.code != 0 {
        return Vec::new();
    }
    decode_records(&pulled.body)
        .iter()
        .map(|record| String::from_utf8_lossy(&record.body).into_owned())
        .collect()
}

async fn send_timer(
    producer: &rocketmq_client_rust::DefaultMQProducer,
    topic: &str,
    body: &str,
) -> SendResult {
    let message = Message::builder()
        .topic(topic)
        .body(body.as_bytes().to_vec())
        .delay_secs(3)
        .build()
        .expect("valid message");
    producer
        .send(message)
        .await
        .expect("send")
        .expect("a sync send answers")
}

#[test]
fn a_recalled_timer_message_is_never_delivered_and_a_delivered_one_cannot_be_recalled() {
    const TOPIC: &str = "RecallTopic";
    let broker = BrokerProcess::start(recall_broker());
    let mut client = broker.client();
    // The topic exists, with one queue (defaultTopicQueueNums 1).
    let mut seed = client.send_request(TOPIC, 0, "T", "seed", b"seed");
    if let Some(fields) = seed.ext_fields.as_mut() {
        fields.insert("d", "1");
    }
    let seed = client.call(&seed);
    assert_eq!(seed.code, 0, "{:?}", seed.remark);

    let rt = StockRuntime::new("recall");
    let (recalled_id, control) = rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "recall_producer").await;
        let recalled = send_timer(&producer, TOPIC, "recalled").await;
        let handle = recalled
            .recall_handle
            .clone()
            .expect("a timer message's send answer carries a recall handle");
        let decoded = RecallHandle::decode(&handle).expect("Java's handle format");
        assert_eq!(decoded.topic, TOPIC);
        assert_eq!(decoded.broker_name, "broker-a");
        let recalled_id = producer
            .recall_message(TOPIC, handle.as_str())
            .await
            .unwrap_or_else(|error| panic!("recall refused: {error}\n{}", broker.log()));
        assert_eq!(
            Some(recalled_id.as_str()),
            recalled.msg_id.as_ref().map(|id| id.as_str()),
            "the answer names the recalled message"
        );
        // Same delay, sent after the recall: due no earlier.
        let control = send_timer(&producer, TOPIC, "control").await;
        producer.shutdown().await;
        (recalled_id, control)
    });

    // Once the control message is delivered, the recalled one's time has
    // passed too: it was dropped, and the delete message itself was never
    // delivered either.
    wait_for_max_offset(&mut client, TOPIC, 0, 2);
    assert_eq!(messages_in(&mut client, TOPIC, 0), ["seed", "control"]);
    assert!(
        broker.log().contains(&recalled_id),
        "the timer service logs the drop:\n{}",
        broker.log()
    );

    // The control message is delivered: its handle's time has passed.
    let handle = control.recall_handle.expect("a recall handle");
    let mut recall = client.request(
        370,
        &[
            ("producerGroup", "recall_producer"),
            ("topic", TOPIC),
            ("recallHandle", &handle),
        ],
    );
    recall.version = 479;
    let answer = client.call(&recall);
    assert_eq!(answer.code, 604, "ILLEGAL_OPERATION");
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, timestamp invalid")
    );
    assert_eq!(answer.ext("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(messages_in(&mut client, TOPIC, 0), ["seed", "control"]);
}

fn send_timer_raw(
    client: &mut RawClient,
    topic: &str,
    uniq_key: &str,
    delay_sec: &str,
    body: &[u8],
) -> RemotingCommand {
    let mut request = client.send_request(topic, 0, "T", "k", body);
    let properties = encode_properties([
        ("TAGS", "T"),
        ("KEYS", "k"),
        ("WAIT", "true"),
        ("UNIQ_KEY", uniq_key),
        ("TIMER_DELAY_SEC", delay_sec),
    ]);
    if let Some(fields) = request.ext_fields.as_mut() {
        fields.insert("i", properties);
    }
    client.call(&request)
}

fn recall_raw(client: &mut RawClient, topic: &str, handle: &str) -> RemotingCommand {
    client.call_code(
        370,
        &[
            ("producerGroup", "pg"),
            ("topic", topic),
            ("recallHandle", handle),
        ],
    )
}

#[test]
fn recall_answers_over_the_raw_protocol() {
    const TOPIC: &str = "RawRecallTopic";
    let broker = BrokerProcess::start(recall_broker());
    let mut client = broker.client();
    let sent = send_timer_raw(
        &mut client,
        TOPIC,
        "7F0000010000000000000000000000AA",
        "600",
        b"timed",
    );
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
    let handle = sent
        .ext("recallHandle")
        .expect("SendMessageResponseHeader.recallHandle")
        .to_owned();
    let decoded = RecallHandle::decode(&handle).expect("a handle");
    assert_eq!(decoded.message_id, "7F0000010000000000000000000000AA");
    assert_eq!(decoded.topic, TOPIC);

    let answer = recall_raw(&mut client, TOPIC, &handle);
    assert_eq!(answer.code, 0, "{:?}", answer.remark);
    assert_eq!(
        answer.ext("msgId"),
        Some("7F0000010000000000000000000000AA")
    );
    assert_eq!(answer.ext("MSG_REGION"), Some("DefaultRegion"));

    for (topic, handle, code, remark) in [
        (TOPIC, "%%%", 604, "recall handle is invalid"),
        (
            TOPIC,
            &RecallHandle::build("OtherTopic", "broker-a", &decoded.timestamp, "X"),
            604,
            "recall failed, topic not match",
        ),
        (
            TOPIC,
            &RecallHandle::build(TOPIC, "broker-z", &decoded.timestamp, "X"),
            604,
            "recall failed, broker service not available",
        ),
        (
            "NoSuchTopic",
            &handle,
            17,
            "recall failed, the topic[NoSuchTopic] not exist",
        ),
    ] {
        let answer = recall_raw(&mut client, topic, handle);
        assert_eq!(answer.code, code, "{handle}");
        assert_eq!(answer.remark.as_deref(), Some(remark), "{handle}");
    }

    // Off by default (Java's recallMessageEnable = false).
    let off = BrokerProcess::start(full_broker().processor(&plugin_library("recall_plugin"), ""));
    let mut off_client = off.client();
    let answer = recall_raw(&mut off_client, TOPIC, &handle);
    assert_eq!(answer.code, 16, "NO_PERMISSION");
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, operation is forbidden")
    );
}

#[test]
fn a_recall_survives_a_restart_before_the_message_is_due() {
    const TOPIC: &str = "RestartRecallTopic";
    let mut broker = BrokerProcess::start(recall_broker());
    let mut client = broker.client();
    let sent = send_timer_raw(
        &mut client,
        TOPIC,
        "7F0000010000000000000000000000B1",
        "4",
        b"recalled",
    );
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
    let handle = sent.ext("recallHandle").expect("a handle").to_owned();
    let answer = recall_raw(&mut client, TOPIC, &handle);
    assert_eq!(answer.code, 0, "{:?}", answer.remark);

    // The pending set and the delete key are rebuilt from the timer queue.
    e2e_tests::stock_client::restart_broker(&mut broker);
    let mut client = broker.client();
    let control = send_timer_raw(
        &mut client,
        TOPIC,
        "7F0000010000000000000000000000B2",
        "4",
        b"control",
    );
    assert_eq!(control.code, 0, "{:?}", control.remark);
    wait_for_max_offset(&mut client, TOPIC, 0, 1);
    assert_eq!(messages_in(&mut client, TOPIC, 0), ["control"]);
}
