//! Flushing: ASYNC_FLUSH timed commit-log flush (`CommitLog.FlushRealTimeService`),
//! SYNC_FLUSH group commit (`GroupCommitService`), consume-queue flush
//! (`FlushConsumeQueueService`) and the final flush at shutdown.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{DefaultMessageStore, StoreError, StoreInner};

/// What to do once a deferred acknowledgement is settled: `true` when the
/// data is durable, `false` when `syncFlushTimeout` passed first.
pub type FlushCallback = Box<dyn FnOnce(bool) + Send>;

struct Waiter {
    end: i64,
    deadline: Instant,
    done: FlushCallback,
}

#[derive(Default)]
struct GcState {
    requested: i64,
    flushed: i64,
    stop: bool,
    /// Acknowledgements waiting for their offset to be flushed.
    waiters: Vec<Waiter>,
}

/// What a put made under SYNC_FLUSH with WAIT must see durable before it is
/// acknowledged: the commit-log end offset of its record(s), as Java's
/// `GroupCommitRequest.nextOffset`. Returned by the deferred puts in
/// [`PutMessageResult::flush_ticket`](super::PutMessageResult::flush_ticket);
/// redeemed with [`DefaultMessageStore::when_flushed`] or
/// [`DefaultMessageStore::wait_flushed`]. Tickets of one store are ordered:
/// the later one covers the earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlushTicket {
    end_offset: i64,
}

impl FlushTicket {
    /// Only the store issues tickets: a ticket is always an offset it wrote
    /// up to, which its group commit will flush or time out on.
    pub(crate) fn new(end_offset: i64) -> Self {
        FlushTicket { end_offset }
    }

    /// The commit-log offset that must be flushed.
    pub fn end_offset(self) -> i64 {
        self.end_offset
    }
}

/// SYNC_FLUSH group commit: putters wait until the flusher has made their
/// end offset durable; one flush releases everyone whose data it covered.
///
/// A deferred put does not block its thread: the caller registers the
/// acknowledgement as a waiter ([`DefaultMessageStore::when_flushed`]) and
/// the flusher answers it after the flush (RocketMQ's `asyncPutMessage`), so
/// one flush acknowledges every message that arrived meanwhile.
#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<GcState>,
    request_cv: Condvar,
    done_cv: Condvar,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.lock();
        f.debug_struct("GroupCommit")
            .field("requested", &st.requested)
            .field("flushed", &st.flushed)
            .field("waiters", &st.waiters.len())
            .finish()
    }
}

impl GroupCommit {
    pub(crate) fn set_flushed(&self, offset: i64) {
        let mut st = self.state.lock();
        if offset > st.flushed {
            st.flushed = offset;
        }
        let flushed = st.flushed;
        let settled = take_waiters(&mut st.waiters, |w| w.end <= flushed);
        drop(st);
        self.done_cv.notify_all();
        for waiter in settled {
            (waiter.done)(true);
        }
    }

    /// Answers the waiters whose `syncFlushTimeout` has passed.
    pub(crate) fn expire_waiters(&self) {
        let now = Instant::now();
        let expired = take_waiters(&mut self.state.lock().waiters, |w| w.deadline <= now);
        for waiter in expired {
            tracing::warn!("sync flush of offset {} timed out", waiter.end);
            (waiter.done)(false);
        }
    }

    /// Registers `done` for when `end` is durable; answers at once if it
    /// is, or if the group commit has stopped.
    fn on_flushed(&self, end: i64, timeout: Duration, done: FlushCallback) {
        let mut st = self.state.lock();
        if st.flushed >= end {
            drop(st);
            done(true);
            return;
        }
        if st.stop {
            drop(st);
            done(false);
            return;
        }
        if end > st.requested {
            st.requested = end;
        }
        st.waiters.push(Waiter {
            end,
            deadline: Instant::now() + timeout,
            done,
        });
        drop(st);
        self.request_cv.notify_one();
    }

    /// Asks for a flush up to `end` without waiting for it.
    pub(crate) fn request(&self, end: i64) {
        let mut st = self.state.lock();
        if end > st.requested {
            st.requested = end;
        }
        drop(st);
        self.request_cv.notify_one();
    }

    /// Waits until `end` is durable; false after `timeout`.
    pub(crate) fn wait_flushed(&self, end: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.state.lock();
        if st.flushed >= end {
            return true;
        }
        if end > st.requested {
            st.requested = end;
        }
        self.request_cv.notify_one();
        while st.flushed < end {
            if st.stop {
                return st.flushed >= end;
            }
            if self.done_cv.wait_until(&mut st, deadline).timed_out() {
                return st.flushed >= end;
            }
        }
        true
    }

    /// Asks for a flush without waiting (WAIT=false).
    pub(crate) fn wake(&self) {
        self.request_cv.notify_one();
    }

    pub(crate) fn stop(&self) {
        let mut st = self.state.lock();
        st.stop = true;
        self.request_cv.notify_all();
        self.done_cv.notify_all();
    }

