//! File deletion (fileReservedTime, manual trigger, disk ratios) and the
//! disk-full state: writes refused, nothing corrupted.

mod store_support;

use std::time::{Duration, SystemTime};

use broker_host::store::{GetMessageStatus, MessageFilter, PutMessageStatus, SimIo, StoreConfig};
use store_support::*;

fn age_all(io: &SimIo, hours: u64) {
    let old = SystemTime::now() - Duration::from_secs(hours * 3600);
    for p in io.file_paths() {
        let _ = io.set_modified(&p, old);
    }
}

fn cfg() -> StoreConfig {
    let mut c = config(sim_root());
    c.file_reserved_time_hours = 1;
    c.delete_when = String::new();
    c
}

#[test]
fn expired_files_are_deleted_on_trigger() {
    let io = SimIo::new();
    let cfg = cfg();
    let store = open_sim(cfg.clone(), &io);
    for i in 0..600 {
        let p = props(None, Some(&format!("k{i}")), None);
        assert!(store.put_message(&msg("D", 0, &body(i, 400), &p)).is_ok());
    }
    store.wait_dispatched().unwrap();
    let cl_files = |io: &SimIo| {
        io.file_paths()
            .iter()
            .filter(|p| p.starts_with(&cfg.commit_log_dir))
            .count()
    };
    let before = cl_files(&io);
    assert!(before >= 4);
    // Not the hour, disk fine, not old enough: nothing happens.
    let r = store.clean_now();
    assert!(!r.deletion_due);
    assert_eq!(cl_files(&io), before);
    store.trigger_delete_files();
    let r = store.clean_now();
    assert!(r.deletion_due);
    assert_eq!(
        r.commit_log_files_deleted, 0,
        "files are younger than fileReservedTime"
    );
    // Old enough now: all but the newest go.
    age_all(&io, 2);
    let r = store.clean_now();
    assert_eq!(r.commit_log_files_deleted, before - 1);
    assert_eq!(cl_files(&io), 1);
    assert!(r.consume_queue_files_deleted > 0);
    let min_phy = store.min_phy_offset();
    assert!(min_phy > 0);
    let min_q = store.min_offset_in_queue("D", 0);
    assert!(min_q > 0);
    let got = store.get_message("g", "D", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(got.next_begin_offset, min_q);
    let got = store.get_message("g", "D", 0, min_q, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.status, GetMessageStatus::Found);
    assert!(store.offset_in_queue_by_time("D", 0, 0) >= min_q);
    store.check_consistency().unwrap();
    // Still writable and consistent after a restart.
    store.shutdown();
    drop(store);
    let store = open_sim(cfg, &io);
    assert_eq!(store.min_offset_in_queue("D", 0), min_q);
    assert!(store.put_message(&msg("D", 0, b"more", "")).is_ok());
    store.check_consistency().unwrap();
}

#[test]
fn disk_full_refuses_writes_until_space_returns() {
    let io = SimIo::new();
    let cfg = cfg();
    let store = open_sim(cfg, &io);
    store.start().unwrap();
    for i in 0..300 {
        assert!(store.put_message(&msg("F", 0, &body(i, 400), "")).is_ok());
    }
    store.wait_dispatched().unwrap();
    io.set_disk_usage(0.95);
    let r = store.clean_now();
    assert!(r.disk_full);
    assert!(r.deletion_due);
    assert!(
        r.cleaned_forcibly,
        "above the forcible ratio files go regardless of age"
    );
    assert!(r.commit_log_files_deleted > 0);
    assert!(!store.is_writeable());
    let refused = store.put_message(&msg("F", 0, b"x", ""));
    assert_eq!(refused.status, PutMessageStatus::ServiceNotAvailable);
    // 80 %: above diskMaxUsedSpaceRatio (75) but below the forcible ratio (85): writable again.
    io.set_disk_usage(0.80);
    let r = store.clean_now();
    assert!(!r.disk_full);
    assert!(r.deletion_due);
    assert!(store.is_writeable());
    assert!(store.put_message(&msg("F", 0, b"y", "")).is_ok());
    store.check_consistency().unwrap();
    store.shutdown();
}

#[test]
fn no_space_for_a_new_file_fails_cleanly() {
    let io = SimIo::new();
    let cfg = cfg();
    let store = open_sim(cfg.clone(), &io);
    // Room for what exists now plus a little: the next commit-log file cannot be created.
    let p = props(None, Some("k"), None);
    assert!(store.put_message(&msg("N", 0, b"first", &p)).is_ok());
    store.wait_dispatched().unwrap();
    let used: u64 = io
        .file_paths()
        .iter()
        .filter_map(|p| io.durable_content(p).map(|c| c.len() as u64))
        .sum();
    io.set_capacity(Some(used + 1000));
    let mut stored = 1;
    let mut failed = None;
    for i in 0..200 {
        let r = store.put_message(&msg("N", 0, &body(i, 1000), &p));
        if r.is_ok() {
            stored += 1;
        } else {
            failed = Some(r.status);
            break;
        }
    }
    assert_eq!(failed, Some(PutMessageStatus::CreateMappedFileFailed));
    assert!(store.is_disk_full());
    assert_eq!(
        store.put_message(&msg("N", 0, b"x", &p)).status,
        PutMessageStatus::ServiceNotAvailable
    );
    store.wait_dispatched().unwrap();
    assert_eq!(read_all(&store, "N", 0, 0).len(), stored);
    store.check_consistency().unwrap();
    store.shutdown();
    drop(store);
    io.set_capacity(None);
    let store = open_sim(cfg, &io);
    assert!(store.put_message(&msg("N", 0, b"after", &p)).is_ok());
    store.check_consistency().unwrap();
}

/// DELETE_TOPIC's store part (`deleteTopics`): the topic's consume-queue
/// files and directory go, its queue offsets restart at 0, other topics are
/// untouched, and new messages for the name dispatch into fresh queues.
#[test]
fn deleting_a_topic_removes_its_consume_queues() {
    use std::sync::Arc;

    use broker_host::store::{DefaultMessageStore, FsIo};

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = DefaultMessageStore::open_with_io(cfg.clone(), Arc::new(FsIo)).unwrap();
    store.start().unwrap();
    let p = props(None, None, None);
    for i in 0..10 {
        assert!(store
            .put_message(&msg("Gone", i % 2, &body(i as usize, 100), &p))
            .is_ok());
        assert!(store
            .put_message(&msg("Kept", 0, &body(i as usize, 100), &p))
            .is_ok());
    }
    store.wait_dispatched().unwrap();
    let gone_dir = cfg.consume_queue_dir().join("Gone");
    assert!(gone_dir.exists());

    assert_eq!(store.delete_topic("Gone"), 2);
    assert!(!gone_dir.exists(), "consume-queue directory removed");
    assert_eq!(store.max_offset_in_queue("Gone", 0), 0);
    assert_eq!(store.max_offset_in_queue("Kept", 0), 10);
    assert_eq!(store.delete_topic("Gone"), 0, "nothing left to delete");

    let r = store.put_message(&msg("Gone", 0, b"again", &p));
    assert!(r.is_ok());
    assert_eq!(r.queue_offset, 0, "queue offsets restart after the delete");
    store.wait_dispatched().unwrap();
    let got = store.get_message("g", "Gone", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.message_count, 1);
    let kept = store.get_message("g", "Kept", 0, 0, 32, 1 << 20, &MessageFilter::All);
    assert_eq!(kept.message_count, 10);
    store.shutdown();
}
