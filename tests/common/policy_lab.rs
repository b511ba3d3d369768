//! The policy lab (SPEC §9): a DNSSEC-signed hierarchy served by NSD, an HTTPS server (nginx)
//! serving MTA-STS policies, the lab Postfix with a certificate from a test CA, and a scripted
//! server without STARTTLS, all inside a network namespace of the test's own (so that DNS and
//! HTTPS use their real ports 53 and 443 on loopback).
//!
//! Zones, signed at start with ldns-signzone (one ECDSA key per zone):
//! - `test.` is the trust anchor ([`PolicyLab::anchor_dnskey`], [`PolicyLab::anchor_ds`]);
//! - `sec.test.` is signed and delegated securely: the mail domains of the DANE and MTA-STS
//!   cases ([`DANE_CASES`], [`STS_CASES`]);
//! - `bogus.test.` is signed with signatures that expired in 2020 (DS at the parent);
//! - `plain.test.` is delegated without DS (insecure);
//! - `_tcp.mx-sf.sec.test.` is configured in NSD without a zone file: SERVFAIL.

use super::lab::Postfix;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// DANE cases: (mail domain, §9 findings a probe of it gives).
pub const DANE_CASES: &[(&str, &[&str])] = &[
    ("dane-ok.sec.test", &["dane-valid"]),
    (
        "dane-single.sec.test",
        &["dane-single-record", "dane-valid", "tlsrpt-absent"],
    ),
    ("dane-stale.sec.test", &["dane-mismatch"]),
    ("dane-ta.sec.test", &["dane-valid"]),
    ("dane-pkix.sec.test", &["dane-tlsa-unusable"]),
    ("dane-sf.sec.test", &["dane-tlsa-lookup-failed"]),
    ("dane-notls.sec.test", &["dane-starttls-absent"]),
    ("dane-plain.sec.test", &["dnssec-insecure"]),
    ("bogus.test", &["dane-tlsa-lookup-failed", "dnssec-bogus"]),
];

/// MTA-STS cases: (mail domain, §9 findings, MTA-STS verdict).
pub const STS_CASES: &[(&str, &[&str], &str)] = &[
    ("sts-ok.sec.test", &["mtasts-valid"], "valid"),
    ("sts-wild.sec.test", &["mtasts-valid"], "valid"),
    ("sts-miss.sec.test", &["mtasts-mx-mismatch"], "mx-mismatch"),
    (
        "sts-testing.sec.test",
        &["mtasts-max-age-short", "mtasts-testing", "mtasts-valid"],
        "valid",
    ),
    (
        "sts-testmiss.sec.test",
        &["mtasts-mx-mismatch", "mtasts-testing"],
        "mx-mismatch",
    ),
    (
        "sts-cert.sec.test",
        &["mtasts-cert-invalid"],
        "cert-invalid",
    ),
    ("sts-bad.sec.test", &["mtasts-policy-invalid"], "invalid"),
    (
        "sts-redirect.sec.test",
        &["mtasts-policy-unavailable"],
        "unavailable",
    ),
    (
        "sts-404.sec.test",
        &["mtasts-policy-unavailable"],
        "unavailable",
    ),
    (
        "sts-big.sec.test",
        &["mtasts-policy-unavailable"],
        "unavailable",
    ),
    (
        "sts-silent.sec.test",
        &["mtasts-policy-unavailable"],
        "unavailable",
    ),
    ("sts-rec.sec.test", &["mtasts-record-invalid"], "invalid"),
    ("rpt-bad.sec.test", &["tlsrpt-invalid"], "not-published"),
];

/// Runs `f` on a thread of its own inside a new network namespace whose loopback is up;
/// every process it starts lives there too.
pub fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        // SAFETY: unshare only changes this thread's network namespace.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            rc,
            0,
            "unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        );
        run(Command::new("ip").args(["link", "set", "lo", "up"]));
        f()
    })
    .join()
    .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn require(command: &str, package: &str) {
    let found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(command).is_file());
    assert!(
        found,
        "`{command}` not found: the policy lab needs the Debian package {package} (.ci/run installs it)"
    );
}

