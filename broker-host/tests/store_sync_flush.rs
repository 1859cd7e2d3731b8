//! SYNC_FLUSH: a put with WAIT is acknowledged only once its bytes are
//! durable (group commit); a stalled disk gives FLUSH_DISK_TIMEOUT with the
//! message still stored. A deferred put returns a flush ticket instead of
//! waiting, redeemed with `when_flushed` or `wait_flushed`.

mod store_support;

use std::sync::mpsc;
use std::time::Duration;

use broker_host::store::{BatchToStore, MessageFilter, PutMessageStatus, SimIo};
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
        assert_eq!(r.flush_ticket, None, "a blocking put has waited");
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

/// A deferred put (as a processor pool makes it) returns at once with a
/// ticket; its acknowledgement comes from the flusher, and at that moment the
/// record is on "disk". Many such puts share flushes. (A put the group
/// commit flushed before it returned has no ticket: it is durable already.)
#[test]
fn deferred_puts_are_acknowledged_by_the_flusher_once_durable() {
    let io = SimIo::new();
    let cfg = sync_config(sim_root());
    let store = open_sim(cfg.clone(), &io);
    store.start().unwrap();
    let (acks, acked) = mpsc::channel();
    for i in 0..50 {
        let b = body(i, 300);
        let p = props(None, None, None);
        let result = store.put_message_deferred(&msg("S", 0, &b, &p));
        assert_eq!(result.status, PutMessageStatus::PutOk);
        let (io, cfg, acks) = (io.clone(), cfg.clone(), acks.clone());
        let (offset, len) = (result.wrote_offset, result.wrote_bytes as usize);
        let ack = move |flushed| {
            let on_disk = durable(&io, &cfg, offset, len);
            acks.send((i, flushed, on_disk.map(|bytes| bytes.len())))
                .unwrap();
        };
        match result.flush_ticket {
            Some(ticket) => {
                assert_eq!(ticket.end_offset(), offset + len as i64);
                store.when_flushed(ticket, ack);
            }
            None => ack(store.flushed_phy_offset() >= offset + len as i64),
        }
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

/// A deferred put on a stalled disk is answered `false` (FLUSH_DISK_TIMEOUT)
/// after `syncFlushTimeout`, and the message is still stored.
#[test]
fn deferred_put_on_a_stalled_disk_times_out_and_keeps_the_message() {
    let (io, store) = started_with_short_timeout();
    let p = props(None, None, None);
    io.stall_flushes(true);
    let result = store.put_message_deferred(&msg("S", 0, b"held", &p));
    assert_eq!(result.status, PutMessageStatus::PutOk);
    let ticket = result.flush_ticket.expect("deferred");
    let (acks, acked) = mpsc::channel();
    store.when_flushed(ticket, move |flushed| acks.send(flushed).unwrap());
    assert!(!acked.recv_timeout(Duration::from_secs(10)).unwrap());
    // Waiting for it blocks no longer than `syncFlushTimeout` either.
    assert!(!store.wait_flushed(ticket));
    io.stall_flushes(false);
    // A waited put after the disk recovers: both are then durable and dispatched.
    assert!(store.put_message(&msg("S", 0, b"after", &p)).is_ok());
    store.wait_dispatched().unwrap();
    let got = store.get_message("g", "S", 0, 0, 10, 1 << 20, &MessageFilter::All);
    assert_eq!(got.message_count, 2);
    store.shutdown();
}

/// `wait_flushed` blocks until the ticket's offset is durable; a ticket
/// already durable is answered at once, on the calling thread.
#[test]
fn a_ticket_is_redeemed_by_waiting_or_at_once_when_already_durable() {
    let io = SimIo::new();
    let store = open_sim(sync_config(sim_root()), &io);
    store.start().unwrap();
    let p = props(None, None, None);
    // Stalled, so that no flush covers a put before it returns its ticket.
    io.stall_flushes(true);
    let first = store.put_message_deferred(&msg("S", 0, b"first", &p));
    let second = store.put_message_deferred(&msg("S", 0, b"second", &p));
    let (first, second) = (first.flush_ticket.unwrap(), second.flush_ticket.unwrap());
    assert!(first < second, "the later put's ticket covers the earlier");
    io.stall_flushes(false);
    assert!(store.wait_flushed(second));
    assert!(store.flushed_phy_offset() >= second.end_offset());
    let answered = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = answered.clone();
    store.when_flushed(first, move |flushed| *slot.lock().unwrap() = Some(flushed));
    assert_eq!(*answered.lock().unwrap(), Some(true));
    store.shutdown();
}

/// Only a deferred put under SYNC_FLUSH with WAIT gets a ticket: not one
/// without WAIT, nor one under ASYNC_FLUSH.
#[test]
fn no_ticket_without_wait_or_under_async_flush() {
    let io = SimIo::new();
    let store = open_sim(sync_config(sim_root()), &io);
    store.start().unwrap();
    let p = props(None, None, None);
    let mut m = msg("S", 0, b"no wait", &p);
    m.wait_store = false;
    let r = store.put_message_deferred(&m);
    assert_eq!((r.status, r.flush_ticket), (PutMessageStatus::PutOk, None));
    store.shutdown();

    let io = SimIo::new();
    let store = open_sim(config(sim_root()), &io);
    store.start().unwrap();
    let r = store.put_message_deferred(&msg("A", 0, b"async", &p));
    assert_eq!((r.status, r.flush_ticket), (PutMessageStatus::PutOk, None));
    store.shutdown();
}

/// A deferred batch gets one ticket, for the end of its last record.
#[test]
fn a_deferred_batch_has_one_ticket_for_its_end() {
    let io = SimIo::new();
    let store = open_sim(sync_config(sim_root()), &io);
    store.start().unwrap();
    let p = props(None, None, None);
    io.stall_flushes(true);
    let r = store.put_messages_deferred(&BatchToStore {
        topic: "B",
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: born(),
        entries: vec![(0, b"one".as_slice(), p.as_str()), (0, b"two", p.as_str())],
        reconsume_times: 0,
        wait_store: true,
    });
    assert_eq!((r.status, r.msg_num), (PutMessageStatus::PutOk, 2));
    let ticket = r.flush_ticket.expect("deferred");
    assert_eq!(ticket.end_offset(), r.wrote_offset + r.wrote_bytes as i64);
    io.stall_flushes(false);
    assert!(store.wait_flushed(ticket));
    store.wait_dispatched().unwrap();
    assert_eq!(store.max_offset_in_queue("B", 0), 2);
    store.shutdown();
}
