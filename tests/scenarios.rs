//! Every built-in scenario, probed by the real binary: the findings must be exactly the ones the
//! scenario declares (no more: false alarms are bugs), the JSON must be valid and complete, and
//! the exit code must follow the verdict.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `smtpdoctor probe demo.test --server ADDR --json ...` and returns (exit code, document).
fn probe_json(addr: &str, ca: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("smtpdoctor")
        .unwrap()
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
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}) for {extra:?}: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, doc)
}

/// SPEC §5 shape checks that hold on every outcome.
pub fn assert_report_shape(doc: &Value, code: i32) {
    assert_eq!(doc["schema"], "smtpdoctor.report/v1");
    assert_eq!(doc["tool"]["name"], "smtpdoctor");
    for field in [
        "target",
        "started_at",
        "duration_ms",
        "verdict",
        "exit_code",
        "attempts",
        "findings",
    ] {
        assert!(!doc[field].is_null(), "missing {field}");
    }
    assert_eq!(
        doc["exit_code"].as_i64(),
        Some(code as i64),
        "exit code follows the report"
    );
    let verdict = doc["verdict"].as_str().unwrap();
    assert_eq!(
        code,
        match verdict {
            "ok" => 0,
            "warning" => 1,
            _ => 2,
        }
    );
    for a in doc["attempts"].as_array().unwrap() {
        for e in a["transcript"].as_array().unwrap() {
            assert!(e["at_ms"].is_number());
            assert!(["client", "server", "local"].contains(&e["dir"].as_str().unwrap()));
            assert!(e["raw"].is_string());
            if e["dir"] == "server" {
                assert!(!e["reads"].as_array().unwrap().is_empty());
            }
        }
    }
    for f in doc["findings"].as_array().unwrap() {
        for field in [
            "id",
            "severity",
            "stage",
            "summary",
            "detail",
            "reference",
            "fix",
        ] {
            assert!(f[field].is_string(), "finding field {field}: {f}");
        }
        assert!(f.get("transcript_index").is_some());
        if let Some(i) = f["transcript_index"].as_u64() {
            let a = f["attempt"].as_u64().unwrap() as usize;
            assert!((i as usize) < doc["attempts"][a]["transcript"].as_array().unwrap().len());
        }
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

#[test]
fn every_scenario_produces_exactly_its_findings() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("demo-ca.pem");
    std::fs::write(&ca, smtpdoctor::mock::demo_certificate_pem()).unwrap();
    let scenarios: Vec<_> = smtpdoctor::mock::scenarios()
        .iter()
        .filter(|s| !s.probe_args.contains(&"--test"))
        .collect();
    assert!(scenarios.len() > 40, "the catalog shrank");
    let mut failures = Vec::new();
    // A few at a time: timing faults (a greeting in two pieces 150 ms apart) must stay visible
    // on a busy machine.
    for batch in scenarios.chunks(8) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|s| {
                    let (addr, _server) = rt.block_on(smtpdoctor::mock::spawn(s)).unwrap();
                    let ca = ca.clone();
                    scope.spawn(move || {
                        let (code, doc) = probe_json(&addr.to_string(), &ca, s.probe_args);
                        (s, code, doc)
                    })
                })
                .collect();
            for h in handles {
                let (s, code, doc) = h.join().unwrap();
                assert_report_shape(&doc, code);
                let got = ids(&doc);
                let want: BTreeSet<String> = s.expect.iter().map(|e| e.to_string()).collect();
                if got != want {
                    failures.push(format!("{}: expected {want:?}, got {got:?}", s.name));
                }
                if s.expect.is_empty() {
                    // A server without faults gets through with exit 0. Two scenarios fail the probe
                    // without a finding id of their own: no 354 after DATA, and a message larger
                    // than the advertised SIZE, which the probe refuses to send.
                    if ["no-354", "size-limit"].contains(&s.name) {
                        assert_eq!(code, 2, "{} must not count as getting through", s.name);
                    } else {
                        assert_eq!(code, 0, "{} should be clean", s.name);
                    }
                }
            }
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn connect_refused_and_connect_timeout_on_loopback() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, smtpdoctor::mock::demo_certificate_pem()).unwrap();
    let refused = smtpdoctor::mock::refused_addr();
    let (code, doc) = probe_json(&refused.to_string(), &ca, &[]);
    assert_report_shape(&doc, code);
    assert_eq!(code, 2);
    assert_eq!(ids(&doc), BTreeSet::from(["connect-refused".to_string()]));
    assert!(doc["findings"][0]["transcript_index"].is_null());
    let hole = rt
        .block_on(async { smtpdoctor::mock::blackhole() })
        .unwrap();
    let started = std::time::Instant::now();
    let (code, doc) = probe_json(&hole.addr.to_string(), &ca, &["--timeout", "1s"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_report_shape(&doc, code);
    assert_eq!(code, 2);
    assert_eq!(ids(&doc), BTreeSet::from(["connect-timeout".to_string()]));
}
