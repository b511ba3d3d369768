//! Incremental, bounded SMTP command parser: the client's byte stream as a server reads it.
//!
//! [`RequestParser`] is fed the reads exactly as they came and cuts them into [`ClientLine`]s on
//! demand, remembering which reads each line spanned and how it ended. Like a real server (and
//! RFC 5321 §2.3.8) it ends a command line at LF: `CRLF` is the proper terminator, a bare LF is
//! recorded as such, and a CR that no LF follows stays inside the line (counted in
//! [`ClientLine::bare_cr`]). After DATA's `354` the caller switches the parser to content mode
//! ([`RequestParser::start_data`]): the bytes up to the end-of-data sequence ([`EodScanner`],
//! strict or lenient) are one message entry, not commands. Lines are cut only when the caller
//! asks, so that what follows a command can still be read as message content, thrown away (at
//! STARTTLS) or left unread. Every line keeps at most its first `max_line` bytes and counts the
//! rest; violations are recorded, never turned into errors. No I/O here.

use crate::wire::reply::Terminator;
use std::collections::VecDeque;

mod content;
pub use content::{ContentScanner, MAX_MESSAGE_ID, hex, message_id_of};

/// Bytes of one client line kept, and the longest command line a server built on this parser
/// accepts (longer ones are [overlong](ClientLine::is_overlong)); the rest is counted.
pub const MAX_REQUEST_LINE: usize = 4096;

/// The command verbs a server tells apart (RFC 5321 §4.1, RFC 3030, RFC 3207, RFC 4954).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `EHLO`.
    Ehlo,
    /// `HELO`.
    Helo,
    /// `MAIL`.
    Mail,
    /// `RCPT`.
    Rcpt,
    /// `DATA`.
    Data,
    /// `BDAT` (CHUNKING).
    Bdat,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    Starttls,
    /// `VRFY`.
    Vrfy,
    /// `EXPN`.
    Expn,
    /// `HELP`.
    Help,
    /// `AUTH`.
    Auth,
    /// Anything else, including an empty line.
    Unknown,
}

impl Verb {
    /// The verb named by `word` (ASCII case-insensitive).
    pub fn parse(word: &[u8]) -> Verb {
        const VERBS: &[(&[u8], Verb)] = &[
            (b"EHLO", Verb::Ehlo),
            (b"HELO", Verb::Helo),
            (b"MAIL", Verb::Mail),
            (b"RCPT", Verb::Rcpt),
            (b"DATA", Verb::Data),
            (b"BDAT", Verb::Bdat),
            (b"RSET", Verb::Rset),
            (b"NOOP", Verb::Noop),
            (b"QUIT", Verb::Quit),
            (b"STARTTLS", Verb::Starttls),
            (b"VRFY", Verb::Vrfy),
            (b"EXPN", Verb::Expn),
            (b"HELP", Verb::Help),
            (b"AUTH", Verb::Auth),
        ];
        VERBS
            .iter()
            .find(|(name, _)| word.eq_ignore_ascii_case(name))
            .map_or(Verb::Unknown, |&(_, verb)| verb)
    }

    /// The verb in upper case (`EHLO`, ...); `?` for [`Verb::Unknown`].
    pub fn name(self) -> &'static str {
        match self {
            Verb::Ehlo => "EHLO",
            Verb::Helo => "HELO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::Starttls => "STARTTLS",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Auth => "AUTH",
            Verb::Unknown => "?",
        }
    }
}

/// Splits a command line (without its terminator) into its verb and argument: the verb is
/// everything before the first space, the argument the rest without surrounding whitespace.
pub fn parse_command(line: &[u8]) -> (Verb, &[u8]) {
    match line.iter().position(|&b| b == b' ') {
        Some(p) => (Verb::parse(&line[..p]), trim(&line[p + 1..])),
        None => (Verb::parse(line), &line[line.len()..]),
    }
}

/// `s` without leading and trailing ASCII whitespace.
pub fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// Whether `hay` contains `needle`, ASCII case-insensitive (an empty needle is always contained).
pub fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `s` starts with `prefix`, ASCII case-insensitive.
pub fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The address of a MAIL/RCPT argument (`FROM:<a@b> SIZE=1` gives `a@b`), without brackets and
/// parameters.
pub fn path_of(arg: &[u8]) -> &[u8] {
    let rest = match arg.iter().position(|&b| b == b':') {
        Some(p) => trim(&arg[p + 1..]),
        None => arg,
    };
    if let Some(inner) = rest.strip_prefix(b"<") {
        let end = inner.iter().position(|&b| b == b'>').unwrap_or(inner.len());
        &inner[..end]
    } else {
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        &rest[..end]
    }
}

