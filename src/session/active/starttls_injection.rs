//! `starttls-injection`: STARTTLS and NOOP in one write; a NOOP reply inside TLS is CVE-2011-0411.

use super::*;

/// `starttls-injection`: `STARTTLS\r\nNOOP\r\n` in one write, the handshake, then a read inside
/// TLS without sending anything.
pub(super) async fn starttls_injection(cfg: &SessionConfig, main: &Attempt) -> Attempt {
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
    run.note(
        stage.clone(),
        "NOOP and QUIT inside TLS at once: a server that executed the injected NOOP answers it first"
            .into(),
    );
    if !run.conn.write(stage.clone(), INJECTION_FOLLOW_UP, 2).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    replies_to_quit(&mut run, stage, cfg.wait(rfc_timeouts::OTHER), cfg).await;
    run.finish()
}
