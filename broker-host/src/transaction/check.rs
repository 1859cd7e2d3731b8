//! One check of the half queues: Java's `TransactionalMessageServiceImpl`
//! `check`, `fillOpRemoveMap`, `checkPrepareQueueOffset`, `needDiscard`,
//! `needSkip`, `putBackHalfMsgQueue` and `calculateOpOffset`, with the
//! bridge's reads and offset commits (`TransactionalMessageBridge`) and the
//! listener's check request and discard
//! (`AbstractTransactionalMessageCheckListener.sendCheckMessage`,
//! `DefaultTransactionalMessageCheckListener.resolveDiscardMsg`).
//!
//! Two things differ from Java, both to keep a committed message from
//! being committed twice after a crash; neither changes what a client
//! sees otherwise:
//! - the check requests of a pass are sent after the pass has committed
//!   and persisted its progress (Java sends each at once from a thread pool
//!   and persists offsets every `flushConsumerOffsetInterval`): after a
//!   kill -9, a half already asked about is never asked about again under
//!   its old offset;
//! - within a pass, a second copy of a half (same UNIQ_KEY) after one just
//!   renewed is passed over (such copies exist when a crash came between a
//!   renewal and the persisting of the offsets).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use plugin_api::codec::{ExtFields, RemotingCommand};
use plugin_api::codes::request_code;
use plugin_api::message::properties as prop;
use plugin_api::message::transaction::{
    self, CHECK_GROUP, REMOVE_TAG, TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
};
use plugin_api::message::{decode_records, MessageRecord, Properties, MESSAGE_MAGIC_CODE};
use plugin_api::topics::perm;

use super::{CheckConfig, CheckSender};
use crate::clock::now_millis;
use crate::metadata::{ConsumerOffsetManager, MetadataStore, TopicConfig, TopicConfigManager};
use crate::store::{
    DefaultMessageStore, GetMessageStatus, MessageFilter, MessageToStore, PutMessageStatus,
};

/// Longest one queue is checked per pass (`MAX_PROCESS_TIME_LIMIT`).
const MAX_PROCESS_TIME_LIMIT: i64 = 60_000;
/// Op records read at a time (`OP_MSG_PULL_NUMS`).
const OP_MSG_PULL_NUMS: i32 = 32;
/// Pause when a half waits for op records that are not there yet
/// (`SLEEP_WHILE_NO_OP`).
const SLEEP_WHILE_NO_OP: Duration = Duration::from_millis(1000);
/// Missing halves tolerated before a pass ends (`MAX_RETRY_COUNT_WHEN_HALF_NULL`).
const MAX_RETRY_COUNT_WHEN_HALF_NULL: i32 = 1;

/// `PullStatus`, from the store's answer as the bridge maps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullStatus {
    Found,
    NoNewMsg,
    NoMatchedMsg,
    OffsetIllegal,
}

/// A read from the half or op queue (`PullResult`).
#[derive(Debug)]
struct Pulled {
    status: PullStatus,
    next_begin_offset: i64,
    /// `getMsgFoundList`: `None` unless FOUND.
    messages: Option<Vec<MessageRecord>>,
}

/// A half asked about at the end of the pass.
struct PendingCheck {
    group: Option<String>,
    request: RemotingCommand,
}

/// The state of one pass over one half queue.
#[derive(Default)]
struct OpState {
    /// Half offset → the op record's offset that resolved it.
    remove_map: HashMap<i64, i64>,
    /// Op record offset → the half offsets it names, not yet passed.
    op_msg_map: HashMap<i64, HashSet<i64>>,
    /// Op records fully used.
    done_op_offsets: Vec<i64>,
}

/// The check: store, offsets and the way to the producers.
pub struct Checker {
    store: Arc<DefaultMessageStore>,
    offsets: Arc<ConsumerOffsetManager>,
    topics: Arc<TopicConfigManager>,
    sender: Arc<dyn CheckSender>,
    config: CheckConfig,
}

impl Checker {
    /// A checker over the broker's store and metadata.
    pub fn new(
        store: Arc<DefaultMessageStore>,
        metadata: Arc<MetadataStore>,
        sender: Arc<dyn CheckSender>,
        config: CheckConfig,
    ) -> Checker {
        Checker {
            store,
            offsets: metadata.consumer_offsets().clone(),
            topics: metadata.topics().clone(),
            sender,
            config,
        }
    }

