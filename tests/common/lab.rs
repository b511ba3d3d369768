//! The test lab: a private Postfix ([`Postfix`], via `tests/lab/postfix.sh`) and a private DNS
//! server ([`Dns`], via `tests/lab/dnsmasq.sh`), each in its own temporary directory on its own
//! loopback port, so tests running in parallel threads never share an instance.
//!
//! Both need root (Postfix's master runs as root) and the Debian packages `postfix` and
//! `dnsmasq-base`; `.ci/run` installs them. A missing package is a panic naming it, never a
//! silently skipped test.
//!
//! The standard lab zone ([`Zone::lab`]) is described once, by the constants below; tests
//! assert against the same constants.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// The lab's names. tests/lab/postfix.sh configures Postfix with the same values.

/// Mail domain of the lab; local to the lab Postfix.
pub const LAB_DOMAIN: &str = "lab.test";
/// `myhostname` of the lab Postfix: its greeting is `220 mx1.lab.test ESMTP Postfix (lab)`
/// and its certificate's CN and only SAN.
pub const LAB_HOSTNAME: &str = "mx1.lab.test";
/// Recipients the lab Postfix accepts (250); any other user at a local domain gets
/// `550 5.1.1 ... User unknown in local recipient table`, a foreign domain gets
/// `554 5.7.1 ... Relay access denied`. Accepted mail lands in [`Postfix::mailbox`].
pub const LAB_RECIPIENTS: [&str; 2] = ["postmaster@lab.test", "alice@lab.test"];
/// A local recipient the lab Postfix rejects with 550.
pub const LAB_UNKNOWN_RECIPIENT: &str = "nobody@lab.test";

// ---------------------------------------------------------------------------------------------
// The standard lab zone, served by `Dns::start_lab()`. DNS carries no ports: a probe of
// `lab.test` against the lab Postfix passes the Postfix port with `--port`.

/// `lab.test` MX records as (preference, exchange, address of the exchange).
/// mx1 and mx3 are 127.0.0.1, where the lab Postfix listens; nothing listens on mx2's
/// 127.0.0.2. Only 127.0.0.1 has a PTR ([`LAB_PTR`]); 127.0.0.2 has none.
pub const LAB_MX: [(u16, &str, Ipv4Addr); 3] = [
    (10, "mx1.lab.test", Ipv4Addr::new(127, 0, 0, 1)),
    (20, "mx2.lab.test", Ipv4Addr::new(127, 0, 0, 2)),
    (30, "mx3.lab.test", Ipv4Addr::new(127, 0, 0, 1)),
];
/// A domain with an A record and no MX (RFC 5321 §5.1 implicit MX).
pub const IMPLICIT_DOMAIN: &str = "implicit.lab.test";
/// The A record of [`IMPLICIT_DOMAIN`].
pub const IMPLICIT_ADDR: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// A domain whose only MX is the null MX `0 .` (RFC 7505); it has no address.
pub const NULLMX_DOMAIN: &str = "nullmx.lab.test";
/// A domain whose only MX, (preference, exchange), names a host that exists but has no
/// address (A and AAAA queries answer NOERROR with no records).
pub const NOADDR_DOMAIN: &str = "noaddr.lab.test";
/// The MX of [`NOADDR_DOMAIN`].
pub const NOADDR_MX: (u16, &str) = (10, "ghost.lab.test");
/// A name under `lab.test` that does not exist: every query answers NXDOMAIN.
pub const NXDOMAIN_DOMAIN: &str = "nxdomain.lab.test";
/// The one PTR of the zone: 127.0.0.1 → mx1.lab.test (which resolves back to 127.0.0.1).
/// Beware: hickory's `Resolver` never sends PTR queries under `127.in-addr.arpa` (nor A/AAAA
/// for `localhost.`); it answers `localhost.` itself (RFC 6761). Ask the server directly
/// (a raw query, as lab_selftest.rs does) to see this record.
pub const LAB_PTR: (Ipv4Addr, &str) = (Ipv4Addr::new(127, 0, 0, 1), "mx1.lab.test");
/// Domains the lab DNS is authoritative for: names under them that the zone lacks are
/// NXDOMAIN. Names outside them are REFUSED (the server has no upstream).
pub const LAB_LOCAL_DOMAINS: [&str; 2] = ["lab.test", "127.in-addr.arpa"];

