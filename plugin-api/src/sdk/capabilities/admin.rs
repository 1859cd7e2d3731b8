//! Broker administration (added in plugin ABI 1.2): the broker's
//! configuration read and updated at runtime (RocketMQ's `Configuration`),
//! the live channels of producer and consumer groups, deleting a
//! subscription group, and the server-side consumer-offset reset table
//! (`ConsumerOffsetManager.resetOffsetTable`).

use super::HostError;

/// The broker's configuration as GET_BROKER_CONFIG (26) answers it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerConfigText {
    /// Every key as `key=value` lines (Java's
    /// `Configuration.getAllConfigsFormatString`).
    pub properties: String,
    /// The configuration's `DataVersion` as JSON (`getDataVersionJson`).
    pub data_version: String,
}

/// One live client channel of a group, with the host-wide id of its
/// connection (what [`super::ClientCalls`] sends to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChannel {
    /// Host-wide connection id.
    pub connection_id: u64,
    /// `clientId`.
    pub client_id: String,
    /// Peer address, `ip:port`.
    pub client_addr: String,
    /// `LanguageCode` byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// Broker administration, kept by the host (ABI 1.2).
pub trait BrokerAdmin: Send + Sync {
    /// The configuration as properties text, and its version.
    fn config_text(&self) -> BrokerConfigText;

    /// Java's `Configuration.update`: sets each `(key, value)`, bumps the
    /// configuration's version and persists it to the file the broker was
    /// started with. Keys the broker does not know are ignored (as Java's
    /// `MixAll.properties2Object` does). `Err` (nothing applied) when a
    /// value does not parse for its key; the text says which.
    fn update_config(&self, entries: &[(String, String)]) -> Result<(), HostError>;

    /// The live channels of a producer group (empty if none).
    fn producer_channels(&self, group: &str) -> Vec<LiveChannel>;

    /// The live channels of a consumer group (empty if none).
    fn consumer_channels(&self, group: &str) -> Vec<LiveChannel>;

    /// DELETE_SUBSCRIPTIONGROUP: removes the group's config (persisted) and,
    /// with `clean_offset`, every offset of the group (`removeOffset`).
    /// False if the group had no config.
    fn delete_subscription_group(&self, group: &str, clean_offset: bool) -> bool;

    /// `assignResetOffset`: the queue's committed offset becomes `offset`
    /// and the reset stays pending until a pull takes it.
    fn assign_reset_offset(&self, topic: &str, group: &str, queue_id: i32, offset: i64);

    /// `queryThenEraseResetOffset`: takes the queue's pending reset offset.
    fn take_reset_offset(&self, topic: &str, group: &str, queue_id: i32) -> Option<i64>;

    /// `hasOffsetReset`: true while a reset of the queue is pending.
    fn has_offset_reset(&self, topic: &str, group: &str, queue_id: i32) -> bool;
}
