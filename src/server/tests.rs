//! Tests of the scripted server, driven by a tiny raw client.

use super::*;
use crate::record::{EventKind, MAX_KEPT_READ_BYTES, Peer, Stage};
use crate::wire::reply::Terminator;
use crate::wire::request::{ClientLine, Verb};
use rustls::pki_types::pem::PemObject;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};
use tokio_rustls::TlsConnector;

pub(super) const WAIT: Duration = Duration::from_secs(5);

/// Every finding id of SPEC §3 and §4.
/// The finding ids, from the one list the catalog is tested against.
fn spec_ids() -> impl Iterator<Item = &'static str> {
    crate::knowledge::catalog::SPEC_IDS
        .iter()
        .map(|(id, _)| *id)
}

/// Probe options of SPEC §1 that take a value, and those that do not.
const VALUE_FLAGS: &[&str] = &[
    "--server",
    "--port",
    "--resolver",
    "--helo",
    "--from",
    "--to",
    "--starttls",
    "--sni",
    "--ca-file",
    "--quit-after",
    "--body",
    "--size",
    "--test",
    "--timeout",
    "--slow",
    "--dot-slow",
    "--cert-warn",
];
const SWITCH_FLAGS: &[&str] = &["--all", "-4", "-6", "--tls-on-connect", "--data"];

pub(super) fn scenario(name: &str) -> &'static Scenario {
    find(name).unwrap_or_else(|| panic!("no scenario {name}"))
}

async fn start(name: &str) -> SocketAddr {
    spawn(scenario(name)).await.expect("spawn").0
}

async fn connect(name: &str) -> TcpStream {
    let addr = start(name).await;
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads exactly `want.len()` bytes and compares them.
pub(super) async fn expect<S: AsyncRead + Unpin>(s: &mut S, want: &[u8]) {
    let mut got = vec![0; want.len()];
    timeout(WAIT, s.read_exact(&mut got))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {:?}", String::from_utf8_lossy(want)))
        .unwrap_or_else(|e| {
            panic!(
                "read error {e} waiting for {:?}",
                String::from_utf8_lossy(want)
            )
        });
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

pub(super) async fn send<S: AsyncWrite + Unpin>(s: &mut S, bytes: &[u8]) {
    s.write_all(bytes).await.expect("write");
    s.flush().await.expect("flush");
}

/// Sends `cmd` and expects exactly `reply`.
pub(super) async fn chat<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, cmd: &[u8], reply: &[u8]) {
    send(s, cmd).await;
    expect(s, reply).await;
}

/// Asserts that nothing arrives within `ms`.
pub(super) async fn silence<S: AsyncRead + Unpin>(s: &mut S, ms: u64) {
    let mut b = [0u8; 256];
    if let Ok(r) = timeout(Duration::from_millis(ms), s.read(&mut b)).await {
        let n = r.expect("read");
        panic!(
            "expected silence, got {:?}",
            String::from_utf8_lossy(&b[..n])
        );
    }
}

pub(super) async fn expect_eof<S: AsyncRead + Unpin>(s: &mut S) {
    let mut b = [0u8; 256];
    let n = timeout(WAIT, s.read(&mut b))
        .await
        .expect("timed out waiting for EOF")
        .expect("read");
    assert_eq!(
        n,
        0,
        "expected EOF, got {:?}",
        String::from_utf8_lossy(&b[..n])
    );
}

pub(super) fn client_config(pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.expect("pem")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

pub(super) async fn tls_connect(
    tcp: TcpStream,
    name: &str,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let server_name =
        rustls::pki_types::ServerName::try_from(name.to_string()).expect("server name");
    TlsConnector::from(client_config(&demo_certificate_pem()))
        .connect(server_name, tcp)
        .await
}

/// Greeting, EHLO, STARTTLS up to the point where the client must start the handshake.
async fn plain_until_starttls(name: &str) -> TcpStream {
    let mut s = connect(name).await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"STARTTLS\r\n", STARTTLS_READY).await;
    s
}

fn tls_error(e: &io::Error) -> rustls::Error {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned()
        .unwrap_or_else(|| panic!("not a rustls error: {e:?}"))
}

#[tokio::test]
async fn clean_dialogue_is_byte_exact() {
    let mut s = connect("clean").await;
    expect(&mut s, b"220 mx.demo.test ESMTP smtpdoctor-mock\r\n").await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
    )
    .await;
    chat(&mut s, b"MAIL FROM:<>\r\n", b"250 2.1.0 Ok\r\n").await;
    chat(
        &mut s,
        b"RCPT TO:<postmaster@demo.test>\r\n",
        b"250 2.1.5 Ok\r\n",
    )
    .await;
    chat(
        &mut s,
        b"DATA\r\n",
        b"354 End data with <CR><LF>.<CR><LF>\r\n",
    )
    .await;
    chat(
        &mut s,
        b"Subject: test\r\n\r\nhello\r\n..stuffed line\r\n.\r\n",
        b"250 2.0.0 Ok: queued as MOCK1234\r\n",
    )
    .await;
    chat(&mut s, b"RSET\r\n", b"250 2.0.0 Ok\r\n").await;
    chat(&mut s, b"NOOP\r\n", b"250 2.0.0 Ok\r\n").await;
    chat(
        &mut s,
        b"VRFY root\r\n",
        b"502 5.5.1 VRFY command is disabled\r\n",
    )
    .await;
    chat(
        &mut s,
        b"XYZZY\r\n",
        b"502 5.5.2 Error: command not recognized\r\n",
    )
    .await;
    chat(&mut s, b"helo client.test\r\n", b"250 mx.demo.test\r\n").await;
    chat(&mut s, b"QUIT\r\n", b"221 2.0.0 Bye\r\n").await;
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let mut s = connect("clean").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"MAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nRCPT TO:<someone@example.net>\r\nDATA\r\n",
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n554 5.7.1 <someone@example.net>: Relay access denied\r\n\
          354 End data with <CR><LF>.<CR><LF>\r\n",
    )
    .await;
    chat(
        &mut s,
        b"x\r\n.\r\nRSET\r\nQUIT\r\n",
        b"250 2.0.0 Ok: queued as MOCK1234\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
    )
    .await;
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn transaction_state_and_syntax_are_checked() {
    let mut s = connect("clean").await;
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"MAIL FROM:<>\r\n",
        b"503 5.5.1 Error: send HELO/EHLO first\r\n",
    )
    .await;
    chat(&mut s, b"EHLO\r\n", b"501 5.5.4 Syntax: EHLO hostname\r\n").await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"RCPT TO:<postmaster@demo.test>\r\n",
        b"503 5.5.1 Error: need MAIL command\r\n",
    )
    .await;
    chat(
        &mut s,
        b"DATA\r\n",
        b"503 5.5.1 Error: need MAIL command\r\n",
    )
    .await;
    chat(
        &mut s,
        b"MAIL <>\r\n",
        b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
    )
    .await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
    chat(
        &mut s,
        b"MAIL FROM:<>\r\n",
        b"503 5.5.1 Error: nested MAIL command\r\n",
    )
    .await;
    chat(
        &mut s,
        b"DATA\r\n",
        b"554 5.5.1 Error: no valid recipients\r\n",
    )
    .await;
    chat(&mut s, b"\r\n", UNRECOGNIZED).await;
    let long = [b"NOOP ".as_slice(), &[b'a'; 10_000], b"\r\n"].concat();
    chat(&mut s, &long, b"500 5.5.2 Error: line too long\r\n").await;
    chat(&mut s, b"NOOP\r\n", OK).await;
}

