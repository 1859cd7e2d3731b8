//! Abnormal recovery from the checkpoint's recovery point: after a crash the
//! store re-reads only the records past the last checkpoint (counted, not
//! timed), still CRC-checks and truncates them, and leaves commit log,
//! consume queues and index consistent — after a process kill (page cache
//! intact) and after a power loss (unflushed pages lost or torn).

mod store_support;

use std::sync::Arc;
use std::time::Duration;

use broker_host::store::{CrashMode, DefaultMessageStore, SimIo, StorageIo, StoreConfig};
use store_support::*;

const TOPIC: &str = "Ckpt";

fn key(i: usize) -> String {
    format!("key-{i}")
}

/// One commit-log file large enough for every test here, so that Java's
/// rule (replay from the start of the file holding the checkpoint time)
/// would re-read everything.
fn one_file_config(sync: bool) -> StoreConfig {
    let mut cfg = if sync {
        sync_config(sim_root())
    } else {
        config(sim_root())
    };
    cfg.mapped_file_size_commit_log = 8 << 20;
    cfg.checkpoint_interval = Duration::from_secs(3600);
    cfg.flush_consume_queue_thorough_interval = Duration::from_secs(3600);
    cfg
}

fn put(store: &DefaultMessageStore, i: usize) {
    let p = props(Some("t"), Some(&key(i)), Some(&format!("UNIQ{i}")));
    let r = store.put_message(&msg(TOPIC, (i % 4) as i32, &body(i, 200), &p));
    assert!(r.is_ok(), "put {i}: {:?}", r.status);
}

/// Marks the store as running without starting its threads (what
/// `start()` does to the `abort` file), so each checkpoint in these tests
/// is one the test asked for.
fn mark_running(io: &SimIo, cfg: &StoreConfig) {
    io.create_marker(&cfg.abort_path()).unwrap();
}

fn total_messages(store: &DefaultMessageStore) -> usize {
    (0..4).map(|q| read_all(store, TOPIC, q, 0).len()).sum()
}

/// Messages `0..n` are readable from their queues, in order; the first
/// `keyed` of them are found once by key, messages `n..up_to` not at all.
fn assert_exactly(store: &DefaultMessageStore, n: usize, keyed: usize, up_to: usize) {
    let mut bodies = Vec::new();
    for q in 0..4 {
        for (offset, r) in read_all(store, TOPIC, q, 0).into_iter().enumerate() {
            assert_eq!(r.header.queue_offset, offset as i64);
            bodies.push(r.body);
        }
    }
    assert_eq!(bodies.len(), n);
    for i in 0..n {
        assert!(bodies.contains(&body(i, 200)), "message {i} lost");
    }
    for i in (0..keyed).chain(n..up_to) {
        let found = store.query_message(TOPIC, &key(i), 8, 0, i64::MAX);
        let expected = i32::from(i < n);
        assert_eq!(
            found.message_count,
            expected,
            "index finds {} {expected} times?",
            key(i)
        );
    }
    store.check_consistency().unwrap();
}

fn assert_all_readable(store: &DefaultMessageStore, n: usize) {
    assert_exactly(store, n, n, n);
}

#[test]
fn a_kill_replays_only_the_records_after_the_checkpoint() {
    let io = SimIo::new();
    let cfg = one_file_config(false);
    let store = open_sim(cfg.clone(), &io);
    mark_running(&io, &cfg);
    for i in 0..2_000 {
        put(&store, i);
    }
    store.flush_all().unwrap();
    for i in 2_000..2_050 {
        put(&store, i);
    }
    store.wait_dispatched().unwrap();
    store.halt();
    let killed = io.crash(CrashMode::ProcessKill);
    drop(store);

    let store = open_sim(cfg, &killed);
    let report = store.recovery_report();
    assert!(report.abnormal && report.from_recovery_point, "{report:?}");
    // The checkpoint's last record again, then the 50 after it.
    assert_eq!(report.records_walked, 51, "{report:?}");
    assert_eq!(report.index_records_walked, 0, "{report:?}");
    assert_all_readable(&store, 2_050);
}

