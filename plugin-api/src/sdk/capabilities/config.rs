//! The broker's identity and configuration.

/// Identity of the broker a plugin runs in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerIdentity {
    /// `brokerClusterName`.
    pub cluster_name: String,
    /// `brokerName`.
    pub broker_name: String,
    /// `brokerId` (0 = master).
    pub broker_id: i64,
    /// `brokerIP1:listenPort`, the address clients use.
    pub broker_addr: String,
    /// `brokerPermission` (R=4, W=2), ANDed into advertised topic perms.
    pub broker_permission: i32,
    /// Version ordinal the broker answers with.
    pub version: i32,
}

/// The broker's effective configuration.
pub trait BrokerConfig: Send + Sync {
    /// The broker's identity.
    fn identity(&self) -> BrokerIdentity;

    /// Any effective broker config value by its RocketMQ key (`regionId`,
    /// `maxMessageSize`, `messageDelayLevel`, ...), as `broker-host -p` prints it.
    fn value(&self, key: &str) -> Option<String>;
}
