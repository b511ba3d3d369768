//! Self-tests of the test lab (tests/common/lab.rs, tests/lab/*.sh): the lab Postfix and the
//! lab DNS behave as the other integration tests assume.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use crate::common::lab::{self, Dns, Postfix, Zone};
use hickory_resolver::Resolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::{Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A minimal plain-text SMTP client over any stream.
struct Smtp<S: Read + Write> {
    stream: BufReader<S>,
}

impl<S: Read + Write> Smtp<S> {
    fn new(stream: S) -> Self {
        Smtp {
            stream: BufReader::new(stream),
        }
    }

    /// Read one (possibly multiline) reply: its code and its lines without CRLF.
    fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.stream.read_line(&mut line).expect("read reply");
            assert!(n > 0, "connection closed; lines so far: {lines:?}");
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            line.truncate(line.len() - 2);
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        let code = lines[0][..3].parse().expect("reply code");
        (code, lines)
    }

    fn send(&mut self, data: &str) {
        self.stream
            .get_mut()
            .write_all(data.as_bytes())
            .expect("write");
    }

    fn cmd(&mut self, command: &str) -> (u16, Vec<String>) {
        self.send(&format!("{command}\r\n"));
        self.reply()
    }

    fn expect(&mut self, command: &str, code: u16) -> Vec<String> {
        let (got, lines) = self.cmd(command);
        assert_eq!(got, code, "{command} -> {lines:?}");
        lines
    }
}

fn connect(postfix: &Postfix) -> Smtp<TcpStream> {
    let stream = TcpStream::connect_timeout(&postfix.addr(), TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    Smtp::new(stream)
}

#[test]
fn postfix_dialogue_and_delivery() {
    let postfix = Postfix::start();
    let mut smtp = connect(&postfix);

    let (code, greeting) = smtp.reply();
    assert_eq!(code, 220);
    assert!(
        greeting[0].starts_with("220 mx1.lab.test"),
        "greeting: {greeting:?}"
    );

    let ehlo = smtp.expect("EHLO client.lab.test", 250);
    assert!(ehlo[0].starts_with("250-mx1.lab.test"), "{ehlo:?}");
    assert!(
        ehlo.iter().any(|l| &l[4..] == "STARTTLS"),
        "STARTTLS not advertised: {ehlo:?}"
    );

    smtp.expect("MAIL FROM:<bench@lab.test>", 250);
    for rcpt in lab::LAB_RECIPIENTS {
        smtp.expect(&format!("RCPT TO:<{rcpt}>"), 250);
    }
    let unknown = smtp.expect(&format!("RCPT TO:<{}>", lab::LAB_UNKNOWN_RECIPIENT), 550);
    assert!(unknown[0].contains("5.1.1"), "{unknown:?}");
    let relay = smtp.expect("RCPT TO:<someone@example.com>", 554);
    assert!(relay[0].contains("Relay access denied"), "{relay:?}");

    smtp.expect("DATA", 354);
    smtp.send(
        "From: bench@lab.test\r\nTo: alice@lab.test\r\nSubject: lab selftest\r\n\r\n\
         hello lab\r\n..leading dot\r\n.\r\n",
    );
    let (code, queued) = smtp.reply();
    assert_eq!(code, 250, "{queued:?}");
    let id = queued[0]
        .strip_prefix("250 2.0.0 Ok: queued as ")
        .unwrap_or_else(|| panic!("unexpected reply to the final dot: {queued:?}"))
        .to_string();
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "queue id {id:?}"
    );
    smtp.expect("QUIT", 221);

    // The queue id is logged, and the message is delivered under the instance directory.
    let log = postfix.wait_for_maillog(&format!("{id}: removed"), TIMEOUT);
    assert!(
        log.contains(&format!("{id}: to=<alice@lab.test>")),
        "delivery of {id} not logged:\n{log}"
    );
    let mbox = postfix.mailbox("alice");
    assert!(mbox.contains(&format!("id {id}")), "{mbox}");
    assert!(
        mbox.contains("\n.leading dot\n"),
        "dot-unstuffed body: {mbox}"
    );
}

