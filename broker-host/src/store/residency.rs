//! Keeps the commit log's page cache to a window behind the write position
//! (`commitLogResidentBytes`): once a range is flushed and dispatched and
//! more than the window behind, its pages are given back to the kernel.
//!
//! Why: every commit-log page is otherwise cached until memory runs short,
//! so the page cache grows by everything written and each new page comes
//! from memory nobody has touched. On this VM a never-touched page costs
//! about four times a recycled one to populate (measured: 450–560 MB/s
//! against 1,700–1,900 MB/s with a 256 MiB window), and that populate was
//! the largest single item of broker CPU under load. Released pages are the
//! next ones the kernel hands out, so the store keeps reusing a warm set.
//! A consumer reading further back than the window is served from disk,
//! with read-ahead ([`StoreInner::read_ahead_released`]); the pull path's
//! in-memory estimate stays RocketMQ's `accessMessageInMemoryMaxRatio`, so
//! such pulls keep the in-memory batch limits (the on-disk ones, 8 messages
//! per pull, made a catch-up consumer 2.5x slower).

use parking_lot::Mutex;

use super::io::OS_PAGE_SIZE;
use super::StoreInner;

/// Pages are released in steps of at least this much, so a flush that
/// covers a few pages does not cost a pair of system calls each time.
pub(crate) const RELEASE_STEP: i64 = 4 << 20;

/// How far ahead of a reader of released pages the store asks the kernel
/// to read: a catch-up consumer pulls ~40 KiB at a time and would otherwise
/// wait for the disk on every few pulls.
pub(crate) const READ_AHEAD: usize = 4 << 20;

/// Where releasing has reached (commit-log offset).
#[derive(Debug, Default)]
pub(crate) struct Residency {
    released_to: Mutex<i64>,
}

impl StoreInner {
    /// Called after a commit-log flush reached `flushed`: releases the pages
    /// that are flushed, dispatched and more than the window behind.
    pub(crate) fn release_behind(&self, flushed: i64) {
        let window = self.config.commit_log_resident_bytes;
        if window == 0 {
            return;
        }
        let settled = flushed.min(self.reput.reput_from());
        let upto = settled.saturating_sub(i64::try_from(window).unwrap_or(i64::MAX));
        let upto = upto - upto.rem_euclid(OS_PAGE_SIZE as i64);
        // Another flusher is releasing: it will get there.
        let Some(mut released) = self.residency.released_to.try_lock() else {
            return;
        };
        if upto - *released < RELEASE_STEP {
            return;
        }
        let mut from = (*released).max(self.commit_log.min_offset());
        while from < upto {
            let Some(file) = self.commit_log.files().find(from) else {
                break;
            };
            let until = upto.min(file.end());
            let pos = (from - file.from()) as usize;
            if let Err(error) = file.release(pos, (until - from) as usize) {
                tracing::debug!(%error, "cannot release commit-log pages; the kernel keeps them");
                break;
            }
            from = until;
        }
        *released = upto;
    }

    /// Before a pull reads the commit log from `offset`: if that is behind
    /// the resident window and the data half a read-ahead further on is not
    /// in memory, starts reading [`READ_AHEAD`] bytes from `offset` in the
    /// background, so the pulls that follow find their pages cached.
    pub(crate) fn read_ahead_released(&self, offset: i64, max_offset: i64) {
        let window = self.config.commit_log_resident_bytes;
        if window == 0 || max_offset - offset <= i64::try_from(window).unwrap_or(i64::MAX) {
            return;
        }
        let Some(file) = self.commit_log.files().find(offset) else {
            return;
        };
        let pos = (offset - file.from()) as usize;
        let probe = (pos + READ_AHEAD / 2).min(file.size().saturating_sub(1));
        if file.is_resident(probe) {
            return;
        }
        if let Err(error) = file.read_ahead(pos, READ_AHEAD) {
            tracing::debug!(%error, "cannot read ahead in the commit log");
        }
    }
}
