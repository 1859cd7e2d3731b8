//! The admin processor: the codes RocketMQ's admin tools (mqadmin, the
//! dashboard) send to a broker, with Java's bodies (RocketMQ 5.x
//! `AdminBrokerProcessor`).
//!
//! - UPDATE_AND_CREATE_TOPIC (17), GET_ALL_TOPIC_CONFIG (21),
//!   DELETE_TOPIC_IN_BROKER (215);
//! - GET_BROKER_RUNTIME_INFO (28): `KVTable`;
//! - GET_ALL_CONSUMER_OFFSET (43);
//! - UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200),
//!   GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201);
//! - GET_TOPIC_STATS_INFO (202), GET_CONSUME_STATS (208): `TopicStatsTable`
//!   and `ConsumeStats`, whose `MessageQueue`-keyed maps are written in
//!   fastjson's object-key form;
//! - GET_CONSUMER_CONNECTION_LIST (203): `ConsumerConnection`;
//! - GET_BROKER_CONFIG (26), UPDATE_BROKER_CONFIG (25): [`broker_config`];
//! - DELETE_SUBSCRIPTIONGROUP (207): [`groups`];
//! - GET_PRODUCER_CONNECTION_LIST (204): [`producers`];
//! - INVOKE_BROKER_TO_RESET_OFFSET (222): [`reset_offset`];
//! - INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223), GET_CONSUMER_RUNNING_INFO
//!   (307), CONSUME_MESSAGE_DIRECTLY (309): [`client_status`].
//!
//! Stats and clean-up codes, each in its module, over the host's ABI 1.2
//! `operations` capability: VIEW_BROKER_STATS_DATA (315, [`stats_data`]),
//! QUERY_TOPIC_CONSUME_BY_WHO (300, [`consume_by_who`]),
//! GET_BROKER_CONSUME_STATS (317, [`broker_consume_stats`]),
//! GET_ALL_DELAY_OFFSET (45, [`delay_offset`]), CLEAN_EXPIRED_CONSUMEQUEUE
//! (306) and CLEAN_UNUSED_TOPIC (316, [`cleanup`]); QUERY_TOPICS_BY_CONSUMER
//! (343, [`topics_by_consumer`]).
//!
//! Topic and group state lives in the host (metadata managers, store,
//! client registry); topic changes reach the name servers through the
//! host's registration service.

mod broker_config;
pub mod broker_consume_stats;
pub mod cleanup;
mod client_status;
pub mod consume_by_who;
pub mod delay_offset;
mod groups;
mod ops;
mod producers;
mod reset_offset;
pub mod stats_data;
pub mod topics_by_consumer;

use std::collections::{BTreeMap, BTreeSet};

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::serde_json::{self, Value};
use plugin_api::sdk::topics::validate_topic_name;
use plugin_api::sdk::{
    Host, MetadataTable, NoSettings, Outcome, Plugin, ProcessError, Processor, Request, Response,
    ResponseCode, StartError, Subscription, TopicConfig,
};

/// `MQVersion.getVersionDesc` of a client's or the broker's version
/// ordinal (`V<ordinal>` for a negative one, which Java cannot name).
pub(crate) fn version_desc(version: i32) -> String {
    plugin_api::sdk::codes::mq_version_name(version).unwrap_or_else(|| format!("V{version}"))
}

/// What Java answers when `updateAndCreateSubscriptionGroup` meets a null
/// config or group name: the NullPointerException's
/// `UtilAll.exceptionSimpleDesc` (JDK 8 wording), as SYSTEM_ERROR.
const NPE_NO_CONFIG: &str = "java.lang.NullPointerException, org.apache.rocketmq.broker.processor.AdminBrokerProcessor.updateAndCreateSubscriptionGroup(AdminBrokerProcessor.java:1520)";
const NPE_NO_GROUP_NAME: &str =
    "java.lang.NullPointerException, java.util.concurrent.ConcurrentHashMap.get(ConcurrentHashMap.java:936)";

