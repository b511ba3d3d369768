//! Tests of the scripted server as a judge of clients: early bytes recorded at their time, holds that end when the client leaves, messages, duplicates, AUTH.

use super::tests::{WAIT, chat, expect, expect_eof, next_record, scenario, send, tls_connect};
use super::*;
use crate::record::{EventKind, Peer};
use crate::wire::request::Verb;
use tokio::io::AsyncReadExt;
use tokio::time::timeout;

/// Index of the first event matching `f`.
fn position(rec: &Record, f: impl Fn(&EventKind) -> bool) -> usize {
    rec.events
        .iter()
        .position(|e| f(&e.kind))
        .expect("no such event")
}

fn is_client_read(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::Read {
            from: Peer::Client,
            ..
        }
    )
}

/// Regression: during a short sleep the mock did not read, so a HELO written before the end
/// of a fragmented greeting was recorded only after it, at the time the mock read it.
#[tokio::test]
async fn bytes_sent_during_a_sleep_are_recorded_when_they_arrive() {
    let (addr, _server, mut records) = spawn_recorded(scenario("greeting-fragmented"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, b"220 mx.demo.test ").await;
    send(&mut s, b"HELO client.test\r\n").await;
    expect(&mut s, b"ESMTP smtpdoctor-mock\r\n").await;
    expect(&mut s, HELO_OK).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    drop(s);
    let rec = next_record(&mut records).await.record;
    let read = position(&rec, is_client_read);
    let writes: Vec<usize> = rec
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.kind, EventKind::Write { .. }))
        .map(|(i, _)| i)
        .collect();
    assert!(
        writes[0] < read && read < writes[1],
        "the HELO read lies between the greeting's two writes: {:?}",
        rec.events
    );
    assert!(rec.events[read].at_us < rec.events[writes[1]].at_us);
    assert_eq!(rec.client_lines[0].verb(), Some(Verb::Helo));
    assert!(
        !rec.client_lines[0].discarded,
        "it was answered after the greeting"
    );
}

/// The hold of the dot reply ends as soon as the client leaves: the record comes at once, the
/// message counts as accepted (the server would have queued it), its reply was not written.
#[tokio::test]
async fn a_client_that_leaves_during_the_dot_hold_ends_the_connection_at_once() {
    let options = ServeOptions {
        hold: Some(Duration::from_secs(60)),
        ..ServeOptions::default()
    };
    let (addr, _server, mut records) = spawn_recorded_with(scenario("client-dot-hold"), options)
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
    send(
        &mut s,
        b"Message-ID: <hold@client.test>\r\n\r\nhello\r\n.\r\nQUIT\r\n",
    )
    .await;
    let mut b = [0u8; 64];
    assert!(
        timeout(Duration::from_millis(500), s.read(&mut b))
            .await
            .is_err(),
        "nothing is answered while the reply is held, not even QUIT"
    );
    let left = std::time::Instant::now();
    drop(s);
    let rec = next_record(&mut records).await;
    assert!(
        left.elapsed() < Duration::from_secs(2),
        "{:?}",
        left.elapsed()
    );
    let m = &rec.record.client.messages;
    assert_eq!(m.len(), 1);
    assert!(m[0].accepted && !m[0].reply_written);
    assert_eq!(m[0].message_id.as_deref(), Some("hold@client.test"));
    assert_eq!(m[0].stats.content_size, 41);
    let quit = rec.record.client_lines.last().expect("QUIT");
    assert_eq!((quit.verb(), quit.discarded), (Some(Verb::Quit), true));
}

/// `--hold` shortens the hold; after it the message is accepted and the pending QUIT answered.
#[tokio::test]
async fn after_the_hold_the_message_is_accepted() {
    let options = ServeOptions {
        hold: Some(Duration::from_millis(300)),
        ..ServeOptions::default()
    };
    let (addr, _server, mut records) = spawn_recorded_with(scenario("client-dot-hold"), options)
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    send(
        &mut s,
        b"EHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n",
    )
    .await;
    expect(&mut s, &[EHLO_PLAIN, MAIL_OK, RCPT_OK, DATA_GO].concat()).await;
    let started = tokio::time::Instant::now();
    send(&mut s, b"hi\r\n.\r\nQUIT\r\n").await;
    expect(&mut s, QUEUED).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    expect(&mut s, BYE).await;
    expect_eof(&mut s).await;
    drop(s);
    let m = next_record(&mut records).await.record.client.messages;
    assert!(m[0].accepted && m[0].reply_written);
}

