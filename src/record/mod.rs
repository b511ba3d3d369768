//! The role-neutral event record: every byte that crossed the wire during one connection, with
//! its time and the peer (server or client) that sent it.
//!
//! The session appends events as it talks; everything else (transcript, checks, printers) is derived
//! from the record without touching a socket.

pub mod attempt;
mod budget;
mod client;
pub mod data;
pub mod decision;
pub mod dns;
pub mod policy;
mod stage;
pub mod tls;

use crate::wire::reply::{
    AssembledReply, LineKind, MAX_REPLY_LINES, ReplyAssembler, ReplyParser, Separator, ServerLine,
};
use crate::wire::request::ClientLine;
pub use budget::{
    ATTEMPT_FLOOR, Budget, LINE_KEEP_OVER_BUDGET, Limit, MAX_KEPT_LINE_BYTES, MAX_KEPT_LINES,
    MAX_KEPT_READ_BYTES, MAX_KEPT_WRITE_BYTES, MAX_READ_EVENTS,
};
pub use client::{ClientHandshake, ClientHello, ClientInput, ClientTls, ClientTlsFailure};
pub use stage::Stage;
use std::net::SocketAddr;

/// One thing that happened on the connection, `at_us` microseconds after the attempt started.
#[derive(Debug, Clone)]
pub struct Event {
    /// Microseconds since the attempt started (before connect).
    pub at_us: u64,
    /// What happened.
    pub kind: EventKind,
}

/// The two peers of an SMTP connection, named by role: the server speaks first and answers, the
/// client sends commands. The probe is a client observing a server, the mock a server observing
/// a client, the proxy observes both; all three fill the same record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The side that greets and replies.
    Server,
    /// The side that sends commands.
    Client,
}

