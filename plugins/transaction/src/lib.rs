//! END_TRANSACTION (37): a producer commits or rolls back a half message,
//! as Apache RocketMQ 5.3.3's `EndTransactionProcessor` does it.
//!
//! The half was stored by the send plugin in `RMQ_SYS_TRANS_HALF_TOPIC`
//! (`plugin_api::message::transaction`). A commit reads it back by its
//! commit-log offset, checks it (`checkPrepareMessage`: producer group,
//! queue and commit-log offsets), stores the real message in `REAL_TOPIC` /
//! `REAL_QID` with the commit transaction type, then writes the op record
//! that tells the host's check service the half is resolved; a rollback
//! writes only the op record (`end`). The answer to a commit is the store's
//! status (`answer`); producers usually send 37 oneway, and the host then
//! sends nothing back. An undecided (0) END_TRANSACTION is only logged.
//!
//! Producers send 37 with `fromTransactionCheck=true` to answer the
//! CHECK_TRANSACTION_STATE (39) of the host's check service
//! (`broker-host/src/transaction/`).

mod answer;
mod end;
mod header;
#[cfg(test)]
mod tests;

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::{
    Host, NoSettings, Outcome, Plugin, ProcessError, Processor, Request, StartError,
};

pub use header::{Decision, EndTransactionHeader};

/// What END_TRANSACTION reads from the broker configuration, once, at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerSettings {
    /// `brokerRole` is SLAVE: END_TRANSACTION is refused.
    pub slave: bool,
    /// `transactionTimeOut` (ms): the least check-immunity time.
    pub transaction_timeout: i64,
    /// `maxMessageSize`, which the MESSAGE_ILLEGAL remark names.
    pub max_message_size: i64,
    /// The broker's address (`brokerIP1:listenPort`): the born host of op
    /// records (Java's `storeHost`).
    pub store_host: String,
}

/// The END_TRANSACTION processor.
pub struct TransactionPlugin {
    host: Host,
    settings: BrokerSettings,
}

impl Plugin for TransactionPlugin {
    const NAME: &'static str = "transaction";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[request_code::END_TRANSACTION];
    /// Everything it needs is broker configuration.
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let settings = BrokerSettings {
            slave: host
                .config()
                .value("brokerRole")
                .is_some_and(|role| role.trim().eq_ignore_ascii_case("SLAVE")),
            transaction_timeout: host.config_or("transactionTimeOut", 6_000),
            max_message_size: host.config_or("maxMessageSize", 4 * 1024 * 1024),
            store_host: host.identity().broker_addr,
        };
        Ok(TransactionPlugin { host, settings })
    }
}

impl Processor for TransactionPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let header = EndTransactionHeader::parse(request)?;
        Ok(self
            .end_transaction(request, &header)
            .unwrap_or_else(|error| error.into_response().into()))
    }
}

plugin_api::export_plugin!(TransactionPlugin);