    /// One pass over every half queue; `stopped` ends it early (shutdown).
    pub fn check(&self, stopped: &dyn Fn() -> bool) {
        let rw = perm::READ | perm::WRITE;
        // `fetchMessageQueues` → `selectTopicConfig`: created if absent.
        let half_topic = self
            .topics
            .create_topic_if_absent(TopicConfig::new(TRANS_HALF_TOPIC).with_queues(1, rw));
        if half_topic.read_queue_nums <= 0 {
            tracing::warn!("The queue of topic is empty :{TRANS_HALF_TOPIC}");
            return;
        }
        for queue_id in 0..half_topic.read_queue_nums {
            if stopped() {
                return;
            }
            self.check_queue(queue_id, stopped);
        }
    }

    fn check_queue(&self, queue_id: i32, stopped: &dyn Fn() -> bool) {
        let timeout = self.config.transaction_timeout;
        let start = now_millis();
        let half_offset = self.fetch_consume_offset(TRANS_HALF_TOPIC, queue_id);
        let op_offset = self.fetch_consume_offset(TRANS_OP_HALF_TOPIC, queue_id);
        tracing::debug!(
            queue_id,
            half_offset,
            op_offset,
            "Before check, the queue={TRANS_HALF_TOPIC}:{queue_id}"
        );
        if half_offset < 0 || op_offset < 0 {
            tracing::error!(
                queue_id,
                half_offset,
                op_offset,
                "MessageQueue: illegal offset read, skip this queue"
            );
            return;
        }
        let mut ops = OpState::default();
        let mut pull = self.fill_op_remove_map(&mut ops, queue_id, op_offset, half_offset);
        let mut get_message_null_count = 1;
        let mut new_offset = half_offset;
        let mut i = half_offset;
        let mut checks = Vec::new();
        let mut renewed_ids: HashSet<String> = HashSet::new();
        let mut discarded = 0usize;
        loop {
            if now_millis() - start > MAX_PROCESS_TIME_LIMIT {
                tracing::info!(
                    queue_id,
                    "Queue process time reach max={MAX_PROCESS_TIME_LIMIT}"
                );
                break;
            }
            if stopped() {
                break;
            }
            if let Some(op) = ops.remove_map.remove(&i) {
                tracing::debug!(offset = i, "Half offset has been committed/rolled back");
                if let Some(set) = ops.op_msg_map.get_mut(&op) {
                    set.remove(&i);
                    if set.is_empty() {
                        ops.op_msg_map.remove(&op);
                        ops.done_op_offsets.push(op);
                    }
                }
            } else {
                let (half_pull, half) = self.get_half(queue_id, i);
                let Some(half) = half else {
                    let count = get_message_null_count;
                    get_message_null_count += 1;
                    if count > MAX_RETRY_COUNT_WHEN_HALF_NULL
                        || half_pull.status == PullStatus::NoNewMsg
                    {
                        break;
                    }
                    tracing::info!(
                        offset = i,
                        next = half_pull.next_begin_offset,
                        "Illegal offset, the miss offset in the half queue; continue check"
                    );
                    i = half_pull.next_begin_offset;
                    new_offset = i;
                    continue;
                };
                let uniq_key = half.property(prop::UNIQ_KEY).map(str::to_owned);
                // (A copy renewed by this pass is stored after its start:
                // Java's "fresh stored" test below ends the pass there.)
                if half.header.store_timestamp < start
                    && uniq_key
                        .as_ref()
                        .is_some_and(|key| renewed_ids.contains(key))
                {
                    tracing::info!(
                        offset = i,
                        uniq_key = ?uniq_key,
                        "a second copy of a half renewed in this check; passed over"
                    );
                    new_offset = i + 1;
                    i += 1;
                    continue;
                }
                let mut properties = Properties::parse(&half.properties);
                let discard = need_discard(&mut properties, self.config.check_max);
                if discard || self.need_skip(&half) {
                    self.resolve_discard(&half, &properties.encode());
                    discarded += 1;
                    new_offset = i + 1;
                    i += 1;
                    continue;
                }
                if half.header.store_timestamp >= start {
                    tracing::debug!(offset = i, "Fresh stored. the miss offset, check it later");
                    break;
                }
                let age = now_millis() - half.header.born_timestamp;
                let mut immunity = timeout;
                let immunity_text = half
                    .property(prop::CHECK_IMMUNITY_TIME_IN_SECONDS)
                    .map(str::to_owned);
                if let Some(text) = &immunity_text {
                    immunity = transaction::check_immunity_millis(text, timeout);
                    if age < immunity
                        && self.check_prepare_queue_offset(&mut ops, &half, &mut properties)
                    {
                        new_offset = i + 1;
                        i += 1;
                        continue;
                    }
                } else if (0..immunity).contains(&age) {
                    tracing::debug!(offset = i, "New arrived, the miss offset, check it later");
                    break;
                }
                let op_messages = pull.messages.as_deref();
                let need_check = (op_messages.is_none() && age > immunity)
                    || op_messages
                        .and_then(|list| list.last())
                        .is_some_and(|last| last.header.born_timestamp - start > timeout)
                    || age <= -1;
                if need_check {
                    let Some(check) = self.put_back_half(&half, &properties) else {
                        // Java retries the same offset (until the time limit).
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    };
                    if let Some(key) = uniq_key {
                        renewed_ids.insert(key);
                    }
                    checks.push(check);
                } else {
                    let next_op_offset = pull.next_begin_offset;
                    pull = self.fill_op_remove_map(&mut ops, queue_id, next_op_offset, half_offset);
                    if pull.status != PullStatus::Found {
                        sleep_unless(SLEEP_WHILE_NO_OP, stopped);
                    } else {
                        tracing::info!(
                            offset = i,
                            next_op_offset,
                            half_offset,
                            "The miss message offset get more opMsg."
                        );
                    }
                    continue;
                }
            }
            new_offset = i + 1;
            i += 1;
        }
        if new_offset != half_offset {
            self.update_consume_offset(TRANS_HALF_TOPIC, queue_id, new_offset);
        }
        let new_op_offset = calculate_op_offset(&mut ops.done_op_offsets, op_offset);
        if new_op_offset != op_offset {
            self.update_consume_offset(TRANS_OP_HALF_TOPIC, queue_id, new_op_offset);
        }
        if !checks.is_empty() || discarded > 0 {
            // Durable progress before any producer hears of the renewed
            // halves (see the module's notes).
            if let Err(error) = self.offsets.persist() {
                tracing::error!(%error, "cannot persist consumerOffset.json after a transaction check");
            }
        }
        tracing::debug!(
            queue_id,
            new_offset,
            new_op_offset,
            checked = checks.len(),
            discarded,
            "After check, the queue={TRANS_HALF_TOPIC}:{queue_id}"
        );
        if stopped() {
            return;
        }
        for check in checks {
            self.send_check(check);
        }
    }

