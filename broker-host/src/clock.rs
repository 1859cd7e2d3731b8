//! Wall-clock time for the whole host: one `now_millis` for the store,
//! the metadata managers and the delivery services.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before it), as
/// Java's `System.currentTimeMillis()`.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
