//! JSON header decode and encode, the per-request codec work of every send:
//! a SEND_MESSAGE_V2 request header as the Java client writes it, and the
//! send response header the broker writes back.
//!
//! Run: `cargo bench -p plugin-api --bench header_codec`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use plugin_api::codec::{decode_json_header, encode_json_header, ExtFields, RemotingCommand};

const SEND_V2_HEADER: &[u8] = br#"{"code":310,"extFields":{"a":"benchmark_producer","b":"BenchmarkTest","c":"TBW102","d":"4","e":"3","f":"0","g":"1764108000000","h":"0","i":"TAGS\u0001TagA\u0002KEYS\u0001order-42\u0002WAIT\u0001true\u0002UNIQ_KEY\u00017F0000012A9F18B4AAC2779B1D2B0000\u0002","j":"0","k":"false","m":"false"},"flag":0,"language":"JAVA","opaque":123456,"serializeTypeCurrentRPC":"JSON","version":479}"#;

fn send_response() -> RemotingCommand {
    let mut fields = ExtFields::new();
    fields.insert("msgId", "7F00000100002A9F0000000000ABCDEF");
    fields.insert("queueId", "3");
    fields.insert("queueOffset", "123456");
    fields.insert("transactionId", "7F0000012A9F18B4AAC2779B1D2B0000");
    fields.insert("MSG_REGION", "DefaultRegion");
    fields.insert("TRACE_ON", "true");
    let mut response = RemotingCommand::request(0);
    response.flag = 1;
    response.opaque = 123456;
    response.version = 479;
    response.ext_fields = Some(fields);
    response
}

fn header_codec(c: &mut Criterion) {
    c.bench_function("decode_send_v2_request_header", |b| {
        b.iter(|| decode_json_header(black_box(SEND_V2_HEADER)))
    });
    let response = send_response();
    c.bench_function("encode_send_response_header", |b| {
        b.iter(|| encode_json_header(black_box(&response)))
    });
}

criterion_group!(benches, header_codec);
criterion_main!(benches);
