//! One connection of the scripted server: reads commands through the record's request parser and answers as the script says.
//!
//! Every client read goes into the connection's [`Record`] (and so into its request parser),
//! every reply written is recorded with the stage of the command it answers, and the commands
//! the server acts on are the client lines that parser cut: what the server did and what the
//! record says it read cannot disagree. The server never panics on client input, keeps a
//! fixed-size read buffer per connection (message bodies are streamed, never stored) and gives
//! up on idle clients after five minutes.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use super::conn::Conn;
use super::recent::RecentMessages;
use super::script::{
    BYE, Cmd, DATA_GO, DOMAIN, EHLO_PLAIN, EHLO_TLS, GREETING, HELO_OK, MAIL_OK, OK, QUEUED,
    RCPT_OK, STARTTLS_READY, Scenario, Script, Step, UNRECOGNIZED,
};
use crate::record::{Budget, EventKind, Peer, Record, Stage};

mod auth;
mod message;
mod tls;
mod wait;
use crate::wire::reply::Terminator;
use crate::wire::request::{
    ClientLine, ClientLineKind, MAX_REQUEST_LINE, parse_command, path_of, starts_with_ci,
};

/// Read buffer size per connection: at most this many client bytes are held unparsed.
pub const INPUT_BUFFER: usize = 64 * 1024;
/// Longest command line accepted (longer ones are answered with 500; the record keeps their
/// first bytes).
pub const MAX_LINE: usize = MAX_REQUEST_LINE;
/// How long the server waits for a command or message data before giving up with 421.
const IDLE: Duration = Duration::from_secs(300);
/// Upper bound for [`Step::Hang`], so that a forgotten client cannot pin a task forever.
const HANG_MAX: Duration = Duration::from_secs(20 * 60);
/// Upper bound for one [`Step::Hold`] (and a whole [`Step::Trickle`]), whatever `--hold` says.
const HOLD_MAX: Duration = Duration::from_secs(24 * 60 * 60);
/// Time allowed for a TLS handshake after STARTTLS.
const HANDSHAKE_MAX: Duration = Duration::from_secs(60);
/// How long [`Step::Close`] waits for the client's FIN after sending its own.
const DRAIN_MAX: Duration = Duration::from_secs(2);
/// Nesting limit for [`Step::Watch`] and [`Step::Default`].
const MAX_DEPTH: usize = 8;

const TOO_LONG: &[u8] = b"500 5.5.2 Error: line too long\r\n";
const BARE_LF: &[u8] = b"500 5.5.2 Error: bare <LF> received\r\n";
const IDLE_TIMEOUT: &[u8] = b"421 4.4.2 mx.demo.test Error: timeout exceeded\r\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Done,
}

/// What steps run for: the greeting, or the answer to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Greeting,
    Command(Cmd),
}

/// What a connection knows of the run it belongs to.
#[derive(Debug, Clone)]
pub(super) struct Run {
    /// The connection's number, from 1.
    pub n: u64,
    /// `mock --hold`: the scenario's deliberate delay.
    pub hold: Option<Duration>,
    /// The wait for the client's next command or data instead of [`IDLE`].
    pub idle: Option<Duration>,
    /// `mock --cert/--key`: the certificate presented after STARTTLS instead of the script's.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The run's recent messages (duplicates).
    pub recent: Arc<Mutex<RecentMessages>>,
}

impl Default for Run {
    fn default() -> Run {
        Run {
            n: 1,
            hold: None,
            idle: None,
            tls: None,
            recent: Arc::default(),
        }
    }
}

struct Conversation {
    conn: Conn,
    run: Run,
    /// Reads land here before they go to the record.
    buf: Box<[u8]>,
    record: Record,
    started: Instant,
    script: &'static Script,
    tls: bool,
    /// The stage of the command being answered (the greeting before any).
    stage: Stage,
    greeted: bool,
    mail: bool,
    rcpts: u32,
    /// First status digit written in answer to the current command.
    class: Option<u8>,
    /// Writes so far (to tell whether a reply was written).
    writes: u64,
    /// The client authenticated (AUTH succeeded).
    authenticated: bool,
}

