//! SYNC_FLUSH: a put with WAIT is acknowledged only once its bytes are
//! durable (group commit); a stalled disk gives FLUSH_DISK_TIMEOUT with the
//! message still stored.

mod store_support;

use std::sync::mpsc;
use std::time::Duration;

use broker_host::store::{capture_flush_waits, MessageFilter, PutMessageStatus, SimIo};
use store_support::*;

fn durable(
    io: &SimIo,
    cfg: &broker_host::store::StoreConfig,
    offset: i64,
    len: usize,
) -> Option<Vec<u8>> {
    let size = cfg.mapped_file_size_commit_log as i64;
    let start = offset - offset % size;
    let path = cfg.commit_log_dir.join(format!("{start:020}"));
    let content = io.durable_content(&path)?;
    let pos = (offset - start) as usize;
    Some(content[pos..pos + len].to_vec())
}

#[test]
fn acknowledged_only_after_flush() {
    let io = SimIo::new();
    let cfg = sync_config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    for i in 0..100 {
        let b = body(i, 500);
        let p = props(None, None, None);
        let r = store.put_message(&msg("S", 0, &b, &p));
        assert_eq!(r.status, PutMessageStatus::PutOk);
        // At the moment of the answer, the record is on "disk".
        let on_disk = durable(&io, &cfg, r.wrote_offset, r.wrote_bytes as usize).unwrap();
        assert_eq!(
            on_disk,
            store.look_message_by_offset(r.wrote_offset).unwrap()
        );
        assert!(store.flushed_phy_offset() >= r.wrote_offset + r.wrote_bytes as i64);
    }
    store.shutdown();
}

#[test]
fn concurrent_putters_share_flushes() {
    let io = SimIo::new();
    let cfg = sync_config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let s = store.clone();
            let io = io.clone();
            let cfg = cfg.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let b = body(i, 100);
                    let p = props(None, None, None);
                    let r = s.put_message(&msg("G", t, &b, &p));
                    assert_eq!(r.status, PutMessageStatus::PutOk);
                    assert!(durable(&io, &cfg, r.wrote_offset, r.wrote_bytes as usize).is_some());
                    assert!(s.flushed_phy_offset() >= r.wrote_offset + r.wrote_bytes as i64);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    store.wait_dispatched().unwrap();
    for t in 0..8 {
        assert_eq!(store.max_offset_in_queue("G", t), 50);
    }
    store.check_consistency().unwrap();
    store.shutdown();
}

/// A started SYNC_FLUSH store whose flushes time out after 50 ms.
fn started_with_short_timeout() -> (
    SimIo,
    std::sync::Arc<broker_host::store::DefaultMessageStore>,
) {
    let io = SimIo::new();
    let mut cfg = sync_config(sim_root());
    cfg.sync_flush_timeout = Duration::from_millis(50);
    let store = open_sim(cfg, &io);
    store.start().unwrap();
    (io, store)
}

#[test]
fn stalled_disk_times_out_but_keeps_the_message() {
    let (io, store) = started_with_short_timeout();
    let p = props(None, None, None);
    assert!(store.put_message(&msg("S", 0, b"first", &p)).is_ok());
    io.stall_flushes(true);
    let r = store.put_message(&msg("S", 0, b"second", &p));
    assert_eq!(r.status, PutMessageStatus::FlushDiskTimeout);
    assert!(r.status.is_stored());
    assert_eq!(r.queue_offset, 1);
    // Not visible to consumers before it is durable (dispatch stops at the flushed offset).
    assert_eq!(store.max_offset_in_queue("S", 0), 1);
    // WAIT=false does not wait at all.
    let mut m = msg("S", 0, b"third", &p);
    m.wait_store = false;
    assert_eq!(store.put_message(&m).status, PutMessageStatus::PutOk);
    io.stall_flushes(false);
    let r = store.put_message(&msg("S", 0, b"fourth", &p));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    store.wait_dispatched().unwrap();
    let got = store.get_message("g", "S", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.message_count, 4);
    store.shutdown();
}

/// A put made inside `capture_flush_waits` (as a processor pool runs a
/// processor) returns at once; its acknowledgement comes from the flusher,
/// and at that moment the record is on "disk". Many such puts share flushes.
#[test]
fn captured_puts_are_acknowledged_by_the_flusher_once_durable() {
    let io = SimIo::new();
    let cfg = sync_config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    let (acks, acked) = mpsc::channel();
    for i in 0..50 {
        let b = body(i, 300);
        let p = props(None, None, None);
        let (result, pending) = capture_flush_waits(|| store.put_message(&msg("S", 0, &b, &p)));
        assert_eq!(result.status, PutMessageStatus::PutOk);
        let pending = pending.expect("a sync-flushed put inside the capture is deferred");
        let (io, cfg, acks) = (io.clone(), cfg.clone(), acks.clone());
        let (offset, len) = (result.wrote_offset, result.wrote_bytes as usize);
        pending.when_flushed(Box::new(move |flushed| {
            let on_disk = durable(&io, &cfg, offset, len);
            acks.send((i, flushed, on_disk.map(|bytes| bytes.len())))
                .unwrap();
        }));
    }
    let mut seen: Vec<_> = (0..50)
        .map(|_| acked.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    seen.sort_unstable();
    for (i, (n, flushed, on_disk)) in seen.into_iter().enumerate() {
        assert_eq!(n, i);
        assert!(flushed, "message {n} acknowledged as flushed");
        assert!(
            on_disk.is_some_and(|len| len > 0),
            "message {n} durable when acknowledged"
        );
    }
    store.shutdown();
}

/// A captured put on a stalled disk is answered `false` (FLUSH_DISK_TIMEOUT)
/// after `syncFlushTimeout`, and the message is still stored.
#[test]
fn captured_put_on_a_stalled_disk_times_out_and_keeps_the_message() {
    let (io, store) = started_with_short_timeout();
    let p = props(None, None, None);
    io.stall_flushes(true);
    let (result, pending) = capture_flush_waits(|| store.put_message(&msg("S", 0, b"held", &p)));
    assert_eq!(result.status, PutMessageStatus::PutOk);
    let (acks, acked) = mpsc::channel();
    pending
        .expect("deferred")
        .when_flushed(Box::new(move |flushed| acks.send(flushed).unwrap()));
    assert!(!acked.recv_timeout(Duration::from_secs(10)).unwrap());
    io.stall_flushes(false);
    // A waited put after the disk recovers: both are then durable and dispatched.
    assert!(store.put_message(&msg("S", 0, b"after", &p)).is_ok());
    store.wait_dispatched().unwrap();
    let got = store.get_message("g", "S", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.message_count, 2);
    store.shutdown();
}
