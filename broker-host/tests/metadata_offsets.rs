//! Consumer offsets: commits from many threads, queries, group/topic
//! indexes, removal, version steps, persistence.

// In a `metadata` module so that `cargo test -p broker-host metadata` runs them.
mod metadata {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use broker_host::metadata::consumer_offset::OFFSET_UPDATE_VERSION_STEP;
    use broker_host::metadata::ConsumerOffsetManager;

    #[test]
    fn concurrent_commits_from_many_threads() {
        let dir = tempfile::tempdir().unwrap();
        let manager = Arc::new(ConsumerOffsetManager::load(dir.path()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let manager = manager.clone();
                std::thread::spawn(move || {
                    let group = format!("cg{}", t % 4);
                    for i in 0..1000i64 {
                        let queue = (i % 4) as i32 + 4 * (t / 4);
                        manager.commit_offset("127.0.0.1:1234", &group, "TopicTest", queue, i);
                    }
                    // A persister racing with the committers.
                    if t == 0 {
                        manager.persist().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for t in 0..8 {
            let group = format!("cg{}", t % 4);
            for q in 0..4 {
                let queue = q + 4 * (t / 4);
                // The last commit of each queue is 996..999.
                assert_eq!(
                    manager.query_offset(&group, "TopicTest", queue),
                    996 + i64::from(q),
                    "{group} {queue}"
                );
            }
        }
        // 8000 commits → 16 version bumps.
        assert_eq!(
            manager.data_version().counter,
            8000 / OFFSET_UPDATE_VERSION_STEP as i64
        );

        manager.persist().unwrap();
        let reloaded = ConsumerOffsetManager::load(dir.path()).unwrap();
        assert_eq!(reloaded.offset_table(), manager.offset_table());
        assert_eq!(reloaded.data_version(), manager.data_version());
    }

    #[test]
    fn queries_and_indexes() {
        let manager = ConsumerOffsetManager::new();
        assert_eq!(manager.query_offset("cg1", "T", 0), -1);
        manager.commit_offset("h", "cg1", "T", 0, 10);
        manager.commit_offset("h", "cg1", "T", 1, 20);
        manager.commit_offset("h", "cg1", "%RETRY%cg1", 0, 1);
        manager.commit_offset("h", "cg2", "T", 0, 5);
        // Going backwards is accepted (and logged).
        manager.commit_offset("h", "cg2", "T", 0, 3);
        assert_eq!(manager.query_offset("cg2", "T", 0), 3);
        assert_eq!(manager.query_offset("cg1", "T", 1), 20);
        assert_eq!(manager.query_offset("cg1", "T", 2), -1);
        assert_eq!(manager.query_offsets("cg1", "T").unwrap().len(), 2);

        assert_eq!(
            manager.groups_by_topic("T"),
            BTreeSet::from(["cg1".to_string(), "cg2".to_string()])
        );
        assert_eq!(
            manager.topics_by_group("cg1"),
            BTreeSet::from(["T".to_string(), "%RETRY%cg1".to_string()])
        );
        assert_eq!(
            manager.group_topic_map()["cg2"],
            BTreeSet::from(["T".to_string()])
        );

        manager.commit_pull_offset("cg1", "T", 0, 15);
        assert_eq!(manager.query_pull_offset("cg1", "T", 0), 15);
        assert_eq!(manager.query_pull_offset("cg1", "T", 1), 20);

        manager.assign_reset_offset("T", "cg1", 0, 2);
        assert!(manager.has_offset_reset("T", "cg1", 0));
        assert_eq!(manager.query_offset("cg1", "T", 0), 2);
        assert_eq!(
            manager.query_then_erase_reset_offset("T", "cg1", 0),
            Some(2)
        );
        assert_eq!(manager.query_offset("cg1", "T", 0), 2);

        assert!(manager.remove_offset("cg1"));
        assert!(!manager.remove_offset("cg1"));
        assert_eq!(manager.query_offset("cg1", "T", 1), -1);
        assert_eq!(manager.query_pull_offset("cg1", "T", 0), -1);
        assert_eq!(
            manager.groups_by_topic("T"),
            BTreeSet::from(["cg2".to_string()])
        );
        // Removing group "cg" does not touch "cg2" (exact match, not substring).
        assert!(!manager.remove_offset("cg"));
        assert_eq!(manager.query_offset("cg2", "T", 0), 3);

        manager.clone_offset("cg2", "cg3", "T");
        assert_eq!(manager.query_offset("cg3", "T", 0), 3);
        manager.clean_offset_by_topic("T");
        assert!(manager.offset_table().is_empty());
        // In memory only: persist is a no-op.
        manager.persist().unwrap();
    }
}