/// Streaming recogniser of the end of message data.
///
/// Strict: only `<CRLF>.<CRLF>` ends the data (the CRLF that ended the DATA command counts as
/// the first one). Lenient: any line start after an LF, then `.` and LF or CRLF, so also
/// `<LF>.<LF>`, `<LF>.<CR><LF>` and `<CR><LF>.<LF>` (what SMTP smuggling relies on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EodScanner {
    lenient: bool,
    state: u8,
}

impl EodScanner {
    /// A scanner at the start of message data.
    pub fn new(lenient: bool) -> Self {
        // States (strict): 0 mid-line, 1 CR, 2 CRLF (line start), 3 CRLF ".", 4 CRLF "." CR.
        // States (lenient): 0 mid-line, 2 line start (after LF), 3 line start ".", 4 line start "." CR.
        // The CRLF that ended the DATA command counts as the start of the first line.
        EodScanner { lenient, state: 2 }
    }

    /// Whether this scanner also accepts the LF-based end-of-data sequences.
    pub fn lenient(&self) -> bool {
        self.lenient
    }

    /// Feeds one byte; true when the end-of-data sequence is complete.
    pub fn push(&mut self, b: u8) -> bool {
        let (next, done) = if self.lenient {
            match (self.state, b) {
                (3 | 4, b'\n') => (2, true),
                (3, b'\r') => (4, false),
                (2, b'.') => (3, false),
                (_, b'\n') => (2, false),
                _ => (0, false),
            }
        } else {
            match (self.state, b) {
                (4, b'\n') => (2, true),
                (1, b'\n') => (2, false),
                (2, b'.') => (3, false),
                (3, b'\r') => (4, false),
                (_, b'\r') => (1, false),
                _ => (0, false),
            }
        };
        self.state = next;
        done
    }
}

/// What the parser saw of one message's content (DATA mode), for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageStats {
    /// Octets on the wire from the first byte after the DATA line through the final dot line's
    /// terminator (dot-stuffed, as received).
    pub size: u64,
    /// Content lines ended by LF (the final dot line not counted).
    pub lines: u64,
    /// The longest content line in octets, its terminator included.
    pub longest_line: u64,
    /// Content lines ended by an LF without CR before it.
    pub bare_lf: u64,
    /// Whether any content byte had the high bit set.
    pub eight_bit: bool,
    /// Whether the end-of-data sequence arrived (false: the stream ended first).
    pub complete: bool,
    /// Octets of the message as a server stores it: dot-unstuffed, up to and including the
    /// line ending before the final dot (SPEC §8 `size`).
    pub content_size: u64,
    /// SHA-256 of those octets.
    pub sha256: [u8; 32],
}

/// What a [`ClientLine`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientLineKind {
    /// A command line and its verb (of the kept prefix, for an overlong line).
    Command(Verb),
    /// The content of one message (DATA mode) up to and including its final dot line; the
    /// line's content is the message's first bytes, its terminator the final dot line's.
    Message(MessageStats),
}

/// One line the client sent, cut from the byte stream as a server reads it: a command line, or
/// the whole content of one message. The lines of a stream tile it: each starts where the one
/// before it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLine {
    /// The bytes without the terminator (at most the parser's `max_line` bytes).
    pub content: Vec<u8>,
    /// Bytes beyond the cap that were counted but not kept.
    pub dropped: usize,
    /// How the line ended: CRLF, bare LF; bare CR or none only where the stream ended (or the
    /// server threw the rest away) after a CR or mid-line.
    pub terminator: Terminator,
    /// CRs inside the line that no LF followed (they belong to the line's content).
    pub bare_cr: usize,
    /// Byte offset of the line's first byte in the stream fed to this parser.
    pub offset: u64,
    /// Id of the read that carried the first byte (the id the caller passed to `feed`).
    pub first_read: usize,
    /// Id of the read that carried the terminator (or the last byte).
    pub last_read: usize,
    /// Every read id that carried bytes of this line, in order.
    pub reads: Vec<usize>,
    /// A command or a message.
    pub kind: ClientLineKind,
    /// The server threw the line away without acting on it (input after STARTTLS, input while
    /// closing or hanging, the rest of a read it answers only the first command of).
    pub discarded: bool,
}

impl ClientLine {
    /// Length on the wire including the terminator.
    pub fn wire_len(&self) -> usize {
        self.content.len() + self.dropped + self.terminator.bytes().len()
    }

