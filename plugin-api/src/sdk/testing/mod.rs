//! The plugin test kit: an in-memory host and a request builder, so a
//! processor is unit-tested in microseconds, without a broker, a socket or a
//! library load.
//!
//! ```
//! use plugin_api::sdk::testing::{FakeHost, RequestBuilder};
//! use plugin_api::sdk::{TopicConfig, ResponseCode};
//! # use plugin_api::sdk::*;
//! # struct Max { host: Host }
//! # impl Plugin for Max {
//! #     const NAME: &'static str = "max";
//! #     const VERSION: &'static str = "1";
//! #     const REQUEST_CODES: &'static [i32] = &[30];
//! #     type Settings = NoSettings;
//! #     fn new(host: Host, _: NoSettings) -> Result<Self, StartError> { Ok(Max { host }) }
//! # }
//! # impl Processor for Max {
//! #     fn process(&self, request: &Request<'_>) -> Result<Outcome, ProcessError> {
//! #         let topic: String = request.required("topic")?;
//! #         let offset = self.host.store().max_offset(&topic, request.required("queueId")?);
//! #         Ok(Response::success().with_int("offset", offset).into())
//! #     }
//! # }
//! let host = FakeHost::new();
//! host.add_topic(TopicConfig::new("TopicA"));
//! host.store_message("TopicA", 0, b"hello", "");
//! let max = host.start::<Max>("").expect("starts");
//! let outcome = RequestBuilder::new(30).field("topic", "TopicA").field("queueId", "0").run(&max);
//! let response = outcome.response().expect("a response");
//! assert_eq!(response.code, ResponseCode::SUCCESS);
//! assert_eq!(response.field("offset"), Some("1"));
//! ```

mod fake_host;
mod request_builder;

