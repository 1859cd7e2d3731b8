//! Starting the plugin: what it serves, which settings it takes and which
//! broker configuration refuses the start.

use plugin_api::sdk::Plugin;

use super::*;

#[test]
fn the_plugin_serves_the_four_send_codes() {
    assert_eq!(SendPlugin::NAME, "send");
    assert_eq!(SendPlugin::REQUEST_CODES, &[10, 310, 320, 36]);
}

#[test]
fn the_plugin_takes_no_settings() {
    let fake = FakeHost::new();
    assert!(fake.start::<SendPlugin>("{}").is_ok());
    assert_eq!(
        fake.start::<SendPlugin>(r#"{"threads":2}"#)
            .err()
            .as_deref(),
        Some("invalid settings: unknown setting `threads`")
    );
}

#[test]
fn an_invalid_delay_level_table_refuses_the_start() {
    let fake = FakeHost::new();
    fake.set_config("messageDelayLevel", "1s 5x");
    assert_eq!(
        fake.start::<SendPlugin>("").err().as_deref(),
        Some("invalid delay level \"5x\"")
    );
}

#[test]
fn broker_settings_are_read_once_at_start() {
    let fake = FakeHost::new();
    fake.set_config("regionId", "EU");
    fake.set_config("timerPrecisionMs", "250");
    fake.set_config("timerMaxDelaySec", "60");
    fake.set_config("timerWheelEnable", "false");
    fake.set_config("rejectTransactionMessage", "true");
    fake.set_config("messageDelayLevel", "1s 2s 3s");
    fake.state().identity.broker_permission = 4;
    let plugin = start_on(&fake);
    let settings = &plugin.settings;
    assert_eq!(settings.region_id, "EU");
    assert_eq!(settings.trace_on, "true");
    assert_eq!(settings.cluster_name, "DefaultCluster");
    assert_eq!(settings.broker_permission, 4);
    assert_eq!(settings.max_delay_level, 3);
    assert!(settings.reject_transaction_message);
    assert!(!settings.timer_wheel_enable);
    assert_eq!(settings.timer_precision_ms, 200);
    assert_eq!(settings.timer_max_delay_sec, 60);

    // A later change of the config is not seen by the running plugin.
    fake.set_config("regionId", "US");
    let sent = answer(&plugin, &send_v2("TBW102", 0, &PLAIN));
    assert_eq!(sent.field("MSG_REGION"), Some("EU"));
}
