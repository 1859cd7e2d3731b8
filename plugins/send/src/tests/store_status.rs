//! Every put status of the store and the answer it gives (Java's
//! `SendMessageProcessor.handlePutMessageResult`).

use plugin_api::sdk::{PutStatus, ResponseCode, TopicConfig};

use super::*;

const ILLEGAL: &str = "the message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.";
const NOT_AVAILABLE: &str = "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.";

#[test]
fn statuses_that_stored_nothing_are_answered_with_java_s_codes_and_remarks() {
    let cases = [
        (
            PutStatus::CreateMappedFileFailed,
            ResponseCode::SYSTEM_ERROR,
            "create mapped file failed, server is busy or broken.",
        ),
        (
            PutStatus::MessageIllegal,
            ResponseCode::MESSAGE_ILLEGAL,
            ILLEGAL,
        ),
        (
            PutStatus::PropertiesSizeExceeded,
            ResponseCode::MESSAGE_ILLEGAL,
            ILLEGAL,
        ),
        (
            PutStatus::ServiceNotAvailable,
            ResponseCode::SERVICE_NOT_AVAILABLE,
            NOT_AVAILABLE,
        ),
        (
            PutStatus::OsPageCacheBusy,
            ResponseCode::SYSTEM_BUSY,
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
        ),
        (
            PutStatus::UnknownError,
            ResponseCode::SYSTEM_ERROR,
            "UNKNOWN_ERROR",
        ),
    ];
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Busy"));
    for (status, code, remark) in cases {
        fake.state().put_status_override = Some(status);
        let refused = answer(&plugin, &send_v2("Busy", 0, &PLAIN));
        assert_eq!(refused.code, code, "{status:?}");
        assert_eq!(refused.remark.as_deref(), Some(remark), "{status:?}");
        assert_eq!(refused.field("msgId"), None, "{status:?}");
        assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
        assert_eq!(refused.flush_ticket, None);
    }
    assert!(fake.state().messages.is_empty());
}

#[test]
fn statuses_that_stored_the_message_answer_its_fields_under_their_own_code() {
    let cases = [
        (
            PutStatus::FlushDiskTimeout,
            ResponseCode::FLUSH_DISK_TIMEOUT,
        ),
        (
            PutStatus::FlushSlaveTimeout,
            ResponseCode::FLUSH_SLAVE_TIMEOUT,
        ),
        (
            PutStatus::SlaveNotAvailable,
            ResponseCode::SLAVE_NOT_AVAILABLE,
        ),
    ];
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Slow"));
    for (status, code) in cases {
        fake.state().put_status_override = Some(status);
        let sent = answer(&plugin, &send_v2("Slow", 2, &PLAIN));
        assert_eq!(sent.code, code, "{status:?}");
        assert_eq!(sent.remark, None, "{status:?}");
        // The fake's failed put has no ids and offset -1: answered as they are.
        assert_eq!(sent.field("msgId"), Some(""));
        assert_eq!(sent.field("queueId"), Some("2"));
        assert_eq!(sent.field("queueOffset"), Some("-1"));
        assert_eq!(
            sent.field("transactionId"),
            Some("7F00000100002A9F0000000000000001")
        );
        assert_eq!(sent.field("TRACE_ON"), Some("true"));
    }
}
