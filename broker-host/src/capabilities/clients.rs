//! Producers, consumers and rebalance locks, over the host's client
//! registry and lock table.

use std::time::Duration;

use plugin_api::codec::{ExtFields, RemotingCommand};
use plugin_api::sdk::{
    ClientCalls, ClientChannel, ClientRequest, ClientResponse, ClientsAndLocks, Connection,
    ConsumerGroupInfo, ConsumerRegistration, HostError, MessageQueue, Subscription,
};

use super::BrokerServices;
use crate::clients;
use crate::metadata::FilterSubscription;
use crate::remoting::CallError;

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
        let command = client_command(request);
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

    fn invoke(
        &self,
        connection_id: u64,
        request: &ClientRequest,
        timeout_millis: u64,
    ) -> Result<ClientResponse, HostError> {
        let response = self
            .inner
            .directory
            .invoke(
                connection_id,
                client_command(request),
                Duration::from_millis(timeout_millis),
            )
            .map_err(|error| match error {
                CallError::Timeout { .. } => HostError::Timeout(error.to_string()),
                _ => HostError::Refused(error.to_string()),
            })?;
        Ok(ClientResponse {
            code: response.code,
            remark: response.remark,
            ext_fields: response
                .ext_fields
                .iter()
                .flat_map(|fields| fields.iter())
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
            body: response.body.to_vec(),
        })
    }

    fn find_client_connection(&self, client_id: &str) -> Result<Option<u64>, HostError> {
        Ok(self.inner.clients.find_connection(client_id))
    }
}

