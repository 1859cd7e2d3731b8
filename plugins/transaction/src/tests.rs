//! Unit tests on the SDK's in-memory host: commit, rollback and undecided
//! END_TRANSACTIONs, each of Java's refusals, and the records written.

use plugin_api::sdk::message::{decode_record, now_millis, sysflag, RecordRead};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder, StoredMessage};
use plugin_api::sdk::{MessageStore, MessageToPut, PutStatus, Response, ResponseCode};

use super::*;

const HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
const GROUP: &str = "tx-producer";

fn start(fake: &FakeHost) -> TransactionPlugin {
    fake.start::<TransactionPlugin>("")
        .expect("the transaction plugin starts")
}

/// Where a half was stored.
#[derive(Debug, Clone, Copy)]
struct Half {
    commit_log_offset: i64,
    queue_offset: i64,
}

/// The properties the send plugin gives a half for `Orders` queue 2, with
/// `extra` before the broker's additions.
fn half_properties(extra: &str) -> String {
    format!(
        "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}UNIQ-1\u{2}WAIT\u{1}true\u{2}TRAN_MSG\u{1}true\u{2}PGROUP\u{1}{GROUP}\u{2}{extra}CLUSTER\u{1}DefaultCluster\u{2}__transactionId__\u{1}UNIQ-1\u{2}REAL_TOPIC\u{1}Orders\u{2}REAL_QID\u{1}2\u{2}"
    )
}

/// Stores a half as the send plugin does (born `born` ms ago).
fn store_half(fake: &FakeHost, properties: &str, born_ago: i64) -> Half {
    let result = MessageStore::put_message(
        fake,
        &MessageToPut {
            topic: HALF_TOPIC,
            queue_id: 0,
            flag: 5,
            sys_flag: sysflag::MULTI_TAGS_FLAG,
            born_timestamp: now_millis() - born_ago,
            born_host: "10.0.0.9:40000",
            body: b"order #1",
            properties,
            reconsume_times: 1,
            prepared_transaction_offset: 0,
            wait_store: true,
        },
    );
    assert_eq!(result.status, PutStatus::PutOk);
    Half {
        commit_log_offset: result.wrote_offset,
        queue_offset: result.queue_offset,
    }
}

/// END_TRANSACTION for `half` as the stock client sends it.
fn end(half: Half, commit_or_rollback: i32) -> RequestBuilder {
    RequestBuilder::new(37)
        .field("producerGroup", GROUP)
        .field("tranStateTableOffset", half.queue_offset)
        .field("commitLogOffset", half.commit_log_offset)
        .field("commitOrRollback", commit_or_rollback)
        .field("fromTransactionCheck", false)
        .field("msgId", "UNIQ-1")
        .field("transactionId", "UNIQ-1")
        .field("topic", "Orders")
        .field("bname", "broker-a")
        .from_client("10.0.0.9:40000", 7)
}

