//! Topic and group naming rules, permission bits and the system topic names,
//! shared by the host and plugins (RocketMQ `TopicValidator`, `PermName`,
//! `MixAll`).

/// Permission bits of a topic or the broker (`PermName`).
pub mod perm {
    /// Priority.
    pub const PRIORITY: i32 = 8;
    /// Readable.
    pub const READ: i32 = 4;
    /// Writable.
    pub const WRITE: i32 = 2;
    /// Auto-created topics may inherit from this one.
    pub const INHERIT: i32 = 1;

    /// True when `perm` has READ.
    pub fn is_readable(perm: i32) -> bool {
        perm & READ == READ
    }

    /// True when `perm` has WRITE.
    pub fn is_writeable(perm: i32) -> bool {
        perm & WRITE == WRITE
    }

    /// The perm a topic is advertised with (route data, name-server
    /// registration): Java's `BrokerController.registerBrokerAll` ANDs the
    /// topic's perm with `brokerPermission` only when the broker is not both
    /// readable and writeable; otherwise the topic's own perm (INHERIT
    /// included) stands.
    pub fn advertised(topic_perm: i32, broker_perm: i32) -> i32 {
        if is_readable(broker_perm) && is_writeable(broker_perm) {
            topic_perm
        } else {
            topic_perm & broker_perm
        }
    }

    /// True when `perm` has INHERIT.
    pub fn is_inherited(perm: i32) -> bool {
        perm & INHERIT == INHERIT
    }

    /// Java's `PermName.perm2String`: `R`, `W`, `X` or `-` in that order.
    pub fn to_flags(perm: i32) -> String {
        [
            (is_readable(perm), 'R'),
            (is_writeable(perm), 'W'),
            (is_inherited(perm), 'X'),
        ]
        .iter()
        .map(|&(set, flag)| if set { flag } else { '-' })
        .collect()
    }
}

// RocketMQ's system topic names (`TopicValidator`, `MixAll`, `PopAckConstants`,
// `TimerMessageStore`): the one copy the host and the plugins share.

/// Template for auto-created topics (`AUTO_CREATE_TOPIC_KEY_TOPIC`).
pub const AUTO_CREATE_TOPIC_KEY: &str = "TBW102";
/// Delay-level topic (`RMQ_SYS_SCHEDULE_TOPIC`).
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Benchmark topic (`RMQ_SYS_BENCHMARK_TOPIC`).
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Half (prepared) transaction messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transaction op messages.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages checked too often.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Default message-trace topic (`msgTraceTopicName`).
pub const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// Self test.
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
/// Offset-moved events.
pub const OFFSET_MOVED_EVENT_TOPIC: &str = "OFFSET_MOVED_EVENT";
/// RocksDB offset checkpoints (5.x).
pub const ROCKSDB_OFFSET_TOPIC: &str = "CHECKPOINT_TOPIC";
/// Timer-wheel topic (5.x, `timerWheelEnable`).
pub const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
/// Every topic starting with this is a system topic.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// `<cluster>_REPLY_TOPIC`, seeded per cluster.
pub const REPLY_TOPIC_SUFFIX: &str = "_REPLY_TOPIC";
/// `rmq_sys_REVIVE_LOG_<cluster>` (POP).
pub const REVIVE_TOPIC_PREFIX: &str = "rmq_sys_REVIVE_LOG_";
/// `rmq_sys_SYNC_BROKER_MEMBER_<broker>`.
pub const SYNC_BROKER_MEMBER_TOPIC_PREFIX: &str = "rmq_sys_SYNC_BROKER_MEMBER_";
/// Prefix of a group's retry topic.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a group's dead-letter topic.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Longest ordinary topic name.
pub const TOPIC_MAX_LENGTH: usize = 127;
/// Longest retry/DLQ topic name.
pub const RETRY_OR_DLQ_TOPIC_MAX_LENGTH: usize = 255;

/// `TopicValidator`'s static system-topic set.
pub const SYSTEM_TOPICS: [&str; 10] = [
    AUTO_CREATE_TOPIC_KEY,
    SCHEDULE_TOPIC,
    BENCHMARK_TOPIC,
    TRANS_HALF_TOPIC,
    TRACE_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT_TOPIC,
    ROCKSDB_OFFSET_TOPIC,
];

/// Topics clients may never send to.
pub const NOT_ALLOWED_SEND_TOPICS: [&str; 6] = [
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT_TOPIC,
];

