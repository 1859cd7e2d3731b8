//! Helpers over the stock third-party client, `rocketmq-client-rust` 1.0.0
//! (the rocketmq-rust project), used unmodified and pointed at the broker's
//! own address as its name server (the broker answers
//! GET_ROUTEINFO_BY_TOPIC itself).
//!
//! Tests are plain `#[test]` functions: each makes a [`StockRuntime`] (the
//! client never creates a runtime of its own; it runs on the one it is
//! handed) and drives the async client through [`StockRuntime::block_on`].
//! Every wait here is a readiness wait with a generous deadline, never a
//! timing assertion.

use std::collections::HashSet;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use plugin_api::codec::{decode_frame, encode_to_vec, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};
use rocketmq_client_rust::{
    ClientRuntime, ClientRuntimeConfig, ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus,
    ConsumeOrderlyContext, ConsumeOrderlyStatus, DefaultMQProducer, DefaultMQPushConsumer,
    MQPushConsumer, MessageListenerConcurrently, MessageListenerOrderly, SendResult,
    TelemetryHandle,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_runtime::{BlockingPoolPolicy, RuntimeConfig, RuntimeOwner};

pub use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
pub use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

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

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns
/// whether it held. A readiness wait: callers assert on the state afterwards
/// with a message naming what is missing.
pub async fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The tokio runtime and client runtime the stock client runs on.
pub struct StockRuntime {
    owner: Option<RuntimeOwner>,
    client: Arc<ClientRuntime>,
}

impl StockRuntime {
    /// Builds the runtime with [`runtime_config`] and a client runtime on it.
    pub fn new(name: &str) -> StockRuntime {
        init_client_log();
        let owner = RuntimeOwner::plan(runtime_config(name))
            .expect("valid runtime config")
            .build()
            .expect("build the client's tokio runtime");
        let client = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig::default(),
            TelemetryHandle::noop(),
        )
        .expect("client runtime");
        StockRuntime {
            owner: Some(owner),
            client,
        }
    }

    /// The client runtime every producer and consumer builder takes.
    pub fn client_runtime(&self) -> Arc<ClientRuntime> {
        Arc::clone(&self.client)
    }

    /// Runs a future to completion on this runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.owner.as_ref().expect("runtime").block_on(future)
    }
}

impl Drop for StockRuntime {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.take() {
            if !std::thread::panicking() {
                let _ = owner.block_on(self.client.shutdown());
            }
            let _ = owner.shutdown_background();
        }
    }
}

/// The client's runtime profile, widened for tests on small machines.
///
/// The push consumer runs every listener call on the runtime's
/// `metadata_io` blocking lane (`spawn_client_blocking_io_with_context`).
/// Its default size comes from the CPU count (2 × CPUs running, 8 × CPUs
/// queued, 5 s queue wait): on 2 cores a pull batch overflows it, the call
/// fails (`runtime.capacity.exhausted`, `BlockingQueueAdmission` in the
/// client's log), the client treats that as RECONSUME_LATER and the message
/// comes back from the retry topic about 10 s later. Lanes share the
/// runtime's global blocking capacity, so that is raised too.
pub fn runtime_config(name: &str) -> RuntimeConfig {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut config = RuntimeConfig::for_parallelism(name, cpus.max(4))
        .with_max_blocking_threads(256)
        .expect("blocking capacity in range");
    config.blocking_lane_policies.metadata_io = BlockingPoolPolicy {
        name: format!("{name}.metadata-io"),
        max_concurrency: 128,
        max_queue_depth: 1 << 20,
        queue_timeout: Duration::from_secs(600),
        task_timeout: Duration::from_secs(600),
        warn_after: Duration::from_secs(10),
    };
    config.validate().expect("widened runtime config is valid");
    config
}

