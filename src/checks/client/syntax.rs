//! Command line syntax (SPEC §8): commands ended by a bare LF (`client-bare-lf`) or holding a
//! bare CR (`client-bare-cr`), and command lines longer than RFC 5321 §4.5.3.1.4 allows
//! (`client-command-too-long`).

use super::timeline::Timeline;
use crate::checks::{Anchor, Finding};
use crate::wire::reply::Terminator;
use crate::wire::request::{ClientLine, ClientLineKind, Verb, trim};

/// A command line, CR LF included (RFC 5321 §4.5.3.1.4).
pub(super) const MAX_COMMAND: usize = 512;
/// A line of an AUTH exchange (RFC 4954 §4).
pub(super) const MAX_AUTH_LINE: usize = 12288;

/// The syntax findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let judged = commands(tl);
    let mut out = Vec::new();
    out.extend(bare_lf(tl, &judged));
    out.extend(bare_cr(tl, &judged));
    out.extend(too_long(tl, &judged));
    out
}

/// The command lines judged for syntax: not message content, and not what a server threw away
/// behind STARTTLS (those bytes may be the client's TLS handshake, not commands).
fn commands(tl: &Timeline) -> Vec<usize> {
    let lines = tl.lines();
    let mut behind_starttls = false;
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.discarded {
            behind_starttls = l.verb() == Some(Verb::Starttls);
        }
        if l.verb().is_some() && !(l.discarded && behind_starttls) {
            out.push(i);
        }
    }
    out
}

/// Whether line `i` and the one after it are one CR LF that a server cut apart by throwing
/// away its input after the CR (a discarded line ended by the CR, then an empty bare-LF line).
fn split_crlf(lines: &[ClientLine], i: usize) -> bool {
    let (Some(a), Some(b)) = (lines.get(i), lines.get(i + 1)) else {
        return false;
    };
    a.terminator == Terminator::BareCr
        && a.discarded
        && b.terminator == Terminator::BareLf
        && b.content.is_empty()
        && b.dropped == 0
        && b.offset == a.offset + a.wire_len() as u64
}

/// `client-bare-lf`: a command line ended by LF without CR.
fn bare_lf(tl: &Timeline, judged: &[usize]) -> Option<Finding> {
    let lines = tl.lines();
    let hits: Vec<usize> = judged
        .iter()
        .copied()
        .filter(|&i| lines[i].terminator == Terminator::BareLf)
        .filter(|&i| !(i > 0 && split_crlf(lines, i - 1)))
        .collect();
    let &first = hits.first()?;
    Some(Finding::new(
        "client-bare-lf",
        tl.stage_of(first),
        Anchor::Event(lines[first].last_read),
        format!("the client ended {} with a bare LF", tl.name(first)),
        format!(
            "\"{}\\n\": LF without CR{}; RFC 5321 §2.3.8 ends lines with CR LF only",
            tl.quote(first),
            count(hits.len(), "command")
        ),
    ))
}

/// `client-bare-cr`: a CR not followed by LF in a command line (inside it, or ending it where
/// the stream ended).
fn bare_cr(tl: &Timeline, judged: &[usize]) -> Option<Finding> {
    let lines = tl.lines();
    let hits: Vec<usize> = judged
        .iter()
        .copied()
        .filter(|&i| {
            lines[i].bare_cr > 0
                || (lines[i].terminator == Terminator::BareCr && !split_crlf(lines, i))
        })
        .collect();
    let &first = hits.first()?;
    let l = &lines[first];
    let shown = if l.terminator == Terminator::BareCr {
        format!("{}\\r", tl.quote(first))
    } else {
        tl.quote(first)
    };
    Some(Finding::new(
        "client-bare-cr",
        tl.stage_of(first),
        Anchor::Event(l.last_read),
        format!("the client sent a bare CR in {}", tl.name(first)),
        format!(
            "\"{shown}\": CR without LF{}, so a server that ends lines at LF reads one \
             garbled line; RFC 5321 §2.3.8",
            count(hits.len(), "command")
        ),
    ))
}

/// The longest line RFC 5321 §4.5.3.1.4 (and the extensions) allow for command line `i`: 512
/// octets; an AUTH response 12288 (RFC 4954 §4); MAIL and RCPT also the length of each
/// parameter of an extension the EHLO reply advertised.
fn limit(tl: &Timeline, i: usize) -> usize {
    if tl.is_credential(i) {
        return MAX_AUTH_LINE;
    }
    let l = &tl.lines()[i];
    if !matches!(l.verb(), Some(Verb::Mail | Verb::Rcpt)) {
        return MAX_COMMAND;
    }
    let Some(session) = tl.session(i) else {
        return MAX_COMMAND;
    };
    MAX_COMMAND
        + parameters(l.arg())
            .filter(|p| extension_of(p).iter().any(|ext| session.has(ext)))
            .map(|p| p.len() + 1)
            .sum::<usize>()
}

/// The parameters of a MAIL/RCPT argument: the words after the path.
pub(super) fn parameters(arg: &[u8]) -> impl Iterator<Item = &[u8]> {
    let rest = match arg.iter().position(|&b| b == b':') {
        Some(p) => trim(&arg[p + 1..]),
        None => arg,
    };
    let after = if rest.first() == Some(&b'<') {
        rest.iter()
            .position(|&b| b == b'>')
            .map_or(rest.len(), |p| p + 1)
    } else {
        rest.iter().position(|&b| b == b' ').unwrap_or(rest.len())
    };
    rest[after..]
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
}

