//! Runs a built-in demo client against the mock on a loopback port and hands back the records of its connections.

use rustls::pki_types::pem::PemObject;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::clients::{Act, DemoClient};
use super::script::HOSTNAME;
use super::{ClientRecord, ServeOptions, demo_certificate_pem, find, spawn_recorded_with};

/// How long a demo client waits for one reply.
const REPLY_WAIT: Duration = Duration::from_secs(30);
/// How long the runner waits for the server's record after a connection (the hold included).
const RECORD_WAIT: Duration = Duration::from_secs(30);
/// What the client keeps of unread replies.
const MAX_BUFFER: usize = 64 * 1024;

/// The connection of a demo client, before and after STARTTLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Gone,
}

impl Stream {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf).await,
            Stream::Tls(s) => s.read(buf).await,
            Stream::Gone => Ok(0),
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        async fn all<S: AsyncWrite + AsyncRead + Unpin>(s: &mut S, b: &[u8]) -> io::Result<()> {
            s.write_all(b).await?;
            s.flush().await
        }
        match self {
            Stream::Plain(s) => all(s, bytes).await,
            Stream::Tls(s) => all(s.as_mut(), bytes).await,
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }
}

/// A client trusting the demo CA.
fn tls_connector() -> io::Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(demo_certificate_pem().as_bytes())
    {
        roots
            .add(cert.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// One connection of a scripted client.
struct Client {
    stream: Stream,
    unread: Vec<u8>,
}

impl Client {
    /// More bytes from the server; false at the end of the stream.
    async fn more(&mut self) -> io::Result<bool> {
        let mut buf = [0u8; 4096];
        let n = timeout(REPLY_WAIT, self.stream.read(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply"))??;
        if self.unread.len() + n > MAX_BUFFER {
            self.unread.clear();
        }
        self.unread.extend_from_slice(&buf[..n]);
        Ok(n > 0)
    }

    /// The next line, or what is left at the end of the stream.
    async fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(p) = self.unread.iter().position(|&b| b == b'\n') {
                return Ok(self.unread.drain(..=p).collect());
            }
            if !self.more().await? {
                return Ok(std::mem::take(&mut self.unread));
            }
        }
    }

    /// Lines up to the last line of a reply.
    async fn reply(&mut self) -> io::Result<()> {
        loop {
            let line = self.line().await?;
            if line.is_empty() || line.get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    }

    async fn act(&mut self, act: Act) -> io::Result<()> {
        match act {
            Act::Send(bytes) => self.stream.write(bytes).await,
            Act::Reply => self.reply().await,
            Act::Line => self.line().await.map(drop),
            Act::Read => {
                if self.unread.is_empty() {
                    self.more().await?;
                }
                self.unread.clear();
                Ok(())
            }
            Act::Sleep(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(())
            }
            Act::StartTls => {
                let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
                    return Err(io::ErrorKind::NotConnected.into());
                };
                let name = rustls::pki_types::ServerName::try_from(HOSTNAME)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                self.unread.clear();
                let tls = tls_connector()?.connect(name, tcp).await?;
                self.stream = Stream::Tls(Box::new(tls));
                Ok(())
            }
            Act::Close => {
                self.stream = Stream::Gone;
                Ok(())
            }
        }
    }
}

/// Runs `client` against its scenario on a loopback port, one connection after the other, and
/// returns the server's record of each. A client act that fails (the server hung up) ends its
/// connection; the record still comes.
pub async fn run_demo_client(client: &DemoClient) -> io::Result<Vec<ClientRecord>> {
    let scenario = find(client.scenario).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no scenario {}", client.scenario),
        )
    })?;
    let options = ServeOptions {
        hold: client.hold_ms.map(Duration::from_millis),
        idle: client.idle_ms.map(Duration::from_millis),
        ..ServeOptions::default()
    };
    let (addr, server, mut records) = spawn_recorded_with(scenario, options).await?;
    let mut out = Vec::new();
    for script in client.connections {
        let mut c = Client {
            stream: Stream::Plain(TcpStream::connect(addr).await?),
            unread: Vec::new(),
        };
        for &act in *script {
            if c.act(act).await.is_err() {
                break;
            }
        }
        // A client that is done closes TLS properly (close_notify), then the connection.
        if let Stream::Tls(tls) = &mut c.stream {
            let _ = timeout(Duration::from_secs(1), tls.shutdown()).await;
        }
        drop(c);
        match timeout(RECORD_WAIT, records.recv()).await {
            Ok(Some(rec)) => out.push(rec),
            _ => {
                server.abort();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the mock did not finish the connection",
                ));
            }
        }
    }
    server.abort();
    Ok(out)
}
