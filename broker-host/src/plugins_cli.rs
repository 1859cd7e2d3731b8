//! `broker-host plugins …`: the operator's side of the management codes
//! (part of the binary, not the library): sends one request to a running
//! broker and renders its answer.
//!
//! The listing is read leniently: a key a broker does not send (an older
//! one, or a built-in processor without a library) shows as `-` rather than
//! failing the whole listing.

use anyhow::{bail, Context};
use plugin_api::codec::RemotingCommand;
use plugin_api::codes::response_code;
use plugin_api::serde_json::{self, Map, Value};

use broker_host::config::cli::PluginAction;
use broker_host::plugin_host::management;

use broker_host::plugin_host::management::WHO_SERVES;

/// Runs `action` against the broker at `addr`; returns what to print.
pub fn run(addr: &str, action: &PluginAction) -> anyhow::Result<String> {
    match action {
        PluginAction::List { json } => {
            let response = call(addr, management::LIST_PROCESSORS, &[])?;
            let body = answer_body(response)?;
            if *json {
                return Ok(format!("{}\n", body.trim_end()));
            }
            Ok(render_table(&parse_listing(&body)?))
        }
        PluginAction::Who { code } => who(addr, *code),
        PluginAction::Reload => {
            let response = call(addr, management::RELOAD_PROCESSORS, &[])?;
            Ok(format!("{}\n", answer_body(response)?.trim_end()))
        }
        PluginAction::Rollback { name } => {
            let response = call(addr, management::ROLLBACK_PROCESSOR, &[("name", name)])?;
            Ok(format!("{}\n", answer_body(response)?.trim_end()))
        }
        PluginAction::Check { .. } => {
            anyhow::bail!("`plugins check` runs in this process, not against a broker")
        }
    }
}

fn call(addr: &str, code: i32, fields: &[(&str, &str)]) -> anyhow::Result<RemotingCommand> {
    management::call(addr, code, fields).map_err(anyhow::Error::msg)
}

/// The body of a successful answer; any other answer is the error, on one
/// line (a multi-line remark, such as a reload's per-entry failures, is
/// joined with `; `).
fn answer_body(response: RemotingCommand) -> anyhow::Result<String> {
    if response.code != response_code::SUCCESS {
        let remark = response.remark.unwrap_or_default();
        let remark = remark
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        bail!("broker answered code {}: {remark}", response.code);
    }
    Ok(String::from_utf8_lossy(&response.body).into_owned())
}

fn who(addr: &str, code: i32) -> anyhow::Result<String> {
    let text = code.to_string();
    let response = call(addr, WHO_SERVES, &[("code", &text)])?;
    if response.code == response_code::REQUEST_CODE_NOT_SUPPORTED {
        // A broker from before WHO_SERVES: find the code in its listing.
        let listing = answer_body(call(addr, management::LIST_PROCESSORS, &[])?)?;
        let rows = parse_listing(&listing)?;
        return match rows.iter().find(|row| row.codes.contains(&code)) {
            Some(row) => Ok(who_line(code, &row.name, &row.version)),
            None => bail!("no processor serves code {code}"),
        };
    }
    if response.code == response_code::SYSTEM_ERROR {
        // "no processor serves code N": the answer, not a failure to ask.
        bail!("{}", response.remark.unwrap_or_default().trim());
    }
    let body = answer_body(response)?;
    let value: Value = serde_json::from_str(&body)
        .with_context(|| format!("the broker's WHO_SERVES answer is not JSON: {body}"))?;
    let object = value.as_object().cloned().unwrap_or_default();
    Ok(who_line(
        code,
        &text_of(&object, "name"),
        &text_of(&object, "version"),
    ))
}

fn who_line(code: i32, name: &str, version: &str) -> String {
    format!("code {code} is served by {name} {version}\n")
}

/// Counters of one processor.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counters {
    served: String,
    errors: String,
    busy: String,
    panics: String,
}

/// One processor of the listing, every value already as text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    version: String,
    previous_version: String,
    abi: String,
    codes: Vec<i32>,
    threads: String,
    queue_depth: String,
    queue_capacity: String,
    since_load: Counters,
    lifetime: Counters,
    loaded_at: String,
    library: String,
    private_copy: String,
}

