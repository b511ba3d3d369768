//! Real clients against `smtpdoctor mock`: swaks, Python's smtplib, and the lab Postfix as the sending MTA (a short dot timeout, its retry a duplicate).

use crate::common::lab::Postfix;
use crate::mock::{IMPLEMENTED_CLIENT_CHECKS, MockProcess, assert_client_report_shape};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

/// The finding ids of a report.
fn ids(doc: &Value) -> BTreeSet<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Nothing outside `allowed`, and every implemented check of `allowed` present.
fn assert_findings(name: &str, doc: &Value, allowed: &[&str]) {
    let got = ids(doc);
    for id in &got {
        assert!(
            allowed.contains(&id.as_str()),
            "{name}: unexpected {id} in {got:?}"
        );
    }
    for id in allowed {
        if IMPLEMENTED_CLIENT_CHECKS.contains(id) {
            assert!(got.contains(*id), "{name}: {id} missing from {got:?}");
        }
    }
}

/// Runs a client command to its end; panics with its output when it fails.
fn run_client(name: &str, cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{name}: cannot run: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} failed: {text}");
    text
}

/// One connection of `client` to `mock --scenario SCENARIO --once --json`: its report.
fn one_report(scenario: &str, client: impl FnOnce(std::net::SocketAddr)) -> (i32, Value, String) {
    let mock = MockProcess::start(&["--scenario", scenario, "--once", "--json"]);
    client(mock.addr);
    let (code, lines, stderr) = mock.wait(Duration::from_secs(20));
    assert_eq!(lines.len(), 1, "{scenario}: {lines:?}\n{stderr}");
    let doc: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_client_report_shape(scenario, &doc);
    assert_eq!(code, doc["exit_code"].as_i64().unwrap() as i32);
    (code, doc, lines[0].clone())
}

fn swaks(addr: std::net::SocketAddr, extra: &[&str]) -> Command {
    let mut c = Command::new("swaks");
    c.args(["--server", &addr.to_string()])
        .args([
            "--to",
            "postmaster@demo.test",
            "--from",
            "sender@client.test",
        ])
        .args(["--helo", "client.test", "--timeout", "20"])
        .args(extra);
    c
}

#[test]
fn swaks_with_tls_and_auth_is_a_clean_client() {
    let (code, doc, raw) = one_report("client-strict", |addr| {
        run_client(
            "swaks --tls --auth",
            &mut swaks(
                addr,
                &[
                    "--tls",
                    "--auth",
                    "LOGIN",
                    "--auth-user",
                    "demo",
                    "--auth-password",
                    "s3cret-pw",
                ],
            ),
        );
    });
    assert_findings("swaks --tls", &doc, &["client-tls"]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["tls"]["version"]
            .as_str()
            .map(|v| v.starts_with("TLSv1.")),
        Some(true)
    );
    assert_eq!(doc["messages"][0]["accepted"], true);
    // AUTH LOGIN's user name and password are in no output.
    for secret in ["ZGVtbw==", "czNjcmV0LXB3", "s3cret-pw"] {
        assert!(!raw.contains(secret), "{secret} leaked: {raw}");
    }
    assert!(raw.contains("<redacted>"));
}

#[test]
fn swaks_pipelines_only_where_pipelining_is_advertised() {
    let (_, doc, _) = one_report("client-strict", |addr| {
        run_client("swaks --pipeline", &mut swaks(addr, &["--pipeline"]));
    });
    assert_findings(
        "swaks --pipeline (strict)",
        &doc,
        &["client-starttls-unused"],
    );
    // MAIL, RCPT and DATA arrived in one read: the transcript shows them in one read.
    let t = doc["transcript"].as_array().unwrap();
    let read_of = |text: &str| {
        t.iter()
            .find(|e| e["dir"] == "client" && e["text"].as_str().unwrap().starts_with(text))
            .map(|e| e["reads"][0]["n"].clone())
            .unwrap()
    };
    assert_eq!(read_of("MAIL FROM:"), read_of("RCPT TO:"), "pipelined");

    let (code, doc, _) = one_report("client-minimal", |addr| {
        run_client("swaks --pipeline", &mut swaks(addr, &["--pipeline"]));
    });
    assert_findings("swaks --pipeline (minimal)", &doc, &[]);
    assert_eq!(code, 0);
}

const SMTPLIB: &str = r#"
import smtplib, ssl, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
msg = "Message-ID: <smtplib@client.test>\r\nSubject: from smtplib\r\n\r\n.a line starting with a dot\r\nbye\r\n"
s = smtplib.SMTP(host, port, local_hostname="client.test", timeout=30)
s.ehlo()
if mode == "tls":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo()
    s.login("demo", "py-secret")
s.sendmail("sender@client.test", ["postmaster@demo.test"], msg)
s.quit()
"#;

fn smtplib(addr: std::net::SocketAddr, mode: &str) {
    run_client(
        "python3 smtplib",
        Command::new("python3").args(["-c", SMTPLIB, "127.0.0.1", &addr.port().to_string(), mode]),
    );
}

