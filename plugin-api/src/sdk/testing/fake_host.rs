//! An in-memory host: every capability a processor can call, kept in plain
//! maps, with the calls a test wants to check recorded (log lines, commits,
//! registrations).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fastjson::JsonWriter;
use crate::message::{body_crc, encode_record_into, find_property, RecordToEncode};
use crate::sdk::{
    glue, missing_capability, BatchToPut, BoundaryType, BrokerAdmin, BrokerConfig,
    BrokerConfigText, BrokerIdentity, ClientCalls, ClientChannel, ClientRequest, ClientResponse,
    ClientsAndLocks, Connection, ConsumerGroupInfo, ConsumerOffsets, ConsumerRegistration,
    FlushTicket, GetRequest, GetResult, GetStatus, Host, HostError, HostServices, LiveChannel, Log,
    LogLevel, MessageQueue, MessageStore, MessageToPut, MetadataTable, Operations, Plugin,
    PutResult, PutStatus, QueryResult, StatsItemData, SubscriptionGroup, TopicConfig,
    TopicsAndGroups,
};

/// One message as the fake store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: i32,
    /// Queue offset.
    pub queue_offset: i64,
    /// Commit-log offset.
    pub commit_log_offset: i64,
    /// Store timestamp.
    pub store_timestamp: i64,
    /// The record in RocketMQ's commit-log format.
    pub record: Vec<u8>,
    /// Body.
    pub body: Vec<u8>,
    /// Encoded properties.
    pub properties: String,
    /// Sysflag.
    pub sys_flag: i32,
    /// Delivery attempts.
    pub reconsume_times: i32,
}

/// Everything the fake host holds; tests may read and change it directly
/// through [`FakeHost::state`].
#[derive(Debug, Default)]
pub struct FakeHostState {
    /// Broker identity.
    pub identity: BrokerIdentity,
    /// Config values by RocketMQ key.
    pub config: HashMap<String, String>,
    /// Topics.
    pub topics: BTreeMap<String, TopicConfig>,
    /// Subscription groups.
    pub groups: BTreeMap<String, SubscriptionGroup>,
    /// Forbidden bits by (group, topic).
    pub forbidden: HashMap<(String, String), i32>,
    /// Every stored message, in commit-log order.
    pub messages: Vec<StoredMessage>,
    /// Next commit-log offset.
    pub commit_log_end: i64,
    /// Under SYNC_FLUSH a `wait_store` put returns a flush ticket.
    pub sync_flush: bool,
    /// The status the next puts answer with instead of storing (None = store).
    pub put_status_override: Option<PutStatus>,
    /// Committed offsets by (group, topic, queue).
    pub offsets: BTreeMap<(String, String, i32), i64>,
    /// Pull offsets by (group, topic, queue).
    pub pull_offsets: BTreeMap<(String, String, i32), i64>,
    /// Producer groups → client ids.
    pub producers: BTreeMap<String, Vec<String>>,
    /// Consumer groups.
    pub consumers: BTreeMap<String, ConsumerGroupInfo>,
    /// Consumer connections by group.
    pub connections: BTreeMap<String, Vec<Connection>>,
    /// Heartbeat fingerprints by group.
    pub fingerprints: HashMap<String, i64>,
    /// Queue locks: (group, queue) → client id.
    pub locks: BTreeMap<(String, MessageQueue), String>,
    /// Log lines, `LEVEL plugin: message`.
    pub log: Vec<String>,
    /// Runtime-info pairs answered by `runtime_info`.
    pub runtime_info: Vec<(String, String)>,
    /// The ABI version the fake claims (None = this SDK's): set an older
    /// one to test a plugin on an older broker.
    pub abi_version: Option<String>,
    /// Requests sent to clients through `ClientCalls`, with the connection id.
    pub sent_to_clients: Vec<(u64, ClientRequest)>,
    /// Connections `ClientCalls` treats as gone.
    pub closed_connections: Vec<u64>,
    /// Requests `ClientCalls::invoke` sent (ABI 1.2): connection id,
    /// request, timeout in ms.
    pub invoked_clients: Vec<(u64, ClientRequest, u64)>,
    /// The answers `ClientCalls::invoke` gives, in order (a `HostError`
    /// plays a timeout or a refusal); with none left it answers
    /// [`HostError::Timeout`].
    pub client_answers: VecDeque<Result<ClientResponse, HostError>>,
    /// Client id → connection id, for `ClientCalls::find_client_connection`
    /// (producer and consumer registrations add theirs too).
    pub client_connections: BTreeMap<String, u64>,
    /// Min offsets by (topic, queue) answered by `min_offset` (absent = 0),
    /// as if the queue's older messages had been deleted.
    pub min_offsets: HashMap<(String, i32), i64>,
    /// When set, `update_topic` and `update_subscription_group` refuse with this text.
    pub refuse_updates: Option<String>,
    // ABI 1.2: broker config update
    /// `BrokerAdmin::update_config` calls, in order (each call's entries).
    pub config_updates: Vec<Vec<(String, String)>>,
    /// The configuration's version counter (bumped by every update).
    pub config_version: i64,
    /// When set, `update_config` refuses with this text.
    pub refuse_config_update: Option<String>,
    /// Live producer channels by group (filled by `register_producer`).
    pub producer_channels: BTreeMap<String, Vec<LiveChannel>>,
    /// Live consumer channels by group (filled by `register_consumer`).
    pub consumer_channels: BTreeMap<String, Vec<LiveChannel>>,
    /// Pending server-side reset offsets by (topic, group, queue).
    pub reset_offsets: BTreeMap<(String, String, i32), i64>,
    // ABI 1.2: broker stats
    /// Stats items by (stats name, stats key), answered by `stats_item`.
    pub stats_items: HashMap<(String, String), StatsItemData>,
    /// What `delay_offsets_json` answers.
    pub delay_offsets_json: String,
    /// The clean-ups asked for (`clean_expired_consume_queues`,
    /// `clean_unused_topics`), in order.
    pub cleanups: Vec<&'static str>,
    /// How many queues each clean-up reports, or the refusal it answers.
    pub cleanup_result: Option<Result<usize, String>>,
    /// Send-backs recorded by `record_send_back`: (group, topic).
    pub send_backs: Vec<(String, String)>,
}

