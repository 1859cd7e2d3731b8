//! SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310): the header, the topic check,
//! the queue choice, the stored message and the answer.

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::message::{decode_record, encode_properties, sysflag, RecordRead};
use plugin_api::sdk::testing::RequestBuilder;
use plugin_api::sdk::{FlushTicket, ResponseCode, TopicConfig};

use super::*;

#[test]
fn a_v2_send_stores_the_message_and_answers_its_ids() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Orders"));
    let sent = answer(&plugin, &send_v2("Orders", 3, &PLAIN));

    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(sent.remark, None);
    let stored = fake.messages_in("Orders");
    assert_eq!(stored.len(), 1);
    let message = &stored[0];
    assert_eq!((message.queue_id, message.queue_offset), (3, 0));
    assert_eq!(message.body, b"hello");
    assert_eq!(message.sys_flag, 0);
    assert_eq!(message.reconsume_times, 0);
    // The client's properties in order, then what the broker adds.
    assert_eq!(
        properties_of(message),
        pairs(&[
            ("TAGS", "TagA"),
            ("KEYS", "k1"),
            ("UNIQ_KEY", "7F00000100002A9F0000000000000001"),
            ("WAIT", "true"),
            ("MSG_REGION", "DefaultRegion"),
            ("TRACE_ON", "true"),
            ("CLUSTER", "DefaultCluster"),
        ])
    );
    let RecordRead::Message(record, _) = decode_record(&message.record, false) else {
        panic!("the fake stores a readable record");
    };
    assert_eq!(record.header.born_timestamp, BORN);
    assert_eq!(record.header.born_host.to_string(), "127.0.0.1:50000");

    // msgId, queueId, queueOffset, transactionId, then the trace fields.
    let msg_id = record.offset_msg_id();
    assert_eq!(
        sent.ext_fields
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect::<Vec<_>>(),
        pairs(&[
            ("msgId", msg_id.as_str()),
            ("queueId", "3"),
            ("queueOffset", "0"),
            ("transactionId", "7F00000100002A9F0000000000000001"),
            ("MSG_REGION", "DefaultRegion"),
            ("TRACE_ON", "true"),
        ])
    );
    assert_eq!(
        sent.flush_ticket, None,
        "no ticket without SYNC_FLUSH: answered at once"
    );
}

#[test]
fn a_v1_send_reads_the_long_field_names() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Legacy"));
    let request = RequestBuilder::new(10)
        .field("producerGroup", "pg")
        .field("topic", "Legacy")
        .field("defaultTopic", "TBW102")
        .field("defaultTopicQueueNums", 4)
        .field("queueId", 2)
        .field("sysFlag", 0)
        .field("bornTimestamp", BORN)
        .field("flag", 7)
        .field("properties", encode_properties(PLAIN))
        .field("reconsumeTimes", 0)
        .body(&b"v1"[..]);
    let sent = answer(&plugin, &request);
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    assert_eq!(sent.field("queueId"), Some("2"));
    let stored = fake.messages_in("Legacy");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].queue_id, stored[0].body.as_slice()),
        (2, &b"v1"[..])
    );
    let RecordRead::Message(record, _) = decode_record(&stored[0].record, false) else {
        panic!("readable record");
    };
    assert_eq!(record.header.flag, 7);
}

