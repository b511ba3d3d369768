//! `smtpdoctor mock` and `demo --client` judge clients (SPEC §8): scripted clients in this process against the real binary, the built-in demo clients, report shape, exit codes, timeliness, redaction.

use crate::common::{BIN, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// Every client finding of SPEC §8: each demo client must produce exactly its `expect` list.
pub(crate) const IMPLEMENTED_CLIENT_CHECKS: &[&str] = &[
    "client-pregreet",
    "client-multiline-early",
    "client-bare-lf",
    "client-bare-cr",
    "client-data-bare-lf",
    "client-command-too-long",
    "client-text-line-too-long",
    "client-pipelining-unadvertised",
    "client-pipelining-misordered",
    "client-ehlo-invalid",
    "client-helo-only",
    "client-starttls-unused",
    "client-auth-plaintext",
    "client-tls",
    "client-8bit-undeclared",
    "client-size-exceeded",
    "client-timeout-short",
    "client-duplicate",
    "client-no-quit",
    "client-silent",
];

/// SPEC §8 shape checks of one `smtpdoctor.client-report/v1` document.
pub(crate) fn assert_client_report_shape(name: &str, doc: &Value) {
    assert_eq!(doc["schema"], "smtpdoctor.client-report/v1", "{name}");
    assert_eq!(doc["tool"]["name"], "smtpdoctor", "{name}");
    assert_eq!(doc["mode"], "mock", "{name}");
    assert!(doc["scenario"].is_string(), "{name}");
    assert!(doc["listen"].is_string(), "{name}");
    let c = &doc["connection"];
    assert!(
        c["n"].as_u64().is_some_and(|n| n >= 1),
        "{name}: connection.n"
    );
    assert!(c["peer"].is_string(), "{name}: connection.peer");
    assert!(c["started_at"].is_string(), "{name}");
    assert!(c["duration_ms"].is_number(), "{name}");
    assert!(doc.get("tls").is_some(), "{name}: tls");
    let transcript = doc["transcript"].as_array().expect("transcript");
    for e in transcript {
        let dir = e["dir"].as_str().expect("dir");
        assert!(["client", "server", "local"].contains(&dir), "{name}: {e}");
        assert!(e["raw"].is_string() && e["text"].is_string() && e["at_ms"].is_number());
        if dir == "client" {
            assert!(
                !e["reads"].as_array().expect("reads").is_empty(),
                "{name}: client lines carry their reads: {e}"
            );
        }
    }
    for m in doc["messages"].as_array().expect("messages") {
        assert!(m["size"].is_u64(), "{name}: {m}");
        assert_eq!(m["sha256"].as_str().expect("sha256").len(), 64, "{name}");
        assert!(m["message_id"].is_string() || m["message_id"].is_null());
        assert!(m["dot_at_ms"].is_number());
        assert!(m["accepted"].is_boolean() && m["reply_written"].is_boolean());
        assert!(m["duplicate_of"].is_null() || m["duplicate_of"]["connection"].is_u64());
    }
    let mut worst = 0;
    for f in doc["findings"].as_array().expect("findings") {
        for field in [
            "id",
            "severity",
            "stage",
            "summary",
            "detail",
            "reference",
            "fix",
        ] {
            assert!(f[field].is_string(), "{name}: finding {field}: {f}");
        }
        assert_eq!(
            f["attempt"], c["n"],
            "{name}: attempt is the connection number"
        );
        if let Some(i) = f["transcript_index"].as_u64() {
            assert!((i as usize) < transcript.len(), "{name}: {f}");
        }
        worst = worst.max(match f["severity"].as_str().unwrap() {
            "error" => 2,
            "warning" => 1,
            _ => 0,
        });
    }
    assert_eq!(
        doc["exit_code"], worst,
        "{name}: exit code is the worst severity"
    );
    assert_eq!(
        doc["verdict"],
        ["ok", "warning", "error"][worst as usize],
        "{name}"
    );
}

/// The documents of JSON Lines output.
pub(crate) fn json_lines(what: &str, stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{what}: invalid JSON line ({e}): {l}"))
        })
        .collect()
}

