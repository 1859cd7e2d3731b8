//! Helpers over the stock third-party client, `rocketmq-client-rust` 1.0.0
//! (the rocketmq-rust project), used unmodified and pointed at the broker's
//! own address as its name server (the broker answers
//! GET_ROUTEINFO_BY_TOPIC itself).
//!
//! Tests are plain `#[test]` functions: each makes a [`StockRuntime`] (the
//! client never creates a runtime of its own; it runs on the one it is
//! handed) and drives the async client through [`StockRuntime::block_on`].
//! Every wait here is a readiness wait with a generous deadline, never a
//! timing assertion.
//!
//! One file per concern: `broker` (which plugins, restarts), `runtime`
//! (the client's runtime, readiness waits), `producer`, `consumer`, and
//! `wire_tap` (a recording relay).

mod broker;
mod consumer;
mod producer;
mod runtime;
mod wire_tap;

pub use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
pub use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

pub use broker::{full_broker, respawn_broker, restart_broker};
pub use consumer::{
    start_consumer, start_labeled_consumer, Collector, ConsumerSpec, FailFirst, Received, SharedLog,
};
pub use producer::{
    numbered_index, numbered_message, send_all, send_one, send_to_queue_id, start_producer,
    Outgoing, TAGS,
};
pub use runtime::{runtime_config, wait_for, StockRuntime};
pub use wire_tap::{Direction, WireTap};
