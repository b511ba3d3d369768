//! `relay`: a catch-all check, then RCPT to foreign domains and old relay tricks (never DATA),
//! RSET after each.

use super::*;
use crate::wire::probes::relay_catch_all_address;

/// `relay`: first RCPT to a random local part at the local domain (does the server accept any
/// local part?), then for each address form MAIL, RCPT (never DATA) and RSET.
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
    let suffix = format!("{:08x}", rand::random::<u32>());
    let catch_all = (
        "catch-all check: a local part that cannot exist at the local domain; a server that \
         accepts it delivers the percent hack, bang path and quoted forms locally too"
            .to_string(),
        relay_catch_all_address(&local, &suffix),
    );
    let forms = relay_addresses(&local)
        .into_iter()
        .map(|(form, address)| (format!("relay attempt: {form}"), address));
    for (note, address) in std::iter::once(catch_all).chain(forms) {
        if !mail(&mut run, cfg).await {
            return run.finish();
        }
        run.note(stage.clone(), note);
        let w = cfg.wait(rfc_timeouts::RCPT);
        if run
            .command(stage.clone(), &Command::Rcpt(address), w)
            .await
            .is_none()
        {
            return run.finish();
        }
        let w = cfg.wait(rfc_timeouts::OTHER);
        if run.command(Stage::Rset, &Command::Rset, w).await.is_none() {
            return run.finish();
        }
    }
    run.attempt.outcome = Outcome::Completed;
    run.quit(false, cfg).await;
    run.finish()
}
