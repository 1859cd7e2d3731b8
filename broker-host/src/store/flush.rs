//! Flushing (§6): ASYNC_FLUSH timed commit-log flush (`FlushRealTimeService`),
//! SYNC_FLUSH group commit (`GroupCommitService`), consume-queue flush
//! (`FlushConsumeQueueService`) and the final flush at shutdown.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{StoreError, StoreInner};

#[derive(Debug, Default)]
struct GcState {
    requested: i64,
    flushed: i64,
    stop: bool,
}

/// SYNC_FLUSH group commit: putters wait on a condition variable until the
/// flusher has made their end offset durable; one flush releases everyone
/// whose data it covered.
#[derive(Debug, Default)]
pub struct GroupCommit {
    state: Mutex<GcState>,
    request_cv: Condvar,
    done_cv: Condvar,
}

impl GroupCommit {
    pub(crate) fn set_flushed(&self, offset: i64) {
        let mut st = self.state.lock();
        if offset > st.flushed {
            st.flushed = offset;
        }
        self.done_cv.notify_all();
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
}

impl StoreInner {
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
        Ok(flushed)
    }

    /// Flushes every consume queue; with `checkpoint`, then persists the
    /// checkpoint with the logics timestamp read before the flush.
    pub(crate) fn flush_consume_queues(
        &self,
        least_pages: usize,
        checkpoint: bool,
    ) -> Result<(), StoreError> {
        let logics = self.checkpoint.logics_msg_timestamp();
        let mut first_err = None;
        for cq in self.all_cqs() {
            if let Err(e) = cq.flush(least_pages) {
                tracing::error!("consume queue flush failed: {e}");
                first_err.get_or_insert(e);
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if checkpoint {
            self.checkpoint.flush_with_logics(logics)?;
        }
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
            match self.flush_consume_queues(0, false) {
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
        if let Err(e) = self.checkpoint.flush() {
            tracing::error!("final checkpoint flush failed: {e}");
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
}

/// Body of `store-flush-cq`.
pub(crate) fn flush_consume_queue_loop(inner: &StoreInner) {
    let cfg = &inner.config;
    let mut last_thorough = Instant::now();
    while !inner.sleep_or_stop(cfg.flush_interval_consume_queue) {
        let mut least = cfg.flush_consume_queue_least_pages;
        let mut thorough = false;
        if last_thorough.elapsed() >= cfg.flush_consume_queue_thorough_interval {
            last_thorough = Instant::now();
            least = 0;
            thorough = true;
        }
        if let Err(e) = inner.flush_consume_queues(least, thorough) {
            tracing::error!("consume-queue flush failed: {e}");
        }
    }
}
