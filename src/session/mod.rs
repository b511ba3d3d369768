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

mod conn;
mod data;
mod dialogue;
mod live;

pub use live::{LiveEcho, LiveSink, clear_note_line, live_notes_wanted};

use crate::config::{QuitAfter, StartTlsPolicy};
use crate::record::{ConnectFailure, EventKind, Record, Stage};
use crate::session::conn::{Conn, Stream, Wait};
use crate::session::conn::{READ_BUF, classify_connect_error};
pub(crate) use crate::session::dialogue::Run;
use crate::session::live::LiveNote;
use crate::wire::reply::{ReplyAssembler, ReplyParser};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    /// Send one command at a time even when the server advertises PIPELINING.
    pub no_pipelining: bool,
    /// `--timeout` cap.
    pub cap: Option<Duration>,
    /// Show live waiting notes on stderr.
    pub live: bool,
    /// Show each connection's transcript as it is recorded.
    pub echo: Option<LiveEcho>,
    /// Send a message with DATA.
    pub message: Option<crate::session::message::MessageSpec>,
    /// What a scan of `--body FILE` found (decided before MAIL).
    pub scan: Option<crate::session::message::Scan>,
    /// What the run around the session controls: the interrupt and the connection limits.
    pub controls: Controls,
}

/// What the run around a session controls. `stop` fired (Ctrl-C) ends every wait at once: the
/// wait is recorded as interrupted, the attempt ends [`Outcome::Interrupted`] and is judged on
/// what was recorded. `limits` (batch runs) gates each TCP connect.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    /// Fired when the probe must stop waiting.
    pub stop: tokio_util::sync::CancellationToken,
    /// Connection limits shared by the probes of a run.
    pub limits: Option<Arc<crate::batch::limits::Limits>>,
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
    // The slot to this address (batch runs) is awaited before the attempt's clock starts.
    let permit = match &cfg.controls.limits {
        Some(limits) => tokio::select! {
            p = limits.admit(target.addr.ip()) => Some(p),
            _ = cfg.controls.stop.cancelled() => None,
        },
        None => None,
    };
    let start = Instant::now();
    let mut record = Record::with_budget(budget);
    record.push(0, EventKind::Connecting { addr: target.addr });
    let mut echo = cfg.echo.as_ref().map(|make| (make.0)(&target, test));
    if let Some(e) = &mut echo {
        e.update(&record);
    }
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
    let stopped =
        cfg.controls.stop.is_cancelled() || (cfg.controls.limits.is_some() && permit.is_none());
    let res = loop {
        if stopped {
            break Err(None);
        }
        tokio::select! {
            r = timeout_at(deadline.into(), &mut connect) => break r.map_err(Some),
            _ = cfg.controls.stop.cancelled() => break Err(None),
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
            if let Some(e) = &mut echo {
                e.update(&record);
            }
            attempt.record = record;
            attempt.outcome = Outcome::ConnectFailed;
            attempt.failed_stage = Some(Stage::Connect);
            attempt.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            return Err(attempt);
        }
        Err(None) => {
            record.push(
                at,
                EventKind::Interrupted {
                    stage: Stage::Connect,
                    waited_ms: at / 1000,
                },
            );
            if let Some(e) = &mut echo {
                e.update(&record);
            }
            attempt.record = record;
            attempt.outcome = Outcome::Interrupted;
            attempt.failed_stage = Some(Stage::Connect);
            attempt.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            return Err(attempt);
        }
        Err(Some(_)) => {
            record.push(
                at,
                EventKind::ConnectFailed {
                    failure: ConnectFailure::Timeout,
                    message: format!("no answer within {}", humantime::format_duration(wait)),
                },
            );
            if let Some(e) = &mut echo {
                e.update(&record);
            }
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
        echo,
        label,
        buf: vec![0; READ_BUF],
        stop: cfg.controls.stop.clone(),
        interrupted: false,
        _permit: permit,
    };
    Ok(Run { conn, attempt })
}

