//! A small asynchronous remoting client (RocketMQ's `NettyRemotingClient`
//! as the broker uses it toward name servers): one cached TCP connection
//! per address, opened with a connect timeout; requests are matched to
//! responses by `opaque`; oneway requests are written and forgotten.
//!
//! A connection that fails (refused, reset, a frame that does not decode)
//! is dropped from the cache, every request waiting on it fails at once,
//! and the next request to that address connects again. A request that
//! times out fails alone; with `clientCloseSocketIfTimeout` its connection
//! is closed too, as Netty's client does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use parking_lot::Mutex;
use plugin_api::codec::{
    decode_frame, encode_frame, CodecError, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH, FLAG_ONEWAY,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection could not be opened.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Connecting took longer than the connect timeout.
    #[error("connecting to {addr} timed out after {millis} ms")]
    ConnectTimeout {
        /// Address.
        addr: String,
        /// The timeout.
        millis: u64,
    },
    /// No response within the request timeout.
    #[error("no response from {addr} within {millis} ms")]
    Timeout {
        /// Address.
        addr: String,
        /// The timeout.
        millis: u64,
    },
    /// Writing the request failed.
    #[error("cannot send to {addr}: {source}")]
    Send {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The connection closed before the response came.
    #[error("connection to {addr} closed before the response")]
    Closed {
        /// Address.
        addr: String,
    },
    /// The request could not be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(#[from] CodecError),
}

/// Client settings.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// `connectTimeoutMillis` (3 s).
    pub connect_timeout: Duration,
    /// `clientCloseSocketIfTimeout`: close a connection whose request timed out.
    pub close_socket_if_timeout: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(3),
            close_socket_if_timeout: true,
        }
    }
}

type Pending = Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>;

struct Connection {
    addr: String,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    pending: Arc<Pending>,
    closed: Arc<AtomicBool>,
    reader: JoinHandle<()>,
}

impl Connection {
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.reader.abort();
        // Dropping the senders wakes every waiter with `Closed`.
        self.pending.lock().clear();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// The client. Cheap to share (`Arc`); usable from any task.
pub struct RemotingClient {
    config: ClientConfig,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
    /// Per address: serializes connection attempts so concurrent callers
    /// share one connection (and a slow address never delays another).
    connecting: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    next_opaque: AtomicI32,
}

impl RemotingClient {
    /// A client with these settings and no connections yet.
    pub fn new(config: ClientConfig) -> Arc<RemotingClient> {
        Arc::new(RemotingClient {
            config,
            connections: Mutex::new(HashMap::new()),
            connecting: Mutex::new(HashMap::new()),
            next_opaque: AtomicI32::new(1),
        })
    }

    /// Sends `request` to `addr` (`host:port`) and waits for the response
    /// with the same opaque; the whole call (connect included) is bounded
    /// by `timeout`. The opaque and the request flags are set here.
    pub async fn invoke(
        &self,
        addr: &str,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, ClientError> {
        let millis = timeout.as_millis() as u64;
        let deadline = tokio::time::Instant::now() + timeout;
        let connection = match tokio::time::timeout_at(deadline, self.connection(addr)).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(ClientError::Timeout {
                    addr: addr.to_owned(),
                    millis,
                })
            }
        };
        request.opaque = self.next_opaque();
        request.flag &= !(FLAG_ONEWAY | plugin_api::codec::FLAG_RESPONSE);
        let opaque = request.opaque;
        let mut frame = BytesMut::new();
        encode_frame(&request, &mut frame)?;
        let (sender, receiver) = oneshot::channel();
        connection.pending.lock().insert(opaque, sender);
        let outcome = tokio::time::timeout_at(deadline, async {
            self.write(&connection, &frame).await?;
            receiver.await.map_err(|_| ClientError::Closed {
                addr: addr.to_owned(),
            })
        })
        .await;
        connection.pending.lock().remove(&opaque);
        match outcome {
            Ok(result) => result,
            Err(_) => {
                if self.config.close_socket_if_timeout {
                    self.drop_connection(&connection);
                }
                Err(ClientError::Timeout {
                    addr: addr.to_owned(),
                    millis,
                })
            }
        }
    }