    /// The exact bytes of the line including its terminator (as kept).
    pub fn raw(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.content.len() + 2);
        v.extend_from_slice(&self.content);
        v.extend_from_slice(self.terminator.bytes());
        v
    }

    /// The verb of a command line (`None` for a message).
    pub fn verb(&self) -> Option<Verb> {
        match self.kind {
            ClientLineKind::Command(verb) => Some(verb),
            ClientLineKind::Message(_) => None,
        }
    }

    /// The argument of a command line (see [`parse_command`]); empty for a message.
    pub fn arg(&self) -> &[u8] {
        match self.kind {
            ClientLineKind::Command(_) => parse_command(&self.content).1,
            ClientLineKind::Message(_) => &[],
        }
    }

    /// What the parser saw of a message's content.
    pub fn message(&self) -> Option<&MessageStats> {
        match &self.kind {
            ClientLineKind::Message(stats) => Some(stats),
            ClientLineKind::Command(_) => None,
        }
    }

    /// Whether the line was longer than the cap (only its prefix is kept).
    pub fn is_overlong(&self) -> bool {
        self.dropped > 0
    }

    /// Whether the line arrived in more than one read.
    pub fn spans_reads(&self) -> bool {
        self.reads.len() > 1
    }
}

/// The line being cut.
#[derive(Debug, Clone, Default)]
struct Partial {
    content: Vec<u8>,
    dropped: usize,
    reads: Vec<usize>,
    /// The last byte was a CR whose meaning depends on the next byte.
    cr: bool,
    bare_cr: usize,
}

impl Partial {
    fn keep(&mut self, b: u8, max_line: usize) {
        if self.content.len() < max_line {
            self.content.push(b);
        } else {
            self.dropped += 1;
        }
    }

    fn note_read(&mut self, read: usize) {
        if self.reads.last() != Some(&read) {
            self.reads.push(read);
        }
    }

    fn is_empty(&self) -> bool {
        self.content.is_empty() && self.dropped == 0 && !self.cr
    }
}

/// Command lines, or message content until the end-of-data sequence.
#[derive(Debug, Clone)]
enum Mode {
    Command,
    Data {
        eod: EodScanner,
        stats: MessageStats,
        /// Octets of the current content line so far.
        line_len: u64,
        /// The content as stored: unstuffed, hashed, its Message-ID.
        content: Box<ContentScanner>,
    },
}

/// The incremental, bounded command parser. Feed reads, take lines; tell it when message
/// content starts.
///
/// Memory: a line keeps at most `max_line` bytes. Fed bytes are held until [`next_line`]
/// (or [`discard`]) consumes them, so a caller that reads only when `next_line` returned `None`
/// holds at most one read (see [`buffered`]).
///
/// [`next_line`]: RequestParser::next_line
/// [`discard`]: RequestParser::discard
/// [`buffered`]: RequestParser::buffered
#[derive(Debug, Clone)]
pub struct RequestParser {
    max_line: usize,
    /// Bytes fed and not yet consumed start at `input[start]`.
    input: Vec<u8>,
    start: usize,
    /// The read ids of the unconsumed bytes, in order: (id, bytes of that read left).
    segments: VecDeque<(usize, usize)>,
    /// Stream offset of the next byte to consume.
    consumed: u64,
    /// Stream offset of the line being cut.
    line_offset: u64,
    line: Partial,
    mode: Mode,
    finished: bool,
    /// The Message-ID of the last message cut (see [`RequestParser::last_message_id`]).
    last_message_id: Option<Vec<u8>>,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new()
    }
}

impl RequestParser {
    /// A parser in command mode at stream offset 0 that keeps [`MAX_REQUEST_LINE`] bytes per line.
    pub fn new() -> Self {
        RequestParser::with_max_line(MAX_REQUEST_LINE)
    }

    /// A parser that keeps `max_line` bytes per line (at least 1).
    pub fn with_max_line(max_line: usize) -> Self {
        RequestParser {
            max_line: max_line.max(1),
            input: Vec::new(),
            start: 0,
            segments: VecDeque::new(),
            consumed: 0,
            line_offset: 0,
            line: Partial::default(),
            mode: Mode::Command,
            finished: false,
            last_message_id: None,
        }
    }

    /// Feeds one read. `read_id` identifies the read (the record's event index).
    pub fn feed(&mut self, read_id: usize, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        self.input.extend_from_slice(chunk);
        match self.segments.back_mut() {
            Some((id, left)) if *id == read_id => *left += chunk.len(),
            _ => self.segments.push_back((read_id, chunk.len())),
        }
    }

    /// Switches to message content: the bytes from here to the end-of-data sequence are one
    /// [`ClientLineKind::Message`]. Call it right after the DATA line was taken and answered
    /// with 354; after the end of data the parser is in command mode again.
    pub fn start_data(&mut self, lenient: bool) {
        self.mode = Mode::Data {
            eod: EodScanner::new(lenient),
            stats: MessageStats::default(),
            line_len: 0,
            content: Box::default(),
        };
    }

    /// The Message-ID (without `<>`) of the last message cut, when its header section had one:
    /// ask right after [`next_line`](RequestParser::next_line) returned the message.
    pub fn last_message_id(&self) -> Option<&[u8]> {
        self.last_message_id.as_deref()
    }

    /// Whether the parser is reading message content.
    pub fn in_data(&self) -> bool {
        matches!(self.mode, Mode::Data { .. })
    }

