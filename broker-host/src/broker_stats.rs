//! Broker statistics as RocketMQ's `BrokerStatsManager` keeps them: named
//! sets (`StatsItemSet`) of keyed counters (`StatsItem`: a value and a
//! count of calls) sampled on Java's schedule — every 10 s into a one-minute
//! window of 7 snapshots, every 10 min into a one-hour window of 7, every
//! hour into a one-day window of 25 — from which a window's `sum`, `tps` and
//! `avgpt` are computed (`StatsItem.computeStatsData`).
//!
//! The host's put and get capabilities feed it where they feed the metrics
//! recorder (Java's `SendMessageProcessor.handlePutMessageResult` and
//! `DefaultPullMessageResultHandler`); VIEW_BROKER_STATS_DATA (mqadmin
//! `statsAll`, the dashboard) reads it through the `broker_stats` capability.
//! It lives in the host, so a plugin swap keeps every counter and window.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use plugin_api::topics::{is_system_topic, SCHEDULE_TOPIC};

use crate::clock::now_millis;
use crate::FastMap;

/// Stats names (`org.apache.rocketmq.common.stats.Stats` and
/// `BrokerStatsManager`'s own constants).
pub mod names {
    /// Messages put per topic; key `topic`.
    pub const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
    /// Bytes put per topic; key `topic`.
    pub const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
    /// Messages pulled per group; key `topic@group`.
    pub const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
    /// Bytes pulled per group; key `topic@group`.
    pub const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
    /// Messages a consumer sent back; key `topic@group`.
    pub const SNDBCK_PUT_NUMS: &str = "SNDBCK_PUT_NUMS";
    /// Messages put on this broker; key: the cluster name.
    pub const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
    /// Messages pulled from this broker; key: the cluster name.
    pub const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";
    /// As BROKER_PUT_NUMS, system topics left out.
    pub const BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC: &str = "BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC";
    /// As BROKER_GET_NUMS, system topics left out.
    pub const BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC: &str = "BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC";

    /// Every set this broker keeps (Java creates more, which this broker
    /// has nothing to feed with; asking for them answers "not exist", as
    /// Java does for a key never counted).
    pub const ALL: [&str; 9] = [
        TOPIC_PUT_NUMS,
        TOPIC_PUT_SIZE,
        GROUP_GET_NUMS,
        GROUP_GET_SIZE,
        SNDBCK_PUT_NUMS,
        BROKER_PUT_NUMS,
        BROKER_GET_NUMS,
        BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC,
        BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC,
    ];
}

/// One window's figures (`StatsSnapshot`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Snapshot {
    /// Value added within the window.
    pub sum: i64,
    /// `sum` per second over the window.
    pub tps: f64,
    /// `sum` per call within the window (0 without calls).
    pub avgpt: f64,
}

/// An item's three windows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ItemWindows {
    /// The last minute (sampled every 10 s).
    pub minute: Snapshot,
    /// The last hour (sampled every 10 min).
    pub hour: Snapshot,
    /// The last day (sampled every hour).
    pub day: Snapshot,
}

/// `CallSnapshot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CallSnapshot {
    timestamp: i64,
    times: i64,
    value: i64,
}

/// One sampled window: at most `capacity` snapshots, `interval` ms apart.
#[derive(Debug)]
struct Window {
    snapshots: VecDeque<CallSnapshot>,
    capacity: usize,
    interval: i64,
}

impl Window {
    fn new(capacity: usize, interval: i64) -> Window {
        Window {
            snapshots: VecDeque::with_capacity(capacity + 1),
            capacity,
            interval,
        }
    }

    /// `StatsItem.samplingIn*`: the first sample is preceded by a zero one
    /// an interval earlier.
    fn sample(&mut self, now: i64, times: i64, value: i64) {
        if self.snapshots.is_empty() {
            self.snapshots.push_back(CallSnapshot {
                timestamp: now - self.interval,
                times: 0,
                value: 0,
            });
        }
        self.snapshots.push_back(CallSnapshot {
            timestamp: now,
            times,
            value,
        });
        if self.snapshots.len() > self.capacity {
            self.snapshots.pop_front();
        }
    }

