//! Appending and reading back: records, ids, offsets, file roll-over,
//! time lookups, arrival notifications, put validation.

mod store_support;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use broker_host::store::{
    BoundaryType, DefaultMessageStore, FsIo, GetMessageStatus, MessageFilter, PutMessageStatus,
};
use plugin_api::message::record::sysflag;
use plugin_api::message::{
    decode_offset_msg_id, decode_records, java_string_hash, parse_record, RecordParse,
};
use store_support::*;

#[test]
fn append_then_read_across_file_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let store = DefaultMessageStore::open_with_io(config(dir.path()), Arc::new(FsIo)).unwrap();
    store.start().unwrap();
    let mut expected = Vec::new();
    for i in 0..300 {
        let b = body(i, 1000);
        let p = props(
            Some(if i % 2 == 0 { "even" } else { "odd" }),
            Some(&format!("k{i}")),
            None,
        );
        let qid = (i % 3) as i32;
        let r = store.put_message(&msg("TopicA", qid, &b, &p));
        assert_eq!(r.status, PutMessageStatus::PutOk, "put {i}");
        assert_eq!(r.msg_num, 1);
        assert_eq!(r.queue_offset, (i / 3) as i64);
        let (host, off) = decode_offset_msg_id(&r.msg_ids[0]).unwrap();
        assert_eq!(host, "127.0.0.1:10911".parse().unwrap());
        assert_eq!(off, r.wrote_offset);
        let raw = store.look_message_by_offset(r.wrote_offset).unwrap();
        assert_eq!(raw.len(), r.wrote_bytes as usize);
        expected.push((qid, b, r.wrote_offset));
    }
    // 300 × ~1.1 KiB records over 64 KiB files: several files, each ending in a blank.
    assert!(store.max_phy_offset() > 5 * 64 * 1024);
    assert_eq!(store.min_phy_offset(), 0);
    store.wait_dispatched().unwrap();
    for qid in 0..3 {
        assert_eq!(store.max_offset_in_queue("TopicA", qid), 100);
        assert_eq!(store.min_offset_in_queue("TopicA", qid), 0);
        let recs = read_all(&store, "TopicA", qid, 0);
        assert_eq!(recs.len(), 100);
        let want: Vec<_> = expected.iter().filter(|e| e.0 == qid).collect();
        for (n, (rec, exp)) in recs.iter().zip(want).enumerate() {
            assert_eq!(rec.body, exp.1);
            assert_eq!(rec.header.queue_offset, n as i64);
            assert_eq!(rec.header.physical_offset, exp.2);
            assert_eq!(rec.header.queue_id, qid);
            assert_eq!(rec.topic, "TopicA");
            assert_eq!(rec.header.born_host, born());
            assert_eq!(rec.header.store_host, "127.0.0.1:10911".parse().unwrap());
        }
    }
    store.check_consistency().unwrap();
    store.shutdown();
}

#[test]
fn store_times_and_lookups() {
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let p = props(Some("t"), None, None);
    let mut times = Vec::new();
    for i in 0..20 {
        let b = body(i, 10);
        let r = store.put_message(&msg("T", 0, &b, &p));
        times.push(r.store_timestamp);
        if i == 9 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    store.wait_dispatched().unwrap();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "store timestamps never go back"
    );
    assert_eq!(store.earliest_message_time("T", 0), Some(times[0]));
    assert_eq!(store.message_store_time("T", 0, 10), Some(times[10]));
    assert_eq!(store.message_store_time("T", 0, 20), None);
    assert_eq!(store.message_store_time("nope", 0, 0), None);
    // Lower bound: first message stored at or after the time.
    assert_eq!(store.offset_in_queue_by_time("T", 0, 0), 0);
    assert_eq!(store.offset_in_queue_by_time("T", 0, times[19] + 1), 20);
    let first_late = times.iter().position(|t| *t >= times[10]).unwrap() as i64;
    assert_eq!(store.offset_in_queue_by_time("T", 0, times[10]), first_late);
    assert_eq!(store.offset_in_queue_by_time("nope", 0, 0), 0);
    // Upper bound: last message stored at or before the time, clamped to
    // [min, max] (Java's ConsumeQueue.binarySearchInQueueByTime, UPPER).
    let upper = |t: i64| store.offset_in_queue_by_time_bounded("T", 0, t, BoundaryType::Upper);
    assert_eq!(upper(times[19] + 1), 19, "every message is older: the last");
    assert_eq!(upper(0), 0, "every message is newer: the min offset");
    assert_eq!(upper(times[9]), 9, "the run stored at times[9] ends at 9");
    let last_early = times.iter().rposition(|t| *t <= times[0]).unwrap() as i64;
    assert_eq!(upper(times[0]), last_early);
    assert_eq!(
        store.offset_in_queue_by_time_bounded("nope", 0, 0, BoundaryType::Upper),
        0
    );
    assert_eq!(
        store.offset_in_queue_by_time_bounded("T", 0, times[19] + 1, BoundaryType::Lower),
        20
    );
    // checkInMemByConsumeOffset: an entry at the offset, its record in the
    // commit log and within the in-memory window.
    assert!(store.check_in_mem_by_consume_offset("T", 0, 0));
    assert!(store.check_in_mem_by_consume_offset("T", 0, 19));
    assert!(!store.check_in_mem_by_consume_offset("T", 0, 20));
    assert!(!store.check_in_mem_by_consume_offset("T", 1, 0));
    assert!(!store.check_in_mem_by_consume_offset("nope", 0, 0));
    assert_eq!(store.look_message_by_offset(1), None);
    assert_eq!(store.look_message_by_offset(store.max_phy_offset()), None);
}

