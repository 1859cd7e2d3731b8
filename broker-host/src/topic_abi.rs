//! The plugin-ABI form of a [`TopicConfig`], kept out of `metadata` (which
//! must not know the ABI). It belongs with the other conversions in
//! `plugins::host_context`, its only caller, and moves there when that file
//! is next changed; this file then goes away.

use plugin_api::ffi::FfiTopicConfig;

use crate::metadata::topic_config::TopicConfig;

impl TopicConfig {
    /// The ABI form handed to plugins.
    pub fn to_ffi(&self) -> FfiTopicConfig {
        FfiTopicConfig {
            topic_name: self.topic_name.as_str().into(),
            read_queue_nums: self.read_queue_nums,
            write_queue_nums: self.write_queue_nums,
            perm: self.perm,
            topic_filter_type: self.topic_filter_type.code(),
            topic_sys_flag: self.topic_sys_flag,
            order: self.order,
        }
    }
}
