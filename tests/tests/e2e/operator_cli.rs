//! What an operator runs and reads: `broker-host --version`, `plugins list`
//! (table and `--json`), `plugins who`, the address taken from `-c`, errors
//! on one line, a closed stdout pipe; plugin panics in the log (once each,
//! rate-limited, no panic-hook noise, no colour codes); normal pull outcomes
//! not counted as errors; the plugin template; `rocketmq-bench --count`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use e2e_tests::{
    broker_binary, built_artifact, plugin_library, target_dir, workspace_root, BrokerProcess,
    BrokerSetup, Pull,
};
use plugin_api::codec::{decode_frame, encode_to_vec, RemotingCommand, DEFAULT_MAX_FRAME_LENGTH};
use plugin_api::serde_json::{self, Value};

/// `broker-host ARGS…`, run to completion.
fn broker_host(args: &[&str]) -> Output {
    Command::new(broker_binary())
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run broker-host")
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `broker-host plugins --addr <broker> ARGS…`, which must succeed.
fn plugins(broker: &BrokerProcess, args: &[&str]) -> String {
    let addr = broker.addr().to_string();
    let mut all = vec!["plugins", "--addr", addr.as_str()];
    all.extend_from_slice(args);
    let output = broker_host(&all);
    assert!(
        output.status.success(),
        "broker-host {all:?} failed: {}",
        stderr_of(&output)
    );
    stdout_of(&output)
}

/// A broker whose processors have names: `route` and `panic-test`.
fn named_broker() -> BrokerProcess {
    BrokerProcess::start(
        BrokerSetup::default()
            .processor(&plugin_library("route_plugin"), "name = \"route\"")
            .processor(
                &plugin_library("panic_plugin"),
                "name = \"panic-test\"\nthreads = 1",
            ),
    )
}

#[test]
fn version_names_the_broker_and_the_plugin_abi() {
    let output = broker_host(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        stdout_of(&output),
        format!(
            "broker-host {}\nplugin ABI {}\n",
            env!("CARGO_PKG_VERSION"),
            plugin_api::ffi::ABI_VERSION
        )
    );
}

#[test]
fn plugins_list_is_an_aligned_table_and_json_on_request() {
    let broker = named_broker();
    let mut client = broker.client();
    assert_eq!(client.call_code(9902, &[("text", "x")]).code, 0);

    let table = plugins(&broker, &["list"]);
    let lines: Vec<&str> = table.lines().collect();
    let header = lines.first().expect("a header");
    for title in [
        "NAME", "VERSION", "ABI", "CODES", "SERVED", "ERRORS", "LOADED",
    ] {
        assert!(header.contains(title), "{title} in {table}");
    }
    let row = |name: &str| {
        *lines
            .iter()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("a row for {name} in\n{table}"))
    };
    let (route, panic_test) = (row("route"), row("panic-test"));
    // Aligned: each row's version starts under VERSION.
    let version_column = header.find("VERSION").expect("VERSION");
    for line in [route, panic_test] {
        assert_eq!(
            line.find(env!("CARGO_PKG_VERSION")),
            Some(version_column),
            "{table}"
        );
    }
    assert!(panic_test.contains("9901-9904"), "{table}");
    assert!(route.contains("105,106"), "{table}");
    let panic_library = plugin_library("panic_plugin").display().to_string();
    assert!(panic_test.contains(&panic_library), "{table}");

    let json = plugins(&broker, &["list", "--json"]);
    let listing: Value = serde_json::from_str(&json).expect("--json prints JSON");
    let names: Vec<&str> = listing
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|entry| entry["name"].as_str())
        .collect();
    assert!(
        names.contains(&"route") && names.contains(&"panic-test"),
        "{json}"
    );
}

