//! Every built-in scenario, probed by the real binary: the findings must be exactly the ones the
//! scenario declares (no more: false alarms are bugs), the JSON must be valid and complete, and
//! the exit code must follow the verdict.

use crate::common::{
    ACTIVE_TESTS, DemoCa, Mock, assert_report_shape, assert_schema_valid, ids, run_json, smtpdoctor,
};
use serde_json::Value;
use std::collections::BTreeSet;

/// Runs `smtpdoctor probe demo.test --server ADDR --json ...` and returns (exit code, document).
fn probe_json(addr: &str, ca: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    run_json(
        smtpdoctor()
            .args([
                "probe",
                "demo.test",
                "--server",
                addr,
                "--json",
                "--ca-file",
            ])
            .arg(ca)
            .args(extra)
            // One scenario greets only after 5 min 1 s (past the RFC minimum).
            .timeout(std::time::Duration::from_secs(420)),
    )
}

/// Active tests run on attempts of their own, labelled with the test, after the probe's own
/// attempt; their findings carry `test:<name>` and point into those attempts.
fn assert_active_tests_shape(args: &[&str], doc: &Value) {
    let attempts = doc["attempts"].as_array().unwrap();
    let test = args
        .iter()
        .position(|a| *a == "--test")
        .map(|i| args[i + 1]);
    assert!(
        attempts[0]["test"].is_null(),
        "the probe's own attempt comes first"
    );
    match test {
        None => assert!(attempts.iter().all(|a| a["test"].is_null())),
        Some(name) => {
            assert!(
                attempts[1..]
                    .iter()
                    .filter(|a| a["plaintext_retry_of"].is_null())
                    .all(|a| a["test"] == name),
                "{name}: every later attempt but a plaintext retry belongs to the test"
            );
            assert!(attempts.len() > 1, "{name}: no test attempt");
        }
    }
    for f in doc["findings"].as_array().unwrap() {
        let a = f["attempt"].as_u64().unwrap() as usize;
        match attempts[a]["test"].as_str() {
            Some(name) => {
                assert_eq!(f["stage"], format!("test:{name}"), "{f}");
                assert!(f["transcript_index"].is_u64(), "{f}: points at its proof");
            }
            None => assert!(!f["stage"].as_str().unwrap().starts_with("test:"), "{f}"),
        }
    }
}

/// How many probes run at once.
const PARALLEL_PROBES: usize = 8;

#[test]
fn every_scenario_produces_exactly_its_findings() {
    let ca = DemoCa::create();
    let scenarios: Vec<_> = smtpdoctor::server::scenarios().iter().collect();
    assert!(scenarios.len() > 55, "the catalog shrank");
    let mut failures = Vec::new();
    // A few probes at a time: the timing scenarios (300 ms thresholds) must not be starved
    // by dozens of concurrent TLS handshakes on a small machine.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_PROBES {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(s) = scenarios.get(i) else {
                        break;
                    };
                    let mock = Mock::start(s);
                    let (code, doc) = probe_json(&mock.addr.to_string(), &ca.path(), s.probe_args);
                    drop(mock);
                    results.lock().unwrap().push((*s, code, doc));
                }
            });
        }
    });
    for (s, code, doc) in results.into_inner().unwrap() {
        assert_report_shape(s.name, &doc, code);
        assert_schema_valid(s.name, &doc);
        assert_active_tests_shape(s.probe_args, &doc);
        let got = ids(&doc);
        let want: BTreeSet<String> = s.expect.iter().map(|e| e.to_string()).collect();
        if got != want {
            failures.push(format!("{}: expected {want:?}, got {got:?}", s.name));
        }
        if s.expect.is_empty() {
            // A server without faults gets through with exit 0: every failure has a finding.
            assert_eq!(code, 0, "{} should be clean", s.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn connect_refused_and_connect_timeout_on_loopback() {
    let ca = DemoCa::create();
    let refused = smtpdoctor::server::refused_addr();
    let (code, doc) = probe_json(&refused.to_string(), &ca.path(), &[]);
    assert_report_shape("connect refused", &doc, code);
    assert_schema_valid("connect refused", &doc);
    assert_eq!(code, 2);
    assert_eq!(ids(&doc), BTreeSet::from(["connect-refused".to_string()]));
    assert!(doc["findings"][0]["transcript_index"].is_null());
    let hole = smtpdoctor::server::blackhole().unwrap();
    let started = std::time::Instant::now();
    let (code, doc) = probe_json(&hole.addr.to_string(), &ca.path(), &["--timeout", "1s"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_report_shape("connect timeout", &doc, code);
    assert_eq!(code, 2);
    assert_eq!(ids(&doc), BTreeSet::from(["connect-timeout".to_string()]));
}

#[test]
fn every_active_test_against_a_correct_server() {
    let ca = DemoCa::create();
    let clean = Mock::named("clean");
    let started = std::time::Instant::now();
    let (code, doc) = probe_json(
        &clean.addr.to_string(),
        &ca.path(),
        &[
            "--test",
            &ACTIVE_TESTS.join(","),
            "--to",
            "postmaster@demo.test",
            "--timeout",
            "1s",
        ],
    );
    // Seven smuggling connections wait 1 s each (--timeout caps the 5 s wait), bare-lf and
    // starttls-injection 1 s more each: well under a minute.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_report_shape("every active test", &doc, code);
    // A correct server only shows that it answers a client that talks first.
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["pregreet-tolerated".to_string()])
    );
    assert_eq!(code, 0);
    let tests: Vec<&str> = doc["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["test"].as_str())
        .collect();
    for name in ACTIVE_TESTS {
        assert!(tests.contains(&name), "{name} did not run: {tests:?}");
    }
    assert_eq!(tests.iter().filter(|t| **t == "smuggling").count(), 7);
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("delivered 7 test message(s) to <postmaster@demo.test>")),
        "{notes:?}"
    );
    // Relay attempts never reach DATA; only the smuggling test sends message data.
    for a in doc["attempts"].as_array().unwrap() {
        let sent_data = a["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["dir"] == "client" && e["text"] == "DATA");
        assert_eq!(sent_data, a["test"] == "smuggling", "{}", a["test"]);
    }
}

#[test]
fn smuggling_needs_an_explicit_to() {
    let out = smtpdoctor()
        .args([
            "probe",
            "user@demo.test",
            "--server",
            "127.0.0.1:9",
            "--test",
            "smuggling",
        ])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--test smuggling needs an explicit --to"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing is probed");
}

#[test]
fn unknown_active_test_is_a_usage_error() {
    let out = smtpdoctor()
        .args(["probe", "demo.test", "--test", "all"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_failed_handshake_is_retried_without_starttls_as_an_mta_would() {
    let ca = DemoCa::create();
    let mock = Mock::named("tls-handshake-failed");
    let (code, doc) = probe_json(&mock.addr.to_string(), &ca.path(), &[]);
    assert_report_shape("tls-handshake-failed", &doc, code);
    let attempts = doc["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["outcome"], "tls-failed");
    assert_eq!(attempts[1]["plaintext_retry_of"], 0);
    assert_eq!(attempts[1]["outcome"], "completed");
    assert!(attempts[1]["tls"].is_null());
    assert_eq!(code, 2, "the failed handshake stays an error");
    // Under `require` there is no plaintext retry; with --quit-after tls neither.
    for extra in [&["--starttls", "require"][..], &["--quit-after", "tls"][..]] {
        let (_, doc) = probe_json(&mock.addr.to_string(), &ca.path(), extra);
        assert_eq!(doc["attempts"].as_array().unwrap().len(), 1, "{extra:?}");
    }
}
