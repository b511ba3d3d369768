//! Delivery security policy lookups (SPEC §9): DNSSEC status of the answers, TLSA records
//! (DANE), the MTA-STS record and policy, the TLS-RPT record. They only gather facts
//! ([`PolicyFacts`]); `checks::policy` judges them together with the attempts' TLS chains.
//! Every lookup here can run while the SMTP dialogue goes on: none needs a greeting.

pub mod dane;
pub mod mta_sts;
pub mod tls_rpt;

use crate::dns::dnssec::SecureDns;
use crate::record::policy::PolicyFacts;
use hickory_resolver::proto::rr::{RData, RecordType};
use rustls::RootCertStore;
use std::sync::Arc;
use std::time::Duration;

/// What the policy lookups need to know.
#[derive(Clone)]
pub struct PolicyPlan {
    /// `--dane auto`.
    pub dane: bool,
    /// `--mta-sts auto`.
    pub mta_sts: bool,
    /// The SMTP port of the MX hosts (TLSA names are `_PORT._tcp.HOST`).
    pub port: u16,
    /// The address families the probe uses (`-4`, `-6`).
    pub family: crate::dns::Family,
    /// Trust anchors for the MTA-STS policy host (webpki-roots plus `--ca-file`).
    pub roots: Arc<RootCertStore>,
    /// The wait for the policy host's TCP connect.
    pub connect_wait: Duration,
    /// The wait for the whole policy fetch.
    pub fetch_wait: Duration,
}

impl PolicyPlan {
    /// The waits of SPEC §9: the connect timeout to connect, 30 s in all, both capped by
    /// `--timeout`.
    pub fn waits(timeout: Option<Duration>) -> (Duration, Duration) {
        let cap = |d: Duration| timeout.map_or(d, |t| t.min(d));
        (
            cap(crate::wire::timeouts::CONNECT),
            cap(Duration::from_secs(30)),
        )
    }
}

/// All policy lookups for `domain`, concurrently. The MTA-STS and TLS-RPT lookups start at
/// once; the TLSA lookups start when `hosts` (the MX host names, from the MX lookup) arrive.
pub async fn gather(
    dns: &SecureDns,
    plan: &PolicyPlan,
    domain: &str,
    hosts: impl std::future::Future<Output = Vec<String>>,
) -> PolicyFacts {
    // The TLSA lookups start from the validated MX answer, not from the plan's, which waits
    // for the address lookups of every host; the plan's host list serves when that answer
    // gives none.
    let dane = async {
        if !plan.dane {
            return (None, hosts.await, None);
        }
        let (mx, rdata) = dns.lookup(domain, RecordType::MX).await;
        let hosts = match exchanges(&rdata, domain, &mx) {
            Some(h) => h,
            None => hosts.await,
        };
        let mx_secure = mx.status == crate::record::policy::DnssecStatus::Secure;
        let found = dane::lookup_all(dns, &hosts, plan.port, plan.family, mx_secure).await;
        (Some(mx), hosts, Some(found))
    };
    let sts = async {
        if plan.mta_sts {
            Some(mta_sts::gather(dns, plan, domain).await)
        } else {
            None
        }
    };
    let rpt = async {
        if plan.dane || plan.mta_sts {
            Some(tls_rpt::gather(dns, domain).await)
        } else {
            None
        }
    };
    let ((mx, hosts, dane), mta_sts, tls_rpt) = tokio::join!(dane, sts, rpt);
    PolicyFacts {
        domain: domain.to_string(),
        hosts,
        anchors: dns.anchors.clone(),
        dnssec_unavailable: dns.unavailable().map(str::to_string),
        mx,
        dane,
        mta_sts,
        tls_rpt,
    }
}

/// The MX host names of an MX answer, best preference first (the domain itself for the
/// implicit MX, none for a null MX); `None` when the answer gave no list.
fn exchanges(
    rdata: &[RData],
    domain: &str,
    lookup: &crate::record::policy::Validated,
) -> Option<Vec<String>> {
    let mut mx: Vec<(u16, String)> = rdata
        .iter()
        .filter_map(|r| match r {
            RData::MX(m) if !m.exchange.is_root() => Some((
                m.preference,
                m.exchange.to_ascii().trim_end_matches('.').to_string(),
            )),
            _ => None,
        })
        .collect();
    let null_mx = rdata
        .iter()
        .any(|r| matches!(r, RData::MX(m) if m.exchange.is_root()));
    if !mx.is_empty() || null_mx {
        mx.sort_by_key(|(p, _)| *p);
        return Some(mx.into_iter().map(|(_, h)| h).collect());
    }
    match &lookup.error {
        Some(e) if e.kind == "no-records" => Some(vec![domain.to_string()]),
        _ => None,
    }
}

/// The strings of TXT answers, each record's chunks joined (RFC 7208 §3.3 style), with
/// control bytes kept as they are (the printers escape them).
pub(crate) fn txt_strings(rdata: &[RData]) -> Vec<String> {
    rdata
        .iter()
        .filter_map(|r| match r {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect()
}
