//! Hash-index files (Java's `IndexFile` / `IndexService`): `topic#key` →
//! commit-log offsets, in files `<root>/index/<yyyyMMddHHmmssSSS>` of
//! `40 + slots×4 + entries×20` bytes.
//!
//! The service's lock serialises writers (the dispatcher) against readers
//! (queries) on the mapped bytes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use plugin_api::message::{java_hash_extend, java_string_hash};

use super::checkpoint::{Checkpoint, IndexMark};
use super::io::StorageIo;
use super::mapped_file::MappedFile;
use super::StoreError;

const HEADER_SIZE: usize = 40;
const ENTRY_SIZE: usize = 20;
const BEGIN_TIMESTAMP: usize = 0;
const END_TIMESTAMP: usize = 8;
const BEGIN_PHY_OFFSET: usize = 16;
const END_PHY_OFFSET: usize = 24;
const HASH_SLOT_COUNT: usize = 32;
const INDEX_COUNT: usize = 36;

/// `abs(javaHash(topic + "#" + key))`, 0 for `Integer.MIN_VALUE`.
pub fn index_key_hash(topic: &str, key: &str) -> i32 {
    let h = java_hash_extend(java_hash_extend(java_string_hash(topic), "#"), key);
    let a = h.wrapping_abs();
    if a < 0 {
        0
    } else {
        a
    }
}

/// One index file.
pub struct IndexFile {
    file: MappedFile,
    slot_num: usize,
    index_num: usize,
    /// Its name as a number (`yyyyMMddHHmmssSSS`).
    stamp: u64,
    /// Full and flushed: nothing will change it any more.
    durable: AtomicBool,
}

impl std::fmt::Debug for IndexFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexFile")
            .field("path", &self.file.path())
            .field("index_count", &self.index_count())
            .field("begin_ts", &self.begin_timestamp())
            .field("end_ts", &self.end_timestamp())
            .finish()
    }
}

impl IndexFile {
    fn open(
        io: &dyn StorageIo,
        path: &Path,
        slot_num: usize,
        index_num: usize,
        create: bool,
    ) -> Result<IndexFile, StoreError> {
        let size = HEADER_SIZE + slot_num * 4 + index_num * ENTRY_SIZE;
        let file = MappedFile::map(io, path, 0, size, create)?;
        file.set_wrote(size);
        let stamp = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        Ok(IndexFile {
            file,
            slot_num,
            index_num,
            stamp,
            durable: AtomicBool::new(false),
        })
    }

    fn slot_pos(&self, slot: usize) -> usize {
        HEADER_SIZE + slot * 4
    }

    fn entry_pos(&self, entry: usize) -> usize {
        HEADER_SIZE + self.slot_num * 4 + entry * ENTRY_SIZE
    }

    /// The header, to roll back to after a crash ([`IndexFile::roll_back`]).
    pub fn mark(&self) -> IndexMark {
        IndexMark {
            file_stamp: self.stamp,
            index_count: self.index_count(),
            hash_slot_count: self.i32_at(HASH_SLOT_COUNT),
            begin_timestamp: self.begin_timestamp(),
            end_timestamp: self.end_timestamp(),
            begin_phy_offset: self.begin_phy_offset(),
            end_phy_offset: self.end_phy_offset(),
        }
    }

