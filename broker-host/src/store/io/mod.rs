//! The storage seam: every file the store touches goes through a
//! [`StorageIo`]. [`FsIo`] (`io/fs.rs`) is the real one (std::fs + memmap2 +
//! libc); [`SimIo`] (`io/sim.rs`) is an in-memory file system for crash tests
//! that keeps, per file, what the process wrote (the "page cache") apart
//! from what reached "disk" (flushed), and can produce the state a crash
//! would leave behind: unflushed bytes lost, or torn (a random subset of
//! dirty pages written).

mod fs;
mod sim;

use std::any::Any;
use std::io;
use std::path::Path;
use std::time::SystemTime;

pub use self::fs::FsIo;
pub use self::sim::{CrashMode, FlushEvent, SimIo};

/// OS page size assumed for flush accounting (RocketMQ `OS_PAGE_SIZE`).
pub const OS_PAGE_SIZE: usize = 4096;

/// A file mapped into memory at its full size.
///
/// The store writes through [`MappedRegion::as_ptr`] (one writer per byte
/// range, readers only below a published position) and makes ranges durable
/// with [`MappedRegion::flush`].
pub trait MappedRegion: Send + Sync {
    /// Start of the mapping; valid for [`MappedRegion::len`] bytes while the region lives.
    fn as_ptr(&self) -> *mut u8;
    /// Length of the mapping (the file size).
    fn len(&self) -> usize;
    /// Whether the mapping is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Makes `[offset, offset + len)` durable (msync).
    fn flush(&self, offset: usize, len: usize) -> io::Result<()>;
    /// Sets `[offset, offset + len)` to zero, cheaply where the file system
    /// allows (no read of the old data); durable after [`MappedRegion::flush`]
    /// of the same range.
    fn zero(&self, offset: usize, len: usize) -> io::Result<()>;
    /// Maps `[offset, offset + len)` in writable, as a write would, without
    /// changing a byte (so later writes there take no page fault). Best
    /// effort: a region that cannot does nothing.
    fn prefault(&self, offset: usize, len: usize) -> io::Result<()> {
        let _ = (offset, len);
        Ok(())
    }
    /// Gives the page cache of `[offset, offset + len)` back to the kernel
    /// (only whole pages inside the range): the bytes stay in the file and a
    /// later read faults them in again. Only for flushed ranges nobody
    /// writes any more. Best effort: a region that cannot does nothing.
    fn release(&self, offset: usize, len: usize) -> io::Result<()> {
        let _ = (offset, len);
        Ok(())
    }
    /// Whether the page holding `offset` is in memory (a region that cannot
    /// tell says yes).
    fn is_resident(&self, offset: usize) -> bool {
        let _ = offset;
        true
    }
    /// Starts reading `[offset, offset + len)` into the page cache in the
    /// background (MADV_WILLNEED). Best effort.
    fn read_ahead(&self, offset: usize, len: usize) -> io::Result<()> {
        let _ = (offset, len);
        Ok(())
    }
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntryInfo {
    /// File name.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Length in bytes (files).
    pub len: u64,
}

/// Held file lock; dropping it releases the lock.
pub type LockGuard = Box<dyn Any + Send + Sync>;

/// File operations of the store.
pub trait StorageIo: Send + Sync + 'static {
    /// `mkdir -p`.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Entries of a directory (NotFound if it does not exist).
    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntryInfo>>;
    /// Whether a file or directory exists.
    fn exists(&self, path: &Path) -> bool;
    /// Length of a file.
    fn file_len(&self, path: &Path) -> io::Result<u64>;
    /// Maps a file of exactly `size` bytes. With `create`, a missing file is
    /// created at full length (blocks reserved where possible, so a full
    /// disk fails here and not on a later write); without it, the file must
    /// exist.
    fn map_file(&self, path: &Path, size: usize, create: bool)
        -> io::Result<Box<dyn MappedRegion>>;
    /// Deletes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Deletes a directory tree.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Last modification time of a file.
    fn modified(&self, path: &Path) -> io::Result<SystemTime>;
    /// Creates an empty marker file (the `abort` file) durably.
    fn create_marker(&self, path: &Path) -> io::Result<()>;
    /// Takes the exclusive store lock on `path` (created if missing; "lock"
    /// is written into it). `WouldBlock` if another holder has it.
    fn lock(&self, path: &Path) -> io::Result<LockGuard>;
    /// Used fraction (0.0–1.0) of the partition holding `path`.
    fn disk_usage_ratio(&self, path: &Path) -> io::Result<f64>;
    /// Identifies the running kernel instance (Linux's
    /// `/proc/sys/kernel/random/boot_id`): while it is the same, the page
    /// cache survived whatever stopped the last process, so every byte that
    /// process wrote is still there, even unflushed. `None` when unknown
    /// (recovery then assumes the machine restarted).
    fn boot_id(&self) -> Option<u128> {
        None
    }
}
