//! Message content (SPEC §8): bare LF or CR in the content (`client-data-bare-lf`), lines over
//! 1000 octets (`client-text-line-too-long`), 8-bit content not declared or not offered
//! (`client-8bit-undeclared`), and messages larger than declared or allowed
//! (`client-size-exceeded`).
//!
//! A message line keeps its first bytes only; what lies beyond is judged from the parser's
//! counts, and only where they prove the point.

use super::syntax::parameters;
use super::timeline::{Timeline, quote_bytes};
use crate::checks::{Anchor, Finding};
use crate::record::Stage;
use crate::wire::reply::Terminator;
use crate::wire::request::{ClientLine, MessageStats, Verb};

/// A text line, CR LF included, not counting a dot added for transparency (RFC 5321 §4.5.3.1.6).
pub(super) const MAX_TEXT_LINE: u64 = 1000;
/// Octets a message may exceed its own `SIZE=` by: the CR LF a client adds to end the last line
/// when the content it was given did not (Python's `smtplib` declares `len(msg)` and then
/// appends it).
const SIZE_SLACK: u64 = 2;
/// Bytes of context quoted on each side of an offending byte.
const CONTEXT: usize = 30;

/// The message findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let messages: Vec<(usize, &ClientLine, &MessageStats)> = tl
        .lines()
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.message().map(|m| (i, l, m)))
        .collect();
    let mut out = Vec::new();
    out.extend(bare_lf(tl, &messages));
    out.extend(long_lines(tl, &messages));
    out.extend(eight_bit(tl, &messages));
    out.extend(size(tl, &messages));
    out
}

type Messages<'a> = [(usize, &'a ClientLine, &'a MessageStats)];

/// The anchor for byte `at` of a message's kept content (its first read when unknown).
fn anchor(tl: &Timeline, l: &ClientLine, at: Option<usize>) -> Anchor {
    Anchor::Event(
        at.and_then(|i| tl.read_at_offset(l.offset + i as u64))
            .unwrap_or(l.first_read),
    )
}

/// Escaped bytes around `at` in a message's kept content.
fn context(content: &[u8], at: usize) -> String {
    let start = at.saturating_sub(CONTEXT);
    let end = (at + CONTEXT + 1).min(content.len());
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.push_str(&quote_bytes(&content[start..end], end - start));
    if end < content.len() {
        s.push('…');
    }
    s
}

/// The complete lines of kept content: (start, length with the LF).
fn content_lines(content: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let end = start + content[start..].iter().position(|&b| b == b'\n')?;
        let line = (start, end + 1 - start);
        start = end + 1;
        Some(line)
    })
}

/// `client-data-bare-lf`: content lines ended by LF alone (the end-of-data line included,
/// where a lenient server took `<LF>.<LF>`), and CRs not followed by LF.
fn bare_lf(tl: &Timeline, messages: &Messages) -> Option<Finding> {
    let mut lf = 0u64;
    let mut cr = 0u64;
    let mut hit_messages = 0;
    let mut first: Option<(&ClientLine, Option<usize>)> = None;
    for &(_, l, m) in messages {
        let c = &l.content;
        let cut_cr = !m.complete && l.dropped == 0 && c.last() == Some(&b'\r');
        let bare_cr = l.bare_cr as u64 - u64::from(cut_cr && l.bare_cr > 0);
        let bare_lf = m.bare_lf + u64::from(m.complete && l.terminator == Terminator::BareLf);
        if bare_cr + bare_lf == 0 {
            continue;
        }
        lf += bare_lf;
        cr += bare_cr;
        hit_messages += 1;
        if first.is_none() {
            let at = (0..c.len()).find(|&i| match c[i] {
                b'\n' => i == 0 || c[i - 1] != b'\r',
                b'\r' => i + 1 < c.len() && c[i + 1] != b'\n',
                _ => false,
            });
            first = Some((l, at));
        }
    }
    let (l, at) = first?;
    let shown = match at {
        Some(i) => format!(": \"{}\"", context(&l.content, i)),
        None => String::new(),
    };
    let mut what = Vec::new();
    if lf > 0 {
        what.push(format!("{lf} line{} ended by a bare LF", plural(lf)));
    }
    if cr > 0 {
        what.push(format!("{cr} bare CR{}", plural(cr)));
    }
    let within = if hit_messages > 1 {
        format!(" in {hit_messages} messages")
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-data-bare-lf",
        Stage::Data,
        anchor(tl, l, at),
        "the message contains a bare LF or a bare CR",
        format!(
            "{}{within}; RFC 5321 §2.3.8 allows CR and LF only together{shown}",
            what.join(" and ")
        ),
    ))
}

