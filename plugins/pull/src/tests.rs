//! Unit tests against the in-memory host: every code this plugin serves,
//! its success answers and its refusals.

use plugin_api::sdk::message::{decode_records, encode_properties, java_string_hash, properties};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{ConsumerGroupInfo, Subscription, TopicConfig};

use super::*;

const TOPIC: &str = "TopicTest";
const GROUP: &str = "cg_pull";
/// `SUBSCRIPTION | SUSPEND`: what a push consumer's pull carries.
const HOLDING: i32 = pull_sys_flag::SUBSCRIPTION | pull_sys_flag::SUSPEND;

fn broker() -> FakeHost {
    let fake = FakeHost::new();
    fake.add_topic(TopicConfig::new(TOPIC));
    fake
}

fn start(fake: &FakeHost) -> PullPlugin {
    fake.start::<PullPlugin>("")
        .expect("the pull plugin starts")
}

fn tagged(tag: &str) -> String {
    encode_properties([(properties::TAGS, tag)])
}

/// Stores one message tagged `tag` in queue 0 of [`TOPIC`].
fn store(fake: &FakeHost, body: &str, tag: &str) -> i64 {
    fake.store_message(TOPIC, 0, body.as_bytes(), &tagged(tag))
}

/// A PULL_MESSAGE of queue 0 of [`TOPIC`] for [`GROUP`] with every required
/// header field; with the SUBSCRIPTION flag the expression is `*`.
fn pull(offset: i64, sys_flag: i32) -> RequestBuilder {
    let request = RequestBuilder::new(request_code::PULL_MESSAGE)
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0)
        .field("queueOffset", offset)
        .field("maxMsgNums", 32)
        .field("sysFlag", sys_flag)
        .field("commitOffset", 0)
        .field("suspendTimeoutMillis", 15_000)
        .field("subVersion", 0);
    if sys_flag & pull_sys_flag::SUBSCRIPTION != 0 {
        request
            .field("subscription", "*")
            .field("expressionType", "TAG")
    } else {
        request
    }
}

