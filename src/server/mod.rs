//! The scripted SMTP server behind `smtpdoctor demo`, `smtpdoctor mock` and the integration tests.
//!
//! A [`Scenario`] is plain data: a greeting made of [`Step`]s and a short list of [`Rule`]s that override
//! the built-in, well-behaved answer to a command. Everything a scenario does not override behaves like a
//! correct ESMTP server for `mx.demo.test` (domain `demo.test`). The catalog lives in [`crate::server::scenarios`].
//!
//! The server never panics on client input, keeps a fixed-size input buffer per connection (message
//! bodies are streamed, never stored) and gives up on idle clients after five minutes.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub mod scenarios;

pub use scenarios::DEMO_SCENARIO;

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

/// Input buffer size per connection: command lines and message bodies go through it, nothing else is kept.
pub const INPUT_BUFFER: usize = 64 * 1024;
/// Longest command line accepted (longer ones are discarded and answered with 500).
pub const MAX_LINE: usize = 4096;
/// How long the server waits for a command or message data before giving up with 421.
const IDLE: Duration = Duration::from_secs(300);
/// Upper bound for [`Step::Hang`], so that a forgotten client cannot pin a task forever.
const HANG_MAX: Duration = Duration::from_secs(20 * 60);
/// Time allowed for a TLS handshake after STARTTLS.
const HANDSHAKE_MAX: Duration = Duration::from_secs(60);
/// How long [`Step::Close`] waits for the client's FIN after sending its own.
const DRAIN_MAX: Duration = Duration::from_secs(2);
/// Nesting limit for [`Step::Watch`] and [`Step::Default`].
const MAX_DEPTH: usize = 8;

/// A named, scripted server behaviour and what the probe must conclude about it.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Kebab-case name used by `demo NAME` and `mock --scenario NAME`.
    pub name: &'static str,
    /// One line saying what the server does wrong (or right).
    pub summary: &'static str,
    /// Finding ids (SPEC §3/§4) the probe must report, given `probe_args` and `--ca-file` with
    /// [`demo_certificate_pem`]; without that trust anchor every TLS scenario adds `tls-cert-untrusted`.
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
    };
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
    /// Wait this many milliseconds.
    Sleep(u64),
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
    /// Any other verb, and empty lines.
    Unknown,
    /// Every command and the final dot.
    Any,
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
    fn holds(&self, arg: &[u8], tls: bool, size: u64) -> bool {
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

/// The certificate a scenario presents after STARTTLS. All but [`Cert::Untrusted`] are issued by the demo CA
/// returned by [`demo_certificate_pem`], so with that trust anchor only the intended defect shows.
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

/// All scenarios, in catalog order.
pub fn scenarios() -> &'static [Scenario] {
    crate::server::scenarios::ALL
}

/// The scenario with this name.
pub fn find(name: &str) -> Option<&'static Scenario> {
    scenarios().iter().find(|s| s.name == name)
}

/// PEM of the demo CA certificate: pass it to a client as trust anchor (`--ca-file`) to get a clean
/// verification of `mx.demo.test`. Generated once per process; empty if generation failed.
pub fn demo_certificate_pem() -> String {
    match pki() {
        Ok(p) => p.ca_pem.clone(),
        Err(_) => String::new(),
    }
}

/// Serves `scenario` on `listener` forever, one task per connection.
pub async fn serve(listener: TcpListener, scenario: &'static Scenario) -> io::Result<()> {
    // Make the certificates before the first client waits for them.
    let _ = pki();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, scenario));
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Err(e),
            // Per-connection failures and resource exhaustion (EMFILE): wait a little and go on.
            Err(_) => sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Binds 127.0.0.1 on a free port and serves `scenario` there in a background task.
pub async fn spawn(scenario: &'static Scenario) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let _ = serve(listener, scenario).await;
    });
    Ok((addr, handle))
}

