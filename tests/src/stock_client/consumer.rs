//! Push-consumer helpers: what a consumer subscribes to, listeners that
//! record every delivery (and fail some once), and starting consumers.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rocketmq_client_rust::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, DefaultMQPushConsumer, MQPushConsumer, MessageListenerConcurrently,
    MessageListenerOrderly, MessageSelector,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_protocol::protocol::heartbeat::message_model::MessageModel;

use super::StockRuntime;

/// One delivery to a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MessageExt::msg_id` as the client decoded it.
    pub msg_id: String,
    /// The `UNIQ_KEY` property: the id the producer's SendResult reported.
    pub uniq_key: Option<String>,
    /// Topic (the original topic for a message back from the retry topic).
    pub topic: String,
    /// Keys.
    pub keys: Vec<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Body (decompressed by the client).
    pub body: Vec<u8>,
    /// Queue it was pulled from.
    pub queue_id: i32,
    /// Its offset in that queue.
    pub queue_offset: i64,
    /// How often it was delivered before.
    pub reconsume_times: i32,
    /// False when the listener answered RECONSUME_LATER for this delivery.
    pub acked: bool,
}

impl Received {
    fn of(message: &MessageExt, acked: bool) -> Received {
        Received {
            msg_id: message.msg_id().to_string(),
            uniq_key: message.property("UNIQ_KEY").map(str::to_owned),
            topic: message.topic().to_string(),
            keys: message.keys().unwrap_or_default(),
            tag: message.tags().map(str::to_owned),
            body: message.body().map(|b| b.to_vec()).unwrap_or_default(),
            queue_id: message.queue_id(),
            queue_offset: message.queue_offset(),
            reconsume_times: message.reconsume_times(),
            acked,
        }
    }

    /// The first key.
    pub fn key(&self) -> &str {
        self.keys.first().map_or("", String::as_str)
    }
}

/// Decides which deliveries fail (RECONSUME_LATER) the first time.
pub type FailFirst = Arc<dyn Fn(&Received) -> bool + Send + Sync>;

/// Every delivery a listener saw, shared with the test.
#[derive(Clone, Default)]
pub struct Collector {
    deliveries: Arc<Mutex<Vec<Received>>>,
    failed_once: Arc<Mutex<HashSet<String>>>,
}

impl Collector {
    /// A copy of every delivery so far, in arrival order.
    pub fn deliveries(&self) -> Vec<Received> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Number of deliveries the listener acknowledged.
    pub fn acked_count(&self) -> usize {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.acked)
            .count()
    }

    /// Distinct keys acknowledged.
    pub fn acked_keys(&self) -> HashSet<String> {
        let deliveries = self.deliveries.lock().unwrap();
        deliveries
            .iter()
            .filter(|r| r.acked)
            .map(|r| r.key().to_owned())
            .collect()
    }

    /// Records one delivery; returns whether the listener acknowledges it.
    fn record(&self, message: &MessageExt, fail_first: Option<&FailFirst>) -> bool {
        let mut received = Received::of(message, true);
        if let Some(predicate) = fail_first {
            if predicate(&received)
                && self
                    .failed_once
                    .lock()
                    .unwrap()
                    .insert(received.key().to_owned())
            {
                received.acked = false;
            }
        }
        let acked = received.acked;
        self.deliveries.lock().unwrap().push(received);
        acked
    }
}

/// What a push consumer subscribes to and how it answers.
#[derive(Clone)]
pub struct ConsumerSpec {
    /// Consumer group.
    pub group: String,
    /// Topic.
    pub topic: String,
    /// Tag expression (`*`, `TagA`, `TagA || TagB`), or with `sql92` a
    /// SQL92 one.
    pub expression: String,
    /// Subscribe with `MessageSelector::by_sql(expression)`.
    pub sql92: bool,
    /// Where a group without a committed offset starts.
    pub from: ConsumeFromWhere,
    /// CLUSTERING or BROADCASTING.
    pub model: MessageModel,
    /// Orderly listener instead of concurrently.
    pub orderly: bool,
    /// Deliveries to answer RECONSUME_LATER (orderly: SUSPEND) the first time.
    pub fail_first: Option<FailFirst>,
}

impl ConsumerSpec {
    /// Clustering, concurrently, from the first offset, no failures.
    pub fn new(group: &str, topic: &str, expression: &str) -> ConsumerSpec {
        ConsumerSpec {
            group: group.to_owned(),
            topic: topic.to_owned(),
            expression: expression.to_owned(),
            sql92: false,
            from: ConsumeFromWhere::ConsumeFromFirstOffset,
            model: MessageModel::Clustering,
            orderly: false,
            fail_first: None,
        }
    }

