//! Regression tests of the accuracy issue: no silent miss, no false alarm, one number per fact.
//! Each test is named after the fault it guards against.

use crate::common::{DemoCa, Mock, finding, ids, rt, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;

/// `smtpdoctor probe demo.test --server ADDR --json` with the demo CA trusted, plus `extra`.
fn probe_json(addr: SocketAddr, extra: &[&str]) -> (i32, Value) {
    let ca = DemoCa::create();
    run_json(
        smtpdoctor()
            .args([
                "probe",
                "demo.test",
                "--server",
                &addr.to_string(),
                "--json",
            ])
            .arg("--ca-file")
            .arg(ca.path())
            .args(extra)
            .timeout(std::time::Duration::from_secs(120)),
    )
}

fn notes(doc: &Value) -> Vec<String> {
    doc["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn test_attempts<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["test"] == name)
        .collect()
}

// ------------------------------------------------------------------- 1. failed TLS handshake

/// Regression: against a server whose STARTTLS handshake always fails, the probe got through
/// on its plaintext retry, but every smuggling connection stopped at the failed handshake and
/// the report read as clean, though the server ends DATA at `<LF>.<LF>`.
#[test]
fn smuggling_is_found_when_only_the_plaintext_retry_gets_through() {
    let mock = Mock::named("tls-failed-smuggling-vulnerable");
    let (code, doc) = probe_json(
        mock.addr,
        &[
            "--test",
            "smuggling",
            "--to",
            "postmaster@demo.test",
            "--timeout",
            "1s",
        ],
    );
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "tls-handshake-failed".to_string(),
            "smuggle-eod-accepted".to_string()
        ]),
        "{:#}",
        doc["findings"]
    );
    assert_eq!(code, 2);
    let attempts = doc["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["outcome"], "tls-failed");
    assert_eq!(attempts[1]["plaintext_retry_of"], 0);
    let smuggling = test_attempts(&doc, "smuggling");
    assert_eq!(smuggling.len(), 7);
    for a in &smuggling {
        assert!(a["tls"].is_null(), "the tests go without STARTTLS: {a}");
        assert_ne!(a["failed_stage"], "tls", "{a}");
    }
    let notes = notes(&doc);
    assert!(
        notes.iter().any(|n| n.contains("ran without STARTTLS")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("did not get to its test")),
        "{notes:?}"
    );
}

/// Regression: a test that could not run looked like a pass; now a note says it never got to
/// its point.
#[test]
fn a_test_that_never_got_to_its_point_says_so() {
    // STARTTLS injection needs a working handshake; this server never completes one.
    let mock = Mock::named("tls-handshake-failed");
    let (_, doc) = probe_json(
        mock.addr,
        &["--test", "starttls-injection", "--timeout", "1s"],
    );
    assert!(!ids(&doc).contains("starttls-cmd-injection"));
    let notes = notes(&doc);
    assert!(
        notes.iter().any(|n| n.contains(
            "active test starttls-injection did not get to its test on 1 of 1 connection(s)"
        ) && n.contains("ended at tls (tls-failed)")),
        "{notes:?}"
    );
    // STARTTLS not offered: nothing to test, and the report says so.
    let mock = Mock::named("no-starttls");
    let (_, doc) = probe_json(mock.addr, &["--test", "starttls-injection"]);
    let notes = self::notes(&doc);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("STARTTLS is not advertised")),
        "{notes:?}"
    );
}

// ----------------------------------------------------------------------- 2. catch-all relay

