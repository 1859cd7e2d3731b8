//! [`StoreConfig`]: the message-store part of [`BrokerConfig`], with paths
//! resolved and durations as [`Duration`]s.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{BrokerConfig, BrokerRole, FlushDiskType};

/// Size of one consume-queue entry.
pub const CQ_STORE_UNIT_SIZE: usize = 20;

/// Configuration of a [`DefaultMessageStore`](super::DefaultMessageStore).
///
/// Build it with [`StoreConfig::from_broker_config`]; every field is public so
/// tests (and the broker) can adjust it before opening the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `storePathRootDir`.
    pub root_dir: PathBuf,
    /// `storePathCommitLog` (default `<root>/commitlog`).
    pub commit_log_dir: PathBuf,
    /// `mappedFileSizeCommitLog`.
    pub mapped_file_size_commit_log: usize,
    /// `mappedFileSizeConsumeQueue`, rounded up to a multiple of 20.
    pub mapped_file_size_consume_queue: usize,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `brokerRole` (a SLAVE does not correct pull offsets unless `offset_check_in_slave`).
    pub broker_role: BrokerRole,
    /// `offsetCheckInSlave`.
    pub offset_check_in_slave: bool,
    /// `flushIntervalCommitLog`.
    pub flush_interval_commit_log: Duration,
    /// `flushCommitLogTimed`: sleep the interval (true) or wait to be woken by puts.
    pub flush_commit_log_timed: bool,
    /// `flushCommitLogLeastPages`.
    pub flush_commit_log_least_pages: usize,
    /// `flushCommitLogThoroughInterval`.
    pub flush_commit_log_thorough_interval: Duration,
    /// `flushIntervalConsumeQueue`.
    pub flush_interval_consume_queue: Duration,
    /// `flushConsumeQueueLeastPages`.
    pub flush_consume_queue_least_pages: usize,
    /// `flushConsumeQueueThoroughInterval`.
    pub flush_consume_queue_thorough_interval: Duration,
    /// `storeCheckpointInterval` (this implementation's key): how often the
    /// checkpoint is persisted with a recovery point, after flushing what it
    /// covers; bounds what abnormal recovery replays. Zero: only with the
    /// thorough consume-queue flush, as Java.
    pub checkpoint_interval: Duration,
    /// `syncFlushTimeout`.
    pub sync_flush_timeout: Duration,
    /// `maxMessageSize`: body limit.
    pub max_message_size: usize,
    /// `autoMessageVersionOnTopicLen`: V2 records for topics > 127 bytes.
    pub auto_message_version_on_topic_len: bool,
    /// `checkCRCOnRecover`.
    pub check_crc_on_recover: bool,
    /// `messageIndexEnable`.
    pub message_index_enable: bool,
    /// `messageIndexSafe`.
    pub message_index_safe: bool,
    /// `maxHashSlotNum`.
    pub max_hash_slot_num: u32,
    /// `maxIndexNum`.
    pub max_index_num: u32,
    /// `maxMsgsNumBatch`: cap of an index query.
    pub max_msgs_num_batch: usize,
    /// `maxTransferBytesOnMessageInMemory`.
    pub max_transfer_bytes_on_message_in_memory: usize,
    /// `maxTransferCountOnMessageInMemory`.
    pub max_transfer_count_on_message_in_memory: usize,
    /// `maxTransferBytesOnMessageInDisk`.
    pub max_transfer_bytes_on_message_in_disk: usize,
    /// `maxTransferCountOnMessageInDisk`.
    pub max_transfer_count_on_message_in_disk: usize,
    /// `accessMessageInMemoryMaxRatio` (after the SLAVE adjustment), percent.
    pub access_message_in_memory_max_ratio: u32,
    /// Physical memory used for the in-memory estimate; default: the machine's.
    pub total_physical_memory: u64,
    /// `maxFilterMessageSize`: consume-queue bytes scanned per pull.
    pub max_filter_message_size: usize,
    /// `deleteWhen`: hours (local time) at which expired files are deleted.
    pub delete_when: String,
    /// `fileReservedTime` (hours).
    pub file_reserved_time_hours: u32,
    /// `diskMaxUsedSpaceRatio` (percent, clamped 10–95 at use).
    pub disk_max_used_space_ratio: u32,
    /// `diskSpaceWarningLevelRatio` (percent): above it the store refuses writes.
    pub disk_space_warning_level_ratio: u32,
    /// `diskSpaceCleanForciblyRatio` (percent): above it files are deleted regardless of age.
    pub disk_space_clean_forcibly_ratio: u32,
    /// `cleanFileForciblyEnable`.
    pub clean_file_forcibly_enable: bool,
    /// `cleanResourceInterval`.
    pub clean_resource_interval: Duration,
    /// Delay before the first clean round (Java: 60 s).
    pub clean_initial_delay: Duration,
    /// `deleteCommitLogFilesInterval`.
    pub delete_commit_log_files_interval: Duration,
    /// `deleteConsumeQueueFilesInterval`.
    pub delete_consume_queue_files_interval: Duration,
    /// `deleteFileBatchMax`.
    pub delete_file_batch_max: usize,
    /// `osPageCacheBusyTimeOutMills`.
    pub os_page_cache_busy_timeout: Duration,
    /// `messageDelayLevel` in milliseconds, level 1 first.
    pub message_delay_level_millis: Vec<i64>,
    /// `commitLogResidentBytes`: flushed commit-log pages further than this
    /// behind the dispatch position are released from the page cache; 0 = never.
    pub commit_log_resident_bytes: u64,
    /// Store host written into records and message ids: `brokerIP1:listenPort`.
    pub store_host: SocketAddr,
}

