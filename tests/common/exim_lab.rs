//! A private Exim for the integration suite: Debian 12's exim4-daemon-light, unpacked by
//! `tests/lab/exim-fetch.sh` into `target/exim-lab/root` (never installed: Exim conflicts with
//! Postfix as the system MTA), run as a foreground daemon on a free loopback port with a
//! configuration written here, everything else under a temporary directory.
//!
//! Debian's binary looks up its compiled-in user `Debian-exim` before it reads any
//! configuration, so the daemon runs in a mount namespace of its own (`unshare -m`) where
//! `/etc/passwd` and `/etc/group` are copies that name `Debian-exim` (as uid and gid 65534,
//! nobody's): the machine's files are not touched. Root is needed, as for the lab Postfix.
//! `-C FILE` from root is honoured as is (no trusted-configuration list applies to root).
//!
//! The instance: `primary_hostname` [`EXIM_HOSTNAME`], local domain [`EXIM_DOMAIN`], recipients
//! [`EXIM_RECIPIENTS`] (other local parts: 550, other domains: 550 relay not permitted),
//! STARTTLS with a self-signed certificate for [`EXIM_HOSTNAME`], and `queue_only`: accepted
//! messages stay in the spool ([`Exim::spool_messages`]), nothing is ever delivered.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The local mail domain of the lab Exim.
pub const EXIM_DOMAIN: &str = "exim.test";
/// Its `primary_hostname`: the greeting's name and the certificate's only name.
pub const EXIM_HOSTNAME: &str = "mx.exim.test";
/// The recipients it accepts.
pub const EXIM_RECIPIENTS: [&str; 2] = ["postmaster@exim.test", "alice@exim.test"];

/// Where `tests/lab/exim-fetch.sh` unpacks the packages (`SMTPDOCTOR_EXIM_ROOT` overrides).
fn exim_root() -> PathBuf {
    std::env::var_os("SMTPDOCTOR_EXIM_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/exim-lab/root"))
}

/// A running lab Exim; dropping it stops the daemon and removes its directory.
pub struct Exim {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The instance's directory (config, certificate, spool, logs).
    pub dir: PathBuf,
    child: Child,
    _tmp: TempDir,
}

impl Exim {
    /// Starts an instance with `extra` appended to the main section of its configuration.
    /// `None` when the unpacked Exim is missing, said loudly on stderr; under CI (`CI` set) a
    /// missing Exim is a failure instead, since `.ci/run` unpacks it.
    pub fn start(extra: &str) -> Option<Exim> {
        let root = exim_root();
        let bin = root.join("usr/sbin/exim4");
        if !bin.is_file() {
            let msg = format!(
                "the lab Exim is not unpacked at {} (run `bash tests/lab/exim-fetch.sh`)",
                bin.display()
            );
            assert!(std::env::var_os("CI").is_none(), "{msg}");
            eprintln!("SKIPPED (Exim lab): {msg}");
            return None;
        }
        let tmp = tempfile::Builder::new()
            .prefix("smtpdoctor-exim-")
            .tempdir()
            .expect("create a temporary directory");
        let dir = tmp.path().to_path_buf();
        // The daemon's receiving processes run as Debian-exim (65534): they must reach the
        // spool and the logs, and read the certificate's key.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["spool", "log"] {
            std::fs::create_dir(dir.join(sub)).unwrap();
            std::os::unix::fs::chown(dir.join(sub), Some(65534), Some(65534)).unwrap();
        }
        write_identity(&dir);
        make_certificate(&dir);
        let conf = dir.join("exim.conf");
        std::fs::write(&conf, config(&dir, extra)).unwrap();
        let lib = root.join("usr/lib/x86_64-linux-gnu");
        let mut last = String::new();
        for _ in 0..5 {
            let port = super::lab::free_port();
            let mut child = Command::new("unshare")
                .args(["-m", "sh", "-c"])
                .arg(
                    "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && \
                     exec setpriv --pdeathsig TERM env LD_LIBRARY_PATH=\"$3\" \"$4\" \
                     -bdf -oX \"127.0.0.1.$5\" -C \"$6\"",
                )
                .arg("sh")
                .arg(dir.join("passwd"))
                .arg(dir.join("group"))
                .arg(&lib)
                .arg(&bin)
                .arg(port.to_string())
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
                .spawn()
                .expect("run unshare (util-linux)");
            match wait_started(&dir, port, &mut child) {
                Ok(()) => {
                    return Some(Exim {
                        port,
                        dir,
                        child,
                        _tmp: tmp,
                    });
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = why;
                }
            }
        }
        panic!("the lab Exim did not start: {last}");
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The self-signed certificate it presents after STARTTLS (for `--ca-file`, with
    /// `--sni mx.exim.test`).
    pub fn cert_pem_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// Its main log so far.
    pub fn mainlog(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/mainlog")).unwrap_or_default()
    }

    /// Its reject log so far.
    pub fn rejectlog(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/rejectlog")).unwrap_or_default()
    }

    /// The ids of the messages in the spool (accepted, never delivered), sorted.
    pub fn spool_messages(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.dir.join("spool/input"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix("-H"))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// The body Exim stored for message `id` (its `-D` spool file).
    pub fn spool_body(&self, id: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("spool/input/{id}-D"))).unwrap_or_default()
    }
}

