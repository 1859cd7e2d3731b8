//! The message store: appending, reading, offsets and index lookups.

/// One message to append (after any retry, DLQ or delay rewriting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageToPut<'a> {
    /// Destination topic.
    pub topic: &'a str,
    /// Destination queue.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Message sysflag bits.
    pub sys_flag: i32,
    /// Producer timestamp, epoch ms.
    pub born_timestamp: i64,
    /// Producer address, `ip:port`.
    pub born_host: &'a str,
    /// Body as sent.
    pub body: &'a [u8],
    /// Encoded properties (`name\u{1}value\u{2}`...).
    pub properties: &'a str,
    /// Delivery attempts so far.
    pub reconsume_times: i32,
    /// Transaction bookkeeping (0 normally).
    pub prepared_transaction_offset: i64,
    /// Under SYNC_FLUSH, the caller wants to answer only once the record is
    /// durable (the `WAIT` property): the put returns a [`FlushTicket`].
    pub wait_store: bool,
}

/// One message of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEntry<'a> {
    /// User flag.
    pub flag: i32,
    /// Body.
    pub body: &'a [u8],
    /// Encoded properties as they will be stored.
    pub properties: &'a str,
}

/// A batch appended as one unit (consecutive queue offsets, one file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchToPut<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue.
    pub queue_id: i32,
    /// Sysflag bits.
    pub sys_flag: i32,
    /// Producer timestamp.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: &'a str,
    /// The messages.
    pub entries: &'a [BatchEntry<'a>],
    /// Delivery attempts so far (written in every record).
    pub reconsume_times: i32,
    /// As [`MessageToPut::wait_store`].
    pub wait_store: bool,
}

/// Outcome of a put (RocketMQ `PutMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PutStatus {
    /// Stored.
    PutOk,
    /// Stored, but the sync flush did not finish in time.
    FlushDiskTimeout,
    /// Stored, slave did not ack in time.
    FlushSlaveTimeout,
    /// Stored, no slave.
    SlaveNotAvailable,
    /// Store shut down, slave, or disk full.
    ServiceNotAvailable,
    /// Could not create a commit-log file.
    CreateMappedFileFailed,
    /// Body or topic too long.
    MessageIllegal,
    /// Properties too long.
    PropertiesSizeExceeded,
    /// Append lock held too long.
    OsPageCacheBusy,
    /// Anything else.
    UnknownError,
}

impl PutStatus {
    /// RocketMQ's name for the status (`PutMessageStatus`).
    pub fn name(self) -> &'static str {
        use crate::codes::put_status as name;
        match self {
            PutStatus::PutOk => name::PUT_OK,
            PutStatus::FlushDiskTimeout => name::FLUSH_DISK_TIMEOUT,
            PutStatus::FlushSlaveTimeout => name::FLUSH_SLAVE_TIMEOUT,
            PutStatus::SlaveNotAvailable => name::SLAVE_NOT_AVAILABLE,
            PutStatus::ServiceNotAvailable => name::SERVICE_NOT_AVAILABLE,
            PutStatus::CreateMappedFileFailed => name::CREATE_MAPPED_FILE_FAILED,
            PutStatus::MessageIllegal => name::MESSAGE_ILLEGAL,
            PutStatus::PropertiesSizeExceeded => name::PROPERTIES_SIZE_EXCEEDED,
            PutStatus::OsPageCacheBusy => name::OS_PAGE_CACHE_BUSY,
            PutStatus::UnknownError => name::UNKNOWN_ERROR,
        }
    }

    /// Whether the message was stored (OK or a stored-but-late status).
    pub fn is_stored(self) -> bool {
        matches!(
            self,
            PutStatus::PutOk
                | PutStatus::FlushDiskTimeout
                | PutStatus::FlushSlaveTimeout
                | PutStatus::SlaveNotAvailable
        )
    }
}

/// "Answer once the store has flushed up to here": returned by a put made
/// with `wait_store` under SYNC_FLUSH whose record is not durable yet. Give
/// it to the response ([`crate::sdk::Response::when_durable`]); the host
/// sends the answer after the flush (or FLUSH_DISK_TIMEOUT after
/// `syncFlushTimeout`) without holding a processor thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlushTicket {
    /// Commit-log offset the flush must reach.
    pub flush_offset: i64,
}

/// Result of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutResult {
    /// Status.
    pub status: PutStatus,
    /// Commit-log offset of the (first) record.
    pub wrote_offset: i64,
    /// Offset message ids, one per stored message.
    pub msg_ids: Vec<String>,
    /// Queue offset of the (first) message.
    pub queue_offset: i64,
    /// Messages stored.
    pub msg_num: i32,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// Set when the record is appended but not yet durable and the put
    /// asked to wait for it.
    pub flush_ticket: Option<FlushTicket>,
}

impl PutResult {
    /// A put that stored nothing.
    pub fn failed(status: PutStatus) -> Self {
        PutResult {
            status,
            wrote_offset: -1,
            msg_ids: Vec::new(),
            queue_offset: -1,
            msg_num: 0,
            store_timestamp: 0,
            flush_ticket: None,
        }
    }
}

