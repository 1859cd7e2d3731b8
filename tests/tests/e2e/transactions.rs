//! Transactional messages end to end: the stock `rocketmq-client-rust`
//! `TransactionMQProducer` (commit, rollback, and undecided then decided by
//! the broker's check), a consumer that sees exactly the committed
//! messages once, halves that survive a kill -9 and a restart, and the
//! exact END_TRANSACTION (37) and CHECK_TRANSACTION_STATE (39) frames over
//! the raw protocol.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_tests::stock_client::{
    full_broker, start_consumer, wait_for, Collector, ConsumerSpec, StockRuntime,
};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, Pull, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::{
    decode_offset_msg_id, decode_record, decode_records, encode_properties, MessageRecord,
    RecordRead,
};
use rocketmq_client_rust::{LocalTransactionState, TransactionListener, TransactionMQProducer};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::common::message::MessageTrait;

/// Readiness deadline for deliveries and checks.
const DEADLINE: Duration = Duration::from_secs(120);
/// After everything expected arrived: how long a duplicate or a message
/// that must not be delivered gets to show up (several check intervals).
const SETTLE: Duration = Duration::from_secs(6);

/// The stock client's broker plus the transaction plugin, with a check
/// every 2.5 s for halves older than two seconds. (A producer has one
/// check interval to answer a check before the half is asked about again,
/// as on a Java broker; 2.5 s leaves a loaded machine room.)
fn transaction_broker() -> BrokerSetup {
    full_broker()
        .processor(&plugin_library("transaction_plugin"), "")
        .config("transactionCheckInterval = 2500")
        .config("transactionTimeOut = 2000")
        .config("transactionCheckMax = 1000")
}

/// What the listener decides, by the message key's prefix:
/// `commit-…` / `rollback-…` at once; `unknown-commit-…` undecided, then
/// undecided on the first check and committed on the next;
/// `unknown-rollback-…` undecided, then rolled back on the first check.
/// Until `decided` is set, every check answers undecided.
#[derive(Clone)]
struct KeyedListener {
    checks: Arc<Mutex<Vec<String>>>,
    decided: Arc<AtomicBool>,
}

impl KeyedListener {
    fn new(decided: bool) -> KeyedListener {
        KeyedListener {
            checks: Arc::default(),
            decided: Arc::new(AtomicBool::new(decided)),
        }
    }

    fn checks_of(&self, key: &str) -> usize {
        self.checks
            .lock()
            .unwrap()
            .iter()
            .filter(|k| *k == key)
            .count()
    }
}

fn key_of(message: &dyn MessageTrait) -> String {
    message
        .property(&"KEYS".into())
        .map(|keys| keys.to_string())
        .unwrap_or_default()
}

impl TransactionListener for KeyedListener {
    fn execute_local_transaction(
        &self,
        msg: &dyn MessageTrait,
        _arg: Option<&(dyn Any + Send + Sync)>,
    ) -> LocalTransactionState {
        let key = key_of(msg);
        if key.starts_with("commit-") {
            LocalTransactionState::CommitMessage
        } else if key.starts_with("rollback-") {
            LocalTransactionState::RollbackMessage
        } else {
            LocalTransactionState::Unknown
        }
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let key = key_of(msg);
        let earlier = {
            let mut checks = self.checks.lock().unwrap();
            checks.push(key.clone());
            checks.iter().filter(|k| **k == key).count() - 1
        };
        if !self.decided.load(Ordering::SeqCst) {
            return LocalTransactionState::Unknown;
        }
        if key.starts_with("unknown-commit-") {
            if earlier == 0 {
                LocalTransactionState::Unknown
            } else {
                LocalTransactionState::CommitMessage
            }
        } else if key.starts_with("unknown-rollback-") || key.starts_with("rollback-") {
            LocalTransactionState::RollbackMessage
        } else {
            LocalTransactionState::CommitMessage
        }
    }
}

