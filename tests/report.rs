//! `smtpdoctor report`: a saved JSON report prints as the run that wrote it printed it, byte for
//! byte (timings come from the JSON): every scenario's probe report in every text detail, with
//! colors, and as a Nagios line; the mock's client reports of every demo client; a proxy's.
//! Malformed input ends in a clear error and exit 3.

use crate::common::{DemoCa, Mock, assert_schema_valid, rt, schema_errors, smtpdoctor};
use smtpdoctor::config::{ColorChoice, Detail, Format, OutputConfig};
use smtpdoctor::output::saved::print_saved;
use std::io::{Read, Write};

const VARIANTS: [(Format, Detail, bool); 6] = [
    (Format::Text, Detail::Normal, false),
    (Format::Text, Detail::Verbose, false),
    (Format::Text, Detail::Quiet, false),
    (Format::Text, Detail::Normal, true),
    (Format::Nagios, Detail::Normal, false),
    (Format::Nagios, Detail::Verbose, false),
];

fn cfg(format: Format, detail: Detail) -> OutputConfig {
    OutputConfig {
        format,
        color: ColorChoice::Never,
        detail,
    }
}

/// What `smtpdoctor report` prints for `json`, with its exit code.
fn reported(json: &[u8], format: Format, detail: Detail, color: bool) -> (u8, String) {
    let mut out = Vec::new();
    let code = print_saved(json, &cfg(format, detail), color, &mut out)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(json)));
    (code, String::from_utf8(out).unwrap())
}

/// Each printed way of one probe report against `report` of its JSON; mismatches named.
pub(crate) fn probe_round_trip(name: &str, report: &smtpdoctor::report::Report) -> Vec<String> {
    let render = |format, detail, color| {
        let mut out = Vec::new();
        smtpdoctor::output::print(report, &cfg(format, detail), color, &mut out).unwrap();
        out
    };
    let json = render(Format::Json, Detail::Normal, false);
    let mut failures: Vec<String> = schema_errors(&serde_json::from_slice(&json).unwrap())
        .into_iter()
        .map(|e| format!("{name}: not valid against the schema: {e}"))
        .collect();
    for (format, detail, color) in VARIANTS {
        let live = String::from_utf8(render(format, detail, color)).unwrap();
        let (code, saved) = reported(&json, format, detail, color);
        if saved != live {
            failures.push(format!(
                "{name} {format:?} {detail:?} color={color}:\n--- run\n{live}\n--- report\n{saved}"
            ));
        }
        assert_eq!(code as i32, report.verdict().exit_code(), "{name}");
    }
    failures
}

/// How many probes run at once (fewer than the scenario test's, which runs beside this one and
/// judges timings; the slowest scenario, first, sets the pace anyway).
const PARALLEL_PROBES: usize = 4;

