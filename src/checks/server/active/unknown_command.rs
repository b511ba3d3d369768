//! `unknown-command`: does the server hang up on a verb it does not know?

use super::*;

pub(super) fn unknown_command(rec: &Record) -> Vec<Finding> {
    let stage = Stage::Test("unknown-command");
    let Some(w) = test_write(rec, "unknown-command") else {
        return vec![];
    };
    let sent = escape_bytes(written(rec, w));
    let answer = rec.replies.iter().find(|r| r.command_event == Some(w));
    if let Some(r) = answer
        && r.code == Some(421)
    {
        return vec![Finding::new(
            "close-on-unknown",
            stage,
            Anchor::Line(r.first_line),
            "The server ended the session because of an unknown command",
            format!(
                "sent `{sent}`; the server answered `{}` {}",
                reply_wire(rec, r),
                how_closed(rec, w)
            ),
        )];
    }
    let Some(c) = closed_after(rec, w) else {
        return vec![];
    };
    // Closing after a later command was answered (QUIT) is normal.
    let answered_later = rec.replies.iter().any(|r| {
        r.command_event.is_some_and(|e| e > w) && !r.unsolicited && reply_event(rec, r) < c
    });
    if answered_later {
        return vec![];
    }
    let said = answer.map_or("nothing".to_string(), |r| {
        format!("`{}`", reply_wire(rec, r))
    });
    vec![Finding::new(
        "close-on-unknown",
        stage,
        Anchor::Event(c),
        "The server dropped the connection after an unknown command",
        format!(
            "sent `{sent}`; the server answered {said} and closed the connection {} later, \
             instead of carrying on",
            ms(between(rec, w, c))
        ),
    )]
}
