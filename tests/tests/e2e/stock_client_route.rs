//! The stock `rocketmq-client-rust` producer's route lookup
//! (`fetch_publish_message_queues`) against a broker serving only the route
//! plugin, with the broker's own address as the client's name server.

use std::collections::BTreeSet;

use e2e_tests::stock_client::{restart_broker, start_producer, Direction, StockRuntime, WireTap};
use e2e_tests::{BrokerProcess, BrokerSetup};

#[test]
fn stock_producer_fetches_the_publish_queues_of_tbw102() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let rt = StockRuntime::new("stock-route");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_route_producer").await;
        let queues = producer
            .fetch_publish_message_queues("TBW102")
            .await
            .unwrap_or_else(|error| panic!("route lookup failed: {error}\n{}", broker.log()));
        let ids: BTreeSet<i32> = queues.iter().map(|q| q.queue_id()).collect();
        assert_eq!(
            ids,
            (0..8).collect(),
            "TBW102 advertises 8 writable queues: {queues:?}"
        );
        for queue in &queues {
            assert_eq!(queue.topic().as_str(), "TBW102");
            assert_eq!(queue.broker_name().as_str(), "broker-a");
        }
        producer.shutdown().await;
    });
}

#[test]
fn stock_client_route_lookup_on_the_wire() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let tap = WireTap::start(broker.addr());
    let rt = StockRuntime::new("stock-route-wire");
    rt.block_on(async {
        let mut producer = start_producer(&rt, tap.addr(), "stock_route_wire_producer").await;
        let unknown = producer.fetch_publish_message_queues("NoSuchTopic").await;
        assert!(
            unknown.is_err(),
            "no queues for an unknown topic: {unknown:?}"
        );
        let queues = producer
            .fetch_publish_message_queues("TBW102")
            .await
            .unwrap_or_else(|error| panic!("route lookup failed: {error}\n{}", tap.transcript()));
        assert_eq!(queues.len(), 8);
        producer.shutdown().await;
    });

    let frames = tap.frames();
    let lookups: Vec<_> = frames
        .iter()
        .filter(|(direction, c)| *direction == Direction::ToBroker && c.code == 105)
        .collect();
    let topics: BTreeSet<String> = lookups
        .iter()
        .filter_map(|(_, c)| c.ext_fields.as_ref()?.get("topic").map(str::to_owned))
        .collect();
    assert!(
        topics.contains("TBW102") && topics.contains("NoSuchTopic"),
        "GET_ROUTEINFO_BY_TOPIC (105) for both topics:\n{}",
        tap.transcript()
    );
    // Each lookup answered: SUCCESS (0) for TBW102, TOPIC_NOT_EXIST (17)
    // for the unknown topic.
    for (_, request) in &lookups {
        let topic = request.ext_fields.as_ref().and_then(|f| f.get("topic"));
        let response = frames
            .iter()
            .find(|(direction, c)| {
                *direction == Direction::ToClient && c.is_response() && c.opaque == request.opaque
            })
            .map(|(_, c)| c.code);
        let expected = if topic == Some("TBW102") { 0 } else { 17 };
        assert_eq!(
            response,
            Some(expected),
            "lookup of {topic:?}:\n{}",
            tap.transcript()
        );
    }
}

#[test]
fn stock_client_looks_routes_up_again_after_a_broker_restart() {
    let mut broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let rt = StockRuntime::new("stock-route-restart");
    let mut producer = rt.block_on(start_producer(
        &rt,
        broker.addr(),
        "stock_route_restart_producer",
    ));
    let before = rt.block_on(producer.fetch_publish_message_queues("TBW102"));
    assert_eq!(before.expect("route before the restart").len(), 8);

    restart_broker(&mut broker);

    // The client's connection to the old process is gone; it reconnects to
    // the same address (a lookup racing the reconnect may fail once).
    let after = rt.block_on(async {
        let mut last = None;
        for _ in 0..20 {
            match producer.fetch_publish_message_queues("TBW102").await {
                Ok(queues) => return queues,
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        panic!("no route after the restart: {last:?}\n{}", broker.log());
    });
    assert_eq!(after.len(), 8);
    rt.block_on(producer.shutdown());
}
