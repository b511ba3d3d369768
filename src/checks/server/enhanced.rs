//! Enhanced status codes whose subject does not fit the command they answer (RFC 3463 §3, the
//! IANA registry of RFC 5248): `250 2.1.5` ("Destination address valid") to MAIL, a sender's
//! status to RCPT, an address status to the final dot.
//!
//! Only positive replies are judged: a refusal may rightly name any subject (policy X.7, system
//! X.3, network X.4, protocol X.5, size X.3.4 on MAIL), while a success says what succeeded. The
//! table only names what cannot fit, so every wording of Postfix, Sendmail, OpenSMTPD, Exchange
//! and Gmail passes (Exim does not advertise ENHANCEDSTATUSCODES).

use crate::checks::{Finding, reply_anchor, reply_wire, written};
use crate::record::attempt::Attempt;
use crate::record::{ReplyRecord, Stage};

/// An enhanced status code `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u16,
    /// RFC 3463 §3: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network and routing,
    /// 5 mail delivery protocol, 6 message content, 7 security or policy.
    pub subject: u16,
    /// The detail within the subject.
    pub detail: u16,
}

impl EnhancedCode {
    /// The code at the start of a reply text (after the reply code), if there is one.
    pub fn parse(text: &str) -> Option<EnhancedCode> {
        let first = text.split_ascii_whitespace().next()?;
        let mut parts = first.split('.');
        let mut num = |max: usize| {
            parts
                .next()
                .filter(|p| {
                    !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
                })
                .and_then(|p| p.parse::<u16>().ok())
        };
        let code = EnhancedCode {
            class: num(1)?,
            subject: num(3)?,
            detail: num(3)?,
        };
        parts.next().is_none().then_some(code)
    }
}

impl std::fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The RFC 3463 name of a subject.
pub fn subject_name(subject: u16) -> &'static str {
    match subject {
        0 => "Other or Undefined Status",
        1 => "Addressing Status",
        2 => "Mailbox Status",
        3 => "Mail System Status",
        4 => "Network and Routing Status",
        5 => "Mail Delivery Protocol Status",
        6 => "Message Content or Media Status",
        7 => "Security or Policy Status",
        _ => "an unregistered subject",
    }
}

/// The RFC 3463 (and RFC 3886, RFC 7505) name of an addressing detail `X.1.d`.
fn address_detail(detail: u16) -> Option<&'static str> {
    Some(match detail {
        0 => "Other address status",
        1 => "Bad destination mailbox address",
        2 => "Bad destination system address",
        3 => "Bad destination mailbox address syntax",
        4 => "Destination mailbox address ambiguous",
        5 => "Destination address valid",
        6 => "Destination mailbox has moved",
        7 => "Bad sender's mailbox address syntax",
        8 => "Bad sender's system address",
        9 => "Message relayed to non-compliant mailer",
        10 => "Recipient address has null MX",
        _ => return None,
    })
}

/// The commands whose positive replies are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// The final dot.
    Dot,
    /// RSET.
    Rset,
    /// NOOP.
    Noop,
    /// QUIT.
    Quit,
}

impl Answered {
    fn name(self) -> &'static str {
        match self {
            Answered::Mail => "MAIL",
            Answered::Rcpt => "RCPT",
            Answered::Dot => "the final dot",
            Answered::Rset => "RSET",
            Answered::Noop => "NOOP",
            Answered::Quit => "QUIT",
        }
    }

    /// What a positive reply to the command is about, for the detail.
    fn expected(self) -> &'static str {
        match self {
            Answered::Mail => "a sender's status is X.1.0 (or X.0.0)",
            Answered::Rcpt => "a recipient's status is X.1.5 (or X.1.0, X.0.0)",
            Answered::Dot => "an accepted message is X.0.0 (or X.6.x, content)",
            Answered::Rset | Answered::Noop | Answered::Quit => "it is X.0.0",
        }
    }
}

/// Why a positive code cannot answer `cmd`, or `None` when it may.
pub fn misfit(cmd: Answered, code: EnhancedCode) -> Option<String> {
    if code.class != 2 {
        return None;
    }
    let destination = matches!(code.detail, 1..=6 | 10);
    let sender = matches!(code.detail, 7 | 8);
    let what = match (cmd, code.subject) {
        (Answered::Mail, 1) if destination => "a recipient's address status",
        (Answered::Rcpt, 1) if sender => "a sender's address status",
        (Answered::Mail, 2) => "a recipient's mailbox status",
        (Answered::Mail | Answered::Rcpt, 6) => "message content, which has not been sent yet",
        (Answered::Dot, 1) => "an address, which the end of the message does not judge",
        (Answered::Rset | Answered::Noop | Answered::Quit, 1 | 2 | 6) => {
            "an address, a mailbox or content, which the command has none of"
        }
        _ => return None,
    };
    let name = match code.subject {
        1 => address_detail(code.detail).unwrap_or("Addressing Status"),
        s => subject_name(s),
    };
    Some(format!(
        "X.{}.{} (\"{name}\") is about {what}; {}",
        code.subject,
        code.detail,
        cmd.expected()
    ))
}

