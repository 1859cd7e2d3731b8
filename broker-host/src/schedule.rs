//! Delay levels (RocketMQ's `ScheduleMessageService`).
//!
//! A message with `DELAY=<level>` was stored in `SCHEDULE_TOPIC_XXXX`, queue
//! `level - 1`, its real destination in `REAL_TOPIC`/`REAL_QID`. One thread
//! scans each level's queue from its offset in `delayOffset.json`; a message
//! whose delivery time (store time + level delay) has come is copied to its
//! real topic and queue, then the level's offset advances. Consumer retries
//! (`%RETRY%<group>`) travel this way too.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::message::{decode_records, properties as prop, MessageRecord};
use plugin_api::topics::SCHEDULE_TOPIC;

use crate::broker_stats::BrokerStatsManager;
use crate::clock::now_millis;
use crate::metadata::DelayOffsetManager;
use crate::store::{
    DefaultMessageStore, GetMessageStatus, MessageFilter, MessageToStore, PutMessageStatus,
};

/// Parked messages read per scan (per level for delay levels).
const BATCH: i32 = 32;
/// Pause between scans while nothing is due (timer precision is 100 ms at
/// the finest).
const IDLE: Duration = Duration::from_millis(100);
/// How often the offsets or checkpoint are persisted
/// (`flushDelayOffsetInterval`).
const PERSIST_EVERY: Duration = Duration::from_secs(10);

/// The running service.
pub struct ScheduleMessageService {
    thread: DeliveryThread,
}

impl ScheduleMessageService {
    /// Starts delivering. `levels[i]` is the delay of level `i + 1` in ms.
    /// Deliveries are counted in `stats` when given (Java's
    /// `enableScheduleMessageStats`, on by default).
    pub fn start(
        store: Arc<DefaultMessageStore>,
        offsets: Arc<DelayOffsetManager>,
        levels: Vec<u64>,
        stats: Option<Arc<BrokerStatsManager>>,
    ) -> std::io::Result<ScheduleMessageService> {
        let worker = Worker {
            store,
            offsets: offsets.clone(),
            levels,
            stats,
        };
        let persist = move || {
            if let Err(error) = offsets.persist() {
                tracing::error!(%error, "cannot persist delayOffset.json");
            }
        };
        // RocketMQ's first check is one second after start.
        let thread = DeliveryThread::spawn(
            "schedule-message",
            Duration::from_secs(1),
            move || worker.deliver_all() > 0,
            persist,
        )?;
        Ok(ScheduleMessageService { thread })
    }

    /// Stops the thread and persists the offsets.
    pub fn shutdown(&self) {
        self.thread.shutdown();
    }
}

/// The thread of a service that delivers parked messages (delay levels,
/// timer messages): it repeats `scan` until stopped, sleeps [`IDLE`] after
/// a scan that delivered nothing, and runs `persist` every
/// [`PERSIST_EVERY`] of idle time and once more at shutdown.
pub(crate) struct DeliveryThread {
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    persist: Arc<dyn Fn() + Send + Sync>,
}

impl DeliveryThread {
    /// Starts thread `name`; its first scan is `first_delay` after start.
    pub(crate) fn spawn(
        name: &str,
        first_delay: Duration,
        mut scan: impl FnMut() -> bool + Send + 'static,
        persist: impl Fn() + Send + Sync + 'static,
    ) -> std::io::Result<DeliveryThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let persist: Arc<dyn Fn() + Send + Sync> = Arc::new(persist);
        let thread = {
            let (stop, persist) = (stop.clone(), persist.clone());
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    sleep_unless_stopped(&stop, first_delay);
                    let mut since_persist = Duration::ZERO;
                    while !stop.load(Ordering::SeqCst) {
                        if !scan() {
                            sleep_unless_stopped(&stop, IDLE);
                            since_persist += IDLE;
                        }
                        if since_persist >= PERSIST_EVERY {
                            since_persist = Duration::ZERO;
                            persist();
                        }
                    }
                })?
        };
        Ok(DeliveryThread {
            stop,
            thread: Mutex::new(Some(thread)),
            persist,
        })
    }

    /// Stops and joins the thread, then persists.
    pub(crate) fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
        (self.persist)();
    }
}

struct Worker {
    store: Arc<DefaultMessageStore>,
    offsets: Arc<DelayOffsetManager>,
    levels: Vec<u64>,
    stats: Option<Arc<BrokerStatsManager>>,
}

