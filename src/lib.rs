//! smtpdoctor: a diagnostic SMTP probe that records every byte and explains what it saw.

pub mod finding;
pub mod mock;
pub mod scenarios;
