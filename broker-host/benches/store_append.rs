//! Appends per second of 1 KiB messages through `DefaultMessageStore::put_message`
//! (ASYNC_FLUSH, dispatch and flush threads running, index enabled) versus a
//! plain memcpy of the same encoded record into memmap2 files of the same
//! size (1 GiB, fresh files as they fill, no explicit flush) — the store's
//! overhead over the page cache. Both are bounded by the kernel's dirty-page
//! write-back once the data outgrows the dirty limits, so results depend on
//! the disk and vary between runs.
//!
//! Run: `cargo bench -p broker-host --bench store_append`
//! (set `STORE_BENCH_DIR` to put the files elsewhere than the temp dir).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use broker_host::config::BrokerConfig;
use broker_host::store::{DefaultMessageStore, MessageToStore, StoreConfig};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use plugin_api::message::properties::encode_properties;

const FILE_SIZE: usize = 1 << 30;

fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("STORE_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(PathBuf::from(d)).expect("temp dir"),
        None => tempfile::tempdir().expect("temp dir"),
    }
}

fn append(c: &mut Criterion) {
    let body = vec![b'x'; 1024];
    let props = encode_properties([
        ("TAGS", "TagA"),
        ("UNIQ_KEY", "7F0000010D2A18B4AAC27E6B5B1A0000"),
        ("WAIT", "true"),
        ("CLUSTER", "DefaultCluster"),
    ]);
    let born: SocketAddr = "127.0.0.1:54321".parse().unwrap();
    let mut group = c.benchmark_group("append_1k");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    {
        let dir = bench_dir();
        let bc = BrokerConfig {
            store_path_root_dir: dir.path().to_string_lossy().into_owned(),
            broker_ip1: "127.0.0.1".into(),
            ..BrokerConfig::default()
        };
        let store = DefaultMessageStore::open(StoreConfig::from_broker_config(&bc)).expect("open");
        store.start().expect("start");
        let msg = MessageToStore {
            topic: "BenchTopic",
            queue_id: 0,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: born,
            body: &body,
            properties: &props,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            wait_store: true,
        };
        group.bench_function("store_put_message", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    let r = store.put_message(black_box(&msg));
                    debug_assert!(r.is_ok());
                    black_box(r);
                }
                start.elapsed()
            })
        });
        store.shutdown();
    }

    {
        let dir = bench_dir();
        let record = {
            let rec = plugin_api::message::RecordToEncode {
                queue_id: 0,
                flag: 0,
                queue_offset: 0,
                physical_offset: 0,
                sys_flag: 0,
                born_timestamp: 1_700_000_000_000,
                born_host: born,
                store_timestamp: 1_700_000_000_000,
                store_host: "127.0.0.1:10911".parse().unwrap(),
                reconsume_times: 0,
                prepared_transaction_offset: 0,
                body_crc: 0,
                body: &body,
                topic: "BenchTopic",
                properties: &props,
            };
            let mut v = vec![0u8; rec.encoded_len()];
            plugin_api::message::encode_record_into(&rec, &mut v).unwrap();
            v
        };
        let mut n = 0usize;
        let mut new_map = || {
            let path = dir.path().join(format!("{n:020}"));
            n += 1;
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            file.set_len(FILE_SIZE as u64).unwrap();
            // Kept linked (like commit-log files) so the kernel writes it back
            // the same way; removed with the temp dir.
            unsafe { memmap2::MmapMut::map_mut(&file).unwrap() }
        };
        let mut map = new_map();
        let mut pos = 0usize;
        group.bench_function("memcpy_into_mmap", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    if pos + record.len() > FILE_SIZE {
                        map = new_map();
                        pos = 0;
                    }
                    map[pos..pos + record.len()].copy_from_slice(black_box(&record));
                    pos += record.len();
                }
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
