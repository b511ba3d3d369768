//! The probe: target parsing, resolution into a plan, attempts (stop at the first usable one
//! unless `--all`), then the checks. Input errors are [`ProbeError`]s (exit 3); everything the
//! network does is a finding.

use crate::checks::{self, CheckContext};
use crate::config::{ActiveTest, ProbeConfig, QuitAfter};
use crate::dns::{self, Dns, Family};
use crate::report::{PlanEntry, Report};
use crate::session::{self, AttemptTarget, SessionConfig};
use crate::wire::command::is_safe_argument;
use std::net::{IpAddr, SocketAddr};
use std::time::{Instant, SystemTime};

/// Addresses tried without `--all` before the probe gives up, as an MTA does (RFC 5321 §5.1
/// asks for a limit; Postfix tries 5): a zone naming hundreds of unreachable MX hosts would
/// otherwise cost hundreds of connect timeouts.
pub const MAX_ADDRESSES_TRIED: usize = 10;

/// Errors in the user's input or local set-up (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The target is not a domain, an address or an IP.
    #[error(
        "invalid target {0:?}: expected a domain (example.com), an address (user@example.com) or an IP address"
    )]
    Target(String),
    /// `--server` could not be parsed.
    #[error("invalid --server {0:?}: expected HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT")]
    Server(String),
    /// An address option with unsafe characters.
    #[error(
        "invalid {option} {value:?}: an address must be printable ASCII without spaces or angle brackets, at most 256 bytes"
    )]
    Address {
        /// Which option.
        option: &'static str,
        /// The value (escaped for display).
        value: String,
    },
    /// `--test smuggling` without an explicit `--to`.
    #[error(
        "--test smuggling needs an explicit --to ADDR, a mailbox you own: every end-of-data sequence the server accepts delivers a test message to it"
    )]
    SmugglingNeedsTo,
    /// `--body` could not be read.
    #[error("cannot read --body {0}")]
    Body(String),
    /// Resolver set-up.
    #[error(transparent)]
    Resolve(#[from] dns::ResolveError),
    /// TLS set-up.
    #[error(transparent)]
    Tls(#[from] crate::session::tls::TlsSetupError),
}

/// What the user asked to probe, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Domain for MX lookup (None for an IP target).
    pub domain: Option<String>,
    /// IP target.
    pub ip: Option<IpAddr>,
    /// Address given as target (default RCPT).
    pub address: Option<String>,
}

/// Parses TARGET.
pub fn parse_target(s: &str) -> Result<Target, ProbeError> {
    let bad = || ProbeError::Target(crate::wire::escape::escape_str(s));
    let literal = s.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(Target {
            domain: None,
            ip: Some(ip),
            address: None,
        });
    }
    if let Some((local, domain)) = s.rsplit_once('@') {
        if local.is_empty() || !is_safe_argument(s, 256) || !dns::is_domain(domain) {
            return Err(bad());
        }
        return Ok(Target {
            domain: Some(domain.trim_end_matches('.').to_ascii_lowercase()),
            ip: None,
            address: Some(s.to_string()),
        });
    }
    if dns::is_domain(s) {
        Ok(Target {
            domain: Some(s.trim_end_matches('.').to_ascii_lowercase()),
            ip: None,
            address: None,
        })
    } else {
        Err(bad())
    }
}

/// Parses `--server`: HOST, HOST:PORT, IPv4:PORT, [IPv6]:PORT or a bare IPv6 address.
pub fn parse_server(s: &str, default_port: u16) -> Result<(String, u16), ProbeError> {
    let bad = || ProbeError::Server(crate::wire::escape::escape_str(s));
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok((sa.ip().to_string(), sa.port()));
    }
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok((ip.to_string(), default_port));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
        None => (s, default_port),
    };
    if dns::is_domain(host) {
        Ok((host.trim_end_matches('.').to_string(), port))
    } else {
        Err(bad())
    }
}

