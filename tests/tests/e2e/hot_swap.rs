//! Hot swap of processors in a running broker (real process, real
//! libraries): the send plugin swapped 20 times between two builds under
//! load from the stock client without a failed send or a lost message;
//! broken, missing and incompatible libraries refused while the old
//! processor keeps serving; rollback; removed entries; pool changes; and
//! plugin management refused from a non-loopback address.
//!
//! The second send build is the same source compiled with
//! `BROKER_PLUGIN_VERSION=0.1.0-b` (see `plugin_api::plugin_version!`) into
//! its own target directory, so the main build is untouched.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use e2e_tests::stock_client::{
    numbered_index, numbered_message, start_consumer, start_producer, wait_for, Collector,
    ConsumerSpec, Direction, StockRuntime, WireTap,
};
use e2e_tests::{
    broker_binary, plugin_library, target_dir, workspace_root, BrokerProcess, BrokerSetup,
    RawClient,
};
use plugin_api::codec::RemotingCommand;
use plugin_api::serde_json::{self, Value};
use rocketmq_client_rust::{DefaultMQProducer, SendStatus};
use rocketmq_model::common::message::message_single::Message;

pub(crate) const LIST: i32 = 9100;
pub(crate) const RELOAD: i32 = 9101;
pub(crate) const ROLLBACK: i32 = 9102;
pub(crate) const GET_BROKER_STATS: i32 = 9200;

/// The version the second send build reports.
pub(crate) const B_VERSION: &str = "0.1.0-b";
/// Readiness deadline for anything the broker does after a request or signal.
pub(crate) const READY: Duration = Duration::from_secs(120);
/// Readiness deadline for the consumer to catch up (debug build, 2 cores).
const CATCH_UP: Duration = Duration::from_secs(300);
/// After everything arrived, how long late duplicates get to show up.
const SETTLE: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------
// The libraries

/// Runs `cargo build` with these arguments and environment; panics on failure.
pub(crate) fn cargo_build(args: &[&str], target: &Path, env: &[(&str, &str)]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .arg("build")
        .arg("--quiet")
        .args(args)
        .arg("--target-dir")
        .arg(target)
        .envs(env.iter().copied())
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build {args:?} failed");
}

pub(crate) fn dll(dir: &Path, crate_name: &str) -> PathBuf {
    dir.join(format!(
        "{}{crate_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// The send plugin built again, reporting version [`B_VERSION`], once per run.
pub(crate) fn send_plugin_b() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = target_dir().join("fixtures").join("send-b");
            let manifest = workspace_root().join("Cargo.toml");
            cargo_build(
                &[
                    "--manifest-path",
                    manifest.to_str().expect("utf-8 path"),
                    "-p",
                    "send-plugin",
                ],
                &target,
                &[("BROKER_PLUGIN_VERSION", B_VERSION)],
            );
            dll(&target.join("debug"), "send_plugin")
        })
        .clone()
}

/// `tests/fixtures/incompatible-plugin`, built as `plugin_loading.rs` builds it.
pub(crate) fn incompatible_plugin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = target_dir().join("fixtures");
            let manifest = workspace_root().join("tests/fixtures/incompatible-plugin/Cargo.toml");
            cargo_build(
                &["--manifest-path", manifest.to_str().expect("utf-8 path")],
                &target,
                &[],
            );
            dll(&target.join("debug"), "incompatible_plugin")
        })
        .clone()
}

/// A file that is not a library at all.
pub(crate) fn garbage_library(dir: &Path) -> PathBuf {
    let path = dll(dir, "garbage_send");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let bytes: Vec<u8> = (0..16 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&path, bytes).expect("write the garbage library");
    path
}

// ---------------------------------------------------------------------------
// The manifest

/// The broker's manifest as the tests rewrite it.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) send_library: PathBuf,
    pub(crate) send_threads: usize,
    pub(crate) send_queue_capacity: usize,
    pub(crate) pull: bool,
    pub(crate) stats: bool,
    /// Extra lines of the stats entry (e.g. a `[processor.settings]` table).
    pub(crate) stats_extra: String,
}

