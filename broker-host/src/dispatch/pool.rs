//! One processor's worker threads and bounded queue.
//!
//! Processors run synchronously on these host-owned threads (a plugin has its
//! own copy of tokio's and tracing's globals, so it must not rely on ours).
//!
//! A processor whose manifest entry lists `inline_codes` may also run a
//! request with one of those codes on the network thread that read it, but
//! only when that saves a hand-off and costs nobody anything: its pool is
//! idle (nothing queued, every worker waiting) and the request is its
//! connection's only one in flight. Waking an idle worker takes 10–15 µs on this 2-core VM, a quarter
//! of a one-at-a-time send's round trip (PERFORMANCE.md); under load the pool
//! is never idle and every request goes through the queue as before.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use abi_stable::std_types::{ROption, RSlice, RStr};
use bytes::Bytes;
use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use plugin_api::codes::response_code;
use plugin_api::ffi::{FfiFieldsRef, FfiOutcome, FfiRequest, ProcessorBox};

use super::hold::HoldService;
use super::job::Job;
use crate::remoting::ConnectionHandle;
use crate::store::{DefaultMessageStore, FlushTicket};

/// What the host knows about a running processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorInfo {
    /// Label (manifest name or plugin name).
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Library it was loaded from (as the manifest names it).
    pub library: PathBuf,
    /// CRC-32 of the library file, hex (tells two builds apart).
    pub library_hash: String,
    /// Codes it serves.
    pub codes: Vec<i32>,
    /// Worker threads.
    pub threads: usize,
    /// Queue capacity.
    pub queue_capacity: usize,
    /// Fast-failure threshold (0 = off).
    pub max_queue_wait: Duration,
    /// Served on the fast port too.
    pub fast_port: bool,
    /// Codes kept off the fast port even so.
    pub main_port_only_codes: Vec<i32>,
    /// Codes whose lone requests may run on the network thread while the
    /// pool is idle.
    pub inline_codes: Vec<i32>,
}

/// Counters every processor reports.
#[derive(Debug, Default)]
pub struct ProcessorStats {
    served: AtomicU64,
    errors: AtomicU64,
    panics: AtomicU64,
    busy: AtomicU64,
    inline: AtomicU64,
}