    /// `StatsItem.computeStatsData`.
    fn compute(&self) -> Snapshot {
        let (Some(first), Some(last)) = (self.snapshots.front(), self.snapshots.back()) else {
            return Snapshot::default();
        };
        let sum = last.value - first.value;
        let elapsed = last.timestamp - first.timestamp;
        // Java divides by the elapsed time as it is (a single snapshot, or
        // two in one millisecond, give NaN or Infinity there); a window
        // without elapsed time has no rate here.
        let tps = if elapsed > 0 {
            (sum as f64 * 1000.0) / elapsed as f64
        } else {
            0.0
        };
        let times = last.times - first.times;
        let avgpt = if times > 0 {
            sum as f64 / times as f64
        } else {
            0.0
        };
        Snapshot { sum, tps, avgpt }
    }
}

/// `MixAll.SCHEDULE_CONSUMER_GROUP`.
pub const SCHEDULE_CONSUMER_GROUP: &str = "SCHEDULE_CONSUMER";

const TEN_SECONDS: i64 = 10_000;
const TEN_MINUTES: i64 = 600_000;
const ONE_HOUR: i64 = 3_600_000;

/// `StatsItem`: a value, a count of calls and their three windows.
#[derive(Debug)]
pub struct StatsItem {
    value: AtomicI64,
    times: AtomicI64,
    minute: Mutex<Window>,
    hour: Mutex<Window>,
    day: Mutex<Window>,
}

impl Default for StatsItem {
    fn default() -> Self {
        StatsItem {
            value: AtomicI64::new(0),
            times: AtomicI64::new(0),
            minute: Mutex::new(Window::new(7, TEN_SECONDS)),
            hour: Mutex::new(Window::new(7, TEN_MINUTES)),
            day: Mutex::new(Window::new(25, ONE_HOUR)),
        }
    }
}

impl StatsItem {
    fn add(&self, value: i64, times: i64) {
        self.value.fetch_add(value, Ordering::Relaxed);
        self.times.fetch_add(times, Ordering::Relaxed);
    }

    fn counters(&self) -> (i64, i64) {
        (
            self.times.load(Ordering::Relaxed),
            self.value.load(Ordering::Relaxed),
        )
    }

    fn sample(&self, window: &Mutex<Window>, now: i64) {
        let (times, value) = self.counters();
        window.lock().sample(now, times, value);
    }

    /// The three windows as they stand.
    pub fn windows(&self) -> ItemWindows {
        ItemWindows {
            minute: self.minute.lock().compute(),
            hour: self.hour.lock().compute(),
            day: self.day.lock().compute(),
        }
    }

    /// Everything added so far (value, calls).
    pub fn totals(&self) -> (i64, i64) {
        let (times, value) = self.counters();
        (value, times)
    }
}

/// `StatsItemSet`: items by key.
#[derive(Debug, Default)]
struct StatsItemSet {
    items: RwLock<FastMap<String, Arc<StatsItem>>>,
}

impl StatsItemSet {
    fn item(&self, key: &str) -> Option<Arc<StatsItem>> {
        self.items.read().get(key).cloned()
    }

    fn item_or_create(&self, key: &str) -> Arc<StatsItem> {
        if let Some(item) = self.item(key) {
            return item;
        }
        self.items
            .write()
            .entry(key.to_owned())
            .or_default()
            .clone()
    }

    fn add(&self, key: &str, value: i64, times: i64) {
        // The common case (the item exists) adds under the read lock,
        // without taking a reference: this runs for every put and pull.
        if let Some(item) = self.items.read().get(key) {
            item.add(value, times);
            return;
        }
        self.item_or_create(key).add(value, times);
    }

    fn items(&self) -> Vec<Arc<StatsItem>> {
        self.items.read().values().cloned().collect()
    }

    fn remove_where(&self, mut doomed: impl FnMut(&str) -> bool) {
        self.items.write().retain(|key, _| !doomed(key));
    }
}

/// Which window a sampling tick feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// Every 10 s: the minute window.
    TenSeconds,
    /// Every 10 min: the hour window.
    TenMinutes,
    /// Every hour: the day window.
    Hour,
}

/// `BrokerStatsManager`: the sets this broker feeds.
#[derive(Debug)]
pub struct BrokerStatsManager {
    cluster_name: String,
    sets: FastMap<&'static str, StatsItemSet>,
    stopped: AtomicBool,
}

