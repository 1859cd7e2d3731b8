//! Request/reply (SEND_REPLY_MESSAGE 324/325 and the push to the requester,
//! PUSH_REPLY_MESSAGE_TO_CLIENT 326) with the reply plugin: the stock
//! client's `DefaultMQProducer::request` answered by a responder that
//! replies with `MessageUtil::create_reply_message`, and raw-protocol checks
//! of the push frame's header and of Java's answers when the push fails.

use std::sync::mpsc;
use std::time::Duration;

use e2e_tests::stock_client::{full_broker, start_producer, ConsumeFromWhere, StockRuntime};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup, RawClient};
use plugin_api::codec::RemotingCommand;
use plugin_api::message::encode_properties;
use rocketmq_client_rust::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, DefaultMQPushConsumer, MQPushConsumer,
    MessageListenerConcurrently, MessageUtil,
};
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::common::message::MessageTrait;

const REPLY_TOPIC: &str = "DefaultCluster_REPLY_TOPIC";

fn reply_broker() -> BrokerSetup {
    full_broker().processor(&plugin_library("reply_plugin"), "")
}

/// Hands each request message the responder consumes to the replying task.
struct Forward(tokio::sync::mpsc::UnboundedSender<MessageExt>);

impl MessageListenerConcurrently for Forward {
    fn consume_message(
        &self,
        messages: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> rocketmq_client_rust::ClientResult<ConsumeConcurrentlyStatus> {
        for message in messages {
            let _ = self.0.send((*message).clone());
        }
        Ok(ConsumeConcurrentlyStatus::ConsumeSuccess)
    }
}

fn property_of(message: &dyn MessageTrait, name: &str) -> Option<String> {
    message
        .get_properties()
        .iter()
        .find(|(key, _)| key.as_str() == name)
        .map(|(_, value)| value.as_str().to_owned())
}

#[test]
fn a_stock_requester_gets_the_reply_its_stock_responder_sends() {
    const TOPIC: &str = "RequestReplyTopic";
    let broker = BrokerProcess::start(reply_broker());
    // The request topic exists before the responder subscribes.
    let created = broker
        .client()
        .send_message(TOPIC, 0, "TagA", "seed", b"seed");
    assert_eq!(created.code, 0, "{:?}", created.remark);

    let rt = StockRuntime::new("request-reply");
    rt.block_on(async {
        let (requests, mut incoming) = tokio::sync::mpsc::unbounded_channel();
        let mut consumer = DefaultMQPushConsumer::builder(rt.client_runtime())
            .consumer_group("reply_responder_group")
            .name_server_addr(broker.addr().to_string())
            .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
            .build();
        consumer.subscribe(TOPIC, "*").await.expect("subscribe");
        consumer.register_message_listener_concurrently(Forward(requests));
        consumer.start().await.expect("start responder");

        const REQUESTS: usize = 3;
        let mut responder = start_producer(&rt, broker.addr(), "reply_responder_producer").await;
        let replying = tokio::spawn(async move {
            let mut replied = 0;
            while replied < REQUESTS {
                let Some(request) = incoming.recv().await else {
                    break;
                };
                // The seed message asked for no reply.
                if request.message.property("REPLY_TO_CLIENT").is_none() {
                    continue;
                }
                let mut body = b"reply to ".to_vec();
                body.extend_from_slice(
                    request
                        .message
                        .get_body()
                        .map(|b| b.as_ref())
                        .unwrap_or(&[]),
                );
                let reply = MessageUtil::create_reply_message(&request.message, &body)
                    .expect("a request carries CLUSTER");
                let sent = responder.send(reply).await.expect("reply sent");
                assert!(sent.is_some(), "a sync send answers");
                replied += 1;
            }
            responder.shutdown().await;
            replied
        });

        let mut requester = start_producer(&rt, broker.addr(), "reply_requester_group").await;
        for i in 0..REQUESTS {
            let request = Message::builder()
                .topic(TOPIC)
                .tags("TagR")
                .body(format!("ping-{i}").into_bytes())
                .build()
                .expect("valid message");
            // Generous: the responder's first rebalance may come late on a
            // loaded machine.
            let reply = requester
                .request(request, 120_000)
                .await
                .unwrap_or_else(|error| panic!("request {i} failed: {error}\n{}", broker.log()));
            assert_eq!(
                reply.get_body().map(|b| b.to_vec()),
                Some(format!("reply to ping-{i}").into_bytes())
            );
            assert_eq!(reply.topic().as_str(), REPLY_TOPIC);
            assert_eq!(property_of(&*reply, "MSG_TYPE").as_deref(), Some("reply"));
            assert_eq!(property_of(&*reply, "TTL").as_deref(), Some("120000"));
            assert!(
                property_of(&*reply, "PUSH_REPLY_TIME").is_some(),
                "the broker stamps the push"
            );
        }
        assert_eq!(replying.await.expect("the responder task"), REQUESTS);
        requester.shutdown().await;
        consumer.shutdown().await;
    });
    // storeReplyMessageEnable (default true): the replies are stored too.
    let mut client = broker.client();
    let max = client.call_code(30, &[("topic", REPLY_TOPIC), ("queueId", "0")]);
    assert_eq!(
        max.ext_fields.as_ref().and_then(|f| f.get("offset")),
        Some("3"),
        "{max:?}"
    );
}

/// A raw client registered as a producer with this client id.
fn raw_requester(broker: &BrokerProcess, client_id: &str) -> RawClient {
    let mut client = broker.client();
    let mut heartbeat = client.request(34, &[]);
    heartbeat.body = format!(
        r#"{{"clientID":"{client_id}","consumerDataSet":[],"producerDataSet":[{{"groupName":"raw_requester_group"}}]}}"#
    )
    .into_bytes()
    .into();
    let answer = client.call(&heartbeat);
    assert_eq!(answer.code, 0, "{:?}", answer.remark);
    client
}

/// SEND_REPLY_MESSAGE_V2 (325) as a 5.x Java responder sends it.
fn reply_request(client: &mut RawClient, reply_to: Option<&str>) -> RemotingCommand {
    let mut properties = vec![
        ("MSG_TYPE", "reply"),
        ("CORRELATION_ID", "corr-42"),
        ("TTL", "3000"),
        ("CLUSTER", "DefaultCluster"),
    ];
    if let Some(client_id) = reply_to {
        properties.push(("REPLY_TO_CLIENT", client_id));
    }
    let properties = encode_properties(properties);
    let mut request = client.request(
        325,
        &[
            ("a", "raw_responder_group"),
            ("b", REPLY_TOPIC),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", "1700000000123"),
            ("h", "0"),
            ("i", &properties),
            ("j", "0"),
            ("k", "false"),
        ],
    );
    request.body = b"the answer".to_vec().into();
    request
}

/// Runs the reply on its own connection and thread (it blocks until the
/// push is answered).
fn send_reply_in_background(
    broker: &BrokerProcess,
    reply_to: Option<&'static str>,
) -> mpsc::Receiver<RemotingCommand> {
    let mut responder = broker.client();
    let (done, answer) = mpsc::channel();
    std::thread::spawn(move || {
        let request = reply_request(&mut responder, reply_to);
        let _ = done.send(responder.call(&request));
    });
    answer
}

#[test]
fn the_push_carries_javas_reply_header_and_the_clients_answer_decides() {
    let broker = BrokerProcess::start(reply_broker());
    let mut requester = raw_requester(&broker, "127.0.0.1@raw-requester");

    // 1. The requester answers SUCCESS.
    let answer = send_reply_in_background(&broker, Some("127.0.0.1@raw-requester"));
    let push = requester.read_frame().expect("the broker pushes the reply");
    assert_eq!(push.code, 326);
    assert!(!push.is_response() && !push.is_oneway(), "{push:?}");
    assert_eq!(&push.body[..], b"the answer");
    let fields = push.ext_fields.clone().expect("a header");
    let mut names: Vec<&str> = fields.iter().map(|(key, _)| key).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "bornHost",
            "bornTimestamp",
            "defaultTopic",
            "defaultTopicQueueNums",
            "flag",
            "producerGroup",
            "properties",
            "queueId",
            "reconsumeTimes",
            "storeHost",
            "storeTimestamp",
            "sysFlag",
            "topic",
            "unitMode"
        ]
    );
    let field = |key: &str| fields.get(key).unwrap_or_default().to_owned();
    assert_eq!(field("producerGroup"), "raw_responder_group");
    assert_eq!(field("topic"), REPLY_TOPIC);
    assert_eq!(field("defaultTopic"), "TBW102");
    assert_eq!(field("defaultTopicQueueNums"), "4");
    assert_eq!(field("queueId"), "0");
    assert_eq!(field("sysFlag"), "0");
    assert_eq!(field("bornTimestamp"), "1700000000123");
    assert_eq!(field("flag"), "0");
    assert_eq!(field("reconsumeTimes"), "0");
    assert_eq!(field("unitMode"), "false");
    assert!(field("bornHost").starts_with("127.0.0.1:"), "{fields:?}");
    assert_eq!(field("storeHost"), broker.addr().to_string());
    let store_timestamp: i64 = field("storeTimestamp").parse().expect("a timestamp");
    let properties = field("properties");
    let property = |name: &str| plugin_api::message::find_property(&properties, name);
    assert_eq!(property("CORRELATION_ID"), Some("corr-42"));
    assert_eq!(property("REPLY_TO_CLIENT"), Some("127.0.0.1@raw-requester"));
    assert_eq!(property("TTL"), Some("3000"));
    assert_eq!(property("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(property("TRACE_ON"), Some("true"));
    assert_eq!(
        property("PUSH_REPLY_TIME").map(str::to_owned),
        Some(store_timestamp.to_string())
    );
    let mut ok = RemotingCommand::response_to(&push, 0, None);
    ok.version = 479;
    requester.send(&ok);
    let answer = answer.recv().expect("the responder is answered");
    assert_eq!(answer.code, 0, "{:?}", answer.remark);
    let answer_fields = answer.ext_fields.clone().expect("a header");
    assert_eq!(answer_fields.get("queueId"), Some("0"));
    assert_eq!(
        answer_fields.get("queueOffset"),
        Some("0"),
        "first stored reply"
    );
    assert_eq!(answer_fields.get("MSG_REGION"), Some("DefaultRegion"));
    assert_ne!(answer_fields.get("msgId"), Some("0"), "stored: its id");

    // 2. The requester answers with an error: Java's remark (sic).
    let answer = send_reply_in_background(&broker, Some("127.0.0.1@raw-requester"));
    let push = requester.read_frame().expect("pushed again");
    let refused = RemotingCommand::response_to(&push, 1, Some("busy".into()));
    requester.send(&refused);
    let answer = answer.recv().expect("answered");
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("push reply message to 127.0.0.1@raw-requesterfail.")
    );
    assert_eq!(
        answer
            .ext_fields
            .as_ref()
            .and_then(|f| f.get("queueOffset")),
        Some("1"),
        "stored all the same"
    );

    // 3. The requester's connection closes before it answers.
    let answer = send_reply_in_background(&broker, Some("127.0.0.1@raw-requester"));
    let push = requester.read_frame().expect("pushed a third time");
    assert_eq!(push.code, 326);
    drop(requester);
    let answer = answer
        .recv_timeout(Duration::from_secs(60))
        .expect("answered once the connection is gone, not after the 10 s timeout");
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("push reply message to 127.0.0.1@raw-requesterfail.")
    );
}

