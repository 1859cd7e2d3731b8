//! Property tests: the decoder never panics on hostile input, and encode → decode is
//! the identity for every representable command in both header serializations.

use bytes::{Bytes, BytesMut};
use plugin_api::codec::*;
use proptest::prelude::*;

/// Characters biased towards the interesting ones: controls, quotes, escapes, non-ASCII.
fn arb_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => (0u8..0x20).prop_map(char::from),
        1 => prop::sample::select(vec!['"', '\\', '/', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', 'é', '中', '😀', '\u{1}', '\u{2}']),
        3 => prop::char::range('a', 'z'),
    ]
}

fn arb_string(min: usize, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(arb_char(), min..max).prop_map(String::from_iter)
}

fn arb_language() -> impl Strategy<Value = LanguageCode> {
    (0u8..14).prop_map(LanguageCode::from_byte)
}

fn arb_body() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from)
}

/// Commands representable exactly in JSON: remark `None` or non-empty (`""` decodes to
/// `None`); ext fields `None` or any map (empty map, empty keys and values included).
fn arb_json_command() -> impl Strategy<Value = RemotingCommand> {
    (
        any::<i32>(),
        arb_language(),
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
        prop::option::of(arb_string(1, 24)),
        prop::option::of(prop::collection::vec(
            (arb_string(0, 12), arb_string(0, 24)),
            0..8,
        )),
        arb_body(),
    )
        .prop_map(
            |(code, language, version, opaque, flag, remark, ext, body)| RemotingCommand {
                code,
                language,
                version,
                opaque,
                flag,
                remark,
                ext_fields: ext.map(ExtFields::from),
                serialize_type: SerializeType::Json,
                body,
            },
        )
}

/// Commands representable exactly in binary: code/version within i16, remark `None` or
/// non-empty, ext fields `None` or a non-empty map of non-empty keys and values.
fn arb_binary_command() -> impl Strategy<Value = RemotingCommand> {
    (
        any::<i16>(),
        arb_language(),
        any::<i16>(),
        any::<i32>(),
        any::<i32>(),
        prop::option::of(arb_string(1, 24)),
        prop::option::of(prop::collection::vec(
            (arb_string(1, 12), arb_string(1, 24)),
            1..8,
        )),
        arb_body(),
    )
        .prop_map(
            |(code, language, version, opaque, flag, remark, ext, body)| RemotingCommand {
                code: i32::from(code),
                language,
                version: i32::from(version),
                opaque,
                flag,
                remark,
                ext_fields: ext.map(ExtFields::from),
                serialize_type: SerializeType::RocketMq,
                body,
            },
        )
}

fn arb_command() -> impl Strategy<Value = RemotingCommand> {
    prop_oneof![arb_json_command(), arb_binary_command()]
}

/// Decodes frames until the decoder needs more bytes or fails; must never panic.
fn drain(bytes: &[u8], max: usize) {
    let mut buf = BytesMut::from(bytes);
    loop {
        let before = buf.clone();
        match decode_frame(&mut buf, max) {
            Ok(Some(cmd)) => {
                // Whatever decoded must also be encodable without panicking.
                let _ = encode_to_vec(&cmd);
            }
            Ok(None) => {
                assert_eq!(buf, before, "Ok(None) must not consume");
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, xor: u8 },
    Truncate(usize),
    SetLength(u32),
    SetHeaderWord(u32),
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, n: usize },
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Mutation::Flip { at, xor }),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => prop_oneof![any::<u32>(), 0u32..600, Just(16_777_212), Just(16_777_213), Just(u32::MAX)]
            .prop_map(Mutation::SetLength),
        1 => prop_oneof![any::<u32>(), 0u32..600, (0u32..600).prop_map(|l| l | 0x0100_0000)]
            .prop_map(Mutation::SetHeaderWord),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..8).prop_map(|(at, n)| Mutation::Remove { at, n }),
    ]
}

