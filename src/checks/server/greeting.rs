//! The greeting (RFC 5321 §4.2, §4.3.1, §4.5.3.2): timeout, slowness, refusal codes, lines split
//! across TCP reads, multi-line teasers, missing domain and Cisco PIX/ASA banner masking.

use crate::checks::{Anchor, Finding};
use crate::checks::{CheckContext, ms, reply_anchor, reply_wire};
use crate::record::Stage;
use crate::record::attempt::{Attempt, Outcome};
use crate::record::{EventKind, Record, ReplyRecord};
use crate::wire::escape::escape_bytes;

/// Whether a greeting text looks like a Cisco PIX/ASA SMTP fixup mask: only `*`, `2`, `0` and
/// spaces, with a run of asterisks.
pub fn is_pix_mask(text: &str) -> bool {
    text.contains("***") && text.chars().all(|c| matches!(c, '*' | '2' | '0' | ' '))
}

/// Time the TCP connect finished, µs.
pub(crate) fn connected_us(rec: &Record) -> u64 {
    rec.events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Connected { .. }))
        .map_or(0, |e| e.at_us)
}

/// Greeting findings.
pub fn check(a: &Attempt, ctx: &CheckContext) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = timed_out(a);
    let Some(g) = rec.replies.iter().find(|r| r.stage == Stage::Greeting) else {
        return out;
    };
    out.extend(slow(rec, g, ctx));
    out.extend(refusal(rec, g));
    out.extend(fragmented(rec, g));
    out.extend(multiline(rec, g));
    out.extend(text(rec, g));
    out
}