fn respond(request: &RequestBuilder, plugin: &PullPlugin) -> Response {
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn bodies(response: &Response) -> Vec<String> {
    decode_records(&response.body)
        .into_iter()
        .map(|record| String::from_utf8(record.body).expect("utf-8 body"))
        .collect()
}

fn assert_refused(response: &Response, code: ResponseCode, remark: &str) {
    assert_eq!(response.code, code, "{response:?}");
    assert_eq!(response.remark.as_deref(), Some(remark));
    assert!(response.body.is_empty());
}

fn assert_forbidden(response: &Response, forbidden_type: &str, remark: &str) {
    assert_refused(response, ResponseCode::NO_PERMISSION, remark);
    assert_eq!(response.field("forbiddenType"), Some(forbidden_type));
}

/// Registers [`GROUP`] as a consumer group subscribed to [`TOPIC`] with `tags`.
fn register_group(fake: &FakeHost, message_model: &str, tags: &[&str], sub_version: i64) {
    let tags: Vec<String> = tags.iter().map(|tag| (*tag).to_owned()).collect();
    let subscription = Subscription {
        topic: TOPIC.to_owned(),
        sub_string: if tags.is_empty() {
            "*".to_owned()
        } else {
            tags.join(" || ")
        },
        expression_type: "TAG".to_owned(),
        codes: tags.iter().map(|tag| java_string_hash(tag)).collect(),
        tags,
        sub_version,
    };
    fake.state().consumers.insert(
        GROUP.to_owned(),
        ConsumerGroupInfo {
            group: GROUP.to_owned(),
            consume_type: "CONSUME_PASSIVELY".to_owned(),
            message_model: message_model.to_owned(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".to_owned(),
            subscriptions: vec![subscription],
            client_ids: vec!["10.0.0.5@1".to_owned()],
        },
    );
}

fn queue_key(group: &str) -> (String, String, i32) {
    (group.to_owned(), TOPIC.to_owned(), 0)
}

// ---------------------------------------------------------------- start

#[test]
fn starts_without_settings_and_refuses_any() {
    let fake = broker();
    assert!(fake.start::<PullPlugin>("{}").is_ok());
    let refusal = fake
        .start::<PullPlugin>(r#"{"longPollingEnable":false}"#)
        .err()
        .expect("a settings key is refused");
    assert_eq!(
        refusal,
        "invalid settings: unknown setting `longPollingEnable`"
    );
}

#[test]
fn an_unknown_code_is_not_supported() {
    let fake = broker();
    let response = respond(&RequestBuilder::new(999), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        " request type 999 not supported",
    );
}

// ------------------------------------------------------- PULL_MESSAGE (11)

#[test]
fn a_pull_answers_the_stored_records_and_the_queue_offsets() {
    let fake = broker();
    for body in ["m0", "m1", "m2"] {
        store(&fake, body, "TagA");
    }
    let response = respond(&pull(1, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark.as_deref(), Some("FOUND"));
    let fields: Vec<(&str, &str)> = response.ext_fields.iter().collect();
    assert_eq!(
        fields,
        vec![
            ("suggestWhichBrokerId", "0"),
            ("nextBeginOffset", "3"),
            ("minOffset", "0"),
            ("maxOffset", "3"),
            ("topicSysFlag", "0"),
            ("groupSysFlag", "0"),
        ]
    );
    assert_eq!(bodies(&response), vec!["m1", "m2"]);
    let records = decode_records(&response.body);
    assert_eq!(records[0].topic, TOPIC);
    assert_eq!(records[0].header.queue_offset, 1);
}

#[test]
fn max_msg_nums_caps_the_records_of_one_pull() {
    let fake = broker();
    for body in ["m0", "m1", "m2"] {
        store(&fake, body, "TagA");
    }
    let request = pull(0, pull_sys_flag::SUBSCRIPTION).field("maxMsgNums", 2);
    let response = respond(&request, &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["m0", "m1"]);
    assert_eq!(response.field("nextBeginOffset"), Some("2"));
}

#[test]
fn the_topic_and_group_sys_flags_are_answered() {
    let fake = broker();
    let mut topic = TopicConfig::new(TOPIC);
    topic.topic_sys_flag = 3;
    fake.add_topic(topic);
    let mut group = SubscriptionGroup::new(GROUP);
    group.group_sys_flag = 5;
    fake.add_group(group);
    store(&fake, "m0", "TagA");
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_eq!(response.field("topicSysFlag"), Some("3"));
    assert_eq!(response.field("groupSysFlag"), Some("5"));
}

#[test]
fn a_lite_pull_is_served_like_a_pull() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let request = with_pull_fields(
        RequestBuilder::new(request_code::LITE_PULL_MESSAGE),
        0,
        pull_sys_flag::SUBSCRIPTION | pull_sys_flag::LITE_PULL,
    );
    let response = respond(&request, &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["m0"]);
}

/// [`pull`]'s fields on another request code.
fn with_pull_fields(request: RequestBuilder, offset: i64, sys_flag: i32) -> RequestBuilder {
    request
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0)
        .field("queueOffset", offset)
        .field("maxMsgNums", 32)
        .field("sysFlag", sys_flag)
        .field("commitOffset", 0)
        .field("suspendTimeoutMillis", 15_000)
        .field("subVersion", 0)
        .field("subscription", "*")
        .field("expressionType", "TAG")
}

#[test]
fn a_tag_expression_in_the_request_filters_the_records() {
    let fake = broker();
    store(&fake, "a0", "TagA");
    store(&fake, "b1", "TagB");
    store(&fake, "c2", "TagC");
    store(&fake, "a3", "TagA");
    let plugin = start(&fake);
    let request = pull(0, pull_sys_flag::SUBSCRIPTION).field("subscription", "TagA || TagC");
    let response = respond(&request, &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["a0", "c2", "a3"]);
    assert_eq!(response.field("nextBeginOffset"), Some("4"));

    // Entries exist but none matches: retry at once from past them.
    let request = pull(0, pull_sys_flag::SUBSCRIPTION).field("subscription", "TagZ");
    let response = respond(&request, &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_RETRY_IMMEDIATELY,
        "NO_MATCHED_MESSAGE",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("4"));
}

#[test]
fn the_registered_subscription_filters_a_pull_without_one() {
    let fake = broker();
    store(&fake, "a0", "TagA");
    store(&fake, "b1", "TagB");
    register_group(&fake, "CLUSTERING", &["TagB"], 7);
    let response = respond(&pull(0, 0).field("subVersion", 7), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["b1"]);
}

#[test]
fn a_registered_subscription_older_than_the_request_is_not_latest() {
    let fake = broker();
    store(&fake, "a0", "TagA");
    register_group(&fake, "CLUSTERING", &[], 7);
    let response = respond(&pull(0, 0).field("subVersion", 8), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::SUBSCRIPTION_NOT_LATEST,
        "the consumer's subscription not latest",
    );
}

#[test]
fn a_pull_without_subscription_needs_the_group_registered_for_the_topic() {
    let fake = broker();
    let plugin = start(&fake);
    let response = respond(&pull(0, 0), &plugin);
    assert_refused(
        &response,
        ResponseCode::SUBSCRIPTION_NOT_EXIST,
        "the consumer's group info not exist, group: cg_pull",
    );

    register_group(&fake, "CLUSTERING", &[], 0);
    fake.state()
        .consumers
        .get_mut(GROUP)
        .expect("registered")
        .subscriptions[0]
        .topic = "OtherTopic".to_owned();
    let response = respond(&pull(0, 0), &plugin);
    assert_refused(
        &response,
        ResponseCode::SUBSCRIPTION_NOT_EXIST,
        "the consumer's subscription not exist, group: cg_pull",
    );
}

#[test]
fn a_sql92_subscription_without_expression_fails_to_parse() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let plugin = start(&fake);
    for expression in [None, Some("")] {
        let mut request = RequestBuilder::new(request_code::PULL_MESSAGE)
            .field("consumerGroup", GROUP)
            .field("topic", TOPIC)
            .field("queueId", 0)
            .field("queueOffset", 0)
            .field("maxMsgNums", 32)
            .field("sysFlag", pull_sys_flag::SUBSCRIPTION)
            .field("commitOffset", 0)
            .field("suspendTimeoutMillis", 15_000)
            .field("subVersion", 0)
            .field("expressionType", "SQL92");
        if let Some(expression) = expression {
            request = request.field("subscription", expression);
        }
        let response = respond(&request, &plugin);
        assert_refused(
            &response,
            ResponseCode::SUBSCRIPTION_PARSE_FAILED,
            "parse the consumer's subscription failed",
        );
    }
}

#[test]
fn a_sql92_subscription_is_refused_by_the_property_filter_setting() {
    let request = sql_pull(0, pull_sys_flag::SUBSCRIPTION, "a > 1");
    let fake = broker();
    store(&fake, "m0", "TagA");
    let response = respond(&request, &start(&fake));
    assert_refused(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "The broker does not support consumer to filter message by SQL92",
    );
}

// ------------------------------------------------------------------ SQL92

/// A broker with `enablePropertyFilter` and, in queue 0, one message per
/// entry: body `m<i>`, properties `a=<i>` plus the extra pairs.
fn sql_broker(messages: &[&[(&str, &str)]]) -> FakeHost {
    let fake = broker();
    fake.set_config("enablePropertyFilter", "true");
    for (i, extra) in messages.iter().enumerate() {
        let a = i.to_string();
        let mut pairs = vec![(properties::TAGS, "TagA"), ("a", a.as_str())];
        pairs.extend_from_slice(extra);
        fake.store_message(
            TOPIC,
            0,
            format!("m{i}").as_bytes(),
            &encode_properties(pairs),
        );
    }
    fake
}

/// A pull of queue 0 from `offset` carrying a SQL92 subscription.
fn sql_pull(offset: i64, sys_flag: i32, expression: &str) -> RequestBuilder {
    with_pull_fields(
        RequestBuilder::new(request_code::PULL_MESSAGE),
        offset,
        sys_flag,
    )
    .field("subscription", expression)
    .field("expressionType", "SQL92")
}

/// Registers [`GROUP`] with one SQL92 subscription to [`TOPIC`].
fn register_sql_group(fake: &FakeHost, expression: &str) {
    register_group(fake, "CLUSTERING", &[], 0);
    let mut state = fake.state();
    let subscription = &mut state
        .consumers
        .get_mut(GROUP)
        .expect("registered")
        .subscriptions[0];
    subscription.expression_type = "SQL92".to_owned();
    subscription.sub_string = expression.to_owned();
}

#[test]
fn a_sql92_pull_answers_exactly_the_messages_whose_properties_match() {
    let fake = sql_broker(&[
        &[("region", "east")],
        &[("region", "west")],
        &[],
        &[("region", "east"), ("price", "250")],
        &[("region", "north")],
    ]);
    let plugin = start(&fake);
    for (expression, expected) in [
        ("region = 'east'", vec!["m0", "m3"]),
        ("region IN ('west', 'north')", vec!["m1", "m4"]),
        ("region IS NULL", vec!["m2"]),
        ("a BETWEEN 1 AND 3 AND region <> 'west'", vec!["m3"]),
        // A string property against an Integer literal: Integer.valueOf.
        ("price > 100", vec!["m3"]),
        ("TAGS = 'TagA' AND a >= 4", vec!["m4"]),
        ("region STARTSWITH 'e' OR a = 2", vec!["m0", "m2", "m3"]),
    ] {
        let response = respond(
            &sql_pull(0, pull_sys_flag::SUBSCRIPTION, expression),
            &plugin,
        );
        assert_eq!(
            response.code,
            ResponseCode::SUCCESS,
            "{expression}: {response:?}"
        );
        assert_eq!(response.remark.as_deref(), Some("FOUND"));
        assert_eq!(bodies(&response), expected, "{expression}");
        // Every message was looked at: the next pull starts at the end.
        assert_eq!(response.field("nextBeginOffset"), Some("5"), "{expression}");
    }
}

#[test]
fn messages_the_filter_skips_advance_the_offset_and_none_matched_retries_at_once() {
    let fake = sql_broker(&[&[], &[], &[]]);
    let plugin = start(&fake);
    let response = respond(&sql_pull(0, HOLDING, "a > 10"), &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_RETRY_IMMEDIATELY,
        "NO_MATCHED_MESSAGE",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("3"));
    assert_eq!(fake.state().pull_offsets.get(&queue_key(GROUP)), Some(&3));
    // A value the comparison cannot convert fails its evaluation: no match.
    let response = respond(
        &sql_pull(0, pull_sys_flag::SUBSCRIPTION, "TAGS > 1"),
        &plugin,
    );
    assert_eq!(response.code, ResponseCode::PULL_RETRY_IMMEDIATELY);
}

#[test]
fn a_full_batch_stops_before_the_next_message() {
    let fake = sql_broker(&[&[] as &[(&str, &str)]; 10]);
    let plugin = start(&fake);
    let request = sql_pull(0, pull_sys_flag::SUBSCRIPTION, "a >= 2").field("maxMsgNums", 3);
    let response = respond(&request, &plugin);
    assert_eq!(bodies(&response), vec!["m2", "m3", "m4"]);
    // isTheBatchFull at m5: it is not looked at, the next pull starts there.
    assert_eq!(response.field("nextBeginOffset"), Some("5"));

    // The in-memory transfer count limits the kept messages too.
    let fake = sql_broker(&[&[] as &[(&str, &str)]; 10]);
    fake.set_config("maxTransferCountOnMessageInMemory", "2");
    let response = respond(
        &sql_pull(0, pull_sys_flag::SUBSCRIPTION, "a > 0"),
        &start(&fake),
    );
    assert_eq!(bodies(&response), vec!["m1", "m2"]);
    assert_eq!(response.field("nextBeginOffset"), Some("3"));
}

#[test]
fn a_sql92_pull_looks_at_max_filter_message_size_bytes_of_entries_at_most() {
    // max(maxFilterMessageSize 100, maxMsgNums 4 × 20) bytes: 5 entries.
    let mut messages: Vec<&[(&str, &str)]> = vec![&[]; 7];
    messages.push(&[("hit", "yes")]);
    let fake = sql_broker(&messages);
    fake.set_config("maxFilterMessageSize", "100");
    let plugin = start(&fake);
    let request = |offset| {
        sql_pull(offset, pull_sys_flag::SUBSCRIPTION, "hit = 'yes'").field("maxMsgNums", 4)
    };
    let response = respond(&request(0), &plugin);
    assert_eq!(response.code, ResponseCode::PULL_RETRY_IMMEDIATELY);
    assert_eq!(response.field("nextBeginOffset"), Some("5"));
    let response = respond(&request(5), &plugin);
    assert_eq!(bodies(&response), vec!["m7"]);
    assert_eq!(response.field("nextBeginOffset"), Some("8"));
}

#[test]
fn a_sql92_expression_that_does_not_compile_fails_to_parse() {
    let fake = sql_broker(&[&[]]);
    let plugin = start(&fake);
    for (expression_type, expression) in [
        ("SQL92", "a >"),
        ("SQL92", "a > 'x'"),
        ("SQL92", "a = 1 #"),
        ("GROOVY", "a > 1"),
    ] {
        let request = sql_pull(0, pull_sys_flag::SUBSCRIPTION, expression)
            .field("expressionType", expression_type);
        assert_refused(
            &respond(&request, &plugin),
            ResponseCode::SUBSCRIPTION_PARSE_FAILED,
            "parse the consumer's subscription failed",
        );
    }
    assert!(
        fake.log_lines()
            .iter()
            .any(|line| line
                .contains("Parse the consumer's subscription[a >] failed, group: cg_pull"))
    );
}

#[test]
fn the_registered_sql92_subscription_filters_a_pull_without_one() {
    let fake = sql_broker(&[&[], &[("k", "v")], &[]]);
    register_sql_group(&fake, "k = 'v'");
    let response = respond(&pull(0, 0), &start(&fake));
    assert_eq!(bodies(&response), vec!["m1"]);
    assert_eq!(response.field("nextBeginOffset"), Some("3"));
}

#[test]
fn a_registered_sql92_subscription_that_does_not_compile_has_no_filter_data() {
    let fake = sql_broker(&[&[]]);
    register_sql_group(&fake, "k = ");
    assert_refused(
        &respond(&pull(0, 0), &start(&fake)),
        ResponseCode::FILTER_DATA_NOT_EXIST,
        "The broker's consumer filter data is not exist!Your expression may be wrong!",
    );
    // ... checked before enablePropertyFilter, as in Java.
    let fake = broker();
    register_sql_group(&fake, "k = ");
    assert_eq!(
        respond(&pull(0, 0), &start(&fake)).code,
        ResponseCode::FILTER_DATA_NOT_EXIST
    );
    let fake = broker();
    register_sql_group(&fake, "k = 'v'");
    assert_refused(
        &respond(&pull(0, 0), &start(&fake)),
        ResponseCode::SYSTEM_ERROR,
        "The broker does not support consumer to filter message by SQL92",
    );
}

#[test]
fn a_caught_up_sql92_pull_is_held_for_any_arrival_and_the_rerun_filters() {
    let fake = sql_broker(&[&[]]);
    let plugin = start(&fake);
    let outcome = sql_pull(1, HOLDING, "k = 'v'").run(&plugin);
    assert_eq!(
        outcome,
        Outcome::Hold(Hold {
            key: HoldKey::queue(TOPIC, 0),
            wake_offset: 1,
            timeout_millis: 15_000,
            tag_codes: Vec::new(),
        })
    );
    // A message that does not match wakes it: the re-run skips it.
    fake.store_message(TOPIC, 0, b"m1", &encode_properties([("k", "w")]));
    let rerun = sql_pull(1, HOLDING, "k = 'v'").rerun_after_hold();
    let response = respond(&rerun, &plugin);
    assert_eq!(response.code, ResponseCode::PULL_RETRY_IMMEDIATELY);
    assert_eq!(response.field("nextBeginOffset"), Some("2"));
    fake.store_message(TOPIC, 0, b"m2", &encode_properties([("k", "v")]));
    let response = respond(&sql_pull(2, HOLDING, "k = 'v'").rerun_after_hold(), &plugin);
    assert_eq!(bodies(&response), vec!["m2"]);
}

#[test]
fn a_broadcasting_consumer_needs_consume_broadcast_enable() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let mut group = SubscriptionGroup::new(GROUP);
    group.consume_broadcast_enable = false;
    fake.add_group(group);
    register_group(&fake, "BROADCASTING", &[], 0);
    let plugin = start(&fake);
    let response = respond(&pull(0, 0), &plugin);
    assert_forbidden(
        &response,
        "4",
        "the consumer group[cg_pull] can not consume by broadcast way",
    );

    // A clustering consumer of the same group is served.
    register_group(&fake, "CLUSTERING", &[], 0);
    assert_eq!(respond(&pull(0, 0), &plugin).code, ResponseCode::SUCCESS);
}

