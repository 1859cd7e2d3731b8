//! Response codes as a type.

use std::fmt;

use crate::codes::response_code as code;

/// A RocketMQ response code (`ResponseCode.java`). Printed by its Java name
/// (`SYSTEM_ERROR`), or by its number when this SDK does not know it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ResponseCode(pub i32);

macro_rules! response_codes {
    ($($name:ident),* $(,)?) => {
        impl ResponseCode {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: ResponseCode = ResponseCode(code::$name);
            )*

            /// Java's name for the code, if this SDK knows it.
            pub fn name(self) -> Option<&'static str> {
                $(if self.0 == code::$name { return Some(stringify!($name)); })*
                None
            }
        }
    };
}

response_codes!(
    SUCCESS,
    SYSTEM_ERROR,
    SYSTEM_BUSY,
    REQUEST_CODE_NOT_SUPPORTED,
    TRANSACTION_FAILED,
    FLUSH_DISK_TIMEOUT,
    SLAVE_NOT_AVAILABLE,
    FLUSH_SLAVE_TIMEOUT,
    MESSAGE_ILLEGAL,
    SERVICE_NOT_AVAILABLE,
    VERSION_NOT_SUPPORTED,
    NO_PERMISSION,
    TOPIC_NOT_EXIST,
    TOPIC_EXIST_ALREADY,
    PULL_NOT_FOUND,
    PULL_RETRY_IMMEDIATELY,
    PULL_OFFSET_MOVED,
    QUERY_NOT_FOUND,
    SUBSCRIPTION_PARSE_FAILED,
    SUBSCRIPTION_NOT_EXIST,
    SUBSCRIPTION_NOT_LATEST,
    SUBSCRIPTION_GROUP_NOT_EXIST,
    FILTER_DATA_NOT_EXIST,
    FILTER_DATA_NOT_LATEST,
    INVALID_PARAMETER,
    TRANSACTION_SHOULD_COMMIT,
    TRANSACTION_SHOULD_ROLLBACK,
    TRANSACTION_STATE_UNKNOW,
    TRANSACTION_STATE_GROUP_WRONG,
    NO_BUYER_ID,
    NOT_IN_CURRENT_UNIT,
    CONSUMER_NOT_ONLINE,
    CONSUME_MSG_TIMEOUT,
    NO_MESSAGE,
    POLLING_FULL,
    POLLING_TIMEOUT,
    BROKER_NOT_EXIST,
    BROKER_DISPATCH_NOT_COMPLETE,
    BROADCAST_CONSUMPTION,
    FLOW_CONTROL,
    NOT_LEADER_FOR_QUEUE,
    ILLEGAL_OPERATION,
    GO_AWAY,
    CONTROLLER_FENCED_MASTER_EPOCH,
    CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
    CONTROLLER_INVALID_MASTER,
    CONTROLLER_INVALID_REPLICAS,
    CONTROLLER_MASTER_NOT_AVAILABLE,
    CONTROLLER_INVALID_REQUEST,
    CONTROLLER_BROKER_NOT_ALIVE,
    CONTROLLER_NOT_LEADER,
    CONTROLLER_BROKER_METADATA_NOT_EXIST,
    CONTROLLER_INVALID_CLEAN_BROKER_METADATA,
    CONTROLLER_BROKER_NEED_TO_BE_REGISTERED,
    CONTROLLER_MASTER_STILL_EXIST,
    CONTROLLER_ELECT_MASTER_FAILED,
    CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
    CONTROLLER_BROKER_ID_INVALID,
    CONTROLLER_JRAFT_INTERNAL_ERROR,
    CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS,
    USER_NOT_EXIST,
    POLICY_NOT_EXIST,
    RPC_UNKNOWN,
    RPC_ADDR_IS_NULL,
    RPC_SEND_TO_CHANNEL_FAILED,
    RPC_TIME_OUT,
);

impl ResponseCode {
    /// The code's number on the wire.
    pub fn value(self) -> i32 {
        self.0
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}({})", self.0)
    }
}

impl From<ResponseCode> for i32 {
    fn from(code: ResponseCode) -> i32 {
        code.0
    }
}

impl From<i32> for ResponseCode {
    fn from(value: i32) -> ResponseCode {
        ResponseCode(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_java_names_and_unknown_numbers() {
        assert_eq!(ResponseCode::SYSTEM_ERROR.to_string(), "SYSTEM_ERROR");
        assert_eq!(ResponseCode(1).to_string(), "SYSTEM_ERROR");
        assert_eq!(ResponseCode::PULL_OFFSET_MOVED.value(), 21);
        assert_eq!(ResponseCode(777).to_string(), "777");
        assert_eq!(
            format!("{:?}", ResponseCode::TOPIC_NOT_EXIST),
            "TOPIC_NOT_EXIST(17)"
        );
    }
}
