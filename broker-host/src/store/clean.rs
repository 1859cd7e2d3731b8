//! File deletion and the disk check (Java's `DefaultMessageStore.CleanCommitLogService`,
//! `CleanConsumeQueueService`).

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::index::local_hour;
use super::{DefaultMessageStore, StoreInner};
use crate::clock::now_millis;

/// What one clean round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanReport {
    /// Used fraction of the commit-log partition (negative if unknown).
    pub commit_log_disk_ratio: f64,
    /// Used fraction of the consume-queue partition (negative if unknown).
    pub consume_queue_disk_ratio: f64,
    /// Whether deletion was due (hour, disk usage or manual trigger).
    pub deletion_due: bool,
    /// Whether files were deleted regardless of age.
    pub cleaned_forcibly: bool,
    /// Commit-log files deleted.
    pub commit_log_files_deleted: usize,
    /// Consume-queue files deleted.
    pub consume_queue_files_deleted: usize,
    /// Index files deleted.
    pub index_files_deleted: usize,
    /// Whether the store is now marked disk-full (not writeable).
    pub disk_full: bool,
}

/// Whether the local hour of `now_ms` is one of `when` (`"04"`, `"04;16"`;
/// `UtilAll.isItTimeToDo`).
pub fn is_time_to_delete(when: &str, now_ms: i64) -> bool {
    let hour = local_hour(now_ms);
    when.split(';')
        .filter_map(|h| h.trim().parse::<i32>().ok())
        .any(|h| h == hour)
}

impl StoreInner {
    fn ratio(&self, path: &std::path::Path) -> f64 {
        let p = if self.io.exists(path) {
            path
        } else {
            &self.config.root_dir
        };
        match self.io.disk_usage_ratio(p) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("disk usage of {}: {e}", p.display());
                -1.0
            }
        }
    }

    /// One round: disk check, commit-log deletion when due, then
    /// consume-queue and index cleanup up to the commit-log min offset.
    pub(crate) fn clean_once(&self) -> CleanReport {
        let cfg = &self.config;
        let mut report = CleanReport::default();
        let warning = cfg.disk_space_warning_level_ratio as f64 / 100.0;
        let forcibly = cfg.disk_space_clean_forcibly_ratio as f64 / 100.0;
        let max_used = cfg.disk_max_used_space_ratio.clamp(10, 95) as f64 / 100.0;

        let mut clean_immediately = false;
        let mut space_to_delete = false;
        let mut full = false;
        let mut all_ok = true;
        let cl_ratio = self.ratio(&cfg.commit_log_dir);
        let cq_ratio = self.ratio(&cfg.consume_queue_dir());
        report.commit_log_disk_ratio = cl_ratio;
        report.consume_queue_disk_ratio = cq_ratio;
        for (what, r) in [("commit log", cl_ratio), ("consume queue", cq_ratio)] {
            if r > warning {
                full = true;
                all_ok = false;
                clean_immediately = true;
                tracing::error!(
                    "{what} disk usage {:.1}% is above the warning level: refusing writes",
                    r * 100.0
                );
            } else if r > forcibly {
                all_ok = false;
                clean_immediately = true;
                tracing::warn!(
                    "{what} disk usage {:.1}%: cleaning files forcibly",
                    r * 100.0
                );
            }
            if r < 0.0 || r > max_used {
                space_to_delete = true;
            }
        }
        if full {
            self.disk_full.store(true, Ordering::Release);
        } else if all_ok && self.disk_full.swap(false, Ordering::AcqRel) {
            tracing::info!("disk space is back below the limits: writes accepted again");
        }
        report.disk_full = self.disk_full.load(Ordering::Acquire);

        let now = now_millis();
        let time_up = is_time_to_delete(&cfg.delete_when, now);
        let manual = self
            .manual_delete_runs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n > 0).then(|| n - 1)
            })
            .is_ok();
        report.deletion_due = time_up || space_to_delete || manual;
        if report.deletion_due {
            let at_once = cfg.clean_file_forcibly_enable && clean_immediately;
            report.cleaned_forcibly = at_once;
            let reserved = Duration::from_secs(cfg.file_reserved_time_hours as u64 * 3600);
            match self.commit_log.files().delete_expired_by_time(
                reserved,
                cfg.delete_commit_log_files_interval,
                at_once,
                cfg.delete_file_batch_max,
                SystemTime::now(),
                self.reput.reput_from(),
            ) {
                Ok(n) => report.commit_log_files_deleted = n,
                Err(e) => tracing::error!("deleting expired commit-log files: {e}"),
            }
        }

        let min = self.commit_log.min_offset();
        if min > self.last_clean_min_phy.load(Ordering::Acquire) {
            for cq in self.all_cqs() {
                match cq.delete_expired(min) {
                    Ok(n) => {
                        report.consume_queue_files_deleted += n;
                        if n > 0 && !cfg.delete_consume_queue_files_interval.is_zero() {
                            std::thread::sleep(cfg.delete_consume_queue_files_interval);
                        }
                    }
                    Err(e) => tracing::error!("deleting consume-queue files: {e}"),
                }
            }
            if let Some(index) = &self.index {
                match index.delete_expired(min) {
                    Ok(n) => report.index_files_deleted = n,
                    Err(e) => tracing::error!("deleting index files: {e}"),
                }
            }
            self.last_clean_min_phy.store(min, Ordering::Release);
        }
        report
    }
}

/// Body of `store-clean`: first round after `clean_initial_delay`, then every
/// `cleanResourceInterval`.
pub(crate) fn clean_loop(inner: &StoreInner) {
    if inner.sleep_or_stop(inner.config.clean_initial_delay) {
        return;
    }
    loop {
        inner.clean_once();
        if inner.sleep_or_stop(inner.config.clean_resource_interval) {
            return;
        }
    }
}

impl DefaultMessageStore {
    /// Runs one round of the clean service now (deletion and disk check);
    /// what the `store-clean` thread does every `cleanResourceInterval`.
    pub fn clean_now(&self) -> CleanReport {
        self.inner.clean_once()
    }

    /// `TRIGGER_DELETE_FILES`: the next 20 clean rounds delete expired files
    /// whatever the hour.
    pub fn trigger_delete_files(&self) {
        self.inner.manual_delete_runs.store(20, Ordering::Release);
    }
}