    /// Writes `request` to `addr` with the oneway flag and returns once it
    /// is written (bounded by `timeout`); no response is expected.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<(), ClientError> {
        let millis = timeout.as_millis() as u64;
        let result = tokio::time::timeout(timeout, async {
            let connection = self.connection(addr).await?;
            request.opaque = self.next_opaque();
            request.flag = (request.flag | FLAG_ONEWAY) & !plugin_api::codec::FLAG_RESPONSE;
            let mut frame = BytesMut::new();
            encode_frame(&request, &mut frame)?;
            self.write(&connection, &frame).await
        })
        .await;
        result.unwrap_or(Err(ClientError::Timeout {
            addr: addr.to_owned(),
            millis,
        }))
    }

    /// Closes every connection (waiting requests fail with `Closed`).
    pub fn close_all(&self) {
        let connections: Vec<Arc<Connection>> =
            self.connections.lock().drain().map(|(_, c)| c).collect();
        for connection in connections {
            connection.close();
        }
    }

    /// True if a live connection to `addr` is cached.
    pub fn is_connected(&self, addr: &str) -> bool {
        self.connections
            .lock()
            .get(addr)
            .is_some_and(|c| !c.is_closed())
    }

    fn next_opaque(&self) -> i32 {
        // Wraps like Java's AtomicInteger; opaque values only need to be
        // unique among the requests in flight.
        self.next_opaque.fetch_add(1, Ordering::Relaxed)
    }

    async fn write(&self, connection: &Arc<Connection>, frame: &[u8]) -> Result<(), ClientError> {
        let mut writer = connection.writer.lock().await;
        let written = async {
            writer.write_all(frame).await?;
            writer.flush().await
        }
        .await;
        drop(writer);
        written.map_err(|source| {
            self.drop_connection(connection);
            ClientError::Send {
                addr: connection.addr.clone(),
                source,
            }
        })
    }

    fn drop_connection(&self, connection: &Arc<Connection>) {
        connection.close();
        let mut connections = self.connections.lock();
        if connections
            .get(&connection.addr)
            .is_some_and(|c| Arc::ptr_eq(c, connection))
        {
            connections.remove(&connection.addr);
        }
    }

    fn cached(&self, addr: &str) -> Option<Arc<Connection>> {
        let mut connections = self.connections.lock();
        match connections.get(addr) {
            Some(c) if !c.is_closed() => Some(c.clone()),
            Some(_) => {
                connections.remove(addr);
                None
            }
            None => None,
        }
    }

    async fn connection(&self, addr: &str) -> Result<Arc<Connection>, ClientError> {
        if let Some(connection) = self.cached(addr) {
            return Ok(connection);
        }
        let lock = self
            .connecting
            .lock()
            .entry(addr.to_owned())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        if let Some(connection) = self.cached(addr) {
            return Ok(connection);
        }
        let millis = self.config.connect_timeout.as_millis() as u64;
        let stream =
            match tokio::time::timeout(self.config.connect_timeout, TcpStream::connect(addr)).await
            {
                Ok(Ok(stream)) => stream,
                Ok(Err(source)) => {
                    return Err(ClientError::Connect {
                        addr: addr.to_owned(),
                        source,
                    })
                }
                Err(_) => {
                    return Err(ClientError::ConnectTimeout {
                        addr: addr.to_owned(),
                        millis,
                    })
                }
            };
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let pending: Arc<Pending> = Arc::new(Mutex::new(HashMap::new()));
        let closed = Arc::new(AtomicBool::new(false));
        let reader = tokio::spawn(read_responses(
            addr.to_owned(),
            read_half,
            pending.clone(),
            closed.clone(),
        ));
        let connection = Arc::new(Connection {
            addr: addr.to_owned(),
            writer: tokio::sync::Mutex::new(write_half),
            pending,
            closed,
            reader,
        });
        tracing::debug!(%addr, "remoting client connected");
        self.connections
            .lock()
            .insert(addr.to_owned(), connection.clone());
        Ok(connection)
    }
}

