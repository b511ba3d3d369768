//! What the codes of an SMTP reply mean: the basic reply code (RFC 5321 §4.2) and the enhanced
//! status code (RFC 3463; the IANA registry of RFC 5248), so that `explain` says something about
//! any reply it finds in a text, also when the wording is not in its table.
//!
//! The tables are data (`knowledge/data/`, sources named in its README), compiled in and parsed on
//! first use.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// One basic reply code of the table.
#[derive(Debug, Clone, Deserialize)]
pub struct BasicCode {
    /// e.g. 550.
    pub code: u16,
    /// The RFC's wording.
    pub text: String,
    /// Where it is defined.
    pub reference: String,
}

/// One enumerated enhanced status code of the IANA registry (`X.s.d`).
#[derive(Debug, Clone, Deserialize)]
pub struct EnhancedCode {
    /// `X.7.26`.
    pub code: String,
    /// The registry's sample text (its name).
    pub sample_text: String,
    /// The basic codes it usually comes with.
    pub basic_codes: String,
    /// What it means.
    pub description: String,
    /// Where it is defined.
    pub reference: String,
}

/// A class (`4.XXX.YYY`) or subject (`X.7.YYY`) sub-code of the registry.
#[derive(Debug, Clone, Deserialize)]
pub struct SubCode {
    /// `5.XXX.YYY` or `X.2.YYY`.
    pub code: String,
    /// Its name.
    pub summary: String,
    /// What it means.
    pub description: String,
    /// Where it is defined.
    pub reference: String,
}

fn parse<T: for<'de> Deserialize<'de>>(data: &str) -> Vec<T> {
    csv::Reader::from_reader(data.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .expect("the compiled-in code tables parse (a unit test holds them to it)")
}

static BASIC: LazyLock<Vec<BasicCode>> =
    LazyLock::new(|| parse(include_str!("data/basic-reply-codes.csv")));
static ENHANCED: LazyLock<Vec<EnhancedCode>> =
    LazyLock::new(|| parse(include_str!("data/enhanced-status-codes.csv")));
static SUBCODES: LazyLock<Vec<SubCode>> =
    LazyLock::new(|| parse(include_str!("data/enhanced-status-subcodes.csv")));

/// Every enumerated code of the registry.
pub fn enhanced_codes() -> &'static [EnhancedCode] {
    &ENHANCED
}

/// Every basic code of the table.
pub fn basic_codes() -> &'static [BasicCode] {
    &BASIC
}

/// RFC 5321 §4.2.1: the first digit.
fn first_digit(d: u16) -> &'static str {
    match d {
        2 => "positive completion: the requested action has been successfully completed",
        3 => {
            "positive intermediate: the command has been accepted, but the requested action is being held in abeyance, pending receipt of further information"
        }
        4 => {
            "transient negative completion: the command was not accepted and the requested action did not occur, but the error condition is temporary and the action may be requested again"
        }
        _ => {
            "permanent negative completion: the command was not accepted and the requested action did not occur; the client is discouraged from repeating the exact request"
        }
    }
}

/// RFC 5321 §4.2.1: the second digit.
fn second_digit(d: u16) -> &'static str {
    match d {
        0 => "syntax: a syntax error, or a command that fits no functional category",
        1 => "information: a reply to a request for information",
        2 => "connections: a reply about the transmission channel",
        5 => {
            "mail system: the status of the receiver mail system with respect to the requested transfer or other mail system action"
        }
        _ => "unspecified",
    }
}

/// What a basic reply code means. Fields in lexicographic order (the key order of the
/// `explain --json` document).
#[derive(Debug, Clone, Serialize)]
pub struct BasicMeaning {
    /// The second digit's meaning (RFC 5321 §4.2.1).
    pub category: &'static str,
    /// The first digit's meaning.
    pub class: &'static str,
    /// e.g. 550.
    pub code: u16,
    /// Where the wording is defined, when the table has the code.
    pub reference: Option<String>,
    /// The RFC's wording for the code, when the table has it.
    pub text: Option<String>,
}

/// A class or subject sub-code: its name and what it means.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    /// What it means.
    pub description: String,
    /// Its name in the registry.
    pub name: String,
}

/// An enumerated code of the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// What it means.
    pub description: String,
    /// Its sample text (name) in the registry.
    pub name: String,
    /// Where it is defined.
    pub reference: String,
}

/// What an enhanced status code means.
#[derive(Debug, Clone, Serialize)]
pub struct EnhancedMeaning {
    /// The class (first number).
    pub class: Named,
    /// e.g. `5.7.26`.
    pub code: String,
    /// The whole code in the registry; None for a code the registry does not enumerate (a
    /// provider's own).
    pub detail: Option<Detail>,
    /// The subject (second number), when the registry has it.
    pub subject: Option<Named>,
}

/// One reply found in a text: its codes and what they mean.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyCodes {
    /// The basic code, when there is one.
    pub basic: Option<BasicMeaning>,
    /// The enhanced code's class differs from the basic code's first digit (RFC 3463 §2 wants
    /// them equal).
    pub classes_disagree: bool,
    /// The enhanced status code, when there is one.
    pub enhanced: Option<EnhancedMeaning>,
    /// The codes as found, e.g. `550 5.7.26`.
    pub found: String,
}

