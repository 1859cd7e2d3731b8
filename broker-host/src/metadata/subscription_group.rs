//! Consumer groups (`SubscriptionGroupManager`, `subscriptionGroup.json`,
//! `init`): the system groups seeded at startup, then
//! the file; unknown groups auto-created when `autoCreateSubscriptionGroup`.
//! Every change bumps the version and persists.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::data_version::DataVersion;
use super::json::{self, Json};
use super::persist::{ConfigFile, LoadReport};
use plugin_api::topics::has_illegal_char;

/// `Validators.CHARACTER_MAX_LENGTH`: the longest group name
/// `findSubscriptionGroupConfig` auto-creates.
pub const AUTO_CREATE_GROUP_MAX_LENGTH: usize = 255;
use super::MetadataError;
use crate::config::BrokerConfig;

/// File name under `<storePathRootDir>/config`.
pub const SUBSCRIPTION_GROUP_FILE: &str = "subscriptionGroup.json";

/// System consumer groups (`MixAll.CID_RMQ_SYS_PREFIX`).
pub const SYS_GROUP_PREFIX: &str = "CID_RMQ_SYS_";

/// Groups created at startup (`SubscriptionGroupManager.init`).
pub const SYSTEM_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

/// A group's retry policy (5.x `GroupRetryPolicy`); the policy bodies are
/// kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupRetryPolicy {
    /// `CUSTOMIZED` (default) or `EXPONENTIAL`.
    #[serde(rename = "type")]
    pub policy_type: String,
    /// `{"initial":…,"max":…,"multiplier":…}` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponential_retry_policy: Option<Value>,
    /// `{"next":[…]}` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_retry_policy: Option<Value>,
}

impl Default for GroupRetryPolicy {
    fn default() -> Self {
        GroupRetryPolicy {
            policy_type: "CUSTOMIZED".to_owned(),
            exponential_retry_policy: None,
            customized_retry_policy: None,
        }
    }
}

/// One consumer group's settings (5.x `SubscriptionGroupConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// Group name.
    pub group_name: String,
    /// The group may consume.
    pub consume_enable: bool,
    /// A new group starts from the queue's minimum offset.
    pub consume_from_min_enable: bool,
    /// Broadcasting consumers allowed.
    pub consume_broadcast_enable: bool,
    /// The group consumes orderly (5.x).
    pub consume_message_orderly: bool,
    /// Queues of `%RETRY%<group>` (default 1).
    pub retry_queue_nums: i32,
    /// Reconsume attempts before the DLQ (default 16).
    pub retry_max_times: i32,
    /// Retry back-off policy (5.x).
    pub group_retry_policy: GroupRetryPolicy,
    /// Broker to consume from (0 = master).
    pub broker_id: i64,
    /// Broker to use when consumption is slow (default 1).
    pub which_broker_when_consume_slowly: i64,
    /// Send NOTIFY_CONSUMER_IDS_CHANGED.
    pub notify_consumer_ids_changed_enable: bool,
    /// Group system flag (5.x).
    pub group_sys_flag: i32,
    /// Push consumer timeout in minutes (5.x, default 15).
    pub consume_timeout_minute: i32,
    /// 5.x `Set<SimpleSubscriptionData>`, kept as written (omitted if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_data_set: Option<Value>,
    /// 5.x attributes.
    pub attributes: BTreeMap<String, String>,
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        SubscriptionGroupConfig::new("")
    }
}

