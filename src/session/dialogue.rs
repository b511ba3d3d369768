//! The probe's dialogue as a sending MTA conducts it: greeting, EHLO with the HELO fallback,
//! STARTTLS and the second EHLO, MAIL, RCPT, then RSET and QUIT.

use crate::config::{QuitAfter, StartTlsPolicy};
use crate::record::decision::{NotSent, TlsPolicyFailure};
use crate::record::{EventKind, Stage};
use crate::session::conn::{Conn, Stream, Wait};
use crate::session::tls::{self};
use crate::session::{Attempt, EhloResult, Outcome, SessionConfig, StageTime, rfc_timeouts};
use crate::wire::command::Command;
use crate::wire::ehlo::Capabilities;
use rustls::pki_types::ServerName;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// An attempt in progress: the connection and what it produced so far.
pub(crate) struct Run {
    /// The recorded connection.
    pub(crate) conn: Conn,
    /// The attempt being filled in.
    pub(crate) attempt: Attempt,
}

impl Run {
    /// Records how long a stage took, from `from_us` to now. A step that repeats at once (one
    /// RCPT per recipient) is one stage: the times add up.
    pub(crate) fn stage_time(&mut self, stage: Stage, from_us: u64) {
        let ms = (self.conn.now_us().saturating_sub(from_us)) as f64 / 1000.0;
        match self.attempt.stages.last_mut() {
            Some(last) if last.stage == stage => last.duration_ms += ms,
            _ => self.attempt.stages.push(StageTime {
                stage,
                duration_ms: ms,
            }),
        }
    }

