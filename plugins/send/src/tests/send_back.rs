//! CONSUMER_SEND_MSG_BACK (36): the message stored again for the group's
//! retry topic (after a delay) or its dead-letter topic (Java's
//! `AbstractSendMessageProcessor.consumerSendMsgBack`).

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::message::{decode_record, RecordRead};
use plugin_api::sdk::testing::RequestBuilder;
use plugin_api::sdk::{
    MessageStore, MessageToPut, PutStatus, ResponseCode, SubscriptionGroup, TopicConfig,
};

use super::*;

/// The original message's properties.
const ORIGINAL: &str = "TAGS\u{1}T\u{2}KEYS\u{1}k\u{2}UNIQ_KEY\u{1}U1\u{2}";

/// Stores a message of `BackTopic` queue 0 delivered `reconsume_times`
/// times with `properties`; returns its commit-log offset and offset id.
fn stored_original(fake: &FakeHost, reconsume_times: i32, properties: &str) -> (i64, String) {
    let result = MessageStore::put_message(
        fake,
        &MessageToPut {
            topic: "BackTopic",
            queue_id: 0,
            flag: 5,
            sys_flag: 0,
            born_timestamp: BORN,
            born_host: "10.0.0.9:41000",
            body: b"retry me",
            properties,
            reconsume_times,
            prepared_transaction_offset: 0,
            wait_store: true,
        },
    );
    assert_eq!(result.status, PutStatus::PutOk);
    (result.wrote_offset, result.msg_ids[0].clone())
}

/// A send-back of the message at `offset` for group `cg`.
fn send_back(offset: i64, delay_level: i32) -> RequestBuilder {
    RequestBuilder::new(36)
        .field("offset", offset)
        .field("group", "cg")
        .field("delayLevel", delay_level)
        .field("originMsgId", "0A0000010000000000000000CAFEBABE")
        .field("originTopic", "BackTopic")
}

#[test]
fn a_send_back_parks_the_message_for_the_retry_topic_with_the_next_delay() {
    let (fake, plugin) = started();
    let (offset, offset_id) = stored_original(&fake, 0, ORIGINAL);
    let back = answer(&plugin, &send_back(offset, 0));

    assert_eq!(back.code, ResponseCode::SUCCESS);
    assert_eq!(back.remark, None);
    // No fields at all: send-back answers carry no trace fields.
    assert!(back.ext_fields.is_empty());
    assert_eq!(back.flush_ticket, None);

    // The retry topic exists with the group's retryQueueNums (1).
    let retry = fake
        .state()
        .topics
        .get("%RETRY%cg")
        .cloned()
        .expect("created");
    assert_eq!(
        (retry.read_queue_nums, retry.write_queue_nums, retry.perm),
        (1, 1, 6)
    );
    // Level 0 after 0 deliveries = level 3: SCHEDULE_TOPIC_XXXX queue 2.
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].queue_id, 2);
    assert_eq!(parked[0].body, b"retry me");
    assert_eq!(parked[0].reconsume_times, 1);
    assert_eq!(
        properties_of(&parked[0]),
        pairs(&[
            ("TAGS", "T"),
            ("KEYS", "k"),
            ("UNIQ_KEY", "U1"),
            ("RETRY_TOPIC", "BackTopic"),
            ("WAIT", "false"),
            // The stored message's own offset id, not the request's originMsgId.
            ("ORIGIN_MESSAGE_ID", &offset_id),
            ("DELAY", "3"),
            ("REAL_TOPIC", "%RETRY%cg"),
            ("REAL_QID", "0"),
        ])
    );
    let RecordRead::Message(record, _) = decode_record(&parked[0].record, false) else {
        panic!("readable record");
    };
    // The original's producer, timestamp and flag.
    assert_eq!(record.header.born_host.to_string(), "10.0.0.9:41000");
    assert_eq!(record.header.born_timestamp, BORN);
    assert_eq!(record.header.flag, 5);
    assert!(fake.messages_in("%RETRY%cg").is_empty());
}

#[test]
fn the_requested_delay_level_is_used_and_capped() {
    let (fake, plugin) = started();
    let (offset, _) = stored_original(&fake, 2, ORIGINAL);
    assert_eq!(
        answer(&plugin, &send_back(offset, 5)).code,
        ResponseCode::SUCCESS
    );
    assert_eq!(
        answer(&plugin, &send_back(offset, 40)).code,
        ResponseCode::SUCCESS
    );
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    assert_eq!(
        parked
            .iter()
            .map(|m| (m.queue_id, property(m, "DELAY"), m.reconsume_times))
            .collect::<Vec<_>>(),
        vec![(4, Some("5"), 3), (17, Some("18"), 3)]
    );
}

