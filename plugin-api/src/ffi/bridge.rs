//! The two sides of the host context, written once:
//!
//! - [`host_context`]: the host wraps its plain-Rust
//!   [`HostServices`](crate::sdk::HostServices) into the stable-ABI object a
//!   plugin receives (every call guarded against host panics);
//! - [`PluginSideHost`]: inside the plugin, that object seen again as
//!   [`HostServices`], which is what [`crate::sdk::Host`] is built over.
//!
//! Neither the host's capability implementations nor a plugin's source see
//! an abi_stable type.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, ROption, RResult, RSlice, RStr, RString, RVec};

use super::*;
use crate::sdk::{
    abi_minor, missing_capability, BatchEntry, BatchToPut, BoundaryType, BrokerAdmin, BrokerConfig,
    BrokerConfigText, BrokerIdentity, ClientCalls, ClientChannel, ClientRequest, ClientResponse,
    ClientsAndLocks, Connection, ConsumerGroupInfo, ConsumerOffsets, ConsumerRegistration,
    FlushTicket, GetRequest, GetResult, GetStatus, HostError, HostServices, LiveChannel, Log,
    LogLevel, MessageQueue, MessageStore, MessageToPut, MetadataTable, Operations, PutResult,
    PutStatus, QueryResult, StatsItemData, StatsWindow, Subscription, SubscriptionGroup,
    TopicConfig, TopicsAndGroups,
};

// ---- host side ---------------------------------------------------------------

/// The stable-ABI context handed to a plugin, over the host's services.
pub fn host_context(services: Arc<dyn HostServices>) -> HostContextBox {
    FfiHostContext_TO::from_ptr(RArc::new(HostSide(services)), TD_Opaque)
}

#[derive(Clone)]
struct HostSide(Arc<dyn HostServices>);

impl HostSide {
    /// Runs host code called by a plugin; a host bug must not unwind into
    /// the plugin (that aborts the process), so a panic yields `fallback`.
    fn guarded<T>(&self, what: &str, fallback: impl FnOnce() -> T, f: impl FnOnce() -> T) -> T {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => value,
            Err(_) => {
                let _ = catch_unwind(AssertUnwindSafe(|| {
                    self.0.log(
                        LogLevel::Error,
                        "host",
                        &format!("host service {what} panicked; answering a default"),
                    )
                }));
                fallback()
            }
        }
    }
}

impl FfiHostContext for HostSide {
    fn abi_version(&self) -> RString {
        self.guarded(
            "abi_version",
            || ABI_VERSION.into(),
            || self.0.abi_version().into(),
        )
    }

    fn log(&self, level: FfiLogLevel, plugin: RStr<'_>, message: RStr<'_>) {
        self.guarded(
            "log",
            || (),
            || self.0.log(level.into(), plugin.as_str(), message.as_str()),
        )
    }

    fn broker_identity(&self) -> FfiBrokerIdentity {
        self.guarded(
            "broker_identity",
            || BrokerIdentity::default().into(),
            || self.0.identity().into(),
        )
    }

    fn config_value(&self, key: RStr<'_>) -> ROption<RString> {
        self.guarded(
            "config_value",
            || ROption::RNone,
            || self.0.value(key.as_str()).map(RString::from).into(),
        )
    }

    fn topic_config(&self, topic: RStr<'_>) -> ROption<FfiTopicConfig> {
        self.guarded(
            "topic_config",
            || ROption::RNone,
            || {
                self.0
                    .topic(topic.as_str())
                    .map(FfiTopicConfig::from)
                    .into()
            },
        )
    }

    fn all_topic_configs(&self) -> RVec<FfiTopicConfig> {
        self.guarded("all_topic_configs", RVec::new, || {
            self.0.all_topics().into_iter().map(Into::into).collect()
        })
    }

    fn create_topic_in_send(
        &self,
        topic: RStr<'_>,
        default_topic: RStr<'_>,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> ROption<FfiTopicConfig> {
        self.guarded(
            "create_topic_in_send",
            || ROption::RNone,
            || {
                self.0
                    .create_topic_in_send(
                        topic.as_str(),
                        default_topic.as_str(),
                        queue_nums,
                        topic_sys_flag,
                    )
                    .map(FfiTopicConfig::from)
                    .into()
            },
        )
    }

    fn create_topic_if_absent(&self, config: &FfiTopicConfig) -> FfiTopicConfig {
        let wanted = TopicConfig::from(config);
        self.guarded(
            "create_topic_if_absent",
            || config.clone(),
            || self.0.create_topic_if_absent(&wanted).into(),
        )
    }

    fn subscription_group(
        &self,
        group: RStr<'_>,
        auto_create: bool,
    ) -> ROption<FfiSubscriptionGroup> {
        self.guarded(
            "subscription_group",
            || ROption::RNone,
            || {
                self.0
                    .subscription_group(group.as_str(), auto_create)
                    .map(FfiSubscriptionGroup::from)
                    .into()
            },
        )
    }

    fn subscription_group_forbidden(&self, group: RStr<'_>, topic: RStr<'_>) -> i32 {
        self.guarded(
            "subscription_group_forbidden",
            || 0,
            || self.0.forbidden(group.as_str(), topic.as_str()),
        )
    }

    fn put_message(&self, message: &FfiMessage<'_>) -> FfiPutResult {
        self.guarded(
            "put_message",
            || PutResult::failed(PutStatus::UnknownError).into(),
            || {
                let message = MessageToPut {
                    topic: message.topic.as_str(),
                    queue_id: message.queue_id,
                    flag: message.flag,
                    sys_flag: message.sys_flag,
                    born_timestamp: message.born_timestamp,
                    born_host: message.born_host.as_str(),
                    body: message.body.as_slice(),
                    properties: message.properties.as_str(),
                    reconsume_times: message.reconsume_times,
                    prepared_transaction_offset: message.prepared_transaction_offset,
                    wait_store: message.wait_store,
                };
                self.0.put_message(&message).into()
            },
        )
    }

    fn put_messages(&self, batch: &FfiBatch<'_>) -> FfiPutResult {
        self.guarded(
            "put_messages",
            || PutResult::failed(PutStatus::UnknownError).into(),
            || {
                let entries: Vec<BatchEntry<'_>> = batch
                    .entries
                    .as_slice()
                    .iter()
                    .map(|entry| BatchEntry {
                        flag: entry.flag,
                        body: entry.body.as_slice(),
                        properties: entry.properties.as_str(),
                    })
                    .collect();
                let batch = BatchToPut {
                    topic: batch.topic.as_str(),
                    queue_id: batch.queue_id,
                    sys_flag: batch.sys_flag,
                    born_timestamp: batch.born_timestamp,
                    born_host: batch.born_host.as_str(),
                    entries: &entries,
                    reconsume_times: batch.reconsume_times,
                    wait_store: batch.wait_store,
                };
                self.0.put_batch(&batch).into()
            },
        )
    }

    fn get_messages(&self, request: &FfiGetRequest<'_>) -> FfiGetResult {
        self.guarded(
            "get_messages",
            || GetResult::no_queue().into(),
            || {
                let tags: Vec<&str> = request.tags.iter().map(|tag| tag.as_str()).collect();
                let request = GetRequest {
                    group: request.group.as_str(),
                    topic: request.topic.as_str(),
                    queue_id: request.queue_id,
                    offset: request.offset,
                    max_msg_nums: request.max_msg_nums,
                    max_total_bytes: request.max_total_bytes,
                    all_tags: request.all_tags,
                    tags: &tags,
                };
                self.0.get_messages(&request).into()
            },
        )
    }

    fn max_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64 {
        self.guarded(
            "max_offset",
            || 0,
            || self.0.max_offset(topic.as_str(), queue_id),
        )
    }

    fn min_offset(&self, topic: RStr<'_>, queue_id: i32) -> i64 {
        self.guarded(
            "min_offset",
            || 0,
            || self.0.min_offset(topic.as_str(), queue_id),
        )
    }

