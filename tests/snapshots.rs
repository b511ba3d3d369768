//! Snapshot tests of the text and JSON reports for a few scenarios, timings and ports redacted.
//! Review changes with `cargo insta review` (or accept with `INSTA_UPDATE=always`).

use crate::common::{Mock, smtpdoctor};
use serde_json::Value;

fn run(scenario: &str, args: &[&str]) -> String {
    let mock = Mock::named(scenario);
    let out = smtpdoctor()
        .args([
            "probe",
            "demo.test",
            "--server",
            &mock.addr.to_string(),
            "--helo",
            "probe.test",
            "--color",
            "never",
            "--starttls",
            "never",
        ])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Replaces every number that is a time (`12.3ms`, `4.5 ms`, `1.2 s`, `0.000123s`) with `[t]`
/// and every loopback port with `[port]`.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if text[i..].starts_with("127.0.0.1:") || text[i..].starts_with("]:") {
            let prefix = if text[i..].starts_with("]:") {
                "]:"
            } else {
                "127.0.0.1:"
            };
            out.push_str(prefix);
            out.push_str("[port]");
            i += prefix.len();
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            continue;
        }
        // Read numbers and sizes (`#6@`, `/29B`) depend on how replies fell into reads.
        if (b[i] == b'#' || b[i] == b'/') && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            out.push(b[i] as char);
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if text[i..].starts_with('@') || text[i..].starts_with('B') {
                out.push_str("[n]");
            } else {
                out.push_str(&text[start..i]);
            }
            continue;
        }
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let rest = &text[i..];
            let unit = ["ms", " ms", "s ", "s)", "s,", " s", "s\n"]
                .iter()
                .find(|u| rest.starts_with(**u))
                .copied()
                .or((rest == "s").then_some("s"));
            if let Some(u) = unit {
                out.push_str("[t]");
                out.push_str(u);
                i += u.len();
            } else {
                out.push_str(&text[start..i]);
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    // Times are right-aligned, so their padding depends on how many digits they had.
    out.lines()
        .map(|l| l.trim_start())
        .collect::<Vec<_>>()
        .join("\n")
}

fn redact_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                match k.as_str() {
                    "at_ms" | "duration_ms" | "started_at" => *val = Value::String("[t]".into()),
                    // How replies that were written close together fall into reads varies.
                    "n" | "len" => *val = Value::String("[n]".into()),
                    "port" => *val = Value::String("[port]".into()),
                    _ => redact_json(val),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        Value::String(s) => *s = redact(s),
        _ => {}
    }
}

#[test]
fn text_fragmented_greeting_verbose() {
    insta::assert_snapshot!(redact(&run("greeting-fragmented", &["-v"])));
}

#[test]
fn text_pix_fixup() {
    insta::assert_snapshot!(redact(&run("pix", &[])));
}

#[test]
fn text_zero_length_quiet() {
    insta::assert_snapshot!(redact(&run("zero-length", &["-q"])));
}

#[test]
fn json_bare_cr() {
    let mut v: Value = serde_json::from_str(&run("bare-cr", &["--json"])).unwrap();
    redact_json(&mut v);
    insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
}

#[test]
fn nagios_line() {
    insta::assert_snapshot!(redact(&run("greeting-multiline", &["--format", "nagios"])));
}