    /// `fetchConsumeOffset`: the committed offset of [`CHECK_GROUP`], or the
    /// queue's min offset.
    fn fetch_consume_offset(&self, topic: &str, queue_id: i32) -> i64 {
        match self.offsets.query_offset(CHECK_GROUP, topic, queue_id) {
            -1 => self.store.min_offset_in_queue(topic, queue_id),
            offset => offset,
        }
    }

    fn update_consume_offset(&self, topic: &str, queue_id: i32, offset: i64) {
        self.offsets.commit_offset(
            &self.config.store_host,
            CHECK_GROUP,
            topic,
            queue_id,
            offset,
        );
    }

    /// Reads up to `nums` records of a queue (`TransactionalMessageBridge.getMessage`).
    fn pull(&self, topic: &str, queue_id: i32, offset: i64, nums: i32) -> Pulled {
        let result = self.store.get_message(
            CHECK_GROUP,
            topic,
            queue_id,
            offset,
            nums,
            0,
            &MessageFilter::All,
        );
        let status = match result.status {
            GetMessageStatus::Found => PullStatus::Found,
            GetMessageStatus::NoMatchedMessage => PullStatus::NoMatchedMsg,
            GetMessageStatus::NoMessageInQueue | GetMessageStatus::OffsetOverflowOne => {
                PullStatus::NoNewMsg
            }
            GetMessageStatus::MessageWasRemoving
            | GetMessageStatus::NoMatchedLogicQueue
            | GetMessageStatus::OffsetFoundNull
            | GetMessageStatus::OffsetOverflowBadly
            | GetMessageStatus::OffsetTooSmall => PullStatus::OffsetIllegal,
        };
        let messages = (status == PullStatus::Found).then(|| decode_records(&result.body));
        Pulled {
            status,
            next_begin_offset: result.next_begin_offset,
            messages,
        }
    }