impl Peer {
    /// `server` or `client`.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Server => "server",
            Peer::Client => "client",
        }
    }
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
    /// One read from the connection (TCP, or decrypted TLS plaintext when `tls`): bytes that
    /// `from` sent, as the observer read them.
    Read {
        /// Who sent the bytes.
        from: Peer,
        /// Read inside TLS.
        tls: bool,
        /// The exact bytes (may be shorter than `len` once the kept-bytes budget is spent).
        bytes: Vec<u8>,
        /// How many bytes the read returned.
        len: usize,
    },
    /// One write to the connection: bytes the observer sent in the role of `from`.
    Write {
        /// In whose role the bytes were written (the probe writes as the client).
        from: Peer,
        /// How many replies the client awaits for these bytes: one per command, two for a
        /// pipelined RSET and QUIT, none for message content or a server's reply. A reply
        /// that comes when none is awaited is unsolicited.
        expects: u16,
        /// Written inside TLS.
        tls: bool,
        /// The stage the command belongs to.
        stage: Stage,
        /// The exact bytes.
        bytes: Vec<u8>,
    },
    /// A peer closed its side (a read returned 0).
    Eof {
        /// Who closed.
        from: Peer,
        /// Inside TLS.
        tls: bool,
    },
    /// A read or write failed (reset, TLS alert, ...).
    IoError {
        /// The stage when it happened.
        stage: Stage,
        /// The kind the operating system (or TLS) reported.
        kind: std::io::ErrorKind,
        /// The error text, with what was being done.
        message: String,
    },
    /// A wait ended by its deadline.
    Timeout {
        /// What was awaited.
        stage: Stage,
        /// How long the wait lasted, in ms.
        waited_ms: u64,
    },
    /// A wait was cut short because the probe was interrupted (Ctrl-C).
    Interrupted {
        /// What was awaited.
        stage: Stage,
        /// How long it had been awaited, in ms.
        waited_ms: u64,
    },
    /// Plaintext bytes that were buffered when TLS started and were thrown away (RFC 3207 §4.2).
    PlaintextDiscarded {
        /// How many bytes.
        len: usize,
    },
    /// Message data was streamed (only its first bytes are kept, as a `Write`): after the
    /// final dot's write, or where the streaming stopped.
    DataSent {
        /// Bytes of the message on the wire: dot-stuffed, the final `\r\n.\r\n` included
        /// when it was written.
        bytes: u64,
        /// Content bytes as given (read from the source, before dot-stuffing).
        content_bytes: u64,
        /// How long the transfer took (the final dot's write included), µs.
        elapsed_us: u64,
        /// The slowest single write, µs.
        slowest_write_us: u64,
    },
    /// Message data written after the first bytes the record keeps of it (whole lines are
    /// kept, then this): what the transcript leaves out.
    DataElided {
        /// Bytes on the wire not kept.
        bytes: u64,
        /// Lines they hold; a last line whose end came with the final dot counts as one.
        lines: u64,
    },
    /// Something the probe decided or noticed locally, worth showing in the transcript.
    Note {
        /// The stage.
        stage: Stage,
        /// What happened.
        message: String,
    },
    /// A bound on what is kept was reached (first time for this attempt, or for this reply).
    LimitReached {
        /// Which bound.
        limit: Limit,
    },
    /// `--starttls require` could not be met and the dialogue stopped.
    TlsPolicyUnmet {
        /// The stage where it stopped (`starttls` or `tls`).
        stage: Stage,
        /// Why.
        failure: decision::TlsPolicyFailure,
    },
    /// The message was not sent (or not completed), and why.
    MessageNotSent {
        /// Why.
        reason: decision::NotSent,
    },
    /// The message whose final dot was just read already arrived on an earlier connection of
    /// the same run (same Message-ID, else the same content hash): what a short dot timeout
    /// causes.
    DuplicateMessage {
        /// The earlier connection's number.
        of_connection: u64,
        /// The Message-ID both carry, when they have one.
        message_id: Option<String>,
    },
    /// The TLS handshake finished (successfully or not).
    TlsHandshake {
        /// Whether it succeeded.
        ok: bool,
        /// Error text on failure, protocol summary on success.
        message: String,
    },
    /// The failed handshake before this event failed on bytes that are not TLS records: the
    /// peer spoke plaintext where TLS was due.
    NotTls,
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
#[derive(Debug, Clone)]
pub struct Record {
    /// Raw events in order.
    pub events: Vec<Event>,
    /// Server lines as the reply parser cut them, in order.
    pub server_lines: Vec<ServerLine>,
    /// Replies in order.
    pub replies: Vec<ReplyRecord>,
    /// Client lines as the request parser cut them, in order (a server's record).
    pub client_lines: Vec<ClientLine>,
    /// The client's input being parsed, and what of the client side was not kept.
    pub client: ClientInput,
    /// Read bytes not kept because the budget was spent.
    pub dropped_read_bytes: u64,
    /// Server lines not kept, for any reason (per reply or per attempt).
    pub dropped_lines: u64,
    /// Of those, lines beyond [`MAX_REPLY_LINES`] of their reply.
    pub dropped_reply_lines: u64,
    /// Lines kept but cut short (line length or transcript size).
    pub truncated_lines: u64,
    /// Content bytes of those lines that were counted but not kept.
    pub truncated_bytes: u64,
    /// Reads merged into an earlier read event ([`MAX_READ_EVENTS`]).
    pub merged_reads: u64,
    budget: Budget,
    read_events: usize,
    hit: Vec<Limit>,
}

impl Default for Record {
    fn default() -> Self {
        Record::with_budget(Budget::default())
    }
}

impl Record {
    /// An empty record that may keep what `budget` allows (plus [`ATTEMPT_FLOOR`]).
    pub fn with_budget(budget: Budget) -> Record {
        Record {
            events: Vec::new(),
            server_lines: Vec::new(),
            replies: Vec::new(),
            client_lines: Vec::new(),
            client: ClientInput::default(),
            dropped_read_bytes: 0,
            dropped_lines: 0,
            dropped_reply_lines: 0,
            truncated_lines: 0,
            truncated_bytes: 0,
            merged_reads: 0,
            budget,
            read_events: 0,
            hit: Vec::new(),
        }
    }

    /// What is left of the budget, for the next attempt.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Gives the kept read bytes back to the budget and forgets them. Call it once the checks
    /// have run: transcripts and reports are made from lines, never from read bytes.
    pub fn release_read_bytes(&mut self) {
        for e in &mut self.events {
            if let EventKind::Read { bytes, .. } = &mut e.kind {
                self.budget.read_bytes += bytes.len();
                *bytes = Vec::new();
            }
        }
        self.budget.read_bytes = self.budget.read_bytes.min(MAX_KEPT_READ_BYTES);
    }

    /// Appends an event and returns its index.
    pub fn push(&mut self, at_us: u64, kind: EventKind) -> usize {
        self.events.push(Event { at_us, kind });
        self.events.len() - 1
    }

