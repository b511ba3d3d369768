//! Delivery security policy (SPEC §9) against real parts: a zone hierarchy signed at run time
//! with ldns-signzone and served by NSD, MTA-STS policies served by nginx over HTTPS, the lab
//! Postfix with a CA-issued certificate. Each §9 finding comes from one set-up of
//! `common::policy_lab`, and the clean set-ups give none but their `-valid` finding.

use crate::common::policy_lab::{DANE_CASES, PolicyLab, STS_CASES, in_netns};
use crate::common::{assert_report_shape, ids, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The §9 findings of a report.
fn policy_ids(doc: &Value) -> BTreeSet<String> {
    ids(doc)
        .into_iter()
        .filter(|id| {
            ["dnssec-", "dane-", "mtasts-", "tlsrpt-"]
                .iter()
                .any(|p| id.starts_with(p))
        })
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

#[test]
fn each_dane_set_up_gives_its_finding() {
    in_netns(|| {
        let lab = PolicyLab::start();
        for (domain, expected) in DANE_CASES {
            let (code, doc) = lab.probe(domain, &["--mta-sts", "off"]);
            assert_report_shape(domain, &doc, code);
            assert_eq!(policy_ids(&doc), set(expected), "{domain}: {doc:#}");
            for f in doc["findings"].as_array().unwrap() {
                if policy_ids(&doc).contains(f["id"].as_str().unwrap()) {
                    assert_eq!(f["stage"], "policy", "{domain}");
                }
            }
            assert!(doc["policy"]["mta_sts"].is_null(), "--mta-sts off");
            let dane = &doc["policy"]["dane"][0];
            let verdict = dane["verdict"].as_str().unwrap_or("");
            match *domain {
                "dane-ok.sec.test" => {
                    assert_eq!(verdict, "valid");
                    assert_eq!(dane["matched"]["data"], lab.postfix_spki.as_str());
                    assert_eq!(dane["matched"]["usage"], 3);
                    assert_eq!(dane["tlsa"].as_array().unwrap().len(), 2);
                    assert_eq!(doc["policy"]["dnssec"]["mx"], "secure");
                    assert_eq!(
                        doc["policy"]["dnssec"]["addresses"]["mx-ee.sec.test"],
                        "secure"
                    );
                    assert_eq!(doc["policy"]["dnssec"]["tlsa"]["mx-ee.sec.test"], "secure");
                    assert_eq!(doc["policy"]["tls_rpt"]["rua"][0], "mailto:tlsrpt@sec.test");
                    assert_eq!(code, 0, "a clean DANE domain is OK: {doc:#}");
                }
                "dane-ta.sec.test" => {
                    assert_eq!(verdict, "valid");
                    assert_eq!(dane["matched"]["usage"], 2);
                }
                "dane-stale.sec.test" => {
                    assert_eq!(verdict, "mismatch");
                    assert!(dane["matched"].is_null());
                    assert_eq!(code, 2);
                    assert!(
                        finding(&doc, "dane-mismatch")["detail"]
                            .as_str()
                            .unwrap()
                            .contains("Server certificate not trusted")
                    );
                }
                "dane-sf.sec.test" => {
                    assert_eq!(verdict, "lookup-failed");
                    let d = finding(&doc, "dane-tlsa-lookup-failed")["detail"]
                        .as_str()
                        .unwrap();
                    assert!(
                        d.contains("SERVFAIL"),
                        "SERVFAIL is never \"no records\": {d}"
                    );
                }
                "dane-pkix.sec.test" => assert_eq!(verdict, "unusable"),
                "dane-notls.sec.test" => assert_eq!(verdict, "no-starttls"),
                "dane-plain.sec.test" => {
                    assert_eq!(verdict, "not-applicable");
                    assert_eq!(
                        doc["policy"]["dnssec"]["addresses"]["mx.plain.test"],
                        "insecure"
                    );
                    assert!(doc["policy"]["dnssec"]["tlsa"]["mx.plain.test"].is_null());
                }
                "bogus.test" => {
                    assert_eq!(doc["policy"]["dnssec"]["mx"], "bogus");
                    assert_eq!(verdict, "lookup-failed");
                    // The probe still talked to the server (a non-validating sender would).
                    assert_eq!(doc["attempts"][0]["outcome"], "completed", "{doc:#}");
                }
                _ => {}
            }
        }
        // DS anchors work like DNSKEY anchors.
        let ds = lab.anchor_ds.display().to_string();
        let (_, doc) = lab.probe(
            "dane-ok.sec.test",
            &["--trust-anchor", &ds, "--mta-sts", "off"],
        );
        assert_eq!(policy_ids(&doc), set(&["dane-valid"]), "{doc:#}");
        // Without the lab's anchor, the root anchors cannot be validated through NSD: every
        // status is indeterminate and nothing is called bogus.
        let empty = lab.dir().join("other-anchor");
        std::fs::write(
            &empty,
            "other.test. IN DNSKEY 257 3 13 xnbO16+jcn3x+FbPdLnqAwyAfX62ux5siwssuiMRoJ2IjCkDawO4snijVPx5Tt39hkdwK9xqc5Rf0/QMEAYLmw==\n",
        )
        .unwrap();
        let other = empty.display().to_string();
        let (_, doc) = lab.probe(
            "bogus.test",
            &["--trust-anchor", &other, "--mta-sts", "off"],
        );
        assert!(policy_ids(&doc).is_empty(), "{doc:#}");
        assert_eq!(doc["policy"]["dnssec"]["mx"], "indeterminate");
        assert!(doc["notes"].to_string().contains("DNSSEC not validated"));
        // --dane off: nothing of it is evaluated.
        let (_, doc) = lab.probe(
            "dane-stale.sec.test",
            &["--dane", "off", "--mta-sts", "off"],
        );
        assert!(doc["policy"].is_null(), "{doc:#}");
        assert!(policy_ids(&doc).is_empty());
    });
}

#[test]
fn each_mta_sts_set_up_gives_its_finding() {
    in_netns(|| {
        let lab = PolicyLab::start();
        for (domain, expected, verdict) in STS_CASES {
            let started = Instant::now();
            let extra: &[&str] = if *domain == "sts-silent.sec.test" {
                &["--timeout", "2s"]
            } else {
                &[]
            };
            let (code, doc) = lab.probe(domain, extra);
            assert_report_shape(domain, &doc, code);
            assert_eq!(policy_ids(&doc), set(expected), "{domain}: {doc:#}");
            let sts = &doc["policy"]["mta_sts"];
            assert_eq!(sts["verdict"], *verdict, "{domain}: {sts:#}");
            let fetch = &sts["fetch"];
            match *domain {
                "sts-ok.sec.test" => {
                    assert_eq!(code, 0, "{doc:#}");
                    assert_eq!(sts["id"], "20261201T000000");
                    assert_eq!(sts["policy"]["mode"], "enforce");
                    assert_eq!(sts["policy"]["mx"][0], "mx-sts.sec.test");
                    assert_eq!(sts["policy"]["max_age"], 604800);
                    assert_eq!(fetch["status"], 200);
                    assert_eq!(
                        fetch["url"],
                        "https://mta-sts.sts-ok.sec.test/.well-known/mta-sts.txt"
                    );
                    assert!(fetch["error"].is_null());
                }
                "sts-miss.sec.test" => {
                    assert_eq!(finding(&doc, "mtasts-mx-mismatch")["severity"], "error");
                    assert_eq!(code, 2);
                }
                "sts-testmiss.sec.test" => {
                    assert_eq!(finding(&doc, "mtasts-mx-mismatch")["severity"], "warning");
                    assert_eq!(code, 1);
                }
                "sts-cert.sec.test" => {
                    let f = finding(&doc, "mtasts-cert-invalid");
                    assert_eq!(f["severity"], "error");
                    assert_eq!(f["attempt"], 0);
                }
                "sts-redirect.sec.test" => {
                    assert_eq!(fetch["status"], 301);
                    assert!(fetch["error"].as_str().unwrap().contains("redirect"));
                }
                "sts-404.sec.test" => assert_eq!(fetch["status"], 404),
                "sts-big.sec.test" => {
                    assert!(
                        fetch["error"].as_str().unwrap().contains("64 KiB"),
                        "{fetch:#}"
                    )
                }
                "sts-silent.sec.test" => {
                    assert!(fetch["status"].is_null());
                    assert!(
                        started.elapsed() < Duration::from_secs(15),
                        "a silent policy host costs the fetch wait, not more: {:?}",
                        started.elapsed()
                    );
                }
                "sts-bad.sec.test" => assert!(sts["policy"].is_null()),
                "rpt-bad.sec.test" => assert!(sts["record"].is_null()),
                _ => {}
            }
        }
        // Without --ca-file the policy host's certificate is not trusted.
        let port = lab.postfix.port.to_string();
        let anchor = lab.anchor_dnskey.display().to_string();
        let (_, doc) = run_json(smtpdoctor().args([
            "probe",
            "sts-ok.sec.test",
            "--resolver",
            "127.0.0.1",
            "--port",
            &port,
            "-4",
            "--trust-anchor",
            &anchor,
            "--json",
            "--to",
            "postmaster@lab.test",
        ]));
        let err = doc["policy"]["mta_sts"]["fetch"]["error"]
            .as_str()
            .unwrap_or("");
        assert!(err.contains("TLS"), "{err}");
        // The text report: the DNS section, the verdicts after the TLS details, the summary.
        let out = smtpdoctor()
            .args([
                "probe",
                "sts-miss.sec.test",
                "--resolver",
                "127.0.0.1",
                "--port",
                &port,
            ])
            .args([
                "-4",
                "--trust-anchor",
                &anchor,
                "--to",
                "postmaster@lab.test",
                "--ca-file",
            ])
            .arg(&lab.ca_file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for needle in [
            "mta-sts  _mta-sts TXT",
            "mode enforce, mx mx-other.sec.test",
            "mta-sts: enforce: matches no mx pattern",
            "MTA-STS senders (enforce) will not deliver: mx-sts.sec.test matches no mx pattern",
            "dnssec   mx-sts.sec.test A secure",
            "dane: DANE senders use opportunistic TLS with mx-sts.sec.test: no TLSA records",
        ] {
            assert!(text.contains(needle), "{needle:?} not in:\n{text}");
        }
    });
}

#[test]
fn an_unreadable_trust_anchor_is_a_usage_error() {
    let out = smtpdoctor()
        .args([
            "probe",
            "example.test",
            "--trust-anchor",
            "/nonexistent/anchor",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trust-anchor"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("a");
    std::fs::write(&bad, "example.test. IN A 127.0.0.1\n").unwrap();
    let out = smtpdoctor()
        .args(["probe", "example.test", "--trust-anchor"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn nothing_of_the_policy_runs_for_server() {
    let mock = crate::common::Mock::named("clean");
    let (code, doc) = run_json(smtpdoctor().args([
        "probe",
        "example.test",
        "--server",
        &mock.addr.to_string(),
        "--json",
    ]));
    assert_report_shape("--server", &doc, code);
    assert!(doc["policy"].is_null());
    assert!(policy_ids(&doc).is_empty());
}

/// A silent resolver: the anchor probe gives up (then the lookups do) within the waits, and
/// the probe is not held up for longer than those two waits.
#[test]
fn a_silent_resolver_costs_the_policy_lookups_no_more_than_the_dns_waits() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let resolver = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let (code, doc) = run_json(smtpdoctor().args([
        "probe",
        "example.test",
        "--resolver",
        &resolver,
        "--timeout",
        "1s",
        "--json",
    ]));
    let took = started.elapsed();
    assert_eq!(code, 2);
    assert!(took < Duration::from_millis(3500), "{took:?}");
    assert_eq!(doc["policy"]["dnssec"]["mx"], "indeterminate", "{doc:#}");
    assert!(doc["notes"].to_string().contains("DNSSEC not validated"));
    assert!(policy_ids(&doc).is_empty());
}

#[test]
fn a_run_of_many_signed_domains_checks_the_trust_anchor_once() {
    in_netns(|| {
        let lab = PolicyLab::start();
        // The domains of one signed zone, sec.test: its chain up to the anchor is the same.
        let cases: Vec<_> = DANE_CASES
            .iter()
            .filter(|(d, _)| d.ends_with(".sec.test") && *d != "dane-plain.sec.test")
            .collect();
        // The probes' resolvers ask through a relay that writes down their questions.
        let asked = crate::common::policy_lab::relay("127.0.0.1:5300".parse().unwrap());
        let port = lab.postfix.port.to_string();
        let anchor = lab.anchor_dnskey.display().to_string();
        let ca = lab.ca_file.display().to_string();
        let mut cmd = smtpdoctor();
        cmd.args(["probe", "--resolver", "127.0.0.1:5300", "--port", &port])
            .args(["--trust-anchor", &anchor, "--ca-file", &ca, "-4", "--json"])
            .args(["--to", "postmaster@lab.test", "--mta-sts", "off", "-j", "3"])
            .args(cases.iter().map(|(d, _)| *d))
            .timeout(Duration::from_secs(120));
        let out = cmd.output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let docs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(docs.len(), cases.len(), "{text}");
        // Each target is judged in the run as it is alone.
        for doc in &docs {
            let target = doc["target"].as_str().unwrap();
            let (_, expected) = cases.iter().find(|(d, _)| *d == target).unwrap();
            assert_eq!(policy_ids(doc), set(expected), "{target}: {doc:#}");
        }
        let asked = asked.lock().unwrap();
        let anchor_keys = asked
            .iter()
            .filter(|(name, t)| name == "test." && *t == 48)
            .count();
        // The anchor check (once per run), and the validator's fetch of the same keys for
        // the DS of sec.test (from the run's cache after that): not once per target.
        assert!(
            (1..=2).contains(&anchor_keys),
            "{anchor_keys} DNSKEY queries for test. in a run of {} domains of sec.test: {asked:?}",
            cases.len()
        );
        // The zone's own key set signs every answer of every target: hickory's validator
        // asks for it per RRset it checks, the memo below it once per run.
        let zone_keys = asked
            .iter()
            .filter(|(name, t)| name == "sec.test." && *t == 48)
            .count();
        assert!(
            (1..=2).contains(&zone_keys),
            "{zone_keys} DNSKEY queries for sec.test. in a run of {} domains: {asked:?}",
            cases.len()
        );
        let ds = asked
            .iter()
            .filter(|(name, t)| name == "sec.test." && *t == 43)
            .count();
        assert!(
            (1..=2).contains(&ds),
            "{ds} DS queries for sec.test.: the chain of the shared zone is fetched once per run"
        );
    });
}

/// Every DANE and MTA-STS set-up, probed in-process: `probe --json | report` prints the policy
/// lines (DNS section, after the TLS details, summary) as the run printed them, in every text
/// detail and as a Nagios line, and the document is valid against the schema.
#[test]
fn every_policy_set_up_reports_as_it_printed() {
    in_netns(|| {
        let lab = PolicyLab::start();
        let port = lab.postfix.port.to_string();
        let anchor = lab.anchor_dnskey.display().to_string();
        let ca = lab.ca_file.display().to_string();
        let domains = DANE_CASES
            .iter()
            .map(|(d, _)| *d)
            .chain(STS_CASES.iter().map(|(d, _, _)| *d))
            .filter(|d| *d != "sts-silent.sec.test");
        let mut failures = Vec::new();
        let mut policy_lines = 0;
        for domain in domains {
            let argv = [
                "smtpdoctor",
                "probe",
                domain,
                "--resolver",
                "127.0.0.1",
                "--port",
                &port,
                "--trust-anchor",
                &anchor,
                "--ca-file",
                &ca,
                "-4",
                "--to",
                "postmaster@lab.test",
            ];
            let report = crate::common::probe_in_process(&argv);
            assert!(report.policy.is_some(), "{domain}: evaluated");
            let mut text = Vec::new();
            let cfg = smtpdoctor::config::OutputConfig {
                format: smtpdoctor::config::Format::Text,
                color: smtpdoctor::config::ColorChoice::Never,
                detail: smtpdoctor::config::Detail::Normal,
            };
            smtpdoctor::output::print(&report, &cfg, false, &mut text).unwrap();
            let text = String::from_utf8(text).unwrap();
            // What the round trip is about: the policy lines are there to be reprinted.
            assert!(
                text.contains("  dnssec ") || text.contains("  mta-sts "),
                "{text}"
            );
            policy_lines += text
                .lines()
                .filter(|l| l.trim_start().starts_with("dane:") || l.contains(" mta-sts "))
                .count();
            failures.extend(crate::report::probe_round_trip(domain, &report));
        }
        assert!(policy_lines > 0);
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    });
}
