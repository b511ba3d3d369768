//! `bare-lf`: RSET ended by a bare LF.

use super::*;

/// `bare-lf`: `RSET` ended by a bare LF.
pub(super) async fn bare_lf(cfg: &SessionConfig, main: &Attempt) -> Attempt {
    let stage = Stage::Test(ActiveTest::BareLf.name());
    let mut run = match open(ActiveTest::BareLf, cfg, main).await {
        Ok(r) => r,
        Err(a) => return a,
    };
    if !prelude(&mut run, cfg).await {
        return run.finish();
    }
    // A server that ends commands at a bare LF answers RSET, RSET and QUIT; one that waits
    // for CRLF answers the one line `RSET<LF>RSET` and QUIT.
    if !run.conn.write(stage.clone(), BARE_LF_TEST, 3).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    replies_to_quit(&mut run, stage, cfg.wait(rfc_timeouts::OTHER), cfg).await;
    run.finish()
}
