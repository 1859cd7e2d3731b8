//! SQL92 (non-TAG) subscriptions (`ConsumerFilterManager`,
//! `consumerFilter.json`): topic → group → filter
//! data. Persisted every 10 s and at shutdown by the broker; filters dead
//! for 24 h are dropped before each write.

use std::collections::BTreeMap;
use std::path::Path;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::{self, Json};
use super::persist::{ConfigFile, LoadReport};
use super::MetadataError;
use crate::clock::now_millis;

/// File name under `<storePathRootDir>/config`.
pub const CONSUMER_FILTER_FILE: &str = "consumerFilter.json";
/// Filters dead this long are dropped (`filterDataCleanTimeSpan`).
pub const DEAD_FILTER_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// `ExpressionType.isTagType`: blank or `TAG` expressions are not recorded.
pub use plugin_api::filter::is_tag_type;

/// One group's filter on one topic (`ConsumerFilterData`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerFilterData {
    /// Consumer group.
    pub consumer_group: String,
    /// Topic.
    pub topic: String,
    /// The filter expression, e.g. `a > 5`.
    pub expression: String,
    /// `SQL92` (anything but `TAG`).
    pub expression_type: String,
    /// When the filter was registered (epoch ms).
    pub born_time: i64,
    /// When it died (epoch ms); alive while `deadTime < bornTime` (0).
    pub dead_time: i64,
    /// `{"bitNum":…,"bitPos":[…]}` when bit-map filtering is on; kept as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bloom_filter_data: Option<Value>,
    /// The subscription version the client sent.
    pub client_version: i64,
}

impl ConsumerFilterData {
    /// `isDead()`: `deadTime >= bornTime`.
    pub fn is_dead(&self) -> bool {
        self.dead_time >= self.born_time
    }

    /// Milliseconds since death at `now`, or -1 while alive.
    pub fn how_long_after_death(&self, now: i64) -> i64 {
        if self.is_dead() {
            now - self.dead_time
        } else {
            -1
        }
    }

    /// The fastjson bean form, with the derived `dead` member.
    pub fn to_json(&self) -> Json {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(map) = &mut value {
            map.insert("dead".to_owned(), Value::Bool(self.is_dead()));
        }
        Json::from_value(&value)
    }
}

/// The filters of one topic (`FilterDataMapByTopic`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FilterDataMapByTopic {
    /// group → filter.
    pub group_filter_data: BTreeMap<String, ConsumerFilterData>,
    /// Topic.
    pub topic: String,
}

impl FilterDataMapByTopic {
    fn to_json(&self) -> Json {
        Json::object([
            (
                "groupFilterData",
                Json::object(
                    self.group_filter_data
                        .iter()
                        .map(|(g, d)| (g.as_str(), d.to_json())),
                ),
            ),
            ("topic", Json::from(self.topic.as_str())),
        ])
    }
}

/// The content of `consumerFilter.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerFilterFile {
    /// topic → filters.
    pub filter_data_by_topic: BTreeMap<String, FilterDataMapByTopic>,
}

impl ConsumerFilterFile {
    /// Decodes the file's text.
    pub fn decode(text: &str) -> Result<ConsumerFilterFile, String> {
        let value = json::parse(text).map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// The fastjson form (`{"filterDataByTopic":{…}}`).
    pub fn to_json(&self) -> Json {
        Json::object([(
            "filterDataByTopic",
            Json::object(
                self.filter_data_by_topic
                    .iter()
                    .map(|(t, m)| (t.as_str(), m.to_json())),
            ),
        )])
    }
}

/// One subscription handed to [`ConsumerFilterManager::register_group`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterSubscription {
    /// Topic.
    pub topic: String,
    /// Expression (`subString`).
    pub expression: String,
    /// Expression type (`TAG`, `SQL92`).
    pub expression_type: String,
    /// Subscription version (`subVersion`).
    pub version: i64,
}

/// Whether `FilterFactory` has a filter for the type that compiles the
/// expression (`ConsumerFilterManager.build`): SQL92 is the only one.
fn compiles(topic: &str, group: &str, expression: &str, expression_type: &str) -> bool {
    let error = if expression_type == plugin_api::filter::SQL92 {
        match plugin_api::filter::sql92::Selector::parse(expression) {
            Ok(_) => return true,
            Err(error) => error.to_string(),
        }
    } else {
        format!("no filter for expression type {expression_type}")
    };
    tracing::error!(%expression, %topic, %group, %error, "consumer filter parse error");
    false
}

