//! Client management, following RocketMQ's `ClientManageProcessor` and
//! `ConsumerManageProcessor`:
//!
//! - HEART_BEAT (34): registers producers and consumers per group with their
//!   subscriptions, creating the retry topic and subscription group where
//!   RocketMQ does. The registry lives in the host (it survives a swap of
//!   this plugin) and notifies group members when membership changes
//!   (`ClientManageProcessor.heartBeat`).
//! - UNREGISTER_CLIENT (35): `ClientManageProcessor.unregisterClient`.
//! - GET_CONSUMER_LIST_BY_GROUP (38):
//!   `ConsumerManageProcessor.getConsumerListByGroup`.
//! - CHECK_CLIENT_CONFIG (46): `ClientManageProcessor.checkClientConfig`:
//!   with `enablePropertyFilter`, a SQL92 subscription whose expression
//!   compiles (`plugin_api::filter::sql92`) is accepted, any other answers
//!   SUBSCRIPTION_PARSE_FAILED with the reason.

mod heartbeat_data;

use plugin_api::sdk::codes::request_code;
use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::filter::{self, sql92};
use plugin_api::sdk::message::java_string_hash;
use plugin_api::sdk::topics::{self, perm};
use plugin_api::sdk::{
    serde_json, ClientChannel, ConsumerRegistration, Deserialize, Host, NoSettings, Outcome,
    Plugin, ProcessError, Processor, Request, Response, ResponseCode, StartError, Subscription,
    TopicConfig,
};

pub use heartbeat_data::{ConsumerData, HeartbeatData, ProducerData, SubscriptionData};

/// The client-management processor.
pub struct HeartbeatPlugin {
    host: Host,
    enable_property_filter: bool,
}

impl Plugin for HeartbeatPlugin {
    const NAME: &'static str = "heartbeat";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const REQUEST_CODES: &'static [i32] = &[
        request_code::HEART_BEAT,
        request_code::UNREGISTER_CLIENT,
        request_code::GET_CONSUMER_LIST_BY_GROUP,
        request_code::CHECK_CLIENT_CONFIG,
    ];
    type Settings = NoSettings;

    fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
        let enable_property_filter = host.config_or("enablePropertyFilter", false);
        Ok(HeartbeatPlugin {
            host,
            enable_property_filter,
        })
    }
}

impl Processor for HeartbeatPlugin {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        let response = match request.code() {
            request_code::HEART_BEAT => self.heartbeat(request)?,
            request_code::UNREGISTER_CLIENT => self.unregister(request)?,
            request_code::GET_CONSUMER_LIST_BY_GROUP => self.consumer_list(request)?,
            request_code::CHECK_CLIENT_CONFIG => self.check_client_config(request)?,
            other => Response::error(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            ),
        };
        Ok(response.into())
    }
}

impl HeartbeatPlugin {
    fn heartbeat(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let data: HeartbeatData = serde_json::from_slice(request.body()).map_err(|error| {
            ProcessError::respond(
                ResponseCode::SYSTEM_ERROR,
                format!("the heartbeat body is not valid HeartbeatData JSON: {error}"),
            )
        })?;
        let channel = ClientChannel {
            client_id: &data.client_id,
            connection_id: request.connection_id(),
            remote_addr: request.remote_addr(),
            language: request.language().as_byte(),
            version: request.version(),
        };
        let keep_subscriptions = data.heartbeat_fingerprint != 0 && data.without_sub;
        // Java's heartBeatV2: isSubChange when a group's stored fingerprint
        // exists and differs from this one. The table is written for every
        // group, before the group is looked up, and by classic heartbeats
        // (fingerprint 0) too.
        let mut fingerprint_changed = false;
        // A withoutSub heartbeat from a channel the registry does not know
        // (a reconnect, a broker restart) leaves that member without
        // subscriptions: answering true makes the client send them, where
        // Java would keep none until the fingerprint changes.
        let mut new_member_without_sub = false;
        for consumer in &data.consumer_data_set {
            let previous = self
                .host
                .clients()
                .swap_heartbeat_fingerprint(&consumer.group_name, data.heartbeat_fingerprint);
            fingerprint_changed |=
                previous.is_some_and(|previous| previous != data.heartbeat_fingerprint);
            let Some(group) = self
                .host
                .topics()
                .subscription_group(&consumer.group_name, true)
            else {
                // As in RocketMQ: a group that neither exists nor may be created
                // is not registered, silently.
                continue;
            };
            let order = consumer.subscription_data_set.iter().any(|sub| {
                self.host
                    .topics()
                    .topic(&sub.topic)
                    .is_some_and(|topic| topic.order)
            });
            self.host.topics().create_topic_if_absent(&TopicConfig {
                topic_name: topics::retry_topic(&consumer.group_name),
                read_queue_nums: group.retry_queue_nums.max(1),
                write_queue_nums: group.retry_queue_nums.max(1),
                perm: perm::READ | perm::WRITE,
                topic_filter_type: 0,
                topic_sys_flag: 0,
                order,
            });
            let registration = ConsumerRegistration {
                group: consumer.group_name.clone(),
                consume_type: consumer.consume_type.clone(),
                message_model: consumer.message_model.clone(),
                consume_from_where: consumer.consume_from_where.clone(),
                subscriptions: consumer
                    .subscription_data_set
                    .iter()
                    .map(to_subscription)
                    .collect(),
                keep_subscriptions,
            };
            let changed = self
                .host
                .clients()
                .register_consumer(&registration, &channel);
            // With keep_subscriptions the registry reports only a new member.
            new_member_without_sub |= keep_subscriptions && changed;
        }
        for producer in &data.producer_data_set {
            self.host
                .clients()
                .register_producer(&producer.group_name, &channel);
        }
        let sub_change = if data.heartbeat_fingerprint == 0 {
            // Classic heartbeat: Java always answers true.
            true
        } else {
            fingerprint_changed || new_member_without_sub
        };
        Ok(Response::success()
            .with_field("IS_SUPPORT_HEART_BEAT_V2", "true")
            .with_field("IS_SUB_CHANGE", sub_change))
    }

