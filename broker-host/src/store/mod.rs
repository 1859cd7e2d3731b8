//! The message store: Apache RocketMQ's `DefaultMessageStore`, byte-compatible
//! with its on-disk format (`shared/spec/message-store.md`).
//!
//! * [`commit_log`]: every record of every topic, appended under one short lock;
//! * [`consume_queue`]: per (topic, queue) 20-byte pointers into the commit log;
//! * [`index`]: hash index `topic#key` → commit-log offsets;
//! * [`checkpoint`]: the 4 KiB checkpoint file;
//! * [`reput`]: the reput thread building consume queues and index from the commit log;
//! * [`flush`]: ASYNC_FLUSH timed flush, SYNC_FLUSH group commit, consume-queue flush;
//! * [`recovery`]: load, normal and abnormal recovery, truncation;
//! * [`clean`]: expired-file deletion and the disk-full check;
//! * [`io`]: the storage seam ([`FsIo`] real, [`SimIo`] for crash tests).
//!
//! Threads (plain std threads, started by [`DefaultMessageStore::start`]):
//! `store-reput`, `store-flush-commitlog` (or `store-group-commit`),
//! `store-flush-cq`, `store-clean`, `store-stats`. See `docs/STORE.md`.

pub mod checkpoint;
pub mod clean;
pub mod commit_log;
pub mod config;
mod consistency;
pub mod consume_queue;
mod error;
pub mod flush;
pub mod index;
pub mod io;
pub mod mapped_file;
pub mod mapped_file_queue;
mod prefault;
pub mod recovery;
pub mod reput;
mod residency;
pub mod stats;

use crate::FastMap;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, RwLock};
use plugin_api::message::properties::{find_property, MAX_PROPERTIES_LEN, TAGS};
use plugin_api::message::record::{
    needs_v2, parse_record, pos, read_i32, read_i64, record_length, sysflag, RecordParse,
    RecordToEncode, MAX_TOPIC_LEN_V1,
};
use plugin_api::message::{encode_record_into, offset_msg_id};

pub use self::config::StoreConfig;
pub use self::consistency::ConsistencyReport;
pub use self::error::StoreError;
pub use self::flush::{capture_flush_waits, FlushCallback, PendingFlush};
pub use self::io::{CrashMode, FsIo, SimIo, StorageIo};

use self::checkpoint::Checkpoint;
use self::commit_log::{AppendError, AppendRequest, CommitLog};
use self::consume_queue::ConsumeQueue;
use self::flush::GroupCommit;
use self::index::IndexService;
use self::io::LockGuard;
use self::reput::ReputState;

/// Topic of delayed messages; its consume-queue tagsCode is the delivery time.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Longest topic the store accepts (V2 records; `%RETRY%` / `%DLQ%` topics).
pub const MAX_TOPIC_LEN: usize = 255;
/// Slack allowed for a record over the body limit (`maxMessageSize + 64 KiB`).
pub const RECORD_SIZE_SLACK: usize = 64 * 1024;
/// Cap of one pull's bytes (5.x `MAX_PULL_MSG_SIZE`).
pub const MAX_PULL_MSG_SIZE: i64 = 128 * 1024 * 1024;

/// Which end of the messages around a time `offset_in_queue_by_time_bounded`
/// answers (RocketMQ `BoundaryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundaryType {
    /// The first message stored at or after the time.
    #[default]
    Lower,
    /// The last message stored at or before the time.
    Upper,
}

/// A message to append (one commit-log record).
#[derive(Debug, Clone, Copy)]
pub struct MessageToStore<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// SYSFLAG (the IPv6 bits are set by the store from the addresses).
    pub sys_flag: i32,
    /// Producer time (epoch ms).
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Body (stored untouched).
    pub body: &'a [u8],
    /// Encoded properties.
    pub properties: &'a str,
    /// Reconsume counter.
    pub reconsume_times: i32,
    /// Prepared-transaction offset (transaction commit/rollback records).
    pub prepared_transaction_offset: i64,
    /// WAIT property: under SYNC_FLUSH, answer only after the flush.
    pub wait_store: bool,
}

/// A SEND_BATCH_MESSAGE batch: N records with consecutive queue offsets,
/// written all-or-nothing into one commit-log file.
#[derive(Debug, Clone)]
pub struct BatchToStore<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// SYSFLAG shared by all records (no transaction bits).
    pub sys_flag: i32,
    /// Producer time.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// `(flag, body, properties)` of each message; properties are stored as
    /// given (the caller appends the batch properties, §SEND_BATCH_MESSAGE).
    pub entries: Vec<(i32, &'a [u8], &'a str)>,
    /// RECONSUMETIMES of every record (the request header's, as Java writes it).
    pub reconsume_times: i32,
    /// WAIT.
    pub wait_store: bool,
}

/// Outcome of a put (`PutMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PutMessageStatus {
    /// Stored (and flushed, under SYNC_FLUSH with WAIT).
    PutOk,
    /// Stored, but the SYNC_FLUSH wait timed out.
    FlushDiskTimeout,
    /// Stored, slave did not confirm in time.
    FlushSlaveTimeout,
    /// Stored, no slave.
    SlaveNotAvailable,
    /// Store shut down, not writeable (disk full) or a slave.
    ServiceNotAvailable,
    /// A new commit-log file could not be created.
    CreateMappedFileFailed,
    /// Body, topic or record too long.
    MessageIllegal,
    /// Properties longer than 32767 bytes.
    PropertiesSizeExceeded,
    /// The append lock is held too long (page cache busy).
    OsPageCacheBusy,
    /// Anything else.
    UnknownError,
}