// ---------------------------------------------------------------------------------------------
// Ports and scripts.

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, released).
/// Another process may take it before it is used; the starters below retry with a new one.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// Like [`free_port`], but free for UDP too (DNS listens on both).
fn free_udp_tcp_port() -> u16 {
    loop {
        let port = free_port();
        if UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
}

/// Exit code of the lab scripts when the port was taken: retry with another.
const EX_TEMPFAIL: i32 = 75;
/// How many ports a starter tries before giving up.
const START_ATTEMPTS: usize = 5;

fn lab_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lab")
        .join(name)
}

fn run_script(name: &str, args: &[OsString]) -> Output {
    let script = lab_script(name);
    Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()))
}

/// Panic, naming the Debian packages, when `command` is nowhere to be found.
fn require_command(command: &str, packages: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .any(|dir| dir.join(command).is_file());
    assert!(
        found,
        "`{command}` not found: the test lab needs the Debian package(s) {packages} \
         (apt-get install {packages}; .ci/run installs them)"
    );
}

/// `script watch DIR`: stops the instance and deletes DIR once this process has exited,
/// however it exits (its stdin is a pipe whose only writer is this process). It covers
/// instances that are never dropped, e.g. shared through a `static`, and killed test
/// processes. Dropping it ends the watchdog without any cleanup.
struct Watchdog(Child);

