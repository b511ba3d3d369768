//! The connection as the client's checks see it, derived once from the record: the server's
//! replies cut from its writes, which reply answered which client line, which replies were still
//! due when the client sent something or left, and the EHLO capabilities in force for each line.
//!
//! Order is causal in one direction only: a client read recorded before a server write was sent
//! before the client could have seen that write. A read recorded after a write proves nothing by
//! itself (the server may simply have read late), so the checks that rely on it also look at the
//! time since the line before ([`RIGHT_BEHIND_US`]) and since the last write ([`Timeline::reaction`]).

use crate::record::{EventKind, Limit, Peer, Record, Stage};
use crate::wire::ehlo::Capabilities;
use crate::wire::escape::escape_bytes;
use crate::wire::reply::{LineKind, ReplyAssembler, ReplyParser, ServerLine};
use crate::wire::request::{ClientLine, ClientLineKind, Verb, trim};
use std::ops::Range;

/// A client line read within this long of the line before it was sent "right behind" it, in one
/// go, not after waiting for a reply or for a timer of its own; and a line read within this long
/// after a server write may be a reaction to that write.
pub(super) const RIGHT_BEHIND_US: u64 = 1_000_000;

/// Bytes of client input quoted in a detail.
pub(super) const QUOTE_BYTES: usize = 100;

/// Lines of one reply kept for the checks (an EHLO reply has a few dozen at most).
const KEPT_REPLY_LINES: usize = 256;

/// One reply the server wrote, cut from its writes by the reply parser.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    /// The code of the final line (`None` when it was not a status line).
    pub code: Option<u16>,
    /// Its first lines ([`KEPT_REPLY_LINES`]); `first_read`/`last_read` are write events.
    pub lines: Vec<ServerLine>,
    /// How many lines it had.
    pub line_count: usize,
    /// The write that carried its first byte.
    pub start_write: usize,
    /// The write that completed its first line.
    pub first_write: usize,
    /// The write that completed its last line.
    pub last_write: usize,
}

impl Reply {
    /// Whether the reply is positive (2xx).
    pub fn positive(&self) -> bool {
        matches!(self.code, Some(200..=299))
    }

    /// The capabilities of a positive EHLO reply.
    fn capabilities(&self) -> Capabilities {
        let texts: Vec<String> = self.lines.iter().map(ServerLine::text).collect();
        Capabilities::parse(texts.iter().map(String::as_str))
    }

    /// Whether any line of the reply contains `word` (ASCII case-insensitive).
    pub fn mentions(&self, word: &str) -> bool {
        self.lines.iter().any(|l| {
            l.content
                .split(|b| !b.is_ascii_alphanumeric())
                .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
        })
    }
}

/// What was due when the client did something: the greeting, and the replies to a run of
/// answered client lines (oldest first).
#[derive(Debug, Clone)]
pub(super) struct Due {
    /// The greeting's final line had not been written yet.
    pub greeting: bool,
    /// Range into [`Timeline::answered`].
    commands: Range<usize>,
}

/// How a client line was sent, relative to the replies due at the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    /// Nothing was due but, perhaps, the greeting (that is `client-pregreet`'s business).
    InTurn,
    /// Sent behind `ender` (a client line that must end a pipelining group) before any of its
    /// reply had been written.
    BehindGroupEnd {
        /// The client line whose reply it did not wait for.
        ender: usize,
    },
    /// Sent in the middle of the multi-line reply to client line `to`.
    MidReply {
        /// The client line whose reply was being written.
        to: usize,
    },
    /// Sent while replies were due, behind commands that allow more to follow (pipelining).
    Pipelined {
        /// The oldest client line whose reply was due.
        oldest: usize,
    },
    /// A QUIT sent on its own while a reply was due: the client stopped waiting.
    GaveUp,
}

/// The EHLO (or HELO) exchange in force for a client line.
#[derive(Debug, Clone)]
pub(super) struct Session {
    /// The EHLO/HELO client line.
    pub line: usize,
    /// Its verb.
    pub verb: Verb,
    /// The capabilities of its reply, when it was a positive EHLO reply.
    pub caps: Option<Capabilities>,
    /// Whether the reply was positive.
    pub accepted: bool,
}

impl Session {
    /// Whether the session's EHLO reply advertised `keyword`.
    pub fn has(&self, keyword: &str) -> bool {
        self.caps.as_ref().is_some_and(|c| c.has(keyword))
    }
}

