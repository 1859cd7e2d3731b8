//! The broker as a client of name servers: a small asynchronous remoting
//! client ([`client`]) and the registration service ([`registration`]):
//! REGISTER_BROKER (103) at start, periodically and on topic changes;
//! UNREGISTER_BROKER (104) at shutdown (as `BrokerController.start` / `shutdown` do).

pub mod client;
pub mod registration;

pub use client::{ClientConfig, ClientError, RemotingClient};
pub use registration::{
    body_crc32, mapping_data_version, topic_config_wrapper, NameServerRegistration, RegisterError,
    RegisterResult, RegistrationService,
};
