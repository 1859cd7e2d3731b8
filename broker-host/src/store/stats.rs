//! Put/get statistics of the store, after RocketMQ's `StoreStatsService`
//! and `BrokerStats`: counters bumped on the put and get paths (one atomic
//! add each), a snapshot of them taken every second (the store's stats
//! thread, 601 kept: TPS over 10 s, 1 min and 10 min), the put-time
//! distribution of the last full minute, and the put/get totals at the last
//! two local midnights.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use super::{DefaultMessageStore, StoreInner};

/// `MAX_RECORDS_OF_SAMPLING`: ten minutes of one-second samples (+1).
const MAX_SAMPLES: usize = 601;

/// `PUT_MESSAGE_ENTIRE_TIME_MAX_DESC`.
const DISTRIBUTION_DESC: [&str; 13] = [
    "[<=0ms]",
    "[0~10ms]",
    "[10~50ms]",
    "[50~100ms]",
    "[100~200ms]",
    "[200~500ms]",
    "[500ms~1s]",
    "[1~2s]",
    "[2~3s]",
    "[3~4s]",
    "[4~5s]",
    "[5~10s]",
    "[10s~]",
];

/// Upper bounds (ms) of the distribution's buckets, for the percentiles.
const DISTRIBUTION_UPPER: [f64; 13] = [
    0.0, 10.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 10000.0, 20000.0,
];

#[derive(Clone, Copy, Debug, Default)]
struct Snapshot {
    at_ms: i64,
    put: u64,
    found: u64,
    miss: u64,
    transferred: u64,
}

#[derive(Default)]
struct Sampled {
    samples: VecDeque<Snapshot>,
    /// The distribution of the last full minute (`null` before the first).
    last_distribution: Option<[u64; 13]>,
    last_rotation_ms: i64,
    /// Local day number of the last midnight record, and the totals then.
    day: Option<i64>,
    put_today_morning: u64,
    put_yesterday_morning: u64,
    get_today_morning: u64,
    get_yesterday_morning: u64,
}

/// The counters (see the module docs).
#[derive(Default)]
pub struct StoreStats {
    put_times: AtomicU64,
    put_size: AtomicU64,
    put_failed: AtomicU64,
    put_time_max: AtomicI64,
    put_user: AtomicU64,
    get_found: AtomicU64,
    get_miss: AtomicU64,
    get_transferred: AtomicU64,
    get_user: AtomicU64,
    get_time_max: AtomicI64,
    distribution: [AtomicU64; 13],
    sampled: Mutex<Sampled>,
}

/// `TopicValidator.isSystemTopic` for the store's counting: `rmq_sys_*` and
/// the built-in set (not the topics the broker adds at start, which the
/// store does not know; they are all `rmq_sys_*` or cluster/broker names).
fn is_system_topic(topic: &str) -> bool {
    plugin_api::topics::is_system_topic(topic)
}

/// Milliseconds of a monotonic clock that is read without a system call
/// or a TSC read (`CLOCK_MONOTONIC_COARSE`, a few ms resolution): put and
/// get times are kept in ms, as Java's `SystemClock` keeps them, and every
/// message is timed, so the precise clock's cost is not worth it here.
pub(crate) fn coarse_millis() -> i64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
    if rc != 0 {
        return 0;
    }
    now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

