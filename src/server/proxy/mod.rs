//! `smtpdoctor proxy` (SPEC §8): relays live sessions between clients and one upstream server, both sides recorded in one record and judged.
//!
//! [`serve`] accepts connections and runs one relay task per connection (`relay.rs`); each
//! connection's [`ProxyRecord`] is handed over when it ends. `judge.rs` derives the two views
//! the check families read (the server's record as a probe would have made it, the client's as
//! the mock would have) from the one record, and the TLS set-up lives in `tls.rs`.

mod judge;
mod relay;
mod tls;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::sleep;

use crate::record::attempt::Outcome;
use crate::record::tls::TlsInfo;
use crate::record::{Record, Stage};
use crate::server::RecentMessages;

pub use judge::findings;
pub use tls::{ProxyCertificate, generated_certificate, pem_certificate};

/// What the proxy does after the server's STARTTLS `220`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Relay the TLS bytes opaquely: the inside is not visible.
    Passthrough,
    /// Complete the client's TLS here and open a TLS session of our own to the upstream.
    Terminate,
}

impl TlsMode {
    /// `passthrough` or `terminate`.
    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Passthrough => "passthrough",
            TlsMode::Terminate => "terminate",
        }
    }
}

/// Longest wait without a byte in either direction allowed by `--timeout`.
pub const IDLE_MAX: Duration = Duration::from_secs(60 * 60);
/// Default wait without a byte in either direction before the proxy ends the session.
pub const IDLE_DEFAULT: Duration = Duration::from_secs(10 * 60);

/// How the proxy runs.
#[derive(Clone)]
pub struct ProxyOptions {
    /// The upstream as the user named it (host name for SNI and the report).
    pub upstream_host: String,
    /// The upstream's addresses, resolved once, tried in this order on each connection.
    pub upstreams: Vec<SocketAddr>,
    /// Passthrough or terminate.
    pub mode: TlsMode,
    /// The certificate shown to clients in terminate mode.
    pub certificate: Option<Arc<ProxyCertificate>>,
    /// Trust anchors for the upstream's certificate (webpki-roots plus `--ca-file`).
    pub roots: Arc<rustls::RootCertStore>,
    /// Wait without a byte in either direction before ending (capped at [`IDLE_MAX`]).
    pub idle: Duration,
    /// Wait for each of the upstream's addresses to accept the TCP connect.
    pub connect_timeout: Duration,
    /// Accept this many connections, then stop listening.
    pub max_connections: Option<u64>,
}

/// One relayed connection, recorded on one clock from the accept.
#[derive(Debug, Clone)]
pub struct ProxyRecord {
    /// The connection's number, from 1.
    pub n: u64,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// The address the client connected to.
    pub listen: Option<SocketAddr>,
    /// The upstream as named.
    pub upstream_host: String,
    /// The upstream address connected to (the last one tried when none answered).
    pub upstream: SocketAddr,
    /// When the connection was accepted.
    pub started_at: SystemTime,
    /// How long it lasted.
    pub duration: Duration,
    /// Both sides: client reads (request parser), server reads (reply parser), closes, TLS.
    pub record: Record,
    /// The server's replies as the relay attributed them to the client's commands.
    pub replies: Vec<crate::record::ReplyRecord>,
    /// Per client read event: the stage of the commands it completed and how many.
    pub client_reads: Vec<(usize, Stage, u16)>,
    /// Read events relayed opaquely (TLS passthrough).
    pub opaque: Vec<usize>,
    /// The TLS handshake event with the client (terminate mode).
    pub client_handshake: Option<usize>,
    /// The TLS handshake event with the upstream (terminate mode).
    pub upstream_handshake: Option<usize>,
    /// The upstream's TLS (terminate mode).
    pub upstream_tls: Option<TlsInfo>,
    /// The TLS mode.
    pub mode: TlsMode,
    /// SHA-256 (hex) of the certificate shown to the client, when TLS was terminated.
    pub certificate_sha256: Option<String>,
    /// How the upstream side ended.
    pub outcome: Outcome,
    /// Where it ended, when not completed.
    pub failed_stage: Option<Stage>,
    /// Whether a TLS passthrough took place.
    pub passthrough: bool,
}

/// Accepts connections on `listener` and relays each to the upstream; every connection's
/// record goes to `records` when it ends.
pub async fn serve(
    listener: TcpListener,
    options: ProxyOptions,
    records: UnboundedSender<ProxyRecord>,
) -> io::Result<()> {
    let options = Arc::new(options);
    let recent = Arc::new(Mutex::new(RecentMessages::default()));
    let mut n = 0u64;
    loop {
        if options.max_connections.is_some_and(|max| n >= max) {
            return Ok(());
        }
        match listener.accept().await {
            Ok((stream, _)) => {
                n += 1;
                let options = Arc::clone(&options);
                let records = records.clone();
                let recent = Arc::clone(&recent);
                tokio::spawn(async move {
                    let rec = relay::connection(stream, n, &options, recent).await;
                    let _ = records.send(rec);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Err(e),
            Err(_) => sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Splits `HOST[:PORT]` (`[IPv6]:PORT` too) with 25 as the default port.
pub fn split_upstream(s: &str) -> io::Result<(String, u16)> {
    let bad = || io::Error::new(io::ErrorKind::InvalidInput, format!("bad upstream {s:?}"));
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(bad)?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if tail.is_empty() => 25,
            None => return Err(bad()),
        };
        return Ok((host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && !h.is_empty() => {
            Ok((h.to_string(), p.parse().map_err(|_| bad())?))
        }
        _ if !s.is_empty() && !s.contains(':') => Ok((s.to_string(), 25)),
        _ if s.parse::<std::net::Ipv6Addr>().is_ok() => Ok((s.to_string(), 25)),
        _ => Err(bad()),
    }
}

/// Resolves the upstream once: all its addresses, in the resolver's order, each once. A name
/// goes to the system's resolver configuration and hosts file through hickory, as every other
/// lookup of smtpdoctor, not to the C library's name service.
pub async fn resolve_upstream(s: &str) -> io::Result<(String, Vec<SocketAddr>)> {
    let (host, port) = split_upstream(s)?;
    let ips = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => crate::dns::host_addresses(&host, crate::dns::DEFAULT_WAIT)
            .await
            .map_err(|e| io::Error::new(io::ErrorKind::NotFound, e))?,
    };
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in ips.into_iter().map(|ip| SocketAddr::new(ip, port)) {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} has no address"),
        ));
    }
    Ok((host, addrs))
}

#[cfg(test)]
mod tests;
