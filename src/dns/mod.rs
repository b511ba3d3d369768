//! MX resolution with hickory-resolver: ordering, implicit MX, null MX, addresses, PTR.
//!
//! The result is plain data ([`DnsReport`], [`PlannedTarget`]); the DNS checks judge it later.

pub mod dnssec;
pub mod memo;

pub use crate::record::dns::{DnsReport, LookupFailure, MxHost, PtrResult};
use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use rand::seq::SliceRandom;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The wait for one DNS phase when `--timeout` does not set it.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// Address lookups of MX hosts run this many at a time.
pub const PARALLEL_HOST_LOOKUPS: usize = 16;
/// PTR names whose forward lookup is checked (a hostile zone may list hundreds).
pub const MAX_PTR_NAMES: usize = 8;

/// Errors that stop resolution before any DNS answer could be judged.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A `--resolver` value that is not IP[:PORT].
    #[error("invalid --resolver {0:?}: expected IP, IP:PORT or [IPv6]:PORT")]
    BadResolver(String),
    /// The system resolver configuration could not be read.
    #[error("cannot read the system resolver configuration: {0}")]
    SystemConfig(String),
}

/// Which address families to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4 and IPv6.
    Any,
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

impl Family {
    /// Whether an address is of this family.
    pub fn admits(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

impl LookupFailure {
    pub(crate) fn from_error(e: &NetError) -> LookupFailure {
        let kind = if e.is_nx_domain() {
            "nxdomain"
        } else if e.is_no_records_found() {
            "no-records"
        } else if matches!(e, NetError::Timeout) {
            "timeout"
        } else {
            "failed"
        };
        // hickory's own texts for the two negative answers print its query structure; say
        // what the answer was instead.
        let message = match kind {
            "nxdomain" => "the name does not exist (NXDOMAIN)".to_string(),
            "no-records" => "the name exists but has no record of this type (NODATA)".to_string(),
            _ => e.to_string(),
        };
        LookupFailure {
            kind: kind.into(),
            message,
        }
    }
}

/// A `--resolver` argument parsed.
pub fn parse_resolver(s: &str) -> Result<SocketAddr, ResolveError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    s.parse::<SocketAddr>()
        .map_err(|_| ResolveError::BadResolver(s.to_string()))
}

/// A configured resolver.
pub struct Dns {
    resolver: TokioResolver,
    label: String,
    family: Family,
    wait: Duration,
}

pub(crate) fn timed_out(wait: Duration) -> LookupFailure {
    LookupFailure {
        kind: "timeout".into(),
        message: format!("no answer within {}", humantime::format_duration(wait)),
    }
}

/// A resolver builder for the given servers (system configuration when empty) with the
/// probe's options, and the label naming those servers.
pub(crate) fn resolver_builder(
    servers: &[SocketAddr],
    wait: Duration,
) -> Result<
    (
        hickory_resolver::ResolverBuilder<TokioRuntimeProvider>,
        String,
    ),
    ResolveError,
> {
    resolver_builder_with(servers, wait, TokioRuntimeProvider::default())
}

/// [`resolver_builder`] over another connection provider (the validator's memo).
pub(crate) fn resolver_builder_with<P: hickory_resolver::ConnectionProvider>(
    servers: &[SocketAddr],
    wait: Duration,
    provider: P,
) -> Result<(hickory_resolver::ResolverBuilder<P>, String), ResolveError> {
    let (mut builder, label) = if servers.is_empty() {
        let b =
            Resolver::builder(provider).map_err(|e| ResolveError::SystemConfig(e.to_string()))?;
        (b, "system".to_string())
    } else {
        let ns = servers
            .iter()
            .map(|sa| {
                let mut c = NameServerConfig::udp_and_tcp(sa.ip());
                for conn in &mut c.connections {
                    conn.port = sa.port();
                }
                c
            })
            .collect();
        let config = ResolverConfig::from_parts(None, vec![], ns);
        let label = servers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        (Resolver::builder_with_config(config, provider), label)
    };
    let opts = builder.options_mut();
    opts.timeout = wait.min(Duration::from_secs(5));
    opts.attempts = 2;
    opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    opts.ndots = 0;
    if !servers.is_empty() {
        // The chosen servers answer alone: /etc/hosts would mask what they say.
        opts.use_hosts_file = ResolveHosts::Never;
    }
    Ok((builder, label))
}

/// The addresses of a host name, IPv4 and IPv6, through the system's resolver configuration
/// and hosts file (`localhost` is loopback, RFC 6761), within `wait`.
pub async fn host_addresses(host: &str, wait: Duration) -> Result<Vec<IpAddr>, String> {
    let resolver = resolver_builder(&[], wait)
        .and_then(|(b, _)| {
            b.build()
                .map_err(|e| ResolveError::SystemConfig(e.to_string()))
        })
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(wait, resolver.lookup_ip(host)).await {
        Err(_) => Err(timed_out(wait).message),
        Ok(Err(e)) => Err(LookupFailure::from_error(&e).message),
        Ok(Ok(found)) => Ok(found.iter().collect()),
    }
}

impl Dns {
    /// Builds a resolver for the given servers (system configuration when empty). `wait` bounds
    /// each phase as a whole, retries included: the MX lookup, the address lookups of all MX
    /// hosts together, and a PTR check; one query waits at most `wait` or 5 s.
    pub fn new(
        servers: &[SocketAddr],
        family: Family,
        wait: Duration,
    ) -> Result<Dns, ResolveError> {
        Dns::build(servers, family, wait, None)
    }

