//! DANE for SMTP (RFC 7672, 6698, 7671): the TLSA records of each MX host matched against the
//! chain its handshake presented. DANE-EE(3) matches the leaf and ignores names and dates;
//! DANE-TA(2) matches a certificate of the chain that must then anchor a valid path to a leaf
//! naming the MX host (or the domain). Usages 0 and 1 are unusable (RFC 7672 §3.1).

use super::{DaneVerdict, attempts_to, finding};
use crate::checks::{CheckContext, Finding};
use crate::record::attempt::Attempt;
use crate::record::policy::{DnssecStatus, Tlsa, TlsaLookup};
use crate::record::tls::CertInfo;

/// Verdicts per host and the DANE findings.
pub fn check(
    hosts: &[TlsaLookup],
    domain: &str,
    attempts: &[Attempt],
    ctx: &CheckContext,
) -> (Vec<DaneVerdict>, Vec<Finding>) {
    let mut verdicts = Vec::new();
    let mut out = Vec::new();
    for h in hosts {
        let tried: Vec<(usize, &Attempt)> = attempts_to(attempts, &h.host).collect();
        let chosen = tried
            .iter()
            .find(|(_, a)| a.tls.is_some())
            .or(tried.first())
            .copied();
        let v = verdict(h, domain, chosen, ctx);
        // Without an attempt that got to TLS, only the verdicts that need no chain are known.
        if v.attempt.is_none() && matches!(v.verdict, "valid" | "mismatch" | "no-starttls") {
            continue;
        }
        out.extend(findings(h, &v));
        verdicts.push(v);
    }
    (verdicts, out)
}

fn findings(h: &TlsaLookup, v: &DaneVerdict) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = format!("_{}._tcp.{}", h.port, h.host);
    let mut f = match v.verdict {
        "valid" => Some(finding(
            "dane-valid",
            format!("DANE senders deliver to {}: a TLSA record matches", h.host),
            v.why.clone(),
        )),
        "mismatch" => Some(finding(
            "dane-mismatch",
            format!(
                "DANE senders will defer mail to {}: no TLSA record matches the certificate",
                h.host
            ),
            v.why.clone(),
        )),
        "unusable" => Some(finding(
            "dane-tlsa-unusable",
            format!("{name} has only TLSA records SMTP DANE cannot use"),
            v.why.clone(),
        )),
        "lookup-failed" => Some(finding(
            "dane-tlsa-lookup-failed",
            format!(
                "DANE senders will defer mail to {}: the TLSA lookup failed",
                h.host
            ),
            v.why.clone(),
        )),
        "no-starttls" => Some(finding(
            "dane-starttls-absent",
            format!(
                "DANE senders will defer mail to {}: TLSA records exist but TLS was not negotiated",
                h.host
            ),
            v.why.clone(),
        )),
        _ => None,
    };
    if let Some(f) = f.as_mut() {
        f.attempt = v.attempt;
    }
    out.extend(f);
    let usable = h.records.iter().filter(|t| t.usable()).count();
    if usable == 1 && matches!(v.verdict, "valid" | "mismatch" | "no-starttls") {
        out.push(finding(
            "dane-single-record",
            format!("{name} has a single TLSA record: a key change breaks delivery"),
            format!(
                "only {} is published; publish the next key's record beside it before the \
                 change (RFC 7671 §8.1, \"3 1 1\" + \"3 1 1\" or a \"2 1 1\" for the issuer)",
                describe_record(&h.records[0])
            ),
        ));
    }
    out
}

