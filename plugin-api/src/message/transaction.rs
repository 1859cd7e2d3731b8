//! Transactional messages as Apache RocketMQ 5.3.3 stores them, shared by
//! the send and transaction plugins and the host's transaction check
//! service, so that each transformation exists once.
//!
//! - A **half** (prepared) message is a send with `TRAN_MSG=true`: it is
//!   stored in [`TRANS_HALF_TOPIC`] queue [`HALF_QUEUE_ID`] with its real
//!   destination in `REAL_TOPIC` / `REAL_QID`, its `UNIQ_KEY` copied to
//!   `__transactionId__` and the transaction bits of its sysFlag cleared
//!   (`TransactionalMessageBridge.parseHalfMessageInner`), so it is
//!   dispatched to the half queue and to no consumer's queue.
//! - END_TRANSACTION **commit** writes the real message from the half
//!   (`EndTransactionProcessor.endMessageTransaction`, [`committed_message`]);
//!   commit and rollback both write an **op** record into
//!   [`TRANS_OP_HALF_TOPIC`]: tag [`REMOVE_TAG`], body the half's queue
//!   offset followed by [`OFFSET_SEPARATOR`]
//!   (`TransactionalMessageServiceImpl.deletePrepareMessage`), in the op
//!   queue of the same id as the half's queue.
//! - The check service reads the half and op queues with the consumer
//!   offsets of group [`CHECK_GROUP`] and asks producers about halves that
//!   are neither committed nor rolled back.

use std::borrow::Cow;
use std::fmt;

use super::properties::{self as prop, Properties};
use super::record::{sysflag, MessageRecord};

pub use crate::topics::{TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC};

/// The queue every half message is stored in.
pub const HALF_QUEUE_ID: i32 = 0;
/// The consumer group whose offsets in the half and op topics are the check
/// service's progress (`MixAll.CID_SYS_RMQ_TRANS`).
pub const CHECK_GROUP: &str = "CID_RMQ_SYS_TRANS";
/// The tag of an op record (`TransactionalMessageUtil.REMOVE_TAG`).
pub const REMOVE_TAG: &str = "d";
/// Ends each half queue offset in an op record's body
/// (`TransactionalMessageUtil.OFFSET_SEPARATOR`).
pub const OFFSET_SEPARATOR: char = ',';
/// The stored properties of an op record. Java builds the op message with
/// `new Message(opTopic, "d", body)` (TAGS, and WAIT=true), computes the
/// properties string from that `HashMap` (WAIT hashes before TAGS), and
/// only then sets WAIT=false and a UNIQ_KEY on the map
/// (`TransactionalMessageBridge.makeOpMessageInner`): the string, which is
/// what the store writes, keeps the first two.
pub const OP_PROPERTIES: &str = "WAIT\u{1}true\u{2}TAGS\u{1}d\u{2}";

/// Why a half message cannot be turned into its real message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionError {
    /// `REAL_TOPIC` is missing.
    NoRealTopic,
    /// `REAL_QID` is missing or not an int.
    BadRealQueueId(Option<String>),
}

impl fmt::Display for TransactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionError::NoRealTopic => {
                write!(
                    f,
                    "the prepared message has no {} property",
                    prop::REAL_TOPIC
                )
            }
            TransactionError::BadRealQueueId(None) => {
                write!(f, "the prepared message has no {} property", prop::REAL_QID)
            }
            TransactionError::BadRealQueueId(Some(value)) => write!(
                f,
                "the prepared message's {} is not an int: {value:?}",
                prop::REAL_QID
            ),
        }
    }
}

impl std::error::Error for TransactionError {}

/// Whether a send is a half message: `Boolean.parseBoolean(TRAN_MSG)`
/// (`true` in any case), unless it is a redelivery with a delay level (a
/// client under 4.6.1 re-sent a transactional message back that way;
/// `SendMessageProcessor.sendMessage`).
pub fn is_half_message(properties: &Properties<'_>, reconsume_times: i32) -> bool {
    let prepared = properties
        .get(prop::TRAN_MSG)
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let delay_level = properties
        .get(prop::DELAY)
        .and_then(|level| level.parse::<i32>().ok())
        .unwrap_or(0);
    prepared && !(reconsume_times > 0 && delay_level > 0)
}

