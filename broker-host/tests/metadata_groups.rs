//! Subscription groups (auto-creation, updates, forbidden table), consumer
//! filters (register, unregister, pruning) and delay offsets.

// In a `metadata` module so that `cargo test -p broker-host metadata` runs them.
mod metadata {
    use std::fs;

    use broker_host::config::BrokerConfig;
    use broker_host::metadata::consumer_filter::DEAD_FILTER_RETENTION_MS;
    use broker_host::metadata::subscription_group::SYSTEM_GROUPS;
    use broker_host::metadata::{
        ConsumerFilterManager, DelayOffsetManager, FilterSubscription, SubscriptionGroupConfig,
        SubscriptionGroupManager,
    };

    #[test]
    fn groups_are_auto_created_with_defaults_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let manager = SubscriptionGroupManager::load(&BrokerConfig::default(), dir.path()).unwrap();
        for group in SYSTEM_GROUPS {
            assert!(manager.contains(group), "{group}");
        }
        assert!(
            manager.find_subscription_group("cg1", false).is_none(),
            "no creation when not asked"
        );
        let v0 = manager.data_version();
        let cg1 = manager.find_subscription_group("cg1", true).unwrap();
        assert_eq!(cg1, SubscriptionGroupConfig::new("cg1"));
        assert_eq!(
            (
                cg1.retry_queue_nums,
                cg1.retry_max_times,
                cg1.which_broker_when_consume_slowly
            ),
            (1, 16, 1)
        );
        assert!(cg1.consume_enable && cg1.consume_from_min_enable && cg1.consume_broadcast_enable);
        assert!(cg1.notify_consumer_ids_changed_enable);
        assert_eq!(manager.data_version().counter, v0.counter + 1);
        // Found again without another bump.
        assert_eq!(manager.find_subscription_group("cg1", true).unwrap(), cg1);
        assert_eq!(manager.data_version().counter, v0.counter + 1);
        // Invalid names are not created: illegal characters, or longer than
        // Validators.CHARACTER_MAX_LENGTH (255).
        assert!(manager.find_subscription_group("bad group", true).is_none());
        assert!(manager
            .find_subscription_group(&"g".repeat(256), true)
            .is_none());