/// Regression: a catch-all server that accepts `user%example.net@LOCAL` (and delivers it
/// locally) was reported as an open relay.
#[test]
fn catch_all_domain_is_no_open_relay() {
    let mock = Mock::named("relay-catch-all");
    let (code, doc) = probe_json(mock.addr, &["--test", "relay"]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["relay-forms-unjudged".to_string()]),
        "{:#}",
        doc["findings"]
    );
    assert_eq!(code, 0);
    let f = finding(&doc, "relay-forms-unjudged").unwrap();
    assert_eq!(f["severity"], "info");
    let detail = f["detail"].as_str().unwrap();
    for form in ["percent hack", "bang path", "quoted local part"] {
        assert!(detail.contains(form), "{form}: {detail}");
    }
    // The catch-all check came first, at the local domain.
    let relay = test_attempts(&doc, "relay");
    let rcpts: Vec<&str> = relay[0]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == "client" && e["text"].as_str().unwrap().starts_with("RCPT"))
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(rcpts.len(), 6, "{rcpts:?}");
    assert!(
        rcpts[0].starts_with("RCPT TO:<smtpdoctor-no-such-user-")
            && rcpts[0].ends_with("@demo.test>"),
        "{rcpts:?}"
    );
    // What is proven stays an error: an open relay accepts foreign domains too.
    let mock = Mock::named("open-relay");
    let (code, doc) = probe_json(mock.addr, &["--test", "relay"]);
    assert_eq!(code, 2);
    let forms: BTreeSet<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "open-relay")
        .map(|f| f["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        forms,
        BTreeSet::from([
            "The server accepted a recipient it must not relay to (foreign domain)".to_string(),
            "The server accepted a recipient it must not relay to (source route)".to_string(),
        ])
    );
}

/// A server that hangs up after too many errors leaves later forms untried: a note names them.
#[test]
fn relay_forms_left_untried_by_a_hang_up_are_named() {
    let mock = Mock::named("relay-hangup");
    let (code, doc) = probe_json(mock.addr, &["--test", "relay"]);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let notes = notes(&doc);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("not tried: quoted local part, source route")
                && n.contains("421 4.7.0")),
        "{notes:?}"
    );
}

// ------------------------------------------------------- 4. stage names and durations

