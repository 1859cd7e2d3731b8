//! Hostile input and per-connection bounds: huge headers, over-limit
//! fields, bounded remarks, lone surrogates, clients that never read, too
//! many connections, frames sent a byte at a time, and a seeded fuzz of
//! the wire with liveness checks between batches.
//!
//! Deadlines here are generous bounds on what the broker must do at all
//! (answer or close), never measurements of speed: those are in
//! docs/PERFORMANCE.md.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use e2e_tests::{BrokerProcess, BrokerSetup, RawClient};
use plugin_api::codec::{
    decode_frame, encode_to_vec, ExtFields, RemotingCommand, SerializeType,
    DEFAULT_MAX_FRAME_LENGTH, FLAG_ONEWAY,
};

const ROUTE: i32 = 105;
const GET_MAX_OFFSET: i32 = 30;
const VIEW_MESSAGE_BY_ID: i32 = 33;
const SYSTEM_ERROR: i32 = 1;

/// A frame with this raw header text (type 0) and body.
fn json_frame(header: &str, body: &[u8]) -> Vec<u8> {
    let length = 4 + header.len() + body.len();
    let mut out = Vec::with_capacity(4 + length);
    out.extend_from_slice(&(length as u32).to_be_bytes());
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    out
}

/// A route request (opaque `opaque`) whose header also carries `extra`
/// fields `k0`…: 100,000 of them make a 1.8 MB header.
fn route_with_fields(opaque: i32, extra: usize, serialize_type: SerializeType) -> RemotingCommand {
    let mut request = RemotingCommand::request(ROUTE);
    request.version = 479;
    request.opaque = opaque;
    request.serialize_type = serialize_type;
    let mut fields = vec![("topic".to_owned(), "TBW102".to_owned())];
    fields.extend((0..extra).map(|i| (format!("k{i}"), format!("v{i}"))));
    request.ext_fields = Some(fields.into_iter().collect::<ExtFields>());
    request
}

/// The broker's anonymous resident memory, in bytes.
fn rss_anon(broker: &BrokerProcess) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", broker.pid()))
        .expect("broker /proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon in /proc status");
    kib * 1024
}

/// Reads frames from `stream` until one answers `opaque` (`Ok(Some)`), the
/// broker closes the connection (`Ok(None)`), or `limit` passes (`Err`).
/// Every frame the broker sends must decode.
fn answered_or_closed(
    stream: &mut TcpStream,
    opaque: i32,
    limit: Duration,
) -> Result<Option<RemotingCommand>, String> {
    let deadline = Instant::now() + limit;
    let mut buffer = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        loop {
            match decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH) {
                Ok(Some(frame)) if frame.is_response() && frame.opaque == opaque => {
                    return Ok(Some(frame))
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => return Err(format!("the broker sent a malformed frame: {error}")),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("neither answered nor closed within {limit:?}"));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|error| error.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                ) =>
            {
                return Ok(None)
            }
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => return Err(format!("read failed: {error}")),
        }
    }
}

/// A bystander's route lookups answered (and counted) on another thread
/// while `work` runs.
fn with_bystander<T>(addr: SocketAddr, work: impl FnOnce() -> T) -> (T, usize) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bystander = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut client = RawClient::connect(addr);
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || answered == 0 {
                assert_eq!(client.call_code(ROUTE, &[("topic", "TBW102")]).code, 0);
                answered += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            answered
        })
    };
    let result = work();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answered = bystander
        .join()
        .expect("the bystander was answered every time");
    (result, answered)
}

#[test]
fn a_header_of_100000_fields_is_refused_while_other_connections_are_served() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
        let request = route_with_fields(41, 100_000, serialize_type);
        let (response, answered) = with_bystander(broker.addr(), || {
            let mut offender = broker.client();
            offender.call(&request)
        });
        assert!(answered > 0);
        assert_eq!(response.code, SYSTEM_ERROR, "{serialize_type:?}");
        assert_eq!(
            response.remark.as_deref(),
            Some("request header has 100001 extFields entries, more than the limit of 1024"),
        );
        assert_eq!(response.serialize_type, serialize_type);
    }
    // The connection that sent it goes on.
    let mut client = broker.client();
    assert_eq!(
        client
            .call(&route_with_fields(42, 100_000, SerializeType::Json))
            .code,
        SYSTEM_ERROR
    );
    assert_eq!(client.call_code(ROUTE, &[("topic", "TBW102")]).code, 0);
}

