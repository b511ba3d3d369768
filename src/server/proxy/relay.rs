//! One relayed connection: every read from one side is written to the other unchanged, with bounded buffers, bounded waits and both sides in one record.
//!
//! One task drives both directions with a single poll function, so that neither direction
//! waits for the other and a side is not read while the bytes read from it are still being
//! written (back-pressure; at most [`BUF`] bytes per direction are held). Client bytes go
//! through the record's request parser, server bytes through the reply parser; the relay only
//! follows the dialogue to attribute replies to commands, to notice STARTTLS and AUTH, and
//! never changes a byte.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Sleep, sleep, timeout};

use super::tls::{cipher_name, version_name};
use super::{IDLE_MAX, ProxyOptions, ProxyRecord, TlsMode};
use crate::record::attempt::Outcome;
use crate::record::tls::TlsInfo;
use crate::record::{
    Budget, ClientHandshake, ConnectFailure, EventKind, Peer, Record, ReplyRecord, Stage,
};
use crate::server::RecentMessages;
use crate::server::handshake::accept;
use crate::wire::reply::{ReplyAssembler, ReplyParser};
use crate::wire::request::{ClientLine, Verb};

/// Bytes held per direction.
pub(super) const BUF: usize = 64 * 1024;
/// Client bytes the request parser may hold while a DATA reply is awaited.
const HOLD_MAX: usize = 64 * 1024;
/// Time allowed for each TLS handshake.
const HANDSHAKE_MAX: Duration = Duration::from_secs(60);
/// After one side closed and its bytes were delivered: how long the other may take to close.
const DRAIN: Duration = Duration::from_secs(5);
/// TLS reads described one by one in passthrough mode; later ones are summed up.
const TLS_NOTES: usize = 32;

