//! One client connection: a reader that cuts frames and hands each request
//! to the [`RequestHandler`], and an outbound side (`outbound`) that sends
//! responses as they complete.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use plugin_api::codec::decode_frame;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::handler::RequestHandler;
use super::outbound::Outbound;
use super::server::PortKind;
use super::{ConnectionDirectory, ConnectionHandle};

/// What every connection shares.
#[derive(Clone)]
pub struct ConnectionContext {
    /// Where requests go (the dispatcher).
    pub handler: Arc<dyn RequestHandler>,
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
        handler,
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
                    // Counted before the handler counts this request in.
                    let lone = buffer.is_empty() && handle.requests_in_flight() == 0;
                    handler.handle(command, handle.clone(), port, lone);
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