#[test]
fn a_header_of_100000_fields_within_a_raised_limit_is_served() {
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin().config("serverHeaderMaxExtFields = 200000"),
    );
    let (response, answered) = with_bystander(broker.addr(), || {
        broker
            .client()
            .call(&route_with_fields(7, 100_000, SerializeType::Json))
    });
    assert!(answered > 0);
    assert_eq!(response.code, 0, "{:?}", response.remark);
}

#[test]
fn each_header_limit_answers_system_error_and_keeps_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin().config(
        "serverHeaderMaxExtFields = 4\nserverHeaderMaxKeyLength = 8\nserverHeaderMaxValueLength = 16",
    ));
    let mut client = broker.client();
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("topic", "TBW102"), ("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")],
            "request header has 5 extFields entries, more than the limit of 4",
        ),
        (
            &[("topic", "TBW102"), ("aVeryLongKey", "1")],
            "request header has an extFields key of 12 bytes, more than the limit of 8: \"aVeryLongKey\"",
        ),
        (
            &[("topic", "TBW102-and-then-some")],
            "request header field \"topic\" is 20 bytes, more than the limit of 16: \"TBW102-and-then-some\"",
        ),
    ];
    for (fields, remark) in cases {
        for binary in [false, true] {
            let response = if binary {
                client.call_code_binary(ROUTE, fields)
            } else {
                client.call_code(ROUTE, fields)
            };
            assert_eq!(
                (response.code, response.remark.as_deref()),
                (SYSTEM_ERROR, Some(remark))
            );
        }
        // Oneway: nothing comes back, and the next answer is the next request's.
        let mut oneway = client.request(ROUTE, fields);
        oneway.flag = FLAG_ONEWAY;
        client.send(&oneway);
        assert_eq!(client.call_code(ROUTE, &[("topic", "TBW102")]).code, 0);
    }
    // At the limits exactly: served.
    let at_limits = client.call_code(
        ROUTE,
        &[
            ("topic", "TBW102"),
            ("abcdefgh", "0123456789abcdef"),
            ("b", ""),
            ("c", ""),
        ],
    );
    assert_eq!(at_limits.code, 0, "{:?}", at_limits.remark);
    assert!(broker.log().contains("request header over the limits"));
}

#[test]
fn a_field_of_3_4_mb_is_answered_with_a_short_remark() {
    let broker = BrokerProcess::start(BrokerSetup::default_manifest());
    let mut client = broker.client();
    // JSON escapes each U+0001 in six bytes: 2.5 MB is what fits a frame.
    const OVER: &str = "request header field \"queueId\" is ";
    const PROCESSOR: &str = "the custom field <queueId> has an invalid int value: ";
    for (length, binary, expected) in [
        // Over the 1 MiB value limit: refused by the broker before any processor.
        (3_400_000usize, true, OVER),
        (2_500_000, false, OVER),
        // Under it: the processor's own error, naming only a prefix.
        (700_000, true, PROCESSOR),
        (700_000, false, PROCESSOR),
    ] {
        let value = "\u{1}".repeat(length);
        let fields = [("topic", "TBW102"), ("queueId", value.as_str())];
        let request = {
            let mut request = client.request(GET_MAX_OFFSET, &fields);
            if binary {
                request.serialize_type = SerializeType::RocketMq;
            }
            request
        };
        let mut stream = TcpStream::connect(broker.addr()).expect("connect");
        stream
            .write_all(&encode_to_vec(&request).expect("encode"))
            .expect("send");
        // The bound is the issue's: answered (or closed) within 10 s.
        let response = answered_or_closed(&mut stream, request.opaque, Duration::from_secs(10))
            .expect("answered or closed")
            .expect("answered");
        assert_eq!(response.code, SYSTEM_ERROR);
        let remark = response.remark.clone().expect("remark");
        assert!(remark.starts_with(expected), "{remark}");
        assert!(
            remark.ends_with(&format!("... ({length} bytes)")),
            "{remark}"
        );
        assert!(remark.len() < 512, "remark of {} bytes", remark.len());
        let answer = encode_to_vec(&response).expect("encode");
        assert!(answer.len() < 1024, "answer of {} bytes", answer.len());
    }
}

