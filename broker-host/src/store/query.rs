//! Lookups that read without pulling: queue offsets, offsets by time,
//! store times, a record by its commit-log offset, the key index
//! (QUERY_MESSAGE) and the commit log's bounds.

use plugin_api::message::properties::find_property;
use plugin_api::message::record::{parse_record, pos, read_i32, read_i64, RecordParse};

use super::{BoundaryType, DefaultMessageStore, QueryMessageResult, StoreInner};

impl StoreInner {
    /// Store timestamp of the record at `phy` (reads its SYSFLAG for the position).
    fn pickup_store_timestamp(&self, phy: i64, size: i32) -> Option<i64> {
        let size = usize::try_from(size).ok()?;
        let (f, p) = self.commit_log.locate(phy, size)?;
        let rec = f.slice(p, size)?;
        let sys_flag = read_i32(rec, pos::SYS_FLAG)?;
        read_i64(rec, pos::store_timestamp(sys_flag))
    }
}

impl DefaultMessageStore {
    /// Next offset to be written in the queue (0 if unknown).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|cq| cq.max_offset_in_queue())
            .unwrap_or(0)
    }

    /// First readable offset of the queue (0 if unknown).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.inner
            .find_cq(topic, queue_id)
            .map(|cq| cq.min_offset_in_queue())
            .unwrap_or(0)
    }

    /// First offset whose store time is `>= timestamp` (binary search,
    /// `getOffsetInQueueByTime` with BoundaryType.LOWER); the max offset if
    /// every message is older.
    pub fn offset_in_queue_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        self.offset_in_queue_by_time_bounded(topic, queue_id, timestamp, BoundaryType::Lower)
    }

    /// `getOffsetInQueueByTime(topic, queueId, timestamp, boundaryType)`:
    /// LOWER is the first offset whose store time is `>= timestamp`, UPPER
    /// the last one whose store time is `<= timestamp` (so a run of messages
    /// stored in the same millisecond is included whole either way), both
    /// clamped to `[min, max]` as Java's `ConsumeQueueStore` does: LOWER
    /// answers the max offset when every message is older, UPPER the min
    /// offset when every message is newer. 0 for an unknown queue.
    /// Entries whose record is gone (below the commit log's min offset, or
    /// unreadable) count as older, as in Java's binary search.
    pub fn offset_in_queue_by_time_bounded(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let Some(cq) = self.inner.find_cq(topic, queue_id) else {
            return 0;
        };
        let min_phy = self.inner.commit_log.min_offset();
        let (min, max) = (cq.min_offset_in_queue(), cq.max_offset_in_queue());
        // The first offset past the boundary: LOWER's answer, one after UPPER's.
        let before = |t: i64| match boundary {
            BoundaryType::Lower => t < timestamp,
            BoundaryType::Upper => t <= timestamp,
        };
        let (mut lo, mut hi) = (min, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let older = match cq.entry(mid) {
                Some(e) if !e.is_blank() && e.phy_offset >= min_phy => self
                    .inner
                    .pickup_store_timestamp(e.phy_offset, e.size)
                    .is_none_or(before),
                _ => true,
            };
            if older {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let offset = match boundary {
            BoundaryType::Lower => lo,
            BoundaryType::Upper => lo - 1,
        };
        offset.max(min).min(max)
    }

    /// `checkInMemByConsumeOffset(topic, queueId, offset, 1)`: whether the
    /// queue has an entry at `consume_offset` whose record is still in the
    /// commit log and in memory. "In memory" is the estimate the pull path
    /// uses (within `accessMessageInMemoryMaxRatio` of physical memory from
    /// the commit log's end), not Java's page-cache probe: this store gives
    /// the pages further back than `commitLogResidentBytes` to the kernel by
    /// its own policy (`store::residency`), pages Java's broker would still
    /// have cached, and that policy must not decide where a new consumer
    /// group starts (QUERY_CONSUMER_OFFSET).
    pub fn check_in_mem_by_consume_offset(
        &self,
        topic: &str,
        queue_id: i32,
        consume_offset: i64,
    ) -> bool {
        let inner = &self.inner;
        let Some(entry) = inner
            .find_cq(topic, queue_id)
            .and_then(|cq| cq.entry(consume_offset))
        else {
            return false;
        };
        let Ok(size) = usize::try_from(entry.size) else {
            return false;
        };
        if entry.is_blank() || inner.commit_log.locate(entry.phy_offset, size).is_none() {
            return false;
        }
        inner.in_memory(inner.commit_log.max_offset(), entry.phy_offset)
    }

    /// Store time of the queue's first readable message.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        self.message_store_time(topic, queue_id, cq.min_offset_in_queue())
    }

    /// Store time of the message at `consume_offset`.
    pub fn message_store_time(
        &self,
        topic: &str,
        queue_id: i32,
        consume_offset: i64,
    ) -> Option<i64> {
        let cq = self.inner.find_cq(topic, queue_id)?;
        let e = cq.entry(consume_offset)?;
        if e.is_blank() {
            return None;
        }
        self.inner.pickup_store_timestamp(e.phy_offset, e.size)
    }

    /// The raw record at `phy_offset` (reads TOTALSIZE, then the record).
    pub fn look_message_by_offset(&self, phy_offset: i64) -> Option<Vec<u8>> {
        let (f, p) = self.inner.commit_log.locate(phy_offset, 8)?;
        let size = f.read_i32(p)?;
        let size = usize::try_from(size).ok().filter(|s| *s >= 8)?;
        let bytes = self.inner.commit_log.read(phy_offset, size)?;
        match parse_record(&bytes) {
            RecordParse::Message(_) => Some(bytes),
            _ => None,
        }
    }

    /// Index lookup of `topic#key` (KEYS or UNIQ_KEY) for messages stored in
    /// `[begin, end]` (epoch ms): at most `min(max_num, maxMsgsNumBatch)`
    /// records (the newest hits, newest index file first), returned in
    /// commit-log order, oldest first, as Java's `queryMessage` sorts the
    /// offsets (`Collections.sort`) before reading; records whose topic and
    /// keys do not match (hash collisions) are left out.
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> QueryMessageResult {
        let inner = &self.inner;
        let Some(index) = &inner.index else {
            return QueryMessageResult::default();
        };
        let max = (max_num.max(1) as usize).min(inner.config.max_msgs_num_batch.max(1));
        let mut found = index.query(topic, key, max, begin, end);
        found.phy_offsets.sort_unstable();
        let mut result = QueryMessageResult {
            body: Vec::new(),
            message_count: 0,
            index_last_update_timestamp: found.index_last_update_timestamp,
            index_last_update_phyoffset: found.index_last_update_phyoffset,
        };
        for phy in found.phy_offsets {
            let Some(bytes) = self.look_message_by_offset(phy) else {
                continue;
            };
            let matches = match parse_record(&bytes) {
                RecordParse::Message(v) => {
                    let props = String::from_utf8_lossy(v.properties);
                    v.topic == topic.as_bytes()
                        && (find_property(&props, plugin_api::message::properties::UNIQ_KEY)
                            == Some(key)
                            || find_property(&props, plugin_api::message::properties::KEYS)
                                .is_some_and(|k| k.split(' ').any(|k| k == key)))
                }
                _ => false,
            };
            if matches {
                result.body.extend_from_slice(&bytes);
                result.message_count += 1;
            }
        }
        result
    }

    /// `getEarliestMessageTime`: the store time of the first record in the
    /// commit log, -1 without one.
    pub fn earliest_message_time_overall(&self) -> i64 {
        // Java reads MESSAGE_STORE_TIMESTAMP_POSITION + 8 bytes (IPv4) and
        // answers -1 unless they are below the max offset.
        let size: i32 = if self.inner.config.store_host.is_ipv6() {
            76
        } else {
            64
        };
        let min = self.min_phy_offset();
        if min < 0 || min + size as i64 > self.max_phy_offset() {
            return -1;
        }
        self.inner.pickup_store_timestamp(min, size).unwrap_or(-1)
    }

    /// Start of the first commit-log file; -1 without files (Java).
    pub fn min_phy_offset(&self) -> i64 {
        self.inner.commit_log.min_offset()
    }

    /// End of the last record.
    pub fn max_phy_offset(&self) -> i64 {
        self.inner.commit_log.max_offset()
    }
}
