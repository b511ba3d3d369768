//! The scenario DSL: scenarios, scripts, steps and rules, the mock's identity and its default replies.
//!
//! A [`Scenario`] is plain data: a [`Script`] of [`Step`]s run on connect and [`Rule`]s that
//! override the built-in answer to a [`Cmd`]. Everything a script does not override behaves like a correct ESMTP server for [`HOSTNAME`]
//! (domain [`DOMAIN`]); the catalog of scenarios is [`crate::server::scenarios`].

use crate::wire::request::{Verb, contains_ci};

/// Host name the mock server announces and its certificates are issued for.
pub const HOSTNAME: &str = "mx.demo.test";
/// Mail domain the mock server accepts mail for (and subdomains, `localhost`, `[127.0.0.1]`).
/// Recipients in any other domain are refused as relaying, unless a scenario says otherwise.
pub const DOMAIN: &str = "demo.test";

/// Default greeting.
pub const GREETING: &[u8] = b"220 mx.demo.test ESMTP smtpdoctor-mock\r\n";
/// Default EHLO reply before TLS.
pub const EHLO_PLAIN: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
/// Default EHLO reply inside TLS (no STARTTLS); also used by scenarios that offer no STARTTLS at all.
pub const EHLO_TLS: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
/// Default HELO reply.
pub const HELO_OK: &[u8] = b"250 mx.demo.test\r\n";
/// Default reply to STARTTLS before the handshake.
pub const STARTTLS_READY: &[u8] = b"220 2.0.0 Ready to start TLS\r\n";
/// Default reply to MAIL.
pub const MAIL_OK: &[u8] = b"250 2.1.0 Ok\r\n";
/// Default reply to RCPT for a local recipient.
pub const RCPT_OK: &[u8] = b"250 2.1.5 Ok\r\n";
/// Default reply to DATA.
pub const DATA_GO: &[u8] = b"354 End data with <CR><LF>.<CR><LF>\r\n";
/// Default reply to the final dot.
pub const QUEUED: &[u8] = b"250 2.0.0 Ok: queued as MOCK1234\r\n";
/// Default reply to RSET and NOOP.
pub const OK: &[u8] = b"250 2.0.0 Ok\r\n";
/// Default reply to QUIT (the connection is closed after it).
pub const BYE: &[u8] = b"221 2.0.0 Bye\r\n";
/// Default reply to an unknown command.
pub const UNRECOGNIZED: &[u8] = b"502 5.5.2 Error: command not recognized\r\n";

/// A named, scripted server behaviour and what the probe must conclude about it.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Kebab-case name used by `demo NAME` and `mock --scenario NAME`.
    pub name: &'static str,
    /// One line saying what the server does wrong (or right).
    pub summary: &'static str,
    /// Finding ids (SPEC §3/§4) the probe must report, given `probe_args` and `--ca-file` with
    /// [`crate::server::demo_certificate_pem`]; without that trust anchor every TLS scenario
    /// adds `tls-cert-untrusted`.
    pub expect: &'static [&'static str],
    /// Extra probe arguments the scenario needs (timeouts, thresholds, `--data`, `--test ...`).
    pub probe_args: &'static [&'static str],
    /// What the server does.
    pub script: Script,
}

/// The server's behaviour: greeting steps, per-command overrides and a few protocol-level switches.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// Steps run right after the connection is accepted ([`Step::Default`] sends [`GREETING`]).
    pub greeting: &'static [Step],
    /// Overrides, first match wins; a command no rule matches gets the correct default answer.
    pub rules: &'static [Rule],
    /// Certificate presented after STARTTLS.
    pub cert: Cert,
    /// Accept a bare LF as command line terminator (otherwise such a line gets `500 5.5.2`).
    pub accept_bare_lf: bool,
    /// Also end message data at `<LF>.<LF>`, `<LF>.<CR><LF>` and `<CR><LF>.<LF>` (SMTP smuggling).
    pub lenient_eod: bool,
    /// Answer only the first command of each read and drop the rest (broken PIPELINING).
    pub answer_first_only: bool,
    /// Keep plaintext received together with STARTTLS and execute it inside TLS (CVE-2011-0411).
    pub starttls_keeps_input: bool,
    /// Offer AUTH (PLAIN and LOGIN, any credentials accepted) inside TLS; outside TLS AUTH gets
    /// 538. Without it AUTH is an unknown command.
    pub auth_in_tls: bool,
}

