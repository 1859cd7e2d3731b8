//! The producer benchmark (RocketMQ `benchmark/Producer`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, BytesMut};
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use anyhow::Context;
use plugin_api::codec::{
    encode_to_vec, fill_frame_words, CodecError, ExtFields, RemotingCommand, SerializeType,
};
use plugin_api::message::decode_offset_msg_id;

use crate::answer::{next_answer, next_command, Answer};
use crate::stats::Latencies;

/// Producer options.
#[derive(Args, Clone)]
pub struct ProducerArgs {
    /// Broker address.
    #[arg(long, default_value = "127.0.0.1:10911")]
    addr: String,
    /// Topic (auto-created from TBW102 with 4 queues).
    #[arg(long, default_value = "BenchmarkTopic")]
    topic: String,
    /// Body size in bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// TCP connections.
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// Queues to spread sends over (client-side round robin, like Java).
    #[arg(long, default_value_t = 4)]
    queues: usize,
    /// Seconds to run (after a 2 s warm-up that is not counted).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of warm-up [default: 2, or 0 with --count].
    #[arg(long)]
    warmup: Option<u64>,
    /// Send this many messages in all (over every connection, warm-up
    /// included), wait for their answers and stop, instead of running for
    /// --duration.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Transactional sends: each message is a half (TRAN_MSG=true, the
    /// PREPARED sysFlag) followed, once its answer arrives, by an
    /// END_TRANSACTION commit on the same connection; a message counts (and
    /// its latency ends) when the commit is answered. Java's producer sends
    /// the commit oneway; here it asks for an answer so that the time of
    /// the whole transaction is measured.
    #[arg(long)]
    transaction: bool,
}

impl ProducerArgs {
    fn warmup(&self) -> Duration {
        let default = if self.count.is_some() { 0 } else { 2 };
        Duration::from_secs(self.warmup.unwrap_or(default))
    }
}

/// How many more messages may be sent: unlimited, or what is left of `--count`.
struct Budget {
    remaining: Option<AtomicU64>,
}

impl Budget {
    fn new(count: Option<u64>) -> Budget {
        Budget {
            remaining: count.map(AtomicU64::new),
        }
    }

    /// Takes up to `wanted` messages from the budget; how many were granted.
    fn claim(&self, wanted: usize) -> usize {
        let Some(remaining) = &self.remaining else {
            return wanted;
        };
        let wanted = wanted as u64;
        match remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            (left > 0).then(|| left - left.min(wanted))
        }) {
            // The budget left before this claim was `left`: we got the difference.
            Ok(left) => left.min(wanted) as usize,
            Err(_) => 0,
        }
    }

    /// What is left of `--count` (`None` without one).
    fn left(&self) -> Option<u64> {
        self.remaining
            .as_ref()
            .map(|remaining| remaining.load(Ordering::Relaxed))
    }
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    send_failed: AtomicU64,
    response_failed: AtomicU64,
    max_rt_micros: AtomicU64,
    total_rt_micros: AtomicU64,
}

/// Runs the producer benchmark.
pub async fn run(args: ProducerArgs) -> anyhow::Result<()> {
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let measure_from = start + args.warmup();
    // With --count the budget ends the run, not the clock.
    let stop_at = match args.count {
        Some(_) => measure_from + Duration::from_secs(365 * 24 * 3600),
        None => measure_from + Duration::from_secs(args.duration),
    };
    let budget = Arc::new(Budget::new(args.count));
    let mut tasks = Vec::new();
    for connection in 0..args.connections {
        let args = args.clone();
        let counters = counters.clone();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            connection_loop(args, connection, counters, &budget, measure_from, stop_at).await
        }));
    }

    let reporter = {
        let counters = counters.clone();
        tokio::spawn(async move {
            let mut last = (0u64, 0u64);
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let ok = counters.ok.load(Ordering::Relaxed);
                let rt = counters.total_rt_micros.load(Ordering::Relaxed);
                let (delta, delta_rt) = (ok - last.0, rt - last.1);
                last = (ok, rt);
                println!(
                    "Send TPS: {delta} Max RT(ms): {:.3} Average RT(ms): {:.3} Send Failed: {} Response Failed: {}",
                    counters.max_rt_micros.swap(0, Ordering::Relaxed) as f64 / 1000.0,
                    if delta > 0 { delta_rt as f64 / delta as f64 / 1000.0 } else { 0.0 },
                    counters.send_failed.load(Ordering::Relaxed),
                    counters.response_failed.load(Ordering::Relaxed),
                );
            }
        })
    };

    let mut latencies = Latencies::default();
    let mut failures = Failures::default();
    for task in tasks {
        let (connection_latencies, connection_failures) = task.await??;
        latencies.extend(connection_latencies);
        failures.extend(connection_failures);
    }
    reporter.abort();
    let count = latencies.len() as f64;
    let seconds = match args.count {
        Some(_) => Instant::now()
            .saturating_duration_since(measure_from)
            .as_secs_f64()
            .max(1e-3),
        None => args.duration as f64,
    };
    if let Some(total) = args.count {
        println!(
            "[Count] sent {} of {total} messages",
            total - budget.left().unwrap_or(0)
        );
    }
    let (p50, p99, p999, max) = latencies.percentiles();
    println!(
        "[Complete] connections={} inflight={} size={}B: Send TPS: {:.0} ({:.1} MB/s) Send Failed: {} Response Failed: {} | latency µs p50 {p50} p99 {p99} p99.9 {p999} max {max}",
        args.connections,
        args.inflight,
        args.size,
        count / seconds,
        count * args.size as f64 / seconds / 1_048_576.0,
        counters.send_failed.load(Ordering::Relaxed),
        counters.response_failed.load(Ordering::Relaxed),
    );
    for (code, (count, remark)) in &failures.by_code {
        println!(
            "Response Failed with code {code}: {count} (first remark: {})",
            remark.as_deref().unwrap_or("none")
        );
    }
    Ok(())
}