    /// The half at `offset` (`getHalfMsg`).
    fn get_half(&self, queue_id: i32, offset: i64) -> (Pulled, Option<MessageRecord>) {
        let mut pulled = self.pull(TRANS_HALF_TOPIC, queue_id, offset, 1);
        let half = pulled
            .messages
            .as_mut()
            .and_then(|messages| (!messages.is_empty()).then(|| messages.remove(0)));
        (pulled, half)
    }

    /// `fillOpRemoveMap`: reads op records from `op_offset` and notes the
    /// halves (at or after `min_half_offset`) they resolve.
    fn fill_op_remove_map(
        &self,
        ops: &mut OpState,
        queue_id: i32,
        op_offset: i64,
        min_half_offset: i64,
    ) -> Pulled {
        let pulled = self.pull(TRANS_OP_HALF_TOPIC, queue_id, op_offset, OP_MSG_PULL_NUMS);
        match pulled.status {
            PullStatus::OffsetIllegal | PullStatus::NoMatchedMsg => {
                tracing::warn!(
                    op_offset,
                    queue_id,
                    status = ?pulled.status,
                    "The miss op offset is illegal"
                );
                self.update_consume_offset(TRANS_OP_HALF_TOPIC, queue_id, pulled.next_begin_offset);
                return pulled;
            }
            PullStatus::NoNewMsg => return pulled,
            PullStatus::Found => {}
        }
        for op in pulled.messages.iter().flatten() {
            let op_offset = op.header.queue_offset;
            let mut set = HashSet::new();
            if op.tags() == Some(REMOVE_TAG) {
                for half_offset in transaction::op_offsets(&op.body) {
                    if half_offset < min_half_offset {
                        continue;
                    }
                    ops.remove_map.insert(half_offset, op_offset);
                    set.insert(half_offset);
                }
            } else {
                tracing::error!(op_offset, tags = ?op.tags(), "Found a illegal tag in opMessageExt");
            }
            if set.is_empty() {
                ops.done_op_offsets.push(op_offset);
            } else {
                ops.op_msg_map.insert(op_offset, set);
            }
        }
        pulled
    }

    /// `checkPrepareQueueOffset` for a half still within its check
    /// immunity: true when it is done with (its original was resolved, or
    /// it was renewed once more with TRAN_PREPARED_QUEUE_OFFSET).
    fn check_prepare_queue_offset(
        &self,
        ops: &mut OpState,
        half: &MessageRecord,
        properties: &mut Properties<'_>,
    ) -> bool {
        let prepared = properties
            .get(prop::TRAN_PREPARED_QUEUE_OFFSET)
            .map(|text| text.parse::<i64>().unwrap_or(-1));
        match prepared {
            Some(-1) => false,
            Some(original) => match ops.remove_map.remove(&original) {
                Some(op_offset) => {
                    ops.done_op_offsets.push(op_offset);
                    tracing::info!(
                        real_topic = ?half.property(prop::REAL_TOPIC),
                        uniq_key = ?half.property(prop::UNIQ_KEY),
                        offset = half.header.queue_offset,
                        "removeMap contain prepareQueueOffset"
                    );
                    true
                }
                None => self.put_immunity_back(half, properties),
            },
            None => self.put_immunity_back(half, properties),
        }
    }

    /// `putImmunityMsgBackToHalfQueue`: renewed with TRAN_PREPARED_QUEUE_OFFSET
    /// = the first copy's queue offset.
    fn put_immunity_back(&self, half: &MessageRecord, properties: &mut Properties<'_>) -> bool {
        if properties.get(prop::TRAN_PREPARED_QUEUE_OFFSET).is_none() {
            properties.insert(
                prop::TRAN_PREPARED_QUEUE_OFFSET,
                half.header.queue_offset.to_string(),
            );
        }
        let result = self.renew(half, &properties.encode());
        if result.status != PutMessageStatus::PutOk {
            tracing::error!(
                topic = TRANS_HALF_TOPIC,
                queue_id = half.header.queue_id,
                "Put message failed ({})",
                result.status.name()
            );
        }
        result.status == PutMessageStatus::PutOk
    }