#[test]
fn records_past_the_checkpoint_are_still_crc_checked_and_truncated() {
    let io = SimIo::new();
    let cfg = one_file_config(false);
    let store = open_sim(cfg.clone(), &io);
    mark_running(&io, &cfg);
    for i in 0..300 {
        put(&store, i);
    }
    store.flush_all().unwrap();
    let mut offsets = Vec::new();
    for i in 300..340 {
        offsets.push(store.max_phy_offset());
        put(&store, i);
    }
    store.flush_all().unwrap();
    // A later checkpoint must not be the one this test recovers from:
    // take the crash image now, while the newest checkpoint covers 340,
    // then flip a bit in the body of message 310 and put the first
    // checkpoint back by hand (a torn write of the second one).
    store.halt();
    let crashed = io.crash(CrashMode::KeepAll);
    drop(store);
    let log = cfg.commit_log_dir.join("00000000000000000000");
    let mut content = crashed.durable_content(&log).unwrap();
    content[offsets[10] as usize + 150] ^= 0x10;
    crashed.put_file(&log, content);
    let checkpoint = cfg.checkpoint_path();
    let mut cp = crashed.durable_content(&checkpoint).unwrap();
    // Slot of the newest point (sequence 2 → the slot at 512).
    cp[512 + 40] ^= 0xFF;
    crashed.put_file(&checkpoint, cp);

    let store = open_sim(cfg, &crashed);
    let report = store.recovery_report();
    assert!(report.from_recovery_point, "{report:?}");
    // From message 299 (the older point's last record) up to 310, which
    // fails its CRC: 299 and 300..=309 are valid.
    assert_eq!(report.records_walked, 11, "{report:?}");
    assert_eq!(report.recovered_to, offsets[10]);
    assert_eq!(total_messages(&store), 310);
    store.check_consistency().unwrap();
}

#[test]
fn a_recovery_point_whose_record_is_gone_falls_back_to_the_timestamps() {
    let io = SimIo::new();
    let cfg = one_file_config(false);
    let store = open_sim(cfg.clone(), &io);
    mark_running(&io, &cfg);
    for i in 0..99 {
        put(&store, i);
    }
    let last = store.max_phy_offset();
    put(&store, 99);
    store.flush_all().unwrap();
    store.halt();
    let crashed = io.crash(CrashMode::KeepAll);
    drop(store);
    // Damage the body of the last record (the one the recovery point names).
    let log = cfg.commit_log_dir.join("00000000000000000000");
    let mut content = crashed.durable_content(&log).unwrap();
    content[last as usize + 150] ^= 0x01;
    crashed.put_file(&log, content);

    let store = open_sim(cfg, &crashed);
    let report = store.recovery_report();
    assert!(report.abnormal && !report.from_recovery_point, "{report:?}");
    assert_eq!(report.walk_from, 0);
    assert_eq!(total_messages(&store), 99);
    store.check_consistency().unwrap();
}

/// A kill while the index file the checkpoint names, and newer ones, take
/// keys: the named file is rolled back (chains unwound on the same boot,
/// slots rebuilt after a machine restart) and newer ones are rebuilt from
/// the replay, every key found exactly once.
fn index_roll_back(mode: CrashMode) {
    let io = SimIo::new();
    let mut cfg = one_file_config(false);
    // 64 slots, 256 entries per index file (two keys per message): chains
    // collide and files fill during the test.
    cfg.max_hash_slot_num = 64;
    cfg.max_index_num = 256;
    let store = open_sim(cfg.clone(), &io);
    mark_running(&io, &cfg);
    for i in 0..300 {
        put(&store, i);
    }
    store.flush_all().unwrap();
    for i in 300..420 {
        put(&store, i);
    }
    store.wait_dispatched().unwrap();
    store.halt();
    let crashed = io.crash(mode);
    drop(store);

    let store = open_sim(cfg, &crashed);
    let report = store.recovery_report();
    assert!(report.from_recovery_point, "{mode:?}: {report:?}");
    let survived = total_messages(&store);
    if matches!(mode, CrashMode::ProcessKill | CrashMode::KeepAll) {
        assert_eq!(report.records_walked, 121, "{mode:?}: {report:?}");
        assert_eq!(survived, 420);
    } else {
        // The commit log after the checkpoint was never flushed: lost or
        // torn, truncated at the first bad record.
        assert!((300..=420).contains(&survived), "{mode:?}: {survived}");
        assert_eq!(report.records_walked as usize, survived - 299, "{mode:?}");
    }
    // Past the checkpoint a torn page can cut the properties of the last
    // surviving record and leave its body (all the CRC covers, as in Java)
    // intact: its keys are gone. Only the checkpointed keys are certain.
    let keyed = if matches!(mode, CrashMode::Torn { .. }) {
        300
    } else {
        survived
    };
    assert_exactly(&store, survived, keyed, 420);
}

