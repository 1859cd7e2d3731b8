//! The host's dispatch rules: unknown codes, panics, full queues, held
//! requests, fast-port restrictions, responses matched by opaque, and lone
//! requests run on the network thread (`inline_codes`).

use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, RawClient};
use plugin_api::serde_json::{self, Value};

/// LIST_PROCESSORS (the host's management code).
const LIST_PROCESSORS: i32 = 9100;

fn with_panic_plugin(extra: &str) -> BrokerSetup {
    BrokerSetup::with_route_plugin().processor(&plugin_library("panic_plugin"), extra)
}

#[test]
fn unknown_code_answers_request_code_not_supported() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let response = client.call_code(4242, &[]);
    assert_eq!(response.code, 3);
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 4242 not supported")
    );
    assert_eq!(response.language, plugin_api::codec::LanguageCode::Java);
    assert_eq!(response.version, plugin_api::codes::BROKER_VERSION);
}

#[test]
fn oneway_requests_get_no_response_even_on_error() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let mut oneway = client.request(4242, &[]);
    oneway.flag = plugin_api::codec::FLAG_ONEWAY;
    client.send(&oneway);
    // The next frame on the wire must be the answer to the next request.
    let next = client.request(105, &[("topic", "TBW102")]);
    let response = client.call(&next);
    assert_eq!(response.code, 0);
}

#[test]
fn a_panicking_processor_answers_system_error_and_the_broker_keeps_serving() {
    let broker = BrokerProcess::start(with_panic_plugin(""));
    let mut client = broker.client();
    for _ in 0..3 {
        let response = client.call_code(9901, &[]);
        assert_eq!(response.code, 1);
        let remark = response.remark.expect("remark");
        assert!(remark.contains("panic-test panicked"), "{remark}");
        assert!(remark.contains("deliberate panic"), "{remark}");
    }
    // Same plugin, same threads, still working; and the other plugin too.
    let echo = client.call_code(9902, &[("text", "still alive")]);
    assert_eq!((echo.code, &echo.body[..]), (0, &b"still alive"[..]));
    assert_eq!(client.call_code(105, &[("topic", "TBW102")]).code, 0);
    assert!(
        broker.log().contains("about to panic on purpose"),
        "plugin log lines reach the broker log"
    );
}

#[test]
fn a_full_queue_answers_system_busy() {
    let broker = BrokerProcess::start(with_panic_plugin("threads = 1\nqueue_capacity = 1"));
    let mut client = broker.client();
    // One request runs (sleeping), one waits in the queue, the rest overflow.
    let requests: Vec<_> = (0..6)
        .map(|_| client.request(9904, &[("sleep_millis", "1500")]))
        .collect();
    for request in &requests {
        client.send(request);
    }
    let mut codes = Vec::new();
    for _ in &requests {
        let response = client.read_frame().expect("response");
        if response.code == 2 {
            assert_eq!(
                response.remark.as_deref(),
                Some("[OVERLOAD]system busy, start flow control for a while")
            );
        }
        codes.push((response.opaque, response.code));
    }
    let busy = codes.iter().filter(|(_, code)| *code == 2).count();
    let ok = codes.iter().filter(|(_, code)| *code == 0).count();
    assert!(busy >= 1, "some requests must be refused: {codes:?}");
    assert!(ok >= 1, "the running request completes: {codes:?}");
    assert_eq!(busy + ok, requests.len());
}

#[test]
fn responses_come_back_as_they_complete_matched_by_opaque() {
    let broker = BrokerProcess::start(with_panic_plugin("threads = 2"));
    let mut client = broker.client();
    let slow = client.request(9904, &[("sleep_millis", "1000")]);
    let fast = client.request(9902, &[("text", "fast")]);
    client.send(&slow);
    client.send(&fast);
    let first = client.read_frame().expect("first response");
    let second = client.read_frame().expect("second response");
    assert_eq!(
        first.opaque, fast.opaque,
        "the fast answer is not stuck behind the slow one"
    );
    assert_eq!(second.opaque, slow.opaque);
}

#[test]
fn a_held_request_is_answered_by_its_rerun() {
    let broker = BrokerProcess::start(with_panic_plugin(""));
    let mut client = broker.client();
    let response = client.call_code(9903, &[("hold_millis", "300")]);
    assert_eq!((response.code, &response.body[..]), (0, &b"held"[..]));
}

#[test]
fn codes_kept_off_the_fast_port_answer_not_supported_there() {
    let broker = BrokerProcess::start(with_panic_plugin("fast_port = false"));
    let mut main = broker.client();
    assert_eq!(main.call_code(9902, &[("text", "x")]).code, 0);
    let mut fast = RawClient::connect(broker.fast_addr());
    assert_eq!(fast.call_code(9902, &[("text", "x")]).code, 3);
    assert_eq!(fast.call_code(105, &[("topic", "TBW102")]).code, 0);
}

#[test]
fn a_manifest_may_narrow_the_codes_a_plugin_serves() {
    let broker = BrokerProcess::start(with_panic_plugin("codes = [9902]"));
    let mut client = broker.client();
    assert_eq!(client.call_code(9902, &[("text", "x")]).code, 0);
    assert_eq!(client.call_code(9901, &[]).code, 3);
}

