//! A listener: accepts connections and serves each on its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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
            directory,
            limits: ConnectionLimits {
                max_frame_length: config.max_frame_length,
                idle_timeout: config.idle_timeout,
            },
        };
        let port = config.port;
        let mut stop = shutdown.clone();
        let accept_task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            tracing::debug!(peer = %peer, ?port, "connection accepted");
                            tokio::spawn(serve(stream, peer, port, context.clone(), shutdown.clone()));
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
