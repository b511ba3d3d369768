//! smtpdoctor: a diagnostic SMTP probe that records every byte and explains what it saw.
//!
//! The shape is "record, then judge": the [`session`] talks and appends every read and write to
//! an [`event::Record`]; the [`checks`] are pure functions over that record that return
//! [`finding::Finding`]s; [`report`] gathers them and the [`output`] printers format the result.
//! [`active`] runs the opt-in active tests on connections of their own, recorded the same way.
//! [`mock`] is the scripted server behind `demo`, `mock` and the tests.

pub mod active;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod event;
pub mod explain;
pub mod explain_text;
pub mod finding;
pub mod message;
pub mod mock;
pub mod output;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod scenarios;
pub mod session;
pub mod tls;
pub mod wire;
