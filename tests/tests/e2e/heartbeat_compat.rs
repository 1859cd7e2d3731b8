//! HEART_BEAT (34), CHECK_CLIENT_CONFIG (46) and heartbeat v2 as the non-Java
//! clients send them: bodies that Java's fastjson accepts (strings for
//! numbers, enum ordinals) and the `IS_SUB_CHANGE` answer.

use e2e_tests::stock_client::full_broker;
use e2e_tests::{BrokerProcess, RawClient};
use plugin_api::codec::{LanguageCode, RemotingCommand};

/// Sends a request with `body` and returns its response, skipping requests the
/// broker sends (NOTIFY_CONSUMER_IDS_CHANGED).
fn call_with_body(
    client: &mut RawClient,
    code: i32,
    language: LanguageCode,
    body: &str,
) -> RemotingCommand {
    let mut request = client.request(code, &[]);
    request.body = body.as_bytes().to_vec().into();
    request.language = language;
    client.send(&request);
    loop {
        let frame = client.read_frame().expect("a response");
        if frame.is_response() && frame.opaque == request.opaque {
            break frame;
        }
    }
}

/// GET_CONSUMER_LIST_BY_GROUP (38) on its own connection: the body text.
fn consumer_list(broker: &BrokerProcess, group: &str) -> String {
    let mut client = broker.client();
    let response = client.call_code(38, &[("consumerGroup", group)]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    String::from_utf8_lossy(&response.body).into_owned()
}

#[test]
fn go_and_cpp_client_heartbeats_register_their_consumers() {
    let broker = BrokerProcess::start(full_broker());

    // rocketmq-client-go v2: codeSet items are strings.
    let mut go = broker.client();
    let go_body = r#"{"clientID":"192.168.1.2@4711","producerDataSet":[],"consumerDataSet":[{"groupName":"goGroup","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1700000000000,"expressionType":"TAG"}],"unitMode":false}]}"#;
    let response = call_with_body(&mut go, 34, LanguageCode::Go, go_body);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert!(
        consumer_list(&broker, "goGroup").contains("192.168.1.2@4711"),
        "the Go consumer is listed"
    );

    // rocketmq-client-cpp: subVersion is a string, enums are ordinals.
    let mut cpp = broker.client();
    let cpp_body = r#"{"clientID":"10.0.0.9@31337","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"cppGroup","messageModel":1,"subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":"1700000000000","tagsSet":["TagA"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[]}"#;
    let response = call_with_body(&mut cpp, 34, LanguageCode::Cpp, cpp_body);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert!(
        consumer_list(&broker, "cppGroup").contains("10.0.0.9@31337"),
        "the C++ consumer is listed"
    );

    // CHECK_CLIENT_CONFIG (46) parses the same SubscriptionData.
    let mut checker = broker.client();
    let check_body = r#"{"clientId":"10.0.0.9@31337","group":"cppGroup","subscriptionData":{"topic":"TopicTest","subString":"TagA","codeSet":["2598919"],"subVersion":"1700000000000","tagsSet":["TagA"]}}"#;
    let response = call_with_body(&mut checker, 46, LanguageCode::Cpp, check_body);
    assert_eq!(response.code, 0, "{:?}", response.remark);
}

/// CHECK_CLIENT_CONFIG (46): an empty or missing expressionType is a TAG
/// subscription (Java's `ExpressionType.isTagType`), accepted even without
/// `enablePropertyFilter`.
#[test]
fn check_client_config_treats_an_empty_expression_type_as_tag() {
    let broker = BrokerProcess::start(full_broker());
    let mut client = broker.client();
    for body in [
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*","expressionType":""}}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*"}}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*","expressionType":null}}"#,
    ] {
        let response = call_with_body(&mut client, 46, LanguageCode::Java, body);
        assert_eq!(response.code, 0, "{body}: {:?}", response.remark);
    }
    let sql = r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"a > 1","expressionType":"SQL92"}}"#;
    let response = call_with_body(&mut client, 46, LanguageCode::Java, sql);
    assert_eq!(response.code, 1, "SQL92 without enablePropertyFilter");
}

/// A heartbeat of `group` with this fingerprint (0 = classic v1), with or
/// without subscriptions: the response's `IS_SUB_CHANGE`.
fn heartbeat_v2(
    client: &mut RawClient,
    client_id: &str,
    group: &str,
    fingerprint: i64,
    without_sub: bool,
) -> String {
    let subs = if without_sub {
        String::new()
    } else {
        r#","subscriptionDataSet":[{"topic":"TopicTest","subString":"*","expressionType":"TAG","subVersion":1}]"#.to_owned()
    };
    let body = format!(
        r#"{{"clientID":"{client_id}","heartbeatFingerprint":{fingerprint},"withoutSub":{without_sub},"consumerDataSet":[{{"groupName":"{group}","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET"{subs}}}],"producerDataSet":[]}}"#,
    );
    let response = call_with_body(client, 34, LanguageCode::Java, &body);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let fields = response.ext_fields.as_ref().expect("response fields");
    assert_eq!(fields.get("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    fields
        .get("IS_SUB_CHANGE")
        .expect("IS_SUB_CHANGE")
        .to_owned()
}

/// Java's `heartBeatV2`: a heartbeat answers IS_SUB_CHANGE=true only when the
/// group's stored fingerprint exists and differs from the new one; a classic
/// heartbeat (fingerprint 0) always answers true and stores 0.
#[test]
fn heartbeat_v2_reports_a_sub_change_only_when_the_group_fingerprint_changes() {
    let broker = BrokerProcess::start(full_broker());
    let mut client = broker.client();
    assert_eq!(
        heartbeat_v2(&mut client, "127.0.0.1@1", "fpGroup", 111, false),
        "false",
        "first heartbeat of the group"
    );
    assert_eq!(
        heartbeat_v2(&mut client, "127.0.0.1@1", "fpGroup", 111, false),
        "false",
        "same fingerprint"
    );
    assert_eq!(
        heartbeat_v2(&mut client, "127.0.0.1@1", "fpGroup", 222, false),
        "true",
        "fingerprint changed"
    );
    assert_eq!(
        heartbeat_v2(&mut client, "127.0.0.1@1", "fpGroup", 222, true),
        "false",
        "withoutSub, same fingerprint"
    );
    assert_eq!(
        heartbeat_v2(&mut client, "127.0.0.1@1", "fpGroup", 333, true),
        "true",
        "withoutSub, fingerprint changed"
    );

    // A withoutSub heartbeat from a channel the registry does not know
    // carries no subscriptions for it: the client is told to send them.
    let mut other = broker.client();
    assert_eq!(
        heartbeat_v2(&mut other, "127.0.0.1@2", "fpGroup", 333, true),
        "true",
        "new member without subscriptions"
    );

    // Classic heartbeat: always true; it stores fingerprint 0.
    let mut classic = broker.client();
    assert_eq!(
        heartbeat_v2(&mut classic, "127.0.0.1@3", "v1Group", 0, false),
        "true"
    );
    assert_eq!(
        heartbeat_v2(&mut classic, "127.0.0.1@3", "v1Group", 0, false),
        "true"
    );
    assert_eq!(
        heartbeat_v2(&mut classic, "127.0.0.1@3", "v1Group", 444, false),
        "true",
        "0 → 444 differs"
    );
    assert_eq!(
        heartbeat_v2(&mut classic, "127.0.0.1@3", "v1Group", 444, false),
        "false"
    );
}