fn ids_of(docs: &[Value]) -> BTreeSet<String> {
    docs.iter()
        .flat_map(|d| d["findings"].as_array().unwrap().iter())
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// `smtpdoctor mock` running on a free loopback port; its stdout lines arrive with their time.
pub(crate) struct MockProcess {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    lines: Receiver<(Instant, String)>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl MockProcess {
    /// Starts `smtpdoctor mock --listen 127.0.0.1:PORT ARGS` and waits until it listens.
    pub(crate) fn start(args: &[&str]) -> MockProcess {
        for _ in 0..5 {
            let port = crate::common::lab::free_port();
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let mut child = Command::new(BIN)
                .arg("mock")
                .arg("--listen")
                .arg(addr.to_string())
                .args(args)
                .env_remove("NO_COLOR")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn smtpdoctor mock");
            let stdout = child.stdout.take().unwrap();
            let mut stderr = BufReader::new(child.stderr.take().unwrap());
            let mut first = String::new();
            let _ = stderr.read_line(&mut first);
            if !first.contains("serving scenario") {
                let _ = child.kill();
                let _ = child.wait();
                assert!(
                    first.contains("cannot listen"),
                    "mock did not start: {first}"
                );
                continue;
            }
            let (tx, lines) = channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((Instant::now(), line)).is_err() {
                        break;
                    }
                }
            });
            let stderr = std::thread::spawn(move || {
                let mut rest = first;
                let _ = stderr.read_to_string(&mut rest);
                rest
            });
            return MockProcess {
                child,
                addr,
                lines,
                stderr: Some(stderr),
            };
        }
        panic!("no free port for the mock");
    }

    /// The next stdout line and when it came, within `wait`.
    pub(crate) fn next_line(&self, wait: Duration) -> Option<(Instant, String)> {
        self.lines.recv_timeout(wait).ok()
    }

    /// The next JSON document on stdout.
    pub(crate) fn next_doc(&self, wait: Duration) -> (Instant, Value) {
        let (at, line) = self.next_line(wait).expect("a report on stdout");
        (
            at,
            serde_json::from_str(&line).expect("one JSON document per line"),
        )
    }

    /// Waits for the process to exit by itself: its exit code, the rest of stdout, stderr.
    pub(crate) fn wait(mut self, wait: Duration) -> (i32, Vec<String>, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if started.elapsed() > wait {
                let _ = self.child.kill();
                panic!("mock did not exit within {wait:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest = self.lines.iter().map(|(_, l)| l).collect();
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        (status.code().unwrap_or(-1), rest, stderr)
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scripted client: writes each step and reads one reply after each (a reply ends with the
/// first line that has a space after its code).
pub(crate) struct RawClient {
    s: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    pub(crate) fn connect(addr: SocketAddr) -> RawClient {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        RawClient { s, buf: Vec::new() }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).expect("write");
    }

    /// One whole reply, as text.
    pub(crate) fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            while let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=p).collect();
                let line = String::from_utf8_lossy(&line).into_owned();
                reply.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    return reply;
                }
            }
            let mut b = [0u8; 4096];
            let n = self.s.read(&mut b).expect("read");
            assert!(n > 0, "connection closed; so far {reply:?}");
            self.buf.extend_from_slice(&b[..n]);
        }
    }

    pub(crate) fn chat(&mut self, cmd: &[u8]) -> String {
        self.send(cmd);
        self.reply()
    }

    /// Greeting, EHLO, MAIL, RCPT, DATA and `message`; returns the reply to the dot.
    pub(crate) fn deliver(&mut self, message: &[u8]) -> String {
        assert!(self.reply().starts_with("220"));
        assert!(self.chat(b"EHLO client.test\r\n").starts_with("250"));
        assert!(
            self.chat(b"MAIL FROM:<a@client.test>\r\n")
                .starts_with("250")
        );
        assert!(
            self.chat(b"RCPT TO:<postmaster@demo.test>\r\n")
                .starts_with("250")
        );
        assert!(self.chat(b"DATA\r\n").starts_with("354"));
        self.chat(message)
    }
}