#[test]
fn index_after_a_kill_unwinds_chains() {
    index_roll_back(CrashMode::ProcessKill);
}

#[test]
fn index_after_a_power_loss_rebuilds_slots() {
    index_roll_back(CrashMode::KeepAll);
    index_roll_back(CrashMode::LoseUnflushed);
    for seed in 1..=6u64 {
        index_roll_back(CrashMode::Torn {
            seed: seed * 104_729,
        });
    }
}

/// SYNC_FLUSH with the checkpoint thread running every 10 ms, then a
/// power loss with unflushed pages lost or torn: every acknowledged message
/// survives and recovery starts from a recovery point.
fn power_loss_with_running_checkpoints(mode: CrashMode) {
    let io = SimIo::new();
    let mut cfg = one_file_config(true);
    cfg.checkpoint_interval = Duration::from_millis(10);
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    let acked = 400;
    for i in 0..acked {
        put(&store, i);
        if i % 100 == 99 {
            // Let the checkpoint thread run between batches.
            std::thread::sleep(Duration::from_millis(30));
        }
    }
    // And one checkpoint known to cover every acknowledged message.
    store.flush_all().unwrap();
    io.stall_flushes(true);
    for i in acked..acked + 60 {
        let b = body(i, 200);
        let p = props(Some("t"), Some(&key(i)), None);
        let mut m = msg(TOPIC, (i % 4) as i32, &b, &p);
        m.wait_store = false;
        assert!(store.put_message(&m).is_ok());
    }
    let crashed = io.crash(mode);
    io.stall_flushes(false);
    store.halt();
    drop(store);

    let store = open_sim(cfg, &crashed);
    let report = store.recovery_report();
    assert!(report.from_recovery_point, "{mode:?}: {report:?}");
    assert!(
        report.records_walked <= 61,
        "{mode:?}: replayed from before the last checkpoint: {report:?}"
    );
    let total = total_messages(&store);
    assert!(
        (acked..=acked + 60).contains(&total),
        "{mode:?}: {total} messages"
    );
    for i in 0..acked {
        let q = store.query_message(TOPIC, &key(i), 8, 0, i64::MAX);
        assert_eq!(q.message_count, 1, "{mode:?}: lost {}", key(i));
    }
    store.check_consistency().unwrap();
}

#[test]
fn power_loss_keeps_every_acknowledged_message() {
    power_loss_with_running_checkpoints(CrashMode::LoseUnflushed);
    for seed in 1..=6u64 {
        power_loss_with_running_checkpoints(CrashMode::Torn { seed: seed * 7_919 });
    }
}

/// After a kill the dead process's unflushed pages are still dirty; the
/// first checkpoint after the restart must flush them before it records a
/// point past them, or a power loss soon after loses what it claims.
#[test]
fn the_first_checkpoint_after_a_kill_flushes_what_the_dead_process_left() {
    let io = SimIo::new();
    let cfg = one_file_config(false);
    let store = open_sim(cfg.clone(), &io);
    mark_running(&io, &cfg);
    for i in 0..200 {
        put(&store, i);
    }
    store.wait_dispatched().unwrap();
    store.halt();
    let killed = io.crash(CrashMode::ProcessKill);
    drop(store);

    let store = open_sim(cfg.clone(), &killed);
    assert_eq!(total_messages(&store), 200);
    mark_running(&killed, &cfg);
    store.flush_all().unwrap();
    store.halt();
    let power_loss = killed.crash(CrashMode::LoseUnflushed);
    drop(store);

    let store = open_sim(cfg, &power_loss);
    assert!(store.recovery_report().from_recovery_point);
    assert_all_readable(&store, 200);
}

/// A clean shutdown leaves a recovery point too: a kill right after the
/// next start (before its first checkpoint) replays nothing old.
#[test]
fn a_clean_shutdown_leaves_a_recovery_point() {
    let io = SimIo::new();
    let cfg = one_file_config(false);
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    for i in 0..500 {
        put(&store, i);
    }
    store.shutdown();
    drop(store);
    let store: Arc<DefaultMessageStore> = open_sim(cfg.clone(), &io);
    assert!(!store.recovery_report().abnormal);
    mark_running(&io, &cfg);
    store.halt();
    let killed = io.crash(CrashMode::ProcessKill);
    drop(store);

    let store = open_sim(cfg, &killed);
    let report = store.recovery_report();
    assert!(report.from_recovery_point, "{report:?}");
    assert_eq!(report.records_walked, 1, "{report:?}");
    assert_all_readable(&store, 500);
}
