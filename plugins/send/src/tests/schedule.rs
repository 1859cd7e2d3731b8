//! Delayed (DELAY level) and timer (TIMER_*) messages: where they are parked
//! and what the parked message remembers.

use plugin_api::sdk::{ResponseCode, TopicConfig};

use super::*;
use crate::schedule::now_millis;

/// `PLAIN` plus `extra`.
fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    PLAIN.iter().chain(extra).copied().collect()
}

/// The remark of an illegal timer message under the default 3-day maximum.
const TIMER_ILLEGAL: &str = "timer message illegal, the delay time should not be bigger than the max delay 259200000ms; or if set del msg, the delay time should be bigger than the current time";

#[test]
fn a_delay_level_parks_the_message_in_the_schedule_topic() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Delayed"));
    let sent = answer(&plugin, &send_v2("Delayed", 2, &with(&[("DELAY", "3")])));
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    // The answer names the queue the producer chose, not the parking queue.
    assert_eq!(sent.field("queueId"), Some("2"));
    assert!(fake.messages_in("Delayed").is_empty());
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].queue_id, 2, "level 3 → queue 2");
    assert_eq!(property(&parked[0], "DELAY"), Some("3"));
    assert_eq!(property(&parked[0], "REAL_TOPIC"), Some("Delayed"));
    assert_eq!(property(&parked[0], "REAL_QID"), Some("2"));
}

#[test]
fn a_delay_level_beyond_the_configured_levels_is_capped() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Delayed"));
    let sent = answer(&plugin, &send_v2("Delayed", 0, &with(&[("DELAY", "99")])));
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    // 18 default levels (1s ... 2h).
    assert_eq!(parked[0].queue_id, 17);
    assert_eq!(property(&parked[0], "DELAY"), Some("18"));

    let fake = FakeHost::new();
    fake.set_config("messageDelayLevel", "1s 5s");
    fake.add_topic(TopicConfig::new("Delayed"));
    let plugin = start_on(&fake);
    answer(&plugin, &send_v2("Delayed", 0, &with(&[("DELAY", "5")])));
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    assert_eq!(parked[0].queue_id, 1);
    assert_eq!(property(&parked[0], "DELAY"), Some("2"));
}

#[test]
fn a_zero_or_unparsable_delay_level_is_stored_as_it_is() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Prompt"));
    for level in ["0", "soon"] {
        let sent = answer(&plugin, &send_v2("Prompt", 1, &with(&[("DELAY", level)])));
        assert_eq!(sent.code, ResponseCode::SUCCESS, "{level}");
    }
    let stored = fake.messages_in("Prompt");
    assert_eq!(stored.len(), 2);
    assert_eq!(property(&stored[1], "DELAY"), Some("soon"));
    assert!(fake.messages_in("SCHEDULE_TOPIC_XXXX").is_empty());
}

#[test]
fn a_future_timer_message_is_parked_in_the_timer_topic_queue_0() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    let before = now_millis();
    let sent = answer(
        &plugin,
        &send_v2("Timed", 3, &with(&[("TIMER_DELAY_SEC", "10")])),
    );
    let after = now_millis();
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    assert_eq!(sent.field("queueId"), Some("3"));
    assert!(fake.messages_in("Timed").is_empty());
    let parked = fake.messages_in("rmq_sys_wheel_timer");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].queue_id, 0);
    let out: i64 = property(&parked[0], "TIMER_OUT_MS")
        .and_then(|value| value.parse().ok())
        .expect("TIMER_OUT_MS");
    // Rounded down to the 1 s precision (one step earlier when exact).
    assert_eq!(out % 1000, 0);
    assert!(
        (before + 10_000 - 1000..after + 10_000).contains(&out),
        "{out}"
    );
    assert_eq!(property(&parked[0], "REAL_TOPIC"), Some("Timed"));
    assert_eq!(property(&parked[0], "REAL_QID"), Some("3"));
    assert_eq!(property(&parked[0], "TIMER_DELAY_SEC"), Some("10"));
    // attachRecallHandle: "v1 <topic> <brokerName> <TIMER_OUT_MS + 1> <UNIQ_KEY>".
    let handle = plugin_api::sdk::message::RecallHandle::decode(
        sent.field("recallHandle")
            .expect("a timer message's answer has a recall handle"),
    )
    .expect("a valid handle");
    assert_eq!(handle.topic, "Timed");
    assert_eq!(handle.broker_name, "broker-a");
    assert_eq!(handle.timestamp, (out + 1).to_string());
    assert_eq!(handle.message_id, "7F00000100002A9F0000000000000001");
    // A plain send has none.
    let plain = answer(&plugin, &send_v2("Timed", 3, &PLAIN));
    assert_eq!(plain.field("recallHandle"), None);
}

#[test]
fn a_delivery_time_is_rounded_to_the_configured_precision() {
    let fake = FakeHost::new();
    fake.set_config("timerPrecisionMs", "300");
    fake.add_topic(TopicConfig::new("Timed"));
    let plugin = start_on(&fake);
    let base = (now_millis() / 1000 + 100) * 1000;
    for (deliver, expected) in [(base + 250, base + 200), (base + 400, base + 200)] {
        let deliver = deliver.to_string();
        let properties = [("TAGS", "T"), ("TIMER_DELIVER_MS", deliver.as_str())];
        let sent = answer(&plugin, &send_v2("Timed", 0, &properties));
        assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
        let parked = fake.messages_in("rmq_sys_wheel_timer");
        let out = property(parked.last().expect("parked"), "TIMER_OUT_MS");
        assert_eq!(out, Some(expected.to_string().as_str()), "{deliver}");
    }
}