#[test]
fn postfix_starttls_certificate_verifies_with_cert_pem() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let postfix = Postfix::start();
    let pem = std::fs::read_to_string(postfix.cert_pem_path()).expect("read cert.pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let mut smtp = connect(&postfix);
    assert_eq!(smtp.reply().0, 220);
    smtp.expect("EHLO client.lab.test", 250);
    smtp.expect("STARTTLS", 220);

    // The certificate is the only trust anchor, as with `--ca-file cert.pem --sni mx1.lab.test`.
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(postfix.cert_pem_path()).expect("parse cert.pem") {
        roots
            .add(cert.expect("certificate"))
            .expect("add trust anchor");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(lab::LAB_HOSTNAME).expect("server name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("TLS client");
    let tcp = smtp.stream.into_inner();
    let mut tls = Smtp::new(rustls::StreamOwned::new(conn, tcp));

    let ehlo = tls.expect("EHLO client.lab.test", 250);
    assert!(
        !ehlo.iter().any(|l| l.ends_with("STARTTLS")),
        "STARTTLS still offered inside TLS: {ehlo:?}"
    );
    tls.expect(&format!("MAIL FROM:<bench@{}>", lab::LAB_DOMAIN), 250);
    tls.expect("RCPT TO:<postmaster@lab.test>", 250);
    tls.expect("QUIT", 221);
    postfix.wait_for_maillog("TLS connection established", TIMEOUT);
}

#[test]
fn postfix_instances_are_independent_and_stop_on_drop() {
    let a = Postfix::start();
    let b = Postfix::start();
    assert_ne!(a.port, b.port);
    assert_ne!(a.dir, b.dir);
    for postfix in [&a, &b] {
        let mut smtp = connect(postfix);
        assert_eq!(smtp.reply().0, 220);
        smtp.expect("QUIT", 221);
    }

    let pid = a.master_pid().expect("master pid");
    let (port, dir) = (a.port, a.dir.clone());
    drop(a);
    assert!(!process_alive(pid), "master {pid} still running after drop");
    assert!(!dir.exists(), "{} not removed", dir.display());
    assert!(
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), TIMEOUT).is_err(),
        "port {port} still accepts connections"
    );

    // The other instance is untouched.
    let mut smtp = connect(&b);
    assert_eq!(smtp.reply().0, 220);
    smtp.expect("QUIT", 221);
}

/// Whether `pid` is a live (not zombie) process.
fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

