//! The stock `rocketmq-client-rust` producer and push consumer against the
//! broker with the send, pull, heartbeat and route plugins: the proof of the
//! store, send and pull work.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use e2e_tests::stock_client::{
    full_broker, numbered_index, numbered_message, send_all, start_consumer, start_producer,
    wait_for, Collector, ConsumerSpec, Outgoing, Received, StockRuntime,
};
use e2e_tests::BrokerProcess;
use rocketmq_client_rust::{SendResult, SendStatus};

/// Readiness deadline for a consumer to catch up (debug-build broker, 2 cores).
const CATCH_UP: Duration = Duration::from_secs(300);
/// After everything arrived, how long late duplicates get to show up.
const SETTLE: Duration = Duration::from_secs(3);

fn keys_of<'a>(messages: impl IntoIterator<Item = &'a Outgoing>) -> HashSet<String> {
    messages.into_iter().map(|m| m.key.clone()).collect()
}

fn missing(expected: &HashSet<String>, got: &HashSet<String>) -> Vec<String> {
    let mut missing: Vec<_> = expected.difference(got).cloned().collect();
    missing.sort();
    missing.truncate(20);
    missing
}

/// Every SendResult is SEND_OK on the topic, and the (queue, offset) pairs
/// of a fresh topic fill each queue from 0 without gaps or repeats.
fn check_send_results(topic: &str, results: &[SendResult]) {
    let mut offsets: BTreeMap<i32, Vec<u64>> = BTreeMap::new();
    for result in results {
        assert_eq!(result.send_status, SendStatus::SendOk, "{result:?}");
        assert!(result.msg_id.is_some(), "{result:?}");
        let queue = result
            .message_queue
            .as_ref()
            .expect("SendResult names its queue");
        assert_eq!(queue.topic().as_str(), topic);
        assert_eq!(queue.broker_name().as_str(), "broker-a");
        offsets
            .entry(queue.queue_id())
            .or_default()
            .push(result.queue_offset);
    }
    for (queue, mut offsets) in offsets {
        offsets.sort_unstable();
        let expected: Vec<u64> = (0..offsets.len() as u64).collect();
        assert_eq!(offsets, expected, "offsets of queue {queue}");
    }
}

/// The delivery matches what was sent and where the broker said it put it.
fn check_delivery(topic: &str, got: &Received, sent: &Outgoing, result: &SendResult) {
    assert_eq!(got.topic, topic);
    assert_eq!(got.keys, vec![sent.key.clone()]);
    assert_eq!(
        got.tag.as_deref(),
        Some(sent.tag.as_str()),
        "tag of {}",
        sent.key
    );
    assert!(
        got.body == sent.body,
        "body of {} differs ({} bytes sent, {} received)",
        sent.key,
        sent.body.len(),
        got.body.len()
    );
    assert_eq!(
        got.uniq_key.as_deref(),
        result.msg_id.as_ref().map(|id| id.as_str()),
        "UNIQ_KEY of {}",
        sent.key
    );
    let queue = result.message_queue.as_ref().expect("queue");
    assert_eq!(
        (got.queue_id, got.queue_offset),
        (queue.queue_id(), result.queue_offset as i64),
        "position of {}",
        sent.key
    );
    assert_eq!(got.reconsume_times, 0, "{} was never failed", sent.key);
}

