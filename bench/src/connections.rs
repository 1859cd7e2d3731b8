//! `connections`: the broker's memory with many idle connections.
//!
//! Starts a broker, opens `--count` connections, and reads the broker's
//! resident memory (/proc/PID/status) before, with the connections idle,
//! after each has made one request, and after they close.

use std::net::TcpStream;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::spawned::{BrokerArgs, SpawnedBroker};
use crate::wire::{request, Connection, Reply, ROUTE};

/// Idle-connection benchmark options.
#[derive(Args, Clone)]
pub struct ConnectionsArgs {
    #[command(flatten)]
    broker: BrokerArgs,
    /// Connections to open.
    #[arg(long, default_value_t = 2000)]
    count: usize,
}

/// Runs the idle-connection benchmark.
pub fn run(args: ConnectionsArgs) -> anyhow::Result<()> {
    let mut broker = SpawnedBroker::prepare(
        &args.broker,
        &[format!("serverMaxConnections = {}", args.count + 100)],
    )?;
    broker.start()?;
    // Let start-up settle (file creation, first scheduled tasks).
    std::thread::sleep(Duration::from_secs(2));
    let report = |label: &str, broker: &SpawnedBroker| -> anyhow::Result<(u64, u64)> {
        let (anon, rss) = broker.resident()?;
        println!(
            "[Connections] {label}: RssAnon {:.1} MiB, VmRSS {:.1} MiB",
            anon as f64 / 1_048_576.0,
            rss as f64 / 1_048_576.0
        );
        Ok((anon, rss))
    };
    let (base_anon, _) = report("before", &broker)?;

    let mut idle = Vec::with_capacity(args.count);
    for _ in 0..args.count {
        idle.push(TcpStream::connect(broker.addr())?);
    }
    std::thread::sleep(Duration::from_secs(2));
    let (idle_anon, _) = report(&format!("{} idle connections", args.count), &broker)?;

    let mut used = Vec::with_capacity(args.count);
    for stream in idle {
        let mut connection = Connection::from_stream(stream)?;
        match connection.call(
            &request(ROUTE, 1, &[("topic", "TBW102")]),
            Duration::from_secs(30),
        )? {
            Reply::Answer(_) => used.push(connection),
            Reply::Closed => bail!("the broker closed a connection under its limit"),
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let (used_anon, _) = report(
        &format!("{} connections after one request each", args.count),
        &broker,
    )?;
    drop(used);
    std::thread::sleep(Duration::from_secs(3));
    report("after they closed", &broker)?;
    println!(
        "[Connections] per connection: idle {:.1} KiB, after a request {:.1} KiB (anonymous memory)",
        idle_anon.saturating_sub(base_anon) as f64 / 1024.0 / args.count as f64,
        used_anon.saturating_sub(base_anon) as f64 / 1024.0 / args.count as f64
    );
    Ok(())
}
