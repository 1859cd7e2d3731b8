//! The plugin side of the ABI, written once for every plugin: the root
//! module's functions and the panic guard around each entry point.
//!
//! A panic that reaches an abi_stable shim aborts the whole broker, so every
//! function here that runs plugin code does it inside `catch_unwind`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr, RString},
};

use super::{Host, Outcome, Plugin, Processor, Request};
use crate::ffi::{
    FfiOutcome, FfiPluginInfo, FfiProcessor, FfiProcessor_TO, FfiRequest, HostContextBox,
    PluginModule, PluginModuleRef, ProcessorBox,
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
    let built = catch_unwind(AssertUnwindSafe(|| {
        let settings: serde_json::Value = match settings.as_str() {
            "" => serde_json::Value::Object(Default::default()),
            text => serde_json::from_str(text)
                .map_err(|e| format!("settings are not valid JSON: {e}"))?,
        };
        P::new(Host::new(host, P::NAME), &settings)
    }));
    match built {
        Ok(Ok(processor)) => {
            RResult::ROk(FfiProcessor_TO::from_value(Guarded(processor), TD_Opaque))
        }
        Ok(Err(message)) => RResult::RErr(message.into()),
        Err(payload) => RResult::RErr(
            format!(
                "plugin {} panicked while starting: {}",
                P::NAME,
                panic_message(&*payload)
            )
            .into(),
        ),
    }
}

/// A processor whose every entry point is panic-guarded. The only way the SDK
/// hands a processor to the host, so an author cannot forget the guard.
struct Guarded<P>(P);

impl<P: Processor> FfiProcessor for Guarded<P> {
    fn process(&self, request: &FfiRequest<'_>) -> FfiOutcome {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let request = Request::from_ffi(request);
            match self.0.process(&request) {
                Ok(outcome) => outcome,
                Err(error) => Outcome::Respond(error.into_response()),
            }
        }));
        match result {
            Ok(outcome) => outcome.into_ffi(),
            Err(payload) => FfiOutcome::Panicked(panic_message(&*payload).into()),
        }
    }

    fn shutdown(&self) {
        // Nothing useful can be done with a panic during shutdown but keep it
        // from crossing the boundary.
        let _ = catch_unwind(AssertUnwindSafe(|| self.0.shutdown()));
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

/// Wraps a processor the same way a loaded plugin's is wrapped, without a
/// library in between. Used by benchmarks and in-process tests to compare
/// the boundary cost with a direct call.
pub fn guard_in_process<P: Processor>(processor: P) -> ProcessorBox {
    FfiProcessor_TO::from_value(Guarded(processor), TD_Opaque)
}