#[test]
fn ten_thousand_messages_each_consumed_once_and_a_tag_group_gets_its_share() {
    const COUNT: usize = 10_000;
    const TOPIC: &str = "StockProduceConsume";
    let broker = BrokerProcess::start(full_broker());
    let rt = StockRuntime::new("stock-produce-consume");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_pc_producer").await;
        let messages: Vec<Outgoing> = (0..COUNT).map(numbered_message).collect();
        let results = send_all(&producer, TOPIC, &messages, 8).await;
        check_send_results(TOPIC, &results);

        let all = Collector::default();
        let tag_b = Collector::default();
        let mut all_consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new("stock_pc_all", TOPIC, "*"),
            &all,
        )
        .await;
        let mut tag_consumer = start_consumer(
            &rt,
            broker.addr(),
            &ConsumerSpec::new("stock_pc_tag_b", TOPIC, "TagB"),
            &tag_b,
        )
        .await;

        let expected_all = keys_of(&messages);
        let expected_b = keys_of(messages.iter().filter(|m| m.tag == "TagB"));
        let caught_up = wait_for(CATCH_UP, || {
            all.acked_keys().len() == COUNT && tag_b.acked_keys().len() == expected_b.len()
        })
        .await;
        assert!(
            caught_up,
            "not all delivered: group * lacks {:?}, group TagB lacks {:?}\n{}",
            missing(&expected_all, &all.acked_keys()),
            missing(&expected_b, &tag_b.acked_keys()),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        all_consumer.shutdown().await;
        tag_consumer.shutdown().await;
        producer.shutdown().await;

        let deliveries = all.deliveries();
        let mut seen = HashMap::new();
        for got in &deliveries {
            *seen.entry(got.key().to_owned()).or_insert(0) += 1;
            let index = numbered_index(got.key()).expect("a key we sent");
            check_delivery(TOPIC, got, &messages[index], &results[index]);
        }
        let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(20).collect();
        assert!(
            duplicated.is_empty(),
            "delivered more than once: {duplicated:?}"
        );
        assert_eq!(deliveries.len(), COUNT);

        let filtered = tag_b.deliveries();
        assert!(filtered
            .iter()
            .all(|got| got.tag.as_deref() == Some("TagB")));
        assert_eq!(keys_of_received(&filtered), expected_b);
        assert_eq!(filtered.len(), expected_b.len(), "each TagB message once");
        for got in &filtered {
            let index = numbered_index(got.key()).expect("a key we sent");
            check_delivery(TOPIC, got, &messages[index], &results[index]);
        }
    });
}

fn keys_of_received(deliveries: &[Received]) -> HashSet<String> {
    deliveries.iter().map(|r| r.key().to_owned()).collect()
}

#[test]
fn a_message_failed_with_reconsume_later_comes_back_and_then_succeeds() {
    const COUNT: usize = 30;
    const TOPIC: &str = "StockRetry";
    let broker = BrokerProcess::start(full_broker());
    let rt = StockRuntime::new("stock-retry");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_retry_producer").await;
        let messages: Vec<Outgoing> = (0..COUNT).map(numbered_message).collect();
        let results = send_all(&producer, TOPIC, &messages, 4).await;
        check_send_results(TOPIC, &results);

        let collector = Collector::default();
        let fails = |key: &str| numbered_index(key).is_some_and(|i| i % 5 == 0);
        let spec = ConsumerSpec::new("stock_retry_group", TOPIC, "*")
            .fail_first(move |got| fails(got.key()));
        let mut consumer = start_consumer(&rt, broker.addr(), &spec, &collector).await;

        let expected = keys_of(&messages);
        let caught_up = wait_for(CATCH_UP, || collector.acked_keys().len() == COUNT).await;
        assert!(
            caught_up,
            "never acknowledged: {:?}\ndeliveries: {:#?}\n{}",
            missing(&expected, &collector.acked_keys()),
            collector
                .deliveries()
                .iter()
                .map(|r| (r.key().to_owned(), r.acked, r.reconsume_times))
                .collect::<Vec<_>>(),
            broker.log()
        );
        tokio::time::sleep(SETTLE).await;
        consumer.shutdown().await;
        producer.shutdown().await;

        let deliveries = collector.deliveries();
        for (index, sent) in messages.iter().enumerate() {
            let of_key: Vec<&Received> =
                deliveries.iter().filter(|r| r.key() == sent.key).collect();
            if !fails(&sent.key) {
                assert_eq!(of_key.len(), 1, "{} delivered once", sent.key);
                check_delivery(TOPIC, of_key[0], sent, &results[index]);
                continue;
            }
            assert_eq!(
                of_key.len(),
                2,
                "{} failed once, then delivered again: {of_key:#?}",
                sent.key
            );
            let (first, again) = (of_key[0], of_key[1]);
            assert!(!first.acked && again.acked);
            check_delivery(TOPIC, first, sent, &results[index]);
            // Back from %RETRY%stock_retry_group: the client restores the
            // original topic; keys, tag, body and UNIQ_KEY travel with it.
            assert_eq!(again.topic, TOPIC);
            assert_eq!(again.keys, vec![sent.key.clone()]);
            assert_eq!(again.tag.as_deref(), Some(sent.tag.as_str()));
            assert!(again.body == sent.body, "body of {} after retry", sent.key);
            assert_eq!(again.uniq_key, first.uniq_key);
            assert_eq!(again.reconsume_times, 1);
        }
    });
}