#[test]
fn a_group_forbidden_to_read_the_topic_is_refused() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    register_group(&fake, "CLUSTERING", &[], 0);
    let plugin = start(&fake);
    let key = (GROUP.to_owned(), TOPIC.to_owned());
    fake.state().forbidden.insert(key.clone(), perm::READ);
    let response = respond(&pull(0, 0), &plugin);
    assert_forbidden(
        &response,
        "5",
        "the consumer group[cg_pull] is forbidden for topic[TopicTest]",
    );

    // Only the READ bit forbids pulling.
    fake.state().forbidden.insert(key, perm::WRITE);
    assert_eq!(respond(&pull(0, 0), &plugin).code, ResponseCode::SUCCESS);
}

#[test]
fn an_unreadable_broker_refuses_pulls() {
    let fake = broker();
    fake.state().identity.broker_permission = perm::WRITE;
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_forbidden(
        &response,
        "1",
        "the broker[broker-a] pulling message is forbidden",
    );
}

#[test]
fn lite_pulls_are_refused_when_disabled_and_pulls_are_not() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    fake.set_config("litePullMessageEnable", "false");
    let plugin = start(&fake);
    let lite = with_pull_fields(
        RequestBuilder::new(request_code::LITE_PULL_MESSAGE),
        0,
        pull_sys_flag::SUBSCRIPTION,
    );
    assert_forbidden(
        &respond(&lite, &plugin),
        "1",
        "the broker[broker-a] for lite pull consumer is forbidden",
    );
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
}