#[tokio::test]
async fn relay_attempts_are_refused_by_default() {
    let mut s = connect("clean").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
    for ok in [
        "<postmaster@demo.test>",
        "<Someone@MX.Demo.Test>",
        "<postmaster>",
        "<x@localhost> NOTIFY=NEVER",
    ] {
        chat(&mut s, format!("RCPT TO:{ok}\r\n").as_bytes(), RCPT_OK).await;
    }
    for bad in [
        "<user@example.net>",
        "<user%example.net@demo.test>",
        "<example.net!user@demo.test>",
        "<\"user@example.net\"@demo.test>",
        "<@demo.test:user@example.net>",
    ] {
        let reply = format!("554 5.7.1 {bad}: Relay access denied\r\n");
        chat(
            &mut s,
            format!("RCPT TO:{bad}\r\n").as_bytes(),
            reply.as_bytes(),
        )
        .await;
    }
    chat(
        &mut s,
        b"RCPT TO:<nobody>\r\n",
        b"501 5.1.3 Bad recipient address syntax\r\n",
    )
    .await;

    let mut s = connect("open-relay").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
    chat(&mut s, b"RCPT TO:<user@example.net>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
}

#[tokio::test]
async fn fragmented_greeting_arrives_in_two_reads() {
    let mut s = connect("greeting-fragmented").await;
    let mut buf = [0u8; 256];
    let n = timeout(WAIT, s.read(&mut buf))
        .await
        .expect("first piece")
        .expect("read");
    assert_eq!(&buf[..n], b"220 mx.demo.test ");
    let t = Instant::now();
    let n = timeout(WAIT, s.read(&mut buf))
        .await
        .expect("second piece")
        .expect("read");
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "second piece came after {:?}",
        t.elapsed()
    );
    assert_eq!(&buf[..n], b"ESMTP smtpdoctor-mock\r\n");
}