/// Java's `Double.toString` for the values seen here (plain range).
pub fn java_double(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_owned()
        } else if value > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    let abs = value.abs();
    if value == 0.0 || (1e-3..1e7).contains(&abs) {
        format!("{value:?}")
    } else {
        // Java: computerized scientific notation, `1.0E7`, `1.5E-4`.
        let s = format!("{value:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

fn tps(begin: &Snapshot, end: &Snapshot, pick: fn(&Snapshot) -> u64) -> f64 {
    let time = (end.at_ms - begin.at_ms) as f64;
    if time <= 0.0 {
        return 0.0;
    }
    pick(end).saturating_sub(pick(begin)) as f64 / time * 1000.0
}

impl StoreStats {
    /// A put of `msg_num` records, `bytes` long, to `topic` that took
    /// `elapsed_ms`; `ok` false counts a failed put.
    pub fn record_put(&self, topic: &str, msg_num: u64, bytes: u64, elapsed_ms: i64, ok: bool) {
        if ok {
            self.put_times.fetch_add(msg_num, Ordering::Relaxed);
            self.put_size.fetch_add(bytes, Ordering::Relaxed);
            if !is_system_topic(topic) {
                self.put_user.fetch_add(msg_num, Ordering::Relaxed);
            }
        } else {
            self.put_failed.fetch_add(1, Ordering::Relaxed);
        }
        let bucket = match elapsed_ms {
            i64::MIN..=0 => 0,
            1..=9 => 1,
            10..=49 => 2,
            50..=99 => 3,
            100..=199 => 4,
            200..=499 => 5,
            500..=999 => 6,
            1000..=1999 => 7,
            2000..=2999 => 8,
            3000..=3999 => 9,
            4000..=4999 => 10,
            5000..=9999 => 11,
            _ => 12,
        };
        self.distribution[bucket].fetch_add(1, Ordering::Relaxed);
        self.put_time_max.fetch_max(elapsed_ms, Ordering::Relaxed);
    }

    /// A get of `topic`: found (with `count` messages) or a miss.
    pub fn record_get(&self, topic: &str, found: bool, count: u64, elapsed_ms: i64) {
        if found {
            self.get_found.fetch_add(1, Ordering::Relaxed);
            if !is_system_topic(topic) {
                self.get_user.fetch_add(count, Ordering::Relaxed);
            }
        } else {
            self.get_miss.fetch_add(1, Ordering::Relaxed);
        }
        self.get_transferred.fetch_add(count, Ordering::Relaxed);
        self.get_time_max.fetch_max(elapsed_ms, Ordering::Relaxed);
    }

    /// Messages put (all topics).
    pub fn put_times_total(&self) -> u64 {
        self.put_times.load(Ordering::Relaxed)
    }

    /// One sample (`StoreStatsService.sampling`, every second), the
    /// minute's distribution rotation (`printTps`) and the midnight record
    /// (`BrokerStats.record`). `day` is the local day number of `now_ms`.
    pub fn sample(&self, now_ms: i64, day: i64) {
        let snapshot = Snapshot {
            at_ms: now_ms,
            put: self.put_times.load(Ordering::Relaxed),
            found: self.get_found.load(Ordering::Relaxed),
            miss: self.get_miss.load(Ordering::Relaxed),
            transferred: self.get_transferred.load(Ordering::Relaxed),
        };
        let mut s = self.sampled.lock();
        s.samples.push_back(snapshot);
        while s.samples.len() > MAX_SAMPLES {
            s.samples.pop_front();
        }
        if s.last_rotation_ms == 0 {
            s.last_rotation_ms = now_ms;
        } else if now_ms > s.last_rotation_ms + 60_000 {
            s.last_rotation_ms = now_ms;
            let mut last = [0u64; 13];
            for (slot, counter) in last.iter_mut().zip(&self.distribution) {
                *slot = counter.swap(0, Ordering::Relaxed);
            }
            s.last_distribution = Some(last);
        }
        match s.day {
            None => s.day = Some(day),
            Some(d) if d != day => {
                s.day = Some(day);
                s.put_yesterday_morning = s.put_today_morning;
                s.get_yesterday_morning = s.get_today_morning;
                s.put_today_morning = self.put_user.load(Ordering::Relaxed);
                s.get_today_morning = self.get_user.load(Ordering::Relaxed);
            }
            Some(_) => {}
        }
    }

    /// `getPutTps()` and friends: three doubles (10 s, 1 min, 10 min). With
    /// fewer samples than a window needs, the oldest sample is used (Java
    /// leaves the figure empty, which readers that split and parse it
    /// cannot take); with fewer than two, 0.0.
    fn three_tps(samples: &VecDeque<Snapshot>, pick: fn(&Snapshot) -> u64) -> String {
        let mut out = Vec::with_capacity(3);
        for window in [10usize, 60, 600] {
            let value = match (samples.back(), samples.len()) {
                (Some(last), n) if n >= 2 => {
                    let begin = &samples[n.saturating_sub(window + 1)];
                    tps(begin, last, pick)
                }
                _ => 0.0,
            };
            out.push(java_double(value));
        }
        out.join(" ")
    }

    /// `findPutMessageEntireTimePX` over the last minute's distribution.
    fn percentile(last: &Option<[u64; 13]>, px: f64) -> f64 {
        let Some(buckets) = last else {
            return 0.0;
        };
        let total: u64 = buckets.iter().sum();
        let index = (total as f64 * px) as u64;
        let mut passed = 0u64;
        for (i, &count) in buckets.iter().enumerate() {
            if index <= passed + count {
                let relative = (index - passed) as f64;
                let upper = DISTRIBUTION_UPPER[i];
                return if i == 0 {
                    if count == 0 {
                        0.0
                    } else {
                        upper * relative / count as f64
                    }
                } else {
                    let lower = DISTRIBUTION_UPPER[i - 1];
                    lower
                        + if count == 0 {
                            0.0
                        } else {
                            (upper - lower) * relative / count as f64
                        }
                };
            }
            passed += count;
        }
        0.0
    }

    /// The keys of `StoreStatsService.getRuntimeInfo` (but `bootTimestamp`
    /// and `runtime`, which the host writes) and of `BrokerStats`.
    pub fn runtime_info(&self) -> Vec<(String, String)> {
        let s = self.sampled.lock();
        let put_total = self.put_times.load(Ordering::Relaxed);
        let total = put_total.max(1);
        let size = self.put_size.load(Ordering::Relaxed);
        let distribution = match &s.last_distribution {
            None => "null".to_owned(),
            Some(buckets) => {
                let mut text = String::new();
                for (desc, n) in DISTRIBUTION_DESC.iter().zip(buckets) {
                    text.push_str(&format!("{desc}:{n} "));
                }
                text
            }
        };
        let found = Self::three_tps(&s.samples, |x| x.found);
        let miss = Self::three_tps(&s.samples, |x| x.miss);
        let mut get_total = Vec::with_capacity(3);
        for ((f, m), _) in found.split(' ').zip(miss.split(' ')).zip(0..3) {
            let f: f64 = f.parse().unwrap_or(0.0);
            let m: f64 = m.parse().unwrap_or(0.0);
            get_total.push(java_double(f + m));
        }
        vec![
            (
                "putMessageEntireTimeMax".to_owned(),
                self.put_time_max.load(Ordering::Relaxed).to_string(),
            ),
            ("putMessageTimesTotal".to_owned(), total.to_string()),
            (
                "putMessageFailedTimes".to_owned(),
                self.put_failed.load(Ordering::Relaxed).to_string(),
            ),
            ("putMessageSizeTotal".to_owned(), size.to_string()),
            ("putMessageDistributeTime".to_owned(), distribution),
            (
                "putMessageAverageSize".to_owned(),
                java_double(size as f64 / total as f64),
            ),
            ("dispatchMaxBuffer".to_owned(), "0".to_owned()),
            (
                "getMessageEntireTimeMax".to_owned(),
                self.get_time_max.load(Ordering::Relaxed).to_string(),
            ),
            ("putTps".to_owned(), Self::three_tps(&s.samples, |x| x.put)),
            ("getFoundTps".to_owned(), found),
            ("getMissTps".to_owned(), miss),
            ("getTotalTps".to_owned(), get_total.join(" ")),
            (
                "getTransferredTps".to_owned(),
                Self::three_tps(&s.samples, |x| x.transferred),
            ),
            (
                "putLatency99".to_owned(),
                format!("{:.2}", Self::percentile(&s.last_distribution, 0.99)),
            ),
            (
                "putLatency999".to_owned(),
                format!("{:.2}", Self::percentile(&s.last_distribution, 0.999)),
            ),
            (
                "msgPutTotalYesterdayMorning".to_owned(),
                s.put_yesterday_morning.to_string(),
            ),
            (
                "msgPutTotalTodayMorning".to_owned(),
                s.put_today_morning.to_string(),
            ),
            (
                "msgPutTotalTodayNow".to_owned(),
                self.put_user.load(Ordering::Relaxed).to_string(),
            ),
            (
                "msgGetTotalYesterdayMorning".to_owned(),
                s.get_yesterday_morning.to_string(),
            ),
            (
                "msgGetTotalTodayMorning".to_owned(),
                s.get_today_morning.to_string(),
            ),
            (
                "msgGetTotalTodayNow".to_owned(),
                self.get_user.load(Ordering::Relaxed).to_string(),
            ),
        ]
    }
}

impl DefaultMessageStore {
    /// The statistics keys of `StoreStatsService.getRuntimeInfo` and
    /// `BrokerStats` (see the module docs).
    pub fn stats_runtime_info(&self) -> Vec<(String, String)> {
        self.inner.stats.runtime_info()
    }
}

/// The `store-stats` thread: one sample a second (`StoreStatsService.run`).
pub(super) fn stats_loop(inner: &StoreInner) {
    loop {
        let now = crate::clock::now_millis();
        inner.stats.sample(now, super::index::local_day(now));
        if inner.sleep_or_stop(std::time::Duration::from_secs(1)) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(info: &'a [(String, String)], key: &str) -> &'a str {
        info.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} missing"))
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(12.5), "12.5");
        assert_eq!(java_double(10.0), "10.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
        assert_eq!(java_double(2147483647.0), "2.147483647E9");
    }

    #[test]
    fn idle_stats_read_like_a_fresh_java_store() {
        let stats = StoreStats::default();
        let info = stats.runtime_info();
        for key in [
            "putTps",
            "getFoundTps",
            "getMissTps",
            "getTotalTps",
            "getTransferredTps",
        ] {
            assert_eq!(get(&info, key), "0.0 0.0 0.0", "{key}");
        }
        assert_eq!(get(&info, "putMessageTimesTotal"), "1");
        assert_eq!(get(&info, "putMessageAverageSize"), "0.0");
        assert_eq!(get(&info, "putLatency99"), "0.00");
        assert_eq!(get(&info, "putMessageDistributeTime"), "null");
    }

    #[test]
    fn tps_over_the_sampled_windows() {
        let stats = StoreStats::default();
        stats.sample(0, 1);
        for _ in 0..25 {
            stats.record_put("T", 1, 100, 1, true);
        }
        stats.record_get("T", true, 4, 0);
        stats.record_get("T", false, 0, 0);
        stats.sample(2_000, 1);
        let info = stats.runtime_info();
        assert_eq!(get(&info, "putTps"), "12.5 12.5 12.5");
        assert_eq!(get(&info, "getFoundTps"), "0.5 0.5 0.5");
        assert_eq!(get(&info, "getTotalTps"), "1.0 1.0 1.0");
        assert_eq!(get(&info, "getTransferredTps"), "2.0 2.0 2.0");
        assert_eq!(get(&info, "putMessageTimesTotal"), "25");
        assert_eq!(get(&info, "putMessageSizeTotal"), "2500");
        assert_eq!(get(&info, "putMessageAverageSize"), "100.0");
        assert_eq!(get(&info, "msgPutTotalTodayNow"), "25");
        assert_eq!(get(&info, "msgGetTotalTodayNow"), "4");
        // System topics are not in the broker's daily totals.
        stats.record_put("rmq_sys_wheel_timer", 1, 10, 0, true);
        assert_eq!(get(&stats.runtime_info(), "msgPutTotalTodayNow"), "25");
        // A day later the morning totals move.
        stats.sample(3_000, 2);
        let info = stats.runtime_info();
        assert_eq!(get(&info, "msgPutTotalTodayMorning"), "25");
        assert_eq!(get(&info, "msgPutTotalYesterdayMorning"), "0");
        // After a minute, the distribution and the percentiles.
        stats.sample(70_000, 2);
        let info = stats.runtime_info();
        assert!(get(&info, "putMessageDistributeTime").starts_with("[<=0ms]:1 [0~10ms]:25 "));
        assert_eq!(get(&info, "putLatency99"), "9.60");
    }
}
