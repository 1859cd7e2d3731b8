//! Bad frames close only their own connection; other connections and the
//! broker keep working. Lenient headers from other clients are accepted.

use e2e_tests::{BrokerProcess, BrokerSetup, RawClient};

fn frame(type_byte: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let length = 4 + header.len() + body.len();
    let mut out = Vec::new();
    out.extend_from_slice(&(length as u32).to_be_bytes());
    out.extend_from_slice(&(((type_byte as u32) << 24) | header.len() as u32).to_be_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
}

fn assert_closes_only_that_connection(broker: &BrokerProcess, bad: &[u8]) {
    let mut bystander = broker.client();
    assert_eq!(bystander.call_code(105, &[("topic", "TBW102")]).code, 0);

    let mut offender = broker.client();
    offender.send_raw(bad);
    assert!(
        offender.is_closed_by_peer(),
        "the offending connection is closed"
    );

    assert_eq!(
        bystander.call_code(105, &[("topic", "TBW102")]).code,
        0,
        "an existing connection keeps working"
    );
    assert_eq!(
        broker.client().call_code(105, &[("topic", "TBW102")]).code,
        0,
        "new connections work"
    );
}

#[test]
fn oversize_frame_closes_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    // length + 4 = 16 MiB + 1 > the 16 MiB maximum; only the 8-byte prefix is sent.
    let mut bad = (16_777_213u32).to_be_bytes().to_vec();
    bad.extend_from_slice(&0u32.to_be_bytes());
    assert_closes_only_that_connection(&broker, &bad);
    assert!(
        broker.log().contains("malformed frame"),
        "logged with the peer address"
    );
}

#[test]
fn header_longer_than_frame_closes_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut bad = 8u32.to_be_bytes().to_vec();
    bad.extend_from_slice(&100u32.to_be_bytes());
    bad.extend_from_slice(b"{}{}");
    assert_closes_only_that_connection(&broker, &bad);
}

#[test]
fn unknown_serialize_type_closes_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    assert_closes_only_that_connection(&broker, &frame(2, br#"{"code":105}"#, b""));
}

#[test]
fn undecodable_json_header_closes_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    assert_closes_only_that_connection(&broker, &frame(0, b"{\"code\":105,", b""));
}

#[test]
fn truncated_binary_header_closes_the_connection() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    assert_closes_only_that_connection(&broker, &frame(1, &[0, 105, 0, 1], b""));
}

#[test]
fn lenient_headers_from_other_clients_are_accepted() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    // Go client's field order, empty remark, no serializeTypeCurrentRPC, an
    // unknown field, and an extFields value sent as a JSON boolean.
    let header = br#"{"code":105,"language":"GO","version":317,"opaque":77,"flag":0,"remark":"","extFields":{"topic":"TBW102","acceptStandardJsonOnly":true},"somethingNew":[1,2]}"#;
    client.send_raw(&frame(0, header, b""));
    let response = client.read_frame().expect("response");
    assert_eq!((response.code, response.opaque), (0, 77));
    assert!(String::from_utf8_lossy(&response.body).contains("{\"0\":"));
}

#[test]
fn a_frame_split_across_writes_is_reassembled() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = RawClient::connect(broker.addr());
    let request = client.request(105, &[("topic", "TBW102")]);
    let bytes = plugin_api::codec::encode_to_vec(&request).expect("encode");
    for chunk in bytes.chunks(3) {
        client.send_raw(chunk);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let response = client.read_frame().expect("response");
    assert_eq!((response.code, response.opaque), (0, request.opaque));
}