/// `AttributeParser.parseToMap`: `+key1=value1,+key2=value2,-key3`.
pub fn parse_attributes(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut attributes: Vec<(String, String)> = Vec::new();
    if text.is_empty() {
        return Ok(attributes);
    }
    for kv in text.split(',') {
        let (key, value) = match kv.split_once('=') {
            Some((key, value)) => {
                if !key.contains('+') {
                    return Err(format!("add/alter attribute format is wrong: {key}"));
                }
                (key, value)
            }
            None => {
                if !kv.contains('-') {
                    return Err(format!("delete attribute format is wrong: {kv}"));
                }
                (kv, "")
            }
        };
        if attributes.iter().any(|(k, _)| k == key) {
            return Err(format!("key duplication: {key}"));
        }
        attributes.push((key.to_owned(), value.to_owned()));
    }
    Ok(attributes)
}

fn invalid(remark: impl Into<String>) -> ProcessError {
    ProcessError::respond(ResponseCode::INVALID_PARAMETER, remark)
}

fn system_error(remark: impl Into<String>) -> ProcessError {
    ProcessError::respond(ResponseCode::SYSTEM_ERROR, remark)
}

/// The admin processor.
pub struct AdminPlugin {
    host: Host,
    broker_name: String,
    validate_system_topic: bool,
    mixed_message_type: bool,
}

impl Plugin for AdminPlugin {
    const NAME: &'static str = "admin";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] = &[
        request_code::UPDATE_AND_CREATE_TOPIC,
        request_code::GET_ALL_TOPIC_CONFIG,
        request_code::GET_BROKER_RUNTIME_INFO,
        request_code::GET_ALL_CONSUMER_OFFSET,
        request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        request_code::GET_TOPIC_STATS_INFO,
        request_code::GET_CONSUMER_CONNECTION_LIST,
        request_code::GET_CONSUME_STATS,
        request_code::DELETE_TOPIC_IN_BROKER,
        request_code::UPDATE_BROKER_CONFIG,
        request_code::GET_BROKER_CONFIG,
        request_code::DELETE_SUBSCRIPTIONGROUP,
        request_code::GET_PRODUCER_CONNECTION_LIST,
        request_code::INVOKE_BROKER_TO_RESET_OFFSET,
        request_code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
        request_code::GET_CONSUMER_RUNNING_INFO,
        request_code::CONSUME_MESSAGE_DIRECTLY,
        // Stats and clean-up (their own modules).
        request_code::VIEW_BROKER_STATS_DATA,
        request_code::QUERY_TOPIC_CONSUME_BY_WHO,
        request_code::GET_BROKER_CONSUME_STATS,
        request_code::GET_ALL_DELAY_OFFSET,
        request_code::CLEAN_EXPIRED_CONSUMEQUEUE,
        request_code::CLEAN_UNUSED_TOPIC,
        request_code::QUERY_TOPICS_BY_CONSUMER,
    ];
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let broker_name = host.identity().broker_name;
        Ok(AdminPlugin {
            validate_system_topic: host.config_or("validateSystemTopicWhenUpdateTopic", true),
            mixed_message_type: host.config_or("enableMixedMessageType", false),
            broker_name,
            host,
        })
    }
}

