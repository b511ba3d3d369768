//! The client family (SPEC §8): checks over what a client sent, as a server that recorded the
//! connection saw it (the mock, the proxy). Pure functions over the record, like the server
//! family: client lines come from the request parser, the server's writes are `Write` events
//! of the server, the client's close an `Eof` of the client.
//!
//! One file per family: `timing` (pregreet, multiline-early, timeout-short), `pipelining`,
//! `syntax` (bare LF/CR, command length), `ehlo`, `tls`, `message` (content); all of them read
//! the `timeline` derived once from the record (replies cut from the server's writes, which
//! reply answered which line, what was due when). Findings come in the order of the record.

mod ehlo;
mod message;
mod pipelining;
mod syntax;
#[cfg(test)]
mod testkit;
mod timeline;
mod timing;
mod tls;

use crate::checks::{Anchor, Finding};
use crate::record::{EventKind, Peer, Record, Stage};
use crate::wire::request::Verb;
use timeline::Timeline;

/// Every client finding of one recorded connection, in the order of the record.
pub fn check(rec: &Record) -> Vec<Finding> {
    let tl = Timeline::new(rec);
    let mut out = Vec::new();
    out.extend(timing::check(&tl));
    out.extend(pipelining::check(&tl));
    out.extend(syntax::check(&tl));
    out.extend(ehlo::check(&tl));
    out.extend(tls::check(&tl));
    out.extend(message::check(&tl));
    out.extend(duplicate(rec));
    out.extend(no_quit(rec));
    out.sort_by_key(|f| match f.anchor {
        Anchor::Event(i) => i,
        _ => usize::MAX,
    });
    out
}

/// `client-duplicate`: the server recorded that a message arrived a second time.
fn duplicate(rec: &Record) -> Vec<Finding> {
    rec.events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            EventKind::DuplicateMessage {
                of_connection,
                message_id,
            } => Some(Finding::new(
                "client-duplicate",
                Stage::Data,
                Anchor::Event(i),
                "the client delivered a message that had already arrived",
                match message_id {
                    Some(id) => format!(
                        "Message-ID <{}> already arrived on connection {of_connection}; a \
                         sender that gives up on the final dot too early delivers it again",
                        crate::wire::escape::escape_str(id)
                    ),
                    None => format!(
                        "the same content already arrived on connection {of_connection}; a \
                         sender that gives up on the final dot too early delivers it again"
                    ),
                },
            )),
            _ => None,
        })
        .collect()
}

/// `client-no-quit`: the client closed the connection without sending QUIT.
fn no_quit(rec: &Record) -> Option<Finding> {
    let close = rec.events.iter().position(|e| {
        matches!(
            e.kind,
            EventKind::Eof {
                from: Peer::Client,
                ..
            }
        )
    })?;
    if rec
        .client_lines
        .iter()
        .any(|l| l.verb() == Some(Verb::Quit))
    {
        return None;
    }
    // The server closed first (after its 421, say): the client had nothing left to QUIT.
    let server_closed = rec.events[..close].iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Eof {
                from: Peer::Server,
                ..
            }
        )
    });
    if server_closed {
        return None;
    }
    Some(Finding::new(
        "client-no-quit",
        Stage::Quit,
        Anchor::Event(close),
        "the client closed the connection without QUIT",
        "RFC 5321 §4.1.1.10: a client ends the session with QUIT and waits for the 221",
    ))
}

#[cfg(test)]
mod tests {
    use super::testkit::{Sim, patient_client};
    use super::*;
    use crate::checks::testkit::ids;

    /// A greeted connection where the client sends `reads`, each answered, then closes.
    fn client_record(reads: &[&[u8]], close: bool) -> Record {
        let mut s = Sim::greeted(0);
        for (i, r) in reads.iter().enumerate() {
            s.talk(1 + i as u64 * 1000, r);
        }
        if close {
            s.eof(1 + reads.len() as u64 * 1000);
        }
        s.finish()
    }

