//! One Nagios/Icinga status line with performance data (monitoring-plugins convention).

use crate::report::{Report, Verdict};
use std::io::Write;

/// Writes `SMTP OK - summary | connect=0.003s greeting=0.010s ...`.
pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let verdict = r.verdict();
    let state = match verdict {
        Verdict::Ok => "OK",
        Verdict::Warning => "WARNING",
        Verdict::Error => "CRITICAL",
    };
    let (e, w, i) = r.counts();
    let own = || r.attempts.iter().filter(|a| a.test.is_none());
    let best = own().find(|a| a.completed()).or_else(|| own().next_back());
    let mut text = match best {
        Some(a) if a.target.host == a.target.addr.ip().to_string() => {
            format!("[{}]:{}", a.target.addr.ip(), a.target.addr.port())
        }
        Some(a) => format!(
            "{}[{}]:{}",
            crate::wire::escape::escape_str(&a.target.host),
            a.target.addr.ip(),
            a.target.addr.port()
        ),
        None => crate::wire::escape::escape_str(&r.target),
    };
    if !r.got_through() {
        text.push_str(&format!(" did not get through to {}", r.aimed));
    }
    if r.interrupted {
        text.push_str(" (interrupted)");
    }
    let ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.severity != crate::knowledge::Severity::Info)
        .map(|f| f.id)
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
            let base = s.stage.name().replace(':', "_");
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