/// This host's name for EHLO: the kernel host name, else `localhost`.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| dns::is_domain(s))
        .unwrap_or_else(|| "localhost".into())
}

fn aimed(q: QuitAfter, data: bool) -> &'static str {
    if data {
        return "data";
    }
    match q {
        QuitAfter::Connect => "connect",
        QuitAfter::Greeting => "greeting",
        QuitAfter::Ehlo => "ehlo",
        QuitAfter::Tls => "tls",
        QuitAfter::Mail => "mail",
        QuitAfter::Rcpt => "rcpt",
    }
}

/// Runs the checks over a finished attempt, then gives its read bytes back to the budget
/// (transcripts and reports are made from lines; only the checks look at raw reads).
fn judge(
    attempt: &mut crate::session::Attempt,
    index: usize,
    ctx: &CheckContext,
) -> Vec<crate::checks::finding::Finding> {
    let findings = checks::attempt(attempt, index, ctx);
    attempt.record.release_read_bytes();
    findings
}

/// Runs a probe.
pub async fn run(
    target_arg: &str,
    server: Option<&str>,
    opts: &ProbeConfig,
    live: bool,
) -> Result<Report, ProbeError> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let target = parse_target(target_arg)?;
    let family = match (opts.ipv4, opts.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    };
    if opts.test.contains(&ActiveTest::Smuggling) && opts.to.is_empty() {
        return Err(ProbeError::SmugglingNeedsTo);
    }
    let from = opts.from.clone().unwrap_or_default();
    if !from.is_empty() && !is_safe_argument(&from, 256) {
        return Err(ProbeError::Address {
            option: "--from",
            value: crate::wire::escape::escape_str(&from),
        });
    }
    let mut to = opts.to.clone();
    if to.is_empty() {
        to.push(match (&target.address, &target.domain, &target.ip) {
            (Some(a), _, _) => a.clone(),
            (None, Some(d), _) => format!("postmaster@{d}"),
            (None, None, Some(ip)) => format!("postmaster@[{ip}]"),
            _ => "postmaster".into(),
        });
    }
    for t in &to {
        if !is_safe_argument(t, 256) {
            return Err(ProbeError::Address {
                option: "--to",
                value: crate::wire::escape::escape_str(t),
            });
        }
    }
    let helo = opts.helo.clone().unwrap_or_else(local_hostname);
    if !is_safe_argument(&helo, 255) {
        return Err(ProbeError::Address {
            option: "--helo",
            value: crate::wire::escape::escape_str(&helo),
        });
    }
    let resolvers = opts
        .resolver
        .iter()
        .map(|r| dns::parse_resolver(r))
        .collect::<Result<Vec<_>, _>>()?;
    let roots = crate::session::tls::root_store(opts.ca_file.as_deref())?;
    let message = match (&opts.body, opts.size, opts.data) {
        (Some(p), _, _) if p.as_os_str() == "-" => {
            Some(crate::session::message::MessageSpec::Stdin)
        }
        (Some(p), _, _) => Some(crate::session::message::MessageSpec::File(p.clone())),
        (None, Some(n), _) => Some(crate::session::message::MessageSpec::Size(n)),
        (None, None, true) => Some(crate::session::message::MessageSpec::Test),
        _ => None,
    };
    let scan = match &message {
        Some(crate::session::message::MessageSpec::File(p)) => Some(
            crate::session::message::scan_file(p)
                .await
                .map_err(|e| ProbeError::Body(format!("{}: {e}", p.display())))?,
        ),
        _ => None,
    };
    let cfg = SessionConfig {
        helo,
        from,
        to,
        starttls: opts.starttls,
        tls_on_connect: opts.tls_on_connect,
        sni: opts.sni.clone(),
        roots,
        quit_after: opts.quit_after,
        cap: opts.timeout,
        live,
        message,
        scan,
    };
    let dns_timeout = opts.timeout.unwrap_or(dns::DEFAULT_WAIT);
    let mut findings = Vec::new();
    let mut plan: Vec<PlanEntry> = Vec::new();
    let mut dns_report = None;
    let mut dns: Option<Dns> = None;
    let mut targets: Vec<AttemptTarget> = Vec::new();
    if let Some(server) = server {
        let (host, port) = parse_server(server, opts.port)?;
        if let Ok(ip) = host.parse::<IpAddr>() {
            targets.push(AttemptTarget {
                host: host.clone(),
                addr: SocketAddr::new(ip, port),
                preference: None,
            });
        } else {
            let d = Dns::new(&resolvers, family, dns_timeout)?;
            let h = d.host(0, &host).await;
            if h.addresses.is_empty() {
                plan.push(PlanEntry {
                    host: host.clone(),
                    address: None,
                    preference: None,
                    attempt: None,
                    skipped: Some(
                        h.error
                            .as_ref()
                            .map_or("no address".into(), |e| e.message.clone()),
                    ),
                });
            }
            for ip in h.addresses {
                targets.push(AttemptTarget {
                    host: host.clone(),
                    addr: SocketAddr::new(ip, port),
                    preference: None,
                });
            }
            dns = Some(d);
        }
    } else if let Some(ip) = target.ip {
        targets.push(AttemptTarget {
            host: ip.to_string(),
            addr: SocketAddr::new(ip, opts.port),
            preference: None,
        });
    } else if let Some(domain) = &target.domain {
        let d = Dns::new(&resolvers, family, dns_timeout)?;
        let report = d.mx(domain).await;
        findings.extend(checks::dns::check(&report));
        for h in &report.mx {
            if h.exchange == "." {
                continue;
            }
            if h.addresses.is_empty() {
                plan.push(PlanEntry {
                    host: h.exchange.clone(),
                    address: None,
                    preference: Some(h.preference),
                    attempt: None,
                    skipped: Some(match &h.error {
                        Some(e) => format!("no address ({})", e.kind),
                        None => "no address".into(),
                    }),
                });
            }
            for ip in &h.addresses {
                targets.push(AttemptTarget {
                    host: h.exchange.clone(),
                    addr: SocketAddr::new(*ip, opts.port),
                    preference: Some(h.preference),
                });
            }
        }
        if targets.is_empty() && report.error.is_none() {
            findings.push(checks::dns::none_usable(&report));
        }
        dns_report = Some(report);
        dns = Some(d);
    }
    let ctx = CheckContext {
        slow: opts.slow,
        cert_warn: opts.cert_warn,
        now_unix: started_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        starttls: opts.starttls,
        tls_on_connect: opts.tls_on_connect,
        dot_slow: opts.dot_slow,
    };
    let mut attempts = Vec::new();
    let mut done = false;
    // What may still be kept: attempts share one budget, however many hosts DNS named.
    let mut budget = crate::record::Budget::default();
    for t in targets {
        let skipped = if done {
            Some(
                "not tried: an earlier host completed the dialogue (use --all to probe every host)"
                    .to_string(),
            )
        } else if !opts.all && attempts.len() >= MAX_ADDRESSES_TRIED {
            Some(format!(
                "not tried: {MAX_ADDRESSES_TRIED} addresses were tried already (use --all to probe every address)"
            ))
        } else {
            None
        };
        if skipped.is_some() {
            plan.push(PlanEntry {
                host: t.host.clone(),
                address: Some(t.addr.ip()),
                preference: t.preference,
                attempt: None,
                skipped,
            });
            continue;
        }
        let index = attempts.len();
        plan.push(PlanEntry {
            host: t.host.clone(),
            address: Some(t.addr.ip()),
            preference: t.preference,
            attempt: Some(index),
            skipped: None,
        });
        let ip = t.addr.ip();
        // Reverse DNS of loopback addresses is answered as "localhost" by the resolver itself
        // (RFC 6761), so it says nothing about the server: skipped.
        let (mut attempt, ptr) = match (&dns, dns_report.is_some() && !ip.is_loopback()) {
            (Some(d), true) => {
                let (a, p) = tokio::join!(session::run_with_budget(t, &cfg, budget), d.ptr(ip));
                (a, Some(p))
            }
            _ => (session::run_with_budget(t, &cfg, budget).await, None),
        };
        findings.extend(judge(&mut attempt, index, &ctx));
        budget = attempt.record.budget();
        if let Some(p) = &ptr
            && attempt
                .record
                .events
                .iter()
                .any(|e| matches!(e.kind, crate::record::EventKind::Connected { .. }))
        {
            findings.extend(checks::dns::ptr(p, ip, index));
        }
        attempt.ptr = ptr;
        if attempt.completed() && !opts.all {
            done = true;
        }
        let retry = (attempt.starttls_handshake_failed()
            && cfg.starttls == crate::config::StartTlsPolicy::Auto
            && !cfg.tls_on_connect
            && cfg.quit_after != QuitAfter::Tls)
            .then(|| attempt.target.clone());
        attempts.push(attempt);
        // Opportunistic TLS: when the handshake fails, an MTA delivers over a new connection
        // without STARTTLS. The retry shows whether mail still gets through, and how.
        if let Some(target) = retry {
            let index = attempts.len();
            let plain = SessionConfig {
                starttls: crate::config::StartTlsPolicy::Never,
                ..cfg.clone()
            };
            let mut again = session::run_with_budget(target, &plain, budget).await;
            again.plaintext_retry_of = Some(index - 1);
            findings.extend(judge(&mut again, index, &ctx));
            budget = again.record.budget();
            if again.completed() && !opts.all {
                done = true;
            }
            attempts.push(again);
        }
    }
    let mut notes = Vec::new();
    if !opts.test.is_empty() {
        let mut tests = opts.test.clone();
        tests.sort();
        tests.dedup();
        let bases = crate::session::active::bases(&attempts);
        if bases.is_empty() {
            notes.push(format!(
                "active tests not run ({}): no server greeted the probe",
                tests
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for base in bases {
            for &test in &tests {
                let made = crate::session::active::run(test, &cfg, &attempts[base]).await;
                for a in made {
                    let index = attempts.len();
                    findings.extend(checks::active::check(&a, index, Some(&attempts[base])));
                    attempts.push(a);
                }
            }
        }
        notes.extend(crate::session::active::smuggling_note(&attempts, &cfg.to));
    }
    Ok(Report {
        target: target_arg.to_string(),
        started_at,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        dns: dns_report,
        plan,
        attempts,
        findings,
        aimed: aimed(opts.quit_after, cfg.message.is_some()),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("Example.COM").unwrap().domain.as_deref(),
            Some("example.com")
        );
        let t = parse_target("alice@example.com").unwrap();
        assert_eq!(t.address.as_deref(), Some("alice@example.com"));
        assert_eq!(t.domain.as_deref(), Some("example.com"));
        assert!(parse_target("127.0.0.1").unwrap().ip.is_some());
        assert!(parse_target("[::1]").unwrap().ip.is_some());
        assert!(parse_target("bad domain").is_err());
        assert!(parse_target("@example.com").is_err());
        assert!(parse_target("a\r\nb@example.com").is_err());
    }

    #[test]
    fn servers() {
        assert_eq!(
            parse_server("127.0.0.1:2525", 25).unwrap(),
            ("127.0.0.1".into(), 2525)
        );
        assert_eq!(
            parse_server("[::1]:2525", 25).unwrap(),
            ("::1".into(), 2525)
        );
        assert_eq!(parse_server("::1", 25).unwrap(), ("::1".into(), 25));
        assert_eq!(
            parse_server("mx.example.com", 25).unwrap(),
            ("mx.example.com".into(), 25)
        );
        assert_eq!(
            parse_server("mx.example.com:587", 25).unwrap(),
            ("mx.example.com".into(), 587)
        );
        assert!(parse_server("mx.example.com:99999", 25).is_err());
        assert!(parse_server("a b", 25).is_err());
    }
}
