//! Route lookup: the broker answers the name-server codes clients use to find
//! it, so a stock client can use the broker's own address as its name server.
//!
//! - GET_ROUTEINFO_BY_TOPIC (105): `TopicRouteData` for a topic this broker
//!   holds, TOPIC_NOT_EXIST (17) otherwise (request-codes.md §4).
//! - GET_BROKER_CLUSTER_INFO (106): `ClusterInfo` for this one broker.

use plugin_api::codes::{request_code, response_code, FAQ_SUGGESTION};
use plugin_api::fastjson::JsonStyle;
use plugin_api::sdk::{
    BrokerIdentity, Host, Outcome, Plugin, ProcessError, Processor, Request, Response, TopicConfig,
};
use plugin_api::topics::perm;

/// Clients at or above V4_9_4 (401) get standard JSON (quoted map keys).
const STANDARD_JSON_SINCE_VERSION: i32 = 401;

/// The route processor.
pub struct RoutePlugin {
    host: Host,
}

impl Plugin for RoutePlugin {
    const NAME: &'static str = "route";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] = &[
        request_code::GET_ROUTEINFO_BY_TOPIC,
        request_code::GET_BROKER_CLUSTER_INFO,
    ];

    fn new(host: Host, _settings: &plugin_api::serde_json::Value) -> Result<Self, String> {
        host.info("route lookups served by this broker (embedded name server)");
        Ok(RoutePlugin { host })
    }
}

impl Processor for RoutePlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        match request.code() {
            request_code::GET_ROUTEINFO_BY_TOPIC => self.route_info(request),
            request_code::GET_BROKER_CLUSTER_INFO => Ok(self.cluster_info().into()),
            other => Err(ProcessError::respond(
                response_code::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }
}

impl RoutePlugin {
    fn route_info(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let topic: String = request.required("topic")?;
        let accept_standard_json_only = request
            .optional::<bool>("acceptStandardJsonOnly")?
            .unwrap_or(false);
        let Some(config) = self.host.topic_config(&topic) else {
            return Ok(Response::error(
                response_code::TOPIC_NOT_EXIST,
                format!(
                    "No topic route info in name server for the topic: {topic}{FAQ_SUGGESTION}"
                ),
            )
            .into());
        };
        let style = if accept_standard_json_only || request.version() >= STANDARD_JSON_SINCE_VERSION
        {
            JsonStyle::Standard
        } else {
            JsonStyle::Fastjson
        };
        let body = topic_route_data(&self.host.broker_identity(), &config, style);
        Ok(Response::success().with_body(body).into())
    }

    fn cluster_info(&self) -> Response {
        let identity = self.host.broker_identity();
        let style = JsonStyle::Fastjson;
        let mut body = String::from("{\"brokerAddrTable\":{");
        style.write_str(&mut body, &identity.broker_name);
        body.push(':');
        write_broker_data(&mut body, &identity, style);
        body.push_str("},\"clusterAddrTable\":{");
        style.write_str(&mut body, &identity.cluster_name);
        body.push_str(":[");
        style.write_str(&mut body, &identity.broker_name);
        body.push_str("]}}");
        Response::success().with_body(body.into_bytes())
    }
}

/// `TopicRouteData` JSON, fields in fastjson's (alphabetical) order.
pub fn topic_route_data(
    identity: &BrokerIdentity,
    config: &TopicConfig,
    style: JsonStyle,
) -> Vec<u8> {
    let mut body = String::from("{\"brokerDatas\":[");
    write_broker_data(&mut body, identity, style);
    body.push_str("],\"filterServerTable\":{},\"queueDatas\":[{\"brokerName\":");
    style.write_str(&mut body, &identity.broker_name);
    body.push_str(&format!(
        ",\"perm\":{},\"readQueueNums\":{},\"topicSysFlag\":{},\"writeQueueNums\":{}}}]}}",
        perm::advertised(config.perm, identity.broker_permission),
        config.read_queue_nums,
        config.topic_sys_flag,
        config.write_queue_nums
    ));
    body.into_bytes()
}

/// One `BrokerData` object: this broker as master (id 0).
fn write_broker_data(body: &mut String, identity: &BrokerIdentity, style: JsonStyle) {
    body.push_str("{\"brokerAddrs\":{");
    style.write_int_key(body, identity.broker_id);
    body.push(':');
    style.write_str(body, &identity.broker_addr);
    body.push_str("},\"brokerName\":");
    style.write_str(body, &identity.broker_name);
    body.push_str(",\"cluster\":");
    style.write_str(body, &identity.cluster_name);
    body.push_str(",\"enableActingMaster\":false}");
}

plugin_api::export_plugin!(RoutePlugin);

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> BrokerIdentity {
        BrokerIdentity {
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 0,
            broker_addr: "127.0.0.1:10911".into(),
            broker_permission: 6,
            version: 479,
        }
    }

    fn topic() -> TopicConfig {
        TopicConfig {
            topic_name: "TopicTest".into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            perm: 6,
            topic_filter_type: 0,
            topic_sys_flag: 0,
            order: false,
        }
    }

    /// Both byte strings are copied from request-codes.md §4 (GET_ROUTEINFO_BY_TOPIC).
    #[test]
    fn route_data_matches_the_spec_in_both_styles() {
        assert_eq!(
            String::from_utf8(topic_route_data(&identity(), &topic(), JsonStyle::Standard))
                .unwrap(),
            r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#
        );
        assert_eq!(
            String::from_utf8(topic_route_data(&identity(), &topic(), JsonStyle::Fastjson))
                .unwrap(),
            r#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#
        );
    }

    /// TBW102 (perm 7) on a read-write broker (brokerPermission 6) keeps
    /// INHERIT, as Java's registerBrokerAll leaves it.
    #[test]
    fn a_read_write_broker_advertises_the_topic_perm_as_is() {
        let mut tbw102 = topic();
        tbw102.perm = 7;
        let body =
            String::from_utf8(topic_route_data(&identity(), &tbw102, JsonStyle::Standard)).unwrap();
        assert!(body.contains("\"perm\":7,"), "{body}");
    }

    #[test]
    fn advertised_perm_is_anded_with_broker_permission() {
        let mut read_only = identity();
        read_only.broker_permission = 4;
        let body =
            String::from_utf8(topic_route_data(&read_only, &topic(), JsonStyle::Standard)).unwrap();
        assert!(body.contains("\"perm\":4,"), "{body}");
    }
}