#[test]
fn a_reply_for_an_unknown_requester_or_none_is_answered_as_java() {
    let broker = BrokerProcess::start(reply_broker());
    let mut responder = broker.client();
    let request = reply_request(&mut responder, Some("10.9.9.9@nobody"));
    let answer = responder.call(&request);
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("push reply message fail, channel of <10.9.9.9@nobody> not found.")
    );
    let fields = answer.ext_fields.clone().expect("a header");
    assert_eq!(fields.get("TRACE_ON"), Some("true"));
    assert_eq!(fields.get("queueOffset"), Some("0"), "stored all the same");

    let request = reply_request(&mut responder, None);
    let answer = responder.call(&request);
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("reply message properties[REPLY_TO_CLIENT] is null")
    );

    // SEND_REPLY_MESSAGE (324): SendMessageRequestHeader's long names.
    let properties = encode_properties([("REPLY_TO_CLIENT", "10.9.9.9@nobody")]);
    let mut v1 = responder.request(
        324,
        &[
            ("producerGroup", "raw_responder_group"),
            ("topic", REPLY_TOPIC),
            ("defaultTopic", "TBW102"),
            ("defaultTopicQueueNums", "4"),
            ("queueId", "0"),
            ("sysFlag", "0"),
            ("bornTimestamp", "1700000000123"),
            ("flag", "0"),
            ("properties", &properties),
        ],
    );
    v1.body = b"v1".to_vec().into();
    let answer = responder.call(&v1);
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("push reply message fail, channel of <10.9.9.9@nobody> not found.")
    );
    assert_eq!(
        answer.ext("queueOffset"),
        Some("2"),
        "the third stored reply"
    );

    // A header without its topic: Java's header decoding error.
    let mut missing = responder.request(325, &[("a", "g")]);
    missing.body = b"x".to_vec().into();
    let answer = responder.call(&missing);
    assert_eq!(answer.code, 1);
    assert_eq!(
        answer.remark.as_deref(),
        Some("the custom field <b> is null")
    );
}
