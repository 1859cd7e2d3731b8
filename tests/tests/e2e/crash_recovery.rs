//! SIGKILL the broker while concurrent producers send, restart it, several
//! times on one store, under SYNC_FLUSH and ASYNC_FLUSH: after every
//! restart each acknowledged message is pulled back through the broker,
//! exactly once; recovery started from the checkpoint's recovery point;
//! and at the end the store passes the consistency check and finds every
//! acknowledged message by its offset message id and by key.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use broker_host::config::BrokerConfig;
use broker_host::store::checkpoint::{RecoveryPoint, RECOVERY_SLOTS};
use broker_host::store::{DefaultMessageStore, StoreConfig};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, Pull, RawClient};
use plugin_api::message::{decode_offset_msg_id, decode_record, decode_records, RecordRead};

const TOPIC: &str = "KillTopic";
const TRIALS: usize = 3;
const PRODUCERS: usize = 4;
/// The phrase the store logs when abnormal recovery starts at a recovery point.
const FROM_POINT: &str = "abnormal recovery from the checkpoint's recovery point";

type Acked = Arc<Mutex<Vec<(String, String)>>>;

fn body_of(key: &str) -> Vec<u8> {
    format!("body of {key}").into_bytes()
}

/// SEND_MESSAGE_V2 with WAIT=true; the msgId of a SEND_OK, None otherwise
/// (the broker died).
fn send(client: &mut RawClient, key: &str) -> Option<String> {
    let request = client.send_request(TOPIC, -1, "TagA", key, &body_of(key));
    client.send(&request);
    let response = client.read_frame()?;
    (response.code == 0)
        .then(|| response.ext("msgId").map(str::to_owned))
        .flatten()
}

/// The newest recovery point's sequence in the checkpoint file (0 if none).
fn recovery_point_sequence(store: &Path) -> u64 {
    let Ok(bytes) = std::fs::read(store.join("checkpoint")) else {
        return 0;
    };
    RECOVERY_SLOTS
        .iter()
        .filter_map(|&pos| bytes.get(pos..).and_then(RecoveryPoint::decode))
        .map(|p| p.sequence)
        .max()
        .unwrap_or(0)
}

