//! Load and recovery (Java's `DefaultMessageStore.load` / `recover`): lock, `abort` detection, loading every file,
//! consume-queue recovery, normal or abnormal commit-log recovery,
//! truncation, dispatch catch-up and the queue-offset table.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};
use plugin_api::message::record::{parse_record, pos, read_i32, read_i64, RecordParse, RecordView};

use super::checkpoint::{Checkpoint, DispatchMark, RecoveryPoint};
use super::commit_log::{CommitLog, QueueOffsetTable};
use super::consume_queue::ConsumeQueue;
use super::index::IndexService;
use super::mapped_file::MappedFile;
use super::reput::{CqCache, DispatchMode, LastRecord, ReputState};
use super::CqTable;
use super::{StorageIo, StoreConfig, StoreError, StoreInner};

/// Where a commit-log walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkEnd {
    /// End of the last valid record (the truncation point).
    pub process_offset: i64,
    /// Store timestamp of the last valid record (0 if none).
    pub last_store_timestamp: i64,
    /// Valid records walked.
    pub records: u64,
    /// Whether the walk ended on a blank record in the last file (the file
    /// is full; the blank is not part of the truncation point).
    pub ended_at_blank: bool,
    /// The last valid record.
    pub(crate) last: Option<LastRecord>,
}

/// What the last open's recovery did: counts, not times, so a test can
/// tell how much of the store was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The last run did not end cleanly (`abort` was there).
    pub abnormal: bool,
    /// Abnormal recovery started at the checkpoint's recovery point rather
    /// than at a commit-log file picked by timestamp.
    pub from_recovery_point: bool,
    /// Commit-log offset where the recovery walk started.
    pub walk_from: i64,
    /// Records the walk validated (and, abnormal, dispatched again).
    pub records_walked: u64,
    /// Records read before the walk to rebuild index entries of index
    /// files that were dropped.
    pub index_records_walked: u64,
    /// Where the commit log ends after recovery.
    pub recovered_to: i64,
}

