//! Unit tests against the in-memory host's lock table: LOCK_BATCH_MQ and
//! UNLOCK_BATCH_MQ, their answers and refusals.

use plugin_api::sdk::testing::{FakeHost, RequestBuilder};

use super::*;

const GROUP: &str = "cg_order";
const CLIENT_A: &str = "10.0.0.5@12345#987654321";
const CLIENT_B: &str = "10.0.0.6@23456#123456789";

fn start(fake: &FakeHost) -> LockPlugin {
    fake.start::<LockPlugin>("")
        .expect("the lock plugin starts")
}

fn respond(request: &RequestBuilder, plugin: &LockPlugin) -> Response {
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// A `LockBatchRequestBody` / `UnlockBatchRequestBody` for queues of `TopicTest`.
fn body(group: &str, client: &str, queue_ids: &[i32]) -> String {
    let queues: Vec<String> = queue_ids
        .iter()
        .map(|id| format!(r#"{{"brokerName":"broker-a","queueId":{id},"topic":"TopicTest"}}"#))
        .collect();
    format!(
        r#"{{"clientId":"{client}","consumerGroup":"{group}","mqSet":[{}],"onlyThisBroker":false}}"#,
        queues.join(",")
    )
}

fn lock(group: &str, client: &str, queue_ids: &[i32]) -> RequestBuilder {
    RequestBuilder::new(request_code::LOCK_BATCH_MQ).body(body(group, client, queue_ids))
}

fn unlock(group: &str, client: &str, queue_ids: &[i32]) -> RequestBuilder {
    RequestBuilder::new(request_code::UNLOCK_BATCH_MQ).body(body(group, client, queue_ids))
}

fn queue(queue_id: i32) -> HostQueue {
    HostQueue {
        topic: "TopicTest".to_owned(),
        broker_name: "broker-a".to_owned(),
        queue_id,
    }
}

fn lock_ok(queue_ids: &[i32]) -> String {
    let queues: Vec<String> = queue_ids
        .iter()
        .map(|id| format!(r#"{{"brokerName":"broker-a","queueId":{id},"topic":"TopicTest"}}"#))
        .collect();
    format!(r#"{{"lockOKMQSet":[{}]}}"#, queues.join(","))
}

/// The owner of `queue_id` in `group`'s lock table, if any.
fn owner(fake: &FakeHost, group: &str, queue_id: i32) -> Option<String> {
    fake.state()
        .locks
        .get(&(group.to_owned(), queue(queue_id)))
        .cloned()
}

#[test]
fn starts_without_settings_and_refuses_any() {
    let fake = FakeHost::new();
    assert!(fake.start::<LockPlugin>("").is_ok());
    assert_eq!(
        fake.start::<LockPlugin>(r#"{"expiry":60}"#)
            .err()
            .as_deref(),
        Some("invalid settings: unknown setting `expiry`")
    );
}

#[test]
fn parses_the_java_client_body_and_writes_the_lock_ok_shape() {
    let parsed: LockBatchBody =
        serde_json::from_str(&body(GROUP, CLIENT_A, &[0, 1])).expect("a Java client's body");
    assert_eq!(parsed.consumer_group, GROUP);
    assert_eq!(parsed.client_id, CLIENT_A);
    assert!(!parsed.only_this_broker);
    assert_eq!(
        parsed.mq_set,
        vec![
            MessageQueue {
                topic: "TopicTest".into(),
                broker_name: "broker-a".into(),
                queue_id: 0,
            },
            MessageQueue {
                topic: "TopicTest".into(),
                broker_name: "broker-a".into(),
                queue_id: 1,
            },
        ]
    );
    assert_eq!(
        lock_ok_body(&[queue(0)]),
        r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}]}"#
    );
    assert_eq!(lock_ok_body(&[]), r#"{"lockOKMQSet":[]}"#);
    assert_eq!(
        lock_ok_body(&[queue(0), queue(3)]),
        r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},{"brokerName":"broker-a","queueId":3,"topic":"TopicTest"}]}"#
    );
}

// ------------------------------------------------------ LOCK_BATCH_MQ (41)

#[test]
fn lock_batch_locks_free_queues_and_answers_them() {
    let fake = FakeHost::new();
    let response = respond(&lock(GROUP, CLIENT_A, &[0, 1]), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark, None);
    assert_eq!(String::from_utf8_lossy(&response.body), lock_ok(&[0, 1]));
    assert_eq!(owner(&fake, GROUP, 0).as_deref(), Some(CLIENT_A));
    assert_eq!(owner(&fake, GROUP, 1).as_deref(), Some(CLIENT_A));
}

#[test]
fn a_queue_held_by_another_client_is_left_out() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    respond(&lock(GROUP, CLIENT_A, &[0]), &plugin);
    let response = respond(&lock(GROUP, CLIENT_B, &[0, 1]), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(String::from_utf8_lossy(&response.body), lock_ok(&[1]));
    assert_eq!(owner(&fake, GROUP, 0).as_deref(), Some(CLIENT_A));
    assert_eq!(owner(&fake, GROUP, 1).as_deref(), Some(CLIENT_B));
}

#[test]
fn the_owner_renews_its_locks() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    respond(&lock(GROUP, CLIENT_A, &[0]), &plugin);
    let response = respond(&lock(GROUP, CLIENT_A, &[0, 2]), &plugin);
    assert_eq!(String::from_utf8_lossy(&response.body), lock_ok(&[0, 2]));
}

#[test]
fn locks_are_per_group() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    respond(&lock(GROUP, CLIENT_A, &[0]), &plugin);
    let response = respond(&lock("cg_other", CLIENT_B, &[0]), &plugin);
    assert_eq!(String::from_utf8_lossy(&response.body), lock_ok(&[0]));
    assert_eq!(owner(&fake, "cg_other", 0).as_deref(), Some(CLIENT_B));
}

