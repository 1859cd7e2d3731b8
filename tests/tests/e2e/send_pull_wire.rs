//! Send and pull over the raw wire protocol (no client library): headers,
//! response fields, stored bytes, tag filtering, long polling, offsets and
//! send-back, as Java's `SendMessageProcessor` and `PullMessageProcessor` handle them.

use e2e_tests::stock_client::full_broker;
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, Pull, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::{decode_offset_msg_id, decode_records};

fn broker() -> BrokerProcess {
    BrokerProcess::start(full_broker())
}

/// The full broker plus the admin plugin (subscription-group updates, 200),
/// with extra config lines.
fn broker_with_admin(config_lines: &[&str]) -> BrokerProcess {
    let setup = config_lines
        .iter()
        .fold(full_broker().plugins(&["admin_plugin"]), |setup, line| {
            setup.config(line)
        });
    BrokerProcess::start(setup)
}

/// Registers a consumer of `group` subscribed to all of `topic` by
/// HEART_BEAT (34), with this message model, on a connection of its own
/// (returned: the registration lives as long as the connection).
fn register_consumer(broker: &BrokerProcess, group: &str, topic: &str, model: &str) -> RawClient {
    let mut consumer = broker.client();
    let mut heartbeat = consumer.request(34, &[]);
    heartbeat.body = format!(
        r#"{{"clientID":"127.0.0.1@4242#{group}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"{model}","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":0,"tagsSet":[],"topic":"{topic}"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    )
    .into_bytes()
    .into();
    heartbeat.language = plugin_api::codec::LanguageCode::Java;
    consumer.send(&heartbeat);
    let response = loop {
        let frame = consumer.read_frame().expect("heartbeat response");
        if frame.is_response() {
            break frame;
        }
    };
    assert_eq!(response.code, 0, "{:?}", response.remark);
    consumer
}

/// A pull by `group` from offset 0 of queue 0 with the given sysFlag and no
/// subscription in the request.
fn pull_as(client: &mut RawClient, group: &str, topic: &str, sys_flag: i32) -> RemotingCommand {
    client.pull(&Pull {
        group,
        topic,
        queue_id: 0,
        offset: 0,
        sys_flag,
        subscription: None,
        suspend_ms: 0,
    })
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) with this body.
fn update_group(client: &mut RawClient, body: &str) {
    let mut request = client.request(200, &[]);
    request.body = body.as_bytes().to_vec().into();
    let response = client.call(&request);
    assert_eq!(response.code, 0, "{:?}", response.remark);
}

fn send(
    client: &mut RawClient,
    topic: &str,
    queue: i32,
    tag: &str,
    key: &str,
    body: &[u8],
) -> RemotingCommand {
    client.send_message(topic, queue, tag, key, body)
}

fn pull(
    client: &mut RawClient,
    topic: &str,
    queue: i32,
    offset: i64,
    expression: &str,
    sys_flag: i32,
    suspend_ms: i64,
) -> RemotingCommand {
    client.pull(&Pull {
        group: "cg",
        topic,
        queue_id: queue,
        offset,
        sys_flag,
        subscription: Some(expression),
        suspend_ms,
    })
}

/// Messages become visible to pulls once the dispatch thread has written
/// their consume-queue entries (asynchronously, as in RocketMQ): wait for it.
fn wait_for_max_offset(client: &mut RawClient, topic: &str, queue: i32, expected: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let response = client.call_code(30, &[("topic", topic), ("queueId", &queue.to_string())]);
        if response.ext("offset") == Some(&expected.to_string()) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "queue never reached offset {expected}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

const SUBSCRIPTION: i32 = 0x4;
const SUSPEND: i32 = 0x2;

#[test]
fn a_sent_message_is_stored_and_pulled_back_byte_for_byte() {
    let broker = broker();
    let mut client = broker.client();
    let response = send(&mut client, "WireTopic", 1, "TagA", "k1", b"hello wire");
    assert_eq!(response.code, 0, "remark: {:?}", response.remark);
    assert_eq!(response.ext("queueId"), Some("1"));
    assert_eq!(response.ext("queueOffset"), Some("0"));
    assert_eq!(response.ext("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(response.ext("TRACE_ON"), Some("true"));
    let msg_id = response.ext("msgId").expect("msgId");
    let (store_host, offset) = decode_offset_msg_id(msg_id).expect("offset msg id");
    assert_eq!(store_host.to_string(), broker.addr().to_string());
    assert!(offset >= 0);
    assert!(
        response
            .ext("transactionId")
            .is_some_and(|id| id.len() == 32),
        "UNIQ_KEY generated"
    );

    // The topic was auto-created from TBW102 with 4 queues and is routable.
    let route = client.call_code(105, &[("topic", "WireTopic")]);
    assert_eq!(route.code, 0);
    assert!(String::from_utf8_lossy(&route.body).contains("\"readQueueNums\":4"));

    wait_for_max_offset(&mut client, "WireTopic", 1, 1);
    let pulled = pull(&mut client, "WireTopic", 1, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 0, "remark: {:?}", pulled.remark);
    assert_eq!(pulled.remark.as_deref(), Some("FOUND"));
    assert_eq!(pulled.ext("nextBeginOffset"), Some("1"));
    assert_eq!(pulled.ext("maxOffset"), Some("1"));
    let records = decode_records(&pulled.body);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].body, b"hello wire");
    assert_eq!(records[0].topic, "WireTopic");
    assert_eq!(records[0].tags(), Some("TagA"));
    assert_eq!(records[0].property("KEYS"), Some("k1"));
    assert_eq!(records[0].property("CLUSTER"), Some("DefaultCluster"));
    // Java's buildMsgContext puts these in every sent message.
    assert_eq!(records[0].property("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(records[0].property("TRACE_ON"), Some("true"));
    assert_eq!(records[0].offset_msg_id(), msg_id);
}

/// A send whose properties are `properties` (TAGS T, KEYS k, WAIT true before them).
fn send_with_properties(
    client: &mut RawClient,
    topic: &str,
    queue: i32,
    properties: &[(&str, &str)],
) -> RemotingCommand {
    let mut request = client.send_request(topic, queue, "T", "k", b"x");
    let mut all = vec![("TAGS", "T"), ("KEYS", "k"), ("WAIT", "true")];
    all.extend_from_slice(properties);
    if let Some(fields) = request.ext_fields.as_mut() {
        fields.insert("i", plugin_api::message::encode_properties(all));
    }
    client.call(&request)
}

#[test]
fn delayed_timer_and_read_only_topic_sends_are_answered_as_java_answers_them() {
    let broker = BrokerProcess::start(full_broker().plugins(&["admin_plugin"]));
    let mut client = broker.client();

    // A delayed message is parked in SCHEDULE_TOPIC_XXXX queue level-1, but
    // the answer names the queue the producer chose.
    let delayed = send_with_properties(&mut client, "DelayedTopic", 2, &[("DELAY", "2")]);
    assert_eq!(delayed.code, 0, "{:?}", delayed.remark);
    assert_eq!(delayed.ext("queueId"), Some("2"));

    // Timer messages are refused when the broker runs without the timer
    // wheel (the rest of this test covers them with it: timer_messages_*).
    let without = BrokerProcess::start(full_broker().config("timerWheelEnable = false"));
    let mut plain = without.client();
    for timer in ["TIMER_DELAY_SEC", "TIMER_DELIVER_MS", "TIMER_DELAY_MS"] {
        let refused =
            send_with_properties(&mut plain, "TimerTopic", 0, &[(timer, "99999999999999")]);
        assert_eq!(refused.code, 1, "{timer}");
        assert_eq!(
            refused.remark.as_deref(),
            Some("accurate timer message is not enabled, timerWheelEnable is false")
        );
    }
    // With a delay level the timer property is dropped and the level used.
    let leveled = send_with_properties(
        &mut client,
        "TimerTopic",
        1,
        &[("TIMER_DELAY_SEC", "5"), ("DELAY", "1")],
    );
    assert_eq!(leveled.code, 0, "{:?}", leveled.remark);
    assert_eq!(leveled.ext("queueId"), Some("1"));
    wait_for_max_offset(&mut client, "TimerTopic", 1, 1);
    let delivered = pull(&mut client, "TimerTopic", 1, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(delivered.code, 0, "{:?}", delivered.remark);
    let records = decode_records(&delivered.body);
    assert_eq!(records[0].property("TIMER_DELAY_SEC"), None);
    assert_eq!(records[0].property("REAL_TOPIC"), Some("TimerTopic"));
    assert_eq!(records[0].property("REAL_QID"), Some("1"));

    // Java's send path does not check the topic's own permission.
    let created = client.call_code(
        17,
        &[
            ("topic", "ReadOnlyTopic"),
            ("defaultTopic", "TBW102"),
            ("readQueueNums", "1"),
            ("writeQueueNums", "1"),
            ("perm", "4"),
            ("topicFilterType", "SINGLE_TAG"),
            ("topicSysFlag", "0"),
            ("order", "false"),
        ],
    );
    assert_eq!(created.code, 0, "{:?}", created.remark);
    let sent = send(&mut client, "ReadOnlyTopic", 0, "T", "k", b"x");
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
}

#[test]
fn tag_filters_and_offset_statuses() {
    let broker = broker();
    let mut client = broker.client();
    for (i, tag) in ["TagA", "TagB", "TagA"].iter().enumerate() {
        assert_eq!(
            send(&mut client, "Tagged", 0, tag, &format!("k{i}"), b"x").code,
            0
        );
    }
    wait_for_max_offset(&mut client, "Tagged", 0, 3);
    let only_b = pull(&mut client, "Tagged", 0, 0, "TagB", SUBSCRIPTION, 0);
    assert_eq!(only_b.code, 0);
    let records = decode_records(&only_b.body);
    assert_eq!(
        records.iter().map(|r| r.tags()).collect::<Vec<_>>(),
        vec![Some("TagB")]
    );
    assert_eq!(
        only_b.ext("nextBeginOffset"),
        Some("3"),
        "scanned past non-matching entries"
    );

    let caught_up = pull(&mut client, "Tagged", 0, 3, "*", SUBSCRIPTION, 0);
    assert_eq!(
        (caught_up.code, caught_up.remark.as_deref()),
        (19, Some("OFFSET_OVERFLOW_ONE"))
    );
    let beyond = pull(&mut client, "Tagged", 0, 10, "*", SUBSCRIPTION, 0);
    assert_eq!(
        (beyond.code, beyond.ext("nextBeginOffset")),
        (21, Some("3"))
    );
    let none_match = pull(&mut client, "Tagged", 0, 0, "TagC", SUBSCRIPTION, 0);
    assert_eq!(none_match.code, 20, "{:?}", none_match.remark);

    assert_eq!(
        client
            .call_code(30, &[("topic", "Tagged"), ("queueId", "0")])
            .ext("offset"),
        Some("3")
    );
    assert_eq!(
        client
            .call_code(31, &[("topic", "Tagged"), ("queueId", "0")])
            .ext("offset"),
        Some("0")
    );
    let earliest = client.call_code(32, &[("topic", "Tagged"), ("queueId", "0")]);
    assert!(earliest
        .ext("timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| t > 0));
}

#[test]
fn a_long_poll_held_longer_than_the_queue_wait_limit_is_still_answered() {
    // The pull pool refuses requests that waited 100 ms in its queue; the
    // hold below lasts longer, and its re-run must not count the hold as
    // queue time (Java's hold service submits a new RequestTask).
    let broker = BrokerProcess::start(
        BrokerSetup::default()
            .plugins(&["send_plugin", "heartbeat_plugin", "route_plugin"])
            .processor(
                &plugin_library("pull_plugin"),
                "name = \"pull\"\nmax_queue_wait_millis = 100",
            ),
    );
    let mut producer = broker.client();
    assert_eq!(
        send(&mut producer, "HeldLong", 0, "TagA", "k1", b"1").code,
        0
    );
    wait_for_max_offset(&mut producer, "HeldLong", 0, 1);
    let mut consumer = broker.client();
    let mut request = consumer.request(
        11,
        &[
            ("consumerGroup", "cg_held"),
            ("topic", "HeldLong"),
            ("queueId", "0"),
            ("queueOffset", "1"),
            ("maxMsgNums", "32"),
            ("sysFlag", &(SUBSCRIPTION | SUSPEND).to_string()),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", "60000"),
            ("subscription", "*"),
            ("subVersion", "0"),
        ],
    );
    request.opaque = 4343;
    consumer.send(&request);
    // Held for well over the 100 ms limit before the message arrives.
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(
        send(&mut producer, "HeldLong", 0, "TagA", "k2", b"2").code,
        0
    );
    let response = consumer.read_frame().expect("held pull answered");
    assert_eq!(response.opaque, 4343);
    assert_eq!(
        response.code, 0,
        "answered with the new message, not SYSTEM_BUSY: {:?}",
        response.remark
    );
    assert_eq!(decode_records(&response.body)[0].body, b"2");
}

#[test]
fn a_long_poll_is_answered_when_a_message_arrives() {
    let broker = broker();
    let mut producer = broker.client();
    assert_eq!(
        send(&mut producer, "Polled", 0, "TagA", "first", b"1").code,
        0
    );
    wait_for_max_offset(&mut producer, "Polled", 0, 1);

    let mut consumer = broker.client();
    // Caught up at offset 1; the broker holds the pull for up to 60 s.
    let mut request = consumer.request(
        11,
        &[
            ("consumerGroup", "cg"),
            ("topic", "Polled"),
            ("queueId", "0"),
            ("queueOffset", "1"),
            ("maxMsgNums", "32"),
            ("sysFlag", &(SUBSCRIPTION | SUSPEND).to_string()),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", "60000"),
            ("subscription", "*"),
            ("subVersion", "0"),
        ],
    );
    request.opaque = 4242;
    consumer.send(&request);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        send(&mut producer, "Polled", 0, "TagA", "second", b"2").code,
        0
    );

    let response = consumer.read_frame().expect("held pull answered");
    assert_eq!(response.opaque, 4242, "answered with the original opaque");
    assert_eq!(
        response.code, 0,
        "woken by the arrival, not by the timeout: {:?}",
        response.remark
    );
    let records = decode_records(&response.body);
    assert_eq!(records[0].body, b"2");
}

#[test]
fn consumer_offsets_are_committed_and_queried() {
    let broker = broker();
    let mut client = broker.client();
    assert_eq!(send(&mut client, "Offsets", 2, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "Offsets", 2, 1);
    let fields = [
        ("consumerGroup", "og"),
        ("topic", "Offsets"),
        ("queueId", "2"),
    ];
    let first = client.call_code(14, &fields);
    assert_eq!(
        (first.code, first.ext("offset")),
        (0, Some("0")),
        "new group on a fresh queue starts at 0"
    );
    let not_found = client.call_code(
        14,
        &[
            fields[0],
            fields[1],
            fields[2],
            ("setZeroIfNotFound", "false"),
        ],
    );
    assert_eq!(not_found.code, 22);

    // UPDATE_CONSUMER_OFFSET for an unknown group is refused (5.x checks).
    let unknown = client.call_code(
        15,
        &[fields[0], fields[1], fields[2], ("commitOffset", "1")],
    );
    assert_eq!(unknown.code, 26, "{:?}", unknown.remark);
    // A pull auto-creates the group; then the commit is accepted.
    pull(&mut client, "Offsets", 2, 0, "*", SUBSCRIPTION, 0);
    let mut commit = client.request(
        15,
        &[
            ("consumerGroup", "cg"),
            ("topic", "Offsets"),
            ("queueId", "2"),
            ("commitOffset", "1"),
        ],
    );
    commit.flag = plugin_api::codec::FLAG_ONEWAY;
    client.send(&commit);
    let queried = client.call_code(
        14,
        &[
            ("consumerGroup", "cg"),
            ("topic", "Offsets"),
            ("queueId", "2"),
        ],
    );
    assert_eq!(queried.ext("offset"), Some("1"));
}

#[test]
fn send_back_republishes_to_the_retry_topic_with_a_delay() {
    let broker = broker();
    let mut client = broker.client();
    let sent = send(&mut client, "BackTopic", 0, "T", "k", b"retry me");
    let (_, offset) = decode_offset_msg_id(sent.ext("msgId").expect("msgId")).expect("msg id");
    let back = client.call_code(
        36,
        &[
            ("offset", &offset.to_string()),
            ("group", "cg"),
            ("delayLevel", "1"),
            ("originTopic", "BackTopic"),
        ],
    );
    assert_eq!(back.code, 0, "{:?}", back.remark);
    // Parked in SCHEDULE_TOPIC_XXXX queue 0 (level 1), then delivered to %RETRY%cg after 1 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let pulled = pull(&mut client, "%RETRY%cg", 0, 0, "*", SUBSCRIPTION, 0);
        if pulled.code == 0 {
            let records = decode_records(&pulled.body);
            assert_eq!(records[0].body, b"retry me");
            assert_eq!(records[0].header.reconsume_times, 1);
            assert_eq!(records[0].property("RETRY_TOPIC"), Some("BackTopic"));
            // The first origin is the stored message's offset id (Java's
            // msgExt.getMsgId()), not the client's UNIQ_KEY.
            assert_eq!(records[0].property("ORIGIN_MESSAGE_ID"), sent.ext("msgId"));
            // Delivered with the properties it was parked with (Java's
            // messageTimeUp writes the string set before it clears them).
            assert_eq!(records[0].property("DELAY"), Some("1"));
            assert_eq!(records[0].property("REAL_TOPIC"), Some("%RETRY%cg"));
            assert_eq!(records[0].property("REAL_QID"), Some("0"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "retry message never delivered: {:?}",
            pulled.remark
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn send_back_with_a_negative_level_goes_to_the_dead_letter_queue_0() {
    let broker = broker();
    let mut client = broker.client();
    let sent = send(&mut client, "DeadTopic", 3, "T", "k", b"dead");
    let (_, offset) = decode_offset_msg_id(sent.ext("msgId").expect("msgId")).expect("msg id");
    let back = client.call_code(
        36,
        &[
            ("offset", &offset.to_string()),
            ("group", "cg"),
            ("delayLevel", "-1"),
            ("originTopic", "DeadTopic"),
            ("originMsgId", "0A0000010000000000000000CAFEBABE"),
        ],
    );
    assert_eq!(back.code, 0, "{:?}", back.remark);
    wait_for_max_offset(&mut client, "%DLQ%cg", 0, 1);
    let pulled = pull(&mut client, "%DLQ%cg", 0, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    let records = decode_records(&pulled.body);
    assert_eq!(records[0].body, b"dead");
    assert_eq!(records[0].header.queue_id, 0);
    // Java's setDelayTimeLevel(0) on the way to the dead-letter topic.
    assert_eq!(records[0].property("DELAY"), Some("0"));
    assert_eq!(records[0].property("ORIGIN_MESSAGE_ID"), sent.ext("msgId"));
}

#[test]
fn a_retry_send_of_a_group_holding_queue_locks_goes_to_the_dead_letter_queue() {
    let broker = BrokerProcess::start(full_broker().plugins(&["lock_plugin"]));
    let mut client = broker.client();
    // Not locked yet: a first retry goes to the retry topic.
    let retried = send(&mut client, "%RETRY%og", 0, "T", "k", b"first");
    assert_eq!(retried.code, 0, "{:?}", retried.remark);
    wait_for_max_offset(&mut client, "%RETRY%og", 0, 1);

    let mut lock = client.request(41, &[]);
    lock.body = br#"{"consumerGroup":"og","clientId":"c1","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"OrderTopic"}],"onlyThisBroker":false}"#
        .to_vec()
        .into();
    let locked = client.call(&lock);
    assert_eq!(locked.code, 0, "{locked:?}");

    // The group consumes orderly now: Java sends its retries to the DLQ at once.
    let dead = send(&mut client, "%RETRY%og", 0, "T", "k", b"second");
    assert_eq!(dead.code, 0, "{:?}", dead.remark);
    wait_for_max_offset(&mut client, "%DLQ%og", 0, 1);
    let pulled = pull(&mut client, "%DLQ%og", 0, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    let records = decode_records(&pulled.body);
    assert_eq!(records[0].body, b"second");
    assert_eq!(records[0].property("DELAY"), Some("-1"));
}

#[test]
fn offset_codes_are_served_on_the_fast_port_and_pulls_are_not() {
    // The default manifest, as the README starts the broker.
    let broker = BrokerProcess::start(e2e_tests::BrokerSetup::default_manifest());
    let mut client = broker.client();
    let sent = send(&mut client, "VipTopic", 0, "T", "k", b"x");
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
    wait_for_max_offset(&mut client, "VipTopic", 0, 1);
    // On the main port a pull is served (and creates the group cg).
    let pulled = pull(&mut client, "VipTopic", 0, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);

    // Clients with vipChannelEnabled send offset requests to listenPort - 2.
    let mut fast = RawClient::connect(broker.fast_addr());
    let max = fast.call_code(30, &[("topic", "VipTopic"), ("queueId", "0")]);
    assert_eq!(
        (max.code, max.ext("offset")),
        (0, Some("1")),
        "{:?}",
        max.remark
    );
    let min = fast.call_code(31, &[("topic", "VipTopic"), ("queueId", "0")]);
    assert_eq!(min.code, 0, "{:?}", min.remark);
    let update = fast.call_code(
        15,
        &[
            ("consumerGroup", "cg"),
            ("topic", "VipTopic"),
            ("queueId", "0"),
            ("commitOffset", "1"),
        ],
    );
    assert_eq!(update.code, 0, "{:?}", update.remark);
    let query = fast.call_code(
        14,
        &[
            ("consumerGroup", "cg"),
            ("topic", "VipTopic"),
            ("queueId", "0"),
        ],
    );
    assert_eq!(
        (query.code, query.ext("offset")),
        (0, Some("1")),
        "{:?}",
        query.remark
    );
    // Pulls stay on the main port, as in RocketMQ.
    let pulled = pull(&mut fast, "VipTopic", 0, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 3, "{:?}", pulled.remark);
}

/// The timer message's value of `name`, as a number.
fn number_property(record: &plugin_api::message::MessageRecord, name: &str) -> i64 {
    record
        .property(name)
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing or not a number"))
}

#[test]
fn timer_messages_are_parked_and_delivered_when_due_across_a_restart() {
    let mut broker = broker();
    let mut client = broker.client();

    // Parked: answered at once, not in its topic until due.
    let sent_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    let parked = send_with_properties(&mut client, "TimedTopic", 2, &[("TIMER_DELAY_SEC", "3")]);
    assert_eq!(parked.code, 0, "{:?}", parked.remark);
    assert_eq!(parked.ext("queueId"), Some("2"));
    let max = client.call_code(30, &[("topic", "TimedTopic"), ("queueId", "2")]);
    assert_eq!(max.ext("offset"), Some("0"), "delivered too early");

    // Survives a restart before it is due.
    e2e_tests::stock_client::restart_broker(&mut broker);
    let mut client = broker.client();
    wait_for_max_offset(&mut client, "TimedTopic", 2, 1);
    let pulled = pull(&mut client, "TimedTopic", 2, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    let records = decode_records(&pulled.body);
    assert_eq!(records.len(), 1, "delivered exactly once");
    let record = &records[0];
    assert_eq!(record.body, b"x");
    let due = number_property(record, "TIMER_OUT_MS");
    // Rounded down to the 1 s precision, one step earlier when exact.
    assert_eq!(due % 1000, 0);
    assert!(
        (sent_at + 1_000..=sent_at + 3_000).contains(&due),
        "{due} vs {sent_at}"
    );
    assert!(record.header.store_timestamp >= due);
    assert!(number_property(record, "TIMER_DEQUEUE_MS") >= due);
    assert!(number_property(record, "TIMER_ENQUEUE_MS") <= due);
    assert_eq!(record.property("REAL_TOPIC"), Some("TimedTopic"));
    assert_eq!(record.property("TIMER_DELAY_SEC"), Some("3"));

    // Due already: stored in its topic at once.
    let past = send_with_properties(
        &mut client,
        "TimedTopic",
        1,
        &[("TIMER_DELIVER_MS", "1000")],
    );
    assert_eq!(past.code, 0, "{:?}", past.remark);
    wait_for_max_offset(&mut client, "TimedTopic", 1, 1);

    // Unparsable or beyond timerMaxDelaySec (3 days): MESSAGE_ILLEGAL.
    for (name, value) in [("TIMER_DELAY_SEC", "soon"), ("TIMER_DELAY_SEC", "300000")] {
        let illegal = send_with_properties(&mut client, "TimedTopic", 0, &[(name, value)]);
        assert_eq!(illegal.code, 13, "{value}");
        assert!(
            illegal
                .remark
                .as_deref()
                .is_some_and(|r| r.starts_with("timer message illegal, the delay time should not be bigger than the max delay 259200000ms")),
            "{:?}",
            illegal.remark
        );
    }
}

#[test]
fn sends_to_forbidden_or_invalid_topics_are_refused_with_the_rocketmq_codes() {
    let broker = broker();
    let mut client = broker.client();
    let forbidden = send(&mut client, "SCHEDULE_TOPIC_XXXX", 0, "T", "k", b"x");
    assert_eq!(forbidden.code, 16);
    assert_eq!(
        forbidden.ext("MSG_REGION"),
        Some("DefaultRegion"),
        "extFields on errors too"
    );
    let invalid = send(&mut client, "bad topic!", 0, "T", "k", b"x");
    assert_eq!(invalid.code, 29);
    let bad_queue = send(&mut client, "TBW102", 99, "T", "k", b"x");
    assert_eq!(bad_queue.code, 29, "{:?}", bad_queue.remark);
    let remark = bad_queue.remark.unwrap_or_default();
    assert!(
        remark.starts_with("request queueId[99] is illegal, TopicConfig [topicName=TBW102, readQueueNums=8, writeQueueNums=8, perm=RWX, topicFilterType=SINGLE_TAG")
            && remark.contains(" Producer: 127.0.0.1:"),
        "{remark}"
    );
    let missing = client.call_code(310, &[("a", "pg")]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.remark.as_deref(),
        Some("the custom field <b> is null")
    );
}

#[test]
fn suggest_which_broker_id_is_the_master_unless_slave_reading_is_enabled() {
    // Java's composeResponseHeader: without slaveReadEnable (the default)
    // always MASTER_ID; with it, the group's brokerId for a consumer that
    // keeps up.
    for (config, expected) in [(None, "0"), (Some("slaveReadEnable = true"), "3")] {
        let broker = broker_with_admin(config.as_slice());
        let mut client = broker.client();
        update_group(&mut client, r#"{"groupName":"cg","brokerId":3}"#);
        assert_eq!(send(&mut client, "Suggested", 0, "T", "k", b"x").code, 0);
        wait_for_max_offset(&mut client, "Suggested", 0, 1);
        let pulled = pull(&mut client, "Suggested", 0, 0, "*", SUBSCRIPTION, 0);
        assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
        assert_eq!(
            pulled.ext("suggestWhichBrokerId"),
            Some(expected),
            "{config:?}"
        );
    }
}

#[test]
fn search_offset_by_timestamp_honours_the_boundary_type() {
    let broker = broker();
    let mut client = broker.client();
    for i in 0..3 {
        assert_eq!(
            send(&mut client, "Timed", 0, "T", &format!("k{i}"), b"x").code,
            0
        );
    }
    wait_for_max_offset(&mut client, "Timed", 0, 3);
    let pulled = pull(&mut client, "Timed", 0, 0, "*", SUBSCRIPTION, 0);
    let times: Vec<i64> = decode_records(&pulled.body)
        .iter()
        .map(|r| r.header.store_timestamp)
        .collect();
    assert_eq!(times.len(), 3);
    let search = |client: &mut RawClient, timestamp: i64, boundary: Option<&str>| {
        let timestamp = timestamp.to_string();
        let mut fields = vec![
            ("topic", "Timed"),
            ("queueId", "0"),
            ("timestamp", timestamp.as_str()),
        ];
        if let Some(boundary) = boundary {
            fields.push(("boundaryType", boundary));
        }
        let response = client.call_code(29, &fields);
        assert_eq!(response.code, 0, "{:?}", response.remark);
        response.ext("offset").map(str::to_owned)
    };
    let after_all = times[2] + 1;
    // LOWER (the default, and any text but "upper"): the first stored at or
    // after the time; past every message, the max offset.
    assert_eq!(search(&mut client, after_all, None).as_deref(), Some("3"));
    assert_eq!(
        search(&mut client, after_all, Some("lower")).as_deref(),
        Some("3")
    );
    assert_eq!(
        search(&mut client, after_all, Some("sideways")).as_deref(),
        Some("3")
    );
    // UPPER (case-insensitive): the last stored at or before the time.
    assert_eq!(
        search(&mut client, after_all, Some("upper")).as_deref(),
        Some("2")
    );
    assert_eq!(
        search(&mut client, after_all, Some("UPPER")).as_deref(),
        Some("2")
    );
    assert_eq!(search(&mut client, 0, Some("upper")).as_deref(), Some("0"));
    let last_first = times.iter().rposition(|t| *t <= times[0]).unwrap();
    assert_eq!(
        search(&mut client, times[0], Some("Upper")),
        Some(last_first.to_string())
    );
}

#[test]
fn a_new_group_starts_at_zero_only_where_offset_zero_holds_a_message() {
    // Java's queryConsumerOffset without a committed offset: 0 only if the
    // queue's min offset is 0 and checkInMemByConsumeOffset(topic, q, 0, 1)
    // finds an entry at offset 0 in memory; otherwise QUERY_NOT_FOUND, and
    // the client applies its consumeFromWhere.
    let broker = broker();
    let mut client = broker.client();
    assert_eq!(send(&mut client, "Fresh", 0, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "Fresh", 0, 1);
    let query = |client: &mut RawClient, topic: &str, queue: &str| {
        client.call_code(
            14,
            &[
                ("consumerGroup", "newcomer"),
                ("topic", topic),
                ("queueId", queue),
            ],
        )
    };
    let holding = query(&mut client, "Fresh", "0");
    assert_eq!((holding.code, holding.ext("offset")), (0, Some("0")));
    for (topic, queue) in [("Fresh", "1"), ("NoSuchTopic", "0")] {
        let empty = query(&mut client, topic, queue);
        assert_eq!(empty.code, 22, "{topic}/{queue}: {:?}", empty.remark);
        assert_eq!(
            empty.remark.as_deref(),
            Some("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
        );
    }
}

#[test]
fn a_pull_records_the_pull_offset_that_consume_stats_report() {
    // Java's tryCommitOffset calls commitPullOffset(nextBeginOffset) on
    // every pull, commit flag or not; GET_CONSUME_STATS answers
    // pullOffset = max(consumerOffset, pullOffset).
    let broker = broker_with_admin(&[]);
    let mut client = broker.client();
    for i in 0..3 {
        assert_eq!(
            send(&mut client, "PullStats", 0, "T", &format!("k{i}"), b"x").code,
            0
        );
    }
    wait_for_max_offset(&mut client, "PullStats", 0, 3);
    let pulled = pull(&mut client, "PullStats", 0, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(pulled.ext("nextBeginOffset"), Some("3"));
    let stats = client.call_code(208, &[("consumerGroup", "cg"), ("topic", "PullStats")]);
    assert_eq!(stats.code, 0, "{:?}", stats.remark);
    let body = String::from_utf8_lossy(&stats.body).into_owned();
    assert!(
        body.contains(
            "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"PullStats\"}:{\"brokerOffset\":3,\"consumerOffset\":0,\"lastTimestamp\":0,\"pullOffset\":3}"
        ),
        "{body}"
    );
}

#[test]
fn max_msg_bytes_does_not_limit_a_pull() {
    // Java's PullMessageProcessor calls getMessageAsync(group, topic,
    // queueId, offset, maxMsgNums, filter): the store's own cap
    // (MAX_PULL_MSG_SIZE, 128 MiB) applies, not the request's maxMsgBytes.
    let broker = broker();
    let mut client = broker.client();
    for i in 0..3 {
        let body = vec![b'x'; 500];
        assert_eq!(
            send(&mut client, "Bytes", 0, "T", &format!("k{i}"), &body).code,
            0
        );
    }
    wait_for_max_offset(&mut client, "Bytes", 0, 3);
    let pulled = client.call_code(
        11,
        &[
            ("consumerGroup", "cg"),
            ("topic", "Bytes"),
            ("queueId", "0"),
            ("queueOffset", "0"),
            ("maxMsgNums", "32"),
            ("sysFlag", &SUBSCRIPTION.to_string()),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", "0"),
            ("subscription", "*"),
            ("subVersion", "0"),
            ("maxMsgBytes", "1"),
        ],
    );
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    assert_eq!(decode_records(&pulled.body).len(), 3);
    assert_eq!(pulled.ext("nextBeginOffset"), Some("3"));
}

#[test]
fn a_broadcasting_group_needs_consume_broadcast_enable() {
    // Java's PullMessageProcessor, without the SUBSCRIPTION flag: a
    // BROADCASTING consumer of a group whose consumeBroadcastEnable is off
    // gets NO_PERMISSION with forbiddenType 4.
    let broker = broker_with_admin(&[]);
    let mut client = broker.client();
    update_group(
        &mut client,
        r#"{"groupName":"no_bcast","consumeBroadcastEnable":false}"#,
    );
    assert_eq!(send(&mut client, "Broadcast", 0, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "Broadcast", 0, 1);

    let _broadcaster = register_consumer(&broker, "no_bcast", "Broadcast", "BROADCASTING");
    let refused = pull_as(&mut client, "no_bcast", "Broadcast", 0);
    assert_eq!(refused.code, 16, "{:?}", refused.remark);
    assert_eq!(refused.ext("forbiddenType"), Some("4"));
    assert_eq!(
        refused.remark.as_deref(),
        Some("the consumer group[no_bcast] can not consume by broadcast way")
    );

    // A broadcasting group with the default config, and a clustering one
    // whatever its consumeBroadcastEnable, pull as usual.
    let _allowed = register_consumer(&broker, "bcast_ok", "Broadcast", "BROADCASTING");
    assert_eq!(pull_as(&mut client, "bcast_ok", "Broadcast", 0).code, 0);
    update_group(
        &mut client,
        r#"{"groupName":"clustered","consumeBroadcastEnable":false}"#,
    );
    let _clustered = register_consumer(&broker, "clustered", "Broadcast", "CLUSTERING");
    assert_eq!(pull_as(&mut client, "clustered", "Broadcast", 0).code, 0);
}

#[test]
fn a_group_forbidden_to_read_a_topic_is_refused() {
    // Java's PullMessageProcessor, without the SUBSCRIPTION flag:
    // getForbidden(group, topic, INDEX_PERM_READ) → NO_PERMISSION with
    // forbiddenType 5. The forbidden table comes from subscriptionGroup.json.
    let mut broker = broker();
    let mut client = broker.client();
    assert_eq!(send(&mut client, "ForbidTopic", 0, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "ForbidTopic", 0, 1);
    drop(client);
    let status = broker.terminate();
    assert!(status.success(), "{status}");
    let path = broker
        .dir
        .path()
        .join("store/config/subscriptionGroup.json");
    let mut groups: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    groups["forbiddenTable"] = serde_json::json!({"forbidden_g": {"ForbidTopic": 4}});
    std::fs::create_dir_all(path.parent().expect("config dir")).expect("config dir");
    std::fs::write(&path, groups.to_string()).expect("write subscriptionGroup.json");
    broker.restart();

    let mut client = broker.client();
    wait_for_max_offset(&mut client, "ForbidTopic", 0, 1);
    let _consumer = register_consumer(&broker, "forbidden_g", "ForbidTopic", "CLUSTERING");
    let refused = pull_as(&mut client, "forbidden_g", "ForbidTopic", 0);
    assert_eq!(refused.code, 16, "{:?}", refused.remark);
    assert_eq!(refused.ext("forbiddenType"), Some("5"));
    assert_eq!(
        refused.remark.as_deref(),
        Some("the consumer group[forbidden_g] is forbidden for topic[ForbidTopic]")
    );
    // Java checks the bits only on this path: with the subscription in the
    // request the same group reads. Another group reads either way.
    let mut with_subscription = pull_as(&mut client, "forbidden_g", "ForbidTopic", SUBSCRIPTION);
    assert_eq!(with_subscription.code, 0, "{:?}", with_subscription.remark);
    with_subscription = pull_as(&mut client, "allowed_g", "ForbidTopic", SUBSCRIPTION);
    assert_eq!(with_subscription.code, 0, "{:?}", with_subscription.remark);
    let _other = register_consumer(&broker, "allowed_g", "ForbidTopic", "CLUSTERING");
    assert_eq!(pull_as(&mut client, "allowed_g", "ForbidTopic", 0).code, 0);
}

#[test]
fn a_pull_from_a_queue_never_written_finds_no_message_in_queue() {
    // Java 5.x's findOrCreateConsumeQueue: the queue exists, empty.
    let broker = broker();
    let mut client = broker.client();
    assert_eq!(send(&mut client, "Sparse", 0, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "Sparse", 0, 1);
    let moved = pull(&mut client, "Sparse", 3, 5, "*", SUBSCRIPTION, 0);
    assert_eq!(
        (
            moved.code,
            moved.remark.as_deref(),
            moved.ext("nextBeginOffset")
        ),
        (21, Some("NO_MESSAGE_IN_QUEUE"), Some("0"))
    );
    let not_found = pull(&mut client, "Sparse", 3, 0, "*", SUBSCRIPTION, 0);
    assert_eq!(
        (not_found.code, not_found.remark.as_deref()),
        (19, Some("NO_MESSAGE_IN_QUEUE"))
    );
}

#[test]
fn an_empty_sql92_expression_fails_to_parse() {
    // Java's FilterAPI.build throws for a non-TAG type without an
    // expression: 23 SUBSCRIPTION_PARSE_FAILED, before the
    // enablePropertyFilter check (which answers 1).
    let broker = broker();
    let mut client = broker.client();
    assert_eq!(send(&mut client, "Sql", 0, "T", "k", b"x").code, 0);
    wait_for_max_offset(&mut client, "Sql", 0, 1);
    let fields = [
        ("consumerGroup", "cg"),
        ("topic", "Sql"),
        ("queueId", "0"),
        ("queueOffset", "0"),
        ("maxMsgNums", "32"),
        ("sysFlag", "4"),
        ("commitOffset", "0"),
        ("suspendTimeoutMillis", "0"),
        ("subVersion", "0"),
        ("expressionType", "SQL92"),
    ];
    let mut with_empty = fields.to_vec();
    with_empty.push(("subscription", ""));
    for request in [fields.to_vec(), with_empty] {
        let response = client.call_code(11, &request);
        assert_eq!(
            (response.code, response.remark.as_deref()),
            (23, Some("parse the consumer's subscription failed"))
        );
    }
    let mut with_expression = fields.to_vec();
    with_expression.push(("subscription", "a > 1"));
    let response = client.call_code(11, &with_expression);
    assert_eq!(response.code, 1, "{:?}", response.remark);
}
