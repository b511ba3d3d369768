//! One recorded connection: every read and write lands in the record, replies are parsed as
//! they come, waits have total deadlines, and TLS starts in place.

use crate::record::{ConnectFailure, EventKind, Peer, Record, ReplyRecord, Stage};
use crate::session::live::LiveNote;
use crate::session::tls::{self, TlsInfo};
use crate::wire::reply::{ReplyAssembler, ReplyParser};
use rustls::pki_types::ServerName;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

/// Why TLS could not be started on a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsStartError {
    /// The connection was already inside TLS or closed.
    #[error("connection is not in plaintext")]
    NotPlaintext,
    /// The handshake failed (its I/O error, TLS alerts included).
    #[error("{0}")]
    Handshake(std::io::Error),
    /// The handshake did not finish in time.
    #[error("no handshake within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
}

/// The connection, plain or inside TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Closed,
}

/// Result of waiting for a reply (or a line).
pub(crate) enum Wait {
    /// Index of the reply in the record (of the line, for [`Conn::line`]).
    Reply(usize),
    /// The wait ran out (recorded as a timeout event).
    Timeout,
    /// The server closed the connection.
    Closed,
    /// A read failed.
    Failed,
}

/// What one read step brought.
enum ReadStep {
    /// Bytes, the end of the stream, or a settled CR: look again.
    Progress,
    /// The deadline passed.
    TimedOut,
    /// The probe was told to stop waiting.
    Interrupted,
    /// The read failed (recorded; the connection is closed).
    Failed,
}

/// One recorded connection: every read and write lands in `record`.
pub(crate) struct Conn {
    pub(crate) stream: Stream,
    pub(crate) start: Instant,
    pub(crate) record: Record,
    pub(crate) parser: ReplyParser,
    pub(crate) assembler: ReplyAssembler,
    pub(crate) ready: VecDeque<ReplyRecord>,
    pub(crate) tls: bool,
    pub(crate) eof: bool,
    pub(crate) live: bool,
    /// Shows the record as it grows (the live transcript), when asked.
    pub(crate) echo: Option<Box<dyn crate::session::LiveSink>>,
    pub(crate) label: String,
    pub(crate) buf: Vec<u8>,
    /// Fired when the probe must stop waiting (Ctrl-C).
    pub(crate) stop: tokio_util::sync::CancellationToken,
    /// A wait was interrupted: the connection is not used any more.
    pub(crate) interrupted: bool,
    /// The connection slot to this address, held while the connection lives (batch runs).
    pub(crate) _permit: Option<crate::batch::limits::HostPermit>,
}

pub(crate) const READ_BUF: usize = 16 * 1024;
/// How long a trailing CR may wait for its LF before it counts as a bare CR.
const CR_GRACE: Duration = Duration::from_millis(300);

