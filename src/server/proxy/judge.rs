//! Judging a relayed connection: the client checks over the client's view of the one record, the server checks (SPEC §3) over the upstream's, with every finding pointing into the one transcript.
//!
//! Both views keep the record's event indices, so `Anchor::Event` means the same event in all
//! three. In the client's view the server's reads are the server's writes (as in the mock's
//! record); in the server's view the client's reads are the client's writes (as in a probe's
//! record). A server check's `Anchor::Line(i)` (a server line) is moved to the read that
//! completed the line: in the one record `Anchor::Line` names client lines.

use super::ProxyRecord;
use crate::checks::{Anchor, CheckContext, Finding};
use crate::record::attempt::{Attempt, AttemptTarget, DataResult, EhloResult, StageTime};
use crate::record::{EventKind, Peer, Record, Stage};
use crate::wire::ehlo::Capabilities;
use crate::wire::request::Verb;

/// The client findings and the upstream's findings of one relayed connection, `attempt` set
/// to the connection's number.
pub fn findings(p: &ProxyRecord) -> Vec<Finding> {
    let mut out = crate::checks::client::check(&client_view(p));
    let a = attempt(p);
    let ctx = CheckContext::default();
    for mut f in crate::checks::attempt(&a, p.n as usize, &ctx) {
        if let Anchor::Line(i) = f.anchor {
            f.anchor = p
                .record
                .server_lines
                .get(i)
                .map_or(Anchor::None, |l| Anchor::Event(l.last_read));
        }
        out.push(f);
    }
    for f in &mut out {
        f.attempt = Some(p.n as usize);
    }
    out
}

fn note(message: &str) -> EventKind {
    EventKind::Note {
        stage: Stage::Tls,
        message: message.into(),
    }
}

/// The record as the mock would have made it: the server's reads become its writes.
fn client_view(p: &ProxyRecord) -> Record {
    let mut rec = p.record.clone();
    let mut reply = 0usize;
    for (i, e) in rec.events.iter_mut().enumerate() {
        if p.opaque.contains(&i) || Some(i) == p.upstream_handshake {
            e.kind = note("relayed");
            continue;
        }
        // Inside a passthrough TLS the client's commands (its QUIT too) are not visible: its
        // close says nothing about them.
        if p.passthrough
            && matches!(
                e.kind,
                EventKind::Eof {
                    from: Peer::Client,
                    ..
                }
            )
        {
            e.kind = note("client closed inside TLS");
            continue;
        }
        if let EventKind::Read {
            from: Peer::Server,
            tls,
            bytes,
            ..
        } = &e.kind
        {
            while p.replies.get(reply).is_some_and(|r| {
                p.record
                    .server_lines
                    .get(r.end_line.saturating_sub(1))
                    .is_some_and(|l| l.last_read < i)
            }) {
                reply += 1;
            }
            let stage = p
                .replies
                .get(reply)
                .map_or(Stage::Quit, |r| r.stage.clone());
            e.kind = EventKind::Write {
                from: Peer::Server,
                expects: 0,
                tls: *tls,
                stage,
                bytes: bytes.clone(),
            };
        }
    }
    rec
}

/// The upstream's side as a probe would have recorded it.
fn server_view(p: &ProxyRecord) -> Record {
    let mut rec = p.record.clone();
    let mut reads = p.client_reads.iter().peekable();
    for (i, e) in rec.events.iter_mut().enumerate() {
        if p.opaque.contains(&i) || Some(i) == p.client_handshake {
            e.kind = note("relayed");
            continue;
        }
        while reads.next_if(|r| r.0 < i).is_some() {}
        if let EventKind::Read {
            from: Peer::Client,
            tls,
            bytes,
            ..
        } = &e.kind
        {
            let (stage, expects) = match reads.peek() {
                Some((ev, stage, n)) if *ev == i => (stage.clone(), *n),
                _ => (Stage::Data, 0),
            };
            e.kind = EventKind::Write {
                from: Peer::Client,
                expects,
                tls: *tls,
                stage,
                bytes: bytes.clone(),
            };
        }
    }
    rec.replies = p.replies.clone();
    rec.mark_unsolicited();
    rec
}

