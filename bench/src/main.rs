//! `rocketmq-bench`: RocketMQ-style benchmark tools against a running broker.
//!
//! - `producer`: SEND_MESSAGE_V2 with `--size`-byte bodies over `--connections`
//!   connections, `--inflight` requests in flight on each; prints RocketMQ's
//!   producer line (Send TPS, Max RT, Average RT, Send Failed, Response
//!   Failed) every second and p50/p99/p99.9 latency in µs at the end; runs
//!   for `--duration` seconds, or until `--count N` messages are answered.
//!   With `--transaction` each message is a half message committed by an
//!   END_TRANSACTION once stored (RocketMQ's `TransactionProducer`
//!   benchmark without the local-transaction check statistics).
//! - `consumer`: PULL_MESSAGE loops over every queue of the topic from offset
//!   0; prints Consume TPS and B2C/S2C latency (born-to-consumer,
//!   store-to-consumer) like RocketMQ's consumer benchmark.
//!
//! Both talk raw remoting frames (no client library) so the client's own
//! cost stays small next to the broker's on a 2-core machine.

mod answer;
mod consumer;
mod producer;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "rocketmq-bench", about = "RocketMQ-style benchmark tools")]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Send messages as fast as the in-flight window allows.
    Producer(producer::ProducerArgs),
    /// Pull a topic from the beginning.
    Consumer(consumer::ConsumerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Mode::Producer(args) => producer::run(args).await,
            Mode::Consumer(args) => consumer::run(args).await,
        }
    })
}
