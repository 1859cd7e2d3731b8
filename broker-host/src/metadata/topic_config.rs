//! The topic table (`TopicConfigManager`, `topics.json`): system topics
//! seeded at startup as RocketMQ's constructor does (broker-startup.md §9.1),
//! then the file's entries on top; topics created on demand by SEND and
//! CONSUMER_SEND_MSG_BACK (§9.2, request-codes.md SEND steps 5–7). Every
//! change bumps the [`DataVersion`] and persists the file.

use crate::FastMap;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use parking_lot::RwLock;
use plugin_api::ffi::FfiTopicConfig;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::data_version::DataVersion;
use super::json::{self, Json};
use super::persist::{ConfigFile, LoadReport};
use super::MetadataError;
use crate::config::BrokerConfig;

/// File name under `<storePathRootDir>/config`.
pub const TOPICS_FILE: &str = "topics.json";

/// Permission bits (RocketMQ `PermName`): plugin-api's, so that the host and
/// the plugins share one set of rules (e.g. [`perm::advertised`]).
pub mod perm {
    pub use plugin_api::topics::perm::*;
}

/// Names of RocketMQ's system topics (`TopicValidator`, `MixAll`).
pub use crate::system_topic;

pub use plugin_api::topics::{RETRY_OR_DLQ_TOPIC_MAX_LENGTH, TOPIC_MAX_LENGTH};
/// Longest group name.
pub const GROUP_MAX_LENGTH: usize = 120;

// One rule for the host and the plugins.
use plugin_api::topics::has_illegal_char;
pub use plugin_api::topics::validate_topic_name;

/// `TopicValidator.validateGroup`: not blank, characters `[%|a-zA-Z0-9_-]`,
/// at most 120 characters.
pub fn validate_group_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("The specified group is blank.".to_owned());
    }
    if has_illegal_char(name) {
        return Err(format!(
            "The specified group: {name}, contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        ));
    }
    if name.len() > GROUP_MAX_LENGTH {
        return Err(format!(
            "The specified group: {name}, is longer than group max length: {GROUP_MAX_LENGTH}"
        ));
    }
    Ok(())
}

/// Topics clients may not send to (`TopicValidator.isNotAllowedSendTopic`).
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    system_topic::NOT_ALLOWED_SEND.contains(&topic)
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

impl TopicFilterType {
    /// Java's enum name.
    pub fn as_str(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    /// From Java's enum name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

impl Serialize for TopicFilterType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TopicFilterType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TopicFilterType::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown topicFilterType {name}")))
    }
}

/// One topic's configuration, as in `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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
    /// 5.x attributes, e.g. `message.type` → `NORMAL` (absent in 4.9 files).
    pub attributes: BTreeMap<String, String>,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig::new("")
    }
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
            attributes: BTreeMap::new(),
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

    /// The fastjson bean form (fields sorted, as in `topics.json`).
    pub fn to_json(&self) -> Json {
        Json::from_value(&serde_json::to_value(self).unwrap_or_default())
    }
}

#[derive(Debug, Default)]
struct TopicTable {
    topics: FastMap<String, TopicConfig>,
    data_version: DataVersion,
}

/// The broker's topic table.
#[derive(Debug, Default)]
pub struct TopicConfigManager {
    table: RwLock<TopicTable>,
    system_topics: RwLock<HashSet<String>>,
    auto_create_topic_enable: bool,
    file: Option<ConfigFile>,
    load_report: Option<LoadReport>,
}

/// The result of decoding `topics.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicsFile {
    /// The file's version (`None` if absent).
    pub data_version: Option<DataVersion>,
    /// Topic name → config.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl TopicsFile {
    /// Decodes `topics.json` text (5.x or 4.9 shape).
    pub fn decode(text: &str) -> Result<TopicsFile, String> {
        let value = json::parse(text).map_err(|e| e.to_string())?;
        let mut file: TopicsFile = serde_json::from_value(value).map_err(|e| e.to_string())?;
        for (name, config) in file.topic_config_table.iter_mut() {
            if config.topic_name.is_empty() {
                config.topic_name = name.clone();
            }
        }
        Ok(file)
    }
}

