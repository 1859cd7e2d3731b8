//! Client-registry, subscription-group and lock types that cross the boundary.

use abi_stable::std_types::{RStr, RString, RVec};
use abi_stable::StableAbi;

/// One subscription of a consumer group (RocketMQ `SubscriptionData`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiSubscription {
    /// Topic.
    pub topic: RString,
    /// Expression as sent (`*`, `A || B`, SQL).
    pub sub_string: RString,
    /// `TAG` or `SQL92`.
    pub expression_type: RString,
    /// Parsed tags.
    pub tags: RVec<RString>,
    /// Java hash codes of the tags.
    pub codes: RVec<i32>,
    /// Version (client timestamp).
    pub sub_version: i64,
}

/// A client channel as a heartbeat describes it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct FfiClientChannel<'a> {
    /// `clientID`.
    pub client_id: RStr<'a>,
    /// Host-wide connection id.
    pub connection_id: u64,
    /// Peer address.
    pub remote_addr: RStr<'a>,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// A consumer's registration from one heartbeat (RocketMQ `ConsumerData`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct FfiConsumerRegistration {
    /// Group.
    pub group: RString,
    /// `CONSUME_ACTIVELY` / `CONSUME_PASSIVELY` / `CONSUME_POP`.
    pub consume_type: RString,
    /// `CLUSTERING` / `BROADCASTING`.
    pub message_model: RString,
    /// `CONSUME_FROM_...`.
    pub consume_from_where: RString,
    /// Subscriptions.
    pub subscriptions: RVec<FfiSubscription>,
    /// Heartbeat v2 without subscriptions: keep the existing ones.
    pub keep_subscriptions: bool,
}

/// A consumer group as the host knows it.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiConsumerGroupInfo {
    /// Group.
    pub group: RString,
    /// Consume type.
    pub consume_type: RString,
    /// Message model.
    pub message_model: RString,
    /// Consume-from-where.
    pub consume_from_where: RString,
    /// Current subscriptions.
    pub subscriptions: RVec<FfiSubscription>,
    /// Client ids of the live channels.
    pub client_ids: RVec<RString>,
}

/// A subscription group's config (`subscriptionGroup.json`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiSubscriptionGroup {
    /// Group.
    pub group_name: RString,
    /// Consumption allowed.
    pub consume_enable: bool,
    /// Start from min offset on first boot.
    pub consume_from_min_enable: bool,
    /// Broadcasting allowed.
    pub consume_broadcast_enable: bool,
    /// Orderly consumption.
    pub consume_message_orderly: bool,
    /// Retry topic queues.
    pub retry_queue_nums: i32,
    /// Max redeliveries before DLQ.
    pub retry_max_times: i32,
    /// Broker to pull from.
    pub broker_id: i64,
    /// Broker to pull from when slow.
    pub which_broker_when_consume_slowly: i64,
    /// Notify members on changes.
    pub notify_consumer_ids_changed_enable: bool,
    /// Group sysflag.
    pub group_sys_flag: i32,
}

/// A message queue (`MessageQueue`).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq, Hash)]
pub struct FfiMessageQueue {
    /// Topic.
    pub topic: RString,
    /// Broker name.
    pub broker_name: RString,
    /// Queue id.
    pub queue_id: i32,
}
