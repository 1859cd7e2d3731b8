//! Helpers shared by the store_* integration tests.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use broker_host::config::{BrokerConfig, FlushDiskType};
use broker_host::store::{
    DefaultMessageStore, GetMessageResult, MessageFilter, MessageToStore, SimIo, StoreConfig,
};
use plugin_api::message::properties::encode_properties;
use plugin_api::message::{decode_records, MessageRecord};

/// Small files and fast timers: 64 KiB commit-log files, 100-entry
/// consume-queue files, 64-slot / 256-entry index files.
pub fn config(root: &Path) -> StoreConfig {
    let bc = BrokerConfig {
        store_path_root_dir: root.to_string_lossy().into_owned(),
        broker_ip1: "127.0.0.1".into(),
        listen_port: 10911,
        mapped_file_size_commit_log: 64 * 1024,
        mapped_file_size_consume_queue: 100 * 20,
        max_hash_slot_num: 64,
        max_index_num: 256,
        flush_interval_commit_log: 10,
        flush_interval_consume_queue: 10,
        ..BrokerConfig::default()
    };
    let mut c = StoreConfig::from_broker_config(&bc);
    c.clean_initial_delay = Duration::from_secs(3600);
    c.sync_flush_timeout = Duration::from_secs(30);
    c.delete_commit_log_files_interval = Duration::ZERO;
    c.delete_consume_queue_files_interval = Duration::ZERO;
    c
}

pub fn sync_config(root: &Path) -> StoreConfig {
    let mut c = config(root);
    c.flush_disk_type = FlushDiskType::SyncFlush;
    c
}

pub fn sim_root() -> &'static Path {
    Path::new("/sim/store")
}

pub fn open_sim(cfg: StoreConfig, io: &SimIo) -> Arc<DefaultMessageStore> {
    DefaultMessageStore::open_with_io(cfg, Arc::new(io.clone())).expect("open store")
}

pub fn born() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)), 54321)
}

pub fn props(tags: Option<&str>, keys: Option<&str>, uniq: Option<&str>) -> String {
    let mut p: Vec<(&str, &str)> = Vec::new();
    if let Some(t) = tags {
        p.push(("TAGS", t));
    }
    if let Some(k) = keys {
        p.push(("KEYS", k));
    }
    if let Some(u) = uniq {
        p.push(("UNIQ_KEY", u));
    }
    p.push(("CLUSTER", "DefaultCluster"));
    encode_properties(p)
}

pub fn msg<'a>(
    topic: &'a str,
    queue_id: i32,
    body: &'a [u8],
    properties: &'a str,
) -> MessageToStore<'a> {
    MessageToStore {
        topic,
        queue_id,
        flag: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: born(),
        body,
        properties,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        wait_store: true,
    }
}

pub fn body(i: usize, len: usize) -> Vec<u8> {
    let mut b = format!("message-{i}-").into_bytes();
    b.resize(len.max(b.len()), b'x');
    b
}

/// Reads the whole queue from `from` with large pulls.
pub fn read_all(
    store: &DefaultMessageStore,
    topic: &str,
    queue_id: i32,
    from: i64,
) -> Vec<MessageRecord> {
    let mut out = Vec::new();
    let mut offset = from;
    loop {
        let r: GetMessageResult = store.get_message(
            "g",
            topic,
            queue_id,
            offset,
            32,
            1 << 20,
            &MessageFilter::All,
        );
        out.extend(decode_records(&r.body));
        if r.next_begin_offset <= offset || r.next_begin_offset >= r.max_offset {
            return out;
        }
        offset = r.next_begin_offset;
    }
}
