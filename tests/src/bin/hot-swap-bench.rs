//! `hot-swap-bench`: what a hot swap costs a running broker (a benchmark,
//! not a test; figures go to `docs/PERFORMANCE.md`).
//!
//! Starts `broker-host` with only the send plugin, keeps `--senders`
//! connections sending SEND_MESSAGE_V2 (310, 256-byte bodies) synchronously
//! in a loop, and measures each send's round trip:
//!
//! 1. warm-up (not counted), then a steady phase of `--steady-secs`;
//! 2. a swapping phase: `--swaps` swaps of the send plugin between two
//!    builds (the same source, the second compiled with
//!    `BROKER_PLUGIN_VERSION=0.1.0-b`), each by rewriting the manifest and
//!    sending RELOAD_PROCESSORS (9101), `--interval-ms` apart;
//! 3. a steady phase again.
//!
//! It prints send latency percentiles per phase, the reload round trip, and
//! the broker's resident memory before and after the swaps: `VmRSS` and
//! `RssAnon` from `/proc/<pid>/status`, and from `/proc/<pid>/smaps` the
//! resident pages of the mapped plugin library copies (what a swap adds)
//! apart from those of the store's mapped files (which grow with the
//! messages sent, swap or not).
//!
//! ```text
//! cargo build --release -p broker-host -p send-plugin
//! cargo run --release -p e2e-tests --bin hot-swap-bench -- [--profile release|debug]
//!     [--swaps 100] [--senders 4] [--steady-secs 10] [--interval-ms 200]
//! ```
//!
//! The second send build goes to `target/fixtures/send-b` (built here if
//! missing or stale, with the same profile).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e_tests::{free_port_pair, target_dir, workspace_root, RawClient};
use plugin_api::message::encode_properties;

const WARMUP: u8 = 0;
const STEADY_BEFORE: u8 = 1;
const SWAPPING: u8 = 2;
const STEADY_AFTER: u8 = 3;
const PHASES: [(u8, &str); 3] = [
    (STEADY_BEFORE, "steady (before swaps)"),
    (SWAPPING, "during swaps"),
    (STEADY_AFTER, "steady (after swaps)"),
];

struct Options {
    profile: String,
    swaps: usize,
    senders: usize,
    steady: Duration,
    interval: Duration,
}

fn options() -> Options {
    let mut options = Options {
        profile: "release".into(),
        swaps: 100,
        senders: 4,
        steady: Duration::from_secs(10),
        interval: Duration::from_millis(200),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next().unwrap_or_else(|| {
                eprintln!("{flag} needs a value");
                std::process::exit(2)
            })
        };
        let number = |text: String| -> u64 {
            text.parse().unwrap_or_else(|_| {
                eprintln!("not a number: {text}");
                std::process::exit(2)
            })
        };
        match flag.as_str() {
            "--profile" => options.profile = value(),
            "--swaps" => options.swaps = number(value()) as usize,
            "--senders" => options.senders = number(value()).max(1) as usize,
            "--steady-secs" => options.steady = Duration::from_secs(number(value())),
            "--interval-ms" => options.interval = Duration::from_millis(number(value())),
            _ => {
                eprintln!(
                    "usage: hot-swap-bench [--profile release|debug] [--swaps N] [--senders N] [--steady-secs S] [--interval-ms M]"
                );
                std::process::exit(2)
            }
        }
    }
    options
}

fn dll(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ))
}

/// Builds the second send plugin (version 0.1.0-b) with `profile`.
fn build_send_b(profile: &str) -> PathBuf {
    let target = target_dir().join("fixtures").join("send-b");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .arg("-p")
        .arg("send-plugin")
        .arg("--target-dir")
        .arg(&target)
        .env("BROKER_PLUGIN_VERSION", "0.1.0-b");
    if profile == "release" {
        command.arg("--release");
    }
    let status = command.status().expect("run cargo build");
    assert!(status.success(), "building the second send plugin failed");
    dll(&target.join(profile), "send_plugin")
}

/// Resident memory in KiB.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    /// `VmRSS`.
    rss: u64,
    /// `RssAnon` (heap, stacks, relocated library pages).
    anon: u64,
    /// Resident pages of the mapped plugin library copies.
    plugin_libraries: u64,
    /// Resident pages of the store's mapped files (grows with the messages sent).
    store_files: u64,
}

impl Memory {
    fn columns(self) -> [u64; 4] {
        [self.rss, self.anon, self.plugin_libraries, self.store_files]
    }
}

