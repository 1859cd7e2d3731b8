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

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use e2e_tests::stock_client::{
    full_broker, numbered_index, numbered_message, restart_broker, send_all, start_consumer,
    start_producer, wait_for, Collector, ConsumerSpec, Outgoing, StockRuntime,
};

/// Readiness deadline for a consumer to catch up, reconnects included.
const CATCH_UP: Duration = Duration::from_secs(300);
/// After everything arrived, how long late duplicates get to show up.
const SETTLE: Duration = Duration::from_secs(3);

fn batch(range: std::ops::Range<usize>) -> Vec<Outgoing> {
    range.map(numbered_message).collect()
}

fn keys(messages: &[Outgoing]) -> HashSet<String> {
    messages.iter().map(|m| m.key.clone()).collect()
}

/// Deliveries intact: body and tag are those of the numbered message.
fn check_intact(collector: &Collector) {
    for got in collector.deliveries() {
        let sent = numbered_message(numbered_index(got.key()).expect("a key we sent"));
        assert_eq!(
            got.tag.as_deref(),
            Some(sent.tag.as_str()),
            "tag of {}",
            sent.key
        );
        assert!(got.body == sent.body, "body of {} differs", sent.key);
    }
}

fn missing(expected: &HashSet<String>, collector: &Collector) -> Vec<String> {
    let mut missing: Vec<_> = expected
        .difference(&collector.acked_keys())
        .cloned()
        .collect();
    missing.sort();
    missing.truncate(20);
    missing
}

#[test]
fn stored_messages_and_committed_offsets_survive_a_restart() {
    const TOPIC: &str = "StockRestart";
    const GROUP: &str = "stock_restart_group";
    let mut broker = RefBroker::start();
    let rt = StockRuntime::new("stock-restart");
    let consumed = batch(0..500);
    let stored = batch(500..1000);
    let after = batch(1000..1500);

    // Before: consume a first batch, stop the consumer cleanly (it commits
    // its offsets), then store a second batch nobody consumes yet.
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_restart_producer").await;
        send_all(&producer, TOPIC, &consumed, 4).await;
        let before = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &before,
        )
        .await;
        let expected = keys(&consumed);
        let caught_up = wait_for(CATCH_UP, || before.acked_keys() == expected).await;
        assert!(
            caught_up,
            "first batch lacks {:?}\n{}",
            missing(&expected, &before),
            broker.log()
        );
        consumer.shutdown().await;
        send_all(&producer, TOPIC, &stored, 4).await;
        producer.shutdown().await;
    });

    broker.restart();

    // After: a third batch, then the same group again. It starts from its
    // committed offsets (ConsumeFromFirstOffset would replay the first batch
    // if they were lost) and gets the stored and the new batch exactly once.
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_restart_producer_2").await;
        send_all(&producer, TOPIC, &after, 4).await;
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &collector,
        )
        .await;
        let expected: HashSet<String> = keys(&stored).union(&keys(&after)).cloned().collect();
        let caught_up = wait_for(CATCH_UP, || expected.is_subset(&collector.acked_keys())).await;
        assert!(
            caught_up,
            "after the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        consumer.shutdown().await;
        producer.shutdown().await;

        check_intact(&collector);
        let replayed: Vec<String> = collector
            .deliveries()
            .iter()
            .map(|r| r.key().to_owned())
            .filter(|key| keys(&consumed).contains(key))
            .take(20)
            .collect();
        assert!(
            replayed.is_empty(),
            "committed before the restart, delivered again: {replayed:?}"
        );
        let mut counts: HashMap<String, usize> = HashMap::new();
        for got in collector.deliveries() {
            *counts.entry(got.key().to_owned()).or_default() += 1;
        }
        let duplicated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(20).collect();
        assert!(
            duplicated.is_empty(),
            "delivered more than once: {duplicated:?}"
        );
    });
}

#[test]
fn a_running_consumer_and_producer_ride_through_a_restart() {
    const TOPIC: &str = "StockRideThrough";
    let mut broker = RefBroker::start();
    let rt = StockRuntime::new("stock-ride-through");
    let before = batch(0..300);
    let after = batch(300..600);
    let collector = Collector::default();

    let (mut producer, mut consumer) = rt.block_on(async {
        let producer = start_producer(&rt, broker.addr(), "stock_ride_producer").await;
        send_all(&producer, TOPIC, &before, 4).await;
        let spec = ConsumerSpec::new("stock_ride_group", TOPIC, "*");
        let consumer = start_consumer(&rt, broker.addr(), &spec, &collector).await;
        let expected = keys(&before);
        let caught_up = wait_for(CATCH_UP, || collector.acked_keys() == expected).await;
        assert!(
            caught_up,
            "before the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        (producer, consumer)
    });

    broker.restart();

    rt.block_on(async {
        // The same clients reconnect on their own (a send on a stale
        // connection is retried by the client).
        send_all(&producer, TOPIC, &after, 4).await;
        let expected: HashSet<String> = keys(&before).union(&keys(&after)).cloned().collect();
        let caught_up = wait_for(CATCH_UP, || collector.acked_keys() == expected).await;
        assert!(
            caught_up,
            "after the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        consumer.shutdown().await;
        producer.shutdown().await;
    });

    // At least once: everything arrived intact. Re-deliveries are allowed
    // (offsets are committed every 5 s, and the client may re-read them when
    // it re-balances after the reconnect); they are reported, not failed.
    check_intact(&collector);
    let deliveries = collector.deliveries();
    let distinct: HashSet<&str> = deliveries.iter().map(|r| r.key()).collect();
    eprintln!(
        "{} deliveries of {} messages across the restart",
        deliveries.len(),
        distinct.len()
    );
}
