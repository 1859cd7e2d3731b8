//! A connection as the rest of the host sees it: an id, the peer's address
//! and a way to queue and send commands on it. Dispatch, the hold service and
//! the connection directory hold these; none of them sees the socket.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use plugin_api::codec::{ExtFields, FieldsView, RemotingCommand};

use super::outbound::Outbound;

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Where responses for one connection go. Cheap to clone; usable from any
/// thread (pool workers answer through it).
#[derive(Clone)]
pub struct ConnectionHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    id: u64,
    remote_addr: String,
    outbound: Arc<Outbound>,
    /// Requests read and not yet finished (queued, running or awaiting a
    /// flush; a held one is not counted while it is parked).
    in_flight: AtomicUsize,
    /// The reader stops taking requests at this many in flight, and is woken
    /// when one finishes.
    max_in_flight: usize,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.outbound.handles_gone();
    }
}

impl ConnectionHandle {
    pub(super) fn new(
        remote_addr: String,
        outbound: Arc<Outbound>,
        max_in_flight: usize,
    ) -> ConnectionHandle {
        ConnectionHandle {
            inner: Arc::new(HandleInner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                remote_addr,
                outbound,
                in_flight: AtomicUsize::new(0),
                max_in_flight,
            }),
        }
    }

    /// Whether the reader may take another request now: the peer reads its
    /// answers (the backlog is under the write-buffer water marks) and not
    /// too many of its requests are in flight.
    pub(super) fn may_read(&self) -> bool {
        self.requests_in_flight() < self.inner.max_in_flight && self.inner.outbound.is_writable()
    }

    /// Whether the reader may take another frame although too many of
    /// this connection's requests are in flight: the broker waits for an
    /// answer from this client (a call of the connection directory), which
    /// it could never read otherwise when those requests are the ones
    /// waiting (a request/reply client replying on the connection it
    /// requests on). The peer must still read what is sent to it.
    pub(super) fn may_read_for_answer(&self) -> bool {
        self.inner.outbound.is_writable()
    }

    /// Wakes a paused reader to check again whether it may read.
    pub(super) fn wake_reader(&self) {
        self.inner.outbound.wake_reader();
    }

    /// The outgoing side (for the reader's pauses).
    pub(super) fn outbound(&self) -> &Outbound {
        &self.inner.outbound
    }

    /// Host-wide connection id.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Peer address.
    pub fn remote_addr(&self) -> &str {
        &self.inner.remote_addr
    }

    /// Encodes and sends a command now; false if the connection is gone (the
    /// command is dropped, as Netty drops writes to a closed channel).
    pub fn send_command(&self, command: &RemotingCommand) -> bool {
        let queued = self.queue_command(command);
        self.flush();
        queued
    }

    /// Encodes a command into the connection's backlog without writing it;
    /// [`ConnectionHandle::flush`] sends it (a pool thread answers several
    /// requests, then flushes once).
    pub fn queue_command(&self, command: &RemotingCommand) -> bool {
        let fields = command.ext_fields.as_ref().map(ExtFields::view);
        self.queue_command_with_fields(command, fields)
    }

    /// [`ConnectionHandle::queue_command`] with `fields` as the command's
    /// `extFields` (its own are not read).
    pub fn queue_command_with_fields(
        &self,
        command: &RemotingCommand,
        fields: Option<FieldsView<'_>>,
    ) -> bool {
        self.inner
            .outbound
            .queue(command, fields, &self.inner.remote_addr)
    }

    /// Writes whatever is queued.
    pub fn flush(&self) {
        self.inner.outbound.flush();
    }

    /// Requests read on this connection and not yet finished.
    pub fn requests_in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    pub(crate) fn request_started(&self) {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_finished(&self) {
        let before = self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
        if before == self.inner.max_in_flight {
            // The reader may be paused at the limit.
            self.inner.outbound.wake_reader();
        }
    }

    /// Same connection?
    pub fn same_as(&self, other: &ConnectionHandle) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
