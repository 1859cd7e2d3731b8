//! The key table: every config key the broker knows, defined once.
//!
//! Each entry gives RocketMQ's key name (camelCase, as in `broker.conf`), the
//! Rust field, its type, its default, whether RocketMQ marks it
//! `@ImportantField` (printed by `-m`) and a one-line doc. The macro generates
//! the [`BrokerConfig`] struct, its `Default`, the [`KEYS`] table and the
//! per-key get/set code.
//!
//! Defaults are RocketMQ 5.3.3's (`BrokerConfig`, `BrokerIdentity`,
//! `NettyServerConfig`, `NettyClientConfig`, `MessageStoreConfig`) plus the
//! `BrokerStartup` overrides (`listenPort` 10911, `haListenPort` 0 = derived).

use super::host::{cpus, default_store_root, host_name, local_ipv4, rocketmq_home};
use super::value::{BrokerRole, ConfigValue, FlushDiskType, MetricsExporterType};

/// Which RocketMQ config class a key belongs to (they are flattened into
/// one [`BrokerConfig`] here; the section only orders and groups printing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// `BrokerConfig` / `BrokerIdentity`.
    Broker,
    /// `NettyServerConfig`.
    NettyServer,
    /// `NettyClientConfig` (the broker's client to name servers).
    NettyClient,
    /// `MessageStoreConfig`.
    MessageStore,
    /// Keys of this implementation only.
    Host,
}

impl Section {
    /// The RocketMQ class name (or `broker-host`).
    pub fn name(self) -> &'static str {
        match self {
            Section::Broker => "BrokerConfig",
            Section::NettyServer => "NettyServerConfig",
            Section::NettyClient => "NettyClientConfig",
            Section::MessageStore => "MessageStoreConfig",
            Section::Host => "broker-host",
        }
    }
}

/// Static description of one config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key as written in config files (RocketMQ's name, camelCase).
    pub key: &'static str,
    /// The [`BrokerConfig`] field holding it.
    pub field: &'static str,
    /// What a valid value looks like.
    pub expected: &'static str,
    /// RocketMQ's `@ImportantField` (listed by `-m`).
    pub important: bool,
    /// Where RocketMQ defines it.
    pub section: Section,
    /// One-line description.
    pub doc: &'static str,
}

macro_rules! is_important {
    () => {
        false
    };
    (important) => {
        true
    };
}

macro_rules! define_keys {
    (
        $(
            section $section:ident {
                $(
                    $(#[doc = $doc:literal])*
                    $key:literal $field:ident : $ty:ty = $default:expr $(, $imp:ident)? ;
                )*
            }
        )*
    ) => {
        /// The whole broker configuration: RocketMQ's `BrokerConfig`,
        /// `NettyServerConfig`, `NettyClientConfig` and `MessageStoreConfig`
        /// flattened into one struct with the same key names.
        ///
        /// Build it with [`Default`] (RocketMQ defaults), then
        /// [`load_file`](BrokerConfig::load_file) / [`apply`](BrokerConfig::apply),
        /// then [`finish`](BrokerConfig::finish) (derived values, validation).
        #[derive(Debug, Clone, PartialEq)]
        pub struct BrokerConfig {
            $($(
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = concat!("Key `", $key, "`.")]
                pub $field: $ty,
            )*)*
        }

        impl Default for BrokerConfig {
            fn default() -> Self {
                BrokerConfig {
                    $($( $field: $default, )*)*
                }
            }
        }

        /// Every key, in printing order.
        pub static KEYS: &[KeyInfo] = &[
            $($(
                KeyInfo {
                    key: $key,
                    field: stringify!($field),
                    expected: <$ty as ConfigValue>::EXPECTED,
                    important: is_important!($($imp)?),
                    section: Section::$section,
                    doc: concat!($($doc),*),
                },
            )*)*
        ];

        impl BrokerConfig {
            /// Sets `key` from (trimmed) text. `None` if the key is unknown,
            /// `Some(Err(expected))` if the value does not parse.
            pub(super) fn set_text(&mut self, key: &str, text: &str) -> Option<Result<(), &'static str>> {
                match key {
                    $($(
                        $key => Some(match <$ty as ConfigValue>::parse_text(text) {
                            Some(v) => {
                                self.$field = v;
                                Ok(())
                            }
                            None => Err(<$ty as ConfigValue>::EXPECTED),
                        }),
                    )*)*
                    _ => None,
                }
            }

            /// Sets `key` from a scalar TOML value; same results as [`Self::set_text`].
            pub(super) fn set_toml(&mut self, key: &str, value: &toml::Value) -> Option<Result<(), &'static str>> {
                match key {
                    $($(
                        $key => Some(match <$ty as ConfigValue>::from_toml(value) {
                            Some(v) => {
                                self.$field = v;
                                Ok(())
                            }
                            None => Err(<$ty as ConfigValue>::EXPECTED),
                        }),
                    )*)*
                    _ => None,
                }
            }

            /// The value of `key` as the config file would take it (unescaped),
            /// or `None` for an unknown key.
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $($( $key => Some(ConfigValue::render(&self.$field)), )*)*
                    _ => None,
                }
            }

            /// Every key with its current value (unescaped), in [`KEYS`] order.
            pub fn entries(&self) -> Vec<(&'static KeyInfo, String)> {
                let values = [$($( ConfigValue::render(&self.$field), )*)*];
                KEYS.iter().zip(values).collect()
            }
        }
    };
}