/// The header JSON split around the parts that change per request.
struct Template {
    prefixes: Vec<Vec<u8>>,
    middle: Vec<u8>,
    suffix: Vec<u8>,
}

impl Template {
    fn new(topic: &str, queues: usize, transaction: bool) -> Template {
        // A half: the Java producer's TRAN_MSG and PGROUP properties and the
        // TRANSACTION_PREPARED_TYPE sysFlag.
        let (sys_flag, extra) = if transaction {
            (
                "4",
                "TRAN_MSG\\u0001true\\u0002PGROUP\\u0001benchmark_producer\\u0002",
            )
        } else {
            ("0", "")
        };
        let prefixes = (0..queues.max(1))
            .map(|queue| {
                format!(
                    r#"{{"code":310,"extFields":{{"a":"benchmark_producer","b":"{topic}","c":"TBW102","d":"4","e":"{queue}","f":"{sys_flag}","h":"0","i":"TAGS\u0001TagA\u0002WAIT\u0001true\u0002{extra}","j":"0","k":"false","m":"false","g":""#
                )
                .into_bytes()
            })
            .collect();
        Template {
            prefixes,
            middle: br#""},"flag":0,"language":"JAVA","opaque":"#.to_vec(),
            suffix: br#","serializeTypeCurrentRPC":"JSON","version":479}"#.to_vec(),
        }
    }

    /// Appends one request frame; the numbers are formatted in place and the
    /// two length words filled in afterwards by the codec (no allocation per
    /// request). Nothing usable is left on error (a body too large for a frame).
    fn write(
        &self,
        out: &mut BytesMut,
        queue: usize,
        born: u64,
        opaque: i32,
        body: &[u8],
    ) -> Result<(), CodecError> {
        let prefix = &self.prefixes[queue % self.prefixes.len()];
        let start = out.len();
        out.put_slice(&[0; 8]);
        out.put_slice(prefix);
        // Writing into a BytesMut cannot fail.
        let _ = write!(out, "{born}");
        out.put_slice(&self.middle);
        let _ = write!(out, "{opaque}");
        out.put_slice(&self.suffix);
        let header_len = out.len() - start - 8;
        out.put_slice(body);
        fill_frame_words(
            &mut out[start..start + 8],
            SerializeType::Json,
            header_len,
            body.len(),
        )
        .inspect_err(|_| out.truncate(start))
    }
}

