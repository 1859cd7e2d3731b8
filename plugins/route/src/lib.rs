//! Route lookup: the broker answers the name-server codes clients use to find
//! it, so a stock client can use the broker's own address as its name server.
//!
//! - GET_ROUTEINFO_BY_TOPIC (105): `TopicRouteData` for a topic this broker
//!   holds, TOPIC_NOT_EXIST (17) otherwise (the name server's
//!   `ClientRequestProcessor.getRouteInfoByTopic`).
//! - GET_BROKER_CLUSTER_INFO (106): `ClusterInfo` for this one broker
//!   (`DefaultRequestProcessor.getBrokerClusterInfo`).
//! - The topic-list codes of mqadmin and the dashboard (206, 216, 224, 304;
//!   [`topic_list`]) and the KV config reads (101, 219; [`kv_config`]).

pub mod kv_config;
pub mod topic_list;

use plugin_api::sdk::codes::{request_code, FAQ_SUGGESTION};
use plugin_api::sdk::fastjson::{JsonStyle, JsonWriter};
use plugin_api::sdk::topics::perm;
use plugin_api::sdk::{
    BrokerIdentity, Host, NoSettings, Outcome, Plugin, ProcessError, Processor, Request, Response,
    ResponseCode, StartError, TopicConfig,
};

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
        request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
        request_code::DELETE_TOPIC_IN_NAMESRV,
        request_code::GET_TOPICS_BY_CLUSTER,
        request_code::GET_SYSTEM_TOPIC_LIST_FROM_NS,
        request_code::GET_KV_CONFIG,
        request_code::GET_KVLIST_BY_NAMESPACE,
    ];
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        host.info("route lookups served by this broker (embedded name server)");
        Ok(RoutePlugin { host })
    }
}

