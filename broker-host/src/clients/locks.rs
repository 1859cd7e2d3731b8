//! Rebalance locks for orderly consumers (RocketMQ `RebalanceLockManager`):
//! one client per (group, queue); a lock not renewed for 60 s is expired and
//! may be taken over; a client may re-lock what it holds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// `REBALANCE_LOCK_MAX_LIVE_TIME`.
pub const LOCK_MAX_LIVE_TIME: Duration = Duration::from_secs(60);

/// A queue: (topic, broker name, queue id).
pub type QueueKey = (String, String, i32);

struct LockEntry {
    client_id: String,
    last_update: Instant,
}

/// The lock table.
pub struct RebalanceLockManager {
    table: Mutex<HashMap<String, HashMap<QueueKey, LockEntry>>>,
    max_live: Duration,
}

impl Default for RebalanceLockManager {
    fn default() -> Self {
        RebalanceLockManager::with_max_live(LOCK_MAX_LIVE_TIME)
    }
}

impl RebalanceLockManager {
    /// A table whose locks expire after `max_live` without renewal.
    pub fn with_max_live(max_live: Duration) -> Self {
        RebalanceLockManager {
            table: Mutex::new(HashMap::new()),
            max_live,
        }
    }

    /// Tries to lock each queue for `client_id`; returns those it now holds.
    pub fn try_lock_batch(
        &self,
        group: &str,
        client_id: &str,
        queues: Vec<QueueKey>,
    ) -> Vec<QueueKey> {
        let now = Instant::now();
        let mut table = self.table.lock();
        let locks = table.entry(group.to_owned()).or_default();
        queues
            .into_iter()
            .filter(|queue| match locks.get_mut(queue) {
                None => {
                    locks.insert(
                        queue.clone(),
                        LockEntry {
                            client_id: client_id.to_owned(),
                            last_update: now,
                        },
                    );
                    true
                }
                Some(entry) => {
                    let expired = now.duration_since(entry.last_update) > self.max_live;
                    if entry.client_id == client_id || expired {
                        entry.client_id = client_id.to_owned();
                        entry.last_update = now;
                        true
                    } else {
                        false
                    }
                }
            })
            .collect()
    }

    /// Releases the queues `client_id` holds among `queues`.
    pub fn unlock_batch(&self, group: &str, client_id: &str, queues: &[QueueKey]) {
        let mut table = self.table.lock();
        if let Some(locks) = table.get_mut(group) {
            for queue in queues {
                if locks.get(queue).is_some_and(|e| e.client_id == client_id) {
                    locks.remove(queue);
                }
            }
        }
    }

    /// True when someone other than `client_id` holds a live lock on `queue`.
    pub fn is_locked_by_other(&self, group: &str, queue: &QueueKey, client_id: &str) -> bool {
        let table = self.table.lock();
        table
            .get(group)
            .and_then(|locks| locks.get(queue))
            .is_some_and(|e| e.client_id != client_id && e.last_update.elapsed() <= self.max_live)
    }

    /// True when any queue of `group` is held by a live lock (Java's
    /// `!isLockAllExpired(group)`).
    pub fn has_live_lock(&self, group: &str) -> bool {
        let table = self.table.lock();
        table.get(group).is_some_and(|locks| {
            locks
                .values()
                .any(|e| e.last_update.elapsed() <= self.max_live)
        })
    }

    /// True when any client holds a live lock on `queue` for `group`.
    pub fn is_locked(&self, group: &str, queue: &QueueKey) -> bool {
        let table = self.table.lock();
        table
            .get(group)
            .and_then(|locks| locks.get(queue))
            .is_some_and(|e| e.last_update.elapsed() <= self.max_live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i32) -> QueueKey {
        ("T".into(), "broker-a".into(), id)
    }

    #[test]
    fn a_group_has_a_live_lock_until_its_locks_expire_or_are_released() {
        let locks = RebalanceLockManager::with_max_live(Duration::from_millis(50));
        assert!(!locks.has_live_lock("g"));
        locks.try_lock_batch("g", "c1", vec![q(0)]);
        assert!(locks.has_live_lock("g"));
        assert!(!locks.has_live_lock("other"));
        std::thread::sleep(Duration::from_millis(80));
        assert!(!locks.has_live_lock("g"), "expired");
        locks.try_lock_batch("g", "c1", vec![q(1)]);
        locks.unlock_batch("g", "c1", &[q(1)]);
        assert!(!locks.has_live_lock("g"), "released");
    }

    #[test]
    fn one_client_per_queue_and_relock_by_owner() {
        let locks = RebalanceLockManager::default();
        assert_eq!(
            locks.try_lock_batch("g", "c1", vec![q(0), q(1)]),
            vec![q(0), q(1)]
        );
        assert_eq!(
            locks.try_lock_batch("g", "c2", vec![q(1), q(2)]),
            vec![q(2)]
        );
        assert_eq!(
            locks.try_lock_batch("g", "c1", vec![q(0)]),
            vec![q(0)],
            "owner renews"
        );
        assert_eq!(
            locks.try_lock_batch("other", "c2", vec![q(0)]),
            vec![q(0)],
            "groups are separate"
        );
        locks.unlock_batch("g", "c2", &[q(0), q(2)]);
        assert!(
            locks.is_locked_by_other("g", &q(0), "c2"),
            "c2 cannot unlock c1's lock"
        );
        assert!(!locks.is_locked("g", &q(2)));
    }

    #[test]
    fn expired_locks_are_taken_over() {
        let locks = RebalanceLockManager::with_max_live(Duration::ZERO);
        assert_eq!(locks.try_lock_batch("g", "c1", vec![q(0)]), vec![q(0)]);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(locks.try_lock_batch("g", "c2", vec![q(0)]), vec![q(0)]);
    }
}
