//! One client connection: a reader that decodes frames and dispatches them,
//! and an outbound side (`outbound`) that sends responses as they complete.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use plugin_api::codec::{decode_frame, ExtFields, FieldsView, RemotingCommand};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::outbound::Outbound;
use super::ConnectionDirectory;
use crate::dispatch::{Dispatcher, Job, PortKind};

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
    /// Requests read and not yet finished (queued, running, held or awaiting
    /// a flush).
    in_flight: AtomicUsize,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.outbound.handles_gone();
    }
}

impl ConnectionHandle {
    fn new(remote_addr: String, outbound: Arc<Outbound>) -> ConnectionHandle {
        ConnectionHandle {
            inner: Arc::new(HandleInner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                remote_addr,
                outbound,
                in_flight: AtomicUsize::new(0),
            }),
        }
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
        self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Same connection?
    pub fn same_as(&self, other: &ConnectionHandle) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// What every connection shares.
#[derive(Clone)]
pub struct ConnectionContext {
    /// Where requests go.
    pub dispatcher: Arc<Dispatcher>,
    /// Live connections.
    pub directory: Arc<ConnectionDirectory>,
    /// Limits.
    pub limits: ConnectionLimits,
}

/// Connection settings.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Largest accepted frame (`length + 4`).
    pub max_frame_length: usize,
    /// Close after this long with nothing read.
    pub idle_timeout: Duration,
}

/// Serves one connection until the peer closes it, it misbehaves, it idles
/// out, or the server shuts down.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    port: PortKind,
    context: ConnectionContext,
    mut shutdown: watch::Receiver<bool>,
) {
    let ConnectionContext {
        dispatcher,
        directory,
        limits,
    } = context;
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let outbound = Arc::new(Outbound::new(writer));
    let handle = ConnectionHandle::new(peer.to_string(), outbound.clone());
    directory.opened(&handle);

    let writer_task = tokio::spawn(async move { outbound.run_writer().await });

    let mut buffer = BytesMut::with_capacity(64 * 1024);
    'connection: loop {
        loop {
            match decode_frame(&mut buffer, limits.max_frame_length) {
                Ok(Some(command)) if command.is_response() => {
                    // The broker sends no requests that expect answers yet.
                    tracing::debug!(peer = %peer, opaque = command.opaque, "response with no pending request dropped");
                }
                Ok(Some(command)) => {
                    // A lone request (nothing else in flight, nothing read
                    // behind it) may be run by this thread: see `try_run_here`.
                    let alone = buffer.is_empty() && handle.requests_in_flight() == 0;
                    let mut job = Job::new(command, handle.clone(), port);
                    job.may_run_inline = alone;
                    dispatcher.dispatch(job);
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(peer = %peer, %error, "malformed frame; closing this connection");
                    break 'connection;
                }
            }
        }
        tokio::select! {
            read = tokio::time::timeout(limits.idle_timeout, reader.read_buf(&mut buffer)) => match read {
                Ok(Ok(0)) => break,
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::debug!(peer = %peer, %error, "connection read failed");
                    break;
                }
                Err(_) => {
                    tracing::info!(peer = %peer, "connection idle for {:?}; closing", limits.idle_timeout);
                    break;
                }
            },
            _ = shutdown.changed() => break,
        }
    }
    directory.closed(handle.id());
    // Pending responses still reach the peer: the writer ends once every
    // handle clone (held by queued or running jobs) is gone.
    drop(handle);
    let _ = writer_task.await;
    tracing::debug!(peer = %peer, "connection closed");
}
