//! Producers, consumers and rebalance locks, over the host's client
//! registry and lock table.

use plugin_api::codec::{ExtFields, RemotingCommand};
use plugin_api::sdk::{
    ClientCalls, ClientChannel, ClientRequest, ClientsAndLocks, Connection, ConsumerGroupInfo,
    ConsumerRegistration, HostError, MessageQueue, Subscription,
};

use super::BrokerServices;
use crate::clients;
use crate::metadata::FilterSubscription;

fn channel(channel: &ClientChannel<'_>) -> clients::ClientChannel {
    clients::ClientChannel {
        client_id: channel.client_id.to_owned(),
        connection_id: channel.connection_id,
        remote_addr: channel.remote_addr.to_owned(),
        language: channel.language,
        version: channel.version,
    }
}

fn subscription_to_host(sub: &Subscription) -> clients::Subscription {
    clients::Subscription {
        topic: sub.topic.clone(),
        sub_string: sub.sub_string.clone(),
        expression_type: sub.expression_type.clone(),
        tags: sub.tags.clone(),
        codes: sub.codes.clone(),
        sub_version: sub.sub_version,
    }
}

fn subscription_to_sdk(sub: &clients::Subscription) -> Subscription {
    Subscription {
        topic: sub.topic.clone(),
        sub_string: sub.sub_string.clone(),
        expression_type: sub.expression_type.clone(),
        tags: sub.tags.clone(),
        codes: sub.codes.clone(),
        sub_version: sub.sub_version,
    }
}

fn queue_keys(queues: &[MessageQueue]) -> Vec<(String, String, i32)> {
    queues
        .iter()
        .map(|queue| {
            (
                queue.topic.clone(),
                queue.broker_name.clone(),
                queue.queue_id,
            )
        })
        .collect()
}

impl ClientsAndLocks for BrokerServices {
    fn register_producer(&self, group: &str, client: &ClientChannel<'_>) {
        self.inner.clients.register_producer(group, channel(client))
    }

    fn register_consumer(
        &self,
        registration: &ConsumerRegistration,
        client: &ClientChannel<'_>,
    ) -> bool {
        let group_notify = self
            .inner
            .metadata
            .subscription_groups()
            .get(&registration.group)
            .is_none_or(|group| group.notify_consumer_ids_changed_enable);
        let changed = self.inner.clients.register_consumer(
            &registration.group,
            channel(client),
            &registration.consume_type,
            &registration.message_model,
            &registration.consume_from_where,
            registration
                .subscriptions
                .iter()
                .map(subscription_to_host)
                .collect(),
            registration.keep_subscriptions,
            group_notify,
        );
        // Java's ConsumerManager.registerConsumer ends with the REGISTER
        // event, on which DefaultConsumerIdsChangeListener hands the
        // subscriptions to ConsumerFilterManager.register (SQL92 ones kept,
        // topics no longer subscribed marked dead). A heartbeat without
        // subscriptions (registerConsumerWithoutSub) raises no such event.
        if !registration.keep_subscriptions {
            let subscriptions: Vec<FilterSubscription> = registration
                .subscriptions
                .iter()
                .map(|sub| FilterSubscription {
                    topic: sub.topic.clone(),
                    expression: sub.sub_string.clone(),
                    expression_type: sub.expression_type.clone(),
                    version: sub.sub_version,
                })
                .collect();
            self.inner
                .metadata
                .consumer_filters()
                .register_group(&registration.group, &subscriptions);
        }
        changed
    }

    fn unregister_client(
        &self,
        _client_id: &str,
        connection_id: u64,
        producer_group: &str,
        consumer_group: &str,
    ) {
        self.inner
            .clients
            .unregister(connection_id, producer_group, consumer_group)
    }

    fn consumer_group(&self, group: &str) -> Option<ConsumerGroupInfo> {
        self.inner
            .clients
            .consumer_group(group)
            .map(|info| ConsumerGroupInfo {
                group: info.group.clone(),
                consume_type: info.consume_type.clone(),
                message_model: info.message_model.clone(),
                consume_from_where: info.consume_from_where.clone(),
                subscriptions: info.subscriptions.iter().map(subscription_to_sdk).collect(),
                client_ids: info.client_ids.clone(),
            })
    }

    fn consumer_connections(&self, group: &str) -> Vec<Connection> {
        let mut channels = self.inner.clients.consumer_channels(group);
        channels.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        channels
            .into_iter()
            .map(|channel| Connection {
                client_id: channel.client_id,
                client_addr: channel.remote_addr,
                language: channel.language,
                version: channel.version,
            })
            .collect()
    }

    fn swap_heartbeat_fingerprint(&self, group: &str, fingerprint: i64) -> Option<i64> {
        self.inner
            .clients
            .swap_heartbeat_fingerprint(group, fingerprint)
    }

