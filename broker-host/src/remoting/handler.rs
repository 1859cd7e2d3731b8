//! Where a connection hands each request it decodes. Remoting knows nothing
//! of request codes, pools or plugins: the broker gives every listener a
//! handler (the dispatcher) when it binds it.

use plugin_api::codec::RemotingCommand;

use super::server::PortKind;
use super::ConnectionHandle;

/// Takes the requests every connection decodes, on the connection's network
/// thread; it must not block (it queues the request, or answers it at once).
pub trait RequestHandler: Send + Sync {
    /// One request read on `connection` from the `port` listener. `lone` is
    /// true when it is the connection's only request in flight and nothing
    /// more was read behind it: running it on this very thread then saves a
    /// hand-off and delays nothing else of this connection.
    fn handle(
        &self,
        request: RemotingCommand,
        connection: ConnectionHandle,
        port: PortKind,
        lone: bool,
    );
}
