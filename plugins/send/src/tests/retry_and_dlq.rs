//! Sends to a `%RETRY%` topic: stored for the retry, or redirected to the
//! group's dead-letter topic (Java's `SendMessageProcessor.handleRetryAndDLQ`).

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::{MessageQueue, ResponseCode, SubscriptionGroup, TopicConfig};

use super::*;

/// A send to `%RETRY%cg` queue 0 after `reconsume_times` deliveries.
fn retry_send(reconsume_times: i32) -> plugin_api::sdk::testing::RequestBuilder {
    send_v2("%RETRY%cg", 0, &PLAIN).field("j", reconsume_times)
}

#[test]
fn a_retry_within_the_group_s_attempts_is_stored_in_the_retry_topic() {
    let (fake, plugin) = started();
    let sent = answer(&plugin, &retry_send(16));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    let stored = fake.messages_in("%RETRY%cg");
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].queue_id, stored[0].reconsume_times), (0, 16));
    assert_eq!(property(&stored[0], "DELAY"), None);
    assert!(fake.messages_in("%DLQ%cg").is_empty());
    // The group was auto-created with RocketMQ's defaults (16 attempts).
    assert_eq!(
        fake.state().groups.get("cg").map(|g| g.retry_max_times),
        Some(16)
    );
}

#[test]
fn a_retry_past_the_group_s_attempts_goes_to_the_dead_letter_queue_0() {
    let (fake, plugin) = started();
    let sent = answer(&plugin, &retry_send(17));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    // The answer names the queue the producer chose.
    assert_eq!(sent.field("queueId"), Some("0"));
    assert!(fake.messages_in("%RETRY%cg").is_empty());
    let dead = fake.messages_in("%DLQ%cg");
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].queue_id, dead[0].reconsume_times), (0, 17));
    assert_eq!(property(&dead[0], "DELAY"), Some("-1"));
    let dlq = fake
        .state()
        .topics
        .get("%DLQ%cg")
        .cloned()
        .expect("DLQ created");
    assert_eq!(
        (dlq.read_queue_nums, dlq.write_queue_nums, dlq.perm),
        (1, 1, 6)
    );
}

#[test]
fn the_header_s_max_attempts_count_from_clients_that_send_them() {
    let (fake, plugin) = started();
    // A V3_4_9+ client (121) sends its own maximum: 2 < 3 → dead letter.
    let modern = retry_send(3).field("l", 2).version(121);
    assert_eq!(answer(&plugin, &modern).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 1);
    // An older client's value is ignored: the group's 16 apply.
    let old = retry_send(3).field("l", 2).version(120);
    assert_eq!(answer(&plugin, &old).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%RETRY%cg").len(), 1);
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 1);
}

#[test]
fn the_group_s_configured_attempts_apply() {
    let (fake, plugin) = started();
    let mut group = SubscriptionGroup::new("cg");
    group.retry_max_times = 1;
    fake.add_group(group);
    assert_eq!(answer(&plugin, &retry_send(1)).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%RETRY%cg").len(), 1);
    assert_eq!(answer(&plugin, &retry_send(2)).code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("%DLQ%cg").len(), 1);
}

#[test]
fn a_retry_of_a_group_holding_queue_locks_goes_to_the_dead_letter_queue() {
    let (fake, plugin) = started();
    let queue = MessageQueue {
        topic: "OrderTopic".into(),
        broker_name: "broker-a".into(),
        queue_id: 0,
    };
    fake.state()
        .locks
        .insert(("cg".to_owned(), queue), "c1".to_owned());
    let sent = answer(&plugin, &retry_send(0));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert!(fake.messages_in("%RETRY%cg").is_empty());
    let dead = fake.messages_in("%DLQ%cg");
    assert_eq!(dead.len(), 1);
    assert_eq!(property(&dead[0], "DELAY"), Some("-1"));
}

#[test]
fn a_retry_for_an_unknown_group_is_refused_when_groups_are_not_auto_created() {
    let (fake, plugin) = started();
    fake.set_config("autoCreateSubscriptionGroup", "false");
    let refused = answer(&plugin, &retry_send(0));
    assert_eq!(refused.code, ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_eq!(
        refused.remark,
        Some(format!("subscription group not exist, cg {FAQ_SUGGESTION}"))
    );
    assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    assert!(fake.state().messages.is_empty());
    assert!(!fake.state().groups.contains_key("cg"));
}

#[test]
fn a_retry_topic_is_created_with_one_queue_when_the_default_topic_does_not_allow_it() {
    let fake = FakeHost::new();
    let mut default_topic = TopicConfig::new("TBW102");
    default_topic.perm = 6;
    fake.add_topic(default_topic);
    let plugin = start_on(&fake);
    let sent = answer(&plugin, &retry_send(0));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    let retry = fake
        .state()
        .topics
        .get("%RETRY%cg")
        .cloned()
        .expect("retry topic created");
    assert_eq!(
        (retry.read_queue_nums, retry.write_queue_nums, retry.perm),
        (1, 1, 6)
    );
    assert_eq!(fake.messages_in("%RETRY%cg").len(), 1);

    // Any other topic does not exist then.
    let refused = answer(&plugin, &send_v2("Plain", 0, &PLAIN));
    assert_eq!(refused.code, ResponseCode::TOPIC_NOT_EXIST);
}
