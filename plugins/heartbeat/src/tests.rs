//! The four codes on the test kit's in-memory host.

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{Connection, SubscriptionGroup, TopicConfig};

use super::*;

fn started() -> (FakeHost, HeartbeatPlugin) {
    let fake = FakeHost::new();
    let plugin = fake.start::<HeartbeatPlugin>("").expect("starts");
    (fake, plugin)
}

fn respond(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn heartbeat(plugin: &HeartbeatPlugin, body: &str) -> Response {
    respond(
        RequestBuilder::new(request_code::HEART_BEAT)
            .body(body)
            .run(plugin),
    )
}

/// A consumer heartbeat of `client_id` in `group` (one TAG subscription to
/// `TopicTest`, or none with `without_sub`), from its own connection.
fn consumer_heartbeat(
    plugin: &HeartbeatPlugin,
    client_id: &str,
    connection_id: u64,
    group: &str,
    fingerprint: i64,
    without_sub: bool,
) -> Response {
    let subs = if without_sub {
        String::new()
    } else {
        r#","subscriptionDataSet":[{"topic":"TopicTest","subString":"*","expressionType":"TAG","subVersion":1}]"#.to_owned()
    };
    let client_id = serde_json::to_string(client_id).expect("a JSON string");
    let body = format!(
        r#"{{"clientID":{client_id},"heartbeatFingerprint":{fingerprint},"withoutSub":{without_sub},"consumerDataSet":[{{"groupName":"{group}","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET"{subs}}}],"producerDataSet":[]}}"#,
    );
    respond(
        RequestBuilder::new(request_code::HEART_BEAT)
            .from_client(&format!("10.0.0.{connection_id}:5000"), connection_id)
            .body(body)
            .run(plugin),
    )
}

fn sub_change(response: &Response) -> &str {
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(response.field("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    response.field("IS_SUB_CHANGE").expect("IS_SUB_CHANGE")
}

const JAVA_HEARTBEAT: &str = r#"{"clientID":"10.0.0.5@12345","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg1","messageModel":"BROADCASTING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":[],"topic":"TopicTest"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"pg1"}],"withoutSub":false}"#;

// --- HEART_BEAT (34) ---

#[test]
fn heartbeat_registers_the_consumer_with_tags_parsed_from_the_expression() {
    let (fake, plugin) = started();
    let response = respond(
        RequestBuilder::new(request_code::HEART_BEAT)
            .from_client("10.0.0.5:40000", 7)
            .language(LanguageCode::Go)
            .version(317)
            .body(JAVA_HEARTBEAT)
            .run(&plugin),
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
    assert_eq!(
        response.field("IS_SUB_CHANGE"),
        Some("true"),
        "a classic heartbeat"
    );
    assert!(response.body.is_empty());

    let state = fake.state();
    let info = &state.consumers["cg1"];
    assert_eq!(info.client_ids, vec!["10.0.0.5@12345".to_owned()]);
    assert_eq!(info.consume_type, "CONSUME_PASSIVELY");
    assert_eq!(info.message_model, "BROADCASTING");
    assert_eq!(info.consume_from_where, "CONSUME_FROM_FIRST_OFFSET");
    assert_eq!(
        info.subscriptions,
        vec![Subscription {
            topic: "TopicTest".into(),
            sub_string: "TagA || TagB".into(),
            expression_type: "TAG".into(),
            tags: vec!["TagA".into(), "TagB".into()],
            codes: vec![2598919, 2598920],
            sub_version: 1_700_000_000_000,
        }]
    );
    assert_eq!(
        state.connections["cg1"],
        vec![Connection {
            client_id: "10.0.0.5@12345".into(),
            client_addr: "10.0.0.5:40000".into(),
            language: LanguageCode::Go.as_byte(),
            version: 317,
        }]
    );
    assert_eq!(state.producers["pg1"], vec!["10.0.0.5@12345".to_owned()]);
    assert_eq!(state.fingerprints["cg1"], 0, "classic heartbeats store 0");
}

#[test]
fn heartbeat_creates_the_subscription_group_and_its_retry_topic() {
    let (fake, plugin) = started();
    assert_eq!(
        heartbeat(&plugin, JAVA_HEARTBEAT).code,
        ResponseCode::SUCCESS
    );
    let state = fake.state();
    assert_eq!(state.groups["cg1"], SubscriptionGroup::new("cg1"));
    let retry = &state.topics["%RETRY%cg1"];
    assert_eq!(
        (
            retry.read_queue_nums,
            retry.write_queue_nums,
            retry.perm,
            retry.order
        ),
        (1, 1, 6, false)
    );
    assert!(
        !state.topics.contains_key("%RETRY%pg1"),
        "producers get no retry topic"
    );
}

#[test]
fn heartbeat_sizes_the_retry_topic_by_the_group_and_orders_it_with_an_ordered_topic() {
    let (fake, plugin) = started();
    let mut group = SubscriptionGroup::new("cg1");
    group.retry_queue_nums = 3;
    fake.add_group(group);
    let mut ordered = TopicConfig::new("TopicTest");
    ordered.order = true;
    fake.add_topic(ordered);
    assert_eq!(
        heartbeat(&plugin, JAVA_HEARTBEAT).code,
        ResponseCode::SUCCESS
    );
    let retry = fake.state().topics["%RETRY%cg1"].clone();
    assert_eq!(
        (retry.read_queue_nums, retry.write_queue_nums, retry.order),
        (3, 3, true)
    );
}

#[test]
fn heartbeat_keeps_an_existing_retry_topic() {
    let (fake, plugin) = started();
    let mut retry = TopicConfig::new("%RETRY%cg1");
    retry.read_queue_nums = 5;
    fake.add_topic(retry.clone());
    heartbeat(&plugin, JAVA_HEARTBEAT);
    assert_eq!(fake.state().topics["%RETRY%cg1"], retry);
}

#[test]
fn heartbeat_of_a_group_that_may_not_be_created_registers_no_consumer() {
    let fake = FakeHost::new();
    fake.set_config("autoCreateSubscriptionGroup", "false");
    let plugin = fake.start::<HeartbeatPlugin>("").expect("starts");
    let response = heartbeat(&plugin, JAVA_HEARTBEAT);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    let state = fake.state();
    assert!(state.consumers.is_empty());
    assert!(state.groups.is_empty());
    assert!(!state.topics.contains_key("%RETRY%cg1"));
    assert_eq!(
        state.fingerprints.get("cg1"),
        Some(&0),
        "the fingerprint is stored before the group is looked up"
    );
    assert_eq!(
        state.producers["pg1"],
        vec!["10.0.0.5@12345".to_owned()],
        "producers are registered all the same"
    );
}

#[test]
fn heartbeat_reads_go_and_cpp_client_bodies() {
    let (fake, plugin) = started();
    let go = r#"{"clientID":"192.168.1.2@4711","producerDataSet":[],"consumerDataSet":[{"groupName":"goGroup","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA","tagsSet":["TagA"],"codeSet":["2598919"],"subVersion":1700000000000,"expressionType":"TAG"}],"unitMode":false}]}"#;
    let cpp = r#"{"clientID":"10.0.0.9@31337","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"cppGroup","messageModel":1,"subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":"1700000000000","tagsSet":["TagA"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[]}"#;
    assert_eq!(heartbeat(&plugin, go).code, ResponseCode::SUCCESS);
    assert_eq!(heartbeat(&plugin, cpp).code, ResponseCode::SUCCESS);
    let state = fake.state();
    for (group, client) in [
        ("goGroup", "192.168.1.2@4711"),
        ("cppGroup", "10.0.0.9@31337"),
    ] {
        let info = &state.consumers[group];
        assert_eq!(info.client_ids, vec![client.to_owned()], "{group}");
        assert_eq!(info.subscriptions[0].codes, vec![2598919], "{group}");
        assert_eq!(info.subscriptions[0].tags, vec!["TagA".to_owned()]);
        assert_eq!(info.subscriptions[0].sub_version, 1_700_000_000_000);
        assert_eq!(info.consume_from_where, "CONSUME_FROM_FIRST_OFFSET");
    }
}

#[test]
fn heartbeat_subscribing_to_everything_has_no_tags() {
    let (fake, plugin) = started();
    consumer_heartbeat(&plugin, "c@1", 1, "g", 0, false);
    let sub = fake.state().consumers["g"].subscriptions[0].clone();
    assert_eq!(sub.sub_string, "*");
    assert!(sub.tags.is_empty() && sub.codes.is_empty(), "{sub:?}");
}

/// Java's `heartBeatV2`: IS_SUB_CHANGE is true only when the group's stored
/// fingerprint exists and differs; a classic heartbeat always answers true.
#[test]
fn heartbeat_v2_reports_a_sub_change_only_when_the_group_fingerprint_changes() {
    let (fake, plugin) = started();
    let steps = [
        (111, false, "false", "first heartbeat of the group"),
        (111, false, "false", "same fingerprint"),
        (222, false, "true", "fingerprint changed"),
        (222, true, "false", "withoutSub, same fingerprint"),
        (333, true, "true", "withoutSub, fingerprint changed"),
    ];
    for (fingerprint, without_sub, expected, why) in steps {
        let response = consumer_heartbeat(&plugin, "c@1", 1, "fpGroup", fingerprint, without_sub);
        assert_eq!(sub_change(&response), expected, "{why}");
    }
    assert_eq!(fake.state().fingerprints["fpGroup"], 333);

    for (fingerprint, expected) in [(0, "true"), (0, "true"), (444, "true"), (444, "false")] {
        let response = consumer_heartbeat(&plugin, "c@3", 3, "v1Group", fingerprint, false);
        assert_eq!(sub_change(&response), expected, "v1Group {fingerprint}");
    }
}

#[test]
fn heartbeat_v2_without_sub_keeps_the_subscriptions_and_asks_a_new_member_for_them() {
    let (fake, plugin) = started();
    consumer_heartbeat(&plugin, "c@1", 1, "g", 111, false);
    let subscribed = fake.state().consumers["g"].subscriptions.clone();
    assert_eq!(subscribed.len(), 1);

    let known = consumer_heartbeat(&plugin, "c@1", 1, "g", 111, true);
    assert_eq!(sub_change(&known), "false");
    assert_eq!(fake.state().consumers["g"].subscriptions, subscribed);

    let newcomer = consumer_heartbeat(&plugin, "c@2", 2, "g", 111, true);
    assert_eq!(
        sub_change(&newcomer),
        "true",
        "a member the registry does not know must send its subscriptions"
    );
    let state = fake.state();
    assert_eq!(state.consumers["g"].subscriptions, subscribed);
    assert_eq!(
        state.consumers["g"].client_ids,
        vec!["c@1".to_owned(), "c@2".to_owned()]
    );
}

#[test]
fn heartbeat_with_a_body_that_is_not_heartbeat_data_is_a_system_error() {
    let (fake, plugin) = started();
    for body in ["", "not json", r#"{"consumerDataSet":[]}"#] {
        let response = heartbeat(&plugin, body);
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR, "{body:?}");
        let remark = response.remark.unwrap_or_default();
        assert!(
            remark.starts_with("the heartbeat body is not valid HeartbeatData JSON: "),
            "{body:?}: {remark}"
        );
    }
    let unknown_ordinal =
        r#"{"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":2}]}"#;
    let response = heartbeat(&plugin, unknown_ordinal);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert!(
        response
            .remark
            .as_deref()
            .is_some_and(|r| r.contains("no enum constant with ordinal 2")),
        "{:?}",
        response.remark
    );
    let state = fake.state();
    assert!(state.consumers.is_empty() && state.producers.is_empty());
}

// --- UNREGISTER_CLIENT (35) ---

#[test]
fn unregister_removes_the_client_from_both_groups() {
    let (fake, plugin) = started();
    heartbeat(&plugin, JAVA_HEARTBEAT);
    consumer_heartbeat(&plugin, "other@1", 2, "cg1", 0, false);
    let response = respond(
        RequestBuilder::new(request_code::UNREGISTER_CLIENT)
            .field("clientID", "10.0.0.5@12345")
            .field("producerGroup", "pg1")
            .field("consumerGroup", "cg1")
            .run(&plugin),
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark, None);
    let state = fake.state();
    assert!(state.producers["pg1"].is_empty());
    assert_eq!(
        state.consumers["cg1"].client_ids,
        vec!["other@1".to_owned()]
    );
    assert_eq!(state.connections["cg1"].len(), 1);
    assert_eq!(state.connections["cg1"][0].client_id, "other@1");
}

#[test]
fn unregister_of_a_producer_only_leaves_its_consumer_registered() {
    let (fake, plugin) = started();
    heartbeat(&plugin, JAVA_HEARTBEAT);
    let response = respond(
        RequestBuilder::new(request_code::UNREGISTER_CLIENT)
            .field("clientID", "10.0.0.5@12345")
            .field("producerGroup", "pg1")
            .run(&plugin),
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    let state = fake.state();
    assert!(state.producers["pg1"].is_empty());
    assert_eq!(
        state.consumers["cg1"].client_ids,
        vec!["10.0.0.5@12345".to_owned()]
    );
}

#[test]
fn unregister_without_a_client_id_is_a_system_error_naming_the_field() {
    let (fake, plugin) = started();
    heartbeat(&plugin, JAVA_HEARTBEAT);
    let response = respond(
        RequestBuilder::new(request_code::UNREGISTER_CLIENT)
            .field("producerGroup", "pg1")
            .run(&plugin),
    );
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <clientID> is null")
    );
    assert_eq!(
        fake.state().producers["pg1"],
        vec!["10.0.0.5@12345".to_owned()]
    );
}

// --- GET_CONSUMER_LIST_BY_GROUP (38) ---

#[test]
fn consumer_list_names_the_group_members() {
    let (_fake, plugin) = started();
    for (client_id, connection_id) in [("10.0.0.1@1", 1), ("10.0.0.2@\"2\"", 2)] {
        let response = consumer_heartbeat(&plugin, client_id, connection_id, "g", 0, false);
        assert_eq!(
            response.code,
            ResponseCode::SUCCESS,
            "{:?}",
            response.remark
        );
    }
    let response = respond(
        RequestBuilder::new(request_code::GET_CONSUMER_LIST_BY_GROUP)
            .field("consumerGroup", "g")
            .run(&plugin),
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        std::str::from_utf8(&response.body).unwrap(),
        r#"{"consumerIdList":["10.0.0.1@1","10.0.0.2@\"2\""]}"#
    );
}

#[test]
fn consumer_list_of_a_group_without_members_is_a_system_error() {
    let (_fake, plugin) = started();
    let request =
        RequestBuilder::new(request_code::GET_CONSUMER_LIST_BY_GROUP).field("consumerGroup", "g");
    let unknown = respond(request.run(&plugin));
    assert_eq!(unknown.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        unknown.remark.as_deref(),
        Some("no consumer for this group, g")
    );

    consumer_heartbeat(&plugin, "c@1", 1, "g", 0, false);
    respond(
        RequestBuilder::new(request_code::UNREGISTER_CLIENT)
            .field("clientID", "c@1")
            .field("consumerGroup", "g")
            .run(&plugin),
    );
    let emptied = respond(request.run(&plugin));
    assert_eq!(emptied.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        emptied.remark.as_deref(),
        Some("no consumer for this group, g")
    );
}

#[test]
fn consumer_list_without_a_group_is_a_system_error_naming_the_field() {
    let (_fake, plugin) = started();
    let response =
        respond(RequestBuilder::new(request_code::GET_CONSUMER_LIST_BY_GROUP).run(&plugin));
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <consumerGroup> is null")
    );
}

// --- CHECK_CLIENT_CONFIG (46) ---

fn check(plugin: &HeartbeatPlugin, body: &str) -> Response {
    respond(
        RequestBuilder::new(request_code::CHECK_CLIENT_CONFIG)
            .body(body)
            .run(plugin),
    )
}

#[test]
fn check_client_config_accepts_tag_subscriptions_and_none() {
    let (_fake, plugin) = started();
    for body in [
        r#"{"clientId":"c@1","group":"g"}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":null}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*","expressionType":"TAG"}}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*","expressionType":""}}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*"}}"#,
        r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"*","expressionType":null}}"#,
        r#"{"clientId":"10.0.0.9@31337","group":"cppGroup","subscriptionData":{"topic":"TopicTest","subString":"TagA","codeSet":["2598919"],"subVersion":"1700000000000","tagsSet":["TagA"]}}"#,
    ] {
        let response = check(&plugin, body);
        assert_eq!(
            response.code,
            ResponseCode::SUCCESS,
            "{body}: {:?}",
            response.remark
        );
        assert_eq!(response.remark, None, "{body}");
    }
}

