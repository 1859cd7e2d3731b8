//! `compare`: the producer benchmark against the broker and against the
//! speed-of-light `baseline` server, alternated in one sitting, with the
//! ratio of their medians. Each round starts a fresh broker (empty store)
//! and a fresh baseline, runs the producer against one then the other (the
//! order flips every round, so drift in the machine's load hits both), and
//! stops them.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

use crate::spawned::{BrokerArgs, SpawnedBroker};

/// Comparison options.
#[derive(Args, Clone)]
pub struct CompareArgs {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Rounds (each runs both servers once).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// flushDiskType of the broker.
    #[arg(long, default_value = "ASYNC_FLUSH")]
    flush: String,
    /// Producer connections.
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// Body size.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Seconds measured per run (after the producer's warm-up).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Port of the baseline server.
    #[arg(long, default_value_t = 31921)]
    baseline_port: u16,
}

/// One producer run's summary.
#[derive(Debug, Clone, Copy)]
struct Run {
    tps: f64,
    p50: f64,
    p99: f64,
}

/// Runs the comparison.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let me = std::env::current_exe()?;
    let (mut broker_runs, mut baseline_runs) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        for against_broker in [round % 2 == 0, round % 2 != 0] {
            if against_broker {
                let mut broker = SpawnedBroker::prepare(
                    &args.broker,
                    &[format!("flushDiskType = {:?}", args.flush)],
                )?;
                broker.start()?;
                let run = produce(&me, &args, &broker.addr().to_string())?;
                println!(
                    "[Compare] round {} broker:   {:.0} msgs/s, p50 {:.0} µs, p99 {:.0} µs",
                    round + 1,
                    run.tps,
                    run.p50,
                    run.p99
                );
                broker_runs.push(run);
            } else {
                let addr = format!("127.0.0.1:{}", args.baseline_port);
                let mut baseline = Baseline(
                    Command::new(&me)
                        .args(["baseline", "--listen", &addr])
                        .stdout(Stdio::null())
                        .spawn()?,
                );
                wait_listening(&addr)?;
                let run = produce(&me, &args, &addr)?;
                baseline.0.kill()?;
                baseline.0.wait()?;
                println!(
                    "[Compare] round {} baseline: {:.0} msgs/s, p50 {:.0} µs, p99 {:.0} µs",
                    round + 1,
                    run.tps,
                    run.p50,
                    run.p99
                );
                baseline_runs.push(run);
            }
        }
    }
    let broker = median(&broker_runs);
    let baseline = median(&baseline_runs);
    println!(
        "[Compare] medians of {} rounds, {} x {} in flight, {} B, {}: broker {:.0} msgs/s p50 {:.0} µs p99 {:.0} µs; baseline {:.0} msgs/s p50 {:.0} µs p99 {:.0} µs",
        args.rounds,
        args.connections,
        args.inflight,
        args.size,
        args.flush,
        broker.tps,
        broker.p50,
        broker.p99,
        baseline.tps,
        baseline.p50,
        baseline.p99
    );
    println!(
        "[Compare] ratio broker/baseline: throughput {:.0} %, p50 {:.2}x, p99 {:.2}x",
        100.0 * broker.tps / baseline.tps.max(1.0),
        broker.p50 / baseline.p50.max(1.0),
        broker.p99 / baseline.p99.max(1.0)
    );
    Ok(())
}

/// Kills the baseline server if a run fails half-way.
struct Baseline(Child);

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_listening(addr: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("{addr} did not listen within 30 s")
}

/// Runs `rocketmq-bench producer` against `addr` and reads its summary.
fn produce(me: &std::path::Path, args: &CompareArgs, addr: &str) -> anyhow::Result<Run> {
    let output = Command::new(me)
        .arg("producer")
        .args(["--addr", addr])
        .args(["--connections", &args.connections.to_string()])
        .args(["--inflight", &args.inflight.to_string()])
        .args(["--size", &args.size.to_string()])
        .args(["--duration", &args.duration.to_string()])
        .stderr(Stdio::inherit())
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|line| line.starts_with("[Complete]"))
        .with_context(|| format!("the producer printed no summary ({})", output.status))?;
    let number_after = |label: &str| -> anyhow::Result<f64> {
        let start = line
            .find(label)
            .with_context(|| format!("{label} missing from {line}"))?
            + label.len();
        let digits: String = line[start..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        Ok(digits.parse()?)
    };
    if number_after("Response Failed:")? > 0.0 {
        bail!("the run had failed sends: {line}");
    }
    Ok(Run {
        tps: number_after("Send TPS:")?,
        p50: number_after("p50")?,
        p99: number_after(" p99 ")?,
    })
}

/// The median of each figure separately.
fn median(runs: &[Run]) -> Run {
    let pick = |figure: fn(&Run) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(figure).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    Run {
        tps: pick(|run| run.tps),
        p50: pick(|run| run.p50),
        p99: pick(|run| run.p99),
    }
}
