//! Message content as the receiving server stores it: dot-unstuffed, hashed (SHA-256) and its Message-ID read, streaming.
//!
//! [`ContentScanner`] is fed the message's bytes as they arrive (the final dot line included) and
//! keeps a few bytes of state, one header line and a digest context: memory does not grow with
//! the message. What it computes is what a server would queue: RFC 5321 §4.5.2 transparency
//! undone (a leading dot of a line that has more characters is deleted), up to and including the
//! line ending before the final dot.

use ring::digest::{Context, SHA256};

/// Longest Message-ID kept (RFC 5322 allows more; a longer one is treated as absent).
pub const MAX_MESSAGE_ID: usize = 250;
/// Longest header line looked at; the rest of a longer line is skipped.
const MAX_HEADER_LINE: usize = 998;
/// Bytes gathered before they go into the digest (the digest is fed in blocks, not per byte).
const DIGEST_BLOCK: usize = 8192;

/// What the leading-dot state machine holds back at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Nothing.
    Nothing,
    /// A dot at the start of a line: stuffing, the final dot, or a line of one dot.
    Dot,
    /// A dot and a CR at the start of a line.
    DotCr,
}

/// The Message-ID header of the header section, found while the content streams by.
#[derive(Debug, Clone, Default)]
struct HeaderScan {
    /// The header section ended (empty line) or the id was found.
    done: bool,
    /// The physical line being read (at most [`MAX_HEADER_LINE`] bytes).
    line: Vec<u8>,
    /// The header field being gathered (its continuation lines unfolded).
    field: Vec<u8>,
    found: Option<Vec<u8>>,
}

impl HeaderScan {
    fn push(&mut self, b: u8) {
        if self.done {
            return;
        }
        if b != b'\n' {
            if self.line.len() < MAX_HEADER_LINE {
                self.line.push(b);
            }
            return;
        }
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() {
            self.end();
        } else if matches!(line[0], b' ' | b'\t') {
            if self.field.len() + line.len() <= MAX_HEADER_LINE {
                self.field.extend_from_slice(&line);
            }
        } else {
            self.take_field();
            self.field = line;
        }
    }

    /// The header section is over (or the message is).
    fn end(&mut self) {
        if !self.done {
            self.take_field();
            self.done = true;
            self.line = Vec::new();
        }
    }

    fn take_field(&mut self) {
        let field = std::mem::take(&mut self.field);
        if self.found.is_some() {
            return;
        }
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return;
        };
        let (name, value) = (&field[..colon], &field[colon + 1..]);
        if super::trim(name).eq_ignore_ascii_case(b"message-id") {
            self.found = message_id_of(value);
            self.done = self.found.is_some();
        }
    }
}

/// The id in a Message-ID header value: what stands between `<` and `>`, else the first word;
/// `None` when that is empty or longer than [`MAX_MESSAGE_ID`].
pub fn message_id_of(value: &[u8]) -> Option<Vec<u8>> {
    let value = super::trim(value);
    let id = match value.iter().position(|&b| b == b'<') {
        Some(open) => {
            let inner = &value[open + 1..];
            &inner[..inner.iter().position(|&b| b == b'>')?]
        }
        None => {
            let end = value
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(value.len());
            &value[..end]
        }
    };
    let id = super::trim(id);
    (!id.is_empty() && id.len() <= MAX_MESSAGE_ID).then(|| id.to_vec())
}

/// The receiving side of one message's content: unstuffs, counts, hashes, finds the Message-ID.
#[derive(Clone)]
pub struct ContentScanner {
    digest: Context,
    pending: Vec<u8>,
    size: u64,
    line_start: bool,
    held: Held,
    headers: HeaderScan,
}

impl std::fmt::Debug for ContentScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentScanner")
            .field("size", &self.size)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Default for ContentScanner {
    fn default() -> Self {
        ContentScanner::new()
    }
}

impl ContentScanner {
    /// A scanner at the start of message content (the start of a line).
    pub fn new() -> ContentScanner {
        ContentScanner {
            digest: Context::new(&SHA256),
            pending: Vec::new(),
            size: 0,
            line_start: true,
            held: Held::Nothing,
            headers: HeaderScan::default(),
        }
    }

    /// Feeds one byte as received; `eod` says that this byte completed the end-of-data
    /// sequence (then the held final dot and its line ending are not content).
    pub fn push(&mut self, b: u8, eod: bool) {
        if eod {
            self.held = Held::Nothing;
            return;
        }
        match self.held {
            Held::Dot => {
                self.held = Held::Nothing;
                match b {
                    b'\r' => self.held = Held::DotCr,
                    // A line of one dot that did not end the data: the dot is content.
                    b'\n' => {
                        self.emit(b'.');
                        self.emit(b'\n');
                    }
                    // Transparency: the leading dot of a line with more characters goes.
                    _ => self.emit(b),
                }
            }
            Held::DotCr => {
                self.held = Held::Nothing;
                if b == b'\n' {
                    self.emit(b'.');
                } else {
                    self.emit(b'\r');
                    self.push(b, false);
                    return;
                }
                self.emit(b'\r');
                self.emit(b'\n');
            }
            Held::Nothing if self.line_start && b == b'.' => {
                self.line_start = false;
                self.held = Held::Dot;
            }
            Held::Nothing => self.emit(b),
        }
    }