/// The in-memory host. Cheap to clone (clones share state).
#[derive(Debug, Clone, Default)]
pub struct FakeHost {
    state: Arc<Mutex<FakeHostState>>,
}

const STORE_HOST: ([u8; 4], u16) = ([127, 0, 0, 1], 10911);

impl FakeHost {
    /// A host with the broker identity of a default single master
    /// (`DefaultCluster`/`broker-a`, `127.0.0.1:10911`, perm 6), the topic
    /// `TBW102` and no other state.
    pub fn new() -> Self {
        let host = FakeHost::default();
        {
            let mut state = host.state();
            state.identity = BrokerIdentity {
                cluster_name: "DefaultCluster".into(),
                broker_name: "broker-a".into(),
                broker_id: 0,
                broker_addr: "127.0.0.1:10911".into(),
                broker_permission: 6,
                version: crate::codes::BROKER_VERSION,
            };
            let mut default_topic = TopicConfig::new(crate::topics::AUTO_CREATE_TOPIC_KEY);
            default_topic.read_queue_nums = 8;
            default_topic.write_queue_nums = 8;
            default_topic.perm = 7;
            state
                .topics
                .insert(default_topic.topic_name.clone(), default_topic);
        }
        host
    }

    /// The shared state, locked.
    pub fn state(&self) -> MutexGuard<'_, FakeHostState> {
        // A test that panicked while holding the lock has failed already.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A [`Host`] handle over this fake, for plugin `plugin_name`.
    pub fn host(&self, plugin_name: &'static str) -> Host {
        Host::new(Arc::new(self.clone()), plugin_name)
    }

    /// Builds plugin `P` as the broker would: settings parsed from
    /// `settings_json` (the manifest's table as JSON; empty = none), the
    /// constructor run under the panic guard. `Err` carries the refusal.
    pub fn start<P: Plugin>(&self, settings_json: &str) -> Result<P, String> {
        glue::start::<P>(self.host(P::NAME), settings_json)
    }

    /// Sets a broker config value.
    pub fn set_config(&self, key: &str, value: &str) {
        self.state().config.insert(key.to_owned(), value.to_owned());
    }

    /// Adds or replaces a topic.
    pub fn add_topic(&self, config: TopicConfig) {
        self.state()
            .topics
            .insert(config.topic_name.clone(), config);
    }

    /// Adds or replaces a subscription group.
    pub fn add_group(&self, group: SubscriptionGroup) {
        self.state().groups.insert(group.group_name.clone(), group);
    }

    /// Stores a message directly (as if produced earlier); returns its queue offset.
    pub fn store_message(&self, topic: &str, queue_id: i32, body: &[u8], properties: &str) -> i64 {
        let result = self.put_message(&MessageToPut {
            topic,
            queue_id,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: "127.0.0.1:50000",
            body,
            properties,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: false,
        });
        result.queue_offset
    }

