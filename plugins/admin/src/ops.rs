//! What the stats and clean-up codes share: the host's ABI 1.2
//! `operations` capability, answered SYSTEM_ERROR on an older broker.

use plugin_api::sdk::{Host, Operations, ProcessError, ResponseCode};

/// The host's broker stats and store operations, or SYSTEM_ERROR naming the
/// missing capability (a broker older than plugin ABI 1.2).
pub fn operations(host: &Host) -> Result<&dyn Operations, ProcessError> {
    host.operations()
        .map_err(|error| ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string()))
}
