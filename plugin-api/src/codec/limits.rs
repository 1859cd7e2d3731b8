//! Bounds on what one request header may carry, checked once it is decoded.
//!
//! Java's broker has none: any header that fits a 16 MiB frame is decoded,
//! and a client can make it hold 100,000 `extFields` entries or a 3 MB
//! value. Decoding is linear, so such a header costs milliseconds, but every
//! processor then scans its fields, and error remarks, logs and copies grow
//! with it. A header over these limits is still a well-formed frame (its
//! length said where it ends, its header parsed), so the connection stays
//! usable: the broker answers SYSTEM_ERROR, as Java answers a header its
//! `RemotingCommand.decodeCommandCustomHeader` cannot read, and goes on.
//! Only a frame that does not parse closes the connection (Java's
//! `NettyDecoder` closes the channel on any decoding exception): after it,
//! nothing says where the next frame begins.

use super::command::RemotingCommand;

/// The limits; [`HeaderLimits::DEFAULT`] is what the broker uses unless
/// configured otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// Most `extFields` entries (after repeated keys are collapsed). Stock
    /// clients send at most a few dozen.
    pub max_ext_fields: usize,
    /// Longest key, in bytes. Keys are Java field names.
    pub max_key_length: usize,
    /// Longest value, in bytes. The longest legitimate values are message
    /// properties, which a Java broker refuses past 32,767 bytes with
    /// MESSAGE_ILLEGAL: the default leaves room for that answer.
    pub max_value_length: usize,
}

impl HeaderLimits {
    /// 1,024 entries, keys of 1 KiB, values of 1 MiB.
    pub const DEFAULT: HeaderLimits = HeaderLimits {
        max_ext_fields: 1024,
        max_key_length: 1024,
        max_value_length: 1 << 20,
    };

    /// No limit (a client reading responses, a tool).
    pub const UNLIMITED: HeaderLimits = HeaderLimits {
        max_ext_fields: usize::MAX,
        max_key_length: usize::MAX,
        max_value_length: usize::MAX,
    };

    /// Whether `command`'s header is within the limits; the first limit
    /// exceeded otherwise.
    pub fn check(&self, command: &RemotingCommand) -> Result<(), HeaderLimitError> {
        let Some(fields) = &command.ext_fields else {
            return Ok(());
        };
        if fields.len() > self.max_ext_fields {
            return Err(HeaderLimitError::TooManyFields {
                count: fields.len(),
                limit: self.max_ext_fields,
            });
        }
        for (key, value) in fields.iter() {
            if key.len() > self.max_key_length {
                return Err(HeaderLimitError::KeyTooLong {
                    key: preview(key),
                    length: key.len(),
                    limit: self.max_key_length,
                });
            }
            if value.len() > self.max_value_length {
                return Err(HeaderLimitError::ValueTooLong {
                    key: preview(key),
                    value: preview(value),
                    length: value.len(),
                    limit: self.max_value_length,
                });
            }
        }
        Ok(())
    }
}

impl Default for HeaderLimits {
    fn default() -> Self {
        HeaderLimits::DEFAULT
    }
}

/// Which limit a header exceeded; the text is the remark of the answer, so
/// it names offending keys and values only by a short prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderLimitError {
    /// Too many `extFields` entries.
    #[error("request header has {count} extFields entries, more than the limit of {limit}")]
    TooManyFields {
        /// Entries in the header.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A key is too long.
    #[error("request header has an extFields key of {length} bytes, more than the limit of {limit}: {key}")]
    KeyTooLong {
        /// The key's [`preview`].
        key: String,
        /// Its length in bytes.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// A value is too long.
    #[error(
        "request header field {key} is {length} bytes, more than the limit of {limit}: {value}"
    )]
    ValueTooLong {
        /// The key's [`preview`].
        key: String,
        /// The value's [`preview`].
        value: String,
        /// Its length in bytes.
        length: usize,
        /// The limit.
        limit: usize,
    },
}

/// Characters of a value shown by [`preview`].
pub const PREVIEW_CHARS: usize = 32;

/// `text` for an error message, however long or strange it is: quoted and
/// escaped (`{:?}`), cut after [`PREVIEW_CHARS`] characters, and then
/// followed by its length in bytes. At most about 350 bytes: a remark that
/// echoed a 3.4 MB value escaped (six bytes per control character) no
/// longer fitted a frame's header and was never sent.
pub fn preview(text: &str) -> String {
    match text.char_indices().nth(PREVIEW_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!(
            "{:?}... ({} bytes)",
            text.get(..cut).unwrap_or_default(),
            text.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ExtFields;

    fn with_fields(pairs: &[(&str, &str)]) -> RemotingCommand {
        let mut command = RemotingCommand::request(10);
        command.ext_fields = Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<ExtFields>(),
        );
        command
    }

    #[test]
    fn each_limit_is_enforced_at_its_bound() {
        let limits = HeaderLimits {
            max_ext_fields: 2,
            max_key_length: 3,
            max_value_length: 4,
        };
        assert_eq!(limits.check(&RemotingCommand::request(1)), Ok(()));
        assert_eq!(
            limits.check(&with_fields(&[("abc", "1234"), ("d", "")])),
            Ok(())
        );
        assert_eq!(
            limits.check(&with_fields(&[("a", "1"), ("b", "2"), ("c", "3")])),
            Err(HeaderLimitError::TooManyFields { count: 3, limit: 2 })
        );
        assert_eq!(
            limits.check(&with_fields(&[("abcd", "1")])),
            Err(HeaderLimitError::KeyTooLong {
                key: "\"abcd\"".into(),
                length: 4,
                limit: 3
            })
        );
        let error = limits
            .check(&with_fields(&[("q", "12345")]))
            .expect_err("value too long");
        assert_eq!(
            error.to_string(),
            "request header field \"q\" is 5 bytes, more than the limit of 4: \"12345\""
        );
        // Repeated keys count once, as the map holds them.
        assert_eq!(
            limits.check(&with_fields(&[("a", "1"), ("a", "2"), ("a", "3")])),
            Ok(())
        );
    }

    #[test]
    fn previews_are_short_whatever_the_value() {
        assert_eq!(preview("TopicA"), "\"TopicA\"");
        let huge = "\u{1}".repeat(3_400_000);
        let shown = preview(&huge);
        assert!(shown.ends_with("... (3400000 bytes)"), "{shown}");
        assert!(shown.starts_with("\"\\u{1}\\u{1}"), "{shown}");
        assert!(shown.len() < 400, "{}", shown.len());
        // Cut on a character boundary.
        let wide = "é".repeat(100);
        assert_eq!(
            preview(&wide),
            format!("{:?}... (200 bytes)", "é".repeat(32))
        );
        let worst = "\u{10ffff}".repeat(100);
        assert!(preview(&worst).len() < 400);
    }
}
