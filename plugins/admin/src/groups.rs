//! DELETE_SUBSCRIPTIONGROUP (207), as Java's
//! `AdminBrokerProcessor.deleteSubscriptionGroup`.

use plugin_api::sdk::{ProcessError, Request, Response};

use crate::broker_config::host_failure;
use crate::AdminPlugin;

impl AdminPlugin {
    /// DELETE_SUBSCRIPTIONGROUP (207): `groupName`, `cleanOffset`. The
    /// group's config leaves `subscriptionGroup.json`; with `cleanOffset`
    /// its offsets go too (`ConsumerOffsetManager.removeOffset`). SUCCESS
    /// whether or not the group existed, as Java answers.
    pub(crate) fn delete_subscription_group(
        &self,
        request: &Request<'_>,
    ) -> Result<Response, ProcessError> {
        let group: String = request.required("groupName")?;
        let clean_offset: bool = request.optional("cleanOffset")?.unwrap_or(false);
        self.host.info(&format!(
            "AdminBrokerProcessor#deleteSubscriptionGroup, caller={}",
            request.remote_addr()
        ));
        let admin = self.host.broker_admin().map_err(host_failure)?;
        if !admin.delete_subscription_group(&group, clean_offset) {
            self.host.warn(&format!(
                "delete subscription group failed, subscription group: {group} not exist"
            ));
        }
        Ok(Response::success())
    }
}
