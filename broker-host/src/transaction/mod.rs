//! The transaction check service (Java's `TransactionalMessageCheckService`,
//! `TransactionalMessageServiceImpl.check` and
//! `DefaultTransactionalMessageCheckListener`).
//!
//! Every `transactionCheckInterval` it reads the half queue of
//! `RMQ_SYS_TRANS_HALF_TOPIC` and the op queue of
//! `RMQ_SYS_TRANS_OP_HALF_TOPIC` from the consumer offsets of group
//! `CID_RMQ_SYS_TRANS` (`check`). A half that has an op record is resolved;
//! one older than `transactionTimeOut` (or its CHECK_IMMUNITY_TIME_IN_SECONDS)
//! without one is renewed (stored again at the end of the half queue with
//! its TRANSACTION_CHECK_TIMES counted up) and its producer group is asked
//! with CHECK_TRANSACTION_STATE (39, oneway, to one live producer
//! connection: `producers`); the producer answers with END_TRANSACTION
//! (`fromTransactionCheck=true`), served by the `transaction` plugin. A half
//! checked `transactionCheckMax` times, or older than `fileReservedTime`, is
//! discarded to `TRANS_CHECK_MAX_TIME_TOPIC`.
//!
//! The service lives in the host: its progress is the store and the
//! consumer offsets, so it survives plugin swaps and restarts.

mod check;
mod producers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use plugin_api::codec::RemotingCommand;

use crate::metadata::MetadataStore;
use crate::store::DefaultMessageStore;

pub use check::Checker;
pub use producers::ProducerChannels;

/// What the check reads from the broker configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConfig {
    /// `transactionCheckInterval`: time between two checks.
    pub interval: Duration,
    /// `transactionTimeOut` (ms): a half younger than this is not checked.
    pub transaction_timeout: i64,
    /// `transactionCheckMax`: checks before a half is discarded.
    pub check_max: i32,
    /// `fileReservedTime` in ms: a half older than this is discarded.
    pub file_reserved_millis: i64,
    /// `brokerName`: the `bname` of CHECK_TRANSACTION_STATE.
    pub broker_name: String,
    /// `brokerIP1:listenPort`: the client host of the offset commits.
    pub store_host: String,
}

/// Sends a CHECK_TRANSACTION_STATE to a producer of a group.
pub trait CheckSender: Send + Sync {
    /// Sends `request` oneway to one live connection of producer group
    /// `group`; false when none took it.
    fn send_check(&self, group: &str, request: RemotingCommand) -> bool;
}

/// The running service.
pub struct TransactionCheckService {
    stop: Arc<AtomicBool>,
    wake: Mutex<Option<Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl TransactionCheckService {
    /// Starts the check thread; the first check is one interval after start.
    pub fn start(
        store: Arc<DefaultMessageStore>,
        metadata: Arc<MetadataStore>,
        sender: Arc<dyn CheckSender>,
        config: CheckConfig,
    ) -> std::io::Result<TransactionCheckService> {
        let (wake_tx, wake_rx) = mpsc::channel::<()>();
        let stop = Arc::new(AtomicBool::new(false));
        let interval = config.interval.max(Duration::from_millis(10));
        let checker = Checker::new(store, metadata, sender, config);
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("transaction-check".into())
            .spawn(move || {
                tracing::info!("Start transaction check service thread!");
                let is_stopped = || stopped.load(Ordering::SeqCst);
                loop {
                    // Woken early only by the shutdown.
                    let _ = wake_rx.recv_timeout(interval);
                    if is_stopped() {
                        break;
                    }
                    let begin = std::time::Instant::now();
                    tracing::debug!("Begin to check prepare message");
                    checker.check(&is_stopped);
                    tracing::debug!(
                        elapsed_ms = begin.elapsed().as_millis() as u64,
                        "End to check prepare message"
                    );
                }
                tracing::info!("End transaction check service thread!");
            })?;
        Ok(TransactionCheckService {
            stop,
            wake: Mutex::new(Some(wake_tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Stops the thread (a check under way stops at its next half) and
    /// waits for it.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(wake) = self.wake.lock().take() {
            let _ = wake.send(());
        }
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TransactionCheckService {
    fn drop(&mut self) {
        self.shutdown();
    }
}
