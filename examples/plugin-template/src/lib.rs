//! QUEUE_DEPTH (9300): how many messages each queue of a topic holds.
//!
//! A complete plugin on the SDK (`plugin_api::sdk`), to copy as the start of
//! a new one: typed settings, header fields read with their errors answered
//! for you, a host capability (topics, the message store), logging into the
//! broker's log, and unit tests on the SDK's test kit. `examples/queue_depth.rs`
//! calls it on a running broker.
//!
//! Request header fields: `topic` (required), `queueId` (optional: only that
//! queue). Answer: header field `total` (messages in the queues asked for)
//! and a JSON array body, one depth per queue.

use plugin_api::sdk::{
    Deserialize, Host, Outcome, Plugin, ProcessError, Processor, Request, Response, ResponseCode,
    StartError,
};

/// The request code this plugin serves (unused by RocketMQ, and by the
/// broker's own plugins).
pub const QUEUE_DEPTH: i32 = 9300;

/// `[processor.settings]` of the manifest entry. Unknown keys and values of
/// the wrong type refuse the load, naming the key.
#[derive(Deserialize)]
// The derive's code names the `serde` crate; this one is the SDK's re-export,
// so the plugin needs no serde dependency of its own.
#[serde(crate = "plugin_api::sdk::serde")]
pub struct Settings {
    /// Log a warning for queues deeper than this (default: never).
    #[serde(default = "no_limit")]
    pub warn_above: i64,
}

fn no_limit() -> i64 {
    i64::MAX
}

/// The processor: what `Plugin::new` builds from the settings. It is called
/// from several pool threads at once, so it holds nothing mutable.
pub struct QueueDepth {
    host: Host,
    warn_above: i64,
}

impl Plugin for QueueDepth {
    const NAME: &'static str = "queue-depth";
    const VERSION: &'static str = plugin_api::plugin_version!();
    const REQUEST_CODES: &'static [i32] = &[QUEUE_DEPTH];
    type Settings = Settings;

    fn new(host: Host, settings: Settings) -> Result<Self, StartError> {
        if settings.warn_above < 0 {
            // Refuses the load; a running version keeps serving.
            return Err(
                format!("warn_above must be 0 or more, not {}", settings.warn_above).into(),
            );
        }
        host.info(&format!("queue depths on request code {QUEUE_DEPTH}"));
        Ok(QueueDepth {
            host,
            warn_above: settings.warn_above,
        })
    }
}

impl Processor for QueueDepth {
    fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
        // A missing or unparsable field answers SYSTEM_ERROR with the
        // field named, as RocketMQ's header decoding does.
        let topic: String = request.required("topic")?;
        let only_queue: Option<i32> = request.optional("queueId")?;
        let Some(config) = self.host.topics().topic(&topic) else {
            return Err(ProcessError::respond(
                ResponseCode::TOPIC_NOT_EXIST,
                format!("topic[{topic}] not exist"),
            ));
        };
        let store = self.host.store();
        let mut depths = Vec::new();
        for queue_id in 0..config.read_queue_nums.max(config.write_queue_nums) {
            if only_queue.is_some_and(|wanted| wanted != queue_id) {
                continue;
            }
            let depth =
                (store.max_offset(&topic, queue_id) - store.min_offset(&topic, queue_id)).max(0);
            if depth > self.warn_above {
                self.host
                    .warn(&format!("{topic} queue {queue_id} holds {depth} messages"));
            }
            depths.push(depth);
        }
        let total: i64 = depths.iter().sum();
        let body = plugin_api::sdk::serde_json::to_vec(&depths).map_err(|error| {
            ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string())
        })?;
        Ok(Response::success()
            .with_int("total", total)
            .with_body(body)
            .into())
    }
}

plugin_api::export_plugin!(QueueDepth);

#[cfg(test)]
mod tests {
    use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
    use plugin_api::sdk::{ResponseCode, TopicConfig};

    use super::*;

