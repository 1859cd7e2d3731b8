//! Byte-exact frames as Java writes them (fastjson JSON headers, `RocketMQSerializable` binary
//! headers; `docs/PROTOCOL.md`), leniency and error cases.

use bytes::{Bytes, BytesMut};
use plugin_api::codec::*;
use plugin_api::codes::{request_code, response_code, BROKER_VERSION};

/// Parses hex dump columns ("00 01 ff ...") into bytes.
fn hex(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// A Java producer's SEND_MESSAGE_V2 frame: JSON header, body "Hello RocketMQ" (398 bytes).
fn spec_request_frame() -> Vec<u8> {
    hex(&[
        "00 00 01 8a 00 00 01 78 7b 22 63 6f 64 65 22 3a",
        "33 31 30 2c 22 65 78 74 46 69 65 6c 64 73 22 3a",
        "7b 22 61 22 3a 22 70 6c 65 61 73 65 5f 72 65 6e",
        "61 6d 65 5f 75 6e 69 71 75 65 5f 67 72 6f 75 70",
        "5f 6e 61 6d 65 22 2c 22 62 22 3a 22 54 6f 70 69",
        "63 54 65 73 74 22 2c 22 63 22 3a 22 54 42 57 31",
        "30 32 22 2c 22 64 22 3a 22 34 22 2c 22 65 22 3a",
        "22 30 22 2c 22 66 22 3a 22 30 22 2c 22 67 22 3a",
        "22 31 37 30 30 30 30 30 30 30 30 30 30 30 22 2c",
        "22 68 22 3a 22 30 22 2c 22 69 22 3a 22 54 41 47",
        "53 5c 75 30 30 30 31 54 61 67 41 5c 75 30 30 30",
        "32 57 41 49 54 5c 75 30 30 30 31 74 72 75 65 5c",
        "75 30 30 30 32 55 4e 49 51 5f 4b 45 59 5c 75 30",
        "30 30 31 37 46 30 30 30 30 30 31 30 44 32 41 31",
        "38 42 34 41 41 43 32 37 45 36 42 35 42 31 41 30",
        "30 30 30 5c 75 30 30 30 32 22 2c 22 6a 22 3a 22",
        "30 22 2c 22 6b 22 3a 22 66 61 6c 73 65 22 2c 22",
        "6d 22 3a 22 66 61 6c 73 65 22 2c 22 6e 22 3a 22",
        "62 72 6f 6b 65 72 2d 61 22 7d 2c 22 66 6c 61 67",
        "22 3a 30 2c 22 6c 61 6e 67 75 61 67 65 22 3a 22",
        "4a 41 56 41 22 2c 22 6f 70 61 71 75 65 22 3a 37",
        "2c 22 73 65 72 69 61 6c 69 7a 65 54 79 70 65 43",
        "75 72 72 65 6e 74 52 50 43 22 3a 22 4a 53 4f 4e",
        "22 2c 22 76 65 72 73 69 6f 6e 22 3a 34 37 39 7d",
        "48 65 6c 6c 6f 20 52 6f 63 6b 65 74 4d 51",
    ])
}

/// `SendMessageProcessor`'s response to it, JSON header, no body (290 bytes).
fn spec_json_response_frame() -> Vec<u8> {
    hex(&[
        "00 00 01 1e 00 00 01 1a 7b 22 63 6f 64 65 22 3a",
        "30 2c 22 65 78 74 46 69 65 6c 64 73 22 3a 7b 22",
        "71 75 65 75 65 49 64 22 3a 22 30 22 2c 22 74 72",
        "61 6e 73 61 63 74 69 6f 6e 49 64 22 3a 22 37 46",
        "30 30 30 30 30 31 30 44 32 41 31 38 42 34 41 41",
        "43 32 37 45 36 42 35 42 31 41 30 30 30 30 22 2c",
        "22 6d 73 67 49 64 22 3a 22 37 46 30 30 30 30 30",
        "31 30 30 30 30 32 41 39 46 30 30 30 30 30 30 30",
        "30 30 30 30 30 30 30 30 30 22 2c 22 54 52 41 43",
        "45 5f 4f 4e 22 3a 22 74 72 75 65 22 2c 22 4d 53",
        "47 5f 52 45 47 49 4f 4e 22 3a 22 44 65 66 61 75",
        "6c 74 52 65 67 69 6f 6e 22 2c 22 71 75 65 75 65",
        "4f 66 66 73 65 74 22 3a 22 30 22 7d 2c 22 66 6c",
        "61 67 22 3a 31 2c 22 6c 61 6e 67 75 61 67 65 22",
        "3a 22 4a 41 56 41 22 2c 22 6f 70 61 71 75 65 22",
        "3a 37 2c 22 73 65 72 69 61 6c 69 7a 65 54 79 70",
        "65 43 75 72 72 65 6e 74 52 50 43 22 3a 22 4a 53",
        "4f 4e 22 2c 22 76 65 72 73 69 6f 6e 22 3a 34 37",
        "39 7d",
    ])
}

/// The same response with a binary (ROCKETMQ) header as 5.x encodes it (`FastCodesHeader`
/// fields first), no body (202 bytes).
fn spec_binary_response_frame() -> Vec<u8> {
    hex(&[
        "00 00 00 c6 01 00 00 c2 00 00 00 01 df 00 00 00",
        "07 00 00 00 01 00 00 00 00 00 00 00 ad 00 05 6d",
        "73 67 49 64 00 00 00 20 37 46 30 30 30 30 30 31",
        "30 30 30 30 32 41 39 46 30 30 30 30 30 30 30 30",
        "30 30 30 30 30 30 30 30 00 07 71 75 65 75 65 49",
        "64 00 00 00 01 30 00 0b 71 75 65 75 65 4f 66 66",
        "73 65 74 00 00 00 01 30 00 0d 74 72 61 6e 73 61",
        "63 74 69 6f 6e 49 64 00 00 00 20 37 46 30 30 30",
        "30 30 31 30 44 32 41 31 38 42 34 41 41 43 32 37",
        "45 36 42 35 42 31 41 30 30 30 30 00 08 54 52 41",
        "43 45 5f 4f 4e 00 00 00 04 74 72 75 65 00 0a 4d",
        "53 47 5f 52 45 47 49 4f 4e 00 00 00 0d 44 65 66",
        "61 75 6c 74 52 65 67 69 6f 6e",
    ])
}

const MSG_ID: &str = "7F00000100002A9F0000000000000000";
const UNIQ_KEY: &str = "7F0000010D2A18B4AAC27E6B5B1A0000";

fn decode_one(bytes: &[u8]) -> RemotingCommand {
    let mut buf = BytesMut::from(bytes);
    let cmd = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .expect("decodes")
        .expect("complete frame");
    assert!(buf.is_empty(), "whole frame consumed");
    cmd
}

fn decode_err(bytes: &[u8]) -> CodecError {
    let mut buf = BytesMut::from(bytes);
    decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH).expect_err("must fail")
}