#[test]
fn a_body_without_queues_locks_nothing() {
    let fake = FakeHost::new();
    let request = RequestBuilder::new(request_code::LOCK_BATCH_MQ).body(format!(
        r#"{{"clientId":"{CLIENT_A}","consumerGroup":"{GROUP}"}}"#
    ));
    let response = respond(&request, &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"lockOKMQSet":[]}"#
    );
    assert!(fake.state().locks.is_empty());
}

#[test]
fn an_invalid_body_is_a_system_error_for_both_codes() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    for code in [request_code::LOCK_BATCH_MQ, request_code::UNLOCK_BATCH_MQ] {
        let response = respond(&RequestBuilder::new(code).body("not json"), &plugin);
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
        let remark = response.remark.as_deref().unwrap_or_default();
        assert!(
            remark.starts_with("the body is not valid LockBatchRequestBody JSON: expected"),
            "{remark}"
        );
        assert!(response.body.is_empty());

        let no_client =
            RequestBuilder::new(code).body(format!(r#"{{"consumerGroup":"{GROUP}","mqSet":[]}}"#));
        let response = respond(&no_client, &plugin);
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
        let remark = response.remark.as_deref().unwrap_or_default();
        assert!(
            remark.starts_with(
                "the body is not valid LockBatchRequestBody JSON: missing field `clientId`"
            ),
            "{remark}"
        );

        let response = respond(&RequestBuilder::new(code), &plugin);
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    }
    assert!(fake.state().locks.is_empty());
}

// ---------------------------------------------------- UNLOCK_BATCH_MQ (42)

#[test]
fn unlock_batch_releases_only_the_callers_queues() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    respond(&lock(GROUP, CLIENT_A, &[0]), &plugin);
    respond(&lock(GROUP, CLIENT_B, &[1]), &plugin);
    let response = respond(&unlock(GROUP, CLIENT_A, &[0, 1]), &plugin);
    assert_eq!(response, Response::success());
    assert_eq!(owner(&fake, GROUP, 0), None);
    assert_eq!(owner(&fake, GROUP, 1).as_deref(), Some(CLIENT_B));

    // A released queue can be locked by another client.
    let response = respond(&lock(GROUP, CLIENT_B, &[0]), &plugin);
    assert_eq!(String::from_utf8_lossy(&response.body), lock_ok(&[0]));
}

#[test]
fn unlocking_queues_never_locked_succeeds() {
    let fake = FakeHost::new();
    let response = respond(&unlock(GROUP, CLIENT_A, &[3]), &start(&fake));
    assert_eq!(response, Response::success());
    assert!(fake.state().locks.is_empty());
}
