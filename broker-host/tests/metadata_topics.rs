//! Topic table rules: auto-creation on SEND (INHERIT, queue counts), retry
//! and DLQ topics, name validation, system topics, versioning.

// In a `metadata` module so that `cargo test -p broker-host metadata` runs them.
mod metadata {
    use std::collections::BTreeMap;
    use std::fs;

    use broker_host::config::BrokerConfig;
    use broker_host::metadata::topic_config::perm;
    use broker_host::metadata::{
        is_not_allowed_send_topic, validate_group_name, validate_topic_name, TopicConfig,
        TopicConfigManager, TopicFilterType,
    };
    use plugin_api::topics::NOT_ALLOWED_SEND_TOPICS;

    fn config() -> BrokerConfig {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn send_auto_creates_from_tbw102_with_min_queues_and_no_inherit() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        let tbw = manager.get("TBW102").unwrap();
        assert_eq!((tbw.write_queue_nums, tbw.perm), (8, 7));
        let before = manager.data_version();

        let created = manager
            .create_topic_in_send_message("NewTopic", "TBW102", 4, 0)
            .unwrap();
        assert_eq!((created.read_queue_nums, created.write_queue_nums), (4, 4));
        assert_eq!(created.perm, 6);
        assert_eq!(created.topic_filter_type, TopicFilterType::SingleTag);
        assert_eq!(manager.data_version().counter, before.counter + 1);

        // Client asks for more than the template has: capped at 8.
        let big = manager
            .create_topic_in_send_message("BigTopic", "TBW102", 32, 3)
            .unwrap();
        assert_eq!(
            (
                big.read_queue_nums,
                big.write_queue_nums,
                big.topic_sys_flag
            ),
            (8, 8, 3)
        );

        // Existing topics are returned unchanged, without a version bump.
        let version = manager.data_version();
        let again = manager
            .create_topic_in_send_message("NewTopic", "TBW102", 16, 0)
            .unwrap();
        assert_eq!(again, created);
        assert_eq!(manager.data_version(), version);

        // Persisted at once.
        let text = fs::read_to_string(dir.path().join("topics.json")).unwrap();
        assert!(text.contains("\"NewTopic\":{"), "{text}");
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(reloaded.get("BigTopic").unwrap(), big);
        assert_eq!(reloaded.data_version(), manager.data_version());
    }

    #[test]
    fn send_auto_create_needs_an_inheritable_default_topic() {
        let manager = TopicConfigManager::with_system_topics(&config());
        // Default topic missing.
        assert!(manager
            .create_topic_in_send_message("X", "NoSuchTopic", 4, 0)
            .is_none());
        // Default topic without INHERIT.
        assert!(manager
            .create_topic_in_send_message("X", "SELF_TEST_TOPIC", 4, 0)
            .is_none());
        assert!(manager.get("X").is_none());
        // Any default topic with INHERIT works, e.g. the cluster topic (perm 7, 16 queues).
        let from_cluster = manager
            .create_topic_in_send_message("Y", "DefaultCluster", 20, 0)
            .unwrap();
        assert_eq!((from_cluster.write_queue_nums, from_cluster.perm), (16, 6));
        // A MULTI_TAG template passes its filter type on.
        manager.put(
            TopicConfig {
                topic_filter_type: TopicFilterType::MultiTag,
                ..TopicConfig::new("Template")
            }
            .with_queues(2, perm::READ | perm::INHERIT),
        );
        let z = manager
            .create_topic_in_send_message("Z", "Template", 4, 0)
            .unwrap();
        assert_eq!(
            (z.write_queue_nums, z.perm, z.topic_filter_type),
            (2, 4, TopicFilterType::MultiTag)
        );
        // Invalid names are never created.
        assert!(manager
            .create_topic_in_send_message("bad topic", "TBW102", 4, 0)
            .is_none());
    }

    #[test]
    fn without_auto_create_there_is_no_tbw102_and_no_creation() {
        let mut config = config();
        config.auto_create_topic_enable = false;
        let manager = TopicConfigManager::with_system_topics(&config);
        assert!(manager.get("TBW102").is_none());
        assert!(manager
            .create_topic_in_send_message("NewTopic", "TBW102", 4, 0)
            .is_none());
        // Even if a TBW102 with INHERIT came from topics.json, it does not inherit.
        manager.put(TopicConfig::new("TBW102").with_queues(8, 7));
        assert!(manager
            .create_topic_in_send_message("NewTopic", "TBW102", 4, 0)
            .is_none());
    }

