//! The storage seam: every file the store touches goes through a
//! [`StorageIo`]. [`FsIo`] is the real one (std::fs + memmap2 + libc);
//! [`SimIo`] is an in-memory file system for crash tests that keeps, per
//! file, what the process wrote (the "page cache") apart from what reached
//! "disk" (flushed), and can produce the state a crash would leave behind:
//! unflushed bytes lost, or torn (a random subset of dirty pages written).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::{Condvar, Mutex};

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
}

// ---------------------------------------------------------------- FsIo

/// The real file system: std::fs, memmap2, fallocate, OFD locks, statvfs.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsIo;

struct FsRegion {
    file: File,
    map: memmap2::MmapMut,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the raw pointer is into a shared file mapping owned by `map`; the
// store synchronises access to byte ranges itself.
unsafe impl Send for FsRegion {}
unsafe impl Sync for FsRegion {}

fn fallocate(file: &File, mode: libc::c_int, offset: usize, len: usize) -> io::Result<()> {
    // SAFETY: plain syscall on an open descriptor.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            mode,
            offset as libc::off_t,
            len as libc::off_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) | Some(libc::EINVAL)
    )
}

impl MappedRegion for FsRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    fn prefault(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset - offset % OS_PAGE_SIZE;
        let end = (offset + len).next_multiple_of(OS_PAGE_SIZE).min(self.len);
        if start >= end {
            return Ok(());
        }
        // SAFETY: a page-aligned range inside our own mapping; POPULATE_WRITE
        // faults pages in as writable without modifying their contents.
        let rc = unsafe {
            libc::madvise(
                self.ptr.add(start).cast(),
                end - start,
                libc::MADV_POPULATE_WRITE,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn release(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset.next_multiple_of(OS_PAGE_SIZE);
        let end = (offset + len).min(self.len);
        let end = end - end % OS_PAGE_SIZE;
        if start >= end {
            return Ok(());
        }
        // SAFETY: a page-aligned range inside our own shared file mapping;
        // dropping its page-table entries loses nothing (the pages are clean
        // and the file keeps the bytes) and a later access faults them back.
        let rc =
            unsafe { libc::madvise(self.ptr.add(start).cast(), end - start, libc::MADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // Unmapped clean pages can now leave the page cache.
        // SAFETY: plain syscall on an open descriptor.
        let rc = unsafe {
            libc::posix_fadvise(
                self.file.as_raw_fd(),
                start as libc::off_t,
                (end - start) as libc::off_t,
                libc::POSIX_FADV_DONTNEED,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(rc))
        }
    }

    fn is_resident(&self, offset: usize) -> bool {
        if offset >= self.len {
            return true;
        }
        let page = offset - offset % OS_PAGE_SIZE;
        let mut flag = 0u8;
        // SAFETY: one page-aligned page inside our mapping, one result byte.
        let rc = unsafe { libc::mincore(self.ptr.add(page).cast(), 1, &mut flag) };
        rc != 0 || flag & 1 == 1
    }

    fn read_ahead(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset - offset % OS_PAGE_SIZE;
        let end = (offset + len).next_multiple_of(OS_PAGE_SIZE).min(self.len);
        if start >= end {
            return Ok(());
        }
        // SAFETY: a page-aligned range inside our own mapping; WILLNEED only
        // schedules reads into the page cache.
        let rc =
            unsafe { libc::madvise(self.ptr.add(start).cast(), end - start, libc::MADV_WILLNEED) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn flush(&self, offset: usize, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        let end = (offset + len).min(self.len);
        self.map.flush_range(offset, end.saturating_sub(offset))
    }

    fn zero(&self, offset: usize, len: usize) -> io::Result<()> {
        let end = (offset + len).min(self.len);
        if offset >= end {
            return Ok(());
        }
        // The partial first page by hand, whole pages by the file system.
        let head_end = offset.next_multiple_of(OS_PAGE_SIZE).min(end);
        // SAFETY: within the mapping; the caller owns this range.
        unsafe { std::ptr::write_bytes(self.ptr.add(offset), 0, head_end - offset) };
        if head_end >= end {
            return Ok(());
        }
        let rest = end - head_end;
        let zero_range = libc::FALLOC_FL_ZERO_RANGE | libc::FALLOC_FL_KEEP_SIZE;
        let punch = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
        match fallocate(&self.file, zero_range, head_end, rest) {
            Ok(()) => return Ok(()),
            Err(e) if !unsupported(&e) => return Err(e),
            Err(_) => {}
        }
        match fallocate(&self.file, punch, head_end, rest) {
            Ok(()) => {
                // Re-reserve the blocks so later writes cannot hit ENOSPC.
                let _ = fallocate(&self.file, libc::FALLOC_FL_KEEP_SIZE, head_end, rest);
                Ok(())
            }
            Err(e) if !unsupported(&e) => Err(e),
            Err(_) => {
                // SAFETY: within the mapping; the caller owns this range.
                unsafe { std::ptr::write_bytes(self.ptr.add(head_end), 0, rest) };
                Ok(())
            }
        }
    }
}

struct FsLock {
    _file: File,
}

impl StorageIo for FsIo {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntryInfo>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            out.push(DirEntryInfo {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: meta.is_dir(),
                len: meta.len(),
            });
        }
        Ok(out)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(std::fs::metadata(path)?.len())
    }

    fn map_file(
        &self,
        path: &Path,
        size: usize,
        create: bool,
    ) -> io::Result<Box<dyn MappedRegion>> {
        let existed = path.exists();
        if !existed && !create {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} does not exist", path.display()),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)?;
        if !existed {
            let reserve =
                file.set_len(size as u64)
                    .and_then(|()| match fallocate(&file, 0, 0, size) {
                        Err(e) if unsupported(&e) => Ok(()),
                        other => other,
                    });
            if let Err(e) = reserve {
                drop(file);
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
            if let Some(parent) = path.parent() {
                if let Ok(dir) = File::open(parent) {
                    let _ = dir.sync_all();
                }
            }
        } else {
            let len = file.metadata()?.len();
            if len != size as u64 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} has {len} bytes, expected {size}", path.display()),
                ));
            }
        }
        // SAFETY: shared mapping of a file this process owns (store lock);
        // concurrent external modification is outside the contract.
        let mut map = unsafe { memmap2::MmapOptions::new().len(size).map_mut(&file)? };
        let ptr = map.as_mut_ptr();
        Ok(Box::new(FsRegion {
            file,
            map,
            ptr,
            len: size,
        }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    fn modified(&self, path: &Path) -> io::Result<SystemTime> {
        std::fs::metadata(path)?.modified()
    }

    fn create_marker(&self, path: &Path) -> io::Result<()> {
        let file = File::create(path)?;
        file.sync_all()?;
        if let Some(parent) = path.parent() {
            File::open(parent)?.sync_all()?;
        }
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        // Open-file-description lock on byte 0: conflicts with Java's
        // FileChannel.tryLock(0, 1) (a POSIX record lock) in another process
        // and with a second open of the same store in this process.
        // SAFETY: zeroed flock is a valid value; fcntl on an open descriptor.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = 0;
        fl.l_len = 1;
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
        if rc != 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EACCES) => {
                    io::Error::new(io::ErrorKind::WouldBlock, e)
                }
                _ => e,
            });
        }
        file.write_all(b"lock")?;
        Ok(Box::new(FsLock { _file: file }))
    }

    fn disk_usage_ratio(&self, path: &Path) -> io::Result<f64> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: zeroed statvfs is valid; statvfs writes into it.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let total = st.f_blocks as f64;
        if total <= 0.0 {
            return Ok(0.0);
        }
        let free = st.f_bfree as f64;
        Ok(((total - free) / total).clamp(0.0, 1.0))
    }
}

