//! The host's own processor for plugin management, served alongside the
//! manifest's processors (it is not itself a plugin: it must survive every
//! swap). Requests are accepted from loopback only.
//!
//! - LIST_PROCESSORS (9100): JSON list of the running processors.
//! - RELOAD_PROCESSORS (9101): re-read the manifest and apply it (as SIGHUP).
//! - ROLLBACK_PROCESSOR (9102, header `name`): put the previous version back.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use plugin_api::fastjson::JsonWriter;
use plugin_api::sdk::glue::guard;
use plugin_api::sdk::{Outcome, ProcessError, Processor, Request, Response, ResponseCode};

use super::registry::{PluginRegistry, ProcessorStatus};
use crate::dispatch::pool::ProcessorInfo;
use crate::dispatch::{HoldService, ProcessorPool};

/// Lists the running processors.
pub const LIST_PROCESSORS: i32 = 9100;
/// Re-reads the manifest and applies it.
pub const RELOAD_PROCESSORS: i32 = 9101;
/// Rolls one processor back to its previous version.
pub const ROLLBACK_PROCESSOR: i32 = 9102;

/// The management processor.
pub struct ManagementProcessor {
    registry: Weak<PluginRegistry>,
}

impl ManagementProcessor {
    /// A pool running the management processor for `registry`.
    pub fn start(
        registry: &Arc<PluginRegistry>,
        hold: Arc<HoldService>,
    ) -> std::io::Result<Arc<ProcessorPool>> {
        let info = ProcessorInfo {
            name: "plugin-management".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            library: "(built in)".into(),
            library_hash: "-".into(),
            codes: vec![LIST_PROCESSORS, RELOAD_PROCESSORS, ROLLBACK_PROCESSOR],
            threads: 1,
            queue_capacity: 64,
            max_queue_wait: Duration::ZERO,
            fast_port: true,
            main_port_only_codes: Vec::new(),
            inline_codes: Vec::new(),
        };
        let processor = guard(ManagementProcessor {
            registry: Arc::downgrade(registry),
        });
        ProcessorPool::start(info, processor, hold, None)
    }
}

impl Processor for ManagementProcessor {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let from_loopback = request
            .remote_addr()
            .parse::<SocketAddr>()
            .is_ok_and(|addr| addr.ip().is_loopback());
        if !from_loopback {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!(
                    "plugin management is accepted from loopback only, not from {}",
                    request.remote_addr()
                ),
            ));
        }
        let registry = self.registry.upgrade().ok_or_else(|| {
            ProcessError::respond(ResponseCode::SYSTEM_ERROR, "the broker is shutting down")
        })?;
        let response = match request.code() {
            LIST_PROCESSORS => {
                Response::success().with_body(list_json(&registry.list()).into_bytes())
            }
            RELOAD_PROCESSORS => match registry.reload() {
                Ok(report) if report.failures.is_empty() => {
                    Response::success().with_body(report.to_string().into_bytes())
                }
                Ok(report) => Response::error(ResponseCode::SYSTEM_ERROR, report.to_string()),
                Err(error) => Response::error(ResponseCode::SYSTEM_ERROR, error.to_string()),
            },
            ROLLBACK_PROCESSOR => {
                let name: String = request.required("name")?;
                match registry.rollback(&name) {
                    Ok(report) => Response::success().with_body(report.to_string().into_bytes()),
                    Err(error) => Response::error(ResponseCode::SYSTEM_ERROR, error),
                }
            }
            other => Response::error(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            ),
        };
        Ok(response.into())
    }
}

