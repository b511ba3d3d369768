//! Command-line definition (clap derive). Help texts live in the doc comments; the man page and
//! the shell completions are generated from this definition by [`write_generated`].

use crate::config::{
    ActiveTest, ColorChoice, Detail, Format, OutputConfig, PolicyChoice, ProbeConfig, QuitAfter,
    StartTlsPolicy,
};
use clap::builder::{BoolishValueParser, PossibleValue};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::Path;
use std::time::Duration;

/// Diagnose SMTP servers byte by byte: MX lookup, connect, greeting, EHLO, STARTTLS, MAIL, RCPT,
/// with every line timed and every protocol violation explained.
#[derive(Debug, Parser)]
#[command(
    name = "smtpdoctor",
    version,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How the probe options read the environment (shown in `probe --help` and its man page).
const ENVIRONMENT: &str = "ENVIRONMENT\n\nEvery probe option (also those of demo) can come from an \
environment variable SMTPDOCTOR_<OPTION>: the long name in upper case with dashes as underscores, \
e.g. SMTPDOCTOR_TIMEOUT=10s, SMTPDOCTOR_STARTTLS=require, SMTPDOCTOR_TO=me@example.com, \
SMTPDOCTOR_TEST=pregreet,relay (a list separated by commas; SMTPDOCTOR_RESOLVER likewise), \
SMTPDOCTOR_DATA=true. The command line wins over the environment. NO_COLOR set and non-empty \
turns colors off.";

/// The subcommands.
///
/// `defer`: each subcommand's options are built only when that subcommand is parsed (or its
/// help, man page or completions are written). Building all of them for every run was a tenth
/// of the CPU of a probe to RCPT. A deferred subcommand's options are added after its about
/// text, so the `Args` structs carry plain comments: a doc comment there would replace it.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Probe a mail domain, an address or a server and print an annotated transcript.
    #[command(after_long_help = ENVIRONMENT)]
    Probe(ProbeArgs),
    /// Start the built-in scripted SMTP server on a loopback port and probe it, or run a
    /// built-in misbehaving client against it (--client); works offline.
    Demo(DemoArgs),
    /// Serve one built-in scenario on ADDR and judge every client that connects: a client
    /// report per connection (annotated transcript, client findings, verdict).
    Mock(MockArgs),
    /// Relay live sessions between clients and one upstream server on ADDR, unchanged, and
    /// judge both sides: a client report per connection (client findings and the upstream's).
    Proxy(ProxyArgs),
    /// Explain a finding id or an MTA's queue or log error text.
    Explain(ExplainArgs),
    /// Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the
    /// text or Nagios output of the run that wrote it.
    Report(ReportArgs),
}

// The value enums are domain types of `config`; their command-line names and help live here.

impl ValueEnum for StartTlsPolicy {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            StartTlsPolicy::Auto,
            StartTlsPolicy::Require,
            StartTlsPolicy::Never,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            StartTlsPolicy::Auto => PossibleValue::new("auto").help("Use STARTTLS when offered; failures are findings and the dialogue goes on"),
            StartTlsPolicy::Require => PossibleValue::new("require").help("TLS is mandatory: its absence or failure is `starttls-policy-failed` and the dialogue stops"),
            StartTlsPolicy::Never => PossibleValue::new("never").help("Never send STARTTLS"),
        })
    }
}

impl ValueEnum for PolicyChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[PolicyChoice::Auto, PolicyChoice::Off]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            PolicyChoice::Auto => {
                PossibleValue::new("auto").help("Evaluate it when the domain publishes it")
            }
            PolicyChoice::Off => PossibleValue::new("off").help("Do not evaluate it"),
        })
    }
}

impl ValueEnum for QuitAfter {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            QuitAfter::Connect,
            QuitAfter::Greeting,
            QuitAfter::Ehlo,
            QuitAfter::Tls,
            QuitAfter::Mail,
            QuitAfter::Rcpt,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            QuitAfter::Connect => PossibleValue::new("connect").help("Stop once TCP is connected"),
            QuitAfter::Greeting => PossibleValue::new("greeting").help("Stop after the greeting"),
            QuitAfter::Ehlo => PossibleValue::new("ehlo").help("Stop after EHLO/HELO"),
            QuitAfter::Tls => {
                PossibleValue::new("tls").help("Stop after STARTTLS and the second EHLO")
            }
            QuitAfter::Mail => PossibleValue::new("mail").help("Stop after MAIL FROM"),
            QuitAfter::Rcpt => {
                PossibleValue::new("rcpt").help("Stop after RCPT TO (no mail is sent)")
            }
        })
    }
}

