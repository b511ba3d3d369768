//! The client's greeting (SPEC §8): an EHLO/HELO argument that is neither a FQDN nor an address
//! literal (`client-ehlo-invalid`), and HELO where the server would have done EHLO
//! (`client-helo-only`).

use super::timeline::Timeline;
use crate::checks::{Anchor, Finding};
use crate::record::Stage;
use crate::wire::request::Verb;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The EHLO findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(invalid(tl));
    out.extend(helo_only(tl));
    out
}

/// Why an EHLO/HELO argument is neither a domain (RFC 5321 §4.1.2 `Domain`: dot-separated
/// labels of letters, digits and inner hyphens, at least one dot, a top-level label that is not
/// all digits) nor an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`); `None` when valid.
pub(super) fn invalid_reason(arg: &[u8]) -> Option<&'static str> {
    if arg.is_empty() {
        return Some("no argument at all");
    }
    if let Some(inner) = arg.strip_prefix(b"[") {
        let Some(inner) = inner.strip_suffix(b"]") else {
            return Some("an address literal without its closing bracket");
        };
        let text = std::str::from_utf8(inner).unwrap_or_default();
        let ok = match text.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => text[5..].parse::<Ipv6Addr>().is_ok(),
            _ => text.parse::<Ipv4Addr>().is_ok(),
        };
        return (!ok).then_some("an address literal that holds no valid IPv4 or IPv6 address");
    }
    if arg.iter().any(|b| b.is_ascii_whitespace()) {
        return Some("more than one word");
    }
    if std::str::from_utf8(arg).is_ok_and(|t| t.parse::<Ipv4Addr>().is_ok())
        || std::str::from_utf8(arg).is_ok_and(|t| t.parse::<Ipv6Addr>().is_ok())
    {
        return Some("an IP address without the brackets of an address literal");
    }
    if arg.len() > 255 {
        return Some("longer than a domain name can be");
    }
    let labels: Vec<&[u8]> = arg.split(|&b| b == b'.').collect();
    let label_ok = |l: &[u8]| {
        !l.is_empty()
            && l.len() <= 63
            && l.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && l.first().is_some_and(u8::is_ascii_alphanumeric)
            && l.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    if !labels.iter().all(|l| label_ok(l)) {
        return Some("not a host name (only letters, digits and inner hyphens between dots)");
    }
    if labels.len() < 2 {
        return Some("a single label, not a fully qualified domain name");
    }
    if labels
        .last()
        .is_some_and(|l| l.iter().all(u8::is_ascii_digit))
    {
        return Some("a name whose top-level label is all digits");
    }
    None
}

/// `client-ehlo-invalid`: EHLO/HELO lines whose argument fails [`invalid_reason`].
fn invalid(tl: &Timeline) -> Option<Finding> {
    let hits: Vec<(usize, &'static str)> = tl
        .lines()
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.verb(), Some(Verb::Ehlo | Verb::Helo)))
        .filter_map(|(i, l)| invalid_reason(l.arg()).map(|why| (i, why)))
        .collect();
    let &(first, why) = hits.first()?;
    let l = &tl.lines()[first];
    let more = if hits.len() > 1 {
        format!(" ({} greetings like this)", hits.len())
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-ehlo-invalid",
        Stage::of_verb(l.verb().unwrap_or(Verb::Ehlo)).unwrap_or(Stage::Ehlo),
        Anchor::Event(l.first_read),
        format!(
            "the client's {} argument is neither a host name nor an address literal",
            tl.name(first)
        ),
        format!(
            "\"{}\": {why}; RFC 5321 §4.1.1.1 asks for the client's FQDN or an address literal \
             such as [192.0.2.1]{more}",
            tl.quote(first)
        ),
    ))
}

