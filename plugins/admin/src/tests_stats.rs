//! The stats and clean-up codes (300, 315, 317, 45, 306, 316) on the test
//! kit's in-memory host.

use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
use plugin_api::sdk::{
    ConsumerGroupInfo, ConsumerOffsets, StatsItemData, StatsWindow, Subscription, SubscriptionGroup,
};

use super::*;

fn started() -> (FakeHost, AdminPlugin) {
    let fake = FakeHost::new();
    let plugin = fake.start::<AdminPlugin>("").expect("starts");
    (fake, plugin)
}

fn call(plugin: &AdminPlugin, code: i32, fields: &[(&str, &str)]) -> Response {
    let mut request = RequestBuilder::new(code);
    for (key, value) in fields {
        request = request.field(key, value);
    }
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
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

fn window(sum: i64, tps: f64, avgpt: f64) -> StatsWindow {
    StatsWindow { sum, tps, avgpt }
}

fn online(fake: &FakeHost, group: &str, topics: &[&str]) {
    fake.state().consumers.insert(
        group.into(),
        ConsumerGroupInfo {
            group: group.into(),
            consume_type: "CONSUME_PASSIVELY".into(),
            message_model: "CLUSTERING".into(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".into(),
            subscriptions: topics
                .iter()
                .map(|topic| Subscription {
                    topic: (*topic).into(),
                    sub_string: "*".into(),
                    expression_type: "TAG".into(),
                    tags: Vec::new(),
                    codes: Vec::new(),
                    sub_version: 1,
                })
                .collect(),
            client_ids: vec!["c@1".into()],
        },
    );
}

fn topic(fake: &FakeHost, name: &str, queues: i32, order: bool) {
    let mut config = TopicConfig::new(name);
    config.read_queue_nums = queues;
    config.write_queue_nums = queues;
    config.order = order;
    fake.add_topic(config);
}

// --- VIEW_BROKER_STATS_DATA (315) ---

#[test]
fn stats_data_answers_the_three_windows_in_fastjson_order() {
    let (fake, plugin) = started();
    fake.state().stats_items.insert(
        ("TOPIC_PUT_NUMS".into(), "Orders".into()),
        StatsItemData {
            minute: window(12, 0.2, 1.5),
            hour: window(300, 0.5, 1.0),
            day: window(0, 0.0, 0.0),
        },
    );
    let response = call(
        &plugin,
        request_code::VIEW_BROKER_STATS_DATA,
        &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", "Orders")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        text(&response),
        r#"{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":1.0,"sum":300,"tps":0.5},"statsMinute":{"avgpt":1.5,"sum":12,"tps":0.2}}"#
    );
}

#[test]
fn stats_data_for_an_item_never_counted_is_java_s_error() {
    let (_fake, plugin) = started();
    let response = call(
        &plugin,
        request_code::VIEW_BROKER_STATS_DATA,
        &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", "Nope")],
    );
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "The stats <TOPIC_PUT_NUMS> <Nope> not exist",
    );
}

#[test]
fn stats_data_needs_both_header_fields() {
    let (_fake, plugin) = started();
    let response = call(
        &plugin,
        request_code::VIEW_BROKER_STATS_DATA,
        &[("statsName", "TOPIC_PUT_NUMS")],
    );
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <statsKey> is null",
    );
}

#[test]
fn stats_codes_on_an_older_broker_name_the_missing_capability() {
    let (fake, plugin) = started();
    fake.state().abi_version = Some("1.1.0".into());
    let response = call(
        &plugin,
        request_code::VIEW_BROKER_STATS_DATA,
        &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", "T")],
    );
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    let remark = response.remark.unwrap_or_default();
    assert!(remark.contains("`operations`"), "{remark}");
    assert!(remark.contains("1.2.0"), "{remark}");
}

// --- QUERY_TOPIC_CONSUME_BY_WHO (300) ---

