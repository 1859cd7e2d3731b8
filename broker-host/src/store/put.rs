//! The put path (Java's `CommitLog.asyncPutMessage(s)`): checks before the
//! lock, the append under it, then the flush per the flush type.

use std::sync::atomic::Ordering;

use plugin_api::message::properties::MAX_PROPERTIES_LEN;
use plugin_api::message::record::{
    needs_v2, record_length, sysflag, RecordToEncode, MAX_TOPIC_LEN_V1,
};
use plugin_api::message::{encode_record_into, offset_msg_id};

use super::commit_log::{AppendError, AppendRequest};
use super::flush::FlushTicket;
use super::{
    stats, BatchToStore, DefaultMessageStore, MessageToStore, PutMessageResult, PutMessageStatus,
    StoreError, StoreInner,
};

/// Longest topic the store accepts (V2 records; `%RETRY%` / `%DLQ%` topics).
pub const MAX_TOPIC_LEN: usize = 255;
/// Slack allowed for a record over the body limit (`maxMessageSize + 64 KiB`).
pub const RECORD_SIZE_SLACK: usize = 64 * 1024;

/// What a put under SYNC_FLUSH with WAIT does about its flush: the caller
/// of the store decides whether its thread may block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlushWait {
    /// Wait for the group commit (FLUSH_DISK_TIMEOUT after `syncFlushTimeout`).
    Block,
    /// Return a [`FlushTicket`] instead (Java's `asyncPutMessage` future).
    Defer,
}

impl StoreInner {
    fn is_writeable(&self) -> bool {
        !self.shutdown.load(Ordering::Acquire)
            && !self.disk_full.load(Ordering::Acquire)
            && !self.write_error.load(Ordering::Acquire)
    }

