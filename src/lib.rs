//! smtpdoctor: a diagnostic SMTP tool that records every byte and explains what it saw.
//!
//! The shape is "record, then judge": the [`session`] (the probe's client dialogue) and the
//! [`server`] (mock, later proxy) talk and append every read and write to a role-neutral
//! [`record::Record`]; the [`checks`] are pure functions over that record (and the [`dns`]
//! answers) that return [`checks::Finding`]s; [`report`] gathers them into a typed model and the
//! [`output`] printers format it. [`wire`] is the sans-IO protocol code both sides share, and
//! [`knowledge`] holds the catalog of findings and the known MTA error texts behind `explain`.

pub mod batch;
pub mod checks;
pub mod cli;
pub mod config;
pub mod dns;
pub mod knowledge;
pub mod output;
pub mod probe;
pub mod record;
pub mod report;
pub mod server;
pub mod session;
pub mod wire;