impl StoreConfig {
    /// The store part of a broker config (`brokerIP1` that is not an IP
    /// address is resolved; failing that, 127.0.0.1 is used and a warning logged).
    pub fn from_broker_config(c: &BrokerConfig) -> StoreConfig {
        let unit = CQ_STORE_UNIT_SIZE as u64;
        let cq_size = c.mapped_file_size_consume_queue.max(unit).div_ceil(unit) * unit;
        let delay = c
            .message_delay_level_millis()
            .unwrap_or_else(|e| {
                tracing::warn!("messageDelayLevel: {e}; using the default levels");
                vec![
                    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000,
                    360_000, 420_000, 480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000,
                    7_200_000,
                ]
            })
            .into_iter()
            .map(|ms| ms.min(i64::MAX as u64) as i64)
            .collect();
        StoreConfig {
            root_dir: c.store_root_dir(),
            commit_log_dir: c.store_path_commit_log(),
            mapped_file_size_commit_log: c.mapped_file_size_commit_log as usize,
            mapped_file_size_consume_queue: cq_size as usize,
            flush_disk_type: c.flush_disk_type,
            broker_role: c.broker_role,
            offset_check_in_slave: c.offset_check_in_slave,
            flush_interval_commit_log: Duration::from_millis(c.flush_interval_commit_log),
            flush_commit_log_timed: c.flush_commit_log_timed,
            flush_commit_log_least_pages: c.flush_commit_log_least_pages as usize,
            flush_commit_log_thorough_interval: Duration::from_millis(
                c.flush_commit_log_thorough_interval,
            ),
            flush_interval_consume_queue: Duration::from_millis(c.flush_interval_consume_queue),
            flush_consume_queue_least_pages: c.flush_consume_queue_least_pages as usize,
            flush_consume_queue_thorough_interval: Duration::from_millis(
                c.flush_consume_queue_thorough_interval,
            ),
            checkpoint_interval: Duration::from_millis(c.store_checkpoint_interval),
            sync_flush_timeout: Duration::from_millis(c.sync_flush_timeout),
            max_message_size: c.max_message_size,
            auto_message_version_on_topic_len: c.auto_message_version_on_topic_len,
            check_crc_on_recover: c.check_crc_on_recover,
            message_index_enable: c.message_index_enable,
            message_index_safe: c.message_index_safe,
            max_hash_slot_num: c.max_hash_slot_num.max(1),
            max_index_num: c.max_index_num.max(2),
            max_msgs_num_batch: c.max_msgs_num_batch,
            max_transfer_bytes_on_message_in_memory: c.max_transfer_bytes_on_message_in_memory,
            max_transfer_count_on_message_in_memory: c.max_transfer_count_on_message_in_memory,
            max_transfer_bytes_on_message_in_disk: c.max_transfer_bytes_on_message_in_disk,
            max_transfer_count_on_message_in_disk: c.max_transfer_count_on_message_in_disk,
            access_message_in_memory_max_ratio: c.effective_access_message_in_memory_max_ratio(),
            total_physical_memory: total_physical_memory(),
            max_filter_message_size: c.max_filter_message_size,
            delete_when: c.delete_when.clone(),
            file_reserved_time_hours: c.file_reserved_time,
            disk_max_used_space_ratio: c.disk_max_used_space_ratio,
            disk_space_warning_level_ratio: c.disk_space_warning_level_ratio,
            disk_space_clean_forcibly_ratio: c.disk_space_clean_forcibly_ratio,
            clean_file_forcibly_enable: c.clean_file_forcibly_enable,
            clean_resource_interval: Duration::from_millis(c.clean_resource_interval),
            clean_initial_delay: Duration::from_secs(60),
            delete_commit_log_files_interval: Duration::from_millis(
                c.delete_commit_log_files_interval,
            ),
            delete_consume_queue_files_interval: Duration::from_millis(
                c.delete_consume_queue_files_interval,
            ),
            delete_file_batch_max: c.delete_file_batch_max as usize,
            os_page_cache_busy_timeout: Duration::from_millis(c.os_page_cache_busy_time_out_mills),
            message_delay_level_millis: delay,
            commit_log_resident_bytes: c.commit_log_resident_bytes,
            store_host: resolve_store_host(&c.broker_ip1, c.listen_port),
        }
    }

