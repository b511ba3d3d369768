//! Helpers shared by the test modules: the binary and its JSON report, the checks every report
//! must pass, the in-process servers (built-in mock scenarios on a shared runtime), and the test
//! lab ([`lab`]: a private Postfix and DNS server).

pub mod exim_lab;
pub mod lab;
pub mod policy_lab;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;
use smtpdoctor::server::Scenario;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// The binary and its report

/// The `smtpdoctor` binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_smtpdoctor");

/// A command running the binary.
pub fn smtpdoctor() -> assert_cmd::Command {
    assert_cmd::Command::new(BIN)
}

/// Runs `cmd` (which asks for `--json`) and returns its exit code (-1 when a signal ended it) and
/// the report it printed.
pub fn run_json(cmd: &mut assert_cmd::Command) -> (i32, Value) {
    let out = cmd.output().unwrap();
    let doc = parse_json(&format!("{cmd:?}"), &out.stdout, &out.stderr);
    (out.status.code().unwrap_or(-1), doc)
}

/// The JSON document `what` printed on `stdout`; a panic quoting both streams when it is none.
pub fn parse_json(what: &str, stdout: &[u8], stderr: &[u8]) -> Value {
    serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: invalid JSON ({e}): {}\nstderr: {}",
            head(stdout),
            head(stderr)
        )
    })
}

/// The start of `bytes` as text, for a panic message (a hostile server can make them huge).
fn head(bytes: &[u8]) -> String {
    const MAX: usize = 16 * 1024;
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]).into_owned();
    if bytes.len() > MAX {
        text.push_str(&format!("... ({} more bytes)", bytes.len() - MAX));
    }
    text
}

/// The `id` of every finding, in report order (repeats included).
pub fn finding_ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

/// The ids of the findings, as a set.
pub fn ids(doc: &Value) -> BTreeSet<String> {
    finding_ids(doc).into_iter().collect()
}

/// The first finding with this id.
pub fn finding<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
}

/// Every active test (`--test NAME`), in the order of the README's table.
pub const ACTIVE_TESTS: [&str; 7] = [
    "pregreet",
    "pipelining",
    "starttls-injection",
    "smuggling",
    "bare-lf",
    "unknown-command",
    "relay",
];

/// SPEC §5 shape checks that hold on every outcome; `name` says which run failed them.
pub fn assert_report_shape(name: &str, doc: &Value, code: i32) {
    assert_eq!(doc["schema"], "smtpdoctor.report/v1", "{name}");
    assert_eq!(doc["tool"]["name"], "smtpdoctor", "{name}");
    for field in [
        "target",
        "started_at",
        "duration_ms",
        "verdict",
        "exit_code",
        "attempts",
        "findings",
    ] {
        assert!(!doc[field].is_null(), "{name}: missing {field}");
    }
    assert_eq!(
        doc["exit_code"].as_i64(),
        Some(i64::from(code)),
        "{name}: exit code follows the report"
    );
    let verdict = doc["verdict"].as_str().expect("verdict");
    assert_eq!(
        code,
        match verdict {
            "ok" => 0,
            "warning" => 1,
            _ => 2,
        },
        "{name}: exit code follows the verdict {verdict:?}"
    );
    for a in doc["attempts"].as_array().expect("attempts") {
        assert!(a["limits"].is_object(), "{name}: attempts[].limits");
        assert_stages_add_up(name, a);
        for e in a["transcript"].as_array().expect("transcript") {
            assert!(e["at_ms"].is_number(), "{name}");
            assert!(
                ["client", "server", "local"].contains(&e["dir"].as_str().expect("dir")),
                "{name}: {e}"
            );
            assert!(e["raw"].is_string(), "{name}");
            assert!(e["text"].is_string(), "{name}");
            if e["dir"] == "server" {
                assert!(!e["reads"].as_array().expect("reads").is_empty(), "{name}");
            }
        }
    }
    for f in doc["findings"].as_array().expect("findings") {
        for field in [
            "id",
            "severity",
            "stage",
            "summary",
            "detail",
            "reference",
            "fix",
        ] {
            assert!(f[field].is_string(), "{name}: finding field {field}: {f}");
        }
        assert!(
            f.get("transcript_index").is_some(),
            "{name}: transcript_index: {f}"
        );
        if let Some(i) = f["transcript_index"].as_u64() {
            let a = f["attempt"].as_u64().expect("attempt") as usize;
            let len = doc["attempts"][a]["transcript"]
                .as_array()
                .expect("transcript")
                .len();
            assert!((i as usize) < len, "{name}: transcript_index in range");
        }
    }
}