/// A loopback address where connects time out: a listening socket with backlog 0 whose accept queue is
/// filled by connections that are never accepted, so the kernel drops further SYNs.
#[derive(Debug)]
pub struct Blackhole {
    /// Where to connect to get a connect timeout.
    pub addr: SocketAddr,
    _listener: std::net::TcpListener,
    _held: Vec<std::net::TcpStream>,
}

/// Creates a [`Blackhole`] on 127.0.0.1 (blocking for about 0.1 s). Works inside or outside a tokio runtime.
pub fn blackhole() -> io::Result<Blackhole> {
    // tokio is the only libc-free way here to listen with backlog 0; a private runtime on a helper
    // thread works whatever runtime (if any) the caller runs in.
    let listener = std::thread::spawn(zero_backlog_listener)
        .join()
        .map_err(|_| io::Error::other("blackhole helper thread failed"))??;
    let addr = listener.local_addr()?;
    let mut held = Vec::new();
    // Fill the accept queue; stop as soon as a connect does not complete any more.
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(s) => held.push(s),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return Ok(Blackhole {
                    addr,
                    _listener: listener,
                    _held: held,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(
        "accept queue of the blackhole listener did not fill up",
    ))
}

fn zero_backlog_listener() -> io::Result<std::net::TcpListener> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let _guard = rt.enter();
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0).into())?;
    let listener = socket.listen(0)?;
    listener.into_std()
}

/// A loopback address where nothing listens (bound once to get a free port, then released), so a
/// connect is refused.
pub fn refused_addr() -> SocketAddr {
    match std::net::TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
    {
        Ok(addr) => addr,
        // Port 1 on loopback is as good a guess as any when binding fails.
        Err(_) => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1)),
    }
}

// ---------------------------------------------------------------------------------------------------
// Certificates

struct Pki {
    ca_pem: String,
    demo: Arc<ServerConfig>,
    expired: Arc<ServerConfig>,
    expiring: Arc<ServerConfig>,
    wrong_name: Arc<ServerConfig>,
    untrusted: Arc<ServerConfig>,
}

fn pki() -> Result<&'static Pki, &'static str> {
    static PKI: OnceLock<Result<Pki, String>> = OnceLock::new();
    match PKI.get_or_init(|| make_pki().map_err(|e| e.to_string())) {
        Ok(p) => Ok(p),
        Err(e) => Err(e.as_str()),
    }
}

fn tls_config(cert: Cert) -> Option<Arc<ServerConfig>> {
    let p = pki().ok()?;
    Some(Arc::clone(match cert {
        Cert::Demo => &p.demo,
        Cert::Expired => &p.expired,
        Cert::Expiring => &p.expiring,
        Cert::WrongName => &p.wrong_name,
        Cert::Untrusted => &p.untrusted,
    }))
}

const DAY: u64 = 24 * 60 * 60;

fn make_pki() -> Result<Pki, Box<dyn std::error::Error + Send + Sync>> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };

    let now_secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let at = |days_from_now: i64| {
        let secs = now_secs as i64 + days_from_now * DAY as i64;
        epoch + Duration::from_secs(secs.max(0) as u64)
    };

    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "smtpdoctor demo");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtpdoctor demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = at(-1);
    ca_params.not_after = at(3650);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let good_names = || {
        vec![
            HOSTNAME.to_string(),
            "localhost".into(),
            "127.0.0.1".into(),
            "::1".into(),
        ]
    };
    let leaf =
        |names: Vec<String>, from: i64, until: i64| -> Result<CertificateParams, rcgen::Error> {
            let mut params = CertificateParams::new(names)?;
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::OrganizationName, "smtpdoctor demo");
            params.distinguished_name.push(DnType::CommonName, HOSTNAME);
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.use_authority_key_identifier_extension = true;
            params.not_before = at(from);
            params.not_after = at(until);
            Ok(params)
        };
    let signed = |params: CertificateParams| -> Result<Arc<ServerConfig>, Box<dyn std::error::Error + Send + Sync>> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        server_config(cert.der().clone(), key.serialize_der())
    };

    let demo = signed(leaf(good_names(), -1, 365)?)?;
    let expired = signed(leaf(good_names(), -400, -30)?)?;
    let expiring = signed(leaf(good_names(), -60, 5)?)?;
    let mut wrong = leaf(vec!["mail.other.invalid".into()], -1, 365)?;
    wrong.distinguished_name = rcgen::DistinguishedName::new();
    wrong
        .distinguished_name
        .push(DnType::CommonName, "mail.other.invalid");
    let wrong_name = signed(wrong)?;
    let untrusted = {
        let mut params = leaf(good_names(), -1, 365)?;
        params.use_authority_key_identifier_extension = false;
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        server_config(cert.der().clone(), key.serialize_der())?
    };
    Ok(Pki {
        ca_pem,
        demo,
        expired,
        expiring,
        wrong_name,
        untrusted,
    })
}