fn s(text: &str) -> String {
    text.to_owned()
}

define_keys! {
    section Broker {
        /// Cluster this broker belongs to.
        "brokerClusterName" broker_cluster_name: String = s("DefaultCluster"), important;
        /// Broker (master/slave group) name; default: the local host name.
        "brokerName" broker_name: String = host_name(), important;
        /// 0 = master, > 0 = slave (forced to 0 for masters, -1 with DLedger).
        "brokerId" broker_id: i64 = 0, important;
        /// Name servers, `host:port;host:port`; unset = embedded route answers (or env NAMESRV_ADDR).
        "namesrvAddr" namesrv_addr: Option<String> = None, important;
        /// Main TCP listen port; the fast (VIP) port is listenPort-2, HA listenPort+1.
        "listenPort" listen_port: u16 = 10911, important;
        /// Advertised address (store host, name-server registration); default: first non-loopback IPv4.
        "brokerIP1" broker_ip1: String = local_ipv4(), important;
        /// HA address advertised to slaves; empty = brokerIP1.
        "brokerIP2" broker_ip2: String = String::new();
        /// RocketMQ installation directory (default: env ROCKETMQ_HOME); not required here.
        "rocketmqHome" rocketmq_home: Option<String> = rocketmq_home();
        /// The config file the broker was started with (set from `-c`):
        /// UPDATE_BROKER_CONFIG persists there (unset: `<storePathRootDir>/config/broker.properties`).
        "brokerConfigPath" broker_config_path: Option<String> = None;
        /// Keys UPDATE_BROKER_CONFIG refuses (`;`-separated), besides
        /// brokerConfigPath, rocketmqHome and configBlackList themselves.
        "configBlackList" config_black_list: String = s("configBlackList;brokerConfigPath");
        /// Permission ANDed into every advertised topic perm (R=4, W=2, INHERIT=1).
        "brokerPermission" broker_permission: i32 = 6;
        /// Queue count of TBW102, the auto-create template topic.
        "defaultTopicQueueNums" default_topic_queue_nums: i32 = 8;
        /// Create TBW102 (perm 7) so producers can auto-create topics.
        "autoCreateTopicEnable" auto_create_topic_enable: bool = true, important;
        /// Create unknown consumer groups on heartbeat/pull/send-back.
        "autoCreateSubscriptionGroup" auto_create_subscription_group: bool = true, important;
        /// Make the cluster-name topic readable and writable.
        "clusterTopicEnable" cluster_topic_enable: bool = true;
        /// Make the broker-name topic readable and writable.
        "brokerTopicEnable" broker_topic_enable: bool = true;
        /// Create the message-trace topic at startup.
        "traceTopicEnable" trace_topic_enable: bool = false, important;
        /// Name of the message-trace topic.
        "msgTraceTopicName" msg_trace_topic_name: String = s(plugin_api::topics::TRACE_TOPIC), important;
        /// Send pool threads: min(cpus, 4).
        "sendMessageThreadPoolNums" send_message_thread_pool_nums: usize = cpus().min(4);
        /// Put-future pool threads: min(cpus, 4).
        "putMessageFutureThreadPoolNums" put_message_future_thread_pool_nums: usize = cpus().min(4);
        /// Pull pool threads: 16 + 2*cpus.
        "pullMessageThreadPoolNums" pull_message_thread_pool_nums: usize = 16 + 2 * cpus();
        /// Lite-pull pool threads: 16 + 2*cpus.
        "litePullMessageThreadPoolNums" lite_pull_message_thread_pool_nums: usize = 16 + 2 * cpus();
        /// Ack (POP) pool threads.
        "ackMessageThreadPoolNums" ack_message_thread_pool_nums: usize = 16;
        /// Reply pool threads: 16 + 2*cpus.
        "processReplyMessageThreadPoolNums" process_reply_message_thread_pool_nums: usize = 16 + 2 * cpus();
        /// Query pool threads: 8 + cpus.
        "queryMessageThreadPoolNums" query_message_thread_pool_nums: usize = 8 + cpus();
        /// Admin pool threads.
        "adminBrokerThreadPoolNums" admin_broker_thread_pool_nums: usize = 16;
        /// Client-manage (heartbeat/unregister) pool threads.
        "clientManageThreadPoolNums" client_manage_thread_pool_nums: usize = 32;
        /// Consumer-manage (offsets, consumer list) pool threads.
        "consumerManageThreadPoolNums" consumer_manage_thread_pool_nums: usize = 32;
        /// Load-balance processor pool threads.
        "loadBalanceProcessorThreadPoolNums" load_balance_processor_thread_pool_nums: usize = 32;
        /// Heartbeat pool threads: min(32, cpus).
        "heartbeatThreadPoolNums" heartbeat_thread_pool_nums: usize = cpus().min(32);
        /// End-transaction pool threads: max(8 + 2*cpus, 4*sendMessageThreadPoolNums).
        "endTransactionThreadPoolNums" end_transaction_thread_pool_nums: usize = (8 + 2 * cpus()).max(4 * cpus().min(4));
        /// Send pool queue capacity.
        "sendThreadPoolQueueCapacity" send_thread_pool_queue_capacity: usize = 10_000;
        /// Put-future pool queue capacity.
        "putThreadPoolQueueCapacity" put_thread_pool_queue_capacity: usize = 10_000;
        /// Pull pool queue capacity.
        "pullThreadPoolQueueCapacity" pull_thread_pool_queue_capacity: usize = 100_000;
        /// Lite-pull pool queue capacity.
        "litePullThreadPoolQueueCapacity" lite_pull_thread_pool_queue_capacity: usize = 100_000;
        /// Ack pool queue capacity.
        "ackThreadPoolQueueCapacity" ack_thread_pool_queue_capacity: usize = 100_000;
        /// Reply pool queue capacity.
        "replyThreadPoolQueueCapacity" reply_thread_pool_queue_capacity: usize = 10_000;
        /// Query pool queue capacity.
        "queryThreadPoolQueueCapacity" query_thread_pool_queue_capacity: usize = 20_000;
        /// Client-manage pool queue capacity.
        "clientManagerThreadPoolQueueCapacity" client_manager_thread_pool_queue_capacity: usize = 1_000_000;
        /// Consumer-manage pool queue capacity.
        "consumerManagerThreadPoolQueueCapacity" consumer_manager_thread_pool_queue_capacity: usize = 1_000_000;
        /// Heartbeat pool queue capacity.
        "heartbeatThreadPoolQueueCapacity" heartbeat_thread_pool_queue_capacity: usize = 50_000;
        /// End-transaction pool queue capacity.
        "endTransactionPoolQueueCapacity" end_transaction_pool_queue_capacity: usize = 100_000;
        /// Admin pool queue capacity.
        "adminBrokerThreadPoolQueueCapacity" admin_broker_thread_pool_queue_capacity: usize = 10_000;
        /// Load-balance pool queue capacity.
        "loadBalanceThreadPoolQueueCapacity" load_balance_thread_pool_queue_capacity: usize = 100_000;
        /// Period (ms) of persisting consumerOffset.json.
        "flushConsumerOffsetInterval" flush_consumer_offset_interval: u64 = 5_000;
        /// Period (ms) of the consumer-offset history flush.
        "flushConsumerOffsetHistoryInterval" flush_consumer_offset_history_interval: u64 = 60_000;
        /// Name-server registration period (ms); used clamped to [10000, 60000].
        "registerNameServerPeriod" register_name_server_period: u64 = 30_000;
        /// Timeout (ms) of one REGISTER_BROKER call.
        "registerBrokerTimeoutMills" register_broker_timeout_mills: u64 = 24_000;
        /// Register every period even if nothing changed (false: ask QUERY_DATA_VERSION first).
        "forceRegister" force_register: bool = true;
        /// Deprecated zlib-compressed registration body.
        "compressedRegister" compressed_register: bool = false;
        /// Period (ms) of refreshing name-server addresses from the address server.
        "updateNameServerAddrPeriod" update_name_server_addr_period: u64 = 120_000;
        /// Poll an HTTP address server for name-server addresses.
        "fetchNamesrvAddrByAddressServer" fetch_namesrv_addr_by_address_server: bool = false, important;
        /// Hold pulls that find no message until one arrives (long polling).
        "longPollingEnable" long_polling_enable: bool = true;
        /// Hold time (ms) of a pull when long polling is off.
        "shortPollingTimeMills" short_polling_time_mills: u64 = 1_000;
        /// Send NOTIFY_CONSUMER_IDS_CHANGED when a group's members change.
        "notifyConsumerIdsChangedEnable" notify_consumer_ids_changed_enable: bool = true;
        /// Notify consumer changes at once (false: batched every 15 s).
        "realTimeNotifyConsumerChange" real_time_notify_consumer_change: bool = true;
        /// Client channel expiry (ms) without heartbeat.
        "channelExpiredTimeout" channel_expired_timeout: u64 = 120_000;
        /// Subscription expiry (ms).
        "subscriptionExpiredTimeout" subscription_expired_timeout: u64 = 600_000;
        /// Copy pulled bodies to the heap (false: zero-copy transfer).
        "transferMsgByHeap" transfer_msg_by_heap: bool = true;
        /// Region id returned as MSG_REGION in send responses.
        "regionId" region_id: String = s("DefaultRegion");
        /// TRACE_ON value returned in send responses.
        "traceOn" trace_on: bool = true;
        /// Let consumers read from slaves.
        "slaveReadEnable" slave_read_enable: bool = false;
        /// Reject requests that waited too long in a pool queue (SYSTEM_BUSY).
        "brokerFastFailureEnable" broker_fast_failure_enable: bool = true;
        /// Fast-failure threshold (ms) of the send queue.
        "waitTimeMillsInSendQueue" wait_time_mills_in_send_queue: u64 = 200;
        /// Fast-failure threshold (ms) of the pull queue.
        "waitTimeMillsInPullQueue" wait_time_mills_in_pull_queue: u64 = 5_000;
        /// Fast-failure threshold (ms) of the lite-pull queue.
        "waitTimeMillsInLitePullQueue" wait_time_mills_in_lite_pull_queue: u64 = 5_000;
        /// Fast-failure threshold (ms) of the heartbeat queue.
        "waitTimeMillsInHeartbeatQueue" wait_time_mills_in_heartbeat_queue: u64 = 31_000;
        /// Fast-failure threshold (ms) of the end-transaction queue.
        "waitTimeMillsInTransactionQueue" wait_time_mills_in_transaction_queue: u64 = 3_000;
        /// Fast-failure threshold (ms) of the ack queue.
        "waitTimeMillsInAckQueue" wait_time_mills_in_ack_queue: u64 = 3_000;
        /// Fast-failure threshold (ms) of the admin queue.
        "waitTimeMillsInAdminBrokerQueue" wait_time_mills_in_admin_broker_queue: u64 = 5_000;
        /// Sends before this epoch-ms time get SYSTEM_ERROR.
        "startAcceptSendRequestTimeStamp" start_accept_send_request_time_stamp: i64 = 0;
        /// Reject transactional (half) messages.
        "rejectTransactionMessage" reject_transaction_message: bool = false, important;
        /// Minimum age (ms) of a half message before it is checked.
        "transactionTimeOut" transaction_time_out: u64 = 6_000, important;
        /// Checks of a half message before it is discarded.
        "transactionCheckMax" transaction_check_max: u32 = 15, important;
        /// Period (ms) of the transaction check service.
        "transactionCheckInterval" transaction_check_interval: u64 = 30_000, important;
        /// SQL92 property filtering.
        "enablePropertyFilter" enable_property_filter: bool = false;
        /// Apply filters to retry messages too.
        "filterSupportRetry" filter_support_retry: bool = false;
        /// Compute filter bit maps when building consume queues.
        "enableCalcFilterBitMap" enable_calc_filter_bit_map: bool = false;
        /// Reject pull consumers.
        "rejectPullConsumerEnable" reject_pull_consumer_enable: bool = false;
        /// Accept LITE_PULL_MESSAGE.
        "litePullMessageEnable" lite_pull_message_enable: bool = true;
        /// Process sends asynchronously.
        "asyncSendEnable" async_send_enable: bool = true;
        /// Reset offsets on the server side.
        "useServerSideResetOffset" use_server_side_reset_offset: bool = true;
        /// Refuse UPDATE_AND_CREATE_TOPIC on system topics.
        "validateSystemTopicWhenUpdateTopic" validate_system_topic_when_update_topic: bool = true;
        /// Queue locks need a quorum of replicas.
        "lockInStrictMode" lock_in_strict_mode: bool = false;
        /// Controller mode (automatic master election); not supported.
        "enableControllerMode" enable_controller_mode: bool = false;
        /// A slave acts as master when the master is down.
        "enableSlaveActingMaster" enable_slave_acting_master: bool = false;
        /// Queue count of the POP revive topic.
        "reviveQueueNum" revive_queue_num: i32 = 8;
        /// Access control (ACL).
        "aclEnable" acl_enable: bool = false, important;
        /// Separate log directories per broker on one host.
        "isolateLogEnable" isolate_log_enable: bool = false;
        /// Stop consumption of a group that falls too far behind.
        "disableConsumeIfConsumerReadSlowly" disable_consume_if_consumer_read_slowly: bool = false;
        /// "Too far behind" threshold in bytes (16 GiB).
        "consumerFallbehindThreshold" consumer_fallbehind_threshold: u64 = 16 * 1024 * 1024 * 1024;
        /// Store reply messages of request/reply.
        "storeReplyMessageEnable" store_reply_message_enable: bool = true;
        /// Serve RECALL_MESSAGE (370): recall a timer message not yet delivered.
        "recallMessageEnable" recall_message_enable: bool = false;
        /// Serve RECALL_MESSAGE while brokerPermission forbids writes.
        "allowRecallWhenBrokerNotWriteable" allow_recall_when_broker_not_writeable: bool = true;
        /// Metrics exporter: DISABLE, or PROM for the Prometheus endpoint (OTLP_GRPC and LOG export nothing here).
        "metricsExporterType" metrics_exporter_type: MetricsExporterType = MetricsExporterType::Disable;
        /// Address the Prometheus endpoint binds to; empty = all interfaces.
        "metricsPromExporterHost" metrics_prom_exporter_host: String = String::new();
        /// Port of the Prometheus endpoint (GET /metrics).
        "metricsPromExporterPort" metrics_prom_exporter_port: u16 = 5557;
    }

    section NettyServer {
        /// Address the TCP listeners bind to.
        "bindAddress" bind_address: String = s("0.0.0.0");
        /// Request handler threads.
        "serverWorkerThreads" server_worker_threads: usize = 8;
        /// Public callback executor threads (0 = 4).
        "serverCallbackExecutorThreads" server_callback_executor_threads: usize = 0;
        /// I/O (selector) threads.
        "serverSelectorThreads" server_selector_threads: usize = 3;
        /// Server-initiated oneway requests in flight.
        "serverOnewaySemaphoreValue" server_oneway_semaphore_value: usize = 256;
        /// Server-initiated async requests in flight.
        "serverAsyncSemaphoreValue" server_async_semaphore_value: usize = 64;
        /// Close a connection idle for this many seconds.
        "serverChannelMaxIdleTimeSeconds" server_channel_max_idle_time_seconds: u64 = 120;
        /// SO_SNDBUF of accepted sockets (0 = OS default).
        "serverSocketSndBufSize" server_socket_snd_buf_size: usize = 0;
        /// SO_RCVBUF of accepted sockets (0 = OS default).
        "serverSocketRcvBufSize" server_socket_rcv_buf_size: usize = 0;
        /// Listen backlog.
        "serverSocketBacklog" server_socket_backlog: u32 = 1024;
        /// Netty write-buffer high water mark (0 = default); server and client.
        "writeBufferHighWaterMark" write_buffer_high_water_mark: usize = 0;
        /// Netty write-buffer low water mark (0 = default); server and client.
        "writeBufferLowWaterMark" write_buffer_low_water_mark: usize = 0;
        /// Separate worker group for handlers.
        "serverNettyWorkerGroupEnable" server_netty_worker_group_enable: bool = true;
        /// Pooled buffer allocator.
        "serverPooledByteBufAllocatorEnable" server_pooled_byte_buf_allocator_enable: bool = true;
        /// Graceful server shutdown.
        "enableShutdownGracefully" enable_shutdown_gracefully: bool = false;
        /// Graceful shutdown wait (s).
        "shutdownWaitTimeSeconds" shutdown_wait_time_seconds: u64 = 30;
        /// Use epoll (Netty native); informational here.
        "useEpollNativeSelector" use_epoll_native_selector: bool = false;
    }

    section NettyClient {
        /// Client handler threads.
        "clientWorkerThreads" client_worker_threads: usize = 4;
        /// Client callback executor threads (cpus).
        "clientCallbackExecutorThreads" client_callback_executor_threads: usize = cpus();
        /// Client oneway requests in flight.
        "clientOnewaySemaphoreValue" client_oneway_semaphore_value: usize = 65_535;
        /// Client async requests in flight.
        "clientAsyncSemaphoreValue" client_async_semaphore_value: usize = 65_535;
        /// TCP connect timeout (ms).
        "connectTimeoutMillis" connect_timeout_millis: u64 = 3_000;
        /// Interval (ms) before retrying an inactive channel.
        "channelNotActiveInterval" channel_not_active_interval: u64 = 60_000;
        /// Close a client connection idle for this many seconds.
        "clientChannelMaxIdleTimeSeconds" client_channel_max_idle_time_seconds: u64 = 120;
        /// SO_SNDBUF of client sockets (0 = OS default).
        "clientSocketSndBufSize" client_socket_snd_buf_size: usize = 0;
        /// SO_RCVBUF of client sockets (0 = OS default).
        "clientSocketRcvBufSize" client_socket_rcv_buf_size: usize = 0;
        /// Pooled buffer allocator for clients.
        "clientPooledByteBufAllocatorEnable" client_pooled_byte_buf_allocator_enable: bool = false;
        /// Close the socket when a request times out.
        "clientCloseSocketIfTimeout" client_close_socket_if_timeout: bool = true;
    }

    section MessageStore {
        /// Store root (commitlog, consumequeue, index, config, checkpoint, abort, lock).
        "storePathRootDir" store_path_root_dir: String = default_store_root(), important;
        /// Commit-log directory; unset = <storePathRootDir>/commitlog.
        "storePathCommitLog" store_path_commit_log: Option<String> = None, important;
        /// Commit-log file size (bytes); must not change for an existing store.
        "mappedFileSizeCommitLog" mapped_file_size_commit_log: u64 = 1024 * 1024 * 1024;
        /// Consume-queue file size (bytes): 300000 entries of 20 bytes.
        "mappedFileSizeConsumeQueue" mapped_file_size_consume_queue: u64 = 300_000 * 20;
        /// Consume-queue extension files.
        "enableConsumeQueueExt" enable_consume_queue_ext: bool = false;
        /// Consume-queue extension file size (bytes).
        "mappedFileSizeConsumeQueueExt" mapped_file_size_consume_queue_ext: u64 = 48 * 1024 * 1024;
        /// ASYNC_FLUSH or SYNC_FLUSH.
        "flushDiskType" flush_disk_type: FlushDiskType = FlushDiskType::AsyncFlush, important;
        /// ASYNC_MASTER, SYNC_MASTER or SLAVE.
        "brokerRole" broker_role: BrokerRole = BrokerRole::AsyncMaster, important;
        /// Commit-log flush period (ms).
        "flushIntervalCommitLog" flush_interval_commit_log: u64 = 500, important;
        /// Flush on a fixed period (true) or when woken (false).
        "flushCommitLogTimed" flush_commit_log_timed: bool = true, important;
        /// Minimum dirty pages per commit-log flush.
        "flushCommitLogLeastPages" flush_commit_log_least_pages: u32 = 4;
        /// Flush regardless of page count after this many ms.
        "flushCommitLogThoroughInterval" flush_commit_log_thorough_interval: u64 = 10_000;
        /// Commit period (ms) of the transient store pool.
        "commitIntervalCommitLog" commit_interval_commit_log: u64 = 200, important;
        /// Minimum pages per commit (transient store pool).
        "commitCommitLogLeastPages" commit_commit_log_least_pages: u32 = 4;
        /// Commit regardless of page count after this many ms.
        "commitCommitLogThoroughInterval" commit_commit_log_thorough_interval: u64 = 200;
        /// Consume-queue flush period (ms).
        "flushIntervalConsumeQueue" flush_interval_consume_queue: u64 = 1_000;
        /// Minimum dirty pages per consume-queue flush.
        "flushConsumeQueueLeastPages" flush_consume_queue_least_pages: u32 = 2;
        /// Flush consume queues regardless of page count after this many ms.
        "flushConsumeQueueThoroughInterval" flush_consume_queue_thorough_interval: u64 = 60_000;
        /// SYNC_FLUSH wait for the flush (ms).
        "syncFlushTimeout" sync_flush_timeout: u64 = 5_000;
        /// Put wait (ms) before FLUSH_DISK_TIMEOUT / SLAVE_NOT_AVAILABLE.
        "putMessageTimeout" put_message_timeout: u64 = 8_000;
        /// SYNC_MASTER wait for a slave (ms).
        "slaveTimeout" slave_timeout: u64 = 3_000;
        /// Reentrant (vs spin) lock around commit-log appends.
        "useReentrantLockWhenPutMessage" use_reentrant_lock_when_put_message: bool = true;
        /// Maximum message body size (bytes).
        "maxMessageSize" max_message_size: usize = 4 * 1024 * 1024;
        /// Maximum topic name length.
        "maxTopicLength" max_topic_length: usize = 127;
        /// Write V2 records (2-byte topic length) for topics longer than 127.
        "autoMessageVersionOnTopicLen" auto_message_version_on_topic_len: bool = true;
        /// Verify body CRC during recovery.
        "checkCRCOnRecover" check_crc_on_recover: bool = true;
        /// Append a CRC property to stored messages.
        "enabledAppendPropCRC" enabled_append_prop_crc: bool = false;
        /// Require the CRC property on recovery.
        "forceVerifyPropCRC" force_verify_prop_crc: bool = false;
        /// Build the key/unique-key index.
        "messageIndexEnable" message_index_enable: bool = true, important;
        /// Hash slots per index file.
        "maxHashSlotNum" max_hash_slot_num: u32 = 5_000_000;
        /// Entries per index file.
        "maxIndexNum" max_index_num: u32 = 20_000_000;
        /// Result cap of an index query.
        "maxMsgsNumBatch" max_msgs_num_batch: usize = 64;
        /// Index checkpointing includes the index (safer recovery).
        "messageIndexSafe" message_index_safe: bool = false, important;
        /// Result cap of a unique-key query.
        "defaultQueryMaxNum" default_query_max_num: usize = 32;
        /// Pull byte cap when the data is in memory.
        "maxTransferBytesOnMessageInMemory" max_transfer_bytes_on_message_in_memory: usize = 256 * 1024, important;
        /// Pull message-count cap when the data is in memory.
        "maxTransferCountOnMessageInMemory" max_transfer_count_on_message_in_memory: usize = 32, important;
        /// Pull byte cap when the data is on disk.
        "maxTransferBytesOnMessageInDisk" max_transfer_bytes_on_message_in_disk: usize = 64 * 1024, important;
        /// Pull message-count cap when the data is on disk.
        "maxTransferCountOnMessageInDisk" max_transfer_count_on_message_in_disk: usize = 8, important;
        /// % of RAM above which a pull is treated as reading from disk (SLAVE: -10).
        "accessMessageInMemoryMaxRatio" access_message_in_memory_max_ratio: u32 = 40, important;
        /// Consume-queue bytes scanned per filtered pull.
        "maxFilterMessageSize" max_filter_message_size: usize = 16_000;
        /// Hour(s) of day to delete expired files, `;`-separated ("04").
        "deleteWhen" delete_when: String = s("04"), important;
        /// Hours a commit-log file is kept.
        "fileReservedTime" file_reserved_time: u32 = 72, important;
        /// Disk usage % above which expired files are deleted.
        "diskMaxUsedSpaceRatio" disk_max_used_space_ratio: u32 = 75;
        /// Disk usage % above which writes are refused.
        "diskSpaceWarningLevelRatio" disk_space_warning_level_ratio: u32 = 90;
        /// Disk usage % above which files are deleted even if not expired.
        "diskSpaceCleanForciblyRatio" disk_space_clean_forcibly_ratio: u32 = 85;
        /// Allow forced deletion when the disk is full.
        "cleanFileForciblyEnable" clean_file_forcibly_enable: bool = true, important;
        /// Period (ms) of the clean service.
        "cleanResourceInterval" clean_resource_interval: u64 = 10_000;
        /// Pause (ms) between two commit-log file deletions.
        "deleteCommitLogFilesInterval" delete_commit_log_files_interval: u64 = 100;
        /// Pause (ms) between two consume-queue file deletions.
        "deleteConsumeQueueFilesInterval" delete_consume_queue_files_interval: u64 = 100;
        /// Force-destroy a still referenced file after this many ms.
        "destroyMapedFileIntervalForcibly" destroy_maped_file_interval_forcibly: u64 = 120_000;
        /// Retry deleting a hanged file after this many ms.
        "redeleteHangedFileInterval" redelete_hanged_file_interval: u64 = 120_000;
        /// Files deleted per clean round.
        "deleteFileBatchMax" delete_file_batch_max: u32 = 10, important;
        /// Put lock held longer than this (ms) = page cache busy.
        "osPageCacheBusyTimeOutMills" os_page_cache_busy_time_out_mills: u64 = 1_000;
        /// Write through an off-heap buffer pool, then commit.
        "transientStorePoolEnable" transient_store_pool_enable: bool = false, important;
        /// Buffers in the transient store pool.
        "transientStorePoolSize" transient_store_pool_size: usize = 5;
        /// Fail puts when the transient pool is empty.
        "fastFailIfNoBufferInStorePool" fast_fail_if_no_buffer_in_store_pool: bool = false;
        /// Pre-touch new mapped files.
        "warmMapedFileEnable" warm_maped_file_enable: bool = false;
        /// Pages per flush while warming a mapped file.
        "flushLeastPagesWhenWarmMapedFile" flush_least_pages_when_warm_maped_file: u32 = 4096;
        /// Delay levels 1..N (units s, m, h, d), space-separated.
        "messageDelayLevel" message_delay_level: String = s(plugin_api::topics::DEFAULT_DELAY_LEVELS);
        /// Period (ms) of persisting delayOffset.json.
        "flushDelayOffsetInterval" flush_delay_offset_interval: u64 = 10_000;
        /// HA listen port; 0 = listenPort + 1.
        "haListenPort" ha_listen_port: u16 = 0;
        /// HA heartbeat period (ms).
        "haSendHeartbeatInterval" ha_send_heartbeat_interval: u64 = 5_000;
        /// HA connection expiry (ms).
        "haHousekeepingInterval" ha_housekeeping_interval: u64 = 20_000;
        /// HA transfer batch size (bytes).
        "haTransferBatchSize" ha_transfer_batch_size: usize = 32 * 1024;
        /// Master HA address for a slave (else learned from the name server).
        "haMasterAddress" ha_master_address: Option<String> = None, important;
        /// Check pull offsets on slaves.
        "offsetCheckInSlave" offset_check_in_slave: bool = false;
        /// Allow re-dispatch of already dispatched messages (duplication).
        "duplicationEnable" duplication_enable: bool = false;
        /// DLedger (Raft) commit log; not supported (forces brokerId -1).
        "enableDLegerCommitLog" enable_dleger_commit_log: bool = false;
        /// Timer messages (TIMER_DELIVER_MS / TIMER_DELAY_SEC / TIMER_DELAY_MS),
        /// parked in rmq_sys_wheel_timer until due (created when true).
        "timerWheelEnable" timer_wheel_enable: bool = true;
        /// Timer delivery precision, ms (100, 200, 500 or 1000).
        "timerPrecisionMs" timer_precision_ms: i32 = 1000;
        /// Longest timer delay accepted, seconds (3 days).
        "timerMaxDelaySec" timer_max_delay_sec: i32 = 259_200;
        /// Serve messages not yet confirmed by slaves.
        "readUnCommitted" read_un_committed: bool = false;
        /// Wake the commit service on every put.
        "wakeCommitWhenPutMessage" wake_commit_when_put_message: bool = true, important;
        /// Wake the flush service on every put.
        "wakeFlushWhenPutMessage" wake_flush_when_put_message: bool = false, important;
        /// Consume-queue store type: `default` (files) or `defaultRocksDB` (not supported).
        "storeType" store_type: String = s("default"), important;
    }

    section Host {
        /// Plugin manifest path; empty = conf/plugins.toml (the --manifest option wins).
        "pluginManifest" plugin_manifest: String = String::new();
        /// Most client connections open at once over both listeners; more are closed at once, and reaching it is logged (0 = no limit).
        "serverMaxConnections" server_max_connections: usize = 10_000;
        /// A frame begun must be whole within this many ms, or its connection is closed (bytes arriving do not reset it).
        "serverFrameTimeoutMillis" server_frame_timeout_millis: u64 = 30_000;
        /// Requests of one connection in flight (queued, running, awaiting a flush; not held pulls) at which the broker stops reading from it.
        "serverChannelMaxRequestsInFlight" server_channel_max_requests_in_flight: usize = 64;
        /// Most extFields entries in a request header; more is answered SYSTEM_ERROR.
        "serverHeaderMaxExtFields" server_header_max_ext_fields: usize = 1024;
        /// Longest extFields key (bytes) in a request header; longer is answered SYSTEM_ERROR.
        "serverHeaderMaxKeyLength" server_header_max_key_length: usize = 1024;
        /// Longest extFields value (bytes) in a request header; longer is answered SYSTEM_ERROR.
        "serverHeaderMaxValueLength" server_header_max_value_length: usize = 1 << 20;
        /// Flushed commit-log bytes kept in the page cache behind the dispatch position; older pages are released (0 = leave them to the kernel).
        "commitLogResidentBytes" commit_log_resident_bytes: u64 = 256 << 20;
        /// Checkpoint period (ms): what abnormal recovery replays after a crash (0 = with the thorough consume-queue flush, as Java).
        "storeCheckpointInterval" store_checkpoint_interval: u64 = 1_000;
    }
}

/// The description of `key`, if it is a known key (exact, case-sensitive).
pub fn key_info(key: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.key == key)
}

/// The known key an unknown `key` most likely meant: the same letters ignoring
/// case, `_` and `-`, else the closest key within edit distance 2 (ignoring case).
pub fn suggest_key(key: &str) -> Option<&'static str> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = squash(key);
    if let Some(k) = KEYS.iter().find(|k| squash(k.key) == wanted) {
        return Some(k.key);
    }
    let lower = key.to_lowercase();
    KEYS.iter()
        .map(|k| (edit_distance(&lower, &k.key.to_lowercase()), k.key))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