/// `MessageSysFlag.resetTransactionValue`: `sys_flag` with its transaction
/// bits replaced by `transaction_type`.
pub const fn reset_transaction_value(sys_flag: i32, transaction_type: i32) -> i32 {
    (sys_flag & !sysflag::TRANSACTION_TYPE_MASK) | transaction_type
}

/// Turns a send's properties into a half message's
/// (`TransactionalMessageBridge.parseHalfMessageInner`): `__transactionId__`
/// = `UNIQ_KEY` when it has one, `REAL_TOPIC` / `REAL_QID` = the
/// destination. The half itself goes to [`TRANS_HALF_TOPIC`] queue
/// [`HALF_QUEUE_ID`] with [`half_sys_flag`].
pub fn make_half_properties<'a>(
    properties: &mut Properties<'a>,
    topic: impl Into<Cow<'a, str>>,
    queue_id: i32,
) {
    if let Some(uniq) = properties.get(prop::UNIQ_KEY).filter(|id| !id.is_empty()) {
        let uniq = uniq.to_owned();
        properties.insert(prop::TRANSACTION_ID, uniq);
    }
    properties.insert(prop::REAL_TOPIC, topic);
    properties.insert(prop::REAL_QID, queue_id.to_string());
}

/// The sysFlag a half message is stored with: the transaction bits reset to
/// TRANSACTION_NOT_TYPE, so the store dispatches it to the half queue.
pub const fn half_sys_flag(sys_flag: i32) -> i32 {
    reset_transaction_value(sys_flag, sysflag::TRANSACTION_NOT_TYPE)
}

/// The real destination of a half message: `REAL_TOPIC`, and `REAL_QID`
/// parsed as Java's `Integer.parseInt` would.
pub fn real_destination(half: &MessageRecord) -> Result<(&str, i32), TransactionError> {
    let topic = half
        .property(prop::REAL_TOPIC)
        .ok_or(TransactionError::NoRealTopic)?;
    let queue = half.property(prop::REAL_QID);
    let queue_id = queue
        .and_then(|q| q.parse::<i32>().ok())
        .ok_or_else(|| TransactionError::BadRealQueueId(queue.map(str::to_owned)))?;
    Ok((topic, queue_id))
}

/// What a commit stores: the half's record turned into the real message
/// (`EndTransactionProcessor.endMessageTransaction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedMessage<'a> {
    /// `REAL_TOPIC`.
    pub topic: &'a str,
    /// `REAL_QID`.
    pub queue_id: i32,
    /// The half's sysFlag with TRANSACTION_COMMIT_TYPE.
    pub sys_flag: i32,
    /// The half's properties string, as stored. Java sets the string from
    /// the half's map before it clears REAL_TOPIC, REAL_QID and TRAN_MSG
    /// from the map, and the store writes the string: a committed message
    /// keeps them (and PGROUP, `__transactionId__`), as on a Java broker.
    pub properties: &'a str,
    /// PREPARED TRANSACTION OFFSET: the half's commit-log offset.
    pub prepared_transaction_offset: i64,
}

/// The real message a commit of `half` stores; flag, body, born time and
/// host and reconsume times are the half's.
pub fn committed_message(half: &MessageRecord) -> Result<CommittedMessage<'_>, TransactionError> {
    let (topic, queue_id) = real_destination(half)?;
    Ok(CommittedMessage {
        topic,
        queue_id,
        sys_flag: reset_transaction_value(half.header.sys_flag, sysflag::TRANSACTION_COMMIT_TYPE),
        properties: &half.properties,
        prepared_transaction_offset: half.header.physical_offset,
    })
}

