//! Reading config files (TOML or Java properties) and writing values back in
//! properties syntax.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use java_properties::{LineContent, PropertiesIter};

use super::error::{ConfigError, ConfigWarning, Origin};
use super::BrokerConfig;

/// `true` if `path` is read as TOML (extension `.toml`, any case); every
/// other file is read as a Java properties file.
pub fn is_toml_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

impl BrokerConfig {
    /// Applies a config file on top of the current values.
    ///
    /// `*.toml` is read as TOML (top-level `key = value`; values are strings,
    /// integers, floats or booleans; a table or array value is an error), any
    /// other file as a Java properties file (`key=value`, `key: value`,
    /// `key value`, `#`/`!` comments, `\` escapes and continuations,
    /// ISO-8859-1), like `broker.conf`.
    ///
    /// Unknown keys are returned as warnings; a value that does not parse is
    /// an error naming the file, line, key and value. On error `self` is left
    /// unchanged.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<Vec<ConfigWarning>, ConfigError> {
        let path = path.as_ref();
        let io_err = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        if is_toml_path(path) {
            let text = std::fs::read_to_string(path).map_err(io_err)?;
            self.load_toml_str(&text, path)
        } else {
            let bytes = std::fs::read(path).map_err(io_err)?;
            self.load_properties_reader(bytes.as_slice(), path)
        }
    }

    /// Applies TOML text; `file` is only used in messages. See [`Self::load_file`].
    pub fn load_toml_str(
        &mut self,
        text: &str,
        file: &Path,
    ) -> Result<Vec<ConfigWarning>, ConfigError> {
        let table: BTreeMap<String, toml::Spanned<toml::Value>> =
            toml::from_str(text).map_err(|e| ConfigError::TomlSyntax {
                path: file.to_path_buf(),
                message: e.to_string().trim_end().to_owned(),
            })?;
        let mut entries: Vec<_> = table.into_iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);

        let mut next = self.clone();
        let mut warnings = Vec::new();
        for (key, spanned) in entries {
            let origin = Origin::file(file, Some(line_of(text, spanned.span().start)));
            let value = spanned.get_ref();
            let kind = match value {
                toml::Value::Table(_) => Some("table"),
                toml::Value::Array(_) => Some("array"),
                _ => None,
            };
            if let Some(kind) = kind {
                return Err(ConfigError::UnsupportedTomlValue { origin, key, kind });
            }
            match next.set_toml(&key, value) {
                None => warnings.push(ConfigWarning::UnknownKey {
                    key,
                    file: file.to_path_buf(),
                }),
                Some(Ok(())) => {}
                Some(Err(expected)) => {
                    let value = match value {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    return Err(ConfigError::InvalidValue {
                        origin,
                        key,
                        value,
                        expected,
                    });
                }
            }
        }
        *self = next;
        Ok(warnings)
    }

    /// Applies a Java properties stream (ISO-8859-1); `file` is only used in
    /// messages. A key given twice takes its last value, like
    /// `java.util.Properties`. See [`Self::load_file`].
    pub fn load_properties_reader<R: Read>(
        &mut self,
        mut reader: R,
        file: &Path,
    ) -> Result<Vec<ConfigWarning>, ConfigError> {
        // (key, value, line), in first-occurrence order, last value wins.
        let mut pairs: Vec<(String, String, usize)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| ConfigError::Io {
                path: file.to_path_buf(),
                source,
            })?;
        // java-properties unescapes comments too (and fails on `# C:\users`);
        // Java ignores them, so blank comment lines out first.
        let bytes = blank_comment_lines(&bytes);
        for line in PropertiesIter::new(bytes.as_slice()) {
            let line = line.map_err(|e| {
                #[allow(deprecated)] // description() is the message without the line suffix
                let message = std::error::Error::description(&e).to_owned();
                let message = match std::error::Error::source(&e) {
                    Some(cause) => format!("{message}: {cause}"),
                    None => message,
                };
                ConfigError::PropertiesSyntax {
                    origin: Origin::file(file, e.line_number()),
                    message,
                }
            })?;
            let number = line.line_number();
            if let LineContent::KVPair(key, value) = line.consume_content() {
                match index.get(&key) {
                    Some(&i) => pairs[i] = (key, value, number),
                    None => {
                        index.insert(key.clone(), pairs.len());
                        pairs.push((key, value, number));
                    }
                }
            }
        }

        let mut next = self.clone();
        let mut warnings = Vec::new();
        for (key, value, number) in pairs {
            match next.set_text(&key, value.trim()) {
                None => warnings.push(ConfigWarning::UnknownKey {
                    key,
                    file: file.to_path_buf(),
                }),
                Some(Ok(())) => {}
                Some(Err(expected)) => {
                    return Err(ConfigError::InvalidValue {
                        origin: Origin::file(file, Some(number)),
                        key,
                        value,
                        expected,
                    })
                }
            }
        }
        *self = next;
        Ok(warnings)
    }
}

/// Replaces every comment line (first non-blank character `#` or `!`, not a
/// continuation of the previous line) by an empty line, keeping line numbers.
fn blank_comment_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut continued = false;
    let mut rest = input;
    while !rest.is_empty() {
        // one natural line: content + terminator (\n, \r\n or \r)
        let end = rest
            .iter()
            .position(|b| *b == b'\n' || *b == b'\r')
            .unwrap_or(rest.len());
        let term_len = match rest.get(end..end + 2) {
            Some(b"\r\n") => 2,
            _ if end < rest.len() => 1,
            _ => 0,
        };
        let (content, terminator) = (&rest[..end], &rest[end..end + term_len]);
        rest = &rest[end + term_len..];

        let first = content
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'));
        let is_comment = !continued && first.is_some_and(|i| matches!(content[i], b'#' | b'!'));
        if is_comment {
            continued = false;
        } else {
            out.extend_from_slice(content);
            let backslashes = content.iter().rev().take_while(|b| **b == b'\\').count();
            continued = first.is_some() && backslashes % 2 == 1;
        }
        out.extend_from_slice(terminator);
    }
    out
}

/// 1-based line of byte offset `pos` in `text`.
fn line_of(text: &str, pos: usize) -> usize {
    let end = pos.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Escapes a value for a `key=value` properties line so that reading it back
/// gives the same text: `\` `\t` `\n` `\r` `\f` escaped, leading spaces
/// escaped, non-ASCII as `\uXXXX` (UTF-16), like `Properties.store`.
pub fn escape_property_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            ' ' if i == 0 => out.push_str("\\ "),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}
