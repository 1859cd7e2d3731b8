//! Client bookkeeping that must survive a hot swap of the plugins that feed
//! it: the producer/consumer registry (heartbeats) and the rebalance locks.

pub mod locks;
pub mod registry;

pub use locks::RebalanceLockManager;
pub use registry::{ClientChannel, ClientRegistry, ConsumerGroupSnapshot, Subscription};
