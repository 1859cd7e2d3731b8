//! Names of RocketMQ's system topics (`TopicValidator`, `MixAll`), shared
//! by the topic table (`metadata::topic_config`) and the store's statistics,
//! which leave system topics out.

/// Template for auto-created topics.
pub const AUTO_CREATE_TOPIC_KEY: &str = "TBW102";
/// Self test.
pub const SELF_TEST: &str = "SELF_TEST_TOPIC";
/// Benchmark.
pub const BENCHMARK: &str = "BenchmarkTest";
/// Offset-moved events.
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// Delay levels.
pub const SCHEDULE: &str = "SCHEDULE_TOPIC_XXXX";
/// Half (prepared) transaction messages.
pub const TRANS_HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transaction op messages.
pub const TRANS_OP_HALF: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages checked too often.
pub const TRANS_CHECK_MAX_TIME: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Default message-trace topic.
pub const TRACE: &str = "RMQ_SYS_TRACE_TOPIC";
/// RocksDB offset checkpoints (5.x).
pub const ROCKSDB_OFFSET: &str = "CHECKPOINT_TOPIC";
/// Timer-wheel messages (5.x).
pub const TIMER: &str = plugin_api::topics::TIMER_TOPIC;
/// Every topic starting with this is a system topic.
pub const SYSTEM_PREFIX: &str = "rmq_sys_";
/// Retry topics: `%RETRY%<group>`.
pub const RETRY_PREFIX: &str = "%RETRY%";
/// Dead-letter topics: `%DLQ%<group>`.
pub const DLQ_PREFIX: &str = "%DLQ%";
/// `<cluster>_REPLY_TOPIC`.
pub const REPLY_SUFFIX: &str = "_REPLY_TOPIC";
/// `rmq_sys_REVIVE_LOG_<cluster>` (POP).
pub const REVIVE_PREFIX: &str = "rmq_sys_REVIVE_LOG_";
/// `rmq_sys_SYNC_BROKER_MEMBER_<broker>`.
pub const SYNC_BROKER_MEMBER_PREFIX: &str = "rmq_sys_SYNC_BROKER_MEMBER_";

/// `TopicValidator`'s static system-topic set.
pub const BUILTIN: &[&str] = &[
    AUTO_CREATE_TOPIC_KEY,
    SCHEDULE,
    BENCHMARK,
    TRANS_HALF,
    TRACE,
    TRANS_OP_HALF,
    TRANS_CHECK_MAX_TIME,
    SELF_TEST,
    OFFSET_MOVED_EVENT,
    ROCKSDB_OFFSET,
];

/// Topics clients may never send to.
pub const NOT_ALLOWED_SEND: &[&str] = &[
    SCHEDULE,
    TRANS_HALF,
    TRANS_OP_HALF,
    TRANS_CHECK_MAX_TIME,
    SELF_TEST,
    OFFSET_MOVED_EVENT,
];
