//! Streaming dot-stuffing (RFC 5321 §4.5.2) with line endings canonicalised to CRLF.
//!
//! Input may end lines with CRLF, a bare LF or a bare CR: each becomes CRLF (RFC 5321 §2.3.8
//! forbids bare CR and LF in message content). A line starting with `.` gets a second dot. The
//! last line's CRLF is held back so that [`DotStuffer::finish`] can write `\r\n.\r\n` in one
//! piece: some firewalls (Cisco PIX) mishandle an end-of-data sequence split across writes.
//! Memory use is constant: each call works on the chunk it is given.

/// The stuffer's state between chunks.
#[derive(Debug, Default, Clone)]
pub struct DotStuffer {
    started: bool,
    at_line_start: bool,
    pending_cr: bool,
    held_crlf: bool,
    line_len: usize,
    /// Longest line seen, in octets without CRLF.
    pub longest_line: usize,
    /// Whether any byte ≥ 0x80 was seen.
    pub eight_bit: bool,
    /// Content bytes consumed.
    pub input_bytes: u64,
}

impl DotStuffer {
    /// A stuffer at the start of a message.
    pub fn new() -> Self {
        DotStuffer {
            at_line_start: true,
            ..Self::default()
        }
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        if self.held_crlf {
            out.extend_from_slice(b"\r\n");
        }
        self.held_crlf = true;
        self.at_line_start = true;
        self.longest_line = self.longest_line.max(self.line_len);
        self.line_len = 0;
    }

    /// Consumes a chunk of content and appends its wire form to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.input_bytes += input.len() as u64;
        self.started |= !input.is_empty();
        out.reserve(input.len() + input.len() / 32 + 4);
        let mut rest = input;
        while let Some(&first) = rest.first() {
            if self.pending_cr {
                self.pending_cr = false;
                self.end_line(out);
                if first == b'\n' {
                    rest = &rest[1..];
                    continue;
                }
            }
            match first {
                b'\r' => {
                    self.pending_cr = true;
                    rest = &rest[1..];
                }
                b'\n' => {
                    self.end_line(out);
                    rest = &rest[1..];
                }
                _ => {
                    // A run of line content up to the next CR or LF, copied in one piece.
                    let run_len = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
                    let run = &rest[..run_len];
                    if self.held_crlf {
                        out.extend_from_slice(b"\r\n");
                        self.held_crlf = false;
                    }
                    if self.at_line_start && run[0] == b'.' {
                        out.push(b'.');
                    }
                    self.at_line_start = false;
                    self.eight_bit |= run.iter().fold(0u8, |acc, &b| acc | b) >= 0x80;
                    self.line_len += run_len;
                    out.extend_from_slice(run);
                    rest = &rest[run_len..];
                }
            }
        }
    }

    /// Ends the message: appends `\r\n.\r\n` (or `.\r\n` for an empty message) in one piece.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            self.end_line(out);
        }
        self.longest_line = self.longest_line.max(self.line_len);
        // The held CRLF of the last line (or the one a partial last line needs) goes out with
        // the dot; an empty message is the dot line alone.
        out.extend_from_slice(if self.started { b"\r\n.\r\n" } else { b".\r\n" });
        self.held_crlf = false;
    }
}

/// Reverses dot-stuffing of a DATA stream up to the end-of-data line: returns the content
/// (CRLF line ends, the CRLF before the final dot included) and whether the terminator was seen.
pub fn unstuff(wire: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(wire.len());
    let mut rest = wire;
    while !rest.is_empty() {
        let end = rest.windows(2).position(|w| w == b"\r\n").map(|p| p + 2);
        let line = &rest[..end.unwrap_or(rest.len())];
        if line == b".\r\n" {
            return (out, true);
        }
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        rest = &rest[line.len()..];
    }
    (out, false)
}

/// Canonical form of content: every line ending (CRLF, LF, CR) as CRLF, and a final CRLF added
/// when the content does not end with one (empty content stays empty).
pub fn canonical(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 2);
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stuff_chunks(chunks: &[&[u8]]) -> Vec<u8> {
        let mut s = DotStuffer::new();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        s.finish(&mut out);
        out
    }

    #[test]
    fn table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"a\n.b\n", b"a\r\n..b\r\n.\r\n"),
            (b"a\rb", b"a\r\nb\r\n.\r\n"),
            (b"a\r\n\r\n", b"a\r\n\r\n.\r\n"),
            (b"\n", b"\r\n.\r\n"),
        ];
        for (input, want) in cases {
            assert_eq!(
                stuff_chunks(&[input]),
                want.to_vec(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn terminator_is_one_piece_in_the_last_write() {
        let mut s = DotStuffer::new();
        let mut out = Vec::new();
        s.push(b"line\r\n", &mut out);
        assert_eq!(out, b"line", "the last CRLF is held back");
        let mut last = Vec::new();
        s.finish(&mut last);
        assert_eq!(last, b"\r\n.\r\n");
    }

    proptest! {
        #[test]
        fn unstuffed_equals_canonical_input(
            body in proptest::collection::vec(
                prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), Just(0xffu8), any::<u8>()], 0..400),
            cuts in proptest::collection::vec(0usize..400, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c <= body.len()).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&body[prev..c]);
                prev = c;
            }
            chunks.push(&body[prev..]);
            let wire = stuff_chunks(&chunks);
            prop_assert!(wire.ends_with(b".\r\n"));
            // No bare CR or LF on the wire.
            for (i, &b) in wire.iter().enumerate() {
                if b == b'\n' { prop_assert!(i > 0 && wire[i - 1] == b'\r'); }
                if b == b'\r' { prop_assert_eq!(wire.get(i + 1), Some(&b'\n')); }
            }
            let (content, terminated) = unstuff(&wire);
            prop_assert!(terminated);
            prop_assert_eq!(content, canonical(&body));
        }
    }
}
