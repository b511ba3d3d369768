//! The opt-in active tests (`--test`, SPEC §4): each opens its own connection to the address
//! the probe used, sends something unusual on purpose and records every byte like any attempt.
//! The attempts carry their test's name; the checks judge them later.

use crate::config::{ActiveTest, StartTlsPolicy};
use crate::record::Stage;
use crate::record::decision::TlsPolicyFailure;
use crate::session::{self, Attempt, Outcome, Run, SessionConfig, Wait, rfc_timeouts};
use crate::wire::command::Command;
use crate::wire::probes::{SMUGGLING_SEQUENCES, UNKNOWN_VERB, relay_addresses, sequence_label};
use std::time::Duration;

/// Where silence is a possible answer (after a non-standard end of data, inside TLS after the
/// STARTTLS injection, after `NOOP<LF>`): wait this long, or `--timeout` when it is shorter.
pub const SILENCE_WAIT: Duration = Duration::from_secs(5);
/// A reply that should follow at once once the server has spoken (the replies after the first
/// to pipelined commands, the reply to an early EHLO after the greeting): wait this long, or
/// `--timeout` when it is shorter. A real MTA would wait five minutes; a diagnostic need not.
pub const FOLLOW_UP_WAIT: Duration = Duration::from_secs(30);

/// Which attempts the active tests run against: every attempt of the probe that got through,
/// else the last one that was greeted with 2xx. Empty when no server was usable.
pub fn bases(attempts: &[Attempt]) -> Vec<usize> {
    let own = |a: &&Attempt| a.test.is_none();
    let done: Vec<usize> = attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| own(a) && a.completed())
        .map(|(i, _)| i)
        .collect();
    if !done.is_empty() {
        return done;
    }
    attempts
        .iter()
        .enumerate()
        .rev()
        .find(|(_, a)| {
            own(a)
                && a.record
                    .last_reply(&Stage::Greeting)
                    .and_then(|r| r.code)
                    .is_some_and(|c| (200..300).contains(&c))
        })
        .map(|(i, _)| vec![i])
        .unwrap_or_default()
}

/// Runs one active test against the address of `main` (an attempt of the probe). Most tests
/// make one attempt; `pregreet` makes a second one when the server greets with a `220-`
/// teaser, and `smuggling` one per end-of-data sequence.
pub async fn run(test: ActiveTest, cfg: &SessionConfig, main: &Attempt) -> Vec<Attempt> {
    match test {
        ActiveTest::Pregreet => {
            let first = pregreet(cfg, main, false).await;
            let teaser = main.record.greeting_teaser() || first.record.greeting_teaser();
            let mut out = vec![first];
            if teaser {
                out.push(pregreet(cfg, main, true).await);
            }
            out
        }
        ActiveTest::Pipelining => vec![pipelining(cfg, main).await],
        ActiveTest::StarttlsInjection => vec![starttls_injection(cfg, main).await],
        ActiveTest::Smuggling => {
            let mut out = Vec::with_capacity(SMUGGLING_SEQUENCES.len());
            for seq in SMUGGLING_SEQUENCES {
                out.push(smuggling(cfg, main, seq).await);
            }
            out
        }
        ActiveTest::BareLf => vec![bare_lf(cfg, main).await],
        ActiveTest::UnknownCommand => vec![unknown_command(cfg, main).await],
        ActiveTest::Relay => vec![relay(cfg, main).await],
    }
}

async fn open(test: ActiveTest, cfg: &SessionConfig, main: &Attempt) -> Result<Run, Attempt> {
    // Each test connection keeps a quarter of a probe's budget: even the seven smuggling
    // connections stay within bounds together.
    session::open(
        main.target.clone(),
        cfg,
        Some(test.name()),
        crate::record::Budget::default().fraction(4),
    )
    .await
}

fn positive(code: u16) -> bool {
    (200..300).contains(&code)
}

