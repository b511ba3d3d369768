//! The scripted SMTP server behind `smtpdoctor demo`, `smtpdoctor mock` and the integration tests: listeners and test addresses.
//!
//! A [`Scenario`] (the DSL in `script.rs`, the catalog in [`scenarios`](mod@scenarios)) says how
//! the server behaves; [`serve`] and [`spawn`] run it, one task per connection
//! (`conversation.rs`), with TLS from the demo PKI (`pki.rs`). Every connection is recorded byte-exactly in a
//! role-neutral [`Record`]: [`serve_recorded`] and [`spawn_recorded`] hand each connection's
//! [`ClientRecord`] over when the connection ends. [`blackhole`] and [`refused_addr`] give
//! addresses where connects time out or are refused. The built-in misbehaving clients of
//! `demo --client` ([`clients`]) run against it with [`run_demo_client`].

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::sleep;

use crate::record::{Budget, Record};

mod client_runner;
pub mod clients;
mod conn;
mod conversation;
mod handshake;
mod pki;
pub mod proxy;
mod recent;
pub mod scenarios;
mod script;

pub use client_runner::run_demo_client;
pub use clients::{DEMO_CLIENTS, DemoClient, find_client};
pub use conversation::{INPUT_BUFFER, MAX_LINE};
pub use pki::{demo_certificate_pem, server_config_from_pem};
pub use recent::{RECENT_MESSAGES, RecentMessages};
pub use scenarios::DEMO_SCENARIO;
pub use script::{
    BYE, Cert, Cmd, DATA_GO, DOMAIN, EHLO_PLAIN, EHLO_TLS, GREETING, HELO_OK, HOSTNAME, MAIL_OK,
    OK, QUEUED, RCPT_OK, Rule, STARTTLS_READY, Scenario, Script, Step, UNRECOGNIZED, When, on,
    on_arg, on_not_arg, on_plain, on_tls, padded_line,
};

/// What a connection that nobody asked to record keeps: the record's floor, no bytes.
const UNRECORDED: Budget = Budget {
    read_bytes: 0,
    line_bytes: 0,
    lines: 0,
    read_events: 0,
};

/// One connection the server served, recorded byte-exactly in both directions.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    /// The connection's number on its listener, from 1 in accept order.
    pub n: u64,
    /// The scenario served.
    pub scenario: &'static str,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The address the client connected to.
    pub local: Option<SocketAddr>,
    /// When the connection was accepted.
    pub started_at: SystemTime,
    /// How long it lasted, from the accept until both sides were done.
    pub duration: Duration,
    /// Every read (the client's), write (the server's), close and TLS event, with the client
    /// lines the server acted on; times are µs since the accept.
    pub record: Record,
}

/// All scenarios, in catalog order.
pub fn scenarios() -> &'static [Scenario] {
    scenarios::ALL
}

/// The scenario with this name.
pub fn find(name: &str) -> Option<&'static Scenario> {
    scenarios().iter().find(|s| s.name == name)
}

/// How a listener serves its scenario, besides the script (`mock --hold`, `--cert/--key`).
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The scenario's deliberate delay instead of its own (see [`Step::Hold`]).
    pub hold: Option<Duration>,
    /// The certificate presented after STARTTLS, instead of the scenario's demo certificate.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Accept this many connections, then stop listening (the ones accepted are served to
    /// their end). Default: no limit.
    pub max_connections: Option<u64>,
    /// How long the server waits for the client's next command or data before it answers 421
    /// and closes (default 5 minutes, RFC 5321 §4.5.3.2.7; shorter only for demos and tests).
    pub idle: Option<Duration>,
}

/// Serves `scenario` on `listener` forever, one task per connection.
pub async fn serve(listener: TcpListener, scenario: &'static Scenario) -> io::Result<()> {
    accept_loop(listener, scenario, ServeOptions::default(), None).await
}

/// Serves `scenario` on `listener` forever, one task per connection, and sends each
/// connection's [`ClientRecord`] to `records` when the connection ends (records the receiver
/// no longer wants are dropped). Each record is bounded by [`Budget::default`].
pub async fn serve_recorded(
    listener: TcpListener,
    scenario: &'static Scenario,
    records: UnboundedSender<ClientRecord>,
) -> io::Result<()> {
    accept_loop(listener, scenario, ServeOptions::default(), Some(records)).await
}

/// Like [`serve_recorded`], with `options`. The connections of one call are one run: a
/// message that arrives again on a later connection is recorded as a duplicate.
pub async fn serve_recorded_with(
    listener: TcpListener,
    scenario: &'static Scenario,
    options: ServeOptions,
    records: UnboundedSender<ClientRecord>,
) -> io::Result<()> {
    accept_loop(listener, scenario, options, Some(records)).await
}

async fn accept_loop(
    listener: TcpListener,
    scenario: &'static Scenario,
    options: ServeOptions,
    records: Option<UnboundedSender<ClientRecord>>,
) -> io::Result<()> {
    // Make the certificates before the first client waits for them.
    pki::prepare();
    let recent = Arc::new(Mutex::new(RecentMessages::default()));
    let mut n = 0u64;
    loop {
        if options.max_connections.is_some_and(|max| n >= max) {
            return Ok(());
        }
        match listener.accept().await {
            Ok((stream, _)) => {
                n += 1;
                let run = conversation::Run {
                    n,
                    hold: options.hold,
                    idle: options.idle,
                    tls: options.tls.clone(),
                    recent: Arc::clone(&recent),
                };
                tokio::spawn(recorded_connection(stream, scenario, run, records.clone()));
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Err(e),
            // Per-connection failures and resource exhaustion (EMFILE): wait a little and go on.
            Err(_) => sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Serves one accepted connection and delivers its record, if anybody wants it.
async fn recorded_connection(
    stream: TcpStream,
    scenario: &'static Scenario,
    run: conversation::Run,
    records: Option<UnboundedSender<ClientRecord>>,
) {
    let peer = stream.peer_addr().ok();
    let local = stream.local_addr().ok();
    let started_at = SystemTime::now();
    let started = Instant::now();
    let budget = if records.is_some() {
        Budget::default()
    } else {
        UNRECORDED
    };
    let n = run.n;
    let record = conversation::connection(stream, scenario, budget, run).await;
    if let Some(records) = records {
        let _ = records.send(ClientRecord {
            n,
            scenario: scenario.name,
            peer,
            local,
            started_at,
            duration: started.elapsed(),
            record,
        });
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

/// Like [`spawn`], and returns the receiver of each connection's [`ClientRecord`].
pub async fn spawn_recorded(
    scenario: &'static Scenario,
) -> io::Result<(SocketAddr, JoinHandle<()>, UnboundedReceiver<ClientRecord>)> {
    spawn_recorded_with(scenario, ServeOptions::default()).await
}

/// Like [`spawn_recorded`], with `options`.
pub async fn spawn_recorded_with(
    scenario: &'static Scenario,
    options: ServeOptions,
) -> io::Result<(SocketAddr, JoinHandle<()>, UnboundedReceiver<ClientRecord>)> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = unbounded_channel();
    let handle = tokio::spawn(async move {
        let _ = serve_recorded_with(listener, scenario, options, tx).await;
    });
    Ok((addr, handle, rx))
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

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod tests;
