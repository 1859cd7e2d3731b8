//! Registration with name servers (`BrokerController.registerBrokerAll` →
//! `BrokerOuterAPI.registerBrokerAll`, and `BrokerOuterAPI.unregisterBrokerAll`
//! at shutdown; the name server's side is `DefaultRequestProcessor.registerBroker`).
//!
//! Every name server of `namesrvAddr` gets its own worker: REGISTER_BROKER
//! at once, then at 10 s and every `registerNameServerPeriod` (clamped to
//! 10–60 s), and again as soon as the topic table's DataVersion changes (a
//! topic created by UPDATE_AND_CREATE_TOPIC, auto-created on send, a retry
//! topic, a deletion), so new routes are visible at once, like Java's
//! incremental registration. The workers are independent: a name server
//! that is down or slow fails its own attempt (logged, retried at its next
//! period) and never delays the others or anything else in the broker.
//! At shutdown the workers stop and UNREGISTER_BROKER goes to every name
//! server in parallel, 3 s each.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::join_all;
use plugin_api::codec::{ExtFields, LanguageCode, RemotingCommand, SerializeType};
use plugin_api::codes::{request_code, response_code, BROKER_VERSION};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::{ClientConfig, ClientError, RemotingClient};
use crate::config::BrokerConfig;
use crate::metadata::json::Json;
use crate::metadata::topic_config::perm;
use crate::metadata::{DataVersion, TopicConfig, TopicConfigManager};

/// First periodic registration after start (Java's initial delay).
const FIRST_PERIODIC_DELAY: Duration = Duration::from_secs(10);
/// How often a worker looks at the topic table's DataVersion.
const TOPIC_CHANGE_POLL: Duration = Duration::from_millis(200);
/// UNREGISTER_BROKER timeout per name server (Java: 3 s).
const UNREGISTER_TIMEOUT: Duration = Duration::from_secs(3);

/// What a name server answered to REGISTER_BROKER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterResult {
    /// `masterAddr` (filled for slaves).
    pub master_addr: Option<String>,
    /// `haServerAddr` of the master (filled for slaves).
    pub ha_server_addr: Option<String>,
}

/// Why a registration or unregistration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// No response.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The name server answered with an error code.
    #[error("name server answered code {code}: {remark}")]
    Refused {
        /// Response code.
        code: i32,
        /// Remark.
        remark: String,
    },
}

/// The registration state shared by the workers.
pub struct NameServerRegistration {
    config: Arc<BrokerConfig>,
    topics: Arc<TopicConfigManager>,
    client: Arc<RemotingClient>,
}

/// The running workers; [`RegistrationService::shutdown`] stops them and
/// unregisters.
pub struct RegistrationService {
    registration: Arc<NameServerRegistration>,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

impl NameServerRegistration {
    /// Registration of this broker's topics, as `config` describes the broker.
    pub fn new(config: Arc<BrokerConfig>, topics: Arc<TopicConfigManager>) -> Arc<Self> {
        let client = RemotingClient::new(ClientConfig {
            connect_timeout: Duration::from_millis(config.connect_timeout_millis.max(1)),
            close_socket_if_timeout: config.client_close_socket_if_timeout,
        });
        Arc::new(NameServerRegistration {
            config,
            topics,
            client,
        })
    }

    /// The name servers (`namesrvAddr`, `;`-separated).
    pub fn name_servers(&self) -> Vec<String> {
        self.config.namesrv_addrs()
    }

    /// The `RegisterBrokerBody` JSON for the current topic table (and the
    /// table's version it was built from): `filterServerList` and the
    /// `TopicConfigAndMappingSerializeWrapper`, fields sorted as fastjson
    /// writes them. Topic perms are advertised by [`perm::advertised`]: ANDed
    /// with `brokerPermission` when the broker is not both readable and
    /// writeable.
    pub fn register_body(&self) -> (Vec<u8>, DataVersion) {
        let (topics, version) = self.topics.snapshot();
        let wrapper = topic_config_wrapper(topics, version, Some(self.config.broker_permission));
        let body = Json::object([
            ("filterServerList", Json::Array(Vec::new())),
            ("topicConfigSerializeWrapper", wrapper),
        ]);
        (body.to_compact().into_bytes(), version)
    }