/// The greeting, as a sending MTA waits for it. False when the dialogue cannot go on.
async fn greeting(run: &mut Run, cfg: &SessionConfig) -> bool {
    if cfg.tls_on_connect && !run.handshake(cfg).await {
        return false;
    }
    let from = run.conn.now_us();
    let w = cfg.wait(rfc_timeouts::GREETING);
    let Some(g) = run.await_reply(Stage::Greeting, w, "greeting").await else {
        return false;
    };
    run.stage_time(Stage::Greeting, from);
    let code = run.code(g);
    if !positive(code) {
        run.fail(Outcome::Refused, Stage::Greeting);
        if code != 421 {
            run.quit(false, cfg).await;
        }
        return false;
    }
    true
}

/// After a successful EHLO: STARTTLS as the probe's policy says, and EHLO again inside TLS.
async fn secure(run: &mut Run, cfg: &SessionConfig, ehlo: session::EhloResult) -> bool {
    let offered = ehlo.caps().has("STARTTLS");
    run.attempt.ehlo = Some(ehlo);
    if cfg.tls_on_connect || cfg.starttls == StartTlsPolicy::Never {
        return true;
    }
    if !offered {
        if cfg.starttls == StartTlsPolicy::Require {
            run.policy_unmet(Stage::Starttls, TlsPolicyFailure::NotAdvertised);
            run.quit(false, cfg).await;
            return false;
        }
        return true;
    }
    let w = cfg.wait(rfc_timeouts::OTHER);
    let Some(r) = run.command(Stage::Starttls, &Command::StartTls, w).await else {
        return false;
    };
    if run.code(r) != 220 {
        if cfg.starttls == StartTlsPolicy::Require {
            let code = run.code(r);
            run.policy_unmet(Stage::Starttls, TlsPolicyFailure::Refused { code });
            run.quit(false, cfg).await;
            return false;
        }
        return true;
    }
    if !run.handshake(cfg).await {
        return false;
    }
    let Some(e2) = run.ehlo(cfg).await else {
        return false;
    };
    run.attempt.ehlo_plain = run.attempt.ehlo.replace(e2);
    true
}

/// What a sending MTA does before its transaction: greeting, EHLO, STARTTLS, EHLO.
async fn prelude(run: &mut Run, cfg: &SessionConfig) -> bool {
    if !greeting(run, cfg).await {
        return false;
    }
    let Some(e) = run.ehlo(cfg).await else {
        return false;
    };
    secure(run, cfg, e).await
}

/// MAIL with the probe's reverse-path; true when accepted.
async fn mail(run: &mut Run, cfg: &SessionConfig) -> bool {
    let mail = Command::Mail {
        from: cfg.from.clone(),
        params: vec![],
    };
    match run
        .command(Stage::Mail, &mail, cfg.wait(rfc_timeouts::MAIL))
        .await
    {
        Some(r) if positive(run.code(r)) => true,
        Some(_) => {
            run.note(
                Stage::Mail,
                "MAIL was refused: the test cannot go on".into(),
            );
            run.fail(Outcome::Refused, Stage::Mail);
            run.quit(false, cfg).await;
            false
        }
        None => false,
    }
}

fn first_recipient(cfg: &SessionConfig) -> String {
    cfg.to
        .first()
        .cloned()
        .unwrap_or_else(|| "postmaster".into())
}

