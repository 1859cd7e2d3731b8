//! Metric and label names as Apache RocketMQ 5 spells them
//! (`BrokerMetricsConstant`, `RemotingMetricsConstant`,
//! `DefaultStoreMetricsConstant`), the platform's own, and the label values
//! Java derives from request codes, response codes, languages and versions.

use std::collections::HashMap;
use std::sync::OnceLock;

use plugin_api::codec::LanguageCode;
use plugin_api::codes::{request_code, response_code};

// `BrokerMetricsConstant`.
/// `COUNTER_MESSAGES_IN_TOTAL`.
pub const MESSAGES_IN: &str = "rocketmq_messages_in_total";
/// `COUNTER_MESSAGES_OUT_TOTAL`.
pub const MESSAGES_OUT: &str = "rocketmq_messages_out_total";
/// `COUNTER_THROUGHPUT_IN_TOTAL` (bytes).
pub const THROUGHPUT_IN: &str = "rocketmq_throughput_in_total";
/// `COUNTER_THROUGHPUT_OUT_TOTAL` (bytes).
pub const THROUGHPUT_OUT: &str = "rocketmq_throughput_out_total";
/// `HISTOGRAM_MESSAGE_SIZE` (bytes).
pub const MESSAGE_SIZE: &str = "rocketmq_message_size";
/// `GAUGE_PROCESSOR_WATERMARK`: requests waiting in a processor's queue.
pub const PROCESSOR_WATERMARK: &str = "rocketmq_processor_watermark";
/// `GAUGE_BROKER_PERMISSION`.
pub const BROKER_PERMISSION: &str = "rocketmq_broker_permission";
/// `GAUGE_TOPIC_NUM`.
pub const TOPIC_NUM: &str = "rocketmq_topic_number";
/// `GAUGE_CONSUMER_GROUP_NUM`.
pub const CONSUMER_GROUP_NUM: &str = "rocketmq_consumer_group_number";
/// `GAUGE_PRODUCER_CONNECTIONS`.
pub const PRODUCER_CONNECTIONS: &str = "rocketmq_producer_connections";
/// `GAUGE_CONSUMER_CONNECTIONS`.
pub const CONSUMER_CONNECTIONS: &str = "rocketmq_consumer_connections";
/// `GAUGE_CONSUMER_LAG_MESSAGES`.
pub const CONSUMER_LAG_MESSAGES: &str = "rocketmq_consumer_lag_messages";
/// `GAUGE_CONSUMER_LAG_LATENCY` (ms).
pub const CONSUMER_LAG_LATENCY: &str = "rocketmq_consumer_lag_latency";
/// `GAUGE_CONSUMER_INFLIGHT_MESSAGES`.
pub const CONSUMER_INFLIGHT_MESSAGES: &str = "rocketmq_consumer_inflight_messages";
/// `GAUGE_CONSUMER_QUEUEING_LATENCY` (ms).
pub const CONSUMER_QUEUEING_LATENCY: &str = "rocketmq_consumer_queueing_latency";
/// `GAUGE_CONSUMER_READY_MESSAGES`.
pub const CONSUMER_READY_MESSAGES: &str = "rocketmq_consumer_ready_messages";

// `RemotingMetricsConstant`.
/// `HISTOGRAM_RPC_LATENCY` (ms).
pub const RPC_LATENCY: &str = "rocketmq_rpc_latency";

// `DefaultStoreMetricsConstant`.
/// `GAUGE_STORAGE_SIZE` (bytes).
pub const STORAGE_SIZE: &str = "rocketmq_storage_size";
/// `GAUGE_STORAGE_FLUSH_BEHIND` (bytes).
pub const STORAGE_FLUSH_BEHIND: &str = "rocketmq_storage_flush_behind_bytes";
/// `GAUGE_STORAGE_DISPATCH_BEHIND` (bytes).
pub const STORAGE_DISPATCH_BEHIND: &str = "rocketmq_storage_dispatch_behind_bytes";