/// `greeting-timeout`, with what arrived of the greeting.
fn timed_out(a: &Attempt) -> Vec<Finding> {
    let mut out = Vec::new();
    let rec = &a.record;
    if a.failed_stage == Some(Stage::Greeting) && a.outcome == Outcome::Timeout {
        let ev = rec
            .events
            .iter()
            .rposition(|e| matches!(e.kind, EventKind::Timeout { .. }));
        let partial: Vec<u8> = rec
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Read { bytes, .. } => Some(bytes.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .take(200)
            .collect();
        let detail = if partial.is_empty() {
            "connected, but no byte of a greeting arrived".to_string()
        } else {
            format!(
                "only a partial greeting arrived: `{}`",
                escape_bytes(&partial)
            )
        };
        out.push(Finding::new(
            "greeting-timeout",
            Stage::Greeting,
            ev.map_or(Anchor::None, Anchor::Event),
            "no complete greeting before the timeout",
            detail,
        ));
    }
    out
}
/// `greeting-slow`: from connect to the complete greeting.
fn slow(rec: &Record, g: &ReplyRecord, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let took = g.completed_at_us.saturating_sub(connected_us(rec));
    if took > ctx.slow.as_micros() as u64 {
        out.push(Finding::new(
            "greeting-slow",
            Stage::Greeting,
            reply_anchor(g),
            format!("the greeting took {} after connect", ms(took)),
            format!(
                "threshold {}; slow banners usually come from reverse-DNS or ident lookups, or deliberate delays",
                humantime::format_duration(ctx.slow)
            ),
        ));
    }
    out
}
/// `greeting-554` and `greeting-421`.
fn refusal(rec: &Record, g: &ReplyRecord) -> Vec<Finding> {
    let mut out = Vec::new();
    match g.code {
        Some(554) => out.push(Finding::new(
            "greeting-554",
            Stage::Greeting,
            reply_anchor(g),
            "the server refuses service in its greeting (554)",
            format!("greeting was `{}`", reply_wire(rec, g)),
        )),
        Some(421) => out.push(Finding::new(
            "greeting-421",
            Stage::Greeting,
            reply_anchor(g),
            "the server is unavailable (421 greeting)",
            format!("greeting was `{}`", reply_wire(rec, g)),
        )),
        _ => {}
    }
    out
}
/// `greeting-fragmented`: the first greeting line split across TCP reads.
fn fragmented(rec: &Record, g: &ReplyRecord) -> Vec<Finding> {
    let mut out = Vec::new();
    let lines = rec.reply_lines(g);
    for (i, l) in lines.iter().enumerate() {
        if !l.spans_reads() {
            continue;
        }
        let pieces: Vec<String> = l
            .reads
            .iter()
            .map(|&r| {
                let at = rec.at_us(r);
                let n = match &rec.events[r].kind {
                    EventKind::Read { len, .. } => *len,
                    _ => 0,
                };
                format!("read at {} ({n} bytes)", ms(at))
            })
            .collect();
        out.push(Finding::new(
            "greeting-fragmented",
            Stage::Greeting,
            Anchor::Line(g.first_line + i),
            format!("greeting line arrived in {} TCP reads", l.reads.len()),
            format!(
                "line `{}` at offset {} was split: {}; a client that takes one read as one reply sees an incomplete line",
                escape_bytes(&l.raw()),
                l.offset,
                pieces.join(", then ")
            ),
        ));
        break;
    }
    out
}
/// `greeting-multiline`: a teaser line before the final one.
fn multiline(rec: &Record, g: &ReplyRecord) -> Vec<Finding> {
    let mut out = Vec::new();
    let lines = rec.reply_lines(g);
    if lines.len() > 1 {
        let teaser = rec.at_us(lines[0].last_read);
        let last = rec.at_us(lines[lines.len() - 1].last_read);
        out.push(Finding::new(
            "greeting-multiline",
            Stage::Greeting,
            reply_anchor(g),
            if g.dropped_lines > 0 {
                format!(
                    "multi-line greeting ({} lines, {} of them kept)",
                    lines.len() + g.dropped_lines,
                    lines.len()
                )
            } else {
                format!("multi-line greeting ({} lines)", lines.len())
            },
            format!(
                "first line at {}, last line {} later; postscreen-style teasers catch clients that talk too early",
                ms(teaser),
                ms(last.saturating_sub(teaser))
            ),
        ));
    }
    out
}
/// `pix-banner` and `greeting-syntax`: what the 220 line says.
fn text(rec: &Record, g: &ReplyRecord) -> Vec<Finding> {
    let mut out = Vec::new();
    let lines = rec.reply_lines(g);
    if g.code == Some(220) {
        let text = lines.last().map(|l| l.text()).unwrap_or_default();
        if is_pix_mask(&text) {
            out.push(Finding::new(
                "pix-banner",
                Stage::Greeting,
                reply_anchor(g),
                "greeting text masked with asterisks (Cisco PIX/ASA SMTP fixup)",
                format!("greeting was `{}`", reply_wire(rec, g)),
            ));
        } else if text.split_ascii_whitespace().next().is_none() {
            out.push(Finding::new(
                "greeting-syntax",
                Stage::Greeting,
                reply_anchor(g),
                "the greeting does not name the server's domain",
                format!(
                    "greeting was `{}`; RFC 5321 §4.2 wants `220 domain text`",
                    reply_wire(rec, g)
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

    fn ctx() -> CheckContext {
        CheckContext::default()
    }

    #[test]
    fn clean_greeting() {
        let a = attempt(vec![read(5, b"220 mx.example.test ESMTP\r\n")]);
        assert!(check(&a, &ctx()).is_empty());
    }

    #[test]
    fn fragmented_greeting_names_both_reads() {
        let a = attempt(vec![read(2, b"220 smtp.tele.fi "), read(150, b"ESMTP\r\n")]);
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["greeting-fragmented"]);
        assert!(f[0].detail.contains("2.0 ms"), "{}", f[0].detail);
        assert!(f[0].detail.contains("150.0 ms"), "{}", f[0].detail);
    }

    /// Regression: a greeting of a million lines was reported with the count of the lines kept.
    #[test]
    fn multiline_count_includes_lines_beyond_the_limit() {
        let mut a = attempt(vec![read(2, b"220-a\r\n220-b\r\n220 mx.example\r\n")]);
        a.record.replies[0].dropped_lines = 999_998;
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["greeting-multiline"]);
        assert_eq!(
            f[0].summary,
            "multi-line greeting (1000001 lines, 3 of them kept)"
        );
    }

    #[test]
    fn multiline_in_separate_reads_is_not_fragmentation() {
        let a = attempt(vec![
            read(2, b"220-mx.example\r\n"),
            read(900, b"220 mx.example\r\n"),
        ]);
        assert_eq!(ids(&check(&a, &ctx())), vec!["greeting-multiline"]);
    }

    #[test]
    fn refusals_and_slowness() {
        let a = attempt(vec![read(6000, b"554 5.7.1 go away\r\n")]);
        assert_eq!(
            ids(&check(&a, &ctx())),
            vec!["greeting-slow", "greeting-554"]
        );
        let a = attempt(vec![read(1, b"421 busy\r\n")]);
        assert_eq!(ids(&check(&a, &ctx())), vec!["greeting-421"]);
    }

    #[test]
    fn pix_banner_and_missing_domain() {
        let a = attempt(vec![read(
            1,
            b"220 ****************************2*0*0***\r\n",
        )]);
        assert_eq!(ids(&check(&a, &ctx())), vec!["pix-banner"]);
        let a = attempt(vec![read(1, b"220 \r\n")]);
        assert_eq!(ids(&check(&a, &ctx())), vec!["greeting-syntax"]);
        assert!(!is_pix_mask("mx.example.com ESMTP"));
    }

    #[test]
    fn timeout_reports_partial_bytes() {
        let mut a = attempt(vec![
            read(1, b"220 mx"),
            ev(
                1000,
                EventKind::Timeout {
                    stage: Stage::Greeting,
                    waited_ms: 1000,
                },
            ),
        ]);
        a.outcome = Outcome::Timeout;
        a.failed_stage = Some(Stage::Greeting);
        let f = check(&a, &ctx());
        assert_eq!(ids(&f), vec!["greeting-timeout"]);
        assert!(f[0].detail.contains("`220 mx`"), "{}", f[0].detail);
    }
}