impl Manifest {
    pub(crate) fn new(send_library: &Path) -> Manifest {
        Manifest {
            send_library: send_library.to_owned(),
            send_threads: 2,
            send_queue_capacity: 10_000,
            pull: true,
            stats: true,
            stats_extra: String::new(),
        }
    }

    pub(crate) fn render(&self) -> String {
        let entry = |name: &str, library: &Path, extra: &str| {
            format!(
                "[[processor]]\nname = \"{name}\"\nlibrary = {:?}\n{extra}\n",
                library.display().to_string()
            )
        };
        let mut text = entry(
            "send",
            &self.send_library,
            &format!(
                "threads = {}\nqueue_capacity = {}",
                self.send_threads, self.send_queue_capacity
            ),
        );
        if self.pull {
            text += &entry("pull", &plugin_library("pull_plugin"), "fast_port = false");
            text += &entry("heartbeat", &plugin_library("heartbeat_plugin"), "");
        }
        text += &entry("route", &plugin_library("route_plugin"), "");
        if self.stats {
            text += &entry(
                "stats",
                &plugin_library("stats_plugin"),
                &format!("threads = 1\n{}", self.stats_extra),
            );
        }
        text
    }

    pub(crate) fn start(&self) -> BrokerProcess {
        BrokerProcess::start(BrokerSetup {
            manifest: self.render(),
            ..BrokerSetup::default()
        })
    }

    pub(crate) fn write(&self, broker: &BrokerProcess) {
        std::fs::write(broker.manifest_path(), self.render()).expect("rewrite the manifest");
    }
}

// ---------------------------------------------------------------------------
// Management

/// One row of the 9100 listing.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) library: String,
    pub(crate) hash: String,
    pub(crate) codes: Vec<i64>,
    pub(crate) threads: u64,
    pub(crate) queue_capacity: u64,
    /// `sinceLoad.served`: requests run by the version now loaded.
    pub(crate) served: u64,
    pub(crate) errors: u64,
    pub(crate) previous_version: Option<String>,
    pub(crate) abi: String,
    pub(crate) private_copy: Option<String>,
    pub(crate) loaded_at: i64,
    /// `lifetime.served`: every version under this name, since the broker started.
    pub(crate) lifetime_served: u64,
    pub(crate) builtin: bool,
}

