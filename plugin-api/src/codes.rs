//! RocketMQ request and response codes, with the names of Apache RocketMQ's
//! `RequestCode.java` / `ResponseCode.java` (5.x), and the store's put
//! statuses as Java names them.

/// The `version` this broker announces in responses: the ordinal of
/// `MQVersion.Version.V5_3_3` (RocketMQ 5.3.3's `CURRENT_VERSION`).
pub const BROKER_VERSION: i32 = 479;

/// The `MQVersion.Version` constants before the regular run of
/// `V<major>_<minor>_<patch>_SNAPSHOT, V<major>_<minor>_<patch>` pairs.
const V3_0_0: [&str; 16] = [
    "V3_0_0_SNAPSHOT",
    "V3_0_0_ALPHA1",
    "V3_0_0_BETA1",
    "V3_0_0_BETA2",
    "V3_0_0_BETA3",
    "V3_0_0_BETA4",
    "V3_0_0_BETA5",
    "V3_0_0_BETA6_SNAPSHOT",
    "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT",
    "V3_0_0_BETA7",
    "V3_0_0_BETA8_SNAPSHOT",
    "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT",
    "V3_0_0_BETA9",
    "V3_0_0_FINAL",
];

/// `MQVersion.getVersionDesc(ordinal)`: the name of a client or broker
/// version ordinal. After the 3.0.0 pre-releases the enum runs in
/// SNAPSHOT/release pairs: 3.0.1–3.0.15, 3.1.0–3.2.9, then x.y.1–x.y.9 for
/// 3.3–3.9, then every x.y.z from 4.0.0 to 5.9.9, then `HIGHER_VERSION`
/// (which ordinals past the end also map to, as in Java). `None` for a
/// negative ordinal (Java would throw).
pub fn mq_version_name(ordinal: i32) -> Option<String> {
    let mut index = usize::try_from(ordinal).ok()?;
    if let Some(name) = V3_0_0.get(index) {
        return Some((*name).to_owned());
    }
    index -= V3_0_0.len();
    let mut releases: Vec<(u32, u32, u32)> = Vec::with_capacity(300);
    releases.extend((1..=15).map(|patch| (3, 0, patch)));
    for minor in 1..=2 {
        releases.extend((0..=9).map(|patch| (3, minor, patch)));
    }
    for minor in 3..=9 {
        releases.extend((1..=9).map(|patch| (3, minor, patch)));
    }
    for major in 4..=5 {
        for minor in 0..=9 {
            releases.extend((0..=9).map(|patch| (major, minor, patch)));
        }
    }
    Some(match releases.get(index / 2) {
        Some((major, minor, patch)) if index % 2 == 0 => {
            format!("V{major}_{minor}_{patch}_SNAPSHOT")
        }
        Some((major, minor, patch)) => format!("V{major}_{minor}_{patch}"),
        None => "HIGHER_VERSION".to_owned(),
    })
}

/// Java's `FAQUrl.suggestTodo(url)` as 5.3.3 appends it to remarks (every
/// FAQ url there is the same page).
pub const FAQ_SUGGESTION: &str =
    "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