impl Script {
    /// A correct ESMTP server; scenarios write `Script { rules: &[...], ..Script::DEFAULT }`.
    pub const DEFAULT: Script = Script {
        greeting: &[Step::Default],
        rules: &[],
        cert: Cert::Demo,
        accept_bare_lf: false,
        lenient_eod: false,
        answer_first_only: false,
        starttls_keeps_input: false,
        auth_in_tls: false,
    };
}

impl Script {
    /// Whether the script has a deliberate delay that `mock --hold` sets (a [`Step::Hold`],
    /// [`Step::Trickle`] or [`Step::SendLines`]).
    pub fn has_hold(&self) -> bool {
        self.greeting
            .iter()
            .chain(self.rules.iter().flat_map(|r| r.then.iter()))
            .any(|s| matches!(s, Step::Hold(_) | Step::Trickle(..) | Step::SendLines(..)))
    }
}

impl Default for Script {
    fn default() -> Self {
        Script::DEFAULT
    }
}

/// One action of the scripted server.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Write these bytes in one write (TCP_NODELAY is set, so separate Sends make separate segments).
    Send(&'static [u8]),
    /// Write prefix, the command's argument as received, suffix, in one write.
    SendArg(&'static [u8], &'static [u8]),
    /// Write prefix, the command's `<path>` (MAIL/RCPT address with brackets), suffix, in one write.
    SendPath(&'static [u8], &'static [u8]),
    /// Wait this many milliseconds. Client bytes that arrive meanwhile are read and recorded
    /// (not acted on), except right after a STARTTLS 220, where they belong to the handshake.
    Sleep(u64),
    /// The scenario's deliberate delay: like [`Step::Sleep`], for `mock --hold` if given, else
    /// this many milliseconds.
    Hold(u64),
    /// Write this line at once and then every `.1` milliseconds while the hold lasts (`.2`
    /// milliseconds unless `mock --hold` says otherwise): keep-alive continuation lines.
    Trickle(&'static [u8], u64, u64),
    /// Write each line of these bytes in a write of its own, the hold apart (`.1`
    /// milliseconds unless `mock --hold` says otherwise).
    SendLines(&'static [u8], u64),
    /// The AUTH exchange (PLAIN, LOGIN): 334 challenges, then 235 for any credentials.
    Auth,
    /// Close the connection normally (FIN), then wait briefly for the client's FIN.
    Close,
    /// Abort the connection with a TCP RST (SO_LINGER 0).
    Reset,
    /// Say nothing more; keep the connection open until the client goes away.
    Hang,
    /// Switch to server-side TLS with the script's [`Cert`].
    StartTls,
    /// Wait this many milliseconds for the client to send something; if it does, run these steps.
    Watch(u64, &'static [Step]),
    /// Run the built-in answer for this command (or the default greeting).
    Default,
}

/// The command (or event) a [`Rule`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// `EHLO`.
    Ehlo,
    /// `HELO`.
    Helo,
    /// `MAIL FROM:`.
    Mail,
    /// `RCPT TO:`.
    Rcpt,
    /// `DATA` (the 354 answer; a reply starting with 3 makes the server read the message).
    Data,
    /// The end of message data (the final dot); the reply to it.
    Dot,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `NOOP`.
    Noop,
    /// `STARTTLS`.
    Starttls,
    /// `VRFY`.
    Vrfy,
    /// `AUTH`.
    Auth,
    /// Any other verb, and empty lines.
    Unknown,
    /// Every command and the final dot.
    Any,
}

impl From<Verb> for Cmd {
    /// The rule key of a parsed verb: verbs the mock does not implement are [`Cmd::Unknown`].
    fn from(verb: Verb) -> Cmd {
        match verb {
            Verb::Ehlo => Cmd::Ehlo,
            Verb::Helo => Cmd::Helo,
            Verb::Mail => Cmd::Mail,
            Verb::Rcpt => Cmd::Rcpt,
            Verb::Data => Cmd::Data,
            Verb::Rset => Cmd::Rset,
            Verb::Quit => Cmd::Quit,
            Verb::Noop => Cmd::Noop,
            Verb::Starttls => Cmd::Starttls,
            Verb::Vrfy => Cmd::Vrfy,
            Verb::Auth => Cmd::Auth,
            Verb::Bdat | Verb::Expn | Verb::Help | Verb::Unknown => Cmd::Unknown,
        }
    }
}

/// Extra condition of a [`Rule`].
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// Always.
    Always,
    /// Only before TLS.
    Plain,
    /// Only inside TLS.
    Tls,
    /// The argument contains this text (ASCII case-insensitive).
    Arg(&'static str),
    /// The argument does not contain this text (ASCII case-insensitive).
    NotArg(&'static str),
    /// For [`Cmd::Dot`]: the message was larger than this many octets.
    SizeOver(u64),
}

/// An override: when `cmd` arrives and `when` holds, run `then` instead of the default answer.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The command it applies to.
    pub cmd: Cmd,
    /// Extra condition.
    pub when: When,
    /// What the server does instead.
    pub then: &'static [Step],
}

/// `Rule` for `cmd`, always.
pub const fn on(cmd: Cmd, then: &'static [Step]) -> Rule {
    Rule {
        cmd,
        when: When::Always,
        then,
    }
}

/// `Rule` for `cmd` before TLS.
pub const fn on_plain(cmd: Cmd, then: &'static [Step]) -> Rule {
    Rule {
        cmd,
        when: When::Plain,
        then,
    }
}

/// `Rule` for `cmd` inside TLS.
pub const fn on_tls(cmd: Cmd, then: &'static [Step]) -> Rule {
    Rule {
        cmd,
        when: When::Tls,
        then,
    }
}

/// `Rule` for `cmd` when its argument contains `text` (case-insensitive).
pub const fn on_arg(cmd: Cmd, text: &'static str, then: &'static [Step]) -> Rule {
    Rule {
        cmd,
        when: When::Arg(text),
        then,
    }
}

/// `Rule` for `cmd` when its argument does not contain `text` (case-insensitive).
pub const fn on_not_arg(cmd: Cmd, text: &'static str, then: &'static [Step]) -> Rule {
    Rule {
        cmd,
        when: When::NotArg(text),
        then,
    }
}

/// A reply line of exactly `N` octets: `prefix`, then `fill` up to `N - 2`, then CRLF.
pub const fn padded_line<const N: usize>(prefix: &[u8], fill: u8) -> [u8; N] {
    let mut out = [fill; N];
    let mut i = 0;
    while i < prefix.len() && i + 2 < N {
        out[i] = prefix[i];
        i += 1;
    }
    if N >= 2 {
        out[N - 2] = b'\r';
        out[N - 1] = b'\n';
    }
    out
}

impl When {
    /// Whether the condition holds for a command with this argument, inside TLS or not, after a
    /// message of `size` octets.
    pub(super) fn holds(&self, arg: &[u8], tls: bool, size: u64) -> bool {
        match *self {
            When::Always => true,
            When::Plain => !tls,
            When::Tls => tls,
            When::Arg(text) => contains_ci(arg, text.as_bytes()),
            When::NotArg(text) => !contains_ci(arg, text.as_bytes()),
            When::SizeOver(limit) => size > limit,
        }
    }
}

/// The certificate a scenario presents after STARTTLS. All but [`Cert::Untrusted`] are issued by
/// the demo CA returned by [`crate::server::demo_certificate_pem`], so with that trust anchor only
/// the intended defect shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// Valid for `mx.demo.test`, `localhost`, `127.0.0.1` and `::1`.
    Demo,
    /// Same names, expired 30 days ago.
    Expired,
    /// Same names, expires in 5 days.
    Expiring,
    /// Valid, but only for `mail.other.invalid`.
    WrongName,
    /// Same names as `Demo`, self-signed and therefore not trusted by anybody.
    Untrusted,
}