#[test]
fn arrival_listener_sees_every_dispatched_message() {
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    store.set_arrival_listener(Box::new(move |topic, qid, max, tags| {
        s2.lock().unwrap().push((topic.to_string(), qid, max, tags));
    }));
    store.start().unwrap();
    let p = props(Some("TagA"), None, None);
    for i in 0..5 {
        store.put_message(&msg("L", 1, &body(i, 5), &p));
    }
    store.wait_dispatched().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    for (i, s) in seen.iter().enumerate() {
        assert_eq!(
            s,
            &(
                "L".to_string(),
                1,
                i as i64 + 1,
                java_string_hash("TagA") as i64
            )
        );
    }
    store.shutdown();
}

#[test]
fn ipv6_hosts_and_long_retry_topics() {
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let v6 = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        4000,
    );
    let p = props(None, None, None);
    let mut m = msg("V6", 0, b"hello", &p);
    m.born_host = v6;
    let r = store.put_message(&m);
    assert!(r.is_ok());
    let topic = format!("%RETRY%{}", "g".repeat(200));
    let r2 = store.put_message(&msg(&topic, 0, b"retry", &p));
    assert!(r2.is_ok());
    store.wait_dispatched().unwrap();
    let recs = read_all(&store, "V6", 0, 0);
    assert_eq!(recs[0].header.born_host, v6);
    assert_eq!(
        recs[0].header.sys_flag & sysflag::BORNHOST_V6_FLAG,
        sysflag::BORNHOST_V6_FLAG
    );
    let recs = read_all(&store, &topic, 0, 0);
    assert_eq!(recs.len(), 1);
    assert!(recs[0].header.is_v2());
    store.check_consistency().unwrap();
}

