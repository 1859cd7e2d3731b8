//! Unit tests over the SDK's in-memory host.

use plugin_api::sdk::message::{find_property, now_millis, RecallHandle};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{Outcome, PutStatus, Response, ResponseCode, TopicConfig};

use crate::RecallPlugin;

const TOPIC: &str = "Timed";
const MSG_ID: &str = "7F00000100002A9F0000000000000001";

fn started_with(config: &[(&str, &str)]) -> (FakeHost, RecallPlugin) {
    let fake = FakeHost::new();
    fake.set_config("recallMessageEnable", "true");
    for (key, value) in config {
        fake.set_config(key, value);
    }
    fake.add_topic(TopicConfig::new(TOPIC));
    let plugin = fake.start::<RecallPlugin>("").expect("starts");
    (fake, plugin)
}

fn recall(plugin: &RecallPlugin, topic: &str, handle: &str) -> Response {
    let outcome = RequestBuilder::new(370)
        .field("producerGroup", "pg")
        .field("topic", topic)
        .field("recallHandle", handle)
        .from_client("127.0.0.1:50000", 3)
        .run(plugin);
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// A handle for a message due in `in_ms`, as the send answer gives it
/// (a delivery time on the 1 s precision, + 1).
fn handle_due_in(in_ms: i64) -> (String, i64) {
    let out = (now_millis() + in_ms) / 1000 * 1000;
    (
        RecallHandle::build(TOPIC, "broker-a", &(out + 1).to_string(), MSG_ID),
        out,
    )
}

#[test]
fn a_recall_parks_a_delete_message_for_the_same_delivery_time() {
    let (fake, plugin) = started_with(&[]);
    let (handle, out) = handle_due_in(60_000);
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(answer.code, ResponseCode::SUCCESS, "{:?}", answer.remark);
    assert_eq!(answer.field("msgId"), Some(MSG_ID));
    assert_eq!(answer.field("MSG_REGION"), Some("DefaultRegion"));
    let parked = fake.messages_in("rmq_sys_wheel_timer");
    assert_eq!(parked.len(), 1);
    let properties = &parked[0].properties;
    assert_eq!(parked[0].queue_id, 0);
    assert_eq!(parked[0].body, b"0");
    assert_eq!(
        find_property(properties, "TIMER_DEL_UNIQKEY"),
        Some(format!("{TOPIC}+{MSG_ID}").as_str())
    );
    assert_eq!(
        find_property(properties, "TIMER_OUT_MS"),
        Some(out.to_string().as_str()),
        "the slot of the message it cancels"
    );
    assert_eq!(find_property(properties, "REAL_TOPIC"), Some(TOPIC));
    assert_eq!(find_property(properties, "REAL_QID"), Some("0"));
    assert_eq!(find_property(properties, "UNIQ_KEY"), Some(MSG_ID));
    assert_eq!(find_property(properties, "TAGS"), Some("_RECALL_TAG_"));
    assert_eq!(find_property(properties, "PGROUP"), Some("pg"));
    assert!(fake.messages_in(TOPIC).is_empty());
}

#[test]
fn bad_handles_mismatches_and_past_times_are_illegal_operations() {
    let (fake, plugin) = started_with(&[]);
    let cases = [
        (
            TOPIC.to_owned(),
            "not base64!".to_owned(),
            "recall handle is invalid",
        ),
        (
            TOPIC.to_owned(),
            "djIgYQ==".to_owned(),
            "recall handle is invalid",
        ),
        (
            TOPIC.to_owned(),
            RecallHandle::build("Other", "broker-a", "1", MSG_ID),
            "recall failed, topic not match",
        ),
        (
            TOPIC.to_owned(),
            RecallHandle::build(
                TOPIC,
                "broker-b",
                &(now_millis() + 60_000).to_string(),
                MSG_ID,
            ),
            "recall failed, broker service not available",
        ),
        (
            TOPIC.to_owned(),
            RecallHandle::build(
                TOPIC,
                "broker-a",
                &(now_millis() - 1000).to_string(),
                MSG_ID,
            ),
            "recall failed, timestamp invalid",
        ),
        (
            TOPIC.to_owned(),
            RecallHandle::build(TOPIC, "broker-a", "soon", MSG_ID),
            "recall failed, timestamp invalid",
        ),
        (
            TOPIC.to_owned(),
            RecallHandle::build(
                TOPIC,
                "broker-a",
                &(now_millis() + 4 * 24 * 3600 * 1000).to_string(),
                MSG_ID,
            ),
            "recall failed, timestamp invalid",
        ),
    ];
    for (topic, handle, remark) in cases {
        let answer = recall(&plugin, &topic, &handle);
        assert_eq!(answer.code, ResponseCode::ILLEGAL_OPERATION, "{handle}");
        assert_eq!(answer.remark.as_deref(), Some(remark), "{handle}");
    }
    assert!(fake.messages_in("rmq_sys_wheel_timer").is_empty());
}

#[test]
fn an_unknown_topic_is_refused() {
    let (_fake, plugin) = started_with(&[]);
    let (handle, _) = handle_due_in(60_000);
    let answer = recall(&plugin, "NoSuchTopic", &handle);
    assert_eq!(answer.code, ResponseCode::TOPIC_NOT_EXIST);
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, the topic[NoSuchTopic] not exist")
    );
}

#[test]
fn the_broker_configuration_can_forbid_recall() {
    let (handle, _) = handle_due_in(60_000);
    let fake = FakeHost::new();
    fake.add_topic(TopicConfig::new(TOPIC));
    let plugin = fake.start::<RecallPlugin>("").expect("starts");
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(
        answer.code,
        ResponseCode::NO_PERMISSION,
        "disabled by default"
    );
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, operation is forbidden")
    );

    let (_fake, plugin) = started_with(&[("brokerRole", "SLAVE")]);
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(answer.code, ResponseCode::SLAVE_NOT_AVAILABLE);

    let (_fake, plugin) = started_with(&[("startAcceptSendRequestTimeStamp", "4102444800000")]);
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(answer.code, ResponseCode::SERVICE_NOT_AVAILABLE);
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, broker service not available")
    );

    let (_fake, plugin) = started_with(&[("timerWheelEnable", "false")]);
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, execute error")
    );
}

#[test]
fn a_failed_put_is_an_execute_error_and_a_missing_field_names_itself() {
    let (fake, plugin) = started_with(&[]);
    fake.state().put_status_override = Some(PutStatus::ServiceNotAvailable);
    let (handle, _) = handle_due_in(60_000);
    let answer = recall(&plugin, TOPIC, &handle);
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("recall failed, execute error")
    );

    let outcome = RequestBuilder::new(370).field("topic", TOPIC).run(&plugin);
    let Outcome::Respond(answer) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the custom field <recallHandle> is null")
    );
}
