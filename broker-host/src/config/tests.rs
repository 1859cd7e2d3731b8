use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::*;

fn write_temp(suffix: &str, content: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .prefix("broker-config-")
        .suffix(suffix)
        .tempfile()
        .expect("create temp file");
    file.write_all(content).expect("write temp file");
    file.flush().expect("flush temp file");
    file
}

fn finished_default() -> BrokerConfig {
    let mut c = BrokerConfig::default();
    c.finish().expect("defaults finish");
    c
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn defaults_match_rocketmq() {
    let c = BrokerConfig::default();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected: &[(&str, String)] = &[
        ("brokerClusterName", "DefaultCluster".into()),
        ("brokerId", "0".into()),
        ("listenPort", "10911".into()),
        ("namesrvAddr", "".into()),
        ("brokerPermission", "6".into()),
        ("defaultTopicQueueNums", "8".into()),
        ("autoCreateTopicEnable", "true".into()),
        ("autoCreateSubscriptionGroup", "true".into()),
        ("traceTopicEnable", "false".into()),
        ("msgTraceTopicName", "RMQ_SYS_TRACE_TOPIC".into()),
        ("sendMessageThreadPoolNums", cpus.min(4).to_string()),
        ("pullMessageThreadPoolNums", (16 + 2 * cpus).to_string()),
        ("queryMessageThreadPoolNums", (8 + cpus).to_string()),
        ("heartbeatThreadPoolNums", cpus.min(32).to_string()),
        (
            "endTransactionThreadPoolNums",
            (8 + 2 * cpus).max(4 * cpus.min(4)).to_string(),
        ),
        ("clientCallbackExecutorThreads", cpus.to_string()),
        ("pullThreadPoolQueueCapacity", "100000".into()),
        ("registerNameServerPeriod", "30000".into()),
        ("registerBrokerTimeoutMills", "24000".into()),
        ("regionId", "DefaultRegion".into()),
        ("consumerFallbehindThreshold", "17179869184".into()),
        ("serverWorkerThreads", "8".into()),
        ("serverSelectorThreads", "3".into()),
        ("serverChannelMaxIdleTimeSeconds", "120".into()),
        ("serverSocketBacklog", "1024".into()),
        ("bindAddress", "0.0.0.0".into()),
        ("connectTimeoutMillis", "3000".into()),
        ("mappedFileSizeCommitLog", "1073741824".into()),
        ("mappedFileSizeConsumeQueue", "6000000".into()),
        ("flushDiskType", "ASYNC_FLUSH".into()),
        ("brokerRole", "ASYNC_MASTER".into()),
        ("flushIntervalCommitLog", "500".into()),
        ("maxMessageSize", "4194304".into()),
        ("deleteWhen", "04".into()),
        ("fileReservedTime", "72".into()),
        ("diskMaxUsedSpaceRatio", "75".into()),
        ("accessMessageInMemoryMaxRatio", "40".into()),
        ("maxHashSlotNum", "5000000".into()),
        ("maxIndexNum", "20000000".into()),
        (
            "messageDelayLevel",
            "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".into(),
        ),
        ("haListenPort", "0".into()),
        ("storeType", "default".into()),
        ("pluginManifest", "".into()),
    ];
    for (key, value) in expected {
        assert_eq!(
            c.get(key).as_deref(),
            Some(value.as_str()),
            "default of {key}"
        );
    }
    assert_eq!(c.flush_disk_type, FlushDiskType::AsyncFlush);
    assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
    assert!(!c.broker_name.is_empty());
    assert!(c.broker_ip1.parse::<std::net::Ipv4Addr>().is_ok());
    assert!(c.store_path_root_dir.ends_with("store"));
    assert_eq!(
        c.store_path_commit_log(),
        Path::new(&c.store_path_root_dir).join("commitlog")
    );
}

#[test]
fn finish_derives_ports_and_addresses() {
    let c = finished_default();
    assert_eq!(c.ha_listen_port, 10912);
    assert_eq!(c.fast_listen_port(), 10909);
    assert_eq!(c.broker_ip2, c.broker_ip1);
    assert_eq!(c.broker_addr(), format!("{}:10911", c.broker_ip1));
    assert_eq!(c.ha_server_addr(), format!("{}:10912", c.broker_ip1));
    assert!(c.namesrv_addrs().is_empty());
    assert_eq!(c.message_delay_level_millis().unwrap().len(), 18);

    let mut c = BrokerConfig::default();
    c.apply("listenPort", "1").unwrap();
    c.apply("haListenPort", "20000").unwrap();
    c.apply("brokerIP1", "10.0.0.1").unwrap();
    c.apply("brokerIP2", "10.0.0.2").unwrap();
    c.finish().unwrap();
    assert_eq!(c.fast_listen_port(), 0);
    assert_eq!(c.ha_listen_port, 20000);
    assert_eq!(c.broker_addr(), "10.0.0.1:1");
    assert_eq!(c.ha_server_addr(), "10.0.0.2:20000");

    // finish is idempotent
    let mut again = c.clone();
    again.finish().unwrap();
    assert_eq!(again, c);
}

#[test]
fn key_table_is_consistent() {
    let mut keys = HashSet::new();
    let mut fields = HashSet::new();
    let c = BrokerConfig::default();
    for k in KEYS {
        assert!(keys.insert(k.key), "duplicate key {}", k.key);
        assert!(fields.insert(k.field), "duplicate field {}", k.field);
        assert!(
            k.key.starts_with(|ch: char| ch.is_ascii_lowercase()),
            "{} is not camelCase",
            k.key
        );
        assert!(!k.doc.trim().is_empty(), "{} has no doc", k.key);
        assert!(c.get(k.key).is_some(), "{} not readable", k.key);
        assert_eq!(key_info(k.key), Some(k));
    }
    assert_eq!(c.entries().len(), KEYS.len());
    for important in [
        "brokerClusterName",
        "brokerName",
        "brokerId",
        "brokerIP1",
        "listenPort",
        "namesrvAddr",
        "storePathRootDir",
        "storePathCommitLog",
        "flushDiskType",
        "brokerRole",
        "deleteWhen",
        "fileReservedTime",
    ] {
        assert!(key_info(important).unwrap().important, "{important}");
    }
    assert!(!key_info("sendThreadPoolQueueCapacity").unwrap().important);
    // keys of Java's BrokerConfig, Netty*Config, MessageStoreConfig (and ours) are present
    for key in [
        "storeReplyMessageEnable",
        "waitTimeMillsInAdminBrokerQueue",
        "serverPooledByteBufAllocatorEnable",
        "clientCloseSocketIfTimeout",
        "osPageCacheBusyTimeOutMills",
        "timerWheelEnable",
        "rocketmqHome",
        "pluginManifest",
    ] {
        assert!(key_info(key).is_some(), "{key}");
    }
}

#[test]
fn apply_parses_like_properties2object_but_strictly() {
    let mut c = BrokerConfig::default();
    c.apply("brokerName", "  broker-x \t").unwrap();
    assert_eq!(c.broker_name, "broker-x");
    c.apply("listenPort", " 10000 ").unwrap();
    assert_eq!(c.listen_port, 10000);
    // Java Boolean.parseBoolean
    c.apply("autoCreateTopicEnable", "FALSE").unwrap();
    assert!(!c.auto_create_topic_enable);
    c.apply("autoCreateTopicEnable", "TrUe").unwrap();
    assert!(c.auto_create_topic_enable);
    c.apply("autoCreateTopicEnable", "yes").unwrap();
    assert!(!c.auto_create_topic_enable);
    c.apply("flushDiskType", "SYNC_FLUSH").unwrap();
    assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
    c.apply("brokerRole", "slave").unwrap();
    assert_eq!(c.broker_role, BrokerRole::Slave);
    c.apply("brokerId", "-1").unwrap();
    assert_eq!(c.broker_id, -1);
    c.apply("namesrvAddr", "a:1").unwrap();
    c.apply("namesrvAddr", "").unwrap();
    assert_eq!(c.namesrv_addr, None);

    let before = c.clone();
    for (key, value, expected) in [
        ("listenPort", "abc", "0..=65535"),
        ("listenPort", "70000", "0..=65535"),
        ("fileReservedTime", "-1", "integer"),
        ("flushDiskType", "LAZY", "ASYNC_FLUSH"),
    ] {
        let err = c.apply(key, value).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ConfigError::InvalidValue { .. }), "{msg}");
        assert!(
            msg.contains(key) && msg.contains(value) && msg.contains(expected),
            "{msg}"
        );
    }
    assert_eq!(c, before, "failed apply must not change the config");

    let err = c.apply("listenport", "1").unwrap_err();
    assert!(
        err.to_string().contains("did you mean `listenPort`"),
        "{err}"
    );
}

