//! Blocking request/answer over one connection, for the modes that need
//! a few exact requests rather than throughput.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::BytesMut;
use plugin_api::codec::{
    decode_frame, encode_to_vec, ExtFields, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH,
};

/// GET_ROUTEINFO_BY_TOPIC.
pub const ROUTE: i32 = 105;
/// GET_MAX_OFFSET.
pub const GET_MAX_OFFSET: i32 = 30;
/// GET_BROKER_RUNTIME_INFO.
pub const RUNTIME_INFO: i32 = 28;

/// A request with this code and header fields (JSON header).
pub fn request(code: i32, opaque: i32, fields: &[(&str, &str)]) -> RemotingCommand {
    let mut command = RemotingCommand::request(code);
    command.opaque = opaque;
    command.version = 479;
    command.ext_fields = Some(
        fields
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect::<ExtFields>(),
    );
    command
}

/// What became of a request.
pub enum Reply {
    /// The broker answered it.
    Answer(RemotingCommand),
    /// The broker closed the connection instead.
    Closed,
}

/// One blocking connection.
pub struct Connection {
    stream: TcpStream,
    buffer: BytesMut,
}

impl Connection {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: BytesMut::new(),
        })
    }

    /// Wraps an open stream.
    pub fn from_stream(stream: TcpStream) -> anyhow::Result<Connection> {
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: BytesMut::new(),
        })
    }

    /// Sends `command` and waits up to `limit` for the answer with its opaque.
    pub fn call(&mut self, command: &RemotingCommand, limit: Duration) -> anyhow::Result<Reply> {
        self.stream.write_all(&encode_to_vec(command)?)?;
        self.answer(command.opaque, limit)
    }

    /// Waits up to `limit` for the answer to `opaque`.
    pub fn answer(&mut self, opaque: i32, limit: Duration) -> anyhow::Result<Reply> {
        let deadline = Instant::now() + limit;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            while let Some(frame) = decode_frame(&mut self.buffer, DEFAULT_MAX_FRAME_LENGTH)? {
                if frame.is_response() && frame.opaque == opaque {
                    return Ok(Reply::Answer(frame));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("no answer within {limit:?}");
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(Reply::Closed),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
                    ) =>
                {
                    return Ok(Reply::Closed)
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

/// One value of GET_BROKER_RUNTIME_INFO's table (`{"table":{"key":"value",...}}`).
pub fn runtime_value(addr: SocketAddr, key: &str) -> anyhow::Result<String> {
    let mut connection = Connection::connect(addr)?;
    let Reply::Answer(answer) =
        connection.call(&request(RUNTIME_INFO, 1, &[]), Duration::from_secs(10))?
    else {
        bail!("the broker closed the runtime-info request");
    };
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    let needle = format!("\"{key}\":\"");
    let start = body
        .find(&needle)
        .with_context(|| format!("{key} missing from the runtime info"))?
        + needle.len();
    let end = body[start..]
        .find('"')
        .context("unterminated runtime-info value")?;
    Ok(body[start..start + end].to_owned())
}
