//! A directory of equally sized [`MappedFile`]s forming one logical byte
//! space (`MappedFileQueue`): the commit log, or one consume queue.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, RwLock};

use super::io::StorageIo;
use super::mapped_file::{offset_to_file_name, MappedFile};
use super::StoreError;

/// Ordered files of one logical byte space.
pub struct MappedFileQueue {
    io: Arc<dyn StorageIo>,
    dir: PathBuf,
    file_size: usize,
    size_key: &'static str,
    files: RwLock<Vec<Arc<MappedFile>>>,
    flushed_where: AtomicI64,
    /// The next file, created ahead of the writer (RocketMQ's
    /// `AllocateMappedFileService`): on disk, not yet part of the queue.
    preallocated: Mutex<Option<Arc<MappedFile>>>,
}

impl std::fmt::Debug for MappedFileQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFileQueue")
            .field("dir", &self.dir)
            .field("file_size", &self.file_size)
            .field("files", &self.files.read().len())
            .finish()
    }
}

impl MappedFileQueue {
    /// A queue over `dir` with files of `file_size` bytes; `size_key` names
    /// the config key in errors.
    pub fn new(
        io: Arc<dyn StorageIo>,
        dir: PathBuf,
        file_size: usize,
        size_key: &'static str,
    ) -> Self {
        MappedFileQueue {
            io,
            dir,
            file_size,
            size_key,
            files: RwLock::new(Vec::new()),
            flushed_where: AtomicI64::new(0),
            preallocated: Mutex::new(None),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// File size.
    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// Maps every file of the directory (sorted by name), each marked fully
    /// written (recovery sets the real positions). A file of another size is
    /// an error, except a zero-length last file, which is deleted (5.x).
    /// Names that are not 20 digits are ignored with a warning.
    pub fn load(&self) -> Result<(), StoreError> {
        let entries = match self.io.list_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io("list", &self.dir, e)),
        };
        let mut named: Vec<(i64, String, u64)> = Vec::new();
        for e in entries {
            if e.is_dir {
                continue;
            }
            if e.name.len() != 20 || !e.name.bytes().all(|b| b.is_ascii_digit()) {
                tracing::warn!(
                    "ignoring {} in {}: not a store file name",
                    e.name,
                    self.dir.display()
                );
                continue;
            }
            let Ok(offset) = e.name.parse::<i64>() else {
                continue;
            };
            named.push((offset, e.name, e.len));
        }
        named.sort();
        let mut files = Vec::with_capacity(named.len());
        let count = named.len();
        for (i, (offset, name, len)) in named.into_iter().enumerate() {
            let path = self.dir.join(&name);
            if len != self.file_size as u64 {
                if len == 0 && i + 1 == count {
                    tracing::warn!("deleting empty trailing file {}", path.display());
                    self.io
                        .remove_file(&path)
                        .map_err(|e| StoreError::io("remove", &path, e))?;
                    continue;
                }
                return Err(StoreError::WrongFileSize {
                    path,
                    actual: len,
                    expected: self.file_size as u64,
                    what: self.size_key,
                });
            }
            if offset % self.file_size as i64 != 0 {
                return Err(StoreError::BadFileName {
                    path,
                    reason: "the start offset is not a multiple of the file size",
                });
            }
            let file = MappedFile::map(self.io.as_ref(), &path, offset, self.file_size, false)?;
            file.set_wrote(self.file_size);
            file.set_flushed(self.file_size);
            files.push(Arc::new(file));
        }
        for pair in files.windows(2) {
            if pair[1].from() != pair[0].end() {
                tracing::warn!(
                    "gap between {} and {}",
                    pair[0].path().display(),
                    pair[1].path().display()
                );
            }
        }
        *self.files.write() = files;
        Ok(())
    }

    /// A snapshot of the files.
    pub fn files(&self) -> Vec<Arc<MappedFile>> {
        self.files.read().clone()
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.read().len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.read().is_empty()
    }

    /// The first file.
    pub fn first(&self) -> Option<Arc<MappedFile>> {
        self.files.read().first().cloned()
    }