pub(crate) fn list(client: &mut RawClient) -> Vec<Listed> {
    let response = client.call_code(LIST, &[]);
    assert_eq!(response.code, 0, "listing refused: {:?}", response.remark);
    let json: Value = serde_json::from_slice(&response.body).expect("the listing is JSON");
    json.as_array()
        .expect("the listing is an array")
        .iter()
        .map(|p| Listed {
            name: p["name"].as_str().unwrap().to_owned(),
            version: p["version"].as_str().unwrap().to_owned(),
            library: p["library"].as_str().unwrap().to_owned(),
            hash: p["hash"].as_str().unwrap().to_owned(),
            codes: p["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_i64().unwrap())
                .collect(),
            threads: p["threads"].as_u64().unwrap(),
            queue_capacity: p["queueCapacity"].as_u64().unwrap(),
            served: p["sinceLoad"]["served"].as_u64().unwrap(),
            errors: p["sinceLoad"]["errors"].as_u64().unwrap(),
            previous_version: p["previousVersion"].as_str().map(str::to_owned),
            abi: p["abi"].as_str().unwrap().to_owned(),
            private_copy: p["privateCopy"].as_str().map(str::to_owned),
            loaded_at: p["loadedAt"].as_i64().unwrap(),
            lifetime_served: p["lifetime"]["served"].as_u64().unwrap(),
            builtin: p["builtin"].as_bool().unwrap(),
        })
        .collect()
}

pub(crate) fn listed(client: &mut RawClient, name: &str) -> Option<Listed> {
    list(client).into_iter().find(|p| p.name == name)
}

pub(crate) fn send_listing(client: &mut RawClient) -> Listed {
    listed(client, "send").expect("send is listed")
}

/// Polls until `probe` gives a value (a readiness wait, not a timing check).
pub(crate) fn wait_until<T>(
    what: &str,
    broker: &BrokerProcess,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + READY;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what}\n--- broker log ---\n{}",
            broker.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `broker-host plugins --addr ADDR ARGS...`: (exit success, stdout + stderr).
pub(crate) fn cli(addr: SocketAddr, args: &[&str]) -> (bool, String) {
    let output = Command::new(broker_binary())
        .arg("plugins")
        .arg("--addr")
        .arg(addr.to_string())
        .args(args)
        .output()
        .expect("run broker-host plugins");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// How a swap is triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    Sighup,
    AdminRequest,
    Cli,
}

/// Triggers a reload; for the request and CLI, returns the report text.
pub(crate) fn reload(
    broker: &BrokerProcess,
    client: &mut RawClient,
    trigger: Trigger,
) -> Option<String> {
    match trigger {
        Trigger::Sighup => {
            broker.signal("HUP");
            None
        }
        Trigger::AdminRequest => {
            let response = client.call_code(RELOAD, &[]);
            assert_eq!(
                response.code,
                0,
                "reload failed: {:?}\n{}",
                response.remark,
                broker.log()
            );
            Some(String::from_utf8_lossy(&response.body).into_owned())
        }
        Trigger::Cli => {
            let (ok, output) = cli(broker.addr(), &["reload"]);
            assert!(ok, "broker-host plugins reload failed: {output}");
            Some(output)
        }
    }
}

// ---------------------------------------------------------------------------
// Raw sends (for the tests that need no consumer)

pub(crate) fn raw_send(client: &mut RawClient, topic: &str, key: &str) -> RemotingCommand {
    let body = format!("body of {key}");
    client.send_message(topic, 0, "TagA", key, body.as_bytes())
}

/// Sends `count` messages and asserts each succeeded.
pub(crate) fn sends_succeed(client: &mut RawClient, topic: &str, label: &str, count: usize) {
    for i in 0..count {
        let response = raw_send(client, topic, &format!("{label}-{i}"));
        assert_eq!(
            response.code, 0,
            "send {label}-{i} failed: {:?}",
            response.remark
        );
    }
}

// ---------------------------------------------------------------------------
// 20 swaps under load

/// Sets the flag when dropped (also when the swapping thread panics).
pub(crate) struct StopOnDrop<'a>(pub(crate) &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// What the swapping thread saw.
#[derive(Debug, Default)]
struct SwapLog {
    /// (trigger, old version, new version, served by the new version when checked).
    swaps: Vec<(Trigger, String, String, u64)>,
}

/// Swaps the send plugin `count` times between the two builds, alternating
/// SIGHUP, the 9101 request and the CLI; after each swap waits until the
/// listing shows the new version serving sends.
fn drive_swaps(
    broker: &BrokerProcess,
    manifest: &Manifest,
    builds: [(&Path, &str); 2],
    count: usize,
) -> SwapLog {
    let mut client = broker.client();
    let mut manifest = manifest.clone();
    let mut log = SwapLog::default();
    // Load is flowing before the first swap.
    wait_until("the first sends served", broker, || {
        (send_listing(&mut client).served >= 20).then_some(())
    });
    let codes = send_listing(&mut client).codes;
    for swap in 0..count {
        let before = send_listing(&mut client);
        let (library, version) = builds[(swap + 1) % 2];
        assert_eq!(
            before.version,
            builds[swap % 2].1,
            "swap {swap} starts from"
        );
        manifest.send_library = library.to_owned();
        manifest.write(broker);
        let trigger = [Trigger::Sighup, Trigger::AdminRequest, Trigger::Cli][swap % 3];
        if let Some(report) = reload(broker, &mut client, trigger) {
            let expected = format!(
                "send: codes {codes:?}, version {} -> {version} (library {}",
                before.version,
                library.display()
            );
            assert!(
                report.contains(&expected),
                "swap {swap} ({trigger:?}) reports `{expected}`: {report}"
            );
        }
        // The listing shows the new version, from the new library, serving.
        let after = wait_until(
            &format!("swap {swap} ({trigger:?}) to {version} serving"),
            broker,
            || {
                let now = send_listing(&mut client);
                (now.version == version && now.served >= 10).then_some(now)
            },
        );
        assert_eq!(after.library, library.display().to_string());
        assert_eq!(
            after.previous_version.as_deref(),
            Some(before.version.as_str())
        );
        assert_ne!(after.hash, before.hash, "the two builds differ");
        assert_eq!(after.errors, 0, "no send answered an error: {after:?}");
        log.swaps
            .push((trigger, before.version, version.to_owned(), after.served));
    }
    log
}

/// One send loop of the producer: sync sends, one after the other, until
/// `stop`; each result or error recorded.
pub(crate) async fn send_loop(
    producer: &DefaultMQProducer,
    topic: &str,
    next: &AtomicUsize,
    stop: &AtomicBool,
    sent: &Mutex<HashMap<usize, String>>,
    failures: &Mutex<Vec<String>>,
) {
    while !stop.load(Ordering::SeqCst) {
        let index = next.fetch_add(1, Ordering::SeqCst);
        let outgoing = numbered_message(index);
        let message = Message::builder()
            .topic(topic)
            .tags(outgoing.tag.as_str())
            .key(outgoing.key.as_str())
            .body(outgoing.body.clone())
            .build()
            .expect("valid message");
        match producer.send(message).await {
            Ok(Some(result)) if result.send_status == SendStatus::SendOk => {
                let id = result.msg_id.map(|id| id.to_string()).unwrap_or_default();
                sent.lock().unwrap().insert(index, id);
            }
            Ok(Some(result)) => failures
                .lock()
                .unwrap()
                .push(format!("{}: {result:?}", outgoing.key)),
            Ok(None) => failures
                .lock()
                .unwrap()
                .push(format!("{}: no SendResult", outgoing.key)),
            Err(error) => failures
                .lock()
                .unwrap()
                .push(format!("{}: {error}", outgoing.key)),
        }
    }
}

#[test]
fn twenty_swaps_of_the_send_plugin_under_load_lose_nothing() {
    const TOPIC: &str = "HotSwapTopic";
    const SWAPS: usize = 20;
    const SEND_LANES: usize = 2;
    let library_b = send_plugin_b();
    let library_a = plugin_library("send_plugin");
    let manifest = Manifest::new(&library_a);
    let broker = manifest.start();
    let version_a = send_listing(&mut broker.client()).version;
    assert_ne!(version_a, B_VERSION);
    // The producer's traffic goes through a recording relay: every send
    // request and response on the wire is counted.
    let tap = WireTap::start(broker.addr());

    let rt = StockRuntime::new("hot-swap");
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let sent: Mutex<HashMap<usize, String>> = Mutex::default();
    let failures: Mutex<Vec<String>> = Mutex::default();
    let collector = Collector::default();

    let swap_log = std::thread::scope(|scope| {
        let (mut producer, mut consumer) = rt.block_on(async {
            let producer = start_producer(&rt, tap.addr(), "hot_swap_producer").await;
            let consumer = start_consumer(
                &rt,
                broker.addr(),
                &ConsumerSpec::new("hot_swap_consumer", TOPIC, "*"),
                &collector,
            )
            .await;
            (producer, consumer)
        });
        let swapper = scope.spawn(|| {
            let _stop = StopOnDrop(&stop);
            drive_swaps(
                &broker,
                &manifest,
                [
                    (library_a.as_path(), version_a.as_str()),
                    (library_b.as_path(), B_VERSION),
                ],
                SWAPS,
            )
        });
        rt.block_on(async {
            let lanes = (0..SEND_LANES)
                .map(|_| send_loop(&producer, TOPIC, &next, &stop, &sent, &failures));
            futures::future::join_all(lanes).await;
            producer.shutdown().await;
        });
        let swap_log = match swapper.join() {
            Ok(log) => log,
            Err(panic) => std::panic::resume_unwind(panic),
        };

        let sent_keys: Vec<String> = {
            let sent = sent.lock().unwrap();
            let mut keys: Vec<usize> = sent.keys().copied().collect();
            keys.sort_unstable();
            keys.into_iter().map(|i| numbered_message(i).key).collect()
        };
        rt.block_on(async {
            let caught_up = wait_for(CATCH_UP, || {
                let acked = collector.acked_keys();
                sent_keys.iter().all(|k| acked.contains(k))
            })
            .await;
            let acked = collector.acked_keys();
            let missing: Vec<&String> = sent_keys
                .iter()
                .filter(|k| !acked.contains(*k))
                .take(20)
                .collect();
            assert!(
                caught_up,
                "{} sent messages never consumed, e.g. {missing:?}",
                sent_keys.len() - acked.len().min(sent_keys.len())
            );
            tokio::time::sleep(SETTLE).await;
            consumer.shutdown().await;
        });
        swap_log
    });

    // Zero failed sends, as the client saw them...
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "failed sends: {failures:#?}");
    let sent = sent.into_inner().unwrap();
    // ...and on the wire: every send request answered SUCCESS.
    let frames = tap.frames();
    let send_requests: Vec<&RemotingCommand> = frames
        .iter()
        .filter(|(d, c)| {
            *d == Direction::ToBroker && !c.is_response() && matches!(c.code, 10 | 310)
        })
        .map(|(_, c)| c)
        .collect();
    let answers: HashMap<i32, i32> = frames
        .iter()
        .filter(|(d, c)| *d == Direction::ToClient && c.is_response())
        .map(|(_, c)| (c.opaque, c.code))
        .collect();
    let failed_on_wire: Vec<(i32, Option<&i32>)> = send_requests
        .iter()
        .map(|r| (r.opaque, answers.get(&r.opaque)))
        .filter(|(_, code)| *code != Some(&0))
        .take(20)
        .collect();
    assert!(
        failed_on_wire.is_empty(),
        "send requests not answered SUCCESS (opaque, code): {failed_on_wire:?}"
    );
    let retried = send_requests.len() - sent.len();

    // Every sent message consumed; duplicates only as far as retries explain.
    let deliveries = collector.deliveries();
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for delivery in deliveries.iter().filter(|d| d.acked) {
        let index = numbered_index(delivery.key()).expect("a key we sent");
        assert!(
            sent.contains_key(&index),
            "{} was consumed but its send never succeeded",
            delivery.key()
        );
        assert_eq!(
            delivery.uniq_key.as_deref(),
            Some(sent[&index].as_str()),
            "{} is the message the broker acknowledged",
            delivery.key()
        );
        assert_eq!(
            delivery.body,
            numbered_message(index).body,
            "body of {}",
            delivery.key()
        );
        *per_key.entry(delivery.key().to_owned()).or_default() += 1;
    }
    assert_eq!(per_key.len(), sent.len(), "every sent message consumed");
    let duplicates: usize = per_key.values().map(|n| n - 1).sum();
    let mut stats_client = broker.client();
    let stats = stats_client.call_code(GET_BROKER_STATS, &[("topic", TOPIC)]);
    assert_eq!(stats.code, 0, "{:?}", stats.remark);
    let stored: usize = stats
        .ext("totalMessageCount")
        .and_then(|n| n.parse().ok())
        .expect("totalMessageCount");
    if retried == 0 {
        assert_eq!(stored, sent.len(), "one stored message per send");
        assert_eq!(duplicates, 0, "nothing retried, so nothing delivered twice");
    } else {
        assert!(
            duplicates <= retried && stored <= sent.len() + retried,
            "{duplicates} duplicates, {stored} stored, but only {retried} retried sends"
        );
    }

    // 20 swaps, each announced in the log with old -> new version.
    assert_eq!(swap_log.swaps.len(), SWAPS);
    let log = broker.log();
    let change_lines = log
        .lines()
        .filter(|l| l.contains("processor change: send: codes") && l.contains(" -> "))
        .count();
    assert_eq!(change_lines, SWAPS, "one log line per swap:\n{log}");
    for (trigger, old, new, served) in &swap_log.swaps {
        eprintln!(
            "swap via {trigger:?}: {old} -> {new}, new version served {served} sends when checked"
        );
    }
    eprintln!(
        "{} messages sent and consumed across {SWAPS} swaps ({} send requests on the wire, {retried} retried, {duplicates} duplicate deliveries)",
        sent.len(),
        send_requests.len()
    );
}

