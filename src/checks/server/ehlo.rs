//! EHLO and HELO (RFC 5321 §4.1.1.1, §4.1.4; RFC 1870; RFC 2034): fallback to HELO, PIX
//! mangling, failure codes, extensions in a HELO reply, small SIZE, malformed enhanced codes and
//! codes that do not fit their command.

use super::greeting::is_pix_mask;
use crate::checks::Finding;
use crate::checks::{reply_anchor, reply_text, reply_wire};
use crate::record::Stage;
use crate::record::attempt::Attempt;

/// Codes RFC 5321 allows for a refused EHLO (§4.1.1.1, §4.3.2, §3.2: 500/502 for servers that
/// do not know EHLO), plus 421 (closing).
const EHLO_FAILURE_CODES: [u16; 6] = [500, 501, 502, 504, 550, 421];

/// SIZE below this is flagged (RFC 1870 discourages tiny limits; 64K is the RFC 5321 minimum
/// message size a server must accept, §4.5.3.1.7).
pub const SMALL_SIZE: u64 = 64 * 1024;

/// EHLO findings.
pub fn check(a: &Attempt) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = Vec::new();
    if let Some(ri) = a.ehlo_refused {
        let r = &rec.replies[ri];
        let code = r.code.unwrap_or(0);
        let text = reply_text(rec, r);
        let greeting_masked = rec
            .replies
            .iter()
            .find(|g| g.stage == Stage::Greeting)
            .is_some_and(|g| is_pix_mask(&reply_text(rec, g)));
        if a.ehlo.as_ref().is_some_and(|e| e.verb == "HELO") {
            out.push(Finding::new(
                "ehlo-fallback",
                Stage::Ehlo,
                reply_anchor(r),
                format!("EHLO was refused with {code}; HELO was accepted"),
                format!(
                    "EHLO reply `{}`: without EHLO there is no STARTTLS, SIZE, PIPELINING or 8BITMIME",
                    reply_wire(rec, r)
                ),
            ));
        }
        if greeting_masked || text.contains("XXXX") {
            out.push(Finding::new(
                "pix-ehlo-mangled",
                Stage::Ehlo,
                reply_anchor(r),
                "EHLO looks mangled by a Cisco PIX/ASA SMTP fixup",
                format!(
                    "EHLO was answered `{}`{}",
                    reply_wire(rec, r),
                    if greeting_masked {
                        " after an asterisk-masked banner"
                    } else {
                        "; the firewall rewrites unknown commands to XXXX"
                    }
                ),
            ));
        }
        if !EHLO_FAILURE_CODES.contains(&code) {
            out.push(Finding::new(
                "ehlo-bad-failure-code",
                Stage::Ehlo,
                reply_anchor(r),
                format!("EHLO refused with {code}, not a code RFC 5321 allows for it"),
                format!(
                    "reply `{}`; clients fall back to HELO only on 500/501/502/504/550",
                    reply_wire(rec, r)
                ),
            ));
        }
    }
    if let Some(e) = &a.ehlo
        && e.verb == "HELO"
    {
        let r = &rec.replies[e.reply];
        if rec.reply_lines(r).len() > 1 {
            out.push(Finding::new(
                "helo-extended",
                Stage::Helo,
                reply_anchor(r),
                "HELO answered with a multi-line extension list",
                format!(
                    "reply `{}`; HELO must be answered by a single 250 line",
                    reply_wire(rec, r)
                ),
            ));
        }
    }
    for e in [&a.ehlo_plain, &a.ehlo].into_iter().flatten() {
        if let Some(Some(size)) = e.caps().size()
            && size > 0
            && size < SMALL_SIZE
        {
            out.push(Finding::new(
                "ext-size-small",
                Stage::Ehlo,
                reply_anchor(&rec.replies[e.reply]),
                format!("SIZE limit of {size} bytes is below 64 KiB"),
                "messages larger than this are refused; RFC 5321 §4.5.3.1.7 expects at least 64K octets".to_string(),
            ));
            break;
        }
    }
    if let Some(e) = &a.ehlo
        && e.caps().has("ENHANCEDSTATUSCODES")
    {
        let from = e.reply + 1;
        for r in rec.replies.iter().skip(from) {
            if matches!(
                r.stage,
                Stage::Ehlo | Stage::Helo | Stage::Greeting | Stage::Tls
            ) || r.unsolicited
            {
                continue;
            }
            let Some(code) = r.code else { continue };
            let text = reply_text(rec, r);
            // 3xx replies have no enhanced-code class (RFC 3463); a reply without text is
            // already a reply-bare-code finding.
            if (300..400).contains(&code) || text.trim().is_empty() {
                continue;
            }
            if !enhanced_code_ok(code, &text) {
                out.push(Finding::new(
                    "ext-enhancedcodes-malformed",
                    r.stage.clone(),
                    reply_anchor(r),
                    "ENHANCEDSTATUSCODES advertised, but a reply lacks a matching enhanced code",
                    format!(
                        "reply `{}`; RFC 2034 wants `class.subject.detail` with the class equal to the reply's first digit",
                        reply_wire(rec, r)
                    ),
                ));
                break;
            }
        }
        out.extend(super::enhanced::mismatches(a, from));
    }
    out
}

