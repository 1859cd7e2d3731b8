//! The types that cross the library boundary between the host and a plugin.
//!
//! Everything here is `#[repr(C)]` and derives [`StableAbi`], so abi_stable
//! checks at load time that host and plugin agree on every layout. Plugin
//! authors do not use these types directly: the [`crate::sdk`] layer converts
//! them to ordinary Rust types and the [`crate::export_plugin!`] macro writes
//! the glue (including the panic guard around every entry point).
//!
//! Compatibility rule (`docs/WRITING_PLUGINS.md`): the host context and the
//! processor are abi_stable prefix types. A minor version only appends host
//! methods after the last prefix field (plugins built against an older minor
//! never call them) and optional processor methods with a default (the host
//! falls back to it for older plugins); it changes no existing type. Any
//! other change is a new major version, which the host refuses at load.

// abi_stable's `#[sabi_trait]` expands to impls inside a const block.
#![allow(non_local_definitions)]

mod bridge;
mod clients;
mod store;

pub use bridge::{host_context, PluginSideHost};
pub use clients::*;
pub use store::*;

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::VersionStrings,
    std_types::{RArc, RBox, ROption, RResult, RSlice, RStr, RString, RVec},
    StableAbi,
};

use crate::codec::{ExtFields, FieldSpan, FieldsView, InvalidFieldSpans};

/// The plugin ABI version. The host loads a plugin built against any minor
/// of the same major version, older or newer; another major is refused.
#[cfg(not(feature = "simulate-incompatible-abi"))]
pub const ABI_VERSION: &str = "1.2.0";
/// The plugin ABI version (this build pretends to be an incompatible one, for tests).
#[cfg(feature = "simulate-incompatible-abi")]
pub const ABI_VERSION: &str = "99.0.0";

/// A request's `extFields`, borrowed from the host's decoded header as it is
/// kept there ([`ExtFields::parts`]): one text and the spans of each key and
/// value in it. Handing these over costs nothing per field (a list of
/// key/value pairs built per request was ~5% of a send thread).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiFieldsRef<'a> {
    /// Every key and value, concatenated.
    pub text: RStr<'a>,
    /// One entry per field, in wire order.
    pub spans: RSlice<'a, FieldSpan>,
}

impl<'a> FfiFieldsRef<'a> {
    /// No fields.
    pub const EMPTY: FfiFieldsRef<'static> = FfiFieldsRef {
        text: RStr::from_str(""),
        spans: RSlice::from_slice(&[]),
    };

    /// A view of `fields`.
    pub fn of(fields: &'a ExtFields) -> FfiFieldsRef<'a> {
        let (text, spans) = fields.parts();
        FfiFieldsRef {
            text: RStr::from(text),
            spans: RSlice::from_slice(spans),
        }
    }

    /// Every `(key, value)`, in wire order. A span outside the text (never
    /// made by the host) reads as an empty string.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&'a str, &'a str)> + 'a {
        let text: &'a str = self.text.as_str();
        let part = move |start: u32, end: u32| text.get(start as usize..end as usize).unwrap_or("");
        self.spans.as_slice().iter().map(move |span| {
            (
                part(span.key_start, span.key_end),
                part(span.value_start, span.value_end),
            )
        })
    }
}

/// One `extFields` entry of a response, owned by whoever built it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiOwnedField {
    /// Field name.
    pub key: RString,
    /// Field value as text.
    pub value: RString,
}

/// Header fields of a response as one text and the spans of each key and
/// value in it ([`crate::codec::ExtFields::into_parts`]): one allocation for
/// the whole header instead of two per field. The host checks the spans.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Default)]
pub struct FfiFields {
    /// Every key and value, concatenated.
    pub text: RString,
    /// One entry per field, in order.
    pub spans: RVec<FieldSpan>,
}

