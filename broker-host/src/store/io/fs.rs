//! [`FsIo`]: the real file system behind [`StorageIo`].

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::SystemTime;

use super::{DirEntryInfo, LockGuard, MappedRegion, StorageIo, OS_PAGE_SIZE};

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

    fn boot_id(&self) -> Option<u128> {
        let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let hex: String = text.trim().chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 {
            return None;
        }
        u128::from_str_radix(&hex, 16).ok()
    }
}