/// The DANE verdict for one host, judged on the chosen attempt's chain.
fn verdict(
    h: &TlsaLookup,
    domain: &str,
    attempt: Option<(usize, &Attempt)>,
    ctx: &CheckContext,
) -> DaneVerdict {
    let name = format!("_{}._tcp.{}", h.port, h.host);
    let mut v = DaneVerdict {
        host: h.host.clone(),
        port: h.port,
        tlsa: h.records.clone(),
        dnssec: h.address_status(),
        verdict: "not-applicable",
        matched: None,
        attempt: attempt.map(|(i, _)| i),
        why: String::new(),
    };
    match h.address_status() {
        DnssecStatus::Secure => {}
        DnssecStatus::Bogus => {
            v.verdict = "lookup-failed";
            v.why = format!(
                "the address records of {} are bogus: DANE senders cannot even look up TLSA",
                h.host
            );
            return v;
        }
        s => {
            v.why = format!(
                "the address records of {} are {}: DANE does not apply",
                h.host,
                s.name()
            );
            return v;
        }
    }
    let Some(lookup) = &h.lookup else {
        return v;
    };
    v.dnssec = lookup.status;
    if lookup.failed() {
        v.verdict = "lookup-failed";
        v.why = format!(
            "{name} TLSA: {} (Postfix: \"TLSA lookup error\"; the mail is deferred)",
            lookup.error.as_ref().map_or_else(
                || format!("status {}", lookup.status.name()),
                |e| e.message.clone()
            )
        );
        return v;
    }
    if h.records.is_empty() {
        if lookup.status == DnssecStatus::Secure {
            v.verdict = "not-published";
            v.why = format!("{name}: no TLSA records (a validated denial)");
        } else {
            v.why = format!(
                "{name}: no TLSA records, and the denial is {}",
                lookup.status.name()
            );
        }
        return v;
    }
    if lookup.status != DnssecStatus::Secure {
        v.why = format!(
            "{name}: the TLSA records are {}: DANE senders ignore them",
            lookup.status.name()
        );
        return v;
    }
    let usable: Vec<&Tlsa> = h.records.iter().filter(|t| t.usable()).collect();
    if usable.is_empty() {
        v.verdict = "unusable";
        v.why = format!(
            "{name}: {}; SMTP DANE uses only usages 2 (DANE-TA) and 3 (DANE-EE) with selector 0/1 \
             and matching type 0/1/2 (RFC 7672 §3.1), so senders treat the host as having no usable \
             TLSA records",
            h.records
                .iter()
                .map(describe_record)
                .collect::<Vec<_>>()
                .join(", ")
        );
        return v;
    }
    let Some(tls) = attempt.and_then(|(_, a)| a.tls.as_ref()) else {
        if !attempt.is_some_and(|(_, a)| tls_refused(a)) {
            // The attempt ended before TLS was up to the server (a refused connect,
            // --quit-after ehlo): no verdict on the chain.
            v.attempt = None;
            v.verdict = "valid";
            return v;
        }
        v.verdict = "no-starttls";
        v.why = format!(
            "{name} has usable TLSA records, so DANE senders require TLS (RFC 7672 §2.2), but \
             the attempt negotiated none"
        );
        return v;
    };
    let names = [h.host.as_str(), domain];
    for t in &usable {
        if let Some(which) = matching_cert(t, &tls.chain, &names, ctx.now_unix) {
            v.verdict = "valid";
            v.matched = Some((*t).clone());
            v.why = format!(
                "TLSA {} matches {} of the chain ({})",
                describe_record(t),
                if which == 0 {
                    "the leaf".to_string()
                } else {
                    format!("certificate {}", which + 1)
                },
                crate::wire::escape::escape_str(&tls.chain[which].subject)
            );
            return v;
        }
    }
    v.verdict = "mismatch";
    v.why = format!(
        "none of {} matches the chain presented ({}); Postfix logs \"Server certificate not \
         trusted\" and defers",
        usable
            .iter()
            .map(|t| describe_record(t))
            .collect::<Vec<_>>()
            .join(", "),
        tls.chain
            .iter()
            .map(|c| crate::wire::escape::escape_str(&c.subject))
            .collect::<Vec<_>>()
            .join(" ← ")
    );
    v
}

/// The server did not give TLS: STARTTLS missing from its EHLO reply, or the upgrade failed.
fn tls_refused(a: &Attempt) -> bool {
    if a.outcome == crate::record::attempt::Outcome::TlsFailed || a.starttls_handshake_failed() {
        return true;
    }
    let ehlo = a.ehlo_plain.as_ref().or(a.ehlo.as_ref());
    ehlo.is_some_and(|e| !e.caps().has("STARTTLS"))
}

/// `3 1 1 ab12…` for a record.
pub fn describe_record(t: &Tlsa) -> String {
    let short: String = t.data.chars().take(16).collect();
    let more = if t.data.len() > 16 { "…" } else { "" };
    format!("{} {} {} {short}{more}", t.usage, t.selector, t.matching)
}

/// The index of the chain certificate a usable record authenticates, if any.
fn matching_cert(t: &Tlsa, chain: &[CertInfo], names: &[&str], now_unix: i64) -> Option<usize> {
    match t.usage {
        3 => chain.first().filter(|c| matches(t, &c.der)).map(|_| 0),
        2 => (1..chain.len())
            .find(|&i| matches(t, &chain[i].der) && anchors(chain, i, names, now_unix)),
        _ => None,
    }
}

