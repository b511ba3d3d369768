//! The JSON report (SPEC §5, schema `smtpdoctor.report/v1`).

use crate::checks::finding::Anchor;
use crate::record::{EventKind, Record};
use crate::report::{Dir, Entry, Report, anchor_index, transcript};
use crate::wire::timeouts as rfc_timeouts;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};
use std::io::Write;

/// Schema identifier.
pub const SCHEMA: &str = "smtpdoctor.report/v1";

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// One transcript entry.
fn entry(e: &Entry) -> Value {
    let mut v = json!({
        "at_ms": round(e.at_us as f64 / 1000.0),
        "dir": e.dir,
        "tls": e.tls,
        "text": match e.dir {
            Dir::Local => e.note.clone(),
            _ => String::from_utf8_lossy(&e.raw).trim_end_matches(['\r', '\n']).to_string(),
        },
        "raw": e.raw_escaped(),
    });
    if e.dir == Dir::Server {
        v["reads"] = json!(e.reads);
        if e.dropped > 0 {
            v["truncated_bytes"] = json!(e.dropped);
        }
    }
    v
}

/// What was not kept of an attempt, and where each limit was reached.
fn limits(rec: &Record, t: &[Entry]) -> Value {
    let hit: Vec<Value> = rec
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.kind {
            EventKind::LimitReached { limit } => Some(json!({
                "limit": limit.name(),
                "max": limit.max(),
                "transcript_index": anchor_index(t, Anchor::Event(i)),
            })),
            _ => None,
        })
        .collect();
    json!({
        "dropped_read_bytes": rec.dropped_read_bytes,
        "dropped_lines": rec.dropped_lines,
        "dropped_reply_lines": rec.dropped_reply_lines,
        "truncated_lines": rec.truncated_lines,
        "truncated_bytes": rec.truncated_bytes,
        "merged_reads": rec.merged_reads,
        "hit": hit,
    })
}

/// Builds the JSON document (in memory: [`write`] streams the transcripts instead).
pub fn to_value(r: &Report) -> Value {
    let transcripts: Vec<_> = r.attempts.iter().map(|a| transcript(&a.record)).collect();
    let mut doc = skeleton(r, &transcripts);
    if let Some(attempts) = doc["attempts"].as_array_mut() {
        for (a, t) in attempts.iter_mut().zip(&transcripts) {
            a["transcript"] = Value::Array(t.iter().map(entry).collect());
        }
    }
    doc
}

/// The document with every transcript left empty.
fn skeleton(r: &Report, transcripts: &[Vec<Entry>]) -> Value {
    let verdict = r.verdict();
    let mut findings = Vec::new();
    let mut attempts = Vec::new();
    for (i, a) in r.attempts.iter().enumerate() {
        let t = &transcripts[i];
        let ehlo = |e: &Option<crate::record::attempt::EhloResult>| {
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
            "plaintext_retry_of": a.plaintext_retry_of,
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
            "limits": limits(rec, t),
            "transcript": [],
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

/// Writes the document as one line. The transcripts are written entry by entry, so that memory
/// does not grow with their size (keys come in the same order as in [`to_value`]).
pub fn write(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let transcripts: Vec<_> = r.attempts.iter().map(|a| transcript(&a.record)).collect();
    let doc = skeleton(r, &transcripts);
    serde_json::to_writer(
        &mut *out,
        &Streamed {
            doc: &doc,
            transcripts: &transcripts,
        },
    )?;
    out.write_all(b"\n")
}

/// The skeleton with each attempt's `transcript` taken from its entries as it is written.
struct Streamed<'a> {
    doc: &'a Value,
    transcripts: &'a [Vec<Entry>],
}

impl Serialize for Streamed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(fields) = self.doc.as_object() else {
            return self.doc.serialize(s);
        };
        let mut m = s.serialize_map(Some(fields.len()))?;
        for (k, v) in fields {
            match (k.as_str(), v.as_array()) {
                ("attempts", Some(attempts)) => m.serialize_entry(
                    k,
                    &StreamedAttempts {
                        attempts,
                        transcripts: self.transcripts,
                    },
                )?,
                _ => m.serialize_entry(k, v)?,
            }
        }
        m.end()
    }
}

struct StreamedAttempts<'a> {
    attempts: &'a [Value],
    transcripts: &'a [Vec<Entry>],
}

impl Serialize for StreamedAttempts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.attempts.len()))?;
        for (i, a) in self.attempts.iter().enumerate() {
            let entries = self.transcripts.get(i).map_or(&[][..], Vec::as_slice);
            seq.serialize_element(&StreamedAttempt {
                attempt: a,
                entries,
            })?;
        }
        seq.end()
    }
}

struct StreamedAttempt<'a> {
    attempt: &'a Value,
    entries: &'a [Entry],
}

impl Serialize for StreamedAttempt<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(fields) = self.attempt.as_object() else {
            return self.attempt.serialize(s);
        };
        let mut m = s.serialize_map(Some(fields.len()))?;
        for (k, v) in fields {
            if k == "transcript" {
                m.serialize_entry(k, &StreamedEntries(self.entries))?;
            } else {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

struct StreamedEntries<'a>(&'a [Entry]);

impl Serialize for StreamedEntries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&entry(e))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::{attempt, read};

    fn report(wire: &[u8]) -> Report {
        Report {
            target: "hostile.test".into(),
            started_at: std::time::SystemTime::UNIX_EPOCH,
            duration_ms: 0.0,
            dns: None,
            plan: vec![],
            attempts: vec![
                attempt(vec![read(1, wire)]),
                attempt(vec![read(2, b"220 b\r\n")]),
            ],
            findings: vec![],
            aimed: "rcpt",
            notes: vec![],
        }
    }

    /// Regression: the whole document was built as a `Value` tree before writing, which took
    /// several times the transcript's size (87 MiB for 20000 empty lines). The streamed output
    /// must be the same bytes.
    #[test]
    fn streamed_document_equals_the_built_one() {
        let r = report(b"220-a\r\n220-\x1b[31m\xff\r\n220 c\r\n");
        let mut streamed = Vec::new();
        write(&r, &mut streamed).unwrap();
        let built = serde_json::to_string(&to_value(&r)).unwrap() + "\n";
        assert_eq!(String::from_utf8(streamed).unwrap(), built);
        let doc = to_value(&r);
        assert_eq!(
            doc["attempts"][0]["transcript"][3]["raw"],
            "220-\\x1b[31m\\xff\\r\\n"
        );
        assert_eq!(doc["attempts"][1]["transcript"][2]["text"], "220 b");
    }
}