/// One side's connection.
enum Link {
    Plain(TcpStream),
    Accepted(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Connected(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Gone,
}

impl Link {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self {
            Link::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Link::Accepted(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Link::Connected(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Link::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Link::Plain(s) => Pin::new(s).poll_write(cx, b),
            Link::Accepted(s) => Pin::new(s.as_mut()).poll_write(cx, b),
            Link::Connected(s) => Pin::new(s.as_mut()).poll_write(cx, b),
            Link::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Link::Plain(s) => Pin::new(s).poll_flush(cx),
            Link::Accepted(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Link::Connected(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Link::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Link::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Link::Accepted(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Link::Connected(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Link::Gone => Poll::Ready(Ok(())),
        }
    }

    fn take_plain(&mut self) -> Option<TcpStream> {
        match std::mem::replace(self, Link::Gone) {
            Link::Plain(s) => Some(s),
            other => {
                *self = other;
                None
            }
        }
    }
}

/// One direction: the bytes read from one side, being written to the other.
struct Pipe {
    buf: Box<[u8]>,
    len: usize,
    pos: usize,
    /// The source closed.
    eof: bool,
    /// The destination's sending side was shut down after the source closed.
    shut: bool,
}

impl Pipe {
    fn new() -> Pipe {
        Pipe {
            buf: vec![0; BUF].into_boxed_slice(),
            len: 0,
            pos: 0,
            eof: false,
            shut: false,
        }
    }

    fn idle(&self) -> bool {
        self.len == 0
    }

    /// Delivered all it read and passed the close on.
    fn done(&self) -> bool {
        self.eof && self.shut && self.len == 0
    }
}

/// What one poll of both directions brought.
enum Step {
    ClientRead(io::Result<usize>),
    ServerRead(io::Result<usize>),
    /// Bytes written to `to`, `None` once the buffer was flushed.
    Wrote(Peer, io::Result<Option<usize>>),
    Shut(Peer, io::Result<()>),
    Idle,
}

/// Polls one direction: read from `src` when its pipe is empty, else write into `dst`.
fn poll_pipe(
    cx: &mut Context<'_>,
    src: &mut Link,
    dst: &mut Link,
    pipe: &mut Pipe,
    may_read: bool,
    to: Peer,
) -> Option<Step> {
    if pipe.idle() {
        if pipe.eof {
            if !pipe.shut
                && let Poll::Ready(r) = dst.poll_shutdown(cx)
            {
                return Some(Step::Shut(to, r));
            }
            return None;
        }
        if !may_read {
            return None;
        }
        let mut rb = ReadBuf::new(&mut pipe.buf);
        if let Poll::Ready(r) = src.poll_read(cx, &mut rb) {
            let n = rb.filled().len();
            let r = r.map(|()| n);
            return Some(match to {
                Peer::Server => Step::ClientRead(r),
                Peer::Client => Step::ServerRead(r),
            });
        }
        return None;
    }
    if pipe.pos < pipe.len {
        if let Poll::Ready(r) = dst.poll_write(cx, &pipe.buf[pipe.pos..pipe.len]) {
            return Some(Step::Wrote(to, r.map(Some)));
        }
    } else if let Poll::Ready(r) = dst.poll_flush(cx) {
        return Some(Step::Wrote(to, r.map(|()| None)));
    }
    None
}

/// A reply the client awaits: the command's stage and verb, its event, since when.
struct Due {
    stage: Stage,
    verb: Option<Verb>,
    event: Option<usize>,
    since_us: u64,
    /// The message (index in the record's messages) whose final dot this reply answers.
    message: Option<usize>,
}

/// What the relay follows of the dialogue.
struct Session {
    start: Instant,
    rec: Record,
    parser: ReplyParser,
    assembler: ReplyAssembler,
    replies: Vec<ReplyRecord>,
    due: VecDeque<Due>,
    client_reads: Vec<(usize, Stage, u16)>,
    opaque: Vec<usize>,
    tls: bool,
    /// TLS bytes relayed opaquely from here on.
    passthrough: bool,
    /// A STARTTLS 220 was read: TLS begins once it has reached the client.
    upgrade: bool,
    /// DATA was taken; the client's next lines wait for its reply.
    data_pending: bool,
    redacting: bool,
    tls_notes: usize,
    tls_rest: (u64, u64),
    client_handshake: Option<usize>,
    upstream_handshake: Option<usize>,
    upstream_tls: Option<TlsInfo>,
    outcome: Outcome,
    failed_stage: Option<Stage>,
    /// The upstream address connected to (or being tried).
    upstream: std::net::SocketAddr,
    /// This connection's number in the run, and the run's recent messages (duplicates).
    n: u64,
    recent: Arc<Mutex<RecentMessages>>,
}

/// The stage of a relayed command (SPEC §5 names); NOOP, AUTH and the like count as `ehlo`.
fn stage_of(verb: Verb) -> Stage {
    Stage::of_verb(verb).unwrap_or(Stage::Ehlo)
}

impl Session {
    fn now(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn note(&mut self, stage: Stage, message: String) {
        let at = self.now();
        self.rec.push(at, EventKind::Note { stage, message });
    }

    /// An opaque TLS read of `from` (passthrough): recorded, not parsed.
    fn opaque_read(&mut self, from: Peer, data: &[u8]) {
        let at = self.now();
        let idx = self.rec.push_read(at, true, data);
        if let Some(e) = self.rec.events.get_mut(idx)
            && let EventKind::Read { from: f, .. } = &mut e.kind
        {
            *f = from;
        }
        if self.opaque.last() != Some(&idx) {
            self.opaque.push(idx);
        }
        if self.tls_notes < TLS_NOTES {
            self.tls_notes += 1;
            let (a, b) = match from {
                Peer::Client => ("client", "server"),
                Peer::Server => ("server", "client"),
            };
            self.note(
                Stage::Tls,
                format!("{a} → {b}: {} bytes of TLS (not visible)", data.len()),
            );
        } else {
            self.tls_rest.0 += 1;
            self.tls_rest.1 += data.len() as u64;
        }
    }

    fn client_read(&mut self, data: &[u8]) {
        if self.passthrough {
            return self.opaque_read(Peer::Client, data);
        }
        let at = self.now();
        self.rec.push_client_read(at, self.tls, data);
        self.take_client_lines(false);
    }

    /// Takes the complete client lines; each awaits a reply. While DATA's reply is due the
    /// lines wait in the parser (up to [`HOLD_MAX`] bytes), so the message is cut as one.
    fn take_client_lines(&mut self, force: bool) {
        loop {
            if self.data_pending && !force && self.rec.client_buffered() <= HOLD_MAX {
                return;
            }
            let Some(line) = self.rec.next_client_line() else {
                return;
            };
            self.client_line(&line);
        }
    }

    fn client_line(&mut self, line: &ClientLine) {
        let at = self.now();
        let (stage, verb, message) = match (line.message(), line.verb()) {
            (Some(stats), _) => {
                let complete = stats.complete;
                let m = if complete {
                    self.rec.push_received_message(at, *stats, true)
                } else {
                    None
                };
                if let Some(index) = m {
                    // Already arrived on an earlier connection of this run?
                    let id = self.rec.client.messages[index].message_id.clone();
                    let earlier = match self.recent.lock() {
                        Ok(mut recent) => recent.arrived(stats, id.as_deref(), self.n),
                        Err(_) => None,
                    };
                    if let Some(connection) = earlier {
                        self.rec.message_duplicate(at, index, connection, id);
                    }
                }
                // The final dot: what the client waits for now is the reply to it.
                (Stage::Dot, None, m)
            }
            (None, Some(v)) if self.redacting => (Stage::Ehlo, Some(v), None),
            (None, Some(v)) => (stage_of(v), Some(v), None),
            (None, None) => (Stage::Ehlo, None, None),
        };
        if verb == Some(Verb::Data) {
            self.data_pending = true;
        }
        match self.client_reads.last_mut() {
            Some((e, _, n)) if *e == line.last_read => *n = n.saturating_add(1),
            _ => self.client_reads.push((line.last_read, stage.clone(), 1)),
        }
        self.due.push_back(Due {
            stage,
            verb: if self.redacting { None } else { verb },
            event: Some(line.last_read),
            since_us: at,
            message,
        });
    }

    fn server_read(&mut self, data: &[u8]) {
        if self.passthrough {
            return self.opaque_read(Peer::Server, data);
        }
        let at = self.now();
        let idx = self.rec.push_read(at, self.tls, data);
        self.parser.feed(idx, data);
        let done = self.rec.absorb(&mut self.parser, &mut self.assembler, at);
        for (reply, end_line) in done {
            let due = self.due.pop_front();
            let stage = due.as_ref().map_or_else(
                || {
                    self.replies
                        .last()
                        .map_or(Stage::Greeting, |r| r.stage.clone())
                },
                |d| d.stage.clone(),
            );
            self.replies.push(ReplyRecord {
                stage: stage.clone(),
                code: reply.code,
                first_line: reply.first_line,
                end_line,
                awaited_at_us: due.as_ref().map_or(at, |d| d.since_us),
                completed_at_us: at,
                command_event: due.as_ref().and_then(|d| d.event),
                dropped_lines: reply.dropped_lines,
                unsolicited: false,
            });
            if let Some(d) = due {
                self.answered(&d, reply.code);
            }
        }
    }

    /// Follows the dialogue on a reply to `d`.
    fn answered(&mut self, d: &Due, code: Option<u16>) {
        let class = code.map(|c| (c / 100) as u8 + b'0');
        if let Some(m) = d.message {
            self.rec.message_answered(m, class);
        }
        match d.verb {
            Some(Verb::Data) => {
                self.data_pending = false;
                if code == Some(354) {
                    self.rec.start_client_data(false);
                }
                self.take_client_lines(true);
            }
            Some(Verb::Starttls) if code == Some(220) => self.upgrade = true,
            _ => {}
        }
        let auth = d.verb == Some(Verb::Auth) || (d.verb.is_none() && self.redacting);
        if auth {
            self.redacting = code == Some(334);
            self.rec.redact_client_lines(self.redacting);
        }
    }

    fn outcome(&mut self, outcome: Outcome, stage: Option<Stage>) {
        if self.outcome == Outcome::Completed {
            self.outcome = outcome;
            self.failed_stage = stage;
        }
    }

    fn io_error(&mut self, side: Peer, what: &str, e: &io::Error) {
        let at = self.now();
        let stage = self.due.front().map_or(Stage::Quit, |d| d.stage.clone());
        self.rec.push(
            at,
            EventKind::IoError {
                stage: stage.clone(),
                kind: e.kind(),
                message: format!("{what} the {}: {e}", side.name()),
            },
        );
        if side == Peer::Server {
            self.outcome(Outcome::IoError, Some(stage));
        }
    }
}

/// Relays one accepted connection to the upstream and returns its record.
pub(super) async fn connection(
    client: TcpStream,
    n: u64,
    opts: &ProxyOptions,
    recent: Arc<Mutex<RecentMessages>>,
) -> ProxyRecord {
    let peer = client.peer_addr().ok();
    let listen = client.local_addr().ok();
    let started_at = SystemTime::now();
    let mut s = Session {
        start: Instant::now(),
        rec: Record::with_budget(Budget::default()),
        parser: ReplyParser::new(),
        assembler: ReplyAssembler::new(),
        replies: Vec::new(),
        due: VecDeque::from([Due {
            stage: Stage::Greeting,
            verb: None,
            event: None,
            since_us: 0,
            message: None,
        }]),
        client_reads: Vec::new(),
        opaque: Vec::new(),
        tls: false,
        passthrough: false,
        upgrade: false,
        data_pending: false,
        redacting: false,
        tls_notes: 0,
        tls_rest: (0, 0),
        client_handshake: None,
        upstream_handshake: None,
        upstream_tls: None,
        outcome: Outcome::Completed,
        failed_stage: None,
        upstream: opts
            .upstreams
            .first()
            .copied()
            .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
        n,
        recent,
    };
    run(&mut s, client, opts).await;
    if s.tls_rest.0 > 0 {
        let (reads, bytes) = s.tls_rest;
        s.note(
            Stage::Tls,
            format!("{reads} more TLS reads ({bytes} bytes) relayed opaquely"),
        );
    }
    s.rec.finish_client();
    let at = s.now();
    s.rec.absorb_partial(&mut s.parser, &s.assembler, at);
    ProxyRecord {
        n,
        peer,
        listen,
        upstream_host: opts.upstream_host.clone(),
        upstream: s.upstream,
        started_at,
        duration: s.start.elapsed(),
        record: s.rec,
        replies: s.replies,
        client_reads: s.client_reads,
        opaque: s.opaque,
        client_handshake: s.client_handshake,
        upstream_handshake: s.upstream_handshake,
        upstream_tls: s.upstream_tls,
        mode: opts.mode,
        certificate_sha256: match opts.mode {
            TlsMode::Terminate => opts.certificate.as_ref().map(|c| c.sha256.clone()),
            TlsMode::Passthrough => None,
        },
        outcome: s.outcome,
        failed_stage: s.failed_stage,
        passthrough: s.passthrough,
    }
}

/// Connects to the upstream and relays until both sides are done or a wait runs out.
async fn run(s: &mut Session, client: TcpStream, opts: &ProxyOptions) {
    let Some(upstream) = connect(s, opts).await else {
        s.due.clear();
        s.outcome(Outcome::ConnectFailed, Some(Stage::Connect));
        return;
    };
    let _ = upstream.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let mut c = Link::Plain(client);
    let mut u = Link::Plain(upstream);
    relay(s, &mut c, &mut u, opts).await;
}

/// Tries the upstream's addresses in order, each within the connect timeout, until one
/// accepts; every try is in the record, and [`Session::upstream`] names the one used.
async fn connect(s: &mut Session, opts: &ProxyOptions) -> Option<TcpStream> {
    let total = opts.upstreams.len();
    for (n, &addr) in opts.upstreams.iter().enumerate() {
        s.upstream = addr;
        let at = s.now();
        s.rec.push(at, EventKind::Connecting { addr });
        let (failure, message) = match timeout(opts.connect_timeout, TcpStream::connect(addr)).await
        {
            Ok(Ok(u)) => {
                let at = s.now();
                s.rec.push(
                    at,
                    EventKind::Connected {
                        local: u.local_addr().ok(),
                    },
                );
                if total > 1 {
                    s.note(
                        Stage::Connect,
                        format!(
                            "connected to {addr}, address {} of {total} of {}",
                            n + 1,
                            opts.upstream_host
                        ),
                    );
                }
                return Some(u);
            }
            Ok(Err(e)) => {
                let failure = match e.kind() {
                    io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                    io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                        ConnectFailure::Unreachable
                    }
                    io::ErrorKind::TimedOut => ConnectFailure::Timeout,
                    _ => ConnectFailure::Other,
                };
                (failure, e.to_string())
            }
            Err(_) => (
                ConnectFailure::Timeout,
                format!(
                    "no answer within {}",
                    humantime::format_duration(opts.connect_timeout)
                ),
            ),
        };
        let at = s.now();
        s.rec
            .push(at, EventKind::ConnectFailed { failure, message });
    }
    if total == 0 {
        let at = s.now();
        s.rec.push(
            at,
            EventKind::ConnectFailed {
                failure: ConnectFailure::Other,
                message: format!("{} has no address", opts.upstream_host),
            },
        );
    }
    None
}

async fn relay(s: &mut Session, c: &mut Link, u: &mut Link, opts: &ProxyOptions) {
    let idle = opts.idle.min(IDLE_MAX);
    let mut c2s = Pipe::new();
    let mut s2c = Pipe::new();
    let mut deadline: Pin<Box<Sleep>> = Box::pin(sleep(idle));
    let mut last = Instant::now();
    let mut draining = false;
    loop {
        if c2s.done() && s2c.done() {
            return;
        }
        if s.upgrade && c2s.idle() && s2c.idle() {
            s.upgrade = false;
            if !upgrade(s, c, u, opts).await {
                return;
            }
            last = Instant::now();
            deadline.as_mut().reset(tokio::time::Instant::now() + idle);
        }
        let may_read = !s.upgrade;
        let step = poll_fn(|cx| {
            if let Some(st) = poll_pipe(cx, c, u, &mut c2s, may_read, Peer::Server) {
                return Poll::Ready(st);
            }
            if let Some(st) = poll_pipe(cx, u, c, &mut s2c, may_read, Peer::Client) {
                return Poll::Ready(st);
            }
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Step::Idle);
            }
            Poll::Pending
        })
        .await;
        let progress = !matches!(step, Step::Idle);
        // A TLS peer that closes the TCP connection without close_notify has closed all the same.
        let step = match step {
            Step::ClientRead(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                s.note(
                    Stage::Quit,
                    format!("the client closed without TLS close_notify ({e})"),
                );
                Step::ClientRead(Ok(0))
            }
            Step::ServerRead(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                s.note(
                    Stage::Quit,
                    format!("the server closed without TLS close_notify ({e})"),
                );
                Step::ServerRead(Ok(0))
            }
            other => other,
        };
        match step {
            Step::ClientRead(Ok(0)) => {
                c2s.eof = true;
                let at = s.now();
                s.rec.push_client_eof(at, s.tls);
            }
            Step::ClientRead(Ok(n)) => {
                c2s.len = n;
                c2s.pos = 0;
                let data = c2s.buf[..n].to_vec();
                s.client_read(&data);
            }
            Step::ServerRead(Ok(0)) => {
                s2c.eof = true;
                let at = s.now();
                s.rec.push(
                    at,
                    EventKind::Eof {
                        from: Peer::Server,
                        tls: s.tls,
                    },
                );
                if !c2s.eof && !s.due.is_empty() {
                    let stage = s.due.front().map(|d| d.stage.clone());
                    s.outcome(Outcome::Closed, stage);
                }
            }
            Step::ServerRead(Ok(n)) => {
                s2c.len = n;
                s2c.pos = 0;
                let data = s2c.buf[..n].to_vec();
                s.server_read(&data);
            }
            Step::ClientRead(Err(e)) => {
                s.io_error(Peer::Client, "reading from", &e);
                return;
            }
            Step::ServerRead(Err(e)) => {
                s.io_error(Peer::Server, "reading from", &e);
                return;
            }
            Step::Wrote(to, Ok(Some(n))) => {
                let p = if to == Peer::Server {
                    &mut c2s
                } else {
                    &mut s2c
                };
                p.pos += n;
            }
            Step::Wrote(to, Ok(None)) => {
                let p = if to == Peer::Server {
                    &mut c2s
                } else {
                    &mut s2c
                };
                p.len = 0;
                p.pos = 0;
            }
            Step::Wrote(to, Err(e)) => {
                s.io_error(to, "writing to", &e);
                return;
            }
            Step::Shut(to, r) => {
                let p = if to == Peer::Server {
                    &mut c2s
                } else {
                    &mut s2c
                };
                p.shut = true;
                if let Err(e) = r
                    && e.kind() != io::ErrorKind::NotConnected
                {
                    s.note(
                        Stage::Quit,
                        format!("closing the {}'s side failed: {e}", to.name()),
                    );
                }
            }
            Step::Idle => {
                let waited = last.elapsed();
                if draining {
                    s.note(
                        Stage::Quit,
                        format!(
                            "the other side did not close within {} of the first close; the proxy closed it",
                            humantime::format_duration(DRAIN)
                        ),
                    );
                    return;
                }
                idle_timeout(s, waited);
                return;
            }
        }
        if progress {
            last = Instant::now();
            let wait = if (c2s.eof && c2s.len == 0) || (s2c.eof && s2c.len == 0) {
                draining = true;
                DRAIN.min(idle)
            } else {
                idle
            };
            deadline.as_mut().reset(tokio::time::Instant::now() + wait);
        }
    }
}

/// Nothing moved for the idle time: who was to speak is at fault.
fn idle_timeout(s: &mut Session, waited: Duration) {
    let at = s.now();
    let waited_ms = waited.as_millis() as u64;
    match s.due.front().map(|d| d.stage.clone()) {
        Some(stage) => {
            s.rec.push(
                at,
                EventKind::Timeout {
                    stage: stage.clone(),
                    waited_ms,
                },
            );
            s.outcome(Outcome::Timeout, Some(stage));
        }
        None => {
            // Nobody owed the client a reply: the proxy waited for the client (its fault,
            // `client-silent`), in the stage of the last reply.
            let stage = s
                .replies
                .last()
                .map_or(Stage::Greeting, |r| r.stage.clone());
            s.rec.push(at, EventKind::Timeout { stage, waited_ms });
            s.outcome(Outcome::Timeout, None);
        }
    }
}

/// TLS after the server's STARTTLS 220: passthrough switches to opaque relaying, terminate
/// completes both handshakes. False when the session cannot go on.
async fn upgrade(s: &mut Session, c: &mut Link, u: &mut Link, opts: &ProxyOptions) -> bool {
    let cert = match (opts.mode, &opts.certificate) {
        (TlsMode::Terminate, Some(cert)) => Arc::clone(cert),
        _ => {
            s.passthrough = true;
            s.note(
                Stage::Tls,
                "TLS passthrough: the session inside TLS is relayed opaquely, its content is not visible to the proxy".into(),
            );
            return true;
        }
    };
    let (Some(ctcp), Some(utcp)) = (c.take_plain(), u.take_plain()) else {
        return false;
    };
    // The upstream first: the client's session is worth nothing without it.
    let (config, observed) = crate::session::tls::client_config(Arc::clone(&opts.roots));
    let name = match opts.upstream_host.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(opts.upstream_host.clone())
            .unwrap_or_else(|_| ServerName::IpAddress(s.upstream.ip().into())),
    };
    let sni = match &name {
        ServerName::DnsName(d) => Some(d.as_ref().to_string()),
        _ => None,
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    let upstream = match timeout(HANDSHAKE_MAX, connector.connect(name, utcp)).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            handshake_failed(s, Peer::Server, e.to_string());
            return false;
        }
        Err(_) => {
            handshake_failed(s, Peer::Server, "no handshake within 1m".into());
            return false;
        }
    };
    let (_, conn) = upstream.get_ref();
    let info = {
        let obs = observed.lock().unwrap_or_else(|p| p.into_inner());
        TlsInfo {
            version: version_name(conn.protocol_version()),
            cipher: cipher_name(conn.negotiated_cipher_suite()),
            sni,
            chain: obs
                .chain
                .iter()
                .map(crate::session::tls::describe)
                .collect(),
            verification: obs.verification.clone(),
        }
    };
    let at = s.now();
    s.upstream_handshake = Some(s.rec.push(
        at,
        EventKind::TlsHandshake {
            ok: true,
            message: format!("upstream: {} {}", info.version, info.cipher),
        },
    ));
    s.upstream_tls = Some(info);
    *u = Link::Connected(Box::new(upstream));
    let client = match accept(Arc::clone(&cert.config), ctcp, HANDSHAKE_MAX).await {
        Ok((hello, tls, stream)) => {
            let at = s.now();
            let event = s.rec.push(
                at,
                EventKind::TlsHandshake {
                    ok: true,
                    message: format!("client: {} {}", tls.version, tls.cipher),
                },
            );
            s.client_handshake = Some(event);
            s.rec.client_handshake(ClientHandshake {
                event,
                hello: Some(hello),
                result: Ok(tls),
            });
            stream
        }
        Err(f) => {
            let event = handshake_failed(s, Peer::Client, f.message);
            s.rec.client_handshake(ClientHandshake {
                event,
                hello: f.hello,
                result: Err(f.failure),
            });
            return false;
        }
    };
    *c = Link::Accepted(Box::new(client));
    s.tls = true;
    true
}

/// Records a failed handshake with `side`; returns its event.
fn handshake_failed(s: &mut Session, side: Peer, message: String) -> usize {
    let at = s.now();
    let idx = s.rec.push(
        at,
        EventKind::TlsHandshake {
            ok: false,
            message: format!(
                "{}: {message}",
                if side == Peer::Server {
                    "upstream"
                } else {
                    "client"
                }
            ),
        },
    );
    match side {
        Peer::Server => {
            s.upstream_handshake = Some(idx);
            s.outcome(Outcome::TlsFailed, Some(Stage::Tls));
        }
        Peer::Client => s.client_handshake = Some(idx),
    }
    idx
}
