//! Cost of a request through the plugin boundary versus a direct call.
//!
//! Three ways to run the same GET_ROUTEINFO_BY_TOPIC request on the route
//! processor:
//! - `direct`: the processor linked statically, called as a Rust trait method;
//! - `guarded_in_process`: through the abi_stable trait object and the SDK's
//!   panic guard, without a library in between;
//! - `dynamic_library`: the real `libroute_plugin.so` loaded as the broker loads it.
//!
//! Run: `cargo build --release -p route-plugin && cargo bench -p broker-host --bench plugin_boundary`

use std::path::PathBuf;
use std::sync::Arc;

use abi_stable::std_types::{RSlice, RStr};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use plugin_api::ffi::{FfiFieldsRef, FfiOutcome, FfiRequest};
use plugin_api::sdk::glue::guard;
use plugin_api::sdk::{Host, Plugin, Processor, Request};

use broker_host::capabilities::{BrokerServices, HostParts};
use broker_host::clients::{ClientRegistry, RebalanceLockManager};
use broker_host::config::BrokerConfig;
use broker_host::metadata::MetadataStore;
use broker_host::plugin_host::LoadedPlugin;
use broker_host::remoting::ConnectionDirectory;

fn services(config_dir: &std::path::Path) -> BrokerServices {
    let config = BrokerConfig {
        broker_name: "broker-a".into(),
        broker_cluster_name: "DefaultCluster".into(),
        ..BrokerConfig::default()
    };
    let identity = plugin_api::sdk::BrokerIdentity {
        cluster_name: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: 0,
        broker_addr: "127.0.0.1:10911".into(),
        broker_permission: 6,
        version: 479,
    };
    let metadata = MetadataStore::load_from(&config, config_dir).expect("metadata");
    BrokerServices::new(HostParts {
        config: Arc::new(config),
        identity,
        metadata: Arc::new(metadata),
        store: None,
        clients: ClientRegistry::new(ConnectionDirectory::new(), false),
        locks: Arc::new(RebalanceLockManager::default()),
        directory: ConnectionDirectory::new(),
        stats: Arc::new(broker_host::broker_stats::BrokerStatsManager::new(
            "DefaultCluster",
        )),
    })
}

fn route_library() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let name = format!(
        "{}route_plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile).join(&name))
        .find(|path| path.exists())
}

/// The smallest possible processor: isolates the boundary cost itself.
struct Noop;

impl Processor for Noop {
    fn process(
        &self,
        request: &Request<'_>,
    ) -> Result<plugin_api::sdk::Outcome, plugin_api::sdk::ProcessError> {
        Ok(plugin_api::sdk::Response::success()
            .with_field("opaque", request.opaque())
            .into())
    }
}

fn boundary(c: &mut Criterion) {
    let config_dir = tempfile::tempdir().expect("temp dir");
    let services = services(config_dir.path());
    let mut fields = plugin_api::codec::ExtFields::new();
    fields.insert("topic", "TBW102");
    let request = FfiRequest {
        code: 105,
        language: 0,
        version: 479,
        opaque: 1,
        flag: 0,
        serialize_type: 0,
        remark: None.into(),
        ext_fields: FfiFieldsRef::of(&fields),
        body: RSlice::from_slice(&[]),
        remote_addr: RStr::from("127.0.0.1:5000"),
        connection_id: 1,
        allow_hold: true,
    };

    c.bench_function("noop/direct", |b| {
        b.iter(|| {
            assert!(Noop
                .process(&Request::from_ffi(black_box(&request)))
                .is_ok())
        })
    });
    let guarded_noop = guard(Noop);
    c.bench_function("noop/guarded_in_process", |b| {
        b.iter(|| {
            let outcome = guarded_noop.process(black_box(&request));
            assert!(matches!(outcome, FfiOutcome::Respond(_)));
        })
    });

    // The host's capabilities called directly, as plain Rust.
    let direct = route_plugin::RoutePlugin::new(
        Host::new(Arc::new(services.clone()), "route"),
        plugin_api::sdk::NoSettings {},
    )
    .expect("route plugin");
    c.bench_function("route_105/direct", |b| {
        b.iter(|| {
            let outcome = direct.process(&Request::from_ffi(black_box(&request)));
            assert!(outcome.is_ok());
        })
    });

    // The host's capabilities through the stable-ABI context, as a loaded
    // plugin calls them.
    let guarded = guard(
        route_plugin::RoutePlugin::new(
            Host::new(
                Arc::new(plugin_api::ffi::PluginSideHost::new(services.context())),
                "route",
            ),
            plugin_api::sdk::NoSettings {},
        )
        .expect("route plugin"),
    );
    c.bench_function("route_105/guarded_in_process", |b| {
        b.iter(|| {
            let outcome = guarded.process(black_box(&request));
            assert!(matches!(outcome, FfiOutcome::Respond(_)));
        })
    });

    match route_library() {
        Some(path) => {
            let plugin = LoadedPlugin::open(&path).expect("load route plugin");
            let processor = plugin
                .new_processor(services.context(), "{}")
                .expect("construct route processor");
            c.bench_function("route_105/dynamic_library", |b| {
                b.iter(|| {
                    let outcome = processor.process(black_box(&request));
                    assert!(matches!(outcome, FfiOutcome::Respond(_)));
                })
            });
        }
        None => eprintln!(
            "libroute_plugin not built; run `cargo build --release -p route-plugin` for the dynamic_library case"
        ),
    }
}

criterion_group!(benches, boundary);
criterion_main!(benches);
