//! Committed consumer offsets (`ConsumerOffsetManager`, `consumerOffset.json`,
//! `offsetTable`): `topic@group` → queue id → next offset to
//! consume. The broker persists the table every `flushConsumerOffsetInterval`
//! and at shutdown; the version is bumped every 500 commits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use serde::Deserialize;

use super::data_version::DataVersion;
use super::json::{self, Json, JsonKey};
use super::persist::{ConfigFile, LoadReport};
use super::MetadataError;

/// File name under `<storePathRootDir>/config`.
pub const CONSUMER_OFFSET_FILE: &str = "consumerOffset.json";
/// Separator of `topic@group` keys.
pub const TOPIC_GROUP_SEPARATOR: char = '@';
/// Commits between version bumps (`consumerOffsetUpdateVersionStep`).
pub const OFFSET_UPDATE_VERSION_STEP: u64 = 500;

type OffsetTable = HashMap<String, HashMap<i32, i64>>;

fn key(topic: &str, group: &str) -> String {
    let mut k = String::with_capacity(topic.len() + group.len() + 1);
    k.push_str(topic);
    k.push(TOPIC_GROUP_SEPARATOR);
    k.push_str(group);
    k
}

/// `topic@group` → `(topic, group)`; `None` unless there is exactly one `@`.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let (topic, group) = key.split_once(TOPIC_GROUP_SEPARATOR)?;
    if group.contains(TOPIC_GROUP_SEPARATOR) {
        return None;
    }
    Some((topic, group))
}

/// The result of decoding `consumerOffset.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerOffsetFile {
    /// The file's version (absent in 4.9).
    pub data_version: Option<DataVersion>,
    /// `topic@group` → queue id → offset.
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

