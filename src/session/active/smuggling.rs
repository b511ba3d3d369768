//! `smuggling`: messages ending in non-standard end-of-data sequences.

use super::*;

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
pub(super) async fn smuggling(cfg: &SessionConfig, main: &Attempt, seq: &[u8]) -> Attempt {
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
    run.note(
        stage.clone(),
        format!(
            "the message ends in {} instead of <CR><LF>.<CR><LF>; the proper end and QUIT follow \
             in the same write: one reply then QUIT's means the server waited for the proper end",
            sequence_label(seq),
        ),
    );
    let mut write = smuggling_message(cfg, seq);
    write.extend_from_slice(SMUGGLING_TAIL);
    // The message, and QUIT; a server that ended the data early answers the tail too.
    if !run.conn.write(stage.clone(), &write, 4).await {
        run.fail(Outcome::IoError, stage);
        return run.finish();
    }
    replies_to_quit(&mut run, stage, cfg.wait(rfc_timeouts::DATA_END), cfg).await;
    run.finish()
}
