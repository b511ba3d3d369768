//! `relay`: foreign domains and the old relay tricks, judged only where the domain is not catch-all.

use super::*;

/// One answered RCPT of the relay test: its form, address and reply.
pub(super) struct RelayAnswer<'a> {
    pub(super) form: &'static str,
    pub(super) address: String,
    pub(super) reply: &'a ReplyRecord,
}

pub(super) fn relay_answers(rec: &Record) -> Vec<RelayAnswer<'_>> {
    let stage = Stage::Test("relay");
    rec.replies
        .iter()
        .filter(|r| r.stage == stage && !r.unsolicited)
        .filter_map(|r| {
            let address = path_of(written(rec, r.command_event?));
            Some(RelayAnswer {
                form: relay_form(&address),
                address,
                reply: r,
            })
        })
        .collect()
}

pub(super) fn relay(rec: &Record) -> Vec<Finding> {
    let stage = Stage::Test("relay");
    let answers = relay_answers(rec);
    let catch_all = answers.iter().find(|a| a.form == RELAY_CATCH_ALL_FORM);
    // A refused unknown local part shows that the server does not take any local part: an
    // accepted percent hack, bang path or quoted local part is then read as the foreign address.
    let local_refused = catch_all.is_some_and(|a| a.reply.code.is_some_and(|c| c >= 500));
    let mut out = Vec::new();
    let mut unjudged = Vec::new();
    for a in answers
        .iter()
        .filter(|a| a.form != RELAY_CATCH_ALL_FORM && is_positive(a.reply))
    {
        if relay_form_is_local(a.form) && !local_refused {
            unjudged.push(a);
            continue;
        }
        let why = match catch_all {
            Some(c) if relay_form_is_local(a.form) => format!(
                "; the server refused the unknown local part <{}> (`{}`), so it did not take this \
                 as a local address",
                escape_str(&c.address),
                reply_wire(rec, c.reply)
            ),
            _ => String::new(),
        };
        out.push(Finding::new(
            "open-relay",
            stage.clone(),
            Anchor::Line(a.reply.first_line),
            format!(
                "The server accepted a recipient it must not relay to ({})",
                a.form
            ),
            format!(
                "RCPT TO:<{}> was answered `{}`{why}; an unauthenticated client may relay through \
                 this server (the probe sent RSET and no DATA)",
                escape_str(&a.address),
                reply_wire(rec, a.reply)
            ),
        ));
    }
    if let Some(first) = unjudged.first() {
        let accepted = unjudged
            .iter()
            .map(|a| {
                format!(
                    "{} <{}> (`{}`)",
                    a.form,
                    escape_str(&a.address),
                    reply_wire(rec, a.reply)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let (anchor, summary, why) = match catch_all {
            Some(c) if is_positive(c.reply) => (
                c.reply.first_line,
                "The server accepts any local part (catch-all): the relay tricks it accepted \
                 cannot be judged without delivery",
                format!(
                    "RCPT TO:<{}>, a local part that cannot exist, was answered `{}`: the server \
                     accepts every local part and would deliver these locally as well",
                    escape_str(&c.address),
                    reply_wire(rec, c.reply)
                ),
            ),
            Some(c) => (
                first.reply.first_line,
                "The catch-all check was not refused: the relay tricks the server accepted \
                 cannot be judged without delivery",
                format!(
                    "RCPT TO:<{}>, a local part that cannot exist, was answered `{}`, not \
                     refused: the server may accept any local part and deliver these locally",
                    escape_str(&c.address),
                    reply_wire(rec, c.reply)
                ),
            ),
            None => (
                first.reply.first_line,
                "The relay tricks the server accepted cannot be judged without delivery",
                "the catch-all check got no answer".to_string(),
            ),
        };
        out.push(Finding::new(
            "relay-forms-unjudged",
            stage,
            Anchor::Line(anchor),
            summary,
            format!(
                "{why}; accepted: {accepted}; whether it relays them shows only in its queue or \
                 log (the probe sent RSET and no DATA)"
            ),
        ));
    }
    out
}
