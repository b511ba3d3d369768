//! Client pipelining (SPEC §8, RFC 2920): commands sent while a reply was due without
//! PIPELINING (`client-pipelining-unadvertised`), and commands or message text sent behind a
//! command that must end a group (`client-pipelining-misordered`).

use super::timeline::{Sent, Timeline};
use crate::checks::{Anchor, Finding, ms};
use crate::wire::request::{ClientLineKind, Verb};

/// The pipelining findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(misordered(tl));
    out.extend(unadvertised(tl));
    out
}

/// `client-pipelining-misordered`: a line read before any of the reply to an earlier line that
/// RFC 2920 §3.1 puts last in a group (message text before the 354 included). A QUIT that
/// follows the final dot is fine: the dot is not such a command.
fn misordered(tl: &Timeline) -> Option<Finding> {
    let hits: Vec<(usize, usize)> = (0..tl.lines().len())
        .filter(|&i| tl.judged(i))
        .filter_map(|i| match tl.sent(i) {
            Sent::BehindGroupEnd { ender } => Some((i, ender)),
            _ => None,
        })
        .collect();
    let &(line, ender) = hits.first()?;
    let lines = tl.lines();
    let (l, g) = (&lines[line], &lines[ender]);
    let gap = if l.first_read == g.last_read {
        "in the same read".to_string()
    } else {
        format!(
            "{} after it",
            ms(tl.at(l.first_read).saturating_sub(tl.at(g.last_read)))
        )
    };
    let what = match (l.kind, g.verb()) {
        (ClientLineKind::Message(_), _) => format!(
            "message text (\"{}\") was sent behind DATA {gap}, before the 354 reply",
            tl.quote(line)
        ),
        (_, Some(Verb::Starttls)) => format!(
            "\"{}\" was sent behind STARTTLS {gap}, before its reply and the TLS handshake \
             (plaintext injected into the TLS session is CVE-2011-0411)",
            tl.quote(line)
        ),
        _ => format!(
            "\"{}\" was sent behind {} {gap}, before any reply to it; RFC 2920 §3.1 lets {} \
             only end a group",
            tl.quote(line),
            tl.name(ender),
            tl.name(ender)
        ),
    };
    let more = if hits.len() > 1 {
        format!(" ({} lines were sent that way)", hits.len())
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-pipelining-misordered",
        tl.stage_of(ender),
        Anchor::Event(l.first_read),
        format!(
            "the client sent more behind {} without waiting for its reply",
            tl.name(ender)
        ),
        format!("{what}{more}"),
    ))
}

