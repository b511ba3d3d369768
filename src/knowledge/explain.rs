//! `smtpdoctor explain`: recognise a finding id or an MTA's queue/log error text and say what it means.
//!
//! Matching is token based, not regex based. The input and every pattern are lower-cased and cut into
//! tokens at each character that is not an ASCII letter, digit or `_` (a run of `*` is kept as the
//! token `***`, for masked Cisco banners). Timestamps, queue ids, host names and addresses around the
//! interesting words are therefore simply tokens that no pattern asks for.

use crate::knowledge::catalog::{self, Entry};
use serde::Serialize;

/// One wording of a known error: phrases that must occur in the input in this order.
///
/// Each phrase is a run of consecutive tokens. Inside a phrase, `*` matches any one token, `#` any
/// number, `#4xx` any three-digit number starting with 4 (likewise for the other digits), and
/// `word*` any token that starts with `word`. A phrase starting with `!` must not occur anywhere in
/// the input; it lets a general wording step aside for a more specific entry.
pub type Pattern = &'static [&'static str];

/// An MTA error text that `explain` recognises.
#[derive(Debug, Serialize)]
pub struct KnownError {
    /// Stable short name, e.g. `pmdf-zero-length-status`.
    pub key: &'static str,
    /// The MTA (or device) that writes this text.
    pub mta: &'static str,
    /// An example of the text as it appears in logs or bounces.
    ///
    /// For the Sun/Oracle Messaging Server `os_smtp_*` errors only the function name is stable
    /// across releases; the example shows that name and the matcher keys on it alone.
    pub example: &'static str,
    /// What the error means, in plain language.
    pub meaning: &'static str,
    /// Likely causes, most common first.
    pub causes: &'static [&'static str],
    /// Related finding ids (every one exists in [`catalog::ENTRIES`]).
    pub findings: &'static [&'static str],
    /// The smtpdoctor command that reproduces or investigates it.
    pub reproduce: &'static str,
    /// The wordings that identify this error; any one of them is enough.
    #[serde(skip)]
    pub patterns: &'static [Pattern],
}

