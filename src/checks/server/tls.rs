//! STARTTLS and TLS (RFC 3207, RFC 6125, RFC 8314): absence, refusal, stalls, leftover
//! plaintext, state kept after TLS, handshake failure, certificate verdicts and the policy.

use crate::checks::{Anchor, Finding};
use crate::checks::{CheckContext, reply_anchor, reply_wire};
use crate::config::StartTlsPolicy;
use crate::record::Stage;
use crate::record::attempt::Attempt;
use crate::record::tls::{CertProblem, TlsInfo};
use crate::record::{EventKind, Record};

/// STARTTLS and certificate findings.
pub fn check(a: &Attempt, ctx: &CheckContext) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = offer(a, ctx);
    out.extend(refused(rec));
    out.extend(handshake(rec, ctx));
    out.extend(post_state(a));
    if let Some(t) = &a.tls {
        // The certificate verdicts belong to the line that says the handshake completed.
        let at = rec
            .events
            .iter()
            .rposition(|e| matches!(e.kind, EventKind::TlsHandshake { ok: true, .. }))
            .map_or(Anchor::None, Anchor::Event);
        out.extend(certificate(t, ctx, at));
    }
    out.extend(policy_unmet(rec));
    out.extend(required_by_mail(a));
    out
}

/// `starttls-absent`: the EHLO in clear text did not offer STARTTLS.
fn offer(a: &Attempt, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let rec = &a.record;
    let plain_ehlo = a.ehlo_plain.as_ref().or(a.ehlo.as_ref()).filter(|e| !e.tls);
    if let Some(e) = plain_ehlo
        && !ctx.tls_on_connect
        && ctx.starttls != StartTlsPolicy::Never
        && !e.caps().has("STARTTLS")
    {
        out.push(Finding::new(
            "starttls-absent",
            Stage::Ehlo,
            reply_anchor(&rec.replies[e.reply]),
            format!("STARTTLS is not offered ({} reply)", e.verb),
            if e.verb == "HELO" {
                "the server was only reachable with HELO, which cannot advertise STARTTLS"
                    .to_string()
            } else {
                "mail to this server travels in clear text".to_string()
            },
        ));
    }
    out
}
/// `starttls-454`: STARTTLS answered with something other than 220.
fn refused(rec: &Record) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(r) = rec
        .replies
        .iter()
        .find(|r| r.stage == Stage::Starttls && !r.unsolicited)
        && let Some(code) = r.code
        && code != 220
    {
        out.push(Finding::new(
            "starttls-454",
            Stage::Starttls,
            reply_anchor(r),
            format!("STARTTLS was refused with {code}"),
            format!(
                "reply `{}`; typical causes are an unreadable key or certificate, or a TLS library that fails to initialise",
                reply_wire(rec, r)
            ),
        ));
    }
    out
}
/// What happened between the 220 and TLS: leftover plaintext, a stall, a failed handshake.
fn handshake(rec: &Record, ctx: &CheckContext) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, e) in rec.events.iter().enumerate() {
        match &e.kind {
            EventKind::PlaintextDiscarded { len } => out.push(Finding::new(
                "starttls-resp-injection",
                Stage::Starttls,
                Anchor::Event(i),
                "plaintext followed the STARTTLS 220 reply",
                format!(
                    "{len} byte(s)/reply(ies) arrived after `220` and before the handshake; they were discarded as RFC 3207 §4.2 requires"
                ),
            )),
            EventKind::Timeout {
                stage: Stage::Tls,
                waited_ms,
            } => out.push(Finding::new(
                "starttls-stall",
                Stage::Tls,
                Anchor::Event(i),
                "the TLS handshake stalled after STARTTLS was accepted",
                format!(
                    "no handshake progress within {waited_ms} ms; large handshake packets lost on a path with a PMTU black hole stall exactly like this"
                ),
            )),
            EventKind::TlsHandshake { ok: false, message } => {
                let mut detail = crate::wire::escape::escape_str(message);
                let not_tls = matches!(rec.events.get(i + 1), Some(e) if matches!(e.kind, EventKind::NotTls));
                if ctx.tls_on_connect && not_tls {
                    detail.push_str(
                        "; what the server sent first is not a TLS record: this looks like a \
                         plaintext SMTP port (25 or 587, STARTTLS), not implicit TLS (465, RFC \
                         8314): drop --tls-on-connect, or probe port 465",
                    );
                }
                out.push(Finding::new(
                    "tls-handshake-failed",
                    Stage::Tls,
                    Anchor::Event(i),
                    "the TLS handshake failed",
                    detail,
                ));
            }
            _ => {}
        }
    }
    out
}
/// `starttls-post-state`: STARTTLS advertised again inside TLS.
fn post_state(a: &Attempt) -> Vec<Finding> {
    let mut out = Vec::new();
    let rec = &a.record;
    if let (Some(_), Some(e)) = (&a.ehlo_plain, &a.ehlo)
        && e.tls
        && e.caps().has("STARTTLS")
    {
        out.push(Finding::new(
            "starttls-post-state",
            Stage::Ehlo,
            reply_anchor(&rec.replies[e.reply]),
            "STARTTLS is still advertised inside TLS",
            "the EHLO reply after the handshake lists STARTTLS again: the server did not reset its state (RFC 3207 §4.2)",
        ));
    }
    out
}
/// The certificate verdicts: expired or expiring, name, trust.
fn certificate(t: &TlsInfo, ctx: &CheckContext, at: Anchor) -> Vec<Finding> {
    let mut out = Vec::new();
    let v = &t.verification;
    let leaf = t.chain.first();
    let expired = !v.time_ok || leaf.is_some_and(|c| c.not_after_unix < ctx.now_unix);
    if expired {
        out.push(Finding::new(
            "tls-cert-expired",
            Stage::Tls,
            at,
            "the server certificate is expired (or not yet valid)",
            leaf.map_or_else(String::new, |c| {
                format!(
                    "valid {} to {}; {}",
                    c.not_before,
                    c.not_after,
                    v.errors.join("; ")
                )
            }),
        ));
    } else if let Some(c) = leaf {
        let left = c.not_after_unix - ctx.now_unix;
        if left < ctx.cert_warn.as_secs() as i64 {
            out.push(Finding::new(
                "tls-cert-expiring",
                Stage::Tls,
                at,
                format!("the server certificate expires in {} days", left / 86400),
                format!(
                    "not after {}; warning threshold {}",
                    c.not_after,
                    humantime::format_duration(ctx.cert_warn)
                ),
            ));
        }
    }
    if !v.name_ok {
        out.push(Finding::new(
            "tls-cert-name-mismatch",
            Stage::Tls,
            at,
            format!("the certificate is not valid for {}", v.name),
            format!(
                "names in the certificate: {}",
                leaf.map_or_else(|| "none".into(), |c| c.sans.join(", "))
            ),
        ));
    }
    if !v.trusted && !expired {
        let problems: Vec<(Option<CertProblem>, &String)> = v
            .errors
            .iter()
            .map(|e| (CertProblem::of(e), e))
            .filter(|(p, e)| match p {
                Some(p) => p.area() == "trust" || p.area() == "certificate",
                None => e.starts_with("trust:"),
            })
            .collect();
        let kind = problems.iter().find_map(|(p, _)| *p);
        let said: Vec<String> = problems
            .iter()
            .map(|(p, e)| match p {
                // "trust: self-signed: the certificate is ..." reads as "self-signed: ...".
                Some(p) => e
                    .strip_prefix(p.area())
                    .and_then(|r| r.strip_prefix(": "))
                    .unwrap_or(e)
                    .to_string(),
                None => e.to_string(),
            })
            .collect();
        let summary = match kind {
            Some(CertProblem::SelfSigned) => "the certificate is self-signed and not trusted",
            Some(CertProblem::UnknownIssuer) => {
                "the certificate's issuer is not trusted (unknown CA or missing intermediate)"
            }
            Some(CertProblem::CaAsEndEntity) => {
                "the server presents a CA certificate as its own certificate"
            }
            _ => "the certificate chain does not lead to a trusted root",
        };
        let mut detail = format!(
            "issuer: {}; {}",
            leaf.map_or("", |c| c.issuer.as_str()),
            said.join("; ")
        );
        if let Some(fix) = kind.map(untrusted_fix) {
            detail.push_str("; fix: ");
            detail.push_str(fix);
        }
        out.push(Finding::new(
            "tls-cert-untrusted",
            Stage::Tls,
            at,
            summary,
            detail,
        ));
    }
    out
}

