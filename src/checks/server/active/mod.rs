//! Active-test checks (SPEC §4): pure functions over the record of one test attempt (made by
//! [`crate::session::active`]) that say what the server did with the unusual input it was sent.

mod bare_lf;
mod injection;
mod pipelining;
mod pregreet;
mod relay;
mod smuggling;
mod unknown_command;
mod unreached;

use bare_lf::*;
use injection::*;
use pipelining::*;
use pregreet::*;
use relay::*;
pub use smuggling::*;
use unknown_command::*;
pub use unreached::*;

use crate::checks::{Anchor, Finding};
use crate::checks::{ms, reply_wire, written};
use crate::record::Stage;
use crate::record::attempt::Attempt;
use crate::record::{EventKind, Record, ReplyRecord};
use crate::wire::escape::{escape_bytes, escape_str};
use crate::wire::probes::{
    RELAY_CATCH_ALL_FORM, RELAY_FORMS, relay_form, relay_form_is_local, smuggling_sequence,
};

/// Judges one test attempt; `main` is the probe's own attempt against the same address, when
/// known (the pregreet test compares its RCPT reply with it). Findings are numbered `index`.
pub fn check(a: &Attempt, index: usize, main: Option<&Attempt>) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = match a.test {
        Some("pregreet") => pregreet(rec, main.map(|m| &m.record)),
        Some("pipelining") => pipelining(rec),
        Some("starttls-injection") => starttls_injection(rec),
        Some("smuggling") => smuggling(rec),
        Some("bare-lf") => bare_lf(rec),
        Some("unknown-command") => unknown_command(rec),
        Some("relay") => relay(rec),
        _ => vec![],
    };
    for f in &mut out {
        f.attempt = Some(index);
    }
    out
}

/// The first write of test `name`.
pub(super) fn test_write(rec: &Record, name: &str) -> Option<usize> {
    rec.events.iter().position(
        |e| matches!(&e.kind, EventKind::Write { stage: Stage::Test(n), .. } if *n == name),
    )
}

/// The first event after `from` where the connection ended (end of stream, read or write error).
pub(super) fn closed_after(rec: &Record, from: usize) -> Option<usize> {
    (from + 1..rec.events.len()).find(|&i| {
        matches!(
            rec.events[i].kind,
            EventKind::Eof { .. } | EventKind::IoError { .. }
        )
    })
}

/// The first timeout after `from`.
pub(super) fn timeout_after(rec: &Record, from: usize) -> Option<usize> {
    (from + 1..rec.events.len()).find(|&i| matches!(rec.events[i].kind, EventKind::Timeout { .. }))
}

/// The next write after `from`.
pub(super) fn write_after(rec: &Record, from: usize) -> Option<usize> {
    (from + 1..rec.events.len()).find(|&i| matches!(rec.events[i].kind, EventKind::Write { .. }))
}

/// The event (read) that completed a reply.
pub(super) fn reply_event(rec: &Record, r: &ReplyRecord) -> usize {
    rec.reply_lines(r).last().map_or(0, |l| l.last_read)
}

/// A reply in brief, for details: its first line with the code, escaped, and how many lines
/// followed.
pub(super) fn brief(rec: &Record, r: &ReplyRecord) -> String {
    let lines = rec.reply_lines(r);
    let Some(first) = lines.first() else {
        return "(no line)".into();
    };
    let mut s = format!("`{}`", escape_bytes(&first.content));
    if lines.len() > 1 {
        s.push_str(&format!(" (+{} line(s))", lines.len() - 1));
    }
    s
}

pub(super) fn is_positive(r: &ReplyRecord) -> bool {
    r.code.is_some_and(|c| (200..300).contains(&c))
}

/// Microseconds from event `a` to event `b`.
pub(super) fn between(rec: &Record, a: usize, b: usize) -> u64 {
    rec.at_us(b).saturating_sub(rec.at_us(a))
}

pub(super) use crate::checks::path_of;

