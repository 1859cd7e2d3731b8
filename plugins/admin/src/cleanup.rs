//! The store clean-ups mqadmin runs (`cleanExpiredCQ`, `cleanUnusedTopic`):
//! CLEAN_EXPIRED_CONSUMEQUEUE (306) and CLEAN_UNUSED_TOPIC (316), as
//! `AdminBrokerProcessor.cleanExpiredConsumeQueue` / `cleanUnusedTopic` do
//! them; the work is the host store's (consume-queue files deleted).

use plugin_api::sdk::{Host, ProcessError, Response, ResponseCode};

use crate::ops::operations;

/// CLEAN_EXPIRED_CONSUMEQUEUE (306): destroys the consume queues whose
/// messages have all left the commit log. A failure answers SYSTEM_ERROR
/// with its message, as Java's `catch (Throwable t)`.
pub fn clean_expired_consume_queue(host: &Host) -> Result<Response, ProcessError> {
    host.info("cleanExpiredConsumeQueue: start.");
    let destroyed = operations(host)?
        .clean_expired_consume_queues()
        .map_err(|error| ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string()))?;
    host.info(&format!(
        "cleanExpiredConsumeQueue: end ({destroyed} consume queues destroyed)."
    ));
    Ok(Response::success())
}

/// CLEAN_UNUSED_TOPIC (316): deletes the consume queues of topics without
/// a topic config (system and LMQ topics kept). Java answers SUCCESS
/// whatever the store did; a host that cannot clean answers SYSTEM_ERROR.
pub fn clean_unused_topic(host: &Host) -> Result<Response, ProcessError> {
    host.warn("invoke cleanUnusedTopic start.");
    let deleted = operations(host)?
        .clean_unused_topics()
        .map_err(|error| ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string()))?;
    host.warn(&format!(
        "invoke cleanUnusedTopic end ({deleted} consume queues deleted)."
    ));
    Ok(Response::success())
}
