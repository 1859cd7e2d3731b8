//! The plugin side of the ABI, written once for every plugin: the root
//! module's functions, the conversion of outcomes, and the panic guard
//! around each entry point.
//!
//! A panic that reaches an abi_stable shim aborts the whole broker, so every
//! function here that runs plugin code does it inside `catch_unwind`.
//!
//! A plugin library (a cdylib) links its own copy of std, and with it its own
//! panic hook: the host's hook never sees a plugin's panics. Left alone, the
//! plugin's default hook would print `thread '…' panicked at …` and the
//! backtrace note to stderr for every caught panic, beside the host's own log
//! line. [`root_module`] therefore installs, in the plugin's std, a quiet hook
//! that only records where a guarded panic happened; the location travels
//! with the message to the host, which logs it once (rate-limited).

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Once};

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString, RVec},
};

use super::{parse_settings, Host, Outcome, Plugin, Processor, Request, Response, StartError};
use crate::ffi::{
    FfiHold, FfiOutcome, FfiPluginInfo, FfiProcessor, FfiProcessor_TO, FfiRequest, FfiResponse,
    HostContextBox, PluginModule, PluginModuleRef, PluginSideHost, ProcessorBox,
};

/// Builds the root module for plugin type `P`; called once, when the host
/// loads the library, which is when the plugin's quiet panic hook goes in.
pub fn root_module<P: Plugin>() -> PluginModuleRef {
    install_quiet_panic_hook();
    PluginModule {
        info: info::<P>,
        new_processor: new_processor::<P>,
    }
    .leak_into_prefix()
}

extern "C" fn info<P: Plugin>() -> FfiPluginInfo {
    FfiPluginInfo {
        name: P::NAME.into(),
        version: P::VERSION.into(),
        request_codes: P::REQUEST_CODES.iter().copied().collect(),
    }
}

extern "C" fn new_processor<P: Plugin>(
    host: HostContextBox,
    settings: RStr<'_>,
) -> RResult<ProcessorBox, RString> {
    let host = Host::new(Arc::new(PluginSideHost::new(host)), P::NAME);
    match start_located::<P>(host, settings.as_str()) {
        Ok(processor) => RResult::ROk(guard(processor)),
        Err(panic) => RResult::RErr(panic.to_string().into()),
    }
}

/// Parses the settings and runs the plugin's constructor, panics caught:
/// what loading a plugin does, also used by the test kit.
pub fn start<P: Plugin>(host: Host, settings_json: &str) -> Result<P, String> {
    start_located::<P>(host, settings_json).map_err(|failure| failure.message)
}

/// [`start`], keeping the location of a panic apart from its message.
fn start_located<P: Plugin>(host: Host, settings_json: &str) -> Result<P, Failure> {
    let built = guarded(|| -> Result<P, StartError> {
        let settings = parse_settings::<P::Settings>(settings_json)?;
        P::new(host, settings)
    });
    match built {
        Ok(Ok(processor)) => Ok(processor),
        Ok(Err(error)) => Err(Failure {
            message: error.to_string(),
            location: None,
        }),
        Err(panic) => Err(Failure {
            message: format!(
                "plugin {} panicked while starting: {}",
                P::NAME,
                panic.message
            ),
            location: panic.location,
        }),
    }
}

/// Runs a processor on a request, turning errors into responses and a
/// panic into `Err(panic message)`.
pub fn run<P: Processor + ?Sized>(processor: &P, request: &Request<'_>) -> Result<Outcome, String> {
    run_located(processor, request).map_err(|panic| panic.message)
}

/// [`run`], keeping the location of a panic apart from its message.
fn run_located<P: Processor + ?Sized>(
    processor: &P,
    request: &Request<'_>,
) -> Result<Outcome, Failure> {
    guarded(|| match processor.process(request) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Respond(error.into_response()),
    })
}