    /// The last file.
    pub fn last(&self) -> Option<Arc<MappedFile>> {
        self.files.read().last().cloned()
    }

    /// Creates the file starting at `from` and appends it to the queue.
    pub fn create_file(&self, from: i64) -> Result<Arc<MappedFile>, StoreError> {
        // Held until the file is in the queue, so `preallocate` never maps
        // a file the writer has just created.
        let mut slot = self.preallocated.lock();
        let file = match slot.take_if(|file| file.from() == from) {
            Some(file) => file,
            None => self.map_new(from)?,
        };
        let mut files = self.files.write();
        if let Some(last) = files.last() {
            if last.from() >= from {
                return Err(StoreError::BadFileName {
                    path: file.path().to_path_buf(),
                    reason: "new file does not follow the last file",
                });
            }
        }
        files.push(file.clone());
        Ok(file)
    }

    fn map_new(&self, from: i64) -> Result<Arc<MappedFile>, StoreError> {
        self.io
            .create_dir_all(&self.dir)
            .map_err(|e| StoreError::io("create directory", &self.dir, e))?;
        let path = self.dir.join(offset_to_file_name(from));
        Ok(Arc::new(MappedFile::map(
            self.io.as_ref(),
            &path,
            from,
            self.file_size,
            true,
        )?))
    }

    /// The file that will start at `from` once the last one is full, created
    /// now, off the writer's path: creating a file (allocating its blocks,
    /// syncing the directory) took a sender 200+ ms while the disk was busy
    /// with a flush, and requests queued behind it were refused as
    /// TIMEOUT_CLEAN_QUEUE. `None` when `from` is not where the last file
    /// ends. The file is taken by [`MappedFileQueue::create_file`]; left
    /// unused, it is an all-zero file that recovery truncates or deletes.
    pub fn preallocate(&self, from: i64) -> Result<Option<Arc<MappedFile>>, StoreError> {
        let mut slot = self.preallocated.lock();
        if let Some(file) = slot.as_ref().filter(|f| f.from() == from) {
            return Ok(Some(file.clone()));
        }
        if self.last().map(|last| last.end()) != Some(from) {
            return Ok(None);
        }
        let file = self.map_new(from)?;
        *slot = Some(file.clone());
        Ok(Some(file))
    }

