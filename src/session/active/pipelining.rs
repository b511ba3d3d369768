//! `pipelining`: MAIL, RCPT, RCPT and NOOP in one write, advertised or not.

use super::*;

/// `pipelining`: MAIL, RCPT, RCPT and NOOP in one write, whether PIPELINING is advertised or
/// not; then every reply is awaited in turn.
pub(super) async fn pipelining(cfg: &SessionConfig, main: &Attempt) -> Attempt {
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