    fn offset_by_time(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        timestamp: i64,
        boundary: FfiBoundaryType,
    ) -> i64 {
        let boundary = match boundary {
            FfiBoundaryType::Lower => BoundaryType::Lower,
            FfiBoundaryType::Upper => BoundaryType::Upper,
        };
        self.guarded(
            "offset_by_time",
            || 0,
            || {
                self.0
                    .offset_by_time(topic.as_str(), queue_id, timestamp, boundary)
            },
        )
    }

    fn check_in_mem_by_consume_offset(
        &self,
        topic: RStr<'_>,
        queue_id: i32,
        consume_offset: i64,
    ) -> bool {
        self.guarded(
            "check_in_mem_by_consume_offset",
            || false,
            || {
                self.0
                    .is_in_memory(topic.as_str(), queue_id, consume_offset)
            },
        )
    }

    fn message_store_time(&self, topic: RStr<'_>, queue_id: i32, offset: i64) -> i64 {
        self.guarded(
            "message_store_time",
            || -1,
            || {
                self.0
                    .message_store_time(topic.as_str(), queue_id, offset)
                    .unwrap_or(-1)
            },
        )
    }

    fn message_by_offset(&self, commit_log_offset: i64) -> ROption<RVec<u8>> {
        self.guarded(
            "message_by_offset",
            || ROption::RNone,
            || {
                self.0
                    .message_by_offset(commit_log_offset)
                    .map(RVec::from)
                    .into()
            },
        )
    }

    fn query_by_key(
        &self,
        topic: RStr<'_>,
        key: RStr<'_>,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> FfiQueryResult {
        self.guarded(
            "query_by_key",
            || QueryResult::default().into(),
            || {
                self.0
                    .query_by_key(topic.as_str(), key.as_str(), max_num, begin, end)
                    .into()
            },
        )
    }

    fn query_consumer_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64 {
        self.guarded(
            "query_consumer_offset",
            || -1,
            || {
                self.0
                    .query(group.as_str(), topic.as_str(), queue_id)
                    .unwrap_or(-1)
            },
        )
    }

    fn commit_consumer_offset(
        &self,
        client_host: RStr<'_>,
        group: RStr<'_>,
        topic: RStr<'_>,
        queue_id: i32,
        offset: i64,
    ) {
        self.guarded(
            "commit_consumer_offset",
            || (),
            || {
                self.0.commit(
                    client_host.as_str(),
                    group.as_str(),
                    topic.as_str(),
                    queue_id,
                    offset,
                )
            },
        )
    }

