//! What is counted as it happens: RPC latency where the dispatch answers,
//! messages and bytes in where a processor's put lands, out where a
//! processor's read returns (RocketMQ 5's `RemotingMetricsManager.rpcLatency`
//! and `BrokerMetricsManager`'s request metrics).
//!
//! The recorder is process-wide and exists only once the endpoint is
//! enabled: until then every hook is one atomic load that finds nothing, so
//! a broker without metrics pays nothing on its hot paths. One broker runs
//! per process; a second `Broker::start` in the same process shares the
//! first one's counters.

use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::RwLock;
use plugin_api::codec::RemotingCommand;
use plugin_api::message::properties::{
    find_property, DELAY, REAL_TOPIC, SHARDING_KEY, TIMER_DELAY_MS, TIMER_DELAY_SEC,
    TIMER_DELIVER_MS, TRAN_MSG,
};
use plugin_api::topics::{
    is_system_topic, DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, SCHEDULE_TOPIC, TIMER_TOPIC,
    TRANS_HALF_TOPIC,
};
use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts};

use super::names::{self, MessageType};
use crate::FastMap;

static RECORDER: OnceLock<Recorder> = OnceLock::new();

/// `RemotingMetricsManager.getMetricsView`: 1, 3, 5, 7, 10, 100 ms, 1, 2, 3 s.
const RPC_LATENCY_BUCKETS_MS: [f64; 9] = [1.0, 3.0, 5.0, 7.0, 10.0, 100.0, 1000.0, 2000.0, 3000.0];

/// `BrokerMetricsManager.registerMetricsView`: 1 KiB, 4 KiB, 512 KiB, 1, 2, 4 MiB.
const MESSAGE_SIZE_BUCKETS: [f64; 6] = [
    1024.0,
    4.0 * 1024.0,
    512.0 * 1024.0,
    1024.0 * 1024.0,
    2.0 * 1024.0 * 1024.0,
    4.0 * 1024.0 * 1024.0,
];

/// `__STARTDELIVERTIME`, the 4.x timer property Java's `getMessageType` still reads.
const START_DELIVER_TIME: &str = "__STARTDELIVERTIME";

/// The labels of one RPC latency series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RpcKey {
    request_code: i32,
    response_code: i32,
    long_polling: bool,
    oneway: bool,
}

/// The counters and histograms fed by the request paths.
pub struct Recorder {
    rpc_latency: HistogramVec,
    messages_in: IntCounterVec,
    throughput_in: IntCounterVec,
    message_size: HistogramVec,
    messages_out: IntCounterVec,
    throughput_out: IntCounterVec,
    /// Resolved series by their codes: the label values are names looked
    /// up from the codes, made once per series instead of per request.
    rpc_series: RwLock<FastMap<RpcKey, Histogram>>,
}

/// The recorder, creating it on first use (when the endpoint starts).
pub fn install() -> &'static Recorder {
    RECORDER.get_or_init(Recorder::new)
}

/// Records one answer: `request` answered `response_code`, having arrived
/// at `since`. `long_polling` is true for a request that was held and re-run
/// (`RemotingCommand.isSuspended`); a oneway request is recorded with result
/// `oneway` (no answer is written). Nothing happens without metrics.
#[inline]
pub fn observe_rpc(
    request: &RemotingCommand,
    response_code: i32,
    long_polling: bool,
    since: Instant,
) {
    if let Some(recorder) = RECORDER.get() {
        let key = RpcKey {
            request_code: request.code,
            response_code,
            long_polling,
            oneway: request.is_oneway(),
        };
        recorder.observe_rpc(key, since.elapsed().as_secs_f64() * 1000.0);
    }
}

/// Records a successful put of `msg_num` records, `wrote_bytes` long, to
/// `topic` with `properties` (the first record's for a batch), as
/// `SendMessageProcessor` does after its put.
#[inline]
pub fn record_put(topic: &str, properties: &str, msg_num: i32, wrote_bytes: i32) {
    if let Some(recorder) = RECORDER.get() {
        recorder.record_put(topic, properties, msg_num, wrote_bytes);
    }
}

/// Records `count` messages, `bytes` long, read for `group` from `topic`,
/// as `DefaultPullMessageResultHandler` does when a pull finds messages.
#[inline]
pub fn record_get(group: &str, topic: &str, count: i32, bytes: usize) {
    if let Some(recorder) = RECORDER.get() {
        recorder.record_get(group, topic, count, bytes);
    }
}