    /// Marks the attempt as ended at `stage`.
    pub(crate) fn fail(&mut self, outcome: Outcome, stage: Stage) {
        // A wait cut short by Ctrl-C ends the dialogue, whatever the step made of it.
        self.attempt.outcome = if self.conn.interrupted {
            Outcome::Interrupted
        } else {
            outcome
        };
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

    /// Says goodbye: RSET (after an envelope) and QUIT while the connection is usable. RSET and
    /// QUIT are stages of their own, each timed from the step before it, so that the stages
    /// add up even when both go in one write.
    pub(crate) async fn quit(&mut self, rset: bool, cfg: &SessionConfig) {
        if !self.conn.is_open() {
            return;
        }
        let pipelining = self.pipelining(cfg);
        let mut from = self.conn.now_us();
        if rset && pipelining {
            // RFC 2920 §3.1: RSET and QUIT may go as one group, QUIT last: one round trip.
            let group = [Command::Rset.to_wire(), Command::Quit.to_wire()].concat();
            self.attempt.quit_sent = true;
            if !self.conn.write(Stage::Rset, &group, 2).await {
                return;
            }
            let w = cfg.wait(rfc_timeouts::OTHER);
            if !matches!(
                self.conn.reply(Stage::Rset, w, "reply to RSET").await,
                Wait::Reply(_)
            ) {
                return;
            }
            self.stage_time(Stage::Rset, from);
            from = self.conn.now_us();
        } else {
            if rset {
                let w = cfg.wait(rfc_timeouts::OTHER);
                if self.command(Stage::Rset, &Command::Rset, w).await.is_none() {
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
            .command(Stage::Helo, &Command::Helo(cfg.helo.clone()), w)
            .await?;
        if (200..300).contains(&self.code(r)) {
            Some(self.ehlo_result("HELO", r))
        } else {
            self.fail(Outcome::Refused, Stage::Helo);
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
                    && !v.verified()
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
                if cfg.starttls == StartTlsPolicy::Require && !self.conn.interrupted {
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

    /// The whole dialogue, step by step; each step returns whether the dialogue goes on, and a
    /// step that ends it has set the outcome (and said goodbye where the server is still there).
    pub(crate) async fn dialogue(&mut self, cfg: &SessionConfig) {
        if cfg.tls_on_connect && !self.handshake(cfg).await {
            return;
        }
        if self.done_at(QuitAfter::Connect, cfg, None).await {
            return;
        }
        if !self.greeting(cfg).await || self.done_at(QuitAfter::Greeting, cfg, Some(false)).await {
            return;
        }
        let Some(e) = self.ehlo(cfg).await else {
            return;
        };
        let starttls_offered = e.caps().has("STARTTLS");
        self.attempt.ehlo = Some(e);
        if self.done_at(QuitAfter::Ehlo, cfg, Some(false)).await {
            return;
        }
        if !cfg.tls_on_connect
            && cfg.starttls != StartTlsPolicy::Never
            && !self.starttls(cfg, starttls_offered).await
        {
            return;
        }
        if self.done_at(QuitAfter::Tls, cfg, Some(false)).await {
            return;
        }
        if cfg.message.is_none() && self.pipelining(cfg) {
            self.envelope_in_one_group(cfg).await;
            return;
        }
        if !self.mail(cfg).await || self.done_at(QuitAfter::Mail, cfg, Some(true)).await {
            return;
        }
        let Some(accepted) = self.rcpts(cfg).await else {
            return;
        };
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

    /// When `--quit-after` is `step`: completes the attempt and says goodbye (with RSET when
    /// `rset` is `Some(true)`, not at all when `None`); returns whether the dialogue ends.
    async fn done_at(&mut self, step: QuitAfter, cfg: &SessionConfig, rset: Option<bool>) -> bool {
        if cfg.quit_after != step {
            return false;
        }
        self.attempt.outcome = Outcome::Completed;
        if let Some(rset) = rset {
            self.quit(rset, cfg).await;
        }
        true
    }

    /// The greeting: a 2xx lets the dialogue go on.
    async fn greeting(&mut self, cfg: &SessionConfig) -> bool {
        let from = self.conn.now_us();
        let w = cfg.wait(rfc_timeouts::GREETING);
        let Some(g) = self.await_reply(Stage::Greeting, w, "greeting").await else {
            return false;
        };
        self.stage_time(Stage::Greeting, from);
        let code = self.code(g);
        if !(200..300).contains(&code) {
            self.fail(Outcome::Refused, Stage::Greeting);
            if code != 421 {
                self.quit(false, cfg).await;
            }
            return false;
        }
        true
    }

    /// STARTTLS when offered, the handshake and the second EHLO; under `--starttls require`
    /// anything short of TLS stops the dialogue.
    async fn starttls(&mut self, cfg: &SessionConfig, offered: bool) -> bool {
        let require = cfg.starttls == StartTlsPolicy::Require;
        if !offered {
            if require {
                self.policy_unmet(Stage::Starttls, TlsPolicyFailure::NotAdvertised);
                self.quit(false, cfg).await;
                return false;
            }
            return true;
        }
        let w = cfg.wait(rfc_timeouts::OTHER);
        let Some(r) = self.command(Stage::Starttls, &Command::StartTls, w).await else {
            return false;
        };
        let code = self.code(r);
        if code == 220 {
            if !self.handshake(cfg).await {
                return false;
            }
            let Some(e2) = self.ehlo(cfg).await else {
                return false;
            };
            self.attempt.ehlo_plain = self.attempt.ehlo.replace(e2);
            return true;
        }
        if !require && code != 421 {
            // Opportunistic TLS: go on in clear text.
            return true;
        }
        if require {
            self.policy_unmet(Stage::Starttls, TlsPolicyFailure::Refused { code });
        } else {
            self.fail(Outcome::Refused, Stage::Starttls);
        }
        self.quit(false, cfg).await;
        false
    }

    /// MAIL, with SIZE= and BODY= when a message will follow; true when accepted.
    async fn mail(&mut self, cfg: &SessionConfig) -> bool {
        let params = match self.mail_params(cfg) {
            Ok(p) => p,
            Err(reason) => {
                self.not_sent(reason);
                self.fail(Outcome::Refused, Stage::Data);
                self.quit(false, cfg).await;
                return false;
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
            return false;
        };
        if !(200..300).contains(&self.code(m)) {
            self.fail(Outcome::Refused, Stage::Mail);
            self.quit(false, cfg).await;
            return false;
        }
        true
    }

    /// Whether commands may go in groups: PIPELINING advertised and not `--no-pipelining`.
    pub(crate) fn pipelining(&self, cfg: &SessionConfig) -> bool {
        !cfg.no_pipelining
            && self
                .attempt
                .ehlo
                .as_ref()
                .is_some_and(|e| e.caps().has("PIPELINING"))
    }

    /// MAIL, every RCPT (up to `--quit-after`), RSET and QUIT as one pipelined group (RFC 2920
    /// §3.1, QUIT last), as a sending MTA does: one round trip. Each reply is taken in turn and
    /// keeps its own stage and time; each stage lasts from the reply before it to its own.
    async fn envelope_in_one_group(&mut self, cfg: &SessionConfig) {
        let mut group = vec![(
            Stage::Mail,
            Command::Mail {
                from: cfg.from.clone(),
                params: vec![],
            },
            cfg.wait(rfc_timeouts::MAIL),
        )];
        if cfg.quit_after >= QuitAfter::Rcpt {
            for to in &cfg.to {
                group.push((
                    Stage::Rcpt,
                    Command::Rcpt(to.clone()),
                    cfg.wait(rfc_timeouts::RCPT),
                ));
            }
        }
        group.push((Stage::Rset, Command::Rset, cfg.wait(rfc_timeouts::OTHER)));
        group.push((Stage::Quit, Command::Quit, cfg.wait(rfc_timeouts::QUIT)));
        let wire: Vec<u8> = group.iter().flat_map(|(_, c, _)| c.to_wire()).collect();
        let mut from = self.conn.now_us();
        if !self
            .conn
            .write(Stage::Mail, &wire, group.len() as u16)
            .await
        {
            self.fail(Outcome::IoError, Stage::Mail);
            return;
        }
        let mut mail_ok = false;
        let mut bad_reply = None;
        for (i, (stage, cmd, wait)) in group.iter().enumerate() {
            let last = i + 1 == group.len();
            if last {
                // QUIT is awaited only once everything before it was answered, so that a
                // server that went away earlier is not also blamed for QUIT.
                self.attempt.quit_sent = true;
            }
            let what = format!("reply to {}", verb(cmd));
            let r = match self.conn.reply(stage.clone(), *wait, &what).await {
                Wait::Reply(r) => r,
                // QUIT's reply is a courtesy: its absence is a finding, not a failure.
                _ if last => break,
                Wait::Timeout => return self.fail(Outcome::Timeout, stage.clone()),
                Wait::Closed => return self.fail(Outcome::Closed, stage.clone()),
                Wait::Failed => return self.fail(Outcome::IoError, stage.clone()),
            };
            self.stage_time(stage.clone(), from);
            from = self.conn.now_us();
            let Some(code) = self.conn.record.replies[r].code else {
                // Not understood; the replies to the rest of the group still come in order.
                bad_reply.get_or_insert(stage.clone());
                continue;
            };
            match cmd {
                Command::Mail { .. } => mail_ok = (200..300).contains(&code),
                Command::Quit => self.attempt.quit_reply = Some(r),
                _ => {}
            }
            if code == 421 {
                return self.fail(Outcome::Refused, stage.clone());
            }
        }
        if let Some(stage) = bad_reply {
            self.fail(Outcome::BadReply, stage);
        } else if mail_ok {
            // The stage aimed at was reached; a refused RCPT is a finding, as one at a time.
            self.attempt.outcome = Outcome::Completed;
        } else {
            self.fail(Outcome::Refused, Stage::Mail);
        }
        if let Stream::Tls(s) = &mut self.conn.stream {
            let _ = tokio::time::timeout(Duration::from_millis(200), s.shutdown()).await;
        }
    }

    /// RCPT for each recipient; the number accepted, or `None` when the dialogue ended.
    async fn rcpts(&mut self, cfg: &SessionConfig) -> Option<usize> {
        let mut accepted = 0;
        for to in &cfg.to {
            let w = cfg.wait(rfc_timeouts::RCPT);
            let r = self
                .command(Stage::Rcpt, &Command::Rcpt(to.clone()), w)
                .await?;
            let code = self.code(r);
            if code == 421 {
                self.fail(Outcome::Refused, Stage::Rcpt);
                return None;
            }
            accepted += usize::from((200..300).contains(&code));
        }
        Some(accepted)
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
