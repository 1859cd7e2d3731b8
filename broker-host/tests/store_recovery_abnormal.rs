//! Abnormal recovery after simulated crashes (SimIo): lost unflushed bytes,
//! torn pages. Every acknowledged (flushed) message survives and the store is
//! consistent after reopening.

mod store_support;

use broker_host::store::{CrashMode, SimIo};
use store_support::*;

fn key(i: usize) -> String {
    format!("k{i}")
}

/// Puts `acked` messages with SYNC_FLUSH (acknowledged = flushed), then
/// `extra` unacknowledged ones, crashes, reopens, checks.
fn crash_and_check(mode: CrashMode, acked: usize, extra: usize) {
    let io = SimIo::new();
    let cfg = sync_config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    for i in 0..acked {
        let b = body(i, 300);
        let p = props(Some("a"), Some(&key(i)), Some(&format!("U{i}")));
        let r = store.put_message(&msg("Crash", (i % 3) as i32, &b, &p));
        assert!(r.is_ok(), "{:?}", r.status);
    }
    io.stall_flushes(true);
    for i in acked..acked + extra {
        let b = body(i, 300);
        let p = props(Some("b"), Some(&key(i)), None);
        let mut m = msg("Crash", (i % 3) as i32, &b, &p);
        m.wait_store = false;
        assert!(store.put_message(&m).is_ok());
    }
    let crashed = io.crash(mode);
    io.stall_flushes(false);
    store.halt();
    drop(store);

    let store = open_sim(cfg.clone(), &crashed);
    let mut total = 0;
    for q in 0..3 {
        let recs = read_all(&store, "Crash", q, 0);
        for (n, r) in recs.iter().enumerate() {
            assert_eq!(r.header.queue_offset, n as i64);
        }
        total += recs.len();
    }
    assert!(
        total >= acked,
        "{mode:?}: lost acknowledged messages: {total} < {acked}"
    );
    assert!(total <= acked + extra);
    for i in (0..acked).step_by(7) {
        let q = store.query_message("Crash", &key(i), 4, 0, i64::MAX);
        assert_eq!(q.message_count, 1, "{mode:?}: index lost {}", key(i));
    }
    store.check_consistency().unwrap();
    // The store keeps working, and a second crash right after is fine too.
    store.start().unwrap();
    let p = props(None, Some("after"), None);
    assert!(store
        .put_message(&msg("Crash", 0, b"after-crash", &p))
        .is_ok());
    let again = crashed.crash(CrashMode::LoseUnflushed);
    store.halt();
    drop(store);
    let store = open_sim(cfg, &again);
    store.check_consistency().unwrap();
    assert_eq!(
        store
            .query_message("Crash", "after", 4, 0, i64::MAX)
            .message_count,
        1
    );
}

#[test]
fn lost_unflushed_tail() {
    crash_and_check(CrashMode::LoseUnflushed, 200, 50);
}

#[test]
fn torn_pages() {
    for seed in 1..=8u64 {
        crash_and_check(CrashMode::Torn { seed: seed * 7919 }, 150, 60);
    }
}

#[test]
fn everything_written_survives_a_crash() {
    crash_and_check(CrashMode::KeepAll, 100, 100);
}

#[test]
fn async_flush_crash_keeps_what_was_flushed() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    for i in 0..100 {
        let p = props(None, Some(&key(i)), None);
        assert!(store.put_message(&msg("A", 0, &body(i, 100), &p)).is_ok());
    }
    store.flush_all().unwrap();
    let flushed = store.flushed_phy_offset();
    assert_eq!(flushed, store.max_phy_offset());
    store.halt();
    let crashed = io.crash(CrashMode::LoseUnflushed);
    drop(store);
    let store = open_sim(cfg, &crashed);
    assert_eq!(store.max_offset_in_queue("A", 0), 100);
    assert_eq!(store.max_phy_offset(), flushed);
    store.check_consistency().unwrap();
}

#[test]
fn truncated_garbage_is_not_resurrected() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    for i in 0..40 {
        let p = props(None, None, None);
        assert!(store.put_message(&msg("G", 0, &body(i, 200), &p)).is_ok());
    }
    store.flush_all().unwrap();
    let good_end = store.max_phy_offset();
    // 40 more records reach the disk, but the first of them is torn: recovery
    // truncates at good_end and must zero what follows.
    for i in 40..80 {
        let p = props(None, None, None);
        assert!(store.put_message(&msg("G", 0, &body(i, 200), &p)).is_ok());
    }
    store.halt();
    let crashed = io.crash(CrashMode::KeepAll);
    drop(store);
    let first = cfg.commit_log_dir.join("00000000000000000000");
    let mut content = crashed.durable_content(&first).unwrap();
    content[good_end as usize + 100] ^= 0xFF;
    crashed.put_file(&first, content);
    let store = open_sim(cfg.clone(), &crashed);
    assert_eq!(store.max_phy_offset(), good_end);
    assert_eq!(store.max_offset_in_queue("G", 0), 40);
    // One short record, then crash with everything kept: the old records after
    // it must not come back.
    let p = props(None, None, None);
    assert!(store.put_message(&msg("G", 0, b"short", &p)).is_ok());
    store.flush_all().unwrap();
    store.halt();
    let again = crashed.crash(CrashMode::KeepAll);
    drop(store);
    let store = open_sim(cfg, &again);
    assert_eq!(store.max_offset_in_queue("G", 0), 41);
    store.check_consistency().unwrap();
}
