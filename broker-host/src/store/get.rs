//! The read path (Java's `DefaultMessageStore.getMessage`): consume-queue
//! entries from an offset, their records from the commit log, batch limits
//! and the next offset to pull from.

use super::{
    stats, DefaultMessageStore, GetMessageResult, GetMessageStatus, MessageFilter, StoreInner,
};

/// Cap of one pull's bytes (5.x `MAX_PULL_MSG_SIZE`).
pub const MAX_PULL_MSG_SIZE: i64 = 128 * 1024 * 1024;

impl StoreInner {
    pub(super) fn in_memory(&self, max_py: i64, offset_py: i64) -> bool {
        max_py - offset_py <= self.memory_window
    }

    fn next_offset_correction(&self, old: i64, new: i64) -> i64 {
        if self.config.broker_role != crate::config::BrokerRole::Slave
            || self.config.offset_check_in_slave
        {
            new
        } else {
            old
        }
    }
}

impl DefaultMessageStore {
    /// Reads up to `max_msg_nums` records of (topic, queue) from `offset`,
    /// with the statuses and next offsets of Java's `getMessage` and its
    /// batch limits (`maxMsgNums`, in-memory 32 msgs / 256 KiB, on-disk 8 / 64 KiB, the
    /// first message always taken, `max(16000, maxMsgNums×20)` consume-queue
    /// bytes scanned, `max_total_bytes` capped at 128 MiB). `group` is
    /// informational.
    #[allow(clippy::too_many_arguments)]
    pub fn get_message(
        &self,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: i32,
        filter: &MessageFilter,
    ) -> GetMessageResult {
        let _ = group;
        let begin = stats::coarse_millis();
        let result = self.read_messages(
            topic,
            queue_id,
            offset,
            max_msg_nums,
            max_total_bytes,
            filter,
        );
        self.inner.stats.record_get(
            topic,
            result.status == GetMessageStatus::Found,
            result.message_count.max(0) as u64,
            stats::coarse_millis() - begin,
        );
        result
    }

    fn read_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        max_total_bytes: i32,
        filter: &MessageFilter,
    ) -> GetMessageResult {
        let inner = &self.inner;
        let cfg = &inner.config;
        let mut result = GetMessageResult {
            status: GetMessageStatus::NoMessageInQueue,
            next_begin_offset: offset,
            min_offset: 0,
            max_offset: 0,
            body: Vec::new(),
            message_count: 0,
            suggest_pulling_from_slave: false,
        };
        let Some(cq) = inner.find_cq(topic, queue_id) else {
            // Java 5.x reads through findOrCreateConsumeQueue: a queue nobody
            // wrote to yet exists there, empty (maxOffset 0), so the answer
            // is NO_MESSAGE_IN_QUEUE, not NO_MATCHED_LOGIC_QUEUE. The queue
            // is not created here: an empty one answers the same, and a read
            // should not add queues to the store.
            result.next_begin_offset = inner.next_offset_correction(offset, 0);
            return result;
        };
        let min = cq.min_offset_in_queue();
        let max = cq.max_offset_in_queue();
        result.min_offset = min;
        result.max_offset = max;
        if max == 0 {
            result.status = GetMessageStatus::NoMessageInQueue;
            result.next_begin_offset = inner.next_offset_correction(offset, 0);
        } else if offset < min {
            result.status = GetMessageStatus::OffsetTooSmall;
            result.next_begin_offset = inner.next_offset_correction(offset, min);
        } else if offset == max {
            result.status = GetMessageStatus::OffsetOverflowOne;
            result.next_begin_offset = inner.next_offset_correction(offset, offset);
        } else if offset > max {
            result.status = GetMessageStatus::OffsetOverflowBadly;
            result.next_begin_offset = inner.next_offset_correction(offset, max);
        } else {
            let max_msg_nums = max_msg_nums.max(0) as usize;
            let max_filter_bytes = cfg.max_filter_message_size.max(max_msg_nums * 20) as i64;
            // 0 (or less) = no byte limit from the client: the store's cap.
            let max_pull = if max_total_bytes <= 0 {
                MAX_PULL_MSG_SIZE
            } else {
                (max_total_bytes as i64).clamp(100, MAX_PULL_MSG_SIZE)
            };
            let max_py = inner.commit_log.max_offset();
            let mut status = GetMessageStatus::NoMatchedMessage;
            let mut next = offset;
            let mut max_phy_pulling = 0i64;
            let mut count = 0usize;
            match cq.entries_from(offset) {
                None => {
                    status = GetMessageStatus::OffsetFoundNull;
                    next = inner.next_offset_correction(offset, cq.roll_next_file(offset));
                    tracing::warn!(
                        "consume queue {topic}/{queue_id}: offset {offset} (min {min}, max {max}) unreadable; next {next}"
                    );
                }
                Some(slice) => {
                    if let Some((_, first)) = slice.iter().next() {
                        inner.read_ahead_released(first.phy_offset, max_py);
                    }
                    let mut next_phy_file_start = i64::MIN;
                    for (q_off, e) in slice.iter() {
                        if next >= max {
                            break;
                        }
                        if (q_off - offset) * 20 >= max_filter_bytes {
                            break;
                        }
                        let size = e.size.max(0) as usize;
                        let in_mem = inner.in_memory(max_py, e.phy_offset);
                        let total = result.body.len();
                        if total > 0 && count > 0 {
                            let full = count + 1 > max_msg_nums
                                || (total + size) as i64 > max_pull
                                || if in_mem {
                                    total + size > cfg.max_transfer_bytes_on_message_in_memory
                                        || count >= cfg.max_transfer_count_on_message_in_memory
                                } else {
                                    total + size > cfg.max_transfer_bytes_on_message_in_disk
                                        || count >= cfg.max_transfer_count_on_message_in_disk
                                };
                            if full {
                                break;
                            }
                        }
                        if total as i64 >= max_pull {
                            break;
                        }
                        max_phy_pulling = e.phy_offset;
                        next = q_off + 1;
                        if next_phy_file_start != i64::MIN && e.phy_offset < next_phy_file_start {
                            continue;
                        }
                        if !filter.matches_code(e.tags_code) {
                            if result.body.is_empty() {
                                status = GetMessageStatus::NoMatchedMessage;
                            }
                            continue;
                        }
                        let before = result.body.len();
                        if e.is_blank()
                            || !inner
                                .commit_log
                                .read_into(e.phy_offset, size, &mut result.body)
                        {
                            if result.body.is_empty() {
                                status = GetMessageStatus::MessageWasRemoving;
                            }
                            next_phy_file_start = inner.commit_log.roll_next_file(e.phy_offset);
                            continue;
                        }
                        if !filter.matches_record(&result.body[before..]) {
                            result.body.truncate(before);
                            if result.body.is_empty() {
                                status = GetMessageStatus::NoMatchedMessage;
                            }
                            continue;
                        }
                        count += 1;
                        status = GetMessageStatus::Found;
                        next_phy_file_start = i64::MIN;
                    }
                }
            }
            result.status = status;
            result.next_begin_offset = next;
            result.message_count = count as i32;
            result.suggest_pulling_from_slave = max_py - max_phy_pulling > inner.memory_window;
        }
        result
    }
}
