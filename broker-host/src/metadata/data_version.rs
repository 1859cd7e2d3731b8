//! RocketMQ's `DataVersion`: `{counter, stateVersion, timestamp}`.

use serde::{Deserialize, Serialize};

use super::json::Json;

pub use crate::clock::now_millis;

/// Version of a metadata table: `counter` increments on every change,
/// `timestamp` is the time of the last change (ms), `stateVersion` is the
/// store's state-machine version (always 0 here; absent in 4.9 files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Changes so far.
    pub counter: i64,
    /// State-machine version (5.x).
    pub state_version: i64,
    /// Time of the last change, epoch ms.
    pub timestamp: i64,
}

impl Default for DataVersion {
    /// Counter 0, state version 0, timestamp now (as Java's constructor).
    fn default() -> Self {
        DataVersion {
            counter: 0,
            state_version: 0,
            timestamp: now_millis(),
        }
    }
}

impl DataVersion {
    /// Records a change: counter + 1, timestamp now, state version 0.
    pub fn next_version(&mut self) {
        self.next_version_with_state(0);
    }

    /// Records a change with the given state-machine version.
    pub fn next_version_with_state(&mut self, state_version: i64) {
        self.timestamp = now_millis();
        self.state_version = state_version;
        self.counter += 1;
    }

    /// Java's `DataVersion.compare`: state version, then counter, then
    /// timestamp.
    pub fn compare(&self, other: &DataVersion) -> std::cmp::Ordering {
        self.state_version
            .cmp(&other.state_version)
            .then(self.counter.cmp(&other.counter))
            .then(self.timestamp.cmp(&other.timestamp))
    }

    /// The fastjson form (`{"counter":…,"stateVersion":…,"timestamp":…}`).
    pub fn to_json(&self) -> Json {
        Json::object([
            ("counter", Json::from(self.counter)),
            ("stateVersion", Json::from(self.state_version)),
            ("timestamp", Json::from(self.timestamp)),
        ])
    }

    /// Compact JSON, as sent in REGISTER_BROKER / QUERY_DATA_VERSION bodies.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_compact()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_version_bumps() {
        let mut v = DataVersion {
            counter: 3,
            state_version: 9,
            timestamp: 1,
        };
        v.next_version();
        assert_eq!(v.counter, 4);
        assert_eq!(v.state_version, 0);
        assert!(v.timestamp > 1);
    }

    #[test]
    fn reads_4_9_shape() {
        let v: DataVersion =
            serde_json::from_str(r#"{"counter":5,"timestamp":1700000000000}"#).unwrap();
        assert_eq!(
            v,
            DataVersion {
                counter: 5,
                state_version: 0,
                timestamp: 1_700_000_000_000
            }
        );
        assert_eq!(
            v.to_json_string(),
            r#"{"counter":5,"stateVersion":0,"timestamp":1700000000000}"#
        );
    }
}
