//! The clean-ups mqadmin asks for (CLEAN_EXPIRED_CONSUMEQUEUE,
//! CLEAN_UNUSED_TOPIC): `cleanExpiredConsumerQueue` destroys the consume
//! queues whose messages have all left the commit log, `cleanUnusedTopic`
//! the queues of topics without a config; both delete the files.

mod store_support;

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use broker_host::store::{GetMessageStatus, MessageFilter, SimIo, StoreConfig};
use store_support::*;

fn cfg() -> StoreConfig {
    let mut c = config(sim_root());
    c.file_reserved_time_hours = 1;
    c.delete_when = String::new();
    c
}

fn queue_files(io: &SimIo, cfg: &StoreConfig, topic: &str, queue_id: i32) -> usize {
    let dir = cfg.consume_queue_path(topic, queue_id);
    io.file_paths()
        .iter()
        .filter(|p| p.starts_with(&dir))
        .count()
}

#[test]
fn expired_consume_queues_are_destroyed_and_live_ones_kept() {
    let io = SimIo::new();
    let cfg = cfg();
    let store = open_sim(cfg.clone(), &io);
    for i in 0..300 {
        assert!(store.put_message(&msg("Old", 0, &body(i, 400), "")).is_ok());
    }
    // Enough after them that the newest commit-log file holds only "New".
    for i in 0..300 {
        assert!(store.put_message(&msg("New", 0, &body(i, 400), "")).is_ok());
    }
    store.wait_dispatched().unwrap();
    // Nothing has expired yet: both queues stay.
    assert_eq!(store.clean_expired_consume_queues(), 0);
    assert_eq!(store.max_offset_in_queue("Old", 0), 300);

    // Age the files and delete all commit-log files but the newest.
    let old = SystemTime::now() - Duration::from_secs(2 * 3600);
    for p in io.file_paths() {
        let _ = io.set_modified(&p, old);
    }
    store.trigger_delete_files();
    store.clean_now();
    assert!(queue_files(&io, &cfg, "Old", 0) > 0, "the last file stays");
    let new_min = store.min_offset_in_queue("New", 0);

    assert_eq!(store.clean_expired_consume_queues(), 1);
    assert_eq!(queue_files(&io, &cfg, "Old", 0), 0, "Old's files deleted");
    assert_eq!(store.max_offset_in_queue("Old", 0), 0);
    assert_eq!(store.min_offset_in_queue("New", 0), new_min);
    assert_eq!(store.max_offset_in_queue("New", 0), 300);
    let got = store.get_message("g", "New", 0, 299, 1, 1 << 20, &MessageFilter::All);
    assert_eq!(got.status, GetMessageStatus::Found);
    // Running it again finds nothing more.
    assert_eq!(store.clean_expired_consume_queues(), 0);
    // The queue starts over from offset 0 (Java forgets its queue offset).
    assert!(store.put_message(&msg("Old", 0, b"again", "")).is_ok());
    store.wait_dispatched().unwrap();
    assert_eq!(store.max_offset_in_queue("Old", 0), 1);
    store.check_consistency().unwrap();
}

#[test]
fn unused_topics_lose_their_queues_but_system_and_lmq_topics_stay() {
    let io = SimIo::new();
    let cfg = cfg();
    let store = open_sim(cfg.clone(), &io);
    for (topic, queue_id) in [
        ("Gone", 0),
        ("Gone", 1),
        ("Kept", 0),
        ("rmq_sys_wheel_timer", 0),
        ("%LMQ%lite", 0),
    ] {
        for i in 0..3 {
            assert!(store
                .put_message(&msg(topic, queue_id, &body(i, 50), ""))
                .is_ok());
        }
    }
    store.wait_dispatched().unwrap();
    assert!(queue_files(&io, &cfg, "Gone", 0) > 0);

    let retain: HashSet<String> = ["Kept".to_owned()].into();
    assert_eq!(store.clean_unused_topics(&retain), 2, "Gone's two queues");
    assert_eq!(queue_files(&io, &cfg, "Gone", 0), 0);
    assert_eq!(queue_files(&io, &cfg, "Gone", 1), 0);
    assert_eq!(store.max_offset_in_queue("Gone", 0), 0);
    for topic in ["Kept", "rmq_sys_wheel_timer", "%LMQ%lite"] {
        assert_eq!(store.max_offset_in_queue(topic, 0), 3, "{topic}");
        assert!(queue_files(&io, &cfg, topic, 0) > 0, "{topic}");
    }
    assert_eq!(store.clean_unused_topics(&retain), 0);
}