    /// The next complete line, cut from the bytes fed so far; `None` when they hold no complete
    /// line (after [`finish`](RequestParser::finish): the unterminated rest, then `None`).
    pub fn next_line(&mut self) -> Option<ClientLine> {
        if let Some(line) = self.cut() {
            return Some(line);
        }
        if self.finished {
            return self.flush();
        }
        None
    }

    /// Ends the stream: once the complete lines are taken, [`next_line`](RequestParser::next_line)
    /// returns the rest as a last line (a trailing CR becomes a bare-CR terminator).
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Throws away everything not yet taken, as a server does that discards its input: the
    /// bytes are still cut into lines (so the lines keep tiling the stream), marked
    /// [`discarded`](ClientLine::discarded), an incomplete line included; returns them.
    pub fn discard(&mut self) -> Vec<ClientLine> {
        let mut out: Vec<ClientLine> = std::iter::from_fn(|| self.cut()).collect();
        out.extend(self.flush());
        for line in &mut out {
            line.discarded = true;
        }
        out
    }

    /// Bytes received that are not yet part of a taken line or message: the unconsumed input
    /// and the line being cut.
    pub fn pending_len(&self) -> usize {
        self.buffered() + self.line.content.len() + self.line.dropped + usize::from(self.line.cr)
    }

    /// Bytes fed and held unconsumed (the parser's memory besides one line).
    pub fn buffered(&self) -> usize {
        self.input.len() - self.start
    }

    /// Stream offset of the next byte to consume.
    pub fn offset(&self) -> u64 {
        self.consumed
    }

    /// Consumes bytes until a line is complete.
    fn cut(&mut self) -> Option<ClientLine> {
        let mut done = None;
        while done.is_none() && self.start < self.input.len() {
            let b = self.input[self.start];
            self.start += 1;
            self.consumed += 1;
            let read = self.take_read_id();
            self.line.note_read(read);
            done = match self.mode {
                Mode::Command => self.command_byte(b, read),
                Mode::Data { .. } => self.data_byte(b, read),
            };
        }
        if self.start == self.input.len() {
            self.input.clear();
            self.start = 0;
        } else if self.start >= 16 * 1024 {
            self.input.drain(..self.start);
            self.start = 0;
        }
        done
    }

    fn take_read_id(&mut self) -> usize {
        match self.segments.front_mut() {
            Some((id, left)) => {
                let id = *id;
                *left -= 1;
                if *left == 0 {
                    self.segments.pop_front();
                }
                id
            }
            None => 0,
        }
    }

    fn command_byte(&mut self, b: u8, read: usize) -> Option<ClientLine> {
        if self.line.cr {
            self.line.cr = false;
            if b == b'\n' {
                return Some(self.emit(Terminator::CrLf, read));
            }
            // A CR inside the line: content, as a server that ends lines at LF reads it.
            self.line.keep(b'\r', self.max_line);
            self.line.bare_cr += 1;
        }
        match b {
            b'\r' => self.line.cr = true,
            b'\n' => return Some(self.emit(Terminator::BareLf, read)),
            _ => self.line.keep(b, self.max_line),
        }
        None
    }

    fn data_byte(&mut self, b: u8, read: usize) -> Option<ClientLine> {
        let Mode::Data {
            eod,
            stats,
            line_len,
            content,
        } = &mut self.mode
        else {
            return None;
        };
        stats.size += 1;
        stats.eight_bit |= b >= 0x80;
        let done = eod.push(b);
        content.push(b, done);
        if b == b'\n' {
            if !done {
                stats.lines += 1;
                stats.bare_lf += u64::from(!self.line.cr);
                stats.longest_line = stats.longest_line.max(*line_len + 1);
            }
            *line_len = 0;
        } else {
            *line_len += 1;
        }
        if done {
            stats.complete = true;
            let terminator = if self.line.cr {
                Terminator::CrLf
            } else {
                Terminator::BareLf
            };
            self.line.cr = false;
            return Some(self.emit(terminator, read));
        }
        // Every CR is held back until the next byte: the final dot's CRLF is the terminator.
        if self.line.cr {
            self.line.cr = false;
            self.line.keep(b'\r', self.max_line);
            self.line.bare_cr += usize::from(b != b'\n');
        }
        if b == b'\r' {
            self.line.cr = true;
        } else {
            self.line.keep(b, self.max_line);
        }
        None
    }