fn respond(request: &RequestBuilder, plugin: &TransactionPlugin) -> Response {
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn record(message: &StoredMessage) -> plugin_api::sdk::message::MessageRecord {
    match decode_record(&message.record, true) {
        RecordRead::Message(record, _) => record,
        other => panic!("not a record: {other:?}"),
    }
}

fn assert_op_record(fake: &FakeHost, half_queue_offsets: &[i64]) {
    let ops = fake.messages_in(OP_TOPIC);
    assert_eq!(ops.len(), half_queue_offsets.len(), "{ops:?}");
    for (op, half_offset) in ops.iter().zip(half_queue_offsets) {
        assert_eq!(op.queue_id, 0, "the op queue of the half's queue");
        assert_eq!(op.body, format!("{half_offset},").into_bytes());
        assert_eq!(op.properties, "WAIT\u{1}true\u{2}TAGS\u{1}d\u{2}");
        assert_eq!(op.sys_flag, 0);
        let op = record(op);
        assert_eq!(op.header.born_host.to_string(), "127.0.0.1:10911");
        assert_eq!(op.header.flag, 0);
    }
}

#[test]
fn the_plugin_serves_end_transaction_only() {
    assert_eq!(TransactionPlugin::REQUEST_CODES, &[37]);
    assert_eq!(TransactionPlugin::NAME, "transaction");
    let fake = FakeHost::new();
    assert!(fake.start::<TransactionPlugin>(r#"{"x":1}"#).is_err());
}

#[test]
fn a_commit_stores_the_real_message_then_the_op_record() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let properties = half_properties("");
    let half = store_half(&fake, &properties, 10);
    let answer = respond(&end(half, 8), &plugin);
    assert_eq!(answer.code, ResponseCode::SUCCESS);
    assert_eq!(answer.remark, None);
    assert_eq!(answer.ext_fields.iter().count(), 0);

    let real = fake.messages_in("Orders");
    assert_eq!(real.len(), 1);
    let message = &real[0];
    assert_eq!(message.queue_id, 2);
    assert_eq!(message.body, b"order #1");
    assert_eq!(
        message.sys_flag,
        sysflag::MULTI_TAGS_FLAG | sysflag::TRANSACTION_COMMIT_TYPE
    );
    // Java writes the half's properties string: REAL_TOPIC, REAL_QID and
    // TRAN_MSG stay in it.
    assert_eq!(message.properties, properties);
    assert_eq!(message.reconsume_times, 1);
    let stored = record(message);
    assert_eq!(stored.header.flag, 5);
    assert_eq!(stored.header.born_host.to_string(), "10.0.0.9:40000");
    assert_eq!(
        stored.header.prepared_transaction_offset,
        half.commit_log_offset
    );
    assert_op_record(&fake, &[half.queue_offset]);
    // The op record follows the real message in the commit log.
    assert!(fake.messages_in(OP_TOPIC)[0].commit_log_offset > message.commit_log_offset);
}

#[test]
fn a_rollback_writes_only_the_op_record() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let first = store_half(&fake, &half_properties(""), 10);
    let second = store_half(&fake, &half_properties(""), 10);
    let answer = respond(&end(second, 12), &plugin);
    assert_eq!(answer.code, ResponseCode::SUCCESS);
    assert_eq!(answer.remark, None);
    assert!(fake.messages_in("Orders").is_empty());
    assert_op_record(&fake, &[second.queue_offset]);
    assert_eq!((first.queue_offset, second.queue_offset), (0, 1));
    assert!(fake
        .log_lines()
        .iter()
        .any(|line| line.starts_with("WARN transaction: The producer[10.0.0.9:40000] end transaction in sending message, rollback the message.")));
}

#[test]
fn an_undecided_end_transaction_is_not_answered_and_changes_nothing() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let half = store_half(&fake, &half_properties(""), 10);
    for from_check in [false, true] {
        let request = end(half, 0).field("fromTransactionCheck", from_check);
        assert!(matches!(request.run(&plugin), Outcome::NoResponse));
    }
    assert!(fake.messages_in("Orders").is_empty());
    assert!(fake.messages_in(OP_TOPIC).is_empty());
    let log = fake.log_lines();
    assert!(log.iter().any(|line| {
        line.contains(
        "The producer[10.0.0.9:40000] end transaction in sending message,  and it's pending status."
    )
    }));
    assert!(log.iter().any(|line| line
        .contains("Check producer[10.0.0.9:40000] transaction state, but it's pending status.")));
}

#[test]
fn answers_to_a_check_commit_and_roll_back() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let committed = store_half(&fake, &half_properties(""), 10);
    let rolled_back = store_half(&fake, &half_properties(""), 10);
    let commit = end(committed, 8).field("fromTransactionCheck", true);
    assert_eq!(respond(&commit, &plugin).code, ResponseCode::SUCCESS);
    let rollback = end(rolled_back, 12).field("fromTransactionCheck", "true");
    assert_eq!(respond(&rollback, &plugin).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("Orders").len(), 1);
    assert_op_record(&fake, &[committed.queue_offset, rolled_back.queue_offset]);
    let log = fake.log_lines();
    assert!(log.iter().any(|line| line.contains(
        "Check producer[10.0.0.9:40000] transaction state, the producer commit the message."
    )));
    assert!(log.iter().any(|line| line.contains(
        "Check producer[10.0.0.9:40000] transaction state, the producer rollback the message."
    )));
}

#[test]
fn a_decision_for_another_group_or_offset_is_refused() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let half = store_half(&fake, &half_properties(""), 10);
    for decision in [8, 12] {
        let wrong_group = end(half, decision).field("producerGroup", "other");
        let answer = respond(&wrong_group, &plugin);
        assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(answer.remark.as_deref(), Some("The producer group wrong"));

        let wrong_queue_offset = end(half, decision).field("tranStateTableOffset", 9);
        let answer = respond(&wrong_queue_offset, &plugin);
        assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            answer.remark.as_deref(),
            Some("The transaction state table offset wrong")
        );

        let nowhere = end(half, decision).field("commitLogOffset", half.commit_log_offset + 1);
        let answer = respond(&nowhere, &plugin);
        assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            answer.remark.as_deref(),
            Some("Find prepared transaction message failed")
        );
    }
    // A half without a producer group belongs to nobody.
    let orphan = store_half(&fake, "REAL_TOPIC\u{1}Orders\u{2}REAL_QID\u{1}0\u{2}", 10);
    let answer = respond(&end(orphan, 8), &plugin);
    assert_eq!(answer.remark.as_deref(), Some("The producer group wrong"));
    assert!(fake.messages_in("Orders").is_empty());
    assert!(fake.messages_in(OP_TOPIC).is_empty());
}

