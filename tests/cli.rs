//! Command-line behaviour: exit codes for usage errors, broken pipes, color, quiet and
//! verbose output, explain, demo --list.

use crate::common::{BIN, Mock, smtpdoctor};
use std::io::Read;
use std::process::Stdio;

#[test]
fn usage_errors_exit_3() {
    for args in [
        vec!["probe"],
        vec!["probe", "not a domain"],
        vec!["probe", "example.test", "--server", "mx.example.test:99999"],
        vec!["probe", "example.test", "--timeout", "soon"],
        vec!["probe", "example.test", "--resolver", "dns.example.test"],
        vec![
            "probe",
            "example.test",
            "--to",
            "a\rb@example.test",
            "--server",
            "127.0.0.1:1",
        ],
        vec![
            "probe",
            "example.test",
            "--ca-file",
            "/nonexistent.pem",
            "--server",
            "127.0.0.1:1",
        ],
        vec!["demo", "no-such-scenario"],
        vec!["frobnicate"],
    ] {
        let out = smtpdoctor().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed a report");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            !err.contains('\r'),
            "control bytes of the input are escaped: {err:?}"
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    smtpdoctor().arg("--help").assert().success();
    smtpdoctor().arg("--version").assert().success();
    smtpdoctor().args(["probe", "--help"]).assert().success();
}

#[test]
fn broken_pipe_exits_0() {
    // The reader goes away before the report is written (the scenario greets after 700 ms).
    let mut child = std::process::Command::new(BIN)
        .args(["demo", "greeting-slow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let plain = smtpdoctor().args(["demo", "clean"]).output().unwrap();
    assert!(!plain.stdout.contains(&0x1b), "not a terminal: no color");
    let colored = smtpdoctor()
        .args(["demo", "clean", "--color", "always"])
        .output()
        .unwrap();
    assert!(colored.stdout.contains(&0x1b));
    let no_color = smtpdoctor()
        .env("NO_COLOR", "1")
        .args(["demo", "clean", "--color", "auto"])
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b));
}

#[test]
fn quiet_has_no_transcript_and_verbose_shows_every_read() {
    let quiet = smtpdoctor().args(["demo", "pix", "-q"]).output().unwrap();
    let q = String::from_utf8(quiet.stdout).unwrap();
    assert!(!q.contains(">>") && q.contains("pix-banner") && q.contains("Verdict:"));
    let verbose = smtpdoctor().args(["demo", "clean", "-v"]).output().unwrap();
    let v = String::from_utf8(verbose.stdout).unwrap();
    assert!(v.contains("[read #1@"), "{v}");
    assert_eq!(verbose.status.code(), Some(0));
}

#[test]
fn explain_knows_ids_and_log_lines() {
    let out = smtpdoctor()
        .args(["explain", "reply-zero-length"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("reply-zero-length"));
    assert!(text.contains("smtpdoctor demo zero-length"), "{text}");
    let out = smtpdoctor()
        .args([
            "explain",
            "--json",
            "12-JUN-2024 10:11:12.13 Recorded error -- Zero length SMTP status line",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "known");
    let out = smtpdoctor()
        .args([
            "explain",
            "Nov 22 10:00:00 host sshd[1]: Accepted publickey",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "unknown text");
}

#[test]
fn demo_list_names_every_scenario() {
    let out = smtpdoctor().args(["demo", "--list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for s in smtpdoctor::server::scenarios() {
        assert!(text.contains(s.name), "{} missing", s.name);
    }
    // One column: every summary starts where the others do, however long the name.
    let starts: std::collections::BTreeSet<usize> = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim_start().contains(' '))
        .map(|l| {
            2 + l[2..].find(' ').unwrap()
                + l[2..]
                    .chars()
                    .skip_while(|c| *c != ' ')
                    .take_while(|c| *c == ' ')
                    .count()
        })
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "names and summaries are not aligned: {starts:?}\n{text}"
    );
    let out = smtpdoctor()
        .args(["demo", "no-such\u{1b}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no scenario \"no-such\\x1b\""),
        "escaped once: {err}"
    );
}

#[test]
fn several_targets_give_json_lines_and_the_worst_exit_code() {
    let clean = Mock::named("clean");
    let refused = smtpdoctor::server::refused_addr();
    // Two IP targets on the clean server's port: one JSON document per line.
    let out = smtpdoctor()
        .args([
            "probe",
            "127.0.0.1",
            "[127.0.0.1]",
            "--port",
            &clean.addr.port().to_string(),
        ])
        .args([
            "--to",
            "postmaster@demo.test",
            "--starttls",
            "never",
            "--json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1]["target"], "[127.0.0.1]");
    assert_eq!(out.status.code(), Some(0));
    let out = smtpdoctor()
        .args([
            "probe",
            "127.0.0.1",
            "[127.0.0.1]",
            "127.0.0.1.",
            "--port",
            &refused.port().to_string(),
            "--json",
        ])
        .output()
        .unwrap();
    // A target listed twice (here with a trailing dot) is probed once (SPEC §10).
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    assert_eq!(out.status.code(), Some(2));
    let out = smtpdoctor()
        .args(["probe", "127.0.0.1", "bad target!", "--json"])
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "nothing is probed when a target is invalid"
    );
    assert_eq!(out.status.code(), Some(3));
}

/// Every probe option can come from an `SMTPDOCTOR_*` variable; the command line wins.
#[test]
fn probe_options_come_from_the_environment() {
    let clean = Mock::named("clean");
    let probe = |extra: &[&str]| {
        let out = smtpdoctor()
            .args([
                "probe",
                "demo.test",
                "--server",
                &clean.addr.to_string(),
                "--json",
            ])
            .args(extra)
            .env("SMTPDOCTOR_QUIT_AFTER", "greeting")
            .env("SMTPDOCTOR_STARTTLS", "never")
            .env("SMTPDOCTOR_TO", "postmaster@demo.test")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["aimed_stage"].as_str().unwrap().to_string()
    };
    assert_eq!(probe(&[]), "greeting");
    assert_eq!(probe(&["--quit-after", "ehlo"]), "ehlo");

    // A flag's variable takes the usual spellings of yes and no (`SMTPDOCTOR_NO_LIVE=1`, as
    // the README writes it), not only `true` and `false`.
    let with_data = |value: &str| {
        let out = smtpdoctor()
            .args(["probe", "demo.test", "--server", &clean.addr.to_string()])
            .args(["--json", "--to", "postmaster@demo.test"])
            .env("SMTPDOCTOR_DATA", value)
            .env("SMTPDOCTOR_NO_LIVE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_ne!(out.status.code(), Some(3), "SMTPDOCTOR_DATA={value}: {err}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["aimed_stage"].as_str().unwrap().to_string()
    };
    for yes in ["1", "yes", "true", "on"] {
        assert_eq!(with_data(yes), "data", "SMTPDOCTOR_DATA={yes}");
    }
    for no in ["0", "no", "false", "off"] {
        assert_eq!(with_data(no), "rcpt", "SMTPDOCTOR_DATA={no}");
    }
}