#[test]
fn a_lone_surrogate_in_a_json_header_is_accepted() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    // In a value the route plugin ignores, in one it reads, and in a key.
    for (opaque, fields) in [
        (1, r#""topic":"TBW102","x":"a\ud800b""#),
        (2, r#""topic":"T\udc00","x\udbff":"1""#),
    ] {
        let header = format!(
            r#"{{"code":105,"extFields":{{{fields}}},"flag":0,"language":"JAVA","opaque":{opaque},"serializeTypeCurrentRPC":"JSON","version":479}}"#
        );
        client.send_raw(&json_frame(&header, b""));
        let response = client.read_frame().expect("answered, not closed");
        assert_eq!(response.opaque, opaque);
        if opaque == 1 {
            assert_eq!(response.code, 0);
        } else {
            // "T?" (the surrogate read as Java writes it) is no topic here.
            assert_ne!(response.code, 0);
        }
    }
    assert_eq!(client.call_code(ROUTE, &[("topic", "TBW102")]).code, 0);
}

#[test]
fn a_client_that_never_reads_its_answers_stops_being_read() {
    let broker = BrokerProcess::start(BrokerSetup::default_manifest());
    let mut producer = broker.client();
    let body = vec![7u8; 1 << 20];
    let sent = producer.send_message("HostileBacklog", 0, "t", "k", &body);
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
    // The first record of a new store is at commit-log offset 0; one view
    // read whole warms the allocator, so the baseline includes it.
    let view = producer.call_code(VIEW_MESSAGE_BY_ID, &[("offset", "0")]);
    assert_eq!(view.code, 0, "{:?}", view.remark);
    assert!(view.body.len() > 1 << 20);
    let baseline = rss_anon(&broker);

    // 600 pipelined views of the 1 MiB message, none read: 600 MiB of answers.
    const REQUESTS: i32 = 600;
    let mut stream = TcpStream::connect(broker.addr()).expect("connect");
    let mut requests = Vec::new();
    for opaque in 1..=REQUESTS {
        let mut request = RemotingCommand::request(VIEW_MESSAGE_BY_ID);
        request.opaque = opaque;
        request.version = 479;
        request.ext_fields = Some(vec![("offset".to_owned(), "0".to_owned())].into());
        requests.extend(encode_to_vec(&request).expect("encode"));
    }
    let writer = {
        let mut stream = stream.try_clone().expect("clone");
        std::thread::spawn(move || stream.write_all(&requests))
    };
    let mut peak = baseline;
    for _ in 0..80 {
        std::thread::sleep(Duration::from_millis(100));
        peak = peak.max(rss_anon(&broker));
    }
    let growth = peak.saturating_sub(baseline);
    assert!(
        growth <= 256 << 20,
        "anonymous memory grew by {} MiB for a client that reads nothing",
        growth >> 20
    );
    // Reading resumes once the client reads: every answer comes.
    let mut buffer = BytesMut::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut answered = 0;
    let mut seen = std::collections::BTreeSet::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    while answered < REQUESTS {
        let n = stream.read(&mut chunk).expect("the broker keeps answering");
        assert!(n > 0, "closed after {answered} answers");
        buffer.extend_from_slice(&chunk[..n]);
        while let Some(frame) = decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH).expect("frame")
        {
            // Answers come in any order (several query threads).
            assert_eq!(frame.code, 0);
            assert!(seen.insert(frame.opaque), "opaque {} twice", frame.opaque);
            answered += 1;
        }
    }
    assert_eq!(seen, (1..=REQUESTS).collect());
    writer
        .join()
        .expect("writer")
        .expect("every request written");
    eprintln!("backlog test: peak growth {} MiB", growth >> 20);
}

/// Sends a route lookup with `opaque` on `stream`: `Some(code)` when
/// answered, `None` when the broker closed the connection.
fn route_on(stream: &mut TcpStream, opaque: i32) -> Option<i32> {
    let probe = encode_to_vec(&route_with_fields(opaque, 0, SerializeType::Json)).expect("encode");
    let _ = stream.write_all(&probe);
    answered_or_closed(stream, opaque, Duration::from_secs(10))
        .expect("answered or closed")
        .map(|frame| frame.code)
}