// This broker's own: one series per processor of the dispatch table.
/// Requests waiting in the processor's queue.
pub const PLUGIN_QUEUE_DEPTH: &str = "rocketmq_plugin_queue_depth";
/// The processor's queue capacity.
pub const PLUGIN_QUEUE_CAPACITY: &str = "rocketmq_plugin_queue_capacity";
/// Requests the processor ran (since this version was loaded).
pub const PLUGIN_SERVED: &str = "rocketmq_plugin_requests_served_total";
/// Requests that ended in an error answer.
pub const PLUGIN_ERRORS: &str = "rocketmq_plugin_errors_total";
/// SYSTEM_BUSY answers (queue full or waited too long).
pub const PLUGIN_BUSY: &str = "rocketmq_plugin_busy_total";
/// Panics caught.
pub const PLUGIN_PANICS: &str = "rocketmq_plugin_panics_total";
/// Times a new version replaced the running one under this name.
pub const PLUGIN_RELOADS: &str = "rocketmq_plugin_reloads_total";
/// 1 per loaded processor, its versions in labels.
pub const PLUGIN_INFO: &str = "rocketmq_plugin_info";

// Label names (`BrokerMetricsConstant`, `RemotingMetricsConstant`,
// `DefaultStoreMetricsConstant`).
/// `LABEL_CLUSTER_NAME`.
pub const LABEL_CLUSTER: &str = "cluster";
/// `LABEL_NODE_TYPE`.
pub const LABEL_NODE_TYPE: &str = "node_type";
/// `NODE_TYPE_BROKER`.
pub const NODE_TYPE_BROKER: &str = "broker";
/// `LABEL_NODE_ID` (Java puts the broker name there).
pub const LABEL_NODE_ID: &str = "node_id";
/// `LABEL_PROCESSOR`.
pub const LABEL_PROCESSOR: &str = "processor";
/// `LABEL_TOPIC`.
pub const LABEL_TOPIC: &str = "topic";
/// `LABEL_IS_RETRY`.
pub const LABEL_IS_RETRY: &str = "is_retry";
/// `LABEL_IS_SYSTEM`.
pub const LABEL_IS_SYSTEM: &str = "is_system";
/// `LABEL_CONSUMER_GROUP`.
pub const LABEL_CONSUMER_GROUP: &str = "consumer_group";
/// `LABEL_MESSAGE_TYPE`.
pub const LABEL_MESSAGE_TYPE: &str = "message_type";
/// `LABEL_LANGUAGE`.
pub const LABEL_LANGUAGE: &str = "language";
/// `LABEL_VERSION` (a client's version for connections, a plugin's version
/// for the platform's metrics).
pub const LABEL_VERSION: &str = "version";
/// `LABEL_CONSUME_MODE`.
pub const LABEL_CONSUME_MODE: &str = "consume_mode";
/// `LABEL_PROTOCOL_TYPE`.
pub const LABEL_PROTOCOL_TYPE: &str = "protocol_type";
/// `PROTOCOL_TYPE_REMOTING`.
pub const PROTOCOL_TYPE_REMOTING: &str = "remoting";
/// `LABEL_REQUEST_CODE`.
pub const LABEL_REQUEST_CODE: &str = "request_code";
/// `LABEL_RESPONSE_CODE`.
pub const LABEL_RESPONSE_CODE: &str = "response_code";
/// `LABEL_IS_LONG_POLLING`.
pub const LABEL_IS_LONG_POLLING: &str = "is_long_polling";
/// `LABEL_RESULT`.
pub const LABEL_RESULT: &str = "result";
/// `RESULT_SUCCESS`: the answer was handed to the connection.
pub const RESULT_SUCCESS: &str = "success";
/// `RESULT_ONEWAY`: a oneway request (nothing is written back).
pub const RESULT_ONEWAY: &str = "oneway";
/// `LABEL_STORAGE_TYPE`.
pub const LABEL_STORAGE_TYPE: &str = "storage_type";
/// `DEFAULT_STORAGE_TYPE`.
pub const STORAGE_TYPE_LOCAL: &str = "local";
/// `LABEL_STORAGE_MEDIUM`.
pub const LABEL_STORAGE_MEDIUM: &str = "storage_medium";
/// `DEFAULT_STORAGE_MEDIUM`.
pub const STORAGE_MEDIUM_DISK: &str = "disk";
/// `MixAll.CID_RMQ_SYS_PREFIX`: groups of the broker's own (`is_system`).
pub const SYSTEM_GROUP_PREFIX: &str = "CID_RMQ_SYS_";
/// The previous version of a plugin (empty when there is none).
pub const LABEL_PREVIOUS_VERSION: &str = "previous_version";

/// `TopicMessageType.getMetricsValue()` of a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `NORMAL`.
    Normal,
    /// `FIFO` (has a sharding key).
    Fifo,
    /// `DELAY` (delay level or timer properties).
    Delay,
    /// `TRANSACTION` (a half message).
    Transaction,
}

impl MessageType {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Normal => "normal",
            MessageType::Fifo => "fifo",
            MessageType::Delay => "delay",
            MessageType::Transaction => "transaction",
        }
    }
}