#[tokio::test]
async fn classic_scenario_faults_are_on_the_wire() {
    let mut s = connect("classic").await;
    let mut buf = [0u8; 256];
    let n = timeout(WAIT, s.read(&mut buf))
        .await
        .expect("first piece")
        .expect("read");
    assert_eq!(&buf[..n], b"220 mx.demo.test ");
    expect(&mut s, b"ESMTP\r\n").await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"500 5.5.1 Command unrecognized\r\n",
    )
    .await;
    chat(&mut s, b"HELO client.test\r\n", HELO_OK).await;
    chat(&mut s, b"MAIL FROM:<>\r\n", b"250 2.1.0 Sender ok\n").await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
    let t = Instant::now();
    send(&mut s, b"hello\r\n.\r\n").await;
    expect(
        &mut s,
        b"250-2.0.0 Message received, running content checks\r\n",
    )
    .await;
    expect(&mut s, b"250-2.0.0 Still checking\r\n").await;
    expect(&mut s, QUEUED).await;
    assert!(
        t.elapsed() >= Duration::from_millis(2900),
        "dot answered after {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn message_data_is_streamed() {
    let (addr, _server, mut records) = spawn_recorded(scenario("clean")).await.expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n",
        &[EHLO_PLAIN, MAIL_OK, RCPT_OK, DATA_GO].concat(),
    )
    .await;
    // 50 MB of 100-octet lines, some starting with a stuffed dot, written in 1 MB chunks.
    let mut chunk = Vec::with_capacity(1 << 20);
    while chunk.len() + 100 <= 1 << 20 {
        let fill = if chunk.len() % 700 == 0 { b'.' } else { b'a' };
        chunk.extend_from_slice(&[fill; 98]);
        chunk.extend_from_slice(b"\r\n");
    }
    for _ in 0..50 {
        send(&mut s, &chunk).await;
    }
    chat(&mut s, b".\r\nQUIT\r\n", &[QUEUED, BYE].concat()).await;
    expect_eof(&mut s).await;
    drop(s);
    // Nothing of the message is kept beyond the record's budget: its first bytes and its size.
    let rec = next_record(&mut records).await.record;
    let message = rec
        .client_lines
        .iter()
        .find_map(ClientLine::message)
        .expect("the message");
    assert_eq!(message.size, 50 * chunk.len() as u64 + 3);
    assert!(message.complete);
    let kept: usize = rec
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Read { bytes, .. } | EventKind::Write { bytes, .. } => bytes.len(),
            _ => 0,
        })
        .sum();
    // The client's bytes within the read budget, the server's within its own.
    assert!(
        kept <= MAX_KEPT_READ_BYTES + crate::record::MAX_KEPT_WRITE_BYTES,
        "{kept} bytes kept"
    );
    assert!(rec.client_lines.iter().all(|l| l.content.len() <= MAX_LINE));
    assert_eq!(
        rec.client_lines.last().and_then(ClientLine::verb),
        Some(Verb::Quit)
    );
}

/// The next connection record, within [`WAIT`].
pub(super) async fn next_record(
    records: &mut tokio::sync::mpsc::UnboundedReceiver<ClientRecord>,
) -> ClientRecord {
    timeout(WAIT, records.recv())
        .await
        .expect("timed out waiting for the connection's record")
        .expect("record channel closed")
}

#[tokio::test]
async fn starttls_with_a_client_trusting_the_demo_certificate() {
    assert!(demo_certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        demo_certificate_pem(),
        demo_certificate_pem(),
        "stable for the process lifetime"
    );
    for name in [HOSTNAME, "localhost", "127.0.0.1"] {
        let tcp = plain_until_starttls("clean").await;
        let mut tls = tls_connect(tcp, name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        chat(&mut tls, b"EHLO client.test\r\n", EHLO_TLS).await;
        chat(
            &mut tls,
            b"STARTTLS\r\n",
            b"554 5.5.1 Error: TLS already active\r\n",
        )
        .await;
        chat(&mut tls, b"MAIL FROM:<>\r\n", MAIL_OK).await;
        chat(&mut tls, b"QUIT\r\n", BYE).await;
        expect_eof(&mut tls).await;
    }
}

#[tokio::test]
async fn certificate_defects() {
    let tcp = plain_until_starttls("tls-cert-expired").await;
    let err = tls_error(&tls_connect(tcp, HOSTNAME).await.expect_err("expired"));
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. }
            )
        ),
        "{err:?}"
    );

    let tcp = plain_until_starttls("tls-cert-untrusted").await;
    let err = tls_error(&tls_connect(tcp, HOSTNAME).await.expect_err("untrusted"));
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        ),
        "{err:?}"
    );

    let tcp = plain_until_starttls("tls-cert-name-mismatch").await;
    let err = tls_error(&tls_connect(tcp, HOSTNAME).await.expect_err("wrong name"));
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{err:?}"
    );

    let tcp = plain_until_starttls("tls-cert-expiring").await;
    let tls = tls_connect(tcp, HOSTNAME)
        .await
        .expect("expiring certificate is still valid");
    let der = tls.get_ref().1.peer_certificates().expect("peer certs")[0].clone();
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).expect("parse");
    let left = cert.validity().time_to_expiration().expect("not expired");
    assert!(left.whole_days() < 14, "{left:?}");
}

