//! The probe against real parts: a Postfix (Debian package) with a self-signed certificate and
//! STARTTLS, and a dnsmasq serving the lab zone, both on loopback ports chosen at run time.
//! The walk is domain → MX → Postfix, as an admin would run it.

use crate::common::lab::{Dns, LAB_MX, Postfix};
use crate::common::{assert_report_shape, ids, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One Postfix and one DNS server shared by the tests of this file (each test only reads
/// from them or sends to its own recipient).
fn lab() -> &'static (Postfix, Dns) {
    static LAB: OnceLock<(Postfix, Dns)> = OnceLock::new();
    LAB.get_or_init(|| (Postfix::start(), Dns::start_lab()))
}

/// `smtpdoctor probe TARGET` against the lab, with `extra` arguments.
fn command(target: &str, extra: &[&str]) -> assert_cmd::Command {
    let (pf, dns) = lab();
    let mut cmd = smtpdoctor();
    cmd.args(["probe", target, "--resolver", &dns.resolver_arg()])
        .args(["--port", &pf.port.to_string(), "--helo", "probe.lab.test"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

fn probe(target: &str, extra: &[&str]) -> (i32, String) {
    let out = command(target, extra).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn probe_json(target: &str, extra: &[&str]) -> (i32, Value) {
    let (code, doc) = run_json(command(target, extra).arg("--json"));
    assert_report_shape(target, &doc, code);
    (code, doc)
}

fn ca() -> String {
    lab().0.cert_pem_path().display().to_string()
}

#[test]
fn domain_to_mx_to_postfix_is_clean_with_its_certificate_trusted() {
    let (code, doc) = probe_json("lab.test", &["--ca-file", &ca()]);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    assert_eq!(doc["verdict"], "ok");
    // MX ordering by preference, with addresses.
    let mx = doc["dns"]["mx"].as_array().unwrap();
    let got: Vec<(u64, &str)> = mx
        .iter()
        .map(|m| {
            (
                m["preference"].as_u64().unwrap(),
                m["exchange"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, &str)> = LAB_MX.iter().map(|(p, n, _)| (*p as u64, *n)).collect();
    assert_eq!(got, want);
    assert_eq!(mx[1]["addresses"][0], "127.0.0.2");
    // Stop at the first usable host, saying why the others were not tried.
    let attempts = doc["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(a["host"], "mx1.lab.test");
    assert_eq!(a["outcome"], "completed");
    let skipped: Vec<&Value> = doc["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["skipped"].is_string())
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(
        skipped[0]["skipped"]
            .as_str()
            .unwrap()
            .contains("earlier host")
    );
    // The dialogue, byte-exact.
    let raws: Vec<&str> = a["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] != "local")
        .map(|e| e["raw"].as_str().unwrap())
        .collect();
    assert_eq!(raws[0], "220 mx1.lab.test ESMTP Postfix (lab)\\r\\n");
    assert_eq!(raws[1], "EHLO probe.lab.test\\r\\n");
    for expected in [
        "STARTTLS\\r\\n",
        "220 2.0.0 Ready to start TLS\\r\\n",
        "MAIL FROM:<>\\r\\n",
        "RCPT TO:<postmaster@lab.test>\\r\\n",
        "250 2.1.5 Ok\\r\\n",
        "RSET\\r\\n",
        "QUIT\\r\\n",
        "221 2.0.0 Bye\\r\\n",
    ] {
        assert!(raws.contains(&expected), "{expected} missing from {raws:?}");
    }
    let tls_lines = a["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["tls"] == true)
        .count();
    assert!(
        tls_lines >= 8,
        "the second EHLO, MAIL, RCPT, RSET and QUIT travel in TLS"
    );
    // TLS details.
    let tls = &a["tls"];
    assert!(
        ["TLSv1.3", "TLSv1.2"].contains(&tls["version"].as_str().unwrap()),
        "{tls}"
    );
    assert!(tls["cipher"].as_str().unwrap().starts_with("TLS"));
    assert_eq!(tls["sni"], "mx1.lab.test");
    assert_eq!(tls["verification"]["trusted"], true);
    assert_eq!(tls["verification"]["name_ok"], true);
    assert!(
        tls["chain"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("mx1.lab.test")
    );
    assert!(
        tls["chain"][0]["sans"]
            .as_array()
            .unwrap()
            .contains(&Value::from("DNS:mx1.lab.test"))
    );
    // EHLO inside TLS, and the plaintext one kept apart.
    assert_eq!(a["ehlo"]["verb"], "EHLO");
    let keywords = |e: &Value| -> Vec<String> {
        e["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["keyword"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!keywords(&a["ehlo"]).contains(&"STARTTLS".to_string()));
    assert!(keywords(&a["ehlo_plain"]).contains(&"STARTTLS".to_string()));
    // Reverse DNS of a loopback address is not asked (the resolver answers "localhost" itself);
    // tests/dns_and_network.rs checks PTR in a network namespace.
    assert!(a["ptr"].is_null());
}

/// Issue 14 item 4 against a real MTA: a plain run and a DATA run name each step once, and the
/// steps add up to no more than the attempt (RSET and QUIT are not both `quit`, the final dot is
/// `dot`).
#[test]
fn stage_names_and_durations_against_postfix() {
    let cases: [(&[&str], &[&str]); 2] = [
        (
            &[],
            &[
                "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "rset",
                "quit",
            ],
        ),
        (
            &["--data"],
            &[
                "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "data",
                "dot", "quit",
            ],
        ),
    ];
    for (extra, expected) in cases {
        let (code, doc) = probe_json("lab.test", &[&["--ca-file", &ca()], extra].concat());
        assert_eq!(code, 0, "{extra:?}: {:#}", doc["findings"]);
        let a = &doc["attempts"][0];
        let names: Vec<&str> = a["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{extra:?}");
        crate::common::assert_stages_add_up("postfix", a);
    }
}

#[test]
fn self_signed_certificate_is_the_only_finding_without_a_trust_anchor() {
    let (code, doc) = probe_json("lab.test", &[]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["tls-cert-untrusted".to_string()])
    );
    assert_eq!(code, 1);
}

/// `--tls-on-connect` against Postfix's plaintext port: the handshake fails on its greeting,
/// and the finding says what that means.
#[test]
fn implicit_tls_against_the_plaintext_port_says_so() {
    let (code, doc) = probe_json("lab.test", &["--tls-on-connect", "--ca-file", &ca()]);
    assert_eq!(code, 2, "{doc:#}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "tls-handshake-failed")
        .unwrap_or_else(|| panic!("{doc:#}"));
    let detail = f["detail"].as_str().unwrap();
    assert!(detail.contains("not a TLS record"), "{detail}");
    assert!(detail.contains("drop --tls-on-connect"), "{detail}");
}

#[test]
fn text_transcript_shows_the_dialogue_and_tls_details() {
    let (code, out) = probe("lab.test", &["--ca-file", &ca(), "--color", "never"]);
    assert_eq!(code, 0, "{out}");
    for needle in [
        "DNS MX lab.test",
        "Attempt 1: mx1.lab.test [127.0.0.1]",
        "<<       220 mx1.lab.test ESMTP Postfix (lab)\\r\\n",
        ">>       STARTTLS\\r\\n",
        "TLS handshake complete",
        "certificate: verified",
        "subject CN=mx1.lab.test",
        ">>  tls  MAIL FROM:<>\\r\\n",
        "<<  tls  221 2.0.0 Bye\\r\\n",
        "Verdict: OK (exit 0)",
    ] {
        assert!(out.contains(needle), "{needle:?} missing:\n{out}");
    }
    assert!(!out.contains('\x1b'), "no color with --color never");
}

#[test]
fn implicit_mx_null_mx_nxdomain_and_mx_without_address() {
    let (code, doc) = probe_json(
        "implicit.lab.test",
        &["--ca-file", &ca(), "--to", "postmaster@lab.test"],
    );
    assert_eq!(doc["dns"]["implicit"], true);
    // The implicit MX is the domain itself, and the certificate names mx1.lab.test only.
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "mx-implicit".to_string(),
            "tls-cert-name-mismatch".to_string()
        ])
    );
    assert_eq!(doc["attempts"][0]["tls"]["sni"], "implicit.lab.test");
    assert_eq!(code, 1);
    assert_eq!(doc["attempts"][0]["outcome"], "completed");

    let (code, doc) = probe_json("nullmx.lab.test", &[]);
    assert_eq!(doc["dns"]["null_mx"], true);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["mx-null".to_string(), "mx-none-usable".to_string()])
    );
    assert_eq!(code, 2);
    assert!(doc["attempts"].as_array().unwrap().is_empty());

    let (code, doc) = probe_json("nxdomain.lab.test", &[]);
    assert_eq!(ids(&doc), BTreeSet::from(["mx-nxdomain".to_string()]));
    assert_eq!(code, 2);
    assert_eq!(doc["dns"]["error"]["kind"], "nxdomain");

    let (code, doc) = probe_json("noaddr.lab.test", &[]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "mx-target-invalid".to_string(),
            "mx-none-usable".to_string()
        ])
    );
    assert_eq!(code, 2);
}

#[test]
fn all_tries_every_mx_and_reports_the_refused_one() {
    let (code, doc) = probe_json("lab.test", &["--ca-file", &ca(), "--all"]);
    let attempts = doc["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "mx1, mx2 and mx3");
    assert_eq!(attempts[1]["address"], "127.0.0.2");
    assert_eq!(attempts[1]["outcome"], "connect-failed");
    // mx3.lab.test reaches the same Postfix, whose certificate names mx1.lab.test only.
    assert_eq!(attempts[2]["tls"]["sni"], "mx3.lab.test");
    let by_attempt: BTreeSet<(u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["attempt"].as_u64().unwrap(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_attempt,
        BTreeSet::from([
            (1, "connect-refused".to_string()),
            (2, "tls-cert-name-mismatch".to_string())
        ])
    );
    assert_eq!(code, 2, "an error finding is an error verdict");
}

#[test]
fn unknown_recipient_and_quit_after_stages() {
    let (code, doc) = probe_json("lab.test", &["--ca-file", &ca(), "--to", "nobody@lab.test"]);
    assert_eq!(ids(&doc), BTreeSet::from(["rcpt-rejected".to_string()]));
    assert_eq!(code, 2);
    let (code, doc) = probe_json("lab.test", &["--quit-after", "greeting"]);
    assert_eq!(code, 0);
    let sent: Vec<&str> = doc["attempts"][0]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == "client")
        .map(|e| e["raw"].as_str().unwrap())
        .collect();
    assert_eq!(sent, vec!["QUIT\\r\\n"]);
}

#[test]
fn starttls_require_and_never() {
    // Without the trust anchor, TLS cannot satisfy `require` on mx1; like an MTA, the probe
    // moves on to mx2 (refused) and mx3 (same server, and a name mismatch on top).
    let (code, doc) = probe_json("lab.test", &["--starttls", "require"]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "tls-cert-untrusted".to_string(),
            "starttls-policy-failed".to_string(),
            "connect-refused".to_string(),
            "tls-cert-name-mismatch".to_string()
        ])
    );
    assert_eq!(doc["attempts"].as_array().unwrap().len(), 3);
    assert_eq!(doc["attempts"][0]["outcome"], "policy-failed");
    assert_eq!(code, 2);
    // With it, mx1 satisfies the policy.
    let (code, doc) = probe_json("lab.test", &["--starttls", "require", "--ca-file", &ca()]);
    assert_eq!(ids(&doc), BTreeSet::new());
    assert_eq!(code, 0);
    let (code, doc) = probe_json("lab.test", &["--starttls", "never"]);
    assert_eq!(ids(&doc), BTreeSet::new());
    assert_eq!(code, 0);
    assert!(doc["attempts"][0]["tls"].is_null());
}

#[test]
fn data_reports_the_queue_id_that_postfix_logs() {
    let (pf, _) = lab();
    let (code, doc) = probe_json(
        "alice@lab.test",
        &["--ca-file", &ca(), "--data", "--from", "probe@lab.test"],
    );
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let data = &doc["attempts"][0]["data"];
    assert_eq!(data["dot_code"], 250);
    let qid = data["queue_id"].as_str().expect("Postfix names a queue id");
    pf.wait_for_maillog(
        &format!("{qid}: message-id=<smtpdoctor."),
        std::time::Duration::from_secs(10),
    );
}

#[test]
fn ten_megabytes_streamed_into_postfix() {
    let (pf, _) = lab();
    let (code, doc) = probe_json(
        "alice@lab.test",
        &[
            "--ca-file",
            &ca(),
            "--size",
            "10M",
            "--from",
            "probe@lab.test",
        ],
    );
    assert_eq!(code, 0, "{:#}", doc["findings"]);
    let data = &doc["attempts"][0]["data"];
    assert!(data["bytes_sent"].as_u64().unwrap() >= 10 << 20);
    let qid = data["queue_id"].as_str().unwrap();
    let log = pf.wait_for_maillog(
        &format!("{qid}: from=<probe@lab.test>, size="),
        std::time::Duration::from_secs(10),
    );
    // MAIL carried SIZE=, and Postfix counted the whole message.
    let line = log
        .lines()
        .find(|l| l.contains(&format!("{qid}: from=<probe@lab.test>, size=")))
        .unwrap();
    let size: u64 = line
        .split("size=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(size >= 10 << 20, "{line}");
}

#[test]
fn body_file_is_dot_stuffed_and_canonicalised_on_the_way_to_postfix() {
    let (pf, _) = lab();
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.eml");
    // Headers, then lines that need stuffing (a lone dot would end DATA), a CRLF line, a bare CR
    // inside a line, and no final line end.
    std::fs::write(
        &body,
        b"Subject: smtpdoctor body test\nFrom: <probe@lab.test>\nTo: <postmaster@lab.test>\n\n\
          .leading dot\n..two dots\r\nbare\rcr line\n.\nlast line without newline",
    )
    .unwrap();
    let (code, doc) = probe_json(
        "postmaster@lab.test",
        &[
            "--ca-file",
            &ca(),
            "--from",
            "probe@lab.test",
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{:#}", doc["findings"]);
    let qid = doc["attempts"][0]["data"]["queue_id"]
        .as_str()
        .unwrap()
        .to_string();
    pf.wait_for_maillog(
        &format!("{qid}: removed"),
        std::time::Duration::from_secs(10),
    );
    let mbox = pf.mailbox("postmaster");
    // The mailbox stores lines with LF: what arrived, un-stuffed, is the canonical content.
    assert!(
        mbox.contains(".leading dot\n..two dots\nbare\ncr line\n.\nlast line without newline\n"),
        "{mbox}"
    );
}

#[test]
fn ipv6_only_finds_no_address_in_the_ipv4_lab() {
    let (code, doc) = probe_json("lab.test", &["-6"]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "mx-target-invalid".to_string(),
            "mx-none-usable".to_string()
        ])
    );
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        4,
        "three MX hosts without AAAA, none usable"
    );
    assert_eq!(code, 2);
    let (code, doc) = probe_json("lab.test", &["-4", "--ca-file", &ca()]);
    assert_eq!(code, 0, "{:#}", doc["findings"]);
}
