//! The probe: target parsing, resolution into a plan, attempts (stop at the first usable one
//! unless `--all`), then the checks. Input errors are [`ProbeError`]s (exit 3); everything the
//! network does is a finding.

use crate::checks::{self, CheckContext};
use crate::config::{ActiveTest, PolicyChoice, ProbeConfig, QuitAfter};
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
        "invalid target \"{0}\": expected a domain (example.com), an address (user@example.com) or an IP address"
    )]
    Target(String),
    /// `--server` could not be parsed.
    #[error("invalid --server \"{0}\": expected HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT")]
    Server(String),
    /// An address option with unsafe characters.
    #[error(
        "invalid {option} \"{value}\": an address must be printable ASCII without spaces or angle brackets, at most 256 bytes"
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
    /// `--trust-anchor` could not be used.
    #[error(transparent)]
    TrustAnchor(#[from] crate::dns::dnssec::TrustAnchorError),
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

/// What the probes of one run share: the interrupt and connection limits every session obeys,
/// and one resolver whose bounded cache serves every target (batch runs).
#[derive(Clone, Default)]
pub struct Shared {
    /// Interrupt and connection limits.
    pub controls: crate::session::Controls,
    /// A resolver for the whole run; None: each probe makes its own.
    pub dns: Option<std::sync::Arc<Dns>>,
    /// The validating policy resolver for the whole run (its anchor check made once, its
    /// cache bounded); None: each probe makes its own.
    pub policy_dns: Option<std::sync::Arc<crate::dns::dnssec::SecureDns>>,
}

/// The stage a probe with these options aims at (`--quit-after`, or `data` with a message).
pub fn aimed_stage(opts: &ProbeConfig) -> &'static str {
    aimed(
        opts.quit_after,
        opts.data || opts.body.is_some() || opts.size.is_some(),
    )
}

/// Runs a probe: the session configuration, the plan, the attempts and the active tests.
pub async fn run(
    target_arg: &str,
    server: Option<&str>,
    opts: &ProbeConfig,
    live: bool,
) -> Result<Report, ProbeError> {
    run_live(target_arg, server, opts, live, None).await
}

/// [`run`], showing each connection's transcript through `echo` as it is recorded.
pub async fn run_live(
    target_arg: &str,
    server: Option<&str>,
    opts: &ProbeConfig,
    live: bool,
    echo: Option<crate::session::LiveEcho>,
) -> Result<Report, ProbeError> {
    run_shared(target_arg, server, opts, live, echo, &Shared::default()).await
}

/// [`run_live`] with what the run shares. When `shared.controls.stop` fires, every wait ends
/// at once and the report judges what was recorded, marked `interrupted`.
pub async fn run_shared(
    target_arg: &str,
    server: Option<&str>,
    opts: &ProbeConfig,
    live: bool,
    echo: Option<crate::session::LiveEcho>,
    shared: &Shared,
) -> Result<Report, ProbeError> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let target = parse_target(target_arg)?;
    let mut cfg = session_config(&target, opts, live).await?;
    cfg.echo = echo;
    cfg.controls = shared.controls.clone();
    let anchor = opts
        .trust_anchor
        .as_deref()
        .map(crate::dns::dnssec::read_trust_anchor)
        .transpose()?;
    let stop = &shared.controls.stop;
    let mut probe = Probe::new(opts, check_context(opts, started_at));
    probe.shared_dns = shared.dns.clone();
    // The policy lookups (SPEC §9) run beside the plan and the dialogue: only the TLSA
    // lookups wait, for the MX host names. A single probe gives them a thread of their own; a
    // run of many targets (a shared resolver) keeps them on its runtime.
    let policy_domain = target.domain.clone().filter(|_| {
        server.is_none() && (opts.dane == PolicyChoice::Auto || opts.mta_sts == PolicyChoice::Auto)
    });
    let (hosts_tx, hosts_rx) = tokio::sync::oneshot::channel::<Vec<String>>();
    let on_thread = shared.dns.is_none();
    let policy = async {
        tokio::select! {
            f = policy_beside(policy_domain, opts, &cfg, anchor, hosts_rx, on_thread, shared.policy_dns.clone()) => f,
            _ = stop.cancelled() => Ok(None),
        }
    };
    let dialogue = async {
        let mut dns_interrupted = false;
        let dns = tokio::select! {
            d = probe.plan(&target, server, opts) => d?,
            _ = stop.cancelled() => {
                dns_interrupted = true;
                None
            }
        };
        let hosts = probe
            .dns_report
            .as_ref()
            .map(|d| {
                d.mx.iter()
                    .filter(|h| h.exchange != ".")
                    .map(|h| h.exchange.clone())
                    .collect()
            })
            .unwrap_or_default();
        let _ = hosts_tx.send(hosts);
        if dns_interrupted {
            probe
                .notes
                .push("interrupted while resolving: nothing was probed".into());
        } else {
            probe.attempts(&cfg, dns.as_deref()).await;
        }
        Ok::<_, ProbeError>(dns_interrupted)
    };
    let (done, facts) = tokio::join!(dialogue, policy);
    let dns_interrupted = done?;
    let policy = facts?.map(|facts| {
        let (verdicts, findings) =
            crate::checks::policy::judge(&facts, &probe.attempts, &probe.ctx);
        probe.findings.extend(findings);
        probe.notes.extend(facts.dnssec_unavailable.clone());
        crate::report::policy::PolicyReport { facts, verdicts }
    });
    if !dns_interrupted && !opts.test.is_empty() && !stop.is_cancelled() {
        probe.active_tests(&cfg, &opts.test).await;
    }
    let interrupted = dns_interrupted || probe.attempts.iter().any(|a| a.interrupted());
    Ok(Report {
        interrupted,
        target: target_arg.to_string(),
        started_at,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        dns: probe.dns_report,
        plan: probe.plan,
        attempts: probe.attempts,
        findings: probe.findings,
        aimed: aimed(opts.quit_after, cfg.message.is_some()),
        notes: probe.notes,
        policy,
    })
}

