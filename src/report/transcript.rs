//! The transcript model: an attempt's lines and local events in time order, findings attached.
//!
//! Built once per attempt from its record. Text and bytes are kept exact: escaping them for a
//! terminal is the text printer's job.
//!
//! The record is role-neutral and so is the transcript: lines read from the observed peer carry
//! their reads, lines the recorder wrote carry none. In a probe's record (reads are the
//! server's) server lines come from the reply parser and client lines from the writes; in a
//! server's record (the mock's: reads are the client's) client lines come from the request
//! parser and server lines are cut from the server's writes (`served.rs`). Anchors follow the
//! observed peer: `Anchor::Line(i)` is server line `i` in a probe's record and client line `i`
//! (`Record::client_lines`) in a server's; `Anchor::Event(i)` of a read or a write points at
//! the first line it carried.

use crate::checks::{Anchor, Finding};
use crate::record::decision::NotSent;
use crate::record::{EventKind, Limit, Peer, Record, Stage};
use crate::wire::reply::Terminator;
use std::borrow::Cow;
use std::net::SocketAddr;

mod served;

/// Direction of a transcript entry (SPEC §5 `dir`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Sent by the client (the probe).
    Client,
    /// Sent by the server.
    Server,
    /// Something that happened locally (connect, TLS, timeout, close).
    Local,
}

impl From<Peer> for Dir {
    fn from(p: Peer) -> Dir {
        match p {
            Peer::Client => Dir::Client,
            Peer::Server => Dir::Server,
        }
    }
}

/// One read that carried part of a line (SPEC §5 `reads`).
///
/// Serialized as it stands in the JSON document: its fields are declared in the document's
/// (lexicographic) key order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ReadRef {
    /// Time of the read, ms.
    pub at_ms: f64,
    /// Bytes the read returned in all.
    pub len: usize,
    /// Read number within the attempt, from 1.
    pub n: usize,
}

/// One line either peer sent, as exact bytes.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Who sent it.
    pub from: Peer,
    /// The exact bytes, line ending included (as kept: see [`Line::dropped`]).
    pub raw: Cow<'a, [u8]>,
    /// How the bytes end. A client line that does not end in LF goes on in the next write.
    pub ending: Terminator,
    /// The reads it came in, for a line of the observed peer ([`Line::observed`]); for a line
    /// the recorder wrote as a server (the mock), the writes that carried it.
    pub reads: Vec<ReadRef>,
    /// The recorder read this line from its peer (server lines of a probe, client lines of the
    /// mock): its `reads` are reads.
    pub observed: bool,
    /// Bytes of the line beyond what was kept.
    pub dropped: usize,
    /// The server threw the line away without acting on it (client lines in a server's record).
    pub discarded: bool,
}

impl Line<'_> {
    /// The line without its line ending (every trailing CR and LF), exact bytes.
    pub fn text_bytes(&self) -> &[u8] {
        let end = self
            .raw
            .iter()
            .rposition(|&b| b != b'\r' && b != b'\n')
            .map_or(0, |p| p + 1);
        &self.raw[..end]
    }

    /// [`Line::text_bytes`] as text: exact, invalid UTF-8 replaced by U+FFFD, nothing escaped.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.text_bytes())
    }
}

/// How a run of bytes ends.
pub fn ending_of(raw: &[u8]) -> Terminator {
    if raw.ends_with(b"\r\n") {
        Terminator::CrLf
    } else if raw.ends_with(b"\n") {
        Terminator::BareLf
    } else if raw.ends_with(b"\r") {
        Terminator::BareCr
    } else {
        Terminator::Unterminated
    }
}

