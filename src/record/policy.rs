//! What the policy lookups found (SPEC §9): DNSSEC status of each answer, TLSA records, the
//! MTA-STS record and policy fetch, the TLS-RPT record. Facts only; `checks::policy` judges.

use crate::record::dns::LookupFailure;
use serde::{Deserialize, Deserializer, Serialize};

/// The DNSSEC validation status of one answer (RFC 4033 §5, RFC 4035 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DnssecStatus {
    /// A chain of signatures from a trust anchor covers the answer.
    Secure,
    /// The answer lies in a zone proved to be unsigned.
    Insecure,
    /// The answer should be signed but its signatures fail (expired, tampered, missing).
    Bogus,
    /// No status could be established (no answer, a failed lookup, no trust anchor).
    Indeterminate,
}

impl DnssecStatus {
    /// The status string of SPEC §9.
    pub fn name(self) -> &'static str {
        match self {
            DnssecStatus::Secure => "secure",
            DnssecStatus::Insecure => "insecure",
            DnssecStatus::Bogus => "bogus",
            DnssecStatus::Indeterminate => "indeterminate",
        }
    }
}

/// One validated lookup: its status, and the failure when there was no answer.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Validated {
    /// The name asked.
    pub name: String,
    /// The record type asked (`MX`, `A`, `AAAA`, `TLSA`, `TXT`).
    #[serde(deserialize_with = "known_rtype")]
    pub rtype: Known,
    /// The validation status of the answer (or of the proof of non-existence).
    pub status: DnssecStatus,
    /// Why no record came back: `nxdomain`, `no-records`, `servfail`, `timeout`, `failed`.
    pub error: Option<LookupFailure>,
}

impl Validated {
    /// The lookup itself failed (SERVFAIL, timeout, bogus): neither records nor their absence
    /// are known. NXDOMAIN and NODATA are answers.
    pub fn failed(&self) -> bool {
        self.status == DnssecStatus::Bogus
            || self
                .error
                .as_ref()
                .is_some_and(|e| e.kind != "nxdomain" && e.kind != "no-records")
    }
}

/// One TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The association data, lower-case hex.
    pub data: String,
}

impl Tlsa {
    /// Usable by SMTP DANE (RFC 7672 §3.1): usage 2 or 3 with known selector and matching type.
    pub fn usable(&self) -> bool {
        matches!(self.usage, 2 | 3) && self.selector <= 1 && self.matching <= 2
    }
}

/// The TLSA lookup of one MX host, with the validation of its address records.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsaLookup {
    /// The MX host.
    pub host: String,
    /// The SMTP port (the TLSA name is `_PORT._tcp.HOST`).
    pub port: u16,
    /// The validated A/AAAA lookups of the host.
    pub addresses: Vec<Validated>,
    /// The validated TLSA lookup, when it was made (only for hosts whose addresses are secure).
    pub lookup: Option<Validated>,
    /// The TLSA records found.
    pub records: Vec<Tlsa>,
}

impl TlsaLookup {
    /// The combined status of the address answers: bogus if any, else secure only when all are.
    pub fn address_status(&self) -> DnssecStatus {
        combine(self.addresses.iter().map(|v| v.status))
    }
}

/// The weakest of several statuses: bogus, then indeterminate, then insecure, then secure.
pub fn combine(statuses: impl Iterator<Item = DnssecStatus>) -> DnssecStatus {
    let mut out = None;
    for s in statuses {
        let rank = |s: DnssecStatus| match s {
            DnssecStatus::Bogus => 0,
            DnssecStatus::Indeterminate => 1,
            DnssecStatus::Insecure => 2,
            DnssecStatus::Secure => 3,
        };
        out = Some(match out {
            Some(o) if rank(o) <= rank(s) => o,
            _ => s,
        });
    }
    out.unwrap_or(DnssecStatus::Indeterminate)
}