impl SubscriptionGroupConfig {
    /// A group with RocketMQ's defaults.
    pub fn new(group_name: impl Into<String>) -> Self {
        SubscriptionGroupConfig {
            group_name: group_name.into(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            consume_message_orderly: false,
            retry_queue_nums: 1,
            retry_max_times: 16,
            group_retry_policy: GroupRetryPolicy::default(),
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
            group_sys_flag: 0,
            consume_timeout_minute: 15,
            subscription_data_set: None,
            attributes: BTreeMap::new(),
        }
    }

    /// The fastjson bean form (fields sorted).
    pub fn to_json(&self) -> Json {
        Json::from_value(&serde_json::to_value(self).unwrap_or_default())
    }
}

/// The result of decoding `subscriptionGroup.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupFile {
    /// The file's version.
    pub data_version: Option<DataVersion>,
    /// group → topic → forbidden bits (5.x).
    pub forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
    /// group → config.
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

impl SubscriptionGroupFile {
    /// Decodes 4.9 or 5.x text.
    pub fn decode(text: &str) -> Result<SubscriptionGroupFile, String> {
        let value = json::parse(text).map_err(|e| e.to_string())?;
        let mut file: SubscriptionGroupFile =
            serde_json::from_value(value).map_err(|e| e.to_string())?;
        for (name, config) in file.subscription_group_table.iter_mut() {
            if config.group_name.is_empty() {
                config.group_name = name.clone();
            }
        }
        Ok(file)
    }
}

#[derive(Debug, Default)]
struct GroupTable {
    groups: HashMap<String, SubscriptionGroupConfig>,
    forbidden: BTreeMap<String, BTreeMap<String, i32>>,
    data_version: DataVersion,
}

/// The consumer-group table.
#[derive(Debug, Default)]
pub struct SubscriptionGroupManager {
    table: RwLock<GroupTable>,
    auto_create: bool,
    file: Option<ConfigFile>,
    load_report: Option<LoadReport>,
}

impl SubscriptionGroupManager {
    /// The system groups, in memory only; unknown groups are auto-created
    /// iff `autoCreateSubscriptionGroup`.
    pub fn with_system_groups(config: &BrokerConfig) -> Self {
        let mut table = GroupTable::default();
        for name in SYSTEM_GROUPS {
            table
                .groups
                .insert((*name).to_owned(), SubscriptionGroupConfig::new(*name));
        }
        SubscriptionGroupManager {
            table: RwLock::new(table),
            auto_create: config.auto_create_subscription_group,
            file: None,
            load_report: None,
        }
    }

