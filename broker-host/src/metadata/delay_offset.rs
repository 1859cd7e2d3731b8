//! Delay-message progress (`ScheduleMessageService`, `delayOffset.json`,
//! `DelayOffsetSerializeWrapper`): delay level (1..18) → next offset to scan in
//! `SCHEDULE_TOPIC_XXXX` queue `level - 1`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use serde::Deserialize;

use super::data_version::DataVersion;
use super::json::{self, Json, JsonKey};
use super::persist::{ConfigFile, LoadReport};
use super::MetadataError;

/// File name under `<storePathRootDir>/config`.
pub const DELAY_OFFSET_FILE: &str = "delayOffset.json";
/// Updates between version bumps (`delayOffsetUpdateVersionStep`).
pub const DELAY_OFFSET_UPDATE_VERSION_STEP: u64 = 200;

/// The content of `delayOffset.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DelayOffsetFile {
    /// The file's version (5.x).
    pub data_version: Option<DataVersion>,
    /// level → offset.
    pub offset_table: BTreeMap<i32, i64>,
}

impl DelayOffsetFile {
    /// Decodes 4.9 or 5.x text.
    pub fn decode(text: &str) -> Result<DelayOffsetFile, String> {
        let value = json::parse(text).map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Default)]
struct DelayTable {
    offsets: BTreeMap<i32, i64>,
    data_version: DataVersion,
}

/// The delay-offset table.
#[derive(Debug, Default)]
pub struct DelayOffsetManager {
    table: RwLock<DelayTable>,
    updates: AtomicU64,
    file: Option<ConfigFile>,
    load_report: Option<LoadReport>,
}

impl DelayOffsetManager {
    /// An empty in-memory table ([`persist`](Self::persist) does nothing).
    pub fn new() -> Self {
        DelayOffsetManager::default()
    }

    /// Loads `<dir>/delayOffset.json` (or its `.bak`).
    pub fn load(dir: &Path) -> Result<Self, MetadataError> {
        let file = ConfigFile::new(dir.join(DELAY_OFFSET_FILE));
        let (loaded, report) = file.load(DelayOffsetFile::decode)?;
        let mut manager = DelayOffsetManager::default();
        if let Some(loaded) = loaded {
            let table = manager.table.get_mut();
            table.offsets = loaded.offset_table;
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

    /// Records the next offset to scan for `level`.
    pub fn update(&self, level: i32, offset: i64) {
        let mut table = self.table.write();
        table.offsets.insert(level, offset);
        let updates = self.updates.fetch_add(1, Ordering::Relaxed) + 1;
        if updates.is_multiple_of(DELAY_OFFSET_UPDATE_VERSION_STEP) {
            table.data_version.next_version();
        }
    }

    /// The next offset to scan for `level`, if any was recorded.
    pub fn get(&self, level: i32) -> Option<i64> {
        self.table.read().offsets.get(&level).copied()
    }

    /// A copy of the table: level → offset.
    pub fn offset_table(&self) -> BTreeMap<i32, i64> {
        self.table.read().offsets.clone()
    }

    /// The table's version.
    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version
    }

    /// `delayOffset.json` text (5.x shape: `dataVersion`, `offsetTable`).
    pub fn encode(&self, pretty: bool) -> String {
        let table = self.table.read();
        let json = Json::object([
            ("dataVersion", table.data_version.to_json()),
            (
                "offsetTable",
                Json::Object(
                    table
                        .offsets
                        .iter()
                        .map(|(l, o)| (JsonKey::from(*l), Json::from(*o)))
                        .collect(),
                ),
            ),
        ]);
        if pretty {
            json.to_pretty()
        } else {
            json.to_compact()
        }
    }

    /// Writes `delayOffset.json` now (no-op for an in-memory table).
    pub fn persist(&self) -> Result<(), MetadataError> {
        match &self.file {
            Some(file) => file.persist_with(|| self.encode(true)),
            None => Ok(()),
        }
    }
}
