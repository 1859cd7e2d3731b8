//! One pass of the transaction check over a real store: halves with an op
//! record are passed, the others renewed and asked about, a second copy of
//! a half renewed in the same pass is passed over, and the progress is
//! committed (and persisted) in the offsets of CID_RMQ_SYS_TRANS.

mod store_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker_host::config::BrokerConfig;
use broker_host::metadata::MetadataStore;
use broker_host::store::{MessageToStore, SimIo};
use broker_host::transaction::{CheckConfig, CheckSender, Checker};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::properties::encode_properties;
use plugin_api::message::{decode_record, now_millis, RecordRead};
use store_support::*;

const HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";

#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, RemotingCommand)>>,
}

impl CheckSender for Recorder {
    fn send_check(&self, group: &str, request: RemotingCommand) -> bool {
        self.sent.lock().unwrap().push((group.to_owned(), request));
        true
    }
}

fn half_properties(uniq: &str) -> String {
    encode_properties([
        ("UNIQ_KEY", uniq),
        ("TRAN_MSG", "true"),
        ("PGROUP", "pg"),
        ("__transactionId__", uniq),
        ("REAL_TOPIC", "Orders"),
        ("REAL_QID", "3"),
    ])
}

#[test]
fn a_check_pass_asks_about_undecided_halves_once_each() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata =
        Arc::new(MetadataStore::load_from(&BrokerConfig::default(), dir.path()).expect("metadata"));
    let born = now_millis() - 10_000;
    // Offsets 0..3 of the half queue: u0, u1, u2, then a second copy of u0
    // (what a crash between a renewal and the persisting of the offsets
    // leaves behind).
    for uniq in ["u0", "u1", "u2", "u0"] {
        let properties = half_properties(uniq);
        let result = store.put_message(&MessageToStore {
            born_timestamp: born,
            ..msg(HALF, 0, uniq.as_bytes(), &properties)
        });
        assert!(result.is_ok());
    }
    // u1 was committed: its op record names half offset 1.
    let op_properties = "WAIT\u{1}true\u{2}TAGS\u{1}d\u{2}";
    assert!(store.put_message(&msg(OP, 0, b"1,", op_properties)).is_ok());
    store.wait_dispatched().expect("dispatched");

    // A half stored in the millisecond the pass starts is "fresh stored"
    // and left for the next pass.
    std::thread::sleep(Duration::from_millis(20));
    let recorder = Arc::new(Recorder::default());
    let checker = Checker::new(
        store.clone(),
        metadata.clone(),
        recorder.clone(),
        CheckConfig {
            interval: Duration::from_secs(30),
            transaction_timeout: 1_000,
            check_max: 15,
            file_reserved_millis: 72 * 3_600_000,
            broker_name: "broker-a".into(),
            store_host: "127.0.0.1:10911".into(),
        },
    );
    checker.check(&|| false);

    let sent = recorder.sent.lock().unwrap();
    let asked: Vec<(&str, Option<&str>, Option<&str>)> = sent
        .iter()
        .map(|(group, request)| {
            (
                group.as_str(),
                request.ext("transactionId"),
                request.ext("tranStateTableOffset"),
            )
        })
        .collect();
    // u0 and u2, renewed at half offsets 4 and 5; u1 has its op record;
    // the second copy of u0 is passed over.
    assert_eq!(
        asked,
        [("pg", Some("u0"), Some("4")), ("pg", Some("u2"), Some("5"))]
    );
    for (_, request) in sent.iter() {
        assert_eq!(request.code, 39);
        assert_eq!(request.ext("topic"), Some(HALF));
        assert_eq!(request.ext("bname"), Some("broker-a"));
        let RecordRead::Message(body, _) = decode_record(&request.body, true) else {
            panic!("a message body");
        };
        assert_eq!((body.topic.as_str(), body.header.queue_id), ("Orders", 3));
        assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some("1"));
    }
    // The progress: past the four halves (the renewed ones come next), and
    // past the op record; persisted before the checks went out.
    let offsets = metadata.consumer_offsets();
    assert_eq!(offsets.query_offset("CID_RMQ_SYS_TRANS", HALF, 0), 4);
    assert_eq!(offsets.query_offset("CID_RMQ_SYS_TRANS", OP, 0), 1);
    let persisted =
        std::fs::read_to_string(dir.path().join("consumerOffset.json")).expect("persisted");
    assert!(
        persisted.contains("RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS"),
        "{persisted}"
    );
}

#[test]
fn a_half_within_its_check_immunity_is_renewed_without_a_check() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata =
        Arc::new(MetadataStore::load_from(&BrokerConfig::default(), dir.path()).expect("metadata"));
    // Born 10 s ago, immune for 60 s (CHECK_IMMUNITY_TIME_IN_SECONDS).
    let properties = format!(
        "{}CHECK_IMMUNITY_TIME_IN_SECONDS\u{1}60\u{2}",
        half_properties("immune")
    );
    let result = store.put_message(&MessageToStore {
        born_timestamp: now_millis() - 10_000,
        ..msg(HALF, 0, b"immune", &properties)
    });
    assert!(result.is_ok());
    store.wait_dispatched().expect("dispatched");
    std::thread::sleep(Duration::from_millis(20));

    let recorder = Arc::new(Recorder::default());
    let checker = Checker::new(
        store.clone(),
        metadata.clone(),
        recorder.clone(),
        CheckConfig {
            interval: Duration::from_secs(30),
            transaction_timeout: 1_000,
            check_max: 15,
            file_reserved_millis: 72 * 3_600_000,
            broker_name: "broker-a".into(),
            store_host: "127.0.0.1:10911".into(),
        },
    );
    checker.check(&|| false);
    assert!(recorder.sent.lock().unwrap().is_empty(), "not asked yet");
    // Renewed (Java's putImmunityMsgBackToHalfQueue) with the first copy's
    // queue offset, and the pass moved past the first copy.
    store.wait_dispatched().expect("dispatched");
    let renewed = read_all(&store, HALF, 0, 1);
    assert_eq!(renewed.len(), 1);
    assert_eq!(renewed[0].property("TRAN_PREPARED_QUEUE_OFFSET"), Some("0"));
    assert_eq!(renewed[0].property("TRANSACTION_CHECK_TIMES"), Some("1"));
    assert_eq!(
        metadata
            .consumer_offsets()
            .query_offset("CID_RMQ_SYS_TRANS", HALF, 0),
        1
    );
}
