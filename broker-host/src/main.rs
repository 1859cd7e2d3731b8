//! `broker-host`: starts the broker (RocketMQ's `mqbroker`), or with
//! `plugins ...` manages the plugins of a running one.

mod plugins_cli;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use broker_host::config::cli::{self, Cli, Command, PluginAction};
use broker_host::plugin_host::check;
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

/// An error ends the process with one line on stderr and status 1: the
/// message and its causes, without the `Debug` form that `main` returning
/// `Err` would print (and its backtrace, under RUST_BACKTRACE).
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined with `: `, skipping a cause that the
/// message before it already quotes (several of our errors print their
/// source and also return it from `source()`).
fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(part.as_str()) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Prints `text` on stdout. A reader that went away (`broker-host plugins
/// list | head`) is not an error: there is nobody left to tell.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Plugins {
        addr,
        action: PluginAction::Check { manifest },
    }) = &cli.command
    {
        let addr = cli::management_addr(&cli, addr.as_deref())
            .context("cannot read the broker's address from the config file")?;
        return check_plugins(&cli, &addr, manifest.as_deref());
    }
    if let Some(Command::Plugins { addr, action }) = &cli.command {
        let addr = cli::management_addr(&cli, addr.as_deref())
            .context("cannot read the broker's address from the config file")?;
        return print_stdout(&plugins_cli::run(&addr, action)?);
    }
    let (config, warnings) = cli::resolve(&cli).context("invalid broker configuration")?;
    if cli.print_config_item {
        return print_stdout(&config.print_all());
    }
    if cli.print_important_config {
        return print_stdout(&config.print_important());
    }

    // The log goes to stderr, coloured only for a person watching it: escape
    // codes in a file or a log collector are noise.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
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

/// `broker-host plugins check [--manifest F]`: a dry run in this process;
/// the running broker (at `addr`) is only read, to say what would change.
fn check_plugins(cli: &Cli, addr: &str, manifest: Option<&Path>) -> anyhow::Result<()> {
    let (config, _) = cli::resolve(cli).context("invalid broker configuration")?;
    let manifest = manifest
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cli::manifest_path(cli, &config));
    let report = check::run(&manifest, &config, addr)?;
    print_stdout(&format!("{report}\n"))?;
    if report.failed() {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read config file x: {source}")]
    struct Quoting {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn an_error_is_one_line_and_a_quoted_cause_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(Quoting { source: io }).context("invalid configuration");
        assert_eq!(
            one_line(&error),
            "invalid configuration: cannot read config file x: no such file"
        );
        let multi = anyhow::anyhow!("FAILED a: broken\nFAILED b: missing\n");
        assert_eq!(one_line(&multi), "FAILED a: broken; FAILED b: missing");
    }
}