/// The names of Java's `PutMessageStatus` constants, as remarks and logs
/// print them; the host's store and the plugins map their status enums here.
pub mod put_status {
    /// Stored (and flushed, when asked to wait).
    pub const PUT_OK: &str = "PUT_OK";
    /// Stored, but the sync flush did not finish in time.
    pub const FLUSH_DISK_TIMEOUT: &str = "FLUSH_DISK_TIMEOUT";
    /// Stored, the slave did not acknowledge in time.
    pub const FLUSH_SLAVE_TIMEOUT: &str = "FLUSH_SLAVE_TIMEOUT";
    /// Stored, no slave.
    pub const SLAVE_NOT_AVAILABLE: &str = "SLAVE_NOT_AVAILABLE";
    /// Not stored: store shut down, not writeable, or a slave.
    pub const SERVICE_NOT_AVAILABLE: &str = "SERVICE_NOT_AVAILABLE";
    /// Not stored: a commit-log file could not be created.
    pub const CREATE_MAPPED_FILE_FAILED: &str = "CREATE_MAPPED_FILE_FAILED";
    /// Not stored: body, topic or record too long.
    pub const MESSAGE_ILLEGAL: &str = "MESSAGE_ILLEGAL";
    /// Not stored: properties too long.
    pub const PROPERTIES_SIZE_EXCEEDED: &str = "PROPERTIES_SIZE_EXCEEDED";
    /// Not stored: the append lock was held too long.
    pub const OS_PAGE_CACHE_BUSY: &str = "OS_PAGE_CACHE_BUSY";
    /// Not stored: anything else.
    pub const UNKNOWN_ERROR: &str = "UNKNOWN_ERROR";
}

