//! Client timing (SPEC §8): writing before the greeting had ended (`client-pregreet`), sending a
//! command in the middle of a multi-line reply (`client-multiline-early`), and giving up while a
//! reply was due, earlier than RFC 5321 §4.5.3.2 allows (`client-timeout-short`), and sending
//! nothing until the server gave up waiting for it (`client-silent`).

use super::timeline::{QUOTE_BYTES, Sent, Timeline, quote_bytes, redact};
use crate::checks::{Anchor, Finding, ms};
use crate::record::{EventKind, Peer, Stage};
use crate::wire::request::{ClientLineKind, Verb};
use crate::wire::timeouts;
use std::io::ErrorKind;
use std::time::Duration;

/// How much earlier than a minimum a give-up may be seen without being judged: the client's
/// timer starts when it has written its command (or started to connect), a little before the
/// server's record says the command was complete, so a client that waits exactly the minimum
/// can look a few µs short.
const SLACK_US: u64 = 1_000_000;

/// The timing findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(pregreet(tl));
    out.extend(multiline_early(tl));
    out.extend(timeout_short(tl));
    out.extend(silent(tl));
    out
}

/// `client-silent`: the server gave up waiting for the client (a timeout recorded while the
/// greeting was out and no reply was due: the client's turn), the client having sent nothing
/// in all that time. A handshake that timed out is `client-tls`'s.
fn silent(tl: &Timeline) -> Option<Finding> {
    let (event, stage, waited_ms) = tl.rec.events.iter().enumerate().find_map(|(i, e)| match &e
        .kind
    {
        EventKind::Timeout { stage, waited_ms } if *stage != Stage::Tls => {
            Some((i, stage.clone(), *waited_ms))
        }
        _ => None,
    })?;
    if event >= tl.horizon {
        return None;
    }
    let lines = tl.lines().partition_point(|l| l.last_read < event);
    let due = tl.due_at(event, lines);
    if due.greeting || !tl.due_lines(&due).is_empty() {
        return None;
    }
    let read_any = tl.rec.events[..event].iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Read {
                from: Peer::Client,
                ..
            }
        )
    });
    let waited = ms(waited_ms * 1000);
    let (summary, after) = match lines.checked_sub(1) {
        _ if !read_any => (
            format!("the client connected and sent nothing for {waited}, until the server gave up"),
            "after the greeting".to_string(),
        ),
        None => (
            format!("the client stopped sending for {waited}, until the server gave up"),
            "after its first bytes, before any complete command,".to_string(),
        ),
        Some(last) => (
            format!("the client stopped sending for {waited}, until the server gave up"),
            format!("after \"{}\" had been answered", tl.quote(last)),
        ),
    };
    Some(Finding::new(
        "client-silent",
        stage,
        Anchor::Event(event),
        summary,
        format!(
            "{after} the client sent no byte for {waited}, while it was the client's turn, and \
             the server closed the connection; RFC 5321 §4.5.3.2.7 has a server wait at least 5 \
             minutes for the next command"
        ),
    ))
}