/// Every scenario, probed in-process with its own options: `probe --json | report` prints what
/// `probe` printed.
#[test]
fn every_scenario_reports_as_it_printed() {
    let ca = DemoCa::create();
    let ca_path = ca.path();
    // The slowest first, so that it overlaps the rest.
    let mut scenarios: Vec<_> = smtpdoctor::server::scenarios().iter().collect();
    scenarios.sort_by_key(|s| !s.probe_args.contains(&"6m"));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_PROBES {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(s) = scenarios.get(i) else {
                        break;
                    };
                    let mock = Mock::start(s);
                    let addr = mock.addr.to_string();
                    let mut argv = vec!["smtpdoctor", "probe", "demo.test", "--server", &addr];
                    argv.extend(["--ca-file", ca_path.to_str().unwrap()]);
                    argv.extend(s.probe_args);
                    let report = crate::common::probe_in_process(&argv);
                    drop(mock);
                    let f = probe_round_trip(s.name, &report);
                    failures.lock().unwrap().extend(f);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The client reports of one run, printed as the mock prints them (a blank line between text
/// reports), against `report` of their JSON Lines.
fn client_round_trip(name: &str, reports: &[smtpdoctor::report::client::ClientReport]) {
    let render = |format, detail, color| {
        let mut out = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            if i > 0 && format == Format::Text {
                writeln!(out).unwrap();
            }
            smtpdoctor::output::client::print(r, &cfg(format, detail), color, &mut out).unwrap();
        }
        out
    };
    let json = render(Format::Json, Detail::Normal, false);
    for line in json.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert_schema_valid(name, &serde_json::from_slice(line).unwrap());
    }
    let worst = reports
        .iter()
        .map(|r| r.verdict().exit_code())
        .max()
        .unwrap();
    for (format, detail, color) in VARIANTS {
        let live = String::from_utf8(render(format, detail, color)).unwrap();
        let (code, saved) = reported(&json, format, detail, color);
        assert_eq!(
            saved, live,
            "{name} {format:?} {detail:?} color={color}: report differs from the run"
        );
        assert_eq!(code as i32, worst, "{name}");
    }
}

/// Every demo client against the mock: its client reports print back as the mock printed them.
#[test]
fn every_demo_clients_reports_print_as_the_mock_printed_them() {
    for client in smtpdoctor::server::DEMO_CLIENTS {
        let records = rt()
            .block_on(smtpdoctor::server::run_demo_client(client))
            .unwrap();
        let reports: Vec<_> = records
            .into_iter()
            .map(smtpdoctor::report::client::ClientReport::of_mock)
            .collect();
        assert!(!reports.is_empty(), "{}", client.name);
        client_round_trip(client.name, &reports);
    }
}

/// A session through the proxy (its client report has an upstream and the proxy's TLS object).
#[test]
fn a_proxy_report_prints_as_the_proxy_printed_it() {
    use smtpdoctor::server::proxy::{IDLE_DEFAULT, ProxyOptions, TlsMode, serve};
    let upstream = Mock::named("clean");
    let listener = rt()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let listen = listener.local_addr().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = ProxyOptions {
        upstream_host: "mx.demo.test".into(),
        upstreams: vec![upstream.addr],
        mode: TlsMode::Passthrough,
        certificate: None,
        roots: std::sync::Arc::new(rustls::RootCertStore::empty()),
        idle: IDLE_DEFAULT,
        connect_timeout: std::time::Duration::from_secs(5),
        max_connections: Some(1),
    };
    let server = rt().spawn(serve(listener, options, tx));
    let mut c = std::net::TcpStream::connect(listen).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut expect = |c: &mut std::net::TcpStream, last: &[u8]| {
        let mut got = Vec::new();
        while !got.windows(last.len()).any(|w| w == last) {
            let n = c.read(&mut buf).unwrap();
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    };
    expect(&mut c, b"220 ");
    c.write_all(b"EHLO client.test\r\n").unwrap();
    expect(&mut c, b"250 ");
    c.write_all(b"MAIL FROM:<>\nQUIT\r\n").unwrap();
    expect(&mut c, b"221");
    drop(c);
    let rec = rt()
        .block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await
        })
        .unwrap()
        .unwrap();
    server.abort();
    let report = smtpdoctor::report::client::ClientReport::of_proxy(rec);
    assert!(
        report.findings.iter().any(|f| f.id == "client-bare-lf"),
        "{:?}",
        report.findings
    );
    client_round_trip("proxy", &[report]);
}