    /// The line being cut as a last, incomplete line.
    fn flush(&mut self) -> Option<ClientLine> {
        let last = self.line.reads.last().copied().unwrap_or(0);
        match &self.mode {
            Mode::Command if self.line.is_empty() => None,
            Mode::Command if self.line.cr => {
                self.line.cr = false;
                Some(self.emit(Terminator::BareCr, last))
            }
            Mode::Command => Some(self.emit(Terminator::Unterminated, last)),
            Mode::Data { stats, .. } if stats.size == 0 => {
                self.mode = Mode::Command;
                None
            }
            Mode::Data { .. } => {
                if self.line.cr {
                    self.line.cr = false;
                    self.line.keep(b'\r', self.max_line);
                    self.line.bare_cr += 1;
                }
                Some(self.emit(Terminator::Unterminated, last))
            }
        }
    }

    fn emit(&mut self, terminator: Terminator, last_read: usize) -> ClientLine {
        let line = std::mem::take(&mut self.line);
        let kind = match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Command => ClientLineKind::Command(parse_command(&line.content).0),
            Mode::Data {
                mut stats,
                line_len,
                content,
                ..
            } => {
                if !stats.complete {
                    stats.longest_line = stats.longest_line.max(line_len);
                }
                let id;
                (stats.content_size, stats.sha256, id) = content.finish();
                self.last_message_id = id;
                ClientLineKind::Message(stats)
            }
        };
        let out = ClientLine {
            first_read: line.reads.first().copied().unwrap_or(last_read),
            last_read,
            reads: line.reads,
            content: line.content,
            dropped: line.dropped,
            terminator,
            bare_cr: line.bare_cr,
            offset: self.line_offset,
            kind,
            discarded: false,
        };
        self.line_offset = self.consumed;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lines of `chunks` fed one after another, taken after each read; a DATA command switches
    /// to content mode (`lenient` end of data), as a server that answers DATA with 354 does.
    fn drive(chunks: &[&[u8]], lenient: bool, max_line: usize) -> Vec<ClientLine> {
        let mut p = RequestParser::with_max_line(max_line);
        let mut out = Vec::new();
        let take = |p: &mut RequestParser, out: &mut Vec<ClientLine>| {
            while let Some(line) = p.next_line() {
                if line.verb() == Some(Verb::Data) && !line.is_overlong() {
                    p.start_data(lenient);
                }
                out.push(line);
            }
        };
        for (i, c) in chunks.iter().enumerate() {
            p.feed(i, c);
            take(&mut p, &mut out);
        }
        p.finish();
        take(&mut p, &mut out);
        out
    }

    fn lines(chunks: &[&[u8]]) -> Vec<ClientLine> {
        drive(chunks, false, MAX_REQUEST_LINE)
    }

