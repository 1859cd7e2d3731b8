//! Test harness for the end-to-end tests: start the real `broker-host`
//! binary on free ports with a manifest of real plugin libraries, and talk to
//! it over real TCP with the remoting codec.
//!
//! The binary and plugin libraries come from `cargo build --workspace` (the
//! README's test command builds them before running the tests).

pub mod stock_client;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use plugin_api::codec::{
    decode_frame, encode_to_vec, ExtFields, RemotingCommand, SerializeType,
    DEFAULT_MAX_FRAME_LENGTH,
};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// The cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A file built by `cargo build --workspace` (debug profile).
pub fn built_artifact(file_name: &str) -> PathBuf {
    let path = target_dir().join("debug").join(file_name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests (the README's test command does)",
        path.display()
    );
    path
}

/// The path of a workspace plugin library, e.g. `route_plugin`.
pub fn plugin_library(crate_name: &str) -> PathBuf {
    built_artifact(&format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        crate_name,
        std::env::consts::DLL_SUFFIX
    ))
}

/// The broker binary.
pub fn broker_binary() -> PathBuf {
    built_artifact("broker-host")
}

/// A port `p` such that `p` and `p - 2` (the fast port) are both free now.
pub fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let probe = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = probe.local_addr().expect("local addr").port();
        if port < 1026 {
            continue;
        }
        if TcpListener::bind(("0.0.0.0", port - 2)).is_ok() {
            drop(probe);
            if TcpListener::bind(("0.0.0.0", port)).is_ok() {
                return port;
            }
        }
    }
    panic!("no free port pair found");
}

/// How to start a broker for a test.
#[derive(Debug, Clone, Default)]
pub struct BrokerSetup {
    /// Extra lines for `broker.toml`.
    pub config_lines: Vec<String>,
    /// The manifest body (`[[processor]]` entries).
    pub manifest: String,
}

impl BrokerSetup {
    /// A broker serving the route plugin only.
    pub fn with_route_plugin() -> Self {
        BrokerSetup::default().processor(&plugin_library("route_plugin"), "")
    }

    /// Adds a manifest entry, with no extra lines, for each built plugin crate
    /// named (`send_plugin`, ...).
    pub fn plugins(self, crate_names: &[&str]) -> Self {
        crate_names.iter().fold(self, |setup, name| {
            setup.processor(&plugin_library(name), "")
        })
    }

