//! SIGKILL the broker while producers send with SYNC_FLUSH, restart: every
//! acknowledged message is there, and the store passes a consistency check
//! (commit log, consume queues and index agree).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use broker_host::config::BrokerConfig;
use broker_host::store::{DefaultMessageStore, StoreConfig};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, RawClient};
use plugin_api::message::{decode_offset_msg_id, decode_record, RecordRead};

fn send(client: &mut RawClient, key: &str) -> Option<String> {
    let body = format!("body of {key}");
    let request = client.send_request("CrashTopic", -1, "TagA", key, body.as_bytes());
    client.send(&request);
    let response = client.read_frame()?;
    (response.code == 0)
        .then(|| response.ext("msgId").map(str::to_owned))
        .flatten()
}

#[test]
fn every_acknowledged_sync_flushed_message_survives_sigkill() {
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
                .config("flushDiskType = \"SYNC_FLUSH\"")
                .config("mappedFileSizeCommitLog = 1048576"),
            |setup, name| setup.processor(&plugin_library(name), ""),
        ),
    );
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let producers: Vec<_> = (0..4)
        .map(|producer| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let addr = broker.addr();
            std::thread::spawn(move || {
                let mut client = RawClient::connect(addr);
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let key = format!("p{producer}-{i}");
                    match send(&mut client, &key) {
                        Some(msg_id) => acknowledged.lock().expect("lock").push((key, msg_id)),
                        None => return,
                    }
                    i += 1;
                }
            })
        })
        .collect();

    // Let enough messages through to roll over several 1 MiB commit-log files.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < 3_000 {
        assert!(
            Instant::now() < deadline,
            "producers stalled:\n{}",
            broker.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    broker.kill();
    stop.store(true, Ordering::SeqCst);
    for producer in producers {
        let _ = producer.join();
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        broker.dir.path().join("store/abort").exists(),
        "a killed broker leaves its abort file"
    );

    // Open the store in-process: abnormal recovery, then the consistency check.
    let mut config = BrokerConfig::default();
    config
        .load_file(broker.dir.path().join("broker.toml"))
        .expect("test config");
    config.finish().expect("test config");
    let store =
        DefaultMessageStore::open(StoreConfig::from_broker_config(&config)).expect("recover");
    store.start().expect("start store");
    let report = store
        .check_consistency()
        .expect("commit log, consume queues and index agree");
    assert!(report.records >= acknowledged.len() as u64, "{report:?}");
    let mut seen = HashSet::new();
    for (key, msg_id) in &acknowledged {
        let (_, offset) = decode_offset_msg_id(msg_id).expect("offset msg id");
        let raw = store
            .look_message_by_offset(offset)
            .unwrap_or_else(|| panic!("acknowledged message {key} at {offset} lost"));
        let RecordRead::Message(record, _) = decode_record(&raw, true) else {
            panic!("acknowledged message {key} at {offset} is not a valid record");
        };
        assert_eq!(record.property("KEYS"), Some(key.as_str()));
        assert_eq!(record.body, format!("body of {key}").into_bytes());
        assert!(seen.insert(offset));
    }
    store.shutdown();
    drop(store);

    // And the broker itself restarts on that store and serves it.
    broker.restart();
    let mut client = broker.client();
    let total: i64 = (0..4)
        .map(|queue| {
            client
                .call_code(
                    30,
                    &[("topic", "CrashTopic"), ("queueId", &queue.to_string())],
                )
                .ext("offset")
                .and_then(|o| o.parse::<i64>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert!(
        total >= acknowledged.len() as i64,
        "queues hold {total} < {} acknowledged",
        acknowledged.len()
    );
}