/// The command a reply answers: the line of its write in the order of the replies to that write.
fn answered(a: &Attempt, r: &ReplyRecord) -> Option<Answered> {
    let rec = &a.record;
    let event = r.command_event?;
    let bytes = written(rec, event);
    if r.stage == Stage::Dot {
        return Some(Answered::Dot);
    }
    if r.stage == Stage::Data {
        return (!bytes
            .get(..4)
            .is_some_and(|v| v.eq_ignore_ascii_case(b"DATA")))
        .then_some(Answered::Dot);
    }
    let nth = rec
        .replies
        .iter()
        .take_while(|x| !std::ptr::eq(*x, r))
        .filter(|x| x.command_event == Some(event))
        .count();
    let line = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .nth(nth)?;
    let verb = line.get(..4)?.to_ascii_uppercase();
    match &verb[..] {
        b"MAIL" => Some(Answered::Mail),
        b"RCPT" => Some(Answered::Rcpt),
        b"RSET" => Some(Answered::Rset),
        b"NOOP" => Some(Answered::Noop),
        b"QUIT" => Some(Answered::Quit),
        _ => None,
    }
}

/// `ext-enhancedcodes-mismatch`: positive replies, after the EHLO reply at `from`, whose
/// enhanced code does not fit their command; one finding per command at most.
pub fn mismatches(a: &Attempt, from: usize) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for r in rec.replies.iter().skip(from) {
        if r.unsolicited || !r.code.is_some_and(|c| (200..300).contains(&c)) {
            continue;
        }
        let Some(code) = EnhancedCode::parse(&crate::checks::reply_text(rec, r)) else {
            continue;
        };
        let Some(cmd) = answered(a, r) else { continue };
        if seen.contains(&cmd) {
            continue;
        }
        if let Some(why) = misfit(cmd, code) {
            seen.push(cmd);
            out.push(Finding::new(
                "ext-enhancedcodes-mismatch",
                r.stage.clone(),
                reply_anchor(r),
                format!(
                    "{} was answered with enhanced code {code}, which does not fit it",
                    cmd.name()
                ),
                format!(
                    "reply `{}`: {why} (RFC 3463 §3, RFC 5248)",
                    reply_wire(rec, r)
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> EnhancedCode {
        EnhancedCode::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn parsing() {
        assert_eq!(
            code("2.1.5 Ok"),
            EnhancedCode {
                class: 2,
                subject: 1,
                detail: 5
            }
        );
        assert_eq!(code("5.1.10 null MX").detail, 10);
        for bad in [
            "2.1 Ok",
            "Ok",
            "",
            "2.1.5.1 x",
            "22.1.5 x",
            "2.x.5 x",
            "2.1.1234 x",
        ] {
            assert_eq!(EnhancedCode::parse(bad), None, "{bad:?}");
        }
    }

    /// Replies of real servers, positive ones: none is flagged.
    #[test]
    fn real_servers_pass() {
        use Answered::*;
        let real: &[(Answered, &str)] = &[
            // Postfix
            (Mail, "2.1.0 Ok"),
            (Rcpt, "2.1.5 Ok"),
            (Dot, "2.0.0 Ok: queued as 4Xz1qL0abcz9"),
            (Rset, "2.0.0 Ok"),
            (Noop, "2.0.0 Ok"),
            (Quit, "2.0.0 Bye"),
            // OpenSMTPD
            (Mail, "2.0.0 Ok"),
            (Rcpt, "2.1.5 Destination address valid: Recipient ok"),
            (Dot, "2.0.0 4f1c2b3a Message accepted for delivery"),
            (Rset, "2.0.0 Reset state"),
            (Quit, "2.0.0 Bye"),
            // Sendmail
            (Mail, "2.1.0 <>... Sender ok"),
            (Rcpt, "2.1.5 <postmaster@example.com>... Recipient ok"),
            (Dot, "2.0.0 5AMK1a2b003456 Message accepted for delivery"),
            (Rset, "2.0.0 Reset state"),
            (Quit, "2.0.0 mx.example.com closing connection"),
            // Exchange
            (Mail, "2.1.0 Sender OK"),
            (Rcpt, "2.1.5 Recipient OK"),
            (
                Dot,
                "2.6.0 <id@host> [InternalId=1, Hostname=EX01] Queued mail for delivery",
            ),
            (Rset, "2.0.0 Resetting"),
            (Quit, "2.0.0 Service closing transmission channel"),
            // Gmail
            (Mail, "2.1.0 OK x1-20020a.12 - gsmtp"),
            (Rcpt, "2.1.5 OK x1-20020a.12 - gsmtp"),
            (Dot, "2.0.0 OK  1700000000 x1-20020a.12 - gsmtp"),
            (Quit, "2.0.0 closing connection x1-20020a.12 - gsmtp"),
        ];
        for (cmd, text) in real {
            assert_eq!(misfit(*cmd, code(text)), None, "{cmd:?} {text}");
        }
    }

    #[test]
    fn misfits() {
        use Answered::*;
        for (cmd, text) in [
            (Mail, "2.1.5 Ok"),
            (Mail, "2.1.1 Ok"),
            (Mail, "2.2.0 Ok"),
            (Mail, "2.6.0 Ok"),
            (Rcpt, "2.1.7 Ok"),
            (Rcpt, "2.1.8 Ok"),
            (Dot, "2.1.5 Ok"),
            (Rset, "2.1.0 Ok"),
            (Quit, "2.6.0 Bye"),
        ] {
            let why = misfit(cmd, code(text)).unwrap_or_else(|| panic!("{cmd:?} {text}"));
            assert!(why.starts_with('X'), "{why}");
        }
        assert!(
            misfit(Mail, code("2.1.5 Ok"))
                .unwrap()
                .contains("Destination address valid")
        );
        // Refusals may name any subject.
        for text in [
            "5.1.1 unknown",
            "5.7.1 relay denied",
            "4.2.2 full",
            "5.3.4 too big",
        ] {
            assert_eq!(misfit(Mail, code(text)), None, "{text}");
            assert_eq!(misfit(Rcpt, code(text)), None, "{text}");
        }
    }
}