/// Walks the commit-log files from the start of file `start`, validating
/// each record (`CommitLog.checkMessageAndReturnSize`, body CRC when
/// `check_crc`) and calling `visit` for each valid one; a blank record
/// moves to the next file, an invalid one (or reaching `stop_at`) stops the
/// walk.
pub(crate) fn walk_commit_log(
    files: &[Arc<MappedFile>],
    start: usize,
    check_crc: bool,
    stop_at: Option<i64>,
    visit: impl FnMut(&RecordView<'_>) -> Result<(), StoreError>,
) -> Result<WalkEnd, StoreError> {
    walk_commit_log_from(files, start, 0, check_crc, stop_at, visit)
}

/// [`walk_commit_log`] starting at byte `start_pos` of file `start` (a
/// record boundary).
pub(crate) fn walk_commit_log_from(
    files: &[Arc<MappedFile>],
    start: usize,
    start_pos: usize,
    check_crc: bool,
    stop_at: Option<i64>,
    mut visit: impl FnMut(&RecordView<'_>) -> Result<(), StoreError>,
) -> Result<WalkEnd, StoreError> {
    let mut end = WalkEnd {
        process_offset: files
            .get(start)
            .map(|f| f.from() + start_pos as i64)
            .unwrap_or(0),
        last_store_timestamp: 0,
        records: 0,
        ended_at_blank: false,
        last: None,
    };
    let mut index = start;
    let mut first_pos = start_pos;
    while let Some(file) = files.get(index) {
        let data = file.all();
        let mut pos = std::mem::take(&mut first_pos).min(data.len());
        let mut next_file = false;
        loop {
            let offset = file.from() + pos as i64;
            if stop_at.is_some_and(|s| offset >= s) {
                end.process_offset = offset;
                return Ok(end);
            }
            match parse_record(&data[pos..]) {
                RecordParse::Message(view) => {
                    if check_crc && !view.crc_matches() {
                        tracing::warn!("recovery: body CRC mismatch at {offset}; truncating here");
                        break;
                    }
                    if view.header.physical_offset != offset {
                        tracing::warn!(
                            "recovery: record at {offset} claims offset {}; truncating here",
                            view.header.physical_offset
                        );
                        break;
                    }
                    visit(&view)?;
                    end.last_store_timestamp = view.header.store_timestamp;
                    end.last = Some((&view.header).into());
                    end.records += 1;
                    pos += view.size();
                }
                RecordParse::EndOfFile { .. } => {
                    next_file = true;
                    break;
                }
                RecordParse::Invalid(reason) => {
                    if pos < data.len() && data[pos..].iter().take(8).any(|b| *b != 0) {
                        tracing::warn!("recovery: {reason} at {offset}; truncating here");
                    }
                    break;
                }
            }
        }
        end.process_offset = file.from() + pos as i64;
        end.ended_at_blank = next_file;
        if next_file && index + 1 < files.len() {
            index += 1;
            continue;
        }
        break;
    }
    Ok(end)
}

/// Where the recovery point's last record is (file index, position), if
/// the commit log still holds exactly that record there: size, offset,
/// store time and body CRC as marked. Anything else means the checkpoint
/// does not describe these files (restored, truncated, or written by
/// another broker since), and recovery falls back to Java's rule.
fn locate_recovery_point(files: &[Arc<MappedFile>], mark: &DispatchMark) -> Option<(usize, usize)> {
    let index = files
        .iter()
        .position(|f| f.from() <= mark.last_offset && mark.last_offset < f.end())?;
    let file = &files[index];
    let pos = usize::try_from(mark.last_offset - file.from()).ok()?;
    let size = usize::try_from(mark.last_size).ok()?;
    if mark.next_offset < mark.last_offset + mark.last_size as i64 {
        return None;
    }
    match parse_record(file.slice(pos, size)?) {
        RecordParse::Message(view)
            if view.size() == size
                && view.header.physical_offset == mark.last_offset
                && view.header.store_timestamp == mark.last_store_timestamp
                && view.crc_matches() =>
        {
            Some((index, pos))
        }
        _ => None,
    }
}

fn load_consume_queues(cfg: &StoreConfig, io: &Arc<dyn StorageIo>) -> Result<CqTable, StoreError> {
    let dir = cfg.consume_queue_dir();
    let mut table = CqTable::default();
    let topics = match io.list_dir(&dir) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(table),
        Err(e) => return Err(StoreError::io("list", &dir, e)),
    };
    for topic in topics.into_iter().filter(|e| e.is_dir) {
        let topic_dir = dir.join(&topic.name);
        let queues = io
            .list_dir(&topic_dir)
            .map_err(|e| StoreError::io("list", &topic_dir, e))?;
        for q in queues.into_iter().filter(|e| e.is_dir) {
            let Ok(queue_id) = q.name.parse::<i32>() else {
                tracing::warn!(
                    "ignoring {}: not a queue id",
                    topic_dir.join(&q.name).display()
                );
                continue;
            };
            let cq = ConsumeQueue::new(
                io.clone(),
                topic_dir.join(&q.name),
                &topic.name,
                queue_id,
                cfg.mapped_file_size_consume_queue,
            );
            cq.load()?;
            table
                .entry(topic.name.clone())
                .or_default()
                .insert(queue_id, Arc::new(cq));
        }
    }
    Ok(table)
}

fn validate(cfg: &StoreConfig) -> Result<(), StoreError> {
    let min_cl = 64 * 1024;
    if cfg.mapped_file_size_commit_log < min_cl {
        return Err(StoreError::Config(format!(
            "mappedFileSizeCommitLog {} is below {min_cl}",
            cfg.mapped_file_size_commit_log
        )));
    }
    if cfg.mapped_file_size_consume_queue < 20
        || !cfg.mapped_file_size_consume_queue.is_multiple_of(20)
    {
        return Err(StoreError::Config(format!(
            "mappedFileSizeConsumeQueue {} must be a positive multiple of 20",
            cfg.mapped_file_size_consume_queue
        )));
    }
    if cfg.mapped_file_size_commit_log > i32::MAX as usize {
        return Err(StoreError::Config(
            "mappedFileSizeCommitLog must be below 2 GiB (blank records hold an i32 size)".into(),
        ));
    }
    Ok(())
}

/// Opens the store (everything `DefaultMessageStore::open` documents).
pub(crate) fn open_inner(
    config: StoreConfig,
    io: Arc<dyn StorageIo>,
) -> Result<StoreInner, StoreError> {
    validate(&config)?;
    for dir in [
        config.root_dir.clone(),
        config.commit_log_dir.clone(),
        config.consume_queue_dir(),
    ] {
        io.create_dir_all(&dir)
            .map_err(|e| StoreError::io("create directory", &dir, e))?;
    }
    let lock_path = config.lock_path();
    let guard = io.lock(&lock_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            StoreError::LockHeld {
                path: lock_path.clone(),
            }
        } else {
            StoreError::io("lock", &lock_path, e)
        }
    })?;
    let last_exit_ok = !io.exists(&config.abort_path());
    tracing::info!(
        "opening message store at {} ({} exit)",
        config.root_dir.display(),
        if last_exit_ok { "normal" } else { "abnormal" }
    );

    let commit_log = CommitLog::new(
        io.clone(),
        config.commit_log_dir.clone(),
        config.mapped_file_size_commit_log,
    );
    commit_log.files().load()?;
    let consume_queues = load_consume_queues(&config, &io)?;
    let checkpoint = Arc::new(Checkpoint::open(io.as_ref(), &config.checkpoint_path())?);
    let boot_id = io.boot_id();
    let point: Option<(RecoveryPoint, (usize, usize))> = if last_exit_ok {
        None
    } else {
        checkpoint.recovery_point().and_then(|p| {
            let found = locate_recovery_point(&commit_log.files().files(), &p.mark);
            if found.is_none() {
                tracing::warn!(
                    "the checkpoint's recovery point (record at {}) is not in the commit log; \
                     recovering from the checkpoint timestamps",
                    p.mark.last_offset
                );
            }
            found.map(|at| (p, at))
        })
    };
    // Same kernel since the point was written: the dead process's pages
    // are all in the page cache, none torn.
    let same_boot = point
        .as_ref()
        .is_some_and(|(p, _)| p.boot_id.is_some() && p.boot_id == boot_id);
    let index_mark = point.as_ref().and_then(|(p, _)| p.mark.index);
    let (index, index_dropped_from) = if config.message_index_enable {
        let svc = IndexService::new(
            io.clone(),
            config.index_dir(),
            config.max_hash_slot_num,
            config.max_index_num,
            checkpoint.clone(),
        );
        let dropped = svc.load(last_exit_ok, index_mark.as_ref().map(|m| (m, same_boot)))?;
        (Some(svc), dropped)
    } else {
        (None, None)
    };

    let memory_window = (config.total_physical_memory as f64
        * (config.access_message_in_memory_max_ratio as f64 / 100.0))
        as i64;
    let inner = StoreInner {
        config,
        io,
        commit_log,
        consume_queues: RwLock::new(consume_queues),
        index,
        checkpoint,
        reput: ReputState::default(),
        prefault: Default::default(),
        residency: Default::default(),
        group_commit: Default::default(),
        signal: Mutex::new(()),
        stop_cv: Condvar::new(),
        flush_cv: Condvar::new(),
        stop: AtomicBool::new(false),
        flusher_running: AtomicBool::new(false),
        shutdown: AtomicBool::new(false),
        disk_full: AtomicBool::new(false),
        write_error: AtomicBool::new(false),
        manual_delete_runs: AtomicI32::new(0),
        last_clean_min_phy: AtomicI64::new(0),
        listener: RwLock::new(None),
        lock_guard: Mutex::new(Some(guard)),
        memory_window,
        cq_generation: Default::default(),
        stats: Default::default(),
        boot_id,
        checkpoint_lock: Mutex::new(()),
        unflushed_since_open: AtomicBool::new(!last_exit_ok),
        recovery_report: Default::default(),
    };
    inner.recover(last_exit_ok, index_dropped_from, point.map(|(_, at)| at))?;
    Ok(inner)
}

