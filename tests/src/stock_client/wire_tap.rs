//! A recording relay between the client and the broker (or a name server).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use plugin_api::codec::{decode_frame, encode_to_vec, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};

/// A TCP relay in front of the broker that records every remoting frame
/// each way (the client's request codes and headers, the broker's answers).
/// Point a client's name server at [`WireTap::addr`]: the tap rewrites the
/// broker's address in response bodies (routes, cluster info) to its own,
/// so the client's traffic to the broker as a broker flows through it too.
pub struct WireTap {
    addr: SocketAddr,
    frames: Frames,
    stop: Arc<AtomicBool>,
}

type Frames = Arc<Mutex<Vec<(Direction, RemotingCommand)>>>;

/// Which way a recorded frame went (a frame's flag tells a request from a
/// response: the broker also sends requests, e.g. NOTIFY_CONSUMER_IDS_CHANGED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to broker.
    ToBroker,
    /// Broker to client.
    ToClient,
}

impl WireTap {
    /// Listens on a free loopback port and relays to `broker`, rewriting
    /// the broker's address in response bodies to the tap's own.
    pub fn start(broker: SocketAddr) -> WireTap {
        WireTap::bind(broker, |tap| (broker, tap))
    }

    /// Relays to `target` (e.g. a separate name server), rewriting `from` in
    /// response bodies to `to` (e.g. another tap in front of the broker).
    pub fn relaying(target: SocketAddr, from: SocketAddr, to: SocketAddr) -> WireTap {
        WireTap::bind(target, |_| (from, to))
    }

    fn bind(
        target: SocketAddr,
        rewrite: impl FnOnce(SocketAddr) -> (SocketAddr, SocketAddr),
    ) -> WireTap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind wire tap");
        let tap = WireTap {
            addr: listener.local_addr().expect("tap addr"),
            frames: Arc::default(),
            stop: Arc::default(),
        };
        let (from, to) = rewrite(tap.addr);
        let rewrite = (from.to_string().into_bytes(), to.to_string().into_bytes());
        let (frames, stop) = (Arc::clone(&tap.frames), Arc::clone(&tap.stop));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let (Ok(client), Ok(upstream)) = (client, TcpStream::connect(target)) else {
                    continue;
                };
                let (Ok(client2), Ok(upstream2)) = (client.try_clone(), upstream.try_clone())
                else {
                    continue;
                };
                let (requests, responses) = (Arc::clone(&frames), Arc::clone(&frames));
                let rewrite = rewrite.clone();
                std::thread::spawn(move || {
                    relay(client, upstream, Direction::ToBroker, &requests, None)
                });
                std::thread::spawn(move || {
                    relay(
                        upstream2,
                        client2,
                        Direction::ToClient,
                        &responses,
                        Some(rewrite),
                    )
                });
            }
        });
        tap
    }

    /// The address to give clients as their name server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every frame so far (responses as the broker sent them).
    pub fn frames(&self) -> Vec<(Direction, RemotingCommand)> {
        self.frames.lock().unwrap().clone()
    }

    /// One line per frame: direction, code, opaque, header fields, remark.
    pub fn transcript(&self) -> String {
        self.frames()
            .iter()
            .map(|(direction, c)| {
                format!(
                    "{direction:?} code={} opaque={} flag={} version={} fields={:?} remark={:?} body={}\n",
                    c.code,
                    c.opaque,
                    c.flag,
                    c.version,
                    c.ext_fields,
                    c.remark,
                    String::from_utf8_lossy(&c.body[..c.body.len().min(300)])
                )
            })
            .collect()
    }
}

impl Drop for WireTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies `from` to `to` frame by frame, recording each frame; with
/// `rewrite = (old, new)`, replaces `old` by `new` in frame bodies.
fn relay(
    mut from: TcpStream,
    mut to: TcpStream,
    direction: Direction,
    frames: &Mutex<Vec<(Direction, RemotingCommand)>>,
    rewrite: Option<(Vec<u8>, Vec<u8>)>,
) {
    let mut buffer = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    'read: while let Ok(n) = from.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Ok(Some(mut command)) = decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH) {
            frames.lock().unwrap().push((direction, command.clone()));
            if let Some((old, new)) = &rewrite {
                command.body = replace_bytes(&command.body, old, new).into();
            }
            let encoded = encode_to_vec(&command).expect("re-encode a decoded frame");
            if to.write_all(&encoded).is_err() {
                break 'read;
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
    let _ = from.shutdown(std::net::Shutdown::Both);
}

fn replace_bytes(haystack: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(old.len()).position(|w| w == old) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(new);
        rest = &rest[at + old.len()..];
    }
    out.extend_from_slice(rest);
    out
}
