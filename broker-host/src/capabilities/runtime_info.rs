//! GET_BROKER_RUNTIME_INFO's host figures: Java's
//! `BrokerController`/`DefaultMessageStore.getRuntimeInfo` table.

use std::sync::Arc;

use crate::config::BrokerConfig;
use crate::metadata::MetadataStore;
use crate::store::stats::java_double;
use crate::store::DefaultMessageStore;

/// `MixAll.humanReadableByteCount(bytes, false)`.
fn human_readable_bytes(bytes: i64) -> String {
    const UNIT: f64 = 1024.0;
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let exp = ((bytes as f64).ln() / UNIT.ln()) as i32;
    let prefix = "KMGTPE".chars().nth((exp - 1) as usize).unwrap_or('E');
    format!("{:.1} {prefix}iB", bytes as f64 / UNIT.powi(exp))
}

/// Java's `File.getTotalSpace`, `getFreeSpace` and `getUsableSpace`.
struct DiskSpace {
    total: u64,
    free: u64,
    usable: u64,
}

/// Total, free and usable bytes of the file system holding `path`.
fn disk_space(path: &std::path::Path) -> Option<DiskSpace> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a valid
    // out-pointer for the duration of the call.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return None;
    }
    let block = stat.f_frsize as u64;
    Some(DiskSpace {
        total: stat.f_blocks as u64 * block,
        free: stat.f_bfree as u64 * block,
        usable: stat.f_bavail as u64 * block,
    })
}

/// The host's part of GET_BROKER_RUNTIME_INFO: Java's
/// `messageStore.getRuntimeInfo()` (`StoreStatsService` counters and TPS,
/// disk ratios, commit-log offsets), `ScheduleMessageService.buildRunningStats`,
/// the `BrokerStats` daily totals and the store and pool figures of
/// `prepareRuntimeInfo`. Figures this broker does not have read as an idle
/// Java broker's: no page-cache lock wait, no transient store pool, empty
/// pool queues (this broker's pools are not Java's executors).
pub(super) fn runtime_info(
    boot_timestamp: i64,
    config: &BrokerConfig,
    metadata: &MetadataStore,
    store: Option<&Arc<DefaultMessageStore>>,
) -> Vec<(String, String)> {
    let now = crate::clock::now_millis();
    let up = ((now - boot_timestamp).max(0) / 1000) as u64;
    let mut info = vec![
        ("bootTimestamp".to_owned(), boot_timestamp.to_string()),
        (
            "runtime".to_owned(),
            format!(
                "[ {} days, {} hours, {} minutes, {} seconds ]",
                up / 86_400,
                up % 86_400 / 3600,
                up % 3600 / 60,
                up % 60
            ),
        ),
    ];
    if let Some(store) = store {
        info.extend(store.stats_runtime_info());
        info.push((
            "earliestMessageTimeStamp".to_owned(),
            store.earliest_message_time_overall().to_string(),
        ));
        // `buildRunningStats`: "delayOffset,maxOffset" per level in the table.
        for (level, offset) in metadata.delay_offsets().offset_table() {
            let max = store.max_offset_in_queue(plugin_api::topics::SCHEDULE_TOPIC, level - 1);
            info.push((
                format!("scheduleMessageOffset_{level}"),
                format!("{offset},{max}"),
            ));
        }
        let (min, max, flushed) = (
            store.min_phy_offset(),
            store.max_phy_offset(),
            store.flushed_phy_offset(),
        );
        info.push(("commitLogMinOffset".to_owned(), min.to_string()));
        info.push(("commitLogMaxOffset".to_owned(), max.to_string()));
        info.push((
            "dispatchBehindBytes".to_owned(),
            store.dispatch_behind_bytes().to_string(),
        ));
        info.push((
            "remainHowManyDataToFlush".to_owned(),
            human_readable_bytes((max - flushed).max(0)),
        ));
    }
    let root = config.store_root_dir();
    if let Some(space) = disk_space(&root) {
        info.push((
            "commitLogDirCapacity".to_owned(),
            format!(
                "Total : {}, Free : {}.",
                human_readable_bytes(space.total as i64),
                human_readable_bytes(space.free as i64)
            ),
        ));
    }
    // `DefaultMessageStore.getRuntimeInfo`: per commit-log path and the
    // smallest; the consume queues' partition.
    let commit_log = config.store_path_commit_log();
    let commit_log = commit_log.to_string_lossy();
    let mut min_ratio = f64::MAX;
    for path in commit_log.trim().split(',') {
        let ratio = disk_used_ratio(std::path::Path::new(path));
        info.push((format!("commitLogDiskRatio_{path}"), java_double(ratio)));
        min_ratio = min_ratio.min(ratio);
    }
    info.push(("commitLogDiskRatio".to_owned(), java_double(min_ratio)));
    info.push((
        "consumeQueueDiskRatio".to_owned(),
        java_double(disk_used_ratio(&root.join("consumequeue"))),
    ));
    info.push(("pageCacheLockTimeMills".to_owned(), "0".to_owned()));
    info.push((
        "remainTransientStoreBufferNumbs".to_owned(),
        i32::MAX.to_string(),
    ));
    for (pool, capacity) in [
        ("send", config.send_thread_pool_queue_capacity),
        ("pull", config.pull_thread_pool_queue_capacity),
        ("litePull", config.lite_pull_thread_pool_queue_capacity),
        ("query", config.query_thread_pool_queue_capacity),
        ("ack", config.ack_thread_pool_queue_capacity),
    ] {
        info.push((format!("{pool}ThreadPoolQueueSize"), "0".to_owned()));
        info.push((
            format!("{pool}ThreadPoolQueueCapacity"),
            capacity.to_string(),
        ));
        info.push((
            format!("{pool}ThreadPoolQueueHeadWaitTimeMills"),
            "0".to_owned(),
        ));
    }
    info.push(("EndTransactionQueueSize".to_owned(), "0".to_owned()));
    info.push((
        "EndTransactionThreadPoolQueueCapacity".to_owned(),
        config.end_transaction_pool_queue_capacity.to_string(),
    ));
    info
}

/// `UtilAll.getDiskPartitionSpaceUsedPercent`: used / (used + usable),
/// rounded up to a hundredth; -1 for a missing path.
fn disk_used_ratio(path: &std::path::Path) -> f64 {
    if !path.exists() {
        return -1.0;
    }
    let Some(space) = disk_space(path) else {
        return -1.0;
    };
    if space.total == 0 {
        return -1.0;
    }
    let used = space.total - space.free;
    let entire = used + space.usable;
    if entire == 0 {
        return -1.0;
    }
    let round = u64::from((used * 100) % entire != 0);
    ((used * 100) / entire + round) as f64 / 100.0
}

#[cfg(test)]
mod admin_tests {
    use super::human_readable_bytes;

    #[test]
    fn byte_counts_read_like_java() {
        assert_eq!(human_readable_bytes(0), "0 B");
        assert_eq!(human_readable_bytes(1023), "1023 B");
        assert_eq!(human_readable_bytes(1536), "1.5 KiB");
        assert_eq!(human_readable_bytes(1 << 30), "1.0 GiB");
    }
}
