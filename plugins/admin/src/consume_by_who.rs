//! QUERY_TOPIC_CONSUME_BY_WHO (300): the groups that consume a topic
//! (`AdminBrokerProcessor.queryTopicConsumeByWho`): online consumers
//! subscribed to it and groups with committed offsets in it. mqadmin
//! `statsAll`, `topicList -c` and the message track of `queryMsgById` ask it.

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{Host, ProcessError, Request, Response};

use crate::ops::operations;

/// `QueryTopicConsumeByWhoRequestHeader` (`topic`, required) → `GroupList`
/// `{"groupList":[…]}` (Java's HashSet; sorted here). An unknown topic has
/// no consumers: an empty list, as in Java.
pub fn query_topic_consume_by_who(
    host: &Host,
    request: &Request<'_>,
) -> Result<Response, ProcessError> {
    let topic: String = request.required("topic")?;
    let groups = operations(host)?.topic_consumed_by(&topic);
    let mut w = JsonWriter::new();
    w.begin_object().key("groupList").begin_array();
    for group in &groups {
        w.string(group);
    }
    w.end_array().end_object();
    Ok(Response::success().with_body(w.into_bytes()))
}