/// [`policy_facts`], on a thread of its own with its own runtime when `on_thread`, so that
/// the validation, the policy host's TLS handshake and the SMTP dialogue do not take turns on
/// one thread.
async fn policy_beside(
    domain: Option<String>,
    opts: &ProbeConfig,
    cfg: &SessionConfig,
    anchor: Option<crate::dns::dnssec::TrustAnchorFile>,
    hosts: tokio::sync::oneshot::Receiver<Vec<String>>,
    on_thread: bool,
    run_dns: Option<std::sync::Arc<crate::dns::dnssec::SecureDns>>,
) -> Result<Option<crate::record::policy::PolicyFacts>, ProbeError> {
    if domain.is_none() {
        return Ok(None);
    }
    if !on_thread || run_dns.is_some() {
        return policy_facts(
            domain,
            opts,
            cfg.roots.clone(),
            anchor.as_ref(),
            hosts,
            run_dns,
        )
        .await;
    }
    let (opts, roots) = (opts.clone(), cfg.roots.clone());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("policy".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                // The facts go out before the runtime (and the resolvers' tasks) shut down.
                Ok(rt) => rt.block_on(async {
                    let facts =
                        policy_facts(domain, &opts, roots, anchor.as_ref(), hosts, None).await;
                    let _ = tx.send(facts);
                }),
                Err(e) => {
                    let _ = tx.send(Err(ProbeError::Resolve(dns::ResolveError::SystemConfig(
                        e.to_string(),
                    ))));
                }
            }
        });
    if let Err(e) = spawned {
        return Err(ProbeError::Resolve(dns::ResolveError::SystemConfig(
            e.to_string(),
        )));
    }
    rx.await.unwrap_or(Ok(None))
}

/// The policy facts of a domain target, when any policy is evaluated.
async fn policy_facts(
    domain: Option<String>,
    opts: &ProbeConfig,
    roots: std::sync::Arc<rustls::RootCertStore>,
    anchor: Option<&crate::dns::dnssec::TrustAnchorFile>,
    hosts: tokio::sync::oneshot::Receiver<Vec<String>>,
    run_dns: Option<std::sync::Arc<crate::dns::dnssec::SecureDns>>,
) -> Result<Option<crate::record::policy::PolicyFacts>, ProbeError> {
    let Some(domain) = domain else {
        return Ok(None);
    };
    let dane = opts.dane == PolicyChoice::Auto;
    let secure = match run_dns {
        Some(d) => d,
        None => {
            let resolvers = opts
                .resolver
                .iter()
                .map(|r| dns::parse_resolver(r))
                .collect::<Result<Vec<_>, _>>()?;
            let wait = opts.timeout.unwrap_or(dns::DEFAULT_WAIT);
            std::sync::Arc::new(
                crate::dns::dnssec::SecureDns::new(&resolvers, wait, dane, anchor).await?,
            )
        }
    };
    let (connect_wait, fetch_wait) = crate::policy::PolicyPlan::waits(opts.timeout);
    let plan = crate::policy::PolicyPlan {
        dane,
        mta_sts: opts.mta_sts == PolicyChoice::Auto,
        port: opts.port,
        family: family(opts),
        roots,
        connect_wait,
        fetch_wait,
    };
    let hosts = async { hosts.await.unwrap_or_default() };
    Ok(Some(
        crate::policy::gather(&secure, &plan, &domain, hosts).await,
    ))
}