    /// `<root>/consumequeue`.
    pub fn consume_queue_dir(&self) -> PathBuf {
        self.root_dir.join("consumequeue")
    }

    /// `<root>/index`.
    pub fn index_dir(&self) -> PathBuf {
        self.root_dir.join("index")
    }

    /// `<root>/checkpoint`.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.root_dir.join("checkpoint")
    }

    /// `<root>/abort`.
    pub fn abort_path(&self) -> PathBuf {
        self.root_dir.join("abort")
    }

    /// `<root>/lock`.
    pub fn lock_path(&self) -> PathBuf {
        self.root_dir.join("lock")
    }

    /// `<root>/consumequeue/<topic>/<queueId>`.
    pub fn consume_queue_path(&self, topic: &str, queue_id: i32) -> PathBuf {
        self.consume_queue_dir()
            .join(topic)
            .join(queue_id.to_string())
    }

    /// Index file size: `40 + maxHashSlotNum×4 + maxIndexNum×20`.
    pub fn index_file_size(&self) -> usize {
        40 + self.max_hash_slot_num as usize * 4 + self.max_index_num as usize * 20
    }

    /// Whether this store is a SYNC_FLUSH store.
    pub fn is_sync_flush(&self) -> bool {
        self.flush_disk_type == FlushDiskType::SyncFlush
    }

    /// Highest delay level.
    pub fn max_delay_level(&self) -> i32 {
        self.message_delay_level_millis.len() as i32
    }
}

fn resolve_store_host(ip: &str, port: u16) -> SocketAddr {
    if let Ok(addr) = ip.trim().parse::<IpAddr>() {
        return SocketAddr::new(addr, port);
    }
    match (ip.trim(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    {
        Some(addr) => addr,
        None => {
            tracing::warn!(
                "brokerIP1 {ip:?} is not an address; the store host is 127.0.0.1:{port}"
            );
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
        }
    }
}

/// Physical memory of the machine (bytes); 8 GiB if unknown.
pub fn total_physical_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && page > 0 {
        pages as u64 * page as u64
    } else {
        8 << 30
    }
}
