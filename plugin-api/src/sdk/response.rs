//! What a processor answers.

use std::fmt;

use abi_stable::std_types::{ROption, RString, RVec};

use crate::codec::{ExtFields, InvalidFieldSpans};
use crate::codes::response_code;
use crate::ffi::{FfiHold, FfiOutcome, FfiResponse};

/// A response; the host adds opaque, flags, language, version and serialization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// Response code (`response_code::*`).
    pub code: i32,
    /// Optional text, usually set on errors.
    pub remark: Option<String>,
    /// Header fields, in the order they are written.
    pub ext_fields: ExtFields,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// SUCCESS (0) with nothing else.
    pub fn success() -> Self {
        Response::default()
    }

    /// A response with this code and remark.
    pub fn error(code: i32, remark: impl Into<String>) -> Self {
        Response {
            code,
            remark: Some(remark.into()),
            ..Response::default()
        }
    }

    /// Sets one header field (a second value for the same key replaces the first).
    pub fn with_field(mut self, key: impl AsRef<str>, value: impl fmt::Display) -> Self {
        self.ext_fields.insert_display(key.as_ref(), value);
        self
    }

    /// [`Response::with_field`] for text (no formatting pass).
    pub fn with_text(mut self, key: &str, value: &str) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    /// [`Response::with_field`] for an integer (no formatting pass).
    pub fn with_int(mut self, key: &str, value: impl Into<i64>) -> Self {
        self.ext_fields.insert_int(key, value.into());
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the remark.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    pub(crate) fn into_ffi(self) -> FfiResponse {
        FfiResponse {
            code: self.code,
            remark: self.remark.map(RString::from).into(),
            ext_fields: self.ext_fields.into(),
            body: RVec::from(self.body),
        }
    }

    /// Converts a response received over the ABI back (host side, tests);
    /// fails when its field spans do not fit its field text.
    pub fn from_ffi(ffi: FfiResponse) -> Result<Self, InvalidFieldSpans> {
        Ok(Response {
            code: ffi.code,
            ext_fields: ffi.ext_fields.to_ext_fields()?,
            remark: match ffi.remark {
                ROption::RSome(remark) => Some(remark.into_string()),
                ROption::RNone => None,
            },
            body: ffi.body.into_vec(),
        })
    }
}

/// Ask the host to keep the request and run it again later (long polling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// What the request waits for, e.g. `topic@queueId`.
    pub key: String,
    /// Re-run as soon as an arrival on `key` reports an offset beyond this.
    pub wake_offset: i64,
    /// Re-run at the latest after this many milliseconds.
    pub timeout_millis: u64,
    /// Only arrivals with one of these tags codes wake it (empty = any).
    pub tag_codes: Vec<i64>,
}

/// What a processor did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Send this response.
    Respond(Response),
    /// Send nothing.
    NoResponse,
    /// Hold the request and re-run it later; the re-run has `allow_hold() == false`.
    Hold(Hold),
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Self {
        Outcome::Respond(response)
    }
}

impl Outcome {
    pub(crate) fn into_ffi(self) -> FfiOutcome {
        match self {
            Outcome::Respond(response) => FfiOutcome::Respond(response.into_ffi()),
            Outcome::NoResponse => FfiOutcome::NoResponse,
            Outcome::Hold(hold) => FfiOutcome::Hold(FfiHold {
                key: hold.key.into(),
                wake_offset: hold.wake_offset,
                timeout_millis: hold.timeout_millis,
                tag_codes: hold.tag_codes.into(),
            }),
        }
    }
}

/// A request the processor could not handle; answered with a response code
/// and a remark that says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// A required header field is absent (Java: `RemotingCommandException`).
    #[error("the custom field <{0}> is null")]
    MissingField(&'static str),
    /// A header field does not parse as its type.
    #[error("the custom field <{field}> has an invalid {expected} value: {value:?}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// What was sent.
        value: String,
        /// Expected type.
        expected: &'static str,
    },
    /// Answer with this code and remark.
    #[error("{remark}")]
    Respond {
        /// Response code.
        code: i32,
        /// Remark.
        remark: String,
    },
}

impl ProcessError {
    /// An error answered with `code` and `remark`.
    pub fn respond(code: i32, remark: impl Into<String>) -> Self {
        ProcessError::Respond {
            code,
            remark: remark.into(),
        }
    }

    /// The response this error is answered with.
    pub fn into_response(self) -> Response {
        match self {
            ProcessError::Respond { code, remark } => Response::error(code, remark),
            other => Response::error(response_code::SYSTEM_ERROR, other.to_string()),
        }
    }
}

impl From<ProcessError> for RString {
    fn from(error: ProcessError) -> Self {
        error.to_string().into()
    }
}
