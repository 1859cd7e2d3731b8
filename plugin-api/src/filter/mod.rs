//! Subscription expression types (RocketMQ `ExpressionType`), shared by the
//! host and plugins, and the SQL92 filter language ([`sql92`]).

pub mod sql92;

/// Tag expressions (`TagA || TagB`, `*`).
pub const TAG: &str = "TAG";
/// SQL92 property filters.
pub const SQL92: &str = "SQL92";

/// `ExpressionType.isTagType`: a missing (`null`), empty or `TAG`
/// expression type is a tag subscription.
pub fn is_tag_type(expression_type: &str) -> bool {
    expression_type.is_empty() || expression_type == TAG
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_tag_are_tag_types() {
        assert!(is_tag_type(""));
        assert!(is_tag_type("TAG"));
        assert!(!is_tag_type("SQL92"));
        assert!(!is_tag_type("tag"));
    }
}
