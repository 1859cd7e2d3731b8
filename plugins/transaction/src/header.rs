//! `EndTransactionRequestHeader`: the fields END_TRANSACTION carries and
//! its `checkFields`.

use plugin_api::sdk::message::sysflag;
use plugin_api::sdk::{ProcessError, Request, ResponseCode};

/// What the producer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// TRANSACTION_NOT_TYPE (0): still unknown.
    Unknown,
    /// TRANSACTION_COMMIT_TYPE (8).
    Commit,
    /// TRANSACTION_ROLLBACK_TYPE (12).
    Rollback,
}

/// A parsed END_TRANSACTION header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndTransactionHeader {
    /// `producerGroup`: must be the half's PGROUP.
    pub producer_group: String,
    /// `tranStateTableOffset`: the half's queue offset.
    pub tran_state_table_offset: i64,
    /// `commitLogOffset`: the half's commit-log offset.
    pub commit_log_offset: i64,
    /// `commitOrRollback`.
    pub decision: Decision,
    /// `fromTransactionCheck`: the answer to a CHECK_TRANSACTION_STATE.
    pub from_transaction_check: bool,
    /// `msgId` (the producer's message id; logged).
    pub msg_id: String,
    /// `transactionId` (logged).
    pub transaction_id: Option<String>,
}

impl EndTransactionHeader {
    /// Reads the header as Java's `decodeCommandCustomHeader` does: the
    /// `@CFNotNull` fields are required (SYSTEM_ERROR `the custom field
    /// <name> is null`), `fromTransactionCheck` defaults to false, then
    /// `checkFields` accepts only 0, 8 and 12 as `commitOrRollback`.
    pub fn parse(request: &Request<'_>) -> Result<EndTransactionHeader, ProcessError> {
        let producer_group: String = request.required("producerGroup")?;
        let tran_state_table_offset: i64 = request.required("tranStateTableOffset")?;
        let commit_log_offset: i64 = request.required("commitLogOffset")?;
        let commit_or_rollback: i32 = request.required("commitOrRollback")?;
        let msg_id: String = request.required("msgId")?;
        let from_transaction_check: bool =
            request.optional("fromTransactionCheck")?.unwrap_or(false);
        let transaction_id: Option<String> = request.optional("transactionId")?;
        let decision = match commit_or_rollback {
            sysflag::TRANSACTION_NOT_TYPE => Decision::Unknown,
            sysflag::TRANSACTION_COMMIT_TYPE => Decision::Commit,
            sysflag::TRANSACTION_ROLLBACK_TYPE => Decision::Rollback,
            _ => {
                return Err(ProcessError::respond(
                    ResponseCode::SYSTEM_ERROR,
                    "commitOrRollback field wrong",
                ))
            }
        };
        Ok(EndTransactionHeader {
            producer_group,
            tran_state_table_offset,
            commit_log_offset,
            decision,
            from_transaction_check,
            msg_id,
            transaction_id,
        })
    }

    /// The header as Java's `EndTransactionRequestHeader.toString` names
    /// it in the log.
    pub fn describe(&self) -> String {
        format!(
            "EndTransactionRequestHeader{{producerGroup={}, tranStateTableOffset={}, commitLogOffset={}, commitOrRollback={:?}, fromTransactionCheck={}, msgId={}, transactionId={}}}",
            self.producer_group,
            self.tran_state_table_offset,
            self.commit_log_offset,
            self.decision,
            self.from_transaction_check,
            self.msg_id,
            self.transaction_id.as_deref().unwrap_or("null"),
        )
    }
}
