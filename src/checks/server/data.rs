//! DATA (RFC 5321 §4.1.1.4, §4.5.3.2, §4.5.2): refusals, the reply to the final dot (slow, missing,
//! kept alive with continuation lines), and the RFC timeouts of the DATA stages.

use crate::checks::{Anchor, Finding};
use crate::checks::{CheckContext, ms, reply_anchor, reply_wire};
use crate::record::Stage;
use crate::record::attempt::{Attempt, Outcome};
use crate::record::decision::NotSent;
use crate::record::{EventKind, Record};
use crate::wire::timeouts as rfc_timeouts;

/// `data-not-sent`: the dialogue recorded that the message was not sent (or not completed).
/// A refused RCPT is not this: the RCPT findings say it.
pub fn not_sent(rec: &Record) -> Option<Finding> {
    rec.events
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.kind {
            EventKind::MessageNotSent { reason } if *reason != NotSent::NoRecipientAccepted => {
                Some(Finding::new(
                    "data-not-sent",
                    Stage::Data,
                    Anchor::Event(i),
                    "the message was not sent",
                    reason.to_string(),
                ))
            }
            _ => None,
        })
}

/// `reply-timeout`: the attempt ended because a command other than the greeting, STARTTLS and
/// the final dot (which have findings of their own) got no reply in time.
pub fn reply_timeout(a: &Attempt) -> Option<Finding> {
    if a.outcome != Outcome::Timeout {
        return None;
    }
    let stage = a.failed_stage.clone()?;
    if !matches!(
        stage,
        Stage::Ehlo | Stage::Helo | Stage::Mail | Stage::Rcpt | Stage::Data
    ) {
        return None;
    }
    let rec = &a.record;
    let (i, waited_ms) = rec
        .events
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, e)| match &e.kind {
            EventKind::Timeout {
                stage: s,
                waited_ms,
            } if *s == stage => Some((i, *waited_ms)),
            _ => None,
        })?;
    // The final dot's wait is `dot-timeout`; a stalled write of the content is not a reply.
    let command = rec.events[..i].iter().rev().find_map(|e| match &e.kind {
        EventKind::Write { bytes, expects, .. } if *expects > 0 => Some(bytes.as_slice()),
        _ => None,
    })?;
    if stage == Stage::Data && !command.eq_ignore_ascii_case(b"DATA\r\n") {
        return None;
    }
    let verb = String::from_utf8_lossy(
        command
            .split(|b| *b == b' ' || *b == b'\r')
            .next()
            .unwrap_or_default(),
    )
    .to_ascii_uppercase();
    Some(Finding::new(
        "reply-timeout",
        stage,
        Anchor::Event(i),
        format!("no reply to {verb} within {}", ms(waited_ms * 1000)),
        format!(
            "the server answered the commands before {verb} and then nothing came for {}; senders give up after the RFC 5321 §4.5.3.2 minimum and retry later",
            ms(waited_ms * 1000)
        ),
    ))
}