#[test]
fn a_group_with_consumption_disabled_is_refused() {
    let fake = broker();
    let mut group = SubscriptionGroup::new(GROUP);
    group.consume_enable = false;
    fake.add_group(group);
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_forbidden(&response, "2", "subscription group no permission, cg_pull");
}

#[test]
fn an_unreadable_topic_refuses_pulls() {
    let fake = broker();
    let mut topic = TopicConfig::new(TOPIC);
    topic.perm = perm::WRITE;
    fake.add_topic(topic);
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_forbidden(
        &response,
        "3",
        "the topic[TopicTest] pulling message is forbidden",
    );
}

#[test]
fn an_unknown_group_is_created_unless_auto_creation_is_off() {
    let fake = broker();
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_eq!(response.code, ResponseCode::PULL_NOT_FOUND);
    assert!(fake.state().groups.contains_key(GROUP));

    let fake = broker();
    fake.set_config("autoCreateSubscriptionGroup", "false");
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        "subscription group [cg_pull] does not exist",
    );
    assert!(!fake.state().groups.contains_key(GROUP));
}

#[test]
fn an_unknown_topic_is_refused() {
    let fake = broker();
    let request = pull(0, pull_sys_flag::SUBSCRIPTION).field("topic", "NoSuchTopic");
    let response = respond(&request, &start(&fake));
    assert_refused(
        &response,
        ResponseCode::TOPIC_NOT_EXIST,
        "topic[NoSuchTopic] not exist, apply first please!",
    );
}

