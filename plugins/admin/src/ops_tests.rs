//! The operations codes (25, 26, 204, 207, 222) on the test kit's
//! in-memory host: each code's success and error answers.

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{
    ClientChannel, ClientResponse, ClientsAndLocks, ConsumerOffsets, ConsumerRegistration,
    HostError, Outcome, Response, ResponseCode, SubscriptionGroup, TopicConfig,
};

use crate::broker_config::{parse_properties, BLACK_LIST_REMARK};
use crate::AdminPlugin;

fn started() -> (FakeHost, AdminPlugin) {
    let fake = FakeHost::new();
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

fn assert_answer(response: &Response, code: ResponseCode, remark: Option<&str>) {
    assert_eq!((response.code, response.remark.as_deref()), (code, remark));
}

fn pairs(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ------------------------------------------------- GET/UPDATE_BROKER_CONFIG

#[test]
fn get_broker_config_answers_sorted_properties_and_the_version_header() {
    let (fake, plugin) = started();
    fake.set_config("flushIntervalCommitLog", "500");
    fake.set_config("brokerName", "broker-a");
    fake.state().config_version = 3;
    let response = call(&plugin, 26, &[]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        "brokerName=broker-a\nflushIntervalCommitLog=500\n"
    );
    assert_eq!(
        response.ext_fields.get("version"),
        Some(r#"{"counter":3,"stateVersion":0,"timestamp":0}"#)
    );
}

#[test]
fn update_broker_config_applies_the_properties_body() {
    let (fake, plugin) = started();
    let body = "# from mqadmin\nflushIntervalCommitLog=900\nuseServerSideResetOffset : false\n";
    let response = respond(RequestBuilder::new(25).body(body).run(&plugin));
    assert_answer(&response, ResponseCode::SUCCESS, None);
    let state = fake.state();
    assert_eq!(
        state.config_updates,
        vec![pairs(&[
            ("flushIntervalCommitLog", "900"),
            ("useServerSideResetOffset", "false")
        ])]
    );
    assert_eq!(state.config_version, 1);
}

#[test]
fn update_broker_config_without_a_body_changes_nothing() {
    let (fake, plugin) = started();
    let response = call(&plugin, 25, &[]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert!(fake.state().config_updates.is_empty());
}

#[test]
fn blacklisted_keys_are_refused_with_no_permission() {
    let (fake, plugin) = started();
    for key in ["brokerConfigPath", "rocketmqHome", "configBlackList"] {
        let body = format!("flushIntervalCommitLog=900\n{key}=/tmp/x\n");
        let response = respond(RequestBuilder::new(25).body(body).run(&plugin));
        assert_answer(
            &response,
            ResponseCode::NO_PERMISSION,
            Some(BLACK_LIST_REMARK),
        );
    }
    // The broker's own configBlackList adds keys.
    fake.set_config(
        "configBlackList",
        "configBlackList;brokerConfigPath;listenPort",
    );
    let response = respond(RequestBuilder::new(25).body("listenPort=1").run(&plugin));
    assert_answer(
        &response,
        ResponseCode::NO_PERMISSION,
        Some(BLACK_LIST_REMARK),
    );
    assert!(fake.state().config_updates.is_empty());
}

#[test]
fn a_value_the_host_refuses_is_invalid_parameter() {
    let (fake, plugin) = started();
    fake.state().refuse_config_update = Some("listenPort: expected u16".to_owned());
    let response = respond(RequestBuilder::new(25).body("listenPort=x").run(&plugin));
    assert_answer(
        &response,
        ResponseCode::INVALID_PARAMETER,
        Some("listenPort: expected u16"),
    );
}

#[test]
fn an_older_broker_lacks_the_config_capability() {
    let (fake, plugin) = started();
    fake.state().abi_version = Some("1.1.0".to_owned());
    let response = call(&plugin, 26, &[]);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    let remark = response.remark.unwrap_or_default();
    assert!(remark.contains("broker_admin"), "{remark}");
}

#[test]
fn properties_parse_like_java_util_properties() {
    let text = "! comment\n  a = 1\nb:2\nc 3\nd\\\n   continued\ne=x\\ty\\u0041\nf\\=g=h\n\na=last\nempty=\n";
    assert_eq!(
        parse_properties(text),
        pairs(&[
            ("a", "last"),
            ("b", "2"),
            ("c", "3"),
            ("dcontinued", ""),
            ("e", "x\tyA"),
            ("f=g", "h"),
            ("empty", ""),
        ])
    );
    assert_eq!(
        parse_properties("k=v\r\nw=x"),
        pairs(&[("k", "v"), ("w", "x")])
    );
}

// ------------------------------------------------- DELETE_SUBSCRIPTIONGROUP

#[test]
fn delete_subscription_group_removes_the_config_and_with_clean_offset_the_offsets() {
    let (fake, plugin) = started();
    fake.add_group(SubscriptionGroup::new("g1"));
    fake.add_group(SubscriptionGroup::new("g2"));
    fake.commit("127.0.0.1:1", "g1", "T", 0, 5);
    fake.commit("127.0.0.1:1", "g2", "T", 0, 7);

    let response = call(
        &plugin,
        207,
        &[("groupName", "g1"), ("cleanOffset", "true")],
    );
    assert_answer(&response, ResponseCode::SUCCESS, None);
    let response = call(&plugin, 207, &[("groupName", "g2")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);

    let state = fake.state();
    assert!(state.groups.is_empty());
    assert_eq!(
        state.offsets.keys().cloned().collect::<Vec<_>>(),
        vec![("g2".to_owned(), "T".to_owned(), 0)]
    );
}

#[test]
fn delete_subscription_group_answers_success_for_an_unknown_group_and_needs_the_name() {
    let (fake, plugin) = started();
    let response = call(&plugin, 207, &[("groupName", "nope")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert!(fake
        .log_lines()
        .iter()
        .any(|line| line.contains("nope not exist")));
    let response = call(&plugin, 207, &[]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("the custom field <groupName> is null"),
    );
}

// --------------------------------------------- GET_PRODUCER_CONNECTION_LIST

fn producer(fake: &FakeHost, group: &str, client_id: &str, connection_id: u64, version: i32) {
    let addr = format!("10.0.0.{connection_id}:5000");
    fake.register_producer(
        group,
        &ClientChannel {
            client_id,
            connection_id,
            remote_addr: &addr,
            language: LanguageCode::Java as u8,
            version,
        },
    );
}

#[test]
fn producer_connections_list_the_live_channels() {
    let (fake, plugin) = started();
    producer(&fake, "PG", "client-b", 2, 493);
    producer(&fake, "PG", "client-a", 1, 499);
    let response = call(&plugin, 204, &[("producerGroup", "PG")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"connectionSet":[{"clientAddr":"10.0.0.2:5000","clientId":"client-b","language":"JAVA","version":493},{"clientAddr":"10.0.0.1:5000","clientId":"client-a","language":"JAVA","version":499}]}"#
    );
}

#[test]
fn producer_connections_of_an_unknown_group_are_a_system_error() {
    let (_fake, plugin) = started();
    let response = call(&plugin, 204, &[("producerGroup", "PG")]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("the producer group[PG] not exist"),
    );
}

// -------------------------------------------- INVOKE_BROKER_TO_RESET_OFFSET

/// Topic `T` with 2 queues and 4 messages in each (store times
/// 1_700_000_000_001 + n in storing order), group `G`.
fn with_messages() -> (FakeHost, AdminPlugin) {
    let (fake, plugin) = started();
    let mut topic = TopicConfig::new("T");
    topic.read_queue_nums = 2;
    topic.write_queue_nums = 2;
    fake.add_topic(topic);
    fake.add_group(SubscriptionGroup::new("G"));
    for _ in 0..4 {
        for queue in 0..2 {
            fake.store_message("T", queue, b"x", "");
        }
    }
    (fake, plugin)
}

/// The store time of the message at `offset` of queue 1 (stored second).
fn time_of_queue1(offset: i64) -> i64 {
    1_700_000_000_001 + 2 * offset + 1
}

fn reset(plugin: &AdminPlugin, timestamp: i64, extra: &[(&str, &str)]) -> Response {
    let timestamp = timestamp.to_string();
    let mut fields = vec![
        ("topic", "T"),
        ("group", "G"),
        ("timestamp", timestamp.as_str()),
        ("isForce", "true"),
    ];
    fields.extend_from_slice(extra);
    call(plugin, 222, &fields)
}

#[test]
fn server_side_reset_assigns_every_queue_by_timestamp() {
    let (fake, plugin) = with_messages();
    fake.commit("c", "G", "T", 0, 4);
    fake.commit("c", "G", "T", 1, 4);
    // Queue 0's message 2 is stored at +4, queue 1's at +5.
    let response = reset(&plugin, time_of_queue1(2) - 1, &[]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:2,{"brokerName":"broker-a","queueId":1,"topic":"T"}:2}}"#
    );
    let state = fake.state();
    assert_eq!(
        state.reset_offsets.values().copied().collect::<Vec<_>>(),
        vec![2, 2]
    );
    assert_eq!(state.offsets[&("G".to_owned(), "T".to_owned(), 1)], 2);
}

#[test]
fn server_side_reset_of_one_queue_takes_the_offset_or_the_timestamp() {
    let (fake, plugin) = with_messages();
    let response = reset(&plugin, 0, &[("queueId", "1"), ("offset", "3")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:3}}"#
    );
    assert_eq!(
        fake.state()
            .reset_offsets
            .clone()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![(("T".to_owned(), "G".to_owned(), 1), 3)]
    );
    // offset -1 means "by timestamp"; a negative timestamp is the max offset.
    let response = reset(&plugin, -1, &[("queueId", "0"), ("offset", "-1")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        fake.state().reset_offsets[&("T".to_owned(), "G".to_owned(), 0)],
        4
    );
}

#[test]
fn server_side_reset_refusals_follow_java() {
    let (fake, plugin) = with_messages();
    let response = reset(&plugin, 0, &[("queueId", "0"), ("offset", "9")]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("Target offset 9 not in consume queue range [0-4]"),
    );
    let response = call(
        &plugin,
        222,
        &[
            ("topic", "Nope"),
            ("group", "G"),
            ("timestamp", "0"),
            ("isForce", "true"),
        ],
    );
    assert_answer(
        &response,
        ResponseCode::TOPIC_NOT_EXIST,
        Some("Topic Nope does not exist"),
    );
    let response = call(
        &plugin,
        222,
        &[
            ("topic", "T"),
            ("group", "Nope"),
            ("timestamp", "0"),
            ("isForce", "true"),
        ],
    );
    assert_answer(
        &response,
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        Some("Group Nope does not exist"),
    );
    let response = call(
        &plugin,
        222,
        &[("topic", "T"), ("group", "G"), ("isForce", "true")],
    );
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("the custom field <timestamp> is null"),
    );
    fake.set_config("brokerRole", "SLAVE");
    let response = reset(&plugin, 0, &[]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("Can not reset offset in slave broker"),
    );
    assert!(fake.state().reset_offsets.is_empty());
}

fn consumer(fake: &FakeHost, client_id: &str, connection_id: u64, version: i32) {
    let addr = format!("10.0.0.{connection_id}:6000");
    fake.register_consumer(
        &ConsumerRegistration {
            group: "G".to_owned(),
            consume_type: "CONSUME_PASSIVELY".to_owned(),
            message_model: "CLUSTERING".to_owned(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".to_owned(),
            ..ConsumerRegistration::default()
        },
        &ClientChannel {
            client_id,
            connection_id,
            remote_addr: &addr,
            language: LanguageCode::Java as u8,
            version,
        },
    );
}

fn client_side() -> (FakeHost, AdminPlugin) {
    let (fake, plugin) = with_messages();
    fake.set_config("useServerSideResetOffset", "false");
    fake.commit("c", "G", "T", 0, 3);
    fake.commit("c", "G", "T", 1, 1);
    (fake, plugin)
}

#[test]
fn client_side_reset_pushes_the_offsets_to_every_online_consumer() {
    let (fake, plugin) = client_side();
    consumer(&fake, "c1", 11, 499);
    consumer(&fake, "c2", 12, 499);
    // isForce=false: a queue whose consumer is before the time keeps its offset.
    let response = reset(&plugin, time_of_queue1(2) - 1, &[("isForce", "false")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    let expected = r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:2,{"brokerName":"broker-a","queueId":1,"topic":"T"}:1}}"#;
    assert_eq!(String::from_utf8_lossy(&response.body), expected);
    let state = fake.state();
    let sent: Vec<u64> = state.sent_to_clients.iter().map(|(id, _)| *id).collect();
    assert_eq!(sent, vec![11, 12]);
    let (_, push) = &state.sent_to_clients[0];
    assert_eq!(push.code, 220);
    assert_eq!(String::from_utf8_lossy(&push.body), expected);
    assert!(push
        .ext_fields
        .contains(&("group".to_owned(), "G".to_owned())));
    assert!(push
        .ext_fields
        .contains(&("timestamp".to_owned(), (time_of_queue1(2) - 1).to_string())));
    assert!(state.reset_offsets.is_empty(), "no server-side reset");
}

#[test]
fn client_side_reset_with_force_and_for_a_cpp_caller() {
    let (fake, plugin) = client_side();
    consumer(&fake, "c1", 11, 499);
    let response = respond(
        RequestBuilder::new(222)
            .field("topic", "T")
            .field("group", "G")
            .field("timestamp", time_of_queue1(2) - 1)
            .field("isForce", "true")
            .language(LanguageCode::Cpp)
            .run(&plugin),
    );
    assert_answer(&response, ResponseCode::SUCCESS, None);
    let state = fake.state();
    assert_eq!(
        String::from_utf8_lossy(&state.sent_to_clients[0].1.body),
        r#"{"offsetTable":[{"brokerName":"broker-a","offset":2,"queueId":0,"topic":"T"},{"brokerName":"broker-a","offset":2,"queueId":1,"topic":"T"}]}"#
    );
}

#[test]
fn client_side_reset_without_online_consumers_is_consumer_not_online() {
    let (_fake, plugin) = client_side();
    let response = reset(&plugin, 5, &[]);
    assert_answer(
        &response,
        ResponseCode::CONSUMER_NOT_ONLINE,
        Some("Consumer not online, so can not reset offset, Group: G Topic: T Timestamp: 5"),
    );
}

#[test]
fn client_side_reset_refusals_follow_java() {
    let (fake, plugin) = client_side();
    consumer(&fake, "old", 11, 27);
    let response = reset(&plugin, 5, &[]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("the client does not support this feature. version=V3_0_6"),
    );
    assert!(fake.state().sent_to_clients.is_empty());

    fake.state().offsets.clear();
    let response = reset(&plugin, 5, &[]);
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("THe consumer group <G> not exist"),
    );
    let response = call(
        &plugin,
        222,
        &[
            ("topic", "Nope"),
            ("group", "G"),
            ("timestamp", "0"),
            ("isForce", "true"),
        ],
    );
    assert_answer(
        &response,
        ResponseCode::TOPIC_NOT_EXIST,
        Some("[reset-offset] reset offset failed, no topic in this broker. topic=Nope"),
    );
}

#[test]
fn the_mode_follows_the_config_at_each_request() {
    let (fake, plugin) = client_side();
    consumer(&fake, "c1", 11, 499);
    assert_answer(&reset(&plugin, 0, &[]), ResponseCode::SUCCESS, None);
    assert_eq!(fake.state().sent_to_clients.len(), 1);
    fake.set_config("useServerSideResetOffset", "true");
    assert_answer(&reset(&plugin, 0, &[]), ResponseCode::SUCCESS, None);
    let state = fake.state();
    assert_eq!(state.sent_to_clients.len(), 1);
    assert_eq!(state.reset_offsets.len(), 2);
}

// ------------------------- GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY,
// ------------------------- INVOKE_BROKER_TO_GET_CONSUMER_STATUS

fn answer(code: i32, remark: Option<&str>, body: &str) -> ClientResponse {
    ClientResponse {
        code,
        remark: remark.map(str::to_owned),
        ext_fields: vec![("fromClient".to_owned(), "yes".to_owned())],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn running_info_is_asked_of_the_client_and_relayed() {
    let (fake, plugin) = with_messages();
    consumer(&fake, "c1", 11, 499);
    consumer(&fake, "c2", 12, 499);
    fake.state()
        .client_answers
        .push_back(Ok(answer(0, None, r#"{"properties":{"a":"b"}}"#)));
    let response = call(
        &plugin,
        307,
        &[
            ("consumerGroup", "G"),
            ("clientId", "c2"),
            ("jstackEnable", "false"),
        ],
    );
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(response.body, br#"{"properties":{"a":"b"}}"#);
    assert_eq!(response.ext_fields.get("fromClient"), Some("yes"));
    let state = fake.state();
    let (connection, request, timeout) = &state.invoked_clients[0];
    assert_eq!((*connection, request.code, *timeout), (12, 307, 10_000));
    assert!(request
        .ext_fields
        .contains(&("jstackEnable".to_owned(), "false".to_owned())));
}

#[test]
fn running_info_refusals_follow_java() {
    let (fake, plugin) = with_messages();
    let fields = [("consumerGroup", "G"), ("clientId", "c1")];
    assert_answer(
        &call(&plugin, 307, &fields),
        ResponseCode::SYSTEM_ERROR,
        Some("The Consumer <G> <c1> not online"),
    );
    consumer(&fake, "c1", 11, 61);
    assert_answer(
        &call(&plugin, 307, &fields),
        ResponseCode::SYSTEM_ERROR,
        Some("The Consumer <c1> Version <V3_1_7> too low to finish, please upgrade it to V3_1_8_SNAPSHOT"),
    );
    consumer(&fake, "c1", 11, 499);
    // No answer in time (the fake has none scripted).
    assert_answer(
        &call(&plugin, 307, &fields),
        ResponseCode::CONSUME_MSG_TIMEOUT,
        Some("consumer <G> <c1> Timeout: no answer from connection 11 within 10000 ms"),
    );
    fake.state().closed_connections.push(11);
    assert_answer(
        &call(&plugin, 307, &fields),
        ResponseCode::SYSTEM_ERROR,
        Some("invoke consumer <G> <c1> Exception: connection 11 is closed"),
    );
    // A client's error answer is relayed as it is.
    fake.state().closed_connections.clear();
    fake.state()
        .client_answers
        .push_back(Ok(answer(1, Some("client says no"), "")));
    assert_answer(
        &call(&plugin, 307, &fields),
        ResponseCode::SYSTEM_ERROR,
        Some("client says no"),
    );
}

#[test]
fn consume_message_directly_sends_the_stored_message_with_the_flags() {
    let (fake, plugin) = with_messages();
    consumer(&fake, "c1", 11, 499);
    let stored = fake.messages_in("T")[3].clone();
    let msg_id = format!("7F00000100002A9F{:016X}", stored.commit_log_offset);
    fake.state()
        .client_answers
        .push_back(Ok(answer(0, None, r#"{"consumeResult":"CR_SUCCESS"}"#)));
    let response = call(
        &plugin,
        309,
        &[
            ("consumerGroup", "G"),
            ("clientId", "c1"),
            ("msgId", &msg_id),
            ("topic", "T"),
            ("brokerName", "elsewhere"),
        ],
    );
    assert_answer(&response, ResponseCode::SUCCESS, None);
    let state = fake.state();
    let (_, request, _) = &state.invoked_clients[0];
    assert_eq!(request.code, 309);
    let field = |key: &str| {
        request
            .ext_fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("brokerName"), Some("broker-a"));
    assert_eq!(field("topicSysFlag"), Some("0"));
    assert_eq!(field("groupSysFlag"), Some("0"));
    assert_eq!(field("msgId"), Some(msg_id.as_str()));
    assert!(!request.body.is_empty());
    drop(state);

    let response = call(
        &plugin,
        309,
        &[("consumerGroup", "G"), ("clientId", "c1"), ("msgId", "bad")],
    );
    assert_answer(
        &response,
        ResponseCode::SYSTEM_ERROR,
        Some("the message [bad] is not in this broker"),
    );
}

#[test]
fn consumer_status_gathers_each_clients_queue_table() {
    let (fake, plugin) = with_messages();
    consumer(&fake, "c1", 11, 499);
    consumer(&fake, "c2", 12, 499);
    let table = r#"{{"brokerName":"broker-a","queueId":0,"topic":"T"}:3}"#;
    {
        let mut state = fake.state();
        state.client_answers.push_back(Ok(answer(
            0,
            None,
            &format!(r#"{{"consumerTable":{{}},"messageQueueTable":{table}}}"#),
        )));
        state
            .client_answers
            .push_back(Err(HostError::Timeout("slow".to_owned())));
    }
    let response = call(&plugin, 223, &[("topic", "T"), ("group", "G")]);
    assert_answer(&response, ResponseCode::SUCCESS, None);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        format!(r#"{{"consumerTable":{{"c1":{table}}},"messageQueueTable":{{}}}}"#)
    );
    let state = fake.state();
    let asked: Vec<(u64, i32)> = state
        .invoked_clients
        .iter()
        .map(|(id, request, _)| (*id, request.code))
        .collect();
    assert_eq!(asked, vec![(11, 221), (12, 221)]);
    drop(state);

    // One named client only.
    fake.state()
        .client_answers
        .push_back(Ok(answer(0, None, r#"{"messageQueueTable":{}}"#)));
    let response = call(
        &plugin,
        223,
        &[("topic", "T"), ("group", "G"), ("clientAddr", "c2")],
    );
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        r#"{"consumerTable":{"c2":{}},"messageQueueTable":{}}"#
    );
    assert_eq!(fake.state().invoked_clients.last().map(|c| c.0), Some(12));
}

#[test]
fn consumer_status_refusals_follow_java() {
    let (fake, plugin) = with_messages();
    assert_answer(
        &call(&plugin, 223, &[("topic", "T"), ("group", "G")]),
        ResponseCode::SYSTEM_ERROR,
        Some("No Any Consumer online in the consumer group: [G]"),
    );
    consumer(&fake, "old", 11, 27);
    assert_answer(
        &call(&plugin, 223, &[("topic", "T"), ("group", "G")]),
        ResponseCode::SYSTEM_ERROR,
        Some("the client does not support this feature. version=V3_0_6"),
    );
}