fn stage_names(a: &Value) -> Vec<&str> {
    a["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect()
}

/// Regression: RSET was reported as a second `quit` stage, DATA and the final dot were both
/// `data`, a HELO fallback was a second `ehlo`, and RSET and QUIT sent in one write were both
/// timed from the write (`quit 201.0 ms, quit 201.0 ms`). Each step once, under its own name,
/// with durations that add up.
#[test]
fn stage_names_and_durations_each_step_once() {
    let cases: [(&str, &[&str], &[&str]); 5] = [
        // MAIL, RCPT, RSET and QUIT pipelined in one write; two recipients are one stage.
        (
            "clean",
            &["--to", "a@demo.test", "--to", "b@demo.test"],
            &[
                "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "rset",
                "quit",
            ],
        ),
        // RSET and QUIT as one group after MAIL.
        (
            "clean",
            &["--quit-after", "mail"],
            &[
                "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rset", "quit",
            ],
        ),
        // One command at a time, with a message: DATA and the final dot apart.
        (
            "clean",
            &["--no-pipelining", "--data"],
            &[
                "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "data",
                "dot", "quit",
            ],
        ),
        (
            "clean",
            &["--no-pipelining", "--starttls", "never"],
            &[
                "connect", "greeting", "ehlo", "mail", "rcpt", "rset", "quit",
            ],
        ),
        // EHLO refused, HELO accepted.
        (
            "ehlo-fallback",
            &[],
            &[
                "connect", "greeting", "ehlo", "helo", "mail", "rcpt", "rset", "quit",
            ],
        ),
    ];
    for (scenario, args, expected) in cases {
        let mock = Mock::named(scenario);
        let (code, doc) = probe_json(mock.addr, args);
        let what = format!("{scenario} {args:?}");
        crate::common::assert_report_shape(&what, &doc, code);
        let a = &doc["attempts"][0];
        assert_eq!(stage_names(a), expected, "{what}");
        // Each reply's time is its own: the stages never add up to more than the attempt.
        crate::common::assert_stages_add_up(&what, a);
        let stages = a["stages"].as_array().unwrap();
        assert!(
            stages
                .iter()
                .all(|s| s["duration_ms"].as_f64().unwrap() >= 0.0),
            "{what}: {stages:?}"
        );
    }
    // The text summary names the same steps.
    let mock = Mock::named("ehlo-fallback");
    let out = smtpdoctor()
        .args(["probe", "demo.test", "--server", &mock.addr.to_string()])
        .args(["--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let summary = text
        .lines()
        .find(|l| l.trim_start().starts_with("attempt 1:"))
        .expect("summary line");
    for step in [" ehlo ", " helo ", " rset ", " quit "] {
        assert_eq!(summary.matches(step).count(), 1, "{step} in {summary}");
    }
}

/// Findings about the wait after the dot belong to stage `dot`, not `data`; a DATA refused
/// before the message stays at `data`.
#[test]
fn findings_about_the_wait_after_the_dot_are_at_stage_dot() {
    let cases: [(&str, &[&str], &str, &str); 4] = [
        ("dot-slow", &["--dot-slow", "500ms"], "dot-slow", "dot"),
        ("dot-keepalive", &[], "data-keepalive-lines", "dot"),
        ("data-rejected", &[], "data-rejected", "dot"),
        ("dot-timeout", &["--timeout", "1s"], "dot-timeout", "dot"),
    ];
    for (scenario, args, id, stage) in cases {
        let mock = Mock::named(scenario);
        let (code, doc) = probe_json(mock.addr, &[&["--data"], args].concat());
        crate::common::assert_report_shape(scenario, &doc, code);
        let f = finding(&doc, id).unwrap_or_else(|| panic!("{scenario}: {id}: {doc:#}"));
        assert_eq!(f["stage"], stage, "{scenario}: {f}");
        if id == "dot-timeout" {
            assert_eq!(doc["attempts"][0]["failed_stage"], "dot", "{scenario}");
        }
    }
}

// ----------------------------------------------------------------------- 6. byte counts

/// Regression: one DATA run said "sent 452 bytes" in the transcript, `content_bytes` 454 and
/// `bytes_sent` 457 in JSON and 457 in the summary. The transcript, the JSON and the summary of
/// one run must agree.
#[test]
fn one_data_run_reports_one_byte_count_everywhere() {
    use smtpdoctor::config::{ColorChoice, Detail, Format, OutputConfig};

    let mock = Mock::named("clean");
    let ca = DemoCa::create();
    let addr = mock.addr.to_string();
    let ca_path = ca.path().display().to_string();
    let report = crate::common::probe_in_process(&[
        "smtpdoctor",
        "probe",
        "demo.test",
        "--server",
        &addr,
        "--ca-file",
        &ca_path,
        "--data",
    ]);
    let render = |format| {
        let mut out = Vec::new();
        let cfg = OutputConfig {
            format,
            color: ColorChoice::Never,
            detail: Detail::Normal,
        };
        smtpdoctor::output::print(&report, &cfg, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let json: Value = serde_json::from_str(&render(Format::Json)).unwrap();
    let text = render(Format::Text);

    let data = &json["attempts"][0]["data"];
    let bytes_sent = data["bytes_sent"].as_u64().unwrap();
    let content = data["content_bytes"].as_u64().unwrap();
    // The content as given, then on the wire: CRLF lines, no line starts with a dot, so
    // stuffing adds nothing and the final dot adds `.\r\n`.
    assert_eq!(bytes_sent, content + 3, "{data}");
    // The transcript line, in JSON and in text, and the summary say the same.
    let sent_line = format!("sent {bytes_sent} bytes of message data");
    let local: Vec<&str> = json["attempts"][0]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == "local")
        .map(|e| e["text"].as_str().unwrap())
        .filter(|t| t.starts_with("sent "))
        .collect();
    assert_eq!(local.len(), 1, "{local:?}");
    assert!(
        local[0].starts_with(&sent_line),
        "{local:?} vs {bytes_sent}"
    );
    assert!(text.contains(&sent_line), "{text}");
    assert!(
        text.contains(&format!("message: {bytes_sent} bytes in ")),
        "{text}"
    );
    // What went on the wire after the 354 adds up to the same count.
    let transcript = json["attempts"][0]["transcript"].as_array().unwrap();
    let go_ahead = transcript
        .iter()
        .position(|e| e["text"].as_str().unwrap().starts_with("354"))
        .unwrap();
    let dot = transcript
        .iter()
        .position(|e| e["dir"] == "client" && e["text"] == ".")
        .unwrap();
    let wire: usize = transcript[go_ahead + 1..=dot]
        .iter()
        .filter(|e| e["dir"] == "client")
        .map(|e| unescaped_len(e["raw"].as_str().unwrap()))
        .sum();
    assert_eq!(
        wire as u64, bytes_sent,
        "the short test message is kept whole"
    );
}

/// The length of a `raw` transcript string: printable ASCII as is, `\r`, `\n`, `\t`, `\\` and
/// `\xHH` one byte each.
fn unescaped_len(raw: &str) -> usize {
    let b = raw.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += if b[i + 1] == b'x' { 4 } else { 2 };
        } else {
            i += 1;
        }
        n += 1;
    }
    n
}

// ------------------------------------------------------------- 8. --size transcripts

/// Regression: a `--size` transcript showed the first filler lines, then a line cut where the
/// kept bytes ran out, marked `(line continues in the next write)`, as if that were a write
/// boundary. Whole lines are shown, then one elision line that says how many lines and bytes
/// were sent and not shown; the counts add up to the message.
#[test]
fn size_transcript_elides_with_counts() {
    let mock = Mock::named("clean");
    let size: u64 = 100_000;
    let (code, doc) = probe_json(mock.addr, &["--size", &size.to_string()]);
    assert_eq!(code, 0, "{:#}", doc["findings"]);
    let a = &doc["attempts"][0];
    let t = a["transcript"].as_array().unwrap();
    let go_ahead = t
        .iter()
        .position(|e| e["text"].as_str().unwrap().starts_with("354"))
        .unwrap();
    let dot = t
        .iter()
        .position(|e| e["dir"] == "client" && e["text"] == ".")
        .unwrap();
    let elisions: Vec<usize> = (go_ahead..dot)
        .filter(|&i| t[i]["dir"] == "local" && t[i]["text"].as_str().unwrap().contains("not shown"))
        .collect();
    assert_eq!(elisions.len(), 1, "{:#?}", &t[go_ahead..=dot]);
    let elision = t[elisions[0]]["text"].as_str().unwrap();
    let numbers: Vec<u64> = elision
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let [lines, bytes] = numbers[..] else {
        panic!("{elision}")
    };
    // Every kept line is whole: no cut looks like a write boundary.
    let kept = &t[go_ahead + 1..elisions[0]];
    for e in kept {
        assert!(
            e["raw"].as_str().unwrap().ends_with("\\r\\n"),
            "a kept line is cut: {e}"
        );
    }
    // Bytes: what is shown, what is elided and the final dot make the count on the wire.
    let shown: usize = t[go_ahead + 1..=dot]
        .iter()
        .filter(|e| e["dir"] == "client")
        .map(|e| unescaped_len(e["raw"].as_str().unwrap()))
        .sum();
    assert_eq!(
        shown as u64 + bytes,
        a["data"]["bytes_sent"].as_u64().unwrap(),
        "{elision}"
    );
    // Lines: the generated message is its header, then 78-octet filler lines up to the size
    // (the last one cut short); shown and elided lines are all of them.
    let header_lines = kept
        .iter()
        .position(|e| e["raw"] == "\\r\\n")
        .expect("blank line after the header")
        + 1;
    let header_bytes: usize = kept[..header_lines]
        .iter()
        .map(|e| unescaped_len(e["raw"].as_str().unwrap()))
        .sum();
    let filler_lines = (size - header_bytes as u64).div_ceil(78);
    assert_eq!(
        kept.len() as u64 + lines,
        header_lines as u64 + filler_lines,
        "{elision}"
    );
    // The text report says the same, and never that a kept line goes on in the next write.
    let out = smtpdoctor()
        .args(["probe", "demo.test", "--server", &mock.addr.to_string()])
        .args([
            "--starttls",
            "never",
            "--color",
            "never",
            "--size",
            "100000",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("continues in the next write"), "{text}");
    assert_eq!(text.matches("not shown").count(), 1, "{text}");
    // A message within the kept bytes is shown whole, with no elision line.
    let (_, doc) = probe_json(mock.addr, &["--size", "2000"]);
    let t = doc["attempts"][0]["transcript"].as_array().unwrap();
    assert!(
        !t.iter()
            .any(|e| e["text"].as_str().unwrap().contains("not shown")),
        "{t:#?}"
    );
}

// ------------------------------------------------------------------- 7. TLS verification

/// A one-connection-at-a-time SMTP server with STARTTLS presenting `cert` and `key`, served on
/// the shared runtime until dropped.
struct TlsServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsServer {
    fn start(cert: rustls::pki_types::CertificateDer<'static>, key: Vec<u8>) -> TlsServer {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = rt()
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let task = rt().spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = smtp_with_starttls(tcp, acceptor).await;
                });
            }
        });
        TlsServer { addr, task }
    }
}