impl From<ExtFields> for FfiFields {
    fn from(fields: ExtFields) -> Self {
        let (text, spans) = fields.into_parts();
        FfiFields {
            text: text.into(),
            spans: spans.into(),
        }
    }
}

impl FfiFields {
    /// The fields as a map, spans checked (they come from a plugin).
    pub fn to_ext_fields(&self) -> Result<ExtFields, InvalidFieldSpans> {
        Ok(self.view()?.to_ext_fields())
    }

    /// The fields borrowed for encoding, spans checked.
    pub fn view(&self) -> Result<FieldsView<'_>, InvalidFieldSpans> {
        FieldsView::new(self.text.as_str(), self.spans.as_slice())
    }
}

/// A request as the host hands it to a processor. Borrowed: the host owns the
/// decoded frame and keeps it alive for the duration of the call (and keeps
/// it when the processor asks to be re-run later).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiRequest<'a> {
    /// Request code.
    pub code: i32,
    /// Sender's `LanguageCode` byte.
    pub language: u8,
    /// Sender's version ordinal.
    pub version: i32,
    /// Request id, echoed in the response by the host.
    pub opaque: i32,
    /// Flag bits (bit 1 = oneway).
    pub flag: i32,
    /// Header serialization of the request (0 JSON, 1 ROCKETMQ).
    pub serialize_type: u8,
    /// The remark, if any.
    pub remark: ROption<RStr<'a>>,
    /// The `extFields`, in wire order.
    pub ext_fields: FfiFieldsRef<'a>,
    /// The frame body.
    pub body: RSlice<'a, u8>,
    /// Peer address, `ip:port`.
    pub remote_addr: RStr<'a>,
    /// Host-wide id of the connection the request came on (stable for the
    /// connection's lifetime); lets processors key client state by channel.
    pub connection_id: u64,
    /// False when this run is the re-run of a held request (after a wake-up or
    /// the hold timeout): the processor must answer now and not hold again.
    pub allow_hold: bool,
}

/// A response built by a processor. The host fills in opaque, flags,
/// language, version and serialization.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiResponse {
    /// Response code.
    pub code: i32,
    /// Optional human-readable text.
    pub remark: ROption<RString>,
    /// Response header fields, written in this order.
    pub ext_fields: FfiFields,
    /// Response body.
    pub body: RVec<u8>,
    /// Send only once the commit log is flushed up to this offset (a put's
    /// flush ticket); -1 = send at once.
    pub flush_offset: i64,
}

/// "Hold this request and run it again later": the long-polling outcome.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiHold {
    /// The topic of the queue the request waits on.
    pub topic: RString,
    /// The queue the request waits on. The host re-runs the request when a
    /// message arrives in it beyond `wake_offset`.
    pub queue_id: i32,
    /// Re-run as soon as an arrival on `key` reports an offset greater than this.
    pub wake_offset: i64,
    /// Re-run at the latest after this many milliseconds.
    pub timeout_millis: u64,
    /// Only arrivals whose tags code is in this list wake the request
    /// (empty = any arrival).
    pub tag_codes: RVec<i64>,
}

/// What a processor did with a request.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub enum FfiOutcome {
    /// Send this response.
    Respond(FfiResponse),
    /// Send nothing (oneway requests, or a response the processor sends otherwise).
    NoResponse,
    /// Keep the request and run it again later (see [`FfiHold`]).
    Hold(FfiHold),
    /// The processor panicked; the host answers SYSTEM_ERROR with this text.
    Panicked(RString),
}

/// Severity of a plugin log line.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FfiLogLevel {
    /// Very verbose diagnostics.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the plugin handled.
    Warn,
    /// A failure.
    Error,
}

/// Identity of the broker a plugin runs in.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiBrokerIdentity {
    /// `brokerClusterName`.
    pub cluster_name: RString,
    /// `brokerName`.
    pub broker_name: RString,
    /// `brokerId` (0 = master).
    pub broker_id: i64,
    /// `brokerIP1:listenPort`, the address clients use.
    pub broker_addr: RString,
    /// `brokerPermission` (R=4, W=2), ANDed into advertised topic perms.
    pub broker_permission: i32,
    /// Version ordinal the broker answers with.
    pub version: i32,
}