    fn commit_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32, offset: i64) {
        self.guarded(
            "commit_pull_offset",
            || (),
            || {
                self.0
                    .commit_pull_offset(group.as_str(), topic.as_str(), queue_id, offset)
            },
        )
    }

    fn register_producer(&self, group: RStr<'_>, channel: &FfiClientChannel<'_>) {
        self.guarded(
            "register_producer",
            || (),
            || {
                self.0
                    .register_producer(group.as_str(), &channel_from_ffi(channel))
            },
        )
    }

    fn register_consumer(
        &self,
        registration: &FfiConsumerRegistration,
        channel: &FfiClientChannel<'_>,
    ) -> bool {
        self.guarded(
            "register_consumer",
            || false,
            || {
                let registration = ConsumerRegistration {
                    group: registration.group.to_string(),
                    consume_type: registration.consume_type.to_string(),
                    message_model: registration.message_model.to_string(),
                    consume_from_where: registration.consume_from_where.to_string(),
                    subscriptions: registration
                        .subscriptions
                        .iter()
                        .map(Subscription::from)
                        .collect(),
                    keep_subscriptions: registration.keep_subscriptions,
                };
                self.0
                    .register_consumer(&registration, &channel_from_ffi(channel))
            },
        )
    }

    fn unregister_client(
        &self,
        client_id: RStr<'_>,
        connection_id: u64,
        producer_group: RStr<'_>,
        consumer_group: RStr<'_>,
    ) {
        self.guarded(
            "unregister_client",
            || (),
            || {
                self.0.unregister_client(
                    client_id.as_str(),
                    connection_id,
                    producer_group.as_str(),
                    consumer_group.as_str(),
                )
            },
        )
    }

    fn consumer_group(&self, group: RStr<'_>) -> ROption<FfiConsumerGroupInfo> {
        self.guarded(
            "consumer_group",
            || ROption::RNone,
            || {
                self.0
                    .consumer_group(group.as_str())
                    .map(FfiConsumerGroupInfo::from)
                    .into()
            },
        )
    }

    fn swap_heartbeat_fingerprint(&self, group: RStr<'_>, fingerprint: i64) -> ROption<i64> {
        self.guarded(
            "swap_heartbeat_fingerprint",
            || ROption::RNone,
            || {
                self.0
                    .swap_heartbeat_fingerprint(group.as_str(), fingerprint)
                    .into()
            },
        )
    }

    fn lock_queues(
        &self,
        group: RStr<'_>,
        client_id: RStr<'_>,
        queues: RVec<FfiMessageQueue>,
    ) -> RVec<FfiMessageQueue> {
        let queues: Vec<MessageQueue> = queues.iter().map(MessageQueue::from).collect();
        self.guarded("lock_queues", RVec::new, || {
            self.0
                .lock_queues(group.as_str(), client_id.as_str(), &queues)
                .into_iter()
                .map(FfiMessageQueue::from)
                .collect()
        })
    }

    fn unlock_queues(&self, group: RStr<'_>, client_id: RStr<'_>, queues: RVec<FfiMessageQueue>) {
        let queues: Vec<MessageQueue> = queues.iter().map(MessageQueue::from).collect();
        self.guarded(
            "unlock_queues",
            || (),
            || {
                self.0
                    .unlock_queues(group.as_str(), client_id.as_str(), &queues)
            },
        )
    }

    fn group_has_live_lock(&self, group: RStr<'_>) -> bool {
        self.guarded(
            "group_has_live_lock",
            || false,
            || self.0.group_has_live_lock(group.as_str()),
        )
    }

    fn is_system_topic(&self, topic: RStr<'_>) -> bool {
        self.guarded(
            "is_system_topic",
            || false,
            || self.0.is_system_topic(topic.as_str()),
        )
    }

    fn update_topic_config(
        &self,
        config: &FfiTopicConfig,
        attributes: RVec<FfiOwnedField>,
    ) -> RResult<(), RString> {
        let config = TopicConfig::from(config);
        let attributes: Vec<(String, String)> = attributes
            .into_iter()
            .map(|field| (field.key.into_string(), field.value.into_string()))
            .collect();
        self.guarded(
            "update_topic_config",
            || RResult::RErr("host error while updating the topic".into()),
            || host_result(self.0.update_topic(&config, &attributes)),
        )
    }

    fn delete_topic(&self, topic: RStr<'_>) -> bool {
        self.guarded(
            "delete_topic",
            || false,
            || self.0.delete_topic(topic.as_str()),
        )
    }

    fn update_subscription_group(&self, config_json: RSlice<'_, u8>) -> RResult<(), RString> {
        self.guarded(
            "update_subscription_group",
            || RResult::RErr("host error while updating the group".into()),
            || host_result(self.0.update_subscription_group(config_json.as_slice())),
        )
    }

    fn metadata_json(&self, table: FfiMetadataTable) -> RString {
        let table = match table {
            FfiMetadataTable::TopicConfigWrapper => MetadataTable::TopicConfigWrapper,
            FfiMetadataTable::SubscriptionGroupWrapper => MetadataTable::SubscriptionGroupWrapper,
            FfiMetadataTable::ConsumerOffsets => MetadataTable::ConsumerOffsets,
        };
        self.guarded("metadata_json", RString::new, || {
            self.0.metadata_json(table).into()
        })
    }

    fn consumer_offset_topics(&self, group: RStr<'_>) -> RVec<RString> {
        self.guarded("consumer_offset_topics", RVec::new, || {
            self.0
                .topics_of_group(group.as_str())
                .into_iter()
                .map(RString::from)
                .collect()
        })
    }

    fn query_pull_offset(&self, group: RStr<'_>, topic: RStr<'_>, queue_id: i32) -> i64 {
        self.guarded(
            "query_pull_offset",
            || -1,
            || {
                self.0
                    .query_pull_offset(group.as_str(), topic.as_str(), queue_id)
                    .unwrap_or(-1)
            },
        )
    }

    fn consumer_connections(&self, group: RStr<'_>) -> RVec<FfiConnection> {
        self.guarded("consumer_connections", RVec::new, || {
            self.0
                .consumer_connections(group.as_str())
                .into_iter()
                .map(FfiConnection::from)
                .collect()
        })
    }

    fn send_oneway_to_client(
        &self,
        connection_id: u64,
        request: &FfiClientRequest,
    ) -> RResult<(), RString> {
        self.guarded(
            "send_oneway_to_client",
            || RResult::RErr("host error while sending to the client".into()),
            || {
                let Some(calls) = self.0.client_calls() else {
                    return RResult::RErr("this host does not send to clients".into());
                };
                host_result(
                    client_request_from_ffi(request)
                        .and_then(|request| calls.send_oneway(connection_id, &request)),
                )
            },
        )
    }

    fn invoke_client(
        &self,
        connection_id: u64,
        request: &FfiClientRequest,
        timeout_millis: u64,
    ) -> RResult<FfiClientResponse, FfiClientCallError> {
        let refused = |message: String| FfiClientCallError {
            failure: FfiClientCallFailure::Refused,
            message: message.into(),
        };
        self.guarded(
            "invoke_client",
            || RResult::RErr(refused("host error while calling the client".into())),
            || {
                let Some(calls) = self.0.client_calls() else {
                    return RResult::RErr(refused("this host does not call clients".into()));
                };
                let result = client_request_from_ffi(request)
                    .and_then(|request| calls.invoke(connection_id, &request, timeout_millis));
                match result {
                    Ok(response) => RResult::ROk(client_response_to_ffi(&response)),
                    Err(HostError::Timeout(message)) => RResult::RErr(FfiClientCallError {
                        failure: FfiClientCallFailure::Timeout,
                        message: message.into(),
                    }),
                    Err(error) => RResult::RErr(refused(error.to_string())),
                }
            },
        )
    }

    fn find_client_connection(&self, client_id: RStr<'_>) -> ROption<u64> {
        self.guarded(
            "find_client_connection",
            || ROption::RNone,
            || {
                self.0
                    .client_calls()
                    .and_then(|calls| calls.find_client_connection(client_id.as_str()).ok())
                    .flatten()
                    .into()
            },
        )
    }

    fn broker_config_text(&self) -> FfiBrokerConfigText {
        self.guarded(
            "broker_config_text",
            || BrokerConfigText::default().into(),
            || match self.0.broker_admin() {
                Some(admin) => admin.config_text().into(),
                None => BrokerConfigText::default().into(),
            },
        )
    }

    fn update_broker_config(&self, entries: RVec<FfiOwnedField>) -> RResult<(), RString> {
        self.guarded(
            "update_broker_config",
            || RResult::RErr("host error while updating the broker config".into()),
            || {
                let Some(admin) = self.0.broker_admin() else {
                    return RResult::RErr("this host does not update its config".into());
                };
                let entries: Vec<(String, String)> = entries
                    .into_iter()
                    .map(|field| (field.key.into_string(), field.value.into_string()))
                    .collect();
                host_result(admin.update_config(&entries))
            },
        )
    }

    fn producer_channels(&self, group: RStr<'_>) -> RVec<FfiLiveChannel> {
        self.guarded("producer_channels", RVec::new, || {
            self.0
                .broker_admin()
                .map(|admin| admin.producer_channels(group.as_str()))
                .unwrap_or_default()
                .into_iter()
                .map(FfiLiveChannel::from)
                .collect()
        })
    }

    // ABI 1.2: broker stats

    fn stats_item(&self, stats_name: RStr<'_>, stats_key: RStr<'_>) -> ROption<FfiStatsItem> {
        self.guarded(
            "stats_item",
            || ROption::RNone,
            || {
                self.0
                    .operations()
                    .and_then(|ops| ops.stats_item(stats_name.as_str(), stats_key.as_str()))
                    .map(stats_item_to_ffi)
                    .into()
            },
        )
    }

    fn topic_consumed_by(&self, topic: RStr<'_>) -> RVec<RString> {
        self.guarded("topic_consumed_by", RVec::new, || {
            self.0
                .operations()
                .map(|ops| ops.topic_consumed_by(topic.as_str()))
                .unwrap_or_default()
                .into_iter()
                .map(RString::from)
                .collect()
        })
    }

    fn consumer_channels(&self, group: RStr<'_>) -> RVec<FfiLiveChannel> {
        self.guarded("consumer_channels", RVec::new, || {
            self.0
                .broker_admin()
                .map(|admin| admin.consumer_channels(group.as_str()))
                .unwrap_or_default()
                .into_iter()
                .map(FfiLiveChannel::from)
                .collect()
        })
    }

    fn delete_subscription_group(&self, group: RStr<'_>, clean_offset: bool) -> bool {
        self.guarded(
            "delete_subscription_group",
            || false,
            || {
                self.0.broker_admin().is_some_and(|admin| {
                    admin.delete_subscription_group(group.as_str(), clean_offset)
                })
            },
        )
    }

    fn assign_reset_offset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32, offset: i64) {
        self.guarded(
            "assign_reset_offset",
            || (),
            || {
                if let Some(admin) = self.0.broker_admin() {
                    admin.assign_reset_offset(topic.as_str(), group.as_str(), queue_id, offset)
                }
            },
        )
    }

    fn take_reset_offset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32) -> i64 {
        self.guarded(
            "take_reset_offset",
            || -1,
            || {
                self.0
                    .broker_admin()
                    .and_then(|admin| {
                        admin.take_reset_offset(topic.as_str(), group.as_str(), queue_id)
                    })
                    .unwrap_or(-1)
            },
        )
    }

    fn has_offset_reset(&self, topic: RStr<'_>, group: RStr<'_>, queue_id: i32) -> bool {
        self.guarded(
            "has_offset_reset",
            || false,
            || {
                self.0.broker_admin().is_some_and(|admin| {
                    admin.has_offset_reset(topic.as_str(), group.as_str(), queue_id)
                })
            },
        )
    }

    fn delay_offsets_json(&self) -> RString {
        self.guarded("delay_offsets_json", RString::new, || {
            self.0
                .operations()
                .map(|ops| ops.delay_offsets_json())
                .unwrap_or_default()
                .into()
        })
    }

    fn clean_expired_consume_queues(&self) -> RResult<u64, RString> {
        self.guarded(
            "clean_expired_consume_queues",
            || RResult::RErr("host error while cleaning consume queues".into()),
            || match self.0.operations() {
                Some(ops) => count_result(ops.clean_expired_consume_queues()),
                None => RResult::RErr("this host does not clean consume queues".into()),
            },
        )
    }

    fn clean_unused_topics(&self) -> RResult<u64, RString> {
        self.guarded(
            "clean_unused_topics",
            || RResult::RErr("host error while cleaning unused topics".into()),
            || match self.0.operations() {
                Some(ops) => count_result(ops.clean_unused_topics()),
                None => RResult::RErr("this host does not clean unused topics".into()),
            },
        )
    }

    fn record_send_back(&self, group: RStr<'_>, topic: RStr<'_>) {
        self.guarded(
            "record_send_back",
            || (),
            || {
                if let Some(ops) = self.0.operations() {
                    ops.record_send_back(group.as_str(), topic.as_str());
                }
            },
        )
    }

    fn runtime_info(&self) -> RVec<FfiOwnedField> {
        self.guarded("runtime_info", RVec::new, || {
            self.0
                .runtime_info()
                .into_iter()
                .map(|(key, value)| FfiOwnedField {
                    key: key.into(),
                    value: value.into(),
                })
                .collect()
        })
    }
}

