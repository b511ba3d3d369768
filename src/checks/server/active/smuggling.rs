//! `smuggling`: non-standard end-of-data sequences, told apart by the replies that always come.

use super::*;

pub(super) fn smuggling(rec: &Record) -> Vec<Finding> {
    let Some(w) = test_write(rec, "smuggling") else {
        return vec![];
    };
    let Some(seq) = smuggling_sequence(written(rec, w)) else {
        return vec![];
    };
    let recipients: Vec<String> = rec
        .replies
        .iter()
        .filter(|r| r.stage == Stage::Rcpt && is_positive(r))
        .filter_map(|r| r.command_event)
        .map(|e| format!("<{}>", escape_str(&path_of(written(rec, e)))))
        .collect();
    let delivered = if recipients.is_empty() {
        "a test message was delivered".to_string()
    } else {
        format!("a test message was delivered to {}", recipients.join(", "))
    };
    let label = crate::wire::probes::sequence_label(seq);
    let finding = |r: &ReplyRecord, detail: String| {
        vec![Finding::new(
            "smuggle-eod-accepted",
            Stage::Test("smuggling"),
            Anchor::Line(r.first_line),
            format!("The server took {label} as the end of the message (SMTP smuggling)"),
            detail,
        )]
    };
    match smuggling_answer(rec, w) {
        SmugglingAnswer::EndedAtSequence(r) => {
            let r = &rec.replies[r];
            finding(
                r,
                format!(
                    "the message ended in {label}, followed in the same write by \
                     <CR><LF>.<CR><LF> and QUIT; {} later the server answered `{}` and then \
                     answered the rest as commands: it ended the data at {label}, so {delivered}",
                    ms(between(rec, w, reply_event(rec, r))),
                    reply_wire(rec, r)
                ),
            )
        }
        _ => vec![],
    }
}

/// How a server answered one smuggling write: the message ending in the sequence, then the
/// proper end of data and QUIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmugglingAnswer {
    /// A positive reply, then replies to the rest as commands: the data ended at the sequence
    /// (the index of the reply that accepted the message).
    EndedAtSequence(usize),
    /// One positive reply for the message, then QUIT's: the server waited for the proper end.
    WaitedForTheEnd(usize),
    /// The message was refused.
    Refused,
    /// No reply came.
    Unanswered,
}

/// Tells the answers apart by the number and order of the replies to write `w`, never by
/// silence.
pub fn smuggling_answer(rec: &Record, w: usize) -> SmugglingAnswer {
    let replies: Vec<usize> = (0..rec.replies.len())
        .filter(|&i| rec.replies[i].command_event == Some(w))
        .collect();
    let Some(&first) = replies.first() else {
        return SmugglingAnswer::Unanswered;
    };
    if !is_positive(&rec.replies[first]) {
        return SmugglingAnswer::Refused;
    }
    match replies.get(1).map(|&i| rec.replies[i].code) {
        // The tail's first line (an empty one) answered as a command.
        Some(code) if code != Some(221) => SmugglingAnswer::EndedAtSequence(first),
        _ => SmugglingAnswer::WaitedForTheEnd(first),
    }
}

/// What the smuggling test left behind: how many test messages reached `to`, and how.
pub fn smuggling_note(attempts: &[Attempt], to: &[String]) -> Option<String> {
    let (mut at_sequence, mut completed) = (0, 0);
    for a in attempts.iter().filter(|a| a.test == Some("smuggling")) {
        let Some(w) = test_write(&a.record, "smuggling") else {
            continue;
        };
        match smuggling_answer(&a.record, w) {
            SmugglingAnswer::EndedAtSequence(_) => at_sequence += 1,
            SmugglingAnswer::WaitedForTheEnd(_) => completed += 1,
            _ => {}
        }
    }
    if at_sequence + completed == 0 {
        return None;
    }
    Some(format!(
        "the smuggling test delivered {} test message(s) to {}: {at_sequence} ended by a \
         non-standard end-of-data sequence the server accepted, {completed} ended by the \
         <CR><LF>.<CR><LF> that followed the sequence, after the server waited for it",
        at_sequence + completed,
        to.iter()
            .map(|t| format!("<{}>", escape_str(t)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}