impl TopicConfigManager {
    /// The table with RocketMQ 5.x's startup system topics for `config`,
    /// in memory only ([`persist`](Self::persist) does nothing).
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
            TopicConfig::new(format!(
                "{}{}",
                config.broker_cluster_name,
                system_topic::REPLY_SUFFIX
            ))
            .with_queues(1, rw),
        );
        topics.push(
            TopicConfig::new(format!(
                "{}{}",
                system_topic::REVIVE_PREFIX,
                config.broker_cluster_name
            ))
            .with_queues(config.revive_queue_num, rw),
        );
        topics.push(
            TopicConfig::new(format!(
                "{}{}",
                system_topic::SYNC_BROKER_MEMBER_PREFIX,
                config.broker_name
            ))
            .with_queues(1, perm::INHERIT),
        );
        topics.push(TopicConfig::new(system_topic::TRANS_HALF).with_queues(1, rw));
        topics.push(TopicConfig::new(system_topic::TRANS_OP_HALF).with_queues(1, rw));
        if config.timer_wheel_enable {
            topics.push(TopicConfig::new(system_topic::TIMER).with_queues(1, rw));
        }

        let mut system: HashSet<String> = system_topic::BUILTIN
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut table = TopicTable::default();
        for topic in topics {
            system.insert(topic.topic_name.clone());
            table.topics.insert(topic.topic_name.clone(), topic);
        }
        TopicConfigManager {
            table: RwLock::new(table),
            system_topics: RwLock::new(system),
            auto_create_topic_enable: config.auto_create_topic_enable,
            file: None,
            load_report: None,
        }
    }

    /// The system topics of `config`, then `<dir>/topics.json` (or its
    /// `.bak`) on top; later changes are persisted there.
    pub fn load(config: &BrokerConfig, dir: &Path) -> Result<Self, MetadataError> {
        let mut manager = TopicConfigManager::with_system_topics(config);
        let file = ConfigFile::new(dir.join(TOPICS_FILE));
        let (loaded, report) = file.load(TopicsFile::decode)?;
        if let Some(loaded) = loaded {
            let table = manager.table.get_mut();
            for (name, topic) in loaded.topic_config_table {
                table.topics.insert(name, topic);
            }
            if let Some(version) = loaded.data_version {
                table.data_version = version;
            }
        }
        manager.file = Some(file);
        manager.load_report = Some(report);
        Ok(manager)
    }

    /// How the file was loaded (`None` for an in-memory table).
    pub fn load_report(&self) -> Option<&LoadReport> {
        self.load_report.as_ref()
    }

    /// One topic's config.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.table.read().topics.get(topic).cloned()
    }

    /// `f` of a topic's config, read in place (no clone of the whole config:
    /// the send path asks once per message).
    pub fn read<T>(&self, topic: &str, f: impl FnOnce(&TopicConfig) -> T) -> Option<T> {
        self.table.read().topics.get(topic).map(f)
    }

    /// True if the topic exists.
    pub fn contains(&self, topic: &str) -> bool {
        self.table.read().topics.contains_key(topic)
    }

    /// Every topic's config, sorted by name.
    pub fn all(&self) -> Vec<TopicConfig> {
        self.snapshot().0
    }

    /// Every topic's config (sorted by name) and the table's version, read
    /// together (for REGISTER_BROKER / GET_ALL_TOPIC_CONFIG).
    pub fn snapshot(&self) -> (Vec<TopicConfig>, DataVersion) {
        let table = self.table.read();
        let mut all: Vec<TopicConfig> = table.topics.values().cloned().collect();
        all.sort_by(|a, b| a.topic_name.cmp(&b.topic_name));
        (all, table.data_version)
    }

    /// Adds or replaces a topic in memory only (no version bump, no
    /// persist; Java's `putTopicConfig`). Use [`update_topic_config`](Self::update_topic_config)
    /// for an administrative change.
    pub fn put(&self, topic: TopicConfig) {
        self.table
            .write()
            .topics
            .insert(topic.topic_name.clone(), topic);
    }

    /// Number of topics.
    pub fn len(&self) -> usize {
        self.table.read().topics.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.read().topics.is_empty()
    }

    /// The table's current version.
    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version
    }

    /// True for the system topics (`TopicValidator.isSystemTopic`): the
    /// built-in set, every topic seeded at startup, and `rmq_sys_*`.
    pub fn is_system_topic(&self, topic: &str) -> bool {
        topic.starts_with(system_topic::SYSTEM_PREFIX) || self.system_topics.read().contains(topic)
    }

    /// Topics clients may not send to.
    pub fn is_not_allowed_send_topic(&self, topic: &str) -> bool {
        is_not_allowed_send_topic(topic)
    }

    /// True if the topic exists and is ordered.
    pub fn is_order_topic(&self, topic: &str) -> bool {
        self.table.read().topics.get(topic).is_some_and(|t| t.order)
    }

    /// SEND step 5 (`createTopicInSendMessageMethod`): an existing topic is
    /// returned as is; otherwise `topic` is created from `default_topic` if
    /// that exists and has INHERIT: read = write queues =
    /// `min(client_default_queue_nums, default.writeQueueNums)` (at least
    /// 0), perm = default perm without INHERIT, the default's filter type,
    /// `topic_sys_flag`. When `autoCreateTopicEnable` is off, TBW102 counts
    /// as not inheritable. Persists. `None` if nothing could be created.
    pub fn create_topic_in_send_message(
        &self,
        topic: &str,
        default_topic: &str,
        client_default_queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        let created = {
            let mut table = self.table.write();
            if let Some(existing) = table.topics.get(topic) {
                return Some(existing.clone());
            }
            if let Err(reason) = validate_topic_name(topic) {
                tracing::warn!(%topic, %reason, "not creating topic with an invalid name");
                return None;
            }
            let Some(default) = table.topics.get(default_topic) else {
                tracing::warn!(%topic, %default_topic, "create new topic failed: the default topic does not exist");
                return None;
            };
            let mut default_perm = default.perm;
            if default_topic == system_topic::AUTO_CREATE_TOPIC_KEY
                && !self.auto_create_topic_enable
            {
                default_perm = perm::READ | perm::WRITE;
            }
            if !perm::is_inherited(default_perm) {
                tracing::warn!(%topic, %default_topic, perm = default_perm, "create new topic failed: the default topic has no INHERIT perm");
                return None;
            }
            let queues = client_default_queue_nums
                .min(default.write_queue_nums)
                .max(0);
            let mut config =
                TopicConfig::new(topic).with_queues(queues, default_perm & !perm::INHERIT);
            config.topic_sys_flag = topic_sys_flag;
            config.topic_filter_type = default.topic_filter_type;
            table.topics.insert(topic.to_owned(), config.clone());
            table.data_version.next_version();
            config
        };
        tracing::info!(%topic, %default_topic, config = ?created, "created new topic from the default topic");
        self.persist_logged();
        Some(created)
    }

    /// `createTopicInSendMessageBackMethod` (retry and DLQ topics): an
    /// existing topic is returned unchanged; otherwise it is created with
    /// `queues` read/write queues, `perm` and `topic_sys_flag`, and
    /// persisted.
    pub fn create_topic_in_send_back(
        &self,
        topic: &str,
        queues: i32,
        perm: i32,
        topic_sys_flag: i32,
    ) -> TopicConfig {
        if let Some(existing) = self.get(topic) {
            return existing;
        }
        let mut config = TopicConfig::new(topic).with_queues(queues, perm);
        config.topic_sys_flag = topic_sys_flag;
        self.create_topic_if_absent(config)
    }

    /// As [`create_topic_in_send_back`](Self::create_topic_in_send_back),
    /// with Java's `isOrder` overload: the topic's `order` is set to
    /// `is_order`, also for an existing topic (then updated and persisted).
    pub fn create_topic_in_send_back_ordered(
        &self,
        topic: &str,
        queues: i32,
        perm: i32,
        is_order: bool,
        topic_sys_flag: i32,
    ) -> TopicConfig {
        if let Some(mut existing) = self.get(topic) {
            if existing.order != is_order {
                existing.order = is_order;
                self.replace(existing.clone());
            }
            return existing;
        }
        let mut config = TopicConfig::new(topic).with_queues(queues, perm);
        config.topic_sys_flag = topic_sys_flag;
        config.order = is_order;
        self.create_topic_if_absent(config)
    }

    /// Inserts `config` unless its topic exists; returns what is in the
    /// table afterwards. Persists when it inserted.
    pub fn create_topic_if_absent(&self, config: TopicConfig) -> TopicConfig {
        let created = {
            let mut table = self.table.write();
            if let Some(existing) = table.topics.get(&config.topic_name) {
                return existing.clone();
            }
            table
                .topics
                .insert(config.topic_name.clone(), config.clone());
            table.data_version.next_version();
            config
        };
        tracing::info!(topic = %created.topic_name, config = ?created, "created new topic");
        self.persist_logged();
        created
    }

    /// Creates or replaces a topic (UPDATE_AND_CREATE_TOPIC), bumps the
    /// version and persists. Attributes follow Java's `AttributeUtil`: if
    /// any requested key starts with `+` or `-`, the request is a delta
    /// (`+key` adds or updates, `-key` deletes an existing key; only `+`
    /// when creating); otherwise the requested map replaces the current one.
    pub fn update_topic_config(&self, mut config: TopicConfig) -> Result<(), MetadataError> {
        {
            let mut table = self.table.write();
            let current = table.topics.get(&config.topic_name);
            config.attributes = alter_attributes(
                current.is_none(),
                current.map(|c| &c.attributes),
                &config.attributes,
            )
            .map_err(MetadataError::InvalidAttributes)?;
            let old = table
                .topics
                .insert(config.topic_name.clone(), config.clone());
            table.data_version.next_version();
            match old {
                Some(old) => tracing::info!(?old, new = ?config, "updated topic config"),
                None => tracing::info!(new = ?config, "created new topic"),
            }
        }
        self.persist_logged();
        Ok(())
    }

    fn replace(&self, config: TopicConfig) {
        {
            let mut table = self.table.write();
            table.topics.insert(config.topic_name.clone(), config);
            table.data_version.next_version();
        }
        self.persist_logged();
    }

    /// Removes a topic; bumps the version and persists if it existed.
    pub fn delete_topic(&self, topic: &str) -> Option<TopicConfig> {
        let old = {
            let mut table = self.table.write();
            let old = table.topics.remove(topic);
            if old.is_some() {
                table.data_version.next_version();
            }
            old
        };
        match &old {
            Some(old) => {
                tracing::info!(?old, "deleted topic config");
                self.persist_logged();
            }
            None => tracing::warn!(%topic, "delete topic config failed: topic does not exist"),
        }
        old
    }

    /// `topics.json` text: 5.x shape, pretty (files) or compact (bodies).
    pub fn encode(&self, pretty: bool) -> String {
        let table = self.table.read();
        let mut names: Vec<&String> = table.topics.keys().collect();
        names.sort();
        let topics = Json::object(
            names
                .into_iter()
                .map(|n| (n.as_str(), table.topics[n].to_json())),
        );
        let json = Json::object([
            ("dataVersion", table.data_version.to_json()),
            ("topicConfigTable", topics),
        ]);
        if pretty {
            json.to_pretty()
        } else {
            json.to_compact()
        }
    }

    /// Writes `topics.json` now (no-op for an in-memory table).
    pub fn persist(&self) -> Result<(), MetadataError> {
        match &self.file {
            Some(file) => file.persist_with(|| self.encode(true)),
            None => Ok(()),
        }
    }

    fn persist_logged(&self) {
        if let Err(error) = self.persist() {
            tracing::error!(%error, "failed to persist topics.json");
        }
    }
}