/// The result of [`explain`].
#[derive(Debug)]
pub enum Explanation {
    /// The input is a finding id.
    Finding(&'static Entry),
    /// The input matches one or more known error texts, best match first.
    Known(Vec<&'static KnownError>),
    /// Nothing matched.
    Unknown,
}

/// Explains a finding id or an MTA error text (a bare message or a whole pasted log line).
pub fn explain(input: &str) -> Explanation {
    let id = input
        .trim()
        .trim_matches(|c: char| matches!(c, '`' | '"' | '\'' | '[' | ']' | '(' | ')' | ':'))
        .to_ascii_lowercase();
    if let Some(entry) = catalog::entry(&id) {
        return Explanation::Finding(entry);
    }
    let matches = match_known(input);
    if matches.is_empty() {
        Explanation::Unknown
    } else {
        Explanation::Known(matches)
    }
}

/// The codes of the replies found in `input` (none when the input is a finding id).
pub fn reply_codes(e: &Explanation, input: &str) -> Vec<crate::knowledge::codes::ReplyCodes> {
    match e {
        Explanation::Finding(_) => Vec::new(),
        _ => crate::knowledge::codes::find(input),
    }
}

/// Whether `explain` recognised the input: a finding id, a known wording, or a reply whose
/// codes it can explain (exit 0; else 1).
pub fn recognised(e: &Explanation, input: &str) -> bool {
    !matches!(e, Explanation::Unknown) || !reply_codes(e, input).is_empty()
}

/// Every known error whose wording occurs in `input`, best match first.
///
/// A match scores the number of literal tokens its phrases matched; an entry for the MTA that the
/// log line evidently comes from (`postfix/smtp[...]`, `sendmail[...]`, ...) gets a small bonus.
/// Ties keep table order.
pub fn match_known(input: &str) -> Vec<&'static KnownError> {
    let tokens = without_continuations(tokenize(input));
    let family = mta_family(&input.to_ascii_lowercase());
    let mut scored: Vec<(usize, usize, &'static KnownError)> = KNOWN_ERRORS
        .iter()
        .chain(super::policy::POLICY_KNOWN_ERRORS)
        .enumerate()
        .filter_map(|(i, known)| {
            let best = known
                .patterns
                .iter()
                .filter_map(|p| pattern_score(p, &tokens))
                .max()?;
            let mut bonus = match family {
                Some(f) if known.mta.contains(f) => 2,
                _ => 0,
            };
            // A provider's wording names the cause; the MTA's line around it (`said: 550 ...
            // in reply to end of DATA command`) only the stage.
            if super::known_errors::PROVIDERS.contains(&known.mta) {
                bonus += 10;
            }
            Some((best + bonus, i, known))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, k)| k).collect()
}

/// Drops the repeated reply codes of a multi-line reply (`550-5.7.26 ... 550-5.7.26 ...`, as
/// bounces quote them, often wrapped mid-sentence), so that a wording split across its lines
/// reads as one phrase. The first occurrence stays.
fn without_continuations(tokens: Vec<String>) -> Vec<String> {
    let is_code = |t: &str| {
        t.len() == 3
            && t.bytes().all(|b| b.is_ascii_digit())
            && (b'2'..=b'5').contains(&t.as_bytes()[0])
    };
    let is_num = |t: &str, max: usize| {
        !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit())
    };
    let mut seen: Vec<Vec<String>> = Vec::new();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if is_code(&tokens[i]) {
            let group_len = match tokens.get(i + 1..i + 4) {
                Some([c, s, d]) if is_num(c, 1) && is_num(s, 3) && is_num(d, 3) => 4,
                _ => 1,
            };
            let group = tokens[i..i + group_len].to_vec();
            if seen.contains(&group) {
                i += group_len;
                continue;
            }
            seen.push(group);
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// Lower-cases `text` and cuts it into tokens (see the module documentation).
fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut stars = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if stars {
                out.push("***".to_string());
                stars = false;
            }
            word.push(c.to_ascii_lowercase());
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if c == '*' {
                stars = true;
            } else if stars {
                out.push("***".to_string());
                stars = false;
            }
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    if stars {
        out.push("***".to_string());
    }
    out
}

/// One element of a compiled phrase.
#[derive(Debug)]
enum Tok {
    Word(String),
    Prefix(String),
    Any,
    Number,
    Code(char),
}

impl Tok {
    fn matches(&self, token: &str) -> bool {
        match self {
            Tok::Word(w) => w == token,
            Tok::Prefix(p) => token.starts_with(p.as_str()),
            Tok::Any => true,
            Tok::Number => token.bytes().all(|b| b.is_ascii_digit()),
            Tok::Code(first) => {
                token.len() == 3
                    && token.bytes().all(|b| b.is_ascii_digit())
                    && token.starts_with(*first)
            }
        }
    }

    /// How much a matched element says about the input: wildcards say nothing.
    fn weight(&self) -> usize {
        usize::from(!matches!(self, Tok::Any))
    }
}

fn compile_phrase(phrase: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    for word in phrase.split_whitespace() {
        let bytes = word.as_bytes();
        if word == "*" {
            out.push(Tok::Any);
        } else if word == "#" {
            out.push(Tok::Number);
        } else if bytes.len() == 4
            && bytes[0] == b'#'
            && bytes[1].is_ascii_digit()
            && &word[2..] == "xx"
        {
            out.push(Tok::Code(bytes[1] as char));
        } else if word.len() > 1 && word.ends_with('*') && !word.starts_with('*') {
            out.extend(
                tokenize(&word[..word.len() - 1])
                    .into_iter()
                    .map(Tok::Prefix),
            );
        } else {
            out.extend(tokenize(word).into_iter().map(Tok::Word));
        }
    }
    out
}

/// The end of the first occurrence of `phrase` in `tokens` at or after `from`.
fn find_phrase(phrase: &[Tok], tokens: &[String], from: usize) -> Option<usize> {
    if phrase.is_empty() {
        return Some(from);
    }
    let last_start = tokens.len().checked_sub(phrase.len())?;
    (from..=last_start)
        .find(|&start| {
            phrase
                .iter()
                .zip(&tokens[start..])
                .all(|(p, t)| p.matches(t))
        })
        .map(|start| start + phrase.len())
}

/// The score of `pattern` against `tokens`, or `None` when it does not match.
fn pattern_score(pattern: Pattern, tokens: &[String]) -> Option<usize> {
    let mut pos = 0;
    let mut score = 0;
    for phrase in pattern {
        if let Some(forbidden) = phrase.strip_prefix('!') {
            if find_phrase(&compile_phrase(forbidden), tokens, 0).is_some() {
                return None;
            }
            continue;
        }
        let compiled = compile_phrase(phrase);
        pos = find_phrase(&compiled, tokens, pos)?;
        score += compiled.iter().map(Tok::weight).sum::<usize>();
    }
    (score > 0).then_some(score)
}

/// Which MTA a log line evidently comes from, as a word that occurs in [`KnownError::mta`].
fn mta_family(lower: &str) -> Option<&'static str> {
    const MARKERS: &[(&str, &[&str])] = &[
        ("Postfix", &["postfix/", "postscreen["]),
        ("Exim", &["exim", " r=dnslookup", " t=remote_smtp"]),
        ("Sendmail", &["sendmail[", "sm-mta[", " stat=", "relay="]),
        (
            "Exchange",
            &[
                "{led=",
                "smtpsend.",
                "primary target ip address",
                "msexchange",
            ],
        ),
        ("Domino", &["smtp server:", "smtpclient:", "router:"]),
        (
            "PMDF",
            &["tcp_local", "tcp_intranet", "imsimta", "mail.log_current"],
        ),
    ];
    MARKERS
        .iter()
        .find(|(_, markers)| markers.iter().any(|m| lower.contains(m)))
        .map(|(family, _)| *family)
}

pub use super::known_errors::KNOWN_ERRORS;

#[cfg(test)]
mod tests {
    use super::*;

