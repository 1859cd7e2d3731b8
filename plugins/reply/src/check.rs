//! What Java's `ReplyMessageProcessor.processReplyMessageRequest` checks
//! before it pushes: the broker accepts sends already
//! (`startAcceptSendRequestTimeStamp`), and
//! `AbstractSendMessageProcessor.msgCheck` (topic name, forbidden topics,
//! the topic exists or is created from the default topic, the queue id).

use plugin_api::sdk::codes::FAQ_SUGGESTION;
use plugin_api::sdk::topics::{self, perm};
use plugin_api::sdk::{ProcessError, ResponseCode, TopicConfig};

use crate::header::ReplyHeader;
use crate::ReplyPlugin;

impl ReplyPlugin {
    /// SYSTEM_ERROR `broker unable to service, until <time>` before
    /// `startAcceptSendRequestTimeStamp`.
    pub(crate) fn check_accepting(&self, now_millis: i64) -> Result<(), ProcessError> {
        let start = self.settings.start_accept_send_request_time_stamp;
        if now_millis < start {
            return Err(ProcessError::respond(
                ResponseCode::SYSTEM_ERROR,
                format!(
                    "broker unable to service, until {}",
                    time_millis_to_human_string2(start)
                ),
            ));
        }
        Ok(())
    }

    /// Java's `msgCheck`: the topic's config (created from the default
    /// topic when it is missing and that allows it), with the request's
    /// queue id in range.
    pub(crate) fn msg_check(
        &self,
        header: &ReplyHeader<'_>,
        producer: &str,
    ) -> Result<TopicConfig, ProcessError> {
        let host_topics = self.host.topics();
        let existing = host_topics.topic(header.topic);
        if !perm::is_writeable(self.settings.broker_permission)
            && existing.as_ref().is_some_and(|config| config.order)
        {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!(
                    "the broker[{}] sending message is forbidden",
                    self.settings.broker_ip1
                ),
            ));
        }
        topics::validate_topic_name(header.topic)
            .map_err(|remark| ProcessError::respond(ResponseCode::INVALID_PARAMETER, remark))?;
        if topics::is_not_allowed_send_topic(header.topic) {
            return Err(ProcessError::respond(
                ResponseCode::NO_PERMISSION,
                format!("Sending message to topic[{}] is forbidden.", header.topic),
            ));
        }
        let config = match existing {
            Some(config) => config,
            None => {
                let retry = header.topic.starts_with(topics::RETRY_GROUP_TOPIC_PREFIX);
                // TopicSysFlag.buildSysFlag(unit, hasUnitSub).
                let topic_sys_flag = match (header.unit_mode, retry) {
                    (false, _) => 0,
                    (true, true) => 2,
                    (true, false) => 1,
                };
                self.host.warn(&format!(
                    "the topic {} not exist, producer: {producer}",
                    header.topic
                ));
                match host_topics.create_topic_in_send(
                    header.topic,
                    header.default_topic,
                    header.default_topic_queue_nums,
                    topic_sys_flag,
                ) {
                    Some(config) => config,
                    None if retry => host_topics.create_topic_if_absent(&TopicConfig {
                        read_queue_nums: 1,
                        write_queue_nums: 1,
                        perm: perm::READ | perm::WRITE,
                        topic_sys_flag,
                        ..TopicConfig::new(header.topic)
                    }),
                    None => {
                        return Err(ProcessError::respond(
                            ResponseCode::TOPIC_NOT_EXIST,
                            format!(
                                "topic[{}] not exist, apply first please!{FAQ_SUGGESTION}",
                                header.topic
                            ),
                        ))
                    }
                }
            }
        };
        let limit = config.write_queue_nums.max(config.read_queue_nums);
        if header.queue_id >= limit {
            return Err(ProcessError::respond(
                ResponseCode::INVALID_PARAMETER,
                format!(
                    "request queueId[{}] is illegal, {} Producer: {producer}",
                    header.queue_id,
                    topic_summary(&config)
                ),
            ));
        }
        Ok(config)
    }
}

/// Java's `TopicConfig.toString()` (in the remark of an illegal queue id;
/// the host hands plugins no topic attributes, written as Java prints none).
fn topic_summary(config: &TopicConfig) -> String {
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}, attributes={{}}]",
        config.topic_name,
        config.read_queue_nums,
        config.write_queue_nums,
        perm::to_flags(config.perm),
        if config.topic_filter_type == 1 { "MULTI_TAG" } else { "SINGLE_TAG" },
        config.topic_sys_flag,
        config.order
    )
}

/// Java's `UtilAll.timeMillisToHumanString2`: `yyyy-MM-dd HH:mm:ss,SSS`
/// (the broker runs on UTC).
pub(crate) fn time_millis_to_human_string2(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let of_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02},{:03}",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    )
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_time_is_javas_format() {
        assert_eq!(time_millis_to_human_string2(0), "1970-01-01 00:00:00,000");
        assert_eq!(
            time_millis_to_human_string2(1_700_000_000_123),
            "2023-11-14 22:13:20,123"
        );
        assert_eq!(
            time_millis_to_human_string2(951_782_400_001),
            "2000-02-29 00:00:00,001"
        );
    }
}