/// `client-pregreet`: client reads recorded before the write that completed the greeting's
/// final line (all of them when the greeting never completed).
fn pregreet(tl: &Timeline) -> Option<Finding> {
    let rec = tl.rec;
    let end = tl.greeting().map_or(usize::MAX, |g| g.last_write);
    let limit = end.min(tl.horizon).min(rec.events.len());
    let mut first = None;
    let mut reads = 0;
    let mut total = 0;
    let mut raw = Vec::new();
    for (i, e) in rec.events[..limit].iter().enumerate() {
        if let EventKind::Read {
            from: Peer::Client,
            bytes,
            len,
            ..
        } = &e.kind
        {
            first.get_or_insert(i);
            reads += 1;
            total += len;
            if raw.len() < 4 * QUOTE_BYTES {
                raw.extend_from_slice(&bytes[..bytes.len().min(4 * QUOTE_BYTES)]);
            }
        }
    }
    let first = first?;
    let after = tl.at(first).saturating_sub(tl.connected_us);
    let when = match tl.greeting() {
        Some(g) if g.first_write < first => {
            let teaser = g.lines.first().is_some_and(|l| l.is_teaser());
            format!(
                "after the first line of the greeting{} and {} before its final line",
                if teaser { " (a \"220-\" teaser)" } else { "" },
                ms(tl.at(g.last_write).saturating_sub(tl.at(first)))
            )
        }
        Some(g) if g.start_write < first => format!(
            "while the greeting line was only partly written (its end came {} later)",
            ms(tl.at(g.last_write).saturating_sub(tl.at(first)))
        ),
        Some(g) => format!(
            "before the greeting, which was written {} later",
            ms(tl.at(g.start_write).saturating_sub(tl.at(first)))
        ),
        None => "and the server never completed a greeting".into(),
    };
    let shown = redact(&raw);
    Some(Finding::new(
        "client-pregreet",
        Stage::Greeting,
        Anchor::Event(first),
        "the client wrote before the greeting had ended",
        format!(
            "{total} byte{} in {reads} read{}, the first {} after connect, {when}: \"{}\"",
            plural(total),
            plural(reads),
            ms(after),
            quote_bytes(
                &shown,
                if shown.len() < raw.len() {
                    shown.len()
                } else {
                    total
                }
            )
        ),
    ))
}

/// `client-multiline-early`: client lines sent in the middle of a multi-line reply (see
/// [`Sent::MidReply`]).
fn multiline_early(tl: &Timeline) -> Option<Finding> {
    let hits: Vec<(usize, usize)> = (0..tl.lines().len())
        .filter(|&i| tl.judged(i))
        .filter_map(|i| match tl.sent(i) {
            Sent::MidReply { to } => Some((i, to)),
            _ => None,
        })
        .collect();
    let &(line, to) = hits.first()?;
    let reply = tl.reply_of(to)?;
    let read = tl.lines()[line].first_read;
    let more = if hits.len() > 1 {
        format!(" ({} lines were sent that way)", hits.len())
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-multiline-early",
        tl.stage_of(to),
        Anchor::Event(read),
        format!(
            "the client sent {} in the middle of the multi-line reply to {}",
            tl.name(line),
            tl.name(to)
        ),
        format!(
            "\"{}\" arrived {} after the first line of the {}-line reply to {} and {} before its \
             last line: the client took part of the reply for all of it{more}",
            tl.quote(line),
            ms(tl.at(read).saturating_sub(tl.at(reply.first_write))),
            reply.line_count,
            tl.name(to),
            ms(tl.at(reply.last_write).saturating_sub(tl.at(read))),
        ),
    ))
}

/// The moment the client gave up: its event and what it did.
struct GiveUp {
    event: usize,
    how: String,
    /// Client lines complete before it.
    lines: usize,
}

