//! The host services a plugin reaches through its context object.
//!
//! State lives here, in the host, never only in a plugin: a hot-swapped
//! processor finds the same topics, store, offsets, clients and locks.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, ROption, RResult, RSlice, RStr, RString, RVec};
use plugin_api::ffi::{
    FfiBatch, FfiBoundaryType, FfiBrokerIdentity, FfiClientChannel, FfiConnection,
    FfiConsumerGroupInfo, FfiConsumerRegistration, FfiGetRequest, FfiGetResult, FfiGetStatus,
    FfiHostContext, FfiHostContext_TO, FfiLogLevel, FfiMessage, FfiMessageQueue, FfiMetadataTable,
    FfiOwnedField, FfiPutResult, FfiPutStatus, FfiQueryResult, FfiSubscription,
    FfiSubscriptionGroup, FfiTopicConfig, HostContextBox,
};

use crate::clients::{ClientChannel, ClientRegistry, RebalanceLockManager, Subscription};
use crate::config::BrokerConfig;
use crate::dispatch::pool::flush_ticket_bridge::defer_flush;
use crate::metadata::{MetadataStore, SubscriptionGroupConfig, TopicConfig, TopicFilterType};
use crate::store::stats::java_double;
use crate::store::{
    BatchToStore, BoundaryType, DefaultMessageStore, GetMessageResult, GetMessageStatus,
    MessageFilter, MessageToStore, PutMessageResult, PutMessageStatus,
};

/// What the host shares with plugins.
pub struct HostParts {
    /// Effective config.
    pub config: Arc<BrokerConfig>,
    /// Broker identity.
    pub identity: FfiBrokerIdentity,
    /// JSON metadata (topics, offsets, groups, filters, delay offsets).
    pub metadata: Arc<MetadataStore>,
    /// The message store (absent in tools and benchmarks that need none).
    pub store: Option<Arc<DefaultMessageStore>>,
    /// Producer/consumer registry.
    pub clients: Arc<ClientRegistry>,
    /// Rebalance locks.
    pub locks: Arc<RebalanceLockManager>,
}

/// Everything the host shares with plugins. Cheap to clone.
#[derive(Clone)]
pub struct HostServices {
    inner: Arc<HostParts>,
    /// When the services were created (the broker's boot), epoch ms.
    boot_timestamp: i64,
}

impl HostServices {
    /// Services over these parts.
    pub fn new(parts: HostParts) -> Self {
        HostServices {
            inner: Arc::new(parts),
            boot_timestamp: crate::metadata::data_version::now_millis(),
        }
    }

    /// The context object handed to a plugin's constructor.
    pub fn context(&self) -> HostContextBox {
        FfiHostContext_TO::from_ptr(RArc::new(self.clone()), TD_Opaque)
    }

    /// The parts.
    pub fn parts(&self) -> &HostParts {
        &self.inner
    }

    fn store(&self) -> Option<&Arc<DefaultMessageStore>> {
        self.inner.store.as_ref()
    }
}

/// Runs host code called by a plugin; a host bug must not abort the process
/// by unwinding into the plugin, so a panic yields `fallback`.
fn guarded<T>(what: &str, fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(_) => {
            tracing::error!(service = what, "host service panicked; answering a default");
            fallback
        }
    }
}

