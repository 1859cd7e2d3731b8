//! The contract between the broker host and its processor plugins.
//!
//! - [`codec`]: the RocketMQ remoting protocol (frames, JSON and binary headers),
//!   shared as ordinary Rust by the host, plugins and tests.
//! - [`codes`]: request and response codes.
//! - [`fastjson`]: the one JSON writer (`JsonWriter`), byte-compatible with
//!   Java RocketMQ's fastjson bodies and config files.
//! - [`ffi`]: the stable-ABI types that cross the library boundary (abi_stable).
//! - [`topics`]: topic naming rules, permission bits, system topic names.
//! - [`sdk`]: what a plugin author writes against, and [`export_plugin!`].

#![warn(missing_docs)]

pub mod codec;
pub mod codes;
pub mod fastjson;
pub mod ffi;
pub mod filter;
pub mod message;
pub mod sdk;
pub mod topics;

pub use abi_stable;
pub use serde_json;