/// Checks what every probe of a run would check the same way (addresses, names, `--server`,
/// `--resolver`, `--ca-file`, `--body`), so that a run of many targets stops before the first
/// when the options are wrong, rather than once per target.
pub async fn preflight(server: Option<&str>, opts: &ProbeConfig) -> Result<(), ProbeError> {
    let target = parse_target("preflight.invalid")?;
    session_config(&target, opts, false).await?;
    if let Some(s) = server {
        parse_server(s, opts.port)?;
    }
    for r in &opts.resolver {
        dns::parse_resolver(r)?;
    }
    Ok(())
}

/// The resolver a run of many targets shares (see [`Dns::for_run`]), with the options' servers,
/// family and wait.
pub fn run_resolver(opts: &ProbeConfig, entries: u64) -> Result<Dns, ProbeError> {
    let servers = opts
        .resolver
        .iter()
        .map(|r| dns::parse_resolver(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Dns::for_run(
        &servers,
        family(opts),
        opts.timeout.unwrap_or(dns::DEFAULT_WAIT),
        entries,
    )?)
}

/// The validating policy resolver a run of many targets shares (see
/// [`crate::dns::dnssec::SecureDns::for_run`]), when a policy is evaluated for domain targets.
pub async fn run_policy_resolver(
    server: Option<&str>,
    opts: &ProbeConfig,
    entries: u64,
) -> Result<Option<crate::dns::dnssec::SecureDns>, ProbeError> {
    if server.is_some() || (opts.dane == PolicyChoice::Off && opts.mta_sts == PolicyChoice::Off) {
        return Ok(None);
    }
    let servers = opts
        .resolver
        .iter()
        .map(|r| dns::parse_resolver(r))
        .collect::<Result<Vec<_>, _>>()?;
    let anchor = opts
        .trust_anchor
        .as_deref()
        .map(crate::dns::dnssec::read_trust_anchor)
        .transpose()?;
    Ok(Some(
        crate::dns::dnssec::SecureDns::for_run(
            &servers,
            opts.timeout.unwrap_or(dns::DEFAULT_WAIT),
            opts.dane == PolicyChoice::Auto,
            anchor.as_ref(),
            entries,
        )
        .await?,
    ))
}

/// The address family `-4`/`-6` ask for.
fn family(opts: &ProbeConfig) -> Family {
    match (opts.ipv4, opts.ipv6) {
        (true, _) => Family::V4,
        (_, true) => Family::V6,
        _ => Family::Any,
    }
}

/// Checks the user's addresses and names and lowers the options into what a session needs.
async fn session_config(
    target: &Target,
    opts: &ProbeConfig,
    live: bool,
) -> Result<SessionConfig, ProbeError> {
    use crate::session::message::{MessageSpec, scan_file};
    if opts.test.contains(&ActiveTest::Smuggling) && opts.to.is_empty() {
        return Err(ProbeError::SmugglingNeedsTo);
    }
    let checked = |option: &'static str, value: String, max: usize| {
        if is_safe_argument(&value, max) {
            Ok(value)
        } else {
            Err(ProbeError::Address {
                option,
                value: crate::wire::escape::escape_str(&value),
            })
        }
    };
    let from = match opts.from.clone().unwrap_or_default() {
        f if f.is_empty() => f,
        f => checked("--from", f, 256)?,
    };
    let mut to = opts.to.clone();
    if to.is_empty() {
        to.push(default_recipient(target));
    }
    let to = to
        .into_iter()
        .map(|t| checked("--to", t, 256))
        .collect::<Result<Vec<_>, _>>()?;
    let helo = checked(
        "--helo",
        opts.helo.clone().unwrap_or_else(local_hostname),
        255,
    )?;
    let roots = crate::session::tls::root_store(opts.ca_file.as_deref())?;
    let message = match (&opts.body, opts.size, opts.data) {
        (Some(p), _, _) if p.as_os_str() == "-" => Some(MessageSpec::Stdin),
        (Some(p), _, _) => Some(MessageSpec::File(p.clone())),
        (None, Some(n), _) => Some(MessageSpec::Size(n)),
        (None, None, true) => Some(MessageSpec::Test),
        _ => None,
    };
    let scan = match &message {
        Some(MessageSpec::File(p)) => Some(
            scan_file(p)
                .await
                .map_err(|e| ProbeError::Body(format!("{}: {e}", p.display())))?,
        ),
        _ => None,
    };
    Ok(SessionConfig {
        helo,
        from,
        to,
        starttls: opts.starttls,
        tls_on_connect: opts.tls_on_connect,
        sni: opts.sni.clone(),
        roots,
        quit_after: opts.quit_after,
        no_pipelining: opts.no_pipelining,
        cap: opts.timeout,
        live,
        echo: None,
        message,
        scan,
        controls: crate::session::Controls::default(),
    })
}

