//! Findings that need a particular DNS server or network: reverse DNS missing or not confirmed
//! (real dnsmasq with purpose-made zones), a resolver that does not answer, and an unreachable
//! network (a network namespace of this test's own, where even loopback is down).

use crate::common::lab::free_port;
use crate::common::{BIN, ids, parse_json, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;

fn run(args: &[&str]) -> (i32, Value) {
    run_json(
        smtpdoctor()
            .args(args)
            .arg("--json")
            .timeout(std::time::Duration::from_secs(60)),
    )
}

/// Runs a script in a new network namespace (`unshare -n`) of this test's own: loopback up and
/// a private address 10.9.9.9 on it. Returns the script's stdout.
fn in_namespace(script: &str) -> (i32, String, String) {
    let out = std::process::Command::new("unshare")
        .args(["-n", "bash", "-euo", "pipefail", "-c", script])
        .output()
        .expect("unshare (util-linux) must be installed");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reverse_dns_missing_and_not_confirmed() {
    // The resolver answers reverse lookups of 127/8 itself ("localhost"), so this runs on an
    // address of its own: dnsmasq, the scripted SMTP server and the probe share a private
    // network namespace with 10.9.9.9 on its loopback interface.
    for (ptr, want) in [
        (None, "ptr-missing"),
        (Some("elsewhere.ptr.test"), "ptr-mismatch"),
        (Some("mx.ptr.test"), ""),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut zone =
            "local=/ptr.test/\nlocal=/10.in-addr.arpa/\nmx-host=ptr.test,mx.ptr.test,10\n\
                        address=/mx.ptr.test/10.9.9.9\n"
                .to_string();
        if let Some(name) = ptr {
            zone.push_str(&format!("ptr-record=9.9.9.10.in-addr.arpa,{name}\n"));
        }
        let conf = dir.path().join("zone.conf");
        std::fs::write(&conf, zone).unwrap();
        let script = format!(
            r#"
            ip link set lo up
            ip addr add 10.9.9.9/32 dev lo
            dnsmasq --no-resolv --no-hosts --port 5353 --listen-address=10.9.9.9 --bind-interfaces \
                --conf-file={conf} --pid-file={dir}/dns.pid
            {bin} mock --listen 10.9.9.9:2525 --scenario clean >/dev/null 2>&1 &
            mock=$!
            for _ in $(seq 50); do (exec 3<>/dev/tcp/10.9.9.9/2525) 2>/dev/null && break; sleep 0.1; done
            {bin} probe ptr.test --resolver 10.9.9.9:5353 --port 2525 --starttls never \
                --to postmaster@demo.test --json || true
            kill $mock "$(cat {dir}/dns.pid)"
            "#,
            conf = conf.display(),
            dir = dir.path().display(),
            bin = BIN,
        );
        let (code, out, err) = in_namespace(&script);
        assert_eq!(
            code, 0,
            "namespace script failed (root is needed to create one): {err}"
        );
        let doc = parse_json("probe in the namespace", out.as_bytes(), err.as_bytes());
        let expected: BTreeSet<String> = [want]
            .iter()
            .filter(|w| !w.is_empty())
            .map(|w| w.to_string())
            .collect();
        assert_eq!(
            ids(&doc),
            expected,
            "PTR {ptr:?}: {:#}",
            doc["attempts"][0]["ptr"]
        );
        assert_eq!(doc["attempts"][0]["outcome"], "completed");
        assert_eq!(doc["attempts"][0]["address"], "10.9.9.9");
    }
}

#[test]
fn a_resolver_that_does_not_answer_is_a_failed_lookup() {
    // Nothing listens on this UDP/TCP port: queries time out or are refused.
    let port = free_port();
    let started = std::time::Instant::now();
    let (code, doc) = run(&[
        "probe",
        "example.test",
        "--resolver",
        &format!("127.0.0.1:{port}"),
        "--timeout",
        "2s",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(ids(&doc), BTreeSet::from(["mx-lookup-failed".to_string()]));
    assert_eq!(code, 2);
    assert!(doc["dns"]["error"]["message"].is_string());
}

#[test]
fn unreachable_network_in_a_namespace_of_our_own() {
    // `unshare -n` gives the probe a new network namespace whose loopback is down: connecting
    // to 127.0.0.1 there fails with "Network is unreachable". Nothing leaves the machine.
    let out = std::process::Command::new("unshare")
        .arg("-n")
        .arg(BIN)
        .args(["probe", "127.0.0.1", "--json", "--timeout", "2s"])
        .output()
        .expect("unshare (util-linux) must be installed");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("unshare failed"),
        "this test needs permission to create a network namespace (root in CI): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = parse_json("unshare -n smtpdoctor probe", &out.stdout, &out.stderr);
    assert_eq!(
        ids(&doc),
        BTreeSet::from(["connect-unreachable".to_string()])
    );
    assert_eq!(out.status.code(), Some(2));
}