#[test]
fn a_half_without_its_destination_cannot_be_committed() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let half = store_half(
        &fake,
        &format!("PGROUP\u{1}{GROUP}\u{2}REAL_TOPIC\u{1}Orders\u{2}"),
        10,
    );
    let answer = respond(&end(half, 8), &plugin);
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the prepared message has no REAL_QID property")
    );
    assert!(fake.messages_in(OP_TOPIC).is_empty());
}

#[test]
fn a_late_producer_decision_on_a_half_with_check_immunity_is_refused() {
    let fake = FakeHost::new();
    fake.set_config("transactionTimeOut", "1000");
    let plugin = start(&fake);
    // Immunity 2 s: a decision 5 s after birth is too late, unless it
    // answers a check; 1 s after birth it is in time.
    let immune = half_properties("CHECK_IMMUNITY_TIME_IN_SECONDS\u{1}2\u{2}");
    let late = store_half(&fake, &immune, 5_000);
    let answer = respond(&end(late, 8), &plugin);
    assert_eq!(answer.code, ResponseCode::ILLEGAL_OPERATION);
    assert_eq!(answer.remark, None);
    assert!(fake.messages_in("Orders").is_empty());
    let answer = respond(&end(late, 12), &plugin);
    assert_eq!(answer.code, ResponseCode::ILLEGAL_OPERATION);

    let checked = end(late, 8).field("fromTransactionCheck", true);
    assert_eq!(respond(&checked, &plugin).code, ResponseCode::SUCCESS);
    let in_time = store_half(&fake, &immune, 1_000);
    assert_eq!(
        respond(&end(in_time, 8), &plugin).code,
        ResponseCode::SUCCESS
    );
    assert_eq!(fake.messages_in("Orders").len(), 2);
}

#[test]
fn a_failed_put_of_the_real_message_is_answered_and_leaves_the_half_pending() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let half = store_half(&fake, &half_properties(""), 10);
    for (status, code, remark) in [
        (
            PutStatus::ServiceNotAvailable,
            ResponseCode::SERVICE_NOT_AVAILABLE,
            "Service not available now.",
        ),
        (
            PutStatus::CreateMappedFileFailed,
            ResponseCode::SYSTEM_ERROR,
            "Create mapped file failed.",
        ),
        (
            PutStatus::OsPageCacheBusy,
            ResponseCode::SYSTEM_ERROR,
            "OS page cache busy, please try another machine",
        ),
        (
            PutStatus::MessageIllegal,
            ResponseCode::MESSAGE_ILLEGAL,
            "The message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.",
        ),
        (
            PutStatus::UnknownError,
            ResponseCode::SYSTEM_ERROR,
            "UNKNOWN_ERROR",
        ),
    ] {
        fake.state().put_status_override = Some(status);
        let answer = respond(&end(half, 8), &plugin);
        assert_eq!(answer.code, code, "{status:?}");
        assert_eq!(answer.remark.as_deref(), Some(remark), "{status:?}");
    }
    fake.state().put_status_override = None;
    assert!(fake.messages_in(OP_TOPIC).is_empty());
    assert_eq!(respond(&end(half, 8), &plugin).code, ResponseCode::SUCCESS);
}

#[test]
fn a_slave_refuses_end_transaction() {
    let fake = FakeHost::new();
    fake.set_config("brokerRole", "SLAVE");
    let plugin = start(&fake);
    let half = store_half(&fake, &half_properties(""), 10);
    let answer = respond(&end(half, 8), &plugin);
    assert_eq!(answer.code, ResponseCode::SLAVE_NOT_AVAILABLE);
    assert_eq!(answer.remark, None);
    assert!(fake.messages_in("Orders").is_empty());
}

#[test]
fn a_bad_header_is_answered_system_error_naming_the_field() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let half = store_half(&fake, &half_properties(""), 10);
    let answer = respond(&end(half, 5), &plugin);
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("commitOrRollback field wrong")
    );

    for missing in [
        "producerGroup",
        "tranStateTableOffset",
        "commitLogOffset",
        "commitOrRollback",
        "msgId",
    ] {
        let mut request = RequestBuilder::new(37);
        for (key, value) in [
            ("producerGroup", GROUP.to_owned()),
            ("tranStateTableOffset", half.queue_offset.to_string()),
            ("commitLogOffset", half.commit_log_offset.to_string()),
            ("commitOrRollback", "8".to_owned()),
            ("msgId", "UNIQ-1".to_owned()),
        ] {
            if key != missing {
                request = request.field(key, value);
            }
        }
        let answer = respond(&request, &plugin);
        assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            answer.remark,
            Some(format!("the custom field <{missing}> is null"))
        );
    }
    let not_a_number = end(half, 8).field("commitLogOffset", "x");
    let answer = respond(&not_a_number, &plugin);
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert!(answer
        .remark
        .as_deref()
        .is_some_and(|remark| remark.contains("commitLogOffset")));
    assert!(fake.messages_in("Orders").is_empty());
    assert!(fake.messages_in(OP_TOPIC).is_empty());
}
