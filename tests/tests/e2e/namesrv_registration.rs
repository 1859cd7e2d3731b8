//! Registration with a real, independent name server: the `rocketmq-namesrv`
//! crate (1.0.0, the rocketmq-rust project's implementation of RocketMQ's
//! name server), started unmodified from the `test-namesrv` helper binary on
//! loopback. Brokers are real `broker-host` processes started with
//! `-n 127.0.0.1:<port>`; routes are read from the name server with raw
//! GET_ROUTEINFO_BY_TOPIC (105) / GET_BROKER_CLUSTER_INFO (106) requests.
//!
//! Every wait is a readiness wait with a generous deadline (registration
//! happens at once and on every topic change, but CI machines are slow),
//! never a timing assertion.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use e2e_tests::{broker_binary, free_port_pair, plugin_library, RawClient};
use serde_json::Value;

const CLUSTER: &str = "DefaultCluster";
const ROUTE_WAIT: Duration = Duration::from_secs(30);

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The `rocketmq-namesrv` name server, in its own process (also used by
/// `operations_stats`).
pub(crate) struct NameServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl NameServer {
    pub(crate) fn start() -> NameServer {
        NameServer::start_on(free_port())
    }

    fn start_on(port: u16) -> NameServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("namesrv.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_test-namesrv"))
            .arg(port.to_string())
            .arg(dir.path().join("data"))
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start test-namesrv");
        let mut namesrv = NameServer { child, port, dir };
        let addr = namesrv.addr();
        let ready = wait_until(Duration::from_secs(60), || {
            if let Ok(Some(status)) = namesrv.child.try_wait() {
                panic!("name server exited ({status}):\n{}", namesrv.log());
            }
            TcpStream::connect(addr).is_ok()
        });
        assert!(ready, "name server did not listen:\n{}", namesrv.log());
        namesrv
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("namesrv.log")).unwrap_or_default()
    }

    /// GET_ROUTEINFO_BY_TOPIC (105) as a 5.3.3 client sends it: (code, body).
    fn route(&self, topic: &str) -> (i32, Option<Value>) {
        let mut client = RawClient::connect(self.addr());
        let response = client.call_code(105, &[("topic", topic)]);
        let body = (!response.body.is_empty()).then(|| {
            serde_json::from_slice(&response.body).unwrap_or_else(|e| {
                panic!(
                    "route body is not JSON ({e}): {}",
                    String::from_utf8_lossy(&response.body)
                )
            })
        });
        (response.code, body)
    }

    /// Broker names in the route of `topic` (empty when there is none).
    fn route_brokers(&self, topic: &str) -> Vec<String> {
        match self.route(topic) {
            (0, Some(route)) => {
                let mut names: Vec<String> = route["queueDatas"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|q| q["brokerName"].as_str().map(str::to_owned))
                    .collect();
                names.sort();
                names
            }
            _ => Vec::new(),
        }
    }

    /// Waits until the route of `topic` names exactly `brokers`.
    fn wait_route(&self, topic: &str, brokers: &[&str], context: &dyn Fn() -> String) -> Value {
        let want: Vec<String> = brokers.iter().map(|b| b.to_string()).collect();
        let ok = wait_until(ROUTE_WAIT, || self.route_brokers(topic) == want);
        assert!(
            ok,
            "route of {topic} never became {want:?} (last: {:?})\n--- name server log ---\n{}\n{}",
            self.route(topic),
            tail(&self.log(), 40),
            context()
        );
        self.route(topic).1.expect("route body")
    }
}