impl PutMessageStatus {
    /// Java's enum name (`PUT_OK`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PutMessageStatus::PutOk => "PUT_OK",
            PutMessageStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            PutMessageStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            PutMessageStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            PutMessageStatus::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            PutMessageStatus::CreateMappedFileFailed => "CREATE_MAPPED_FILE_FAILED",
            PutMessageStatus::MessageIllegal => "MESSAGE_ILLEGAL",
            PutMessageStatus::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
            PutMessageStatus::OsPageCacheBusy => "OS_PAGE_CACHE_BUSY",
            PutMessageStatus::UnknownError => "UNKNOWN_ERROR",
        }
    }

    /// Whether the message was stored (OK or a stored-but-late status).
    pub fn is_stored(self) -> bool {
        matches!(
            self,
            PutMessageStatus::PutOk
                | PutMessageStatus::FlushDiskTimeout
                | PutMessageStatus::FlushSlaveTimeout
                | PutMessageStatus::SlaveNotAvailable
        )
    }
}

/// Result of a put. On failure the offsets are -1 and `msg_ids` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMessageResult {
    /// Status.
    pub status: PutMessageStatus,
    /// Commit-log offset of the (first) record.
    pub wrote_offset: i64,
    /// Bytes written.
    pub wrote_bytes: i32,
    /// Offset message id of each record.
    pub msg_ids: Vec<String>,
    /// Queue offset of the (first) record.
    pub queue_offset: i64,
    /// Records written.
    pub msg_num: i32,
    /// Store timestamp.
    pub store_timestamp: i64,
}

impl PutMessageResult {
    fn failed(status: PutMessageStatus) -> Self {
        PutMessageResult {
            status,
            wrote_offset: -1,
            wrote_bytes: 0,
            msg_ids: Vec::new(),
            queue_offset: -1,
            msg_num: 0,
            store_timestamp: 0,
        }
    }

    /// Whether the status is [`PutMessageStatus::PutOk`].
    pub fn is_ok(&self) -> bool {
        self.status == PutMessageStatus::PutOk
    }
}

/// Which messages a pull wants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MessageFilter {
    /// Everything.
    #[default]
    All,
    /// Subscription by tags: the consume-queue tagsCode (as an int, like
    /// Java's `codeSet.contains(tagsCode.intValue())`) must be in `codes`,
    /// then — unless `tags` is empty — the record's TAGS must be in `tags`.
    Tags {
        /// Java hashes of the subscribed tags.
        codes: HashSet<i64>,
        /// The subscribed tags.
        tags: HashSet<String>,
    },
}

impl MessageFilter {
    /// A tag filter from tag names (`"*"` or empty = everything).
    pub fn from_tags<I: IntoIterator<Item = S>, S: Into<String>>(tags: I) -> MessageFilter {
        let tags: HashSet<String> = tags
            .into_iter()
            .map(Into::into)
            .filter(|t: &String| !t.trim().is_empty())
            .collect();
        if tags.is_empty() || tags.contains("*") {
            return MessageFilter::All;
        }
        let codes = tags
            .iter()
            .map(|t| plugin_api::message::java_string_hash(t) as i64)
            .collect();
        MessageFilter::Tags { codes, tags }
    }

    fn matches_code(&self, tags_code: i64) -> bool {
        match self {
            MessageFilter::All => true,
            MessageFilter::Tags { codes, .. } => codes.contains(&((tags_code as i32) as i64)),
        }
    }

    fn matches_record(&self, record: &[u8]) -> bool {
        match self {
            MessageFilter::All => true,
            MessageFilter::Tags { tags, .. } if tags.is_empty() => true,
            MessageFilter::Tags { tags, .. } => match parse_record(record) {
                RecordParse::Message(view) => {
                    let props = String::from_utf8_lossy(view.properties);
                    find_property(&props, TAGS).is_some_and(|t| tags.contains(t))
                }
                _ => false,
            },
        }
    }
}

/// Outcome of a read (`GetMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetMessageStatus {
    /// Messages returned.
    Found,
    /// Entries scanned, none matched the filter.
    NoMatchedMessage,
    /// The records' commit-log file is gone.
    MessageWasRemoving,
    /// The consume-queue file for the offset is gone.
    OffsetFoundNull,
    /// Offset beyond max + 1.
    OffsetOverflowBadly,
    /// Offset == max (nothing new yet).
    OffsetOverflowOne,
    /// Offset below min.
    OffsetTooSmall,
    /// The queue does not exist.
    NoMatchedLogicQueue,
    /// The queue is empty.
    NoMessageInQueue,
}

impl GetMessageStatus {
    /// Java's enum name (`FOUND`, ...), used as the pull remark.
    pub fn name(self) -> &'static str {
        match self {
            GetMessageStatus::Found => "FOUND",
            GetMessageStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            GetMessageStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            GetMessageStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
            GetMessageStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            GetMessageStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            GetMessageStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
            GetMessageStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            GetMessageStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        }
    }
}

/// Result of [`DefaultMessageStore::get_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMessageResult {
    /// Status.
    pub status: GetMessageStatus,
    /// Where the next pull should start.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Raw records, concatenated.
    pub body: Vec<u8>,
    /// Records in `body`.
    pub message_count: i32,
    /// The data read is far from the commit-log tail (not in memory).
    pub suggest_pulling_from_slave: bool,
}

/// Result of [`DefaultMessageStore::query_message`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryMessageResult {
    /// Raw records concatenated (a QUERY_MESSAGE body; hash collisions removed).
    pub body: Vec<u8>,
    /// Records in `body`.
    pub message_count: i32,
    /// End timestamp of the newest index file.
    pub index_last_update_timestamp: i64,
    /// End commit-log offset of the newest index file.
    pub index_last_update_phyoffset: i64,
}

/// The arrival listener: (topic, queue id, new max offset, tagsCode).
pub type ArrivalListener = dyn Fn(&str, i32, i64, i64) + Send + Sync;

pub(crate) type CqTable = FastMap<String, FastMap<i32, Arc<ConsumeQueue>>>;

