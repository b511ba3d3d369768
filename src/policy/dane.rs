//! TLSA lookups for DANE (RFC 7672 §2.2): each MX host's address records validated, and,
//! where they are secure, the TLSA RRset at `_PORT._tcp.HOST`.

use crate::dns::Family;
use crate::dns::dnssec::SecureDns;
use crate::record::policy::{DnssecStatus, Tlsa, TlsaLookup};
use hickory_resolver::proto::rr::{RData, RecordType};
use std::fmt::Write as _;

/// Hosts looked up at a time (a hostile zone may name hundreds of MX hosts).
pub const MAX_HOSTS: usize = 16;

/// The TLSA lookups of every host (the first [`MAX_HOSTS`]), concurrently. With
/// `mx_secure` (the MX answer validated), each host's TLSA question goes out beside its
/// address questions; see [`lookup`].
pub async fn lookup_all(
    dns: &SecureDns,
    hosts: &[String],
    port: u16,
    family: Family,
    mx_secure: bool,
) -> Vec<TlsaLookup> {
    let all = hosts
        .iter()
        .filter(|h| h.as_str() != "." && h.parse::<std::net::IpAddr>().is_err())
        .take(MAX_HOSTS)
        .map(|h| lookup(dns, h, port, family, mx_secure));
    futures_util::future::join_all(all).await
}

/// One host: its A and AAAA records (those of `-4`/`-6` only) validated together; TLSA only
/// when the addresses are secure (RFC 7672 §2.2.2).
///
/// A host of a signed MX answer is most likely in a signed zone too, so with `early` its TLSA
/// question is asked at once, beside the address questions, and its answer is used only when
/// they prove secure: one round trip instead of two. Otherwise (an unsigned MX answer, where
/// the addresses are rarely secure) the TLSA question waits for them, so that an unsigned
/// domain costs no TLSA query.
pub async fn lookup(
    dns: &SecureDns,
    host: &str,
    port: u16,
    family: Family,
    early: bool,
) -> TlsaLookup {
    let ask = |t: RecordType, wanted: bool| async move {
        if wanted {
            Some(dns.lookup(host, t).await.0)
        } else {
            None
        }
    };
    let tlsa_name = format!("_{port}._tcp.{host}");
    let ask_tlsa = || dns.lookup(&tlsa_name, RecordType::TLSA);
    let early_tlsa = async { if early { Some(ask_tlsa().await) } else { None } };
    let (a, aaaa, early_tlsa) = tokio::join!(
        ask(RecordType::A, family != Family::V6),
        ask(RecordType::AAAA, family != Family::V4),
        early_tlsa
    );
    // A family with no record (NODATA) says nothing about the host's addresses.
    let mut addresses: Vec<_> = a
        .into_iter()
        .chain(aaaa)
        .filter(|v| {
            !(v.error.as_ref().is_some_and(|e| e.kind == "no-records")
                && v.status != DnssecStatus::Bogus)
        })
        .collect();
    if addresses.is_empty() {
        addresses.push(a_or_aaaa_missing(host));
    }
    let mut out = TlsaLookup {
        host: host.to_string(),
        port,
        addresses,
        lookup: None,
        records: Vec::new(),
    };
    if out.address_status() == DnssecStatus::Secure {
        let (v, rdata) = match early_tlsa {
            Some(answer) => answer,
            None => ask_tlsa().await,
        };
        out.records = rdata.iter().filter_map(tlsa).collect();
        out.lookup = Some(v);
    }
    out
}

fn a_or_aaaa_missing(host: &str) -> crate::record::policy::Validated {
    crate::record::policy::Validated {
        name: host.to_string(),
        rtype: "A",
        status: DnssecStatus::Indeterminate,
        error: Some(crate::record::dns::LookupFailure {
            kind: "no-records".into(),
            message: "no A or AAAA record".into(),
        }),
    }
}

fn tlsa(r: &RData) -> Option<Tlsa> {
    let RData::TLSA(t) = r else { return None };
    let mut data = String::with_capacity(t.cert_data.len() * 2);
    for b in &t.cert_data {
        let _ = write!(data, "{b:02x}");
    }
    Some(Tlsa {
        usage: t.cert_usage.into(),
        selector: t.selector.into(),
        matching: t.matching.into(),
        data,
    })
}
