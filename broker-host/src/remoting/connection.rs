//! One client connection: a reader that decodes frames and dispatches them,
//! and a writer that sends responses in the order they complete.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use plugin_api::codec::{decode_frame, encode_frame, RemotingCommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

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
    outbound: mpsc::UnboundedSender<Bytes>,
}

impl ConnectionHandle {
    /// A handle and the receiving end its writer drains.
    pub fn new(remote_addr: String) -> (ConnectionHandle, mpsc::UnboundedReceiver<Bytes>) {
        let (outbound, receiver) = mpsc::unbounded_channel();
        let handle = ConnectionHandle {
            inner: Arc::new(HandleInner {
                id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
                remote_addr,
                outbound,
            }),
        };
        (handle, receiver)
    }

    /// Host-wide connection id.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Peer address.
    pub fn remote_addr(&self) -> &str {
        &self.inner.remote_addr
    }

    /// Encodes and queues a command; false if the connection is gone (the
    /// response is dropped, as Netty drops writes to a closed channel).
    pub fn send_command(&self, command: &RemotingCommand) -> bool {
        let mut buffer = BytesMut::new();
        if let Err(error) = encode_frame(command, &mut buffer) {
            tracing::error!(%error, code = command.code, peer = %self.remote_addr(), "cannot encode a response");
            return false;
        }
        self.inner.outbound.send(buffer.freeze()).is_ok()
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
    let (handle, mut outbound) = ConnectionHandle::new(peer.to_string());
    directory.opened(&handle);

    let writer_task = tokio::spawn(async move {
        let mut writer = BufWriter::with_capacity(64 * 1024, writer);
        while let Some(frame) = outbound.recv().await {
            if writer.write_all(&frame).await.is_err() {
                return;
            }
            // Batch whatever else is ready into the same write.
            while let Ok(frame) = outbound.try_recv() {
                if writer.write_all(&frame).await.is_err() {
                    return;
                }
            }
            if writer.flush().await.is_err() {
                return;
            }
        }
    });

    let mut buffer = BytesMut::with_capacity(64 * 1024);
    'connection: loop {
        loop {
            match decode_frame(&mut buffer, limits.max_frame_length) {
                Ok(Some(command)) if command.is_response() => {
                    // The broker sends no requests that expect answers yet.
                    tracing::debug!(peer = %peer, opaque = command.opaque, "response with no pending request dropped");
                }
                Ok(Some(command)) => dispatcher.dispatch(Job::new(command, handle.clone(), port)),
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
