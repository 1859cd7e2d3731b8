//! `check_consistency`: commit log, consume queues and index agree.

use std::collections::HashMap;

use plugin_api::message::record::{parse_record, sysflag, RecordParse};
use plugin_api::message::DispatchProperties;

use super::recovery::walk_commit_log;
use super::reput::compute_tags_code;
use super::{DefaultMessageStore, StoreError, StoreInner};

/// What [`check_consistency`](super::DefaultMessageStore::check_consistency) verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsistencyReport {
    /// Valid commit-log records walked.
    pub records: u64,
    /// Consume-queue entries verified against their records.
    pub consume_queue_entries: u64,
    /// Index keys looked up.
    pub index_keys_checked: u64,
    /// Commit-log bytes not yet dispatched (not checked).
    pub undispatched_bytes: i64,
}

const MAX_PROBLEMS: usize = 50;

impl StoreInner {
    pub(crate) fn check_consistency(&self) -> Result<ConsistencyReport, StoreError> {
        self.reput_until_caught_up()?;
        let mut report = ConsistencyReport::default();
        let mut problems: Vec<String> = Vec::new();
        let mut problem = |p: String| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(p);
            }
        };
        let dispatched = self.reput.reput_from();
        report.undispatched_bytes = (self.commit_log.max_offset() - dispatched).max(0);
        let files = self.commit_log.files().files();
        let index_from = self.index.as_ref().and_then(|i| i.covered_from());
        let mut per_queue: HashMap<(String, i32), u64> = HashMap::new();

        // Every dispatched record is in its queue and in the index.
        let walked = walk_commit_log(&files, 0, true, Some(dispatched), |view| {
            let h = &view.header;
            let topic = String::from_utf8_lossy(view.topic).into_owned();
            let props = String::from_utf8_lossy(view.properties);
            let dp = DispatchProperties::scan(&props);
            if sysflag::is_dispatched_to_queue(h.sys_flag) {
                *per_queue.entry((topic.clone(), h.queue_id)).or_default() += 1;
                let code = compute_tags_code(
                    &topic,
                    dp.tags,
                    dp.delay,
                    h.store_timestamp,
                    &self.config.message_delay_level_millis,
                );
                match self.find_cq(&topic, h.queue_id) {
                    None => problem(format!(
                        "record at {} ({topic}/{} offset {}) has no consume queue",
                        h.physical_offset, h.queue_id, h.queue_offset
                    )),
                    Some(cq) => {
                        if h.queue_offset >= cq.min_offset_in_queue() {
                            match cq.entry(h.queue_offset) {
                                None => problem(format!(
                                    "record at {} ({topic}/{} offset {}) missing from its consume queue (max {})",
                                    h.physical_offset,
                                    h.queue_id,
                                    h.queue_offset,
                                    cq.max_offset_in_queue()
                                )),
                                Some(e) => {
                                    if e.phy_offset != h.physical_offset
                                        || e.size != h.total_size
                                        || e.tags_code != code
                                    {
                                        problem(format!(
                                            "{topic}/{} offset {}: entry {e:?} but the record is at {} size {} tags {code}",
                                            h.queue_id, h.queue_offset, h.physical_offset, h.total_size
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let (Some(index), Some(from)) = (&self.index, index_from) {
                let rollback =
                    sysflag::transaction_type(h.sys_flag) == sysflag::TRANSACTION_ROLLBACK_TYPE;
                if h.physical_offset >= from && !rollback {
                    let keys = dp
                        .uniq_key
                        .into_iter()
                        .chain(dp.keys.into_iter().flat_map(|k| k.split(' ')))
                        .filter(|k| !k.is_empty());
                    for key in keys {
                        report.index_keys_checked += 1;
                        let found = index.query(&topic, key, usize::MAX, 0, i64::MAX);
                        if !found.phy_offsets.contains(&h.physical_offset) {
                            problem(format!(
                                "index misses {topic}#{key} -> {}",
                                h.physical_offset
                            ));
                        }
                    }
                }
            }
            Ok(())
        })?;
        report.records = walked.records;
        if walked.process_offset < dispatched && !walked.ended_at_blank {
            problem(format!(
                "commit log valid only up to {} but dispatched up to {dispatched}",
                walked.process_offset
            ));
        }

        // Every consume-queue entry points at its record.
        let min_phy = self.commit_log.min_offset();
        for cq in self.all_cqs() {
            let (min, max) = (cq.min_offset_in_queue(), cq.max_offset_in_queue());
            let mut seen = 0u64;
            for offset in min..max {
                let Some(e) = cq.entry(offset) else {
                    problem(format!(
                        "{}/{} offset {offset} unreadable (min {min}, max {max})",
                        cq.topic(),
                        cq.queue_id()
                    ));
                    continue;
                };
                report.consume_queue_entries += 1;
                if e.is_blank() {
                    problem(format!(
                        "{}/{} offset {offset} is a blank filler inside [min, max)",
                        cq.topic(),
                        cq.queue_id()
                    ));
                    continue;
                }
                if e.phy_offset < min_phy {
                    continue;
                }
                seen += 1;
                let ok = match self.commit_log.locate(e.phy_offset, e.size.max(0) as usize) {
                    None => false,
                    Some((f, p)) => match f.slice(p, e.size as usize).map(parse_record) {
                        Some(RecordParse::Message(v)) => {
                            v.size() == e.size as usize
                                && v.topic == cq.topic().as_bytes()
                                && v.header.queue_id == cq.queue_id()
                                && v.header.queue_offset == offset
                                && v.header.physical_offset == e.phy_offset
                        }
                        _ => false,
                    },
                };
                if !ok {
                    problem(format!(
                        "{}/{} offset {offset}: entry {e:?} does not point at its record",
                        cq.topic(),
                        cq.queue_id()
                    ));
                }
            }
            let walked = per_queue
                .get(&(cq.topic().to_owned(), cq.queue_id()))
                .copied()
                .unwrap_or(0);
            if seen > walked {
                problem(format!(
                    "{}/{}: {seen} consume-queue entries but {walked} records",
                    cq.topic(),
                    cq.queue_id()
                ));
            }
        }
        if problems.is_empty() {
            Ok(report)
        } else {
            Err(StoreError::Inconsistent { problems })
        }
    }
}

impl DefaultMessageStore {
    /// Verifies that commit log, consume queues and index agree: every
    /// consume-queue entry points at a valid record of that topic, queue and
    /// offset; every dispatched record below the max is in its queue; the
    /// index finds every KEYS / UNIQ_KEY of the indexed range. Dispatches
    /// first. `Err(Inconsistent)` lists the problems.
    pub fn check_consistency(&self) -> Result<ConsistencyReport, StoreError> {
        self.inner.check_consistency()
    }
}
