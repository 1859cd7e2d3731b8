//! One client connection: a reader that cuts frames and hands each request
//! to the [`RequestHandler`], and an outbound side (`outbound`) that sends
//! responses as they complete.
//!
//! What one connection may cost is bounded whatever its client does:
//!
//! * its read buffer grows as a frame's bytes arrive (never reserved for the
//!   length a frame announces), and is given back while the connection
//!   waits with nothing buffered: an idle connection holds none;
//! * a frame begun must be whole within `frame_timeout` (every byte used to
//!   reset the idle timer, so a frame sent a byte at a time held its buffer
//!   for ever);
//! * the reader stops taking requests while the answers already queued are
//!   over the write-buffer high-water mark or too many requests are in
//!   flight, until they drain (see `outbound`);
//! * a header large enough to take more than a moment to decode is decoded
//!   on the blocking pool, a few at a time, so the network thread keeps
//!   serving other connections meanwhile (the broker runs one network
//!   thread per two cores);
//! * a header over the [`HeaderLimits`] is answered SYSTEM_ERROR and the
//!   connection goes on; a frame that does not decode closes it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use plugin_api::codec::{
    decode_after_length, peek_frame, split_frame, CodecError, HeaderLimitError, HeaderLimits,
    RemotingCommand,
};
use plugin_api::codes::{response_code, BROKER_VERSION};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};

use super::directory::Admission;
use super::handler::RequestHandler;
use super::outbound::Outbound;
use super::server::PortKind;
use super::{ConnectionDirectory, ConnectionHandle};

/// What one read asks for when the frame in progress is small or unknown.
const READ_CHUNK: usize = 64 * 1024;

/// Less room than this left in the buffer (and less than the frame still
/// needs) and the buffer grows before the next read.
const MIN_READ_ROOM: usize = 8 * 1024;

/// Headers longer than this are decoded on the blocking pool. A 64 KiB
/// header decodes in about 0.1 ms (docs/PERFORMANCE.md): below it the hand-off
/// would cost more than it saves; a 16 MiB one takes tens of milliseconds,
/// which the one network thread must not spend.
pub const OFF_THREAD_HEADER_BYTES: usize = 64 * 1024;

/// Large headers decoded at once, over every connection: a client opening
/// many connections to send large headers gets them decoded in turn rather
/// than a thread each.
static OFF_THREAD_DECODES: Semaphore = Semaphore::const_new(2);

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
    /// Close when a frame begun is not whole after this long.
    pub frame_timeout: Duration,
    /// What a request header may carry.
    pub header_limits: HeaderLimits,
    /// `(low, high)` write-buffer water marks (0: Netty's defaults).
    pub write_buffer_water_marks: (usize, usize),
    /// Requests in flight at which the reader pauses (at least 1).
    pub max_requests_in_flight: usize,
}

/// Serves one connection until the peer closes it, it misbehaves, it idles
/// out, or the server shuts down. `admission` counts it against the
/// connection limit until it is closed.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    port: PortKind,
    context: ConnectionContext,
    mut shutdown: watch::Receiver<bool>,
    admission: Admission,
) {
    let ConnectionContext {
        handler,
        directory,
        limits,
    } = context;
    let _ = stream.set_nodelay(true);
    let (socket, writer) = stream.into_split();
    let (low_water, high_water) = limits.write_buffer_water_marks;
    let outbound = Arc::new(Outbound::new(writer, low_water, high_water));
    let handle = ConnectionHandle::new(
        peer.to_string(),
        outbound.clone(),
        limits.max_requests_in_flight,
    );
    directory.opened(&handle);

    let writer_task = tokio::spawn(async move { outbound.run_writer().await });

    let mut reader = Reader {
        socket,
        buffer: BytesMut::new(),
        frame_started: None,
        peer,
        port,
        limits,
        handler,
        handle: handle.clone(),
        directory: directory.clone(),
    };
    tokio::select! {
        () = reader.run() => {}
        _ = shutdown.changed() => {}
    }
    drop(reader);
    directory.closed(handle.id());
    // Pending responses still reach the peer: the writer ends once every
    // handle clone (held by queued or running jobs) is gone.
    drop(handle);
    let _ = writer_task.await;
    drop(admission);
    tracing::debug!(peer = %peer, "connection closed");
}

/// The reading side of one connection.
struct Reader {
    socket: OwnedReadHalf,
    /// Bytes read and not yet cut into frames.
    buffer: BytesMut,
    /// When the first bytes of the incomplete frame at the front of the
    /// buffer arrived (`None`: the buffer is empty).
    frame_started: Option<Instant>,
    peer: SocketAddr,
    port: PortKind,
    limits: ConnectionLimits,
    handler: Arc<dyn RequestHandler>,
    handle: ConnectionHandle,
    /// Where the answers to the broker's own requests go.
    directory: Arc<ConnectionDirectory>,
}

