//! `smtpdoctor proxy` between real clients (swaks, scripted sockets) and the lab Postfix: the message arrives unchanged, both sides are in one report and judged, and silent peers end in bounded time.

use crate::common::BIN;
use crate::common::lab::{Postfix, free_port};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn postfix() -> &'static Postfix {
    static PF: OnceLock<Postfix> = OnceLock::new();
    PF.get_or_init(Postfix::start)
}

/// A running `smtpdoctor proxy --once --json`.
struct Proxy {
    child: Child,
    addr: SocketAddr,
}

impl Proxy {
    fn start(upstream: SocketAddr, extra: &[&str]) -> Proxy {
        for _ in 0..5 {
            let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
            let mut child = Command::new(BIN)
                .args(["proxy", "--listen", &addr.to_string()])
                .args(["--upstream", &upstream.to_string(), "--once", "--json"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn smtpdoctor proxy");
            let mut first = String::new();
            let _ = BufReader::new(child.stderr.as_mut().unwrap()).read_line(&mut first);
            if first.contains("relaying") {
                return Proxy { child, addr };
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                first.contains("cannot listen"),
                "proxy did not start: {first}"
            );
        }
        panic!("no free port for the proxy");
    }

    /// Waits (at most `wait`) for the proxy to exit: its exit code and its report.
    fn report(mut self, wait: Duration) -> (i32, Value) {
        let deadline = Instant::now() + wait;
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the proxy did not end within {wait:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let doc: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(doc["schema"], "smtpdoctor.client-report/v1");
        assert_eq!(doc["mode"], "proxy");
        assert_eq!(doc["exit_code"].as_i64().unwrap() as i32, code, "{doc:#}");
        (code, doc)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ids(doc: &Value) -> BTreeSet<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// The texts of the transcript entries of `dir`.
fn texts(doc: &Value, dir: &str) -> Vec<String> {
    doc["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == dir)
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

fn sha256_hex(b: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The message swaks sends: unique per test, with a line that needs dot-stuffing.
fn message(tag: &str) -> String {
    format!(
        "Message-ID: <{tag}@proxy.test>\r\nSubject: proxy {tag}\r\nFrom: <sender@client.test>\r\n\
         To: <postmaster@lab.test>\r\n\r\nbody of {tag}\r\n.a leading dot\r\nlast line\r\n"
    )
}

/// swaks through the proxy into Postfix with `extra`; returns the proxy's report after
/// checking that the message arrived unchanged.
fn swaks_through(tag: &str, proxy_args: &[&str], swaks_args: &[&str]) -> (i32, Value) {
    let pf = postfix();
    let proxy = Proxy::start(pf.addr(), proxy_args);
    let msg = message(tag);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msg.eml");
    std::fs::write(&file, &msg).unwrap();
    let out = Command::new("swaks")
        .args(["--server", &proxy.addr.to_string()])
        .args([
            "--to",
            "postmaster@lab.test",
            "--from",
            "sender@client.test",
        ])
        .args(["--helo", "client.lab.test", "--timeout", "20"])
        .args(["--data", file.to_str().unwrap()])
        .args(swaks_args)
        .output()
        .expect("run swaks");
    assert!(
        out.status.success(),
        "swaks: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, doc) = proxy.report(Duration::from_secs(20));
    // What the client sent, as the proxy recorded it, is what swaks was given.
    let m = &doc["messages"][0];
    if doc["tls"]["mode"] != "passthrough" || swaks_args.is_empty() {
        // swaks ends the data with a line end of its own after the file's last line.
        let sent = format!("{msg}\r\n");
        assert_eq!(m["sha256"], sha256_hex(sent.as_bytes()), "{doc:#}");
        assert_eq!(m["message_id"], format!("{tag}@proxy.test"));
        assert_eq!(m["accepted"], true);
    }
    // And Postfix queued and delivered it unchanged (the mailbox stores lines with LF).
    let deadline = Instant::now() + Duration::from_secs(10);
    let want = msg.replace("\r\n", "\n");
    let body = &want[want.find("\n\n").unwrap()..];
    loop {
        let mbox = pf.mailbox("postmaster");
        if let Some(at) = mbox.find(&format!("Message-ID: <{tag}@proxy.test>")) {
            assert!(mbox[at..].contains(body), "{body:?} not in {mbox}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{tag} not delivered:\n{}",
            pf.maillog()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (code, doc)
}

/// Both sides' lines carry their reads.
fn assert_both_sides(doc: &Value) {
    for e in doc["transcript"].as_array().unwrap() {
        if e["dir"] == "client" || e["dir"] == "server" {
            assert!(!e["reads"].as_array().unwrap().is_empty(), "{e}");
        }
    }
    assert!(texts(doc, "server")[0].starts_with("220 "), "{doc:#}");
    assert!(texts(doc, "client")[0].starts_with("EHLO client.lab.test"));
}

#[test]
fn plain_session_reaches_postfix_unchanged_and_both_sides_are_judged() {
    let (code, doc) = swaks_through("plain", &[], &[]);
    assert_both_sides(&doc);
    assert!(
        texts(&doc, "server")
            .iter()
            .any(|t| t.starts_with("250 2.0.0 Ok: queued as"))
    );
    // Postfix offers STARTTLS; swaks without --tls does not use it.
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["client-starttls-unused".to_string()])
    );
    assert_eq!(code, 1);
    assert!(doc["tls"]["upstream"].is_null());
    assert!(
        doc["upstream"]
            .as_str()
            .unwrap()
            .contains(&postfix().port.to_string())
    );
}

#[test]
fn starttls_passthrough_relays_tls_opaquely() {
    let (_, doc) = swaks_through("passthrough", &[], &["--tls"]);
    assert_both_sides(&doc);
    assert_eq!(doc["tls"]["mode"], "passthrough");
    assert!(doc["tls"]["client"].is_null());
    let local = texts(&doc, "local");
    assert!(local.iter().any(|t| t.contains("not visible")), "{local:?}");
    assert!(!ids(&doc).contains("client-starttls-unused"));
    assert!(
        !ids(&doc).contains("client-no-quit"),
        "QUIT went inside TLS"
    );
}

#[test]
fn starttls_terminate_sees_and_judges_the_inside() {
    let ca = postfix().cert_pem_path().display().to_string();
    let (_, doc) = swaks_through(
        "terminate",
        &["--tls", "terminate", "--ca-file", &ca],
        &["--tls"],
    );
    assert_both_sides(&doc);
    let tls = &doc["tls"];
    assert_eq!(tls["mode"], "terminate");
    assert_eq!(tls["certificate_sha256"].as_str().unwrap().len(), 64);
    assert!(
        tls["client"]["version"]
            .as_str()
            .unwrap()
            .starts_with("TLS")
    );
    assert!(
        tls["upstream"]["verification"]["trusted"]
            .as_bool()
            .unwrap(),
        "{tls:#}"
    );
    let inside: Vec<&Value> = doc["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["tls"] == true && e["dir"] == "client")
        .collect();
    assert!(inside.iter().any(|e| e["text"] == "QUIT"), "{doc:#}");
    assert!(ids(&doc).contains("client-tls"));
    assert!(!ids(&doc).contains("tls-cert-untrusted"));
}

/// Reads from `s` until `needle` arrived or the stream ended.
fn read_until(s: &mut TcpStream, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn bad_client_is_flagged_and_postfix_judged_too() {
    let pf = postfix();
    // A command ended by a bare LF, and HELO.
    let proxy = Proxy::start(pf.addr(), &[]);
    let mut s = TcpStream::connect(proxy.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    read_until(&mut s, "\r\n");
    s.write_all(b"HELO bad.client.test\n").unwrap();
    read_until(&mut s, "\r\n");
    s.write_all(b"QUIT\r\n").unwrap();
    read_until(&mut s, "221");
    drop(s);
    let (code, doc) = proxy.report(Duration::from_secs(20));
    let found = ids(&doc);
    assert!(found.contains("client-bare-lf"), "{found:?}");
    assert!(found.contains("client-helo-only"), "{found:?}");
    assert_eq!(code, 2);
    // Postfix's side is in the same transcript, judged by the server checks (HELO cannot
    // advertise STARTTLS).
    assert!(
        texts(&doc, "server").iter().any(|t| t.starts_with("221")),
        "{doc:#}"
    );
    assert!(found.contains("starttls-absent"), "{found:?}");

    // HELO before the greeting. Postfix greets at once, so a greeting that comes late (as
    // postscreen's or a slow banner's does) comes from a scripted upstream: the HELO is surely
    // early, however loaded the machine is.
    let slow = TcpListener::bind("127.0.0.1:0").unwrap();
    let slow_addr = slow.local_addr().unwrap();
    let upstream = std::thread::spawn(move || {
        let (mut s, _) = slow.accept().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        s.write_all(b"220 slow.lab.test ESMTP\r\n").unwrap();
        let (mut seen, mut helo_answered) = (Vec::new(), false);
        let mut buf = [0u8; 512];
        while !seen.windows(6).any(|w| w == b"QUIT\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
            if !helo_answered && seen.windows(6).any(|w| w == b"HELO e") {
                helo_answered = true;
                let _ = s.write_all(b"250 slow.lab.test\r\n");
            }
        }
        let _ = s.write_all(b"221 bye\r\n");
    });
    let proxy = Proxy::start(slow_addr, &[]);
    let mut s = TcpStream::connect(proxy.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"HELO early.client.test\r\n").unwrap();
    let seen = read_until(&mut s, "\r\n");
    s.write_all(b"QUIT\r\n").unwrap();
    read_until(&mut s, "221");
    drop(s);
    let (_, doc) = proxy.report(Duration::from_secs(20));
    let found = ids(&doc);
    assert!(
        found.contains("client-pregreet"),
        "{found:?} {seen} {doc:#}"
    );
    assert!(
        texts(&doc, "server").iter().any(|t| t.starts_with("220 ")),
        "{doc:#}"
    );
    upstream.join().unwrap();
}

#[test]
fn a_client_that_never_speaks_ends_in_bounded_time() {
    let proxy = Proxy::start(postfix().addr(), &["--timeout", "2s"]);
    let started = Instant::now();
    let _s = TcpStream::connect(proxy.addr).unwrap();
    let (code, doc) = proxy.report(Duration::from_secs(15));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code, 2);
    assert!(
        texts(&doc, "local")
            .iter()
            .any(|t| t.starts_with("gave up waiting (greeting) after 2")),
        "{doc:#}"
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "client-silent")
        .unwrap_or_else(|| panic!("client-silent: {doc:#}"));
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .starts_with("the client connected and sent nothing for 2"),
        "{f}"
    );
}

#[test]
fn an_upstream_that_never_answers_ends_in_bounded_time() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = std::thread::spawn(move || silent.accept().map(|(s, _)| s));
    let proxy = Proxy::start(addr, &["--timeout", "2s"]);
    let started = Instant::now();
    let _s = TcpStream::connect(proxy.addr).unwrap();
    let (code, doc) = proxy.report(Duration::from_secs(15));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code, 2);
    assert!(
        ids(&doc).contains("greeting-timeout"),
        "{:#}",
        doc["findings"]
    );
    drop(hold);
}

/// The same message twice through one proxy run: the second connection is a duplicate
/// (`client-duplicate`), as a sender that gave up on the final dot and retried makes one.
#[test]
fn a_message_relayed_twice_in_one_run_is_a_duplicate() {
    let pf = postfix();
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let mut child = Command::new(BIN)
        .args(["proxy", "--listen", &addr.to_string()])
        .args([
            "--upstream",
            &pf.addr().to_string(),
            "--count",
            "2",
            "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn smtpdoctor proxy");
    let mut first = String::new();
    let _ = BufReader::new(child.stderr.as_mut().unwrap()).read_line(&mut first);
    assert!(first.contains("relaying"), "proxy did not start: {first}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("msg.eml");
    std::fs::write(&file, message("twice")).unwrap();
    for _ in 0..2 {
        let out = Command::new("swaks")
            .args(["--server", &addr.to_string(), "--to", "postmaster@lab.test"])
            .args(["--from", "sender@client.test", "--helo", "client.lab.test"])
            .args(["--timeout", "20", "--data", file.to_str().unwrap()])
            .output()
            .expect("run swaks");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the proxy did not end after two connections"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let docs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    assert_eq!(docs.len(), 2, "{out}");
    let second = docs
        .iter()
        .find(|d| d["connection"]["n"] == 2)
        .expect("connection 2");
    let first = docs.iter().find(|d| d["connection"]["n"] == 1).unwrap();
    assert!(!ids(first).contains("client-duplicate"), "{first:#}");
    assert!(ids(second).contains("client-duplicate"), "{second:#}");
    assert_eq!(
        second["messages"][0]["duplicate_of"]["connection"], 1,
        "{second:#}"
    );
}

/// `--upstream` names a host with three addresses, the first dead: the proxy tries them in the
/// resolver's order and relays through the second, and its report says which it used. The
/// name comes from a hosts file of a mount namespace of the test's own (`unshare -m -n`, so
/// /etc/hosts and the loopback addresses are the test's alone), read by smtpdoctor's resolver
/// (hickory: IPv4 in the file's order, then IPv6): `127.0.0.2`, where nothing listens, then
/// `127.0.0.1`, where a mock does, then `::1`.
#[test]
fn an_upstream_with_a_dead_first_address_is_reached_at_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"
        ip link set lo up
        printf '127.0.0.2 multi.proxy.test\n::1 multi.proxy.test\n127.0.0.1 multi.proxy.test\n' > {d}/hosts
        mount --bind {d}/hosts /etc/hosts
        {bin} mock --listen 127.0.0.1:2525 --scenario clean >/dev/null 2>{d}/mock.err &
        mock=$!
        {bin} proxy --listen 127.0.0.1:2526 --upstream multi.proxy.test:2525 --once --json \
            --timeout 5s >{d}/report.json 2>{d}/proxy.err &
        proxy=$!
        until grep -q serving {d}/mock.err && grep -q relaying {d}/proxy.err; do
            kill -0 $proxy; kill -0 $mock; sleep 0.02
        done
        exec 3<>/dev/tcp/127.0.0.1/2526
        IFS= read -r greeting <&3
        printf 'QUIT\r\n' >&3
        IFS= read -r bye <&3
        exec 3<&-
        wait $proxy || true
        kill $mock
        cat {d}/proxy.err >&2
        printf '%s\n%s\n' "$greeting" "$bye" >&2
        cat {d}/report.json
        "#,
        bin = crate::common::BIN,
    );
    let out = Command::new("unshare")
        .args(["-m", "-n", "bash", "-euo", "pipefail", "-c", &script])
        .output()
        .expect("unshare (util-linux) must be installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("to 127.0.0.2:2525, 127.0.0.1:2525, [::1]:2525"),
        "all three addresses, IPv4 in the file's order first: {stderr}"
    );
    assert!(
        stderr.contains("221 "),
        "the session went through: {stderr}"
    );
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(
        doc["upstream"], "multi.proxy.test (127.0.0.1:2525)",
        "{doc:#}"
    );
    let local = texts(&doc, "local");
    let at = |needle: &str| {
        local
            .iter()
            .position(|t| t.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {local:#?}"))
    };
    assert!(at("connecting to 127.0.0.2:2525") < at("connect failed"));
    assert!(at("connect failed") < at("connecting to 127.0.0.1:2525"));
    assert!(at("connected to 127.0.0.1:2525, address 2 of 3 of multi.proxy.test") > 0);
    let refused: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "connect-refused")
        .collect();
    assert_eq!(refused.len(), 1, "{doc:#}");
    assert!(
        refused[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.2:2525 refused"),
        "{doc:#}"
    );
}