    #[test]
    fn a_close_without_quit_is_noticed() {
        let rec = client_record(&[b"EHLO client.test\r\n"], true);
        assert_eq!(ids(&check(&rec)), ["client-no-quit"]);
        let rec = client_record(&[b"EHLO client.test\r\n", b"QUIT\r\n"], true);
        assert!(check(&rec).is_empty());
        // The server closed first: the client had nothing left to QUIT.
        let mut s = Sim::greeted(0);
        s.talk(1, b"EHLO client.test\r\n");
        s.rec.push(
            5_000,
            EventKind::Eof {
                from: Peer::Server,
                tls: false,
            },
        );
        s.eof(6);
        assert!(check(&s.finish()).is_empty());
    }

    #[test]
    fn a_recorded_duplicate_is_a_finding() {
        let mut rec = client_record(&[b"QUIT\r\n"], true);
        rec.push(
            10,
            EventKind::DuplicateMessage {
                of_connection: 1,
                message_id: Some("abc@client.test".into()),
            },
        );
        let f = check(&rec);
        assert_eq!(ids(&f), ["client-duplicate"]);
        assert!(f[0].detail.contains("<abc@client.test>"), "{}", f[0].detail);
    }

    /// A clean, patient client that used TLS: `client-tls` and nothing else.
    #[test]
    fn a_clean_client_gets_only_client_tls() {
        let f = check(&patient_client());
        assert_eq!(ids(&f), ["client-tls"], "{f:?}");
    }

    /// Everything wrong at once, in the order of the record, each kind once.
    #[test]
    fn a_bad_client_gets_each_kind_once_in_record_order() {
        let mut s = Sim::new();
        s.read(1, b"HELO pc\n");
        s.write(5, Stage::Greeting, crate::server::GREETING);
        s.answer(6);
        s.talk(10, b"HELO pc\n");
        s.talk(
            20,
            b"MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@demo.test>\r\n",
        );
        s.talk(30, b"DATA\r\ncaf\xc3\xa9\n.\r\n");
        s.eof(40);
        let f = check(&s.finish());
        assert_eq!(
            ids(&f),
            [
                "client-pregreet",
                "client-bare-lf",
                "client-ehlo-invalid",
                "client-helo-only",
                "client-pipelining-unadvertised",
                "client-pipelining-misordered",
                "client-data-bare-lf",
                "client-8bit-undeclared",
                "client-no-quit",
            ],
            "{f:#?}"
        );
    }

    /// Once the record stops keeping the server's bytes, order is no longer judged: the
    /// replies after that point are unknown, and every later command would look pipelined.
    #[test]
    fn nothing_is_judged_by_order_beyond_the_kept_bytes() {
        let mut s = Sim::new();
        // A greeting of more than the server's write budget: its end is not kept.
        let mut greeting = b"220-".to_vec();
        greeting.extend(std::iter::repeat_n(
            b'x',
            crate::record::MAX_KEPT_WRITE_BYTES,
        ));
        greeting.extend_from_slice(b"\r\n");
        greeting.extend_from_slice(crate::server::GREETING);
        s.write(1, Stage::Greeting, &greeting);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        s.talk(30, b"RCPT TO:<postmaster@demo.test>\r\n");
        s.talk(40, b"QUIT\r\n");
        s.eof(50);
        let rec = s.finish();
        assert!(
            rec.limits_reached()
                .contains(&crate::record::Limit::WriteBytes)
        );
        assert!(check(&rec).is_empty(), "{:?}", ids(&check(&rec)));
    }

    /// Hostile input: binary junk, endless lines, NULs and lone CRs in every state.
    #[test]
    fn hostile_input_does_not_panic_and_details_are_bounded() {
        let junk: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for chunks in [
            vec![&junk[..]],
            junk.chunks(997).collect(),
            vec![&b"DATA\r\n"[..], &junk[..], b"\r\n.\r\n", &junk[..]],
        ] {
            let mut s = Sim::greeted(0);
            for (i, c) in chunks.iter().enumerate() {
                s.talk(1 + i as u64, c);
            }
            s.eof(100_000);
            for f in check(&s.finish()) {
                assert!(f.detail.len() < 800, "{}: {}", f.id, f.detail);
                assert!(f.summary.len() < 400, "{}: {}", f.id, f.summary);
            }
        }
    }
}