// ---------------------------------------------------------------- SimIo

/// How [`SimIo::crash`] treats bytes that were written but not flushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Everything not flushed is lost.
    LoseUnflushed,
    /// Each dirty 4 KiB page independently: lost, written whole, or written
    /// only up to a random byte (a torn page) — chosen by a seeded RNG.
    Torn {
        /// RNG seed (same seed, same outcome).
        seed: u64,
    },
    /// Everything written reached the disk (a clean power loss after the OS
    /// wrote back its page cache).
    KeepAll,
}

/// One flush seen by [`SimIo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushEvent {
    /// The file.
    pub path: PathBuf,
    /// First byte made durable.
    pub offset: usize,
    /// Bytes made durable.
    pub len: usize,
}

struct SimFile {
    ptr: *mut u8,
    len: usize,
    disk: Mutex<Vec<u8>>,
    modified: Mutex<SystemTime>,
}

// SAFETY: `ptr` owns a heap allocation of `len` bytes; range access is
// synchronised by the store as for a real mapping.
unsafe impl Send for SimFile {}
unsafe impl Sync for SimFile {}

impl SimFile {
    fn new(content: Vec<u8>) -> SimFile {
        let len = content.len();
        let cache = content.clone().into_boxed_slice();
        let ptr = Box::into_raw(cache) as *mut u8;
        SimFile {
            ptr,
            len,
            disk: Mutex::new(content),
            modified: Mutex::new(SystemTime::now()),
        }
    }

