//! Commit and rollback of a half message (`EndTransactionProcessor`
//! `processRequest`, `checkPrepareMessage`, `rejectCommitOrRollback`, and
//! `TransactionalMessageServiceImpl.deletePrepareMessage` for the op record).

use plugin_api::sdk::message::properties as prop;
use plugin_api::sdk::message::transaction::{self, TRANS_OP_HALF_TOPIC};
use plugin_api::sdk::message::{decode_record, now_millis, MessageRecord, RecordRead};
use plugin_api::sdk::{MessageToPut, Outcome, ProcessError, Request, Response, ResponseCode};

use crate::answer::final_message_response;
use crate::header::{Decision, EndTransactionHeader};
use crate::TransactionPlugin;

/// The remark when the half cannot be read at `commitLogOffset`.
const NOT_FOUND: &str = "Find prepared transaction message failed";

impl TransactionPlugin {
    /// Applies the producer's decision; `Outcome::NoResponse` for an
    /// undecided one (Java returns no response at all).
    pub(crate) fn end_transaction(
        &self,
        request: &Request<'_>,
        header: &EndTransactionHeader,
    ) -> Result<Outcome, ProcessError> {
        if self.settings.slave {
            self.host
                .warn("Message store is slave mode, so end transaction is forbidden. ");
            return Ok(Response::with_code(ResponseCode::SLAVE_NOT_AVAILABLE).into());
        }
        self.log_decision(request, header);
        if header.decision == Decision::Unknown {
            return Ok(Outcome::NoResponse);
        }
        let half = self.find_half(header.commit_log_offset)?;
        if self.reject_commit_or_rollback(header, &half) {
            self.host.warn(&format!(
                "Message {} fail [producer end]. currentTimeMillis - bornTime > checkImmunityTime, msgId={},commitLogOffset={}, wait check",
                if header.decision == Decision::Commit { "commit" } else { "rollback" },
                header.msg_id,
                header.commit_log_offset
            ));
            return Ok(Response::with_code(ResponseCode::ILLEGAL_OPERATION).into());
        }
        check_prepare_message(&half, header)?;
        let response = match header.decision {
            Decision::Commit => {
                let response = self.store_real_message(&half)?;
                if response.code == ResponseCode::SUCCESS {
                    self.delete_prepare_message(&half);
                }
                response
            }
            _ => {
                self.delete_prepare_message(&half);
                Response::success()
            }
        };
        Ok(response.into())
    }

    /// Java's log line for each decision (WARN, as Java logs them; a
    /// producer's own commit is not logged).
    fn log_decision(&self, request: &Request<'_>, header: &EndTransactionHeader) {
        let what = match (header.from_transaction_check, header.decision) {
            (true, Decision::Unknown) => {
                "Check producer[{}] transaction state, but it's pending status."
            }
            (true, Decision::Commit) => {
                "Check producer[{}] transaction state, the producer commit the message."
            }
            (true, Decision::Rollback) => {
                "Check producer[{}] transaction state, the producer rollback the message."
            }
            (false, Decision::Unknown) => {
                "The producer[{}] end transaction in sending message,  and it's pending status."
            }
            (false, Decision::Commit) => return,
            (false, Decision::Rollback) => {
                "The producer[{}] end transaction in sending message, rollback the message."
            }
        };
        self.host.warn(&format!(
            "{}RequestHeader: {} Remark: {}",
            what.replace("{}", request.remote_addr()),
            header.describe(),
            request.remark().unwrap_or("null")
        ));
    }

    /// The record at `commit_log_offset` (`lookMessageByOffset`).
    fn find_half(&self, commit_log_offset: i64) -> Result<MessageRecord, ProcessError> {
        let bytes = self
            .host
            .store()
            .message_by_offset(commit_log_offset)
            .ok_or_else(|| ProcessError::respond(ResponseCode::SYSTEM_ERROR, NOT_FOUND))?;
        match decode_record(&bytes, false) {
            RecordRead::Message(record, _) => Ok(record),
            _ => Err(ProcessError::respond(ResponseCode::SYSTEM_ERROR, NOT_FOUND)),
        }
    }