/// The RCPT when none is given: the address in the target, else postmaster of its domain.
fn default_recipient(target: &Target) -> String {
    match (&target.address, &target.domain, &target.ip) {
        (Some(a), _, _) => a.clone(),
        (None, Some(d), _) => format!("postmaster@{d}"),
        (None, None, Some(ip)) => format!("postmaster@[{ip}]"),
        _ => "postmaster".into(),
    }
}

/// The thresholds and facts the checks need.
fn check_context(opts: &ProbeConfig, started_at: SystemTime) -> CheckContext {
    CheckContext {
        slow: opts.slow,
        cert_warn: opts.cert_warn,
        now_unix: started_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        starttls: opts.starttls,
        tls_on_connect: opts.tls_on_connect,
        dot_slow: opts.dot_slow,
    }
}

/// A probe in progress: the plan, the attempts so far and what was found.
struct Probe {
    ctx: CheckContext,
    port: u16,
    all: bool,
    family: Family,
    resolvers: Vec<SocketAddr>,
    dns_wait: std::time::Duration,
    findings: Vec<crate::checks::Finding>,
    plan: Vec<PlanEntry>,
    targets: Vec<AttemptTarget>,
    dns_report: Option<crate::record::dns::DnsReport>,
    attempts: Vec<crate::session::Attempt>,
    notes: Vec<String>,
    /// What may still be kept: attempts share one budget, however many hosts DNS named.
    budget: crate::record::Budget,
    /// An attempt completed and `--all` was not given: the rest is not tried.
    done: bool,
    /// The run's resolver, when it shares one.
    shared_dns: Option<std::sync::Arc<Dns>>,
}

impl Probe {
    fn new(opts: &ProbeConfig, ctx: CheckContext) -> Probe {
        Probe {
            ctx,
            port: opts.port,
            all: opts.all,
            family: family(opts),
            resolvers: Vec::new(),
            dns_wait: opts.timeout.unwrap_or(dns::DEFAULT_WAIT),
            findings: Vec::new(),
            plan: Vec::new(),
            targets: Vec::new(),
            dns_report: None,
            attempts: Vec::new(),
            notes: Vec::new(),
            budget: crate::record::Budget::default(),
            done: false,
            shared_dns: None,
        }
    }

    /// The run's resolver, or a new one for this probe.
    fn dns(&self) -> Result<std::sync::Arc<Dns>, ProbeError> {
        match &self.shared_dns {
            Some(d) => Ok(d.clone()),
            None => Ok(std::sync::Arc::new(Dns::new(
                &self.resolvers,
                self.family,
                self.dns_wait,
            )?)),
        }
    }