fn client_request_from_ffi(request: &FfiClientRequest) -> Result<ClientRequest, HostError> {
    let fields = request
        .ext_fields
        .view()
        .map_err(|error| HostError::Refused(format!("bad header fields: {error:?}")))?
        .to_ext_fields();
    Ok(ClientRequest {
        code: request.code,
        remark: opt(request.remark.clone()).map(RString::into_string),
        ext_fields: fields
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        body: request.body.to_vec(),
    })
}

fn fields_to_ffi(fields: &[(String, String)]) -> FfiFields {
    let mut ext = crate::codec::ExtFields::new();
    for (key, value) in fields {
        ext.insert(key, value);
    }
    ext.into()
}

fn client_response_to_ffi(response: &ClientResponse) -> FfiClientResponse {
    FfiClientResponse {
        code: response.code,
        remark: response.remark.as_deref().map(RString::from).into(),
        ext_fields: fields_to_ffi(&response.ext_fields),
        body: RVec::from(response.body.clone()),
    }
}

fn client_response_from_ffi(response: FfiClientResponse) -> Result<ClientResponse, HostError> {
    let fields = response
        .ext_fields
        .view()
        .map_err(|error| HostError::Refused(format!("bad response header fields: {error:?}")))?
        .to_ext_fields();
    Ok(ClientResponse {
        code: response.code,
        remark: opt(response.remark).map(RString::into_string),
        ext_fields: fields
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        body: response.body.into_vec(),
    })
}

fn client_request_to_ffi(request: &ClientRequest) -> FfiClientRequest {
    FfiClientRequest {
        code: request.code,
        remark: request.remark.as_deref().map(RString::from).into(),
        ext_fields: fields_to_ffi(&request.ext_fields),
        body: RVec::from(request.body.clone()),
    }
}

fn count_result(result: Result<usize, HostError>) -> RResult<u64, RString> {
    match result {
        Ok(count) => RResult::ROk(count as u64),
        Err(error) => RResult::RErr(error.to_string().into()),
    }
}

fn window_to_ffi(window: StatsWindow) -> FfiStatsWindow {
    FfiStatsWindow {
        sum: window.sum,
        tps: window.tps,
        avgpt: window.avgpt,
    }
}

fn window_from_ffi(window: FfiStatsWindow) -> StatsWindow {
    StatsWindow {
        sum: window.sum,
        tps: window.tps,
        avgpt: window.avgpt,
    }
}

fn stats_item_to_ffi(item: StatsItemData) -> FfiStatsItem {
    FfiStatsItem {
        minute: window_to_ffi(item.minute),
        hour: window_to_ffi(item.hour),
        day: window_to_ffi(item.day),
    }
}

fn host_result(result: Result<(), HostError>) -> RResult<(), RString> {
    match result {
        Ok(()) => RResult::ROk(()),
        Err(error) => RResult::RErr(error.to_string().into()),
    }
}

fn channel_from_ffi<'a>(channel: &FfiClientChannel<'a>) -> ClientChannel<'a> {
    ClientChannel {
        client_id: channel.client_id.as_str(),
        connection_id: channel.connection_id,
        remote_addr: channel.remote_addr.as_str(),
        language: channel.language,
        version: channel.version,
    }
}

// ---- plugin side -------------------------------------------------------------

/// The host context as [`HostServices`], inside a plugin.
pub struct PluginSideHost(HostContextBox, HostAbi);

/// What the host said of its ABI when the plugin was built.
struct HostAbi {
    version: String,
    minor: u32,
}

impl PluginSideHost {
    /// Wraps the context the host handed to the plugin.
    pub fn new(context: HostContextBox) -> Self {
        let version = context.abi_version().into_string();
        let minor = abi_minor(&version);
        PluginSideHost(context, HostAbi { version, minor })
    }
}

fn opt<T>(value: ROption<T>) -> Option<T> {
    match value {
        ROption::RSome(value) => Some(value),
        ROption::RNone => None,
    }
}

fn non_negative(value: i64) -> Option<i64> {
    (value >= 0).then_some(value)
}

impl HostServices for PluginSideHost {
    fn abi_version(&self) -> String {
        self.1.version.clone()
    }

    fn client_calls(&self) -> Option<&dyn ClientCalls> {
        // The vtable of a 1.0 host has no such method: never call it there.
        (self.1.minor >= 1).then_some(self as &dyn ClientCalls)
    }

    // ABI 1.2: broker config update
    fn broker_admin(&self) -> Option<&dyn BrokerAdmin> {
        // The vtable of a 1.0 or 1.1 host has no such methods.
        (self.1.minor >= 2).then_some(self as &dyn BrokerAdmin)
    }

    // ABI 1.2: broker stats
    fn operations(&self) -> Option<&dyn Operations> {
        // An older host's vtable has no such methods: never call them there.
        (self.1.minor >= 2).then_some(self as &dyn Operations)
    }
}

impl PluginSideHost {
    /// `client_invoke` (ABI 1.2) is in the host's vtable; else the error to answer.
    fn has_client_invoke(&self) -> Result<(), HostError> {
        // The vtable of a 1.0 or 1.1 host has no such methods: never call them there.
        if self.1.minor >= 2 {
            Ok(())
        } else {
            Err(missing_capability("client_invoke", self.1.version.clone()))
        }
    }
}

// ABI 1.2: broker config update
impl BrokerAdmin for PluginSideHost {
    fn config_text(&self) -> BrokerConfigText {
        self.0.broker_config_text().into()
    }

    fn update_config(&self, entries: &[(String, String)]) -> Result<(), HostError> {
        let entries: RVec<FfiOwnedField> = entries
            .iter()
            .map(|(key, value)| FfiOwnedField {
                key: key.as_str().into(),
                value: value.as_str().into(),
            })
            .collect();
        match self.0.update_broker_config(entries) {
            RResult::ROk(()) => Ok(()),
            RResult::RErr(reason) => Err(HostError::Refused(reason.into_string())),
        }
    }

    fn producer_channels(&self, group: &str) -> Vec<LiveChannel> {
        self.0
            .producer_channels(group.into())
            .into_iter()
            .map(LiveChannel::from)
            .collect()
    }

    fn consumer_channels(&self, group: &str) -> Vec<LiveChannel> {
        self.0
            .consumer_channels(group.into())
            .into_iter()
            .map(LiveChannel::from)
            .collect()
    }

    fn delete_subscription_group(&self, group: &str, clean_offset: bool) -> bool {
        self.0.delete_subscription_group(group.into(), clean_offset)
    }

    fn assign_reset_offset(&self, topic: &str, group: &str, queue_id: i32, offset: i64) {
        self.0
            .assign_reset_offset(topic.into(), group.into(), queue_id, offset)
    }

    fn take_reset_offset(&self, topic: &str, group: &str, queue_id: i32) -> Option<i64> {
        non_negative(
            self.0
                .take_reset_offset(topic.into(), group.into(), queue_id),
        )
    }

    fn has_offset_reset(&self, topic: &str, group: &str, queue_id: i32) -> bool {
        self.0
            .has_offset_reset(topic.into(), group.into(), queue_id)
    }
}

impl From<BrokerConfigText> for FfiBrokerConfigText {
    fn from(text: BrokerConfigText) -> Self {
        FfiBrokerConfigText {
            properties: text.properties.into(),
            data_version: text.data_version.into(),
        }
    }
}