/// The binary: `probe --json` into `report -` and `report FILE`, JSON Lines of probe and client
/// reports together; the exit code is the worst verdict's.
#[test]
fn report_reads_a_file_or_standard_input() {
    let mock = Mock::named("classic");
    let probe = smtpdoctor()
        .args(["probe", "demo.test", "--server", &mock.addr.to_string()])
        .args(["--json", "--starttls", "never"])
        .output()
        .unwrap();
    assert_eq!(probe.status.code(), Some(2));
    let out = smtpdoctor()
        .args(["report", "-", "--color", "never"])
        .write_stdin(probe.stdout.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("smtpdoctor probe demo.test\n"), "{text}");
    assert!(text.contains("^ error reply-bare-lf"), "{text}");
    assert!(text.contains("Verdict: CRITICAL (exit 2)"), "{text}");

    let client = smtpdoctor()
        .args(["demo", "--client", "ccnotes", "--json"])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports.jsonl");
    std::fs::write(&file, [probe.stdout, client.stdout].concat()).unwrap();
    let out = smtpdoctor()
        .args(["report", "--format", "nagios"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let lines = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert!(lines[0].starts_with("SMTP CRITICAL - "), "{lines:?}");
    assert!(lines[1].starts_with("SMTP CLIENT "), "{lines:?}");
    assert!(lines.len() >= 2, "{lines:?}");
}

/// Bad input: a clear message on stderr, exit 3, nothing half-printed for a broken document.
#[test]
fn malformed_reports_exit_3_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "no JSON document"),
        (
            "truncated",
            b"{\"schema\":\"smtpdoctor.report/v1\",\"atte".to_vec(),
            "not valid JSON",
        ),
        ("garbage", b"\x1b[2J\xff\xfe".to_vec(), "not valid JSON"),
        (
            "not a report",
            b"{\"hello\": 1}".to_vec(),
            "not a smtpdoctor report",
        ),
        (
            "a report without its parts",
            b"{\"schema\":\"smtpdoctor.report/v1\"}".to_vec(),
            "missing field",
        ),
    ];
    for (what, input, want) in cases {
        let out = smtpdoctor()
            .args(["report", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(3), "{what}: {err}");
        assert!(err.contains(want), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(!err.contains('\u{1b}'), "{what}: {err}");
        assert!(out.stdout.is_empty(), "{what}");
    }
    let out = smtpdoctor().arg("report").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = smtpdoctor()
        .args(["report", "-", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "json is not a report format");
}

/// The schema says what a document must hold: one that lacks a field or has a wrong type fails.
#[test]
fn the_schema_rejects_a_broken_document() {
    let mock = Mock::named("clean");
    let out = smtpdoctor()
        .args(["probe", "demo.test", "--server", &mock.addr.to_string()])
        .args(["--json", "--starttls", "never"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_schema_valid("clean", &doc);
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("verdict");
    assert!(!schema_errors(&broken).is_empty(), "missing verdict");
    let mut broken = doc.clone();
    broken["attempts"][0]["transcript"][0]["at_ms"] = "soon".into();
    assert!(!schema_errors(&broken).is_empty(), "a string for a time");
    let mut broken = doc;
    broken["schema"] = "smtpdoctor.report/v2".into();
    assert!(!schema_errors(&broken).is_empty(), "another schema");
}

/// The JSON Lines of a run of many targets print as that run prints in text: a status line per
/// target and the summary (durations aside, which each run has its own; completion order too).
#[test]
fn a_run_of_many_targets_reports_as_it_printed() {
    let mock = Mock::named("classic");
    let addr = mock.addr.to_string();
    let run = |extra: &[&str]| {
        smtpdoctor()
            .args(["probe", "a.test", "b.test", "c.test", "--server", &addr])
            .args(["--starttls", "never", "-j", "3"])
            .args(extra)
            .output()
            .unwrap()
    };
    let text = run(&[]);
    let json = run(&["--json"]);
    assert_eq!(String::from_utf8_lossy(&json.stdout).lines().count(), 3);
    let out = smtpdoctor()
        .args(["report", "-"])
        .write_stdin(json.stdout)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), text.status.code());
    // Status lines end in the target's duration: cut it off, and compare them as sets.
    let shape = |stdout: &[u8]| {
        let s = String::from_utf8(stdout.to_vec()).unwrap();
        let (lines, summary) = s.split_once("\n\n").expect("a summary");
        let mut lines: Vec<String> = lines
            .lines()
            .map(|l| l.rsplit_once("  ").map_or(l, |(head, _)| head).to_string())
            .collect();
        lines.sort();
        (lines, summary.to_string())
    };
    let (want_lines, want_summary) = shape(&text.stdout);
    let (lines, summary) = shape(&out.stdout);
    assert_eq!(lines, want_lines);
    assert_eq!(summary, want_summary);
    assert!(summary.starts_with("Summary: 3 target(s)"), "{summary}");
}
