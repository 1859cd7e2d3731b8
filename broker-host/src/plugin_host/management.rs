//! The host's own processor for plugin management, served alongside the
//! manifest's processors (it is not itself a plugin: it must survive every
//! swap). Requests are accepted from loopback only.
//!
//! - LIST_PROCESSORS (9100): JSON list of the running processors.
//! - RELOAD_PROCESSORS (9101): re-read the manifest and apply it (as SIGHUP).
//! - ROLLBACK_PROCESSOR (9102, header `name`): put the previous version back.
//! - WHO_SERVES (9103, header `code`): the processor serving a request code.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use plugin_api::sdk::glue::guard;
use plugin_api::sdk::{Outcome, ProcessError, Processor, Request, Response, ResponseCode};

use serde::Serialize;

use super::registry::{Counters, PluginRegistry, ProcessorStatus};
use crate::dispatch::pool::ProcessorInfo;
use crate::dispatch::{HoldService, ProcessorPool};

/// Lists the running processors.
pub const LIST_PROCESSORS: i32 = 9100;
/// Re-reads the manifest and applies it.
pub const RELOAD_PROCESSORS: i32 = 9101;
/// Rolls one processor back to its previous version.
pub const ROLLBACK_PROCESSOR: i32 = 9102;
/// Names the processor serving a request code.
pub const WHO_SERVES: i32 = 9103;

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
            codes: vec![
                LIST_PROCESSORS,
                RELOAD_PROCESSORS,
                ROLLBACK_PROCESSOR,
                WHO_SERVES,
            ],
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
                Ok(report) => {
                    tracing::warn!(
                        from = %request.remote_addr(),
                        "reload request refused: {}",
                        report.to_string().trim_end().replace('\n', "; ")
                    );
                    Response::error(ResponseCode::SYSTEM_ERROR, report.to_string())
                }
                Err(error) => {
                    tracing::error!(from = %request.remote_addr(), %error, "reload request refused; processors unchanged");
                    Response::error(ResponseCode::SYSTEM_ERROR, error.to_string())
                }
            },
            ROLLBACK_PROCESSOR => {
                let name: String = request.required("name")?;
                match registry.rollback(&name) {
                    Ok(report) => Response::success().with_body(report.to_string().into_bytes()),
                    Err(error) => Response::error(ResponseCode::SYSTEM_ERROR, error),
                }
            }
            WHO_SERVES => {
                let code: i32 = request.required("code")?;
                match registry.who_serves(code) {
                    Some((name, version)) => Response::success().with_body(
                        serde_json::json!({ "name": name, "version": version })
                            .to_string()
                            .into_bytes(),
                    ),
                    None => Response::error(
                        ResponseCode::SYSTEM_ERROR,
                        format!("no processor serves code {code}"),
                    ),
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

/// One row of LIST_PROCESSORS, as the CLI and tests read it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedProcessor<'a> {
    name: &'a str,
    version: &'a str,
    previous_version: Option<&'a str>,
    abi: &'a str,
    library: String,
    private_copy: Option<String>,
    loaded_at: i64,
    codes: &'a [i32],
    threads: usize,
    queue_capacity: usize,
    queue_depth: usize,
    since_load: ListedCounters,
    lifetime: ListedCounters,
    builtin: bool,
    /// CRC-32 of the library file (tells two builds apart).
    hash: &'a str,
    /// Fingerprint of the manifest entry (for `plugins check`).
    entry_digest: Option<&'a str>,
}

#[derive(Serialize)]
struct ListedCounters {
    served: u64,
    errors: u64,
    busy: u64,
    panics: u64,
    inline: u64,
}

impl From<Counters> for ListedCounters {
    fn from(c: Counters) -> Self {
        ListedCounters {
            served: c.served,
            errors: c.errors,
            busy: c.busy,
            panics: c.panics,
            inline: c.inline,
        }
    }
}

/// The LIST_PROCESSORS body: a JSON array, one object per processor, keys
/// `name`, `version`, `previousVersion`, `abi`, `library`, `privateCopy`,
/// `loadedAt`, `codes`, `threads`, `queueCapacity`, `queueDepth`,
/// `sinceLoad`, `lifetime` (`{"served","errors","busy","panics","inline"}`),
/// `builtin`, `hash`, `entryDigest`.
pub fn list_json(list: &[ProcessorStatus]) -> String {
    let rows: Vec<ListedProcessor<'_>> = list
        .iter()
        .map(|status| ListedProcessor {
            name: &status.info.name,
            version: &status.info.version,
            previous_version: status.previous_version.as_deref(),
            abi: &status.abi,
            library: status.info.library.display().to_string(),
            private_copy: status
                .private_copy
                .as_ref()
                .map(|p| p.display().to_string()),
            loaded_at: status.loaded_at,
            codes: &status.info.codes,
            threads: status.info.threads,
            queue_capacity: status.info.queue_capacity,
            queue_depth: status.queue_depth,
            since_load: status.since_load.into(),
            lifetime: status.lifetime.into(),
            builtin: status.builtin,
            hash: &status.info.library_hash,
            entry_digest: status.entry_digest.as_deref(),
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
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
