//! Timer messages (5.x `TIMER_DELIVER_MS` / `TIMER_DELAY_SEC` /
//! `TIMER_DELAY_MS`, with `timerWheelEnable`).
//!
//! The send processor parks such a message in `rmq_sys_wheel_timer`, queue 0,
//! with its delivery time in `TIMER_OUT_MS` and its destination in
//! `REAL_TOPIC`/`REAL_QID`, as Java's `HookUtils.transformTimerMessage` does.
//! One thread reads that queue in order and keeps, for what is not yet due,
//! its delivery time and commit-log offset in memory; when a message is due
//! it is read again and copied to its real topic and queue (Java's
//! `TimerMessageStore.convertMessage`).
//!
//! A parked message with `TIMER_DEL_UNIQKEY` (`<realTopic>+<UNIQ_KEY>`,
//! what RECALL_MESSAGE or a producer's delete message parks) is never
//! delivered: it cancels the message with that key whose delivery time is
//! its own (Java's `TimerMessageStore` keeps such keys in the slot's delete
//! list and skips the messages they name when the slot is due). Until its
//! own time comes it is kept, with its key, among the pending.
//!
//! Java keeps its wheel in `timerwheel`/`timerlog` files; this broker keeps
//! only the consume-queue offset below which every parked message has been
//! delivered (`config/timerCheckpoint.json`) and rebuilds the pending set
//! from the queue at start. A message delivered but above that offset at a
//! crash is delivered again: at least once, as RocketMQ promises.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::message::{
    decode_record, properties as prop, MessageRecord, Properties, RecordRead,
};
use plugin_api::topics::TIMER_TOPIC;

use crate::clock::now_millis;
use crate::metadata::persist::ConfigFile;
use crate::metadata::MetadataError;
use crate::schedule::{deliver_to_real_topic, read_parked, DeliveryThread};
use crate::store::DefaultMessageStore;

/// The checkpoint file, in the store's `config` directory.
pub const TIMER_CHECKPOINT_FILE: &str = "timerCheckpoint.json";

/// The running service.
pub struct TimerMessageService {
    thread: DeliveryThread,
}

impl TimerMessageService {
    /// Loads the checkpoint from `config_dir` and starts delivering.
    pub fn start(
        store: Arc<DefaultMessageStore>,
        config_dir: &Path,
    ) -> Result<TimerMessageService, TimerStartError> {
        let checkpoint = Arc::new(TimerCheckpoint::load(config_dir)?);
        let mut worker = Worker {
            store,
            checkpoint: checkpoint.clone(),
            read_to: checkpoint.offset(),
            pending: BTreeMap::new(),
            pending_offsets: BTreeSet::new(),
            deletes: HashMap::new(),
        };
        let persist = move || {
            if let Err(error) = checkpoint.persist() {
                tracing::error!(%error, "cannot persist {TIMER_CHECKPOINT_FILE}");
            }
        };
        let thread = DeliveryThread::spawn(
            "timer-message",
            Duration::ZERO,
            move || worker.scan(),
            persist,
        )
        .map_err(TimerStartError::Thread)?;
        Ok(TimerMessageService { thread })
    }

