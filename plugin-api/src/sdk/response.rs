//! What a processor answers.

use std::fmt;

use super::capabilities::{FlushTicket, HostError};
use super::ResponseCode;
use crate::codec::ExtFields;

/// A response; the host adds opaque, flags, language, version and serialization.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// Response code.
    pub code: ResponseCode,
    /// Optional text, usually set on errors.
    pub remark: Option<String>,
    /// Header fields, in the order they are written.
    pub ext_fields: ExtFields,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Send the response only once the store has flushed this far (a put's
    /// [`FlushTicket`]); FLUSH_DISK_TIMEOUT replaces SUCCESS if the flush
    /// does not come within `syncFlushTimeout`.
    pub flush_ticket: Option<FlushTicket>,
}

impl Response {
    /// SUCCESS (0) with nothing else.
    pub fn success() -> Self {
        Response::default()
    }

    /// A response with this code and remark.
    pub fn error(code: ResponseCode, remark: impl Into<String>) -> Self {
        Response {
            code,
            remark: Some(remark.into()),
            ..Response::default()
        }
    }

    /// A response with this code and no remark.
    pub fn with_code(code: ResponseCode) -> Self {
        Response {
            code,
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

    /// Sends the response only once the put behind `ticket` is durable.
    pub fn when_durable(mut self, ticket: Option<FlushTicket>) -> Self {
        self.flush_ticket = ticket;
        self
    }

    /// The value of header field `key`, if set.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.ext_fields.get(key)
    }
}

/// What a held request waits for: a message arriving in one queue
/// (RocketMQ's `PullRequestHoldService` key `topic@queueId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HoldKey {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: i32,
}

impl HoldKey {
    /// The key of one queue.
    pub fn queue(topic: impl Into<String>, queue_id: i32) -> Self {
        HoldKey {
            topic: topic.into(),
            queue_id,
        }
    }
}

impl fmt::Display for HoldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.topic, self.queue_id)
    }
}

/// Ask the host to keep the request and run it again later (long polling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// What the request waits for.
    pub key: HoldKey,
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
    /// The response, when this outcome is one.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Outcome::Respond(response) => Some(response),
            _ => None,
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
    #[error("the custom field <{field}> has an invalid {expected} value: {value}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// What was sent, as [`crate::codec::preview`] shows it: quoted,
        /// escaped, cut after a few characters (a remark echoing a
        /// megabyte value whole did not fit a header).
        value: String,
        /// Expected type.
        expected: &'static str,
    },
    /// Answer with this code and remark.
    #[error("{remark}")]
    Respond {
        /// Response code.
        code: ResponseCode,
        /// Remark.
        remark: String,
    },
    /// A host call failed (answered SYSTEM_ERROR with the host's text).
    #[error(transparent)]
    Host(#[from] HostError),
}

impl ProcessError {
    /// An error answered with `code` and `remark`.
    pub fn respond(code: ResponseCode, remark: impl Into<String>) -> Self {
        ProcessError::Respond {
            code,
            remark: remark.into(),
        }
    }

    /// The response this error is answered with.
    pub fn into_response(self) -> Response {
        match self {
            ProcessError::Respond { code, remark } => Response::error(code, remark),
            other => Response::error(ResponseCode::SYSTEM_ERROR, other.to_string()),
        }
    }
}