/// `[{"name":…,"version":…,"library":…,"hash":…,"codes":[…],"threads":…,"queueCapacity":…,"queueDepth":…,"served":…,"errors":…,"panics":…,"busy":…,"inline":…,"previousVersion":…}]`
fn list_json(list: &[ProcessorStatus]) -> String {
    let mut w = JsonWriter::new();
    w.begin_array();
    for status in list {
        let info = &status.info;
        w.begin_object()
            .field_str("name", &info.name)
            .field_str("version", &info.version)
            .field_str("library", &info.library.display().to_string())
            .field_str("hash", &info.library_hash);
        w.key("codes").begin_array();
        for code in &info.codes {
            w.int(i64::from(*code));
        }
        w.end_array();
        for (key, value) in [
            ("threads", info.threads as u64),
            ("queueCapacity", info.queue_capacity as u64),
            ("queueDepth", status.queue_depth as u64),
            ("served", status.served),
            ("errors", status.errors),
            ("panics", status.panics),
            ("busy", status.busy),
            ("inline", status.inline),
        ] {
            w.key(key).uint(value);
        }
        if let Some(previous) = &status.previous_version {
            w.field_str("previousVersion", previous);
        }
        w.end_object();
    }
    w.end_array();
    w.finish()
}

/// Client side of the management codes, for the `broker-host plugins` CLI:
/// sends one request to a running broker and returns its response.
pub fn call(
    addr: &str,
    code: i32,
    fields: &[(&str, &str)],
) -> Result<plugin_api::codec::RemotingCommand, String> {
    use std::io::{Read, Write};

    use plugin_api::codec::{
        decode_frame, encode_to_vec, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH,
    };

    let mut stream =
        std::net::TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let mut request = RemotingCommand::request(code);
    request.version = plugin_api::codes::BROKER_VERSION;
    request.opaque = 1;
    request.ext_fields = Some(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let bytes = encode_to_vec(&request).map_err(|e| e.to_string())?;
    stream
        .write_all(&bytes)
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    let mut buffer = bytes::BytesMut::new();
    loop {
        if let Some(response) =
            decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH).map_err(|e| e.to_string())?
        {
            return Ok(response);
        }
        let mut chunk = [0u8; 64 * 1024];
        let read = stream
            .read(&mut chunk)
            .map_err(|e| format!("no response from {addr}: {e}"))?;
        if read == 0 {
            return Err(format!("{addr} closed the connection"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, previous_version: Option<&str>) -> ProcessorStatus {
        ProcessorStatus {
            info: ProcessorInfo {
                name: name.into(),
                version: "0.1.0".into(),
                library: "plugins/libsend_plugin.so".into(),
                library_hash: "1a2b3c4d".into(),
                codes: vec![10, 310, 36],
                threads: 4,
                queue_capacity: 10000,
                max_queue_wait: Duration::ZERO,
                fast_port: true,
                main_port_only_codes: Vec::new(),
                inline_codes: Vec::new(),
            },
            queue_depth: 2,
            served: 100,
            errors: 3,
            panics: 1,
            busy: 5,
            inline: 7,
            previous_version: previous_version.map(str::to_owned),
        }
    }

    /// LIST_PROCESSORS' body: one object per processor, `previousVersion`
    /// only when a rollback is possible, strings escaped as fastjson does.
    #[test]
    fn the_list_is_written_in_fastjson_form() {
        assert_eq!(list_json(&[]), "[]");
        assert_eq!(
            list_json(&[status("send", Some("0.0.9")), status("a\"b", None)]),
            concat!(
                r#"[{"name":"send","version":"0.1.0","library":"plugins/libsend_plugin.so","hash":"1a2b3c4d","#,
                r#""codes":[10,310,36],"threads":4,"queueCapacity":10000,"queueDepth":2,"served":100,"#,
                r#""errors":3,"panics":1,"busy":5,"inline":7,"previousVersion":"0.0.9"},"#,
                r#"{"name":"a\"b","version":"0.1.0","library":"plugins/libsend_plugin.so","hash":"1a2b3c4d","#,
                r#""codes":[10,310,36],"threads":4,"queueCapacity":10000,"queueDepth":2,"served":100,"#,
                r#""errors":3,"panics":1,"busy":5,"inline":7}]"#
            )
        );
    }
}
