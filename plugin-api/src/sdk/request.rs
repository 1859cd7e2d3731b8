//! A request as a processor sees it.

use abi_stable::std_types::ROption;

use super::{FieldValue, ProcessError};
use crate::codec::{same_key, LanguageCode, FLAG_ONEWAY};
use crate::ffi::FfiRequest;

/// A request handed to a processor; borrows the host's decoded frame.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    ffi: &'a FfiRequest<'a>,
}

impl<'a> Request<'a> {
    /// Wraps the ABI view of a request (the SDK's glue and test kit do this).
    #[doc(hidden)]
    pub fn from_ffi(ffi: &'a FfiRequest<'a>) -> Self {
        Request { ffi }
    }

    /// The ABI view.
    #[doc(hidden)]
    pub fn as_ffi(&self) -> &'a FfiRequest<'a> {
        self.ffi
    }

    /// Request code.
    pub fn code(&self) -> i32 {
        self.ffi.code
    }

    /// Sender's version ordinal (e.g. 479 for a 5.3.3 client).
    pub fn version(&self) -> i32 {
        self.ffi.version
    }

    /// Sender's language.
    pub fn language(&self) -> LanguageCode {
        LanguageCode::from_byte(self.ffi.language)
    }

    /// Request id.
    pub fn opaque(&self) -> i32 {
        self.ffi.opaque
    }

    /// True for a oneway request: whatever the processor answers is not sent.
    pub fn is_oneway(&self) -> bool {
        self.ffi.flag & FLAG_ONEWAY != 0
    }

    /// The remark, if any.
    pub fn remark(&self) -> Option<&'a str> {
        match self.ffi.remark {
            ROption::RSome(remark) => Some(remark.as_str()),
            ROption::RNone => None,
        }
    }

    /// Frame body.
    pub fn body(&self) -> &'a [u8] {
        self.ffi.body.as_slice()
    }

    /// Peer address `ip:port`.
    pub fn remote_addr(&self) -> &'a str {
        self.ffi.remote_addr.as_str()
    }

    /// Host-wide id of the connection.
    pub fn connection_id(&self) -> u64 {
        self.ffi.connection_id
    }

    /// False on the re-run of a held request: answer now, do not hold again.
    pub fn allow_hold(&self) -> bool {
        self.ffi.allow_hold
    }

    /// Every `extFields` entry, in wire order.
    pub fn ext_fields(&self) -> impl DoubleEndedIterator<Item = (&'a str, &'a str)> {
        self.ffi.ext_fields.iter()
    }

    /// The raw text of one `extFields` entry (the last one if repeated).
    pub fn ext(&self, key: &str) -> Option<&'a str> {
        self.ext_fields()
            .rev()
            .find(|(name, _)| same_key(name, key))
            .map(|(_, value)| value)
    }

    /// The raw text of several `extFields` entries in one pass over the
    /// header (the last one of each if repeated): `[ext(keys[0]), ...]`.
    pub fn ext_many<const N: usize>(&self, keys: [&str; N]) -> [Option<&'a str>; N] {
        // Which wanted keys start with each byte (mod 64): most fields are
        // matched, or skipped, by one table read and one comparison.
        let mut by_first_byte = [0u64; 64];
        for (index, key) in keys.iter().enumerate().take(64) {
            by_first_byte[first_byte_slot(key)] |= 1 << index;
        }
        let mut values = [None; N];
        for (key, value) in self.ext_fields() {
            let mut candidates = by_first_byte[first_byte_slot(key)];
            while candidates != 0 {
                let index = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                if same_key(keys[index], key) {
                    values[index] = Some(value);
                }
            }
        }
        // Past 64 keys, the plain scan.
        for (index, key) in keys.iter().enumerate().skip(64) {
            values[index] = self.ext(key);
        }
        values
    }

    /// A required header field, parsed. Missing → the error Java gives
    /// (`the custom field <key> is null`), unparsable → a remark naming the
    /// field, the value's first characters and length
    /// ([`crate::codec::preview`]) and the expected type; both answer
    /// SYSTEM_ERROR (1).
    pub fn required<T: FieldValue>(&self, key: &'static str) -> Result<T, ProcessError> {
        required(key, self.ext(key))
    }

    /// An optional header field, parsed; absent → `None`.
    pub fn optional<T: FieldValue>(&self, key: &'static str) -> Result<Option<T>, ProcessError> {
        optional(key, self.ext(key))
    }
}