#[test]
fn a_negative_level_sends_the_message_to_the_dead_letter_queue_0() {
    let (fake, plugin) = started();
    let (offset, offset_id) = stored_original(&fake, 0, ORIGINAL);
    let back = answer(&plugin, &send_back(offset, -1));
    assert_eq!(back.code, ResponseCode::SUCCESS, "{:?}", back.remark);
    assert!(fake.messages_in("SCHEDULE_TOPIC_XXXX").is_empty());
    let dead = fake.messages_in("%DLQ%cg");
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].queue_id, dead[0].reconsume_times), (0, 1));
    // Java's setDelayTimeLevel(0) on the way to the dead-letter topic.
    assert_eq!(property(&dead[0], "DELAY"), Some("0"));
    assert_eq!(property(&dead[0], "REAL_TOPIC"), None);
    assert_eq!(
        property(&dead[0], "ORIGIN_MESSAGE_ID"),
        Some(offset_id.as_str())
    );
    let dlq = fake
        .state()
        .topics
        .get("%DLQ%cg")
        .cloned()
        .expect("DLQ created");
    assert_eq!((dlq.write_queue_nums, dlq.perm), (1, 6));
}

#[test]
fn a_message_out_of_attempts_goes_to_the_dead_letter_topic() {
    let (fake, plugin) = started();
    // The group's 16 attempts.
    let (used_up, _) = stored_original(&fake, 16, ORIGINAL);
    assert_eq!(
        answer(&plugin, &send_back(used_up, 0)).code,
        ResponseCode::SUCCESS
    );
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 1);
    assert_eq!(fake.messages_in("%DLQ%cg")[0].reconsume_times, 17);

    // A modern client's maxReconsumeTimes.
    let (second, _) = stored_original(&fake, 2, ORIGINAL);
    let modern = send_back(second, 0)
        .field("maxReconsumeTimes", 2)
        .version(121);
    assert_eq!(answer(&plugin, &modern).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 2);
    // An old client's is ignored.
    let old = send_back(second, 0)
        .field("maxReconsumeTimes", 2)
        .version(120);
    assert_eq!(answer(&plugin, &old).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 2);
    assert_eq!(fake.messages_in("SCHEDULE_TOPIC_XXXX").len(), 1);
}

#[test]
fn an_earlier_origin_and_retry_topic_are_kept() {
    let (fake, plugin) = started();
    let properties =
        format!("{ORIGINAL}RETRY_TOPIC\u{1}FirstTopic\u{2}ORIGIN_MESSAGE_ID\u{1}FIRSTID\u{2}");
    let (offset, _) = stored_original(&fake, 1, &properties);
    assert_eq!(
        answer(&plugin, &send_back(offset, 0)).code,
        ResponseCode::SUCCESS
    );
    let parked = &fake.messages_in("SCHEDULE_TOPIC_XXXX")[0];
    assert_eq!(property(parked, "RETRY_TOPIC"), Some("FirstTopic"));
    assert_eq!(property(parked, "ORIGIN_MESSAGE_ID"), Some("FIRSTID"));
    assert_eq!(property(parked, "DELAY"), Some("4"), "3 + 1 delivery");
}

#[test]
fn retry_queues_are_taken_round_robin() {
    let (fake, plugin) = started();
    let mut group = SubscriptionGroup::new("cg");
    group.retry_queue_nums = 3;
    fake.add_group(group);
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    for _ in 0..4 {
        assert_eq!(
            answer(&plugin, &send_back(offset, 1)).code,
            ResponseCode::SUCCESS
        );
    }
    let queues: Vec<String> = fake
        .messages_in("SCHEDULE_TOPIC_XXXX")
        .iter()
        .map(|m| property(m, "REAL_QID").unwrap_or("none").to_owned())
        .collect();
    assert_eq!(queues, ["0", "1", "2", "0"]);
    let retry = fake
        .state()
        .topics
        .get("%RETRY%cg")
        .cloned()
        .expect("created");
    assert_eq!(retry.write_queue_nums, 3);
}

#[test]
fn missing_or_invalid_fields_are_refused() {
    let (fake, plugin) = started();
    for (request, remark) in [
        (
            RequestBuilder::new(36)
                .field("group", "cg")
                .field("delayLevel", 0),
            "the custom field <offset> is null",
        ),
        (
            RequestBuilder::new(36)
                .field("offset", 0)
                .field("delayLevel", 0),
            "the custom field <group> is null",
        ),
        (
            RequestBuilder::new(36)
                .field("offset", 0)
                .field("group", "cg"),
            "the custom field <delayLevel> is null",
        ),
        (
            send_back(0, 0).field("offset", "far"),
            "the custom field <offset> has an invalid long value: \"far\"",
        ),
        (
            send_back(0, 0).field("maxReconsumeTimes", "many"),
            "the custom field <maxReconsumeTimes> has an invalid int value: \"many\"",
        ),
    ] {
        let refused = answer(&plugin, &request);
        assert_eq!(refused.code, ResponseCode::SYSTEM_ERROR, "{remark}");
        assert_eq!(refused.remark.as_deref(), Some(remark));
        assert!(refused.ext_fields.is_empty());
    }
    assert!(fake.state().messages.is_empty());
}