impl Processor for RoutePlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        match request.code() {
            request_code::GET_ROUTEINFO_BY_TOPIC => self.route_info(request),
            request_code::GET_BROKER_CLUSTER_INFO => Ok(self.cluster_info().into()),
            request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => {
                Ok(topic_list::all_topic_list(&self.host, request).into())
            }
            request_code::DELETE_TOPIC_IN_NAMESRV => {
                Ok(topic_list::delete_topic_in_namesrv(&self.host, request)?.into())
            }
            request_code::GET_TOPICS_BY_CLUSTER => {
                Ok(topic_list::topics_by_cluster(&self.host, request)?.into())
            }
            request_code::GET_SYSTEM_TOPIC_LIST_FROM_NS => {
                Ok(topic_list::system_topic_list(&self.host).into())
            }
            request_code::GET_KV_CONFIG => Ok(kv_config::kv_config(request)?.into()),
            request_code::GET_KVLIST_BY_NAMESPACE => {
                Ok(kv_config::kv_list_by_namespace(request)?.into())
            }
            other => Err(ProcessError::respond(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
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
        let Some(config) = self.host.topics().topic(&topic) else {
            return Ok(Response::error(
                ResponseCode::TOPIC_NOT_EXIST,
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
        let body = topic_route_data(&self.host.identity(), &config, style);
        Ok(Response::success().with_body(body).into())
    }

    fn cluster_info(&self) -> Response {
        Response::success().with_body(cluster_info(&self.host.identity()))
    }
}

/// `ClusterInfo` JSON for this one broker (fastjson's form, as the name
/// server writes it): `brokerAddrTable` and `clusterAddrTable`.
pub fn cluster_info(identity: &BrokerIdentity) -> Vec<u8> {
    let mut w = JsonWriter::new();
    w.begin_object().key("brokerAddrTable").begin_object();
    w.key(&identity.broker_name);
    write_broker_data(&mut w, identity);
    w.end_object();
    w.key("clusterAddrTable").begin_object();
    w.key(&identity.cluster_name)
        .begin_array()
        .string(&identity.broker_name)
        .end_array();
    w.end_object().end_object();
    w.into_bytes()
}

/// `TopicRouteData` JSON, fields in fastjson's (alphabetical) order.
pub fn topic_route_data(
    identity: &BrokerIdentity,
    config: &TopicConfig,
    style: JsonStyle,
) -> Vec<u8> {
    let mut w = JsonWriter::with_style(style);
    w.begin_object().key("brokerDatas").begin_array();
    write_broker_data(&mut w, identity);
    w.end_array();
    w.key("filterServerTable").begin_object().end_object();
    w.key("queueDatas").begin_array();
    w.begin_object()
        .field_str("brokerName", &identity.broker_name)
        .field_int(
            "perm",
            i64::from(perm::advertised(config.perm, identity.broker_permission)),
        )
        .field_int("readQueueNums", i64::from(config.read_queue_nums))
        .field_int("topicSysFlag", i64::from(config.topic_sys_flag))
        .field_int("writeQueueNums", i64::from(config.write_queue_nums))
        .end_object();
    w.end_array().end_object();
    w.into_bytes()
}

/// One `BrokerData` object: this broker as master (id 0), its address
/// keyed by broker id (bare or quoted as the writer's style says).
fn write_broker_data(w: &mut JsonWriter, identity: &BrokerIdentity) {
    w.begin_object().key("brokerAddrs").begin_object();
    w.int_key(identity.broker_id).string(&identity.broker_addr);
    w.end_object()
        .field_str("brokerName", &identity.broker_name)
        .field_str("cluster", &identity.cluster_name)
        .field_bool("enableActingMaster", false)
        .end_object();
}

plugin_api::export_plugin!(RoutePlugin);

#[cfg(test)]
mod tests {
    use plugin_api::sdk::testing::{FakeHost, RequestBuilder};

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

    const STANDARD_ROUTE: &str = r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
    const FASTJSON_ROUTE: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;

    /// A fake broker holding `TopicTest` (4 queues, perm 6) and the route plugin.
    fn started() -> (FakeHost, RoutePlugin) {
        let fake = FakeHost::new();
        fake.add_topic(topic());
        let plugin = fake.start::<RoutePlugin>("").expect("starts");
        (fake, plugin)
    }

    fn respond(outcome: Outcome) -> Response {
        match outcome {
            Outcome::Respond(response) => response,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    fn body(response: &Response) -> &str {
        std::str::from_utf8(&response.body).expect("UTF-8 body")
    }

    /// `TopicRouteData` as Java's `RemotingSerializable.encode` writes it: a
    /// quoted broker id key in standard JSON, a bare one in fastjson's form.
    #[test]
    fn route_data_is_written_in_both_json_styles() {
        assert_eq!(
            String::from_utf8(topic_route_data(&identity(), &topic(), JsonStyle::Standard))
                .unwrap(),
            STANDARD_ROUTE
        );
        assert_eq!(
            String::from_utf8(topic_route_data(&identity(), &topic(), JsonStyle::Fastjson))
                .unwrap(),
            FASTJSON_ROUTE
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

    #[test]
    fn starting_logs_the_embedded_name_server() {
        let (fake, _plugin) = started();
        assert_eq!(
            fake.log_lines(),
            vec!["INFO route: route lookups served by this broker (embedded name server)"]
        );
    }

    #[test]
    fn settings_are_refused() {
        let error = FakeHost::new()
            .start::<RoutePlugin>(r#"{"standard_json":true}"#)
            .err()
            .expect("no settings are known");
        assert_eq!(error, "invalid settings: unknown setting `standard_json`");
    }

    #[test]
    fn route_info_answers_a_current_client_in_standard_json() {
        let (_fake, plugin) = started();
        let response = respond(
            RequestBuilder::new(request_code::GET_ROUTEINFO_BY_TOPIC)
                .field("topic", "TopicTest")
                .run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert_eq!(response.remark, None);
        assert!(response.ext_fields.is_empty());
        assert_eq!(body(&response), STANDARD_ROUTE);
    }

    #[test]
    fn route_info_answers_a_client_before_4_9_4_in_fastjson_form() {
        let (_fake, plugin) = started();
        let old = RequestBuilder::new(request_code::GET_ROUTEINFO_BY_TOPIC)
            .field("topic", "TopicTest")
            .version(STANDARD_JSON_SINCE_VERSION - 1);
        assert_eq!(body(&respond(old.run(&plugin))), FASTJSON_ROUTE);
        let asks_standard = old.clone().field("acceptStandardJsonOnly", "true");
        assert_eq!(body(&respond(asks_standard.run(&plugin))), STANDARD_ROUTE);
        let says_false = old.field("acceptStandardJsonOnly", "false");
        assert_eq!(body(&respond(says_false.run(&plugin))), FASTJSON_ROUTE);
    }

    #[test]
    fn route_info_advertises_the_topic_perm_anded_with_a_read_only_broker() {
        let (fake, plugin) = started();
        fake.state().identity.broker_permission = 4;
        let response = respond(
            RequestBuilder::new(request_code::GET_ROUTEINFO_BY_TOPIC)
                .field("topic", "TopicTest")
                .run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert!(
            body(&response).contains(r#""perm":4,"#),
            "{}",
            body(&response)
        );
    }

    #[test]
    fn route_info_of_an_unknown_topic_is_topic_not_exist() {
        let (_fake, plugin) = started();
        let response = respond(
            RequestBuilder::new(request_code::GET_ROUTEINFO_BY_TOPIC)
                .field("topic", "NoSuchTopic")
                .run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::TOPIC_NOT_EXIST);
        assert_eq!(
            response.remark.as_deref(),
            Some(
                "No topic route info in name server for the topic: NoSuchTopic\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
            )
        );
        assert!(response.body.is_empty());
    }

    #[test]
    fn route_info_without_a_topic_is_a_system_error_naming_the_field() {
        let (_fake, plugin) = started();
        let response =
            respond(RequestBuilder::new(request_code::GET_ROUTEINFO_BY_TOPIC).run(&plugin));
        assert_eq!(response.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            response.remark.as_deref(),
            Some("the custom field <topic> is null")
        );
    }

    #[test]
    fn cluster_info_names_this_broker_in_fastjson_form() {
        let (fake, plugin) = started();
        {
            let mut state = fake.state();
            state.identity.cluster_name = "ClusterX".into();
            state.identity.broker_name = "broker-\"b\"".into();
            state.identity.broker_addr = "10.0.0.1:20911".into();
        }
        let response =
            respond(RequestBuilder::new(request_code::GET_BROKER_CLUSTER_INFO).run(&plugin));
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert_eq!(
            body(&response),
            r#"{"brokerAddrTable":{"broker-\"b\"":{"brokerAddrs":{0:"10.0.0.1:20911"},"brokerName":"broker-\"b\"","cluster":"ClusterX","enableActingMaster":false}},"clusterAddrTable":{"ClusterX":["broker-\"b\""]}}"#
        );
    }

    #[test]
    fn all_topic_list_names_every_topic_of_the_broker() {
        let (_fake, plugin) = started();
        let response = respond(
            RequestBuilder::new(request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER).run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert_eq!(body(&response), r#"{"topicList":["TBW102","TopicTest"]}"#);
    }

    #[test]
    fn topics_by_cluster_lists_this_cluster_s_topics_only() {
        let (_fake, plugin) = started();
        let ours = respond(
            RequestBuilder::new(request_code::GET_TOPICS_BY_CLUSTER)
                .field("cluster", "DefaultCluster")
                .run(&plugin),
        );
        assert_eq!(ours.code, ResponseCode::SUCCESS);
        assert_eq!(body(&ours), r#"{"topicList":["TBW102","TopicTest"]}"#);
        let other = respond(
            RequestBuilder::new(request_code::GET_TOPICS_BY_CLUSTER)
                .field("cluster", "OtherCluster")
                .run(&plugin),
        );
        assert_eq!(other.code, ResponseCode::SUCCESS);
        assert_eq!(body(&other), r#"{"topicList":[]}"#);
        let missing =
            respond(RequestBuilder::new(request_code::GET_TOPICS_BY_CLUSTER).run(&plugin));
        assert_eq!(missing.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            missing.remark.as_deref(),
            Some("the custom field <cluster> is null")
        );
    }

    #[test]
    fn system_topic_list_names_the_cluster_and_broker() {
        let (_fake, plugin) = started();
        let response =
            respond(RequestBuilder::new(request_code::GET_SYSTEM_TOPIC_LIST_FROM_NS).run(&plugin));
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert_eq!(
            body(&response),
            r#"{"brokerAddr":"127.0.0.1:10911","topicList":["DefaultCluster","broker-a"]}"#
        );
    }

    #[test]
    fn delete_topic_in_namesrv_answers_success_and_needs_the_topic() {
        let (fake, plugin) = started();
        let response = respond(
            RequestBuilder::new(request_code::DELETE_TOPIC_IN_NAMESRV)
                .field("topic", "TopicTest")
                .field("clusterName", "DefaultCluster")
                .run(&plugin),
        );
        assert_eq!(
            (response.code, response.remark),
            (ResponseCode::SUCCESS, None)
        );
        assert!(fake
            .log_lines()
            .iter()
            .any(|line| line.contains("topic=TopicTest") && line.contains("still holds")));
        let missing =
            respond(RequestBuilder::new(request_code::DELETE_TOPIC_IN_NAMESRV).run(&plugin));
        assert_eq!(missing.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            missing.remark.as_deref(),
            Some("the custom field <topic> is null")
        );
    }

    #[test]
    fn kv_config_reads_find_nothing_as_a_fresh_name_server() {
        let (_fake, plugin) = started();
        let response = respond(
            RequestBuilder::new(request_code::GET_KV_CONFIG)
                .field("namespace", "ORDER_TOPIC_CONFIG")
                .field("key", "TopicTest")
                .run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::QUERY_NOT_FOUND);
        assert_eq!(
            response.remark.as_deref(),
            Some("No config item, Namespace: ORDER_TOPIC_CONFIG Key: TopicTest")
        );
        let response = respond(
            RequestBuilder::new(request_code::GET_KVLIST_BY_NAMESPACE)
                .field("namespace", "ORDER_TOPIC_CONFIG")
                .run(&plugin),
        );
        assert_eq!(response.code, ResponseCode::QUERY_NOT_FOUND);
        assert_eq!(
            response.remark.as_deref(),
            Some("No config item, Namespace: ORDER_TOPIC_CONFIG")
        );
        let missing = respond(
            RequestBuilder::new(request_code::GET_KV_CONFIG)
                .field("namespace", "ORDER_TOPIC_CONFIG")
                .run(&plugin),
        );
        assert_eq!(missing.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            missing.remark.as_deref(),
            Some("the custom field <key> is null")
        );
    }

    #[test]
    fn another_code_is_not_supported() {
        let (_fake, plugin) = started();
        let response = respond(RequestBuilder::new(107).run(&plugin));
        assert_eq!(response.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED);
        assert_eq!(
            response.remark.as_deref(),
            Some(" request type 107 not supported")
        );
    }
}