#[test]
fn toml_file_loads_typed_values() {
    let file = write_temp(
        ".toml",
        br#"
# comment
brokerClusterName = "ClusterT"
brokerName = "broker-t"
brokerId = 0
listenPort = 20911
autoCreateTopicEnable = false
flushDiskType = "SYNC_FLUSH"
fileReservedTime = "48"
deleteWhen = "04;05"
storePathRootDir = "/tmp/store-t"
consumerFallbehindThreshold = 1024
"#,
    );
    let mut c = BrokerConfig::default();
    let warnings = c.load_file(file.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.broker_cluster_name, "ClusterT");
    assert_eq!(c.broker_name, "broker-t");
    assert_eq!(c.listen_port, 20911);
    assert!(!c.auto_create_topic_enable);
    assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
    assert_eq!(c.file_reserved_time, 48);
    assert_eq!(c.delete_when, "04;05");
    assert_eq!(c.consumer_fallbehind_threshold, 1024);
    assert_eq!(
        c.store_path_commit_log(),
        PathBuf::from("/tmp/store-t").join("commitlog")
    );
}

#[test]
fn toml_type_errors_name_file_line_key_and_value() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "brokerName = \"b\"\nlistenPort = \"abc\"\n",
            "listenPort",
            "abc",
        ),
        ("listenPort = 70000\n", "listenPort", "70000"),
        ("listenPort = 1.5\n", "listenPort", "1.5"),
        ("autoCreateTopicEnable = 1\n", "autoCreateTopicEnable", "1"),
        ("flushDiskType = \"FAST\"\n", "flushDiskType", "FAST"),
        ("brokerRole = true\n", "brokerRole", "true"),
    ];
    for (text, key, value) in cases {
        let file = write_temp(".toml", text.as_bytes());
        let mut c = BrokerConfig::default();
        let before = c.clone();
        let err = c.load_file(file.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ConfigError::InvalidValue { .. }), "{msg}");
        assert!(msg.contains(key), "{msg}");
        assert!(msg.contains(value), "{msg}");
        assert!(
            msg.contains(&file.path().display().to_string()),
            "{msg} names the file"
        );
        assert_eq!(c, before, "failed load must not change the config");
    }
    // line number of the bad key
    let file = write_temp(".toml", b"brokerName = \"b\"\n\nlistenPort = \"x\"\n");
    let msg = BrokerConfig::default()
        .load_file(file.path())
        .unwrap_err()
        .to_string();
    assert!(msg.contains(":3:"), "{msg}");

    for (text, kind) in [
        ("[broker]\nlistenPort = 1\n", "table"),
        ("namesrvAddr = [\"a:1\", \"b:2\"]\n", "array"),
    ] {
        let file = write_temp(".toml", text.as_bytes());
        let err = BrokerConfig::default().load_file(file.path()).unwrap_err();
        assert!(
            matches!(err, ConfigError::UnsupportedTomlValue { .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(kind), "{msg}");
        assert!(
            msg.contains("broker") || msg.contains("namesrvAddr"),
            "{msg}"
        );
    }

    let file = write_temp(".toml", b"listenPort = = 1\n");
    let err = BrokerConfig::default().load_file(file.path()).unwrap_err();
    assert!(matches!(err, ConfigError::TomlSyntax { .. }), "{err}");

    let err = BrokerConfig::default()
        .load_file("/nonexistent/broker.toml")
        .unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/broker.toml"));
}

#[test]
fn unknown_keys_are_warnings_with_suggestions() {
    let file = write_temp(
        ".toml",
        b"brokerip1 = \"1.2.3.4\"\nlistenPrt = 1\nstore_path_root_dir = \"/x\"\ntotallyUnknownThing = 1\nbrokerName = \"b\"\n",
    );
    let mut c = BrokerConfig::default();
    let warnings = c.load_file(file.path()).unwrap();
    assert_eq!(c.broker_name, "b", "known keys still applied");
    let keys: Vec<_> = warnings
        .iter()
        .map(|w| match w {
            ConfigWarning::UnknownKey { key, file: f } => {
                assert_eq!(f, file.path());
                key.as_str()
            }
        })
        .collect();
    assert_eq!(
        keys,
        [
            "brokerip1",
            "listenPrt",
            "store_path_root_dir",
            "totallyUnknownThing"
        ]
    );
    let suggestions: Vec<_> = warnings.iter().map(ConfigWarning::suggestion).collect();
    assert_eq!(
        suggestions,
        [
            Some("brokerIP1"),
            Some("listenPort"),
            Some("storePathRootDir"),
            None
        ]
    );
    let shown = warnings[1].to_string();
    assert!(shown.contains("listenPrt"), "{shown}");
    assert!(shown.contains("did you mean `listenPort`?"), "{shown}");
    assert!(
        shown.contains(&file.path().display().to_string()),
        "{shown}"
    );
    assert!(!warnings[3].to_string().contains("did you mean"));
}

#[test]
fn properties_file_uses_java_syntax() {
    let file = write_temp(
        ".conf",
        b"# RocketMQ broker.conf\n\
          ! another comment\n\
          \x20 # C:\\users\\me \\uZZZZ is ignored like Java does \\\n\
          msgTraceTopicName = A\\\n\
          \x20\x20#B\n\
          brokerClusterName = DefaultCluster\n\
          brokerName=broker-a\n\
          brokerId: 0\n\
          listenPort 10915\n\
          \x20\x20\x20deleteWhen   =   04   \n\
          fileReservedTime = 48\n\
          brokerRole = ASYNC_MASTER\n\
          flushDiskType = ASYNC_FLUSH\n\
          messageDelayLevel = 1s 5s \\\n\
          \x20\x20\x20\x20 10s\n\
          storePathRootDir = C:\\\\store\n\
          regionId = caf\xe9\n\
          brokerIP1 = 1.1.1.1\n\
          brokerIP1 = 2.2.2.2\n\
          autoCreateTopicEnable=false\n\
          unknownKey = x\n",
    );
    let mut c = BrokerConfig::default();
    let warnings = c.load_file(file.path()).unwrap();
    assert_eq!(c.broker_cluster_name, "DefaultCluster");
    assert_eq!(c.broker_name, "broker-a");
    assert_eq!(
        c.msg_trace_topic_name, "A#B",
        "continuation is not a comment"
    );
    assert_eq!(c.broker_id, 0);
    assert_eq!(c.listen_port, 10915);
    assert_eq!(c.delete_when, "04");
    assert_eq!(c.file_reserved_time, 48);
    assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
    assert_eq!(c.message_delay_level, "1s 5s 10s");
    assert_eq!(c.store_path_root_dir, "C:\\store");
    assert_eq!(c.region_id, "café", "ISO-8859-1");
    assert_eq!(c.broker_ip1, "2.2.2.2", "last value wins");
    assert!(!c.auto_create_topic_enable);
    assert_eq!(
        warnings,
        [ConfigWarning::UnknownKey {
            key: "unknownKey".into(),
            file: file.path().to_path_buf()
        }]
    );

    // `.properties` is a properties file too; a bad number names file:line, key, value
    let file = write_temp(".properties", b"brokerName = b\nfileReservedTime = 4 8\n");
    let mut c = BrokerConfig::default();
    let err = c.load_file(file.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}:2", file.path().display())),
        "{msg}"
    );
    assert!(
        msg.contains("fileReservedTime") && msg.contains("4 8"),
        "{msg}"
    );
    assert_ne!(c.broker_name, "b", "failed load must not change the config");

    let file = write_temp(".conf", b"brokerName = bad\\u12\n");
    let err = BrokerConfig::default().load_file(file.path()).unwrap_err();
    assert!(matches!(err, ConfigError::PropertiesSyntax { .. }), "{err}");
}

