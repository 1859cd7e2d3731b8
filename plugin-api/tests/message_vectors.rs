//! Byte-exact records in Java's `MessageExtEncoder` layout (`docs/STORE.md`) and codec edge cases.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use plugin_api::message::properties::{self, Properties};
use plugin_api::message::record::pos;
use plugin_api::message::*;
use proptest::prelude::*;

fn hex(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// A record laid out byte by byte as Java's `CommitLog` stores it: TopicTest,
/// queue 0, offsets 0, body "Hello RocketMQ", four properties (199 bytes).
fn spec_record() -> Vec<u8> {
    hex(&[
        "00 00 00 c7 da a3 20 a7 69 c8 65 ed 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 01 8b cf e5 68 00",
        "7f 00 00 01 00 00 d4 31 00 00 01 8b cf e5 68 05",
        "7f 00 00 01 00 00 2a 9f 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 0e 48 65 6c 6c 6f 20 52 6f",
        "63 6b 65 74 4d 51 09 54 6f 70 69 63 54 65 73 74",
        "00 55 54 41 47 53 01 54 61 67 41 02 57 41 49 54",
        "01 74 72 75 65 02 55 4e 49 51 5f 4b 45 59 01 37",
        "46 30 30 30 30 30 31 30 44 32 41 31 38 42 34 41",
        "41 43 32 37 45 36 42 35 42 31 41 30 30 30 30 02",
        "43 4c 55 53 54 45 52 01 44 65 66 61 75 6c 74 43",
        "6c 75 73 74 65 72 02",
    ])
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

#[test]
fn spec_example_record_decodes_field_by_field() {
    let bytes = spec_record();
    assert_eq!(bytes.len(), 199);
    let RecordRead::Message(rec, size) = decode_record(&bytes, true) else {
        panic!("not a message: {:?}", decode_record(&bytes, true));
    };
    assert_eq!(size, 199);
    let h = rec.header;
    assert_eq!(h.total_size, 199);
    assert_eq!(h.magic, MESSAGE_MAGIC_CODE);
    assert_eq!(h.body_crc, 0x69C8_65ED);
    assert_eq!(h.queue_id, 0);
    assert_eq!(h.flag, 0);
    assert_eq!(h.queue_offset, 0);
    assert_eq!(h.physical_offset, 0);
    assert_eq!(h.sys_flag, 0);
    assert_eq!(h.born_timestamp, 1_700_000_000_000);
    assert_eq!(h.born_host, localhost(54321));
    assert_eq!(h.store_timestamp, 1_700_000_000_005);
    assert_eq!(h.store_host, localhost(10911));
    assert_eq!(h.reconsume_times, 0);
    assert_eq!(h.prepared_transaction_offset, 0);
    assert_eq!(rec.body, b"Hello RocketMQ");
    assert_eq!(rec.topic, "TopicTest");
    assert_eq!(rec.properties.len(), 85);
    let props = rec.properties_map();
    assert_eq!(props.get("TAGS"), Some("TagA"));
    assert_eq!(props.get("WAIT"), Some("true"));
    assert_eq!(
        props.get("UNIQ_KEY"),
        Some("7F0000010D2A18B4AAC27E6B5B1A0000")
    );
    assert_eq!(props.get("CLUSTER"), Some("DefaultCluster"));
    assert_eq!(props.len(), 4);
    assert_eq!(rec.tags(), Some("TagA"));
    assert_eq!(rec.offset_msg_id(), "7F00000100002A9F0000000000000000");
    assert_eq!(body_crc(b"Hello RocketMQ"), 0x69C8_65ED);
    assert_eq!(pos::store_timestamp(0), 56);
}

#[test]
fn spec_example_record_reencodes_identically() {
    let bytes = spec_record();
    let RecordRead::Message(rec, _) = decode_record(&bytes, true) else {
        panic!("not a message");
    };
    assert_eq!(rec.encode().unwrap(), bytes);

    // Built from scratch through the borrowed encoder, into a larger buffer.
    let props = properties::encode_properties([
        ("TAGS", "TagA"),
        ("WAIT", "true"),
        ("UNIQ_KEY", "7F0000010D2A18B4AAC27E6B5B1A0000"),
        ("CLUSTER", "DefaultCluster"),
    ]);
    let enc = RecordToEncode {
        queue_id: 0,
        flag: 0,
        queue_offset: 0,
        physical_offset: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: localhost(54321),
        store_timestamp: 1_700_000_000_005,
        store_host: localhost(10911),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body_crc: body_crc(b"Hello RocketMQ"),
        body: b"Hello RocketMQ",
        topic: "TopicTest",
        properties: &props,
    };
    assert_eq!(enc.encoded_len(), 199);
    assert_eq!(record_length(14, 9, 85, false, false, false), 199);
    let mut buf = vec![0xEEu8; 300];
    assert_eq!(encode_record_into(&enc, &mut buf).unwrap(), 199);
    assert_eq!(&buf[..199], &bytes[..]);
    assert_eq!(buf[199], 0xEE, "nothing written past the record");
    let mut small = vec![0u8; 198];
    assert!(matches!(
        encode_record_into(&enc, &mut small),
        Err(EncodeError::BufferTooSmall { needed: 199, .. })
    ));
}

#[test]
fn spec_consume_queue_entry_tags_code() {
    let expected = hex(&["00 00 00 00 00 00 00 00 00 00 00 c7 00 00 00 00 00 27 a8 07"]);
    let code = tags_code(Some("TagA"));
    assert_eq!(code, 2_598_919);
    let mut entry = Vec::new();
    entry.extend_from_slice(&0i64.to_be_bytes());
    entry.extend_from_slice(&199i32.to_be_bytes());
    entry.extend_from_slice(&code.to_be_bytes());
    assert_eq!(entry, expected);
    assert_eq!(java_string_hash("TagA"), 2_598_919);
}

#[test]
fn blank_header_vector() {
    let mut buf = [0u8; 123];
    assert!(encode_blank_into(&mut buf, 123));
    assert_eq!(&buf[..8], &hex(&["00 00 00 7b cb d4 31 94"])[..]);
    assert_eq!(decode_record(&buf, true), RecordRead::EndOfFile);
    assert_eq!(
        parse_record(&buf),
        RecordParse::EndOfFile { total_size: 123 }
    );
    assert_eq!(BLANK_MAGIC_CODE, 0xCBD4_3194_u32 as i32);
    assert_eq!(MESSAGE_MAGIC_CODE, -626_843_481);
    assert_eq!(MESSAGE_MAGIC_CODE_V2, -626_843_477);
    assert_eq!(BLANK_MAGIC_CODE, -875_286_124);
    assert!(!encode_blank_into(&mut [0u8; 7], 7));
}

#[test]
fn offset_msg_id_vector() {
    assert_eq!(
        offset_msg_id(localhost(10911), 0),
        "7F00000100002A9F0000000000000000"
    );
    assert_eq!(
        decode_offset_msg_id("7F00000100002A9F0000000000000000"),
        Some((localhost(10911), 0))
    );
    assert_eq!(
        decode_offset_msg_id("7f00000100002a9f00000000000000c7"),
        Some((localhost(10911), 199))
    );
    let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 10911);
    let id = offset_msg_id(v6, 1 << 40);
    assert_eq!(id.len(), 56);
    assert_eq!(decode_offset_msg_id(&id), Some((v6, 1 << 40)));
    assert_eq!(decode_offset_msg_id(""), None);
    assert_eq!(decode_offset_msg_id("7F000001"), None);
    assert_eq!(
        decode_offset_msg_id("ZZ00000100002A9F0000000000000000"),
        None
    );
    let uniq = new_uniq_id();
    assert!(uniq.len() == 32 || uniq.len() == 56);
    assert_ne!(uniq, new_uniq_id());
    assert!(uniq
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
}

#[test]
fn properties_decode_edge_cases() {
    let d = |s: &str| properties::decode_properties(s);
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(d(""), pairs(&[]));
    assert_eq!(d("A\u{1}1\u{2}"), pairs(&[("A", "1")]));
    // No trailing separator.
    assert_eq!(d("A\u{1}1"), pairs(&[("A", "1")]));
    // Empty name or value: skipped.
    assert_eq!(
        d("\u{1}1\u{2}B\u{1}\u{2}C\u{1}3\u{2}"),
        pairs(&[("C", "3")])
    );
    // Too short / no name-value separator.
    assert_eq!(d("AB\u{2}\u{2}\u{2}X\u{2}"), pairs(&[]));
    // Value may contain U+0001; name ends at the first one.
    assert_eq!(d("K\u{1}a\u{1}b\u{2}"), pairs(&[("K", "a\u{1}b")]));
    // Later duplicate overwrites, keeping the first position.
    assert_eq!(
        d("A\u{1}1\u{2}B\u{1}2\u{2}A\u{1}3\u{2}"),
        pairs(&[("A", "3"), ("B", "2")])
    );
    // Non-ASCII.
    assert_eq!(d("键\u{1}值\u{2}"), pairs(&[("键", "值")]));
    assert_eq!(
        properties::find_property("A\u{1}1\u{2}A\u{1}2\u{2}", "A"),
        Some("2")
    );
    assert_eq!(properties::find_property("A\u{1}1\u{2}", "B"), None);

    let mut p = Properties::parse("TAGS\u{1}a\u{2}KEYS\u{1}k1 k2\u{2}");
    assert_eq!(p.insert("TAGS", "b"), Some("a".into()));
    assert_eq!(p.insert("WAIT", "false"), None);
    assert_eq!(p.remove("KEYS"), Some("k1 k2".into()));
    assert_eq!(p.encode(), "TAGS\u{1}b\u{2}WAIT\u{1}false\u{2}");
    assert_eq!(Properties::parse(&p.encode()), p);
    let dp = DispatchProperties::scan(
        "KEYS\u{1}a b\u{2}TAGS\u{1}t\u{2}UNIQ_KEY\u{1}u\u{2}DELAY\u{1}3\u{2}",
    );
    assert_eq!(dp.keys, Some("a b"));
    assert_eq!(dp.tags, Some("t"));
    assert_eq!(dp.uniq_key, Some("u"));
    assert_eq!(dp.delay, Some("3"));
}

fn sample(
    topic: &str,
    born: SocketAddr,
    store: SocketAddr,
    body: &[u8],
    props: &str,
) -> MessageRecord {
    MessageRecord {
        header: RecordHeader {
            total_size: 0,
            magic: 0,
            body_crc: body_crc(body),
            queue_id: 3,
            flag: 7,
            queue_offset: 42,
            physical_offset: 1 << 33,
            sys_flag: sysflag::COMPRESSED_FLAG,
            born_timestamp: 1_700_000_000_000,
            born_host: born,
            store_timestamp: 1_700_000_000_001,
            store_host: store,
            reconsume_times: 2,
            prepared_transaction_offset: 0,
        },
        body: body.to_vec(),
        topic: topic.to_string(),
        properties: props.to_string(),
    }
}

#[test]
fn ipv6_record_round_trip() {
    let born = SocketAddr::new(IpAddr::V6("2001:db8::1".parse().unwrap()), 40000);
    let store = SocketAddr::new(IpAddr::V6("fe80::2".parse().unwrap()), 10911);
    let rec = sample("TopicV6", born, store, b"body", "TAGS\u{1}x\u{2}");
    let bytes = rec.encode().unwrap();
    assert_eq!(bytes.len(), 91 + 24 + 4 + 7 + 7);
    let RecordRead::Message(back, size) = decode_record(&bytes, true) else {
        panic!("decode failed");
    };
    assert_eq!(size, bytes.len());
    assert_eq!(back.header.born_host, born);
    assert_eq!(back.header.store_host, store);
    assert_eq!(
        back.header.sys_flag,
        sysflag::COMPRESSED_FLAG | sysflag::BORNHOST_V6_FLAG | sysflag::STOREHOSTADDRESS_V6_FLAG
    );
    assert_eq!(back.body, b"body");
    assert_eq!(back.topic, "TopicV6");
    assert_eq!(back.encode().unwrap(), bytes);
    // Mixed: IPv4 born, IPv6 store.
    let mixed = sample("T", localhost(1), store, b"", "").encode().unwrap();
    assert_eq!(mixed.len(), 91 + 12 + 1);
    let RecordRead::Message(m, _) = decode_record(&mixed, true) else {
        panic!()
    };
    assert_eq!(m.header.sys_flag & 0x30, sysflag::STOREHOSTADDRESS_V6_FLAG);
    assert_eq!(pos::store_timestamp(m.header.sys_flag), 56);
    assert_eq!(pos::store_timestamp(sysflag::BORNHOST_V6_FLAG), 68);
}

#[test]
fn v2_magic_for_long_retry_topic() {
    let topic = format!("%RETRY%{}", "g".repeat(193));
    assert_eq!(topic.len(), 200);
    let rec = sample(&topic, localhost(1), localhost(10911), b"x", "");
    let bytes = rec.encode().unwrap();
    assert_eq!(bytes.len(), 91 + 1 + 1 + 200);
    assert_eq!(&bytes[4..8], &MESSAGE_MAGIC_CODE_V2.to_be_bytes());
    let RecordRead::Message(back, _) = decode_record(&bytes, true) else {
        panic!()
    };
    assert!(back.header.is_v2());
    assert_eq!(back.topic, topic);
    // A 127-byte topic still uses V1.
    let t127 = "t".repeat(127);
    let b127 = sample(&t127, localhost(1), localhost(2), b"", "")
        .encode()
        .unwrap();
    assert_eq!(&b127[4..8], &MESSAGE_MAGIC_CODE.to_be_bytes());
    assert!(matches!(
        decode_record(&b127, true),
        RecordRead::Message(..)
    ));
}

#[test]
fn invalid_records() {
    let good = spec_record();
    // Bad CRC: flip a body byte.
    let mut bad = good.clone();
    bad[90] ^= 1;
    assert!(matches!(
        decode_record(&bad, true),
        RecordRead::Invalid(InvalidRecord::CrcMismatch { .. })
    ));
    assert!(matches!(
        decode_record(&bad, false),
        RecordRead::Message(..)
    ));
    // Truncated.
    assert!(matches!(
        decode_record(&good[..198], true),
        RecordRead::Invalid(InvalidRecord::Truncated { .. })
    ));
    assert!(matches!(
        decode_record(&good[..4], true),
        RecordRead::Invalid(InvalidRecord::TooShort { .. })
    ));
    // Zeros (unwritten file space).
    assert!(matches!(
        decode_record(&[0u8; 64], true),
        RecordRead::Invalid(InvalidRecord::BadMagic(0))
    ));
    // TOTALSIZE one larger than the fields.
    let mut longer = good.clone();
    longer.push(0);
    longer[3] = 200;
    assert!(matches!(
        decode_record(&longer, true),
        RecordRead::Invalid(InvalidRecord::LengthMismatch { .. })
    ));
    // V1 topic length ≥ 128 is read as negative by Java.
    let mut neg = good.clone();
    neg[0x66] = 0x89;
    assert!(matches!(decode_record(&neg, true), RecordRead::Invalid(_)));
    // Concatenated records.
    let mut two = good.clone();
    two.extend_from_slice(&good);
    two.extend_from_slice(&[0u8; 10]);
    assert_eq!(decode_records(&two).len(), 2);
}

#[test]
fn batch_body_decodes() {
    let mut body = Vec::new();
    encode_batch_entry(&mut body, 1, b"first", "TAGS\u{1}a\u{2}").unwrap();
    encode_batch_entry(&mut body, 2, b"", "").unwrap();
    encode_batch_entry(&mut body, 3, b"third", "KEYS\u{1}k\u{2}").unwrap();
    let entries = decode_batch_body(&body).unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].flag, 1);
    assert_eq!(entries[0].body, b"first");
    assert_eq!(entries[0].properties, "TAGS\u{1}a\u{2}");
    assert_eq!(entries[0].total_size, 22 + 5 + 7);
    assert_eq!(entries[1].body, b"");
    assert_eq!(entries[2].properties, "KEYS\u{1}k\u{2}");
    assert_eq!(decode_batch_body(&[]).unwrap(), vec![]);
    assert!(matches!(
        decode_batch_body(&body[..body.len() - 1]),
        Err(BatchDecodeError::Truncated { entry: 2, .. })
    ));
    let mut neg = body.clone();
    neg[16..20].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        decode_batch_body(&neg),
        Err(BatchDecodeError::NegativeLength { entry: 0, .. })
    ));
}