impl Drop for Exim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies of the machine's `/etc/passwd` and `/etc/group` that also name `Debian-exim`.
fn write_identity(dir: &Path) {
    for (file, line) in [
        (
            "passwd",
            "Debian-exim:x:65534:65534:Exim lab:/nonexistent:/usr/sbin/nologin",
        ),
        ("group", "Debian-exim:x:65534:"),
    ] {
        let mut text = std::fs::read_to_string(Path::new("/etc").join(file)).unwrap_or_default();
        if !text.lines().any(|l| l.starts_with("Debian-exim:")) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(dir.join(file), text).unwrap();
    }
}

fn make_certificate(dir: &Path) {
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", &format!("/CN={EXIM_HOSTNAME}")])
        .args(["-addext", &format!("subjectAltName=DNS:{EXIM_HOSTNAME}")])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("run openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::set_permissions(dir.join("key.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// The whole configuration: receive for the local domain, refuse relaying, keep what is
/// accepted in the spool.
fn config(dir: &Path, extra: &str) -> String {
    let d = dir.display();
    let locals = EXIM_RECIPIENTS
        .iter()
        .map(|r| r.split('@').next().unwrap())
        .collect::<Vec<_>>()
        .join(" : ");
    format!(
        "primary_hostname = {EXIM_HOSTNAME}
domainlist local_domains = {EXIM_DOMAIN}
qualify_domain = {EXIM_DOMAIN}
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
pid_file_path = {d}/exim.pid
exim_user = Debian-exim
exim_group = Debian-exim
keep_environment =
queue_only = true
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = {d}/cert.pem
tls_privatekey = {d}/key.pem
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
{extra}

begin acl

acl_check_rcpt:
  accept domains = +local_domains
         local_parts = {locals}
  deny   domains = +local_domains
         message = unknown user
  deny   message = relay not permitted

acl_check_data:
  accept

# Used only where a test sets acl_smtp_connect: the pause before the banner in which Exim
# notices a client that talks first.
acl_check_connect:
  accept delay = 1s

begin routers

local:
  driver = redirect
  domains = +local_domains
  data = :blackhole:
"
    )
}

/// Waits until the daemon logs that it listens on `port` and greets there; an error says
/// why not (port taken: the caller retries with another).
fn wait_started(dir: &Path, port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let listening = format!("listening for SMTP on [127.0.0.1]:{port}");
    loop {
        let log = std::fs::read_to_string(dir.join("log/mainlog")).unwrap_or_default();
        let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
        if log.contains("bind() to port") {
            return Err(format!("port {port} taken: {log}"));
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exim exited ({status}): {stderr}{log}"));
        }
        if log.contains(&listening) {
            let mut s = TcpStream::connect_timeout(
                &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                Duration::from_secs(5),
            )
            .map_err(|e| format!("connect to port {port}: {e}"))?;
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 256];
            let n = std::io::Read::read(&mut s, &mut buf).unwrap_or(0);
            let greeting = String::from_utf8_lossy(&buf[..n]);
            let _ = std::io::Write::write_all(&mut s, b"QUIT\r\n");
            return if greeting.starts_with(&format!("220 {EXIM_HOSTNAME} ESMTP Exim")) {
                Ok(())
            } else {
                Err(format!("port {port} greets with {greeting:?}"))
            };
        }
        if Instant::now() > deadline {
            return Err(format!("no daemon after 15 s: {stderr}{log}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