/// Request codes (`RequestCode.java`).
pub mod request_code {
    /// Send a message (full-length header field names).
    pub const SEND_MESSAGE: i32 = 10;
    /// Pull messages (long polling).
    pub const PULL_MESSAGE: i32 = 11;
    /// Query messages by key.
    pub const QUERY_MESSAGE: i32 = 12;
    /// Query a broker offset.
    pub const QUERY_BROKER_OFFSET: i32 = 13;
    /// Query a consumer group's committed offset for a queue.
    pub const QUERY_CONSUMER_OFFSET: i32 = 14;
    /// Commit a consumer group's offset for a queue (usually oneway).
    pub const UPDATE_CONSUMER_OFFSET: i32 = 15;
    /// Create or update a topic.
    pub const UPDATE_AND_CREATE_TOPIC: i32 = 17;
    /// Create or update several topics.
    pub const UPDATE_AND_CREATE_TOPIC_LIST: i32 = 18;
    /// Get all topic configs.
    pub const GET_ALL_TOPIC_CONFIG: i32 = 21;
    /// Get a list of topic configs.
    pub const GET_TOPIC_CONFIG_LIST: i32 = 22;
    /// Get the topic name list.
    pub const GET_TOPIC_NAME_LIST: i32 = 23;
    /// Update broker configuration.
    pub const UPDATE_BROKER_CONFIG: i32 = 25;
    /// Get broker configuration.
    pub const GET_BROKER_CONFIG: i32 = 26;
    /// Trigger deletion of expired files.
    pub const TRIGGER_DELETE_FILES: i32 = 27;
    /// Get broker runtime statistics.
    pub const GET_BROKER_RUNTIME_INFO: i32 = 28;
    /// Find a queue offset by timestamp.
    pub const SEARCH_OFFSET_BY_TIMESTAMP: i32 = 29;
    /// Get a queue's max offset.
    pub const GET_MAX_OFFSET: i32 = 30;
    /// Get a queue's min offset.
    pub const GET_MIN_OFFSET: i32 = 31;
    /// Get the store time of a queue's earliest message.
    pub const GET_EARLIEST_MSG_STORETIME: i32 = 32;
    /// View a message by its offset message id.
    pub const VIEW_MESSAGE_BY_ID: i32 = 33;
    /// Client heartbeat (producer/consumer registration).
    pub const HEART_BEAT: i32 = 34;
    /// Unregister a client.
    pub const UNREGISTER_CLIENT: i32 = 35;
    /// Consumer sends a failed message back for retry.
    pub const CONSUMER_SEND_MSG_BACK: i32 = 36;
    /// Commit or roll back a transactional (half) message.
    pub const END_TRANSACTION: i32 = 37;
    /// Get the client ids of a consumer group.
    pub const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;
    /// Broker → producer: check a transaction's state (oneway).
    pub const CHECK_TRANSACTION_STATE: i32 = 39;
    /// Broker → consumer: the group's members changed (oneway).
    pub const NOTIFY_CONSUMER_IDS_CHANGED: i32 = 40;
    /// Lock message queues (orderly consumption).
    pub const LOCK_BATCH_MQ: i32 = 41;
    /// Unlock message queues.
    pub const UNLOCK_BATCH_MQ: i32 = 42;
    /// Get all consumer offsets (slave sync).
    pub const GET_ALL_CONSUMER_OFFSET: i32 = 43;
    /// Get all delay-queue offsets (slave sync).
    pub const GET_ALL_DELAY_OFFSET: i32 = 45;
    /// Check a client's subscription configuration.
    pub const CHECK_CLIENT_CONFIG: i32 = 46;
    /// Get a client's configuration.
    pub const GET_CLIENT_CONFIG: i32 = 47;
    /// Name server: put a KV config entry.
    pub const PUT_KV_CONFIG: i32 = 100;
    /// Name server: get a KV config entry.
    pub const GET_KV_CONFIG: i32 = 101;
    /// Name server: delete a KV config entry.
    pub const DELETE_KV_CONFIG: i32 = 102;
    /// Broker → name server: register the broker and its topics.
    pub const REGISTER_BROKER: i32 = 103;
    /// Broker → name server: unregister the broker.
    pub const UNREGISTER_BROKER: i32 = 104;
    /// Name server: get a topic's route.
    pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    /// Name server: get the cluster/broker table.
    pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
    /// Create or update a subscription group.
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: i32 = 200;
    /// Get all subscription group configs.
    pub const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: i32 = 201;
    /// Get a topic's per-queue statistics.
    pub const GET_TOPIC_STATS_INFO: i32 = 202;
    /// Get a consumer group's connections.
    pub const GET_CONSUMER_CONNECTION_LIST: i32 = 203;
    /// Get a producer group's connections.
    pub const GET_PRODUCER_CONNECTION_LIST: i32 = 204;
    /// Name server: remove a broker's write permission.
    pub const WIPE_WRITE_PERM_OF_BROKER: i32 = 205;
    /// Name server: list all topics.
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
    /// Delete a subscription group.
    pub const DELETE_SUBSCRIPTIONGROUP: i32 = 207;
    /// Get a consumer group's consume statistics.
    pub const GET_CONSUME_STATS: i32 = 208;
    /// Delete a topic on the broker.
    pub const DELETE_TOPIC_IN_BROKER: i32 = 215;
    /// Delete a topic on the name server.
    pub const DELETE_TOPIC_IN_NAMESRV: i32 = 216;
    /// Broker → client: reset consumer offsets.
    pub const RESET_CONSUMER_CLIENT_OFFSET: i32 = 220;
    /// Broker → client: get consumer status.
    pub const GET_CONSUMER_STATUS_FROM_CLIENT: i32 = 221;
    /// Admin → broker: reset a group's offsets.
    pub const INVOKE_BROKER_TO_RESET_OFFSET: i32 = 222;
    /// Admin → broker: get a group's consumer status.
    pub const INVOKE_BROKER_TO_GET_CONSUMER_STATUS: i32 = 223;
    /// Name server: list topics of a cluster.
    pub const GET_TOPICS_BY_CLUSTER: i32 = 224;
    /// Name server: every KV config entry of a namespace.
    pub const GET_KVLIST_BY_NAMESPACE: i32 = 219;
    /// Which groups consume a topic.
    pub const QUERY_TOPIC_CONSUME_BY_WHO: i32 = 300;
    /// Name server: the cluster and broker names (system topics).
    pub const GET_SYSTEM_TOPIC_LIST_FROM_NS: i32 = 304;
    /// Destroy consume queues whose messages are all gone.
    pub const CLEAN_EXPIRED_CONSUMEQUEUE: i32 = 306;
    /// Broker → client: get consumer running info.
    pub const GET_CONSUMER_RUNNING_INFO: i32 = 307;
    /// Broker → client: consume a message directly.
    pub const CONSUME_MESSAGE_DIRECTLY: i32 = 309;
    /// Send a message (short V2 header field names `a`..`n`).
    pub const SEND_MESSAGE_V2: i32 = 310;
    /// One `BrokerStatsManager` item's minute, hour and day figures.
    pub const VIEW_BROKER_STATS_DATA: i32 = 315;
    /// Delete the consume queues of topics the broker has no config for.
    pub const CLEAN_UNUSED_TOPIC: i32 = 316;
    /// Consume statistics of every subscription group of the broker.
    pub const GET_BROKER_CONSUME_STATS: i32 = 317;
    /// Send a batch of messages.
    pub const SEND_BATCH_MESSAGE: i32 = 320;
    /// Name server: has the broker's data version changed.
    pub const QUERY_DATA_VERSION: i32 = 322;
    /// Send a reply message (request-reply).
    pub const SEND_REPLY_MESSAGE: i32 = 324;
    /// Send a reply message with a V2 header.
    pub const SEND_REPLY_MESSAGE_V2: i32 = 325;
    /// Broker → client: push a reply message.
    pub const PUSH_REPLY_MESSAGE_TO_CLIENT: i32 = 326;
    /// Topics a consumer group has committed offsets in.
    pub const QUERY_TOPICS_BY_CONSUMER: i32 = 343;
    /// Get one topic's config.
    pub const GET_TOPIC_CONFIG: i32 = 351;
    /// Get one subscription group's config.
    pub const GET_SUBSCRIPTIONGROUP_CONFIG: i32 = 352;
    /// Lite pull consumer: pull messages (5.x).
    pub const LITE_PULL_MESSAGE: i32 = 361;
    /// Recall a timer message not yet delivered (5.3.x).
    pub const RECALL_MESSAGE: i32 = 370;
    /// Query queue assignment (5.x).
    pub const QUERY_ASSIGNMENT: i32 = 400;
    /// Set the message request mode (pull/pop) of a group (5.x).
    pub const SET_MESSAGE_REQUEST_MODE: i32 = 401;
    /// Broker heartbeat to the controller/name server (5.x).
    pub const BROKER_HEARTBEAT: i32 = 904;
    /// Pop messages (5.x; needs a JSON header: does not fit i16).
    pub const POP_MESSAGE: i32 = 200050;
    /// Acknowledge a popped message (5.x).
    pub const ACK_MESSAGE: i32 = 200051;
    /// Peek messages (5.x).
    pub const PEEK_MESSAGE: i32 = 200052;
    /// Change a popped message's invisible time (5.x).
    pub const CHANGE_MESSAGE_INVISIBLETIME: i32 = 200053;
    /// Pop notification long-poll (5.x).
    pub const NOTIFICATION: i32 = 200054;
    /// Pop polling info (5.x).
    pub const POLLING_INFO: i32 = 200055;
    /// Roll back a pop (develop branch after 5.3.3).
    pub const POP_ROLLBACK: i32 = 200056;
    /// Acknowledge popped messages in batch (5.x).
    pub const BATCH_ACK_MESSAGE: i32 = 200151;
}