impl BrokerStatsManager {
    /// A manager that is sampled only when [`Self::sample`] is called
    /// (tests); [`Self::start`] runs Java's schedule.
    pub fn new(cluster_name: &str) -> BrokerStatsManager {
        BrokerStatsManager {
            cluster_name: cluster_name.to_owned(),
            sets: names::ALL
                .iter()
                .map(|name| (*name, StatsItemSet::default()))
                .collect(),
            stopped: AtomicBool::new(false),
        }
    }

    /// A manager sampled on Java's schedule by a thread of its own (the
    /// first tick of each kind at once, as `StatsItemSet.init` schedules
    /// them with no initial delay), until [`Self::stop`] or until the last
    /// handle is dropped.
    pub fn start(cluster_name: &str) -> std::io::Result<Arc<BrokerStatsManager>> {
        let manager = Arc::new(BrokerStatsManager::new(cluster_name));
        let weak = Arc::downgrade(&manager);
        std::thread::Builder::new()
            .name("BrokerStatsThread".into())
            .spawn(move || sampling_loop(weak))?;
        Ok(manager)
    }

    /// Ends the sampling thread (within a second).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    fn set(&self, name: &str) -> Option<&StatsItemSet> {
        self.sets.get(name)
    }

    fn add(&self, name: &str, key: &str, value: i64, times: i64) {
        if let Some(set) = self.set(name) {
            set.add(key, value, times);
        }
    }

    /// A successful put of `msg_num` messages, `bytes` long, to `topic`
    /// (`incTopicPutNums(topic, msgNum, 1)`, `incTopicPutSize`,
    /// `incBrokerPutNums`).
    pub fn record_put(&self, topic: &str, msg_num: i64, bytes: i64) {
        self.add(names::TOPIC_PUT_NUMS, topic, msg_num, 1);
        self.add(names::TOPIC_PUT_SIZE, topic, bytes, 1);
        // `getAndCreateStatsItem(clusterName).getValue().add(n)`: no call counted.
        self.add(names::BROKER_PUT_NUMS, &self.cluster_name, msg_num, 0);
        if !is_system_topic(topic) {
            self.add(
                names::BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC,
                &self.cluster_name,
                msg_num,
                0,
            );
        }
    }

    /// A pull that found `count` messages, `bytes` long, for `group` in
    /// `topic` (`incGroupGetNums`, `incGroupGetSize`, `incBrokerGetNums`).
    pub fn record_get(&self, group: &str, topic: &str, count: i64, bytes: i64) {
        let key = stats_key(topic, group);
        self.add(names::GROUP_GET_NUMS, &key, count, 1);
        self.add(names::GROUP_GET_SIZE, &key, bytes, 1);
        self.add(names::BROKER_GET_NUMS, &self.cluster_name, count, 0);
        if !is_system_topic(topic) {
            self.add(
                names::BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC,
                &self.cluster_name,
                count,
                0,
            );
        }
    }

    /// A delayed message delivered to `topic`, `bytes` long
    /// (`ScheduleMessageService.PutResultProcess.onSuccess`): read from
    /// `SCHEDULE_TOPIC_XXXX` by the group `SCHEDULE_CONSUMER`, put to `topic`.
    pub fn record_schedule_delivery(&self, topic: &str, bytes: i64) {
        self.record_get(SCHEDULE_CONSUMER_GROUP, SCHEDULE_TOPIC, 1, bytes);
        self.record_put(topic, 1, bytes);
    }

    /// A message `group` sent back from `topic` (`incSendBackNums`).
    pub fn record_send_back(&self, group: &str, topic: &str) {
        self.add(names::SNDBCK_PUT_NUMS, &stats_key(topic, group), 1, 1);
    }

    /// `getStatsItem(statsName, statsKey)`: `None` for an unknown set or
    /// a key never counted.
    pub fn item(&self, stats_name: &str, stats_key: &str) -> Option<Arc<StatsItem>> {
        self.set(stats_name)?.item(stats_key)
    }

    /// `onTopicDeleted`: the topic's items go (`topic` and `topic@…` keys).
    pub fn on_topic_deleted(&self, topic: &str) {
        let prefix = format!("{topic}@");
        for name in [names::TOPIC_PUT_NUMS, names::TOPIC_PUT_SIZE] {
            if let Some(set) = self.set(name) {
                set.remove_where(|key| key == topic);
            }
        }
        for name in [
            names::GROUP_GET_NUMS,
            names::GROUP_GET_SIZE,
            names::SNDBCK_PUT_NUMS,
        ] {
            if let Some(set) = self.set(name) {
                set.remove_where(|key| key.starts_with(&prefix));
            }
        }
    }

    /// `onGroupDeleted`: the group's items go (`…@group` keys). For
    /// DELETE_SUBSCRIPTIONGROUP with `cleanOffset`.
    pub fn on_group_deleted(&self, group: &str) {
        let suffix = format!("@{group}");
        for name in [
            names::GROUP_GET_NUMS,
            names::GROUP_GET_SIZE,
            names::SNDBCK_PUT_NUMS,
        ] {
            if let Some(set) = self.set(name) {
                set.remove_where(|key| key.ends_with(&suffix));
            }
        }
    }

    /// One sampling tick at `now` (epoch ms) over every item.
    pub fn sample(&self, tick: Tick, now: i64) {
        for set in self.sets.values() {
            for item in set.items() {
                let window = match tick {
                    Tick::TenSeconds => &item.minute,
                    Tick::TenMinutes => &item.hour,
                    Tick::Hour => &item.day,
                };
                item.sample(window, now);
            }
        }
    }
}