impl From<FfiBrokerConfigText> for BrokerConfigText {
    fn from(text: FfiBrokerConfigText) -> Self {
        BrokerConfigText {
            properties: text.properties.into_string(),
            data_version: text.data_version.into_string(),
        }
    }
}

impl From<LiveChannel> for FfiLiveChannel {
    fn from(channel: LiveChannel) -> Self {
        FfiLiveChannel {
            connection_id: channel.connection_id,
            client_id: channel.client_id.into(),
            client_addr: channel.client_addr.into(),
            language: channel.language,
            version: channel.version,
        }
    }
}

impl From<FfiLiveChannel> for LiveChannel {
    fn from(channel: FfiLiveChannel) -> Self {
        LiveChannel {
            connection_id: channel.connection_id,
            client_id: channel.client_id.into_string(),
            client_addr: channel.client_addr.into_string(),
            language: channel.language,
            version: channel.version,
        }
    }
}

// ABI 1.2: broker stats
impl Operations for PluginSideHost {
    fn stats_item(&self, stats_name: &str, stats_key: &str) -> Option<StatsItemData> {
        opt(self.0.stats_item(stats_name.into(), stats_key.into())).map(|item| StatsItemData {
            minute: window_from_ffi(item.minute),
            hour: window_from_ffi(item.hour),
            day: window_from_ffi(item.day),
        })
    }

    fn topic_consumed_by(&self, topic: &str) -> Vec<String> {
        self.0
            .topic_consumed_by(topic.into())
            .into_iter()
            .map(RString::into_string)
            .collect()
    }

    fn delay_offsets_json(&self) -> String {
        self.0.delay_offsets_json().into_string()
    }

    fn clean_expired_consume_queues(&self) -> Result<usize, HostError> {
        match self.0.clean_expired_consume_queues() {
            RResult::ROk(count) => Ok(usize::try_from(count).unwrap_or(usize::MAX)),
            RResult::RErr(reason) => Err(HostError::Refused(reason.into_string())),
        }
    }

    fn clean_unused_topics(&self) -> Result<usize, HostError> {
        match self.0.clean_unused_topics() {
            RResult::ROk(count) => Ok(usize::try_from(count).unwrap_or(usize::MAX)),
            RResult::RErr(reason) => Err(HostError::Refused(reason.into_string())),
        }
    }

    fn record_send_back(&self, group: &str, topic: &str) {
        self.0.record_send_back(group.into(), topic.into())
    }
}

impl ClientCalls for PluginSideHost {
    fn send_oneway(&self, connection_id: u64, request: &ClientRequest) -> Result<(), HostError> {
        let request = client_request_to_ffi(request);
        match self.0.send_oneway_to_client(connection_id, &request) {
            RResult::ROk(()) => Ok(()),
            RResult::RErr(reason) => Err(HostError::Refused(reason.into_string())),
        }
    }

    fn invoke(
        &self,
        connection_id: u64,
        request: &ClientRequest,
        timeout_millis: u64,
    ) -> Result<ClientResponse, HostError> {
        self.has_client_invoke()?;
        let request = client_request_to_ffi(request);
        match self
            .0
            .invoke_client(connection_id, &request, timeout_millis)
        {
            RResult::ROk(response) => client_response_from_ffi(response),
            RResult::RErr(error) => Err(match error.failure {
                FfiClientCallFailure::Timeout => HostError::Timeout(error.message.into_string()),
                FfiClientCallFailure::Refused => HostError::Refused(error.message.into_string()),
            }),
        }
    }

    fn find_client_connection(&self, client_id: &str) -> Result<Option<u64>, HostError> {
        self.has_client_invoke()?;
        Ok(opt(self.0.find_client_connection(client_id.into())))
    }
}

impl Log for PluginSideHost {
    fn log(&self, level: LogLevel, plugin: &str, message: &str) {
        self.0.log(level.into(), plugin.into(), message.into())
    }
}

impl BrokerConfig for PluginSideHost {
    fn identity(&self) -> BrokerIdentity {
        self.0.broker_identity().into()
    }

    fn value(&self, key: &str) -> Option<String> {
        opt(self.0.config_value(key.into())).map(RString::into_string)
    }
}

impl MessageStore for PluginSideHost {
    fn put_message(&self, message: &MessageToPut<'_>) -> PutResult {
        let message = FfiMessage {
            topic: message.topic.into(),
            queue_id: message.queue_id,
            flag: message.flag,
            sys_flag: message.sys_flag,
            born_timestamp: message.born_timestamp,
            born_host: message.born_host.into(),
            body: message.body.into(),
            properties: message.properties.into(),
            reconsume_times: message.reconsume_times,
            prepared_transaction_offset: message.prepared_transaction_offset,
            wait_store: message.wait_store,
        };
        self.0.put_message(&message).into()
    }

    fn put_batch(&self, batch: &BatchToPut<'_>) -> PutResult {
        let entries: Vec<FfiBatchEntry<'_>> = batch
            .entries
            .iter()
            .map(|entry| FfiBatchEntry {
                flag: entry.flag,
                body: entry.body.into(),
                properties: entry.properties.into(),
            })
            .collect();
        let batch = FfiBatch {
            topic: batch.topic.into(),
            queue_id: batch.queue_id,
            sys_flag: batch.sys_flag,
            born_timestamp: batch.born_timestamp,
            born_host: batch.born_host.into(),
            entries: RSlice::from_slice(&entries),
            reconsume_times: batch.reconsume_times,
            wait_store: batch.wait_store,
        };
        self.0.put_messages(&batch).into()
    }

    fn get_messages(&self, request: &GetRequest<'_>) -> GetResult {
        let tags: Vec<RStr<'_>> = request.tags.iter().map(|tag| RStr::from(*tag)).collect();
        let request = FfiGetRequest {
            group: request.group.into(),
            topic: request.topic.into(),
            queue_id: request.queue_id,
            offset: request.offset,
            max_msg_nums: request.max_msg_nums,
            max_total_bytes: request.max_total_bytes,
            all_tags: request.all_tags,
            tags: RSlice::from_slice(&tags),
        };
        self.0.get_messages(&request).into()
    }

    fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.0.max_offset(topic.into(), queue_id)
    }

    fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.0.min_offset(topic.into(), queue_id)
    }

    fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let boundary = match boundary {
            BoundaryType::Lower => FfiBoundaryType::Lower,
            BoundaryType::Upper => FfiBoundaryType::Upper,
        };
        self.0
            .offset_by_time(topic.into(), queue_id, timestamp, boundary)
    }

    fn is_in_memory(&self, topic: &str, queue_id: i32, consume_offset: i64) -> bool {
        self.0
            .check_in_mem_by_consume_offset(topic.into(), queue_id, consume_offset)
    }

    fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        non_negative(self.0.message_store_time(topic.into(), queue_id, offset))
    }

    fn message_by_offset(&self, commit_log_offset: i64) -> Option<Vec<u8>> {
        opt(self.0.message_by_offset(commit_log_offset)).map(RVec::into_vec)
    }

    fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryResult {
        self.0
            .query_by_key(topic.into(), key.into(), max_num, begin, end)
            .into()
    }

    fn runtime_info(&self) -> Vec<(String, String)> {
        self.0
            .runtime_info()
            .into_iter()
            .map(|field| (field.key.into_string(), field.value.into_string()))
            .collect()
    }
}

impl ConsumerOffsets for PluginSideHost {
    fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        non_negative(
            self.0
                .query_consumer_offset(group.into(), topic.into(), queue_id),
        )
    }

    fn commit(&self, client_host: &str, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.0.commit_consumer_offset(
            client_host.into(),
            group.into(),
            topic.into(),
            queue_id,
            offset,
        )
    }

    fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.0
            .commit_pull_offset(group.into(), topic.into(), queue_id, offset)
    }

    fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        non_negative(
            self.0
                .query_pull_offset(group.into(), topic.into(), queue_id),
        )
    }

    fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.0
            .consumer_offset_topics(group.into())
            .into_iter()
            .map(RString::into_string)
            .collect()
    }
}