/// Response codes (`RemotingSysResponseCode.java` 0–4 and `ResponseCode.java`, 5.x names).
pub mod response_code {
    /// Success.
    pub const SUCCESS: i32 = 0;
    /// Generic failure.
    pub const SYSTEM_ERROR: i32 = 1;
    /// Flow control: broker busy.
    pub const SYSTEM_BUSY: i32 = 2;
    /// No processor for the request code.
    pub const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
    /// Transaction failed.
    pub const TRANSACTION_FAILED: i32 = 4;
    /// SYNC_FLUSH timed out (the message is stored).
    pub const FLUSH_DISK_TIMEOUT: i32 = 10;
    /// SYNC_MASTER without an available slave (the message is stored).
    pub const SLAVE_NOT_AVAILABLE: i32 = 11;
    /// Slave acknowledgement timed out (the message is stored).
    pub const FLUSH_SLAVE_TIMEOUT: i32 = 12;
    /// Message rejected as illegal (too long, bad batch, …).
    pub const MESSAGE_ILLEGAL: i32 = 13;
    /// Service not available (store shut down, slave, disk full).
    pub const SERVICE_NOT_AVAILABLE: i32 = 14;
    /// Version not supported.
    pub const VERSION_NOT_SUPPORTED: i32 = 15;
    /// No permission (broker/topic/group).
    pub const NO_PERMISSION: i32 = 16;
    /// Topic does not exist.
    pub const TOPIC_NOT_EXIST: i32 = 17;
    /// Topic already exists.
    pub const TOPIC_EXIST_ALREADY: i32 = 18;
    /// Pull: no new message.
    pub const PULL_NOT_FOUND: i32 = 19;
    /// Pull: retry immediately (nothing matched the filter).
    pub const PULL_RETRY_IMMEDIATELY: i32 = 20;
    /// Pull: requested offset invalid, use `nextBeginOffset`.
    pub const PULL_OFFSET_MOVED: i32 = 21;
    /// Query: nothing found.
    pub const QUERY_NOT_FOUND: i32 = 22;
    /// Subscription expression could not be parsed.
    pub const SUBSCRIPTION_PARSE_FAILED: i32 = 23;
    /// Subscription does not exist.
    pub const SUBSCRIPTION_NOT_EXIST: i32 = 24;
    /// Subscription is not the latest.
    pub const SUBSCRIPTION_NOT_LATEST: i32 = 25;
    /// Subscription group does not exist.
    pub const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
    /// Filter data does not exist.
    pub const FILTER_DATA_NOT_EXIST: i32 = 27;
    /// Filter data is not the latest.
    pub const FILTER_DATA_NOT_LATEST: i32 = 28;
    /// Invalid parameter (5.x only; 4.9 used SYSTEM_ERROR).
    pub const INVALID_PARAMETER: i32 = 29;
    /// Transaction check: commit.
    pub const TRANSACTION_SHOULD_COMMIT: i32 = 200;
    /// Transaction check: roll back.
    pub const TRANSACTION_SHOULD_ROLLBACK: i32 = 201;
    /// Transaction check: state unknown (sic).
    pub const TRANSACTION_STATE_UNKNOW: i32 = 202;
    /// Transaction state group wrong.
    pub const TRANSACTION_STATE_GROUP_WRONG: i32 = 203;
    /// No buyer id.
    pub const NO_BUYER_ID: i32 = 204;
    /// Not in current unit.
    pub const NOT_IN_CURRENT_UNIT: i32 = 205;
    /// Consumer not online.
    pub const CONSUMER_NOT_ONLINE: i32 = 206;
    /// Consume message timed out.
    pub const CONSUME_MSG_TIMEOUT: i32 = 207;
    /// No message.
    pub const NO_MESSAGE: i32 = 208;
    /// Pop polling full (5.x; 4.9: UPDATE_AND_CREATE_ACL_CONFIG_FAILED).
    pub const POLLING_FULL: i32 = 209;
    /// Pop polling timed out (5.x; 4.9: DELETE_ACL_CONFIG_FAILED).
    pub const POLLING_TIMEOUT: i32 = 210;
    /// Broker does not exist (5.x; 4.9: UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED).
    pub const BROKER_NOT_EXIST: i32 = 211;
    /// Broker dispatch not complete (5.x).
    pub const BROKER_DISPATCH_NOT_COMPLETE: i32 = 212;
    /// Broadcast consumption (5.x).
    pub const BROADCAST_CONSUMPTION: i32 = 213;
    /// Flow control.
    pub const FLOW_CONTROL: i32 = 215;
    /// Not leader for queue (5.x static topics).
    pub const NOT_LEADER_FOR_QUEUE: i32 = 501;
    /// Illegal operation (5.x).
    pub const ILLEGAL_OPERATION: i32 = 604;
    /// Server shutting down; client should reconnect elsewhere (5.x).
    pub const GO_AWAY: i32 = 1500;
    /// Controller: fenced master epoch.
    pub const CONTROLLER_FENCED_MASTER_EPOCH: i32 = 2000;
    /// Controller: fenced sync-state-set epoch.
    pub const CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: i32 = 2001;
    /// Controller: invalid master.
    pub const CONTROLLER_INVALID_MASTER: i32 = 2002;
    /// Controller: invalid replicas.
    pub const CONTROLLER_INVALID_REPLICAS: i32 = 2003;
    /// Controller: master not available.
    pub const CONTROLLER_MASTER_NOT_AVAILABLE: i32 = 2004;
    /// Controller: invalid request.
    pub const CONTROLLER_INVALID_REQUEST: i32 = 2005;
    /// Controller: broker not alive.
    pub const CONTROLLER_BROKER_NOT_ALIVE: i32 = 2006;
    /// Controller: not leader.
    pub const CONTROLLER_NOT_LEADER: i32 = 2007;
    /// Controller: broker metadata does not exist.
    pub const CONTROLLER_BROKER_METADATA_NOT_EXIST: i32 = 2008;
    /// Controller: invalid clean-broker-metadata request.
    pub const CONTROLLER_INVALID_CLEAN_BROKER_METADATA: i32 = 2009;
    /// Controller: broker needs to be registered.
    pub const CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: i32 = 2010;
    /// Controller: master still exists.
    pub const CONTROLLER_MASTER_STILL_EXIST: i32 = 2011;
    /// Controller: master election failed.
    pub const CONTROLLER_ELECT_MASTER_FAILED: i32 = 2012;
    /// Controller: altering the sync state set failed.
    pub const CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: i32 = 2013;
    /// Controller: invalid broker id.
    pub const CONTROLLER_BROKER_ID_INVALID: i32 = 2014;
    /// Controller: JRaft internal error.
    pub const CONTROLLER_JRAFT_INTERNAL_ERROR: i32 = 2015;
    /// Controller: broker live info does not exist.
    pub const CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: i32 = 2016;
    /// ACL 2.0: user does not exist (5.x).
    pub const USER_NOT_EXIST: i32 = 3001;
    /// ACL 2.0: policy does not exist (5.x).
    pub const POLICY_NOT_EXIST: i32 = 3002;
    /// Client-internal: unknown RPC failure (never on the wire).
    pub const RPC_UNKNOWN: i32 = -1000;
    /// Client-internal: address is null (never on the wire).
    pub const RPC_ADDR_IS_NULL: i32 = -1002;
    /// Client-internal: send to channel failed (never on the wire).
    pub const RPC_SEND_TO_CHANNEL_FAILED: i32 = -1004;
    /// Client-internal: RPC timed out (never on the wire).
    pub const RPC_TIME_OUT: i32 = -1006;
}

#[cfg(test)]
mod version_name_tests {
    use super::*;

    #[test]
    fn version_names_follow_mqversion_ordinals() {
        let name = |ordinal| mq_version_name(ordinal).unwrap_or_default();
        assert_eq!(name(0), "V3_0_0_SNAPSHOT");
        assert_eq!(name(15), "V3_0_0_FINAL");
        assert_eq!(name(16), "V3_0_1_SNAPSHOT");
        assert_eq!(name(17), "V3_0_1");
        assert_eq!(name(27), "V3_0_6");
        assert_eq!(name(28), "V3_0_7_SNAPSHOT");
        assert_eq!(name(61), "V3_1_7");
        assert_eq!(name(62), "V3_1_8_SNAPSHOT");
        assert_eq!(name(BROKER_VERSION), "V5_3_3");
        assert_eq!(name(478), "V5_3_3_SNAPSHOT");
        assert_eq!(name(611), "V5_9_9");
        assert_eq!(name(612), "HIGHER_VERSION");
        assert_eq!(name(10_000), "HIGHER_VERSION");
        assert_eq!(mq_version_name(-1), None);
    }
}