#[test]
fn namesrv_addr_precedence() {
    let file = write_temp(".toml", b"namesrvAddr = \"10.0.0.1:9876\"\n");
    let env = |var: &str| (var == "NAMESRV_ADDR").then(|| "10.0.0.9:9876".to_owned());

    let cli = Cli {
        config_file: Some(file.path().to_path_buf()),
        namesrv_addr: Some("10.0.0.2:9876;10.0.0.3:9876".into()),
        ..Cli::default()
    };
    let (c, _) = resolve_with_env(&cli, env).unwrap();
    assert_eq!(c.namesrv_addrs(), ["10.0.0.2:9876", "10.0.0.3:9876"]);

    let cli = Cli {
        config_file: Some(file.path().to_path_buf()),
        ..Cli::default()
    };
    let (c, _) = resolve_with_env(&cli, env).unwrap();
    assert_eq!(c.namesrv_addrs(), ["10.0.0.1:9876"], "file beats env");

    let (c, _) = resolve_with_env(&Cli::default(), env).unwrap();
    assert_eq!(c.namesrv_addrs(), ["10.0.0.9:9876"], "env as last resort");

    let (c, _) = resolve_with_env(&Cli::default(), no_env).unwrap();
    assert_eq!(c.namesrv_addr, None, "embedded mode");

    let cli = Cli {
        namesrv_addr: Some("nonsense".into()),
        ..Cli::default()
    };
    let err = resolve_with_env(&cli, no_env).unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidNamesrvAddr { .. }),
        "{err}"
    );
    assert_eq!(err.java_exit_code(), -3);
}