impl TopicsAndGroups for PluginSideHost {
    fn topic(&self, topic: &str) -> Option<TopicConfig> {
        opt(self.0.topic_config(topic.into())).map(TopicConfig::from)
    }

    fn all_topics(&self) -> Vec<TopicConfig> {
        self.0
            .all_topic_configs()
            .iter()
            .map(TopicConfig::from)
            .collect()
    }

    fn create_topic_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        opt(self.0.create_topic_in_send(
            topic.into(),
            default_topic.into(),
            queue_nums,
            topic_sys_flag,
        ))
        .map(|config| TopicConfig::from(&config))
    }

    fn create_topic_if_absent(&self, config: &TopicConfig) -> TopicConfig {
        TopicConfig::from(
            &self
                .0
                .create_topic_if_absent(&FfiTopicConfig::from(config.clone())),
        )
    }

    fn is_system_topic(&self, topic: &str) -> bool {
        self.0.is_system_topic(topic.into())
    }

    fn update_topic(
        &self,
        config: &TopicConfig,
        attributes: &[(String, String)],
    ) -> Result<(), HostError> {
        let attributes: RVec<FfiOwnedField> = attributes
            .iter()
            .map(|(key, value)| FfiOwnedField {
                key: key.as_str().into(),
                value: value.as_str().into(),
            })
            .collect();
        match self
            .0
            .update_topic_config(&FfiTopicConfig::from(config.clone()), attributes)
        {
            RResult::ROk(()) => Ok(()),
            RResult::RErr(remark) => Err(HostError::Refused(remark.into_string())),
        }
    }

    fn delete_topic(&self, topic: &str) -> bool {
        self.0.delete_topic(topic.into())
    }

    fn subscription_group(&self, group: &str, auto_create: bool) -> Option<SubscriptionGroup> {
        opt(self.0.subscription_group(group.into(), auto_create)).map(SubscriptionGroup::from)
    }

    fn forbidden(&self, group: &str, topic: &str) -> i32 {
        self.0
            .subscription_group_forbidden(group.into(), topic.into())
    }

    fn update_subscription_group(&self, config_json: &[u8]) -> Result<(), HostError> {
        match self
            .0
            .update_subscription_group(RSlice::from_slice(config_json))
        {
            RResult::ROk(()) => Ok(()),
            RResult::RErr(remark) => Err(HostError::Refused(remark.into_string())),
        }
    }

    fn metadata_json(&self, table: MetadataTable) -> String {
        let table = match table {
            MetadataTable::TopicConfigWrapper => FfiMetadataTable::TopicConfigWrapper,
            MetadataTable::SubscriptionGroupWrapper => FfiMetadataTable::SubscriptionGroupWrapper,
            MetadataTable::ConsumerOffsets => FfiMetadataTable::ConsumerOffsets,
        };
        self.0.metadata_json(table).into_string()
    }
}

impl ClientsAndLocks for PluginSideHost {
    fn register_producer(&self, group: &str, channel: &ClientChannel<'_>) {
        self.0
            .register_producer(group.into(), &channel_to_ffi(channel))
    }

    fn register_consumer(
        &self,
        registration: &ConsumerRegistration,
        channel: &ClientChannel<'_>,
    ) -> bool {
        let registration = FfiConsumerRegistration {
            group: registration.group.as_str().into(),
            consume_type: registration.consume_type.as_str().into(),
            message_model: registration.message_model.as_str().into(),
            consume_from_where: registration.consume_from_where.as_str().into(),
            subscriptions: registration
                .subscriptions
                .iter()
                .map(FfiSubscription::from)
                .collect(),
            keep_subscriptions: registration.keep_subscriptions,
        };
        self.0
            .register_consumer(&registration, &channel_to_ffi(channel))
    }

    fn unregister_client(
        &self,
        client_id: &str,
        connection_id: u64,
        producer_group: &str,
        consumer_group: &str,
    ) {
        self.0.unregister_client(
            client_id.into(),
            connection_id,
            producer_group.into(),
            consumer_group.into(),
        )
    }

    fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        opt(self.0.consumer_group(group.into())).map(ConsumerGroupInfo::from)
    }

    fn consumer_connections(&self, group: &str) -> Vec<Connection> {
        self.0
            .consumer_connections(group.into())
            .into_iter()
            .map(Connection::from)
            .collect()
    }

    fn swap_heartbeat_fingerprint(&self, group: &str, fingerprint: i64) -> Option<i64> {
        opt(self.0.swap_heartbeat_fingerprint(group.into(), fingerprint))
    }

    fn lock_queues(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
    ) -> Vec<MessageQueue> {
        let queues: RVec<FfiMessageQueue> = queues.iter().cloned().map(Into::into).collect();
        self.0
            .lock_queues(group.into(), client_id.into(), queues)
            .iter()
            .map(MessageQueue::from)
            .collect()
    }

    fn unlock_queues(&self, group: &str, client_id: &str, queues: &[MessageQueue]) {
        let queues: RVec<FfiMessageQueue> = queues.iter().cloned().map(Into::into).collect();
        self.0.unlock_queues(group.into(), client_id.into(), queues)
    }

    fn group_has_live_lock(&self, group: &str) -> bool {
        self.0.group_has_live_lock(group.into())
    }
}

fn channel_to_ffi<'a>(channel: &ClientChannel<'a>) -> FfiClientChannel<'a> {
    FfiClientChannel {
        client_id: channel.client_id.into(),
        connection_id: channel.connection_id,
        remote_addr: channel.remote_addr.into(),
        language: channel.language,
        version: channel.version,
    }
}

// ---- conversions -------------------------------------------------------------

impl From<FfiLogLevel> for LogLevel {
    fn from(level: FfiLogLevel) -> Self {
        match level {
            FfiLogLevel::Trace => LogLevel::Trace,
            FfiLogLevel::Debug => LogLevel::Debug,
            FfiLogLevel::Info => LogLevel::Info,
            FfiLogLevel::Warn => LogLevel::Warn,
            FfiLogLevel::Error => LogLevel::Error,
        }
    }
}

impl From<LogLevel> for FfiLogLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Trace => FfiLogLevel::Trace,
            LogLevel::Debug => FfiLogLevel::Debug,
            LogLevel::Info => FfiLogLevel::Info,
            LogLevel::Warn => FfiLogLevel::Warn,
            LogLevel::Error => FfiLogLevel::Error,
        }
    }
}

impl From<BrokerIdentity> for FfiBrokerIdentity {
    fn from(identity: BrokerIdentity) -> Self {
        FfiBrokerIdentity {
            cluster_name: identity.cluster_name.into(),
            broker_name: identity.broker_name.into(),
            broker_id: identity.broker_id,
            broker_addr: identity.broker_addr.into(),
            broker_permission: identity.broker_permission,
            version: identity.version,
        }
    }
}

impl From<FfiBrokerIdentity> for BrokerIdentity {
    fn from(identity: FfiBrokerIdentity) -> Self {
        BrokerIdentity {
            cluster_name: identity.cluster_name.into_string(),
            broker_name: identity.broker_name.into_string(),
            broker_id: identity.broker_id,
            broker_addr: identity.broker_addr.into_string(),
            broker_permission: identity.broker_permission,
            version: identity.version,
        }
    }
}

