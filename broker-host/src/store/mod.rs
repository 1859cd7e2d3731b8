//! The message store: Apache RocketMQ's `DefaultMessageStore`, byte-compatible
//! with its on-disk format (a store written by a Java broker opens here and
//! the other way round).
//!
//! Files and their formats:
//!
//! * [`commit_log`]: every record of every topic, appended under one short lock;
//! * [`consume_queue`]: per (topic, queue) 20-byte pointers into the commit log;
//! * [`index`]: hash index `topic#key` → commit-log offsets;
//! * [`checkpoint`]: the 4 KiB checkpoint file;
//! * [`mapped_file`], [`mapped_file_queue`]: fixed-size mapped files and their
//!   sequences;
//! * [`io`]: the storage seam ([`FsIo`] real, [`SimIo`] for crash tests).
//!
//! The [`DefaultMessageStore`] API, by concept:
//!
//! * `lifecycle`: open (with [`recovery`]), start, shutdown, halt;
//! * `put`: appending messages and batches;
//! * `get`: reading a queue from an offset (PULL_MESSAGE);
//! * `query`: offsets, times, records by offset, the key index;
//! * `queues`: the (topic, queue) → consume-queue table, topic deletion;
//! * `types`: the values the API takes and returns.
//!
//! Services, each one thread (plain std threads, started by
//! [`DefaultMessageStore::start`]; see `docs/STORE.md`):
//!
//! * [`reput`] (`store-reput`): consume queues, index and arrival listener
//!   from the commit log;
//! * [`flush`] (`store-flush-commitlog` or `store-group-commit` and
//!   `store-flush-timeout`, `store-flush-cq`): ASYNC_FLUSH timed flush,
//!   SYNC_FLUSH group commit, consume-queue flush;
//! * `prefault` (`store-prefault`): the next commit-log file and its pages
//!   ahead of the writer; `residency`: pages behind it given back;
//! * [`clean`] (`store-clean`): expired-file deletion and the disk-full check;
//! * [`stats`] (`store-stats`): put/get statistics.

pub mod checkpoint;
pub mod clean;
pub mod commit_log;
pub mod config;
mod consistency;
pub mod consume_queue;
mod error;
pub mod flush;
mod get;
pub mod index;
pub mod io;
mod lifecycle;
pub mod mapped_file;
pub mod mapped_file_queue;
mod prefault;
mod put;
mod query;
mod queues;
pub mod recovery;
pub mod reput;
mod residency;
pub mod stats;
mod types;

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, AtomicU64};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, RwLock};

pub use self::config::StoreConfig;
pub use self::consistency::ConsistencyReport;
pub use self::error::StoreError;
pub use self::flush::FlushTicket;
pub use self::get::MAX_PULL_MSG_SIZE;
pub use self::io::{CrashMode, FsIo, SimIo, StorageIo};
pub use self::put::{MAX_TOPIC_LEN, RECORD_SIZE_SLACK};
pub use self::recovery::RecoveryReport;
pub use self::types::{
    ArrivalListener, BatchToStore, BoundaryType, GetMessageResult, GetMessageStatus, MessageFilter,
    MessageToStore, PutMessageResult, PutMessageStatus, QueryMessageResult,
};

use self::checkpoint::Checkpoint;
use self::commit_log::CommitLog;
use self::flush::GroupCommit;
use self::index::IndexService;
use self::io::LockGuard;
use self::queues::CqTable;
use self::reput::ReputState;

/// Topic of delayed messages; its consume-queue tagsCode is the delivery time.
pub use plugin_api::topics::SCHEDULE_TOPIC;

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
    /// [`StorageIo::boot_id`] at open, written into recovery points.
    boot_id: Option<u128>,
    /// Serialises checkpoints.
    checkpoint_lock: Mutex<()>,
    /// Set by an abnormal open until a checkpoint has flushed every file
    /// (pages the dead process left dirty are not counted as unflushed).
    unflushed_since_open: AtomicBool,
    /// What the last open's recovery did.
    recovery_report: Mutex<recovery::RecoveryReport>,
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
