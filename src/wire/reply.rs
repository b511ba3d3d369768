//! Incremental, bounded, lenient SMTP reply parser.
//!
//! [`ReplyParser`] is fed the chunks exactly as the reads returned them and cuts them into
//! [`ServerLine`]s, remembering which reads each line spanned and how it was terminated (CRLF,
//! bare LF, bare CR, or not at all). It never assumes that one read is one line or one reply.
//! [`ReplyAssembler`] groups lines into replies (RFC 5321 §4.2). Violations are recorded in the
//! lines, never turned into errors: the checks judge them later.

use serde::Serialize;

/// Bytes of one line kept; the rest is counted in [`ServerLine::dropped`].
pub const MAX_LINE_KEEP: usize = 4096;
/// Lines of one reply kept by the assembler; the rest are counted.
pub const MAX_REPLY_LINES: usize = 1000;

/// How a line ended on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Terminator {
    /// `\r\n`, as RFC 5321 §2.3.8 requires.
    CrLf,
    /// `\n` alone.
    BareLf,
    /// `\r` not followed by `\n`.
    BareCr,
    /// The stream ended (or the wait did) before any terminator.
    Unterminated,
}

impl Terminator {
    /// The terminator's bytes on the wire (none when the line was not terminated).
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::CrLf => b"\r\n",
            Terminator::BareLf => b"\n",
            Terminator::BareCr => b"\r",
            Terminator::Unterminated => b"",
        }
    }
}

/// Separator after the reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `NNN ` or `NNN<end>`: last line of a reply.
    Space,
    /// `NNN-`: more lines follow.
    Dash,
    /// `NNN` and nothing else: a bare code (treated as last line).
    None,
}

/// What a line is, syntactically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LineKind {
    /// Starts with three digits.
    Status {
        /// The three-digit number.
        code: u16,
        /// What follows it.
        sep: Separator,
        /// Whether the code is in the RFC 5321 §4.2 range (2-5, 0-5, 0-9).
        valid: bool,
    },
    /// No characters at all before the terminator.
    Empty,
    /// Something that is not a status line.
    Garbage,
}

impl LineKind {
    fn classify(content: &[u8]) -> LineKind {
        if content.is_empty() {
            return LineKind::Empty;
        }
        if content.len() < 3 || !content[..3].iter().all(u8::is_ascii_digit) {
            return LineKind::Garbage;
        }
        let code = content[..3]
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        let sep = match content.get(3) {
            None => Separator::None,
            Some(b' ') => Separator::Space,
            Some(b'-') => Separator::Dash,
            Some(_) => return LineKind::Garbage,
        };
        let (a, b) = (content[0], content[1]);
        let valid = (b'2'..=b'5').contains(&a) && (b'0'..=b'5').contains(&b);
        LineKind::Status { code, sep, valid }
    }

    /// The code of a status line.
    pub fn code(&self) -> Option<u16> {
        match self {
            LineKind::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// One line the server sent, cut from the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    /// The content without its terminator (at most [`MAX_LINE_KEEP`] bytes).
    pub content: Vec<u8>,
    /// Content bytes beyond the cap that were counted but not kept.
    pub dropped: usize,
    /// How the line ended.
    pub terminator: Terminator,
    /// Byte offset of the line's first byte in the stream fed to this parser.
    pub offset: u64,
    /// Id of the read that carried the first byte (the id the caller passed to `feed`).
    pub first_read: usize,
    /// Id of the read that carried the terminator (or the last byte).
    pub last_read: usize,
    /// Every read id that carried bytes of this line, in order.
    pub reads: Vec<usize>,
    /// Syntactic class.
    pub kind: LineKind,
}

impl ServerLine {
    /// Whether this is a positive continuation line such as a `220-` greeting teaser.
    pub fn is_teaser(&self) -> bool {
        matches!(
            self.kind,
            LineKind::Status {
                code: 200..=299,
                sep: Separator::Dash,
                ..
            }
        )
    }

    /// Length on the wire including the terminator.
    pub fn wire_len(&self) -> usize {
        self.content.len() + self.dropped + self.terminator.bytes().len()
    }

    /// The exact bytes of the line including its terminator (as kept).
    pub fn raw(&self) -> Vec<u8> {
        // Sized exactly: a clone grown by the terminator would double its capacity.
        let mut v = Vec::with_capacity(self.content.len() + 2);
        v.extend_from_slice(&self.content);
        v.extend_from_slice(self.terminator.bytes());
        v
    }

    /// The text after the code and separator (`250-SIZE 1000` gives `SIZE 1000`), lossy UTF-8.
    pub fn text(&self) -> String {
        let body = match self.kind {
            LineKind::Status { .. } => self.content.get(4..).unwrap_or_default(),
            _ => &self.content[..],
        };
        String::from_utf8_lossy(body).into_owned()
    }

    /// Whether the line arrived in more than one read.
    pub fn spans_reads(&self) -> bool {
        self.reads.len() > 1
    }
}

/// The incremental line cutter. Feed chunks, take lines.
#[derive(Debug, Default)]
pub struct ReplyParser {
    content: Vec<u8>,
    dropped: usize,
    reads: Vec<usize>,
    line_offset: u64,
    stream_offset: u64,
    pending_cr: bool,
    ready: std::collections::VecDeque<ServerLine>,
}

impl ReplyParser {
    /// A parser at stream offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one read. `read_id` identifies the read (the record's event index).
    pub fn feed(&mut self, read_id: usize, chunk: &[u8]) {
        for &b in chunk {
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    if self.reads.last() != Some(&read_id) {
                        self.reads.push(read_id);
                    }
                    self.stream_offset += 1;
                    self.emit(Terminator::CrLf, read_id);
                    continue;
                }
                // The CR ended a line on its own; this byte starts the next one.
                let last = self.reads.last().copied().unwrap_or(read_id);
                self.emit(Terminator::BareCr, last);
            }
            if self.reads.last() != Some(&read_id) {
                self.reads.push(read_id);
            }
            self.stream_offset += 1;
            match b {
                b'\r' => self.pending_cr = true,
                b'\n' => self.emit(Terminator::BareLf, read_id),
                _ => {
                    if self.content.len() < MAX_LINE_KEEP {
                        self.content.push(b);
                    } else {
                        self.dropped += 1;
                    }
                }
            }
        }
    }

