//! The broker host: configuration, metadata, the TCP servers and the
//! manifest-driven table of plugin processors.
//!
//! The path of a request: [`remoting`] decodes a frame and hands it to its
//! `RequestHandler`, [`dispatch`]'s `Dispatcher`, which looks up the
//! processor pool for its code → a pool thread calls the plugin loaded by
//! [`plugin_host`] through the stable ABI → the plugin calls the host's
//! [`capabilities`] (store, offsets, topics, clients) → the response goes
//! back on the connection's handle.
//!
//! Imports go one way: `remoting` imports no other host module, `dispatch`
//! imports `remoting` and `store`, `plugin_host` imports `dispatch` and
//! `capabilities`, `store` imports only `config` and `clock`,
//! `broker_stats` only `clock`, the parked message services (`schedule`,
//! `timer`, `transaction`) the store and metadata (and `transaction` the
//! client registry and connections, to reach producers), and only `broker`
//! wires them all together.

pub mod broker;
pub mod broker_stats;
pub mod capabilities;
pub mod clients;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod metadata;
pub mod metrics;
pub mod namesrv;
pub mod plugin_host;
pub mod remoting;
pub mod schedule;
pub mod store;
pub mod timer;
pub mod transaction;

/// A `HashMap` for the tables read on every message (topics, queue offsets,
/// consume queues): foldhash, seeded per process, instead of SipHash, which
/// showed up at ~1.5% of the send threads.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::quality::RandomState>;

pub use broker::{Broker, StartError};