impl Conn {
    /// µs since the attempt started.
    pub(crate) fn now_us(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// What was recorded so far.
    pub(crate) fn record(&self) -> &Record {
        &self.record
    }

    /// Shows what the record gained, when a live transcript is asked for.
    pub(crate) fn echo(&mut self) {
        if let Some(e) = &mut self.echo {
            e.update(&self.record);
        }
    }

    /// Whether the connection can still be used.
    pub(crate) fn is_open(&self) -> bool {
        !self.eof && !self.interrupted && !matches!(self.stream, Stream::Closed)
    }

    /// Records that a wait for `stage` was interrupted (once per connection) and returns
    /// [`Wait::Timeout`]: the dialogue ends there, and [`crate::session::Run::fail`] makes the
    /// outcome [`crate::session::Outcome::Interrupted`].
    fn interrupt(&mut self, stage: &Stage, awaited_at_us: u64) -> Wait {
        if !self.interrupted {
            self.interrupted = true;
            let at = self.now_us();
            self.record.push(
                at,
                EventKind::Interrupted {
                    stage: stage.clone(),
                    waited_ms: at.saturating_sub(awaited_at_us) / 1000,
                },
            );
            self.echo();
        }
        Wait::Timeout
    }

    /// Writes `bytes` in one write and records them with the number of replies they ask for;
    /// false when the write failed (recorded).
    pub(crate) async fn write(&mut self, stage: Stage, bytes: &[u8], expects: u16) -> bool {
        // Complete replies not taken yet go into the record in the order they came; whether
        // anybody asked for them is decided from the record (`Record::mark_unsolicited`).
        self.record.replies.extend(self.ready.drain(..));
        let at = self.now_us();
        self.record.push(
            at,
            EventKind::Write {
                from: Peer::Client,
                expects,
                tls: self.tls,
                stage: stage.clone(),
                bytes: bytes.to_vec(),
            },
        );
        self.echo();
        let res = match &mut self.stream {
            Stream::Plain(s) => write_all(s, bytes).await,
            Stream::Tls(s) => write_all(s.as_mut(), bytes).await,
            Stream::Closed => Err(std::io::Error::from(std::io::ErrorKind::NotConnected)),
        };
        if let Err(e) = res {
            let at = self.now_us();
            self.record.push(
                at,
                EventKind::IoError {
                    stage,
                    kind: e.kind(),
                    message: format!("write failed: {e}"),
                },
            );
            self.echo();
            return false;
        }
        true
    }

    fn absorb_lines(&mut self, stage: &Stage, awaited_at_us: u64, command_event: Option<usize>) {
        let now = self.now_us();
        for (done, end_line) in self
            .record
            .absorb(&mut self.parser, &mut self.assembler, now)
        {
            let completed_at_us = now;
            self.ready.push_back(ReplyRecord {
                stage: stage.clone(),
                code: done.code,
                first_line: done.first_line,
                end_line,
                awaited_at_us,
                completed_at_us,
                command_event,
                dropped_lines: done.dropped_lines,
                unsolicited: false,
            });
        }
        self.echo();
    }

    /// Keeps an unterminated tail in the transcript without letting it complete a reply (used
    /// when a wait ends by its deadline or by a failed read, not by the server's close).
    fn record_partial_line(&mut self) {
        let now = self.now_us();
        self.record
            .absorb_partial(&mut self.parser, &self.assembler, now);
        self.echo();
    }

    /// Waits for the next complete reply for `stage`; the deadline is total, not idle.
    pub(crate) async fn reply(&mut self, stage: Stage, wait: Duration, what: &str) -> Wait {
        let awaited_at_us = self.now_us();
        let command_event = self
            .record
            .events
            .iter()
            .rposition(|e| matches!(e.kind, EventKind::Write { .. }));
        let deadline = Instant::now() + wait;
        let mut ticker = LiveNote::new(self.live, format!("{what} from {}", self.label));
        loop {
            self.absorb_lines(&stage, awaited_at_us, command_event);
            if let Some(mut r) = self.ready.pop_front() {
                r.stage = stage.clone();
                r.awaited_at_us = awaited_at_us;
                r.command_event = command_event;
                self.record.replies.push(r);
                return Wait::Reply(self.record.replies.len() - 1);
            }
            if self.eof {
                self.parser.finish();
                self.absorb_lines(&stage, awaited_at_us, command_event);
                if let Some(mut r) = self.ready.pop_front() {
                    r.stage = stage.clone();
                    self.record.replies.push(r);
                    return Wait::Reply(self.record.replies.len() - 1);
                }
                return Wait::Closed;
            }
            match self.read_step(&stage, deadline, &mut ticker).await {
                ReadStep::Progress => {}
                ReadStep::TimedOut => {
                    ticker.clear();
                    // A CR that waited in vain for its LF ends its line, which may complete a
                    // reply; a line still without terminator is shown but is no reply: the
                    // server was still sending it when the deadline came.
                    self.parser.settle_cr();
                    self.absorb_lines(&stage, awaited_at_us, command_event);
                    self.record_partial_line();
                    self.push_timeout(&stage, wait);
                    // A reply completed by a settled CR still counts.
                    if let Some(mut r) = self.ready.pop_front() {
                        r.stage = stage.clone();
                        self.record.replies.push(r);
                        return Wait::Reply(self.record.replies.len() - 1);
                    }
                    return Wait::Timeout;
                }
                ReadStep::Failed => {
                    ticker.clear();
                    self.parser.settle_cr();
                    self.absorb_lines(&stage, awaited_at_us, command_event);
                    self.record_partial_line();
                    return Wait::Failed;
                }
                ReadStep::Interrupted => {
                    ticker.clear();
                    self.record_partial_line();
                    return self.interrupt(&stage, awaited_at_us);
                }
            }
        }
    }

    /// Waits until the server has completed one more line (whether or not it completes a
    /// reply); returns its index in `Record::lines` as `Wait::Reply`. Used to act between the
    /// lines of a multiline greeting.
    pub(crate) async fn line(&mut self, stage: Stage, wait: Duration, what: &str) -> Wait {
        let awaited_at_us = self.now_us();
        let seen = |rec: &Record| rec.server_lines.len() as u64 + rec.dropped_lines;
        let before = seen(&self.record);
        let deadline = Instant::now() + wait;
        let mut ticker = LiveNote::new(self.live, format!("{what} from {}", self.label));
        loop {
            self.absorb_lines(&stage, awaited_at_us, None);
            if seen(&self.record) > before {
                return Wait::Reply(self.record.server_lines.len().saturating_sub(1));
            }
            if self.eof {
                return Wait::Closed;
            }
            match self.read_step(&stage, deadline, &mut ticker).await {
                ReadStep::Progress => {}
                ReadStep::TimedOut => {
                    self.push_timeout(&stage, wait);
                    return Wait::Timeout;
                }
                ReadStep::Failed => {
                    self.parser.settle_cr();
                    self.absorb_lines(&stage, awaited_at_us, None);
                    self.record_partial_line();
                    return Wait::Failed;
                }
                ReadStep::Interrupted => {
                    self.record_partial_line();
                    return self.interrupt(&stage, awaited_at_us);
                }
            }
        }
    }

    fn push_timeout(&mut self, stage: &Stage, wait: Duration) {
        let at = self.now_us();
        self.record.push(
            at,
            EventKind::Timeout {
                stage: stage.clone(),
                waited_ms: wait.as_millis() as u64,
            },
        );
        self.echo();
    }

    /// One read (or the settling of a trailing CR), recorded and fed to the parser.
    async fn read_step(
        &mut self,
        stage: &Stage,
        deadline: Instant,
        ticker: &mut LiveNote,
    ) -> ReadStep {
        let cr_grace = self.parser.pending_cr();
        let limit = if cr_grace {
            deadline.min(Instant::now() + CR_GRACE)
        } else {
            deadline
        };
        if self.interrupted || self.stop.is_cancelled() {
            return ReadStep::Interrupted;
        }
        let read = tokio::select! {
            r = timeout_at(limit.into(), read_some(&mut self.stream, &mut self.buf)) => r,
            _ = self.stop.cancelled() => return ReadStep::Interrupted,
            _ = ticker.tick() => return ReadStep::Progress,
        };
        match read {
            Err(_) if cr_grace && Instant::now() < deadline => {
                self.parser.settle_cr();
                ReadStep::Progress
            }
            Err(_) => ReadStep::TimedOut,
            Ok(Ok(0)) => {
                let at = self.now_us();
                self.record.push(
                    at,
                    EventKind::Eof {
                        from: Peer::Server,
                        tls: self.tls,
                    },
                );
                self.eof = true;
                ReadStep::Progress
            }
            Ok(Ok(n)) => {
                let at = self.now_us();
                let idx = self.record.push_read(at, self.tls, &self.buf[..n]);
                self.parser.feed(idx, &self.buf[..n]);
                ReadStep::Progress
            }
            Ok(Err(e)) => {
                let at = self.now_us();
                self.record.push(
                    at,
                    EventKind::IoError {
                        stage: stage.clone(),
                        kind: e.kind(),
                        message: format!("read failed: {e}"),
                    },
                );
                // The tail is settled by the caller: a partial line is kept but is no reply.
                self.stream = Stream::Closed;
                self.eof = true;
                ReadStep::Failed
            }
        }
    }

    /// Upgrades to TLS. Buffered plaintext is discarded first (RFC 3207 §4.2) and recorded.
    pub(crate) async fn start_tls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
        wait: Duration,
    ) -> Result<rustls::ProtocolVersion, TlsStartError> {
        // Every byte after the STARTTLS reply is plaintext the server sent before the handshake
        // (RFC 3207 §4.2: it must be discarded). Complete lines stay in the transcript; the
        // replies they formed answer nothing the probe will ask, so they are dropped.
        let awaited = self.now_us();
        self.absorb_lines(&Stage::Starttls, awaited, None);
        self.ready.clear();
        let after = self.record.replies.last().map_or(0, |r| r.end_line);
        let leftover = self.parser.discard_pending()
            + self.record.server_lines[after.min(self.record.server_lines.len())..]
                .iter()
                .map(|l| l.wire_len())
                .sum::<usize>();
        if leftover > 0 {
            let at = self.now_us();
            self.record
                .push(at, EventKind::PlaintextDiscarded { len: leftover });
        }
        self.assembler = ReplyAssembler::new();
        let tcp = match std::mem::replace(&mut self.stream, Stream::Closed) {
            Stream::Plain(t) => t,
            other => {
                self.stream = other;
                return Err(TlsStartError::NotPlaintext);
            }
        };
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut ticker = LiveNote::new(self.live, format!("TLS handshake with {}", self.label));
        let hs = connector.connect(name, tcp);
        tokio::pin!(hs);
        let deadline = Instant::now() + wait;
        let stop = self.stop.clone();
        let res = loop {
            tokio::select! {
                r = timeout_at(deadline.into(), &mut hs) => break Some(r),
                _ = stop.cancelled() => break None,
                _ = ticker.tick() => {}
            }
        };
        ticker.clear();
        let Some(res) = res else {
            self.interrupt(&Stage::Tls, awaited);
            return Err(TlsStartError::Timeout(wait));
        };
        let at = self.now_us();
        let started = self.finish_tls(res, at, wait);
        self.echo();
        started
    }