impl Drop for RemotingClient {
    fn drop(&mut self) {
        self.close_all();
    }
}

/// Reads frames until the connection ends; each response completes the
/// request waiting on its opaque. Requests from the peer are not served
/// (the name server sends none to brokers) and are logged.
async fn read_responses(
    addr: String,
    mut stream: tokio::net::tcp::OwnedReadHalf,
    pending: Arc<Pending>,
    closed: Arc<AtomicBool>,
) {
    let mut buffer = BytesMut::with_capacity(8 * 1024);
    let reason = loop {
        loop {
            match decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH) {
                Ok(Some(command)) if command.is_response() => {
                    let waiter = pending.lock().remove(&command.opaque);
                    match waiter {
                        Some(waiter) => {
                            let _ = waiter.send(command);
                        }
                        None => {
                            tracing::debug!(%addr, opaque = command.opaque, code = command.code, "response without a waiting request (timed out?)")
                        }
                    }
                }
                Ok(Some(command)) => {
                    tracing::debug!(%addr, code = command.code, "ignoring a request from the peer")
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%addr, %error, "malformed frame from the peer; closing the connection");
                    closed.store(true, Ordering::Release);
                    pending.lock().clear();
                    return;
                }
            }
        }
        match stream.read_buf(&mut buffer).await {
            Ok(0) => break "closed by the peer".to_owned(),
            Ok(_) => {}
            Err(error) => break error.to_string(),
        }
    };
    tracing::debug!(%addr, %reason, "remoting client connection ended");
    closed.store(true, Ordering::Release);
    pending.lock().clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::codec::{encode_to_vec, FLAG_RESPONSE};
    use tokio::net::TcpListener;

    /// A peer that answers every request with code = request code + 1000,
    /// except code 7, which it never answers.
    async fn echo_server() -> (String, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buffer = BytesMut::new();
                    loop {
                        while let Ok(Some(request)) =
                            decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH)
                        {
                            if request.code == 7 || request.is_oneway() {
                                continue;
                            }
                            let mut response =
                                RemotingCommand::response_to(&request, request.code + 1000, None);
                            response.flag = FLAG_RESPONSE;
                            response.body = request.body.clone();
                            let bytes = encode_to_vec(&response).unwrap();
                            if stream.write_all(&bytes).await.is_err() {
                                return;
                            }
                        }
                        match stream.read_buf(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                    }
                });
            }
        });
        (addr, task)
    }

    #[tokio::test]
    async fn matches_responses_by_opaque() {
        let (addr, _server) = echo_server().await;
        let client = RemotingClient::new(ClientConfig::default());
        let calls = (100..120).map(|i| {
            let client = client.clone();
            let addr = addr.clone();
            async move {
                let mut request = RemotingCommand::request(i);
                request.body = vec![i as u8].into();
                let response = client
                    .invoke(&addr, request, Duration::from_secs(5))
                    .await
                    .unwrap();
                assert_eq!(response.code, i + 1000);
                assert_eq!(response.body.as_ref(), &[i as u8]);
            }
        });
        futures::future::join_all(calls).await;
        assert!(client.is_connected(&addr));
    }

    #[tokio::test]
    async fn times_out_alone_and_reconnects() {
        let (addr, _server) = echo_server().await;
        let client = RemotingClient::new(ClientConfig::default());
        let error = client
            .invoke(
                &addr,
                RemotingCommand::request(7),
                Duration::from_millis(200),
            )
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Timeout { .. }), "{error}");
        let response = client
            .invoke(&addr, RemotingCommand::request(1), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(response.code, 1001);
        client
            .invoke_oneway(&addr, RemotingCommand::request(2), Duration::from_secs(5))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn refused_connection_fails_fast() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let client = RemotingClient::new(ClientConfig::default());
        let started = std::time::Instant::now();
        let error = client
            .invoke(&addr, RemotingCommand::request(1), Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Connect { .. }), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