/// Something that happened locally, with the exact messages the record holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Local<'a> {
    /// A TCP connect was started.
    Connecting(SocketAddr),
    /// The TCP connect succeeded (from this local address, when known).
    Connected(Option<SocketAddr>),
    /// The TCP connect failed, with the OS message.
    ConnectFailed(&'a str),
    /// A peer closed its side.
    Closed(Peer),
    /// A read or write failed, with the error text.
    IoError(&'a str),
    /// A wait ended by its deadline.
    Timeout {
        /// What was awaited.
        stage: &'a Stage,
        /// How long the wait lasted, ms.
        waited_ms: u64,
    },
    /// A wait was cut short by an interrupt (Ctrl-C).
    Interrupted {
        /// What was awaited.
        stage: &'a Stage,
        /// How long it had been awaited, ms.
        waited_ms: u64,
    },
    /// Plaintext buffered before the TLS handshake was thrown away (this many bytes).
    PlaintextDiscarded(usize),
    /// Message data was streamed.
    DataSent {
        /// Bytes written.
        bytes: u64,
        /// How long it took, µs.
        elapsed_us: u64,
    },
    /// Message data left out of the record: bytes and lines.
    DataElided {
        /// Bytes on the wire.
        bytes: u64,
        /// Lines.
        lines: u64,
    },
    /// A note of the session, as it wrote it.
    Note(&'a str),
    /// A bound on what is kept was reached.
    LimitReached(Limit),
    /// The TLS handshake succeeded; the protocol summary.
    TlsEstablished(&'a str),
    /// The TLS handshake failed; the error text.
    TlsFailed(&'a str),
    /// The message was not sent, and why.
    MessageNotSent(&'a NotSent),
}

impl Local<'_> {
    /// The event in words, each message taken from outside (the OS, the TLS library, the session)
    /// passed through `quote`: the text printer escapes them for a terminal there.
    pub fn describe(&self, quote: impl Fn(&str) -> String) -> String {
        match self {
            Local::Connecting(addr) => format!("connecting to {addr}"),
            Local::Connected(Some(a)) => format!("connected (local {a})"),
            Local::Connected(None) => "connected".into(),
            Local::ConnectFailed(m) => format!("connect failed: {}", quote(m)),
            Local::Closed(by) => format!("{} closed the connection", by.name()),
            Local::IoError(m) | Local::Note(m) => quote(m),
            Local::Timeout { stage, waited_ms } => format!(
                "gave up waiting ({stage}) after {}",
                humantime::format_duration(std::time::Duration::from_millis(*waited_ms))
            ),
            Local::Interrupted { stage, waited_ms } => format!(
                "interrupted (Ctrl-C) while waiting ({stage}) for {}",
                humantime::format_duration(std::time::Duration::from_millis(*waited_ms))
            ),
            Local::PlaintextDiscarded(len) => {
                format!("discarded {len} byte(s) of plaintext buffered before the handshake")
            }
            Local::DataSent { bytes, elapsed_us } => format!(
                "sent {bytes} bytes of message data in {:.1} ms ({:.1} MB/s)",
                *elapsed_us as f64 / 1000.0,
                *bytes as f64 / (*elapsed_us).max(1) as f64
            ),
            Local::DataElided { bytes, lines } => format!(
                "… {lines} more line{} of message data ({bytes} bytes) sent, not shown …",
                if *lines == 1 { "" } else { "s" }
            ),
            Local::LimitReached(limit) => format!("limit reached: {}", limit.describe()),
            Local::TlsEstablished(m) => format!("TLS handshake complete ({})", quote(m)),
            Local::TlsFailed(m) => format!("TLS handshake failed: {}", quote(m)),
            Local::MessageNotSent(why) => quote(&why.to_string()),
        }
    }

    /// The event's name in the JSON document (`event` of a local entry).
    pub fn event(&self) -> &'static str {
        match self {
            Local::Connecting(_) => "connecting",
            Local::Connected(_) => "connected",
            Local::ConnectFailed(_) => "connect-failed",
            Local::Closed(_) => "closed",
            Local::IoError(_) => "io-error",
            Local::Timeout { .. } => "timeout",
            Local::PlaintextDiscarded(_) => "plaintext-discarded",
            Local::DataSent { .. } => "data-sent",
            Local::DataElided { .. } => "data-elided",
            Local::Interrupted { .. } => "interrupted",
            Local::Note(_) => "note",
            Local::LimitReached(_) => "limit-reached",
            Local::TlsEstablished(_) => "tls-established",
            Local::TlsFailed(_) => "tls-failed",
            Local::MessageNotSent(_) => "message-not-sent",
        }
    }

    /// The event in words, messages exact.
    pub fn note(&self) -> String {
        self.describe(str::to_string)
    }
}

/// The local event an event shows as, when it has an entry of its own (reads, writes,
/// duplicates and policy stops have not).
fn local_of(kind: &EventKind) -> Option<Local<'_>> {
    Some(match kind {
        EventKind::Connecting { addr } => Local::Connecting(*addr),
        EventKind::Connected { local } => Local::Connected(*local),
        EventKind::ConnectFailed { message, .. } => Local::ConnectFailed(message),
        // The session records only the server's close; `from` names whose it was.
        EventKind::Eof { from, .. } => Local::Closed(*from),
        EventKind::IoError { message, .. } => Local::IoError(message),
        EventKind::Timeout { stage, waited_ms } => Local::Timeout {
            stage,
            waited_ms: *waited_ms,
        },
        EventKind::Interrupted { stage, waited_ms } => Local::Interrupted {
            stage,
            waited_ms: *waited_ms,
        },
        EventKind::PlaintextDiscarded { len } => Local::PlaintextDiscarded(*len),
        EventKind::DataSent {
            bytes, elapsed_us, ..
        } => Local::DataSent {
            bytes: *bytes,
            elapsed_us: *elapsed_us,
        },
        EventKind::DataElided { bytes, lines } => Local::DataElided {
            bytes: *bytes,
            lines: *lines,
        },
        EventKind::Note { message, .. } => Local::Note(message),
        EventKind::LimitReached { limit } => Local::LimitReached(*limit),
        EventKind::TlsHandshake { ok: true, message } => Local::TlsEstablished(message),
        EventKind::TlsHandshake { ok: false, message } => Local::TlsFailed(message),
        EventKind::MessageNotSent { reason } => Local::MessageNotSent(reason),
        // The finding (`starttls-policy-failed`) says this where it happened.
        EventKind::TlsPolicyUnmet { .. }
        | EventKind::NotTls
        | EventKind::DuplicateMessage { .. }
        | EventKind::Read { .. }
        | EventKind::Write { .. } => return None,
    })
}

/// A probe's transcript shown while it is recorded: each [`Growing::advance`] hands over, in
/// order, the entries completed since the last call (client writes, server lines at the read
/// that completed them, local events), so that each call costs only what is new.
#[derive(Debug, Default)]
pub struct Growing {
    /// Events already shown.
    next_event: usize,
    /// Server lines already shown.
    next_line: usize,
    /// The read number of each event seen (0 for other events).
    read_no: Vec<usize>,
    /// Reads seen.
    reads: usize,
}

impl Growing {
    /// Shows, through `show`, what the record gained since the last call.
    pub fn advance(&mut self, rec: &Record, mut show: impl FnMut(&Entry<'_>)) {
        for e in &rec.events[self.read_no.len().min(rec.events.len())..] {
            if matches!(e.kind, EventKind::Read { .. }) {
                self.reads += 1;
                self.read_no.push(self.reads);
            } else {
                self.read_no.push(0);
            }
        }
        let mut t = Transcript::default();
        for i in self.next_event..rec.events.len() {
            let e = &rec.events[i];
            match &e.kind {
                EventKind::Read { .. } => {
                    t.push_server_lines(rec, &self.read_no, i, &mut self.next_line)
                }
                EventKind::Write { tls, bytes, .. } => t.push_client_write(e.at_us, i, *tls, bytes),
                other => {
                    if let Some(l) = local_of(other) {
                        t.push(Entry {
                            at_us: e.at_us,
                            tls: false,
                            kind: EntryKind::Local(l),
                            anchor: Anchor::Event(i),
                            findings: Vec::new(),
                        });
                    }
                }
            }
        }
        // Lines completed late (a CR settled, a partial line kept at a deadline).
        t.push_server_lines(rec, &self.read_no, usize::MAX, &mut self.next_line);
        self.next_event = rec.events.len();
        for e in &t.entries {
            show(e);
        }
    }
}

/// What a transcript entry shows.
#[derive(Debug, Clone)]
pub enum EntryKind<'a> {
    /// A line a peer sent.
    Line(Line<'a>),
    /// A local event.
    Local(Local<'a>),
}

/// One transcript entry.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// µs since the attempt started.
    pub at_us: u64,
    /// Inside TLS.
    pub tls: bool,
    /// The line or the local event.
    pub kind: EntryKind<'a>,
    /// The anchor findings use to point at this entry.
    pub anchor: Anchor,
    /// Indices (into the report's findings) of the findings that point at this entry.
    pub findings: Vec<usize>,
}

impl<'a> Entry<'a> {
    /// Direction.
    pub fn dir(&self) -> Dir {
        match &self.kind {
            EntryKind::Line(l) => l.from.into(),
            EntryKind::Local(_) => Dir::Local,
        }
    }

    /// The line, for client and server entries.
    pub fn line(&self) -> Option<&Line<'a>> {
        match &self.kind {
            EntryKind::Line(l) => Some(l),
            EntryKind::Local(_) => None,
        }
    }

    /// The local event, for local entries.
    pub fn local(&self) -> Option<&Local<'a>> {
        match &self.kind {
            EntryKind::Line(_) => None,
            EntryKind::Local(l) => Some(l),
        }
    }

    /// Exact text: a line without its ending, or the local event in words. Not escaped.
    pub fn text(&self) -> String {
        match &self.kind {
            EntryKind::Line(l) => l.text().into_owned(),
            EntryKind::Local(l) => l.note(),
        }
    }

    /// The exact bytes of a line (empty for local entries).
    pub fn raw(&self) -> &[u8] {
        self.line().map_or(&[], |l| &l.raw)
    }
}

/// The transcript of one attempt: client writes (one entry per line), server lines (placed at
/// the read that completed them) and local events, in time order.
#[derive(Debug, Clone, Default)]
pub struct Transcript<'a> {
    entries: Vec<Entry<'a>>,
    // Anchors are looked up in these rather than by a search of the entries: a search per
    // finding is quadratic in the length of the transcript, which a hostile server chooses.
    /// Entry index of each line of the observed peer (server lines of a probe, client lines of
    /// a server's record).
    by_line: Vec<Option<usize>>,
    /// Entry index of each event that has an entry of its own.
    by_event: Vec<Option<usize>>,
    /// Findings of this attempt that point at no entry.
    unplaced: Vec<usize>,
    /// Both peers were observed (the proxy's record): server lines are anchored by the read
    /// that completed them, since `Anchor::Line` names client lines there.
    relayed: bool,
}