impl From<TopicConfig> for FfiTopicConfig {
    fn from(config: TopicConfig) -> Self {
        FfiTopicConfig {
            topic_name: config.topic_name.into(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type,
            topic_sys_flag: config.topic_sys_flag,
            order: config.order,
        }
    }
}

impl From<FfiTopicConfig> for TopicConfig {
    fn from(config: FfiTopicConfig) -> Self {
        TopicConfig {
            topic_name: config.topic_name.into_string(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type,
            topic_sys_flag: config.topic_sys_flag,
            order: config.order,
        }
    }
}

impl From<&FfiTopicConfig> for TopicConfig {
    fn from(config: &FfiTopicConfig) -> Self {
        TopicConfig {
            topic_name: config.topic_name.to_string(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type,
            topic_sys_flag: config.topic_sys_flag,
            order: config.order,
        }
    }
}

impl From<SubscriptionGroup> for FfiSubscriptionGroup {
    fn from(group: SubscriptionGroup) -> Self {
        FfiSubscriptionGroup {
            group_name: group.group_name.into(),
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
}

impl From<FfiSubscriptionGroup> for SubscriptionGroup {
    fn from(group: FfiSubscriptionGroup) -> Self {
        SubscriptionGroup {
            group_name: group.group_name.into_string(),
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
}

impl From<&Subscription> for FfiSubscription {
    fn from(sub: &Subscription) -> Self {
        FfiSubscription {
            topic: sub.topic.as_str().into(),
            sub_string: sub.sub_string.as_str().into(),
            expression_type: sub.expression_type.as_str().into(),
            tags: sub
                .tags
                .iter()
                .map(|tag| RString::from(tag.as_str()))
                .collect(),
            codes: sub.codes.iter().copied().collect(),
            sub_version: sub.sub_version,
        }
    }
}

impl From<&FfiSubscription> for Subscription {
    fn from(sub: &FfiSubscription) -> Self {
        Subscription {
            topic: sub.topic.to_string(),
            sub_string: sub.sub_string.to_string(),
            expression_type: sub.expression_type.to_string(),
            tags: sub.tags.iter().map(|tag| tag.to_string()).collect(),
            codes: sub.codes.to_vec(),
            sub_version: sub.sub_version,
        }
    }
}

impl From<ConsumerGroupInfo> for FfiConsumerGroupInfo {
    fn from(info: ConsumerGroupInfo) -> Self {
        FfiConsumerGroupInfo {
            group: info.group.into(),
            consume_type: info.consume_type.into(),
            message_model: info.message_model.into(),
            consume_from_where: info.consume_from_where.into(),
            subscriptions: info.subscriptions.iter().map(Into::into).collect(),
            client_ids: info.client_ids.into_iter().map(RString::from).collect(),
        }
    }
}

impl From<FfiConsumerGroupInfo> for ConsumerGroupInfo {
    fn from(info: FfiConsumerGroupInfo) -> Self {
        ConsumerGroupInfo {
            group: info.group.into_string(),
            consume_type: info.consume_type.into_string(),
            message_model: info.message_model.into_string(),
            consume_from_where: info.consume_from_where.into_string(),
            subscriptions: info.subscriptions.iter().map(Into::into).collect(),
            client_ids: info
                .client_ids
                .into_iter()
                .map(RString::into_string)
                .collect(),
        }
    }
}

impl From<Connection> for FfiConnection {
    fn from(connection: Connection) -> Self {
        FfiConnection {
            client_id: connection.client_id.into(),
            client_addr: connection.client_addr.into(),
            language: connection.language,
            version: connection.version,
        }
    }
}

impl From<FfiConnection> for Connection {
    fn from(connection: FfiConnection) -> Self {
        Connection {
            client_id: connection.client_id.into_string(),
            client_addr: connection.client_addr.into_string(),
            language: connection.language,
            version: connection.version,
        }
    }
}

impl From<MessageQueue> for FfiMessageQueue {
    fn from(queue: MessageQueue) -> Self {
        FfiMessageQueue {
            topic: queue.topic.into(),
            broker_name: queue.broker_name.into(),
            queue_id: queue.queue_id,
        }
    }
}

impl From<&FfiMessageQueue> for MessageQueue {
    fn from(queue: &FfiMessageQueue) -> Self {
        MessageQueue {
            topic: queue.topic.to_string(),
            broker_name: queue.broker_name.to_string(),
            queue_id: queue.queue_id,
        }
    }
}

fn put_status_to_ffi(status: PutStatus) -> FfiPutStatus {
    match status {
        PutStatus::PutOk => FfiPutStatus::PutOk,
        PutStatus::FlushDiskTimeout => FfiPutStatus::FlushDiskTimeout,
        PutStatus::FlushSlaveTimeout => FfiPutStatus::FlushSlaveTimeout,
        PutStatus::SlaveNotAvailable => FfiPutStatus::SlaveNotAvailable,
        PutStatus::ServiceNotAvailable => FfiPutStatus::ServiceNotAvailable,
        PutStatus::CreateMappedFileFailed => FfiPutStatus::CreateMappedFileFailed,
        PutStatus::MessageIllegal => FfiPutStatus::MessageIllegal,
        PutStatus::PropertiesSizeExceeded => FfiPutStatus::PropertiesSizeExceeded,
        PutStatus::OsPageCacheBusy => FfiPutStatus::OsPageCacheBusy,
        PutStatus::UnknownError => FfiPutStatus::UnknownError,
    }
}

fn put_status_from_ffi(status: FfiPutStatus) -> PutStatus {
    match status {
        FfiPutStatus::PutOk => PutStatus::PutOk,
        FfiPutStatus::FlushDiskTimeout => PutStatus::FlushDiskTimeout,
        FfiPutStatus::FlushSlaveTimeout => PutStatus::FlushSlaveTimeout,
        FfiPutStatus::SlaveNotAvailable => PutStatus::SlaveNotAvailable,
        FfiPutStatus::ServiceNotAvailable => PutStatus::ServiceNotAvailable,
        FfiPutStatus::CreateMappedFileFailed => PutStatus::CreateMappedFileFailed,
        FfiPutStatus::MessageIllegal => PutStatus::MessageIllegal,
        FfiPutStatus::PropertiesSizeExceeded => PutStatus::PropertiesSizeExceeded,
        FfiPutStatus::OsPageCacheBusy => PutStatus::OsPageCacheBusy,
        FfiPutStatus::UnknownError => PutStatus::UnknownError,
    }
}

impl From<PutResult> for FfiPutResult {
    fn from(result: PutResult) -> Self {
        FfiPutResult {
            status: put_status_to_ffi(result.status),
            wrote_offset: result.wrote_offset,
            msg_ids: result.msg_ids.into_iter().map(RString::from).collect(),
            queue_offset: result.queue_offset,
            msg_num: result.msg_num,
            store_timestamp: result.store_timestamp,
            flush_offset: result.flush_ticket.map_or(-1, |ticket| ticket.flush_offset),
        }
    }
}

impl From<FfiPutResult> for PutResult {
    fn from(result: FfiPutResult) -> Self {
        PutResult {
            status: put_status_from_ffi(result.status),
            wrote_offset: result.wrote_offset,
            msg_ids: result
                .msg_ids
                .into_iter()
                .map(RString::into_string)
                .collect(),
            queue_offset: result.queue_offset,
            msg_num: result.msg_num,
            store_timestamp: result.store_timestamp,
            flush_ticket: non_negative(result.flush_offset)
                .map(|flush_offset| FlushTicket { flush_offset }),
        }
    }
}

fn get_status_to_ffi(status: GetStatus) -> FfiGetStatus {
    match status {
        GetStatus::Found => FfiGetStatus::Found,
        GetStatus::NoMatchedMessage => FfiGetStatus::NoMatchedMessage,
        GetStatus::MessageWasRemoving => FfiGetStatus::MessageWasRemoving,
        GetStatus::OffsetFoundNull => FfiGetStatus::OffsetFoundNull,
        GetStatus::OffsetOverflowBadly => FfiGetStatus::OffsetOverflowBadly,
        GetStatus::OffsetOverflowOne => FfiGetStatus::OffsetOverflowOne,
        GetStatus::OffsetTooSmall => FfiGetStatus::OffsetTooSmall,
        GetStatus::NoMatchedLogicQueue => FfiGetStatus::NoMatchedLogicQueue,
        GetStatus::NoMessageInQueue => FfiGetStatus::NoMessageInQueue,
    }
}

fn get_status_from_ffi(status: FfiGetStatus) -> GetStatus {
    match status {
        FfiGetStatus::Found => GetStatus::Found,
        FfiGetStatus::NoMatchedMessage => GetStatus::NoMatchedMessage,
        FfiGetStatus::MessageWasRemoving => GetStatus::MessageWasRemoving,
        FfiGetStatus::OffsetFoundNull => GetStatus::OffsetFoundNull,
        FfiGetStatus::OffsetOverflowBadly => GetStatus::OffsetOverflowBadly,
        FfiGetStatus::OffsetOverflowOne => GetStatus::OffsetOverflowOne,
        FfiGetStatus::OffsetTooSmall => GetStatus::OffsetTooSmall,
        FfiGetStatus::NoMatchedLogicQueue => GetStatus::NoMatchedLogicQueue,
        FfiGetStatus::NoMessageInQueue => GetStatus::NoMessageInQueue,
    }
}

impl From<GetResult> for FfiGetResult {
    fn from(result: GetResult) -> Self {
        FfiGetResult {
            status: get_status_to_ffi(result.status),
            next_begin_offset: result.next_begin_offset,
            min_offset: result.min_offset,
            max_offset: result.max_offset,
            body: RVec::from(result.body),
            message_count: result.message_count,
            suggest_pulling_from_slave: result.suggest_pulling_from_slave,
        }
    }
}

impl From<FfiGetResult> for GetResult {
    fn from(result: FfiGetResult) -> Self {
        GetResult {
            status: get_status_from_ffi(result.status),
            next_begin_offset: result.next_begin_offset,
            min_offset: result.min_offset,
            max_offset: result.max_offset,
            body: result.body.into_vec(),
            message_count: result.message_count,
            suggest_pulling_from_slave: result.suggest_pulling_from_slave,
        }
    }
}

impl From<QueryResult> for FfiQueryResult {
    fn from(result: QueryResult) -> Self {
        FfiQueryResult {
            body: RVec::from(result.body),
            message_count: result.message_count,
            index_last_update_timestamp: result.index_last_update_timestamp,
            index_last_update_phyoffset: result.index_last_update_phyoffset,
        }
    }
}

impl From<FfiQueryResult> for QueryResult {
    fn from(result: FfiQueryResult) -> Self {
        QueryResult {
            body: result.body.into_vec(),
            message_count: result.message_count,
            index_last_update_timestamp: result.index_last_update_timestamp,
            index_last_update_phyoffset: result.index_last_update_phyoffset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::testing::FakeHost;

    fn request() -> ClientRequest {
        ClientRequest {
            code: 326,
            remark: Some("r".into()),
            ext_fields: vec![("topic".into(), "T".into())],
            body: b"body".to_vec(),
        }
    }

    /// ABI 1.2's client invoke crosses the boundary both ways: the request,
    /// the client's answer, a timeout told apart from a refusal.
    #[test]
    fn client_invoke_crosses_the_boundary() {
        let fake = FakeHost::new();
        let answer = ClientResponse {
            code: 1,
            remark: Some("no".into()),
            ext_fields: vec![("k".into(), "v".into())],
            body: b"a".to_vec(),
        };
        fake.state().client_answers.push_back(Ok(answer.clone()));
        fake.state().client_connections.insert("c@1".into(), 3);
        let plugin_side = PluginSideHost::new(host_context(Arc::new(fake.clone())));
        assert_eq!(plugin_side.invoke(3, &request(), 100), Ok(answer));
        assert!(matches!(
            plugin_side.invoke(3, &request(), 100),
            Err(HostError::Timeout(_))
        ));
        fake.state().closed_connections.push(4);
        assert!(matches!(
            plugin_side.invoke(4, &request(), 100),
            Err(HostError::Refused(_))
        ));
        assert_eq!(plugin_side.find_client_connection("c@1"), Ok(Some(3)));
        assert_eq!(plugin_side.find_client_connection("c@2"), Ok(None));
        assert_eq!(
            fake.state().invoked_clients,
            vec![(3, request(), 100), (3, request(), 100)]
        );
    }

    /// On a host that says 1.1 the plugin side never touches the vtable
    /// slots a 1.1 host lacks.
    #[test]
    fn client_invoke_on_a_1_1_host_is_a_missing_capability() {
        let fake = FakeHost::new();
        fake.state().abi_version = Some("1.1.0".into());
        let plugin_side = PluginSideHost::new(host_context(Arc::new(fake.clone())));
        let outcome = plugin_side.invoke(3, &request(), 100);
        assert_eq!(
            outcome.map_err(|error| error.to_string()),
            Err(
                "this broker (plugin ABI 1.1.0) lacks the host capability `client_invoke`, \
                 added in plugin ABI 1.2.0; run the plugin on a newer broker"
                    .to_owned()
            )
        );
        assert!(matches!(
            plugin_side.find_client_connection("c@1"),
            Err(HostError::MissingCapability { .. })
        ));
        assert!(
            plugin_side.send_oneway(3, &request()).is_ok(),
            "1.1 has oneway"
        );
        assert!(fake.state().invoked_clients.is_empty());
    }

    // ABI 1.2: broker config update
    /// `BrokerAdmin` crosses the boundary both ways: config text and
    /// updates, channels, group deletion, the reset table.
    #[test]
    fn broker_admin_crosses_the_boundary() {
        let fake = FakeHost::new();
        fake.set_config("a", "1");
        fake.add_group(SubscriptionGroup::new("g"));
        let plugin_side = PluginSideHost::new(host_context(Arc::new(fake.clone())));
        let admin = plugin_side.broker_admin().expect("ABI 1.2");
        assert_eq!(admin.config_text().properties, "a=1\n");
        let entries = vec![("b".to_owned(), "2".to_owned())];
        assert_eq!(admin.update_config(&entries), Ok(()));
        assert_eq!(fake.state().config_updates, vec![entries]);
        fake.state().refuse_config_update = Some("bad value".into());
        assert_eq!(
            admin.update_config(&[]),
            Err(HostError::Refused("bad value".into()))
        );

        fake.register_producer(
            "pg",
            &ClientChannel {
                client_id: "p@1",
                connection_id: 7,
                remote_addr: "10.0.0.1:1",
                language: 0,
                version: 479,
            },
        );
        let channels = admin.producer_channels("pg");
        assert_eq!(
            (
                channels.len(),
                channels[0].connection_id,
                channels[0].client_id.as_str()
            ),
            (1, 7, "p@1")
        );
        assert!(admin.consumer_channels("pg").is_empty());

        admin.assign_reset_offset("t", "g", 1, 5);
        assert!(admin.has_offset_reset("t", "g", 1));
        assert_eq!(admin.take_reset_offset("t", "g", 1), Some(5));
        assert_eq!(admin.take_reset_offset("t", "g", 1), None);
        assert!(admin.delete_subscription_group("g", true));
        assert!(!admin.delete_subscription_group("g", true));
    }

    #[test]
    fn broker_admin_on_a_1_1_host_is_a_missing_capability() {
        let fake = FakeHost::new();
        fake.state().abi_version = Some("1.1.0".into());
        let plugin_side = PluginSideHost::new(host_context(Arc::new(fake.clone())));
        assert!(plugin_side.broker_admin().is_none());
        let host = crate::sdk::Host::new(Arc::new(plugin_side), "p");
        assert_eq!(
            host.broker_admin().err().map(|error| error.to_string()),
            Some(
                "this broker (plugin ABI 1.1.0) lacks the host capability `broker_admin`, \
                 added in plugin ABI 1.2.0; run the plugin on a newer broker"
                    .to_owned()
            )
        );
    }
}
