//! Policy checks (SPEC §9): what a DNSSEC-validating, DANE or MTA-STS sender does with this
//! domain, judged from the policy facts and the chains the attempts' handshakes presented.

pub mod dane;
pub mod dnssec;
pub mod mta_sts;

use super::{Anchor, Finding};
use crate::record::Stage;
use crate::record::attempt::Attempt;
use crate::record::policy::{PolicyFacts, Tlsa};
use serde::{Deserialize, Deserializer, Serialize};

/// A policy finding: stage `policy`, no transcript line.
pub(crate) fn finding(id: &'static str, summary: String, detail: String) -> Finding {
    Finding::new(id, Stage::Policy, Anchor::None, summary, detail)
}

/// The DANE verdict for one MX host (SPEC §9 `policy.dane[]`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DaneVerdict {
    /// The MX host.
    pub host: String,
    /// The SMTP port.
    pub port: u16,
    /// The TLSA records found.
    pub tlsa: Vec<Tlsa>,
    /// The status of the TLSA answer (or of the host's addresses when TLSA was not asked).
    pub dnssec: crate::record::policy::DnssecStatus,
    /// `valid`, `mismatch`, `unusable`, `lookup-failed`, `no-starttls`, `not-published`,
    /// `not-applicable`.
    #[serde(deserialize_with = "dane_verdict")]
    pub verdict: crate::record::policy::Known,
    /// The TLSA record that matched.
    pub matched: Option<Tlsa>,
    /// The attempt whose chain was judged (0-based).
    pub attempt: Option<usize>,
    /// Why, in one line.
    pub why: String,
}

/// The MTA-STS verdict for the domain, and per attempt.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MtaStsVerdict {
    /// `valid`, `mx-mismatch`, `cert-invalid`, `unavailable`, `invalid` or `not-published`.
    #[serde(deserialize_with = "sts_verdict")]
    pub verdict: crate::record::policy::Known,
    /// Why, in one line.
    pub why: String,
    /// Per attempt: covered by a pattern (which), certificate acceptable (or why not).
    pub attempts: Vec<StsAttempt>,
}

/// What MTA-STS says about one attempt's host and certificate.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StsAttempt {
    /// The attempt (0-based).
    pub attempt: usize,
    /// The `mx` pattern that covers the host, if one does.
    pub pattern: Option<String>,
    /// The certificate satisfies the policy (PKIX-valid for the host name).
    pub cert_ok: bool,
    /// Why it does not, when it does not.
    pub cert_why: Option<String>,
}

/// The policy verdicts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyVerdicts {
    /// Per MX host (with `--dane auto`).
    pub dane: Option<Vec<DaneVerdict>>,
    /// With `--mta-sts auto`.
    pub mta_sts: Option<MtaStsVerdict>,
}

/// The DANE verdicts of SPEC §9.
pub const DANE_VERDICTS: [&str; 7] = [
    "valid",
    "mismatch",
    "unusable",
    "lookup-failed",
    "no-starttls",
    "not-published",
    "not-applicable",
];

/// The MTA-STS verdicts of SPEC §9.
pub const STS_VERDICTS: [&str; 6] = [
    "valid",
    "mx-mismatch",
    "cert-invalid",
    "unavailable",
    "invalid",
    "not-published",
];

fn dane_verdict<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    crate::record::policy::known(d, &DANE_VERDICTS, "DANE verdict")
}

fn sts_verdict<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    crate::record::policy::known(d, &STS_VERDICTS, "MTA-STS verdict")
}

/// Judges the policy facts against the attempts; findings are not tied to a transcript line.
pub fn judge(
    facts: &PolicyFacts,
    attempts: &[Attempt],
    ctx: &super::CheckContext,
) -> (PolicyVerdicts, Vec<Finding>) {
    let mut out = dnssec::check(facts);
    let dane = facts.dane.as_ref().map(|hosts| {
        let (v, f) = dane::check(hosts, &facts.domain, attempts, ctx);
        out.extend(f);
        v
    });
    let mta_sts = facts.mta_sts.as_ref().map(|sts| {
        let (v, f) = mta_sts::check(sts, &facts.hosts, attempts);
        out.extend(f);
        v
    });
    let dane_published = dane
        .iter()
        .flatten()
        .any(|d| !matches!(d.verdict, "not-published" | "not-applicable"));
    let sts_published = facts
        .mta_sts
        .as_ref()
        .is_some_and(|s| !s.records.is_empty());
    if let Some(rpt) = &facts.tls_rpt {
        if let Some(e) = &rpt.error {
            out.push(finding(
                "tlsrpt-invalid",
                format!("the TLS-RPT record of {} is malformed", facts.domain),
                format!("_smtp._tls.{}: {e}", facts.domain),
            ));
        } else if rpt.records.is_empty()
            && (dane_published || sts_published)
            && !rpt.lookup.failed()
        {
            let what = match (dane_published, sts_published) {
                (true, true) => "DANE and MTA-STS are",
                (true, false) => "DANE is",
                _ => "MTA-STS is",
            };
            out.push(finding(
                "tlsrpt-absent",
                format!("{what} published but no TLS-RPT record: failures go unreported"),
                format!("no TXT record v=TLSRPTv1 at _smtp._tls.{}", facts.domain),
            ));
        }
    }
    (PolicyVerdicts { dane, mta_sts }, out)
}

/// The probe's own attempts (no active tests) to `host`, the one with a TLS chain first.
pub(crate) fn attempts_to<'a>(
    attempts: &'a [Attempt],
    host: &str,
) -> impl Iterator<Item = (usize, &'a Attempt)> {
    attempts
        .iter()
        .enumerate()
        .filter(move |(_, a)| a.test.is_none() && a.target.host.eq_ignore_ascii_case(host))
}
