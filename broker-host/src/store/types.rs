//! The values the store's API takes and returns: messages to append, put
//! and get results with their statuses (Java's `PutMessageStatus`,
//! `GetMessageStatus`), the pull filter, the arrival listener.

use std::collections::HashSet;
use std::net::SocketAddr;

use plugin_api::message::properties::{find_property, TAGS};
use plugin_api::message::record::{parse_record, RecordParse};

use super::flush::FlushTicket;

/// Which end of the messages around a time a lookup answers (`BoundaryType`):
/// the SDK's type.
pub use plugin_api::sdk::BoundaryType;

/// A message to append (one commit-log record).
#[derive(Debug, Clone, Copy)]
pub struct MessageToStore<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// User flag.
    pub flag: i32,
    /// SYSFLAG (the IPv6 bits are set by the store from the addresses).
    pub sys_flag: i32,
    /// Producer time (epoch ms).
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Body (stored untouched).
    pub body: &'a [u8],
    /// Encoded properties.
    pub properties: &'a str,
    /// Reconsume counter.
    pub reconsume_times: i32,
    /// Prepared-transaction offset (transaction commit/rollback records).
    pub prepared_transaction_offset: i64,
    /// WAIT property: under SYNC_FLUSH, answer only after the flush.
    pub wait_store: bool,
}

/// A SEND_BATCH_MESSAGE batch: N records with consecutive queue offsets,
/// written all-or-nothing into one commit-log file.
#[derive(Debug, Clone)]
pub struct BatchToStore<'a> {
    /// Topic.
    pub topic: &'a str,
    /// Queue id.
    pub queue_id: i32,
    /// SYSFLAG shared by all records (no transaction bits).
    pub sys_flag: i32,
    /// Producer time.
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// `(flag, body, properties)` of each message; properties are stored as
    /// given (the caller appends the batch properties, as Java 5.3.3's `MessageExtEncoder` does).
    pub entries: Vec<(i32, &'a [u8], &'a str)>,
    /// RECONSUMETIMES of every record (the request header's, as Java writes it).
    pub reconsume_times: i32,
    /// WAIT.
    pub wait_store: bool,
}

/// Outcome of a put (`PutMessageStatus`): the SDK's type, so the store,
/// the host's capabilities and the plugins share one enum and one set of
/// names.
pub use plugin_api::sdk::PutStatus as PutMessageStatus;

/// Result of a put. On failure the offsets are -1 and `msg_ids` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMessageResult {
    /// Status.
    pub status: PutMessageStatus,
    /// Commit-log offset of the (first) record.
    pub wrote_offset: i64,
    /// Bytes written.
    pub wrote_bytes: i32,
    /// Offset message id of each record.
    pub msg_ids: Vec<String>,
    /// Queue offset of the (first) record.
    pub queue_offset: i64,
    /// Records written.
    pub msg_num: i32,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// Set by a deferred put (`put_message_deferred`, `put_messages_deferred`)
    /// made under SYNC_FLUSH with WAIT whose records are not yet durable:
    /// the put is to be acknowledged only once
    /// [`DefaultMessageStore::when_flushed`](super::DefaultMessageStore::when_flushed)
    /// says so. Always `None` from the blocking puts, which have waited.
    pub flush_ticket: Option<FlushTicket>,
}

impl PutMessageResult {
    pub(super) fn failed(status: PutMessageStatus) -> Self {
        PutMessageResult {
            status,
            wrote_offset: -1,
            wrote_bytes: 0,
            msg_ids: Vec::new(),
            queue_offset: -1,
            msg_num: 0,
            store_timestamp: 0,
            flush_ticket: None,
        }
    }

    /// Whether the status is [`PutMessageStatus::PutOk`].
    pub fn is_ok(&self) -> bool {
        self.status == PutMessageStatus::PutOk
    }
}

/// Which messages a pull wants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MessageFilter {
    /// Everything.
    #[default]
    All,
    /// Subscription by tags: the consume-queue tagsCode (as an int, like
    /// Java's `codeSet.contains(tagsCode.intValue())`) must be in `codes`,
    /// then — unless `tags` is empty — the record's TAGS must be in `tags`.
    Tags {
        /// Java hashes of the subscribed tags.
        codes: HashSet<i64>,
        /// The subscribed tags.
        tags: HashSet<String>,
    },
}

impl MessageFilter {
    /// A tag filter from tag names (`"*"` or empty = everything).
    pub fn from_tags<I: IntoIterator<Item = S>, S: Into<String>>(tags: I) -> MessageFilter {
        let tags: HashSet<String> = tags
            .into_iter()
            .map(Into::into)
            .filter(|t: &String| !t.trim().is_empty())
            .collect();
        if tags.is_empty() || tags.contains("*") {
            return MessageFilter::All;
        }
        let codes = tags
            .iter()
            .map(|t| plugin_api::message::java_string_hash(t) as i64)
            .collect();
        MessageFilter::Tags { codes, tags }
    }

    pub(super) fn matches_code(&self, tags_code: i64) -> bool {
        match self {
            MessageFilter::All => true,
            MessageFilter::Tags { codes, .. } => codes.contains(&((tags_code as i32) as i64)),
        }
    }

    pub(super) fn matches_record(&self, record: &[u8]) -> bool {
        match self {
            MessageFilter::All => true,
            MessageFilter::Tags { tags, .. } if tags.is_empty() => true,
            MessageFilter::Tags { tags, .. } => match parse_record(record) {
                RecordParse::Message(view) => {
                    let props = String::from_utf8_lossy(view.properties);
                    find_property(&props, TAGS).is_some_and(|t| tags.contains(t))
                }
                _ => false,
            },
        }
    }
}

/// Outcome of a read (`GetMessageStatus`): the SDK's type.
pub use plugin_api::sdk::GetStatus as GetMessageStatus;

/// Result of [`DefaultMessageStore::get_message`](super::DefaultMessageStore::get_message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMessageResult {
    /// Status.
    pub status: GetMessageStatus,
    /// Where the next pull should start.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Raw records, concatenated.
    pub body: Vec<u8>,
    /// Records in `body`.
    pub message_count: i32,
    /// The data read is far from the commit-log tail (not in memory).
    pub suggest_pulling_from_slave: bool,
}

/// Result of [`DefaultMessageStore::query_message`](super::DefaultMessageStore::query_message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryMessageResult {
    /// Raw records concatenated (a QUERY_MESSAGE body; hash collisions removed).
    pub body: Vec<u8>,
    /// Records in `body`.
    pub message_count: i32,
    /// End timestamp of the newest index file.
    pub index_last_update_timestamp: i64,
    /// End commit-log offset of the newest index file.
    pub index_last_update_phyoffset: i64,
}

/// The arrival listener: (topic, queue id, new max offset, tagsCode).
pub type ArrivalListener = dyn Fn(&str, i32, i64, i64) + Send + Sync;
