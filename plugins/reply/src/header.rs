//! The reply request header: `SendMessageRequestHeader` (code 324, long
//! names) or `SendMessageRequestHeaderV2` (code 325, one-letter names), as
//! Java's `ReplyMessageProcessor.parseRequestHeader` reads them (V2 turned
//! into V1 by `createSendMessageRequestHeaderV1`): the SDK's
//! [`SendMessageHeader`], which the send processor reads too.

pub use plugin_api::sdk::SendMessageHeader as ReplyHeader;