/// `BrokerMetricsManager.getMessageType`: from the message's properties.
pub fn message_type(properties: &str) -> MessageType {
    let has = |name: &str| find_property(properties, name).is_some();
    // Java's `Boolean.parseBoolean`.
    if find_property(properties, TRAN_MSG).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        MessageType::Transaction
    } else if has(SHARDING_KEY) {
        MessageType::Fifo
    } else if [
        START_DELIVER_TIME,
        DELAY,
        TIMER_DELIVER_MS,
        TIMER_DELAY_SEC,
        TIMER_DELAY_MS,
    ]
    .into_iter()
    .any(has)
    {
        MessageType::Delay
    } else {
        MessageType::Normal
    }
}

/// The topic a message was sent to: delayed, timer and half messages are
/// parked in a system topic with the producer's topic in `REAL_TOPIC`.
fn sent_topic<'a>(topic: &'a str, properties: &'a str) -> &'a str {
    if [SCHEDULE_TOPIC, TIMER_TOPIC, TRANS_HALF_TOPIC].contains(&topic) {
        find_property(properties, REAL_TOPIC).unwrap_or(topic)
    } else {
        topic
    }
}

fn bool_label(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

impl Recorder {
    fn new() -> Recorder {
        // The names and label sets are constants: these cannot fail.
        let histogram = |name: &str, help: &str, buckets: &[f64], labels: &[&str]| {
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )
            .expect("valid histogram definition")
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter definition")
        };
        let in_labels = [
            names::LABEL_TOPIC,
            names::LABEL_MESSAGE_TYPE,
            names::LABEL_IS_SYSTEM,
        ];
        let out_labels = [
            names::LABEL_TOPIC,
            names::LABEL_CONSUMER_GROUP,
            names::LABEL_IS_SYSTEM,
            names::LABEL_IS_RETRY,
        ];
        Recorder {
            rpc_latency: histogram(
                names::RPC_LATENCY,
                "Rpc latency, milliseconds from a request's arrival to its answer",
                &RPC_LATENCY_BUCKETS_MS,
                &[
                    names::LABEL_PROTOCOL_TYPE,
                    names::LABEL_REQUEST_CODE,
                    names::LABEL_RESPONSE_CODE,
                    names::LABEL_IS_LONG_POLLING,
                    names::LABEL_RESULT,
                ],
            ),
            messages_in: counter(
                names::MESSAGES_IN,
                "Total number of incoming messages",
                &in_labels,
            ),
            throughput_in: counter(
                names::THROUGHPUT_IN,
                "Total traffic of incoming messages, bytes",
                &in_labels,
            ),
            message_size: histogram(
                names::MESSAGE_SIZE,
                "Incoming messages size, bytes",
                &MESSAGE_SIZE_BUCKETS,
                &in_labels,
            ),
            messages_out: counter(
                names::MESSAGES_OUT,
                "Total number of outgoing messages",
                &out_labels,
            ),
            throughput_out: counter(
                names::THROUGHPUT_OUT,
                "Total traffic of outgoing messages, bytes",
                &out_labels,
            ),
            rpc_series: RwLock::new(FastMap::default()),
        }
    }

    /// The collectors to register with a registry (they share this
    /// recorder's values).
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.rpc_latency.clone()),
            Box::new(self.messages_in.clone()),
            Box::new(self.throughput_in.clone()),
            Box::new(self.message_size.clone()),
            Box::new(self.messages_out.clone()),
            Box::new(self.throughput_out.clone()),
        ]
    }

    fn observe_rpc(&self, key: RpcKey, millis: f64) {
        if let Some(series) = self.rpc_series.read().get(&key) {
            series.observe(millis);
            return;
        }
        let series = self
            .rpc_series
            .write()
            .entry(key)
            .or_insert_with(|| {
                self.rpc_latency.with_label_values(&[
                    names::PROTOCOL_TYPE_REMOTING,
                    &names::request_code_desc(key.request_code),
                    &names::response_code_desc(key.response_code),
                    bool_label(key.long_polling),
                    if key.oneway {
                        names::RESULT_ONEWAY
                    } else {
                        names::RESULT_SUCCESS
                    },
                ])
            })
            .clone();
        series.observe(millis);
    }

    fn record_put(&self, topic: &str, properties: &str, msg_num: i32, wrote_bytes: i32) {
        let topic = sent_topic(topic, properties);
        // Java counts neither consumers' send-backs nor dead letters as
        // incoming messages.
        if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
        {
            return;
        }
        let (Ok(count), Ok(bytes)) = (u64::try_from(msg_num), u64::try_from(wrote_bytes)) else {
            return;
        };
        if count == 0 {
            return;
        }
        let labels = [
            topic,
            message_type(properties).as_str(),
            bool_label(is_system_topic(topic)),
        ];
        self.messages_in.with_label_values(&labels).inc_by(count);
        self.throughput_in.with_label_values(&labels).inc_by(bytes);
        self.message_size
            .with_label_values(&labels)
            .observe((bytes / count) as f64);
    }

    fn record_get(&self, group: &str, topic: &str, count: i32, bytes: usize) {
        let Ok(count) = u64::try_from(count) else {
            return;
        };
        if count == 0 {
            return;
        }
        let is_system = is_system_topic(topic) || group.starts_with(names::SYSTEM_GROUP_PREFIX);
        let labels = [
            topic,
            group,
            bool_label(is_system),
            bool_label(topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)),
        ];
        self.messages_out.with_label_values(&labels).inc_by(count);
        self.throughput_out
            .with_label_values(&labels)
            .inc_by(bytes as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::message::properties::PROPERTY_SEPARATOR;

    fn props(pairs: &[(&str, &str)]) -> String {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}\u{1}{v}{PROPERTY_SEPARATOR}"))
            .collect()
    }

    #[test]
    fn message_types_follow_get_message_type() {
        assert_eq!(message_type(""), MessageType::Normal);
        assert_eq!(
            message_type(&props(&[("TRAN_MSG", "TRUE"), ("DELAY", "3")])),
            MessageType::Transaction
        );
        assert_eq!(
            message_type(&props(&[("__SHARDINGKEY", "k")])),
            MessageType::Fifo
        );
        assert_eq!(message_type(&props(&[("DELAY", "3")])), MessageType::Delay);
        assert_eq!(
            message_type(&props(&[("TIMER_DELAY_SEC", "3")])),
            MessageType::Delay
        );
        assert_eq!(
            message_type(&props(&[("TRAN_MSG", "false"), ("KEYS", "a")])),
            MessageType::Normal
        );
    }

    #[test]
    fn parked_messages_count_under_their_real_topic() {
        let delayed = props(&[("REAL_TOPIC", "Orders"), ("DELAY", "2")]);
        assert_eq!(sent_topic(SCHEDULE_TOPIC, &delayed), "Orders");
        assert_eq!(sent_topic(TIMER_TOPIC, &delayed), "Orders");
        assert_eq!(sent_topic("Orders", &delayed), "Orders");
        assert_eq!(sent_topic(SCHEDULE_TOPIC, ""), SCHEDULE_TOPIC);
    }

    #[test]
    fn recorder_counts_with_javas_labels() {
        let recorder = Recorder::new();
        recorder.record_put("T", "", 2, 300);
        recorder.record_put("%RETRY%g", "", 1, 100);
        recorder.record_put(
            SCHEDULE_TOPIC,
            &props(&[("REAL_TOPIC", "T"), ("DELAY", "1")]),
            1,
            50,
        );
        recorder.record_get("g", "T", 2, 300);
        recorder.record_get("g", "%RETRY%g", 0, 0);
        let key = RpcKey {
            request_code: 310,
            response_code: 0,
            long_polling: false,
            oneway: false,
        };
        recorder.observe_rpc(key, 0.5);
        recorder.observe_rpc(key, 2.0);

        let normal = recorder
            .messages_in
            .with_label_values(&["T", "normal", "false"]);
        assert_eq!(normal.get(), 2);
        let delayed = recorder
            .messages_in
            .with_label_values(&["T", "delay", "false"]);
        assert_eq!(delayed.get(), 1);
        assert_eq!(
            recorder
                .throughput_in
                .with_label_values(&["T", "normal", "false"])
                .get(),
            300
        );
        // Send-backs to the retry topic are not incoming messages.
        let families = recorder.messages_in.collect();
        assert_eq!(families[0].get_metric().len(), 2);
        assert_eq!(
            recorder
                .messages_out
                .with_label_values(&["T", "g", "false", "false"])
                .get(),
            2
        );
        let latency = recorder.rpc_latency.with_label_values(&[
            "remoting",
            "send_message_v2",
            "success",
            "false",
            "success",
        ]);
        assert_eq!(latency.get_sample_count(), 2);
        assert!((latency.get_sample_sum() - 2.5).abs() < 1e-9);
    }
}