#[test]
fn a_timer_message_due_already_is_stored_in_its_topic() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    let sent = answer(
        &plugin,
        &send_v2("Timed", 1, &with(&[("TIMER_DELIVER_MS", "1000")])),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS, "{:?}", sent.remark);
    let stored = fake.messages_in("Timed");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].queue_id, 1);
    assert_eq!(property(&stored[0], "TIMER_OUT_MS"), None);
    assert!(fake.messages_in("rmq_sys_wheel_timer").is_empty());
}

#[test]
fn a_delay_level_wins_over_timer_properties_which_are_dropped() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    let sent = answer(
        &plugin,
        &send_v2(
            "Timed",
            1,
            &with(&[
                ("TIMER_DELAY_SEC", "5"),
                ("TIMER_DELAY_MS", "5"),
                ("DELAY", "1"),
            ]),
        ),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    let parked = fake.messages_in("SCHEDULE_TOPIC_XXXX");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].queue_id, 0);
    assert_eq!(property(&parked[0], "TIMER_DELAY_SEC"), None);
    assert_eq!(property(&parked[0], "TIMER_DELAY_MS"), None);
    assert_eq!(property(&parked[0], "REAL_TOPIC"), Some("Timed"));
    assert!(fake.messages_in("rmq_sys_wheel_timer").is_empty());
}

#[test]
fn timer_messages_are_refused_without_the_timer_wheel() {
    let fake = FakeHost::new();
    fake.set_config("timerWheelEnable", "false");
    fake.add_topic(TopicConfig::new("Timed"));
    let plugin = start_on(&fake);
    for timer in ["TIMER_DELAY_SEC", "TIMER_DELIVER_MS", "TIMER_DELAY_MS"] {
        let refused = answer(
            &plugin,
            &send_v2("Timed", 0, &with(&[(timer, "99999999999999")])),
        );
        assert_eq!(refused.code, ResponseCode::SYSTEM_ERROR, "{timer}");
        assert_eq!(
            refused.remark.as_deref(),
            Some("accurate timer message is not enabled, timerWheelEnable is false")
        );
        assert_eq!(refused.field("MSG_REGION"), Some("DefaultRegion"));
    }
    assert!(fake.state().messages.is_empty());
}

#[test]
fn unparsable_or_too_distant_timer_messages_are_illegal() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    for (name, value) in [
        ("TIMER_DELAY_SEC", "soon"),
        ("TIMER_DELAY_MS", "1.5"),
        ("TIMER_DELIVER_MS", "tomorrow"),
        ("TIMER_DELAY_SEC", "300000"),
    ] {
        let refused = answer(&plugin, &send_v2("Timed", 0, &with(&[(name, value)])));
        assert_eq!(
            refused.code,
            ResponseCode::MESSAGE_ILLEGAL,
            "{name}={value}"
        );
        assert_eq!(
            refused.remark.as_deref(),
            Some(TIMER_ILLEGAL),
            "{name}={value}"
        );
    }
    assert!(fake.state().messages.is_empty());
}

#[test]
fn a_timer_delete_that_is_due_already_is_illegal() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    let refused = answer(
        &plugin,
        &send_v2(
            "Timed",
            0,
            &with(&[("TIMER_DELIVER_MS", "1000"), ("TIMER_DEL_UNIQKEY", "x")]),
        ),
    );
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert_eq!(refused.remark.as_deref(), Some(TIMER_ILLEGAL));
    assert!(fake.state().messages.is_empty());
}

#[test]
fn the_maximum_timer_delay_is_configurable() {
    let fake = FakeHost::new();
    fake.set_config("timerMaxDelaySec", "60");
    fake.add_topic(TopicConfig::new("Timed"));
    let plugin = start_on(&fake);
    let refused = answer(
        &plugin,
        &send_v2("Timed", 0, &with(&[("TIMER_DELAY_SEC", "61")])),
    );
    assert_eq!(refused.code, ResponseCode::MESSAGE_ILLEGAL);
    assert!(
        refused
            .remark
            .as_deref()
            .is_some_and(|remark| remark.starts_with(
                "timer message illegal, the delay time should not be bigger than the max delay 60000ms;"
            )),
        "{:?}",
        refused.remark
    );
    let sent = answer(
        &plugin,
        &send_v2("Timed", 0, &with(&[("TIMER_DELAY_SEC", "59")])),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("rmq_sys_wheel_timer").len(), 1);
}

#[test]
fn a_message_already_carrying_its_timer_out_is_not_parked_again() {
    let (fake, plugin) = started();
    fake.add_topic(TopicConfig::new("Timed"));
    let sent = answer(
        &plugin,
        &send_v2(
            "Timed",
            0,
            &with(&[("TIMER_DELAY_SEC", "10"), ("TIMER_OUT_MS", "1")]),
        ),
    );
    assert_eq!(sent.code, ResponseCode::SUCCESS);
    assert_eq!(fake.messages_in("Timed").len(), 1);
    assert!(fake.messages_in("rmq_sys_wheel_timer").is_empty());
}