/// The body of the op record that marks the half at `half_queue_offset` as
/// committed or rolled back (`<offset>,`).
pub fn op_body(half_queue_offset: i64) -> String {
    format!("{half_queue_offset}{OFFSET_SEPARATOR}")
}

/// The half queue offsets an op record's body names, as
/// `TransactionalMessageServiceImpl.fillOpRemoveMap` reads them: split on
/// [`OFFSET_SEPARATOR`] (trailing empty parts dropped, as Java's
/// `String.split` drops them), each part parsed as a long, -1 for a part
/// that is not one.
pub fn op_offsets(body: &[u8]) -> Vec<i64> {
    let text = String::from_utf8_lossy(body);
    if text.is_empty() {
        // "".split(",") is [""] in Java: one unparsable part.
        return vec![-1];
    }
    let mut parts: Vec<&str> = text.split(OFFSET_SEPARATOR).collect();
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
        .iter()
        .map(|part| part.parse::<i64>().unwrap_or(-1))
        .collect()
}

/// How long after its birth a half with `CHECK_IMMUNITY_TIME_IN_SECONDS`
/// may no longer be committed or rolled back by its producer directly
/// (`TransactionalMessageUtil.getImmunityTime`, used by
/// `EndTransactionProcessor.rejectCommitOrRollback`): the seconds × 1000
/// (0 when not a long), never less than `transactionTimeOut`.
pub fn end_immunity_millis(check_immunity_seconds: &str, transaction_timeout: i64) -> i64 {
    let millis = check_immunity_seconds
        .parse::<i64>()
        .map(|seconds| seconds.wrapping_mul(1000))
        .unwrap_or(0);
    millis.max(transaction_timeout)
}