    /// A broker on the repository's default manifest (`conf/plugins.toml`,
    /// as the README starts it), its libraries taken from this build.
    pub fn default_manifest() -> Self {
        let path = workspace_root().join("conf/plugins.toml");
        let text = std::fs::read_to_string(&path).expect("conf/plugins.toml");
        let library_dir = plugin_library("send_plugin")
            .parent()
            .expect("library directory")
            .display()
            .to_string();
        let manifest = text
            .lines()
            .map(|line| {
                if line.starts_with("library_dir") {
                    format!("library_dir = {library_dir:?}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        BrokerSetup {
            manifest,
            ..BrokerSetup::default()
        }
    }

    /// Adds a manifest entry for `library` with extra TOML lines.
    pub fn processor(mut self, library: &Path, extra: &str) -> Self {
        self.manifest.push_str(&format!(
            "[[processor]]\nlibrary = {:?}\n{}\n",
            library.display().to_string(),
            extra
        ));
        self
    }

    /// Adds a config line.
    pub fn config(mut self, line: &str) -> Self {
        self.config_lines.push(line.to_owned());
        self
    }
}

/// What [`RawClient::pull`] asks for.
#[derive(Debug, Clone, Copy)]
pub struct Pull<'a> {
    /// Consumer group.
    pub group: &'a str,
    /// Topic.
    pub topic: &'a str,
    /// Queue.
    pub queue_id: i32,
    /// Queue offset to read from.
    pub offset: i64,
    /// PullSysFlag bits (4 = SUBSCRIPTION, 2 = SUSPEND).
    pub sys_flag: i32,
    /// The expression (TAG unless sent with
    /// [`RawClient::pull_expression`]), sent with the SUBSCRIPTION flag.
    pub subscription: Option<&'a str>,
    /// Long-poll time.
    pub suspend_ms: i64,
}

/// Store sizes every test broker gets unless its setup says otherwise.
const TEST_STORE_SIZES: [(&str, u64); 3] = [
    ("mappedFileSizeCommitLog", 64 * 1024 * 1024),
    ("maxHashSlotNum", 50_000),
    ("maxIndexNum", 200_000),
];

/// A running broker process, killed on drop.
pub struct BrokerProcess {
    child: Child,
    /// Main port.
    pub port: u16,
    /// Its working directory (config, manifest, store, log).
    pub dir: tempfile::TempDir,
}

impl BrokerProcess {
    /// Writes the config and manifest, starts the broker and waits until its
    /// main port accepts connections.
    pub fn start(setup: BrokerSetup) -> BrokerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port_pair();
        let mut config = format!(
            "brokerClusterName = \"DefaultCluster\"\nbrokerName = \"broker-a\"\nbrokerIP1 = \"127.0.0.1\"\nlistenPort = {port}\nstorePathRootDir = {:?}\n{}\n",
            dir.path().join("store").display().to_string(),
            setup.config_lines.join("\n")
        );
        // Smaller store files than RocketMQ's defaults (1 GiB commit-log
        // files, 420 MB index files, both reserved on disk at creation), so
        // the suite's brokers fit on a small CI disk; a test that sets a key
        // itself keeps its value.
        for (key, value) in TEST_STORE_SIZES {
            let set = setup
                .config_lines
                .iter()
                .any(|line| line.trim_start().starts_with(key));
            if !set {
                config.push_str(&format!("{key} = {value}\n"));
            }
        }
        std::fs::write(dir.path().join("broker.toml"), config).expect("write config");
        std::fs::write(dir.path().join("plugins.toml"), &setup.manifest).expect("write manifest");
        let log = std::fs::File::create(dir.path().join("broker.log")).expect("log file");
        let child = Command::new(broker_binary())
            .arg("-c")
            .arg(dir.path().join("broker.toml"))
            .arg("--manifest")
            .arg(dir.path().join("plugins.toml"))
            .env("RUST_LOG", "info")
            .env_remove("NAMESRV_ADDR")
            .current_dir(dir.path())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start broker-host");
        let mut broker = BrokerProcess { child, port, dir };
        broker.wait_until_listening();
        broker
    }

    fn wait_until_listening(&mut self) {
        // Readiness wait, not a timing assertion: generous for slow CI.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("broker exited during startup ({status}):\n{}", self.log());
            }
            if TcpStream::connect(self.addr()).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("broker did not listen within 60 s:\n{}", self.log());
    }

