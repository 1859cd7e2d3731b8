//! Unit tests over the SDK's in-memory host: one module per request code or
//! concern, sharing the request builders below.

mod batch;
mod retry_and_dlq;
mod schedule;
mod send_back;
mod send_message;
mod startup;
mod store_status;

use plugin_api::sdk::message::{encode_properties, find_property, iter_properties};
use plugin_api::sdk::testing::{FakeHost, RequestBuilder, StoredMessage};
use plugin_api::sdk::{Outcome, Response};

use crate::SendPlugin;

/// The producer's timestamp every test request carries.
pub(crate) const BORN: i64 = 1_700_000_000_123;

/// The properties of a plain send: tag, key, a fixed UNIQ_KEY, WAIT.
pub(crate) const PLAIN: [(&str, &str); 4] = [
    ("TAGS", "TagA"),
    ("KEYS", "k1"),
    ("UNIQ_KEY", "7F00000100002A9F0000000000000001"),
    ("WAIT", "true"),
];

/// A fake broker with the send plugin started on it.
pub(crate) fn started() -> (FakeHost, SendPlugin) {
    let fake = FakeHost::new();
    let plugin = fake
        .start::<SendPlugin>("")
        .expect("the send plugin starts");
    (fake, plugin)
}

/// The send plugin started on `fake` as it is now.
pub(crate) fn start_on(fake: &FakeHost) -> SendPlugin {
    fake.start::<SendPlugin>("")
        .expect("the send plugin starts")
}

/// SEND_MESSAGE_V2 (310) of `b"hello"` to `topic`/`queue` with these
/// properties, in the one-letter field names of `SendMessageRequestHeaderV2`.
pub(crate) fn send_v2(topic: &str, queue: i32, properties: &[(&str, &str)]) -> RequestBuilder {
    send_coded(310, topic, queue, properties)
}

/// [`send_v2`] under another request code (320 for a batch).
pub(crate) fn send_coded(
    code: i32,
    topic: &str,
    queue: i32,
    properties: &[(&str, &str)],
) -> RequestBuilder {
    RequestBuilder::new(code)
        .field("a", "pg")
        .field("b", topic)
        .field("c", "TBW102")
        .field("d", 4)
        .field("e", queue)
        .field("f", 0)
        .field("g", BORN)
        .field("h", 0)
        .field("i", encode_properties(properties.iter().copied()))
        .field("j", 0)
        .field("k", false)
        .body(&b"hello"[..])
}

/// The response of an outcome that must be one.
pub(crate) fn response(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The response to `request`.
pub(crate) fn answer(plugin: &SendPlugin, request: &RequestBuilder) -> Response {
    response(request.run(plugin))
}

/// The properties of a stored message, in stored order.
pub(crate) fn properties_of(message: &StoredMessage) -> Vec<(String, String)> {
    iter_properties(&message.properties)
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// One property of a stored message.
pub(crate) fn property<'m>(message: &'m StoredMessage, name: &str) -> Option<&'m str> {
    find_property(&message.properties, name)
}

/// `(name, value)` pairs as owned strings, for comparing with [`properties_of`].
pub(crate) fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}