impl ValueEnum for ActiveTest {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ActiveTest::Pregreet,
            ActiveTest::Pipelining,
            ActiveTest::StarttlsInjection,
            ActiveTest::Smuggling,
            ActiveTest::BareLf,
            ActiveTest::UnknownCommand,
            ActiveTest::Relay,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ActiveTest::Pregreet => PossibleValue::new("pregreet").help("EHLO before the greeting (and between a 220- teaser and the final line)"),
            ActiveTest::Pipelining => PossibleValue::new("pipelining").help("MAIL, RCPT, RCPT and NOOP in one write, whether or not PIPELINING is advertised"),
            ActiveTest::StarttlsInjection => PossibleValue::new("starttls-injection").help("STARTTLS and NOOP in one write; a NOOP reply inside TLS is CVE-2011-0411"),
            ActiveTest::Smuggling => PossibleValue::new("smuggling").help("Messages ending in non-standard end-of-data sequences (needs --to you own; delivers test messages to it)"),
            ActiveTest::BareLf => PossibleValue::new("bare-lf").help("NOOP ended by a bare LF"),
            ActiveTest::UnknownCommand => PossibleValue::new("unknown-command").help("An unknown command: does the server hang up?"),
            ActiveTest::Relay => PossibleValue::new("relay").help("RCPT (never DATA) to foreign domains and old relay tricks, RSET after each"),
        })
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Text, Format::Json, Format::Nagios]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Format::Text => PossibleValue::new("text").help("Annotated transcript for people"),
            Format::Json => {
                PossibleValue::new("json").help("One JSON document (schema smtpdoctor.report/v1)")
            }
            Format::Nagios => PossibleValue::new("nagios")
                .help("One Nagios/Icinga status line with performance data"),
        })
    }
}

impl ValueEnum for ColorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ColorChoice::Auto => PossibleValue::new("auto")
                .help("Colors when stdout is a terminal and NO_COLOR is not set"),
            ColorChoice::Always => PossibleValue::new("always").help("Always color"),
            ColorChoice::Never => PossibleValue::new("never").help("Never color"),
        })
    }
}

// Options shared by every command that prints a report (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as --format json.
    #[arg(long)]
    pub json: bool,
    /// When to use colors (NO_COLOR set and non-empty means never).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Verbose: show TCP read boundaries with their times, and TLS details.
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Quiet: only the summary and the findings.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 500ms, 30s, 2m, 1h 30m)"))
}

/// Parses a byte size: a number with an optional K, M, G or T suffix (powers of 1024), or
/// KB/MB/GB (powers of 1000).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?} (examples: 1000, 512K, 10M, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        "T" | "TIB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => {
            return Err(format!(
                "invalid size unit in {s:?} (use K, M, G, T, KB, MB, GB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "invalid rate {s:?}: new connections per second, a positive number (50, 0.5)"
        )),
    }
}

