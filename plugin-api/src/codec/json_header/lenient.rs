//! The lenient serde reading of a JSON header, for every shape the fast
//! parser declines: fastjson accepts numbers as strings, nulls, non-string
//! `extFields` values and unknown keys, so this does too.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::JsonHeader;
use crate::codec::command::{ExtFields, LanguageCode};

impl<'de> Deserialize<'de> for JsonHeader {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HeaderVisitor)
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = JsonHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a RemotingCommand JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonHeader, A::Error> {
        let mut h = JsonHeader::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "code" => h.code = map.next_value::<LenientInt>()?.0,
                "language" => h.language = map.next_value::<LenientLanguage>()?.0,
                "version" => h.version = map.next_value::<LenientInt>()?.0,
                "opaque" => h.opaque = map.next_value::<LenientInt>()?.0,
                "flag" => h.flag = map.next_value::<LenientInt>()?.0,
                "remark" => h.remark = map.next_value::<LenientString>()?.0,
                "extFields" => h.ext_fields = map.next_value::<LenientExtFields>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(h)
    }
}

/// An `int` field: JSON integer in i32 range, a decimal string, or null (= 0).
struct LenientInt(i32);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 32-bit integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("integer {v} out of 32-bit range")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientInt, E> {
                i32::try_from(v)
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("integer {v} out of 32-bit range")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientInt, E> {
                v.trim()
                    .parse::<i32>()
                    .map(LenientInt)
                    .map_err(|_| E::custom(format_args!("string {v:?} is not a 32-bit integer")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientInt, E> {
                Ok(LenientInt(0))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The `language` field: a name (unknown = OTHER), a byte value, or null (= JAVA).
struct LenientLanguage(LanguageCode);

impl<'de> Deserialize<'de> for LenientLanguage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientLanguage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a LanguageCode name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode::from_name(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(
                    u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_byte),
                ))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(
                    u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_byte),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode::Java))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A string-ish value: strings as is, numbers/booleans as their text, objects/arrays
/// as compact JSON text, null = `None`.
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<LenientString, E> {
                Ok(LenientString(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientString, E> {
                Ok(LenientString(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientString, E> {
                let text = serde_json::Number::from_f64(v)
                    .map_or_else(|| v.to_string(), |n| n.to_string());
                Ok(LenientString(Some(text)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientString, E> {
                Ok(LenientString(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientString, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(LenientString(Some(value.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<LenientString, A::Error> {
                let value =
                    serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(LenientString(Some(value.to_string())))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The `extFields` object (order kept, last duplicate wins, null values skipped) or null.
struct LenientExtFields(Option<ExtFields>);

impl<'de> Deserialize<'de> for LenientExtFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientExtFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string values, or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientExtFields, E> {
                Ok(LenientExtFields(None))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LenientExtFields, A::Error> {
                let mut fields = ExtFields::new();
                while let Some(key) = map.next_key::<String>()? {
                    if let Some(value) = map.next_value::<LenientString>()?.0 {
                        fields.push_pair(&key, &value);
                    }
                }
                fields.collapse_repeated_keys();
                Ok(LenientExtFields(Some(fields)))
            }
        }
        deserializer.deserialize_any(V)
    }
}
