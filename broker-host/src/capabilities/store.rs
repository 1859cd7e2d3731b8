//! The message store capability, over [`DefaultMessageStore`](crate::store::DefaultMessageStore).

use std::net::SocketAddr;

use plugin_api::sdk::{
    BatchToPut, BoundaryType, FlushTicket, GetRequest, GetResult, MessageStore, MessageToPut,
    PutResult, PutStatus, QueryResult,
};

use plugin_api::message::sysflag;
use plugin_api::topics::TRANS_OP_HALF_TOPIC;

use super::BrokerServices;
use crate::metrics;
use crate::store::{
    BatchToStore, GetMessageResult, MessageFilter, MessageToStore, PutMessageResult,
};

/// A born host that does not parse is recorded as 127.0.0.1:0 rather than
/// refusing the message (the client's address is informational).
fn parse_addr(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Whether a put is a producer's message for `messagesInTotal`: Java counts
/// a transactional message once, as its half is sent, and neither the real
/// message END_TRANSACTION stores on commit nor the op records.
fn counts_as_incoming(message: &MessageToPut<'_>) -> bool {
    sysflag::transaction_type(message.sys_flag) != sysflag::TRANSACTION_COMMIT_TYPE
        && message.topic != TRANS_OP_HALF_TOPIC
}

fn put_result(result: PutMessageResult) -> PutResult {
    PutResult {
        status: result.status,
        wrote_offset: result.wrote_offset,
        msg_ids: result.msg_ids,
        queue_offset: result.queue_offset,
        msg_num: result.msg_num,
        store_timestamp: result.store_timestamp,
        flush_ticket: result.flush_ticket.map(|ticket| FlushTicket {
            flush_offset: ticket.end_offset(),
        }),
    }
}

fn get_result(result: GetMessageResult) -> GetResult {
    GetResult {
        status: result.status,
        next_begin_offset: result.next_begin_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        body: result.body,
        message_count: result.message_count,
        suggest_pulling_from_slave: result.suggest_pulling_from_slave,
    }
}

impl MessageStore for BrokerServices {
    fn put_message(&self, message: &MessageToPut<'_>) -> PutResult {
        let Some(store) = self.store() else {
            return PutResult::failed(PutStatus::ServiceNotAvailable);
        };
        // Deferred: under SYNC_FLUSH the processor answers with the ticket
        // and the pool sends that answer once durable (no blocked thread).
        let result = store.put_message_deferred(&MessageToStore {
            topic: message.topic,
            queue_id: message.queue_id,
            flag: message.flag,
            sys_flag: message.sys_flag,
            born_timestamp: message.born_timestamp,
            born_host: parse_addr(message.born_host),
            body: message.body,
            properties: message.properties,
            reconsume_times: message.reconsume_times,
            prepared_transaction_offset: message.prepared_transaction_offset,
            wait_store: message.wait_store,
        });
        if result.status.is_stored() && counts_as_incoming(message) {
            metrics::record_put(
                message.topic,
                message.properties,
                result.msg_num,
                result.wrote_bytes,
            );
            self.inner.stats.record_put(
                message.topic,
                i64::from(result.msg_num),
                i64::from(result.wrote_bytes),
            );
        }
        put_result(result)
    }

    fn put_batch(&self, batch: &BatchToPut<'_>) -> PutResult {
        let Some(store) = self.store() else {
            return PutResult::failed(PutStatus::ServiceNotAvailable);
        };
        let result = store.put_messages(&BatchToStore {
            topic: batch.topic,
            queue_id: batch.queue_id,
            sys_flag: batch.sys_flag,
            born_timestamp: batch.born_timestamp,
            born_host: parse_addr(batch.born_host),
            entries: batch
                .entries
                .iter()
                .map(|entry| (entry.flag, entry.body, entry.properties))
                .collect(),
            reconsume_times: batch.reconsume_times,
            wait_store: batch.wait_store,
        });
        if result.status.is_stored() {
            let properties = batch.entries.first().map_or("", |entry| entry.properties);
            metrics::record_put(batch.topic, properties, result.msg_num, result.wrote_bytes);
            self.inner.stats.record_put(
                batch.topic,
                i64::from(result.msg_num),
                i64::from(result.wrote_bytes),
            );
        }
        put_result(result)
    }

    fn get_messages(&self, request: &GetRequest<'_>) -> GetResult {
        let Some(store) = self.store() else {
            return GetResult::no_queue();
        };
        let filter = if request.all_tags {
            MessageFilter::All
        } else {
            MessageFilter::from_tags(request.tags.iter().copied())
        };
        let result = store.get_message(
            request.group,
            request.topic,
            request.queue_id,
            request.offset,
            request.max_msg_nums,
            request.max_total_bytes,
            &filter,
        );
        if result.status == plugin_api::sdk::GetStatus::Found {
            metrics::record_get(
                request.group,
                request.topic,
                result.message_count,
                result.body.len(),
            );
            self.inner.stats.record_get(
                request.group,
                request.topic,
                i64::from(result.message_count),
                result.body.len() as i64,
            );
        }
        get_result(result)
    }

    fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.store()
            .map_or(0, |store| store.max_offset_in_queue(topic, queue_id))
    }

    fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.store()
            .map_or(0, |store| store.min_offset_in_queue(topic, queue_id))
    }

    fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        self.store().map_or(0, |store| {
            store.offset_in_queue_by_time_bounded(topic, queue_id, timestamp, boundary)
        })
    }

    fn is_in_memory(&self, topic: &str, queue_id: i32, consume_offset: i64) -> bool {
        self.store().is_some_and(|store| {
            store.check_in_mem_by_consume_offset(topic, queue_id, consume_offset)
        })
    }

    fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        self.store()?.message_store_time(topic, queue_id, offset)
    }

    fn message_by_offset(&self, commit_log_offset: i64) -> Option<Vec<u8>> {
        self.store()?.look_message_by_offset(commit_log_offset)
    }

    fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryResult {
        let Some(store) = self.store() else {
            return QueryResult::default();
        };
        let result = store.query_message(topic, key, max_num, begin, end);
        QueryResult {
            message_count: result.message_count,
            index_last_update_timestamp: result.index_last_update_timestamp,
            index_last_update_phyoffset: result.index_last_update_phyoffset,
            body: result.body,
        }
    }

    fn runtime_info(&self) -> Vec<(String, String)> {
        super::runtime_info::runtime_info(
            self.boot_timestamp,
            &self.inner.config,
            &self.inner.metadata,
            self.store(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put<'a>(topic: &'a str, sys_flag: i32) -> MessageToPut<'a> {
        MessageToPut {
            topic,
            queue_id: 0,
            flag: 0,
            sys_flag,
            born_timestamp: 0,
            born_host: "127.0.0.1:1",
            body: b"",
            properties: "",
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: false,
        }
    }

    #[test]
    fn a_transactional_message_counts_once_as_its_half() {
        assert!(counts_as_incoming(&put("Orders", 0)));
        assert!(counts_as_incoming(&put("RMQ_SYS_TRANS_HALF_TOPIC", 0)));
        assert!(!counts_as_incoming(&put(
            "Orders",
            sysflag::TRANSACTION_COMMIT_TYPE | sysflag::MULTI_TAGS_FLAG
        )));
        assert!(!counts_as_incoming(&put(TRANS_OP_HALF_TOPIC, 0)));
    }
}
