//! The name server's KV config reads (`DefaultRequestProcessor.getKVConfig`,
//! `getKVListByNamespace`). mqadmin asks them for `ORDER_TOPIC_CONFIG`
//! (`updateTopic -o`, `updateOrderConf`) and the dashboard for its
//! namespaces. The embedded name server keeps no KV config (PUT_KV_CONFIG
//! is not served), so every lookup answers Java's "not found".

use plugin_api::sdk::{ProcessError, Request, Response, ResponseCode};

/// GET_KV_CONFIG (101): `GetKVConfigRequestHeader` (`namespace`, `key`,
/// both required) → QUERY_NOT_FOUND `No config item, Namespace: N Key: K`.
pub fn kv_config(request: &Request<'_>) -> Result<Response, ProcessError> {
    let namespace: String = request.required("namespace")?;
    let key: String = request.required("key")?;
    Ok(Response::error(
        ResponseCode::QUERY_NOT_FOUND,
        format!("No config item, Namespace: {namespace} Key: {key}"),
    ))
}

/// GET_KVLIST_BY_NAMESPACE (219): `namespace` (required) → QUERY_NOT_FOUND
/// `No config item, Namespace: N`.
pub fn kv_list_by_namespace(request: &Request<'_>) -> Result<Response, ProcessError> {
    let namespace: String = request.required("namespace")?;
    Ok(Response::error(
        ResponseCode::QUERY_NOT_FOUND,
        format!("No config item, Namespace: {namespace}"),
    ))
}