fn resolver(dns: &Dns) -> Resolver<TokioRuntimeProvider> {
    let mut server = NameServerConfig::udp_and_tcp(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for connection in &mut server.connections {
        connection.port = dns.port;
    }
    let config = ResolverConfig::from_parts(None, vec![], vec![server]);
    let mut builder = Resolver::builder_with_config(config, TokioRuntimeProvider::default());
    let options = builder.options_mut();
    options.timeout = Duration::from_secs(2);
    // Ask the lab DNS only: /etc/hosts would answer 127.0.0.1's PTR with `localhost`.
    options.use_hosts_file = ResolveHosts::Never;
    builder.build().expect("resolver")
}

/// One query over UDP straight to the lab DNS, bypassing the resolver's special cases.
fn raw_query(dns: &Dns, name: &str, record_type: RecordType) -> Message {
    let mut query = Message::query();
    query.add_query(Query::query(Name::from_ascii(name).unwrap(), record_type));
    query.metadata.recursion_desired = true;
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind UDP");
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    socket
        .send_to(&query.to_vec().expect("encode query"), dns.addr())
        .expect("send query");
    let mut buf = [0u8; 4096];
    let (n, _) = socket.recv_from(&mut buf).expect("DNS answer");
    let answer = Message::from_vec(&buf[..n]).expect("decode answer");
    assert_eq!(answer.metadata.id, query.metadata.id);
    answer
}

/// MX records of `domain` as (preference, exchange without the final dot), sorted.
async fn mx(resolver: &Resolver<TokioRuntimeProvider>, domain: &str) -> Vec<(u16, String)> {
    let lookup = resolver
        .lookup(format!("{domain}."), RecordType::MX)
        .await
        .unwrap_or_else(|e| panic!("MX {domain}: {e}"));
    let mut records: Vec<(u16, String)> = lookup
        .answers()
        .iter()
        .map(|record| match &record.data {
            RData::MX(mx) => (mx.preference, mx.exchange.to_ascii()),
            other => panic!("MX {domain}: unexpected answer {other:?}"),
        })
        .collect();
    records.sort();
    records
}

/// A records of `name`; empty when the name exists without any.
async fn a(resolver: &Resolver<TokioRuntimeProvider>, name: &str) -> Vec<Ipv4Addr> {
    match resolver.lookup(format!("{name}."), RecordType::A).await {
        Ok(lookup) => lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect(),
        Err(e) if e.is_no_records_found() && !e.is_nx_domain() => Vec::new(),
        Err(e) => panic!("A {name}: {e}"),
    }
}

#[tokio::test]
async fn dns_serves_the_lab_zone() {
    let dns = Dns::start_lab();
    let resolver = resolver(&dns);

    // lab.test: three MX in preference order, each with its address.
    let expected: Vec<(u16, String)> = lab::LAB_MX
        .iter()
        .map(|(preference, exchange, _)| (*preference, format!("{exchange}.")))
        .collect();
    assert_eq!(mx(&resolver, lab::LAB_DOMAIN).await, expected);
    for (_, exchange, addr) in lab::LAB_MX {
        assert_eq!(a(&resolver, exchange).await, vec![addr], "A {exchange}");
    }

    // implicit.lab.test: an address, no MX (NOERROR, no records: not NXDOMAIN).
    let err = resolver
        .lookup(format!("{}.", lab::IMPLICIT_DOMAIN), RecordType::MX)
        .await
        .expect_err("implicit.lab.test has no MX");
    assert!(err.is_no_records_found() && !err.is_nx_domain(), "{err}");
    assert_eq!(
        a(&resolver, lab::IMPLICIT_DOMAIN).await,
        vec![lab::IMPLICIT_ADDR]
    );

    // nullmx.lab.test: the null MX, exchange is the root; the name has no address.
    let null = mx(&resolver, lab::NULLMX_DOMAIN).await;
    assert_eq!(null, vec![(0, ".".to_string())]);
    let lookup = resolver
        .lookup(format!("{}.", lab::NULLMX_DOMAIN), RecordType::MX)
        .await
        .unwrap();
    match &lookup.answers()[0].data {
        RData::MX(mx) => assert!(mx.exchange.is_root(), "{mx:?}"),
        other => panic!("{other:?}"),
    }
    assert!(a(&resolver, lab::NULLMX_DOMAIN).await.is_empty());

    // noaddr.lab.test: MX to a host that exists but has no address.
    assert_eq!(
        mx(&resolver, lab::NOADDR_DOMAIN).await,
        vec![(lab::NOADDR_MX.0, format!("{}.", lab::NOADDR_MX.1))]
    );
    assert!(a(&resolver, lab::NOADDR_MX.1).await.is_empty());
    let err = resolver
        .lookup(format!("{}.", lab::NOADDR_MX.1), RecordType::AAAA)
        .await
        .expect_err("ghost has no AAAA");
    assert!(err.is_no_records_found() && !err.is_nx_domain(), "{err}");

    // nxdomain.lab.test: NXDOMAIN for every type.
    for record_type in [RecordType::MX, RecordType::A] {
        let err = resolver
            .lookup(format!("{}.", lab::NXDOMAIN_DOMAIN), record_type)
            .await
            .expect_err("nxdomain.lab.test must not exist");
        assert!(err.is_nx_domain(), "{record_type}: {err}");
    }

    // PTR 127.0.0.1 -> mx1.lab.test, and none for 127.0.0.2. Asked directly: hickory's
    // Resolver answers every 127.in-addr.arpa PTR itself with `localhost.` (RFC 6761) and
    // never sends the query.
    let answer = raw_query(&dns, "1.0.0.127.in-addr.arpa.", RecordType::PTR);
    assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
    let names: Vec<String> = answer
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::PTR(ptr) => Some(ptr.0.to_ascii()),
            _ => None,
        })
        .collect();
    assert_eq!(names, vec![format!("{}.", lab::LAB_PTR.1)]);
    let answer = raw_query(&dns, "2.0.0.127.in-addr.arpa.", RecordType::PTR);
    assert_eq!(answer.metadata.response_code, ResponseCode::NXDomain);
    assert!(answer.answers.is_empty());
    let via_resolver = resolver
        .lookup("1.0.0.127.in-addr.arpa.", RecordType::PTR)
        .await
        .expect("PTR via the resolver");
    assert!(
        matches!(&via_resolver.answers()[0].data, RData::PTR(ptr) if ptr.0.to_ascii() == "localhost."),
        "hickory no longer special-cases loopback PTRs: {via_resolver:?}"
    );

    assert!(
        dns.log().contains("query[MX] lab.test from 127.0.0.1"),
        "{}",
        dns.log()
    );
}

