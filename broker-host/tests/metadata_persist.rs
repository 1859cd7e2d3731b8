//! Crash safety of the metadata files: `.bak` fallback with a WARN naming
//! the file, errors naming the file when nothing good is left, `.tmp`
//! handling.

// In a `metadata` module so that `cargo test -p broker-host metadata` runs them.
mod metadata {
    use std::fs;
    use std::io::Write;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use broker_host::config::BrokerConfig;
    use broker_host::metadata::{
        ConfigFile, ConsumerOffsetManager, LoadSource, MetadataError, MetadataStore, TopicConfig,
        TopicConfigManager,
    };
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// Runs `f` with a subscriber that records WARN and above; returns the log.
    fn with_captured_warnings<T>(f: impl FnOnce() -> T) -> (T, String) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish();
        let result = tracing::subscriber::with_default(subscriber, f);
        (result, captured.text())
    }

    fn config() -> BrokerConfig {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            ..BrokerConfig::default()
        }
    }

    /// Writes a topics.json holding `topic` via a manager, then returns the
    /// file's text.
    fn write_topics(dir: &Path, topic: &str) -> String {
        let manager = TopicConfigManager::load(&config(), dir).unwrap();
        manager.create_topic_if_absent(TopicConfig::new(topic).with_queues(3, 6));
        fs::read_to_string(dir.join("topics.json")).unwrap()
    }

    #[test]
    fn corrupt_topics_json_with_a_good_bak_loads_the_bak_and_warns() {
        let dir = tempfile::tempdir().unwrap();
        let good = write_topics(dir.path(), "FromBackup");
        fs::write(dir.path().join("topics.json.bak"), &good).unwrap();
        fs::write(dir.path().join("topics.json"), &good[..good.len() / 2]).unwrap();

        let (manager, log) =
            with_captured_warnings(|| TopicConfigManager::load(&config(), dir.path()).unwrap());
        assert_eq!(manager.get("FromBackup").unwrap().read_queue_nums, 3);
        let report = manager.load_report().unwrap();
        assert_eq!(report.source, LoadSource::Backup);
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("topics.json is corrupt")),
            "{report:?}"
        );
        assert!(log.contains("WARN"), "{log}");
        assert!(
            log.contains(&dir.path().join("topics.json").display().to_string()),
            "{log}"
        );
        assert!(log.contains("corrupt"), "{log}");

        // The next persist keeps the good .bak (the corrupt file is not rotated
        // into it) and writes a good main file.
        manager.create_topic_if_absent(TopicConfig::new("Later"));
        assert_eq!(
            fs::read_to_string(dir.path().join("topics.json.bak")).unwrap(),
            good
        );
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(reloaded.load_report().unwrap().source, LoadSource::Main);
        assert!(reloaded.get("Later").is_some() && reloaded.get("FromBackup").is_some());
    }

    #[test]
    fn corrupt_main_and_corrupt_bak_fail_naming_both_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("topics.json"), "{\"topicConfigTable\":{").unwrap();
        fs::write(dir.path().join("topics.json.bak"), "not json").unwrap();
        let error = TopicConfigManager::load(&config(), dir.path()).unwrap_err();
        assert!(
            matches!(error, MetadataError::CorruptWithBackup { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&dir.path().join("topics.json").display().to_string()),
            "{message}"
        );
        assert!(message.contains("topics.json.bak"), "{message}");
    }

    #[test]
    fn corrupt_main_without_bak_fails_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("consumerOffset.json"),
            "{\"offsetTable\":{\"t@g\":{0:}}}",
        )
        .unwrap();
        let error = ConsumerOffsetManager::load(dir.path()).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, MetadataError::Corrupt { .. }), "{error:?}");
        assert!(message.contains("consumerOffset.json"), "{message}");

        // A main file with the wrong shape is corrupt too, not an empty table.
        fs::write(dir.path().join("consumerOffset.json"), "[1,2,3]").unwrap();
        assert!(ConsumerOffsetManager::load(dir.path()).is_err());
        fs::write(
            dir.path().join("consumerOffset.json"),
            "{\"offsetTable\":{\"t@g\":{0:\"x\"}}}",
        )
        .unwrap();
        assert!(ConsumerOffsetManager::load(dir.path()).is_err());
    }

    #[test]
    fn the_store_refuses_to_start_on_a_corrupt_file() {
        let root = tempfile::tempdir().unwrap();
        let mut config = config();
        config.store_path_root_dir = root.path().to_string_lossy().into_owned();
        let dir = root.path().join("config");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("subscriptionGroup.json"), "{{{").unwrap();
        let error = MetadataStore::load(&config).unwrap_err();
        assert!(
            error.to_string().contains("subscriptionGroup.json"),
            "{error}"
        );
    }

    #[test]
    fn missing_main_falls_back_to_bak() {
        // A crash after the .bak was made but before the new file appeared.
        let dir = tempfile::tempdir().unwrap();
        let good = write_topics(dir.path(), "OnlyInBak");
        fs::rename(
            dir.path().join("topics.json"),
            dir.path().join("topics.json.bak"),
        )
        .unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(manager.load_report().unwrap().source, LoadSource::Backup);
        assert!(manager.get("OnlyInBak").is_some());
        assert!(!good.is_empty());
    }

    #[test]
    fn a_leftover_tmp_is_removed_on_load() {
        let dir = tempfile::tempdir().unwrap();
        write_topics(dir.path(), "Kept");
        let tmp = dir.path().join("topics.json.tmp");
        fs::write(&tmp, "{\"half written").unwrap();
        let (manager, log) =
            with_captured_warnings(|| TopicConfigManager::load(&config(), dir.path()).unwrap());
        assert!(!tmp.exists());
        assert!(manager.load_report().unwrap().removed_tmp);
        assert_eq!(manager.load_report().unwrap().source, LoadSource::Main);
        assert!(manager.get("Kept").is_some());
        assert!(log.contains("topics.json.tmp"), "{log}");
    }

    #[test]
    fn persist_leaves_no_tmp_and_keeps_the_previous_version_as_bak() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert!(
            !dir.path().join("topics.json").exists(),
            "loading writes nothing"
        );

        manager.create_topic_if_absent(TopicConfig::new("First"));
        let first = fs::read_to_string(dir.path().join("topics.json")).unwrap();
        assert!(!dir.path().join("topics.json.bak").exists());

        manager.create_topic_if_absent(TopicConfig::new("Second"));
        let second = fs::read_to_string(dir.path().join("topics.json")).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("topics.json.bak")).unwrap(),
            first
        );
        assert!(second.contains("\"Second\""));
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn persist_creates_the_directory() {
        let root = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(root.path().join("a/b/config/x.json"));
        file.persist("{}").unwrap();
        assert_eq!(fs::read_to_string(file.path()).unwrap(), "{}");
    }

    #[test]
    fn concurrent_persists_end_with_the_newest_content() {
        let dir = tempfile::tempdir().unwrap();
        let manager = Arc::new(TopicConfigManager::load(&config(), dir.path()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let manager = manager.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        manager.create_topic_if_absent(TopicConfig::new(format!("T{t}_{i}")));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let reloaded = TopicConfigManager::load(&config(), dir.path()).unwrap();
        assert_eq!(reloaded.all(), manager.all());
        assert_eq!(reloaded.data_version(), manager.data_version());
        assert!(!dir.path().join("topics.json.tmp").exists());
    }
}
