//! MTA-STS (RFC 8461): the record, the policy fetch and parse, every MX host against the `mx`
//! patterns (§4.1, one-label wildcards) and each attempt's certificate against the policy's
//! demand of a PKIX-valid certificate for the MX name (§4.2).

use super::{MtaStsVerdict, StsAttempt, attempts_to, finding};
use crate::checks::Finding;
use crate::knowledge::Severity;
use crate::record::attempt::Attempt;
use crate::record::policy::MtaStsFacts;

/// The verdict and the MTA-STS findings.
pub fn check(
    sts: &MtaStsFacts,
    hosts: &[String],
    attempts: &[Attempt],
) -> (MtaStsVerdict, Vec<Finding>) {
    let domain = sts.lookup.name.trim_start_matches("_mta-sts.").to_string();
    let mut out = Vec::new();
    let mut v = MtaStsVerdict {
        verdict: "not-published",
        why: format!("no TXT record v=STSv1 at _mta-sts.{domain}"),
        attempts: Vec::new(),
    };
    if sts.records.is_empty() {
        if let Some(e) = sts.lookup.error.as_ref().filter(|_| sts.lookup.failed()) {
            v.why = format!("the _mta-sts.{domain} TXT lookup failed: {}", e.message);
        }
        return (v, out);
    }
    if let Some(e) = &sts.record_error {
        v.verdict = "invalid";
        v.why = format!("the _mta-sts.{domain} record is malformed: {e}");
        out.push(finding(
            "mtasts-record-invalid",
            format!("the MTA-STS record of {domain} is malformed: senders ignore the policy"),
            format!(
                "_mta-sts.{domain} TXT {}: {e}",
                sts.records
                    .iter()
                    .map(|r| format!("{:?}", crate::wire::escape::escape_str(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
        return (v, out);
    }
    let fetch = sts.fetch.as_ref();
    if let Some(e) = fetch.and_then(|f| f.error.as_ref()) {
        let url = fetch.map_or(String::new(), |f| f.url.clone());
        v.verdict = "unavailable";
        v.why = format!("the policy cannot be fetched: {e}");
        out.push(finding(
            "mtasts-policy-unavailable",
            format!("the MTA-STS policy of {domain} cannot be fetched"),
            format!(
                "GET {url}: {}; senders with a cached policy keep enforcing it until max_age \
                 runs out, new senders deliver without MTA-STS",
                crate::wire::escape::escape_str(e)
            ),
        ));
        return (v, out);
    }
    let Some(policy) = &sts.policy else {
        let e = sts.policy_error.clone().unwrap_or_else(|| "no body".into());
        v.verdict = "invalid";
        v.why = format!("the policy does not parse: {e}");
        out.push(finding(
            "mtasts-policy-invalid",
            format!("the MTA-STS policy of {domain} does not parse"),
            format!("{}: {e}", fetch.map_or("", |f| f.url.as_str())),
        ));
        return (v, out);
    };
    if policy.max_age < 86_400 {
        out.push(finding(
            "mtasts-max-age-short",
            format!("the MTA-STS max_age of {domain} is under one day"),
            format!(
                "max_age: {} s; a short cache lets an attacker who blocks the fetch strip the \
                 policy soon (RFC 8461 §3.2 suggests weeks)",
                policy.max_age
            ),
        ));
    }
    if policy.mode == "none" {
        v.verdict = "valid";
        v.why = "mode none: the policy asks senders for nothing".into();
        return (v, out);
    }
    let enforce = policy.mode == "enforce";
    let severity = if enforce {
        Severity::Error
    } else {
        Severity::Warning
    };
    if !enforce {
        out.push(finding(
            "mtasts-testing",
            format!("the MTA-STS policy of {domain} is in testing mode"),
            "mode: testing; senders report failures (TLS-RPT) but deliver anyway".into(),
        ));
    }
    let pattern_of = |host: &str| {
        policy
            .mx
            .iter()
            .find(|p| mailrs_mta_sts::mx_matches(host, p))
            .cloned()
    };
    let missed: Vec<&String> = hosts.iter().filter(|h| pattern_of(h).is_none()).collect();
    if !missed.is_empty() {
        out.push(
            finding(
                "mtasts-mx-mismatch",
                format!(
                    "MTA-STS senders ({}) will not deliver to {}: it matches no mx pattern",
                    policy.mode,
                    missed
                        .iter()
                        .map(|h| h.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "mx patterns: {}; MX hosts not covered: {}",
                    policy.mx.join(", "),
                    missed
                        .iter()
                        .map(|h| h.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_severity(severity),
        );
    }
    let mut bad_cert = Vec::new();
    for h in hosts {
        for (i, a) in attempts_to(attempts, h) {
            let (ok, why) = match &a.tls {
                None => (false, Some("no TLS was negotiated".to_string())),
                Some(t) if t.verification.verified() => (true, None),
                Some(t) => (false, Some(t.verification.errors.join("; "))),
            };
            if !ok
                && !bad_cert
                    .iter()
                    .any(|(x, _, _): &(String, usize, String)| x == h)
            {
                bad_cert.push((h.clone(), i, why.clone().unwrap_or_default()));
            }
            v.attempts.push(StsAttempt {
                attempt: i,
                pattern: pattern_of(h),
                cert_ok: ok,
                cert_why: why,
            });
        }
    }
    for (h, i, why) in &bad_cert {
        let mut f = finding(
            "mtasts-cert-invalid",
            format!(
                "MTA-STS senders ({}) will not deliver to {h}: its certificate is not PKIX-valid for its name",
                policy.mode
            ),
            format!("{h}: {}", crate::wire::escape::escape_str(why)),
        )
        .with_severity(severity);
        f.attempt = Some(*i);
        out.push(f);
    }
    (v.verdict, v.why) = if !missed.is_empty() {
        (
            "mx-mismatch",
            format!("{} matches no mx pattern", missed[0]),
        )
    } else if let Some((h, _, why)) = bad_cert.first() {
        (
            "cert-invalid",
            format!("the certificate of {h} is not valid: {why}"),
        )
    } else {
        out.push(finding(
            "mtasts-valid",
            format!("MTA-STS ({}) is in order for {domain}", policy.mode),
            format!(
                "record id {}, policy mode {}, mx {}, max_age {}; every MX host is covered and \
                 every certificate seen is PKIX-valid for its name",
                sts.id.as_deref().unwrap_or("?"),
                policy.mode,
                policy.mx.join(", "),
                policy.max_age
            ),
        ));
        (
            "valid",
            format!("mode {}: every MX covered, certificates valid", policy.mode),
        )
    };
    (v, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::policy::{DnssecStatus, PolicyFetch, StsPolicy, Validated};

    fn facts(mode: &str, mx: &[&str], max_age: u64) -> MtaStsFacts {
        MtaStsFacts {
            lookup: Validated {
                name: "_mta-sts.example.test".into(),
                rtype: "TXT",
                status: DnssecStatus::Insecure,
                error: None,
            },
            records: vec!["v=STSv1; id=1".into()],
            id: Some("1".into()),
            record_error: None,
            fetch: Some(PolicyFetch {
                url: "https://mta-sts.example.test/.well-known/mta-sts.txt".into(),
                status: Some(200),
                error: None,
                duration_ms: 1.0,
                content_type: Some("text/plain".into()),
                body: Some(String::new()),
            }),
            policy: Some(StsPolicy {
                version: "STSv1".into(),
                mode: mode.into(),
                mx: mx.iter().map(|s| s.to_string()).collect(),
                max_age,
            }),
            policy_error: None,
        }
    }

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        let mut v: Vec<_> = f.iter().map(|f| f.id).collect();
        v.sort();
        v
    }

    #[test]
    fn patterns_modes_and_max_age() {
        let hosts = vec![
            "mx1.example.test".to_string(),
            "a.b.example.test".to_string(),
        ];
        // A wildcard covers one label only (RFC 8461 §4.1): a.b.example.test is not covered.
        let (v, f) = check(&facts("enforce", &["*.example.test"], 604800), &hosts, &[]);
        assert_eq!(v.verdict, "mx-mismatch");
        assert_eq!(ids(&f), ["mtasts-mx-mismatch"]);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].summary.contains("a.b.example.test"));
        assert!(!f[0].summary.contains("mx1.example.test"));
        let (v, f) = check(
            &facts("testing", &["*.example.test", "a.b.example.test"], 3600),
            &hosts,
            &[],
        );
        assert_eq!(v.verdict, "valid");
        assert_eq!(
            ids(&f),
            ["mtasts-max-age-short", "mtasts-testing", "mtasts-valid"]
        );
        let (v, f) = check(&facts("testing", &["other.test"], 86400), &hosts, &[]);
        assert_eq!(v.verdict, "mx-mismatch");
        let miss = f.iter().find(|f| f.id == "mtasts-mx-mismatch").unwrap();
        assert_eq!(miss.severity, Severity::Warning);
        // mode none asks for nothing.
        let (v, f) = check(&facts("none", &["other.test"], 86400), &hosts, &[]);
        assert_eq!(v.verdict, "valid");
        assert!(f.is_empty());
        // No record: not published, no finding.
        let mut none = facts("enforce", &[], 0);
        none.records.clear();
        let (v, f) = check(&none, &hosts, &[]);
        assert_eq!(v.verdict, "not-published");
        assert!(f.is_empty());
    }
}