// Options of `probe` (and of the probe that `demo` runs; a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct ProbeOptions {
    /// Port used for MX hosts.
    #[arg(env = "SMTPDOCTOR_PORT", long, default_value_t = 25)]
    pub port: u16,
    /// Probe every MX host and every address, not only the first that answers.
    #[arg(env = "SMTPDOCTOR_ALL", value_parser = BoolishValueParser::new(), long)]
    pub all: bool,
    /// Only IPv4 addresses.
    #[arg(env = "SMTPDOCTOR_IPV4", value_parser = BoolishValueParser::new(), short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Only IPv6 addresses.
    #[arg(env = "SMTPDOCTOR_IPV6", value_parser = BoolishValueParser::new(), short = '6')]
    pub ipv6: bool,
    /// Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration.
    #[arg(
        env = "SMTPDOCTOR_RESOLVER",
        long,
        value_name = "IP[:PORT]",
        value_delimiter = ','
    )]
    pub resolver: Vec<String>,
    /// Name sent in EHLO/HELO. Default: this host's name.
    #[arg(env = "SMTPDOCTOR_HELO", long, value_name = "NAME")]
    pub helo: Option<String>,
    /// Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept).
    #[arg(env = "SMTPDOCTOR_FROM", long, value_name = "ADDR")]
    pub from: Option<String>,
    /// RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>.
    #[arg(env = "SMTPDOCTOR_TO", long, value_name = "ADDR")]
    pub to: Vec<String>,
    /// STARTTLS policy.
    #[arg(env = "SMTPDOCTOR_STARTTLS", long, value_enum, default_value_t = StartTlsPolicy::Auto)]
    pub starttls: StartTlsPolicy,
    /// Implicit TLS from the first byte (port 465 style).
    #[arg(env = "SMTPDOCTOR_TLS_ON_CONNECT", value_parser = BoolishValueParser::new(), long)]
    pub tls_on_connect: bool,
    /// TLS server name (SNI and certificate name check). Default: the MX or server host name.
    #[arg(env = "SMTPDOCTOR_SNI", long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Extra trust anchors (PEM). The certificate is always verified and reported.
    #[arg(env = "SMTPDOCTOR_CA_FILE", long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Last stage before RSET and QUIT.
    #[arg(env = "SMTPDOCTOR_QUIT_AFTER", long, value_enum, default_value_t = QuitAfter::Rcpt)]
    pub quit_after: QuitAfter,
    /// Send one command at a time. By default, when the server advertises PIPELINING, MAIL,
    /// RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip.
    #[arg(env = "SMTPDOCTOR_NO_PIPELINING", value_parser = BoolishValueParser::new(), long)]
    pub no_pipelining: bool,
    /// Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2
    /// minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot),
    /// connect 30s. Longer values let replies past the RFC minimum be seen and flagged.
    #[arg(env = "SMTPDOCTOR_TIMEOUT", long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// A reply slower than this is flagged (reply-slow, greeting-slow).
    #[arg(env = "SMTPDOCTOR_SLOW", long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION")]
    pub slow: Duration,
    /// Send a short test message with DATA and time the reply to the final dot.
    #[arg(env = "SMTPDOCTOR_DATA", value_parser = BoolishValueParser::new(), long)]
    pub data: bool,
    /// Send this content (a file, or - for stdin) as the message; implies --data. Line ends
    /// are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly.
    #[arg(env = "SMTPDOCTOR_BODY", long, value_name = "FILE|-")]
    pub body: Option<std::path::PathBuf>,
    /// Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed
    /// in constant memory.
    #[arg(env = "SMTPDOCTOR_SIZE", long, value_parser = parse_size, value_name = "BYTES", conflicts_with = "body")]
    pub size: Option<u64>,
    /// A reply to the final dot slower than this (until its last line) is flagged dot-slow.
    #[arg(env = "SMTPDOCTOR_DOT_SLOW", long, value_parser = parse_duration, default_value = "60s", value_name = "DURATION")]
    pub dot_slow: Duration,
    /// A certificate expiring within this is flagged tls-cert-expiring.
    #[arg(env = "SMTPDOCTOR_CERT_WARN", long, value_parser = parse_duration, default_value = "14d", value_name = "DURATION")]
    pub cert_warn: Duration,
    /// Opt-in active tests, comma-separated, run after the probe on fresh connections to the
    /// same address. They send unusual input on purpose; only use them on servers you run.
    /// smuggling needs an explicit --to you own and delivers test messages to it.
    #[arg(
        env = "SMTPDOCTOR_TEST",
        long = "test",
        value_enum,
        value_delimiter = ',',
        value_name = "NAME[,NAME]"
    )]
    pub test: Vec<ActiveTest>,
    /// DANE (RFC 7672): validate the MX hosts' addresses with DNSSEC and match their TLSA
    /// records against the chain each handshake presents. Not for --server.
    #[arg(env = "SMTPDOCTOR_DANE", long, value_enum, default_value_t = PolicyChoice::Auto)]
    pub dane: PolicyChoice,
    /// MTA-STS (RFC 8461): fetch the domain's policy over HTTPS and check every MX host and
    /// certificate against it. Not for --server.
    #[arg(env = "SMTPDOCTOR_MTA_STS", long, value_enum, default_value_t = PolicyChoice::Auto)]
    pub mta_sts: PolicyChoice,
    /// DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root
    /// zone's keys (for test zones and private roots).
    #[arg(env = "SMTPDOCTOR_TRUST_ANCHOR", long, value_name = "FILE")]
    pub trust_anchor: Option<std::path::PathBuf>,
    /// Do not show the dialogue live. On a terminal, the text output shows each line as it is
    /// sent or received (with its time and direction), then the judged report; with --no-live,
    /// or when stdout is no terminal, only the report is printed.
    #[arg(env = "SMTPDOCTOR_NO_LIVE", value_parser = BoolishValueParser::new(), long)]
    pub no_live: bool,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

