//! `baseline`: the speed-of-light server a broker is judged against.
//!
//! It does the least a broker must do with a send: read the frame, find the
//! opaque, copy the body into a memory-mapped file, answer SUCCESS with the
//! same opaque. No topic, no queue, no index, no plugin, no flush. The
//! ratio of the broker's figures to this server's, measured in the same
//! sitting (`rocketmq-bench compare`), is what the project tracks: absolute
//! numbers on a shared 2-core machine move with the load.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use bytes::{Buf, BytesMut};
use clap::Args;
use memmap2::MmapMut;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::answer::code_and_opaque;

/// Baseline server options.
#[derive(Args, Clone)]
pub struct BaselineArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:31921")]
    listen: SocketAddr,
    /// The mapped file the bodies are copied into (created, sized, reused
    /// from its start when full).
    #[arg(long, default_value = "/tmp/rocketmq-bench-baseline.data")]
    file: PathBuf,
    /// Size of the mapped file in MiB.
    #[arg(long, default_value_t = 1024)]
    file_mib: u64,
    /// Runtime worker threads (the broker's network threads are comparable).
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

/// The mapped file and the write position in it.
struct Sink {
    map: MmapMut,
    at: usize,
}

impl Sink {
    fn append(&mut self, body: &[u8]) {
        if body.len() > self.map.len() {
            return;
        }
        if self.at + body.len() > self.map.len() {
            self.at = 0;
        }
        self.map[self.at..self.at + body.len()].copy_from_slice(body);
        self.at += body.len();
    }
}

/// Runs the baseline server until killed.
pub fn run(args: BaselineArgs) -> anyhow::Result<()> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    file.set_len(args.file_mib << 20)?;
    // SAFETY: the file is this process's own scratch file; nothing else is
    // expected to resize it while it is mapped.
    let map = unsafe { MmapMut::map_mut(&file)? };
    let sink = Arc::new(Mutex::new(Sink { map, at: 0 }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.listen).await?;
        println!("[Baseline] listening on {}", args.listen);
        loop {
            let (stream, _) = listener.accept().await?;
            let sink = sink.clone();
            tokio::spawn(async move {
                if let Err(error) = serve(stream, sink).await {
                    eprintln!("[Baseline] connection ended: {error}");
                }
            });
        }
    })
}

async fn serve(mut stream: TcpStream, sink: Arc<Mutex<Sink>>) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = BytesMut::with_capacity(256 * 1024);
    let mut output = Vec::with_capacity(64 * 1024);
    loop {
        if stream.read_buf(&mut input).await? == 0 {
            return Ok(());
        }
        while let Some((opaque, header_end, frame_end)) = next_frame(&input)? {
            sink.lock().append(&input[header_end..frame_end]);
            answer(&mut output, opaque);
            input.advance(frame_end);
        }
        if !output.is_empty() {
            stream.write_all(&output).await?;
            output.clear();
        }
    }
}

/// The opaque, the end of the header and the end of the first whole frame
/// in `input` (offsets from its start); `None` when more bytes are needed.
fn next_frame(input: &[u8]) -> anyhow::Result<Option<(i32, usize, usize)>> {
    let Some(prefix) = input.get(..8) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if !(4..=16 << 20).contains(&length) {
        bail!("bad frame length {length}");
    }
    if input.len() < 4 + length {
        return Ok(None);
    }
    let word = u32::from_be_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
    let header_length = (word & 0x00FF_FFFF) as usize;
    if header_length > length - 4 {
        bail!("header longer than its frame");
    }
    let header = &input[8..8 + header_length];
    let opaque = match word >> 24 {
        // JSON: scan for the opaque.
        0 => code_and_opaque(header)
            .map(|(_, opaque)| opaque)
            .context("JSON header without an opaque")?,
        // ROCKETMQ: code(2) language(1) version(2) opaque(4).
        _ => {
            let bytes = header.get(5..9).context("binary header too short")?;
            i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        }
    };
    Ok(Some((opaque, 8 + header_length, 4 + length)))
}

/// Appends a minimal SUCCESS response frame for `opaque`.
fn answer(output: &mut Vec<u8>, opaque: i32) {
    let header = format!(
        "{{\"code\":0,\"flag\":1,\"language\":\"JAVA\",\"opaque\":{opaque},\"serializeTypeCurrentRPC\":\"JSON\",\"version\":0}}"
    );
    output.extend_from_slice(&((4 + header.len()) as u32).to_be_bytes());
    output.extend_from_slice(&(header.len() as u32).to_be_bytes());
    output.extend_from_slice(header.as_bytes());
}
