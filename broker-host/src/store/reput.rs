//! The reput service (Java's `DefaultMessageStore.ReputMessageService`): reads commit-log records
//! from `reputFromOffset` up to the reput end offset (the max offset under
//! ASYNC_FLUSH, the flushed offset under SYNC_FLUSH) and dispatches each one
//! (`doDispatch`): writes the consume-queue entry, updates the checkpoint's
//! logics timestamp, builds the index entries and calls the arrival listener.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use plugin_api::codec::text_lossy;
use plugin_api::message::record::{parse_record, sysflag, RecordParse, RecordView};
use plugin_api::message::{tags_code, DispatchProperties};

use super::checkpoint::DispatchMark;
use super::consume_queue::{ConsumeQueue, CqEntry};
use super::index::IndexRequest;
use super::{ArrivalListener, DefaultMessageStore, StoreError, StoreInner, SCHEDULE_TOPIC};

/// State of the reput service.
pub struct ReputState {
    reput_from: AtomicI64,
    sleeping: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
    run_lock: Mutex<()>,
    /// The last record dispatched and the index after it, for the checkpoint.
    mark: Mutex<Option<DispatchMark>>,
}

impl Default for ReputState {
    fn default() -> Self {
        ReputState {
            reput_from: AtomicI64::new(0),
            sleeping: AtomicBool::new(false),
            lock: Mutex::new(()),
            cv: Condvar::new(),
            run_lock: Mutex::new(()),
            mark: Mutex::new(None),
        }
    }
}

impl ReputState {
    /// Where dispatching has reached.
    pub fn reput_from(&self) -> i64 {
        self.reput_from.load(Ordering::Acquire)
    }

    pub(crate) fn set_reput_from(&self, offset: i64) {
        self.reput_from.store(offset, Ordering::Release);
    }

    /// Wakes the reput thread if it sleeps (cheap when it is busy).
    pub(crate) fn wake(&self) {
        if self.sleeping.load(Ordering::Acquire) {
            self.wake_now();
        }
    }

    pub(crate) fn wake_now(&self) {
        let _g = self.lock.lock();
        self.cv.notify_all();
    }

    /// The newest [`DispatchMark`] (None before the first record).
    pub(crate) fn mark(&self) -> Option<DispatchMark> {
        *self.mark.lock()
    }

    pub(crate) fn set_mark(&self, mark: DispatchMark) {
        *self.mark.lock() = Some(mark);
    }
}

/// Where a record is, for a [`DispatchMark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LastRecord {
    pub offset: i64,
    pub size: i32,
    pub store_timestamp: i64,
}

impl From<&plugin_api::message::record::RecordHeader> for LastRecord {
    fn from(h: &plugin_api::message::record::RecordHeader) -> Self {
        LastRecord {
            offset: h.physical_offset,
            size: h.total_size,
            store_timestamp: h.store_timestamp,
        }
    }
}

/// What to do with one record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DispatchMode {
    pub build_cq: bool,
    pub build_index: bool,
    pub notify: bool,
    /// Compare existing consume-queue entries and rewrite them if they differ (recovery).
    pub repair: bool,
}

impl DispatchMode {
    pub(crate) const RUNTIME: DispatchMode = DispatchMode {
        build_cq: true,
        build_index: true,
        notify: true,
        repair: false,
    };
    pub(crate) const RECOVERY: DispatchMode = DispatchMode {
        build_cq: true,
        build_index: true,
        notify: false,
        repair: true,
    };
    pub(crate) const INDEX_ONLY: DispatchMode = DispatchMode {
        build_cq: false,
        build_index: true,
        notify: false,
        repair: false,
    };
}

/// Cache of the last consume queue the reput service wrote to.
#[derive(Default)]
pub(crate) struct CqCache {
    last: Option<Arc<ConsumeQueue>>,
    /// `cq_generation` when `last` was looked up.
    generation: u64,
}

