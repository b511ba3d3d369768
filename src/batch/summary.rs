//! What a run of many targets prints in text: a status line per target as it finishes, and at
//! the end the verdict counts and the most frequent findings with how many targets each.
//!
//! Both read a [`Finished`] target, made from a run's report or from its saved document, so that
//! `smtpdoctor report` prints a saved run's JSON Lines as the run printed them.

use crate::knowledge::Severity;
use crate::record::attempt::Outcome;
use crate::report::document::Document;
use crate::report::{Report, Verdict};
use crate::wire::escape::safe_text;
use std::collections::HashMap;
use std::io::Write;

/// What the status line and the tally read of a finished target.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// The target as given.
    pub target: &'a str,
    /// The verdict.
    pub verdict: Verdict,
    /// Each finding's id and severity, in the report's order.
    pub findings: Vec<(&'a str, Severity)>,
    /// Some attempt of the probe's own dialogue got through to the aimed stage.
    pub got_through: bool,
    /// The probe made at least one attempt.
    pub attempted: bool,
    /// The stage aimed at.
    pub aimed: &'a str,
    /// The probe was interrupted.
    pub interrupted: bool,
    /// Total duration, ms.
    pub duration_ms: f64,
}

impl<'a> From<&'a Report> for Finished<'a> {
    fn from(r: &'a Report) -> Finished<'a> {
        Finished {
            target: &r.target,
            verdict: r.verdict(),
            findings: r.findings.iter().map(|f| (f.id, f.severity)).collect(),
            got_through: r.got_through(),
            attempted: !r.attempts.is_empty(),
            aimed: r.aimed,
            interrupted: r.interrupted,
            duration_ms: r.duration_ms,
        }
    }
}

impl<'a> From<&'a Document<'a>> for Finished<'a> {
    fn from(d: &'a Document<'a>) -> Finished<'a> {
        Finished {
            target: &d.target,
            verdict: d.verdict,
            findings: d.findings.iter().map(|f| (&*f.id, f.severity)).collect(),
            got_through: d
                .attempts
                .iter()
                .any(|a| a.test.is_none() && *a.outcome == Outcome::Completed),
            attempted: !d.attempts.is_empty(),
            aimed: &d.aimed_stage,
            interrupted: d.interrupted,
            duration_ms: d.duration_ms,
        }
    }
}

/// How many of the most frequent findings the summary lists.
pub const TOP_FINDINGS: usize = 10;

/// The tally of a run (bounded by the catalog's size, not by the number of targets).
#[derive(Debug, Default)]
pub struct Summary {
    /// Documents written.
    pub targets: u64,
    /// Verdict `ok`.
    pub ok: u64,
    /// Verdict `warning`.
    pub warning: u64,
    /// Verdict `error`.
    pub error: u64,
    /// Of those, interrupted.
    pub interrupted: u64,
    /// The worst exit code so far.
    pub worst: u8,
    findings: HashMap<String, (Severity, u64)>,
}

impl Summary {
    /// Counts one finished target.
    pub fn add(&mut self, r: &Finished) {
        self.targets += 1;
        let v = r.verdict;
        match v {
            Verdict::Ok => self.ok += 1,
            Verdict::Warning => self.warning += 1,
            Verdict::Error => self.error += 1,
        }
        if r.interrupted {
            self.interrupted += 1;
        }
        self.worst = self.worst.max(v.exit_code() as u8);
        let mut ids: Vec<(&str, Severity)> = r.findings.clone();
        ids.sort();
        ids.dedup_by_key(|(id, _)| *id);
        for (id, sev) in ids {
            let e = self.findings.entry(id.to_string()).or_insert((sev, 0));
            e.0 = e.0.max(sev);
            e.1 += 1;
        }
    }

    /// The most frequent findings: (id, severity, targets), most targets first, then by id.
    pub fn top(&self, n: usize) -> Vec<(&str, Severity, u64)> {
        let mut v: Vec<_> = self
            .findings
            .iter()
            .map(|(id, (s, c))| (id.as_str(), *s, *c))
            .collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }

    /// The summary table.
    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out)?;
        writeln!(
            out,
            "Summary: {} target(s): {} ok, {} warning, {} error{} (exit {})",
            self.targets,
            self.ok,
            self.warning,
            self.error,
            if self.interrupted > 0 {
                format!(", {} interrupted", self.interrupted)
            } else {
                String::new()
            },
            self.worst
        )?;
        let top = self.top(TOP_FINDINGS);
        if !top.is_empty() {
            writeln!(out, "  {:>8}  {:<8} finding", "targets", "severity")?;
            for (id, sev, n) in top {
                writeln!(out, "  {n:>8}  {:<8} {}", sev.as_str(), safe_text(id))?;
            }
        }
        Ok(())
    }
}

/// One line for a finished target: verdict, target, counts, the ids that matter, duration.
pub fn status_line(r: &Finished) -> String {
    let word = match r.verdict {
        Verdict::Ok => "OK",
        Verdict::Warning => "WARNING",
        Verdict::Error => "CRITICAL",
    };
    let n = |s| r.findings.iter().filter(|(_, sev)| *sev == s).count();
    let (e, w, i) = (n(Severity::Error), n(Severity::Warning), n(Severity::Info));
    let mut ids: Vec<String> = r
        .findings
        .iter()
        .filter(|(_, sev)| *sev != Severity::Info)
        .map(|(id, _)| safe_text(id))
        .collect();
    ids.dedup();
    let mut line = format!(
        "{word:<8} {}  {e} error(s), {w} warning(s), {i} info",
        safe_text(r.target)
    );
    if !ids.is_empty() {
        line.push_str(&format!(" ({})", ids.join(", ")));
    }
    if !r.got_through && r.attempted {
        line.push_str(&format!("; did not get through to {}", safe_text(r.aimed)));
    }
    if r.interrupted {
        line.push_str("; interrupted");
    }
    line.push_str(&format!("  {:.0} ms", r.duration_ms));
    line
}
