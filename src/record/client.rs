//! The client's side of a record: its reads cut into command lines (and messages) by the one request parser.
//!
//! A server that records a connection (the mock, later the proxy) feeds every client read to
//! [`Record::push_client_read`] and takes the commands it acts on from
//! [`Record::next_client_line`], so that what it answers and what the record says it read are
//! the same parse. Client lines share the record's [`Budget`](super::Budget) with server
//! lines; in a server's record the budget's read bytes and read events bound the server's
//! writes as well as the client's reads.

use super::{ATTEMPT_FLOOR, EventKind, LINE_KEEP_OVER_BUDGET, Limit, Peer, Record, Stage};
use crate::wire::request::{ClientLine, MessageStats, RequestParser, Verb, parse_command};

/// What replaces credentials in the record, and so in every output (SPEC §8).
pub const REDACTED: &[u8] = b"<redacted>";
/// Messages a connection's record describes; later ones are counted.
pub const MAX_MESSAGES: usize = 1000;

/// Client TLS handshakes a record describes; later ones are not kept.
pub const MAX_HANDSHAKES: usize = 16;

/// The client's TLS as the server negotiated it (the mock's view of the handshake), recorded
/// as facts at the handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// e.g. `TLSv1.3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The server name the client asked for (SNI), if any.
    pub sni: Option<String>,
    /// The ALPN protocol agreed on, if any.
    pub alpn: Option<String>,
    /// The client presented a certificate (the server asks for one, optionally).
    pub client_certificate: bool,
}

/// What the client's ClientHello asked for, as the server read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The server name it named (SNI), if any.
    pub sni: Option<String>,
    /// The ALPN protocols it offered, in its order (escaped text).
    pub alpn: Vec<String>,
}

/// Why a client's TLS handshake failed, as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTlsFailure {
    /// No handshake within the server's limit.
    Timeout,
    /// The client closed (or reset) the connection during the handshake.
    Closed,
    /// What the client sent after the 220 to STARTTLS was not TLS.
    NotTls,
    /// The client refused the server's certificate, with this TLS alert (e.g. `bad_certificate`).
    CertificateRejected {
        /// The alert's name.
        alert: String,
    },
    /// Client and server share no protocol version, cipher suite or signature scheme.
    NoCommonParameters,
    /// The client ended the handshake with another alert.
    Alert {
        /// The alert's name.
        alert: String,
    },
    /// Anything else (the library's words are in the transcript).
    Other,
}

impl std::fmt::Display for ClientTlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientTlsFailure::Timeout => {
                f.write_str("the client did not complete the handshake in time")
            }
            ClientTlsFailure::Closed => {
                f.write_str("the client closed the connection during the handshake")
            }
            ClientTlsFailure::NotTls => {
                f.write_str("the client did not speak TLS after the 220 to STARTTLS")
            }
            ClientTlsFailure::CertificateRejected { alert } => write!(
                f,
                "the client refused the server's certificate (alert {alert})"
            ),
            ClientTlsFailure::NoCommonParameters => f.write_str(
                "client and server share no TLS version, cipher suite or signature scheme",
            ),
            ClientTlsFailure::Alert { alert } => {
                write!(f, "the client ended the handshake with alert {alert}")
            }
            ClientTlsFailure::Other => f.write_str("the handshake failed"),
        }
    }
}

/// One TLS handshake of the client, as facts: what it asked for, what was agreed or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandshake {
    /// The event that ends it in the transcript (the handshake, or the timeout).
    pub event: usize,
    /// Its ClientHello, when one arrived.
    pub hello: Option<ClientHello>,
    /// What was negotiated, or why nothing was.
    pub result: Result<ClientTls, ClientTlsFailure>,
}

/// The earlier arrival of a message that came again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateOf {
    /// The earlier connection's number.
    pub connection: u64,
    /// The Message-ID both carry (None: recognised by the content's hash).
    pub message_id: Option<String>,
}

/// One message whose end of data the server received (SPEC §8 `messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Index of its line in [`Record::client_lines`], when that line was kept.
    pub line: Option<usize>,
    /// What the request parser saw: sizes, SHA-256.
    pub stats: MessageStats,
    /// The Message-ID of its header section, without `<>` (exact bytes as text, not escaped).
    pub message_id: Option<String>,
    /// When the final dot was read, µs since the connection started.
    pub dot_at_us: u64,
    /// Whether the server took the message: its reply to the dot is (or, when the client left
    /// first, was going to be) positive, as a real server that had queued it.
    pub accepted: bool,
    /// Whether the reply to the dot was written.
    pub reply_written: bool,
    /// The message already arrived on an earlier connection of the run.
    pub duplicate_of: Option<DuplicateOf>,
}

