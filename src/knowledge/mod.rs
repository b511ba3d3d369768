//! What smtpdoctor knows: the catalog of findings (meaning, causes, fix, reference), the known
//! MTA error texts and the matcher behind `explain`, the meanings of reply codes (RFC 5321,
//! RFC 3463 and the IANA registry).

pub mod catalog;
pub mod codes;
pub mod explain;
pub mod known_errors;
pub mod policy;
pub mod severity;

pub use severity::Severity;
