//! The JSON report (SPEC §5, schema `smtpdoctor.report/v1`).

use crate::report::{Report, anchor_index, transcript};
use crate::session::rfc_timeouts;
use serde_json::{Value, json};
use std::io::Write;

/// Schema identifier.
pub const SCHEMA: &str = "smtpdoctor.report/v1";

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// Builds the JSON document.
pub fn to_value(r: &Report) -> Value {
    let verdict = r.verdict();
    let mut findings = Vec::new();
    let mut attempts = Vec::new();
    let transcripts: Vec<_> = r.attempts.iter().map(|a| transcript(&a.record)).collect();
    for (i, a) in r.attempts.iter().enumerate() {
        let t = &transcripts[i];
        let entries: Vec<Value> = t
            .iter()
            .map(|e| {
                let mut v = json!({
                    "at_ms": round(e.at_us as f64 / 1000.0),
                    "dir": e.dir,
                    "tls": e.tls,
                    "text": match e.dir {
                        crate::report::Dir::Local => e.note.clone(),
                        _ => String::from_utf8_lossy(&e.raw).trim_end_matches(['\r', '\n']).to_string(),
                    },
                    "raw": e.raw_escaped(),
                });
                if e.dir == crate::report::Dir::Server {
                    v["reads"] = json!(e.reads);
                    if e.dropped > 0 {
                        v["truncated_bytes"] = json!(e.dropped);
                    }
                }
                v
            })
            .collect();
        let ehlo = |e: &Option<crate::session::EhloResult>| {
            e.as_ref().map(|e| {
                json!({
                    "verb": e.verb,
                    "server_name": e.server_name,
                    "capabilities": e.capabilities,
                })
            })
        };
        let rec = &a.record;
        attempts.push(json!({
            "test": a.test,
            "host": a.target.host,
            "address": a.target.addr.ip().to_string(),
            "port": a.target.addr.port(),
            "preference": a.target.preference,
            "outcome": a.outcome,
            "failed_stage": a.failed_stage.as_ref().map(|s| s.name()),
            "duration_ms": round(a.duration_ms),
            "stages": a.stages.iter().map(|s| json!({"stage": s.stage.name(), "duration_ms": round(s.duration_ms)})).collect::<Vec<_>>(),
            "ehlo": ehlo(&a.ehlo),
            "ehlo_plain": ehlo(&a.ehlo_plain),
            "tls": a.tls,
            "ptr": a.ptr,
            "data": a.data.as_ref().map(|d| {
                let mut v = json!(d);
                v["rfc_minimum_ms"] = json!({
                    "data_reply": rfc_timeouts::DATA_INIT.as_millis() as u64,
                    "block": rfc_timeouts::DATA_BLOCK.as_millis() as u64,
                    "dot_reply": rfc_timeouts::DATA_END.as_millis() as u64,
                });
                v
            }),
            "limits": {
                "dropped_read_bytes": rec.dropped_read_bytes,
                "dropped_lines": rec.dropped_lines,
            },
            "transcript": entries,
        }));
    }
    for f in &r.findings {
        let ti = f
            .attempt
            .and_then(|a| transcripts.get(a))
            .and_then(|t| anchor_index(t, f.anchor));
        findings.push(json!({
            "id": f.id,
            "severity": f.severity,
            "stage": f.stage,
            "attempt": f.attempt,
            "transcript_index": ti,
            "summary": f.summary,
            "detail": f.detail,
            "reference": f.reference,
            "fix": f.fix,
        }));
    }
    json!({
        "schema": SCHEMA,
        "tool": {"name": "smtpdoctor", "version": env!("CARGO_PKG_VERSION")},
        "target": r.target,
        "started_at": humantime::format_rfc3339_millis(r.started_at).to_string(),
        "duration_ms": round(r.duration_ms),
        "verdict": verdict,
        "exit_code": verdict.exit_code(),
        "aimed_stage": r.aimed,
        "dns": r.dns,
        "plan": r.plan,
        "notes": r.notes,
        "attempts": attempts,
        "findings": findings,
    })
}

/// Writes the document as one line.
pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &to_value(r))?;
    out.write_all(b"\n")
}
