//! `pregreet`: what the server did with an EHLO sent before its greeting.

use super::*;

pub(super) fn pregreet(rec: &Record, main: Option<&Record>) -> Vec<Finding> {
    let stage = Stage::Test("pregreet");
    let Some(w) = test_write(rec, "pregreet") else {
        return vec![];
    };
    let connected = rec
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Connected { .. }))
        .unwrap_or(0);
    let early_reads = rec.events[..w]
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Read { .. }))
        .count();
    let when = if early_reads == 0 {
        format!(
            "EHLO was written {} after connect, before any greeting byte had been read",
            ms(between(rec, connected, w))
        )
    } else {
        "EHLO was written after the 220- teaser, before the final greeting line".to_string()
    };
    let enforced = |anchor, summary: &str, detail: String| {
        vec![Finding::new(
            "pregreet-enforced",
            stage.clone(),
            anchor,
            summary,
            format!("{when}; {detail}"),
        )]
    };
    let Some(g) = rec.replies.first() else {
        return match closed_after(rec, w) {
            Some(c) => enforced(
                Anchor::Event(c),
                "The server hung up on a client that spoke before the greeting",
                "the server closed the connection without a greeting".into(),
            ),
            None => vec![],
        };
    };
    // A refusal anywhere in the greeting (a teaser may precede it: "220-..." then "554 ...").
    let lines = rec.reply_lines(g);
    if let Some(pos) = lines
        .iter()
        .position(|l| l.kind.code().is_some_and(|c| c >= 400))
        .or((!is_positive(g)).then_some(0))
    {
        let first_refusal = g.first_line + pos;
        return enforced(
            Anchor::Line(first_refusal),
            "The server refused a client that spoke before the greeting",
            format!(
                "the server answered `{}` {}",
                reply_wire(rec, g),
                how_closed(rec, w)
            ),
        );
    }
    let Some(e) = rec.replies.get(1) else {
        if let Some(c) = closed_after(rec, w) {
            return enforced(
                Anchor::Event(c),
                "The server hung up on a client that spoke before the greeting",
                format!(
                    "the server greeted with {} and closed the connection without answering the EHLO",
                    brief(rec, g)
                ),
            );
        }
        if let Some(t) = timeout_after(rec, w) {
            return enforced(
                Anchor::Event(t),
                "The server discarded an EHLO sent before the greeting",
                format!(
                    "the server greeted with {} and never answered the EHLO: a client that talks \
                     early stalls",
                    brief(rec, g)
                ),
            );
        }
        return vec![];
    };
    if !is_positive(e) {
        return enforced(
            Anchor::Line(e.first_line),
            "The server refused an EHLO sent before the greeting",
            format!(
                "the server greeted with {}, then answered the EHLO with `{}` {}",
                brief(rec, g),
                reply_wire(rec, e),
                how_closed(rec, w)
            ),
        );
    }
    // Postscreen's `enforce` lets the session go on and refuses the recipients ("550 5.5.1
    // Protocol error") that a patient client gets accepted, or deferred by postscreen's
    // after-220 tests ("450 4.3.2").
    let main_rcpt_not_refused = main
        .and_then(|m| m.last_reply(&Stage::Rcpt))
        .and_then(|r| r.code)
        .is_some_and(|c| c < 500);
    if let Some(r) = rec.replies.iter().find(|r| r.stage == Stage::Rcpt)
        && r.code.is_some_and(|c| c >= 500)
        && main_rcpt_not_refused
    {
        return enforced(
            Anchor::Line(r.first_line),
            "The server refused the recipient of a client that spoke before the greeting",
            format!(
                "the server answered the EHLO, then refused the recipient it does not refuse \
                 to a patient client: `{}`",
                reply_wire(rec, r)
            ),
        );
    }
    let out_of_step = g.code != Some(220);
    vec![Finding::new(
        "pregreet-tolerated",
        stage,
        Anchor::Line(e.first_line),
        if out_of_step {
            "The server answered an EHLO sent before its greeting, out of step"
        } else {
            "The server answered an EHLO sent before its greeting"
        },
        format!(
            "{when}; the server greeted with {} and answered the EHLO with {}",
            brief(rec, g),
            brief(rec, e)
        ),
    )]
}