fn server_config(
    cert: CertificateDer<'static>,
    key_pkcs8: Vec<u8>,
) -> Result<Arc<ServerConfig>, Box<dyn std::error::Error + Send + Sync>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        )?;
    Ok(Arc::new(config))
}

// ---------------------------------------------------------------------------------------------------
// Connection

enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Gone,
}

impl Conn {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
            Conn::Gone => Ok(0),
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::Plain(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Conn::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Conn::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.shutdown().await,
            Conn::Tls(s) => s.shutdown().await,
            Conn::Gone => Ok(()),
        }
    }

    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            Conn::Tls(s) => Some(s.get_ref().0),
            Conn::Gone => None,
        }
    }
}

/// Fixed-size input buffer shared by the command line reader and the message data reader.
struct Inbuf {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Discarding the rest of an over-long line.
    skipping: bool,
}

enum Line {
    /// A command line without its terminator; `bare_lf` when it ended in LF without CR.
    Text { text: Vec<u8>, bare_lf: bool },
    /// A line longer than [`MAX_LINE`], discarded.
    TooLong,
}

impl Inbuf {
    fn new() -> Self {
        Inbuf {
            buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            skipping: false,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Reads more bytes from the connection; 0 means end of stream.
    async fn fill(&mut self, conn: &mut Conn) -> io::Result<usize> {
        if self.start == self.end {
            self.clear();
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Cannot happen: lines are capped well below the buffer size and data is consumed as scanned.
            self.clear();
        }
        let n = conn.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    fn take_line(&mut self) -> Option<Line> {
        let pending = self.pending();
        match pending.iter().position(|&b| b == b'\n') {
            Some(pos) => {
                let bare_lf = pos == 0 || pending[pos - 1] != b'\r';
                let text_end = if bare_lf { pos } else { pos - 1 };
                let line = if self.skipping || text_end > MAX_LINE {
                    Line::TooLong
                } else {
                    Line::Text {
                        text: pending[..text_end].to_vec(),
                        bare_lf,
                    }
                };
                self.start += pos + 1;
                self.skipping = false;
                Some(line)
            }
            None => {
                if pending.len() > MAX_LINE {
                    // Keep the last byte: it may be the CR of a CRLF split across reads.
                    self.start = self.end - 1;
                    self.skipping = true;
                }
                None
            }
        }
    }

    /// Scans buffered message data for the end-of-data sequence, consuming what it scanned.
    /// Returns true when the end was found; bytes after it stay buffered as commands.
    fn scan_data(&mut self, eod: &mut EodScanner, size: &mut u64) -> bool {
        let pending = &self.buf[self.start..self.end];
        for (i, &b) in pending.iter().enumerate() {
            if eod.push(b) {
                *size += i as u64 + 1;
                self.start += i + 1;
                return true;
            }
        }
        *size += pending.len() as u64;
        self.start = self.end;
        false
    }
}

/// Streaming recogniser of the end of message data.
#[derive(Debug, Clone, Copy)]
struct EodScanner {
    lenient: bool,
    state: u8,
}

impl EodScanner {
    /// States (strict): 0 mid-line, 1 CR, 2 CRLF (line start), 3 CRLF ".", 4 CRLF "." CR.
    /// States (lenient): 0 mid-line, 2 line start (after LF), 3 line start ".", 4 line start "." CR.
    fn new(lenient: bool) -> Self {
        // The CRLF that ended the DATA command counts as the start of the first line.
        EodScanner { lenient, state: 2 }
    }

    /// Feeds one byte; true when the end-of-data sequence is complete.
    fn push(&mut self, b: u8) -> bool {
        let (next, done) = if self.lenient {
            match (self.state, b) {
                (3 | 4, b'\n') => (2, true),
                (3, b'\r') => (4, false),
                (2, b'.') => (3, false),
                (_, b'\n') => (2, false),
                _ => (0, false),
            }
        } else {
            match (self.state, b) {
                (4, b'\n') => (2, true),
                (1, b'\n') => (2, false),
                (2, b'.') => (3, false),
                (3, b'\r') => (4, false),
                (_, b'\r') => (1, false),
                _ => (0, false),
            }
        };
        self.state = next;
        done
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Greeting,
    Command(Cmd),
}

struct Conversation {
    conn: Conn,
    input: Inbuf,
    script: &'static Script,
    tls: bool,
    greeted: bool,
    mail: bool,
    rcpts: u32,
    /// First status digit written in answer to the current command.
    class: Option<u8>,
}

async fn connection(stream: TcpStream, scenario: &'static Scenario) {
    let _ = stream.set_nodelay(true);
    let mut s = Conversation {
        conn: Conn::Plain(stream),
        input: Inbuf::new(),
        script: &scenario.script,
        tls: false,
        greeted: false,
        mail: false,
        rcpts: 0,
        class: None,
    };
    s.dialogue().await;
}

fn parse_command(line: &[u8]) -> (Cmd, &[u8]) {
    let (verb, arg) = match line.iter().position(|&b| b == b' ') {
        Some(p) => (&line[..p], trim(&line[p + 1..])),
        None => (line, &line[line.len()..]),
    };
    let cmd = match verb.to_ascii_uppercase().as_slice() {
        b"EHLO" => Cmd::Ehlo,
        b"HELO" => Cmd::Helo,
        b"MAIL" => Cmd::Mail,
        b"RCPT" => Cmd::Rcpt,
        b"DATA" => Cmd::Data,
        b"RSET" => Cmd::Rset,
        b"QUIT" => Cmd::Quit,
        b"NOOP" => Cmd::Noop,
        b"STARTTLS" => Cmd::Starttls,
        b"VRFY" => Cmd::Vrfy,
        _ => Cmd::Unknown,
    };
    (cmd, arg)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The address of a MAIL/RCPT argument, without brackets and parameters.
fn path_of(arg: &[u8]) -> &[u8] {
    let rest = match arg.iter().position(|&b| b == b':') {
        Some(p) => trim(&arg[p + 1..]),
        None => arg,
    };
    if let Some(inner) = rest.strip_prefix(b"<") {
        let end = inner.iter().position(|&b| b == b'>').unwrap_or(inner.len());
        &inner[..end]
    } else {
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        &rest[..end]
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Recipient {
    Local,
    Relay,
    BadSyntax,
}

fn classify_recipient(arg: &[u8]) -> Recipient {
    let path = path_of(arg);
    if path.eq_ignore_ascii_case(b"postmaster") {
        return Recipient::Local;
    }
    if path.first() == Some(&b'@') {
        return Recipient::Relay; // source route
    }
    let Some(at) = path.iter().rposition(|&b| b == b'@') else {
        return Recipient::BadSyntax;
    };
    let (local, domain) = (&path[..at], &path[at + 1..]);
    if local.is_empty() || domain.is_empty() {
        return Recipient::BadSyntax;
    }
    if local.iter().any(|b| b"%!@:".contains(b)) {
        return Recipient::Relay;
    }
    let domain = domain.to_ascii_lowercase();
    let local_domain = domain == DOMAIN.as_bytes()
        || domain.ends_with(b".demo.test")
        || domain == b"localhost"
        || domain == b"[127.0.0.1]"
        || domain == b"[ipv6:::1]";
    if local_domain {
        Recipient::Local
    } else {
        Recipient::Relay
    }
}

impl Conversation {
    async fn dialogue(&mut self) {
        if self.run(self.script.greeting, Ctx::Greeting, b"").await == Flow::Done {
            return;
        }
        loop {
            let Some(line) = self.next_line().await else {
                return;
            };
            let flow = match line {
                Line::TooLong => self.send(b"500 5.5.2 Error: line too long\r\n").await,
                Line::Text { bare_lf: true, .. } if !self.script.accept_bare_lf => {
                    self.send(b"500 5.5.2 Error: bare <LF> received\r\n").await
                }
                Line::Text { text, .. } => self.command(&text).await,
            };
            if flow == Flow::Done {
                return;
            }
            if self.script.answer_first_only {
                self.input.clear();
            }
        }
    }

    async fn command(&mut self, line: &[u8]) -> Flow {
        let (cmd, arg) = parse_command(line);
        if self.respond(cmd, arg, 0).await == Flow::Done {
            return Flow::Done;
        }
        let positive = self.class == Some(b'2');
        match cmd {
            Cmd::Ehlo | Cmd::Helo if positive => {
                self.greeted = true;
                self.mail = false;
                self.rcpts = 0;
            }
            Cmd::Mail if positive => self.mail = true,
            Cmd::Rcpt if positive => self.rcpts = self.rcpts.saturating_add(1),
            Cmd::Rset => {
                self.mail = false;
                self.rcpts = 0;
            }
            Cmd::Data if self.class == Some(b'3') => {
                let Some(size) = self.read_message().await else {
                    return Flow::Done;
                };
                self.mail = false;
                self.rcpts = 0;
                return self.respond(Cmd::Dot, b"", size).await;
            }
            _ => {}
        }
        Flow::Go
    }

    async fn respond(&mut self, cmd: Cmd, arg: &[u8], size: u64) -> Flow {
        self.class = None;
        let tls = self.tls;
        let steps = self
            .script
            .rules
            .iter()
            .find(|r| (r.cmd == cmd || r.cmd == Cmd::Any) && r.when.holds(arg, tls, size))
            .map_or(&[Step::Default][..], |r| r.then);
        self.run(steps, Ctx::Command(cmd), arg).await
    }

    /// The built-in answer of a correct server.
    fn default_steps(&self, ctx: Ctx, arg: &[u8]) -> &'static [Step] {
        use Step::Send;
        let Ctx::Command(cmd) = ctx else {
            return &[Send(GREETING)];
        };
        match cmd {
            Cmd::Ehlo if arg.is_empty() => &[Send(b"501 5.5.4 Syntax: EHLO hostname\r\n")],
            Cmd::Ehlo if self.tls => &[Send(EHLO_TLS)],
            Cmd::Ehlo => &[Send(EHLO_PLAIN)],
            Cmd::Helo if arg.is_empty() => &[Send(b"501 5.5.4 Syntax: HELO hostname\r\n")],
            Cmd::Helo => &[Send(HELO_OK)],
            Cmd::Starttls if self.tls => &[Send(b"554 5.5.1 Error: TLS already active\r\n")],
            Cmd::Starttls => &[Send(STARTTLS_READY), Step::StartTls],
            Cmd::Mail if !self.greeted => &[Send(b"503 5.5.1 Error: send HELO/EHLO first\r\n")],
            Cmd::Mail if self.mail => &[Send(b"503 5.5.1 Error: nested MAIL command\r\n")],
            Cmd::Mail if !starts_with_ci(arg, b"FROM:") => {
                &[Send(b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n")]
            }
            Cmd::Mail => &[Send(MAIL_OK)],
            Cmd::Rcpt if !self.mail => &[Send(b"503 5.5.1 Error: need MAIL command\r\n")],
            Cmd::Rcpt if !starts_with_ci(arg, b"TO:") => {
                &[Send(b"501 5.5.4 Syntax: RCPT TO:<address>\r\n")]
            }
            Cmd::Rcpt => match classify_recipient(arg) {
                Recipient::Local => &[Send(RCPT_OK)],
                Recipient::Relay => &[Step::SendPath(b"554 5.7.1 ", b": Relay access denied\r\n")],
                Recipient::BadSyntax => &[Send(b"501 5.1.3 Bad recipient address syntax\r\n")],
            },
            Cmd::Data if !self.mail => &[Send(b"503 5.5.1 Error: need MAIL command\r\n")],
            Cmd::Data if self.rcpts == 0 => &[Send(b"554 5.5.1 Error: no valid recipients\r\n")],
            Cmd::Data => &[Send(DATA_GO)],
            Cmd::Dot => &[Send(QUEUED)],
            Cmd::Rset | Cmd::Noop => &[Send(OK)],
            Cmd::Quit => &[Send(BYE), Step::Close],
            Cmd::Vrfy => &[Send(b"502 5.5.1 VRFY command is disabled\r\n")],
            Cmd::Unknown | Cmd::Any => &[Send(UNRECOGNIZED)],
        }
    }

    async fn run(&mut self, steps: &'static [Step], ctx: Ctx, arg: &[u8]) -> Flow {
        let mut stack: Vec<std::slice::Iter<'static, Step>> = vec![steps.iter()];
        while let Some(top) = stack.last_mut() {
            let Some(step) = top.next() else {
                stack.pop();
                continue;
            };
            match *step {
                Step::Send(bytes) => {
                    if self.send(bytes).await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::SendArg(pre, post) => {
                    let out = [pre, arg, post].concat();
                    if self.send(&out).await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::SendPath(pre, post) => {
                    let out = [pre, b"<", path_of(arg), b">", post].concat();
                    if self.send(&out).await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::Sleep(ms) => {
                    if !self.pause(ms).await {
                        return Flow::Done;
                    }
                }
                Step::Close => {
                    self.close().await;
                    return Flow::Done;
                }
                Step::Reset => {
                    if let Some(tcp) = self.conn.tcp() {
                        let _ = tcp.set_zero_linger();
                    }
                    self.conn = Conn::Gone;
                    return Flow::Done;
                }
                Step::Hang => {
                    self.hang().await;
                    return Flow::Done;
                }
                Step::StartTls => {
                    if self.start_tls().await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::Watch(ms, then) => match self.watch(ms).await {
                    None => return Flow::Done,
                    Some(true) if stack.len() < MAX_DEPTH => stack.push(then.iter()),
                    Some(_) => {}
                },
                Step::Default => {
                    if stack.len() < MAX_DEPTH {
                        stack.push(self.default_steps(ctx, arg).iter());
                    }
                }
            }
        }
        Flow::Go
    }

    async fn send(&mut self, bytes: &[u8]) -> Flow {
        if self.class.is_none() {
            self.class = bytes.iter().copied().find(|b| (b'1'..=b'5').contains(b));
        }
        match self.conn.send(bytes).await {
            Ok(()) => Flow::Go,
            Err(_) => Flow::Done,
        }
    }

    /// Next command line; `None` when the client went away or idled out (then 421 was sent).
    async fn next_line(&mut self) -> Option<Line> {
        loop {
            if let Some(line) = self.input.take_line() {
                return Some(line);
            }
            match timeout(IDLE, self.input.fill(&mut self.conn)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return None,
                Ok(Ok(_)) => {}
                Err(_) => {
                    let _ = self
                        .conn
                        .send(b"421 4.4.2 mx.demo.test Error: timeout exceeded\r\n")
                        .await;
                    self.close().await;
                    return None;
                }
            }
        }
    }

    /// Reads message data up to the end-of-data sequence; returns its size, `None` if the client went away.
    async fn read_message(&mut self) -> Option<u64> {
        let mut eod = EodScanner::new(self.script.lenient_eod);
        let mut size = 0u64;
        loop {
            if self.input.scan_data(&mut eod, &mut size) {
                return Some(size);
            }
            match timeout(IDLE, self.input.fill(&mut self.conn)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return None,
                Ok(Ok(_)) => {}
                Err(_) => {
                    let _ = self
                        .conn
                        .send(b"421 4.4.2 mx.demo.test Error: timeout exceeded\r\n")
                        .await;
                    self.close().await;
                    return None;
                }
            }
        }
    }

    /// Waits up to `ms` for client input: `Some(true)` if something arrived (or was already buffered),
    /// `Some(false)` if the client stayed quiet, `None` if it went away.
    /// Sleeps `ms`. A long pause in plaintext (10 s and more, e.g. a greeting past the RFC
    /// timeout) keeps reading what the client sends into the input buffer, so that a client that
    /// leaves ends the connection instead of holding it for minutes; returns false then. Short
    /// pauses read nothing, so bytes that must reach a later TLS handshake stay on the socket.
    async fn pause(&mut self, ms: u64) -> bool {
        let length = Duration::from_millis(ms);
        if length < Duration::from_secs(10) || !matches!(self.conn, Conn::Plain(_)) {
            sleep(length).await;
            return true;
        }
        let deadline = Instant::now() + length;
        while self.input.pending().len() < INPUT_BUFFER / 2 {
            match tokio::time::timeout_at(deadline, self.input.fill(&mut self.conn)).await {
                Err(_) => return true,
                Ok(Ok(0)) | Ok(Err(_)) => return false,
                Ok(Ok(_)) => {}
            }
        }
        tokio::time::sleep_until(deadline).await;
        true
    }

    async fn watch(&mut self, ms: u64) -> Option<bool> {
        if !self.input.pending().is_empty() {
            return Some(true);
        }
        match timeout(Duration::from_millis(ms), self.input.fill(&mut self.conn)).await {
            Ok(Ok(0)) | Ok(Err(_)) => None,
            Ok(Ok(_)) => Some(true),
            Err(_) => Some(false),
        }
    }

    async fn start_tls(&mut self) -> Flow {
        if self.tls {
            return Flow::Go;
        }
        if !self.script.starttls_keeps_input {
            // A correct server forgets whatever plaintext arrived with the STARTTLS command.
            self.input.clear();
        }
        let Some(config) = tls_config(self.script.cert) else {
            self.close().await;
            return Flow::Done;
        };
        let Conn::Plain(tcp) = std::mem::replace(&mut self.conn, Conn::Gone) else {
            return Flow::Done;
        };
        match timeout(HANDSHAKE_MAX, TlsAcceptor::from(config).accept(tcp)).await {
            Ok(Ok(tls)) => {
                self.conn = Conn::Tls(Box::new(tls));
                self.tls = true;
                self.greeted = false;
                self.mail = false;
                self.rcpts = 0;
                Flow::Go
            }
            _ => Flow::Done,
        }
    }

    /// Sends FIN, then reads and discards until the client closes too (so it never sees an RST).
    async fn close(&mut self) {
        let _ = self.conn.shutdown().await;
        let deadline = Instant::now() + DRAIN_MAX;
        self.input.clear();
        while let Ok(Ok(n)) =
            tokio::time::timeout_at(deadline, self.input.fill(&mut self.conn)).await
        {
            if n == 0 {
                break;
            }
            self.input.clear();
        }
        self.conn = Conn::Gone;
    }

    /// Keeps the connection open without answering until the client leaves (bounded by [`HANG_MAX`]).
    async fn hang(&mut self) {
        let deadline = Instant::now() + HANG_MAX;
        self.input.clear();
        while let Ok(Ok(n)) =
            tokio::time::timeout_at(deadline, self.input.fill(&mut self.conn)).await
        {
            if n == 0 {
                break;
            }
            self.input.clear();
        }
        self.conn = Conn::Gone;
    }
}

#[cfg(test)]
mod tests;