    fn first_key(input: &str) -> Option<&'static str> {
        match explain(input) {
            Explanation::Known(v) => v.first().map(|k| k.key),
            _ => None,
        }
    }

    #[test]
    fn tokenizer_cuts_at_punctuation_and_keeps_star_runs() {
        assert_eq!(
            tokenize("host mx.example.com[192.0.2.1] said: 4.4.7"),
            [
                "host", "mx", "example", "com", "192", "0", "2", "1", "said", "4", "4", "7"
            ]
        );
        assert_eq!(
            tokenize("220 ***2*0 os_smtp_read"),
            ["220", "***", "2", "***", "0", "os_smtp_read"]
        );
        assert_eq!(
            tokenize("0 message[s] received"),
            ["0", "message", "s", "received"]
        );
    }

    #[test]
    fn phrase_wildcards() {
        let t = tokenize("said: 450 4.2.0 Greylisted");
        assert_eq!(pattern_score(&["said #4xx", "greylist*"], &t), Some(3));
        assert_eq!(pattern_score(&["said #5xx"], &t), None);
        assert_eq!(pattern_score(&["said * 4"], &t), Some(2));
        assert_eq!(pattern_score(&["said", "!greylist*"], &t), None);
        // Phrases must occur in order.
        assert_eq!(pattern_score(&["greylisted", "said"], &t), None);
    }

    /// The SPEC §1 examples, each embedded in a realistic full log line.
    #[test]
    fn spec_examples_in_full_log_lines() {
        let cases = [
            (
                "22-Nov-2025 10:00:00.12 tcp_local Q 3 sender@example.org rfc822;user@example.com \
                 user@example.com mx.example.com dns;mx.example.com (TCP|192.0.2.10|51234|192.0.2.1|25) \
                 Recorded error -- Zero length SMTP status line",
                "pmdf-zero-length-status",
            ),
            (
                "22-Nov-2025 10:11:02.50 tcp_local Q 5 sender@example.org rfc822;user@example.com \
                 user@example.com dns;mx.example.com (TCP|192.0.2.10|51236|192.0.2.1|25) Error reading \
                 SMTP packet; response to dot-stuffed message expected",
                "pmdf-dot-stuffed-expected",
            ),
            (
                "22-Nov-2025 10:12:00.01 tcp_local Q 2 a@example.org rfc822;b@example.com b@example.com \
                 Fatal error from smtp_open.",
                "sims-smtp-open",
            ),
            (
                "22-Nov-2025 10:12:00.01 tcp_local Q 2 a@example.org rfc822;b@example.com b@example.com \
                 os_smtp_open: [192.0.2.1] connection refused",
                "sims-smtp-open",
            ),
            (
                "22-Nov-2025 10:13:10.44 tcp_local Q 4 a@example.org rfc822;b@example.com b@example.com \
                 dns;mx.example.com os_smtp_read: [192.0.2.1] Error reading from socket",
                "sims-os-smtp-read",
            ),
            (
                "22-Nov-2025 10:13:11.02 tcp_local Q 4 a@example.org rfc822;b@example.com b@example.com \
                 os_smtp_write: [192.0.2.1] broken pipe",
                "sims-os-smtp-write",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB H=mx.example.com [192.0.2.1]: SMTP error from \
                 remote mail server after STARTTLS: 454 4.7.1 TLS library initialization failure",
                "sims-tls-init-failure",
            ),
            (
                "18/02/2004 09:52:07   SMTP Server: mail.example.com (192.168.0.1) disconnected. 0 \
                 message[s] received",
                "domino-zero-messages",
            ),
            (
                "Nov 22 10:00:00 client postfix/smtp[12345]: 4F2A81C0D3: to=<user@example.com>, \
                 relay=mx.example.com[192.0.2.1]:25, delay=612, delays=0.01/0/0.2/612, dsn=4.4.2, \
                 status=deferred (conversation with mx.example.com[192.0.2.1] timed out while sending \
                 end of data -- message may be sent more than once)",
                "postfix-eod-timeout",
            ),
            (
                "Nov 22 10:00:00 client postfix/smtp[12346]: 5B3C92D1E4: to=<user@example.com>, \
                 relay=mx.example.com[192.0.2.1]:25, delay=0.4, delays=0.01/0/0.3/0, dsn=4.4.2, \
                 status=deferred (lost connection with mx.example.com[192.0.2.1] while receiving the \
                 initial server greeting)",
                "postfix-greeting-lost",
            ),
        ];
        for (line, key) in cases {
            assert_eq!(first_key(line), Some(key), "{line}");
        }
    }