#[test]
fn namesrv_addr_validation() {
    for ok in [
        "127.0.0.1:9876",
        "127.0.0.1:9876;192.168.0.1:9876",
        " a:1 ; b:2 ;",
        "[::1]:9876",
        "   ",
    ] {
        let mut c = BrokerConfig {
            namesrv_addr: Some(ok.into()),
            ..BrokerConfig::default()
        };
        c.finish().unwrap_or_else(|e| panic!("{ok:?}: {e}"));
    }
    for bad in ["127.0.0.1", "host:port", ":9876", "a:1;b", "a:65536"] {
        let mut c = BrokerConfig::default();
        c.apply("namesrvAddr", bad).unwrap();
        let err = c.finish().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidNamesrvAddr { .. }),
            "{bad}"
        );
        assert!(err.to_string().contains(bad), "{err}");
    }
}

#[test]
fn broker_role_derivations() {
    let mut c = BrokerConfig::default();
    c.apply("brokerRole", "SYNC_MASTER").unwrap();
    c.apply("brokerId", "3").unwrap();
    c.finish().unwrap();
    assert_eq!(c.broker_id, 0, "masters get brokerId 0");

    let mut c = BrokerConfig::default();
    c.apply("brokerRole", "SLAVE").unwrap();
    let err = c.finish().unwrap_err();
    assert!(matches!(err, ConfigError::SlaveBrokerId { broker_id: 0 }));
    assert_eq!(err.java_exit_code(), -3);

    let mut c = BrokerConfig::default();
    c.apply("brokerRole", "SLAVE").unwrap();
    c.apply("brokerId", "2").unwrap();
    c.finish().unwrap();
    assert_eq!(c.broker_id, 2);
    assert_eq!(c.effective_access_message_in_memory_max_ratio(), 30);
    assert_eq!(c.access_message_in_memory_max_ratio, 40);

    let mut c = BrokerConfig::default();
    c.apply("enableDLegerCommitLog", "true").unwrap();
    c.finish().unwrap();
    assert_eq!(c.broker_id, -1);

    let mut c = BrokerConfig::default();
    c.apply("enableDLegerCommitLog", "true").unwrap();
    c.apply("enableControllerMode", "true").unwrap();
    let err = c.finish().unwrap_err();
    assert_eq!(err.java_exit_code(), -4);

    let mut c = BrokerConfig::default();
    c.apply("brokerName", "").unwrap();
    let err = c.finish().unwrap_err();
    assert!(err.to_string().contains("brokerName"), "{err}");

    let mut c = BrokerConfig::default();
    c.apply("listenPort", "65535").unwrap();
    assert!(c.finish().is_err(), "haListenPort would overflow");
}