/// The upstream side as an [`Attempt`]: target, outcome, EHLO, TLS, stages, DATA.
pub(super) fn attempt(p: &ProxyRecord) -> Attempt {
    let rec = server_view(p);
    let mut ehlos = Vec::new();
    for (i, r) in rec.replies.iter().enumerate() {
        if !matches!(r.stage, Stage::Ehlo | Stage::Helo)
            || !r.code.is_some_and(|c| (200..300).contains(&c))
        {
            continue;
        }
        let Some(verb) = command_verb(p, r.command_event) else {
            continue;
        };
        if !matches!(verb, Verb::Ehlo | Verb::Helo) {
            continue;
        }
        let texts: Vec<String> = rec.reply_lines(r).iter().map(|l| l.text()).collect();
        let caps = Capabilities::parse(texts.iter().map(String::as_str));
        let tls = rec
            .reply_lines(r)
            .last()
            .and_then(|l| rec.events.get(l.last_read))
            .is_some_and(|e| matches!(e.kind, EventKind::Read { tls: true, .. }));
        ehlos.push(EhloResult {
            verb: if verb == Verb::Ehlo { "EHLO" } else { "HELO" },
            server_name: caps.server_name,
            capabilities: if verb == Verb::Ehlo {
                caps.capabilities
            } else {
                vec![]
            },
            reply: i,
            tls,
        });
    }
    let ehlo = ehlos.last().cloned();
    let ehlo_plain = ehlos
        .iter()
        .rev()
        .find(|e| !e.tls)
        .cloned()
        .filter(|_| ehlo.as_ref().is_some_and(|e| e.tls));
    let stages = stages(&rec);
    let quit_sent = p
        .record
        .client_lines
        .iter()
        .any(|l| l.verb() == Some(Verb::Quit));
    let quit_reply = rec.replies.iter().rposition(|r| {
        r.stage == Stage::Quit && command_verb(p, r.command_event) == Some(Verb::Quit)
    });
    let data = data_result(p, &rec);
    Attempt {
        target: AttemptTarget {
            host: p.upstream_host.clone(),
            addr: p.upstream,
            preference: None,
        },
        ehlo,
        ehlo_plain,
        ehlo_refused: None,
        tls: p.upstream_tls.clone(),
        stages,
        outcome: p.outcome.clone(),
        failed_stage: p.failed_stage.clone(),
        ptr: None,
        duration_ms: p.duration.as_secs_f64() * 1000.0,
        quit_sent,
        quit_reply,
        data,
        test: None,
        plaintext_retry_of: None,
        record: rec,
    }
}

/// The upstream's steps as a probe lists them (SPEC §5): each step once under its own name,
/// from the end of the step before it (the connect from the accept) to its reply, so that the
/// durations add up to the time of the last reply. A reply in the stage of the one before it
/// (one RCPT per recipient, a NOOP) adds to that step.
fn stages(rec: &Record) -> Vec<StageTime> {
    let mut out: Vec<StageTime> = Vec::new();
    let connected = rec.events.iter().find_map(|e| match e.kind {
        EventKind::Connected { .. } => Some(e.at_us),
        _ => None,
    });
    if let Some(at) = connected {
        out.push(StageTime {
            stage: Stage::Connect,
            duration_ms: at as f64 / 1000.0,
        });
    }
    let mut from = connected.unwrap_or(0);
    for r in &rec.replies {
        let ms = r.completed_at_us.saturating_sub(from) as f64 / 1000.0;
        from = from.max(r.completed_at_us);
        match out.last_mut() {
            Some(last) if last.stage == r.stage => last.duration_ms += ms,
            _ => out.push(StageTime {
                stage: r.stage.clone(),
                duration_ms: ms,
            }),
        }
    }
    out
}

/// The verb of the client line that ended at `event` (the last one there).
fn command_verb(p: &ProxyRecord, event: Option<usize>) -> Option<Verb> {
    let event = event?;
    p.record
        .client_lines
        .iter()
        .rev()
        .find(|l| l.last_read == event && l.verb().is_some())
        .and_then(|l| l.verb())
}

/// DATA, its 354, and the reply to the final dot, when the client sent DATA.
fn data_result(p: &ProxyRecord, rec: &Record) -> Option<DataResult> {
    let data_reply = rec.replies.iter().position(|r| {
        r.stage == Stage::Data && command_verb(p, r.command_event) == Some(Verb::Data)
    })?;
    let mut d = DataResult {
        data_reply: Some(data_reply),
        ..DataResult::default()
    };
    let r = &rec.replies[data_reply];
    d.data_reply_ms = Some(r.completed_at_us.saturating_sub(r.awaited_at_us) as f64 / 1000.0);
    if let Some(m) = p.record.client.messages.first() {
        d.content_bytes = m.stats.content_size;
    }
    if let Some((i, dot)) = rec
        .replies
        .iter()
        .enumerate()
        .skip(data_reply + 1)
        .find(|(_, r)| r.stage == Stage::Dot)
    {
        d.dot_reply = Some(i);
        d.dot_code = dot.code;
        d.dot_written_us = Some(dot.awaited_at_us);
        d.dot_event = dot.command_event;
        d.dot_reply_ms =
            Some(dot.completed_at_us.saturating_sub(dot.awaited_at_us) as f64 / 1000.0);
    }
    Some(d)
}