impl Processor for AdminPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let response = match request.code() {
            request_code::UPDATE_AND_CREATE_TOPIC => self.update_and_create_topic(request)?,
            request_code::GET_ALL_TOPIC_CONFIG => self.all_topic_config(),
            request_code::GET_BROKER_RUNTIME_INFO => self.runtime_info(),
            request_code::GET_ALL_CONSUMER_OFFSET => self.all_consumer_offset(),
            request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => {
                self.update_and_create_subscription_group(request)?
            }
            request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => self.all_subscription_groups(),
            request_code::GET_TOPIC_STATS_INFO => self.topic_stats(request)?,
            request_code::GET_CONSUMER_CONNECTION_LIST => self.consumer_connections(request)?,
            request_code::GET_CONSUME_STATS => self.consume_stats(request)?,
            request_code::DELETE_TOPIC_IN_BROKER => self.delete_topic(request)?,
            request_code::UPDATE_BROKER_CONFIG => self.update_broker_config(request)?,
            request_code::GET_BROKER_CONFIG => self.get_broker_config()?,
            request_code::DELETE_SUBSCRIPTIONGROUP => self.delete_subscription_group(request)?,
            request_code::GET_PRODUCER_CONNECTION_LIST => self.producer_connections(request)?,
            request_code::INVOKE_BROKER_TO_RESET_OFFSET => self.reset_offset(request)?,
            request_code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS => self.consumer_status(request)?,
            request_code::GET_CONSUMER_RUNNING_INFO => self.consumer_running_info(request)?,
            request_code::CONSUME_MESSAGE_DIRECTLY => self.consume_message_directly(request)?,
            request_code::VIEW_BROKER_STATS_DATA => {
                stats_data::view_broker_stats_data(&self.host, request)?
            }
            request_code::QUERY_TOPIC_CONSUME_BY_WHO => {
                consume_by_who::query_topic_consume_by_who(&self.host, request)?
            }
            request_code::GET_BROKER_CONSUME_STATS => {
                broker_consume_stats::broker_consume_stats(&self.host, &self.broker_name, request)?
            }
            request_code::GET_ALL_DELAY_OFFSET => delay_offset::all_delay_offset(&self.host)?,
            request_code::CLEAN_EXPIRED_CONSUMEQUEUE => {
                cleanup::clean_expired_consume_queue(&self.host)?
            }
            request_code::CLEAN_UNUSED_TOPIC => cleanup::clean_unused_topic(&self.host)?,
            request_code::QUERY_TOPICS_BY_CONSUMER => {
                topics_by_consumer::query_topics_by_consumer(&self.host, request)?
            }
            other => {
                return Err(ProcessError::respond(
                    ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                    format!(" request type {other} not supported"),
                ))
            }
        };
        Ok(response.into())
    }
}

impl AdminPlugin {
    /// UPDATE_AND_CREATE_TOPIC (17): `CreateTopicRequestHeader`.
    fn update_and_create_topic(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let topic: String = request.required("topic")?;
        let _default_topic: String = request.required("defaultTopic")?;
        let read_queue_nums: i32 = request.required("readQueueNums")?;
        let write_queue_nums: i32 = request.required("writeQueueNums")?;
        let perm: i32 = request.required("perm")?;
        let filter_type: String = request.required("topicFilterType")?;
        let topic_filter_type = match filter_type.as_str() {
            "SINGLE_TAG" => 0,
            "MULTI_TAG" => 1,
            _ => {
                return Err(system_error(format!(
                    "topicFilterType = [{filter_type}] value invalid"
                )))
            }
        };
        let topic_sys_flag: i32 = request.optional("topicSysFlag")?.unwrap_or(0);
        let order: bool = request.required("order")?;
        let attributes: Option<String> = request.optional("attributes")?;
        self.host.info(&format!(
            "receive request to update or create topic={topic}, caller address={}",
            request.remote_addr()
        ));

        validate_topic_name(&topic).map_err(invalid)?;
        if self.validate_system_topic && self.host.topics().is_system_topic(&topic) {
            return Err(invalid(format!(
                "The topic[{topic}] is conflict with system topic."
            )));
        }
        let attributes =
            parse_attributes(attributes.as_deref().unwrap_or("")).map_err(system_error)?;
        if !self.mixed_message_type
            && attributes
                .iter()
                .any(|(k, v)| k == "+message.type" && v == "MIXED")
        {
            return Err(invalid("MIXED message type is not supported."));
        }
        let config = TopicConfig {
            topic_name: topic.clone(),
            read_queue_nums,
            write_queue_nums,
            perm,
            topic_filter_type,
            topic_sys_flag,
            order,
        };
        if attributes.is_empty() && self.host.topics().topic(&topic).as_ref() == Some(&config) {
            self.host
                .info(&format!("topic {topic} unchanged (idempotent update)"));
            return Ok(Response::success());
        }
        self.host
            .topics()
            .update_topic(&config, &attributes)
            .map_err(|error| system_error(error.to_string()))?;
        Ok(Response::success())
    }