async fn connection_loop(
    args: ProducerArgs,
    connection: usize,
    counters: Arc<Counters>,
    budget: &Budget,
    measure_from: Instant,
    stop_at: Instant,
) -> anyhow::Result<(Latencies, Failures)> {
    let stream = TcpStream::connect(&args.addr).await?;
    stream.set_nodelay(true)?;
    let (mut reader, mut writer) = stream.into_split();
    let template = Template::new(&args.topic, args.queues, args.transaction);
    let body = vec![b'x'; args.size];
    // Opaque → when the message was sent (for a commit: when its half was).
    let mut pending: HashMap<i32, Instant> = HashMap::with_capacity(args.inflight * 2);
    // Opaques of the END_TRANSACTION commits in flight.
    let mut commits: HashSet<i32> = HashSet::new();
    let mut next_opaque: i32 = (connection as i32) << 24;
    let mut queue = connection;
    let mut out = BytesMut::with_capacity(64 * 1024);
    let mut input = BytesMut::with_capacity(256 * 1024);
    let mut latencies = Latencies::default();
    let mut failures = Failures::default();

    loop {
        let now = Instant::now();
        let granted = if now < stop_at {
            budget.claim(args.inflight.saturating_sub(pending.len()))
        } else {
            0
        };
        if granted == 0 && pending.is_empty() {
            break;
        }
        if granted > 0 {
            let born = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
            for _ in 0..granted {
                template.write(&mut out, queue, born, next_opaque, &body)?;
                pending.insert(next_opaque, now);
                next_opaque = next_opaque.wrapping_add(1);
                queue += 1;
            }
            if !out.is_empty() {
                if writer.write_all(&out).await.is_err() {
                    counters
                        .send_failed
                        .fetch_add(pending.len() as u64, Ordering::Relaxed);
                    break;
                }
                out.clear();
            }
        }
        if reader.read_buf(&mut input).await? == 0 {
            counters
                .response_failed
                .fetch_add(pending.len() as u64, Ordering::Relaxed);
            break;
        }
        // Tallied here and added to the shared counters once per read: two
        // connections' threads updating them per answer bounce their cache line.
        let mut tally = Tally::default();
        loop {
            let response = if args.transaction {
                let Some(command) = next_command(&mut input)? else {
                    break;
                };
                let half_answered = command.code == 0 && !commits.remove(&command.opaque);
                if half_answered {
                    let Some(sent_at) = pending.remove(&command.opaque) else {
                        continue;
                    };
                    let commit = commit_request(&command, next_opaque)?;
                    out.extend_from_slice(&commit);
                    pending.insert(next_opaque, sent_at);
                    commits.insert(next_opaque);
                    next_opaque = next_opaque.wrapping_add(1);
                    continue;
                }
                Answer {
                    code: command.code,
                    opaque: command.opaque,
                    remark: command.remark,
                }
            } else {
                let Some(answer) = next_answer(&mut input)? else {
                    break;
                };
                answer
            };
            commits.remove(&response.opaque);
            let Some(sent_at) = pending.remove(&response.opaque) else {
                continue;
            };
            let done = Instant::now();
            if sent_at < measure_from {
                continue;
            }
            if response.code != 0 {
                tally.failed += 1;
                failures.record(response.code, response.remark);
                continue;
            }
            let micros = done.duration_since(sent_at).as_micros() as u64;
            latencies.record(micros);
            tally.ok += 1;
            tally.total_rt_micros += micros;
            tally.max_rt_micros = tally.max_rt_micros.max(micros);
        }
        tally.add_to(&counters);
        // The commits of the halves just answered.
        if !out.is_empty() {
            if writer.write_all(&out).await.is_err() {
                counters
                    .send_failed
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                break;
            }
            out.clear();
        }
    }
    Ok((latencies, failures))
}

/// END_TRANSACTION committing the half that `answer` (SUCCESS to a send)
/// stored, as the Java producer's `endTransaction` fills it in.
fn commit_request(answer: &RemotingCommand, opaque: i32) -> anyhow::Result<Vec<u8>> {
    let msg_id = answer.ext("msgId").context("a send answer without msgId")?;
    let (_, commit_log_offset) = decode_offset_msg_id(msg_id)
        .with_context(|| format!("msgId {msg_id} is not an offset id"))?;
    let queue_offset = answer
        .ext("queueOffset")
        .context("a send answer without queueOffset")?;
    let transaction_id = answer.ext("transactionId").unwrap_or_default();
    let mut fields = ExtFields::with_capacity(7, 200);
    fields.insert("producerGroup", "benchmark_producer");
    fields.insert("tranStateTableOffset", queue_offset);
    fields.insert_int("commitLogOffset", commit_log_offset);
    fields.insert("commitOrRollback", "8");
    fields.insert("fromTransactionCheck", "false");
    fields.insert("msgId", transaction_id);
    fields.insert("transactionId", transaction_id);
    let mut request = RemotingCommand::request(37);
    request.version = 479;
    request.opaque = opaque;
    request.ext_fields = Some(fields);
    Ok(encode_to_vec(&request)?)
}

/// One read's answers, before they reach [`Counters`].
#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    total_rt_micros: u64,
    max_rt_micros: u64,
}

impl Tally {
    fn add_to(&self, counters: &Counters) {
        if self.failed > 0 {
            counters
                .response_failed
                .fetch_add(self.failed, Ordering::Relaxed);
        }
        if self.ok > 0 {
            counters.ok.fetch_add(self.ok, Ordering::Relaxed);
            counters
                .total_rt_micros
                .fetch_add(self.total_rt_micros, Ordering::Relaxed);
            counters
                .max_rt_micros
                .fetch_max(self.max_rt_micros, Ordering::Relaxed);
        }
    }
}

