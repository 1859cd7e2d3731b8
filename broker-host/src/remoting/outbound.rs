//! How responses reach a connection's socket.
//!
//! A processor thread encodes its response straight into the connection's
//! backlog and, when it has nothing else queued, writes the backlog to the
//! socket itself (a non-blocking write). Only when the socket is full does
//! the connection's writer task take over and wait for it to drain. Under
//! load a pool thread answers several requests before it flushes, so one
//! write carries many responses; when idle, a response costs one write and
//! no hand-off to another thread (which on a 2-core machine cost more than
//! everything else on the path of a request: PERFORMANCE.md).
//!
//! Frames never interleave: frames are appended whole under the lock, and
//! one thread at a time (`writing`) writes. The writer takes the backlog out
//! and writes it with the lock released, so other threads keep queueing
//! answers meanwhile instead of waiting out a write system call (which, on
//! loopback, also delivers to the peer: holding the lock across it made the
//! second send thread wait 1–3 µs per answer under load). What a write does
//! not take goes back in front of whatever was queued meanwhile.
//!
//! The backlog is bounded the way Netty bounds a channel's outbound buffer
//! (`WriteBufferWaterMark`; RocketMQ's `writeBufferHighWaterMark` and
//! `writeBufferLowWaterMark`): past the high-water mark the connection is
//! not writable, and its reader stops taking requests until the backlog is
//! back under the low-water mark (what RocketMQ 5's `NettyServerHandler`
//! does with `setAutoRead(false)` in `channelWritabilityChanged`). Without
//! it, a client that pipelined large reads and never read the answers grew
//! the broker by 1.4 GB in three seconds.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::{Buf, BytesMut};
use parking_lot::{Mutex, MutexGuard};
use plugin_api::codec::{encode_frame_with_fields, FieldsView, RemotingCommand};
use plugin_api::codes::response_code;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;

/// A written-out buffer larger than this is freed rather than kept as the
/// spare: after one large response an idle connection would otherwise hold
/// its size for good.
const SPARE_MAX_CAPACITY: usize = 64 * 1024;

/// Remarks longer than this are cut (with their length appended) before
/// encoding: a remark is a line of text for a person, and one that echoes
/// a client's input whole could exceed the header-length field and then the
/// answer could not be sent at all.
pub(crate) const MAX_REMARK_BYTES: usize = 4096;

/// Netty's default `WriteBufferWaterMark` (32 KiB, 64 KiB), used when
/// `writeBufferLowWaterMark` / `writeBufferHighWaterMark` are 0.
pub const DEFAULT_WRITE_BUFFER_WATER_MARKS: (usize, usize) = (32 * 1024, 64 * 1024);

/// A connection's outgoing side, shared by its handles and its writer task.
pub(crate) struct Outbound {
    state: Mutex<State>,
    socket: OwnedWriteHalf,
    wake_writer: Notify,
    /// Wakes the connection's reader, paused because this side was not
    /// writable or had too many requests in flight, when that may be over.
    wake_reader: Notify,
    low_water: usize,
    high_water: usize,
    /// `State::unwritable`, readable without the lock: the reader asks
    /// before every frame.
    unwritable: AtomicBool,
}

struct State {
    /// Encoded frames not yet written.
    backlog: BytesMut,
    /// An empty buffer swapped in for the backlog while a write runs, so
    /// writing allocates nothing.
    spare: BytesMut,
    /// Bytes queued and not yet written: the backlog plus whatever a write
    /// in progress took out of it.
    pending: usize,
    /// Above the high-water mark, and not yet back under the low one.
    unwritable: bool,
    /// When bytes last went out (or the connection opened): a reader paused
    /// for a peer that reads nothing gives up after the idle timeout.
    last_progress: Instant,
    /// A thread is writing (with the lock released); nobody else writes.
    writing: bool,
    /// The writer task owns the socket until the backlog is empty.
    writer_busy: bool,
    /// The socket failed; everything is dropped from now on (as Netty drops
    /// writes to a closed channel).
    failed: bool,
    /// Every handle is gone: the writer ends once the backlog is written.
    handles_gone: bool,
}