    /// Returns the file to the state `mark` recorded (abnormal recovery):
    /// entries from `mark.index_count` on are forgotten and every hash slot
    /// points into the entries before it again. Entries below the mark were
    /// durable when the mark was persisted; the rest may be anything.
    ///
    /// With `same_boot` (the machine did not restart since, so the page
    /// cache holds every byte the dead process wrote), each slot that points
    /// at a forgotten entry follows that entry's chain back below the mark
    /// (entries store the slot's previous head) — a scan of the slots only.
    /// Otherwise unflushed pages may be lost or torn, chains past the mark
    /// cannot be trusted, and the slots are rebuilt from the durable
    /// entries, oldest first. Returns false if the file cannot be the one
    /// marked (it has fewer entries than the mark on the same boot).
    pub fn roll_back(&self, mark: &IndexMark, same_boot: bool) -> bool {
        let keep = mark.index_count.max(1);
        if keep as usize > self.index_num {
            return false;
        }
        if same_boot {
            let count = self.i32_at(INDEX_COUNT).max(1);
            if count < keep {
                return false;
            }
            if !self.unwind_slots(keep, count) {
                tracing::warn!(
                    "index file {}: a hash chain past the checkpoint is broken; rebuilding the slots",
                    self.path().display()
                );
                self.rebuild_slots(keep);
            }
        } else {
            self.rebuild_slots(keep);
        }
        self.put_i32(INDEX_COUNT, keep);
        self.put_i32(HASH_SLOT_COUNT, mark.hash_slot_count);
        self.put_i64(BEGIN_TIMESTAMP, mark.begin_timestamp);
        self.put_i64(END_TIMESTAMP, mark.end_timestamp);
        self.put_i64(BEGIN_PHY_OFFSET, mark.begin_phy_offset);
        self.put_i64(END_PHY_OFFSET, mark.end_phy_offset);
        true
    }

    /// Same-boot roll back: every slot at or past `keep` walks its chain
    /// back below `keep`. An entry past the header's count may be one
    /// whose put was cut short after its slot was written (the header
    /// comes last), so the bound is `count + 1`. False on anything that
    /// is not a chain `put_key` could have written.
    fn unwind_slots(&self, keep: i32, count: i32) -> bool {
        let bound = (count as usize + 1).min(self.index_num) as i32;
        for slot in 0..self.slot_num {
            let slot_pos = self.slot_pos(slot);
            let head = self.i32_at(slot_pos);
            if (0..keep).contains(&head) {
                continue;
            }
            let mut next = head;
            while next >= keep {
                if next >= bound {
                    return false;
                }
                let pos = self.entry_pos(next as usize);
                let hash = self.i32_at(pos);
                let prev = self.i32_at(pos + 16);
                if hash < 0 || hash as usize % self.slot_num != slot || !(0..next).contains(&prev) {
                    return false;
                }
                next = prev;
            }
            if next < 0 {
                return false;
            }
            self.put_i32(slot_pos, next);
        }
        true
    }

    /// Sets every slot to the newest of the entries `1..keep` that hashes
    /// to it (their previous-entry links were written with them).
    fn rebuild_slots(&self, keep: i32) {
        let zeros = vec![0u8; 64 * 1024];
        let slots_end = self.slot_pos(self.slot_num);
        let mut pos = HEADER_SIZE;
        while pos < slots_end {
            let n = zeros.len().min(slots_end - pos);
            self.file.overwrite(pos, &zeros[..n]);
            pos += n;
        }
        for entry in 1..keep {
            let hash = self.i32_at(self.entry_pos(entry as usize));
            if hash >= 0 {
                self.put_i32(self.slot_pos(hash as usize % self.slot_num), entry);
            }
        }
    }

    fn i64_at(&self, pos: usize) -> i64 {
        self.file.read_i64(pos).unwrap_or(0)
    }

    fn i32_at(&self, pos: usize) -> i32 {
        self.file.read_i32(pos).unwrap_or(0)
    }

    fn put_i64(&self, pos: usize, v: i64) {
        self.file.overwrite(pos, &v.to_be_bytes());
    }