impl ProcessorStats {
    /// Requests the processor ran.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
    /// Responses with a non-zero code.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    /// Panics caught.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }
    /// Requests refused with SYSTEM_BUSY.
    pub fn busy(&self) -> u64 {
        self.busy.load(Ordering::Relaxed)
    }
    /// Requests run on the network thread that read them.
    pub fn inline(&self) -> u64 {
        self.inline.load(Ordering::Relaxed)
    }
    pub(crate) fn record_busy(&self) {
        self.busy.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a job was not queued.
pub enum SubmitError {
    /// The queue is full.
    Full(Job),
    /// The pool is shutting down.
    Closed(Job),
}

/// A processor with its threads and queue.
pub struct ProcessorPool {
    info: ProcessorInfo,
    sender: Sender<Job>,
    /// Dropped by [`ProcessorPool::close`]: workers then drain and exit even
    /// while something still holds the pool.
    close: Mutex<Option<Sender<()>>>,
    stats: Arc<ProcessorStats>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// The workers' processor, for running a request in place; weak so that
    /// the processor is still retired when its last worker exits.
    shared: Weak<Shared>,
    /// Workers waiting for a job (all of them until the first one arrives,
    /// however late their threads start).
    idle_workers: Arc<AtomicUsize>,
    /// Set by [`ProcessorPool::close`]: nothing runs in place any more.
    closed: AtomicBool,
}

/// What the workers share; the processor is shut down when the last worker
/// lets go of it.
struct Shared {
    info: ProcessorInfo,
    processor: ProcessorBox,
    stats: Arc<ProcessorStats>,
    hold: Arc<HoldService>,
    /// Redeems the flush tickets processors answer with (SYNC_FLUSH).
    store: Option<Arc<DefaultMessageStore>>,
    /// Keeps a processor that panics on every request from flooding the log.
    panic_log: Mutex<PanicLogLimiter>,
}

impl Shared {
    /// Logs a caught panic once, with what an operator needs to find it
    /// (processor, version, request code, the plugin's message and where it
    /// panicked), at most [`PANIC_LOG_LINES`] times per [`PANIC_LOG_INTERVAL`].
    fn log_panic(&self, code: i32, message: &str) {
        let decision = self.panic_log.lock().admit(Instant::now());
        let PanicLog::Log {
            suppressed_before,
            last_of_window,
        } = decision
        else {
            return;
        };
        let (plugin, version) = (&self.info.name, &self.info.version);
        if suppressed_before > 0 {
            log_suppressed(plugin, version, suppressed_before);
        }
        if last_of_window {
            tracing::error!(
                %plugin, %version, code, panic = %message,
                "processor panicked; answered SYSTEM_ERROR (further panics of {plugin} are counted, not logged, for the next {} s)",
                PANIC_LOG_INTERVAL.as_secs()
            );
        } else {
            tracing::error!(%plugin, %version, code, panic = %message, "processor panicked; answered SYSTEM_ERROR");
        }
    }
}

fn log_suppressed(plugin: &str, version: &str, suppressed: u64) {
    tracing::error!(
        %plugin, %version, suppressed,
        "{suppressed} more panics of processor {plugin} were answered SYSTEM_ERROR but not logged (at most {PANIC_LOG_LINES} lines per {} s)",
        PANIC_LOG_INTERVAL.as_secs()
    );
}

impl Drop for Shared {
    fn drop(&mut self) {
        let suppressed = self.panic_log.get_mut().take_suppressed();
        if suppressed > 0 {
            log_suppressed(&self.info.name, &self.info.version, suppressed);
        }
        self.processor.shutdown();
        tracing::info!(plugin = %self.info.name, version = %self.info.version, "processor retired");
    }
}

impl ProcessorPool {
    /// Starts `info.threads` workers running `processor`; responses that
    /// carry a flush ticket are sent once `store` has flushed that far.
    pub fn start(
        info: ProcessorInfo,
        processor: ProcessorBox,
        hold: Arc<HoldService>,
        store: Option<Arc<DefaultMessageStore>>,
    ) -> std::io::Result<Arc<ProcessorPool>> {
        let (sender, receiver) = bounded::<Job>(info.queue_capacity);
        let (close, closed) = bounded::<()>(0);
        let stats = Arc::new(ProcessorStats::default());
        let idle_workers = Arc::new(AtomicUsize::new(info.threads));
        let shared = Arc::new(Shared {
            info: info.clone(),
            processor,
            stats: stats.clone(),
            hold,
            store,
            panic_log: Mutex::new(PanicLogLimiter::default()),
        });
        let mut workers = Vec::with_capacity(info.threads);
        for index in 0..info.threads {
            let shared = shared.clone();
            let receiver: Receiver<Job> = receiver.clone();
            let closed = closed.clone();
            let idle = idle_workers.clone();
            let handle = std::thread::Builder::new()
                .name(format!("{}-{}", info.name, index))
                .spawn(move || worker_loop(&shared, &receiver, &closed, &idle))?;
            workers.push(handle);
        }
        Ok(Arc::new(ProcessorPool {
            info,
            sender,
            close: Mutex::new(Some(close)),
            stats,
            workers: Mutex::new(workers),
            shared: Arc::downgrade(&shared),
            idle_workers,
            closed: AtomicBool::new(false),
        }))
    }

    /// Tells the processor a client connection closed (its optional ABI 1.1
    /// hook; processors built for 1.0 fall back to doing nothing).
    pub fn connection_closed(&self, connection_id: u64) {
        if let Some(shared) = self.shared.upgrade() {
            shared.processor.connection_closed(connection_id);
        }
    }

    /// Static facts about the processor.
    pub fn info(&self) -> &ProcessorInfo {
        &self.info
    }

    /// Its counters.
    pub fn stats(&self) -> &ProcessorStats {
        &self.stats
    }

    /// Its counters, shared: they outlive the pool (the registry adds up
    /// every version's counters under one name over the broker's life).
    pub fn stats_handle(&self) -> Arc<ProcessorStats> {
        self.stats.clone()
    }

    /// Requests waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.sender.len()
    }

    /// Queues a job without blocking.
    // The error hands the job back so the caller can answer it; boxing it
    // would cost an allocation on every request.
    #[allow(clippy::result_large_err)]
    pub fn submit(&self, job: Job) -> Result<(), SubmitError> {
        self.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(job) => SubmitError::Full(job),
            TrySendError::Disconnected(job) => SubmitError::Closed(job),
        })
    }

    /// Runs `job` on the calling thread if its code is one of the processor's
    /// `inline_codes` and that saves a hand-off: the job is its connection's
    /// only request in flight (`may_run_inline`), nothing is queued and every
    /// worker is waiting. Otherwise hands the job back, to be queued.
    // As in `submit`, the error hands the job back without boxing it.
    #[allow(clippy::result_large_err)]
    pub fn try_run_here(&self, job: Job) -> Result<(), Job> {
        if !job.may_run_inline
            || !self.info.inline_codes.contains(&job.request.code)
            || !self.sender.is_empty()
            || self.idle_workers.load(Ordering::Relaxed) < self.info.threads
            || self.closed.load(Ordering::Relaxed)
        {
            return Err(job);
        }
        let Some(shared) = self.shared.upgrade() else {
            return Err(job);
        };
        self.stats.inline.fetch_add(1, Ordering::Relaxed);
        if let Some(connection) = run(&shared, job) {
            connection.flush();
        }
        Ok(())
    }

    /// Tells the workers to finish what is queued and exit.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.close.lock().take();
    }

    /// Takes the worker handles (to join them after the pool is dropped from
    /// every table).
    pub fn take_workers(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut *self.workers.lock())
    }
}

