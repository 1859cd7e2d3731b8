//! GET_ALL_DELAY_OFFSET (45): the delay-level offsets
//! (`AdminBrokerProcessor.getAllDelayOffset`): `delayOffset.json` as
//! `ScheduleMessageService.encode()` writes it, compact.

use plugin_api::sdk::{Host, ProcessError, Response, ResponseCode};

use crate::ops::operations;

/// The `DelayOffsetSerializeWrapper` text; SYSTEM_ERROR `No delay offset in
/// this broker` when the host has none.
pub fn all_delay_offset(host: &Host) -> Result<Response, ProcessError> {
    let content = operations(host)?.delay_offsets_json();
    if content.is_empty() {
        host.error("getAllDelayOffset: no delay offset in this broker");
        return Err(ProcessError::respond(
            ResponseCode::SYSTEM_ERROR,
            "No delay offset in this broker",
        ));
    }
    Ok(Response::success().with_body(content.into_bytes()))
}
