//! Loading plugins: side by side, refused when built against an incompatible
//! plugin-api, refused when the constructor fails or panics or the library is
//! missing — and in every refusal the broker keeps serving the rest.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use e2e_tests::{plugin_library, target_dir, workspace_root, BrokerProcess, BrokerSetup};

/// Builds a fixture plugin crate under `tests/fixtures` (its own workspace,
/// so its plugin-api cannot leak into the real build) once per test run.
fn fixture_plugin(
    built: &'static OnceLock<PathBuf>,
    crate_dir: &str,
    library_name: &str,
) -> PathBuf {
    built
        .get_or_init(|| {
            let fixtures_target = target_dir().join("fixtures");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .arg("build")
                .arg("--quiet")
                .arg("--manifest-path")
                .arg(workspace_root().join(format!("tests/fixtures/{crate_dir}/Cargo.toml")))
                .arg("--target-dir")
                .arg(&fixtures_target)
                .status()
                .expect("run cargo build for the fixture");
            assert!(status.success(), "building the fixture {crate_dir} failed");
            fixtures_target.join("debug").join(format!(
                "{}{library_name}{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            ))
        })
        .clone()
}

fn incompatible_plugin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    fixture_plugin(&BUILT, "incompatible-plugin", "incompatible_plugin")
}

/// Built against `tests/fixtures/plugin-api-1.0`, a frozen copy of the
/// plugin-api of ABI 1.0.0.
fn abi_1_0_plugin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    fixture_plugin(&BUILT, "abi-1.0-plugin", "abi_one_zero_plugin")
}

#[test]
fn a_plugin_built_against_an_older_minor_abi_loads_and_serves() {
    let library = abi_1_0_plugin();
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin().processor(&library, ""));
    let mut client = broker.client();
    let mut request = plugin_api::codec::RemotingCommand::request(9960);
    let mut fields = plugin_api::codec::ExtFields::new();
    fields.insert("topic", "TBW102");
    request.ext_fields = Some(fields);
    request.body = bytes::Bytes::from_static(b"from a 1.0 plugin");
    let answer = client.call(&request);
    assert_eq!(answer.code, 0, "{:?}", answer.remark);
    let field = |key: &str| {
        answer
            .ext_fields
            .as_ref()
            .and_then(|fields| fields.get(key))
            .map(str::to_owned)
    };
    assert_eq!(
        field("writeQueueNums").as_deref(),
        Some("8"),
        "a host call made through the 1.0 vtable"
    );
    assert_eq!(field("maxOffset").as_deref(), Some("0"));
    assert_eq!(
        field("hostAbi").as_deref(),
        Some(plugin_api::ffi::ABI_VERSION)
    );
    assert_eq!(&answer.body[..], b"from a 1.0 plugin");
    let missing = client.call_code(9960, &[("topic", "NoSuchTopic")]);
    assert_eq!(missing.code, 17);
    // The listing shows the ABI each plugin was built against.
    let listing = client.call_code(9100, &[]);
    let rows: plugin_api::serde_json::Value =
        plugin_api::serde_json::from_slice(&listing.body).expect("JSON listing");
    let abi_of = |code: i64| {
        rows.as_array()
            .and_then(|rows| {
                rows.iter().find(|row| {
                    row["codes"]
                        .as_array()
                        .is_some_and(|c| c.contains(&code.into()))
                })
            })
            .and_then(|row| row["abi"].as_str().map(str::to_owned))
    };
    assert_eq!(abi_of(9960).as_deref(), Some("1.0.0"), "{rows}");
    assert_eq!(
        abi_of(105).as_deref(),
        Some(plugin_api::ffi::ABI_VERSION),
        "{rows}"
    );
    // Connection close calls the 1.1 hook the 1.0 processor lacks: the
    // host falls back to the default and keeps serving.
    drop(client);
    let mut again = broker.client();
    assert_eq!(again.call_code(9960, &[("topic", "TBW102")]).code, 0);
    let log = broker.log();
    assert!(
        log.contains(&format!(
            "built for ABI 1.0, running on ABI {}",
            plugin_api::ffi::ABI_VERSION
        )),
        "{log}"
    );
}

