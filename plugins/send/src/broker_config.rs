//! What the send path reads from the broker configuration: read once, when
//! the plugin starts, so that a send looks nothing up.

use plugin_api::sdk::message::{properties as prop, Properties};
use plugin_api::sdk::{topics, Host, Response, StartError};

use crate::schedule::timer_precision;

use plugin_api::sdk::topics::DEFAULT_DELAY_LEVELS;

/// The broker configuration a send needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerSettings {
    /// `regionId`: MSG_REGION of every sent message and send answer.
    pub region_id: String,
    /// `traceOn`: TRACE_ON of every sent message and send answer.
    pub trace_on: String,
    /// `brokerClusterName`: the CLUSTER property of every sent message.
    pub cluster_name: String,
    /// `brokerPermission` (R=4, W=2).
    pub broker_permission: i32,
    /// Number of `messageDelayLevel` levels: the highest DELAY honoured.
    pub max_delay_level: i32,
    /// `rejectTransactionMessage`: half messages are refused.
    pub reject_transaction_message: bool,
    /// `brokerIP1`, which the refusal of a half message names.
    pub broker_ip1: String,
    /// `timerWheelEnable`: timer messages are accepted.
    pub timer_wheel_enable: bool,
    /// `timerPrecisionMs`, normalised to 100, 200, 500 or 1000.
    pub timer_precision_ms: i64,
    /// `timerMaxDelaySec`.
    pub timer_max_delay_sec: i64,
}

impl BrokerSettings {
    /// Reads the settings from the host's broker configuration. An invalid
    /// `messageDelayLevel` refuses the start.
    pub fn read(host: &Host) -> Result<Self, StartError> {
        let config = host.config();
        let delay_levels = topics::parse_delay_levels(
            &config
                .value("messageDelayLevel")
                .unwrap_or_else(|| DEFAULT_DELAY_LEVELS.into()),
        )?;
        let identity = host.identity();
        Ok(BrokerSettings {
            region_id: config
                .value("regionId")
                .unwrap_or_else(|| "DefaultRegion".into()),
            trace_on: config.value("traceOn").unwrap_or_else(|| "true".into()),
            cluster_name: identity.cluster_name,
            broker_permission: identity.broker_permission,
            max_delay_level: delay_levels.len() as i32,
            reject_transaction_message: host.config_or("rejectTransactionMessage", false),
            broker_ip1: config.value("brokerIP1").unwrap_or_else(|| {
                let addr = &identity.broker_addr;
                addr.rsplit_once(':')
                    .map_or(addr.as_str(), |(ip, _)| ip)
                    .to_owned()
            }),
            timer_wheel_enable: host.config_or("timerWheelEnable", true),
            timer_precision_ms: timer_precision(host.config_or("timerPrecisionMs", 1000)),
            timer_max_delay_sec: host.config_or("timerMaxDelaySec", 3 * 24 * 3600),
        })
    }

    /// MSG_REGION and TRACE_ON, which Java's
    /// `AbstractSendMessageProcessor.buildMsgContext` puts in every sent
    /// message's properties (a consumer's trace hook reads them).
    pub fn add_trace_properties<'t>(&'t self, properties: &mut Properties<'t>) {
        properties.insert(prop::MSG_REGION, self.region_id.as_str());
        properties.insert(prop::TRACE_ON, self.trace_on.as_str());
    }

    /// The Java client reads MSG_REGION / TRACE_ON of a send answer without
    /// a null check, so every send answer carries them, errors included
    /// (CONSUMER_SEND_MSG_BACK's does not).
    pub fn with_trace_fields(&self, response: Response) -> Response {
        response
            .with_text(prop::MSG_REGION, &self.region_id)
            .with_text(prop::TRACE_ON, &self.trace_on)
    }
}
