//! The event record: every byte that crossed the wire during one attempt, with its time.
//!
//! The session appends events as it talks; everything else (transcript, checks, printers) is derived
//! from the record without touching a socket.

use crate::finding::Stage;
use crate::wire::reply::{ReplyParser, ServerLine};
use std::net::SocketAddr;

/// Bytes of read data kept per attempt; past this only lengths are recorded.
pub const MAX_KEPT_READ_BYTES: usize = 4 * 1024 * 1024;
/// Server lines kept per attempt; past this lines are counted, not stored.
pub const MAX_KEPT_LINES: usize = 20_000;

/// One thing that happened on the connection, `at_us` microseconds after the attempt started.
#[derive(Debug, Clone)]
pub struct Event {
    /// Microseconds since the attempt started (before connect).
    pub at_us: u64,
    /// What happened.
    pub kind: EventKind,
}

/// Why a TCP connect failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// RST in answer to SYN.
    Refused,
    /// No answer within the connect timeout.
    Timeout,
    /// Network or host unreachable (ICMP), or no route.
    Unreachable,
    /// Anything else the OS reported.
    Other,
}

/// The kinds of event.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// A TCP connect was started.
    Connecting {
        /// Where to.
        addr: SocketAddr,
    },
    /// The TCP connect succeeded.
    Connected {
        /// The local address used.
        local: Option<SocketAddr>,
    },
    /// The TCP connect failed.
    ConnectFailed {
        /// Classified cause.
        failure: ConnectFailure,
        /// The OS message.
        message: String,
    },
    /// One read from the connection (TCP, or decrypted TLS plaintext when `tls`).
    Read {
        /// Read inside TLS.
        tls: bool,
        /// The exact bytes (may be shorter than `len` once the kept-bytes budget is spent).
        bytes: Vec<u8>,
        /// How many bytes the read returned.
        len: usize,
    },
    /// One write to the connection.
    Write {
        /// Written inside TLS.
        tls: bool,
        /// The stage the command belongs to.
        stage: Stage,
        /// The exact bytes.
        bytes: Vec<u8>,
    },
    /// The server closed its side (read returned 0).
    Eof {
        /// Inside TLS.
        tls: bool,
    },
    /// A read or write failed (reset, TLS alert, ...).
    IoError {
        /// The stage when it happened.
        stage: Stage,
        /// The error text.
        message: String,
    },
    /// A wait ended by its deadline.
    Timeout {
        /// What was awaited.
        stage: Stage,
        /// How long the wait lasted, in ms.
        waited_ms: u64,
    },
    /// Plaintext bytes that were buffered when TLS started and were thrown away (RFC 3207 §4.2).
    PlaintextDiscarded {
        /// How many bytes.
        len: usize,
    },
    /// Message data was streamed (only its first bytes are kept, as a `Write`).
    DataSent {
        /// Bytes written on the wire (dot-stuffed), final dot excluded.
        bytes: u64,
        /// How long the transfer took, µs.
        elapsed_us: u64,
        /// The slowest single write, µs.
        slowest_write_us: u64,
    },
    /// Something the probe decided or noticed locally, worth showing in the transcript.
    Note {
        /// The stage.
        stage: Stage,
        /// What happened.
        message: String,
    },
    /// The TLS handshake finished (successfully or not).
    TlsHandshake {
        /// Whether it succeeded.
        ok: bool,
        /// Error text on failure, protocol summary on success.
        message: String,
    },
}

/// A reply as the session consumed it: which lines, which command it answered, and when.
#[derive(Debug, Clone)]
pub struct ReplyRecord {
    /// The stage whose command (or greeting) this reply answered.
    pub stage: Stage,
    /// The reply code of the final line, `None` when the final line had no valid code.
    pub code: Option<u16>,
    /// Index range into [`Record::lines`] (empty lines skipped while assembling are included).
    pub first_line: usize,
    /// One past the last line of this reply.
    pub end_line: usize,
    /// When the session started waiting (after writing the command), µs.
    pub awaited_at_us: u64,
    /// When the final line was complete, µs.
    pub completed_at_us: u64,
    /// Event index of the write this reply answers (None for the greeting).
    pub command_event: Option<usize>,
    /// Lines of this reply that were counted but not stored (over the per-reply limit).
    pub dropped_lines: usize,
    /// The reply was complete before its stage's command was written: nobody asked for it.
    pub unsolicited: bool,
}