/// A frame, decoded.
enum Decoded {
    /// A request (or a response) within the limits.
    Command(RemotingCommand),
    /// A well-formed request whose header exceeds a limit.
    OverLimits(RemotingCommand, HeaderLimitError),
    /// Not a frame: the stream cannot be trusted any more.
    Malformed(CodecError),
    /// The decoding task failed (it panicked).
    Lost(String),
}

impl Reader {
    /// Reads, cuts and hands over frames until the connection is to close.
    async fn run(&mut self) {
        loop {
            let mut took_frame = false;
            loop {
                if !self.handle.may_read() {
                    if !self.wait_until_may_read().await {
                        return;
                    }
                    // The pause was the broker's: the frame's time starts again.
                    if self.frame_started.is_some() {
                        self.frame_started = Some(Instant::now());
                    }
                }
                match self.next_frame().await {
                    Ok(true) => took_frame = true,
                    Ok(false) => break,
                    Err(()) => return,
                }
            }
            if self.buffer.is_empty() {
                self.frame_started = None;
            } else if took_frame || self.frame_started.is_none() {
                self.frame_started = Some(Instant::now());
            }
            if !self.read_more().await {
                return;
            }
        }
    }

    /// Takes the whole frame at the front of the buffer, if there is one, and
    /// hands it over: `Ok(true)` when a frame was taken, `Ok(false)` when
    /// more bytes are needed, `Err` when the connection is to close.
    async fn next_frame(&mut self) -> Result<bool, ()> {
        let peek = match peek_frame(&self.buffer, self.limits.max_frame_length) {
            Ok(Some(peek)) if self.buffer.len() >= peek.total() => peek,
            Ok(_) => return Ok(false),
            Err(error) => {
                tracing::warn!(peer = %self.peer, %error, "malformed frame; closing this connection");
                return Err(());
            }
        };
        let Ok(Some(frame)) = split_frame(&mut self.buffer, self.limits.max_frame_length) else {
            return Ok(false);
        };
        // Counted before the handler counts this request in.
        let lone = self.buffer.is_empty() && self.handle.requests_in_flight() == 0;
        let decoded = if peek.header_length.unwrap_or(0) > OFF_THREAD_HEADER_BYTES {
            decode_off_thread(frame, self.limits.header_limits).await
        } else {
            decode(frame, &self.limits.header_limits)
        };
        match decoded {
            Decoded::Command(command) if command.is_response() => {
                // The answer to a request the broker sent (`invoke`).
                let opaque = command.opaque;
                if !self.directory.response_arrived(self.handle.id(), command) {
                    tracing::debug!(peer = %self.peer, opaque, "response with no pending request dropped");
                }
            }
            Decoded::Command(command) => {
                self.handler
                    .handle(command, self.handle.clone(), self.port, lone);
            }
            Decoded::OverLimits(command, error) => self.refuse(&command, &error),
            Decoded::Malformed(error) => {
                tracing::warn!(peer = %self.peer, %error, "malformed frame; closing this connection");
                return Err(());
            }
            Decoded::Lost(error) => {
                tracing::error!(peer = %self.peer, %error, "decoding a frame failed; closing this connection");
                return Err(());
            }
        }
        Ok(true)
    }

    /// Answers a request whose header exceeds a limit with SYSTEM_ERROR and
    /// the limit in the remark, as Java answers a header it cannot read
    /// into its custom header class (nothing for a oneway request).
    fn refuse(&self, command: &RemotingCommand, error: &HeaderLimitError) {
        tracing::warn!(peer = %self.peer, code = command.code, opaque = command.opaque, %error, "request header over the limits; answered SYSTEM_ERROR");
        if command.is_response() || command.is_oneway() {
            return;
        }
        let mut response = RemotingCommand::response_to(
            command,
            response_code::SYSTEM_ERROR,
            Some(error.to_string()),
        );
        response.version = BROKER_VERSION;
        self.handle.send_command(&response);
    }

