//! GET_PRODUCER_CONNECTION_LIST (204), as Java's
//! `AdminBrokerProcessor.getProducerConnectionList`.

use plugin_api::sdk::codec::LanguageCode;
use plugin_api::sdk::fastjson::JsonWriter;
use plugin_api::sdk::{LiveChannel, ProcessError, Request, Response, ResponseCode};

use crate::broker_config::host_failure;
use crate::AdminPlugin;

/// A `Connection` object of a `connectionSet` (fastjson field order).
pub(crate) fn write_connection(w: &mut JsonWriter, channel: &LiveChannel) {
    w.begin_object()
        .field_str("clientAddr", channel.client_addr.as_str())
        .field_str("clientId", channel.client_id.as_str())
        .field_str("language", LanguageCode::from_byte(channel.language).name())
        .field_int("version", i64::from(channel.version))
        .end_object();
}

impl AdminPlugin {
    /// GET_PRODUCER_CONNECTION_LIST (204): `ProducerConnection`
    /// (`{"connectionSet":[Connection...]}`) of the group's live channels;
    /// SYSTEM_ERROR "the producer group[..] not exist" when none is live.
    pub(crate) fn producer_connections(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        let group: String = request.required("producerGroup")?;
        let admin = self.host.broker_admin().map_err(host_failure)?;
        let channels = admin.producer_channels(&group);
        if channels.is_empty() {
            return Ok(Response::error(
                ResponseCode::SYSTEM_ERROR,
                format!("the producer group[{group}] not exist"),
            ));
        }
        let mut w = JsonWriter::new();
        w.begin_object().key("connectionSet").begin_array();
        for channel in &channels {
            write_connection(&mut w, channel);
        }
        w.end_array().end_object();
        Ok(Response::success().with_body(w.into_bytes()))
    }
}
