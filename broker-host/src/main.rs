//! `broker-host`: starts the broker (RocketMQ's `mqbroker`), or with
//! `plugins ...` manages the plugins of a running one.

use std::path::Path;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use broker_host::config::cli::{self, Cli, Command, PluginAction};
use broker_host::plugin_host::{check, management};
use broker_host::Broker;

/// Threads for the network runtime: half the cores. Its work is only reading,
/// decoding and queueing frames (processors run on their own pools and write
/// their answers themselves); on 2 cores a second network thread cost more
/// in wake-ups between the two than it added (docs/PERFORMANCE.md).
fn network_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}

/// Requests are allocated on the network threads and freed on the processor
/// threads; mimalloc's free lists handle that far better than glibc's arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Plugins {
        addr,
        action: PluginAction::Check { manifest },
    }) = &cli.command
    {
        return check_plugins(&cli, addr, manifest.as_deref());
    }
    if let Some(Command::Plugins { addr, action }) = &cli.command {
        return manage_plugins(addr, action);
    }
    let (config, warnings) = cli::resolve(&cli).context("invalid broker configuration")?;
    if cli.print_config_item {
        print!("{}", config.print_all());
        return Ok(());
    }
    if cli.print_important_config {
        print!("{}", config.print_important());
        return Ok(());
    }

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    let manifest = cli::manifest_path(&cli, &config);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("broker-net")
        .worker_threads(network_threads())
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
        let broker = Broker::start(config, &manifest).await?;
        loop {
            tokio::select! {
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
                _ = hangup.recv() => {
                    tracing::info!("SIGHUP: reloading the plugin manifest");
                    let registry = broker.registry().clone();
                    match tokio::task::spawn_blocking(move || registry.reload()).await {
                        Ok(Ok(report)) if report.refused => tracing::error!(
                            "SIGHUP reload refused; processors unchanged: {}",
                            report.to_string().trim_end().replace('\n', "; ")
                        ),
                        Ok(Ok(report)) => tracing::info!("reload done: {}", report.to_string().trim_end()),
                        Ok(Err(error)) => tracing::error!(%error, "reload refused; processors unchanged"),
                        Err(error) => tracing::error!(%error, "reload task failed"),
                    }
                }
            }
        }
        tracing::info!("shutdown signal received");
        // A second signal forces an immediate exit.
        tokio::spawn(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::warn!("second signal: exiting now");
            std::process::exit(130);
        });
        broker.shutdown().await;
        anyhow::Ok(())
    })
}

/// `broker-host plugins list|reload|rollback NAME [--addr ADDR]`.
fn manage_plugins(addr: &str, action: &PluginAction) -> anyhow::Result<()> {
    let response = match action {
        PluginAction::List => management::call(addr, management::LIST_PROCESSORS, &[]),
        PluginAction::Reload => management::call(addr, management::RELOAD_PROCESSORS, &[]),
        PluginAction::Rollback { name } => {
            management::call(addr, management::ROLLBACK_PROCESSOR, &[("name", name)])
        }
        PluginAction::Check { .. } => Err("check runs in this process, not in the broker".into()),
    }
    .map_err(anyhow::Error::msg)?;
    println!("{}", String::from_utf8_lossy(&response.body).trim_end());
    if response.code != 0 {
        anyhow::bail!(
            "broker answered code {}: {}",
            response.code,
            response.remark.unwrap_or_default()
        );
    }
    Ok(())
}

/// `broker-host plugins check [--manifest F]`: a dry run in this process;
/// the broker at `addr` is only asked for its listing, to compare with.
fn check_plugins(cli: &Cli, addr: &str, manifest: Option<&Path>) -> anyhow::Result<()> {
    let (config, _) = cli::resolve(cli).context("invalid broker configuration")?;
    let manifest = manifest
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cli::manifest_path(cli, &config));
    let report = check::run(&manifest, &config, addr)?;
    println!("{report}");
    if report.failed() {
        std::process::exit(1);
    }
    Ok(())
}
