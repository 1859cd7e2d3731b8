//! Unit tests over the SDK's in-memory host.

use plugin_api::sdk::message::{encode_properties, find_property};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{
    ClientChannel, ClientResponse, HostError, Outcome, PutStatus, Response, ResponseCode,
    TopicConfig,
};

use crate::{ReplyPlugin, CALL_CLIENT_TIMEOUT_MILLIS, PUSH_REPLY_TIME};

const REPLY_TOPIC: &str = "DefaultCluster_REPLY_TOPIC";
const REQUESTER: &str = "127.0.0.1@requester";
const REQUESTER_CONNECTION: u64 = 7;
const BORN: i64 = 1_700_000_000_123;

/// A broker with the reply topic (as TopicConfigManager seeds it), a
/// requester registered as a producer, and the plugin started.
fn started() -> (FakeHost, ReplyPlugin) {
    let fake = FakeHost::new();
    fake.add_topic(TopicConfig {
        read_queue_nums: 1,
        write_queue_nums: 1,
        ..TopicConfig::new(REPLY_TOPIC)
    });
    let channel = ClientChannel {
        client_id: REQUESTER,
        connection_id: REQUESTER_CONNECTION,
        remote_addr: "127.0.0.1:50000",
        language: 0,
        version: 0,
    };
    fake.host("heartbeat")
        .clients()
        .register_producer("requester-group", &channel);
    let plugin = fake.start::<ReplyPlugin>("").expect("starts");
    (fake, plugin)
}

/// The properties `MessageUtil.createReplyMessage` gives a reply.
fn reply_properties(reply_to: Option<&str>) -> String {
    let mut properties = vec![
        ("MSG_TYPE", "reply"),
        ("CORRELATION_ID", "corr-1"),
        ("TTL", "3000"),
    ];
    if let Some(client) = reply_to {
        properties.push(("REPLY_TO_CLIENT", client));
    }
    encode_properties(properties)
}

/// SEND_REPLY_MESSAGE_V2 (325) of `b"pong"`.
fn reply_v2(properties: &str) -> RequestBuilder {
    RequestBuilder::new(325)
        .field("a", "responder-group")
        .field("b", REPLY_TOPIC)
        .field("c", "TBW102")
        .field("d", 4)
        .field("e", 0)
        .field("f", 0)
        .field("g", BORN)
        .field("h", 0)
        .field("i", properties)
        .field("j", 0)
        .field("k", false)
        .body(&b"pong"[..])
        .from_client("127.0.0.1:60000", 9)
}

