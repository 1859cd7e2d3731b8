//! `broker-host`: starts the broker (RocketMQ's `mqbroker`).

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use broker_host::config::cli::{self, Cli};
use broker_host::Broker;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async move {
        let broker = Broker::start(config, &manifest).await?;
        wait_for_signal().await?;
        tracing::info!("shutdown signal received");
        // A second signal forces an immediate exit.
        tokio::spawn(async {
            if wait_for_signal().await.is_ok() {
                tracing::warn!("second signal: exiting now");
                std::process::exit(130);
            }
        });
        broker.shutdown().await;
        anyhow::Ok(())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    tokio::select! {
        _ = terminate.recv() => {},
        _ = interrupt.recv() => {},
    }
    Ok(())
}