/// The client's input as the record follows it: the parser that cuts it, and what of it and of
/// the server's writes was not kept.
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    parser: RequestParser,
    /// Every client read event with the stream offset of its first byte (for redaction).
    read_starts: Vec<(usize, u64)>,
    /// Client bytes fed to the parser so far.
    fed: u64,
    /// Every line cut now is a credential (AUTH's continuation lines, until its final reply).
    redacting: bool,
    /// The client's TLS, once a handshake succeeded.
    pub tls: Option<ClientTls>,
    /// Every TLS handshake of the client, in order (at most [`MAX_HANDSHAKES`]).
    pub handshakes: Vec<ClientHandshake>,
    /// The messages received, in order (at most [`MAX_MESSAGES`]).
    pub messages: Vec<ReceivedMessage>,
    /// Messages received beyond [`MAX_MESSAGES`].
    pub dropped_messages: u64,
    /// Client lines not kept (line budget spent).
    pub dropped_lines: u64,
    /// Client lines kept but cut short (line length or transcript size).
    pub truncated_lines: u64,
    /// Content bytes of those lines that were counted but not kept.
    pub truncated_bytes: u64,
    /// Server writes not recorded as events (event budget spent).
    pub dropped_writes: u64,
    /// Bytes of server writes kept so far (bounded by [`super::budget::MAX_KEPT_WRITE_BYTES`]).
    write_bytes_kept: usize,
    /// Bytes of server writes not kept (those writes, and writes past the byte budget).
    pub dropped_write_bytes: u64,
}

impl ClientInput {
    /// The request parser (for its pending bytes and mode).
    pub fn parser(&self) -> &RequestParser {
        &self.parser
    }
}

impl Record {
    /// Records a read of the client's bytes (bounded like [`Record::push_read`]) and feeds it to
    /// the record's request parser; returns the event index (the read id in client lines).
    pub fn push_client_read(&mut self, at_us: u64, tls: bool, data: &[u8]) -> usize {
        let idx = self.push_read(at_us, tls, data);
        // push_read records reads as the server's (the probe's view); in a server's record every
        // read is the client's. A read merged into the one before it lands on a client read too.
        if let Some(super::Event {
            kind: EventKind::Read { from, .. },
            ..
        }) = self.events.get_mut(idx)
        {
            *from = Peer::Client;
        }
        if self
            .client
            .read_starts
            .last()
            .is_none_or(|&(i, _)| i != idx)
        {
            self.client.read_starts.push((idx, self.client.fed));
        }
        self.client.fed += data.len() as u64;
        self.client.parser.feed(idx, data);
        idx
    }

    /// Records that the client closed its side.
    pub fn push_client_eof(&mut self, at_us: u64, tls: bool) -> usize {
        self.push(
            at_us,
            EventKind::Eof {
                from: Peer::Client,
                tls,
            },
        )
    }

    /// Records bytes the server wrote, answering a command of `stage`; returns the event index,
    /// `None` when the event budget was spent (the write is counted, not recorded).
    pub fn push_server_write(
        &mut self,
        at_us: u64,
        tls: bool,
        stage: Stage,
        bytes: &[u8],
    ) -> Option<usize> {
        if self.budget.read_events == 0 && self.read_events >= ATTEMPT_FLOOR {
            self.reach(at_us, Limit::ReadEvents);
            self.client.dropped_writes += 1;
            self.client.dropped_write_bytes += bytes.len() as u64;
            return None;
        }
        self.read_events += 1;
        self.budget.read_events = self.budget.read_events.saturating_sub(1);
        let room = super::budget::MAX_KEPT_WRITE_BYTES.saturating_sub(self.client.write_bytes_kept);
        let keep = room.min(bytes.len());
        self.client.write_bytes_kept += keep;
        self.client.dropped_write_bytes += (bytes.len() - keep) as u64;
        let idx = self.push(
            at_us,
            EventKind::Write {
                from: Peer::Server,
                expects: 0,
                tls,
                stage,
                bytes: bytes[..keep].to_vec(),
            },
        );
        if keep < bytes.len() {
            self.reach(at_us, Limit::WriteBytes);
        }
        Some(idx)
    }

    /// The next complete client line (a command, or in content mode the message), kept in
    /// [`Record::client_lines`] while the budget lasts and returned whole either way.
    ///
    /// Credentials are redacted before the line is kept or returned: AUTH's initial response,
    /// and the whole line while [`Record::redact_client_lines`] is on; the read events'
    /// bytes of them are overwritten too.
    pub fn next_client_line(&mut self) -> Option<ClientLine> {
        let mut line = self.client.parser.next_line()?;
        self.redact(&mut line);
        self.push_client_line(line.clone());
        Some(line)
    }