/// Shared state of the store and its threads.
pub(crate) struct StoreInner {
    config: StoreConfig,
    io: Arc<dyn StorageIo>,
    commit_log: CommitLog,
    consume_queues: RwLock<CqTable>,
    index: Option<IndexService>,
    checkpoint: Arc<Checkpoint>,
    reput: ReputState,
    prefault: prefault::Prefaulter,
    residency: residency::Residency,
    group_commit: Arc<GroupCommit>,
    signal: Mutex<()>,
    stop_cv: Condvar,
    flush_cv: Condvar,
    stop: AtomicBool,
    flusher_running: AtomicBool,
    shutdown: AtomicBool,
    disk_full: AtomicBool,
    write_error: AtomicBool,
    manual_delete_runs: AtomicI32,
    last_clean_min_phy: AtomicI64,
    listener: RwLock<Option<Arc<ArrivalListener>>>,
    lock_guard: Mutex<Option<LockGuard>>,
    memory_window: i64,
    /// Bumped when consume queues are deleted (the reput cache checks it).
    cq_generation: AtomicU64,
    /// Put/get statistics (`StoreStatsService`).
    pub(crate) stats: stats::StoreStats,
}

impl StoreInner {
    fn find_cq(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.consume_queues
            .read()
            .get(topic)
            .and_then(|q| q.get(&queue_id))
            .cloned()
    }

    fn find_or_create_cq(&self, topic: &str, queue_id: i32) -> Arc<ConsumeQueue> {
        if let Some(cq) = self.find_cq(topic, queue_id) {
            return cq;
        }
        let mut table = self.consume_queues.write();
        table
            .entry(topic.to_owned())
            .or_default()
            .entry(queue_id)
            .or_insert_with(|| {
                Arc::new(ConsumeQueue::new(
                    self.io.clone(),
                    self.config.consume_queue_path(topic, queue_id),
                    topic,
                    queue_id,
                    self.config.mapped_file_size_consume_queue,
                ))
            })
            .clone()
    }

    fn all_cqs(&self) -> Vec<Arc<ConsumeQueue>> {
        self.consume_queues
            .read()
            .values()
            .flat_map(|q| q.values().cloned())
            .collect()
    }

    fn is_writeable(&self) -> bool {
        !self.shutdown.load(Ordering::Acquire)
            && !self.disk_full.load(Ordering::Acquire)
            && !self.write_error.load(Ordering::Acquire)
    }

    fn check_before_put(&self) -> Option<PutMessageStatus> {
        if !self.is_writeable() {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.config.broker_role == crate::config::BrokerRole::Slave {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self
            .commit_log
            .is_os_page_cache_busy(self.config.os_page_cache_busy_timeout.as_millis() as i64)
        {
            return Some(PutMessageStatus::OsPageCacheBusy);
        }
        None
    }

    fn check_topic(&self, topic: &str) -> Option<PutMessageStatus> {
        if topic.is_empty()
            || topic.len() > MAX_TOPIC_LEN
            || (topic.len() > MAX_TOPIC_LEN_V1 && !self.config.auto_message_version_on_topic_len)
        {
            return Some(PutMessageStatus::MessageIllegal);
        }
        None
    }

    fn append_failed(&self, e: AppendError) -> PutMessageStatus {
        match e {
            AppendError::CreateFile(err) => {
                tracing::error!("create mapped file failed: {err}");
                if let StoreError::Io { source, .. } = &err {
                    if source.raw_os_error() == Some(libc::ENOSPC) {
                        self.disk_full.store(true, Ordering::Release);
                    }
                }
                PutMessageStatus::CreateMappedFileFailed
            }
            AppendError::TooLarge => PutMessageStatus::MessageIllegal,
            AppendError::Encode => PutMessageStatus::UnknownError,
        }
    }

    /// After an append: keep pages ahead populated, then flush per the flush type.
    fn after_append(&self, end_offset: i64, wait_store: bool) -> PutMessageStatus {
        // The reput thread is not woken per message: like RocketMQ's
        // ReputMessageService it polls every millisecond, so one wake-up
        // dispatches every record written meanwhile (a wake per put cost a
        // futex call in the sender and a context switch per message).
        self.prefault.want(end_offset);
        if self.config.is_sync_flush() {
            if !self.flusher_running.load(Ordering::Acquire) {
                // Not started: no group-commit thread, flush inline.
                return match self.flush_commit_log(0) {
                    Ok(_) => PutMessageStatus::PutOk,
                    Err(e) => {
                        tracing::error!("inline flush failed: {e}");
                        PutMessageStatus::FlushDiskTimeout
                    }
                };
            }
            if wait_store {
                if self.wait_or_defer_flush(end_offset) {
                    PutMessageStatus::PutOk
                } else {
                    tracing::warn!("sync flush of offset {end_offset} timed out");
                    PutMessageStatus::FlushDiskTimeout
                }
            } else {
                self.group_commit.wake();
                PutMessageStatus::PutOk
            }
        } else {
            if !self.config.flush_commit_log_timed {
                self.flush_cv.notify_one();
            }
            PutMessageStatus::PutOk
        }
    }

    fn in_memory(&self, max_py: i64, offset_py: i64) -> bool {
        max_py - offset_py <= self.memory_window
    }

    fn next_offset_correction(&self, old: i64, new: i64) -> i64 {
        if self.config.broker_role != crate::config::BrokerRole::Slave
            || self.config.offset_check_in_slave
        {
            new
        } else {
            old
        }
    }

    /// Store timestamp of the record at `phy` (reads its SYSFLAG for the position).
    fn pickup_store_timestamp(&self, phy: i64, size: i32) -> Option<i64> {
        let size = usize::try_from(size).ok()?;
        let (f, p) = self.commit_log.locate(phy, size)?;
        let rec = f.slice(p, size)?;
        let sys_flag = read_i32(rec, pos::SYS_FLAG)?;
        read_i64(rec, pos::store_timestamp(sys_flag))
    }

    /// `setPutMessageEntireTimeMax` and the put counters of one put.
    /// `begin` is [`stats::coarse_millis`] before the put.
    fn record_put(&self, topic: &str, result: &PutMessageResult, begin: i64) {
        self.stats.record_put(
            topic,
            result.msg_num.max(0) as u64,
            result.wrote_bytes.max(0) as u64,
            stats::coarse_millis() - begin,
            result.is_ok(),
        );
    }

    fn sleep_or_stop(&self, dur: std::time::Duration) -> bool {
        let mut g = self.signal.lock();
        if self.stop.load(Ordering::Acquire) {
            return true;
        }
        self.stop_cv.wait_for(&mut g, dur);
        self.stop.load(Ordering::Acquire)
    }
}

/// The message store (see the module docs). `Send + Sync`; use it as
/// `Arc<DefaultMessageStore>`. Dropping the last handle shuts it down.
pub struct DefaultMessageStore {
    inner: Arc<StoreInner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    started: AtomicBool,
    stopped: AtomicBool,
}

impl std::fmt::Debug for DefaultMessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultMessageStore")
            .field("root", &self.inner.config.root_dir)
            .field("min_phy_offset", &self.min_phy_offset())
            .field("max_phy_offset", &self.max_phy_offset())
            .finish()
    }
}

