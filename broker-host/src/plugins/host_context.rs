//! The host services a plugin reaches through its context object.
//!
//! State lives here, in the host, never only in a plugin: a hot-swapped
//! processor finds the same topics, store, offsets, clients and locks.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, ROption, RStr, RString, RVec};
use plugin_api::ffi::{
    FfiBatch, FfiBrokerIdentity, FfiClientChannel, FfiConsumerGroupInfo, FfiConsumerRegistration,
    FfiGetRequest, FfiGetResult, FfiGetStatus, FfiHostContext, FfiHostContext_TO, FfiLogLevel,
    FfiMessage, FfiMessageQueue, FfiPutResult, FfiPutStatus, FfiQueryResult, FfiSubscription,
    FfiSubscriptionGroup, FfiTopicConfig, HostContextBox,
};

use crate::clients::{ClientChannel, ClientRegistry, RebalanceLockManager, Subscription};
use crate::config::BrokerConfig;
use crate::metadata::{MetadataStore, SubscriptionGroupConfig, TopicConfig, TopicFilterType};
use crate::store::{
    BatchToStore, DefaultMessageStore, GetMessageResult, GetMessageStatus, MessageFilter,
    MessageToStore, PutMessageResult, PutMessageStatus,
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
}

impl HostServices {
    /// Services over these parts.
    pub fn new(parts: HostParts) -> Self {
        HostServices {
            inner: Arc::new(parts),
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
                .get(topic.as_str())
                .map(|config| config.to_ffi())
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

    fn put_message(&self, message: &FfiMessage<'_>) -> FfiPutResult {
        let Some(store) = self.store() else {
            return put_failed(FfiPutStatus::ServiceNotAvailable);
        };
        guarded(
            "put_message",
            put_failed(FfiPutStatus::UnknownError),
            || {
                put_result(store.put_message(&MessageToStore {
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
                }))
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
                put_result(
                    store.put_messages(&BatchToStore {
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
                        wait_store: batch.wait_store,
                    }),
                )
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

    fn offset_by_time(&self, topic: RStr<'_>, queue_id: i32, timestamp: i64) -> i64 {
        let Some(store) = self.store() else { return 0 };
        guarded("offset_by_time", 0, || {
            store.offset_in_queue_by_time(topic.as_str(), queue_id, timestamp)
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
}