    /// Records how the handshake ended and, when it succeeded, goes on inside TLS.
    fn finish_tls(
        &mut self,
        res: Result<
            std::io::Result<tokio_rustls::client::TlsStream<TcpStream>>,
            tokio::time::error::Elapsed,
        >,
        at: u64,
        wait: Duration,
    ) -> Result<rustls::ProtocolVersion, TlsStartError> {
        match res {
            Ok(Ok(stream)) => {
                let (_, conn) = stream.get_ref();
                let version = conn
                    .protocol_version()
                    .unwrap_or(rustls::ProtocolVersion::Unknown(0));
                self.record.push(
                    at,
                    EventKind::TlsHandshake {
                        ok: true,
                        message: version_name(version),
                    },
                );
                self.stream = Stream::Tls(Box::new(stream));
                self.tls = true;
                self.eof = false;
                self.parser = ReplyParser::new();
                Ok(version)
            }
            Ok(Err(e)) => {
                self.record.push(
                    at,
                    EventKind::TlsHandshake {
                        ok: false,
                        message: e.to_string(),
                    },
                );
                if tls::is_not_tls(&e) {
                    self.record.push(at, EventKind::NotTls);
                }
                Err(TlsStartError::Handshake(e))
            }
            Err(_) => {
                self.record.push(
                    at,
                    EventKind::Timeout {
                        stage: Stage::Tls,
                        waited_ms: wait.as_millis() as u64,
                    },
                );
                Err(TlsStartError::Timeout(wait))
            }
        }
    }

