//! VIEW_BROKER_STATS_DATA (315): one `BrokerStatsManager` item's minute,
//! hour and day figures (`AdminBrokerProcessor.ViewBrokerStatsData`), as
//! mqadmin `statsAll` and the dashboard read them.

use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{Host, ProcessError, Request, Response, ResponseCode, StatsWindow};

use crate::ops::operations;

/// `ViewBrokerStatsDataRequestHeader` (`statsName`, `statsKey`, both
/// required) → `BrokerStatsData`; SYSTEM_ERROR `The stats <name> <key> not
/// exist` for an unknown name or a key never counted.
pub fn view_broker_stats_data(
    host: &Host,
    request: &Request<'_>,
) -> Result<Response, ProcessError> {
    let stats_name: String = request.required("statsName")?;
    let stats_key: String = request.required("statsKey")?;
    let Some(item) = operations(host)?.stats_item(&stats_name, &stats_key) else {
        return Err(ProcessError::respond(
            ResponseCode::SYSTEM_ERROR,
            format!("The stats <{stats_name}> <{stats_key}> not exist"),
        ));
    };
    // `BrokerStatsData` and `BrokerStatsItem`, fields in fastjson's order.
    let mut w = JsonWriter::new();
    w.begin_object();
    for (key, window) in [
        ("statsDay", item.day),
        ("statsHour", item.hour),
        ("statsMinute", item.minute),
    ] {
        w.key(key);
        write_item(&mut w, &window);
    }
    w.end_object();
    Ok(Response::success().with_body(w.into_bytes()))
}

fn write_item(w: &mut JsonWriter, window: &StatsWindow) {
    w.begin_object()
        .field_double("avgpt", window.avgpt)
        .field_int("sum", window.sum)
        .field_double("tps", window.tps)
        .end_object();
}