impl Drop for NameServer {
    fn drop(&mut self) {
        sigterm(&self.child);
        if wait_exit(&mut self.child, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A broker process with its own name, ports and store, started with `-n`.
struct Broker {
    child: Child,
    name: String,
    port: u16,
    dir: tempfile::TempDir,
}

fn manifest() -> String {
    [
        "admin_plugin",
        "route_plugin",
        "send_plugin",
        "pull_plugin",
        "heartbeat_plugin",
    ]
    .iter()
    .map(|name| {
        format!(
            "[[processor]]\nlibrary = {:?}\nthreads = 2\n",
            plugin_library(name).display().to_string()
        )
    })
    .collect()
}

impl Broker {
    fn start(name: &str, namesrv: &str, extra_config: &[&str]) -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port_pair();
        let config = format!(
            "brokerClusterName = {CLUSTER:?}\nbrokerName = {name:?}\nbrokerIP1 = \"127.0.0.1\"\nlistenPort = {port}\nstorePathRootDir = {:?}\n{}\n",
            dir.path().join("store").display().to_string(),
            extra_config.join("\n")
        );
        std::fs::write(dir.path().join("broker.toml"), config).expect("write config");
        std::fs::write(dir.path().join("plugins.toml"), manifest()).expect("write manifest");
        let child = spawn_broker(dir.path(), namesrv);
        let mut broker = Broker {
            child,
            name: name.to_owned(),
            port,
            dir,
        };
        let addr = broker.addr();
        let ready = wait_until(Duration::from_secs(60), || {
            if let Ok(Some(status)) = broker.child.try_wait() {
                panic!("broker exited during startup ({status}):\n{}", broker.log());
            }
            TcpStream::connect(addr).is_ok()
        });
        assert!(ready, "broker did not listen:\n{}", broker.log());
        broker
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn addr_text(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("broker.log")
    }

    fn context(&self) -> String {
        log_context(&self.name, &self.log_path())
    }

    /// UPDATE_AND_CREATE_TOPIC (17) on this broker.
    fn create_topic(&self, topic: &str, queues: i32) {
        let queues = queues.to_string();
        let response = RawClient::connect(self.addr()).call_code(
            17,
            &[
                ("topic", topic),
                ("defaultTopic", "TBW102"),
                ("readQueueNums", &queues),
                ("writeQueueNums", &queues),
                ("perm", "6"),
                ("topicFilterType", "SINGLE_TAG"),
                ("topicSysFlag", "0"),
                ("order", "false"),
            ],
        );
        assert_eq!(
            response.code,
            0,
            "create {topic} on {}: {:?}\n{}",
            self.name,
            response.remark,
            self.context()
        );
    }

    fn terminate(&mut self) -> ExitStatus {
        sigterm(&self.child);
        wait_exit(&mut self.child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("broker did not exit after SIGTERM:\n{}", self.log()))
    }
}

fn log_context(name: &str, path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    format!("--- broker {name} log ---\n{}", tail(&log, 40))
}

fn spawn_broker(dir: &Path, namesrv: &str) -> Child {
    let log = std::fs::File::create(dir.join("broker.log")).expect("log file");
    Command::new(broker_binary())
        .arg("-c")
        .arg(dir.join("broker.toml"))
        .arg("--manifest")
        .arg(dir.join("plugins.toml"))
        .arg("-n")
        .arg(namesrv)
        .env("RUST_LOG", "info")
        .env_remove("NAMESRV_ADDR")
        .current_dir(dir)
        .stdout(log.try_clone().expect("clone log"))
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("start broker-host")
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn queue_data<'a>(route: &'a Value, broker: &str) -> &'a Value {
    route["queueDatas"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["brokerName"] == broker))
        .unwrap_or_else(|| panic!("no queue data of {broker} in {route}"))
}

fn broker_data<'a>(route: &'a Value, broker: &str) -> &'a Value {
    route["brokerDatas"]
        .as_array()
        .and_then(|bs| bs.iter().find(|b| b["brokerName"] == broker))
        .unwrap_or_else(|| panic!("no broker data of {broker} in {route}"))
}