async fn deliver(addr: SocketAddr, message: &[u8]) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO c.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
    chat(&mut s, message, QUEUED).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn a_message_that_arrives_again_is_a_recorded_duplicate() {
    let (addr, _server, mut records) = spawn_recorded(scenario("clean")).await.expect("spawn");
    let with_id = b"Message-ID: <twice@c.test>\r\n\r\nbody\r\n.\r\n";
    let without = b"Subject: no id\r\n\r\n..stuffed\r\n.\r\n";
    for (i, m) in [&with_id[..], without, with_id, without].iter().enumerate() {
        deliver(addr, m).await;
        let rec = next_record(&mut records).await;
        assert_eq!(rec.n, i as u64 + 1);
        let dup = rec.record.client.messages[0].duplicate_of.clone();
        let events = rec
            .record
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::DuplicateMessage { .. }))
            .count();
        match i {
            0 | 1 => assert!(dup.is_none() && events == 0, "{i}"),
            2 => {
                let d = dup.expect("duplicate");
                assert_eq!(
                    (d.connection, d.message_id.as_deref()),
                    (1, Some("twice@c.test"))
                );
                assert_eq!(events, 1);
            }
            _ => {
                let d = dup.expect("duplicate");
                assert_eq!((d.connection, d.message_id), (2, None));
            }
        }
    }
}

/// AUTH inside TLS (client-strict): PLAIN with an initial response and LOGIN with two
/// challenges; every credential is redacted in the record. Outside TLS AUTH gets 538.
#[tokio::test]
async fn auth_in_client_strict_is_recorded_redacted() {
    let (addr, _server, mut records) = spawn_recorded(scenario("client-strict"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    send(&mut s, b"EHLO c.test\r\n").await;
    let mut b = vec![0u8; 512];
    let n = timeout(WAIT, s.read(&mut b)).await.unwrap().unwrap();
    let ehlo = String::from_utf8_lossy(&b[..n]).into_owned();
    assert!(
        ehlo.contains("250 STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    chat(
        &mut s,
        b"AUTH PLAIN AGEAYg==\r\n",
        b"538 5.7.11 Encryption required for requested authentication mechanism\r\n",
    )
    .await;
    chat(&mut s, b"STARTTLS\r\n", STARTTLS_READY).await;
    let mut t = tls_connect(s, HOSTNAME).await.expect("handshake");
    send(&mut t, b"EHLO c.test\r\n").await;
    let n = timeout(WAIT, t.read(&mut b)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&b[..n]).contains("250 AUTH PLAIN LOGIN"));
    chat(&mut t, b"AUTH LOGIN\r\n", b"334 VXNlcm5hbWU6\r\n").await;
    chat(&mut t, b"YWxpY2U=\r\n", b"334 UGFzc3dvcmQ6\r\n").await;
    chat(
        &mut t,
        b"c2VjcmV0\r\n",
        b"235 2.7.0 Authentication successful\r\n",
    )
    .await;
    chat(
        &mut t,
        b"AUTH PLAIN AGEAYg==\r\n",
        b"503 5.5.1 Error: already authenticated\r\n",
    )
    .await;
    chat(&mut t, b"QUIT\r\n", BYE).await;
    drop(t);
    let rec = next_record(&mut records).await.record;
    let lines: Vec<String> = rec
        .client_lines
        .iter()
        .map(|l| String::from_utf8_lossy(&l.content).into_owned())
        .collect();
    assert_eq!(
        lines,
        [
            "EHLO c.test",
            "AUTH PLAIN <redacted>",
            "STARTTLS",
            "EHLO c.test",
            "AUTH LOGIN",
            "<redacted>",
            "<redacted>",
            "AUTH PLAIN <redacted>",
            "QUIT"
        ]
    );
    for e in &rec.events {
        if let EventKind::Read { bytes, .. } = &e.kind {
            let text = String::from_utf8_lossy(bytes);
            for secret in ["AGEAYg", "YWxpY2U", "c2VjcmV0"] {
                assert!(!text.contains(secret), "{text:?}");
            }
        }
    }
    let tls = rec.client.tls.expect("tls facts");
    assert_eq!(tls.sni.as_deref(), Some(HOSTNAME));
    assert!(tls.version.starts_with("TLSv1."), "{}", tls.version);
}

/// client-multiline writes one EHLO line per write, the gap apart; client-keepalive trickles
/// continuation lines during the hold.
#[tokio::test]
async fn multiline_and_keepalive_write_line_by_line() {
    let options = ServeOptions {
        hold: Some(Duration::from_millis(50)),
        ..ServeOptions::default()
    };
    let (addr, _server, mut records) =
        spawn_recorded_with(scenario("client-multiline"), options.clone())
            .await
            .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO c.test\r\n", EHLO_TLS).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    drop(s);
    let rec = next_record(&mut records).await.record;
    let writes = rec
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Write { .. }))
        .count();
    let ehlo_lines = EHLO_TLS.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(
        writes,
        1 + ehlo_lines + 1,
        "greeting, one write per line, 221"
    );

    let options = ServeOptions {
        hold: Some(Duration::from_millis(250)),
        ..ServeOptions::default()
    };
    let (addr, _server, mut records) = spawn_recorded_with(scenario("client-keepalive"), options)
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    send(
        &mut s,
        b"EHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n",
    )
    .await;
    expect(&mut s, &[EHLO_PLAIN, MAIL_OK, RCPT_OK, DATA_GO].concat()).await;
    send(&mut s, b"x\r\n.\r\n").await;
    expect(&mut s, b"250-2.0.0 Still processing the message\r\n").await;
    expect(&mut s, QUEUED).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    drop(s);
    let m = next_record(&mut records).await.record.client.messages;
    assert!(m[0].accepted && m[0].reply_written);
}