    /// Every stored message of `topic`, in store order.
    pub fn messages_in(&self, topic: &str) -> Vec<StoredMessage> {
        self.state()
            .messages
            .iter()
            .filter(|message| message.topic == topic)
            .cloned()
            .collect()
    }

    /// The log lines written so far, `LEVEL plugin: message`.
    pub fn log_lines(&self) -> Vec<String> {
        self.state().log.clone()
    }

    #[allow(clippy::too_many_arguments)]
    fn append(
        state: &mut FakeHostState,
        topic: &str,
        queue_id: i32,
        flag: i32,
        sys_flag: i32,
        born_timestamp: i64,
        born_host: &str,
        body: &[u8],
        properties: &str,
        reconsume_times: i32,
        prepared_transaction_offset: i64,
    ) -> Result<(i64, i64, String), PutStatus> {
        let queue_offset = state
            .messages
            .iter()
            .filter(|message| message.topic == topic && message.queue_id == queue_id)
            .count() as i64;
        let store_timestamp = born_timestamp.max(1_700_000_000_001) + state.messages.len() as i64;
        let store_host = SocketAddr::from(STORE_HOST);
        let encode = RecordToEncode {
            queue_id,
            flag,
            queue_offset,
            physical_offset: state.commit_log_end,
            sys_flag,
            born_timestamp,
            born_host: born_host
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body_crc: body_crc(body),
            body,
            topic,
            properties,
        };
        let mut record = vec![0u8; encode.encoded_len()];
        encode_record_into(&encode, &mut record).map_err(|_| PutStatus::MessageIllegal)?;
        let commit_log_offset = state.commit_log_end;
        state.commit_log_end += record.len() as i64;
        state.messages.push(StoredMessage {
            topic: topic.to_owned(),
            queue_id,
            queue_offset,
            commit_log_offset,
            store_timestamp,
            record,
            body: body.to_vec(),
            properties: properties.to_owned(),
            sys_flag,
            reconsume_times,
        });
        Ok((
            queue_offset,
            commit_log_offset,
            crate::message::offset_msg_id(store_host, commit_log_offset),
        ))
    }

    fn queue_messages<'a>(
        state: &'a FakeHostState,
        topic: &'a str,
        queue_id: i32,
    ) -> impl Iterator<Item = &'a StoredMessage> + 'a {
        state
            .messages
            .iter()
            .filter(move |message| message.topic == topic && message.queue_id == queue_id)
    }
}

impl HostServices for FakeHost {
    fn abi_version(&self) -> String {
        self.state()
            .abi_version
            .clone()
            .unwrap_or_else(|| crate::ffi::ABI_VERSION.to_owned())
    }

    fn client_calls(&self) -> Option<&dyn ClientCalls> {
        let minor = crate::sdk::abi_minor(&self.abi_version());
        (minor >= 1).then_some(self as &dyn ClientCalls)
    }

    // ABI 1.2: broker config update
    fn broker_admin(&self) -> Option<&dyn BrokerAdmin> {
        let minor = crate::sdk::abi_minor(&self.abi_version());
        (minor >= 2).then_some(self as &dyn BrokerAdmin)
    }

    // ABI 1.2: broker stats
    fn operations(&self) -> Option<&dyn Operations> {
        let minor = crate::sdk::abi_minor(&self.abi_version());
        (minor >= 2).then_some(self as &dyn Operations)
    }
}

// ABI 1.2: broker config update
impl BrokerAdmin for FakeHost {
    /// The config map, sorted by key, as `key=value` lines; the version is
    /// `{"counter":<config_version>,"stateVersion":0,"timestamp":0}`.
    fn config_text(&self) -> BrokerConfigText {
        let state = self.state();
        let mut keys: Vec<&String> = state.config.keys().collect();
        keys.sort();
        let mut properties = String::new();
        for key in keys {
            properties.push_str(key);
            properties.push('=');
            properties.push_str(&state.config[key]);
            properties.push('\n');
        }
        BrokerConfigText {
            properties,
            data_version: format!(
                "{{\"counter\":{},\"stateVersion\":0,\"timestamp\":0}}",
                state.config_version
            ),
        }
    }

    fn update_config(&self, entries: &[(String, String)]) -> Result<(), HostError> {
        let mut state = self.state();
        if let Some(reason) = &state.refuse_config_update {
            return Err(HostError::Refused(reason.clone()));
        }
        for (key, value) in entries {
            state.config.insert(key.clone(), value.clone());
        }
        state.config_updates.push(entries.to_vec());
        state.config_version += 1;
        Ok(())
    }