/// Lists codes with their Java constant names, lowercased once (Java's
/// `REQUEST_CODE_MAP` / `RESPONSE_CODE_MAP` are built by reflection over the
/// constants the same way).
macro_rules! code_names {
    ($module:ident: $($name:ident),* $(,)?) => {
        &[$(($module::$name, stringify!($name))),*]
    };
}

const REQUEST_CODES: &[(i32, &str)] = code_names!(request_code:
    SEND_MESSAGE, PULL_MESSAGE, QUERY_MESSAGE, QUERY_BROKER_OFFSET, QUERY_CONSUMER_OFFSET,
    UPDATE_CONSUMER_OFFSET, UPDATE_AND_CREATE_TOPIC, UPDATE_AND_CREATE_TOPIC_LIST,
    GET_ALL_TOPIC_CONFIG, GET_TOPIC_CONFIG_LIST, GET_TOPIC_NAME_LIST, UPDATE_BROKER_CONFIG,
    GET_BROKER_CONFIG, TRIGGER_DELETE_FILES, GET_BROKER_RUNTIME_INFO, SEARCH_OFFSET_BY_TIMESTAMP,
    GET_MAX_OFFSET, GET_MIN_OFFSET, GET_EARLIEST_MSG_STORETIME, VIEW_MESSAGE_BY_ID, HEART_BEAT,
    UNREGISTER_CLIENT, CONSUMER_SEND_MSG_BACK, END_TRANSACTION, GET_CONSUMER_LIST_BY_GROUP,
    CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, LOCK_BATCH_MQ, UNLOCK_BATCH_MQ,
    GET_ALL_CONSUMER_OFFSET, GET_ALL_DELAY_OFFSET, CHECK_CLIENT_CONFIG, GET_CLIENT_CONFIG,
    PUT_KV_CONFIG, GET_KV_CONFIG, DELETE_KV_CONFIG, REGISTER_BROKER, UNREGISTER_BROKER,
    GET_ROUTEINFO_BY_TOPIC, GET_BROKER_CLUSTER_INFO, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
    GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_TOPIC_STATS_INFO, GET_CONSUMER_CONNECTION_LIST,
    GET_PRODUCER_CONNECTION_LIST, WIPE_WRITE_PERM_OF_BROKER, GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
    DELETE_SUBSCRIPTIONGROUP, GET_CONSUME_STATS, DELETE_TOPIC_IN_BROKER, DELETE_TOPIC_IN_NAMESRV,
    RESET_CONSUMER_CLIENT_OFFSET, GET_CONSUMER_STATUS_FROM_CLIENT, INVOKE_BROKER_TO_RESET_OFFSET,
    INVOKE_BROKER_TO_GET_CONSUMER_STATUS, GET_TOPICS_BY_CLUSTER, QUERY_TOPIC_CONSUME_BY_WHO,
    GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE,
    QUERY_DATA_VERSION, SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2, PUSH_REPLY_MESSAGE_TO_CLIENT,
    GET_TOPIC_CONFIG, GET_SUBSCRIPTIONGROUP_CONFIG, LITE_PULL_MESSAGE, QUERY_ASSIGNMENT,
    SET_MESSAGE_REQUEST_MODE, BROKER_HEARTBEAT, POP_MESSAGE, ACK_MESSAGE, PEEK_MESSAGE,
    CHANGE_MESSAGE_INVISIBLETIME, NOTIFICATION, POLLING_INFO, POP_ROLLBACK, BATCH_ACK_MESSAGE,
);

const RESPONSE_CODES: &[(i32, &str)] = code_names!(response_code:
    SUCCESS, SYSTEM_ERROR, SYSTEM_BUSY, REQUEST_CODE_NOT_SUPPORTED, TRANSACTION_FAILED,
    FLUSH_DISK_TIMEOUT, SLAVE_NOT_AVAILABLE, FLUSH_SLAVE_TIMEOUT, MESSAGE_ILLEGAL,
    SERVICE_NOT_AVAILABLE, VERSION_NOT_SUPPORTED, NO_PERMISSION, TOPIC_NOT_EXIST,
    TOPIC_EXIST_ALREADY, PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY, PULL_OFFSET_MOVED,
    QUERY_NOT_FOUND, SUBSCRIPTION_PARSE_FAILED, SUBSCRIPTION_NOT_EXIST, SUBSCRIPTION_NOT_LATEST,
    SUBSCRIPTION_GROUP_NOT_EXIST, FILTER_DATA_NOT_EXIST, FILTER_DATA_NOT_LATEST,
    INVALID_PARAMETER, TRANSACTION_SHOULD_COMMIT, TRANSACTION_SHOULD_ROLLBACK,
    TRANSACTION_STATE_UNKNOW, TRANSACTION_STATE_GROUP_WRONG, NO_BUYER_ID, NOT_IN_CURRENT_UNIT,
    CONSUMER_NOT_ONLINE, CONSUME_MSG_TIMEOUT, NO_MESSAGE, POLLING_FULL, POLLING_TIMEOUT,
    BROKER_NOT_EXIST, BROKER_DISPATCH_NOT_COMPLETE, BROADCAST_CONSUMPTION, FLOW_CONTROL,
    NOT_LEADER_FOR_QUEUE, ILLEGAL_OPERATION, GO_AWAY,
);

