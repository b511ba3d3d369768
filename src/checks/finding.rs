//! Findings: what the checks conclude about a peer, with severity, place, reference and fix.

use crate::knowledge::Severity;
use crate::record::Stage;
use serde::Serialize;

/// Where in the record a finding points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// No particular line (e.g. a refused connect).
    None,
    /// A server line (index into `Record::lines`).
    Line(usize),
    /// An event (a client write, a timeout, the TLS handshake...).
    Event(usize),
}

/// One conclusion of the checks (SPEC §3).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable id from the catalog, e.g. `greeting-fragmented`.
    pub id: &'static str,
    /// Severity (the catalog default unless the check had a reason to change it).
    pub severity: Severity,
    /// Dialogue stage.
    pub stage: Stage,
    /// Attempt number (0-based), None for DNS-level findings.
    pub attempt: Option<usize>,
    /// Where it points (converted to a transcript index by the report).
    #[serde(skip)]
    pub anchor: Anchor,
    /// One line.
    pub summary: String,
    /// What was seen, with bytes or timing.
    pub detail: String,
    /// RFC section or source.
    pub reference: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

impl Finding {
    /// A finding with the catalog's severity, reference and fix for `id`.
    ///
    /// # Panics
    /// When `id` is not in the catalog: that is a programming error caught by the tests.
    pub fn new(
        id: &'static str,
        stage: Stage,
        anchor: Anchor,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        let entry = crate::knowledge::catalog::entry(id)
            .unwrap_or_else(|| panic!("finding id {id:?} is missing from the catalog"));
        Finding {
            id: entry.id,
            severity: entry.severity,
            stage,
            attempt: None,
            anchor,
            summary: summary.into(),
            detail: detail.into(),
            reference: entry.reference,
            fix: entry.fix,
        }
    }

    /// Changes the severity (e.g. `mx-null` is an error when other MX records exist).
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}
