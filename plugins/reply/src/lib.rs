//! Request/reply: SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325),
//! following Apache RocketMQ's `ReplyMessageProcessor`.
//!
//! A responder sends its reply (made with the client's
//! `MessageUtil.createReplyMessage`: topic `<cluster>_REPLY_TOPIC`, the
//! request's CORRELATION_ID, REPLY_TO_CLIENT and TTL) like a message. The
//! broker pushes it to the requester's connection, found by the
//! REPLY_TO_CLIENT client id among the registered clients, as
//! PUSH_REPLY_MESSAGE_TO_CLIENT (326) and waits for the client's answer
//! (`push`); it also stores the reply when `storeReplyMessageEnable` (Java
//! default true). The answer to the responder is SUCCESS when the push was
//! taken, else SYSTEM_ERROR with Java's remark; the store's outcome only
//! fills in `msgId`/`queueId`/`queueOffset`.
//!
//! TTL: the broker passes the TTL property through untouched (pushed and
//! stored). In RocketMQ 5.3.3 it is the requester that enforces it: its
//! `RequestFutureHolder` fails a request whose reply did not come within
//! the timeout, and drops a reply that comes for a request it no longer
//! waits for; the broker checks no TTL.
//!
//! Needs the host capability `client_invoke` (plugin ABI 1.2).

mod check;
mod header;
mod push;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU32, Ordering};

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::message::{properties as prop, Properties};
use plugin_api::sdk::{
    Host, MessageToPut, NoSettings, Outcome, Plugin, ProcessError, Processor, PutStatus, Request,
    Response, StartError,
};

pub use header::ReplyHeader;
pub use push::{CALL_CLIENT_TIMEOUT_MILLIS, PUSH_REPLY_TIME};

/// The broker configuration the reply path reads, once, at start.
#[derive(Debug, Clone)]
struct Settings {
    region_id: String,
    trace_on: String,
    broker_permission: i32,
    broker_ip1: String,
    store_host: String,
    start_accept_send_request_time_stamp: i64,
    store_reply_message_enable: bool,
}

/// The reply processor.
pub struct ReplyPlugin {
    host: Host,
    settings: Settings,
    /// Cursor of the queues the broker picks for `queueId < 0`.
    next_queue: AtomicU32,
}

impl Plugin for ReplyPlugin {
    const NAME: &'static str = "reply";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[
        request_code::SEND_REPLY_MESSAGE,
        request_code::SEND_REPLY_MESSAGE_V2,
    ];
    /// Everything the plugin reads is broker configuration.
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        // Refused at load on a broker that cannot wait for a client's answer.
        host.client_invoke()?;
        let identity = host.identity();
        let config = host.config();
        let settings = Settings {
            region_id: config
                .value("regionId")
                .unwrap_or_else(|| "DefaultRegion".into()),
            trace_on: config.value("traceOn").unwrap_or_else(|| "true".into()),
            broker_permission: identity.broker_permission,
            broker_ip1: config
                .value("brokerIP1")
                .unwrap_or_else(|| host_of(&identity.broker_addr).to_owned()),
            store_host: identity.broker_addr,
            start_accept_send_request_time_stamp: host
                .config_or("startAcceptSendRequestTimeStamp", 0),
            store_reply_message_enable: host.config_or("storeReplyMessageEnable", true),
        };
        Ok(ReplyPlugin {
            host,
            settings,
            next_queue: AtomicU32::new(0),
        })
    }
}

impl Processor for ReplyPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        // A header that does not parse is answered as Java's remoting layer
        // answers a RemotingCommandException.
        let header = ReplyHeader::parse(request)?;
        let response = self
            .reply(request, &header, now_millis())
            .unwrap_or_else(ProcessError::into_response);
        // Java's response carries MSG_REGION and TRACE_ON from the start.
        Ok(response
            .with_text(prop::MSG_REGION, &self.settings.region_id)
            .with_text(prop::TRACE_ON, &self.settings.trace_on)
            .into())
    }
}

impl ReplyPlugin {
    /// `processReplyMessageRequest`.
    fn reply(
        &self,
        request: &Request<'_>,
        header: &ReplyHeader<'_>,
        now_millis: i64,
    ) -> Result<Response, ProcessError> {
        self.check_accepting(now_millis)?;
        let producer = request.remote_addr();
        let topic_config = self.msg_check(header, producer)?;
        let queue_id = if header.queue_id < 0 {
            let queues = topic_config.write_queue_nums.max(1) as u32;
            (self.next_queue.fetch_add(1, Ordering::Relaxed) % queues) as i32
        } else {
            header.queue_id
        };
        // buildMsgContext: MSG_REGION and TRACE_ON join the properties.
        let mut properties = Properties::parse(header.properties.unwrap_or_default());
        properties.insert(prop::MSG_REGION, self.settings.region_id.as_str());
        properties.insert(prop::TRACE_ON, self.settings.trace_on.as_str());

        let pushed = self.push_reply_message(
            header,
            &properties,
            request.body(),
            &push::PushContext {
                born_host: producer,
                store_host: &self.settings.store_host,
                now_millis,
            },
        );
        // handlePushReplyResult.
        let mut response = match pushed {
            Ok(()) => Response::success()
                .with_text("msgId", "0")
                .with_int("queueId", queue_id)
                .with_int("queueOffset", 0),
            Err(remark) => Response::error(plugin_api::sdk::ResponseCode::SYSTEM_ERROR, remark),
        };
        if self.settings.store_reply_message_enable {
            // handlePutMessageResult: a stored reply fills in the ids; a
            // failed put is logged and changes nothing else.
            let encoded = properties.encode();
            let put = self.host.store().put_message(&MessageToPut {
                topic: header.topic,
                queue_id,
                flag: header.flag,
                // Java's reply leaves the stored sysflag at 0.
                sys_flag: 0,
                born_timestamp: header.born_timestamp,
                born_host: producer,
                body: request.body(),
                properties: &encoded,
                reconsume_times: header.reconsume_times.unwrap_or(0),
                prepared_transaction_offset: 0,
                wait_store: properties
                    .get(prop::WAIT)
                    .is_none_or(|wait| wait.eq_ignore_ascii_case("true")),
            });
            match put.status {
                PutStatus::PutOk
                | PutStatus::FlushDiskTimeout
                | PutStatus::FlushSlaveTimeout
                | PutStatus::SlaveNotAvailable => {
                    let msg_id = put.msg_ids.first().map(String::as_str).unwrap_or("0");
                    response = response
                        .with_text("msgId", msg_id)
                        .with_int("queueId", queue_id)
                        .with_int("queueOffset", put.queue_offset)
                        // Under SYNC_FLUSH the answer waits until the reply
                        // is durable, as Java's blocking put does.
                        .when_durable(put.flush_ticket);
                }
                failed => self.host.warn(&format!(
                    "process reply message, store putMessage failed: {}",
                    failed.name()
                )),
            }
        }
        Ok(response)
    }
}

/// The host part of `host:port`.
fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

plugin_api::export_plugin!(ReplyPlugin);