impl Run {
    /// Ends the attempt: moves the record in and stamps the total time.
    pub(crate) fn finish(mut self) -> Attempt {
        // Replies that arrived but were never taken.
        self.conn.record.replies.extend(self.conn.ready.drain(..));
        self.conn.record.mark_unsolicited();
        self.conn.echo();
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
            no_pipelining: false,
            cap: Some(cap),
            live: false,
            echo: None,
            message: None,
            scan: None,
            controls: Controls::default(),
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

    /// With PIPELINING advertised, MAIL, RCPT, RSET and QUIT go in one write and each reply
    /// keeps its stage; `--no-pipelining` sends them one at a time.
    #[tokio::test]
    async fn the_envelope_goes_in_one_group_unless_told_otherwise() {
        let writes = |a: &Attempt| {
            a.record
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Write { bytes, .. } => {
                        Some(String::from_utf8_lossy(bytes).into_owned())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        for no_pipelining in [false, true] {
            let (addr, server) = crate::server::spawn(crate::server::find("clean").unwrap())
                .await
                .unwrap();
            let mut cfg = config(Duration::from_secs(10));
            cfg.starttls = StartTlsPolicy::Never;
            cfg.to = vec![format!("postmaster@{}", crate::server::DOMAIN)];
            cfg.no_pipelining = no_pipelining;
            let a = run(target(addr), &cfg).await;
            server.abort();
            assert!(a.completed(), "{:?}", a.outcome);
            let stages: Vec<_> = a.record.replies.iter().map(|r| r.stage.name()).collect();
            assert_eq!(stages, ["greeting", "ehlo", "mail", "rcpt", "rset", "quit"]);
            // Each step once, timed from the step before it: they add up to no more than
            // the attempt.
            let names: Vec<_> = a.stages.iter().map(|s| s.stage.name()).collect();
            assert_eq!(
                names,
                [
                    "connect", "greeting", "ehlo", "mail", "rcpt", "rset", "quit"
                ]
            );
            let sum: f64 = a.stages.iter().map(|s| s.duration_ms).sum();
            assert!(sum <= a.duration_ms, "{sum} > {}", a.duration_ms);
            assert!(a.record.replies.iter().all(|r| !r.unsolicited));
            assert_eq!(
                a.quit_reply.map(|i| a.record.replies[i].code),
                Some(Some(221))
            );
            let w = writes(&a);
            if no_pipelining {
                assert_eq!(w.len(), 5, "{w:?}");
            } else {
                assert_eq!(w.len(), 2, "{w:?}");
                assert!(
                    w[1].starts_with("MAIL FROM:<>\r\nRCPT TO:<postmaster@"),
                    "{w:?}"
                );
                assert!(w[1].ends_with("RSET\r\nQUIT\r\n"), "{w:?}");
            }
            let ctx = crate::checks::CheckContext::default();
            let ids: Vec<_> = crate::checks::attempt(&a, 0, &ctx)
                .iter()
                .map(|f| f.id)
                .collect();
            assert!(ids.is_empty(), "{ids:?}");
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

    /// Ctrl-C (the stop token) ends a wait at once: the attempt is interrupted where it waited,
    /// the wait is recorded as interrupted (not as a timeout), and no QUIT follows; in the
    /// middle of a TLS handshake too (no TLS failure, so no plaintext retry either).
    #[tokio::test]
    async fn a_stop_ends_the_wait_where_it_is() {
        let cases = [
            (None, Stage::Greeting),
            (Some("starttls-stall"), Stage::Tls),
        ];
        for (scenario, stage) in cases {
            let (addr, task) = match scenario {
                None => (server(b"220-teaser\r\n").await, None),
                Some(name) => {
                    let (a, s) = crate::server::spawn(crate::server::find(name).unwrap())
                        .await
                        .unwrap();
                    (a, Some(s))
                }
            };
            let cfg = config(Duration::from_secs(30));
            let stop = cfg.controls.stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                stop.cancel();
            });
            let started = Instant::now();
            let a = run(target(addr), &cfg).await;
            assert!(started.elapsed() < Duration::from_secs(5), "{stage}");
            assert_eq!(a.outcome, Outcome::Interrupted, "{stage}");
            assert_eq!(a.failed_stage, Some(stage.clone()));
            assert!(a.interrupted());
            assert!(!a.starttls_handshake_failed());
            let kinds =
                |f: fn(&EventKind) -> bool| a.record.events.iter().filter(|e| f(&e.kind)).count();
            assert_eq!(
                kinds(|k| matches!(k, EventKind::Interrupted { .. })),
                1,
                "{stage}"
            );
            assert_eq!(
                kinds(|k| matches!(k, EventKind::Timeout { .. })),
                0,
                "{stage}"
            );
            assert!(!a.quit_sent, "{stage}: no goodbye after an interrupt");
            let ctx = crate::checks::CheckContext::default();
            let ids: Vec<_> = crate::checks::attempt(&a, 0, &ctx)
                .iter()
                .map(|f| f.id)
                .collect();
            assert!(
                !ids.iter()
                    .any(|id| id.ends_with("timeout") || id.contains("tls-handshake")),
                "{stage}: {ids:?}"
            );
            if let Some(t) = task {
                t.abort();
            }
        }
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