    fn host_with_orders() -> FakeHost {
        let host = FakeHost::new();
        let mut orders = TopicConfig::new("Orders");
        orders.read_queue_nums = 2;
        orders.write_queue_nums = 2;
        host.add_topic(orders);
        host.store_message("Orders", 0, b"first", "");
        host.store_message("Orders", 0, b"second", "");
        host.store_message("Orders", 1, b"third", "");
        host
    }

    #[test]
    fn answers_the_depth_of_every_queue() {
        let host = host_with_orders();
        let plugin = host.start::<QueueDepth>("").expect("starts");
        let outcome = RequestBuilder::new(QUEUE_DEPTH)
            .field("topic", "Orders")
            .run(&plugin);
        let response = outcome.response().expect("answers");
        assert_eq!(response.code, ResponseCode::SUCCESS);
        assert_eq!(response.field("total"), Some("3"));
        assert_eq!(response.body, b"[2,1]");
    }

    #[test]
    fn one_queue_when_asked() {
        let host = host_with_orders();
        let plugin = host.start::<QueueDepth>("").expect("starts");
        let outcome = RequestBuilder::new(QUEUE_DEPTH)
            .field("topic", "Orders")
            .field("queueId", 1)
            .run(&plugin);
        let response = outcome.response().expect("answers");
        assert_eq!(response.field("total"), Some("1"));
        assert_eq!(response.body, b"[1]");
    }

    #[test]
    fn warns_about_deep_queues_in_the_broker_log() {
        let host = host_with_orders();
        let plugin = host
            .start::<QueueDepth>(r#"{"warn_above":1}"#)
            .expect("starts");
        RequestBuilder::new(QUEUE_DEPTH)
            .field("topic", "Orders")
            .run(&plugin);
        assert_eq!(
            host.log_lines(),
            vec![
                "INFO queue-depth: queue depths on request code 9300".to_owned(),
                "WARN queue-depth: Orders queue 0 holds 2 messages".to_owned(),
            ]
        );
    }

    #[test]
    fn an_unknown_topic_answers_topic_not_exist() {
        let host = FakeHost::new();
        let plugin = host.start::<QueueDepth>("").expect("starts");
        let outcome = RequestBuilder::new(QUEUE_DEPTH)
            .field("topic", "Nope")
            .run(&plugin);
        let response = outcome.response().expect("answers");
        assert_eq!(response.code, ResponseCode::TOPIC_NOT_EXIST);
        assert_eq!(response.remark.as_deref(), Some("topic[Nope] not exist"));
    }

    #[test]
    fn a_missing_or_bad_field_is_answered_for_you() {
        let host = FakeHost::new();
        let plugin = host.start::<QueueDepth>("").expect("starts");
        let missing = RequestBuilder::new(QUEUE_DEPTH).run(&plugin);
        let missing = missing.response().expect("answers");
        assert_eq!(missing.code, ResponseCode::SYSTEM_ERROR);
        assert_eq!(
            missing.remark.as_deref(),
            Some("the custom field <topic> is null")
        );
        let bad = RequestBuilder::new(QUEUE_DEPTH)
            .field("topic", "TBW102")
            .field("queueId", "one")
            .run(&plugin);
        assert_eq!(
            bad.response().map(|r| r.code),
            Some(ResponseCode::SYSTEM_ERROR)
        );
    }

    #[test]
    fn settings_are_typed_and_checked_at_load() {
        let host = FakeHost::new();
        let unknown = host
            .start::<QueueDepth>(r#"{"warn_abov":1}"#)
            .err()
            .expect("refused");
        assert!(unknown.contains("unknown setting `warn_abov`"), "{unknown}");
        let wrong_type = host
            .start::<QueueDepth>(r#"{"warn_above":"x"}"#)
            .err()
            .expect("refused");
        assert!(wrong_type.contains("setting `warn_above`"), "{wrong_type}");
        let negative = host
            .start::<QueueDepth>(r#"{"warn_above":-1}"#)
            .err()
            .expect("refused");
        assert_eq!(negative, "warn_above must be 0 or more, not -1");
    }
}
