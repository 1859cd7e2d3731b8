//! Typed plugin settings: the manifest entry's `[processor.settings]` table
//! read into the plugin's own `Deserialize` type, strictly.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The settings type of a plugin that takes none: any key is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// Why a settings table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The table has a key the plugin's settings type does not know.
    #[error("unknown setting `{key}`")]
    UnknownKey {
        /// The key's path, e.g. `limits.max_batch`.
        key: String,
    },
    /// A value has the wrong type, or a required key is missing.
    #[error("setting `{key}`: {message}")]
    Invalid {
        /// The key's path (`.` for the table itself).
        key: String,
        /// What was wrong.
        message: String,
    },
}

/// Reads `json` (the settings table as the host passes it; empty text is an
/// empty table) into `T`. Unknown keys are refused even when `T` does not
/// say `deny_unknown_fields`, so a typo never goes unnoticed.
pub fn parse_settings<T: DeserializeOwned>(json: &str) -> Result<T, SettingsError> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    let mut unknown: Option<String> = None;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let mut note_unknown = |path: serde_ignored::Path<'_>| {
        if unknown.is_none() {
            // `?` marks an `Option` level in serde_ignored's path; not a key.
            let key: Vec<String> = path
                .to_string()
                .split('.')
                .filter(|segment| *segment != "?")
                .map(str::to_owned)
                .collect();
            unknown = Some(key.join("."));
        }
    };
    let tracked = serde_ignored::Deserializer::new(&mut deserializer, &mut note_unknown);
    let value: Result<T, _> = serde_path_to_error::deserialize(tracked);
    match value {
        Ok(value) => match unknown {
            Some(key) => Err(SettingsError::UnknownKey { key }),
            None => Ok(value),
        },
        Err(error) => {
            let key = error.path().to_string();
            let message = error.into_inner().to_string();
            // serde names the key itself for unknown and missing fields.
            if let Some(rest) = message.strip_prefix("unknown field `") {
                let name = rest.split('`').next().unwrap_or(rest);
                let key = if key == "." {
                    name.to_owned()
                } else if key == name || key.ends_with(&format!(".{name}")) {
                    key
                } else {
                    format!("{key}.{name}")
                };
                return Err(SettingsError::UnknownKey { key });
            }
            Err(SettingsError::Invalid {
                key,
                message: strip_position(&message),
            })
        }
    }
}

/// serde_json's " at line 1 column 9" means nothing to someone who wrote TOML.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Limits {
        max_batch: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Settings {
        #[serde(default)]
        greeting: String,
        limits: Option<Limits>,
    }

    #[test]
    fn reads_a_valid_table() {
        let settings: Settings =
            parse_settings(r#"{"greeting":"hi","limits":{"max_batch":4}}"#).expect("valid");
        assert_eq!(settings.greeting, "hi");
        assert_eq!(settings.limits, Some(Limits { max_batch: 4 }));
        let empty: Settings = parse_settings("").expect("empty table");
        assert_eq!(empty.greeting, "");
    }

    #[test]
    fn refuses_unknown_keys_by_name_even_nested() {
        assert_eq!(
            parse_settings::<Settings>(r#"{"greting":"hi"}"#),
            Err(SettingsError::UnknownKey {
                key: "greting".into()
            })
        );
        assert_eq!(
            parse_settings::<Settings>(r#"{"limits":{"max_batch":1,"min_batch":0}}"#),
            Err(SettingsError::UnknownKey {
                key: "limits.min_batch".into()
            })
        );
        assert_eq!(
            parse_settings::<NoSettings>(r#"{"anything":1}"#),
            Err(SettingsError::UnknownKey {
                key: "anything".into()
            })
        );
        assert_eq!(parse_settings::<NoSettings>("{}"), Ok(NoSettings {}));
    }

    #[test]
    fn refuses_wrong_types_naming_the_key() {
        let error = parse_settings::<Settings>(r#"{"limits":{"max_batch":"four"}}"#)
            .expect_err("a string is not a u32");
        match error {
            SettingsError::Invalid { key, message } => {
                assert_eq!(key, "limits.max_batch");
                assert!(message.contains("expected u32"), "{message}");
                assert!(!message.contains("line 1"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