    fn unregister(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let client_id: String = request.required("clientID")?;
        let producer_group: String = request.optional("producerGroup")?.unwrap_or_default();
        let consumer_group: String = request.optional("consumerGroup")?.unwrap_or_default();
        self.host.clients().unregister_client(
            &client_id,
            request.connection_id(),
            &producer_group,
            &consumer_group,
        );
        Ok(Response::success())
    }

    fn consumer_list(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        let group: String = request.required("consumerGroup")?;
        let members = self
            .host
            .clients()
            .consumer_group(&group)
            .map(|info| info.client_ids)
            .filter(|ids| !ids.is_empty());
        let Some(client_ids) = members else {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("no consumer for this group, {group}"),
            ));
        };
        Ok(Response::success().with_body(consumer_id_list(&client_ids).into_bytes()))
    }

    fn check_client_config(&self, request: &Request<'_>) -> Result<Response, ProcessError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct CheckClientRequestBody {
            #[serde(default)]
            client_id: Option<String>,
            #[serde(default)]
            group: Option<String>,
            #[serde(default)]
            subscription_data: Option<SubscriptionData>,
        }
        let body: CheckClientRequestBody =
            serde_json::from_slice(request.body()).map_err(|error| {
                ProcessError::respond(
                    ResponseCode::SYSTEM_ERROR,
                    format!("the body is not valid CheckClientRequestBody JSON: {error}"),
                )
            })?;
        let Some(subscription) = body.subscription_data else {
            return Ok(Response::success());
        };
        // Java's ExpressionType.isTagType: null (the default), "" or TAG.
        if filter::is_tag_type(&subscription.expression_type) {
            return Ok(Response::success());
        }
        if !self.enable_property_filter {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!(
                    "The broker does not support consumer to filter message by {}",
                    subscription.expression_type
                ),
            ));
        }
        // FilterFactory.INSTANCE.get(type).compile(subString): SQL92 is the
        // only filter RocketMQ registers.
        let compiled = if subscription.expression_type == filter::SQL92 {
            sql92::Selector::parse(&subscription.sub_string)
                .map(drop)
                .map_err(|error| format!("Invalid MessageSelector. {error}"))
        } else {
            Err(format!(
                "no filter for expression type {}",
                subscription.expression_type
            ))
        };
        match compiled {
            Ok(()) => Ok(Response::success()),
            Err(remark) => {
                self.host.warn(&format!(
                    "Client {}@{} filter message, but failed to compile expression! sub={} {:?}, error={remark}",
                    body.client_id.as_deref().unwrap_or(""),
                    body.group.as_deref().unwrap_or(""),
                    subscription.expression_type,
                    subscription.sub_string,
                ));
                Ok(Response::error(
                    ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                    remark,
                ))
            }
        }
    }
}

/// A subscription as the host registry keeps it; tags parsed from the
/// expression when the client did not send them.
fn to_subscription(sub: &SubscriptionData) -> Subscription {
    let tags: Vec<String> = if sub.tags_set.is_empty() && sub.sub_string.trim() != "*" {
        sub.sub_string
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        sub.tags_set.clone()
    };
    let codes: Vec<i32> = if sub.code_set.is_empty() {
        tags.iter().map(|t| java_string_hash(t)).collect()
    } else {
        sub.code_set.clone()
    };
    Subscription {
        topic: sub.topic.clone(),
        sub_string: sub.sub_string.clone(),
        expression_type: sub.expression_type.clone(),
        tags,
        codes,
        sub_version: sub.sub_version,
    }
}

/// `{"consumerIdList":[...]}`.
fn consumer_id_list(client_ids: &[String]) -> String {
    let mut w = JsonWriter::new();
    w.begin_object().key("consumerIdList").begin_array();
    for id in client_ids {
        w.string(id);
    }
    w.end_array().end_object();
    w.finish()
}

plugin_api::export_plugin!(HeartbeatPlugin);

#[cfg(test)]
mod tests;