impl Worker {
    /// One scan of every level; how many messages were delivered.
    fn deliver_all(&self) -> usize {
        self.levels
            .iter()
            .enumerate()
            .map(|(index, delay)| self.deliver_level(index as i32 + 1, *delay))
            .sum()
    }

    /// Delivers what is due on one level; returns how many were delivered.
    fn deliver_level(&self, level: i32, delay_ms: u64) -> usize {
        let queue_id = level - 1;
        let offset = self.offsets.get(level).unwrap_or(0);
        let records = match read_parked(&self.store, SCHEDULE_TOPIC, queue_id, offset) {
            Ok(records) => records,
            Err(Some(moved_to)) => {
                self.offsets.update(level, moved_to);
                return 0;
            }
            Err(None) => return 0,
        };
        let now = now_millis();
        let mut delivered = 0;
        for record in records {
            let due = record.header.store_timestamp + delay_ms as i64;
            if due > now {
                break;
            }
            if !self.deliver(&record) {
                // Retry the same message on the next scan.
                break;
            }
            self.offsets.update(level, record.header.queue_offset + 1);
            delivered += 1;
        }
        delivered
    }

    /// Copies one due message to its real destination. Its properties are
    /// stored as they were parked (DELAY, REAL_TOPIC and REAL_QID included):
    /// Java's messageTimeUp sets the properties string before it clears
    /// those names from the map, and the string is what is written.
    fn deliver(&self, record: &MessageRecord) -> bool {
        let delivered = deliver_to_real_topic(&self.store, record, &record.properties, "delayed");
        if let (true, Some(stats), Some(topic)) =
            (delivered, &self.stats, record.property(prop::REAL_TOPIC))
        {
            // `PutResultProcess.onSuccess`: the copy differs from the parked
            // record only in its topic.
            let bytes = i64::from(record.header.total_size) - SCHEDULE_TOPIC.len() as i64
                + topic.len() as i64;
            stats.record_schedule_delivery(topic, bytes);
        }
        delivered
    }
}

/// Up to [`BATCH`] parked records of `topic`/`queue_id` from `offset`
/// (raised to the queue's min offset). `Err(Some(next))` when the queue no
/// longer holds `offset` (its files were deleted): continue from `next`;
/// `Err(None)` when there is nothing to read yet.
pub(crate) fn read_parked(
    store: &DefaultMessageStore,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> Result<Vec<MessageRecord>, Option<i64>> {
    let offset = offset.max(store.min_offset_in_queue(topic, queue_id));
    let result = store.get_message(
        "PARKED_MESSAGE_SERVICE",
        topic,
        queue_id,
        offset,
        BATCH,
        0,
        &MessageFilter::All,
    );
    match result.status {
        GetMessageStatus::Found => Ok(decode_records(&result.body)),
        GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
            Err(Some(result.next_begin_offset))
        }
        _ => Err(None),
    }
}

/// Copies a parked message (delay level or timer) to its `REAL_TOPIC` /
/// `REAL_QID` with `properties`; false when the store refused it for now
/// (retry later). A record without a destination is skipped (true).
pub(crate) fn deliver_to_real_topic(
    store: &DefaultMessageStore,
    record: &MessageRecord,
    properties: &str,
    kind: &str,
) -> bool {
    let (Some(topic), Some(queue_id)) = (
        record.property(prop::REAL_TOPIC),
        record
            .property(prop::REAL_QID)
            .and_then(|q| q.parse::<i32>().ok()),
    ) else {
        tracing::warn!(
            offset = record.header.physical_offset,
            "{kind} message without REAL_TOPIC/REAL_QID; skipped"
        );
        return true;
    };
    let result = store.put_message(&MessageToStore {
        topic,
        queue_id,
        flag: record.header.flag,
        sys_flag: record.header.sys_flag,
        born_timestamp: record.header.born_timestamp,
        born_host: record.header.born_host,
        body: &record.body,
        properties,
        reconsume_times: record.header.reconsume_times,
        prepared_transaction_offset: 0,
        wait_store: false,
    });
    match result.status {
        PutMessageStatus::PutOk
        | PutMessageStatus::FlushDiskTimeout
        | PutMessageStatus::FlushSlaveTimeout
        | PutMessageStatus::SlaveNotAvailable => true,
        other => {
            tracing::warn!(?other, topic = %topic, "cannot deliver a {kind} message yet");
            false
        }
    }
}

/// Sleeps `duration` in short steps, returning early once `stop` is set.
fn sleep_unless_stopped(stop: &AtomicBool, duration: Duration) {
    let step = Duration::from_millis(20);
    let mut slept = Duration::ZERO;
    while slept < duration && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(step);
        slept += step;
    }
}
