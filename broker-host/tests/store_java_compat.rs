//! Files laid out by hand in Java's on-disk layouts (commit-log record,
//! consume-queue entry, checkpoint: `docs/STORE.md`) — what a Java broker
//! leaves on disk — open and read back.

mod store_support;

use std::path::Path;
use std::sync::Arc;

use broker_host::store::{DefaultMessageStore, FsIo, GetMessageStatus, MessageFilter, StoreConfig};
use plugin_api::message::{decode_records, tags_code};
use store_support::*;

fn hex(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// One record as Java's `CommitLog` stores it (TopicTest, queue 0, offset 0, 199 bytes).
fn spec_record() -> Vec<u8> {
    hex(&[
        "00 00 00 c7 da a3 20 a7 69 c8 65 ed 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 01 8b cf e5 68 00",
        "7f 00 00 01 00 00 d4 31 00 00 01 8b cf e5 68 05",
        "7f 00 00 01 00 00 2a 9f 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 0e 48 65 6c 6c 6f 20 52 6f",
        "63 6b 65 74 4d 51 09 54 6f 70 69 63 54 65 73 74",
        "00 55 54 41 47 53 01 54 61 67 41 02 57 41 49 54",
        "01 74 72 75 65 02 55 4e 49 51 5f 4b 45 59 01 37",
        "46 30 30 30 30 30 31 30 44 32 41 31 38 42 34 41",
        "41 43 32 37 45 36 42 35 42 31 41 30 30 30 30 02",
        "43 4c 55 53 54 45 52 01 44 65 66 61 75 6c 74 43",
        "6c 75 73 74 65 72 02",
    ])
}

/// Its `ConsumeQueue` entry: offset 0, size 199, tagsCode hash("TagA").
fn spec_cq_entry() -> Vec<u8> {
    hex(&["00 00 00 00 00 00 00 00 00 00 00 c7 00 00 00 00 00 27 a8 07"])
}

fn lay_out(root: &Path, cfg: &StoreConfig, with_cq: bool, abort: bool) {
    let cl = root.join("commitlog");
    std::fs::create_dir_all(&cl).unwrap();
    let mut file = vec![0u8; cfg.mapped_file_size_commit_log];
    file[..199].copy_from_slice(&spec_record());
    std::fs::write(cl.join("00000000000000000000"), file).unwrap();
    if with_cq {
        let q = root.join("consumequeue/TopicTest/0");
        std::fs::create_dir_all(&q).unwrap();
        let mut file = vec![0u8; cfg.mapped_file_size_consume_queue];
        file[..20].copy_from_slice(&spec_cq_entry());
        std::fs::write(q.join("00000000000000000000"), file).unwrap();
    }
    let mut cp = vec![0u8; 4096];
    cp[..8].copy_from_slice(&1_700_000_000_005i64.to_be_bytes());
    cp[8..16].copy_from_slice(&1_700_000_000_005i64.to_be_bytes());
    std::fs::write(root.join("checkpoint"), cp).unwrap();
    if abort {
        std::fs::write(root.join("abort"), b"").unwrap();
    }
}

#[test]
fn java_store_opens_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    lay_out(dir.path(), &cfg, true, false);
    let store = DefaultMessageStore::open_with_io(cfg.clone(), Arc::new(FsIo)).unwrap();
    assert_eq!(store.max_phy_offset(), 199);
    assert_eq!(store.max_offset_in_queue("TopicTest", 0), 1);
    let got = store.get_message(
        "g",
        "TopicTest",
        0,
        0,
        32,
        1 << 20,
        &MessageFilter::from_tags(["TagA"]),
    );
    assert_eq!(got.status, GetMessageStatus::Found);
    assert_eq!(got.body, spec_record());
    assert_eq!(got.next_begin_offset, 1);
    assert_eq!(store.look_message_by_offset(0).unwrap(), spec_record());
    assert_eq!(
        store.message_store_time("TopicTest", 0, 0),
        Some(1_700_000_000_005)
    );
    // Appends continue the Java store: queue offset 1 at physical offset 199.
    let p = props(Some("TagB"), None, None);
    let r = store.put_message(&msg("TopicTest", 0, b"from rust", &p));
    assert!(r.is_ok());
    assert_eq!((r.wrote_offset, r.queue_offset), (199, 1));
    store.shutdown();
    drop(store);
    let cq = std::fs::read(
        dir.path()
            .join("consumequeue/TopicTest/0/00000000000000000000"),
    )
    .unwrap();
    assert_eq!(&cq[..20], &spec_cq_entry()[..]);
    assert_eq!(&cq[20..28], &199i64.to_be_bytes());
    assert_eq!(&cq[32..40], &tags_code(Some("TagB")).to_be_bytes());
    let store = DefaultMessageStore::open(cfg).unwrap();
    let recs = read_all(&store, "TopicTest", 0, 0);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].body, b"Hello RocketMQ");
    assert_eq!(recs[1].body, b"from rust");
    store.check_consistency().unwrap();
}

#[test]
fn java_store_after_crash_rebuilds_the_consume_queue_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    lay_out(dir.path(), &cfg, false, true);
    let store = DefaultMessageStore::open(cfg.clone()).unwrap();
    assert_eq!(store.max_offset_in_queue("TopicTest", 0), 1);
    let q = store.query_message(
        "TopicTest",
        "7F0000010D2A18B4AAC27E6B5B1A0000",
        4,
        0,
        i64::MAX,
    );
    assert_eq!(q.message_count, 1);
    assert_eq!(decode_records(&q.body)[0].body, b"Hello RocketMQ");
    store.check_consistency().unwrap();
    store.shutdown();
    drop(store);
    let cq = std::fs::read(
        dir.path()
            .join("consumequeue/TopicTest/0/00000000000000000000"),
    )
    .unwrap();
    assert_eq!(cq.len(), cfg.mapped_file_size_consume_queue);
    assert_eq!(&cq[..20], &spec_cq_entry()[..]);
    assert!(cq[20..].iter().all(|b| *b == 0));
    let cp = std::fs::read(dir.path().join("checkpoint")).unwrap();
    assert_eq!(cp.len(), 4096);
    assert!(i64::from_be_bytes(cp[8..16].try_into().unwrap()) >= 1_700_000_000_005);
    assert!(!dir.path().join("abort").exists());
    assert_eq!(std::fs::read(dir.path().join("lock")).unwrap(), b"lock");
}