#[test]
fn idle_connections_hold_no_read_buffer() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    // Warm up: the first requests allocate the broker's shared structures.
    let mut client = broker.client();
    assert_eq!(client.call_code(ROUTE, &[("topic", "TBW102")]).code, 0);
    std::thread::sleep(Duration::from_millis(500));
    let before = rss_anon(&broker);
    const IDLE: usize = 500;
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(broker.addr()).expect("connect"))
        .collect();
    // A connection opened after them is served: the accept loop, which
    // takes connections in order, has reached every idle one; a moment
    // more lets each one's task run its first poll.
    assert_eq!(
        broker
            .client()
            .call_code(ROUTE, &[("topic", "TBW102")])
            .code,
        0
    );
    std::thread::sleep(Duration::from_secs(1));
    let grown = rss_anon(&broker).saturating_sub(before);
    // A read chunk (64 KiB) each would be 32 MiB; tasks and handles are a
    // few KiB each.
    assert!(
        grown < 16 << 20,
        "{IDLE} idle connections grew the broker's anonymous memory by {grown} bytes"
    );
    drop(idle);
}

#[test]
fn connections_past_the_limit_are_closed_and_logged() {
    let broker =
        BrokerProcess::start(BrokerSetup::with_route_plugin().config("serverMaxConnections = 4"));
    // Four are admitted (the harness's readiness probe may still count for
    // a moment after it closed: a refused one is retried).
    let mut admitted: Vec<TcpStream> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while admitted.len() < 4 {
        let mut stream = TcpStream::connect(broker.addr()).expect("connect");
        if route_on(&mut stream, 9) == Some(0) {
            admitted.push(stream);
        } else {
            assert!(
                Instant::now() < deadline,
                "four connections were never admitted"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // The fifth is closed without an answer; the four are still served.
    let mut fifth = TcpStream::connect(broker.addr()).expect("the kernel accepts it");
    assert_eq!(route_on(&mut fifth, 5), None);
    for stream in &mut admitted {
        assert_eq!(route_on(stream, 6), Some(0));
    }
    assert!(
        broker.log().contains("connection limit reached"),
        "{}",
        broker.log()
    );
    // One closes: a new one is admitted (once the broker has seen the close).
    admitted.pop();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = TcpStream::connect(broker.addr()).expect("connect");
        if route_on(&mut stream, 7) == Some(0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no connection admitted after one closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(broker.log().contains("below the connection limit again"));
}

#[test]
fn a_frame_sent_a_byte_at_a_time_is_closed_at_the_frame_deadline() {
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin().config("serverFrameTimeoutMillis = 1000"),
    );
    let mut slow = TcpStream::connect(broker.addr()).expect("connect");
    // A 16 MiB frame announced; then a byte every 100 ms, which used to
    // reset the idle timer for ever.
    slow.write_all(&(16_777_212u32).to_be_bytes())
        .expect("length");
    slow.write_all(&(100u32).to_be_bytes())
        .expect("header word");
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        if slow.write_all(b"x").is_err() {
            closed = true;
            break;
        }
        slow.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        match slow.read(&mut [0u8; 16]) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => panic!("no answer to an incomplete frame"),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(
        closed,
        "the connection outlived 10 s of a 1 s frame deadline"
    );
    assert!(broker.log().contains("frame not completed within"));
    // A frame completed in time, byte by byte, is served.
    let mut client = broker.client();
    let request = client.request(ROUTE, &[("topic", "TBW102")]);
    for byte in encode_to_vec(&request).expect("encode") {
        client.send_raw(&[byte]);
    }
    assert_eq!(client.read_frame().expect("answer").code, 0);
}

#[test]
fn a_frame_buffer_grows_with_the_bytes_received_not_the_length_announced() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    assert_eq!(
        broker
            .client()
            .call_code(ROUTE, &[("topic", "TBW102")])
            .code,
        0
    );
    let baseline = rss_anon(&broker);
    // 24 connections each announce a 16 MiB frame and send 1 KiB of it: 384
    // MiB if the announced length were reserved.
    let mut streams = Vec::new();
    for _ in 0..24 {
        let mut stream = TcpStream::connect(broker.addr()).expect("connect");
        stream
            .write_all(&(16_777_212u32).to_be_bytes())
            .expect("length");
        stream
            .write_all(&(100u32).to_be_bytes())
            .expect("header word");
        stream.write_all(&[b' '; 1024]).expect("some of it");
        streams.push(stream);
    }
    // Proof the broker has read them: it still answers, and a sample later.
    assert_eq!(
        broker
            .client()
            .call_code(ROUTE, &[("topic", "TBW102")])
            .code,
        0
    );
    std::thread::sleep(Duration::from_millis(500));
    let growth = rss_anon(&broker).saturating_sub(baseline);
    assert!(growth < 64 << 20, "grew by {} MiB", growth >> 20);
    drop(streams);
}

// ------------------------------------------------------------------ fuzz

/// xorshift64*: small, seedable, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A string of awkward characters: controls, quotes, backslashes,
    /// non-ASCII, the RocketMQ property separators.
    fn text(&mut self, max: u64) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "0", "9", "-", "%", "\"", "\\", "\u{1}", "\u{2}", "\n", "\u{7f}", "é", "漢",
            "😀", "\u{2028}", " ", "TBW102", "topic", "{", "}",
        ];
        let n = self.below(max + 1);
        (0..n).map(|_| *self.pick(PIECES)).collect()
    }
}