impl Watchdog {
    fn spawn(script: &str, dir: &Path) -> Watchdog {
        let child = Command::new("bash")
            .arg(lab_script(script))
            .arg("watch")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C to the test run must not end it first.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {script} watchdog: {e}"));
        Watchdog(child)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start a lab server with `script start DIR PORT [extra...]` in a fresh temporary directory
/// watched by a [`Watchdog`], retrying on another port when the script reports the port as
/// taken.
fn start_instance(
    what: &str,
    script: &str,
    extra: impl Fn(&Path) -> Vec<OsString>,
    pick_port: fn() -> u16,
) -> (TempDir, PathBuf, u16, Watchdog) {
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        let tmp = tempfile::Builder::new()
            .prefix(&format!("smtpdoctor-{what}-"))
            .tempdir()
            .expect("create a temporary directory");
        let dir = tmp.path().to_path_buf();
        let watchdog = Watchdog::spawn(script, &dir);
        let port = pick_port();
        let mut args = vec![
            OsString::from("start"),
            dir.clone().into_os_string(),
            port.to_string().into(),
        ];
        args.extend(extra(&dir));
        let out = run_script(script, &args);
        if out.status.success() {
            return (tmp, dir, port, watchdog);
        }
        last = format!(
            "{script} start {} {port}: {}\n{}{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.code() != Some(EX_TEMPFAIL) {
            break;
        }
    }
    panic!("could not start the lab {what}:\n{last}");
}

/// Stop a lab server; called from `Drop`, so it reports instead of panicking.
fn stop_instance(script: &str, dir: &Path) {
    let out = run_script(script, &["stop".into(), dir.as_os_str().to_owned()]);
    if !out.status.success() {
        eprintln!(
            "warning: {script} stop {} failed: {}\n{}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Postfix.

/// A private Postfix listening on `127.0.0.1:port`, everything under `dir` (see
/// `tests/lab/postfix.sh` for the layout). STARTTLS with a self-signed certificate for
/// [`LAB_HOSTNAME`]; recipients [`LAB_RECIPIENTS`]; no relaying, no outbound mail.
/// Dropping it stops the instance and removes `dir`; an instance that is never dropped (kept
/// in a `static`, or the test process was killed) is stopped and removed by a watchdog
/// process as soon as the test process has exited.
pub struct Postfix {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The instance's directory.
    pub dir: PathBuf,
    // Dropped in this order, after `Drop::drop` has stopped the instance.
    _watchdog: Watchdog,
    _tmp: TempDir,
}

impl Postfix {
    /// Start an instance on a free port (takes about half a second). Panics with the
    /// script's output, including the maillog tail, when it cannot start.
    pub fn start() -> Postfix {
        require_command("postfix", "postfix");
        require_command("openssl", "openssl");
        let (tmp, dir, port, watchdog) =
            start_instance("postfix", "postfix.sh", |_| Vec::new(), free_port);
        Postfix {
            port,
            dir,
            _watchdog: watchdog,
            _tmp: tmp,
        }
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The self-signed certificate (PEM) the instance presents after STARTTLS: the trust
    /// anchor to pass as `--ca-file`, with `--sni mx1.lab.test`.
    pub fn cert_pem_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The instance's log so far (empty when unreadable).
    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// Wait until the maillog contains `needle` and return the log. Postfix logs through a
    /// separate daemon, so a line can appear shortly after the reply it belongs to.
    /// Panics with the log after `timeout`.
    pub fn wait_for_maillog(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.maillog();
            if log.contains(needle) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} not in the maillog after {timeout:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Mail delivered so far to `user` (`alice` or `postmaster`), in mbox format; empty
    /// when nothing has arrived yet.
    pub fn mailbox(&self, user: &str) -> String {
        std::fs::read_to_string(self.dir.join("mail").join(user)).unwrap_or_default()
    }

    /// Changes the instance's configuration (`postconf -e` for `main.cf` settings, `postconf
    /// -M` for `master.cf` entries) and reloads it. Panics with postconf's message on failure.
    pub fn reconfigure(&self, main_cf: &[&str], master_cf: &[&str]) {
        let etc = self.dir.join("etc");
        let run = |args: &[&str]| {
            let out = Command::new("/usr/sbin/postconf")
                .arg("-c")
                .arg(&etc)
                .args(args)
                .output()
                .expect("run postconf");
            assert!(
                out.status.success(),
                "postconf {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        for setting in main_cf {
            run(&["-e", setting]);
        }
        for entry in master_cf {
            run(&["-M", entry]);
        }
        self.postfix(&["reload"]);
    }

    /// Asks the queue manager to deliver every queued message now (`postqueue -f`), dead
    /// destinations included.
    pub fn flush(&self) {
        let out = Command::new("/usr/sbin/postqueue")
            .arg("-c")
            .arg(self.dir.join("etc"))
            .arg("-f")
            .output()
            .expect("run postqueue");
        assert!(
            out.status.success(),
            "postqueue -f: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn postfix(&self, args: &[&str]) {
        let out = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(self.dir.join("etc"))
            .args(args)
            .output()
            .expect("run postfix");
        assert!(
            out.status.success(),
            "postfix {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Pid of the running master process, if any.
    pub fn master_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.join("queue/pid/master.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        stop_instance("postfix.sh", &self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// DNS.

/// One DNS record of a [`Zone`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// `domain` MX `preference` `exchange`.
    Mx {
        domain: String,
        preference: u16,
        exchange: String,
    },
    /// `domain` MX 0 `.` (RFC 7505).
    NullMx { domain: String },
    /// `name` A `addr`. Implies no PTR: add a [`Record::Ptr`] for that.
    A { name: String, addr: Ipv4Addr },
    /// `name` AAAA `addr`. Implies no PTR.
    Aaaa { name: String, addr: Ipv6Addr },
    /// PTR for `addr` → `name`.
    Ptr { addr: IpAddr, name: String },
    /// `name` TXT `text`; also the way to make a name exist without any address.
    Txt { name: String, text: String },
}

/// A DNS zone for [`Dns::start`]: the domains served authoritatively (unknown names under them
/// are NXDOMAIN) and the records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zone {
    /// Domains answered only from `records` (dnsmasq `local=`).
    pub local: Vec<String>,
    /// The records, in the order they are written.
    pub records: Vec<Record>,
}

impl Zone {
    /// An empty zone authoritative for `local` domains.
    pub fn new(local: &[&str]) -> Zone {
        Zone {
            local: local.iter().map(|d| d.to_string()).collect(),
            records: Vec::new(),
        }
    }

    /// The standard lab zone (see the constants of this module):
    ///
    /// ```text
    /// lab.test            MX  10 mx1.lab.test / 20 mx2.lab.test / 30 mx3.lab.test
    /// mx1.lab.test        A   127.0.0.1
    /// mx2.lab.test        A   127.0.0.2
    /// mx3.lab.test        A   127.0.0.1
    /// implicit.lab.test   A   127.0.0.1                (no MX)
    /// nullmx.lab.test     MX  0 .                      (no address)
    /// noaddr.lab.test     MX  10 ghost.lab.test
    /// ghost.lab.test      exists, no A, no AAAA
    /// nxdomain.lab.test   NXDOMAIN
    /// 1.0.0.127.in-addr.arpa PTR mx1.lab.test          (no PTR for 127.0.0.2)
    /// ```
    pub fn lab() -> Zone {
        let mut zone = Zone::new(&LAB_LOCAL_DOMAINS);
        for (preference, exchange, _) in LAB_MX {
            zone = zone.mx(LAB_DOMAIN, preference, exchange);
        }
        for (_, exchange, addr) in LAB_MX {
            zone = zone.a(exchange, addr);
        }
        zone.a(IMPLICIT_DOMAIN, IMPLICIT_ADDR)
            .null_mx(NULLMX_DOMAIN)
            .mx(NOADDR_DOMAIN, NOADDR_MX.0, NOADDR_MX.1)
            .txt(NOADDR_MX.1, "exists without an address")
            .ptr(IpAddr::V4(LAB_PTR.0), LAB_PTR.1)
    }

    /// Add any record.
    pub fn with(mut self, record: Record) -> Zone {
        self.records.push(record);
        self
    }

    /// Add `domain` MX `preference` `exchange`.
    pub fn mx(self, domain: &str, preference: u16, exchange: &str) -> Zone {
        self.with(Record::Mx {
            domain: domain.into(),
            preference,
            exchange: exchange.into(),
        })
    }

    /// Add the null MX for `domain`.
    pub fn null_mx(self, domain: &str) -> Zone {
        self.with(Record::NullMx {
            domain: domain.into(),
        })
    }

    /// Add `name` A `addr`.
    pub fn a(self, name: &str, addr: Ipv4Addr) -> Zone {
        self.with(Record::A {
            name: name.into(),
            addr,
        })
    }

    /// Add `name` AAAA `addr`.
    pub fn aaaa(self, name: &str, addr: Ipv6Addr) -> Zone {
        self.with(Record::Aaaa {
            name: name.into(),
            addr,
        })
    }

    /// Add the PTR `addr` → `name`.
    pub fn ptr(self, addr: IpAddr, name: &str) -> Zone {
        self.with(Record::Ptr {
            addr,
            name: name.into(),
        })
    }

    /// Add `name` TXT `text`.
    pub fn txt(self, name: &str, text: &str) -> Zone {
        self.with(Record::Txt {
            name: name.into(),
            text: text.into(),
        })
    }

    /// The zone as a dnsmasq configuration file.
    ///
    /// A and AAAA records are written as raw records (`dns-rr`) so that they bring no
    /// automatic PTR. dnsmasq treats a name that has only raw records as nonexistent for
    /// other types (NXDOMAIN where NOERROR/no data is right), so such names also get a
    /// placeholder TXT record `"lab"`.
    pub fn dnsmasq_conf(&self) -> String {
        let mut conf = String::from("# smtpdoctor test lab zone, written by tests/common/lab.rs\n");
        for domain in &self.local {
            writeln!(conf, "local=/{domain}/").unwrap();
        }
        let mut raw_only: Vec<&str> = Vec::new();
        let mut typed: Vec<&str> = Vec::new();
        for record in &self.records {
            match record {
                Record::Mx {
                    domain,
                    preference,
                    exchange,
                } => {
                    writeln!(conf, "mx-host={domain},{exchange},{preference}").unwrap();
                    typed.push(domain);
                }
                Record::NullMx { domain } => {
                    writeln!(conf, "dns-rr={domain},15,000000").unwrap();
                    raw_only.push(domain);
                }
                Record::A { name, addr } => {
                    writeln!(conf, "dns-rr={name},1,{}", hex(&addr.octets())).unwrap();
                    raw_only.push(name);
                }
                Record::Aaaa { name, addr } => {
                    writeln!(conf, "dns-rr={name},28,{}", hex(&addr.octets())).unwrap();
                    raw_only.push(name);
                }
                Record::Ptr { addr, name } => {
                    writeln!(conf, "ptr-record={},{name}", reverse_name(*addr)).unwrap();
                }
                Record::Txt { name, text } => {
                    assert!(!text.contains('"'), "TXT text must not contain '\"'");
                    writeln!(conf, "txt-record={name},\"{text}\"").unwrap();
                    typed.push(name);
                }
            }
        }
        let mut placeholders: Vec<&str> = raw_only
            .into_iter()
            .filter(|name| !typed.contains(name))
            .collect();
        placeholders.sort_unstable();
        placeholders.dedup();
        for name in placeholders {
            writeln!(conf, "txt-record={name},\"lab\"").unwrap();
        }
        conf
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `1.0.0.127.in-addr.arpa` for 127.0.0.1; nibbles under `ip6.arpa` for IPv6.
fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut name = String::new();
            for byte in v6.octets().iter().rev() {
                write!(name, "{:x}.{:x}.", byte & 0xf, byte >> 4).unwrap();
            }
            name + "ip6.arpa"
        }
    }
}

/// A private DNS server (dnsmasq) on `127.0.0.1:port`, UDP and TCP, serving one [`Zone`] and
/// nothing else. Every query is logged ([`Dns::log`]). Dropping it stops the server; like
/// [`Postfix`], a server that is never dropped is stopped once the test process has exited.
pub struct Dns {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The server's directory (zone.conf, dnsmasq.log, ...).
    pub dir: PathBuf,
    /// The zone served.
    pub zone: Zone,
    _watchdog: Watchdog,
    _tmp: TempDir,
}

impl Dns {
    /// Serve `zone` on a free port.
    pub fn start(zone: &Zone) -> Dns {
        require_command("dnsmasq", "dnsmasq-base");
        let conf = zone.dnsmasq_conf();
        let (tmp, dir, port, watchdog) = start_instance(
            "dns",
            "dnsmasq.sh",
            |dir| {
                let path = dir.join("zone.conf");
                std::fs::write(&path, &conf).expect("write zone.conf");
                vec![path.into_os_string()]
            },
            free_udp_tcp_port,
        );
        Dns {
            port,
            dir,
            zone: zone.clone(),
            _watchdog: watchdog,
            _tmp: tmp,
        }
    }

    /// Serve the standard lab zone, [`Zone::lab`].
    pub fn start_lab() -> Dns {
        Dns::start(&Zone::lab())
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `127.0.0.1:PORT`, as given to `smtpdoctor probe --resolver`.
    pub fn resolver_arg(&self) -> String {
        self.addr().to_string()
    }

    /// The server's query log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dnsmasq.log")).unwrap_or_default()
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        stop_instance("dnsmasq.sh", &self.dir);
    }
}
