//! `commitLogResidentBytes`: commit-log pages that are flushed, dispatched
//! and further back than the window leave the page cache; their messages
//! still read back whole (from disk).

mod store_support;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use broker_host::store::{DefaultMessageStore, FsIo, PutMessageStatus};
use store_support::*;

/// Share of `path`'s pages that are in the page cache (mincore).
fn resident_share(path: &Path) -> f64 {
    let file = File::open(path).expect("open commit-log file");
    // SAFETY: a read-only view of a file the store no longer writes to (the
    // bytes are never read through it: mincore only looks at the cache).
    let map = unsafe { memmap2::Mmap::map(&file) }.expect("map commit-log file");
    let pages = map.len().div_ceil(4096);
    let mut flags = vec![0u8; pages];
    // SAFETY: `flags` has one byte per page of the mapping.
    let rc = unsafe { libc::mincore(map.as_ptr() as *mut _, map.len(), flags.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    flags.iter().filter(|f| *f & 1 == 1).count() as f64 / pages as f64
}

/// tmpfs keeps files only in the page cache: nothing can be released there.
fn on_tmpfs(path: &Path) -> bool {
    let c_path = std::ffi::CString::new(path.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: statfs writes into the zeroed struct we pass.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c_path.as_ptr(), &mut stat) };
    rc == 0 && stat.f_type == libc::TMPFS_MAGIC
}

#[test]
fn pages_behind_the_window_leave_the_page_cache_and_still_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.mapped_file_size_commit_log = 4 << 20;
    cfg.commit_log_resident_bytes = 1 << 20;
    let store = DefaultMessageStore::open_with_io(cfg, Arc::new(FsIo)).expect("open store");
    store.start().expect("start store");

    // ~13 MiB of records over 4 MiB files: the first file ends far more
    // than the 1 MiB window behind the end.
    let messages = 12_000;
    let p = props(Some("TagA"), None, None);
    for i in 0..messages {
        let b = body(i, 1000);
        let r = store.put_message(&msg("Resident", (i % 2) as i32, &b, &p));
        assert_eq!(r.status, PutMessageStatus::PutOk, "put {i}");
    }
    store.wait_dispatched().expect("dispatch");
    store.flush_all().expect("flush");
    assert!(store.max_phy_offset() > 12 << 20);

    let first = dir.path().join("commitlog").join("00000000000000000000");
    if !on_tmpfs(dir.path()) {
        let share = resident_share(&first);
        assert!(
            share < 0.05,
            "{:.1}% of the first commit-log file is still cached",
            share * 100.0
        );
    }

    // Every message is still there, byte for byte.
    for queue in 0..2 {
        let records = read_all(&store, "Resident", queue, 0);
        assert_eq!(records.len(), messages / 2, "queue {queue}");
        for (n, record) in records.iter().enumerate() {
            let i = n * 2 + queue as usize;
            assert_eq!(record.body, body(i, 1000), "message {i}");
            assert_eq!(record.header.queue_offset, n as i64);
        }
    }
    store.shutdown();
}