/// The consume-queue tagsCode of a record: the TAGS hash, or for the
/// schedule topic the delivery time `storeTimestamp + delay(DELAY level)`.
pub fn compute_tags_code(
    topic: &str,
    tags: Option<&str>,
    delay: Option<&str>,
    store_timestamp: i64,
    delay_levels: &[i64],
) -> i64 {
    let mut code = tags_code(tags);
    if topic == SCHEDULE_TOPIC {
        if let Some(level) = delay.and_then(|d| d.trim().parse::<i32>().ok()) {
            let level = level.min(delay_levels.len() as i32);
            if level > 0 {
                code = store_timestamp
                    + delay_levels
                        .get(level as usize - 1)
                        .copied()
                        .unwrap_or(1000);
            }
        }
    }
    code
}

impl StoreInner {
    /// Offset up to which records may be dispatched (Java's
    /// `ReputMessageService.getReputEndOffset`).
    pub(crate) fn reput_end_offset(&self) -> i64 {
        if self.config.is_sync_flush() {
            self.commit_log
                .flushed_offset()
                .min(self.commit_log.max_offset())
        } else {
            self.commit_log.max_offset()
        }
    }

    pub(crate) fn dispatch_behind_bytes(&self) -> i64 {
        (self.reput_end_offset() - self.reput.reput_from()).max(0)
    }

    /// Dispatches one record (consume queue, logics timestamp, index, listener).
    pub(crate) fn dispatch_record(
        &self,
        view: &RecordView<'_>,
        mode: DispatchMode,
        cache: &mut CqCache,
    ) -> Result<(), StoreError> {
        let h = &view.header;
        let topic: Cow<'_, str> = text_lossy(view.topic);
        let props: Cow<'_, str> = text_lossy(view.properties);
        let dp = DispatchProperties::scan(&props);
        let code = compute_tags_code(
            &topic,
            dp.tags,
            dp.delay,
            h.store_timestamp,
            &self.config.message_delay_level_millis,
        );
        let to_queue = sysflag::is_dispatched_to_queue(h.sys_flag);
        if mode.build_cq && to_queue {
            let generation = self.cq_generation.load(Ordering::Acquire);
            let cq = match &cache.last {
                Some(cq)
                    if cache.generation == generation
                        && cq.queue_id() == h.queue_id
                        && cq.topic() == topic =>
                {
                    cq.clone()
                }
                _ => {
                    let cq = self.find_or_create_cq(&topic, h.queue_id);
                    cache.last = Some(cq.clone());
                    cache.generation = generation;
                    cq
                }
            };
            let entry = CqEntry {
                phy_offset: h.physical_offset,
                size: h.total_size,
                tags_code: code,
            };
            if let Err(e) = cq.put(entry, h.queue_offset, mode.repair) {
                self.write_error.store(true, Ordering::Release);
                return Err(e);
            }
        }
        if mode.build_cq {
            self.checkpoint.set_logics_msg_timestamp(h.store_timestamp);
        }
        if mode.build_index {
            if let Some(index) = &self.index {
                index.build(&IndexRequest {
                    topic: &topic,
                    phy_offset: h.physical_offset,
                    store_timestamp: h.store_timestamp,
                    sys_flag: h.sys_flag,
                    keys: dp.keys,
                    uniq_key: dp.uniq_key,
                })?;
            }
        }
        if mode.notify && to_queue {
            let listener = self.listener.read().clone();
            if let Some(l) = listener {
                l(&topic, h.queue_id, h.queue_offset + 1, code);
            }
        }
        Ok(())
    }