impl<'a> Transcript<'a> {
    /// Builds the transcript of a record, with no findings attached.
    pub fn new(rec: &'a Record) -> Transcript<'a> {
        let served = served::is_served(rec);
        let mut t = Transcript {
            entries: Vec::new(),
            by_line: vec![
                None;
                if served {
                    rec.client_lines.len()
                } else {
                    rec.server_lines.len()
                }
            ],
            by_event: vec![None; rec.events.len()],
            unplaced: Vec::new(),
            relayed: served
                && rec.events.iter().any(|e| {
                    matches!(
                        e.kind,
                        EventKind::Read {
                            from: Peer::Server,
                            ..
                        }
                    )
                }),
        };
        let mut read_no = vec![0usize; rec.events.len()];
        let mut n = 0;
        for (i, e) in rec.events.iter().enumerate() {
            if matches!(e.kind, EventKind::Read { .. }) {
                n += 1;
                read_no[i] = n;
            }
        }
        let mut next_line = 0;
        let mut server = served::Served::new(rec);
        for (i, e) in rec.events.iter().enumerate() {
            let local = |l: Local<'a>| Entry {
                at_us: e.at_us,
                tls: false,
                kind: EntryKind::Local(l),
                anchor: Anchor::Event(i),
                findings: Vec::new(),
            };
            match &e.kind {
                EventKind::Read {
                    from: Peer::Client, ..
                } => t.push_client_lines(rec, &read_no, i, &mut server),
                EventKind::Read { .. } => t.push_server_lines(rec, &read_no, i, &mut next_line),
                EventKind::Write {
                    from: Peer::Server,
                    tls,
                    bytes,
                    ..
                } => t.push_written(rec, i, *tls, bytes, &mut server),
                EventKind::Write { tls, bytes, .. } => t.push_client_write(e.at_us, i, *tls, bytes),
                // A duplicate is the message's: its finding points at the message's final dot.
                EventKind::DuplicateMessage { .. } => {
                    if let (Some(slot), Some(dot)) = (t.by_event.get_mut(i), server.last_dot) {
                        *slot = Some(dot);
                    }
                }
                other => {
                    if let Some(l) = local_of(other) {
                        t.push(local(l));
                    }
                }
            }
        }
        t.push_server_lines(rec, &read_no, usize::MAX, &mut next_line);
        t.push_client_lines(rec, &read_no, usize::MAX, &mut server);
        t.finish_written(rec, &mut server);
        t
    }

