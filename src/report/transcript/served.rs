//! The transcript of a server's record (the mock's): client lines from the request parser at the reads that completed them, server lines cut from the server's own writes.

use super::{Entry, EntryKind, Line, ReadRef, Transcript};
use crate::checks::Anchor;
use crate::record::{EventKind, Peer, Record};
use crate::wire::reply::{ReplyParser, Terminator};
use crate::wire::request::ClientLine;
use std::borrow::Cow;

/// Whether the record is a server's: it read the client's bytes and wrote its own replies.
pub(super) fn is_served(rec: &Record) -> bool {
    rec.events.iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Read {
                from: Peer::Client,
                ..
            } | EventKind::Write {
                from: Peer::Server,
                ..
            }
        )
    })
}

/// What building a server's transcript keeps track of.
pub(super) struct Served {
    /// The next client line to place.
    next_line: usize,
    /// The server's writes, cut into lines.
    writes: ReplyParser,
    /// Writes so far (their numbers, from 1).
    written: usize,
    /// Number of each write event.
    write_no: Vec<usize>,
    /// Each client read: the stream offset of its first byte and its event index, in order.
    read_starts: Vec<(u64, usize)>,
    /// The entry of the last final dot placed (where a duplicate's finding points).
    pub(super) last_dot: Option<usize>,
}

impl Served {
    pub(super) fn new(rec: &Record) -> Served {
        let mut read_starts = Vec::new();
        let mut offset = 0u64;
        for (i, e) in rec.events.iter().enumerate() {
            if let EventKind::Read {
                from: Peer::Client,
                len,
                ..
            } = e.kind
            {
                read_starts.push((offset, i));
                offset += len as u64;
            }
        }
        Served {
            next_line: 0,
            writes: ReplyParser::new(),
            written: 0,
            write_no: vec![0; rec.events.len()],
            read_starts,
            last_dot: None,
        }
    }

    /// The client reads that carried stream offsets `start..end`.
    fn reads_of(&self, start: u64, end: u64) -> Vec<usize> {
        let first = self
            .read_starts
            .partition_point(|&(s, _)| s <= start)
            .saturating_sub(1);
        self.read_starts[first..]
            .iter()
            .take_while(|&&(s, _)| s < end.max(start + 1))
            .map(|&(_, i)| i)
            .collect()
    }
}

/// The reads of a line as the report shows them.
pub(super) fn read_refs(rec: &Record, read_no: &[usize], reads: &[usize]) -> Vec<ReadRef> {
    reads
        .iter()
        .map(|&r| ReadRef {
            n: read_no.get(r).copied().unwrap_or(0),
            at_ms: rec.at_us(r) as f64 / 1000.0,
            len: match rec.events.get(r).map(|e| &e.kind) {
                Some(EventKind::Read { len, .. }) => *len,
                Some(EventKind::Write { bytes, .. }) => bytes.len(),
                _ => 0,
            },
        })
        .collect()
}

fn terminator_bytes(t: Terminator) -> &'static [u8] {
    match t {
        Terminator::CrLf => b"\r\n",
        Terminator::BareLf => b"\n",
        Terminator::BareCr => b"\r",
        Terminator::Unterminated => b"",
    }
}

fn is_tls(rec: &Record, event: usize) -> bool {
    matches!(
        rec.events.get(event).map(|e| &e.kind),
        Some(EventKind::Read { tls: true, .. } | EventKind::Write { tls: true, .. })
    )
}

impl<'a> Transcript<'a> {
    /// Client lines completed by reads up to event `upto`, not yet placed.
    pub(super) fn push_client_lines(
        &mut self,
        rec: &'a Record,
        read_no: &[usize],
        upto: usize,
        s: &mut Served,
    ) {
        while let Some(l) = rec.client_lines.get(s.next_line) {
            if l.last_read > upto {
                break;
            }
            let index = s.next_line;
            s.next_line += 1;
            let first_entry = self.entries.len();
            if l.message().is_some() {
                self.push_message(rec, read_no, l, index, s);
            } else {
                self.push(Entry {
                    at_us: rec.at_us(l.last_read),
                    tls: is_tls(rec, l.last_read),
                    kind: EntryKind::Line(Line {
                        from: Peer::Client,
                        raw: Cow::Owned(l.raw()),
                        ending: l.terminator,
                        reads: read_refs(rec, read_no, &l.reads),
                        observed: true,
                        dropped: l.dropped,
                        discarded: l.discarded,
                    }),
                    anchor: Anchor::Line(index),
                    findings: Vec::new(),
                });
            }
            for &r in &l.reads {
                if let Some(slot) = self.by_event.get_mut(r)
                    && slot.is_none()
                {
                    *slot = Some(first_entry);
                }
            }
        }
    }

