//! GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25), as Java's
//! `AdminBrokerProcessor.getBrokerConfig` / `updateBrokerConfig` over the
//! broker's `Configuration` (the host's runtime config, ABI 1.2).

use plugin_api::sdk::{HostError, ProcessError, Request, Response, ResponseCode};

use crate::AdminPlugin;

/// Keys `AdminBrokerProcessor.initConfigBlackList` always refuses, besides
/// the broker's `configBlackList`.
const BUILT_IN_BLACK_LIST: [&str; 3] = ["brokerConfigPath", "rocketmqHome", "configBlackList"];

/// `BrokerConfig.configBlackList`'s default in 5.3.3.
const DEFAULT_CONFIG_BLACK_LIST: &str = "configBlackList;brokerConfigPath";

/// The remark of a refused blacklisted key.
pub const BLACK_LIST_REMARK: &str = "Can not update config in black list.";

/// A host-capability failure as the answer to the admin tool.
pub(crate) fn host_failure(error: HostError) -> ProcessError {
    ProcessError::respond(ResponseCode::SYSTEM_ERROR, error.to_string())
}

impl AdminPlugin {
    /// GET_BROKER_CONFIG (26): every config key as `key=value` lines
    /// (`Configuration.getAllConfigsFormatString`), the configuration's
    /// DataVersion JSON in the `version` header.
    pub(crate) fn get_broker_config(&self) -> Result<Response, ProcessError> {
        let admin = self.host.broker_admin().map_err(host_failure)?;
        let text = admin.config_text();
        let mut response = Response::success();
        if !text.properties.is_empty() {
            response = response.with_body(text.properties.into_bytes());
        }
        Ok(response.with_text("version", &text.data_version))
    }

    /// UPDATE_BROKER_CONFIG (25): the body is properties text; blacklisted
    /// keys are refused with NO_PERMISSION; the rest is applied live and
    /// persisted by the host (`Configuration.update`). No body: SUCCESS.
    pub(crate) fn update_broker_config(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        self.host.info(&format!(
            "Broker receive request to update config, caller address={}",
            request.remote_addr()
        ));
        let body = request.body();
        if body.is_empty() {
            return Ok(Response::success());
        }
        let text = String::from_utf8_lossy(body);
        let properties = parse_properties(&text);
        self.host.info(&format!(
            "updateBrokerConfig, new config: [{}] client: {}",
            properties
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            request.remote_addr()
        ));
        let black_list = self
            .host
            .config()
            .value("configBlackList")
            .unwrap_or_else(|| DEFAULT_CONFIG_BLACK_LIST.to_owned());
        let refused = |key: &str| {
            BUILT_IN_BLACK_LIST.contains(&key) || black_list.split(';').any(|black| black == key)
        };
        if properties.iter().any(|(key, _)| refused(key)) {
            return Ok(Response::error(
                ResponseCode::NO_PERMISSION,
                BLACK_LIST_REMARK,
            ));
        }
        let admin = self.host.broker_admin().map_err(host_failure)?;
        admin.update_config(&properties).map_err(|error| {
            ProcessError::respond(ResponseCode::INVALID_PARAMETER, error.to_string())
        })?;
        Ok(Response::success())
    }
}

/// `java.util.Properties.load` of `text`: `key=value`, `key: value`,
/// `key value`; `#`/`!` comment lines; `\` continuations; `\t \n \r \f
/// \uXXXX` escapes. A repeated key keeps its first position and last value.
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in logical_lines(text) {
        let (key, value) = split_key_value(&line);
        let (key, value) = (unescape(key), unescape(value));
        match entries.iter_mut().find(|(known, _)| *known == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
    }
    entries
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Natural lines joined into logical lines (a line ending in an odd number
/// of backslashes continues, the next line's leading blanks dropped);
/// blank and comment lines skipped; leading blanks removed.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current: Option<String> = None;
    for natural in text.split(['\n', '\r']) {
        let trimmed = natural.trim_start_matches(is_blank);
        let mut piece = match &current {
            Some(_) => trimmed.to_owned(),
            None => {
                if trimmed.is_empty() || trimmed.starts_with(['#', '!']) {
                    continue;
                }
                trimmed.to_owned()
            }
        };
        let backslashes = piece.chars().rev().take_while(|c| *c == '\\').count();
        let continues = backslashes % 2 == 1;
        if continues {
            piece.pop();
        }
        let mut joined = current.take().unwrap_or_default();
        joined.push_str(&piece);
        if continues {
            current = Some(joined);
        } else {
            lines.push(joined);
        }
    }
    if let Some(last) = current {
        lines.push(last);
    }
    lines
}

/// The raw (still escaped) key and value of a logical line.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    let mut separator = false;
    for (index, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => {
                key_end = index;
                separator = true;
                break;
            }
            c if is_blank(c) => {
                key_end = index;
                break;
            }
            _ => {}
        }
    }
    let key = &line[..key_end];
    let mut rest = &line[key_end..];
    if separator {
        rest = &rest[1..];
    } else {
        rest = rest.trim_start_matches(is_blank);
        if let Some(after) = rest.strip_prefix(['=', ':']) {
            rest = after;
        }
    }
    (key, rest.trim_start_matches(is_blank))
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) if hex.len() == 4 => out.push(decoded),
                    // Java throws "Malformed \uxxxx encoding"; keep the text.
                    _ => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
