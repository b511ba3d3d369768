//! The delivery security policy of a report (SPEC §9): the facts the lookups found, the
//! verdicts the checks reached, and the `policy` object of the JSON document.

use crate::checks::policy::PolicyVerdicts;
use crate::record::policy::{DnssecStatus, PolicyFacts, StsPolicy, Tlsa};
use serde::Serialize;
use std::collections::BTreeMap;

/// Facts and verdicts of the policy evaluation.
#[derive(Debug, Clone)]
pub struct PolicyReport {
    /// What the lookups found.
    pub facts: PolicyFacts,
    /// What the checks concluded.
    pub verdicts: PolicyVerdicts,
}

/// `policy` (SPEC §9).
#[derive(Debug, Serialize)]
pub struct PolicyDoc<'a> {
    /// `--dane off`: null.
    pub dnssec: Option<DnssecDoc<'a>>,
    /// `--dane off`: null.
    pub dane: Option<Vec<DaneDoc<'a>>>,
    /// `--mta-sts off`: null.
    pub mta_sts: Option<MtaStsDoc<'a>>,
    /// Null when neither DANE nor MTA-STS is evaluated.
    pub tls_rpt: Option<TlsRptDoc<'a>>,
}

/// `policy.dnssec`.
#[derive(Debug, Serialize)]
pub struct DnssecDoc<'a> {
    /// The MX answer's status.
    pub mx: Option<DnssecStatus>,
    /// Each MX host's address answers, combined.
    pub addresses: BTreeMap<&'a str, DnssecStatus>,
    /// Each MX host's TLSA answer (hosts whose addresses are secure).
    pub tlsa: BTreeMap<&'a str, DnssecStatus>,
}

/// `policy.dane[]`.
#[derive(Debug, Serialize)]
pub struct DaneDoc<'a> {
    /// MX host.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// The TLSA records.
    pub tlsa: &'a [Tlsa],
    /// Status of the TLSA answer.
    pub dnssec: DnssecStatus,
    /// The verdict.
    pub verdict: &'static str,
    /// The record that matched.
    pub matched: Option<&'a Tlsa>,
}

/// `policy.mta_sts`.
#[derive(Debug, Serialize)]
pub struct MtaStsDoc<'a> {
    /// The TXT record (the first starting with `v=STSv1`).
    pub record: Option<&'a str>,
    /// Its id.
    pub id: Option<&'a str>,
    /// The parsed policy.
    pub policy: Option<&'a StsPolicy>,
    /// The fetch.
    pub fetch: Option<FetchDoc<'a>>,
    /// The verdict.
    pub verdict: &'static str,
}

/// `policy.mta_sts.fetch`.
#[derive(Debug, Serialize)]
pub struct FetchDoc<'a> {
    /// URL.
    pub url: &'a str,
    /// HTTP status.
    pub status: Option<u16>,
    /// Why the fetch failed.
    pub error: Option<&'a str>,
    /// Time, ms.
    pub duration_ms: f64,
}

/// `policy.tls_rpt`.
#[derive(Debug, Serialize)]
pub struct TlsRptDoc<'a> {
    /// The TXT record.
    pub record: Option<&'a str>,
    /// Its `rua` URIs.
    pub rua: &'a [String],
}

impl<'a> PolicyDoc<'a> {
    /// The document part of a policy report.
    pub fn new(p: &'a PolicyReport) -> PolicyDoc<'a> {
        let f = &p.facts;
        let dnssec = f.dane.as_ref().map(|hosts| DnssecDoc {
            mx: f.mx.as_ref().map(|m| m.status),
            addresses: hosts
                .iter()
                .map(|h| (h.host.as_str(), h.address_status()))
                .collect(),
            tlsa: hosts
                .iter()
                .filter_map(|h| h.lookup.as_ref().map(|l| (h.host.as_str(), l.status)))
                .collect(),
        });
        let dane = p.verdicts.dane.as_ref().map(|vs| {
            vs.iter()
                .map(|v| DaneDoc {
                    host: &v.host,
                    port: v.port,
                    tlsa: &v.tlsa,
                    dnssec: v.dnssec,
                    verdict: v.verdict,
                    matched: v.matched.as_ref(),
                })
                .collect()
        });
        let mta_sts = f.mta_sts.as_ref().map(|s| MtaStsDoc {
            record: s.records.first().map(String::as_str),
            id: s.id.as_deref(),
            policy: s.policy.as_ref(),
            fetch: s.fetch.as_ref().map(|x| FetchDoc {
                url: &x.url,
                status: x.status,
                error: x.error.as_deref(),
                duration_ms: (x.duration_ms * 1000.0).round() / 1000.0,
            }),
            verdict: p
                .verdicts
                .mta_sts
                .as_ref()
                .map_or("not-published", |v| v.verdict),
        });
        let tls_rpt = f.tls_rpt.as_ref().map(|t| TlsRptDoc {
            record: t.records.first().map(String::as_str),
            rua: &t.rua,
        });
        PolicyDoc {
            dnssec,
            dane,
            mta_sts,
            tls_rpt,
        }
    }
}