/// A correct SMTP dialogue with STARTTLS, just enough for a probe to RCPT.
async fn smtp_with_starttls(
    tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut plain = BufReader::new(tcp);
    plain
        .get_mut()
        .write_all(b"220 mx.accuracy.test ESMTP\r\n")
        .await?;
    let mut line = String::new();
    loop {
        line.clear();
        if plain.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                plain
                    .get_mut()
                    .write_all(b"250-mx.accuracy.test\r\n250 STARTTLS\r\n")
                    .await?
            }
            "STAR" => {
                plain
                    .get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                break;
            }
            "QUIT" => {
                plain.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => plain.get_mut().write_all(b"250 2.0.0 Ok\r\n").await?,
        }
    }
    let tls = acceptor.accept(plain.into_inner()).await?;
    let mut tls = BufReader::new(tls);
    loop {
        line.clear();
        if tls.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250 mx.accuracy.test\r\n",
            "MAIL" => b"250 2.1.0 Ok\r\n",
            "RCPT" => b"250 2.1.5 Ok\r\n",
            "QUIT" => {
                tls.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                tls.get_mut().shutdown().await?;
                return Ok(());
            }
            _ => b"250 2.0.0 Ok\r\n",
        };
        tls.get_mut().write_all(reply).await?;
    }
}