    /// Waits until the connection may take requests again (its answers
    /// drained below the low-water mark, or a request finished); false
    /// when it is to close instead: its socket failed, or nothing was
    /// written to it for the idle timeout (the peer reads nothing: Netty's
    /// all-idle event closes such a channel in Java's broker).
    async fn wait_until_may_read(&mut self) -> bool {
        let paused_at = Instant::now();
        let outbound = self.handle.outbound();
        tracing::debug!(peer = %self.peer, pending = outbound.pending_bytes(), in_flight = self.handle.requests_in_flight(), "reading paused");
        loop {
            if outbound.has_failed() {
                return false;
            }
            if self.handle.may_read() {
                tracing::debug!(peer = %self.peer, paused_for = ?paused_at.elapsed(), "reading resumed");
                return true;
            }
            let stalled_since = outbound.last_progress().max(paused_at);
            let give_up = stalled_since + self.limits.idle_timeout;
            if give_up <= Instant::now() {
                tracing::info!(peer = %self.peer, pending = outbound.pending_bytes(), in_flight = self.handle.requests_in_flight(), "nothing written to the peer for {:?} while its answers wait; closing", self.limits.idle_timeout);
                return false;
            }
            tokio::select! {
                () = outbound.reader_woken() => {}
                () = tokio::time::sleep_until(give_up.into()) => {}
            }
        }
    }

    /// Reads more bytes; false when the connection is to close (the peer
    /// closed it, a read failed, it idled out or a frame was not completed
    /// in time).
    async fn read_more(&mut self) -> bool {
        let idle_deadline = Instant::now() + self.limits.idle_timeout;
        let frame_deadline = self
            .frame_started
            .map(|started| started + self.limits.frame_timeout);
        let deadline = frame_deadline.map_or(idle_deadline, |frame| frame.min(idle_deadline));
        match tokio::time::timeout_at(deadline.into(), self.read_some()).await {
            Ok(Ok(0)) => false,
            Ok(Ok(_)) => true,
            Ok(Err(error)) => {
                tracing::debug!(peer = %self.peer, %error, "connection read failed");
                false
            }
            Err(_) if frame_deadline.is_some_and(|frame| frame <= Instant::now()) => {
                let expected = peek_frame(&self.buffer, self.limits.max_frame_length)
                    .ok()
                    .flatten()
                    .map(|peek| peek.total());
                tracing::warn!(peer = %self.peer, received = self.buffer.len(), ?expected, "frame not completed within {:?} (serverFrameTimeoutMillis); closing", self.limits.frame_timeout);
                false
            }
            Err(_) => {
                tracing::info!(peer = %self.peer, "connection idle for {:?}; closing", self.limits.idle_timeout);
                false
            }
        }
    }

    /// One read into the buffer (0: the peer closed the connection).
    async fn read_some(&mut self) -> io::Result<usize> {
        if self.buffer.is_empty() {
            // Wait without a buffer: an idle connection holds none. (The
            // frames cut from it keep its memory until they are done.)
            self.buffer = BytesMut::new();
        }
        loop {
            self.socket.readable().await?;
            self.make_room();
            match self.socket.try_read_buf(&mut self.buffer) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
    }

    /// Grows the buffer, if it has little room left, by what the frame in
    /// progress still needs, but never by more than the bytes already
    /// received (or one chunk): a frame's buffer grows as its bytes arrive,
    /// doubling at most, so a client that announces 16 MiB and sends one
    /// byte holds 64 KiB, not 16 MiB.
    fn make_room(&mut self) {
        let received = self.buffer.len();
        let rest = match peek_frame(&self.buffer, self.limits.max_frame_length) {
            Ok(Some(peek)) => peek.total().saturating_sub(received),
            _ => 0,
        };
        let wanted = rest.max(READ_CHUNK).min(received.max(READ_CHUNK));
        let room = self.buffer.capacity() - received;
        if room >= wanted.min(MIN_READ_ROOM) {
            return;
        }
        // A new buffer of exactly this size (`reserve` may double the
        // capacity instead), the bytes so far copied over.
        let mut bigger = BytesMut::with_capacity(received + wanted);
        bigger.extend_from_slice(&self.buffer);
        self.buffer = bigger;
    }
}

/// Decodes a frame (without its length field) and checks its header.
fn decode(frame: Bytes, limits: &HeaderLimits) -> Decoded {
    match decode_after_length(frame) {
        Ok(command) => match limits.check(&command) {
            Ok(()) => Decoded::Command(command),
            Err(error) => Decoded::OverLimits(command, error),
        },
        Err(error) => Decoded::Malformed(error),
    }
}

/// [`decode`] on the blocking pool, at most [`OFF_THREAD_DECODES`] at once.
async fn decode_off_thread(frame: Bytes, limits: HeaderLimits) -> Decoded {
    // The semaphore is never closed; without a permit the decode still runs.
    let _permit = OFF_THREAD_DECODES.acquire().await;
    match tokio::task::spawn_blocking(move || decode(frame, &limits)).await {
        Ok(decoded) => decoded,
        Err(error) => Decoded::Lost(error.to_string()),
    }
}