fn wait_until(what: &str, broker: &BrokerProcess, mut done: impl FnMut() -> bool) {
    // A readiness wait, not a timing assertion: generous for slow CI.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < deadline, "{what}:\n{}", broker.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every message of the topic, pulled from offset 0 of each queue: KEYS → bodies.
fn pull_everything(client: &mut RawClient) -> HashMap<String, Vec<Vec<u8>>> {
    let mut found: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    for queue in 0..4 {
        let max = client
            .call_code(30, &[("topic", TOPIC), ("queueId", &queue.to_string())])
            .ext("offset")
            .and_then(|o| o.parse::<i64>().ok())
            .unwrap_or(0);
        let mut offset = 0i64;
        while offset < max {
            let response = client.pull(&Pull {
                group: "crash_recovery_group",
                topic: TOPIC,
                queue_id: queue,
                offset,
                sys_flag: 0x4,
                subscription: Some("*"),
                suspend_ms: 0,
            });
            assert_eq!(
                response.code, 0,
                "pull {queue}@{offset} (max {max}): {:?}",
                response.remark
            );
            let records = decode_records(&response.body);
            assert!(!records.is_empty(), "empty pull at {queue}@{offset}");
            for record in records {
                assert_eq!(record.header.queue_offset, offset, "queue {queue}");
                let key = record.property("KEYS").unwrap_or_default().to_owned();
                found.entry(key).or_default().push(record.body);
                offset += 1;
            }
        }
    }
    found
}

fn run_trials(flush_disk_type: &str) {
    let mut broker = BrokerProcess::start(
        [
            "send_plugin",
            "pull_plugin",
            "heartbeat_plugin",
            "route_plugin",
        ]
        .iter()
        .fold(
            BrokerSetup::default()
                .config(&format!("flushDiskType = \"{flush_disk_type}\""))
                .config("mappedFileSizeCommitLog = 4194304"),
            |setup, name| setup.processor(&plugin_library(name), ""),
        ),
    );
    let store_dir = broker.dir.path().join("store");
    let acknowledged: Acked = Arc::default();

    for trial in 0..TRIALS {
        let before = acknowledged.lock().expect("lock").len();
        let stop = Arc::new(AtomicBool::new(false));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let (acknowledged, stop, addr) =
                    (acknowledged.clone(), stop.clone(), broker.addr());
                std::thread::spawn(move || {
                    let mut client = RawClient::connect(addr);
                    for i in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let key = format!("t{trial}-p{producer}-{i}");
                        match send(&mut client, &key) {
                            Some(id) => acknowledged.lock().expect("lock").push((key, id)),
                            None => return,
                        }
                    }
                })
            })
            .collect();
        let acked_now = || acknowledged.lock().expect("lock").len() - before;

        // Kill only after a checkpoint written under this load, with more
        // acknowledged messages past it: the replay then has work to do.
        let sequence = recovery_point_sequence(&store_dir);
        wait_until("producers stalled", &broker, || acked_now() >= 300);
        wait_until("no checkpoint under load", &broker, || {
            recovery_point_sequence(&store_dir) > sequence
        });
        let at_checkpoint = acked_now();
        wait_until("producers stalled", &broker, || {
            acked_now() >= at_checkpoint + 300
        });
        broker.kill();
        stop.store(true, Ordering::SeqCst);
        for producer in producers {
            let _ = producer.join();
        }
        assert!(
            store_dir.join("abort").exists(),
            "a killed broker leaves abort"
        );

        broker.restart();
        let log = broker.log();
        assert_eq!(
            log.matches(FROM_POINT).count(),
            trial + 1,
            "restart {trial} did not recover from the recovery point:\n{log}"
        );
        let acked = acknowledged.lock().expect("lock").clone();
        let found = pull_everything(&mut broker.client());
        for (key, _) in &acked {
            match found.get(key).map(Vec::as_slice) {
                Some([body]) => assert_eq!(body, &body_of(key), "{key}"),
                Some(bodies) => panic!(
                    "{flush_disk_type} trial {trial}: {key} pulled {} times",
                    bodies.len()
                ),
                None => panic!("{flush_disk_type} trial {trial}: acknowledged {key} lost"),
            }
        }
    }

    // The last state in-process: abnormal recovery again, the consistency
    // check, and every acknowledged message by msgId and by key.
    broker.kill();
    let acked = acknowledged.lock().expect("lock").clone();
    let mut config = BrokerConfig::default();
    config
        .load_file(broker.dir.path().join("broker.toml"))
        .expect("test config");
    config.finish().expect("test config");
    let store =
        DefaultMessageStore::open(StoreConfig::from_broker_config(&config)).expect("recover");
    let report = store.recovery_report();
    assert!(report.abnormal && report.from_recovery_point, "{report:?}");
    store
        .check_consistency()
        .expect("commit log, consume queues and index agree");
    for (key, msg_id) in &acked {
        let (_, offset) = decode_offset_msg_id(msg_id).expect("offset msg id");
        let raw = store
            .look_message_by_offset(offset)
            .unwrap_or_else(|| panic!("{key} at {offset} lost"));
        let RecordRead::Message(record, _) = decode_record(&raw, true) else {
            panic!("{key} at {offset} is not a valid record");
        };
        assert_eq!(record.property("KEYS"), Some(key.as_str()));
        let by_key = store.query_message(TOPIC, key, 4, 0, i64::MAX);
        assert_eq!(by_key.message_count, 1, "index: {key}");
    }
    store.shutdown();
}

#[test]
fn sync_flush_kill_restart_trials_lose_no_acknowledged_message() {
    run_trials("SYNC_FLUSH");
}

#[test]
fn async_flush_kill_restart_trials_lose_no_acknowledged_message() {
    run_trials("ASYNC_FLUSH");
}
