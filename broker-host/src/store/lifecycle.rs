//! Open, start, shutdown and halt: the store's threads and the `abort`
//! and `lock` files (Java's `DefaultMessageStore.load`, `start`,
//! `shutdown`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::{
    clean, flush, prefault, recovery, reput, stats, DefaultMessageStore, FsIo, StorageIo,
    StoreConfig, StoreError, StoreInner,
};

impl StoreInner {
    pub(super) fn sleep_or_stop(&self, dur: std::time::Duration) -> bool {
        let mut g = self.signal.lock();
        if self.stop.load(Ordering::Acquire) {
            return true;
        }
        self.stop_cv.wait_for(&mut g, dur);
        self.stop.load(Ordering::Acquire)
    }
}

impl DefaultMessageStore {
    /// Opens the store on the real file system: takes the lock, detects an
    /// abnormal exit (`abort`), loads commit log, consume queues, checkpoint
    /// and index, recovers (Java's `recover`), dispatches whatever the consume queues
    /// miss and rebuilds the queue-offset table. Fails on a wrong-size file
    /// or a held lock.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StoreError> {
        Self::open_with_io(config, Arc::new(FsIo))
    }

    /// [`DefaultMessageStore::open`] over any [`StorageIo`] (crash tests use [`SimIo`](super::SimIo)).
    pub fn open_with_io(
        config: StoreConfig,
        io: Arc<dyn StorageIo>,
    ) -> Result<Arc<Self>, StoreError> {
        let inner = recovery::open_inner(config, io)?;
        Ok(Arc::new(DefaultMessageStore {
            inner: Arc::new(inner),
            threads: Mutex::new(Vec::new()),
            started: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// What recovery did when this store was opened.
    pub fn recovery_report(&self) -> super::RecoveryReport {
        self.inner.recovery_report.lock().clone()
    }

    /// Starts the threads (reput, commit-log flush or group commit,
    /// consume-queue flush, clean) and creates the `abort` file. A second
    /// call does nothing.
    pub fn start(&self) -> Result<(), StoreError> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(StoreError::ShutDown);
        }
        if self.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let mut threads = self.threads.lock();
        let spawn =
            |name: &'static str, f: fn(&StoreInner)| -> Result<JoinHandle<()>, StoreError> {
                let inner = self.inner.clone();
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || f(&inner))
                    .map_err(|source| StoreError::Thread { name, source })
            };
        threads.push(spawn("store-reput", reput::reput_loop)?);
        if self.inner.config.is_sync_flush() {
            threads.push(spawn("store-group-commit", flush::group_commit_loop)?);
            threads.push(spawn("store-flush-timeout", flush::flush_timeout_loop)?);
            self.inner.flusher_running.store(true, Ordering::Release);
        } else {
            threads.push(spawn(
                "store-flush-commitlog",
                flush::flush_commit_log_loop,
            )?);
        }
        threads.push(spawn("store-flush-cq", flush::flush_consume_queue_loop)?);
        threads.push(spawn("store-prefault", prefault::prefault_loop)?);
        threads.push(spawn("store-clean", clean::clean_loop)?);
        threads.push(spawn("store-stats", stats::stats_loop)?);
        let abort = self.inner.config.abort_path();
        self.inner
            .io
            .create_marker(&abort)
            .map_err(|e| StoreError::io("create", &abort, e))?;
        Ok(())
    }

    fn stop_threads(&self) {
        self.inner.stop.store(true, Ordering::Release);
        self.inner.flusher_running.store(false, Ordering::Release);
        {
            let _g = self.inner.signal.lock();
            self.inner.stop_cv.notify_all();
            self.inner.flush_cv.notify_all();
        }
        self.inner.reput.wake_now();
        self.inner.prefault.wake();
        self.inner.group_commit.stop();
        let threads = std::mem::take(&mut *self.threads.lock());
        for t in threads {
            if t.join().is_err() {
                tracing::error!("a store thread panicked");
            }
        }
    }

    /// Stops the threads, flushes commit log, consume queues, index and
    /// checkpoint, deletes `abort` if the store is writeable and fully
    /// dispatched, and releases the lock. Idempotent.
    pub fn shutdown(&self) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = &self.inner;
        inner.shutdown.store(true, Ordering::Release);
        self.stop_threads();
        inner.final_flush();
        let clean = !inner.disk_full.load(Ordering::Acquire)
            && !inner.write_error.load(Ordering::Acquire)
            && inner.dispatch_behind_bytes() == 0;
        let abort = inner.config.abort_path();
        if clean && inner.io.exists(&abort) {
            if let Err(e) = inner.io.remove_file(&abort) {
                tracing::error!("cannot delete {}: {e}", abort.display());
            }
        } else if !clean {
            tracing::warn!("store not shut down cleanly: keeping {}", abort.display());
        }
        inner.lock_guard.lock().take();
        tracing::info!("message store shut down");
    }

    /// Stops the threads **without** any final flush, checkpoint or `abort`
    /// removal — what a killed process leaves behind (then take a
    /// [`SimIo::crash`](super::SimIo::crash) snapshot). Releases the lock. Further puts fail.
    pub fn halt(&self) {
        if self.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.shutdown.store(true, Ordering::Release);
        self.stop_threads();
        self.inner.lock_guard.lock().take();
    }
}

impl Drop for DefaultMessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
