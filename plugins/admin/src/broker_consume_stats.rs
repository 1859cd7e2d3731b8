//! GET_BROKER_CONSUME_STATS (317): the consume statistics of every
//! subscription group of the broker
//! (`AdminBrokerProcessor.fetchAllConsumeStatsInBroker`), which mqadmin
//! `brokerConsumeStats` and the dashboard's monitor read.

use std::collections::BTreeSet;

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::serde_json::{self, Value};
use plugin_api::sdk::{Host, MetadataTable, ProcessError, Request, Response};

use crate::ops::operations;

/// `GROUP_GET_NUMS`, whose minute TPS is a group's `consumeTps`.
const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";

/// One queue's `OffsetWrapper` as Java fills it here (no `pullOffset`).
struct QueueOffsets {
    queue_id: i32,
    broker_offset: i64,
    consumer_offset: i64,
    last_timestamp: i64,
}

/// `GetConsumeStatsInBrokerHeader` (`isOrder`, required) →
/// `ConsumeStatsList` `{"brokerAddr","consumeStatsList":[{group:[ConsumeStats…]}…],
/// "totalDiff","totalInflightDiff"}`. With `isOrder` only order topics count.
/// Java leaves `pullOffset` at 0 here, so `totalInflightDiff` is minus the
/// consumer offsets; kept as Java answers it.
pub fn broker_consume_stats(
    host: &Host,
    broker_name: &str,
    request: &Request<'_>,
) -> Result<Response, ProcessError> {
    let is_order: bool = request.required("isOrder")?;
    let _timeout_millis: Option<i64> = request.optional("timeoutMillis")?;
    let ops = operations(host)?;
    let store = host.store();
    let offsets = host.offsets();

    let mut total_diff = 0i64;
    let mut total_inflight_diff = 0i64;
    let mut w = JsonWriter::new();
    w.begin_object()
        .field_str("brokerAddr", &host.identity().broker_addr)
        .key("consumeStatsList")
        .begin_array();
    for group in subscription_groups(host) {
        let subscriptions = host
            .clients()
            .consumer_group(&group)
            .map(|info| info.subscriptions)
            .unwrap_or_default();
        w.begin_object().key(&group).begin_array();
        for topic in offsets.topics_of_group(&group) {
            let Some(config) = host.topics().topic(&topic) else {
                host.warn(&format!(
                    "fetchAllConsumeStatsInBroker: topic config does not exist, topic={topic}"
                ));
                continue;
            };
            if is_order && !config.order {
                continue;
            }
            if !subscriptions.is_empty() && !subscriptions.iter().any(|s| s.topic == topic) {
                host.warn(&format!(
                    "fetchAllConsumeStatsInBroker: topic does not exist in consumer group's subscription, topic={topic}, consumer group={group}"
                ));
                continue;
            }
            let queues: Vec<QueueOffsets> = (0..config.write_queue_nums.max(0))
                .map(|queue_id| {
                    let broker_offset = store.max_offset(&topic, queue_id).max(0);
                    let consumer_offset =
                        offsets.query(&group, &topic, queue_id).unwrap_or(0).max(0);
                    let last_timestamp = if consumer_offset > 0 {
                        store
                            .message_store_time(&topic, queue_id, consumer_offset - 1)
                            .filter(|timestamp| *timestamp > 0)
                            .unwrap_or(0)
                    } else {
                        0
                    };
                    QueueOffsets {
                        queue_id,
                        broker_offset,
                        consumer_offset,
                        last_timestamp,
                    }
                })
                .collect();
            let consume_tps = ops
                .stats_item(GROUP_GET_NUMS, &format!("{topic}@{group}"))
                .map_or(0.0, |item| item.minute.tps);
            for queue in &queues {
                total_diff += queue.broker_offset - queue.consumer_offset;
                // `computeInflightTotalDiff` with `pullOffset` left at 0.
                total_inflight_diff -= queue.consumer_offset;
            }
            // `ConsumeStats`: `consumeTps`, `offsetTable` (fastjson's order).
            w.begin_object()
                .field_double("consumeTps", consume_tps)
                .key("offsetTable")
                .begin_object();
            for queue in &queues {
                w.message_queue_key(broker_name, queue.queue_id, &topic)
                    .begin_object()
                    .field_int("brokerOffset", queue.broker_offset)
                    .field_int("consumerOffset", queue.consumer_offset)
                    .field_int("lastTimestamp", queue.last_timestamp)
                    .field_int("pullOffset", 0)
                    .end_object();
            }
            w.end_object().end_object();
        }
        w.end_array().end_object();
    }
    w.end_array()
        .field_int("totalDiff", total_diff)
        .field_int("totalInflightDiff", total_inflight_diff)
        .end_object();
    Ok(Response::success().with_body(w.into_bytes()))
}

/// The names in the subscription group table, sorted (Java iterates its
/// ConcurrentHashMap).
fn subscription_groups(host: &Host) -> BTreeSet<String> {
    let text = host
        .topics()
        .metadata_json(MetadataTable::SubscriptionGroupWrapper);
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|value| {
            value
                .get("subscriptionGroupTable")
                .and_then(Value::as_object)
                .map(|table| table.keys().cloned().collect())
        })
        .unwrap_or_default()
}
