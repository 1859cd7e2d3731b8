//! Message queries with the stock `rocketmq-client-rust` client against the
//! broker with the query plugin: by key (QUERY_MESSAGE 12), by the offset
//! message id send returned (VIEW_MESSAGE_BY_ID 33) and by the UNIQ_KEY
//! (QUERY_MESSAGE with `_UNIQUE_KEY_QUERY=true`), through the client's own
//! query API and over raw frames with the fields of Java's `QueryMessageRequestHeader`
//! and `ViewMessageRequestHeader`.

use std::time::Duration;

use e2e_tests::stock_client::{
    full_broker, send_one, start_producer, Direction, Outgoing, StockRuntime, WireTap,
};
use e2e_tests::{plugin_library, BrokerProcess, BrokerSetup};
use plugin_api::message::decode_records;
use rocketmq_client_rust::SendStatus;

/// Readiness deadline (the index is written by the store's dispatcher).
const READY: Duration = Duration::from_secs(60);
const QUERY_MESSAGE: i32 = 12;
const VIEW_MESSAGE_BY_ID: i32 = 33;
const SUCCESS: i32 = 0;

fn setup() -> BrokerSetup {
    full_broker()
        .processor(&plugin_library("lock_plugin"), "")
        .processor(&plugin_library("query_plugin"), "")
}

use plugin_api::message::now_millis;

fn outgoing(key: &str, body: &str) -> Outgoing {
    Outgoing {
        key: key.to_owned(),
        tag: "TagQ".to_owned(),
        body: body.as_bytes().to_vec(),
    }
}

/// The commit-log offset in an offset message id (IPv4: 8 hex digits of
/// address, 8 of port, 16 of offset).
fn offset_of(offset_msg_id: &str) -> i64 {
    assert_eq!(
        offset_msg_id.len(),
        32,
        "IPv4 offset msgId: {offset_msg_id}"
    );
    i64::from_str_radix(&offset_msg_id[16..], 16).expect("hex offset")
}