    #[test]
    fn tls_library_failure_is_among_the_readings_of_a_postfix_policy_line() {
        let line = "Nov 22 10:00:01 client postfix/smtp[2211]: 9A1B2C3D4E: to=<u@example.com>, \
                    relay=mx.example.com[192.0.2.1]:25, dsn=4.7.5, status=deferred (TLS is required, \
                    but host mx.example.com[192.0.2.1] refused to start TLS: 454 4.7.1 TLS library \
                    initialization failure)";
        match explain(line) {
            Explanation::Known(v) => {
                assert_eq!(v[0].key, "postfix-tls-refused");
                assert!(v.iter().any(|k| k.key == "sims-tls-init-failure"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tls_failure_is_known_on_its_own_too() {
        assert_eq!(
            first_key("STARTTLS\r\n454 4.7.1 TLS library initialization failure\r\n"),
            Some("sims-tls-init-failure")
        );
    }

    #[test]
    fn each_example_is_recognised_by_its_own_entry_first() {
        for known in KNOWN_ERRORS {
            assert_eq!(
                first_key(known.example),
                Some(known.key),
                "example {:?}",
                known.example
            );
            let line = format!(
                "Nov 22 10:00:00 host daemon[123]: 4F2A81C0D3: {} (queue id 1a2B3c)",
                known.example
            );
            assert_eq!(first_key(&line), Some(known.key), "in a log line: {line}");
        }
    }

    /// The providers' wordings as their servers write them, inside the bounces and log lines
    /// that carry them (line breaks and continuation codes of a multi-line reply included).
    #[test]
    fn provider_wordings_in_real_bounces() {
        let cases = [
            (
                "host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with either\n550-5.7.26 SPF or DKIM. (in reply to end of DATA command)",
                "gmail-unauthenticated",
            ),
            (
                "550-5.7.26 Unauthenticated email from example.com is not accepted due to\n550-5.7.26 domain's DMARC policy. Please contact the administrator of example.com",
                "gmail-unauthenticated",
            ),
            (
                "SMTP error from remote mail server after end of data: 421-4.7.0 [192.0.2.80 15] Our system has detected an unusual rate of\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\n421-4.7.0 users from spam, mail sent from your IP address has been temporarily\n421-4.7.0 rate limited. Please visit",
                "gmail-rate-limited",
            ),
            (
                "421-4.7.28 Gmail has detected an unusual rate of unsolicited email originating from your DKIM domain example.com. To protect our users from spam, email sent from your domain has been temporarily rate limited.",
                "gmail-rate-limited",
            ),
            (
                "said: 550-5.7.1 [192.0.2.158 1] Our system has detected an unusual rate of 550-5.7.1 unsolicited mail originating from your IP address. To protect our 550-5.7.1 users from spam, mail sent from your IP address has been blocked.",
                "gmail-unsolicited-blocked",
            ),
            (
                "550-5.7.1 [192.0.2.216 12] Our system has detected that this message is\n550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n550-5.7.1 this message has been blocked.",
                "gmail-unsolicited-blocked",
            ),
            (
                "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or",
                "gmail-no-such-user",
            ),
            (
                "dkarausch-eu.mail.protection.outlook.com[192.0.2.36] said: 550 5.7.606 Access denied, banned sending IP [192.0.2.45]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430) (in reply to RCPT TO command)",
                "microsoft-banned-sending-ip",
            ),
            (
                "550 5.7.1 Unfortunately, messages from [192.0.2.44] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
                "microsoft-block-list-s3150",
            ),
            (
                "Remote server returned '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)'",
                "microsoft-tenant-outbound-blocked",
            ),
            (
                "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains",
                "microsoft-unregistered-domain",
            ),
            (
                "host mx-eu.mail.am0.yahoodns.net[192.0.2.1] said: 421 4.7.0 [TSS04] Messages from 192.0.2.35 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)",
                "yahoo-tss04-deferred",
            ),
            (
                "553 5.7.2 [TSS09] All messages from 192.0.2.45 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
                "yahoo-tss09-permanent",
            ),
            (
                "Diagnostic-Code: smtp;554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://postmaster.yahooinc.com/error-codes [120]",
                "yahoo-ph01-content",
            ),
            (
                "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes",
                "yahoo-authentication-failed",
            ),
        ];
        for (line, key) in cases {
            assert_eq!(first_key(line), Some(key), "{line}");
            assert!(recognised(&explain(line), line));
            assert!(!reply_codes(&explain(line), line).is_empty(), "{line}");
        }
    }

    /// Recognised by its codes alone: exit 0 with the codes explained; nothing at all: exit 1.
    #[test]
    fn replies_are_recognised_by_their_codes() {
        for line in [
            "550 5.7.26 some wording nobody wrote down",
            "421 4.7.0 [XYZ] brand new wording",
            "Status: 4.4.7",
        ] {
            let e = explain(line);
            assert!(matches!(e, Explanation::Unknown), "{line}");
            assert!(recognised(&e, line), "{line}");
        }
        let line =
            "Nov 22 10:00:00 host sshd[1]: Accepted publickey for root from 192.0.2.1 port 50022";
        assert!(!recognised(&explain(line), line));
        // A finding id is explained as such, not by codes.
        assert!(reply_codes(&explain("greeting-421"), "greeting-421").is_empty());
    }

    #[test]
    fn known_errors_are_well_formed() {
        let mut keys = std::collections::HashSet::new();
        for known in KNOWN_ERRORS {
            assert!(keys.insert(known.key), "duplicate key {}", known.key);
            assert!(
                known
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                known.key
            );
            for (name, value) in [
                ("mta", known.mta),
                ("example", known.example),
                ("meaning", known.meaning),
                ("reproduce", known.reproduce),
            ] {
                assert!(!value.trim().is_empty(), "{}: empty {name}", known.key);
            }
            assert!(known.reproduce.starts_with("smtpdoctor "), "{}", known.key);
            assert!(!known.causes.is_empty(), "{}: no causes", known.key);
            assert!(!known.patterns.is_empty(), "{}: no patterns", known.key);
            assert!(!known.findings.is_empty(), "{}: no findings", known.key);
            for id in known.findings {
                assert!(
                    catalog::entry(id).is_some(),
                    "{}: unknown finding id {id}",
                    known.key
                );
            }
        }
    }

    #[test]
    fn common_wordings_of_each_mta() {
        let cases = [
            (
                "postfix/smtp[1]: ABC: conversation with mx.example.com[192.0.2.1] timed out while receiving the initial server greeting",
                "postfix-greeting-timeout",
            ),
            (
                "postfix/smtp[1]: ABC: lost connection with mx.example.com[192.0.2.1] while performing the EHLO handshake",
                "postfix-handshake-lost",
            ),
            (
                "postfix/smtp[1]: ABC: lost connection with mx.example.com[192.0.2.1] while sending end of data -- message may be sent more than once",
                "postfix-eod-lost",
            ),
            (
                "postfix/smtp[1]: connect to mx.example.com[192.0.2.1]:25: Connection timed out",
                "postfix-connect-timeout",
            ),
            (
                "postfix/smtp[1]: connect to mx.example.com[192.0.2.1]:25: Connection refused",
                "postfix-connect-refused",
            ),
            (
                "postfix/smtp[1]: ABC: TLS is required, but was not offered by host mx.example.com[192.0.2.1]",
                "postfix-tls-not-offered",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=deferred (Cannot start TLS: handshake failure)",
                "postfix-cannot-start-tls",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=deferred (Server certificate not verified)",
                "postfix-cert-not-verified",
            ),
            (
                "postfix/smtp[1]: ABC: conversation with mx.example.com[192.0.2.1] timed out while performing the HELO handshake",
                "postfix-handshake-timeout",
            ),
            (
                "postfix/smtp[1]: ABC: host mx.example.com[192.0.2.1] said: 421 4.7.0 Try again later (in reply to MAIL FROM command)",
                "postfix-said-421",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=deferred (Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again)",
                "postfix-name-service-try-again",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=bounced (Host or domain name not found. Name service error for name=example.com type=MX: Host not found)",
                "postfix-host-not-found",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=bounced (Domain example.com does not accept mail (nullMX))",
                "postfix-nullmx",
            ),
            (
                "postfix/smtp[1]: ABC: to=<a@example.com>, status=bounced (mail for example.com loops back to myself)",
                "postfix-loops-back",
            ),
            (
                "postfix/smtpd[1]: warning: bare <LF> received from client.example.org[198.51.100.7]",
                "postfix-bare-lf-rejected",
            ),
            (
                "postfix/smtp[1]: ABC: host mx.example.com[192.0.2.1] said: 450 4.2.0 <a@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html (in reply to RCPT TO command)",
                "greylisting",
            ),
            (
                "postfix/smtp[1]: ABC: host mx.example.com[192.0.2.1] said: 450 4.3.2 Service currently unavailable (in reply to RCPT TO command)",
                "postscreen-deep-tests",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-44): H=mx.example.com [192.0.2.1]: SMTP timeout after initial connection: Connection timed out",
                "exim-timeout-initial",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-46): SMTP timeout after end of data (1536 bytes written): Connection timed out",
                "exim-timeout-eod",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-18): Remote host closed connection in response to initial connection",
                "exim-closed-initial",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB ** a@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1]: SMTP error from remote mail server after end of data: 550 5.7.1 Spam",
                "exim-error-eod",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB H=mx.example.com [192.0.2.1]: TLS session: (SSL_connect): error:0A000410:SSL routines::sslv3 alert handshake failure",
                "exim-tls-session",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-53): all hosts for 'example.com' have been failing for a long time (and retry time not reached)",
                "exim-hosts-failing",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB H=mx.example.com [192.0.2.1] Connection timed out",
                "connection-timed-out",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (111): Connection refused",
                "connection-refused",
            ),
            (
                "Nov 22 10:00:00 client sendmail[4242]: 5AMA0000042: timeout waiting for input from mx.example.com. during client greeting",
                "sendmail-timeout-greeting",
            ),
            (
                "Nov 22 10:00:00 client sendmail[4242]: 5AMA0000042: timeout waiting for input from mx.example.com. during client DATA status",
                "sendmail-timeout-data-status",
            ),
            (
                "Nov 22 10:00:00 client sendmail[4242]: 5AMA0000042: to=<a@example.com>, delay=00:05:00, mailer=esmtp, relay=mx.example.com. [192.0.2.1], dsn=4.0.0, stat=Deferred: Connection timed out with mx.example.com.",
                "sendmail-connection-timed-out",
            ),
            (
                "Nov 22 10:00:00 client sendmail[4242]: 5AMA0000042: to=<a@example.com>, relay=mx.example.com. [192.0.2.1], dsn=4.4.1, stat=Deferred: 451 4.4.1 reply: read error from mx.example.com.",
                "sendmail-read-error",
            ),
            (
                "Nov 22 10:00:00 client sendmail[4242]: reply: read error from mx.example.com.",
                "sendmail-read-error",
            ),
            (
                "Nov 22 10:00:00 client sm-mta[4242]: STARTTLS=client, error: connect failed=-1, reason=unknown protocol, SSL_error=1, errno=0, retry=-1",
                "sendmail-starttls-error",
            ),
            (
                "LastError : [{LED=451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError.\" Attempted failover to alternate host, but that did not succeed.};{MSG=};{FQDN=mx.example.com};{IP=192.0.2.1}]",
                "exchange-socket-error",
            ),
            (
                "LastError : [{LED=451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due to TimedOut};{MSG=};{FQDN=mx.example.com}]",
                "exchange-4-4-397",
            ),
            (
                "Remote Server at example.com returned '400 4.4.7 Message delayed'",
                "exchange-message-delayed",
            ),
            (
                "Remote Server at example.com returned '550 4.4.7 QUEUE.Expired; message expired'",
                "exchange-message-expired",
            ),
            (
                "LED=451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" Attempted failover to alternate host, but that did not succeed.",
                "exchange-connection-timed-out",
            ),
            (
                "LED=450 4.4.317 Cannot connect to remote server [Message=SubjectMismatch]",
                "exchange-4-4-317",
            ),
            (
                "11/22/2025 10:00:00 AM  SMTPClient: Unable to send message to mx.example.com: Remote system no longer responding",
                "domino-remote-not-responding",
            ),
        ];
        for (line, key) in cases {
            assert_eq!(first_key(line), Some(key), "{line}");
        }
    }

