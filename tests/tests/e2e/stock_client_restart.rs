//! The stock `rocketmq-client-rust` client across a broker restart (SIGTERM,
//! then a new process on the same store directory and port): stored
//! messages and committed consumer offsets survive.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use e2e_tests::stock_client::{
    full_broker, numbered_index, numbered_message, restart_broker, send_all, start_consumer,
    start_producer, wait_for, Collector, ConsumerSpec, Outgoing, StockRuntime,
};
use e2e_tests::BrokerProcess;

/// Readiness deadline for a consumer to catch up, reconnects included.
const CATCH_UP: Duration = Duration::from_secs(300);
/// After everything arrived, how long late duplicates get to show up.
const SETTLE: Duration = Duration::from_secs(3);

fn batch(range: std::ops::Range<usize>) -> Vec<Outgoing> {
    range.map(numbered_message).collect()
}

fn keys(messages: &[Outgoing]) -> HashSet<String> {
    messages.iter().map(|m| m.key.clone()).collect()
}

/// Deliveries intact: body and tag are those of the numbered message.
fn check_intact(collector: &Collector) {
    for got in collector.deliveries() {
        let sent = numbered_message(numbered_index(got.key()).expect("a key we sent"));
        assert_eq!(
            got.tag.as_deref(),
            Some(sent.tag.as_str()),
            "tag of {}",
            sent.key
        );
        assert!(got.body == sent.body, "body of {} differs", sent.key);
    }
}

fn missing(expected: &HashSet<String>, collector: &Collector) -> Vec<String> {
    let mut missing: Vec<_> = expected
        .difference(&collector.acked_keys())
        .cloned()
        .collect();
    missing.sort();
    missing.truncate(20);
    missing
}

#[test]
fn stored_messages_and_committed_offsets_survive_a_restart() {
    const TOPIC: &str = "StockRestart";
    const GROUP: &str = "stock_restart_group";
    let mut broker = BrokerProcess::start(full_broker());
    let rt = StockRuntime::new("stock-restart");
    let consumed = batch(0..500);
    let stored = batch(500..1000);
    let after = batch(1000..1500);

    // Before: consume a first batch, stop the consumer cleanly (it commits
    // its offsets), then store a second batch nobody consumes yet.
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_restart_producer").await;
        send_all(&producer, TOPIC, &consumed, 4).await;
        let before = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &before,
        )
        .await;
        let expected = keys(&consumed);
        let caught_up = wait_for(CATCH_UP, || before.acked_keys() == expected).await;
        assert!(
            caught_up,
            "first batch lacks {:?}\n{}",
            missing(&expected, &before),
            broker.log()
        );
        consumer.shutdown().await;
        send_all(&producer, TOPIC, &stored, 4).await;
        producer.shutdown().await;
    });

    restart_broker(&mut broker);

    // After: a third batch, then the same group again. It starts from its
    // committed offsets (ConsumeFromFirstOffset would replay the first batch
    // if they were lost) and gets the stored and the new batch exactly once.
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_restart_producer_2").await;
        send_all(&producer, TOPIC, &after, 4).await;
        let collector = Collector::default();
        let mut consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new(GROUP, TOPIC, "*"),
            &collector,
        )
        .await;
        let expected: HashSet<String> = keys(&stored).union(&keys(&after)).cloned().collect();
        let caught_up = wait_for(CATCH_UP, || expected.is_subset(&collector.acked_keys())).await;
        assert!(
            caught_up,
            "after the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        consumer.shutdown().await;
        producer.shutdown().await;

        check_intact(&collector);
        let replayed: Vec<String> = collector
            .deliveries()
            .iter()
            .map(|r| r.key().to_owned())
            .filter(|key| keys(&consumed).contains(key))
            .take(20)
            .collect();
        assert!(
            replayed.is_empty(),
            "committed before the restart, delivered again: {replayed:?}"
        );
        let mut counts: HashMap<String, usize> = HashMap::new();
        for got in collector.deliveries() {
            *counts.entry(got.key().to_owned()).or_default() += 1;
        }
        let duplicated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(20).collect();
        assert!(
            duplicated.is_empty(),
            "delivered more than once: {duplicated:?}"
        );
    });
}

#[test]
fn a_running_consumer_and_producer_ride_through_a_restart() {
    const TOPIC: &str = "StockRideThrough";
    let mut broker = BrokerProcess::start(full_broker());
    let rt = StockRuntime::new("stock-ride-through");
    let before = batch(0..300);
    let after = batch(300..600);
    let collector = Collector::default();

    let (mut producer, mut consumer) = rt.block_on(async {
        let producer = start_producer(&rt, broker.addr(), "stock_ride_producer").await;
        send_all(&producer, TOPIC, &before, 4).await;
        let spec = ConsumerSpec::new("stock_ride_group", TOPIC, "*");
        let consumer = start_consumer(&rt, broker.addr(), &spec, &collector).await;
        let expected = keys(&before);
        let caught_up = wait_for(CATCH_UP, || collector.acked_keys() == expected).await;
        assert!(
            caught_up,
            "before the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        (producer, consumer)
    });

    restart_broker(&mut broker);

    rt.block_on(async {
        // The same clients reconnect on their own (a send on a stale
        // connection is retried by the client).
        send_all(&producer, TOPIC, &after, 4).await;
        let expected: HashSet<String> = keys(&before).union(&keys(&after)).cloned().collect();
        let caught_up = wait_for(CATCH_UP, || collector.acked_keys() == expected).await;
        assert!(
            caught_up,
            "after the restart, lacks {:?}\n{}",
            missing(&expected, &collector),
            broker.log()
        );
        consumer.shutdown().await;
        producer.shutdown().await;
    });

    // At least once: everything arrived intact. Re-deliveries are allowed
    // (offsets are committed every 5 s, and the client may re-read them when
    // it re-balances after the reconnect); they are reported, not failed.
    check_intact(&collector);
    let deliveries = collector.deliveries();
    let distinct: HashSet<&str> = deliveries.iter().map(|r| r.key()).collect();
    eprintln!(
        "{} deliveries of {} messages across the restart",
        deliveries.len(),
        distinct.len()
    );
}
