//! The pull processor and the consumer-offset codes, following RocketMQ's
//! `PullMessageProcessor`, `ConsumerManageProcessor` and the offset parts of
//! `AdminBrokerProcessor`:
//!
//! - PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361): tag filtering (tags code in
//!   the consume queue, then the tag string), SQL92 property filtering with
//!   `enablePropertyFilter` (`sql92`), offset commit, long polling —
//!   a pull with nothing to return is *held by the host* (not a sleeping
//!   thread) and re-run when a message arrives for its queue or it times out.
//! - QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15).
//! - SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
//!   GET_EARLIEST_MSG_STORETIME (32).

mod filter;
mod sql92;

use std::sync::Arc;

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::filter::sql92::Selector;
use plugin_api::sdk::topics::perm;
use plugin_api::sdk::{
    BoundaryType, GetRequest, GetStatus, Hold, HoldKey, Host, NoSettings, Outcome, Plugin,
    ProcessError, Processor, Request, Response, ResponseCode, StartError, SubscriptionGroup,
    TopicConfig,
};

pub use filter::TagFilter;
use sql92::{FilteredRead, ScanLimits, SelectorCache};

/// `PullSysFlag` bits.
pub mod pull_sys_flag {
    /// `commitOffset` is valid: store it.
    pub const COMMIT_OFFSET: i32 = 0x1;
    /// Long polling allowed.
    pub const SUSPEND: i32 = 0x2;
    /// The subscription travels in this request.
    pub const SUBSCRIPTION: i32 = 0x4;
    /// Obsolete class filter.
    pub const CLASS_FILTER: i32 = 0x8;
    /// Lite pull (5.x).
    pub const LITE_PULL: i32 = 0x10;
}

/// `MixAll.MASTER_ID`: the broker id of a group's master.
const MASTER_ID: i64 = 0;

/// Broker config values read once at start.
struct BrokerSettings {
    long_polling_enable: bool,
    short_polling_time_millis: u64,
    enable_property_filter: bool,
    lite_pull_enable: bool,
    broker_permission: i32,
    broker_is_slave: bool,
    /// `slaveReadEnable`: only then does a pull response point the client
    /// at another broker of the group (`suggestWhichBrokerId`).
    slave_read_enable: bool,
    /// The store limits a SQL92 read applies itself.
    scan_limits: ScanLimits,
}

/// What a pull keeps.
enum PullFilter {
    /// A tag subscription: the store filters.
    Tags(TagFilter),
    /// A SQL92 subscription: this plugin filters (`sql92`).
    Sql92(Arc<Selector>),
}

/// The pull processor.
pub struct PullPlugin {
    host: Host,
    settings: BrokerSettings,
    selectors: SelectorCache,
}

impl Plugin for PullPlugin {
    const NAME: &'static str = "pull";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[
        request_code::PULL_MESSAGE,
        request_code::LITE_PULL_MESSAGE,
        request_code::QUERY_CONSUMER_OFFSET,
        request_code::UPDATE_CONSUMER_OFFSET,
        request_code::SEARCH_OFFSET_BY_TIMESTAMP,
        request_code::GET_MAX_OFFSET,
        request_code::GET_MIN_OFFSET,
        request_code::GET_EARLIEST_MSG_STORETIME,
    ];

    /// Takes no settings of its own: everything comes from the broker config.
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let settings = BrokerSettings {
            long_polling_enable: host.config_or("longPollingEnable", true),
            short_polling_time_millis: host.config_or("shortPollingTimeMills", 1000),
            enable_property_filter: host.config_or("enablePropertyFilter", false),
            lite_pull_enable: host.config_or("litePullMessageEnable", true),
            broker_permission: host.identity().broker_permission,
            broker_is_slave: host
                .config()
                .value("brokerRole")
                .is_some_and(|role| role == "SLAVE"),
            slave_read_enable: host.config_or("slaveReadEnable", false),
            scan_limits: ScanLimits::from_config(&host),
        };
        Ok(PullPlugin {
            host,
            settings,
            selectors: SelectorCache::default(),
        })
    }
}

