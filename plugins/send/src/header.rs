//! The send request header, V1 (long names, code 10) and V2 (one-letter
//! names, codes 310/320): the SDK's [`SendMessageHeader`], which the reply
//! processor reads too.

pub use plugin_api::sdk::SendMessageHeader as SendHeader;