    /// After the last flush: whoever still waits is answered with its fate.
    fn settle_all(&self) {
        let mut st = self.state.lock();
        let flushed = st.flushed;
        let waiters = std::mem::take(&mut st.waiters);
        drop(st);
        for waiter in waiters {
            (waiter.done)(waiter.end <= flushed);
        }
    }
}

fn take_waiters(waiters: &mut Vec<Waiter>, settled: impl Fn(&Waiter) -> bool) -> Vec<Waiter> {
    if !waiters.iter().any(&settled) {
        return Vec::new();
    }
    let (done, waiting) = std::mem::take(waiters).into_iter().partition(settled);
    *waiters = waiting;
    done
}

impl StoreInner {
    /// [`DefaultMessageStore::wait_flushed`].
    pub(crate) fn wait_flushed(&self, ticket: FlushTicket) -> bool {
        self.group_commit
            .wait_flushed(ticket.end_offset, self.config.sync_flush_timeout)
    }

    /// Flushes the commit log (`least_pages` dirty pages at least, 0 = all)
    /// and records the checkpoint's physic timestamp; returns the flushed offset.
    pub(crate) fn flush_commit_log(&self, least_pages: usize) -> Result<i64, StoreError> {
        let ts = self.commit_log.last_store_timestamp();
        let target = self.commit_log.max_offset();
        let flushed = self.commit_log.files().flush(least_pages)?;
        if ts > 0 && flushed >= target {
            self.checkpoint.set_physic_msg_timestamp(ts);
        }
        if self.config.is_sync_flush() {
            self.group_commit.set_flushed(flushed);
            self.reput.wake();
        }
        self.release_behind(flushed);
        Ok(flushed)
    }

