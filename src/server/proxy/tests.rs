//! Unit tests of the proxy: upstream parsing.

use super::*;
use std::time::Duration;

#[test]
fn upstream_forms() {
    assert_eq!(
        split_upstream("mx.example:2525").unwrap(),
        ("mx.example".into(), 2525)
    );
    assert_eq!(
        split_upstream("mx.example").unwrap(),
        ("mx.example".into(), 25)
    );
    assert_eq!(split_upstream("[::1]:26").unwrap(), ("::1".into(), 26));
    assert_eq!(
        split_upstream("127.0.0.1:1").unwrap(),
        ("127.0.0.1".into(), 1)
    );
    assert!(split_upstream("").is_err());
    assert!(split_upstream("a:b").is_err());
    assert!(split_upstream("[::1").is_err());
}

/// A proxy relaying to a mock of `scenario`: its address, and where the records arrive.
async fn proxy_to_mock(
    scenario: &str,
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<ProxyRecord>,
) {
    let (upstream, _) = crate::server::spawn(crate::server::tests::scenario(scenario))
        .await
        .expect("mock");
    proxy_to(vec![upstream], Duration::from_secs(5)).await
}

/// A proxy relaying to `upstreams` (tried in turn, `connect_timeout` each).
async fn proxy_to(
    upstreams: Vec<SocketAddr>,
    connect_timeout: Duration,
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<ProxyRecord>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = ProxyOptions {
        upstream_host: "127.0.0.1".into(),
        upstreams,
        mode: TlsMode::Passthrough,
        certificate: None,
        roots: Arc::new(rustls::RootCertStore::empty()),
        idle: Duration::from_secs(20),
        connect_timeout,
        max_connections: Some(1),
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(serve(listener, options, tx));
    (addr, rx)
}

/// The relayed steps carry the probe's names (SPEC §5): `helo`, `data` for DATA and its 354,
/// `dot` for the reply to the final dot, `rset`, `quit`; the upstream's stages list each step
/// once, with durations that add up, and the dot's reply is the one the DATA facts name.
#[tokio::test]
async fn relayed_steps_are_named_and_timed_as_the_probe_does() {
    use crate::server::tests::{chat, expect, expect_eof};
    use crate::server::{BYE, DATA_GO, GREETING, HELO_OK, MAIL_OK, OK, QUEUED, RCPT_OK};
    let (addr, mut records) = proxy_to_mock("client-strict").await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"HELO client.test\r\n", HELO_OK).await;
    chat(&mut s, b"MAIL FROM:<a@client.test>\r\n", MAIL_OK).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"RCPT TO:<postmaster@demo.test>\r\n", RCPT_OK).await;
    chat(&mut s, b"DATA\r\n", DATA_GO).await;
    chat(&mut s, b"Subject: t\r\n\r\nbody\r\n.\r\n", QUEUED).await;
    chat(&mut s, b"RSET\r\n", OK).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
    drop(s);
    let p = tokio::time::timeout(Duration::from_secs(10), records.recv())
        .await
        .expect("a record in time")
        .expect("a record");
    let replies: Vec<Stage> = p.replies.iter().map(|r| r.stage.clone()).collect();
    use Stage::*;
    assert_eq!(
        replies,
        [Greeting, Helo, Mail, Rcpt, Rcpt, Data, Dot, Rset, Quit]
    );
    let a = super::judge::attempt(&p);
    let names: Vec<Stage> = a.stages.iter().map(|s| s.stage.clone()).collect();
    assert_eq!(
        names,
        [Connect, Greeting, Helo, Mail, Rcpt, Data, Dot, Rset, Quit]
    );
    let sum: f64 = a.stages.iter().map(|s| s.duration_ms).sum();
    let last = p.replies.last().unwrap().completed_at_us as f64 / 1000.0;
    assert!((sum - last).abs() < 0.01, "stages add up: {sum} vs {last}");
    let d = a.data.expect("DATA facts");
    assert_eq!(d.dot_reply, Some(6), "the reply to the dot");
    assert_eq!(d.dot_code, Some(250));
}

/// The proxy tries the upstream's addresses in order, each within the connect timeout: past
/// one that never answers and one that refuses, it relays to the first that accepts, says
/// which it used, and the dead ones are findings about the address they are about.
#[tokio::test]
async fn each_upstream_address_is_tried_in_turn() {
    use crate::server::tests::{chat, expect, expect_eof};
    use crate::server::{BYE, GREETING};
    let hole = crate::server::blackhole().expect("blackhole");
    let refused = crate::server::refused_addr();
    let (live, _) = crate::server::spawn(crate::server::tests::scenario("clean"))
        .await
        .expect("mock");
    let started = std::time::Instant::now();
    let (addr, mut records) =
        proxy_to(vec![hole.addr, refused, live], Duration::from_millis(300)).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    expect(&mut s, GREETING).await;
    chat(&mut s, b"QUIT\r\n", BYE).await;
    expect_eof(&mut s).await;
    drop(s);
    let p = tokio::time::timeout(Duration::from_secs(10), records.recv())
        .await
        .expect("a record in time")
        .expect("a record");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout"
    );
    assert_eq!(p.upstream, live, "the address used");
    assert_eq!(p.outcome, crate::record::attempt::Outcome::Completed);
    let tried: Vec<SocketAddr> = p
        .record
        .events
        .iter()
        .filter_map(|e| match e.kind {
            crate::record::EventKind::Connecting { addr } => Some(addr),
            _ => None,
        })
        .collect();
    assert_eq!(tried, [hole.addr, refused, live]);
    assert!(p.record.events.iter().any(|e| matches!(
        &e.kind,
        crate::record::EventKind::Note { message, .. } if message == &format!("connected to {live}, address 3 of 3 of 127.0.0.1")
    )));
    let f = super::findings(&p);
    let connect: Vec<(&str, String)> = f
        .iter()
        .filter(|f| f.id.starts_with("connect-"))
        .map(|f| (f.id, f.summary.clone()))
        .collect();
    assert_eq!(
        connect,
        [
            (
                "connect-timeout",
                format!("{} did not answer the connection", hole.addr)
            ),
            (
                "connect-refused",
                format!("{refused} refused the connection")
            ),
        ]
    );

    // None answers: the session ends at connect.
    let (addr, mut records) = proxy_to(vec![refused], Duration::from_millis(300)).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    expect_eof(&mut s).await;
    let p = records.recv().await.expect("a record");
    assert_eq!(p.outcome, crate::record::attempt::Outcome::ConnectFailed);
    assert_eq!(p.upstream, refused);
}