        let text = fs::read_to_string(dir.path().join("subscriptionGroup.json")).unwrap();
        assert!(
            text.contains("\n\t\t\"cg1\":{\n\t\t\t\"attributes\":{},\n\t\t\t\"brokerId\":0,"),
            "{text}"
        );
        let reloaded =
            SubscriptionGroupManager::load(&BrokerConfig::default(), dir.path()).unwrap();
        assert_eq!(reloaded.get("cg1").unwrap(), cg1);
    }

    #[test]
    fn auto_creation_can_be_switched_off() {
        let config = BrokerConfig {
            auto_create_subscription_group: false,
            ..BrokerConfig::default()
        };
        let manager = SubscriptionGroupManager::with_system_groups(&config);
        assert!(manager.find_subscription_group("cg1", true).is_none());
        // System consumer groups are still created (enableCreateSysGroup).
        assert!(manager
            .find_subscription_group("CID_RMQ_SYS_X", true)
            .is_some());
        // Known groups are found.
        assert!(manager
            .find_subscription_group("TOOLS_CONSUMER", true)
            .is_some());
    }

    #[test]
    fn update_delete_and_forbidden() {
        let dir = tempfile::tempdir().unwrap();
        let manager = SubscriptionGroupManager::load(&BrokerConfig::default(), dir.path()).unwrap();
        let mut config = SubscriptionGroupConfig::new("cg2");
        config.retry_queue_nums = 3;
        config.consume_message_orderly = true;
        manager.update(config.clone()).unwrap();
        manager.update_forbidden("cg2", "TopicTest", 1, true);
        manager.update_forbidden("cg2", "TopicTest", 0, true);
        assert_eq!(manager.forbidden("cg2", "TopicTest"), 3);
        manager.update_forbidden("cg2", "TopicTest", 1, false);
        assert_eq!(manager.forbidden("cg2", "TopicTest"), 1);

        let reloaded =
            SubscriptionGroupManager::load(&BrokerConfig::default(), dir.path()).unwrap();
        assert_eq!(reloaded.get("cg2").unwrap(), config);
        assert_eq!(reloaded.forbidden("cg2", "TopicTest"), 1);
        let text = fs::read_to_string(dir.path().join("subscriptionGroup.json")).unwrap();
        assert!(
            text.contains(
                "\t\"forbiddenTable\":{\n\t\t\"cg2\":{\n\t\t\t\"TopicTest\":1\n\t\t}\n\t},"
            ),
            "{text}"
        );

        let version = manager.data_version();
        assert!(manager.delete("cg2").is_some());
        assert_eq!(manager.data_version().counter, version.counter + 1);
        assert_eq!(manager.forbidden("cg2", "TopicTest"), 0);
        assert!(manager.delete("cg2").is_none());
        let reloaded =
            SubscriptionGroupManager::load(&BrokerConfig::default(), dir.path()).unwrap();
        assert!(reloaded.get("cg2").is_none());
        assert!(reloaded.forbidden_table().is_empty());
    }

    fn sql(topic: &str, expression: &str, version: i64) -> FilterSubscription {
        FilterSubscription {
            topic: topic.into(),
            expression: expression.into(),
            expression_type: "SQL92".into(),
            version,
        }
    }

    #[test]
    fn consumer_filters_register_unregister_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let manager = ConsumerFilterManager::load(dir.path()).unwrap();
        // TAG subscriptions are not recorded.
        assert!(!manager.register("T", "cg", "TagA", "TAG", 1));
        assert!(!manager.register("T", "cg", "", "SQL92", 1));
        assert!(manager.filter_data_by_topic().is_empty());

        manager.register_group("cg", &[sql("T1", "a > 1", 10), sql("T2", "b = 2", 10)]);
        assert_eq!(manager.get_by_group("cg").len(), 2);
        assert!(!manager.get("T1", "cg").unwrap().is_dead());

        // An older version does not change the expression.
        assert!(!manager.register("T1", "cg", "a > 100", "SQL92", 5));
        assert_eq!(manager.get("T1", "cg").unwrap().expression, "a > 1");
        // A newer version with another expression replaces it.
        assert!(manager.register("T1", "cg", "a > 100", "SQL92", 11));
        assert_eq!(manager.get("T1", "cg").unwrap().expression, "a > 100");

        // Dropping T2 from the group's subscriptions makes its filter dead.
        manager.register_group("cg", &[sql("T1", "a > 100", 11)]);
        assert!(manager.get("T2", "cg").unwrap().is_dead());
        assert!(!manager.get("T1", "cg").unwrap().is_dead());

        manager.unregister("cg");
        assert!(manager.get("T1", "cg").unwrap().is_dead());
        // Same version again revives it.
        assert!(manager.register("T1", "cg", "a > 100", "SQL92", 11));
        assert!(!manager.get("T1", "cg").unwrap().is_dead());

        // Dead for 24 h → pruned (and topics left empty go too).
        let dead_time = manager.get("T2", "cg").unwrap().dead_time;
        assert_eq!(
            manager.clean(
                dead_time + DEAD_FILTER_RETENTION_MS - 1,
                DEAD_FILTER_RETENTION_MS
            ),
            0
        );
        assert_eq!(
            manager.clean(
                dead_time + DEAD_FILTER_RETENTION_MS,
                DEAD_FILTER_RETENTION_MS
            ),
            1
        );
        assert!(manager.get("T2", "cg").is_none());
        assert!(!manager.filter_data_by_topic().contains_key("T2"));

        manager.persist().unwrap();
        let text = fs::read_to_string(dir.path().join("consumerFilter.json")).unwrap();
        assert!(text.contains("\"dead\":false"), "{text}");
        let reloaded = ConsumerFilterManager::load(dir.path()).unwrap();
        let data = reloaded.get("T1", "cg").unwrap();
        assert_eq!(data.expression, "a > 100");
        assert!(data.is_dead(), "loaded filters wait for their consumer");
    }

    #[test]
    fn delay_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let manager = DelayOffsetManager::load(dir.path()).unwrap();
        assert_eq!(manager.get(1), None);
        for level in 1..=18 {
            manager.update(level, i64::from(level) * 10);
        }
        manager.update(2, 21);
        assert_eq!(manager.get(2), Some(21));
        manager.persist().unwrap();
        let text = fs::read_to_string(dir.path().join("delayOffset.json")).unwrap();
        assert!(
            text.contains("\t\"offsetTable\":{1:10,2:21,3:30,"),
            "{text}"
        );
        let reloaded = DelayOffsetManager::load(dir.path()).unwrap();
        assert_eq!(reloaded.offset_table(), manager.offset_table());
    }
}