/// `pregreet`: EHLO right after connect (or, with `between`, right after a `220-` teaser line),
/// then the greeting, the EHLO reply and, when all went well, MAIL and RCPT as in the probe, to
/// see refusals that come later (postscreen's `enforce` rejects RCPT).
async fn pregreet(cfg: &SessionConfig, main: &Attempt, between: bool) -> Attempt {
    let stage = Stage::Test(ActiveTest::Pregreet.name());
    let mut run = match open(ActiveTest::Pregreet, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if cfg.tls_on_connect && !run.handshake(cfg).await {
        return run.finish();
    }
    let greeting_wait = cfg.wait(rfc_timeouts::GREETING);
    if between {
        match run
            .conn
            .line(Stage::Greeting, greeting_wait, "first greeting line")
            .await
        {
            Wait::Reply(i) if run.conn.record().server_lines[i].is_teaser() => {
                run.note(
                    stage.clone(),
                    "EHLO sent after the 220- teaser, before the final greeting line".into(),
                );
            }
            Wait::Reply(_) => {
                run.note(
                    stage.clone(),
                    "no 220- teaser this time: the greeting came in one line, nothing to test"
                        .into(),
                );
                if greeting_rest(&mut run, cfg).await {
                    run.attempt.outcome = Outcome::Completed;
                    run.quit(false, cfg).await;
                }
                return run.finish();
            }
            Wait::Timeout => {
                run.fail(Outcome::Timeout, Stage::Greeting);
                return run.finish();
            }
            Wait::Closed => {
                run.fail(Outcome::Closed, Stage::Greeting);
                return run.finish();
            }
            Wait::Failed => {
                run.fail(Outcome::IoError, Stage::Greeting);
                return run.finish();
            }
        }
    } else {
        run.note(
            stage.clone(),
            "EHLO sent right after connect, before reading any greeting".into(),
        );
    }
    let ehlo = Command::Ehlo(cfg.helo.clone()).to_wire();
    if !run.conn.write(stage.clone(), &ehlo, 1).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    let from = run.conn.now_us();
    let Some(g) = run
        .await_reply(Stage::Greeting, greeting_wait, "greeting")
        .await
    else {
        return run.finish();
    };
    run.stage_time(Stage::Greeting, from);
    let follow_up = cfg.shorter(FOLLOW_UP_WAIT);
    if !positive(run.code(g)) {
        // Refused: see whether the server also hangs up.
        run.fail(Outcome::Refused, Stage::Greeting);
        if let Wait::Reply(_) = run
            .conn
            .reply(stage, cfg.shorter(SILENCE_WAIT), "reply to the early EHLO")
            .await
        {
            run.quit(false, cfg).await;
        }
        return run.finish();
    }
    let e = match run
        .conn
        .reply(stage.clone(), follow_up, "reply to the early EHLO")
        .await
    {
        Wait::Reply(e) => e,
        Wait::Timeout => {
            run.fail(Outcome::Timeout, stage);
            run.quit(false, cfg).await;
            return run.finish();
        }
        Wait::Closed => {
            run.fail(Outcome::Closed, stage);
            return run.finish();
        }
        Wait::Failed => {
            run.fail(Outcome::IoError, stage);
            return run.finish();
        }
    };
    if !positive(run.code(e)) {
        run.fail(Outcome::Refused, stage);
        run.quit(false, cfg).await;
        return run.finish();
    }
    let result = run.ehlo_result("EHLO", e);
    if !secure(&mut run, cfg, result).await || !mail(&mut run, cfg).await {
        return run.finish();
    }
    let rcpt = Command::Rcpt(first_recipient(cfg));
    if run
        .command(Stage::Rcpt, &rcpt, cfg.wait(rfc_timeouts::RCPT))
        .await
        .is_some()
    {
        run.attempt.outcome = Outcome::Completed;
        run.quit(true, cfg).await;
    }
    run.finish()
}

/// The rest of a greeting whose first line has been read.
async fn greeting_rest(run: &mut Run, cfg: &SessionConfig) -> bool {
    let w = cfg.wait(rfc_timeouts::GREETING);
    match run.await_reply(Stage::Greeting, w, "greeting").await {
        Some(g) if positive(run.code(g)) => true,
        Some(_) => {
            run.fail(Outcome::Refused, Stage::Greeting);
            false
        }
        None => false,
    }
}

/// `pipelining`: MAIL, RCPT, RCPT and NOOP in one write, whether PIPELINING is advertised or
/// not; then every reply is awaited in turn.
async fn pipelining(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::Pipelining.name());
    let mut run = match open(ActiveTest::Pipelining, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await {
        return run.finish();
    }
    let advertised = run
        .attempt
        .ehlo
        .as_ref()
        .is_some_and(|e| e.caps().has("PIPELINING"));
    let first = first_recipient(cfg);
    let second = cfg.to.get(1).cloned().unwrap_or_else(|| first.clone());
    let commands = [
        Command::Mail {
            from: cfg.from.clone(),
            params: vec![],
        },
        Command::Rcpt(first),
        Command::Rcpt(second),
        Command::Noop,
    ];
    let group: Vec<u8> = commands.iter().flat_map(Command::to_wire).collect();
    run.note(
        stage.clone(),
        format!(
            "MAIL, RCPT, RCPT and NOOP in one write; PIPELINING is {}advertised",
            if advertised { "" } else { "not " }
        ),
    );
    if !run
        .conn
        .write(stage.clone(), &group, commands.len() as u16)
        .await
    {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    let mut in_step = true;
    for i in 0..commands.len() {
        let wait = if i == 0 {
            cfg.wait(rfc_timeouts::MAIL)
        } else {
            cfg.shorter(FOLLOW_UP_WAIT)
        };
        let what = format!(
            "reply {} of {} to the pipelined commands",
            i + 1,
            commands.len()
        );
        match run.conn.reply(stage.clone(), wait, &what).await {
            Wait::Reply(_) => {}
            Wait::Timeout => {
                run.fail(Outcome::Timeout, stage.clone());
                in_step = false;
                break;
            }
            Wait::Closed => {
                run.fail(Outcome::Closed, stage);
                return run.finish();
            }
            Wait::Failed => {
                run.fail(Outcome::IoError, stage);
                return run.finish();
            }
        }
    }
    if in_step {
        run.attempt.outcome = Outcome::Completed;
    }
    // Out of step, an RSET reply could not be told from a late one: only QUIT then.
    run.quit(in_step, cfg).await;
    run.finish()
}

/// `starttls-injection`: `STARTTLS\r\nNOOP\r\n` in one write, the handshake, then a read inside
/// TLS without sending anything.
async fn starttls_injection(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::StarttlsInjection.name());
    let mut run = match open(ActiveTest::StarttlsInjection, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !greeting(&mut run, cfg).await {
        return run.finish();
    }
    let Some(e) = run.ehlo(cfg).await else {
        return run.finish();
    };
    let offered = e.caps().has("STARTTLS");
    run.attempt.ehlo = Some(e);
    if cfg.tls_on_connect || !offered {
        run.note(
            stage,
            if cfg.tls_on_connect {
                "the connection is TLS from the start (--tls-on-connect): nothing to test".into()
            } else {
                "STARTTLS is not advertised: nothing to test".into()
            },
        );
        run.attempt.outcome = Outcome::Completed;
        run.quit(false, cfg).await;
        return run.finish();
    }
    run.note(
        stage.clone(),
        "STARTTLS and NOOP in one write: a correct server discards the NOOP when TLS starts".into(),
    );
    let injected = [Command::StartTls.to_wire(), Command::Noop.to_wire()].concat();
    if !run.conn.write(stage.clone(), &injected, 2).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    let Some(r) = run
        .await_reply(
            Stage::Starttls,
            cfg.wait(rfc_timeouts::OTHER),
            "reply to STARTTLS",
        )
        .await
    else {
        return run.finish();
    };
    if run.code(r) != 220 {
        run.note(
            stage,
            "STARTTLS was not answered with 220: nothing to test".into(),
        );
        run.attempt.outcome = Outcome::Completed;
        run.quit(false, cfg).await;
        return run.finish();
    }
    if !run.handshake(cfg).await {
        return run.finish();
    }
    let wait = cfg.shorter(SILENCE_WAIT);
    run.note(
        stage.clone(),
        format!(
            "reading inside TLS for up to {} without sending anything",
            humantime::format_duration(wait)
        ),
    );
    match run
        .conn
        .reply(stage.clone(), wait, "anything inside TLS")
        .await
    {
        Wait::Reply(_) | Wait::Timeout => {
            run.attempt.outcome = Outcome::Completed;
            run.quit(false, cfg).await;
        }
        Wait::Closed => run.fail(Outcome::Closed, stage),
        Wait::Failed => run.fail(Outcome::IoError, stage),
    }
    run.finish()
}

/// The message of one smuggling attempt, ending in `seq` instead of `CRLF.CRLF`.
pub fn smuggling_message(cfg: &SessionConfig, seq: &[u8]) -> Vec<u8> {
    let label = sequence_label(seq);
    let subject = format!("smtpdoctor SMTP smuggling test, end of data {label}");
    let mut m =
        crate::session::message::headers(&cfg.from, &cfg.to, &cfg.helo, &subject).into_bytes();
    m.extend_from_slice(
        format!(
            "This test message was sent by smtpdoctor --test smuggling.\r\n\
             It ends in the non-standard sequence {label} instead of <CR><LF>.<CR><LF>.\r\n\
             If the server answered at once, it took that sequence as the end of the message\r\n\
             (SMTP smuggling, CVE-2023-51764/51765/51766); otherwise the message was completed\r\n\
             properly afterwards and this line is followed by the sequence's bytes.\r\n\
             End of test message"
        )
        .as_bytes(),
    );
    m.extend_from_slice(seq);
    m
}

/// `smuggling`: one message ending in `seq`, on a fresh connection; when the server does not
/// answer within the short wait, the message is completed with `CRLF.CRLF`.
async fn smuggling(cfg: &SessionConfig, main: &Attempt, seq: &[u8]) -> Attempt {
    let stage = Stage::Test(ActiveTest::Smuggling.name());
    let mut run = match open(ActiveTest::Smuggling, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await || !mail(&mut run, cfg).await {
        return run.finish();
    }
    let mut accepted = 0;
    for to in &cfg.to {
        let w = cfg.wait(rfc_timeouts::RCPT);
        let Some(r) = run
            .command(Stage::Rcpt, &Command::Rcpt(to.clone()), w)
            .await
        else {
            return run.finish();
        };
        accepted += usize::from(positive(run.code(r)));
    }
    if accepted == 0 {
        run.note(
            Stage::Rcpt,
            "no recipient was accepted: DATA not sent".into(),
        );
        run.fail(Outcome::Refused, Stage::Rcpt);
        run.quit(true, cfg).await;
        return run.finish();
    }
    let Some(d) = run
        .command(
            Stage::Data,
            &Command::Data,
            cfg.wait(rfc_timeouts::DATA_INIT),
        )
        .await
    else {
        return run.finish();
    };
    if run.code(d) != 354 {
        run.fail(Outcome::Refused, Stage::Data);
        run.quit(true, cfg).await;
        return run.finish();
    }
    let wait = cfg.shorter(SILENCE_WAIT);
    run.note(
        stage.clone(),
        format!(
            "the message ends in {} instead of <CR><LF>.<CR><LF>; waiting up to {} for a reply",
            sequence_label(seq),
            humantime::format_duration(wait)
        ),
    );
    if !run
        .conn
        .write(stage.clone(), &smuggling_message(cfg, seq), 1)
        .await
    {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    match run
        .conn
        .reply(stage.clone(), wait, "reply to the end-of-data sequence")
        .await
    {
        Wait::Reply(_) => {
            run.attempt.outcome = Outcome::Completed;
            run.quit(false, cfg).await;
        }
        Wait::Timeout => {
            run.note(
                stage.clone(),
                "no reply: completing the message with <CR><LF>.<CR><LF> so that the server is left clean"
                    .into(),
            );
            if !run.conn.write(Stage::Data, b"\r\n.\r\n", 1).await {
                run.fail(Outcome::IoError, Stage::Data);
                return run.finish();
            }
            let w = cfg.wait(rfc_timeouts::DATA_END);
            if run
                .await_reply(Stage::Data, w, "reply to the final dot")
                .await
                .is_some()
            {
                run.attempt.outcome = Outcome::Completed;
                run.quit(false, cfg).await;
            }
        }
        Wait::Closed => run.fail(Outcome::Closed, stage),
        Wait::Failed => run.fail(Outcome::IoError, stage),
    }
    run.finish()
}

/// What the smuggling test left behind: how many test messages reached `to`, and how.
pub fn smuggling_note(attempts: &[Attempt], to: &[String]) -> Option<String> {
    let stage = Stage::Test(ActiveTest::Smuggling.name());
    let (mut at_sequence, mut completed) = (0, 0);
    for a in attempts
        .iter()
        .filter(|a| a.test == Some(ActiveTest::Smuggling.name()))
    {
        let rec = &a.record;
        let ok = |s: &Stage| {
            rec.replies
                .iter()
                .any(|r| &r.stage == s && r.code.is_some_and(positive))
        };
        if ok(&stage) {
            at_sequence += 1;
        } else if ok(&Stage::Data) {
            completed += 1;
        }
    }
    if at_sequence + completed == 0 {
        return None;
    }
    Some(format!(
        "the smuggling test delivered {} test message(s) to {}: {at_sequence} ended by a \
         non-standard end-of-data sequence the server accepted, {completed} completed by the \
         probe with <CR><LF>.<CR><LF> after the server waited for more",
        at_sequence + completed,
        to.iter()
            .map(|t| format!("<{}>", crate::wire::escape::escape_str(t)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `bare-lf`: `NOOP` ended by a bare LF.
async fn bare_lf(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::BareLf.name());
    let mut run = match open(ActiveTest::BareLf, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await {
        return run.finish();
    }
    if !run.conn.write(stage.clone(), b"NOOP\n", 1).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    match run
        .conn
        .reply(
            stage.clone(),
            cfg.shorter(SILENCE_WAIT),
            "reply to NOOP<LF>",
        )
        .await
    {
        Wait::Reply(_) => {
            run.attempt.outcome = Outcome::Completed;
            run.quit(false, cfg).await;
        }
        Wait::Timeout => {
            // The server still waits for the end of the line: leave without adding to it.
            run.note(
                stage,
                "no reply: the server does not end a command at a bare LF; closing the connection"
                    .into(),
            );
            run.attempt.outcome = Outcome::Completed;
        }
        Wait::Closed => run.fail(Outcome::Closed, stage),
        Wait::Failed => run.fail(Outcome::IoError, stage),
    }
    run.finish()
}

/// `unknown-command`: an unknown verb, then NOOP to see whether the connection is still up.
async fn unknown_command(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::UnknownCommand.name());
    let mut run = match open(ActiveTest::UnknownCommand, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await {
        return run.finish();
    }
    let w = cfg.wait(rfc_timeouts::OTHER);
    if !run
        .conn
        .write(stage.clone(), format!("{UNKNOWN_VERB}\r\n").as_bytes(), 1)
        .await
    {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    match run
        .conn
        .reply(stage.clone(), w, "reply to the unknown command")
        .await
    {
        Wait::Reply(_) => {}
        Wait::Timeout => {
            run.fail(Outcome::Timeout, stage);
            run.quit(false, cfg).await;
            return run.finish();
        }
        Wait::Closed => {
            run.fail(Outcome::Closed, stage);
            return run.finish();
        }
        Wait::Failed => {
            run.fail(Outcome::IoError, stage);
            return run.finish();
        }
    }
    // Still there? A server that hung up fails the NOOP (write error, end of stream).
    if run
        .conn
        .write(stage.clone(), &Command::Noop.to_wire(), 1)
        .await
    {
        match run.conn.reply(stage.clone(), w, "reply to NOOP").await {
            Wait::Reply(_) => {
                run.attempt.outcome = Outcome::Completed;
                run.quit(false, cfg).await;
            }
            Wait::Timeout => run.fail(Outcome::Timeout, stage),
            Wait::Closed => run.fail(Outcome::Closed, stage),
            Wait::Failed => run.fail(Outcome::IoError, stage),
        }
    } else {
        run.fail(Outcome::IoError, stage);
    }
    run.finish()
}

/// `relay`: for each address form, MAIL, RCPT (never DATA) and RSET.
async fn relay(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::Relay.name());
    let mut run = match open(ActiveTest::Relay, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await {
        return run.finish();
    }
    let first = first_recipient(cfg);
    let local = match first.rsplit_once('@') {
        Some((_, d)) if !d.is_empty() => d.to_string(),
        _ => main.target.host.clone(),
    };
    for (form, address) in relay_addresses(&local) {
        if !mail(&mut run, cfg).await {
            return run.finish();
        }
        run.note(stage.clone(), format!("relay attempt: {form}"));
        let w = cfg.wait(rfc_timeouts::RCPT);
        if run
            .command(stage.clone(), &Command::Rcpt(address), w)
            .await
            .is_none()
        {
            return run.finish();
        }
        let w = cfg.wait(rfc_timeouts::OTHER);
        if run.command(Stage::Quit, &Command::Rset, w).await.is_none() {
            return run.finish();
        }
    }
    run.attempt.outcome = Outcome::Completed;
    run.quit(false, cfg).await;
    run.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::{attempt, read, write};

    #[test]
    fn sequence_labels() {
        assert_eq!(sequence_label(b"\r\n.\n"), "<CR><LF>.<LF>");
        assert_eq!(sequence_label(b"\r\n\x00.\r\n"), "<CR><LF><NUL>.<CR><LF>");
        assert_eq!(sequence_label(b"\x7f"), "<7F>");
    }

    #[test]
    fn smuggling_message_ends_in_its_sequence_only() {
        let cfg = SessionConfig {
            helo: "client.example.test".into(),
            from: String::new(),
            to: vec!["me@example.test".into()],
            starttls: StartTlsPolicy::Auto,
            tls_on_connect: false,
            sni: None,
            roots: std::sync::Arc::new(rustls::RootCertStore::empty()),
            quit_after: crate::config::QuitAfter::Rcpt,
            cap: None,
            live: false,
            message: None,
            scan: None,
        };
        for seq in SMUGGLING_SEQUENCES {
            let m = smuggling_message(&cfg, seq);
            assert!(m.ends_with(seq));
            let body = &m[..m.len() - seq.len()];
            // Standard lines before the sequence, and no end of data among them.
            assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"));
            assert!(!body.windows(3).any(|w| w == b"\n.\n"));
            assert!(!body.ends_with(b"\r") && !body.ends_with(b"\n"));
            assert_eq!(
                crate::wire::probes::smuggling_sequence(&m),
                Some(*seq),
                "{}",
                sequence_label(seq)
            );
            assert!(
                body.split(|&b| b == b'\n').all(|l| l.len() <= 1000),
                "lines within RFC 5321 limits"
            );
        }
    }

    #[test]
    fn tests_run_against_attempts_that_got_through() {
        let greeted = || attempt(vec![read(1, b"220 mx ESMTP\r\n")]);
        let mut refused = attempt(vec![read(1, b"554 go away\r\n")]);
        refused.outcome = Outcome::Refused;
        let mut stopped = greeted();
        stopped.outcome = Outcome::Refused;
        let done = greeted();
        let mut test = greeted();
        test.test = Some("relay");
        assert_eq!(
            bases(&[stopped.clone(), done.clone(), done.clone()]),
            [1, 2]
        );
        // None got through: the last one that was greeted.
        assert_eq!(bases(&[stopped.clone(), refused.clone()]), [0]);
        assert!(bases(&[refused]).is_empty());
        assert!(bases(&[test]).is_empty());
    }

    #[test]
    fn smuggling_note_counts_deliveries() {
        let stage = Stage::Test("smuggling");
        let mut accepted = attempt(vec![
            write(1, stage.clone(), b"x\n.\n"),
            read(2, b"250 queued\r\n"),
        ]);
        accepted.test = Some("smuggling");
        let mut completed = attempt(vec![
            write(1, stage, b"x\r.\r"),
            write(2, Stage::Data, b"\r\n.\r\n"),
            read(3, b"250 queued\r\n"),
        ]);
        completed.test = Some("smuggling");
        let note = smuggling_note(&[accepted, completed], &["me@example.test".into()]).unwrap();
        assert!(
            note.contains("delivered 2 test message(s) to <me@example.test>: 1 "),
            "{note}"
        );
        assert!(smuggling_note(&[], &[]).is_none());
    }
}