    /// A REGISTER_BROKER request carrying `body`.
    pub fn register_request(&self, body: Vec<u8>) -> RemotingCommand {
        let config = &self.config;
        let mut fields = ExtFields::new();
        fields.insert("brokerName", config.broker_name.as_str());
        fields.insert("brokerAddr", config.broker_addr());
        fields.insert("clusterName", config.broker_cluster_name.as_str());
        fields.insert("haServerAddr", config.ha_server_addr());
        fields.insert("brokerId", config.broker_id.to_string());
        fields.insert(
            "enableActingMaster",
            config.enable_slave_acting_master.to_string(),
        );
        fields.insert("compressed", "false");
        fields.insert("bodyCrc32", body_crc32(&body).to_string());
        request(request_code::REGISTER_BROKER, fields, body)
    }

    /// An UNREGISTER_BROKER request.
    pub fn unregister_request(&self) -> RemotingCommand {
        let config = &self.config;
        let mut fields = ExtFields::new();
        fields.insert("brokerName", config.broker_name.as_str());
        fields.insert("brokerAddr", config.broker_addr());
        fields.insert("clusterName", config.broker_cluster_name.as_str());
        fields.insert("brokerId", config.broker_id.to_string());
        request(request_code::UNREGISTER_BROKER, fields, Vec::new())
    }

    /// REGISTER_BROKER to one name server with the current topic table,
    /// waiting at most `registerBrokerTimeoutMills`.
    pub async fn register_to(&self, addr: &str) -> Result<RegisterResult, RegisterError> {
        let (body, _) = self.register_body();
        self.send_register(addr, body).await
    }