struct Broker {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Broker {
    fn start(binary: &Path, manifest: &str) -> Broker {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port_pair();
        std::fs::write(
            dir.path().join("broker.toml"),
            format!(
                "brokerIP1 = \"127.0.0.1\"\nlistenPort = {port}\nstorePathRootDir = {:?}\n",
                dir.path().join("store").display().to_string()
            ),
        )
        .expect("write config");
        std::fs::write(dir.path().join("plugins.toml"), manifest).expect("write manifest");
        let log = std::fs::File::create(dir.path().join("broker.log")).expect("log file");
        let child = Command::new(binary)
            .arg("-c")
            .arg(dir.path().join("broker.toml"))
            .arg("--manifest")
            .arg(dir.path().join("plugins.toml"))
            .env("RUST_LOG", "info")
            .env_remove("NAMESRV_ADDR")
            .current_dir(dir.path())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start broker-host");
        let broker = Broker { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(broker.addr()).is_err() {
            assert!(Instant::now() < deadline, "the broker did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        broker
    }

    fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The broker's resident memory, from `/proc/<pid>/status` and `/proc/<pid>/smaps`.
    fn memory(&self) -> Memory {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .expect("read /proc/<pid>/status");
        let kib = |text: &str| -> u64 {
            text.trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(0)
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map_or(0, kib)
        };
        let mut memory = Memory {
            rss: field("VmRSS:"),
            anon: field("RssAnon:"),
            ..Memory::default()
        };
        let smaps =
            std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("read /proc/<pid>/smaps");
        let store = self.dir.path().join("store");
        let store = store.to_string_lossy();
        let mut current = String::new();
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            let is_header = first.split_once('-').is_some_and(|(a, b)| {
                !a.is_empty()
                    && a.bytes().all(|c| c.is_ascii_hexdigit())
                    && b.bytes().all(|c| c.is_ascii_hexdigit())
            });
            if is_header {
                current = line.split_whitespace().nth(5).unwrap_or("").to_owned();
            } else if let Some(rest) = line.strip_prefix("Rss:") {
                if current.contains("/plugin-copies/") {
                    memory.plugin_libraries += kib(rest);
                } else if current.starts_with(store.as_ref()) {
                    memory.store_files += kib(rest);
                }
            }
        }
        memory
    }

    fn threads(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Threads:"))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn manifest(send: &Path) -> String {
    format!(
        "[[processor]]\nname = \"send\"\nlibrary = {:?}\nthreads = 2\nqueue_capacity = 10000\n",
        send.display().to_string()
    )
}

/// One sender connection: sync sends until `done`, each latency recorded
/// with the phase it started in.
fn sender(
    addr: std::net::SocketAddr,
    lane: usize,
    phase: &AtomicU8,
    done: &AtomicBool,
) -> Vec<(u8, Duration)> {
    let mut client = RawClient::connect(addr);
    let body = vec![b'x'; 256];
    let mut samples = Vec::new();
    let mut i = 0u64;
    while !done.load(Ordering::Relaxed) {
        let key = format!("lane{lane}-{i}");
        let props = encode_properties([("TAGS", "TagA"), ("KEYS", key.as_str()), ("WAIT", "true")]);
        let mut request = client.request(
            310,
            &[
                ("a", "bench_pg"),
                ("b", "HotSwapBench"),
                ("c", "TBW102"),
                ("d", "4"),
                ("e", &(lane % 4).to_string()),
                ("f", "0"),
                ("g", "1700000000000"),
                ("h", "0"),
                ("i", &props),
                ("j", "0"),
                ("k", "false"),
                ("m", "false"),
            ],
        );
        request.body = body.clone().into();
        let current = phase.load(Ordering::Relaxed);
        let started = Instant::now();
        let response = client.call(&request);
        let elapsed = started.elapsed();
        assert_eq!(response.code, 0, "send failed: {:?}", response.remark);
        samples.push((current, elapsed));
        i += 1;
    }
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let options = options();
    let profile_dir = target_dir().join(&options.profile);
    let binary = profile_dir.join("broker-host");
    let library_a = dll(&profile_dir, "send_plugin");
    for path in [&binary, &library_a] {
        assert!(
            path.exists(),
            "{} is missing: cargo build --{} -p broker-host -p send-plugin",
            path.display(),
            if options.profile == "release" {
                "release"
            } else {
                "debug"
            }
        );
    }
    eprintln!("building the second send plugin ({})...", options.profile);
    let library_b = build_send_b(&options.profile);
    let library_size = std::fs::metadata(&library_a).map_or(0, |m| m.len());

    let broker = Broker::start(&binary, &manifest(&library_a));
    let manifest_path = broker.dir.path().join("plugins.toml");
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let done = Arc::new(AtomicBool::new(false));
    let addr = broker.addr();
    let senders: Vec<_> = (0..options.senders)
        .map(|lane| {
            let (phase, done) = (phase.clone(), done.clone());
            std::thread::spawn(move || sender(addr, lane, &phase, &done))
        })
        .collect();

    let mut admin = RawClient::connect(addr);
    std::thread::sleep(Duration::from_secs(3));
    phase.store(STEADY_BEFORE, Ordering::Relaxed);
    std::thread::sleep(options.steady);
    let rss_before = broker.memory();
    let threads_before = broker.threads();

    phase.store(SWAPPING, Ordering::Relaxed);
    let swapping_started = Instant::now();
    let mut reload_times = Vec::with_capacity(options.swaps);
    let mut rss_series = Vec::with_capacity(options.swaps);
    for swap in 0..options.swaps {
        let library = if swap % 2 == 0 {
            &library_b
        } else {
            &library_a
        };
        std::fs::write(&manifest_path, manifest(library)).expect("rewrite manifest");
        let started = Instant::now();
        let response = admin.call_code(9101, &[]);
        reload_times.push(started.elapsed());
        assert_eq!(response.code, 0, "reload failed: {:?}", response.remark);
        std::thread::sleep(options.interval);
        rss_series.push(broker.memory());
    }
    let swapping_took = swapping_started.elapsed();
    let rss_after_swaps = broker.memory();
    let threads_after = broker.threads();

    phase.store(STEADY_AFTER, Ordering::Relaxed);
    std::thread::sleep(options.steady);
    done.store(true, Ordering::Relaxed);
    let mut by_phase: BTreeMap<u8, Vec<Duration>> = BTreeMap::new();
    for handle in senders {
        for (phase, latency) in handle.join().expect("sender thread") {
            by_phase.entry(phase).or_default().push(latency);
        }
    }
    let rss_end = broker.memory();
    let copies: Vec<_> = std::fs::read_dir(broker.dir.path().join("store/plugin-copies"))
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    let copies_bytes: u64 = copies
        .iter()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    println!(
        "hot-swap-bench: profile {}, {} senders, {} swaps {} ms apart, steady phases {} s, send library {:.1} MiB",
        options.profile,
        options.senders,
        options.swaps,
        options.interval.as_millis(),
        options.steady.as_secs(),
        library_size as f64 / (1024.0 * 1024.0)
    );
    println!();
    println!("| Phase | Sends | Sends/s | p50 | p99 | p99.9 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (id, name) in PHASES {
        let mut samples = by_phase.remove(&id).unwrap_or_default();
        samples.sort_unstable();
        let seconds = match id {
            SWAPPING => swapping_took.as_secs_f64(),
            _ => options.steady.as_secs_f64(),
        };
        println!(
            "| {name} | {} | {:.0} | {} | {} | {} | {} |",
            samples.len(),
            samples.len() as f64 / seconds.max(0.001),
            micros(percentile(&samples, 50.0)),
            micros(percentile(&samples, 99.0)),
            micros(percentile(&samples, 99.9)),
            micros(samples.last().copied().unwrap_or_default()),
        );
    }
    reload_times.sort_unstable();
    println!();
    println!(
        "Reload round trip (copy, dlopen, checks, constructor, table swap): p50 {}, max {}",
        micros(percentile(&reload_times, 50.0)),
        micros(reload_times.last().copied().unwrap_or_default())
    );
    println!();
    println!("| Memory (KiB) | VmRSS | RssAnon | plugin library mappings | store file mappings |");
    println!("|---|---|---|---|---|");
    for (label, memory) in [
        ("before swaps", rss_before),
        ("after swaps", rss_after_swaps),
        ("end of run", rss_end),
    ] {
        let [rss, anon, libraries, store] = memory.columns();
        println!("| {label} | {rss} | {anon} | {libraries} | {store} |");
    }
    let growth = |label: &str, from: Memory, to: Memory, swaps: usize| {
        let per = |a: u64, b: u64| (b as f64 - a as f64) / swaps.max(1) as f64;
        let (from, to) = (from.columns(), to.columns());
        println!(
            "| {label} | {:.0} | {:.0} | {:.0} | {:.0} |",
            per(from[0], to[0]),
            per(from[1], to[1]),
            per(from[2], to[2]),
            per(from[3], to[3])
        );
    };
    growth(
        "growth per swap",
        rss_before,
        rss_after_swaps,
        options.swaps,
    );
    if rss_series.len() >= 20 {
        // The second half alone: growth once allocator pools are warm.
        let half = rss_series.len() / 2;
        growth(
            "growth per swap, second half",
            rss_series[half - 1],
            rss_series[rss_series.len() - 1],
            rss_series.len() - half,
        );
    }
    println!();
    println!(
        "Threads: {threads_before} before swaps, {threads_after} after. Library copies kept on disk: {} ({:.1} MiB).",
        copies.len(),
        copies_bytes as f64 / (1024.0 * 1024.0)
    );
}