/// Reads LIST_PROCESSORS's JSON array; keys that are absent or null read `-`.
fn parse_listing(body: &str) -> anyhow::Result<Vec<Row>> {
    let value: Value = serde_json::from_str(body)
        .with_context(|| format!("the broker's LIST_PROCESSORS answer is not JSON: {body}"))?;
    let Value::Array(entries) = value else {
        bail!("the broker's LIST_PROCESSORS answer is not a JSON array: {body}");
    };
    let empty = Map::new();
    Ok(entries
        .iter()
        .map(|entry| {
            let object = entry.as_object().unwrap_or(&empty);
            let counters = |key: &str| {
                let nested = object.get(key).and_then(Value::as_object);
                // A broker from before `sinceLoad` had these at the top level,
                // counted since load.
                let fallback = (key == "sinceLoad").then_some(object);
                let read = |counter: &str| match nested {
                    Some(nested) => text_of(nested, counter),
                    None => fallback.map_or_else(|| "-".to_owned(), |o| text_of(o, counter)),
                };
                Counters {
                    served: read("served"),
                    errors: read("errors"),
                    busy: read("busy"),
                    panics: read("panics"),
                }
            };
            Row {
                name: text_of(object, "name"),
                version: text_of(object, "version"),
                previous_version: text_of(object, "previousVersion"),
                abi: text_of(object, "abi"),
                codes: object
                    .get("codes")
                    .and_then(Value::as_array)
                    .map(|codes| {
                        codes
                            .iter()
                            .filter_map(Value::as_i64)
                            .filter_map(|code| i32::try_from(code).ok())
                            .collect()
                    })
                    .unwrap_or_default(),
                threads: text_of(object, "threads"),
                queue_depth: text_of(object, "queueDepth"),
                queue_capacity: text_of(object, "queueCapacity"),
                since_load: counters("sinceLoad"),
                lifetime: counters("lifetime"),
                loaded_at: object
                    .get("loadedAt")
                    .and_then(Value::as_i64)
                    .map_or_else(|| "-".to_owned(), utc_timestamp),
                library: text_of(object, "library"),
                private_copy: text_of(object, "privateCopy"),
            }
        })
        .collect())
}

/// A value as the table shows it: strings bare, numbers and booleans as
/// written, anything absent or null as `-`.
fn text_of(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(text)) if text.is_empty() => "-".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Sorted codes with runs collapsed: `[31, 29, 30, 32, 14]` → `14,29-32`.
fn codes_text(codes: &[i32]) -> String {
    if codes.is_empty() {
        return "-".to_owned();
    }
    let mut sorted = codes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut index = 0;
    while index < sorted.len() {
        let start = sorted[index];
        let mut end = start;
        while index + 1 < sorted.len() && sorted[index + 1] == end + 1 {
            index += 1;
            end += 1;
        }
        parts.push(match end - start {
            0 => start.to_string(),
            1 => format!("{start},{end}"),
            _ => format!("{start}-{end}"),
        });
        index += 1;
    }
    parts.join(",")
}