#[test]
fn a_plugin_built_against_another_plugin_api_is_refused_with_a_clear_error() {
    let library = incompatible_plugin();
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin().processor(&library, ""));
    let mut client = broker.client();
    let refused = client.call_code(9950, &[]);
    assert_eq!(refused.code, 3, "the refused plugin's code is not served");
    assert_eq!(
        client.call_code(105, &[("topic", "TBW102")]).code,
        0,
        "the others are"
    );

    let log = broker.log();
    let expected = format!(
        "plugin library {} was built against plugin-api ABI 99.0.0, but this broker expects ABI {}",
        library.display(),
        plugin_api::ffi::ABI_VERSION
    );
    assert!(
        log.contains(&expected),
        "log must name the library and both versions:\n{log}"
    );
}

#[test]
fn two_plugins_and_two_instances_of_one_library_load_side_by_side() {
    let panic_plugin = plugin_library("panic_plugin");
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin()
            .processor(&panic_plugin, "name = \"echo-a\"\ncodes = [9902]")
            .processor(&panic_plugin, "name = \"sleeper-b\"\ncodes = [9904]"),
    );
    let mut client = broker.client();
    assert_eq!(client.call_code(105, &[("topic", "TBW102")]).code, 0);
    let echo = client.call_code(9902, &[("text", "a")]);
    assert_eq!((echo.code, &echo.body[..]), (0, &b"a"[..]));
    assert_eq!(client.call_code(9904, &[("sleep_millis", "1")]).code, 0);
    let log = broker.log();
    assert!(log.contains("echo-a") && log.contains("sleeper-b"), "{log}");
}

#[test]
fn a_constructor_that_fails_or_panics_is_refused_and_the_broker_serves_the_rest() {
    let panic_plugin = plugin_library("panic_plugin");
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin()
            .processor(
                &panic_plugin,
                "name = \"refuses\"\ncodes = [9902]\n[processor.settings]\nfail_constructor = true",
            )
            .processor(
                &panic_plugin,
                "name = \"panics\"\ncodes = [9904]\n[processor.settings]\npanic_constructor = true",
            ),
    );
    let mut client = broker.client();
    assert_eq!(client.call_code(9902, &[("text", "x")]).code, 3);
    assert_eq!(client.call_code(9904, &[("sleep_millis", "1")]).code, 3);
    assert_eq!(client.call_code(105, &[("topic", "TBW102")]).code, 0);
    let log = broker.log();
    assert!(log.contains("constructor refused on purpose"), "{log}");
    assert!(
        log.contains("panicked while starting: constructor panicked on purpose"),
        "{log}"
    );
}

#[test]
fn a_missing_library_is_reported_and_the_broker_serves_the_rest() {
    let broker = BrokerProcess::start(
        BrokerSetup::with_route_plugin()
            .processor(&PathBuf::from("/nonexistent/libnothing.so"), ""),
    );
    assert_eq!(
        broker.client().call_code(105, &[("topic", "TBW102")]).code,
        0
    );
    assert!(broker
        .log()
        .contains("plugin library /nonexistent/libnothing.so does not exist"));
}

#[test]
fn a_code_the_plugin_does_not_declare_is_refused() {
    let broker = BrokerProcess::start(
        BrokerSetup::default().processor(&plugin_library("route_plugin"), "codes = [105, 777]"),
    );
    assert_eq!(
        broker.client().call_code(105, &[("topic", "TBW102")]).code,
        3
    );
    assert!(
        broker.log().contains("does not serve request code 777"),
        "{}",
        broker.log()
    );
}

#[test]
fn an_inline_code_the_entry_does_not_serve_is_refused() {
    let broker = BrokerProcess::start(
        BrokerSetup::default()
            .processor(&plugin_library("route_plugin"), "inline_codes = [105, 11]"),
    );
    assert_eq!(
        broker.client().call_code(105, &[("topic", "TBW102")]).code,
        3,
        "the entry is not served"
    );
    assert!(
        broker
            .log()
            .contains("inline code 11 is not one of the codes it serves"),
        "{}",
        broker.log()
    );
}
