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
    let mx = async {
        if plan.dane {
            Some(dns.lookup(domain, RecordType::MX).await.0)
        } else {
            None
        }
    };
    let dane = async {
        let hosts = hosts.await;
        let found = if plan.dane {
            Some(dane::lookup_all(dns, &hosts, plan.port, plan.family).await)
        } else {
            None
        };
        (hosts, found)
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
    let (mx, (hosts, dane), mta_sts, tls_rpt) = tokio::join!(mx, dane, sts, rpt);
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