    fn put_i32(&self, pos: usize, v: i32) {
        self.file.overwrite(pos, &v.to_be_bytes());
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Store time of the first indexed message.
    pub fn begin_timestamp(&self) -> i64 {
        self.i64_at(BEGIN_TIMESTAMP)
    }

    /// Store time of the last indexed message.
    pub fn end_timestamp(&self) -> i64 {
        self.i64_at(END_TIMESTAMP)
    }

    /// Commit-log offset of the first indexed message.
    pub fn begin_phy_offset(&self) -> i64 {
        self.i64_at(BEGIN_PHY_OFFSET)
    }

    /// Commit-log offset of the last indexed message.
    pub fn end_phy_offset(&self) -> i64 {
        self.i64_at(END_PHY_OFFSET)
    }

    /// Next entry number (starts at 1).
    pub fn index_count(&self) -> i32 {
        self.i32_at(INDEX_COUNT).max(1)
    }

    /// Whether no entry fits any more.
    pub fn is_full(&self) -> bool {
        self.index_count() as usize >= self.index_num
    }

    fn is_time_matched(&self, begin: i64, end: i64) -> bool {
        let (b, e) = (self.begin_timestamp(), self.end_timestamp());
        (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
    }

    /// `IndexFile.putKey`; false when full. Caller holds the write lock.
    fn put_key(&self, key_hash: i32, phy_offset: i64, store_timestamp: i64) -> bool {
        let count = self.index_count();
        if count as usize >= self.index_num {
            return false;
        }
        let slot_pos = HEADER_SIZE + (key_hash as usize % self.slot_num) * 4;
        let mut prev = self.i32_at(slot_pos);
        if prev <= 0 || prev > count {
            prev = 0;
        }
        let begin = self.begin_timestamp();
        let time_diff = if begin <= 0 {
            0
        } else {
            ((store_timestamp - begin) / 1000).clamp(0, i32::MAX as i64) as i32
        };
        let entry_pos = HEADER_SIZE + self.slot_num * 4 + count as usize * ENTRY_SIZE;
        let mut entry = [0u8; ENTRY_SIZE];
        entry[..4].copy_from_slice(&key_hash.to_be_bytes());
        entry[4..12].copy_from_slice(&phy_offset.to_be_bytes());
        entry[12..16].copy_from_slice(&time_diff.to_be_bytes());
        entry[16..].copy_from_slice(&prev.to_be_bytes());
        self.file.overwrite(entry_pos, &entry);
        self.put_i32(slot_pos, count);
        if count <= 1 {
            self.put_i64(BEGIN_PHY_OFFSET, phy_offset);
            self.put_i64(BEGIN_TIMESTAMP, store_timestamp);
        }
        if prev == 0 {
            self.put_i32(
                HASH_SLOT_COUNT,
                self.i32_at(HASH_SLOT_COUNT).wrapping_add(1),
            );
        }
        self.put_i32(INDEX_COUNT, count + 1);
        self.put_i64(END_PHY_OFFSET, phy_offset);
        self.put_i64(END_TIMESTAMP, store_timestamp);
        true
    }

    /// `IndexFile.selectPhyOffset`. Caller holds the read lock.
    fn select(&self, key_hash: i32, max_num: usize, begin: i64, end: i64, out: &mut Vec<i64>) {
        let count = self.index_count();
        let slot_pos = HEADER_SIZE + (key_hash as usize % self.slot_num) * 4;
        let slot = self.i32_at(slot_pos);
        if slot <= 0 || slot > count || count <= 1 {
            return;
        }
        let begin_ts = self.begin_timestamp();
        let mut next = slot;
        let mut steps = 0usize;
        loop {
            if out.len() >= max_num || steps > self.index_num {
                break;
            }
            steps += 1;
            let pos = HEADER_SIZE + self.slot_num * 4 + next as usize * ENTRY_SIZE;
            let hash = self.i32_at(pos);
            let phy = self.i64_at(pos + 4);
            let diff = self.i32_at(pos + 12);
            let prev = self.i32_at(pos + 16);
            if diff < 0 {
                break;
            }
            let time = begin_ts + diff as i64 * 1000;
            if hash == key_hash && time >= begin && time <= end && !out.contains(&phy) {
                out.push(phy);
            }
            if prev <= 0 || prev > count || prev == next || time < begin {
                break;
            }
            next = prev;
        }
    }

    fn inherit(&self, prev: &IndexFile) {
        let (end_phy, end_ts) = (prev.end_phy_offset(), prev.end_timestamp());
        if end_phy > 0 {
            self.put_i64(BEGIN_PHY_OFFSET, end_phy);
            self.put_i64(END_PHY_OFFSET, end_phy);
        }
        if end_ts > 0 {
            self.put_i64(BEGIN_TIMESTAMP, end_ts);
            self.put_i64(END_TIMESTAMP, end_ts);
        }
    }

    /// Flushes the whole file; a full one is then durable for good.
    pub fn flush(&self) -> Result<(), StoreError> {
        let full = self.is_full();
        self.file.flush_range(0, self.file.size())?;
        if full {
            self.durable.store(true, Ordering::Release);
        }
        Ok(())
    }
}

/// Result of [`IndexService::query`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOffsetResult {
    /// Commit-log offsets (may include hash collisions).
    pub phy_offsets: Vec<i64>,
    /// End timestamp of the newest index file.
    pub index_last_update_timestamp: i64,
    /// End commit-log offset of the newest index file.
    pub index_last_update_phyoffset: i64,
}

/// The index files.
pub struct IndexService {
    io: Arc<dyn StorageIo>,
    dir: PathBuf,
    slot_num: usize,
    index_num: usize,
    checkpoint: Arc<Checkpoint>,
    files: RwLock<Vec<Arc<IndexFile>>>,
}

impl std::fmt::Debug for IndexService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexService")
            .field("dir", &self.dir)
            .field("files", &self.files.read().len())
            .finish()
    }
}