/// The derived view of one connection.
#[derive(Debug)]
pub(super) struct Timeline<'a> {
    /// The record.
    pub rec: &'a Record,
    /// Events from this index on are not judged by their order: a bound on what is kept was
    /// reached there (writes lose their bytes, reads merge, lines are no longer stored).
    pub horizon: usize,
    /// The server's replies in order; the first is the greeting.
    pub replies: Vec<Reply>,
    /// Time of the accepted connection, µs.
    pub connected_us: u64,
    /// The event where the server closed the connection itself.
    pub server_closed: Option<usize>,
    /// Client lines the server answered (not discarded), in order: `answered[k]` got
    /// `replies[k + 1]`.
    answered: Vec<usize>,
    /// Per client line: how many answered lines come before it.
    answered_before: Vec<usize>,
    /// Per client line: its reply (index into `replies`).
    answer: Vec<Option<usize>>,
    /// Per client line: the session (index into `sessions`) in force.
    session_of: Vec<Option<usize>>,
    sessions: Vec<Session>,
    /// Per client line: part of an AUTH exchange (credentials).
    credential: Vec<bool>,
    /// (stream offset, event) of each client read, in order.
    read_starts: Vec<(u64, usize)>,
    /// Per event: the last server write at or before it.
    last_write: Vec<Option<usize>>,
    /// Per client line: how it was sent.
    sent: Vec<Sent>,
}