    /// A resolver shared by the probes of a run (SPEC §10): its cache holds up to `entries`
    /// answers, each for the whole run (at least an hour, even when its TTL is shorter), so a
    /// shared MX host is resolved once however many domains name it.
    pub fn for_run(
        servers: &[SocketAddr],
        family: Family,
        wait: Duration,
        entries: u64,
    ) -> Result<Dns, ResolveError> {
        Dns::build(servers, family, wait, Some(entries))
    }

    fn build(
        servers: &[SocketAddr],
        family: Family,
        wait: Duration,
        run_cache: Option<u64>,
    ) -> Result<Dns, ResolveError> {
        let (mut builder, label) = resolver_builder(servers, wait)?;
        if let Some(entries) = run_cache {
            let opts = builder.options_mut();
            opts.cache_size = entries;
            opts.positive_min_ttl = Some(Duration::from_secs(3600));
        }
        let resolver = builder
            .build()
            .map_err(|e| ResolveError::SystemConfig(e.to_string()))?;
        Ok(Dns {
            resolver,
            label,
            family,
            wait,
        })
    }

    /// Resolves a domain's MX set the way an MTA does (RFC 5321 §5.1, RFC 7505).
    pub async fn mx(&self, domain: &str) -> DnsReport {
        let started = Instant::now();
        let mut report = DnsReport {
            query: domain.to_string(),
            resolver: self.label.clone(),
            mx: Vec::new(),
            implicit: false,
            null_mx: false,
            null_mx_with_others: false,
            error: None,
            duration_ms: 0.0,
        };
        let name = fqdn(domain);
        let answer = tokio::time::timeout(
            self.wait,
            self.resolver.lookup(name.as_str(), RecordType::MX),
        )
        .await;
        match answer {
            Err(_) => report.error = Some(timed_out(self.wait)),
            Ok(Ok(lookup)) => {
                let mut records: Vec<(u16, Name)> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some((mx.preference, mx.exchange.clone())),
                        _ => None,
                    })
                    .collect();
                let nulls = records.iter().filter(|(_, n)| n.is_root()).count();
                if nulls > 0 {
                    report.null_mx = true;
                    report.null_mx_with_others = records.len() > nulls;
                    records.retain(|(_, n)| !n.is_root());
                    if !report.null_mx_with_others {
                        report.mx.push(MxHost {
                            preference: 0,
                            exchange: ".".into(),
                            addresses: vec![],
                            ip_literal: false,
                            cname: None,
                            error: None,
                        });
                    }
                }
                // Order by preference; shuffle equal preferences (RFC 5321 §5.1).
                records.shuffle(&mut rand::rng());
                records.sort_by_key(|(p, _)| *p);
                if records.is_empty() && !report.null_mx {
                    report.implicit = true;
                    let host = self.host(0, domain).await;
                    report.mx.push(host);
                } else {
                    let hosts = records
                        .into_iter()
                        .map(|(pref, exchange)| (pref, trim_dot(&exchange.to_ascii())))
                        .collect();
                    report.mx.extend(self.hosts(hosts).await);
                }
            }
            Ok(Err(e)) if e.is_no_records_found() && !e.is_nx_domain() => {
                report.implicit = true;
                let host = self.host(0, domain).await;
                report.mx.push(host);
            }
            Ok(Err(e)) => report.error = Some(LookupFailure::from_error(&e)),
        }
        report.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        report
    }

    /// Looks up one host's addresses (within the resolver's wait).
    pub async fn host(&self, preference: u16, exchange: &str) -> MxHost {
        let lookup = host_lookup(self.resolver.clone(), self.family, preference, exchange);
        match tokio::time::timeout(self.wait, lookup).await {
            Ok(host) => host,
            Err(_) => unresolved(preference, exchange, timed_out(self.wait)),
        }
    }

    /// Looks up many hosts' addresses, [`PARALLEL_HOST_LOOKUPS`] at a time, all within one wait;
    /// hosts without an answer by then carry a timeout. The order is kept.
    pub async fn hosts(&self, hosts: Vec<(u16, String)>) -> Vec<MxHost> {
        let deadline = tokio::time::Instant::now() + self.wait;
        let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL_HOST_LOOKUPS));
        let mut set = tokio::task::JoinSet::new();
        for (i, (preference, exchange)) in hosts.iter().cloned().enumerate() {
            let (resolver, family, permits) = (self.resolver.clone(), self.family, permits.clone());
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (
                    i,
                    host_lookup(resolver, family, preference, &exchange).await,
                )
            });
        }
        let mut found: Vec<Option<MxHost>> = vec![None; hosts.len()];
        loop {
            match tokio::time::timeout_at(deadline, set.join_next()).await {
                Ok(Some(Ok((i, host)))) => found[i] = Some(host),
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    set.abort_all();
                    break;
                }
            }
        }
        hosts
            .into_iter()
            .zip(found)
            .map(|((preference, exchange), host)| {
                host.unwrap_or_else(|| unresolved(preference, &exchange, timed_out(self.wait)))
            })
            .collect()
    }

    /// Reverse DNS with forward confirmation of the first [`MAX_PTR_NAMES`] names, all within
    /// the resolver's wait.
    pub async fn ptr(&self, ip: IpAddr) -> PtrResult {
        match tokio::time::timeout(self.wait, self.ptr_unbounded(ip)).await {
            Ok(r) => r,
            Err(_) => PtrResult {
                names: vec![],
                confirmed: false,
                error: Some(timed_out(self.wait)),
            },
        }
    }

    async fn ptr_unbounded(&self, ip: IpAddr) -> PtrResult {
        match self.resolver.reverse_lookup(ip).await {
            Ok(lookup) => {
                let names: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::PTR(p) => Some(trim_dot(&p.0.to_ascii())),
                        _ => None,
                    })
                    .collect();
                let mut confirmed = false;
                for n in names.iter().take(MAX_PTR_NAMES) {
                    if let Ok(found) = self.resolver.lookup_ip(fqdn(n).as_str()).await
                        && found.iter().any(|a| a == ip)
                    {
                        confirmed = true;
                        break;
                    }
                }
                PtrResult {
                    names,
                    confirmed,
                    error: None,
                }
            }
            Err(e) => PtrResult {
                names: vec![],
                confirmed: false,
                error: Some(LookupFailure::from_error(&e)),
            },
        }
    }
}

