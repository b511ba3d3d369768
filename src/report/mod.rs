//! The report of a probe: attempts, findings, verdict and exit code (SPEC §2).
//!
//! The printers consume it with its transcripts built once ([`Report::annotate`]); the JSON
//! document is [`document`], the `explain --json` document [`explain`].

pub mod client;
pub mod document;
pub mod explain;
pub mod policy;
pub mod schema;
#[cfg(test)]
pub(crate) mod testkit;
pub mod transcript;

pub use transcript::{
    Dir, Entry, EntryKind, Line, Local, ReadRef, Transcript, anchor_index, transcript,
};

use crate::checks::Finding;
use crate::knowledge::Severity;
use crate::record::attempt::Attempt;
use crate::record::dns::DnsReport;
use std::time::SystemTime;

/// Overall verdict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing of warning or error severity, and the dialogue got through.
    Ok,
    /// Warnings, no errors.
    Warning,
    /// Errors, or no attempt got through.
    Error,
}

impl Verdict {
    /// The monitoring-plugins exit code (0, 1, 2).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Ok => 0,
            Verdict::Warning => 1,
            Verdict::Error => 2,
        }
    }
}

/// Whether a host was tried, and why not (SPEC §5 `plan`).
///
/// Serialized as it stands in the JSON document: its fields are declared in the document's
/// (lexicographic) key order.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct PlanEntry {
    /// Address, when it had one.
    pub address: Option<std::net::IpAddr>,
    /// Attempt number when tried.
    pub attempt: Option<usize>,
    /// Host name.
    pub host: String,
    /// MX preference.
    pub preference: Option<u16>,
    /// Why it was not tried.
    pub skipped: Option<String>,
}

/// A whole probe's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target as the user gave it.
    pub target: String,
    /// Start time.
    pub started_at: SystemTime,
    /// Total duration, ms.
    pub duration_ms: f64,
    /// The DNS answers (None with `--server IP`).
    pub dns: Option<DnsReport>,
    /// Which hosts and addresses were tried or skipped.
    pub plan: Vec<PlanEntry>,
    /// Attempts in order.
    pub attempts: Vec<Attempt>,
    /// All findings (DNS first, then per attempt in dialogue order).
    pub findings: Vec<Finding>,
    /// The stage the probe aimed at (`--quit-after`).
    pub aimed: &'static str,
    /// Things the probe decided not to do, and why (e.g. active tests without a usable server).
    pub notes: Vec<String>,
    /// Delivery security policy (SPEC §9); `None` where it was not evaluated.
    pub policy: Option<policy::PolicyReport>,
    /// The probe was interrupted (Ctrl-C) and judged on what was recorded until then.
    pub interrupted: bool,
}

impl Report {
    /// Whether some attempt of the probe's own dialogue (not an active test) went through to
    /// the aimed stage.
    pub fn got_through(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| a.test.is_none() && a.completed())
    }

    /// The verdict (SPEC §2).
    pub fn verdict(&self) -> Verdict {
        let worst = self.findings.iter().map(|f| f.severity).max();
        // An interrupted probe counts as CRITICAL: what it did not see may hide anything.
        if worst == Some(Severity::Error) || !self.got_through() || self.interrupted {
            Verdict::Error
        } else if worst == Some(Severity::Warning) {
            Verdict::Warning
        } else {
            Verdict::Ok
        }
    }

    /// Findings of one attempt.
    pub fn findings_of(&self, attempt: usize) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |f| f.attempt == Some(attempt))
    }

    /// Counts per severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
    }

    /// The report with each attempt's transcript built, findings attached: what the text and
    /// JSON printers consume.
    pub fn annotate(&self) -> Annotated<'_> {
        Annotated {
            report: self,
            transcripts: self
                .attempts
                .iter()
                .enumerate()
                .map(|(i, a)| Transcript::with_findings(&a.record, i, &self.findings))
                .collect(),
        }
    }
}

/// A report with its transcripts, built once by [`Report::annotate`].
#[derive(Debug)]
pub struct Annotated<'a> {
    /// The report.
    pub report: &'a Report,
    /// One transcript per attempt, in the order of `report.attempts`.
    pub transcripts: Vec<Transcript<'a>>,
}

impl<'a> Annotated<'a> {
    /// Each attempt with its transcript.
    pub fn attempts(&self) -> impl Iterator<Item = (&'a Attempt, &Transcript<'a>)> {
        self.report.attempts.iter().zip(&self.transcripts)
    }

    /// The transcript index a finding points at (SPEC §5 `transcript_index`).
    pub fn transcript_index(&self, f: &Finding) -> Option<usize> {
        f.attempt
            .and_then(|a| self.transcripts.get(a))
            .and_then(|t| t.position(f.anchor))
    }
}
