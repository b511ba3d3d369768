//! TCP connect failures and connections the server dropped without a 421 (RFC 5321 §3.8).

use crate::checks::{Anchor, Finding};
use crate::record::Stage;
use crate::record::attempt::{Attempt, Outcome};
use crate::record::{ConnectFailure, EventKind};

/// Connect and drop findings.
pub fn check(a: &Attempt) -> Vec<Finding> {
    let rec = &a.record;
    let mut out = Vec::new();
    // The address each failure is about: the one being connected to (a proxy tries the
    // upstream's addresses in turn), else the attempt's.
    let mut addr = a.target.addr;
    for e in &rec.events {
        if let EventKind::Connecting { addr: tried } = &e.kind {
            addr = *tried;
        }
        if let EventKind::ConnectFailed { failure, message } = &e.kind {
            let (id, what) = match failure {
                ConnectFailure::Refused => ("connect-refused", "refused the connection"),
                ConnectFailure::Timeout => ("connect-timeout", "did not answer the connection"),
                _ => ("connect-unreachable", "is unreachable"),
            };
            out.push(Finding::new(
                id,
                Stage::Connect,
                Anchor::None,
                format!("{} {what}", addr),
                if *failure == ConnectFailure::Refused {
                    // The port the probe used, in the command the fix names.
                    format!(
                        "{message} (after {:.1} ms); on the server, `ss -ltnp 'sport = :{}'` shows whether anything listens",
                        e.at_us as f64 / 1000.0,
                        addr.port()
                    )
                } else {
                    format!("{message} (after {:.1} ms)", e.at_us as f64 / 1000.0)
                },
            ));
        }
    }
    let dropped = matches!(a.outcome, Outcome::Closed | Outcome::IoError)
        && !matches!(
            a.failed_stage,
            Some(Stage::Rset) | Some(Stage::Quit) | Some(Stage::Connect) | None
        );
    if dropped {
        let last_code = rec.replies.last().and_then(|r| r.code);
        if last_code != Some(421) {
            let stage = a.failed_stage.clone().unwrap_or(Stage::Greeting);
            let ev = rec
                .events
                .iter()
                .rposition(|e| matches!(e.kind, EventKind::Eof { .. } | EventKind::IoError { .. }));
            let how = ev
                .and_then(|i| match &rec.events[i].kind {
                    EventKind::IoError { message, .. } => Some(message.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "the server closed the connection (FIN)".into());
            out.push(Finding::new(
                "close-without-421",
                stage.clone(),
                ev.map_or(Anchor::None, Anchor::Event),
                format!("connection lost during {stage} without a 421 reply"),
                how,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::*;

    #[test]
    fn refused_connect() {
        let mut a = attempt(vec![]);
        a.record.events.truncate(1);
        a.record.push(
            100,
            EventKind::ConnectFailed {
                failure: ConnectFailure::Refused,
                message: "Connection refused (os error 111)".into(),
            },
        );
        a.outcome = Outcome::ConnectFailed;
        a.failed_stage = Some(Stage::Connect);
        a.target.addr = "127.0.0.1:2525".parse().unwrap();
        if let EventKind::Connecting { addr } = &mut a.record.events[0].kind {
            *addr = a.target.addr;
        }
        let f = check(&a);
        assert_eq!(ids(&f), vec!["connect-refused"]);
        // The command names the port that was probed, not 25.
        assert!(f[0].detail.contains("'sport = :2525'"), "{}", f[0].detail);
        // Each failure names the address being connected to (a proxy tries several).
        let other: std::net::SocketAddr = "[::1]:2526".parse().unwrap();
        a.record
            .events
            .insert(1, ev(50, EventKind::Connecting { addr: other }));
        let f = check(&a);
        assert!(
            f[0].summary.starts_with("[::1]:2526 refused"),
            "{}",
            f[0].summary
        );
        assert!(f[0].detail.contains("'sport = :2526'"), "{}", f[0].detail);
    }

    #[test]
    fn drop_after_ehlo_without_421() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            ev(
                3,
                EventKind::Eof {
                    from: crate::record::Peer::Server,
                    tls: false,
                },
            ),
        ]);
        a.outcome = Outcome::Closed;
        a.failed_stage = Some(Stage::Ehlo);
        let f = check(&a);
        assert_eq!(ids(&f), vec!["close-without-421"]);
        assert_eq!(f[0].stage, Stage::Ehlo);
    }

    #[test]
    fn drop_after_421_is_fine() {
        let mut a = attempt(vec![
            read(1, b"220 mx\r\n"),
            write(2, Stage::Ehlo, b"EHLO me\r\n"),
            read(3, b"421 bye\r\n"),
            ev(
                3,
                EventKind::Eof {
                    from: crate::record::Peer::Server,
                    tls: false,
                },
            ),
        ]);
        a.outcome = Outcome::Closed;
        a.failed_stage = Some(Stage::Mail);
        assert!(check(&a).is_empty());
    }
}
