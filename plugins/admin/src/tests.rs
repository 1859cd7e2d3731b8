//! The admin codes on the test kit's in-memory host.

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{Connection, ConsumerGroupInfo, SubscriptionGroup};

use super::*;

fn started() -> (FakeHost, AdminPlugin) {
    let fake = FakeHost::new();
    let plugin = fake.start::<AdminPlugin>("").expect("starts");
    (fake, plugin)
}

/// A plugin started on a broker with these config values.
fn started_with(config: &[(&str, &str)]) -> (FakeHost, AdminPlugin) {
    let fake = FakeHost::new();
    for (key, value) in config {
        fake.set_config(key, value);
    }
    let plugin = fake.start::<AdminPlugin>("").expect("starts");
    (fake, plugin)
}

fn respond(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

fn call(plugin: &AdminPlugin, code: i32, fields: &[(&str, &str)]) -> Response {
    let mut request = RequestBuilder::new(code);
    for (key, value) in fields {
        request = request.field(key, value);
    }
    respond(request.run(plugin))
}

fn text(response: &Response) -> &str {
    std::str::from_utf8(&response.body).expect("UTF-8 body")
}

fn assert_error(response: &Response, code: ResponseCode, remark: &str) {
    assert_eq!(
        (response.code, response.remark.as_deref()),
        (code, Some(remark))
    );
}

#[test]
fn attributes_parse_like_java() {
    assert_eq!(parse_attributes("").unwrap(), vec![]);
    assert_eq!(
        parse_attributes("+message.type=NORMAL,-old").unwrap(),
        vec![
            ("+message.type".to_owned(), "NORMAL".to_owned()),
            ("-old".to_owned(), String::new())
        ]
    );
    assert_eq!(
        parse_attributes("message.type=NORMAL"),
        Err("add/alter attribute format is wrong: message.type".to_owned())
    );
    assert_eq!(
        parse_attributes("old"),
        Err("delete attribute format is wrong: old".to_owned())
    );
    assert_eq!(
        parse_attributes("+a=1,+a=2"),
        Err("key duplication: +a".to_owned())
    );
}

// --- UPDATE_AND_CREATE_TOPIC (17) ---

const CREATE_TOPIC: &[(&str, &str)] = &[
    ("topic", "AdminTopic"),
    ("defaultTopic", "TBW102"),
    ("readQueueNums", "4"),
    ("writeQueueNums", "2"),
    ("perm", "6"),
    ("topicFilterType", "SINGLE_TAG"),
    ("topicSysFlag", "0"),
    ("order", "false"),
];

/// [`CREATE_TOPIC`] with some fields replaced (value `None` = left out).
fn create_topic(plugin: &AdminPlugin, changes: &[(&str, Option<&str>)]) -> Response {
    let mut request = RequestBuilder::new(request_code::UPDATE_AND_CREATE_TOPIC);
    for (key, value) in CREATE_TOPIC {
        match changes.iter().find(|(changed, _)| changed == key) {
            Some((_, Some(changed))) => request = request.field(key, changed),
            Some((_, None)) => {}
            None => request = request.field(key, value),
        }
    }
    for (key, value) in changes {
        if let (false, Some(value)) = (CREATE_TOPIC.iter().any(|(k, _)| k == key), value) {
            request = request.field(key, value);
        }
    }
    respond(request.run(plugin))
}

#[test]
fn update_and_create_topic_creates_the_topic_as_asked() {
    let (fake, plugin) = started();
    let response = create_topic(&plugin, &[]);
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(response.remark, None);
    assert_eq!(
        fake.state().topics["AdminTopic"],
        TopicConfig {
            topic_name: "AdminTopic".into(),
            read_queue_nums: 4,
            write_queue_nums: 2,
            perm: 6,
            topic_filter_type: 0,
            topic_sys_flag: 0,
            order: false,
        }
    );
    assert_eq!(
        fake.log_lines(),
        vec![
            "INFO admin: receive request to update or create topic=AdminTopic, caller address=127.0.0.1:50000"
        ]
    );
}

#[test]
fn update_and_create_topic_takes_multi_tag_order_and_sys_flag() {
    let (fake, plugin) = started();
    let response = create_topic(
        &plugin,
        &[
            ("topicFilterType", Some("MULTI_TAG")),
            ("order", Some("true")),
            ("topicSysFlag", Some("3")),
            ("perm", Some("4")),
        ],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    let topic = fake.state().topics["AdminTopic"].clone();
    assert_eq!(
        (
            topic.topic_filter_type,
            topic.order,
            topic.topic_sys_flag,
            topic.perm
        ),
        (1, true, 3, 4)
    );
    let without_sys_flag =
        create_topic(&plugin, &[("topicSysFlag", None), ("order", Some("false"))]);
    assert_eq!(without_sys_flag.code, ResponseCode::SUCCESS);
    assert_eq!(fake.state().topics["AdminTopic"].topic_sys_flag, 0);
}

#[test]
fn update_and_create_topic_of_an_unchanged_topic_is_idempotent() {
    let (fake, plugin) = started();
    assert_eq!(create_topic(&plugin, &[]).code, ResponseCode::SUCCESS);
    fake.state().refuse_updates = Some("must not be called".into());
    let response = create_topic(&plugin, &[]);
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(
        fake.log_lines().last().map(String::as_str),
        Some("INFO admin: topic AdminTopic unchanged (idempotent update)")
    );
    // With attributes the update goes to the host even when the config is the same.
    let with_attributes = create_topic(&plugin, &[("attributes", Some("+message.type=NORMAL"))]);
    assert_error(
        &with_attributes,
        ResponseCode::SYSTEM_ERROR,
        "must not be called",
    );
}

#[test]
fn update_and_create_topic_refused_by_the_host_is_a_system_error_with_its_text() {
    let (fake, plugin) = started();
    fake.state().refuse_updates = Some("the topic table is read-only".into());
    let response = create_topic(&plugin, &[]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "the topic table is read-only",
    );
    assert!(!fake.state().topics.contains_key("AdminTopic"));
}

#[test]
fn update_and_create_topic_without_a_required_field_is_a_system_error_naming_it() {
    let (fake, plugin) = started();
    for field in [
        "topic",
        "defaultTopic",
        "readQueueNums",
        "writeQueueNums",
        "perm",
        "topicFilterType",
        "order",
    ] {
        let response = create_topic(&plugin, &[(field, None)]);
        assert_error(
            &response,
            ResponseCode::SYSTEM_ERROR,
            &format!("the custom field <{field}> is null"),
        );
    }
    let response = create_topic(&plugin, &[("readQueueNums", Some("four"))]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <readQueueNums> has an invalid int value: \"four\"",
    );
    assert!(!fake.state().topics.contains_key("AdminTopic"));
}

#[test]
fn update_and_create_topic_with_an_unknown_filter_type_is_a_system_error() {
    let (fake, plugin) = started();
    let response = create_topic(&plugin, &[("topicFilterType", Some("NOPE"))]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "topicFilterType = [NOPE] value invalid",
    );
    assert!(!fake.state().topics.contains_key("AdminTopic"));
}

#[test]
fn update_and_create_topic_with_an_illegal_name_is_invalid_parameter() {
    let (fake, plugin) = started();
    let cases = [
        (
            "bad/topic",
            "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$",
        ),
        (" ", "The specified topic is blank."),
    ];
    for (name, remark) in cases {
        let response = create_topic(&plugin, &[("topic", Some(name))]);
        assert_error(&response, ResponseCode::INVALID_PARAMETER, remark);
    }
    let long = "t".repeat(128);
    let response = create_topic(&plugin, &[("topic", Some(long.as_str()))]);
    assert_error(
        &response,
        ResponseCode::INVALID_PARAMETER,
        "The specified topic is longer than topic max length.",
    );
    assert_eq!(fake.state().topics.len(), 1, "only TBW102");
}

#[test]
fn update_and_create_topic_refuses_a_system_topic_unless_validation_is_off() {
    let (fake, plugin) = started();
    for name in ["TBW102", "rmq_sys_wheel_timer", "SCHEDULE_TOPIC_XXXX"] {
        let response = create_topic(&plugin, &[("topic", Some(name))]);
        assert_error(
            &response,
            ResponseCode::INVALID_PARAMETER,
            &format!("The topic[{name}] is conflict with system topic."),
        );
    }
    assert_eq!(fake.state().topics["TBW102"].perm, 7, "TBW102 unchanged");

    let (fake, plugin) = started_with(&[("validateSystemTopicWhenUpdateTopic", "false")]);
    let response = create_topic(&plugin, &[("topic", Some("SCHEDULE_TOPIC_XXXX"))]);
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(
        fake.state().topics["SCHEDULE_TOPIC_XXXX"].write_queue_nums,
        2
    );
}

#[test]
fn update_and_create_topic_checks_the_attributes() {
    let (fake, plugin) = started();
    let response = create_topic(&plugin, &[("attributes", Some("message.type=X"))]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "add/alter attribute format is wrong: message.type",
    );
    let response = create_topic(&plugin, &[("attributes", Some("+message.type=MIXED"))]);
    assert_error(
        &response,
        ResponseCode::INVALID_PARAMETER,
        "MIXED message type is not supported.",
    );
    let response = create_topic(&plugin, &[("attributes", Some("+message.type=NORMAL"))]);
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert!(fake.state().topics.contains_key("AdminTopic"));

    let (fake, plugin) = started_with(&[("enableMixedMessageType", "true")]);
    let response = create_topic(&plugin, &[("attributes", Some("+message.type=MIXED"))]);
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert!(fake.state().topics.contains_key("AdminTopic"));
}

// --- GET_ALL_TOPIC_CONFIG (21) ---

#[test]
fn all_topic_config_answers_the_wrapper_and_the_topic_count() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("TopicA"));
    let response = call(&plugin, request_code::GET_ALL_TOPIC_CONFIG, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("totalTopicNum"), Some("2"));
    assert_eq!(
        text(&response),
        r#"{"topicConfigTable":{"TBW102":{"topicName":"TBW102"},"TopicA":{"topicName":"TopicA"}}}"#
    );
}