#[test]
fn broker_registers_tbw102_and_created_topics() {
    let namesrv = NameServer::start();
    let broker = Broker::start("broker-a", &namesrv.addr().to_string(), &[]);
    let context = || broker.context();

    // Registered at start: TBW102 (perm 7, 8 queues) routes to this broker.
    let route = namesrv.wait_route("TBW102", &["broker-a"], &context);
    let queues = queue_data(&route, "broker-a");
    assert_eq!(queues["perm"], 7, "{route}");
    assert_eq!(queues["readQueueNums"], 8, "{route}");
    assert_eq!(queues["writeQueueNums"], 8, "{route}");
    let data = broker_data(&route, "broker-a");
    assert_eq!(data["cluster"], CLUSTER, "{route}");
    assert_eq!(data["brokerAddrs"]["0"], broker.addr_text(), "{route}");
    assert!(
        broker
            .log()
            .contains("registered with the name server (REGISTER_BROKER)"),
        "{}",
        broker.log()
    );

    // A topic the name server has never heard of.
    let (code, _) = namesrv.route("TopicCreatedLater");
    assert_eq!(code, 17, "unknown topic answers TOPIC_NOT_EXIST");

    // UPDATE_AND_CREATE_TOPIC: routable through the name server at once
    // (re-registration on the topic table's DataVersion change).
    broker.create_topic("TopicCreatedLater", 3);
    let route = namesrv.wait_route("TopicCreatedLater", &["broker-a"], &context);
    let queues = queue_data(&route, "broker-a");
    assert_eq!(queues["readQueueNums"], 3, "{route}");
    assert_eq!(queues["writeQueueNums"], 3, "{route}");
    assert_eq!(queues["perm"], 6, "{route}");

    // An update of the topic reaches the name server too.
    broker.create_topic("TopicCreatedLater", 5);
    let ok = wait_until(
        ROUTE_WAIT,
        || matches!(namesrv.route("TopicCreatedLater"), (0, Some(r)) if queue_data(&r, "broker-a")["writeQueueNums"] == 5),
    );
    assert!(
        ok,
        "queue count change not registered: {:?}\n{}",
        namesrv.route("TopicCreatedLater"),
        broker.context()
    );

    // The cluster table lists the broker.
    let mut client = RawClient::connect(namesrv.addr());
    let response = client.call_code(106, &[]);
    assert_eq!(response.code, 0);
    let text = String::from_utf8_lossy(&response.body).to_string();
    assert!(
        text.contains("broker-a") && text.contains(&broker.addr_text()),
        "{text}"
    );
}

#[test]
fn two_brokers_share_a_topic_and_sigterm_unregisters() {
    let namesrv = NameServer::start();
    let ns = namesrv.addr().to_string();
    let a = Broker::start("broker-a", &ns, &[]);
    let mut b = Broker::start("broker-b", &ns, &[]);
    let (a_log, b_log) = (a.log_path(), b.log_path());
    let context = || {
        format!(
            "{}\n{}",
            log_context("broker-a", &a_log),
            log_context("broker-b", &b_log)
        )
    };

    a.create_topic("SharedTopic", 4);
    b.create_topic("SharedTopic", 2);
    let route = namesrv.wait_route("SharedTopic", &["broker-a", "broker-b"], &context);
    assert_eq!(
        queue_data(&route, "broker-a")["writeQueueNums"],
        4,
        "{route}"
    );
    assert_eq!(
        queue_data(&route, "broker-b")["writeQueueNums"],
        2,
        "{route}"
    );
    assert_eq!(
        broker_data(&route, "broker-a")["brokerAddrs"]["0"],
        a.addr_text()
    );
    assert_eq!(
        broker_data(&route, "broker-b")["brokerAddrs"]["0"],
        b.addr_text()
    );
    assert_eq!(broker_data(&route, "broker-b")["cluster"], CLUSTER);
    // Both brokers' own topics are routed too.
    namesrv.wait_route("broker-b", &["broker-b"], &context);

    // SIGTERM: broker-b unregisters (UNREGISTER_BROKER) before it stops
    // serving, and the name server stops routing to it.
    let status = b.terminate();
    assert!(status.success(), "broker-b exit {status}:\n{}", b.log());
    let log = b.log();
    assert!(
        log.contains("unregistered from the name server (UNREGISTER_BROKER)"),
        "{log}"
    );
    let unregister = log.find("shutdown 1/7").expect("shutdown step 1 logged");
    let servers_stop = log.find("shutdown 2/7").expect("shutdown step 2 logged");
    assert!(
        unregister < servers_stop,
        "unregistration comes first:\n{log}"
    );

    let route = namesrv.wait_route("SharedTopic", &["broker-a"], &context);
    assert!(
        route["brokerDatas"]
            .as_array()
            .is_some_and(|bs| bs.iter().all(|b| b["brokerName"] != "broker-b")),
        "{route}"
    );
    let (code, _) = namesrv.route("broker-b");
    assert_eq!(code, 17, "broker-b's own topic has no route any more");
    // broker-a keeps being routed.
    namesrv.wait_route("TBW102", &["broker-a"], &context);
}