impl Outbound {
    /// The outgoing side of `socket`, not writable above `high_water`
    /// queued bytes until back at `low_water` (0 for either: Netty's
    /// default).
    pub(crate) fn new(socket: OwnedWriteHalf, low_water: usize, high_water: usize) -> Outbound {
        let (default_low, default_high) = DEFAULT_WRITE_BUFFER_WATER_MARKS;
        let high_water = if high_water == 0 {
            default_high
        } else {
            high_water
        };
        let low_water = if low_water == 0 {
            default_low
        } else {
            low_water
        }
        .min(high_water);
        Outbound {
            // Buffers start empty: an idle connection holds none.
            state: Mutex::new(State {
                backlog: BytesMut::new(),
                spare: BytesMut::new(),
                pending: 0,
                unwritable: false,
                last_progress: Instant::now(),
                writing: false,
                writer_busy: false,
                failed: false,
                handles_gone: false,
            }),
            socket,
            wake_writer: Notify::new(),
            wake_reader: Notify::new(),
            low_water,
            high_water,
            unwritable: AtomicBool::new(false),
        }
    }

    /// Encodes `command`, with `fields` as its `extFields`, into the
    /// backlog; false if the socket has failed. A response that cannot be
    /// encoded (a header past the 24-bit length, a code a binary header
    /// cannot hold) is answered SYSTEM_ERROR with a short remark instead:
    /// the client waits for an answer to that opaque, and silence would
    /// leave it waiting until its own timeout.
    pub(crate) fn queue(
        &self,
        command: &RemotingCommand,
        fields: Option<FieldsView<'_>>,
        peer: &str,
    ) -> bool {
        let shortened = shorten_remark(command);
        let command = shortened.as_ref().unwrap_or(command);
        let mut state = self.state.lock();
        if state.failed {
            return false;
        }
        let before = state.backlog.len();
        if let Err(error) = encode_frame_with_fields(command, fields, &mut state.backlog) {
            if !command.is_response() {
                tracing::error!(%error, code = command.code, peer, "cannot encode a request to the client; not sent");
                return false;
            }
            tracing::error!(%error, code = command.code, opaque = command.opaque, peer, "cannot encode a response; answering SYSTEM_ERROR instead");
            let mut replacement = RemotingCommand::response_to(
                command,
                response_code::SYSTEM_ERROR,
                Some(format!("the broker could not encode its response: {error}")),
            );
            replacement.version = command.version;
            if let Err(error) = encode_frame_with_fields(&replacement, None, &mut state.backlog) {
                tracing::error!(%error, peer, "cannot encode the SYSTEM_ERROR replacement either");
                return false;
            }
        }
        state.pending += state.backlog.len() - before;
        if state.pending >= self.high_water && !state.unwritable {
            state.unwritable = true;
            self.unwritable.store(true, Ordering::Release);
            tracing::debug!(
                peer,
                pending = state.pending,
                high_water = self.high_water,
                "connection not writable: its reader pauses"
            );
        }
        true
    }

    /// False from the moment the bytes queued reach the high-water mark
    /// until they are back at the low-water mark (Netty's
    /// `Channel.isWritable`).
    pub(crate) fn is_writable(&self) -> bool {
        !self.unwritable.load(Ordering::Acquire)
    }

    /// True once a write failed: nothing more goes out.
    pub(crate) fn has_failed(&self) -> bool {
        self.state.lock().failed
    }

    /// Bytes queued and not yet written.
    pub(crate) fn pending_bytes(&self) -> usize {
        self.state.lock().pending
    }

    /// When bytes last went out (or the connection opened).
    pub(crate) fn last_progress(&self) -> Instant {
        self.state.lock().last_progress
    }

    /// Wakes the paused reader (or lets its next wait return at once).
    pub(crate) fn wake_reader(&self) {
        self.wake_reader.notify_one();
    }

    /// Resolves after a [`Outbound::wake_reader`] (possibly one made before
    /// the call): the reader then checks again whether it may go on.
    pub(crate) async fn reader_woken(&self) {
        self.wake_reader.notified().await;
    }

