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
//! - `recovery`: restart time after kill -9 under load against the commit
//!   log's size (it starts and kills its own broker).
//! - `connections`: the broker's resident memory with many idle connections.
//! - `decode`: time to answer a header of many extFields (JSON and binary)
//!   and the slowest answer another connection got meanwhile.
//!
//! - `baseline`: the speed-of-light server (frame in, body copied into a
//!   mapped file, minimal SUCCESS out); `compare` alternates the producer
//!   between the broker and it and prints the ratio.
//!
//! All talk raw remoting frames (no client library) so the client's own
//! cost stays small next to the broker's on a 2-core machine.

mod answer;
mod baseline;
mod compare;
mod connections;
mod consumer;
mod decode;
mod producer;
mod recovery;
mod spawned;
mod stats;
mod wire;

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
    /// Restart time after kill -9 against the commit log's size.
    Recovery(recovery::RecoveryArgs),
    /// Broker memory with many idle connections.
    Connections(connections::ConnectionsArgs),
    /// Answer time for headers of many extFields.
    Decode(decode::DecodeArgs),
    /// The speed-of-light server: read a send, copy its body into a mapped
    /// file, answer SUCCESS.
    Baseline(baseline::BaselineArgs),
    /// The producer against the broker and the baseline, alternated, with
    /// the ratio.
    Compare(compare::CompareArgs),
}

/// The modes that run on the tokio runtime.
enum Asynchronous {
    Producer(producer::ProducerArgs),
    Consumer(consumer::ConsumerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The modes that drive their own broker process are plain blocking code.
    let asynchronous = match cli.command {
        Mode::Recovery(args) => return recovery::run(args),
        Mode::Connections(args) => return connections::run(args),
        Mode::Decode(args) => return decode::run(args),
        Mode::Baseline(args) => return baseline::run(args),
        Mode::Compare(args) => return compare::run(args),
        Mode::Producer(args) => Asynchronous::Producer(args),
        Mode::Consumer(args) => Asynchronous::Consumer(args),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match asynchronous {
            Asynchronous::Producer(args) => producer::run(args).await,
            Asynchronous::Consumer(args) => consumer::run(args).await,
        }
    })
}