    /// Records `limit` as reached, once per attempt.
    fn reach(&mut self, at_us: u64, limit: Limit) {
        if !self.hit.contains(&limit) {
            self.hit.push(limit);
            self.push(at_us, EventKind::LimitReached { limit });
        }
    }

    /// Records a read, keeping its bytes while the budget lasts; returns the event index, which
    /// is the index of an earlier read when this one was merged into it ([`MAX_READ_EVENTS`]).
    pub fn push_read(&mut self, at_us: u64, tls: bool, data: &[u8]) -> usize {
        if self.budget.read_events == 0 && self.read_events >= ATTEMPT_FLOOR {
            self.reach(at_us, Limit::ReadEvents);
            self.dropped_read_bytes += data.len() as u64;
            if let Some(last) = self.events.last_mut()
                && let EventKind::Read { tls: t, len, .. } = &mut last.kind
                && *t == tls
            {
                *len += data.len();
                self.merged_reads += 1;
                return self.events.len() - 1;
            }
            // Something else happened since the last read: this one gets an event of its own.
            return self.push(
                at_us,
                EventKind::Read {
                    from: Peer::Server,
                    tls,
                    bytes: vec![],
                    len: data.len(),
                },
            );
        }
        let keep = self.budget.read_bytes.min(data.len());
        self.budget.read_bytes -= keep;
        self.dropped_read_bytes += (data.len() - keep) as u64;
        self.read_events += 1;
        self.budget.read_events = self.budget.read_events.saturating_sub(1);
        let idx = self.push(
            at_us,
            EventKind::Read {
                from: Peer::Server,
                tls,
                bytes: data[..keep].to_vec(),
                len: data.len(),
            },
        );
        if keep < data.len() {
            self.reach(at_us, Limit::ReadBytes);
        }
        idx
    }

    /// Stores a server line unless the line budget is spent; returns whether it was stored.
    /// Once [`MAX_KEPT_LINE_BYTES`] of content is kept, a line keeps its first
    /// [`LINE_KEEP_OVER_BUDGET`] bytes and counts the rest.
    pub fn push_line(&mut self, mut line: ServerLine) -> bool {
        let at = self.events.last().map_or(0, |e| e.at_us);
        if self.budget.lines == 0 && self.server_lines.len() >= ATTEMPT_FLOOR {
            self.dropped_lines += 1;
            self.reach(at, Limit::TranscriptLines);
            return false;
        }
        if line.dropped > 0 {
            self.reach(at, Limit::LineLength);
        }
        self.budget.lines = self.budget.lines.saturating_sub(1);
        let room = self.budget.line_bytes;
        let keep = line.content.len().min(room.max(LINE_KEEP_OVER_BUDGET));
        if keep < line.content.len() {
            line.dropped += line.content.len() - keep;
            line.content.truncate(keep);
            line.content.shrink_to_fit();
            self.reach(at, Limit::TranscriptBytes);
        }
        self.budget.line_bytes = room.saturating_sub(keep);
        if line.dropped > 0 {
            self.truncated_lines += 1;
            self.truncated_bytes += line.dropped as u64;
        }
        self.server_lines.push(line);
        true
    }

    /// Counts a line beyond [`MAX_REPLY_LINES`] of its reply; the first of a reply is recorded
    /// as a [`Limit::ReplyLines`] event.
    pub fn drop_reply_line(&mut self, at_us: u64, first_of_reply: bool) {
        self.dropped_lines += 1;
        self.dropped_reply_lines += 1;
        if first_of_reply {
            self.push(
                at_us,
                EventKind::LimitReached {
                    limit: Limit::ReplyLines,
                },
            );
        }
    }

    /// The limits reached, in the order they were first reached.
    pub fn limits_reached(&self) -> &[Limit] {
        &self.hit
    }

