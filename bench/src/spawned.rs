//! A broker process the benchmark starts itself (for the modes that kill,
//! restart or weigh the broker): its own config in a work directory, the
//! given binary and manifest, a fixed port.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

/// Where the broker comes from and where it keeps its files.
#[derive(Args, Clone)]
pub struct BrokerArgs {
    /// The broker binary (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/broker-host")]
    pub broker: PathBuf,
    /// The plugin manifest.
    #[arg(long, default_value = "conf/plugins.toml")]
    pub manifest: PathBuf,
    /// Work directory: config, log and store (emptied first).
    #[arg(long, default_value = "/tmp/rocketmq-bench-broker")]
    pub dir: PathBuf,
    /// Main port of the broker (the fast port is this minus 2).
    #[arg(long, default_value_t = 31911)]
    pub port: u16,
}

/// A running broker child process.
pub struct SpawnedBroker {
    args: BrokerArgs,
    config: PathBuf,
    child: Option<Child>,
}

impl SpawnedBroker {
    /// Writes a config (`extra` lines appended) into an emptied work
    /// directory; the broker is not started yet.
    pub fn prepare(args: &BrokerArgs, extra: &[String]) -> anyhow::Result<SpawnedBroker> {
        if args.dir.exists() {
            std::fs::remove_dir_all(&args.dir)
                .with_context(|| format!("emptying {}", args.dir.display()))?;
        }
        std::fs::create_dir_all(&args.dir)?;
        let config = args.dir.join("broker.toml");
        let mut text = format!(
            "brokerClusterName = \"DefaultCluster\"\nbrokerName = \"broker-a\"\nbrokerIP1 = \"127.0.0.1\"\nlistenPort = {}\nstorePathRootDir = {:?}\n",
            args.port,
            args.dir.join("store").display().to_string()
        );
        for line in extra {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&config, text)?;
        Ok(SpawnedBroker {
            args: args.clone(),
            config,
            child: None,
        })
    }

    /// The main port's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.args.port))
    }

    /// The broker's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts the process (appending to `broker.log`) and returns without
    /// waiting for it to listen.
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.args.dir.join("broker.log"))?;
        let child = Command::new(absolute(&self.args.broker)?)
            .arg("-c")
            .arg(&self.config)
            .arg("--manifest")
            .arg(absolute(&self.args.manifest)?)
            .env("RUST_LOG", "info")
            .env_remove("NAMESRV_ADDR")
            .current_dir(&self.args.dir)
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.args.broker.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Starts the process and waits until its main port accepts connections.
    pub fn start(&mut self) -> anyhow::Result<()> {
        self.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "the broker exited during startup ({status}); see its log in {}",
                        self.args.dir.display()
                    );
                }
            }
            if TcpStream::connect(self.addr()).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("the broker did not listen within 120 s")
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// The broker's resident memory from `/proc/PID/status`: (RssAnon, VmRSS) in bytes.
    pub fn resident(&self) -> anyhow::Result<(u64, u64)> {
        let pid = self.pid().context("the broker is not running")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            let kib: u64 = status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .with_context(|| format!("{name} missing from /proc/{pid}/status"))?;
            Ok(kib * 1024)
        };
        Ok((field("RssAnon:")?, field("VmRSS:")?))
    }
}

impl Drop for SpawnedBroker {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("{} not found", path.display()))
}