impl Processor for PullPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        match request.code() {
            request_code::PULL_MESSAGE | request_code::LITE_PULL_MESSAGE => self.pull(request),
            request_code::QUERY_CONSUMER_OFFSET => {
                self.query_consumer_offset(request).map(Outcome::from)
            }
            request_code::UPDATE_CONSUMER_OFFSET => {
                self.update_consumer_offset(request).map(Outcome::from)
            }
            request_code::SEARCH_OFFSET_BY_TIMESTAMP => {
                let (topic, queue_id) = topic_and_queue(request)?;
                let timestamp: i64 = request.required("timestamp")?;
                // 5.x `boundaryType`: `upper` (any case) or LOWER by default.
                let boundary = BoundaryType::parse(request.ext("boundaryType"));
                let offset = self
                    .host
                    .store()
                    .offset_by_time(&topic, queue_id, timestamp, boundary);
                Ok(Response::success().with_int("offset", offset).into())
            }
            request_code::GET_MAX_OFFSET => {
                let (topic, queue_id) = topic_and_queue(request)?;
                let offset = self.host.store().max_offset(&topic, queue_id);
                Ok(Response::success().with_int("offset", offset).into())
            }
            request_code::GET_MIN_OFFSET => {
                let (topic, queue_id) = topic_and_queue(request)?;
                let offset = self.host.store().min_offset(&topic, queue_id);
                Ok(Response::success().with_int("offset", offset).into())
            }
            request_code::GET_EARLIEST_MSG_STORETIME => {
                let (topic, queue_id) = topic_and_queue(request)?;
                let store = self.host.store();
                let min = store.min_offset(&topic, queue_id);
                // Java's getEarliestMessageTime answers -1 when the queue
                // has no message at its min offset.
                let timestamp = store
                    .message_store_time(&topic, queue_id, min)
                    .unwrap_or(-1);
                Ok(Response::success().with_int("timestamp", timestamp).into())
            }
            other => Err(ProcessError::respond(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }
}

/// A parsed `PullMessageRequestHeader`.
struct PullHeader {
    group: String,
    topic: String,
    queue_id: i32,
    queue_offset: i64,
    max_msg_nums: i32,
    sys_flag: i32,
    commit_offset: i64,
    suspend_timeout_millis: u64,
    subscription: Option<String>,
    sub_version: i64,
    expression_type: Option<String>,
}

impl PullHeader {
    fn parse(request: &Request<'_>) -> Result<PullHeader, ProcessError> {
        Ok(PullHeader {
            group: request.required("consumerGroup")?,
            topic: request.required("topic")?,
            queue_id: request.required("queueId")?,
            queue_offset: request.required("queueOffset")?,
            max_msg_nums: request.required("maxMsgNums")?,
            sys_flag: request.required("sysFlag")?,
            commit_offset: request.required("commitOffset")?,
            suspend_timeout_millis: request.required("suspendTimeoutMillis")?,
            subscription: request.optional("subscription")?,
            sub_version: request.required("subVersion")?,
            expression_type: request.optional("expressionType")?,
        })
    }