/// How the MTA-STS policy fetch went.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyFetch {
    /// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
    pub url: String,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// Why no usable policy body came (name, TCP, TLS, HTTP status, redirect, size, time).
    pub error: Option<String>,
    /// Time the fetch took.
    pub duration_ms: f64,
    /// The `Content-Type` of the response.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The body (at most 64 KiB), when the fetch succeeded.
    #[serde(skip)]
    #[schemars(skip)]
    pub body: Option<String>,
}

/// The MTA-STS policy as parsed (RFC 8461 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StsPolicy {
    /// `version` (always `STSv1` once parsed).
    pub version: String,
    /// `enforce`, `testing` or `none`.
    pub mode: String,
    /// The `mx` patterns, in order.
    pub mx: Vec<String>,
    /// `max_age`, seconds.
    pub max_age: u64,
}

/// What MTA-STS lookups found for the domain.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MtaStsFacts {
    /// The `_mta-sts.DOMAIN` TXT lookup.
    pub lookup: Validated,
    /// The TXT strings starting with `v=STSv1` (RFC 8461 §3.1).
    pub records: Vec<String>,
    /// The record's `id`, when it parsed.
    pub id: Option<String>,
    /// Why the record did not parse (or why several records are one too many).
    pub record_error: Option<String>,
    /// The policy fetch, when a record was found.
    pub fetch: Option<PolicyFetch>,
    /// The policy, when the body parsed.
    pub policy: Option<StsPolicy>,
    /// Why the body did not parse.
    pub policy_error: Option<String>,
}

/// What the TLS-RPT lookup found (RFC 8460 §3).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsRptFacts {
    /// The `_smtp._tls.DOMAIN` TXT lookup.
    pub lookup: Validated,
    /// The TXT strings starting with `v=TLSRPTv1`.
    pub records: Vec<String>,
    /// The `rua` URIs of the record, when it parsed.
    pub rua: Vec<String>,
    /// Why the record did not parse.
    pub error: Option<String>,
}

/// Everything the policy lookups found for a domain target. `None` parts were not evaluated
/// (`--dane off`, `--mta-sts off`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyFacts {
    /// The mail domain.
    pub domain: String,
    /// Its MX host names, in order (the implicit MX is the domain itself).
    pub hosts: Vec<String>,
    /// The trust anchors used, in words.
    pub anchors: String,
    /// Why DNSSEC validation was asked for (`--dane auto`) but could not be done.
    pub dnssec_unavailable: Option<String>,
    /// The validated MX lookup (with `--dane auto`).
    pub mx: Option<Validated>,
    /// Per MX host: address validation and TLSA records (with `--dane auto`).
    pub dane: Option<Vec<TlsaLookup>>,
    /// MTA-STS (with `--mta-sts auto`).
    pub mta_sts: Option<MtaStsFacts>,
    /// TLS-RPT (when DANE or MTA-STS is evaluated).
    pub tls_rpt: Option<TlsRptFacts>,
}

/// A name from a fixed set, read back from a saved report by [`known`]. An alias, so that
/// serde's derive does not take the field for a `&str` borrowed from its input.
pub type Known = &'static str;

/// The record type names of [`Validated::rtype`], read back from a saved report.
pub const RTYPES: [&str; 7] = ["MX", "A", "AAAA", "TLSA", "TXT", "DNSKEY", "other"];

/// Reads one of a fixed set of names as the `&'static str` the record holds; any other name is
/// an error (a saved report is input like any other).
pub(crate) fn known<'de, D: Deserializer<'de>>(
    d: D,
    names: &[&'static str],
    what: &str,
) -> Result<&'static str, D::Error> {
    let s = std::borrow::Cow::<str>::deserialize(d)?;
    names.iter().find(|n| **n == s).copied().ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown {what} {:?}",
            crate::wire::escape::escape_str(&s)
        ))
    })
}

fn known_rtype<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    known(d, &RTYPES, "record type")
}