/// `client-helo-only`: a HELO answered by a server that would have done EHLO: its greeting was
/// positive and announced ESMTP, and no EHLO of this connection had been refused (a HELO after
/// a refused EHLO is the fallback RFC 5321 §4.1.4 asks for).
fn helo_only(tl: &Timeline) -> Option<Finding> {
    let greeting = tl.greeting()?;
    if !greeting.positive() || !greeting.mentions("ESMTP") {
        return None;
    }
    let lines = tl.lines();
    let first = lines
        .iter()
        .position(|l| !l.discarded && l.verb() == Some(Verb::Helo))?;
    let refused = (0..first).any(|i| {
        !lines[i].discarded
            && lines[i].verb() == Some(Verb::Ehlo)
            && !tl.reply_of(i).is_some_and(|r| r.positive())
    });
    if refused {
        return None;
    }
    Some(Finding::new(
        "client-helo-only",
        Stage::Helo,
        Anchor::Event(lines[first].first_read),
        "the client greeted with HELO although the server speaks ESMTP",
        format!(
            "\"{}\" without trying EHLO first, to a server whose greeting announced ESMTP: no \
             extension (STARTTLS, SIZE, 8BITMIME, PIPELINING) could be used",
            tl.quote(first)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, patient_client};
    use super::*;
    use crate::checks::testkit::ids;
    use crate::record::Record;

    fn run(rec: &Record) -> Vec<Finding> {
        check(&Timeline::new(rec))
    }

    #[test]
    fn helo_arguments_table() {
        let valid: &[&[u8]] = &[
            b"client.example.org",
            b"mail-1.Example.COM",
            b"localhost.localdomain",
            b"xn--bcher-kva.example",
            b"[192.0.2.1]",
            b"[IPv6:2001:db8::1]",
            b"[ipv6:::ffff:192.0.2.1]",
            b"a.b9",
        ];
        for arg in valid {
            assert_eq!(
                invalid_reason(arg),
                None,
                "{:?}",
                String::from_utf8_lossy(arg)
            );
        }
        let invalid: &[&[u8]] = &[
            b"",
            b"DESKTOP-1234",
            b"localhost",
            b"192.0.2.1",
            b"2001:db8::1",
            b"[192.0.2.256]",
            b"[2001:db8::1]",
            b"[IPv6:nonsense]",
            b"[192.0.2.1",
            b"client.example.org.",
            b"my_host.example.org",
            b"-bad.example.org",
            b"bad-.example.org",
            b"a..b",
            b"host.example.org extra",
            b"h\xc3\xb6st.example",
            b"example.123",
        ];
        for arg in invalid {
            assert!(
                invalid_reason(arg).is_some(),
                "{:?}",
                String::from_utf8_lossy(arg)
            );
        }
        let long = [b"a.".repeat(200), b"org".to_vec()].concat();
        assert!(invalid_reason(&long).is_some());
    }

    #[test]
    fn an_invalid_argument_is_a_finding_and_an_address_literal_is_not() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO DESKTOP-1234\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-ehlo-invalid"]);
        assert_eq!(f[0].stage, Stage::Ehlo);
        let mut s = Sim::greeted(1);
        s.talk(10, b"HELO DESKTOP-1234\r\n");
        let h = run(&s.finish());
        assert_eq!(ids(&h), ["client-ehlo-invalid", "client-helo-only"]);
        assert_eq!(h[0].stage, Stage::Helo);
        assert!(
            f[0].detail.contains("DESKTOP-1234\": a single label"),
            "{}",
            f[0].detail
        );
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO [192.0.2.1]\r\n");
        assert!(run(&s.finish()).is_empty());
        assert!(run(&patient_client()).is_empty());
    }

    #[test]
    fn helo_without_need_is_helo_only_but_the_fallback_is_not() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"HELO client.example.org\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-helo-only"]);
        assert_eq!(f[0].stage, Stage::Helo, "HELO is stage helo, as in a probe");
        // EHLO refused, then HELO: what RFC 5321 asks for.
        let mut s = Sim::greeted(1);
        s.read(10, b"EHLO client.example.org\r\n");
        assert!(s.take().is_some());
        s.write(
            11,
            Stage::Ehlo,
            b"502 5.5.2 Error: command not recognized\r\n",
        );
        s.talk(20, b"HELO client.example.org\r\n");
        assert!(run(&s.finish()).is_empty());
        // A greeting that does not announce ESMTP: nothing says EHLO would have worked.
        let mut s = Sim::new();
        s.write(1, Stage::Greeting, b"220 mx.demo.test ready\r\n");
        s.talk(10, b"HELO client.example.org\r\n");
        assert!(run(&s.finish()).is_empty());
    }
}