    /// Writes the backlog now unless the writer task owns the socket or
    /// another thread is writing (it writes what was queued meanwhile too);
    /// what the socket does not take is left to the writer task.
    pub(crate) fn flush(&self) {
        let mut state = self.state.lock();
        if state.writer_busy || state.writing || state.failed {
            return;
        }
        state.writing = true;
        let (mut state, result) = self.write_backlog(state);
        state.writing = false;
        match result {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                state.writer_busy = true;
                drop(state);
                self.wake_writer.notify_one();
            }
            Err(error) => {
                tracing::debug!(%error, "connection write failed");
                Self::fail(&mut state);
                drop(state);
                self.wake_reader();
            }
        }
    }

    /// The socket failed: everything queued is dropped, and so is whatever
    /// is queued later.
    fn fail(state: &mut State) {
        state.failed = true;
        state.backlog = BytesMut::new();
        state.spare = BytesMut::new();
        state.pending = 0;
    }

    /// Called when the last handle is dropped: the writer task finishes what
    /// is queued and ends.
    pub(crate) fn handles_gone(&self) {
        let mut state = self.state.lock();
        state.handles_gone = true;
        if !state.backlog.is_empty() {
            state.writer_busy = true;
        }
        drop(state);
        self.wake_writer.notify_one();
    }

    /// Writes until the backlog is empty or the socket would block, with the
    /// lock released during each write. The caller owns the socket
    /// (`writing` or `writer_busy`).
    fn write_backlog<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, io::Result<()>) {
        while !state.backlog.is_empty() {
            let spare = std::mem::take(&mut state.spare);
            let mut out = std::mem::replace(&mut state.backlog, spare);
            let taken = out.len();
            drop(state);
            let result = self.write_some(&mut out);
            state = self.state.lock();
            let written = taken - out.len();
            if written > 0 {
                state.pending = state.pending.saturating_sub(written);
                state.last_progress = Instant::now();
                if state.unwritable && state.pending <= self.low_water {
                    state.unwritable = false;
                    self.unwritable.store(false, Ordering::Release);
                    self.wake_reader();
                }
            }
            if out.is_empty() {
                out.clear();
                if out.capacity() <= SPARE_MAX_CAPACITY {
                    state.spare = out;
                }
            } else {
                // Unwritten bytes go first: they precede what was queued meanwhile.
                out.extend_from_slice(&state.backlog);
                state.backlog.clear();
                state.spare = std::mem::replace(&mut state.backlog, out);
            }
            if let Err(error) = result {
                return (state, Err(error));
            }
        }
        (state, Ok(()))
    }

    /// Writes `out` until it is empty or the socket would block.
    fn write_some(&self, out: &mut BytesMut) -> io::Result<()> {
        while !out.is_empty() {
            match self.socket.try_write(out) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => out.advance(written),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// The connection's writer task: drains the backlog whenever a flush
    /// found the socket full; ends when the socket fails or every handle is
    /// gone and the backlog is written.
    pub(crate) async fn run_writer(&self) {
        loop {
            match self.writer_step() {
                WriterStep::Stop => return,
                WriterStep::Sleep => self.wake_writer.notified().await,
                WriterStep::Drain => {
                    if let Err(error) = self.socket.writable().await {
                        tracing::debug!(%error, "connection write failed");
                        Self::fail(&mut self.state.lock());
                        self.wake_reader();
                        return;
                    }
                    match self.drain_for_writer() {
                        DrainResult::Done | DrainResult::SocketFull => {}
                        DrainResult::OtherWriter => tokio::task::yield_now().await,
                        DrainResult::Failed => return,
                    }
                }
            }
        }
    }

    /// One drain by the writer task (which owns the socket while `writer_busy`).
    fn drain_for_writer(&self) -> DrainResult {
        let mut state = self.state.lock();
        if state.writing {
            // A flush that began before the hand-over is still writing
            // (without the lock); it ends in microseconds.
            return DrainResult::OtherWriter;
        }
        state.writing = true;
        let (mut state, result) = self.write_backlog(state);
        state.writing = false;
        match result {
            Ok(()) => {
                state.writer_busy = false;
                DrainResult::Done
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => DrainResult::SocketFull,
            Err(error) => {
                tracing::debug!(%error, "connection write failed");
                Self::fail(&mut state);
                drop(state);
                self.wake_reader();
                DrainResult::Failed
            }
        }
    }

    fn writer_step(&self) -> WriterStep {
        let state = self.state.lock();
        if state.failed || (state.handles_gone && !state.writer_busy) {
            WriterStep::Stop
        } else if state.writer_busy {
            WriterStep::Drain
        } else {
            WriterStep::Sleep
        }
    }
}

/// `command` with its remark cut to [`MAX_REMARK_BYTES`] (on a character
/// boundary, its full length appended), when it is longer; `None` (use
/// `command` as it is) nearly always. The copy shares the body.
fn shorten_remark(command: &RemotingCommand) -> Option<RemotingCommand> {
    let remark = command.remark.as_deref()?;
    if remark.len() <= MAX_REMARK_BYTES {
        return None;
    }
    let mut cut = MAX_REMARK_BYTES;
    while !remark.is_char_boundary(cut) {
        cut -= 1;
    }
    let short = format!(
        "{}... (remark of {} bytes cut)",
        remark.get(..cut).unwrap_or_default(),
        remark.len()
    );
    Some(RemotingCommand {
        code: command.code,
        language: command.language,
        version: command.version,
        opaque: command.opaque,
        flag: command.flag,
        remark: Some(short),
        // Fields are passed to `queue` separately, never read from here.
        ext_fields: None,
        serialize_type: command.serialize_type,
        body: command.body.clone(),
    })
}

enum WriterStep {
    Stop,
    Sleep,
    Drain,
}

enum DrainResult {
    Done,
    SocketFull,
    OtherWriter,
    Failed,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::BytesMut;
    use plugin_api::codec::{decode_frame, ExtFields, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::{Outbound, MAX_REMARK_BYTES};

    /// A connected pair: the broker side's outbound (water marks 1 KiB and
    /// 4 KiB) and the peer's socket.
    async fn pair() -> (Arc<Outbound>, TcpStream, tokio::net::tcp::OwnedReadHalf) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (read_half, write_half) = server.into_split();
        (
            Arc::new(Outbound::new(write_half, 1024, 4096)),
            client,
            read_half,
        )
    }

    async fn next_frame(client: &mut TcpStream, buffer: &mut BytesMut) -> RemotingCommand {
        loop {
            if let Some(frame) =
                decode_frame(buffer, DEFAULT_MAX_FRAME_LENGTH).expect("whole frames")
            {
                return frame;
            }
            assert!(client.read_buf(buffer).await.expect("read") > 0, "closed");
        }
    }

    #[tokio::test]
    async fn a_response_that_cannot_be_encoded_is_answered_system_error() {
        let (outbound, mut client, _read_half) = pair().await;
        let request = RemotingCommand::request(33);
        // A header past the 24-bit length field (JSON), and a code a
        // binary header cannot hold.
        let mut too_long = RemotingCommand::response_to(&request, 0, None);
        too_long.opaque = 7;
        too_long.ext_fields = Some(vec![("v".to_owned(), "\u{1}".repeat(3_000_000))].into());
        let mut wide_code = RemotingCommand::response_to(&request, 200_050, None);
        wide_code.opaque = 8;
        wide_code.serialize_type = plugin_api::codec::SerializeType::RocketMq;
        // A remark far too long for a person.
        let mut chatty = RemotingCommand::response_to(&request, 1, Some("é".repeat(100_000)));
        chatty.opaque = 9;
        for response in [&too_long, &wide_code, &chatty] {
            let fields = response.ext_fields.as_ref().map(ExtFields::view);
            assert!(outbound.queue(response, fields, "test"));
        }
        outbound.flush();
        let mut buffer = BytesMut::new();
        for opaque in [7, 8] {
            let frame = next_frame(&mut client, &mut buffer).await;
            assert_eq!((frame.code, frame.opaque, frame.flag), (1, opaque, 1));
            let remark = frame.remark.expect("remark");
            assert!(
                remark.starts_with("the broker could not encode its response: "),
                "{remark}"
            );
            assert!(remark.len() < 200, "{remark}");
        }
        let frame = next_frame(&mut client, &mut buffer).await;
        assert_eq!((frame.code, frame.opaque), (1, 9));
        let remark = frame.remark.expect("remark");
        assert!(
            remark.ends_with("... (remark of 200000 bytes cut)"),
            "{}",
            &remark[4000..]
        );
        assert!(remark.len() <= MAX_REMARK_BYTES + 40);
        // A request the broker sends that cannot be encoded is not sent.
        let mut notify = RemotingCommand::request(40);
        notify.serialize_type = plugin_api::codec::SerializeType::RocketMq;
        notify.code = 100_000;
        assert!(!outbound.queue(&notify, None, "test"));
    }

    #[tokio::test]
    async fn the_connection_is_not_writable_from_the_high_water_mark_to_the_low_one() {
        let (outbound, mut client, _read_half) = pair().await;
        let response = |opaque: i32, size: usize| {
            let mut response = RemotingCommand::response_to(&RemotingCommand::request(33), 0, None);
            response.opaque = opaque;
            response.body = vec![0u8; size].into();
            response
        };
        // Queued without a flush: nothing leaves, the count grows.
        assert!(outbound.queue(&response(1, 3000), None, "test"));
        assert!(outbound.is_writable());
        assert!(outbound.queue(&response(2, 3000), None, "test"));
        assert!(
            !outbound.is_writable(),
            "{} bytes pending",
            outbound.pending_bytes()
        );
        // Written out: back under the low mark, writable, the reader woken.
        outbound.flush();
        assert_eq!(outbound.pending_bytes(), 0);
        assert!(outbound.is_writable());
        tokio::time::timeout(std::time::Duration::from_secs(10), outbound.reader_woken())
            .await
            .expect("the reader is woken");
        let mut buffer = BytesMut::new();
        assert_eq!(next_frame(&mut client, &mut buffer).await.opaque, 1);
        assert_eq!(next_frame(&mut client, &mut buffer).await.opaque, 2);
    }

    /// Four threads answer 50 large responses each to a peer that does not
    /// read at first: the socket fills, the writer task takes over, and the
    /// peer still gets every frame whole (none interleaved or lost).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_socket_hands_over_to_the_writer_without_mixing_frames() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (_read_half, write_half) = server.into_split();
        let outbound = Arc::new(Outbound::new(write_half, 0, 0));
        let writer = {
            let outbound = outbound.clone();
            tokio::spawn(async move { outbound.run_writer().await })
        };

        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let outbound = outbound.clone();
                std::thread::spawn(move || {
                    for n in 0..50 {
                        let mut response = RemotingCommand::request(0);
                        response.opaque = thread * 1000 + n;
                        response.body = vec![n as u8; 64 * 1024].into();
                        assert!(outbound.queue(&response, None, "test"));
                        outbound.flush();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("answering thread");
        }
        outbound.handles_gone();

        let mut client = client;
        let mut buffer = BytesMut::new();
        let mut seen = Vec::new();
        while seen.len() < 200 {
            let read = client.read_buf(&mut buffer).await.expect("read");
            assert!(read > 0, "connection closed after {} frames", seen.len());
            while let Some(frame) =
                decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH).expect("whole frames")
            {
                let n = frame.opaque % 1000;
                assert_eq!(frame.body.len(), 64 * 1024);
                assert!(frame.body.iter().all(|&b| b == n as u8));
                seen.push(frame.opaque);
            }
        }
        seen.sort_unstable();
        let expected: Vec<i32> = (0..4)
            .flat_map(|t| (0..50).map(move |n| t * 1000 + n))
            .collect();
        assert_eq!(seen, expected);
        writer
            .await
            .expect("writer task ends once everything is written");
    }
}