/// A self-signed certificate as `openssl req -x509` makes it by default: basicConstraints
/// CA:TRUE. Returns (certificate, PKCS#8 key, PEM).
fn ca_true_self_signed(
    names: &[&str],
) -> (rustls::pki_types::CertificateDer<'static>, Vec<u8>, String) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().clone(), key.serialize_der(), cert.pem())
}

/// Regression: a self-signed CA:TRUE server certificate stayed `tls-cert-untrusted` (with the
/// library's `Other(OtherError(CaUsedAsEndEntity))` as the reason) even when the user passed
/// that very certificate with `--ca-file`, which `openssl s_client -CAfile` verifies.
#[test]
fn a_ca_true_self_signed_certificate_given_with_ca_file_verifies() {
    let (cert, key, pem) = ca_true_self_signed(&["mx.accuracy.test", "localhost", "127.0.0.1"]);
    let server = TlsServer::start(cert, key);
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("cert.pem");
    std::fs::write(&pem_path, pem).unwrap();
    let probe = |extra: &[&str]| {
        run_json(
            smtpdoctor()
                .args([
                    "probe",
                    "accuracy.test",
                    "--server",
                    &server.addr.to_string(),
                ])
                .args(["--json", "--timeout", "5s"])
                .args(extra)
                .timeout(std::time::Duration::from_secs(60)),
        )
    };

    let (code, doc) = probe(&["--ca-file", pem_path.to_str().unwrap()]);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let v = &doc["attempts"][0]["tls"]["verification"];
    assert_eq!(v["trusted"], true, "{v}");
    assert_eq!(v["name_ok"], true, "{v}");
    assert_eq!(v["time_ok"], true, "{v}");
    // The name is still checked.
    let (_, doc) = probe(&[
        "--ca-file",
        pem_path.to_str().unwrap(),
        "--sni",
        "mx.other.test",
    ]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["tls-cert-name-mismatch".to_string()]),
        "{:#}",
        doc["findings"]
    );

    // Without the trust anchor: untrusted, in plain words, with the fix for a self-signed one.
    let (code, doc) = probe(&[]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["tls-cert-untrusted".to_string()])
    );
    assert_eq!(code, 1);
    let f = finding(&doc, "tls-cert-untrusted").unwrap();
    let detail = f["detail"].as_str().unwrap();
    assert!(detail.contains("self-signed"), "{detail}");
    assert!(detail.contains("CA:TRUE"), "{detail}");
    assert!(detail.contains("fix: "), "{detail}");
    assert!(
        !detail.contains("Other(") && !detail.contains("CaUsedAsEndEntity"),
        "no library debug text: {detail}"
    );
    assert!(
        !detail.contains("serve the full chain"),
        "a missing chain is not the fault of a self-signed certificate: {detail}"
    );
    let errors = doc["attempts"][0]["tls"]["verification"]["errors"]
        .as_array()
        .unwrap();
    assert!(
        errors
            .iter()
            .all(|e| !e.as_str().unwrap().contains("Other(")),
        "{errors:?}"
    );
}