/// The meaning of basic code `code` (200..=599).
pub fn basic(code: u16) -> BasicMeaning {
    let known = BASIC.iter().find(|b| b.code == code);
    BasicMeaning {
        code,
        class: first_digit(code / 100),
        category: second_digit(code / 10 % 10),
        text: known.map(|b| b.text.clone()),
        reference: known.map(|b| b.reference.clone()),
    }
}

/// The meaning of enhanced code `class.subject.detail`.
pub fn enhanced(class: u16, subject: u16, detail: u16) -> Option<EnhancedMeaning> {
    let class_code = format!("{class}.XXX.YYY");
    let c = SUBCODES.iter().find(|s| s.code == class_code)?;
    let subject_code = format!("X.{subject}.YYY");
    let s = SUBCODES.iter().find(|s| s.code == subject_code);
    let detail_code = format!("X.{subject}.{detail}");
    let d = ENHANCED.iter().find(|e| e.code == detail_code);
    Some(EnhancedMeaning {
        code: format!("{class}.{subject}.{detail}"),
        class: Named {
            description: c.description.clone(),
            name: c.summary.clone(),
        },
        subject: s.map(|s| Named {
            description: s.description.clone(),
            name: s.summary.clone(),
        }),
        detail: d.map(|d| Detail {
            description: d.description.clone(),
            name: d.sample_text.clone(),
            reference: d.reference.clone(),
        }),
    })
}

/// At most this many distinct replies are explained from one text.
pub const MAX_REPLIES: usize = 8;

/// Every distinct reply found in `text`, in order: a basic code (three digits, first 2–5, second
/// 0–5, standing alone and followed by a space, a hyphen or the end) with the enhanced code that
/// follows it, or an enhanced code on its own (`5.7.1`, also as `#5.7.1` or `(#5.7.1)`).
pub fn find(text: &str) -> Vec<ReplyCodes> {
    let b = text.as_bytes();
    let mut out: Vec<ReplyCodes> = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_REPLIES {
        let starts_word = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if !starts_word || !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if let Some((e, len)) = enhanced_at(b, i) {
            push(&mut out, None, Some(e));
            i += len;
            continue;
        }
        if let Some(code) = basic_at(b, i) {
            let mut len = 3;
            let mut e = None;
            if let Some(&sep) = b.get(i + 3)
                && (sep == b' ' || sep == b'-')
                && let Some((found, elen)) = enhanced_at(b, i + 4)
            {
                e = Some(found);
                len = 4 + elen;
            }
            push(&mut out, Some(code), e);
            i += len;
            continue;
        }
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
    }
    out
}

/// A basic reply code at `i`, followed by a space, a hyphen, the end, or a line end.
fn basic_at(b: &[u8], i: usize) -> Option<u16> {
    let d = b.get(i..i + 3)?;
    if !d.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&d[0]) || d[1] > b'5' {
        return None;
    }
    match b.get(i + 3) {
        None | Some(b' ' | b'-' | b'\r' | b'\n' | b'"' | b'\'' | b',' | b';' | b')') => {}
        _ => return None,
    }
    Some(u16::from(d[0] - b'0') * 100 + u16::from(d[1] - b'0') * 10 + u16::from(d[2] - b'0'))
}

/// An enhanced code `c.s.d` at `i` (class 2, 4 or 5; subject and detail 1–3 digits), not
/// followed by another digit or dot-and-digit; with its length.
fn enhanced_at(b: &[u8], i: usize) -> Option<((u16, u16, u16), usize)> {
    let class = *b.get(i)?;
    if !matches!(class, b'2' | b'4' | b'5') || b.get(i + 1) != Some(&b'.') {
        return None;
    }
    let number = |at: usize| -> Option<(u16, usize)> {
        let n = b[at.min(b.len())..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 3 {
            return None;
        }
        let v = std::str::from_utf8(&b[at..at + n]).ok()?.parse().ok()?;
        Some((v, n))
    };
    let (subject, sn) = number(i + 2)?;
    if b.get(i + 2 + sn) != Some(&b'.') {
        return None;
    }
    let (detail, dn) = number(i + 3 + sn)?;
    let end = i + 3 + sn + dn;
    if b.get(end).is_some_and(|c| c.is_ascii_alphanumeric())
        || (b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit))
    {
        return None;
    }
    Some(((u16::from(class - b'0'), subject, detail), end - i))
}