// Arguments of `probe` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// A mail domain (MX lookup), an address user@domain (its domain; the address becomes the
    /// default RCPT), or an IP address. Several targets are probed as those of --targets (up
    /// to -j at once; JSON: one document per line as each finishes); the exit code is the worst
    /// of them.
    #[arg(required_unless_present = "targets", num_args = 1..)]
    pub target: Vec<String>,
    /// Connect here and skip the MX lookup: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Many targets: also probe each line of FILE (- for stdin), streamed: one domain, address
    /// or IP per line; blank lines and # comments are ignored, a target listed twice is probed
    /// once, an invalid line becomes a target-invalid document. JSON: one document per line as
    /// each finishes; text: a status line per target, then a summary.
    #[arg(env = "SMTPDOCTOR_TARGETS", long, value_name = "FILE|-")]
    pub targets: Option<std::path::PathBuf>,
    /// Targets probed at once (each with the budgets of a probe alone).
    #[arg(env = "SMTPDOCTOR_JOBS", short = 'j', long = "jobs", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub jobs: u32,
    /// Connections open to one IP address at a time, across all targets (shared MX hosts).
    #[arg(env = "SMTPDOCTOR_PER_HOST", long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: u32,
    /// New connections per second overall (e.g. 50, 0.5). Default: no cap.
    #[arg(env = "SMTPDOCTOR_RATE", long, value_name = "R", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Probe only shard I of N (0-based): the targets whose stable hash (XXH3-64 of the
    /// normalized target, seed 0) modulo N is I; shards 0..N-1 together cover the list once.
    #[arg(env = "SMTPDOCTOR_SHARD", long, value_name = "I/N", value_parser = crate::batch::shard::Shard::parse)]
    pub shard: Option<crate::batch::shard::Shard>,
    /// Probe options.
    #[command(flatten)]
    pub options: ProbeOptions,
}

// Arguments of `demo` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Scenario to play (default: classic, several classic faults at once).
    pub scenario: Option<String>,
    /// Run this built-in misbehaving client against the mock instead, and print the client
    /// report of each of its connections (see --list).
    #[arg(long, value_name = "NAME", conflicts_with = "scenario")]
    pub client: Option<String>,
    /// List the scenarios (servers) and the demo clients, and exit.
    #[arg(long)]
    pub list: bool,
    /// Probe options.
    #[command(flatten)]
    pub options: ProbeOptions,
}

// Arguments of `mock` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct MockArgs {
    /// Address to listen on, e.g. 127.0.0.1:2525.
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Scenario to serve (see `smtpdoctor demo --list`; client-dot-hold, client-teaser,
    /// client-keepalive, client-multiline, client-strict and client-minimal are made for
    /// judging clients).
    #[arg(long, value_name = "NAME")]
    pub scenario: String,
    /// Serve one connection, print its report and exit with its exit code.
    #[arg(long, conflicts_with = "count")]
    pub once: bool,
    /// Serve N connections and exit with the worst of their exit codes. Default: until
    /// interrupted (Ctrl-C), then the worst so far.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// The scenario's deliberate delay: the hold of the dot reply (client-dot-hold, default
    /// 11m), the silence after the teaser (client-teaser, 6s), the whole keep-alive period
    /// (client-keepalive, 3m), the gap between EHLO lines (client-multiline, 200ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub hold: Option<Duration>,
    /// Certificate chain (PEM) to present after STARTTLS instead of the demo certificate.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
    /// Output options (JSON: one smtpdoctor.client-report/v1 document per connection).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What `proxy` does after the server's STARTTLS 220.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProxyTls {
    /// Relay the TLS bytes opaquely (the inside is not visible).
    Passthrough,
    /// Complete the client's TLS here and open our own TLS to the upstream, to see inside.
    Terminate,
}