    /// Moves the parser's complete lines into the record and returns the replies they
    /// complete, each with the end of its line range; the caller attributes them. A long reply
    /// keeps its first lines and always its last one, which carries the reply's code and
    /// meaning; the lines between are counted ([`MAX_REPLY_LINES`]). `at_us` dates a limit hit.
    pub fn absorb(
        &mut self,
        parser: &mut ReplyParser,
        assembler: &mut ReplyAssembler,
        at_us: u64,
    ) -> Vec<(AssembledReply, usize)> {
        let mut done = Vec::new();
        while let Some(line) = parser.next_line() {
            let kind = line.kind;
            let index = self.server_lines.len();
            let ends_reply = !matches!(
                kind,
                LineKind::Empty
                    | LineKind::Status {
                        sep: Separator::Dash,
                        ..
                    }
            );
            self.keep_reply_line(line, assembler.open_lines(), ends_reply, at_us);
            if let Some(reply) = assembler.push(index, kind) {
                done.push((reply, self.server_lines.len()));
            }
        }
        done
    }

    /// Keeps an unterminated tail (the stream or the wait ended before its line end) in the
    /// transcript without letting it complete a reply.
    pub fn absorb_partial(
        &mut self,
        parser: &mut ReplyParser,
        assembler: &ReplyAssembler,
        at_us: u64,
    ) {
        parser.finish();
        while let Some(line) = parser.next_line() {
            self.keep_reply_line(line, assembler.open_lines(), false, at_us);
        }
    }

    fn keep_reply_line(&mut self, line: ServerLine, open: usize, ends_reply: bool, at_us: u64) {
        if open < MAX_REPLY_LINES - 1 || ends_reply {
            self.push_line(line);
        } else {
            self.drop_reply_line(at_us, open == MAX_REPLY_LINES - 1);
        }
    }

    /// Time of an event in µs (0 when out of range).
    pub fn at_us(&self, event: usize) -> u64 {
        self.events.get(event).map_or(0, |e| e.at_us)
    }

    /// The lines of a reply.
    pub fn reply_lines(&self, reply: &ReplyRecord) -> &[ServerLine] {
        let end = reply.end_line.min(self.server_lines.len());
        let start = reply.first_line.min(end);
        &self.server_lines[start..end]
    }

    /// Whether the server's first line was a positive continuation line (a `220-` teaser).
    pub fn greeting_teaser(&self) -> bool {
        self.server_lines.first().is_some_and(ServerLine::is_teaser)
    }

    /// The last reply recorded for a stage.
    pub fn last_reply(&self, stage: &Stage) -> Option<&ReplyRecord> {
        self.replies.iter().rev().find(|r| &r.stage == stage)
    }

    /// Decides from the record which replies nobody asked for: the client awaits the greeting
    /// from the start and as many replies as each of its writes `expects`; a reply completed
    /// while none was awaited is unsolicited. Replies are in the order they completed.
    pub fn mark_unsolicited(&mut self) {
        let mut awaited: u32 = 1; // the greeting
        let mut counted = 0; // events whose writes are counted
        for i in 0..self.replies.len() {
            let r = &self.replies[i];
            // The read that completed the reply: its last line's, or, when that line was not
            // kept, the last read before the reply was complete.
            let done = match r
                .end_line
                .checked_sub(1)
                .and_then(|l| self.server_lines.get(l))
            {
                Some(line) if r.end_line > r.first_line => line.last_read + 1,
                _ => self
                    .events
                    .partition_point(|e| e.at_us <= r.completed_at_us),
            };
            for e in &self.events[counted.min(done)..done] {
                if let EventKind::Write {
                    from: Peer::Client,
                    expects,
                    ..
                } = e.kind
                {
                    awaited += u32::from(expects);
                }
            }
            counted = counted.max(done);
            let unsolicited = awaited == 0;
            awaited = awaited.saturating_sub(1);
            self.replies[i].unsolicited = unsolicited;
        }
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
                    for (done, end_line) in rec.absorb(&mut parser, &mut assembler, at) {
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
        rec.mark_unsolicited();
        rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::reply::{LineKind, Terminator};

    fn line(len: usize) -> ServerLine {
        let mut content = b"250-".to_vec();
        content.resize(len.max(4), b'x');
        ServerLine {
            kind: LineKind::Garbage,
            content,
            dropped: 0,
            terminator: Terminator::CrLf,
            offset: 0,
            first_read: 0,
            last_read: 0,
            reads: vec![0],
        }
    }

    fn limits(rec: &Record) -> Vec<Limit> {
        rec.events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::LimitReached { limit } => Some(limit),
                _ => None,
            })
            .collect()
    }