    /// Main listener address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Fast (VIP) listener address.
    pub fn fast_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port - 2))
    }

    /// Everything the broker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("broker.log")).unwrap_or_default()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A new client connection to the main port.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.addr())
    }

    /// SIGKILL: the process dies at once, no shutdown hook runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the broker again on the same config, manifest, store and port
    /// (after SIGTERM if it still runs), appending to the same log.
    pub fn restart(&mut self) {
        stock_client::restart_broker(self);
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("broker did not exit after SIGTERM:\n{}", self.log());
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking remoting client speaking raw frames.
pub struct RawClient {
    stream: TcpStream,
    buffer: BytesMut,
    next_opaque: i32,
}

impl RawClient {
    /// Connects.
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect to broker");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        RawClient {
            stream,
            buffer: BytesMut::new(),
            next_opaque: 1,
        }
    }

    /// A request with the next opaque, version 479 (a 5.3.3 Java client).
    pub fn request(&mut self, code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
        let mut request = RemotingCommand::request(code);
        request.version = 479;
        request.opaque = self.next_opaque;
        self.next_opaque += 1;
        request.ext_fields = Some(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<ExtFields>(),
        );
        request
    }

    /// A SEND_MESSAGE_V2 (310) request shaped like a 5.x Java producer's:
    /// properties `TAGS`, `KEYS` and `WAIT=true`, queue `queue_id` (< 0 lets
    /// the broker pick), auto-creation from TBW102 with 4 queues.
    pub fn send_request(
        &mut self,
        topic: &str,
        queue_id: i32,
        tag: &str,
        key: &str,
        body: &[u8],
    ) -> RemotingCommand {
        let properties = plugin_api::message::encode_properties([
            ("TAGS", tag),
            ("KEYS", key),
            ("WAIT", "true"),
        ]);
        let mut request = self.request(
            310,
            &[
                ("a", "e2e_test_pg"),
                ("b", topic),
                ("c", "TBW102"),
                ("d", "4"),
                ("e", &queue_id.to_string()),
                ("f", "0"),
                ("g", "1700000000000"),
                ("h", "0"),
                ("i", &properties),
                ("j", "0"),
                ("k", "false"),
                ("m", "false"),
            ],
        );
        request.body = body.to_vec().into();
        request
    }

    /// PULL_MESSAGE (11) of up to 32 messages with commitOffset 0; the
    /// subscription (a TAG expression) is sent only when given.
    pub fn pull(&mut self, pull: &Pull<'_>) -> RemotingCommand {
        self.pull_expression(pull, "TAG")
    }

    /// [`RawClient::pull`] with the subscription's `expressionType`
    /// (`SQL92`, ...).
    pub fn pull_expression(&mut self, pull: &Pull<'_>, expression_type: &str) -> RemotingCommand {
        let (queue, offset) = (pull.queue_id.to_string(), pull.offset.to_string());
        let (sys_flag, suspend) = (pull.sys_flag.to_string(), pull.suspend_ms.to_string());
        let mut fields = vec![
            ("consumerGroup", pull.group),
            ("topic", pull.topic),
            ("queueId", queue.as_str()),
            ("queueOffset", offset.as_str()),
            ("maxMsgNums", "32"),
            ("sysFlag", sys_flag.as_str()),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", suspend.as_str()),
            ("subVersion", "0"),
        ];
        if let Some(expression) = pull.subscription {
            fields.push(("subscription", expression));
            fields.push(("expressionType", expression_type));
        }
        self.call_code(11, &fields)
    }

    /// Sends [`RawClient::send_request`] and returns the response.
    pub fn send_message(
        &mut self,
        topic: &str,
        queue_id: i32,
        tag: &str,
        key: &str,
        body: &[u8],
    ) -> RemotingCommand {
        let request = self.send_request(topic, queue_id, tag, key, body);
        self.call(&request)
    }

    /// Sends a request and waits for the response with its opaque.
    pub fn call(&mut self, request: &RemotingCommand) -> RemotingCommand {
        self.send(request);
        let response = self
            .read_frame()
            .expect("connection closed before the response");
        assert!(
            response.is_response(),
            "expected a response, got {response:?}"
        );
        assert_eq!(
            response.opaque, request.opaque,
            "response matched by opaque"
        );
        response
    }

    /// Builds and sends a JSON request with these fields; returns the response.
    pub fn call_code(&mut self, code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
        let request = self.request(code, fields);
        self.call(&request)
    }

    /// Same in the binary serialization.
    pub fn call_code_binary(&mut self, code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
        let mut request = self.request(code, fields);
        request.serialize_type = SerializeType::RocketMq;
        self.call(&request)
    }

    /// Encodes and writes a command.
    pub fn send(&mut self, command: &RemotingCommand) {
        let bytes = encode_to_vec(command).expect("encode request");
        self.send_raw(&bytes);
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to broker");
    }

    /// Reads the next frame; `None` when the broker closed the connection.
    pub fn read_frame(&mut self) -> Option<RemotingCommand> {
        loop {
            match decode_frame(&mut self.buffer, DEFAULT_MAX_FRAME_LENGTH) {
                Ok(Some(command)) => return Some(command),
                Ok(None) => {}
                Err(error) => panic!("broker sent a malformed frame: {error}"),
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(error) => panic!("read from broker failed: {error}"),
            }
        }
    }

    /// Sets how long a read waits (30 s by default).
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("read timeout");
    }

    /// The next frame, or `None` when none arrives within the read timeout
    /// (or the broker closed the connection).
    pub fn try_read_frame(&mut self) -> Option<RemotingCommand> {
        loop {
            match decode_frame(&mut self.buffer, DEFAULT_MAX_FRAME_LENGTH) {
                Ok(Some(command)) => return Some(command),
                Ok(None) => {}
                Err(error) => panic!("broker sent a malformed frame: {error}"),
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::ConnectionReset
                    ) =>
                {
                    return None
                }
                Err(error) => panic!("read from broker failed: {error}"),
            }
        }
    }

    /// True when the broker has closed this connection (waits up to the read timeout).
    pub fn is_closed_by_peer(&mut self) -> bool {
        self.read_frame().is_none()
    }
}

/// Hot-swap helpers: the process id, the manifest the broker reads, signals.
impl BrokerProcess {
    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The manifest the broker was started with (rewrite it, then reload).
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.path().join("plugins.toml")
    }

    /// Sends a signal by name (`"HUP"`, `"TERM"`, ...) with `kill -s`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg("-s")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} failed: {status}");
    }
}