/// The consumer-filter table.
#[derive(Debug, Default)]
pub struct ConsumerFilterManager {
    table: RwLock<BTreeMap<String, FilterDataMapByTopic>>,
    file: Option<ConfigFile>,
    load_report: Option<LoadReport>,
}

impl ConsumerFilterManager {
    /// An empty in-memory table ([`persist`](Self::persist) does nothing).
    pub fn new() -> Self {
        ConsumerFilterManager::default()
    }

    /// Loads `<dir>/consumerFilter.json` (or its `.bak`). As in Java, every
    /// loaded filter is taken as dead until its consumer registers again
    /// (`deadTime` = max(now − 30 s, bornTime) where it was 0).
    pub fn load(dir: &Path) -> Result<Self, MetadataError> {
        let file = ConfigFile::new(dir.join(CONSUMER_FILTER_FILE));
        let (loaded, report) = file.load(ConsumerFilterFile::decode)?;
        let mut manager = ConsumerFilterManager::default();
        if let Some(loaded) = loaded {
            let dead_time = now_millis() - 30_000;
            let mut table = loaded.filter_data_by_topic;
            for by_topic in table.values_mut() {
                for data in by_topic.group_filter_data.values_mut() {
                    if data.dead_time == 0 {
                        data.dead_time = dead_time.max(data.born_time);
                    }
                }
            }
            *manager.table.get_mut() = table;
        }
        manager.file = Some(file);
        manager.load_report = Some(report);
        Ok(manager)
    }

    /// How the file was loaded (`None` for an in-memory table).
    pub fn load_report(&self) -> Option<&LoadReport> {
        self.load_report.as_ref()
    }

    /// Registers all of `group`'s subscriptions (HEART_BEAT), then marks
    /// dead the group's filters on topics it no longer subscribes to.
    pub fn register_group(&self, group: &str, subscriptions: &[FilterSubscription]) {
        for sub in subscriptions {
            self.register(
                &sub.topic,
                group,
                &sub.expression,
                &sub.expression_type,
                sub.version,
            );
        }
        let now = now_millis();
        let mut table = self.table.write();
        for by_topic in table.values_mut() {
            if subscriptions.iter().any(|s| s.topic == by_topic.topic) {
                continue;
            }
            if let Some(data) = by_topic.group_filter_data.get_mut(group) {
                if !data.is_dead() {
                    data.dead_time = now;
                    tracing::info!(%group, topic = %data.topic, "consumer filter changed: topic no longer subscribed, filter dead");
                }
            }
        }
    }

    /// Registers one SQL92 subscription. TAG (or blank-typed) and empty
    /// expressions are ignored (`false`). A version not newer than the
    /// stored one only revives a dead filter of the same version; a newer
    /// version replaces a changed expression or refreshes the version.
    /// As Java's `ConsumerFilterManager.build` compiles the expression, one
    /// that does not compile is not registered, and replaces nothing: the
    /// group's old filter on the topic is removed instead (so a pull finds
    /// FILTER_DATA_NOT_EXIST, "let client report error").
    pub fn register(
        &self,
        topic: &str,
        group: &str,
        expression: &str,
        expression_type: &str,
        client_version: i64,
    ) -> bool {
        if is_tag_type(expression_type) || expression.is_empty() {
            return false;
        }
        let now = now_millis();
        let mut table = self.table.write();
        let by_topic = table
            .entry(topic.to_owned())
            .or_insert_with(|| FilterDataMapByTopic {
                topic: topic.to_owned(),
                ..Default::default()
            });
        let build = || ConsumerFilterData {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            expression: expression.to_owned(),
            expression_type: expression_type.to_owned(),
            born_time: now,
            dead_time: 0,
            bloom_filter_data: None,
            client_version,
        };
        match by_topic.group_filter_data.get_mut(group) {
            None => {
                if !compiles(topic, group, expression, expression_type) {
                    return false;
                }
                let data = build();
                tracing::info!(?data, "new consumer filter registered");
                by_topic.group_filter_data.insert(group.to_owned(), data);
                true
            }
            Some(old) if client_version <= old.client_version => {
                if old.expression_type != expression_type || old.expression != expression {
                    tracing::info!(%group, %topic, client_version, old_version = old.client_version, "ignoring consumer filter with an older version");
                }
                if client_version == old.client_version && old.is_dead() {
                    old.dead_time = 0;
                    return true;
                }
                false
            }
            Some(old) => {
                if old.expression != expression || old.expression_type != expression_type {
                    if !compiles(topic, group, expression, expression_type) {
                        by_topic.group_filter_data.remove(group);
                        return false;
                    }
                    let mut data = build();
                    data.bloom_filter_data = old.bloom_filter_data.clone();
                    tracing::info!(?old, new = ?data, "consumer filter changed");
                    *old = data;
                } else {
                    old.client_version = client_version;
                    if old.is_dead() {
                        old.dead_time = 0;
                    }
                }
                true
            }
        }
    }