/// `(served, inline)` of the panic-test processor, from LIST_PROCESSORS.
fn panic_test_counts(client: &mut RawClient) -> (u64, u64) {
    let response = client.call_code(LIST_PROCESSORS, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let list: Value = serde_json::from_slice(&response.body).expect("JSON listing");
    let entry = list
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "panic-test"))
        .unwrap_or_else(|| panic!("panic-test listed: {list}"));
    let count = |key: &str| {
        entry["sinceLoad"][key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {entry}"))
    };
    (count("served"), count("inline"))
}

#[test]
fn a_lone_request_with_an_inline_code_runs_on_the_network_thread() {
    let broker = BrokerProcess::start(with_panic_plugin("inline_codes = [9901, 9902]"));
    let mut client = broker.client();
    for round in 0..20 {
        let text = format!("inline {round}");
        let echo = client.call_code(9902, &[("text", &text)]);
        assert_eq!((echo.code, &echo.body[..]), (0, text.as_bytes()));
    }
    assert_eq!(
        panic_test_counts(&mut client),
        (20, 20),
        "one request at a time, idle pool: every one ran in place"
    );
    // A panic in place is caught like one on a worker: SYSTEM_ERROR, and the
    // network thread goes on serving this and every other connection.
    let panicked = client.call_code(9901, &[]);
    assert_eq!(panicked.code, 1);
    assert!(
        panicked
            .remark
            .as_deref()
            .is_some_and(|r| r.contains("deliberate panic")),
        "{:?}",
        panicked.remark
    );
    let echo = client.call_code(9902, &[("text", "after")]);
    assert_eq!((echo.code, &echo.body[..]), (0, &b"after"[..]));
    let mut other = broker.client();
    assert_eq!(other.call_code(9902, &[("text", "x")]).code, 0);
    assert_eq!(panic_test_counts(&mut client), (23, 23));
}

#[test]
fn a_held_request_does_not_keep_a_lone_request_on_its_connection_off_the_network_thread() {
    // A Java client shares one connection between its producer and its
    // long-polling consumer: a held pull must not count as in flight.
    let broker = BrokerProcess::start(with_panic_plugin("inline_codes = [9902]"));
    let mut client = broker.client();
    let held = client.request(9903, &[("hold_millis", "1500")]);
    client.send(&held);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let echo = client.request(9902, &[("text", "beside a held one")]);
    client.send(&echo);
    let first = client.read_frame().expect("echo answer");
    assert_eq!(
        (first.opaque, &first.body[..]),
        (echo.opaque, &b"beside a held one"[..])
    );
    let second = client.read_frame().expect("held answer");
    assert_eq!(
        (second.opaque, &second.body[..]),
        (held.opaque, &b"held"[..])
    );
    let (served, inline) = panic_test_counts(&mut client);
    assert_eq!(served, 3, "the held request runs twice");
    assert_eq!(inline, 1, "the echo ran in place");
    // Its re-run counted as in flight again and ended: lone requests still
    // run in place afterwards.
    assert_eq!(client.call_code(9902, &[("text", "x")]).code, 0);
    assert_eq!(panic_test_counts(&mut client), (4, 2));
}

#[test]
fn requests_behind_another_in_flight_or_of_other_codes_go_through_the_pool() {
    let broker = BrokerProcess::start(with_panic_plugin("threads = 2\ninline_codes = [9902]"));
    let mut client = broker.client();
    // 9904 is not an inline code: it runs on a worker, and while it is in
    // flight the echo behind it on the same connection is queued too, even
    // though the other worker is idle.
    let slow = client.request(9904, &[("sleep_millis", "500")]);
    let echo = client.request(9902, &[("text", "queued")]);
    client.send(&slow);
    client.send(&echo);
    let first = client.read_frame().expect("first response");
    let second = client.read_frame().expect("second response");
    assert_eq!(
        (first.opaque, &first.body[..]),
        (echo.opaque, &b"queued"[..])
    );
    assert_eq!((second.opaque, second.code), (slow.opaque, 0));
    // Fifty echoes in one write: read together, so at most the last one read
    // can be alone; each is answered once, in full, whichever thread ran it.
    let requests: Vec<_> = (0..50)
        .map(|i| client.request(9902, &[("text", &format!("p{i}"))]))
        .collect();
    let wire: Vec<u8> = requests
        .iter()
        .flat_map(|r| plugin_api::codec::encode_to_vec(r).expect("encodes"))
        .collect();
    client.send_raw(&wire);
    let mut answered: Vec<(i32, Vec<u8>)> = (0..requests.len())
        .map(|_| {
            let response = client.read_frame().expect("response");
            assert_eq!(response.code, 0);
            (response.opaque, response.body.to_vec())
        })
        .collect();
    answered.sort();
    let mut expected: Vec<(i32, Vec<u8>)> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| (r.opaque, format!("p{i}").into_bytes()))
        .collect();
    expected.sort();
    assert_eq!(answered, expected);
    let (served, inline) = panic_test_counts(&mut client);
    assert_eq!(served, 52);
    assert!(
        inline < 50,
        "requests read together are queued: {inline} in place"
    );
}
