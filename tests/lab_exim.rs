//! The probe against a second real MTA: Exim 4.96 from Debian 12 (see `common/exim_lab.rs`),
//! plainly, with STARTTLS, with `--data` and with every active test. No false alarm: every
//! finding must be true of Exim, and the tests check each against what Exim did (its logs,
//! its spool, raw bytes).

use crate::common::exim_lab::{EXIM_DOMAIN, EXIM_HOSTNAME, Exim};
use crate::common::{ACTIVE_TESTS, assert_report_shape, ids, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};

/// `smtpdoctor probe exim.test --server 127.0.0.1:PORT --json` plus `extra`.
fn probe_json(exim: &Exim, extra: &[&str]) -> (i32, Value) {
    let (code, doc) = run_json(
        smtpdoctor()
            .args(["probe", EXIM_DOMAIN, "--server", &exim.addr().to_string()])
            .args(["--helo", "probe.lab.test", "--json"])
            .args(extra)
            .timeout(std::time::Duration::from_secs(120)),
    );
    assert_report_shape("exim", &doc, code);
    (code, doc)
}

/// `--ca-file` with the instance's certificate and the SNI it is issued for.
fn trusted(exim: &Exim) -> Vec<String> {
    vec![
        "--ca-file".into(),
        exim.cert_pem_path().display().to_string(),
        "--sni".into(),
        EXIM_HOSTNAME.into(),
    ]
}

