//! Producers and consumers per group, as heartbeats register them
//! (RocketMQ's `ProducerManager` / `ConsumerManager`).
//!
//! A consumer group's membership or topic set changing triggers
//! NOTIFY_CONSUMER_IDS_CHANGED (40) to every member so they rebalance at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use plugin_api::codec::ExtFields;
use plugin_api::codes::request_code;

use crate::remoting::ConnectionDirectory;

/// One client connection as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChannel {
    /// `clientID`.
    pub client_id: String,
    /// Host-wide connection id.
    pub connection_id: u64,
    /// Peer address.
    pub remote_addr: String,
    /// Language byte.
    pub language: u8,
    /// Client version ordinal.
    pub version: i32,
}

/// One subscription (`SubscriptionData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Topic.
    pub topic: String,
    /// Expression.
    pub sub_string: String,
    /// `TAG` or `SQL92`.
    pub expression_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Tag hash codes.
    pub codes: Vec<i32>,
    /// Version.
    pub sub_version: i64,
}

/// A consumer group as seen by processors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupSnapshot {
    /// Group.
    pub group: String,
    /// Consume type.
    pub consume_type: String,
    /// Message model.
    pub message_model: String,
    /// Consume-from-where.
    pub consume_from_where: String,
    /// Subscriptions by topic.
    pub subscriptions: Vec<Subscription>,
    /// Live members (client ids), sorted.
    pub client_ids: Vec<String>,
    /// Live members' connection ids.
    pub connection_ids: Vec<u64>,
}

struct Member {
    channel: ClientChannel,
    last_update: Instant,
}

#[derive(Default)]
struct ConsumerGroup {
    members: HashMap<u64, Member>,
    consume_type: String,
    message_model: String,
    consume_from_where: String,
    subscriptions: BTreeMap<String, Subscription>,
}

#[derive(Default)]
struct Tables {
    consumers: HashMap<String, ConsumerGroup>,
    producers: HashMap<String, HashMap<u64, Member>>,
    /// The last heartbeat fingerprint seen per consumer group (Java's
    /// `ClientManageProcessor.consumerGroupHeartbeatTable`; never pruned,
    /// as there).
    heartbeat_fingerprints: HashMap<String, i64>,
}

/// Called with a consumer group's name when its last member left.
pub type GroupRemoved = Box<dyn Fn(&str) + Send + Sync>;

/// The registry.
pub struct ClientRegistry {
    tables: Mutex<Tables>,
    directory: Arc<ConnectionDirectory>,
    notify_enabled: bool,
    group_removed: Mutex<Vec<GroupRemoved>>,
}

