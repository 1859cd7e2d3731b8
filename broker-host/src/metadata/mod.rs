//! Broker metadata: topics, consumer offsets, subscription groups, consumer
//! filters and delay offsets, each owned by one manager as in RocketMQ and
//! persisted to `<storePathRootDir>/config/*.json` in RocketMQ's exact file
//! formats (each manager's `encode(true)`), crash-safely ([`persist`]).
//!
//! [`MetadataStore::load`] seeds the system topics and groups, then loads
//! every file (`<f>` → `<f>.bak` → defaults; a corrupt file without a good
//! backup is an error, never a silently empty table).

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod consumer_filter;
pub mod consumer_offset;
pub mod data_version;
pub mod delay_offset;
pub mod json;
pub mod persist;
pub mod subscription_group;
pub mod topic_config;

pub use consumer_filter::{ConsumerFilterData, ConsumerFilterManager, FilterSubscription};
pub use consumer_offset::ConsumerOffsetManager;
pub use data_version::DataVersion;
pub use delay_offset::DelayOffsetManager;
pub use persist::{ConfigFile, LoadReport, LoadSource};
pub use subscription_group::{GroupRetryPolicy, SubscriptionGroupConfig, SubscriptionGroupManager};
pub use topic_config::{
    is_not_allowed_send_topic, validate_group_name, validate_topic_name, TopicConfig,
    TopicConfigManager, TopicFilterType,
};

use crate::config::BrokerConfig;

/// Why metadata could not be loaded or written.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// Reading or writing a file failed.
    #[error("metadata file {}: {source}", path.display())]
    Io {
        /// The file (or directory).
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A file does not parse and nothing better was there to fall back to.
    #[error("metadata file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },
    /// Both the file and its backup are corrupt.
    #[error(
        "metadata file {} is corrupt ({reason}) and so is its backup {} ({backup_reason})",
        path.display(),
        backup.display()
    )]
    CorruptWithBackup {
        /// The main file.
        path: PathBuf,
        /// Why it did not parse.
        reason: String,
        /// The backup.
        backup: PathBuf,
        /// Why the backup did not parse.
        backup_reason: String,
    },
    /// An attribute change request was malformed.
    #[error("invalid attributes: {0}")]
    InvalidAttributes(String),
}

/// All five metadata managers of a broker.
#[derive(Debug)]
pub struct MetadataStore {
    dir: PathBuf,
    topics: Arc<TopicConfigManager>,
    consumer_offsets: Arc<ConsumerOffsetManager>,
    subscription_groups: Arc<SubscriptionGroupManager>,
    consumer_filters: Arc<ConsumerFilterManager>,
    delay_offsets: Arc<DelayOffsetManager>,
}

impl MetadataStore {
    /// Seeds the system topics and groups, then loads every file from
    /// `config.store_config_dir()`.
    pub fn load(config: &BrokerConfig) -> Result<MetadataStore, MetadataError> {
        MetadataStore::load_from(config, &config.store_config_dir())
    }

    /// As [`load`](Self::load), from `dir`.
    pub fn load_from(config: &BrokerConfig, dir: &Path) -> Result<MetadataStore, MetadataError> {
        Ok(MetadataStore {
            dir: dir.to_path_buf(),
            topics: Arc::new(TopicConfigManager::load(config, dir)?),
            consumer_offsets: Arc::new(ConsumerOffsetManager::load(dir)?),
            subscription_groups: Arc::new(SubscriptionGroupManager::load(config, dir)?),
            consumer_filters: Arc::new(ConsumerFilterManager::load(dir)?),
            delay_offsets: Arc::new(DelayOffsetManager::load(dir)?),
        })
    }

    /// The `config/` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `topics.json`.
    pub fn topics(&self) -> &Arc<TopicConfigManager> {
        &self.topics
    }

    /// `consumerOffset.json`.
    pub fn consumer_offsets(&self) -> &Arc<ConsumerOffsetManager> {
        &self.consumer_offsets
    }

    /// `subscriptionGroup.json`.
    pub fn subscription_groups(&self) -> &Arc<SubscriptionGroupManager> {
        &self.subscription_groups
    }

    /// `consumerFilter.json`.
    pub fn consumer_filters(&self) -> &Arc<ConsumerFilterManager> {
        &self.consumer_filters
    }

    /// `delayOffset.json`.
    pub fn delay_offsets(&self) -> &Arc<DelayOffsetManager> {
        &self.delay_offsets
    }

    /// How each file was loaded, in load order.
    pub fn load_reports(&self) -> Vec<LoadReport> {
        [
            self.topics.load_report(),
            self.consumer_offsets.load_report(),
            self.subscription_groups.load_report(),
            self.consumer_filters.load_report(),
            self.delay_offsets.load_report(),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    /// Writes every file (shutdown order of 5.x: filters, delay offsets,
    /// topics, groups, consumer offsets last). Every file is attempted; the
    /// first error is returned.
    pub fn persist_all(&self) -> Result<(), MetadataError> {
        let results = [
            self.consumer_filters.persist(),
            self.delay_offsets.persist(),
            self.topics.persist(),
            self.subscription_groups.persist(),
            self.consumer_offsets.persist(),
        ];
        let mut first = None;
        for result in results {
            if let Err(error) = result {
                tracing::error!(%error, "failed to persist metadata");
                first.get_or_insert(error);
            }
        }
        first.map_or(Ok(()), Err)
    }
}