/// How long after its birth the check service leaves a half with
/// `CHECK_IMMUNITY_TIME_IN_SECONDS` alone
/// (`TransactionalMessageServiceImpl.getImmunityTime`): the seconds × 1000,
/// or `transactionTimeOut` when the value is not a long (or is -1).
pub fn check_immunity_millis(check_immunity_seconds: &str, transaction_timeout: i64) -> i64 {
    match check_immunity_seconds.parse::<i64>().unwrap_or(-1) {
        -1 => transaction_timeout,
        seconds => seconds.wrapping_mul(1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{decode_record, RecordRead, RecordToEncode};
    use std::net::SocketAddr;

    fn record(properties: &str, sys_flag: i32) -> MessageRecord {
        let encode = RecordToEncode {
            queue_id: 0,
            flag: 3,
            queue_offset: 7,
            physical_offset: 4096,
            sys_flag,
            born_timestamp: 1_700_000_000_000,
            born_host: SocketAddr::from(([10, 0, 0, 1], 5000)),
            store_timestamp: 1_700_000_000_100,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body_crc: crate::message::body_crc(b"hello"),
            body: b"hello",
            topic: TRANS_HALF_TOPIC,
            properties,
        };
        let mut bytes = vec![0; encode.encoded_len()];
        encode_record_into_checked(&encode, &mut bytes);
        match decode_record(&bytes, true) {
            RecordRead::Message(record, _) => record,
            other => panic!("not a record: {other:?}"),
        }
    }

    fn encode_record_into_checked(encode: &RecordToEncode<'_>, bytes: &mut [u8]) {
        crate::message::encode_record_into(encode, bytes).expect("encodes");
    }

    #[test]
    fn a_send_is_a_half_message_on_tran_msg_true_in_any_case() {
        for (props, reconsume, half) in [
            ("TRAN_MSG\u{1}true\u{2}", 0, true),
            ("TRAN_MSG\u{1}TRUE\u{2}", 0, true),
            ("TRAN_MSG\u{1}false\u{2}", 0, false),
            ("TRAN_MSG\u{1}yes\u{2}", 0, false),
            ("KEYS\u{1}k\u{2}", 0, false),
            // A redelivery with a delay level is not (clients under 4.6.1).
            ("TRAN_MSG\u{1}true\u{2}DELAY\u{1}3\u{2}", 1, false),
            ("TRAN_MSG\u{1}true\u{2}DELAY\u{1}3\u{2}", 0, true),
            ("TRAN_MSG\u{1}true\u{2}DELAY\u{1}0\u{2}", 2, true),
        ] {
            assert_eq!(
                is_half_message(&Properties::parse(props), reconsume),
                half,
                "{props:?} {reconsume}"
            );
        }
    }

    #[test]
    fn half_properties_carry_the_destination_and_the_transaction_id() {
        let mut properties =
            Properties::parse("TRAN_MSG\u{1}true\u{2}PGROUP\u{1}g\u{2}UNIQ_KEY\u{1}ABC\u{2}");
        make_half_properties(&mut properties, "Orders", 3);
        assert_eq!(
            properties.encode(),
            "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}g\u{2}UNIQ_KEY\u{1}ABC\u{2}__transactionId__\u{1}ABC\u{2}REAL_TOPIC\u{1}Orders\u{2}REAL_QID\u{1}3\u{2}"
        );
        let mut without_uniq = Properties::parse("TRAN_MSG\u{1}true\u{2}");
        make_half_properties(&mut without_uniq, "Orders", 0);
        assert_eq!(without_uniq.get(prop::TRANSACTION_ID), None);
        assert_eq!(half_sys_flag(0x4 | 0x2 | 0x1), 0x3);
        assert_eq!(half_sys_flag(0xC), 0);
    }

    #[test]
    fn a_commit_restores_the_destination_and_keeps_the_stored_properties() {
        let props =
            "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}g\u{2}REAL_TOPIC\u{1}Orders\u{2}REAL_QID\u{1}2\u{2}";
        let half = record(props, 0x2);
        let committed = committed_message(&half).expect("commits");
        assert_eq!(committed.topic, "Orders");
        assert_eq!(committed.queue_id, 2);
        assert_eq!(committed.sys_flag, 0x2 | sysflag::TRANSACTION_COMMIT_TYPE);
        assert_eq!(committed.properties, props);
        assert_eq!(committed.prepared_transaction_offset, 4096);

        assert_eq!(
            committed_message(&record("REAL_QID\u{1}2\u{2}", 0)),
            Err(TransactionError::NoRealTopic)
        );
        assert_eq!(
            committed_message(&record("REAL_TOPIC\u{1}T\u{2}REAL_QID\u{1}x\u{2}", 0)),
            Err(TransactionError::BadRealQueueId(Some("x".into())))
        );
        assert_eq!(
            committed_message(&record("REAL_TOPIC\u{1}T\u{2}", 0))
                .expect_err("no qid")
                .to_string(),
            "the prepared message has no REAL_QID property"
        );
    }

    #[test]
    fn op_bodies_are_offsets_each_followed_by_a_comma() {
        assert_eq!(op_body(0), "0,");
        assert_eq!(op_body(42), "42,");
        assert_eq!(op_offsets(b"42,"), vec![42]);
        assert_eq!(op_offsets(b"1,2,3,"), vec![1, 2, 3]);
        assert_eq!(op_offsets(b"1,x,3"), vec![1, -1, 3]);
        assert_eq!(op_offsets(b",5"), vec![-1, 5]);
        assert_eq!(op_offsets(b""), vec![-1]);
        assert_eq!(op_offsets(b"7,,,"), vec![7]);
        assert_eq!(op_offsets(b",,,"), Vec::<i64>::new());
    }

    #[test]
    fn immunity_times_follow_each_of_javas_two_readings() {
        assert_eq!(end_immunity_millis("10", 6000), 10_000);
        assert_eq!(end_immunity_millis("2", 6000), 6000);
        assert_eq!(end_immunity_millis("x", 6000), 6000);
        assert_eq!(check_immunity_millis("10", 6000), 10_000);
        assert_eq!(check_immunity_millis("2", 6000), 2000);
        assert_eq!(check_immunity_millis("x", 6000), 6000);
        assert_eq!(check_immunity_millis("-1", 6000), 6000);
    }
}