    fn emit(&mut self, terminator: Terminator, last_read: usize) {
        let content = std::mem::take(&mut self.content);
        let reads = std::mem::take(&mut self.reads);
        let kind = LineKind::classify(&content);
        let line = ServerLine {
            first_read: reads.first().copied().unwrap_or(last_read),
            last_read,
            reads,
            kind,
            dropped: std::mem::take(&mut self.dropped),
            content,
            terminator,
            offset: self.line_offset,
        };
        self.line_offset = self.stream_offset;
        self.ready.push_back(line);
    }

    /// Takes the next complete line.
    pub fn next_line(&mut self) -> Option<ServerLine> {
        self.ready.pop_front()
    }

    /// Whether the stream ended on a CR whose meaning depends on the next byte.
    pub fn pending_cr(&self) -> bool {
        self.pending_cr
    }

    /// Bytes of an incomplete line held (content plus a pending CR).
    pub fn pending_len(&self) -> usize {
        self.content.len() + self.dropped + usize::from(self.pending_cr)
    }

    /// Settles a trailing CR as a bare-CR line end (the server sent nothing after it).
    pub fn settle_cr(&mut self) {
        if self.pending_cr {
            self.pending_cr = false;
            let last = self.reads.last().copied().unwrap_or(0);
            self.emit(Terminator::BareCr, last);
        }
    }

    /// Ends the stream: a trailing CR becomes a bare-CR line end, any other partial line is
    /// emitted as [`Terminator::Unterminated`].
    pub fn finish(&mut self) {
        self.settle_cr();
        if !self.content.is_empty() || self.dropped > 0 {
            let last = self.reads.last().copied().unwrap_or(0);
            self.emit(Terminator::Unterminated, last);
        }
    }

    /// Drops any buffered partial data (at the TLS switch), returning how many bytes were dropped.
    pub fn discard_pending(&mut self) -> usize {
        let n = self.pending_len();
        self.content.clear();
        self.dropped = 0;
        self.reads.clear();
        self.pending_cr = false;
        self.line_offset = self.stream_offset;
        n
    }
}

/// A reply that the assembler completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledReply {
    /// Code of the last line (`None` when it was not a status line).
    pub code: Option<u16>,
    /// Index of the reply's first line, as numbered by the caller.
    pub first_line: usize,
    /// Lines counted but beyond [`MAX_REPLY_LINES`].
    pub dropped_lines: usize,
}

/// Groups lines into replies: `NNN-` lines continue, `NNN `/`NNN` end, a garbage line ends the
/// reply as invalid, empty lines are skipped (they stay in the record as lines).
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    first_line: Option<usize>,
    lines: usize,
}

impl ReplyAssembler {
    /// An assembler between replies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pushes the line numbered `index`; returns the reply it completes, if any.
    pub fn push(&mut self, index: usize, kind: LineKind) -> Option<AssembledReply> {
        if kind == LineKind::Empty && self.first_line.is_none() {
            return None;
        }
        let first = *self.first_line.get_or_insert(index);
        self.lines += 1;
        let done = match kind {
            LineKind::Status {
                sep: Separator::Dash,
                ..
            }
            | LineKind::Empty => None,
            LineKind::Status { code, .. } => Some(Some(code)),
            LineKind::Garbage => Some(None),
        };
        done.map(|code| {
            let lines = std::mem::take(&mut self.lines);
            self.first_line = None;
            AssembledReply {
                code,
                first_line: first,
                dropped_lines: lines.saturating_sub(MAX_REPLY_LINES),
            }
        })
    }

