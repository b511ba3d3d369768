//! One Nagios/Icinga status line with performance data (monitoring-plugins convention).
//!
//! Rendered from the JSON document, as the text printer is: a saved report prints the same line.

use crate::knowledge::Severity;
use crate::record::attempt::Outcome;
use crate::report::Annotated;
use crate::report::document::Document;
use crate::wire::escape::{escape_str, safe_text};
use std::io::Write;

/// Writes `SMTP OK - summary | connect=0.003s greeting=0.010s ...` for a run.
pub fn write(a: &Annotated, out: &mut dyn Write) -> std::io::Result<()> {
    write_document(&Document::new(a), out)
}

/// The monitoring-plugins state of an exit code.
fn state(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// Writes the status line of a probe's document.
pub fn write_document(r: &Document, out: &mut dyn Write) -> std::io::Result<()> {
    let state = state(r.verdict.exit_code());
    let (e, w, i) = r.counts();
    let own = || r.attempts.iter().filter(|a| a.test.is_none());
    let best = own()
        .find(|a| *a.outcome == Outcome::Completed)
        .or_else(|| own().next_back());
    let mut text = match best {
        Some(a) if a.host == a.address => format!("[{}]:{}", escape_str(&a.address), a.port),
        Some(a) => format!(
            "{}[{}]:{}",
            escape_str(&a.host),
            escape_str(&a.address),
            a.port
        ),
        None => escape_str(&r.target),
    };
    if !r.got_through() {
        text.push_str(&format!(
            " did not get through to {}",
            safe_text(&r.aimed_stage)
        ));
    }
    if r.interrupted {
        text.push_str(" (interrupted)");
    }
    let ids: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| safe_text(&f.id))
        .collect();
    text.push_str(&format!(": {e} error(s), {w} warning(s), {i} info"));
    if !ids.is_empty() {
        text.push_str(&format!(" ({})", ids.join(", ")));
    }
    let mut perf = Vec::new();
    if let Some(a) = best {
        let mut seen: Vec<String> = Vec::new();
        for s in &a.stages {
            // Labels must be unique: the second EHLO (inside TLS) becomes ehlo_2, and so on.
            let base = safe_text(&s.stage).replace(':', "_");
            let n = seen.iter().filter(|l| **l == base).count();
            seen.push(base.clone());
            let label = if n == 0 {
                base
            } else {
                format!("{base}_{}", n + 1)
            };
            perf.push(format!("{label}={:.6}s", s.duration_ms / 1000.0));
        }
    }
    perf.push(format!("total={:.6}s", r.duration_ms / 1000.0));
    writeln!(out, "SMTP {state} - {text} | {}", perf.join(" "))
}

/// The most per-target lines a Nagios result carries after its status line.
pub const RUN_LONG_LINES: usize = 1000;

/// `--format nagios` for many targets (SPEC §10): a monitor reads the first line as the status,
/// so the run's status line comes first, with the counts as performance data, and each
/// target's own line follows as long output (the monitoring-plugins convention), named by its
/// target, worst first, at most [`RUN_LONG_LINES`] of them. The lines wait for the end.
#[derive(Default)]
pub struct RunLines {
    /// (exit code of the verdict, line).
    lines: Vec<(i32, String)>,
    left_out: u64,
}

impl RunLines {
    /// One target's document.
    pub fn add(&mut self, d: &Document) -> std::io::Result<()> {
        let mut line = Vec::new();
        write_document(d, &mut line)?;
        // Named by the target: with --server, every line's address is the same.
        let line = format!(
            "{}: {}",
            escape_str(&d.target),
            String::from_utf8_lossy(&line).trim_end()
        );
        self.lines.push((d.verdict.exit_code(), line));
        if self.lines.len() > RUN_LONG_LINES {
            // Keep the worst: drop one of the least severe (the sort is stable).
            self.lines.sort_by_key(|(code, _)| std::cmp::Reverse(*code));
            self.lines.pop();
            self.left_out += 1;
        }
        Ok(())
    }

    /// The run's status line, then the targets' lines.
    pub fn finish(
        mut self,
        s: &crate::batch::summary::Summary,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let state = state(s.worst.into());
        let interrupted = if s.interrupted > 0 {
            format!(", {} interrupted", s.interrupted)
        } else {
            String::new()
        };
        writeln!(
            out,
            "SMTP {state} - {} target(s): {} ok, {} warning, {} error{interrupted} | targets={} ok={} warning={} error={}",
            s.targets, s.ok, s.warning, s.error, s.targets, s.ok, s.warning, s.error
        )?;
        self.lines.sort_by_key(|(code, _)| std::cmp::Reverse(*code));
        for (_, line) in &self.lines {
            writeln!(out, "{line}")?;
        }
        if self.left_out > 0 {
            writeln!(out, "… {} more target(s), not listed", self.left_out)?;
        }
        out.flush()
    }
}
