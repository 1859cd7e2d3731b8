//! The next commit-log file is created ahead of the writer
//! (`MappedFileQueue::preallocate`, RocketMQ's `AllocateMappedFileService`):
//! the writer takes that very file when it rolls, and a store that stopped
//! with an unused preallocated file (all zeros) reopens and writes on.

mod store_support;

use std::path::Path;
use std::sync::Arc;

use broker_host::store::mapped_file_queue::MappedFileQueue;
use broker_host::store::{DefaultMessageStore, FsIo, PutMessageStatus, SimIo};
use store_support::*;

#[test]
fn the_writer_takes_the_preallocated_file_and_truncation_removes_a_leftover() {
    let io = SimIo::new();
    let dir = Path::new("/sim/store/commitlog").to_path_buf();
    let queue = MappedFileQueue::new(Arc::new(io.clone()), dir, 4096, "mappedFileSizeCommitLog");

    assert!(queue.preallocate(0).expect("no files yet").is_none());
    queue.create_file(0).expect("first file");
    assert!(
        queue.preallocate(8192).expect("not next").is_none(),
        "only the offset where the last file ends is prepared"
    );
    let next = queue.preallocate(4096).expect("create").expect("next file");
    assert_eq!(
        queue.files().len(),
        1,
        "a prepared file is not part of the queue"
    );
    assert!(io.file_paths().contains(&next.path().to_path_buf()));
    let again = queue.preallocate(4096).expect("asked again").expect("same");
    assert!(Arc::ptr_eq(&again, &next), "asking twice prepares one file");

    let taken = queue.create_file(4096).expect("roll");
    assert!(
        Arc::ptr_eq(&taken, &next),
        "the writer rolls into the prepared file"
    );
    assert_eq!(queue.files().len(), 2);

    let leftover = queue
        .preallocate(8192)
        .expect("create")
        .expect("third file");
    queue.truncate_dirty(5000).expect("truncate");
    assert!(
        !io.file_paths().contains(&leftover.path().to_path_buf()),
        "truncation deletes the unused prepared file"
    );
    assert_eq!(queue.files().len(), 2);
}

fn put_many(store: &DefaultMessageStore, from: usize, count: usize) {
    let p = props(Some("TagA"), Some("k"), None);
    for i in from..from + count {
        let b = body(i, 1000);
        let r = store.put_message(&msg("Pre", 0, &b, &p));
        assert_eq!(r.status, PutMessageStatus::PutOk, "put {i}");
    }
}

/// Reopens a store whose directory also holds the all-zero next file that a
/// preallocation leaves behind, after a clean stop and after a crash.
#[test]
fn a_store_with_an_unused_preallocated_file_reopens_and_writes_on() {
    for crashed in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = config(dir.path());
        let file_size = cfg.mapped_file_size_commit_log as i64;
        let store = DefaultMessageStore::open_with_io(cfg.clone(), Arc::new(FsIo)).expect("open");
        store.start().expect("start");
        put_many(&store, 0, 150);
        store.wait_dispatched().expect("dispatch");
        store.flush_all().expect("flush");
        let end = store.max_phy_offset();
        if crashed {
            store.halt();
        } else {
            store.shutdown();
        }
        drop(store);
        let next_start = end - end % file_size + file_size;
        let leftover = cfg.commit_log_dir.join(format!("{next_start:020}"));
        std::fs::write(&leftover, vec![0u8; file_size as usize]).expect("leftover file");

        let store = DefaultMessageStore::open_with_io(cfg, Arc::new(FsIo)).expect("reopen");
        store.start().expect("start again");
        assert_eq!(store.max_phy_offset(), end, "crashed={crashed}");
        put_many(&store, 150, 150);
        store.wait_dispatched().expect("dispatch");
        let records = read_all(&store, "Pre", 0, 0);
        assert_eq!(records.len(), 300, "crashed={crashed}");
        for (i, record) in records.iter().enumerate() {
            assert_eq!(record.body, body(i, 1000), "message {i}, crashed={crashed}");
        }
        store.check_consistency().expect("consistent");
        store.shutdown();
    }
}