// --- DELETE_TOPIC_IN_BROKER (215) ---

#[test]
fn delete_topic_removes_the_topic_and_its_offsets() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Doomed"));
    fake.add_topic(TopicConfig::new("Kept"));
    {
        let mut state = fake.state();
        state.offsets.insert(("g".into(), "Doomed".into(), 0), 3);
        state.offsets.insert(("g".into(), "Kept".into(), 0), 4);
    }
    let response = call(
        &plugin,
        request_code::DELETE_TOPIC_IN_BROKER,
        &[("topic", "Doomed")],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    let state = fake.state();
    assert!(!state.topics.contains_key("Doomed"));
    assert!(state.topics.contains_key("Kept"));
    assert_eq!(
        state.offsets.keys().cloned().collect::<Vec<_>>(),
        vec![("g".to_owned(), "Kept".to_owned(), 0)]
    );
    assert_eq!(
        state.log,
        vec!["INFO admin: receive request to delete topic=Doomed, caller=127.0.0.1:50000"]
    );
}

#[test]
fn delete_topic_of_an_unknown_topic_succeeds_with_a_warning() {
    let (fake, plugin) = started();
    let response = call(
        &plugin,
        request_code::DELETE_TOPIC_IN_BROKER,
        &[("topic", "Nope")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        fake.log_lines().last().map(String::as_str),
        Some("WARN admin: delete topic Nope: the topic does not exist")
    );
}

#[test]
fn delete_topic_refuses_a_blank_or_system_topic() {
    let (fake, plugin) = started();
    let blank = call(
        &plugin,
        request_code::DELETE_TOPIC_IN_BROKER,
        &[("topic", " ")],
    );
    assert_error(
        &blank,
        ResponseCode::INVALID_PARAMETER,
        "The specified topic is blank.",
    );
    let system = call(
        &plugin,
        request_code::DELETE_TOPIC_IN_BROKER,
        &[("topic", "TBW102")],
    );
    assert_error(
        &system,
        ResponseCode::INVALID_PARAMETER,
        "The topic[TBW102] is conflict with system topic.",
    );
    assert!(fake.state().topics.contains_key("TBW102"));
    let missing = call(&plugin, request_code::DELETE_TOPIC_IN_BROKER, &[]);
    assert_error(
        &missing,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <topic> is null",
    );

    let (fake, plugin) = started_with(&[("validateSystemTopicWhenUpdateTopic", "false")]);
    let response = call(
        &plugin,
        request_code::DELETE_TOPIC_IN_BROKER,
        &[("topic", "TBW102")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert!(!fake.state().topics.contains_key("TBW102"));
}

// --- GET_BROKER_RUNTIME_INFO (28) ---

#[test]
fn runtime_info_is_the_hosts_table_with_the_brokers_own_keys() {
    let (fake, plugin) = started();
    fake.state().runtime_info = vec![
        ("bootTimestamp".into(), "1700000000000".into()),
        ("brokerVersion".into(), "1".into()),
        (
            "runtime".into(),
            "[ 0 days, 0 hours, 0 minutes, 1 seconds ]".into(),
        ),
    ];
    let response = call(&plugin, request_code::GET_BROKER_RUNTIME_INFO, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        text(&response),
        concat!(
            r#"{"table":{"bootTimestamp":"1700000000000","brokerActive":"true","brokerVersion":"479","#,
            r#""brokerVersionDesc":"V5_3_3","runtime":"[ 0 days, 0 hours, 0 minutes, 1 seconds ]","#,
            r#""startAcceptSendRequestTimeStamp":"0","timerCongestNum":"0","timerDequeueTps":"0.0","#,
            r#""timerEnqueueTps":"0.0","timerOffsetBehind":"0","timerReadBehind":"0"}}"#
        )
    );
}

#[test]
fn runtime_info_of_a_slave_with_pool_capacities_configured() {
    let (fake, plugin) = started_with(&[
        ("brokerRole", "SLAVE"),
        ("startAcceptSendRequestTimeStamp", "1700000000123"),
        ("sendThreadPoolQueueCapacity", "10000"),
        ("ackThreadPoolQueueCapacity", "50"),
    ]);
    fake.state().identity.version = 400;
    let response = call(&plugin, request_code::GET_BROKER_RUNTIME_INFO, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    let body: Value = serde_json::from_slice(&response.body).expect("JSON");
    let table = &body["table"];
    assert_eq!(table["brokerActive"], "false");
    assert_eq!(table["brokerVersion"], "400");
    assert_eq!(table["brokerVersionDesc"], "V4_9_4_SNAPSHOT");
    assert_eq!(table["startAcceptSendRequestTimeStamp"], "1700000000123");
    assert_eq!(table["sendThreadPoolQueueCapacity"], "10000");
    assert_eq!(table["ackThreadPoolQueueCapacity"], "50");
    assert!(
        table.get("pullThreadPoolQueueCapacity").is_none(),
        "{table}"
    );
}

// --- GET_ALL_CONSUMER_OFFSET (43) ---

#[test]
fn all_consumer_offset_answers_the_hosts_table() {
    let (fake, plugin) = started();
    {
        let mut state = fake.state();
        state.offsets.insert(("g".into(), "T".into(), 0), 3);
        state.offsets.insert(("g".into(), "T".into(), 1), 5);
    }
    let response = call(&plugin, request_code::GET_ALL_CONSUMER_OFFSET, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), r#"{"offsetTable":2}"#);
    assert!(response.ext_fields.is_empty());
}

// --- UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) ---

fn update_group(plugin: &AdminPlugin, body: &str) -> Response {
    respond(
        RequestBuilder::new(request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .body(body)
            .run(plugin),
    )
}

#[test]
fn update_and_create_subscription_group_hands_the_body_to_the_host() {
    let (fake, plugin) = started();
    let response = update_group(
        &plugin,
        r#"{"groupName":"GID_admin","retryMaxTimes":5,"retryQueueNums":2,"consumeEnable":false}"#,
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    let group = fake.state().groups["GID_admin"].clone();
    assert_eq!(
        (
            group.retry_max_times,
            group.retry_queue_nums,
            group.consume_enable
        ),
        (5, 2, false)
    );
    assert_eq!(
        fake.log_lines(),
        vec!["INFO admin: updateAndCreateSubscriptionGroup called by 127.0.0.1:50000"]
    );
}

#[test]
fn update_and_create_subscription_group_without_a_config_or_name_answers_javas_npe() {
    let (fake, plugin) = started();
    assert_error(
        &update_group(&plugin, ""),
        ResponseCode::SYSTEM_ERROR,
        NPE_NO_CONFIG,
    );
    for body in [r#"{"retryMaxTimes":5}"#, r#"{"groupName":null}"#] {
        assert_error(
            &update_group(&plugin, body),
            ResponseCode::SYSTEM_ERROR,
            NPE_NO_GROUP_NAME,
        );
    }
    assert!(fake.state().groups.is_empty());
}

#[test]
fn update_and_create_subscription_group_with_a_body_that_is_not_json_is_a_system_error() {
    let (fake, plugin) = started();
    let response = update_group(&plugin, "{groupName");
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    let remark = response.remark.unwrap_or_default();
    assert!(
        remark.starts_with("the request body is not a SubscriptionGroupConfig JSON object: "),
        "{remark}"
    );
    assert!(fake.state().groups.is_empty());
}

#[test]
fn update_and_create_subscription_group_refused_by_the_host_is_a_system_error_with_its_text() {
    let (fake, plugin) = started();
    assert_error(
        &update_group(&plugin, r#"{"groupName":5}"#),
        ResponseCode::SYSTEM_ERROR,
        "groupName is missing",
    );
    fake.state().refuse_updates = Some("the group table is read-only".into());
    assert_error(
        &update_group(&plugin, r#"{"groupName":"g"}"#),
        ResponseCode::SYSTEM_ERROR,
        "the group table is read-only",
    );
    assert!(fake.state().groups.is_empty());
}

// --- GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) ---

#[test]
fn all_subscription_groups_answers_the_wrapper_and_the_group_count() {
    let (fake, plugin) = started();
    let empty = call(&plugin, request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, &[]);
    assert_eq!(empty.code, ResponseCode::SUCCESS);
    assert_eq!(empty.field("totalGroupNum"), Some("0"));
    assert_eq!(text(&empty), r#"{"subscriptionGroupTable":{}}"#);

    fake.add_group(SubscriptionGroup::new("g1"));
    fake.add_group(SubscriptionGroup::new("g2"));
    let response = call(&plugin, request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.field("totalGroupNum"), Some("2"));
    assert_eq!(
        text(&response),
        r#"{"subscriptionGroupTable":{"g1":{"groupName":"g1"},"g2":{"groupName":"g2"}}}"#
    );
}

// --- GET_TOPIC_STATS_INFO (202) ---

#[test]
fn topic_stats_reports_every_queue_in_fastjson_key_form() {
    let (fake, plugin) = started();
    let mut topic = TopicConfig::new("StatsTopic");
    topic.read_queue_nums = 1;
    topic.write_queue_nums = 2;
    fake.add_topic(topic);
    for _ in 0..3 {
        fake.store_message("StatsTopic", 0, b"m", "");
    }
    fake.store_message("StatsTopic", 1, b"m", "");
    fake.state().min_offsets.insert(("StatsTopic".into(), 0), 1);
    let messages = fake.messages_in("StatsTopic");
    let (last_q0, last_q1) = (messages[2].store_timestamp, messages[3].store_timestamp);

    let response = call(
        &plugin,
        request_code::GET_TOPIC_STATS_INFO,
        &[("topic", "StatsTopic")],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(
        text(&response),
        format!(
            concat!(
                r#"{{"offsetTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"StatsTopic"}}:"#,
                r#"{{"lastUpdateTimestamp":{},"maxOffset":3,"minOffset":1}},"#,
                r#"{{"brokerName":"broker-a","queueId":1,"topic":"StatsTopic"}}:"#,
                r#"{{"lastUpdateTimestamp":{},"maxOffset":1,"minOffset":0}}}},"topicPutTps":0.0}}"#
            ),
            last_q0, last_q1
        )
    );
}

#[test]
fn topic_stats_of_an_empty_queue_has_no_timestamp() {
    let (fake, plugin) = started();
    let mut topic = TopicConfig::new("Empty");
    topic.read_queue_nums = 1;
    topic.write_queue_nums = 1;
    fake.add_topic(topic);
    let response = call(
        &plugin,
        request_code::GET_TOPIC_STATS_INFO,
        &[("topic", "Empty")],
    );
    assert_eq!(
        text(&response),
        r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"Empty"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}},"topicPutTps":0.0}"#
    );
}

#[test]
fn topic_stats_of_an_unknown_or_missing_topic_is_an_error() {
    let (_fake, plugin) = started();
    assert_error(
        &call(
            &plugin,
            request_code::GET_TOPIC_STATS_INFO,
            &[("topic", "NoSuchTopic")],
        ),
        ResponseCode::TOPIC_NOT_EXIST,
        "topic[NoSuchTopic] not exist",
    );
    assert_error(
        &call(&plugin, request_code::GET_TOPIC_STATS_INFO, &[]),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <topic> is null",
    );
}

// --- GET_CONSUMER_CONNECTION_LIST (203) ---

fn subscription(topic: &str, sub_string: &str, version: i64) -> Subscription {
    let tags: Vec<String> = if sub_string == "*" {
        Vec::new()
    } else {
        vec![sub_string.to_owned()]
    };
    Subscription {
        topic: topic.into(),
        sub_string: sub_string.into(),
        expression_type: "TAG".into(),
        codes: tags
            .iter()
            .map(|tag| plugin_api::sdk::message::java_string_hash(tag))
            .collect(),
        tags,
        sub_version: version,
    }
}

#[test]
fn consumer_connections_describe_the_online_group() {
    let (fake, plugin) = started();
    {
        let mut state = fake.state();
        state.consumers.insert(
            "g".into(),
            ConsumerGroupInfo {
                group: "g".into(),
                consume_type: "CONSUME_PASSIVELY".into(),
                message_model: "CLUSTERING".into(),
                consume_from_where: "CONSUME_FROM_LAST_OFFSET".into(),
                subscriptions: vec![
                    subscription("TopicB", "*", 2),
                    subscription("TopicA", "TagA", 1),
                ],
                client_ids: vec!["c@1".into()],
            },
        );
        state.connections.insert(
            "g".into(),
            vec![Connection {
                client_id: "c@1".into(),
                client_addr: "10.0.0.1:5000".into(),
                language: LanguageCode::Java.as_byte(),
                version: 479,
            }],
        );
    }
    let response = call(
        &plugin,
        request_code::GET_CONSUMER_CONNECTION_LIST,
        &[("consumerGroup", "g")],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(
        text(&response),
        concat!(
            r#"{"connectionSet":[{"clientAddr":"10.0.0.1:5000","clientId":"c@1","language":"JAVA","version":479}],"#,
            r#""consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","#,
            r#""subscriptionTable":{"TopicA":{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","#,
            r#""subString":"TagA","subVersion":1,"tagsSet":["TagA"],"topic":"TopicA"},"#,
            r#""TopicB":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","#,
            r#""subVersion":2,"tagsSet":[],"topic":"TopicB"}}}"#
        )
    );
}

#[test]
fn consumer_connections_leave_out_what_the_group_did_not_say() {
    let (fake, plugin) = started();
    fake.state().consumers.insert(
        "bare".into(),
        ConsumerGroupInfo {
            group: "bare".into(),
            ..ConsumerGroupInfo::default()
        },
    );
    let response = call(
        &plugin,
        request_code::GET_CONSUMER_CONNECTION_LIST,
        &[("consumerGroup", "bare")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        text(&response),
        r#"{"connectionSet":[],"subscriptionTable":{}}"#
    );
}

#[test]
fn consumer_connections_of_an_offline_group_is_consumer_not_online() {
    let (_fake, plugin) = started();
    assert_error(
        &call(
            &plugin,
            request_code::GET_CONSUMER_CONNECTION_LIST,
            &[("consumerGroup", "nobody")],
        ),
        ResponseCode::CONSUMER_NOT_ONLINE,
        "the consumer group[nobody] not online",
    );
    assert_error(
        &call(&plugin, request_code::GET_CONSUMER_CONNECTION_LIST, &[]),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <consumerGroup> is null",
    );
}

// --- GET_CONSUME_STATS (208) ---

/// Topic `T` (2 read queues) with 5 messages in queue 0; group `g` committed
/// 3 and pulled up to 4 there, nothing in queue 1.
fn consume_fixture() -> (FakeHost, AdminPlugin, i64) {
    let (fake, plugin) = started();
    let mut topic = TopicConfig::new("T");
    topic.read_queue_nums = 2;
    topic.write_queue_nums = 4;
    fake.add_topic(topic);
    for _ in 0..5 {
        fake.store_message("T", 0, b"m", "");
    }
    {
        let mut state = fake.state();
        state.offsets.insert(("g".into(), "T".into(), 0), 3);
        state.pull_offsets.insert(("g".into(), "T".into(), 0), 4);
    }
    let third = fake.messages_in("T")[2].store_timestamp;
    (fake, plugin, third)
}

fn t_stats(last_timestamp: i64) -> String {
    format!(
        concat!(
            r#"{{"consumeTps":0.0,"offsetTable":{{"#,
            r#"{{"brokerName":"broker-a","queueId":0,"topic":"T"}}:"#,
            r#"{{"brokerOffset":5,"consumerOffset":3,"lastTimestamp":{},"pullOffset":4}},"#,
            r#"{{"brokerName":"broker-a","queueId":1,"topic":"T"}}:"#,
            r#"{{"brokerOffset":0,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}}}}}}"#
        ),
        last_timestamp
    )
}

#[test]
fn consume_stats_of_one_topic_report_every_read_queue() {
    let (_fake, plugin, third) = consume_fixture();
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g"), ("topic", "T")],
    );
    assert_eq!(
        response.code,
        ResponseCode::SUCCESS,
        "{:?}",
        response.remark
    );
    assert_eq!(text(&response), t_stats(third));
}

#[test]
fn consume_stats_without_a_topic_cover_the_groups_committed_topics() {
    let (fake, plugin, third) = consume_fixture();
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g"), ("topic", " ")],
    );
    assert_eq!(text(&response), t_stats(third));

    // An online group with subscriptions keeps only its subscribed topics.
    fake.state().consumers.insert(
        "g".into(),
        ConsumerGroupInfo {
            group: "g".into(),
            subscriptions: vec![subscription("Other", "*", 1)],
            ..ConsumerGroupInfo::default()
        },
    );
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g")],
    );
    assert_eq!(text(&response), r#"{"consumeTps":0.0,"offsetTable":{}}"#);

    // A topic list skips that check.
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g"), ("topicList", "T; ;")],
    );
    assert_eq!(text(&response), t_stats(third));
}

#[test]
fn consume_stats_skip_a_topic_without_config_with_a_warning() {
    let (fake, plugin, third) = consume_fixture();
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g"), ("topicList", "Gone;T")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), t_stats(third));
    assert_eq!(
        fake.log_lines(),
        vec!["WARN admin: getConsumeStats: topic config does not exist, topic=Gone"]
    );
}

#[test]
fn consume_stats_of_an_unknown_group_are_empty_and_the_group_is_required() {
    let (_fake, plugin, _) = consume_fixture();
    let response = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "nobody")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), r#"{"consumeTps":0.0,"offsetTable":{}}"#);
    assert_error(
        &call(&plugin, request_code::GET_CONSUME_STATS, &[("topic", "T")]),
        ResponseCode::SYSTEM_ERROR,
        "the custom field <consumerGroup> is null",
    );
}

// --- the plugin itself ---

#[test]
fn another_code_is_not_supported() {
    let (_fake, plugin) = started();
    assert_error(
        &call(&plugin, 18, &[]),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        " request type 18 not supported",
    );
}

#[test]
fn settings_are_refused() {
    let error = FakeHost::new()
        .start::<AdminPlugin>(r#"{"validate_system_topic":false}"#)
        .err()
        .expect("the plugin takes no settings");
    assert_eq!(
        error,
        "invalid settings: unknown setting `validate_system_topic`"
    );
}
