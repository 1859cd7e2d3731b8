//! A listener: accepts connections and serves each on its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use plugin_api::codec::HeaderLimits;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::connection::{serve, ConnectionContext, ConnectionLimits};
use super::{ConnectionDirectory, RequestHandler};

/// Which listener a request arrived on; some codes (pull) are served only on
/// the main port, as in RocketMQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// `listenPort`.
    Main,
    /// `listenPort - 2`, the fast/VIP port.
    Fast,
}

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind.
    pub bind: SocketAddr,
    /// Main or fast port.
    pub port: PortKind,
    /// Largest accepted frame.
    pub max_frame_length: usize,
    /// Idle timeout.
    pub idle_timeout: Duration,
    /// A frame begun must be whole within this (`serverFrameTimeoutMillis`).
    pub frame_timeout: Duration,
    /// Most connections open at once over every listener sharing the
    /// directory; 0 = no limit (`serverMaxConnections`).
    pub max_connections: usize,
    /// What a request header may carry.
    pub header_limits: HeaderLimits,
    /// `(low, high)` write-buffer water marks in bytes; 0 = Netty's default
    /// (`writeBufferLowWaterMark`, `writeBufferHighWaterMark`).
    pub write_buffer_water_marks: (usize, usize),
    /// Requests of one connection in flight before its reader pauses
    /// (`serverChannelMaxRequestsInFlight`).
    pub max_requests_in_flight: usize,
}

/// A bound listener.
pub struct RemotingServer {
    local_addr: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl RemotingServer {
    /// Binds and starts accepting; every request read goes to `handler`.
    pub async fn bind(
        config: ServerConfig,
        handler: Arc<dyn RequestHandler>,
        directory: Arc<ConnectionDirectory>,
        shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<RemotingServer> {
        let listener = TcpListener::bind(config.bind).await?;
        let local_addr = listener.local_addr()?;
        let context = ConnectionContext {
            handler,
            directory: directory.clone(),
            limits: ConnectionLimits {
                max_frame_length: config.max_frame_length,
                idle_timeout: config.idle_timeout,
                frame_timeout: config.frame_timeout,
                header_limits: config.header_limits,
                write_buffer_water_marks: config.write_buffer_water_marks,
                max_requests_in_flight: config.max_requests_in_flight.max(1),
            },
        };
        let port = config.port;
        let max_connections = config.max_connections;
        let mut stop = shutdown.clone();
        let accept_task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            let Some(admission) = directory.try_admit(max_connections, &peer.to_string()) else {
                                // Closed at once: the client sees the
                                // connection reset and retries later.
                                drop(stream);
                                continue;
                            };
                            tracing::debug!(peer = %peer, ?port, "connection accepted");
                            tokio::spawn(serve(stream, peer, port, context.clone(), shutdown.clone(), admission));
                        }
                        Err(error) => {
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    },
                    _ = stop.changed() => break,
                }
            }
        });
        Ok(RemotingServer {
            local_addr,
            accept_task,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the accept loop to end (after shutdown is signalled).
    pub async fn join(self) {
        let _ = self.accept_task.await;
    }
}