#[test]
fn effective_getters() {
    let mut c = BrokerConfig::default();
    for (set, want) in [(1, 10_000), (30_000, 30_000), (600_000, 60_000)] {
        c.register_name_server_period = set;
        assert_eq!(c.effective_register_name_server_period(), want);
    }
    assert_eq!(c.effective_server_callback_executor_threads(), 4);
    c.apply("messageDelayLevel", "1s 2m 1h 1d").unwrap();
    assert_eq!(
        c.message_delay_level_millis().unwrap(),
        [1_000, 120_000, 3_600_000, 86_400_000]
    );
    c.apply("messageDelayLevel", "1s 5x").unwrap();
    let err = c.finish().unwrap_err();
    assert!(err.to_string().contains("messageDelayLevel"), "{err}");
}

#[test]
fn printing() {
    let c = finished_default();
    let all = c.print_all();
    assert!(all.contains("\nlistenPort=10911\n"), "{all}");
    assert!(all.starts_with("brokerClusterName=DefaultCluster\n"));
    assert!(all.contains("\nhaListenPort=10912\n"));
    assert!(all.contains("\nflushDiskType=ASYNC_FLUSH\n"));
    assert!(all.contains("\nnamesrvAddr=\n"));
    assert_eq!(all.lines().count(), KEYS.len());

    let important = c.print_important();
    assert!(important.contains("listenPort=10911\n"));
    assert!(important.contains("brokerRole=ASYNC_MASTER\n"));
    assert!(!important.contains("sendThreadPoolQueueCapacity"));
    assert_eq!(
        important.lines().count(),
        KEYS.iter().filter(|k| k.important).count()
    );

    assert_eq!(escape_property_value("C:\\x"), "C:\\\\x");
    assert_eq!(escape_property_value(" a"), "\\ a");
    assert_eq!(escape_property_value("é"), "\\u00E9");
}

