//! smtpdoctor: a diagnostic SMTP probe that records every byte and explains what it saw.

pub mod catalog;
pub mod explain;
pub mod explain_text;
pub mod finding;
