//! The client family (SPEC §8): checks over what a client sent, as a server that recorded the
//! connection saw it (the mock, the proxy). Pure functions over the record, like the server
//! family: client lines come from the request parser, the server's writes are `Write` events
//! of the server, the client's close an `Eof` of the client.

use crate::checks::{Anchor, Finding};
use crate::record::{EventKind, Peer, Record, Stage};
use crate::wire::request::Verb;

/// Every client finding of one recorded connection, in the order of the record.
pub fn check(rec: &Record) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(duplicate(rec));
    out.extend(no_quit(rec));
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
    use super::*;
    use crate::checks::testkit::ids;

    fn client_record(reads: &[&[u8]], close: bool) -> Record {
        let mut rec = Record::default();
        for (i, r) in reads.iter().enumerate() {
            rec.push_client_read(i as u64 * 1000, false, r);
            while rec.next_client_line().is_some() {}
        }
        rec.finish_client();
        if close {
            rec.push_client_eof(reads.len() as u64 * 1000, false);
        }
        rec
    }

    #[test]
    fn a_close_without_quit_is_noticed() {
        let rec = client_record(&[b"EHLO client.test\r\n"], true);
        assert_eq!(ids(&check(&rec)), ["client-no-quit"]);
        let rec = client_record(&[b"EHLO client.test\r\n", b"QUIT\r\n"], true);
        assert!(check(&rec).is_empty());
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
}
