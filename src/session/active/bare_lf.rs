//! `bare-lf`: NOOP ended by a bare LF.

use super::*;

/// `bare-lf`: `NOOP` ended by a bare LF.
pub(super) async fn bare_lf(cfg: &SessionConfig, main: &Attempt) -> Attempt {
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