// Arguments of `proxy` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct ProxyArgs {
    /// Address to listen on, e.g. 127.0.0.1:2525.
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The server to relay to: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT (port 25 by default);
    /// resolved once, and the only place the proxy connects to.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub upstream: String,
    /// TLS after STARTTLS: relay it opaquely, or terminate it on both sides.
    #[arg(long, value_enum, default_value = "passthrough")]
    pub tls: ProxyTls,
    /// Certificate chain (PEM) shown to clients in terminate mode (default: one generated for
    /// the run, whose fingerprint the report names).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
    /// Extra trust anchors (PEM) for the upstream's certificate in terminate mode.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Relay one connection, print its report and exit with its exit code.
    #[arg(long, conflicts_with = "count")]
    pub once: bool,
    /// Relay N connections and exit with the worst of their exit codes. Default: until
    /// interrupted (Ctrl-C), then the worst so far.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// End a session when no byte moved in either direction for this long (at most 1h).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "10m")]
    pub timeout: Duration,
    /// Output options (JSON: one smtpdoctor.client-report/v1 document per connection).
    #[command(flatten)]
    pub output: OutputArgs,
}

// Arguments of `explain` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// A finding id (e.g. greeting-fragmented) or an error text (a whole log line is fine).
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

// Arguments of `report` (a plain comment: see `Command`).
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The saved JSON (`--json` output of probe, demo, mock or proxy), or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    pub file: String,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = report_format())]
    pub format: Format,
    /// When to use colors (NO_COLOR set and non-empty means never).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Verbose: show TCP read boundaries with their times, and TLS details.
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Quiet: only the summary and the findings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `report --format`: the formats a saved report is rendered in.
fn report_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new([
        PossibleValue::new("text").help("Annotated transcript, as the run printed it"),
        PossibleValue::new("nagios").help("One status line with performance data"),
    ])
    .map(|s| {
        if s == "nagios" {
            Format::Nagios
        } else {
            Format::Text
        }
    })
}

impl From<&ReportArgs> for OutputConfig {
    fn from(a: &ReportArgs) -> Self {
        OutputArgs {
            format: a.format,
            json: false,
            color: a.color,
            verbose: a.verbose,
            quiet: a.quiet,
        }
        .as_config()
    }
}

// Lowering: the parsed command line into the domain configuration of `config`.

impl From<&OutputArgs> for OutputConfig {
    fn from(a: &OutputArgs) -> Self {
        a.as_config()
    }
}

impl OutputArgs {
    fn as_config(&self) -> OutputConfig {
        let a = self;
        OutputConfig {
            format: if a.json { Format::Json } else { a.format },
            color: a.color,
            detail: if a.quiet {
                Detail::Quiet
            } else if a.verbose > 0 {
                Detail::Verbose
            } else {
                Detail::Normal
            },
        }
    }
}

impl From<&ProbeOptions> for ProbeConfig {
    fn from(o: &ProbeOptions) -> Self {
        ProbeConfig {
            port: o.port,
            all: o.all,
            ipv4: o.ipv4,
            ipv6: o.ipv6,
            resolver: o.resolver.clone(),
            helo: o.helo.clone(),
            from: o.from.clone(),
            to: o.to.clone(),
            starttls: o.starttls,
            tls_on_connect: o.tls_on_connect,
            sni: o.sni.clone(),
            ca_file: o.ca_file.clone(),
            quit_after: o.quit_after,
            no_pipelining: o.no_pipelining,
            timeout: o.timeout,
            slow: o.slow,
            data: o.data,
            body: o.body.clone(),
            size: o.size,
            dot_slow: o.dot_slow,
            cert_warn: o.cert_warn,
            test: o.test.clone(),
            dane: o.dane,
            mta_sts: o.mta_sts,
            trust_anchor: o.trust_anchor.clone(),
        }
    }
}