    fn producer_channels(&self, group: &str) -> Vec<LiveChannel> {
        self.state()
            .producer_channels
            .get(group)
            .cloned()
            .unwrap_or_default()
    }

    fn consumer_channels(&self, group: &str) -> Vec<LiveChannel> {
        self.state()
            .consumer_channels
            .get(group)
            .cloned()
            .unwrap_or_default()
    }

    fn delete_subscription_group(&self, group: &str, clean_offset: bool) -> bool {
        let mut state = self.state();
        let existed = state.groups.remove(group).is_some();
        state.forbidden.retain(|(g, _), _| g != group);
        if clean_offset {
            state.offsets.retain(|(g, _, _), _| g != group);
            state.pull_offsets.retain(|(g, _, _), _| g != group);
            state.reset_offsets.retain(|(_, g, _), _| g != group);
        }
        existed
    }

    fn assign_reset_offset(&self, topic: &str, group: &str, queue_id: i32, offset: i64) {
        if topic.is_empty() || group.is_empty() || queue_id < 0 || offset < 0 {
            return;
        }
        let mut state = self.state();
        state
            .reset_offsets
            .insert((topic.to_owned(), group.to_owned(), queue_id), offset);
        state
            .offsets
            .insert((group.to_owned(), topic.to_owned(), queue_id), offset);
    }

    fn take_reset_offset(&self, topic: &str, group: &str, queue_id: i32) -> Option<i64> {
        self.state()
            .reset_offsets
            .remove(&(topic.to_owned(), group.to_owned(), queue_id))
    }

    fn has_offset_reset(&self, topic: &str, group: &str, queue_id: i32) -> bool {
        self.state()
            .reset_offsets
            .contains_key(&(topic.to_owned(), group.to_owned(), queue_id))
    }
}

fn live_channel(channel: &ClientChannel<'_>) -> LiveChannel {
    LiveChannel {
        connection_id: channel.connection_id,
        client_id: channel.client_id.to_owned(),
        client_addr: channel.remote_addr.to_owned(),
        language: channel.language,
        version: channel.version,
    }
}

fn add_channel(channels: &mut Vec<LiveChannel>, channel: &ClientChannel<'_>) {
    channels.retain(|known| known.connection_id != channel.connection_id);
    channels.push(live_channel(channel));
}

// ABI 1.2: broker stats
impl Operations for FakeHost {
    fn stats_item(&self, stats_name: &str, stats_key: &str) -> Option<StatsItemData> {
        self.state()
            .stats_items
            .get(&(stats_name.to_owned(), stats_key.to_owned()))
            .copied()
    }

    fn topic_consumed_by(&self, topic: &str) -> Vec<String> {
        let state = self.state();
        let mut groups: Vec<String> = state
            .consumers
            .iter()
            .filter(|(_, info)| info.subscriptions.iter().any(|s| s.topic == topic))
            .map(|(group, _)| group.clone())
            .chain(
                state
                    .offsets
                    .keys()
                    .filter(|(_, t, _)| t == topic)
                    .map(|(group, _, _)| group.clone()),
            )
            .collect();
        groups.sort();
        groups.dedup();
        groups
    }

    fn delay_offsets_json(&self) -> String {
        self.state().delay_offsets_json.clone()
    }

    fn clean_expired_consume_queues(&self) -> Result<usize, HostError> {
        self.cleanup("clean_expired_consume_queues")
    }

    fn clean_unused_topics(&self) -> Result<usize, HostError> {
        self.cleanup("clean_unused_topics")
    }

    fn record_send_back(&self, group: &str, topic: &str) {
        self.state()
            .send_backs
            .push((group.to_owned(), topic.to_owned()));
    }
}

impl FakeHost {
    fn cleanup(&self, what: &'static str) -> Result<usize, HostError> {
        let mut state = self.state();
        state.cleanups.push(what);
        match state.cleanup_result.clone() {
            None => Ok(0),
            Some(result) => result.map_err(HostError::Refused),
        }
    }
}

impl ClientCalls for FakeHost {
    fn send_oneway(&self, connection_id: u64, request: &ClientRequest) -> Result<(), HostError> {
        let mut state = self.state();
        if state.closed_connections.contains(&connection_id) {
            return Err(HostError::Refused(format!(
                "connection {connection_id} is closed"
            )));
        }
        state.sent_to_clients.push((connection_id, request.clone()));
        Ok(())
    }