    /// The system groups, then `<dir>/subscriptionGroup.json` (or its
    /// `.bak`) on top; later changes are persisted there.
    pub fn load(config: &BrokerConfig, dir: &Path) -> Result<Self, MetadataError> {
        let mut manager = SubscriptionGroupManager::with_system_groups(config);
        let file = ConfigFile::new(dir.join(SUBSCRIPTION_GROUP_FILE));
        let (loaded, report) = file.load(SubscriptionGroupFile::decode)?;
        if let Some(loaded) = loaded {
            let table = manager.table.get_mut();
            table.groups.extend(loaded.subscription_group_table);
            table.forbidden.extend(loaded.forbidden_table);
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

    /// The group's config. Unknown group and `auto_create` (and the broker's
    /// `autoCreateSubscriptionGroup`, or a `CID_RMQ_SYS_` group) → created
    /// with defaults if the name is valid, version bumped, persisted.
    /// `None` otherwise.
    pub fn find_subscription_group(
        &self,
        group: &str,
        auto_create: bool,
    ) -> Option<SubscriptionGroupConfig> {
        if let Some(found) = self.table.read().groups.get(group) {
            return Some(found.clone());
        }
        // 5.x `enableCreateSysGroup` (default true): CID_RMQ_SYS_* groups
        // are created even when auto-creation is off.
        if !(auto_create && (self.auto_create || group.starts_with(SYS_GROUP_PREFIX))) {
            return None;
        }
        // Java: `group.length() > Validators.CHARACTER_MAX_LENGTH ||
        // TopicValidator.isTopicOrGroupIllegal(group)` → null.
        if group.len() > AUTO_CREATE_GROUP_MAX_LENGTH || has_illegal_char(group) {
            tracing::warn!(%group, "not auto-creating a group with an invalid name");
            return None;
        }
        let created = {
            let mut table = self.table.write();
            if let Some(found) = table.groups.get(group) {
                return Some(found.clone());
            }
            let config = SubscriptionGroupConfig::new(group);
            table.groups.insert(group.to_owned(), config.clone());
            table.data_version.next_version();
            config
        };
        tracing::info!(%group, "auto-created subscription group");
        self.persist_logged();
        Some(created)
    }

    /// The group's config, never creating it.
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.table.read().groups.get(group).cloned()
    }

    /// True if the group exists.
    pub fn contains(&self, group: &str) -> bool {
        self.table.read().groups.contains_key(group)
    }

    /// Every group, sorted by name.
    pub fn all(&self) -> Vec<SubscriptionGroupConfig> {
        self.snapshot().0
    }

    /// Every group (sorted) and the version, read together.
    pub fn snapshot(&self) -> (Vec<SubscriptionGroupConfig>, DataVersion) {
        let table = self.table.read();
        let mut all: Vec<_> = table.groups.values().cloned().collect();
        all.sort_by(|a, b| a.group_name.cmp(&b.group_name));
        (all, table.data_version)
    }

    /// Creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
    /// attributes follow the same `+`/`-` rules as topics. Bumps the
    /// version and persists.
    pub fn update(&self, mut config: SubscriptionGroupConfig) -> Result<(), MetadataError> {
        {
            let mut table = self.table.write();
            let current = table.groups.get(&config.group_name);
            config.attributes = super::topic_config::alter_attributes(
                current.is_none(),
                current.map(|c| &c.attributes),
                &config.attributes,
            )
            .map_err(MetadataError::InvalidAttributes)?;
            let old = table
                .groups
                .insert(config.group_name.clone(), config.clone());
            table.data_version.next_version();
            match old {
                Some(old) => tracing::info!(?old, new = ?config, "updated subscription group"),
                None => tracing::info!(new = ?config, "created subscription group"),
            }
        }
        self.persist_logged();
        Ok(())
    }

    /// Removes a group and its forbidden entries; bumps the version and
    /// persists if it existed.
    pub fn delete(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        let old = {
            let mut table = self.table.write();
            table.forbidden.remove(group);
            let old = table.groups.remove(group);
            if old.is_some() {
                table.data_version.next_version();
            }
            old
        };
        match &old {
            Some(_) => {
                tracing::info!(%group, "deleted subscription group");
                self.persist_logged();
            }
            None => {
                tracing::warn!(%group, "delete subscription group failed: group does not exist")
            }
        }
        old
    }

    /// Stops the group from consuming (`disableConsume`); bumps the version.
    pub fn disable_consume(&self, group: &str) {
        let mut table = self.table.write();
        if let Some(config) = table.groups.get_mut(group) {
            config.consume_enable = false;
            table.data_version.next_version();
        }
    }

    /// The forbidden bits of `group` in `topic` (0 if none).
    pub fn forbidden(&self, group: &str, topic: &str) -> i32 {
        self.table
            .read()
            .forbidden
            .get(group)
            .and_then(|t| t.get(topic))
            .copied()
            .filter(|v| *v > 0)
            .unwrap_or(0)
    }

    /// Sets (`true`) or clears bit `index` of `group`'s forbidden value in
    /// `topic` (`updateForbidden`); a value that drops to 0 removes the
    /// topic's entry (and the group's, once empty). Bumps the version and
    /// persists when something changed.
    pub fn update_forbidden(&self, group: &str, topic: &str, index: u32, set: bool) {
        let bit = 1i32.checked_shl(index).unwrap_or(0);
        {
            let mut table = self.table.write();
            let current = table
                .forbidden
                .get(group)
                .and_then(|t| t.get(topic))
                .copied()
                .filter(|v| *v > 0)
                .unwrap_or(0);
            let value = if set { current | bit } else { current & !bit };
            if value == current {
                return;
            }
            if value <= 0 {
                if let Some(topics) = table.forbidden.get_mut(group) {
                    topics.remove(topic);
                    if topics.is_empty() {
                        table.forbidden.remove(group);
                    }
                }
            } else {
                table
                    .forbidden
                    .entry(group.to_owned())
                    .or_default()
                    .insert(topic.to_owned(), value);
            }
            table.data_version.next_version();
        }
        self.persist_logged();
    }

    /// A copy of the forbidden table: group → topic → bits.
    pub fn forbidden_table(&self) -> BTreeMap<String, BTreeMap<String, i32>> {
        self.table.read().forbidden.clone()
    }

    /// The table's current version.
    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version
    }

    /// `subscriptionGroup.json` text (5.x shape).
    pub fn encode(&self, pretty: bool) -> String {
        let table = self.table.read();
        let mut names: Vec<&String> = table.groups.keys().collect();
        names.sort();
        let groups = Json::object(
            names
                .into_iter()
                .map(|n| (n.as_str(), table.groups[n].to_json())),
        );
        let forbidden = Json::object(table.forbidden.iter().map(|(group, topics)| {
            (
                group.as_str(),
                Json::object(
                    topics
                        .iter()
                        .map(|(t, v)| (t.as_str(), Json::from(i64::from(*v)))),
                ),
            )
        }));
        let json = Json::object([
            ("dataVersion", table.data_version.to_json()),
            ("forbiddenTable", forbidden),
            ("subscriptionGroupTable", groups),
        ]);
        if pretty {
            json.to_pretty()
        } else {
            json.to_compact()
        }
    }

    /// Writes `subscriptionGroup.json` now (no-op for an in-memory table).
    pub fn persist(&self) -> Result<(), MetadataError> {
        match &self.file {
            Some(file) => file.persist_with(|| self.encode(true)),
            None => Ok(()),
        }
    }

    fn persist_logged(&self) {
        if let Err(error) = self.persist() {
            tracing::error!(%error, "failed to persist subscriptionGroup.json");
        }
    }
}
