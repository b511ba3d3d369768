//! Reply timing: replies slower than `--slow`, and replies later than the RFC 5321 §4.5.3.2
//! minimum timeout of their stage (a real MTA would have given up before they came).

use crate::checks::Finding;
use crate::checks::{CheckContext, ms, reply_anchor, reply_us};
use crate::record::Record;
use crate::record::Stage;

/// Timing findings for every solicited reply (the greeting's slowness is `greeting-slow`).
pub fn check(rec: &Record, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut slow_flagged = false;
    for r in rec.replies.iter().filter(|r| !r.unsolicited) {
        let took = if r.stage == Stage::Greeting {
            r.completed_at_us
                .saturating_sub(super::greeting::connected_us(rec))
        } else {
            reply_us(r)
        };
        if let Some(min) = r.stage.rfc_minimum()
            && took > min.as_micros() as u64
        {
            out.push(Finding::new(
                "timing-rfc-exceeded",
                r.stage.clone(),
                reply_anchor(r),
                format!(
                    "the {} reply took {}, beyond the RFC 5321 minimum timeout",
                    r.stage,
                    ms(took)
                ),
                format!(
                    "RFC 5321 §4.5.3.2 lets clients give up after {}; many do",
                    humantime::format_duration(min)
                ),
            ));
        }
        let reply_slow_applies = !matches!(r.stage, Stage::Greeting | Stage::Data | Stage::Dot);
        if reply_slow_applies && !slow_flagged && took > ctx.slow.as_micros() as u64 {
            slow_flagged = true;
            out.push(Finding::new(
                "reply-slow",
                r.stage.clone(),
                reply_anchor(r),
                format!("the {} reply took {}", r.stage, ms(took)),
                format!("threshold {}", humantime::format_duration(ctx.slow)),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn slow_rcpt_and_rfc_exceeded() {
        let a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Rcpt, b"RCPT TO:<a@b>\r\n"),
            read(2 + 301_000, b"250 ok\r\n"),
        ]);
        let f = check(&a.record, &CheckContext::default());
        assert_eq!(ids(&f), vec!["timing-rfc-exceeded", "reply-slow"]);
        assert_eq!(f[0].stage, Stage::Rcpt);
    }

    #[test]
    fn fast_replies_are_clean() {
        let a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Rcpt, b"RCPT TO:<a@b>\r\n"),
            read(30, b"250 ok\r\n"),
        ]);
        assert!(check(&a.record, &CheckContext::default()).is_empty());
    }
}
