//! Delayed and timer messages: the destination rewriting of Java's
//! `HookUtils.handleScheduleMessage` (a DELAY level parks the message in
//! SCHEDULE_TOPIC_XXXX) and `HookUtils.transformTimerMessage` (a delivery
//! time parks it in `rmq_sys_wheel_timer`). The host's schedule and timer
//! services deliver them to the real topic when due.

use std::borrow::Cow;

use plugin_api::sdk::message::{properties as prop, Properties};
use plugin_api::sdk::{topics, ProcessError, ResponseCode};

use crate::SendPlugin;

/// The timer properties a producer sets, any one of which makes a timer message.
const TIMER_PROPERTIES: [&str; 3] = [
    prop::TIMER_DELIVER_MS,
    prop::TIMER_DELAY_SEC,
    prop::TIMER_DELAY_MS,
];

impl SendPlugin {
    /// 5.x timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC /
    /// TIMER_DELAY_MS), as Java's `HookUtils.transformTimerMessage` handles
    /// them: a delay level wins and the timer properties are dropped;
    /// otherwise a delivery time in the future parks the message in
    /// `rmq_sys_wheel_timer` queue 0 (TIMER_OUT_MS, REAL_TOPIC, REAL_QID) for
    /// the host's timer service, and one now or past is stored as it is.
    pub(crate) fn apply_timer<'t>(
        &self,
        properties: &mut Properties<'t>,
        topic: Cow<'t, str>,
        queue_id: i32,
    ) -> Result<(Cow<'t, str>, i32), ProcessError> {
        if delay_level(properties) > 0 {
            for name in TIMER_PROPERTIES {
                properties.remove(name);
            }
            return Ok((topic, queue_id));
        }
        if topic == topics::TIMER_TOPIC
            || properties.contains_key(prop::TIMER_OUT_MS)
            || !TIMER_PROPERTIES
                .iter()
                .any(|name| properties.contains_key(name))
        {
            return Ok((topic, queue_id));
        }
        if !self.settings.timer_wheel_enable {
            return Err(ProcessError::respond(
                ResponseCode::SYSTEM_ERROR,
                "accurate timer message is not enabled, timerWheelEnable is false",
            ));
        }
        let illegal = || {
            ProcessError::respond(
                ResponseCode::MESSAGE_ILLEGAL,
                format!(
                    "timer message illegal, the delay time should not be bigger than the max delay {}ms; or if set del msg, the delay time should be bigger than the current time",
                    self.settings.timer_max_delay_sec * 1000
                ),
            )
        };
        let number = |name: &str| properties.get(name).map(|value| value.parse::<i64>());
        let now = now_millis();
        let deliver_ms = if let Some(seconds) = number(prop::TIMER_DELAY_SEC) {
            seconds.map(|s| now.saturating_add(s.saturating_mul(1000)))
        } else if let Some(millis) = number(prop::TIMER_DELAY_MS) {
            millis.map(|ms| now.saturating_add(ms))
        } else {
            number(prop::TIMER_DELIVER_MS).unwrap_or(Ok(0))
        }
        .map_err(|_| illegal())?;
        if deliver_ms <= now {
            if properties.contains_key(prop::TIMER_DEL_UNIQKEY) {
                return Err(illegal());
            }
            return Ok((topic, queue_id));
        }
        if deliver_ms - now > self.settings.timer_max_delay_sec * 1000 {
            return Err(illegal());
        }
        let deliver_ms = round_to_precision(deliver_ms, self.settings.timer_precision_ms);
        properties.insert(prop::TIMER_OUT_MS, deliver_ms.to_string());
        properties.insert(prop::REAL_TOPIC, topic);
        properties.insert(prop::REAL_QID, queue_id.to_string());
        Ok((Cow::Borrowed(topics::TIMER_TOPIC), 0))
    }

    /// A `DELAY` level > 0 (capped at the highest configured level) parks
    /// the message in SCHEDULE_TOPIC_XXXX, queue `level - 1`, remembering
    /// the real destination in REAL_TOPIC / REAL_QID (Java's
    /// `HookUtils.handleScheduleMessage`).
    pub(crate) fn apply_delay<'t>(
        &self,
        properties: &mut Properties<'t>,
        topic: Cow<'t, str>,
        queue_id: i32,
    ) -> (Cow<'t, str>, i32) {
        let level = delay_level(properties);
        if level <= 0 {
            return (topic, queue_id);
        }
        let level = level.min(self.settings.max_delay_level);
        properties.insert(prop::DELAY, level.to_string());
        properties.insert(prop::REAL_TOPIC, topic);
        properties.insert(prop::REAL_QID, queue_id.to_string());
        (Cow::Borrowed(topics::SCHEDULE_TOPIC), level - 1)
    }
}

/// The DELAY level, 0 when absent or not a number.
fn delay_level(properties: &Properties<'_>) -> i32 {
    properties
        .get(prop::DELAY)
        .and_then(|level| level.trim().parse::<i32>().ok())
        .unwrap_or(0)
}

/// The rounding of Java's `transformTimerMessage`: down to the precision,
/// one step earlier when already exact.
fn round_to_precision(deliver_ms: i64, precision: i64) -> i64 {
    if deliver_ms % precision == 0 {
        deliver_ms - precision
    } else {
        deliver_ms / precision * precision
    }
}

/// Java's `MessageStoreConfig.setTimerPrecisionMs`: the largest of 100,
/// 200, 500 and 1000 not above the setting (100 below that).
pub(crate) fn timer_precision(configured: i64) -> i64 {
    [200, 500, 1000]
        .into_iter()
        .rev()
        .find(|&candidate| configured >= candidate)
        .unwrap_or(100)
}

pub(crate) use plugin_api::sdk::message::now_millis;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_precision_is_the_largest_allowed_step_not_above_the_setting() {
        assert_eq!(timer_precision(1000), 1000);
        assert_eq!(timer_precision(5000), 1000);
        assert_eq!(timer_precision(999), 500);
        assert_eq!(timer_precision(200), 200);
        assert_eq!(timer_precision(150), 100);
        assert_eq!(timer_precision(0), 100);
    }

    #[test]
    fn delivery_times_round_down_and_one_step_earlier_when_exact() {
        assert_eq!(round_to_precision(12_345, 1000), 12_000);
        assert_eq!(round_to_precision(12_000, 1000), 11_000);
        assert_eq!(round_to_precision(12_345, 200), 12_200);
    }
}