/// Everything recorded during one attempt.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Raw events in order.
    pub events: Vec<Event>,
    /// Server lines as the reply parser cut them, in order.
    pub lines: Vec<ServerLine>,
    /// Replies in order.
    pub replies: Vec<ReplyRecord>,
    /// Read bytes not kept because the budget was spent.
    pub dropped_read_bytes: u64,
    /// Server lines not kept because the line budget was spent.
    pub dropped_lines: u64,
    kept_read_bytes: usize,
}

impl Record {
    /// Appends an event and returns its index.
    pub fn push(&mut self, at_us: u64, kind: EventKind) -> usize {
        self.events.push(Event { at_us, kind });
        self.events.len() - 1
    }

    /// Records a read, keeping its bytes while the budget lasts; returns the event index.
    pub fn push_read(&mut self, at_us: u64, tls: bool, data: &[u8]) -> usize {
        let room = MAX_KEPT_READ_BYTES.saturating_sub(self.kept_read_bytes);
        let keep = room.min(data.len());
        self.kept_read_bytes += keep;
        self.dropped_read_bytes += (data.len() - keep) as u64;
        self.push(
            at_us,
            EventKind::Read {
                tls,
                bytes: data[..keep].to_vec(),
                len: data.len(),
            },
        )
    }

    /// Stores a server line unless the line budget is spent; returns whether it was stored.
    pub fn push_line(&mut self, line: ServerLine) -> bool {
        if self.lines.len() >= MAX_KEPT_LINES {
            self.dropped_lines += 1;
            false
        } else {
            self.lines.push(line);
            true
        }
    }

    /// Moves the parser's complete lines into the record (keeping at most
    /// [`MAX_REPLY_LINES`](crate::wire::reply::MAX_REPLY_LINES) per reply) and returns the
    /// replies they complete, each with its line range; the caller attributes them.
    pub fn absorb(
        &mut self,
        parser: &mut ReplyParser,
        assembler: &mut crate::wire::reply::ReplyAssembler,
    ) -> Vec<(crate::wire::reply::AssembledReply, usize)> {
        let mut done = Vec::new();
        while let Some(line) = parser.next_line() {
            let kind = line.kind;
            let index = self.lines.len();
            if assembler.open_lines() < crate::wire::reply::MAX_REPLY_LINES {
                self.push_line(line);
            } else {
                self.dropped_lines += 1;
            }
            if let Some(reply) = assembler.push(index, kind) {
                done.push((reply, self.lines.len()));
            }
        }
        done
    }

    /// Time of an event in µs (0 when out of range).
    pub fn at_us(&self, event: usize) -> u64 {
        self.events.get(event).map_or(0, |e| e.at_us)
    }

    /// The lines of a reply.
    pub fn reply_lines(&self, reply: &ReplyRecord) -> &[ServerLine] {
        let end = reply.end_line.min(self.lines.len());
        let start = reply.first_line.min(end);
        &self.lines[start..end]
    }

    /// The last reply recorded for a stage.
    pub fn last_reply(&self, stage: &Stage) -> Option<&ReplyRecord> {
        self.replies.iter().rev().find(|r| &r.stage == stage)
    }

    /// Builds a record from scripted events for tests and replays: reads are parsed into lines
    /// and every complete reply is attributed to the stage of the most recent write (the
    /// greeting before any write).
    pub fn replay(events: Vec<Event>) -> Record {
        let mut rec = Record::default();
        let mut parser = ReplyParser::new();
        let mut assembler = crate::wire::reply::ReplyAssembler::new();
        let mut stage = Stage::Greeting;
        let mut awaited = 0;
        let mut command_event = None;
        for ev in events {
            let at = ev.at_us;
            match &ev.kind {
                EventKind::Write { stage: s, .. } => {
                    stage = s.clone();
                    awaited = at;
                    command_event = Some(rec.events.len());
                    rec.events.push(ev);
                }
                EventKind::Read { bytes, .. } => {
                    let bytes = bytes.clone();
                    let idx = rec.events.len();
                    rec.events.push(ev);
                    parser.feed(idx, &bytes);
                    for (done, end_line) in rec.absorb(&mut parser, &mut assembler) {
                        rec.replies.push(ReplyRecord {
                            stage: stage.clone(),
                            code: done.code,
                            first_line: done.first_line,
                            end_line,
                            awaited_at_us: awaited,
                            completed_at_us: at,
                            command_event,
                            dropped_lines: done.dropped_lines,
                            unsolicited: false,
                        });
                    }
                }
                _ => rec.events.push(ev),
            }
        }
        rec
    }
}