/// Serves one connection with `scenario` until either side ends it; returns its record, kept
/// within `budget`.
pub(super) async fn connection(
    stream: TcpStream,
    scenario: &'static Scenario,
    budget: Budget,
    run: Run,
) -> Record {
    let _ = stream.set_nodelay(true);
    let mut record = Record::with_budget(budget);
    record.push(
        0,
        EventKind::Connected {
            local: stream.local_addr().ok(),
        },
    );
    let mut s = Conversation {
        conn: Conn::Plain(stream),
        run,
        buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
        record,
        started: Instant::now(),
        script: &scenario.script,
        tls: false,
        stage: Stage::Greeting,
        greeted: false,
        mail: false,
        rcpts: 0,
        class: None,
        writes: 0,
        authenticated: false,
    };
    s.dialogue().await;
    s.conn = Conn::Gone;
    s.record.finish_client();
    s.record
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

/// The stage a command belongs to, named as the probe names its own (SPEC §5: `helo`, `dot`,
/// `rset`); commands of no stage of their own (NOOP, VRFY, unknown ones) stay in the current
/// stage.
fn stage_of(cmd: Cmd, current: &Stage) -> Stage {
    match cmd {
        Cmd::Ehlo => Stage::Ehlo,
        Cmd::Helo => Stage::Helo,
        Cmd::Starttls => Stage::Starttls,
        Cmd::Mail => Stage::Mail,
        Cmd::Rcpt => Stage::Rcpt,
        Cmd::Data => Stage::Data,
        Cmd::Dot => Stage::Dot,
        Cmd::Rset => Stage::Rset,
        Cmd::Quit => Stage::Quit,
        Cmd::Noop | Cmd::Vrfy | Cmd::Auth | Cmd::Unknown | Cmd::Any => current.clone(),
    }
}

impl Conversation {
    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    async fn dialogue(&mut self) {
        if self.run(self.script.greeting, Ctx::Greeting, b"").await == Flow::Done {
            return;
        }
        loop {
            let Some(line) = self.next_line().await else {
                return;
            };
            let flow = self.line(&line).await;
            if flow == Flow::Done {
                return;
            }
            if self.script.answer_first_only {
                self.record.discard_client_input();
            }
        }
    }

    /// Answers one command line.
    async fn line(&mut self, line: &ClientLine) -> Flow {
        let ClientLineKind::Command(verb) = line.kind else {
            return Flow::Go;
        };
        let cmd = Cmd::from(verb);
        self.stage = stage_of(cmd, &self.stage);
        if line.is_overlong() {
            self.send(TOO_LONG).await
        } else if line.terminator == Terminator::BareLf && !self.script.accept_bare_lf {
            self.send(BARE_LF).await
        } else {
            self.command(cmd, parse_command(&line.content).1).await
        }
    }

    async fn command(&mut self, cmd: Cmd, arg: &[u8]) -> Flow {
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
                let Some(stats) = self.read_message().await else {
                    return Flow::Done;
                };
                self.mail = false;
                self.rcpts = 0;
                self.stage = stage_of(Cmd::Dot, &self.stage);
                return self.final_dot(stats).await;
            }
            _ => {}
        }
        Flow::Go
    }

    /// The steps that answer `cmd`: the first rule that matches, else the default.
    fn steps(&self, cmd: Cmd, arg: &[u8], size: u64) -> &'static [Step] {
        let tls = self.tls;
        self.script
            .rules
            .iter()
            .find(|r| (r.cmd == cmd || r.cmd == Cmd::Any) && r.when.holds(arg, tls, size))
            .map_or(&[Step::Default][..], |r| r.then)
    }

    async fn respond(&mut self, cmd: Cmd, arg: &[u8], size: u64) -> Flow {
        self.class = None;
        let steps = self.steps(cmd, arg, size);
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
            Cmd::Auth if !self.script.auth_in_tls => &[Send(UNRECOGNIZED)],
            Cmd::Auth if !self.tls => &[Send(
                b"538 5.7.11 Encryption required for requested authentication mechanism\r\n",
            )],
            Cmd::Auth if self.authenticated => {
                &[Send(b"503 5.5.1 Error: already authenticated\r\n")]
            }
            Cmd::Auth if self.mail => &[Send(b"503 5.5.1 Error: MAIL transaction in progress\r\n")],
            Cmd::Auth => &[Step::Auth],
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
                    if !self.pause(Duration::from_millis(ms), ctx).await {
                        return Flow::Done;
                    }
                }
                Step::Hold(ms) => {
                    if !self.pause(self.hold(ms), ctx).await {
                        return Flow::Done;
                    }
                }
                Step::Trickle(line, every, total) => {
                    if self.trickle(line, every, self.hold(total), ctx).await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::SendLines(bytes, gap) => {
                    if self.send_lines(bytes, self.hold(gap), ctx).await == Flow::Done {
                        return Flow::Done;
                    }
                }
                Step::Auth => {
                    if self.auth(arg).await == Flow::Done {
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
                    self.note("the server reset the connection (RST)");
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

    fn note(&mut self, message: &str) {
        let at = self.now_us();
        let stage = self.stage.clone();
        self.record.push(
            at,
            EventKind::Note {
                stage,
                message: message.to_string(),
            },
        );
    }

    fn io_error(&mut self, e: &io::Error) {
        let at = self.now_us();
        let stage = self.stage.clone();
        self.record.push(
            at,
            EventKind::IoError {
                stage,
                kind: e.kind(),
                message: e.to_string(),
            },
        );
    }

    /// Writes a step's bytes, noting the reply class they start.
    async fn send(&mut self, bytes: &[u8]) -> Flow {
        if self.class.is_none() {
            self.class = bytes.iter().copied().find(|b| (b'1'..=b'5').contains(b));
        }
        match self.write(bytes).await {
            Ok(()) => Flow::Go,
            Err(_) => Flow::Done,
        }
    }

    /// One write, recorded as the server's in the current stage.
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let at = self.now_us();
        match self.conn.send(bytes).await {
            Ok(()) => {
                let stage = self.stage.clone();
                self.record.push_server_write(at, self.tls, stage, bytes);
                self.writes += 1;
                Ok(())
            }
            Err(e) => {
                self.io_error(&e);
                Err(e)
            }
        }
    }

    /// Reads more client bytes into the record; 0 means end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.conn.is_gone() {
            return Ok(0);
        }
        let room = INPUT_BUFFER
            .saturating_sub(self.record.client_buffered())
            .max(1);
        let result = self.conn.read(&mut self.buf[..room]).await;
        let at = self.now_us();
        match result {
            Ok(0) => {
                self.record.push_client_eof(at, self.tls);
                Ok(0)
            }
            Ok(n) => {
                self.record.push_client_read(at, self.tls, &self.buf[..n]);
                Ok(n)
            }
            // A client that closes TLS without close_notify has closed all the same.
            Err(e) if self.tls && e.kind() == io::ErrorKind::UnexpectedEof => {
                self.record.push_client_eof(at, self.tls);
                Ok(0)
            }
            Err(e) => {
                self.io_error(&e);
                Err(e)
            }
        }
    }

    /// Reads more input within [`IDLE`]; false when the client went away or idled out (then
    /// 421 was sent and the connection closed).
    async fn more_input(&mut self) -> bool {
        let idle = self.run.idle.unwrap_or(IDLE);
        match timeout(idle, self.fill()).await {
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(_)) => true,
            Err(_) => {
                let at = self.now_us();
                let stage = self.stage.clone();
                self.record.push(
                    at,
                    EventKind::Timeout {
                        stage,
                        waited_ms: idle.as_millis() as u64,
                    },
                );
                let _ = self.write(IDLE_TIMEOUT).await;
                self.close().await;
                false
            }
        }
    }

    /// Next command line; `None` when the client went away or idled out.
    async fn next_line(&mut self) -> Option<ClientLine> {
        loop {
            if let Some(line) = self.record.next_client_line() {
                return Some(line);
            }
            if !self.more_input().await {
                return None;
            }
        }
    }

    /// Sends FIN, then reads and discards until the client closes too (so it never sees an RST).
    async fn close(&mut self) {
        if !self.conn.is_gone() {
            let _ = self.conn.shutdown().await;
            let at = self.now_us();
            self.record.push(
                at,
                EventKind::Eof {
                    from: Peer::Server,
                    tls: self.tls,
                },
            );
        }
        self.drain(Instant::now() + DRAIN_MAX).await;
    }

    /// Keeps the connection open without answering until the client leaves (bounded by [`HANG_MAX`]).
    async fn hang(&mut self) {
        self.drain(Instant::now() + HANG_MAX).await;
    }

    /// Reads and discards until the client closes or `deadline`; then the connection is gone.
    async fn drain(&mut self, deadline: Instant) {
        self.record.discard_client_input();
        while let Ok(Ok(n)) = timeout_at(deadline, self.fill()).await {
            if n == 0 {
                break;
            }
            self.record.discard_client_input();
        }
        self.conn = Conn::Gone;
    }
}
