//! `pregreet`: an EHLO before the greeting (or between a `220-` teaser and the final line).

use super::*;

/// `pregreet`: EHLO right after connect (or, with `between`, right after a `220-` teaser line),
/// then the greeting, the EHLO reply and, when all went well, MAIL and RCPT as in the probe, to
/// see refusals that come later (postscreen's `enforce` rejects RCPT).
pub(super) async fn pregreet(cfg: &SessionConfig, main: &Attempt, between: bool) -> Attempt {
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
pub(super) async fn greeting_rest(run: &mut Run, cfg: &SessionConfig) -> bool {
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