pub(super) fn how_closed(rec: &Record, from: usize) -> &'static str {
    match closed_after(rec, from) {
        Some(_) => "and closed the connection",
        None => "and kept the connection open",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::record::EventKind;

    const GREETING: &[u8] = b"220 mx.example.test ESMTP\r\n";
    const EHLO_PIPE: &[u8] = b"250-mx.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
    const EHLO_NO_PIPE: &[u8] = b"250-mx.example.test\r\n250 8BITMIME\r\n";

    fn t(name: &'static str) -> Stage {
        Stage::Test(name)
    }

    fn run(name: &'static str, events: Vec<crate::record::Event>) -> Vec<Finding> {
        let mut a = attempt(events);
        a.test = Some(name);
        check(&a, 3, None)
    }

    fn eof(at: u64) -> crate::record::Event {
        ev(
            at,
            EventKind::Eof {
                from: crate::record::Peer::Server,
                tls: false,
            },
        )
    }

    fn timeout(at: u64, stage: Stage) -> crate::record::Event {
        ev(
            at,
            EventKind::Timeout {
                stage,
                waited_ms: 1000,
            },
        )
    }

    /// The transcript line a finding points at.
    fn pointed(a: &Attempt, f: &Finding) -> String {
        let tr = crate::report::transcript(&a.record);
        let i = crate::report::anchor_index(&tr, f.anchor).expect("anchored");
        tr[i].text()
    }

    fn bare_lf_events(tail: &[u8]) -> Vec<crate::record::Event> {
        vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, EHLO_PIPE),
            write(4, t("bare-lf"), crate::wire::probes::BARE_LF_TEST),
            read(5, tail),
        ]
    }

    #[test]
    fn findings_carry_the_test_stage_and_attempt() {
        let f = run(
            "bare-lf",
            bare_lf_events(b"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"),
        );
        assert_eq!(ids(&f), ["bare-lf-accepted"]);
        assert_eq!(f[0].stage.name(), "test:bare-lf");
        assert_eq!(f[0].attempt, Some(3));
        assert!(f[0].detail.contains("RSET\\n"), "{}", f[0].detail);
    }

    #[test]
    fn bare_lf_rejected_or_read_as_one_line_is_no_finding() {
        // One line `RSET<LF>RSET` then QUIT, a refusal, or a refusal and a close.
        for tail in [
            &b"250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"[..],
            b"500 5.5.2 Error: bare <LF> received\r\n221 2.0.0 Bye\r\n",
            b"521 5.5.2 Error: bare <LF> received\r\n",
        ] {
            assert!(run("bare-lf", bare_lf_events(tail)).is_empty());
        }
    }

    #[test]
    fn bare_lf_ended_by_the_server_before_quit_is_no_pass() {
        // Regression: a server that ends the session at the sequence (Postfix's 554 for
        // pipelining it does not allow) decided nothing, and the report said nothing either.
        let mut events = bare_lf_events(b"554 5.5.0 Error: SMTP protocol synchronization\r\n");
        events.push(eof(6));
        let mut a = attempt(events);
        a.test = Some("bare-lf");
        assert!(check(&a, 3, None).is_empty());
        let notes = unreached_notes(&[a]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("bare-lf did not get to its test") && notes[0].contains("554 5.5.0"),
            "{}",
            notes[0]
        );
        // Answered through to QUIT, it concluded: no note.
        let mut a = attempt(bare_lf_events(b"250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"));
        a.test = Some("bare-lf");
        assert!(unreached_notes(&[a]).is_empty());
    }

    #[test]
    fn checks_only_judge_their_own_test() {
        // A bare-lf write in an attempt labelled as another test (or none) is not judged.
        let events = bare_lf_events(b"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
        assert!(
            !run("bare-lf", events.clone()).is_empty(),
            "judged as its own"
        );
        assert!(run("relay", events.clone()).is_empty());
        assert!(check(&attempt(events), 0, None).is_empty());
    }

    fn pregreet_events(tail: Vec<crate::record::Event>) -> Vec<crate::record::Event> {
        let mut events = vec![write(0, t("pregreet"), b"EHLO me\r\n")];
        events.extend(tail);
        events
    }

    #[test]
    fn pregreet_tolerated() {
        let mut a = attempt(pregreet_events(vec![
            read(2, GREETING),
            read(3, EHLO_PIPE),
            write(4, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(5, b"250 2.1.0 Ok\r\n"),
            write(6, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(7, b"250 2.1.5 Ok\r\n"),
        ]));
        a.test = Some("pregreet");
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["pregreet-tolerated"]);
        assert!(
            f[0].detail.contains("before any greeting byte"),
            "{}",
            f[0].detail
        );
        assert_eq!(pointed(&a, &f[0]), "250-mx.example.test");
    }

    #[test]
    fn pregreet_enforced_by_554_after_teaser_and_close() {
        let mut a = attempt(pregreet_events(vec![
            read(1, b"220-mx.example.test ESMTP\r\n"),
            read(2, b"554 5.5.1 Protocol error\r\n"),
            eof(3),
        ]));
        a.test = Some("pregreet");
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["pregreet-enforced"]);
        assert!(
            f[0].detail.contains("closed the connection"),
            "{}",
            f[0].detail
        );
        assert_eq!(pointed(&a, &f[0]), "554 5.5.1 Protocol error");
    }

    #[test]
    fn pregreet_between_teaser_and_final_line() {
        let events = vec![
            read(1, b"220-mx.example.test ESMTP\r\n"),
            write(2, t("pregreet"), b"EHLO me\r\n"),
            read(3, b"521 5.5.1 Protocol error\r\n"),
            eof(4),
        ];
        let f = run("pregreet", events);
        assert_eq!(ids(&f), ["pregreet-enforced"]);
        assert!(
            f[0].detail.contains("after the 220- teaser"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn pregreet_enforced_later_at_rcpt_when_the_probe_got_through() {
        let events = pregreet_events(vec![
            read(2, GREETING),
            read(3, EHLO_PIPE),
            write(4, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(5, b"250 2.1.0 Ok\r\n"),
            write(6, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(7, b"550 5.5.1 Protocol error\r\n"),
        ]);
        let main = attempt(vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, EHLO_PIPE),
            write(4, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(5, b"250 2.1.0 Ok\r\n"),
            write(6, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(7, b"250 2.1.5 Ok\r\n"),
        ]);
        let mut a = attempt(events);
        a.test = Some("pregreet");
        assert_eq!(ids(&check(&a, 1, Some(&main))), ["pregreet-enforced"]);
        // Without the comparison a refused recipient proves nothing.
        assert_eq!(ids(&check(&a, 1, None)), ["pregreet-tolerated"]);
        // Nor does one that the patient probe got refused too.
        let refused = attempt(vec![
            read(1, GREETING),
            write(6, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(7, b"550 5.1.1 unknown\r\n"),
        ]);
        assert_eq!(ids(&check(&a, 1, Some(&refused))), ["pregreet-tolerated"]);
        // Postscreen's after-220 tests defer the patient client: still a comparison.
        let deferred = attempt(vec![
            read(1, GREETING),
            write(6, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(7, b"450 4.3.2 Service currently unavailable\r\n"),
        ]);
        assert_eq!(ids(&check(&a, 1, Some(&deferred))), ["pregreet-enforced"]);
    }

    #[test]
    fn pregreet_discarded_ehlo_and_silent_close() {
        let f = run(
            "pregreet",
            pregreet_events(vec![read(2, GREETING), timeout(30_002, t("pregreet"))]),
        );
        assert_eq!(ids(&f), ["pregreet-enforced"]);
        assert!(f[0].summary.contains("discarded"));
        let f = run("pregreet", pregreet_events(vec![eof(2)]));
        assert_eq!(ids(&f), ["pregreet-enforced"]);
        // Nothing at all within the wait: inconclusive.
        assert!(
            run(
                "pregreet",
                pregreet_events(vec![timeout(300_000, Stage::Greeting)])
            )
            .is_empty()
        );
    }

    #[test]
    fn pregreet_refused_ehlo() {
        let f = run(
            "pregreet",
            pregreet_events(vec![
                read(2, GREETING),
                read(3, b"503 5.5.1 Error: talk later\r\n"),
            ]),
        );
        assert_eq!(ids(&f), ["pregreet-enforced"]);
    }

    #[test]
    fn teaser_detection() {
        let a = attempt(vec![read(1, b"220-teaser\r\n220 mx ESMTP\r\n")]);
        assert!(a.record.greeting_teaser());
        let a = attempt(vec![read(1, GREETING)]);
        assert!(!a.record.greeting_teaser());
    }

    fn pipelined(ehlo: &[u8], replies: Vec<crate::record::Event>) -> Vec<Finding> {
        let mut events = vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, ehlo),
            write(
                4,
                t("pipelining"),
                b"MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<a@example.test>\r\nNOOP\r\n",
            ),
        ];
        events.extend(replies);
        run("pipelining", events)
    }

    #[test]
    fn pipelining_working_is_silent() {
        let f = pipelined(
            EHLO_PIPE,
            vec![read(
                5,
                b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n",
            )],
        );
        assert!(f.is_empty(), "{f:?}");
        // Rejections are fine as long as every reply is there and in step.
        let f = pipelined(
            EHLO_PIPE,
            vec![read(
                5,
                b"550 5.7.1 no\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n250 2.0.0 Ok\r\n",
            )],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn pipelining_broken_when_replies_go_missing() {
        let f = pipelined(
            EHLO_PIPE,
            vec![read(5, b"250 2.1.0 Ok\r\n"), timeout(1005, t("pipelining"))],
        );
        assert_eq!(ids(&f), ["pipelining-broken"]);
        assert!(f[0].summary.contains("only 1 of 4"), "{}", f[0].summary);
        assert!(
            f[0].detail.contains("MAIL, RCPT, RCPT, NOOP"),
            "{}",
            f[0].detail
        );
        assert!(matches!(f[0].anchor, Anchor::Event(_)));
        let f = pipelined(EHLO_PIPE, vec![read(5, b"250 2.1.0 Ok\r\n"), eof(6)]);
        assert_eq!(ids(&f), ["pipelining-broken"]);
    }

    #[test]
    fn pipelining_broken_when_replies_are_out_of_step() {
        let f = pipelined(
            EHLO_PIPE,
            vec![read(
                5,
                b"250 2.1.0 Ok\r\n503 5.5.1 need MAIL\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n",
            )],
        );
        assert_eq!(ids(&f), ["pipelining-broken"]);
        let f = pipelined(
            EHLO_PIPE,
            vec![read(
                5,
                b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n500 5.5.2 what?\r\n",
            )],
        );
        assert_eq!(ids(&f), ["pipelining-broken"]);
    }

    #[test]
    fn pipelining_unadvertised() {
        let all = b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n";
        let f = pipelined(EHLO_NO_PIPE, vec![read(5, all)]);
        assert_eq!(ids(&f), ["pipelining-unauth-accepted"]);
        // Hardened: Postfix smtpd_forbid_unauth_pipelining, Exim synchronisation check.
        let f = pipelined(
            EHLO_NO_PIPE,
            vec![
                read(5, b"554 5.5.0 Error: SMTP protocol synchronization\r\n"),
                eof(6),
            ],
        );
        assert!(f.is_empty());
        // One answer and silence: not advertised, so not broken either.
        let f = pipelined(
            EHLO_NO_PIPE,
            vec![read(5, b"250 2.1.0 Ok\r\n"), timeout(1005, t("pipelining"))],
        );
        assert!(f.is_empty());
    }

    fn tls_read(at: u64, bytes: &[u8]) -> crate::record::Event {
        ev(
            at,
            EventKind::Read {
                from: crate::record::Peer::Server,
                tls: true,
                bytes: bytes.to_vec(),
                len: bytes.len(),
            },
        )
    }

    fn injection(after_handshake: Vec<crate::record::Event>) -> Attempt {
        let mut events = vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250-mx\r\n250 STARTTLS\r\n"),
            write(4, t("starttls-injection"), b"STARTTLS\r\nNOOP\r\n"),
            read(5, b"220 2.0.0 Ready to start TLS\r\n"),
            ev(
                9,
                EventKind::TlsHandshake {
                    ok: true,
                    message: "TLSv1_3".into(),
                },
            ),
        ];
        events.extend(after_handshake);
        let mut a = attempt(events);
        a.test = Some("starttls-injection");
        a
    }

    #[test]
    fn starttls_injection_reply_inside_tls() {
        let a = injection(vec![
            tls_read(10, b"250 2.0.0 Ok\r\n"),
            write(20, Stage::Quit, b"QUIT\r\n"),
            tls_read(21, b"221 Bye\r\n"),
        ]);
        let f = check(&a, 2, None);
        assert_eq!(ids(&f), ["starttls-cmd-injection"]);
        assert_eq!(pointed(&a, &f[0]), "250 2.0.0 Ok");
        assert!(
            f[0].detail.contains("STARTTLS\\r\\nNOOP\\r\\n"),
            "{}",
            f[0].detail
        );
    }

    #[test]
    fn starttls_injection_silence_is_no_finding() {
        let a = injection(vec![
            timeout(5009, t("starttls-injection")),
            write(5010, Stage::Quit, b"QUIT\r\n"),
            tls_read(5011, b"221 Bye\r\n"),
        ]);
        assert!(check(&a, 2, None).is_empty());
        // No handshake, no verdict.
        let mut a = attempt(vec![
            read(1, GREETING),
            write(4, t("starttls-injection"), b"STARTTLS\r\nNOOP\r\n"),
            read(5, b"454 4.7.0 TLS not available\r\n"),
        ]);
        a.test = Some("starttls-injection");
        assert!(check(&a, 2, None).is_empty());
    }

    fn smuggle(seq: &[u8], tail: Vec<crate::record::Event>) -> Attempt {
        let mut message = b"Subject: x\r\n\r\ntest".to_vec();
        message.extend_from_slice(seq);
        message.extend_from_slice(crate::wire::probes::SMUGGLING_TAIL);
        let mut events = vec![
            read(1, GREETING),
            write(2, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(3, b"250 2.1.0 Ok\r\n"),
            write(4, Stage::Rcpt, b"RCPT TO:<me@example.test>\r\n"),
            read(5, b"250 2.1.5 Ok\r\n"),
            write(6, Stage::Data, b"DATA\r\n"),
            read(7, b"354 go ahead\r\n"),
            write_expecting(8, t("smuggling"), &message, 4),
        ];
        events.extend(tail);
        let mut a = attempt(events);
        a.test = Some("smuggling");
        a
    }

    const QUEUED: &[u8] = b"250 2.0.0 Ok: queued as ABC\r\n";
    const BYE: &[u8] = b"221 2.0.0 Bye\r\n";
    /// A server that ended the data at the sequence answers the tail as commands.
    const TAIL_AS_COMMANDS: &[u8] =
        b"500 5.5.2 Error: bad syntax\r\n502 5.5.2 Error: command not recognized\r\n221 Bye\r\n";

    #[test]
    fn smuggling_accepted_sequence() {
        let a = smuggle(b"\n.\n", vec![read(9, QUEUED), read(10, TAIL_AS_COMMANDS)]);
        let f = check(&a, 4, None);
        assert_eq!(ids(&f), ["smuggle-eod-accepted"]);
        assert!(f[0].summary.contains("<LF>.<LF>"), "{}", f[0].summary);
        assert!(
            f[0].detail.contains("delivered to <me@example.test>"),
            "{}",
            f[0].detail
        );
        assert!(f[0].detail.contains("as commands"), "{}", f[0].detail);
        assert_eq!(pointed(&a, &f[0]), "250 2.0.0 Ok: queued as ABC");
    }

    #[test]
    fn smuggling_sequences_are_told_apart() {
        assert_eq!(smuggling_sequence(b"x\r\n.\n"), Some(&b"\r\n.\n"[..]));
        assert_eq!(smuggling_sequence(b"x\n.\n"), Some(&b"\n.\n"[..]));
        assert_eq!(
            smuggling_sequence(b"x\r\n\x00.\r\n"),
            Some(&b"\r\n\x00.\r\n"[..])
        );
        assert_eq!(smuggling_sequence(b"x\n.\r\n"), Some(&b"\n.\r\n"[..]));
        assert_eq!(smuggling_sequence(b"x\r\n.\r\n"), None);
        for seq in crate::wire::probes::SMUGGLING_SEQUENCES {
            let mut m = b"text".to_vec();
            m.extend_from_slice(seq);
            assert_eq!(smuggling_sequence(&m), Some(*seq));
            m.extend_from_slice(crate::wire::probes::SMUGGLING_TAIL);
            assert_eq!(smuggling_sequence(&m), Some(*seq), "with the tail");
        }
    }

    #[test]
    fn smuggling_waited_or_refused_is_no_finding() {
        // One reply for the message, then QUIT's: the server waited for the proper end.
        let waited = smuggle(b"\r.\r", vec![read(9, QUEUED), read(10, BYE)]);
        assert!(check(&waited, 4, None).is_empty());
        // In one read too.
        let waited = smuggle(b"\r.\r", vec![read(9, &[QUEUED, BYE].concat())]);
        assert!(check(&waited, 4, None).is_empty());
        let rejected = vec![read(9, b"521 5.5.2 Error: bare <LF> received\r\n"), eof(10)];
        assert!(check(&smuggle(b"\n.\n", rejected), 4, None).is_empty());
    }

    #[test]
    fn smuggling_note_counts_deliveries() {
        let ended = smuggle(b"\n.\n", vec![read(9, QUEUED), read(10, TAIL_AS_COMMANDS)]);
        let waited = smuggle(b"\r.\r", vec![read(9, QUEUED), read(10, BYE)]);
        let note = smuggling_note(&[ended, waited], &["me@example.test".into()]).unwrap();
        assert!(
            note.contains("delivered 2 test message(s) to <me@example.test>: 1 "),
            "{note}"
        );
        assert!(smuggling_note(&[], &[]).is_none());
    }

    fn unknown(tail: Vec<crate::record::Event>) -> Attempt {
        let mut events = vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, EHLO_PIPE),
            write(4, t("unknown-command"), b"XSMTPDOCTOR\r\n"),
        ];
        events.extend(tail);
        let mut a = attempt(events);
        a.test = Some("unknown-command");
        a
    }

    #[test]
    fn close_on_unknown() {
        let a = unknown(vec![
            read(5, b"502 5.5.2 Error: command not recognized\r\n"),
            write(6, t("unknown-command"), b"NOOP\r\n"),
            eof(7),
        ]);
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["close-on-unknown"]);
        assert_eq!(pointed(&a, &f[0]), "server closed the connection");
        assert!(f[0].detail.contains("502 5.5.2"), "{}", f[0].detail);
        // A 421 is a polite goodbye, still a goodbye.
        let a = unknown(vec![read(5, b"421 4.7.0 go away\r\n"), eof(6)]);
        assert_eq!(ids(&check(&a, 1, None)), ["close-on-unknown"]);
        // Closed without a word.
        let a = unknown(vec![eof(5)]);
        assert_eq!(ids(&check(&a, 1, None)), ["close-on-unknown"]);
    }

    #[test]
    fn unknown_command_tolerated() {
        let a = unknown(vec![
            read(5, b"502 5.5.2 Error: command not recognized\r\n"),
            write(6, t("unknown-command"), b"NOOP\r\n"),
            read(7, b"250 2.0.0 Ok\r\n"),
            write(8, Stage::Quit, b"QUIT\r\n"),
            read(9, b"221 2.0.0 Bye\r\n"),
            eof(10),
        ]);
        assert!(check(&a, 1, None).is_empty());
    }

    /// The relay test: the catch-all check answered `unknown_local`, the percent hack answered
    /// `percent`, every other form refused.
    fn relay_attempt(unknown_local: &[u8], percent: &[u8]) -> Attempt {
        let mut events = vec![read(1, GREETING)];
        let catch_all = crate::wire::probes::relay_catch_all_address("example.test", "0123abcd");
        let addresses = std::iter::once(("random local part", catch_all))
            .chain(crate::wire::probes::relay_addresses("example.test"));
        for (i, (form, address)) in addresses.enumerate() {
            let at = 10 * (i as u64 + 1);
            events.push(write(at, Stage::Mail, b"MAIL FROM:<>\r\n"));
            events.push(read(at + 1, b"250 2.1.0 Ok\r\n"));
            events.push(write(
                at + 2,
                t("relay"),
                format!("RCPT TO:<{address}>\r\n").as_bytes(),
            ));
            let reply = match form {
                "random local part" => unknown_local,
                "percent hack" => percent,
                _ => b"554 5.7.1 Relay access denied\r\n",
            };
            events.push(read(at + 3, reply));
            events.push(write(at + 4, Stage::Quit, b"RSET\r\n"));
            events.push(read(at + 5, b"250 2.0.0 Ok\r\n"));
        }
        let mut a = attempt(events);
        a.test = Some("relay");
        a
    }

    const UNKNOWN_USER: &[u8] = b"550 5.1.1 <x>: Recipient address rejected: User unknown\r\n";
    const OK_RCPT: &[u8] = b"250 2.1.5 Ok\r\n";

    #[test]
    fn open_relay_names_the_form() {
        let a = relay_attempt(UNKNOWN_USER, OK_RCPT);
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["open-relay"]);
        assert!(f[0].summary.contains("percent hack"), "{}", f[0].summary);
        assert!(
            f[0].detail
                .contains("smtpdoctor-relay-test%example.net@example.test"),
            "{}",
            f[0].detail
        );
        assert!(
            f[0].detail.contains("refused the unknown local part"),
            "{}",
            f[0].detail
        );
        assert!(check(&relay_attempt(UNKNOWN_USER, b"550 5.7.1 no\r\n"), 1, None).is_empty());
        assert!(unreached_notes(&[a]).is_empty(), "every form was tried");
    }

    /// Regression: a catch-all server that accepted the percent hack (and delivered it locally)
    /// was reported as an open relay.
    #[test]
    fn catch_all_leaves_the_local_forms_unjudged() {
        let a = relay_attempt(OK_RCPT, OK_RCPT);
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["relay-forms-unjudged"]);
        assert_eq!(f[0].severity, crate::knowledge::Severity::Info);
        assert!(f[0].detail.contains("percent hack"), "{}", f[0].detail);
        assert!(
            f[0].detail.contains("smtpdoctor-no-such-user-0123abcd"),
            "{}",
            f[0].detail
        );
        assert_eq!(pointed(&a, &f[0]), "250 2.1.5 Ok");
        // A deferred catch-all check proves nothing either.
        let a = relay_attempt(b"450 4.3.0 try later\r\n", OK_RCPT);
        assert_eq!(ids(&check(&a, 1, None)), ["relay-forms-unjudged"]);
        // A foreign domain accepted is relaying, catch-all or not.
        let mut a = relay_attempt(OK_RCPT, b"550 no\r\n");
        let i = a
            .record
            .events
            .iter()
            .position(
                |e| matches!(&e.kind, EventKind::Read { bytes, .. } if bytes.starts_with(b"554")),
            )
            .unwrap();
        a.record.events[i] = read(35, OK_RCPT);
        a.record = crate::record::Record::replay(a.record.events.clone());
        let f = check(&a, 1, None);
        assert_eq!(ids(&f), ["open-relay"]);
        assert!(f[0].summary.contains("foreign domain"), "{}", f[0].summary);
    }

    #[test]
    fn a_hang_up_names_the_forms_not_tried() {
        let mut events = vec![read(1, GREETING)];
        let catch_all = crate::wire::probes::relay_catch_all_address("example.test", "0123abcd");
        let tried = std::iter::once(catch_all)
            .chain(
                crate::wire::probes::relay_addresses("example.test")
                    .into_iter()
                    .map(|f| f.1),
            )
            .take(3);
        for (i, address) in tried.enumerate() {
            let at = 10 * (i as u64 + 1);
            events.push(write(at, Stage::Mail, b"MAIL FROM:<>\r\n"));
            events.push(read(at + 1, b"250 2.1.0 Ok\r\n"));
            events.push(write(
                at + 2,
                t("relay"),
                format!("RCPT TO:<{address}>\r\n").as_bytes(),
            ));
            if i < 2 {
                events.push(read(at + 3, b"554 5.7.1 Relay access denied\r\n"));
                events.push(write(at + 4, Stage::Quit, b"RSET\r\n"));
                events.push(read(at + 5, b"250 2.0.0 Ok\r\n"));
            } else {
                events.push(read(at + 3, b"421 4.7.0 mx Error: too many errors\r\n"));
                events.push(eof(at + 4));
            }
        }
        let mut a = attempt(events);
        a.test = Some("relay");
        a.outcome = crate::record::attempt::Outcome::Closed;
        a.failed_stage = Some(Stage::Quit);
        assert!(check(&a, 1, None).is_empty());
        let notes = unreached_notes(&[a]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("not tried: bang path, quoted local part, source route"),
            "{}",
            notes[0]
        );
        assert!(notes[0].contains("421 4.7.0"), "{}", notes[0]);
    }

    /// Regression: every test attempt ended at a failed TLS handshake and nothing said that
    /// the tests never ran.
    #[test]
    fn tests_that_never_got_to_their_point_are_noted() {
        let failed = || {
            let mut a = attempt(vec![
                read(1, GREETING),
                write(2, Stage::Ehlo, b"EHLO me\r\n"),
                read(3, b"250-mx\r\n250 STARTTLS\r\n"),
                write(4, Stage::Starttls, b"STARTTLS\r\n"),
                read(5, b"220 2.0.0 Ready\r\n"),
                ev(
                    6,
                    EventKind::TlsHandshake {
                        ok: false,
                        message: "received corrupt message".into(),
                    },
                ),
            ]);
            a.test = Some("smuggling");
            a.outcome = crate::record::attempt::Outcome::TlsFailed;
            a.failed_stage = Some(Stage::Tls);
            a
        };
        let reached = smuggle(b"\n.\n", vec![read(9, QUEUED), read(10, BYE)]);
        let notes = unreached_notes(&[failed(), failed(), reached]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("smuggling did not get to its test on 2 of 3 connection(s)"),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].contains("ended at tls (tls-failed)"),
            "{}",
            notes[0]
        );
        // STARTTLS not offered: nothing to test, and said so.
        let mut a = attempt(vec![
            read(1, GREETING),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, EHLO_PIPE),
        ]);
        a.test = Some("starttls-injection");
        let notes = unreached_notes(&[a]);
        assert!(notes[0].contains("STARTTLS is not advertised"), "{notes:?}");
    }

    proptest::proptest! {
        /// Whatever the server sends, in whatever pieces, after whatever the test wrote: no
        /// check panics.
        #[test]
        fn no_panic_on_any_record(
            steps in proptest::collection::vec(
                (0u8..6, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)),
                0..12,
            ),
            test in 0usize..7,
        ) {
            let names = [
                "pregreet",
                "pipelining",
                "starttls-injection",
                "smuggling",
                "bare-lf",
                "unknown-command",
                "relay",
            ];
            let name = names[test];
            let mut events = Vec::new();
            for (i, (kind, bytes)) in steps.into_iter().enumerate() {
                let at = i as u64;
                events.push(match kind {
                    0 => write(at, t(name), &bytes),
                    1 => write(at, Stage::Rcpt, &bytes),
                    2 => eof(at),
                    3 => timeout(at, t(name)),
                    4 => ev(at, EventKind::TlsHandshake { ok: true, message: String::new() }),
                    _ => read(at, &bytes),
                });
            }
            let mut a = attempt(events);
            a.test = Some(name);
            let main = attempt(vec![]);
            let _ = check(&a, 0, Some(&main));
            let _ = check(&a, 0, None);
        }
    }

    #[test]
    fn relay_forms() {
        let forms: Vec<&str> = crate::wire::probes::relay_addresses("example.test")
            .iter()
            .map(|(form, address)| {
                assert_eq!(relay_form(address), *form, "{address}");
                *form
            })
            .collect();
        assert_eq!(forms.len(), 5);
    }
}
