//! `test-namesrv`: the name server of the `rocketmq-namesrv` crate (1.0.0,
//! the rocketmq-rust project's independent implementation of RocketMQ's
//! name server), unmodified, embedded through its `bootstrap::Builder` and
//! listening on loopback, for the end-to-end tests.
//!
//! ```text
//! test-namesrv <port> <data-dir>
//! ```
//!
//! Runs until SIGTERM or SIGINT. Logs go to stderr (`RUST_LOG`, default info).

use std::path::PathBuf;

use rocketmq_namesrv::bootstrap::Builder;
use rocketmq_namesrv::NamesrvConfig;
use rocketmq_observability::TelemetryHandle;
use rocketmq_transport::api::ServerConfig;
use tracing_subscriber::EnvFilter;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: test-namesrv <port> <data-dir>");
        std::process::exit(2);
    };
    let port: u32 = port.parse().unwrap_or_else(|_| {
        eprintln!("invalid port {port:?}");
        std::process::exit(2);
    });
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the name server's data directory");

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        let context =
            rocketmq_runtime::RuntimeContext::from_current(format!("test-namesrv-{port}"));
        let config = NamesrvConfig {
            rocketmq_home: dir.display().to_string(),
            kv_config_path: dir.join("kvConfig.json").display().to_string(),
            config_store_path: dir.join("namesrv.properties").display().to_string(),
            ..NamesrvConfig::default()
        };
        let server = ServerConfig {
            listen_port: port,
            bind_address: "127.0.0.1".to_owned(),
            ..ServerConfig::default()
        };
        Builder::new(context.service_context("namesrv"), TelemetryHandle::noop())
            .set_name_server_config(config)
            .set_server_config(server)
            .build()
            .boot_with_shutdown(async {
                use tokio::signal::unix::{signal, SignalKind};
                let mut term = signal(SignalKind::terminate()).expect("watch SIGTERM");
                let mut int = signal(SignalKind::interrupt()).expect("watch SIGINT");
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            })
            .await
    });
    if let Err(error) = result {
        eprintln!("name server failed: {error}");
        std::process::exit(1);
    }
}
