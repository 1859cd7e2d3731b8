//! The plugin side of the ABI, written once for every plugin: the root
//! module's functions, the conversion of outcomes, and the panic guard
//! around each entry point.
//!
//! A panic that reaches an abi_stable shim aborts the whole broker, so every
//! function here that runs plugin code does it inside `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

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

/// Builds the root module for plugin type `P`.
pub fn root_module<P: Plugin>() -> PluginModuleRef {
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
    match start::<P>(host, settings.as_str()) {
        Ok(processor) => RResult::ROk(guard(processor)),
        Err(message) => RResult::RErr(message.into()),
    }
}

/// Parses the settings and runs the plugin's constructor, panics caught:
/// what loading a plugin does, also used by the test kit.
pub fn start<P: Plugin>(host: Host, settings_json: &str) -> Result<P, String> {
    let built = catch_unwind(AssertUnwindSafe(|| -> Result<P, StartError> {
        let settings = parse_settings::<P::Settings>(settings_json)?;
        P::new(host, settings)
    }));
    match built {
        Ok(Ok(processor)) => Ok(processor),
        Ok(Err(error)) => Err(error.to_string()),
        Err(payload) => Err(format!(
            "plugin {} panicked while starting: {}",
            P::NAME,
            panic_message(&*payload)
        )),
    }
}

/// Runs a processor on a request, turning errors into responses and a
/// panic into `Err(panic message)`.
pub fn run<P: Processor + ?Sized>(processor: &P, request: &Request<'_>) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| match processor.process(request) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Respond(error.into_response()),
    }))
    .map_err(|payload| panic_message(&*payload))
}

/// A processor whose every entry point is panic-guarded. The only way the SDK
/// hands a processor to the host, so an author cannot forget the guard.
struct Guarded<P>(P);

impl<P: Processor> FfiProcessor for Guarded<P> {
    fn process(&self, request: &FfiRequest<'_>) -> FfiOutcome {
        match run(&self.0, &Request::from_ffi(request)) {
            Ok(outcome) => outcome_to_ffi(outcome),
            Err(message) => FfiOutcome::Panicked(message.into()),
        }
    }

    fn shutdown(&self) {
        // Nothing useful can be done with a panic during shutdown but keep it
        // from crossing the boundary.
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