#[test]
fn a_message_is_found_by_key_by_offset_id_and_by_the_id_send_returned() {
    const TOPIC: &str = "StockQuery";
    const KEY: &str = "order-4711";
    let broker = BrokerProcess::start(setup());
    let tap = WireTap::start(broker.addr());
    let rt = StockRuntime::new("stock-query");
    rt.block_on(async {
        // The producer goes through the tap, so its query traffic is recorded.
        let mut producer = start_producer(&rt, tap.addr(), "stock_query_producer").await;
        let begin = now_millis() - 1_000;
        let wanted = outgoing(KEY, "the order 4711");
        let sent = send_one(&producer, TOPIC, &wanted).await;
        // Others with other keys around it, and one more with the same key.
        for i in 0..10 {
            send_one(
                &producer,
                TOPIC,
                &outgoing(&format!("other-{i}"), &format!("other {i}")),
            )
            .await;
        }
        let twin = send_one(&producer, TOPIC, &outgoing(KEY, "the order 4711 again")).await;
        assert_eq!(sent.send_status, SendStatus::SendOk, "{sent:?}");
        let uniq_key = sent.msg_id.as_ref().expect("msgId").to_string();
        let offset_msg_id = sent.offset_msg_id.clone().expect("offsetMsgId");
        let end = now_millis() + 60_000;
        assert_eq!(
            offset_msg_id[..16],
            format!("7F000001{:08X}", broker.port),
            "the offset id names the broker's store address"
        );

        // 1. By key, through the client's query API (QUERY_MESSAGE 12). The
        // index is written asynchronously: a readiness wait.
        let mut found = Vec::new();
        let deadline = std::time::Instant::now() + READY;
        while std::time::Instant::now() < deadline {
            if let Ok(result) = producer
                .query_message(TOPIC, KEY, 32, begin as u64, end as u64)
                .await
            {
                found = result.message_list().to_vec();
                if found.len() >= 2 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut bodies: Vec<String> = found
            .iter()
            .map(|m| String::from_utf8_lossy(m.body().as_deref().unwrap_or_default()).into_owned())
            .collect();
        bodies.sort();
        assert_eq!(
            bodies,
            vec!["the order 4711", "the order 4711 again"],
            "query by key {KEY} finds both messages with it and nothing else\n{}",
            broker.log()
        );
        for message in &found {
            assert_eq!(message.topic().as_str(), TOPIC);
            assert_eq!(message.keys().unwrap_or_default(), vec![KEY.to_owned()]);
        }
        let first = found
            .iter()
            .find(|m| m.property("UNIQ_KEY") == Some(uniq_key.as_str()))
            .expect("the first message among the results, by its UNIQ_KEY");
        assert_eq!(
            first.queue_offset(),
            sent.queue_offset as i64,
            "queue offset of the found message"
        );

        // 2. By the offset message id send returned (VIEW_MESSAGE_BY_ID 33).
        let viewed = producer
            .view_message(TOPIC, &offset_msg_id)
            .await
            .unwrap_or_else(|e| panic!("view_message({offset_msg_id}) failed: {e}"));
        assert_eq!(viewed.body().as_deref(), Some(&b"the order 4711"[..]));
        assert_eq!(viewed.property("UNIQ_KEY"), Some(uniq_key.as_str()));
        assert_eq!(viewed.msg_id().to_string(), offset_msg_id);

        // 3. By the id send returned (the UNIQ_KEY): the client tries it as
        // an offset id first, then queries with _UNIQUE_KEY_QUERY=true.
        let by_uniq = producer
            .view_message(TOPIC, &uniq_key)
            .await
            .unwrap_or_else(|e| panic!("view_message({uniq_key}) failed: {e}"));
        assert_eq!(by_uniq.body().as_deref(), Some(&b"the order 4711"[..]));
        assert_eq!(by_uniq.property("UNIQ_KEY"), Some(uniq_key.as_str()));

        // The client sent QUERY_MESSAGE with those header fields.
        let frames = tap.frames();
        let requests = |code: i32| {
            frames
                .iter()
                .filter(move |(d, c)| {
                    *d == Direction::ToBroker && c.code == code && !c.is_response()
                })
                .map(|(_, c)| c.clone())
                .collect::<Vec<_>>()
        };
        let field = |c: &plugin_api::codec::RemotingCommand, name: &str| {
            c.ext_fields
                .as_ref()
                .and_then(|f| f.get(name))
                .map(|v| v.to_string())
        };
        assert!(
            requests(QUERY_MESSAGE)
                .iter()
                .any(|c| field(c, "key").as_deref() == Some(KEY)
                    && field(c, "topic").as_deref() == Some(TOPIC)),
            "a QUERY_MESSAGE by key went out:\n{}",
            tap.transcript()
        );
        // (VIEW_MESSAGE_BY_ID goes to the address inside the offset id, the
        // broker's own, not through the tap: checked over raw frames below.)
        assert!(
            requests(QUERY_MESSAGE)
                .iter()
                .any(|c| field(c, "key").as_deref() == Some(uniq_key.as_str())
                    && field(c, "_UNIQUE_KEY_QUERY").as_deref() == Some("true")),
            "a UNIQ_KEY QUERY_MESSAGE went out:\n{}",
            tap.transcript()
        );
        producer.shutdown().await;

        // The same over raw frames, checking the response header fields.
        let mut raw = broker.client();
        let max = i64::MAX.to_string();
        let by_key = raw.call_code(
            QUERY_MESSAGE,
            &[
                ("topic", TOPIC),
                ("key", KEY),
                ("maxNum", "32"),
                ("beginTimestamp", &begin.to_string()),
                ("endTimestamp", &max),
            ],
        );
        assert_eq!(by_key.code, SUCCESS, "{by_key:?}");
        let fields = by_key.ext_fields.clone().unwrap_or_default();
        let last_update: i64 = fields
            .get("indexLastUpdateTimestamp")
            .expect("indexLastUpdateTimestamp")
            .parse()
            .expect("a number");
        assert!(
            last_update >= begin,
            "indexLastUpdateTimestamp {last_update}"
        );
        let last_phy: i64 = fields
            .get("indexLastUpdatePhyoffset")
            .expect("indexLastUpdatePhyoffset")
            .parse()
            .expect("a number");
        assert!(last_phy > 0, "indexLastUpdatePhyoffset {last_phy}");
        let records = decode_records(&by_key.body);
        let mut raw_bodies: Vec<&[u8]> = records.iter().map(|r| r.body.as_slice()).collect();
        raw_bodies.sort();
        assert_eq!(
            raw_bodies,
            vec![&b"the order 4711"[..], &b"the order 4711 again"[..]]
        );

        // maxNum caps the results.
        let capped = raw.call_code(
            QUERY_MESSAGE,
            &[
                ("topic", TOPIC),
                ("key", KEY),
                ("maxNum", "1"),
                ("beginTimestamp", &begin.to_string()),
                ("endTimestamp", &max),
            ],
        );
        assert_eq!(capped.code, SUCCESS);
        assert_eq!(decode_records(&capped.body).len(), 1);

        // A time window before the messages finds nothing.
        let too_early = raw.call_code(
            QUERY_MESSAGE,
            &[
                ("topic", TOPIC),
                ("key", KEY),
                ("maxNum", "32"),
                ("beginTimestamp", "0"),
                ("endTimestamp", &(begin - 60_000).to_string()),
            ],
        );
        assert_ne!(too_early.code, SUCCESS, "{too_early:?}");
        assert!(decode_records(&too_early.body).is_empty());

        let by_uniq = raw.call_code(
            QUERY_MESSAGE,
            &[
                ("topic", TOPIC),
                ("key", &uniq_key),
                ("maxNum", "32"),
                ("beginTimestamp", &begin.to_string()),
                ("endTimestamp", &max),
                ("_UNIQUE_KEY_QUERY", "true"),
            ],
        );
        assert_eq!(by_uniq.code, SUCCESS, "{by_uniq:?}");
        let records = decode_records(&by_uniq.body);
        assert!(
            records
                .iter()
                .any(|r| r.property("UNIQ_KEY") == Some(uniq_key.as_str())
                    && r.body == b"the order 4711"),
            "UNIQ_KEY query finds the message: {records:?}"
        );

        let view = raw.call_code(
            VIEW_MESSAGE_BY_ID,
            &[
                ("topic", TOPIC),
                ("offset", &offset_of(&offset_msg_id).to_string()),
            ],
        );
        assert_eq!(view.code, SUCCESS, "{view:?}");
        let records = decode_records(&view.body);
        assert_eq!(records.len(), 1, "one record by offset");
        assert_eq!(records[0].body, b"the order 4711");
        assert_eq!(records[0].property("UNIQ_KEY"), Some(uniq_key.as_str()));
        assert_eq!(records[0].topic, TOPIC);

        let twin_view = raw.call_code(
            VIEW_MESSAGE_BY_ID,
            &[
                ("topic", TOPIC),
                (
                    "offset",
                    &offset_of(twin.offset_msg_id.as_deref().expect("offsetMsgId")).to_string(),
                ),
            ],
        );
        assert_eq!(twin_view.code, SUCCESS);
        assert_eq!(
            decode_records(&twin_view.body)[0].body,
            b"the order 4711 again"
        );
    });
}

/// Java's `QueryMessageProcessor.queryMessage` details over raw frames:
/// QUERY_NOT_FOUND carries indexLastUpdateTimestamp/Phyoffset 0 (the store
/// sets them only when the index found offsets); maxNum 0 finds nothing
/// (22); `_UNIQUE_KEY_QUERY` counts only when it equals "true" (then maxNum
/// is `defaultQueryMaxNum`).
#[test]
fn query_message_edge_cases_answer_like_java() {
    const TOPIC: &str = "QueryEdges";
    const QUERY_NOT_FOUND: i32 = 22;
    let broker = BrokerProcess::start(setup());
    let mut raw = broker.client();
    for body in ["first", "second"] {
        let sent = raw.send_message(TOPIC, 0, "T", "dup-key", body.as_bytes());
        assert_eq!(sent.code, SUCCESS, "send: {:?}", sent.remark);
    }
    let max = i64::MAX.to_string();
    let query =
        |raw: &mut e2e_tests::RawClient, key: &str, max_num: &str, extra: &[(&str, &str)]| {
            let mut fields = vec![
                ("topic", TOPIC),
                ("key", key),
                ("maxNum", max_num),
                ("beginTimestamp", "0"),
                ("endTimestamp", max.as_str()),
            ];
            fields.extend_from_slice(extra);
            raw.call_code(QUERY_MESSAGE, &fields)
        };
    // The index is written by the dispatcher: a readiness wait.
    let deadline = std::time::Instant::now() + READY;
    loop {
        let found = query(&mut raw, "dup-key", "32", &[]);
        if found.code == SUCCESS && decode_records(&found.body).len() == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{found:?}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let missing = query(&mut raw, "no-such-key", "32", &[]);
    assert_eq!(missing.code, QUERY_NOT_FOUND, "{missing:?}");
    let fields = missing.ext_fields.clone().unwrap_or_default();
    assert_eq!(
        fields
            .get("indexLastUpdateTimestamp")
            .map(|v| v.to_string()),
        Some("0".to_owned())
    );
    assert_eq!(
        fields
            .get("indexLastUpdatePhyoffset")
            .map(|v| v.to_string()),
        Some("0".to_owned())
    );

    let zero = query(&mut raw, "dup-key", "0", &[]);
    assert_eq!(zero.code, QUERY_NOT_FOUND, "maxNum 0: {zero:?}");
    assert!(decode_records(&zero.body).is_empty());
    // With _UNIQUE_KEY_QUERY=true, maxNum is defaultQueryMaxNum.
    let unique = query(&mut raw, "dup-key", "0", &[("_UNIQUE_KEY_QUERY", "true")]);
    assert_eq!(unique.code, SUCCESS, "{unique:?}");
    assert_eq!(decode_records(&unique.body).len(), 2);
    // Any other spelling is not "true": maxNum stays.
    for flag in ["TRUE", "True", "yes"] {
        let response = query(&mut raw, "dup-key", "1", &[("_UNIQUE_KEY_QUERY", flag)]);
        assert_eq!(response.code, SUCCESS, "{flag}: {response:?}");
        assert_eq!(decode_records(&response.body).len(), 1, "{flag}");
    }
}