/// Epoch milliseconds as `YYYY-MM-DD HH:MM:SSZ` (UTC).
fn utc_timestamp(epoch_millis: i64) -> String {
    let seconds = epoch_millis.div_euclid(1000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The listing as an aligned table, one processor a line.
fn render_table(rows: &[Row]) -> String {
    const HEADER: [&str; 14] = [
        "NAME",
        "VERSION",
        "PREVIOUS",
        "ABI",
        "CODES",
        "THREADS",
        "QUEUE",
        "SERVED",
        "ERRORS",
        "BUSY",
        "PANICS",
        "LOADED",
        "LIBRARY",
        "PRIVATE COPY",
    ];
    // Numbers read best right-aligned.
    const RIGHT: [bool; 14] = [
        false, false, false, false, false, true, true, true, true, true, true, false, false, false,
    ];
    let pair = |since: &str, lifetime: &str| format!("{since}/{lifetime}");
    let cells: Vec<[String; 14]> = rows
        .iter()
        .map(|row| {
            [
                row.name.clone(),
                row.version.clone(),
                row.previous_version.clone(),
                row.abi.clone(),
                codes_text(&row.codes),
                row.threads.clone(),
                format!("{}/{}", row.queue_depth, row.queue_capacity),
                pair(&row.since_load.served, &row.lifetime.served),
                pair(&row.since_load.errors, &row.lifetime.errors),
                pair(&row.since_load.busy, &row.lifetime.busy),
                pair(&row.since_load.panics, &row.lifetime.panics),
                row.loaded_at.clone(),
                row.library.clone(),
                row.private_copy.clone(),
            ]
        })
        .collect();
    let mut widths = HEADER.map(|title| title.chars().count());
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADER.map(str::to_owned);
    for line in std::iter::once(&header).chain(&cells) {
        let mut text = String::new();
        for (column, cell) in line.iter().enumerate() {
            if column > 0 {
                text.push_str("  ");
            }
            let pad = widths[column] - cell.chars().count();
            if RIGHT[column] {
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out.push_str(
        "QUEUE: waiting/capacity. SERVED, ERRORS, BUSY, PANICS: since this version loaded/over the broker's life.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"[
      {"name":"send","version":"0.2.0","previousVersion":"0.1.0","abi":"1.1.0",
       "library":"libs/libsend_plugin.so","privateCopy":"/store/plugin-copies/send-1.so",
       "loadedAt":1700000000123,"codes":[310,10,320,36],"threads":4,"queueCapacity":10000,
       "queueDepth":3,"sinceLoad":{"served":12,"errors":1,"busy":0,"panics":0},
       "lifetime":{"served":40,"errors":2,"busy":5,"panics":1},"builtin":false},
      {"name":"plugin-management","version":"0.1.0","previousVersion":null,"codes":[9100,9101,9102,9103],
       "threads":1,"queueCapacity":64,"queueDepth":0,"builtin":true}
    ]"#;

    #[test]
    fn the_listing_reads_every_key_and_shows_missing_ones_as_a_dash() {
        let rows = parse_listing(LISTING).expect("parses");
        assert_eq!(rows.len(), 2);
        let send = &rows[0];
        assert_eq!(
            (
                send.name.as_str(),
                send.version.as_str(),
                send.previous_version.as_str()
            ),
            ("send", "0.2.0", "0.1.0")
        );
        assert_eq!(send.abi, "1.1.0");
        assert_eq!(send.since_load.served, "12");
        assert_eq!(send.lifetime.busy, "5");
        assert_eq!(send.loaded_at, "2023-11-14 22:13:20Z");
        assert_eq!(send.private_copy, "/store/plugin-copies/send-1.so");
        let builtin = &rows[1];
        assert_eq!(builtin.previous_version, "-", "null");
        assert_eq!(builtin.abi, "-", "absent");
        assert_eq!(builtin.since_load.served, "-");
        assert_eq!(builtin.lifetime.panics, "-");
        assert_eq!(builtin.loaded_at, "-");
    }

    #[test]
    fn the_older_flat_counters_are_read_as_since_load() {
        let rows =
            parse_listing(r#"[{"name":"x","served":7,"errors":2,"busy":1,"panics":0}]"#).unwrap();
        assert_eq!(rows[0].since_load.served, "7");
        assert_eq!(rows[0].since_load.errors, "2");
        assert_eq!(rows[0].lifetime.served, "-");
    }

    #[test]
    fn a_listing_that_is_not_an_array_is_an_error() {
        assert!(parse_listing("{}").is_err());
        assert!(parse_listing("not json").is_err());
        // An element that is not an object is a row of dashes, not a failure.
        assert_eq!(parse_listing("[1]").unwrap()[0].name, "-");
    }

    #[test]
    fn the_table_is_aligned_in_columns() {
        let table = render_table(&parse_listing(LISTING).unwrap());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("NAME "), "{table}");
        // Every column starts at the same place on every line.
        let column = |title: &str| lines[0].find(title).expect(title);
        assert_eq!(lines[1].find("0.2.0"), Some(column("VERSION")), "{table}");
        assert_eq!(lines[2].find("0.1.0"), Some(column("VERSION")), "{table}");
        assert!(lines[1].contains("10,36,310,320"), "{table}");
        assert!(lines[2].contains("9100-9103"), "{table}");
        // Right-aligned numbers end where their title ends.
        let served_end = column("SERVED") + "SERVED".len();
        assert_eq!(&lines[1][served_end - 5..served_end], "12/40", "{table}");
        assert_eq!(&lines[2][served_end - 3..served_end], "-/-", "{table}");
        assert!(lines[3].starts_with("QUEUE: waiting/capacity"));
    }

    #[test]
    fn code_runs_collapse() {
        assert_eq!(codes_text(&[31, 29, 30, 32, 14]), "14,29-32");
        assert_eq!(codes_text(&[42, 41]), "41,42");
        assert_eq!(codes_text(&[]), "-");
    }

    #[test]
    fn timestamps_are_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400_000), "2000-02-29 00:00:00Z");
        assert_eq!(utc_timestamp(1_709_251_199_999), "2024-02-29 23:59:59Z");
    }
}
