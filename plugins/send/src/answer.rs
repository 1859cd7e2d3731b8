//! From the store's put status to the answer: Java's
//! `SendMessageProcessor.handlePutMessageResult` for a send, and the
//! status check of `AbstractSendMessageProcessor.consumerSendMsgBack` for a
//! send-back.

use std::fmt;

use plugin_api::sdk::codec::ExtFields;
use plugin_api::sdk::{PutResult, PutStatus, Response, ResponseCode};

/// The answer to a send (single or batch) whose put gave `result`.
///
/// A stored message (PUT_OK and the statuses that still stored it) is
/// answered with `msgId` (the offset ids, comma-joined for a batch),
/// `queueId` (the queue the producer chose, whatever the message was
/// redirected to, as Java answers its local `queueIdInt`), `queueOffset`
/// and, for a single send, `transactionId` (its UNIQ_KEY). Under SYNC_FLUSH
/// the answer carries the put's flush ticket, so the host sends it only once
/// the message is durable (FLUSH_DISK_TIMEOUT otherwise).
pub(crate) fn send_response(
    result: &PutResult,
    queue_id: i32,
    transaction_id: Option<&str>,
) -> Response {
    let code = match result.status {
        PutStatus::PutOk => ResponseCode::SUCCESS,
        PutStatus::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
        PutStatus::FlushSlaveTimeout => ResponseCode::FLUSH_SLAVE_TIMEOUT,
        PutStatus::SlaveNotAvailable => ResponseCode::SLAVE_NOT_AVAILABLE,
        not_stored => return not_stored_response(not_stored),
    };
    let response = Response {
        code,
        // msgId, queueId, queueOffset, transactionId, MSG_REGION, TRACE_ON.
        ext_fields: ExtFields::with_capacity(6, 160),
        ..Response::default()
    };
    let mut response = match result.msg_ids.as_slice() {
        [id] => response.with_text("msgId", id),
        ids => response.with_field("msgId", MsgIds(ids)),
    }
    .with_int("queueId", queue_id)
    .with_int("queueOffset", result.queue_offset);
    if let Some(transaction_id) = transaction_id {
        response = response.with_text("transactionId", transaction_id);
    }
    response.when_durable(result.flush_ticket)
}

/// The answer to a put that stored nothing.
fn not_stored_response(status: PutStatus) -> Response {
    match status {
        PutStatus::CreateMappedFileFailed => Response::error(
            ResponseCode::SYSTEM_ERROR,
            "create mapped file failed, server is busy or broken.",
        ),
        PutStatus::MessageIllegal | PutStatus::PropertiesSizeExceeded => Response::error(
            ResponseCode::MESSAGE_ILLEGAL,
            "the message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.",
        ),
        PutStatus::ServiceNotAvailable => Response::error(
            ResponseCode::SERVICE_NOT_AVAILABLE,
            "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.",
        ),
        PutStatus::OsPageCacheBusy => Response::error(
            ResponseCode::SYSTEM_BUSY,
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
        ),
        _ => Response::error(ResponseCode::SYSTEM_ERROR, "UNKNOWN_ERROR"),
    }
}

/// The answer to a send-back: SUCCESS when stored, else SYSTEM_ERROR with
/// the status's Java name. The send-back puts with WAIT=false, so there is
/// no flush to wait for.
pub(crate) fn send_back_response(result: &PutResult) -> Response {
    match result.status {
        PutStatus::PutOk => Response::success(),
        other => Response::error(ResponseCode::SYSTEM_ERROR, other.name()),
    }
}

/// The stored ids as the `msgId` field writes them: comma-separated.
struct MsgIds<'a>(&'a [String]);

impl fmt::Display for MsgIds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, id) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(id)?;
        }
        Ok(())
    }
}
