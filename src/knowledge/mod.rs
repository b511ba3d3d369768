//! What smtpdoctor knows: the catalog of findings (meaning, causes, fix, reference), the known
//! MTA error texts and the matcher behind `explain`.

pub mod catalog;
pub mod explain;
pub mod known_errors;
pub mod policy;
pub mod severity;

pub use severity::Severity;
