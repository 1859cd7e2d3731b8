//! The client registry (producers and consumers from heartbeats) and the
//! rebalance locks of orderly consumers.

/// One subscription of a consumer group (RocketMQ `SubscriptionData`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Topic.
    pub topic: String,
    /// Expression as sent (`*`, `A || B`, SQL).
    pub sub_string: String,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
    /// Parsed tags.
    pub tags: Vec<String>,
    /// Java hash codes of the tags.
    pub codes: Vec<i32>,
    /// Version (client timestamp).
    pub sub_version: i64,
}

/// A client connection as a heartbeat describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientChannel<'a> {
    /// `clientID`.
    pub client_id: &'a str,
    /// Host-wide connection id.
    pub connection_id: u64,
    /// Peer address.
    pub remote_addr: &'a str,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// A consumer's registration from one heartbeat (RocketMQ `ConsumerData`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerRegistration {
    /// Group.
    pub group: String,
    /// `CONSUME_ACTIVELY` / `CONSUME_PASSIVELY` / `CONSUME_POP`.
    pub consume_type: String,
    /// `CLUSTERING` / `BROADCASTING`.
    pub message_model: String,
    /// `CONSUME_FROM_...`.
    pub consume_from_where: String,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Heartbeat v2 without subscriptions: keep the existing ones.
    pub keep_subscriptions: bool,
}

/// A consumer group as the host knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerGroupInfo {
    /// Group.
    pub group: String,
    /// Consume type.
    pub consume_type: String,
    /// Message model.
    pub message_model: String,
    /// Consume-from-where.
    pub consume_from_where: String,
    /// Current subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Client ids of the live channels.
    pub client_ids: Vec<String>,
}

/// One client connection (RocketMQ `Connection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `clientId`.
    pub client_id: String,
    /// Peer address, `ip:port`.
    pub client_addr: String,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// A message queue (`MessageQueue`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageQueue {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
}

/// Producers, consumers and queue locks, kept by the host so they survive a
/// swap of the plugins that maintain them.
pub trait ClientsAndLocks: Send + Sync {
    /// Registers or refreshes a producer channel.
    fn register_producer(&self, group: &str, channel: &ClientChannel<'_>);

    /// Registers or refreshes a consumer channel; the host notifies the
    /// group's members (NOTIFY_CONSUMER_IDS_CHANGED) when membership or
    /// topics change. Returns true when something changed.
    fn register_consumer(
        &self,
        registration: &ConsumerRegistration,
        channel: &ClientChannel<'_>,
    ) -> bool;

    /// Removes a client from a producer group (empty = none) and a consumer
    /// group (empty = none).
    fn unregister_client(
        &self,
        client_id: &str,
        connection_id: u64,
        producer_group: &str,
        consumer_group: &str,
    );

    /// A consumer group's live members and subscriptions.
    fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo>;

    /// The live connections of a consumer group (empty if none).
    fn consumer_connections(&self, group: &str) -> Vec<Connection>;

    /// Records `fingerprint` as `group`'s last heartbeat fingerprint and
    /// returns the previous one (`None` for the group's first heartbeat):
    /// Java's `consumerGroupHeartbeatTable`.
    fn swap_heartbeat_fingerprint(&self, group: &str, fingerprint: i64) -> Option<i64>;

    /// Locks (or renews) queues for `client_id`; returns the queues it now holds.
    fn lock_queues(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
    ) -> Vec<MessageQueue>;

    /// Releases the queues `client_id` holds among these.
    fn unlock_queues(&self, group: &str, client_id: &str, queues: &[MessageQueue]);

    /// True when some client holds an unexpired lock on a queue of `group`
    /// (Java's `!isLockAllExpired(group)`: the group consumes orderly).
    fn group_has_live_lock(&self, group: &str) -> bool;
}
