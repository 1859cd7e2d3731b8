//! The TCP side: listeners, one task pair per connection, frames in and out.

pub mod connection;
pub mod directory;
mod outbound;
pub mod server;

pub use connection::ConnectionHandle;
pub use directory::ConnectionDirectory;
pub use server::{RemotingServer, ServerConfig};
