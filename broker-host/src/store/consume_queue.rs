//! One consume queue (Java's `ConsumeQueue`): 20-byte entries
//! `commitLogOffset i64 ‖ size i32 ‖ tagsCode i64` in files under
//! `<root>/consumequeue/<topic>/<queueId>/`; entry `n` lives at byte `n × 20`.
//!
//! Only the dispatcher (or recovery) writes; readers read below the published
//! write position of each file.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::config::CQ_STORE_UNIT_SIZE as UNIT;
use super::io::StorageIo;
use super::mapped_file::MappedFile;
use super::mapped_file_queue::MappedFileQueue;
use super::StoreError;

/// One consume-queue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqEntry {
    /// Commit-log offset of the record.
    pub phy_offset: i64,
    /// Record size.
    pub size: i32,
    /// Tag hash (or delivery time for the schedule topic).
    pub tags_code: i64,
}

impl CqEntry {
    /// The filler entry written before the first real one of a queue whose
    /// first file starts mid-file (`fillPreBlank`): `(0, i32::MAX, 0)`.
    pub const BLANK: CqEntry = CqEntry {
        phy_offset: 0,
        size: i32::MAX,
        tags_code: 0,
    };

    /// Decodes 20 bytes.
    pub fn decode(b: &[u8]) -> CqEntry {
        let i64_at = |p: usize| {
            i64::from_be_bytes([
                b[p],
                b[p + 1],
                b[p + 2],
                b[p + 3],
                b[p + 4],
                b[p + 5],
                b[p + 6],
                b[p + 7],
            ])
        };
        CqEntry {
            phy_offset: i64_at(0),
            size: i32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            tags_code: i64_at(12),
        }
    }

    /// Encodes to 20 bytes.
    pub fn encode(&self) -> [u8; UNIT] {
        let mut out = [0u8; UNIT];
        out[..8].copy_from_slice(&self.phy_offset.to_be_bytes());
        out[8..12].copy_from_slice(&self.size.to_be_bytes());
        out[12..].copy_from_slice(&self.tags_code.to_be_bytes());
        out
    }

    /// Whether recovery counts it as written (`offset >= 0 && size > 0`).
    pub fn is_valid(&self) -> bool {
        self.phy_offset >= 0 && self.size > 0
    }

    /// Whether it is a [`CqEntry::BLANK`] filler.
    pub fn is_blank(&self) -> bool {
        *self == CqEntry::BLANK
    }
}

/// Entries readable from one file, starting at a logical offset.
pub struct CqSlice {
    file: Arc<MappedFile>,
    start_pos: usize,
    end_pos: usize,
    first_offset: i64,
}