    /// Stops the thread and persists the checkpoint.
    pub fn shutdown(&self) {
        self.thread.shutdown();
    }
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum TimerStartError {
    /// The checkpoint could not be read.
    #[error("cannot load {TIMER_CHECKPOINT_FILE}: {0}")]
    Checkpoint(#[from] MetadataError),
    /// The thread could not be spawned.
    #[error("cannot start the timer thread: {0}")]
    Thread(std::io::Error),
}

/// The consume-queue offset of `rmq_sys_wheel_timer` below which every
/// parked message has been delivered.
struct TimerCheckpoint {
    offset: Mutex<i64>,
    file: ConfigFile,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckpointJson {
    timer_queue_offset: i64,
}

impl TimerCheckpoint {
    fn load(config_dir: &Path) -> Result<TimerCheckpoint, MetadataError> {
        let file = ConfigFile::new(config_dir.join(TIMER_CHECKPOINT_FILE));
        let (loaded, _) = file.load(|text| {
            serde_json::from_str::<CheckpointJson>(text).map_err(|error| error.to_string())
        })?;
        Ok(TimerCheckpoint {
            offset: Mutex::new(loaded.map_or(0, |json| json.timer_queue_offset)),
            file,
        })
    }

    fn offset(&self) -> i64 {
        *self.offset.lock()
    }

    fn set(&self, offset: i64) {
        *self.offset.lock() = offset;
    }

    fn persist(&self) -> Result<(), MetadataError> {
        let json = CheckpointJson {
            timer_queue_offset: self.offset(),
        };
        self.file
            .persist_with(|| serde_json::to_string_pretty(&json).unwrap_or_default())
    }
}

/// A parked message not yet delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Parked {
    deliver_ms: i64,
    queue_offset: i64,
}

struct Worker {
    store: Arc<DefaultMessageStore>,
    checkpoint: Arc<TimerCheckpoint>,
    /// Next consume-queue offset to read.
    read_to: i64,
    /// Parked and not delivered, by delivery time; the value is the
    /// record's commit-log offset.
    pending: BTreeMap<Parked, i64>,
    /// The consume-queue offsets of `pending` (its low-water mark).
    pending_offsets: BTreeSet<i64>,
    /// Delete keys (`TIMER_DEL_UNIQKEY`) of the pending delete messages,
    /// with their delivery time (the message they cancel has the same).
    deletes: HashMap<String, i64>,
}

impl Worker {
    /// Reads what was parked, delivers what is due; whether it did anything.
    fn scan(&mut self) -> bool {
        // Everything parked up to now is read before anything due by now
        // is delivered: a delete message (written before the time of the
        // message it cancels) is then known when that message is due, even
        // behind a backlog (after a restart).
        let now = now_millis();
        let mut read = 0;
        loop {
            let batch = self.read_parked();
            if batch == 0 {
                break;
            }
            read += batch;
        }
        let delivered = self.deliver_due(now);
        self.checkpoint.set(self.low_water());
        read + delivered > 0
    }

    /// Reads newly parked messages into `pending`; how many were read.
    fn read_parked(&mut self) -> usize {
        let records = match read_parked(&self.store, TIMER_TOPIC, 0, self.read_to) {
            Ok(records) => records,
            Err(moved_to) => {
                if let Some(next) = moved_to {
                    self.read_to = next;
                }
                return 0;
            }
        };
        let mut read = 0;
        for record in records {
            let queue_offset = record.header.queue_offset;
            self.read_to = queue_offset + 1;
            read += 1;
            let Some(deliver_ms) = record
                .property(prop::TIMER_OUT_MS)
                .and_then(|ms| ms.trim().parse::<i64>().ok())
            else {
                tracing::warn!(queue_offset, "timer message without TIMER_OUT_MS; skipped");
                continue;
            };
            if let Some(key) = record.property(prop::TIMER_DEL_UNIQKEY) {
                self.deletes.insert(key.to_owned(), deliver_ms);
            }
            self.pending.insert(
                Parked {
                    deliver_ms,
                    queue_offset,
                },
                record.header.physical_offset,
            );
            self.pending_offsets.insert(queue_offset);
        }
        read
    }

    /// Delivers every due message; how many were delivered.
    fn deliver_due(&mut self, now: i64) -> usize {
        let mut delivered = 0;
        while let Some((&parked, &physical_offset)) = self.pending.first_key_value() {
            if parked.deliver_ms > now {
                break;
            }
            let delivered_or_dropped = match self.store.look_message_by_offset(physical_offset) {
                Some(raw) => match decode_record(&raw, false) {
                    RecordRead::Message(record, _) => self.deliver_unless_deleted(&record, parked),
                    _ => true,
                },
                None => {
                    // Deleted with its commit-log file (fileReservedTime).
                    tracing::warn!(
                        queue_offset = parked.queue_offset,
                        "timer message no longer stored; skipped"
                    );
                    true
                }
            };
            if !delivered_or_dropped {
                // Retried on the next scan.
                break;
            }
            self.pending.remove(&parked);
            self.pending_offsets.remove(&parked.queue_offset);
            delivered += 1;
        }
        delivered
    }

    /// Lowest consume-queue offset not yet delivered.
    fn low_water(&self) -> i64 {
        self.pending_offsets
            .first()
            .copied()
            .unwrap_or(self.read_to)
            .min(self.read_to)
    }

    /// A due delete message ends its key's life (it is never delivered); a
    /// due message whose key a pending delete message of the same delivery
    /// time names is dropped; any other is delivered. True when done with.
    fn deliver_unless_deleted(&mut self, record: &MessageRecord, parked: Parked) -> bool {
        if let Some(key) = record.property(prop::TIMER_DEL_UNIQKEY) {
            if self.deletes.get(key) == Some(&parked.deliver_ms) {
                self.deletes.remove(key);
            }
            return true;
        }
        if !self.deletes.is_empty() {
            let real_topic = record.property(prop::REAL_TOPIC).unwrap_or_default();
            if let Some(uniq_key) = record.property(prop::UNIQ_KEY) {
                let key = delete_key(real_topic, uniq_key);
                if self.deletes.get(&key) == Some(&parked.deliver_ms) {
                    tracing::info!(%key, queue_offset = parked.queue_offset, "timer message deleted (recalled); not delivered");
                    return true;
                }
            }
        }
        self.deliver(record)
    }

    /// Copies one due message to its real destination: the stored
    /// properties plus TIMER_ENQUEUE_MS (when it was parked) and
    /// TIMER_DEQUEUE_MS (now), REAL_TOPIC and REAL_QID kept (Java writes the
    /// properties string before it clears them from the map).
    fn deliver(&self, record: &MessageRecord) -> bool {
        let mut properties = Properties::parse(&record.properties);
        properties.insert(
            prop::TIMER_ENQUEUE_MS,
            record.header.store_timestamp.to_string(),
        );
        properties.insert(prop::TIMER_DEQUEUE_MS, now_millis().to_string());
        deliver_to_real_topic(&self.store, record, &properties.encode(), "timer")
    }
}

/// `TimerMessageStore.buildDeleteKey`: what a delete message's
/// `TIMER_DEL_UNIQKEY` holds for the message it cancels.
pub fn delete_key(real_topic: &str, uniq_key: &str) -> String {
    format!("{real_topic}+{uniq_key}")
}