    fn cache(&self) -> &[u8] {
        // SAFETY: valid allocation; callers only read while the store is halted.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        // SAFETY: reconstructs the Box leaked in `new`.
        unsafe {
            drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                self.ptr, self.len,
            )));
        }
    }
}

#[derive(Default)]
struct SimState {
    files: BTreeMap<PathBuf, Arc<SimFile>>,
    markers: BTreeSet<PathBuf>,
    dirs: BTreeSet<PathBuf>,
    locks: BTreeSet<PathBuf>,
    usage_ratio: f64,
    capacity: Option<u64>,
    flush_log: Vec<FlushEvent>,
    fail_flush: bool,
}

struct SimShared {
    state: Mutex<SimState>,
    stalled: Mutex<bool>,
    unstall: Condvar,
}

/// In-memory [`StorageIo`] for crash tests (see the module docs).
#[derive(Clone)]
pub struct SimIo {
    shared: Arc<SimShared>,
}

impl std::fmt::Debug for SimIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimIo").finish_non_exhaustive()
    }
}

impl Default for SimIo {
    fn default() -> Self {
        Self::new()
    }
}

struct SimRegion {
    path: PathBuf,
    file: Arc<SimFile>,
    io: SimIo,
}

impl MappedRegion for SimRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.file.ptr
    }

    fn len(&self) -> usize {
        self.file.len
    }

    fn flush(&self, offset: usize, len: usize) -> io::Result<()> {
        {
            let mut stalled = self.io.shared.stalled.lock();
            while *stalled {
                self.io.shared.unstall.wait(&mut stalled);
            }
        }
        if self.io.shared.state.lock().fail_flush {
            return Err(io::Error::other("simulated flush failure"));
        }
        // msync works on whole pages.
        let start = offset - offset % OS_PAGE_SIZE;
        let end = (offset + len)
            .next_multiple_of(OS_PAGE_SIZE)
            .min(self.file.len);
        if start >= end {
            return Ok(());
        }
        {
            let mut disk = self.file.disk.lock();
            // SAFETY: within the allocation; a racing writer only touches
            // bytes past its published position, which a flush does not need.
            let src = unsafe { std::slice::from_raw_parts(self.file.ptr.add(start), end - start) };
            disk[start..end].copy_from_slice(src);
        }
        *self.file.modified.lock() = SystemTime::now();
        self.io.shared.state.lock().flush_log.push(FlushEvent {
            path: self.path.clone(),
            offset: start,
            len: end - start,
        });
        Ok(())
    }

    fn zero(&self, offset: usize, len: usize) -> io::Result<()> {
        let end = (offset + len).min(self.file.len);
        if offset < end {
            // SAFETY: within the allocation; the caller owns this range.
            unsafe { std::ptr::write_bytes(self.file.ptr.add(offset), 0, end - offset) };
        }
        Ok(())
    }
}

struct SimLock {
    io: SimIo,
    path: PathBuf,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.io.shared.state.lock().locks.remove(&self.path);
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} does not exist", path.display()),
    )
}

impl SimIo {
    /// An empty file system (disk usage 0 %, no capacity limit).
    pub fn new() -> Self {
        SimIo {
            shared: Arc::new(SimShared {
                state: Mutex::new(SimState::default()),
                stalled: Mutex::new(false),
                unstall: Condvar::new(),
            }),
        }
    }