#[test]
fn consume_by_who_lists_online_subscribers_and_groups_with_offsets() {
    let (fake, plugin) = started();
    topic(&fake, "Orders", 2, false);
    online(&fake, "live", &["Orders"]);
    online(&fake, "elsewhere", &["Other"]);
    fake.commit("127.0.0.1", "offline", "Orders", 0, 3);
    fake.commit("127.0.0.1", "other", "Other", 0, 3);
    let response = call(
        &plugin,
        request_code::QUERY_TOPIC_CONSUME_BY_WHO,
        &[("topic", "Orders")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), r#"{"groupList":["live","offline"]}"#);
}

#[test]
fn consume_by_who_of_a_topic_nobody_consumes_is_an_empty_list() {
    let (_fake, plugin) = started();
    let response = call(
        &plugin,
        request_code::QUERY_TOPIC_CONSUME_BY_WHO,
        &[("topic", "Nope")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), r#"{"groupList":[]}"#);
}

#[test]
fn consume_by_who_needs_the_topic() {
    let (_fake, plugin) = started();
    let response = call(&plugin, request_code::QUERY_TOPIC_CONSUME_BY_WHO, &[]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <topic> is null",
    );
}

// --- GET_BROKER_CONSUME_STATS (317) ---

#[test]
fn broker_consume_stats_reports_every_group_with_its_lag() {
    let (fake, plugin) = started();
    topic(&fake, "Orders", 2, false);
    topic(&fake, "Fifo", 1, true);
    for _ in 0..5 {
        fake.store_message("Orders", 0, b"m", "");
    }
    fake.store_message("Orders", 1, b"m", "");
    fake.store_message("Fifo", 0, b"m", "");
    fake.add_group(SubscriptionGroup::new("g"));
    fake.add_group(SubscriptionGroup::new("idle"));
    fake.commit("127.0.0.1", "g", "Orders", 0, 2);
    fake.commit("127.0.0.1", "g", "Fifo", 0, 1);
    // A topic whose config is gone is left out.
    fake.commit("127.0.0.1", "g", "Deleted", 0, 1);
    fake.state().stats_items.insert(
        ("GROUP_GET_NUMS".into(), "Orders@g".into()),
        StatsItemData {
            minute: window(6, 0.1, 3.0),
            ..StatsItemData::default()
        },
    );
    let stored_at = fake.state().messages[1].store_timestamp;

    let response = call(
        &plugin,
        request_code::GET_BROKER_CONSUME_STATS,
        &[("isOrder", "false"), ("timeoutMillis", "3000")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    // Lag: Orders 5-2 + 1-0, Fifo 1-1 = 4; in flight: -(2 + 1).
    assert_eq!(
        text(&response),
        format!(
            concat!(
                r#"{{"brokerAddr":"127.0.0.1:10911","consumeStatsList":[{{"g":["#,
                r#"{{"consumeTps":0.0,"offsetTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"Fifo"}}:{{"brokerOffset":1,"consumerOffset":1,"lastTimestamp":{fifo},"pullOffset":0}}}}}},"#,
                r#"{{"consumeTps":0.1,"offsetTable":{{{{"brokerName":"broker-a","queueId":0,"topic":"Orders"}}:{{"brokerOffset":5,"consumerOffset":2,"lastTimestamp":{orders},"pullOffset":0}},"#,
                r#"{{"brokerName":"broker-a","queueId":1,"topic":"Orders"}}:{{"brokerOffset":1,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}}}}}}"#,
                r#"]}},{{"idle":[]}}],"totalDiff":4,"totalInflightDiff":-3}}"#
            ),
            fifo = fake.state().messages[6].store_timestamp,
            orders = stored_at,
        )
    );
}

#[test]
fn broker_consume_stats_with_is_order_counts_order_topics_only() {
    let (fake, plugin) = started();
    topic(&fake, "Orders", 1, false);
    topic(&fake, "Fifo", 1, true);
    fake.store_message("Orders", 0, b"m", "");
    fake.store_message("Fifo", 0, b"m", "");
    fake.add_group(SubscriptionGroup::new("g"));
    fake.commit("127.0.0.1", "g", "Orders", 0, 0);
    fake.commit("127.0.0.1", "g", "Fifo", 0, 0);
    let response = call(
        &plugin,
        request_code::GET_BROKER_CONSUME_STATS,
        &[("isOrder", "true")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    let body = text(&response);
    assert!(body.contains(r#""topic":"Fifo""#), "{body}");
    assert!(!body.contains(r#""topic":"Orders""#), "{body}");
    assert!(
        body.ends_with(r#""totalDiff":1,"totalInflightDiff":0}"#),
        "{body}"
    );
}

#[test]
fn broker_consume_stats_skips_topics_an_online_group_does_not_subscribe() {
    let (fake, plugin) = started();
    topic(&fake, "Orders", 1, false);
    topic(&fake, "Old", 1, false);
    fake.add_group(SubscriptionGroup::new("g"));
    fake.commit("127.0.0.1", "g", "Orders", 0, 0);
    fake.commit("127.0.0.1", "g", "Old", 0, 0);
    online(&fake, "g", &["Orders"]);
    let response = call(
        &plugin,
        request_code::GET_BROKER_CONSUME_STATS,
        &[("isOrder", "false")],
    );
    let body = text(&response);
    assert!(body.contains(r#""topic":"Orders""#), "{body}");
    assert!(!body.contains(r#""topic":"Old""#), "{body}");
}

#[test]
fn broker_consume_stats_needs_is_order() {
    let (_fake, plugin) = started();
    let response = call(&plugin, request_code::GET_BROKER_CONSUME_STATS, &[]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <isOrder> is null",
    );
    // Java's `Boolean.parseBoolean`: anything but `true` is false.
    let response = call(
        &plugin,
        request_code::GET_BROKER_CONSUME_STATS,
        &[("isOrder", "maybe")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
}

// --- GET_ALL_DELAY_OFFSET (45) ---

#[test]
fn all_delay_offset_answers_the_delay_offset_file() {
    let (fake, plugin) = started();
    let json = r#"{"dataVersion":{"counter":2,"stateVersion":0,"timestamp":1700000000000},"offsetTable":{1:4,3:1}}"#;
    fake.state().delay_offsets_json = json.into();
    let response = call(&plugin, request_code::GET_ALL_DELAY_OFFSET, &[]);
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(text(&response), json);
}

#[test]
fn all_delay_offset_without_any_is_java_s_error() {
    let (_fake, plugin) = started();
    let response = call(&plugin, request_code::GET_ALL_DELAY_OFFSET, &[]);
    assert_error(
        &response,
        ResponseCode::SYSTEM_ERROR,
        "No delay offset in this broker",
    );
}

// --- CLEAN_EXPIRED_CONSUMEQUEUE (306), CLEAN_UNUSED_TOPIC (316) ---

#[test]
fn the_clean_ups_ask_the_store_and_answer_success() {
    let (fake, plugin) = started();
    fake.state().cleanup_result = Some(Ok(3));
    let response = call(&plugin, request_code::CLEAN_EXPIRED_CONSUMEQUEUE, &[]);
    assert_eq!(
        (response.code, response.remark),
        (ResponseCode::SUCCESS, None)
    );
    let response = call(&plugin, request_code::CLEAN_UNUSED_TOPIC, &[]);
    assert_eq!(
        (response.code, response.remark),
        (ResponseCode::SUCCESS, None)
    );
    assert_eq!(
        fake.state().cleanups,
        vec!["clean_expired_consume_queues", "clean_unused_topics"]
    );
    assert!(fake
        .log_lines()
        .iter()
        .any(|line| line.contains("3 consume queues destroyed")));
}

#[test]
fn a_failed_clean_up_answers_system_error_with_its_message() {
    let (fake, plugin) = started();
    fake.state().cleanup_result = Some(Err("disk gone".into()));
    let response = call(&plugin, request_code::CLEAN_EXPIRED_CONSUMEQUEUE, &[]);
    assert_error(&response, ResponseCode::SYSTEM_ERROR, "disk gone");
    let response = call(&plugin, request_code::CLEAN_UNUSED_TOPIC, &[]);
    assert_error(&response, ResponseCode::SYSTEM_ERROR, "disk gone");
}

// --- TPS in GET_TOPIC_STATS_INFO (202) and GET_CONSUME_STATS (208) ---

#[test]
fn topic_stats_and_consume_stats_report_the_minute_tps() {
    let (fake, plugin) = started();
    topic(&fake, "Orders", 1, false);
    fake.commit("127.0.0.1", "g", "Orders", 0, 0);
    {
        let mut state = fake.state();
        state.stats_items.insert(
            ("TOPIC_PUT_NUMS".into(), "Orders".into()),
            StatsItemData {
                minute: window(30, 0.5, 1.0),
                ..StatsItemData::default()
            },
        );
        state.stats_items.insert(
            ("GROUP_GET_NUMS".into(), "Orders@g".into()),
            StatsItemData {
                minute: window(15, 0.25, 3.0),
                ..StatsItemData::default()
            },
        );
    }
    let stats = call(
        &plugin,
        request_code::GET_TOPIC_STATS_INFO,
        &[("topic", "Orders")],
    );
    assert!(
        text(&stats).ends_with(r#""topicPutTps":0.5}"#),
        "{}",
        text(&stats)
    );
    let consume = call(
        &plugin,
        request_code::GET_CONSUME_STATS,
        &[("consumerGroup", "g")],
    );
    assert!(
        text(&consume).starts_with(r#"{"consumeTps":0.25,"#),
        "{}",
        text(&consume)
    );
    // Nothing counted: 0.0, as Java's empty snapshot.
    fake.state().stats_items.clear();
    let stats = call(
        &plugin,
        request_code::GET_TOPIC_STATS_INFO,
        &[("topic", "Orders")],
    );
    assert!(
        text(&stats).ends_with(r#""topicPutTps":0.0}"#),
        "{}",
        text(&stats)
    );
}

// --- QUERY_TOPICS_BY_CONSUMER (343) ---

#[test]
fn topics_by_consumer_lists_the_group_s_offset_topics_with_the_broker() {
    let (fake, plugin) = started();
    fake.commit("127.0.0.1", "g", "Orders", 0, 1);
    fake.commit("127.0.0.1", "g", "%RETRY%g", 0, 0);
    fake.commit("127.0.0.1", "other", "Else", 0, 0);
    let response = call(
        &plugin,
        request_code::QUERY_TOPICS_BY_CONSUMER,
        &[("group", "g")],
    );
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(
        text(&response),
        r#"{"brokerAddr":"127.0.0.1:10911","topicList":["%RETRY%g","Orders"]}"#
    );
    let none = call(
        &plugin,
        request_code::QUERY_TOPICS_BY_CONSUMER,
        &[("group", "nobody")],
    );
    assert_eq!(
        text(&none),
        r#"{"brokerAddr":"127.0.0.1:10911","topicList":[]}"#
    );
    let missing = call(&plugin, request_code::QUERY_TOPICS_BY_CONSUMER, &[]);
    assert_error(
        &missing,
        ResponseCode::SYSTEM_ERROR,
        "the custom field <group> is null",
    );
}