const MESSAGE: &[u8] = b"Message-ID: <scripted@client.test>\r\nSubject: x\r\n\r\n..hello\r\n.\r\n";

#[test]
fn every_demo_client_shows_its_findings() {
    let clients: Vec<_> = smtpdoctor::server::DEMO_CLIENTS.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some(c) =
                    clients.get(next.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
                {
                    let out = smtpdoctor()
                        .args(["demo", "--client", c.name, "--json"])
                        .timeout(Duration::from_secs(60))
                        .output()
                        .unwrap();
                    results.lock().unwrap().push((*c, out));
                }
            });
        }
    });
    let mut failures = Vec::new();
    for (c, out) in results.into_inner().unwrap() {
        let docs = json_lines(c.name, &out.stdout);
        assert_eq!(
            docs.len(),
            c.connections.len(),
            "{}: one report per connection",
            c.name
        );
        for (i, d) in docs.iter().enumerate() {
            assert_client_report_shape(c.name, d);
            assert_eq!(d["connection"]["n"], i as u64 + 1);
            assert_eq!(d["scenario"], c.scenario);
        }
        let worst = docs.iter().map(|d| d["exit_code"].as_i64().unwrap()).max();
        assert_eq!(
            out.status.code().map(i64::from),
            worst,
            "{}: exit code",
            c.name
        );
        let got = ids_of(&docs);
        let want: BTreeSet<String> = c.expect.iter().map(|s| s.to_string()).collect();
        let outside: Vec<_> = got.difference(&want).collect();
        let missing: Vec<_> = want
            .iter()
            .filter(|id| IMPLEMENTED_CLIENT_CHECKS.contains(&id.as_str()) && !got.contains(*id))
            .collect();
        if !outside.is_empty() || !missing.is_empty() {
            failures.push(format!(
                "{}: expected {want:?}, got {got:?} (not expected: {outside:?}, missing: {missing:?})",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn demo_client_text_shows_the_transcript_and_redacts_credentials() {
    for (name, secrets) in [
        ("clean", &["ZGVtbw==", "c2VjcmV0"][..]),
        ("plaintext-auth", &["AGRlbW8Ac2VjcmV0"][..]),
    ] {
        for format in [
            &["--color", "never"][..],
            &["--json"],
            &["--color", "always", "-v"],
        ] {
            let out = smtpdoctor()
                .args(["demo", "--client", name])
                .args(format)
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("<redacted>"), "{name} {format:?}: {stdout}");
            for s in secrets {
                assert!(
                    !stdout.contains(s),
                    "{name} {format:?}: {s} leaked: {stdout}"
                );
                assert!(!String::from_utf8_lossy(&out.stderr).contains(s));
            }
        }
    }
    let out = smtpdoctor()
        .args(["demo", "--client", "ccnotes", "--color", "never"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let helo = text
        .find(">>       HELO client.demo.test\\r\\n")
        .expect(&text);
    let greeting = text
        .find("<<       220 mx.demo.test ESMTP smtpdoctor-mock")
        .expect(&text);
    assert!(
        helo < greeting,
        "the early HELO stands before the greeting's end: {text}"
    );
    assert!(text.contains("[writes #1@"), "{text}");
    assert!(text.contains("Verdict: "), "{text}");
    assert!(text.contains("Messages\n  1. 185 octets, Message-ID <demo-1@client.demo.test>"));
}

#[test]
fn demo_list_names_servers_and_clients() {
    let out = smtpdoctor().args(["demo", "--list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Scenarios (") && text.contains("Clients ("),
        "{text}"
    );
    for c in smtpdoctor::server::DEMO_CLIENTS {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("  {} ", c.name)) && l.ends_with(c.summary)),
            "{}",
            c.name
        );
    }
    for s in [
        "client-dot-hold",
        "client-teaser",
        "client-keepalive",
        "client-multiline",
        "client-strict",
        "client-minimal",
    ] {
        assert!(text.contains(&format!("  {s} ")), "{s}");
    }
    let out = smtpdoctor()
        .args(["demo", "--client", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn once_serves_one_connection_and_exits_with_its_code() {
    let mock = MockProcess::start(&["--scenario", "clean", "--once", "--json"]);
    let mut c = RawClient::connect(mock.addr);
    assert!(c.deliver(MESSAGE).starts_with("250"));
    drop(c); // no QUIT
    let (code, rest, stderr) = mock.wait(Duration::from_secs(10));
    assert_eq!(rest.len(), 1, "one report: {rest:?}\n{stderr}");
    let doc: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_client_report_shape("once", &doc);
    assert_eq!(doc["scenario"], "clean");
    assert_eq!(code, doc["exit_code"].as_i64().unwrap() as i32);
    assert!(ids_of(std::slice::from_ref(&doc)).contains("client-no-quit"));
    let m = &doc["messages"][0];
    assert_eq!(m["size"], 58, "unstuffed, up to the CRLF before the dot");
    assert_eq!(m["message_id"], "scripted@client.test");
    assert_eq!(
        (m["accepted"].as_bool(), m["reply_written"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(m["duplicate_of"].is_null());
    assert!(
        stderr.contains("serving scenario clean"),
        "notices go to stderr: {stderr}"
    );
}

#[test]
fn count_serves_n_connections_and_exits_with_the_worst() {
    let mock = MockProcess::start(&["--scenario", "clean", "--count", "2", "--json"]);
    for _ in 0..2 {
        let mut c = RawClient::connect(mock.addr);
        assert!(c.deliver(MESSAGE).starts_with("250"));
        assert!(c.chat(b"QUIT\r\n").starts_with("221"));
    }
    let (first_at, first) = mock.next_doc(Duration::from_secs(10));
    let (_, second) = mock.next_doc(Duration::from_secs(10));
    let _ = first_at;
    assert_client_report_shape("count 1", &first);
    assert_client_report_shape("count 2", &second);
    assert_eq!(
        (
            first["connection"]["n"].as_u64(),
            second["connection"]["n"].as_u64()
        ),
        (Some(1), Some(2))
    );
    // The scripted client delivers in clear text although STARTTLS is offered: a warning.
    let first_ids: Vec<_> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        first_ids,
        ["client-starttls-unused"],
        "{:#}",
        first["findings"]
    );
    assert_eq!(first["exit_code"], 1);
    assert_eq!(second["messages"][0]["duplicate_of"]["connection"], 1);
    assert_eq!(
        second["messages"][0]["duplicate_of"]["message_id"],
        "scripted@client.test"
    );
    assert!(ids_of(std::slice::from_ref(&second)).contains("client-duplicate"));
    let (code, rest, _) = mock.wait(Duration::from_secs(10));
    assert!(rest.is_empty());
    assert_eq!(code, 2, "the worst of the two");
}

/// The report of a client that leaves while the dot reply is held comes at once, not when the
/// hold ends.
#[test]
fn a_report_comes_within_a_second_of_the_close_during_a_hold() {
    let mock = MockProcess::start(&["--scenario", "client-dot-hold", "--hold", "5m", "--json"]);
    let mut c = RawClient::connect(mock.addr);
    c.deliver_without_reply(MESSAGE);
    std::thread::sleep(Duration::from_millis(700));
    let closed = Instant::now();
    drop(c);
    let (at, doc) = mock.next_doc(Duration::from_secs(5));
    let delay = at.duration_since(closed);
    eprintln!("report {} ms after the close", delay.as_millis());
    assert!(delay < Duration::from_secs(1), "{delay:?}");
    assert_client_report_shape("hold", &doc);
    let m = &doc["messages"][0];
    assert_eq!(
        (m["accepted"].as_bool(), m["reply_written"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(m["dot_at_ms"].as_f64().unwrap() < 500.0);
}

impl RawClient {
    /// Like [`RawClient::deliver`], without waiting for the reply to the dot.
    fn deliver_without_reply(&mut self, message: &[u8]) {
        assert!(self.reply().starts_with("220"));
        assert!(self.chat(b"EHLO client.test\r\n").starts_with("250"));
        assert!(
            self.chat(b"MAIL FROM:<a@client.test>\r\n")
                .starts_with("250")
        );
        assert!(
            self.chat(b"RCPT TO:<postmaster@demo.test>\r\n")
                .starts_with("250")
        );
        assert!(self.chat(b"DATA\r\n").starts_with("354"));
        self.send(message);
    }
}

#[test]
fn text_reports_go_to_stdout_one_after_the_other() {
    let mock = MockProcess::start(&[
        "--scenario",
        "no-starttls",
        "--count",
        "2",
        "--color",
        "never",
    ]);
    for _ in 0..2 {
        let mut c = RawClient::connect(mock.addr);
        assert!(c.reply().starts_with("220"));
        assert!(c.chat(b"EHLO \x1b[31mevil\r\n").starts_with("250"));
        assert!(c.chat(b"QUIT\r\n").starts_with("221"));
    }
    let (code, lines, _) = mock.wait(Duration::from_secs(10));
    let text = lines.join("\n");
    // An EHLO argument with an escape sequence is no host name: a warning, shown escaped.
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        text.matches("Verdict: WARNING (exit 1)").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("client-ehlo-invalid  [connection").count(),
        2,
        "{text}"
    );
    assert!(text.contains("EHLO \\x1b[31mevil\\r\\n"), "escaped: {text}");
    assert!(!text.contains('\x1b'));
}

#[test]
fn usage_errors_exit_3() {
    for args in [
        &[
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "no-such-scenario",
        ][..],
        &[
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "clean",
            "--cert",
            "/nonexistent",
        ],
        &[
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "clean",
            "--once",
            "--count",
            "2",
        ],
        &[
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "clean",
            "--count",
            "0",
        ],
        &[
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "clean",
            "--cert",
            "/nonexistent",
            "--key",
            "/nonexistent",
        ],
    ] {
        let out = smtpdoctor()
            .args(args)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// `--cert/--key` replace the demo certificate presented after STARTTLS.
#[test]
fn cert_and_key_are_presented_after_starttls() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["mock.example.test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let mock = MockProcess::start(&[
        "--scenario",
        "clean",
        "--once",
        "--json",
        "--cert",
        cert_path.to_str().unwrap(),
        "--key",
        key_path.to_str().unwrap(),
    ]);
    let mut c = RawClient::connect(mock.addr);
    assert!(c.reply().starts_with("220"));
    assert!(c.chat(b"EHLO client.test\r\n").contains("STARTTLS"));
    assert!(c.chat(b"STARTTLS\r\n").starts_with("220"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("mock.example.test").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut c.s);
    tls.write_all(b"QUIT\r\n")
        .expect("handshake with the given certificate");
    let mut reply = [0u8; 64];
    let n = tls.read(&mut reply).unwrap();
    assert!(
        reply[..n].starts_with(b"221"),
        "{:?}",
        String::from_utf8_lossy(&reply[..n])
    );
    drop(c);
    let (code, rest, _) = mock.wait(Duration::from_secs(10));
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(doc["tls"]["client_sni"], "mock.example.test");
    assert!(
        doc["tls"]["version"]
            .as_str()
            .unwrap()
            .starts_with("TLSv1.")
    );
}

/// The explain text of a Postfix dot timeout names the client finding and the mock command.
#[test]
fn explain_names_the_client_side_of_a_dot_timeout() {
    let out = smtpdoctor()
        .args([
            "explain",
            "postfix/smtp[1]: ... timed out while sending end of data -- message may be sent more than once",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("client-timeout-short"), "{text}");
    assert!(
        text.contains("smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-dot-hold"),
        "{text}"
    );
}
