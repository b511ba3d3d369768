//! MTA-STS (RFC 8461): the `_mta-sts` TXT record and the policy fetched over HTTPS, without
//! redirects, at most [`MAX_POLICY_BYTES`], within the waits of [`PolicyPlan::waits`]. The record
//! and policy formats are parsed by the `mailrs-mta-sts` crate.

use super::{PolicyPlan, txt_strings};
use crate::dns::dnssec::SecureDns;
use crate::record::policy::{MtaStsFacts, PolicyFetch, StsPolicy};
use bytes::Bytes;
use hickory_resolver::proto::rr::{RData, RecordType};
use http_body_util::{BodyExt, Empty, Limited};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The largest policy body a sender accepts (RFC 8461 §3.3 suggests 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// The policy URL of a domain (RFC 8461 §3.3).
pub fn policy_url(domain: &str) -> String {
    mailrs_mta_sts::policy_url(domain)
}

/// The record lookup and, when one valid record is published, the policy fetch and parse.
pub async fn gather(dns: &SecureDns, plan: &PolicyPlan, domain: &str) -> MtaStsFacts {
    // The policy host's address and the TLS connection to it are made beside the record
    // lookup; the policy is asked for only when a record is published.
    let (host, name) = (format!("mta-sts.{domain}"), format!("_mta-sts.{domain}"));
    let ((lookup, rdata), opened) =
        tokio::join!(dns.lookup(&name, RecordType::TXT), open(dns, plan, &host));
    let records: Vec<String> = txt_strings(&rdata)
        .into_iter()
        .filter(|t| t.starts_with("v=STSv1"))
        .collect();
    let mut facts = MtaStsFacts {
        lookup,
        records,
        id: None,
        record_error: None,
        fetch: None,
        policy: None,
        policy_error: None,
    };
    match facts.records.as_slice() {
        [] => return facts,
        [one] => match mailrs_mta_sts::StsRecord::parse(one) {
            Ok(r) => facts.id = Some(r.id.to_string()),
            Err(e) => facts.record_error = Some(e.to_string()),
        },
        many => {
            facts.record_error = Some(format!(
                "{} records start with v=STSv1; RFC 8461 §3.1 allows one, so senders treat the domain as having no policy",
                many.len()
            ));
        }
    }
    // RFC 8461 §3.1: the policy is fetched when the record is valid; an invalid record is
    // no policy at all, but the fetch still shows the admin what the policy host serves.
    let fetch = fetch(plan, domain, opened).await;
    if let Some(body) = &fetch.body {
        match mailrs_mta_sts::Policy::parse(body) {
            Ok(p) => {
                facts.policy = Some(StsPolicy {
                    version: "STSv1".into(),
                    mode: match p.mode {
                        mailrs_mta_sts::PolicyMode::Enforce => "enforce",
                        mailrs_mta_sts::PolicyMode::Testing => "testing",
                        mailrs_mta_sts::PolicyMode::None => "none",
                    }
                    .into(),
                    mx: p.mx.iter().map(|m| m.to_string()).collect(),
                    max_age: p.max_age,
                })
            }
            Err(e) => facts.policy_error = Some(e.to_string()),
        }
    }
    facts.fetch = Some(fetch);
    facts
}

/// A TLS connection to the policy host (PKIX-verified for its name), when one was made, with
/// the time its making started; or why there is none.
pub type Opened = (Instant, Result<TlsStream<TcpStream>, String>);

/// Resolves the policy host and opens a verified TLS connection to it, within the fetch wait.
pub async fn open(dns: &SecureDns, plan: &PolicyPlan, host: &str) -> Opened {
    let ips = addresses(dns, host, plan.family).await;
    let started = Instant::now();
    let tls = match ips {
        Err(e) => Err(e),
        Ok(ips) => match tokio::time::timeout(plan.fetch_wait, handshake(plan, host, &ips)).await {
            Ok(r) => r,
            Err(_) => Err(no_answer(plan.fetch_wait)),
        },
    };
    (started, tls)
}

fn no_answer(wait: Duration) -> String {
    format!(
        "no complete answer within {}",
        humantime::format_duration(wait)
    )
}

/// `GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt` over the opened connection, within
/// what is left of the fetch wait.
pub async fn fetch(plan: &PolicyPlan, domain: &str, opened: Opened) -> PolicyFetch {
    let (started, tls) = opened;
    let mut out = PolicyFetch {
        url: policy_url(domain),
        status: None,
        error: None,
        duration_ms: 0.0,
        content_type: None,
        body: None,
    };
    let host = format!("mta-sts.{domain}");
    let left = plan.fetch_wait.saturating_sub(started.elapsed());
    let result = match tls {
        Err(e) => Err(e),
        Ok(tls) => match tokio::time::timeout(left, get(&host, tls, &mut out)).await {
            Ok(r) => r,
            Err(_) => Err(no_answer(plan.fetch_wait)),
        },
    };
    match result {
        Err(e) => out.error = Some(e),
        Ok(body) => out.body = Some(body),
    }
    out.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    out
}

async fn addresses(
    dns: &SecureDns,
    host: &str,
    family: crate::dns::Family,
) -> Result<Vec<IpAddr>, String> {
    use crate::dns::Family;
    let ask = |t: RecordType, wanted: bool| async move {
        if wanted {
            // The policy host is trusted through its certificate (RFC 8461 §3.3), not DNSSEC:
            // its addresses need no proof, and the connection starts without waiting for one.
            dns.lookup_unvalidated(host, t).await
        } else {
            (dns.not_asked(host, t), Vec::new())
        }
    };
    let (a, aaaa) = tokio::join!(
        ask(RecordType::A, family != Family::V6),
        ask(RecordType::AAAA, family != Family::V4)
    );
    let ips: Vec<IpAddr> =
        a.1.iter()
            .chain(aaaa.1.iter())
            .filter_map(|r| match r {
                RData::A(a) => Some(IpAddr::V4(a.0)),
                RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect();
    if ips.is_empty() {
        let why = a.0.error.map_or("no address".into(), |e| e.message);
        return Err(format!("the policy host {host} has no address: {why}"));
    }
    Ok(ips)
}

async fn connect(ips: &[IpAddr], wait: Duration) -> Result<tokio::net::TcpStream, String> {
    let mut last = String::new();
    for ip in ips {
        let sa = SocketAddr::new(*ip, 443);
        match tokio::time::timeout(wait, tokio::net::TcpStream::connect(sa)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = format!("TCP connect to {sa}: {e}"),
            Err(_) => {
                last = format!(
                    "TCP connect to {sa}: no answer within {}",
                    humantime::format_duration(wait)
                )
            }
        }
    }
    Err(last)
}

async fn handshake(
    plan: &PolicyPlan,
    host: &str,
    ips: &[IpAddr],
) -> Result<TlsStream<TcpStream>, String> {
    let tcp = connect(ips, plan.connect_wait).await?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(plan.roots.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host} is not a TLS server name: {e}"))?;
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host}: {e}"))
}

async fn get(
    host: &str,
    tls: TlsStream<TcpStream>,
    out: &mut PolicyFetch,
) -> Result<String, String> {
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = http::Request::get("/.well-known/mta-sts.txt")
        .header(http::header::HOST, host)
        .header(
            http::header::USER_AGENT,
            concat!("smtpdoctor/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let result = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        out.status = Some(resp.status().as_u16());
        out.content_type = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if resp.status().is_redirection() {
            let to = resp
                .headers()
                .get(http::header::LOCATION)
                .map_or("?".into(), |v| {
                    String::from_utf8_lossy(v.as_bytes()).into_owned()
                });
            return Err(format!(
                "HTTP {} redirect to {to}: RFC 8461 §3.3 forbids following redirects",
                resp.status().as_u16()
            ));
        }
        if resp.status() != http::StatusCode::OK {
            return Err(format!(
                "HTTP {}: the policy must be served with 200 OK",
                resp.status()
            ));
        }
        let body = Limited::new(resp.into_body(), MAX_POLICY_BYTES)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    format!(
                        "the body is larger than {} KiB (RFC 8461 §3.3)",
                        MAX_POLICY_BYTES / 1024
                    )
                } else {
                    format!("HTTP body: {e}")
                }
            })?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| "the body is not UTF-8 text".to_string())
    }
    .await;
    driver.abort();
    result
}