/// Responses a worker answers before it writes them out, when more requests
/// are waiting (one write then carries many responses). A worker whose queue
/// runs dry writes at once, so this only bounds batching under load: at 2
/// connections × 64 in flight, 64 (against 16) cut writes from 0.082 to 0.027
/// per message and context switches from 0.10 to 0.065 (PERFORMANCE.md).
const FLUSH_EVERY: usize = 64;

fn worker_loop(
    shared: &Shared,
    receiver: &Receiver<Job>,
    closed: &Receiver<()>,
    idle_workers: &AtomicUsize,
) {
    // Ends when every sender (every table that routes here) is gone, or the
    // pool is closed, and the queue is drained: retiring a pool never drops a
    // queued request.
    let mut unflushed = Unflushed::default();
    // Counted in `idle_workers` from the start; taken out while running.
    let mut counted_idle = true;
    loop {
        let job = if unflushed.is_empty() {
            if !counted_idle {
                idle_workers.fetch_add(1, Ordering::Relaxed);
            }
            let job = crossbeam_channel::select! {
                recv(receiver) -> job => job.ok(),
                recv(closed) -> _ => receiver.try_recv().ok(),
            };
            match job {
                Some(job) => {
                    idle_workers.fetch_sub(1, Ordering::Relaxed);
                    counted_idle = false;
                    job
                }
                None => return,
            }
        } else {
            // Answers are waiting to be written: write them before sleeping.
            match receiver.try_recv() {
                Ok(job) => job,
                Err(_) => {
                    unflushed.flush();
                    continue;
                }
            }
        };
        let waited = job.queued_at.elapsed();
        if !shared.info.max_queue_wait.is_zero() && waited > shared.info.max_queue_wait {
            shared.stats.record_busy();
            job.reply_error(
                response_code::SYSTEM_BUSY,
                format!(
                    "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: {}ms, size of queue: {}",
                    waited.as_millis(),
                    receiver.len()
                ),
            );
            continue;
        }
        if let Some(connection) = run(shared, job) {
            unflushed.add(connection);
            if unflushed.answered >= FLUSH_EVERY {
                unflushed.flush();
            }
        }
    }
}

/// Connections with answers queued but not yet written.
#[derive(Default)]
struct Unflushed {
    connections: Vec<ConnectionHandle>,
    answered: usize,
}

impl Unflushed {
    fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    fn add(&mut self, connection: ConnectionHandle) {
        self.answered += 1;
        if !self.connections.iter().any(|c| c.same_as(&connection)) {
            self.connections.push(connection);
        }
    }

    fn flush(&mut self) {
        for connection in self.connections.drain(..) {
            connection.flush();
        }
        self.answered = 0;
    }
}

