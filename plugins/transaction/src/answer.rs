//! The answer to a commit from the put of its real message
//! (`EndTransactionProcessor.sendFinalMessage`).

use plugin_api::sdk::{PutStatus, Response, ResponseCode};

/// SUCCESS (no remark) when the real message was stored, whatever the
/// flush or replication said; otherwise Java's code and remark for the
/// status.
pub(crate) fn final_message_response(status: PutStatus, max_message_size: i64) -> Response {
    match status {
        PutStatus::PutOk
        | PutStatus::FlushDiskTimeout
        | PutStatus::FlushSlaveTimeout
        | PutStatus::SlaveNotAvailable => Response::success(),
        PutStatus::CreateMappedFileFailed => {
            Response::error(ResponseCode::SYSTEM_ERROR, "Create mapped file failed.")
        }
        PutStatus::MessageIllegal | PutStatus::PropertiesSizeExceeded => Response::error(
            ResponseCode::MESSAGE_ILLEGAL,
            format!(
                "The message is illegal, maybe msg body or properties length not matched. msg body length limit {max_message_size}B, msg properties length limit 32KB."
            ),
        ),
        PutStatus::ServiceNotAvailable => Response::error(
            ResponseCode::SERVICE_NOT_AVAILABLE,
            "Service not available now.",
        ),
        PutStatus::OsPageCacheBusy => Response::error(
            ResponseCode::SYSTEM_ERROR,
            "OS page cache busy, please try another machine",
        ),
        PutStatus::UnknownError => Response::error(ResponseCode::SYSTEM_ERROR, "UNKNOWN_ERROR"),
    }
}