    /// Builds the transcript of attempt `attempt` and attaches the findings of that attempt
    /// (`findings` are the report's, indices kept) to the entries they point at.
    pub fn with_findings(rec: &'a Record, attempt: usize, findings: &[Finding]) -> Transcript<'a> {
        let mut t = Transcript::new(rec);
        for (fi, f) in findings.iter().enumerate() {
            if f.attempt != Some(attempt) {
                continue;
            }
            match t.position(f.anchor) {
                Some(ei) => t.entries[ei].findings.push(fi),
                None => t.unplaced.push(fi),
            }
        }
        t
    }

    /// One entry per line of bytes the recorder wrote as the client (event `i`).
    fn push_client_write(&mut self, at_us: u64, i: usize, tls: bool, bytes: &'a [u8]) {
        for (k, piece) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            self.push(Entry {
                at_us,
                tls,
                kind: EntryKind::Line(Line {
                    from: Peer::Client,
                    raw: Cow::Borrowed(piece),
                    ending: ending_of(piece),
                    reads: Vec::new(),
                    observed: false,
                    dropped: 0,
                    discarded: false,
                }),
                anchor: if k == 0 {
                    Anchor::Event(i)
                } else {
                    Anchor::None
                },
                findings: Vec::new(),
            });
        }
    }