#[test]
fn a_queue_id_outside_the_read_queues_is_illegal() {
    let fake = broker();
    let plugin = start(&fake);
    for queue_id in [16, -1] {
        let request = pull(0, pull_sys_flag::SUBSCRIPTION)
            .field("queueId", queue_id)
            .from_client("10.0.0.5:41000", 3);
        let response = respond(&request, &plugin);
        assert_refused(
            &response,
            ResponseCode::INVALID_PARAMETER,
            &format!(
                "queueId[{queue_id}] is illegal, topic:[TopicTest] \
                 topicConfig.readQueueNums:[16] consumer:[10.0.0.5:41000]"
            ),
        );
    }
}

#[test]
fn missing_or_invalid_pull_header_fields_are_system_errors() {
    let fake = broker();
    let plugin = start(&fake);
    let missing = RequestBuilder::new(request_code::PULL_MESSAGE).field("topic", TOPIC);
    assert_refused(
        &respond(&missing, &plugin),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <consumerGroup> is null",
    );
    let invalid = pull(0, pull_sys_flag::SUBSCRIPTION).field("queueOffset", "abc");
    assert_refused(
        &respond(&invalid, &plugin),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <queueOffset> has an invalid long value: \"abc\"",
    );
    let no_timeout = RequestBuilder::new(request_code::PULL_MESSAGE)
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0)
        .field("queueOffset", 0)
        .field("maxMsgNums", 32)
        .field("sysFlag", 0)
        .field("commitOffset", 0)
        .field("subVersion", 0);
    assert_refused(
        &respond(&no_timeout, &plugin),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <suspendTimeoutMillis> is null",
    );
}

// -------------------------------------------- offsets committed by a pull

#[test]
fn a_pull_with_the_commit_flag_commits_and_records_the_pull_offset() {
    let fake = broker();
    for body in ["m0", "m1", "m2"] {
        store(&fake, body, "TagA");
    }
    let plugin = start(&fake);
    let request = pull(
        1,
        pull_sys_flag::SUBSCRIPTION | pull_sys_flag::COMMIT_OFFSET,
    )
    .field("commitOffset", 1);
    assert_eq!(respond(&request, &plugin).code, ResponseCode::SUCCESS);
    let state = fake.state();
    assert_eq!(state.offsets.get(&queue_key(GROUP)), Some(&1));
    assert_eq!(state.pull_offsets.get(&queue_key(GROUP)), Some(&3));
}

#[test]
fn a_pull_without_the_commit_flag_only_records_the_pull_offset() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let plugin = start(&fake);
    let request = pull(0, pull_sys_flag::SUBSCRIPTION).field("commitOffset", 1);
    assert_eq!(respond(&request, &plugin).code, ResponseCode::SUCCESS);
    let state = fake.state();
    assert!(state.offsets.is_empty(), "{:?}", state.offsets);
    assert_eq!(state.pull_offsets.get(&queue_key(GROUP)), Some(&1));
}

#[test]
fn a_slave_does_not_commit_and_retries_where_a_master_moves_the_offset() {
    let fake = broker();
    fake.set_config("brokerRole", "SLAVE");
    store(&fake, "m0", "TagA");
    let plugin = start(&fake);
    let request = pull(
        5,
        pull_sys_flag::SUBSCRIPTION | pull_sys_flag::COMMIT_OFFSET,
    )
    .field("commitOffset", 1);
    let response = respond(&request, &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_RETRY_IMMEDIATELY,
        "OFFSET_OVERFLOW_BADLY",
    );
    assert!(fake.state().offsets.is_empty());
}

// ----------------------------------------------------------- long polling

#[test]
fn a_caught_up_pull_is_held_on_its_queue_until_a_matching_arrival() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    store(&fake, "m1", "TagB");
    let plugin = start(&fake);
    let request = pull(2, HOLDING | pull_sys_flag::COMMIT_OFFSET)
        .field("subscription", "TagA || TagB")
        .field("suspendTimeoutMillis", 20_000)
        .field("commitOffset", 2);
    let outcome = request.run(&plugin);
    let expected = Hold {
        key: HoldKey::queue(TOPIC, 0),
        wake_offset: 2,
        timeout_millis: 20_000,
        tag_codes: vec![
            i64::from(java_string_hash("TagA")),
            i64::from(java_string_hash("TagB")),
        ],
    };
    assert_eq!(outcome, Outcome::Hold(expected));
    if let Outcome::Hold(hold) = &outcome {
        assert_eq!(hold.key.to_string(), "TopicTest@0");
    }
    // The first processing commits and records the pull offset.
    let state = fake.state();
    assert_eq!(state.offsets.get(&queue_key(GROUP)), Some(&2));
    assert_eq!(state.pull_offsets.get(&queue_key(GROUP)), Some(&2));
}

#[test]
fn a_pull_of_an_empty_queue_at_offset_zero_is_held_for_any_tag() {
    let fake = broker();
    let request = pull(0, HOLDING).field("queueId", 3);
    let outcome = request.run(&start(&fake));
    assert_eq!(
        outcome,
        Outcome::Hold(Hold {
            key: HoldKey::queue(TOPIC, 3),
            wake_offset: 0,
            timeout_millis: 15_000,
            tag_codes: Vec::new(),
        })
    );
}

