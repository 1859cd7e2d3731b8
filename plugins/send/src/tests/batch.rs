//! SEND_BATCH_MESSAGE (320): the batch checks, the stored entries and the
//! answer (Java's `SendMessageProcessor.sendBatchMessage`).

use plugin_api::sdk::message::{encode_batch_entry, offset_msg_id, sysflag};
use plugin_api::sdk::testing::RequestBuilder;
use plugin_api::sdk::{FlushTicket, PutStatus, ResponseCode, TopicConfig};

use super::*;

/// A batch body of these (flag, body, encoded properties) entries.
fn batch_body(entries: &[(i32, &[u8], &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (flag, message, properties) in entries {
        encode_batch_entry(&mut body, *flag, message, properties).expect("encodable entry");
    }
    body
}

/// SEND_BATCH_MESSAGE to `topic`/`queue` with the batch flag and these
/// batch-level properties.
fn send_batch(
    topic: &str,
    queue: i32,
    properties: &[(&str, &str)],
    body: Vec<u8>,
) -> RequestBuilder {
    send_coded(320, topic, queue, properties)
        .field("m", true)
        .body(body)
}

/// Two messages with properties of their own (one with a trailing separator,
/// one without) and a third with none.
fn three_entries() -> Vec<u8> {
    batch_body(&[
        (1, b"first", "TAGS\u{1}A\u{2}UNIQ_KEY\u{1}U1\u{2}"),
        (2, b"second", "TAGS\u{1}B"),
        (3, b"third", ""),
    ])
}

#[test]
fn a_batch_is_stored_in_order_with_the_batch_properties_after_each_entry_s_own() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    let sent = answer(
        &plugin,
        &send_batch("Bulk", 1, &[("WAIT", "true")], three_entries()),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);

    let stored = fake.messages_in("Bulk");
    assert_eq!(stored.len(), 3);
    let suffix = "WAIT\u{1}true\u{2}MSG_REGION\u{1}DefaultRegion\u{2}TRACE_ON\u{1}true\u{2}CLUSTER\u{1}DefaultCluster\u{2}";
    assert_eq!(
        stored[0].properties,
        format!("TAGS\u{1}A\u{2}UNIQ_KEY\u{1}U1\u{2}{suffix}")
    );
    assert_eq!(stored[1].properties, format!("TAGS\u{1}B\u{2}{suffix}"));
    assert_eq!(stored[2].properties, suffix);
    assert_eq!(
        stored
            .iter()
            .map(|m| (m.queue_id, m.queue_offset, m.body.as_slice()))
            .collect::<Vec<_>>(),
        vec![
            (1, 0, &b"first"[..]),
            (1, 1, &b"second"[..]),
            (1, 2, &b"third"[..])
        ]
    );

    // Comma-joined ids of every stored message, the first queue offset, no
    // transactionId.
    let ids: Vec<String> = stored
        .iter()
        .map(|m| offset_msg_id(([127, 0, 0, 1], 10911).into(), m.commit_log_offset))
        .collect();
    assert_eq!(sent.field("msgId"), Some(ids.join(",").as_str()));
    assert_eq!(sent.field("queueId"), Some("1"));
    assert_eq!(sent.field("queueOffset"), Some("0"));
    assert_eq!(sent.field("transactionId"), None);
    assert_eq!(sent.field("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(sent.field("TRACE_ON"), Some("true"));
}

#[test]
fn the_batch_flag_decides_not_the_code() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    // SEND_MESSAGE_V2 with the batch flag: a batch.
    let flagged = send_v2("Bulk", 0, &[])
        .field("m", true)
        .body(batch_body(&[(0, b"a", ""), (0, b"b", "")]));
    assert_eq!(answer(&plugin, &flagged).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("Bulk").len(), 2);
    // SEND_BATCH_MESSAGE without it: one message, the body as it is.
    let body = batch_body(&[(0, b"a", "")]);
    let unflagged = send_coded(320, "Bulk", 0, &PLAIN).body(body.clone());
    assert_eq!(answer(&plugin, &unflagged).code, ResponseCode::SUCCESS);
    let stored = fake.messages_in("Bulk");
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2].body, body);
}

#[test]
fn a_batch_to_a_multi_tag_topic_marks_every_stored_sysflag() {
    let (fake, plugin) = started();
    let mut multi = TopicConfig::new("Bulk");
    multi.topic_filter_type = 1;
    fake.add_topic(multi);
    let sent = answer(&plugin, &send_batch("Bulk", 0, &[], three_entries()));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    let flags: Vec<i32> = fake
        .messages_in("Bulk")
        .iter()
        .map(|m| m.sys_flag)
        .collect();
    assert_eq!(flags, [sysflag::MULTI_TAGS_FLAG; 3]);
}