impl StoreInner {
    fn recover(
        &self,
        last_exit_ok: bool,
        index_dropped_from: Option<i64>,
        recovery_point: Option<(usize, usize)>,
    ) -> Result<(), StoreError> {
        self.recovery_report.lock().abnormal = !last_exit_ok;
        // `ConsumeQueue.recover` for every consume queue.
        let mut max_phy_cq = -1i64;
        for cq in self.all_cqs() {
            cq.recover()?;
            max_phy_cq = max_phy_cq.max(cq.max_physic_offset());
        }
        // `CommitLog.recoverNormally` / `recoverAbnormally`.
        let files = self.commit_log.files().files();
        let mut walk_last = None;
        if files.is_empty() {
            tracing::warn!("no commit-log files: destroying every consume queue");
            for cq in self.all_cqs() {
                cq.destroy()?;
            }
            self.consume_queues.write().clear();
            self.commit_log.set_recovered(0, 0);
        } else {
            let end = if last_exit_ok {
                self.recover_normally(&files, max_phy_cq)?
            } else {
                self.recover_abnormally(&files, index_dropped_from, recovery_point)?
            };
            self.commit_log.files().truncate_dirty(end.process_offset)?;
            self.commit_log
                .set_recovered(end.process_offset, end.last_store_timestamp);
            walk_last = end.last;
            let mut report = self.recovery_report.lock();
            report.records_walked = end.records;
            report.recovered_to = end.process_offset;
            tracing::info!(
                "commit log recovered to {} ({} records walked from {}, {} more read for the index)",
                end.process_offset,
                end.records,
                report.walk_from,
                report.index_records_walked
            );
        }
        let process = self.commit_log.max_offset();
        self.group_commit.set_flushed(process);

        // As `ReputMessageService` at start: dispatch whatever the consume queues miss.
        let min = self.commit_log.min_offset().max(0);
        let mut reput_from = min;
        for cq in self.all_cqs() {
            reput_from = reput_from.max(cq.max_physic_offset());
        }
        self.reput.set_reput_from(reput_from.min(process));
        self.reput_until_caught_up()?;
        if self.reput.mark().is_none() {
            // Everything up to `process` is dispatched: the first
            // checkpoint may record the last record walked.
            self.publish_mark(walk_last, process);
        }

        // `recoverTopicQueueTable`: next offsets and min offsets.
        let mut table = QueueOffsetTable::default();
        for cq in self.all_cqs() {
            cq.correct_min_offset(min);
            table
                .entry(cq.topic().to_owned())
                .or_default()
                .insert(cq.queue_id(), cq.max_offset_in_queue());
        }
        self.commit_log.set_queue_offsets(table);
        self.last_clean_min_phy.store(min, Ordering::Release);
        Ok(())
    }

