//! Consumer offsets: committed offsets and the pull positions the consume
//! statistics report.

/// Consumer-group offsets (RocketMQ `ConsumerOffsetManager`), kept and
/// persisted by the host.
pub trait ConsumerOffsets: Send + Sync {
    /// Committed offset of (group, topic, queue), if any.
    fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64>;

    /// Commits an offset (persisted by the host on its schedule).
    fn commit(&self, client_host: &str, group: &str, topic: &str, queue_id: i32, offset: i64);

    /// Records where `group`'s next pull of the queue starts (the pull's
    /// `nextBeginOffset`, Java's `commitPullOffset`); in memory only.
    fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64);

    /// The offset `group` last pulled up to in the queue, else its committed
    /// offset, else `None`.
    fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64>;

    /// Topics in which `group` has committed offsets (`whichTopicByConsumer`), sorted.
    fn topics_of_group(&self, group: &str) -> Vec<String>;
}
