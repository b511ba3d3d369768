//! Reply syntax (RFC 5321 §4.2, §2.3.8, §4.5.3.1.5): terminators, empty status lines, codes,
//! multi-line consistency, length, non-ASCII text and replies nobody asked for.

use crate::checks::{Anchor, Finding};
use crate::checks::{reply_anchor, reply_wire};
use crate::record::Record;
use crate::record::Stage;
use crate::wire::escape::escape_bytes;
use crate::wire::reply::{LineKind, Separator, Terminator};

/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including CRLF.
pub const MAX_REPLY_LINE: usize = 512;

struct Tally {
    id: &'static str,
    first: Option<usize>,
    count: usize,
}

impl Tally {
    fn new(id: &'static str) -> Tally {
        Tally {
            id,
            first: None,
            count: 0,
        }
    }
    fn hit(&mut self, line: usize) {
        self.first.get_or_insert(line);
        self.count += 1;
    }
}

/// Line-level and reply-level syntax findings; repeated faults of one kind are one finding that
/// points at the first occurrence and counts the rest.
pub fn check(rec: &Record) -> Vec<Finding> {
    let mut bare_lf = Tally::new("reply-bare-lf");
    let mut bare_cr = Tally::new("reply-bare-cr");
    let mut empty = Tally::new("reply-zero-length");
    let mut invalid = Tally::new("reply-code-invalid");
    let mut bare_code = Tally::new("reply-bare-code");
    let mut too_long = Tally::new("reply-too-long");
    let mut non_ascii = Tally::new("reply-non-ascii");
    for (i, l) in rec.server_lines.iter().enumerate() {
        match l.terminator {
            Terminator::BareLf => bare_lf.hit(i),
            Terminator::BareCr => bare_cr.hit(i),
            _ => {}
        }
        match l.kind {
            LineKind::Empty if l.terminator != Terminator::Unterminated => empty.hit(i),
            LineKind::Garbage | LineKind::Status { valid: false, .. } => invalid.hit(i),
            LineKind::Status {
                sep: Separator::None,
                ..
            } => bare_code.hit(i),
            _ => {}
        }
        if l.wire_len() > MAX_REPLY_LINE {
            too_long.hit(i);
        }
        if l.content
            .iter()
            .any(|&b| b >= 0x80 || (b < 0x20 && b != b'\t') || b == 0x7f)
        {
            non_ascii.hit(i);
        }
    }
    let mut out = Vec::new();
    let stage_of = |line: usize| -> Stage {
        rec.replies
            .iter()
            .find(|r| r.first_line <= line && line < r.end_line)
            .map_or(Stage::Greeting, |r| r.stage.clone())
    };
    for t in [
        bare_lf, bare_cr, empty, invalid, bare_code, too_long, non_ascii,
    ] {
        let Some(first) = t.first else { continue };
        let line = &rec.server_lines[first];
        let wire = escape_bytes(&line.raw()[..line.raw().len().min(120)]);
        let more = if t.count > 1 {
            format!(" ({} lines in all)", t.count)
        } else {
            String::new()
        };
        let (summary, detail) = match t.id {
            "reply-bare-lf" => (
                format!("reply line ended with a bare LF instead of CRLF{more}"),
                format!("line at offset {} was `{wire}`", line.offset),
            ),
            "reply-bare-cr" => (
                format!("reply line ended with a bare CR instead of CRLF{more}"),
                format!("line at offset {} was `{wire}`", line.offset),
            ),
            "reply-zero-length" => (
                format!("empty line where a status line was due{more}"),
                format!(
                    "at offset {} the server sent `{wire}` with no reply code; PMDF reports this as \"Zero length SMTP status line\"",
                    line.offset
                ),
            ),
            "reply-code-invalid" => (
                format!("reply line without a valid three-digit code{more}"),
                format!("line was `{wire}`"),
            ),
            "reply-bare-code" => (
                format!("reply code without text or separator{more}"),
                format!("line was `{wire}`"),
            ),
            "reply-too-long" => (
                format!(
                    "reply line of {} octets exceeds the 512-octet limit{more}",
                    line.wire_len()
                ),
                format!("line starts `{wire}`"),
            ),
            _ => (
                format!("reply text contains non-ASCII or control bytes{more}"),
                format!("line was `{wire}`"),
            ),
        };
        out.push(Finding::new(
            t.id,
            stage_of(first),
            Anchor::Line(first),
            summary,
            detail,
        ));
    }
    for r in &rec.replies {
        let lines = rec.reply_lines(r);
        let codes: Vec<u16> = lines.iter().filter_map(|l| l.kind.code()).collect();
        if codes.windows(2).any(|w| w[0] != w[1]) {
            out.push(Finding::new(
                "reply-multiline-mismatch",
                r.stage.clone(),
                reply_anchor(r),
                format!("lines of one reply carry different codes ({codes:?})"),
                format!("reply was `{}`", reply_wire(rec, r)),
            ));
        }
        if r.unsolicited {
            out.push(Finding::new(
                "reply-unsolicited",
                r.stage.clone(),
                reply_anchor(r),
                "the server sent a reply that no command asked for",
                format!(
                    "reply `{}` was complete before the next command was written",
                    reply_wire(rec, r)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    /// A greeting and replies, each reply after a command that asks for it.
    fn ids_for(reads: &[&[u8]]) -> Vec<&'static str> {
        let mut evs = vec![];
        for (i, r) in reads.iter().enumerate() {
            if i > 0 {
                evs.push(write(2 * i as u64, Stage::Ehlo, b"NOOP\r\n"));
            }
            evs.push(read(2 * i as u64 + 1, r));
        }
        ids(&check(&attempt(evs).record))
    }

    #[test]
    fn a_reply_nobody_awaited_is_unsolicited() {
        // The greeting, then two replies to one EHLO: the second is unsolicited.
        let a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO probe\r\n"),
            read(3, b"250 mx\r\n250 again\r\n"),
        ]);
        assert_eq!(ids(&check(&a.record)), vec!["reply-unsolicited"]);
        assert_eq!(
            a.record
                .replies
                .iter()
                .map(|r| r.unsolicited)
                .collect::<Vec<_>>(),
            [false, false, true]
        );
        // A pipelined group awaits one reply per command: nothing is unsolicited.
        let a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write_expecting(2, Stage::Quit, b"RSET\r\nQUIT\r\n", 2),
            read(3, b"250 ok\r\n221 bye\r\n"),
        ]);
        assert!(ids(&check(&a.record)).is_empty());
    }

    #[test]
    fn clean_replies_have_no_finding() {
        assert!(ids_for(&[b"220 mx.example ESMTP\r\n", b"250-mx\r\n250 SIZE 1\r\n"]).is_empty());
    }

    #[test]
    fn terminator_faults() {
        assert_eq!(ids_for(&[b"220 mx\n"]), vec!["reply-bare-lf"]);
        assert_eq!(ids_for(&[b"220 mx\r", b"250 x\r\n"]), vec!["reply-bare-cr"]);
        assert_eq!(ids_for(&[b"\r\n220 mx\r\n"]), vec!["reply-zero-length"]);
    }

    #[test]
    fn code_faults() {
        assert_eq!(ids_for(&[b"2x0 mx\r\n"]), vec!["reply-code-invalid"]);
        assert_eq!(ids_for(&[b"620 mx\r\n"]), vec!["reply-code-invalid"]);
        assert_eq!(ids_for(&[b"220\r\n"]), vec!["reply-bare-code"]);
        assert_eq!(
            ids_for(&[b"250-a\r\n251-b\r\n250 c\r\n"]),
            vec!["reply-multiline-mismatch"]
        );
    }

    #[test]
    fn length_and_bytes() {
        let mut long = b"250 ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 509));
        long.extend_from_slice(b"\r\n");
        assert_eq!(ids_for(&[&long]), vec!["reply-too-long"]);
        long.truncate(4 + 506);
        long.extend_from_slice(b"\r\n");
        assert!(ids_for(&[&long]).is_empty(), "512 octets is allowed");
        assert_eq!(
            ids_for(&["220 Grüße\r\n".as_bytes()]),
            vec!["reply-non-ascii"]
        );
        assert_eq!(ids_for(&[b"220 \x1b[31mred\r\n"]), vec!["reply-non-ascii"]);
    }

    #[test]
    fn repeated_fault_is_one_finding_with_a_count() {
        let f = check(
            &attempt(vec![
                read(0, b"220 a\n"),
                write(1, Stage::Ehlo, b"NOOP\r\n"),
                read(2, b"250 b\n"),
            ])
            .record,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].summary.contains("2 lines"), "{}", f[0].summary);
        assert_eq!(f[0].anchor, Anchor::Line(0));
    }
}
