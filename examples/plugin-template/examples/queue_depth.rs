//! Calls the plugin's QUEUE_DEPTH (9300) on a running broker and prints the
//! answer: a minimal RocketMQ remoting client built on plugin-api's codec.
//!
//! ```sh
//! cargo run --example queue_depth -- 127.0.0.1:10911 TBW102 [QUEUE_ID]
//! ```
//!
//! Prints `total N` and the depth of each queue (`queue 0: 2`), or the
//! broker's error code and remark, with exit status 1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use bytes::BytesMut;
use plugin_api::codec::{decode_frame, encode_to_vec, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};
use queue_depth_plugin::QUEUE_DEPTH;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let usage = "usage: queue_depth ADDR TOPIC [QUEUE_ID]";
    let mut args = std::env::args().skip(1);
    let addr = args.next().ok_or(usage)?;
    let topic = args.next().ok_or(usage)?;
    let mut fields = vec![("topic".to_owned(), topic)];
    if let Some(queue_id) = args.next() {
        fields.push(("queueId".to_owned(), queue_id));
    }

    let mut request = RemotingCommand::request(QUEUE_DEPTH);
    request.opaque = 1;
    request.version = plugin_api::codes::BROKER_VERSION;
    request.ext_fields = Some(fields.into_iter().collect());
    let response = call(&addr, &request)?;

    if response.code != 0 {
        return Err(format!(
            "broker answered code {}: {}",
            response.code,
            response.remark.unwrap_or_default()
        ));
    }
    println!("total {}", response.ext("total").unwrap_or("?"));
    let depths: Vec<i64> = plugin_api::serde_json::from_slice(&response.body)
        .map_err(|error| format!("the answer's body is not a list of depths: {error}"))?;
    for (queue_id, depth) in depths.iter().enumerate() {
        println!("queue {queue_id}: {depth}");
    }
    Ok(())
}

/// Sends one request and reads frames until its answer is whole.
fn call(addr: &str, request: &RemotingCommand) -> Result<RemotingCommand, String> {
    let mut stream =
        TcpStream::connect(addr).map_err(|error| format!("cannot connect to {addr}: {error}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|error| error.to_string())?;
    let frame = encode_to_vec(request).map_err(|error| error.to_string())?;
    stream
        .write_all(&frame)
        .map_err(|error| format!("cannot send: {error}"))?;
    let mut buffer = BytesMut::new();
    loop {
        if let Some(response) = decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH)
            .map_err(|error| format!("bad answer: {error}"))?
        {
            return Ok(response);
        }
        let mut chunk = [0u8; 64 * 1024];
        let read = stream
            .read(&mut chunk)
            .map_err(|error| format!("no answer: {error}"))?;
        if read == 0 {
            return Err(format!("{addr} closed the connection"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}