/// A child process killed when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A certificate made with rcgen: PEM, DER.
struct Made {
    pem: String,
    der: Vec<u8>,
    key_pem: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn spki_sha256(der: &[u8]) -> String {
    use x509_parser::prelude::*;
    let (_, c) = X509Certificate::from_der(der).expect("parse certificate");
    hex(ring::digest::digest(&ring::digest::SHA256, c.tbs_certificate.subject_pki.raw).as_ref())
}

fn sha(alg: &'static ring::digest::Algorithm, der: &[u8]) -> String {
    hex(ring::digest::digest(alg, der).as_ref())
}

/// The running lab.
pub struct PolicyLab {
    /// The lab Postfix (127.0.0.1:port), presenting a leaf for `*.sec.test` and the CA.
    pub postfix: Postfix,
    /// The test CA (PEM): `--ca-file`.
    pub ca_file: PathBuf,
    /// The DNSKEY of `test.` in zone-file form: `--trust-anchor`.
    pub anchor_dnskey: PathBuf,
    /// The DS of `test.` in zone-file form: `--trust-anchor`.
    pub anchor_ds: PathBuf,
    /// The SPKI SHA-256 of the Postfix key (a `3 1 1` record's data).
    pub postfix_spki: String,
    _silent: TcpListener,
    _daemons: Vec<Daemon>,
    dir: tempfile::TempDir,
}

impl PolicyLab {
    /// Starts everything; call inside [`in_netns`].
    pub fn start() -> PolicyLab {
        for (c, p) in [
            ("nsd", "nsd"),
            ("ldns-signzone", "ldnsutils"),
            ("ldns-keygen", "ldnsutils"),
            ("nginx", "nginx-light"),
        ] {
            require(c, p);
        }
        let dir = tempfile::Builder::new()
            .prefix("smtpdoctor-policy-")
            .tempdir()
            .expect("temporary directory");
        let d = dir.path().to_path_buf();
        let pki = Pki::make();
        std::fs::write(d.join("ca.pem"), &pki.ca.pem).unwrap();
        std::fs::write(
            d.join("pf-chain.pem"),
            format!("{}{}", pki.postfix.pem, pki.ca.pem),
        )
        .unwrap();
        std::fs::write(d.join("pf-key.pem"), &pki.postfix.key_pem).unwrap();
        std::fs::write(
            d.join("web-chain.pem"),
            format!("{}{}", pki.web.pem, pki.ca.pem),
        )
        .unwrap();
        std::fs::write(d.join("web-key.pem"), &pki.web.key_pem).unwrap();

        let postfix = Postfix::start();
        postfix.reconfigure(
            &[
                &format!("smtpd_tls_cert_file = {}", d.join("pf-chain.pem").display()),
                &format!("smtpd_tls_key_file = {}", d.join("pf-key.pem").display()),
            ],
            &[],
        );
        let port = postfix.port;
        let mut daemons = Vec::new();
        // The server without STARTTLS, on the same port at 127.0.0.2.
        daemons.push(Daemon(
            Command::new(super::BIN)
                .args([
                    "mock",
                    "--listen",
                    &format!("127.0.0.2:{port}"),
                    "--scenario",
                    "no-starttls",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the mock"),
        ));
        // A policy host that accepts and never answers.
        let silent = TcpListener::bind("127.0.0.3:443").expect("bind 127.0.0.3:443");

        let zones = Zones::write(&d, &pki, port);
        daemons.push(start_nsd(&d));
        daemons.push(start_nginx(&d));
        wait_for(&format!("greeting on 127.0.0.2:{port}"), || {
            std::net::TcpStream::connect(("127.0.0.2", port)).is_ok()
        });
        wait_for_tls_chain(port, "Policy Lab CA");
        PolicyLab {
            postfix,
            ca_file: d.join("ca.pem"),
            anchor_dnskey: zones.dnskey,
            anchor_ds: zones.ds,
            postfix_spki: spki_sha256(&pki.postfix.der),
            _silent: silent,
            _daemons: daemons,
            dir,
        }
    }

    /// The lab directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `smtpdoctor probe DOMAIN` against the lab, `--json`, with the given extra arguments.
    pub fn probe(&self, domain: &str, extra: &[&str]) -> (i32, serde_json::Value) {
        let port = self.postfix.port.to_string();
        let anchor = self.anchor_dnskey.display().to_string();
        let ca = self.ca_file.display().to_string();
        let mut cmd = super::smtpdoctor();
        cmd.args(["probe", domain, "--resolver", "127.0.0.1", "--port", &port])
            .args(["--trust-anchor", &anchor, "--ca-file", &ca, "-4", "--json"])
            .args(["--to", "postmaster@lab.test"])
            .args(extra)
            .timeout(Duration::from_secs(60));
        super::run_json(&mut cmd)
    }
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(
            Instant::now() < until,
            "the policy lab: no {what} after 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After `postfix reload`, wait until new smtpd processes present the CA-issued chain.
fn wait_for_tls_chain(port: u16, issuer: &str) {
    wait_for("CA-issued Postfix certificate", || {
        let out = Command::new(super::BIN)
            .args([
                "probe",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--quit-after",
                "tls",
                "--json",
            ])
            .output()
            .expect("run smtpdoctor");
        String::from_utf8_lossy(&out.stdout).contains(issuer)
    });
}

struct Pki {
    ca: Made,
    ca_spki: String,
    postfix: Made,
    next_spki: String,
    old: Made,
    web: Made,
}

impl Pki {
    fn make() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Policy Lab CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>, cn: &str| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(names).unwrap();
            p.distinguished_name.push(DnType::CommonName, cn);
            let c = p.signed_by(&key, &issuer).unwrap();
            Made {
                pem: c.pem(),
                der: c.der().to_vec(),
                key_pem: key.serialize_pem(),
            }
        };
        let postfix = leaf(vec!["*.sec.test".into()], "mx.sec.test");
        let old = leaf(vec!["*.sec.test".into()], "mx.sec.test (old)");
        let next = leaf(vec!["*.sec.test".into()], "mx.sec.test (next)");
        let web = leaf(
            STS_CASES
                .iter()
                .map(|(d, _, _)| format!("mta-sts.{d}"))
                .collect(),
            "mta-sts policy hosts",
        );
        Pki {
            ca_spki: spki_sha256(ca_cert.der()),
            ca: Made {
                pem: ca_cert.pem(),
                der: ca_cert.der().to_vec(),
                key_pem: String::new(),
            },
            next_spki: spki_sha256(&next.der),
            postfix,
            old,
            web,
        }
    }
}

struct Zones {
    dnskey: PathBuf,
    ds: PathBuf,
}

const SOA: &str = "@ IN SOA ns.test. admin.test. 1 3600 600 86400 300\n@ IN NS ns.test.\n";

impl Zones {
    fn write(d: &Path, pki: &Pki, port: u16) -> Zones {
        let keygen = |zone: &str| {
            run(Command::new("ldns-keygen").current_dir(d).args([
                "-a",
                "ECDSAP256SHA256",
                "-k",
                zone,
            ]))
            .trim()
            .to_string()
        };
        let (k_test, k_sec, k_bogus) =
            (keygen("test."), keygen("sec.test."), keygen("bogus.test."));
        let ds = |key: &str| {
            run(Command::new("ldns-key2ds").current_dir(d).args([
                "-n",
                "-2",
                &format!("{key}.key"),
            ]))
        };
        let test = format!(
            "$ORIGIN test.\n$TTL 300\n{SOA}ns IN A 127.0.0.1\n\
             sec IN NS ns.test.\n{}\nbogus IN NS ns.test.\n{}\nplain IN NS ns.test.\n",
            ds(&k_sec),
            ds(&k_bogus)
        );
        let t = |name: &str| format!("_{port}._tcp.{name}");
        let pf = &pki.postfix;
        let mut sec = format!("$ORIGIN sec.test.\n$TTL 300\n{SOA}");
        let rpt = "\"v=TLSRPTv1; rua=mailto:tlsrpt@sec.test\"";
        let mail = |sec: &mut String, domain: &str, mx: &str, tls_rpt: bool| {
            let _ = writeln!(sec, "{domain}. IN MX 10 {mx}.");
            if tls_rpt {
                let _ = writeln!(sec, "_smtp._tls.{domain}. IN TXT {rpt}");
            }
        };
        mail(&mut sec, "dane-ok.sec.test", "mx-ee.sec.test", true);
        mail(
            &mut sec,
            "dane-single.sec.test",
            "mx-single.sec.test",
            false,
        );
        mail(&mut sec, "dane-stale.sec.test", "mx-stale.sec.test", true);
        mail(&mut sec, "dane-ta.sec.test", "mx-ta.sec.test", true);
        mail(&mut sec, "dane-pkix.sec.test", "mx-pkix.sec.test", true);
        mail(&mut sec, "dane-sf.sec.test", "mx-sf.sec.test", true);
        mail(&mut sec, "dane-notls.sec.test", "mx-notls.sec.test", true);
        mail(&mut sec, "dane-plain.sec.test", "mx.plain.test", true);
        for (domain, _, _) in STS_CASES {
            let mx = match *domain {
                "sts-cert.sec.test" => "mx.deep.sec.test",
                _ => "mx-sts.sec.test",
            };
            mail(&mut sec, domain, mx, *domain != "rpt-bad.sec.test");
            let host = if *domain == "sts-silent.sec.test" {
                "127.0.0.3"
            } else {
                "127.0.0.1"
            };
            if *domain == "rpt-bad.sec.test" {
                let _ = writeln!(
                    sec,
                    "_smtp._tls.{domain}. IN TXT \"v=TLSRPTv1; rua=ftp://reports.sec.test\""
                );
                continue;
            }
            let _ = writeln!(sec, "mta-sts.{domain}. IN A {host}");
            let _ = writeln!(
                sec,
                "_mta-sts.{domain}. IN TXT \"v=STSv1; id=20261201T000000;\""
            );
            if *domain == "sts-rec.sec.test" {
                let _ = writeln!(
                    sec,
                    "_mta-sts.{domain}. IN TXT \"v=STSv1; id=20261202T000000;\""
                );
            }
        }
        for h in [
            "mx-ee",
            "mx-single",
            "mx-stale",
            "mx-ta",
            "mx-pkix",
            "mx-sf",
            "mx-sts",
            "mx.deep",
        ] {
            let _ = writeln!(sec, "{h} IN A 127.0.0.1");
        }
        let _ = writeln!(sec, "mx-notls IN A 127.0.0.2");
        let tlsa = |sec: &mut String, host: &str, records: &[(u8, u8, u8, String)]| {
            for (u, s, m, data) in records {
                let _ = writeln!(sec, "{} IN TLSA {u} {s} {m} {data}", t(host));
            }
        };
        let spki = spki_sha256(&pf.der);
        tlsa(
            &mut sec,
            "mx-ee",
            &[(3, 1, 1, spki.clone()), (3, 1, 1, pki.next_spki.clone())],
        );
        tlsa(&mut sec, "mx-single", &[(3, 1, 1, spki.clone())]);
        tlsa(
            &mut sec,
            "mx-stale",
            &[
                (3, 1, 1, spki_sha256(&pki.old.der)),
                (3, 0, 1, sha(&ring::digest::SHA256, &pki.old.der)),
            ],
        );
        tlsa(
            &mut sec,
            "mx-ta",
            &[
                (2, 1, 1, pki.ca_spki.clone()),
                (2, 0, 2, sha(&ring::digest::SHA512, &pki.ca.der)),
            ],
        );
        tlsa(
            &mut sec,
            "mx-pkix",
            &[(0, 1, 1, pki.ca_spki.clone()), (1, 1, 1, spki.clone())],
        );
        tlsa(
            &mut sec,
            "mx-notls",
            &[(3, 1, 1, spki.clone()), (3, 1, 1, pki.next_spki.clone())],
        );
        let _ = writeln!(sec, "_tcp.mx-sf IN NS ns.test.");
        let plain = format!(
            "$ORIGIN plain.test.\n$TTL 300\n{SOA}mx IN A 127.0.0.1\n_{port}._tcp.mx IN TLSA 3 1 1 {spki}\n"
        );
        let bogus = format!(
            "$ORIGIN bogus.test.\n$TTL 300\n{SOA}@ IN MX 10 mx.bogus.test.\nmx IN A 127.0.0.1\n\
             _{port}._tcp.mx IN TLSA 3 1 1 {spki}\n"
        );
        for (file, text) in [
            ("test.zone", &test),
            ("sec.zone", &sec),
            ("plain.zone", &plain),
            ("bogus.zone", &bogus),
        ] {
            std::fs::write(d.join(file), text).unwrap();
        }
        let sign = |zone: &str, key: &str, dates: &[&str]| {
            run(Command::new("ldns-signzone")
                .current_dir(d)
                .args(dates)
                .args([zone, key]));
        };
        sign("test.zone", &k_test, &[]);
        sign("sec.zone", &k_sec, &[]);
        // Signatures that expired long ago: bogus for every validator.
        sign(
            "bogus.zone",
            &k_bogus,
            &["-i", "20200101", "-e", "20200201"],
        );
        std::fs::copy(d.join(format!("{k_test}.key")), d.join("anchor.dnskey")).unwrap();
        std::fs::write(d.join("anchor.ds"), ds(&k_test)).unwrap();
        Zones {
            dnskey: d.join("anchor.dnskey"),
            ds: d.join("anchor.ds"),
        }
    }
}

fn start_nsd(d: &Path) -> Daemon {
    let dir = d.display();
    let conf = format!(
        "server:\n  ip-address: 127.0.0.1\n  port: 53\n  zonesdir: {dir}\n  pidfile: {dir}/nsd.pid\n  \
         database: \"\"\n  xfrdfile: {dir}/xfrd.state\n  zonelistfile: {dir}/zone.list\n  \
         username: \"\"\n  chroot: \"\"\n  logfile: {dir}/nsd.log\n  verbosity: 1\n\
         remote-control:\n  control-enable: no\n\
         zone:\n  name: test.\n  zonefile: test.zone.signed\n\
         zone:\n  name: sec.test.\n  zonefile: sec.zone.signed\n\
         zone:\n  name: bogus.test.\n  zonefile: bogus.zone.signed\n\
         zone:\n  name: plain.test.\n  zonefile: plain.zone\n\
         zone:\n  name: _tcp.mx-sf.sec.test.\n  zonefile: no-such-file.zone\n"
    );
    std::fs::write(d.join("nsd.conf"), conf).unwrap();
    let child = Command::new("nsd")
        .args(["-d", "-c"])
        .arg(d.join("nsd.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nsd");
    let log = d.join("nsd.log");
    wait_for("NSD start", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("nsd started"))
    });
    Daemon(child)
}

fn start_nginx(d: &Path) -> Daemon {
    let dir = d.display();
    let www = d.join("www");
    let policy = |name: &str, body: &str| {
        let p = www.join(name).join(".well-known");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("mta-sts.txt"), body).unwrap();
    };
    policy(
        "sts-ok.sec.test",
        "version: STSv1\nmode: enforce\nmx: mx-sts.sec.test\nmax_age: 604800\n",
    );
    policy(
        "sts-wild.sec.test",
        "version: STSv1\r\nmode: enforce\r\nmx: *.sec.test\r\nmax_age: 604800\r\n",
    );
    policy(
        "sts-miss.sec.test",
        "version: STSv1\nmode: enforce\nmx: mx-other.sec.test\nmx: *.other.test\nmax_age: 604800\n",
    );
    policy(
        "sts-testing.sec.test",
        "version: STSv1\nmode: testing\nmx: mx-sts.sec.test\nmax_age: 3600\n",
    );
    policy(
        "sts-testmiss.sec.test",
        "version: STSv1\nmode: testing\nmx: mx-other.sec.test\nmax_age: 604800\n",
    );
    policy(
        "sts-cert.sec.test",
        "version: STSv1\nmode: enforce\nmx: *.deep.sec.test\nmax_age: 604800\n",
    );
    policy(
        "sts-bad.sec.test",
        "version: STSv1\nmode: enforcing\nmx: mx-sts.sec.test\nmax_age: 604800\n",
    );
    policy(
        "sts-big.sec.test",
        &format!(
            "version: STSv1\nmode: enforce\nmx: mx-sts.sec.test\nmax_age: 604800\n{}",
            "# padding\n".repeat(7000)
        ),
    );
    policy(
        "sts-rec.sec.test",
        "version: STSv1\nmode: enforce\nmx: mx-sts.sec.test\nmax_age: 604800\n",
    );
    std::fs::create_dir_all(www.join("sts-404.sec.test")).unwrap();
    let mut servers = String::new();
    for (domain, _, _) in STS_CASES {
        let extra = if *domain == "sts-redirect.sec.test" {
            format!("return 301 https://www.{domain}/mta-sts.txt;")
        } else {
            String::new()
        };
        let _ = writeln!(
            servers,
            "server {{ listen 127.0.0.1:443 ssl; server_name mta-sts.{domain}; \
             ssl_certificate {dir}/web-chain.pem; ssl_certificate_key {dir}/web-key.pem; \
             root {dir}/www/{domain}; default_type text/plain; {extra} }}"
        );
    }
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {dir}/nginx.pid;\n\
         error_log {dir}/nginx-error.log;\nevents {{ worker_connections 64; }}\n\
         http {{\n access_log off;\n client_body_temp_path {dir}/tmp-body;\n \
         proxy_temp_path {dir}/tmp-proxy;\n fastcgi_temp_path {dir}/tmp-fcgi;\n \
         uwsgi_temp_path {dir}/tmp-uwsgi;\n scgi_temp_path {dir}/tmp-scgi;\n{servers}}}\n"
    );
    std::fs::write(d.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args(["-p"])
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let err = d.join("nginx-error.log");
    wait_for("nginx on 127.0.0.1:443", || {
        assert!(
            !std::fs::read_to_string(&err).is_ok_and(|l| l.contains("[emerg]")),
            "nginx: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        std::net::TcpStream::connect("127.0.0.1:443").is_ok()
    });
    Daemon(child)
}

/// The questions a [`Relay`] passed on: (name in lower case with its final dot, type code).
pub type Questions = std::sync::Arc<std::sync::Mutex<Vec<(String, u16)>>>;

/// A DNS relay on `listen` (UDP and TCP) that passes every query to NSD on 127.0.0.1:53 and
/// writes down its question: what the resolvers of a probe asked, counted at the wire (NSD
/// logs no queries). Its threads end with the test's network namespace.
pub fn relay(listen: std::net::SocketAddr) -> Questions {
    use std::io::{Read, Write};
    let questions: Questions = Default::default();
    let udp = std::net::UdpSocket::bind(listen).expect("bind the relay (UDP)");
    let tcp = TcpListener::bind(listen).expect("bind the relay (TCP)");
    let q = questions.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65535];
        while let Ok((n, from)) = udp.recv_from(&mut buf) {
            q.lock().unwrap().extend(question(&buf[..n]));
            let (msg, udp) = (buf[..n].to_vec(), udp.try_clone().unwrap());
            std::thread::spawn(move || {
                let up = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                up.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                up.send_to(&msg, "127.0.0.1:53").unwrap();
                let mut buf = [0u8; 65535];
                if let Ok(n) = up.recv(&mut buf) {
                    let _ = udp.send_to(&buf[..n], from);
                }
            });
        }
    });
    let q = questions.clone();
    std::thread::spawn(move || {
        for conn in tcp.incoming() {
            let Ok(mut conn) = conn else { continue };
            let q = q.clone();
            std::thread::spawn(move || {
                let Ok(mut up) = std::net::TcpStream::connect("127.0.0.1:53") else {
                    return;
                };
                let frame = |from: &mut std::net::TcpStream| {
                    let mut len = [0u8; 2];
                    from.read_exact(&mut len).ok()?;
                    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
                    from.read_exact(&mut msg).ok()?;
                    Some([len.to_vec(), msg].concat())
                };
                while let Some(query) = frame(&mut conn) {
                    q.lock().unwrap().extend(question(&query[2..]));
                    let Some(answer) = up.write_all(&query).ok().and_then(|_| frame(&mut up))
                    else {
                        return;
                    };
                    if conn.write_all(&answer).is_err() {
                        return;
                    }
                }
            });
        }
    });
    questions
}

/// The question of a DNS message: its name (lower case, with the final dot) and type.
fn question(msg: &[u8]) -> Option<(String, u16)> {
    let mut at = 12;
    let mut name = String::new();
    loop {
        let len = *msg.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        name.push_str(&String::from_utf8_lossy(msg.get(at..at + len)?).to_ascii_lowercase());
        name.push('.');
        at += len;
    }
    if name.is_empty() {
        name.push('.');
    }
    let t = msg.get(at..at + 2)?;
    Some((name, u16::from_be_bytes([t[0], t[1]])))
}
