//! Files of the wrong size (and a bad config) refuse to open, clearly.

mod store_support;

use broker_host::store::{DefaultMessageStore, StoreError};
use store_support::*;

fn expect_wrong_size(
    result: Result<std::sync::Arc<DefaultMessageStore>, StoreError>,
    file: &str,
    key: &str,
) {
    match result {
        Err(e @ StoreError::WrongFileSize { .. }) => {
            let text = e.to_string();
            assert!(text.contains(file), "{text}");
            assert!(text.contains(key), "{text}");
            assert!(text.contains("refusing to start"), "{text}");
        }
        other => panic!("expected WrongFileSize, got {other:?}"),
    }
}

#[test]
fn wrong_size_commit_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let cl = dir.path().join("commitlog");
    std::fs::create_dir_all(&cl).unwrap();
    std::fs::write(cl.join("00000000000000000000"), vec![0u8; 1000]).unwrap();
    expect_wrong_size(
        DefaultMessageStore::open(config(dir.path())),
        "00000000000000000000",
        "mappedFileSizeCommitLog",
    );
}

#[test]
fn wrong_size_consume_queue_file() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("consumequeue/T/0");
    std::fs::create_dir_all(&q).unwrap();
    std::fs::write(q.join("00000000000000000000"), vec![0u8; 21]).unwrap();
    expect_wrong_size(
        DefaultMessageStore::open(config(dir.path())),
        "consumequeue",
        "mappedFileSizeConsumeQueue",
    );
}

#[test]
fn wrong_size_checkpoint_and_index() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checkpoint"), vec![0u8; 100]).unwrap();
    expect_wrong_size(
        DefaultMessageStore::open(config(dir.path())),
        "checkpoint",
        "4096",
    );
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    std::fs::create_dir_all(dir.path().join("index")).unwrap();
    std::fs::write(dir.path().join("index/20240101120000123"), vec![0u8; 100]).unwrap();
    expect_wrong_size(
        DefaultMessageStore::open(config(dir.path())),
        "20240101120000123",
        "maxIndexNum",
    );
}

#[test]
fn trailing_empty_commit_log_file_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = DefaultMessageStore::open(config(dir.path())).unwrap();
        assert!(store.put_message(&msg("T", 0, b"x", "")).is_ok());
        store.shutdown();
    }
    let empty = dir.path().join("commitlog/00000000000000065536");
    std::fs::write(&empty, b"").unwrap();
    let store = DefaultMessageStore::open(config(dir.path())).unwrap();
    assert!(!empty.exists());
    assert_eq!(store.max_offset_in_queue("T", 0), 1);
}

#[test]
fn config_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.mapped_file_size_commit_log = 1000;
    match DefaultMessageStore::open(cfg) {
        Err(StoreError::Config(text)) => assert!(text.contains("mappedFileSizeCommitLog")),
        other => panic!("expected Config, got {other:?}"),
    }
}