    /// Resolves the target into addresses to try; returns the resolver when DNS was used.
    async fn plan(
        &mut self,
        target: &Target,
        server: Option<&str>,
        opts: &ProbeConfig,
    ) -> Result<Option<std::sync::Arc<Dns>>, ProbeError> {
        self.resolvers = opts
            .resolver
            .iter()
            .map(|r| dns::parse_resolver(r))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(server) = server {
            return self.plan_server(server).await;
        }
        if let Some(ip) = target.ip {
            self.targets.push(AttemptTarget {
                host: ip.to_string(),
                addr: SocketAddr::new(ip, self.port),
                preference: None,
            });
            return Ok(None);
        }
        match &target.domain {
            Some(domain) => self.plan_mx(domain).await.map(Some),
            None => Ok(None),
        }
    }

    /// `--server HOST[:PORT]`: its addresses, without an MX lookup.
    async fn plan_server(
        &mut self,
        server: &str,
    ) -> Result<Option<std::sync::Arc<Dns>>, ProbeError> {
        let (host, port) = parse_server(server, self.port)?;
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.targets.push(AttemptTarget {
                host,
                addr: SocketAddr::new(ip, port),
                preference: None,
            });
            return Ok(None);
        }
        let d = self.dns()?;
        let h = d.host(0, &host).await;
        if h.addresses.is_empty() {
            let why = h
                .error
                .as_ref()
                .map_or("no address".into(), |e| e.message.clone());
            self.skip(&host, None, None, why);
        }
        for ip in h.addresses {
            self.targets.push(AttemptTarget {
                host: host.clone(),
                addr: SocketAddr::new(ip, port),
                preference: None,
            });
        }
        Ok(Some(d))
    }

    /// A domain: its MX hosts in order, each with its addresses; the DNS findings.
    async fn plan_mx(&mut self, domain: &str) -> Result<std::sync::Arc<Dns>, ProbeError> {
        let d = self.dns()?;
        let report = d.mx(domain).await;
        self.findings.extend(checks::dns::check(&report));
        for h in report.mx.iter().filter(|h| h.exchange != ".") {
            if h.addresses.is_empty() {
                let why = match &h.error {
                    Some(e) => format!("no address ({})", e.kind),
                    None => "no address".into(),
                };
                self.skip(&h.exchange, None, Some(h.preference), why);
            }
            for ip in &h.addresses {
                self.targets.push(AttemptTarget {
                    host: h.exchange.clone(),
                    addr: SocketAddr::new(*ip, self.port),
                    preference: Some(h.preference),
                });
            }
        }
        if self.targets.is_empty() && report.error.is_none() {
            self.findings.push(checks::dns::none_usable(&report));
        }
        self.dns_report = Some(report);
        Ok(d)
    }

    /// A plan entry for a host or address that is not tried, and why.
    fn skip(&mut self, host: &str, address: Option<IpAddr>, preference: Option<u16>, why: String) {
        self.plan.push(PlanEntry {
            host: host.to_string(),
            address,
            preference,
            attempt: None,
            skipped: Some(why),
        });
    }

    /// Why the next address is not tried, if it is not.
    fn skip_reason(&self, cfg: &SessionConfig) -> Option<String> {
        if cfg.controls.stop.is_cancelled() {
            Some("not tried: the probe was interrupted".to_string())
        } else if self.done {
            Some(
                "not tried: an earlier host completed the dialogue (use --all to probe every host)"
                    .to_string(),
            )
        } else if !self.all && self.attempts.len() >= MAX_ADDRESSES_TRIED {
            Some(format!(
                "not tried: {MAX_ADDRESSES_TRIED} addresses were tried already (use --all to probe every address)"
            ))
        } else {
            None
        }
    }

    /// Every planned address in turn, until one completes (unless `--all`).
    async fn attempts(&mut self, cfg: &SessionConfig, dns: Option<&Dns>) {
        for t in std::mem::take(&mut self.targets) {
            if let Some(why) = self.skip_reason(cfg) {
                self.skip(&t.host, Some(t.addr.ip()), t.preference, why);
                continue;
            }
            self.plan.push(PlanEntry {
                host: t.host.clone(),
                address: Some(t.addr.ip()),
                preference: t.preference,
                attempt: Some(self.attempts.len()),
                skipped: None,
            });
            let failed_tls = self.attempt(t, cfg, dns).await;
            // Opportunistic TLS: when the handshake fails, an MTA delivers over a new
            // connection without STARTTLS. The retry shows whether mail still gets through.
            if let Some(target) = failed_tls.filter(|_| !cfg.controls.stop.is_cancelled()) {
                let plain = SessionConfig {
                    starttls: crate::config::StartTlsPolicy::Never,
                    ..cfg.clone()
                };
                let mut again = session::run_with_budget(target, &plain, self.budget).await;
                again.plaintext_retry_of = Some(self.attempts.len() - 1);
                self.judge(again);
            }
        }
    }

    /// One attempt (with reverse DNS of its address beside it); returns its target when its
    /// TLS handshake failed and an MTA with opportunistic TLS would retry without STARTTLS.
    async fn attempt(
        &mut self,
        t: AttemptTarget,
        cfg: &SessionConfig,
        dns: Option<&Dns>,
    ) -> Option<AttemptTarget> {
        let ip = t.addr.ip();
        // Reverse DNS of loopback addresses is answered as "localhost" by the resolver itself
        // (RFC 6761), so it says nothing about the server: skipped.
        let (mut attempt, ptr) = match dns {
            Some(d) if self.dns_report.is_some() && !ip.is_loopback() => {
                // The reverse lookup ends with the attempt when the probe is interrupted.
                let ptr = async {
                    tokio::select! {
                        p = d.ptr(ip) => Some(p),
                        _ = cfg.controls.stop.cancelled() => None,
                    }
                };
                tokio::join!(session::run_with_budget(t, cfg, self.budget), ptr)
            }
            _ => (session::run_with_budget(t, cfg, self.budget).await, None),
        };
        let connected = attempt
            .record
            .events
            .iter()
            .any(|e| matches!(e.kind, crate::record::EventKind::Connected { .. }));
        let ptr_findings = match &ptr {
            Some(p) if connected => checks::dns::ptr(p, ip, self.attempts.len()),
            _ => None,
        };
        attempt.ptr = ptr;
        let retry = (attempt.starttls_handshake_failed()
            && cfg.starttls == crate::config::StartTlsPolicy::Auto
            && !cfg.tls_on_connect
            && cfg.quit_after != QuitAfter::Tls)
            .then(|| attempt.target.clone());
        self.judge(attempt);
        self.findings.extend(ptr_findings);
        retry
    }

    /// Runs the checks over a finished attempt, then gives its read bytes back to the budget
    /// (transcripts and reports are made from lines; only the checks look at raw reads).
    fn judge(&mut self, mut attempt: crate::session::Attempt) {
        let index = self.attempts.len();
        self.findings
            .extend(checks::attempt(&attempt, index, &self.ctx));
        attempt.record.release_read_bytes();
        self.budget = attempt.record.budget();
        if attempt.completed() && !self.all {
            self.done = true;
        }
        self.attempts.push(attempt);
    }

    /// The opt-in active tests against every attempt that got through.
    async fn active_tests(&mut self, cfg: &SessionConfig, tests: &[ActiveTest]) {
        let mut tests = tests.to_vec();
        tests.sort();
        tests.dedup();
        let bases = crate::session::active::bases(&self.attempts);
        if bases.is_empty() {
            self.notes.push(format!(
                "active tests not run ({}): no server greeted the probe",
                tests
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        'bases: for base in bases {
            if let Some(failed) = self.attempts[base].plaintext_retry_of {
                self.notes.push(format!(
                    "active tests against {} ran without STARTTLS, as attempt {} did: the TLS \
                     handshake of attempt {} failed, and an MTA with opportunistic TLS delivers \
                     without it",
                    crate::wire::escape::escape_str(&self.attempts[base].target.host),
                    base + 1,
                    failed + 1
                ));
            }
            for (n, &test) in tests.iter().enumerate() {
                if cfg.controls.stop.is_cancelled() {
                    self.notes.push(format!(
                        "active tests not run ({}): the probe was interrupted",
                        tests[n..]
                            .iter()
                            .map(|t| t.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    break 'bases;
                }
                let made = crate::session::active::run(test, cfg, &self.attempts[base]).await;
                for a in made {
                    let index = self.attempts.len();
                    self.findings.extend(checks::active::check(
                        &a,
                        index,
                        Some(&self.attempts[base]),
                    ));
                    self.attempts.push(a);
                }
            }
        }
        self.notes.extend(crate::checks::active::smuggling_note(
            &self.attempts,
            &cfg.to,
        ));
        // A test that never got to its point is no pass: say so.
        self.notes
            .extend(crate::checks::active::unreached_notes(&self.attempts));
    }
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