proptest! {
    #[test]
    fn decode_record_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400), crc in any::<bool>()) {
        let _ = decode_record(&bytes, crc);
        let _ = decode_records(&bytes);
        let _ = decode_batch_body(&bytes);
    }

    #[test]
    fn decode_record_never_panics_on_mutated_records(
        edits in prop::collection::vec((0usize..199, any::<u8>()), 1..8),
        cut in 0usize..230,
    ) {
        let mut bytes = spec_record();
        bytes.extend_from_slice(&[0u8; 30]);
        for (at, b) in edits {
            bytes[at] = b;
        }
        bytes.truncate(cut);
        match decode_record(&bytes, true) {
            RecordRead::Message(rec, size) => {
                prop_assert!(size <= bytes.len());
                // Anything accepted re-encodes to the same bytes (when its strings were UTF-8).
                if std::str::from_utf8(&bytes[..size]).is_ok() || rec.topic.is_ascii() {
                    let again = decode_record(&bytes[..size], true);
                    let accepted = matches!(again, RecordRead::Message(..));
                    prop_assert!(accepted);
                }
            }
            RecordRead::EndOfFile | RecordRead::Invalid(_) => {}
        }
    }

    #[test]
    fn record_round_trip(
        body in prop::collection::vec(any::<u8>(), 0..64),
        topic in "[%A-Za-z0-9_-]{1,200}",
        props in prop::collection::vec(("[A-Z_]{1,8}", "[ -~]{1,12}"), 0..4),
        v6 in any::<bool>(),
    ) {
        let props = properties::encode_properties(props);
        let born = if v6 { SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 9) } else { localhost(9) };
        let rec = sample(&topic, born, localhost(10911), &body, &props);
        let bytes = rec.encode().unwrap();
        let RecordRead::Message(back, size) = decode_record(&bytes, true) else {
            return Err(TestCaseError::fail("decode failed"));
        };
        prop_assert_eq!(size, bytes.len());
        prop_assert_eq!(back.body, body);
        prop_assert_eq!(back.topic, topic);
        prop_assert_eq!(back.properties, props);
    }
}