impl ConsumerOffsetFile {
    /// Decodes 4.9 or 5.x text (`groupTopicMap` is derived and ignored).
    pub fn decode(text: &str) -> Result<ConsumerOffsetFile, String> {
        let value = json::parse(text).map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

/// The consumer-offset table.
#[derive(Debug, Default)]
pub struct ConsumerOffsetManager {
    offsets: RwLock<OffsetTable>,
    pull_offsets: RwLock<OffsetTable>,
    reset_offsets: RwLock<OffsetTable>,
    data_version: Mutex<DataVersion>,
    commits: AtomicU64,
    file: Option<ConfigFile>,
    load_report: Option<LoadReport>,
}

impl ConsumerOffsetManager {
    /// An empty in-memory table ([`persist`](Self::persist) does nothing).
    pub fn new() -> Self {
        ConsumerOffsetManager::default()
    }

    /// Loads `<dir>/consumerOffset.json` (or its `.bak`); later persists
    /// go there.
    pub fn load(dir: &Path) -> Result<Self, MetadataError> {
        let file = ConfigFile::new(dir.join(CONSUMER_OFFSET_FILE));
        let (loaded, report) = file.load(ConsumerOffsetFile::decode)?;
        let mut manager = ConsumerOffsetManager::default();
        if let Some(loaded) = loaded {
            *manager.offsets.get_mut() = loaded
                .offset_table
                .into_iter()
                .map(|(k, queues)| (k, queues.into_iter().collect()))
                .collect();
            if let Some(version) = loaded.data_version {
                *manager.data_version.get_mut() = version;
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

    /// Records `offset` as the group's next offset in the queue
    /// (UPDATE_CONSUMER_OFFSET, pull with commit). A commit lower than the
    /// stored offset is accepted and logged.
    pub fn commit_offset(
        &self,
        client_host: &str,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) {
        let k = key(topic, group);
        let previous = {
            let mut table = self.offsets.write();
            match table.get_mut(&k) {
                Some(queues) => queues.insert(queue_id, offset),
                None => {
                    table.insert(k.clone(), HashMap::from([(queue_id, offset)]));
                    None
                }
            }
        };
        if let Some(stored) = previous {
            if offset < stored {
                tracing::warn!(
                    %client_host, key = %k, queue_id, request_offset = offset, store_offset = stored,
                    "[NOTIFYME]update consumer offset less than store"
                );
            }
        }
        let commits = self.commits.fetch_add(1, Ordering::Relaxed) + 1;
        if commits.is_multiple_of(OFFSET_UPDATE_VERSION_STEP) {
            self.data_version.lock().next_version();
        }
    }

    /// The committed offset, or -1 if none. A pending server-side reset
    /// offset for the queue takes precedence.
    pub fn query_offset(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        let k = key(topic, group);
        if let Some(reset) = self
            .reset_offsets
            .read()
            .get(&k)
            .and_then(|q| q.get(&queue_id))
        {
            return *reset;
        }
        self.offsets
            .read()
            .get(&k)
            .and_then(|q| q.get(&queue_id))
            .copied()
            .unwrap_or(-1)
    }

    /// Every committed offset of the group in the topic.
    pub fn query_offsets(&self, group: &str, topic: &str) -> Option<BTreeMap<i32, i64>> {
        self.offsets
            .read()
            .get(&key(topic, group))
            .map(|q| q.iter().map(|(q, o)| (*q, *o)).collect())
    }

    /// Records the offset the group last pulled up to (not persisted).
    pub fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.pull_offsets
            .write()
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
    }

    /// The last pull offset, else the committed offset (-1 if neither).
    pub fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        let pulled = self
            .pull_offsets
            .read()
            .get(&key(topic, group))
            .and_then(|q| q.get(&queue_id))
            .copied();
        pulled.unwrap_or_else(|| self.query_offset(group, topic, queue_id))
    }

    /// Server-side reset (`assignResetOffset`): the queue's committed offset
    /// becomes `offset`, and [`query_offset`](Self::query_offset) answers it
    /// until [`query_then_erase_reset_offset`](Self::query_then_erase_reset_offset).
    pub fn assign_reset_offset(&self, topic: &str, group: &str, queue_id: i32, offset: i64) {
        if topic.is_empty() || group.is_empty() || queue_id < 0 || offset < 0 {
            tracing::warn!(%topic, %group, queue_id, offset, "illegal arguments when assigning reset offset");
            return;
        }
        let k = key(topic, group);
        self.reset_offsets
            .write()
            .entry(k.clone())
            .or_default()
            .insert(queue_id, offset);
        self.offsets
            .write()
            .entry(k)
            .or_default()
            .insert(queue_id, offset);
    }

    /// True if a reset offset is pending for the queue.
    pub fn has_offset_reset(&self, topic: &str, group: &str, queue_id: i32) -> bool {
        let resets = self.reset_offsets.read();
        if resets.is_empty() {
            return false;
        }
        resets
            .get(&key(topic, group))
            .is_some_and(|q| q.contains_key(&queue_id))
    }

    /// Takes the pending reset offset of the queue.
    pub fn query_then_erase_reset_offset(
        &self,
        topic: &str,
        group: &str,
        queue_id: i32,
    ) -> Option<i64> {
        // Every pull asks: the common case, no reset pending, takes no write lock.
        if self.reset_offsets.read().is_empty() {
            return None;
        }
        let mut resets = self.reset_offsets.write();
        let k = key(topic, group);
        let queues = resets.get_mut(&k)?;
        let offset = queues.remove(&queue_id);
        if queues.is_empty() {
            resets.remove(&k);
        }
        offset
    }

    /// A copy of the whole table: `topic@group` → queue id → offset.
    pub fn offset_table(&self) -> BTreeMap<String, BTreeMap<i32, i64>> {
        self.offsets
            .read()
            .iter()
            .map(|(k, q)| (k.clone(), q.iter().map(|(q, o)| (*q, *o)).collect()))
            .collect()
    }

    /// Groups with committed offsets in `topic` (`whichGroupByTopic`).
    pub fn groups_by_topic(&self, topic: &str) -> BTreeSet<String> {
        self.offsets
            .read()
            .keys()
            .filter_map(|k| split_key(k))
            .filter(|(t, _)| *t == topic)
            .map(|(_, g)| g.to_owned())
            .collect()
    }

    /// Topics in which `group` has committed offsets (`whichTopicByConsumer`).
    pub fn topics_by_group(&self, group: &str) -> BTreeSet<String> {
        self.offsets
            .read()
            .keys()
            .filter_map(|k| split_key(k))
            .filter(|(_, g)| *g == group)
            .map(|(t, _)| t.to_owned())
            .collect()
    }

    /// group → topics with committed offsets (`getGroupTopicMap`).
    pub fn group_topic_map(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for k in self.offsets.read().keys() {
            if let Some((topic, group)) = split_key(k) {
                map.entry(group.to_owned())
                    .or_default()
                    .insert(topic.to_owned());
            }
        }
        map
    }

    /// Drops every offset (committed, pulled, reset) of `group`
    /// (`removeOffset`, on DELETE_SUBSCRIPTIONGROUP). Returns whether
    /// committed offsets were removed. Not persisted until the next
    /// [`persist`](Self::persist).
    pub fn remove_offset(&self, group: &str) -> bool {
        let matches = |k: &String| split_key(k).is_some_and(|(_, g)| g == group);
        let mut removed = false;
        self.offsets.write().retain(|k, _| {
            let hit = matches(k);
            removed |= hit;
            !hit
        });
        self.pull_offsets.write().retain(|k, _| !matches(k));
        self.reset_offsets.write().retain(|k, _| !matches(k));
        if removed {
            tracing::info!(%group, "removed the group's consumer offsets");
        }
        removed
    }

    /// Drops every offset in `topic` (`cleanOffsetByTopic`, on topic deletion).
    pub fn clean_offset_by_topic(&self, topic: &str) {
        let matches = |k: &String| split_key(k).is_some_and(|(t, _)| t == topic);
        self.offsets.write().retain(|k, _| !matches(k));
        self.pull_offsets.write().retain(|k, _| !matches(k));
        self.reset_offsets.write().retain(|k, _| !matches(k));
    }

    /// Copies `src_group`'s offsets in `topic` to `dest_group` (`cloneOffset`).
    pub fn clone_offset(&self, src_group: &str, dest_group: &str, topic: &str) {
        let mut table = self.offsets.write();
        if let Some(offsets) = table.get(&key(topic, src_group)).cloned() {
            table.insert(key(topic, dest_group), offsets);
        }
    }

    /// The table's version (bumped every 500 commits).
    pub fn data_version(&self) -> DataVersion {
        *self.data_version.lock()
    }

    /// `consumerOffset.json` text in the 5.x shape (`dataVersion`,
    /// `groupTopicMap`, `offsetTable` with bare integer queue keys).
    pub fn encode(&self, pretty: bool) -> String {
        let version = self.data_version();
        let table = self.offset_table();
        let mut group_topics: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for k in table.keys() {
            if let Some((topic, group)) = split_key(k) {
                group_topics.entry(group).or_default().insert(topic);
            }
        }
        let group_topic_map = Json::object(
            group_topics
                .into_iter()
                .map(|(g, topics)| (g, Json::Array(topics.into_iter().map(Json::from).collect()))),
        );
        let offset_table = Json::object(table.into_iter().map(|(k, queues)| {
            (
                k,
                Json::Object(
                    queues
                        .into_iter()
                        .map(|(q, o)| (JsonKey::from(q), Json::from(o)))
                        .collect(),
                ),
            )
        }));
        let json = Json::object([
            ("dataVersion", version.to_json()),
            ("groupTopicMap", group_topic_map),
            ("offsetTable", offset_table),
        ]);
        if pretty {
            json.to_pretty()
        } else {
            json.to_compact()
        }
    }

    /// Writes `consumerOffset.json` now (no-op for an in-memory table).
    pub fn persist(&self) -> Result<(), MetadataError> {
        match &self.file {
            Some(file) => file.persist_with(|| self.encode(true)),
            None => Ok(()),
        }
    }
}
