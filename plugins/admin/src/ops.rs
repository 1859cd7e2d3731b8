//! What the stats and clean-up codes share: the host's ABI 1.2
//! `operations` capability, answered SYSTEM_ERROR on an older broker.

use plugin_api::sdk::{Host, Operations, ProcessError, ResponseCode};

/// The host's broker stats and store operations, or SYSTEM_ERROR naming the
/// missing capability (a broker older than plugin ABI 1.2).
pub fn operations(host: &Host) -> Result<&dyn Operations, ProcessError> {
    host.operations()
        .map_err(|error| ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string()))
}

/// `BrokerStatsManager.tpsTopicPutNums` / `tpsGroupGetNums`: the minute TPS
/// of a stats item; 0 for an item never counted (Java's empty snapshot) or
/// on a broker without the capability.
pub fn minute_tps(host: &Host, stats_name: &str, stats_key: &str) -> f64 {
    host.operations()
        .ok()
        .and_then(|ops| ops.stats_item(stats_name, stats_key))
        .map_or(0.0, |item| item.minute.tps)
}