/// A stock transaction producer of `group` for `topic`: naming the topic
/// makes it look the route up at start, so it heartbeats to the broker
/// (and can be checked) before it sends anything.
async fn start_transaction_producer(
    rt: &StockRuntime,
    broker: &BrokerProcess,
    group: &str,
    topic: &str,
    listener: &KeyedListener,
) -> TransactionMQProducer {
    let mut producer = TransactionMQProducer::builder(rt.client_runtime())
        .producer_group(group)
        .topics(vec![topic])
        .name_server_addr(broker.addr().to_string())
        .send_msg_timeout(15_000)
        .transaction_listener(listener.clone())
        .build();
    producer.start().await.expect("start transaction producer");
    producer
}

async fn send_transactional(
    producer: &TransactionMQProducer,
    topic: &str,
    key: &str,
) -> LocalTransactionState {
    let message = Message::builder()
        .topic(topic)
        .tags("TagT")
        .key(key)
        .body(format!("body of {key}").into_bytes())
        .build()
        .expect("valid message");
    let result = producer
        .send_message_in_transaction::<(), _>(message, None)
        .await
        .unwrap_or_else(|error| panic!("transactional send of {key} failed: {error}"));
    result
        .local_transaction_state
        .expect("a local transaction state")
}

fn keys(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

/// Acknowledged deliveries per key.
fn delivery_counts(collector: &Collector) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for delivery in collector.deliveries().iter().filter(|d| d.acked) {
        *counts.entry(delivery.key().to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Waits until exactly `expected` (each once) was delivered, then a little
/// longer, and checks nothing else or twice came.
async fn assert_delivered_exactly_once(
    collector: &Collector,
    expected: &HashSet<String>,
    broker: &BrokerProcess,
) {
    let arrived = wait_for(DEADLINE, || collector.acked_keys() == *expected).await;
    assert!(
        arrived,
        "delivered {:?}, expected {expected:?}\n{}",
        collector.acked_keys(),
        broker.log()
    );
    tokio::time::sleep(SETTLE).await;
    let counts = delivery_counts(collector);
    let keys: HashSet<String> = counts.keys().cloned().collect();
    assert_eq!(&keys, expected, "only the committed messages are delivered");
    for (key, count) in counts {
        assert_eq!(count, 1, "{key} delivered {count} times");
    }
    for delivery in collector.deliveries() {
        assert_eq!(
            delivery.body,
            format!("body of {}", delivery.key()).into_bytes()
        );
        assert_eq!(delivery.tag.as_deref(), Some("TagT"));
    }
}

#[test]
fn the_stock_transaction_producer_commits_rolls_back_and_is_checked() {
    const TOPIC: &str = "TxOrders";
    let broker = BrokerProcess::start(transaction_broker());
    let rt = StockRuntime::new("tx-stock");
    let listener = KeyedListener::new(true);
    let commits = keys("commit-", 4);
    let rollbacks = keys("rollback-", 4);
    let unknown_commits = keys("unknown-commit-", 3);
    let unknown_rollbacks = keys("unknown-rollback-", 3);

    rt.block_on(async {
        let mut producer =
            start_transaction_producer(&rt, &broker, "tx_stock_producer", TOPIC, &listener).await;
        for key in commits
            .iter()
            .chain(&rollbacks)
            .chain(&unknown_commits)
            .chain(&unknown_rollbacks)
        {
            let state = send_transactional(&producer, TOPIC, key).await;
            let expected = if key.starts_with("commit-") {
                LocalTransactionState::CommitMessage
            } else if key.starts_with("rollback-") {
                LocalTransactionState::RollbackMessage
            } else {
                LocalTransactionState::Unknown
            };
            assert_eq!(state, expected, "{key}");
        }
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new("tx_stock_consumer", TOPIC, "*"),
            &collector,
        )
        .await;
        let expected: HashSet<String> = commits.iter().chain(&unknown_commits).cloned().collect();
        assert_delivered_exactly_once(&collector, &expected, &broker).await;

        // The check path: each undecided half was checked until decided
        // (an unknown-commit one at least twice), and a half the producer
        // decided at once was never checked.
        for key in &unknown_commits {
            assert!(
                listener.checks_of(key) >= 2,
                "{key} checked {} times",
                listener.checks_of(key)
            );
        }
        for key in &unknown_rollbacks {
            assert!(listener.checks_of(key) >= 1, "{key} never checked");
        }
        for key in commits.iter().chain(&rollbacks) {
            assert_eq!(listener.checks_of(key), 0, "{key} was decided at once");
        }
        // Once decided, a half is not checked again.
        let checks_now = listener.checks.lock().unwrap().len();
        tokio::time::sleep(SETTLE).await;
        assert_eq!(listener.checks.lock().unwrap().len(), checks_now);
        consumer.shutdown().await;
        producer.shutdown().await;
    });
}

#[test]
fn pending_halves_survive_a_kill_and_a_restart_and_are_resolved_by_check() {
    const TOPIC: &str = "TxCrash";
    const GROUP: &str = "tx_crash_producer";
    let mut broker = BrokerProcess::start(transaction_broker());
    let rt = StockRuntime::new("tx-crash");
    let commits = keys("commit-late-", 5);
    let rollbacks = keys("rollback-late-", 5);

    // Every half stays undecided: the listener answers UNKNOWN to its own
    // execution (the key has no commit-/rollback- prefix at send time) and
    // to every check until it is told to decide.
    let undecided = KeyedListener::new(false);
    rt.block_on(async {
        let mut producer = start_transaction_producer(&rt, &broker, GROUP, TOPIC, &undecided).await;
        for key in commits.iter().chain(&rollbacks) {
            let message_key = format!("unknown-{key}");
            let state = send_transactional(&producer, TOPIC, &message_key).await;
            assert_eq!(state, LocalTransactionState::Unknown);
        }
        // Let the check run (and renew the halves) at least once.
        let checked = wait_for(DEADLINE, || undecided.checks.lock().unwrap().len() >= 10).await;
        assert!(checked, "no check came\n{}", broker.log());
        producer.shutdown().await;
    });

    broker.kill();
    broker.restart();
    // And a normal restart on top.
    broker.restart();

    let deciding = KeyedListener::new(true);
    rt.block_on(async {
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new("tx_crash_consumer", TOPIC, "*"),
            &collector,
        )
        .await;
        // Nothing is visible before a producer decides.
        tokio::time::sleep(SETTLE).await;
        assert!(
            collector.deliveries().is_empty(),
            "{:?}",
            collector.deliveries()
        );

        let mut producer = start_transaction_producer(&rt, &broker, GROUP, TOPIC, &deciding).await;
        let expected: HashSet<String> = commits.iter().map(|k| format!("unknown-{k}")).collect();
        assert_delivered_exactly_once(&collector, &expected, &broker).await;
        consumer.shutdown().await;
        producer.shutdown().await;
    });
}

// ---- the raw protocol ----

const RAW_TOPIC: &str = "TxRaw";
const RAW_GROUP: &str = "tx_raw_producer";

/// Registers `client`'s connection as a producer of [`RAW_GROUP`].
fn register_producer(client: &mut RawClient) {
    let mut heartbeat = client.request(34, &[]);
    heartbeat.body = format!(
        r#"{{"clientID":"127.0.0.1@raw-tx","producerDataSet":[{{"groupName":"{RAW_GROUP}"}}],"consumerDataSet":[]}}"#
    )
    .into_bytes()
    .into();
    let answer = client.call(&heartbeat);
    assert_eq!(answer.code, 0, "{answer:?}");
}

/// A half message as the Java producer sends it (TRAN_MSG, PGROUP, the
/// PREPARED sysFlag), to queue 1 of [`RAW_TOPIC`].
fn send_half(client: &mut RawClient, uniq_key: &str, body: &[u8]) -> RemotingCommand {
    let properties = encode_properties([
        ("TAGS", "TagT"),
        ("KEYS", "raw-key"),
        ("UNIQ_KEY", uniq_key),
        ("WAIT", "true"),
        ("TRAN_MSG", "true"),
        ("PGROUP", RAW_GROUP),
    ]);
    let mut request = client.request(
        310,
        &[
            ("a", RAW_GROUP),
            ("b", RAW_TOPIC),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "1"),
            ("f", "4"),
            ("g", &plugin_api::message::now_millis().to_string()),
            ("h", "0"),
            ("i", &properties),
            ("j", "0"),
            ("k", "false"),
            ("m", "false"),
        ],
    );
    request.body = body.to_vec().into();
    client.call(&request)
}