    /// Flushes every consume queue (`least_pages` as for the commit log).
    pub(crate) fn flush_consume_queues(&self, least_pages: usize) -> Result<(), StoreError> {
        let mut first_err = None;
        for cq in self.all_cqs() {
            if let Err(e) = cq.flush(least_pages) {
                tracing::error!("consume queue flush failed: {e}");
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Makes every byte of every file durable, whatever the flushed
    /// positions say: after an abnormal exit the dead process's unflushed
    /// pages are still dirty in the page cache, while recovery counts the
    /// files as flushed up to where they were found valid.
    fn flush_everything(&self) -> Result<(), StoreError> {
        for f in self.commit_log.files().files() {
            f.flush_range(0, f.wrote())?;
        }
        for cq in self.all_cqs() {
            for f in cq.files().files() {
                f.flush_range(0, f.wrote())?;
            }
        }
        if let Some(index) = &self.index {
            index.flush()?;
        }
        Ok(())
    }

    /// One checkpoint (Java's `FlushConsumeQueueService.doFlush` with a
    /// thorough flush, plus the recovery point): takes the dispatch mark,
    /// makes the commit log durable up to it, flushes every consume queue
    /// and the index, then persists the checkpoint — the logics timestamp
    /// read before those flushes and the mark as the new recovery point. So
    /// whatever the checkpoint file claims was on disk before it.
    pub(crate) fn checkpoint_round(&self) -> Result<(), StoreError> {
        let _round = self.checkpoint_lock.lock();
        if self.unflushed_since_open.load(Ordering::Acquire) {
            self.flush_everything()?;
            self.unflushed_since_open.store(false, Ordering::Release);
        }
        let mark = self.reput.mark();
        let logics = self.checkpoint.logics_msg_timestamp();
        let mut mark_ok = mark.is_some();
        if let Some(m) = &mark {
            // ASYNC_FLUSH dispatches ahead of the commit-log flush.
            if self.commit_log.flushed_offset() < m.next_offset {
                mark_ok = self.flush_commit_log(0)? >= m.next_offset;
            }
        }
        self.flush_consume_queues(0)?;
        if let Some(index) = &self.index {
            index.flush_dirty()?;
        }
        let mark = mark.filter(|_| mark_ok);
        self.checkpoint
            .flush_with(logics, mark.as_ref(), self.boot_id)?;
        Ok(())
    }

    /// Shutdown: commit log (up to 10 tries), dispatch catch-up, consume
    /// queues (3 tries), index, checkpoint.
    pub(crate) fn final_flush(&self) {
        for attempt in 1..=10 {
            match self.flush_commit_log(0) {
                Ok(f) if f >= self.commit_log.max_offset() => break,
                Ok(_) => {}
                Err(e) => tracing::error!("final commit-log flush (attempt {attempt}) failed: {e}"),
            }
        }
        if let Err(e) = self.reput_until_caught_up() {
            tracing::error!("final dispatch failed: {e}");
        }
        for attempt in 1..=3 {
            match self.flush_consume_queues(0) {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!("final consume-queue flush (attempt {attempt}) failed: {e}")
                }
            }
        }
        if let Some(index) = &self.index {
            if let Err(e) = index.flush() {
                tracing::error!("final index flush failed: {e}");
            }
        }
        self.checkpoint
            .set_confirm_phy_offset(self.commit_log.max_offset());
        if let Err(e) = self.checkpoint_round() {
            tracing::error!("final checkpoint failed: {e}");
        }
    }
}

/// Body of `store-flush-commitlog` (ASYNC_FLUSH).
pub(crate) fn flush_commit_log_loop(inner: &StoreInner) {
    let cfg = &inner.config;
    let mut last_thorough = Instant::now();
    while !inner.stop.load(Ordering::Acquire) {
        let mut least = cfg.flush_commit_log_least_pages;
        if last_thorough.elapsed() >= cfg.flush_commit_log_thorough_interval {
            last_thorough = Instant::now();
            least = 0;
        }
        {
            let mut g = inner.signal.lock();
            if inner.stop.load(Ordering::Acquire) {
                break;
            }
            if cfg.flush_commit_log_timed {
                inner
                    .stop_cv
                    .wait_for(&mut g, cfg.flush_interval_commit_log);
            } else {
                inner
                    .flush_cv
                    .wait_for(&mut g, cfg.flush_interval_commit_log);
            }
        }
        if let Err(e) = inner.flush_commit_log(least) {
            tracing::error!("commit-log flush failed: {e}");
        }
    }
}

/// Body of `store-group-commit` (SYNC_FLUSH).
pub(crate) fn group_commit_loop(inner: &StoreInner) {
    let gc = &inner.group_commit;
    loop {
        {
            let mut st = gc.state.lock();
            if st.stop || inner.stop.load(Ordering::Acquire) {
                break;
            }
            if st.requested <= st.flushed {
                gc.request_cv.wait_for(&mut st, Duration::from_millis(10));
            }
            if st.stop {
                break;
            }
        }
        if inner.commit_log.max_offset() > inner.commit_log.flushed_offset() {
            if let Err(e) = inner.flush_commit_log(0) {
                tracing::error!("group commit flush failed: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        } else {
            gc.set_flushed(inner.commit_log.flushed_offset());
        }
    }
    // Final flush for whoever still waits.
    if let Err(e) = inner.flush_commit_log(0) {
        tracing::error!("group commit final flush failed: {e}");
    }
    gc.settle_all();
}

/// Body of `store-flush-timeout` (SYNC_FLUSH): answers deferred
/// acknowledgements whose `syncFlushTimeout` passed, even while the group
/// commit thread is stuck in a slow flush.
pub(crate) fn flush_timeout_loop(inner: &StoreInner) {
    while !inner.sleep_or_stop(Duration::from_millis(10)) {
        inner.group_commit.expire_waiters();
    }
}

/// Body of `store-flush-cq`: consume queues every
/// `flushIntervalConsumeQueue` (at least `least_pages` dirty pages), and a
/// checkpoint ([`StoreInner::checkpoint_round`]) at once, then every
/// `checkpointInterval` — or, with that 0, every
/// `flushConsumeQueueThoroughInterval` as Java does.
pub(crate) fn flush_consume_queue_loop(inner: &StoreInner) {
    let cfg = &inner.config;
    let checkpoint_every = if cfg.checkpoint_interval.is_zero() {
        cfg.flush_consume_queue_thorough_interval
    } else {
        cfg.checkpoint_interval
            .min(cfg.flush_consume_queue_thorough_interval)
    };
    let period = cfg.flush_interval_consume_queue.min(checkpoint_every);
    if let Err(e) = inner.checkpoint_round() {
        tracing::error!("checkpoint failed: {e}");
    }
    let mut last_checkpoint = Instant::now();
    while !inner.sleep_or_stop(period) {
        let result = if last_checkpoint.elapsed() >= checkpoint_every {
            last_checkpoint = Instant::now();
            inner.checkpoint_round()
        } else {
            inner.flush_consume_queues(cfg.flush_consume_queue_least_pages)
        };
        if let Err(e) = result {
            tracing::error!("consume-queue flush or checkpoint failed: {e}");
        }
    }
}

impl DefaultMessageStore {
    /// Calls `done(true)` once the put that returned `ticket` is durable,
    /// `done(false)` if `syncFlushTimeout` passes first (FLUSH_DISK_TIMEOUT;
    /// the message stays stored). At once, on this thread, if it already is
    /// durable or the store is stopping; otherwise on a store thread (group
    /// commit or flush timeout), so `done` must not block.
    pub fn when_flushed(&self, ticket: FlushTicket, done: impl FnOnce(bool) + Send + 'static) {
        self.inner.group_commit.on_flushed(
            ticket.end_offset,
            self.inner.config.sync_flush_timeout,
            Box::new(done),
        );
    }

    /// Blocks until the put that returned `ticket` is durable: true, or
    /// false once `syncFlushTimeout` passed first (FLUSH_DISK_TIMEOUT).
    pub fn wait_flushed(&self, ticket: FlushTicket) -> bool {
        self.inner.wait_flushed(ticket)
    }

    /// Where the commit log is durable.
    pub fn flushed_phy_offset(&self) -> i64 {
        self.inner.commit_log.flushed_offset()
    }

    /// Flushes the commit log, consume queues, index and checkpoint now.
    pub fn flush_all(&self) -> Result<(), StoreError> {
        self.inner.flush_commit_log(0)?;
        self.inner.reput_until_caught_up()?;
        self.inner.checkpoint_round()
    }
}
