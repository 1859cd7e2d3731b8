//! GET_ROUTEINFO_BY_TOPIC (105) and GET_BROKER_CLUSTER_INFO (106) served by
//! the route plugin loaded from the manifest, in both serializations.

use e2e_tests::{BrokerProcess, BrokerSetup};
use plugin_api::codec::SerializeType;

fn route_body(port: u16, quoted: bool, topic_perm: i32, queues: i32) -> String {
    let key = if quoted { "\"0\"" } else { "0" };
    format!(
        r#"{{"brokerDatas":[{{"brokerAddrs":{{{key}:"127.0.0.1:{port}"}},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}}],"filterServerTable":{{}},"queueDatas":[{{"brokerName":"broker-a","perm":{topic_perm},"readQueueNums":{queues},"topicSysFlag":0,"writeQueueNums":{queues}}}]}}"#
    )
}

#[test]
fn route_of_a_system_topic_in_json_and_binary() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();

    let json = client.call_code(105, &[("topic", "TBW102")]);
    assert_eq!(json.code, 0, "remark: {:?}", json.remark);
    assert_eq!(json.serialize_type, SerializeType::Json);
    // TBW102 has perm 7 (R|W|INHERIT), advertised as is: Java ANDs it with
    // brokerPermission only when the broker is not both readable and writeable.
    assert_eq!(
        String::from_utf8_lossy(&json.body),
        route_body(broker.port, true, 7, 8)
    );

    let binary = client.call_code_binary(105, &[("topic", "TBW102")]);
    assert_eq!(binary.code, 0);
    assert_eq!(
        binary.serialize_type,
        SerializeType::RocketMq,
        "response mirrors the request's serialization"
    );
    assert_eq!(binary.body, json.body);
}

#[test]
fn old_clients_get_unquoted_integer_keys() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let mut request = client.request(105, &[("topic", "SELF_TEST_TOPIC")]);
    request.version = 317; // rocketmq-client-go v2
    let response = client.call(&request);
    assert_eq!(response.code, 0);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        route_body(broker.port, false, 6, 1)
    );

    let explicit = client.call_code(
        105,
        &[
            ("topic", "SELF_TEST_TOPIC"),
            ("acceptStandardJsonOnly", "true"),
        ],
    );
    assert!(String::from_utf8_lossy(&explicit.body).contains("{\"0\":"));
}

#[test]
fn unknown_topic_is_topic_not_exist() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let response = client.call_code(105, &[("topic", "NoSuchTopic")]);
    assert_eq!(response.code, 17);
    let remark = response.remark.expect("remark");
    assert!(
        remark.starts_with("No topic route info in name server for the topic: NoSuchTopic"),
        "{remark}"
    );
}

#[test]
fn missing_topic_header_is_a_system_error_naming_the_field() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let response = client.call_code(105, &[]);
    assert_eq!(response.code, 1);
    assert_eq!(
        response.remark.as_deref(),
        Some("the custom field <topic> is null")
    );
}

#[test]
fn cluster_info_names_this_broker() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = broker.client();
    let response = client.call_code(106, &[]);
    assert_eq!(response.code, 0);
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        format!(
            r#"{{"brokerAddrTable":{{"broker-a":{{"brokerAddrs":{{0:"127.0.0.1:{}"}},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}}}},"clusterAddrTable":{{"DefaultCluster":["broker-a"]}}}}"#,
            broker.port
        )
    );
}

#[test]
fn route_lookup_works_on_the_fast_port_too() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let mut client = e2e_tests::RawClient::connect(broker.fast_addr());
    let response = client.call_code(105, &[("topic", "TBW102")]);
    assert_eq!(response.code, 0);
}
