//! A request on its way through the host, and how to answer it.

use std::time::Instant;

use plugin_api::codec::{ExtFields, FieldsView, RemotingCommand};
use plugin_api::codes::BROKER_VERSION;

use crate::remoting::{ConnectionHandle, PortKind};

/// One request and where its answer goes.
pub struct Job {
    /// The decoded request.
    pub request: RemotingCommand,
    /// The connection it came on.
    pub connection: ConnectionHandle,
    /// The listener it came on.
    pub port: PortKind,
    /// When the request arrived (what `rocketmq_rpc_latency` measures from).
    pub enqueued_at: Instant,
    /// When it was last put in a pool's queue: the fast-failure wait counts
    /// from here, so a long poll re-run after its hold is not refused for the
    /// time it was held (Java's `BrokerFastFailure` looks at the `RequestTask`
    /// the hold service submits anew).
    pub queued_at: Instant,
    /// False on the re-run of a held request.
    pub allow_hold: bool,
    /// The network thread that read this request may run it itself when its
    /// processor is idle: set by the connection when this is the only request
    /// it has in flight and nothing more was read behind it (see
    /// `ProcessorPool::try_run_here`).
    pub may_run_inline: bool,
    /// Parked by the hold service: not counted in its connection's requests
    /// in flight (a held long poll occupies no worker, and a connection a
    /// Java client shares between its producer and a long-polling consumer
    /// would otherwise never have a lone request).
    parked: bool,
}

impl Job {
    /// A fresh request.
    pub fn new(request: RemotingCommand, connection: ConnectionHandle, port: PortKind) -> Job {
        connection.request_started();
        Job {
            request,
            connection,
            port,
            enqueued_at: Instant::now(),
            queued_at: Instant::now(),
            allow_hold: true,
            may_run_inline: false,
            parked: false,
        }
    }

    /// Leaves its connection's count of requests in flight while held.
    pub(crate) fn park(&mut self) {
        if !self.parked {
            self.parked = true;
            self.connection.request_finished();
        }
    }

    /// Counts again as in flight, for its re-run.
    pub(crate) fn unpark(&mut self) {
        self.queued_at = Instant::now();
        if self.parked {
            self.parked = false;
            self.connection.request_started();
        }
    }

    /// Sends a response now (nothing for oneway requests).
    pub fn reply(
        &self,
        code: i32,
        remark: Option<String>,
        ext_fields: Option<ExtFields>,
        body: bytes::Bytes,
    ) {
        self.queue_reply(code, remark, ext_fields, body);
        self.connection.flush();
    }

    /// Queues a response on the connection without writing it; the caller
    /// flushes the connection (a pool thread does after a few requests).
    pub fn queue_reply(
        &self,
        code: i32,
        remark: Option<String>,
        ext_fields: Option<ExtFields>,
        body: bytes::Bytes,
    ) {
        self.queue_reply_with_fields(code, remark, ext_fields.as_ref().map(ExtFields::view), body);
    }

    /// [`Job::queue_reply`] with borrowed header fields (a plugin's answer,
    /// written without being copied first).
    pub fn queue_reply_with_fields(
        &self,
        code: i32,
        remark: Option<String>,
        fields: Option<FieldsView<'_>>,
        body: bytes::Bytes,
    ) {
        crate::metrics::observe_rpc(&self.request, code, !self.allow_hold, self.enqueued_at);
        if self.request.is_oneway() {
            return;
        }
        let mut response = RemotingCommand::response_to(&self.request, code, remark);
        response.version = BROKER_VERSION;
        response.body = body;
        self.connection.queue_command_with_fields(&response, fields);
    }

    /// Sends an error response with a remark.
    pub fn reply_error(&self, code: i32, remark: String) {
        self.reply(code, Some(remark), None, bytes::Bytes::new());
    }
}

impl Drop for Job {
    /// A job ends when it is answered, dropped, or its hold expires: its
    /// connection has one request fewer in flight.
    fn drop(&mut self) {
        if !self.parked {
            self.connection.request_finished();
        }
    }
}
