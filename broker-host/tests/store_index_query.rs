//! QUERY_MESSAGE through the index: KEYS and UNIQ_KEY lookups, time
//! windows, result caps, index files rolling over, after restarts.

mod store_support;

use broker_host::store::SimIo;
use plugin_api::message::{decode_records, properties};
use store_support::*;

#[test]
fn keys_and_unique_keys_are_found() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    store.start().unwrap();
    let mut offsets = Vec::new();
    for i in 0..40 {
        let p = props(
            Some("t"),
            Some(&format!("order-{} shared", i % 10)),
            Some(&format!("UNIQ-{i}")),
        );
        let r = store.put_message(&msg("Idx", 0, &body(i, 50), &p));
        offsets.push(r.wrote_offset);
    }
    store.wait_dispatched().unwrap();
    let q = store.query_message("Idx", "UNIQ-17", 32, 0, i64::MAX);
    assert_eq!(q.message_count, 1);
    let recs = decode_records(&q.body);
    assert_eq!(recs[0].header.physical_offset, offsets[17]);
    assert_eq!(recs[0].property(properties::UNIQ_KEY), Some("UNIQ-17"));
    assert!(q.index_last_update_phyoffset >= offsets[39]);
    assert!(q.index_last_update_timestamp > 0);
    // Each KEYS value is indexed.
    let q = store.query_message("Idx", "order-3", 32, 0, i64::MAX);
    assert_eq!(q.message_count, 4);
    // Results are capped by max_num.
    assert_eq!(
        store
            .query_message("Idx", "shared", 5, 0, i64::MAX)
            .message_count,
        5
    );
    assert_eq!(
        store
            .query_message("Idx", "shared", 1000, 0, i64::MAX)
            .message_count,
        40
    );
    // Another topic with the same key is not mixed in; unknown keys find nothing.
    assert_eq!(
        store
            .query_message("Other", "order-3", 32, 0, i64::MAX)
            .message_count,
        0
    );
    assert_eq!(
        store
            .query_message("Idx", "nope", 32, 0, i64::MAX)
            .message_count,
        0
    );
    // A time window before everything finds nothing.
    assert_eq!(
        store
            .query_message("Idx", "UNIQ-1", 32, 0, 1000)
            .message_count,
        0
    );
    store.shutdown();
}

#[test]
fn index_files_roll_and_survive_restart() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    {
        let store = open_sim(cfg.clone(), &io);
        store.start().unwrap();
        // 256 entries per file, 2 keys per message: several files.
        for i in 0..400 {
            let p = props(None, Some(&format!("key-{i}")), Some(&format!("U{i}")));
            assert!(store.put_message(&msg("Roll", 0, &body(i, 20), &p)).is_ok());
        }
        store.wait_dispatched().unwrap();
        store.shutdown();
    }
    let index_files = io
        .file_paths()
        .into_iter()
        .filter(|p| p.starts_with(cfg.index_dir()))
        .count();
    assert!(index_files >= 3, "{index_files} index files");
    let store = open_sim(cfg, &io);
    for i in (0..400).step_by(13) {
        assert_eq!(
            store
                .query_message("Roll", &format!("key-{i}"), 4, 0, i64::MAX)
                .message_count,
            1,
            "key-{i}"
        );
        assert_eq!(
            store
                .query_message("Roll", &format!("U{i}"), 4, 0, i64::MAX)
                .message_count,
            1,
            "U{i}"
        );
    }
    store.check_consistency().unwrap();
}

#[test]
fn disabled_index_answers_nothing() {
    let io = SimIo::new();
    let mut cfg = config(sim_root());
    cfg.message_index_enable = false;
    let store = open_sim(cfg, &io);
    let p = props(None, Some("k"), None);
    assert!(store.put_message(&msg("T", 0, b"x", &p)).is_ok());
    store.wait_dispatched().unwrap();
    assert_eq!(
        store.query_message("T", "k", 4, 0, i64::MAX).message_count,
        0
    );
    store.check_consistency().unwrap();
}

/// `DefaultMessageStore.queryMessage` sorts the physical offsets ascending
/// (`Collections.sort`) before reading: oldest first, also when `maxNum`
/// keeps only the newest hits.
#[test]
fn query_results_come_oldest_first() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    store.start().unwrap();
    let mut offsets = Vec::new();
    for i in 0..6 {
        let p = props(Some("t"), Some("same-key"), Some(&format!("U-{i}")));
        offsets.push(
            store
                .put_message(&msg("Ord", 0, &body(i, 20), &p))
                .wrote_offset,
        );
    }
    store.wait_dispatched().unwrap();
    let q = store.query_message("Ord", "same-key", 32, 0, i64::MAX);
    let got: Vec<i64> = decode_records(&q.body)
        .iter()
        .map(|r| r.header.physical_offset)
        .collect();
    assert_eq!(got, offsets);
    let q = store.query_message("Ord", "same-key", 2, 0, i64::MAX);
    let got: Vec<i64> = decode_records(&q.body)
        .iter()
        .map(|r| r.header.physical_offset)
        .collect();
    assert_eq!(got, offsets[4..].to_vec());
    store.shutdown();
}
