//! The Prometheus endpoint (`metricsExporterType = PROM`): scraped over real
//! HTTP from the broker binary, validated by `promtool check metrics`, and
//! its counters and gauges checked against the traffic the test sent.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_tests::stock_client::full_broker;
use e2e_tests::{BrokerProcess, Pull, RawClient};

const TOPIC: &str = "MetricsTopic";
const GROUP: &str = "metrics_cg";
const SENT: usize = 5;

/// A port free now on the loopback.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("an ephemeral port")
        .port()
}

fn broker_with_metrics() -> (BrokerProcess, SocketAddr) {
    let port = free_port();
    let broker = BrokerProcess::start(
        full_broker()
            .config("metricsExporterType = \"PROM\"")
            .config("metricsPromExporterHost = \"127.0.0.1\"")
            .config(&format!("metricsPromExporterPort = {port}")),
    );
    (broker, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// One HTTP/1.1 request; the status line and the body.
fn http_get(addr: SocketAddr, method: &str, path: &str) -> (String, String) {
    // The endpoint starts right after the remoting listeners the harness
    // waited for: a readiness wait, not a timing assertion.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        match TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(error) if Instant::now() < deadline => {
                let _ = error;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => panic!("metrics endpoint {addr} not reachable: {error}"),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

fn scrape(addr: SocketAddr) -> Scrape {
    let (status, body) = http_get(addr, "GET", "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    Scrape::parse(&body)
}

/// A scraped exposition: every sample with its labels.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| parse_sample(line).unwrap_or_else(|| panic!("bad sample line {line:?}")))
            .collect();
        Scrape {
            text: text.to_owned(),
            samples,
        }
    }

    /// The sum of the samples of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|(_, value)| value).sum()
    }

    /// How many series of `name` have `labels`.
    fn count(&self, name: &str, labels: &[(&str, &str)]) -> usize {
        self.matching(name, labels).count()
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (&'a BTreeMap<String, String>, f64)> + 'a {
        self.samples
            .iter()
            .filter(move |(sample, have, _)| {
                sample == name
                    && labels
                        .iter()
                        .all(|(key, value)| have.get(*key).map(String::as_str) == Some(*value))
            })
            .map(|(_, have, value)| (have, *value))
    }
}

/// `name{a="x",b="y"} value` (label values with `\"`, `\\` and `\n` escapes).
fn parse_sample(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let (name, rest) = match line.find('{') {
        Some(brace) => (&line[..brace], &line[brace + 1..]),
        None => {
            let (name, value) = line.split_once(' ')?;
            return Some((name.to_owned(), BTreeMap::new(), value.trim().parse().ok()?));
        }
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.char_indices().peekable();
    let value_start = loop {
        let (start, c) = chars.next()?;
        if c == '}' {
            break start + 1;
        }
        if c == ',' {
            continue;
        }
        let mut key = String::from(c);
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        loop {
            match chars.next()?.1 {
                '"' => break,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        }
        labels.insert(key, value);
    };
    let value = rest[value_start..].trim().split(' ').next()?.parse().ok()?;
    Some((name.to_owned(), labels, value))
}

/// `promtool check metrics` on the scraped text: the exposition parses and
/// passes Prometheus' own lint. Without promtool the check is skipped with a
/// message, except in CI (`CI=true`), where `.ci/run` installs it.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "promtool is not installed, and CI must run `promtool check metrics` (.ci/run installs Debian's prometheus package)"
            );
            eprintln!(
                "SKIPPED promtool check: promtool not found (apt-get install prometheus); the rest of the test ran"
            );
            return;
        }
        Err(error) => panic!("cannot run promtool: {error}"),
    };
    child
        .stdin
        .take()
        .expect("promtool stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- scraped text ---\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// Registers a push consumer of GROUP on TOPIC and a producer, by
/// HEART_BEAT on a connection of their own (kept open: registrations live
/// as long as the connection).
fn register_clients(broker: &BrokerProcess) -> RawClient {
    let mut client = broker.client();
    let mut heartbeat = client.request(34, &[]);
    heartbeat.body = format!(
        r#"{{"clientID":"127.0.0.1@4343#metrics","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{GROUP}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":0,"tagsSet":[],"topic":"{TOPIC}"}}],"unitMode":false}}],"producerDataSet":[{{"groupName":"metrics_pg"}}]}}"#
    )
    .into_bytes()
    .into();
    heartbeat.language = plugin_api::codec::LanguageCode::Java;
    client.send(&heartbeat);
    let response = loop {
        let frame = client.read_frame().expect("heartbeat response");
        if frame.is_response() {
            break frame;
        }
    };
    assert_eq!(response.code, 0, "{:?}", response.remark);
    client
}

/// Waits until the dispatch made `expected` messages of queue 0 visible.
fn wait_for_max_offset(client: &mut RawClient, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = client.call_code(30, &[("topic", TOPIC), ("queueId", "0")]);
        if response.ext("offset") == Some(&expected.to_string()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "queue never reached offset {expected}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn prometheus_endpoint_counts_the_traffic_and_passes_promtool() {
    let (broker, metrics) = broker_with_metrics();
    let _clients = register_clients(&broker);
    let before = scrape(metrics);
    let served_before = before.sum(
        "rocketmq_plugin_requests_served_total",
        &[("processor", "send")],
    );
    let rpc_310 = [
        ("request_code", "send_message_v2"),
        ("response_code", "success"),
    ];
    let rpc_before = before.sum("rocketmq_rpc_latency_count", &rpc_310);

    // Traffic: SENT messages to queue 0, one pull of all of them, and a
    // committed offset of 2 (so 3 are consumed-but-uncommitted lag).
    let mut client = broker.client();
    let body = vec![b'x'; 100];
    for i in 0..SENT {
        let response = client.send_message(TOPIC, 0, "TagA", &format!("k{i}"), &body);
        assert_eq!(response.code, 0, "{:?}", response.remark);
    }
    wait_for_max_offset(&mut client, SENT as i64);
    let pulled = client.pull(&Pull {
        group: GROUP,
        topic: TOPIC,
        queue_id: 0,
        offset: 0,
        sys_flag: 0x4,
        subscription: Some("*"),
        suspend_ms: 0,
    });
    assert_eq!(pulled.code, 0, "{:?}", pulled.remark);
    let committed = client.call_code(
        15,
        &[
            ("consumerGroup", GROUP),
            ("topic", TOPIC),
            ("queueId", "0"),
            ("commitOffset", "2"),
        ],
    );
    assert_eq!(committed.code, 0, "{:?}", committed.remark);

    let after = scrape(metrics);
    promtool_check(&after.text);

    // Every series carries Java's common labels.
    assert!(
        after
            .samples
            .iter()
            .all(|(_, labels, _)| labels.get("cluster").map(String::as_str)
                == Some("DefaultCluster")
                && labels.get("node_id").map(String::as_str) == Some("broker-a")
                && labels.get("node_type").map(String::as_str) == Some("broker")),
        "{}",
        after.text
    );

    // Messages and bytes in and out, by topic (and group), as Java labels them.
    let topic = [("topic", TOPIC)];
    assert_eq!(
        after.sum(
            "rocketmq_messages_in_total",
            &[
                ("topic", TOPIC),
                ("message_type", "normal"),
                ("is_system", "false")
            ]
        ),
        SENT as f64,
        "{}",
        after.text
    );
    let bytes_in = after.sum("rocketmq_throughput_in_total", &topic);
    assert!(bytes_in >= (SENT * body.len()) as f64, "{bytes_in}");
    assert_eq!(
        after.sum("rocketmq_message_size_count", &topic),
        SENT as f64
    );
    let out = [
        ("topic", TOPIC),
        ("consumer_group", GROUP),
        ("is_retry", "false"),
    ];
    assert_eq!(after.sum("rocketmq_messages_out_total", &out), SENT as f64);
    assert!(after.sum("rocketmq_throughput_out_total", &out) >= bytes_in);

    // RPC latency by request and response code: one observation per send.
    assert_eq!(
        after.sum("rocketmq_rpc_latency_count", &rpc_310) - rpc_before,
        SENT as f64,
        "{}",
        after.text
    );
    assert_eq!(
        after.count(
            "rocketmq_rpc_latency_bucket",
            &[("request_code", "send_message_v2"), ("le", "+Inf")]
        ),
        1
    );
    assert!(
        after.sum(
            "rocketmq_rpc_latency_count",
            &[("request_code", "pull_message")]
        ) >= 1.0
    );
    assert!(
        after.sum(
            "rocketmq_rpc_latency_count",
            &[("request_code", "heart_beat")]
        ) >= 1.0
    );

    // The platform's own: the send processor served the sends, and reports
    // its version and queue.
    let served_after = after.sum(
        "rocketmq_plugin_requests_served_total",
        &[("processor", "send")],
    );
    assert!(
        served_after - served_before >= SENT as f64,
        "served {served_before} -> {served_after}"
    );
    assert_eq!(
        after.count("rocketmq_plugin_info", &[("processor", "send")]),
        1
    );
    assert_eq!(
        after.count("rocketmq_plugin_queue_depth", &[("processor", "pull")]),
        1
    );
    assert_eq!(
        after.sum("rocketmq_plugin_panics_total", &[("processor", "send")]),
        0.0
    );
    assert_eq!(
        after.sum("rocketmq_plugin_reloads_total", &[("processor", "send")]),
        0.0
    );
    assert_eq!(
        after.count("rocketmq_processor_watermark", &[("processor", "send")]),
        1
    );

    // Lag of the group on the topic: 5 stored, 5 pulled, 2 committed.
    let lag = [
        ("consumer_group", GROUP),
        ("topic", TOPIC),
        ("is_retry", "false"),
    ];
    assert_eq!(
        after.sum("rocketmq_consumer_lag_messages", &lag),
        3.0,
        "{}",
        after.text
    );
    assert_eq!(after.sum("rocketmq_consumer_inflight_messages", &lag), 3.0);
    assert_eq!(after.sum("rocketmq_consumer_ready_messages", &lag), 0.0);

    // Connections of the registered clients.
    assert_eq!(
        after.sum(
            "rocketmq_consumer_connections",
            &[
                ("consumer_group", GROUP),
                ("language", "java"),
                ("consume_mode", "push"),
                ("version", "v5_3_3")
            ]
        ),
        1.0,
        "{}",
        after.text
    );
    assert!(after.sum("rocketmq_producer_connections", &[("language", "java")]) >= 1.0);

    // Storage.
    assert!(after.sum("rocketmq_storage_size", &[("storage_type", "local")]) > 0.0);
    assert_eq!(after.count("rocketmq_storage_flush_behind_bytes", &[]), 1);
    assert_eq!(
        after.count("rocketmq_storage_dispatch_behind_bytes", &[]),
        1
    );

    // Other paths and methods.
    assert_eq!(
        http_get(metrics, "GET", "/other").0,
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        http_get(metrics, "POST", "/metrics").0,
        "HTTP/1.1 405 Method Not Allowed"
    );
}

#[test]
fn the_endpoint_stops_with_the_broker() {
    let (mut broker, metrics) = broker_with_metrics();
    assert_eq!(http_get(metrics, "GET", "/metrics").0, "HTTP/1.1 200 OK");
    let status = broker.terminate();
    assert!(status.success(), "{status}:\n{}", broker.log());
    assert!(
        TcpStream::connect(metrics).is_err(),
        "the metrics port still accepts after shutdown"
    );
    assert!(
        broker.log().contains("metrics endpoint listening"),
        "{}",
        broker.log()
    );
}