/// `buildStatsKey(topic, group)`: `topic@group`.
pub fn stats_key(topic: &str, group: &str) -> String {
    let mut key = String::with_capacity(topic.len() + group.len() + 1);
    key.push_str(topic);
    key.push('@');
    key.push_str(group);
    key
}

/// Java's `scheduleAtFixedRate(…, 0, period)` for the three ticks, checked
/// every 100 ms.
fn sampling_loop(manager: Weak<BrokerStatsManager>) {
    let start = now_millis();
    let mut next = [
        (Tick::TenSeconds, start, TEN_SECONDS),
        (Tick::TenMinutes, start, TEN_MINUTES),
        (Tick::Hour, start, ONE_HOUR),
    ];
    loop {
        let Some(manager) = manager.upgrade() else {
            return;
        };
        if manager.stopped.load(Ordering::Acquire) {
            return;
        }
        let now = now_millis();
        for (tick, due, period) in next.iter_mut() {
            if now >= *due {
                manager.sample(*tick, now);
                // Fixed rate: the next run is due a period after this one
                // was, not after it ran.
                while *due <= now {
                    *due += *period;
                }
            }
        }
        drop(manager);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_never_counted_does_not_exist() {
        let stats = BrokerStatsManager::new("DefaultCluster");
        assert!(stats.item(names::TOPIC_PUT_NUMS, "T").is_none());
        assert!(stats.item("NO_SUCH_SET", "T").is_none());
        stats.record_put("T", 1, 10);
        assert!(stats.item(names::TOPIC_PUT_NUMS, "T").is_some());
        assert!(stats.item(names::TOPIC_PUT_NUMS, "U").is_none());
    }

    #[test]
    fn the_minute_window_sums_what_was_added_between_samples() {
        let stats = BrokerStatsManager::new("C");
        stats.record_put("T", 3, 300);
        stats.record_put("T", 2, 200);
        let item = stats.item(names::TOPIC_PUT_NUMS, "T").expect("counted");
        // Before any sample every window is empty.
        assert_eq!(item.windows(), ItemWindows::default());

        stats.sample(Tick::TenSeconds, 100_000);
        let minute = item.windows().minute;
        // The first sample is preceded by a zero one 10 s earlier.
        assert_eq!(minute.sum, 5);
        assert_eq!(minute.tps, 0.5);
        assert_eq!(minute.avgpt, 2.5);
        assert_eq!(item.windows().hour, Snapshot::default());

        stats.record_put("T", 1, 100);
        stats.sample(Tick::TenSeconds, 110_000);
        let minute = item.windows().minute;
        assert_eq!(minute.sum, 6);
        assert_eq!(minute.tps, 0.3);
        assert_eq!(minute.avgpt, 2.0);

        let size = stats.item(names::TOPIC_PUT_SIZE, "T").expect("counted");
        assert_eq!(size.windows().minute.sum, 600);
    }

    #[test]
    fn the_minute_window_keeps_seven_snapshots() {
        let stats = BrokerStatsManager::new("C");
        stats.record_put("T", 1, 1);
        stats.sample(Tick::TenSeconds, 10_000);
        for i in 2..=8 {
            stats.record_put("T", 1, 1);
            stats.sample(Tick::TenSeconds, i * 10_000);
        }
        // 8 puts, 8 samples and the zero one: the window keeps the last 7
        // (samples 2..=8, six intervals), so the first two puts left it.
        let minute = stats
            .item(names::TOPIC_PUT_NUMS, "T")
            .expect("counted")
            .windows()
            .minute;
        assert_eq!(minute.sum, 6);
        assert_eq!(minute.tps, 0.1);
    }

    #[test]
    fn gets_count_per_topic_and_group_and_for_the_broker() {
        let stats = BrokerStatsManager::new("DefaultCluster");
        stats.record_get("g", "T", 4, 400);
        stats.record_get("g", "rmq_sys_wheel_timer", 1, 10);
        stats.record_put("T", 2, 20);
        stats.sample(Tick::TenSeconds, 50_000);
        stats.sample(Tick::TenMinutes, 50_000);
        stats.sample(Tick::Hour, 50_000);
        let group = stats.item(names::GROUP_GET_NUMS, "T@g").expect("counted");
        assert_eq!(group.windows().minute.sum, 4);
        assert_eq!(group.windows().hour.sum, 4);
        assert_eq!(group.windows().day.sum, 4);
        let broker_get = stats
            .item(names::BROKER_GET_NUMS, "DefaultCluster")
            .expect("counted");
        assert_eq!(broker_get.windows().minute.sum, 5);
        // No calls are counted for the broker-wide items.
        assert_eq!(broker_get.windows().minute.avgpt, 0.0);
        let without_system = stats
            .item(
                names::BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC,
                "DefaultCluster",
            )
            .expect("counted");
        assert_eq!(without_system.windows().minute.sum, 4);
        let broker_put = stats
            .item(names::BROKER_PUT_NUMS, "DefaultCluster")
            .expect("counted");
        assert_eq!(broker_put.totals(), (2, 0));
    }

    #[test]
    fn a_delayed_delivery_counts_a_schedule_get_and_a_put_to_the_real_topic() {
        let stats = BrokerStatsManager::new("C");
        stats.record_schedule_delivery("Orders", 120);
        stats.sample(Tick::TenSeconds, 10_000);
        let get = stats
            .item(
                names::GROUP_GET_NUMS,
                "SCHEDULE_TOPIC_XXXX@SCHEDULE_CONSUMER",
            )
            .expect("counted");
        assert_eq!(get.windows().minute.sum, 1);
        let put = stats
            .item(names::TOPIC_PUT_SIZE, "Orders")
            .expect("counted");
        assert_eq!(put.windows().minute.sum, 120);
        assert!(stats
            .item(names::TOPIC_PUT_NUMS, "SCHEDULE_TOPIC_XXXX")
            .is_none());
    }

    #[test]
    fn deleting_a_topic_drops_its_items() {
        let stats = BrokerStatsManager::new("C");
        stats.record_put("T", 1, 1);
        stats.record_put("T2", 1, 1);
        stats.record_get("g", "T", 1, 1);
        stats.record_send_back("g", "T");
        stats.on_topic_deleted("T");
        assert!(stats.item(names::TOPIC_PUT_NUMS, "T").is_none());
        assert!(stats.item(names::GROUP_GET_NUMS, "T@g").is_none());
        assert!(stats.item(names::SNDBCK_PUT_NUMS, "T@g").is_none());
        assert!(stats.item(names::TOPIC_PUT_NUMS, "T2").is_some());
    }

    #[test]
    fn deleting_a_group_drops_its_items() {
        let stats = BrokerStatsManager::new("C");
        stats.record_get("g", "T", 1, 1);
        stats.record_get("other", "T", 1, 1);
        stats.record_send_back("g", "T");
        stats.on_group_deleted("g");
        assert!(stats.item(names::GROUP_GET_NUMS, "T@g").is_none());
        assert!(stats.item(names::SNDBCK_PUT_NUMS, "T@g").is_none());
        assert!(stats.item(names::GROUP_GET_NUMS, "T@other").is_some());
    }

    #[test]
    fn the_sampling_thread_fills_the_minute_window_at_once_and_stops() {
        let stats = BrokerStatsManager::start("C").expect("thread starts");
        stats.record_put("T", 7, 70);
        // The first ten-second tick ran at start, before the put: the
        // window gets the put at the next tick. Wait for a sample instead.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let item = stats.item(names::TOPIC_PUT_NUMS, "T").expect("counted");
            if item.windows().minute.sum == 7 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no sample within 30 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        stats.stop();
    }
}
