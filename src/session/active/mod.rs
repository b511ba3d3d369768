//! The opt-in active tests (`--test`, SPEC §4): each opens its own connection to the address
//! the probe used, sends something unusual on purpose and records every byte like any attempt.
//! The attempts carry their test's name; the checks judge them later.

mod bare_lf;
mod pipelining;
mod pregreet;
mod relay;
mod smuggling;
mod starttls_injection;
mod unknown_command;

pub use smuggling::smuggling_message;

use crate::config::{ActiveTest, StartTlsPolicy};
use crate::record::Stage;
use crate::record::decision::TlsPolicyFailure;
use crate::session::{self, Attempt, Outcome, Run, SessionConfig, Wait, rfc_timeouts};
use crate::wire::command::Command;
use crate::wire::probes::{
    BARE_LF_TEST, INJECTION_FOLLOW_UP, SMUGGLING_SEQUENCES, SMUGGLING_TAIL, UNKNOWN_VERB,
    relay_addresses, sequence_label,
};
use std::time::Duration;

/// Where silence is a possible answer (after a non-standard end of data, inside TLS after the
/// STARTTLS injection, after `NOOP<LF>`): wait this long, or `--timeout` when it is shorter.
pub const SILENCE_WAIT: Duration = Duration::from_secs(5);
/// A reply that should follow at once once the server has spoken (the replies after the first
/// to pipelined commands, the reply to an early EHLO after the greeting): wait this long, or
/// `--timeout` when it is shorter. A real MTA would wait five minutes; a diagnostic need not.
pub const FOLLOW_UP_WAIT: Duration = Duration::from_secs(30);

/// Replies taken after a write that ends in QUIT, at most: a server cannot keep a test busy
/// by answering forever.
const MAX_REPLIES_TO_QUIT: usize = 16;

/// After a write that ends in QUIT: takes every reply up to QUIT's (or the close), so that a
/// test is decided by the replies that always come, never by waiting on silence. `first` is
/// the wait for the first reply; the later ones follow at once. Returns whether QUIT was
/// answered; the outcome is set either way.
pub(super) async fn replies_to_quit(
    run: &mut Run,
    stage: Stage,
    first: Duration,
    cfg: &SessionConfig,
) -> bool {
    run.attempt.quit_sent = true;
    let mut wait = first;
    for _ in 0..MAX_REPLIES_TO_QUIT {
        match run
            .conn
            .reply(stage.clone(), wait, "the replies up to QUIT's")
            .await
        {
            Wait::Reply(i) if run.code(i) == 221 => {
                run.attempt.quit_reply = Some(i);
                run.attempt.outcome = Outcome::Completed;
                return true;
            }
            Wait::Reply(_) => wait = cfg.shorter(FOLLOW_UP_WAIT),
            Wait::Timeout => {
                run.fail(Outcome::Timeout, stage);
                return false;
            }
            Wait::Closed => {
                run.fail(Outcome::Closed, stage);
                return false;
            }
            Wait::Failed => {
                run.fail(Outcome::IoError, stage);
                return false;
            }
        }
    }
    run.fail(Outcome::BadReply, stage);
    false
}

/// Which attempts the active tests run against: every attempt of the probe that got through,
/// else the last one that was greeted with 2xx. Empty when no server was usable.
pub fn bases(attempts: &[Attempt]) -> Vec<usize> {
    let own = |a: &&Attempt| a.test.is_none();
    let done: Vec<usize> = attempts
        .iter()
        .enumerate()
        .filter(|(_, a)| own(a) && a.completed())
        .map(|(i, _)| i)
        .collect();
    if !done.is_empty() {
        return done;
    }
    attempts
        .iter()
        .enumerate()
        .rev()
        .find(|(_, a)| {
            own(a)
                && a.record
                    .last_reply(&Stage::Greeting)
                    .and_then(|r| r.code)
                    .is_some_and(|c| (200..300).contains(&c))
        })
        .map(|(i, _)| vec![i])
        .unwrap_or_default()
}

