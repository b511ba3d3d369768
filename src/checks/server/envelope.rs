//! MAIL, RCPT and QUIT replies (RFC 5321 §4.5.5 null reverse-path, §4.5.1 postmaster, §4.1.1.10
//! QUIT), greylisting and postscreen recognised as the temporary failures they are.

use crate::checks::Finding;
use crate::checks::{command_of, path_of, reply_anchor, reply_text, reply_wire};
use crate::record::Stage;
use crate::record::attempt::Attempt;

/// Whether a temporary failure reads as greylisting (Postgrey, Postfix policy services, Exim,
/// milter-greylist, Rspamd): one of the catalog's greylisting wordings.
pub fn is_greylisting(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    crate::knowledge::catalog::GREYLISTING_WORDINGS
        .iter()
        .any(|p| t.contains(&p.to_ascii_lowercase()))
}

/// Whether a 450 reads as postscreen's "after tests" deferral.
pub fn is_postscreen_after_tests(code: u16, text: &str) -> bool {
    code == 450
        && text
            .to_ascii_lowercase()
            .starts_with(&crate::knowledge::catalog::POSTSCREEN_WORDING.to_ascii_lowercase())
}

/// Envelope findings.
pub fn check(a: &Attempt) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = Vec::new();
    // In a pipelined group RCPT follows a refused MAIL; its "503 need MAIL" is no verdict.
    let mut mail_refused = false;
    for r in rec.replies.iter().filter(|r| !r.unsolicited) {
        let Some(code) = r.code else { continue };
        match r.stage {
            Stage::Mail => mail_refused = code >= 400,
            Stage::Rcpt if mail_refused => continue,
            _ => {}
        }
        let text = reply_text(rec, r);
        let wire = reply_wire(rec, r);
        match r.stage {
            Stage::Mail if code >= 500 => {
                let tls_required = a.tls.is_none()
                    && (code == 530 || text.to_ascii_uppercase().contains("STARTTLS"));
                if !tls_required {
                    let from = path_of(command_of(rec, r));
                    let shown = if from.is_empty() {
                        "<>".to_string()
                    } else {
                        format!("<{from}>")
                    };
                    out.push(Finding::new(
                        "mail-rejected",
                        Stage::Mail,
                        reply_anchor(r),
                        format!("MAIL FROM:{shown} was rejected with {code}"),
                        format!("reply `{wire}`"),
                    ));
                }
            }
            Stage::Mail if code >= 400 => out.push(Finding::new(
                "mail-deferred",
                Stage::Mail,
                reply_anchor(r),
                format!("MAIL FROM was deferred with {code}"),
                format!("reply `{wire}`"),
            )),
            Stage::Rcpt if code >= 400 => {
                let to = path_of(command_of(rec, r));
                let postmaster = to
                    .split('@')
                    .next()
                    .is_some_and(|l| l.eq_ignore_ascii_case("postmaster"));
                let (id, summary) = if code >= 500 && postmaster {
                    (
                        "postmaster-rejected",
                        format!("RCPT TO:<{to}> was rejected with {code}: postmaster must exist"),
                    )
                } else if code >= 500 {
                    (
                        "rcpt-rejected",
                        format!("RCPT TO:<{to}> was rejected with {code}"),
                    )
                } else if is_postscreen_after_tests(code, &text) {
                    (
                        "postscreen-after-tests",
                        format!("RCPT TO:<{to}> deferred by postscreen after its tests"),
                    )
                } else if is_greylisting(&text) {
                    (
                        "greylisted",
                        format!("RCPT TO:<{to}> was greylisted ({code})"),
                    )
                } else {
                    (
                        "rcpt-deferred",
                        format!("RCPT TO:<{to}> was deferred with {code}"),
                    )
                };
                out.push(Finding::new(
                    id,
                    Stage::Rcpt,
                    reply_anchor(r),
                    summary,
                    format!("reply `{wire}`"),
                ));
            }
            _ => {}
        }
    }
    if a.quit_sent {
        let quit_reply = a.quit_reply.and_then(|i| rec.replies.get(i));
        match quit_reply.and_then(|r| r.code) {
            Some(221) => {}
            Some(code) => out.push(Finding::new(
                "quit-no-221",
                Stage::Quit,
                reply_anchor(quit_reply.expect("code implies reply")),
                format!("QUIT was answered with {code}, not 221"),
                format!("reply `{}`", reply_wire(rec, quit_reply.expect("code implies reply"))),
            )),
            None => out.push(Finding::new(
                "quit-no-221",
                Stage::Quit,
                crate::checks::finding::Anchor::None,
                "QUIT got no 221 reply",
                "the server closed the connection (or stayed silent) instead of answering QUIT with 221",
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    fn envelope(rcpt_reply: &[u8]) -> Attempt {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(3, b"250 2.1.0 Ok\r\n"),
            write(4, Stage::Rcpt, b"RCPT TO:<postmaster@example.test>\r\n"),
            read(5, rcpt_reply),
            write(6, Stage::Quit, b"QUIT\r\n"),
            read(7, b"221 2.0.0 Bye\r\n"),
        ]);
        a.quit_sent = true;
        a.quit_reply = Some(3);
        a
    }

    #[test]
    fn accepted_envelope_is_clean() {
        assert!(check(&envelope(b"250 2.1.5 Ok\r\n")).is_empty());
    }

    #[test]
    fn rcpt_reply_classes() {
        let cases: &[(&[u8], &str)] = &[
            (b"550 5.1.1 unknown\r\n", "postmaster-rejected"),
            (b"450 4.2.0 <x>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/x.html\r\n", "greylisted"),
            (b"450 4.3.2 Service currently unavailable\r\n", "postscreen-after-tests"),
            (b"451 4.3.0 temporary failure\r\n", "rcpt-deferred"),
        ];
        for (reply, id) in cases {
            assert_eq!(ids(&check(&envelope(reply))), vec![*id]);
        }
    }

    #[test]
    fn mail_rejected_and_quit_without_221() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(3, b"550 5.7.1 no bounces\r\n"),
            write(6, Stage::Quit, b"QUIT\r\n"),
        ]);
        a.quit_sent = true;
        assert_eq!(ids(&check(&a)), vec!["mail-rejected", "quit-no-221"]);
    }
}