/// Whether the record's association data is the selected part of `der`, hashed as it says.
pub fn matches(t: &Tlsa, der: &[u8]) -> bool {
    use x509_parser::prelude::*;
    let selected: &[u8] = match t.selector {
        0 => der,
        1 => match X509Certificate::from_der(der) {
            Ok((_, c)) => c.tbs_certificate.subject_pki.raw,
            Err(_) => return false,
        },
        _ => return false,
    };
    let digest: Vec<u8> = match t.matching {
        0 => selected.to_vec(),
        1 => ring::digest::digest(&ring::digest::SHA256, selected)
            .as_ref()
            .to_vec(),
        2 => ring::digest::digest(&ring::digest::SHA512, selected)
            .as_ref()
            .to_vec(),
        _ => return false,
    };
    hex(&digest).eq_ignore_ascii_case(&t.data)
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// DANE-TA: chain[i] as the only trust anchor must give a valid path (signatures and dates)
/// to a leaf that names one of `names` (RFC 7671 §5.2.2, RFC 7672 §3.2.2).
fn anchors(chain: &[CertInfo], i: usize, names: &[&str], now_unix: i64) -> bool {
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    let mut roots = rustls::RootCertStore::empty();
    if roots
        .add(CertificateDer::from(chain[i].der.clone()))
        .is_err()
    {
        return false;
    }
    let leaf = CertificateDer::from(chain[0].der.clone());
    let intermediates: Vec<CertificateDer<'_>> = chain[1..i]
        .iter()
        .map(|c| CertificateDer::from(c.der.clone()))
        .collect();
    let provider = rustls::crypto::ring::default_provider();
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now_unix.max(0) as u64));
    names.iter().any(|n| {
        let Ok(name) = ServerName::try_from(n.to_string()) else {
            return false;
        };
        crate::session::tls::verify(
            &roots,
            provider.signature_verification_algorithms.all,
            &leaf,
            &intermediates,
            &name,
            now,
        )
        .verified()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::policy::Validated;

    type Ca = (rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>);

    fn ca(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let c = p.self_signed(&key).unwrap();
        (c, rcgen::Issuer::new(p, key))
    }

    fn leaf(names: &[&str], issuer: Option<&Ca>) -> rcgen::Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        let p =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        match issuer {
            Some((_, i)) => p.signed_by(&key, i).unwrap(),
            None => p.self_signed(&key).unwrap(),
        }
    }

    fn info(c: &rcgen::Certificate) -> CertInfo {
        crate::session::tls::describe(c.der())
    }

    fn sha256_spki(c: &rcgen::Certificate) -> String {
        use x509_parser::prelude::*;
        let (_, x) = X509Certificate::from_der(c.der()).unwrap();
        hex(ring::digest::digest(&ring::digest::SHA256, x.tbs_certificate.subject_pki.raw).as_ref())
    }

    fn rec(usage: u8, selector: u8, matching: u8, data: String) -> Tlsa {
        Tlsa {
            usage,
            selector,
            matching,
            data,
        }
    }

    fn secure(name: &str, rtype: &'static str) -> Validated {
        Validated {
            name: name.into(),
            rtype,
            status: DnssecStatus::Secure,
            error: None,
        }
    }

    fn host(records: Vec<Tlsa>) -> TlsaLookup {
        TlsaLookup {
            host: "mx.example.test".into(),
            port: 25,
            addresses: vec![secure("mx.example.test", "A")],
            lookup: Some(secure("_25._tcp.mx.example.test", "TLSA")),
            records,
        }
    }

    #[test]
    fn selectors_and_matching_types() {
        let leaf = leaf(&["mx.example.test"], None);
        let der = leaf.der().to_vec();
        assert!(matches(&rec(3, 1, 1, sha256_spki(&leaf)), &der));
        assert!(matches(&rec(3, 0, 0, hex(&der)), &der));
        assert!(matches(
            &rec(
                3,
                0,
                1,
                hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref())
            ),
            &der
        ));
        assert!(matches(
            &rec(
                3,
                0,
                2,
                hex(ring::digest::digest(&ring::digest::SHA512, &der).as_ref())
            ),
            &der
        ));
        assert!(matches(
            &rec(3, 1, 1, sha256_spki(&leaf).to_uppercase()),
            &der
        ));
        assert!(!matches(&rec(3, 1, 2, sha256_spki(&leaf)), &der));
        assert!(!matches(&rec(3, 1, 1, "00".repeat(32)), &der));
        assert!(!matches(
            &rec(3, 1, 1, sha256_spki(&leaf)),
            b"not a certificate"
        ));
    }

    #[test]
    fn dane_ee_ignores_names_and_dane_ta_needs_anchor_and_name() {
        let ctx = CheckContext {
            now_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64,
            ..CheckContext::default()
        };
        let lab = ca("Lab CA");
        let ca = &lab.0;
        let leaf = leaf(&["other.example.test"], Some(&lab));
        let chain = vec![info(&leaf), info(ca)];
        let names = ["mx.example.test", "example.test"];
        // DANE-EE: the name does not matter.
        assert_eq!(
            matching_cert(
                &rec(3, 1, 1, sha256_spki(&leaf)),
                &chain,
                &names,
                ctx.now_unix
            ),
            Some(0)
        );
        // DANE-TA: the anchor is in the chain, but the leaf does not name the host.
        assert_eq!(
            matching_cert(&rec(2, 1, 1, sha256_spki(ca)), &chain, &names, ctx.now_unix),
            None
        );
        let good = super::tests::leaf(&["mx.example.test"], Some(&lab));
        let chain = vec![info(&good), info(ca)];
        assert_eq!(
            matching_cert(&rec(2, 1, 1, sha256_spki(ca)), &chain, &names, ctx.now_unix),
            Some(1)
        );
        // The domain also counts as a name (RFC 7672 §3.2.2).
        let dom = super::tests::leaf(&["example.test"], Some(&lab));
        let chain_dom = vec![info(&dom), info(ca)];
        assert_eq!(
            matching_cert(
                &rec(2, 1, 1, sha256_spki(ca)),
                &chain_dom,
                &names,
                ctx.now_unix
            ),
            Some(1)
        );
        // A TA record for a certificate the server did not send.
        assert_eq!(
            matching_cert(
                &rec(2, 1, 1, sha256_spki(ca)),
                &chain[..1],
                &names,
                ctx.now_unix
            ),
            None
        );
        // Not signed by the anchor: the anchor is in the chain but does not issue the leaf.
        let other = super::tests::ca("Other CA");
        let other_ca = &other.0;
        let forged = vec![info(&good), info(other_ca)];
        assert_eq!(
            matching_cert(
                &rec(2, 1, 1, sha256_spki(other_ca)),
                &forged,
                &names,
                ctx.now_unix
            ),
            None
        );
    }

    #[test]
    fn verdicts() {
        let ctx = CheckContext::default();
        let leaf = leaf(&["mx.example.test"], None);
        let good = rec(3, 1, 1, sha256_spki(&leaf));
        let old = super::tests::leaf(&["mx.example.test"], None);
        let stale = rec(3, 1, 1, sha256_spki(&old));
        let mut a = crate::report::testkit::hostile_report().attempts.remove(0);
        a.target.host = "mx.example.test".into();
        a.test = None;
        if let Some(t) = a.tls.as_mut() {
            t.chain = vec![info(&leaf)];
        }
        let attempts = vec![a];
        let run = |h: TlsaLookup| check(&[h], "example.test", &attempts, &ctx);
        let (v, f) = run(host(vec![good.clone()]));
        assert_eq!(v[0].verdict, "valid");
        assert_eq!(v[0].matched.as_ref(), Some(&good));
        let ids: Vec<_> = f.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["dane-valid", "dane-single-record"]);
        let (v, f) = run(host(vec![stale.clone(), good.clone()]));
        assert_eq!(v[0].verdict, "valid");
        assert_eq!(f.iter().map(|f| f.id).collect::<Vec<_>>(), ["dane-valid"]);
        let (v, f) = run(host(vec![stale.clone()]));
        assert_eq!(v[0].verdict, "mismatch");
        assert_eq!(f[0].id, "dane-mismatch");
        assert_eq!(f[0].attempt, Some(0));
        let (v, _) = run(host(vec![
            rec(1, 1, 1, sha256_spki(&leaf)),
            rec(0, 0, 1, "00".into()),
        ]));
        assert_eq!(v[0].verdict, "unusable");
        let (v, _) = run(host(vec![rec(3, 7, 1, sha256_spki(&leaf))]));
        assert_eq!(v[0].verdict, "unusable", "unknown selector");
        let mut failed = host(vec![]);
        failed.lookup.as_mut().unwrap().error = Some(crate::record::dns::LookupFailure {
            kind: "servfail".into(),
            message: "the server answered SERVFAIL".into(),
        });
        failed.lookup.as_mut().unwrap().status = DnssecStatus::Indeterminate;
        let (v, f) = run(failed);
        assert_eq!(v[0].verdict, "lookup-failed");
        assert!(f[0].detail.contains("SERVFAIL"), "{}", f[0].detail);
        let mut none = host(vec![]);
        none.lookup.as_mut().unwrap().error = Some(crate::record::dns::LookupFailure {
            kind: "nxdomain".into(),
            message: "x".into(),
        });
        assert_eq!(run(none).0[0].verdict, "not-published");
        let mut insecure = host(vec![]);
        insecure.addresses[0].status = DnssecStatus::Insecure;
        insecure.lookup = None;
        let (v, f) = run(insecure);
        assert_eq!(v[0].verdict, "not-applicable");
        assert!(f.is_empty());
        let mut no_tls = attempts.clone();
        no_tls[0].tls = None;
        let (v, f) = check(&[host(vec![good])], "example.test", &no_tls, &ctx);
        assert_eq!(v[0].verdict, "no-starttls");
        assert_eq!(f[0].id, "dane-starttls-absent");
    }
}
