//! Sans-IO SMTP wire code: reply parsing, EHLO capabilities and command encoding. No tokio here.

pub mod command;
pub mod ehlo;
pub mod escape;
pub mod probes;
pub mod queue_id;
pub mod reply;
pub mod request;
pub mod stuff;
pub mod timeouts;
