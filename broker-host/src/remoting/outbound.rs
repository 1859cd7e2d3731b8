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

use std::io;

use bytes::{Buf, BytesMut};
use parking_lot::{Mutex, MutexGuard};
use plugin_api::codec::{encode_frame_with_fields, FieldsView, RemotingCommand};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;

/// Initial capacity of the backlog and of its spare buffer.
const BUFFER_CAPACITY: usize = 16 * 1024;

/// A connection's outgoing side, shared by its handles and its writer task.
pub(crate) struct Outbound {
    state: Mutex<State>,
    socket: OwnedWriteHalf,
    wake_writer: Notify,
}

#[derive(Default)]
struct State {
    /// Encoded frames not yet written.
    backlog: BytesMut,
    /// An empty buffer swapped in for the backlog while a write runs, so
    /// writing allocates nothing.
    spare: BytesMut,
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
    pub(crate) fn new(socket: OwnedWriteHalf) -> Outbound {
        Outbound {
            state: Mutex::new(State {
                backlog: BytesMut::with_capacity(BUFFER_CAPACITY),
                spare: BytesMut::with_capacity(BUFFER_CAPACITY),
                ..State::default()
            }),
            socket,
            wake_writer: Notify::new(),
        }
    }

    /// Encodes `command`, with `fields` as its `extFields`, into the
    /// backlog; false if the socket has failed.
    pub(crate) fn queue(
        &self,
        command: &RemotingCommand,
        fields: Option<FieldsView<'_>>,
        peer: &str,
    ) -> bool {
        let mut state = self.state.lock();
        if state.failed {
            return false;
        }
        if let Err(error) = encode_frame_with_fields(command, fields, &mut state.backlog) {
            tracing::error!(%error, code = command.code, peer, "cannot encode a response");
            return false;
        }
        true
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
                state.failed = true;
                state.backlog.clear();
            }
        }
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
            drop(state);
            let result = self.write_some(&mut out);
            state = self.state.lock();
            if out.is_empty() {
                out.clear();
                state.spare = out;
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
                        self.state.lock().failed = true;
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
                state.failed = true;
                state.backlog.clear();
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
    use plugin_api::codec::{decode_frame, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::Outbound;

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
        let outbound = Arc::new(Outbound::new(write_half));
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
