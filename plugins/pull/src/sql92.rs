//! SQL92 pulls: RocketMQ's `DefaultMessageStore.getMessage` with an
//! `ExpressionMessageFilter`, done here over reads of every tag.
//!
//! Java walks the consume queue from the pulled offset, evaluates each
//! message's properties (`isMatchedByCommitLog`) and keeps the matching
//! ones until the batch is full (`isTheBatchFull`, counted over the kept
//! messages only) or `maxFilterMessageSize` bytes of consume-queue entries
//! (20 bytes each, at least `maxMsgNums` entries) have been looked at.
//! Messages the filter skips still advance `nextBeginOffset`; when none
//! matched the status is NO_MATCHED_MESSAGE (PULL_RETRY_IMMEDIATELY), or
//! MESSAGE_WAS_REMOVING when the last thing seen was a removed message.
//!
//! Here the store is read in chunks with every tag, each record's
//! properties are decoded (`plugin_api::message::Properties`, Java's
//! `string2messageProperties`) and evaluated with
//! `plugin_api::filter::sql92`, and the same limits are applied to the
//! kept records.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use plugin_api::sdk::filter::sql92::{ParseError, Selector};
use plugin_api::sdk::message::{parse_record, Properties, RecordParse};
use plugin_api::sdk::{GetRequest, GetResult, GetStatus, Host};

/// `SelectorParser`'s `PARSE_CACHE` holds 100 expressions.
const PARSE_CACHE_SIZE: usize = 100;
/// One consume-queue entry (`ConsumeQueue.CQ_STORE_UNIT_SIZE`).
const CQ_STORE_UNIT_SIZE: i64 = 20;
/// `MAX_PULL_MSG_SIZE`: the byte cap of a pull the processor passes on.
const MAX_PULL_MSG_SIZE: usize = 128 * 1024 * 1024;
/// Records asked of the store per read (its own in-memory cap).
const CHUNK: i64 = 32;

/// The store limits of `isTheBatchFull` and the filter's scan window
/// (`MessageStoreConfig`), read from the broker config at start.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// `maxFilterMessageSize` (bytes of consume-queue entries).
    pub max_filter_message_size: i64,
    /// `maxTransferBytesOnMessageInMemory`.
    pub memory_bytes: usize,
    /// `maxTransferCountOnMessageInMemory`.
    pub memory_count: usize,
    /// `maxTransferBytesOnMessageInDisk`.
    pub disk_bytes: usize,
    /// `maxTransferCountOnMessageInDisk`.
    pub disk_count: usize,
}

impl ScanLimits {
    /// From the broker config, with Java's defaults.
    pub fn from_config(host: &Host) -> ScanLimits {
        ScanLimits {
            max_filter_message_size: host.config_or("maxFilterMessageSize", 16_000),
            memory_bytes: host.config_or("maxTransferBytesOnMessageInMemory", 256 * 1024),
            memory_count: host.config_or("maxTransferCountOnMessageInMemory", 32),
            disk_bytes: host.config_or("maxTransferBytesOnMessageInDisk", 64 * 1024),
            disk_count: host.config_or("maxTransferCountOnMessageInDisk", 8),
        }
    }
}

/// Compiled expressions by text, as `SelectorParser.parse` caches them.
#[derive(Default)]
pub struct SelectorCache {
    compiled: Mutex<HashMap<String, Arc<Selector>>>,
}

impl SelectorCache {
    /// The compiled `expression` (from the cache, or parsed and cached).
    pub fn compile(&self, expression: &str) -> Result<Arc<Selector>, ParseError> {
        let mut compiled = self
            .compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(selector) = compiled.get(expression) {
            return Ok(selector.clone());
        }
        let selector = Arc::new(Selector::parse(expression)?);
        if compiled.len() >= PARSE_CACHE_SIZE {
            compiled.clear();
        }
        compiled.insert(expression.to_owned(), selector.clone());
        Ok(selector)
    }
}

/// Where and how much to read.
pub struct FilteredRead<'a> {
    /// Consumer group.
    pub group: &'a str,
    /// Topic.
    pub topic: &'a str,
    /// Queue.
    pub queue_id: i32,
    /// First offset.
    pub offset: i64,
    /// `maxMsgNums`.
    pub max_msg_nums: i32,
}