impl<'a> Timeline<'a> {
    /// Derives the view of `rec`.
    pub fn new(rec: &'a Record) -> Timeline<'a> {
        let horizon = horizon(rec);
        let replies = replies(rec, horizon);
        let lines = &rec.client_lines;
        let mut answered = Vec::new();
        let mut answered_before = Vec::with_capacity(lines.len());
        let mut answer = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            answered_before.push(answered.len());
            if l.discarded {
                answer.push(None);
            } else {
                answered.push(i);
                let k = answered.len();
                answer.push((k < replies.len()).then_some(k));
            }
        }
        let connected_us = rec
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Connected { .. }))
            .map_or(0, |e| e.at_us);
        let server_closed = rec.events.iter().position(|e| {
            matches!(
                e.kind,
                EventKind::Eof {
                    from: Peer::Server,
                    ..
                }
            )
        });
        let mut read_starts = Vec::new();
        let mut last_write = Vec::with_capacity(rec.events.len());
        let mut offset = 0u64;
        let mut write = None;
        for (i, e) in rec.events.iter().enumerate() {
            match e.kind {
                EventKind::Read {
                    from: Peer::Client,
                    len,
                    ..
                } => {
                    read_starts.push((offset, i));
                    offset += len as u64;
                }
                EventKind::Write {
                    from: Peer::Server, ..
                } => write = Some(i),
                _ => {}
            }
            last_write.push(write);
        }
        let mut tl = Timeline {
            rec,
            horizon,
            replies,
            connected_us,
            server_closed,
            answered,
            answered_before,
            answer,
            session_of: Vec::new(),
            sessions: Vec::new(),
            credential: Vec::new(),
            read_starts,
            last_write,
            sent: Vec::new(),
        };
        tl.sessions_and_credentials();
        tl.sent = (0..lines.len()).map(|i| tl.classify(i)).collect();
        tl
    }

    fn sessions_and_credentials(&mut self) {
        let lines = &self.rec.client_lines;
        let mut current: Option<usize> = None;
        let mut current_tls = false;
        let mut session_of = Vec::with_capacity(lines.len());
        let mut credential = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let tls = self.line_tls(i);
            if tls != current_tls {
                // RFC 3207 §4.2: what the client knew from before TLS no longer holds.
                current = None;
                current_tls = tls;
            }
            session_of.push(current);
            let secret = i > 0 && {
                let prev = &lines[i - 1];
                let follows_auth = prev.verb() == Some(Verb::Auth) || credential[i - 1];
                follows_auth
                    && match self.reply_of(i - 1) {
                        Some(r) => r.code == Some(334) || r.last_write > l.first_read,
                        None => true,
                    }
            };
            credential.push(secret);
            if !l.discarded && matches!(l.verb(), Some(Verb::Ehlo | Verb::Helo)) {
                let reply = self.reply_of(i);
                let accepted = reply.is_some_and(Reply::positive);
                let caps = match (l.verb(), reply) {
                    (Some(Verb::Ehlo), Some(r)) if r.positive() => Some(r.capabilities()),
                    _ => None,
                };
                self.sessions.push(Session {
                    line: i,
                    verb: l.verb().unwrap_or(Verb::Unknown),
                    caps,
                    accepted,
                });
                current = Some(self.sessions.len() - 1);
            }
        }
        self.session_of = session_of;
        self.credential = credential;
    }

    /// The client lines.
    pub fn lines(&self) -> &'a [ClientLine] {
        &self.rec.client_lines
    }

    /// Time of an event, µs.
    pub fn at(&self, event: usize) -> u64 {
        self.rec.at_us(event)
    }

    /// The greeting, when the server completed one.
    pub fn greeting(&self) -> Option<&Reply> {
        self.replies.first()
    }

    /// The reply that answered client line `line`.
    pub fn reply_of(&self, line: usize) -> Option<&Reply> {
        self.answer
            .get(line)
            .copied()
            .flatten()
            .and_then(|k| self.replies.get(k))
    }

    /// Whether client line `line` can be judged by its place among the events.
    pub fn judged(&self, line: usize) -> bool {
        self.lines()
            .get(line)
            .is_some_and(|l| l.last_read < self.horizon)
    }

    /// Whether client line `line` was read inside TLS.
    pub fn line_tls(&self, line: usize) -> bool {
        self.lines().get(line).is_some_and(|l| {
            matches!(
                self.rec.events.get(l.first_read).map(|e| &e.kind),
                Some(EventKind::Read { tls: true, .. })
            )
        })
    }

    /// The EHLO/HELO exchange in force for client line `line` (the last one before it on the
    /// same side of the TLS handshake), answered or not yet.
    pub fn session(&self, line: usize) -> Option<&Session> {
        self.session_of
            .get(line)
            .copied()
            .flatten()
            .map(|s| &self.sessions[s])
    }

    /// Whether client line `line` belongs to an AUTH exchange (an initial or continued
    /// response): it must not be quoted.
    pub fn is_credential(&self, line: usize) -> bool {
        self.credential.get(line).copied().unwrap_or(false)
    }

    /// What was due at `event`, given the first `lines_before` client lines.
    pub fn due_at(&self, event: usize, lines_before: usize) -> Due {
        let greeting = self.greeting().is_none_or(|g| g.last_write > event);
        let before = self
            .answered_before
            .get(lines_before)
            .copied()
            .unwrap_or(self.answered.len());
        let done = self
            .replies
            .get(1..)
            .map_or(0, |r| r.partition_point(|r| r.last_write < event))
            .min(before);
        Due {
            greeting,
            commands: done..before,
        }
    }

    /// The client lines whose replies were due, oldest first.
    pub fn due_lines(&self, due: &Due) -> &[usize] {
        &self.answered[due.commands.clone()]
    }

    /// Whether client line `line` was read right behind the line before it
    /// ([`RIGHT_BEHIND_US`]).
    pub fn right_behind(&self, line: usize) -> bool {
        let lines = self.lines();
        if line == 0 || line >= lines.len() {
            return false;
        }
        let (prev, l) = (&lines[line - 1], &lines[line]);
        l.first_read == prev.last_read
            || self
                .at(l.first_read)
                .saturating_sub(self.at(prev.last_read))
                <= RIGHT_BEHIND_US
    }

    /// Whether the reply to client line `to` had written its first line before `event`.
    fn started(&self, to: usize, event: usize) -> bool {
        self.reply_of(to).is_some_and(|r| r.first_write < event)
    }

    /// Whether `event` came within [`RIGHT_BEHIND_US`] after a write of the reply to client
    /// line `to`: a reaction to a line of it.
    pub fn reaction(&self, to: usize, event: usize) -> bool {
        let Some(reply) = self.reply_of(to) else {
            return false;
        };
        let last = event
            .checked_sub(1)
            .and_then(|e| self.last_write.get(e).copied().flatten());
        last.is_some_and(|w| {
            (reply.start_write..=reply.last_write).contains(&w)
                && self.at(event).saturating_sub(self.at(w)) <= RIGHT_BEHIND_US
        })
    }

    /// How client line `line` was sent (see [`Sent`]).
    pub fn sent(&self, line: usize) -> Sent {
        self.sent.get(line).copied().unwrap_or(Sent::InTurn)
    }

    fn classify(&self, line: usize) -> Sent {
        let Some(l) = self.lines().get(line) else {
            return Sent::InTurn;
        };
        let r = l.first_read;
        let due = self.due_at(r, line);
        let cmds = self.due_lines(&due);
        let quit_alone = l.verb() == Some(Verb::Quit) && !self.right_behind(line);
        let Some(&oldest) = cmds.first() else {
            return if due.greeting && quit_alone {
                Sent::GaveUp
            } else {
                Sent::InTurn
            };
        };
        if self.started(oldest, r) {
            let reacted = !self.right_behind(line) && self.reaction(oldest, r);
            let early = if quit_alone {
                reacted
            } else {
                ends_group(&self.lines()[oldest]) || reacted
            };
            if early {
                return Sent::MidReply { to: oldest };
            }
        }
        if quit_alone {
            return Sent::GaveUp;
        }
        if let Some(&ender) = cmds
            .iter()
            .find(|&&g| ends_group(&self.lines()[g]) && !self.started(g, r))
        {
            return Sent::BehindGroupEnd { ender };
        }
        Sent::Pipelined { oldest }
    }

    /// The event of the client read that carried stream offset `offset`.
    pub fn read_at_offset(&self, offset: u64) -> Option<usize> {
        let i = self.read_starts.partition_point(|&(o, _)| o <= offset);
        i.checked_sub(1).map(|i| self.read_starts[i].1)
    }

    /// The stage a client line belongs to: that of the server's reply to it, else by its verb.
    pub fn stage_of(&self, line: usize) -> Stage {
        if let Some(r) = self.reply_of(line)
            && let Some(EventKind::Write { stage, .. }) =
                self.rec.events.get(r.start_write).map(|e| &e.kind)
        {
            return stage.clone();
        }
        match self.lines().get(line).map(|l| l.kind) {
            Some(ClientLineKind::Message(_)) => Stage::Dot,
            Some(ClientLineKind::Command(verb)) => Stage::of_verb(verb).unwrap_or(Stage::Ehlo),
            None => Stage::Greeting,
        }
    }

    /// A client line for a detail: escaped, at most [`QUOTE_BYTES`] of it, credentials
    /// replaced by `<redacted>`.
    pub fn quote(&self, line: usize) -> String {
        let Some(l) = self.lines().get(line) else {
            return String::new();
        };
        if self.is_credential(line) {
            return "<redacted>".into();
        }
        let content = redact(&l.content);
        quote_bytes(&content, content.len() + l.dropped)
    }

    /// The name of a client line for a detail: its verb, or "the message".
    pub fn name(&self, line: usize) -> String {
        match self.lines().get(line).map(|l| l.kind) {
            Some(ClientLineKind::Message(_)) => "the message".into(),
            Some(ClientLineKind::Command(Verb::Unknown)) => format!("\"{}\"", self.quote(line)),
            Some(ClientLineKind::Command(verb)) => verb.name().into(),
            None => "?".into(),
        }
    }
}