#[test]
fn without_long_polling_a_pull_is_held_for_the_short_polling_time() {
    let fake = broker();
    fake.set_config("longPollingEnable", "false");
    fake.set_config("shortPollingTimeMills", "700");
    let outcome = pull(0, HOLDING).run(&start(&fake));
    match outcome {
        Outcome::Hold(hold) => {
            assert_eq!(hold.timeout_millis, 700);
            assert_eq!(hold.key, HoldKey::queue(TOPIC, 0));
        }
        other => panic!("expected a hold, got {other:?}"),
    }
}

#[test]
fn the_rerun_after_a_hold_answers_pull_not_found_and_does_not_commit() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let plugin = start(&fake);
    let request = pull(1, HOLDING | pull_sys_flag::COMMIT_OFFSET)
        .field("commitOffset", 1)
        .rerun_after_hold();
    let response = respond(&request, &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_NOT_FOUND,
        "OFFSET_OVERFLOW_ONE",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("1"));
    assert_eq!(response.field("maxOffset"), Some("1"));
    let state = fake.state();
    assert!(state.offsets.is_empty(), "{:?}", state.offsets);
    assert_eq!(state.pull_offsets.get(&queue_key(GROUP)), Some(&1));
}

#[test]
fn the_rerun_after_a_hold_answers_the_messages_that_arrived() {
    let fake = broker();
    let plugin = start(&fake);
    assert!(matches!(pull(0, HOLDING).run(&plugin), Outcome::Hold(_)));
    store(&fake, "late", "TagA");
    let response = respond(&pull(0, HOLDING).rerun_after_hold(), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["late"]);
}

#[test]
fn a_pull_without_the_suspend_flag_is_not_held() {
    let fake = broker();
    let response = respond(&pull(0, pull_sys_flag::SUBSCRIPTION), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::PULL_NOT_FOUND,
        "NO_MESSAGE_IN_QUEUE",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("0"));
}

// ------------------------------------------------------------ offset moved

#[test]
fn offsets_outside_the_queue_answer_offset_moved_and_are_not_held() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    store(&fake, "m1", "TagA");
    let plugin = start(&fake);

    let response = respond(&pull(5, HOLDING), &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_OFFSET_MOVED,
        "OFFSET_OVERFLOW_BADLY",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("2"));
    assert_eq!(response.field("maxOffset"), Some("2"));

    let response = respond(&pull(-1, HOLDING), &plugin);
    assert_refused(
        &response,
        ResponseCode::PULL_OFFSET_MOVED,
        "OFFSET_TOO_SMALL",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("0"));
}

#[test]
fn a_non_zero_offset_in_an_empty_queue_is_moved() {
    let fake = broker();
    let response = respond(&pull(3, HOLDING), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::PULL_OFFSET_MOVED,
        "NO_MESSAGE_IN_QUEUE",
    );
    assert_eq!(response.field("nextBeginOffset"), Some("0"));
    assert_eq!(
        fake.state().pull_offsets.get(&queue_key(GROUP)),
        Some(&0),
        "the moved-to offset is recorded as the pull offset"
    );
}

#[test]
fn every_store_status_maps_to_the_java_pull_code() {
    let fake = broker();
    let master = start(&fake);
    fake.set_config("brokerRole", "SLAVE");
    let slave = start(&fake);
    use GetStatus::*;
    use ResponseCode as C;
    let cases = [
        (Found, 0, C::SUCCESS, C::SUCCESS),
        (
            NoMatchedMessage,
            0,
            C::PULL_RETRY_IMMEDIATELY,
            C::PULL_RETRY_IMMEDIATELY,
        ),
        (
            MessageWasRemoving,
            0,
            C::PULL_RETRY_IMMEDIATELY,
            C::PULL_RETRY_IMMEDIATELY,
        ),
        (NoMessageInQueue, 0, C::PULL_NOT_FOUND, C::PULL_NOT_FOUND),
        (
            NoMessageInQueue,
            4,
            C::PULL_OFFSET_MOVED,
            C::PULL_RETRY_IMMEDIATELY,
        ),
        (NoMatchedLogicQueue, 0, C::PULL_NOT_FOUND, C::PULL_NOT_FOUND),
        (
            NoMatchedLogicQueue,
            4,
            C::PULL_OFFSET_MOVED,
            C::PULL_RETRY_IMMEDIATELY,
        ),
        (OffsetFoundNull, 4, C::PULL_NOT_FOUND, C::PULL_NOT_FOUND),
        (OffsetOverflowOne, 4, C::PULL_NOT_FOUND, C::PULL_NOT_FOUND),
        (
            OffsetOverflowBadly,
            4,
            C::PULL_OFFSET_MOVED,
            C::PULL_RETRY_IMMEDIATELY,
        ),
        (
            OffsetTooSmall,
            0,
            C::PULL_OFFSET_MOVED,
            C::PULL_RETRY_IMMEDIATELY,
        ),
    ];
    for (status, offset, on_master, on_slave) in cases {
        assert_eq!(
            master.response_code(status, offset),
            on_master,
            "{status:?}"
        );
        assert_eq!(slave.response_code(status, offset), on_slave, "{status:?}");
    }
}

#[test]
fn suggest_which_broker_id_follows_slave_read_enable() {
    let fake = broker();
    let mut group = SubscriptionGroup::new(GROUP);
    group.broker_id = 2;
    group.which_broker_when_consume_slowly = 3;
    fake.add_group(group.clone());
    store(&fake, "m0", "TagA");
    let request = pull(0, pull_sys_flag::SUBSCRIPTION);

    let master_only = start(&fake);
    assert_eq!(
        respond(&request, &master_only).field("suggestWhichBrokerId"),
        Some("0")
    );
    assert_eq!(master_only.suggest_which_broker_id(&group, true), 0);

    fake.set_config("slaveReadEnable", "true");
    let slave_read = start(&fake);
    assert_eq!(
        respond(&request, &slave_read).field("suggestWhichBrokerId"),
        Some("2")
    );
    assert_eq!(slave_read.suggest_which_broker_id(&group, true), 3);
}

