//! Command line of the `broker-host` binary (`mqbroker`'s options) and the
//! defaults → file → environment / `-n` → finish sequence.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

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
    /// With `plugins`, where to find the broker (its listenPort).
    #[arg(short = 'c', long = "configFile", value_name = "FILE", global = true)]
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

/// Subcommands that talk to a running broker.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Plugin management of a running broker (loopback only).
    Plugins {
        /// The broker's address [default: 127.0.0.1 and the listenPort of
        /// the -c file, else 127.0.0.1:10911].
        #[arg(long, global = true, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// What to do.
        #[command(subcommand)]
        action: PluginAction,
    },
}

/// `broker-host plugins <action>`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PluginAction {
    /// List the running processors: versions, ABI, codes, pool, counters
    /// (since load / over the broker's life), load time, library.
    List {
        /// Print the broker's JSON answer instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Name the processor serving a request code.
    Who {
        /// The request code.
        code: i32,
    },
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

/// `--version`: the broker's version and the plugin ABI version it loads.
pub fn version_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{}\nplugin ABI {}",
            env!("CARGO_PKG_VERSION"),
            plugin_api::ffi::ABI_VERSION
        )
    })
}

/// The address `broker-host plugins` talks to: `--addr` when given; else,
/// with `-c`, the file's `listenPort` on `brokerIP1` when that is a loopback
/// address and on 127.0.0.1 otherwise; else 127.0.0.1:10911. The broker
/// listens on every interface but answers plugin management from loopback
/// only, so a routable `brokerIP1` would only earn NO_PERMISSION.
pub fn management_addr(cli: &Cli, addr: Option<&str>) -> Result<String, ConfigError> {
    if let Some(addr) = addr {
        return Ok(addr.to_owned());
    }
    let Some(file) = &cli.config_file else {
        return Ok(format!("127.0.0.1:{}", BrokerConfig::default().listen_port));
    };
    let mut config = BrokerConfig::default();
    config.load_file(file)?;
    let host = match config.broker_ip1.trim().parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => ip,
        _ => IpAddr::from([127, 0, 0, 1]),
    };
    Ok(std::net::SocketAddr::new(host, config.listen_port).to_string())
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
        // Java's BrokerPathConfigHelper.setBrokerConfigPath(file): where
        // UPDATE_BROKER_CONFIG persists.
        let path = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        config.broker_config_path = Some(path.display().to_string());
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
