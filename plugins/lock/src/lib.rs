//! Rebalance locks: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42), as
//! RocketMQ's `AdminBrokerProcessor.lockBatchMQ` / `unlockBatchMQ` answer
//! them. The lock table lives in the host (one client per group and queue,
//! 60 s expiry without renewal, owners may re-lock).

use abi_stable::std_types::{RStr, RVec};
use plugin_api::codes::{request_code, response_code};
use plugin_api::fastjson::JsonStyle;
use plugin_api::ffi::FfiMessageQueue;
use plugin_api::sdk::{Host, Outcome, Plugin, ProcessError, Processor, Request, Response};
use serde::Deserialize;

/// `LockBatchRequestBody` / `UnlockBatchRequestBody`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] =
        &[request_code::LOCK_BATCH_MQ, request_code::UNLOCK_BATCH_MQ];

    fn new(host: Host, _settings: &plugin_api::serde_json::Value) -> Result<Self, String> {
        Ok(LockPlugin { host })
    }
}

impl Processor for LockPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let body: LockBatchBody = serde_json::from_slice(request.body()).map_err(|error| {
            ProcessError::respond(
                response_code::SYSTEM_ERROR,
                format!("the body is not valid LockBatchRequestBody JSON: {error}"),
            )
        })?;
        let queues: RVec<FfiMessageQueue> = body
            .mq_set
            .iter()
            .map(|mq| FfiMessageQueue {
                topic: mq.topic.as_str().into(),
                broker_name: mq.broker_name.as_str().into(),
                queue_id: mq.queue_id,
            })
            .collect();
        let group = RStr::from(body.consumer_group.as_str());
        let client = RStr::from(body.client_id.as_str());
        if request.code() == request_code::UNLOCK_BATCH_MQ {
            self.host.unlock_queues(group, client, queues);
            return Ok(Response::success().into());
        }
        let locked = self.host.lock_queues(group, client, queues);
        Ok(Response::success()
            .with_body(lock_ok_body(&locked).into_bytes())
            .into())
    }
}

/// `{"lockOKMQSet":[{"brokerName":…,"queueId":…,"topic":…}]}`.
fn lock_ok_body(queues: &[FfiMessageQueue]) -> String {
    let style = JsonStyle::Fastjson;
    let mut body = String::from("{\"lockOKMQSet\":[");
    for (index, mq) in queues.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str("{\"brokerName\":");
        style.write_str(&mut body, &mq.broker_name);
        body.push_str(&format!(",\"queueId\":{},\"topic\":", mq.queue_id));
        style.write_str(&mut body, &mq.topic);
        body.push('}');
    }
    body.push_str("]}");
    body
}

plugin_api::export_plugin!(LockPlugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_body_and_writes_the_response_shape() {
        let body = r#"{"clientId":"10.0.0.5@12345#987654321","consumerGroup":"cg_order","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}],"onlyThisBroker":false}"#;
        let parsed: LockBatchBody = serde_json::from_str(body).expect("spec body");
        assert_eq!(parsed.mq_set.len(), 2);
        let queues = vec![FfiMessageQueue {
            topic: "TopicTest".into(),
            broker_name: "broker-a".into(),
            queue_id: 0,
        }];
        assert_eq!(
            lock_ok_body(&queues),
            r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}]}"#
        );
    }
}
