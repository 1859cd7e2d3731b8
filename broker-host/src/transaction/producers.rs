//! The way to a producer: one live connection of the group, as Java's
//! `ProducerManager.getAvailableChannel` picks it (round robin over the
//! group's channels, passing over ones that cannot take the request), and
//! `Broker2Client.checkProducerTransactionState` (a oneway request).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use plugin_api::codec::RemotingCommand;

use super::CheckSender;
use crate::clients::ClientRegistry;
use crate::remoting::ConnectionDirectory;

/// Producer connections from the client registry.
pub struct ProducerChannels {
    clients: Arc<ClientRegistry>,
    directory: Arc<ConnectionDirectory>,
    counter: AtomicUsize,
}

impl ProducerChannels {
    /// Over the broker's registry and connections.
    pub fn new(clients: Arc<ClientRegistry>, directory: Arc<ConnectionDirectory>) -> Self {
        ProducerChannels {
            clients,
            directory,
            counter: AtomicUsize::new(0),
        }
    }
}

impl CheckSender for ProducerChannels {
    fn send_check(&self, group: &str, request: RemotingCommand) -> bool {
        let mut channels = self.clients.producer_channels(group);
        if channels.is_empty() {
            tracing::warn!(%group, "Check transaction failed, channel table is empty. groupId={group}");
            return false;
        }
        channels.sort_by_key(|channel| channel.connection_id);
        let start = self.counter.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        (0..channels.len()).any(|step| {
            let channel = &channels[(start + step) % channels.len()];
            self.directory
                .send_request_oneway(channel.connection_id, request.clone())
        })
    }
}