    fn truncate_consume_queues(&self, process_offset: i64) -> Result<(), StoreError> {
        for cq in self.all_cqs() {
            cq.truncate_dirty(process_offset)?;
        }
        Ok(())
    }

    /// `CommitLog.recoverNormally` (4.9 – 5.3.1): walk from the third-to-last file without
    /// dispatching; truncate consume queues that point past the end.
    fn recover_normally(
        &self,
        files: &[Arc<MappedFile>],
        max_phy_cq: i64,
    ) -> Result<WalkEnd, StoreError> {
        let start = files.len().saturating_sub(3);
        self.recovery_report.lock().walk_from = files[start].from();
        let end = walk_commit_log(files, start, self.config.check_crc_on_recover, None, |_| {
            Ok(())
        })?;
        if max_phy_cq >= end.process_offset {
            tracing::warn!(
                "consume queues reach {max_phy_cq}, past the commit-log end {}: truncating them",
                end.process_offset
            );
            self.truncate_consume_queues(end.process_offset)?;
        }
        Ok(end)
    }

    /// Whether a file may start abnormal recovery: its first record is a
    /// message with a non-zero store time at or before the checkpoint.
    fn is_file_matched_recover(&self, file: &MappedFile) -> bool {
        let Some(head) = file.slice(0, 8 + pos::BORN_HOST + 20 + 8) else {
            return false;
        };
        let Some(magic) = read_i32(head, pos::MAGIC) else {
            return false;
        };
        if magic != plugin_api::message::MESSAGE_MAGIC_CODE
            && magic != plugin_api::message::MESSAGE_MAGIC_CODE_V2
        {
            return false;
        }
        let sys_flag = read_i32(head, pos::SYS_FLAG).unwrap_or(0);
        let ts = read_i64(head, pos::store_timestamp(sys_flag)).unwrap_or(0);
        if ts == 0 {
            return false;
        }
        let limit = if self.config.message_index_enable && self.config.message_index_safe {
            self.checkpoint.min_timestamp_index()
        } else {
            self.checkpoint.min_timestamp()
        };
        ts <= limit
    }

