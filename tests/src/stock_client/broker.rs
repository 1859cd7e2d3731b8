//! Brokers for the stock client: which plugins it needs, and restarts.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{broker_binary, BrokerProcess, BrokerSetup};

/// A broker with everything the stock client needs to produce and consume:
/// send, pull, heartbeat and route plugins.
pub fn full_broker() -> BrokerSetup {
    BrokerSetup::default().plugins(&[
        "send_plugin",
        "pull_plugin",
        "heartbeat_plugin",
        "route_plugin",
    ])
}

/// Stops the broker with SIGTERM (if it runs) and starts it again on the
/// same config, manifest, store directory and port, appending to the same
/// log. Returns once the main port accepts connections.
pub fn restart_broker(broker: &mut BrokerProcess) {
    respawn_broker(broker, "info");
}

/// [`restart_broker`] with another `RUST_LOG` (e.g. `"debug"`).
pub fn respawn_broker(broker: &mut BrokerProcess, rust_log: &str) {
    if broker.is_running() {
        let status = broker.terminate();
        assert!(
            status.success(),
            "broker exited with {status} on SIGTERM:\n{}",
            broker.log()
        );
    }
    let dir = broker.dir.path();
    let log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("broker.log"))
        .expect("open broker log");
    // The old listeners' ports (main and fast) may take a moment to be
    // bindable again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let bindable = |port: u16| TcpListener::bind(("0.0.0.0", port)).is_ok();
    while !(bindable(broker.port) && bindable(broker.port - 2)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    broker.child = Command::new(broker_binary())
        .arg("-c")
        .arg(dir.join("broker.toml"))
        .arg("--manifest")
        .arg(dir.join("plugins.toml"))
        .env("RUST_LOG", rust_log)
        .env_remove("NAMESRV_ADDR")
        .current_dir(dir)
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("restart broker-host");
    broker.wait_until_listening();
}