    fn invoke(
        &self,
        connection_id: u64,
        request: &ClientRequest,
        timeout_millis: u64,
    ) -> Result<ClientResponse, HostError> {
        self.has_client_invoke()?;
        let mut state = self.state();
        if state.closed_connections.contains(&connection_id) {
            return Err(HostError::Refused(format!(
                "connection {connection_id} is closed"
            )));
        }
        state
            .invoked_clients
            .push((connection_id, request.clone(), timeout_millis));
        state.client_answers.pop_front().unwrap_or_else(|| {
            Err(HostError::Timeout(format!(
                "no answer from connection {connection_id} within {timeout_millis} ms"
            )))
        })
    }

    fn find_client_connection(&self, client_id: &str) -> Result<Option<u64>, HostError> {
        self.has_client_invoke()?;
        let state = self.state();
        Ok(state
            .client_connections
            .get(client_id)
            .copied()
            .filter(|connection| !state.closed_connections.contains(connection)))
    }
}

impl FakeHost {
    /// Whether the fake plays a broker with ABI 1.2's client invoke.
    fn has_client_invoke(&self) -> Result<(), HostError> {
        let abi = self.abi_version();
        if crate::sdk::abi_minor(&abi) >= 2 {
            Ok(())
        } else {
            Err(missing_capability("client_invoke", abi))
        }
    }
}

impl Log for FakeHost {
    fn log(&self, level: LogLevel, plugin: &str, message: &str) {
        let level = match level {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        };
        self.state()
            .log
            .push(format!("{level} {plugin}: {message}"));
    }
}

impl BrokerConfig for FakeHost {
    fn identity(&self) -> BrokerIdentity {
        self.state().identity.clone()
    }

    fn value(&self, key: &str) -> Option<String> {
        self.state().config.get(key).cloned()
    }
}

impl MessageStore for FakeHost {
    fn put_message(&self, message: &MessageToPut<'_>) -> PutResult {
        let mut state = self.state();
        if let Some(status) = state.put_status_override {
            return PutResult::failed(status);
        }
        match FakeHost::append(
            &mut state,
            message.topic,
            message.queue_id,
            message.flag,
            message.sys_flag,
            message.born_timestamp,
            message.born_host,
            message.body,
            message.properties,
            message.reconsume_times,
            message.prepared_transaction_offset,
        ) {
            Ok((queue_offset, wrote_offset, msg_id)) => PutResult {
                status: PutStatus::PutOk,
                wrote_offset,
                msg_ids: vec![msg_id],
                queue_offset,
                msg_num: 1,
                store_timestamp: state.messages.last().map_or(0, |m| m.store_timestamp),
                flush_ticket: (state.sync_flush && message.wait_store).then_some(FlushTicket {
                    flush_offset: state.commit_log_end,
                }),
            },
            Err(status) => PutResult::failed(status),
        }
    }

    fn put_batch(&self, batch: &BatchToPut<'_>) -> PutResult {
        let mut state = self.state();
        if let Some(status) = state.put_status_override {
            return PutResult::failed(status);
        }
        let mut result = PutResult::failed(PutStatus::PutOk);
        for (index, entry) in batch.entries.iter().enumerate() {
            match FakeHost::append(
                &mut state,
                batch.topic,
                batch.queue_id,
                entry.flag,
                batch.sys_flag,
                batch.born_timestamp,
                batch.born_host,
                entry.body,
                entry.properties,
                batch.reconsume_times,
                0,
            ) {
                Ok((queue_offset, wrote_offset, msg_id)) => {
                    if index == 0 {
                        result.queue_offset = queue_offset;
                        result.wrote_offset = wrote_offset;
                    }
                    result.msg_ids.push(msg_id);
                    result.msg_num += 1;
                }
                Err(status) => return PutResult::failed(status),
            }
        }
        result.store_timestamp = state.messages.last().map_or(0, |m| m.store_timestamp);
        result.flush_ticket = (state.sync_flush && batch.wait_store).then_some(FlushTicket {
            flush_offset: state.commit_log_end,
        });
        result
    }

