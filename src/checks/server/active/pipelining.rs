//! `pipelining`: commands in one write, with and without PIPELINING advertised.

use super::*;

/// Whether the EHLO reply last received before event `before` lists PIPELINING.
pub(super) fn pipelining_advertised(rec: &Record, before: usize) -> bool {
    rec.replies
        .iter()
        .rfind(|r| r.stage == Stage::Ehlo && r.command_event.is_some_and(|c| c < before))
        .is_some_and(|r| {
            let texts: Vec<String> = rec.reply_lines(r).iter().map(|l| l.text()).collect();
            crate::wire::ehlo::Capabilities::parse(texts.iter().map(String::as_str))
                .has("PIPELINING")
        })
}

pub(super) fn pipelining(rec: &Record) -> Vec<Finding> {
    let stage = Stage::Test("pipelining");
    let Some(w) = test_write(rec, "pipelining") else {
        return vec![];
    };
    let sent = written(rec, w);
    let commands = sent.iter().filter(|&&b| b == b'\n').count();
    if commands == 0 {
        return vec![];
    }
    let verbs: Vec<String> = sent
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let end = l
                .iter()
                .position(|&b| b == b' ' || b == b'\r')
                .unwrap_or(l.len());
            String::from_utf8_lossy(&l[..end]).into_owned()
        })
        .collect();
    let sent_text = format!("{} in one write", verbs.join(", "));
    let got: Vec<&ReplyRecord> = rec.replies.iter().filter(|r| r.stage == stage).collect();
    let listing = if got.is_empty() {
        "none".to_string()
    } else {
        got.iter()
            .map(|r| brief(rec, r))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    if pipelining_advertised(rec, w) {
        if got.len() < commands {
            let (anchor, end) = match (closed_after(rec, w), timeout_after(rec, w)) {
                (Some(c), _) => (
                    Anchor::Event(c),
                    "then the server closed the connection".to_string(),
                ),
                (None, Some(t)) => (
                    Anchor::Event(t),
                    match rec.events[t].kind {
                        EventKind::Timeout { waited_ms, .. } => {
                            format!("then nothing more came within {}", ms(waited_ms * 1000))
                        }
                        _ => "then nothing more came".to_string(),
                    },
                ),
                (None, None) => (Anchor::Event(w), "then the dialogue ended".to_string()),
            };
            return vec![Finding::new(
                "pipelining-broken",
                stage,
                anchor,
                format!(
                    "PIPELINING is advertised, but only {} of {commands} replies to pipelined commands arrived",
                    got.len()
                ),
                format!("sent {sent_text}; got {listing}; {end}"),
            )];
        }
        let mail_ok = got.first().is_some_and(|r| is_positive(r));
        let misordered = got[1..commands.saturating_sub(1).max(1)]
            .iter()
            .find(|r| mail_ok && r.code == Some(503));
        let noop_bad = got
            .get(commands.saturating_sub(1))
            .filter(|r| !is_positive(r));
        if let Some(r) = misordered.or(noop_bad) {
            return vec![Finding::new(
                "pipelining-broken",
                stage,
                Anchor::Line(r.first_line),
                "PIPELINING is advertised, but the replies to pipelined commands are out of step",
                format!(
                    "sent {sent_text}; got {listing}; `{}` cannot answer its command",
                    reply_wire(rec, r)
                ),
            )];
        }
        return vec![];
    }
    match got.first() {
        Some(first) if got.len() >= commands && is_positive(first) => vec![Finding::new(
            "pipelining-unauth-accepted",
            stage,
            Anchor::Line(first.first_line),
            "The server accepted pipelined commands without advertising PIPELINING",
            format!(
                "PIPELINING was not advertised; sent {sent_text}; the server answered them all: {listing}"
            ),
        )],
        _ => vec![],
    }
}
