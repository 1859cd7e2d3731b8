//! QUERY_TOPICS_BY_CONSUMER (343): the topics a consumer group has committed
//! offsets in (`AdminBrokerProcessor.queryTopicsByConsumer`, the admin API's
//! `queryTopicsByConsumer`).

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{Host, ProcessError, Request, Response};

/// `QueryTopicsByConsumerRequestHeader` (`group`, required) → `TopicList`
/// `{"brokerAddr":…,"topicList":[…]}` (`whichTopicByConsumer`, sorted).
pub fn query_topics_by_consumer(
    host: &Host,
    request: &Request<'_>,
) -> Result<Response, ProcessError> {
    let group: String = request.required("group")?;
    let topics = host.offsets().topics_of_group(&group);
    let mut w = JsonWriter::new();
    w.begin_object()
        .field_str("brokerAddr", &host.identity().broker_addr)
        .key("topicList")
        .begin_array();
    for topic in &topics {
        w.string(topic);
    }
    w.end_array().end_object();
    Ok(Response::success().with_body(w.into_bytes()))
}
