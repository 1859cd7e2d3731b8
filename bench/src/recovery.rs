//! `recovery`: restart time after kill -9 against the commit log's size.
//!
//! For each size: fill the store with the producer benchmark until the
//! commit log holds that many bytes, keep producing, kill -9 the broker
//! under that load, (optionally drop the page cache), start it again and
//! time how long until it listens and until it answers a store request
//! (GET_MAX_OFFSET). The store grows from one size to the next.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

use crate::spawned::{BrokerArgs, SpawnedBroker};
use crate::wire::{request, runtime_value, Connection, Reply, GET_MAX_OFFSET};

/// Recovery benchmark options.
#[derive(Args, Clone)]
pub struct RecoveryArgs {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Commit-log sizes to measure at, in GiB, ascending.
    #[arg(long, value_delimiter = ',', default_value = "1,4,8")]
    sizes_gib: Vec<f64>,
    /// Body size of the filling messages.
    #[arg(long, default_value_t = 4096)]
    body: usize,
    /// flushDiskType of the broker.
    #[arg(long, default_value = "ASYNC_FLUSH")]
    flush: String,
    /// Seconds of load before each kill.
    #[arg(long, default_value_t = 3)]
    load_seconds: u64,
    /// Also drop the page cache (sync; echo 3 > /proc/sys/vm/drop_caches)
    /// before each restart: a cold restart, as after a reboot.
    #[arg(long)]
    drop_caches: bool,
}

const TOPIC: &str = "BenchmarkTopic";

/// Runs the recovery benchmark.
pub fn run(args: RecoveryArgs) -> anyhow::Result<()> {
    let mut broker =
        SpawnedBroker::prepare(&args.broker, &[format!("flushDiskType = {:?}", args.flush)])?;
    broker.start()?;
    let me = std::env::current_exe()?;
    let addr = broker.addr();
    let producer = |extra: &[String]| {
        let mut command = Command::new(&me);
        command
            .arg("producer")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--topic")
            .arg(TOPIC)
            .arg("--size")
            .arg(args.body.to_string())
            .arg("--connections")
            .arg("2")
            .arg("--inflight")
            .arg("64")
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    println!(
        "[Recovery] flush={} body={}B load before kill={}s page cache {}",
        args.flush,
        args.body,
        args.load_seconds,
        if args.drop_caches { "dropped" } else { "kept" }
    );
    for &gib in &args.sizes_gib {
        let target = (gib * (1u64 << 30) as f64) as u64;
        loop {
            let written: u64 = runtime_value(broker.addr(), "commitLogMaxOffset")?.parse()?;
            if written >= target {
                break;
            }
            let count = (target - written) / (args.body as u64 + 200) + 1;
            let status = producer(&["--count".to_owned(), count.to_string()]).status()?;
            if !status.success() {
                bail!("the filling producer failed ({status})");
            }
        }
        let mut load = producer(&["--duration".to_owned(), "3600".to_owned()]).spawn()?;
        std::thread::sleep(Duration::from_secs(args.load_seconds));
        let before_kill: u64 = runtime_value(broker.addr(), "commitLogMaxOffset")?.parse()?;
        broker.kill()?;
        load.kill()?;
        load.wait()?;
        if args.drop_caches {
            drop_page_cache()?;
        }

        let started = Instant::now();
        broker.spawn()?;
        let listening = loop {
            if Connection::connect(broker.addr()).is_ok() {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(300) {
                bail!("the broker did not listen within 300 s of its restart");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let answered = loop {
            let mut connection = Connection::connect(broker.addr())?;
            let ask = request(GET_MAX_OFFSET, 7, &[("topic", TOPIC), ("queueId", "0")]);
            if let Reply::Answer(answer) = connection.call(&ask, Duration::from_secs(60))? {
                if answer.code == 0 {
                    break started.elapsed();
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let after: u64 = runtime_value(broker.addr(), "commitLogMaxOffset")?.parse()?;
        println!(
            "[Recovery] commit log {:.2} GiB (max offset {after}; {before_kill} seen before the kill): listening after {} ms, store answering after {} ms",
            after as f64 / (1u64 << 30) as f64,
            listening.as_millis(),
            answered.as_millis()
        );
    }
    Ok(())
}

fn drop_page_cache() -> anyhow::Result<()> {
    let status = Command::new("sync").status()?;
    if !status.success() {
        bail!("sync failed");
    }
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .context("dropping the page cache needs root (/proc/sys/vm/drop_caches)")
}
