//! The runtime the stock client runs on, and readiness waits.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rocketmq_client_rust::{ClientRuntime, ClientRuntimeConfig, TelemetryHandle};
use rocketmq_runtime::{BlockingPoolPolicy, RuntimeConfig, RuntimeOwner};

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns
/// whether it held. A readiness wait: callers assert on the state afterwards
/// with a message naming what is missing.
pub async fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The tokio runtime and client runtime the stock client runs on.
pub struct StockRuntime {
    owner: Option<RuntimeOwner>,
    client: Arc<ClientRuntime>,
}

impl StockRuntime {
    /// Builds the runtime with [`runtime_config`] and a client runtime on it.
    pub fn new(name: &str) -> StockRuntime {
        init_client_log();
        let owner = RuntimeOwner::plan(runtime_config(name))
            .expect("valid runtime config")
            .build()
            .expect("build the client's tokio runtime");
        let client = ClientRuntime::try_new(
            owner.root_context().component("client"),
            ClientRuntimeConfig::default(),
            TelemetryHandle::noop(),
        )
        .expect("client runtime");
        StockRuntime {
            owner: Some(owner),
            client,
        }
    }

    /// The client runtime every producer and consumer builder takes.
    pub fn client_runtime(&self) -> Arc<ClientRuntime> {
        Arc::clone(&self.client)
    }

    /// Runs a future to completion on this runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.owner.as_ref().expect("runtime").block_on(future)
    }
}

impl Drop for StockRuntime {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.take() {
            if !std::thread::panicking() {
                let _ = owner.block_on(self.client.shutdown());
            }
            let _ = owner.shutdown_background();
        }
    }
}

/// The client's runtime profile, widened for tests on small machines.
///
/// The push consumer runs every listener call on the runtime's
/// `metadata_io` blocking lane (`spawn_client_blocking_io_with_context`).
/// Its default size comes from the CPU count (2 × CPUs running, 8 × CPUs
/// queued, 5 s queue wait): on 2 cores a pull batch overflows it, the call
/// fails (`runtime.capacity.exhausted`, `BlockingQueueAdmission` in the
/// client's log), the client treats that as RECONSUME_LATER and the message
/// comes back from the retry topic about 10 s later. Lanes share the
/// runtime's global blocking capacity, so that is raised too.
pub fn runtime_config(name: &str) -> RuntimeConfig {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut config = RuntimeConfig::for_parallelism(name, cpus.max(4))
        .with_max_blocking_threads(256)
        .expect("blocking capacity in range");
    config.blocking_lane_policies.metadata_io = BlockingPoolPolicy {
        name: format!("{name}.metadata-io"),
        max_concurrency: 128,
        max_queue_depth: 1 << 20,
        queue_timeout: Duration::from_secs(600),
        task_timeout: Duration::from_secs(600),
        warn_after: Duration::from_secs(10),
    };
    config.validate().expect("widened runtime config is valid");
    config
}

/// Routes the client's own tracing to the test output (shown for failing
/// tests), filtered by `STOCK_CLIENT_LOG` (default `warn`).
fn init_client_log() {
    let filter = std::env::var("STOCK_CLIENT_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .try_init();
}