/// Whether a reply text starts with an enhanced status code `c.s.d` whose class matches the
/// reply code (RFC 3463 syntax: class 2, 4 or 5; subject and detail 1-3 digits).
pub fn enhanced_code_ok(code: u16, text: &str) -> bool {
    let Some(first) = text.split_ascii_whitespace().next() else {
        return false;
    };
    let parts: Vec<&str> = first.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].len() == 1
        && parts[0].parse::<u16>().ok() == Some(code / 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::record::attempt::EhloResult;
    use crate::wire::ehlo::Capabilities;

    fn ehlo_of(a: &Attempt, verb: &'static str, reply: usize) -> EhloResult {
        let rec = &a.record;
        let texts: Vec<String> = rec
            .reply_lines(&rec.replies[reply])
            .iter()
            .map(|l| l.text())
            .collect();
        let caps = Capabilities::parse(texts.iter().map(String::as_str));
        EhloResult {
            verb,
            server_name: caps.server_name,
            capabilities: caps.capabilities,
            reply,
            tls: false,
        }
    }

    #[test]
    fn pix_fallback() {
        let mut a = attempt(vec![
            read(1, b"220 ******************************\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"500 5.5.1 Command unrecognized: \"XXXX me\"\r\n"),
            write(4, Stage::Ehlo, b"HELO me\r\n"),
            read(5, b"250 mx\r\n"),
        ]);
        a.ehlo_refused = Some(1);
        a.ehlo = Some(ehlo_of(&a, "HELO", 2));
        assert_eq!(ids(&check(&a)), vec!["ehlo-fallback", "pix-ehlo-mangled"]);
    }

    #[test]
    fn bad_failure_code_and_extended_helo() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"554 no\r\n"),
            write(4, Stage::Ehlo, b"HELO me\r\n"),
            read(5, b"250-mx\r\n250 PIPELINING\r\n"),
        ]);
        a.ehlo_refused = Some(1);
        a.ehlo = Some(ehlo_of(&a, "HELO", 2));
        assert_eq!(
            ids(&check(&a)),
            vec!["ehlo-fallback", "ehlo-bad-failure-code", "helo-extended"]
        );
    }

    #[test]
    fn small_size_and_enhanced_codes() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250-mx\r\n250-SIZE 1000\r\n250 ENHANCEDSTATUSCODES\r\n"),
            write(4, Stage::Mail, b"MAIL FROM:<>\r\n"),
            read(5, b"250 2.1.0 Ok\r\n"),
            write(6, Stage::Rcpt, b"RCPT TO:<a@b>\r\n"),
            read(7, b"250 Ok\r\n"),
        ]);
        a.ehlo = Some(ehlo_of(&a, "EHLO", 1));
        let f = check(&a);
        assert_eq!(
            ids(&f),
            vec!["ext-size-small", "ext-enhancedcodes-malformed"]
        );
        assert_eq!(f[1].stage, Stage::Rcpt);
    }

    /// Regression: `250 2.1.5` (a recipient's status) to MAIL was not flagged.
    #[test]
    fn enhanced_code_that_does_not_fit_its_command() {
        let events = |mail_reply: &[u8]| {
            vec![
                read(1, b"220 mx\r\n"),
                write(2, Stage::Ehlo, b"EHLO me\r\n"),
                read(
                    3,
                    b"250-mx\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n",
                ),
                write(4, Stage::Mail, b"MAIL FROM:<>\r\n"),
                read(5, mail_reply),
                write(6, Stage::Rcpt, b"RCPT TO:<a@b>\r\n"),
                read(7, b"250 2.1.5 Ok\r\n"),
                write(8, Stage::Quit, b"RSET\r\nQUIT\r\n"),
                read(9, b"250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"),
            ]
        };
        let mut a = attempt(events(b"250 2.1.5 Ok\r\n"));
        a.ehlo = Some(ehlo_of(&a, "EHLO", 1));
        let f = check(&a);
        assert_eq!(ids(&f), vec!["ext-enhancedcodes-mismatch"]);
        assert_eq!(f[0].stage, Stage::Mail);
        assert!(f[0].summary.contains("MAIL"), "{}", f[0].summary);
        assert!(
            f[0].detail.contains("Destination address valid"),
            "{}",
            f[0].detail
        );
        // Postfix's own replies, RSET and QUIT answered in one group, pass.
        let mut a = attempt(events(b"250 2.1.0 Ok\r\n"));
        a.ehlo = Some(ehlo_of(&a, "EHLO", 1));
        assert!(check(&a).is_empty());
        // Without ENHANCEDSTATUSCODES nothing is promised.
        let mut a = attempt(events(b"250 2.1.5 Ok\r\n"));
        a.record.events[4] = read(3, b"250-mx\r\n250 PIPELINING\r\n");
        a.record = crate::record::Record::replay(a.record.events.clone());
        a.ehlo = Some(ehlo_of(&a, "EHLO", 1));
        assert!(check(&a).is_empty());
    }

    #[test]
    fn enhanced_code_table() {
        assert!(enhanced_code_ok(250, "2.1.0 Ok"));
        assert!(enhanced_code_ok(550, "5.1.1 <a@b>: unknown"));
        assert!(!enhanced_code_ok(250, "5.0.0 Ok"));
        assert!(!enhanced_code_ok(250, "2.1 Ok"));
        assert!(!enhanced_code_ok(250, "Ok"));
    }
}
