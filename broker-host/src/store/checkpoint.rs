//! `<root>/checkpoint` (Java's `StoreCheckpoint`): 4096 bytes, memory-mapped;
//! physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp,
//! masterFlushedOffset, confirmPhyOffset as big-endian i64 at 0, 8, 16, 24, 32.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::Mutex;

use super::io::{StorageIo, OS_PAGE_SIZE};
use super::mapped_file::MappedFile;
use super::StoreError;

/// Size of the checkpoint file.
pub const CHECKPOINT_FILE_SIZE: usize = OS_PAGE_SIZE;

/// The checkpoint: values in memory, persisted by [`Checkpoint::flush`].
pub struct Checkpoint {
    file: MappedFile,
    physic_msg_timestamp: AtomicI64,
    logics_msg_timestamp: AtomicI64,
    index_msg_timestamp: AtomicI64,
    master_flushed_offset: AtomicI64,
    confirm_phy_offset: AtomicI64,
    flush_lock: Mutex<()>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("physic", &self.physic_msg_timestamp())
            .field("logics", &self.logics_msg_timestamp())
            .field("index", &self.index_msg_timestamp())
            .finish()
    }
}

impl Checkpoint {
    /// Opens (or creates, zeroed) the checkpoint file. A file of another size is an error.
    pub fn open(io: &dyn StorageIo, path: &Path) -> Result<Checkpoint, StoreError> {
        let exists = io.exists(path);
        if exists {
            let len = io
                .file_len(path)
                .map_err(|e| StoreError::io("stat", path, e))?;
            if len != CHECKPOINT_FILE_SIZE as u64 {
                return Err(StoreError::WrongFileSize {
                    path: path.to_path_buf(),
                    actual: len,
                    expected: CHECKPOINT_FILE_SIZE as u64,
                    what: "the checkpoint size (4096)",
                });
            }
        }
        let file = MappedFile::map(io, path, 0, CHECKPOINT_FILE_SIZE, !exists)?;
        let at = |pos| file.read_i64(pos).unwrap_or(0);
        let cp = Checkpoint {
            physic_msg_timestamp: AtomicI64::new(at(0)),
            logics_msg_timestamp: AtomicI64::new(at(8)),
            index_msg_timestamp: AtomicI64::new(at(16)),
            master_flushed_offset: AtomicI64::new(at(24)),
            confirm_phy_offset: AtomicI64::new(at(32)),
            file,
            flush_lock: Mutex::new(()),
        };
        tracing::info!(
            "checkpoint: physicMsgTimestamp={} logicsMsgTimestamp={} indexMsgTimestamp={}",
            cp.physic_msg_timestamp(),
            cp.logics_msg_timestamp(),
            cp.index_msg_timestamp()
        );
        Ok(cp)
    }

    /// Store time of the last message in the flushed commit-log range.
    pub fn physic_msg_timestamp(&self) -> i64 {
        self.physic_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::physic_msg_timestamp`] (never backwards).
    pub fn set_physic_msg_timestamp(&self, ts: i64) {
        self.physic_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// Store time of the last dispatched message.
    pub fn logics_msg_timestamp(&self) -> i64 {
        self.logics_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::logics_msg_timestamp`] (never backwards).
    pub fn set_logics_msg_timestamp(&self, ts: i64) {
        self.logics_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// End timestamp of the last index file that was full and flushed.
    pub fn index_msg_timestamp(&self) -> i64 {
        self.index_msg_timestamp.load(Ordering::Acquire)
    }

    /// Sets [`Checkpoint::index_msg_timestamp`] (never backwards).
    pub fn set_index_msg_timestamp(&self, ts: i64) {
        self.index_msg_timestamp.fetch_max(ts, Ordering::AcqRel);
    }

    /// Confirm offset (5.x; written for compatibility).
    pub fn set_confirm_phy_offset(&self, offset: i64) {
        self.confirm_phy_offset.store(offset, Ordering::Release);
    }

    /// `max(0, min(physic, logics) - 3000)`.
    pub fn min_timestamp(&self) -> i64 {
        (self.physic_msg_timestamp().min(self.logics_msg_timestamp()) - 3000).max(0)
    }

    /// `min(min_timestamp, index)`.
    pub fn min_timestamp_index(&self) -> i64 {
        self.min_timestamp().min(self.index_msg_timestamp())
    }

    /// Writes the in-memory values and makes them durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.flush_with_logics(self.logics_msg_timestamp())
    }

    /// Like [`Checkpoint::flush`] but persisting `logics` as the logics
    /// timestamp (the value read before the consume queues were flushed, so
    /// the file never claims more than is durable).
    pub fn flush_with_logics(&self, logics: i64) -> Result<(), StoreError> {
        let _g = self.flush_lock.lock();
        let values = [
            self.physic_msg_timestamp(),
            logics,
            self.index_msg_timestamp(),
            self.master_flushed_offset.load(Ordering::Acquire),
            self.confirm_phy_offset.load(Ordering::Acquire),
        ];
        let mut bytes = [0u8; 40];
        for (i, v) in values.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
        }
        // Only this method writes the file, under `flush_lock`.
        self.file.overwrite(0, &bytes);
        self.file.flush_range(0, CHECKPOINT_FILE_SIZE)
    }
}
