//! The host's dispatch rules: unknown codes, panics, full queues, held
//! requests, fast-port restrictions, and responses matched by opaque.

use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, RawClient};

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
