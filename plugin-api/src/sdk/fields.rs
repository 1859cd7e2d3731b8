//! Typed reading of `extFields` values, the way Java's
//! `RemotingCommand.decodeCommandCustomHeader` parses them.

/// A type an `extFields` value can be parsed into.
pub trait FieldValue: Sized {
    /// Name of the type for error messages (`int`, `long`, `boolean`, ...).
    const TYPE_NAME: &'static str;
    /// Parses the wire text; `None` when it is not a valid value.
    fn parse_field(text: &str) -> Option<Self>;
}

impl FieldValue for String {
    const TYPE_NAME: &'static str = "String";
    fn parse_field(text: &str) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// `text` without surrounding whitespace; header values nearly always have
/// none, which two byte tests prove without `trim`'s character decoding.
#[inline]
fn trimmed(text: &str) -> &str {
    let plain = |byte: Option<&u8>| byte.is_some_and(|&b| b > b' ' && b < 0x80);
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Java's `Boolean.parseBoolean`: "true" in any case is true, anything else false.
impl FieldValue for bool {
    const TYPE_NAME: &'static str = "boolean";
    fn parse_field(text: &str) -> Option<Self> {
        Some(trimmed(text).eq_ignore_ascii_case("true"))
    }
}

macro_rules! integer_field {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        impl FieldValue for $ty {
            const TYPE_NAME: &'static str = $name;
            fn parse_field(text: &str) -> Option<Self> {
                trimmed(text).parse().ok()
            }
        }
    )*};
}

integer_field!(i8 => "byte", i16 => "short", i32 => "int", i64 => "long", u16 => "int", u32 => "int", u64 => "long", f64 => "double");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_follow_java() {
        assert_eq!(bool::parse_field("TRUE"), Some(true));
        assert_eq!(bool::parse_field("yes"), Some(false));
        assert_eq!(bool::parse_field(""), Some(false));
    }

    #[test]
    fn integers_reject_garbage() {
        assert_eq!(i32::parse_field("-1"), Some(-1));
        assert_eq!(i64::parse_field("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(i32::parse_field("4x"), None);
        assert_eq!(i32::parse_field("99999999999"), None);
    }

    #[test]
    fn surrounding_whitespace_is_ignored_ascii_or_not() {
        assert_eq!(i32::parse_field(" 7 "), Some(7));
        assert_eq!(i32::parse_field("7\u{3000}"), Some(7));
        assert_eq!(i64::parse_field("\t-8"), Some(-8));
        assert_eq!(bool::parse_field(" true\n"), Some(true));
        assert_eq!(i32::parse_field(""), None);
        assert_eq!(i32::parse_field("é"), None);
    }
}