/// Every record of a queue from offset 0 (none when it is empty).
fn read_queue(client: &mut RawClient, topic: &str, queue_id: i32) -> Vec<MessageRecord> {
    let answer = client.pull(&Pull {
        group: "tx_raw_reader",
        topic,
        queue_id,
        offset: 0,
        sys_flag: 4,
        subscription: Some("*"),
        suspend_ms: 0,
    });
    match answer.code {
        0 => decode_records(&answer.body),
        // PULL_NOT_FOUND: the queue is empty; TOPIC_NOT_EXIST: not created
        // yet (TRANS_CHECK_MAX_TIME_TOPIC is created by the first discard).
        19 | 17 => Vec::new(),
        other => panic!("pull of {topic}:{queue_id} answered {other}: {answer:?}"),
    }
}

/// [`read_queue`] once it holds `count` records (the store dispatches
/// a record to its queue a moment after the put).
fn read_count(
    client: &mut RawClient,
    topic: &str,
    queue_id: i32,
    count: usize,
) -> Vec<MessageRecord> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let records = read_queue(client, topic, queue_id);
        if records.len() >= count || Instant::now() > deadline {
            return records;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn end_transaction(
    fields: &[(&str, &str)],
    oneway: bool,
    client: &mut RawClient,
) -> RemotingCommand {
    let mut request = client.request(37, fields);
    if oneway {
        request.flag |= plugin_api::codec::FLAG_ONEWAY;
    }
    request
}

/// The next request (not a response) the broker sends on `client`.
fn next_request(client: &mut RawClient) -> RemotingCommand {
    loop {
        let frame = client
            .read_frame()
            .expect("the broker closed the connection");
        if !frame.is_response() {
            return frame;
        }
    }
}

#[test]
fn end_transaction_and_check_transaction_state_on_the_wire() {
    let broker = BrokerProcess::start(
        full_broker()
            .processor(&plugin_library("transaction_plugin"), "")
            // One check pass every 3 s: the test answers the first check
            // well before the next pass.
            .config("transactionCheckInterval = 3000")
            .config("transactionTimeOut = 1000"),
    );
    let mut producer = broker.client();
    register_producer(&mut producer);
    let mut client = broker.client();
    let uniq = "7F0000010000000000000000000000A1";
    let sent = send_half(&mut client, uniq, b"raw transactional body");
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(sent.ext("queueId"), Some("1"));
    assert_eq!(
        sent.ext("queueOffset"),
        Some("0"),
        "the half's queue offset"
    );
    assert_eq!(sent.ext("transactionId"), Some(uniq));
    let half_msg_id = sent.ext("msgId").expect("msgId").to_owned();
    let (_, half_offset) = decode_offset_msg_id(&half_msg_id).expect("an offset msg id");

    // Stored as a half: invisible on its topic.
    assert!(read_queue(&mut client, RAW_TOPIC, 1).is_empty());
    let halves = read_count(&mut client, "RMQ_SYS_TRANS_HALF_TOPIC", 0, 1);
    assert_eq!(halves.len(), 1);
    assert_eq!(halves[0].header.physical_offset, half_offset);
    assert_eq!(halves[0].header.sys_flag & 0xC, 0, "transaction bits reset");
    assert_eq!(halves[0].property("REAL_TOPIC"), Some(RAW_TOPIC));
    assert_eq!(halves[0].property("REAL_QID"), Some("1"));
    assert_eq!(halves[0].property("__transactionId__"), Some(uniq));

    // Nobody decides: after transactionTimeOut the check renews the half
    // and asks the registered producer.
    let check = next_request(&mut producer);
    assert_eq!(check.code, 39);
    assert!(check.is_oneway(), "CHECK_TRANSACTION_STATE is oneway");
    let field = |name: &str| check.ext(name).map(str::to_owned);
    let mut names: Vec<String> = check
        .ext_fields
        .as_ref()
        .expect("fields")
        .iter()
        .map(|(k, _)| k.to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bname",
            "commitLogOffset",
            "msgId",
            "offsetMsgId",
            "topic",
            "tranStateTableOffset",
            "transactionId"
        ]
    );
    assert_eq!(field("topic").as_deref(), Some("RMQ_SYS_TRANS_HALF_TOPIC"));
    assert_eq!(field("msgId").as_deref(), Some(uniq));
    assert_eq!(field("transactionId").as_deref(), Some(uniq));
    assert_eq!(field("bname").as_deref(), Some("broker-a"));
    // It names the renewed copy: queue offset 1, a later commit-log offset.
    assert_eq!(field("tranStateTableOffset").as_deref(), Some("1"));
    let renewed_offset: i64 = field("commitLogOffset").unwrap().parse().unwrap();
    assert!(renewed_offset > half_offset);
    let offset_msg_id = field("offsetMsgId").unwrap();
    assert_eq!(
        decode_offset_msg_id(&offset_msg_id).unwrap().1,
        renewed_offset
    );
    // The body: the half as a message of its real topic and queue.
    let RecordRead::Message(body, _) = decode_record(&check.body, true) else {
        panic!("the body is a message record");
    };
    assert_eq!(body.topic, RAW_TOPIC);
    assert_eq!(body.header.queue_id, 1);
    assert_eq!(body.header.queue_offset, 1);
    assert_eq!(body.header.physical_offset, renewed_offset);
    assert_eq!(body.body, b"raw transactional body");
    assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some("1"));
    assert_eq!(body.property("PGROUP"), Some(RAW_GROUP));
    let renewed = read_count(&mut client, "RMQ_SYS_TRANS_HALF_TOPIC", 0, 2);
    assert_eq!(renewed.len(), 2);
    assert_eq!(renewed[1].header.physical_offset, renewed_offset);

    // Refusals, each with Java's code and remark, on a request the
    // producer expects an answer to.
    let renewed_text = renewed_offset.to_string();
    let base = [
        ("producerGroup", RAW_GROUP),
        ("tranStateTableOffset", "1"),
        ("commitLogOffset", renewed_text.as_str()),
        ("commitOrRollback", "8"),
        ("fromTransactionCheck", "true"),
        ("msgId", uniq),
        ("transactionId", uniq),
        ("topic", RAW_TOPIC),
    ];
    let with = |key: &str, value: &'static str| -> Vec<(String, String)> {
        base.iter()
            .map(|(k, v)| {
                let v = if *k == key { value } else { v };
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    for (key, value, remark) in [
        ("producerGroup", "someone_else", "The producer group wrong"),
        (
            "tranStateTableOffset",
            "0",
            "The transaction state table offset wrong",
        ),
        (
            "commitLogOffset",
            "12345",
            "Find prepared transaction message failed",
        ),
        ("commitOrRollback", "5", "commitOrRollback field wrong"),
    ] {
        let fields = with(key, value);
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = client.call_code(37, &fields);
        assert_eq!(answer.code, 1, "{key}={value}: {answer:?}");
        assert_eq!(answer.remark.as_deref(), Some(remark), "{key}={value}");
    }
    let missing: Vec<(&str, &str)> = base
        .iter()
        .copied()
        .filter(|(k, _)| *k != "msgId")
        .collect();
    let answer = client.call_code(37, &missing);
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the custom field <msgId> is null")
    );

    // An undecided END_TRANSACTION is not answered, even when not oneway:
    // the next frame answers the request after it.
    let undecided = with("commitOrRollback", "0");
    let undecided: Vec<(&str, &str)> = undecided
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let silent = end_transaction(&undecided, false, &mut client);
    client.send(&silent);
    // The producer's commit, as a non-oneway request: answered SUCCESS
    // with no remark and no fields.
    let commit = end_transaction(&base, false, &mut client);
    client.send(&commit);
    let answer = client.read_frame().expect("an answer");
    assert_eq!(
        answer.opaque, commit.opaque,
        "the undecided one got no answer"
    );
    assert_eq!(answer.code, 0, "{answer:?}");
    assert_eq!(answer.remark, None);
    assert!(
        answer.ext_fields.as_ref().is_none_or(|f| f.is_empty()),
        "{answer:?}"
    );

    // The real message: its topic and queue, the commit type, the half's
    // offset as its prepared-transaction offset, the transaction properties
    // kept as Java keeps them.
    let real = read_count(&mut client, RAW_TOPIC, 1, 1);
    assert_eq!(real.len(), 1, "{real:?}");
    let message = &real[0];
    assert_eq!(message.body, b"raw transactional body");
    assert_eq!(message.header.sys_flag & 0xC, 8);
    assert_eq!(message.header.prepared_transaction_offset, renewed_offset);
    assert_eq!(message.header.queue_offset, 0);
    assert_eq!(message.property("UNIQ_KEY"), Some(uniq));
    assert_eq!(message.property("TRAN_MSG"), Some("true"));
    assert_eq!(message.property("REAL_TOPIC"), Some(RAW_TOPIC));
    assert_eq!(message.property("TRANSACTION_CHECK_TIMES"), Some("1"));
    // The op record: tag d, the renewed half's queue offset and a comma.
    let ops = read_count(&mut client, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0, 1);
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].body, b"1,");
    assert_eq!(ops[0].tags(), Some("d"));
    assert_eq!(ops[0].properties, "WAIT\u{1}true\u{2}TAGS\u{1}d\u{2}");

    // Resolved: no more checks for it. A second half, rolled back by a
    // oneway END_TRANSACTION on the fast port (37 is served on both),
    // writes only its op record.
    let second = send_half(&mut client, "7F0000010000000000000000000000A2", b"second");
    assert_eq!(second.code, 0);
    let (_, second_offset) = decode_offset_msg_id(second.ext("msgId").unwrap()).unwrap();
    let second_offset = second_offset.to_string();
    let queue_offset = second.ext("queueOffset").unwrap().to_owned();
    let mut fast = RawClient::connect(broker.fast_addr());
    let rollback = end_transaction(
        &[
            ("producerGroup", RAW_GROUP),
            ("tranStateTableOffset", &queue_offset),
            ("commitLogOffset", &second_offset),
            ("commitOrRollback", "12"),
            ("fromTransactionCheck", "false"),
            ("msgId", "7F0000010000000000000000000000A2"),
        ],
        true,
        &mut fast,
    );
    fast.send(&rollback);
    let op_arrived = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        read_queue(&mut client, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0).len() == 2
    });
    assert!(op_arrived, "the rollback's op record\n{}", broker.log());
    let ops = read_queue(&mut client, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
    assert_eq!(ops[1].body, format!("{queue_offset},").into_bytes());
    assert_eq!(read_queue(&mut client, RAW_TOPIC, 1).len(), 1);

    // Two check passes later, nothing more was asked.
    let quiet_until = Instant::now() + Duration::from_secs(7);
    let mut asked = 0;
    producer.set_read_timeout(Duration::from_millis(200));
    while Instant::now() < quiet_until {
        if producer.try_read_frame().is_some() {
            asked += 1;
        }
    }
    assert_eq!(
        asked,
        0,
        "a resolved half was checked again\n{}",
        broker.log()
    );
}