/// The configuration the active tests use against `main`: they do what the probe's own
/// dialogue did to get through. When that was a plaintext retry (its STARTTLS handshake had
/// failed, so an MTA with opportunistic TLS delivers without STARTTLS), the tests go without
/// STARTTLS too; otherwise each would stop at the same failed handshake and test nothing.
pub fn config_for(cfg: &SessionConfig, main: &Attempt) -> SessionConfig {
    let mut c = cfg.clone();
    if main.plaintext_retry_of.is_some() {
        c.starttls = StartTlsPolicy::Never;
    }
    c
}

/// Runs one active test against the address of `main` (an attempt of the probe), configured
/// by [`config_for`]. Most tests make one attempt; `pregreet` makes a second one when the
/// server greets with a `220-` teaser, and `smuggling` one per end-of-data sequence.
pub async fn run(test: ActiveTest, cfg: &SessionConfig, main: &Attempt) -> Vec<Attempt> {
    let cfg = &config_for(cfg, main);
    match test {
        ActiveTest::Pregreet => {
            let first = pregreet::pregreet(cfg, main, false).await;
            let teaser = main.record.greeting_teaser() || first.record.greeting_teaser();
            let mut out = vec![first];
            if teaser {
                out.push(pregreet::pregreet(cfg, main, true).await);
            }
            out
        }
        ActiveTest::Pipelining => vec![pipelining::pipelining(cfg, main).await],
        ActiveTest::StarttlsInjection => {
            vec![starttls_injection::starttls_injection(cfg, main).await]
        }
        ActiveTest::Smuggling => {
            let mut out = Vec::with_capacity(SMUGGLING_SEQUENCES.len());
            for seq in SMUGGLING_SEQUENCES {
                out.push(smuggling::smuggling(cfg, main, seq).await);
            }
            out
        }
        ActiveTest::BareLf => vec![bare_lf::bare_lf(cfg, main).await],
        ActiveTest::UnknownCommand => vec![unknown_command::unknown_command(cfg, main).await],
        ActiveTest::Relay => vec![relay::relay(cfg, main).await],
    }
}

pub(super) async fn open(
    test: ActiveTest,
    cfg: &SessionConfig,
    main: &Attempt,
) -> Result<Run, Attempt> {
    // Each test connection keeps a quarter of a probe's budget: even the seven smuggling
    // connections stay within bounds together.
    session::open(
        main.target.clone(),
        cfg,
        Some(test.name()),
        crate::record::Budget::default().fraction(4),
    )
    .await
}

pub(super) fn positive(code: u16) -> bool {
    (200..300).contains(&code)
}

/// The greeting, as a sending MTA waits for it. False when the dialogue cannot go on.
pub(super) async fn greeting(run: &mut Run, cfg: &SessionConfig) -> bool {
    if cfg.tls_on_connect && !run.handshake(cfg).await {
        return false;
    }
    let from = run.conn.now_us();
    let w = cfg.wait(rfc_timeouts::GREETING);
    let Some(g) = run.await_reply(Stage::Greeting, w, "greeting").await else {
        return false;
    };
    run.stage_time(Stage::Greeting, from);
    let code = run.code(g);
    if !positive(code) {
        run.fail(Outcome::Refused, Stage::Greeting);
        if code != 421 {
            run.quit(false, cfg).await;
        }
        return false;
    }
    true
}

/// After a successful EHLO: STARTTLS as the probe's policy says, and EHLO again inside TLS.
pub(super) async fn secure(run: &mut Run, cfg: &SessionConfig, ehlo: session::EhloResult) -> bool {
    let offered = ehlo.caps().has("STARTTLS");
    run.attempt.ehlo = Some(ehlo);
    if cfg.tls_on_connect || cfg.starttls == StartTlsPolicy::Never {
        return true;
    }
    if !offered {
        if cfg.starttls == StartTlsPolicy::Require {
            run.policy_unmet(Stage::Starttls, TlsPolicyFailure::NotAdvertised);
            run.quit(false, cfg).await;
            return false;
        }
        return true;
    }
    let w = cfg.wait(rfc_timeouts::OTHER);
    let Some(r) = run.command(Stage::Starttls, &Command::StartTls, w).await else {
        return false;
    };
    if run.code(r) != 220 {
        if cfg.starttls == StartTlsPolicy::Require {
            let code = run.code(r);
            run.policy_unmet(Stage::Starttls, TlsPolicyFailure::Refused { code });
            run.quit(false, cfg).await;
            return false;
        }
        return true;
    }
    if !run.handshake(cfg).await {
        return false;
    }
    let Some(e2) = run.ehlo(cfg).await else {
        return false;
    };
    run.attempt.ehlo_plain = run.attempt.ehlo.replace(e2);
    true
}