// --------------------------------------------- QUERY_CONSUMER_OFFSET (14)

fn query_offset() -> RequestBuilder {
    RequestBuilder::new(request_code::QUERY_CONSUMER_OFFSET)
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0)
}

#[test]
fn query_consumer_offset_answers_the_committed_offset() {
    let fake = broker();
    fake.state().offsets.insert(queue_key(GROUP), 7);
    let response = respond(&query_offset(), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark, None);
    assert_eq!(response.field("offset"), Some("7"));
}

#[test]
fn a_new_group_starts_at_zero_only_where_offset_zero_holds_a_message() {
    let fake = broker();
    let plugin = start(&fake);
    let response = respond(&query_offset(), &plugin);
    assert_refused(
        &response,
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    );
    assert_eq!(response.field("offset"), None);

    store(&fake, "m0", "TagA");
    let response = respond(&query_offset(), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("offset"), Some("0"));
}

#[test]
fn query_consumer_offset_without_set_zero_is_not_found() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    let request = query_offset().field("setZeroIfNotFound", "false");
    let response = respond(&request, &start(&fake));
    assert_refused(
        &response,
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, do not set to zero, maybe this group boot first",
    );
}

#[test]
fn query_consumer_offset_needs_group_topic_and_queue() {
    let fake = broker();
    let plugin = start(&fake);
    let request = RequestBuilder::new(request_code::QUERY_CONSUMER_OFFSET)
        .field("topic", TOPIC)
        .field("queueId", 0);
    assert_refused(
        &respond(&request, &plugin),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <consumerGroup> is null",
    );
    let request = query_offset().field("queueId", "x");
    assert_refused(
        &respond(&request, &plugin),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <queueId> has an invalid int value: \"x\"",
    );
}

// -------------------------------------------- UPDATE_CONSUMER_OFFSET (15)

fn update_offset(offset: i64) -> RequestBuilder {
    RequestBuilder::new(request_code::UPDATE_CONSUMER_OFFSET)
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0)
        .field("commitOffset", offset)
}

#[test]
fn update_consumer_offset_commits_for_a_known_group_and_topic() {
    let fake = broker();
    fake.add_group(SubscriptionGroup::new(GROUP));
    let response = respond(&update_offset(42), &start(&fake));
    assert_eq!(response, Response::success());
    assert_eq!(fake.state().offsets.get(&queue_key(GROUP)), Some(&42));
}

#[test]
fn update_consumer_offset_refuses_an_unknown_group_without_creating_it() {
    let fake = broker();
    let response = respond(&update_offset(42), &start(&fake));
    assert_refused(
        &response,
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        "Group cg_pull not exist!",
    );
    let state = fake.state();
    assert!(state.offsets.is_empty());
    assert!(!state.groups.contains_key(GROUP));
}

#[test]
fn update_consumer_offset_refuses_an_unknown_topic() {
    let fake = broker();
    fake.add_group(SubscriptionGroup::new(GROUP));
    let request = update_offset(42).field("topic", "NoSuchTopic");
    let response = respond(&request, &start(&fake));
    assert_refused(
        &response,
        ResponseCode::TOPIC_NOT_EXIST,
        "Topic NoSuchTopic not exist!",
    );
    assert!(fake.state().offsets.is_empty());
}

#[test]
fn update_consumer_offset_needs_the_commit_offset() {
    let fake = broker();
    fake.add_group(SubscriptionGroup::new(GROUP));
    let request = RequestBuilder::new(request_code::UPDATE_CONSUMER_OFFSET)
        .field("consumerGroup", GROUP)
        .field("topic", TOPIC)
        .field("queueId", 0);
    assert_refused(
        &respond(&request, &start(&fake)),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <commitOffset> is null",
    );
    assert!(fake.state().offsets.is_empty());
}

// ---------------------------------------- SEARCH_OFFSET_BY_TIMESTAMP (29)

fn search(timestamp: i64) -> RequestBuilder {
    RequestBuilder::new(request_code::SEARCH_OFFSET_BY_TIMESTAMP)
        .field("topic", TOPIC)
        .field("queueId", 0)
        .field("timestamp", timestamp)
}

#[test]
fn search_offset_by_timestamp_honours_the_boundary_type() {
    let fake = broker();
    // Queue 0 at offsets 0, 1, 2; queue 1 between them, so queue 0's store
    // times leave gaps.
    for queue_id in [0, 1, 0, 1, 0] {
        fake.store_message(TOPIC, queue_id, b"m", "");
    }
    let times: Vec<i64> = fake
        .messages_in(TOPIC)
        .iter()
        .filter(|message| message.queue_id == 0)
        .map(|message| message.store_timestamp)
        .collect();
    let between = times[1] + 1;
    assert!(between < times[2]);
    let plugin = start(&fake);

    let lower = respond(&search(between), &plugin);
    assert_eq!(lower.code, ResponseCode::SUCCESS);
    assert_eq!(lower.field("offset"), Some("2"));
    let lower = respond(&search(between).field("boundaryType", "lower"), &plugin);
    assert_eq!(lower.field("offset"), Some("2"));
    let upper = respond(&search(between).field("boundaryType", "UPPER"), &plugin);
    assert_eq!(upper.field("offset"), Some("1"));
}

#[test]
fn search_offset_by_timestamp_needs_the_timestamp() {
    let fake = broker();
    let request = RequestBuilder::new(request_code::SEARCH_OFFSET_BY_TIMESTAMP)
        .field("topic", TOPIC)
        .field("queueId", 0);
    assert_refused(
        &respond(&request, &start(&fake)),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <timestamp> is null",
    );
}