// ---------------------------------------------------------------------------
// Refusals and rollback

#[test]
fn broken_missing_and_incompatible_libraries_are_refused_while_the_old_send_serves_and_rollback_restores(
) {
    let library_a = plugin_library("send_plugin");
    let library_b = send_plugin_b();
    let incompatible = incompatible_plugin();
    let mut manifest = Manifest::new(&library_a);
    manifest.pull = false;
    manifest.stats = false;
    let broker = manifest.start();
    let mut client = broker.client();
    let mut sender = broker.client();
    sends_succeed(&mut sender, "SwapRefusals", "before", 3);
    let original = send_listing(&mut client);
    assert_eq!(original.library, library_a.display().to_string());
    let version_a = original.version.clone();

    let garbage = garbage_library(broker.dir.path());
    let missing = broker.dir.path().join("libnot_there.so");
    let cases: [(&Path, String); 3] = [
        (
            &garbage,
            format!("cannot load plugin library {}", garbage.display()),
        ),
        (&missing, format!("plugin library {} does not exist", missing.display())),
        (
            &incompatible,
            format!(
                "plugin library {} was built against plugin-api ABI 99.0.0, but this broker expects ABI {}",
                incompatible.display(),
                plugin_api::ffi::ABI_VERSION
            ),
        ),
    ];
    for (round, (library, reason)) in cases.iter().enumerate() {
        manifest.send_library = library.to_path_buf();
        manifest.write(&broker);
        let served_before = send_listing(&mut client).served;
        let response = client.call_code(RELOAD, &[]);
        assert_eq!(response.code, 1, "the reload is refused: {response:?}");
        let remark = response.remark.clone().unwrap_or_default();
        assert!(
            remark.contains("FAILED send: ") && remark.contains(reason.as_str()),
            "the refusal names the entry, the library and the reason `{reason}`: {remark}"
        );
        // The old processor keeps serving.
        sends_succeed(&mut sender, "SwapRefusals", &format!("refused-{round}"), 3);
        let now = send_listing(&mut client);
        assert_eq!(
            (
                now.version.as_str(),
                now.library.as_str(),
                now.hash.as_str()
            ),
            (
                version_a.as_str(),
                original.library.as_str(),
                original.hash.as_str()
            ),
            "still the original send processor"
        );
        assert!(now.served >= served_before + 3, "{now:?}");
        assert_eq!(now.previous_version, None, "a refused load is no version");
    }
    assert!(
        broker
            .log()
            .contains("reload refused, the running processors are unchanged: send: "),
        "{}",
        broker.log()
    );
    // The CLI reports the refusal with a failing exit status.
    let (ok, output) = cli(broker.addr(), &["reload"]);
    assert!(!ok, "the CLI fails on a refused reload: {output}");
    assert!(
        output.contains("was built against plugin-api ABI 99.0.0"),
        "{output}"
    );

    // A good build swaps in; rollback puts the original back, and back again.
    manifest.send_library = library_b.clone();
    manifest.write(&broker);
    let response = client.call_code(RELOAD, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    sends_succeed(&mut sender, "SwapRefusals", "on-b", 3);
    let on_b = send_listing(&mut client);
    assert_eq!(on_b.version, B_VERSION);
    assert_eq!(on_b.previous_version.as_deref(), Some(version_a.as_str()));
    assert!(on_b.served >= 3);

    let response = client.call_code(ROLLBACK, &[("name", "send")]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let report = String::from_utf8_lossy(&response.body);
    assert!(
        report.contains(&format!(
            "send: codes {:?}, version {B_VERSION} -> {version_a}",
            on_b.codes
        )),
        "{report}"
    );
    sends_succeed(&mut sender, "SwapRefusals", "rolled-back", 3);
    let rolled_back = send_listing(&mut client);
    assert_eq!(rolled_back.version, version_a);
    assert_eq!(rolled_back.library, library_a.display().to_string());
    assert_eq!(rolled_back.hash, original.hash);
    assert_eq!(rolled_back.previous_version.as_deref(), Some(B_VERSION));
    assert!(rolled_back.served >= 3, "{rolled_back:?}");
    assert!(broker.log().contains("processor rollback: send: codes"));

    // Through the CLI: a rollback of the rollback is B again.
    let (ok, output) = cli(broker.addr(), &["rollback", "send"]);
    assert!(ok, "{output}");
    assert!(
        output.contains(&format!("version {version_a} -> {B_VERSION}")),
        "{output}"
    );
    sends_succeed(&mut sender, "SwapRefusals", "rolled-forward", 3);
    assert_eq!(send_listing(&mut client).version, B_VERSION);

    // Errors: an unknown name, no name.
    let unknown = client.call_code(ROLLBACK, &[("name", "nope")]);
    assert_eq!(
        (unknown.code, unknown.remark.as_deref()),
        (
            1,
            Some("no processor named nope; the processors are: send, route")
        )
    );
    let no_name = client.call_code(ROLLBACK, &[]);
    assert_eq!(no_name.code, 1);
    let route = listed(&mut client, "route").expect("route is listed");
    let no_previous = client.call_code(ROLLBACK, &[("name", "route")]);
    assert_eq!(no_previous.code, 1, "{route:?} has no previous version");
    assert!(no_previous
        .remark
        .unwrap_or_default()
        .contains("has no previous version"),);
}

// ---------------------------------------------------------------------------
// Removed entries, pool changes

#[test]
fn a_removed_entry_answers_3_and_pool_changes_apply_on_reload() {
    let library_a = plugin_library("send_plugin");
    let mut manifest = Manifest::new(&library_a);
    manifest.pull = false;
    let broker = manifest.start();
    let mut client = broker.client();
    let mut sender = broker.client();
    assert_eq!(client.call_code(GET_BROKER_STATS, &[]).code, 0);
    sends_succeed(&mut sender, "SwapRemoval", "before", 2);
    let before = send_listing(&mut client);
    assert_eq!((before.threads, before.queue_capacity), (2, 10_000));

    manifest.stats = false;
    manifest.send_threads = 3;
    manifest.send_queue_capacity = 500;
    manifest.write(&broker);
    let response = client.call_code(RELOAD, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let report = String::from_utf8_lossy(&response.body);
    assert!(
        report.contains(
            "stats: removed (codes [9200] now answer REQUEST_CODE_NOT_SUPPORTED), was version"
        ),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "send: codes {:?}, version {} -> {}",
            before.codes, before.version, before.version
        )) && report.contains("3 threads, queue 500"),
        "{report}"
    );

    let removed = client.call_code(GET_BROKER_STATS, &[]);
    assert_eq!(removed.code, 3, "{:?}", removed.remark);
    assert!(listed(&mut client, "stats").is_none());
    sends_succeed(&mut sender, "SwapRemoval", "after", 2);
    let after = send_listing(&mut client);
    assert_eq!((after.threads, after.queue_capacity), (3, 500));
    assert_eq!(
        (after.version.as_str(), after.hash.as_str()),
        (before.version.as_str(), before.hash.as_str()),
        "same library, new pool"
    );
    assert!(after.served >= 2);

    // Put it back with SIGHUP: served again.
    manifest.stats = true;
    manifest.write(&broker);
    broker.signal("HUP");
    wait_until("9200 served again after SIGHUP", &broker, || {
        (client.call_code(GET_BROKER_STATS, &[]).code == 0).then_some(())
    });
    let stats = listed(&mut client, "stats").expect("stats is listed again");
    assert_eq!(stats.codes, vec![i64::from(GET_BROKER_STATS)]);

    // A reload with nothing changed changes nothing.
    let response = client.call_code(RELOAD, &[]);
    assert_eq!(
        (
            response.code,
            String::from_utf8_lossy(&response.body).trim()
        ),
        (0, "no changes")
    );
}

// ---------------------------------------------------------------------------
// Loopback only

/// A local non-loopback IPv4 address of this machine, if it has one (the
/// source address of a UDP "connection" to a public address: nothing is sent).
fn local_non_loopback_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("198.51.100.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn plugin_management_from_a_non_loopback_address_is_refused() {
    let Some(ip) = local_non_loopback_ip() else {
        eprintln!("skipped: this machine has no non-loopback IPv4 address");
        return;
    };
    let mut manifest = Manifest::new(&plugin_library("send_plugin"));
    manifest.pull = false;
    let broker = manifest.start();
    let remote = SocketAddr::new(ip, broker.port);
    if TcpStream::connect(remote).is_err() {
        eprintln!("skipped: cannot reach the broker at {remote}");
        return;
    }
    // Connecting to the machine's own non-loopback address makes that the
    // connection's source address too.
    let mut outside = RawClient::connect(remote);
    for (code, fields) in [
        (LIST, vec![]),
        (RELOAD, vec![]),
        (ROLLBACK, vec![("name", "send")]),
    ] {
        let response = outside.call_code(code, &fields);
        assert_eq!(response.code, 16, "code {code} refused: {response:?}");
        let remark = response.remark.unwrap_or_default();
        assert!(
            remark.contains("plugin management is accepted from loopback only, not from")
                && remark.contains(&ip.to_string()),
            "{remark}"
        );
    }
    // Other codes are served to that address; management is on loopback.
    assert_eq!(outside.call_code(105, &[("topic", "TBW102")]).code, 0);
    assert_eq!(
        outside.call_code(GET_BROKER_STATS, &[]).code,
        0,
        "a custom code is not management"
    );
    assert_eq!(broker.client().call_code(LIST, &[]).code, 0);
}

/// A reload in which an entry would take a code another entry serves is
/// refused for that entry only: the processor it would have replaced, and the
/// unchanged entry that owns the code, keep serving.
#[test]
fn a_reload_that_makes_two_entries_claim_one_code_keeps_both_running_processors() {
    let panic_plugin = plugin_library("panic_plugin");
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin()
            .processor(&panic_plugin, "name = \"a\"\ncodes = [9902]")
            .processor(&panic_plugin, "name = \"b\"\ncodes = [9904]"),
    );
    let mut client = broker.client();
    let manifest = broker.manifest_path();
    let original = std::fs::read_to_string(&manifest).expect("manifest");

    // b (later in the manifest) asks for a's code.
    std::fs::write(
        &manifest,
        original.replace("codes = [9904]", "codes = [9904, 9902]"),
    )
    .expect("rewrite manifest");
    let refused = client.call_code(RELOAD, &[]);
    assert_ne!(
        refused.code, 0,
        "a clashing change is reported as a failure"
    );
    assert!(refused
        .remark
        .as_deref()
        .unwrap_or_default()
        .contains("9902"));
    assert_eq!(
        client.call_code(9904, &[("sleep_millis", "1")]).code,
        0,
        "b keeps its running version"
    );
    assert_eq!(
        client.call_code(9902, &[("text", "a")]).body,
        b"a".to_vec(),
        "a keeps 9902"
    );
    assert_eq!(
        listed(&mut client, "b").expect("b listed").codes,
        vec![9904]
    );

    // a (earlier) asks for b's code: b is unchanged and keeps it; a keeps its old version.
    std::fs::write(
        &manifest,
        original.replace("codes = [9902]", "codes = [9902, 9904]"),
    )
    .expect("rewrite manifest");
    let refused = client.call_code(RELOAD, &[]);
    assert_ne!(refused.code, 0);
    assert_eq!(
        listed(&mut client, "a").expect("a listed").codes,
        vec![9902]
    );
    assert_eq!(
        listed(&mut client, "b").expect("b listed").codes,
        vec![9904]
    );
    assert_eq!(client.call_code(9904, &[("sleep_millis", "1")]).code, 0);
    assert_eq!(client.call_code(9902, &[("text", "a")]).code, 0);
}
