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
