//! GetMessage (Java's `DefaultMessageStore.getMessage`): statuses and next offsets, tag
//! filtering, batch limits.

mod store_support;

use std::collections::HashSet;
use std::net::SocketAddr;

use broker_host::store::{GetMessageStatus, MessageFilter, SimIo, StorageIo, StoreConfig};
use plugin_api::message::{body_crc, decode_records, java_string_hash, RecordToEncode};
use store_support::*;

fn filled(
    cfg: StoreConfig,
    n: usize,
    len: usize,
) -> (
    SimIo,
    std::sync::Arc<broker_host::store::DefaultMessageStore>,
) {
    let io = SimIo::new();
    let store = open_sim(cfg, &io);
    for i in 0..n {
        let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
        let p = props(Some(tag), None, None);
        assert!(store.put_message(&msg("Q", 0, &body(i, len), &p)).is_ok());
    }
    store.wait_dispatched().unwrap();
    (io, store)
}

#[test]
fn statuses_and_next_offsets() {
    let (_io, store) = filled(config(sim_root()), 10, 10);
    let all = MessageFilter::All;
    // A queue nobody wrote to is empty, as Java 5.x's findOrCreateConsumeQueue
    // makes it: NO_MESSAGE_IN_QUEUE, not NO_MATCHED_LOGIC_QUEUE.
    let r = store.get_message("g", "Unknown", 0, 5, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset, r.min_offset, r.max_offset),
        (GetMessageStatus::NoMessageInQueue, 0, 0, 0)
    );
    assert_eq!(r.status.name(), "NO_MESSAGE_IN_QUEUE");
    let r = store.get_message("g", "Q", 0, 10, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowOne, 10)
    );
    let r = store.get_message("g", "Q", 0, 15, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowBadly, 10)
    );
    let r = store.get_message("g", "Q", 0, 3, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset, r.message_count),
        (GetMessageStatus::Found, 10, 7)
    );
    assert_eq!((r.min_offset, r.max_offset), (0, 10));
    assert_eq!(decode_records(&r.body)[0].header.queue_offset, 3);
    assert!(!r.suggest_pulling_from_slave);
    assert_eq!(r.status.name(), "FOUND");
}

#[test]
fn empty_queue_and_offset_too_small_and_found_null() {
    // A store laid out by hand: one record of "Late" with queue offset 150
    // (abnormal recovery rebuilds its consume queue starting mid-file), an
    // empty consume-queue file for "Empty", and a "Holey" queue whose middle
    // file is missing.
    let io = SimIo::new();
    let cfg = config(sim_root());
    let born: SocketAddr = "10.0.0.1:1".parse().unwrap();
    let rec = RecordToEncode {
        queue_id: 0,
        flag: 0,
        queue_offset: 150,
        physical_offset: 0,
        sys_flag: 0,
        born_timestamp: 1,
        born_host: born,
        store_timestamp: 1_700_000_000_000,
        store_host: cfg.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body_crc: body_crc(b"late"),
        body: b"late",
        topic: "Late",
        properties: "",
    };
    let mut cl = vec![0u8; cfg.mapped_file_size_commit_log];
    let n = plugin_api::message::encode_record_into(&rec, &mut cl).unwrap();
    io.put_file(&cfg.commit_log_dir.join("00000000000000000000"), cl);
    let cq_size = cfg.mapped_file_size_consume_queue;
    io.put_file(
        &cfg.consume_queue_path("Empty", 0)
            .join("00000000000000000000"),
        vec![0u8; cq_size],
    );
    let mut entries = Vec::new();
    for _ in 0..100 {
        entries.extend_from_slice(&0i64.to_be_bytes());
        entries.extend_from_slice(&(n as i32).to_be_bytes());
        entries.extend_from_slice(&0i64.to_be_bytes());
    }
    io.put_file(
        &cfg.consume_queue_path("Holey", 0)
            .join("00000000000000000000"),
        entries.clone(),
    );
    let mut last = entries[..20 * 10].to_vec();
    last.resize(cq_size, 0);
    io.put_file(
        &cfg.consume_queue_path("Holey", 0)
            .join("00000000000000004000"),
        last,
    );
    io.create_marker(&cfg.abort_path()).unwrap();
    let store = open_sim(cfg, &io);
    let all = MessageFilter::All;

    let r = store.get_message("g", "Empty", 0, 5, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::NoMessageInQueue, 0)
    );

    assert_eq!(store.min_offset_in_queue("Late", 0), 150);
    assert_eq!(store.max_offset_in_queue("Late", 0), 151);
    let r = store.get_message("g", "Late", 0, 0, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetTooSmall, 150)
    );
    let r = store.get_message("g", "Late", 0, 150, 10, 1 << 20, &all);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(decode_records(&r.body)[0].body, b"late");

    assert_eq!(store.max_offset_in_queue("Holey", 0), 210);
    let r = store.get_message("g", "Holey", 0, 150, 10, 1 << 20, &all);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetFoundNull, 200)
    );
}

