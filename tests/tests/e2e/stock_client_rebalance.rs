//! Rebalancing of the stock `rocketmq-client-rust` push consumer against the
//! broker with the heartbeat (client registry), lock and query plugins: two
//! consumers of one group split a 4-queue topic; when one stops, the broker
//! sends NOTIFY_CONSUMER_IDS_CHANGED (40) to the other, which takes over
//! every queue; no message is lost across the change.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use e2e_tests::stock_client::{
    full_broker, numbered_index, numbered_message, send_one, start_consumer, start_producer,
    wait_for, Collector, ConsumerSpec, Direction, StockRuntime, WireTap,
};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup};

/// Readiness deadline for a rebalance or a catch-up (debug-build broker,
/// small machine; the client's periodic rebalance alone runs every 20 s).
const READY: Duration = Duration::from_secs(180);
const NOTIFY_CONSUMER_IDS_CHANGED: i32 = 40;
const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;
const TOPIC: &str = "StockRebalance";
const GROUP: &str = "stock_rebalance_group";

fn setup() -> BrokerSetup {
    full_broker()
        .processor(&plugin_library("lock_plugin"), "")
        .processor(&plugin_library("query_plugin"), "")
}

/// Queues of the deliveries in `collector` of messages numbered `from` or later.
fn queues_since(collector: &Collector, from: usize) -> BTreeSet<i32> {
    collector
        .deliveries()
        .iter()
        .filter(|r| numbered_index(r.key()).is_some_and(|i| i >= from))
        .map(|r| r.queue_id)
        .collect()
}

fn all_queues() -> BTreeSet<i32> {
    (0..4).collect()
}

#[test]
fn two_consumers_split_the_queues_and_the_survivor_takes_all_on_notify() {
    let broker = BrokerProcess::start(setup());
    let rt = StockRuntime::new("stock-rebalance");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_rebalance_producer").await;
        // Create the topic (4 queues, the client's defaultTopicQueueNums)
        // before anyone subscribes.
        let sent: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let mut queues = BTreeSet::new();
        for i in 0..40 {
            let message = numbered_message(i);
            let result = send_one(&producer, TOPIC, &message).await;
            queues.insert(result.message_queue.as_ref().expect("queue").queue_id());
            sent.lock().unwrap().push(message.key);
        }
        assert_eq!(queues, all_queues(), "the topic has 4 queues");

        // Each consumer talks to the broker through its own tap, so the
        // frames the broker sends to each are told apart.
        let tap_a = WireTap::start(broker.addr());
        let tap_b = WireTap::start(broker.addr());
        let spec = ConsumerSpec::new(GROUP, TOPIC, "*");
        let (a, b) = (Collector::default(), Collector::default());
        let stop = AtomicBool::new(false);

        // Keep producing during the whole test.
        let produce = async {
            let mut i = 40;
            while !stop.load(Ordering::Relaxed) {
                let message = numbered_message(i);
                send_one(&producer, TOPIC, &message).await;
                sent.lock().unwrap().push(message.key);
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let sent_count = || sent.lock().unwrap().len();

        let scenario = async {
            let mut consumer_a = start_consumer(&rt, tap_a.addr(), &spec, &a).await;
            let mut consumer_b = start_consumer(&rt, tap_b.addr(), &spec, &b).await;

            // 1. The two split the queues: messages sent after some point
            // are consumed by both, from disjoint queue sets covering all 4.
            let deadline = Instant::now() + READY;
            let (split_a, split_b) = loop {
                let cutoff = sent_count();
                let covered = wait_for(Duration::from_secs(60), || {
                    let (qa, qb) = (queues_since(&a, cutoff), queues_since(&b, cutoff));
                    !qa.is_empty() && !qb.is_empty() && qa.union(&qb).count() == 4
                })
                .await;
                let (qa, qb) = (queues_since(&a, cutoff), queues_since(&b, cutoff));
                if covered && qa.is_disjoint(&qb) {
                    break (qa, qb);
                }
                assert!(
                    Instant::now() < deadline,
                    "the consumers never split the queues: A {qa:?}, B {qb:?}\n{}",
                    broker.log()
                );
            };
            let members = broker
                .client()
                .call_code(GET_CONSUMER_LIST_BY_GROUP, &[("consumerGroup", GROUP)]);
            assert_eq!(members.code, 0, "{members:?}");
            let members_body = String::from_utf8_lossy(&members.body).into_owned();
            assert_eq!(
                members_body.matches('@').count(),
                2,
                "two consumers registered: {members_body}"
            );

            // 2. A stops; the broker tells B at once (NOTIFY 40), and B
            // ends up consuming every queue.
            let mark = tap_b.frames().len();
            consumer_a.shutdown().await;
            let cutoff = sent_count();
            let notified = wait_for(READY, || {
                tap_b.frames()[mark..].iter().any(|(direction, c)| {
                    *direction == Direction::ToClient
                        && !c.is_response()
                        && c.code == NOTIFY_CONSUMER_IDS_CHANGED
                        && c.ext_fields
                            .as_ref()
                            .and_then(|f| f.get("consumerGroup"))
                            .is_some_and(|g| g == GROUP)
                })
            })
            .await;
            assert!(
                notified,
                "no NOTIFY_CONSUMER_IDS_CHANGED to B after A left:\n{}\n{}",
                tap_b.transcript(),
                broker.log()
            );
            let took_over = wait_for(READY, || queues_since(&b, cutoff) == all_queues()).await;
            assert!(
                took_over,
                "B consumes only {:?} of the messages sent after A left\n{}",
                queues_since(&b, cutoff),
                broker.log()
            );
            let members = broker
                .client()
                .call_code(GET_CONSUMER_LIST_BY_GROUP, &[("consumerGroup", GROUP)]);
            let members_body = String::from_utf8_lossy(&members.body).into_owned();
            assert_eq!(
                members_body.matches('@').count(),
                1,
                "one consumer left: {members_body}"
            );

            // 3. Stop producing; every key sent is consumed at least once.
            stop.store(true, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            let consumed =
                || -> HashSet<String> { a.acked_keys().union(&b.acked_keys()).cloned().collect() };
            let all_in = wait_for(READY, || {
                let got = consumed();
                sent.lock().unwrap().iter().all(|k| got.contains(k))
            })
            .await;
            let got = consumed();
            let mut lost: Vec<String> = sent
                .lock()
                .unwrap()
                .iter()
                .filter(|k| !got.contains(*k))
                .cloned()
                .collect();
            lost.truncate(20);
            assert!(
                all_in,
                "lost across the rebalance: {lost:?}\n{}",
                broker.log()
            );
            consumer_b.shutdown().await;
            (split_a, split_b)
        };
        let ((), (split_a, split_b)) = futures::future::join(produce, scenario).await;
        eprintln!(
            "split: A {split_a:?}, B {split_b:?}; {} messages sent",
            sent.lock().unwrap().len()
        );
        producer.shutdown().await;
    });
}
