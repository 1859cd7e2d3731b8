//! The custom statistics plugin (`plugins/stats`, GET_BROKER_STATS 9200) in
//! a real broker over raw TCP: figures that follow what was sent and
//! committed, its errors, its settings — and the walk-through of
//! `docs/WRITING_PLUGINS.md`: a processor for a new request code added to a
//! running broker with a manifest entry and `broker-host plugins reload`.

use std::process::Command;
use std::time::{Duration, Instant};

use e2e_tests::stock_client::full_broker;
use e2e_tests::{broker_binary, plugin_library, BrokerProcess, BrokerSetup, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::serde_json::{self, Value};

const GET_BROKER_STATS: i32 = 9200;

fn setup_without_stats() -> BrokerSetup {
    full_broker()
}

fn stats_entry() -> String {
    format!(
        "[[processor]]\nname = \"stats\"\nlibrary = {:?}\nthreads = 1\nqueue_capacity = 100\n",
        plugin_library("stats_plugin").display().to_string()
    )
}

fn broker_with_stats() -> BrokerProcess {
    let mut setup = setup_without_stats();
    setup.manifest.push_str(&stats_entry());
    BrokerProcess::start(setup)
}

/// SEND_MESSAGE_V2 (310) to one queue.
fn send(client: &mut RawClient, topic: &str, queue: i32, key: &str) -> RemotingCommand {
    let body = format!("body of {key}");
    let response = client.send_message(topic, queue, "TagA", key, body.as_bytes());
    assert_eq!(response.code, 0, "send failed: {:?}", response.remark);
    response
}

fn stats(client: &mut RawClient, fields: &[(&str, &str)]) -> (RemotingCommand, Value) {
    let response = client.call_code(GET_BROKER_STATS, fields);
    let body = if response.code == 0 {
        serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!(
                "GET_BROKER_STATS body is not JSON ({e}): {}",
                String::from_utf8_lossy(&response.body)
            )
        })
    } else {
        Value::Null
    };
    (response, body)
}

fn topic<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body["topics"]
        .as_array()?
        .iter()
        .find(|t| t["topic"] == name)
}