/// Reads `read` keeping only the messages `selector` matches.
pub fn get_filtered(
    host: &Host,
    limits: &ScanLimits,
    read: &FilteredRead<'_>,
    selector: &Selector,
) -> GetResult {
    let store = host.store();
    let max_msg_nums = usize::try_from(read.max_msg_nums).unwrap_or(0);
    let window = limits
        .max_filter_message_size
        .max(i64::from(read.max_msg_nums.max(0)) * CQ_STORE_UNIT_SIZE);
    let scan_end = read
        .offset
        .saturating_add((window + CQ_STORE_UNIT_SIZE - 1) / CQ_STORE_UNIT_SIZE);
    let mut result = GetResult {
        status: GetStatus::NoMatchedMessage,
        next_begin_offset: read.offset,
        min_offset: 0,
        max_offset: 0,
        body: Vec::new(),
        message_count: 0,
        suggest_pulling_from_slave: false,
    };
    let mut cursor = read.offset;
    let mut first = true;
    'scan: while cursor < scan_end {
        let before = cursor;
        let chunk = store.get_messages(&GetRequest {
            group: read.group,
            topic: read.topic,
            queue_id: read.queue_id,
            offset: cursor,
            max_msg_nums: CHUNK.min(scan_end - cursor) as i32,
            max_total_bytes: 0,
            all_tags: true,
            tags: &[],
        });
        let readable = matches!(
            chunk.status,
            GetStatus::Found | GetStatus::NoMatchedMessage | GetStatus::MessageWasRemoving
        );
        if first && !readable {
            // Nothing to filter: the offset is outside the queue or at its end.
            return chunk;
        }
        first = false;
        result.min_offset = chunk.min_offset;
        result.max_offset = chunk.max_offset;
        result.suggest_pulling_from_slave = chunk.suggest_pulling_from_slave;
        if !readable {
            // Caught up with the queue's end.
            break;
        }
        if chunk.status == GetStatus::MessageWasRemoving && result.body.is_empty() {
            result.status = GetStatus::MessageWasRemoving;
        }
        let mut records = chunk.body.as_slice();
        while let RecordParse::Message(record) = parse_record(records) {
            records = &records[record.size()..];
            let queue_offset = record.header.queue_offset;
            if batch_full(
                host,
                limits,
                read,
                &result,
                max_msg_nums,
                record.size(),
                queue_offset,
            ) {
                cursor = queue_offset;
                break 'scan;
            }
            cursor = queue_offset + 1;
            let properties = record.properties_str();
            if selector.matches(&Properties::parse(&properties)) {
                result.body.extend_from_slice(record.raw);
                result.message_count += 1;
                result.status = GetStatus::Found;
            } else if result.body.is_empty() {
                result.status = GetStatus::NoMatchedMessage;
            }
        }
        cursor = cursor.max(chunk.next_begin_offset);
        if cursor <= before {
            // The store moved no further: nothing more to read now.
            break;
        }
    }
    result.next_begin_offset = cursor;
    result
}

/// `DefaultMessageStore.isTheBatchFull` over the kept records: never before
/// the first; full at `maxMsgNums`, at `MAX_PULL_MSG_SIZE`, and at the
/// in-memory or on-disk transfer limits (whether the next message is in
/// memory is asked only when the two would differ).
fn batch_full(
    host: &Host,
    limits: &ScanLimits,
    read: &FilteredRead<'_>,
    result: &GetResult,
    max_msg_nums: usize,
    size: usize,
    queue_offset: i64,
) -> bool {
    let total = result.body.len();
    let count = usize::try_from(result.message_count).unwrap_or(0);
    if total == 0 || count == 0 {
        return false;
    }
    if count + 1 > max_msg_nums || total + size > MAX_PULL_MSG_SIZE {
        return true;
    }
    let memory_full = total + size > limits.memory_bytes || count >= limits.memory_count;
    let disk_full = total + size > limits.disk_bytes || count >= limits.disk_count;
    if memory_full == disk_full {
        return memory_full;
    }
    if host
        .store()
        .is_in_memory(read.topic, read.queue_id, queue_offset)
    {
        memory_full
    } else {
        disk_full
    }
}
