//! The client dialogue: connect, greeting, EHLO/HELO, STARTTLS, EHLO, MAIL, RCPT, RSET, QUIT.
//!
//! The session only talks and records: every read and write goes into the attempt's
//! [`Record`]; it decides what to send next from parsed replies only. Judging is left to the checks.

pub mod active;
pub mod message;
pub mod tls;

pub use crate::record::attempt::{
    Attempt, AttemptTarget, DataResult, EhloResult, Outcome, StageTime,
};
pub use crate::wire::timeouts as rfc_timeouts;

use crate::record::decision::{NotSent, TlsPolicyFailure};

use crate::config::{QuitAfter, StartTlsPolicy};
use crate::record::Peer;
use crate::record::Stage;
use crate::record::{ConnectFailure, EventKind, Record, ReplyRecord};
use crate::wire::command::Command;
use crate::wire::ehlo::Capabilities;
use crate::wire::reply::{ReplyAssembler, ReplyParser};
use rustls::pki_types::ServerName;
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tls::TlsInfo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

/// What the session needs to know.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Name sent in EHLO/HELO.
    pub helo: String,
    /// Reverse-path (empty for `<>`).
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// STARTTLS policy.
    pub starttls: StartTlsPolicy,
    /// Implicit TLS.
    pub tls_on_connect: bool,
    /// `--sni` override.
    pub sni: Option<String>,
    /// Trust anchors.
    pub roots: Arc<rustls::RootCertStore>,
    /// Last stage.
    pub quit_after: QuitAfter,
    /// `--timeout` cap.
    pub cap: Option<Duration>,
    /// Show live waiting notes on stderr.
    pub live: bool,
    /// Send a message with DATA.
    pub message: Option<crate::session::message::MessageSpec>,
    /// What a scan of `--body FILE` found (decided before MAIL).
    pub scan: Option<crate::session::message::Scan>,
}

impl SessionConfig {
    /// The wait for a stage: `--timeout` when given, else the stage's default (the RFC 5321
    /// minimum). A longer `--timeout` lets the probe see replies that come after the RFC
    /// minimum, which `timing-rfc-exceeded` then reports.
    pub fn wait(&self, default: Duration) -> Duration {
        self.cap.unwrap_or(default)
    }

    /// A short wait (where silence is an answer): `default` or `--timeout`, whichever is shorter.
    pub fn shorter(&self, default: Duration) -> Duration {
        self.cap.map_or(default, |c| c.min(default))
    }
}

enum Stream {
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
    /// The read failed (recorded; the connection is closed).
    Failed,
}

/// One recorded connection: every read and write lands in `record`.
pub(crate) struct Conn {
    stream: Stream,
    start: Instant,
    record: Record,
    parser: ReplyParser,
    assembler: ReplyAssembler,
    ready: VecDeque<ReplyRecord>,
    tls: bool,
    eof: bool,
    live: bool,
    label: String,
    buf: Vec<u8>,
}

