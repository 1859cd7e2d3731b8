//! `decode`: the time to answer a request whose header carries many
//! extFields, JSON and binary (ROCKETMQ) headers, while a bystander
//! connection keeps asking for a route and its slowest answer is recorded.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use plugin_api::codec::{encode_to_vec, ExtFields, RemotingCommand, SerializeType};

use crate::spawned::{BrokerArgs, SpawnedBroker};
use crate::wire::{request, Connection, Reply, ROUTE};

/// Header-decoding benchmark options.
#[derive(Args, Clone)]
pub struct DecodeArgs {
    #[command(flatten)]
    broker: BrokerArgs,
    /// extFields counts to send.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,10000,100000,200000"
    )]
    fields: Vec<usize>,
    /// serverHeaderMaxExtFields of the broker (its default is 1024: larger
    /// headers are refused; raise it to time the decoding itself).
    #[arg(long, default_value_t = 1_000_000)]
    max_ext_fields: usize,
    /// Requests per count and header type (the median is printed).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

/// Runs the header-decoding benchmark.
pub fn run(args: DecodeArgs) -> anyhow::Result<()> {
    let mut broker = SpawnedBroker::prepare(
        &args.broker,
        &[format!(
            "serverHeaderMaxExtFields = {}",
            args.max_ext_fields
        )],
    )?;
    broker.start()?;
    let addr = broker.addr();
    println!(
        "[Decode] serverHeaderMaxExtFields = {}; median of {} requests each",
        args.max_ext_fields, args.repeat
    );
    for &count in &args.fields {
        for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
            let mut request = request(ROUTE, 1, &[("topic", "TBW102")]);
            request.serialize_type = serialize_type;
            let mut fields: Vec<(String, String)> = vec![("topic".into(), "TBW102".into())];
            fields.extend((0..count).map(|i| (format!("k{i}"), format!("v{i}"))));
            request.ext_fields = Some(fields.into_iter().collect::<ExtFields>());
            let frame_bytes = encode_to_vec(&request)?.len();

            let mut times = Vec::new();
            let mut outcome = String::new();
            let slowest_bystander = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let bystander = {
                let slowest = slowest_bystander.clone();
                let stop = stop.clone();
                std::thread::spawn(move || -> anyhow::Result<()> {
                    let mut connection = Connection::connect(addr)?;
                    let mut opaque = 1;
                    while !stop.load(Ordering::Relaxed) {
                        opaque += 1;
                        let started = Instant::now();
                        connection.call(
                            &crate::wire::request(ROUTE, opaque, &[("topic", "TBW102")]),
                            Duration::from_secs(600),
                        )?;
                        slowest.fetch_max(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Ok(())
                })
            };
            for round in 0..args.repeat {
                let mut connection = Connection::connect(addr)?;
                request.opaque = 100 + round as i32;
                let started = Instant::now();
                let reply = connection.call(&request, Duration::from_secs(600))?;
                times.push(started.elapsed());
                outcome = describe(&reply);
            }
            stop.store(true, Ordering::Relaxed);
            bystander
                .join()
                .map_err(|_| anyhow::anyhow!("the bystander thread panicked"))??;
            times.sort();
            println!(
                "[Decode] {count} fields, {} header, frame {:.1} MB: answered in {:.1} ms ({outcome}); slowest bystander answer meanwhile {:.1} ms",
                match serialize_type {
                    SerializeType::Json => "JSON",
                    SerializeType::RocketMq => "ROCKETMQ",
                },
                frame_bytes as f64 / 1e6,
                times[times.len() / 2].as_secs_f64() * 1000.0,
                slowest_bystander.load(Ordering::Relaxed) as f64 / 1000.0
            );
        }
    }
    Ok(())
}

fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Closed => "connection closed".to_owned(),
        Reply::Answer(RemotingCommand { code, remark, .. }) => {
            let mut text = format!("code {code}");
            if let Some(remark) = remark {
                let short: String = remark.chars().take(60).collect();
                text.push_str(&format!(": {short}"));
            }
            text
        }
    }
}