const SQL_CHECK: &str = r#"{"clientId":"c@1","group":"g","subscriptionData":{"topic":"T","subString":"a > 1","expressionType":"SQL92"}}"#;

#[test]
fn check_client_config_refuses_sql92_without_enable_property_filter() {
    let (_fake, plugin) = started();
    let response = check(&plugin, SQL_CHECK);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
}

fn with_property_filter() -> (FakeHost, HeartbeatPlugin) {
    let fake = FakeHost::new();
    fake.set_config("enablePropertyFilter", "true");
    let plugin = fake.start::<HeartbeatPlugin>("").expect("starts");
    (fake, plugin)
}

fn sql_check(expression_type: &str, expression: &str) -> String {
    let expression = serde_json::to_string(expression).expect("JSON string");
    format!(
        r#"{{"clientId":"c@1","group":"g","subscriptionData":{{"topic":"T","subString":{expression},"expressionType":"{expression_type}"}}}}"#
    )
}

#[test]
fn check_client_config_accepts_sql92_that_compiles_with_enable_property_filter() {
    let (_fake, plugin) = with_property_filter();
    for expression in [
        "a > 1",
        "region IN ('east', 'west') AND price BETWEEN 10 AND 20.5",
        "TAGS IS NOT NULL AND name NOT STARTSWITH 'tmp'",
        // JmsSelector stops at a token it cannot continue with.
        "a = 1 b",
    ] {
        let response = check(&plugin, &sql_check("SQL92", expression));
        assert_eq!(
            (response.code, response.remark.as_deref()),
            (ResponseCode::SUCCESS, None),
            "{expression}"
        );
    }
}