    /// The file system a crash would leave behind now: flushed bytes kept,
    /// unflushed bytes treated per `mode`; no locks held. Call it while the
    /// store is idle or halted (`DefaultMessageStore::halt`).
    pub fn crash(&self, mode: CrashMode) -> SimIo {
        let state = self.shared.state.lock();
        let mut rng = match mode {
            CrashMode::Torn { seed } => seed | 1,
            _ => 1,
        };
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut files = BTreeMap::new();
        for (path, file) in &state.files {
            let mut content = file.disk.lock().clone();
            let cache = file.cache();
            match mode {
                CrashMode::LoseUnflushed => {}
                CrashMode::KeepAll => content.copy_from_slice(cache),
                CrashMode::Torn { .. } => {
                    for start in (0..content.len()).step_by(OS_PAGE_SIZE) {
                        let end = (start + OS_PAGE_SIZE).min(content.len());
                        if content[start..end] == cache[start..end] {
                            continue;
                        }
                        match next() % 3 {
                            0 => {}
                            1 => content[start..end].copy_from_slice(&cache[start..end]),
                            _ => {
                                let cut = start + (next() as usize % (end - start));
                                content[start..cut].copy_from_slice(&cache[start..cut]);
                            }
                        }
                    }
                }
            }
            files.insert(path.clone(), Arc::new(SimFile::new(content)));
        }
        let new = SimState {
            files,
            markers: state.markers.clone(),
            dirs: state.dirs.clone(),
            locks: BTreeSet::new(),
            usage_ratio: state.usage_ratio,
            capacity: state.capacity,
            flush_log: Vec::new(),
            fail_flush: false,
        };
        SimIo {
            shared: Arc::new(SimShared {
                state: Mutex::new(new),
                stalled: Mutex::new(false),
                unstall: Condvar::new(),
            }),
        }
    }

    /// What reached "disk" of a file (flushed bytes), if it exists.
    pub fn durable_content(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.shared.state.lock();
        state.files.get(path).map(|f| f.disk.lock().clone())
    }

    /// Every flush so far.
    pub fn flush_log(&self) -> Vec<FlushEvent> {
        self.shared.state.lock().flush_log.clone()
    }

    /// Reports this disk usage (0.0–1.0) to the store.
    pub fn set_disk_usage(&self, ratio: f64) {
        self.shared.state.lock().usage_ratio = ratio;
    }

    /// Limits the total size of all files; creating a file beyond it fails
    /// with ENOSPC. `None` = unlimited.
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.shared.state.lock().capacity = bytes;
    }

    /// While stalled, every flush blocks (simulates a slow disk).
    pub fn stall_flushes(&self, stalled: bool) {
        *self.shared.stalled.lock() = stalled;
        self.shared.unstall.notify_all();
    }

    /// Makes every flush fail.
    pub fn fail_flushes(&self, fail: bool) {
        self.shared.state.lock().fail_flush = fail;
    }

    /// Sets a file's modification time (to age files for deletion tests).
    pub fn set_modified(&self, path: &Path, time: SystemTime) -> io::Result<()> {
        let state = self.shared.state.lock();
        let file = state.files.get(path).ok_or_else(|| not_found(path))?;
        *file.modified.lock() = time;
        Ok(())
    }

    /// Writes a file directly to "disk" (page cache and disk identical), e.g.
    /// to lay out a store by hand.
    pub fn put_file(&self, path: &Path, content: Vec<u8>) {
        let mut state = self.shared.state.lock();
        if let Some(parent) = path.parent() {
            add_dirs(&mut state.dirs, parent);
        }
        state
            .files
            .insert(path.to_path_buf(), Arc::new(SimFile::new(content)));
    }

    /// Paths of all files (mapped files and markers).
    pub fn file_paths(&self) -> Vec<PathBuf> {
        let state = self.shared.state.lock();
        let mut v: Vec<PathBuf> = state.files.keys().cloned().collect();
        v.extend(state.markers.iter().cloned());
        v.sort();
        v
    }
}