#[test]
fn an_unknown_group_is_refused_when_groups_are_not_auto_created() {
    let (fake, plugin) = started();
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    fake.set_config("autoCreateSubscriptionGroup", "false");
    let refused = answer(&plugin, &send_back(offset, 0));
    assert_eq!(refused.code, ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_eq!(
        refused.remark,
        Some(format!("subscription group not exist, cg {FAQ_SUGGESTION}"))
    );
    assert!(!fake.state().topics.contains_key("%RETRY%cg"));
    assert_eq!(fake.state().messages.len(), 1, "only the original");
}

#[test]
fn a_read_only_broker_refuses_send_backs() {
    let fake = FakeHost::new();
    fake.state().identity.broker_permission = 4;
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    let plugin = start_on(&fake);
    let refused = answer(&plugin, &send_back(offset, 0));
    assert_eq!(refused.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("the broker[broker-a] sending message is forbidden")
    );
    assert_eq!(fake.state().messages.len(), 1);
}

#[test]
fn a_group_without_retry_queues_drops_the_message() {
    let (fake, plugin) = started();
    let mut group = SubscriptionGroup::new("cg");
    group.retry_queue_nums = 0;
    fake.add_group(group);
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    let back = answer(&plugin, &send_back(offset, 0));
    assert_eq!(back.code, ResponseCode::SUCCESS);
    assert_eq!(back.remark, None);
    assert!(!fake.state().topics.contains_key("%RETRY%cg"));
    assert_eq!(fake.state().messages.len(), 1);
}

#[test]
fn a_read_only_retry_topic_is_refused() {
    let (fake, plugin) = started();
    let mut retry = TopicConfig::new("%RETRY%cg");
    retry.perm = 4;
    fake.add_topic(retry);
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    let refused = answer(&plugin, &send_back(offset, 0));
    assert_eq!(refused.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("the topic[%RETRY%cg] sending message is forbidden")
    );
    assert_eq!(fake.state().messages.len(), 1);
}

#[test]
fn an_offset_without_a_message_is_a_system_error() {
    let (fake, plugin) = started();
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    let missing = offset + 1;
    let refused = answer(&plugin, &send_back(missing, 0));
    assert_eq!(refused.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        refused.remark,
        Some(format!("look message by offset failed, {missing}"))
    );
    assert_eq!(fake.state().messages.len(), 1);
}

#[test]
fn a_failed_put_is_a_system_error_named_by_the_status() {
    let (fake, plugin) = started();
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    for (status, remark) in [
        (PutStatus::OsPageCacheBusy, "OS_PAGE_CACHE_BUSY"),
        (PutStatus::FlushDiskTimeout, "FLUSH_DISK_TIMEOUT"),
        (PutStatus::ServiceNotAvailable, "SERVICE_NOT_AVAILABLE"),
    ] {
        fake.state().put_status_override = Some(status);
        let refused = answer(&plugin, &send_back(offset, 0));
        assert_eq!(refused.code, ResponseCode::SYSTEM_ERROR, "{status:?}");
        assert_eq!(refused.remark.as_deref(), Some(remark));
        assert!(refused.ext_fields.is_empty());
    }
    assert_eq!(fake.state().messages.len(), 1);
}

#[test]
fn a_stored_send_back_is_counted_for_the_group_and_the_original_topic() {
    let (fake, plugin) = started();
    let (offset, _) = stored_original(&fake, 0, ORIGINAL);
    assert_eq!(
        answer(&plugin, &send_back(offset, 0)).code,
        ResponseCode::SUCCESS
    );
    // A message already back from the retry topic counts for its RETRY_TOPIC.
    let (again, _) = stored_original(&fake, 1, "TAGS\u{1}T\u{2}RETRY_TOPIC\u{1}FirstTopic\u{2}");
    assert_eq!(
        answer(&plugin, &send_back(again, 0)).code,
        ResponseCode::SUCCESS
    );
    assert_eq!(
        fake.state().send_backs,
        vec![
            ("cg".to_owned(), "BackTopic".to_owned()),
            ("cg".to_owned(), "FirstTopic".to_owned())
        ]
    );
    // A refused put is not counted.
    let (third, _) = stored_original(&fake, 0, ORIGINAL);
    fake.state().put_status_override = Some(PutStatus::ServiceNotAvailable);
    assert_ne!(
        answer(&plugin, &send_back(third, 0)).code,
        ResponseCode::SUCCESS
    );
    assert_eq!(fake.state().send_backs.len(), 2);
}