/// Routes the client's own tracing to the test output (shown for failing
/// tests), filtered by `STOCK_CLIENT_LOG` (default `warn`).
fn init_client_log() {
    let filter = std::env::var("STOCK_CLIENT_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .try_init();
}

/// Starts a producer in `group` with `name_server` (the broker's address).
pub async fn start_producer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    group: &str,
) -> DefaultMQProducer {
    let mut producer = DefaultMQProducer::builder(rt.client_runtime())
        .producer_group(group)
        .name_server_addr(name_server.to_string())
        // Generous for a debug-build broker; a timed-out try would be retried
        // and could store a duplicate.
        .send_msg_timeout(15_000)
        .build();
    producer.start().await.expect("start producer");
    producer
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The single key (`KEYS` property).
    pub key: String,
    /// The tag.
    pub tag: String,
    /// The body.
    pub body: Vec<u8>,
}

/// The tags [`numbered_message`] cycles through.
pub const TAGS: [&str; 3] = ["TagA", "TagB", "TagC"];

/// Message `i` of a deterministic series: key `key-000042`, tag
/// `TAGS[i % 3]`, and a body whose size varies from 1 byte to 64 KiB
/// (every 97th is exactly 64 KiB; every 13th is 4–16 KiB, above the client's
/// 4 KiB compression threshold; odd large bodies compress well, even ones
/// do not). [`numbered_index`] inverts the key.
pub fn numbered_message(i: usize) -> Outgoing {
    let size = if i.is_multiple_of(97) {
        64 * 1024
    } else if i.is_multiple_of(13) {
        4096 + (i * 7919) % 12_288
    } else {
        1 + (i * 37) % 1024
    };
    let mut body = Vec::with_capacity(size);
    let mut state = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    while body.len() < size {
        if i % 2 == 1 {
            body.extend_from_slice(format!("message {i} line {} ", body.len()).as_bytes());
        } else {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            body.extend_from_slice(&state.to_le_bytes());
        }
    }
    body.truncate(size);
    Outgoing {
        key: format!("key-{i:06}"),
        tag: TAGS[i % TAGS.len()].to_owned(),
        body,
    }
}

/// The index in a key made by [`numbered_message`].
pub fn numbered_index(key: &str) -> Option<usize> {
    key.strip_prefix("key-")?.parse().ok()
}

/// Sends every message synchronously (each send awaits its result), with
/// `in_flight` sends outstanding at once; results in input order.
pub async fn send_all(
    producer: &DefaultMQProducer,
    topic: &str,
    messages: &[Outgoing],
    in_flight: usize,
) -> Vec<SendResult> {
    let lanes = in_flight.max(1);
    let lane_results = futures::future::join_all((0..lanes).map(|lane| async move {
        let mut results = Vec::new();
        for index in (lane..messages.len()).step_by(lanes) {
            results.push((index, send_one(producer, topic, &messages[index]).await));
        }
        results
    }))
    .await;
    let mut all: Vec<(usize, SendResult)> = lane_results.into_iter().flatten().collect();
    all.sort_by_key(|(index, _)| *index);
    all.into_iter().map(|(_, result)| result).collect()
}

/// Sends one message synchronously; panics on a failed send.
pub async fn send_one(producer: &DefaultMQProducer, topic: &str, message: &Outgoing) -> SendResult {
    let built = Message::builder()
        .topic(topic)
        .tags(message.tag.as_str())
        .key(message.key.as_str())
        .body(message.body.clone())
        .build()
        .expect("valid message");
    producer
        .send(built)
        .await
        .unwrap_or_else(|error| panic!("send of {} failed: {error}", message.key))
        .unwrap_or_else(|| panic!("sync send of {} returned no SendResult", message.key))
}

/// One delivery to a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MessageExt::msg_id` as the client decoded it.
    pub msg_id: String,
    /// The `UNIQ_KEY` property: the id the producer's SendResult reported.
    pub uniq_key: Option<String>,
    /// Topic (the original topic for a message back from the retry topic).
    pub topic: String,
    /// Keys.
    pub keys: Vec<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Body (decompressed by the client).
    pub body: Vec<u8>,
    /// Queue it was pulled from.
    pub queue_id: i32,
    /// Its offset in that queue.
    pub queue_offset: i64,
    /// How often it was delivered before.
    pub reconsume_times: i32,
    /// False when the listener answered RECONSUME_LATER for this delivery.
    pub acked: bool,
}