fn parse_addr(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn put_failed(status: FfiPutStatus) -> FfiPutResult {
    FfiPutResult {
        status,
        wrote_offset: -1,
        msg_ids: RVec::new(),
        queue_offset: -1,
        msg_num: 0,
        store_timestamp: 0,
    }
}

fn put_result(result: PutMessageResult) -> FfiPutResult {
    FfiPutResult {
        status: match result.status {
            PutMessageStatus::PutOk => FfiPutStatus::PutOk,
            PutMessageStatus::FlushDiskTimeout => FfiPutStatus::FlushDiskTimeout,
            PutMessageStatus::FlushSlaveTimeout => FfiPutStatus::FlushSlaveTimeout,
            PutMessageStatus::SlaveNotAvailable => FfiPutStatus::SlaveNotAvailable,
            PutMessageStatus::ServiceNotAvailable => FfiPutStatus::ServiceNotAvailable,
            PutMessageStatus::CreateMappedFileFailed => FfiPutStatus::CreateMappedFileFailed,
            PutMessageStatus::MessageIllegal => FfiPutStatus::MessageIllegal,
            PutMessageStatus::PropertiesSizeExceeded => FfiPutStatus::PropertiesSizeExceeded,
            PutMessageStatus::OsPageCacheBusy => FfiPutStatus::OsPageCacheBusy,
            PutMessageStatus::UnknownError => FfiPutStatus::UnknownError,
        },
        wrote_offset: result.wrote_offset,
        msg_ids: result.msg_ids.into_iter().map(RString::from).collect(),
        queue_offset: result.queue_offset,
        msg_num: result.msg_num,
        store_timestamp: result.store_timestamp,
    }
}

fn get_result(result: GetMessageResult) -> FfiGetResult {
    FfiGetResult {
        status: match result.status {
            GetMessageStatus::Found => FfiGetStatus::Found,
            GetMessageStatus::NoMatchedMessage => FfiGetStatus::NoMatchedMessage,
            GetMessageStatus::MessageWasRemoving => FfiGetStatus::MessageWasRemoving,
            GetMessageStatus::OffsetFoundNull => FfiGetStatus::OffsetFoundNull,
            GetMessageStatus::OffsetOverflowBadly => FfiGetStatus::OffsetOverflowBadly,
            GetMessageStatus::OffsetOverflowOne => FfiGetStatus::OffsetOverflowOne,
            GetMessageStatus::OffsetTooSmall => FfiGetStatus::OffsetTooSmall,
            GetMessageStatus::NoMatchedLogicQueue => FfiGetStatus::NoMatchedLogicQueue,
            GetMessageStatus::NoMessageInQueue => FfiGetStatus::NoMessageInQueue,
        },
        next_begin_offset: result.next_begin_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        body: RVec::from(result.body),
        message_count: result.message_count,
        suggest_pulling_from_slave: result.suggest_pulling_from_slave,
    }
}

fn no_queue() -> FfiGetResult {
    FfiGetResult {
        status: FfiGetStatus::NoMatchedLogicQueue,
        next_begin_offset: 0,
        min_offset: 0,
        max_offset: 0,
        body: RVec::new(),
        message_count: 0,
        suggest_pulling_from_slave: false,
    }
}

fn topic_from_ffi(config: &FfiTopicConfig) -> TopicConfig {
    let mut topic = TopicConfig::new(config.topic_name.as_str());
    topic.read_queue_nums = config.read_queue_nums;
    topic.write_queue_nums = config.write_queue_nums;
    topic.perm = config.perm;
    topic.topic_filter_type = if config.topic_filter_type == 1 {
        TopicFilterType::MultiTag
    } else {
        TopicFilterType::SingleTag
    };
    topic.topic_sys_flag = config.topic_sys_flag;
    topic.order = config.order;
    topic
}

fn group_to_ffi(group: &SubscriptionGroupConfig) -> FfiSubscriptionGroup {
    FfiSubscriptionGroup {
        group_name: group.group_name.as_str().into(),
        consume_enable: group.consume_enable,
        consume_from_min_enable: group.consume_from_min_enable,
        consume_broadcast_enable: group.consume_broadcast_enable,
        consume_message_orderly: group.consume_message_orderly,
        retry_queue_nums: group.retry_queue_nums,
        retry_max_times: group.retry_max_times,
        broker_id: group.broker_id,
        which_broker_when_consume_slowly: group.which_broker_when_consume_slowly,
        notify_consumer_ids_changed_enable: group.notify_consumer_ids_changed_enable,
        group_sys_flag: group.group_sys_flag,
    }
}

fn channel_from_ffi(channel: &FfiClientChannel<'_>) -> ClientChannel {
    ClientChannel {
        client_id: channel.client_id.to_string(),
        connection_id: channel.connection_id,
        remote_addr: channel.remote_addr.to_string(),
        language: channel.language,
        version: channel.version,
    }
}

fn subscription_from_ffi(sub: &FfiSubscription) -> Subscription {
    Subscription {
        topic: sub.topic.to_string(),
        sub_string: sub.sub_string.to_string(),
        expression_type: sub.expression_type.to_string(),
        tags: sub.tags.iter().map(|t| t.to_string()).collect(),
        codes: sub.codes.to_vec(),
        sub_version: sub.sub_version,
    }
}

fn subscription_to_ffi(sub: &Subscription) -> FfiSubscription {
    FfiSubscription {
        topic: sub.topic.as_str().into(),
        sub_string: sub.sub_string.as_str().into(),
        expression_type: sub.expression_type.as_str().into(),
        tags: sub.tags.iter().map(|t| RString::from(t.as_str())).collect(),
        codes: RVec::from(sub.codes.clone()),
        sub_version: sub.sub_version,
    }
}

fn queue_keys(queues: &RVec<FfiMessageQueue>) -> Vec<(String, String, i32)> {
    queues
        .iter()
        .map(|q| (q.topic.to_string(), q.broker_name.to_string(), q.queue_id))
        .collect()
}

impl FfiHostContext for HostServices {
    fn log(&self, level: FfiLogLevel, plugin: RStr<'_>, message: RStr<'_>) {
        let (plugin, message) = (plugin.as_str(), message.as_str());
        guarded("log", (), || match level {
            FfiLogLevel::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        })
    }

    fn broker_identity(&self) -> FfiBrokerIdentity {
        self.inner.identity.clone()
    }

    fn config_value(&self, key: RStr<'_>) -> ROption<RString> {
        guarded("config_value", ROption::RNone, || {
            self.inner
                .config
                .get(key.as_str())
                .map(RString::from)
                .into()
        })
    }

    fn topic_config(&self, topic: RStr<'_>) -> ROption<FfiTopicConfig> {
        guarded("topic_config", ROption::RNone, || {
            self.inner
                .metadata
                .topics()
                .read(topic.as_str(), TopicConfig::to_ffi)
                .into()
        })
    }

    fn all_topic_configs(&self) -> RVec<FfiTopicConfig> {
        guarded("all_topic_configs", RVec::new(), || {
            self.inner
                .metadata
                .topics()
                .all()
                .iter()
                .map(|c| c.to_ffi())
                .collect()
        })
    }

    fn create_topic_in_send(
        &self,
        topic: RStr<'_>,
        default_topic: RStr<'_>,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> ROption<FfiTopicConfig> {
        guarded("create_topic_in_send", ROption::RNone, || {
            self.inner
                .metadata
                .topics()
                .create_topic_in_send_message(
                    topic.as_str(),
                    default_topic.as_str(),
                    queue_nums,
                    topic_sys_flag,
                )
                .map(|config| config.to_ffi())
                .into()
        })
    }

    fn create_topic_if_absent(&self, config: &FfiTopicConfig) -> FfiTopicConfig {
        guarded("create_topic_if_absent", config.clone(), || {
            self.inner
                .metadata
                .topics()
                .create_topic_if_absent(topic_from_ffi(config))
                .to_ffi()
        })
    }

    fn subscription_group(
        &self,
        group: RStr<'_>,
        auto_create: bool,
    ) -> ROption<FfiSubscriptionGroup> {
        guarded("subscription_group", ROption::RNone, || {
            self.inner
                .metadata
                .subscription_groups()
                .find_subscription_group(group.as_str(), auto_create)
                .map(|g| group_to_ffi(&g))
                .into()
        })
    }

    fn subscription_group_forbidden(&self, group: RStr<'_>, topic: RStr<'_>) -> i32 {
        guarded("subscription_group_forbidden", 0, || {
            self.inner
                .metadata
                .subscription_groups()
                .forbidden(group.as_str(), topic.as_str())
        })
    }

    fn put_message(&self, message: &FfiMessage<'_>) -> FfiPutResult {
        let Some(store) = self.store() else {
            return put_failed(FfiPutStatus::ServiceNotAvailable);
        };
        guarded(
            "put_message",
            put_failed(FfiPutStatus::UnknownError),
            || {
                let result = store.put_message_deferred(&MessageToStore {
                    topic: message.topic.as_str(),
                    queue_id: message.queue_id,
                    flag: message.flag,
                    sys_flag: message.sys_flag,
                    born_timestamp: message.born_timestamp,
                    born_host: parse_addr(message.born_host.as_str()),
                    body: message.body.as_slice(),
                    properties: message.properties.as_str(),
                    reconsume_times: message.reconsume_times,
                    prepared_transaction_offset: message.prepared_transaction_offset,
                    wait_store: message.wait_store,
                });
                put_result(defer_flush(store, result))
            },
        )
    }

    fn put_messages(&self, batch: &FfiBatch<'_>) -> FfiPutResult {
        let Some(store) = self.store() else {
            return put_failed(FfiPutStatus::ServiceNotAvailable);
        };
        guarded(
            "put_messages",
            put_failed(FfiPutStatus::UnknownError),
            || {
                put_result(defer_flush(
                    store,
                    store.put_messages_deferred(&BatchToStore {
                        topic: batch.topic.as_str(),
                        queue_id: batch.queue_id,
                        sys_flag: batch.sys_flag,
                        born_timestamp: batch.born_timestamp,
                        born_host: parse_addr(batch.born_host.as_str()),
                        entries: batch
                            .entries
                            .iter()
                            .map(|e| (e.flag, e.body.as_slice(), e.properties.as_str()))
                            .collect(),
                        reconsume_times: batch.reconsume_times,
                        wait_store: batch.wait_store,
                    }),
                ))
            },
        )
    }

    fn get_messages(&self, request: &FfiGetRequest<'_>) -> FfiGetResult {
        let Some(store) = self.store() else {
            return no_queue();
        };
        guarded("get_messages", no_queue(), || {
            let filter = if request.all_tags {
                MessageFilter::All
            } else {
                MessageFilter::from_tags(request.tags.iter().map(|t| t.as_str()))
            };
            get_result(store.get_message(
                request.group.as_str(),
                request.topic.as_str(),
                request.queue_id,
                request.offset,
                request.max_msg_nums,
                request.max_total_bytes,
                &filter,
            ))
        })
    }

    fn max_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64 {
        let Some(store) = self.store() else { return 0 };
        guarded("max_offset", 0, || {
            store.max_offset_in_queue(topic.as_str(), queue_id)
        })
    }

    fn min_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64 {
        let Some(store) = self.store() else { return 0 };
        guarded("min_offset", 0, || {
            store.min_offset_in_queue(topic.as_str(), queue_id)
        })
    }

    fn offset_by_time(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        timestamp: i64,
        boundary: FfiBoundaryType,
    ) -> i64 {
        let Some(store) = self.store() else { return 0 };
        let boundary = match boundary {
            FfiBoundaryType::Lower => BoundaryType::Lower,
            FfiBoundaryType::Upper => BoundaryType::Upper,
        };
        guarded("offset_by_time", 0, || {
            store.offset_in_queue_by_time_bounded(topic.as_str(), queue_id, timestamp, boundary)
        })
    }

    fn check_in_mem_by_consume_offset(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        consume_offset: i64,
    ) -> bool {
        let Some(store) = self.store() else {
            return false;
        };
        guarded("check_in_mem_by_consume_offset", false, || {
            store.check_in_mem_by_consume_offset(topic.as_str(), queue_id, consume_offset)
        })
    }

    fn message_store_time(&self, topic: RStr<'_>, queue_id: i32, offset: i64) -> i64 {
        let Some(store) = self.store() else { return -1 };
        guarded("message_store_time", -1, || {
            store
                .message_store_time(topic.as_str(), queue_id, offset)
                .unwrap_or(-1)
        })
    }

    fn message_by_offset(&self, commit_log_offset: i64) -> ROption<RVec<u8>> {
        let Some(store) = self.store() else {
            return ROption::RNone;
        };
        guarded("message_by_offset", ROption::RNone, || {
            store
                .look_message_by_offset(commit_log_offset)
                .map(RVec::from)
                .into()
        })
    }

    fn query_by_key(
        &self,
        topic: RStr<'_>,
        key: RStr<'_>,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> FfiQueryResult {
        let empty = FfiQueryResult {
            body: RVec::new(),
            message_count: 0,
            index_last_update_timestamp: 0,
            index_last_update_phyoffset: 0,
        };
        let Some(store) = self.store() else {
            return empty;
        };
        guarded("query_by_key", empty.clone(), || {
            let result = store.query_message(topic.as_str(), key.as_str(), max_num, begin, end);
            FfiQueryResult {
                message_count: result.message_count,
                index_last_update_timestamp: result.index_last_update_timestamp,
                index_last_update_phyoffset: result.index_last_update_phyoffset,
                body: RVec::from(result.body),
            }
        })
    }

    fn query_consumer_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64 {
        guarded("query_consumer_offset", -1, || {
            self.inner.metadata.consumer_offsets().query_offset(
                group.as_str(),
                topic.as_str(),
                queue_id,
            )
        })
    }

    fn commit_consumer_offset(
        &self,
        client_host: RStr<'_>,
        group: RStr<'_>,
        topic: RStr<'_>,
        queue_id: i32,
        offset: i64,
    ) {
        guarded("commit_consumer_offset", (), || {
            self.inner.metadata.consumer_offsets().commit_offset(
                client_host.as_str(),
                group.as_str(),
                topic.as_str(),
                queue_id,
                offset,
            )
        })
    }

    fn commit_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32, offset: i64) {
        guarded("commit_pull_offset", (), || {
            self.inner.metadata.consumer_offsets().commit_pull_offset(
                group.as_str(),
                topic.as_str(),
                queue_id,
                offset,
            )
        })
    }

    fn register_producer(&self, group: RStr<'_>, channel: &FfiClientChannel<'_>) {
        guarded("register_producer", (), || {
            self.inner
                .clients
                .register_producer(group.as_str(), channel_from_ffi(channel))
        })
    }

    fn register_consumer(
        &self,
        registration: &FfiConsumerRegistration,
        channel: &FfiClientChannel<'_>,
    ) -> bool {
        guarded("register_consumer", false, || {
            let group_notify = self
                .inner
                .metadata
                .subscription_groups()
                .get(registration.group.as_str())
                .is_none_or(|g| g.notify_consumer_ids_changed_enable);
            self.inner.clients.register_consumer(
                registration.group.as_str(),
                channel_from_ffi(channel),
                registration.consume_type.as_str(),
                registration.message_model.as_str(),
                registration.consume_from_where.as_str(),
                registration
                    .subscriptions
                    .iter()
                    .map(subscription_from_ffi)
                    .collect(),
                registration.keep_subscriptions,
                group_notify,
            )
        })
    }

    fn unregister_client(
        &self,
        _client_id: RStr<'_>,
        connection_id: u64,
        producer_group: RStr<'_>,
        consumer_group: RStr<'_>,
    ) {
        guarded("unregister_client", (), || {
            self.inner.clients.unregister(
                connection_id,
                producer_group.as_str(),
                consumer_group.as_str(),
            )
        })
    }

    fn swap_heartbeat_fingerprint(&self, group: RStr<'_>, fingerprint: i64) -> ROption<i64> {
        guarded("swap_heartbeat_fingerprint", ROption::RNone, || {
            self.inner
                .clients
                .swap_heartbeat_fingerprint(group.as_str(), fingerprint)
                .into()
        })
    }

    fn consumer_group(&self, group: RStr<'_>) -> ROption<FfiConsumerGroupInfo> {
        guarded("consumer_group", ROption::RNone, || {
            self.inner
                .clients
                .consumer_group(group.as_str())
                .map(|g| FfiConsumerGroupInfo {
                    group: g.group.as_str().into(),
                    consume_type: g.consume_type.as_str().into(),
                    message_model: g.message_model.as_str().into(),
                    consume_from_where: g.consume_from_where.as_str().into(),
                    subscriptions: g.subscriptions.iter().map(subscription_to_ffi).collect(),
                    client_ids: g
                        .client_ids
                        .iter()
                        .map(|c| RString::from(c.as_str()))
                        .collect(),
                })
                .into()
        })
    }

    fn lock_queues(
        &self,
        group: RStr<'_>,
        client_id: RStr<'_>,
        queues: RVec<FfiMessageQueue>,
    ) -> RVec<FfiMessageQueue> {
        guarded("lock_queues", RVec::new(), || {
            self.inner
                .locks
                .try_lock_batch(group.as_str(), client_id.as_str(), queue_keys(&queues))
                .into_iter()
                .map(|(topic, broker_name, queue_id)| FfiMessageQueue {
                    topic: topic.into(),
                    broker_name: broker_name.into(),
                    queue_id,
                })
                .collect()
        })
    }

    fn unlock_queues(&self, group: RStr<'_>, client_id: RStr<'_>, queues: RVec<FfiMessageQueue>) {
        guarded("unlock_queues", (), || {
            self.inner
                .locks
                .unlock_batch(group.as_str(), client_id.as_str(), &queue_keys(&queues))
        })
    }

    fn group_has_live_lock(&self, group: RStr<'_>) -> bool {
        guarded("group_has_live_lock", false, || {
            self.inner.locks.has_live_lock(group.as_str())
        })
    }

    fn is_system_topic(&self, topic: RStr<'_>) -> bool {
        guarded("is_system_topic", false, || {
            self.inner.metadata.topics().is_system_topic(topic.as_str())
        })
    }

    fn update_topic_config(
        &self,
        config: &FfiTopicConfig,
        attributes: RVec<FfiOwnedField>,
    ) -> RResult<(), RString> {
        guarded(
            "update_topic_config",
            RResult::RErr("the host failed to update the topic".into()),
            || {
                let topics = self.inner.metadata.topics();
                let mut topic = topic_from_ffi(config);
                topic.attributes = if attributes.is_empty() {
                    // Java's alterCurrentAttributes keeps the current
                    // attributes when the request modifies none.
                    topics
                        .get(&topic.topic_name)
                        .map(|current| current.attributes)
                        .unwrap_or_default()
                } else {
                    attributes
                        .iter()
                        .map(|f| (f.key.to_string(), f.value.to_string()))
                        .collect()
                };
                topics
                    .update_topic_config(topic)
                    .map_err(|e| RString::from(e.to_string()))
                    .into()
            },
        )
    }

    fn delete_topic(&self, topic: RStr<'_>) -> bool {
        guarded("delete_topic", false, || {
            let metadata = &self.inner.metadata;
            let existed = metadata.topics().delete_topic(topic.as_str()).is_some();
            metadata
                .consumer_offsets()
                .clean_offset_by_topic(topic.as_str());
            if let Some(store) = self.store() {
                store.delete_topic(topic.as_str());
            }
            existed
        })
    }

    fn update_subscription_group(&self, config_json: RSlice<'_, u8>) -> RResult<(), RString> {
        guarded(
            "update_subscription_group",
            RResult::RErr("the host failed to update the subscription group".into()),
            || update_subscription_group(&self.inner.metadata, config_json.as_slice()).into(),
        )
    }

    fn metadata_json(&self, table: FfiMetadataTable) -> RString {
        guarded("metadata_json", RString::new(), || {
            let metadata = &self.inner.metadata;
            match table {
                FfiMetadataTable::TopicConfigWrapper => {
                    let (topics, version) = metadata.topics().snapshot();
                    crate::namesrv::registration::topic_config_wrapper(topics, version, None)
                        .to_compact()
                }
                FfiMetadataTable::SubscriptionGroupWrapper => {
                    metadata.subscription_groups().encode(false)
                }
                FfiMetadataTable::ConsumerOffsets => metadata.consumer_offsets().encode(false),
            }
            .into()
        })
    }

    fn consumer_offset_topics(&self, group: RStr<'_>) -> RVec<RString> {
        guarded("consumer_offset_topics", RVec::new(), || {
            self.inner
                .metadata
                .consumer_offsets()
                .topics_by_group(group.as_str())
                .into_iter()
                .map(RString::from)
                .collect()
        })
    }

    fn query_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64 {
        guarded("query_pull_offset", -1, || {
            self.inner.metadata.consumer_offsets().query_pull_offset(
                group.as_str(),
                topic.as_str(),
                queue_id,
            )
        })
    }

    fn consumer_connections(&self, group: RStr<'_>) -> RVec<FfiConnection> {
        guarded("consumer_connections", RVec::new(), || {
            let mut channels = self.inner.clients.consumer_channels(group.as_str());
            channels.sort_by(|a, b| a.client_id.cmp(&b.client_id));
            channels
                .into_iter()
                .map(|c| FfiConnection {
                    client_id: c.client_id.into(),
                    client_addr: c.remote_addr.into(),
                    language: c.language,
                    version: c.version,
                })
                .collect()
        })
    }

    fn runtime_info(&self) -> RVec<FfiOwnedField> {
        guarded("runtime_info", RVec::new(), || {
            runtime_info(
                self.boot_timestamp,
                &self.inner.config,
                &self.inner.metadata,
                self.store(),
            )
            .into_iter()
            .map(|(key, value)| FfiOwnedField {
                key: key.into(),
                value: value.into(),
            })
            .collect()
        })
    }
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on the host: the body is read
/// leniently (fastjson-written JSON), the group name taken as it is (Java
/// 5.3.3's `updateSubscriptionGroupConfig` checks none), and a request
/// without attributes keeps the group's current ones (Java's
/// `alterCurrentAttributes`).
fn update_subscription_group(metadata: &MetadataStore, body: &[u8]) -> Result<(), RString> {
    let text = std::str::from_utf8(body).map_err(|e| {
        RString::from(format!(
            "the SubscriptionGroupConfig body is not UTF-8: {e}"
        ))
    })?;
    let value = crate::metadata::json::parse(text)
        .map_err(|e| RString::from(format!("the SubscriptionGroupConfig body is not JSON: {e}")))?;
    let mut config: SubscriptionGroupConfig = serde_json::from_value(value)
        .map_err(|e| RString::from(format!("the body is not a SubscriptionGroupConfig: {e}")))?;
    let groups = metadata.subscription_groups();
    if config.attributes.is_empty() {
        if let Some(current) = groups.get(&config.group_name) {
            config.attributes = current.attributes;
        }
    }
    groups
        .update(config)
        .map_err(|e| RString::from(e.to_string()))
}

/// `MixAll.humanReadableByteCount(bytes, false)`.
fn human_readable_bytes(bytes: i64) -> String {
    const UNIT: f64 = 1024.0;
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let exp = ((bytes as f64).ln() / UNIT.ln()) as i32;
    let prefix = "KMGTPE".chars().nth((exp - 1) as usize).unwrap_or('E');
    format!("{:.1} {prefix}iB", bytes as f64 / UNIT.powi(exp))
}

/// Java's `File.getTotalSpace`, `getFreeSpace` and `getUsableSpace`.
struct DiskSpace {
    total: u64,
    free: u64,
    usable: u64,
}

/// Total, free and usable bytes of the file system holding `path`.
fn disk_space(path: &std::path::Path) -> Option<DiskSpace> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` a valid
    // out-pointer for the duration of the call.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return None;
    }
    let block = stat.f_frsize as u64;
    Some(DiskSpace {
        total: stat.f_blocks as u64 * block,
        free: stat.f_bfree as u64 * block,
        usable: stat.f_bavail as u64 * block,
    })
}

/// The host's part of GET_BROKER_RUNTIME_INFO: Java's
/// `messageStore.getRuntimeInfo()` (`StoreStatsService` counters and TPS,
/// disk ratios, commit-log offsets), `ScheduleMessageService.buildRunningStats`,
/// the `BrokerStats` daily totals and the store and pool figures of
/// `prepareRuntimeInfo`. Figures this broker does not have read as an idle
/// Java broker's: no page-cache lock wait, no transient store pool, empty
/// pool queues (this broker's pools are not Java's executors).
fn runtime_info(
    boot_timestamp: i64,
    config: &BrokerConfig,
    metadata: &MetadataStore,
    store: Option<&Arc<DefaultMessageStore>>,
) -> Vec<(String, String)> {
    let now = crate::metadata::data_version::now_millis();
    let up = ((now - boot_timestamp).max(0) / 1000) as u64;
    let mut info = vec![
        ("bootTimestamp".to_owned(), boot_timestamp.to_string()),
        (
            "runtime".to_owned(),
            format!(
                "[ {} days, {} hours, {} minutes, {} seconds ]",
                up / 86_400,
                up % 86_400 / 3600,
                up % 3600 / 60,
                up % 60
            ),
        ),
    ];
    if let Some(store) = store {
        info.extend(store.stats_runtime_info());
        info.push((
            "earliestMessageTimeStamp".to_owned(),
            store.earliest_message_time_overall().to_string(),
        ));
        // `buildRunningStats`: "delayOffset,maxOffset" per level in the table.
        for (level, offset) in metadata.delay_offsets().offset_table() {
            let max = store.max_offset_in_queue(plugin_api::topics::SCHEDULE_TOPIC, level - 1);
            info.push((
                format!("scheduleMessageOffset_{level}"),
                format!("{offset},{max}"),
            ));
        }
        let (min, max, flushed) = (
            store.min_phy_offset(),
            store.max_phy_offset(),
            store.flushed_phy_offset(),
        );
        info.push(("commitLogMinOffset".to_owned(), min.to_string()));
        info.push(("commitLogMaxOffset".to_owned(), max.to_string()));
        info.push((
            "dispatchBehindBytes".to_owned(),
            store.dispatch_behind_bytes().to_string(),
        ));
        info.push((
            "remainHowManyDataToFlush".to_owned(),
            human_readable_bytes((max - flushed).max(0)),
        ));
    }
    let root = config.store_root_dir();
    if let Some(space) = disk_space(&root) {
        info.push((
            "commitLogDirCapacity".to_owned(),
            format!(
                "Total : {}, Free : {}.",
                human_readable_bytes(space.total as i64),
                human_readable_bytes(space.free as i64)
            ),
        ));
    }
    // `DefaultMessageStore.getRuntimeInfo`: per commit-log path and the
    // smallest; the consume queues' partition.
    let commit_log = config.store_path_commit_log();
    let commit_log = commit_log.to_string_lossy();
    let mut min_ratio = f64::MAX;
    for path in commit_log.trim().split(',') {
        let ratio = disk_used_ratio(std::path::Path::new(path));
        info.push((format!("commitLogDiskRatio_{path}"), java_double(ratio)));
        min_ratio = min_ratio.min(ratio);
    }
    info.push(("commitLogDiskRatio".to_owned(), java_double(min_ratio)));
    info.push((
        "consumeQueueDiskRatio".to_owned(),
        java_double(disk_used_ratio(&root.join("consumequeue"))),
    ));
    info.push(("pageCacheLockTimeMills".to_owned(), "0".to_owned()));
    info.push((
        "remainTransientStoreBufferNumbs".to_owned(),
        i32::MAX.to_string(),
    ));
    for (pool, capacity) in [
        ("send", config.send_thread_pool_queue_capacity),
        ("pull", config.pull_thread_pool_queue_capacity),
        ("litePull", config.lite_pull_thread_pool_queue_capacity),
        ("query", config.query_thread_pool_queue_capacity),
        ("ack", config.ack_thread_pool_queue_capacity),
    ] {
        info.push((format!("{pool}ThreadPoolQueueSize"), "0".to_owned()));
        info.push((
            format!("{pool}ThreadPoolQueueCapacity"),
            capacity.to_string(),
        ));
        info.push((
            format!("{pool}ThreadPoolQueueHeadWaitTimeMills"),
            "0".to_owned(),
        ));
    }
    info.push(("EndTransactionQueueSize".to_owned(), "0".to_owned()));
    info.push((
        "EndTransactionThreadPoolQueueCapacity".to_owned(),
        config.end_transaction_pool_queue_capacity.to_string(),
    ));
    info
}

/// `UtilAll.getDiskPartitionSpaceUsedPercent`: used / (used + usable),
/// rounded up to a hundredth; -1 for a missing path.
fn disk_used_ratio(path: &std::path::Path) -> f64 {
    if !path.exists() {
        return -1.0;
    }
    let Some(space) = disk_space(path) else {
        return -1.0;
    };
    if space.total == 0 {
        return -1.0;
    }
    let used = space.total - space.free;
    let entire = used + space.usable;
    if entire == 0 {
        return -1.0;
    }
    let round = u64::from((used * 100) % entire != 0);
    ((used * 100) / entire + round) as f64 / 100.0
}

#[cfg(test)]
mod admin_tests {
    use super::human_readable_bytes;

    #[test]
    fn byte_counts_read_like_java() {
        assert_eq!(human_readable_bytes(0), "0 B");
        assert_eq!(human_readable_bytes(1023), "1023 B");
        assert_eq!(human_readable_bytes(1536), "1.5 KiB");
        assert_eq!(human_readable_bytes(1 << 30), "1.0 GiB");
    }
}