/// The remoting request for a client request.
fn client_command(request: &ClientRequest) -> RemotingCommand {
    let mut command = RemotingCommand::request(request.code);
    command.remark = request.remark.clone();
    let mut fields = ExtFields::new();
    for (key, value) in &request.ext_fields {
        fields.insert(key, value);
    }
    command.ext_fields = Some(fields);
    command.body = request.body.clone().into();
    command
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

    /// A broker listener on loopback whose handler records the id of each
    /// connection a request came on, and a client connected to it.
    struct Loopback {
        runtime: tokio::runtime::Runtime,
        services: BrokerServices,
        client: std::net::TcpStream,
        connection_id: u64,
        _stop: tokio::sync::watch::Sender<bool>,
        _dir: tempfile::TempDir,
    }

    /// Records the connection of each request; with `hold`, never
    /// finishes one (each stays in flight, as a request whose processor
    /// waits does).
    struct RecordIds {
        ids: std::sync::Mutex<Vec<u64>>,
        hold: bool,
    }

    impl crate::remoting::RequestHandler for RecordIds {
        fn handle(
            &self,
            _request: RemotingCommand,
            connection: crate::remoting::ConnectionHandle,
            _port: crate::remoting::PortKind,
            _lone: bool,
        ) {
            if self.hold {
                connection.request_started();
            }
            self.ids.lock().expect("ids").push(connection.id());
        }
    }

    fn loopback() -> Loopback {
        loopback_with(64, false)
    }

    fn loopback_with(max_requests_in_flight: usize, hold: bool) -> Loopback {
        use std::io::Write;
        use std::time::{Duration, Instant};

        use crate::remoting::{PortKind, RemotingServer, ServerConfig};

        let dir = tempfile::tempdir().expect("temp dir");
        let services = services(dir.path());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let ids = Arc::new(RecordIds {
            ids: std::sync::Mutex::new(Vec::new()),
            hold,
        });
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let server = runtime
            .block_on(RemotingServer::bind(
                ServerConfig {
                    bind: "127.0.0.1:0".parse().expect("addr"),
                    port: PortKind::Main,
                    max_frame_length: plugin_api::codec::DEFAULT_MAX_FRAME_LENGTH,
                    idle_timeout: Duration::from_secs(120),
                    frame_timeout: Duration::from_secs(30),
                    max_connections: 0,
                    header_limits: Default::default(),
                    write_buffer_water_marks: (0, 0),
                    max_requests_in_flight,
                },
                ids.clone(),
                services.parts().directory.clone(),
                shutdown,
            ))
            .expect("bind");
        let mut client = std::net::TcpStream::connect(server.local_addr()).expect("connect");
        // Any request tells the handler (and so the test) the connection's id.
        let hello =
            plugin_api::codec::encode_to_vec(&RemotingCommand::request(34)).expect("encodes");
        client.write_all(&hello).expect("write");
        let deadline = Instant::now() + Duration::from_secs(30);
        let connection_id = loop {
            if let Some(id) = ids.ids.lock().expect("ids").first().copied() {
                break id;
            }
            assert!(Instant::now() < deadline, "the request never arrived");
            std::thread::sleep(Duration::from_millis(5));
        };
        Loopback {
            runtime,
            services,
            client,
            connection_id,
            _stop: stop,
            _dir: dir,
        }
    }

    fn read_frame(client: &mut std::net::TcpStream) -> RemotingCommand {
        use std::io::Read;
        let mut length = [0u8; 4];
        client.read_exact(&mut length).expect("length");
        let mut frame = vec![0u8; u32::from_be_bytes(length) as usize];
        client.read_exact(&mut frame).expect("frame");
        plugin_api::codec::decode_after_length(frame.into()).expect("decodes")
    }

    fn push_request() -> ClientRequest {
        ClientRequest {
            code: 326,
            remark: None,
            ext_fields: vec![("topic".into(), "T".into())],
            body: b"reply".to_vec(),
        }
    }

    #[test]
    fn invoke_sends_the_request_and_returns_the_clients_answer() {
        use std::io::Write;
        let loopback = loopback();
        let mut client = loopback.client.try_clone().expect("clone");
        let answering = std::thread::spawn(move || {
            let request = read_frame(&mut client);
            let mut answer = RemotingCommand::response_to(&request, 0, Some("ok".into()));
            answer.ext_fields = Some(vec![("k".to_owned(), "v".to_owned())].into());
            answer.body = b"answer".to_vec().into();
            client
                .write_all(&plugin_api::codec::encode_to_vec(&answer).expect("encodes"))
                .expect("write");
            request
        });
        let response = loopback
            .services
            .invoke(loopback.connection_id, &push_request(), 30_000)
            .expect("answered");
        let request = answering.join().expect("client thread");
        assert_eq!(
            (request.code, request.flag, request.body.as_ref()),
            (326, 0, &b"reply"[..]),
            "a two-way request"
        );
        assert_eq!(
            request.ext_fields.as_ref().and_then(|f| f.get("topic")),
            Some("T")
        );
        assert_eq!(response.code, 0);
        assert_eq!(response.remark.as_deref(), Some("ok"));
        assert_eq!(response.field("k"), Some("v"));
        assert_eq!(response.body, b"answer");
        assert_eq!(loopback.services.parts().directory.pending_calls(), 0);
        drop(loopback.runtime);
    }

    /// The client's requests fill its in-flight limit (they wait, as a
    /// reply waits for its push): the reader still takes the answer the
    /// broker waits for.
    #[test]
    fn the_answer_is_read_on_a_connection_paused_at_its_in_flight_limit() {
        use std::io::Write;
        let loopback = loopback_with(1, true);
        let mut client = loopback.client.try_clone().expect("clone");
        let answering = std::thread::spawn(move || {
            let request = read_frame(&mut client);
            let answer = RemotingCommand::response_to(&request, 0, None);
            client
                .write_all(&plugin_api::codec::encode_to_vec(&answer).expect("encodes"))
                .expect("write");
        });
        let response = loopback
            .services
            .invoke(loopback.connection_id, &push_request(), 30_000);
        answering.join().expect("client thread");
        assert_eq!(response.map(|r| r.code), Ok(0));
        drop(loopback.runtime);
    }

    #[test]
    fn invoke_times_out_without_an_answer_and_forgets_the_call() {
        let loopback = loopback();
        let outcome = loopback
            .services
            .invoke(loopback.connection_id, &push_request(), 50);
        assert!(matches!(outcome, Err(HostError::Timeout(_))), "{outcome:?}");
        assert_eq!(loopback.services.parts().directory.pending_calls(), 0);
        drop(loopback.runtime);
    }

    #[test]
    fn invoke_fails_when_the_connection_closes_or_is_unknown() {
        let loopback = loopback();
        let mut client = loopback.client.try_clone().expect("clone");
        let closing = std::thread::spawn(move || {
            read_frame(&mut client);
            client.shutdown(std::net::Shutdown::Both).expect("shutdown");
        });
        let outcome = loopback
            .services
            .invoke(loopback.connection_id, &push_request(), 60_000);
        closing.join().expect("client thread");
        let Err(HostError::Refused(reason)) = outcome else {
            panic!("{outcome:?}");
        };
        assert!(reason.contains("closed"), "{reason}");
        assert_eq!(loopback.services.parts().directory.pending_calls(), 0);
        let unknown = loopback.services.invoke(u64::MAX, &push_request(), 60_000);
        assert!(matches!(unknown, Err(HostError::Refused(_))), "{unknown:?}");
        drop(loopback.runtime);
    }

    #[test]
    fn find_client_connection_finds_producers_then_consumers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let services = services(dir.path());
        assert_eq!(services.find_client_connection("c@1"), Ok(None));
        register(&services, vec![], false);
        assert_eq!(services.find_client_connection("c@1"), Ok(Some(1)));
        let producer = ClientChannel {
            client_id: "c@1",
            connection_id: 2,
            remote_addr: "127.0.0.1:2",
            language: 0,
            version: 479,
        };
        services.register_producer("pg", &producer);
        assert_eq!(services.find_client_connection("c@1"), Ok(Some(2)));
        services.unregister_client("c@1", 2, "pg", "");
        assert_eq!(services.find_client_connection("c@1"), Ok(Some(1)));
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