fn response(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn client_says(fake: &FakeHost, answer: Result<ClientResponse, HostError>) {
    fake.state().client_answers.push_back(answer);
}

fn success() -> ClientResponse {
    ClientResponse::default()
}

#[test]
fn a_reply_is_pushed_to_the_requester_stored_and_answered_success() {
    let (fake, plugin) = started();
    client_says(&fake, Ok(success()));
    let answer = response(reply_v2(&reply_properties(Some(REQUESTER))).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SUCCESS, "{answer:?}");
    assert_eq!(answer.remark, None);

    let stored = fake.messages_in(REPLY_TOPIC);
    assert_eq!(stored.len(), 1);
    let stored = &stored[0];
    assert_eq!(answer.field("queueId"), Some("0"));
    assert_eq!(answer.field("queueOffset"), Some("0"));
    assert_ne!(answer.field("msgId"), Some("0"), "the stored message's id");
    assert_eq!(answer.field("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(answer.field("TRACE_ON"), Some("true"));
    assert_eq!(stored.body, b"pong");
    assert_eq!(stored.sys_flag, 0);
    assert_eq!(find_property(&stored.properties, "TTL"), Some("3000"));
    assert_eq!(
        find_property(&stored.properties, "MSG_REGION"),
        Some("DefaultRegion")
    );
    assert_eq!(find_property(&stored.properties, PUSH_REPLY_TIME), None);

    let invoked = fake.state().invoked_clients.clone();
    assert_eq!(invoked.len(), 1);
    let (connection, push, timeout) = &invoked[0];
    assert_eq!(*connection, REQUESTER_CONNECTION);
    assert_eq!(*timeout, CALL_CLIENT_TIMEOUT_MILLIS);
    assert_eq!(push.code, 326);
    assert_eq!(push.body, b"pong");
    let names: Vec<&str> = push.ext_fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "producerGroup",
            "topic",
            "defaultTopic",
            "defaultTopicQueueNums",
            "queueId",
            "sysFlag",
            "bornTimestamp",
            "flag",
            "properties",
            "reconsumeTimes",
            "unitMode",
            "bornHost",
            "storeHost",
            "storeTimestamp"
        ]
    );
    let field = |key: &str| {
        push.ext_fields
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    assert_eq!(field("producerGroup"), "responder-group");
    assert_eq!(field("topic"), REPLY_TOPIC);
    assert_eq!(field("bornTimestamp"), BORN.to_string());
    assert_eq!(field("bornHost"), "127.0.0.1:60000");
    assert_eq!(field("storeHost"), "127.0.0.1:10911");
    assert_eq!(field("unitMode"), "false");
    let properties = field("properties");
    assert_eq!(find_property(&properties, "CORRELATION_ID"), Some("corr-1"));
    assert_eq!(
        find_property(&properties, "REPLY_TO_CLIENT"),
        Some(REQUESTER)
    );
    assert_eq!(find_property(&properties, "TTL"), Some("3000"));
    assert_eq!(
        find_property(&properties, PUSH_REPLY_TIME),
        Some(field("storeTimestamp").as_str())
    );
}

#[test]
fn an_unknown_requester_is_answered_as_java_and_the_reply_still_stored() {
    let (fake, plugin) = started();
    let answer = response(reply_v2(&reply_properties(Some("nobody@1"))).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("push reply message fail, channel of <nobody@1> not found.")
    );
    assert!(fake.state().invoked_clients.is_empty());
    assert_eq!(fake.messages_in(REPLY_TOPIC).len(), 1);
    assert_eq!(answer.field("queueOffset"), Some("0"));
    assert_eq!(answer.field("MSG_REGION"), Some("DefaultRegion"));
}

#[test]
fn a_reply_without_reply_to_client_is_refused_with_javas_remark() {
    let (_fake, plugin) = started();
    let answer = response(reply_v2(&reply_properties(None)).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("reply message properties[REPLY_TO_CLIENT] is null")
    );
}

#[test]
fn a_client_that_refuses_or_does_not_answer_fails_the_push() {
    let (fake, plugin) = started();
    client_says(
        &fake,
        Ok(ClientResponse {
            code: 1,
            remark: Some("no".into()),
            ..ClientResponse::default()
        }),
    );
    client_says(&fake, Err(HostError::Timeout("no answer".into())));
    client_says(&fake, Err(HostError::Refused("connection closed".into())));
    for _ in 0..3 {
        let answer = response(reply_v2(&reply_properties(Some(REQUESTER))).run(&plugin));
        assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            answer.remark.as_deref(),
            Some("push reply message to 127.0.0.1@requesterfail.")
        );
    }
    assert_eq!(fake.state().invoked_clients.len(), 3);
}

#[test]
fn with_store_reply_message_disabled_the_answer_names_no_stored_message() {
    let fake = FakeHost::new();
    fake.set_config("storeReplyMessageEnable", "false");
    fake.add_topic(TopicConfig::new(REPLY_TOPIC));
    fake.state()
        .client_connections
        .insert(REQUESTER.into(), REQUESTER_CONNECTION);
    let plugin = fake.start::<ReplyPlugin>("").expect("starts");
    client_says(&fake, Ok(success()));
    let answer = response(reply_v2(&reply_properties(Some(REQUESTER))).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SUCCESS);
    assert_eq!(answer.field("msgId"), Some("0"));
    assert_eq!(answer.field("queueOffset"), Some("0"));
    assert!(fake.messages_in(REPLY_TOPIC).is_empty());
}

#[test]
fn a_failed_store_leaves_the_push_answer_as_it_was() {
    let (fake, plugin) = started();
    fake.state().put_status_override = Some(PutStatus::ServiceNotAvailable);
    client_says(&fake, Ok(success()));
    let answer = response(reply_v2(&reply_properties(Some(REQUESTER))).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SUCCESS);
    assert_eq!(answer.field("msgId"), Some("0"));
}

#[test]
fn the_v1_header_is_read_with_long_names() {
    let (fake, plugin) = started();
    client_says(&fake, Ok(success()));
    let request = RequestBuilder::new(324)
        .field("producerGroup", "responder-group")
        .field("topic", REPLY_TOPIC)
        .field("defaultTopic", "TBW102")
        .field("defaultTopicQueueNums", 4)
        .field("queueId", -1)
        .field("sysFlag", 0)
        .field("bornTimestamp", BORN)
        .field("flag", 0)
        .field("properties", reply_properties(Some(REQUESTER)))
        .body(&b"pong"[..]);
    let answer = response(request.run(&plugin));
    assert_eq!(answer.code, ResponseCode::SUCCESS, "{answer:?}");
    let (_, push, _) = fake.state().invoked_clients[0].clone();
    assert!(
        !push.ext_fields.iter().any(|(k, _)| k == "reconsumeTimes"),
        "absent in the request, null in Java's header"
    );
    assert!(push
        .ext_fields
        .contains(&("queueId".to_owned(), "-1".to_owned())));

    let missing = RequestBuilder::new(324).field("producerGroup", "g");
    let answer = response(missing.run(&plugin));
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the custom field <topic> is null")
    );
}

