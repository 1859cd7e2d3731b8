//! Live connections by id, so the host can send requests to clients
//! (NOTIFY_CONSUMER_IDS_CHANGED oneway; PUSH_REPLY_MESSAGE_TO_CLIENT and
//! the like waiting for the answer, through [`PendingCalls`]) and learn
//! when a connection closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use plugin_api::codec::{ExtFields, RemotingCommand, FLAG_ONEWAY};
use plugin_api::codes::BROKER_VERSION;

use super::calls::{CallError, PendingCalls};
use super::ConnectionHandle;

/// Called with the id of a connection that just closed.
pub type CloseListener = Box<dyn Fn(u64) + Send + Sync>;

/// The broker's live connections.
#[derive(Default)]
pub struct ConnectionDirectory {
    connections: RwLock<HashMap<u64, ConnectionHandle>>,
    close_listeners: RwLock<Vec<CloseListener>>,
    next_opaque: AtomicI32,
    /// Requests sent to clients that wait for their answer.
    calls: PendingCalls,
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
        // Removed before its calls fail: a call registered after this finds
        // no connection (see `invoke`).
        self.connections.write().remove(&id);
        self.calls.connection_closed(id);
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

    /// Sends `request` to the connection (the broker's version and its own
    /// opaque are set here) and blocks until the client's response with
    /// that opaque arrives, the connection closes, or `timeout` passes:
    /// Java's `invokeSync` on a client channel.
    pub fn invoke(
        &self,
        connection_id: u64,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, CallError> {
        request.version = BROKER_VERSION;
        request.flag = 0;
        request.opaque = self.next_opaque.fetch_add(1, Ordering::Relaxed);
        // Registered before the connection is looked up: `closed` removes
        // the connection and then fails its calls, so either the lookup
        // misses or the close fails this call.
        let call = self.calls.register(connection_id, request.opaque)?;
        let Some(handle) = self.connections.read().get(&connection_id).cloned() else {
            self.calls.forget(&call);
            return Err(CallError::NoConnection(connection_id));
        };
        if !handle.send_command(&request) {
            self.calls.forget(&call);
            return Err(CallError::SendFailed(connection_id));
        }
        drop(handle);
        self.calls.wait(call, timeout)
    }

    /// A response frame arrived on `connection_id`: completes the call
    /// waiting for it. False when none waits (it timed out already).
    pub fn response_arrived(&self, connection_id: u64, response: RemotingCommand) -> bool {
        self.calls.complete(connection_id, response)
    }

    /// Calls to clients waiting for their answer now.
    pub fn pending_calls(&self) -> usize {
        self.calls.len()
    }
}