fn push(out: &mut Vec<ReplyCodes>, basic_code: Option<u16>, e: Option<(u16, u16, u16)>) {
    let found = match (basic_code, e) {
        (Some(b), Some((c, s, d))) => format!("{b} {c}.{s}.{d}"),
        (Some(b), None) => b.to_string(),
        (None, Some((c, s, d))) => format!("{c}.{s}.{d}"),
        (None, None) => return,
    };
    if out.iter().any(|r| r.found == found) {
        return;
    }
    let enhanced = e.and_then(|(c, s, d)| enhanced(c, s, d));
    let classes_disagree = matches!((basic_code, e), (Some(b), Some((c, _, _))) if b / 100 != c);
    out.push(ReplyCodes {
        found,
        basic: basic_code.map(basic),
        enhanced,
        classes_disagree,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_parse_and_are_whole() {
        assert!(ENHANCED.len() >= 79, "{}", ENHANCED.len());
        assert_eq!(SUBCODES.len(), 11);
        assert!(BASIC.iter().any(|b| b.code == 554));
        let mut seen = std::collections::HashSet::new();
        for e in ENHANCED.iter() {
            assert!(seen.insert(&e.code), "duplicate {}", e.code);
            let parts: Vec<&str> = e.code.split('.').collect();
            assert_eq!(parts[0], "X", "{}", e.code);
            assert!(parts[1].parse::<u8>().unwrap() <= 7, "{}", e.code);
            assert!(!e.description.is_empty(), "{}", e.code);
            assert!(!e.reference.is_empty(), "{}", e.code);
        }
        for subject in 0..=7 {
            assert!(
                SUBCODES
                    .iter()
                    .any(|s| s.code == format!("X.{subject}.YYY")),
                "{subject}"
            );
        }
    }

    #[test]
    fn registry_entries_mean_what_rfc_3463_says() {
        let e = enhanced(5, 1, 1).unwrap();
        assert_eq!(e.class.name, "Permanent Failure");
        assert_eq!(e.subject.as_ref().unwrap().name, "Addressing Status");
        assert_eq!(
            e.detail.as_ref().unwrap().name,
            "Bad destination mailbox address"
        );
        let e = enhanced(5, 7, 26).unwrap();
        assert_eq!(
            e.detail.as_ref().unwrap().name,
            "Multiple authentication checks failed"
        );
        assert!(e.detail.as_ref().unwrap().reference.contains("RFC7372"));
        let e = enhanced(4, 7, 0).unwrap();
        assert_eq!(e.class.name, "Persistent Transient Failure");
        assert_eq!(
            e.subject.as_ref().unwrap().name,
            "Security or Policy Status"
        );
        // A provider's own detail: class and subject still say something.
        let e = enhanced(5, 7, 708).unwrap();
        assert!(e.detail.is_none());
        assert_eq!(
            e.subject.as_ref().unwrap().name,
            "Security or Policy Status"
        );
        assert!(enhanced(3, 0, 0).is_none(), "3 is not a class");
        assert_eq!(
            basic(421).text.as_deref().map(|t| t.contains("closing")),
            Some(true)
        );
        assert!(basic(599).text.is_none());
        assert!(basic(599).class.starts_with("permanent"));
    }

    fn found(text: &str) -> Vec<String> {
        find(text).into_iter().map(|r| r.found).collect()
    }

    #[test]
    fn replies_are_found_in_any_text() {
        let table: &[(&str, &[&str])] = &[
            ("550 5.7.26 Unauthenticated email", &["550 5.7.26"]),
            (
                "421-4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred",
                &["421 4.7.0"],
            ),
            (
                "550-5.7.26 This mail\n550-5.7.26 has been\n550 5.7.26 blocked",
                &["550 5.7.26"],
            ),
            ("said: 554 5.7.1 <a@b>: Relay access denied", &["554 5.7.1"]),
            ("Status: 5.1.1", &["5.1.1"]),
            ("(#5.5.3 - chkuser)", &["5.5.3"]),
            (
                "Remote server returned '550 5.7.708 Service",
                &["550 5.7.708"],
            ),
            ("host said: 452 too many", &["452"]),
            ("221 Bye; 250 ok", &["221", "250"]),
            // Not replies: addresses, versions, ports, times, ids.
            ("from 192.0.2.45 port 465 at 10:00:01", &[]),
            ("Exim 4.80 and postfix 3.7.11 and 2.10.1.5", &[]),
            ("queue id 4XyZ1 and 5500 bytes and 250ms", &[]),
            ("[216.194.173.80 15] and 1.2.3", &[]),
            ("AS(1430) S3150 ab550 5x.7.1", &[]),
        ];
        for (text, want) in table {
            assert_eq!(found(text), *want, "{text}");
        }
        let r = &find("500 4.7.1 odd")[0];
        assert!(r.classes_disagree);
        assert!(!find("550 5.7.1 ok")[0].classes_disagree);
    }

    #[test]
    fn hostile_text_is_bounded_and_safe() {
        let many: String = (200..600).map(|c| format!("{c} 5.0.{c} ")).collect();
        assert_eq!(find(&many).len(), MAX_REPLIES);
        for text in [
            "5.",
            "5.7.",
            "5.7.1234",
            "55",
            "5.7.26.",
            "\u{1b}550 5.7.1",
            "550-",
        ] {
            let _ = find(text);
        }
        assert!(find("5.7.1234").is_empty());
        assert_eq!(found("\u{1b}550 5.7.1"), ["550 5.7.1"]);
    }
}