#[test]
fn topic_and_queue_checks_answer_as_msg_check() {
    let (_fake, plugin) = started();
    let props = reply_properties(Some(REQUESTER));
    let answer = response(reply_v2(&props).field("e", 5).run(&plugin));
    assert_eq!(answer.code, ResponseCode::INVALID_PARAMETER);
    assert!(
        answer
            .remark
            .as_deref()
            .is_some_and(|remark| remark.starts_with(
                "request queueId[5] is illegal, TopicConfig [topicName=DefaultCluster_REPLY_TOPIC"
            )),
        "{answer:?}"
    );
    let answer = response(
        reply_v2(&props)
            .field("b", "NoSuchTopic")
            .field("c", "NoDefault")
            .run(&plugin),
    );
    assert_eq!(answer.code, ResponseCode::TOPIC_NOT_EXIST);
    assert!(answer.remark.as_deref().is_some_and(
        |remark| remark.starts_with("topic[NoSuchTopic] not exist, apply first please!")
    ));
    let answer = response(
        reply_v2(&props)
            .field("b", "SCHEDULE_TOPIC_XXXX")
            .run(&plugin),
    );
    assert_eq!(answer.code, ResponseCode::NO_PERMISSION);
    assert_eq!(
        answer.remark.as_deref(),
        Some("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.")
    );
    assert_eq!(answer.field("TRACE_ON"), Some("true"));
}

#[test]
fn before_start_accept_send_request_time_stamp_the_broker_refuses() {
    let fake = FakeHost::new();
    fake.set_config("startAcceptSendRequestTimeStamp", "4102444800000");
    fake.add_topic(TopicConfig::new(REPLY_TOPIC));
    let plugin = fake.start::<ReplyPlugin>("").expect("starts");
    let answer = response(reply_v2(&reply_properties(Some(REQUESTER))).run(&plugin));
    assert_eq!(answer.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        answer.remark.as_deref(),
        Some("broker unable to service, until 2100-01-01 00:00:00,000")
    );
}

#[test]
fn a_broker_without_client_invoke_refuses_the_plugin_at_load() {
    let fake = FakeHost::new();
    fake.state().abi_version = Some("1.1.0".into());
    let refusal = fake.start::<ReplyPlugin>("").err().expect("refused");
    assert!(refusal.contains("`client_invoke`"), "{refusal}");
}
