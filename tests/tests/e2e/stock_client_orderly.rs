//! Orderly consumption by the stock `rocketmq-client-rust` push consumer
//! against the broker with the heartbeat, lock and query plugins: messages
//! sent to chosen queues arrive in send order per queue while the consumer
//! holds the queue locks (LOCK_BATCH_MQ 41), and a second orderly consumer
//! of the group never consumes a queue the first one holds locked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use e2e_tests::stock_client::{
    full_broker, send_to_queue_id, start_labeled_consumer, start_producer, wait_for, ConsumerSpec,
    Direction, Outgoing, SharedLog, StockRuntime, WireTap,
};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, RawClient};
use plugin_api::codec::RemotingCommand;

const READY: Duration = Duration::from_secs(180);
const LOCK_BATCH_MQ: i32 = 41;
const UNLOCK_BATCH_MQ: i32 = 42;
const TOPIC: &str = "StockOrderly";
const GROUP: &str = "stock_orderly_group";
const QUEUES: i32 = 4;
/// Messages per queue sent before the first consumer starts.
const FIRST_BATCH: usize = 30;

fn setup() -> BrokerSetup {
    full_broker()
        .processor(&plugin_library("lock_plugin"), "")
        .processor(&plugin_library("query_plugin"), "")
}

/// Message `seq` of queue `queue`: key `q2-0007`.
fn queue_message(queue: i32, seq: usize) -> Outgoing {
    Outgoing {
        key: format!("q{queue}-{seq:04}"),
        tag: "TagO".to_owned(),
        body: format!("queue {queue} message {seq}").into_bytes(),
    }
}

/// (queue, seq) of a key made by [`queue_message`].
fn parse_key(key: &str) -> (i32, usize) {
    let (queue, seq) = key
        .strip_prefix('q')
        .and_then(|rest| rest.split_once('-'))
        .unwrap_or_else(|| panic!("not a key we sent: {key}"));
    (queue.parse().unwrap(), seq.parse().unwrap())
}