/// The first moment the client stopped waiting: a QUIT of its own, its close, or a reset.
fn give_up(tl: &Timeline) -> Option<GiveUp> {
    let quit = (0..tl.lines().len())
        .filter(|&i| tl.lines()[i].verb() == Some(Verb::Quit) && tl.judged(i))
        .find(|&i| tl.sent(i) == Sent::GaveUp)
        .map(|i| GiveUp {
            event: tl.lines()[i].first_read,
            how: "sent QUIT".into(),
            lines: i,
        });
    let gone = tl.rec.events.iter().enumerate().find_map(|(i, e)| {
        let how = match &e.kind {
            EventKind::Eof {
                from: Peer::Client, ..
            } => "closed the connection".to_string(),
            EventKind::IoError { kind, message, .. } => {
                let said = quote_bytes(message.as_bytes(), message.len());
                match kind {
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                        format!("reset the connection (\"{said}\")")
                    }
                    ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof => {
                        format!("went away (\"{said}\")")
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        let lines = tl.lines().partition_point(|l| l.last_read < i);
        Some(GiveUp {
            event: i,
            how,
            lines,
        })
    });
    let first = match (quit, gone) {
        (Some(q), Some(g)) => {
            if q.event <= g.event {
                q
            } else {
                g
            }
        }
        (q, g) => q.or(g)?,
    };
    let server_closed_first = tl.server_closed.is_some_and(|s| s < first.event);
    (first.event < tl.horizon && !server_closed_first).then_some(first)
}

/// `client-timeout-short`: the client gave up while a reply with an RFC 5321 §4.5.3.2 minimum
/// was due, before that minimum had passed (measured from the moment the command was
/// complete, or the connection accepted, to the give-up).
fn timeout_short(tl: &Timeline) -> Option<Finding> {
    let g = give_up(tl)?;
    let due = tl.due_at(g.event, g.lines);
    let (stage, min, since, what, section) = if due.greeting {
        (
            Stage::Greeting,
            timeouts::GREETING,
            tl.connected_us,
            "the connection was accepted, while the greeting",
            "§4.5.3.2.1",
        )
    } else {
        let &oldest = tl.due_lines(&due).first()?;
        let l = &tl.lines()[oldest];
        let (stage, min, what, section) = match l.kind {
            ClientLineKind::Message(_) => (
                Stage::Dot,
                timeouts::DATA_END,
                "the final dot, while the reply to it",
                "§4.5.3.2.6",
            ),
            ClientLineKind::Command(Verb::Mail) => (
                Stage::Mail,
                timeouts::MAIL,
                "MAIL, while the reply to it",
                "§4.5.3.2.2",
            ),
            ClientLineKind::Command(Verb::Rcpt) => (
                Stage::Rcpt,
                timeouts::RCPT,
                "RCPT, while the reply to it",
                "§4.5.3.2.3",
            ),
            ClientLineKind::Command(Verb::Data) => (
                Stage::Data,
                timeouts::DATA_INIT,
                "DATA, while the 354 reply to it",
                "§4.5.3.2.4",
            ),
            _ => return None,
        };
        (stage, min, tl.at(l.last_read), what, section)
    };
    let waited = tl.at(g.event).saturating_sub(since);
    if u128::from(waited + SLACK_US) >= min.as_micros() {
        return None;
    }
    let twice = if section == "§4.5.3.2.6" {
        " The server may already have accepted the message: the client does not know, will \
         send it again, and the recipient may get it twice."
    } else {
        ""
    };
    Some(Finding::new(
        "client-timeout-short",
        stage.clone(),
        Anchor::Event(g.event),
        format!(
            "the client gave up at the {stage} stage after {}, before the RFC minimum of {}",
            ms(waited),
            minutes(min)
        ),
        format!(
            "the client {} {} after {what} was still due; RFC 5321 {section} asks a client to \
             wait at least {}.{twice}",
            g.how,
            ms(waited),
            minutes(min)
        ),
    ))
}

fn minutes(d: Duration) -> String {
    format!("{} min", d.as_secs() / 60)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, patient_client};
    use super::*;
    use crate::checks::testkit::ids;
    use crate::server::{EHLO_PLAIN, GREETING, QUEUED};

    fn run(rec: &crate::record::Record) -> Vec<Finding> {
        check(&Timeline::new(rec))
    }

    #[test]
    fn a_patient_client_has_no_timing_finding() {
        assert!(run(&patient_client()).is_empty());
    }

    #[test]
    fn writing_before_the_greeting_is_pregreet() {
        let mut s = Sim::new();
        s.read(5, b"EHLO client.example.org\r\n");
        s.write(300, Stage::Greeting, GREETING);
        s.answer(301);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pregreet"]);
        assert_eq!(f[0].anchor, Anchor::Event(1));
        assert!(
            f[0].detail.contains("5.0 ms after connect"),
            "{}",
            f[0].detail
        );
        assert!(f[0].detail.contains("EHLO client.example.org\\r\\n"));
        assert!(f[0].detail.contains("before the greeting"));
    }

    #[test]
    fn writing_after_a_teaser_is_pregreet_and_waiting_for_the_final_line_is_not() {
        let mut s = Sim::new();
        s.write(1, Stage::Greeting, b"220-mx.demo.test ESMTP\r\n");
        s.read(2, b"EHLO client.example.org\r\n");
        s.write(6001, Stage::Greeting, b"220 mx.demo.test ESMTP\r\n");
        s.answer(6002);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pregreet"]);
        assert!(f[0].detail.contains("\"220-\" teaser"), "{}", f[0].detail);

        let mut s = Sim::new();
        s.write(1, Stage::Greeting, b"220-mx.demo.test ESMTP\r\n");
        s.write(6001, Stage::Greeting, b"220 mx.demo.test ESMTP\r\n");
        s.talk(6002, b"EHLO client.example.org\r\n");
        assert!(run(&s.finish()).is_empty());
    }

    /// Seed 003: the ccNotes gateway answered "220 smtp.tele.fi " before the rest of the line.
    #[test]
    fn writing_after_half_a_greeting_line_is_pregreet() {
        let mut s = Sim::new();
        s.write(1, Stage::Greeting, b"220 smtp.tele.fi ");
        s.read(2, b"HELO smtpgate.Customer\r\n");
        s.write(40, Stage::Greeting, b"ESMTP ZMailer\r\n");
        s.answer(41);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-pregreet"]);
        assert!(f[0].detail.contains("partly written"), "{}", f[0].detail);
    }

    #[test]
    fn pregreet_credentials_are_not_quoted() {
        let mut s = Sim::new();
        s.read(1, b"EHLO x.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        s.write(10, Stage::Greeting, GREETING);
        let f = run(&s.finish());
        assert!(!f[0].detail.contains("AGFsaWNl"), "{}", f[0].detail);
        assert!(
            f[0].detail.contains("AUTH PLAIN <redacted>"),
            "{}",
            f[0].detail
        );
    }

    /// The `client-multiline` mock: the EHLO reply one line every 200 ms.
    fn multiline_ehlo(client_at_us: u64) -> crate::record::Record {
        let mut s = Sim::greeted(1);
        s.read(10, b"EHLO client.example.org\r\n");
        assert!(s.take().is_some());
        let lines: Vec<&[u8]> = EHLO_PLAIN.split_inclusive(|&b| b == b'\n').collect();
        let mut client_sent = false;
        for (k, line) in lines.iter().enumerate() {
            let at = 11 + 200 * k as u64;
            if !client_sent && client_at_us < at * 1000 {
                s.read_us(client_at_us, b"MAIL FROM:<a@example.org>\r\n");
                client_sent = true;
            }
            s.write(at, Stage::Ehlo, line);
        }
        if !client_sent {
            s.read_us(client_at_us, b"MAIL FROM:<a@example.org>\r\n");
        }
        s.answer(2000);
        s.finish()
    }

    #[test]
    fn a_command_after_the_first_line_of_a_multiline_reply_is_early() {
        let f = run(&multiline_ehlo(11_300));
        assert_eq!(ids(&f), ["client-multiline-early"]);
        assert_eq!(f[0].stage, Stage::Ehlo);
        assert!(
            f[0].detail.contains("7-line reply to EHLO"),
            "{}",
            f[0].detail
        );
        assert!(
            f[0].detail.contains("0.3 ms after the first line"),
            "{}",
            f[0].detail
        );
        // After the last line it is in turn.
        assert!(run(&multiline_ehlo((11 + 200 * 6 + 1) * 1000)).is_empty());
    }

    /// Keep-alive lines after the dot: a QUIT pipelined right behind the dot may be read after
    /// the first of them (the server wrote it at once) and is not early; a QUIT sent 10 s later,
    /// right after a keep-alive line, is a reaction to that line.
    #[test]
    fn keepalive_lines_after_the_dot() {
        for (quit_at_us, early) in [(51_200, false), (10_051_300, true)] {
            let mut s = Sim::greeted(1);
            s.talk(10, b"EHLO client.example.org\r\n");
            s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
            s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
            s.talk(40, b"DATA\r\n");
            s.read(50, b"Subject: x\r\n\r\nbody\r\n.\r\n");
            assert!(s.take().is_some());
            s.write(51, Stage::Dot, b"250-2.0.0 Message received\r\n");
            if quit_at_us < 10_051_000 {
                s.read_us(quit_at_us, b"QUIT\r\n");
            }
            s.write(10_051, Stage::Dot, b"250-2.0.0 Still checking\r\n");
            if quit_at_us > 10_051_000 {
                s.read_us(quit_at_us, b"QUIT\r\n");
            }
            s.write(20_051, Stage::Dot, QUEUED);
            s.answer(20_052);
            s.eof(20_060);
            let f = run(&s.finish());
            let want: &[&str] = if early {
                &["client-multiline-early"]
            } else {
                &[]
            };
            assert_eq!(ids(&f), want, "QUIT at {quit_at_us} µs: {f:?}");
        }
    }

    /// Regression: the server's replies shared the read-bytes budget with the client's data,
    /// so after a message of more than 4 MiB nothing after it could be judged.
    #[test]
    fn a_give_up_after_a_large_message_is_still_judged() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"DATA\r\n");
        let line = [b'x'; 998];
        let mut chunk = Vec::new();
        for _ in 0..64 {
            chunk.extend_from_slice(&line);
            chunk.extend_from_slice(b"\r\n");
        }
        // About 6 MiB in 100 reads, then the final dot.
        for i in 0..100 {
            s.read(50 + i, &chunk);
        }
        s.read(200, b".\r\n");
        assert!(s.take().is_some());
        s.eof(30_200);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-timeout-short"], "{f:?}");
        assert!(f[0].detail.contains("twice"), "{}", f[0].detail);
    }

    fn held_dot(give_up: impl FnOnce(&mut Sim)) -> crate::record::Record {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"DATA\r\n");
        s.read(50, b"Subject: x\r\n\r\nbody\r\n.\r\n");
        assert!(s.take().is_some());
        give_up(&mut s);
        s.finish()
    }

    #[test]
    fn closing_30_s_after_the_dot_is_too_short_and_says_the_message_may_come_twice() {
        let rec = held_dot(|s| {
            s.eof(30_050);
        });
        let f = run(&rec);
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert_eq!(
            f[0].stage,
            Stage::Dot,
            "the wait after the dot is stage dot"
        );
        let d = &f[0].detail;
        assert!(
            d.contains("closed the connection 30.0 s after the final dot"),
            "{d}"
        );
        assert!(d.contains("10 min") && d.contains("twice"), "{d}");
    }

    #[test]
    fn a_quit_of_its_own_during_the_hold_is_giving_up() {
        let rec = held_dot(|s| {
            s.read(60_050, b"QUIT\r\n");
            s.eof(60_060);
        });
        let f = run(&rec);
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert!(
            f[0].detail.contains("sent QUIT 60.0 s after"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn a_quit_pipelined_behind_the_dot_is_not_giving_up_and_waiting_ten_minutes_is_enough() {
        // QUIT in the same read as the dot, the reply after 11 minutes, then the 221.
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"DATA\r\n");
        s.read(50, b"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assert!(s.take().is_some());
        s.write(660_050, Stage::Dot, QUEUED);
        s.answer(660_051);
        s.eof(660_060);
        assert!(run(&s.finish()).is_empty());
        // A close after 10 min of waiting is patient enough, also when the server's record
        // makes it look a few µs short (the client's timer started when it wrote the dot).
        let rec = held_dot(|s| {
            s.rec.push_client_eof(600_050_000 - 40, false);
        });
        assert!(run(&rec).is_empty());
        let rec = held_dot(|s| {
            s.eof(598_050);
        });
        assert_eq!(ids(&run(&rec)), ["client-timeout-short"]);
        // A QUIT pipelined behind the dot, then a close 30 s later, is giving up at the close.
        let rec = held_dot(|s| {
            s.read(51, b"QUIT\r\n");
            s.eof(30_050);
        });
        let f = run(&rec);
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert!(
            f[0].detail.contains("closed the connection"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn giving_up_on_the_greeting_mail_and_data() {
        let mut s = Sim::new();
        s.eof(30_000);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert_eq!(f[0].stage, Stage::Greeting);
        assert!(f[0].detail.contains("5 min"), "{}", f[0].detail);

        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.read(20, b"MAIL FROM:<a@example.org>\r\n");
        assert!(s.take().is_some());
        s.rec.push(
            120_020_000,
            EventKind::IoError {
                stage: Stage::Mail,
                kind: ErrorKind::ConnectionReset,
                message: "Connection reset by peer (os error 104)".into(),
            },
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert_eq!(f[0].stage, Stage::Mail);
        assert!(f[0].detail.contains("120.0 s"), "{}", f[0].detail);

        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.read(40, b"DATA\r\n");
        assert!(s.take().is_some());
        s.eof(119_000);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-timeout-short"]);
        assert!(f[0].detail.contains("354"), "{}", f[0].detail);
    }

    #[test]
    fn closing_when_nothing_is_due_or_after_the_server_closed_is_not_giving_up() {
        // Idle after the 250: nothing due.
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.eof(20);
        assert!(run(&s.finish()).is_empty());
        // The server hung up first.
        let mut s = Sim::greeted(1);
        s.read(10, b"EHLO client.example.org\r\n");
        assert!(s.take().is_some());
        s.rec.push(
            15_000,
            EventKind::Eof {
                from: Peer::Server,
                tls: false,
            },
        );
        s.eof(15_001);
        assert!(run(&s.finish()).is_empty());
        // EHLO has no RFC minimum.
        let mut s = Sim::greeted(1);
        s.read(10, b"EHLO client.example.org\r\n");
        assert!(s.take().is_some());
        s.eof(1000);
        assert!(run(&s.finish()).is_empty());
    }

    /// The server's idle timeout at `at_ms` in `stage`, its 421 and its close.
    fn idled_out(s: &mut Sim, at_ms: u64, stage: Stage) {
        s.rec.push(
            at_ms * 1000,
            EventKind::Timeout {
                stage: stage.clone(),
                waited_ms: 300_000,
            },
        );
        s.write(
            at_ms,
            stage,
            b"421 4.4.2 mx.demo.test Error: timeout exceeded\r\n",
        );
        s.rec.push(
            at_ms * 1000 + 1,
            EventKind::Eof {
                from: Peer::Server,
                tls: false,
            },
        );
    }

    #[test]
    fn a_client_that_never_speaks_is_silent() {
        let mut s = Sim::greeted(1);
        idled_out(&mut s, 300_001, Stage::Greeting);
        s.eof(300_002);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-silent"]);
        assert_eq!(f[0].stage, Stage::Greeting);
        assert_eq!(
            f[0].summary,
            "the client connected and sent nothing for 300.0 s, until the server gave up"
        );
        assert!(
            f[0].detail.starts_with("after the greeting"),
            "{}",
            f[0].detail
        );
        assert!(f[0].detail.contains("§4.5.3.2.7"), "{}", f[0].detail);
    }

    #[test]
    fn a_client_that_stops_after_a_command_is_silent_and_a_due_reply_is_not_its_turn() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        idled_out(&mut s, 300_011, Stage::Ehlo);
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-silent"]);
        assert_eq!(f[0].stage, Stage::Ehlo);
        assert!(
            f[0].detail
                .starts_with("after \"EHLO client.example.org\" had been answered"),
            "{}",
            f[0].detail
        );
        // A reply was due (the server held it): the wait was the client's, not its silence.
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.read(20, b"MAIL FROM:<a@example.org>\r\n");
        assert!(s.take().is_some());
        idled_out(&mut s, 300_021, Stage::Mail);
        assert!(!ids(&run(&s.finish())).contains(&"client-silent"));
        // Before the greeting was out, or in a TLS handshake: not this finding.
        let mut s = Sim::new();
        idled_out(&mut s, 300_000, Stage::Greeting);
        assert!(!ids(&run(&s.finish())).contains(&"client-silent"));
        let mut s = Sim::greeted(1);
        idled_out(&mut s, 60_000, Stage::Tls);
        assert!(run(&s.finish()).is_empty());
    }
}