    /// Server lines completed by reads up to event `upto`, not yet placed.
    fn push_server_lines(
        &mut self,
        rec: &'a Record,
        read_no: &[usize],
        upto: usize,
        next_line: &mut usize,
    ) {
        while let Some(l) = rec.server_lines.get(*next_line) {
            if l.last_read > upto {
                break;
            }
            let tls = matches!(
                rec.events.get(l.last_read).map(|e| &e.kind),
                Some(EventKind::Read { tls: true, .. })
            );
            let raw = l.raw();
            let line = *next_line;
            self.push(Entry {
                at_us: rec.at_us(l.last_read),
                tls,
                kind: EntryKind::Line(Line {
                    from: Peer::Server,
                    ending: ending_of(&raw),
                    raw: Cow::Owned(raw),
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
                    observed: true,
                    dropped: l.dropped,
                    discarded: false,
                }),
                anchor: if !self.relayed {
                    Anchor::Line(line)
                } else if self.by_event.get(l.last_read).is_some_and(Option::is_none) {
                    Anchor::Event(l.last_read)
                } else {
                    Anchor::None
                },
                findings: Vec::new(),
            });
            *next_line += 1;
        }
    }

    fn push(&mut self, e: Entry<'a>) {
        let slot = match e.anchor {
            Anchor::Line(i) => self.by_line.get_mut(i),
            Anchor::Event(i) => self.by_event.get_mut(i),
            Anchor::None => None,
        };
        if let Some(slot) = slot
            && slot.is_none()
        {
            *slot = Some(self.entries.len());
        }
        self.entries.push(e);
    }

    /// The entries in order.
    pub fn entries(&self) -> &[Entry<'a>] {
        &self.entries
    }

    /// The index of the entry an anchor points at (the first, should several share it).
    pub fn position(&self, anchor: Anchor) -> Option<usize> {
        match anchor {
            Anchor::Line(i) => self.by_line.get(i).copied().flatten(),
            Anchor::Event(i) => self.by_event.get(i).copied().flatten(),
            Anchor::None => None,
        }
    }

    /// Findings of this attempt (indices into the report's findings) that point at no entry,
    /// in the report's order.
    pub fn unplaced(&self) -> &[usize] {
        &self.unplaced
    }
}

impl<'a> std::ops::Deref for Transcript<'a> {
    type Target = [Entry<'a>];

    fn deref(&self) -> &[Entry<'a>] {
        &self.entries
    }
}

/// The transcript of a record, with no findings attached (for checks' tests and tools; the
/// printers get theirs from [`crate::report::Report::annotate`]).
pub fn transcript(rec: &Record) -> Transcript<'_> {
    Transcript::new(rec)
}

