//! Message-store types that cross the boundary (put, get, query).

use abi_stable::std_types::{RSlice, RStr, RString, RVec};
use abi_stable::StableAbi;

/// One message to append.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiMessage<'a> {
    /// Destination topic (after any retry/DLQ/delay rewriting).
    pub topic: RStr<'a>,
    /// Destination queue.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// Message sysflag bits.
    pub sys_flag: i32,
    /// Producer timestamp, epoch ms.
    pub born_timestamp: i64,
    /// Producer address, `ip:port`.
    pub born_host: RStr<'a>,
    /// Body as sent.
    pub body: RSlice<'a, u8>,
    /// Encoded properties (`name\u{1}value\u{2}`...).
    pub properties: RStr<'a>,
    /// Delivery attempts so far.
    pub reconsume_times: i32,
    /// Transaction bookkeeping (0 normally).
    pub prepared_transaction_offset: i64,
    /// Under SYNC_FLUSH, the caller answers once durable (the `WAIT`
    /// property): the put returns a flush offset instead of blocking.
    pub wait_store: bool,
}

/// One message of a batch.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiBatchEntry<'a> {
    /// User flag.
    pub flag: i32,
    /// Body.
    pub body: RSlice<'a, u8>,
    /// Encoded properties as they will be stored.
    pub properties: RStr<'a>,
}

/// A batch appended as one unit (consecutive queue offsets, one file).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiBatch<'a> {
    /// Topic.
    pub topic: RStr<'a>,
    /// Queue.
    pub queue_id: i32,
    /// Sysflag bits.
    pub sys_flag: i32,
    /// Producer timestamp.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: RStr<'a>,
    /// The messages.
    pub entries: RSlice<'a, FfiBatchEntry<'a>>,
    /// Delivery attempts so far (the header's, written in every record).
    pub reconsume_times: i32,
    /// Wait for SYNC_FLUSH.
    pub wait_store: bool,
}

/// Outcome of a put (RocketMQ `PutMessageStatus`).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FfiPutStatus {
    /// Stored (and flushed when asked).
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
    /// Body/topic too long.
    MessageIllegal,
    /// Properties too long.
    PropertiesSizeExceeded,
    /// Append lock held too long.
    OsPageCacheBusy,
    /// Anything else.
    UnknownError,
}

/// Result of a put.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiPutResult {
    /// Status.
    pub status: FfiPutStatus,
    /// Commit-log offset of the (first) record.
    pub wrote_offset: i64,
    /// Offset message ids, one per stored message.
    pub msg_ids: RVec<RString>,
    /// Queue offset of the (first) message.
    pub queue_offset: i64,
    /// Messages stored.
    pub msg_num: i32,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// The commit-log offset a flush must reach before the put is durable,
    /// when it asked to wait under SYNC_FLUSH and is not durable yet; else -1.
    pub flush_offset: i64,
}

/// What to read for a pull.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiGetRequest<'a> {
    /// Consumer group.
    pub group: RStr<'a>,
    /// Topic.
    pub topic: RStr<'a>,
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
    pub tags: RSlice<'a, RStr<'a>>,
}

/// Outcome of a read (RocketMQ `GetMessageStatus`).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FfiGetStatus {
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

/// Result of a read.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiGetResult {
    /// Status.
    pub status: FfiGetStatus,
    /// Offset for the next pull.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Raw stored records, back to back.
    pub body: RVec<u8>,
    /// Messages in `body`.
    pub message_count: i32,
    /// Pull from a slave next time.
    pub suggest_pulling_from_slave: bool,
}

/// Which end of the messages around a time SEARCH_OFFSET_BY_TIMESTAMP
/// answers (RocketMQ `BoundaryType`, the request's `boundaryType` field).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FfiBoundaryType {
    /// The first message stored at or after the time (the default).
    #[default]
    Lower,
    /// The last message stored at or before the time.
    Upper,
}

/// Result of an index query.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiQueryResult {
    /// Raw stored records, back to back (may contain hash collisions: callers check keys).
    pub body: RVec<u8>,
    /// Messages in `body`.
    pub message_count: i32,
    /// Store time of the last indexed message.
    pub index_last_update_timestamp: i64,
    /// Commit-log offset of the last indexed message.
    pub index_last_update_phyoffset: i64,
}
