//! Message queries, following RocketMQ's `QueryMessageProcessor`:
//!
//! - QUERY_MESSAGE (12): `topic#key` through the index files within a store
//!   time window; also the UNIQ_KEY lookup clients use for the id send
//!   returned (`_UNIQUE_KEY_QUERY=true`). Like Java, hash collisions are left
//!   for the client to filter.
//! - VIEW_MESSAGE_BY_ID (33): one record by commit-log offset (decoded by the
//!   client from an offset message id).

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::{
    Host, NoSettings, Outcome, Plugin, ProcessError, Processor, Request, Response, ResponseCode,
    StartError,
};

/// `maxMsgsNumBatch`: the cap on results of one key query.
const MAX_MSGS_NUM_BATCH: i32 = 64;

/// The query processor.
pub struct QueryPlugin {
    host: Host,
    default_query_max_num: i32,
    max_msgs_num_batch: i32,
}

impl Plugin for QueryPlugin {
    const NAME: &'static str = "query";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[
        request_code::QUERY_MESSAGE,
        request_code::VIEW_MESSAGE_BY_ID,
    ];

    /// Takes no settings of its own: `defaultQueryMaxNum` and
    /// `maxMsgsNumBatch` come from the broker config.
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let default_query_max_num = host.config_or("defaultQueryMaxNum", 32);
        let max_msgs_num_batch = host.config_or("maxMsgsNumBatch", MAX_MSGS_NUM_BATCH);
        Ok(QueryPlugin {
            host,
            default_query_max_num,
            max_msgs_num_batch,
        })
    }
}

impl Processor for QueryPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        match request.code() {
            request_code::QUERY_MESSAGE => self.query_message(request).map(Outcome::from),
            request_code::VIEW_MESSAGE_BY_ID => self.view_message(request).map(Outcome::from),
            other => Err(ProcessError::respond(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }
}

/// QUERY_NOT_FOUND (22). Java's store sets indexLastUpdateTimestamp and
/// indexLastUpdatePhyoffset only when the index found offsets, so a miss
/// carries them as 0.
fn not_found() -> Response {
    Response::error(
        ResponseCode::QUERY_NOT_FOUND,
        "can not find message, maybe time range not correct",
    )
    .with_int("indexLastUpdateTimestamp", 0)
    .with_int("indexLastUpdatePhyoffset", 0)
}

impl QueryPlugin {
    fn query_message(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let topic: String = request.required("topic")?;
        let key: String = request.required("key")?;
        let mut max_num: i32 = request.required("maxNum")?;
        let begin: i64 = request.required("beginTimestamp")?;
        let end: i64 = request.required("endTimestamp")?;
        // Java: `isUniqueKey != null && isUniqueKey.equals("true")`.
        if request.ext("_UNIQUE_KEY_QUERY") == Some("true") {
            max_num = self.default_query_max_num;
        }
        // `IndexFile.selectPhyOffset` stops once it holds maxNum offsets:
        // maxNum 0 (or less) finds nothing.
        if max_num <= 0 {
            return Ok(not_found());
        }
        let max_num = max_num.min(self.max_msgs_num_batch);
        let result = self
            .host
            .store()
            .query_by_key(&topic, &key, max_num, begin, end);
        if result.message_count == 0 {
            return Ok(not_found());
        }
        Ok(Response::success()
            .with_int(
                "indexLastUpdateTimestamp",
                result.index_last_update_timestamp,
            )
            .with_int(
                "indexLastUpdatePhyoffset",
                result.index_last_update_phyoffset,
            )
            .with_body(result.body))
    }

    fn view_message(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let offset: i64 = request.required("offset")?;
        match self.host.store().message_by_offset(offset) {
            Some(record) => Ok(Response::success().with_body(record)),
            None => Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("can not find message by the offset, {offset}"),
            )),
        }
    }
}

plugin_api::export_plugin!(QueryPlugin);

#[cfg(test)]
mod tests;
