//! The server family: checks over what a server sent (and how it answered what was sent to it).

pub mod active;
pub mod connect;
pub mod data;
pub mod dns;
pub mod ehlo;
pub mod enhanced;
pub mod envelope;
pub mod greeting;
pub mod syntax;
pub mod timing;
pub mod tls;