    #[test]
    fn verbs_and_arguments_table() {
        let cases: &[(&[u8], Verb, &[u8])] = &[
            (b"EHLO client.test", Verb::Ehlo, b"client.test"),
            (b"helo  client.test  ", Verb::Helo, b"client.test"),
            (
                b"MAIL FROM:<a@b> SIZE=10",
                Verb::Mail,
                b"FROM:<a@b> SIZE=10",
            ),
            (b"rcpt TO:<x@y>", Verb::Rcpt, b"TO:<x@y>"),
            (b"DATA", Verb::Data, b""),
            (b"BDAT 100 LAST", Verb::Bdat, b"100 LAST"),
            (b"RSET", Verb::Rset, b""),
            (b"NOOP hello", Verb::Noop, b"hello"),
            (b"QUIT", Verb::Quit, b""),
            (b"StartTLS", Verb::Starttls, b""),
            (b"VRFY root", Verb::Vrfy, b"root"),
            (b"EXPN list", Verb::Expn, b"list"),
            (b"HELP", Verb::Help, b""),
            (b"AUTH PLAIN AGFAAGI=", Verb::Auth, b"PLAIN AGFAAGI="),
            (b"", Verb::Unknown, b""),
            (b"XYZZY", Verb::Unknown, b""),
            (b"NOOP\tx", Verb::Unknown, b""),
            (b"NOOP\rRSET", Verb::Unknown, b""),
            (b" NOOP", Verb::Unknown, b"NOOP"),
            (b"MAILFROM:<>", Verb::Unknown, b""),
        ];
        for (line, verb, arg) in cases {
            assert_eq!(
                parse_command(line),
                (*verb, *arg),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        for (_, verb, _) in cases {
            if *verb != Verb::Unknown {
                assert_eq!(Verb::parse(verb.name().as_bytes()), *verb);
            }
        }
    }

    #[test]
    fn path_of_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"FROM:<a@b>", b"a@b"),
            (b"FROM: <a@b> SIZE=1", b"a@b"),
            (b"TO:<>", b""),
            (b"TO:a@b NOTIFY=NEVER", b"a@b"),
            (b"TO:<unclosed", b"unclosed"),
            (b"<x@y>", b"x@y"),
        ];
        for (arg, path) in cases {
            assert_eq!(path_of(arg), *path, "{:?}", String::from_utf8_lossy(arg));
        }
        assert!(contains_ci(b"FROM:<A@Example>", b"example"));
        assert!(contains_ci(b"x", b""));
        assert!(!contains_ci(b"ab", b"abc"));
        assert!(starts_with_ci(b"from:<>", b"FROM:"));
        assert!(!starts_with_ci(b"FRO", b"FROM:"));
        assert_eq!(trim(b"  \t "), b"");
    }

    #[test]
    fn terminators_table() {
        /// Content, terminator and bare CRs of each line.
        type Lines<'a> = &'a [(&'a [u8], Terminator, usize)];
        let cases: &[(&[u8], Lines)] = &[
            (b"NOOP\r\n", &[(b"NOOP", Terminator::CrLf, 0)]),
            (b"NOOP\n", &[(b"NOOP", Terminator::BareLf, 0)]),
            (b"NOOP\r", &[(b"NOOP", Terminator::BareCr, 0)]),
            (b"NOOP", &[(b"NOOP", Terminator::Unterminated, 0)]),
            (b"NOOP\rRSET\r\n", &[(b"NOOP\rRSET", Terminator::CrLf, 1)]),
            (b"a\r\r\n", &[(b"a\r", Terminator::CrLf, 1)]),
            (
                b"\r\n\n",
                &[(b"", Terminator::CrLf, 0), (b"", Terminator::BareLf, 0)],
            ),
            (
                b"HELO x\nMAIL FROM:<>\r\nQUIT",
                &[
                    (b"HELO x", Terminator::BareLf, 0),
                    (b"MAIL FROM:<>", Terminator::CrLf, 0),
                    (b"QUIT", Terminator::Unterminated, 0),
                ],
            ),
        ];
        for (wire, want) in cases {
            let got = lines(&[wire]);
            let got: Vec<_> = got
                .iter()
                .map(|l| (&l.content[..], l.terminator, l.bare_cr))
                .collect();
            assert_eq!(got, want.to_vec(), "{:?}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn lines_record_the_reads_they_spanned() {
        let got = lines(&[b"EHLO a", b"b\r", b"\nNOOP\r\nQU", b"IT\r\n"]);
        let reads: Vec<_> = got.iter().map(|l| l.reads.clone()).collect();
        assert_eq!(reads, vec![vec![0, 1, 2], vec![2], vec![2, 3]]);
        assert_eq!(got[0].first_read, 0);
        assert_eq!(got[0].last_read, 2);
        assert_eq!(got[0].content, b"EHLO ab");
        assert_eq!(got[1].offset, 9);
        assert_eq!(got[2].offset, 15);
        assert!(got[2].spans_reads());
        assert_eq!(got[2].verb(), Some(Verb::Quit));
    }

    #[test]
    fn lines_are_cut_only_when_asked() {
        let mut p = RequestParser::new();
        p.feed(7, b"DATA\r\nhello\r\n.\r\nQUIT\r\n");
        assert_eq!(p.buffered(), 22);
        let data = p.next_line().unwrap();
        assert_eq!(data.verb(), Some(Verb::Data));
        assert_eq!(p.buffered(), 16, "only the DATA line was consumed");
        p.start_data(false);
        assert!(p.in_data());
        let msg = p.next_line().unwrap();
        assert!(!p.in_data());
        let stats = *msg.message().unwrap();
        assert_eq!(msg.content, b"hello\r\n.");
        assert_eq!(msg.terminator, Terminator::CrLf);
        assert_eq!(msg.wire_len(), 10);
        assert_eq!(
            stats,
            MessageStats {
                size: 10,
                lines: 1,
                longest_line: 7,
                bare_lf: 0,
                eight_bit: false,
                complete: true,
                content_size: 7,
                sha256: {
                    let mut d = [0; 32];
                    d.copy_from_slice(
                        ring::digest::digest(&ring::digest::SHA256, b"hello\r\n").as_ref(),
                    );
                    d
                },
            }
        );
        assert_eq!(p.next_line().unwrap().verb(), Some(Verb::Quit));
        assert_eq!(p.next_line(), None);
        assert_eq!(p.pending_len(), 0);
    }

    #[test]
    fn message_stats_table() {
        // (content after DATA, lenient, content kept, size, lines, longest, bare LF, 8-bit, terminator)
        type Case<'a> = (
            &'a [u8],
            bool,
            &'a [u8],
            u64,
            u64,
            u64,
            u64,
            bool,
            Terminator,
        );
        let cases: &[Case] = &[
            (b".\r\n", false, b".", 3, 0, 0, 0, false, Terminator::CrLf),
            (
                b"a\nb\r\n.\r\n",
                false,
                b"a\nb\r\n.",
                8,
                2,
                3,
                1,
                false,
                Terminator::CrLf,
            ),
            (
                b"x\xc3\xa9\r\n..stuffed\r\n.\r\n",
                false,
                b"x\xc3\xa9\r\n..stuffed\r\n.",
                19,
                2,
                11,
                0,
                true,
                Terminator::CrLf,
            ),
            (
                b"hello\n.\n",
                true,
                b"hello\n.",
                8,
                1,
                6,
                1,
                false,
                Terminator::BareLf,
            ),
            (
                b"hello\r\n.\n",
                true,
                b"hello\r\n.",
                9,
                1,
                7,
                0,
                false,
                Terminator::BareLf,
            ),
        ];
        for &(wire, lenient, kept, size, lines, longest, bare_lf, eight_bit, term) in cases {
            let mut p = RequestParser::new();
            p.start_data(lenient);
            p.feed(0, wire);
            let msg = p.next_line().expect("end of data");
            let s = msg.message().expect("a message");
            let name = String::from_utf8_lossy(wire);
            assert_eq!(msg.content, kept, "{name:?}");
            assert_eq!(msg.terminator, term, "{name:?}");
            assert_eq!(
                (s.size, s.lines, s.longest_line, s.bare_lf, s.eight_bit),
                (size, lines, longest, bare_lf, eight_bit),
                "{name:?}"
            );
            assert_eq!(msg.wire_len() as u64, s.size, "{name:?}");
            assert!(s.complete);
        }
    }

    #[test]
    fn strict_end_of_data_ignores_lf_variants_and_lenient_takes_them() {
        let smuggle: &[u8] = b"hello\n.\nMAIL FROM:<>\r\n\r\n.\r\nNOOP\r\n";
        let strict = drive(&[b"DATA\r\n", smuggle], false, MAX_REQUEST_LINE);
        let verbs: Vec<_> = strict.iter().map(ClientLine::verb).collect();
        assert_eq!(verbs, vec![Some(Verb::Data), None, Some(Verb::Noop)]);
        assert_eq!(strict[1].message().unwrap().bare_lf, 2);
        let lenient = drive(&[b"DATA\r\n", smuggle], true, MAX_REQUEST_LINE);
        let verbs: Vec<_> = lenient.iter().map(ClientLine::verb).collect();
        assert_eq!(
            verbs,
            vec![
                Some(Verb::Data),
                None,
                Some(Verb::Mail),
                Some(Verb::Unknown),
                Some(Verb::Unknown),
                Some(Verb::Noop)
            ]
        );
        assert_eq!(lenient[1].content, b"hello\n.");
    }

    #[test]
    fn overlong_lines_keep_their_prefix_and_count_the_rest() {
        let long = [b"NOOP ".as_slice(), &[b'a'; 10_000], b"\r\nQUIT\r\n"].concat();
        let got = lines(&[&long]);
        assert_eq!(got.len(), 2);
        assert!(got[0].is_overlong());
        assert_eq!(got[0].content.len(), MAX_REQUEST_LINE);
        assert_eq!(got[0].dropped, 10_005 - MAX_REQUEST_LINE);
        assert_eq!(got[0].wire_len(), 10_007);
        assert_eq!(got[0].verb(), Some(Verb::Noop));
        assert_eq!(got[1].offset, 10_007);
        assert!(!got[1].is_overlong());
        // Exactly the cap is not overlong, however the line is cut into reads.
        let exact = [&[b'x'; MAX_REQUEST_LINE][..], b"\r\n"].concat();
        for cut in [1, MAX_REQUEST_LINE, MAX_REQUEST_LINE + 1] {
            let got = lines(&[&exact[..cut], &exact[cut..]]);
            assert!(!got[0].is_overlong(), "cut at {cut}");
            assert_eq!(got[0].terminator, Terminator::CrLf);
        }
    }

    #[test]
    fn memory_is_bounded_while_a_line_never_ends() {
        let mut p = RequestParser::with_max_line(100);
        for i in 0..1000 {
            p.feed(i, &[b'x'; 1000]);
            assert_eq!(p.next_line(), None);
            assert_eq!(p.buffered(), 0);
        }
        assert_eq!(p.pending_len(), 1_000_000);
        p.feed(1000, b"\n");
        let line = p.next_line().unwrap();
        assert_eq!(line.content.len(), 100);
        assert_eq!(line.dropped, 999_900);
        assert_eq!(line.reads.len(), 1001);
        // Message content is not kept beyond the cap either.
        p.start_data(false);
        for i in 0..1000 {
            p.feed(2000 + i, &[b'y'; 1000]);
            assert_eq!(p.next_line(), None);
        }
        p.feed(3000, b"\r\n.\r\n");
        let msg = p.next_line().unwrap();
        assert_eq!(msg.content.len(), 100);
        assert_eq!(msg.message().unwrap().size, 1_000_005);
        assert_eq!(msg.message().unwrap().longest_line, 1_000_002);
    }

    #[test]
    fn discard_cuts_and_marks_the_rest() {
        let mut p = RequestParser::new();
        p.feed(0, b"STARTTLS\r\nNOOP\r\nRCPT TO:<x\r");
        assert_eq!(p.next_line().unwrap().verb(), Some(Verb::Starttls));
        let thrown = p.discard();
        let got: Vec<_> = thrown
            .iter()
            .map(|l| (&l.content[..], l.terminator, l.discarded))
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"NOOP"[..], Terminator::CrLf, true),
                (b"RCPT TO:<x", Terminator::BareCr, true)
            ]
        );
        assert_eq!(p.pending_len(), 0);
        // The LF that follows the thrown-away CR is an empty bare-LF line of its own.
        p.feed(1, b"\nEHLO x\r\n");
        let next = p.next_line().unwrap();
        assert_eq!((next.terminator, next.offset), (Terminator::BareLf, 27));
        assert_eq!(p.next_line().unwrap().verb(), Some(Verb::Ehlo));
    }

    #[test]
    fn a_stream_that_ends_in_data_gives_an_incomplete_message() {
        let got = lines(&[b"DATA\r\n", b"Subject: x\r\n\r\nbody\r"]);
        let msg = got[1].message().unwrap();
        assert!(!msg.complete);
        assert_eq!(got[1].terminator, Terminator::Unterminated);
        assert_eq!(got[1].content, b"Subject: x\r\n\r\nbody\r");
        assert_eq!(got[1].bare_cr, 1);
        assert_eq!(msg.size, 19);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn end_of_data_scanner() {
        fn ends(lenient: bool, data: &[u8]) -> Option<usize> {
            let mut eod = EodScanner::new(lenient);
            data.iter().position(|&b| eod.push(b)).map(|p| p + 1)
        }
        // Strict: only CRLF.CRLF, including right after DATA.
        assert_eq!(ends(false, b".\r\n"), Some(3));
        assert_eq!(ends(false, b"a\r\n.\r\nrest"), Some(6));
        assert_eq!(ends(false, b"a\r\n..\r\nb\r\n.\r\n"), Some(13));
        for seq in [
            &b"a\n.\nb"[..],
            b"a\n.\r\nb",
            b"a\r\n.\nb",
            b"a\r.\rb",
            b"a\r\r\n.\r\r\n",
        ] {
            assert_eq!(ends(false, seq), None, "{:?}", String::from_utf8_lossy(seq));
        }
        assert_eq!(ends(false, b"a\r\r\n.\r\n"), Some(7));
        // Lenient: LF-terminated lines count too.
        assert_eq!(ends(true, b"a\n.\nb"), Some(4));
        assert_eq!(ends(true, b"a\n.\r\nb"), Some(5));
        assert_eq!(ends(true, b"a\r\n.\nb"), Some(5));
        assert_eq!(ends(true, b"a\r\n.\r\nb"), Some(6));
        assert_eq!(ends(true, b"a\r.\rb"), None);
        assert_eq!(ends(true, b"a\n..\nb"), None);
        assert!(EodScanner::new(true).lenient());
    }

    proptest! {
        /// The same bytes in any chunking give the same lines (content, bytes counted beyond the
        /// cap, terminator, offset, kind), and the lines tile the stream.
        #[test]
        fn any_chunking_gives_the_same_lines(
            head in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), Just(b' '), any::<u8>()], 0..400),
            data_at in proptest::collection::vec(0usize..400, 0..4),
            long in proptest::option::of(40usize..200),
            tail in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), any::<u8>()], 0..100),
            cuts in proptest::collection::vec(0usize..1200, 0..12),
            lenient in any::<bool>(),
        ) {
            let mut wire = head;
            for at in data_at {
                let at = at.min(wire.len());
                wire.splice(at..at, b"DATA\r\n".iter().copied());
            }
            if let Some(n) = long {
                wire.extend(std::iter::repeat_n(b'x', n));
            }
            wire.extend(tail);
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c <= wire.len()).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&wire[prev..c]);
                prev = c;
            }
            chunks.push(&wire[prev..]);
            let whole = drive(&[&wire], lenient, 32);
            let split = drive(&chunks, lenient, 32);
            prop_assert_eq!(whole.len(), split.len());
            let mut offset = 0u64;
            for (a, b) in whole.iter().zip(&split) {
                prop_assert_eq!(&a.content, &b.content);
                prop_assert_eq!(a.dropped, b.dropped);
                prop_assert_eq!(a.terminator, b.terminator);
                prop_assert_eq!(a.bare_cr, b.bare_cr);
                prop_assert_eq!(a.offset, b.offset);
                prop_assert_eq!(a.kind, b.kind);
                prop_assert!(b.content.len() <= 32);
                prop_assert!(b.reads.windows(2).all(|w| w[0] < w[1]));
                prop_assert_eq!(b.offset, offset);
                offset += b.wire_len() as u64;
            }
            prop_assert_eq!(offset, wire.len() as u64);
        }
    }
}
