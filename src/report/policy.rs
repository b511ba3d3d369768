//! The delivery security policy of a report (SPEC §9): the facts the lookups found, the
//! verdicts the checks reached, and the `policy` object of the JSON document.

use crate::checks::policy::PolicyVerdicts;
use crate::record::policy::{DnssecStatus, PolicyFacts, StsPolicy, Tlsa};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Facts and verdicts of the policy evaluation: everything the text report prints of them.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyReport {
    /// What the lookups found.
    pub facts: PolicyFacts,
    /// What the checks concluded.
    pub verdicts: PolicyVerdicts,
}

/// `policy` (SPEC §9), plus `detail`: the facts and verdicts in full, from which the text
/// report prints its policy lines, so that `smtpdoctor report` prints them from a saved
/// document as the run did.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyDoc {
    /// `--dane off`: null.
    pub dnssec: Option<DnssecDoc>,
    /// `--dane off`: null.
    pub dane: Option<Vec<DaneDoc>>,
    /// `--mta-sts off`: null.
    pub mta_sts: Option<MtaStsDoc>,
    /// Null when neither DANE nor MTA-STS is evaluated.
    pub tls_rpt: Option<TlsRptDoc>,
    /// The lookups and verdicts in full (the attempts they name are 0-based indexes).
    pub detail: PolicyReport,
}

/// `policy.dnssec`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DnssecDoc {
    /// The MX answer's status.
    pub mx: Option<DnssecStatus>,
    /// Each MX host's address answers, combined.
    pub addresses: BTreeMap<String, DnssecStatus>,
    /// Each MX host's TLSA answer (hosts whose addresses are secure).
    pub tlsa: BTreeMap<String, DnssecStatus>,
}

/// `policy.dane[]`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DaneDoc {
    /// MX host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The TLSA records.
    pub tlsa: Vec<Tlsa>,
    /// Status of the TLSA answer.
    pub dnssec: DnssecStatus,
    /// The verdict: `valid`, `mismatch`, `unusable`, `lookup-failed`, `no-starttls`,
    /// `not-published` or `not-applicable`.
    pub verdict: String,
    /// The record that matched.
    pub matched: Option<Tlsa>,
}

/// `policy.mta_sts`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MtaStsDoc {
    /// The TXT record (the first starting with `v=STSv1`).
    pub record: Option<String>,
    /// Its id.
    pub id: Option<String>,
    /// The parsed policy.
    pub policy: Option<StsPolicy>,
    /// The fetch.
    pub fetch: Option<FetchDoc>,
    /// The verdict: `valid`, `mx-mismatch`, `cert-invalid`, `unavailable`, `invalid` or
    /// `not-published`.
    pub verdict: String,
}

/// `policy.mta_sts.fetch`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FetchDoc {
    /// URL.
    pub url: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// Why the fetch failed.
    pub error: Option<String>,
    /// Time, ms.
    pub duration_ms: f64,
}

/// `policy.tls_rpt`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsRptDoc {
    /// The TXT record.
    pub record: Option<String>,
    /// Its `rua` URIs.
    pub rua: Vec<String>,
}

impl PolicyDoc {
    /// The document part of a policy report.
    pub fn new(p: &PolicyReport) -> PolicyDoc {
        let f = &p.facts;
        let dnssec = f.dane.as_ref().map(|hosts| DnssecDoc {
            mx: f.mx.as_ref().map(|m| m.status),
            addresses: hosts
                .iter()
                .map(|h| (h.host.clone(), h.address_status()))
                .collect(),
            tlsa: hosts
                .iter()
                .filter_map(|h| h.lookup.as_ref().map(|l| (h.host.clone(), l.status)))
                .collect(),
        });
        let dane = p.verdicts.dane.as_ref().map(|vs| {
            vs.iter()
                .map(|v| DaneDoc {
                    host: v.host.clone(),
                    port: v.port,
                    tlsa: v.tlsa.clone(),
                    dnssec: v.dnssec,
                    verdict: v.verdict.to_string(),
                    matched: v.matched.clone(),
                })
                .collect()
        });
        let mta_sts = f.mta_sts.as_ref().map(|s| MtaStsDoc {
            record: s.records.first().cloned(),
            id: s.id.clone(),
            policy: s.policy.clone(),
            fetch: s.fetch.as_ref().map(|x| FetchDoc {
                url: x.url.clone(),
                status: x.status,
                error: x.error.clone(),
                duration_ms: (x.duration_ms * 1000.0).round() / 1000.0,
            }),
            verdict: p
                .verdicts
                .mta_sts
                .as_ref()
                .map_or("not-published", |v| v.verdict)
                .to_string(),
        });
        let tls_rpt = f.tls_rpt.as_ref().map(|t| TlsRptDoc {
            record: t.records.first().cloned(),
            rua: t.rua.clone(),
        });
        PolicyDoc {
            dnssec,
            dane,
            mta_sts,
            tls_rpt,
            detail: p.clone(),
        }
    }
}
