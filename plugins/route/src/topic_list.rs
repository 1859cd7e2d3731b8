//! The name-server topic codes of mqadmin `topicList`, `deleteTopic` and the
//! dashboard, answered by the embedded name server as Java's
//! `DefaultRequestProcessor` and `RouteInfoManager` answer them. The
//! embedded name server's route table is this broker's topic table (what
//! the broker would register), so the topic list is the broker's topics.
//!
//! - GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): `TopicList`.
//! - GET_TOPICS_BY_CLUSTER (224): `TopicList` of the cluster's brokers.
//! - GET_SYSTEM_TOPIC_LIST_FROM_NS (304): cluster and broker names, and a
//!   broker address.
//! - DELETE_TOPIC_IN_NAMESRV (216): SUCCESS. A separate name server drops
//!   the route; here the route is the broker's topic config, which
//!   DELETE_TOPIC_IN_BROKER (215, sent first by `deleteTopic`) removes.

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{Host, ProcessError, Request, Response};

/// `TopicList` `{"topicList":[…]}` (`brokerAddr` null and left out), the
/// names sorted (Java's is a hash set).
fn topic_list(topics: &[String], broker_addr: Option<&str>) -> Vec<u8> {
    let mut w = JsonWriter::new();
    w.begin_object();
    if let Some(addr) = broker_addr {
        w.field_str("brokerAddr", addr);
    }
    w.key("topicList").begin_array();
    for topic in topics {
        w.string(topic);
    }
    w.end_array().end_object();
    w.into_bytes()
}

fn all_topic_names(host: &Host) -> Vec<String> {
    let mut names: Vec<String> = host
        .topics()
        .all_topics()
        .into_iter()
        .map(|config| config.topic_name)
        .collect();
    names.sort();
    names
}

/// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
pub fn all_topic_list(host: &Host, request: &Request<'_>) -> Response {
    host.warn(&format!(
        "getAllTopicListFromNameserver {} enable true",
        request.remote_addr()
    ));
    Response::success().with_body(topic_list(&all_topic_names(host), None))
}

/// GET_TOPICS_BY_CLUSTER (224): header `cluster` (required). Another
/// cluster's name answers an empty list (Java's lookup of an unknown
/// cluster fails inside `getTopicsByCluster` and returns the empty list).
pub fn topics_by_cluster(host: &Host, request: &Request<'_>) -> Result<Response, ProcessError> {
    let cluster: String = request.required("cluster")?;
    let topics = if cluster == host.identity().cluster_name {
        all_topic_names(host)
    } else {
        Vec::new()
    };
    Ok(Response::success().with_body(topic_list(&topics, None)))
}

/// GET_SYSTEM_TOPIC_LIST_FROM_NS (304): `getSystemTopicList`, the cluster
/// name and its broker names, with a broker address.
pub fn system_topic_list(host: &Host) -> Response {
    let identity = host.identity();
    let names = vec![identity.cluster_name.clone(), identity.broker_name.clone()];
    Response::success().with_body(topic_list(&names, Some(&identity.broker_addr)))
}

/// DELETE_TOPIC_IN_NAMESRV (216): `DeleteTopicFromNamesrvRequestHeader`
/// (`topic` required, `clusterName` optional). SUCCESS, as Java answers.
pub fn delete_topic_in_namesrv(
    host: &Host,
    request: &Request<'_>,
) -> Result<Response, ProcessError> {
    let topic: String = request.required("topic")?;
    let cluster: Option<String> = request.optional("clusterName")?;
    let held = host.topics().topic(&topic).is_some();
    host.info(&format!(
        "deleteTopic in name server, topic={topic}, cluster={}{}",
        cluster.as_deref().unwrap_or(""),
        if held {
            " (the broker still holds the topic: its route stays until DELETE_TOPIC_IN_BROKER)"
        } else {
            ""
        }
    ));
    Ok(Response::success())
}