/// What to do about a certificate that is not trusted, by what the verifier found.
pub fn untrusted_fix(problem: CertProblem) -> &'static str {
    match problem {
        CertProblem::SelfSigned => {
            "a self-signed certificate is trusted only by senders told to trust it: use a \
             certificate from a public CA (Let's Encrypt) on a public MX, or give your senders \
             this certificate as a trust anchor (Postfix `smtp_tls_CAfile`, smtpdoctor \
             `--ca-file`), or publish a DANE-EE TLSA record (3 1 1) for it"
        }
        CertProblem::UnknownIssuer => {
            "serve the full chain, the server certificate followed by its intermediates \
             (certbot's `fullchain.pem`; Postfix `smtpd_tls_chain_files`); for a private CA, \
             give senders the CA certificate as a trust anchor (smtpdoctor `--ca-file`)"
        }
        CertProblem::CaAsEndEntity => {
            "issue the server a certificate of its own (basicConstraints CA:FALSE, extended key \
             usage serverAuth) signed by this CA, and serve that with the chain"
        }
        CertProblem::IssuerNotCa => {
            "the chain file holds a server certificate where an intermediate CA belongs: serve \
             the server certificate first, then the CA's intermediates in order"
        }
        CertProblem::BadSignature => {
            "the chain mixes certificates of different issuers or keys: rebuild the chain file \
             from the CA's current intermediates"
        }
        CertProblem::UnsupportedAlgorithm => {
            "reissue the certificate (and use intermediates) signed with SHA-256 or better \
             (RSA 2048+ or ECDSA)"
        }
        CertProblem::WrongPurpose => {
            "reissue the certificate with extended key usage serverAuth (or without the extension)"
        }
        CertProblem::Revoked => "replace the revoked certificate with a new one and reload the MTA",
        CertProblem::BadEncoding => {
            "the certificate file is damaged or not DER/PEM: export it again from the CA's files"
        }
        CertProblem::Expired | CertProblem::NotYetValid | CertProblem::NameMismatch => {
            "see the finding for the certificate's dates or names"
        }
        CertProblem::Other => {
            "check the chain with `openssl s_client -starttls smtp -connect HOST:25 -showcerts`"
        }
    }
}
/// `starttls-required`: MAIL refused in clear text because TLS is demanded.
fn required_by_mail(a: &Attempt) -> Vec<Finding> {
    let mut out = Vec::new();
    let rec = &a.record;
    if a.tls.is_none()
        && let Some(r) = rec.last_reply(&Stage::Mail)
        && (r.code == Some(530) || reply_text(rec, r).to_ascii_uppercase().contains("STARTTLS"))
        && r.code.is_some_and(|c| c >= 500)
    {
        out.push(Finding::new(
            "starttls-required",
            Stage::Mail,
            reply_anchor(r),
            "MAIL refused without TLS",
            format!(
                "reply `{}`; a public MX must accept mail in clear text from senders that cannot do TLS (RFC 3207 §4)",
                reply_wire(rec, r)
            ),
        ));
    }
    out
}