    /// A message, one entry per line of what was kept of it, then its final dot.
    fn push_message(
        &mut self,
        rec: &'a Record,
        read_no: &[usize],
        l: &'a ClientLine,
        index: usize,
        s: &mut Served,
    ) {
        let complete = l.message().is_some_and(|m| m.complete);
        let mut at = l.offset;
        let mut pieces: Vec<(Vec<u8>, u64, usize)> = l
            .content
            .split_inclusive(|&b| b == b'\n')
            .map(|p| {
                let start = at;
                at += p.len() as u64;
                (p.to_vec(), start, 0)
            })
            .collect();
        let term = terminator_bytes(l.terminator);
        if l.dropped == 0 {
            if let Some(last) = pieces.last_mut() {
                last.0.extend_from_slice(term);
            }
        } else {
            // The kept part ends inside the message: say how much is missing, then the dot.
            let missing = l.dropped - usize::from(complete);
            if let Some(last) = pieces.last_mut() {
                last.2 = missing;
            }
            if complete {
                let dot_start = l.offset + (l.content.len() + missing) as u64;
                pieces.push(([b".", term].concat(), dot_start, 0));
            }
        }
        let count = pieces.len();
        for (k, (raw, start, dropped)) in pieces.into_iter().enumerate() {
            let end = start + (raw.len() + dropped) as u64;
            let reads = s.reads_of(start, end);
            let last_read = reads.last().copied().unwrap_or(l.last_read);
            if complete && k + 1 == count {
                s.last_dot = Some(self.entries.len());
            }
            self.push(Entry {
                at_us: rec.at_us(last_read),
                tls: is_tls(rec, last_read),
                kind: EntryKind::Line(Line {
                    from: Peer::Client,
                    ending: super::ending_of(&raw),
                    raw: Cow::Owned(raw),
                    reads: read_refs(rec, read_no, &reads),
                    observed: true,
                    dropped,
                    discarded: l.discarded,
                }),
                anchor: if k == 0 {
                    Anchor::Line(index)
                } else {
                    Anchor::None
                },
                findings: Vec::new(),
            });
        }
    }

    /// The server's write `event`: the lines it completes.
    pub(super) fn push_written(
        &mut self,
        rec: &'a Record,
        event: usize,
        _tls: bool,
        bytes: &[u8],
        s: &mut Served,
    ) {
        s.written += 1;
        if let Some(n) = s.write_no.get_mut(event) {
            *n = s.written;
        }
        s.writes.feed(event, bytes);
        self.take_written(rec, s);
    }

    /// The rest of the server's writes (a last line without its ending).
    pub(super) fn finish_written(&mut self, rec: &'a Record, s: &mut Served) {
        s.writes.finish();
        self.take_written(rec, s);
    }

    fn take_written(&mut self, rec: &'a Record, s: &mut Served) {
        while let Some(line) = s.writes.next_line() {
            let raw = line.raw();
            let first_free = self
                .by_event
                .get(line.first_read)
                .is_some_and(Option::is_none);
            let entry = self.entries.len();
            self.push(Entry {
                at_us: rec.at_us(line.last_read),
                tls: is_tls(rec, line.last_read),
                kind: EntryKind::Line(Line {
                    from: Peer::Server,
                    ending: super::ending_of(&raw),
                    raw: Cow::Owned(raw),
                    reads: read_refs(rec, &s.write_no, &line.reads),
                    observed: false,
                    dropped: line.dropped,
                    discarded: false,
                }),
                anchor: if first_free {
                    Anchor::Event(line.first_read)
                } else {
                    Anchor::None
                },
                findings: Vec::new(),
            });
            for &w in &line.reads {
                if let Some(slot) = self.by_event.get_mut(w)
                    && slot.is_none()
                {
                    *slot = Some(entry);
                }
            }
        }
    }
}