#[test]
fn tag_filter_by_hash_then_by_string() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    // "Aa" and "BB" have the same Java hash.
    assert_eq!(java_string_hash("Aa"), java_string_hash("BB"));
    for (i, tag) in ["Aa", "BB", "TagA", "Aa", "TagC"].iter().enumerate() {
        let p = props(Some(tag), None, None);
        assert!(store.put_message(&msg("F", 0, &body(i, 5), &p)).is_ok());
    }
    let p = props(None, None, None);
    assert!(store.put_message(&msg("F", 0, b"untagged", &p)).is_ok());
    store.wait_dispatched().unwrap();
    let tags_of = |f: &MessageFilter| -> Vec<String> {
        let r = store.get_message("g", "F", 0, 0, 32, 1 << 20, f);
        assert_eq!(r.next_begin_offset, 6);
        decode_records(&r.body)
            .iter()
            .map(|m| m.tags().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(tags_of(&MessageFilter::from_tags(["BB"])), vec!["BB"]);
    assert_eq!(
        tags_of(&MessageFilter::from_tags(["Aa", "TagC"])),
        vec!["Aa", "Aa", "TagC"]
    );
    assert_eq!(tags_of(&MessageFilter::from_tags(["*"])).len(), 6);
    // Hash only (no tag strings): collisions come through, like Java's broker.
    let hash_only = MessageFilter::Tags {
        codes: HashSet::from([java_string_hash("BB") as i64]),
        tags: HashSet::new(),
    };
    assert_eq!(tags_of(&hash_only), vec!["Aa", "BB", "Aa"]);
    let r = store.get_message(
        "g",
        "F",
        0,
        0,
        32,
        1 << 20,
        &MessageFilter::from_tags(["Nope"]),
    );
    assert_eq!(
        (r.status, r.next_begin_offset, r.message_count),
        (GetMessageStatus::NoMatchedMessage, 6, 0)
    );
}

#[test]
fn batch_limits() {
    let mut cfg = config(sim_root());
    cfg.max_transfer_bytes_on_message_in_memory = 5000;
    let (_io, store) = filled(cfg, 100, 1000);
    let all = MessageFilter::All;
    // maxMsgNums.
    let r = store.get_message("g", "Q", 0, 0, 3, 1 << 20, &all);
    assert_eq!((r.message_count, r.next_begin_offset), (3, 3));
    // In-memory byte cap: 5000 bytes → 4 records of ~1.1 KiB.
    let r = store.get_message("g", "Q", 0, 0, 32, 1 << 20, &all);
    assert_eq!(r.message_count, 4);
    assert!(r.body.len() <= 5000);
    // Caller's byte cap.
    let r = store.get_message("g", "Q", 0, 0, 32, 2500, &all);
    assert_eq!(r.message_count, 2);
    // The first record is always taken.
    let r = store.get_message("g", "Q", 0, 0, 32, 10, &all);
    assert_eq!(r.message_count, 1);

    let (_io, store) = filled(config(sim_root()), 100, 10);
    let r = store.get_message("g", "Q", 0, 0, 100, 1 << 20, &all);
    assert_eq!(r.message_count, 32, "in-memory count cap");

    let mut cfg = config(sim_root());
    cfg.total_physical_memory = 1;
    let (_io, store) = filled(cfg, 100, 10);
    let r = store.get_message("g", "Q", 0, 0, 100, 1 << 20, &all);
    assert_eq!(r.message_count, 8, "on-disk count cap");
    assert!(r.suggest_pulling_from_slave);

    let mut cfg = config(sim_root());
    cfg.max_filter_message_size = 200;
    let (_io, store) = filled(cfg, 50, 10);
    let r = store.get_message(
        "g",
        "Q",
        0,
        0,
        1,
        1 << 20,
        &MessageFilter::from_tags(["Nope"]),
    );
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::NoMatchedMessage, 10)
    );
}