fn lowercase_table(codes: &[(i32, &str)]) -> HashMap<i32, String> {
    codes
        .iter()
        .map(|(code, name)| (*code, name.to_ascii_lowercase()))
        .collect()
}

/// `RemotingHelper.getRequestCodeDesc`: the lowercased constant name, or the
/// number for a code RocketMQ does not define (this broker's management
/// codes, a plugin's custom codes).
pub fn request_code_desc(code: i32) -> String {
    static TABLE: OnceLock<HashMap<i32, String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| lowercase_table(REQUEST_CODES));
    table
        .get(&code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// `RemotingHelper.getResponseCodeDesc`, likewise.
pub fn response_code_desc(code: i32) -> String {
    static TABLE: OnceLock<HashMap<i32, String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| lowercase_table(RESPONSE_CODES));
    table
        .get(&code)
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// `LanguageCode.name().toLowerCase()` of a client's language byte.
pub fn language_desc(language: u8) -> String {
    LanguageCode::from_byte(language)
        .name()
        .to_ascii_lowercase()
}

/// `MQVersion.getVersionDesc(ordinal).toLowerCase()`, the client version
/// label of the connection gauges (the ordinal itself when negative).
pub fn version_desc(ordinal: i32) -> String {
    plugin_api::codes::mq_version_name(ordinal)
        .map_or_else(|| ordinal.to_string(), |name| name.to_ascii_lowercase())
}

/// `ConsumeType.getTypeCN().toLowerCase()` of the consume type a heartbeat
/// registered (`CONSUME_ACTIVELY`, `CONSUME_PASSIVELY`, `CONSUME_POP`).
pub fn consume_mode_desc(consume_type: &str) -> String {
    match consume_type {
        "CONSUME_ACTIVELY" => "pull".to_owned(),
        "CONSUME_PASSIVELY" => "push".to_owned(),
        "CONSUME_POP" => "pop".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_descriptions_are_javas_lowercased_names() {
        assert_eq!(request_code_desc(310), "send_message_v2");
        assert_eq!(request_code_desc(11), "pull_message");
        assert_eq!(request_code_desc(9100), "9100");
        assert_eq!(response_code_desc(0), "success");
        assert_eq!(response_code_desc(19), "pull_not_found");
        assert_eq!(response_code_desc(77), "77");
    }

    #[test]
    fn version_descriptions_follow_mqversion_ordinals() {
        assert_eq!(version_desc(0), "v3_0_0_snapshot");
        assert_eq!(version_desc(15), "v3_0_0_final");
        assert_eq!(version_desc(16), "v3_0_1_snapshot");
        assert_eq!(version_desc(17), "v3_0_1");
        // The ordinal this broker answers with (`MQVersion.CURRENT_VERSION` of 5.3.3).
        assert_eq!(version_desc(plugin_api::codes::BROKER_VERSION), "v5_3_3");
        assert_eq!(version_desc(478), "v5_3_3_snapshot");
        assert_eq!(version_desc(611), "v5_9_9");
        assert_eq!(version_desc(612), "higher_version");
        assert_eq!(version_desc(10_000), "higher_version");
        assert_eq!(version_desc(-1), "-1");
    }

    #[test]
    fn languages_and_consume_modes() {
        assert_eq!(language_desc(0), "java");
        assert_eq!(language_desc(12), "rust");
        assert_eq!(language_desc(13), "node_js");
        assert_eq!(consume_mode_desc("CONSUME_PASSIVELY"), "push");
        assert_eq!(consume_mode_desc("CONSUME_ACTIVELY"), "pull");
        assert_eq!(consume_mode_desc("CONSUME_POP"), "pop");
    }
}