    /// Whether a reply has started but not ended.
    pub fn in_reply(&self) -> bool {
        self.first_line.is_some()
    }

    /// Lines so far in the open reply.
    pub fn open_lines(&self) -> usize {
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines_of(chunks: &[&[u8]], finish: bool) -> Vec<ServerLine> {
        let mut p = ReplyParser::new();
        for (i, c) in chunks.iter().enumerate() {
            p.feed(i, c);
        }
        if finish {
            p.finish();
        }
        std::iter::from_fn(|| p.next_line()).collect()
    }

    #[test]
    fn crlf_lines_and_codes() {
        let l = lines_of(&[b"250-mx.example\r\n250 SIZE 100\r\n"], false);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].content, b"250-mx.example");
        assert_eq!(
            l[0].kind,
            LineKind::Status {
                code: 250,
                sep: Separator::Dash,
                valid: true
            }
        );
        assert_eq!(l[1].text(), "SIZE 100");
        assert_eq!(l[1].offset, 16);
        assert!(l.iter().all(|x| x.terminator == Terminator::CrLf));
        assert_eq!(l[0].reads, vec![0]);
    }

    #[test]
    fn crlf_split_at_every_offset_gives_the_same_lines() {
        let wire: &[u8] = b"220-first\r\n220 second line\r\n250 x\r\n";
        let whole = lines_of(&[wire], false);
        for cut in 0..=wire.len() {
            let got = lines_of(&[&wire[..cut], &wire[cut..]], false);
            assert_eq!(got.len(), 3, "cut at {cut}");
            for (a, b) in whole.iter().zip(&got) {
                assert_eq!(a.content, b.content, "cut at {cut}");
                assert_eq!(a.terminator, b.terminator, "cut at {cut}");
                assert_eq!(a.offset, b.offset, "cut at {cut}");
            }
            // The line containing the cut spans both reads, unless the cut is at a line start.
            let spanning: Vec<_> = got.iter().filter(|l| l.spans_reads()).collect();
            let at_boundary = cut == 0 || cut == wire.len() || [11, 28].contains(&cut);
            assert_eq!(spanning.len(), usize::from(!at_boundary), "cut at {cut}");
        }
    }

    #[test]
    fn bare_lf_and_bare_cr_are_terminators_with_their_kind() {
        let l = lines_of(&[b"220 a\n250 b\r250 c\r\n"], false);
        let t: Vec<_> = l.iter().map(|x| x.terminator).collect();
        assert_eq!(
            t,
            vec![Terminator::BareLf, Terminator::BareCr, Terminator::CrLf]
        );
        assert_eq!(l[1].content, b"250 b");
        assert_eq!(l[2].offset, 12);
    }

    #[test]
    fn trailing_cr_waits_for_the_next_byte() {
        let mut p = ReplyParser::new();
        p.feed(0, b"220 a\r");
        assert!(p.next_line().is_none());
        assert!(p.pending_cr());
        p.feed(1, b"\n");
        let l = p.next_line().unwrap();
        assert_eq!(l.terminator, Terminator::CrLf);
        assert_eq!(l.reads, vec![0, 1]);
        p.feed(2, b"250 b\r");
        p.settle_cr();
        let l = p.next_line().unwrap();
        assert_eq!(l.terminator, Terminator::BareCr);
        assert_eq!(l.reads, vec![2]);
    }

    #[test]
    fn bare_cr_before_next_read_is_attributed_to_its_own_read() {
        let l = lines_of(&[b"220 a\r", b"250 b\r\n"], false);
        assert_eq!(l[0].terminator, Terminator::BareCr);
        assert_eq!(l[0].reads, vec![0]);
        assert_eq!(l[1].reads, vec![1]);
    }

    #[test]
    fn bare_cr_inside_a_spanning_line() {
        let l = lines_of(&[b"220 a", b"b\rx\r\n"], false);
        assert_eq!(l[0].terminator, Terminator::BareCr);
        assert_eq!(l[0].reads, vec![0, 1]);
        assert_eq!(l[1].content, b"x");
        assert_eq!(l[1].reads, vec![1]);
    }

    #[test]
    fn empty_lines_are_classified() {
        let l = lines_of(&[b"\r\n220 ok\r\n"], false);
        assert_eq!(l[0].kind, LineKind::Empty);
        assert_eq!(l[1].kind.code(), Some(220));
    }

    #[test]
    fn oversized_line_is_capped_and_counted() {
        let mut big = vec![b'2', b'5', b'0', b' '];
        big.extend(std::iter::repeat_n(b'x', 10_000));
        big.extend_from_slice(b"\r\n");
        let l = lines_of(&[&big], false);
        assert_eq!(l[0].content.len(), MAX_LINE_KEEP);
        assert_eq!(l[0].dropped, 10_004 - MAX_LINE_KEEP);
        assert_eq!(l[0].wire_len(), 10_006);
    }

    #[test]
    fn classify_table() {
        let cases: &[(&[u8], LineKind)] = &[
            (b"", LineKind::Empty),
            (b"hello", LineKind::Garbage),
            (b"25", LineKind::Garbage),
            (b"2x0 ok", LineKind::Garbage),
            (b"250x", LineKind::Garbage),
            (
                b"250",
                LineKind::Status {
                    code: 250,
                    sep: Separator::None,
                    valid: true,
                },
            ),
            (
                b"199 no",
                LineKind::Status {
                    code: 199,
                    sep: Separator::Space,
                    valid: false,
                },
            ),
            (
                b"260 no",
                LineKind::Status {
                    code: 260,
                    sep: Separator::Space,
                    valid: false,
                },
            ),
            (
                b"554-x",
                LineKind::Status {
                    code: 554,
                    sep: Separator::Dash,
                    valid: true,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(LineKind::classify(input), *want, "{input:?}");
        }
    }

    #[test]
    fn unterminated_tail_on_finish() {
        let l = lines_of(&[b"220 ok\r\n421 bye"], true);
        assert_eq!(l[1].terminator, Terminator::Unterminated);
        let l = lines_of(&[b"220 ok\r"], true);
        assert_eq!(l[0].terminator, Terminator::BareCr);
    }

    #[test]
    fn assembler_groups_multiline_and_skips_leading_empty() {
        let mut a = ReplyAssembler::new();
        let dash = LineKind::classify(b"250-a");
        let fin = LineKind::classify(b"250 b");
        assert_eq!(a.push(0, LineKind::Empty), None);
        assert_eq!(a.push(1, dash), None);
        assert!(a.in_reply());
        let r = a.push(2, fin).unwrap();
        assert_eq!(r.code, Some(250));
        assert_eq!(r.first_line, 1);
        assert_eq!(a.push(3, LineKind::Garbage).unwrap().code, None);
    }

    #[test]
    fn assembler_bounds_lines() {
        let mut a = ReplyAssembler::new();
        let dash = LineKind::classify(b"250-a");
        for i in 0..5000 {
            assert!(a.push(i, dash).is_none());
        }
        let r = a.push(5000, LineKind::classify(b"250 end")).unwrap();
        assert_eq!(r.dropped_lines, 5001 - MAX_REPLY_LINES);
    }

    /// Lines and replies of `chunks` fed one after another, with the stream finished.
    fn parse_all(chunks: &[&[u8]]) -> (Vec<ServerLine>, Vec<AssembledReply>) {
        let mut p = ReplyParser::new();
        let mut lines = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            p.feed(i, c);
            lines.extend(std::iter::from_fn(|| p.next_line()));
        }
        p.finish();
        lines.extend(std::iter::from_fn(|| p.next_line()));
        let mut a = ReplyAssembler::new();
        let replies = lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| a.push(i, l.kind))
            .collect();
        (lines, replies)
    }

    proptest! {
        /// The same bytes in any chunking give the same lines (content, terminator, offset,
        /// class, bytes counted beyond the cap) and the same replies.
        #[test]
        fn any_chunking_gives_the_same_lines_and_replies(
            head in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'2'), Just(b'5'), Just(b'0'),
                            Just(b' '), Just(b'-'), any::<u8>()], 0..400),
            long in proptest::option::of(4000usize..5000),
            tail in proptest::collection::vec(
                prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'2'), Just(b'-'), any::<u8>()], 0..100),
            cuts in proptest::collection::vec(0usize..6000, 0..12),
        ) {
            let mut wire = head;
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
            let (whole, whole_replies) = parse_all(&[&wire]);
            let (split, split_replies) = parse_all(&chunks);
            prop_assert_eq!(whole.len(), split.len());
            let mut offset = 0u64;
            for (a, b) in whole.iter().zip(&split) {
                prop_assert_eq!(&a.content, &b.content);
                prop_assert_eq!(a.dropped, b.dropped);
                prop_assert_eq!(a.terminator, b.terminator);
                prop_assert_eq!(a.offset, b.offset);
                prop_assert_eq!(a.kind, b.kind);
                prop_assert!(b.content.len() <= MAX_LINE_KEEP);
                prop_assert_eq!(b.offset, offset);
                offset += b.wire_len() as u64;
            }
            prop_assert_eq!(offset, wire.len() as u64);
            prop_assert_eq!(whole_replies, split_replies);
        }
    }
}