    /// Clustering, concurrently, from the first offset, subscribed with a
    /// SQL92 selector.
    pub fn sql92(group: &str, topic: &str, expression: &str) -> ConsumerSpec {
        ConsumerSpec {
            sql92: true,
            ..ConsumerSpec::new(group, topic, expression)
        }
    }

    /// Fails matching deliveries once.
    pub fn fail_first(
        mut self,
        predicate: impl Fn(&Received) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.fail_first = Some(Arc::new(predicate));
        self
    }
}

struct Listener {
    collector: Collector,
    fail_first: Option<FailFirst>,
}

impl Listener {
    fn all_acked(&self, messages: &[&MessageExt]) -> bool {
        // Record every message of the batch, even after a failure.
        let acked: Vec<bool> = messages
            .iter()
            .map(|m| self.collector.record(m, self.fail_first.as_ref()))
            .collect();
        acked.into_iter().all(|a| a)
    }
}

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        Ok(if self.all_acked(messages) {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        } else {
            ConsumeConcurrentlyStatus::ReconsumeLater
        })
    }
}

impl MessageListenerOrderly for Listener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &mut ConsumeOrderlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeOrderlyStatus> {
        Ok(if self.all_acked(messages) {
            ConsumeOrderlyStatus::Success
        } else {
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
        })
    }
}

/// A push consumer built from `spec` and subscribed, not yet started.
async fn subscribed_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
) -> DefaultMQPushConsumer {
    let mut consumer = DefaultMQPushConsumer::builder(rt.client_runtime())
        .consumer_group(spec.group.as_str())
        .name_server_addr(name_server.to_string())
        .message_model(spec.model)
        .consume_from_where(spec.from)
        .build();
    if spec.sql92 {
        consumer
            .subscribe_with_selector(
                spec.topic.as_str(),
                Some(MessageSelector::by_sql(spec.expression.as_str())),
            )
            .await
            .expect("subscribe with a SQL92 selector");
    } else {
        consumer
            .subscribe(spec.topic.as_str(), spec.expression.as_str())
            .await
            .expect("subscribe");
    }
    consumer
}

/// Starts a push consumer recording into `collector`.
pub async fn start_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
    collector: &Collector,
) -> DefaultMQPushConsumer {
    let mut consumer = subscribed_consumer(rt, name_server, spec).await;
    let listener = Listener {
        collector: collector.clone(),
        fail_first: spec.fail_first.clone(),
    };
    if spec.orderly {
        consumer.register_message_listener_orderly(listener);
    } else {
        consumer.register_message_listener_concurrently(listener);
    }
    consumer.start().await.expect("start push consumer");
    consumer
}

/// Deliveries of several consumers in one arrival order: each entry names
/// the consumer (its label) that received it.
#[derive(Clone, Default)]
pub struct SharedLog {
    entries: Arc<Mutex<Vec<(String, Received)>>>,
}

impl SharedLog {
    /// A copy of every delivery so far, in arrival order across consumers.
    pub fn entries(&self) -> Vec<(String, Received)> {
        self.entries.lock().unwrap().clone()
    }
}

struct LabeledListener {
    label: String,
    log: SharedLog,
}

impl LabeledListener {
    fn record(&self, messages: &[&MessageExt]) {
        let mut entries = self.log.entries.lock().unwrap();
        for message in messages {
            entries.push((self.label.clone(), Received::of(message, true)));
        }
    }
}

impl MessageListenerConcurrently for LabeledListener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        self.record(messages);
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

impl MessageListenerOrderly for LabeledListener {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &mut ConsumeOrderlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeOrderlyStatus> {
        self.record(messages);
        Ok(ConsumeOrderlyStatus::Success)
    }
}

/// Starts a push consumer (orderly when `spec.orderly`) that acknowledges
/// everything and records each delivery into `log` under `label`
/// (`spec.fail_first` is ignored).
pub async fn start_labeled_consumer(
    rt: &StockRuntime,
    name_server: SocketAddr,
    spec: &ConsumerSpec,
    label: &str,
    log: &SharedLog,
) -> DefaultMQPushConsumer {
    let mut consumer = subscribed_consumer(rt, name_server, spec).await;
    let listener = LabeledListener {
        label: label.to_owned(),
        log: log.clone(),
    };
    if spec.orderly {
        consumer.register_message_listener_orderly(listener);
    } else {
        consumer.register_message_listener_concurrently(listener);
    }
    consumer.start().await.expect("start push consumer");
    consumer
}
