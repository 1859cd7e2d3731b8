//! A test-only processor that misbehaves on request, to prove the host
//! survives it. Codes (all unused by RocketMQ):
//! - 9901: panics.
//! - 9902: echoes the `text` header field as the body (proves it still works
//!   after a panic).
//! - 9903: asks to be held for `hold_millis` on the queue named by `key`
//!   (`topic@queueId`, default `test@0`), then answers `held` on the re-run
//!   (exercises the long-polling outcome).
//! - 9904: sleeps `sleep_millis`, then answers (fills a queue for SYSTEM_BUSY).
//!
//! Settings: `fail_constructor = true` makes the constructor refuse,
//! `panic_constructor = true` makes it panic.

use plugin_api::sdk::{
    Deserialize, Hold, HoldKey, Host, Outcome, Plugin, ProcessError, Processor, Request, Response,
    ResponseCode, StartError,
};

/// The misbehaving processor.
pub struct PanicPlugin {
    host: Host,
}

/// `[processor.settings]` of the manifest entry; unknown keys refuse the load.
#[derive(Deserialize)]
#[serde(crate = "plugin_api::sdk::serde")]
pub struct PanicSettings {
    /// `true`: the constructor panics (the load is refused with the panic message).
    #[serde(default)]
    panic_constructor: bool,
    /// `true`: the constructor returns an error (the load is refused with its text).
    #[serde(default)]
    fail_constructor: bool,
}

impl Plugin for PanicPlugin {
    const NAME: &'static str = "panic-test";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] = &[9901, 9902, 9903, 9904];
    type Settings = PanicSettings;

    fn new(host: Host, settings: PanicSettings) -> Result<Self, StartError> {
        if settings.panic_constructor {
            panic!("constructor panicked on purpose");
        }
        if settings.fail_constructor {
            return Err("constructor refused on purpose".into());
        }
        host.info("panic-test plugin ready");
        Ok(PanicPlugin { host })
    }
}

/// The queue a held 9903 waits on: `topic@queueId` (a text without a queue
/// id waits on queue 0 of that topic).
fn hold_key(text: &str) -> HoldKey {
    match text.rsplit_once('@') {
        Some((topic, queue_id)) => match queue_id.parse() {
            Ok(queue_id) => HoldKey::queue(topic, queue_id),
            Err(_) => HoldKey::queue(text, 0),
        },
        None => HoldKey::queue(text, 0),
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
                    key: hold_key(request.ext("key").unwrap_or("test@0")),
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
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }
}

plugin_api::export_plugin!(PanicPlugin);