fn unresolved(preference: u16, exchange: &str, error: LookupFailure) -> MxHost {
    MxHost {
        preference,
        exchange: exchange.to_string(),
        addresses: vec![],
        ip_literal: false,
        cname: None,
        error: Some(error),
    }
}

/// One host's addresses, without a deadline of its own.
async fn host_lookup(
    resolver: TokioResolver,
    family: Family,
    preference: u16,
    exchange: &str,
) -> MxHost {
    let mut host = MxHost {
        preference,
        exchange: exchange.to_string(),
        addresses: vec![],
        ip_literal: false,
        cname: None,
        error: None,
    };
    if let Ok(ip) = exchange.parse::<IpAddr>() {
        host.ip_literal = true;
        if family.admits(&ip) {
            host.addresses.push(ip);
        }
        return host;
    }
    match resolver.lookup_ip(fqdn(exchange).as_str()).await {
        Ok(found) => {
            for r in found.as_lookup().answers() {
                if let RData::CNAME(c) = &r.data {
                    host.cname = Some(trim_dot(&c.0.to_ascii()));
                }
            }
            let mut seen = Vec::new();
            for ip in found.iter() {
                if family.admits(&ip) && !seen.contains(&ip) {
                    seen.push(ip);
                }
            }
            host.addresses = seen;
            if host.addresses.is_empty() {
                host.error = Some(LookupFailure {
                    kind: "no-records".into(),
                    message: "no address of the wanted family".into(),
                });
            }
        }
        Err(e) => host.error = Some(LookupFailure::from_error(&e)),
    }
    host
}