// ------------------------------------ GET_MAX_OFFSET (30), GET_MIN_OFFSET (31)

fn queue_request(code: i32, queue_id: i32) -> RequestBuilder {
    RequestBuilder::new(code)
        .field("topic", TOPIC)
        .field("queueId", queue_id)
}

#[test]
fn get_max_offset_answers_the_next_offset_to_write() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    store(&fake, "m1", "TagA");
    let plugin = start(&fake);
    let response = respond(&queue_request(request_code::GET_MAX_OFFSET, 0), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("offset"), Some("2"));
    let empty = respond(&queue_request(request_code::GET_MAX_OFFSET, 5), &plugin);
    assert_eq!(empty.field("offset"), Some("0"));
}

#[test]
fn get_min_offset_answers_the_first_offset_kept() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    store(&fake, "m1", "TagA");
    let response = respond(
        &queue_request(request_code::GET_MIN_OFFSET, 0),
        &start(&fake),
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("offset"), Some("0"));
}

#[test]
fn the_queue_offset_codes_need_topic_and_queue() {
    let fake = broker();
    let plugin = start(&fake);
    for code in [
        request_code::GET_MAX_OFFSET,
        request_code::GET_MIN_OFFSET,
        request_code::GET_EARLIEST_MSG_STORETIME,
        request_code::SEARCH_OFFSET_BY_TIMESTAMP,
    ] {
        let no_topic = RequestBuilder::new(code).field("queueId", 0);
        assert_refused(
            &respond(&no_topic, &plugin),
            ResponseCode::SYSTEM_ERROR,
            "the custom field <topic> is null",
        );
        let no_queue = RequestBuilder::new(code).field("topic", TOPIC);
        assert_refused(
            &respond(&no_queue, &plugin),
            ResponseCode::SYSTEM_ERROR,
            "the custom field <queueId> is null",
        );
    }
}

// ------------------------------------ GET_EARLIEST_MSG_STORETIME (32)

#[test]
fn get_earliest_msg_storetime_answers_the_first_store_time_or_minus_one() {
    let fake = broker();
    store(&fake, "m0", "TagA");
    store(&fake, "m1", "TagA");
    let first = fake.messages_in(TOPIC)[0].store_timestamp;
    let plugin = start(&fake);
    let response = respond(
        &queue_request(request_code::GET_EARLIEST_MSG_STORETIME, 0),
        &plugin,
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        response.field("timestamp"),
        Some(first.to_string().as_str())
    );

    let empty = respond(
        &queue_request(request_code::GET_EARLIEST_MSG_STORETIME, 4),
        &plugin,
    );
    assert_eq!(empty.code, ResponseCode::SUCCESS);
    assert_eq!(empty.field("timestamp"), Some("-1"));
}

// ------------------------------------------------ server-side offset reset

#[test]
fn update_consumer_offset_accepts_a_lower_offset() {
    let fake = broker();
    fake.add_group(SubscriptionGroup::new(GROUP));
    let plugin = start(&fake);
    respond(&update_offset(42), &plugin);
    let response = respond(&update_offset(7), &plugin);
    assert_eq!(response, Response::success());
    assert_eq!(fake.state().offsets.get(&queue_key(GROUP)), Some(&7));
}

#[test]
fn a_pull_after_a_server_side_reset_moves_to_the_reset_offset_once() {
    let fake = broker();
    for i in 0..5 {
        store(&fake, &format!("m{i}"), "A");
    }
    let plugin = start(&fake);
    fake.host("test")
        .broker_admin()
        .expect("ABI 1.2")
        .assign_reset_offset(TOPIC, GROUP, 0, 1);

    let response = respond(&pull(4, HOLDING), &plugin);
    assert_eq!(
        response.code,
        ResponseCode::PULL_OFFSET_MOVED,
        "{response:?}"
    );
    assert_eq!(response.remark.as_deref(), Some("OFFSET_RESET"));
    assert_eq!(response.field("nextBeginOffset"), Some("1"));
    assert_eq!(response.field("minOffset"), Some("0"));
    assert_eq!(response.field("maxOffset"), Some("5"));
    assert!(response.body.is_empty());
    assert_eq!(fake.state().pull_offsets.get(&queue_key(GROUP)), Some(&1));

    // Taken: the next pull reads from where it asks.
    let response = respond(&pull(1, HOLDING), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), ["m1", "m2", "m3", "m4"]);
}

#[test]
fn with_the_feature_off_a_pending_reset_is_taken_but_not_answered() {
    let fake = broker();
    store(&fake, "m0", "A");
    fake.set_config("useServerSideResetOffset", "false");
    let plugin = start(&fake);
    fake.host("test")
        .broker_admin()
        .expect("ABI 1.2")
        .assign_reset_offset(TOPIC, GROUP, 0, 0);
    let response = respond(&pull(0, HOLDING), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert!(fake.state().reset_offsets.is_empty());
}

#[test]
fn a_commit_older_than_a_pending_reset_is_ignored() {
    let fake = broker();
    fake.add_group(SubscriptionGroup::new(GROUP));
    let plugin = start(&fake);
    fake.host("test")
        .broker_admin()
        .expect("ABI 1.2")
        .assign_reset_offset(TOPIC, GROUP, 0, 3);
    let response = respond(&update_offset(9), &plugin);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        response.remark.as_deref(),
        Some("Offset has been previously reset")
    );
    assert_eq!(fake.state().offsets.get(&queue_key(GROUP)), Some(&3));

    // Off: the commit is applied.
    fake.set_config("useServerSideResetOffset", "false");
    let response = respond(&update_offset(9), &plugin);
    assert_eq!(response, Response::success());
    assert_eq!(fake.state().offsets.get(&queue_key(GROUP)), Some(&9));
}