    /// `renewHalfMessageInner`: the half stored again at the end of its
    /// queue, with `properties`. Java's renewal sets neither the flag nor
    /// the reconsume times: both are 0 in the copy.
    fn renew(&self, half: &MessageRecord, properties: &str) -> crate::store::PutMessageResult {
        self.store.put_message(&MessageToStore {
            topic: &half.topic,
            queue_id: half.header.queue_id,
            flag: 0,
            sys_flag: half.header.sys_flag,
            born_timestamp: half.header.born_timestamp,
            born_host: half.header.born_host,
            body: &half.body,
            properties,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: false,
        })
    }

    /// `putBackHalfMsgQueue` then the listener's check request for the
    /// renewed copy (sent later).
    fn put_back_half(
        &self,
        half: &MessageRecord,
        properties: &Properties<'_>,
    ) -> Option<PendingCheck> {
        let encoded = properties.encode();
        let result = self.renew(half, &encoded);
        if result.status != PutMessageStatus::PutOk {
            tracing::error!(
                topic = TRANS_HALF_TOPIC,
                queue_id = half.header.queue_id,
                msg_id = %half.offset_msg_id(),
                "PutBackToHalfQueueReturnResult write failed ({})",
                result.status.name()
            );
            return None;
        }
        let renewed_msg_id = result.msg_ids.first().cloned().unwrap_or_default();
        tracing::info!(
            real_topic = ?half.property(prop::REAL_TOPIC),
            uniq_key = ?half.property(prop::UNIQ_KEY),
            offset = result.queue_offset,
            commit_log_offset = result.wrote_offset,
            "Check transaction."
        );
        Some(self.check_request(
            half,
            &encoded,
            result.queue_offset,
            result.wrote_offset,
            &renewed_msg_id,
        ))
    }

    /// `sendCheckMessage`: CHECK_TRANSACTION_STATE naming the renewed copy,
    /// with the half as a message of its real topic and queue as the body
    /// (`MessageDecoder.encode`).
    fn check_request(
        &self,
        half: &MessageRecord,
        properties: &str,
        queue_offset: i64,
        commit_log_offset: i64,
        offset_msg_id: &str,
    ) -> PendingCheck {
        let uniq_key = half.property(prop::UNIQ_KEY);
        let mut fields = ExtFields::with_capacity(7, 200);
        fields.insert("topic", &half.topic);
        fields.insert_int("tranStateTableOffset", queue_offset);
        fields.insert_int("commitLogOffset", commit_log_offset);
        if let Some(uniq_key) = uniq_key {
            fields.insert("msgId", uniq_key);
            fields.insert("transactionId", uniq_key);
        }
        fields.insert("offsetMsgId", offset_msg_id);
        fields.insert("bname", &self.config.broker_name);
        let mut message = half.clone();
        message.header.magic = MESSAGE_MAGIC_CODE;
        message.header.queue_offset = queue_offset;
        message.header.physical_offset = commit_log_offset;
        message.properties = properties.to_owned();
        if let Ok((topic, queue_id)) = transaction::real_destination(half) {
            message.topic = topic.to_owned();
            message.header.queue_id = queue_id;
        }
        let body = match message.encode() {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, "cannot encode the half message of a check");
                Vec::new()
            }
        };
        let mut request = RemotingCommand::request(request_code::CHECK_TRANSACTION_STATE);
        request.ext_fields = Some(fields);
        request.body = body.into();
        PendingCheck {
            group: half.property(prop::PGROUP).map(str::to_owned),
            request,
        }
    }

    fn send_check(&self, check: PendingCheck) {
        let Some(group) = check.group else {
            tracing::warn!("Check transaction failed, channel is null. groupId=null");
            return;
        };
        if !self.sender.send_check(&group, check.request) {
            tracing::warn!(%group, "Check transaction failed, channel is null. groupId={group}");
        }
    }

    /// `needSkip`: older than `fileReservedTime`.
    fn need_skip(&self, half: &MessageRecord) -> bool {
        let age = now_millis() - half.header.born_timestamp;
        if age > self.config.file_reserved_millis {
            tracing::info!(
                msg_id = %half.offset_msg_id(),
                born = half.header.born_timestamp,
                "Half message exceed file reserved time ,so skip it."
            );
            return true;
        }
        false
    }

    /// `resolveDiscardMsg`: the half, with its check count, moved to
    /// `TRANS_CHECK_MAX_TIME_TOPIC` (created with one queue if absent).
    fn resolve_discard(&self, half: &MessageRecord, properties: &str) {
        tracing::error!(
            msg_id = %half.offset_msg_id(),
            real_topic = ?half.property(prop::REAL_TOPIC),
            "MsgExt has been checked too many times, so discard it by moving it to system topic TRANS_CHECK_MAXTIME_TOPIC"
        );
        self.topics.create_topic_if_absent(
            TopicConfig::new(TRANS_CHECK_MAX_TIME_TOPIC).with_queues(1, perm::READ | perm::WRITE),
        );
        let result = self.store.put_message(&MessageToStore {
            topic: TRANS_CHECK_MAX_TIME_TOPIC,
            queue_id: 0,
            flag: half.header.flag,
            sys_flag: half.header.sys_flag,
            born_timestamp: half.header.born_timestamp,
            born_host: half.header.born_host,
            body: &half.body,
            properties,
            reconsume_times: half.header.reconsume_times,
            prepared_transaction_offset: 0,
            wait_store: false,
        });
        if result.status == PutMessageStatus::PutOk {
            tracing::info!(
                queue_offset = half.header.queue_offset,
                commit_log_offset = half.header.physical_offset,
                "Put checked-too-many-time half message to TRANS_CHECK_MAXTIME_TOPIC OK."
            );
        } else {
            tracing::error!(
                msg_id = %half.offset_msg_id(),
                "Put checked-too-many-time half message to TRANS_CHECK_MAXTIME_TOPIC failed ({})",
                result.status.name()
            );
        }
    }
}