#[test]
fn print_all_round_trips_through_properties() {
    let mut c = BrokerConfig::default();
    for (key, value) in [
        ("brokerClusterName", "ClusterR"),
        ("brokerName", "brøker-ü-日本"),
        ("brokerId", "0"),
        ("namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876"),
        ("brokerIP1", "192.168.1.5"),
        ("listenPort", "30911"),
        ("storePathRootDir", "C:\\data\\store #1"),
        ("storePathCommitLog", "/mnt/commit log"),
        ("flushDiskType", "SYNC_FLUSH"),
        ("brokerRole", "SYNC_MASTER"),
        ("autoCreateTopicEnable", "false"),
        ("consumerFallbehindThreshold", "123"),
        ("startAcceptSendRequestTimeStamp", "-5"),
        ("messageDelayLevel", "1s 2s"),
        ("pluginManifest", "conf/p.toml"),
    ] {
        c.apply(key, value).unwrap();
    }
    c.finish().unwrap();

    let file = write_temp(".properties", c.print_all().as_bytes());
    let mut loaded = BrokerConfig::default();
    let warnings = loaded.load_file(file.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    loaded.finish().unwrap();
    assert_eq!(loaded, c);

    // and the default config
    let c = finished_default();
    let file = write_temp(".conf", c.print_all().as_bytes());
    let mut loaded = BrokerConfig::default();
    loaded.load_file(file.path()).unwrap();
    loaded.finish().unwrap();
    assert_eq!(loaded, c);
}

#[test]
fn cli_parses_mqbroker_options() {
    let cli = Cli::try_parse_from([
        "broker-host",
        "-c",
        "conf/broker.toml",
        "-n",
        "a:1;b:2",
        "-p",
    ])
    .unwrap();
    assert_eq!(cli.config_file, Some(PathBuf::from("conf/broker.toml")));
    assert_eq!(cli.namesrv_addr.as_deref(), Some("a:1;b:2"));
    assert!(cli.print_config_item && !cli.print_important_config);

    let cli = Cli::try_parse_from([
        "broker-host",
        "--configFile",
        "broker.conf",
        "--namesrvAddr",
        "x:1",
        "--printImportantConfig",
        "--manifest",
        "m.toml",
    ])
    .unwrap();
    assert_eq!(cli.config_file, Some(PathBuf::from("broker.conf")));
    assert!(cli.print_important_config);
    assert_eq!(cli.manifest, Some(PathBuf::from("m.toml")));

    let help = Cli::try_parse_from(["broker-host", "-h"]).unwrap_err();
    assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
    assert!(Cli::try_parse_from(["broker-host", "-x"]).is_err());
}

#[test]
fn manifest_path_precedence() {
    let mut cfg = BrokerConfig::default();
    let mut cli = Cli::default();
    assert_eq!(
        manifest_path(&cli, &cfg),
        PathBuf::from("conf/plugins.toml")
    );
    cfg.plugin_manifest = "from/key.toml".into();
    assert_eq!(manifest_path(&cli, &cfg), PathBuf::from("from/key.toml"));
    cli.manifest = Some("from/cli.toml".into());
    assert_eq!(manifest_path(&cli, &cfg), PathBuf::from("from/cli.toml"));
}

#[test]
fn resolve_reports_file_warnings_and_errors() {
    let file = write_temp(".toml", b"listenPort = 10921\nlistenPorts = 1\n");
    let cli = Cli {
        config_file: Some(file.path().to_path_buf()),
        ..Cli::default()
    };
    let (c, warnings) = resolve_with_env(&cli, no_env).unwrap();
    assert_eq!(c.listen_port, 10921);
    assert_eq!(c.ha_listen_port, 10922);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].suggestion(), Some("listenPort"));

    let cli = Cli {
        config_file: Some(PathBuf::from("/nonexistent/broker.conf")),
        ..Cli::default()
    };
    assert!(matches!(
        resolve_with_env(&cli, no_env),
        Err(ConfigError::Io { .. })
    ));
}