#[test]
fn a_missing_field_is_refused_in_the_naming_of_the_code_without_trace_fields() {
    let (fake, plugin) = started();
    let v2 = answer(&plugin, &RequestBuilder::new(310).field("a", "pg"));
    assert_eq!(v2.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(v2.remark.as_deref(), Some("the custom field <b> is null"));
    assert_eq!(v2.field("MSG_REGION"), None);

    let v1 = answer(
        &plugin,
        &RequestBuilder::new(10)
            .field("producerGroup", "pg")
            .field("topic", "T")
            .field("defaultTopic", "TBW102"),
    );
    assert_eq!(v1.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        v1.remark.as_deref(),
        Some("the custom field <defaultTopicQueueNums> is null")
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn an_unparsable_number_is_refused_naming_field_and_value() {
    let (fake, plugin) = started();
    let refused = answer(&plugin, &send_v2("Orders", 0, &PLAIN).field("e", "first"));
    assert_eq!(refused.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        refused.remark.as_deref(),
        Some("the custom field <e> has an invalid int value: \"first\"")
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn an_unknown_topic_is_created_from_the_default_topic() {
    let (fake, plugin) = started();
    let sent = answer(&plugin, &send_v2("Fresh", 1, &PLAIN));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    let created = fake.state().topics.get("Fresh").cloned().expect("created");
    // The header asks for 4 queues; TBW102's INHERIT bit is not passed on.
    assert_eq!(
        (
            created.read_queue_nums,
            created.write_queue_nums,
            created.perm
        ),
        (4, 4, 6)
    );
    assert_eq!(fake.messages_in("Fresh").len(), 1);
}

#[test]
fn an_unknown_topic_without_an_inheritable_default_does_not_exist() {
    let (fake, plugin) = started();
    let refused = answer(
        &plugin,
        &send_v2("Nowhere", 0, &PLAIN).field("c", "NoDefault"),
    );
    assert_eq!(refused.code, ResponseCode::TOPIC_NOT_EXIST);
    assert_eq!(
        refused.remark,
        Some(format!(
            "topic[Nowhere] not exist, apply first please!{FAQ_SUGGESTION}"
        ))
    );
    // Error answers carry the trace fields too.
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(refused.field("TRACE_ON"), Some("true"));
    assert!(!fake.state().topics.contains_key("Nowhere"));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn an_invalid_topic_name_is_an_invalid_parameter() {
    let (fake, plugin) = started();
    let refused = answer(&plugin, &send_v2("bad topic!", 0, &PLAIN));
    assert_eq!(refused.code, ResponseCode::INVALID_PARAMETER);
    assert_eq!(
        refused.remark.as_deref(),
        Some("The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")
    );
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_system_topic_may_not_be_sent_to() {
    let (fake, plugin) = started();
    let refused = answer(&plugin, &send_v2("SCHEDULE_TOPIC_XXXX", 0, &PLAIN));
    assert_eq!(refused.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.")
    );
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_queue_beyond_the_topic_is_refused_describing_the_topic() {
    let (fake, plugin) = started();
    let refused = answer(&plugin, &send_v2("TBW102", 8, &PLAIN));
    assert_eq!(refused.code, ResponseCode::INVALID_PARAMETER);
    assert_eq!(
        refused.remark.as_deref(),
        Some(
            "request queueId[8] is illegal, TopicConfig [topicName=TBW102, readQueueNums=8, \
             writeQueueNums=8, perm=RWX, topicFilterType=SINGLE_TAG, topicSysFlag=0, \
             order=false, attributes={}] Producer: 127.0.0.1:50000"
        )
    );
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_negative_queue_lets_the_broker_pick_round_robin() {
    let (fake, plugin) = started();
    let mut topic = TopicConfig::new("Picked");
    topic.write_queue_nums = 3;
    topic.read_queue_nums = 3;
    fake.add_topic(topic);
    let queues: Vec<String> = (0..4)
        .map(|_| {
            let sent = answer(&plugin, &send_v2("Picked", -1, &PLAIN));
            sent.field("queueId").expect("queueId").to_owned()
        })
        .collect();
    assert_eq!(queues, ["0", "1", "2", "0"]);
    let stored: Vec<i32> = fake
        .messages_in("Picked")
        .iter()
        .map(|m| m.queue_id)
        .collect();
    assert_eq!(stored, [0, 1, 2, 0]);
}

#[test]
fn a_read_only_broker_refuses_only_ordered_topics() {
    let fake = FakeHost::new();
    fake.state().identity.broker_permission = 4;
    let mut ordered = TopicConfig::new("Ordered");
    ordered.order = true;
    fake.add_topic(ordered);
    fake.add_topic(TopicConfig::new("Unordered"));
    let plugin = start_on(&fake);

    let refused = answer(&plugin, &send_v2("Ordered", 0, &PLAIN));
    assert_eq!(refused.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("the broker[broker-a] sending message is forbidden")
    );
    assert!(fake.messages_in("Ordered").is_empty());
    // Java's msgCheck looks at the broker permission for ordered topics only.
    let sent = answer(&plugin, &send_v2("Unordered", 0, &PLAIN));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("Unordered").len(), 1);
}

#[test]
fn a_topic_s_own_permission_is_not_checked() {
    let (fake, plugin) = started();
    let mut read_only = TopicConfig::new("ReadOnly");
    read_only.perm = 4;
    fake.add_topic(read_only);
    let sent = answer(&plugin, &send_v2("ReadOnly", 0, &PLAIN));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    assert_eq!(fake.messages_in("ReadOnly").len(), 1);
}

#[test]
fn a_multi_tag_topic_marks_the_stored_sysflag() {
    let (fake, plugin) = started();
    let mut multi = TopicConfig::new("Multi");
    multi.topic_filter_type = 1;
    fake.add_topic(multi);
    let sent = answer(&plugin, &send_v2("Multi", 0, &PLAIN).field("f", 1));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(
        fake.messages_in("Multi")[0].sys_flag,
        sysflag::COMPRESSED_FLAG | sysflag::MULTI_TAGS_FLAG
    );
}

#[test]
fn a_missing_uniq_key_is_generated_and_answered_as_the_transaction_id() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Keyless"));
    let sent = answer(&plugin, &send_v2("Keyless", 0, &[("TAGS", "T")]));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    let transaction_id = sent.field("transactionId").expect("transactionId");
    assert_eq!(transaction_id.len(), 32);
    assert!(transaction_id.bytes().all(|b| b.is_ascii_hexdigit()));
    let stored = fake.messages_in("Keyless");
    assert_eq!(property(&stored[0], "UNIQ_KEY"), Some(transaction_id));
}

#[test]
fn a_half_message_is_stored_in_the_half_topic_with_its_destination() {
    let half = [
        ("TAGS", "T"),
        ("UNIQ_KEY", "7F00000100002A9F0000000000000009"),
        ("WAIT", "true"),
        ("TRAN_MSG", "true"),
        ("PGROUP", "pg"),
    ];
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Tx"));
    let request = send_v2("Tx", 2, &half).field("f", sysflag::TRANSACTION_PREPARED_TYPE | 0x2);
    let sent = answer(&plugin, &request);
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert!(fake.messages_in("Tx").is_empty(), "invisible on its topic");
    let stored = fake.messages_in("RMQ_SYS_TRANS_HALF_TOPIC");
    assert_eq!(stored.len(), 1);
    let message = &stored[0];
    assert_eq!((message.queue_id, message.queue_offset), (0, 0));
    // Transaction bits reset, the other bits kept.
    assert_eq!(message.sys_flag, 0x2);
    assert_eq!(
        properties_of(message),
        pairs(&[
            ("TAGS", "T"),
            ("UNIQ_KEY", "7F00000100002A9F0000000000000009"),
            ("WAIT", "true"),
            ("TRAN_MSG", "true"),
            ("PGROUP", "pg"),
            ("MSG_REGION", "DefaultRegion"),
            ("TRACE_ON", "true"),
            ("CLUSTER", "DefaultCluster"),
            ("__transactionId__", "7F00000100002A9F0000000000000009"),
            ("REAL_TOPIC", "Tx"),
            ("REAL_QID", "2"),
        ])
    );
    // The answer names the half: its offset id and queue offset (the
    // producer's END_TRANSACTION quotes them), the chosen queue, the
    // transaction id.
    let RecordRead::Message(record, _) = decode_record(&message.record, false) else {
        panic!("the fake stores a readable record");
    };
    assert_eq!(sent.field("msgId"), Some(record.offset_msg_id().as_str()));
    assert_eq!(sent.field("queueId"), Some("2"));
    assert_eq!(sent.field("queueOffset"), Some("0"));
    assert_eq!(
        sent.field("transactionId"),
        Some("7F00000100002A9F0000000000000009")
    );
}

#[test]
fn a_half_message_is_never_parked_for_a_delay() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Tx"));
    let sent = answer(
        &plugin,
        &send_v2("Tx", 0, &[("TRAN_MSG", "true"), ("DELAY", "3")]),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert!(fake.messages_in("SCHEDULE_TOPIC_XXXX").is_empty());
    let stored = fake.messages_in("RMQ_SYS_TRANS_HALF_TOPIC");
    assert_eq!(property(&stored[0], "REAL_TOPIC"), Some("Tx"));
}

#[test]
fn a_redelivery_with_a_delay_level_is_not_a_half_message() {
    // SendMessageProcessor: TRAN_MSG on a reconsumed message with a delay
    // level (clients under 4.6.1 sent such messages back) is a plain send.
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Tx"));
    let request = send_v2("Tx", 0, &[("TRAN_MSG", "true"), ("DELAY", "1")]).field("j", 1);
    let sent = answer(&plugin, &request);
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert!(fake.messages_in("RMQ_SYS_TRANS_HALF_TOPIC").is_empty());
    assert_eq!(fake.messages_in("SCHEDULE_TOPIC_XXXX").len(), 1);
}

#[test]
fn half_messages_are_refused_under_reject_transaction_message() {
    let half = [("TAGS", "T"), ("TRAN_MSG", "TRUE")];
    let fake = FakeHost::new();
    fake.set_config("rejectTransactionMessage", "true");
    fake.set_config("brokerIP1", "10.1.2.3");
    fake.add_topic(TopicConfig::new("Tx"));
    let plugin = start_on(&fake);
    let refused = answer(&plugin, &send_v2("Tx", 0, &half));
    assert_eq!(refused.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        refused.remark.as_deref(),
        Some("the broker[10.1.2.3] sending transaction message is forbidden")
    );
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert!(fake.messages_in("Tx").is_empty());
    assert!(fake.messages_in("RMQ_SYS_TRANS_HALF_TOPIC").is_empty());
}

#[test]
fn under_sync_flush_a_waiting_send_is_answered_once_durable() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Durable"));
    fake.state().sync_flush = true;

    // WAIT=true (PLAIN) and WAIT absent both wait for the store.
    let waiting = answer(&plugin, &send_v2("Durable", 0, &PLAIN));
    assert_eq!(waiting.code, ResponseCode::SUCCESS);
    let end = fake.state().commit_log_end;
    assert_eq!(
        waiting.flush_ticket,
        Some(FlushTicket { flush_offset: end })
    );
    let implicit = answer(&plugin, &send_v2("Durable", 0, &[("TAGS", "T")]));
    let end = fake.state().commit_log_end;
    assert_eq!(
        implicit.flush_ticket,
        Some(FlushTicket { flush_offset: end })
    );

    // WAIT=false: answered at once.
    let at_once = answer(&plugin, &send_v2("Durable", 0, &[("WAIT", "false")]));
    assert_eq!(at_once.code, ResponseCode::SUCCESS);
    assert_eq!(at_once.flush_ticket, None);
    assert_eq!(fake.messages_in("Durable").len(), 3);
}

#[test]
fn region_and_trace_come_from_the_broker_config() {
    let fake = FakeHost::new();
    fake.set_config("regionId", "EU");
    fake.set_config("traceOn", "false");
    fake.state().identity.cluster_name = "Blue".into();
    fake.add_topic(TopicConfig::new("Traced"));
    let plugin = start_on(&fake);
    let sent = answer(&plugin, &send_v2("Traced", 0, &PLAIN));
    assert_eq!(sent.field("MSG_REGION"), Some("EU"));
    assert_eq!(sent.field("TRACE_ON"), Some("false"));
    let stored = &fake.messages_in("Traced")[0];
    assert_eq!(property(stored, "MSG_REGION"), Some("EU"));
    assert_eq!(property(stored, "TRACE_ON"), Some("false"));
    assert_eq!(property(stored, "CLUSTER"), Some("Blue"));
}
