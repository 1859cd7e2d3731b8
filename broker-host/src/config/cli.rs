//! Command line of the `broker-host` binary (`mqbroker`'s options) and the
//! defaults → file → environment / `-n` → finish sequence.

use std::path::PathBuf;

use clap::Parser;

use super::error::{ConfigError, ConfigWarning, Origin};
use super::{BrokerConfig, DEFAULT_PLUGIN_MANIFEST, NAMESRV_ADDR_ENV};

/// `broker-host [-c FILE] [-n ADDRS] [-p | -m] [--manifest FILE]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Parser)]
#[command(
    name = "broker-host",
    version = version_text(),
    about = "Apache RocketMQ compatible broker",
    long_about = "Apache RocketMQ compatible broker.\n\n\
        Configuration: RocketMQ defaults, then the -c file (TOML if it ends in .toml, \
        else Java properties like broker.conf, with RocketMQ's key names), then -n \
        (or the NAMESRV_ADDR environment variable when neither -n nor the file sets namesrvAddr)."
)]
pub struct Cli {
    /// Broker config file: `*.toml`, or a Java properties file such as broker.conf.
    #[arg(short = 'c', long = "configFile", value_name = "FILE")]
    pub config_file: Option<PathBuf>,

    /// Name server address list, e.g. '192.168.0.1:9876;192.168.0.2:9876' (overrides the file).
    #[arg(short = 'n', long = "namesrvAddr", value_name = "ADDRS")]
    pub namesrv_addr: Option<String>,

    /// Print all config items (key=value) and exit.
    #[arg(short = 'p', long = "printConfigItem")]
    pub print_config_item: bool,

    /// Print important config items and exit.
    #[arg(short = 'm', long = "printImportantConfig")]
    pub print_important_config: bool,

    /// Plugin manifest; default: the pluginManifest key, else conf/plugins.toml.
    #[arg(long = "manifest", value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Instead of starting a broker, manage the plugins of a running one.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `broker-host --version`: the broker's version and the plugin ABI it
/// loads (plugins of the same ABI major load; see docs/WRITING_PLUGINS.md).
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{} (plugin ABI {})",
            env!("CARGO_PKG_VERSION"),
            plugin_api::ffi::ABI_VERSION
        )
    })
}

/// Subcommands that talk to a running broker.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Plugin management of a running broker (loopback only).
    Plugins {
        /// The broker's address.
        #[arg(long, global = true, default_value = "127.0.0.1:10911")]
        addr: String,
        /// What to do.
        #[command(subcommand)]
        action: PluginAction,
    },
}

/// `broker-host plugins <action>`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PluginAction {
    /// List the running processors (name, version, library, hash, codes, counters).
    List,
    /// Re-read the manifest and apply it (as SIGHUP does).
    Reload,
    /// Put the previous version of one processor back.
    Rollback {
        /// The processor's name.
        name: String,
    },
    /// Dry-run a manifest here (never in the broker): per entry would-load,
    /// would-change, unchanged or would-fail; exits non-zero on a failure.
    Check {
        /// The manifest to check; default: the one the broker would read
        /// (`--manifest`, the pluginManifest key of -c, conf/plugins.toml).
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
    },
}

/// Builds the config like `BrokerStartup`: defaults, then the `-c` file, then
/// `namesrvAddr` from env `NAMESRV_ADDR` if the file left it unset, then `-n`
/// (wins over both), then [`BrokerConfig::finish`]. Returns the unknown-key
/// warnings of the file for the caller to log.
pub fn resolve(cli: &Cli) -> Result<(BrokerConfig, Vec<ConfigWarning>), ConfigError> {
    resolve_with_env(cli, |var| std::env::var(var).ok())
}

/// [`resolve`] reading environment variables through `env` (for tests).
pub fn resolve_with_env(
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(BrokerConfig, Vec<ConfigWarning>), ConfigError> {
    let mut config = BrokerConfig::default();
    let mut warnings = Vec::new();
    if let Some(file) = &cli.config_file {
        warnings = config.load_file(file)?;
    }
    if config.namesrv_addr.is_none() {
        if let Some(addrs) = env(NAMESRV_ADDR_ENV) {
            config.apply_from("namesrvAddr", &addrs, Origin::Env(NAMESRV_ADDR_ENV))?;
        }
    }
    if let Some(addrs) = &cli.namesrv_addr {
        config.apply_from("namesrvAddr", addrs, Origin::CommandLine("-n"))?;
    }
    config.finish()?;
    Ok((config, warnings))
}

/// The plugin manifest: `--manifest`, else the `pluginManifest` key, else
/// `conf/plugins.toml` (relative paths are relative to the working directory).
pub fn manifest_path(cli: &Cli, cfg: &BrokerConfig) -> PathBuf {
    if let Some(path) = &cli.manifest {
        return path.clone();
    }
    let key = cfg.plugin_manifest.trim();
    if key.is_empty() {
        PathBuf::from(DEFAULT_PLUGIN_MANIFEST)
    } else {
        PathBuf::from(key)
    }
}