#[test]
fn python_smtplib_reads_whole_replies_and_authenticates_inside_tls() {
    let (code, doc, _) = one_report("client-multiline", |addr| smtplib(addr, "plain"));
    assert_findings("smtplib (multiline)", &doc, &[]);
    assert_eq!(code, 0);
    let m = &doc["messages"][0];
    assert_eq!(m["message_id"], "smtplib@client.test");
    // smtplib dot-stuffs the line that starts with a dot; the size is the unstuffed content.
    let content = "Message-ID: <smtplib@client.test>\r\nSubject: from smtplib\r\n\r\n.a line starting with a dot\r\nbye\r\n";
    assert_eq!(m["size"].as_u64(), Some(content.len() as u64));

    let (_, doc, raw) = one_report("client-strict", |addr| smtplib(addr, "tls"));
    assert_findings("smtplib (strict, TLS)", &doc, &["client-tls"]);
    assert!(raw.contains("AUTH PLAIN <redacted>"), "{raw}");
    assert!(
        !raw.contains("cHktc2VjcmV0") && !raw.contains("AGRlbW8AcHktc2VjcmV0"),
        "{raw}"
    );
}

/// Postfix relays to the mock with `smtp_data_done_timeout = 5s` while the mock holds the dot
/// reply 8 s: Postfix gives up at the dot (client-timeout-short) and logs that the message may
/// be sent twice; its retry after a flush delivers it again (client-duplicate). Postfix writes
/// its QUIT right behind the final dot, so no `client-no-quit`.
#[test]
fn postfix_gives_up_at_the_dot_and_delivers_twice() {
    let mock = MockProcess::start(&[
        "--scenario",
        "client-dot-hold",
        "--hold",
        "8s",
        "--count",
        "2",
        "--json",
    ]);
    let postfix = Postfix::start();
    let relayhost = format!("relayhost = [127.0.0.1]:{}", mock.addr.port());
    postfix.reconfigure(
        &[
            &relayhost,
            "default_transport = smtp",
            "relay_transport = smtp",
            "smtp_data_done_timeout = 5s",
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
        ],
        &[
            "smtp/unix=smtp unix - - n - - smtp",
            // postqueue -f needs the pickup service to see the mail system up.
            "pickup/unix=pickup unix n - n 60 1 pickup",
        ],
    );
    let started = Instant::now();
    run_client(
        "swaks into Postfix",
        Command::new("swaks")
            .args(["--server", &postfix.addr().to_string()])
            .args(["--to", "postmaster@demo.test", "--from", "alice@lab.test"])
            .args(["--helo", "client.lab.test", "--timeout", "20"])
            .args(["--header", "Message-Id: <postfix-twice@lab.test>"]),
    );
    let (_, first) = mock.next_doc(Duration::from_secs(30));
    eprintln!("first delivery reported after {:?}", started.elapsed());
    assert_client_report_shape("postfix 1", &first);
    let log = postfix.wait_for_maillog(
        "timed out while sending end of data -- message may be sent more than once",
        Duration::from_secs(10),
    );
    assert!(log.contains("status=deferred"), "{log}");
    let m = &first["messages"][0];
    assert_eq!(m["message_id"], "postfix-twice@lab.test");
    assert_eq!(
        (m["accepted"].as_bool(), m["reply_written"].as_bool()),
        (Some(true), Some(false))
    );
    // Postfix pipelines QUIT behind the final dot (RFC 2920 allows it): that is not giving up,
    // and not a close without QUIT; the QUIT waits its turn behind the held reply.
    // The lab Postfix sends without TLS (no smtp_tls_security_level) though the mock offers
    // STARTTLS: that is client-starttls-unused, rightly.
    assert_findings(
        "postfix 1",
        &first,
        &["client-timeout-short", "client-starttls-unused"],
    );
    let quit = first["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dir"] == "client" && e["text"] == "QUIT")
        .expect("QUIT behind the dot");
    assert_eq!(quit["discarded"], true, "never answered: {quit}");
    // The finding stands where the client gave up (its close), and names the final dot.
    let f = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "client-timeout-short")
        .expect("client-timeout-short");
    let i = f["transcript_index"].as_u64().unwrap() as usize;
    assert_eq!(
        first["transcript"][i]["text"], "client closed the connection",
        "{f}"
    );
    assert!(
        f["detail"]
            .as_str()
            .unwrap()
            .contains("after the final dot"),
        "{f}"
    );
    assert!(f["detail"].as_str().unwrap().contains("twice"), "{f}");

    // A flush that reaches the queue manager before it has moved the deferred message out of
    // the active queue finds nothing to do (the message then waits its backoff time): flush
    // again until the second delivery arrives.
    let mut line = None;
    for _ in 0..10 {
        postfix.flush();
        line = mock.next_line(Duration::from_secs(3));
        if line.is_some() {
            break;
        }
    }
    let (_, line) = line.expect("the second delivery after postqueue -f");
    let second: serde_json::Value =
        serde_json::from_str(&line).expect("one JSON document per line");
    assert_client_report_shape("postfix 2", &second);
    assert_eq!(second["connection"]["n"], 2);
    assert_eq!(second["messages"][0]["duplicate_of"]["connection"], 1);
    assert_findings(
        "postfix 2",
        &second,
        &[
            "client-timeout-short",
            "client-duplicate",
            "client-starttls-unused",
        ],
    );
    assert!(ids(&second).contains("client-duplicate"));
    let (code, _, _) = mock.wait(Duration::from_secs(10));
    assert_eq!(code, 2, "the duplicate is an error");
}