    fn has(&self, flag: i32) -> bool {
        self.sys_flag & flag != 0
    }
}

fn refuse(code: ResponseCode, remark: String) -> ProcessError {
    ProcessError::respond(code, remark)
}

impl PullPlugin {
    fn pull(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let header = PullHeader::parse(request)?;
        let broker_name = self.host.identity().broker_name;
        if !perm::is_readable(self.settings.broker_permission) {
            return Ok(forbidden(
                format!("the broker[{broker_name}] pulling message is forbidden"),
                1,
            )
            .into());
        }
        if request.code() == request_code::LITE_PULL_MESSAGE && !self.settings.lite_pull_enable {
            return Ok(forbidden(
                format!("the broker[{broker_name}] for lite pull consumer is forbidden"),
                1,
            )
            .into());
        }
        let group = self
            .host
            .topics()
            .subscription_group(&header.group, true)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                    format!("subscription group [{}] does not exist", header.group),
                )
            })?;
        if !group.consume_enable {
            return Ok(forbidden(
                format!("subscription group no permission, {}", header.group),
                2,
            )
            .into());
        }
        let topic = self.host.topics().topic(&header.topic).ok_or_else(|| {
            refuse(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("topic[{}] not exist, apply first please!", header.topic),
            )
        })?;
        if !perm::is_readable(topic.perm) {
            return Ok(forbidden(
                format!("the topic[{}] pulling message is forbidden", header.topic),
                3,
            )
            .into());
        }
        if header.queue_id < 0 || header.queue_id >= topic.read_queue_nums {
            return Err(refuse(
                ResponseCode::INVALID_PARAMETER,
                format!(
                    "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                    header.queue_id,
                    header.topic,
                    topic.read_queue_nums,
                    request.remote_addr()
                ),
            ));
        }
        let filter = match self.subscription_filter(&header, &group) {
            Ok(filter) => filter,
            Err(refusal) => return Ok(Outcome::Respond(*refusal)),
        };

        // A server-side offset reset (INVOKE_BROKER_TO_RESET_OFFSET with
        // useServerSideResetOffset): Java's queryThenEraseResetOffset takes
        // the queue's pending reset on every pull, and with the feature on
        // answers OFFSET_RESET, i.e. PULL_OFFSET_MOVED to the reset offset.
        let reset = self.host.broker_admin().ok().and_then(|admin| {
            admin.take_reset_offset(&header.topic, &header.group, header.queue_id)
        });
        if let Some(reset) = reset {
            if self.host.config_or("useServerSideResetOffset", true) {
                return Ok(self
                    .offset_reset_response(request, &header, &topic, &group, reset)
                    .into());
            }
        }

        let result = match &filter {
            PullFilter::Tags(tag_filter) => {
                let tags: Vec<&str> = match tag_filter {
                    TagFilter::All => Vec::new(),
                    TagFilter::Tags(tags) => tags.iter().map(String::as_str).collect(),
                };
                self.host.store().get_messages(&GetRequest {
                    group: &header.group,
                    topic: &header.topic,
                    queue_id: header.queue_id,
                    offset: header.queue_offset,
                    max_msg_nums: header.max_msg_nums,
                    // Java's processor reads with getMessageAsync(group, topic,
                    // queueId, offset, maxMsgNums, filter): the request's
                    // maxMsgBytes is not passed on, the store's own cap
                    // (MAX_PULL_MSG_SIZE) holds.
                    max_total_bytes: 0,
                    all_tags: matches!(tag_filter, TagFilter::All),
                    tags: &tags,
                })
            }
            PullFilter::Sql92(selector) => sql92::get_filtered(
                &self.host,
                &self.settings.scan_limits,
                &FilteredRead {
                    group: &header.group,
                    topic: &header.topic,
                    queue_id: header.queue_id,
                    offset: header.queue_offset,
                    max_msg_nums: header.max_msg_nums,
                },
                selector,
            ),
        };

        // Every processing, held re-runs included, records where the group's
        // next pull of the queue starts: Java's tryCommitOffset calls
        // commitPullOffset before it looks at the commit flag.
        // GET_CONSUME_STATS reports it as the queue's pullOffset.
        self.host.offsets().commit_pull_offset(
            &header.group,
            &header.topic,
            header.queue_id,
            result.next_begin_offset,
        );

        // First processing only (not a long-poll re-run), and not on a slave.
        if request.allow_hold()
            && header.has(pull_sys_flag::COMMIT_OFFSET)
            && !self.settings.broker_is_slave
        {
            self.host.offsets().commit(
                request.remote_addr(),
                &header.group,
                &header.topic,
                header.queue_id,
                header.commit_offset,
            );
        }

        let code = self.response_code(result.status, header.queue_offset);
        if code == ResponseCode::PULL_NOT_FOUND
            && request.allow_hold()
            && header.has(pull_sys_flag::SUSPEND)
        {
            let timeout_millis = if self.settings.long_polling_enable {
                header.suspend_timeout_millis
            } else {
                self.settings.short_polling_time_millis
            };
            return Ok(Outcome::Hold(Hold {
                key: HoldKey::queue(header.topic, header.queue_id),
                wake_offset: header.queue_offset,
                timeout_millis,
                // A SQL92 hold wakes on any arrival: the re-run filters.
                tag_codes: match &filter {
                    PullFilter::Tags(tags) => tags.codes(),
                    PullFilter::Sql92(_) => Vec::new(),
                },
            }));
        }

        let suggest_broker =
            self.suggest_which_broker_id(&group, result.suggest_pulling_from_slave);
        let mut response = Response {
            code,
            remark: Some(result.status.name().to_owned()),
            ..Response::default()
        }
        .with_int("suggestWhichBrokerId", suggest_broker)
        .with_int("nextBeginOffset", result.next_begin_offset)
        .with_int("minOffset", result.min_offset)
        .with_int("maxOffset", result.max_offset)
        .with_int("topicSysFlag", topic.topic_sys_flag)
        .with_int("groupSysFlag", group.group_sys_flag);
        if code == ResponseCode::SUCCESS {
            response.body = result.body;
        }
        Ok(response.into())
    }

    /// The answer to a pull of a queue whose offset was reset on the server
    /// (`GetMessageStatus.OFFSET_RESET`): PULL_OFFSET_MOVED (a slave:
    /// PULL_RETRY_IMMEDIATELY) with `nextBeginOffset` = the reset offset;
    /// the pull offset and a requested commit are recorded as for any pull
    /// (Java's `tryCommitOffset`).
    fn offset_reset_response(
        &self,
        request: &Request<'_>,
        header: &PullHeader,
        topic: &TopicConfig,
        group: &SubscriptionGroup,
        reset: i64,
    ) -> Response {
        self.host.info(&format!(
            "The queue under pulling was previously reset to start from {reset}"
        ));
        let store = self.host.store();
        let min_offset = store.min_offset(&header.topic, header.queue_id);
        let max_offset = store.max_offset(&header.topic, header.queue_id);
        self.host.offsets().commit_pull_offset(
            &header.group,
            &header.topic,
            header.queue_id,
            reset,
        );
        if request.allow_hold()
            && header.has(pull_sys_flag::COMMIT_OFFSET)
            && !self.settings.broker_is_slave
        {
            self.host.offsets().commit(
                request.remote_addr(),
                &header.group,
                &header.topic,
                header.queue_id,
                header.commit_offset,
            );
        }
        let code = if self.settings.broker_is_slave {
            ResponseCode::PULL_RETRY_IMMEDIATELY
        } else {
            ResponseCode::PULL_OFFSET_MOVED
        };
        let suggest_broker = self.suggest_which_broker_id(group, false);
        Response {
            code,
            remark: Some("OFFSET_RESET".to_owned()),
            ..Response::default()
        }
        .with_int("suggestWhichBrokerId", suggest_broker)
        .with_int("nextBeginOffset", reset)
        .with_int("minOffset", min_offset)
        .with_int("maxOffset", max_offset)
        .with_int("topicSysFlag", topic.topic_sys_flag)
        .with_int("groupSysFlag", group.group_sys_flag)
    }

    /// `suggestWhichBrokerId` as Java's `composeResponseHeader` sets it:
    /// without `slaveReadEnable` always the master (0); with it, the group's
    /// `whichBrokerWhenConsumeSlowly` when the consumer is far behind (its
    /// data no longer in memory), else the group's `brokerId`.
    fn suggest_which_broker_id(&self, group: &SubscriptionGroup, slow: bool) -> i64 {
        if !self.settings.slave_read_enable {
            MASTER_ID
        } else if slow {
            group.which_broker_when_consume_slowly
        } else {
            group.broker_id
        }
    }

    /// The filter from the request (SUBSCRIPTION flag) or from the group's
    /// registered subscription; `Err` is the refusal to answer with (some
    /// carry a `forbiddenType`), boxed because `Response` is large and
    /// refusals are rare.
    fn subscription_filter(
        &self,
        header: &PullHeader,
        group: &SubscriptionGroup,
    ) -> Result<PullFilter, Box<Response>> {
        if header.has(pull_sys_flag::SUBSCRIPTION) {
            let expression_type = header
                .expression_type
                .clone()
                .unwrap_or_else(|| "TAG".into());
            // Java's ExpressionType.isTagType: "", or "TAG".
            if plugin_api::sdk::filter::is_tag_type(&expression_type) {
                return Ok(PullFilter::Tags(TagFilter::parse(
                    header.subscription.as_deref().unwrap_or("*"),
                )));
            }
            // Java's FilterAPI.build throws for any other type without an
            // expression ("Expression can't be null!"), before the
            // enablePropertyFilter check.
            let expression = header.subscription.as_deref().unwrap_or_default();
            if expression.is_empty() {
                return Err(parse_failed());
            }
            self.property_filter_enabled(&expression_type)?;
            // ConsumerFilterManager.build compiles the expression; one that
            // does not compile (or a type without a filter) is a parse
            // failure.
            return self
                .compile(&expression_type, expression)
                .map(PullFilter::Sql92)
                .map_err(|error| {
                    self.host.warn(&format!(
                        "Parse the consumer's subscription[{expression}] failed, group: {}: {error}",
                        header.group
                    ));
                    parse_failed()
                });
        }
        let group_info = self
            .host
            .clients()
            .consumer_group(&header.group)
            .ok_or_else(|| {
                Response::error(
                    ResponseCode::SUBSCRIPTION_NOT_EXIST,
                    format!(
                        "the consumer's group info not exist, group: {}",
                        header.group
                    ),
                )
            })?;
        // Java checks the group's own permissions before it looks for
        // the subscription: a broadcasting group needs
        // consumeBroadcastEnable, and the group's forbidden bits for the
        // topic must not include READ (bit INDEX_PERM_READ).
        if !group.consume_broadcast_enable && group_info.message_model == "BROADCASTING" {
            return Err(forbidden(
                format!(
                    "the consumer group[{}] can not consume by broadcast way",
                    header.group
                ),
                FORBIDDEN_BROADCASTING_DISABLED,
            )
            .into());
        }
        let forbidden_bits = self
            .host
            .topics()
            .forbidden(&group.group_name, &header.topic);
        if forbidden_bits & perm::READ == perm::READ {
            return Err(forbidden(
                format!(
                    "the consumer group[{}] is forbidden for topic[{}]",
                    header.group, header.topic
                ),
                FORBIDDEN_SUBSCRIPTION,
            )
            .into());
        }
        let subscription = group_info
            .subscriptions
            .iter()
            .find(|s| s.topic == header.topic)
            .ok_or_else(|| {
                Response::error(
                    ResponseCode::SUBSCRIPTION_NOT_EXIST,
                    format!(
                        "the consumer's subscription not exist, group: {}",
                        header.group
                    ),
                )
            })?;
        if subscription.sub_version < header.sub_version {
            return Err(Response::error(
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                "the consumer's subscription not latest".to_owned(),
            )
            .into());
        }
        if plugin_api::sdk::filter::is_tag_type(&subscription.expression_type) {
            return Ok(PullFilter::Tags(TagFilter::from_tags(
                subscription.tags.clone(),
                &subscription.sub_string,
            )));
        }
        // Java pulls with the group's ConsumerFilterData, which the host
        // registered from this same subscription on its heartbeat, and only
        // if it compiled: one that did not is no filter data at all. (The
        // data's version is the subscription's, checked just above, so
        // FILTER_DATA_NOT_LATEST cannot arise.)
        let selector = self
            .compile(&subscription.expression_type, &subscription.sub_string)
            .map_err(|_| {
                Response::error(
                    ResponseCode::FILTER_DATA_NOT_EXIST,
                    "The broker's consumer filter data is not exist!Your expression may be wrong!",
                )
            })?;
        self.property_filter_enabled(&subscription.expression_type)?;
        Ok(PullFilter::Sql92(selector))
    }

    /// `enablePropertyFilter` or SYSTEM_ERROR, for a non-TAG subscription.
    fn property_filter_enabled(&self, expression_type: &str) -> Result<(), Box<Response>> {
        if self.settings.enable_property_filter {
            return Ok(());
        }
        Err(Response::error(
            ResponseCode::SYSTEM_ERROR,
            format!("The broker does not support consumer to filter message by {expression_type}"),
        )
        .into())
    }

    /// `FilterFactory.INSTANCE.get(type).compile(expression)`: SQL92 is the
    /// only filter.
    fn compile(&self, expression_type: &str, expression: &str) -> Result<Arc<Selector>, String> {
        if expression_type != plugin_api::sdk::filter::SQL92 {
            return Err(format!("no filter for expression type {expression_type}"));
        }
        self.selectors
            .compile(expression)
            .map_err(|error| error.to_string())
    }

    /// Store status → response code, as Java's
    /// `DefaultPullMessageResultHandler`/`PullMessageProcessor` map
    /// `GetMessageStatus` (a slave answers PULL_RETRY_IMMEDIATELY where a
    /// master answers PULL_OFFSET_MOVED).
    fn response_code(&self, status: GetStatus, requested_offset: i64) -> ResponseCode {
        let moved = if self.settings.broker_is_slave {
            ResponseCode::PULL_RETRY_IMMEDIATELY
        } else {
            ResponseCode::PULL_OFFSET_MOVED
        };
        match status {
            GetStatus::Found => ResponseCode::SUCCESS,
            GetStatus::NoMatchedMessage | GetStatus::MessageWasRemoving => {
                ResponseCode::PULL_RETRY_IMMEDIATELY
            }
            GetStatus::NoMessageInQueue | GetStatus::NoMatchedLogicQueue => {
                if requested_offset != 0 {
                    moved
                } else {
                    ResponseCode::PULL_NOT_FOUND
                }
            }
            GetStatus::OffsetFoundNull | GetStatus::OffsetOverflowOne => {
                ResponseCode::PULL_NOT_FOUND
            }
            GetStatus::OffsetOverflowBadly | GetStatus::OffsetTooSmall => moved,
        }
    }

    fn query_consumer_offset(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let (topic, queue_id) = topic_and_queue(request)?;
        let set_zero_if_not_found: bool = request.optional("setZeroIfNotFound")?.unwrap_or(true);
        if let Some(offset) = self.host.offsets().query(&group, &topic, queue_id) {
            return Ok(Response::success().with_int("offset", offset));
        }
        if !set_zero_if_not_found {
            return Ok(Response::error(
                ResponseCode::QUERY_NOT_FOUND,
                "Not found, do not set to zero, maybe this group boot first",
            ));
        }
        // No committed offset: Java 5.x starts the group at 0 only when the
        // queue's first message, at offset 0, is still there and in memory
        // (`checkInMemByConsumeOffset(topic, queueId, 0, 1)`). An empty or
        // unknown queue answers QUERY_NOT_FOUND, and the client applies its
        // consumeFromWhere (GET_MAX_OFFSET for CONSUME_FROM_LAST_OFFSET).
        let store = self.host.store();
        if store.min_offset(&topic, queue_id) <= 0 && store.is_in_memory(&topic, queue_id, 0) {
            return Ok(Response::success().with_int("offset", 0));
        }
        Ok(Response::error(
            ResponseCode::QUERY_NOT_FOUND,
            "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
        ))
    }

    fn update_consumer_offset(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let (topic, queue_id) = topic_and_queue(request)?;
        let offset: i64 = request.required("commitOffset")?;
        let topics = self.host.topics();
        if topics.subscription_group(&group, false).is_none() {
            return Ok(Response::error(
                ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                format!("Group {group} not exist!"),
            ));
        }
        if topics.topic(&topic).is_none() {
            return Ok(Response::error(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("Topic {topic} not exist!"),
            ));
        }
        // 5.x with useServerSideResetOffset: a commit for a queue whose
        // reset no pull has taken yet is ignored (it predates the reset).
        let reset_pending = self
            .host
            .broker_admin()
            .is_ok_and(|admin| admin.has_offset_reset(&topic, &group, queue_id));
        if reset_pending && self.host.config_or("useServerSideResetOffset", true) {
            self.host.info(&format!(
                "Update consumer offset is rejected because of previous offset-reset. Group={group}, Topic={topic}, QueueId={queue_id}, Offset={offset}"
            ));
            return Ok(Response::success().with_remark("Offset has been previously reset"));
        }
        // A commit lower than the stored offset is accepted (Java logs it).
        self.host
            .offsets()
            .commit(request.remote_addr(), &group, &topic, queue_id, offset);
        Ok(Response::success())
    }
}

fn topic_and_queue(request: &Request<'_>) -> Result<(String, i32), ProcessError> {
    Ok((request.required("topic")?, request.required("queueId")?))
}

/// `ForbiddenType.BROADCASTING_DISABLE_FORBIDDEN`: a broadcasting consumer
/// of a group whose `consumeBroadcastEnable` is off.
const FORBIDDEN_BROADCASTING_DISABLED: i32 = 4;
/// `ForbiddenType.SUBSCRIPTION_FORBIDDEN`: the group may not read the topic.
const FORBIDDEN_SUBSCRIPTION: i32 = 5;

/// SUBSCRIPTION_PARSE_FAILED as `PullMessageProcessor` answers it.
fn parse_failed() -> Box<Response> {
    Response::error(
        ResponseCode::SUBSCRIPTION_PARSE_FAILED,
        "parse the consumer's subscription failed",
    )
    .into()
}

/// NO_PERMISSION with 5.x's `forbiddenType`.
fn forbidden(remark: String, forbidden_type: i32) -> Response {
    Response::error(ResponseCode::NO_PERMISSION, remark).with_int("forbiddenType", forbidden_type)
}

plugin_api::export_plugin!(PullPlugin);

#[cfg(test)]
mod tests;