    async fn send_register(
        &self,
        addr: &str,
        body: Vec<u8>,
    ) -> Result<RegisterResult, RegisterError> {
        let timeout = Duration::from_millis(self.config.register_broker_timeout_mills.max(1));
        let response = self
            .client
            .invoke(addr, self.register_request(body), timeout)
            .await?;
        if response.code != response_code::SUCCESS {
            return Err(RegisterError::Refused {
                code: response.code,
                remark: response.remark.unwrap_or_default(),
            });
        }
        let field = |key: &str| {
            response
                .ext(key)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(RegisterResult {
            master_addr: field("masterAddr"),
            ha_server_addr: field("haServerAddr"),
        })
    }

    /// REGISTER_BROKER to every name server in parallel; one result each.
    pub async fn register_all(&self) -> Vec<(String, Result<RegisterResult, RegisterError>)> {
        let (body, _) = self.register_body();
        let addrs = self.name_servers();
        let calls = addrs
            .iter()
            .map(|addr| self.send_register(addr, body.clone()));
        addrs.iter().cloned().zip(join_all(calls).await).collect()
    }

    /// UNREGISTER_BROKER to one name server (3 s).
    pub async fn unregister_from(&self, addr: &str) -> Result<(), RegisterError> {
        let response = self
            .client
            .invoke(addr, self.unregister_request(), UNREGISTER_TIMEOUT)
            .await?;
        if response.code != response_code::SUCCESS {
            return Err(RegisterError::Refused {
                code: response.code,
                remark: response.remark.unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// UNREGISTER_BROKER to every name server in parallel, 3 s each;
    /// outcomes are logged, never fatal.
    pub async fn unregister_all(&self) {
        let addrs = self.name_servers();
        let calls = addrs.iter().map(|addr| async move {
            match self.unregister_from(addr).await {
                Ok(()) => tracing::info!(namesrv = %addr, "unregistered from the name server (UNREGISTER_BROKER)"),
                Err(error) => tracing::warn!(namesrv = %addr, %error, "UNREGISTER_BROKER failed"),
            }
        });
        join_all(calls).await;
    }

    /// Starts one worker per name server: registers at once, then at 10 s
    /// and every `effective_register_name_server_period()`, and whenever the
    /// topic table's DataVersion changes. Must run inside a tokio runtime.
    pub fn start(self: &Arc<Self>) -> RegistrationService {
        let (stop, stopped) = watch::channel(false);
        let period = Duration::from_millis(self.config.effective_register_name_server_period());
        let workers = self
            .name_servers()
            .into_iter()
            .map(|addr| tokio::spawn(worker(self.clone(), addr, period, stopped.clone())))
            .collect();
        RegistrationService {
            registration: self.clone(),
            stop,
            workers,
        }
    }
}

impl RegistrationService {
    /// The shared registration state.
    pub fn registration(&self) -> &Arc<NameServerRegistration> {
        &self.registration
    }

    /// Stops the workers (no registration after this returns), then sends
    /// UNREGISTER_BROKER to every name server (3 s each, in parallel) and
    /// closes the connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for worker in &self.workers {
            worker.abort();
        }
        for worker in self.workers {
            let _ = worker.await;
        }
        self.registration.unregister_all().await;
        self.registration.client.close_all();
    }
}

async fn worker(
    registration: Arc<NameServerRegistration>,
    addr: String,
    period: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut periodic =
        tokio::time::interval_at(tokio::time::Instant::now() + FIRST_PERIODIC_DELAY, period);
    periodic.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes = tokio::time::interval(TOPIC_CHANGE_POLL);
    changes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut succeeded_once = false;
    let mut failures: u64 = 0;
    let mut reason = "startup";
    loop {
        if *stopped.borrow() {
            return;
        }
        let (body, version) = registration.register_body();
        match registration.send_register(&addr, body).await {
            Ok(result) => {
                let topics = registration.topics.len();
                if !succeeded_once || reason != "periodic" || failures > 0 {
                    tracing::info!(namesrv = %addr, reason, topics, data_version = version.counter, master = ?result.master_addr, "registered with the name server (REGISTER_BROKER)");
                } else {
                    tracing::debug!(namesrv = %addr, topics, data_version = version.counter, "registration refreshed");
                }
                succeeded_once = true;
                failures = 0;
            }
            Err(error) => {
                failures += 1;
                if failures == 1 || failures.is_multiple_of(10) {
                    tracing::warn!(namesrv = %addr, %error, reason, failures, "registration with the name server failed; retrying in {} ms", period.as_millis());
                } else {
                    tracing::debug!(namesrv = %addr, %error, failures, "registration failed again");
                }
            }
        }
        // The version just attempted counts as sent even when the attempt
        // failed: a name server that is down is retried at the next period,
        // not in a tight loop on every topic change.
        let attempted = version;
        // Wait for the next period, a topic-table change, or the stop.
        reason = loop {
            tokio::select! {
                _ = periodic.tick() => break "periodic",
                _ = changes.tick() => {
                    if registration.topics.data_version() != attempted {
                        break "topic table changed";
                    }
                }
                _ = stopped.changed() => return,
            }
        };
    }
}

/// The version of the (empty) static-topic mapping table
/// (`TopicQueueMappingManager.getDataVersion()`): created once, never bumped.
pub fn mapping_data_version() -> DataVersion {
    static VERSION: OnceLock<DataVersion> = OnceLock::new();
    *VERSION.get_or_init(DataVersion::default)
}

/// `TopicConfigAndMappingSerializeWrapper` as fastjson writes it (fields
/// sorted: `dataVersion`, `mappingDataVersion`, `topicConfigTable`,
/// `topicQueueMappingDetailMap`, `topicQueueMappingInfoMap`): the body of
/// GET_ALL_TOPIC_CONFIG and the wrapper inside REGISTER_BROKER's body.
/// With `broker_perm`, every topic's perm is the one advertised for it
/// ([`perm::advertised`]).
pub fn topic_config_wrapper(
    topics: Vec<TopicConfig>,
    version: DataVersion,
    broker_perm: Option<i32>,
) -> Json {
    let table = Json::object(topics.into_iter().map(|mut topic| {
        if let Some(broker_perm) = broker_perm {
            topic.perm = perm::advertised(topic.perm, broker_perm);
        }
        (topic.topic_name.clone(), topic.to_json())
    }));
    Json::object([
        ("dataVersion", version.to_json()),
        ("mappingDataVersion", mapping_data_version().to_json()),
        ("topicConfigTable", table),
        ("topicQueueMappingDetailMap", Json::object::<&str>([])),
        ("topicQueueMappingInfoMap", Json::object::<&str>([])),
    ])
}

/// `UtilAll.crc32(body)`: CRC-32 (IEEE) of the body, masked to 31 bits.
pub fn body_crc32(body: &[u8]) -> u32 {
    crc32fast::hash(body) & 0x7FFF_FFFF
}

fn request(code: i32, fields: ExtFields, body: Vec<u8>) -> RemotingCommand {
    RemotingCommand {
        code,
        language: LanguageCode::Java,
        version: BROKER_VERSION,
        opaque: 0,
        flag: 0,
        remark: None,
        ext_fields: Some(fields),
        serialize_type: SerializeType::Json,
        body: body.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> Arc<NameServerRegistration> {
        let mut config = BrokerConfig::default();
        config.apply("brokerName", "broker-x").unwrap();
        config.apply("brokerIP1", "127.0.0.1").unwrap();
        config.apply("listenPort", "30911").unwrap();
        config
            .apply("namesrvAddr", "127.0.0.1:1;127.0.0.1:2")
            .unwrap();
        config.finish().unwrap();
        let topics = Arc::new(TopicConfigManager::with_system_topics(&config));
        NameServerRegistration::new(Arc::new(config), topics)
    }

    #[test]
    fn body_has_the_wrapper_shape() {
        let registration = registration();
        let (body, version) = registration.register_body();
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.starts_with("{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":"), "{text}");
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let wrapper = &value["topicConfigSerializeWrapper"];
        assert_eq!(wrapper["dataVersion"]["counter"], version.counter);
        assert_eq!(wrapper["topicQueueMappingInfoMap"], serde_json::json!({}));
        let tbw = &wrapper["topicConfigTable"]["TBW102"];
        assert_eq!(tbw["perm"], 7);
        assert_eq!(tbw["topicFilterType"], "SINGLE_TAG");
        assert_eq!(tbw["attributes"], serde_json::json!({}));
        let keys: Vec<&String> = tbw.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "bean fields sorted");
    }

    #[test]
    fn header_carries_crc_and_identity() {
        let registration = registration();
        let (body, _) = registration.register_body();
        let crc = body_crc32(&body);
        let request = registration.register_request(body);
        assert_eq!(request.code, 103);
        assert_eq!(request.version, BROKER_VERSION);
        assert_eq!(request.ext("bodyCrc32"), Some(crc.to_string().as_str()));
        assert_eq!(request.ext("brokerAddr"), Some("127.0.0.1:30911"));
        assert_eq!(request.ext("brokerName"), Some("broker-x"));
        assert_eq!(request.ext("brokerId"), Some("0"));
        assert_eq!(request.ext("compressed"), Some("false"));
        assert_eq!(request.ext("haServerAddr"), Some("127.0.0.1:30912"));
        let unregister = registration.unregister_request();
        assert_eq!(unregister.code, 104);
        assert_eq!(unregister.ext("clusterName"), Some("DefaultCluster"));
    }

    #[test]
    fn crc_is_masked() {
        // "123456789" has the well-known CRC-32 0xCBF43926.
        assert_eq!(body_crc32(b"123456789"), 0xCBF4_3926 & 0x7FFF_FFFF);
    }

    #[test]
    fn restricted_broker_permission_is_anded() {
        let mut config = BrokerConfig::default();
        config.apply("brokerPermission", "4").unwrap();
        config.finish().unwrap();
        let topics = Arc::new(TopicConfigManager::with_system_topics(&config));
        let registration = NameServerRegistration::new(Arc::new(config), topics);
        let (body, _) = registration.register_body();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            value["topicConfigSerializeWrapper"]["topicConfigTable"]["TBW102"]["perm"],
            4
        );
    }

    #[tokio::test]
    async fn unreachable_name_servers_fail_fast_and_independently() {
        let registration = registration();
        let started = std::time::Instant::now();
        let results = registration.register_all().await;
        assert_eq!(results.len(), 2);
        assert!(results.iter().all(|(_, r)| r.is_err()));
        assert!(started.elapsed() < Duration::from_secs(10));
        registration.unregister_all().await;
    }
}