/// What [`IndexService::build`] needs from one record.
#[derive(Debug, Clone, Copy)]
pub struct IndexRequest<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Commit-log offset.
    pub phy_offset: i64,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// SYSFLAG.
    pub sys_flag: i32,
    /// KEYS property.
    pub keys: Option<&'a str>,
    /// UNIQ_KEY property.
    pub uniq_key: Option<&'a str>,
}

impl IndexService {
    /// A service over `dir`.
    pub fn new(
        io: Arc<dyn StorageIo>,
        dir: PathBuf,
        slot_num: u32,
        index_num: u32,
        checkpoint: Arc<Checkpoint>,
    ) -> Self {
        IndexService {
            io,
            dir,
            slot_num: slot_num.max(1) as usize,
            index_num: index_num.max(2) as usize,
            checkpoint,
            files: RwLock::new(Vec::new()),
        }
    }

    fn file_size(&self) -> usize {
        HEADER_SIZE + self.slot_num * 4 + self.index_num * ENTRY_SIZE
    }

    /// Maps the index files. After an abnormal exit, files that may not be
    /// entirely on disk — end timestamp newer than the checkpoint's
    /// indexMsgTimestamp (Java's rule), or no entry in the header — are
    /// deleted, and the offset from which index entries must be rebuilt is
    /// returned: the end of the newest kept file (0 if none).
    ///
    /// With `recovery` (the index part of the checkpoint's recovery point,
    /// and whether the machine kept running since it was written), files
    /// older than the marked one are kept, the marked one is rolled back to
    /// the mark ([`IndexFile::roll_back`]) and newer ones are deleted: the
    /// index then holds exactly the keys of the records the recovery point
    /// covers, and nothing needs rebuilding before it.
    pub fn load(
        &self,
        last_exit_ok: bool,
        recovery: Option<(&IndexMark, bool)>,
    ) -> Result<Option<i64>, StoreError> {
        if let (false, Some((mark, same_boot))) = (last_exit_ok, recovery) {
            match self.load_to_mark(mark, same_boot)? {
                true => return Ok(None),
                false => tracing::warn!(
                    "index file {} of the checkpoint is missing or not the one marked; \
                     falling back to rebuilding unfinished index files",
                    mark.file_stamp
                ),
            }
        }
        self.load_files(last_exit_ok)
    }