// ----------------------------------------------------------------- 9. enhanced status codes

/// Regression: `250 2.1.5` (a recipient's status) to MAIL was not flagged.
#[test]
fn a_recipient_status_code_to_mail_is_flagged() {
    let mock = Mock::named("enhancedcodes-mismatch");
    let (code, doc) = probe_json(mock.addr, &[]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["ext-enhancedcodes-mismatch".to_string()])
    );
    assert_eq!(code, 1);
    let f = finding(&doc, "ext-enhancedcodes-mismatch").unwrap();
    assert_eq!(f["stage"], "mail");
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("Destination address valid"),
        "{f}"
    );
}

// ------------------------------------------------------------ 11. live transcript on a TTY

/// A server that greets with terminal escape sequences in its text and answers RCPT only after
/// `rcpt_delay`, one connection, no PIPELINING (one command at a time).
fn slow_escaping_server(rcpt_delay: std::time::Duration) -> SocketAddr {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((s, _)) = l.accept() else { return };
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        let _ = w.write_all(b"220 mx.demo.test \x1b]0;owned\x07\x1b[2J ESMTP\r\n");
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-mx.demo.test\r\n250 8BITMIME\r\n",
                "RCPT" => {
                    std::thread::sleep(rcpt_delay);
                    b"250 2.1.5 \x1b[31mrecipient ok\r\n"
                }
                "QUIT" => b"221 2.0.0 Bye\r\n",
                _ => b"250 2.0.0 Ok\r\n",
            };
            let _ = w.write_all(reply);
            if verb == "QUIT" {
                break;
            }
            line.clear();
        }
    });
    addr
}

/// Runs the probe with stdout on a pseudo-terminal (util-linux `script`); returns what the
/// terminal received, each chunk with the time it came, and when the output ended.
fn probe_on_a_terminal(
    addr: SocketAddr,
    extra: &str,
) -> (Vec<(std::time::Instant, Vec<u8>)>, std::time::Instant) {
    use std::io::Read;
    let command = format!(
        "{} probe demo.test --server {addr} --starttls never --color never {extra}",
        crate::common::BIN
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    let mut out = child.stdout.take().unwrap();
    let mut chunks = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => chunks.push((std::time::Instant::now(), buf[..n].to_vec())),
        }
    }
    let ended = std::time::Instant::now();
    child.wait().unwrap();
    (chunks, ended)
}