    /// Client-side wordings (SPEC §8): what MTAs log about a client, or about their own patience.
    #[test]
    fn client_side_wordings_in_full_log_lines() {
        let cases = [
            (
                "Nov 22 10:00:00 client postfix/smtp[1]: ABC: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, dsn=5.3.4, status=bounced (message size 15728640 exceeds size limit 10240000 of server mx.example.com[192.0.2.1])",
                "postfix-size-limit-of-server",
            ),
            (
                "Nov 22 10:00:00 client postfix/smtp[1]: ABC: to=<a@example.com>, relay=smtp.example.com[192.0.2.1]:587, delay=1, dsn=4.7.0, status=deferred (SASL authentication failed; cannot authenticate to server smtp.example.com[192.0.2.1]: no mechanism available)",
                "postfix-sasl-no-mechanism",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: 4F2A81C0D3: reject: END-OF-MESSAGE from client.example.org[198.51.100.7]: bare <LF> received; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<client.example.org>",
                "postfix-bare-lf-in-data",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 504 5.5.2 <server01>: Helo command rejected: need fully-qualified hostname; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<server01>",
                "postfix-helo-not-fqdn",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 501 5.5.2 <server_01>: Helo command rejected: Invalid name; from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<server_01>",
                "postfix-helo-invalid-name",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: MAIL from client.example.org[198.51.100.7]: 552 5.3.4 Message size exceeds fixed limit; proto=ESMTP helo=<client.example.org>",
                "message-size-exceeds-limit",
            ),
            (
                "Nov 22 10:00:00 client postfix/smtp[1]: ABC: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, dsn=5.3.4, status=bounced (host mx.example.com[192.0.2.1] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command))",
                "message-size-exceeds-limit",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB ** a@example.com R=dnslookup T=remote_smtp H=mx.example.com [192.0.2.1]: SMTP error from remote mail server after MAIL FROM:<b@example.org> SIZE=15729664: 552 Message size exceeds maximum permitted",
                "message-size-exceeds-limit",
            ),
            (
                "2025-11-22 10:00:00 app[77]: SMTP ERROR: AUTH command failed: 503 5.5.1 Error: authentication not enabled",
                "postfix-auth-not-enabled",
            ),
            (
                "2025-11-22 10:00:00 app[77]: SMTP ERROR: AUTH command failed: 538 5.7.11 Encryption required for requested authentication mechanism",
                "auth-encryption-required",
            ),
            (
                "2025-11-22 10:00:00 app[77]: SMTP ERROR: AUTH command failed: 504 5.5.4 Encryption required for requested authentication mechanism",
                "auth-encryption-required",
            ),
            (
                "2025-11-22 10:00:00 app[77]: SERVER -> CLIENT: 500 5.5.2 mx.example.com Error: command too long",
                "postfix-command-too-long",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: lost connection after RCPT from client.example.org[198.51.100.7]",
                "postfix-smtpd-lost-connection",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: 4F2A81C0D3: lost connection after DATA (1536 bytes) from client.example.org[198.51.100.7]",
                "postfix-smtpd-lost-connection",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: disconnect from client.example.org[198.51.100.7] ehlo=1 mail=1 rcpt=1 data=1 commands=4",
                "postfix-disconnect-without-quit",
            ),
            (
                "Nov 22 10:00:00 mx postfix/smtpd[1]: improper command pipelining after HELO from unknown[198.51.100.7]: MAIL FROM:<a@example.org>\\r\\n",
                "postfix-improper-pipelining",
            ),
            (
                "Nov 22 10:00:00 mx postfix/postscreen[1]: PREGREET 11 after 0.31 from [192.0.2.7]:54321: HELO smtpgate.customer\\r\\n",
                "postscreen-pregreet",
            ),
            (
                "Nov 22 10:00:00 mx postfix/postscreen[1]: COMMAND PIPELINING from [192.0.2.7]:54321 after EHLO: MAIL FROM:<a@example.org>\\r\\nRCPT TO:<b@example.com>\\r\\n",
                "postscreen-command-pipelining",
            ),
            (
                "Nov 22 10:00:00 mx postfix/postscreen[1]: BARE NEWLINE from [192.0.2.7]:54321 after EHLO client.example.org",
                "postscreen-bare-newline",
            ),
            (
                "Nov 22 10:00:00 mx postfix/postscreen[1]: COMMAND LENGTH LIMIT from [192.0.2.7]:54321 after EHLO",
                "postscreen-command-length-limit",
            ),
            (
                "Nov 22 10:00:00 mx postfix/postscreen[1]: HANGUP after 0.84 from [192.0.2.7]:54321 in tests before SMTP handshake",
                "postscreen-hangup",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-46) H=mx.example.com [192.0.2.1]: SMTP timeout after sending data block (1048576 bytes written): Connection timed out",
                "exim-timeout-data-block",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-46) H=mx.example.com [192.0.2.1]: SMTP timeout after pipelined end of data (1536 bytes written): Connection timed out",
                "exim-timeout-eod",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB ** a@example.com R=dnslookup T=remote_smtp: message has lines too long for transport (received 1200, limit 998)",
                "exim-lines-too-long",
            ),
            (
                "2025-11-22 10:00:00 rejected EHLO from [192.0.2.7]: syntactically invalid argument(s): server_01",
                "exim-helo-invalid",
            ),
            (
                "2025-11-22 10:00:00 SMTP protocol error in \"AUTH PLAIN <redacted>\" H=client.example.org [198.51.100.7] AUTH command used when not advertised",
                "exim-auth-not-advertised",
            ),
            (
                "2025-11-22 10:00:00 1vABCD-000123-AB SMTP connection lost after final dot H=client.example.org [198.51.100.7] P=esmtp S=1536",
                "exim-lost-after-final-dot",
            ),
            (
                "2025-11-22 10:00:00 unexpected disconnection while reading SMTP command from client.example.org [198.51.100.7] D=2m13s",
                "exim-unexpected-disconnection",
            ),
            (
                "2025-11-22 10:00:00 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.7] input=\"HELO smtpgate.customer\\r\\n\"",
                "exim-sync-pregreet",
            ),
            (
                "2025-11-22 10:00:00 SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected \"MAIL FROM:<a@example.org>\" H=client.example.org [198.51.100.7] next input=\"RCPT TO:<b@example.com>\\r\\n\"",
                "exim-sync-pipelining",
            ),
            (
                "Nov 22 10:00:00 mx sendmail[4242]: 5AMA0000042: lost input channel from [198.51.100.7] to MTA after rcpt",
                "sendmail-lost-input-channel",
            ),
            (
                "Remote Server returned '550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA'",
                "exchange-bare-linefeeds",
            ),
            (
                "Nov 22 10:00:00 client postfix/smtp[1]: ABC: to=<a@example.com>, status=bounced (host mail.protection.outlook.com[192.0.2.1] said: 501 5.5.4 Invalid domain name (in reply to EHLO command))",
                "microsoft-invalid-domain-name",
            ),
        ];
        for (line, key) in cases {
            assert_eq!(first_key(line), Some(key), "{line}");
        }
    }

    /// The lines of seed 004: a sender that gives up at the dot delivers twice.
    #[test]
    fn dot_timeouts_name_the_client_side_too() {
        for line in [
            "Nov 22 10:00:00 client postfix/smtp[12345]: 4F2A81C0D3: to=<user@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=612, delays=0.01/0/0.2/612, dsn=4.4.2, status=deferred (conversation with mx.example.com[192.0.2.1] timed out while sending end of data -- message may be sent more than once)",
            "2025-11-22 10:00:00 1vABCD-000123-AB == a@example.com R=dnslookup T=remote_smtp defer (-46): SMTP timeout after end of data (1536 bytes written): Connection timed out",
            "Nov 22 10:00:00 client sendmail[4242]: 5AMA0000042: timeout waiting for input from mx.example.com. during client DATA status",
        ] {
            let Explanation::Known(v) = explain(line) else {
                panic!("not recognised: {line}");
            };
            for id in ["client-timeout-short", "client-duplicate"] {
                assert!(v[0].findings.contains(&id), "{}: lacks {id}", v[0].key);
            }
        }
        let Explanation::Known(v) = explain(
            "postfix/smtp[1]: ABC: lost connection with mx.example.com[192.0.2.1] while sending end of data -- message may be sent more than once",
        ) else {
            panic!("eod-lost not recognised");
        };
        assert_eq!(v[0].key, "postfix-eod-lost");
        assert!(v[0].findings.contains(&"client-duplicate"));
    }

    #[test]
    fn a_session_that_ended_with_quit_is_not_a_missing_quit() {
        let line = "Nov 22 10:00:00 mx postfix/smtpd[1]: disconnect from client.example.org[198.51.100.7] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5";
        if let Explanation::Known(v) = explain(line) {
            assert!(
                v.iter().all(|k| k.key != "postfix-disconnect-without-quit"),
                "{:?}",
                v.iter().map(|k| k.key).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn client_reproductions_name_client_scenarios_and_demo_clients() {
        for known in KNOWN_ERRORS {
            let r = known.reproduce;
            if r.starts_with("smtpdoctor mock") || r.starts_with("smtpdoctor demo --client") {
                catalog::assert_client_reproduce(known.key, r);
            }
        }
    }

    #[test]
    fn normal_domino_sessions_are_not_flagged() {
        assert!(matches!(
            explain(
                "18/02/2004 09:52:07   SMTP Server: 192.168.0.1 disconnected. 1 message[s] received"
            ),
            Explanation::Unknown
        ));
        assert!(matches!(
            explain("SMTP Server: 192.168.0.1 disconnected. 10 message[s] received"),
            Explanation::Unknown
        ));
    }

    #[test]
    fn matching_ignores_case_and_spacing() {
        assert_eq!(
            first_key("ZERO   LENGTH\tsmtp STATUS line"),
            Some("pmdf-zero-length-status")
        );
        assert_eq!(
            first_key("error reading smtp packet;\n   response to dot-stuffed message expected"),
            Some("pmdf-dot-stuffed-expected")
        );
    }

    #[test]
    fn unrelated_line_is_unknown() {
        assert!(matches!(
            explain("Nov 22 10:00:00 host sshd[1]: Accepted publickey"),
            Explanation::Unknown
        ));
        assert!(matches!(explain(""), Explanation::Unknown));
        assert!(matches!(explain("   "), Explanation::Unknown));
    }

    #[test]
    fn finding_ids_are_recognised() {
        match explain("greeting-fragmented") {
            Explanation::Finding(e) => assert_eq!(e.id, "greeting-fragmented"),
            other => panic!("{other:?}"),
        }
        match explain("  `GREETING-FRAGMENTED`\n") {
            Explanation::Finding(e) => assert_eq!(e.id, "greeting-fragmented"),
            other => panic!("{other:?}"),
        }
        for entry in catalog::ENTRIES {
            assert!(matches!(explain(entry.id), Explanation::Finding(e) if e.id == entry.id));
        }
    }

    #[test]
    fn specific_wording_outranks_generic_one() {
        match explain(
            "postfix/smtp[1]: connect to mx.example.com[192.0.2.1]:25: Connection timed out",
        ) {
            Explanation::Known(v) => {
                assert_eq!(v[0].key, "postfix-connect-timeout");
                assert!(v.iter().any(|k| k.key == "connection-timed-out"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for input in [
            "\u{0}\u{1b}[31m***",
            "#4xx greylist*",
            "!said",
            "é€ 220 ****",
            &"a ".repeat(10_000),
        ] {
            let _ = explain(input);
        }
    }
}
