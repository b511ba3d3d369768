//! A hand-built report with hostile bytes that reaches every part of the model, for tests.

use crate::checks::testkit::{attempt, ev, read, write};
use crate::checks::{Anchor, Finding};
use crate::record::attempt::{DataResult, EhloResult, Outcome, StageTime};
use crate::record::tls::{CertInfo, TlsInfo, Verification};
use crate::record::{ConnectFailure, Event, EventKind, Peer, Stage};
use crate::report::{PlanEntry, Report};

/// A read inside TLS.
fn tls_read(at_ms: u64, bytes: &[u8]) -> Event {
    Event {
        at_us: at_ms * 1000,
        kind: EventKind::Read {
            from: Peer::Server,
            tls: true,
            bytes: bytes.to_vec(),
            len: bytes.len(),
        },
    }
}

/// A probe with DNS, a skipped host, one full attempt (TLS, DATA, limits, every kind of local
/// event, server text with escape sequences, bidi controls and invalid UTF-8), an active test
/// and a refused connect, with findings placed and unplaced.
pub fn hostile_report() -> Report {
    let mut long = b"250-".to_vec();
    long.extend(std::iter::repeat_n(b'y', 5000));
    long.extend_from_slice(b"\r\n250 ok\r\n");
    let mut a = attempt(vec![
        read(1, b"220 mx \x1b[31m\xff \xe2\x80\xae \\"),
        read(5, " Grüße\r\n".as_bytes()),
        write(6, Stage::Ehlo, b"EHLO me\r\nNOOP\nHALF"),
        write(7, Stage::Ehlo, b" LINE\r"),
        read(8, b"250-mx\r\n250-SIZE 10\r250 STARTTLS\r\n"),
        write(9, Stage::Starttls, b"STARTTLS\r\n"),
        read(10, b"220 go\r\n"),
        ev(11, EventKind::PlaintextDiscarded { len: 12 }),
        ev(
            12,
            EventKind::TlsHandshake {
                ok: true,
                message: "TLSv1.3 \x1b]0;x\x07".into(),
            },
        ),
        tls_read(14, &long),
        ev(
            16,
            EventKind::Note {
                stage: Stage::Data,
                message: "note \x1b[2J with \\ and \u{200b}".into(),
            },
        ),
        ev(
            17,
            EventKind::DataSent {
                bytes: 123_456,
                content_bytes: 120_000,
                elapsed_us: 7890,
                slowest_write_us: 12,
            },
        ),
        ev(
            18,
            EventKind::Timeout {
                stage: Stage::Data,
                waited_ms: 65_432,
            },
        ),
        ev(
            19,
            EventKind::IoError {
                stage: Stage::Quit,
                kind: std::io::ErrorKind::ConnectionReset,
                message: "reset \x1b by peer".into(),
            },
        ),
        ev(
            21,
            EventKind::Eof {
                from: Peer::Server,
                tls: true,
            },
        ),
    ]);
    a.stages = vec![
        StageTime {
            stage: Stage::Connect,
            duration_ms: 1.23456,
        },
        StageTime {
            stage: Stage::Ehlo,
            duration_ms: 0.2,
        },
    ];
    a.duration_ms = 12.345_678_9;
    let ehlo = |server_name: &str| EhloResult {
        verb: "EHLO",
        server_name: server_name.into(),
        capabilities: vec![crate::wire::ehlo::Capability {
            keyword: "SIZE".into(),
            params: vec!["10".into()],
        }],
        reply: 0,
        tls: false,
    };
    a.ehlo = Some(ehlo("mx\u{202e}"));
    a.ehlo_plain = Some(ehlo("mx"));
    a.tls = Some(TlsInfo {
        version: "TLSv1.3".into(),
        cipher: "TLS13_AES_256_GCM_SHA384".into(),
        sni: Some("mx.\x1bexample".into()),
        chain: vec![CertInfo {
            subject: "CN=mx\u{202e}".into(),
            issuer: "CN=ca".into(),
            not_before: "2020-01-01T00:00:00Z".into(),
            not_after: "2030-01-01T00:00:00Z".into(),
            not_after_unix: 1_893_456_000,
            sans: vec!["mx.example.test".into()],
            der_len: 1234,
        }],
        verification: Verification {
            trusted: false,
            name_ok: true,
            name: "mx.example.test".into(),
            time_ok: true,
            errors: vec!["untrusted".into()],
        },
    });
    a.ptr = Some(crate::record::dns::PtrResult {
        names: vec!["p.example".into()],
        confirmed: true,
        error: None,
    });
    a.data = Some(DataResult {
        bytes_sent: 100,
        content_bytes: 90,
        data_reply_ms: Some(1.5),
        queue_id: Some("Q\x1bID".into()),
        ..DataResult::default()
    });
    a.outcome = Outcome::Timeout;
    a.failed_stage = Some(Stage::Data);
    let mut test = attempt(vec![
        read(1, b"220 b\r\n"),
        write(2, Stage::Test("bare-lf"), b"NOOP\n"),
    ]);
    test.test = Some("bare-lf");
    let mut refused = attempt(vec![]);
    refused.record.events.truncate(1);
    refused.record.events.push(ev(
        3,
        EventKind::ConnectFailed {
            failure: ConnectFailure::Refused,
            message: "refused \x1b".into(),
        },
    ));
    refused.outcome = Outcome::ConnectFailed;
    refused.failed_stage = Some(Stage::Connect);
    let finding = |id, stage, anchor, attempt| {
        let mut f = Finding::new(id, stage, anchor, "sum \x1b \u{202e}", "det \\r\\n");
        f.attempt = attempt;
        f
    };
    let findings = vec![
        finding("greeting-slow", Stage::Dns, Anchor::None, None),
        finding("reply-bare-cr", Stage::Ehlo, Anchor::Line(2), Some(0)),
        finding(
            "greeting-fragmented",
            Stage::Greeting,
            Anchor::Line(0),
            Some(0),
        ),
        finding("tls-cert-untrusted", Stage::Tls, Anchor::None, Some(0)),
        finding(
            "bare-lf-accepted",
            Stage::Test("bare-lf"),
            Anchor::Event(3),
            Some(1),
        ),
        finding("connect-refused", Stage::Connect, Anchor::None, Some(2)),
    ];
    let dns = crate::record::dns::DnsReport {
        query: "example.test".into(),
        resolver: "system".into(),
        mx: vec![crate::record::dns::MxHost {
            preference: 10,
            exchange: "mx.example.test".into(),
            addresses: vec!["127.0.0.1".parse().unwrap()],
            ip_literal: false,
            cname: None,
            error: None,
        }],
        implicit: false,
        null_mx: false,
        null_mx_with_others: false,
        error: None,
        duration_ms: 3.25,
    };
    Report {
        target: "ex\x1bample.test".into(),
        started_at: std::time::SystemTime::UNIX_EPOCH,
        duration_ms: 99.999_99,
        dns: Some(dns),
        plan: vec![
            PlanEntry {
                address: Some("127.0.0.1".parse().unwrap()),
                attempt: Some(0),
                host: "mx.example.test".into(),
                preference: Some(10),
                skipped: None,
            },
            PlanEntry {
                address: None,
                attempt: None,
                host: "mx2\u{202e}".into(),
                preference: Some(20),
                skipped: Some("no \x1b address".into()),
            },
        ],
        attempts: vec![a, test, refused],
        findings,
        aimed: "rcpt",
        notes: vec!["a note \x1b".into()],
        interrupted: false,
    }
}
