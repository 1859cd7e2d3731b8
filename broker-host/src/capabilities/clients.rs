//! Producers, consumers and rebalance locks, over the host's client
//! registry and lock table.

use plugin_api::codec::{ExtFields, RemotingCommand};
use plugin_api::sdk::{
    ClientCalls, ClientChannel, ClientRequest, ClientsAndLocks, Connection, ConsumerGroupInfo,
    ConsumerRegistration, HostError, MessageQueue, Subscription,
};

use super::BrokerServices;
use crate::clients;

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
        self.inner.clients.register_consumer(
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
        )
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