impl Received {
    fn of(message: &MessageExt, acked: bool) -> Received {
        Received {
            msg_id: message.msg_id().to_string(),
            uniq_key: message.property("UNIQ_KEY").map(str::to_owned),
            topic: message.topic().to_string(),
            keys: message.keys().unwrap_or_default(),
            tag: message.tags().map(str::to_owned),
            body: message.body().map(|b| b.to_vec()).unwrap_or_default(),
            queue_id: message.queue_id(),
            queue_offset: message.queue_offset(),
            reconsume_times: message.reconsume_times(),
            acked,
        }
    }

    /// The first key.
    pub fn key(&self) -> &str {
        self.keys.first().map_or("", String::as_str)
    }
}

/// Decides which deliveries fail (RECONSUME_LATER) the first time.
pub type FailFirst = Arc<dyn Fn(&Received) -> bool + Send + Sync>;

/// Every delivery a listener saw, shared with the test.
#[derive(Clone, Default)]
pub struct Collector {
    deliveries: Arc<Mutex<Vec<Received>>>,
    failed_once: Arc<Mutex<HashSet<String>>>,
}

impl Collector {
    /// A copy of every delivery so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Received> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Number of deliveries the listener acknowledged.
    pub fn acked_count(&self) -> usize {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.acked)
            .count()
    }

    /// Distinct keys acknowledged.
    pub fn acked_keys(&self) -> HashSet<String> {
        let deliveries = self.deliveries.lock().unwrap();
        deliveries
            .iter()
            .filter(|r| r.acked)
            .map(|r| r.key().to_owned())
            .collect()
    }

    /// Records one delivery; returns whether the listener acknowledges it.
    fn record(&self, message: &MessageExt, fail_first: Option<&FailFirst>) -> bool {
        let mut received = Received::of(message, true);
        if let Some(predicate) = fail_first {
            if predicate(&received)
                && self
                    .failed_once
                    .lock()
                    .unwrap()
                    .insert(received.key().to_owned())
            {
                received.acked = false;
            }
        }
        let acked = received.acked;
        self.deliveries.lock().unwrap().push(received);
        acked
    }
}

/// What a push consumer subscribes to and how it answers.
#[derive(Clone)]
pub struct ConsumerSpec {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Tag expression (`*`, `TagA`, `TagA || TagB`).
    pub expression: String,
    /// Where a group without a committed offset starts.
    pub from: ConsumeFromWhere,
    /// CLUSTERING or BROADCASTING.
    pub model: MessageModel,
    /// Orderly listener instead of concurrently.
    pub orderly: bool,
    /// Deliveries to answer RECONSUME_LATER (orderly: SUSPEND) the first time.
    pub fail_first: Option<FailFirst>,
}

impl ConsumerSpec {
    /// Clustering, concurrently, from the first offset, no failures.
    pub fn new(group: &str, topic: &str, expression: &str) -> ConsumerSpec {
        ConsumerSpec {
            group: group.to_owned(),
            topic: topic.to_owned(),
            expression: expression.to_owned(),
            from: ConsumeFromWhere::ConsumeFromFirstOffset,
            model: MessageModel::Clustering,
            orderly: false,
            fail_first: None,
        }
    }

    /// Fails matching deliveries once.
    pub fn fail_first(
        mut self,
        predicate: impl Fn(&Received) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.fail_first = Some(Arc::new(predicate));
        self
    }
}

struct Listener {
    collector: Collector,
    fail_first: Option<FailFirst>,
}

impl Listener {
    fn all_acked(&self, messages: &[&MessageExt]) -> bool {
        // Record every message of the batch, even after a failure.
        let acked: Vec<bool> = messages
            .iter()
            .map(|m| self.collector.record(m, self.fail_first.as_ref()))
            .collect();
        acked.into_iter().all(|a| a)
    }
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        Ok(if self.all_acked(messages) {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        } else {
            ConsumeConcurrentlyStatus::ReconsumeLater
        })
    }
}

impl MessageListenerOrderly for Listener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &mut ConsumeOrderlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeOrderlyStatus> {
        Ok(if self.all_acked(messages) {
            ConsumeOrderlyStatus::Success
        } else {
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
        })
    }
}