/// One topic's configuration, as in `topics.json`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiTopicConfig {
    /// Topic name.
    pub topic_name: RString,
    /// Readable queues.
    pub read_queue_nums: i32,
    /// Writable queues.
    pub write_queue_nums: i32,
    /// Permission bits (PRIORITY 8, READ 4, WRITE 2, INHERIT 1).
    pub perm: i32,
    /// `SINGLE_TAG` = 0, `MULTI_TAG` = 1.
    pub topic_filter_type: u8,
    /// Topic system flag bits.
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
}

/// The metadata bodies the admin codes answer with ([`FfiHostContext::metadata_json`]).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FfiMetadataTable {
    /// `TopicConfigAndMappingSerializeWrapper` (GET_ALL_TOPIC_CONFIG, 21).
    TopicConfigWrapper,
    /// `SubscriptionGroupWrapper` (GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 201).
    SubscriptionGroupWrapper,
    /// `ConsumerOffsetManager.encode()` (GET_ALL_CONSUMER_OFFSET, 43).
    ConsumerOffsets,
}

/// One client connection (RocketMQ `Connection`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiConnection {
    /// `clientId`.
    pub client_id: RString,
    /// Peer address, `ip:port`.
    pub client_addr: RString,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// Host services a processor may call. Implemented by the host, used by the