    fn lock_queues(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
    ) -> Vec<MessageQueue> {
        self.inner
            .locks
            .try_lock_batch(group, client_id, queue_keys(queues))
            .into_iter()
            .map(|(topic, broker_name, queue_id)| MessageQueue {
                topic,
                broker_name,
                queue_id,
            })
            .collect()
    }

    fn unlock_queues(&self, group: &str, client_id: &str, queues: &[MessageQueue]) {
        self.inner
            .locks
            .unlock_batch(group, client_id, &queue_keys(queues))
    }

    fn group_has_live_lock(&self, group: &str) -> bool {
        self.inner.locks.has_live_lock(group)
    }
}

impl ClientCalls for BrokerServices {
    fn send_oneway(&self, connection_id: u64, request: &ClientRequest) -> Result<(), HostError> {
        let mut command = RemotingCommand::request(request.code);
        command.remark = request.remark.clone();
        let mut fields = ExtFields::new();
        for (key, value) in &request.ext_fields {
            fields.insert(key, value);
        }
        command.ext_fields = Some(fields);
        command.body = request.body.clone().into();
        if self
            .inner
            .directory
            .send_request_oneway(connection_id, command)
        {
            Ok(())
        } else {
            Err(HostError::Refused(format!(
                "connection {connection_id} is closed or its outbound queue is full"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plugin_api::sdk::{BrokerIdentity, ClientChannel, ClientsAndLocks, ConsumerRegistration};

    use super::*;
    use crate::capabilities::HostParts;
    use crate::clients::{ClientRegistry, RebalanceLockManager};
    use crate::config::BrokerConfig;
    use crate::metadata::MetadataStore;
    use crate::remoting::ConnectionDirectory;

    fn services(dir: &std::path::Path) -> BrokerServices {
        let config = Arc::new(BrokerConfig::default());
        let directory = ConnectionDirectory::new();
        BrokerServices::new(HostParts {
            metadata: Arc::new(MetadataStore::load_from(&config, dir).expect("metadata")),
            config,
            identity: BrokerIdentity {
                cluster_name: "c".into(),
                broker_name: "b".into(),
                broker_id: 0,
                broker_addr: "127.0.0.1:10911".into(),
                broker_permission: 6,
                version: 479,
            },
            store: None,
            clients: ClientRegistry::new(directory.clone(), false),
            locks: Arc::new(RebalanceLockManager::default()),
            directory,
            stats: Arc::new(crate::broker_stats::BrokerStatsManager::new("c")),
        })
    }

    fn subscription(topic: &str, expression_type: &str, expression: &str) -> Subscription {
        Subscription {
            topic: topic.into(),
            sub_string: expression.into(),
            expression_type: expression_type.into(),
            tags: vec![],
            codes: vec![],
            sub_version: 7,
        }
    }

    fn register(services: &BrokerServices, subscriptions: Vec<Subscription>, keep: bool) {
        let registration = ConsumerRegistration {
            group: "cg".into(),
            consume_type: "CONSUME_PASSIVELY".into(),
            message_model: "CLUSTERING".into(),
            consume_from_where: "CONSUME_FROM_LAST_OFFSET".into(),
            subscriptions,
            keep_subscriptions: keep,
        };
        let channel = ClientChannel {
            client_id: "c@1",
            connection_id: 1,
            remote_addr: "127.0.0.1:1",
            language: 0,
            version: 479,
        };
        services.register_consumer(&registration, &channel);
    }

    /// ConsumerManager.registerConsumer → REGISTER →
    /// ConsumerFilterManager.register(group, subList).
    #[test]
    fn a_consumer_heartbeat_registers_its_sql92_subscriptions_as_filters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let services = services(dir.path());
        let filters = services.parts().metadata.consumer_filters().clone();
        register(
            &services,
            vec![
                subscription("Sql", "SQL92", "a > 5"),
                subscription("Tags", "TAG", "TagA"),
                subscription("Bad", "SQL92", "a >"),
            ],
            false,
        );
        let filter = filters.get("Sql", "cg").expect("SQL92 filter registered");
        assert_eq!(
            (
                filter.expression.as_str(),
                filter.client_version,
                filter.is_dead()
            ),
            ("a > 5", 7, false)
        );
        assert!(filters.get("Tags", "cg").is_none(), "TAG is no filter");
        assert!(filters.get("Bad", "cg").is_none(), "does not compile");

        // A heartbeat without subscriptions leaves the filters alone...
        register(&services, vec![], true);
        assert!(!filters.get("Sql", "cg").expect("kept").is_dead());
        // ... one that no longer subscribes the topic marks it dead.
        register(&services, vec![subscription("Tags", "TAG", "*")], false);
        assert!(filters.get("Sql", "cg").expect("kept, dead").is_dead());
    }
}
