//! The host services a plugin reaches through its context object.
//!
//! State lives here, in the host, never only in a plugin: a hot-swapped
//! processor finds the same topics (and later store, offsets, clients).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, ROption, RStr, RVec};
use plugin_api::ffi::{
    FfiBrokerIdentity, FfiHostContext, FfiHostContext_TO, FfiLogLevel, FfiTopicConfig,
    HostContextBox,
};

use crate::metadata::TopicConfigManager;

/// Everything the host shares with plugins. Cheap to clone.
#[derive(Clone)]
pub struct HostServices {
    inner: Arc<Inner>,
}

struct Inner {
    identity: FfiBrokerIdentity,
    topics: Arc<TopicConfigManager>,
}

impl HostServices {
    /// Services over this broker identity and topic table.
    pub fn new(identity: FfiBrokerIdentity, topics: Arc<TopicConfigManager>) -> Self {
        HostServices {
            inner: Arc::new(Inner { identity, topics }),
        }
    }

    /// The context object handed to a plugin's constructor.
    pub fn context(&self) -> HostContextBox {
        FfiHostContext_TO::from_ptr(RArc::new(self.clone()), TD_Opaque)
    }

    /// The topic table.
    pub fn topics(&self) -> &Arc<TopicConfigManager> {
        &self.inner.topics
    }
}

/// Runs host code called by a plugin; a host bug must not abort the process
/// by unwinding into the plugin, so a panic yields `fallback`.
fn guarded<T>(what: &str, fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(_) => {
            tracing::error!(service = what, "host service panicked; answering a default");
            fallback
        }
    }
}

impl FfiHostContext for HostServices {
    fn log(&self, level: FfiLogLevel, plugin: RStr<'_>, message: RStr<'_>) {
        let (plugin, message) = (plugin.as_str(), message.as_str());
        guarded("log", (), || match level {
            FfiLogLevel::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            FfiLogLevel::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        })
    }

    fn broker_identity(&self) -> FfiBrokerIdentity {
        self.inner.identity.clone()
    }

    fn topic_config(&self, topic: RStr<'_>) -> ROption<FfiTopicConfig> {
        guarded("topic_config", ROption::RNone, || {
            self.inner
                .topics
                .get(topic.as_str())
                .map(|config| config.to_ffi())
                .into()
        })
    }

    fn all_topic_configs(&self) -> RVec<FfiTopicConfig> {
        guarded("all_topic_configs", RVec::new(), || {
            self.inner.topics.all().iter().map(|c| c.to_ffi()).collect()
        })
    }
}