/// Panic log lines per processor in one [`PANIC_LOG_INTERVAL`]; the panics
/// past them are counted and reported in one line when the next interval's
/// first panic is logged, or when the processor retires.
pub const PANIC_LOG_LINES: u32 = 10;
/// See [`PANIC_LOG_LINES`].
pub const PANIC_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Counts one processor's panic log lines per interval.
#[derive(Debug, Default)]
struct PanicLogLimiter {
    window_start: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

/// What to do with one panic's log line.
#[derive(Debug, PartialEq, Eq)]
enum PanicLog {
    /// Log it; first report this many panics that were not logged.
    Log {
        suppressed_before: u64,
        last_of_window: bool,
    },
    /// Count it only.
    Suppress,
}

impl PanicLogLimiter {
    fn admit(&mut self, now: Instant) -> PanicLog {
        let new_window = self
            .window_start
            .is_none_or(|start| now.saturating_duration_since(start) >= PANIC_LOG_INTERVAL);
        let suppressed_before = if new_window {
            self.window_start = Some(now);
            self.logged = 0;
            self.take_suppressed()
        } else {
            0
        };
        if self.logged >= PANIC_LOG_LINES {
            self.suppressed += 1;
            return PanicLog::Suppress;
        }
        self.logged += 1;
        PanicLog::Log {
            suppressed_before,
            last_of_window: self.logged == PANIC_LOG_LINES,
        }
    }

    fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}

/// Whether a response code counts as an error in the processor's counters.
///
/// The pull answers PULL_NOT_FOUND (19), PULL_RETRY_IMMEDIATELY (20) and
/// PULL_OFFSET_MOVED (21) are how a consumer learns "no new message", "none
/// matched the filter" and "your offset moved": Java's PullMessageProcessor
/// picks them from the store's GetMessageStatus in its normal path (a
/// PULL_NOT_FOUND is even parked for long polling first), and the client's
/// MQClientAPIImpl.processPullResponse turns them into the PullStatus values
/// NO_NEW_MSG, NO_MATCHED_MSG and OFFSET_ILLEGAL instead of throwing, as it
/// does for any other non-success code. Likewise QUERY_NOT_FOUND (22) is
/// QueryMessageProcessor's answer when no message has the key. An idle
/// consumer polls all day: counting these would bury real errors.
pub fn is_error_code(code: i32) -> bool {
    !matches!(
        code,
        response_code::SUCCESS
            | response_code::PULL_NOT_FOUND
            | response_code::PULL_RETRY_IMMEDIATELY
            | response_code::PULL_OFFSET_MOVED
            | response_code::QUERY_NOT_FOUND
    )
}

/// Runs one request; the connection if a response was queued on it (to be
/// flushed by the caller).
fn run(shared: &Shared, job: Job) -> Option<ConnectionHandle> {
    let request = &job.request;
    let code = request.code;
    let span = tracing::debug_span!(
        "dispatch",
        code = request.code,
        plugin = %shared.info.name,
        opaque = request.opaque,
        peer = %job.connection.remote_addr()
    );
    let _entered = span.enter();

    let view = FfiRequest {
        code: request.code,
        language: request.language.as_byte(),
        version: request.version,
        opaque: request.opaque,
        flag: request.flag,
        serialize_type: request.serialize_type as u8,
        remark: request.remark.as_deref().map(RStr::from).into(),
        ext_fields: request
            .ext_fields
            .as_ref()
            .map_or(FfiFieldsRef::EMPTY, FfiFieldsRef::of),
        body: RSlice::from_slice(&request.body),
        remote_addr: RStr::from(job.connection.remote_addr()),
        connection_id: job.connection.id(),
        allow_hold: job.allow_hold,
    };
    let outcome = shared.processor.process(&view);
    shared.stats.served.fetch_add(1, Ordering::Relaxed);

    match outcome {
        FfiOutcome::Respond(response) => {
            if is_error_code(response.code) {
                shared.stats.errors.fetch_add(1, Ordering::Relaxed);
            }
            let fields = if response.ext_fields.spans.is_empty() {
                None
            } else {
                match response.ext_fields.view() {
                    Ok(fields) => Some(fields),
                    Err(error) => {
                        shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(%error, "processor answered malformed header fields");
                        job.reply_error(
                            response_code::SYSTEM_ERROR,
                            format!("processor {} answered {error}", shared.info.name),
                        );
                        return None;
                    }
                }
            };
            let remark = match response.remark {
                ROption::RSome(remark) => Some(remark.into_string()),
                ROption::RNone => None,
            };
            let body = Bytes::from(response.body.into_vec());
            // SYNC_FLUSH: a response carrying its put's flush ticket is
            // answered by the flusher once the put is durable
            // (FLUSH_DISK_TIMEOUT, message kept, if that takes too long).
            let ticket =
                (response.flush_offset >= 0).then(|| FlushTicket::new(response.flush_offset));
            match (&shared.store, ticket) {
                (Some(store), Some(ticket)) if response.code == response_code::SUCCESS => {
                    let ext_fields = fields.map(|fields| fields.to_ext_fields());
                    store.when_flushed(ticket, move |flushed| {
                        let code = if flushed {
                            response_code::SUCCESS
                        } else {
                            response_code::FLUSH_DISK_TIMEOUT
                        };
                        job.reply(code, remark, ext_fields, body);
                    });
                    None
                }
                _ => {
                    job.queue_reply_with_fields(response.code, remark, fields, body);
                    Some(job.connection.clone())
                }
            }
        }
        FfiOutcome::NoResponse => None,
        FfiOutcome::Hold(hold) if job.allow_hold => {
            shared.hold.hold(hold, job);
            None
        }
        FfiOutcome::Hold(_) => {
            shared.stats.errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!("processor asked to hold a request that was already held once");
            job.reply_error(
                response_code::SYSTEM_ERROR,
                format!(
                    "processor {} asked to hold a request twice",
                    shared.info.name
                ),
            );
            None
        }
        FfiOutcome::Panicked(message) => {
            shared.stats.panics.fetch_add(1, Ordering::Relaxed);
            shared.stats.errors.fetch_add(1, Ordering::Relaxed);
            shared.log_panic(code, &message);
            job.reply_error(
                response_code::SYSTEM_ERROR,
                format!("processor {} panicked: {}", shared.info.name, message),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_pull_and_query_outcomes_are_not_errors() {
        for code in [0, 19, 20, 21, 22] {
            assert!(!is_error_code(code), "{code}");
        }
        for code in [1, 2, 3, 16, 17, 24, 25, 26] {
            assert!(is_error_code(code), "{code}");
        }
    }

    #[test]
    fn panic_lines_are_limited_per_interval_and_the_rest_counted() {
        let mut limiter = PanicLogLimiter::default();
        let start = Instant::now();
        let mut decisions = Vec::new();
        for _ in 0..PANIC_LOG_LINES + 3 {
            decisions.push(limiter.admit(start + Duration::from_secs(1)));
        }
        let logged = decisions
            .iter()
            .filter(|d| matches!(d, PanicLog::Log { .. }))
            .count();
        assert_eq!(logged, PANIC_LOG_LINES as usize);
        assert_eq!(
            decisions[PANIC_LOG_LINES as usize - 1],
            PanicLog::Log {
                suppressed_before: 0,
                last_of_window: true
            }
        );
        assert_eq!(decisions.last(), Some(&PanicLog::Suppress));
        // Still inside the interval: counted.
        let inside = start + PANIC_LOG_INTERVAL;
        assert_eq!(limiter.admit(inside), PanicLog::Suppress);
        // The next interval's first panic reports the four it did not log.
        let next = start + Duration::from_secs(1) + PANIC_LOG_INTERVAL;
        assert_eq!(
            limiter.admit(next),
            PanicLog::Log {
                suppressed_before: 4,
                last_of_window: false
            }
        );
        assert_eq!(limiter.take_suppressed(), 0);
    }

    #[test]
    fn suppressed_panics_are_left_for_retirement_to_report() {
        let mut limiter = PanicLogLimiter::default();
        let now = Instant::now();
        for _ in 0..PANIC_LOG_LINES + 2 {
            limiter.admit(now);
        }
        assert_eq!(limiter.take_suppressed(), 2);
        assert_eq!(limiter.take_suppressed(), 0);
    }
}