    /// GET_ALL_TOPIC_CONFIG (21): `TopicConfigAndMappingSerializeWrapper`.
    fn all_topic_config(&self) -> Response {
        let total = self.host.topics().all_topics().len();
        let body = self
            .host
            .topics()
            .metadata_json(MetadataTable::TopicConfigWrapper);
        if body.trim().is_empty() {
            return Response::error(ResponseCode::SYSTEM_ERROR, "No topic in this broker");
        }
        Response::success()
            .with_field("totalTopicNum", total)
            .with_body(body.into_bytes())
    }

    /// DELETE_TOPIC_IN_BROKER (215): the topic's config and consumer offsets.
    fn delete_topic(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let topic: String = request.required("topic")?;
        self.host.info(&format!(
            "receive request to delete topic={topic}, caller={}",
            request.remote_addr()
        ));
        if topic.trim().is_empty() {
            return Err(invalid("The specified topic is blank."));
        }
        if self.validate_system_topic && self.host.topics().is_system_topic(&topic) {
            return Err(invalid(format!(
                "The topic[{topic}] is conflict with system topic."
            )));
        }
        if !self.host.topics().delete_topic(&topic) {
            self.host
                .warn(&format!("delete topic {topic}: the topic does not exist"));
        }
        Ok(Response::success())
    }

    /// GET_BROKER_RUNTIME_INFO (28): `KVTable` `{"table":{…}}`, values text.
    fn runtime_info(&self) -> Response {
        let mut table: BTreeMap<String, String> =
            self.host.store().runtime_info().into_iter().collect();
        let identity = self.host.identity();
        table.insert("brokerVersionDesc".into(), version_desc(identity.version));
        table.insert("brokerVersion".into(), identity.version.to_string());
        // `isSpecialServiceRunning`: the master's delay/transaction services.
        let is_slave = self
            .host
            .config()
            .value("brokerRole")
            .is_some_and(|role| role == "SLAVE");
        table.insert("brokerActive".into(), (!is_slave).to_string());
        table.insert(
            "startAcceptSendRequestTimeStamp".into(),
            self.host
                .config()
                .value("startAcceptSendRequestTimeStamp")
                .unwrap_or_else(|| "0".into()),
        );
        // Java's values for a disabled or idle timer store; this broker's
        // timer service (broker-host/src/timer.rs) keeps no such counters yet.
        for (key, value) in [
            ("timerReadBehind", "0"),
            ("timerOffsetBehind", "0"),
            ("timerCongestNum", "0"),
            ("timerEnqueueTps", "0.0"),
            ("timerDequeueTps", "0.0"),
        ] {
            table.insert(key.into(), value.into());
        }
        for (key, config_key) in [
            ("sendThreadPoolQueueCapacity", "sendThreadPoolQueueCapacity"),
            ("pullThreadPoolQueueCapacity", "pullThreadPoolQueueCapacity"),
            (
                "litePullThreadPoolQueueCapacity",
                "litePullThreadPoolQueueCapacity",
            ),
            (
                "queryThreadPoolQueueCapacity",
                "queryThreadPoolQueueCapacity",
            ),
            ("ackThreadPoolQueueCapacity", "ackThreadPoolQueueCapacity"),
        ] {
            if let Some(value) = self.host.config().value(config_key) {
                table.insert(key.into(), value);
            }
        }
        let mut w = JsonWriter::new();
        w.begin_object().key("table").begin_object();
        for (key, value) in &table {
            w.field_str(key, value);
        }
        w.end_object().end_object();
        Response::success().with_body(w.into_bytes())
    }

