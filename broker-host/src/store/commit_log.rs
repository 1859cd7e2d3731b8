//! The commit log (Java's `CommitLog`): one sequence of fixed-size files holding
//! every record back to back. Appends (offset assignment per (topic, queue)
//! and the copy into the mapped file) happen under one short lock.

use crate::FastMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use plugin_api::message::record::{encode_blank_into, BLANK_HEADER_LEN};

use super::io::StorageIo;
use super::mapped_file::MappedFile;
use super::mapped_file_queue::MappedFileQueue;
use super::StoreError;
use crate::clock::now_millis;

/// Next logical offset per (topic, queue) (`topicQueueTable`).
pub type QueueOffsetTable = FastMap<String, FastMap<i32, i64>>;

struct AppendState {
    current: Option<Arc<MappedFile>>,
    queue_offsets: QueueOffsetTable,
    last_store_timestamp: i64,
}

/// What one append needs to know besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct AppendRequest<'a> {
    /// Topic (for the queue offset).
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// False for prepared/rollback transaction records (queue offset 0, no advance).
    pub assign_queue_offset: bool,
    /// Records in this append (the queue offset advances by this much).
    pub msg_count: i64,
    /// Bytes to write.
    pub total_len: usize,
}

/// Where an append went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Commit-log offset of the first byte.
    pub wrote_offset: i64,
    /// Queue offset of the first record.
    pub queue_offset: i64,
    /// Store timestamp of the records.
    pub store_timestamp: i64,
}

/// Why an append failed.
#[derive(Debug)]
pub enum AppendError {
    /// A new commit-log file could not be created (disk full, I/O error).
    CreateFile(StoreError),
    /// The writer could not encode into the reserved space (a bug).
    Encode,
    /// The record can never fit into one file.
    TooLarge,
}

/// The commit log.
pub struct CommitLog {
    queue: MappedFileQueue,
    append: Mutex<AppendState>,
    max_offset: AtomicI64,
    last_store_timestamp: AtomicI64,
    begin_time_in_lock: AtomicI64,
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog")
            .field("queue", &self.queue)
            .field("max_offset", &self.max_offset())
            .finish()
    }
}

impl CommitLog {
    /// A commit log over `dir` with files of `file_size` bytes.
    pub fn new(io: Arc<dyn StorageIo>, dir: std::path::PathBuf, file_size: usize) -> Self {
        CommitLog {
            queue: MappedFileQueue::new(io, dir, file_size, "mappedFileSizeCommitLog"),
            append: Mutex::new(AppendState {
                current: None,
                queue_offsets: FastMap::default(),
                last_store_timestamp: 0,
            }),
            max_offset: AtomicI64::new(0),
            last_store_timestamp: AtomicI64::new(0),
            begin_time_in_lock: AtomicI64::new(0),
        }
    }

    /// The files.
    pub fn files(&self) -> &MappedFileQueue {
        &self.queue
    }

    /// File size.
    pub fn file_size(&self) -> usize {
        self.queue.file_size()
    }

    /// End of the last appended record (published).
    pub fn max_offset(&self) -> i64 {
        self.max_offset.load(Ordering::Acquire)
    }

    /// Start of the first file, or -1 without files (Java `getMinOffset`).
    pub fn min_offset(&self) -> i64 {
        self.queue.min_offset().unwrap_or(-1)
    }

    /// Where flushing has reached.
    pub fn flushed_offset(&self) -> i64 {
        self.queue.flushed_where()
    }

    /// Store timestamp of the last appended record.
    pub fn last_store_timestamp(&self) -> i64 {
        self.last_store_timestamp.load(Ordering::Acquire)
    }

    /// Whether a put has held the append lock longer than `timeout_ms`.
    pub fn is_os_page_cache_busy(&self, timeout_ms: i64) -> bool {
        let begin = self.begin_time_in_lock.load(Ordering::Relaxed);
        begin != 0 && now_millis() - begin > timeout_ms
    }

    /// After recovery: the valid end, and the next store timestamp floor.
    pub fn set_recovered(&self, process_offset: i64, last_store_timestamp: i64) {
        self.max_offset.store(process_offset, Ordering::Release);
        self.queue.set_flushed_where(process_offset);
        self.last_store_timestamp
            .store(last_store_timestamp, Ordering::Release);
        let mut st = self.append.lock();
        st.current = self.queue.last();
        st.last_store_timestamp = last_store_timestamp;
    }

    /// Replaces the next-offset table (after recovery).
    pub fn set_queue_offsets(&self, table: QueueOffsetTable) {
        self.append.lock().queue_offsets = table;
    }