/// A push consumer built from `spec` and subscribed, not yet started.
async fn subscribed_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
) -> DefaultMQPushConsumer {
    let mut consumer = DefaultMQPushConsumer::builder(rt.client_runtime())
        .consumer_group(spec.group.as_str())
        .name_server_addr(name_server.to_string())
        .message_model(spec.model)
        .consume_from_where(spec.from)
        .build();
    consumer
        .subscribe(spec.topic.as_str(), spec.expression.as_str())
        .await
        .expect("subscribe");
    consumer
}

/// Starts a push consumer recording into `collector`.
pub async fn start_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
    collector: &Collector,
) -> DefaultMQPushConsumer {
    let mut consumer = subscribed_consumer(rt, name_server, spec).await;
    let listener = Listener {
        collector: collector.clone(),
        fail_first: spec.fail_first.clone(),
    };
    if spec.orderly {
        consumer.register_message_listener_orderly(listener);
    } else {
        consumer.register_message_listener_concurrently(listener);
    }
    consumer.start().await.expect("start push consumer");
    consumer
}

/// A TCP relay in front of the broker that records every remoting frame
/// each way (the client's request codes and headers, the broker's answers).
/// Point a client's name server at [`WireTap::addr`]: the tap rewrites the
/// broker's address in response bodies (routes, cluster info) to its own,
/// so the client's traffic to the broker as a broker flows through it too.
pub struct WireTap {
    addr: SocketAddr,
    frames: Frames,
    stop: Arc<AtomicBool>,
}

type Frames = Arc<Mutex<Vec<(Direction, RemotingCommand)>>>;

/// Which way a recorded frame went (a frame's flag tells a request from a
/// response: the broker also sends requests, e.g. NOTIFY_CONSUMER_IDS_CHANGED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to broker.
    ToBroker,
    /// Broker to client.
    ToClient,
}

impl WireTap {
    /// Listens on a free loopback port and relays to `broker`, rewriting
    /// the broker's address in response bodies to the tap's own.
    pub fn start(broker: SocketAddr) -> WireTap {
        WireTap::bind(broker, |tap| (broker, tap))
    }

    /// Relays to `target` (e.g. a separate name server), rewriting `from` in
    /// response bodies to `to` (e.g. another tap in front of the broker).
    pub fn relaying(target: SocketAddr, from: SocketAddr, to: SocketAddr) -> WireTap {
        WireTap::bind(target, |_| (from, to))
    }

    fn bind(
        target: SocketAddr,
        rewrite: impl FnOnce(SocketAddr) -> (SocketAddr, SocketAddr),
    ) -> WireTap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind wire tap");
        let tap = WireTap {
            addr: listener.local_addr().expect("tap addr"),
            frames: Arc::default(),
            stop: Arc::default(),
        };
        let (from, to) = rewrite(tap.addr);
        let rewrite = (from.to_string().into_bytes(), to.to_string().into_bytes());
        let (frames, stop) = (Arc::clone(&tap.frames), Arc::clone(&tap.stop));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let (Ok(client), Ok(upstream)) = (client, TcpStream::connect(target)) else {
                    continue;
                };
                let (Ok(client2), Ok(upstream2)) = (client.try_clone(), upstream.try_clone())
                else {
                    continue;
                };
                let (requests, responses) = (Arc::clone(&frames), Arc::clone(&frames));
                let rewrite = rewrite.clone();
                std::thread::spawn(move || {
                    relay(client, upstream, Direction::ToBroker, &requests, None)
                });
                std::thread::spawn(move || {
                    relay(
                        upstream2,
                        client2,
                        Direction::ToClient,
                        &responses,
                        Some(rewrite),
                    )
                });
            }
        });
        tap
    }

    /// The address to give clients as their name server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every frame so far (responses as the broker sent them).
    pub fn frames(&self) -> Vec<(Direction, RemotingCommand)> {
        self.frames.lock().unwrap().clone()
    }

    /// One line per frame: direction, code, opaque, header fields, remark.
    pub fn transcript(&self) -> String {
        self.frames()
            .iter()
            .map(|(direction, c)| {
                format!(
                    "{direction:?} code={} opaque={} flag={} version={} fields={:?} remark={:?} body={}\n",
                    c.code,
                    c.opaque,
                    c.flag,
                    c.version,
                    c.ext_fields,
                    c.remark,
                    String::from_utf8_lossy(&c.body[..c.body.len().min(300)])
                )
            })
            .collect()
    }
}