/// [`Request::required`] for a value already looked up (e.g. by [`Request::ext_many`]).
pub fn required<T: FieldValue>(key: &'static str, text: Option<&str>) -> Result<T, ProcessError> {
    match text {
        Some(text) => parse(key, text),
        None => Err(ProcessError::MissingField(key)),
    }
}

/// A required text field as it is in the request (no copy): missing → the
/// same error as [`required`].
pub fn required_text<'a>(
    key: &'static str,
    text: Option<&'a str>,
) -> Result<&'a str, ProcessError> {
    text.ok_or(ProcessError::MissingField(key))
}

/// [`Request::optional`] for a value already looked up.
pub fn optional<T: FieldValue>(
    key: &'static str,
    text: Option<&str>,
) -> Result<Option<T>, ProcessError> {
    text.map(|text| parse(key, text)).transpose()
}

fn first_byte_slot(key: &str) -> usize {
    usize::from(key.as_bytes().first().copied().unwrap_or(0) % 64)
}

fn parse<T: FieldValue>(key: &'static str, text: &str) -> Result<T, ProcessError> {
    T::parse_field(text).ok_or_else(|| ProcessError::InvalidField {
        field: key,
        value: crate::codec::preview(text),
        expected: T::TYPE_NAME,
    })
}

#[cfg(test)]
mod tests {
    use abi_stable::std_types::{RSlice, RStr};

    use super::*;
    use crate::codec::{ExtFields, FieldSpan};
    use crate::ffi::FfiFieldsRef;

    #[test]
    fn ext_many_agrees_with_ext_for_every_key() {
        // Repeats (last wins), first bytes shared and colliding mod 64
        // ('a' = 0x61, '!' = 0x21), an empty key, absent keys.
        let pairs = [
            ("a", "1"),
            ("ab", "2"),
            ("!", "3"),
            ("a", "4"),
            ("", "5"),
            ("topic", "T"),
            ("!x", "6"),
        ];
        // Built from parts: the repeated key stays repeated, as on the wire.
        let mut text = String::new();
        let mut spans = Vec::new();
        for (key, value) in pairs {
            let key_start = text.len() as u32;
            text.push_str(key);
            let key_end = text.len() as u32;
            text.push_str(value);
            spans.push(FieldSpan {
                key_start,
                key_end,
                value_start: key_end,
                value_end: text.len() as u32,
            });
        }
        let fields = ExtFields::from_parts(text, spans).expect("valid spans");
        let ffi = FfiRequest {
            code: 310,
            language: 0,
            version: 0,
            opaque: 1,
            flag: 0,
            serialize_type: 0,
            remark: ROption::RNone,
            ext_fields: FfiFieldsRef::of(&fields),
            body: RSlice::from_slice(&[]),
            remote_addr: RStr::from("127.0.0.1:1"),
            connection_id: 1,
            allow_hold: true,
        };
        let request = Request::from_ffi(&ffi);
        let keys = ["a", "ab", "!", "", "topic", "!x", "missing", "b", "a"];
        let many = request.ext_many(keys);
        assert_eq!(many, keys.map(|key| request.ext(key)));
        assert_eq!(many[0], Some("4"));
        assert_eq!(many[6], None);
        // More keys than the table holds fall back to the scan.
        let wide: [&str; 70] = std::array::from_fn(|i| if i == 69 { "topic" } else { "zz" });
        assert_eq!(request.ext_many(wide)[69], Some("T"));
    }
}
