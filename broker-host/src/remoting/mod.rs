//! The TCP side: listeners, one task pair per connection, frames in and out.
//!
//! Remoting depends on nothing else in the host: a connection hands each
//! decoded request to a [`RequestHandler`] (implemented by `dispatch`), and
//! answers go back through its [`ConnectionHandle`].

pub mod calls;
pub mod connection;
pub mod directory;
pub mod handle;
pub mod handler;
mod outbound;
pub mod server;

pub use calls::CallError;
pub use directory::ConnectionDirectory;
pub use handle::ConnectionHandle;
pub use handler::RequestHandler;
pub use server::{PortKind, RemotingServer, ServerConfig};
