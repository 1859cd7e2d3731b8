//! Broker statistics and the store operations of the admin codes (plugin
//! ABI 1.2): over the host's [`BrokerStatsManager`], client registry,
//! consumer offsets, delay offsets and message store.

use std::collections::{BTreeSet, HashSet};

use plugin_api::sdk::{HostError, Operations, StatsItemData, StatsWindow};

use super::BrokerServices;
use crate::broker_stats::Snapshot;

fn window(snapshot: Snapshot) -> StatsWindow {
    StatsWindow {
        sum: snapshot.sum,
        tps: snapshot.tps,
        avgpt: snapshot.avgpt,
    }
}

impl Operations for BrokerServices {
    fn stats_item(&self, stats_name: &str, stats_key: &str) -> Option<StatsItemData> {
        let windows = self.inner.stats.item(stats_name, stats_key)?.windows();
        Some(StatsItemData {
            minute: window(windows.minute),
            hour: window(windows.hour),
            day: window(windows.day),
        })
    }

    fn topic_consumed_by(&self, topic: &str) -> Vec<String> {
        let clients = &self.inner.clients;
        let mut groups: BTreeSet<String> = clients
            .consumer_groups()
            .into_iter()
            .filter(|group| {
                clients
                    .consumer_group(group)
                    .is_some_and(|info| info.subscriptions.iter().any(|s| s.topic == topic))
            })
            .collect();
        groups.extend(
            self.inner
                .metadata
                .consumer_offsets()
                .groups_by_topic(topic),
        );
        groups.into_iter().collect()
    }

    fn delay_offsets_json(&self) -> String {
        self.inner.metadata.delay_offsets().encode(false)
    }

    fn clean_expired_consume_queues(&self) -> Result<usize, HostError> {
        let store = self
            .store()
            .ok_or_else(|| HostError::Refused("the message store is not running".into()))?;
        Ok(store.clean_expired_consume_queues())
    }

    fn clean_unused_topics(&self) -> Result<usize, HostError> {
        let store = self
            .store()
            .ok_or_else(|| HostError::Refused("the message store is not running".into()))?;
        let retain: HashSet<String> = self
            .inner
            .metadata
            .topics()
            .all()
            .into_iter()
            .map(|config| config.topic_name)
            .collect();
        Ok(store.clean_unused_topics(&retain))
    }

    fn record_send_back(&self, group: &str, topic: &str) {
        self.inner.stats.record_send_back(group, topic);
    }
}