impl From<&ProbeArgs> for crate::config::BatchConfig {
    fn from(a: &ProbeArgs) -> Self {
        crate::config::BatchConfig {
            targets: a.targets.clone(),
            jobs: a.jobs as usize,
            per_host: a.per_host as usize,
            rate: a.rate,
            shard: a.shard,
        }
    }
}

/// The shells completions are generated for.
pub const COMPLETION_SHELLS: [clap_complete::Shell; 5] = [
    clap_complete::Shell::Bash,
    clap_complete::Shell::Zsh,
    clap_complete::Shell::Fish,
    clap_complete::Shell::Elvish,
    clap_complete::Shell::PowerShell,
];

/// Renders the man page and every completion script: `(relative path, content)` pairs.
/// This is the one function behind both the committed files and the staleness test.
pub fn generated_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let cmd = Cli::command();
    let mut man = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut man)
        .expect("rendering to memory cannot fail");
    files.push(("man/smtpdoctor.1".to_string(), man));
    // One page per subcommand, with every option (and its SMTPDOCTOR_* variable), as the
    // main page's SEE ALSO names them: smtpdoctor-probe(1), ...
    for sub in cmd.get_subcommands() {
        let name = format!("smtpdoctor-{}", sub.get_name());
        // clap names are `&'static str` (without its `string` feature); four short names.
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        let page = sub.clone().name(leaked).display_name(leaked);
        let mut man = Vec::new();
        clap_mangen::Man::new(page)
            .render(&mut man)
            .expect("rendering to memory cannot fail");
        files.push((format!("man/{name}.1"), man));
    }
    for shell in COMPLETION_SHELLS {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "smtpdoctor", &mut out);
        let name = match shell {
            clap_complete::Shell::Bash => "smtpdoctor.bash",
            clap_complete::Shell::Zsh => "_smtpdoctor",
            clap_complete::Shell::Fish => "smtpdoctor.fish",
            clap_complete::Shell::Elvish => "smtpdoctor.elv",
            _ => "_smtpdoctor.ps1",
        };
        files.push((format!("completions/{name}"), out));
    }
    files
}

/// Writes [`generated_files`] under `root` (the repository).
pub fn write_generated(root: &Path) -> std::io::Result<()> {
    for (rel, content) in generated_files() {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, content)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each subcommand's help opens with its own about text (the variant's doc comment), with
    /// its options built on demand (`defer`).
    #[test]
    fn deferred_subcommands_keep_their_about_text() {
        let expect = [
            ("probe", "Probe a mail domain"),
            ("demo", "Start the built-in scripted SMTP server"),
            ("mock", "Serve one built-in scenario"),
            ("proxy", "Relay live sessions"),
            ("explain", "Explain a finding id"),
            ("report", "Print a saved JSON report"),
        ];
        for (name, about) in expect {
            let help = Cli::try_parse_from(["smtpdoctor", name, "--help"])
                .unwrap_err()
                .to_string();
            assert!(help.starts_with(about), "{name} --help:\n{help}");
            assert!(
                help.contains("Usage: smtpdoctor "),
                "{name} --help:\n{help}"
            );
        }
        let mut cmd = Cli::command();
        cmd.build();
        for (name, about) in expect {
            let sub = cmd.find_subcommand(name).unwrap();
            assert!(
                sub.get_about().unwrap().to_string().starts_with(about),
                "{name}"
            );
            assert!(
                sub.get_arguments().count() > 1,
                "{name} has its options once built"
            );
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("10X").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn active_test_names_match_the_value_names() {
        for t in ActiveTest::value_variants() {
            let v = t.to_possible_value().unwrap();
            assert_eq!(v.get_name(), t.name());
        }
        let cli = Cli::try_parse_from([
            "smtpdoctor",
            "probe",
            "example.com",
            "--test",
            "pipelining,bare-lf",
            "--test",
            "relay",
        ])
        .unwrap();
        let Command::Probe(p) = cli.command else {
            panic!("probe expected")
        };
        assert_eq!(
            p.options.test,
            vec![
                ActiveTest::Pipelining,
                ActiveTest::BareLf,
                ActiveTest::Relay
            ]
        );
        assert!(
            Cli::try_parse_from(["smtpdoctor", "probe", "example.com", "--test", "all"]).is_err()
        );
    }
}