/// The transcript index an anchor points at, by a search of the entries.
/// [`Transcript::position`] answers the same without the search.
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

    #[test]
    fn transcript_orders_and_anchors() {
        let a = attempt(vec![
            read(1, b"220 mx "),
            read(5, b"ESMTP\r\n"),
            write(6, Stage::Ehlo, b"EHLO me\r\n"),
            read(7, b"250 mx\n"),
        ]);
        let t = transcript(&a.record);
        let dirs: Vec<Dir> = t.iter().map(Entry::dir).collect();
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
        let greeting = t[2].line().unwrap();
        assert_eq!(greeting.reads.len(), 2);
        assert_eq!(greeting.reads[1].n, 2);
        assert_eq!(t[4].raw(), b"250 mx\n");
        assert_eq!(t[4].line().unwrap().ending, Terminator::BareLf);
        assert_eq!(anchor_index(&t, Anchor::Line(1)), Some(4));
        for anchor in [
            Anchor::Line(0),
            Anchor::Line(1),
            Anchor::Line(2),
            Anchor::Event(0),
            Anchor::Event(3),
            Anchor::Event(4),
            Anchor::None,
        ] {
            assert_eq!(t.position(anchor), anchor_index(&t, anchor), "{anchor:?}");
        }
    }

    /// The model keeps the bytes the server sent: escaping them is the text printer's job.
    #[test]
    fn text_is_exact_and_unescaped() {
        let a = attempt(vec![
            read(1, b"220 \x1b[31m\\ \xff\r\n"),
            write(2, Stage::Ehlo, b"EHLO \x1b\r\r\n"),
            ev(
                3,
                EventKind::Note {
                    stage: Stage::Ehlo,
                    message: "a \x1b note \\".into(),
                },
            ),
        ]);
        let t = transcript(&a.record);
        let line = t[2].line().unwrap();
        assert_eq!(line.text_bytes(), b"220 \x1b[31m\\ \xff");
        assert_eq!(line.text(), "220 \x1b[31m\\ \u{fffd}");
        let command = t[3].line().unwrap();
        assert_eq!(
            command.text_bytes(),
            b"EHLO \x1b",
            "every trailing CR and LF goes"
        );
        assert_eq!(command.ending, Terminator::CrLf);
        assert_eq!(t[4].text(), "a \x1b note \\");
        assert_eq!(t[4].local(), Some(&Local::Note("a \x1b note \\")));
    }

    #[test]
    fn local_events_are_typed() {
        let a = attempt(vec![
            ev(
                1,
                EventKind::TlsHandshake {
                    ok: true,
                    message: "TLSv1.3".into(),
                },
            ),
            ev(
                2,
                EventKind::Timeout {
                    stage: Stage::Data,
                    waited_ms: 1500,
                },
            ),
            ev(
                3,
                EventKind::Eof {
                    from: Peer::Server,
                    tls: true,
                },
            ),
        ]);
        let t = transcript(&a.record);
        assert_eq!(t[2].local(), Some(&Local::TlsEstablished("TLSv1.3")));
        assert_eq!(t[2].text(), "TLS handshake complete (TLSv1.3)");
        assert_eq!(t[3].text(), "gave up waiting (data) after 1s 500ms");
        assert_eq!(t[4].text(), "server closed the connection");
        let quoted = Local::TlsFailed("x").describe(|m| format!("<{m}>"));
        assert_eq!(quoted, "TLS handshake failed: <x>");
    }

    #[test]
    fn a_write_becomes_one_line_per_lf_and_only_the_first_is_anchored() {
        let a = attempt(vec![write(1, Stage::Ehlo, b"EHLO a\r\nNOOP\nHALF")]);
        let t = transcript(&a.record);
        let lines: Vec<(&[u8], Terminator, Anchor)> = t[2..]
            .iter()
            .map(|e| (e.raw(), e.line().unwrap().ending, e.anchor))
            .collect();
        assert_eq!(
            lines,
            vec![
                (&b"EHLO a\r\n"[..], Terminator::CrLf, Anchor::Event(2)),
                (&b"NOOP\n"[..], Terminator::BareLf, Anchor::None),
                (&b"HALF"[..], Terminator::Unterminated, Anchor::None),
            ]
        );
    }

    #[test]
    fn findings_are_attached_to_their_entries() {
        let a = attempt(vec![
            read(1, b"220 a\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250 b\r\n"),
        ]);
        let finding = |attempt, anchor| {
            let mut f = Finding::new("reply-bare-lf", Stage::Ehlo, anchor, "s", "d");
            f.attempt = attempt;
            f
        };
        let findings = vec![
            finding(Some(0), Anchor::Line(1)),
            finding(None, Anchor::Line(1)),
            finding(Some(1), Anchor::Line(1)),
            finding(Some(0), Anchor::None),
            finding(Some(0), Anchor::Event(3)),
            finding(Some(0), Anchor::Line(1)),
            finding(Some(0), Anchor::Line(9)),
        ];
        let t = Transcript::with_findings(&a.record, 0, &findings);
        let attached: Vec<(usize, Vec<usize>)> = t
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.findings.is_empty())
            .map(|(i, e)| (i, e.findings.clone()))
            .collect();
        assert_eq!(attached, vec![(3, vec![4]), (4, vec![0, 5])]);
        assert_eq!(t.unplaced(), [3, 6]);
    }
}
