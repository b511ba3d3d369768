//! Checks: pure functions over the event record (and the DNS answers) that return findings.
//! No check touches a socket; every one is unit-tested over a hand-built record.

pub mod client;
pub mod finding;
pub mod policy;
pub mod server;

pub use finding::{Anchor, Finding};
pub use server::{active, connect, data, dns, ehlo, envelope, greeting, syntax, timing, tls};

use crate::config::StartTlsPolicy;
use crate::record::attempt::Attempt;
use crate::record::{EventKind, Record, ReplyRecord};
use crate::wire::escape::escape_bytes;
use std::time::Duration;

/// Thresholds and facts the checks need besides the record.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// `--slow`.
    pub slow: Duration,
    /// `--cert-warn`.
    pub cert_warn: Duration,
    /// Now, Unix seconds (for certificate expiry).
    pub now_unix: i64,
    /// `--starttls`.
    pub starttls: StartTlsPolicy,
    /// `--tls-on-connect`.
    pub tls_on_connect: bool,
    /// `--dot-slow`.
    pub dot_slow: Duration,
}

impl Default for CheckContext {
    fn default() -> Self {
        CheckContext {
            slow: Duration::from_secs(5),
            cert_warn: Duration::from_secs(14 * 86400),
            now_unix: 0,
            starttls: StartTlsPolicy::Auto,
            tls_on_connect: false,
            dot_slow: Duration::from_secs(60),
        }
    }
}

/// Runs every per-attempt check, in dialogue order, and numbers the findings with `index`.
pub fn attempt(a: &Attempt, index: usize, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(connect::check(a));
    out.extend(greeting::check(a, ctx));
    out.extend(ehlo::check(a));
    out.extend(tls::check(a, ctx));
    out.extend(envelope::check(a));
    out.extend(data::check(a, ctx));
    out.extend(syntax::check(&a.record));
    out.extend(timing::check(&a.record, ctx));
    for f in &mut out {
        f.attempt = Some(index);
    }
    out
}

/// Milliseconds between two µs instants, for messages.
pub(crate) fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// The reply's duration (from the wait's start to the final line), µs.
pub(crate) fn reply_us(r: &ReplyRecord) -> u64 {
    r.completed_at_us.saturating_sub(r.awaited_at_us)
}

/// The escaped wire form of a reply (all lines, terminators shown), shortened for details.
pub(crate) fn reply_wire(rec: &Record, r: &ReplyRecord) -> String {
    let mut raw = Vec::new();
    for l in rec.reply_lines(r) {
        raw.extend(l.raw());
        if raw.len() > 300 {
            break;
        }
    }
    let mut s = escape_bytes(&raw[..raw.len().min(300)]);
    if raw.len() > 300 {
        s.push('…');
    }
    s
}

/// The text of a reply's last line.
pub(crate) fn reply_text(rec: &Record, r: &ReplyRecord) -> String {
    rec.reply_lines(r)
        .last()
        .map(|l| l.text())
        .unwrap_or_default()
}

/// Index of the first line of a reply, as an anchor.
pub(crate) fn reply_anchor(r: &ReplyRecord) -> crate::checks::finding::Anchor {
    crate::checks::finding::Anchor::Line(r.first_line)
}

/// The bytes a write event carried.
pub(crate) fn written(rec: &Record, event: usize) -> &[u8] {
    match rec.events.get(event).map(|e| &e.kind) {
        Some(EventKind::Write { bytes, .. }) => bytes,
        _ => &[],
    }
}

/// The address of a `MAIL FROM:<...>` or `RCPT TO:<...>` line, for details.
pub(crate) fn path_of(line: &[u8]) -> String {
    String::from_utf8_lossy(crate::wire::request::path_of(line)).into_owned()
}

/// The command line a reply answers: the line of its write in the position of the reply
/// among the replies to that write (a pipelined group answers in order, RFC 2920 §3.1).
pub(crate) fn command_of<'a>(rec: &'a Record, r: &ReplyRecord) -> &'a [u8] {
    let Some(e) = r.command_event else {
        return &[];
    };
    let bytes = written(rec, e);
    let position = rec
        .replies
        .iter()
        .take_while(|o| !std::ptr::eq(*o, r))
        .filter(|o| o.command_event == Some(e) && !o.unsolicited)
        .count();
    bytes
        .split_inclusive(|&b| b == b'\n')
        .nth(position)
        .unwrap_or(bytes)
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Hand-built attempts for the check tests.
    use crate::checks::Finding;
    use crate::record::Stage;
    use crate::record::attempt::{Attempt, AttemptTarget, Outcome};
    use crate::record::{Event, EventKind, Peer, Record};

    /// A read event.
    pub fn read(at_ms: u64, bytes: &[u8]) -> Event {
        Event {
            at_us: at_ms * 1000,
            kind: EventKind::Read {
                from: Peer::Server,
                tls: false,
                bytes: bytes.to_vec(),
                len: bytes.len(),
            },
        }
    }

    /// A write of the client awaiting one reply per line it holds (at least one).
    pub fn write(at_ms: u64, stage: Stage, bytes: &[u8]) -> Event {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count().max(1);
        write_expecting(at_ms, stage, bytes, lines as u16)
    }

    /// A write of the client awaiting `expects` replies.
    pub fn write_expecting(at_ms: u64, stage: Stage, bytes: &[u8], expects: u16) -> Event {
        Event {
            at_us: at_ms * 1000,
            kind: EventKind::Write {
                from: Peer::Client,
                expects,
                tls: false,
                stage,
                bytes: bytes.to_vec(),
            },
        }
    }

    /// Any other event.
    pub fn ev(at_ms: u64, kind: EventKind) -> Event {
        Event {
            at_us: at_ms * 1000,
            kind,
        }
    }

    /// An attempt over a replayed record.
    pub fn attempt(events: Vec<Event>) -> Attempt {
        let mut all = vec![
            ev(
                0,
                EventKind::Connecting {
                    addr: "127.0.0.1:25".parse().unwrap(),
                },
            ),
            ev(0, EventKind::Connected { local: None }),
        ];
        all.extend(events);
        Attempt {
            target: AttemptTarget {
                host: "mx.example.test".into(),
                addr: "127.0.0.1:25".parse().unwrap(),
                preference: Some(10),
            },
            record: Record::replay(all),
            ehlo: None,
            ehlo_plain: None,
            ehlo_refused: None,
            tls: None,
            stages: vec![],
            outcome: Outcome::Completed,
            failed_stage: None,
            ptr: None,
            duration_ms: 0.0,
            quit_sent: false,
            quit_reply: None,
            data: None,
            test: None,
            plaintext_retry_of: None,
        }
    }

    /// The ids of findings.
    pub fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.id).collect()
    }
}
