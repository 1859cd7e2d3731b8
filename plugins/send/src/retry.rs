//! Retry and dead-letter topics: the subscription group a `%RETRY%` topic
//! belongs to, how many deliveries it allows, and when a message goes to
//! the group's `%DLQ%` topic instead (Java's
//! `SendMessageProcessor.handleRetryAndDLQ` for a send, and
//! `AbstractSendMessageProcessor.consumerSendMsgBack` for a send-back).

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::topics::{self, perm};
use plugin_api::sdk::{ProcessError, Request, ResponseCode, SubscriptionGroup, TopicConfig};

use crate::destination::new_topic;
use crate::{SendHeader, SendPlugin};

/// Clients at or above V3_4_9 send `maxReconsumeTimes` themselves.
const MAX_RECONSUME_TIMES_SINCE_VERSION: i32 = 121;

impl SendPlugin {
    /// For a send to a `%RETRY%` topic, the dead-letter topic the message
    /// goes to instead, if it does: when it was delivered more often than
    /// the group allows, or when the group consumes orderly (holds queue
    /// locks), which Java's `handleRetryAndDLQ` sends to the DLQ at once.
    /// `None` for any other topic.
    pub(crate) fn dead_letter_instead_of_retry(
        &self,
        request: &Request<'_>,
        header: &SendHeader<'_>,
    ) -> Result<Option<String>, ProcessError> {
        let Some(group) = header.topic.strip_prefix(topics::RETRY_GROUP_TOPIC_PREFIX) else {
            return Ok(None);
        };
        let group_config = self.group_or_error(group)?;
        let max_reconsume =
            self.max_reconsume_times(request, header.max_reconsume_times, &group_config);
        let orderly = self.host.clients().group_has_live_lock(group);
        if header.reconsume_count() > max_reconsume || orderly {
            return Ok(Some(self.ensure_dlq_topic(group).topic_name));
        }
        Ok(None)
    }

    /// The group's config (auto-created when the broker allows it), else
    /// SUBSCRIPTION_GROUP_NOT_EXIST.
    pub(crate) fn group_or_error(&self, group: &str) -> Result<SubscriptionGroup, ProcessError> {
        self.host
            .topics()
            .subscription_group(group, true)
            .ok_or_else(|| {
                ProcessError::respond(
                    ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
                    format!("subscription group not exist, {group} {FAQ_SUGGESTION}"),
                )
            })
    }

    /// The header's `maxReconsumeTimes` from a client that sends it, else
    /// the group's `retryMaxTimes`.
    pub(crate) fn max_reconsume_times(
        &self,
        request: &Request<'_>,
        from_header: Option<i32>,
        group: &SubscriptionGroup,
    ) -> i32 {
        match from_header {
            Some(max) if request.version() >= MAX_RECONSUME_TIMES_SINCE_VERSION => max,
            _ => group.retry_max_times,
        }
    }

    /// The group's dead-letter topic (one queue), created when absent (Java
    /// checks neither its permission nor, on this path, that it was created).
    pub(crate) fn ensure_dlq_topic(&self, group: &str) -> TopicConfig {
        self.host.topics().create_topic_if_absent(&new_topic(
            &topics::dlq_topic(group),
            1,
            perm::READ | perm::WRITE,
        ))
    }
}