    /// Marks all of `group`'s filters dead (UNREGISTER_CLIENT / last
    /// consumer gone).
    pub fn unregister(&self, group: &str) {
        let now = now_millis();
        for by_topic in self.table.write().values_mut() {
            if let Some(data) = by_topic.group_filter_data.get_mut(group) {
                if !data.is_dead() {
                    tracing::info!(?data, dead_time = now, "unregister consumer filter");
                    data.dead_time = now;
                }
            }
        }
    }

    /// The group's filter on the topic.
    pub fn get(&self, topic: &str, group: &str) -> Option<ConsumerFilterData> {
        self.table
            .read()
            .get(topic)
            .and_then(|m| m.group_filter_data.get(group))
            .cloned()
    }

    /// Every filter on the topic.
    pub fn get_by_topic(&self, topic: &str) -> Vec<ConsumerFilterData> {
        self.table
            .read()
            .get(topic)
            .map(|m| m.group_filter_data.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every filter of the group.
    pub fn get_by_group(&self, group: &str) -> Vec<ConsumerFilterData> {
        self.table
            .read()
            .values()
            .filter_map(|m| m.group_filter_data.get(group).cloned())
            .collect()
    }

    /// A copy of the table: topic → filters.
    pub fn filter_data_by_topic(&self) -> BTreeMap<String, FilterDataMapByTopic> {
        self.table.read().clone()
    }

    /// Drops filters dead for at least `retention_ms` at `now`, then topics
    /// left without filters (`clean`). Returns how many filters went.
    pub fn clean(&self, now: i64, retention_ms: i64) -> usize {
        let mut removed = 0;
        let mut table = self.table.write();
        table.retain(|topic, by_topic| {
            by_topic.group_filter_data.retain(|group, data| {
                let keep = data.how_long_after_death(now) < retention_ms;
                if !keep {
                    removed += 1;
                    tracing::info!(%topic, %group, "removing consumer filter dead too long");
                }
                keep
            });
            !by_topic.group_filter_data.is_empty()
        });
        removed
    }

    /// `consumerFilter.json` text (no pruning).
    pub fn encode(&self, pretty: bool) -> String {
        let file = ConsumerFilterFile {
            filter_data_by_topic: self.table.read().clone(),
        };
        let json = file.to_json();
        if pretty {
            json.to_pretty()
        } else {
            json.to_compact()
        }
    }

    /// Drops filters dead for 24 h, then writes `consumerFilter.json`
    /// (no-op for an in-memory table).
    pub fn persist(&self) -> Result<(), MetadataError> {
        match &self.file {
            Some(file) => file.persist_with(|| {
                self.clean(now_millis(), DEAD_FILTER_RETENTION_MS);
                self.encode(true)
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FilterDataMapByTopic.register: build() compiles; a new filter that
    /// does not compile is not kept, and a changed one that does not
    /// compile removes the old filter.
    #[test]
    fn only_compiling_sql92_filters_are_registered() {
        let manager = ConsumerFilterManager::new();
        assert!(!manager.register("T", "g", "a >", "SQL92", 1));
        assert!(!manager.register("T", "g", "a > 1", "GROOVY", 1));
        assert!(!manager.register("T", "g", "TagA", "TAG", 1));
        assert!(manager.get("T", "g").is_none());

        assert!(manager.register("T", "g", "a > 1", "SQL92", 1));
        assert_eq!(manager.get("T", "g").expect("kept").expression, "a > 1");
        // An older version changes nothing, a broken newer one removes it.
        assert!(!manager.register("T", "g", "a >", "SQL92", 1));
        assert!(manager.get("T", "g").is_some());
        assert!(!manager.register("T", "g", "a >", "SQL92", 2));
        assert!(manager.get("T", "g").is_none());
    }
}
