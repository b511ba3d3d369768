//! What a run of many targets prints in text: a status line per target as it finishes, and at
//! the end the verdict counts and the most frequent findings with how many targets each.

use crate::knowledge::Severity;
use crate::report::{Report, Verdict};
use crate::wire::escape::safe_text;
use std::collections::HashMap;
use std::io::Write;

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
    findings: HashMap<&'static str, (Severity, u64)>,
}

impl Summary {
    /// Counts one finished target.
    pub fn add(&mut self, r: &Report) {
        self.targets += 1;
        let v = r.verdict();
        match v {
            Verdict::Ok => self.ok += 1,
            Verdict::Warning => self.warning += 1,
            Verdict::Error => self.error += 1,
        }
        if r.interrupted {
            self.interrupted += 1;
        }
        self.worst = self.worst.max(v.exit_code() as u8);
        let mut ids: Vec<(&'static str, Severity)> =
            r.findings.iter().map(|f| (f.id, f.severity)).collect();
        ids.sort();
        ids.dedup_by_key(|(id, _)| *id);
        for (id, sev) in ids {
            let e = self.findings.entry(id).or_insert((sev, 0));
            e.0 = e.0.max(sev);
            e.1 += 1;
        }
    }

    /// The most frequent findings: (id, severity, targets), most targets first, then by id.
    pub fn top(&self, n: usize) -> Vec<(&'static str, Severity, u64)> {
        let mut v: Vec<_> = self
            .findings
            .iter()
            .map(|(id, (s, c))| (*id, *s, *c))
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
                writeln!(out, "  {n:>8}  {:<8} {id}", sev.as_str())?;
            }
        }
        Ok(())
    }
}

/// One line for a finished target: verdict, target, counts, the ids that matter, duration.
pub fn status_line(r: &Report) -> String {
    let word = match r.verdict() {
        Verdict::Ok => "OK",
        Verdict::Warning => "WARNING",
        Verdict::Error => "CRITICAL",
    };
    let (e, w, i) = r.counts();
    let mut ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.id)
        .collect();
    ids.dedup();
    let mut line = format!(
        "{word:<8} {}  {e} error(s), {w} warning(s), {i} info",
        safe_text(&r.target)
    );
    if !ids.is_empty() {
        line.push_str(&format!(" ({})", ids.join(", ")));
    }
    if !r.got_through() && !r.attempts.is_empty() {
        line.push_str(&format!("; did not get through to {}", r.aimed));
    }
    if r.interrupted {
        line.push_str("; interrupted");
    }
    line.push_str(&format!("  {:.0} ms", r.duration_ms));
    line
}
