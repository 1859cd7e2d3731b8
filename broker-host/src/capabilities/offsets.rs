//! Consumer offsets, over the host's `consumerOffset.json` manager.

use plugin_api::sdk::ConsumerOffsets;

use super::BrokerServices;

impl ConsumerOffsets for BrokerServices {
    fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let offset = self
            .inner
            .metadata
            .consumer_offsets()
            .query_offset(group, topic, queue_id);
        (offset >= 0).then_some(offset)
    }

    fn commit(&self, client_host: &str, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.inner.metadata.consumer_offsets().commit_offset(
            client_host,
            group,
            topic,
            queue_id,
            offset,
        )
    }

    fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.inner
            .metadata
            .consumer_offsets()
            .commit_pull_offset(group, topic, queue_id, offset)
    }

    fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let offset = self
            .inner
            .metadata
            .consumer_offsets()
            .query_pull_offset(group, topic, queue_id);
        (offset >= 0).then_some(offset)
    }

    fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.inner
            .metadata
            .consumer_offsets()
            .topics_by_group(group)
            .into_iter()
            .collect()
    }
}