#[test]
fn a_batch_to_a_retry_topic_is_illegal() {
    let (fake, plugin) = started();
    let refused = answer(&plugin, &send_batch("%RETRY%cg", 0, &[], three_entries()));
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(
        refused.remark.as_deref(),
        Some("batch request does not support retry group %RETRY%cg")
    );
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_batch_topic_longer_than_a_plain_topic_may_be_is_illegal() {
    // Retry topics may have 255 characters; a batch's topic 127.
    let (fake, plugin) = started();
    let topic = format!("%RETRY%{}", "g".repeat(123));
    let refused = answer(&plugin, &send_batch(&topic, 0, &[], three_entries()));
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(
        refused.remark.as_deref(),
        Some("message topic length too long 130")
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_transactional_batch_is_illegal() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    let request =
        send_batch("Bulk", 0, &[], three_entries()).field("f", sysflag::TRANSACTION_PREPARED_TYPE);
    let refused = answer(&plugin, &request);
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(
        refused.remark.as_deref(),
        Some("batch message does not support transaction")
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_delayed_batch_is_illegal() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    let refused = answer(
        &plugin,
        &send_batch("Bulk", 0, &[("DELAY", "1")], three_entries()),
    );
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(
        refused.remark.as_deref(),
        Some("batch message does not support delay level")
    );
    // Level 0 is no delay.
    let sent = answer(
        &plugin,
        &send_batch("Bulk", 0, &[("DELAY", "0")], three_entries()),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("Bulk").len(), 3);
    assert!(fake.messages_in("SCHEDULE_TOPIC_XXXX").is_empty());
}

#[test]
fn a_malformed_batch_body_is_illegal() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    let mut body = three_entries();
    body.truncate(body.len() - 3);
    let refused = answer(&plugin, &send_batch("Bulk", 0, &[], body));
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    let first_two = batch_body(&[
        (1, b"first", "TAGS\u{1}A\u{2}UNIQ_KEY\u{1}U1\u{2}"),
        (2, b"second", "TAGS\u{1}B"),
    ]);
    assert_eq!(
        refused.remark,
        Some(format!(
            "the batch body is malformed: batch entry 2 at byte {} is truncated",
            first_two.len()
        ))
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_batch_checks_the_topic_and_queue_like_a_single_send() {
    let (fake, plugin) = started();
    let refused = answer(
        &plugin,
        &send_batch("Missing", 0, &[], three_entries()).field("c", "NoDefault"),
    );
    assert_eq!(refused.code, ResponseCode::TOPIC_NOT_EXIST);
    let refused = answer(&plugin, &send_batch("TBW102", 9, &[], three_entries()));
    assert_eq!(refused.code, ResponseCode::INVALID_PARAMETER);
    assert!(refused
        .remark
        .as_deref()
        .is_some_and(|remark| remark.starts_with("request queueId[9] is illegal")));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_batch_the_store_refuses_is_answered_with_the_status_code() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    fake.state().put_status_override = Some(PutStatus::ServiceNotAvailable);
    let refused = answer(&plugin, &send_batch("Bulk", 0, &[], three_entries()));
    assert_eq!(refused.code, ResponseCode::SERVICE_NOT_AVAILABLE);
    assert!(refused
        .remark
        .as_deref()
        .is_some_and(|remark| remark.starts_with("service not available now.")));
    assert_eq!(refused.field("msgId"), None);
    assert!(fake.state().messages.is_empty());
}

#[test]
fn under_sync_flush_a_waiting_batch_is_answered_once_durable() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Bulk"));
    fake.state().sync_flush = true;
    let waiting = answer(&plugin, &send_batch("Bulk", 0, &[], three_entries()));
    assert_eq!(waiting.code, ResponseCode::SUCCESS);
    let end = fake.state().commit_log_end;
    assert_eq!(
        waiting.flush_ticket,
        Some(FlushTicket { flush_offset: end })
    );
    let at_once = answer(
        &plugin,
        &send_batch("Bulk", 0, &[("WAIT", "false")], three_entries()),
    );
    assert_eq!(at_once.code, ResponseCode::SUCCESS);
    assert_eq!(at_once.flush_ticket, None);
    assert_eq!(fake.messages_in("Bulk").len(), 6);
    // The batch-level WAIT=false is stored with every entry.
    let second_batch = fake.messages_in("Bulk").split_off(3);
    assert!(second_batch
        .iter()
        .all(|message| property(message, "WAIT") == Some("false")));
}