/// What a sending MTA does before its transaction: greeting, EHLO, STARTTLS, EHLO.
pub(super) async fn prelude(run: &mut Run, cfg: &SessionConfig) -> bool {
    if !greeting(run, cfg).await {
        return false;
    }
    let Some(e) = run.ehlo(cfg).await else {
        return false;
    };
    secure(run, cfg, e).await
}

/// MAIL with the probe's reverse-path; true when accepted.
pub(super) async fn mail(run: &mut Run, cfg: &SessionConfig) -> bool {
    let mail = Command::Mail {
        from: cfg.from.clone(),
        params: vec![],
    };
    match run
        .command(Stage::Mail, &mail, cfg.wait(rfc_timeouts::MAIL))
        .await
    {
        Some(r) if positive(run.code(r)) => true,
        Some(_) => {
            run.note(
                Stage::Mail,
                "MAIL was refused: the test cannot go on".into(),
            );
            run.fail(Outcome::Refused, Stage::Mail);
            run.quit(false, cfg).await;
            false
        }
        None => false,
    }
}

pub(super) fn first_recipient(cfg: &SessionConfig) -> String {
    cfg.to
        .first()
        .cloned()
        .unwrap_or_else(|| "postmaster".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::{attempt, read};

    #[test]
    fn sequence_labels() {
        assert_eq!(sequence_label(b"\r\n.\n"), "<CR><LF>.<LF>");
        assert_eq!(sequence_label(b"\r\n\x00.\r\n"), "<CR><LF><NUL>.<CR><LF>");
        assert_eq!(sequence_label(b"\x7f"), "<7F>");
    }

    #[test]
    fn smuggling_message_ends_in_its_sequence_only() {
        let cfg = SessionConfig {
            helo: "client.example.test".into(),
            from: String::new(),
            to: vec!["me@example.test".into()],
            starttls: StartTlsPolicy::Auto,
            tls_on_connect: false,
            sni: None,
            roots: std::sync::Arc::new(rustls::RootCertStore::empty()),
            quit_after: crate::config::QuitAfter::Rcpt,
            no_pipelining: false,
            cap: None,
            live: false,
            echo: None,
            message: None,
            scan: None,
            controls: Default::default(),
        };
        for seq in SMUGGLING_SEQUENCES {
            let m = smuggling_message(&cfg, seq);
            assert!(m.ends_with(seq));
            let body = &m[..m.len() - seq.len()];
            // Standard lines before the sequence, and no end of data among them.
            assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"));
            assert!(!body.windows(3).any(|w| w == b"\n.\n"));
            assert!(!body.ends_with(b"\r") && !body.ends_with(b"\n"));
            assert_eq!(
                crate::wire::probes::smuggling_sequence(&m),
                Some(*seq),
                "{}",
                sequence_label(seq)
            );
            assert!(
                body.split(|&b| b == b'\n').all(|l| l.len() <= 1000),
                "lines within RFC 5321 limits"
            );
        }
    }

    #[test]
    fn tests_run_against_attempts_that_got_through() {
        let greeted = || attempt(vec![read(1, b"220 mx ESMTP\r\n")]);
        let mut refused = attempt(vec![read(1, b"554 go away\r\n")]);
        refused.outcome = Outcome::Refused;
        let mut stopped = greeted();
        stopped.outcome = Outcome::Refused;
        let done = greeted();
        let mut test = greeted();
        test.test = Some("relay");
        assert_eq!(
            bases(&[stopped.clone(), done.clone(), done.clone()]),
            [1, 2]
        );
        // None got through: the last one that was greeted.
        assert_eq!(bases(&[stopped.clone(), refused.clone()]), [0]);
        assert!(bases(&[refused]).is_empty());
        assert!(bases(&[test]).is_empty());
    }
}