/// `needDiscard`: counts this check in TRANSACTION_CHECK_TIMES (1 the first
/// time), or answers true when `check_max` checks were made already.
fn need_discard(properties: &mut Properties<'_>, check_max: i32) -> bool {
    let next = match properties.get(prop::TRANSACTION_CHECK_TIMES) {
        None => 1,
        Some(text) => {
            // Java's getInt: -1 when not an int.
            let times = text.parse::<i32>().unwrap_or(-1);
            if times >= check_max {
                return true;
            }
            times + 1
        }
    };
    properties.insert(prop::TRANSACTION_CHECK_TIMES, next.to_string());
    false
}

/// `calculateOpOffset`: past the op records used, as long as they follow
/// each other from `old`.
fn calculate_op_offset(done: &mut [i64], old: i64) -> i64 {
    done.sort_unstable();
    let mut offset = old;
    for &done_offset in done.iter() {
        if done_offset != offset {
            break;
        }
        offset += 1;
    }
    offset
}

/// Sleeps `duration` in short steps, returning early once `stopped`.
fn sleep_unless(duration: Duration, stopped: &dyn Fn() -> bool) {
    let step = Duration::from_millis(20);
    let mut slept = Duration::ZERO;
    while slept < duration && !stopped() {
        std::thread::sleep(step);
        slept += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_count_goes_up_to_the_maximum_then_discards() {
        let mut properties = Properties::parse("TAGS\u{1}a\u{2}");
        assert!(!need_discard(&mut properties, 2));
        assert_eq!(properties.get(prop::TRANSACTION_CHECK_TIMES), Some("1"));
        assert!(!need_discard(&mut properties, 2));
        assert_eq!(properties.get(prop::TRANSACTION_CHECK_TIMES), Some("2"));
        assert!(need_discard(&mut properties, 2));
        assert_eq!(properties.get(prop::TRANSACTION_CHECK_TIMES), Some("2"));
        // Java's getInt gives -1 for a value that is not an int.
        let mut odd = Properties::parse("TRANSACTION_CHECK_TIMES\u{1}x\u{2}");
        assert!(!need_discard(&mut odd, 15));
        assert_eq!(odd.get(prop::TRANSACTION_CHECK_TIMES), Some("0"));
    }

    #[test]
    fn the_op_offset_moves_past_consecutive_done_records_only() {
        assert_eq!(calculate_op_offset(&mut [], 5), 5);
        assert_eq!(calculate_op_offset(&mut [6, 5, 7], 5), 8);
        assert_eq!(calculate_op_offset(&mut [5, 7], 5), 6);
        assert_eq!(calculate_op_offset(&mut [6], 5), 5);
    }
}