fn add_dirs(dirs: &mut BTreeSet<PathBuf>, path: &Path) {
    let mut p = Some(path);
    while let Some(d) = p {
        if d.as_os_str().is_empty() {
            break;
        }
        dirs.insert(d.to_path_buf());
        p = d.parent();
    }
}

impl StorageIo for SimIo {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        add_dirs(&mut self.shared.state.lock().dirs, path);
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<DirEntryInfo>> {
        let state = self.shared.state.lock();
        if !state.dirs.contains(path) {
            return Err(not_found(path));
        }
        let mut out = Vec::new();
        for d in &state.dirs {
            if d.parent() == Some(path) {
                if let Some(name) = d.file_name() {
                    out.push(DirEntryInfo {
                        name: name.to_string_lossy().into_owned(),
                        is_dir: true,
                        len: 0,
                    });
                }
            }
        }
        for (p, f) in &state.files {
            if p.parent() == Some(path) {
                if let Some(name) = p.file_name() {
                    out.push(DirEntryInfo {
                        name: name.to_string_lossy().into_owned(),
                        is_dir: false,
                        len: f.len as u64,
                    });
                }
            }
        }
        for p in &state.markers {
            if p.parent() == Some(path) {
                if let Some(name) = p.file_name() {
                    out.push(DirEntryInfo {
                        name: name.to_string_lossy().into_owned(),
                        is_dir: false,
                        len: 0,
                    });
                }
            }
        }
        Ok(out)
    }

    fn exists(&self, path: &Path) -> bool {
        let state = self.shared.state.lock();
        state.files.contains_key(path) || state.markers.contains(path) || state.dirs.contains(path)
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        let state = self.shared.state.lock();
        if let Some(f) = state.files.get(path) {
            return Ok(f.len as u64);
        }
        if state.markers.contains(path) {
            return Ok(0);
        }
        Err(not_found(path))
    }

    fn map_file(
        &self,
        path: &Path,
        size: usize,
        create: bool,
    ) -> io::Result<Box<dyn MappedRegion>> {
        let mut state = self.shared.state.lock();
        let file = match state.files.get(path) {
            Some(f) => {
                if f.len != size {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} has {} bytes, expected {size}", path.display(), f.len),
                    ));
                }
                f.clone()
            }
            None if !create => return Err(not_found(path)),
            None => {
                if let Some(cap) = state.capacity {
                    let used: u64 = state.files.values().map(|f| f.len as u64).sum();
                    if used + size as u64 > cap {
                        return Err(io::Error::from_raw_os_error(libc::ENOSPC));
                    }
                }
                if let Some(parent) = path.parent() {
                    add_dirs(&mut state.dirs, parent);
                }
                let f = Arc::new(SimFile::new(vec![0u8; size]));
                state.files.insert(path.to_path_buf(), f.clone());
                f
            }
        };
        Ok(Box::new(SimRegion {
            path: path.to_path_buf(),
            file,
            io: self.clone(),
        }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        if state.files.remove(path).is_some() || state.markers.remove(path) {
            Ok(())
        } else {
            Err(not_found(path))
        }
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        state.files.retain(|p, _| !p.starts_with(path));
        state.markers.retain(|p| !p.starts_with(path));
        state.dirs.retain(|p| !p.starts_with(path));
        Ok(())
    }

    fn modified(&self, path: &Path) -> io::Result<SystemTime> {
        let state = self.shared.state.lock();
        let f = state.files.get(path).ok_or_else(|| not_found(path))?;
        let t = *f.modified.lock();
        Ok(t)
    }

    fn create_marker(&self, path: &Path) -> io::Result<()> {
        let mut state = self.shared.state.lock();
        if let Some(parent) = path.parent() {
            add_dirs(&mut state.dirs, parent);
        }
        state.markers.insert(path.to_path_buf());
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let mut state = self.shared.state.lock();
        if !state.locks.insert(path.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked", path.display()),
            ));
        }
        state.markers.insert(path.to_path_buf());
        Ok(Box::new(SimLock {
            io: self.clone(),
            path: path.to_path_buf(),
        }))
    }

    fn disk_usage_ratio(&self, _path: &Path) -> io::Result<f64> {
        Ok(self.shared.state.lock().usage_ratio)
    }
}
