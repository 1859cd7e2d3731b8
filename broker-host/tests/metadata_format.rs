//! Golden tests: files in the shapes Java's managers write (`fixtures/metadata/`) load, and
//! what the managers write back has the same content in fastjson's pretty
//! format, byte for byte.

// In a `metadata` module so that `cargo test -p broker-host metadata` runs them.
mod metadata {
    use std::fs;
    use std::path::{Path, PathBuf};

    use broker_host::config::BrokerConfig;
    use broker_host::metadata::consumer_filter::ConsumerFilterFile;
    use broker_host::metadata::json::{parse_tree, Json};
    use broker_host::metadata::subscription_group::SubscriptionGroupFile;
    use broker_host::metadata::topic_config::TopicsFile;
    use broker_host::metadata::{
        ConsumerFilterManager, ConsumerOffsetManager, DataVersion, DelayOffsetManager, LoadSource,
        MetadataStore, SubscriptionGroupManager, TopicConfigManager, TopicFilterType,
    };

    fn fixture_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/metadata")
            .join(name)
    }

    fn fixture(name: &str) -> String {
        fs::read_to_string(fixture_path(name)).unwrap()
    }

    /// A config directory holding `fixture` as `file`.
    fn dir_with(file: &str, fixture_name: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(file), fixture(fixture_name)).unwrap();
        dir
    }

    fn config() -> BrokerConfig {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            ..BrokerConfig::default()
        }
    }

    /// Objects sorted by key, arrays of strings sorted: the canonical order our
    /// writer uses (Java writes hash order).
    fn canonical(json: &Json) -> Json {
        match json.sorted() {
            Json::Object(entries) => Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical(&v)))
                    .collect(),
            ),
            Json::Array(items) => {
                let mut items: Vec<Json> = items.iter().map(canonical).collect();
                if items.iter().all(|i| matches!(i, Json::String(_))) {
                    items.sort_by_key(|i| i.to_compact());
                }
                Json::Array(items)
            }
            other => other,
        }
    }

    /// `json` with the object at `path` reduced to the listed keys.
    fn keep_only(json: &Json, path: &str, keys: &[&str]) -> Json {
        let Json::Object(entries) = json else {
            panic!("not an object")
        };
        Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    if k.as_text() == path {
                        let Json::Object(inner) = v else {
                            panic!("{path} is not an object")
                        };
                        let kept = inner
                            .iter()
                            .filter(|(ik, _)| keys.contains(&ik.as_text().as_str()));
                        (k.clone(), Json::Object(kept.cloned().collect()))
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect(),
        )
    }

    #[test]
    fn the_writer_reproduces_every_spec_example_byte_for_byte() {
        for name in [
            "topics.json",
            "topics-4.9.json",
            "consumerOffset-4.9.json",
            "consumerOffset.json",
            "subscriptionGroup.json",
            "subscriptionGroup-4.9.json",
            "consumerFilter.json",
            "consumerFilter-empty.json",
            "delayOffset-4.9.json",
            "delayOffset-empty-4.9.json",
        ] {
            let text = fixture(name);
            assert!(
                !text.ends_with('\n'),
                "{name} must have no trailing newline"
            );
            let tree = parse_tree(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(tree.to_pretty(), text, "{name}");
        }
    }

    #[test]
    fn topics_json_5x_loads_and_writes_back_in_the_spec_format() {
        let dir = dir_with("topics.json", "topics.json");
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(manager.load_report().unwrap().source, LoadSource::Main);

        let test = manager.get("TopicTest").unwrap();
        assert_eq!(
            (test.read_queue_nums, test.write_queue_nums, test.perm),
            (4, 4, 6)
        );
        assert_eq!(test.topic_filter_type, TopicFilterType::SingleTag);
        let retry = manager.get("%RETRY%cg1").unwrap();
        assert_eq!((retry.read_queue_nums, retry.perm), (1, 6));
        assert_eq!(
            manager.data_version(),
            DataVersion {
                counter: 3,
                state_version: 0,
                timestamp: 1_700_000_123_456
            }
        );
        // System topics are seeded first, file entries on top.
        assert!(manager.get("SCHEDULE_TOPIC_XXXX").is_some());
        assert_eq!(manager.get("TBW102").unwrap().write_queue_nums, 8);

        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("topics.json")).unwrap();
        assert!(!written.ends_with('\n'));
        let decoded = TopicsFile::decode(&written).unwrap();
        let original = TopicsFile::decode(&fixture("topics.json")).unwrap();
        assert_eq!(decoded.data_version, original.data_version);
        for (name, topic) in &original.topic_config_table {
            assert_eq!(decoded.topic_config_table.get(name), Some(topic), "{name}");
        }
        assert_eq!(decoded.topic_config_table.len(), manager.len());

        // Byte for byte: our file restricted to the fixture's topics is the fixture's
        // text with map entries in sorted order.
        let ours = keep_only(
            &parse_tree(&written).unwrap(),
            "topicConfigTable",
            &["TopicTest", "TBW102", "%RETRY%cg1"],
        );
        let expected = canonical(&parse_tree(&fixture("topics.json")).unwrap());
        assert_eq!(ours.to_pretty(), expected.to_pretty());
    }

    #[test]
    fn topics_json_4_9_loads_and_is_rewritten_in_the_5x_shape() {
        let dir = dir_with("topics.json", "topics-4.9.json");
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        let order = manager.get("OrderTopic").unwrap();
        assert!(order.order);
        assert_eq!(order.topic_filter_type, TopicFilterType::MultiTag);
        assert!(order.attributes.is_empty());
        assert_eq!(
            manager.data_version(),
            DataVersion {
                counter: 7,
                state_version: 0,
                timestamp: 1_600_000_000_000
            }
        );
        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("topics.json")).unwrap();
        assert!(written.starts_with(
        "{\n\t\"dataVersion\":{\n\t\t\"counter\":7,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1600000000000\n\t},\n\t\"topicConfigTable\":{"
    ));
        assert!(written.contains(
        "\n\t\t\"OrderTopic\":{\n\t\t\t\"attributes\":{},\n\t\t\t\"order\":true,\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":2,\n\t\t\t\"topicFilterType\":\"MULTI_TAG\",\n\t\t\t\"topicName\":\"OrderTopic\",\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":2\n\t\t}"
    ));
    }

    #[test]
    fn consumer_offset_5x_round_trips_byte_for_byte() {
        let dir = dir_with("consumerOffset.json", "consumerOffset.json");
        let manager = ConsumerOffsetManager::load(dir.path()).unwrap();
        assert_eq!(manager.query_offset("cg1", "TopicTest", 0), 12);
        assert_eq!(manager.query_offset("cg1", "TopicTest", 3), 9);
        assert_eq!(manager.query_offset("cg1", "%RETRY%cg1", 0), 0);
        assert_eq!(manager.query_offset("cg1", "TopicTest", 4), -1);
        assert_eq!(manager.data_version().counter, 12);

        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("consumerOffset.json")).unwrap();
        let expected = canonical(&parse_tree(&fixture("consumerOffset.json")).unwrap()).to_pretty();
        assert_eq!(written, expected);
        assert!(written.contains("\"TopicTest@cg1\":{0:12,1:10,2:11,3:9\n\t\t}"));
        assert!(written.contains("\"cg1\":[\"%RETRY%cg1\",\"TopicTest\"]"));
    }

    #[test]
    fn consumer_offset_4_9_with_unquoted_keys_loads_and_is_rewritten_as_5x() {
        let dir = dir_with("consumerOffset.json", "consumerOffset-4.9.json");
        let manager = ConsumerOffsetManager::load(dir.path()).unwrap();
        assert_eq!(
            manager.query_offset("please_rename_unique_group_name_4", "TopicTest", 2),
            543
        );
        assert_eq!(
            manager.query_offset(
                "please_rename_unique_group_name",
                "%RETRY%please_rename_unique_group_name",
                0
            ),
            0
        );
        let version = manager.data_version();
        assert_eq!(version.counter, 0);

        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("consumerOffset.json")).unwrap();
        let expected = format!(
        "{{\n\t\"dataVersion\":{{\n\t\t\"counter\":0,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":{}\n\t}},\n\t\"groupTopicMap\":{{\n\t\t\"please_rename_unique_group_name\":[\"%RETRY%please_rename_unique_group_name\"],\n\t\t\"please_rename_unique_group_name_4\":[\"TopicTest\"]\n\t}},\n\t\"offsetTable\":{{\n\t\t\"%RETRY%please_rename_unique_group_name@please_rename_unique_group_name\":{{0:0\n\t\t}},\n\t\t\"TopicTest@please_rename_unique_group_name_4\":{{0:543,1:543,2:543,3:543\n\t\t}}\n\t}}\n}}",
        version.timestamp
    );
        assert_eq!(written, expected);
        // And our 5.x file reads back into the same table.
        let again = ConsumerOffsetManager::load(dir.path()).unwrap();
        assert_eq!(again.offset_table(), manager.offset_table());
    }

    #[test]
    fn subscription_group_5x_loads_and_writes_back_in_the_spec_format() {
        let dir = dir_with("subscriptionGroup.json", "subscriptionGroup.json");
        let manager = SubscriptionGroupManager::load(&config(), dir.path()).unwrap();
        let cg1 = manager.get("cg1").unwrap();
        assert_eq!(
            (
                cg1.retry_queue_nums,
                cg1.retry_max_times,
                cg1.consume_timeout_minute
            ),
            (1, 16, 15)
        );
        assert_eq!(cg1.group_retry_policy.policy_type, "CUSTOMIZED");
        assert!(
            manager.get("TOOLS_CONSUMER").is_some(),
            "system groups are seeded"
        );
        assert_eq!(manager.data_version().counter, 2);

        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("subscriptionGroup.json")).unwrap();
        let decoded = SubscriptionGroupFile::decode(&written).unwrap();
        let original = SubscriptionGroupFile::decode(&fixture("subscriptionGroup.json")).unwrap();
        assert_eq!(decoded.data_version, original.data_version);
        assert_eq!(decoded.forbidden_table, original.forbidden_table);
        assert_eq!(
            decoded.subscription_group_table.get("cg1"),
            original.subscription_group_table.get("cg1")
        );

        let ours = keep_only(
            &parse_tree(&written).unwrap(),
            "subscriptionGroupTable",
            &["cg1"],
        );
        let expected = canonical(&parse_tree(&fixture("subscriptionGroup.json")).unwrap());
        assert_eq!(ours.to_pretty(), expected.to_pretty());
    }

    #[test]
    fn subscription_group_4_9_gets_5x_defaults() {
        let dir = dir_with("subscriptionGroup.json", "subscriptionGroup-4.9.json");
        let manager = SubscriptionGroupManager::load(&config(), dir.path()).unwrap();
        let cg = manager.get("cg49").unwrap();
        assert_eq!(cg.consume_timeout_minute, 15);
        assert!(!cg.consume_message_orderly);
        assert_eq!(cg.group_retry_policy.policy_type, "CUSTOMIZED");
        assert!(manager.forbidden_table().is_empty());
        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("subscriptionGroup.json")).unwrap();
        assert!(written.contains("\n\t\"forbiddenTable\":{},\n"));
        assert!(
            written.contains("\"groupRetryPolicy\":{\n\t\t\t\t\"type\":\"CUSTOMIZED\"\n\t\t\t},")
        );
    }

    #[test]
    fn consumer_filter_round_trips() {
        let text = fixture("consumerFilter.json");
        let file = ConsumerFilterFile::decode(&text).unwrap();
        assert_eq!(file.to_json().to_pretty(), text);
        let data = &file.filter_data_by_topic["TopicTest"].group_filter_data["cg_sql"];
        assert_eq!(data.expression, "a > 5");
        assert!(!data.is_dead());

        // Loading marks every filter dead until its consumer registers again.
        let dir = dir_with("consumerFilter.json", "consumerFilter.json");
        let manager = ConsumerFilterManager::load(dir.path()).unwrap();
        let loaded = manager.get("TopicTest", "cg_sql").unwrap();
        assert!(loaded.is_dead());
        assert!(manager.register("TopicTest", "cg_sql", "a > 5", "SQL92", 1_700_000_000_000));
        let alive = manager.get("TopicTest", "cg_sql").unwrap();
        assert!(!alive.is_dead());
        assert_eq!(alive.dead_time, 0);
        assert_eq!(alive.born_time, 1_700_000_000_000);
        // Now the file writes back exactly as the fixture.
        manager.persist().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("consumerFilter.json")).unwrap(),
            text
        );

        let empty = tempfile::tempdir().unwrap();
        let manager = ConsumerFilterManager::load(empty.path()).unwrap();
        manager.persist().unwrap();
        assert_eq!(
            fs::read_to_string(empty.path().join("consumerFilter.json")).unwrap(),
            fixture("consumerFilter-empty.json")
        );
    }

    #[test]
    fn delay_offset_4_9_loads_and_is_rewritten_as_5x() {
        let dir = dir_with("delayOffset.json", "delayOffset-4.9.json");
        let manager = DelayOffsetManager::load(dir.path()).unwrap();
        assert_eq!(manager.get(1), Some(25));
        assert_eq!(manager.get(3), Some(4));
        assert_eq!(manager.get(5), Some(0));
        assert_eq!(manager.get(2), None);
        manager.persist().unwrap();
        let written = fs::read_to_string(dir.path().join("delayOffset.json")).unwrap();
        let version = manager.data_version();
        assert_eq!(
        written,
        format!(
            "{{\n\t\"dataVersion\":{{\n\t\t\"counter\":0,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":{}\n\t}},\n\t\"offsetTable\":{{1:25,3:4,5:0\n\t}}\n}}",
            version.timestamp
        )
    );

        let dir = dir_with("delayOffset.json", "delayOffset-empty-4.9.json");
        let manager = DelayOffsetManager::load(dir.path()).unwrap();
        assert!(manager.offset_table().is_empty());
        manager.update(3, 77);
        manager.persist().unwrap();
        let again = DelayOffsetManager::load(dir.path()).unwrap();
        assert_eq!(again.get(3), Some(77));
    }

    #[test]
    fn the_metadata_store_loads_every_file_and_writes_them_back() {
        let dir = tempfile::tempdir().unwrap();
        for (file, fixture_name) in [
            ("topics.json", "topics.json"),
            ("consumerOffset.json", "consumerOffset.json"),
            ("subscriptionGroup.json", "subscriptionGroup.json"),
            ("consumerFilter.json", "consumerFilter.json"),
            ("delayOffset.json", "delayOffset-4.9.json"),
        ] {
            fs::write(dir.path().join(file), fixture(fixture_name)).unwrap();
        }
        let mut config = config();
        config.store_path_root_dir = dir.path().to_string_lossy().into_owned();
        let config_dir = dir.path().join("config");
        fs::create_dir(&config_dir).unwrap();
        for entry in fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                fs::rename(&path, config_dir.join(path.file_name().unwrap())).unwrap();
            }
        }

        let store = MetadataStore::load(&config).unwrap();
        assert_eq!(store.dir(), config_dir);
        let reports = store.load_reports();
        assert_eq!(reports.len(), 5);
        assert!(
            reports.iter().all(|r| r.source == LoadSource::Main),
            "{reports:?}"
        );
        assert_eq!(store.topics().get("TopicTest").unwrap().write_queue_nums, 4);
        assert_eq!(
            store.consumer_offsets().query_offset("cg1", "TopicTest", 1),
            10
        );
        assert!(store.subscription_groups().get("cg1").is_some());
        assert!(store
            .consumer_filters()
            .get("TopicTest", "cg_sql")
            .is_some());
        assert_eq!(store.delay_offsets().get(1), Some(25));

        store
            .consumer_offsets()
            .commit_offset("127.0.0.1", "cg1", "TopicTest", 1, 11);
        store.persist_all().unwrap();
        for name in [
            "topics.json",
            "consumerOffset.json",
            "subscriptionGroup.json",
            "consumerFilter.json",
            "delayOffset.json",
        ] {
            assert!(
                config_dir.join(format!("{name}.bak")).exists(),
                "{name}.bak"
            );
            assert!(
                !config_dir.join(format!("{name}.tmp")).exists(),
                "{name}.tmp"
            );
        }

        let again = MetadataStore::load(&config).unwrap();
        assert_eq!(
            again.consumer_offsets().query_offset("cg1", "TopicTest", 1),
            11
        );
        assert_eq!(again.topics().all(), store.topics().all());
        assert_eq!(
            again.subscription_groups().all(),
            store.subscription_groups().all()
        );
        assert_eq!(
            again.delay_offsets().offset_table(),
            store.delay_offsets().offset_table()
        );
    }

    #[test]
    fn a_fresh_directory_starts_with_system_topics_and_groups() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config();
        config.store_path_root_dir = dir.path().to_string_lossy().into_owned();
        let store = MetadataStore::load(&config).unwrap();
        assert!(store
            .load_reports()
            .iter()
            .all(|r| r.source == LoadSource::Default));
        assert_eq!(
            store.topics().len(),
            TopicConfigManager::with_system_topics(&config).len()
        );
        for group in broker_host::metadata::subscription_group::SYSTEM_GROUPS {
            assert!(
                store
                    .subscription_groups()
                    .get(group)
                    .unwrap()
                    .consume_broadcast_enable
            );
        }
        assert!(store.consumer_offsets().offset_table().is_empty());
        // Loading writes nothing.
        assert!(!dir.path().join("config").exists());
        store.persist_all().unwrap();
        assert!(dir.path().join("config/topics.json").exists());
    }
}
