//! One fixed-size memory-mapped file (`DefaultMappedFile`): its start offset
//! in the logical byte space, a published write position and a flushed
//! position.
//!
//! Concurrency contract: one writer at a time appends at the write position
//! (the store serialises writers) and publishes the new position with
//! Release; readers only read below a position they loaded with Acquire, so
//! readers and the writer never touch the same bytes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::io::{MappedRegion, StorageIo, OS_PAGE_SIZE};
use super::StoreError;

/// File name of a start offset: 20 decimal digits, zero-padded (`UtilAll.offset2FileName`).
pub fn offset_to_file_name(offset: i64) -> String {
    format!("{offset:020}")
}

/// A memory-mapped store file.
pub struct MappedFile {
    path: PathBuf,
    from: i64,
    size: usize,
    region: Box<dyn MappedRegion>,
    ptr: *mut u8,
    wrote: AtomicUsize,
    flushed: AtomicUsize,
}

// SAFETY: the raw pointer is into `region`, which is Send + Sync; access to
// byte ranges follows the contract in the module docs.
unsafe impl Send for MappedFile {}
unsafe impl Sync for MappedFile {}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("from", &self.from)
            .field("size", &self.size)
            .field("wrote", &self.wrote())
            .field("flushed", &self.flushed())
            .finish()
    }
}