use crate::checks::reply_text;

/// `starttls-policy-failed`: the dialogue recorded that `--starttls require` was not met.
fn policy_unmet(rec: &Record) -> Option<Finding> {
    rec.events
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.kind {
            EventKind::TlsPolicyUnmet { stage, failure } => Some(Finding::new(
                "starttls-policy-failed",
                stage.clone(),
                Anchor::Event(i),
                "--starttls require: TLS could not be established",
                failure.to_string(),
            )),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;
    use crate::record::attempt::EhloResult;
    use crate::record::tls::{CertInfo, TlsInfo, Verification};

    fn ehlo(reply: usize, caps: &[&str], tls: bool) -> EhloResult {
        EhloResult {
            verb: "EHLO",
            server_name: "mx".into(),
            capabilities: caps
                .iter()
                .map(|k| crate::wire::ehlo::Capability {
                    keyword: k.to_string(),
                    params: vec![],
                })
                .collect(),
            reply,
            tls,
        }
    }

    #[test]
    fn absent_and_refused() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250 mx\r\n"),
        ]);
        a.ehlo = Some(ehlo(1, &[], false));
        assert_eq!(
            ids(&check(&a, &CheckContext::default())),
            vec!["starttls-absent"]
        );
        let never = CheckContext {
            starttls: StartTlsPolicy::Never,
            ..CheckContext::default()
        };
        assert!(check(&a, &never).is_empty());

        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250-mx\r\n250 STARTTLS\r\n"),
            write(4, Stage::Starttls, b"STARTTLS\r\n"),
            read(5, b"454 4.7.1 TLS library initialization failure\r\n"),
        ]);
        a.ehlo = Some(ehlo(1, &["STARTTLS"], false));
        assert_eq!(
            ids(&check(&a, &CheckContext::default())),
            vec!["starttls-454"]
        );
    }

    #[test]
    fn an_unmet_tls_policy_is_a_finding() {
        use crate::record::decision::TlsPolicyFailure;
        let require = CheckContext {
            starttls: StartTlsPolicy::Require,
            ..CheckContext::default()
        };
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"250-mx\r\n250 STARTTLS\r\n"),
            write(4, Stage::Starttls, b"STARTTLS\r\n"),
            read(5, b"454 4.7.1 TLS not available\r\n"),
            ev(
                6,
                EventKind::TlsPolicyUnmet {
                    stage: Stage::Starttls,
                    failure: TlsPolicyFailure::Refused { code: 454 },
                },
            ),
        ]);
        a.ehlo = Some(ehlo(1, &["STARTTLS"], false));
        let f = check(&a, &require);
        let p = f
            .iter()
            .find(|f| f.id == "starttls-policy-failed")
            .expect("policy finding");
        assert_eq!(p.stage, Stage::Starttls);
        assert_eq!(p.detail, "STARTTLS was answered with 454");
        // The same dialogue without the event: the session did not stop for a policy.
        a.record.events.pop();
        assert!(
            check(&a, &require)
                .iter()
                .all(|f| f.id != "starttls-policy-failed")
        );
    }

    #[test]
    fn certificate_verdicts() {
        let mut a = attempt(vec![read(1, b"220 mx\r\n")]);
        a.tls = Some(TlsInfo {
            version: "TLSv1.3".into(),
            cipher: "x".into(),
            sni: Some("mx.example.test".into()),
            chain: vec![CertInfo {
                subject: "CN=other".into(),
                issuer: "CN=other".into(),
                not_before: "2026-01-01T00:00:00Z".into(),
                not_after: "2026-12-01T00:00:00Z".into(),
                not_after_unix: 1_000 + 5 * 86400,
                sans: vec!["DNS:other".into()],
                der_len: 100,
                der: vec![],
            }],
            verification: Verification {
                trusted: false,
                name_ok: false,
                name: "mx.example.test".into(),
                time_ok: true,
                errors: vec!["trust: unknown issuer".into()],
            },
        });
        let ctx = CheckContext {
            now_unix: 1_000,
            ..CheckContext::default()
        };
        assert_eq!(
            ids(&check(&a, &ctx)),
            vec![
                "tls-cert-expiring",
                "tls-cert-name-mismatch",
                "tls-cert-untrusted"
            ]
        );
        // Without the handshake's event there is no line to point at; with it, every
        // certificate verdict points at the line that says the handshake completed.
        assert!(check(&a, &ctx).iter().all(|f| f.anchor == Anchor::None));
        a.record.events.push(ev(
            2,
            EventKind::TlsHandshake {
                ok: true,
                message: "TLSv1.3".into(),
            },
        ));
        let at = Anchor::Event(a.record.events.len() - 1);
        let found = check(&a, &ctx);
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|f| f.anchor == at), "{found:?}");
        a.tls.as_mut().unwrap().chain[0].not_after_unix = 10;
        assert_eq!(
            ids(&check(&a, &ctx)),
            vec!["tls-cert-expired", "tls-cert-name-mismatch"]
        );
    }

    #[test]
    fn implicit_tls_against_a_plaintext_port_says_so() {
        let failed = |not_tls: bool| {
            let mut events = vec![ev(
                1,
                EventKind::TlsHandshake {
                    ok: false,
                    message: "received corrupt message of type InvalidContentType".into(),
                },
            )];
            if not_tls {
                events.push(ev(1, EventKind::NotTls));
            }
            attempt(events)
        };
        let ctx = CheckContext {
            tls_on_connect: true,
            ..CheckContext::default()
        };
        let a = failed(true);
        let f = check(&a, &ctx);
        assert_eq!(ids(&f), vec!["tls-handshake-failed"]);
        assert!(
            f[0].detail.contains("drop --tls-on-connect"),
            "{}",
            f[0].detail
        );
        // Without --tls-on-connect, or for another failure, no such guess.
        let f = check(&a, &CheckContext::default());
        assert!(!f[0].detail.contains("--tls-on-connect"));
        // The verdict comes from the session's fact, not from the library's words.
        let f = check(&failed(false), &ctx);
        assert!(!f[0].detail.contains("--tls-on-connect"));
    }

    #[test]
    fn handshake_failure_stall_and_post_state() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            ev(
                2,
                EventKind::TlsHandshake {
                    ok: false,
                    message: "received corrupt message".into(),
                },
            ),
            ev(
                3,
                EventKind::Timeout {
                    stage: Stage::Tls,
                    waited_ms: 1000,
                },
            ),
            ev(3, EventKind::PlaintextDiscarded { len: 12 }),
        ]);
        a.ehlo_plain = Some(ehlo(0, &["STARTTLS"], false));
        a.ehlo = Some(ehlo(0, &["STARTTLS"], true));
        assert_eq!(
            ids(&check(&a, &CheckContext::default())),
            vec![
                "tls-handshake-failed",
                "starttls-stall",
                "starttls-resp-injection",
                "starttls-post-state"
            ]
        );
    }
}