/// A refusal or a caught panic: its text, and where the panic happened when
/// the quiet hook recorded it.
#[derive(Debug)]
struct Failure {
    message: String,
    location: Option<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The place goes with the text, as Java's RemotingHelper.exceptionSimpleDesc
        // adds the throwing frame to an exception's remark: the host logs
        // this and answers it as the remark.
        match &self.location {
            Some(location) => write!(f, "{} (at {location})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

thread_local! {
    /// Set while plugin code runs under [`guarded`] on this thread: its
    /// panics are caught and reported, so the hook stays quiet about them.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// Where the last guarded panic on this thread happened.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `body` with panics caught; a panic's message and (with the quiet
/// hook installed) location come back as the error.
fn guarded<R>(body: impl FnOnce() -> R) -> Result<R, Failure> {
    /// Restores the flag however `body` ends (calls may nest: a processor
    /// built by the test kit inside another's test).
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            GUARDED.with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(GUARDED.with(|flag| flag.replace(true)));
    PANIC_LOCATION.with(|location| location.borrow_mut().take());
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| Failure {
        message: panic_message(&*payload),
        location: PANIC_LOCATION.with(|location| location.borrow_mut().take()),
    })
}

/// Replaces the panic hook of this copy of std (the plugin library's own,
/// when called from [`root_module`]) with one that records the location of
/// panics inside [`guarded`] instead of printing them; any other panic (a
/// thread the plugin spawned itself) still goes to the previous hook.
/// Installed once; calling it again does nothing.
pub fn install_quiet_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) {
                let location = info
                    .location()
                    .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()));
                PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// A processor whose every entry point is panic-guarded. The only way the SDK
/// hands a processor to the host, so an author cannot forget the guard.
struct Guarded<P>(P);

impl<P: Processor> FfiProcessor for Guarded<P> {
    fn process(&self, request: &FfiRequest<'_>) -> FfiOutcome {
        match run_located(&self.0, &Request::from_ffi(request)) {
            Ok(outcome) => outcome_to_ffi(outcome),
            Err(panic) => FfiOutcome::Panicked(panic.to_string().into()),
        }
    }

    fn shutdown(&self) {
        // Nothing useful can be done with a panic during shutdown but keep it
        // from crossing the boundary.
        // Not `guarded`: with nobody to report it to, the previous hook's
        // output is the only trace this panic leaves.
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.shutdown()));
    }

    fn connection_closed(&self, connection_id: u64) {
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.connection_closed(connection_id)));
    }
}

fn outcome_to_ffi(outcome: Outcome) -> FfiOutcome {
    match outcome {
        Outcome::Respond(response) => FfiOutcome::Respond(response_to_ffi(response)),
        Outcome::NoResponse => FfiOutcome::NoResponse,
        Outcome::Hold(hold) => FfiOutcome::Hold(FfiHold {
            topic: hold.key.topic.into(),
            queue_id: hold.key.queue_id,
            wake_offset: hold.wake_offset,
            timeout_millis: hold.timeout_millis,
            tag_codes: hold.tag_codes.into(),
        }),
    }
}

fn response_to_ffi(response: Response) -> FfiResponse {
    FfiResponse {
        code: response.code.value(),
        remark: response.remark.map(RString::from).into(),
        ext_fields: response.ext_fields.into(),
        body: RVec::from(response.body),
        flush_offset: response
            .flush_ticket
            .map_or(-1, |ticket| ticket.flush_offset),
    }
}

/// Text of a panic payload (`&str` or `String` payloads; anything else is described).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Wraps a processor the way a loaded plugin's is wrapped, without a
/// library in between: the host's own built-in processors (plugin
/// management) and benchmarks of the boundary cost use it.
pub fn guard<P: Processor>(processor: P) -> ProcessorBox {
    FfiProcessor_TO::from_value(Guarded(processor), TD_Opaque)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::testing::RequestBuilder;
    use crate::sdk::ProcessError;

    struct Panics;

    impl Processor for Panics {
        fn process(&self, _request: &Request<'_>) -> Result<Outcome, ProcessError> {
            panic!("boom")
        }
    }

    #[test]
    fn with_the_quiet_hook_a_guarded_panic_reports_its_location_with_the_message() {
        install_quiet_panic_hook();
        let failure = RequestBuilder::new(1)
            .with_request(|request| run_located(&Panics, request))
            .expect_err("panics");
        assert_eq!(failure.message, "boom");
        let location = failure.location.clone().expect("recorded by the hook");
        assert!(location.starts_with(file!()), "{location}");
        assert_eq!(
            failure.to_string(),
            format!("boom (at {location})"),
            "what the host logs and answers"
        );
        // The plain entry points keep the bare message (the test kit's).
        let message = RequestBuilder::new(1)
            .run_catching(&Panics)
            .expect_err("panics");
        assert_eq!(message, "boom");
    }

    #[test]
    fn the_guard_flag_is_restored_after_a_panic_and_nested_calls() {
        assert!(!GUARDED.with(Cell::get));
        let outer = guarded(|| {
            let inner = guarded(|| panic!("inner"));
            assert!(inner.is_err());
            GUARDED.with(Cell::get)
        });
        assert_eq!(outer.ok(), Some(true), "still guarded after the inner call");
        assert!(!GUARDED.with(Cell::get));
    }
}