/// DATA findings.
pub fn check(a: &Attempt, ctx: &CheckContext) -> Vec<Finding> {
    let rec = &a.record;
    let mut out: Vec<Finding> = not_sent(rec).into_iter().collect();
    out.extend(reply_timeout(a));
    let Some(d) = &a.data else { return out };
    if let Some(r) = d.data_reply.map(|i| &rec.replies[i])
        && let Some(code) = r.code
        && code != 354
    {
        out.push(Finding::new(
            "data-rejected",
            Stage::Data,
            reply_anchor(r),
            format!("DATA was answered with {code} instead of 354"),
            format!("reply `{}`", reply_wire(rec, r)),
        ));
    }
    if let Some(r) = d.dot_reply.map(|i| &rec.replies[i])
        && let Some(code) = r.code
        && code >= 400
    {
        out.push(Finding::new(
            "data-rejected",
            Stage::Dot,
            reply_anchor(r),
            format!("the message was refused after the final dot ({code})"),
            format!("reply `{}`", reply_wire(rec, r)),
        ));
    }
    let Some(dot_at) = d.dot_written_us else {
        return out;
    };
    if d.dot_reply.is_none() && a.outcome == Outcome::Timeout && a.failed_stage == Some(Stage::Dot)
    {
        let waited = rec
            .events
            .iter()
            .rposition(|e| matches!(e.kind, EventKind::Timeout { .. }));
        out.push(Finding::new(
            "dot-timeout",
            Stage::Dot,
            waited.map_or(Anchor::None, Anchor::Event),
            "no reply to the final dot before the timeout",
            "the message was sent completely, but the server never confirmed it; senders report \"Error reading SMTP packet; response to dot-stuffed message expected\" or \"timed out while sending end of data -- message may be sent more than once\", then retry and deliver a duplicate".to_string(),
        ));
    }
    let Some(r) = d.dot_reply.map(|i| &rec.replies[i]) else {
        return out;
    };
    let lines = rec.reply_lines(r);
    let last_us = r.completed_at_us.saturating_sub(dot_at);
    // Timing findings point at the last line: the reply was complete only then.
    let last_line = Anchor::Line(r.end_line.saturating_sub(1));
    if last_us > ctx.dot_slow.as_micros() as u64 {
        out.push(Finding::new(
            "dot-slow",
            Stage::Dot,
            last_line,
            format!("the reply to the final dot took {}", ms(last_us)),
            format!(
                "threshold {}; a sender whose end-of-data timeout is shorter gives up, keeps the message queued and sends it again: the recipient gets duplicates",
                humantime::format_duration(ctx.dot_slow)
            ),
        ));
    }
    if lines.len() > 1 {
        // At most the first ten times: a hostile reply may have a thousand lines.
        let mut times: Vec<String> = lines
            .iter()
            .take(10)
            .map(|l| ms(rec.at_us(l.last_read).saturating_sub(dot_at)))
            .collect();
        if lines.len() > 10 {
            times.push(format!(
                "… ({} lines in all)",
                lines.len() + r.dropped_lines
            ));
        }
        let spread = rec.at_us(lines[lines.len() - 1].last_read) - rec.at_us(lines[0].last_read);
        if spread > 500_000 {
            out.push(Finding::new(
                "data-keepalive-lines",
                Stage::Dot,
                last_line,
                format!("{} continuation lines trickled out while the server processed the message", lines.len() + r.dropped_lines - 1),
                format!("lines arrived {} after the dot; clients that time out per line survive, others do not", times.join(", ")),
            ));
        }
    }
    let stages = [
        (
            d.data_reply
                .map(|i| &rec.replies[i])
                .map(crate::checks::reply_us),
            rfc_timeouts::DATA_INIT,
            "DATA command",
            Stage::Data,
        ),
        (
            d.slowest_block_ms.map(|m| (m * 1000.0) as u64),
            rfc_timeouts::DATA_BLOCK,
            "a data block",
            Stage::Data,
        ),
        (
            Some(last_us),
            rfc_timeouts::DATA_END,
            "final dot",
            Stage::Dot,
        ),
    ];
    for (took, min, what, stage) in stages {
        if let Some(t) = took
            && t > min.as_micros() as u64
        {
            out.push(Finding::new(
                "timing-rfc-exceeded",
                stage,
                reply_anchor(r),
                format!(
                    "the {what} took {}, beyond the RFC 5321 minimum timeout",
                    ms(t)
                ),
                format!(
                    "RFC 5321 §4.5.3.2 lets clients give up after {}",
                    humantime::format_duration(min)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::record::attempt::DataResult;

    /// DATA, 354, the content, the final dot, then `reads`; the DATA facts derived from it.
    fn with_dot_reply(reads: Vec<crate::record::Event>) -> Attempt {
        let mut evs = vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Data, b"DATA\r\n"),
            read(3, b"354 go\r\n"),
            write_expecting(4, Stage::Data, b"Subject: t\r\n\r\nhello", 0),
            write_expecting(10, Stage::Dot, b"\r\n.\r\n", 1),
            ev(
                10,
                EventKind::DataSent {
                    bytes: 25,
                    content_bytes: 21,
                    elapsed_us: 6_000,
                    slowest_write_us: 1_000,
                },
            ),
        ];
        evs.extend(reads);
        let mut a = attempt(evs);
        a.data = DataResult::from_record(&a.record);
        a
    }

    /// The final dot is the write of stage `dot`: a write after DATA that awaits a reply but is
    /// labelled `data` (the old label) is content, not the dot.
    #[test]
    fn the_dot_is_the_write_of_stage_dot() {
        let a = with_dot_reply(vec![read(20, b"250 2.0.0 Ok: queued as X\r\n")]);
        let dot = a
            .record
            .events
            .iter()
            .position(
                |e| matches!(&e.kind, EventKind::Write { bytes, .. } if bytes == b"\r\n.\r\n"),
            )
            .unwrap();
        let d = a.data.as_ref().unwrap();
        assert_eq!(d.dot_event, Some(dot), "the write of stage dot");
        assert_eq!(d.dot_written_us, Some(10_000));
        assert!(d.dot_reply.is_some());
        let mut old = a.record.clone();
        if let EventKind::Write { stage, .. } = &mut old.events[dot].kind {
            *stage = Stage::Data;
        }
        let d = DataResult::from_record(&old).unwrap();
        assert_eq!(
            d.dot_event, None,
            "a `data` write is never taken for the dot"
        );
        assert_eq!(d.dot_reply, None);
    }

    fn ctx() -> CheckContext {
        CheckContext {
            dot_slow: std::time::Duration::from_secs(2),
            ..CheckContext::default()
        }
    }

    #[test]
    fn quick_accept_is_clean() {
        let a = with_dot_reply(vec![read(20, b"250 2.0.0 Ok: queued as X\r\n")]);
        assert!(check(&a, &ctx()).is_empty());
    }

    #[test]
    fn slow_dot_with_keepalive_lines() {
        let a = with_dot_reply(vec![
            read(1010, b"250-2.0.0 checking\r\n"),
            read(2010, b"250-2.0.0 still\r\n"),
            read(3010, b"250 2.0.0 Ok\r\n"),
        ]);
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["dot-slow", "data-keepalive-lines"]);
        assert!(
            f[1].detail.contains("3.0 s") || f[1].detail.contains("3000.0 ms"),
            "{}",
            f[1].detail
        );
    }

    #[test]
    fn refused_after_dot_and_timeout() {
        let a = with_dot_reply(vec![read(20, b"552 5.3.4 too big\r\n")]);
        assert_eq!(ids(&check(&a, &ctx())), vec!["data-rejected"]);
        let mut a = with_dot_reply(vec![ev(
            1000,
            EventKind::Timeout {
                stage: Stage::Dot,
                waited_ms: 990,
            },
        )]);
        assert_eq!(a.data.as_ref().unwrap().dot_reply, None);
        a.outcome = Outcome::Timeout;
        a.failed_stage = Some(Stage::Dot);
        assert_eq!(ids(&check(&a, &ctx())), vec!["dot-timeout"]);
    }

    #[test]
    fn data_facts_come_from_the_events() {
        let a = with_dot_reply(vec![read(20, b"250 2.0.0 Ok: queued as 4XyZ1\r\n")]);
        let d = a.data.as_ref().unwrap();
        assert_eq!(d.data_reply, Some(1));
        assert_eq!(d.dot_reply, Some(2));
        assert_eq!(d.dot_code, Some(250));
        assert_eq!(d.queue_id.as_deref(), Some("4XyZ1"));
        assert_eq!(d.bytes_sent, 25, "content and the final dot");
        assert_eq!(d.content_bytes, 21, "the content as given");
        assert_eq!(d.dot_written_us, Some(10_000));
        assert_eq!(d.dot_reply_ms, Some(10.0));
        assert_eq!(d.slowest_block_ms, Some(1.0));
        assert_eq!(d.not_sent, None);
    }

    #[test]
    fn a_message_not_sent_is_a_finding() {
        use crate::record::decision::NotSent;
        let a = attempt(vec![
            read(1, b"220 mx\r\n"),
            ev(
                2,
                EventKind::MessageNotSent {
                    reason: NotSent::OverSizeLimit {
                        size: 200_000,
                        limit: 100_000,
                    },
                },
            ),
        ]);
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["data-not-sent"]);
        assert!(f[0].detail.contains("SIZE 100000"), "{}", f[0].detail);
        assert_eq!(
            f[0].anchor,
            Anchor::Event(3),
            "after connect, connected and the greeting"
        );
        let d = DataResult::from_record(&a.record).unwrap();
        assert!(d.not_sent.unwrap().contains("not sent"));
        // No recipient accepted: the RCPT findings say it, not this one.
        let a = attempt(vec![ev(
            2,
            EventKind::MessageNotSent {
                reason: NotSent::NoRecipientAccepted,
            },
        )]);
        assert!(check(&a, &ctx()).is_empty());
    }

    #[test]
    fn no_reply_to_data_is_a_reply_timeout() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Data, b"DATA\r\n"),
            ev(
                1002,
                EventKind::Timeout {
                    stage: Stage::Data,
                    waited_ms: 1000,
                },
            ),
        ]);
        a.data = DataResult::from_record(&a.record);
        a.outcome = Outcome::Timeout;
        a.failed_stage = Some(Stage::Data);
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["reply-timeout"]);
        assert!(f[0].summary.contains("DATA"), "{}", f[0].summary);
        // The final dot's silence is dot-timeout, not this.
        let mut a = with_dot_reply(vec![ev(
            1000,
            EventKind::Timeout {
                stage: Stage::Dot,
                waited_ms: 990,
            },
        )]);
        a.outcome = Outcome::Timeout;
        a.failed_stage = Some(Stage::Dot);
        assert_eq!(ids(&check(&a, &ctx())), vec!["dot-timeout"]);
    }
}
