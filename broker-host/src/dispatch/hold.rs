//! Requests a processor asked to hold ("answer me when something arrives or
//! when the timeout passes"): RocketMQ's `PullRequestHoldService`, generic.
//!
//! Held requests wait here, not on a sleeping pool thread. They are re-run
//! (with `allow_hold = false`) through the dispatcher when `notify` reports an
//! arrival past their offset, or when their deadline passes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use plugin_api::ffi::FfiHold;

use super::job::Job;

/// Re-runs a job through the current dispatch table.
pub type Redispatch = Box<dyn Fn(Job) + Send + Sync>;

struct Held {
    job: Job,
    wake_offset: i64,
    deadline: Instant,
}

/// The hold service.
pub struct HoldService {
    held: Mutex<HashMap<String, Vec<Held>>>,
    changed: Condvar,
    stopped: AtomicBool,
    redispatch: Redispatch,
}

/// The longest a request may be held, whatever the processor asks.
const MAX_HOLD: Duration = Duration::from_secs(60);

impl HoldService {
    /// Starts the service's timer thread.
    pub fn start(redispatch: Redispatch) -> Arc<HoldService> {
        let service = Arc::new(HoldService {
            held: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
            stopped: AtomicBool::new(false),
            redispatch,
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

    /// Holds `job` as the processor asked.
    pub fn hold(&self, hold: FfiHold, mut job: Job) {
        job.allow_hold = false;
        let timeout = Duration::from_millis(hold.timeout_millis).min(MAX_HOLD);
        let held = Held {
            job,
            wake_offset: hold.wake_offset,
            deadline: Instant::now() + timeout,
        };
        self.held
            .lock()
            .entry(hold.key.into_string())
            .or_default()
            .push(held);
        self.changed.notify_one();
    }

    /// Something arrived on `key` up to `offset`: re-run the requests waiting
    /// for less.
    pub fn notify(&self, key: &str, offset: i64) {
        let woken: Vec<Held> = {
            let mut held = self.held.lock();
            let Some(waiting) = held.get_mut(key) else {
                return;
            };
            let (woken, still): (Vec<Held>, Vec<Held>) =
                waiting.drain(..).partition(|h| offset > h.wake_offset);
            *waiting = still;
            if waiting.is_empty() {
                held.remove(key);
            }
            woken
        };
        for held in woken {
            (self.redispatch)(held.job);
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
        self.changed.notify_all();
    }

    /// Waits for the next deadline (or a change), then re-runs what is due.
    /// Returns false once stopped.
    fn expire_due(&self) -> bool {
        let due: Vec<Held> = {
            let mut held = self.held.lock();
            let next = held
                .values()
                .flat_map(|v| v.iter().map(|h| h.deadline))
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
                let (expired, still): (Vec<Held>, Vec<Held>) =
                    waiting.drain(..).partition(|h| h.deadline <= now);
                due.extend(expired);
                *waiting = still;
                !waiting.is_empty()
            });
            due
        };
        for held in due {
            (self.redispatch)(held.job);
        }
        true
    }
}
