//! A reload applies the whole manifest or nothing, one name per entry,
//! `plugins check` before applying, and the listing's per-version and
//! lifetime counters.
//!
//! The proof runs under load from the stock `rocketmq-client-rust` producer:
//! reloads that change the send entry's library to (a) a good new build,
//! (b) a missing file, (c) a file of random bytes, (d) a library built
//! against an incompatible ABI, and (e) a manifest in which one of two
//! changed entries fails. Zero sends fail throughout, and in (b)–(e) the
//! version that ran before keeps serving: its own request count (the
//! listing's `sinceLoad`, kept per loaded version) keeps growing while its
//! version, load time and private copy stay the same.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Mutex;

use e2e_tests::stock_client::{start_producer, Direction, StockRuntime, WireTap};
use e2e_tests::{
    broker_binary, free_port_pair, plugin_library, BrokerProcess, BrokerSetup, RawClient,
};
use plugin_api::codec::RemotingCommand;
use plugin_api::serde_json::{self, Value};

use super::hot_swap::{
    cli, garbage_library, incompatible_plugin, list, listed, send_listing, send_loop,
    send_plugin_b, sends_succeed, wait_until, Listed, Manifest, StopOnDrop, B_VERSION,
    GET_BROKER_STATS, RELOAD, ROLLBACK,
};

/// WHO_SERVES: which processor serves a code.
const WHO_SERVES: i32 = 9103;

/// How many more sends a version must serve to count as "keeps serving".
const MORE: u64 = 20;

/// Log lines containing all of `parts`.
fn log_lines_with(broker: &BrokerProcess, parts: &[&str]) -> Vec<String> {
    broker
        .log()
        .lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .map(str::to_owned)
        .collect()
}

/// The private copies the broker holds now.
fn copies(dir: &Path) -> HashSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|files| files.flatten().map(|f| f.path()).collect())
        .unwrap_or_default()
}

/// How a refused reload is asked for, and how its refusal is seen.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Sighup,
    Cli,
    Request,
}

/// Triggers a reload that must be refused and returns the refusal text (the
/// answer, or for SIGHUP the broker's ERROR line).
fn refused_reload(broker: &BrokerProcess, client: &mut RawClient, ask: Ask) -> String {
    match ask {
        Ask::Sighup => {
            let before = log_lines_with(broker, &["ERROR", "SIGHUP reload refused"]).len();
            broker.signal("HUP");
            wait_until("the SIGHUP refusal in the log at ERROR", broker, || {
                log_lines_with(broker, &["ERROR", "SIGHUP reload refused"])
                    .get(before)
                    .cloned()
            })
        }
        Ask::Cli => {
            let before = log_lines_with(broker, &["WARN", "reload request refused"]).len();
            let (ok, output) = cli(broker.addr(), &["reload"]);
            assert!(!ok, "the CLI exits non-zero on a refused reload: {output}");
            let logged = log_lines_with(broker, &["WARN", "reload request refused"]);
            assert!(
                logged.len() > before,
                "a refused CLI reload is logged at WARN:\n{}",
                broker.log()
            );
            output
        }
        Ask::Request => {
            let response = client.call_code(RELOAD, &[]);
            assert_eq!(response.code, 1, "the reload is refused: {response:?}");
            response.remark.unwrap_or_default()
        }
    }
}