/// `client-pipelining-unadvertised`: a command read while a reply was due (pipelined, also
/// behind a group end) where the EHLO exchange in force did not advertise PIPELINING.
fn unadvertised(tl: &Timeline) -> Option<Finding> {
    let hits: Vec<usize> = (0..tl.lines().len())
        .filter(|&i| tl.judged(i) && tl.lines()[i].verb().is_some())
        .filter(|&i| {
            matches!(
                tl.sent(i),
                Sent::Pipelined { .. } | Sent::BehindGroupEnd { .. }
            )
        })
        .filter(|&i| !tl.session(i).is_some_and(|s| s.has("PIPELINING")))
        .collect();
    let &line = hits.first()?;
    let l = &tl.lines()[line];
    let due = tl.due_at(l.first_read, line);
    let &oldest = tl.due_lines(&due).first()?;
    let why = match tl.session(line) {
        None => "the client had not sent EHLO".to_string(),
        Some(s) if s.verb == Verb::Helo => {
            "the client had greeted with HELO, which offers no extensions".into()
        }
        Some(s) if tl.reply_of(s.line).is_none() => "its EHLO had not been answered".into(),
        Some(s) if !s.accepted => "its EHLO had been refused".into(),
        Some(_) => "the EHLO reply did not advertise PIPELINING".into(),
    };
    let more = if hits.len() > 1 {
        format!(" ({} commands were sent that way)", hits.len())
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-pipelining-unadvertised",
        tl.stage_of(line),
        Anchor::Event(l.first_read),
        "the client pipelined commands although PIPELINING was not advertised",
        format!(
            "\"{}\" was sent while the reply to {} was still due, and {why}{more}",
            tl.quote(line),
            tl.name(oldest)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, patient_client};
    use super::*;
    use crate::checks::testkit::ids;
    use crate::record::{Record, Stage};

    const MINIMAL: &[u8] = b"250 mx.demo.test\r\n";

    fn run(rec: &Record) -> Vec<Finding> {
        check(&Timeline::new(rec))
    }

    #[test]
    fn a_client_that_waits_for_each_reply_is_not_pipelining() {
        assert!(run(&patient_client()).is_empty());
        let mut s = Sim::with_ehlo(MINIMAL, MINIMAL);
        s.write(1, Stage::Greeting, crate::server::GREETING);
        for (t, c) in [
            (10, &b"EHLO client.example.org\r\n"[..]),
            (20, b"MAIL FROM:<a@example.org>\r\n"),
            (30, b"QUIT\r\n"),
        ] {
            s.talk(t, c);
        }
        assert!(run(&s.finish()).is_empty());
    }

    /// Postfix with PIPELINING: MAIL, RCPT and DATA in one write, QUIT right behind the dot.
    #[test]
    fn proper_pipelining_is_fine() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(
            20,
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@demo.test>\r\nRCPT TO:<b@demo.test>\r\nDATA\r\n",
        );
        s.talk(30, b"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        s.eof(40);
        assert!(run(&s.finish()).is_empty());
    }

    #[test]
    fn pipelining_without_the_extension_is_unadvertised() {
        let mut s = Sim::with_ehlo(MINIMAL, MINIMAL);
        s.write(1, Stage::Greeting, crate::server::GREETING);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(
            20,
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@demo.test>\r\n",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pipelining-unadvertised"]);
        let d = &f[0].detail;
        assert!(d.contains("RCPT TO:<postmaster@demo.test>"), "{d}");
        assert!(
            d.contains("reply to MAIL") && d.contains("did not advertise"),
            "{d}"
        );
        // After HELO no extension exists.
        let mut s = Sim::greeted(1);
        s.talk(10, b"HELO client.example.org\r\n");
        s.talk(
            20,
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@demo.test>\r\n",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pipelining-unadvertised"]);
        assert!(f[0].detail.contains("HELO"), "{}", f[0].detail);
    }

    #[test]
    fn commands_behind_a_group_end_are_misordered() {
        // EHLO and MAIL in one read, to a server that offers PIPELINING.
        let mut s = Sim::greeted(1);
        s.talk(
            10,
            b"EHLO client.example.org\r\nMAIL FROM:<a@example.org>\r\n",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pipelining-misordered"]);
        assert!(
            f[0].detail.contains("behind EHLO in the same read"),
            "{}",
            f[0].detail
        );
        // Message text before the 354.
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(
            20,
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pipelining-misordered"]);
        assert!(f[0].detail.contains("before the 354"), "{}", f[0].detail);
        // Behind STARTTLS (the server throws it away).
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"STARTTLS\r\nEHLO client.example.org\r\n");
        let rec = s.finish();
        assert!(rec.client_lines[2].discarded);
        let f = run(&rec);
        assert_eq!(ids(&f), ["client-pipelining-misordered"]);
        assert!(f[0].detail.contains("CVE-2011-0411"), "{}", f[0].detail);
    }

    #[test]
    fn a_command_sent_later_but_before_the_reply_is_misordered_too() {
        let mut s = Sim::greeted(1);
        s.read(10, b"EHLO client.example.org\r\n");
        s.read(500, b"NOOP\r\n");
        s.answer(900);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pipelining-misordered"]);
        assert!(f[0].detail.contains("490.0 ms after it"), "{}", f[0].detail);
    }
}
