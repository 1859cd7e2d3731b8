//! Requests the broker sends to a client and waits on (Java's
//! `invokeSync` on a client channel, `Broker2Client.callClient`): the
//! table of calls waiting for their response frame, keyed by connection and
//! the broker's opaque.
//!
//! An entry never outlives its call: the waiter removes it when it gives
//! up (timeout), the response removes it when it arrives, and a closing
//! connection removes (and so fails) all of its own. The table is bounded:
//! past [`MAX_PENDING_CALLS`] a call is refused at once.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::codec::RemotingCommand;

/// Calls waiting for an answer, over every connection.
pub const MAX_PENDING_CALLS: usize = 4096;

/// Why a call got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No live connection has this id.
    #[error("connection {0} is closed")]
    NoConnection(u64),
    /// The connection closed before the client answered.
    #[error("connection {0} closed before the client answered")]
    Closed(u64),
    /// The request could not be queued on the connection.
    #[error("connection {0} is closed or its outbound queue is full")]
    SendFailed(u64),
    /// Too many calls are waiting already.
    #[error("{MAX_PENDING_CALLS} calls to clients are waiting already")]
    TooMany,
    /// No answer within the timeout.
    #[error(
        "no answer from connection {connection_id} (opaque {opaque}) within {timeout_millis} ms"
    )]
    Timeout {
        /// The connection.
        connection_id: u64,
        /// The request's opaque.
        opaque: i32,
        /// The timeout given.
        timeout_millis: u64,
    },
}

/// The table.
#[derive(Default)]
pub struct PendingCalls {
    calls: Mutex<HashMap<(u64, i32), SyncSender<RemotingCommand>>>,
}

/// One registered call: wait on it for the answer.
pub struct PendingCall {
    connection_id: u64,
    opaque: i32,
    answer: Receiver<RemotingCommand>,
}

impl PendingCalls {
    /// Registers a call before its request is sent (the answer may come at once).
    pub fn register(&self, connection_id: u64, opaque: i32) -> Result<PendingCall, CallError> {
        let mut calls = self.calls.lock();
        if calls.len() >= MAX_PENDING_CALLS {
            return Err(CallError::TooMany);
        }
        let (sender, answer) = sync_channel(1);
        calls.insert((connection_id, opaque), sender);
        Ok(PendingCall {
            connection_id,
            opaque,
            answer,
        })
    }

    /// A response frame arrived on `connection_id`: hands it to its waiter.
    /// False when no call waits for it (it timed out, or was never made).
    pub fn complete(&self, connection_id: u64, response: RemotingCommand) -> bool {
        let Some(sender) = self.calls.lock().remove(&(connection_id, response.opaque)) else {
            return false;
        };
        sender.try_send(response).is_ok()
    }

    /// The connection closed: every call waiting on it fails at once.
    pub fn connection_closed(&self, connection_id: u64) {
        // Dropping the senders wakes the waiters.
        self.calls.lock().retain(|(id, _), _| *id != connection_id);
    }

    /// Forgets a call (its waiter gave up, or its request was not sent).
    pub fn forget(&self, call: &PendingCall) {
        self.calls.lock().remove(&(call.connection_id, call.opaque));
    }

    /// Calls waiting now.
    pub fn len(&self) -> usize {
        self.calls.lock().len()
    }

    /// True when no call waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Blocks until `call`'s answer arrives, its connection closes, or
    /// `timeout` passes; the entry is gone from the table when this returns.
    pub fn wait(&self, call: PendingCall, timeout: Duration) -> Result<RemotingCommand, CallError> {
        let wait = || call.answer.recv_timeout(timeout);
        let waited = match tokio::runtime::Handle::try_current() {
            // On a runtime thread (an inline run): let the runtime move its
            // other tasks elsewhere while this thread blocks.
            Ok(runtime)
                if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
            {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        };
        match waited {
            Ok(response) => Ok(response),
            Err(RecvTimeoutError::Disconnected) => Err(CallError::Closed(call.connection_id)),
            Err(RecvTimeoutError::Timeout) => {
                self.forget(&call);
                // The answer may have come between the timeout and the removal.
                match call.answer.try_recv() {
                    Ok(response) => Ok(response),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => {
                        Err(CallError::Timeout {
                            connection_id: call.connection_id,
                            opaque: call.opaque,
                            timeout_millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                        })
                    }
                }
            }
        }
    }
}

impl PendingCall {
    /// The opaque the request must carry.
    pub fn opaque(&self) -> i32 {
        self.opaque
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(opaque: i32) -> RemotingCommand {
        let mut response = RemotingCommand::request(0);
        response.opaque = opaque;
        response.flag = plugin_api::codec::FLAG_RESPONSE;
        response
    }

    #[test]
    fn an_answer_reaches_its_waiter_and_leaves_no_entry() {
        let calls = PendingCalls::default();
        let call = calls.register(1, 7).expect("room");
        assert!(calls.complete(1, answer(7)));
        let response = calls.wait(call, Duration::from_secs(5)).expect("answered");
        assert_eq!(response.opaque, 7);
        assert!(calls.is_empty());
        assert!(!calls.complete(1, answer(7)), "answered once only");
    }

    #[test]
    fn a_timeout_or_a_close_fails_the_call_and_removes_it() {
        let calls = PendingCalls::default();
        let call = calls.register(1, 8).expect("room");
        let waited = calls.wait(call, Duration::from_millis(1));
        assert!(
            matches!(waited, Err(CallError::Timeout { opaque: 8, .. })),
            "{waited:?}"
        );
        assert!(calls.is_empty());
        assert!(!calls.complete(1, answer(8)), "a late answer is dropped");

        let closing = calls.register(2, 9).expect("room");
        let other = calls.register(3, 9).expect("room");
        calls.connection_closed(2);
        assert_eq!(
            calls
                .wait(closing, Duration::from_secs(5))
                .map(|r| r.opaque),
            Err(CallError::Closed(2))
        );
        assert_eq!(calls.len(), 1, "another connection's call stays");
        calls.forget(&other);
        assert!(calls.is_empty());
    }

    #[test]
    fn the_table_is_bounded() {
        let calls = PendingCalls::default();
        let held: Vec<PendingCall> = (0..MAX_PENDING_CALLS)
            .map(|opaque| calls.register(1, opaque as i32).expect("room"))
            .collect();
        assert!(matches!(calls.register(1, -1), Err(CallError::TooMany)));
        calls.connection_closed(1);
        assert!(calls.is_empty());
        drop(held);
    }
}