    /// `CommitLog.recoverAbnormally`: dispatch every valid record from a
    /// start point on (consume-queue entries are verified and repaired,
    /// duplicates skipped), then truncate. The start point is the
    /// checkpoint's recovery point when the commit log still holds its
    /// record (`recovery_point`: file index and position); otherwise, as
    /// Java, the start of the newest file whose first record is older than
    /// the checkpoint timestamps. Index entries of index files dropped at
    /// load are rebuilt first.
    fn recover_abnormally(
        &self,
        files: &[Arc<MappedFile>],
        index_dropped_from: Option<i64>,
        recovery_point: Option<(usize, usize)>,
    ) -> Result<WalkEnd, StoreError> {
        let (start, start_pos) = match recovery_point {
            Some(at) => at,
            None => {
                let start = (0..files.len())
                    .rev()
                    .find(|&i| self.is_file_matched_recover(&files[i]))
                    .unwrap_or(0);
                (start, 0)
            }
        };
        let start_offset = files[start].from() + start_pos as i64;
        match recovery_point {
            Some(_) => tracing::info!(
                "abnormal recovery from the checkpoint's recovery point: {} in {}",
                start_offset,
                files[start].path().display()
            ),
            None => tracing::info!(
                "abnormal recovery from {} (checkpoint min timestamp {})",
                files[start].path().display(),
                self.checkpoint.min_timestamp()
            ),
        }
        {
            let mut report = self.recovery_report.lock();
            report.from_recovery_point = recovery_point.is_some();
            report.walk_from = start_offset;
        }
        if let (Some(_), Some(from)) = (&self.index, index_dropped_from) {
            if from < start_offset {
                let first = files.iter().position(|f| f.end() > from).unwrap_or(start);
                tracing::info!("rebuilding index entries from {from} to {start_offset}");
                let mut cache = CqCache::default();
                let rebuilt = walk_commit_log(files, first, false, Some(start_offset), |view| {
                    if view.header.physical_offset >= from {
                        self.dispatch_record(view, DispatchMode::INDEX_ONLY, &mut cache)?;
                    }
                    Ok(())
                })?;
                self.recovery_report.lock().index_records_walked = rebuilt.records;
            }
        }
        let mut cache = CqCache::default();
        let end = walk_commit_log_from(
            files,
            start,
            start_pos,
            self.config.check_crc_on_recover,
            None,
            |view| self.dispatch_record(view, DispatchMode::RECOVERY, &mut cache),
        )?;
        self.truncate_consume_queues(end.process_offset)?;
        Ok(end)
    }
}
