//! The transport of one mock connection: plain TCP, TLS after STARTTLS, or gone.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// The client connection as the server holds it.
pub(super) enum Conn {
    /// Before TLS.
    Plain(TcpStream),
    /// After a successful handshake.
    Tls(Box<TlsStream<TcpStream>>),
    /// Closed, reset or handed to a handshake that failed.
    Gone,
}

impl Conn {
    /// One read; 0 at end of stream (and always once gone).
    pub(super) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf).await,
            Conn::Tls(s) => s.read(buf).await,
            Conn::Gone => Ok(0),
        }
    }

    /// Writes all of `bytes` in one write and flushes.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
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

    /// Closes the sending side (FIN; close_notify first inside TLS).
    pub(super) async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.shutdown().await,
            Conn::Tls(s) => s.shutdown().await,
            Conn::Gone => Ok(()),
        }
    }

    /// The TCP socket underneath.
    pub(super) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            Conn::Tls(s) => Some(s.get_ref().0),
            Conn::Gone => None,
        }
    }

    /// Whether the connection is still there.
    pub(super) fn is_gone(&self) -> bool {
        matches!(self, Conn::Gone)
    }
}