/// Request codes the fuzz sends: lookups, sends, pulls, heartbeats and
/// unknown codes; nothing that changes the broker's configuration.
const FUZZ_CODES: &[i32] = &[
    10, 11, 12, 14, 29, 30, 31, 33, 34, 38, 105, 310, 320, 351, 4242, -1,
];

fn fuzz_request(rng: &mut Rng, opaque: i32) -> RemotingCommand {
    let mut request = RemotingCommand::request(*rng.pick(FUZZ_CODES));
    request.opaque = opaque;
    request.version = 479;
    let any_flag = rng.next() as i32;
    request.flag = *rng.pick(&[0, 0, 0, FLAG_ONEWAY, 1, any_flag]);
    request.serialize_type = *rng.pick(&[SerializeType::Json, SerializeType::RocketMq]);
    let count = rng.below(16) as usize;
    let fields: Vec<(String, String)> = (0..count)
        .map(|_| {
            let key = if rng.below(2) == 0 {
                (*rng.pick(&[
                    "topic",
                    "queueId",
                    "offset",
                    "consumerGroup",
                    "a",
                    "b",
                    "e",
                    "i",
                    "suspendTimeoutMillis",
                ]))
                .to_owned()
            } else {
                rng.text(6)
            };
            let value = match rng.below(4) {
                0 => rng.below(u64::MAX).to_string(),
                1 => "0".to_owned(),
                _ => rng.text(24),
            };
            (key, value)
        })
        .collect();
    request.ext_fields = Some(fields.into());
    let body_len = rng.below(512) as usize;
    request.body = rng.bytes(body_len).into();
    request
}

/// One hostile frame (or not a frame at all).
fn fuzz_bytes(rng: &mut Rng, opaque: i32) -> Vec<u8> {
    let encode = |request: &RemotingCommand| encode_to_vec(request).unwrap_or_default();
    match rng.below(10) {
        // A well-formed request of random shape.
        0 | 1 => encode(&fuzz_request(rng, opaque)),
        // The same with bytes flipped anywhere.
        2 | 3 => {
            let mut bytes = encode(&fuzz_request(rng, opaque));
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() as u64) as usize;
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= 1 << rng.below(8);
                }
            }
            bytes
        }
        // Cut short (the probe after it lands inside the frame).
        4 => {
            let bytes = encode(&fuzz_request(rng, opaque));
            let cut = rng.below(bytes.len() as u64) as usize;
            bytes[..cut].to_vec()
        }
        // Noise.
        5 => {
            let n = rng.below(64) as usize;
            rng.bytes(n)
        }
        // Odd length fields and header words.
        6 => {
            let (any_length, any_word) = (rng.next() as i32, rng.next() as u32);
            let length = *rng.pick(&[
                -1i32,
                0,
                3,
                4,
                5,
                i32::MAX,
                16_777_212,
                16_777_213,
                any_length,
            ]);
            let word = *rng.pick(&[0u32, 0x00FF_FFFF, 0x0200_0000, any_word]);
            let mut bytes = length.to_be_bytes().to_vec();
            bytes.extend_from_slice(&word.to_be_bytes());
            let n = rng.below(32) as usize;
            bytes.extend(rng.bytes(n));
            bytes
        }
        // Hand-written JSON headers: nesting, numbers, nulls, surrogates.
        7 => {
            const HEADERS: &[&str] = &[
                r#"{"code":105,"opaque":OPAQUE,"extFields":{"topic":"TBW102","n":1.5e300,"o":{"a":[1,{"b":null}]},"z":null}}"#,
                r#"{"code":105,"opaque":OPAQUE,"extFields":{"topic":"T\ud800","\udfff":"\ud83d\ude00"}}"#,
                r#"{"code":"105","opaque":"OPAQUE","flag":null,"language":12,"extFields":null}"#,
                r#"{"code":105,"opaque":OPAQUE,"remark":"\u0000","extFields":{"topic":"TBW102"},"x":[[[[[[[[[[[[[]]]]]]]]]]]]]}"#,
                r#"{"code":105,"opaque":OPAQUE,"code":310,"extFields":{"topic":"a","topic":"TBW102"}}"#,
                r#"{"code":105,"opaque":OPAQUE,"extFields":{"topic":"TBW102"}} trailing"#,
                r#"["code",105]"#,
            ];
            let header = rng.pick(HEADERS).replace("OPAQUE", &opaque.to_string());
            json_frame(&header, b"")
        }
        // Nesting deeper than any parser's recursion limit.
        8 => {
            let depth = 1 + rng.below(100_000) as usize;
            let header = format!(
                r#"{{"code":105,"x":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            );
            json_frame(&header, b"")
        }
        // Over the extFields limit.
        _ => {
            let extra = 1000 + rng.below(30_000) as usize;
            let serialize_type = *rng.pick(&[SerializeType::Json, SerializeType::RocketMq]);
            encode(&route_with_fields(opaque, extra, serialize_type))
        }
    }
}