/// Readiness wait: the consume queues are written asynchronously after a send.
fn wait_for_stats(
    client: &mut RawClient,
    fields: &[(&str, &str)],
    what: &str,
    mut ready: impl FnMut(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (response, body) = stats(client, fields);
        assert_eq!(response.code, 0, "{:?}", response.remark);
        if ready(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn broker_stats_follow_what_was_sent_and_committed() {
    const TOPIC: &str = "StatsTopic";
    let broker = broker_with_stats();
    let mut client = broker.client();

    // A fresh broker holds only system topics, which are left out by default.
    let (response, body) = stats(&mut client, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(response.ext("topicCount"), Some("0"), "{body}");
    assert_eq!(body["brokerName"], "broker-a");
    assert_eq!(body["clusterName"], "DefaultCluster");
    assert_eq!(body["brokerAddr"], broker.addr().to_string());
    assert_eq!(body["brokerId"], 0);
    assert_eq!(body["pluginVersion"], env!("CARGO_PKG_VERSION"));
    let (_, with_system) = stats(&mut client, &[("includeSystemTopics", "true")]);
    assert!(topic(&with_system, "TBW102").is_some(), "{with_system}");

    for i in 0..5 {
        send(&mut client, TOPIC, 0, &format!("q0-{i}"));
    }
    for i in 0..2 {
        send(&mut client, TOPIC, 1, &format!("q1-{i}"));
    }
    let body = wait_for_stats(&mut client, &[], "7 messages in StatsTopic", |body| {
        topic(body, TOPIC).is_some_and(|t| t["messageCount"] == 7)
    });
    let stats_topic = topic(&body, TOPIC).unwrap();
    assert_eq!(body["totalMessageCount"], 7);
    assert_eq!(stats_topic["readQueueNums"], 4);
    let queues = stats_topic["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 4);
    let figures: Vec<(i64, i64, i64)> = queues
        .iter()
        .map(|q| {
            (
                q["minOffset"].as_i64().unwrap(),
                q["maxOffset"].as_i64().unwrap(),
                q["messageCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(figures, [(0, 5, 5), (0, 2, 2), (0, 0, 0), (0, 0, 0)]);
    assert!(queues[0]["lastStoreTimestamp"].as_i64().unwrap() > 0);
    assert_eq!(queues[2]["lastStoreTimestamp"], 0);
    assert!(body.get("totalLag").is_none());

    // A consumer group commits 3 of queue 0's 5 messages and nothing in queue 1.
    let pull = client.call_code(
        11,
        &[
            ("consumerGroup", "stats_cg"),
            ("topic", TOPIC),
            ("queueId", "0"),
            ("queueOffset", "0"),
            ("maxMsgNums", "1"),
            ("sysFlag", "4"),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", "0"),
            ("subscription", "*"),
            ("subVersion", "0"),
            ("expressionType", "TAG"),
        ],
    );
    assert_eq!(pull.code, 0, "pull creates the group: {:?}", pull.remark);
    let commit = client.call_code(
        15,
        &[
            ("consumerGroup", "stats_cg"),
            ("topic", TOPIC),
            ("queueId", "0"),
            ("commitOffset", "3"),
        ],
    );
    assert_eq!(commit.code, 0, "{:?}", commit.remark);
    let fields = [("topic", TOPIC), ("consumerGroup", "stats_cg")];
    let body = wait_for_stats(&mut client, &fields, "the committed offset", |body| {
        body["topics"][0]["queues"][0]["consumerOffset"] == 3
    });
    assert_eq!(body["consumerGroup"], "stats_cg");
    assert_eq!(body["topics"].as_array().unwrap().len(), 1);
    let queues = &body["topics"][0]["queues"];
    assert_eq!(queues[0]["lag"], 2);
    assert_eq!(
        (&queues[1]["consumerOffset"], &queues[1]["lag"]),
        (&Value::from(-1), &Value::from(2))
    );
    assert_eq!(body["topics"][0]["lag"], 4);
    assert_eq!(body["totalLag"], 4);

    // Errors: an unknown topic; the binary header serialization works too.
    let (missing, _) = stats(&mut client, &[("topic", "NoSuchTopic")]);
    assert_eq!(missing.code, 17);
    assert_eq!(
        missing.remark.as_deref(),
        Some("topic[NoSuchTopic] not exist")
    );
    let binary = client.call_code_binary(GET_BROKER_STATS, &[("topic", TOPIC)]);
    assert_eq!(binary.code, 0);
    assert_eq!(binary.ext("totalMessageCount"), Some("7"));

    // The listing shows the custom processor with its counters.
    let listing = client.call_code(9100, &[]);
    let list: Value = serde_json::from_slice(&listing.body).expect("listing is JSON");
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "stats")
        .unwrap_or_else(|| panic!("stats is listed: {list}"));
    assert_eq!(entry["codes"], serde_json::json!([GET_BROKER_STATS]));
    assert_eq!(entry["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        entry["sinceLoad"]["served"].as_u64().unwrap() >= 5,
        "{entry}"
    );
    assert!(
        entry["sinceLoad"]["errors"].as_u64().unwrap() >= 1,
        "{entry}"
    );
}

#[test]
fn an_unknown_setting_refuses_the_load_and_the_broker_serves_the_rest() {
    let broker = BrokerProcess::start(setup_without_stats().processor(
        &plugin_library("stats_plugin"),
        "[processor.settings]\ninclude_system_topic = true",
    ));
    let mut client = broker.client();
    assert_eq!(client.call_code(GET_BROKER_STATS, &[]).code, 3);
    assert_eq!(client.call_code(105, &[("topic", "TBW102")]).code, 0);
    let log = broker.log();
    assert!(
        log.contains("invalid settings: unknown setting `include_system_topic`"),
        "{log}"
    );
}

#[test]
fn the_setting_lists_system_topics() {
    let broker = BrokerProcess::start(setup_without_stats().processor(
        &plugin_library("stats_plugin"),
        "[processor.settings]\ninclude_system_topics = true",
    ));
    let (response, body) = stats(&mut broker.client(), &[]);
    assert_eq!(response.code, 0);
    assert!(topic(&body, "TBW102").is_some(), "{body}");
}

fn cli(broker: &BrokerProcess, args: &[&str]) -> (bool, String) {
    let output = Command::new(broker_binary())
        .arg("plugins")
        .arg("--addr")
        .arg(broker.addr().to_string())
        .args(args)
        .output()
        .expect("run broker-host plugins");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// The steps of docs/WRITING_PLUGINS.md against a running broker.
#[test]
fn a_new_request_code_is_served_after_adding_its_entry_and_reloading() {
    let broker = BrokerProcess::start(setup_without_stats());
    let mut client = broker.client();
    let before = client.call_code(GET_BROKER_STATS, &[]);
    assert_eq!(before.code, 3, "nobody serves 9200 yet");

    let mut manifest = std::fs::read_to_string(broker.manifest_path()).unwrap();
    manifest.push_str(&stats_entry());
    std::fs::write(broker.manifest_path(), manifest).unwrap();
    let (ok, output) = cli(&broker, &["reload"]);
    assert!(ok, "reload failed: {output}");
    assert!(
        output.contains("stats: codes [9200], version")
            && output.contains(&format!("{} loaded", env!("CARGO_PKG_VERSION"))),
        "the reload reports the new processor: {output}"
    );

    let (response, body) = stats(&mut client, &[]);
    assert_eq!(response.code, 0, "{:?}", response.remark);
    assert_eq!(body["brokerName"], "broker-a");

    let (ok, listing) = cli(&broker, &["list", "--json"]);
    assert!(ok, "{listing}");
    assert!(
        listing.contains("\"name\":\"stats\"") && listing.contains("\"codes\":[9200]"),
        "{listing}"
    );
    assert!(
        broker
            .log()
            .contains("broker statistics on request code 9200"),
        "the plugin logs through the host: {}",
        broker.log()
    );
}
