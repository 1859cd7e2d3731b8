//! The consume-queue table, (topic, queue id) → [`ConsumeQueue`]: lookup,
//! creation on first dispatch, deletion of a topic's queues, and the two
//! clean-ups mqadmin asks for (expired queues, queues of unknown topics).

use crate::FastMap;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::consume_queue::ConsumeQueue;
use super::{DefaultMessageStore, StoreInner};
use plugin_api::topics::is_system_topic;

/// `MixAll.LMQ_PREFIX`: light message queues, never cleaned as unused.
const LMQ_PREFIX: &str = "%LMQ%";

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

impl DefaultMessageStore {
    /// `ConsumeQueueStore.cleanExpired(commitLog.getMinOffset())`: destroys
    /// every consume queue, system topics left out, whose last entry ends
    /// below the commit log's first offset (all its messages are gone),
    /// forgets its queue offset, and drops a topic left without queues.
    /// Returns how many queues were destroyed.
    pub fn clean_expired_consume_queues(&self) -> usize {
        let inner = &self.inner;
        let min_commit_log_offset = inner.commit_log.min_offset();
        let mut destroyed = Vec::new();
        {
            let mut table = inner.consume_queues.write();
            for (topic, queues) in table.iter_mut() {
                if is_system_topic(topic) {
                    continue;
                }
                queues.retain(|queue_id, cq| {
                    let last = cq.max_physic_offset();
                    if last == -1 {
                        tracing::warn!(
                            topic = %topic,
                            queue_id,
                            "maybe ConsumeQueue was created just now"
                        );
                        true
                    } else if last < min_commit_log_offset {
                        tracing::info!(
                            topic = %topic,
                            queue_id,
                            min_commit_log_offset,
                            max_cl_offset_in_consume_queue = last,
                            "cleanExpiredConsumerQueue: consumer queue destroyed"
                        );
                        destroyed.push(cq.clone());
                        false
                    } else {
                        true
                    }
                });
            }
            table.retain(|topic, queues| {
                if queues.is_empty() {
                    tracing::info!(topic = %topic, "cleanExpiredConsumerQueue: topic destroyed");
                    false
                } else {
                    true
                }
            });
            inner.cq_generation.fetch_add(1, Ordering::AcqRel);
        }
        for cq in &destroyed {
            inner.commit_log.remove_queue(cq.topic(), cq.queue_id());
            if let Err(e) = cq.destroy() {
                tracing::warn!(
                    topic = cq.topic(),
                    queue_id = cq.queue_id(),
                    "cannot delete an expired consume queue: {e}"
                );
            }
            let dir = inner.config.consume_queue_path(cq.topic(), cq.queue_id());
            if let Err(e) = inner.io.remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!("cannot remove {}: {e}", dir.display());
                }
            }
        }
        destroyed.len()
    }

    /// `DefaultMessageStore.cleanUnusedTopic(retainTopics)`: deletes the
    /// consume queues of every topic not in `retain_topics`, except system
    /// and LMQ topics ([`Self::delete_topic`]). Returns how many queues were
    /// deleted.
    pub fn clean_unused_topics(&self, retain_topics: &HashSet<String>) -> usize {
        let unused: Vec<String> = self
            .inner
            .consume_queues
            .read()
            .keys()
            .filter(|topic| {
                !retain_topics.contains(*topic)
                    && !is_system_topic(topic)
                    && !topic.starts_with(LMQ_PREFIX)
            })
            .cloned()
            .collect();
        unused.iter().map(|topic| self.delete_topic(topic)).sum()
    }
}