#[test]
fn name_server_down_at_start_is_retried_without_stalling_the_broker() {
    let port = free_port();
    let ns = format!("127.0.0.1:{port}");
    let broker = Broker::start("broker-a", &ns, &["registerNameServerPeriod = 10000"]);

    // The broker serves while no name server is up.
    let response = RawClient::connect(broker.addr()).call_code(21, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let warned = wait_until(Duration::from_secs(30), || {
        broker
            .log()
            .contains("registration with the name server failed")
    });
    assert!(warned, "{}", broker.log());

    // The name server comes up: the next period registers.
    let namesrv = NameServer::start_on(port);
    let context = || broker.context();
    namesrv.wait_route("TBW102", &["broker-a"], &context);
}

/// The stock `rocketmq-client-rust` producer and push consumer, given only
/// the name server's address, produce to and consume from a topic that
/// lives on two brokers of one cluster; the producer spreads the messages
/// across both.
#[test]
fn stock_client_produces_and_consumes_through_the_name_server() {
    use e2e_tests::stock_client::{
        numbered_message, send_all, start_consumer, start_producer, wait_for, Collector,
        ConsumerSpec, Outgoing, StockRuntime,
    };
    use std::collections::{BTreeMap, HashSet};

    const TOPIC: &str = "NamesrvStockTopic";
    const COUNT: usize = 200;
    let namesrv = NameServer::start();
    let ns = namesrv.addr().to_string();
    let a = Broker::start("broker-a", &ns, &[]);
    let b = Broker::start("broker-b", &ns, &[]);
    let (a_log, b_log) = (a.log_path(), b.log_path());
    let context = || {
        format!(
            "{}\n{}",
            log_context("broker-a", &a_log),
            log_context("broker-b", &b_log)
        )
    };
    a.create_topic(TOPIC, 4);
    b.create_topic(TOPIC, 4);
    namesrv.wait_route(TOPIC, &["broker-a", "broker-b"], &context);

    let rt = StockRuntime::new("namesrv-stock");
    rt.block_on(async {
        let mut producer = start_producer(&rt, namesrv.addr(), "namesrv_stock_producer").await;
        let messages: Vec<Outgoing> = (0..COUNT).map(numbered_message).collect();
        let results = send_all(&producer, TOPIC, &messages, 4).await;
        let mut per_broker: BTreeMap<String, usize> = BTreeMap::new();
        for result in &results {
            let queue = result
                .message_queue
                .as_ref()
                .expect("SendResult names its queue");
            *per_broker
                .entry(queue.broker_name().to_string())
                .or_default() += 1;
        }
        assert_eq!(
            per_broker.keys().cloned().collect::<Vec<_>>(),
            vec!["broker-a".to_owned(), "broker-b".to_owned()],
            "messages spread across both brokers: {per_broker:?}"
        );

        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            namesrv.addr(),
            &ConsumerSpec::new("namesrv_stock_consumer", TOPIC, "*"),
            &collector,
        )
        .await;
        let expected: HashSet<String> = messages.iter().map(|m| m.key.clone()).collect();
        let done = wait_for(Duration::from_secs(180), || {
            collector.acked_keys().is_superset(&expected)
        })
        .await;
        let got = collector.acked_keys();
        assert!(
            done,
            "consumed {} of {COUNT} through the name server\n{}",
            got.len(),
            context()
        );
        consumer.shutdown().await;
        producer.shutdown().await;
    });
}