    fn get_messages(&self, request: &GetRequest<'_>) -> GetResult {
        let state = self.state();
        let queue: Vec<&StoredMessage> =
            FakeHost::queue_messages(&state, request.topic, request.queue_id).collect();
        let max_offset = queue.len() as i64;
        let mut result = GetResult {
            status: GetStatus::Found,
            next_begin_offset: request.offset,
            min_offset: 0,
            max_offset,
            body: Vec::new(),
            message_count: 0,
            suggest_pulling_from_slave: false,
        };
        if queue.is_empty() {
            result.status = GetStatus::NoMessageInQueue;
            result.next_begin_offset = 0;
            return result;
        }
        if request.offset < 0 {
            result.status = GetStatus::OffsetTooSmall;
            result.next_begin_offset = 0;
            return result;
        }
        if request.offset == max_offset {
            result.status = GetStatus::OffsetOverflowOne;
            return result;
        }
        if request.offset > max_offset {
            result.status = GetStatus::OffsetOverflowBadly;
            result.next_begin_offset = max_offset;
            return result;
        }
        let max = usize::try_from(request.max_msg_nums.max(1)).unwrap_or(1);
        let mut next = request.offset;
        for message in queue.iter().skip(request.offset as usize) {
            if result.message_count as usize >= max {
                break;
            }
            next = message.queue_offset + 1;
            let tag = find_property(&message.properties, crate::message::properties::TAGS);
            let wanted = request.all_tags || tag.is_some_and(|tag| request.tags.contains(&tag));
            if wanted {
                result.body.extend_from_slice(&message.record);
                result.message_count += 1;
            }
        }
        result.next_begin_offset = next;
        if result.message_count == 0 {
            result.status = GetStatus::NoMatchedMessage;
        }
        result
    }

    fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        FakeHost::queue_messages(&self.state(), topic, queue_id).count() as i64
    }

    fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        let key = (topic.to_owned(), queue_id);
        self.state().min_offsets.get(&key).copied().unwrap_or(0)
    }

    fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let state = self.state();
        let queue: Vec<&StoredMessage> =
            FakeHost::queue_messages(&state, topic, queue_id).collect();
        match boundary {
            BoundaryType::Lower => queue
                .iter()
                .find(|message| message.store_timestamp >= timestamp)
                .map_or(queue.len() as i64, |message| message.queue_offset),
            BoundaryType::Upper => queue
                .iter()
                .rev()
                .find(|message| message.store_timestamp <= timestamp)
                .map_or(0, |message| message.queue_offset),
        }
    }

    fn is_in_memory(&self, topic: &str, queue_id: i32, consume_offset: i64) -> bool {
        consume_offset >= 0 && consume_offset < self.max_offset(topic, queue_id)
    }

    fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        FakeHost::queue_messages(&self.state(), topic, queue_id)
            .find(|message| message.queue_offset == offset)
            .map(|message| message.store_timestamp)
    }

    fn message_by_offset(&self, commit_log_offset: i64) -> Option<Vec<u8>> {
        self.state()
            .messages
            .iter()
            .find(|message| message.commit_log_offset == commit_log_offset)
            .map(|message| message.record.clone())
    }

    fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryResult {
        let state = self.state();
        let mut result = QueryResult::default();
        for message in state.messages.iter().filter(|message| {
            message.topic == topic
                && message.store_timestamp >= begin
                && message.store_timestamp <= end
        }) {
            if result.message_count >= max_num {
                break;
            }
            let keys =
                find_property(&message.properties, crate::message::properties::KEYS).unwrap_or("");
            let unique = find_property(&message.properties, crate::message::properties::UNIQ_KEY)
                .unwrap_or("");
            if keys.split(' ').any(|k| k == key) || unique == key {
                result.body.extend_from_slice(&message.record);
                result.message_count += 1;
                result.index_last_update_timestamp = message.store_timestamp;
                result.index_last_update_phyoffset = message.commit_log_offset;
            }
        }
        result
    }

    fn runtime_info(&self) -> Vec<(String, String)> {
        self.state().runtime_info.clone()
    }
}

impl ConsumerOffsets for FakeHost {
    fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.state()
            .offsets
            .get(&(group.to_owned(), topic.to_owned(), queue_id))
            .copied()
    }

    fn commit(&self, _client_host: &str, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.state()
            .offsets
            .insert((group.to_owned(), topic.to_owned(), queue_id), offset);
    }

    fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.state()
            .pull_offsets
            .insert((group.to_owned(), topic.to_owned(), queue_id), offset);
    }

    fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let key = (group.to_owned(), topic.to_owned(), queue_id);
        let state = self.state();
        state
            .pull_offsets
            .get(&key)
            .or_else(|| state.offsets.get(&key))
            .copied()
    }

    fn topics_of_group(&self, group: &str) -> Vec<String> {
        let mut topics: Vec<String> = self
            .state()
            .offsets
            .keys()
            .filter(|(g, _, _)| g == group)
            .map(|(_, topic, _)| topic.clone())
            .collect();
        topics.sort();
        topics.dedup();
        topics
    }
}