#[test]
fn plugins_who_names_the_processor_serving_a_code() {
    let broker = named_broker();
    assert_eq!(
        plugins(&broker, &["who", "105"]),
        format!(
            "code 105 is served by route {}\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let addr = broker.addr().to_string();
    let unserved = broker_host(&["plugins", "--addr", &addr, "who", "4242"]);
    assert_eq!(unserved.status.code(), Some(1));
    assert_eq!(
        stderr_of(&unserved),
        "error: no processor serves code 4242\n"
    );
}

#[test]
fn the_plugins_subcommand_takes_the_address_from_the_config_file() {
    let broker = named_broker();
    let config = broker.dir.path().join("broker.toml");
    let config = config.to_str().expect("a UTF-8 path");
    // Before or after the subcommand.
    for args in [
        ["-c", config, "plugins", "who", "105"],
        ["plugins", "who", "105", "-c", config],
    ] {
        let output = broker_host(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        assert!(stdout_of(&output).contains("served by route"), "{args:?}");
    }
    // --addr wins over the file.
    let output = broker_host(&[
        "-c",
        config,
        "plugins",
        "--addr",
        "127.0.0.1:1",
        "who",
        "105",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("127.0.0.1:1"));
}

/// One line on stderr, `error: …`, status 1, no panic, no backtrace.
fn assert_one_line_error(output: &Output, expected: &str) {
    let stderr = stderr_of(output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(expected), "{expected} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn a_user_error_is_one_line_without_a_backtrace() {
    let broker = named_broker();
    let addr = broker.addr().to_string();
    let unknown = broker_host(&["plugins", "--addr", &addr, "rollback", "no-such-plugin"]);
    assert_one_line_error(&unknown, "no-such-plugin");

    // Nothing listens on a port just released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .to_string();
    let refused = broker_host(&["plugins", "--addr", &closed, "list"]);
    assert_one_line_error(&refused, &format!("cannot connect to {closed}"));

    let missing_config = broker_host(&["-c", "/nonexistent/broker.toml", "plugins", "list"]);
    assert_one_line_error(&missing_config, "/nonexistent/broker.toml");
}

/// A stand-in broker on a loopback port that answers one request on one
/// connection with `answer(request)`, after `before_answer` ran; returns its
/// address and the thread to join.
fn fake_broker(
    answer: impl FnOnce(&RemotingCommand) -> RemotingCommand + Send + 'static,
    before_answer: impl FnOnce() + Send + 'static,
) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the CLI connects");
        let mut buffer = BytesMut::new();
        let request = loop {
            if let Some(frame) = decode_frame(&mut buffer, DEFAULT_MAX_FRAME_LENGTH).expect("frame")
            {
                break frame;
            }
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).expect("read");
            assert!(read > 0, "the CLI hung up before asking");
            buffer.extend_from_slice(&chunk[..read]);
        };
        let mut response = answer(&request);
        response.opaque = request.opaque;
        before_answer();
        let frame = encode_to_vec(&response).expect("encode");
        // The CLI may be gone by now; that is its business.
        let _ = stream.write_all(&frame);
    });
    (addr, thread)
}

/// One LIST_PROCESSORS entry of the shared interface, every key present.
fn full_entry(name: &str, served: u64) -> String {
    format!(
        r#"{{"name":"{name}","version":"2.0.0","previousVersion":"1.0.0","abi":"1.1.0","library":"lib{name}.so","privateCopy":"/store/plugin-copies/{name}-3.so","loadedAt":1700000000000,"codes":[14,15,29,30,31,32],"threads":4,"queueCapacity":100,"queueDepth":2,"sinceLoad":{{"served":{served},"errors":1,"busy":0,"panics":0}},"lifetime":{{"served":{},"errors":3,"busy":7,"panics":1}},"builtin":false}}"#,
        served * 10
    )
}

#[test]
fn the_table_shows_every_key_of_the_listing_and_a_dash_for_missing_ones() {
    let body = format!(
        r#"[{},{{"name":"plugin-management","codes":[9100,9101,9102,9103],"builtin":true}}]"#,
        full_entry("pull", 12)
    );
    let (addr, fake) = fake_broker(
        move |request| {
            assert_eq!(request.code, 9100, "LIST_PROCESSORS");
            let mut response = RemotingCommand::response_to(request, 0, None);
            response.body = body.into_bytes().into();
            response
        },
        || {},
    );
    let output = broker_host(&["plugins", "--addr", &addr.to_string(), "list"]);
    fake.join().expect("fake broker");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let table = stdout_of(&output);
    let lines: Vec<&str> = table.lines().collect();
    let pull = lines[1];
    for expected in [
        "pull",
        "2.0.0",
        "1.0.0",
        "1.1.0",
        "14,15,29-32",
        "2/100",
        "12/120",
        "1/3",
        "0/7",
        "0/1",
        "2023-11-14 22:13:20Z",
        "libpull.so",
        "/store/plugin-copies/pull-3.so",
    ] {
        assert!(pull.contains(expected), "{expected} in\n{table}");
    }
    let management = lines[2];
    assert!(management.starts_with("plugin-management "), "{table}");
    assert!(management.contains("9100-9103"), "{table}");
    assert!(management.contains(" -/- "), "counters absent: {table}");
}

#[test]
fn a_closed_stdout_pipe_ends_the_listing_quietly() {
    // Enough rows to overflow any pipe buffer, answered only once the
    // reading end is closed: the CLI's first write meets a broken pipe.
    let body = format!(
        "[{}]",
        (0..2000)
            .map(|i| full_entry(&format!("p{i}"), i))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (reader_closed, closed) = std::sync::mpsc::channel::<()>();
    let (addr, fake) = fake_broker(
        move |request| {
            let mut response = RemotingCommand::response_to(request, 0, None);
            response.body = body.into_bytes().into();
            response
        },
        move || closed.recv().expect("the test closes the pipe"),
    );
    let mut child = Command::new(broker_binary())
        .args(["plugins", "--addr", &addr.to_string(), "list"])
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start broker-host");
    drop(child.stdout.take());
    reader_closed.send(()).expect("fake broker waits");
    let output = child.wait_with_output().expect("broker-host ends");
    fake.join().expect("fake broker");
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(output.status.success(), "{:?}", output.status);
}

/// The lines of the broker log that contain `needle`.
fn log_lines_with(log: &str, needle: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_plugin_panic_is_logged_once_with_name_version_and_code_and_rate_limited() {
    let mut broker = named_broker();
    let mut client = broker.client();
    const PANICS: usize = 25;
    let started = Instant::now();
    for _ in 0..PANICS {
        assert_eq!(client.call_code(9901, &[]).code, 1);
    }
    let elapsed = started.elapsed();
    // Retiring the processors reports what was not logged.
    assert!(broker.terminate().success());
    let log = broker.log();

    let logged = log_lines_with(&log, "processor panicked; answered SYSTEM_ERROR");
    assert!(!logged.is_empty(), "{log}");
    for line in &logged {
        for expected in [
            "plugin=panic-test",
            &format!("version={}", env!("CARGO_PKG_VERSION")),
            "code=9901",
            "deliberate panic for opaque",
            "(at tests/plugins/panic-plugin/src/lib.rs:",
        ] {
            assert!(line.contains(expected), "{expected} in {line}");
        }
    }
    let suppressed: usize = log_lines_with(&log, "more panics of processor panic-test")
        .iter()
        .map(|line| {
            line.split("suppressed=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|count| count.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("a count in {line}"))
        })
        .sum();
    assert_eq!(logged.len() + suppressed, PANICS, "{log}");
    // At most 10 lines a minute: how many minutes the panics spanned bounds it.
    let windows = elapsed.as_secs() as usize / 60 + 1;
    assert!(logged.len() <= 10 * windows, "{} lines", logged.len());

    // Nothing from the plugin's own panic hook, and no colour codes.
    assert!(!log.contains("panicked at"), "{log}");
    assert!(!log.contains("RUST_BACKTRACE"), "{log}");
    assert!(!log.contains('\u{1b}'), "escape codes in a log file");
}

#[test]
fn normal_pull_outcomes_are_not_counted_as_errors() {
    let broker = BrokerProcess::start(
        BrokerSetup::default()
            .processor(&plugin_library("route_plugin"), "name = \"route\"")
            .processor(&plugin_library("send_plugin"), "name = \"send\"")
            .processor(&plugin_library("pull_plugin"), "name = \"pull\""),
    );
    let mut client = broker.client();
    let sent = client.send_message("QuietTopic", 0, "TagA", "k", b"one");
    assert_eq!(sent.code, 0, "{:?}", sent.remark);
    let mut answered = Vec::new();
    for offset in [1, 1, 500] {
        let response = client.pull(&Pull {
            group: "quiet_group",
            topic: "QuietTopic",
            queue_id: 0,
            offset,
            // SUBSCRIPTION, without SUSPEND: answered at once.
            sys_flag: 4,
            subscription: Some("*"),
            suspend_ms: 0,
        });
        answered.push(response.code);
    }
    assert!(
        answered.iter().all(|code| [19, 20, 21].contains(code)),
        "normal pull outcomes only: {answered:?}"
    );
    // A real error for contrast: a pull with no topic.
    assert_eq!(client.call_code(11, &[]).code, 1);

    let listing: Value = serde_json::from_str(&plugins(&broker, &["list", "--json"])).unwrap();
    let pull = listing
        .as_array()
        .and_then(|entries| entries.iter().find(|entry| entry["name"] == "pull"))
        .expect("the pull entry")
        .clone();
    // The counters since load (flat in a listing from before `sinceLoad`).
    let counter = |key: &str| {
        pull["sinceLoad"][key]
            .as_u64()
            .or_else(|| pull[key].as_u64())
            .unwrap_or_else(|| panic!("{key} in {pull}"))
    };
    assert_eq!(counter("served"), 4, "{pull}");
    assert_eq!(counter("errors"), 1, "only the missing topic: {pull}");
}

/// Builds `examples/plugin-template` (its own workspace) with its caller
/// example, once per test run; the library and the caller binary.
fn plugin_template() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = target_dir().join("fixtures");
        let status = cargo_in_template(&["build", "--quiet", "--lib", "--examples"], &out);
        assert!(status.success(), "building examples/plugin-template failed");
        let debug = out.join("debug");
        (
            debug.join(format!(
                "{}queue_depth_plugin{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )),
            debug.join("examples").join("queue_depth"),
        )
    })
}

fn cargo_in_template(args: &[&str], target: &Path) -> std::process::ExitStatus {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(args)
        .arg("--manifest-path")
        .arg(workspace_root().join("examples/plugin-template/Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .status()
        .expect("run cargo")
}

#[test]
fn the_plugin_template_passes_its_own_unit_tests() {
    let status = cargo_in_template(&["test", "--quiet"], &target_dir().join("fixtures"));
    assert!(status.success(), "examples/plugin-template's tests failed");
}

#[test]
fn the_plugin_template_builds_loads_and_answers_its_caller() {
    let (library, caller) = plugin_template();
    let broker = BrokerProcess::start(
        BrokerSetup::default()
            .processor(&plugin_library("route_plugin"), "name = \"route\"")
            .processor(&plugin_library("send_plugin"), "name = \"send\"")
            .processor(
                library,
                "name = \"queue-depth\"\nthreads = 1\n[processor.settings]\nwarn_above = 0",
            ),
    );
    let mut client = broker.client();
    for body in [&b"a"[..], b"b"] {
        let sent = client.send_message("DepthTopic", 1, "TagA", "k", body);
        assert_eq!(sent.code, 0, "{:?}", sent.remark);
    }
    assert_eq!(
        plugins(&broker, &["who", "9300"]),
        "code 9300 is served by queue-depth 0.1.0\n"
    );

    // The store's dispatch is asynchronous: ask until both are counted.
    let deadline = Instant::now() + Duration::from_secs(30);
    let output = loop {
        let output = Command::new(caller)
            .args([&broker.addr().to_string(), "DepthTopic"])
            .output()
            .expect("run the caller example");
        if stdout_of(&output).starts_with("total 2") || Instant::now() > deadline {
            break output;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output),
        "total 2\nqueue 0: 0\nqueue 1: 2\nqueue 2: 0\nqueue 3: 0\n"
    );
    assert!(
        broker.log().contains("DepthTopic queue 1 holds 2 messages"),
        "the plugin's warning reaches the broker log"
    );

    let unknown = Command::new(caller)
        .args([&broker.addr().to_string(), "NoSuchTopic"])
        .output()
        .expect("run the caller example");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        stderr_of(&unknown),
        "error: broker answered code 17: topic[NoSuchTopic] not exist\n"
    );
}

#[test]
fn the_bench_producer_stops_after_count_messages() {
    let broker = BrokerProcess::start(
        BrokerSetup::default()
            .processor(&plugin_library("route_plugin"), "name = \"route\"")
            .processor(&plugin_library("send_plugin"), "name = \"send\"")
            .processor(&plugin_library("pull_plugin"), "name = \"pull\""),
    );
    let output = Command::new(built_artifact("rocketmq-bench"))
        .args([
            "producer",
            "--addr",
            &broker.addr().to_string(),
            "--topic",
            "CountTopic",
            "--size",
            "64",
            "--connections",
            "2",
            "--inflight",
            "8",
            "--count",
            "101",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run rocketmq-bench");
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "{stdout}{}", stderr_of(&output));
    assert!(
        stdout.contains("[Count] sent 101 of 101 messages"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Send Failed: 0 Response Failed: 0"),
        "{stdout}"
    );

    // Exactly 101 stored, over the topic's 4 queues.
    let mut client = broker.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let total: i64 = (0..4)
            .map(|queue| {
                let response = client.call_code(
                    30,
                    &[("topic", "CountTopic"), ("queueId", &queue.to_string())],
                );
                response
                    .ext("offset")
                    .and_then(|offset| offset.parse::<i64>().ok())
                    .unwrap_or(0)
            })
            .sum();
        if total == 101 {
            break;
        }
        assert!(
            total < 101 && Instant::now() < deadline,
            "{total} messages stored"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