/// The mock records the client's TLS as facts at the handshake: the ALPN it offered, the
/// client certificate it presented (the mock asks for one, optionally), or, when the client
/// refuses the mock's certificate, that it did and with which alert; `client-tls` says so.
#[tokio::test]
async fn client_tls_facts_are_recorded_at_the_handshake() {
    use crate::record::ClientTlsFailure;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    let (addr, _server, mut records) = spawn_recorded(scenario("starttls-injection-fixed"))
        .await
        .expect("spawn");
    let starttls = || async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        expect(&mut s, GREETING).await;
        chat(&mut s, b"EHLO c.test\r\n", EHLO_PLAIN).await;
        chat(&mut s, b"STARTTLS\r\n", STARTTLS_READY).await;
        s
    };
    let name = || ServerName::try_from(HOSTNAME.to_string()).expect("name");

    // A client with a certificate of its own, offering ALPN.
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["client.test".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(demo_certificate_pem().as_bytes()) {
        roots.add(c.expect("pem")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("client cert");
    config.alpn_protocols = vec![b"smtp-test".to_vec()];
    let s = starttls().await;
    let mut t = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name(), s)
        .await
        .expect("handshake");
    chat(&mut t, b"QUIT\r\n", BYE).await;
    drop(t);
    let rec = next_record(&mut records).await.record;
    let h = &rec.client.handshakes[0];
    assert_eq!(h.hello.as_ref().unwrap().alpn, ["smtp-test"]);
    assert_eq!(h.hello.as_ref().unwrap().sni.as_deref(), Some(HOSTNAME));
    let tls = h.result.as_ref().expect("established");
    assert!(tls.client_certificate, "the client certificate was seen");
    assert_eq!(tls.alpn, None, "the mock agrees on no ALPN protocol");
    let f = crate::checks::client::check(&rec);
    let d = &f
        .iter()
        .find(|f| f.id == "client-tls")
        .expect("client-tls")
        .detail;
    assert!(
        d.contains("ALPN offered (smtp-test) and none agreed"),
        "{d}"
    );
    assert!(d.contains("with a client certificate"), "{d}");

    // A client that does not trust the mock's certificate.
    let s = starttls().await;
    let empty = super::tests::client_config("");
    let err = tokio_rustls::TlsConnector::from(empty)
        .connect(name(), s)
        .await
        .expect_err("untrusted");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    let rec = next_record(&mut records).await.record;
    let h = &rec.client.handshakes[0];
    assert_eq!(
        h.result,
        Err(ClientTlsFailure::CertificateRejected {
            alert: "unknown_ca".into()
        })
    );
    assert!(rec.client.tls.is_none());
    let f = crate::checks::client::check(&rec);
    let f = f.iter().find(|f| f.id == "client-tls").expect("client-tls");
    assert_eq!(f.summary, "the client's TLS handshake failed");
    assert!(
        f.detail
            .contains("the client refused the server's certificate (alert unknown_ca)"),
        "{}",
        f.detail
    );
}