/// plugin through [`crate::sdk::Host`] (which dereferences to this).
///
/// State lives behind these methods, in the host, so it survives a hot swap
/// of any plugin. Host implementations never unwind across this boundary.
#[sabi_trait]
pub trait FfiHostContext: Send + Sync + Clone + 'static {
    // ---- logging and identity -------------------------------------------

    /// The plugin ABI version the host implements (`major.minor.patch`):
    /// lets a plugin built against a newer minor see which host methods
    /// past ABI 1.0 it may call.
    fn abi_version(&self) -> RString;

    /// Writes one log line into the broker log, attributed to `plugin`.
    fn log(&self, level: FfiLogLevel, plugin: RStr<'_>, message: RStr<'_>);

    /// The broker's identity.
    fn broker_identity(&self) -> FfiBrokerIdentity;

    /// Any effective broker config value by its RocketMQ key (`regionId`,
    /// `maxMessageSize`, `messageDelayLevel`, ...), as `-p` prints it.
    fn config_value(&self, key: RStr<'_>) -> ROption<RString>;

    // ---- topics and groups ----------------------------------------------

    /// One topic's config, if the broker has the topic.
    fn topic_config(&self, topic: RStr<'_>) -> ROption<FfiTopicConfig>;

    /// Every topic's config.
    fn all_topic_configs(&self) -> RVec<FfiTopicConfig>;

    /// RocketMQ's `createTopicInSendMessageMethod`: creates `topic` from
    /// `default_topic` when that exists with INHERIT; persisted, routable at once.
    fn create_topic_in_send(
        &self,
        topic: RStr<'_>,
        default_topic: RStr<'_>,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> ROption<FfiTopicConfig>;

    /// Creates a topic with this config unless it exists; returns the current config.
    fn create_topic_if_absent(&self, config: &FfiTopicConfig) -> FfiTopicConfig;

    /// A subscription group's config, auto-created with defaults when
    /// `auto_create` and the broker allows it (`autoCreateSubscriptionGroup`).
    fn subscription_group(
        &self,
        group: RStr<'_>,
        auto_create: bool,
    ) -> ROption<FfiSubscriptionGroup>;

    /// The forbidden bits of `group` for `topic` from the subscription-group
    /// table's `forbiddenTable` (5.x `getForbidden(group, topic)`; bit
    /// `INDEX_PERM_READ` = 4 forbids pulling), 0 if none.
    fn subscription_group_forbidden(&self, group: RStr<'_>, topic: RStr<'_>) -> i32;

    // ---- message store ----------------------------------------------------

    /// Appends one message (blocks for SYNC_FLUSH when `wait_store`).
    fn put_message(&self, message: &FfiMessage<'_>) -> FfiPutResult;

    /// Appends a batch as one unit.
    fn put_messages(&self, batch: &FfiBatch<'_>) -> FfiPutResult;

    /// Reads messages for a pull.
    fn get_messages(&self, request: &FfiGetRequest<'_>) -> FfiGetResult;

    /// Queue max offset (next offset to be written; 0 for unknown queues).
    fn max_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64;

    /// Queue min offset.
    fn min_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64;

    /// Offset of the message stored at `timestamp` (`getOffsetInQueueByTime`):
    /// LOWER = the first stored at or after it, UPPER = the last stored at or
    /// before it, clamped to the queue's `[min, max]`; 0 for unknown queues.
    fn offset_by_time(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        timestamp: i64,
        boundary: FfiBoundaryType,
    ) -> i64;

    /// `checkInMemByConsumeOffset(topic, queueId, offset, 1)`: true when the
    /// queue has a message at `consume_offset` that is still stored and in
    /// memory (the store's estimate).
    fn check_in_mem_by_consume_offset(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        consume_offset: i64,
    ) -> bool;

    /// Store time of the message at `offset`, or -1.
    fn message_store_time(&self, topic: RStr<'_>, queue_id: i32, offset: i64) -> i64;

    /// One raw stored record by commit-log offset.
    fn message_by_offset(&self, commit_log_offset: i64) -> ROption<RVec<u8>>;

    /// Index lookup of `topic#key` within `[begin, end]` ms.
    fn query_by_key(
        &self,
        topic: RStr<'_>,
        key: RStr<'_>,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> FfiQueryResult;

    // ---- consumer offsets -------------------------------------------------

    /// Committed offset of (group, topic, queue), or -1.
    fn query_consumer_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64;

    /// Commits an offset (persisted by the host on its schedule).
    fn commit_consumer_offset(
        &self,
        client_host: RStr<'_>,
        group: RStr<'_>,
        topic: RStr<'_>,
        queue_id: i32,
        offset: i64,
    );

    /// Records where `group`'s next pull of the queue starts (the pull's
    /// `nextBeginOffset`, Java's `commitPullOffset`); in memory only.
    /// GET_CONSUME_STATS reports it as `pullOffset` ([`Self::query_pull_offset`]).
    fn commit_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32, offset: i64);

    // ---- client registry --------------------------------------------------

    /// Registers or refreshes a producer channel.
    fn register_producer(&self, group: RStr<'_>, channel: &FfiClientChannel<'_>);

    /// Registers or refreshes a consumer channel; the host notifies the group's
    /// members (NOTIFY_CONSUMER_IDS_CHANGED) when membership or topics change.
    /// Returns true when something changed.
    fn register_consumer(
        &self,
        registration: &FfiConsumerRegistration,
        channel: &FfiClientChannel<'_>,
    ) -> bool;

    /// Removes a client from a producer group (empty = none) and a consumer
    /// group (empty = none).
    fn unregister_client(
        &self,
        client_id: RStr<'_>,
        connection_id: u64,
        producer_group: RStr<'_>,
        consumer_group: RStr<'_>,
    );

    /// A consumer group's live members and subscriptions.
    fn consumer_group(&self, group: RStr<'_>) -> ROption<FfiConsumerGroupInfo>;

    /// Records `fingerprint` as `group`'s last heartbeat fingerprint and
    /// returns the previous one (`RNone` for the group's first heartbeat):
    /// Java's `consumerGroupHeartbeatTable`, kept in the host so that it
    /// survives a swap of the heartbeat plugin.
    fn swap_heartbeat_fingerprint(&self, group: RStr<'_>, fingerprint: i64) -> ROption<i64>;

    // ---- rebalance locks ----------------------------------------------------

    /// Locks (or renews) queues for `client_id`; returns the queues it now holds.
    fn lock_queues(
        &self,
        group: RStr<'_>,
        client_id: RStr<'_>,
        queues: RVec<FfiMessageQueue>,
    ) -> RVec<FfiMessageQueue>;

    /// Releases the queues `client_id` holds among these.
    fn unlock_queues(&self, group: RStr<'_>, client_id: RStr<'_>, queues: RVec<FfiMessageQueue>);

    /// True when some client holds an unexpired lock on a queue of `group`
    /// (Java's `!isLockAllExpired(group)`: the group consumes orderly).
    fn group_has_live_lock(&self, group: RStr<'_>) -> bool;

    // ---- administration (the admin plugin) ----------------------------------

    /// True for a system topic (`TopicValidator.isSystemTopic`): the
    /// built-in names, every topic seeded at startup, `rmq_sys_*`.
    fn is_system_topic(&self, topic: RStr<'_>) -> bool;

    /// UPDATE_AND_CREATE_TOPIC: creates or replaces the topic, bumps the
    /// topic table's DataVersion and persists `topics.json` (the name-server
    /// registration sends the change at once). `attributes` are the request's
    /// `+key`=value / `-key` modifications (none = keep the current ones).
    /// `Err` carries the remark.
    fn update_topic_config(
        &self,
        config: &FfiTopicConfig,
        attributes: RVec<FfiOwnedField>,
    ) -> RResult<(), RString>;

    /// DELETE_TOPIC_IN_BROKER: removes the topic's config (version bump,
    /// persisted) and every consumer offset in it. False if it did not exist.
    fn delete_topic(&self, topic: RStr<'_>) -> bool;

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: creates or replaces the group
    /// described by `config_json` (a `SubscriptionGroupConfig` body as the
    /// request carries it), persisted. `Err` carries the remark.
    fn update_subscription_group(&self, config_json: RSlice<'_, u8>) -> RResult<(), RString>;

    /// A metadata table in the compact fastjson text the admin codes answer with.
    fn metadata_json(&self, table: FfiMetadataTable) -> RString;

    /// Topics in which `group` has committed offsets (`whichTopicByConsumer`), sorted.
    fn consumer_offset_topics(&self, group: RStr<'_>) -> RVec<RString>;

    /// The offset `group` last pulled up to in the queue, else its committed
    /// offset, else -1.
    fn query_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64;

    /// The live connections of a consumer group (empty if none).
    fn consumer_connections(&self, group: RStr<'_>) -> RVec<FfiConnection>;

    /// Store and broker runtime figures (GET_BROKER_RUNTIME_INFO's table),
    /// key → value text, in RocketMQ's key names.
    #[sabi(last_prefix_field)]
    fn runtime_info(&self) -> RVec<FfiOwnedField>;

    // ---- added in ABI 1.1 (absent from a 1.0 host: check `abi_version`) ---

    /// Sends `request` oneway to the client connection `connection_id` (the
    /// broker's own opaque). `Err` when the connection is gone or full.
    fn send_oneway_to_client(
        &self,
        connection_id: u64,
        request: &FfiClientRequest,
    ) -> RResult<(), RString>;

    // ABI 1.2: client invoke (absent from a 1.0 or 1.1 host: check `abi_version`)

    /// Sends `request` to the client connection `connection_id` (the
    /// broker's own opaque) and waits up to `timeout_millis` for the
    /// client's response with that opaque (Java's `invokeSync`).
    fn invoke_client(
        &self,
        connection_id: u64,
        request: &FfiClientRequest,
        timeout_millis: u64,
    ) -> RResult<FfiClientResponse, FfiClientCallError>;

    /// The connection id of a live producer or consumer channel of the
    /// client `client_id` (Java's `ProducerManager.findChannel`).
    fn find_client_connection(&self, client_id: RStr<'_>) -> ROption<u64>;

    // ABI 1.2: broker config update (absent from a 1.0 or 1.1 host: check
    // `abi_version`). The admin plugin's GET/UPDATE_BROKER_CONFIG,
    // GET_PRODUCER_CONNECTION_LIST, DELETE_SUBSCRIPTIONGROUP and the
    // server-side offset reset.

    /// The configuration as properties text and its DataVersion JSON.
    fn broker_config_text(&self) -> FfiBrokerConfigText;

    /// Java's `Configuration.update`: sets the keys, bumps the version,
    /// persists to the broker's config file. `Err` (nothing applied) names
    /// a value that does not parse.
    fn update_broker_config(&self, entries: RVec<FfiOwnedField>) -> RResult<(), RString>;

    /// The live channels of a producer group.
    fn producer_channels(&self, group: RStr<'_>) -> RVec<FfiLiveChannel>;

    /// The live channels of a consumer group.
    fn consumer_channels(&self, group: RStr<'_>) -> RVec<FfiLiveChannel>;

    /// DELETE_SUBSCRIPTIONGROUP: removes the group's config and, with
    /// `clean_offset`, its offsets. False if the group had no config.
    fn delete_subscription_group(&self, group: RStr<'_>, clean_offset: bool) -> bool;

    /// `assignResetOffset`.
    fn assign_reset_offset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32, offset: i64);

    /// `queryThenEraseResetOffset`: the pending reset offset, or -1.
    fn take_reset_offset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32) -> i64;

    /// `hasOffsetReset`.
    fn has_offset_reset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32) -> bool;

    // ABI 1.2: broker stats (absent from a 1.0 or 1.1 host: check `abi_version`)

    /// `BrokerStatsManager.getStatsItem(statsName, statsKey)`.
    fn stats_item(&self, stats_name: RStr<'_>, stats_key: RStr<'_>) -> ROption<FfiStatsItem>;

    /// Groups consuming `topic` (online subscribers and groups with offsets).
    fn topic_consumed_by(&self, topic: RStr<'_>) -> RVec<RString>;

    /// `delayOffset.json` as `ScheduleMessageService.encode()` writes it.
    fn delay_offsets_json(&self) -> RString;

    /// `cleanExpiredConsumerQueue`: queues destroyed, or the remark.
    fn clean_expired_consume_queues(&self) -> RResult<u64, RString>;

    /// `cleanUnusedTopic`: queues deleted, or the remark.
    fn clean_unused_topics(&self) -> RResult<u64, RString>;

    /// `incSendBackNums(group, topic)`.
    fn record_send_back(&self, group: RStr<'_>, topic: RStr<'_>);
}

/// The configuration as GET_BROKER_CONFIG answers it (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiBrokerConfigText {
    /// `key=value` lines.
    pub properties: RString,
    /// DataVersion JSON.
    pub data_version: RString,
}

/// A live client channel of a group (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiLiveChannel {
    /// Host-wide connection id.
    pub connection_id: u64,
    /// `clientId`.
    pub client_id: RString,
    /// Peer address.
    pub client_addr: RString,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// One window of a stats item (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq)]
pub struct FfiStatsWindow {
    /// Value added within the window.
    pub sum: i64,
    /// Per second.
    pub tps: f64,
    /// Per call.
    pub avgpt: f64,
}

/// A stats item's minute, hour and day windows (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq)]
pub struct FfiStatsItem {
    /// Last minute.
    pub minute: FfiStatsWindow,
    /// Last hour.
    pub hour: FfiStatsWindow,
    /// Last day.
    pub day: FfiStatsWindow,
}

/// A request the broker sends to a client (ABI 1.1).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiClientRequest {
    /// Request code.
    pub code: i32,
    /// Optional remark.
    pub remark: ROption<RString>,
    /// Header fields.
    pub ext_fields: FfiFields,
    /// Body.
    pub body: RVec<u8>,
}

/// A client's response to [`FfiHostContext::invoke_client`] (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiClientResponse {
    /// Response code.
    pub code: i32,
    /// Optional remark.
    pub remark: ROption<RString>,
    /// Header fields.
    pub ext_fields: FfiFields,
    /// Body.
    pub body: RVec<u8>,
}

/// Why an [`FfiHostContext::invoke_client`] failed (ABI 1.2).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FfiClientCallFailure {
    /// The connection is gone, closed before answering, or refused the request.
    Refused,
    /// No answer within the timeout.
    Timeout,
}

/// An [`FfiHostContext::invoke_client`] failure and its text (ABI 1.2).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiClientCallError {
    /// What went wrong.
    pub failure: FfiClientCallFailure,
    /// Says which call and why.
    pub message: RString,
}

/// The host context as a plugin receives it.
pub type HostContextBox = FfiHostContext_TO<RArc<()>>;

/// A processor as the host holds it.
#[sabi_trait]
pub trait FfiProcessor: Send + Sync + 'static {
    /// Handles one request. Never unwinds: the SDK wrapper turns a panic into
    /// [`FfiOutcome::Panicked`].
    fn process(&self, request: &FfiRequest<'_>) -> FfiOutcome;

    /// Called once when the host retires this processor (unload, swap, shutdown).
    #[sabi(last_prefix_field)]
    fn shutdown(&self);

    // ---- added in ABI 1.1: optional, with a default the host falls back to
    // for processors built against 1.0 ---------------------------------------

    /// A client connection closed (e.g. to forget a producer's channel).
    fn connection_closed(&self, _connection_id: u64) {}
}

/// A processor as the host holds it.
pub type ProcessorBox = FfiProcessor_TO<RBox<()>>;

/// What a plugin says about itself.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiPluginInfo {
    /// Plugin name, e.g. `route`.
    pub name: RString,
    /// Plugin version, e.g. `0.1.0`.
    pub version: RString,
    /// Request codes the plugin serves.
    pub request_codes: RVec<i32>,
}

/// The root module every plugin library exports (via [`crate::export_plugin!`]).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PluginModule {
    /// Name, version and request codes.
    pub info: extern "C" fn() -> FfiPluginInfo,
    /// Builds a processor. `settings` is the manifest entry's `settings`
    /// table as JSON text (`{}` when absent). Never unwinds.
    #[sabi(last_prefix_field)]
    pub new_processor:
        extern "C" fn(host: HostContextBox, settings: RStr<'_>) -> RResult<ProcessorBox, RString>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "rocketmq_broker_plugin";
    const NAME: &'static str = "rocketmq_broker_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ABI_VERSION);
}

/// plugin-api's crate version, recorded for diagnostics.
pub const PLUGIN_API_CRATE_VERSION: VersionStrings = package_version_strings!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_fields_round_trip_and_spans_from_a_plugin_are_checked() {
        let mut fields = ExtFields::new();
        fields.insert("msgId", "7F00000100002A9F0000000000000000");
        fields.insert_display("queueOffset", 42);
        let ffi = FfiFields::from(fields.clone());
        assert_eq!(ffi.to_ext_fields(), Ok(fields));

        // What a plugin that bypasses the SDK could hand over: a span past
        // the end of the text. The host gets an error, not a panic.
        let bad = FfiFields {
            text: RString::from("msgIdX"),
            spans: RVec::from(vec![FieldSpan {
                key_start: 0,
                key_end: 5,
                value_start: 5,
                value_end: 60,
            }]),
        };
        assert_eq!(bad.to_ext_fields(), Err(InvalidFieldSpans { entry: 0 }));
    }
}