/// A frame around a raw header, with the given type byte.
fn frame_with_header(type_byte: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    v.extend_from_slice(&((u32::from(type_byte) << 24) | header.len() as u32).to_be_bytes());
    v.extend_from_slice(header);
    v.extend_from_slice(body);
    v
}

fn json_frame(json: &str) -> Vec<u8> {
    frame_with_header(0, json.as_bytes(), b"")
}

// ---------------------------------------------------------------- 1. SEND_MESSAGE_V2 request

#[test]
fn spec_request_decodes_every_field() {
    let bytes = spec_request_frame();
    assert_eq!(bytes.len(), 398);
    let cmd = decode_one(&bytes);
    assert_eq!(cmd.code, request_code::SEND_MESSAGE_V2);
    assert_eq!(cmd.language, LanguageCode::Java);
    assert_eq!(cmd.version, BROKER_VERSION);
    assert_eq!(cmd.opaque, 7);
    assert_eq!(cmd.flag, 0);
    assert!(!cmd.is_response());
    assert!(!cmd.is_oneway());
    assert_eq!(cmd.remark, None);
    assert_eq!(cmd.serialize_type, SerializeType::Json);
    assert_eq!(&cmd.body[..], b"Hello RocketMQ");

    let ext = cmd.ext_fields.as_ref().expect("extFields present");
    let expected = [
        ("a", "please_rename_unique_group_name"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        (
            "i",
            "TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}UNIQ_KEY\u{1}7F0000010D2A18B4AAC27E6B5B1A0000\u{2}",
        ),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
        ("n", "broker-a"),
    ];
    assert_eq!(ext.iter().collect::<Vec<_>>(), expected.to_vec());
    let props = cmd.ext("i").unwrap();
    assert!(props.as_bytes().contains(&0x01) && props.as_bytes().contains(&0x02));
    assert!(
        !props.contains("\\u"),
        "escapes are decoded to real control chars"
    );
    assert_eq!(props.matches('\u{1}').count(), 3);
    assert_eq!(props.matches('\u{2}').count(), 3);
    assert_eq!(cmd.ext("n"), Some("broker-a"));
    assert_eq!(cmd.ext("zz"), None);
}

#[test]
fn spec_request_reencodes_identically() {
    let bytes = spec_request_frame();
    let cmd = decode_one(&bytes);
    assert_eq!(encode_to_vec(&cmd).unwrap(), bytes);
    let mut dst = BytesMut::new();
    encode_frame(&cmd, &mut dst).unwrap();
    assert_eq!(&dst[..], &bytes[..]);
}

// ---------------------------------------------------------------- 2. JSON response

fn spec_response(serialize_type: SerializeType, order: &[&str]) -> RemotingCommand {
    let values = |k: &str| match k {
        "queueId" => "0",
        "transactionId" => UNIQ_KEY,
        "msgId" => MSG_ID,
        "TRACE_ON" => "true",
        "MSG_REGION" => "DefaultRegion",
        "queueOffset" => "0",
        _ => unreachable!(),
    };
    let mut ext = ExtFields::new();
    for k in order {
        ext.insert(*k, values(k));
    }
    RemotingCommand {
        code: response_code::SUCCESS,
        language: LanguageCode::Java,
        version: BROKER_VERSION,
        opaque: 7,
        flag: FLAG_RESPONSE,
        remark: None,
        ext_fields: Some(ext),
        serialize_type,
        body: Bytes::new(),
    }
}

const JSON_ORDER: [&str; 6] = [
    "queueId",
    "transactionId",
    "msgId",
    "TRACE_ON",
    "MSG_REGION",
    "queueOffset",
];
const BINARY_ORDER: [&str; 6] = [
    "msgId",
    "queueId",
    "queueOffset",
    "transactionId",
    "TRACE_ON",
    "MSG_REGION",
];

#[test]
fn spec_json_response_encodes_exactly() {
    let expected = spec_json_response_frame();
    assert_eq!(expected.len(), 290);
    let cmd = spec_response(SerializeType::Json, &JSON_ORDER);
    assert_eq!(encode_to_vec(&cmd).unwrap(), expected);
}

#[test]
fn spec_json_response_decodes() {
    let cmd = decode_one(&spec_json_response_frame());
    assert_eq!(cmd, spec_response(SerializeType::Json, &JSON_ORDER));
    assert!(cmd.is_response());
    assert_eq!(cmd.ext("MSG_REGION"), Some("DefaultRegion"));
    assert!(cmd.body.is_empty());
}

#[test]
fn response_to_builds_a_matching_response() {
    let req = decode_one(&spec_request_frame());
    let mut resp = RemotingCommand::response_to(&req, response_code::SUCCESS, None);
    assert_eq!(resp.opaque, 7);
    assert_eq!(resp.flag, FLAG_RESPONSE);
    assert_eq!(resp.language, LanguageCode::Java);
    assert_eq!(resp.serialize_type, SerializeType::Json);
    assert_eq!(resp.ext_fields, None);
    assert!(resp.body.is_empty());
    resp.version = BROKER_VERSION;
    let mut ext = ExtFields::new();
    for k in JSON_ORDER {
        ext.insert(k, "x");
    }
    ext.insert("queueId", "0");
    ext.insert("transactionId", UNIQ_KEY);
    ext.insert("msgId", MSG_ID);
    ext.insert("TRACE_ON", "true");
    ext.insert("MSG_REGION", "DefaultRegion");
    ext.insert("queueOffset", "0");
    resp.ext_fields = Some(ext);
    assert_eq!(encode_to_vec(&resp).unwrap(), spec_json_response_frame());

    let req_bin = RemotingCommand {
        serialize_type: SerializeType::RocketMq,
        ..req.clone()
    };
    let r =
        RemotingCommand::response_to(&req_bin, response_code::SYSTEM_ERROR, Some("boom".into()));
    assert_eq!(r.serialize_type, SerializeType::RocketMq);
    assert_eq!(r.remark.as_deref(), Some("boom"));
    assert_eq!(r.code, 1);

    let oneway = RemotingCommand {
        flag: FLAG_ONEWAY,
        ..RemotingCommand::request(request_code::UPDATE_CONSUMER_OFFSET)
    };
    assert!(oneway.is_oneway() && !oneway.is_response());
}

// ---------------------------------------------------------------- 3. binary response

#[test]
fn spec_binary_response_encodes_exactly() {
    let expected = spec_binary_response_frame();
    assert_eq!(expected.len(), 4 + 198);
    let cmd = spec_response(SerializeType::RocketMq, &BINARY_ORDER);
    assert_eq!(encode_to_vec(&cmd).unwrap(), expected);
}

#[test]
fn spec_binary_response_decodes() {
    let cmd = decode_one(&spec_binary_response_frame());
    assert_eq!(cmd, spec_response(SerializeType::RocketMq, &BINARY_ORDER));
    assert_eq!(cmd.version, 479);
    assert_eq!(cmd.ext("msgId"), Some(MSG_ID));
    assert_eq!(cmd.ext("transactionId"), Some(UNIQ_KEY));
}

// ---------------------------------------------------------------- 4. leniency

#[test]
fn go_client_header() {
    let cmd = decode_one(&json_frame(
        r#"{"code":34,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"a":"b"}}"#,
    ));
    assert_eq!(cmd.code, request_code::HEART_BEAT);
    assert_eq!(cmd.language, LanguageCode::Go);
    assert_eq!(cmd.version, 317);
    assert_eq!(cmd.opaque, 1);
    assert_eq!(cmd.flag, 0);
    assert_eq!(cmd.remark, None, "empty remark is None");
    assert_eq!(cmd.ext("a"), Some("b"));
    assert_eq!(cmd.ext_fields.as_ref().unwrap().len(), 1);
}

#[test]
fn ext_field_numbers_booleans_and_nulls() {
    let cmd = decode_one(&json_frame(
        r#"{"code":11,"extFields":{"queueId":3,"offset":-17,"big":1700000000000,"f":1.5,"yes":true,"no":false,"gone":null,"s":"x","nested":{"k":[1,"v"]}}}"#,
    ));
    let ext = cmd.ext_fields.unwrap();
    assert_eq!(ext.get("queueId"), Some("3"));
    assert_eq!(ext.get("offset"), Some("-17"));
    assert_eq!(ext.get("big"), Some("1700000000000"));
    assert_eq!(ext.get("f"), Some("1.5"));
    assert_eq!(ext.get("yes"), Some("true"));
    assert_eq!(ext.get("no"), Some("false"));
    assert_eq!(ext.get("gone"), None);
    assert_eq!(ext.get("s"), Some("x"));
    assert_eq!(ext.get("nested"), Some(r#"{"k":[1,"v"]}"#));
    assert_eq!(ext.len(), 8);
}

#[test]
fn unknown_fields_missing_fields_and_defaults() {
    let cmd = decode_one(&json_frame(
        r#"{"opaque":5,"unknown":{"deep":[1,2,{"x":null}]},"code":14,"other":"x","language":"KOTLIN"}"#,
    ));
    assert_eq!(cmd.code, 14);
    assert_eq!(cmd.opaque, 5);
    assert_eq!(cmd.language, LanguageCode::Other);
    assert_eq!(cmd.version, 0);
    assert_eq!(cmd.flag, 0);
    assert_eq!(cmd.remark, None);
    assert_eq!(cmd.ext_fields, None);

    let cmd = decode_one(&json_frame("{}"));
    assert_eq!(
        cmd,
        RemotingCommand {
            code: 0,
            ..RemotingCommand::default()
        }
    );

    let cmd = decode_one(&json_frame(
        r#"{"code":"34","extFields":null,"remark":null,"language":"node_js","serializeTypeCurrentRPC":"ROCKETMQ","flag":3}"#,
    ));
    assert_eq!(cmd.code, 34);
    assert_eq!(cmd.ext_fields, None);
    assert_eq!(cmd.remark, None);
    assert_eq!(cmd.language, LanguageCode::NodeJs);
    assert_eq!(cmd.serialize_type, SerializeType::Json, "type byte wins");
    assert!(cmd.is_response() && cmd.is_oneway());

    let cmd = decode_one(&json_frame(r#"{"code":1,"extFields":{}}"#));
    assert_eq!(cmd.ext_fields, Some(ExtFields::new()));
}

#[test]
fn duplicate_keys_keep_last_value() {
    let cmd = decode_one(&json_frame(
        r#"{"code":1,"code":2,"extFields":{"a":"1","b":"2","a":"3"}}"#,
    ));
    assert_eq!(cmd.code, 2);
    let ext = cmd.ext_fields.unwrap();
    assert_eq!(ext.iter().collect::<Vec<_>>(), vec![("a", "3"), ("b", "2")]);
}

#[test]
fn json_remark_and_escapes_round_trip() {
    let cmd = RemotingCommand {
        remark: Some("bad \"topic\"\n\u{1}é中".into()),
        ..RemotingCommand::request(17)
    };
    let header = encode_json_header(&cmd);
    let text = std::str::from_utf8(&header).unwrap();
    assert_eq!(
        text,
        "{\"code\":17,\"flag\":0,\"language\":\"JAVA\",\"opaque\":0,\"remark\":\"bad \\\"topic\\\"\\n\\u0001é中\",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":0}"
    );
    assert_eq!(decode_json_header(&header).unwrap(), cmd);
}

#[test]
fn language_codes() {
    for b in 0u8..=13 {
        let l = LanguageCode::from_byte(b);
        assert_eq!(l.as_byte(), b);
        assert_eq!(LanguageCode::from_name(l.name()), l);
    }
    assert_eq!(LanguageCode::from_byte(14), LanguageCode::Other);
    assert_eq!(LanguageCode::from_byte(255), LanguageCode::Other);
    assert_eq!(LanguageCode::from_name("NODE_JS"), LanguageCode::NodeJs);
    assert_eq!(LanguageCode::from_name("RUST"), LanguageCode::Rust);
    assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::Other);
    assert_eq!(LanguageCode::Dotnet.name(), "DOTNET");
    assert_eq!(SerializeType::from_byte(0), Some(SerializeType::Json));
    assert_eq!(SerializeType::from_byte(1), Some(SerializeType::RocketMq));
    assert_eq!(SerializeType::from_byte(2), None);
    assert_eq!(SerializeType::RocketMq.name(), "ROCKETMQ");
}

#[test]
fn ext_fields_map_semantics() {
    let mut ext = ExtFields::new();
    assert!(ext.is_empty());
    ext.insert("b", "1");
    ext.insert("a", "2");
    ext.insert("b", "3");
    assert_eq!(ext.iter().collect::<Vec<_>>(), vec![("b", "3"), ("a", "2")]);
    assert_eq!(ext.remove("b"), Some("3".to_string()));
    assert_eq!(ext.remove("b"), None);
    assert_eq!(ext.len(), 1);
    let from_vec = ExtFields::from(vec![
        ("x".to_string(), "1".to_string()),
        ("y".to_string(), "2".to_string()),
        ("x".to_string(), "3".to_string()),
    ]);
    assert_eq!(
        from_vec.iter().collect::<Vec<_>>(),
        vec![("x", "3"), ("y", "2")]
    );
    let collected: ExtFields = vec![("k".to_string(), "v".to_string())]
        .into_iter()
        .collect();
    assert_eq!(collected.get("k"), Some("v"));
}

#[test]
fn binary_decode_rules() {
    // code 10, lang GO, version 1, opaque 2, flag 0, remark "" (len 0), map with a
    // zero-length key, a zero-length value, a duplicate and a normal entry.
    let mut h = Vec::new();
    h.extend_from_slice(&10i16.to_be_bytes());
    h.push(9);
    h.extend_from_slice(&1i16.to_be_bytes());
    h.extend_from_slice(&2i32.to_be_bytes());
    h.extend_from_slice(&0i32.to_be_bytes());
    h.extend_from_slice(&0i32.to_be_bytes());
    let mut map = Vec::new();
    let mut entry = |k: &[u8], v: &[u8]| {
        map.extend_from_slice(&(k.len() as u16).to_be_bytes());
        map.extend_from_slice(k);
        map.extend_from_slice(&(v.len() as i32).to_be_bytes());
        map.extend_from_slice(v);
    };
    entry(b"k", b"1");
    entry(b"", b"skipped");
    entry(b"e", b"");
    entry(b"z", b"2");
    entry(b"k", b"3");
    h.extend_from_slice(&(map.len() as i32).to_be_bytes());
    h.extend_from_slice(&map);
    let cmd = decode_one(&frame_with_header(1, &h, b"body"));
    assert_eq!(cmd.code, 10);
    assert_eq!(cmd.language, LanguageCode::Go);
    assert_eq!(cmd.remark, None);
    assert_eq!(
        cmd.ext_fields.unwrap().iter().collect::<Vec<_>>(),
        vec![("k", "3"), ("z", "2")]
    );
    assert_eq!(&cmd.body[..], b"body");

    // extLen 0 -> None; remark None and "" both encode as length 0.
    let cmd = RemotingCommand {
        remark: Some(String::new()),
        ext_fields: Some(ExtFields::new()),
        serialize_type: SerializeType::RocketMq,
        ..RemotingCommand::request(1)
    };
    let header = encode_binary_header(&cmd).unwrap();
    assert_eq!(header.len(), 21);
    let back = decode_binary_header(&header).unwrap();
    assert_eq!(back.remark, None);
    assert_eq!(back.ext_fields, None);
}

#[test]
fn invalid_utf8_is_replaced_like_java() {
    let mut json = br#"{"code":1,"remark":"a"#.to_vec();
    json.push(0xff);
    json.extend_from_slice(br#"b"}"#);
    let cmd = decode_one(&frame_with_header(0, &json, b""));
    assert_eq!(cmd.remark.as_deref(), Some("a\u{fffd}b"));

    let cmd = RemotingCommand {
        remark: Some("ab".into()),
        serialize_type: SerializeType::RocketMq,
        ..RemotingCommand::request(1)
    };
    let mut header = encode_binary_header(&cmd).unwrap();
    header[17] = 0xff;
    assert_eq!(
        decode_binary_header(&header).unwrap().remark.as_deref(),
        Some("\u{fffd}b")
    );
}

// ---------------------------------------------------------------- 5. errors

#[test]
fn frame_length_limits() {
    // 16777212 is the largest accepted length field: not an error, just incomplete.
    let mut buf = BytesMut::from(&16_777_212u32.to_be_bytes()[..]);
    assert!(decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .unwrap()
        .is_none());
    assert_eq!(buf.len(), 4, "nothing consumed");

    match decode_err(&16_777_213u32.to_be_bytes()) {
        CodecError::FrameTooLong { length, max } => {
            assert_eq!(length, 16_777_213);
            assert_eq!(max, DEFAULT_MAX_FRAME_LENGTH);
        }
        e => panic!("unexpected {e:?}"),
    }
    match decode_err(&(-1i32).to_be_bytes()) {
        CodecError::FrameTooLong { length, .. } => assert_eq!(length, -1),
        e => panic!("unexpected {e:?}"),
    }
    match decode_err(&i32::MIN.to_be_bytes()) {
        CodecError::FrameTooLong { length, .. } => assert_eq!(length, i64::from(i32::MIN)),
        e => panic!("unexpected {e:?}"),
    }
    for len in 0u32..4 {
        match decode_err(&len.to_be_bytes()) {
            CodecError::FrameTooShort { length } => assert_eq!(length, i64::from(len)),
            e => panic!("unexpected {e:?}"),
        }
    }
    // A smaller configured maximum.
    let frame = spec_request_frame();
    let mut buf = BytesMut::from(&frame[..]);
    assert!(matches!(
        decode_frame(&mut buf, 397),
        Err(CodecError::FrameTooLong {
            length: 394,
            max: 397
        })
    ));
    let mut buf = BytesMut::from(&frame[..]);
    assert!(decode_frame(&mut buf, 398).unwrap().is_some());
}

#[test]
fn bad_header_length_and_unknown_type() {
    // Header length 100 in a frame whose length field is 10.
    let mut v = Vec::new();
    v.extend_from_slice(&10u32.to_be_bytes());
    v.extend_from_slice(&100u32.to_be_bytes());
    v.extend_from_slice(&[0; 6]);
    match decode_err(&v) {
        CodecError::BadHeaderLength {
            header_length,
            frame_length,
        } => {
            assert_eq!(header_length, 100);
            assert_eq!(frame_length, 10);
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(matches!(
        decode_err(&frame_with_header(2, b"{}", b"")),
        CodecError::UnknownSerializeType(2)
    ));
    assert!(matches!(
        decode_err(&frame_with_header(0xff, b"", b"")),
        CodecError::UnknownSerializeType(0xff)
    ));
}

#[test]
fn garbage_json_is_rejected() {
    for bad in [
        "",
        "{",
        "nope",
        "[1,2]",
        "{\"code\":}",
        "{\"code\":99999999999}",
        "{\"code\":1.5}",
        "{\"code\":\"abc\"}",
        "{\"extFields\":\"abc\"}",
        "{\"extFields\":[1]}",
        "{\"code\":1} trailing",
        "{\"code\":1,}",
        "\u{0}\u{0}",
    ] {
        assert!(
            matches!(
                decode_err(&json_frame(bad)),
                CodecError::InvalidJsonHeader(_)
            ),
            "{bad:?}"
        );
    }
    // Deep nesting never overflows the stack: skipped iteratively in unknown fields,
    // rejected by serde_json's recursion limit inside extFields values.
    let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let deep_unknown = format!("{{\"code\":3,\"x\":{}}}", nest(100_000));
    assert_eq!(decode_one(&json_frame(&deep_unknown)).code, 3);
    let deep_ext = format!("{{\"extFields\":{{\"k\":{}}}}}", nest(100_000));
    assert!(matches!(
        decode_err(&json_frame(&deep_ext)),
        CodecError::InvalidJsonHeader(_)
    ));
}

#[test]
fn truncated_binary_header_is_rejected() {
    let full = spec_binary_response_frame();
    let header = &full[8..];
    for cut in [0, 1, 5, 12, 16, 20, 21, 40, header.len() - 1] {
        let err = decode_binary_header(&header[..cut]).expect_err("truncated");
        assert!(
            matches!(err, CodecError::InvalidBinaryHeader(_)),
            "cut {cut}"
        );
        let err = decode_err(&frame_with_header(1, &header[..cut], b""));
        assert!(
            matches!(err, CodecError::InvalidBinaryHeader(_)),
            "cut {cut}"
        );
    }
    // Negative remark length.
    let mut h = header.to_vec();
    h[13..17].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        decode_binary_header(&h),
        Err(CodecError::InvalidBinaryHeader(_))
    ));
    // Negative ext length.
    let mut h = header.to_vec();
    h[17..21].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(
        decode_binary_header(&h),
        Err(CodecError::InvalidBinaryHeader(_))
    ));
    // Value length running past the map block.
    let mut h = header.to_vec();
    h[28..32].copy_from_slice(&1000i32.to_be_bytes());
    assert!(matches!(
        decode_binary_header(&h),
        Err(CodecError::InvalidBinaryHeader(_))
    ));
}

#[test]
fn binary_encode_range_checks() {
    let mut cmd = RemotingCommand {
        serialize_type: SerializeType::RocketMq,
        ..RemotingCommand::request(request_code::POP_MESSAGE)
    };
    assert!(matches!(
        encode_to_vec(&cmd),
        Err(CodecError::FieldOutOfRange {
            field: "code",
            value: 200050
        })
    ));
    cmd.code = 32767;
    cmd.version = -32769;
    assert!(matches!(
        encode_to_vec(&cmd),
        Err(CodecError::FieldOutOfRange {
            field: "version",
            ..
        })
    ));
    cmd.version = -32768;
    assert!(encode_to_vec(&cmd).is_ok());
    // The same command works in JSON.
    cmd.code = request_code::POP_MESSAGE;
    cmd.version = 100_000;
    cmd.serialize_type = SerializeType::Json;
    let bytes = encode_to_vec(&cmd).unwrap();
    assert_eq!(decode_one(&bytes), cmd);
}

#[test]
fn oversized_header_is_rejected_on_encode() {
    let cmd = RemotingCommand {
        remark: Some("x".repeat(0x00FF_FFFF)),
        ..RemotingCommand::request(1)
    };
    assert!(matches!(
        encode_to_vec(&cmd),
        Err(CodecError::HeaderTooLong(_))
    ));
    // Frames already queued ahead of it stay as they were.
    let mut dst = BytesMut::from(&b"earlier frames"[..]);
    assert!(encode_frame(&cmd, &mut dst).is_err());
    assert_eq!(&dst[..], b"earlier frames", "nothing written on error");
}

#[test]
fn partial_frames_return_none_without_consuming() {
    let frame = spec_request_frame();
    for cut in 0..frame.len() {
        let mut buf = BytesMut::from(&frame[..cut]);
        assert!(
            decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
                .unwrap()
                .is_none(),
            "cut {cut}"
        );
        assert_eq!(&buf[..], &frame[..cut], "nothing consumed at cut {cut}");
    }
    // Feeding byte by byte eventually yields the command.
    let mut buf = BytesMut::new();
    let mut got = None;
    for b in &frame {
        buf.extend_from_slice(&[*b]);
        if let Some(cmd) = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap() {
            got = Some(cmd);
        }
    }
    assert_eq!(got.unwrap().opaque, 7);
    assert!(buf.is_empty());
}

#[test]
fn error_messages_are_readable() {
    let e = CodecError::FrameTooLong {
        length: 16_777_213,
        max: DEFAULT_MAX_FRAME_LENGTH,
    };
    assert!(e.to_string().contains("16777213"));
    let e = CodecError::UnknownSerializeType(2);
    assert!(e.to_string().contains("serialize type"));
}

// ---------------------------------------------------------------- 6. back to back

#[test]
fn two_frames_back_to_back() {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&spec_request_frame());
    buf.extend_from_slice(&spec_binary_response_frame());
    buf.extend_from_slice(&spec_json_response_frame()[..10]);
    let first = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .unwrap()
        .unwrap();
    assert_eq!(first.code, request_code::SEND_MESSAGE_V2);
    assert_eq!(&first.body[..], b"Hello RocketMQ");
    let second = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .unwrap()
        .unwrap();
    assert_eq!(second.serialize_type, SerializeType::RocketMq);
    assert!(second.is_response());
    assert!(second.body.is_empty());
    assert!(decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .unwrap()
        .is_none());
    assert_eq!(buf.len(), 10);
    buf.extend_from_slice(&spec_json_response_frame()[10..]);
    let third = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH)
        .unwrap()
        .unwrap();
    assert_eq!(third.ext("queueOffset"), Some("0"));
    assert!(buf.is_empty());
}

#[test]
fn decode_after_length_matches_decode_frame() {
    let frame = spec_request_frame();
    let cmd = decode_after_length(Bytes::copy_from_slice(&frame[4..])).unwrap();
    assert_eq!(cmd, decode_one(&frame));
    assert!(matches!(
        decode_after_length(Bytes::from_static(&[0, 0, 0])),
        Err(CodecError::FrameTooShort { length: 3 })
    ));
}