/// One refused case of the proof.
struct Refusal {
    label: &'static str,
    ask: Ask,
    /// The manifest to reload.
    manifest: Manifest,
    /// The failing entry and the reason the refusal must give.
    failing: (&'static str, String),
    /// A change the refusal must list as not applied.
    not_applied: Option<String>,
}

/// Runs the proof's reloads while the producer sends; returns what it saw.
fn drive_reloads(
    broker: &BrokerProcess,
    start: &Manifest,
    library_a: &Path,
    copies_dir: &Path,
) -> Vec<String> {
    let mut client = broker.client();
    let mut seen = Vec::new();
    wait_until("the producer's first sends served", broker, || {
        (send_listing(&mut client).served >= MORE).then_some(())
    });
    let a = send_listing(&mut client);
    let a_copy = a.private_copy.clone().expect("a plugin has a private copy");
    assert!(Path::new(&a_copy).starts_with(copies_dir), "{a_copy}");
    assert_eq!(a.abi, plugin_api::ffi::ABI_VERSION);

    // (a) A good new build, through the CLI: swapped, and the new version
    // serves the producer's sends (its own count grows from zero).
    let mut on_b = start.clone();
    on_b.send_library = send_plugin_b();
    on_b.write(broker);
    let (ok, output) = cli(broker.addr(), &["reload"]);
    assert!(ok, "(a) the reload applies: {output}");
    assert!(
        output.contains(&format!(
            "send: codes {:?}, version {} -> {B_VERSION}",
            a.codes, a.version
        )),
        "{output}"
    );
    let b = wait_until("(a) the new build serving", broker, || {
        let now = send_listing(&mut client);
        (now.version == B_VERSION && now.served >= MORE).then_some(now)
    });
    assert_eq!(b.previous_version.as_deref(), Some(a.version.as_str()));
    assert!(b.loaded_at >= a.loaded_at);
    assert!(
        b.lifetime_served >= a.served + b.served,
        "lifetime counts both versions: {b:?}, A served {} when last seen",
        a.served
    );
    seen.push(format!(
        "(a) {} -> {B_VERSION}: A served >= {}, B served {} when checked",
        a.version, a.served, b.served
    ));
    let b_copy = b.private_copy.clone().expect("private copy");

    let missing = broker.dir.path().join("libnot_there.so");
    let garbage = garbage_library(broker.dir.path());
    let incompatible = incompatible_plugin();
    let with_send = |library: &Path| {
        let mut manifest = on_b.clone();
        manifest.send_library = library.to_owned();
        manifest
    };
    let mut two_changes = with_send(library_a);
    two_changes.stats_extra = "[processor.settings]\nno_such_setting = 1".to_owned();
    let abi = plugin_api::ffi::ABI_VERSION;
    let cases = [
        Refusal {
            label: "(b) a missing file",
            ask: Ask::Sighup,
            manifest: with_send(&missing),
            failing: (
                "send",
                format!("plugin library {} does not exist", missing.display()),
            ),
            not_applied: None,
        },
        Refusal {
            label: "(c) a file of random bytes",
            ask: Ask::Cli,
            manifest: with_send(&garbage),
            failing: (
                "send",
                format!(
                    "cannot load plugin library {}: not a shared library",
                    garbage.display()
                ),
            ),
            not_applied: None,
        },
        Refusal {
            label: "(d) a library built against an incompatible ABI",
            ask: Ask::Request,
            manifest: with_send(&incompatible),
            failing: (
                "send",
                format!(
                    "plugin library {} was built against plugin-api ABI 99.0.0, but this broker expects ABI {abi}",
                    incompatible.display()
                ),
            ),
            not_applied: None,
        },
        Refusal {
            label: "(e) one of two changed entries fails",
            ask: Ask::Request,
            manifest: two_changes,
            failing: (
                "stats",
                "failed to start: invalid settings: unknown setting `no_such_setting`".to_owned(),
            ),
            not_applied: Some(format!(
                "not applied: send: codes {:?}, version {B_VERSION} -> {}",
                b.codes, a.version
            )),
        },
    ];
    for case in &cases {
        let before = send_listing(&mut client);
        let stats_before = listed(&mut client, "stats").expect("stats listed");
        let (entry, reason) = &case.failing;
        let entry_named = format!("unchanged: {entry}: ");
        let error_line = ["ERROR", "reload refused", &entry_named, reason.as_str()];
        let logged_before = log_lines_with(broker, &error_line).len();
        case.manifest.write(broker);
        let refusal = refused_reload(broker, &mut client, case.ask);
        assert!(
            refusal.contains(&format!("FAILED {entry}: ")) && refusal.contains(reason.as_str()),
            "{}: the refusal names `{entry}` and `{reason}`: {refusal}",
            case.label
        );
        if let Some(line) = &case.not_applied {
            assert!(refusal.contains(line.as_str()), "{}: {refusal}", case.label);
        }
        // Every trigger logs the failing entry at ERROR.
        assert!(
            log_lines_with(broker, &error_line).len() > logged_before,
            "{}: `{entry}` and `{reason}` logged at ERROR:\n{}",
            case.label,
            broker.log()
        );
        // The previous table keeps serving: the same loaded version of send
        // (version, load time, private copy) serves more sends.
        let after = wait_until(
            &format!("{}: the running send version serving more", case.label),
            broker,
            || {
                let now = send_listing(&mut client);
                (now.served >= before.served + MORE).then_some(now)
            },
        );
        let identity = |l: &Listed| {
            (
                l.version.clone(),
                l.loaded_at,
                l.private_copy.clone(),
                l.previous_version.clone(),
                l.hash.clone(),
            )
        };
        assert_eq!(identity(&after), identity(&before), "{}", case.label);
        let stats_after = listed(&mut client, "stats").expect("stats listed");
        assert_eq!(
            identity(&stats_after),
            identity(&stats_before),
            "{}",
            case.label
        );
        assert_eq!(
            client.call_code(GET_BROKER_STATS, &[]).code,
            0,
            "{}: stats still served",
            case.label
        );
        seen.push(format!(
            "{}: refused; send {} served {} -> {} on the same load",
            case.label, after.version, before.served, after.served
        ));
    }

    // Nothing of the failed loads is left on disk: the copies are those of
    // the running versions and of send's previous one.
    let mut expected: HashSet<PathBuf> = list(&mut client)
        .iter()
        .filter_map(|l| l.private_copy.as_ref().map(PathBuf::from))
        .collect();
    expected.insert(PathBuf::from(&a_copy));
    assert_eq!(
        copies(copies_dir),
        expected,
        "private copies after the refusals"
    );

    // A good reload after all that, by SIGHUP: back to A, from a new copy;
    // the copy of the version older than the previous one (the first A) is
    // deleted.
    with_send(library_a).write(broker);
    broker.signal("HUP");
    let back = wait_until("A serving again after SIGHUP", broker, || {
        let now = send_listing(&mut client);
        (now.version == a.version && now.served >= MORE).then_some(now)
    });
    assert_eq!(back.previous_version.as_deref(), Some(B_VERSION));
    let back_copy = back.private_copy.clone().expect("private copy");
    assert_ne!(back_copy, a_copy, "a new private copy");
    let now = copies(copies_dir);
    assert!(now.contains(Path::new(&back_copy)) && now.contains(Path::new(&b_copy)));
    assert!(
        !now.contains(Path::new(&a_copy)),
        "the copy older than the previous version is deleted: {now:?}"
    );
    let last = send_listing(&mut client);
    assert!(
        last.lifetime_served >= a.served + last.served,
        "lifetime survives every reload: {last:?}"
    );
    seen.push(format!(
        "back to {} by SIGHUP: send lifetime served {}",
        back.version, last.lifetime_served
    ));
    seen
}

#[test]
fn under_load_good_reloads_apply_and_refused_ones_change_nothing_with_zero_failed_sends() {
    const TOPIC: &str = "AtomicReloadTopic";
    const SEND_LANES: usize = 2;
    let library_a = plugin_library("send_plugin");
    // Build the other libraries before the load starts.
    let _ = (send_plugin_b(), incompatible_plugin());
    let manifest = Manifest::new(&library_a);
    let broker = manifest.start();
    let copies_dir = broker.dir.path().join("store").join("plugin-copies");
    // The producer's traffic goes through a recording relay: every send
    // request and response on the wire is seen.
    let tap = WireTap::start(broker.addr());
    let rt = StockRuntime::new("atomic-reload");
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let sent: Mutex<HashMap<usize, String>> = Mutex::default();
    let failures: Mutex<Vec<String>> = Mutex::default();

    let seen = std::thread::scope(|scope| {
        let mut producer = rt.block_on(start_producer(&rt, tap.addr(), "atomic_reload_producer"));
        let driver = scope.spawn(|| {
            let _stop = StopOnDrop(&stop);
            drive_reloads(&broker, &manifest, &library_a, &copies_dir)
        });
        rt.block_on(async {
            let lanes = (0..SEND_LANES)
                .map(|_| send_loop(&producer, TOPIC, &next, &stop, &sent, &failures));
            futures::future::join_all(lanes).await;
            producer.shutdown().await;
        });
        match driver.join() {
            Ok(seen) => seen,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });

    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "failed sends: {failures:#?}");
    let sent = sent.into_inner().unwrap();
    let frames = tap.frames();
    let answers: HashMap<i32, i32> = frames
        .iter()
        .filter(|(d, c)| *d == Direction::ToClient && c.is_response())
        .map(|(_, c)| (c.opaque, c.code))
        .collect();
    let send_requests: Vec<&RemotingCommand> = frames
        .iter()
        .filter(|(d, c)| {
            *d == Direction::ToBroker && !c.is_response() && matches!(c.code, 10 | 310)
        })
        .map(|(_, c)| c)
        .collect();
    let not_ok: Vec<(i32, Option<&i32>)> = send_requests
        .iter()
        .map(|r| (r.opaque, answers.get(&r.opaque)))
        .filter(|(_, code)| *code != Some(&0))
        .take(20)
        .collect();
    assert!(
        not_ok.is_empty(),
        "send requests not answered SUCCESS on the wire (opaque, code): {not_ok:?}"
    );
    assert!(!sent.is_empty());
    for line in seen {
        eprintln!("{line}");
    }
    eprintln!(
        "{} sends, {} send requests on the wire, none failed",
        sent.len(),
        send_requests.len()
    );
}

// ---------------------------------------------------------------------------
// One name

#[test]
fn an_unnamed_entry_is_named_by_its_plugin_and_a_new_library_path_is_a_change_of_it() {
    let library_a = plugin_library("send_plugin");
    let library_b = send_plugin_b();
    let unnamed = |send: &Path| {
        format!(
            "[[processor]]\nlibrary = {:?}\n[[processor]]\nlibrary = {:?}\n",
            send.display().to_string(),
            plugin_library("route_plugin").display().to_string()
        )
    };
    let broker = BrokerProcess::start(BrokerSetup {
        manifest: unnamed(&library_a),
        ..BrokerSetup::default()
    });
    let mut client = broker.client();
    let names: Vec<String> = list(&mut client).into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["send", "route", "plugin-management"]);
    let before = send_listing(&mut client);