    /// Deletes the preallocated file, if any.
    fn discard_preallocated(&self) -> Result<(), StoreError> {
        let Some(file) = self.preallocated.lock().take() else {
            return Ok(());
        };
        match self.io.remove_file(file.path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(StoreError::io("remove", file.path(), e))
            }
            _ => Ok(()),
        }
    }

    /// The last file if it has room, else a new one: at `start - start %
    /// size` when there are none, after the last one when it is full
    /// (`getLastMappedFile(startOffset)`).
    pub fn last_or_create(&self, start: i64) -> Result<Arc<MappedFile>, StoreError> {
        let create_at = match self.last() {
            Some(last) if !last.is_full() => return Ok(last),
            Some(last) => last.end(),
            None => start - start.rem_euclid(self.file_size as i64),
        };
        self.create_file(create_at)
    }

    /// The file containing logical `offset`.
    pub fn find(&self, offset: i64) -> Option<Arc<MappedFile>> {
        let files = self.files.read();
        let first = files.first()?;
        if offset < first.from() {
            return None;
        }
        let size = self.file_size as i64;
        let idx = (offset / size - first.from() / size) as usize;
        if let Some(f) = files.get(idx) {
            if offset >= f.from() && offset < f.end() {
                return Some(f.clone());
            }
        }
        files
            .iter()
            .find(|f| offset >= f.from() && offset < f.end())
            .cloned()
    }

    /// Start of the first file, if any.
    pub fn min_offset(&self) -> Option<i64> {
        self.first().map(|f| f.from())
    }

    /// `last.from + wrote` (0 without files).
    pub fn max_offset(&self) -> i64 {
        self.last()
            .map(|f| f.from() + f.wrote() as i64)
            .unwrap_or(0)
    }

    /// Where flushing has reached.
    pub fn flushed_where(&self) -> i64 {
        self.flushed_where.load(Ordering::Acquire)
    }

    /// Sets where flushing has reached (recovery).
    pub fn set_flushed_where(&self, offset: i64) {
        self.flushed_where.store(offset, Ordering::Release);
    }

    /// Flushes every file from the flushed position on (whole files that
    /// filled up, then the last one if it has `least_pages` dirty pages);
    /// returns the new flushed offset.
    pub fn flush(&self, least_pages: usize) -> Result<i64, StoreError> {
        let files = self.files();
        let start = self.flushed_where();
        let mut flushed_where = start;
        for f in files.iter().filter(|f| f.end() > start) {
            let pos = f.flush(if f.is_full() { 0 } else { least_pages })?;
            let reached = f.from() + pos as i64;
            if reached > flushed_where {
                flushed_where = reached;
            }
            if !f.is_full() {
                break;
            }
        }
        self.flushed_where
            .fetch_max(flushed_where, Ordering::AcqRel);
        Ok(self.flushed_where())
    }

    /// Truncates at `offset` (`truncateDirtyFiles`): the file containing it
    /// gets that write position and a zeroed tail; later files are deleted.
    pub fn truncate_dirty(&self, offset: i64) -> Result<(), StoreError> {
        self.discard_preallocated()?;
        let files = self.files();
        let mut removed = Vec::new();
        for f in &files {
            if f.end() <= offset {
                continue;
            }
            if offset >= f.from() {
                f.truncate_to((offset - f.from()) as usize)?;
            } else {
                removed.push(f.clone());
            }
        }
        self.remove_files(&removed)?;
        if self.flushed_where() > offset {
            self.set_flushed_where(offset);
        }
        Ok(())
    }

    /// Removes files from the queue and deletes them.
    pub fn remove_files(&self, removed: &[Arc<MappedFile>]) -> Result<(), StoreError> {
        if removed.is_empty() {
            return Ok(());
        }
        self.files
            .write()
            .retain(|f| !removed.iter().any(|r| Arc::ptr_eq(r, f)));
        for f in removed {
            tracing::info!("deleting {}", f.path().display());
            if let Err(e) = self.io.remove_file(f.path()) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(StoreError::io("remove", f.path(), e));
                }
            }
        }
        Ok(())
    }

    /// Deletes the last file (consume-queue truncation).
    pub fn delete_last(&self) -> Result<(), StoreError> {
        if let Some(last) = self.last() {
            self.remove_files(&[last])?;
        }
        Ok(())
    }

    /// Deletes every file and the directory.
    pub fn destroy(&self) -> Result<(), StoreError> {
        self.discard_preallocated()?;
        let files = self.files();
        self.remove_files(&files)?;
        if self.io.exists(&self.dir) {
            self.io
                .remove_dir_all(&self.dir)
                .map_err(|e| StoreError::io("remove", &self.dir, e))?;
        }
        self.set_flushed_where(0);
        Ok(())
    }

    /// `deleteExpiredFileByTime`: oldest first, never the last file nor one
    /// ending past `max_end` (not yet dispatched), stop at the first file not
    /// expired (unless `clean_immediately`), at most `batch_max`, pausing
    /// `interval` between deletions. Returns the count.
    pub fn delete_expired_by_time(
        &self,
        expired_after: Duration,
        interval: Duration,
        clean_immediately: bool,
        batch_max: usize,
        now: SystemTime,
        max_end: i64,
    ) -> Result<usize, StoreError> {
        let files = self.files();
        if files.len() <= 1 {
            return Ok(0);
        }
        let candidates = &files[..files.len() - 1];
        let mut deleted = 0;
        for (i, f) in candidates.iter().enumerate() {
            if f.end() > max_end {
                break;
            }
            let modified = self
                .io
                .modified(f.path())
                .map_err(|e| StoreError::io("stat", f.path(), e))?;
            let expired = now >= modified + expired_after;
            if !(expired || clean_immediately) {
                break;
            }
            self.remove_files(std::slice::from_ref(f))?;
            deleted += 1;
            if deleted >= batch_max.max(1) {
                break;
            }
            if !interval.is_zero() && i + 1 < candidates.len() {
                std::thread::sleep(interval);
            }
        }
        Ok(deleted)
    }
}