    /// Index file names (digits only) and lengths, sorted.
    fn list_files(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let entries = match self.io.list_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("list", &self.dir, e)),
        };
        let mut names: Vec<(String, u64)> = entries
            .into_iter()
            .filter(|e| {
                !e.is_dir && !e.name.is_empty() && e.name.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|e| (e.name, e.len))
            .collect();
        names.sort();
        Ok(names)
    }

    fn open_existing(&self, name: &str, len: u64) -> Result<IndexFile, StoreError> {
        let path = self.dir.join(name);
        if len != self.file_size() as u64 {
            return Err(StoreError::WrongFileSize {
                path,
                actual: len,
                expected: self.file_size() as u64,
                what: "the index file size (40 + maxHashSlotNum*4 + maxIndexNum*20)",
            });
        }
        IndexFile::open(
            self.io.as_ref(),
            &path,
            self.slot_num,
            self.index_num,
            false,
        )
    }

    /// [`IndexService::load`] with a recovery point: false (nothing
    /// changed on disk) when the marked file is not there or cannot be
    /// rolled back.
    fn load_to_mark(&self, mark: &IndexMark, same_boot: bool) -> Result<bool, StoreError> {
        let names = self.list_files()?;
        let stamp_of = |name: &str| name.parse::<u64>().unwrap_or(u64::MAX);
        if mark.file_stamp != 0 && !names.iter().any(|(n, _)| stamp_of(n) == mark.file_stamp) {
            return Ok(false);
        }
        let mut files: Vec<Arc<IndexFile>> = Vec::new();
        let mut newer = Vec::new();
        for (name, len) in names {
            let stamp = stamp_of(&name);
            if stamp > mark.file_stamp {
                newer.push(self.dir.join(&name));
                continue;
            }
            let f = self.open_existing(&name, len)?;
            if stamp == mark.file_stamp {
                if !f.roll_back(mark, same_boot) {
                    return Ok(false);
                }
                tracing::info!(
                    "index file {} rolled back to the checkpoint: {} entries ({})",
                    f.path().display(),
                    mark.index_count - 1,
                    if same_boot {
                        "chains unwound"
                    } else {
                        "slots rebuilt"
                    }
                );
            } else {
                f.durable.store(true, Ordering::Release);
            }
            files.push(Arc::new(f));
        }
        for path in newer {
            tracing::info!(
                "abnormal exit: dropping index file {} (created after the checkpoint)",
                path.display()
            );
            self.io
                .remove_file(&path)
                .map_err(|e| StoreError::io("remove", &path, e))?;
        }
        *self.files.write() = files;
        Ok(true)
    }

    fn load_files(&self, last_exit_ok: bool) -> Result<Option<i64>, StoreError> {
        let names = self.list_files()?;
        let mut files: Vec<Arc<IndexFile>> = Vec::new();
        let mut dropped = false;
        let index_ts = self.checkpoint.index_msg_timestamp();
        for (name, len) in names {
            let path = self.dir.join(&name);
            let f = self.open_existing(&name, len)?;
            if f.is_full() {
                f.durable.store(true, Ordering::Release);
            }
            // Without a recovery point, only a file the checkpoint says was
            // flushed whole can be trusted: a file not yet full was never
            // flushed, even when its end falls in the checkpoint's very
            // millisecond (Java's `IndexService.load` compares timestamps
            // only, and keeps such a file with its torn entries).
            let trusted = f.is_full() && f.end_timestamp() <= index_ts;
            if !last_exit_ok && (dropped || !trusted || f.index_count() <= 1) {
                tracing::info!(
                    "abnormal exit: dropping index file {} (end timestamp {}, indexMsgTimestamp {index_ts})",
                    path.display(),
                    f.end_timestamp()
                );
                drop(f);
                self.io
                    .remove_file(&path)
                    .map_err(|e| StoreError::io("remove", &path, e))?;
                dropped = true;
                continue;
            }
            files.push(Arc::new(f));
        }
        let rebuild_from = files.last().map(|f| f.end_phy_offset()).unwrap_or(0);
        *self.files.write() = files;
        Ok(dropped.then_some(rebuild_from))
    }

    fn new_file_name(&self, last: Option<&IndexFile>) -> String {
        let mut stamp: u64 = local_time_stamp(crate::clock::now_millis())
            .parse()
            .unwrap_or(0);
        if let Some(last) = last {
            if let Some(n) = last
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<u64>().ok())
            {
                stamp = stamp.max(n + 1);
            }
        }
        format!("{stamp:017}")
    }

    fn writable_file(&self, files: &mut Vec<Arc<IndexFile>>) -> Result<Arc<IndexFile>, StoreError> {
        if let Some(last) = files.last() {
            if !last.is_full() {
                return Ok(last.clone());
            }
        }
        self.io
            .create_dir_all(&self.dir)
            .map_err(|e| StoreError::io("create directory", &self.dir, e))?;
        let prev = files.last().cloned();
        let path = self.dir.join(self.new_file_name(prev.as_deref()));
        let f = Arc::new(IndexFile::open(
            self.io.as_ref(),
            &path,
            self.slot_num,
            self.index_num,
            true,
        )?);
        if let Some(prev) = prev {
            f.inherit(&prev);
            // The full file is flushed in the background; then the checkpoint records it.
            let cp = self.checkpoint.clone();
            let spawned = std::thread::Builder::new()
                .name("index-flush".into())
                .spawn(move || {
                    let end = prev.end_timestamp();
                    match prev.flush() {
                        Ok(()) => {
                            cp.set_index_msg_timestamp(end);
                            if let Err(e) = cp.flush() {
                                tracing::error!("checkpoint flush failed: {e}");
                            }
                        }
                        Err(e) => tracing::error!("index flush failed: {e}"),
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start the index flush thread: {e}");
            }
        }
        files.push(f.clone());
        Ok(f)
    }

    /// `IndexService.buildIndex` for one record: skipped if already indexed
    /// (offset below the current file's end) or a rollback record; indexes
    /// `topic#UNIQ_KEY` and `topic#k` for each space-separated KEYS value.
    pub fn build(&self, req: &IndexRequest<'_>) -> Result<(), StoreError> {
        use plugin_api::message::sysflag;
        if sysflag::transaction_type(req.sys_flag) == sysflag::TRANSACTION_ROLLBACK_TYPE {
            return Ok(());
        }
        let has_keys = req.uniq_key.is_some() || req.keys.is_some_and(|k| !k.is_empty());
        let mut files = self.files.write();
        let mut file = self.writable_file(&mut files)?;
        let end = file.end_phy_offset();
        if req.phy_offset < end || (req.phy_offset == end && file.index_count() > 1) {
            return Ok(());
        }
        if !has_keys {
            return Ok(());
        }
        let mut put = |key: &str, file: &mut Arc<IndexFile>| -> Result<(), StoreError> {
            let hash = index_key_hash(req.topic, key);
            while !file.put_key(hash, req.phy_offset, req.store_timestamp) {
                *file = self.writable_file(&mut files)?;
            }
            Ok(())
        };
        if let Some(u) = req.uniq_key {
            put(u, &mut file)?;
        }
        if let Some(keys) = req.keys {
            for k in keys.split(' ').filter(|k| !k.is_empty()) {
                put(k, &mut file)?;
            }
        }
        Ok(())
    }

    /// `IndexService.queryOffset`: newest file first, at most `max_num`
    /// offsets whose entry time lies in `[begin, end]`.
    pub fn query(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin: i64,
        end: i64,
    ) -> QueryOffsetResult {
        let files = self.files.read();
        let mut result = QueryOffsetResult::default();
        let hash = index_key_hash(topic, key);
        for (i, f) in files.iter().enumerate().rev() {
            if i + 1 == files.len() {
                result.index_last_update_timestamp = f.end_timestamp();
                result.index_last_update_phyoffset = f.end_phy_offset();
            }
            if f.is_time_matched(begin, end) {
                f.select(hash, max_num, begin, end, &mut result.phy_offsets);
            }
            if f.begin_timestamp() < begin || result.phy_offsets.len() >= max_num {
                break;
            }
        }
        result
    }

    /// Deletes files whose end offset is below `min_phy_offset` (never the newest).
    pub fn delete_expired(&self, min_phy_offset: i64) -> Result<usize, StoreError> {
        let mut files = self.files.write();
        let mut removed = Vec::new();
        let n = files.len();
        for f in files.iter().take(n.saturating_sub(1)) {
            if f.end_phy_offset() < min_phy_offset {
                removed.push(f.clone());
            } else {
                break;
            }
        }
        files.retain(|f| !removed.iter().any(|r| Arc::ptr_eq(r, f)));
        drop(files);
        for f in &removed {
            tracing::info!("deleting index file {}", f.path().display());
            if let Err(e) = self.io.remove_file(f.path()) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(StoreError::io("remove", f.path(), e));
                }
            }
        }
        Ok(removed.len())
    }

    /// Flushes every file (shutdown, and the first checkpoint after an
    /// abnormal exit, when pages the dead process wrote may still be dirty).
    pub fn flush(&self) -> Result<(), StoreError> {
        let files: Vec<Arc<IndexFile>> = self.files.read().clone();
        for f in files.iter() {
            f.flush()?;
        }
        Ok(())
    }

    /// Flushes the files that may have changed since they were last
    /// flushed: the newest, and full ones not yet flushed (the checkpoint).
    pub fn flush_dirty(&self) -> Result<(), StoreError> {
        let files: Vec<Arc<IndexFile>> = self.files.read().clone();
        let n = files.len();
        for (i, f) in files.iter().enumerate() {
            if i + 1 == n || !f.durable.load(Ordering::Acquire) {
                f.flush()?;
            }
        }
        Ok(())
    }

    /// The newest file's header, for a [`DispatchMark`](super::checkpoint::DispatchMark)
    /// (`file_stamp` 0 without files). Taken by the dispatcher, the only writer.
    pub fn mark(&self) -> IndexMark {
        self.files
            .read()
            .last()
            .map(|f| f.mark())
            .unwrap_or_default()
    }

    /// Begin offset of the oldest file holding entries: the start of the
    /// range the index covers (None if it holds nothing).
    pub fn covered_from(&self) -> Option<i64> {
        self.files
            .read()
            .iter()
            .find(|f| f.index_count() > 1)
            .map(|f| f.begin_phy_offset())
    }

    /// End offset of the newest file (0 without files).
    pub fn end_phy_offset(&self) -> i64 {
        self.files
            .read()
            .last()
            .map(|f| f.end_phy_offset())
            .unwrap_or(0)
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.files.read().len()
    }
}

/// Local time as `yyyyMMddHHmmssSSS` (`UtilAll.timeMillisToHumanString`).
pub fn local_time_stamp(ms: i64) -> String {
    let (tm, millis) = local_tm(ms);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        millis
    )
}

/// A number for the local calendar day of an epoch-ms time (changes at
/// local midnight).
pub fn local_day(ms: i64) -> i64 {
    let tm = local_tm(ms).0;
    tm.tm_year as i64 * 400 + tm.tm_yday as i64
}

/// Local hour (0–23) of an epoch-ms time.
pub fn local_hour(ms: i64) -> i32 {
    local_tm(ms).0.tm_hour
}

fn local_tm(ms: i64) -> (libc::tm, i64) {
    let secs = ms.div_euclid(1000) as libc::time_t;
    // SAFETY: zeroed tm is valid; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    (tm, ms.rem_euclid(1000))
}