/// Whether a client line must end a pipelining group (RFC 2920 §3.1: EHLO, DATA, VRFY, EXPN,
/// TURN, QUIT, NOOP; HELO alike; STARTTLS, RFC 3207 §4.2; AUTH, RFC 4954 §4). BDAT is not one.
pub(super) fn ends_group(line: &ClientLine) -> bool {
    match line.verb() {
        Some(
            Verb::Ehlo
            | Verb::Helo
            | Verb::Data
            | Verb::Starttls
            | Verb::Quit
            | Verb::Noop
            | Verb::Auth
            | Verb::Vrfy
            | Verb::Expn,
        ) => true,
        Some(Verb::Unknown) => {
            let word = line
                .content
                .split(|&b| b == b' ')
                .next()
                .unwrap_or_default();
            word.eq_ignore_ascii_case(b"TURN") || word.eq_ignore_ascii_case(b"ATRN")
        }
        _ => false,
    }
}

/// Escaped bytes for a detail: the first [`QUOTE_BYTES`], and `…` when `total` is larger.
pub(super) fn quote_bytes(bytes: &[u8], total: usize) -> String {
    let mut s = escape_bytes(&bytes[..bytes.len().min(QUOTE_BYTES)]);
    if total > QUOTE_BYTES.min(bytes.len()) {
        s.push('…');
    }
    s
}

