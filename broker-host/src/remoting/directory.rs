//! Live connections by id, so the host can send requests to clients
//! (NOTIFY_CONSUMER_IDS_CHANGED) and learn when a connection closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use plugin_api::codec::{ExtFields, RemotingCommand, FLAG_ONEWAY};
use plugin_api::codes::BROKER_VERSION;

use super::ConnectionHandle;

/// Called with the id of a connection that just closed.
pub type CloseListener = Box<dyn Fn(u64) + Send + Sync>;

/// The broker's live connections.
#[derive(Default)]
pub struct ConnectionDirectory {
    connections: RwLock<HashMap<u64, ConnectionHandle>>,
    close_listeners: RwLock<Vec<CloseListener>>,
    next_opaque: AtomicI32,
    /// Connections accepted and not yet closed, on every listener.
    admitted: AtomicUsize,
    /// The limit was reached and not yet left: logged once per episode.
    at_limit: AtomicBool,
}

/// One connection counted against the limit; it stops counting when this
/// is dropped (the connection's task ends).
pub struct Admission {
    directory: Arc<ConnectionDirectory>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.directory.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ConnectionDirectory {
    /// An empty directory.
    pub fn new() -> Arc<ConnectionDirectory> {
        Arc::new(ConnectionDirectory::default())
    }

    /// Counts a just-accepted connection in, unless `max` are open already
    /// (`max` 0: no limit). The first refusal after the limit is reached is
    /// logged as a warning (each one after it at debug level), and so is
    /// the first admission after that.
    pub fn try_admit(self: &Arc<Self>, max: usize, peer: &str) -> Option<Admission> {
        let admitted = self.admitted.fetch_add(1, Ordering::AcqRel);
        if max != 0 && admitted >= max {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            if !self.at_limit.swap(true, Ordering::AcqRel) {
                tracing::warn!(limit = max, peer, "connection limit reached (serverMaxConnections): new connections are closed at once until some close");
            } else {
                tracing::debug!(
                    limit = max,
                    peer,
                    "connection refused: at the connection limit"
                );
            }
            return None;
        }
        if self.at_limit.swap(false, Ordering::AcqRel) {
            tracing::info!(
                limit = max,
                "below the connection limit again: accepting connections"
            );
        }
        Some(Admission {
            directory: self.clone(),
        })
    }

    /// Connections accepted and not yet closed.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    /// Records a new connection.
    pub fn opened(&self, handle: &ConnectionHandle) {
        self.connections.write().insert(handle.id(), handle.clone());
    }

    /// Forgets a connection and tells the listeners.
    pub fn closed(&self, id: u64) {
        self.connections.write().remove(&id);
        for listener in self.close_listeners.read().iter() {
            listener(id);
        }
    }

    /// Registers a close listener.
    pub fn on_close(&self, listener: CloseListener) {
        self.close_listeners.write().push(listener);
    }

    /// Number of live connections.
    pub fn len(&self) -> usize {
        self.connections.read().len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.connections.read().is_empty()
    }

    /// Sends a oneway request the broker originates (its own opaque counter).
    pub fn send_oneway(&self, connection_id: u64, code: i32, fields: ExtFields) -> bool {
        let mut request = RemotingCommand::request(code);
        request.ext_fields = Some(fields);
        self.send_request_oneway(connection_id, request)
    }

    /// Sends `request` oneway: the broker's version, the oneway flag and its
    /// own opaque are set here. False when the connection is gone or full.
    pub fn send_request_oneway(&self, connection_id: u64, mut request: RemotingCommand) -> bool {
        let Some(handle) = self.connections.read().get(&connection_id).cloned() else {
            return false;
        };
        request.version = BROKER_VERSION;
        request.flag = FLAG_ONEWAY;
        request.opaque = self.next_opaque.fetch_add(1, Ordering::Relaxed);
        handle.send_command(&request)
    }
}