/// `client-text-line-too-long`: a content line over [`MAX_TEXT_LINE`] octets with its
/// terminator, a transparency dot not counted. Lines in the kept content are measured exactly;
/// beyond it, the parser's longest line counts only when even a stuffed dot cannot explain it.
fn long_lines(tl: &Timeline, messages: &Messages) -> Option<Finding> {
    let mut count = 0u64;
    let mut exact = true;
    let mut first: Option<(&ClientLine, Option<usize>, u64)> = None;
    for &(_, l, m) in messages {
        let mut here = 0u64;
        for (start, len) in content_lines(&l.content) {
            let stuffed = u64::from(l.content[start] == b'.');
            if len as u64 - stuffed > MAX_TEXT_LINE {
                here += 1;
                if first.is_none() {
                    first = Some((l, Some(start), len as u64));
                }
            }
        }
        if l.dropped > 0 {
            exact = false;
            if here == 0 && m.longest_line > MAX_TEXT_LINE + 1 {
                here = 1;
                first.get_or_insert((l, None, m.longest_line));
            }
        }
        count += here;
    }
    let (l, at, len) = first?;
    let shown = match at {
        Some(start) => format!(": \"{}\"", quote_bytes(&l.content[start..], len as usize)),
        None => String::new(),
    };
    let more = match (count, exact) {
        (1, true) => String::new(),
        (n, true) => format!(" ({n} lines like this)"),
        (_, false) => " (the rest of the message was not kept: there may be more)".into(),
    };
    Some(Finding::new(
        "client-text-line-too-long",
        Stage::Data,
        anchor(tl, l, at),
        format!("the message has a line of {len} octets"),
        format!(
            "a line of {len} octets with its line end, over the {MAX_TEXT_LINE} of RFC 5321 \
             §4.5.3.1.6{more}{shown}"
        ),
    ))
}

/// The MAIL command of the transaction a message belongs to.
fn mail_of(tl: &Timeline, message: usize) -> Option<usize> {
    (0..message)
        .rev()
        .find(|&i| !tl.lines()[i].discarded && tl.lines()[i].verb() == Some(Verb::Mail))
}

/// A MAIL parameter's value (`SIZE=100` for `SIZE`), case-insensitive.
fn param<'a>(mail: &'a ClientLine, key: &str) -> Option<&'a [u8]> {
    parameters(mail.arg()).find_map(|p| {
        let (k, v) = p.split_at(p.iter().position(|&b| b == b'=')?);
        k.eq_ignore_ascii_case(key.as_bytes()).then_some(&v[1..])
    })
}

/// `client-8bit-undeclared`: a message with an octet above 127 whose MAIL had no
/// `BODY=8BITMIME` (or `BINARYMIME`), or whose EHLO reply had not advertised 8BITMIME.
fn eight_bit(tl: &Timeline, messages: &Messages) -> Option<Finding> {
    let mut hits = 0;
    let mut first = None;
    for &(i, l, m) in messages {
        if !m.eight_bit {
            continue;
        }
        let mail = mail_of(tl, i);
        let declared = mail
            .and_then(|k| param(&tl.lines()[k], "BODY"))
            .is_some_and(|v| {
                v.eq_ignore_ascii_case(b"8BITMIME") || v.eq_ignore_ascii_case(b"BINARYMIME")
            });
        let offered = tl
            .session(mail.unwrap_or(i))
            .is_some_and(|s| s.has("8BITMIME"));
        if declared && offered {
            continue;
        }
        hits += 1;
        if first.is_none() {
            let why = match (declared, offered) {
                (true, _) => "with BODY=8BITMIME to a server that had not advertised 8BITMIME",
                (false, true) => "without BODY=8BITMIME on MAIL FROM",
                (false, false) => {
                    "without BODY=8BITMIME, to a server that had not advertised 8BITMIME"
                }
            };
            first = Some((l, l.content.iter().position(|&b| b >= 0x80), why));
        }
    }
    let (l, at, why) = first?;
    let shown = match at {
        Some(i) => format!(": \"{}\"", context(&l.content, i)),
        None => String::new(),
    };
    let more = if hits > 1 {
        format!(" ({hits} messages)")
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-8bit-undeclared",
        Stage::Data,
        anchor(tl, l, at),
        "the client sent 8-bit content without declaring it",
        format!("a message with octets above 127 was sent {why}{more}{shown}"),
    ))
}