impl DefaultMessageStore {
    /// Opens the store on the real file system: takes the lock, detects an
    /// abnormal exit (`abort`), loads commit log, consume queues, checkpoint
    /// and index, recovers (§10), dispatches whatever the consume queues
    /// miss and rebuilds the queue-offset table. Fails on a wrong-size file
    /// or a held lock.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StoreError> {
        Self::open_with_io(config, Arc::new(FsIo))
    }

    /// [`DefaultMessageStore::open`] over any [`StorageIo`] (crash tests use [`SimIo`]).
    pub fn open_with_io(
        config: StoreConfig,
        io: Arc<dyn StorageIo>,
    ) -> Result<Arc<Self>, StoreError> {
        let inner = recovery::open_inner(config, io)?;
        Ok(Arc::new(DefaultMessageStore {
            inner: Arc::new(inner),
            threads: Mutex::new(Vec::new()),
            started: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// Starts the threads (reput, commit-log flush or group commit,
    /// consume-queue flush, clean) and creates the `abort` file. A second
    /// call does nothing.
    pub fn start(&self) -> Result<(), StoreError> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(StoreError::ShutDown);
        }
        if self.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let mut threads = self.threads.lock();
        let spawn =
            |name: &'static str, f: fn(&StoreInner)| -> Result<JoinHandle<()>, StoreError> {
                let inner = self.inner.clone();
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || f(&inner))
                    .map_err(|source| StoreError::Thread { name, source })
            };
        threads.push(spawn("store-reput", reput::reput_loop)?);
        if self.inner.config.is_sync_flush() {
            threads.push(spawn("store-group-commit", flush::group_commit_loop)?);
            threads.push(spawn("store-flush-timeout", flush::flush_timeout_loop)?);
            self.inner.flusher_running.store(true, Ordering::Release);
        } else {
            threads.push(spawn(
                "store-flush-commitlog",
                flush::flush_commit_log_loop,
            )?);
        }
        threads.push(spawn("store-flush-cq", flush::flush_consume_queue_loop)?);
        threads.push(spawn("store-prefault", prefault::prefault_loop)?);
        threads.push(spawn("store-clean", clean::clean_loop)?);
        threads.push(spawn("store-stats", stats_loop)?);
        let abort = self.inner.config.abort_path();
        self.inner
            .io
            .create_marker(&abort)
            .map_err(|e| StoreError::io("create", &abort, e))?;
        Ok(())
    }

    fn stop_threads(&self) {
        self.inner.stop.store(true, Ordering::Release);
        self.inner.flusher_running.store(false, Ordering::Release);
        {
            let _g = self.inner.signal.lock();
            self.inner.stop_cv.notify_all();
            self.inner.flush_cv.notify_all();
        }
        self.inner.reput.wake_now();
        self.inner.prefault.wake();
        self.inner.group_commit.stop();
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            if t.join().is_err() {
                tracing::error!("a store thread panicked");
            }
        }
    }

    /// Stops the threads, flushes commit log, consume queues, index and
    /// checkpoint, deletes `abort` if the store is writeable and fully
    /// dispatched, and releases the lock. Idempotent.
    pub fn shutdown(&self) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = &self.inner;
        inner.shutdown.store(true, Ordering::Release);
        self.stop_threads();
        inner.final_flush();
        let clean = !inner.disk_full.load(Ordering::Acquire)
            && !inner.write_error.load(Ordering::Acquire)
            && inner.dispatch_behind_bytes() == 0;
        let abort = inner.config.abort_path();
        if clean && inner.io.exists(&abort) {
            if let Err(e) = inner.io.remove_file(&abort) {
                tracing::error!("cannot delete {}: {e}", abort.display());
            }
        } else if !clean {
            tracing::warn!("store not shut down cleanly: keeping {}", abort.display());
        }
        inner.lock_guard.lock().take();
        tracing::info!("message store shut down");
    }

    /// Stops the threads **without** any final flush, checkpoint or `abort`
    /// removal — what a killed process leaves behind (then take a
    /// [`SimIo::crash`] snapshot). Releases the lock. Further puts fail.
    pub fn halt(&self) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.shutdown.store(true, Ordering::Release);
        self.stop_threads();
        self.inner.lock_guard.lock().take();
    }

    /// Appends one message (see [`MessageToStore`]). Blocks under
    /// SYNC_FLUSH with `wait_store` until the record is flushed (group
    /// commit) or `syncFlushTimeout` passed (FLUSH_DISK_TIMEOUT, still stored).
    pub fn put_message(&self, msg: &MessageToStore<'_>) -> PutMessageResult {
        let inner = &self.inner;
        if let Some(status) = inner
            .check_before_put()
            .or_else(|| inner.check_topic(msg.topic))
        {
            return PutMessageResult::failed(status);
        }
        if msg.body.len() > inner.config.max_message_size {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if msg.properties.len() > MAX_PROPERTIES_LEN {
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let store_host = inner.config.store_host;
        let len = record_length(
            msg.body.len(),
            msg.topic.len(),
            msg.properties.len(),
            msg.born_host.is_ipv6(),
            store_host.is_ipv6(),
            needs_v2(msg.topic.len()),
        );
        if len > inner.config.max_message_size + RECORD_SIZE_SLACK {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let body_crc = (crc32fast::hash(msg.body) & 0x7FFF_FFFF) as i32;
        let begin = stats::coarse_millis();
        let req = AppendRequest {
            topic: msg.topic,
            queue_id: msg.queue_id,
            assign_queue_offset: sysflag::is_dispatched_to_queue(msg.sys_flag),
            msg_count: 1,
            total_len: len,
        };
        let appended = inner
            .commit_log
            .append(req, |dst, phy, queue_offset, store_ts| {
                let rec = RecordToEncode {
                    queue_id: msg.queue_id,
                    flag: msg.flag,
                    queue_offset,
                    physical_offset: phy,
                    sys_flag: msg.sys_flag,
                    born_timestamp: msg.born_timestamp,
                    born_host: msg.born_host,
                    store_timestamp: store_ts,
                    store_host,
                    reconsume_times: msg.reconsume_times,
                    prepared_transaction_offset: msg.prepared_transaction_offset,
                    body_crc,
                    body: msg.body,
                    topic: msg.topic,
                    properties: msg.properties,
                };
                encode_record_into(&rec, dst).is_ok()
            });
        let result = match appended {
            Ok(a) => {
                let status = inner.after_append(a.wrote_offset + len as i64, msg.wait_store);
                PutMessageResult {
                    status,
                    wrote_offset: a.wrote_offset,
                    wrote_bytes: len as i32,
                    msg_ids: vec![offset_msg_id(store_host, a.wrote_offset)],
                    queue_offset: a.queue_offset,
                    msg_num: 1,
                    store_timestamp: a.store_timestamp,
                }
            }
            Err(e) => PutMessageResult::failed(inner.append_failed(e)),
        };
        inner.record_put(msg.topic, &result, begin);
        result
    }

    /// Appends a batch as consecutive records with consecutive queue
    /// offsets, all in one commit-log file (all or nothing).
    pub fn put_messages(&self, batch: &BatchToStore<'_>) -> PutMessageResult {
        let inner = &self.inner;
        if let Some(status) = inner
            .check_before_put()
            .or_else(|| inner.check_topic(batch.topic))
        {
            return PutMessageResult::failed(status);
        }
        if batch.entries.is_empty()
            || sysflag::transaction_type(batch.sys_flag) != sysflag::TRANSACTION_NOT_TYPE
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let total_body: usize = batch.entries.iter().map(|e| e.1.len()).sum();
        if total_body > inner.config.max_message_size {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if batch.entries.iter().any(|e| e.2.len() > MAX_PROPERTIES_LEN) {
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let store_host = inner.config.store_host;
        let v2 = needs_v2(batch.topic.len());
        let mut lens = Vec::with_capacity(batch.entries.len());
        let mut crcs = Vec::with_capacity(batch.entries.len());
        let mut total = 0usize;
        for (_, body, props) in &batch.entries {
            let l = record_length(
                body.len(),
                batch.topic.len(),
                props.len(),
                batch.born_host.is_ipv6(),
                store_host.is_ipv6(),
                v2,
            );
            lens.push(l);
            crcs.push((crc32fast::hash(body) & 0x7FFF_FFFF) as i32);
            total += l;
        }
        if total > inner.config.max_message_size + RECORD_SIZE_SLACK {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let begin = stats::coarse_millis();
        let req = AppendRequest {
            topic: batch.topic,
            queue_id: batch.queue_id,
            assign_queue_offset: true,
            msg_count: batch.entries.len() as i64,
            total_len: total,
        };
        let appended = inner
            .commit_log
            .append(req, |dst, phy, queue_offset, store_ts| {
                let mut at = 0usize;
                for (i, (flag, body, props)) in batch.entries.iter().enumerate() {
                    let rec = RecordToEncode {
                        queue_id: batch.queue_id,
                        flag: *flag,
                        queue_offset: queue_offset + i as i64,
                        physical_offset: phy + at as i64,
                        sys_flag: batch.sys_flag,
                        born_timestamp: batch.born_timestamp,
                        born_host: batch.born_host,
                        store_timestamp: store_ts,
                        store_host,
                        reconsume_times: batch.reconsume_times,
                        prepared_transaction_offset: 0,
                        body_crc: crcs[i],
                        body,
                        topic: batch.topic,
                        properties: props,
                    };
                    match encode_record_into(&rec, &mut dst[at..]) {
                        Ok(n) => at += n,
                        Err(_) => return false,
                    }
                }
                at == dst.len()
            });
        let result = match appended {
            Ok(a) => {
                let status = inner.after_append(a.wrote_offset + total as i64, batch.wait_store);
                let mut ids = Vec::with_capacity(lens.len());
                let mut off = a.wrote_offset;
                for l in &lens {
                    ids.push(offset_msg_id(store_host, off));
                    off += *l as i64;
                }
                PutMessageResult {
                    status,
                    wrote_offset: a.wrote_offset,
                    wrote_bytes: total as i32,
                    msg_ids: ids,
                    queue_offset: a.queue_offset,
                    msg_num: lens.len() as i32,
                    store_timestamp: a.store_timestamp,
                }
            }
            Err(e) => PutMessageResult::failed(inner.append_failed(e)),
        };
        inner.record_put(batch.topic, &result, begin);
        result
    }

    /// Reads up to `max_msg_nums` records of (topic, queue) from `offset`
    /// (§7): statuses and next offsets as Java's `getMessage`, batch limits
    /// (`maxMsgNums`, in-memory 32 msgs / 256 KiB, on-disk 8 / 64 KiB, the
    /// first message always taken, `max(16000, maxMsgNums×20)` consume-queue
    /// bytes scanned, `max_total_bytes` capped at 128 MiB). `group` is
    /// informational.
    #[allow(clippy::too_many_arguments)]
    pub fn get_message(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: i32,
        filter: &MessageFilter,
    ) -> GetMessageResult {
        let _ = group;
        let begin = stats::coarse_millis();
        let result = self.read_messages(
            topic,
            queue_id,
            offset,
            max_msg_nums,
            max_total_bytes,
            filter,
        );
        self.inner.stats.record_get(
            topic,
            result.status == GetMessageStatus::Found,
            result.message_count.max(0) as u64,
            stats::coarse_millis() - begin,
        );
        result
    }

    fn read_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: i32,
        filter: &MessageFilter,
    ) -> GetMessageResult {
        let inner = &self.inner;
        let cfg = &inner.config;
        let mut result = GetMessageResult {
            status: GetMessageStatus::NoMessageInQueue,
            next_begin_offset: offset,
            min_offset: 0,
            max_offset: 0,
            body: Vec::new(),
            message_count: 0,
            suggest_pulling_from_slave: false,
        };
        let Some(cq) = inner.find_cq(topic, queue_id) else {
            // Java 5.x reads through findOrCreateConsumeQueue: a queue nobody
            // wrote to yet exists there, empty (maxOffset 0), so the answer
            // is NO_MESSAGE_IN_QUEUE, not NO_MATCHED_LOGIC_QUEUE. The queue
            // is not created here: an empty one answers the same, and a read
            // should not add queues to the store.
            result.next_begin_offset = inner.next_offset_correction(offset, 0);
            return result;
        };
        let min = cq.min_offset_in_queue();
        let max = cq.max_offset_in_queue();
        result.min_offset = min;
        result.max_offset = max;
        if max == 0 {
            result.status = GetMessageStatus::NoMessageInQueue;
            result.next_begin_offset = inner.next_offset_correction(offset, 0);
        } else if offset < min {
            result.status = GetMessageStatus::OffsetTooSmall;
            result.next_begin_offset = inner.next_offset_correction(offset, min);
        } else if offset == max {
            result.status = GetMessageStatus::OffsetOverflowOne;
            result.next_begin_offset = inner.next_offset_correction(offset, offset);
        } else if offset > max {
            result.status = GetMessageStatus::OffsetOverflowBadly;
            result.next_begin_offset = inner.next_offset_correction(offset, max);
        } else {
            let max_msg_nums = max_msg_nums.max(0) as usize;
            let max_filter_bytes = cfg.max_filter_message_size.max(max_msg_nums * 20) as i64;
            // 0 (or less) = no byte limit from the client: the store's cap.
            let max_pull = if max_total_bytes <= 0 {
                MAX_PULL_MSG_SIZE
            } else {
                (max_total_bytes as i64).clamp(100, MAX_PULL_MSG_SIZE)
            };
            let max_py = inner.commit_log.max_offset();
            let mut status = GetMessageStatus::NoMatchedMessage;
            let mut next = offset;
            let mut max_phy_pulling = 0i64;
            let mut count = 0usize;
            match cq.entries_from(offset) {
                None => {
                    status = GetMessageStatus::OffsetFoundNull;
                    next = inner.next_offset_correction(offset, cq.roll_next_file(offset));
                    tracing::warn!(
                        "consume queue {topic}/{queue_id}: offset {offset} (min {min}, max {max}) unreadable; next {next}"
                    );
                }
                Some(slice) => {
                    if let Some((_, first)) = slice.iter().next() {
                        inner.read_ahead_released(first.phy_offset, max_py);
                    }
                    let mut next_phy_file_start = i64::MIN;
                    for (q_off, e) in slice.iter() {
                        if next >= max {
                            break;
                        }
                        if (q_off - offset) * 20 >= max_filter_bytes {
                            break;
                        }
                        let size = e.size.max(0) as usize;
                        let in_mem = inner.in_memory(max_py, e.phy_offset);
                        let total = result.body.len();
                        if total > 0 && count > 0 {
                            let full = count + 1 > max_msg_nums
                                || (total + size) as i64 > max_pull
                                || if in_mem {
                                    total + size > cfg.max_transfer_bytes_on_message_in_memory
                                        || count >= cfg.max_transfer_count_on_message_in_memory
                                } else {
                                    total + size > cfg.max_transfer_bytes_on_message_in_disk
                                        || count >= cfg.max_transfer_count_on_message_in_disk
                                };
                            if full {
                                break;
                            }
                        }
                        if total as i64 >= max_pull {
                            break;
                        }
                        max_phy_pulling = e.phy_offset;
                        next = q_off + 1;
                        if next_phy_file_start != i64::MIN && e.phy_offset < next_phy_file_start {
                            continue;
                        }
                        if !filter.matches_code(e.tags_code) {
                            if result.body.is_empty() {
                                status = GetMessageStatus::NoMatchedMessage;
                            }
                            continue;
                        }
                        let before = result.body.len();
                        if e.is_blank()
                            || !inner
                                .commit_log
                                .read_into(e.phy_offset, size, &mut result.body)
                        {
                            if result.body.is_empty() {
                                status = GetMessageStatus::MessageWasRemoving;
                            }
                            next_phy_file_start = inner.commit_log.roll_next_file(e.phy_offset);
                            continue;
                        }
                        if !filter.matches_record(&result.body[before..]) {
                            result.body.truncate(before);
                            if result.body.is_empty() {
                                status = GetMessageStatus::NoMatchedMessage;
                            }
                            continue;
                        }
                        count += 1;
                        status = GetMessageStatus::Found;
                        next_phy_file_start = i64::MIN;
                    }
                }
            }
            result.status = status;
            result.next_begin_offset = next;
            result.message_count = count as i32;
            result.suggest_pulling_from_slave = max_py - max_phy_pulling > inner.memory_window;
        }
        result
    }

    /// Deletes a topic's consume queues (files and directory) and its queue
    /// offsets (`DefaultMessageStore.deleteTopics`); its records stay in the
    /// commit log until expired. Returns how many queues were deleted.
    pub fn delete_topic(&self, topic: &str) -> usize {
        let inner = &self.inner;
        let removed = inner.consume_queues.write().remove(topic);
        inner.cq_generation.fetch_add(1, Ordering::AcqRel);
        inner.commit_log.remove_topic(topic);
        let Some(queues) = removed else {
            return 0;
        };
        for cq in queues.values() {
            if let Err(e) = cq.destroy() {
                tracing::warn!(
                    topic,
                    queue_id = cq.queue_id(),
                    "cannot delete a consume queue: {e}"
                );
            }
        }
        let dir = inner.config.consume_queue_dir().join(topic);
        if let Err(e) = inner.io.remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(topic, "cannot remove {}: {e}", dir.display());
            }
        }
        tracing::info!(
            topic,
            queues = queues.len(),
            "deleted the topic's consume queues"
        );
        queues.len()
    }

    /// Next offset to be written in the queue (0 if unknown).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|cq| cq.max_offset_in_queue())
            .unwrap_or(0)
    }

    /// First readable offset of the queue (0 if unknown).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|cq| cq.min_offset_in_queue())
            .unwrap_or(0)
    }

    /// First offset whose store time is `>= timestamp` (binary search,
    /// `getOffsetInQueueByTime` with BoundaryType.LOWER); the max offset if
    /// every message is older.
    pub fn offset_in_queue_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        self.offset_in_queue_by_time_bounded(topic, queue_id, timestamp, BoundaryType::Lower)
    }

    /// `getOffsetInQueueByTime(topic, queueId, timestamp, boundaryType)`:
    /// LOWER is the first offset whose store time is `>= timestamp`, UPPER
    /// the last one whose store time is `<= timestamp` (so a run of messages
    /// stored in the same millisecond is included whole either way), both
    /// clamped to `[min, max]` as Java's `ConsumeQueueStore` does: LOWER
    /// answers the max offset when every message is older, UPPER the min
    /// offset when every message is newer. 0 for an unknown queue.
    /// Entries whose record is gone (below the commit log's min offset, or
    /// unreadable) count as older, as in Java's binary search.
    pub fn offset_in_queue_by_time_bounded(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let Some(cq) = self.inner.find_cq(topic, queue_id) else {
            return 0;
        };
        let min_phy = self.inner.commit_log.min_offset();
        let (min, max) = (cq.min_offset_in_queue(), cq.max_offset_in_queue());
        // The first offset past the boundary: LOWER's answer, one after UPPER's.
        let before = |t: i64| match boundary {
            BoundaryType::Lower => t < timestamp,
            BoundaryType::Upper => t <= timestamp,
        };
        let (mut lo, mut hi) = (min, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let older = match cq.entry(mid) {
                Some(e) if !e.is_blank() && e.phy_offset >= min_phy => self
                    .inner
                    .pickup_store_timestamp(e.phy_offset, e.size)
                    .is_none_or(before),
                _ => true,
            };
            if older {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let offset = match boundary {
            BoundaryType::Lower => lo,
            BoundaryType::Upper => lo - 1,
        };
        offset.max(min).min(max)
    }

    /// `checkInMemByConsumeOffset(topic, queueId, offset, 1)`: whether the
    /// queue has an entry at `consume_offset` whose record is still in the
    /// commit log and in memory. "In memory" is the estimate the pull path
    /// uses (within `accessMessageInMemoryMaxRatio` of physical memory from
    /// the commit log's end), not Java's page-cache probe: this store gives
    /// the pages further back than `commitLogResidentBytes` to the kernel by
    /// its own policy (`store::residency`), pages Java's broker would still
    /// have cached, and that policy must not decide where a new consumer
    /// group starts (QUERY_CONSUMER_OFFSET).
    pub fn check_in_mem_by_consume_offset(
        &self,
        topic: &str,
        queue_id: i32,
        consume_offset: i64,
    ) -> bool {
        let inner = &self.inner;
        let Some(entry) = inner
            .find_cq(topic, queue_id)
            .and_then(|cq| cq.entry(consume_offset))
        else {
            return false;
        };
        let Ok(size) = usize::try_from(entry.size) else {
            return false;
        };
        if entry.is_blank() || inner.commit_log.locate(entry.phy_offset, size).is_none() {
            return false;
        }
        inner.in_memory(inner.commit_log.max_offset(), entry.phy_offset)
    }

    /// Store time of the queue's first readable message.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        self.message_store_time(topic, queue_id, cq.min_offset_in_queue())
    }

    /// Store time of the message at `consume_offset`.
    pub fn message_store_time(
        &self,
        topic: &str,
        queue_id: i32,
        consume_offset: i64,
    ) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        let e = cq.entry(consume_offset)?;
        if e.is_blank() {
            return None;
        }
        self.inner.pickup_store_timestamp(e.phy_offset, e.size)
    }

    /// The raw record at `phy_offset` (reads TOTALSIZE, then the record).
    pub fn look_message_by_offset(&self, phy_offset: i64) -> Option<Vec<u8>> {
        let (f, p) = self.inner.commit_log.locate(phy_offset, 8)?;
        let size = f.read_i32(p)?;
        let size = usize::try_from(size).ok().filter(|s| *s >= 8)?;
        let bytes = self.inner.commit_log.read(phy_offset, size)?;
        match parse_record(&bytes) {
            RecordParse::Message(_) => Some(bytes),
            _ => None,
        }
    }

    /// Index lookup of `topic#key` (KEYS or UNIQ_KEY) for messages stored in
    /// `[begin, end]` (epoch ms): at most `min(max_num, maxMsgsNumBatch)`
    /// records (the newest hits, newest index file first), returned in
    /// commit-log order, oldest first, as Java's `queryMessage` sorts the
    /// offsets (`Collections.sort`) before reading; records whose topic and
    /// keys do not match (hash collisions) are left out.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryMessageResult {
        let inner = &self.inner;
        let Some(index) = &inner.index else {
            return QueryMessageResult::default();
        };
        let max = (max_num.max(1) as usize).min(inner.config.max_msgs_num_batch.max(1));
        let mut found = index.query(topic, key, max, begin, end);
        found.phy_offsets.sort_unstable();
        let mut result = QueryMessageResult {
            body: Vec::new(),
            message_count: 0,
            index_last_update_timestamp: found.index_last_update_timestamp,
            index_last_update_phyoffset: found.index_last_update_phyoffset,
        };
        for phy in found.phy_offsets {
            let Some(bytes) = self.look_message_by_offset(phy) else {
                continue;
            };
            let matches = match parse_record(&bytes) {
                RecordParse::Message(v) => {
                    let props = String::from_utf8_lossy(v.properties);
                    v.topic == topic.as_bytes()
                        && (find_property(&props, plugin_api::message::properties::UNIQ_KEY)
                            == Some(key)
                            || find_property(&props, plugin_api::message::properties::KEYS)
                                .is_some_and(|k| k.split(' ').any(|k| k == key)))
                }
                _ => false,
            };
            if matches {
                result.body.extend_from_slice(&bytes);
                result.message_count += 1;
            }
        }
        result
    }

    /// `getEarliestMessageTime`: the store time of the first record in the
    /// commit log, -1 without one.
    pub fn earliest_message_time_overall(&self) -> i64 {
        // Java reads MESSAGE_STORE_TIMESTAMP_POSITION + 8 bytes (IPv4) and
        // answers -1 unless they are below the max offset.
        let size: i32 = if self.inner.config.store_host.is_ipv6() {
            76
        } else {
            64
        };
        let min = self.min_phy_offset();
        if min < 0 || min + size as i64 > self.max_phy_offset() {
            return -1;
        }
        self.inner.pickup_store_timestamp(min, size).unwrap_or(-1)
    }

    /// The statistics keys of `StoreStatsService.getRuntimeInfo` and
    /// `BrokerStats` (see [`stats`]).
    pub fn stats_runtime_info(&self) -> Vec<(String, String)> {
        self.inner.stats.runtime_info()
    }

    /// Start of the first commit-log file; -1 without files (Java).
    pub fn min_phy_offset(&self) -> i64 {
        self.inner.commit_log.min_offset()
    }

    /// End of the last record.
    pub fn max_phy_offset(&self) -> i64 {
        self.inner.commit_log.max_offset()
    }

    /// Where the commit log is durable.
    pub fn flushed_phy_offset(&self) -> i64 {
        self.inner.commit_log.flushed_offset()
    }

    /// Sets the listener the reput thread calls for each new consume-queue
    /// entry: (topic, queue id, new max offset, tagsCode) — long polling.
    pub fn set_arrival_listener(&self, listener: Box<ArrivalListener>) {
        *self.inner.listener.write() = Some(Arc::from(listener));
    }

    /// Bytes appended but not yet dispatched.
    pub fn dispatch_behind_bytes(&self) -> i64 {
        self.inner.dispatch_behind_bytes()
    }

    /// Whether puts are accepted (not shut down, disk not full, no write error).
    pub fn is_writeable(&self) -> bool {
        self.inner.is_writeable()
    }

    /// Whether the disk-full state was detected (puts get SERVICE_NOT_AVAILABLE).
    pub fn is_disk_full(&self) -> bool {
        self.inner.disk_full.load(Ordering::Acquire)
    }

    /// Runs one round of the clean service now (deletion and disk check);
    /// what the `store-clean` thread does every `cleanResourceInterval`.
    pub fn clean_now(&self) -> clean::CleanReport {
        self.inner.clean_once()
    }

    /// `TRIGGER_DELETE_FILES`: the next 20 clean rounds delete expired files
    /// whatever the hour.
    pub fn trigger_delete_files(&self) {
        self.inner.manual_delete_runs.store(20, Ordering::Release);
    }

    /// Dispatches everything appended so far (what the reput thread does)
    /// and returns when done.
    pub fn wait_dispatched(&self) -> Result<(), StoreError> {
        self.inner.reput_until_caught_up()
    }

    /// Flushes the commit log, consume queues, index and checkpoint now.
    pub fn flush_all(&self) -> Result<(), StoreError> {
        self.inner.flush_commit_log(0)?;
        self.inner.reput_until_caught_up()?;
        if let Some(index) = &self.inner.index {
            index.flush()?;
        }
        self.inner.flush_consume_queues(0, true)
    }

    /// Verifies that commit log, consume queues and index agree: every
    /// consume-queue entry points at a valid record of that topic, queue and
    /// offset; every dispatched record below the max is in its queue; the
    /// index finds every KEYS / UNIQ_KEY of the indexed range. Dispatches
    /// first. `Err(Inconsistent)` lists the problems.
    pub fn check_consistency(&self) -> Result<ConsistencyReport, StoreError> {
        self.inner.check_consistency()
    }
}

impl Drop for DefaultMessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The `store-stats` thread: one sample a second (`StoreStatsService.run`).
fn stats_loop(inner: &StoreInner) {
    loop {
        let now = crate::metadata::data_version::now_millis();
        inner.stats.sample(now, index::local_day(now));
        if inner.sleep_or_stop(std::time::Duration::from_secs(1)) {
            break;
        }
    }
}