#[test]
fn check_client_config_refuses_sql92_that_does_not_compile() {
    let (fake, plugin) = with_property_filter();
    for (expression, remark) in [
        (
            "a >",
            "Invalid MessageSelector. Encountered \"<EOF>\" at line 1, column 4. Was expecting a literal, a property, NOT, +, - or (",
        ),
        (
            "a = 1 #",
            "Invalid MessageSelector. Lexical error at line 1, column 7. Encountered: \"#\"",
        ),
        (
            "a > 'x'",
            "Invalid MessageSelector. Value ''x'' cannot be compared.",
        ),
        (
            "a BETWEEN 10 AND 0",
            "Invalid MessageSelector. Illegal values of between, left value(10) must less than or equal to right value(0)",
        ),
    ] {
        let response = check(&plugin, &sql_check("SQL92", expression));
        assert_eq!(
            (response.code, response.remark.as_deref()),
            (ResponseCode::SUBSCRIPTION_PARSE_FAILED, Some(remark)),
            "{expression}"
        );
    }
    assert!(fake
        .log_lines()
        .iter()
        .any(|line| line.contains("c@1@g filter message, but failed to compile expression!")));
}

#[test]
fn check_client_config_refuses_an_expression_type_without_a_filter() {
    let (_fake, plugin) = with_property_filter();
    let response = check(&plugin, &sql_check("GROOVY", "a > 1"));
    assert_eq!(response.code, ResponseCode::SUBSCRIPTION_PARSE_FAILED);
    assert_eq!(
        response.remark.as_deref(),
        Some("no filter for expression type GROOVY")
    );
}

#[test]
fn check_client_config_with_a_body_that_is_not_json_is_a_system_error() {
    let (_fake, plugin) = started();
    for body in ["", "[1]", r#"{"subscriptionData":{"subString":"*"}}"#] {
        let response = check(&plugin, body);
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR, "{body:?}");
        let remark = response.remark.unwrap_or_default();
        assert!(
            remark.starts_with("the body is not valid CheckClientRequestBody JSON: "),
            "{body:?}: {remark}"
        );
    }
}

// --- the plugin itself ---

#[test]
fn another_code_is_not_supported() {
    let (_fake, plugin) = started();
    let response = respond(RequestBuilder::new(request_code::UNREGISTER_CLIENT + 1).run(&plugin));
    assert_eq!(response.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 36 not supported")
    );
}

#[test]
fn settings_are_refused() {
    let error = FakeHost::new()
        .start::<HeartbeatPlugin>(r#"{"enablePropertyFilter":true}"#)
        .err()
        .expect("the plugin takes no settings");
    assert_eq!(
        error,
        "invalid settings: unknown setting `enablePropertyFilter`"
    );
}