fn stage_names(a: &Value) -> Vec<&str> {
    a["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect()
}

fn keywords(ehlo: &Value) -> Vec<&str> {
    ehlo["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["keyword"].as_str().unwrap())
        .collect()
}

/// A plain probe (no STARTTLS) of Exim finds nothing; each step is named once and the steps
/// add up (the field report: `quit 201.0 ms, quit 201.0 ms` against Exim).
#[test]
fn exim_plain_probe_has_no_finding() {
    let Some(exim) = Exim::start("") else { return };
    let (code, doc) = probe_json(&exim, &["--starttls", "never"]);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let a = &doc["attempts"][0];
    assert_eq!(a["outcome"], "completed");
    let greeting = a["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["dir"] == "server")
        .unwrap();
    assert!(
        greeting["text"]
            .as_str()
            .unwrap()
            .starts_with("220 mx.exim.test ESMTP Exim 4.96"),
        "{greeting}"
    );
    assert_eq!(
        stage_names(a),
        [
            "connect", "greeting", "ehlo", "mail", "rcpt", "rset", "quit"
        ]
    );
    crate::common::assert_stages_add_up("exim plain", a);
    // Exim advertises PIPELINING: MAIL, RCPT, RSET and QUIT went as one group, each answered.
    let caps = keywords(&a["ehlo"]);
    for k in ["PIPELINING", "PIPECONNECT", "STARTTLS", "SIZE", "8BITMIME"] {
        assert!(caps.contains(&k), "{k} in {caps:?}");
    }
    let sent: Vec<&str> = a["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == "client")
        .map(|e| e["raw"].as_str().unwrap())
        .collect();
    assert!(
        sent.iter().any(|r| r.starts_with("MAIL FROM:<>")),
        "{sent:?}"
    );
    assert!(
        exim.mainlog().contains("daemon started"),
        "{}",
        exim.mainlog()
    );
}

/// STARTTLS with Exim's certificate trusted: no finding, TLS verified, the second EHLO inside
/// TLS without STARTTLS. Without the trust anchor, the one finding is the untrusted
/// certificate, which is true (it is self-signed).
#[test]
fn exim_starttls_is_clean_with_its_certificate_trusted() {
    let Some(exim) = Exim::start("") else { return };
    let ca = trusted(&exim);
    let ca: Vec<&str> = ca.iter().map(String::as_str).collect();
    let (code, doc) = probe_json(&exim, &ca);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let a = &doc["attempts"][0];
    assert_eq!(a["tls"]["verification"]["trusted"], true, "{:#}", a["tls"]);
    assert_eq!(a["tls"]["verification"]["name_ok"], true, "{:#}", a["tls"]);
    assert_eq!(a["ehlo"]["verb"], "EHLO");
    assert!(!keywords(&a["ehlo"]).contains(&"STARTTLS"));
    assert!(keywords(&a["ehlo_plain"]).contains(&"STARTTLS"));
    assert_eq!(
        stage_names(a),
        [
            "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "rset",
            "quit"
        ]
    );
    crate::common::assert_stages_add_up("exim starttls", a);
    assert_eq!(a["tls"]["version"], "TLSv1.3", "{:#}", a["tls"]);

    let (code, doc) = probe_json(&exim, &["--sni", EXIM_HOSTNAME]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["tls-cert-untrusted".to_string()]),
        "{:#}",
        doc["findings"]
    );
    assert_eq!(code, 1);
}

/// `--data`: Exim accepts the message, the queue id the probe reports is the id of the message
/// in Exim's spool, and the spool holds the test message.
#[test]
fn exim_data_is_accepted_with_its_queue_id() {
    let Some(exim) = Exim::start("") else { return };
    let ca = trusted(&exim);
    let mut args: Vec<&str> = ca.iter().map(String::as_str).collect();
    args.push("--data");
    let (code, doc) = probe_json(&exim, &args);
    assert_eq!(ids(&doc), BTreeSet::new(), "{:#}", doc["findings"]);
    assert_eq!(code, 0);
    let a = &doc["attempts"][0];
    let data = &a["data"];
    assert_eq!(data["dot_code"], 250, "{data}");
    let spooled = exim.spool_messages();
    assert_eq!(spooled.len(), 1, "{spooled:?}");
    assert_eq!(data["queue_id"], spooled[0].as_str(), "{data}");
    assert!(
        exim.spool_body(&spooled[0])
            .contains("This is a test message sent by smtpdoctor"),
        "{}",
        exim.spool_body(&spooled[0])
    );
    assert!(
        exim.mainlog().contains(&format!("{} <= <>", spooled[0])),
        "{}",
        exim.mainlog()
    );
    let names = stage_names(a);
    assert_eq!(
        names[names.len() - 3..],
        ["data", "dot", "quit"],
        "{names:?}"
    );
    crate::common::assert_stages_add_up("exim data", a);
}

/// Every active test against Exim: no error and no warning. What is reported is true of Exim,
/// each checked here against Exim itself: it answers an EHLO sent before its greeting (it
/// advertises PIPECONNECT and allows early pipelining from `pipelining_connect_advertise_hosts`,
/// `*` by default; with that list empty it refuses, and the probe says so), it ends a command at
/// a bare LF, it takes no non-standard end of data (every smuggling message is in the spool,
/// whole), and it relays nothing.
#[test]
fn exim_every_active_test_without_false_alarm() {
    let Some(exim) = Exim::start("") else { return };
    let ca = trusted(&exim);
    let mut args: Vec<&str> = ca.iter().map(String::as_str).collect();
    let tests = ACTIVE_TESTS.join(",");
    args.extend(["--test", &tests, "--to", "alice@exim.test"]);
    let (code, doc) = probe_json(&exim, &args);
    let bad: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(bad.is_empty(), "false alarms: {bad:#?}");
    assert_eq!(code, 0);
    assert_eq!(
        ids(&doc),
        BTreeSet::from([
            "bare-lf-accepted".to_string(),
            "pregreet-tolerated".to_string()
        ]),
        "{:#}",
        doc["findings"]
    );
    // Every test ran to its point.
    for a in doc["attempts"].as_array().unwrap() {
        assert_eq!(
            a["outcome"], "completed",
            "{}: {}",
            a["test"], a["failed_stage"]
        );
    }
    let notes: Vec<&str> = doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        !notes
            .iter()
            .any(|n| n.contains("could not") || n.contains("not tried")),
        "{notes:?}"
    );

    // pregreet-tolerated is true: Exim advertises PIPECONNECT and logged no synchronisation
    // error for the early EHLO.
    assert!(keywords(&doc["attempts"][0]["ehlo"]).contains(&"PIPECONNECT"));
    assert!(
        !exim.rejectlog().contains("synchronization error"),
        "{}",
        exim.rejectlog()
    );
    // bare-lf-accepted is true: `NOOP<LF>` alone gets its 250.
    let mut s = std::net::TcpStream::connect(exim.addr()).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"220 "), "{:?}", &buf[..n]);
    s.write_all(b"NOOP\n").unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"250 "),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let _ = s.write_all(b"QUIT\r\n");
    // Smuggling: as many messages in the spool as the note says were delivered, and each one
    // is the whole test message (its last line came after the sequence).
    let note = notes
        .iter()
        .find(|n| n.starts_with("the smuggling test delivered"))
        .unwrap_or_else(|| panic!("{notes:?}"));
    let delivered: usize = note
        .split_whitespace()
        .nth(4)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{note}"));
    assert!(note.contains(" 0 ended by a non-standard"), "{note}");
    let spooled = exim.spool_messages();
    assert_eq!(spooled.len(), delivered, "{note} vs {spooled:?}");
    for id in &spooled {
        let body = exim.spool_body(id);
        assert!(body.contains("End of test message"), "{id}: {body}");
    }
    // Relay: every foreign form was refused, as Exim logged.
    assert!(
        exim.rejectlog().contains("relay not permitted"),
        "{}",
        exim.rejectlog()
    );

    // With early pipelining allowed to no host, Exim refuses the early talker, and the probe
    // says that instead. The connect ACL's pause makes Exim look for early input after the
    // EHLO has surely arrived (without it, whether Exim saw the EHLO before its banner was a
    // race on a loaded machine).
    let Some(strict) =
        Exim::start("pipelining_connect_advertise_hosts =\nacl_smtp_connect = acl_check_connect")
    else {
        return;
    };
    let (_, doc) = probe_json(&strict, &["--starttls", "never", "--test", "pregreet"]);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["pregreet-enforced".to_string()]),
        "{:#}",
        doc["findings"]
    );
    assert!(
        strict.rejectlog().contains(
            "SMTP protocol synchronization error (input sent without waiting for greeting)"
        ),
        "{}",
        strict.rejectlog()
    );
    assert!(!keywords(&doc["attempts"][0]["ehlo"]).contains(&"PIPECONNECT"));
}
