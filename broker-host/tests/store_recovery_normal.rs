//! Normal (clean-shutdown) recovery: everything comes back, queue offsets
//! continue, consume queues that lag are rebuilt, ones that run ahead are cut.

mod store_support;

use std::sync::Arc;

use broker_host::store::{DefaultMessageStore, FsIo, SimIo, StoreError};
use store_support::*;

fn fill(store: &DefaultMessageStore, n: usize, start: usize) {
    for i in start..start + n {
        let b = body(i, 700);
        let p = props(
            Some("tag"),
            Some(&format!("key-{i}")),
            Some(&format!("UNIQ{i:028}")),
        );
        assert!(store.put_message(&msg("R", (i % 2) as i32, &b, &p)).is_ok());
    }
}

#[test]
fn reopen_after_clean_shutdown_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    {
        let store = DefaultMessageStore::open_with_io(cfg.clone(), Arc::new(FsIo)).unwrap();
        store.start().unwrap();
        fill(&store, 400, 0);
        store.shutdown();
        store.shutdown();
        assert!(
            !dir.path().join("abort").exists(),
            "clean shutdown removes abort"
        );
    }
    let store = DefaultMessageStore::open(cfg.clone()).unwrap();
    store.start().unwrap();
    assert!(dir.path().join("abort").exists());
    assert_eq!(store.max_offset_in_queue("R", 0), 200);
    assert_eq!(store.max_offset_in_queue("R", 1), 200);
    let recs = read_all(&store, "R", 1, 0);
    assert_eq!(recs.len(), 200);
    assert_eq!(recs[199].body, body(399, 700));
    // Offsets continue where they were.
    let p = props(None, None, None);
    let r = store.put_message(&msg("R", 0, b"after", &p));
    assert_eq!(r.queue_offset, 200);
    assert_eq!(
        store
            .query_message("R", "key-5", 10, 0, i64::MAX)
            .message_count,
        1
    );
    store.check_consistency().unwrap();
    // A second instance cannot open the locked store.
    match DefaultMessageStore::open(cfg.clone()) {
        Err(StoreError::LockHeld { .. }) => {}
        other => panic!("expected LockHeld, got {other:?}"),
    }
    store.shutdown();
    // Released on shutdown.
    DefaultMessageStore::open(cfg).unwrap().shutdown();
}

#[test]
fn lagging_consume_queue_is_rebuilt_on_open() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    {
        let store = open_sim(cfg.clone(), &io);
        store.start().unwrap();
        fill(&store, 300, 0);
        store.shutdown();
    }
    // Lose the last consume-queue file of both queues (entries 100..150): the
    // reput catch-up from the highest consume-queue end rebuilds them.
    use broker_host::store::StorageIo;
    for q in 0..2 {
        io.remove_file(&cfg.consume_queue_path("R", q).join("00000000000000002000"))
            .unwrap();
    }
    let store = open_sim(cfg.clone(), &io);
    for q in 0..2 {
        assert_eq!(store.max_offset_in_queue("R", q), 150);
        assert_eq!(read_all(&store, "R", q, 0).len(), 150);
    }
    store.check_consistency().unwrap();
}

#[test]
fn consume_queue_ahead_of_commit_log_is_truncated() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    let last_offset;
    {
        let store = open_sim(cfg.clone(), &io);
        fill(&store, 50, 0);
        store.wait_dispatched().unwrap();
        last_offset = store.max_phy_offset();
        store.shutdown();
    }
    // Damage the last record's body: normal recovery truncates before it (CRC),
    // and the consume queue entry pointing at it must go too.
    assert!(last_offset < 64 * 1024);
    let first = cfg.commit_log_dir.join("00000000000000000000");
    let mut content = io.durable_content(&first).unwrap();
    content[last_offset as usize - 200] ^= 0xFF;
    io.put_file(&first, content);
    let store = open_sim(cfg, &io);
    assert_eq!(
        store.max_offset_in_queue("R", 0) + store.max_offset_in_queue("R", 1),
        49
    );
    assert!(store.max_phy_offset() < last_offset);
    store.check_consistency().unwrap();
    let p = props(None, None, None);
    let r = store.put_message(&msg("R", 1, b"again", &p));
    assert!(r.is_ok());
    store.wait_dispatched().unwrap();
    store.check_consistency().unwrap();
}

#[test]
fn many_files_normal_recovery_walks_only_the_last_three() {
    let io = SimIo::new();
    let cfg = config(sim_root());
    {
        let store = open_sim(cfg.clone(), &io);
        fill(&store, 600, 0);
        store.shutdown();
    }
    // Corrupt the very first file's first record: a normal recovery never reads it.
    let first = cfg.commit_log_dir.join("00000000000000000000");
    let mut content = io.durable_content(&first).unwrap();
    content[100] ^= 0xFF;
    io.put_file(&first, content);
    let store = open_sim(cfg, &io);
    assert_eq!(store.max_offset_in_queue("R", 0), 300);
    assert!(store.max_phy_offset() > 3 * 64 * 1024);
}