    fn emit(&mut self, b: u8) {
        self.size += 1;
        self.line_start = b == b'\n';
        self.headers.push(b);
        self.pending.push(b);
        if self.pending.len() >= DIGEST_BLOCK {
            self.digest.update(&self.pending);
            self.pending.clear();
        }
    }

    /// Octets of content so far (unstuffed; the final dot line excluded).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The end of the content: its size, SHA-256 and Message-ID. A dot still held (the stream
    /// ended right after it) counts as content.
    pub fn finish(mut self) -> (u64, [u8; 32], Option<Vec<u8>>) {
        match self.held {
            Held::Nothing => {}
            Held::Dot => self.emit(b'.'),
            Held::DotCr => {
                self.emit(b'.');
                self.emit(b'\r');
            }
        }
        self.headers.end();
        self.digest.update(&self.pending);
        let mut sha = [0; 32];
        sha.copy_from_slice(self.digest.finish().as_ref());
        (self.size, sha, self.headers.found)
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::request::EodScanner;

    /// Size, digest and Message-ID of message data `wire` (final dot included).
    fn scan(wire: &[u8], lenient: bool) -> (u64, [u8; 32], Option<String>) {
        let mut eod = EodScanner::new(lenient);
        let mut c = ContentScanner::new();
        for &b in wire {
            let done = eod.push(b);
            c.push(b, done);
            if done {
                break;
            }
        }
        let (size, sha, id) = c.finish();
        (
            size,
            sha,
            id.map(|i| String::from_utf8_lossy(&i).into_owned()),
        )
    }

    fn sha(bytes: &[u8]) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(ring::digest::digest(&SHA256, bytes).as_ref());
        out
    }

    #[test]
    fn unstuffing_table() {
        // (wire after DATA, lenient, stored content)
        let cases: &[(&[u8], bool, &[u8])] = &[
            (b".\r\n", false, b""),
            (b"a\r\n.\r\n", false, b"a\r\n"),
            (b"..a\r\n.\r\n", false, b".a\r\n"),
            (b"a\r\n..\r\n.\r\n", false, b"a\r\n.\r\n"),
            (b"x\r\n...\r\n.\r\n", false, b"x\r\n..\r\n"),
            // A line of one dot after a bare LF does not end strict data: it is content.
            (b"a\n.\nb\r\n.\r\n", false, b"a\n.\nb\r\n"),
            (b"a\n.\r\nb\r\n.\r\n", false, b"a\n.\r\nb\r\n"),
            (b".\rx\r\n.\r\n", false, b"\rx\r\n"),
            // Lenient data ends at LF . LF.
            (b"hello\n.\n", true, b"hello\n"),
            (b"hello\r\n.\n", true, b"hello\r\n"),
        ];
        for &(wire, lenient, want) in cases {
            let (size, digest, _) = scan(wire, lenient);
            let name = String::from_utf8_lossy(wire);
            assert_eq!(size, want.len() as u64, "{name:?}");
            assert_eq!(digest, sha(want), "{name:?}");
        }
    }

    #[test]
    fn the_digest_does_not_depend_on_block_boundaries() {
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for i in 0..5000 {
            let line = format!(".line {i} {}\r\n", "y".repeat(i % 37));
            wire.extend_from_slice(b".");
            wire.extend_from_slice(line.as_bytes());
            want.extend_from_slice(line.as_bytes());
        }
        wire.extend_from_slice(b".\r\n");
        let (size, digest, _) = scan(&wire, false);
        assert_eq!(size, want.len() as u64);
        assert_eq!(hex(&digest), hex(&sha(&want)));
    }

    #[test]
    fn message_id_table() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (
                b"Message-ID: <abc@x.test>\r\n\r\nbody\r\n.\r\n",
                Some("abc@x.test"),
            ),
            (b"message-id:<abc@x.test>\r\n\r\n.\r\n", Some("abc@x.test")),
            (
                b"Subject: a\r\nMessage-Id:\r\n  <folded@x.test>\r\n\r\n.\r\n",
                Some("folded@x.test"),
            ),
            (
                b"Message-ID: bare@x.test (comment)\r\n\r\n.\r\n",
                Some("bare@x.test"),
            ),
            (
                b"Subject: no id\r\n\r\nMessage-ID: <body@x.test>\r\n.\r\n",
                None,
            ),
            (b"Message-ID: <>\r\n\r\n.\r\n", None),
            (
                b"Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n.\r\n",
                Some("first@x"),
            ),
            // Headers without a body, ended by the final dot.
            (b"Message-ID: <nobody@x>\r\n.\r\n", Some("nobody@x")),
        ];
        for &(wire, want) in cases {
            let (_, _, id) = scan(wire, false);
            assert_eq!(id.as_deref(), want, "{:?}", String::from_utf8_lossy(wire));
        }
        let long = format!("Message-ID: <{}@x>\r\n\r\n.\r\n", "a".repeat(300));
        assert_eq!(scan(long.as_bytes(), false).2, None);
    }

    #[test]
    fn a_stream_that_ends_early_keeps_a_held_dot() {
        let mut c = ContentScanner::new();
        for &b in b"a\r\n." {
            c.push(b, false);
        }
        let (size, digest, _) = c.finish();
        assert_eq!(size, 4);
        assert_eq!(digest, sha(b"a\r\n."));
    }
}
