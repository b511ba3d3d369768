//! `relay`: RCPT to foreign domains and old relay tricks (never DATA), RSET after each.

use super::*;

/// `relay`: for each address form, MAIL, RCPT (never DATA) and RSET.
pub(super) async fn relay(cfg: &SessionConfig, main: &Attempt) -> Attempt {
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