#[test]
fn a_half_checked_transaction_check_max_times_is_discarded() {
    let broker = BrokerProcess::start(
        full_broker()
            .processor(&plugin_library("transaction_plugin"), "")
            .config("transactionCheckInterval = 300")
            .config("transactionTimeOut = 500")
            .config("transactionCheckMax = 2"),
    );
    let mut producer = broker.client();
    register_producer(&mut producer);
    let mut client = broker.client();
    let sent = send_half(
        &mut client,
        "7F0000010000000000000000000000B1",
        b"never decided",
    );
    assert_eq!(sent.code, 0);
    // Two checks (TRANSACTION_CHECK_TIMES 1, then 2), then the discard.
    for times in ["1", "2"] {
        let check = next_request(&mut producer);
        assert_eq!(check.code, 39);
        let RecordRead::Message(body, _) = decode_record(&check.body, true) else {
            panic!("a message body");
        };
        assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some(times));
    }
    let discarded = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        let records = read_queue(&mut client, "TRANS_CHECK_MAX_TIME_TOPIC", 0);
        (!records.is_empty()).then_some(records)
    });
    let discarded = discarded.unwrap_or_else(|| panic!("nothing discarded\n{}", broker.log()));
    assert_eq!(discarded.len(), 1);
    assert_eq!(discarded[0].body, b"never decided");
    assert_eq!(discarded[0].property("REAL_TOPIC"), Some(RAW_TOPIC));
    assert_eq!(discarded[0].property("TRANSACTION_CHECK_TIMES"), Some("2"));
    assert!(read_queue(&mut client, RAW_TOPIC, 1).is_empty());
}