    /// Regression: line content was bounded per line but not in total, so 1000-line replies of
    /// long lines kept 4 MiB per reply (300 MiB of RSS by the end of the report).
    #[test]
    fn line_content_is_bounded_in_total_and_the_limit_is_recorded() {
        let mut rec = Record::default();
        for _ in 0..MAX_KEPT_LINE_BYTES / 4096 {
            rec.push_line(line(4096));
        }
        assert_eq!(rec.truncated_lines, 0);
        assert!(rec.push_line(line(4096)), "the line is still stored");
        let last = rec.server_lines.last().unwrap();
        assert_eq!(last.content.len(), LINE_KEEP_OVER_BUDGET);
        assert_eq!(last.dropped, 4096 - LINE_KEEP_OVER_BUDGET);
        assert_eq!(rec.truncated_lines, 1);
        assert_eq!(rec.truncated_bytes, (4096 - LINE_KEEP_OVER_BUDGET) as u64);
        assert_eq!(limits(&rec), vec![Limit::TranscriptBytes]);
    }

    #[test]
    fn line_count_is_bounded_and_recorded_once() {
        let mut rec = Record::default();
        for _ in 0..MAX_KEPT_LINES + 10 {
            rec.push_line(line(5));
        }
        assert_eq!(rec.server_lines.len(), MAX_KEPT_LINES);
        assert_eq!(rec.dropped_lines, 10);
        assert_eq!(limits(&rec), vec![Limit::TranscriptLines]);
    }

    /// Regression: every read was an event of its own, and every read a line spanned was listed
    /// in the line, so a server writing one byte at a time grew both without bound.
    #[test]
    fn reads_beyond_the_event_budget_are_merged() {
        let mut rec = Record::default();
        for _ in 0..MAX_READ_EVENTS {
            rec.push_read(1, false, b"x");
        }
        let last = rec.events.len() - 1;
        let merged: Vec<usize> = (0..1000).map(|_| rec.push_read(2, false, b"y")).collect();
        // The limit event comes first; then reads merge into the read after it.
        assert!(merged.iter().all(|&i| i == merged[0]));
        assert_eq!(merged[0], last + 2);
        assert_eq!(rec.events.len(), MAX_READ_EVENTS + 2);
        assert_eq!(rec.merged_reads, 999);
        assert_eq!(limits(&rec), vec![Limit::ReadEvents]);
        match &rec.events[merged[0]].kind {
            EventKind::Read { len, .. } => assert_eq!(*len, 1000),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn read_bytes_are_bounded_and_given_back_after_the_checks() {
        let mut rec = Record::default();
        let block = vec![b'a'; 1 << 20];
        for _ in 0..5 {
            rec.push_read(1, false, &block);
        }
        assert_eq!(rec.dropped_read_bytes, 1 << 20);
        assert_eq!(rec.budget().read_bytes, 0);
        assert_eq!(limits(&rec), vec![Limit::ReadBytes]);
        rec.release_read_bytes();
        assert_eq!(rec.budget().read_bytes, MAX_KEPT_READ_BYTES);
        assert!(rec.events.iter().all(|e| match &e.kind {
            EventKind::Read { bytes, .. } => bytes.is_empty(),
            _ => true,
        }));
    }

    /// The budget is the probe's: a later attempt keeps only what earlier ones left, but at
    /// least [`ATTEMPT_FLOOR`] lines.
    #[test]
    fn attempts_share_one_budget_with_a_floor() {
        let mut first = Record::default();
        for _ in 0..MAX_KEPT_LINES {
            first.push_line(line(300));
        }
        let left = first.budget();
        assert_eq!(left.lines, 0);
        assert_eq!(left.line_bytes, 0);
        let mut second = Record::with_budget(left);
        for _ in 0..ATTEMPT_FLOOR + 5 {
            second.push_line(line(300));
        }
        assert_eq!(second.server_lines.len(), ATTEMPT_FLOOR);
        assert_eq!(second.dropped_lines, 5);
        assert!(
            second
                .server_lines
                .iter()
                .all(|l| l.content.len() == LINE_KEEP_OVER_BUDGET)
        );
    }

    #[test]
    fn reply_lines_beyond_the_limit_are_counted_and_recorded_per_reply() {
        let mut rec = Record::default();
        rec.drop_reply_line(5, true);
        rec.drop_reply_line(6, false);
        assert_eq!(rec.dropped_lines, 2);
        assert_eq!(rec.dropped_reply_lines, 2);
        assert_eq!(limits(&rec), vec![Limit::ReplyLines]);
    }
}