/// The EHLO keywords that allow a MAIL/RCPT parameter.
fn extension_of(param: &[u8]) -> &'static [&'static str] {
    let key = param.split(|&b| b == b'=').next().unwrap_or_default();
    let key = key.to_ascii_uppercase();
    match &key[..] {
        b"SIZE" => &["SIZE"],
        b"BODY" => &["8BITMIME", "BINARYMIME"],
        b"SMTPUTF8" => &["SMTPUTF8"],
        b"AUTH" => &["AUTH"],
        b"RET" | b"ENVID" | b"NOTIFY" | b"ORCPT" => &["DSN"],
        b"REQUIRETLS" => &["REQUIRETLS"],
        b"MT-PRIORITY" => &["MT-PRIORITY"],
        b"BY" => &["DELIVERBY"],
        b"HOLDFOR" | b"HOLDUNTIL" => &["FUTURERELEASE"],
        b"MTRK" => &["MTRK"],
        b"RRVS" => &["RRVS"],
        _ => &[],
    }
}

/// `client-command-too-long`: a command line longer than its limit, counted with CR LF.
fn too_long(tl: &Timeline, judged: &[usize]) -> Option<Finding> {
    let lines = tl.lines();
    let hits: Vec<(usize, usize, usize)> = judged
        .iter()
        .copied()
        .filter(|&i| matches!(lines[i].kind, ClientLineKind::Command(_)))
        .map(|i| {
            (
                i,
                lines[i].content.len() + lines[i].dropped + 2,
                limit(tl, i),
            )
        })
        .filter(|&(_, len, max)| len > max)
        .collect();
    let &(first, len, max) = hits.first()?;
    let why = if max == MAX_COMMAND {
        "RFC 5321 §4.5.3.1.4 guarantees 512".to_string()
    } else if max == MAX_AUTH_LINE {
        "RFC 4954 §4 allows an AUTH response 12288".to_string()
    } else {
        format!("512 and the advertised extensions' parameters allow {max}")
    };
    Some(Finding::new(
        "client-command-too-long",
        tl.stage_of(first),
        Anchor::Event(lines[first].first_read),
        format!("the client sent a {len}-octet {} command", tl.name(first)),
        format!(
            "{len} octets with CR LF, where {why}: \"{}\"{}",
            tl.quote(first),
            count(hits.len(), "command")
        ),
    ))
}

/// ` (N commands)` when more than one.
fn count(n: usize, what: &str) -> String {
    if n > 1 {
        format!(" ({n} {what}s like this)")
    } else {
        String::new()
    }
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

    #[test]
    fn a_clean_client_has_no_syntax_finding() {
        assert!(run(&patient_client()).is_empty());
    }

    #[test]
    fn bare_lf_and_bare_cr_commands() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\n");
        s.talk(20, b"NOOP\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-bare-lf"]);
        assert!(
            f[0].detail.contains("EHLO client.example.org\\n"),
            "{}",
            f[0].detail
        );
        assert!(f[0].detail.contains("2 commands"), "{}", f[0].detail);

        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\rMAIL FROM:<a@b.example>\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-bare-cr"]);
        assert!(f[0].detail.contains("org\\rMAIL"), "{}", f[0].detail);
        // A CR at the very end of the stream.
        let mut s = Sim::greeted(1);
        s.read(10, b"QUIT\r");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-bare-cr"]);
    }

    /// A server that throws its input away after a CR cuts a CR LF in two: that is no bare CR
    /// and no bare LF of the client's.
    #[test]
    fn a_crlf_cut_by_a_discard_is_not_bare() {
        let mut s = Sim::greeted(1);
        s.read(10, b"NOOP\r\nRSET\r");
        assert!(s.take().is_some());
        s.rec.discard_client_input();
        s.read(11, b"\nQUIT\r\n");
        s.answer(12);
        let rec = s.finish();
        assert_eq!(rec.client_lines[2].terminator, Terminator::BareLf);
        assert!(run(&rec).is_empty());
    }

    #[test]
    fn command_length_limit_is_512_with_crlf() {
        let line = |n: usize| {
            let mut v = b"NOOP ".to_vec();
            v.resize(n - 2, b'x');
            v.extend_from_slice(b"\r\n");
            v
        };
        let mut s = Sim::greeted(1);
        s.talk(10, &line(512));
        assert!(run(&s.finish()).is_empty());
        let mut s = Sim::greeted(1);
        s.talk(10, &line(513));
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-command-too-long"]);
        assert!(f[0].detail.starts_with("513 octets"), "{}", f[0].detail);
        assert!(f[0].detail.len() < 400, "bounded: {}", f[0].detail);
    }

    #[test]
    fn advertised_parameters_lengthen_mail() {
        let path = format!("<{}@example.org>", "a".repeat(480));
        let mail = format!("MAIL FROM:{path} SIZE=1000 BODY=8BITMIME\r\n");
        assert!(mail.len() > 512);
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, mail.as_bytes());
        assert!(run(&s.finish()).is_empty());
        // Without EHLO the parameters do not count.
        let mut s = Sim::greeted(1);
        s.talk(10, b"HELO client.example.org\r\n");
        s.talk(20, mail.as_bytes());
        assert_eq!(ids(&run(&s.finish())), ["client-command-too-long"]);
    }

    #[test]
    fn hostile_lines_do_not_panic_and_details_stay_short() {
        let mut junk = vec![0xffu8; 20_000];
        junk.extend_from_slice(b"\r\x00\n\r\r\n\n");
        let mut s = Sim::greeted(1);
        s.talk(10, &junk);
        s.talk(20, b"AUTH PLAIN c2VjcmV0c2VjcmV0\n");
        let f = run(&s.finish());
        assert!(!f.is_empty());
        for x in &f {
            assert!(x.detail.len() < 700, "{}", x.detail);
            assert!(!x.detail.contains("c2VjcmV0"), "{}", x.detail);
        }
    }
}