    fn check_before_put(&self) -> Option<PutMessageStatus> {
        if !self.is_writeable() {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.config.broker_role == crate::config::BrokerRole::Slave {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self
            .commit_log
            .is_os_page_cache_busy(self.config.os_page_cache_busy_timeout.as_millis() as i64)
        {
            return Some(PutMessageStatus::OsPageCacheBusy);
        }
        None
    }

    fn check_topic(&self, topic: &str) -> Option<PutMessageStatus> {
        if topic.is_empty()
            || topic.len() > MAX_TOPIC_LEN
            || (topic.len() > MAX_TOPIC_LEN_V1 && !self.config.auto_message_version_on_topic_len)
        {
            return Some(PutMessageStatus::MessageIllegal);
        }
        None
    }

    fn append_failed(&self, e: AppendError) -> PutMessageStatus {
        match e {
            AppendError::CreateFile(err) => {
                tracing::error!("create mapped file failed: {err}");
                if let StoreError::Io { source, .. } = &err {
                    if source.raw_os_error() == Some(libc::ENOSPC) {
                        self.disk_full.store(true, Ordering::Release);
                    }
                }
                PutMessageStatus::CreateMappedFileFailed
            }
            AppendError::TooLarge => PutMessageStatus::MessageIllegal,
            AppendError::Encode => PutMessageStatus::UnknownError,
        }
    }

    /// After an append: keep pages ahead populated, then flush per the flush
    /// type. Under SYNC_FLUSH with WAIT, [`FlushWait::Defer`] returns the
    /// ticket of a record not yet durable instead of waiting for it.
    fn after_append(
        &self,
        end_offset: i64,
        wait_store: bool,
        wait: FlushWait,
    ) -> (PutMessageStatus, Option<FlushTicket>) {
        // The reput thread is not woken per message: like RocketMQ's
        // ReputMessageService it polls every millisecond, so one wake-up
        // dispatches every record written meanwhile (a wake per put cost a
        // futex call in the sender and a context switch per message).
        self.prefault.want(end_offset);
        if !self.config.is_sync_flush() {
            if !self.config.flush_commit_log_timed {
                self.flush_cv.notify_one();
            }
            return (PutMessageStatus::PutOk, None);
        }
        if !self.flusher_running.load(Ordering::Acquire) {
            // Not started: no group-commit thread, flush inline.
            let status = match self.flush_commit_log(0) {
                Ok(_) => PutMessageStatus::PutOk,
                Err(e) => {
                    tracing::error!("inline flush failed: {e}");
                    PutMessageStatus::FlushDiskTimeout
                }
            };
            return (status, None);
        }
        if !wait_store {
            self.group_commit.wake();
            return (PutMessageStatus::PutOk, None);
        }
        let ticket = FlushTicket::new(end_offset);
        match wait {
            FlushWait::Defer if self.commit_log.flushed_offset() >= end_offset => {
                (PutMessageStatus::PutOk, None)
            }
            FlushWait::Defer => {
                self.group_commit.request(end_offset);
                (PutMessageStatus::PutOk, Some(ticket))
            }
            FlushWait::Block if self.wait_flushed(ticket) => (PutMessageStatus::PutOk, None),
            FlushWait::Block => {
                tracing::warn!("sync flush of offset {end_offset} timed out");
                (PutMessageStatus::FlushDiskTimeout, None)
            }
        }
    }

    /// `setPutMessageEntireTimeMax` and the put counters of one put.
    /// `begin` is [`stats::coarse_millis`] before the put.
    fn record_put(&self, topic: &str, result: &PutMessageResult, begin: i64) {
        self.stats.record_put(
            topic,
            result.msg_num.max(0) as u64,
            result.wrote_bytes.max(0) as u64,
            stats::coarse_millis() - begin,
            result.is_ok(),
        );
    }
}

impl DefaultMessageStore {
    /// Appends one message (see [`MessageToStore`]). Blocks under
    /// SYNC_FLUSH with `wait_store` until the record is flushed (group
    /// commit) or `syncFlushTimeout` passed (FLUSH_DISK_TIMEOUT, still stored).
    pub fn put_message(&self, msg: &MessageToStore<'_>) -> PutMessageResult {
        self.put_one(msg, FlushWait::Block)
    }

    /// [`DefaultMessageStore::put_message`] without blocking: under
    /// SYNC_FLUSH with `wait_store` it returns as soon as the record is
    /// appended, with PUT_OK and a
    /// [`flush_ticket`](PutMessageResult::flush_ticket) when the record is
    /// not yet durable; the caller acknowledges the put once
    /// [`DefaultMessageStore::when_flushed`] answers for that ticket.
    pub fn put_message_deferred(&self, msg: &MessageToStore<'_>) -> PutMessageResult {
        self.put_one(msg, FlushWait::Defer)
    }

    /// Appends a batch as consecutive records with consecutive queue
    /// offsets, all in one commit-log file (all or nothing). Blocks as
    /// [`DefaultMessageStore::put_message`] does.
    pub fn put_messages(&self, batch: &BatchToStore<'_>) -> PutMessageResult {
        self.put_batch(batch, FlushWait::Block)
    }

    /// [`DefaultMessageStore::put_messages`] without blocking, as
    /// [`DefaultMessageStore::put_message_deferred`].
    pub fn put_messages_deferred(&self, batch: &BatchToStore<'_>) -> PutMessageResult {
        self.put_batch(batch, FlushWait::Defer)
    }

    fn put_one(&self, msg: &MessageToStore<'_>, wait: FlushWait) -> PutMessageResult {
        let inner = &self.inner;
        if let Some(status) = inner
            .check_before_put()
            .or_else(|| inner.check_topic(msg.topic))
        {
            return PutMessageResult::failed(status);
        }
        if msg.body.len() > inner.config.max_message_size {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if msg.properties.len() > MAX_PROPERTIES_LEN {
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let store_host = inner.config.store_host;
        let len = record_length(
            msg.body.len(),
            msg.topic.len(),
            msg.properties.len(),
            msg.born_host.is_ipv6(),
            store_host.is_ipv6(),
            needs_v2(msg.topic.len()),
        );
        if len > inner.config.max_message_size + RECORD_SIZE_SLACK {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let body_crc = (crc32fast::hash(msg.body) & 0x7FFF_FFFF) as i32;
        let begin = stats::coarse_millis();
        let req = AppendRequest {
            topic: msg.topic,
            queue_id: msg.queue_id,
            assign_queue_offset: sysflag::is_dispatched_to_queue(msg.sys_flag),
            msg_count: 1,
            total_len: len,
        };
        let appended = inner
            .commit_log
            .append(req, |dst, phy, queue_offset, store_ts| {
                let rec = RecordToEncode {
                    queue_id: msg.queue_id,
                    flag: msg.flag,
                    queue_offset,
                    physical_offset: phy,
                    sys_flag: msg.sys_flag,
                    born_timestamp: msg.born_timestamp,
                    born_host: msg.born_host,
                    store_timestamp: store_ts,
                    store_host,
                    reconsume_times: msg.reconsume_times,
                    prepared_transaction_offset: msg.prepared_transaction_offset,
                    body_crc,
                    body: msg.body,
                    topic: msg.topic,
                    properties: msg.properties,
                };
                encode_record_into(&rec, dst).is_ok()
            });
        let result = match appended {
            Ok(a) => {
                let (status, flush_ticket) =
                    inner.after_append(a.wrote_offset + len as i64, msg.wait_store, wait);
                PutMessageResult {
                    status,
                    wrote_offset: a.wrote_offset,
                    wrote_bytes: len as i32,
                    msg_ids: vec![offset_msg_id(store_host, a.wrote_offset)],
                    queue_offset: a.queue_offset,
                    msg_num: 1,
                    store_timestamp: a.store_timestamp,
                    flush_ticket,
                }
            }
            Err(e) => PutMessageResult::failed(inner.append_failed(e)),
        };
        inner.record_put(msg.topic, &result, begin);
        result
    }

    fn put_batch(&self, batch: &BatchToStore<'_>, wait: FlushWait) -> PutMessageResult {
        let inner = &self.inner;
        if let Some(status) = inner
            .check_before_put()
            .or_else(|| inner.check_topic(batch.topic))
        {
            return PutMessageResult::failed(status);
        }
        if batch.entries.is_empty()
            || sysflag::transaction_type(batch.sys_flag) != sysflag::TRANSACTION_NOT_TYPE
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let total_body: usize = batch.entries.iter().map(|e| e.1.len()).sum();
        if total_body > inner.config.max_message_size {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if batch.entries.iter().any(|e| e.2.len() > MAX_PROPERTIES_LEN) {
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let store_host = inner.config.store_host;
        let v2 = needs_v2(batch.topic.len());
        let mut lens = Vec::with_capacity(batch.entries.len());
        let mut crcs = Vec::with_capacity(batch.entries.len());
        let mut total = 0usize;
        for (_, body, props) in &batch.entries {
            let l = record_length(
                body.len(),
                batch.topic.len(),
                props.len(),
                batch.born_host.is_ipv6(),
                store_host.is_ipv6(),
                v2,
            );
            lens.push(l);
            crcs.push((crc32fast::hash(body) & 0x7FFF_FFFF) as i32);
            total += l;
        }
        if total > inner.config.max_message_size + RECORD_SIZE_SLACK {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let begin = stats::coarse_millis();
        let req = AppendRequest {
            topic: batch.topic,
            queue_id: batch.queue_id,
            assign_queue_offset: true,
            msg_count: batch.entries.len() as i64,
            total_len: total,
        };
        let appended = inner
            .commit_log
            .append(req, |dst, phy, queue_offset, store_ts| {
                let mut at = 0usize;
                for (i, (flag, body, props)) in batch.entries.iter().enumerate() {
                    let rec = RecordToEncode {
                        queue_id: batch.queue_id,
                        flag: *flag,
                        queue_offset: queue_offset + i as i64,
                        physical_offset: phy + at as i64,
                        sys_flag: batch.sys_flag,
                        born_timestamp: batch.born_timestamp,
                        born_host: batch.born_host,
                        store_timestamp: store_ts,
                        store_host,
                        reconsume_times: batch.reconsume_times,
                        prepared_transaction_offset: 0,
                        body_crc: crcs[i],
                        body,
                        topic: batch.topic,
                        properties: props,
                    };
                    match encode_record_into(&rec, &mut dst[at..]) {
                        Ok(n) => at += n,
                        Err(_) => return false,
                    }
                }
                at == dst.len()
            });
        let result = match appended {
            Ok(a) => {
                let (status, flush_ticket) =
                    inner.after_append(a.wrote_offset + total as i64, batch.wait_store, wait);
                let mut ids = Vec::with_capacity(lens.len());
                let mut off = a.wrote_offset;
                for l in &lens {
                    ids.push(offset_msg_id(store_host, off));
                    off += *l as i64;
                }
                PutMessageResult {
                    status,
                    wrote_offset: a.wrote_offset,
                    wrote_bytes: total as i32,
                    msg_ids: ids,
                    queue_offset: a.queue_offset,
                    msg_num: lens.len() as i32,
                    store_timestamp: a.store_timestamp,
                    flush_ticket,
                }
            }
            Err(e) => PutMessageResult::failed(inner.append_failed(e)),
        };
        inner.record_put(batch.topic, &result, begin);
        result
    }

    /// Whether puts are accepted (not shut down, disk not full, no write error).
    pub fn is_writeable(&self) -> bool {
        self.inner.is_writeable()
    }

    /// Whether the disk-full state was detected (puts get SERVICE_NOT_AVAILABLE).
    pub fn is_disk_full(&self) -> bool {
        self.inner.disk_full.load(Ordering::Acquire)
    }
}
