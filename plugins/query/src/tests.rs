//! Unit tests against the in-memory host: QUERY_MESSAGE and
//! VIEW_MESSAGE_BY_ID, their answers and refusals.

use plugin_api::sdk::message::{decode_records, encode_properties, properties};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder, StoredMessage};

use super::*;

const TOPIC: &str = "TopicQuery";

fn start(fake: &FakeHost) -> QueryPlugin {
    fake.start::<QueryPlugin>("")
        .expect("the query plugin starts")
}

fn respond(request: &RequestBuilder, plugin: &QueryPlugin) -> Response {
    match request.run(plugin) {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// Stores a message of [`TOPIC`] with these KEYS and UNIQ_KEY; returns it as stored.
fn store(fake: &FakeHost, body: &str, keys: &str, unique: &str) -> StoredMessage {
    let props = encode_properties([(properties::KEYS, keys), (properties::UNIQ_KEY, unique)]);
    fake.store_message(TOPIC, 0, body.as_bytes(), &props);
    fake.messages_in(TOPIC).pop().expect("just stored")
}

fn query(key: &str, max_num: i32) -> RequestBuilder {
    RequestBuilder::new(request_code::QUERY_MESSAGE)
        .field("topic", TOPIC)
        .field("key", key)
        .field("maxNum", max_num)
        .field("beginTimestamp", 0)
        .field("endTimestamp", i64::MAX)
}

fn bodies(response: &Response) -> Vec<String> {
    decode_records(&response.body)
        .into_iter()
        .map(|record| String::from_utf8(record.body).expect("utf-8 body"))
        .collect()
}

fn assert_not_found(response: &Response) {
    assert_eq!(response.code, ResponseCode::QUERY_NOT_FOUND);
    assert_eq!(
        response.remark.as_deref(),
        Some("can not find message, maybe time range not correct")
    );
    let fields: Vec<(&str, &str)> = response.ext_fields.iter().collect();
    assert_eq!(
        fields,
        vec![
            ("indexLastUpdateTimestamp", "0"),
            ("indexLastUpdatePhyoffset", "0"),
        ]
    );
    assert!(response.body.is_empty());
}

#[test]
fn starts_without_settings_and_refuses_any() {
    let fake = FakeHost::new();
    assert!(fake.start::<QueryPlugin>("").is_ok());
    let refusal = fake
        .start::<QueryPlugin>(r#"{"defaultQueryMaxNum":1}"#)
        .err()
        .expect("a settings key is refused");
    assert_eq!(
        refusal,
        "invalid settings: unknown setting `defaultQueryMaxNum`"
    );
}

#[test]
fn an_unknown_code_is_not_supported() {
    let fake = FakeHost::new();
    let response = respond(&RequestBuilder::new(999), &start(&fake));
    assert_eq!(response.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 999 not supported")
    );
}

// ------------------------------------------------------ QUERY_MESSAGE (12)

#[test]
fn query_message_answers_the_records_indexed_under_the_key() {
    let fake = FakeHost::new();
    store(&fake, "first", "order-1", "U1");
    store(&fake, "other", "order-2", "U2");
    let last = store(&fake, "second", "order-0 order-1", "U3");
    let response = respond(&query("order-1", 32), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark, None);
    assert_eq!(bodies(&response), vec!["first", "second"]);
    let fields: Vec<(String, String)> = response
        .ext_fields
        .iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (
                "indexLastUpdateTimestamp".to_owned(),
                last.store_timestamp.to_string()
            ),
            (
                "indexLastUpdatePhyoffset".to_owned(),
                last.commit_log_offset.to_string()
            ),
        ]
    );
}

#[test]
fn query_message_looks_only_within_the_time_window() {
    let fake = FakeHost::new();
    let first = store(&fake, "first", "k", "U1");
    store(&fake, "second", "k", "U2");
    let request = query("k", 32).field("beginTimestamp", first.store_timestamp + 1);
    let response = respond(&request, &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["second"]);
}

#[test]
fn a_missed_query_is_not_found_with_zero_index_fields() {
    let fake = FakeHost::new();
    store(&fake, "first", "k", "U1");
    assert_not_found(&respond(&query("absent", 32), &start(&fake)));
}

#[test]
fn max_num_zero_or_less_finds_nothing() {
    let fake = FakeHost::new();
    store(&fake, "first", "k", "U1");
    let plugin = start(&fake);
    assert_not_found(&respond(&query("k", 0), &plugin));
    assert_not_found(&respond(&query("k", -3), &plugin));
}

#[test]
fn max_num_is_capped_by_max_msgs_num_batch() {
    let fake = FakeHost::new();
    for body in ["m0", "m1", "m2"] {
        store(&fake, body, "k", body);
    }
    assert_eq!(
        bodies(&respond(&query("k", 2), &start(&fake))),
        vec!["m0", "m1"]
    );

    fake.set_config("maxMsgsNumBatch", "1");
    let response = respond(&query("k", 32), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(bodies(&response), vec!["m0"]);
}

#[test]
fn a_unique_key_query_uses_default_query_max_num() {
    let fake = FakeHost::new();
    fake.set_config("defaultQueryMaxNum", "1");
    // A resent message is stored twice under the same UNIQ_KEY.
    store(&fake, "sent", "", "7F0000010001");
    store(&fake, "resent", "", "7F0000010001");
    let plugin = start(&fake);
    let unique = query("7F0000010001", 32).field("_UNIQUE_KEY_QUERY", "true");
    assert_eq!(bodies(&respond(&unique, &plugin)), vec!["sent"]);
    // Only the exact text `true` marks the query (Java's `equals("true")`).
    let not_unique = query("7F0000010001", 32).field("_UNIQUE_KEY_QUERY", "TRUE");
    assert_eq!(
        bodies(&respond(&not_unique, &plugin)),
        vec!["sent", "resent"]
    );
    // A unique-key query with maxNum 0 still looks, with the default.
    let zero = query("7F0000010001", 0).field("_UNIQUE_KEY_QUERY", "true");
    assert_eq!(bodies(&respond(&zero, &plugin)), vec!["sent"]);
}

#[test]
fn query_message_needs_every_header_field() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let no_key = RequestBuilder::new(request_code::QUERY_MESSAGE)
        .field("topic", TOPIC)
        .field("maxNum", 32)
        .field("beginTimestamp", 0)
        .field("endTimestamp", 1);
    let response = respond(&no_key, &plugin);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <key> is null")
    );
    let bad_end = query("k", 32).field("endTimestamp", "soon");
    let response = respond(&bad_end, &plugin);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <endTimestamp> has an invalid long value: \"soon\"")
    );
}