/// Failed answers by response code, with the first remark of each code.
#[derive(Default)]
struct Failures {
    by_code: BTreeMap<i32, (u64, Option<String>)>,
}

impl Failures {
    fn record(&mut self, code: i32, remark: Option<String>) {
        self.add(code, 1, remark);
    }

    fn extend(&mut self, other: Failures) {
        for (code, (count, remark)) in other.by_code {
            self.add(code, count, remark);
        }
    }

    fn add(&mut self, code: i32, count: u64, remark: Option<String>) {
        self.by_code.entry(code).or_insert((0, remark)).0 += count;
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use plugin_api::codec::{decode_frame, DEFAULT_MAX_FRAME_LENGTH};

    use plugin_api::codec::RemotingCommand;

    use super::{commit_request, Budget, Template};

    #[test]
    fn a_count_budget_grants_exactly_the_count() {
        let budget = Budget::new(Some(10));
        assert_eq!(budget.claim(4), 4);
        assert_eq!(budget.claim(4), 4);
        assert_eq!(budget.claim(4), 2, "only what is left");
        assert_eq!(budget.claim(4), 0);
        assert_eq!(budget.left(), Some(0));
        let unlimited = Budget::new(None);
        assert_eq!(unlimited.claim(64), 64);
        assert_eq!(unlimited.left(), None);
    }

    #[test]
    fn a_template_request_decodes_as_a_send_v2_frame() {
        let template = Template::new("BenchTopic", 4, false);
        let mut out = BytesMut::new();
        let body = vec![b'x'; 1024];
        template
            .write(&mut out, 6, 1_700_000_000_123, -7, &body)
            .expect("fits a frame");
        template
            .write(&mut out, 1, 5, i32::MAX, b"second")
            .expect("fits a frame");
        let first = decode_frame(&mut out, DEFAULT_MAX_FRAME_LENGTH)
            .expect("valid")
            .expect("whole frame");
        assert_eq!((first.code, first.opaque), (310, -7));
        assert_eq!(first.ext("b"), Some("BenchTopic"));
        assert_eq!(first.ext("e"), Some("2"), "queue 6 of 4");
        assert_eq!(first.ext("g"), Some("1700000000123"));
        assert_eq!(first.ext("i"), Some("TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}"));
        assert_eq!(&first.body[..], &body[..]);
        let second = decode_frame(&mut out, DEFAULT_MAX_FRAME_LENGTH)
            .expect("valid")
            .expect("whole frame");
        assert_eq!(
            (second.opaque, &second.body[..]),
            (i32::MAX, &b"second"[..])
        );
        assert_eq!(second.ext("g"), Some("5"));
        assert!(out.is_empty());
    }

    #[test]
    fn a_transactional_template_sends_a_half_and_the_commit_names_it() {
        let template = Template::new("BenchTopic", 1, true);
        let mut out = BytesMut::new();
        template
            .write(&mut out, 0, 1_700_000_000_123, 3, b"tx")
            .expect("fits a frame");
        let half = decode_frame(&mut out, DEFAULT_MAX_FRAME_LENGTH)
            .expect("valid")
            .expect("whole frame");
        assert_eq!(half.ext("f"), Some("4"), "TRANSACTION_PREPARED_TYPE");
        assert_eq!(
            half.ext("i"),
            Some("TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}TRAN_MSG\u{1}true\u{2}PGROUP\u{1}benchmark_producer\u{2}")
        );

        let mut answer = RemotingCommand::request(0);
        let mut fields = plugin_api::codec::ExtFields::new();
        fields.insert("msgId", "7F00000100002A9F00000000000004D2");
        fields.insert("queueOffset", "17");
        fields.insert("transactionId", "UNIQ");
        answer.ext_fields = Some(fields);
        let mut commit = BytesMut::from(&commit_request(&answer, 9).expect("a commit")[..]);
        let commit = decode_frame(&mut commit, DEFAULT_MAX_FRAME_LENGTH)
            .expect("valid")
            .expect("whole frame");
        assert_eq!((commit.code, commit.opaque), (37, 9));
        assert_eq!(commit.ext("commitLogOffset"), Some("1234"));
        assert_eq!(commit.ext("tranStateTableOffset"), Some("17"));
        assert_eq!(commit.ext("commitOrRollback"), Some("8"));
        assert_eq!(commit.ext("producerGroup"), Some("benchmark_producer"));
        assert_eq!(commit.ext("msgId"), Some("UNIQ"));
        assert!(commit_request(&RemotingCommand::request(0), 1).is_err());
    }
}
