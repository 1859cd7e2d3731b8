//! SEND_BATCH_MESSAGE puts: consecutive records and queue offsets, one file.

mod store_support;

use broker_host::store::{BatchToStore, MessageFilter, PutMessageStatus, SimIo};
use plugin_api::message::record::sysflag;
use plugin_api::message::{
    decode_batch_body, decode_offset_msg_id, decode_records, encode_batch_entry,
};
use store_support::*;

fn batch_body(n: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let p = props(Some("b"), Some(&format!("bk{i}")), Some(&format!("BU{i}")));
        encode_batch_entry(&mut out, i as i32, &body(i, len), &p).unwrap();
    }
    out
}

fn batch<'a>(entries: &'a [plugin_api::message::BatchEntry<'a>]) -> BatchToStore<'a> {
    BatchToStore {
        topic: "B",
        queue_id: 1,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: born(),
        entries: entries
            .iter()
            .map(|e| (e.flag, e.body, e.properties))
            .collect(),
        reconsume_times: 2,
        wait_store: true,
    }
}

#[test]
fn batch_is_stored_as_consecutive_records() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    let single = props(None, None, None);
    assert!(store.put_message(&msg("B", 1, b"before", &single)).is_ok());
    let raw = batch_body(10, 100);
    let entries = decode_batch_body(&raw).unwrap();
    let r = store.put_messages(&batch(&entries));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert_eq!(r.msg_num, 10);
    assert_eq!(r.queue_offset, 1);
    assert_eq!(r.msg_ids.len(), 10);
    store.wait_dispatched().unwrap();
    let recs = read_all(&store, "B", 1, 1);
    assert_eq!(recs.len(), 10);
    let mut total = 0;
    for (i, rec) in recs.iter().enumerate() {
        assert_eq!(rec.header.queue_offset, 1 + i as i64);
        assert_eq!(rec.header.flag, i as i32);
        // The request header's reconsumeTimes, in every record (Java's encodeBatch).
        assert_eq!(rec.header.reconsume_times, 2);
        assert_eq!(rec.body, body(i, 100));
        assert_eq!(
            decode_offset_msg_id(&r.msg_ids[i]).unwrap().1,
            rec.header.physical_offset
        );
        assert_eq!(rec.header.store_timestamp, r.store_timestamp);
        total += rec.header.total_size;
    }
    assert_eq!(total, r.wrote_bytes);
    assert_eq!(
        store
            .query_message("B", "bk7", 4, 0, i64::MAX)
            .message_count,
        1
    );
    assert_eq!(
        store
            .query_message("B", "BU3", 4, 0, i64::MAX)
            .message_count,
        1
    );
    store.check_consistency().unwrap();
}

#[test]
fn batch_that_does_not_fit_goes_whole_to_the_next_file() {
    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    // Leave ~3 KiB free in the first 64 KiB file.
    let mut last = 0;
    while store.max_phy_offset() < 61 * 1024 {
        let r = store.put_message(&msg("B", 1, &body(0, 500), ""));
        last = r.wrote_offset;
    }
    assert!(last < 64 * 1024);
    let raw = batch_body(8, 500);
    let entries = decode_batch_body(&raw).unwrap();
    let r = store.put_messages(&batch(&entries));
    assert!(r.is_ok());
    assert_eq!(r.wrote_offset, 64 * 1024);
    for id in &r.msg_ids {
        assert!(decode_offset_msg_id(id).unwrap().1 >= 64 * 1024);
    }
    store.wait_dispatched().unwrap();
    let got = store.get_message(
        "g",
        "B",
        1,
        r.queue_offset,
        32,
        1 << 20,
        &MessageFilter::All,
    );
    assert_eq!(decode_records(&got.body).len(), 8);
    store.check_consistency().unwrap();
}

#[test]
fn invalid_batches_are_refused() {
    let io = SimIo::new();
    let mut cfg = config(sim_root());
    cfg.max_message_size = 1000;
    let store = open_sim(cfg, &io);
    let raw = batch_body(3, 100);
    let entries = decode_batch_body(&raw).unwrap();
    let mut b = batch(&entries);
    b.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    assert_eq!(
        store.put_messages(&b).status,
        PutMessageStatus::MessageIllegal
    );
    let mut b = batch(&entries);
    b.entries.clear();
    assert_eq!(
        store.put_messages(&b).status,
        PutMessageStatus::MessageIllegal
    );
    let big = batch_body(20, 100);
    let entries = decode_batch_body(&big).unwrap();
    assert_eq!(
        store.put_messages(&batch(&entries)).status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(store.max_phy_offset(), 0, "nothing written");
}