/// Java's `AttributeUtil.alterCurrentAttributes` without the per-key
/// registry: `+k` adds/updates, `-k` deletes (must exist), only `+` when
/// creating; a request without any prefixed key replaces the whole map.
pub fn alter_attributes(
    create: bool,
    current: Option<&BTreeMap<String, String>>,
    requested: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    if !requested
        .keys()
        .any(|k| k.starts_with('+') || k.starts_with('-'))
    {
        return Ok(requested.clone());
    }
    let mut result = current.cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    for (key, value) in requested {
        let real = key.get(1..).unwrap_or_default();
        if real.is_empty() || real.contains('+') || real.contains('-') {
            return Err(format!("kv string format wrong: {key}"));
        }
        if !seen.insert(real) {
            return Err(format!("alter duplication key. key: {real}"));
        }
        match key.as_bytes()[0] {
            b'+' => {
                result.insert(real.to_owned(), value.clone());
            }
            b'-' if create => {
                return Err(format!(
                    "only add attribute is supported while creating topic. key: {real}"
                ))
            }
            b'-' => {
                if result.remove(real).is_none() {
                    return Err(format!("attempt to delete a nonexistent key: {real}"));
                }
            }
            _ => return Err(format!("wrong format key: {key}")),
        }
    }
    Ok(result)
}