    /// `rejectCommitOrRollback`: a producer's own decision on a half with
    /// CHECK_IMMUNITY_TIME_IN_SECONDS comes too late once the immunity time
    /// (at least `transactionTimeOut`) has passed since its birth; the
    /// check decides it then.
    fn reject_commit_or_rollback(
        &self,
        header: &EndTransactionHeader,
        half: &MessageRecord,
    ) -> bool {
        if header.from_transaction_check {
            return false;
        }
        match half
            .property(prop::CHECK_IMMUNITY_TIME_IN_SECONDS)
            .filter(|value| !value.is_empty())
        {
            Some(seconds) => {
                let age = now_millis() - half.header.born_timestamp;
                age > transaction::end_immunity_millis(seconds, self.settings.transaction_timeout)
            }
            None => false,
        }
    }

    /// Stores the half's real message (`endMessageTransaction` then
    /// `sendFinalMessage`): no flush wait (`waitStoreMsgOK=false`).
    fn store_real_message(&self, half: &MessageRecord) -> Result<Response, ProcessError> {
        let committed = transaction::committed_message(half).map_err(|error| {
            ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string())
        })?;
        let born_host = half.header.born_host.to_string();
        let result = self.host.store().put_message(&MessageToPut {
            topic: committed.topic,
            queue_id: committed.queue_id,
            flag: half.header.flag,
            sys_flag: committed.sys_flag,
            born_timestamp: half.header.born_timestamp,
            born_host: &born_host,
            body: &half.body,
            properties: committed.properties,
            reconsume_times: half.header.reconsume_times,
            prepared_transaction_offset: committed.prepared_transaction_offset,
            wait_store: false,
        });
        Ok(final_message_response(
            result.status,
            self.settings.max_message_size,
        ))
    }

    /// Writes the op record that marks `half` resolved: tag `d`, body its
    /// queue offset and a comma, in the op queue of the half's queue id.
    /// Java 5.x collects these per queue for up to
    /// `transactionOpBatchInterval` and writes several offsets in one
    /// record; each is written here at once (the form Java writes when its
    /// batch queue is full), so that a commit's op record is in the commit
    /// log right behind its real message and a crash cannot leave a
    /// committed half to be checked and committed again.
    fn delete_prepare_message(&self, half: &MessageRecord) {
        let body = transaction::op_body(half.header.queue_offset);
        let result = self.host.store().put_message(&MessageToPut {
            topic: TRANS_OP_HALF_TOPIC,
            queue_id: half.header.queue_id,
            flag: 0,
            sys_flag: 0,
            born_timestamp: now_millis(),
            born_host: &self.settings.store_host,
            body: body.as_bytes(),
            properties: transaction::OP_PROPERTIES,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: false,
        });
        if !result.status.is_stored() {
            self.host.error(&format!(
                "Transaction op message write failed. messageId is {}, queueId is {} ({})",
                half.offset_msg_id(),
                half.header.queue_id,
                result.status.name()
            ));
        }
    }
}

/// `checkPrepareMessage`: the half belongs to the producer group and sits at
/// the offsets the producer names.
fn check_prepare_message(
    half: &MessageRecord,
    header: &EndTransactionHeader,
) -> Result<(), ProcessError> {
    let wrong = |remark: &str| Err(ProcessError::respond(ResponseCode::SYSTEM_ERROR, remark));
    if half.property(prop::PGROUP) != Some(header.producer_group.as_str()) {
        return wrong("The producer group wrong");
    }
    if half.header.queue_offset != header.tran_state_table_offset {
        return wrong("The transaction state table offset wrong");
    }
    if half.header.physical_offset != header.commit_log_offset {
        return wrong("The commit log offset wrong");
    }
    Ok(())
}