    pub(crate) fn tls_details(
        &self,
        observed: &std::sync::Mutex<tls::Observed>,
        sni: Option<String>,
    ) -> Option<TlsInfo> {
        let Stream::Tls(s) = &self.stream else {
            return None;
        };
        let (_, conn) = s.get_ref();
        let obs = observed.lock().unwrap_or_else(|p| p.into_inner());
        Some(TlsInfo {
            version: conn
                .protocol_version()
                .map(version_name)
                .unwrap_or_else(|| "unknown".into()),
            cipher: conn
                .negotiated_cipher_suite()
                .map(|c| format!("{:?}", c.suite()))
                .unwrap_or_else(|| "unknown".into()),
            sni,
            chain: obs.chain.iter().map(tls::describe).collect(),
            verification: obs.verification.clone(),
        })
    }
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

pub(crate) async fn write_all<S: AsyncWrite + Unpin + ?Sized>(
    s: &mut S,
    bytes: &[u8],
) -> std::io::Result<()> {
    s.write_all(bytes).await?;
    s.flush().await
}

/// Asks the kernel to acknowledge the next segment at once. Without it, a server that writes a
/// TLS 1.3 session ticket and then a reply (with Nagle on) waits for our delayed ACK: 40 ms
/// added to every reply after the handshake. Linux only; elsewhere a no-op.
fn quick_ack(tcp: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = tcp;
}

async fn read_some(stream: &mut Stream, buf: &mut [u8]) -> std::io::Result<usize> {
    match stream {
        Stream::Plain(s) => quick_ack(s),
        Stream::Tls(s) => quick_ack(s.get_ref().0),
        Stream::Closed => {}
    }
    match stream {
        Stream::Plain(s) => read_into(s, buf).await,
        Stream::Tls(s) => read_into(s.as_mut(), buf).await,
        Stream::Closed => Ok(0),
    }
}

async fn read_into<S: AsyncRead + Unpin + ?Sized>(
    s: &mut S,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    s.read(buf).await
}

/// How a failed connect is classified.
pub(crate) fn classify_connect_error(e: &std::io::Error) -> ConnectFailure {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => ConnectFailure::Refused,
        K::TimedOut => ConnectFailure::Timeout,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            ConnectFailure::Unreachable
        }
        _ => ConnectFailure::Other,
    }
}
