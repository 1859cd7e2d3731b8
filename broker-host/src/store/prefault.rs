//! Keeps the pages just ahead of the commit log's write position mapped and
//! writable, so an append copies into memory instead of taking a page fault
//! (a fault on a fresh page of a sparse file allocates and zeroes it inside
//! the sender's request: ~8% of broker CPU under load before this existed).
//!
//! RocketMQ's answer is `warmMapedFileEnable` (write zeros over a whole new
//! file); a sliding window does the same work a little at a time and never
//! writes more than [`WINDOW`] bytes ahead of the data.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::StoreInner;

/// How far ahead of the write position pages are kept populated.
pub(crate) const WINDOW: i64 = 64 * 1024 * 1024;

/// Shared between appenders (who ask) and the `store-prefault` thread.
#[derive(Debug, Default)]
pub(crate) struct Prefaulter {
    /// Commit-log offset up to which pages are populated.
    done_to: AtomicI64,
    requested: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
}

impl Prefaulter {
    /// Called after an append ending at `end`: wakes the thread when the
    /// write position has used up half of the window.
    pub(crate) fn want(&self, end: i64) {
        if end + WINDOW / 2 > self.done_to.load(Ordering::Relaxed)
            && !self.requested.swap(true, Ordering::AcqRel)
        {
            let _g = self.lock.lock();
            self.cv.notify_one();
        }
    }

    /// Wakes the thread so it sees the stop flag.
    pub(crate) fn wake(&self) {
        let _g = self.lock.lock();
        self.cv.notify_all();
    }
}

/// Body of `store-prefault`.
pub(crate) fn prefault_loop(inner: &StoreInner) {
    let state = &inner.prefault;
    state.requested.store(true, Ordering::Release);
    while !inner.stop.load(Ordering::Acquire) {
        if state.requested.swap(false, Ordering::AcqRel) {
            populate_ahead(inner);
        }
        let mut g = state.lock.lock();
        if !state.requested.load(Ordering::Acquire) && !inner.stop.load(Ordering::Acquire) {
            state.cv.wait_for(&mut g, Duration::from_secs(1));
        }
    }
}

fn populate_ahead(inner: &StoreInner) {
    let state = &inner.prefault;
    let write_position = inner.commit_log.max_offset();
    let target = write_position + WINDOW;
    let mut from = state.done_to.load(Ordering::Acquire).max(write_position);
    while from < target {
        // Files are created by the appender when it rolls; the next one is
        // populated once it exists.
        let Some(file) = inner.commit_log.files().find(from) else {
            break;
        };
        let until = target.min(file.end());
        if let Err(error) = file.prefault((from - file.from()) as usize, (until - from) as usize) {
            tracing::debug!(%error, "cannot prefault commit-log pages; appends will fault them in");
            state.done_to.store(i64::MAX, Ordering::Release);
            return;
        }
        from = until;
    }
    state.done_to.store(from, Ordering::Release);
}
