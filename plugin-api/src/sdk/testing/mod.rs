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