#[test]
fn shipped_config_files_load_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("conf");
    let mut from_toml = BrokerConfig::default();
    let warnings = from_toml.load_file(root.join("broker.toml")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    from_toml.finish().unwrap();
    assert_eq!(from_toml.broker_cluster_name, "DefaultCluster");
    assert_eq!(from_toml.broker_name, "broker-a");
    assert_eq!(from_toml.broker_ip1, "127.0.0.1");
    assert_eq!(from_toml.listen_port, 10911);
    assert_eq!(from_toml.store_path_root_dir, "./target/broker-store");
    assert_eq!(from_toml.file_reserved_time, 48);
    assert_eq!(from_toml.namesrv_addr, None);

    let mut from_conf = BrokerConfig::default();
    let warnings = from_conf
        .load_file(root.join("broker.conf.example"))
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    from_conf.finish().unwrap();
    assert_eq!(from_conf, from_toml, "the two shipped files say the same");
}

#[test]
fn metrics_keys_load_from_toml_and_properties_and_print() {
    let c = finished_default();
    assert_eq!(c.metrics_exporter_type, MetricsExporterType::Disable);
    assert_eq!(c.metrics_prom_exporter_host, "");
    assert_eq!(c.metrics_prom_exporter_port, 5557);
    let all = c.print_all();
    for line in [
        "\nmetricsExporterType=DISABLE\n",
        "\nmetricsPromExporterHost=\n",
        "\nmetricsPromExporterPort=5557\n",
    ] {
        assert!(all.contains(line), "{line:?} missing from -p output");
    }

    let toml = write_temp(
        ".toml",
        br#"
metricsExporterType = "PROM"
metricsPromExporterHost = "127.0.0.1"
metricsPromExporterPort = 15557
"#,
    );
    let mut from_toml = BrokerConfig::default();
    let warnings = from_toml.load_file(toml.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(from_toml.metrics_exporter_type, MetricsExporterType::Prom);
    assert_eq!(from_toml.metrics_prom_exporter_host, "127.0.0.1");
    assert_eq!(from_toml.metrics_prom_exporter_port, 15557);

    let properties = write_temp(
        ".conf",
        b"metricsExporterType = prom\nmetricsPromExporterHost=127.0.0.1\nmetricsPromExporterPort: 15557\n",
    );
    let mut from_properties = BrokerConfig::default();
    let warnings = from_properties.load_file(properties.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(from_properties, from_toml);

    // Java's other exporter names load (and export nothing here); others are errors.
    let mut c = BrokerConfig::default();
    c.apply("metricsExporterType", "OTLP_GRPC").unwrap();
    assert_eq!(c.metrics_exporter_type, MetricsExporterType::OtlpGrpc);
    assert!(c.apply("metricsExporterType", "PROMETHEUS").is_err());
    assert!(c.apply("metricsPromExporterPort", "70000").is_err());
}