    /// GET_ALL_CONSUMER_OFFSET (43): `ConsumerOffsetManager.encode()`.
    fn all_consumer_offset(&self) -> Response {
        let body = self
            .host
            .topics()
            .metadata_json(MetadataTable::ConsumerOffsets);
        if body.is_empty() {
            return Response::error(
                ResponseCode::SYSTEM_ERROR,
                "No consumer offset in this broker",
            );
        }
        Response::success().with_body(body.into_bytes())
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): body = `SubscriptionGroupConfig`.
    /// Java 5.3.3 stores the decoded config as it is: no check of the group
    /// name (`updateSubscriptionGroupConfig`). No body: the config is null
    /// and the handler's log line throws a NullPointerException; no group
    /// name: the table lookup throws one (SYSTEM_ERROR either way).
    fn update_and_create_subscription_group(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        self.host.info(&format!(
            "updateAndCreateSubscriptionGroup called by {}",
            request.remote_addr()
        ));
        let body = request.body();
        if body.is_empty() {
            return Err(system_error(NPE_NO_CONFIG));
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            system_error(format!(
                "the request body is not a SubscriptionGroupConfig JSON object: {e}"
            ))
        })?;
        if value.get("groupName").is_none_or(Value::is_null) {
            return Err(system_error(NPE_NO_GROUP_NAME));
        }
        self.host
            .topics()
            .update_subscription_group(body)
            .map_err(|error| system_error(error.to_string()))?;
        Ok(Response::success())
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): `SubscriptionGroupWrapper`.
    fn all_subscription_groups(&self) -> Response {
        let body = self
            .host
            .topics()
            .metadata_json(MetadataTable::SubscriptionGroupWrapper);
        if body.trim().is_empty() {
            return Response::error(
                ResponseCode::SYSTEM_ERROR,
                "No subscription group in this broker",
            );
        }
        let total = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("subscriptionGroupTable")
                    .and_then(Value::as_object)
                    .map(|t| t.len())
            })
            .unwrap_or(0);
        Response::success()
            .with_field("totalGroupNum", total)
            .with_body(body.into_bytes())
    }

    /// GET_TOPIC_STATS_INFO (202): `TopicStatsTable`.
    fn topic_stats(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let topic: String = request.required("topic")?;
        let Some(config) = self.host.topics().topic(&topic) else {
            return Err(ProcessError::respond(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("topic[{topic}] not exist"),
            ));
        };
        let queues = config.read_queue_nums.max(config.write_queue_nums);
        let store = self.host.store();
        let mut w = JsonWriter::new();
        w.begin_object().key("offsetTable").begin_object();
        for queue_id in 0..queues.max(0) {
            let min = store.min_offset(&topic, queue_id).max(0);
            let max = store.max_offset(&topic, queue_id).max(0);
            let timestamp = if max > 0 {
                // -1 when the newest message is gone, as Java's getMessageStoreTimeStamp.
                store
                    .message_store_time(&topic, queue_id, max - 1)
                    .unwrap_or(-1)
            } else {
                0
            };
            w.message_queue_key(&self.broker_name, queue_id, &topic)
                .begin_object()
                .field_int("lastUpdateTimestamp", timestamp)
                .field_int("maxOffset", max)
                .field_int("minOffset", min)
                .end_object();
        }
        w.end_object();
        w.field_double(
            "topicPutTps",
            ops::minute_tps(&self.host, "TOPIC_PUT_NUMS", &topic),
        )
        .end_object();
        Ok(Response::success().with_body(w.into_bytes()))
    }

    /// GET_CONSUMER_CONNECTION_LIST (203): `ConsumerConnection`.
    fn consumer_connections(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let clients = self.host.clients();
        let Some(info) = clients.consumer_group(&group) else {
            return Err(ProcessError::respond(
                ResponseCode::CONSUMER_NOT_ONLINE,
                format!("the consumer group[{group}] not online"),
            ));
        };
        let connections = clients.consumer_connections(&group);
        let mut w = JsonWriter::new();
        w.begin_object().key("connectionSet").begin_array();
        for c in connections.iter() {
            w.begin_object()
                .field_str("clientAddr", c.client_addr.as_str())
                .field_str("clientId", c.client_id.as_str())
                .field_str("language", LanguageCode::from_byte(c.language).name())
                .field_int("version", i64::from(c.version))
                .end_object();
        }
        w.end_array();
        if !info.consume_from_where.is_empty() {
            w.field_str("consumeFromWhere", info.consume_from_where.as_str());
        }
        if !info.consume_type.is_empty() {
            w.field_str("consumeType", info.consume_type.as_str());
        }
        if !info.message_model.is_empty() {
            w.field_str("messageModel", info.message_model.as_str());
        }
        w.key("subscriptionTable").begin_object();
        let mut subscriptions: Vec<&Subscription> = info.subscriptions.iter().collect();
        subscriptions.sort_by(|a, b| a.topic.cmp(&b.topic));
        for sub in subscriptions {
            w.key(sub.topic.as_str()).begin_object();
            w.field_bool("classFilterMode", false);
            w.key("codeSet").begin_array();
            for code in sub.codes.iter() {
                w.int(i64::from(*code));
            }
            w.end_array();
            w.field_str("expressionType", sub.expression_type.as_str());
            w.field_str("subString", sub.sub_string.as_str());
            w.field_int("subVersion", sub.sub_version);
            w.key("tagsSet").begin_array();
            for tag in sub.tags.iter() {
                w.string(tag.as_str());
            }
            w.end_array();
            w.field_str("topic", sub.topic.as_str());
            w.end_object();
        }
        w.end_object().end_object();
        Ok(Response::success().with_body(w.into_bytes()))
    }

    /// GET_CONSUME_STATS (208): `ConsumeStats`.
    fn consume_stats(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let topic: Option<String> = request.optional("topic")?;
        let topic_list: Option<String> = request.optional("topicList")?;

        let listed: Vec<String> = topic_list
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let topics: BTreeSet<String> = if !listed.is_empty() {
            // A provided list skips the subscription check (Java).
            listed.into_iter().collect()
        } else {
            let mut topics: BTreeSet<String> = match topic.filter(|t| !t.trim().is_empty()) {
                Some(topic) => [topic].into(),
                None => self
                    .host
                    .offsets()
                    .topics_of_group(&group)
                    .into_iter()
                    .collect(),
            };
            if let Some(info) = self.host.clients().consumer_group(&group) {
                if !info.subscriptions.is_empty() {
                    topics.retain(|t| info.subscriptions.iter().any(|s| &s.topic == t));
                }
            }
            topics
        };

        // `tpsGroupGetNums(group, topic)` summed over the topics reported.
        let consume_tps: f64 = topics
            .iter()
            .filter(|topic| self.host.topics().topic(topic).is_some())
            .map(|topic| {
                let key = format!("{topic}@{group}");
                ops::minute_tps(&self.host, "GROUP_GET_NUMS", &key)
            })
            .fold(0.0, |sum, tps| sum + tps);
        let mut w = JsonWriter::new();
        w.begin_object().field_double("consumeTps", consume_tps);
        w.key("offsetTable").begin_object();
        for topic in &topics {
            let Some(config) = self.host.topics().topic(topic) else {
                self.host.warn(&format!(
                    "getConsumeStats: topic config does not exist, topic={topic}"
                ));
                continue;
            };
            let store = self.host.store();
            let offsets = self.host.offsets();
            for queue_id in 0..config.read_queue_nums.max(0) {
                let broker_offset = store.max_offset(topic, queue_id).max(0);
                let consumer_offset = offsets.query(&group, topic, queue_id).unwrap_or(0).max(0);
                let pull_offset = offsets
                    .query_pull_offset(&group, topic, queue_id)
                    .unwrap_or(-1);
                let last_timestamp = if consumer_offset > 0 {
                    store
                        .message_store_time(topic, queue_id, consumer_offset - 1)
                        .map_or(0, |timestamp| timestamp.max(0))
                } else {
                    0
                };
                w.message_queue_key(&self.broker_name, queue_id, topic)
                    .begin_object()
                    .field_int("brokerOffset", broker_offset)
                    .field_int("consumerOffset", consumer_offset)
                    .field_int("lastTimestamp", last_timestamp)
                    .field_int("pullOffset", consumer_offset.max(pull_offset))
                    .end_object();
            }
        }
        w.end_object().end_object();
        Ok(Response::success().with_body(w.into_bytes()))
    }
}

plugin_api::export_plugin!(AdminPlugin);

#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_stats;
