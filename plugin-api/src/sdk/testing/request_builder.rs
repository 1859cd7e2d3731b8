//! Building a request the way the host hands one to a processor.

use abi_stable::std_types::{ROption, RSlice, RStr};

use crate::codec::{ExtFields, LanguageCode, FLAG_ONEWAY};
use crate::ffi::{FfiFieldsRef, FfiRequest};
use crate::sdk::glue;
use crate::sdk::{Outcome, Processor, Request};

/// A request to run through a processor in a test.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    code: i32,
    language: LanguageCode,
    version: i32,
    opaque: i32,
    oneway: bool,
    remark: Option<String>,
    fields: ExtFields,
    body: Vec<u8>,
    remote_addr: String,
    connection_id: u64,
    allow_hold: bool,
}

impl RequestBuilder {
    /// A request with this code from a Java 5.3.3 client at
    /// `127.0.0.1:50000` on connection 1, holding allowed.
    pub fn new(code: i32) -> Self {
        RequestBuilder {
            code,
            language: LanguageCode::Java,
            version: crate::codes::BROKER_VERSION,
            opaque: 1,
            oneway: false,
            remark: None,
            fields: ExtFields::new(),
            body: Vec::new(),
            remote_addr: "127.0.0.1:50000".to_owned(),
            connection_id: 1,
            allow_hold: true,
        }
    }

    /// Adds a header field.
    pub fn field(mut self, key: &str, value: impl ToString) -> Self {
        self.fields.insert(key, value.to_string());
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the remark.
    pub fn remark(mut self, remark: &str) -> Self {
        self.remark = Some(remark.to_owned());
        self
    }

    /// Sets the client's version ordinal.
    pub fn version(mut self, version: i32) -> Self {
        self.version = version;
        self
    }

    /// Sets the client's language.
    pub fn language(mut self, language: LanguageCode) -> Self {
        self.language = language;
        self
    }

    /// Marks the request oneway.
    pub fn oneway(mut self) -> Self {
        self.oneway = true;
        self
    }

    /// Sets the peer address and connection id.
    pub fn from_client(mut self, remote_addr: &str, connection_id: u64) -> Self {
        self.remote_addr = remote_addr.to_owned();
        self.connection_id = connection_id;
        self
    }

    /// Marks the run as the re-run of a held request (`allow_hold() == false`).
    pub fn rerun_after_hold(mut self) -> Self {
        self.allow_hold = false;
        self
    }

    /// Calls `f` with the request as a processor sees it.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let ffi = FfiRequest {
            code: self.code,
            language: self.language.as_byte(),
            version: self.version,
            opaque: self.opaque,
            flag: if self.oneway { FLAG_ONEWAY } else { 0 },
            serialize_type: 0,
            remark: match &self.remark {
                Some(remark) => ROption::RSome(RStr::from(remark.as_str())),
                None => ROption::RNone,
            },
            ext_fields: FfiFieldsRef::of(&self.fields),
            body: RSlice::from_slice(&self.body),
            remote_addr: RStr::from(self.remote_addr.as_str()),
            connection_id: self.connection_id,
            allow_hold: self.allow_hold,
        };
        f(&Request::from_ffi(&ffi))
    }

    /// Runs `processor` on the request as the host would: an error becomes
    /// its response. Panics if the processor panics (the test fails).
    pub fn run<P: Processor + ?Sized>(&self, processor: &P) -> Outcome {
        match self.with_request(|request| glue::run(processor, request)) {
            Ok(outcome) => outcome,
            Err(message) => panic!("processor panicked: {message}"),
        }
    }

    /// Runs `processor` and returns the panic message if it panicked.
    pub fn run_catching<P: Processor + ?Sized>(&self, processor: &P) -> Result<Outcome, String> {
        self.with_request(|request| glue::run(processor, request))
    }
}