impl ClientRegistry {
    /// A registry that notifies through `directory` when `notify_enabled`
    /// (`notifyConsumerIdsChangedEnable`).
    pub fn new(directory: Arc<ConnectionDirectory>, notify_enabled: bool) -> Arc<ClientRegistry> {
        let registry = Arc::new(ClientRegistry {
            tables: Mutex::new(Tables::default()),
            directory: directory.clone(),
            notify_enabled,
            group_removed: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&registry);
        directory.on_close(Box::new(move |connection_id| {
            if let Some(registry) = weak.upgrade() {
                registry.connection_closed(connection_id);
            }
        }));
        registry
    }

    /// Calls `listener` whenever a consumer group loses its last member
    /// (Java's `ConsumerGroupEvent.UNREGISTER`, on which
    /// `DefaultConsumerIdsChangeListener` unregisters the group's filters).
    pub fn on_group_removed(&self, listener: GroupRemoved) {
        self.group_removed.lock().push(listener);
    }

    fn groups_removed(&self, groups: &[String]) {
        if groups.is_empty() {
            return;
        }
        let listeners = self.group_removed.lock();
        for group in groups {
            tracing::info!(%group, "unregister consumer ok, no any connection, and remove consumer group");
            for listener in listeners.iter() {
                listener(group);
            }
        }
    }

    /// Registers or refreshes a producer channel.
    pub fn register_producer(&self, group: &str, channel: ClientChannel) {
        let mut tables = self.tables.lock();
        tables
            .producers
            .entry(group.to_owned())
            .or_default()
            .insert(
                channel.connection_id,
                Member {
                    channel,
                    last_update: Instant::now(),
                },
            );
    }

    /// Registers or refreshes a consumer channel with its subscriptions;
    /// `keep_subscriptions` (heartbeat v2 without subscriptions) refreshes the
    /// channel only. Returns true when members or topics changed (and, if
    /// enabled, notifies the group).
    #[allow(clippy::too_many_arguments)]
    pub fn register_consumer(
        &self,
        group: &str,
        channel: ClientChannel,
        consume_type: &str,
        message_model: &str,
        consume_from_where: &str,
        subscriptions: Vec<Subscription>,
        keep_subscriptions: bool,
        group_notify_enabled: bool,
    ) -> bool {
        let (changed, members, broadcasting) = {
            let mut tables = self.tables.lock();
            let entry = tables.consumers.entry(group.to_owned()).or_default();
            let new_member = !entry.members.contains_key(&channel.connection_id);
            entry.members.insert(
                channel.connection_id,
                Member {
                    channel,
                    last_update: Instant::now(),
                },
            );
            entry.consume_type = consume_type.to_owned();
            entry.message_model = message_model.to_owned();
            entry.consume_from_where = consume_from_where.to_owned();
            let topics_changed = !keep_subscriptions && merge_subscriptions(entry, subscriptions);
            (
                new_member || topics_changed,
                entry.members.keys().copied().collect::<Vec<_>>(),
                entry.message_model == "BROADCASTING",
            )
        };
        if changed && group_notify_enabled && !broadcasting {
            self.notify(group, &members);
        }
        changed
    }

    /// Records `fingerprint` as `group`'s last heartbeat fingerprint and
    /// returns the one it replaces (`None` for the group's first heartbeat).
    /// Java's heartBeatV2 answers `isSubChange` from this.
    pub fn swap_heartbeat_fingerprint(&self, group: &str, fingerprint: i64) -> Option<i64> {
        self.tables
            .lock()
            .heartbeat_fingerprints
            .insert(group.to_owned(), fingerprint)
    }

    /// Removes a client from the named groups (an empty name = none).
    pub fn unregister(&self, connection_id: u64, producer_group: &str, consumer_group: &str) {
        let mut removed = Vec::new();
        let notify = {
            let mut tables = self.tables.lock();
            if !producer_group.is_empty() {
                if let Some(group) = tables.producers.get_mut(producer_group) {
                    group.remove(&connection_id);
                    if group.is_empty() {
                        tables.producers.remove(producer_group);
                    }
                }
            }
            let mut notify = Vec::new();
            if !consumer_group.is_empty() {
                notify.extend(remove_consumer(
                    &mut tables,
                    consumer_group,
                    connection_id,
                    &mut removed,
                ));
            }
            notify
        };
        self.groups_removed(&removed);
        for (group, members) in notify {
            self.notify(&group, &members);
        }
    }

    /// A connection closed: drop it everywhere and notify its groups.
    pub fn connection_closed(&self, connection_id: u64) {
        let mut removed = Vec::new();
        let notify = {
            let mut tables = self.tables.lock();
            tables.producers.retain(|_, members| {
                members.remove(&connection_id);
                !members.is_empty()
            });
            let groups: Vec<String> = tables
                .consumers
                .iter()
                .filter(|(_, g)| g.members.contains_key(&connection_id))
                .map(|(name, _)| name.clone())
                .collect();
            groups
                .iter()
                .flat_map(|group| remove_consumer(&mut tables, group, connection_id, &mut removed))
                .collect::<Vec<_>>()
        };
        self.groups_removed(&removed);
        for (group, members) in notify {
            tracing::info!(group = %group, connection_id, "consumer channel closed; notifying the group");
            self.notify(&group, &members);
        }
    }

    /// Removes channels not refreshed for `timeout` (RocketMQ's
    /// `ClientHousekeepingService`, 120 s by default).
    pub fn expire(&self, timeout: Duration) {
        let now = Instant::now();
        let stale: Vec<u64> = {
            let tables = self.tables.lock();
            let consumers = tables.consumers.values().flat_map(|g| g.members.values());
            let producers = tables.producers.values().flat_map(|g| g.values());
            consumers
                .chain(producers)
                .filter(|m| now.duration_since(m.last_update) > timeout)
                .map(|m| m.channel.connection_id)
                .collect()
        };
        for connection_id in stale {
            tracing::info!(connection_id, "client channel expired");
            self.connection_closed(connection_id);
        }
    }

    /// A consumer group's state, if it has members.
    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroupSnapshot> {
        let tables = self.tables.lock();
        let entry = tables.consumers.get(group)?;
        let mut client_ids: Vec<String> = entry
            .members
            .values()
            .map(|m| m.channel.client_id.clone())
            .collect();
        client_ids.sort();
        client_ids.dedup();
        Some(ConsumerGroupSnapshot {
            group: group.to_owned(),
            consume_type: entry.consume_type.clone(),
            message_model: entry.message_model.clone(),
            consume_from_where: entry.consume_from_where.clone(),
            subscriptions: entry.subscriptions.values().cloned().collect(),
            client_ids,
            connection_ids: entry.members.keys().copied().collect(),
        })
    }

    /// Consumer groups with live members.
    pub fn consumer_groups(&self) -> Vec<String> {
        self.tables.lock().consumers.keys().cloned().collect()
    }

    /// Producer groups with live members.
    pub fn producer_groups(&self) -> Vec<String> {
        self.tables.lock().producers.keys().cloned().collect()
    }

    /// A consumer group's live channels (GET_CONSUMER_CONNECTION_LIST).
    pub fn consumer_channels(&self, group: &str) -> Vec<ClientChannel> {
        let tables = self.tables.lock();
        tables
            .consumers
            .get(group)
            .map(|entry| entry.members.values().map(|m| m.channel.clone()).collect())
            .unwrap_or_default()
    }

    /// Producer groups and their channels.
    pub fn producer_channels(&self, group: &str) -> Vec<ClientChannel> {
        let tables = self.tables.lock();
        tables
            .producers
            .get(group)
            .map(|members| members.values().map(|m| m.channel.clone()).collect())
            .unwrap_or_default()
    }

    /// The connection of a live channel of `client_id`: its producer
    /// channel last heartbeated (Java's `ProducerManager.findChannel`),
    /// else its consumer channel last heartbeated.
    pub fn find_connection(&self, client_id: &str) -> Option<u64> {
        let tables = self.tables.lock();
        let latest = |members: &mut dyn Iterator<Item = &Member>| {
            members
                .filter(|member| member.channel.client_id == client_id)
                .max_by_key(|member| member.last_update)
                .map(|member| member.channel.connection_id)
        };
        latest(
            &mut tables
                .producers
                .values()
                .flat_map(|members| members.values()),
        )
        .or_else(|| {
            latest(
                &mut tables
                    .consumers
                    .values()
                    .flat_map(|group| group.members.values()),
            )
        })
    }

    fn notify(&self, group: &str, members: &[u64]) {
        if !self.notify_enabled {
            return;
        }
        for &connection_id in members {
            let mut fields = ExtFields::new();
            fields.insert("consumerGroup", group);
            self.directory.send_oneway(
                connection_id,
                request_code::NOTIFY_CONSUMER_IDS_CHANGED,
                fields,
            );
        }
    }
}

/// Merges a heartbeat's subscriptions (new topic added, newer version
/// replaces, missing topic removed). True when the topic set changed.
fn merge_subscriptions(group: &mut ConsumerGroup, subscriptions: Vec<Subscription>) -> bool {
    let mut changed = false;
    let incoming: BTreeMap<String, Subscription> = subscriptions
        .into_iter()
        .map(|s| (s.topic.clone(), s))
        .collect();
    for (topic, subscription) in &incoming {
        match group.subscriptions.get(topic) {
            None => {
                changed = true;
                group
                    .subscriptions
                    .insert(topic.clone(), subscription.clone());
            }
            Some(existing) if subscription.sub_version > existing.sub_version => {
                group
                    .subscriptions
                    .insert(topic.clone(), subscription.clone());
            }
            Some(_) => {}
        }
    }
    let before = group.subscriptions.len();
    group
        .subscriptions
        .retain(|topic, _| incoming.contains_key(topic));
    changed || group.subscriptions.len() != before
}

/// Removes a consumer channel; returns the group and remaining members to
/// notify, and adds the group to `removed` when it has no member left.
fn remove_consumer(
    tables: &mut Tables,
    group: &str,
    connection_id: u64,
    removed: &mut Vec<String>,
) -> Option<(String, Vec<u64>)> {
    let entry = tables.consumers.get_mut(group)?;
    entry.members.remove(&connection_id)?;
    if entry.members.is_empty() {
        tables.consumers.remove(group);
        removed.push(group.to_owned());
        return None;
    }
    if entry.message_model == "BROADCASTING" {
        return None;
    }
    Some((group.to_owned(), entry.members.keys().copied().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: u64) -> ClientChannel {
        ClientChannel {
            client_id: format!("client-{id}"),
            connection_id: id,
            remote_addr: "127.0.0.1:1".into(),
            language: 0,
            version: 479,
        }
    }

    fn sub(topic: &str, version: i64) -> Subscription {
        Subscription {
            topic: topic.into(),
            sub_string: "*".into(),
            expression_type: "TAG".into(),
            tags: vec![],
            codes: vec![],
            sub_version: version,
        }
    }

    fn register(registry: &ClientRegistry, id: u64, topics: &[&str]) -> bool {
        registry.register_consumer(
            "cg",
            channel(id),
            "CONSUME_PASSIVELY",
            "CLUSTERING",
            "CONSUME_FROM_LAST_OFFSET",
            topics.iter().map(|t| sub(t, 1)).collect(),
            false,
            true,
        )
    }

    #[test]
    fn the_last_member_leaving_removes_the_group_and_tells_the_listeners() {
        let registry = ClientRegistry::new(ConnectionDirectory::new(), true);
        let removed = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = removed.clone();
        registry.on_group_removed(Box::new(move |group| seen.lock().push(group.to_owned())));
        register(&registry, 1, &["A"]);
        register(&registry, 2, &["A"]);
        registry.unregister(1, "", "cg");
        assert!(removed.lock().is_empty(), "one member is left");
        registry.connection_closed(2);
        assert_eq!(*removed.lock(), vec!["cg".to_owned()]);
        register(&registry, 3, &["A"]);
        registry.unregister(3, "", "cg");
        assert_eq!(removed.lock().len(), 2);
    }

    #[test]
    fn heartbeat_fingerprints_are_swapped_per_group() {
        let registry = ClientRegistry::new(ConnectionDirectory::new(), true);
        assert_eq!(registry.swap_heartbeat_fingerprint("cg", 7), None);
        assert_eq!(registry.swap_heartbeat_fingerprint("cg", 7), Some(7));
        assert_eq!(registry.swap_heartbeat_fingerprint("cg", 9), Some(7));
        assert_eq!(registry.swap_heartbeat_fingerprint("other", 0), None);
    }

    #[test]
    fn membership_and_topic_changes_are_reported() {
        let registry = ClientRegistry::new(ConnectionDirectory::new(), true);
        assert!(register(&registry, 1, &["A"]), "new member");
        assert!(!register(&registry, 1, &["A"]), "refresh only");
        assert!(register(&registry, 1, &["A", "B"]), "topic added");
        assert!(register(&registry, 2, &["A", "B"]), "second member");
        let group = registry.consumer_group("cg").expect("group");
        assert_eq!(group.client_ids, vec!["client-1", "client-2"]);
        assert_eq!(group.subscriptions.len(), 2);
        registry.connection_closed(1);
        assert_eq!(
            registry.consumer_group("cg").expect("group").client_ids,
            vec!["client-2"]
        );
        registry.unregister(2, "", "cg");
        assert!(registry.consumer_group("cg").is_none());
    }

    #[test]
    fn stale_channels_expire() {
        let registry = ClientRegistry::new(ConnectionDirectory::new(), true);
        register(&registry, 1, &["A"]);
        registry.register_producer("pg", channel(2));
        registry.expire(Duration::from_secs(3600));
        assert!(registry.consumer_group("cg").is_some());
        registry.expire(Duration::ZERO);
        assert!(registry.consumer_group("cg").is_none());
        assert!(registry.producer_channels("pg").is_empty());
    }
}
