//! The client and TLS (SPEC §8): STARTTLS offered and not used (`client-starttls-unused`), AUTH
//! outside TLS (`client-auth-plaintext`), and what the client negotiated (`client-tls`).

use super::timeline::{Timeline, quote_bytes};
use crate::checks::{Anchor, Finding};
use crate::record::{ClientHandshake, ClientTls, ClientTlsFailure, Stage};
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

/// `client-tls`: each TLS handshake of the client, from the facts the server recorded at it:
/// what was negotiated (version, cipher, SNI, ALPN, a client certificate), or why it failed.
fn client_tls(tl: &Timeline) -> Vec<Finding> {
    tl.rec
        .client
        .handshakes
        .iter()
        .map(|h| {
            let (summary, detail) = match &h.result {
                Ok(tls) => ("the client used TLS".to_string(), describe(h, tls)),
                Err(why) => (
                    "the client's TLS handshake failed".to_string(),
                    failed(h, why),
                ),
            };
            Finding::new(
                "client-tls",
                Stage::Tls,
                Anchor::Event(h.event),
                summary,
                detail,
            )
        })
        .collect()
}

fn safe(s: &str) -> String {
    quote_bytes(s.as_bytes(), s.len())
}

/// `TLSv1.3, cipher TLS13_AES_256_GCM_SHA384, SNI mx.demo.test`, then ALPN and the client
/// certificate when there is something to say, and a note on deprecated versions.
fn describe(h: &ClientHandshake, tls: &ClientTls) -> String {
    let sni = match &tls.sni {
        None => "no SNI (the client did not name the server)".to_string(),
        Some(name) => format!("SNI {}", safe(name)),
    };
    let offered = h.hello.as_ref().map_or(&[][..], |hello| &hello.alpn[..]);
    let alpn = match (&tls.alpn, offered) {
        (Some(agreed), _) => format!(", ALPN {}", safe(agreed)),
        (None, []) => String::new(),
        (None, offered) => format!(
            ", ALPN offered ({}) and none agreed",
            offered
                .iter()
                .map(|p| safe(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let cert = if tls.client_certificate {
        ", with a client certificate"
    } else {
        ""
    };
    let old = if matches!(
        tls.version.as_str(),
        "TLSv1.0" | "TLSv1.1" | "TLSv1" | "SSLv3"
    ) {
        "; that version is deprecated (RFC 8996)"
    } else {
        ""
    };
    format!(
        "{}, cipher {}, {sni}{alpn}{cert}{old}",
        safe(&tls.version),
        safe(&tls.cipher)
    )
}

/// Why the handshake failed, with what the ClientHello asked for and what to look at.
fn failed(h: &ClientHandshake, why: &ClientTlsFailure) -> String {
    let asked = match h.hello.as_ref().and_then(|hello| hello.sni.as_deref()) {
        Some(name) => format!(" (its ClientHello named {})", safe(name)),
        None if h.hello.is_some() => " (its ClientHello named no server)".to_string(),
        None => String::new(),
    };
    let hint = match why {
        ClientTlsFailure::CertificateRejected { .. } => {
            "; give the client the server's CA as trust anchor, or the server a certificate the client trusts for the name it asked for"
        }
        ClientTlsFailure::NoCommonParameters => {
            "; the client offers only versions or ciphers the server does not (TLS 1.2 is the oldest accepted)"
        }
        ClientTlsFailure::NotTls => "; the client took the 220 to STARTTLS for something else",
        _ => "",
    };
    format!("{why}{asked}{hint}")
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Sim, patient_client, tls_facts};
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
    }

    /// The detail is built from the facts recorded at the handshake, never from its prose.
    #[test]
    fn the_detail_comes_from_the_recorded_facts() {
        let tls = ClientTls {
            version: "TLSv1.1".into(),
            cipher: "X\x1b[31m".into(),
            sni: None,
            alpn: None,
            client_certificate: true,
        };
        let hello = crate::record::ClientHello {
            sni: None,
            alpn: vec!["smtp".into(), "h2".into()],
        };
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.read(20, b"STARTTLS\r\n");
        assert!(s.take().is_some());
        s.write(21, Stage::Starttls, crate::server::STARTTLS_READY);
        s.handshake(
            25,
            Some(hello),
            Ok(tls),
            "prose that says TLSv1.3, Y, SNI z",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-tls"]);
        let d = &f[0].detail;
        assert!(d.starts_with("TLSv1.1, cipher X\\x1b[31m, no SNI"), "{d}");
        assert!(d.contains("ALPN offered (smtp, h2) and none agreed"), "{d}");
        assert!(d.contains("with a client certificate"), "{d}");
        assert!(d.contains("RFC 8996"), "{d}");
        assert!(!d.contains("TLSv1.3") && !d.contains("SNI z"), "{d}");
    }

    #[test]
    fn a_failed_handshake_says_why() {
        let hello = crate::record::ClientHello {
            sni: Some("mx.example.org".into()),
            alpn: vec![],
        };
        let mut s = Sim::greeted(1);
        s.talk(10, b"EHLO client.example.org\r\n");
        s.read(20, b"STARTTLS\r\n");
        assert!(s.take().is_some());
        s.write(21, Stage::Starttls, crate::server::STARTTLS_READY);
        s.handshake(
            25,
            Some(hello),
            Err(ClientTlsFailure::CertificateRejected {
                alert: "unknown_ca".into(),
            }),
            "received fatal alert: UnknownCA",
        );
        let f = run(&s.finish());
        assert_eq!(ids(&f), ["client-tls"]);
        assert_eq!(f[0].summary, "the client's TLS handshake failed");
        assert!(
            f[0].detail.starts_with(
                "the client refused the server's certificate (alert unknown_ca) (its ClientHello named mx.example.org)"
            ),
            "{}",
            f[0].detail
        );
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
        assert!(f[0].detail.contains(&tls_facts().cipher), "{}", f[0].detail);
    }
}
