//! Broker metadata: topics (and, later, consumer offsets, subscription
//! groups and consumer filters), each owned by one manager as in RocketMQ.

pub mod topic_config;

pub use topic_config::{TopicConfig, TopicConfigManager, TopicFilterType};
