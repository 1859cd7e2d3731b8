//! The consumer benchmark (RocketMQ `benchmark/Consumer`): pulls every queue
//! of a topic from offset 0 and reports Consume TPS and B2C/S2C latency.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use clap::Args;
use plugin_api::codec::{
    decode_frame, encode_to_vec, ExtFields, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH,
};
use plugin_api::message::decode_records;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stats::Latencies;

/// Consumer options.
#[derive(Args, Clone)]
pub struct ConsumerArgs {
    /// Broker address.
    #[arg(long, default_value = "127.0.0.1:10911")]
    addr: String,
    /// Topic.
    #[arg(long, default_value = "BenchmarkTopic")]
    topic: String,
    /// Queues to pull.
    #[arg(long, default_value_t = 4)]
    queues: i32,
    /// Messages per pull.
    #[arg(long, default_value_t = 32)]
    batch: i32,
    /// Seconds to run.
    #[arg(long, default_value_t = 20)]
    duration: u64,
}

/// Runs the consumer benchmark.
pub async fn run(args: ConsumerArgs) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect(&args.addr).await?;
    stream.set_nodelay(true)?;
    let mut offsets = vec![0i64; args.queues.max(1) as usize];
    let mut input = BytesMut::with_capacity(1 << 20);
    let (mut b2c, mut s2c) = (Latencies::default(), Latencies::default());
    let start = Instant::now();
    let stop_at = start + Duration::from_secs(args.duration);
    let (mut consumed, mut bytes, mut last_report, mut last_count) =
        (0u64, 0u64, Instant::now(), 0u64);
    let mut opaque = 0;
    while Instant::now() < stop_at {
        let mut progressed = false;
        for queue in 0..args.queues {
            opaque += 1;
            let mut request = RemotingCommand::request(11);
            request.version = 479;
            request.opaque = opaque;
            let mut fields = ExtFields::new();
            for (k, v) in [
                ("consumerGroup", "benchmark_consumer".to_owned()),
                ("topic", args.topic.clone()),
                ("queueId", queue.to_string()),
                ("queueOffset", offsets[queue as usize].to_string()),
                ("maxMsgNums", args.batch.to_string()),
                ("sysFlag", "4".to_owned()),
                ("commitOffset", "0".to_owned()),
                ("suspendTimeoutMillis", "0".to_owned()),
                ("subscription", "*".to_owned()),
                ("subVersion", "0".to_owned()),
            ] {
                fields.insert(k, v);
            }
            request.ext_fields = Some(fields);
            stream.write_all(&encode_to_vec(&request)?).await?;
            let response = loop {
                if let Some(frame) = decode_frame(&mut input, DEFAULT_MAX_FRAME_LENGTH)? {
                    break frame;
                }
                if stream.read_buf(&mut input).await? == 0 {
                    anyhow::bail!("broker closed the connection");
                }
            };
            if let Some(next) = response.ext("nextBeginOffset").and_then(|v| v.parse().ok()) {
                offsets[queue as usize] = next;
            }
            if response.code != 0 {
                continue;
            }
            let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
            for record in decode_records(&response.body) {
                b2c.record((now_ms - record.header.born_timestamp).max(0) as u64 * 1000);
                s2c.record((now_ms - record.header.store_timestamp).max(0) as u64 * 1000);
                consumed += 1;
                bytes += record.body.len() as u64;
                progressed = true;
            }
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            println!("Consume TPS: {}", consumed - last_count);
            last_count = consumed;
            last_report = Instant::now();
        }
        if !progressed {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let (b50, b99, _, bmax) = b2c.percentiles();
    let (s50, s99, _, smax) = s2c.percentiles();
    println!(
        "[Complete] Consume TPS: {:.0} ({:.1} MB/s) consumed {consumed} | B2C ms p50 {} p99 {} max {} | S2C ms p50 {} p99 {} max {}",
        consumed as f64 / seconds,
        bytes as f64 / seconds / 1_048_576.0,
        b50 / 1000, b99 / 1000, bmax / 1000, s50 / 1000, s99 / 1000, smax / 1000
    );
    Ok(())
}
