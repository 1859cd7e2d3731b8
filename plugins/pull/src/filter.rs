//! Tag subscriptions: `*`, `TagA || TagB` (RocketMQ `FilterAPI.buildSubscriptionData`).

use plugin_api::message::java_string_hash;

/// What a pull accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagFilter {
    /// Every message (`*` or an empty expression).
    All,
    /// Messages whose TAGS is one of these.
    Tags(Vec<String>),
}

impl TagFilter {
    /// Parses a TAG expression.
    pub fn parse(expression: &str) -> TagFilter {
        let expression = expression.trim();
        if expression.is_empty() || expression == "*" {
            return TagFilter::All;
        }
        let tags: Vec<String> = expression
            .split("||")
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.is_empty() {
            TagFilter::All
        } else {
            TagFilter::Tags(tags)
        }
    }

    /// From a registered subscription's tag list (empty = all).
    pub fn from_tags(tags: Vec<String>, sub_string: &str) -> TagFilter {
        if tags.is_empty() {
            TagFilter::parse(sub_string)
        } else {
            TagFilter::Tags(tags)
        }
    }

    /// The tags codes that wake a held pull (empty = any).
    pub fn codes(&self) -> Vec<i64> {
        match self {
            TagFilter::All => Vec::new(),
            TagFilter::Tags(tags) => tags
                .iter()
                .map(|tag| i64::from(java_string_hash(tag)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(TagFilter::parse("*"), TagFilter::All);
        assert_eq!(TagFilter::parse(" "), TagFilter::All);
        assert_eq!(
            TagFilter::parse("TagA || TagB"),
            TagFilter::Tags(vec!["TagA".into(), "TagB".into()])
        );
        assert_eq!(TagFilter::parse("TagA").codes(), vec![2598919]);
    }
}
