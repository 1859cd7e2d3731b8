//! The wall clock, in the unit RocketMQ stores everywhere.

/// Milliseconds since the Unix epoch (Java's `System.currentTimeMillis`).
/// One clock for the host and the plugins: `plugin_api::message::now_millis`.
pub fn now_millis() -> i64 {
    plugin_api::message::now_millis()
}