impl Drop for WireTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies `from` to `to` frame by frame, recording each frame; with
/// `rewrite = (old, new)`, replaces `old` by `new` in frame bodies.
fn relay(
    mut from: TcpStream,
    mut to: TcpStream,
    direction: Direction,
    frames: &Mutex<Vec<(Direction, RemotingCommand)>>,
    rewrite: Option<(Vec<u8>, Vec<u8>)>,
) {
    let mut buffer = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    'read: while let Ok(n) = from.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Ok(Some(mut command)) = decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH) {
            frames.lock().unwrap().push((direction, command.clone()));
            if let Some((old, new)) = &rewrite {
                command.body = replace_bytes(&command.body, old, new).into();
            }
            let encoded = encode_to_vec(&command).expect("re-encode a decoded frame");
            if to.write_all(&encoded).is_err() {
                break 'read;
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}

fn replace_bytes(haystack: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(old.len()).position(|w| w == old) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(new);
        rest = &rest[at + old.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Deliveries of several consumers in one arrival order: each entry names
/// the consumer (its label) that received it.
#[derive(Clone, Default)]
pub struct SharedLog {
    entries: Arc<Mutex<Vec<(String, Received)>>>,
}

impl SharedLog {
    /// A copy of every delivery so far, in arrival order across consumers.
    pub fn entries(&self) -> Vec<(String, Received)> {
        self.entries.lock().unwrap().clone()
    }
}

struct LabeledListener {
    label: String,
    log: SharedLog,
}

impl LabeledListener {
    fn record(&self, messages: &[&MessageExt]) {
        let mut entries = self.log.entries.lock().unwrap();
        for message in messages {
            entries.push((self.label.clone(), Received::of(message, true)));
        }
    }
}

impl MessageListenerConcurrently for LabeledListener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        self.record(messages);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

impl MessageListenerOrderly for LabeledListener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &mut ConsumeOrderlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeOrderlyStatus> {
        self.record(messages);
        Ok(ConsumeOrderlyStatus::Success)
    }
}

/// Starts a push consumer (orderly when `spec.orderly`) that acknowledges
/// everything and records each delivery into `log` under `label`
/// (`spec.fail_first` is ignored).
pub async fn start_labeled_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
    label: &str,
    log: &SharedLog,
) -> DefaultMQPushConsumer {
    let mut consumer = subscribed_consumer(rt, name_server, spec).await;
    let listener = LabeledListener {
        label: label.to_owned(),
        log: log.clone(),
    };
    if spec.orderly {
        consumer.register_message_listener_orderly(listener);
    } else {
        consumer.register_message_listener_concurrently(listener);
    }
    consumer.start().await.expect("start push consumer");
    consumer
}

/// Sends one message to queue `queue_id` of `topic` (the producer's queue
/// selector picks it from the route); panics on a failed send.
pub async fn send_to_queue_id(
    producer: &DefaultMQProducer,
    topic: &str,
    message: &Outgoing,
    queue_id: i32,
) -> SendResult {
    let built = Message::builder()
        .topic(topic)
        .tags(message.tag.as_str())
        .key(message.key.as_str())
        .body(message.body.clone())
        .build()
        .expect("valid message");
    producer
        .send_with_selector(
            built,
            |queues: &[rocketmq_model::common::message::message_queue::MessageQueue],
             _: &Message,
             id: &i32| { queues.iter().find(|q| q.queue_id() == *id).cloned() },
            queue_id,
        )
        .await
        .unwrap_or_else(|error| panic!("send of {} failed: {error}", message.key))
        .unwrap_or_else(|| panic!("sync send of {} returned no SendResult", message.key))
}