    /// Records a TLS handshake of the client as facts: the TLS then in use when it succeeded.
    pub fn client_handshake(&mut self, h: ClientHandshake) {
        if let Ok(tls) = &h.result {
            self.client.tls = Some(tls.clone());
        }
        if self.client.handshakes.len() < MAX_HANDSHAKES {
            self.client.handshakes.push(h);
        }
    }

    /// While `on`, every client line cut (but a cancelling `*`) is a credential and kept as [`REDACTED`]: the server
    /// turns it on when it answers AUTH with 334, off with AUTH's final reply.
    pub fn redact_client_lines(&mut self, on: bool) {
        self.client.redacting = on;
    }

    /// Redacts a credential in `line` (see [`Record::next_client_line`]).
    fn redact(&mut self, line: &mut ClientLine) {
        let keep = if self.client.redacting {
            // `*` cancels the exchange (RFC 4954 §4): no credential.
            if line.content == b"*" {
                return;
            }
            0
        } else if line.verb() == Some(Verb::Auth) {
            // `AUTH MECHANISM` stays; an initial response after it goes.
            let arg = parse_command(&line.content).1;
            let arg_start = arg.as_ptr() as usize - line.content.as_ptr() as usize;
            match arg.iter().position(|&b| b == b' ') {
                Some(end) => arg_start + end + 1,
                None => return,
            }
        } else {
            return;
        };
        let end = line.offset + (line.content.len() + line.dropped) as u64;
        self.scrub_reads(line.offset + keep as u64, end);
        line.content.truncate(keep);
        line.content.extend_from_slice(REDACTED);
        line.dropped = 0;
        line.bare_cr = 0;
    }

    /// Overwrites the kept read bytes of client stream offsets `start..end` with `*`.
    fn scrub_reads(&mut self, start: u64, end: u64) {
        let first = self
            .client
            .read_starts
            .partition_point(|&(_, s)| s <= start)
            .saturating_sub(1);
        for &(idx, at) in &self.client.read_starts[first..] {
            if at >= end {
                break;
            }
            if let Some(super::Event {
                kind: EventKind::Read { bytes, .. },
                ..
            }) = self.events.get_mut(idx)
            {
                let from = start.saturating_sub(at) as usize;
                let to = (end - at).min(bytes.len() as u64) as usize;
                if from < to {
                    bytes[from..to].fill(b'*');
                }
            }
        }
    }

    /// Records a message whose end of data was just read (its line is the last client line
    /// taken, its Message-ID the parser's last); `accepted` is what the server means to answer. Returns its index, `None` past
    /// [`MAX_MESSAGES`].
    pub fn push_received_message(
        &mut self,
        at_us: u64,
        stats: MessageStats,
        accepted: bool,
    ) -> Option<usize> {
        if self.client.messages.len() >= MAX_MESSAGES {
            self.client.dropped_messages += 1;
            return None;
        }
        let line = self
            .client_lines
            .len()
            .checked_sub(1)
            .filter(|&i| self.client_lines[i].message().is_some());
        let message_id = self
            .client
            .parser
            .last_message_id()
            .map(|id| String::from_utf8_lossy(id).into_owned());
        self.client.messages.push(ReceivedMessage {
            line,
            stats,
            message_id,
            dot_at_us: at_us,
            accepted,
            reply_written: false,
            duplicate_of: None,
        });
        Some(self.client.messages.len() - 1)
    }

    /// The reply to message `index`'s dot was written, starting with status digit `class`.
    pub fn message_answered(&mut self, index: usize, class: Option<u8>) {
        if let Some(m) = self.client.messages.get_mut(index) {
            m.reply_written = true;
            m.accepted = class == Some(b'2');
        }
    }

    /// Message `index` already arrived on `connection`: recorded on the message and as a
    /// [`EventKind::DuplicateMessage`] event.
    pub fn message_duplicate(
        &mut self,
        at_us: u64,
        index: usize,
        connection: u64,
        message_id: Option<String>,
    ) {
        if let Some(m) = self.client.messages.get_mut(index) {
            m.duplicate_of = Some(DuplicateOf {
                connection,
                message_id: message_id.clone(),
            });
        }
        self.push(
            at_us,
            EventKind::DuplicateMessage {
                of_connection: connection,
                message_id,
            },
        );
    }

