//! Findings: what the checks conclude about a server, with severity, place, reference and fix.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a fault.
    Info,
    /// A fault that some senders trip over.
    Warning,
    /// A fault that breaks delivery or violates the protocol.
    Error,
}

impl Severity {
    /// The lower-case name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stage of the dialogue a finding or a transcript line belongs to (SPEC §5 `stage`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stage {
    /// MX, A/AAAA and PTR lookups.
    Dns,
    /// TCP connect.
    Connect,
    /// Waiting for and reading the 220 greeting.
    Greeting,
    /// EHLO or HELO (before or after TLS).
    Ehlo,
    /// The STARTTLS command and its reply.
    Starttls,
    /// The TLS handshake and certificate.
    Tls,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, the message and the reply to the final dot.
    Data,
    /// RSET and QUIT.
    Quit,
    /// An opt-in active test (`test:<name>`).
    Test(&'static str),
}

impl Stage {
    /// The name used in JSON (`dns`, `connect`, ..., `test:<name>`).
    pub fn name(&self) -> String {
        match self {
            Stage::Dns => "dns".into(),
            Stage::Connect => "connect".into(),
            Stage::Greeting => "greeting".into(),
            Stage::Ehlo => "ehlo".into(),
            Stage::Starttls => "starttls".into(),
            Stage::Tls => "tls".into(),
            Stage::Mail => "mail".into(),
            Stage::Rcpt => "rcpt".into(),
            Stage::Data => "data".into(),
            Stage::Quit => "quit".into(),
            Stage::Test(name) => format!("test:{name}"),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

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
        let entry = crate::catalog::entry(id)
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