/// What to read for a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetRequest<'a> {
    /// Consumer group.
    pub group: &'a str,
    /// Topic.
    pub topic: &'a str,
    /// Queue.
    pub queue_id: i32,
    /// First logical offset wanted.
    pub offset: i64,
    /// Max messages.
    pub max_msg_nums: i32,
    /// Max bytes (0 = store default).
    pub max_total_bytes: i32,
    /// True = no tag filter (`*`).
    pub all_tags: bool,
    /// Tags to accept when not `all_tags`.
    pub tags: &'a [&'a str],
}

/// Outcome of a read (RocketMQ `GetMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetStatus {
    /// At least one message.
    Found,
    /// Entries exist but none matched the filter.
    NoMatchedMessage,
    /// The commit-log file was already deleted.
    MessageWasRemoving,
    /// A consume-queue entry was missing.
    OffsetFoundNull,
    /// Offset beyond the max.
    OffsetOverflowBadly,
    /// Offset == max (caught up).
    OffsetOverflowOne,
    /// Offset below the min.
    OffsetTooSmall,
    /// No such queue.
    NoMatchedLogicQueue,
    /// The queue is empty.
    NoMessageInQueue,
}

impl GetStatus {
    /// RocketMQ's name for the status (the pull response remark).
    pub fn name(self) -> &'static str {
        match self {
            GetStatus::Found => "FOUND",
            GetStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            GetStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            GetStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
            GetStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            GetStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            GetStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
            GetStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            GetStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        }
    }
}

/// Result of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetResult {
    /// Status.
    pub status: GetStatus,
    /// Offset for the next pull.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Raw stored records, back to back.
    pub body: Vec<u8>,
    /// Messages in `body`.
    pub message_count: i32,
    /// Pull from a slave next time.
    pub suggest_pulling_from_slave: bool,
}

impl GetResult {
    /// The answer for a queue the store does not have.
    pub fn no_queue() -> Self {
        GetResult {
            status: GetStatus::NoMatchedLogicQueue,
            next_begin_offset: 0,
            min_offset: 0,
            max_offset: 0,
            body: Vec::new(),
            message_count: 0,
            suggest_pulling_from_slave: false,
        }
    }
}

/// Which end of the messages around a time SEARCH_OFFSET_BY_TIMESTAMP
/// answers (RocketMQ `BoundaryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BoundaryType {
    /// The first message stored at or after the time (the default).
    #[default]
    Lower,
    /// The last message stored at or before the time.
    Upper,
}

impl BoundaryType {
    /// `BoundaryType.getType`: `upper` in any case is UPPER, anything else
    /// (absent, `lower`, unknown text) LOWER.
    pub fn parse(name: Option<&str>) -> BoundaryType {
        match name {
            Some(name) if name.eq_ignore_ascii_case("upper") => BoundaryType::Upper,
            _ => BoundaryType::Lower,
        }
    }
}

/// Result of an index query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryResult {
    /// Raw stored records, back to back (may contain hash collisions:
    /// callers check keys).
    pub body: Vec<u8>,
    /// Messages in `body`.
    pub message_count: i32,
    /// Store time of the last indexed message.
    pub index_last_update_timestamp: i64,
    /// Commit-log offset of the last indexed message.
    pub index_last_update_phyoffset: i64,
}

/// The commit log, consume queues and index (RocketMQ `MessageStore`).
pub trait MessageStore: Send + Sync {
    /// Appends one message. Never blocks for a flush: see [`FlushTicket`].
    fn put_message(&self, message: &MessageToPut<'_>) -> PutResult;

    /// Appends a batch as one unit.
    fn put_batch(&self, batch: &BatchToPut<'_>) -> PutResult;

    /// Reads messages for a pull.
    fn get_messages(&self, request: &GetRequest<'_>) -> GetResult;

    /// Queue max offset (next offset to be written; 0 for unknown queues).
    fn max_offset(&self, topic: &str, queue_id: i32) -> i64;

    /// Queue min offset (0 for unknown queues).
    fn min_offset(&self, topic: &str, queue_id: i32) -> i64;

    /// Offset of the message stored at `timestamp` (`getOffsetInQueueByTime`):
    /// LOWER = the first stored at or after it, UPPER = the last stored at or
    /// before it, clamped to the queue's `[min, max]`; 0 for unknown queues.
    fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64;

    /// `checkInMemByConsumeOffset(topic, queueId, offset, 1)`: true when the
    /// queue has a message at `consume_offset` still stored and in memory.
    fn is_in_memory(&self, topic: &str, queue_id: i32, consume_offset: i64) -> bool;

    /// Store time of the message at `offset`, if there is one.
    fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64>;

    /// One raw stored record by commit-log offset.
    fn message_by_offset(&self, commit_log_offset: i64) -> Option<Vec<u8>>;

    /// Index lookup of `topic#key` within `[begin, end]` ms.
    fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryResult;

    /// Store and broker runtime figures (GET_BROKER_RUNTIME_INFO's table),
    /// key → value text, in RocketMQ's key names.
    fn runtime_info(&self) -> Vec<(String, String)>;
}