    /// Switches the client's input to message content (after DATA's 354); `lenient` also ends
    /// it at the LF-based end-of-data sequences.
    pub fn start_client_data(&mut self, lenient: bool) {
        self.client.parser.start_data(lenient);
    }

    /// Client bytes received but not yet taken as a line (see
    /// [`RequestParser::pending_len`]).
    pub fn client_pending(&self) -> usize {
        self.client.parser.pending_len()
    }

    /// Client bytes held unconsumed by the parser (see [`RequestParser::buffered`]).
    pub fn client_buffered(&self) -> usize {
        self.client.parser.buffered()
    }

    /// The server throws away the client input it has not taken: it is kept as
    /// [discarded](ClientLine::discarded) lines; returns how many bytes that was.
    pub fn discard_client_input(&mut self) -> usize {
        let lines = self.client.parser.discard();
        let bytes = lines.iter().map(ClientLine::wire_len).sum();
        for line in lines {
            self.push_client_line(line);
        }
        bytes
    }

    /// The connection ended: what the server never took becomes discarded lines.
    pub fn finish_client(&mut self) {
        self.discard_client_input();
        self.client.parser.finish();
    }

    /// Stores a client line unless the line budget is spent; returns whether it was stored.
    /// Bounded like [`Record::push_line`]: once the budget's line bytes are spent a line keeps
    /// its first [`LINE_KEEP_OVER_BUDGET`] bytes and counts the rest.
    pub fn push_client_line(&mut self, mut line: ClientLine) -> bool {
        let at = self.events.last().map_or(0, |e| e.at_us);
        if self.budget.lines == 0 && self.client_lines.len() >= ATTEMPT_FLOOR {
            self.client.dropped_lines += 1;
            self.reach(at, Limit::TranscriptLines);
            return false;
        }
        if line.dropped > 0 && line.message().is_none() {
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
            self.client.truncated_lines += 1;
            self.client.truncated_bytes += line.dropped as u64;
        }
        self.client_lines.push(line);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Budget, Event};
    use super::*;
    use crate::wire::reply::Terminator;
    use crate::wire::request::Verb;

