//! The report model that printers consume: DNS, attempts with their transcripts, findings,
//! verdict and exit code (SPEC §2, §5).

use crate::checks::{Anchor, Finding};
use crate::knowledge::Severity;
use crate::record::attempt::Attempt;
use crate::record::dns::DnsReport;
use crate::record::{EventKind, Record};
use crate::wire::escape::{escape_bytes, escape_for_terminal, escape_str};
use std::time::SystemTime;

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

/// Whether a host was tried, and why not.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanEntry {
    /// Host name.
    pub host: String,
    /// Address, when it had one.
    pub address: Option<std::net::IpAddr>,
    /// MX preference.
    pub preference: Option<u16>,
    /// Attempt number when tried.
    pub attempt: Option<usize>,
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
        if worst == Some(Severity::Error) || !self.got_through() {
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
}

/// Direction of a transcript entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Sent by the probe.
    Client,
    /// Sent by the server.
    Server,
    /// Something that happened locally (connect, TLS, timeout, close).
    Local,
}

/// One read that carried part of a server line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadRef {
    /// Read number within the attempt, from 1.
    pub n: usize,
    /// Time of the read, ms.
    pub at_ms: f64,
    /// Bytes the read returned in all.
    pub len: usize,
}

/// One transcript line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// µs since the attempt started.
    pub at_us: u64,
    /// Direction.
    pub dir: Dir,
    /// Inside TLS.
    pub tls: bool,
    /// Exact bytes (for client and server lines).
    pub raw: Vec<u8>,
    /// Human text (local entries), already safe for a terminal.
    pub note: String,
    /// For server lines: the reads it came in.
    pub reads: Vec<ReadRef>,
    /// Bytes of the line beyond what was kept.
    pub dropped: usize,
    /// The anchor this entry answers to.
    pub anchor: Anchor,
}

impl Entry {
    /// Text shown to people: line content without its terminator, escaped for a terminal.
    pub fn text(&self) -> String {
        match self.dir {
            Dir::Local => self.note.clone(),
            _ => {
                let end = self
                    .raw
                    .iter()
                    .rposition(|&b| b != b'\r' && b != b'\n')
                    .map_or(0, |p| p + 1);
                escape_for_terminal(&self.raw[..end])
            }
        }
    }

    /// The raw bytes escaped (SPEC §5 `raw`).
    pub fn raw_escaped(&self) -> String {
        escape_bytes(&self.raw)
    }
}