const READ_BUF: usize = 16 * 1024;
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

    /// Whether the connection can still be used.
    pub(crate) fn is_open(&self) -> bool {
        !self.eof && !matches!(self.stream, Stream::Closed)
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
                    message: format!("write failed: {e}"),
                },
            );
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
    }

    /// Keeps an unterminated tail in the transcript without letting it complete a reply (used
    /// when a wait ends by its deadline or by a failed read, not by the server's close).
    fn record_partial_line(&mut self) {
        let now = self.now_us();
        self.record
            .absorb_partial(&mut self.parser, &self.assembler, now);
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
        let read = tokio::select! {
            r = timeout_at(limit.into(), read_some(&mut self.stream, &mut self.buf)) => r,
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
    async fn start_tls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
        wait: Duration,
    ) -> Result<rustls::ProtocolVersion, String> {
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
                return Err("connection is not in plaintext".into());
            }
        };
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut ticker = LiveNote::new(self.live, format!("TLS handshake with {}", self.label));
        let hs = connector.connect(name, tcp);
        tokio::pin!(hs);
        let deadline = Instant::now() + wait;
        let res = loop {
            tokio::select! {
                r = timeout_at(deadline.into(), &mut hs) => break r,
                _ = ticker.tick() => {}
            }
        };
        ticker.clear();
        let at = self.now_us();
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
                let message = e.to_string();
                self.record.push(
                    at,
                    EventKind::TlsHandshake {
                        ok: false,
                        message: message.clone(),
                    },
                );
                Err(message)
            }
            Err(_) => {
                self.record.push(
                    at,
                    EventKind::Timeout {
                        stage: Stage::Tls,
                        waited_ms: wait.as_millis() as u64,
                    },
                );
                Err(format!(
                    "no handshake within {}",
                    humantime::format_duration(wait)
                ))
            }
        }
    }

    fn tls_details(
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

async fn write_all<S: AsyncWrite + Unpin + ?Sized>(s: &mut S, bytes: &[u8]) -> std::io::Result<()> {
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

/// A live "waiting for ... 3s" note on stderr, only on a terminal, only after a second.
struct LiveNote {
    enabled: bool,
    what: String,
    started: Instant,
    shown: bool,
}

impl LiveNote {
    fn new(enabled: bool, what: String) -> LiveNote {
        LiveNote {
            enabled,
            what,
            started: Instant::now(),
            shown: false,
        }
    }

    /// Resolves once per second after the first second; never when disabled.
    async fn tick(&mut self) {
        if !self.enabled {
            std::future::pending::<()>().await;
        }
        let elapsed = self.started.elapsed();
        let next = Duration::from_secs(elapsed.as_secs() + 1);
        tokio::time::sleep(next - elapsed).await;
        let secs = self.started.elapsed().as_secs();
        eprint!("\r\x1b[2Kwaiting for {}… {secs}s", self.what);
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }
}

impl Drop for LiveNote {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Whether live notes should be shown (stderr is a terminal).
pub fn live_notes_wanted() -> bool {
    std::io::stderr().is_terminal()
}

fn classify_connect_error(e: &std::io::Error) -> ConnectFailure {
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

/// An attempt in progress: the connection and what it produced so far.
pub(crate) struct Run {
    /// The recorded connection.
    pub(crate) conn: Conn,
    /// The attempt being filled in.
    pub(crate) attempt: Attempt,
}

impl Run {
    /// Records how long a stage took, from `from_us` to now.
    pub(crate) fn stage_time(&mut self, stage: Stage, from_us: u64) {
        let ms = (self.conn.now_us().saturating_sub(from_us)) as f64 / 1000.0;
        self.attempt.stages.push(StageTime {
            stage,
            duration_ms: ms,
        });
    }

    /// Marks the attempt as ended at `stage`.
    pub(crate) fn fail(&mut self, outcome: Outcome, stage: Stage) {
        self.attempt.outcome = outcome;
        self.attempt.failed_stage = Some(stage);
    }

    /// Sends a command and waits for its reply; `None` when the dialogue cannot continue
    /// (the outcome is set).
    pub(crate) async fn command(
        &mut self,
        stage: Stage,
        cmd: &Command,
        wait: Duration,
    ) -> Option<usize> {
        let from = self.conn.now_us();
        if !self.conn.write(stage.clone(), &cmd.to_wire(), 1).await {
            self.fail(Outcome::IoError, stage);
            return None;
        }
        let what = format!("reply to {}", verb(cmd));
        let r = self.await_reply(stage.clone(), wait, &what).await;
        if r.is_some() {
            self.stage_time(stage, from);
        }
        r
    }

    /// Waits for a reply with a valid code; `None` when the dialogue cannot continue (the
    /// outcome is set).
    pub(crate) async fn await_reply(
        &mut self,
        stage: Stage,
        wait: Duration,
        what: &str,
    ) -> Option<usize> {
        match self.conn.reply(stage.clone(), wait, what).await {
            Wait::Reply(i) => {
                if self.conn.record.replies[i].code.is_none() {
                    self.fail(Outcome::BadReply, stage);
                    return None;
                }
                Some(i)
            }
            Wait::Timeout => {
                self.fail(Outcome::Timeout, stage);
                None
            }
            Wait::Closed => {
                self.fail(Outcome::Closed, stage);
                None
            }
            Wait::Failed => {
                self.fail(Outcome::IoError, stage);
                None
            }
        }
    }

    /// The code of a reply (0 when it had none).
    pub(crate) fn code(&self, reply: usize) -> u16 {
        self.conn.record.replies[reply].code.unwrap_or(0)
    }

    /// Says goodbye: RSET (after an envelope) and QUIT while the connection is usable.
    pub(crate) async fn quit(&mut self, rset: bool, cfg: &SessionConfig) {
        if !self.conn.is_open() {
            return;
        }
        let pipelining = self
            .attempt
            .ehlo
            .as_ref()
            .is_some_and(|e| e.caps().has("PIPELINING"));
        let mut from = self.conn.now_us();
        if rset && pipelining {
            // RFC 2920 §3.1: RSET and QUIT may go as one group, QUIT last: one round trip.
            let group = [Command::Rset.to_wire(), Command::Quit.to_wire()].concat();
            self.attempt.quit_sent = true;
            if !self.conn.write(Stage::Quit, &group, 2).await {
                return;
            }
            let w = cfg.wait(rfc_timeouts::OTHER);
            if !matches!(
                self.conn.reply(Stage::Quit, w, "reply to RSET").await,
                Wait::Reply(_)
            ) {
                return;
            }
            self.stage_time(Stage::Quit, from);
        } else {
            if rset {
                let w = cfg.wait(rfc_timeouts::OTHER);
                if self.command(Stage::Quit, &Command::Rset, w).await.is_none() {
                    return;
                }
            }
            self.attempt.quit_sent = true;
            from = self.conn.now_us();
            if !self
                .conn
                .write(Stage::Quit, &Command::Quit.to_wire(), 1)
                .await
            {
                return;
            }
        }
        let w = cfg.wait(rfc_timeouts::QUIT);
        if let Wait::Reply(i) = self.conn.reply(Stage::Quit, w, "reply to QUIT").await {
            self.attempt.quit_reply = Some(i);
            self.stage_time(Stage::Quit, from);
        }
        if let Stream::Tls(s) = &mut self.conn.stream {
            let _ = tokio::time::timeout(Duration::from_millis(200), s.shutdown()).await;
        }
    }

    /// EHLO, with the HELO fallback.
    pub(crate) async fn ehlo(&mut self, cfg: &SessionConfig) -> Option<EhloResult> {
        let w = cfg.wait(rfc_timeouts::OTHER);
        let r = self
            .command(Stage::Ehlo, &Command::Ehlo(cfg.helo.clone()), w)
            .await?;
        let code = self.code(r);
        if (200..300).contains(&code) {
            return Some(self.ehlo_result("EHLO", r));
        }
        if code == 421 {
            self.fail(Outcome::Refused, Stage::Ehlo);
            return None;
        }
        // EHLO refused: fall back to HELO (RFC 5321 §4.1.1.1, §3.2).
        self.attempt.ehlo_refused = Some(r);
        let r = self
            .command(Stage::Ehlo, &Command::Helo(cfg.helo.clone()), w)
            .await?;
        if (200..300).contains(&self.code(r)) {
            Some(self.ehlo_result("HELO", r))
        } else {
            self.fail(Outcome::Refused, Stage::Ehlo);
            None
        }
    }

    /// The EHLO/HELO result described by a reply.
    pub(crate) fn ehlo_result(&self, verb: &'static str, reply: usize) -> EhloResult {
        let rec = &self.conn.record;
        let texts: Vec<String> = rec
            .reply_lines(&rec.replies[reply])
            .iter()
            .map(|l| l.text())
            .collect();
        let caps = Capabilities::parse(texts.iter().map(String::as_str));
        EhloResult {
            verb,
            server_name: caps.server_name,
            capabilities: if verb == "EHLO" {
                caps.capabilities
            } else {
                vec![]
            },
            reply,
            tls: self.conn.tls,
        }
    }

    /// The TLS handshake (after STARTTLS or on connect), with the certificate recorded.
    pub(crate) async fn handshake(&mut self, cfg: &SessionConfig) -> bool {
        let sni = cfg
            .sni
            .clone()
            .unwrap_or_else(|| self.attempt.target.host.clone());
        let name = match ServerName::try_from(sni.clone()) {
            Ok(n) => n,
            Err(_) => match ServerName::try_from(self.attempt.target.addr.ip().to_string()) {
                Ok(n) => n,
                Err(_) => {
                    self.fail(Outcome::TlsFailed, Stage::Tls);
                    return false;
                }
            },
        };
        let sent_sni = matches!(name, ServerName::DnsName(_)).then(|| sni.clone());
        let (config, observed) = tls::client_config(cfg.roots.clone());
        let from = self.conn.now_us();
        let w = cfg.wait(rfc_timeouts::TLS_HANDSHAKE);
        match self.conn.start_tls(config, name, w).await {
            Ok(_) => {
                self.stage_time(Stage::Tls, from);
                self.attempt.tls = self.conn.tls_details(&observed, sent_sni);
                let v = self.attempt.tls.as_ref().map(|t| t.verification.clone());
                if cfg.starttls == StartTlsPolicy::Require
                    && let Some(v) = v
                    && !(v.trusted && v.name_ok && v.time_ok)
                {
                    self.policy_unmet(
                        Stage::Tls,
                        TlsPolicyFailure::CertificateNotVerified { errors: v.errors },
                    );
                    return false;
                }
                true
            }
            Err(e) => {
                if cfg.starttls == StartTlsPolicy::Require {
                    self.policy_unmet(
                        Stage::Tls,
                        TlsPolicyFailure::HandshakeFailed {
                            error: e.to_string(),
                        },
                    );
                }
                // A failed handshake is a TLS failure first; the policy event says what it meant.
                self.fail(Outcome::TlsFailed, Stage::Tls);
                false
            }
        }
    }

    async fn dialogue(&mut self, cfg: &SessionConfig) {
        if cfg.tls_on_connect && !self.handshake(cfg).await {
            return;
        }
        if cfg.quit_after == QuitAfter::Connect {
            self.attempt.outcome = Outcome::Completed;
            return;
        }
        // Greeting.
        let from = self.conn.now_us();
        let w = cfg.wait(rfc_timeouts::GREETING);
        let Some(g) = self.await_reply(Stage::Greeting, w, "greeting").await else {
            return;
        };
        self.stage_time(Stage::Greeting, from);
        let code = self.code(g);
        if !(200..300).contains(&code) {
            self.fail(Outcome::Refused, Stage::Greeting);
            if code != 421 {
                self.quit(false, cfg).await;
            }
            return;
        }
        if cfg.quit_after == QuitAfter::Greeting {
            self.attempt.outcome = Outcome::Completed;
            self.quit(false, cfg).await;
            return;
        }
        // EHLO, HELO fallback.
        let Some(e) = self.ehlo(cfg).await else {
            return;
        };
        let starttls_offered = e.caps().has("STARTTLS");
        self.attempt.ehlo = Some(e);
        if cfg.quit_after == QuitAfter::Ehlo {
            self.attempt.outcome = Outcome::Completed;
            self.quit(false, cfg).await;
            return;
        }
        // STARTTLS.
        if !cfg.tls_on_connect && cfg.starttls != StartTlsPolicy::Never {
            if starttls_offered {
                let w = cfg.wait(rfc_timeouts::OTHER);
                let Some(r) = self.command(Stage::Starttls, &Command::StartTls, w).await else {
                    return;
                };
                let code = self.code(r);
                if code == 220 {
                    if !self.handshake(cfg).await {
                        return;
                    }
                    let Some(e2) = self.ehlo(cfg).await else {
                        return;
                    };
                    self.attempt.ehlo_plain = self.attempt.ehlo.replace(e2);
                } else if cfg.starttls == StartTlsPolicy::Require || code == 421 {
                    if cfg.starttls == StartTlsPolicy::Require {
                        self.policy_unmet(Stage::Starttls, TlsPolicyFailure::Refused { code });
                    } else {
                        self.fail(Outcome::Refused, Stage::Starttls);
                    }
                    self.quit(false, cfg).await;
                    return;
                }
            } else if cfg.starttls == StartTlsPolicy::Require {
                self.policy_unmet(Stage::Starttls, TlsPolicyFailure::NotAdvertised);
                self.quit(false, cfg).await;
                return;
            }
        }
        if cfg.quit_after == QuitAfter::Tls {
            self.attempt.outcome = Outcome::Completed;
            self.quit(false, cfg).await;
            return;
        }
        // MAIL, with SIZE= and BODY= when a message will follow.
        let params = match self.mail_params(cfg) {
            Ok(p) => p,
            Err(reason) => {
                self.not_sent(reason);
                self.fail(Outcome::Refused, Stage::Data);
                self.quit(false, cfg).await;
                return;
            }
        };
        let mail = Command::Mail {
            from: cfg.from.clone(),
            params,
        };

        let Some(m) = self
            .command(Stage::Mail, &mail, cfg.wait(rfc_timeouts::MAIL))
            .await
        else {
            return;
        };
        if !(200..300).contains(&self.code(m)) {
            self.fail(Outcome::Refused, Stage::Mail);
            self.quit(false, cfg).await;
            return;
        }
        if cfg.quit_after == QuitAfter::Mail {
            self.attempt.outcome = Outcome::Completed;
            self.quit(true, cfg).await;
            return;
        }
        // RCPT, each recipient.
        let mut accepted = 0;
        for to in &cfg.to {
            let w = cfg.wait(rfc_timeouts::RCPT);
            let Some(r) = self
                .command(Stage::Rcpt, &Command::Rcpt(to.clone()), w)
                .await
            else {
                return;
            };
            let code = self.code(r);
            if code == 421 {
                self.fail(Outcome::Refused, Stage::Rcpt);
                return;
            }
            accepted += usize::from((200..300).contains(&code));
        }
        let Some(spec) = &cfg.message else {
            self.attempt.outcome = Outcome::Completed;
            self.quit(true, cfg).await;
            return;
        };
        if accepted == 0 {
            self.not_sent(NotSent::NoRecipientAccepted);
            self.fail(Outcome::Refused, Stage::Rcpt);
            self.quit(true, cfg).await;
            return;
        }
        if self.send_data(spec, cfg).await {
            self.attempt.outcome = Outcome::Completed;
            self.quit(false, cfg).await;
        }
    }

    /// Records that the message was not sent, and why.
    pub(crate) fn not_sent(&mut self, reason: NotSent) {
        let at = self.conn.now_us();
        self.conn
            .record
            .push(at, EventKind::MessageNotSent { reason });
    }

    /// Records that `--starttls require` could not be met at `stage`; the dialogue stops.
    pub(crate) fn policy_unmet(&mut self, stage: Stage, failure: TlsPolicyFailure) {
        let at = self.conn.now_us();
        self.conn.record.push(
            at,
            EventKind::TlsPolicyUnmet {
                stage: stage.clone(),
                failure,
            },
        );
        self.fail(Outcome::PolicyFailed, stage);
    }

    /// Adds a local note to the transcript.
    pub(crate) fn note(&mut self, stage: Stage, message: String) {
        let at = self.conn.now_us();
        self.conn
            .record
            .push(at, EventKind::Note { stage, message });
    }

    /// Decides before MAIL whether the message may be sent, and with which MAIL parameters.
    fn mail_params(&mut self, cfg: &SessionConfig) -> Result<Vec<String>, NotSent> {
        use crate::session::message::MessageSpec;
        let Some(spec) = &cfg.message else {
            return Ok(vec![]);
        };
        let caps = self
            .attempt
            .ehlo
            .as_ref()
            .map(EhloResult::caps)
            .unwrap_or_default();
        let known_size = match spec {
            MessageSpec::Size(n) => Some(*n),
            MessageSpec::File(_) => cfg.scan.map(|s| s.canonical_len),
            _ => None,
        };
        if let (Some(Some(limit)), Some(size)) = (caps.size(), known_size)
            && limit > 0
            && size > limit
        {
            return Err(NotSent::OverSizeLimit { size, limit });
        }
        if let Some(scan) = cfg.scan {
            if scan.longest_line > crate::session::message::MAX_LINE {
                return Err(NotSent::LineTooLong {
                    octets: scan.longest_line,
                    aborted: false,
                });
            }
            if scan.eight_bit && !caps.has("8BITMIME") {
                return Err(NotSent::EightBitWithout8BitMime { aborted: false });
            }
        }
        let mut params = vec![];
        if caps.size().is_some()
            && let Some(size) = known_size
        {
            params.push(format!("SIZE={size}"));
        }
        let eight_bit = match spec {
            MessageSpec::Stdin => true,
            _ => cfg.scan.is_some_and(|s| s.eight_bit),
        };
        if eight_bit && caps.has("8BITMIME") {
            params.push("BODY=8BITMIME".into());
        }
        Ok(params)
    }

    /// DATA, the streamed content and the final dot. Returns whether the dialogue got through.
    /// What happened is in the record; [`DataResult::from_record`] reads it from there.
    async fn send_data(
        &mut self,
        spec: &crate::session::message::MessageSpec,
        cfg: &SessionConfig,
    ) -> bool {
        use crate::session::message::Source;
        let Some(r) = self
            .command(
                Stage::Data,
                &Command::Data,
                cfg.wait(rfc_timeouts::DATA_INIT),
            )
            .await
        else {
            return false;
        };
        if self.code(r) != 354 {
            self.fail(Outcome::Refused, Stage::Data);
            self.quit(true, cfg).await;
            return false;
        }
        let mut source = match Source::open(spec, &cfg.from, &cfg.to, &cfg.helo).await {
            Ok(s) => s,
            Err(e) => {
                self.not_sent(NotSent::Unreadable {
                    error: e.to_string(),
                    aborted: false,
                });
                self.fail(Outcome::IoError, Stage::Data);
                return false;
            }
        };
        let mut stuffer = crate::wire::stuff::DotStuffer::new();
        match self.stream_content(&mut source, &mut stuffer, cfg).await {
            Streamed::Complete => {}
            Streamed::NotSent(reason) => {
                // Abort without the final dot: the server must discard the partial message.
                self.not_sent(reason);
                self.fail(Outcome::Refused, Stage::Data);
                self.conn.stream = Stream::Closed;
                return false;
            }
            Streamed::Failed(outcome) => {
                self.fail(outcome, Stage::Data);
                return false;
            }
        }
        self.final_dot(stuffer, cfg).await
    }

    /// Streams the content in chunks, dot-stuffed, keeping the first bytes in the record and
    /// a [`EventKind::DataSent`] summary at the end.
    async fn stream_content(
        &mut self,
        source: &mut crate::session::message::Source,
        stuffer: &mut crate::wire::stuff::DotStuffer,
        cfg: &SessionConfig,
    ) -> Streamed {
        use crate::session::message::{CHUNK, MAX_LINE};
        const KEEP: usize = 4096;
        let caps = self
            .attempt
            .ehlo
            .as_ref()
            .map(EhloResult::caps)
            .unwrap_or_default();
        let eight_bit_ok = caps.has("8BITMIME");
        let mut input = Vec::with_capacity(CHUNK);
        let mut wire = Vec::with_capacity(CHUNK * 2);
        let block_wait = cfg.wait(rfc_timeouts::DATA_BLOCK);
        let started = self.conn.now_us();
        let (mut kept, mut slowest, mut sent) = (0usize, 0u64, 0u64);
        let summary = |run: &mut Run, sent: u64, slowest: u64, content: u64| {
            let at = run.conn.now_us();
            run.conn.record.push(
                at,
                EventKind::DataSent {
                    bytes: sent,
                    content_bytes: content,
                    elapsed_us: at.saturating_sub(started),
                    slowest_write_us: slowest,
                },
            );
        };
        loop {
            if let Err(e) = source.next(&mut input).await {
                summary(self, sent, slowest, stuffer.input_bytes);
                return Streamed::NotSent(NotSent::Unreadable {
                    error: e.to_string(),
                    aborted: true,
                });
            }
            if input.is_empty() {
                summary(self, sent, slowest, stuffer.input_bytes);
                return Streamed::Complete;
            }
            wire.clear();
            stuffer.push(&input, &mut wire);
            if stuffer.longest_line > MAX_LINE || (stuffer.eight_bit && !eight_bit_ok) {
                summary(self, sent, slowest, stuffer.input_bytes);
                return Streamed::NotSent(if stuffer.longest_line > MAX_LINE {
                    NotSent::LineTooLong {
                        octets: stuffer.longest_line,
                        aborted: true,
                    }
                } else {
                    NotSent::EightBitWithout8BitMime { aborted: true }
                });
            }
            if kept < KEEP {
                let take = (KEEP - kept).min(wire.len());
                let at = self.conn.now_us();
                self.conn.record.push(
                    at,
                    EventKind::Write {
                        from: Peer::Client,
                        expects: 0,
                        tls: self.conn.tls,
                        stage: Stage::Data,
                        bytes: wire[..take].to_vec(),
                    },
                );
                kept += take;
            }
            let t0 = Instant::now();
            let res = match &mut self.conn.stream {
                Stream::Plain(s) => tokio::time::timeout(block_wait, write_all(s, &wire)).await,
                Stream::Tls(s) => {
                    tokio::time::timeout(block_wait, write_all(s.as_mut(), &wire)).await
                }
                Stream::Closed => Ok(Err(std::io::Error::from(std::io::ErrorKind::NotConnected))),
            };
            slowest = slowest.max(t0.elapsed().as_micros() as u64);
            sent += wire.len() as u64;
            let failure = match res {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => EventKind::IoError {
                    stage: Stage::Data,
                    message: format!("write failed during the message: {e}"),
                },
                Err(_) => EventKind::Timeout {
                    stage: Stage::Data,
                    waited_ms: block_wait.as_millis() as u64,
                },
            };
            let timed_out = matches!(failure, EventKind::Timeout { .. });
            let at = self.conn.now_us();
            self.conn.record.push(at, failure);
            summary(self, sent, slowest, stuffer.input_bytes);
            if timed_out {
                return Streamed::Failed(Outcome::Timeout);
            }
            // The server may have said why before closing.
            let _ = self
                .conn
                .reply(Stage::Data, Duration::from_secs(1), "reply")
                .await;
            return Streamed::Failed(Outcome::IoError);
        }
    }

    /// The final dot, `\r\n.\r\n` in one write, and the wait for its reply.
    async fn final_dot(
        &mut self,
        mut stuffer: crate::wire::stuff::DotStuffer,
        cfg: &SessionConfig,
    ) -> bool {
        let mut wire = Vec::with_capacity(5);
        stuffer.finish(&mut wire);
        let dot_at = self.conn.now_us();
        if !self.conn.write(Stage::Data, &wire, 1).await {
            self.fail(Outcome::IoError, Stage::Data);
            return false;
        }
        let reply = self
            .await_reply(
                Stage::Data,
                cfg.wait(rfc_timeouts::DATA_END),
                "reply to the final dot",
            )
            .await;
        if reply.is_some() {
            self.stage_time(Stage::Data, dot_at);
        }
        reply.is_some()
    }
}

/// How streaming the content ended.
enum Streamed {
    /// Every chunk was written; the final dot may follow.
    Complete,
    /// The content may not be sent (found while streaming); no final dot.
    NotSent(NotSent),
    /// A write failed or stalled.
    Failed(Outcome),
}

fn verb(cmd: &Command) -> &'static str {
    match cmd {
        Command::Ehlo(_) => "EHLO",
        Command::Helo(_) => "HELO",
        Command::StartTls => "STARTTLS",
        Command::Mail { .. } => "MAIL",
        Command::Rcpt(_) => "RCPT",
        Command::Data => "DATA",
        Command::Rset => "RSET",
        Command::Noop => "NOOP",
        Command::Quit => "QUIT",
    }
}

/// Runs one attempt against one address.
pub async fn run(target: AttemptTarget, cfg: &SessionConfig) -> Attempt {
    run_with_budget(target, cfg, crate::record::Budget::default()).await
}

/// Runs one attempt that may keep what `budget` allows (what earlier attempts left).
pub async fn run_with_budget(
    target: AttemptTarget,
    cfg: &SessionConfig,
    budget: crate::record::Budget,
) -> Attempt {
    match open(target, cfg, None, budget).await {
        Ok(mut run) => {
            run.dialogue(cfg).await;
            run.finish()
        }
        Err(failed) => failed,
    }
}

/// Connects to `target` and returns the attempt in progress, or the finished attempt when the
/// connect failed. `test` labels an active test's attempt; `budget` bounds what it keeps.
pub(crate) async fn open(
    target: AttemptTarget,
    cfg: &SessionConfig,
    test: Option<&'static str>,
    budget: crate::record::Budget,
) -> Result<Run, Attempt> {
    let start = Instant::now();
    let mut record = Record::with_budget(budget);
    record.push(0, EventKind::Connecting { addr: target.addr });
    let label = format!(
        "{} [{}]",
        crate::wire::escape::escape_str(&target.host),
        target.addr.ip()
    );
    let mut attempt = Attempt {
        target: target.clone(),
        record: Record::default(),
        ehlo: None,
        ehlo_plain: None,
        ehlo_refused: None,
        tls: None,
        stages: vec![],
        outcome: Outcome::Completed,
        failed_stage: None,
        ptr: None,
        duration_ms: 0.0,
        quit_sent: false,
        quit_reply: None,
        data: None,
        test,
        plaintext_retry_of: None,
    };
    let wait = cfg.wait(rfc_timeouts::CONNECT);
    let mut note = LiveNote::new(cfg.live, format!("TCP connect to {label}"));
    let connect = TcpStream::connect(target.addr);
    tokio::pin!(connect);
    let deadline = Instant::now() + wait;
    let res = loop {
        tokio::select! {
            r = timeout_at(deadline.into(), &mut connect) => break r,
            _ = note.tick() => {}
        }
    };
    note.clear();
    let at = start.elapsed().as_micros() as u64;
    let stream = match res {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            record.push(
                at,
                EventKind::Connected {
                    local: s.local_addr().ok(),
                },
            );
            attempt.stages.push(StageTime {
                stage: Stage::Connect,
                duration_ms: at as f64 / 1000.0,
            });
            s
        }
        Ok(Err(e)) => {
            record.push(
                at,
                EventKind::ConnectFailed {
                    failure: classify_connect_error(&e),
                    message: e.to_string(),
                },
            );
            attempt.record = record;
            attempt.outcome = Outcome::ConnectFailed;
            attempt.failed_stage = Some(Stage::Connect);
            attempt.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            return Err(attempt);
        }
        Err(_) => {
            record.push(
                at,
                EventKind::ConnectFailed {
                    failure: ConnectFailure::Timeout,
                    message: format!("no answer within {}", humantime::format_duration(wait)),
                },
            );
            attempt.record = record;
            attempt.outcome = Outcome::ConnectFailed;
            attempt.failed_stage = Some(Stage::Connect);
            attempt.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            return Err(attempt);
        }
    };
    let conn = Conn {
        stream: Stream::Plain(stream),
        start,
        record,
        parser: ReplyParser::new(),
        assembler: ReplyAssembler::new(),
        ready: VecDeque::new(),
        tls: false,
        eof: false,
        live: cfg.live,
        label,
        buf: vec![0; READ_BUF],
    };
    Ok(Run { conn, attempt })
}

impl Run {
    /// Ends the attempt: moves the record in and stamps the total time.
    pub(crate) fn finish(mut self) -> Attempt {
        // Replies that arrived but were never taken.
        self.conn.record.replies.extend(self.conn.ready.drain(..));
        self.conn.record.mark_unsolicited();
        let mut attempt = self.attempt;
        attempt.record = self.conn.record;
        if attempt.test.is_none() {
            attempt.data = DataResult::from_record(&attempt.record);
        }
        attempt.duration_ms = self.conn.start.elapsed().as_secs_f64() * 1000.0;
        attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::reply::{MAX_REPLY_LINES, Terminator};
    use tokio::io::AsyncWriteExt;

    fn config(cap: Duration) -> SessionConfig {
        SessionConfig {
            helo: "probe.test".into(),
            from: String::new(),
            to: vec!["postmaster@test".into()],
            starttls: StartTlsPolicy::Auto,
            tls_on_connect: false,
            sni: None,
            roots: Arc::new(rustls::RootCertStore::empty()),
            quit_after: QuitAfter::Rcpt,
            cap: Some(cap),
            live: false,
            message: None,
            scan: None,
        }
    }

    /// Serves one connection: writes `bytes`, then holds the connection open for a while.
    async fn server(bytes: &'static [u8]) -> std::net::SocketAddr {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            s.write_all(bytes).await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        addr
    }

    fn target(addr: std::net::SocketAddr) -> AttemptTarget {
        AttemptTarget {
            host: "127.0.0.1".into(),
            addr,
            preference: None,
        }
    }

    /// The record is the whole truth: replaying a live attempt's events gives the same
    /// replies (unsolicited ones included), the same DATA facts and the same findings.
    #[tokio::test]
    async fn a_replayed_record_judges_as_the_live_one() {
        use crate::session::message::MessageSpec;
        let cases = [
            ("unsolicited", None, vec!["reply-unsolicited"]),
            ("clean", Some(MessageSpec::Test), vec![]),
            (
                "size-limit",
                Some(MessageSpec::Size(200_000)),
                vec!["data-not-sent"],
            ),
        ];
        for (name, message, expected) in cases {
            let (addr, server) = crate::server::spawn(crate::server::find(name).unwrap())
                .await
                .unwrap();
            let mut cfg = config(Duration::from_secs(10));
            cfg.starttls = StartTlsPolicy::Never;
            cfg.to = vec![format!("postmaster@{}", crate::server::DOMAIN)];
            cfg.message = message;
            let live = run(target(addr), &cfg).await;
            server.abort();
            let ctx = crate::checks::CheckContext::default();
            let ids = |a: &Attempt| {
                let mut v: Vec<_> = crate::checks::attempt(a, 0, &ctx)
                    .iter()
                    .map(|f| f.id)
                    .collect();
                v.sort();
                v
            };
            let mut replayed = live.clone();
            replayed.record = Record::replay(live.record.events.clone());
            replayed.data = DataResult::from_record(&replayed.record);
            let facts = |a: &Attempt| {
                a.record
                    .replies
                    .iter()
                    .map(|r| (r.stage.clone(), r.code, r.unsolicited))
                    .collect::<Vec<_>>()
            };
            assert_eq!(facts(&live), facts(&replayed), "{name}: replies");
            let data = |a: &Attempt| {
                a.data.as_ref().map(|d| {
                    (
                        d.bytes_sent,
                        d.dot_code,
                        d.queue_id.clone(),
                        d.not_sent.clone(),
                    )
                })
            };
            assert_eq!(data(&live), data(&replayed), "{name}: DATA facts");
            assert_eq!(ids(&live), expected, "{name}: live findings");
            assert_eq!(ids(&replayed), expected, "{name}: replayed findings");
        }
    }

    /// Regression: a line still arriving when the deadline came used to be taken as a reply
    /// (`220 sl` became a greeting), so a slow server made every later wait run its full time.
    #[tokio::test]
    async fn a_partial_line_at_the_deadline_is_no_reply() {
        let addr = server(b"220 sl").await;
        let started = Instant::now();
        let a = run(target(addr), &config(Duration::from_millis(300))).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(a.outcome, Outcome::Timeout);
        assert_eq!(a.failed_stage, Some(Stage::Greeting));
        assert!(a.record.replies.is_empty(), "no reply was complete");
        let line = a
            .record
            .server_lines
            .last()
            .expect("the partial line is kept");
        assert_eq!(line.content, b"220 sl");
        assert_eq!(line.terminator, Terminator::Unterminated);
    }

    /// Regression: a reply of more than MAX_REPLY_LINES lines lost its last line, so the reply's
    /// text (the greeting's domain, the queue id after the dot) was read from a continuation line.
    #[tokio::test]
    async fn a_long_reply_keeps_its_last_line() {
        let mut wire = b"220-x\r\n".repeat(MAX_REPLY_LINES + 500);
        wire.extend_from_slice(b"220 mx.test final words\r\n");
        let addr = server(wire.leak()).await;
        let mut cfg = config(Duration::from_millis(500));
        cfg.quit_after = QuitAfter::Greeting;
        let a = run(target(addr), &cfg).await;
        let g = &a.record.replies[0];
        assert_eq!(g.code, Some(220));
        let lines = a.record.reply_lines(g);
        assert_eq!(lines.len(), MAX_REPLY_LINES);
        assert_eq!(lines.last().unwrap().text(), "mx.test final words");
        assert_eq!(g.dropped_lines, 501);
        assert_eq!(a.record.dropped_reply_lines, 501);
    }

    /// A CR that waits in vain for its LF still ends its line, and that line may be a reply.
    #[tokio::test]
    async fn a_settled_cr_at_the_deadline_completes_the_reply() {
        let addr = server(b"220 mx.test ESMTP\r").await;
        let a = run(target(addr), &config(Duration::from_millis(300))).await;
        let first = a.record.replies.first().expect("the greeting counts");
        assert_eq!(first.code, Some(220));
        assert_eq!(a.record.server_lines[0].terminator, Terminator::BareCr);
    }
}