impl CqSlice {
    /// Logical offset of the first entry.
    pub fn first_offset(&self) -> i64 {
        self.first_offset
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        (self.end_pos - self.start_pos) / UNIT
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i` of the slice.
    pub fn get(&self, i: usize) -> Option<CqEntry> {
        let pos = self.start_pos + i * UNIT;
        if pos + UNIT > self.end_pos {
            return None;
        }
        self.file.slice(pos, UNIT).map(CqEntry::decode)
    }

    /// (logical offset, entry) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (i64, CqEntry)> + '_ {
        (0..self.len()).filter_map(move |i| Some((self.first_offset + i as i64, self.get(i)?)))
    }
}

/// A consume queue.
pub struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    files: MappedFileQueue,
    max_physic_offset: AtomicI64,
    min_logic_offset: AtomicI64,
}

impl std::fmt::Debug for ConsumeQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeQueue")
            .field("topic", &self.topic)
            .field("queue_id", &self.queue_id)
            .field("min", &self.min_offset_in_queue())
            .field("max", &self.max_offset_in_queue())
            .finish()
    }
}

/// Outcome of [`ConsumeQueue::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CqPut {
    /// Appended at the expected position.
    Appended,
    /// The entry was already there (idempotent re-dispatch).
    AlreadyPresent,
    /// An existing entry differed and was rewritten (repair mode).
    Repaired,
    /// The queue was behind: filler entries were written up to the position.
    FilledGap(i64),
}

impl ConsumeQueue {
    /// A queue object over its directory (files not loaded yet).
    pub fn new(
        io: Arc<dyn StorageIo>,
        dir: std::path::PathBuf,
        topic: &str,
        queue_id: i32,
        file_size: usize,
    ) -> Self {
        ConsumeQueue {
            topic: topic.to_owned(),
            queue_id,
            files: MappedFileQueue::new(io, dir, file_size, "mappedFileSizeConsumeQueue"),
            max_physic_offset: AtomicI64::new(-1),
            min_logic_offset: AtomicI64::new(0),
        }
    }

    /// Topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Queue id.
    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }

    /// The files.
    pub fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    /// Maps the files (all marked full until [`ConsumeQueue::recover`]).
    pub fn load(&self) -> Result<(), StoreError> {
        self.files.load()
    }

    fn entries_per_file(&self) -> i64 {
        (self.files.file_size() / UNIT) as i64
    }

    /// `ConsumeQueue.recover`: from the third-to-last file, scan entries while valid; the
    /// position after the last valid one becomes the write position (tail
    /// zeroed), later files are deleted. Sets the max physical offset.
    pub fn recover(&self) -> Result<(), StoreError> {
        let files = self.files.files();
        if files.is_empty() {
            return Ok(());
        }
        let mut index = files.len().saturating_sub(3);
        let size = self.files.file_size();
        let process = loop {
            let f = &files[index];
            let data = f.all();
            let mut pos = 0usize;
            while pos + UNIT <= size {
                let e = CqEntry::decode(&data[pos..pos + UNIT]);
                if !e.is_valid() {
                    break;
                }
                self.max_physic_offset
                    .store(e.phy_offset + e.size as i64, Ordering::Release);
                pos += UNIT;
            }
            if pos == size && index + 1 < files.len() {
                index += 1;
                continue;
            }
            break f.from() + pos as i64;
        };
        self.files.set_flushed_where(process);
        self.files.truncate_dirty(process)?;
        Ok(())
    }

    /// Next offset to be written: `(last.from + wrote) / 20`.
    pub fn max_offset_in_queue(&self) -> i64 {
        self.files.max_offset() / UNIT as i64
    }

    /// First valid offset.
    pub fn min_offset_in_queue(&self) -> i64 {
        self.min_logic_offset.load(Ordering::Acquire) / UNIT as i64
    }

    /// End (offset + size) of the highest record entered.
    pub fn max_physic_offset(&self) -> i64 {
        self.max_physic_offset.load(Ordering::Acquire)
    }

    /// Sets the max physical offset (truncation).
    pub fn set_max_physic_offset(&self, v: i64) {
        self.max_physic_offset.store(v, Ordering::Release);
    }

    /// Entry at logical `offset` (if written and its file exists).
    pub fn entry(&self, offset: i64) -> Option<CqEntry> {
        if offset < 0 {
            return None;
        }
        let byte = offset * UNIT as i64;
        let f = self.files.find(byte)?;
        let pos = (byte - f.from()) as usize;
        if pos + UNIT > f.wrote() {
            return None;
        }
        f.slice(pos, UNIT).map(CqEntry::decode)
    }

    /// The entries of the file holding `offset`, from `offset` to that file's
    /// write position (`iterateFrom`); `None` if the file does not exist.
    pub fn entries_from(&self, offset: i64) -> Option<CqSlice> {
        if offset < 0 {
            return None;
        }
        let byte = offset * UNIT as i64;
        let f = self.files.find(byte)?;
        let start_pos = (byte - f.from()) as usize;
        let end_pos = f.wrote();
        if start_pos >= end_pos {
            return None;
        }
        Some(CqSlice {
            file: f,
            start_pos,
            end_pos,
            first_offset: offset,
        })
    }

    /// First offset of the next file (`rollNextFile`).
    pub fn roll_next_file(&self, offset: i64) -> i64 {
        let per = self.entries_per_file();
        offset + per - offset.rem_euclid(per)
    }

    /// Writes the entry for logical `cq_offset` (`ConsumeQueue.putMessagePositionInfo`):
    /// * already written (`cq_offset` below the max offset): skipped — or,
    ///   with `repair`, compared and rewritten if different (recovery only);
    /// * a new queue starting past 0: the first file is pre-filled with
    ///   [`CqEntry::BLANK`] up to the position and the min offset set there;
    /// * a gap in an existing queue: filled with blanks (logged as an error).
    pub fn put(&self, entry: CqEntry, cq_offset: i64, repair: bool) -> Result<CqPut, StoreError> {
        let expected = cq_offset * UNIT as i64;
        let current = self.files.max_offset();
        if self.files.is_empty() {
            let file = self.files.last_or_create(expected)?;
            let fill_until = (expected - file.from()) as usize;
            if fill_until > 0 {
                let blank = CqEntry::BLANK.encode();
                for _ in 0..fill_until / UNIT {
                    file.append(&blank);
                }
                tracing::info!(
                    "consume queue {}/{} starts at offset {cq_offset}: pre-filled its first file",
                    self.topic,
                    self.queue_id
                );
            }
            self.min_logic_offset.store(expected, Ordering::Release);
            self.files.set_flushed_where(file.from());
        } else if expected < current {
            if repair {
                if let Some(existing) = self.entry(cq_offset) {
                    if existing != entry {
                        let byte = cq_offset * UNIT as i64;
                        if let Some(f) = self.files.find(byte) {
                            tracing::warn!(
                                "consume queue {}/{} offset {cq_offset}: rewriting {:?} with {:?}",
                                self.topic,
                                self.queue_id,
                                existing,
                                entry
                            );
                            f.overwrite((byte - f.from()) as usize, &entry.encode());
                            let end = entry.phy_offset + entry.size as i64;
                            self.max_physic_offset.fetch_max(end, Ordering::AcqRel);
                            return Ok(CqPut::Repaired);
                        }
                    }
                }
            }
            return Ok(CqPut::AlreadyPresent);
        }
        let mut filled = 0i64;
        let current = self.files.max_offset();
        if expected > current {
            tracing::error!(
                "consume queue {}/{}: expected offset {cq_offset} but the queue ends at {}; filling the gap",
                self.topic,
                self.queue_id,
                current / UNIT as i64
            );
            let blank = CqEntry::BLANK.encode();
            while self.files.max_offset() < expected {
                let f = self.files.last_or_create(self.files.max_offset())?;
                f.append(&blank);
                filled += 1;
            }
        }
        let f = self.files.last_or_create(expected)?;
        if f.from() + f.wrote() as i64 != expected || !f.append(&entry.encode()) {
            return Err(StoreError::Config(format!(
                "consume queue {}/{}: cannot append at {expected}",
                self.topic, self.queue_id
            )));
        }
        self.max_physic_offset
            .store(entry.phy_offset + entry.size as i64, Ordering::Release);
        Ok(if filled > 0 {
            CqPut::FilledGap(filled)
        } else {
            CqPut::Appended
        })
    }

    /// `truncateDirtyLogicFiles`: drops entries whose commit-log offset is
    /// `>= phy_offset`, from the last file backwards (deleting files left
    /// with no entry, but never the only one), and zeroes the dropped tail.
    ///
    /// A last file with no valid entry does not end the search: after a
    /// power loss under ASYNC_FLUSH a consume-queue file can reach the disk
    /// while the commit-log pages its entries point to do not, and the new,
    /// still empty file after it must not hide those entries.
    pub fn truncate_dirty(&self, phy_offset: i64) -> Result<(), StoreError> {
        self.set_max_physic_offset(phy_offset);
        loop {
            let Some(last) = self.files.last() else {
                return Ok(());
            };
            let data = last.all();
            let size = last.size();
            let mut keep = 0usize;
            let mut pos = 0usize;
            while pos + UNIT <= size {
                let e = CqEntry::decode(&data[pos..pos + UNIT]);
                if !e.is_valid() || (e.phy_offset >= phy_offset && !e.is_blank()) {
                    break;
                }
                keep = pos + UNIT;
                if !e.is_blank() {
                    self.set_max_physic_offset(e.phy_offset + e.size as i64);
                }
                pos += UNIT;
            }
            if keep == 0 && self.files.len() > 1 {
                self.files.delete_last()?;
                continue;
            }
            if keep < last.wrote() {
                last.truncate_to(keep)?;
            }
            let reached = last.from() + keep as i64;
            if self.files.flushed_where() > reached {
                self.files.set_flushed_where(reached);
            }
            return Ok(());
        }
    }

    /// Sets the min offset to the first entry pointing at or after the
    /// commit-log min offset (skipping blank fillers).
    pub fn correct_min_offset(&self, min_commit_log_offset: i64) {
        let files = self.files.files();
        for f in &files {
            let wrote = f.wrote();
            if wrote < UNIT {
                continue;
            }
            let data = f.readable_from(0);
            let n = wrote / UNIT;
            let entry_at = |i: usize| CqEntry::decode(&data[i * UNIT..i * UNIT + UNIT]);
            let last = entry_at(n - 1);
            if last.is_blank() || last.phy_offset < min_commit_log_offset {
                continue;
            }
            // First entry with phy >= min (fillers count as below).
            let (mut lo, mut hi) = (0usize, n - 1);
            while lo < hi {
                let mid = (lo + hi) / 2;
                let e = entry_at(mid);
                if e.is_blank() || e.phy_offset < min_commit_log_offset {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            let logic = f.from() + (lo * UNIT) as i64;
            self.min_logic_offset.store(logic, Ordering::Release);
            return;
        }
        // Everything is below the commit log: the queue is logically empty.
        self.min_logic_offset
            .store(self.files.max_offset(), Ordering::Release);
    }

    /// Deletes files whose last entry points below `min_commit_log_offset`
    /// (never the last file; `deleteExpiredFileByOffset`), then corrects the
    /// min offset. Returns the count.
    pub fn delete_expired(&self, min_commit_log_offset: i64) -> Result<usize, StoreError> {
        let files = self.files.files();
        let mut removed = Vec::new();
        for f in files.iter().take(files.len().saturating_sub(1)) {
            let Some(last) = f.slice(f.size() - UNIT, UNIT).map(CqEntry::decode) else {
                break;
            };
            if f.is_full() && last.phy_offset < min_commit_log_offset {
                removed.push(f.clone());
            } else {
                break;
            }
        }
        self.files.remove_files(&removed)?;
        self.correct_min_offset(min_commit_log_offset);
        Ok(removed.len())
    }

    /// Flushes dirty pages (`least_pages` as for the commit log).
    pub fn flush(&self, least_pages: usize) -> Result<(), StoreError> {
        self.files.flush(least_pages).map(|_| ())
    }

    /// Deletes all files of the queue.
    pub fn destroy(&self) -> Result<(), StoreError> {
        self.files.destroy()?;
        self.max_physic_offset.store(-1, Ordering::Release);
        self.min_logic_offset.store(0, Ordering::Release);
        Ok(())
    }
}