/// `TopicValidator.isSystemTopic`: `rmq_sys_*` or one of [`SYSTEM_TOPICS`].
/// The broker's topic table also counts the topics it seeds under its
/// cluster and broker names; this test knows names alone.
pub fn is_system_topic(topic: &str) -> bool {
    topic.starts_with(SYSTEM_TOPIC_PREFIX) || SYSTEM_TOPICS.contains(&topic)
}

/// `%RETRY%<group>`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `%DLQ%<group>`.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

/// True for topics clients may not send to.
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

/// True when `name` has a character outside `[%|a-zA-Z0-9_-]`.
pub fn has_illegal_char(name: &str) -> bool {
    !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// `TopicValidator.validateTopic`: not blank, characters `[%|a-zA-Z0-9_-]`,
/// at most 127 characters (255 for `%RETRY%` / `%DLQ%` topics, as Java after
/// 5.3.3 allows: `RETRY_OR_DLQ_TOPIC_MAX_LENGTH`). The error is Java 5.3.3's remark.
pub fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("The specified topic is blank.".to_owned());
    }
    if has_illegal_char(name) {
        return Err(
            "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
                .to_owned(),
        );
    }
    let limit =
        if name.starts_with(RETRY_GROUP_TOPIC_PREFIX) || name.starts_with(DLQ_GROUP_TOPIC_PREFIX) {
            RETRY_OR_DLQ_TOPIC_MAX_LENGTH
        } else {
            TOPIC_MAX_LENGTH
        };
    if name.len() > limit {
        return Err("The specified topic is longer than topic max length.".to_owned());
    }
    Ok(())
}

/// `messageDelayLevel`'s default: 18 levels, 1 s to 2 h.
pub const DEFAULT_DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

/// Parses `messageDelayLevel` (`"1s 5s 10s 30s 1m ... 2h"`) into milliseconds
/// per level (level 1 first). Units s, m, h, d.
pub fn parse_delay_levels(text: &str) -> Result<Vec<u64>, String> {
    text.split_whitespace()
        .map(|level| {
            let (number, unit) = level.split_at(level.len().saturating_sub(1));
            let factor = match unit {
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => return Err(format!("invalid delay level {level:?}")),
            };
            number
                .parse::<u64>()
                .map(|n| n * factor)
                .map_err(|_| format!("invalid delay level {level:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_topics() {
        for prefixed in [
            TIMER_TOPIC,
            REVIVE_TOPIC_PREFIX,
            SYNC_BROKER_MEMBER_TOPIC_PREFIX,
        ] {
            assert!(prefixed.starts_with(SYSTEM_TOPIC_PREFIX), "{prefixed}");
            assert!(is_system_topic(prefixed), "{prefixed}");
        }
        assert!(is_system_topic("TBW102"));
        assert!(is_system_topic("CHECKPOINT_TOPIC"));
        assert!(!is_system_topic("TopicTest"));
        assert!(!is_system_topic("%RETRY%group"));
        assert!(NOT_ALLOWED_SEND_TOPICS
            .iter()
            .all(|topic| SYSTEM_TOPICS.contains(topic)));
    }

    #[test]
    fn topic_names() {
        assert!(validate_topic_name("TopicTest").is_ok());
        assert!(validate_topic_name("%RETRY%group_1-a|b").is_ok());
        assert!(validate_topic_name("").is_err());
        assert!(validate_topic_name("bad topic").is_err());
        assert!(validate_topic_name(&"x".repeat(128)).is_err());
        assert!(validate_topic_name(&format!("%RETRY%{}", "x".repeat(200))).is_ok());
    }

    #[test]
    fn delay_levels() {
        let levels = parse_delay_levels(DEFAULT_DELAY_LEVELS).expect("default levels");
        assert_eq!(levels.len(), 18);
        assert_eq!(
            (levels[0], levels[4], levels[17]),
            (1_000, 60_000, 7_200_000)
        );
        assert!(parse_delay_levels("1x").is_err());
    }

    #[test]
    fn flags_are_written_as_java_writes_them() {
        assert_eq!(
            perm::advertised(7, 6),
            7,
            "a read-write broker keeps INHERIT"
        );
        assert_eq!(perm::advertised(6, 7), 6);
        assert_eq!(perm::advertised(7, 4), 4, "a read-only broker");
        assert_eq!(perm::advertised(6, 2), 2, "a write-only broker");
        assert_eq!(perm::to_flags(7), "RWX");
        assert_eq!(perm::to_flags(6), "RW-");
        assert_eq!(perm::to_flags(4), "R--");
        assert_eq!(perm::to_flags(0), "---");
        assert_eq!(perm::to_flags(perm::PRIORITY | perm::INHERIT), "--X");
    }
}
