//! `unknown-command`: an unknown verb; does the server hang up?

use super::*;

/// `unknown-command`: an unknown verb, then NOOP to see whether the connection is still up.
pub(super) async fn unknown_command(cfg: &SessionConfig, main: &Attempt) -> Attempt {
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