    #[test]
    fn retry_and_dlq_topics_are_created_on_send_back() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        let retry = manager.create_topic_in_send_back("%RETRY%cg1", 1, 6, 0);
        assert_eq!(
            (
                retry.read_queue_nums,
                retry.write_queue_nums,
                retry.perm,
                retry.order
            ),
            (1, 1, 6, false)
        );
        let dlq = manager.create_topic_in_send_back("%DLQ%cg1", 1, 6, 0);
        assert_eq!(dlq.topic_name, "%DLQ%cg1");
        // Existing: returned as is.
        assert_eq!(
            manager.create_topic_in_send_back("%RETRY%cg1", 5, 2, 0),
            retry
        );
        // The order overload flips `order` on an existing topic.
        let ordered = manager.create_topic_in_send_back_ordered("%RETRY%cg1", 1, 6, true, 0);
        assert!(ordered.order);
        assert!(manager.is_order_topic("%RETRY%cg1"));
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert!(reloaded.get("%RETRY%cg1").unwrap().order);
        assert!(reloaded.get("%DLQ%cg1").is_some());
    }

    #[test]
    fn topic_names_are_validated() {
        assert!(validate_topic_name("TopicTest").is_ok());
        assert!(validate_topic_name("a|b%c_d-e9").is_ok());
        assert!(validate_topic_name(&"a".repeat(127)).is_ok());
        let long = validate_topic_name(&"a".repeat(128)).unwrap_err();
        assert_eq!(long, "The specified topic is longer than topic max length.");
        assert!(validate_topic_name(&format!("%RETRY%{}", "a".repeat(248))).is_ok());
        assert!(validate_topic_name(&format!("%DLQ%{}", "a".repeat(250))).is_ok());
        assert!(validate_topic_name(&format!("%RETRY%{}", "a".repeat(249))).is_err());
        assert!(validate_topic_name("").unwrap_err().contains("blank"));
        assert!(validate_topic_name("   ").is_err());
        for bad in ["a b", "a@b", "a.b", "a/b", "é", "a\u{0}"] {
            let e = validate_topic_name(bad).unwrap_err();
            assert!(e.contains("illegal characters"), "{bad}: {e}");
        }
        assert!(validate_group_name("cg1").is_ok());
        assert!(validate_group_name(&"g".repeat(120)).is_ok());
        assert!(validate_group_name(&"g".repeat(121)).is_err());
        assert!(validate_group_name("g@1").is_err());
    }

    #[test]
    fn system_topics() {
        let manager = TopicConfigManager::with_system_topics(&config());
        for topic in [
            "TBW102",
            "SCHEDULE_TOPIC_XXXX",
            "SELF_TEST_TOPIC",
            "DefaultCluster",
            "broker-a",
            "DefaultCluster_REPLY_TOPIC",
            "rmq_sys_REVIVE_LOG_DefaultCluster",
            "rmq_sys_anything",
            "RMQ_SYS_TRACE_TOPIC",
            "TRANS_CHECK_MAX_TIME_TOPIC",
        ] {
            assert!(manager.is_system_topic(topic), "{topic}");
        }
        assert!(!manager.is_system_topic("TopicTest"));
        assert!(!manager.is_system_topic("%RETRY%cg1"));

        for topic in NOT_ALLOWED_SEND_TOPICS {
            assert!(manager.is_not_allowed_send_topic(topic), "{topic}");
        }
        assert!(!is_not_allowed_send_topic("TBW102"));
        assert!(!is_not_allowed_send_topic("TopicTest"));

        let schedule = manager.get("SCHEDULE_TOPIC_XXXX").unwrap();
        assert_eq!((schedule.read_queue_nums, schedule.perm), (18, 6));
        let cluster = manager.get("DefaultCluster").unwrap();
        assert_eq!((cluster.read_queue_nums, cluster.perm), (16, 7));
        assert_eq!(
            manager
                .get("rmq_sys_SYNC_BROKER_MEMBER_broker-a")
                .unwrap()
                .perm,
            1
        );
        assert!(manager.get("rmq_sys_wheel_timer").is_some());
    }

    #[test]
    fn file_entries_override_system_topics() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        manager
            .update_topic_config(TopicConfig::new("SCHEDULE_TOPIC_XXXX").with_queues(4, 6))
            .unwrap();
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(
            reloaded.get("SCHEDULE_TOPIC_XXXX").unwrap().read_queue_nums,
            4
        );
    }

    #[test]
    fn update_and_delete_bump_the_version_and_persist() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        let v0 = manager.data_version();

        manager
            .update_topic_config(TopicConfig::new("T1").with_queues(2, 6))
            .unwrap();
        let v1 = manager.data_version();
        assert_eq!(v1.counter, v0.counter + 1);
        assert!(v1.timestamp >= v0.timestamp);

        let mut changed = manager.get("T1").unwrap();
        changed.perm = 4;
        manager.update_topic_config(changed).unwrap();
        assert_eq!(manager.data_version().counter, v0.counter + 2);
        assert_eq!(
            TopicConfigManager::load(&config(), dir.path())
                .unwrap()
                .get("T1")
                .unwrap()
                .perm,
            4
        );

        assert!(manager.delete_topic("T1").is_some());
        assert_eq!(manager.data_version().counter, v0.counter + 3);
        assert!(manager.delete_topic("T1").is_none());
        assert_eq!(manager.data_version().counter, v0.counter + 3);
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert!(reloaded.get("T1").is_none());
        assert_eq!(reloaded.data_version(), manager.data_version());
    }

    #[test]
    fn attributes_follow_the_add_delete_rules() {
        let manager = TopicConfigManager::with_system_topics(&config());
        let with = |pairs: &[(&str, &str)]| {
            let mut t = TopicConfig::new("A");
            t.attributes = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>();
            t
        };
        // Creating: only "+" keys.
        assert!(manager
            .update_topic_config(with(&[("-message.type", "")]))
            .is_err());
        manager
            .update_topic_config(with(&[("+message.type", "NORMAL")]))
            .unwrap();
        assert_eq!(
            manager.get("A").unwrap().attributes["message.type"],
            "NORMAL"
        );
        // Updating: "+" adds/updates, "-" deletes an existing key.
        manager
            .update_topic_config(with(&[("+queue.type", "SimpleCQ")]))
            .unwrap();
        assert_eq!(manager.get("A").unwrap().attributes.len(), 2);
        manager
            .update_topic_config(with(&[("-queue.type", "")]))
            .unwrap();
        assert_eq!(manager.get("A").unwrap().attributes.len(), 1);
        assert!(manager.update_topic_config(with(&[("-nope", "")])).is_err());
        // A plain map replaces the attributes.
        manager
            .update_topic_config(with(&[("message.type", "FIFO")]))
            .unwrap();
        assert_eq!(
            manager.get("A").unwrap().attributes,
            BTreeMap::from([("message.type".to_string(), "FIFO".to_string())])
        );
    }

    #[test]
    fn existing_public_api_still_works() {
        let manager = TopicConfigManager::with_system_topics(&config());
        assert!(!manager.is_empty());
        let n = manager.len();
        manager.put(TopicConfig::new("P").with_queues(2, 6));
        assert_eq!(manager.len(), n + 1);
        let all = manager.all();
        assert!(all.windows(2).all(|w| w[0].topic_name < w[1].topic_name));
        let stored = manager.get("P").unwrap();
        assert_eq!(
            (
                stored.read_queue_nums,
                stored.perm,
                stored.topic_filter_type.code()
            ),
            (2, 6, 0)
        );
        // An in-memory table never writes.
        manager.persist().unwrap();
        assert!(manager.load_report().is_none());
    }

    #[test]
    fn encode_compact_for_bodies() {
        let manager = TopicConfigManager::default();
        manager.put(TopicConfig::new("T").with_queues(1, 6));
        let v = manager.data_version();
        assert_eq!(
        manager.encode(false),
        format!(
            "{{\"dataVersion\":{{\"counter\":0,\"stateVersion\":0,\"timestamp\":{}}},\"topicConfigTable\":{{\"T\":{{\"attributes\":{{}},\"order\":false,\"perm\":6,\"readQueueNums\":1,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"T\",\"topicSysFlag\":0,\"writeQueueNums\":1}}}}}}",
            v.timestamp
        )
    );
    }
}
