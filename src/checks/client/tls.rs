//! The client and TLS (SPEC §8): STARTTLS offered and not used (`client-starttls-unused`), AUTH
//! outside TLS (`client-auth-plaintext`), and what the client negotiated (`client-tls`).

use super::timeline::{Timeline, quote_bytes};
use crate::checks::{Anchor, Finding};
use crate::record::{EventKind, Stage};
use crate::wire::request::Verb;

/// The TLS findings of one connection.
pub(super) fn check(tl: &Timeline) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(starttls_unused(tl));
    out.extend(auth_plaintext(tl));
    out.extend(client_tls(tl));
    out
}

/// `client-starttls-unused`: MAIL sent in plaintext, in an EHLO exchange whose reply offered
/// STARTTLS, with no STARTTLS sent before it (a client that tried STARTTLS and fell back after
/// a refusal did use it).
fn starttls_unused(tl: &Timeline) -> Option<Finding> {
    let lines = tl.lines();
    let tried = lines
        .iter()
        .position(|l| l.verb() == Some(Verb::Starttls))
        .unwrap_or(usize::MAX);
    let mail = (0..lines.len().min(tried)).find(|&i| {
        lines[i].verb() == Some(Verb::Mail)
            && !tl.line_tls(i)
            && tl.session(i).is_some_and(|s| s.has("STARTTLS"))
    })?;
    Some(Finding::new(
        "client-starttls-unused",
        Stage::Mail,
        Anchor::Event(lines[mail].first_read),
        "the server offered STARTTLS and the client did not use it",
        format!(
            "the EHLO reply advertised STARTTLS and the client sent \"{}\" in clear text: \
             envelope and message crossed the network unencrypted",
            tl.quote(mail)
        ),
    ))
}

/// `client-auth-plaintext`: an AUTH command read outside TLS.
fn auth_plaintext(tl: &Timeline) -> Option<Finding> {
    let lines = tl.lines();
    let hits: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].verb() == Some(Verb::Auth) && !tl.line_tls(i))
        .collect();
    let &first = hits.first()?;
    let arg = lines[first].arg();
    let mech_end = arg.iter().position(|&b| b == b' ').unwrap_or(arg.len());
    let mech = &arg[..mech_end];
    let initial = if mech_end < arg.len() {
        " with an initial response"
    } else {
        ""
    };
    let weak = if mech.eq_ignore_ascii_case(b"PLAIN") || mech.eq_ignore_ascii_case(b"LOGIN") {
        ": user name and password are only base64-encoded, readable by anyone on the path"
    } else {
        ": the exchange is open to anyone on the path"
    };
    let more = if hits.len() > 1 {
        format!(" ({} AUTH commands)", hits.len())
    } else {
        String::new()
    };
    Some(Finding::new(
        "client-auth-plaintext",
        tl.stage_of(first),
        Anchor::Event(lines[first].first_read),
        "the client authenticated outside TLS",
        format!(
            "AUTH {}{initial} was sent on an unencrypted connection{weak}{more}",
            quote_bytes(mech, mech.len())
        ),
    ))
}

/// `client-tls`: each successful TLS handshake, with what the server recorded of it (the mock
/// writes `version, cipher, SNI name`).
fn client_tls(tl: &Timeline) -> Vec<Finding> {
    tl.rec
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            EventKind::TlsHandshake { ok: true, message } => Some(Finding::new(
                "client-tls",
                Stage::Tls,
                Anchor::Event(i),
                "the client used TLS",
                describe(message),
            )),
            _ => None,
        })
        .collect()
}

/// The detail of `client-tls` from the handshake summary `TLSv1.3, <cipher>, SNI <name>`.
fn describe(message: &str) -> String {
    let parts: Vec<&str> = message.splitn(3, ", ").collect();
    let safe = |s: &str| quote_bytes(s.as_bytes(), s.len());
    match parts[..] {
        [version, cipher, sni] if sni.starts_with("SNI ") => {
            let sni = match &sni[4..] {
                "none" => "no SNI (the client did not name the server)".to_string(),
                name => format!("SNI {}", safe(name)),
            };
            let old = if matches!(version, "TLSv1.0" | "TLSv1.1" | "TLSv1" | "SSLv3") {
                "; that version is deprecated (RFC 8996)"
            } else {
                ""
            };
            format!("{}, cipher {}, {sni}{old}", safe(version), safe(cipher))
        }
        _ => safe(message),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, TLS_MESSAGE, patient_client};
    use super::*;
    use crate::checks::testkit::ids;
    use crate::record::Record;

    fn run(rec: &Record) -> Vec<Finding> {
        check(&Timeline::new(rec))
    }

    #[test]
    fn a_tls_client_gets_only_client_tls() {
        let f = run(&patient_client());
        assert_eq!(ids(&f), ["client-tls"]);
        assert_eq!(
            f[0].detail,
            "TLSv1.3, cipher TLS13_AES_256_GCM_SHA384, SNI mx.demo.test"
        );
        assert!(describe("TLSv1.1, X, SNI none").contains("no SNI"));
        assert!(describe("TLSv1.1, X, SNI none").contains("RFC 8996"));
        assert_eq!(describe("odd\x1b[31m"), "odd\\x1b[31m");
    }

    #[test]
    fn mail_in_clear_text_after_starttls_was_offered() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-starttls-unused"]);
        // Not offered: nothing to use.
        let mut s = Sim::with_ehlo(b"250 mx.demo.test\r\n", b"250 mx.demo.test\r\n");
        s.write(1, Stage::Greeting, crate::server::GREETING);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"MAIL FROM:<a@example.org>\r\n");
        assert!(run(&s.finish()).is_empty());
        // Tried and refused: the client did use it.
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.read(20, b"STARTTLS\r\n");
        assert!(s.take().is_some());
        s.write(21, Stage::Starttls, b"454 4.7.0 TLS not available\r\n");
        s.talk(30, b"MAIL FROM:<a@example.org>\r\n");
        assert!(run(&s.finish()).is_empty());
    }

    #[test]
    fn auth_outside_tls_is_an_error_and_inside_is_fine() {
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-auth-plaintext"]);
        assert!(f[0].detail.contains("AUTH PLAIN with an initial response"));
        assert!(!f[0].detail.contains("AGFsaWNl"), "{}", f[0].detail);

        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.talk(20, b"STARTTLS\r\n");
        s.talk(30, b"EHLO client.example.org\r\n");
        s.talk(40, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-tls"]);
        assert!(
            f[0].detail
                .contains(TLS_MESSAGE.split(", ").nth(1).unwrap())
        );
    }
}
