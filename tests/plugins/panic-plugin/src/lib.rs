//! A test-only processor that misbehaves on request, to prove the host
//! survives it. Codes (all unused by RocketMQ):
//! - 9901: panics.
//! - 9902: echoes the `text` header field as the body (proves it still works
//!   after a panic).
//! - 9903: asks to be held for `hold_millis`, then answers `held` on the re-run
//!   (exercises the long-polling outcome).
//! - 9904: sleeps `sleep_millis`, then answers (fills a queue for SYSTEM_BUSY).
//!
//! Settings: `fail_constructor = true` makes the constructor refuse,
//! `panic_constructor = true` makes it panic.

use plugin_api::codes::response_code;
use plugin_api::sdk::{Hold, Host, Outcome, Plugin, ProcessError, Processor, Request, Response};

/// The misbehaving processor.
pub struct PanicPlugin {
    host: Host,
}

impl Plugin for PanicPlugin {
    const NAME: &'static str = "panic-test";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] = &[9901, 9902, 9903, 9904];

    fn new(host: Host, settings: &plugin_api::serde_json::Value) -> Result<Self, String> {
        if settings["panic_constructor"] == true {
            panic!("constructor panicked on purpose");
        }
        if settings["fail_constructor"] == true {
            return Err("constructor refused on purpose".to_owned());
        }
        host.info("panic-test plugin ready");
        Ok(PanicPlugin { host })
    }
}

impl Processor for PanicPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        match request.code() {
            9901 => {
                self.host.warn("about to panic on purpose");
                panic!("deliberate panic for opaque {}", request.opaque())
            }
            9902 => {
                let text: String = request.required("text")?;
                Ok(Response::success().with_body(text.into_bytes()).into())
            }
            9903 if request.allow_hold() => {
                let hold_millis: u64 = request.required("hold_millis")?;
                Ok(Outcome::Hold(Hold {
                    key: request.ext("key").unwrap_or("test@0").to_owned(),
                    wake_offset: 0,
                    timeout_millis: hold_millis,
                    tag_codes: Vec::new(),
                }))
            }
            9903 => Ok(Response::success().with_body(&b"held"[..]).into()),
            9904 => {
                let sleep_millis: u64 = request.required("sleep_millis")?;
                std::thread::sleep(std::time::Duration::from_millis(sleep_millis));
                Ok(Response::success().into())
            }
            other => Err(ProcessError::respond(
                response_code::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }
}

plugin_api::export_plugin!(PanicPlugin);