impl MappedFile {
    /// Maps `path` (created at full size when `create`) starting at logical offset `from`.
    pub fn map(
        io: &dyn StorageIo,
        path: &Path,
        from: i64,
        size: usize,
        create: bool,
    ) -> Result<MappedFile, StoreError> {
        let region = io
            .map_file(path, size, create)
            .map_err(|e| StoreError::io(if create { "create" } else { "map" }, path, e))?;
        if region.len() != size {
            return Err(StoreError::WrongFileSize {
                path: path.to_path_buf(),
                actual: region.len() as u64,
                expected: size as u64,
                what: "the mapped size",
            });
        }
        let ptr = region.as_ptr();
        Ok(MappedFile {
            path: path.to_path_buf(),
            from,
            size,
            region,
            ptr,
            wrote: AtomicUsize::new(0),
            flushed: AtomicUsize::new(0),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Start offset of the file in its logical byte space.
    pub fn from(&self) -> i64 {
        self.from
    }

    /// File size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Logical offset just past the file.
    pub fn end(&self) -> i64 {
        self.from + self.size as i64
    }

    /// Published write position (Acquire).
    pub fn wrote(&self) -> usize {
        self.wrote.load(Ordering::Acquire)
    }

    /// Publishes a new write position (Release).
    pub fn set_wrote(&self, pos: usize) {
        self.wrote.store(pos.min(self.size), Ordering::Release);
    }

    /// Flushed position.
    pub fn flushed(&self) -> usize {
        self.flushed.load(Ordering::Acquire)
    }

    /// Sets the flushed position (recovery).
    pub fn set_flushed(&self, pos: usize) {
        self.flushed.store(pos.min(self.size), Ordering::Release);
    }

    /// Whether the write position reached the end.
    pub fn is_full(&self) -> bool {
        self.wrote() >= self.size
    }

    /// The bytes `[pos, pos + len)`; `None` if outside the file. Callers read
    /// only published bytes (below [`MappedFile::wrote`]) or data no writer
    /// touches (recovery).
    pub fn slice(&self, pos: usize, len: usize) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.size {
            return None;
        }
        // SAFETY: in bounds of the mapping, which lives as long as `self`.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.add(pos), len) })
    }

    /// The published bytes from `pos`: `[pos, wrote)`.
    pub fn readable_from(&self, pos: usize) -> &[u8] {
        let wrote = self.wrote();
        if pos >= wrote {
            return &[];
        }
        self.slice(pos, wrote - pos).unwrap_or(&[])
    }

    /// The whole file (recovery and consistency checks, while nothing writes).
    pub fn all(&self) -> &[u8] {
        self.slice(0, self.size).unwrap_or(&[])
    }

    /// Mutable access to `[pos, pos + len)` for the single writer.
    ///
    /// # Safety
    /// The caller must be the only writer of this range and no reader may
    /// look at it until it is published with [`MappedFile::set_wrote`].
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn write_slice(&self, pos: usize, len: usize) -> Option<&mut [u8]> {
        let end = pos.checked_add(len)?;
        if end > self.size {
            return None;
        }
        Some(std::slice::from_raw_parts_mut(self.ptr.add(pos), len))
    }

    /// Appends `bytes` at the write position and publishes it (single writer).
    pub fn append(&self, bytes: &[u8]) -> bool {
        let pos = self.wrote();
        // SAFETY: single writer per file (the caller serialises appends).
        match unsafe { self.write_slice(pos, bytes.len()) } {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.set_wrote(pos + bytes.len());
                true
            }
            None => false,
        }
    }

    /// Overwrites published bytes at `pos` (recovery only, nothing reads concurrently).
    pub fn overwrite(&self, pos: usize, bytes: &[u8]) -> bool {
        // SAFETY: recovery is single-threaded.
        match unsafe { self.write_slice(pos, bytes.len()) } {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    /// Big-endian i32 at `pos`.
    pub fn read_i32(&self, pos: usize) -> Option<i32> {
        self.slice(pos, 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Big-endian i64 at `pos`.
    pub fn read_i64(&self, pos: usize) -> Option<i64> {
        self.slice(pos, 8)
            .map(|b| i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// Whether enough is unflushed for a flush with `least_pages`
    /// (`DefaultMappedFile.isAbleToFlush`).
    pub fn is_able_to_flush(&self, least_pages: usize) -> bool {
        let flushed = self.flushed();
        let wrote = self.wrote();
        if wrote <= flushed {
            return false;
        }
        if wrote >= self.size {
            return true;
        }
        if least_pages > 0 {
            return wrote / OS_PAGE_SIZE - flushed / OS_PAGE_SIZE >= least_pages;
        }
        true
    }

    /// Populates `[pos, pos + len)` ahead of the writer (see `store::prefault`).
    pub fn prefault(&self, pos: usize, len: usize) -> std::io::Result<()> {
        self.region.prefault(pos, len)
    }

    /// Releases the page cache of `[pos, pos + len)` (see `store::residency`).
    pub fn release(&self, pos: usize, len: usize) -> std::io::Result<()> {
        self.region.release(pos, len)
    }

    /// Whether the page holding `pos` is in memory.
    pub fn is_resident(&self, pos: usize) -> bool {
        self.region.is_resident(pos)
    }

    /// Starts reading `[pos, pos + len)` into memory in the background.
    pub fn read_ahead(&self, pos: usize, len: usize) -> std::io::Result<()> {
        self.region.read_ahead(pos, len)
    }

    /// Flushes `[flushed, wrote)` if [`MappedFile::is_able_to_flush`]; returns
    /// the flushed position.
    pub fn flush(&self, least_pages: usize) -> Result<usize, StoreError> {
        if !self.is_able_to_flush(least_pages) {
            return Ok(self.flushed());
        }
        let flushed = self.flushed();
        let wrote = self.wrote();
        self.region
            .flush(flushed, wrote - flushed)
            .map_err(|e| StoreError::io("flush", &self.path, e))?;
        self.flushed.fetch_max(wrote, Ordering::AcqRel);
        Ok(self.flushed())
    }

    /// Flushes an arbitrary range (index and checkpoint files).
    pub fn flush_range(&self, pos: usize, len: usize) -> Result<(), StoreError> {
        self.region
            .flush(pos, len)
            .map_err(|e| StoreError::io("flush", &self.path, e))
    }

    /// Zeroes `[pos, size)` durably, sets the write and flushed positions to
    /// `pos` (recovery truncation; nothing reads concurrently).
    pub fn truncate_to(&self, pos: usize) -> Result<(), StoreError> {
        let pos = pos.min(self.size);
        let len = self.size - pos;
        if len > 0 {
            self.region
                .zero(pos, len)
                .and_then(|()| self.region.flush(pos, len))
                .map_err(|e| StoreError::io("zero-fill", &self.path, e))?;
        }
        self.set_wrote(pos);
        self.set_flushed(pos);
        Ok(())
    }
}
