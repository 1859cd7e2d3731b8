//! Broker administration (ABI 1.2): the runtime configuration, the live
//! channels of a group, subscription-group deletion and the server-side
//! offset-reset table, over the host's [`RuntimeConfig`](crate::config::RuntimeConfig),
//! client registry and metadata managers.

use plugin_api::sdk::{BrokerAdmin, BrokerConfigText, HostError, LiveChannel};

use super::BrokerServices;
use crate::clients::ClientChannel;

fn live(channels: Vec<ClientChannel>) -> Vec<LiveChannel> {
    let mut live: Vec<LiveChannel> = channels
        .into_iter()
        .map(|channel| LiveChannel {
            connection_id: channel.connection_id,
            client_id: channel.client_id,
            client_addr: channel.remote_addr,
            language: channel.language,
            version: channel.version,
        })
        .collect();
    live.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    live
}

impl BrokerAdmin for BrokerServices {
    fn config_text(&self) -> BrokerConfigText {
        BrokerConfigText {
            properties: self.runtime_config.properties_text(),
            data_version: self.runtime_config.data_version_json(),
        }
    }

    fn update_config(&self, entries: &[(String, String)]) -> Result<(), HostError> {
        self.runtime_config
            .update(entries)
            .map(|_| ())
            .map_err(|error| HostError::Refused(error.to_string()))
    }

    fn producer_channels(&self, group: &str) -> Vec<LiveChannel> {
        live(self.inner.clients.producer_channels(group))
    }

    fn consumer_channels(&self, group: &str) -> Vec<LiveChannel> {
        live(self.inner.clients.consumer_channels(group))
    }

    fn delete_subscription_group(&self, group: &str, clean_offset: bool) -> bool {
        let metadata = &self.inner.metadata;
        let existed = metadata.subscription_groups().delete(group).is_some();
        if clean_offset {
            metadata.consumer_offsets().remove_offset(group);
        }
        existed
    }

    fn assign_reset_offset(&self, topic: &str, group: &str, queue_id: i32, offset: i64) {
        self.inner
            .metadata
            .consumer_offsets()
            .assign_reset_offset(topic, group, queue_id, offset)
    }

    fn take_reset_offset(&self, topic: &str, group: &str, queue_id: i32) -> Option<i64> {
        self.inner
            .metadata
            .consumer_offsets()
            .query_then_erase_reset_offset(topic, group, queue_id)
    }

    fn has_offset_reset(&self, topic: &str, group: &str, queue_id: i32) -> bool {
        self.inner
            .metadata
            .consumer_offsets()
            .has_offset_reset(topic, group, queue_id)
    }
}