/// SPEC §5 `stages` of one attempt: known names, the probe's own steps each once (the EHLO
/// inside TLS is a second `ehlo`), durations that add up to no more than the attempt's.
pub fn assert_stages_add_up(name: &str, a: &Value) {
    const NAMES: [&str; 14] = [
        "connect", "greeting", "ehlo", "helo", "starttls", "tls", "mail", "rcpt", "data", "dot",
        "rset", "quit", "dns", "policy",
    ];
    let stages = a["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["stage"].as_str().expect("stage name"))
        .collect();
    for n in &names {
        assert!(
            NAMES.contains(n) || n.starts_with("test:"),
            "{name}: unknown stage {n}"
        );
    }
    if a["test"].is_null() {
        for n in &names {
            let times = names.iter().filter(|m| *m == n).count();
            let allowed = if *n == "ehlo" { 2 } else { 1 };
            assert!(
                times <= allowed,
                "{name}: stage {n} {times} times: {names:?}"
            );
        }
    }
    let sum: f64 = stages
        .iter()
        .map(|s| s["duration_ms"].as_f64().expect("duration_ms"))
        .sum();
    let total = a["duration_ms"].as_f64().expect("attempt duration_ms");
    // Each duration is rounded to a microsecond.
    assert!(
        sum <= total + 0.001 * stages.len() as f64,
        "{name}: stages add up to {sum} ms, more than the attempt's {total} ms: {stages:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// In-process servers

/// The runtime of every in-process server (mock scenarios, hostile servers), shared by the tests.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// A built-in scenario served on 127.0.0.1 until this is dropped.
pub struct Mock {
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Mock {
    /// Serves `scenario` on a free port.
    pub fn start(scenario: &'static Scenario) -> Mock {
        let (addr, task) = rt()
            .block_on(smtpdoctor::server::spawn(scenario))
            .unwrap_or_else(|e| panic!("cannot serve {}: {e}", scenario.name));
        Mock { addr, task }
    }

    /// Serves the built-in scenario called `name`.
    pub fn named(name: &str) -> Mock {
        Mock::start(smtpdoctor::server::find(name).unwrap_or_else(|| panic!("no scenario {name}")))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The demo CA certificate (the mock's trust anchor) in a file of its own, for `--ca-file`;
/// removed on drop.
pub struct DemoCa {
    dir: TempDir,
}

impl DemoCa {
    pub fn create() -> DemoCa {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("demo-ca.pem"),
            smtpdoctor::server::demo_certificate_pem(),
        )
        .unwrap();
        DemoCa { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("demo-ca.pem")
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas

/// Validates `doc` against the committed schema of its kind (`schema/`, by its `schema` field);
/// the errors, when any.
pub fn schema_errors(doc: &Value) -> Vec<String> {
    static VALIDATORS: OnceLock<(jsonschema::Validator, jsonschema::Validator)> = OnceLock::new();
    let (report, client) = VALIDATORS.get_or_init(|| {
        let load = |name: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schema")
                .join(name);
            let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        (
            load("smtpdoctor.report.v1.schema.json"),
            load("smtpdoctor.client-report.v1.schema.json"),
        )
    });
    let validator = match doc["schema"].as_str() {
        Some("smtpdoctor.report/v1") => report,
        Some("smtpdoctor.client-report/v1") => client,
        other => return vec![format!("no schema for {other:?}")],
    };
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Fails unless `doc` is valid against its committed schema.
pub fn assert_schema_valid(what: &str, doc: &Value) {
    let errors = schema_errors(doc);
    assert!(
        errors.is_empty(),
        "{what}: not valid against its schema:\n{}",
        errors.join("\n")
    );
}

/// Runs `smtpdoctor probe …` (`argv` from `smtpdoctor`) in this process, on a runtime of this
/// thread (so that a test's network namespace, which is per thread, holds), and returns its
/// report.
pub fn probe_in_process(argv: &[&str]) -> smtpdoctor::report::Report {
    use clap::Parser;
    let cli = smtpdoctor::cli::Cli::try_parse_from(argv).unwrap();
    let smtpdoctor::cli::Command::Probe(args) = cli.command else {
        panic!("not a probe: {argv:?}")
    };
    let opts = smtpdoctor::config::ProbeConfig::from(&args.options);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(smtpdoctor::probe::run(
            &args.target[0],
            args.server.as_deref(),
            &opts,
            false,
        ))
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}
