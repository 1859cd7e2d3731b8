//! The TCP side: listeners, one task pair per connection, frames in and out.

pub mod connection;
pub mod server;

pub use connection::ConnectionHandle;
pub use server::{RemotingServer, ServerConfig};