#[tokio::test]
async fn dns_serves_a_custom_zone_and_stops_on_drop() {
    let zone = Zone::new(&["example.test"])
        .mx("example.test", 5, "mail.example.test")
        .a("mail.example.test", Ipv4Addr::new(127, 0, 0, 9))
        .aaaa("mail.example.test", std::net::Ipv6Addr::LOCALHOST);
    let dns = Dns::start(&zone);
    assert_eq!(dns.zone, zone);
    let resolver = resolver(&dns);
    assert_eq!(
        mx(&resolver, "example.test").await,
        vec![(5, "mail.example.test.".to_string())]
    );
    assert_eq!(
        a(&resolver, "mail.example.test").await,
        vec![Ipv4Addr::new(127, 0, 0, 9)]
    );
    let aaaa = resolver
        .lookup("mail.example.test.", RecordType::AAAA)
        .await
        .expect("AAAA");
    assert!(
        matches!(&aaaa.answers()[0].data, RData::AAAA(v6) if v6.0 == std::net::Ipv6Addr::LOCALHOST)
    );

    let port = dns.port;
    drop(dns);
    assert!(
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), TIMEOUT).is_err(),
        "DNS port {port} still open after drop"
    );
}

/// Runs as a child process of the test below: starts a Postfix and a DNS server, reports them,
/// and exits without dropping either, like a test binary that keeps them in a `static`.
const LEAK_HELPER_ENV: &str = "SMTPDOCTOR_LAB_LEAK_HELPER";

#[test]
fn instances_never_dropped_are_stopped_when_the_process_exits() {
    if std::env::var_os(LEAK_HELPER_ENV).is_some() {
        let postfix = Postfix::start();
        let dns = Dns::start_lab();
        println!(
            "LEAKED {} {} {}",
            postfix.dir.display(),
            postfix.master_pid().expect("master pid"),
            dns.dir.display()
        );
        std::mem::forget(postfix);
        std::mem::forget(dns);
        std::process::exit(0);
    }

    // libtest names a test by its module path without the crate name.
    let this_test = format!(
        "{}::instances_never_dropped_are_stopped_when_the_process_exits",
        module_path!()
            .split_once("::")
            .expect("a module of the test crate")
            .1
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &this_test, "--nocapture"])
        .env(LEAK_HELPER_ENV, "1")
        .output()
        .expect("run the helper");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("LEAKED "))
        .unwrap_or_else(|| {
            panic!(
                "helper output: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let mut words = line.split(' ');
    let postfix_dir = std::path::PathBuf::from(words.next().unwrap());
    let master: u32 = words.next().unwrap().parse().unwrap();
    let dns_dir = std::path::PathBuf::from(words.next().unwrap());

    let deadline = std::time::Instant::now() + TIMEOUT;
    while process_alive(master) || postfix_dir.exists() || dns_dir.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "not cleaned up: master {master} alive: {}, {} exists: {}, {} exists: {}",
            process_alive(master),
            postfix_dir.display(),
            postfix_dir.exists(),
            dns_dir.display(),
            dns_dir.exists()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