impl TopicsAndGroups for FakeHost {
    fn topic(&self, topic: &str) -> Option<TopicConfig> {
        self.state().topics.get(topic).cloned()
    }

    fn all_topics(&self) -> Vec<TopicConfig> {
        self.state().topics.values().cloned().collect()
    }

    fn create_topic_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        let mut state = self.state();
        if let Some(existing) = state.topics.get(topic) {
            return Some(existing.clone());
        }
        let default = state.topics.get(default_topic)?.clone();
        if !crate::topics::perm::is_inherited(default.perm) {
            return None;
        }
        let queues = queue_nums.min(default.write_queue_nums).max(1);
        let mut config = TopicConfig::new(topic);
        config.read_queue_nums = queues;
        config.write_queue_nums = queues;
        config.perm = default.perm & !crate::topics::perm::INHERIT;
        config.topic_sys_flag = topic_sys_flag;
        state.topics.insert(topic.to_owned(), config.clone());
        Some(config)
    }

    fn create_topic_if_absent(&self, config: &TopicConfig) -> TopicConfig {
        self.state()
            .topics
            .entry(config.topic_name.clone())
            .or_insert_with(|| config.clone())
            .clone()
    }

    fn is_system_topic(&self, topic: &str) -> bool {
        crate::topics::is_system_topic(topic)
    }

    fn update_topic(
        &self,
        config: &TopicConfig,
        _attributes: &[(String, String)],
    ) -> Result<(), HostError> {
        if let Some(refusal) = self.state().refuse_updates.clone() {
            return Err(HostError::Refused(refusal));
        }
        crate::topics::validate_topic_name(&config.topic_name).map_err(HostError::Refused)?;
        self.add_topic(config.clone());
        Ok(())
    }

    fn delete_topic(&self, topic: &str) -> bool {
        let mut state = self.state();
        state.offsets.retain(|(_, t, _), _| t != topic);
        state.topics.remove(topic).is_some()
    }

    fn subscription_group(&self, group: &str, auto_create: bool) -> Option<SubscriptionGroup> {
        let mut state = self.state();
        if let Some(existing) = state.groups.get(group) {
            return Some(existing.clone());
        }
        let allowed = state
            .config
            .get("autoCreateSubscriptionGroup")
            .is_none_or(|value| value == "true");
        if auto_create && allowed {
            let created = SubscriptionGroup::new(group);
            state.groups.insert(group.to_owned(), created.clone());
            return Some(created);
        }
        None
    }

    fn forbidden(&self, group: &str, topic: &str) -> i32 {
        self.state()
            .forbidden
            .get(&(group.to_owned(), topic.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn update_subscription_group(&self, config_json: &[u8]) -> Result<(), HostError> {
        if let Some(refusal) = self.state().refuse_updates.clone() {
            return Err(HostError::Refused(refusal));
        }
        let value: serde_json::Value = serde_json::from_slice(config_json)
            .map_err(|error| HostError::Refused(format!("bad SubscriptionGroupConfig: {error}")))?;
        let name = value
            .get("groupName")
            .and_then(|name| name.as_str())
            .ok_or_else(|| HostError::Refused("groupName is missing".into()))?;
        let mut group = SubscriptionGroup::new(name);
        if let Some(n) = value.get("retryMaxTimes").and_then(|v| v.as_i64()) {
            group.retry_max_times = n as i32;
        }
        if let Some(n) = value.get("retryQueueNums").and_then(|v| v.as_i64()) {
            group.retry_queue_nums = n as i32;
        }
        if let Some(b) = value.get("consumeEnable").and_then(|v| v.as_bool()) {
            group.consume_enable = b;
        }
        self.add_group(group);
        Ok(())
    }

    fn metadata_json(&self, table: MetadataTable) -> String {
        let state = self.state();
        let mut w = JsonWriter::new();
        w.begin_object();
        match table {
            // The tables keyed by name, as Java's wrappers write them.
            MetadataTable::TopicConfigWrapper => {
                w.key("topicConfigTable").begin_object();
                for name in state.topics.keys() {
                    w.key(name)
                        .begin_object()
                        .field_str("topicName", name)
                        .end_object();
                }
                w.end_object();
            }
            MetadataTable::SubscriptionGroupWrapper => {
                w.key("subscriptionGroupTable").begin_object();
                for name in state.groups.keys() {
                    w.key(name)
                        .begin_object()
                        .field_str("groupName", name)
                        .end_object();
                }
                w.end_object();
            }
            MetadataTable::ConsumerOffsets => {
                w.field_int("offsetTable", state.offsets.len() as i64);
            }
        }
        w.end_object();
        w.finish()
    }
}

impl ClientsAndLocks for FakeHost {
    fn register_producer(&self, group: &str, channel: &ClientChannel<'_>) {
        let mut state = self.state();
        state
            .client_connections
            .insert(channel.client_id.to_owned(), channel.connection_id);
        let clients = state.producers.entry(group.to_owned()).or_default();
        if !clients.iter().any(|id| id == channel.client_id) {
            clients.push(channel.client_id.to_owned());
        }
        add_channel(
            state.producer_channels.entry(group.to_owned()).or_default(),
            channel,
        );
    }

    fn register_consumer(
        &self,
        registration: &ConsumerRegistration,
        channel: &ClientChannel<'_>,
    ) -> bool {
        let mut state = self.state();
        state
            .client_connections
            .insert(channel.client_id.to_owned(), channel.connection_id);
        add_channel(
            state
                .consumer_channels
                .entry(registration.group.clone())
                .or_default(),
            channel,
        );
        let connection = Connection {
            client_id: channel.client_id.to_owned(),
            client_addr: channel.remote_addr.to_owned(),
            language: channel.language,
            version: channel.version,
        };
        let connections = state
            .connections
            .entry(registration.group.clone())
            .or_default();
        let new_member = !connections
            .iter()
            .any(|known| known.client_id == connection.client_id);
        if new_member {
            connections.push(connection);
        }
        let info = state
            .consumers
            .entry(registration.group.clone())
            .or_insert_with(|| ConsumerGroupInfo {
                group: registration.group.clone(),
                ..ConsumerGroupInfo::default()
            });
        info.consume_type = registration.consume_type.clone();
        info.message_model = registration.message_model.clone();
        info.consume_from_where = registration.consume_from_where.clone();
        let mut changed = new_member;
        if !registration.keep_subscriptions && info.subscriptions != registration.subscriptions {
            info.subscriptions = registration.subscriptions.clone();
            changed = true;
        }
        if new_member {
            info.client_ids.push(channel.client_id.to_owned());
        }
        changed
    }

    fn unregister_client(
        &self,
        client_id: &str,
        _connection_id: u64,
        producer_group: &str,
        consumer_group: &str,
    ) {
        let mut guard = self.state();
        let state = &mut *guard;
        if let Some(clients) = state.producers.get_mut(producer_group) {
            clients.retain(|id| id != client_id);
        }
        if let Some(info) = state.consumers.get_mut(consumer_group) {
            info.client_ids.retain(|id| id != client_id);
        }
        if let Some(connections) = state.connections.get_mut(consumer_group) {
            connections.retain(|connection| connection.client_id != client_id);
        }
        for (group, channels) in [
            (producer_group, &mut state.producer_channels),
            (consumer_group, &mut state.consumer_channels),
        ] {
            if let Some(list) = channels.get_mut(group) {
                list.retain(|channel| channel.client_id != client_id);
                if list.is_empty() {
                    channels.remove(group);
                }
            }
        }
    }

    fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        self.state().consumers.get(group).cloned()
    }

    fn consumer_connections(&self, group: &str) -> Vec<Connection> {
        self.state()
            .connections
            .get(group)
            .cloned()
            .unwrap_or_default()
    }

    fn swap_heartbeat_fingerprint(&self, group: &str, fingerprint: i64) -> Option<i64> {
        self.state()
            .fingerprints
            .insert(group.to_owned(), fingerprint)
    }

    fn lock_queues(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
    ) -> Vec<MessageQueue> {
        let mut state = self.state();
        let mut locked = Vec::new();
        for queue in queues {
            let owner = state
                .locks
                .entry((group.to_owned(), queue.clone()))
                .or_insert_with(|| client_id.to_owned());
            if owner == client_id {
                locked.push(queue.clone());
            }
        }
        locked
    }

    fn unlock_queues(&self, group: &str, client_id: &str, queues: &[MessageQueue]) {
        let mut state = self.state();
        for queue in queues {
            let key = (group.to_owned(), queue.clone());
            if state
                .locks
                .get(&key)
                .is_some_and(|owner| owner == client_id)
            {
                state.locks.remove(&key);
            }
        }
    }

    fn group_has_live_lock(&self, group: &str) -> bool {
        self.state().locks.keys().any(|(g, _)| g == group)
    }
}