#[tokio::test]
async fn starttls_injection_vulnerable_and_fixed() {
    for (name, vulnerable) in [
        ("starttls-injection-vulnerable", true),
        ("starttls-injection-fixed", false),
    ] {
        let mut s = connect(name).await;
        expect(&mut s, GREETING).await;
        chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
        chat(&mut s, b"STARTTLS\r\nNOOP\r\n", STARTTLS_READY).await;
        let mut tls = tls_connect(s, HOSTNAME).await.expect("handshake");
        if vulnerable {
            expect(&mut tls, OK).await;
        } else {
            silence(&mut tls, 300).await;
        }
        chat(&mut tls, b"NOOP\r\n", OK).await;
    }
}

#[tokio::test]
async fn starttls_misbehaviours() {
    let mut s = connect("starttls-resp-injection").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"STARTTLS\r\n",
        b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n",
    )
    .await;
    let mut tls = tls_connect(s, HOSTNAME).await.expect("handshake");
    chat(&mut tls, b"EHLO client.test\r\n", EHLO_TLS).await;

    let tcp = plain_until_starttls("starttls-post-state").await;
    let mut tls = tls_connect(tcp, HOSTNAME).await.expect("handshake");
    chat(&mut tls, b"EHLO client.test\r\n", EHLO_PLAIN).await;

    let tcp = plain_until_starttls("starttls-stall").await;
    assert!(
        timeout(Duration::from_millis(500), tls_connect(tcp, HOSTNAME))
            .await
            .is_err(),
        "handshake must hang"
    );

    let tcp = plain_until_starttls("tls-handshake-failed").await;
    tls_connect(tcp, HOSTNAME)
        .await
        .expect_err("garbage instead of TLS");

    let mut s = connect("starttls-454").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"STARTTLS\r\n",
        b"454 4.7.0 TLS not available due to local problem\r\n",
    )
    .await;
    chat(&mut s, b"MAIL FROM:<>\r\n", MAIL_OK).await;
}

#[tokio::test]
async fn smuggling_vulnerable_and_fixed() {
    let prelude = b"EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n";
    let replies = [EHLO_PLAIN, MAIL_OK, RCPT_OK, DATA_GO].concat();
    let smuggle = b"Subject: x\r\n\r\nhello\n.\nMAIL FROM:<>\r\n";

    let mut s = connect("smuggling-vulnerable").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, prelude, &replies).await;
    chat(&mut s, smuggle, &[QUEUED, MAIL_OK].concat()).await;

    let mut s = connect("smuggling-fixed").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, prelude, &replies).await;
    send(&mut s, smuggle).await;
    silence(&mut s, 300).await;
    chat(
        &mut s,
        b"\r\n.\r\nMAIL FROM:<>\r\n",
        &[QUEUED, MAIL_OK].concat(),
    )
    .await;
}

#[tokio::test]
async fn pipelining_broken_answers_only_the_first_command() {
    let mut s = connect("pipelining-broken").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"MAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n",
        MAIL_OK,
    )
    .await;
    silence(&mut s, 300).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
}

#[tokio::test]
async fn pregreet_enforcing_and_tolerating() {
    // Talks before the greeting is complete: 554 and disconnect.
    let mut s = connect("pregreet-enforcing").await;
    send(&mut s, b"EHLO client.test\r\n").await;
    expect(
        &mut s,
        b"220-mx.demo.test ESMTP\r\n554 5.5.1 Protocol error\r\n",
    )
    .await;
    expect_eof(&mut s).await;

    // Talks between teaser and final line.
    let mut s = connect("pregreet-enforcing").await;
    expect(&mut s, b"220-mx.demo.test ESMTP\r\n").await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"554 5.5.1 Protocol error\r\n",
    )
    .await;
    expect_eof(&mut s).await;

    // Waits: normal dialogue.
    let mut s = connect("pregreet-enforcing").await;
    expect(&mut s, b"220-mx.demo.test ESMTP\r\n").await;
    expect(&mut s, b"220 mx.demo.test ESMTP\r\n").await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;

    let mut s = connect("pregreet-tolerating").await;
    send(&mut s, b"EHLO client.test\r\n").await;
    expect(&mut s, &[GREETING, EHLO_PLAIN].concat()).await;
}