// ------------------------------------------------- VIEW_MESSAGE_BY_ID (33)

fn view(offset: impl ToString) -> RequestBuilder {
    RequestBuilder::new(request_code::VIEW_MESSAGE_BY_ID).field("offset", offset)
}

#[test]
fn view_message_by_id_answers_the_record_at_the_commit_log_offset() {
    let fake = FakeHost::new();
    store(&fake, "first", "k", "U1");
    let second = store(&fake, "second", "k", "U2");
    let response = respond(&view(second.commit_log_offset), &start(&fake));
    assert_eq!(response.code, ResponseCode::SUCCESS);
    assert_eq!(response.remark, None);
    assert!(response.ext_fields.is_empty());
    assert_eq!(response.body, second.record);
    assert_eq!(bodies(&response), vec!["second"]);
}

#[test]
fn view_message_by_id_of_no_record_is_a_system_error() {
    let fake = FakeHost::new();
    store(&fake, "first", "k", "U1");
    let response = respond(&view(12_345), &start(&fake));
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("can not find message by the offset, 12345")
    );
    assert!(response.body.is_empty());
}

#[test]
fn view_message_by_id_needs_a_numeric_offset() {
    let fake = FakeHost::new();
    let plugin = start(&fake);
    let response = respond(
        &RequestBuilder::new(request_code::VIEW_MESSAGE_BY_ID),
        &plugin,
    );
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <offset> is null")
    );
    let response = respond(&view("0x10"), &plugin);
    assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <offset> has an invalid long value: \"0x10\"")
    );
}