    /// Next queue offset of (topic, queue).
    pub fn queue_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.append
            .lock()
            .queue_offsets
            .get(topic)
            .and_then(|q| q.get(&queue_id))
            .copied()
            .unwrap_or(0)
    }

    /// Forgets the next offsets of a topic (topic deleted).
    pub fn remove_topic(&self, topic: &str) {
        self.append.lock().queue_offsets.remove(topic);
    }

    /// Forgets the next offset of one queue (`removeTopicQueueTable`).
    pub fn remove_queue(&self, topic: &str, queue_id: i32) {
        let mut append = self.append.lock();
        if let Some(queues) = append.queue_offsets.get_mut(topic) {
            queues.remove(&queue_id);
            if queues.is_empty() {
                append.queue_offsets.remove(topic);
            }
        }
    }

    /// Appends `req.total_len` bytes written by `write(dst, wrote_offset,
    /// queue_offset, store_timestamp)`. Writes a blank end-of-file record and
    /// moves to a new file when the bytes + 8 do not fit (`DefaultAppendMessageCallback.doAppend`).
    pub fn append<F>(&self, req: AppendRequest<'_>, mut write: F) -> Result<Appended, AppendError>
    where
        F: FnMut(&mut [u8], i64, i64, i64) -> bool,
    {
        let file_size = self.queue.file_size();
        if req.total_len + BLANK_HEADER_LEN > file_size {
            return Err(AppendError::TooLarge);
        }
        let mut st = self.append.lock();
        let now = now_millis();
        self.begin_time_in_lock.store(now, Ordering::Relaxed);
        let result = self.append_locked(&mut st, req, now, &mut write);
        self.begin_time_in_lock.store(0, Ordering::Relaxed);
        result
    }

    fn append_locked<F>(
        &self,
        st: &mut AppendState,
        req: AppendRequest<'_>,
        now: i64,
        write: &mut F,
    ) -> Result<Appended, AppendError>
    where
        F: FnMut(&mut [u8], i64, i64, i64) -> bool,
    {
        let store_timestamp = now.max(st.last_store_timestamp);
        let mut file = match &st.current {
            Some(f) if !f.is_full() => f.clone(),
            _ => {
                let start = self.max_offset();
                let f = self
                    .queue
                    .last_or_create(start)
                    .map_err(AppendError::CreateFile)?;
                st.current = Some(f.clone());
                f
            }
        };
        let mut pos = file.wrote();
        let free = file.size() - pos;
        if req.total_len + BLANK_HEADER_LEN > free {
            // SAFETY: the append lock makes this the only writer; the range
            // is past the published position.
            if let Some(dst) = unsafe { file.write_slice(pos, free) } {
                encode_blank_into(dst, free as i32);
            }
            file.set_wrote(file.size());
            self.max_offset.store(file.end(), Ordering::Release);
            file = self
                .queue
                .last_or_create(file.end())
                .map_err(AppendError::CreateFile)?;
            st.current = Some(file.clone());
            pos = file.wrote();
        }
        let wrote_offset = file.from() + pos as i64;
        let queue_offset = if req.assign_queue_offset {
            match st.queue_offsets.get(req.topic) {
                Some(q) => q.get(&req.queue_id).copied().unwrap_or(0),
                None => 0,
            }
        } else {
            0
        };
        // SAFETY: as above.
        let Some(dst) = (unsafe { file.write_slice(pos, req.total_len) }) else {
            return Err(AppendError::Encode);
        };
        if !write(dst, wrote_offset, queue_offset, store_timestamp) {
            return Err(AppendError::Encode);
        }
        file.set_wrote(pos + req.total_len);
        self.max_offset
            .store(wrote_offset + req.total_len as i64, Ordering::Release);
        self.last_store_timestamp
            .store(store_timestamp, Ordering::Release);
        st.last_store_timestamp = store_timestamp;
        if req.assign_queue_offset {
            let next = queue_offset + req.msg_count;
            match st.queue_offsets.get_mut(req.topic) {
                Some(q) => {
                    q.insert(req.queue_id, next);
                }
                None => {
                    st.queue_offsets.insert(
                        req.topic.to_owned(),
                        FastMap::from_iter([(req.queue_id, next)]),
                    );
                }
            }
        }
        Ok(Appended {
            wrote_offset,
            queue_offset,
            store_timestamp,
        })
    }

    /// The file and in-file position of `[offset, offset + size)` if it is
    /// entirely inside one file and published.
    pub fn locate(&self, offset: i64, size: usize) -> Option<(Arc<MappedFile>, usize)> {
        if offset < 0 || size == 0 {
            return None;
        }
        let f = self.queue.find(offset)?;
        let pos = (offset - f.from()) as usize;
        if pos.checked_add(size)? > f.wrote() {
            return None;
        }
        Some((f, pos))
    }

    /// Copies `[offset, offset + size)` (a record read through its consume-queue entry).
    pub fn read(&self, offset: i64, size: usize) -> Option<Vec<u8>> {
        let (f, pos) = self.locate(offset, size)?;
        f.slice(pos, size).map(<[u8]>::to_vec)
    }

    /// Appends `[offset, offset + size)` to `out`; false if not readable.
    pub fn read_into(&self, offset: i64, size: usize, out: &mut Vec<u8>) -> bool {
        match self.locate(offset, size) {
            Some((f, pos)) => match f.slice(pos, size) {
                Some(b) => {
                    out.extend_from_slice(b);
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// The published bytes of the file holding `offset`, from `offset` on.
    pub fn readable_at(&self, offset: i64) -> Option<(Arc<MappedFile>, usize)> {
        let f = self.queue.find(offset)?;
        let pos = (offset - f.from()) as usize;
        Some((f, pos))
    }

    /// Start of the file after the one holding `offset` (`rollNextFile`).
    pub fn roll_next_file(&self, offset: i64) -> i64 {
        let size = self.queue.file_size() as i64;
        offset + size - offset.rem_euclid(size)
    }
}
