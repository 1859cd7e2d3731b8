//! Requests a processor asked to hold ("answer me when something arrives or
//! when the timeout passes"): RocketMQ's `PullRequestHoldService`, generic.
//!
//! Held requests wait here, not on a sleeping pool thread. They are re-run
//! (with `allow_hold = false`) through the dispatcher when `notify` reports an
//! arrival past their offset, or when their deadline passes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plugin_api::ffi::FfiHold;
pub use plugin_api::sdk::HoldKey;

use super::job::Job;

/// Re-runs a job through the current dispatch table.
pub type Redispatch = Box<dyn Fn(Job) + Send + Sync>;

/// Reports the current end offset of a held queue, if known.
pub type OffsetProbe = Box<dyn Fn(&HoldKey) -> Option<i64> + Send + Sync>;

struct Held {
    job: Job,
    wake_offset: i64,
    tag_codes: Vec<i64>,
    /// `None`: past what `Instant` can hold; woken only by an arrival.
    deadline: Option<Instant>,
}

impl Held {
    /// Java's `notifyMessageArriving` test: the queue grew past the request's
    /// offset and the new message passes the request's tag filter.
    fn wakes_on(&self, offset: i64, tags_code: Option<i64>) -> bool {
        offset > self.wake_offset
            && match tags_code {
                Some(code) => self.tag_codes.is_empty() || self.tag_codes.contains(&code),
                None => true,
            }
    }
}

/// The hold service.
pub struct HoldService {
    held: Mutex<HashMap<HoldKey, Vec<Held>>>,
    /// Held requests, readable without the lock: arrivals on a broker with
    /// nobody waiting cost one atomic load.
    count: AtomicUsize,
    changed: Condvar,
    stopped: AtomicBool,
    redispatch: Redispatch,
    probe: parking_lot::RwLock<Option<OffsetProbe>>,
}

/// When a request held at `now` for `timeout_millis` is due. The processor's
/// timeout is used as it is: Java's `PullRequestHoldService` has no cap of its
/// own (the pull processor asks for the request's `suspendTimeoutMillis`, or
/// `shortPollingTimeMills` without long polling). `None` when the time is
/// past what `Instant` can represent (the request then waits for an arrival,
/// or the service's stop) rather than a panic.
fn deadline(now: Instant, timeout_millis: u64) -> Option<Instant> {
    now.checked_add(Duration::from_millis(timeout_millis))
}

impl HoldService {
    /// Starts the service's timer thread.
    pub fn start(redispatch: Redispatch) -> Arc<HoldService> {
        let service = Arc::new(HoldService {
            held: Mutex::new(HashMap::new()),
            count: AtomicUsize::new(0),
            changed: Condvar::new(),
            stopped: AtomicBool::new(false),
            redispatch,
            probe: parking_lot::RwLock::new(None),
        });
        let weak = Arc::downgrade(&service);
        let spawned = std::thread::Builder::new()
            .name("hold-service".into())
            .spawn(move || {
                while let Some(service) = weak.upgrade() {
                    if !service.expire_due() {
                        break;
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the hold service thread");
        }
        service
    }

    /// Installs the probe that closes the race between a processor finding
    /// nothing and its request being parked: a request whose key already
    /// moved past its offset is woken at once.
    pub fn set_offset_probe(&self, probe: OffsetProbe) {
        *self.probe.write() = Some(probe);
    }

    /// Holds `job` as the processor asked.
    pub fn hold(&self, hold: FfiHold, mut job: Job) {
        let key = HoldKey {
            topic: hold.topic.into_string(),
            queue_id: hold.queue_id,
        };
        job.allow_hold = false;
        // Re-run from the hold thread: never on that thread itself.
        job.may_run_inline = false;
        job.park();
        let held = Held {
            job,
            wake_offset: hold.wake_offset,
            tag_codes: hold.tag_codes.into_vec(),
            deadline: deadline(Instant::now(), hold.timeout_millis),
        };
        self.held.lock().entry(key.clone()).or_default().push(held);
        self.count.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        let current = self.probe.read().as_ref().and_then(|probe| probe(&key));
        if let Some(offset) = current {
            self.notify(&key, offset, None);
        }
    }

    /// True when requests are held (cheap; no lock).
    pub fn has_held(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }

    /// Something arrived on `key`, the queue now ends at `offset`, the new
    /// message has `tags_code` (None = unknown: wake regardless of filter):
    /// re-run the requests it satisfies.
    pub fn notify(&self, key: &HoldKey, offset: i64, tags_code: Option<i64>) {
        if !self.has_held() {
            return;
        }
        let woken: Vec<Held> = {
            let mut held = self.held.lock();
            let Some(waiting) = held.get_mut(key) else {
                return;
            };
            let (woken, still): (Vec<Held>, Vec<Held>) = waiting
                .drain(..)
                .partition(|h| h.wakes_on(offset, tags_code));
            *waiting = still;
            if waiting.is_empty() {
                held.remove(key);
            }
            self.count.fetch_sub(woken.len(), Ordering::SeqCst);
            woken
        };
        for held in woken {
            let mut job = held.job;
            job.unpark();
            (self.redispatch)(job);
        }
    }

    /// Number of requests being held.
    pub fn held_count(&self) -> usize {
        self.held.lock().values().map(Vec::len).sum()
    }

    /// Stops the timer thread and drops every held request.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.held.lock().clear();
        self.count.store(0, Ordering::SeqCst);
        self.changed.notify_all();
    }

    /// Waits for the next deadline (or a change), then re-runs what is due.
    /// Returns false once stopped.
    fn expire_due(&self) -> bool {
        let due: Vec<Held> = {
            let mut held = self.held.lock();
            let next = held
                .values()
                .flat_map(|v| v.iter().filter_map(|h| h.deadline))
                .min();
            let wait = next
                .map(|deadline| deadline.saturating_duration_since(Instant::now()))
                .unwrap_or(Duration::from_secs(1))
                .min(Duration::from_secs(1));
            if !wait.is_zero() {
                self.changed.wait_for(&mut held, wait);
            }
            if self.stopped.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            let mut due = Vec::new();
            held.retain(|_, waiting| {
                let (expired, still): (Vec<Held>, Vec<Held>) = waiting
                    .drain(..)
                    .partition(|h| h.deadline.is_some_and(|d| d <= now));
                due.extend(expired);
                *waiting = still;
                !waiting.is_empty()
            });
            self.count.fetch_sub(due.len(), Ordering::SeqCst);
            due
        };
        for held in due {
            let mut job = held.job;
            job.unpark();
            (self.redispatch)(job);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_lasts_as_long_as_the_processor_asks() {
        let now = Instant::now();
        // Longer than the 60 s this service used to cap holds at.
        assert_eq!(deadline(now, 120_000), Some(now + Duration::from_secs(120)));
        assert_eq!(deadline(now, 0), Some(now));
        // Whatever a client sends, no overflow panic.
        let _ = deadline(now, u64::MAX);
    }
}