#[test]
fn put_validation() {
    let io = broker_host::store::SimIo::new();
    let mut cfg = config(sim_root());
    cfg.max_message_size = 4096;
    let store = open_sim(cfg, &io);
    let p = props(None, None, None);
    let big = vec![0u8; 4097];
    assert_eq!(
        store.put_message(&msg("T", 0, &big, &p)).status,
        PutMessageStatus::MessageIllegal
    );
    let ok = vec![0u8; 4096];
    assert_eq!(
        store.put_message(&msg("T", 0, &ok, &p)).status,
        PutMessageStatus::PutOk
    );
    let long_props = "a".repeat(32768);
    assert_eq!(
        store.put_message(&msg("T", 0, b"x", &long_props)).status,
        PutMessageStatus::PropertiesSizeExceeded
    );
    let topic = "t".repeat(256);
    assert_eq!(
        store.put_message(&msg(&topic, 0, b"x", &p)).status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(
        store.put_message(&msg("", 0, b"x", &p)).status,
        PutMessageStatus::MessageIllegal
    );
    let failed = store.put_message(&msg("", 0, b"x", &p));
    assert_eq!(
        (
            failed.wrote_offset,
            failed.queue_offset,
            failed.msg_ids.len()
        ),
        (-1, -1, 0)
    );
    // A record larger than a whole commit-log file can never be stored.
    let mut cfg = config(std::path::Path::new("/sim/other"));
    cfg.max_message_size = 1 << 20;
    let store2 = open_sim(cfg, &io);
    let huge = vec![0u8; 70 * 1024];
    assert_eq!(
        store2.put_message(&msg("T", 0, &huge, &p)).status,
        PutMessageStatus::MessageIllegal
    );
}

#[test]
fn prepared_transaction_records_get_no_queue_entry() {
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let p = props(None, Some("tx-key"), None);
    let mut m = msg("Half", 0, b"half", &p);
    m.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    let r = store.put_message(&m);
    assert!(r.is_ok());
    assert_eq!(r.queue_offset, 0);
    let r2 = store.put_message(&msg("Half", 0, b"normal", &p));
    assert_eq!(
        r2.queue_offset, 0,
        "prepared records do not advance the queue"
    );
    store.wait_dispatched().unwrap();
    assert_eq!(store.max_offset_in_queue("Half", 0), 1);
    let got = store.get_message("g", "Half", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.status, GetMessageStatus::Found);
    let recs = decode_records(&got.body);
    assert_eq!(recs[0].body, b"normal");
    // Both are indexed (prepared records are, rollback records are not).
    let q = store.query_message("Half", "tx-key", 10, 0, i64::MAX);
    assert_eq!(q.message_count, 2);
    let raw = store.look_message_by_offset(r.wrote_offset).unwrap();
    assert!(
        matches!(parse_record(&raw), RecordParse::Message(v) if v.header.sys_flag == sysflag::TRANSACTION_PREPARED_TYPE)
    );
    store.check_consistency().unwrap();
}

#[test]
fn commit_records_are_dispatched_and_rollback_records_are_not() {
    // Java's CommitLogDispatcherBuildConsumeQueue: NOT and COMMIT types get
    // a consume-queue entry, PREPARED and ROLLBACK do not (nor an index
    // entry for ROLLBACK).
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let p = props(None, Some("tx-key"), None);
    let mut rollback = msg("Real", 0, b"rolled back", &p);
    rollback.sys_flag = sysflag::TRANSACTION_ROLLBACK_TYPE;
    assert_eq!(store.put_message(&rollback).queue_offset, 0);
    let mut commit = msg("Real", 0, b"committed", &p);
    commit.sys_flag = sysflag::TRANSACTION_COMMIT_TYPE | sysflag::MULTI_TAGS_FLAG;
    commit.prepared_transaction_offset = 4096;
    let committed = store.put_message(&commit);
    assert_eq!(committed.queue_offset, 0);
    store.wait_dispatched().unwrap();
    assert_eq!(store.max_offset_in_queue("Real", 0), 1);
    let got = store.get_message("g", "Real", 0, 0, 10, 1 << 20, &MessageFilter::All);
    let recs = decode_records(&got.body);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].body, b"committed");
    assert_eq!(recs[0].header.prepared_transaction_offset, 4096);
    let q = store.query_message("Real", "tx-key", 10, 0, i64::MAX);
    assert_eq!(q.message_count, 1, "the rollback record is not indexed");
    store.check_consistency().unwrap();
}

#[test]
fn concurrent_writers_and_reader() {
    let io = broker_host::store::SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    store.start().unwrap();
    let mut handles = Vec::new();
    for t in 0..4 {
        let s = store.clone();
        handles.push(std::thread::spawn(move || {
            let p = props(Some("x"), Some(&format!("t{t}")), None);
            for i in 0..250 {
                let b = body(i, 200);
                assert!(s.put_message(&msg("C", t, &b, &p)).is_ok());
            }
        }));
    }
    let reader = {
        let s = store.clone();
        std::thread::spawn(move || {
            let mut offset = 0;
            while offset < 250 {
                let r = s.get_message("g", "C", 0, offset, 32, 1 << 20, &MessageFilter::All);
                for rec in decode_records(&r.body) {
                    assert_eq!(rec.header.queue_offset, offset);
                    offset += 1;
                }
            }
        })
    };
    for h in handles {
        h.join().unwrap();
    }
    reader.join().unwrap();
    store.wait_dispatched().unwrap();
    for t in 0..4 {
        assert_eq!(store.max_offset_in_queue("C", t), 250);
    }
    store.check_consistency().unwrap();
    store.shutdown();
}