#[test]
fn seeded_fuzz_of_the_wire_never_hangs_a_connection_or_the_broker() {
    let seed: u64 = std::env::var("HOSTILE_FUZZ_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x5EED_F00D_2026);
    eprintln!("fuzz seed {seed} (set HOSTILE_FUZZ_SEED to replay)");
    // A short frame deadline: a frame cut short is closed in a second.
    let broker = BrokerProcess::start(
        BrokerSetup::default_manifest().config("serverFrameTimeoutMillis = 1000"),
    );
    const BATCHES: u64 = 8;
    const THREADS: u64 = 4;
    const CASES: u64 = 12;
    let (mut answered, mut closed) = (0, 0);
    for batch in 0..BATCHES {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let addr = broker.addr();
                let stream_seed =
                    (batch * THREADS + thread + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut rng = Rng((seed ^ stream_seed) | 1);
                std::thread::spawn(move || {
                    (0..CASES)
                        .map(|case| {
                            let label =
                                format!("seed {seed} batch {batch} thread {thread} case {case}");
                            fuzz_one_connection(addr, &mut rng, case as i32, &label)
                        })
                        .collect::<Vec<bool>>()
                })
            })
            .collect();
        for worker in workers {
            for was_answered in worker
                .join()
                .expect("every fuzz connection answered or closed")
            {
                if was_answered {
                    answered += 1;
                } else {
                    closed += 1;
                }
            }
        }
        // Liveness between batches: a fresh connection is served, lookups
        // and sends alike.
        let mut client = broker.client();
        assert_eq!(
            client.call_code(ROUTE, &[("topic", "TBW102")]).code,
            0,
            "seed {seed} batch {batch}"
        );
        let sent = client.send_message("FuzzLiveness", 0, "t", "k", b"alive");
        assert_eq!(sent.code, 0, "seed {seed} batch {batch}: {:?}", sent.remark);
    }
    eprintln!("fuzz: {answered} probes answered, {closed} connections closed");
    let log = broker.log();
    assert!(!log.contains("panicked"), "seed {seed}: {log}");
}

/// Sends one hostile frame and a probe behind it on a new connection: the
/// probe must be answered (true) or the connection closed (false) within
/// 20 s; a hang fails the test.
fn fuzz_one_connection(addr: SocketAddr, rng: &mut Rng, case: i32, label: &str) -> bool {
    let hostile = fuzz_bytes(rng, 1000 + case);
    let probe_opaque = 0x7F00_0000 + case;
    let mut probe = RemotingCommand::request(ROUTE);
    probe.opaque = probe_opaque;
    probe.ext_fields = Some(vec![("topic".to_owned(), "TBW102".to_owned())].into());
    let mut stream = TcpStream::connect(addr).expect("connect");
    // Writes may fail once the broker has closed the connection.
    let _ = stream.write_all(&hostile);
    let _ = stream.write_all(&encode_to_vec(&probe).expect("encode"));
    match answered_or_closed(&mut stream, probe_opaque, Duration::from_secs(20)) {
        Ok(answer) => answer.is_some(),
        Err(error) => {
            let shown = String::from_utf8_lossy(&hostile[..hostile.len().min(300)]);
            panic!("{label}: {error}; sent {shown:?}")
        }
    }
}