    /// One reput round: dispatches from `reputFromOffset` to the reput end offset.
    /// Returns the number of records dispatched.
    pub(crate) fn do_reput(&self, cache: &mut CqCache) -> Result<usize, StoreError> {
        let _run = self.reput.run_lock.lock();
        let mut dispatched = 0usize;
        loop {
            let end = self.reput_end_offset();
            let mut from = self.reput.reput_from();
            if from >= end {
                return Ok(dispatched);
            }
            let min = self.commit_log.min_offset();
            if from < min {
                tracing::warn!(
                    "reput offset {from} below the commit-log min {min}; skipping ahead"
                );
                from = min;
                self.reput.set_reput_from(from);
                continue;
            }
            let Some((file, pos)) = self.commit_log.readable_at(from) else {
                return Ok(dispatched);
            };
            let data = file.readable_from(pos);
            let avail = data.len().min((end - from) as usize);
            let data = &data[..avail];
            let mut off = 0usize;
            let mut next_file = false;
            let mut last = None;
            while off < data.len() {
                match parse_record(&data[off..]) {
                    RecordParse::Message(view) => {
                        self.dispatch_record(&view, DispatchMode::RUNTIME, cache)?;
                        last = Some((&view.header).into());
                        off += view.size();
                        dispatched += 1;
                    }
                    RecordParse::EndOfFile { .. } => {
                        next_file = true;
                        break;
                    }
                    RecordParse::Invalid(reason) => {
                        tracing::error!(
                            "[BUG] reput: invalid record at {}: {reason}; skipping {} bytes",
                            from + off as i64,
                            data.len() - off
                        );
                        off = data.len();
                    }
                }
            }
            let new_from = if next_file {
                file.end()
            } else {
                from + off as i64
            };
            self.reput.set_reput_from(new_from);
            self.publish_mark(last, new_from);
            if new_from == from {
                return Ok(dispatched);
            }
        }
    }

    /// Publishes how far dispatching got: `last` is the last record of the
    /// batch just dispatched (None if it held none: the previous one stays
    /// the last), `next` where dispatching continues.
    pub(crate) fn publish_mark(&self, last: Option<LastRecord>, next: i64) {
        let previous = self.reput.mark();
        let Some(last) = last.or(previous.map(|m| LastRecord {
            offset: m.last_offset,
            size: m.last_size,
            store_timestamp: m.last_store_timestamp,
        })) else {
            return;
        };
        self.reput.set_mark(DispatchMark {
            last_offset: last.offset,
            last_size: last.size,
            last_store_timestamp: last.store_timestamp,
            next_offset: next,
            index: self.index.as_ref().map(|i| i.mark()),
        });
    }

    /// Dispatches until caught up with the reput end offset (startup,
    /// shutdown, tests).
    pub(crate) fn reput_until_caught_up(&self) -> Result<(), StoreError> {
        let mut cache = CqCache::default();
        loop {
            let n = self.do_reput(&mut cache)?;
            if n == 0 || self.reput.reput_from() >= self.reput_end_offset() {
                return Ok(());
            }
        }
    }
}

/// Body of the `store-reput` thread.
pub(crate) fn reput_loop(inner: &StoreInner) {
    let mut cache = CqCache::default();
    while !inner.stop.load(Ordering::Acquire) {
        match inner.do_reput(&mut cache) {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!("reput failed: {e}"),
        }
        let mut g = inner.reput.lock.lock();
        inner.reput.sleeping.store(true, Ordering::Release);
        if inner.reput.reput_from() >= inner.reput_end_offset()
            && !inner.stop.load(Ordering::Acquire)
        {
            inner.reput.cv.wait_for(&mut g, Duration::from_millis(1));
        }
        inner.reput.sleeping.store(false, Ordering::Release);
    }
}

impl DefaultMessageStore {
    /// Sets the listener the reput thread calls for each new consume-queue
    /// entry: (topic, queue id, new max offset, tagsCode) — long polling.
    pub fn set_arrival_listener(&self, listener: Box<ArrivalListener>) {
        *self.inner.listener.write() = Some(Arc::from(listener));
    }

    /// Bytes appended but not yet dispatched.
    pub fn dispatch_behind_bytes(&self) -> i64 {
        self.inner.dispatch_behind_bytes()
    }

    /// Dispatches everything appended so far (what the reput thread does)
    /// and returns when done.
    pub fn wait_dispatched(&self) -> Result<(), StoreError> {
        self.inner.reput_until_caught_up()
    }
}
