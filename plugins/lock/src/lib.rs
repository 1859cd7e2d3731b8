//! Rebalance locks: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42), as
//! RocketMQ's `AdminBrokerProcessor.lockBatchMQ` / `unlockBatchMQ` answer
//! them. The lock table lives in the host (one client per group and queue,
//! 60 s expiry without renewal, owners may re-lock).

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{
    serde_json, Deserialize, Host, NoSettings, Outcome, Plugin, ProcessError, Processor, Request,
    Response, ResponseCode, StartError,
};
// The host's queue type, as the lock table takes and answers it.
use plugin_api::sdk::MessageQueue as HostQueue;

/// `LockBatchRequestBody` / `UnlockBatchRequestBody`.
#[derive(Debug, Deserialize)]
#[serde(crate = "plugin_api::sdk::serde", rename_all = "camelCase")]
pub struct LockBatchBody {
    /// Group.
    pub consumer_group: String,
    /// Requesting client.
    pub client_id: String,
    /// Queues.
    #[serde(default)]
    pub mq_set: Vec<MessageQueue>,
    /// Multi-replica option (ignored: one broker).
    #[serde(default)]
    pub only_this_broker: bool,
}

/// A `MessageQueue` in a body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(crate = "plugin_api::sdk::serde", rename_all = "camelCase")]
pub struct MessageQueue {
    /// Topic.
    pub topic: String,
    /// Broker name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
}

/// The lock processor.
pub struct LockPlugin {
    host: Host,
}

impl Plugin for LockPlugin {
    const NAME: &'static str = "lock";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] =
        &[request_code::LOCK_BATCH_MQ, request_code::UNLOCK_BATCH_MQ];

    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        Ok(LockPlugin { host })
    }
}

impl Processor for LockPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let body: LockBatchBody = serde_json::from_slice(request.body()).map_err(|error| {
            ProcessError::respond(
                ResponseCode::SYSTEM_ERROR,
                format!("the body is not valid LockBatchRequestBody JSON: {error}"),
            )
        })?;
        let queues: Vec<HostQueue> = body
            .mq_set
            .into_iter()
            .map(|mq| HostQueue {
                topic: mq.topic,
                broker_name: mq.broker_name,
                queue_id: mq.queue_id,
            })
            .collect();
        let group = body.consumer_group.as_str();
        let client = body.client_id.as_str();
        let locks = self.host.clients();
        if request.code() == request_code::UNLOCK_BATCH_MQ {
            locks.unlock_queues(group, client, &queues);
            return Ok(Response::success().into());
        }
        let locked = locks.lock_queues(group, client, &queues);
        Ok(Response::success()
            .with_body(lock_ok_body(&locked).into_bytes())
            .into())
    }
}

/// `{"lockOKMQSet":[{"brokerName":…,"queueId":…,"topic":…}]}`.
fn lock_ok_body(queues: &[HostQueue]) -> String {
    let mut w = JsonWriter::new();
    w.begin_object().key("lockOKMQSet").begin_array();
    for mq in queues {
        w.message_queue(&mq.broker_name, mq.queue_id, &mq.topic);
    }
    w.end_array().end_object();
    w.finish()
}

plugin_api::export_plugin!(LockPlugin);

#[cfg(test)]
mod tests;
