//! [`SimIo`]: an in-memory [`StorageIo`] for crash tests, with simulated
//! faults (lost or torn unflushed pages, stalled or failing flushes, a full
//! disk).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::{Condvar, Mutex};

use super::{DirEntryInfo, LockGuard, MappedRegion, StorageIo, OS_PAGE_SIZE};

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
    /// The process was killed, the machine kept running: the page cache
    /// survives (every byte written is readable, unflushed bytes stay
    /// unflushed and a later crash may still lose them) and the boot id is
    /// the same. Every other mode is a machine restart with a new boot id.
    ProcessKill,
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
        Self::with_cache(content.clone(), content)
    }

    /// A file whose page cache (`cache`) differs from its disk content.
    fn with_cache(cache: Vec<u8>, disk: Vec<u8>) -> SimFile {
        let len = cache.len();
        let ptr = Box::into_raw(cache.into_boxed_slice()) as *mut u8;
        SimFile {
            ptr,
            len,
            disk: Mutex::new(disk),
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
    /// What [`StorageIo::boot_id`] answers: kept by a process kill, new
    /// after any other crash.
    boot_id: u128,
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
                boot_id: next_boot_id(),
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
                CrashMode::ProcessKill => {
                    let survivor = SimFile::with_cache(cache.to_vec(), content);
                    *survivor.modified.lock() = *file.modified.lock();
                    files.insert(path.clone(), Arc::new(survivor));
                    continue;
                }
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
        let boot_id = if mode == CrashMode::ProcessKill {
            self.shared.boot_id
        } else {
            next_boot_id()
        };
        SimIo {
            shared: Arc::new(SimShared {
                state: Mutex::new(new),
                boot_id,
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

/// A boot id no other [`SimIo`] "machine" of this process has.
fn next_boot_id() -> u128 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    u128::from(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) | (0x5133 << 64)
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

    fn boot_id(&self) -> Option<u128> {
        Some(self.shared.boot_id)
    }
}