#[tokio::test]
async fn bare_lf_commands() {
    let mut s = connect("bare-lf-rejecting").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(
        &mut s,
        b"NOOP\n",
        b"500 5.5.2 Error: bare <LF> received\r\n",
    )
    .await;

    let mut s = connect("bare-lf-accepting").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"NOOP\n", OK).await;
}

#[tokio::test]
async fn unknown_command_handling() {
    let mut s = connect("close-on-unknown").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"XYZZY\r\n", UNRECOGNIZED).await;
    expect_eof(&mut s).await;

    let mut s = connect("unknown-command-tolerated").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"XYZZY\r\n", UNRECOGNIZED).await;
    chat(&mut s, b"NOOP\r\n", OK).await;
}

#[tokio::test]
async fn argument_and_path_echo() {
    let mut s = connect("pix").await;
    expect(&mut s, b"220 *******************************************0*2******0***0*00**************2002*****0*0**\r\n")
        .await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"500 5.5.1 Command unrecognized: \"XXXX client.test\"\r\n",
    )
    .await;
    chat(&mut s, b"HELO client.test\r\n", HELO_OK).await;

    let mut s = connect("rcpt-rejected").await;
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"EHLO client.test\r\nMAIL FROM:<>\r\n",
        &[EHLO_PLAIN, MAIL_OK].concat(),
    )
    .await;
    chat(
        &mut s,
        b"RCPT TO:<nobody@demo.test>\r\n",
        b"550 5.1.1 <nobody@demo.test>: Recipient address rejected: User unknown in local recipient table\r\n",
    )
    .await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;

    let mut s = connect("postmaster-rejected").await;
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"EHLO client.test\r\nMAIL FROM:<>\r\n",
        &[EHLO_PLAIN, MAIL_OK].concat(),
    )
    .await;
    chat(
        &mut s,
        b"RCPT TO:<Postmaster@demo.test>\r\n",
        b"550 5.7.1 <Postmaster@demo.test>: Recipient address rejected: Access denied\r\n",
    )
    .await;
    chat(&mut s, b"RCPT TO:<info@demo.test>\r\n", RCPT_OK).await;

    let mut s = connect("greylisted").await;
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"EHLO client.test\r\nMAIL FROM:<>\r\n",
        &[EHLO_PLAIN, MAIL_OK].concat(),
    )
    .await;
    chat(
        &mut s,
        b"RCPT TO:<postmaster@demo.test>\r\n",
        b"450 4.2.0 <postmaster@demo.test>: Recipient address rejected: Greylisted, see \
          http://postgrey.schweikert.ch/help/demo.test.html\r\n",
    )
    .await;
}

#[tokio::test]
async fn greeting_554_answers_503_until_quit() {
    let mut s = connect("greeting-554").await;
    expect(&mut s, b"554 5.7.1 mx.demo.test service refused\r\n").await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"503 5.5.1 Error: bad sequence of commands\r\n",
    )
    .await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn size_limit_applies_after_the_dot() {
    let mut s = connect("size-limit").await;
    expect(&mut s, GREETING).await;
    let prelude = b"EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n";
    let size_ehlo = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-STARTTLS\r\n\
                      250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
    chat(
        &mut s,
        prelude,
        &[&size_ehlo[..], MAIL_OK, RCPT_OK, DATA_GO].concat(),
    )
    .await;
    chat(&mut s, b"small\r\n.\r\n", QUEUED).await;
    chat(
        &mut s,
        b"MAIL FROM:<>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n",
        &[MAIL_OK, RCPT_OK, DATA_GO].concat(),
    )
    .await;
    let big = [&[b'a'; 998][..], b"\r\n"].concat().repeat(200);
    send(&mut s, &big).await;
    chat(
        &mut s,
        b".\r\n",
        b"552 5.3.4 Message size exceeds fixed maximum message size\r\n",
    )
    .await;
}

#[tokio::test]
async fn close_sends_fin_and_reset_sends_rst() {
    let mut s = connect("quit-no-221").await;
    expect(&mut s, GREETING).await;
    send(&mut s, b"QUIT\r\n").await;
    expect_eof(&mut s).await;

    let mut s = connect("reset-mid-dialogue").await;
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    send(&mut s, b"MAIL FROM:<>\r\n").await;
    let mut b = [0u8; 64];
    let err = timeout(WAIT, s.read(&mut b))
        .await
        .expect("timely")
        .expect_err("reset");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);

    let mut s = connect("greeting-421").await;
    expect(
        &mut s,
        b"421 4.3.2 Service not available, closing channel\r\n",
    )
    .await;
    expect_eof(&mut s).await;
}

