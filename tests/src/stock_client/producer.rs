//! Producer helpers: starting one, a deterministic message series, sends.

use std::net::SocketAddr;

use rocketmq_client_rust::{DefaultMQProducer, SendResult};
use rocketmq_model::common::message::message_single::Message;

use super::StockRuntime;

/// Starts a producer in `group` with `name_server` (the broker's address).
pub async fn start_producer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    group: &str,
) -> DefaultMQProducer {
    let mut producer = DefaultMQProducer::builder(rt.client_runtime())
        .producer_group(group)
        .name_server_addr(name_server.to_string())
        // Generous for a debug-build broker; a timed-out try would be retried
        // and could store a duplicate.
        .send_msg_timeout(15_000)
        .build();
    producer.start().await.expect("start producer");
    producer
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The single key (`KEYS` property).
    pub key: String,
    /// The tag.
    pub tag: String,
    /// The body.
    pub body: Vec<u8>,
}

/// The tags [`numbered_message`] cycles through.
pub const TAGS: [&str; 3] = ["TagA", "TagB", "TagC"];

/// Message `i` of a deterministic series: key `key-000042`, tag
/// `TAGS[i % 3]`, and a body whose size varies from 1 byte to 64 KiB
/// (every 97th is exactly 64 KiB; every 13th is 4–16 KiB, above the client's
/// 4 KiB compression threshold; odd large bodies compress well, even ones
/// do not). [`numbered_index`] inverts the key.
pub fn numbered_message(i: usize) -> Outgoing {
    let size = if i.is_multiple_of(97) {
        64 * 1024
    } else if i.is_multiple_of(13) {
        4096 + (i * 7919) % 12_288
    } else {
        1 + (i * 37) % 1024
    };
    let mut body = Vec::with_capacity(size);
    let mut state = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    while body.len() < size {
        if i % 2 == 1 {
            body.extend_from_slice(format!("message {i} line {} ", body.len()).as_bytes());
        } else {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            body.extend_from_slice(&state.to_le_bytes());
        }
    }
    body.truncate(size);
    Outgoing {
        key: format!("key-{i:06}"),
        tag: TAGS[i % TAGS.len()].to_owned(),
        body,
    }
}

/// The index in a key made by [`numbered_message`].
pub fn numbered_index(key: &str) -> Option<usize> {
    key.strip_prefix("key-")?.parse().ok()
}

/// Sends every message synchronously (each send awaits its result), with
/// `in_flight` sends outstanding at once; results in input order.
pub async fn send_all(
    producer: &DefaultMQProducer,
    topic: &str,
    messages: &[Outgoing],
    in_flight: usize,
) -> Vec<SendResult> {
    let lanes = in_flight.max(1);
    let lane_results = futures::future::join_all((0..lanes).map(|lane| async move {
        let mut results = Vec::new();
        for index in (lane..messages.len()).step_by(lanes) {
            results.push((index, send_one(producer, topic, &messages[index]).await));
        }
        results
    }))
    .await;
    let mut all: Vec<(usize, SendResult)> = lane_results.into_iter().flatten().collect();
    all.sort_by_key(|(index, _)| *index);
    all.into_iter().map(|(_, result)| result).collect()
}

/// Sends one message synchronously; panics on a failed send.
pub async fn send_one(producer: &DefaultMQProducer, topic: &str, message: &Outgoing) -> SendResult {
    let built = Message::builder()
        .topic(topic)
        .tags(message.tag.as_str())
        .key(message.key.as_str())
        .body(message.body.clone())
        .build()
        .expect("valid message");
    producer
        .send(built)
        .await
        .unwrap_or_else(|error| panic!("send of {} failed: {error}", message.key))
        .unwrap_or_else(|| panic!("sync send of {} returned no SendResult", message.key))
}

/// Sends one message to queue `queue_id` of `topic` (the producer's queue
/// selector picks it from the route); panics on a failed send.
pub async fn send_to_queue_id(
    producer: &DefaultMQProducer,
    topic: &str,
    message: &Outgoing,
    queue_id: i32,
) -> SendResult {
    let built = Message::builder()
        .topic(topic)
        .tags(message.tag.as_str())
        .key(message.key.as_str())
        .body(message.body.clone())
        .build()
        .expect("valid message");
    producer
        .send_with_selector(
            built,
            |queues: &[rocketmq_model::common::message::message_queue::MessageQueue],
             _: &Message,
             id: &i32| { queues.iter().find(|q| q.queue_id() == *id).cloned() },
            queue_id,
        )
        .await
        .unwrap_or_else(|error| panic!("send of {} failed: {error}", message.key))
        .unwrap_or_else(|| panic!("sync send of {} returned no SendResult", message.key))
}