    #[test]
    fn client_reads_are_the_clients_and_their_lines_point_at_them() {
        let mut rec = Record::default();
        let first = rec.push_client_read(10, false, b"EHLO a\r\nMA");
        let write = rec.push_server_write(20, false, Stage::Ehlo, b"250 ok\r\n");
        let second = rec.push_client_read(30, false, b"IL FROM:<>\n");
        rec.push_client_eof(40, false);
        let ehlo = rec.next_client_line().unwrap();
        let mail = rec.next_client_line().unwrap();
        assert!(rec.next_client_line().is_none());
        rec.finish_client();
        assert_eq!(ehlo.verb(), Some(Verb::Ehlo));
        assert_eq!(
            (mail.verb(), mail.terminator),
            (Some(Verb::Mail), Terminator::BareLf)
        );
        assert_eq!(mail.reads, vec![first, second]);
        assert_eq!(rec.client_lines, vec![ehlo, mail]);
        assert!(matches!(
            &rec.events[first].kind,
            EventKind::Read { from: Peer::Client, bytes, .. } if bytes == b"EHLO a\r\nMA"
        ));
        assert!(matches!(
            &rec.events[write.unwrap()].kind,
            EventKind::Write { from: Peer::Server, stage: Stage::Ehlo, bytes, .. } if bytes == b"250 ok\r\n"
        ));
        assert!(matches!(
            rec.events.last(),
            Some(Event {
                kind: EventKind::Eof {
                    from: Peer::Client,
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn unfinished_input_is_kept_as_discarded_lines() {
        let mut rec = Record::default();
        rec.push_client_read(1, false, b"STARTTLS\r\nNOOP\r\nRSET");
        rec.next_client_line().unwrap();
        assert_eq!(rec.discard_client_input(), 10);
        rec.push_client_read(2, false, b"QUIT\r");
        rec.finish_client();
        let kept: Vec<_> = rec
            .client_lines
            .iter()
            .map(|l| (&l.content[..], l.terminator, l.discarded))
            .collect();
        assert_eq!(
            kept,
            vec![
                (&b"STARTTLS"[..], Terminator::CrLf, false),
                (b"NOOP", Terminator::CrLf, true),
                (b"RSET", Terminator::Unterminated, true),
                (b"QUIT", Terminator::BareCr, true),
            ]
        );
    }

    #[test]
    fn client_lines_and_writes_are_bounded() {
        let mut rec = Record::with_budget(Budget {
            read_bytes: 16,
            line_bytes: 0,
            lines: 0,
            read_events: 0,
        });
        let line = [b"NOOP ".as_slice(), &[b'x'; 95], b"\r\n"].concat();
        for _ in 0..ATTEMPT_FLOOR + 50 {
            rec.push_client_read(1, false, &line);
            while rec.next_client_line().is_some() {}
            rec.push_server_write(2, false, Stage::Quit, b"250 2.0.0 Ok\r\n");
        }
        assert_eq!(rec.client_lines.len(), ATTEMPT_FLOOR);
        assert_eq!(rec.client.dropped_lines, 50);
        assert!(
            rec.client_lines
                .iter()
                .all(|l| l.content.len() == LINE_KEEP_OVER_BUDGET
                    && l.dropped == 100 - LINE_KEEP_OVER_BUDGET)
        );
        // Reads and writes share the floor of events; past it, writes are counted and reads merge.
        let writes = rec
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Write { .. }))
            .count();
        assert!(writes <= ATTEMPT_FLOOR);
        assert!(rec.client.dropped_writes > 0);
        assert!(rec.events.len() < 2 * ATTEMPT_FLOOR + 10);
        assert!(rec.limits_reached().contains(&Limit::TranscriptLines));
        assert!(rec.limits_reached().contains(&Limit::ReadEvents));
    }

    fn kept_read_bytes(rec: &Record) -> Vec<u8> {
        rec.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Read { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .concat()
    }

    #[test]
    fn credentials_are_redacted_in_lines_and_read_bytes() {
        let mut rec = Record::default();
        rec.push_client_read(1, true, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH LO");
        rec.push_client_read(2, true, b"GIN\r\n");
        let plain = rec.next_client_line().unwrap();
        assert_eq!(plain.content, b"AUTH PLAIN <redacted>");
        let login = rec.next_client_line().unwrap();
        assert_eq!(
            login.content, b"AUTH LOGIN",
            "no initial response, nothing to hide"
        );
        rec.redact_client_lines(true);
        rec.push_client_read(3, true, b"YWxpY2U=\r\nc2Vj");
        rec.push_client_read(4, true, b"cmV0\r\n");
        assert_eq!(rec.next_client_line().unwrap().content, b"<redacted>");
        assert_eq!(rec.next_client_line().unwrap().content, b"<redacted>");
        rec.redact_client_lines(false);
        rec.push_client_read(5, true, b"QUIT\r\n");
        assert_eq!(rec.next_client_line().unwrap().content, b"QUIT");
        let kept: Vec<&[u8]> = rec.client_lines.iter().map(|l| &l.content[..]).collect();
        assert_eq!(
            kept,
            [
                &b"AUTH PLAIN <redacted>"[..],
                b"AUTH LOGIN",
                b"<redacted>",
                b"<redacted>",
                b"QUIT"
            ]
        );
        let raw = kept_read_bytes(&rec);
        assert_eq!(
            String::from_utf8_lossy(&raw),
            "AUTH PLAIN ********************\r\nAUTH LOGIN\r\n********\r\n********\r\nQUIT\r\n"
        );
    }

    #[test]
    fn received_messages_keep_their_facts() {
        let mut rec = Record::default();
        rec.push_client_read(1, false, b"DATA\r\nMessage-ID: <m@x>\r\n\r\nhi\r\n.\r\n");
        rec.next_client_line().unwrap();
        rec.start_client_data(false);
        let msg = rec.next_client_line().unwrap();
        let stats = *msg.message().unwrap();
        assert_eq!(stats.content_size, 25);
        let i = rec.push_received_message(7, stats, true).unwrap();
        assert_eq!(rec.client.messages[i].line, Some(1));
        assert_eq!(rec.client.messages[i].message_id.as_deref(), Some("m@x"));
        assert!(rec.client.messages[i].accepted && !rec.client.messages[i].reply_written);
        rec.message_answered(i, Some(b'4'));
        assert!(!rec.client.messages[i].accepted && rec.client.messages[i].reply_written);
        rec.message_duplicate(8, i, 1, Some("m@x".into()));
        assert_eq!(
            rec.client.messages[i].duplicate_of,
            Some(DuplicateOf {
                connection: 1,
                message_id: Some("m@x".into())
            })
        );
        assert!(matches!(
            rec.events.last().unwrap().kind,
            EventKind::DuplicateMessage {
                of_connection: 1,
                ..
            }
        ));
        for _ in 0..MAX_MESSAGES + 3 {
            rec.push_received_message(9, stats, true);
        }
        assert_eq!(rec.client.messages.len(), MAX_MESSAGES);
        assert_eq!(rec.client.dropped_messages, 4);
    }
}
