//! The run's configuration in domain terms: the choices the command line offers, lowered from
//! the command line by [`crate::cli`]; nothing here (or below) knows about clap.

/// STARTTLS policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTlsPolicy {
    /// Use STARTTLS when offered; failures are findings and the dialogue goes on.
    Auto,
    /// TLS is mandatory: its absence or failure is `starttls-policy-failed` and the dialogue stops.
    Require,
    /// Never send STARTTLS.
    Never,
}

/// The last stage the probe goes through before RSET/QUIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QuitAfter {
    /// Stop once TCP is connected.
    Connect,
    /// Stop after the greeting.
    Greeting,
    /// Stop after EHLO/HELO.
    Ehlo,
    /// Stop after STARTTLS and the second EHLO.
    Tls,
    /// Stop after MAIL FROM.
    Mail,
    /// Stop after RCPT TO (no mail is sent).
    Rcpt,
}

/// An opt-in active test (SPEC §4). Each runs on its own connection after the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActiveTest {
    /// EHLO before the greeting (and between a 220- teaser and the final line).
    Pregreet,
    /// MAIL, RCPT, RCPT and NOOP in one write, whether or not PIPELINING is advertised.
    Pipelining,
    /// STARTTLS and NOOP in one write; a NOOP reply inside TLS is CVE-2011-0411.
    StarttlsInjection,
    /// Messages ending in non-standard end-of-data sequences (needs --to you own; delivers
    /// test messages to it).
    Smuggling,
    /// NOOP ended by a bare LF.
    BareLf,
    /// An unknown command: does the server hang up?
    UnknownCommand,
    /// RCPT (never DATA) to foreign domains and old relay tricks, RSET after each.
    Relay,
}

impl ActiveTest {
    /// The name used on the command line, in `test:<name>` stages and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ActiveTest::Pregreet => "pregreet",
            ActiveTest::Pipelining => "pipelining",
            ActiveTest::StarttlsInjection => "starttls-injection",
            ActiveTest::Smuggling => "smuggling",
            ActiveTest::BareLf => "bare-lf",
            ActiveTest::UnknownCommand => "unknown-command",
            ActiveTest::Relay => "relay",
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Annotated transcript for people.
    Text,
    /// One JSON document (schema smtpdoctor.report/v1).
    Json,
    /// One Nagios/Icinga status line with performance data.
    Nagios,
}

/// Color choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colors when stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// How much of the transcript the text printer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Only the summary and the findings (`-q`).
    Quiet,
    /// The transcript with findings under their lines.
    Normal,
    /// Also TCP read boundaries with their times and TLS details (`-v`).
    Verbose,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputConfig {
    /// The effective format (`--json` wins over `--format`).
    pub format: Format,
    /// The color choice before NO_COLOR and the terminal are consulted.
    pub color: ColorChoice,
    /// How much of the transcript.
    pub detail: Detail,
}

/// What the user asked of a probe, before targets are resolved (see [`crate::probe::run`]).
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Port used for MX hosts.
    pub port: u16,
    /// Every MX host and address, not only the first that answers.
    pub all: bool,
    /// Only IPv4 addresses.
    pub ipv4: bool,
    /// Only IPv6 addresses.
    pub ipv6: bool,
    /// DNS servers to ask, as given (`IP[:PORT]`); empty: the system configuration.
    pub resolver: Vec<String>,
    /// Name for EHLO/HELO; `None`: this host's name.
    pub helo: Option<String>,
    /// Reverse-path; `None`: the null reverse-path.
    pub from: Option<String>,
    /// RCPT addresses; empty: from the target.
    pub to: Vec<String>,
    /// STARTTLS policy.
    pub starttls: StartTlsPolicy,
    /// Implicit TLS from the first byte.
    pub tls_on_connect: bool,
    /// TLS server name.
    pub sni: Option<String>,
    /// Extra trust anchors (PEM).
    pub ca_file: Option<std::path::PathBuf>,
    /// Last stage before RSET and QUIT.
    pub quit_after: QuitAfter,
    /// One command at a time even when PIPELINING is advertised.
    pub no_pipelining: bool,
    /// Every wait at most this; `None`: the RFC minimums.
    pub timeout: Option<std::time::Duration>,
    /// Replies slower than this are flagged.
    pub slow: std::time::Duration,
    /// Send the built-in test message.
    pub data: bool,
    /// Send this content (`-` for stdin).
    pub body: Option<std::path::PathBuf>,
    /// Send a generated message of this size.
    pub size: Option<u64>,
    /// A reply to the final dot slower than this is flagged.
    pub dot_slow: std::time::Duration,
    /// A certificate expiring within this is flagged.
    pub cert_warn: std::time::Duration,
    /// Opt-in active tests.
    pub test: Vec<ActiveTest>,
}

/// How many targets are probed, and how (SPEC §10): the list, the concurrency, the limits, the
/// shard.
#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// `--targets FILE|-`: one target per line, streamed (`-` is stdin).
    pub targets: Option<std::path::PathBuf>,
    /// `-j`: targets probed at once.
    pub jobs: usize,
    /// `--per-host`: connections open to one IP address at a time.
    pub per_host: usize,
    /// `--rate`: new connections per second overall.
    pub rate: Option<f64>,
    /// `--shard I/N`: only the targets of shard I of N.
    pub shard: Option<crate::batch::shard::Shard>,
}
