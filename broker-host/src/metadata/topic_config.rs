//! The topic table (`TopicConfigManager`): system topics seeded at startup
//! as RocketMQ's constructor does (broker-startup.md §9.1).

use std::collections::HashMap;

use parking_lot::RwLock;
use plugin_api::ffi::FfiTopicConfig;

use crate::config::BrokerConfig;

/// Permission bits (RocketMQ `PermName`).
pub mod perm {
    /// Priority.
    pub const PRIORITY: i32 = 8;
    /// Consumers may read.
    pub const READ: i32 = 4;
    /// Producers may write.
    pub const WRITE: i32 = 2;
    /// Auto-created topics inherit from this one (TBW102).
    pub const INHERIT: i32 = 1;
}

/// Names of the topics RocketMQ creates at startup.
pub mod system_topic {
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
}

/// `SINGLE_TAG` or `MULTI_TAG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopicFilterType {
    /// One tag per message (the default).
    #[default]
    SingleTag,
    /// Several tags per message.
    MultiTag,
}

/// One topic's configuration, as in `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    /// Topic name.
    pub topic_name: String,
    /// Readable queues.
    pub read_queue_nums: i32,
    /// Writable queues.
    pub write_queue_nums: i32,
    /// Permission bits (see [`perm`]).
    pub perm: i32,
    /// Tag filter type.
    pub topic_filter_type: TopicFilterType,
    /// System flag bits.
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
}

impl TopicConfig {
    /// A topic with RocketMQ's `TopicConfig` defaults (16/16 queues, perm 6).
    pub fn new(topic_name: impl Into<String>) -> Self {
        TopicConfig {
            topic_name: topic_name.into(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            perm: perm::READ | perm::WRITE,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_sys_flag: 0,
            order: false,
        }
    }

    /// Same topic with `queues` read and write queues and `perm`.
    pub fn with_queues(mut self, queues: i32, perm: i32) -> Self {
        self.read_queue_nums = queues;
        self.write_queue_nums = queues;
        self.perm = perm;
        self
    }

    /// The ABI form handed to plugins.
    pub fn to_ffi(&self) -> FfiTopicConfig {
        FfiTopicConfig {
            topic_name: self.topic_name.as_str().into(),
            read_queue_nums: self.read_queue_nums,
            write_queue_nums: self.write_queue_nums,
            perm: self.perm,
            topic_filter_type: match self.topic_filter_type {
                TopicFilterType::SingleTag => 0,
                TopicFilterType::MultiTag => 1,
            },
            topic_sys_flag: self.topic_sys_flag,
            order: self.order,
        }
    }
}

/// The broker's topic table.
#[derive(Debug, Default)]
pub struct TopicConfigManager {
    topics: RwLock<HashMap<String, TopicConfig>>,
}

impl TopicConfigManager {
    /// The table with RocketMQ 5.x's startup system topics for `config`.
    pub fn with_system_topics(config: &BrokerConfig) -> Self {
        let rw = perm::READ | perm::WRITE;
        let mut topics = vec![TopicConfig::new(system_topic::SELF_TEST).with_queues(1, rw)];
        if config.auto_create_topic_enable {
            topics.push(
                TopicConfig::new(system_topic::AUTO_CREATE_TOPIC_KEY)
                    .with_queues(config.default_topic_queue_nums, rw | perm::INHERIT),
            );
        }
        topics.push(TopicConfig::new(system_topic::BENCHMARK).with_queues(1024, rw));
        let cluster_perm = perm::INHERIT | if config.cluster_topic_enable { rw } else { 0 };
        topics.push(TopicConfig::new(&config.broker_cluster_name).with_queues(16, cluster_perm));
        let broker_perm = perm::INHERIT | if config.broker_topic_enable { rw } else { 0 };
        topics.push(TopicConfig::new(&config.broker_name).with_queues(1, broker_perm));
        topics.push(TopicConfig::new(system_topic::OFFSET_MOVED_EVENT).with_queues(1, rw));
        topics.push(TopicConfig::new(system_topic::SCHEDULE).with_queues(18, rw));
        if config.trace_topic_enable {
            topics.push(TopicConfig::new(&config.msg_trace_topic_name).with_queues(1, rw));
        }
        topics.push(
            TopicConfig::new(format!("{}_REPLY_TOPIC", config.broker_cluster_name))
                .with_queues(1, rw),
        );
        topics.push(
            TopicConfig::new(format!("rmq_sys_REVIVE_LOG_{}", config.broker_cluster_name))
                .with_queues(config.revive_queue_num, rw),
        );
        topics.push(
            TopicConfig::new(format!("rmq_sys_SYNC_BROKER_MEMBER_{}", config.broker_name))
                .with_queues(1, perm::INHERIT),
        );
        topics.push(TopicConfig::new(system_topic::TRANS_HALF).with_queues(1, rw));
        topics.push(TopicConfig::new(system_topic::TRANS_OP_HALF).with_queues(1, rw));

        let manager = TopicConfigManager::default();
        {
            let mut table = manager.topics.write();
            for topic in topics {
                table.insert(topic.topic_name.clone(), topic);
            }
        }
        manager
    }

    /// One topic's config.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.topics.read().get(topic).cloned()
    }

    /// Every topic's config, sorted by name.
    pub fn all(&self) -> Vec<TopicConfig> {
        let mut all: Vec<TopicConfig> = self.topics.read().values().cloned().collect();
        all.sort_by(|a, b| a.topic_name.cmp(&b.topic_name));
        all
    }

    /// Adds or replaces a topic.
    pub fn put(&self, topic: TopicConfig) {
        self.topics.write().insert(topic.topic_name.clone(), topic);
    }

    /// Number of topics.
    pub fn len(&self) -> usize {
        self.topics.read().len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.topics.read().is_empty()
    }
}
