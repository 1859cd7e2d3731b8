//! The broker binary's command line and startup/shutdown behaviour.

use std::process::Command;

use e2e_tests::{broker_binary, BrokerProcess, BrokerSetup};

#[test]
fn print_config_item_prints_every_key_and_exits() {
    let output = Command::new(broker_binary())
        .arg("-p")
        .output()
        .expect("run broker-host -p");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.lines().any(|l| l == "listenPort=10911"), "{text}");
    assert!(text
        .lines()
        .any(|l| l == "brokerClusterName=DefaultCluster"));
    assert!(text.lines().any(|l| l == "flushDiskType=ASYNC_FLUSH"));
    assert!(
        text.lines().count() > 100,
        "every key, not only the important ones"
    );
}

#[test]
fn print_important_config_prints_fewer_keys_and_n_overrides() {
    let output = Command::new(broker_binary())
        .args(["-m", "-n", "10.0.0.1:9876;10.0.0.2:9876"])
        .output()
        .expect("run broker-host -m");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .any(|l| l == "namesrvAddr=10.0.0.1:9876;10.0.0.2:9876"),
        "{text}"
    );
    assert!(text.lines().count() < 60, "{text}");
}

#[test]
fn a_properties_broker_conf_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("broker.conf");
    std::fs::write(
        &conf,
        "brokerClusterName = MigratedCluster\nbrokerName=broker-b\nlistenPort: 20911\n# comment\n",
    )
    .expect("write conf");
    let output = Command::new(broker_binary())
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .output()
        .expect("run broker-host");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text
        .lines()
        .any(|l| l == "brokerClusterName=MigratedCluster"));
    assert!(text.lines().any(|l| l == "listenPort=20911"));
}

#[test]
fn an_invalid_value_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("broker.toml");
    std::fs::write(&conf, "listenPort = \"not-a-port\"\n").expect("write conf");
    let output = Command::new(broker_binary())
        .arg("-c")
        .arg(&conf)
        .output()
        .expect("run broker-host");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("listenPort"), "{text}");
}

#[test]
fn unknown_keys_are_reported_and_each_startup_step_is_logged() {
    let mut broker = BrokerProcess::start(BrokerSetup::with_route_plugin().config("listenPrt = 1"));
    let log = broker.log();
    assert!(log.contains("listenPrt"), "unknown key reported:\n{log}");
    assert!(log.contains("did you mean"), "{log}");
    for step in ["step 1:", "step 2:", "step 5:", "step 7:", "boot success"] {
        assert!(log.contains(step), "missing {step}:\n{log}");
    }
    let status = broker.terminate();
    assert!(status.success(), "SIGTERM stops it cleanly: {status}");
    assert!(broker.log().contains("shutdown complete"));
}