#[tokio::test]
async fn blackhole_times_out_and_refused_addr_refuses() {
    let hole = blackhole().expect("blackhole");
    assert!(hole.addr.ip().is_loopback());
    for _ in 0..2 {
        let attempt = timeout(Duration::from_millis(700), TcpStream::connect(hole.addr)).await;
        assert!(
            attempt.is_err(),
            "connect to the blackhole completed: {attempt:?}"
        );
    }
    let err = TcpStream::connect(refused_addr())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn blackhole_works_outside_a_runtime() {
    let hole = blackhole().expect("blackhole");
    let err = std::net::TcpStream::connect_timeout(&hole.addr, Duration::from_millis(300))
        .expect_err("timeout");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn catalog_is_consistent() {
    let known: HashSet<&str> = spec_ids().collect();
    assert_eq!(known.len(), spec_ids().count());
    let mut names = HashSet::new();
    for s in scenarios() {
        assert!(names.insert(s.name), "duplicate scenario {}", s.name);
        assert!(
            !s.name.is_empty()
                && s.name.split('-').all(|w| !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "not kebab-case: {}",
            s.name
        );
        assert!(!s.summary.is_empty(), "{} has no summary", s.name);
        let mut seen = HashSet::new();
        for id in s.expect {
            assert!(known.contains(id), "{}: unknown finding id {id}", s.name);
            assert!(seen.insert(id), "{}: {id} listed twice", s.name);
        }
        let mut args = s.probe_args.iter();
        while let Some(arg) = args.next() {
            if VALUE_FLAGS.contains(arg) {
                assert!(args.next().is_some(), "{}: {arg} needs a value", s.name);
            } else {
                assert!(
                    SWITCH_FLAGS.contains(arg),
                    "{}: unknown probe option {arg}",
                    s.name
                );
            }
        }
        assert!(std::ptr::eq(find(s.name).expect("find"), s));
    }
    assert!(find(DEMO_SCENARIO).is_some());
    assert!(find("no-such-scenario").is_none());
    // Every finding a scripted server can provoke has a scenario.
    let covered: HashSet<&str> = scenarios()
        .iter()
        .flat_map(|s| s.expect.iter().copied())
        .collect();
    let not_scriptable = [
        "target-invalid", // a line of --targets, not a server
        "mx-nxdomain",
        "mx-lookup-failed",
        "mx-implicit",
        "mx-null",
        "mx-target-invalid",
        "mx-none-usable",
        "ptr-missing",
        "ptr-mismatch",
        "connect-refused",     // refused_addr()
        "connect-timeout",     // blackhole()
        "connect-unreachable", // needs a routing failure
        "timing-rfc-exceeded", // needs a reply after a 5-minute RFC timeout
    ];
    for id in spec_ids() {
        assert!(
            covered.contains(id) || not_scriptable.contains(&id),
            "no scenario produces {id}"
        );
    }
}

/// A client that goes through a whole dialogue without caring about the answers.
async fn careless_client(addr: SocketAddr) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    let lines: [&[u8]; 12] = [
        b"EHLO client.test\r\n",
        b"HELO client.test\r\n",
        b"MAIL FROM:<>\r\n",
        b"RCPT TO:<postmaster@demo.test>\r\n",
        b"DATA\r\n",
        b"hello\r\n.\r\n",
        b"RSET\r\n",
        b"NOOP\n",
        b"\r\n",
        b"\xff\xfe\x00 garbage \x1b[31m\r\n",
        b"XYZZY\r\n",
        b"QUIT\r\n",
    ];
    let mut b = [0u8; 4096];
    for line in lines {
        let _ = timeout(Duration::from_millis(400), s.read(&mut b)).await;
        if s.write_all(line).await.is_err() {
            return;
        }
    }
    let _ = timeout(Duration::from_millis(400), s.read(&mut b)).await;
}

#[tokio::test]
async fn no_scenario_panics_on_a_careless_client() {
    let mut set = JoinSet::new();
    for sc in scenarios() {
        set.spawn(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let client = tokio::spawn(careless_client(addr));
            let (stream, _) = listener.accept().await.expect("accept");
            let server = tokio::spawn(conversation::connection(
                stream,
                sc,
                Budget::default(),
                conversation::Run::default(),
            ));
            client.await.expect("client");
            match timeout(Duration::from_secs(10), server).await {
                Ok(Ok(_record)) => {}
                Ok(Err(e)) => panic!("scenario {} panicked: {e}", sc.name),
                Err(_) => panic!("scenario {} did not end after the client left", sc.name),
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("scenario task");
    }
}

#[test]
fn padded_line_is_prefix_fill_and_crlf() {
    let line: [u8; 20] = padded_line(b"250 2.1.5 ", b'x');
    assert_eq!(&line, b"250 2.1.5 xxxxxxxx\r\n");
    // A prefix that does not fit is cut so that the CRLF still ends the line.
    let short: [u8; 6] = padded_line(b"250 2.1.5 Ok", b'x');
    assert_eq!(&short, b"250 \r\n");
    let bare: [u8; 2] = padded_line(b"250", b'x');
    assert_eq!(&bare, b"\r\n");
}

/// The `too-long` scenario writes the 700-octet line it promises, in one piece.
#[tokio::test]
async fn too_long_scenario_writes_one_700_octet_line() {
    let mut s = connect("too-long").await;
    expect(&mut s, GREETING).await;
    chat(
        &mut s,
        b"EHLO client.test\r\nMAIL FROM:<>\r\n",
        &[EHLO_PLAIN, MAIL_OK].concat(),
    )
    .await;
    let line = [b"250 2.1.5 Ok ".as_slice(), &[b'x'; 700 - 13 - 2], b"\r\n"].concat();
    assert_eq!(line.len(), 700);
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", &line).await;
    chat(&mut s, b"NOOP\r\n", OK).await;
}

/// The client reads of a record, concatenated.
fn client_bytes(rec: &Record) -> Vec<u8> {
    rec.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Read {
                from: Peer::Client,
                bytes,
                ..
            } => Some(bytes.as_slice()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

/// The server writes of a record: stage and bytes.
fn server_writes(rec: &Record) -> Vec<(Stage, Vec<u8>)> {
    rec.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Write {
                from: Peer::Server,
                stage,
                bytes,
                ..
            } => Some((stage.clone(), bytes.clone())),
            _ => None,
        })
        .collect()
}

/// (content, terminator, verb, discarded) of each client line.
fn line_summary(rec: &Record) -> Vec<(String, Terminator, Option<Verb>, bool)> {
    rec.client_lines
        .iter()
        .map(|l| {
            (
                String::from_utf8_lossy(&l.content).into_owned(),
                l.terminator,
                l.verb(),
                l.discarded,
            )
        })
        .collect()
}

/// A client that talks before the greeting, ends a line with a bare LF and splits a command
/// across two reads: the record holds its exact bytes, its lines with terminators and verbs,
/// and the server's replies with the stage of the command each answers.
#[tokio::test]
async fn a_connection_record_holds_bytes_lines_verbs_and_replies() {
    let (addr, _server, mut records) = spawn_recorded(scenario("greeting-slow"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let local = s.local_addr().expect("local");
    send(&mut s, b"HELO client.test\r\n").await;
    expect(&mut s, &[GREETING, HELO_OK].concat()).await;
    chat(
        &mut s,
        b"NOOP\n",
        b"500 5.5.2 Error: bare <LF> received\r\n",
    )
    .await;
    send(&mut s, b"MAIL FR").await;
    sleep(Duration::from_millis(100)).await;
    chat(&mut s, b"OM:<>\r\n", MAIL_OK).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
    drop(s);

    let conn = next_record(&mut records).await;
    assert_eq!(
        (conn.n, conn.scenario, conn.peer),
        (1, "greeting-slow", Some(local))
    );
    let rec = &conn.record;
    assert_eq!(
        client_bytes(rec),
        b"HELO client.test\r\nNOOP\nMAIL FROM:<>\r\nQUIT\r\n"
    );
    assert_eq!(
        line_summary(rec),
        vec![
            (
                "HELO client.test".into(),
                Terminator::CrLf,
                Some(Verb::Helo),
                false
            ),
            ("NOOP".into(), Terminator::BareLf, Some(Verb::Noop), false),
            (
                "MAIL FROM:<>".into(),
                Terminator::CrLf,
                Some(Verb::Mail),
                false
            ),
            ("QUIT".into(), Terminator::CrLf, Some(Verb::Quit), false),
        ]
    );
    let mail = &rec.client_lines[2];
    assert_eq!(mail.reads.len(), 2, "MAIL arrived in two reads");
    assert_eq!(mail.arg(), b"FROM:<>");
    assert_eq!(
        server_writes(rec),
        vec![
            (Stage::Greeting, GREETING.to_vec()),
            (Stage::Helo, HELO_OK.to_vec()),
            (
                Stage::Helo,
                b"500 5.5.2 Error: bare <LF> received\r\n".to_vec()
            ),
            (Stage::Mail, MAIL_OK.to_vec()),
            (Stage::Quit, BYE.to_vec()),
        ]
    );
    // The greeting waited 700 ms; every line points at the reads that carried it.
    let greeting = rec
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Write { .. }))
        .expect("greeting");
    assert!(
        greeting.at_us >= 700_000,
        "greeting at {} µs",
        greeting.at_us
    );
    for line in &rec.client_lines {
        for &read in &line.reads {
            assert!(matches!(
                rec.events[read].kind,
                EventKind::Read {
                    from: Peer::Client,
                    ..
                }
            ));
        }
    }
    // The server's FIN after 221, then the client's.
    let closes: Vec<Peer> = rec
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Eof { from, .. } => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(closes, vec![Peer::Server, Peer::Client]);
    assert!(matches!(rec.events[0].kind, EventKind::Connected { .. }));
}

/// The mock names each step as the probe names its own (SPEC §5): HELO is `helo`, the reply to
/// the final dot `dot` (DATA and its 354 stay `data`), RSET `rset`, QUIT `quit`.
#[tokio::test]
async fn the_record_names_helo_dot_and_rset_as_the_probe_does() {
    let (addr, _server, mut records) = spawn_recorded(scenario("client-strict"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"HELO client.test\r\n", HELO_OK).await;
    chat(&mut s, b"MAIL FROM:<a@client.test>\r\n", MAIL_OK).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
    chat(&mut s, b"Subject: t\r\n\r\nbody\r\n.\r\n", QUEUED).await;
    chat(&mut s, b"RSET\r\n", OK).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
    drop(s);
    let rec = next_record(&mut records).await.record;
    let stages: Vec<Stage> = server_writes(&rec).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        stages,
        [
            Stage::Greeting,
            Stage::Helo,
            Stage::Mail,
            Stage::Rcpt,
            Stage::Data,
            Stage::Dot,
            Stage::Rset,
            Stage::Quit,
        ]
    );
}

/// Talking between a teaser and the final greeting line shows in the record: the client's read
/// comes between the two writes, and the server closed without acting on the command.
#[tokio::test]
async fn a_pregreeting_client_is_recorded_between_the_greeting_lines() {
    let (addr, _server, mut records) = spawn_recorded(scenario("pregreet-enforcing"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, b"220-mx.demo.test ESMTP\r\n").await;
    chat(
        &mut s,
        b"EHLO client.test\r\n",
        b"554 5.5.1 Protocol error\r\n",
    )
    .await;
    expect_eof(&mut s).await;
    drop(s);
    let rec = next_record(&mut records).await.record;
    let order: Vec<&str> = rec
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Write { .. } => Some("write"),
            EventKind::Read { .. } => Some("read"),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["write", "read", "write"]);
    assert_eq!(
        line_summary(&rec),
        vec![(
            "EHLO client.test".into(),
            Terminator::CrLf,
            Some(Verb::Ehlo),
            true
        )]
    );
}

/// Plaintext sent with STARTTLS is recorded as read, discarded and not answered; reads inside
/// TLS are marked so, and the handshake names what the client negotiated.
#[tokio::test]
async fn starttls_is_recorded() {
    let (addr, _server, mut records) = spawn_recorded(scenario("starttls-injection-fixed"))
        .await
        .expect("spawn");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"EHLO client.test\r\n", EHLO_PLAIN).await;
    chat(&mut s, b"STARTTLS\r\nNOOP\r\n", STARTTLS_READY).await;
    let mut tls = tls_connect(s, HOSTNAME).await.expect("handshake");
    chat(&mut tls, b"QUIT\r\n", BYE).await;
    expect_eof(&mut tls).await;
    drop(tls);
    let rec = next_record(&mut records).await.record;
    assert_eq!(
        line_summary(&rec),
        vec![
            (
                "EHLO client.test".into(),
                Terminator::CrLf,
                Some(Verb::Ehlo),
                false
            ),
            (
                "STARTTLS".into(),
                Terminator::CrLf,
                Some(Verb::Starttls),
                false
            ),
            ("NOOP".into(), Terminator::CrLf, Some(Verb::Noop), true),
            ("QUIT".into(), Terminator::CrLf, Some(Verb::Quit), false),
        ]
    );
    assert!(
        rec.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::PlaintextDiscarded { len: 6 }))
    );
    let handshake = rec
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TlsHandshake { ok, message } => Some((*ok, message.clone())),
            _ => None,
        })
        .expect("handshake");
    assert!(handshake.0);
    assert!(handshake.1.ends_with("SNI mx.demo.test"), "{}", handshake.1);
    let quit = &rec.client_lines[3];
    assert!(matches!(
        rec.events[quit.first_read].kind,
        EventKind::Read { tls: true, .. }
    ));
    assert_eq!(
        server_writes(&rec).last(),
        Some(&(Stage::Quit, BYE.to_vec()))
    );
}

/// `mock --hold` says whether it changes anything: the scenarios with a deliberate delay are
/// exactly the ones its help names.
#[test]
fn the_scenarios_with_a_hold_are_those_mock_hold_names() {
    let holding: Vec<&str> = scenarios()
        .iter()
        .filter(|s| s.script.has_hold())
        .map(|s| s.name)
        .collect();
    for name in [
        "client-dot-hold",
        "client-teaser",
        "client-keepalive",
        "client-multiline",
    ] {
        assert!(holding.contains(&name), "{name} in {holding:?}");
    }
    assert!(!holding.contains(&"clean"));
}