/// Client bytes with credentials removed: from the first line that starts with `AUTH`, the
/// mechanism is kept and everything after it becomes `<redacted>` (what follows AUTH in the
/// same bytes may be its responses).
pub(super) fn redact(bytes: &[u8]) -> Vec<u8> {
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| start + p);
        let mut at = start;
        while at < end && (bytes[at] == b' ' || bytes[at] == b'\t') {
            at += 1;
        }
        let word_end = at + 4;
        let is_auth = word_end <= end
            && bytes[at..word_end].eq_ignore_ascii_case(b"AUTH")
            && matches!(bytes.get(word_end), None | Some(b' ' | b'\r' | b'\n'));
        if is_auth {
            let mut mech = word_end;
            while mech < end && bytes[mech] == b' ' {
                mech += 1;
            }
            while mech < end && !matches!(bytes[mech], b' ' | b'\r') {
                mech += 1;
            }
            let mut out = bytes[..mech].to_vec();
            if !trim(&bytes[mech..]).is_empty() {
                out.extend_from_slice(b" <redacted>");
            }
            return out;
        }
        start = end + 1;
    }
    bytes.to_vec()
}

/// The first event whose order can no longer be trusted (see [`Timeline::horizon`]).
fn horizon(rec: &Record) -> usize {
    let hit = rec.events.iter().position(|e| {
        matches!(
            e.kind,
            EventKind::LimitReached {
                // Client reads past the read-bytes budget keep their length, and the request
                // parser saw all of them: only the server's writes and the event count matter.
                limit: Limit::ReadEvents | Limit::WriteBytes | Limit::TranscriptLines
            }
        )
    });
    match hit {
        // The write that spent the byte budget lost its tail: it is beyond the horizon too.
        Some(i)
            if i > 0
                && matches!(
                    rec.events[i].kind,
                    EventKind::LimitReached {
                        limit: Limit::WriteBytes
                    }
                )
                && matches!(
                    rec.events[i - 1].kind,
                    EventKind::Write {
                        from: Peer::Server,
                        ..
                    }
                ) =>
        {
            i - 1
        }
        Some(i) => i,
        None => rec.events.len(),
    }
}

/// The server's replies, cut from its writes before `horizon`.
fn replies(rec: &Record, horizon: usize) -> Vec<Reply> {
    let mut parser = ReplyParser::new();
    let mut assembler = ReplyAssembler::new();
    let mut open: Vec<ServerLine> = Vec::new();
    let mut open_count = 0;
    let mut out = Vec::new();
    for (i, e) in rec.events[..horizon.min(rec.events.len())]
        .iter()
        .enumerate()
    {
        let EventKind::Write {
            from: Peer::Server,
            bytes,
            ..
        } = &e.kind
        else {
            continue;
        };
        parser.feed(i, bytes);
        while let Some(line) = parser.next_line() {
            let kind = line.kind;
            let done = assembler.push(0, kind);
            if kind == LineKind::Empty && open_count == 0 && done.is_none() {
                continue; // skipped between replies
            }
            open_count += 1;
            let (start, first, last) = (
                open.first().map_or(line.first_read, |l| l.first_read),
                open.first().map_or(line.last_read, |l| l.last_read),
                line.last_read,
            );
            if open.len() < KEPT_REPLY_LINES {
                open.push(line);
            }
            if let Some(done) = done {
                out.push(Reply {
                    code: done.code,
                    lines: std::mem::take(&mut open),
                    line_count: std::mem::take(&mut open_count),
                    start_write: start,
                    first_write: first,
                    last_write: last,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_the_mechanism_only() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"AUTH PLAIN AGFAAGI=", b"AUTH PLAIN <redacted>"),
            (b"auth login", b"auth login"),
            (b"AUTH LOGIN\r\ndXNlcg==\r\n", b"AUTH LOGIN <redacted>"),
            (
                b"EHLO x\r\nAUTH PLAIN secret\r\n",
                b"EHLO x\r\nAUTH PLAIN <redacted>",
            ),
            (b"MAIL FROM:<a@b>", b"MAIL FROM:<a@b>"),
            (b"", b""),
            (b"AUTH", b"AUTH"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                redact(raw),
                want.to_vec(),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn quotes_are_bounded_and_escaped() {
        assert_eq!(quote_bytes(b"a\r\n", 3), "a\\r\\n");
        let long = vec![0xffu8; 5000];
        let q = quote_bytes(&long, long.len());
        assert!(q.ends_with('…'));
        assert_eq!(q.matches("\\xff").count(), QUOTE_BYTES);
    }
}