pub(crate) fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

pub(crate) fn trim_dot(name: &str) -> String {
    let t = name.strip_suffix('.').unwrap_or(name);
    if t.is_empty() {
        ".".into()
    } else {
        t.to_string()
    }
}

/// Whether a string is a plausible domain name (LDH labels, ≤ 253 octets, labels ≤ 63).
pub fn is_domain(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_arguments() {
        assert_eq!(
            parse_resolver("127.0.0.1").unwrap(),
            "127.0.0.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]:53").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert_eq!(parse_resolver("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_resolver("dns.example").is_err());
    }

    /// A UDP "DNS server" on loopback that never answers.
    async fn silent_server() -> (tokio::net::UdpSocket, SocketAddr) {
        let s = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = s.local_addr().unwrap();
        (s, addr)
    }

    /// Regression: a silent server made the MX lookup take the per-query timeout times the
    /// attempts, beyond the wait it was given.
    #[tokio::test]
    async fn a_silent_server_is_given_up_within_the_wait() {
        let (_s, addr) = silent_server().await;
        // Before, one query waited `wait` and was tried twice.
        let wait = Duration::from_millis(1000);
        let dns = Dns::new(&[addr], Family::V4, wait).unwrap();
        let started = Instant::now();
        let r = dns.mx("hostile.test").await;
        assert!(started.elapsed() < wait + Duration::from_millis(600));
        assert_eq!(r.error.unwrap().kind, "timeout");
        let started = Instant::now();
        // TEST-NET-1: only its PTR name is asked, of the silent server.
        let p = dns.ptr("192.0.2.1".parse().unwrap()).await;
        assert!(started.elapsed() < wait + Duration::from_millis(600));
        assert!(p.error.is_some());
    }

    /// Regression: the address lookups of many MX hosts ran one after another, each with its
    /// own timeout: 500 silent hosts took half an hour.
    #[tokio::test]
    async fn many_silent_hosts_share_one_wait() {
        let (_s, addr) = silent_server().await;
        let wait = Duration::from_millis(500);
        let dns = Dns::new(&[addr], Family::V4, wait).unwrap();
        let hosts: Vec<(u16, String)> = (0..200)
            .map(|i| (10, format!("mx{i}.hostile.test")))
            .collect();
        let started = Instant::now();
        let found = dns.hosts(hosts).await;
        assert!(started.elapsed() < wait + Duration::from_millis(1000));
        assert_eq!(found.len(), 200);
        assert_eq!(found[199].exchange, "mx199.hostile.test", "order kept");
        assert!(
            found
                .iter()
                .all(|h| h.addresses.is_empty() && h.error.is_some())
        );
        let literal = dns.hosts(vec![(5, "127.0.0.1".into())]).await;
        assert_eq!(
            literal[0].addresses,
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn domain_syntax() {
        assert!(is_domain("example.com"));
        assert!(is_domain("mx1.lab.test."));
        assert!(!is_domain("exa mple.com"));
        assert!(!is_domain("a..b"));
        assert!(!is_domain(&"a".repeat(64)));
        assert!(!is_domain("\u{1b}[31m.com"));
    }
}