    std::fs::write(broker.manifest_path(), unnamed(&library_b)).expect("manifest");
    let response = client.call_code(RELOAD, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    let report = String::from_utf8_lossy(&response.body);
    assert!(
        report.contains(&format!(
            "send: codes {:?}, version {} -> {B_VERSION}",
            before.codes, before.version
        )),
        "a change of the entry, not a removal and an addition: {report}"
    );
    assert!(!report.contains("removed"), "{report}");
    let after = send_listing(&mut client);
    assert_eq!(
        after.previous_version.as_deref(),
        Some(before.version.as_str())
    );
    assert_eq!(after.library, library_b.display().to_string());
    // The name is the one rollback takes.
    let rolled = client.call_code(ROLLBACK, &[("name", "send")]);
    assert_eq!(rolled.code, 0, "{:?}", rolled.remark);
    assert_eq!(send_listing(&mut client).version, before.version);
    assert!(
        !broker
            .log()
            .contains(&format!("plugin=\"{}\"", library_a.display())),
        "logs use the name, not the library"
    );
}

#[test]
fn two_entries_with_one_name_refuse_the_reload() {
    let route = plugin_library("route_plugin");
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let before = listed(&mut client, "route").expect("route listed");
    // The second, unnamed, entry of the same library is named `route` too.
    let text = std::fs::read_to_string(broker.manifest_path()).expect("manifest");
    std::fs::write(
        broker.manifest_path(),
        format!(
            "{text}\n[[processor]]\nlibrary = {:?}\n",
            route.display().to_string()
        ),
    )
    .expect("manifest");
    let refused = client.call_code(RELOAD, &[]);
    assert_eq!(refused.code, 1);
    let remark = refused.remark.unwrap_or_default();
    assert!(
        remark.contains("FAILED route: two manifest entries are named route"),
        "{remark}"
    );
    let after = listed(&mut client, "route").expect("route listed");
    assert_eq!(
        (after.loaded_at, after.private_copy),
        (before.loaded_at, before.private_copy)
    );
    assert_eq!(client.call_code(105, &[("topic", "TBW102")]).code, 0);
}

// ---------------------------------------------------------------------------
// The listing and WHO_SERVES

#[test]
fn the_listing_shows_abi_private_copy_load_time_and_counters_that_outlive_a_reload() {
    let started = now_millis();
    let mut manifest = Manifest::new(&plugin_library("send_plugin"));
    manifest.pull = false;
    manifest.stats = false;
    let broker = manifest.start();
    let mut client = broker.client();
    let mut sender = broker.client();
    sends_succeed(&mut sender, "ListingTopic", "first", 5);

    let send = send_listing(&mut client);
    assert_eq!(send.abi, plugin_api::ffi::ABI_VERSION);
    assert!(!send.builtin);
    assert_eq!(send.previous_version, None);
    let copy = PathBuf::from(send.private_copy.clone().expect("private copy"));
    assert!(copy.is_file(), "{copy:?}");
    assert!(copy.starts_with(broker.dir.path().join("store").join("plugin-copies")));
    assert!(
        send.loaded_at >= started && send.loaded_at <= now_millis(),
        "{send:?}"
    );
    assert!(
        send.served >= 5 && send.lifetime_served >= send.served,
        "{send:?}"
    );

    let management = listed(&mut client, "plugin-management").expect("listed");
    assert!(management.builtin);
    assert_eq!(management.private_copy, None);
    assert_eq!(management.codes, vec![9100, 9101, 9102, 9103]);

    // A settings-only change loads a new pool: counters since load start
    // again, lifetime counters go on.
    manifest.send_threads = 3;
    manifest.write(&broker);
    assert_eq!(client.call_code(RELOAD, &[]).code, 0);
    let reloaded = send_listing(&mut client);
    assert_eq!(reloaded.served, 0, "{reloaded:?}");
    assert!(reloaded.lifetime_served >= send.served, "{reloaded:?}");
    assert!(reloaded.loaded_at >= send.loaded_at);
    sends_succeed(&mut sender, "ListingTopic", "second", 3);
    let later = send_listing(&mut client);
    assert_eq!(later.served, 3, "{later:?}");
    assert!(later.lifetime_served >= send.served + 3, "{later:?}");

    // WHO_SERVES.
    let who = |client: &mut RawClient, code: &str| client.call_code(WHO_SERVES, &[("code", code)]);
    let answer = who(&mut client, "310");
    assert_eq!(answer.code, 0, "{:?}", answer.remark);
    let body: Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(body["name"], "send");
    assert_eq!(body["version"], send.version.as_str());
    let answer = who(&mut client, "9100");
    let body: Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(body["name"], "plugin-management");
    let none = who(&mut client, "4242");
    assert_eq!(
        (none.code, none.remark.as_deref()),
        (1, Some("no processor serves code 4242"))
    );
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// plugins check

/// `broker-host plugins --addr ADDR check --manifest FILE`: (success, output).
fn check(addr: &str, manifest: &Path) -> (bool, String) {
    let output = Command::new(broker_binary())
        .args(["plugins", "--addr", addr, "check", "--manifest"])
        .arg(manifest)
        .output()
        .expect("run broker-host plugins check");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// The report's line for `name`, split into words.
fn verdict_of(output: &str, name: &str) -> Option<(String, String)> {
    output.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let verdict = words.next()?;
        (words.next()? == name).then(|| (verdict.to_owned(), line.to_owned()))
    })
}

#[test]
fn plugins_check_dry_runs_a_manifest_without_touching_the_broker() {
    let mut manifest = Manifest::new(&plugin_library("send_plugin"));
    manifest.pull = false;
    let broker = manifest.start();
    let mut client = broker.client();
    let addr = broker.addr().to_string();
    let before = list(&mut client);
    let changes_logged = log_lines_with(&broker, &["processor change"]).len();

    // The running manifest: everything unchanged.
    let (ok, output) = check(&addr, &broker.manifest_path());
    assert!(ok, "{output}");
    for name in ["send", "route", "stats"] {
        assert_eq!(
            verdict_of(&output, name).map(|v| v.0).as_deref(),
            Some("unchanged"),
            "{output}"
        );
    }

    // Another manifest: send to another build, stats dropped, a new entry.
    let candidate = broker.dir.path().join("candidate.toml");
    let mut changed = manifest.clone();
    changed.send_library = send_plugin_b();
    changed.stats = false;
    let echo = format!(
        "[[processor]]\nname = \"echo\"\nlibrary = {:?}\ncodes = [9902]\n",
        plugin_library("panic_plugin").display().to_string()
    );
    std::fs::write(&candidate, format!("{}{echo}", changed.render())).expect("candidate");
    let (ok, output) = check(&addr, &candidate);
    assert!(ok, "{output}");
    let (verdict, line) = verdict_of(&output, "send").expect("send line");
    assert_eq!(verdict, "would-change", "{output}");
    assert!(
        line.contains(&format!("-> {B_VERSION}")) && line.contains(plugin_api::ffi::ABI_VERSION),
        "{line}"
    );
    assert_eq!(
        verdict_of(&output, "echo").map(|v| v.0).as_deref(),
        Some("would-load")
    );
    assert_eq!(
        verdict_of(&output, "stats").map(|v| v.0).as_deref(),
        Some("would-remove")
    );
    assert_eq!(
        verdict_of(&output, "route").map(|v| v.0).as_deref(),
        Some("unchanged")
    );

    // Failures: a constructor refusal, a file that is no library, a code clash.
    let garbage = garbage_library(broker.dir.path());
    let mut failing = manifest.clone();
    failing.stats_extra = "[processor.settings]\nno_such_setting = 1".to_owned();
    let extra = format!(
        "[[processor]]\nname = \"junk\"\nlibrary = {:?}\n[[processor]]\nname = \"thief\"\nlibrary = {:?}\ncodes = [9902]\n[[processor]]\nname = \"owner\"\nlibrary = {:?}\ncodes = [9902]\n",
        garbage.display().to_string(),
        plugin_library("panic_plugin").display().to_string(),
        plugin_library("panic_plugin").display().to_string(),
    );
    std::fs::write(&candidate, format!("{}{extra}", failing.render())).expect("candidate");
    let (ok, output) = check(&addr, &candidate);
    assert!(!ok, "a failing entry fails the check: {output}");
    let failed = |name: &str| {
        let (verdict, line) =
            verdict_of(&output, name).unwrap_or_else(|| panic!("{name}: {output}"));
        assert_eq!(verdict, "would-fail", "{output}");
        line
    };
    assert!(failed("stats").contains("unknown setting `no_such_setting`"));
    assert!(failed("junk").contains("not a shared library"));
    assert!(failed("owner").contains("request code 9902 is served by both thief and owner"));
    assert_eq!(
        verdict_of(&output, "send").map(|v| v.0).as_deref(),
        Some("unchanged")
    );

    // The broker was only read: same processors, same loads, no change logged.
    let after = list(&mut client);
    let identity = |all: &[Listed]| {
        all.iter()
            .map(|l| {
                (
                    l.name.clone(),
                    l.version.clone(),
                    l.loaded_at,
                    l.private_copy.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(identity(&after), identity(&before));
    assert_eq!(
        log_lines_with(&broker, &["processor change"]).len(),
        changes_logged
    );
    assert_eq!(client.call_code(9902, &[("text", "x")]).code, 3);

    // No broker to compare with: every entry would load.
    let nobody = format!("127.0.0.1:{}", free_port_pair());
    let (ok, output) = check(&nobody, &broker.manifest_path());
    assert!(ok, "{output}");
    assert!(output.contains("an empty table"), "{output}");
    for name in ["send", "route", "stats"] {
        assert_eq!(
            verdict_of(&output, name).map(|v| v.0).as_deref(),
            Some("would-load"),
            "{output}"
        );
    }
}
