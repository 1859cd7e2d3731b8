//! From a decoded request to the processor that serves its code.
//!
//! The request-code table is an immutable [`DispatchTable`] behind an atomic
//! pointer (`ArcSwap`): a lookup is one atomic load, and replacing the table
//! (reload, hot swap) never blocks or fails a request in flight. Each
//! processor has its own worker pool and bounded queue ([`pool`]); requests a
//! processor asked to hold wait in the [`hold`] service and are re-dispatched
//! through whatever table is current when they wake.
//!
//! Dispatch sits above remoting: the [`Dispatcher`] is the
//! [`RequestHandler`] every connection hands its requests to, and answers go
//! back through the request's [`ConnectionHandle`]. Remoting imports nothing
//! from here.

pub mod hold;
pub mod job;
pub mod pool;
pub mod table;

use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;
use plugin_api::codec::RemotingCommand;
use plugin_api::codes::response_code;

use crate::remoting::{ConnectionHandle, PortKind, RequestHandler};

pub use hold::HoldService;
pub use job::Job;
pub use pool::{ProcessorPool, ProcessorStats, SubmitError};
pub use table::DispatchTable;

/// Routes requests to processor pools.
pub struct Dispatcher {
    table: ArcSwap<DispatchTable>,
    hold: Arc<HoldService>,
}

impl Dispatcher {
    /// A dispatcher with an empty table and a running hold service.
    pub fn new() -> Arc<Dispatcher> {
        Arc::new_cyclic(|weak: &Weak<Dispatcher>| {
            let weak = weak.clone();
            let hold = HoldService::start(Box::new(move |job: Job| {
                if let Some(dispatcher) = weak.upgrade() {
                    dispatcher.dispatch(job);
                }
            }));
            Dispatcher {
                table: ArcSwap::from_pointee(DispatchTable::default()),
                hold,
            }
        })
    }

    /// The hold (long-polling) service.
    pub fn hold_service(&self) -> &Arc<HoldService> {
        &self.hold
    }

    /// The current table.
    pub fn table(&self) -> Arc<DispatchTable> {
        self.table.load_full()
    }

    /// Installs a new table atomically; returns the old one. Requests already
    /// queued on the old table's pools finish there.
    pub fn install(&self, table: DispatchTable) -> Arc<DispatchTable> {
        self.table.swap(Arc::new(table))
    }

    /// Hands a request to the pool serving its code, or answers it at once
    /// (code not supported, queue full).
    pub fn dispatch(&self, job: Job) {
        let code = job.request.code;
        let pool = self.table.load().lookup(job.port, code);
        let Some(pool) = pool else {
            job.reply_error(
                response_code::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {code} not supported"),
            );
            return;
        };
        let job = match pool.try_run_here(job) {
            Ok(()) => return,
            Err(job) => job,
        };
        match pool.submit(job) {
            Ok(()) => {}
            Err(SubmitError::Full(job)) => {
                pool.stats().record_busy();
                job.reply_error(
                    response_code::SYSTEM_BUSY,
                    "[OVERLOAD]system busy, start flow control for a while".to_owned(),
                );
            }
            Err(SubmitError::Closed(job)) => job.reply_error(
                response_code::SYSTEM_BUSY,
                format!(
                    "[REJECTREQUEST]processor {} is shutting down, retry",
                    pool.info().name
                ),
            ),
        }
    }

    /// Stops the hold service (held requests are dropped; clients retry, as
    /// with RocketMQ's `PullRequestHoldService.shutdown`).
    /// Then retires every processor: queued requests are still run, and this
    /// returns once every worker thread has exited.
    pub fn shutdown(&self) {
        self.hold.stop();
        let old = self.install(DispatchTable::default());
        for pool in old.pools() {
            pool.close();
        }
        let workers: Vec<_> = old.pools().iter().flat_map(|p| p.take_workers()).collect();
        drop(old);
        for worker in workers {
            let _ = worker.join();
        }
    }
}

impl RequestHandler for Dispatcher {
    fn handle(
        &self,
        request: RemotingCommand,
        connection: ConnectionHandle,
        port: PortKind,
        lone: bool,
    ) {
        let mut job = Job::new(request, connection, port);
        // A lone request may be run by the network thread: see
        // `ProcessorPool::try_run_here`.
        job.may_run_inline = lone;
        self.dispatch(job);
    }
}