/// Builds the transcript of a record: client writes (one entry per line), server lines (placed
/// at the read that completed them) and local events, in time order.
pub fn transcript(rec: &Record) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut read_no = vec![0usize; rec.events.len()];
    let mut n = 0;
    for (i, e) in rec.events.iter().enumerate() {
        if matches!(e.kind, EventKind::Read { .. }) {
            n += 1;
            read_no[i] = n;
        }
    }
    let mut next_line = 0;
    let emit_lines_upto = |upto: usize, next_line: &mut usize, out: &mut Vec<Entry>| {
        while *next_line < rec.server_lines.len() && rec.server_lines[*next_line].last_read <= upto
        {
            let l = &rec.server_lines[*next_line];
            let tls = matches!(
                rec.events.get(l.last_read).map(|e| &e.kind),
                Some(EventKind::Read { tls: true, .. })
            );
            out.push(Entry {
                at_us: rec.at_us(l.last_read),
                dir: Dir::Server,
                tls,
                raw: l.raw(),
                note: String::new(),
                reads: l
                    .reads
                    .iter()
                    .map(|&r| ReadRef {
                        n: read_no.get(r).copied().unwrap_or(0),
                        at_ms: rec.at_us(r) as f64 / 1000.0,
                        len: match rec.events.get(r).map(|e| &e.kind) {
                            Some(EventKind::Read { len, .. }) => *len,
                            _ => 0,
                        },
                    })
                    .collect(),
                dropped: l.dropped,
                anchor: Anchor::Line(*next_line),
            });
            *next_line += 1;
        }
    };
    for (i, e) in rec.events.iter().enumerate() {
        let local = |note: String| Entry {
            at_us: e.at_us,
            dir: Dir::Local,
            tls: false,
            raw: vec![],
            note,
            reads: vec![],
            dropped: 0,
            anchor: Anchor::Event(i),
        };
        match &e.kind {
            EventKind::Read { .. } => emit_lines_upto(i, &mut next_line, &mut out),
            EventKind::Write { tls, bytes, .. } => {
                let mut first = true;
                for piece in bytes.split_inclusive(|&b| b == b'\n') {
                    out.push(Entry {
                        at_us: e.at_us,
                        dir: Dir::Client,
                        tls: *tls,
                        raw: piece.to_vec(),
                        note: String::new(),
                        reads: vec![],
                        dropped: 0,
                        anchor: if first {
                            Anchor::Event(i)
                        } else {
                            Anchor::None
                        },
                    });
                    first = false;
                }
            }
            EventKind::Connecting { addr } => out.push(local(format!("connecting to {addr}"))),
            EventKind::Connected { local: l } => out.push(local(match l {
                Some(a) => format!("connected (local {a})"),
                None => "connected".into(),
            })),
            EventKind::ConnectFailed { message, .. } => {
                out.push(local(format!("connect failed: {}", escape_str(message))))
            }
            EventKind::Eof { .. } => out.push(local("server closed the connection".into())),
            EventKind::IoError { message, .. } => out.push(local(escape_str(message))),
            EventKind::Timeout { stage, waited_ms } => out.push(local(format!(
                "gave up waiting ({stage}) after {}",
                humantime::format_duration(std::time::Duration::from_millis(*waited_ms))
            ))),
            EventKind::PlaintextDiscarded { len } => out.push(local(format!(
                "discarded {len} byte(s) of plaintext buffered before the handshake"
            ))),
            EventKind::DataSent {
                bytes, elapsed_us, ..
            } => out.push(local(format!(
                "sent {bytes} bytes of message data in {:.1} ms ({:.1} MB/s)",
                *elapsed_us as f64 / 1000.0,
                *bytes as f64 / (*elapsed_us).max(1) as f64
            ))),
            EventKind::Note { message, .. } => out.push(local(escape_str(message))),
            EventKind::MessageNotSent { reason } => {
                out.push(local(escape_str(&reason.to_string())))
            }
            // The finding `starttls-policy-failed` says it where the dialogue stopped.
            EventKind::TlsPolicyUnmet { .. } => {}
            EventKind::LimitReached { limit } => {
                out.push(local(format!("limit reached: {}", limit.describe())))
            }
            EventKind::TlsHandshake { ok: true, message } => out.push(local(format!(
                "TLS handshake complete ({})",
                escape_str(message)
            ))),
            EventKind::TlsHandshake { ok: false, message } => out.push(local(format!(
                "TLS handshake failed: {}",
                escape_str(message)
            ))),
        }
    }
    emit_lines_upto(usize::MAX, &mut next_line, &mut out);
    out
}

/// The transcript index an anchor points at.
pub fn anchor_index(entries: &[Entry], anchor: Anchor) -> Option<usize> {
    if anchor == Anchor::None {
        return None;
    }
    entries.iter().position(|e| e.anchor == anchor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::record::Stage;

    #[test]
    fn transcript_orders_and_anchors() {
        let a = attempt(vec![
            read(1, b"220 mx "),
            read(5, b"ESMTP\r\n"),
            write(6, Stage::Ehlo, b"EHLO me\r\n"),
            read(7, b"250 mx\n"),
        ]);
        let t = transcript(&a.record);
        let dirs: Vec<Dir> = t.iter().map(|e| e.dir).collect();
        assert_eq!(
            dirs,
            vec![
                Dir::Local,
                Dir::Local,
                Dir::Server,
                Dir::Client,
                Dir::Server
            ]
        );
        assert_eq!(t[2].text(), "220 mx ESMTP");
        assert_eq!(t[2].reads.len(), 2);
        assert_eq!(t[2].reads[1].n, 2);
        assert_eq!(t[4].raw_escaped(), "250 mx\\n");
        assert_eq!(anchor_index(&t, Anchor::Line(1)), Some(4));
    }
}