/// The size of a complete message as RFC 1870 §4 counts it (its octets without the final dot
/// line and without transparency dots): `(at least, exact)`. When the content was not kept
/// whole, every line is assumed stuffed.
fn unstuffed_size(l: &ClientLine, m: &MessageStats) -> (u64, bool) {
    let end_line = match l.terminator {
        Terminator::CrLf => 3,
        Terminator::BareLf => 2,
        _ => 0,
    };
    let (stuffed, exact) = if l.dropped == 0 {
        let dots = content_lines(&l.content)
            .filter(|&(start, _)| l.content[start] == b'.')
            .count() as u64;
        (dots, true)
    } else {
        (m.lines, false)
    };
    (
        m.size.saturating_sub(end_line).saturating_sub(stuffed),
        exact,
    )
}

/// `client-size-exceeded`: a complete message larger than the `SIZE=` of its MAIL, or than the
/// SIZE limit the EHLO reply advertised (0 meaning none).
fn size(tl: &Timeline, messages: &Messages) -> Option<Finding> {
    let mut hits = 0;
    let mut first = None;
    for &(i, l, m) in messages.iter().filter(|(_, _, m)| m.complete) {
        let mail = mail_of(tl, i);
        let declared = mail
            .and_then(|k| param(&tl.lines()[k], "SIZE"))
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
        let advertised = tl
            .session(mail.unwrap_or(i))
            .and_then(|s| s.caps.as_ref()?.size().flatten())
            .filter(|&n| n > 0);
        let (octets, exact) = unstuffed_size(l, m);
        let over = match (declared, advertised) {
            (Some(d), _) if octets > d + SIZE_SLACK => {
                Some(format!("the SIZE={d} its MAIL FROM declared"))
            }
            (_, Some(a)) if octets > a => Some(format!("the SIZE {a} the server advertised")),
            _ => None,
        };
        if let Some(over) = over {
            hits += 1;
            first.get_or_insert((l, octets, exact, over));
        }
    }
    let (l, octets, exact, over) = first?;
    let more = if hits > 1 {
        format!(" ({hits} messages)")
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-size-exceeded",
        Stage::Data,
        Anchor::Event(l.last_read),
        "the client sent a message larger than allowed",
        format!(
            "the message had {}{octets} octets (RFC 1870 §4: without the final dot and the \
             transparency dots), more than {over}{more}",
            if exact { "" } else { "at least " }
        ),
    ))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, patient_client};
    use super::*;
    use crate::checks::testkit::ids;
    use crate::record::Record;

    fn run(rec: &Record) -> Vec<Finding> {
        check(&Timeline::new(rec))
    }

    /// One transaction with `mail` and the message `content` (after DATA, final dot included).
    fn message(ehlo: &'static [u8], mail: &str, content: &[u8]) -> Record {
        let mut s = Sim::with_ehlo(ehlo, ehlo);
        s.write(1, Stage::Greeting, crate::server::GREETING);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, format!("{mail}\r\n").as_bytes());
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"DATA\r\n");
        s.talk(50, content);
        s.talk(60, b"QUIT\r\n");
        s.finish()
    }

    const EHLO: &[u8] = crate::server::EHLO_PLAIN;
    const MAIL: &str = "MAIL FROM:<a@example.org>";

    #[test]
    fn clean_content_gives_nothing() {
        assert!(run(&patient_client()).is_empty());
        assert!(run(&message(EHLO, MAIL, b"Subject: x\r\n\r\n..dot\r\n.\r\n")).is_empty());
    }

    #[test]
    fn bare_lf_and_bare_cr_in_content() {
        let f = run(&message(EHLO, MAIL, b"Subject: x\n\r\nbody\r\n.\r\n"));
        assert_eq!(ids(&f), ["client-data-bare-lf"]);
        assert!(
            f[0].detail.contains("1 line ended by a bare LF"),
            "{}",
            f[0].detail
        );
        assert!(f[0].detail.contains("Subject: x\\n"), "{}", f[0].detail);
        let f = run(&message(EHLO, MAIL, b"Subject: x\r\n\r\nbo\rdy\r\n.\r\n"));
        assert_eq!(ids(&f), ["client-data-bare-lf"]);
        assert!(f[0].detail.contains("1 bare CR"), "{}", f[0].detail);
        assert!(f[0].detail.contains("bo\\rdy"), "{}", f[0].detail);
    }

    #[test]
    fn a_line_of_1000_octets_is_fine_and_1001_is_not_unless_a_dot_was_added() {
        let line = |n: usize, lead: &[u8]| {
            let mut v = lead.to_vec();
            v.resize(n - 2, b'x');
            v.extend_from_slice(b"\r\n");
            v
        };
        let body = |l: Vec<u8>| [b"Subject: x\r\n\r\n".to_vec(), l, b".\r\n".to_vec()].concat();
        assert!(run(&message(EHLO, MAIL, &body(line(1000, b"")))).is_empty());
        assert!(run(&message(EHLO, MAIL, &body(line(1001, b"..")))).is_empty());
        let f = run(&message(EHLO, MAIL, &body(line(1001, b""))));
        assert_eq!(ids(&f), ["client-text-line-too-long"]);
        assert!(f[0].detail.contains("1001 octets"), "{}", f[0].detail);
        assert!(f[0].detail.len() < 500, "{}", f[0].detail);
    }

    #[test]
    fn a_long_line_beyond_the_kept_content_still_counts() {
        let content = [
            b"Subject: x\r\n\r\n".to_vec(),
            vec![b'y'; 10_000],
            b"\r\n.\r\n".to_vec(),
        ]
        .concat();
        let f = run(&message(EHLO, MAIL, &content));
        assert_eq!(ids(&f), ["client-text-line-too-long"]);
        assert!(f[0].detail.contains("10002 octets"), "{}", f[0].detail);
    }

    #[test]
    fn eight_bit_needs_the_declaration_and_the_extension() {
        let body = "Subject: caf\u{e9}\r\n\r\nhi\r\n.\r\n".as_bytes();
        let f = run(&message(EHLO, MAIL, body));
        assert_eq!(ids(&f), ["client-8bit-undeclared"]);
        assert!(
            f[0].detail.contains("without BODY=8BITMIME on MAIL"),
            "{}",
            f[0].detail
        );
        let declared = "MAIL FROM:<a@example.org> BODY=8BITMIME";
        assert!(run(&message(EHLO, declared, body)).is_empty());
        let minimal = b"250 mx.demo.test\r\n";
        let f = run(&message(minimal, declared, body));
        assert_eq!(ids(&f), ["client-8bit-undeclared"]);
        assert!(
            f[0].detail.contains("not advertised 8BITMIME"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn size_is_compared_without_the_final_dot_and_the_stuffing() {
        // 14 + 6 + 4 = 24 octets after unstuffing ("..x" counts as ".x").
        let body = b"Subject: x\r\n\r\n..x\r\nbody\r\n.\r\n";
        // A declared size may miss the final CR LF a library adds (smtplib), no more.
        assert!(run(&message(EHLO, "MAIL FROM:<a@example.org> SIZE=22", body)).is_empty());
        let f = run(&message(EHLO, "MAIL FROM:<a@example.org> SIZE=21", body));
        assert_eq!(ids(&f), ["client-size-exceeded"]);
        assert!(f[0].detail.contains("had 24 octets"), "{}", f[0].detail);
        assert!(f[0].detail.contains("SIZE=21"), "{}", f[0].detail);
        let small: &'static [u8] = b"250-mx.demo.test\r\n250-SIZE 20\r\n250 8BITMIME\r\n";
        let f = run(&message(small, MAIL, body));
        assert_eq!(ids(&f), ["client-size-exceeded"]);
        assert!(
            f[0].detail.contains("SIZE 20 the server advertised"),
            "{}",
            f[0].detail
        );
        let unlimited: &'static [u8] = b"250-mx.demo.test\r\n250 SIZE 0\r\n";
        assert!(run(&message(unlimited, MAIL, body)).is_empty());
    }

    /// The finding points at the read that carried the offending byte.
    #[test]
    fn findings_point_at_the_read_with_the_byte() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"DATA\r\n");
        s.read(50, b"Subject: x\r\n\r\nplain\r\n");
        let second = s.read(51, b"tab\nhere\r\n.\r\n");
        s.answer(52);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-data-bare-lf"]);
        assert_eq!(f[0].anchor, Anchor::Event(second));
    }

    #[test]
    fn binary_content_does_not_panic() {
        let mut content: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
        content.extend_from_slice(b"\r\n.\r\n");
        let f = run(&message(EHLO, MAIL, &content));
        assert!(ids(&f).contains(&"client-data-bare-lf"));
        for x in &f {
            assert!(x.detail.len() < 700, "{}", x.detail);
        }
    }
}
