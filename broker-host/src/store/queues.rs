//! The consume-queue table, (topic, queue id) → [`ConsumeQueue`]: lookup,
//! creation on first dispatch, and deletion of a topic's queues.

use crate::FastMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::consume_queue::ConsumeQueue;
use super::{DefaultMessageStore, StoreInner};

pub(crate) type CqTable = FastMap<String, FastMap<i32, Arc<ConsumeQueue>>>;

impl StoreInner {
    pub(super) fn find_cq(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.consume_queues
            .read()
            .get(topic)
            .and_then(|q| q.get(&queue_id))
            .cloned()
    }

    pub(super) fn find_or_create_cq(&self, topic: &str, queue_id: i32) -> Arc<ConsumeQueue> {
        if let Some(cq) = self.find_cq(topic, queue_id) {
            return cq;
        }
        let mut table = self.consume_queues.write();
        table
            .entry(topic.to_owned())
            .or_default()
            .entry(queue_id)
            .or_insert_with(|| {
                Arc::new(ConsumeQueue::new(
                    self.io.clone(),
                    self.config.consume_queue_path(topic, queue_id),
                    topic,
                    queue_id,
                    self.config.mapped_file_size_consume_queue,
                ))
            })
            .clone()
    }

    pub(super) fn all_cqs(&self) -> Vec<Arc<ConsumeQueue>> {
        self.consume_queues
            .read()
            .values()
            .flat_map(|q| q.values().cloned())
            .collect()
    }
}

impl DefaultMessageStore {
    /// Deletes a topic's consume queues (files and directory) and its queue
    /// offsets (`DefaultMessageStore.deleteTopics`); its records stay in the
    /// commit log until expired. Returns how many queues were deleted.
    pub fn delete_topic(&self, topic: &str) -> usize {
        let inner = &self.inner;
        let removed = inner.consume_queues.write().remove(topic);
        inner.cq_generation.fetch_add(1, Ordering::AcqRel);
        inner.commit_log.remove_topic(topic);
        let Some(queues) = removed else {
            return 0;
        };
        for cq in queues.values() {
            if let Err(e) = cq.destroy() {
                tracing::warn!(
                    topic,
                    queue_id = cq.queue_id(),
                    "cannot delete a consume queue: {e}"
                );
            }
        }
        let dir = inner.config.consume_queue_dir().join(topic);
        if let Err(e) = inner.io.remove_dir_all(&dir) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(topic, "cannot remove {}: {e}", dir.display());
            }
        }
        tracing::info!(
            topic,
            queues = queues.len(),
            "deleted the topic's consume queues"
        );
        queues.len()
    }
}