/// Issue 14 item 11: on a terminal, each line shows as it is recorded (time, direction), then
/// the judged report; an admin waiting on a slow server sees where it waits. The peer's
/// escape sequences never reach the terminal raw, live or in the report. `--no-live` (and a
/// pipe, as every other test shows) keeps the report alone.
#[test]
fn live_transcript_on_a_terminal() {
    let delay = std::time::Duration::from_millis(1500);
    let (chunks, ended) = probe_on_a_terminal(slow_escaping_server(delay), "");
    let all: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.clone()).collect();
    let text = String::from_utf8_lossy(&all).into_owned();
    // The RCPT line was on the terminal while its reply was awaited, long before the end.
    let mut seen = Vec::new();
    let rcpt_shown = chunks
        .iter()
        .find(|(_, c)| {
            seen.extend_from_slice(c);
            String::from_utf8_lossy(&seen).contains(">>       RCPT TO:<postmaster@demo.test>")
        })
        .map(|(at, _)| *at)
        .unwrap_or_else(|| panic!("no live RCPT line: {text}"));
    assert!(
        ended.duration_since(rcpt_shown) >= delay - std::time::Duration::from_millis(300),
        "the RCPT line came only {:?} before the end: {text}",
        ended.duration_since(rcpt_shown)
    );
    // Live first, with its heading, then the judged report with the same lines.
    let live = text.find("(live)").unwrap_or_else(|| panic!("{text}"));
    let report = text
        .find("smtpdoctor probe demo.test")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(live < report, "{text}");
    assert_eq!(text.matches("EHLO ").count(), 2, "{text}");
    assert!(text[report..].contains("Summary"), "{text}");
    assert!(text[report..].contains("Verdict"), "{text}");
    // The greeting's escape sequences are shown escaped; the only escape sequence on the
    // terminal is the clearing of smtpdoctor's own waiting note (colors are off).
    for escaped in ["\\x1b]0;owned\\x07\\x1b[2J", "\\x1b[31mrecipient ok"] {
        assert_eq!(text[..report].matches(escaped).count(), 1, "live: {text}");
        assert!(text[report..].contains(escaped), "report: {text}");
    }
    assert!(
        !all.contains(&0x07),
        "a raw BEL reached the terminal: {text:?}"
    );
    for (i, _) in all.iter().enumerate().filter(|(_, b)| **b == 0x1b) {
        assert!(
            all[i..].starts_with(b"\x1b[2K"),
            "raw escape sequence on the terminal: {:?}",
            String::from_utf8_lossy(&all[i..(i + 12).min(all.len())])
        );
    }
    // --no-live: only the report, printed at the end.
    let (chunks, _) = probe_on_a_terminal(
        slow_escaping_server(std::time::Duration::from_millis(10)),
        "--no-live",
    );
    let text: String = chunks
        .iter()
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(!text.contains("(live)"), "{text}");
    assert_eq!(text.matches("EHLO ").count(), 1, "{text}");
    assert!(text.contains("Summary"), "{text}");
}

/// Regression: with `--data`, the built-in message's last line read "(line continues in the
/// next write)", because the final dot's write `\r\n.\r\n` carries that line's CRLF. The text
/// shows the line complete; `-v` says where its ending went; the JSON keeps both writes as
/// they were.
#[test]
fn data_transcript_shows_the_last_line_complete() {
    let mock = Mock::named("clean");
    let text = |extra: &[&str]| {
        let out = smtpdoctor()
            .args(["probe", "demo.test", "--server", &mock.addr.to_string()])
            .args([
                "--data",
                "--starttls",
                "never",
                "--no-live",
                "--color",
                "never",
            ])
            .args(extra)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let last = "takes to accept a message. It can be deleted.";
    for (extra, note) in [(&[][..], false), (&["-v"][..], true)] {
        let out = text(extra);
        let lines: Vec<&str> = out.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.contains(last))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(!out.contains("line continues"), "{out}");
        let tail = lines[i].split(last).nth(1).unwrap();
        assert!(tail.starts_with("\\r\\n"), "complete: {:?}", lines[i]);
        assert_eq!(
            tail.contains("its line ending went in the next write"),
            note,
            "{:?}",
            lines[i]
        );
        assert!(
            lines[i + 1].trim_end().ends_with(">>       .\\r\\n"),
            "{out}"
        );
    }
    let (_, doc) = probe_json(mock.addr, &["--data", "--starttls", "never"]);
    let t = doc["attempts"][0]["transcript"].as_array().unwrap();
    let i = t
        .iter()
        .position(|e| e["raw"] == last)
        .unwrap_or_else(|| panic!("{t:#?}"));
    assert_eq!(
        t[i + 1]["raw"],
        "\\r\\n",
        "the JSON keeps the write boundary"
    );
    assert_eq!(t[i + 2]["raw"], ".\\r\\n");
}