pub use fake_host::{FakeHost, FakeHostState, StoredMessage};
pub use request_builder::RequestBuilder;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::*;

    /// Needs a capability of ABI 1.1 and asks for it at start, as the SDK
    /// recommends.
    struct NeedsClientCalls;

    impl Plugin for NeedsClientCalls {
        const NAME: &'static str = "needs-client-calls";
        const VERSION: &'static str = "1";
        const REQUEST_CODES: &'static [i32] = &[9000];
        type Settings = NoSettings;

        fn new(host: Host, _settings: NoSettings) -> Result<Self, StartError> {
            host.client_calls()?;
            Ok(NeedsClientCalls)
        }
    }

    impl Processor for NeedsClientCalls {
        fn process(&self, _request: &Request<'_>) -> Result<Outcome, ProcessError> {
            Ok(Response::success().into())
        }
    }

    #[test]
    fn a_plugin_needing_a_newer_capability_is_refused_at_start_naming_it() {
        let host = FakeHost::new();
        host.state().abi_version = Some("1.0.0".to_owned());
        let refusal = host
            .start::<NeedsClientCalls>("")
            .err()
            .expect("a 1.0 host lacks client_calls");
        assert_eq!(
            refusal,
            "this broker (plugin ABI 1.0.0) lacks the host capability `client_calls`, \
             added in plugin ABI 1.1.0; run the plugin on a newer broker"
        );

        let current = FakeHost::new();
        assert!(current.start::<NeedsClientCalls>("").is_ok());
    }

    #[test]
    fn client_calls_reach_the_fake_and_report_closed_connections() {
        let host = FakeHost::new();
        let handle = host.host("caller");
        let calls = handle.client_calls().expect("ABI 1.1 has it");
        let request = ClientRequest {
            code: 39,
            ext_fields: vec![("tranStateTableOffset".into(), "7".into())],
            ..ClientRequest::default()
        };
        calls.send_oneway(4, &request).expect("open connection");
        host.state().closed_connections.push(5);
        assert!(matches!(
            calls.send_oneway(5, &request),
            Err(HostError::Refused(_))
        ));
        assert_eq!(host.state().sent_to_clients, vec![(4, request)]);
    }

    #[test]
    fn client_invoke_answers_the_scripted_responses_and_times_out_without_one() {
        let host = FakeHost::new();
        let handle = host.host("caller");
        let calls = handle.client_invoke().expect("ABI 1.2 has it");
        let answer = ClientResponse {
            code: 0,
            ext_fields: vec![("k".into(), "v".into())],
            ..ClientResponse::default()
        };
        host.state().client_answers.push_back(Ok(answer.clone()));
        let request = ClientRequest {
            code: 326,
            ..ClientRequest::default()
        };
        assert_eq!(calls.invoke(4, &request, 3000), Ok(answer));
        assert!(matches!(
            calls.invoke(4, &request, 3000),
            Err(HostError::Timeout(_))
        ));
        host.state().closed_connections.push(5);
        assert!(matches!(
            calls.invoke(5, &request, 3000),
            Err(HostError::Refused(_))
        ));
        assert_eq!(
            host.state().invoked_clients,
            vec![(4, request.clone(), 3000), (4, request, 3000)]
        );

        let channel = ClientChannel {
            client_id: "10.0.0.1@1",
            connection_id: 9,
            remote_addr: "10.0.0.1:4000",
            language: 0,
            version: 0,
        };
        handle.clients().register_producer("pg", &channel);
        assert_eq!(calls.find_client_connection("10.0.0.1@1"), Ok(Some(9)));
        assert_eq!(calls.find_client_connection("nobody"), Ok(None));
    }

    #[test]
    fn client_invoke_on_a_1_1_broker_is_a_missing_capability() {
        let host = FakeHost::new();
        host.state().abi_version = Some("1.1.0".to_owned());
        let handle = host.host("caller");
        let expected = "this broker (plugin ABI 1.1.0) lacks the host capability \
                        `client_invoke`, added in plugin ABI 1.2.0; run the plugin on a newer broker";
        let refusal = handle.client_invoke().err().expect("1.1 lacks it");
        assert_eq!(refusal.to_string(), expected);
        let calls = handle.client_calls().expect("1.1 has oneway calls");
        let invoked = calls.invoke(1, &ClientRequest::default(), 10);
        assert!(
            matches!(
                &invoked,
                Err(HostError::MissingCapability {
                    capability: "client_invoke",
                    ..
                })
            ),
            "{invoked:?}"
        );
        assert!(matches!(
            calls.find_client_connection("c"),
            Err(HostError::MissingCapability { .. })
        ));
        assert!(host.state().invoked_clients.is_empty());
    }

    /// The fake's metadata tables, in the wrappers' JSON form.
    #[test]
    fn metadata_tables_are_written_as_the_wrappers() {
        let fake = FakeHost::new();
        fake.add_topic(TopicConfig::new("T\"1"));
        fake.add_group(SubscriptionGroup::new("g"));
        fake.state()
            .offsets
            .insert(("g".into(), "T\"1".into(), 0), 5);
        let host = fake.host("reader");
        let topics = host.topics();
        assert_eq!(
            topics.metadata_json(MetadataTable::TopicConfigWrapper),
            r#"{"topicConfigTable":{"T\"1":{"topicName":"T\"1"},"TBW102":{"topicName":"TBW102"}}}"#
        );
        assert_eq!(
            topics.metadata_json(MetadataTable::SubscriptionGroupWrapper),
            r#"{"subscriptionGroupTable":{"g":{"groupName":"g"}}}"#
        );
        assert_eq!(
            topics.metadata_json(MetadataTable::ConsumerOffsets),
            r#"{"offsetTable":1}"#
        );
    }

    #[test]
    fn settings_refusals_name_the_key_at_start() {
        let host = FakeHost::new();
        let refusal = host
            .start::<NeedsClientCalls>(r#"{"typo":1}"#)
            .err()
            .expect("NoSettings takes no key");
        assert_eq!(refusal, "invalid settings: unknown setting `typo`");
    }
}