/// LOCK_BATCH_MQ for `client_id` over all queues; the queue ids granted.
fn try_lock(raw: &mut RawClient, client_id: &str) -> BTreeSet<i32> {
    let mq_set: Vec<String> = (0..QUEUES)
        .map(|q| format!(r#"{{"brokerName":"broker-a","queueId":{q},"topic":"{TOPIC}"}}"#))
        .collect();
    let mut request = raw.request(LOCK_BATCH_MQ, &[]);
    request.body = format!(
        r#"{{"consumerGroup":"{GROUP}","clientId":"{client_id}","mqSet":[{}],"onlyThisBroker":false}}"#,
        mq_set.join(",")
    )
    .into_bytes()
    .into();
    let response = raw.call(&request);
    assert_eq!(response.code, 0, "{response:?}");
    granted(&response)
}

/// Queue ids in a LOCK_BATCH_MQ response's `lockOKMQSet`, or in an
/// UNLOCK_BATCH_MQ request's `mqSet`.
fn granted(command: &RemotingCommand) -> BTreeSet<i32> {
    let body: serde_json::Value = serde_json::from_slice(&command.body).expect("JSON body");
    let set = body
        .get("lockOKMQSet")
        .or_else(|| body.get("mqSet"))
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default();
    set.iter()
        .filter(|mq| mq["topic"] == TOPIC)
        .map(|mq| mq["queueId"].as_i64().expect("queueId") as i32)
        .collect()
}

/// Queues granted to the client behind `tap` by LOCK_BATCH_MQ responses.
fn locks_granted(tap: &WireTap) -> BTreeSet<i32> {
    let frames = tap.frames();
    let lock_requests: BTreeSet<i32> = frames
        .iter()
        .filter(|(d, c)| *d == Direction::ToBroker && c.code == LOCK_BATCH_MQ && !c.is_response())
        .map(|(_, c)| c.opaque)
        .collect();
    frames
        .iter()
        .filter(|(d, c)| {
            *d == Direction::ToClient && c.is_response() && lock_requests.contains(&c.opaque)
        })
        .flat_map(|(_, c)| granted(c))
        .collect()
}

/// Queues the client behind `tap` released with UNLOCK_BATCH_MQ.
fn unlocked(tap: &WireTap) -> BTreeSet<i32> {
    tap.frames()
        .iter()
        .filter(|(d, c)| *d == Direction::ToBroker && c.code == UNLOCK_BATCH_MQ && !c.is_response())
        .flat_map(|(_, c)| granted(c))
        .collect()
}

#[test]
fn orderly_consumers_get_each_queue_in_send_order_and_respect_the_queue_locks() {
    let broker = BrokerProcess::start(setup());
    let rt = StockRuntime::new("stock-orderly");
    rt.block_on(async {
        let mut producer = start_producer(&rt, broker.addr(), "stock_orderly_producer").await;
        // Per queue: the seqs sent, with the queue offset the broker gave each.
        let sent: Mutex<BTreeMap<i32, Vec<(usize, u64)>>> = Mutex::default();
        let send = |queue: i32, seq: usize| {
            let producer = &producer;
            let sent = &sent;
            async move {
                let result = send_to_queue_id(producer, TOPIC, &queue_message(queue, seq), queue).await;
                let mq = result.message_queue.as_ref().expect("queue");
                assert_eq!(mq.queue_id(), queue, "the selector chose the queue");
                sent.lock().unwrap().entry(queue).or_default().push((seq, result.queue_offset));
            }
        };
        for seq in 0..FIRST_BATCH {
            for queue in 0..QUEUES {
                send(queue, seq).await;
            }
        }
        let total_sent = || sent.lock().unwrap().values().map(Vec::len).sum::<usize>();

        let log = SharedLog::default();
        let spec = ConsumerSpec {
            orderly: true,
            ..ConsumerSpec::new(GROUP, TOPIC, "*")
        };
        let (tap1, tap2) = (WireTap::start(broker.addr()), WireTap::start(broker.addr()));
        let consumed_by = |label: &str| {
            log.entries()
                .iter()
                .filter(|(l, _)| l == label)
                .map(|(_, r)| r.key().to_owned())
                .collect::<BTreeSet<String>>()
        };

        // 1. One orderly consumer: everything, each queue in order, under lock.
        let mut c1 = start_labeled_consumer(&rt, tap1.addr(), &spec, "c1", &log).await;
        let first = wait_for(READY, || consumed_by("c1").len() == total_sent()).await;
        assert!(
            first,
            "c1 consumed {} of {}\n{}",
            consumed_by("c1").len(),
            total_sent(),
            broker.log()
        );
        assert_eq!(
            locks_granted(&tap1),
            (0..QUEUES).collect(),
            "c1 locked every queue before consuming:\n{}",
            tap1.transcript()
        );
        // While c1 consumes, no one else gets those locks.
        let mut raw = broker.client();
        assert_eq!(
            try_lock(&mut raw, "127.0.0.1@intruder"),
            BTreeSet::new(),
            "the queues c1 holds are not granted to another client"
        );

        // 2. A second orderly consumer of the group joins while messages
        // keep coming; queues move to it only when c1 lets go of them.
        let stop = AtomicBool::new(false);
        let produce = async {
            let mut seq = FIRST_BATCH;
            while !stop.load(Ordering::Relaxed) {
                for queue in 0..QUEUES {
                    send(queue, seq).await;
                }
                seq += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let scenario = async {
            let mut c2 = start_labeled_consumer(&rt, tap2.addr(), &spec, "c2", &log).await;
            let deadline = Instant::now() + READY;
            // Wait until both consume messages sent from some point on, from
            // disjoint queue sets covering all queues.
            loop {
                let cutoff = log.entries().len();
                let since = |label: &str| -> BTreeSet<i32> {
                    log.entries()[cutoff..]
                        .iter()
                        .filter(|(l, _)| l == label)
                        .map(|(_, r)| r.queue_id)
                        .collect()
                };
                let covered = wait_for(Duration::from_secs(60), || {
                    let (q1, q2) = (since("c1"), since("c2"));
                    !q1.is_empty() && !q2.is_empty() && q1.union(&q2).count() == QUEUES as usize
                })
                .await;
                let (q1, q2) = (since("c1"), since("c2"));
                if covered && q1.is_disjoint(&q2) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the orderly consumers never split the queues: c1 {q1:?}, c2 {q2:?}\n{}",
                    broker.log()
                );
            }
            stop.store(true, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            let all_in = wait_for(READY, || {
                let keys: BTreeSet<String> = log.entries().iter().map(|(_, r)| r.key().to_owned()).collect();
                keys.len() == total_sent()
            })
            .await;
            assert!(all_in, "not everything consumed\n{}", broker.log());
            // Every queue is locked by one of the two: no third client gets one.
            assert_eq!(
                try_lock(&mut broker.client(), "127.0.0.1@intruder"),
                BTreeSet::new(),
                "queues held by c1 and c2 are not granted to another client"
            );
            // Before anyone shuts down (which unlocks everything it holds).
            let locks = (locks_granted(&tap2), unlocked(&tap1));
            c2.shutdown().await;
            locks
        };
        let ((), (c2_locks, c1_unlocks)) = futures::future::join(produce, scenario).await;
        c1.shutdown().await;
        producer.shutdown().await;

        // Per queue, in arrival order across both consumers: the messages
        // come in send order (queue offsets never go back), each consumer's
        // deliveries of it form one stretch (no interleaving: a consumer
        // does not consume a queue the other holds), and the consumer that
        // took a queue over had locked it, the one that gave it up unlocked it
        // (while still running).
        let entries = log.entries();
        let sent = sent.lock().unwrap().clone();
        for queue in 0..QUEUES {
            let of_queue: Vec<&(String, _)> =
                entries.iter().filter(|(_, r)| r.queue_id == queue).collect();
            let offsets: Vec<i64> = of_queue.iter().map(|(_, r)| r.queue_offset).collect();
            assert!(
                offsets.windows(2).all(|w| w[0] <= w[1]),
                "queue {queue} delivered out of order: {offsets:?}"
            );
            for (_, got) in &of_queue {
                let (q, seq) = parse_key(got.key());
                assert_eq!(q, queue, "{} arrived from queue {queue}", got.key());
                let sent_offset = sent[&queue]
                    .iter()
                    .find(|(s, _)| *s == seq)
                    .map(|(_, offset)| *offset as i64);
                assert_eq!(sent_offset, Some(got.queue_offset), "offset of {}", got.key());
            }
            let seqs: Vec<usize> = sent[&queue].iter().map(|(s, _)| *s).collect();
            let mut first_seen = Vec::new();
            for (_, got) in &of_queue {
                let seq = parse_key(got.key()).1;
                if !first_seen.contains(&seq) {
                    first_seen.push(seq);
                }
            }
            assert_eq!(first_seen, seqs, "queue {queue}: each message, in send order");
            let mut owners: Vec<&str> = of_queue.iter().map(|(l, _)| l.as_str()).collect();
            owners.dedup();
            assert!(
                owners.len() <= 2 && owners.first() == Some(&"c1"),
                "queue {queue} consumed by {owners:?} in turn"
            );
            if owners.contains(&"c2") {
                assert!(
                    c2_locks.contains(&queue),
                    "c2 consumed queue {queue} without its lock: granted {c2_locks:?}\n{}",
                    tap2.transcript()
                );
                assert!(
                    c1_unlocks.contains(&queue),
                    "c1 never released queue {queue} it gave up: unlocked {c1_unlocks:?}\n{}",
                    tap1.transcript()
                );
            }
        }
        let per_consumer: BTreeMap<&str, BTreeSet<i32>> =
            entries.iter().fold(BTreeMap::new(), |mut map, (l, r)| {
                map.entry(l.as_str()).or_default().insert(r.queue_id);
                map
            });
        eprintln!("queues per consumer: {per_consumer:?}; c2 locked {c2_locks:?}, c1 unlocked {c1_unlocks:?}");
    });
}
