// SCRATCH: runs the stock_client tests against the reference rocketmq-rust
// namesrv + broker. Not part of the project.
#![allow(unused_imports, dead_code)]
mod refbroker {
    use std::net::{SocketAddr, TcpStream};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};
    pub struct RefBroker {
        dir: tempfile::TempDir,
        ns: Child,
        broker: Option<Child>,
        ns_port: u16,
        pub port: u16,
    }
    impl RefBroker {
        pub fn start() -> RefBroker {
            let dir = tempfile::tempdir().unwrap();
            let ns_port = e2e_tests::free_port_pair();
            let ns = Command::new("/tmp/refmq/bin/rocketmq-namesrv-rust")
                .arg("--listenPort")
                .arg(ns_port.to_string())
                .env("ROCKETMQ_HOME", dir.path())
                .current_dir(dir.path())
                .stdout(std::fs::File::create(dir.path().join("ns.log")).unwrap())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let port = e2e_tests::free_port_pair();
            std::fs::write(dir.path().join("broker.conf"), format!("brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\nnamesrvAddr=127.0.0.1:{ns_port}\nlistenPort={port}\nbrokerIP1=127.0.0.1\nstorePathRootDir={}\nautoCreateTopicEnable=true\n", dir.path().join("store").display())).unwrap();
            let mut b = RefBroker {
                dir,
                ns,
                broker: None,
                ns_port,
                port,
            };
            b.spawn();
            b
        }
        fn spawn(&mut self) {
            let log = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(self.dir.path().join("broker.log"))
                .unwrap();
            self.broker = Some(
                Command::new("/tmp/refmq/bin/rocketmq-broker-rust")
                    .arg("-c")
                    .arg(self.dir.path().join("broker.conf"))
                    .env("ROCKETMQ_HOME", self.dir.path())
                    .current_dir(self.dir.path())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .spawn()
                    .unwrap(),
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                    && TcpStream::connect(("127.0.0.1", self.ns_port)).is_ok()
                {
                    let mut c = e2e_tests::RawClient::connect(self.addr());
                    if c.call_code(105, &[("topic", "TBW102")]).code == 0 {
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            panic!("ref broker not up");
        }
        pub fn restart(&mut self) {
            let mut child = self.broker.take().unwrap();
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
            self.spawn();
        }
        pub fn addr(&self) -> SocketAddr {
            SocketAddr::from(([127, 0, 0, 1], self.ns_port))
        }
        pub fn broker_addr(&self) -> SocketAddr {
            SocketAddr::from(([127, 0, 0, 1], self.port))
        }
        pub fn log(&self) -> String {
            let s = std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default();
            s[s.len().saturating_sub(4000)..].to_string()
        }
    }
    impl Drop for RefBroker {
        fn drop(&mut self) {
            if let Some(mut b) = self.broker.take() {
                let _ = b.kill();
                let _ = b.wait();
            }
            let _ = self.ns.kill();
            let _ = self.ns.wait();
        }
    }
}
use refbroker::RefBroker;

use e2e_tests::stock_client::*;
use std::time::Duration;

#[test]
fn probe_reference() {
    let broker = RefBroker::start();
    let tap_b = WireTap::start(broker.broker_addr());
    let tap_ns = WireTap::relaying(broker.addr(), broker.broker_addr(), tap_b.addr());
    let rt = StockRuntime::new("probe-ref");
    rt.block_on(async {
        let mut producer = start_producer(&rt, tap_ns.addr(), "probe_producer").await;
        let msgs: Vec<Outgoing> = (1..4).map(numbered_message).collect();
        send_all(&producer, "ProbeTopic", &msgs, 1).await;
        let collector = Collector::default();
        let spec = ConsumerSpec::new("probe_group", "ProbeTopic", "*")
            .fail_first(|r| r.key() == "key-000002");
        let mut c = start_consumer(&rt, tap_ns.addr(), &spec, &collector).await;
        let ok = wait_for(Duration::from_secs(30), || {
            collector.acked_keys().len() == 3
        })
        .await;
        eprintln!(
            "OK={ok} deliveries={:?}",
            collector
                .deliveries()
                .iter()
                .map(|r| (r.key().to_owned(), r.acked))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_secs(6)).await;
        c.shutdown().await;
        producer.shutdown().await;
    });
    std::fs::write("/tmp/refcheck/transcript_broker.txt", tap_b.transcript()).unwrap();
    std::fs::write("/tmp/refcheck/transcript_ns.txt", tap_ns.transcript()).unwrap();
}