fn apply(frame: &mut Vec<u8>, m: &Mutation) {
    let len = frame.len();
    match m {
        Mutation::Flip { at, xor } if len > 0 => frame[at % len] ^= xor,
        Mutation::Truncate(n) => frame.truncate(n % (len + 1)),
        Mutation::SetLength(v) if len >= 4 => frame[..4].copy_from_slice(&v.to_be_bytes()),
        Mutation::SetHeaderWord(v) if len >= 8 => frame[4..8].copy_from_slice(&v.to_be_bytes()),
        Mutation::Insert { at, bytes } => {
            let at = at % (len + 1);
            frame.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove { at, n } if len > 0 => {
            let at = at % len;
            let end = (at + n).min(len);
            frame.drain(at..end);
        }
        _ => {}
    }
}

/// Arbitrary JSON values, to feed structurally valid but semantically odd headers.
fn arb_json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        arb_string(0, 12).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec![
                            "code",
                            "language",
                            "version",
                            "opaque",
                            "flag",
                            "remark",
                            "extFields",
                            "serializeTypeCurrentRPC"
                        ])
                        .prop_map(String::from),
                        arb_string(0, 8),
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn frame_with_header(type_byte: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_be_bytes());
    v.extend_from_slice(&((u32::from(type_byte) << 24) | header.len() as u32).to_be_bytes());
    v.extend_from_slice(header);
    v.extend_from_slice(body);
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2048,
        // Do not write regression files into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        drain(&bytes, DEFAULT_MAX_FRAME_LENGTH);
        drain(&bytes, 64);
        let _ = decode_after_length(Bytes::from(bytes.clone()));
        let _ = decode_json_header(&bytes);
        let _ = decode_binary_header(&bytes);
    }

    #[test]
    fn random_headers_in_valid_frames_never_panic(
        type_byte in 0u8..3,
        header in prop::collection::vec(any::<u8>(), 0..200),
        body in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        drain(&frame_with_header(type_byte, &header, &body), DEFAULT_MAX_FRAME_LENGTH);
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in arb_json_value()) {
        let text = value.to_string();
        let _ = decode_json_header(text.as_bytes());
        drain(&frame_with_header(0, text.as_bytes(), b""), DEFAULT_MAX_FRAME_LENGTH);
    }

    #[test]
    fn mutated_frames_never_panic(
        cmds in prop::collection::vec(arb_command(), 1..3),
        mutations in prop::collection::vec(arb_mutation(), 1..6),
    ) {
        let mut frame = Vec::new();
        for cmd in &cmds {
            frame.extend(encode_to_vec(cmd).unwrap());
        }
        for m in &mutations {
            apply(&mut frame, m);
        }
        drain(&frame, DEFAULT_MAX_FRAME_LENGTH);
        drain(&frame, 256);
    }

    #[test]
    fn round_trip_is_identity(cmd in arb_command()) {
        let bytes = encode_to_vec(&cmd).unwrap();
        let mut buf = BytesMut::from(&bytes[..]);
        let decoded = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(&decoded, &cmd);
        // And the re-encoding is byte-identical.
        prop_assert_eq!(encode_to_vec(&decoded).unwrap(), bytes);
    }

    #[test]
    fn back_to_back_round_trip(cmds in prop::collection::vec(arb_command(), 0..5), split in any::<usize>()) {
        let mut all = Vec::new();
        for cmd in &cmds {
            all.extend(encode_to_vec(cmd).unwrap());
        }
        // Deliver in two chunks at an arbitrary split point.
        let split = split % (all.len() + 1);
        let mut buf = BytesMut::from(&all[..split]);
        let mut out = Vec::new();
        while let Some(cmd) = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap() {
            out.push(cmd);
        }
        buf.extend_from_slice(&all[split..]);
        while let Some(cmd) = decode_frame(&mut buf, DEFAULT_MAX_FRAME_LENGTH).unwrap() {
            out.push(cmd);
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(out, cmds);
    }

    #[test]
    fn json_header_matches_serde_json_reading(cmd in arb_json_command()) {
        // The hand-written fastjson-style writer must produce JSON that a standard
        // parser reads back to the same strings.
        let header = encode_json_header(&cmd);
        let v: serde_json::Value = serde_json::from_slice(&header).unwrap();
        prop_assert_eq!(v["code"].as_i64(), Some(i64::from(cmd.code)));
        prop_assert_eq!(v["language"].as_str(), Some(cmd.language.name()));
        prop_assert_eq!(v["remark"].as_str(), cmd.remark.as_deref());
        if let Some(ext) = &cmd.ext_fields {
            let obj = v["extFields"].as_object().unwrap();
            prop_assert_eq!(obj.len(), ext.len());
            for (k, val) in ext.iter() {
                prop_assert_eq!(obj[k].as_str(), Some(val));
            }
        } else {
            prop_assert!(v.get("extFields").is_none());
        }
    }
}
