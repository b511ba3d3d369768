//! Hostile servers: smtpdoctor must stay safe whatever a server (or a DNS server) sends.
//!
//! Every scenario runs the real binary twice against the same in-process server, once with
//! `--json` and once in text mode with `--color never`, and checks: the exit code, a valid JSON
//! document, the wall time (the configured `--timeout` plus a small margin), the peak RSS of the
//! child (at most 64 MiB, its `VmHWM` polled from /proc), and that no server-controlled control
//! byte, escape sequence, bidi or zero-width character reaches the text output raw.
//!
//! The probe only ever connects to 127.0.0.1, and only asks the DNS servers started here.

use crate::common::{BIN, assert_report_shape, finding, finding_ids, parse_json, rt};
use serde_json::Value;
use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

/// Peak RSS allowed for one probe.
pub(crate) const RSS_LIMIT_KIB: i64 = 64 * 1024;
/// Time a probe may take beyond its configured `--timeout` (start-up, DNS, output, a busy CI).
const MARGIN: Duration = Duration::from_millis(2500);

// ------------------------------------------------------------------------------------------------
// Running the binary and measuring it

/// What one run of the binary produced.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) elapsed: Duration,
    pub(crate) rss_kib: i64,
}

/// `VmHWM` in KiB from a /proc status file, while the process is alive.
fn vm_hwm_kib(path: &str) -> Option<i64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs smtpdoctor with `args`, killing it after `kill_after`.
///
/// The peak RSS is the child's own `VmHWM` from /proc, read when the child stops at its exit
/// (it runs under `ptrace` with `PTRACE_O_TRACEEXIT`, which stops it before its memory is
/// released), and polled while it runs in case tracing is not allowed here. `wait4`'s
/// `ru_maxrss` would not do: Linux carries the high-water mark of the address space that `exec`
/// replaces into it, and a spawned child replaces a copy of this much larger test process.
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped with waitpid, not Child::wait"
)]
pub(crate) fn run_binary(args: &[String], kill_after: Duration) -> Run {
    run_binary_telling(args, kill_after, None)
}

/// [`run_binary`], sending the first line of its stderr to `first_line` as soon as it is
/// written (a mock's "serving … on ADDR" line, for the address it was given port 0 for).
pub(crate) fn run_binary_telling(
    args: &[String],
    kill_after: Duration,
    first_line: Option<std::sync::mpsc::Sender<String>>,
) -> Run {
    let command = || {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let mut traced = command();
    // SAFETY: the closure runs in the forked child before exec and only calls ptrace, which is
    // async-signal-safe.
    unsafe {
        traced.pre_exec(|| {
            let null = std::ptr::null_mut::<libc::c_void>();
            if libc::ptrace(libc::PTRACE_TRACEME, 0, null, null) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (mut child, tracing) = match traced.spawn() {
        Ok(c) => (c, true),
        Err(_) => (command().spawn().expect("spawn smtpdoctor"), false),
    };
    let started = Instant::now();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(tx) = first_line {
            let mut reader = std::io::BufReader::new(&mut stderr);
            let _ = std::io::BufRead::read_until(&mut reader, b'\n', &mut v);
            let _ = tx.send(String::from_utf8_lossy(&v).into_owned());
            let _ = reader.read_to_end(&mut v);
        } else {
            let _ = stderr.read_to_end(&mut v);
        }
        v
    });
    let status_path = format!("/proc/{pid}/status");
    let mut rss_kib = 0;
    let mut exit_seen = false;
    let status = loop {
        if let Some(hwm) = vm_hwm_kib(&status_path) {
            rss_kib = rss_kib.max(hwm);
        }
        let mut status: libc::c_int = 0;
        // SAFETY: `pid` is our own child, not reaped yet (std's Child is never waited on), and
        // `status` is a live local.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid && libc::WIFSTOPPED(status) {
            // SAFETY: ptrace requests on our own stopped tracee, from the thread that forked it.
            let null = std::ptr::null_mut::<libc::c_void>();
            let exiting = status >> 8 == (libc::SIGTRAP | (libc::PTRACE_EVENT_EXIT << 8));
            let signal = match libc::WSTOPSIG(status) {
                // The stop after exec: from now on, stop before exiting too.
                libc::SIGTRAP if !exiting => {
                    let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
                    unsafe {
                        libc::ptrace(
                            libc::PTRACE_SETOPTIONS,
                            pid,
                            null,
                            options as usize as *mut libc::c_void,
                        )
                    };
                    0
                }
                libc::SIGTRAP => {
                    // Stopped in exit, its memory still mapped: the final high-water mark.
                    if let Some(hwm) = vm_hwm_kib(&status_path) {
                        rss_kib = rss_kib.max(hwm);
                        exit_seen = true;
                    }
                    0
                }
                other => other,
            };
            unsafe {
                libc::ptrace(
                    libc::PTRACE_CONT,
                    pid,
                    null,
                    signal as usize as *mut libc::c_void,
                )
            };
            continue;
        }
        if r == pid {
            break status;
        }
        assert_eq!(r, 0, "waitpid failed: {}", std::io::Error::last_os_error());
        if started.elapsed() > kill_after {
            // SAFETY: the child is not reaped, so the pid still names it.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let elapsed = started.elapsed();
    assert!(
        !tracing || exit_seen || !libc::WIFEXITED(status),
        "the exit stop was not seen"
    );
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Run {
        code,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed,
        rss_kib,
    }
}

/// Both runs of one scenario.
struct Outcome {
    doc: Value,
    json: Run,
    text: Run,
}

impl Outcome {
    fn text(&self) -> String {
        String::from_utf8(self.text.stdout.clone()).expect("text output is UTF-8")
    }

    fn ids(&self) -> Vec<String> {
        finding_ids(&self.doc)
    }

    fn has(&self, id: &str) -> bool {
        self.ids().iter().any(|i| i == id)
    }

    fn attempt(&self, n: usize) -> &Value {
        &self.doc["attempts"][n]
    }

    /// Server entries of the first attempt's transcript.
    fn server_entries(&self) -> Vec<&Value> {
        self.attempt(0)["transcript"]
            .as_array()
            .expect("transcript")
            .iter()
            .filter(|e| e["dir"] == "server")
            .collect()
    }

    /// Every `raw` of the first attempt's server lines, joined.
    fn server_raw(&self) -> String {
        self.server_entries()
            .iter()
            .map(|e| e["raw"].as_str().expect("raw"))
            .collect()
    }
}

/// Runs `smtpdoctor probe TARGET ARGS` in JSON and in text mode at once and checks what every
/// hostile scenario must satisfy; returns both runs for the scenario's own assertions.
fn probe(name: &str, target: &str, args: &[&str], timeout: Duration, exit: i32) -> Outcome {
    let mut common: Vec<String> = vec!["probe".into(), target.into()];
    common.extend(args.iter().map(|a| a.to_string()));
    common.extend([
        "--helo".into(),
        "probe.hostile.test".into(),
        "--timeout".into(),
        humantime::format_duration(timeout).to_string(),
    ]);
    let mut json_args = common.clone();
    json_args.push("--json".into());
    let mut text_args = common;
    text_args.extend(["--color".into(), "never".into()]);
    let limit = timeout + MARGIN;
    let kill_after = limit + Duration::from_secs(30);
    let json = std::thread::spawn(move || run_binary(&json_args, kill_after));
    let text = run_binary(&text_args, kill_after);
    let json = json.join().expect("json run");
    eprintln!(
        "hostile {name}: exit {}/{}, {} ms/{} ms, peak RSS {} KiB/{} KiB (json/text)",
        json.code,
        text.code,
        json.elapsed.as_millis(),
        text.elapsed.as_millis(),
        json.rss_kib,
        text.rss_kib
    );
    let doc = parse_json(name, &json.stdout, &json.stderr);
    assert_report_shape(name, &doc, json.code);
    for (mode, run) in [("json", &json), ("text", &text)] {
        assert_eq!(
            run.code,
            exit,
            "{name} ({mode}): exit code; stderr: {}; stdout starts: {}",
            String::from_utf8_lossy(&run.stderr),
            String::from_utf8_lossy(&run.stdout[..run.stdout.len().min(3000)])
        );
        assert!(
            run.elapsed <= limit,
            "{name} ({mode}): took {:?}, more than {limit:?}",
            run.elapsed
        );
        assert!(
            run.rss_kib <= RSS_LIMIT_KIB,
            "{name} ({mode}): peak RSS {} KiB exceeds {RSS_LIMIT_KIB} KiB",
            run.rss_kib
        );
        assert_terminal_safe(name, "stderr", &run.stderr);
    }
    assert_terminal_safe(name, "text stdout", &text.stdout);
    let out = Outcome { doc, json, text };
    assert!(
        out.text().contains(&format!("(exit {exit})")),
        "{name}: the text verdict names the exit code"
    );
    out
}

/// Characters that must never reach a terminal from a server: C0 controls but LF, DEL, C1
/// controls (U+0080..U+009F, which includes the 8-bit CSI U+009B), bidi controls, zero-width and
/// other invisible formatting characters.
fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c,
            '\u{061C}' | '\u{180E}' | '\u{FEFF}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FFF9}'..='\u{FFFB}')
}

pub(crate) fn assert_terminal_safe(name: &str, what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes)
        .unwrap_or_else(|e| panic!("{name}: {what} is not valid UTF-8: {e}"));
    if let Some((i, c)) = text.char_indices().find(|(_, c)| forbidden(*c)) {
        let from = text[..i].char_indices().rev().nth(60).map_or(0, |(p, _)| p);
        panic!(
            "{name}: {what} carries U+{:04X} raw at byte {i}, after {:?}",
            c as u32,
            &text[from..i]
        );
    }
    for seq in [&b"\x1b"[..], b"\xc2\x9b", b"\x07", b"\x00"] {
        assert!(
            !bytes.windows(seq.len()).any(|w| w == seq),
            "{name}: {what} contains {seq:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Hostile SMTP servers

/// Serves every connection on 127.0.0.1 with `handler` in the background.
fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = rt()
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt().spawn(async move {
        loop {
            if let Ok((s, _)) = listener.accept().await {
                let _ = s.set_nodelay(true);
                tokio::spawn(handler(s));
            }
        }
    });
    addr
}

/// Reads one command line (upper-cased, terminator removed); `None` when the client is gone.
async fn read_cmd<S: AsyncReadExt + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(p) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=p).collect();
            return Some(
                String::from_utf8_lossy(&line)
                    .trim_end()
                    .to_ascii_uppercase(),
            );
        }
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
}

/// What the plain server answers; everything else is a well-behaved default.
#[derive(Clone)]
struct Replies {
    greeting: Vec<u8>,
    ehlo: Vec<u8>,
    rcpt: Vec<u8>,
    rset: Vec<u8>,
    quit: Vec<u8>,
}

impl Default for Replies {
    fn default() -> Self {
        Replies {
            greeting: b"220 mx.hostile.test ESMTP\r\n".to_vec(),
            ehlo: b"250-mx.hostile.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n".to_vec(),
            rcpt: b"250 2.1.5 Ok\r\n".to_vec(),
            rset: b"250 2.0.0 Ok\r\n".to_vec(),
            quit: b"221 2.0.0 Bye\r\n".to_vec(),
        }
    }
}

/// A server that talks SMTP well enough for the probe to get through, with hostile bytes
/// wherever `Replies` puts them.
fn smtp_server(replies: Replies) -> SocketAddr {
    let replies = Arc::new(replies);
    serve(move |mut s| {
        let r = replies.clone();
        async move {
            if s.write_all(&r.greeting).await.is_err() {
                return;
            }
            let mut buf = Vec::new();
            while let Some(cmd) = read_cmd(&mut s, &mut buf).await {
                let reply: &[u8] = match cmd.get(..4).unwrap_or("") {
                    "EHLO" => &r.ehlo,
                    "HELO" => b"250 mx.hostile.test\r\n",
                    "MAIL" => b"250 2.1.0 Ok\r\n",
                    "RCPT" => &r.rcpt,
                    "RSET" | "NOOP" => &r.rset,
                    "QUIT" => {
                        let _ = s.write_all(&r.quit).await;
                        return;
                    }
                    _ => b"502 5.5.2 Error: command not recognized\r\n",
                };
                if s.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    })
}

/// Greets, offers STARTTLS, answers it with `ready` and hands the connection to `after`.
fn starttls_server<F, Fut>(ready: &'static [u8], after: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let after = Arc::new(after);
    serve(move |mut s| {
        let after = after.clone();
        async move {
            let _ = s.write_all(b"220 mx.hostile.test ESMTP\r\n").await;
            let mut buf = Vec::new();
            while let Some(cmd) = read_cmd(&mut s, &mut buf).await {
                let reply: &[u8] = match cmd.get(..4).unwrap_or("") {
                    "EHLO" => b"250-mx.hostile.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                    "STAR" => {
                        if s.write_all(ready).await.is_ok() {
                            after(s).await;
                        }
                        return;
                    }
                    "QUIT" => return,
                    _ => b"250 Ok\r\n",
                };
                if s.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    })
}

/// The usual answer to STARTTLS.
const READY: &[u8] = b"220 2.0.0 Ready to start TLS\r\n";

/// Aborts a connection with a TCP RST.
fn reset(s: TcpStream) {
    let _ = s.set_zero_linger();
    drop(s);
}

/// Keeps reading (and ignoring) until the client goes away, at most a minute.
async fn drain(s: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

const SERVER: &str = "--server";
const TARGET: &str = "hostile.test";

fn server_args(addr: SocketAddr) -> [String; 2] {
    [SERVER.into(), addr.to_string()]
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Probes a server given by address.
fn probe_server(
    name: &str,
    addr: SocketAddr,
    extra: &[&str],
    timeout: Duration,
    exit: i32,
) -> Outcome {
    let a = server_args(addr);
    let mut args: Vec<&str> = vec![&a[0], &a[1]];
    args.extend_from_slice(extra);
    probe(name, TARGET, &args, timeout, exit)
}

// ------------------------------------------------------------------------------------------------
// Size and speed

#[test]
fn line_of_64_mib_without_a_newline() {
    let addr = serve(|mut s| async move {
        if s.write_all(b"220 ").await.is_err() {
            return;
        }
        let block = vec![b'A'; 1 << 20];
        for _ in 0..64 {
            if s.write_all(&block).await.is_err() {
                return;
            }
        }
        drain(&mut s).await;
    });
    let o = probe_server("64 MiB line", addr, &[], secs(3), 2);
    assert!(o.has("greeting-timeout"), "{:?}", o.ids());
    let entries = o.server_entries();
    let line = entries
        .last()
        .expect("the partial line is in the transcript");
    assert!(line["raw"].as_str().unwrap().starts_with("220 AAAA"));
    let cut = line["truncated_bytes"].as_u64().expect("truncated_bytes");
    assert!(
        cut > 4 << 20,
        "most of the line was counted, not kept: {cut}"
    );
    let limits = &o.attempt(0)["limits"];
    assert_eq!(limits["truncated_lines"], 1);
    assert!(limits["dropped_read_bytes"].as_u64().unwrap() > 0);
    assert!(o.text().contains("bytes not kept"));
}

#[test]
fn a_million_continuation_lines() {
    let addr = serve(|mut s| async move {
        let block = b"220-x\r\n".repeat(10_000);
        for _ in 0..100 {
            if s.write_all(&block).await.is_err() {
                return;
            }
        }
        let _ = s.write_all(b"220 mx.hostile.test done\r\n").await;
        // Reads EHLO and hangs up without a word.
        let mut buf = Vec::new();
        let _ = read_cmd(&mut s, &mut buf).await;
    });
    let o = probe_server("a million continuation lines", addr, &[], secs(10), 2);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    assert!(o.has("greeting-multiline"), "{:?}", o.ids());
    let multiline = finding(&o.doc, "greeting-multiline").unwrap();
    assert_eq!(
        multiline["summary"],
        "multi-line greeting (1000001 lines, 1000 of them kept)"
    );
    // The last line, which carries the code and the domain, is kept.
    let entries = o.server_entries();
    let last = entries.last().unwrap();
    assert_eq!(last["raw"], "220 mx.hostile.test done\\r\\n");
    let limits = &o.attempt(0)["limits"];
    assert_eq!(limits["dropped_reply_lines"], 1_000_001 - 1000);
    let hit = limits["hit"].as_array().expect("limits.hit");
    assert!(hit.iter().any(|h| h["limit"] == "reply-lines"), "{limits}");
    let text = o.text();
    assert!(text.contains("limit reached"), "the text says so");
    assert!(text.contains("999001"), "the text counts the dropped lines");
}

#[test]
fn endless_continuation_lines() {
    let addr = serve(|mut s| async move {
        let block = b"250-flood\r\n".repeat(1000);
        while s.write_all(&block).await.is_ok() {}
    });
    let o = probe_server("endless continuation lines", addr, &[], secs(2), 2);
    assert!(o.has("greeting-timeout"), "{:?}", o.ids());
    let limits = &o.attempt(0)["limits"];
    assert!(limits["dropped_lines"].as_u64().unwrap() > 0, "{limits}");
}

#[test]
fn one_byte_per_second_is_ended_by_the_reply_deadline() {
    let addr = serve(|mut s| async move {
        for &b in b"220 mx.hostile.test ESMTP slowly\r\n" {
            if s.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        drain(&mut s).await;
    });
    let o = probe_server("one byte per second", addr, &[], secs(3), 2);
    assert!(o.has("greeting-timeout"), "{:?}", o.ids());
    for run in [&o.json, &o.text] {
        assert!(
            run.elapsed >= Duration::from_millis(2900),
            "{:?}",
            run.elapsed
        );
    }
    // The partial line is shown, but it was never taken as a reply.
    assert_eq!(o.attempt(0)["failed_stage"], "greeting");
    assert!(o.attempt(0)["ehlo"].is_null());
    let raw = o.server_raw();
    assert!(raw.starts_with("220"), "{raw}");
}

#[test]
fn one_byte_per_second_in_the_ehlo_reply() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"220 mx.hostile.test ESMTP\r\n").await;
        let mut buf = Vec::new();
        if read_cmd(&mut s, &mut buf).await.is_none() {
            return;
        }
        for &b in b"250-mx.hostile.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
            .iter()
            .cycle()
        {
            if s.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    });
    let o = probe_server("one byte per 400 ms in EHLO", addr, &[], secs(3), 2);
    assert_eq!(o.attempt(0)["failed_stage"], "ehlo");
    assert_eq!(o.attempt(0)["outcome"], "timeout");
    assert!(o.text().contains("gave up waiting (ehlo)"));
}

#[test]
fn flood_of_one_byte_writes() {
    // Tiny reads as fast as the kernel delivers them: the record must not grow with their number.
    let addr = serve(|mut s| async move {
        loop {
            for &b in b"220-tiny\r\n" {
                if s.write_all(&[b]).await.is_err() {
                    return;
                }
            }
        }
    });
    let o = probe_server("flood of one-byte writes", addr, &[], secs(2), 2);
    assert!(o.has("greeting-timeout"), "{:?}", o.ids());
}

#[test]
fn flood_of_bare_cr() {
    // Every CR ends an empty line: the transcript's line budget must hold.
    let addr = serve(|mut s| async move {
        let block = vec![b'\r'; 64 * 1024];
        while s.write_all(&block).await.is_ok() {}
    });
    let o = probe_server("flood of bare CR", addr, &[], secs(2), 2);
    assert!(o.has("greeting-timeout"), "{:?}", o.ids());
    assert!(o.has("reply-bare-cr"), "{:?}", o.ids());
    let limits = &o.attempt(0)["limits"];
    assert!(limits["dropped_lines"].as_u64().unwrap() > 0, "{limits}");
    assert!(
        limits["hit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["limit"] == "transcript-lines"),
        "{limits}"
    );
}

#[test]
fn long_lines_in_every_reply() {
    // 1000 lines of 5000 octets in every reply: the transcript as a whole must stay bounded.
    fn big(code: &str) -> Vec<u8> {
        let mut v = Vec::new();
        for _ in 0..999 {
            v.extend_from_slice(format!("{code}-").as_bytes());
            v.extend(std::iter::repeat_n(b'\x1b', 5000));
            v.extend_from_slice(b"\r\n");
        }
        v.extend_from_slice(format!("{code} end\r\n").as_bytes());
        v
    }
    let addr = smtp_server(Replies {
        greeting: big("220"),
        ehlo: big("250"),
        rcpt: big("250"),
        rset: big("250"),
        quit: big("221"),
    });
    let o = probe_server("long lines in every reply", addr, &[], secs(10), 1);
    assert!(o.has("reply-too-long"), "{:?}", o.ids());
    let limits = &o.attempt(0)["limits"];
    assert!(
        limits["truncated_lines"].as_u64().unwrap() >= 999,
        "{limits}"
    );
    let hit: Vec<&str> = limits["hit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["limit"].as_str().unwrap())
        .collect();
    assert!(hit.contains(&"line-length"), "{hit:?}");
    assert!(hit.contains(&"transcript-bytes"), "{hit:?}");
    assert!(o.text().contains("limit reached: 4 MiB of reply text kept"));
}

// ------------------------------------------------------------------------------------------------
// Bytes a terminal must never see raw

/// Probes a server whose dialogue is otherwise fine, so the verdict is the one the escaped bytes
/// earn: `reply-non-ascii` is a warning (exit 1).
fn escape_scenario(name: &str, replies: Replies, injected: &[&[u8]], exit: i32) -> Outcome {
    let addr = smtp_server(replies);
    let o = probe_server(name, addr, &[], secs(3), exit);
    assert_escaped_in_every_text_mode(name, addr, &o, injected);
    o
}

/// The injected sequences are in none of the text outputs: normal, verbose, quiet, Nagios.
fn assert_escaped_in_every_text_mode(
    name: &str,
    addr: SocketAddr,
    o: &Outcome,
    injected: &[&[u8]],
) {
    let mut outputs = vec![("text".to_string(), o.text.stdout.clone())];
    for mode in [&["-v"][..], &["-q"], &["--format", "nagios"]] {
        let mut args: Vec<String> = ["probe", TARGET, SERVER, &addr.to_string()]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.extend(["--timeout", "3s", "--color", "never"].map(String::from));
        args.extend(mode.iter().map(|a| a.to_string()));
        let run = run_binary(&args, secs(30));
        assert_terminal_safe(name, &format!("{mode:?} stdout"), &run.stdout);
        outputs.push((format!("{mode:?}"), run.stdout));
    }
    for (mode, text) in outputs {
        for seq in injected {
            assert!(
                !text.windows(seq.len()).any(|w| w == *seq),
                "{name}: the {mode} output contains the injected {seq:?}"
            );
        }
    }
}

#[test]
fn nul_bytes() {
    let o = escape_scenario(
        "NUL bytes",
        Replies {
            greeting: b"220 mx\0.hostile.test\0 ESMTP\0\r\n".to_vec(),
            ehlo: b"250-mx.hostile.test\r\n250-PIPE\0LINING\r\n250 8BITMIME\r\n".to_vec(),
            ..Replies::default()
        },
        &[b"\0"],
        1,
    );
    assert!(o.has("reply-non-ascii"));
    assert!(
        o.server_raw()
            .contains("mx\\x00.hostile.test\\x00 ESMTP\\x00\\r\\n")
    );
    assert!(o.text().contains("mx\\x00.hostile.test"));
}

#[test]
fn invalid_utf8() {
    let o = escape_scenario(
        "invalid UTF-8",
        Replies {
            greeting: b"220 mx \xff\xfe \xc3\x28 \xed\xa0\x80 \xc0\xaf \xf8\x88\x80\x80\x80\r\n"
                .to_vec(),
            ehlo: b"250-mx.hostile.test\r\n250-SIZE\xff 1000\r\n250 8BITMIME\r\n".to_vec(),
            ..Replies::default()
        },
        &[b"\xff", b"\xc0\xaf"],
        1,
    );
    assert!(o.has("reply-non-ascii"));
    assert!(
        o.server_raw()
            .contains("\\xff\\xfe \\xc3( \\xed\\xa0\\x80 \\xc0\\xaf")
    );
    assert!(o.text().contains("\\xff\\xfe"));
}

#[test]
fn ansi_csi_in_the_banner() {
    let o = escape_scenario(
        "ANSI CSI in the banner",
        Replies {
            greeting:
                b"220 \x1b[2J\x1b[H\x1b[31mmx.hostile.test \xc2\x9b1;31m c1 \x9b7m\x1b[0m\r\n"
                    .to_vec(),
            ..Replies::default()
        },
        &[b"\x1b[", b"\xc2\x9b", b"\x9b"],
        1,
    );
    assert!(o.has("reply-non-ascii"));
    assert!(o.server_raw().contains("\\x1b[2J\\x1b[H\\x1b[31m"));
    assert!(o.server_raw().contains("\\xc2\\x9b1;31m"));
}

#[test]
fn osc_sequences_in_the_banner() {
    let o = escape_scenario(
        "OSC sequences in the banner",
        Replies {
            greeting: b"220 mx \x1b]0;pwned title\x07 \x1b]8;;https://evil.invalid/\x1b\\click\x1b]8;;\x1b\\ \x1b]52;c;ZXZpbA==\x07\r\n"
                .to_vec(),
            ..Replies::default()
        },
        &[b"\x1b]", b"\x07"],
        1,
    );
    assert!(o.server_raw().contains("\\x1b]0;pwned title\\x07"));
    // JSON text keeps the exact characters (escaped by JSON itself).
    let greeting = o.server_entries()[0]["text"].as_str().unwrap().to_string();
    assert!(
        greeting.contains("\u{1b}]0;pwned title\u{7}"),
        "{greeting:?}"
    );
}

#[test]
fn bidi_and_zero_width_in_the_banner() {
    let o = escape_scenario(
        "bidi and zero-width in the banner",
        Replies {
            greeting: "220 mx.hostile.test \u{202e}exe.txt\u{202c} \u{2066}iso\u{2069} \u{2067}r\u{2068}f\u{2069} zw\u{200b}s\u{200d}j \u{feff}bom \u{200f}rlm\r\n"
                .as_bytes()
                .to_vec(),
            ..Replies::default()
        },
        &[
            "\u{202e}".as_bytes(),
            "\u{2066}".as_bytes(),
            "\u{200b}".as_bytes(),
            "\u{feff}".as_bytes(),
        ],
        1,
    );
    assert!(
        o.server_raw().contains("\\xe2\\x80\\xae"),
        "U+202E as bytes"
    );
    assert!(o.text().contains("\\u{202e}"), "shown escaped");
}

#[test]
fn escapes_in_ehlo_keywords() {
    let o = escape_scenario(
        "escapes in EHLO keywords",
        Replies {
            ehlo: "250-mx.hostile.test\r\n250-\u{1b}[31mPIPELINING\r\n250-SIZE\u{202e} 1000\r\n250-\u{1b}]0;t\u{7}AUTH PLAIN\r\n250-X\u{200b}Y\r\n250 8BITMIME\u{9b}2J\r\n"
                .as_bytes()
                .to_vec(),
            ..Replies::default()
        },
        &[b"\x1b", "\u{202e}".as_bytes(), "\u{200b}".as_bytes(), b"\xc2\x9b"],
        1,
    );
    let caps = o.attempt(0)["ehlo"]["capabilities"].as_array().unwrap();
    let keywords: Vec<&str> = caps
        .iter()
        .map(|c| c["keyword"].as_str().unwrap())
        .collect();
    assert!(keywords.contains(&"\u{1b}[31mPIPELINING"), "{keywords:?}");
    assert!(keywords.contains(&"SIZE\u{202e}"), "{keywords:?}");
    assert!(o.server_raw().contains("250-\\x1b[31mPIPELINING"));
}

#[test]
fn escapes_in_a_rejection_quoted_by_a_finding() {
    let o = escape_scenario(
        "escapes in a rejection",
        Replies {
            rcpt: "550 5.1.1 \u{1b}[8mhidden\u{1b}[0m \u{202e}gnp.exe \u{1b}]0;x\u{7}\r\n"
                .as_bytes()
                .to_vec(),
            ..Replies::default()
        },
        &[b"\x1b", "\u{202e}".as_bytes()],
        2,
    );
    assert!(o.has("postmaster-rejected"), "{:?}", o.ids());
    assert!(
        o.server_raw()
            .contains("550 5.1.1 \\x1b[8mhidden\\x1b[0m \\xe2\\x80\\xaegnp.exe")
    );
    let detail = finding(&o.doc, "postmaster-rejected")
        .map(|f| f["detail"].to_string())
        .unwrap_or_default();
    assert!(
        detail.contains("hidden"),
        "the finding quotes the reply: {detail}"
    );
}

#[test]
fn escapes_in_a_554_greeting() {
    let o = escape_scenario(
        "escapes in a 554 greeting",
        Replies {
            greeting: b"554 \x1b]0;pwned\x07 go away \x1b[5mnow\r\n".to_vec(),
            ..Replies::default()
        },
        &[b"\x1b", b"\x07"],
        2,
    );
    assert!(o.has("greeting-554"), "{:?}", o.ids());
    assert!(
        o.server_raw()
            .starts_with("554 \\x1b]0;pwned\\x07 go away \\x1b[5mnow\\r\\n")
    );
}

#[test]
fn every_byte_value_as_a_banner() {
    let mut greeting: Vec<u8> = (0u8..=255).filter(|b| *b != b'\n' && *b != b'\r').collect();
    greeting.extend_from_slice(b"\r\n");
    let o = escape_scenario(
        "every byte value",
        Replies {
            greeting,
            ..Replies::default()
        },
        &[b"\x1b", b"\x07", b"\x00", b"\x9b"],
        2,
    );
    assert!(o.has("reply-code-invalid"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["outcome"], "bad-reply");
}

// ------------------------------------------------------------------------------------------------
// Broken connections

#[test]
fn garbage_instead_of_a_server_hello() {
    let addr = starttls_server(READY, |mut s| async move {
        // Waits for the ClientHello, then answers it with anything but a ServerHello.
        let mut hello = [0u8; 512];
        if matches!(s.read(&mut hello).await, Ok(n) if n > 0) {
            let _ = s
                .write_all(b"HTTP/1.0 400 Bad Request\r\n\x1b[31m\x00\xff garbage\r\n")
                .await;
        }
        drain(&mut s).await;
    });
    let o = probe_server("garbage instead of ServerHello", addr, &[], secs(3), 2);
    assert!(o.has("tls-handshake-failed"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["outcome"], "tls-failed");
    for run in [&o.json, &o.text] {
        assert!(run.elapsed < secs(2), "ends at once: {:?}", run.elapsed);
    }
}

#[test]
fn garbage_together_with_220_ready() {
    // Bytes after `220 Ready` in the same breath are plaintext to discard (RFC 3207 §4.2);
    // the ServerHello never comes, so the handshake's own deadline ends it.
    let addr = starttls_server(
        b"220 2.0.0 Ready to start TLS\r\n\x16\x03\x01\x00\x05garbage \x1b]0;t\x07\r\n",
        |mut s| async move { drain(&mut s).await },
    );
    let o = probe_server("garbage with 220 Ready", addr, &[], secs(2), 2);
    assert!(o.has("starttls-resp-injection"), "{:?}", o.ids());
    assert!(o.has("starttls-stall"), "{:?}", o.ids());
}

#[test]
fn reset_in_the_middle_of_the_greeting() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"220-mx.hostile.test first\r\n220-sec").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        reset(s);
    });
    let o = probe_server("RST mid greeting", addr, &[], secs(3), 2);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["outcome"], "io-error");
    let raw = o.server_raw();
    assert!(raw.ends_with("220-sec"), "the partial line is kept: {raw}");
}

#[test]
fn reset_in_the_middle_of_the_ehlo_reply() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"220 mx.hostile.test ESMTP\r\n").await;
        let mut buf = Vec::new();
        if read_cmd(&mut s, &mut buf).await.is_some() {
            let _ = s.write_all(b"250-mx.hostile.test\r\n250-PIPEL").await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        reset(s);
    });
    let o = probe_server("RST mid EHLO reply", addr, &[], secs(3), 2);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["failed_stage"], "ehlo");
}

#[test]
fn half_close_after_the_greeting() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"220 mx.hostile.test ESMTP\r\n").await;
        let _ = s.shutdown().await;
        drain(&mut s).await;
    });
    let o = probe_server("half-close after greeting", addr, &[], secs(3), 2);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["outcome"], "closed");
    assert_eq!(o.attempt(0)["failed_stage"], "ehlo");
}

#[test]
fn half_close_in_the_middle_of_a_reply() {
    let addr = serve(|mut s| async move {
        let _ = s.write_all(b"220-mx.hostile.test teaser\r\n").await;
        let _ = s.shutdown().await;
        drain(&mut s).await;
    });
    let o = probe_server("half-close mid reply", addr, &[], secs(3), 2);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    assert_eq!(o.attempt(0)["failed_stage"], "greeting");
}

#[test]
fn certificate_chain_of_hundreds_of_kilobytes() {
    let config = huge_chain_config();
    let chain_len: usize = config.1;
    assert!(chain_len > 200 * 1024, "chain is {chain_len} bytes");
    let acceptor = tokio_rustls::TlsAcceptor::from(config.0);
    let addr = starttls_server(READY, move |s| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(Ok(mut tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(s)).await
            {
                let mut sink = [0u8; 1024];
                let _ = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut sink)).await;
            }
        }
    });
    let o = probe_server("certificate chain of hundreds of KB", addr, &[], secs(3), 2);
    assert!(o.has("tls-handshake-failed"), "{:?}", o.ids());
}

/// A server config whose chain is a leaf plus three certificates with thousands of names each.
fn huge_chain_config() -> (Arc<rustls::ServerConfig>, usize) {
    use rcgen::{CertificateParams, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let names = |prefix: &str, n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{prefix}{i:05}.a-rather-long-name-to-fill-the-chain.hostile.test"))
            .collect()
    };
    // The leaf stays below 64 KiB (rustls parses it to check the key); the intermediates
    // that follow it are never parsed by the server, so they can be as large as we like.
    let leaf_names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(leaf_names)
        .expect("params")
        .self_signed(&key)
        .expect("leaf");
    let mut chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    for filler in ["a", "b", "c"] {
        let k = KeyPair::generate().expect("key");
        let c = CertificateParams::new(names(filler, 1500))
            .expect("params")
            .self_signed(&k)
            .expect("filler");
        chain.push(c.der().clone());
    }
    let len = chain.iter().map(|c| c.len()).sum();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("config");
    (Arc::new(config), len)
}

// ------------------------------------------------------------------------------------------------
// Hostile DNS

/// What the test DNS server answers to one question.
#[derive(Clone, Debug)]
enum Answer {
    Mx(Vec<(u16, String)>),
    A(Vec<[u8; 4]>),
    /// NOERROR without records.
    Empty,
    NxDomain,
    /// No answer at all.
    Silent,
}

const TYPE_A: u16 = 1;
const TYPE_MX: u16 = 15;

type Policy = Arc<dyn Fn(&str, u16) -> Answer + Send + Sync>;

/// A DNS server on 127.0.0.1 (UDP and TCP on the same port) answering by `policy`. Answers that
/// do not fit in 512 octets over UDP are truncated (TC), so the resolver retries over TCP.
fn dns_server(policy: Policy) -> SocketAddr {
    let (udp, tcp) = rt().block_on(async {
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
            let addr = udp.local_addr().expect("addr");
            if let Ok(tcp) = TcpListener::bind(addr).await {
                return (udp, tcp);
            }
        }
        panic!("no port free for UDP and TCP at once");
    });
    let addr = udp.local_addr().expect("addr");
    let p = policy.clone();
    rt().spawn(async move {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, from)) = udp.recv_from(&mut buf).await else {
                continue;
            };
            if let Some(mut resp) = dns_response(&buf[..n], &*p) {
                if resp.len() > 512 {
                    resp = truncated(&buf[..n], &resp);
                }
                let _ = udp.send_to(&resp, from).await;
            }
        }
    });
    rt().spawn(async move {
        loop {
            let Ok((mut s, _)) = tcp.accept().await else {
                continue;
            };
            let p = policy.clone();
            tokio::spawn(async move {
                loop {
                    let mut len = [0u8; 2];
                    if s.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut q = vec![0u8; usize::from(u16::from_be_bytes(len))];
                    if s.read_exact(&mut q).await.is_err() {
                        return;
                    }
                    match dns_response(&q, &*p) {
                        Some(resp) => {
                            let mut framed = (resp.len() as u16).to_be_bytes().to_vec();
                            framed.extend_from_slice(&resp);
                            if s.write_all(&framed).await.is_err() {
                                return;
                            }
                        }
                        // Silent: keep the connection open and say nothing.
                        None => drain(&mut s).await,
                    }
                }
            });
        }
    });
    addr
}

/// The question's end offset, lower-case name and type.
fn question(q: &[u8]) -> Option<(usize, String, u16)> {
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    Some((i + 4, labels.join("."), qtype))
}

fn encode_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        v.push(label.len() as u8);
        v.extend_from_slice(label.as_bytes());
    }
    v.push(0);
    v
}

fn dns_response(q: &[u8], policy: &(dyn Fn(&str, u16) -> Answer + Send + Sync)) -> Option<Vec<u8>> {
    let (end, name, qtype) = question(q)?;
    let answer = policy(&name, qtype);
    let mut records: Vec<(u16, Vec<u8>)> = Vec::new();
    let rcode = match &answer {
        Answer::Silent => return None,
        Answer::NxDomain => 3,
        Answer::Empty => 0,
        Answer::Mx(list) => {
            for (pref, exchange) in list {
                let mut rdata = pref.to_be_bytes().to_vec();
                rdata.extend(encode_name(exchange));
                records.push((TYPE_MX, rdata));
            }
            0
        }
        Answer::A(list) => {
            records.extend(list.iter().map(|ip| (TYPE_A, ip.to_vec())));
            0
        }
    };
    let mut r = Vec::with_capacity(64 + records.len() * 40);
    r.extend_from_slice(&q[..2]);
    r.push(0x84 | (q[2] & 0x01)); // QR, AA, RD as asked
    r.push(0x80 | rcode); // RA
    r.extend_from_slice(&1u16.to_be_bytes());
    r.extend_from_slice(&(records.len() as u16).to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0]);
    r.extend_from_slice(&q[12..end]);
    for (rtype, rdata) in records {
        r.extend_from_slice(&[0xc0, 0x0c]);
        r.extend_from_slice(&rtype.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(&rdata);
    }
    Some(r)
}

/// The header and question of `resp` with TC set and no records.
fn truncated(q: &[u8], resp: &[u8]) -> Vec<u8> {
    let end = question(q).map_or(12, |(e, _, _)| e);
    let mut r = resp[..12].to_vec();
    r[2] |= 0x02;
    r[6..12].fill(0);
    r.extend_from_slice(&q[12..end]);
    r
}

const LOOPBACK: [u8; 4] = [127, 0, 0, 1];

/// Probes `hostile.test` through a test DNS server; MX hosts are tried on `port`.
fn probe_dns(name: &str, dns: SocketAddr, port: u16, extra: &[&str], exit: i32) -> Outcome {
    let resolver = dns.to_string();
    let port = port.to_string();
    let mut args: Vec<&str> = vec!["--resolver", &resolver, "--port", &port, "-4"];
    args.extend_from_slice(extra);
    probe(name, TARGET, &args, secs(2), exit)
}

fn refused_port() -> u16 {
    smtpdoctor::server::refused_addr().port()
}

#[test]
fn five_hundred_mx_records() {
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => Answer::Mx(
            (0..500)
                .map(|i| (10 + (i % 7) as u16, format!("mx{i}.hostile.test")))
                .collect(),
        ),
        (n, TYPE_A) if n.starts_with("mx") => Answer::A(vec![LOOPBACK]),
        (n, _) if n.ends_with(".arpa") => Answer::NxDomain,
        _ => Answer::Empty,
    }));
    let o = probe_dns("500 MX records", dns, refused_port(), &[], 2);
    let mx = o.doc["dns"]["mx"].as_array().expect("dns.mx");
    assert_eq!(mx.len(), 500);
    let prefs: Vec<u64> = mx
        .iter()
        .map(|h| h["preference"].as_u64().unwrap())
        .collect();
    assert!(
        prefs.windows(2).all(|w| w[0] <= w[1]),
        "ordered by preference"
    );
    assert!(o.has("connect-refused"), "{:?}", o.ids());
    // Like an MTA, the probe gives up after a bounded number of addresses.
    let tried = o.doc["attempts"].as_array().unwrap().len();
    assert_eq!(tried, smtpdoctor::probe::MAX_ADDRESSES_TRIED);
    let skipped = o.doc["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["skipped"]
                .as_str()
                .is_some_and(|s| s.contains("were tried already"))
        })
        .count();
    assert_eq!(skipped, 500 - tried);
}

#[test]
fn mx_records_pointing_at_names_without_addresses() {
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => Answer::Mx(vec![
            (10, "mx1.hostile.test".into()),
            (20, "mx2.hostile.test".into()),
        ]),
        ("mx2.hostile.test", _) => Answer::NxDomain,
        (n, _) if n.ends_with(".arpa") => Answer::NxDomain,
        _ => Answer::Empty,
    }));
    let o = probe_dns("MX to names without addresses", dns, refused_port(), &[], 2);
    assert!(o.has("mx-none-usable"), "{:?}", o.ids());
    assert!(o.has("mx-target-invalid"), "{:?}", o.ids());
    assert!(o.doc["attempts"].as_array().unwrap().is_empty());
}

#[test]
fn mx_pointing_at_a_loopback_port_where_nothing_listens() {
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => Answer::Mx(vec![(10, "mx.hostile.test".into())]),
        ("mx.hostile.test", TYPE_A) => Answer::A(vec![LOOPBACK]),
        (n, _) if n.ends_with(".arpa") => Answer::NxDomain,
        _ => Answer::Empty,
    }));
    let o = probe_dns("MX to a closed loopback port", dns, refused_port(), &[], 2);
    assert_eq!(o.ids(), vec!["connect-refused".to_string()]);
    assert_eq!(o.attempt(0)["address"], "127.0.0.1");
}

#[test]
fn dns_server_that_never_answers() {
    let dns = dns_server(Arc::new(|_: &str, _| Answer::Silent));
    let o = probe_dns("silent DNS server", dns, refused_port(), &[], 2);
    assert!(o.has("mx-lookup-failed"), "{:?}", o.ids());
    assert_eq!(o.doc["dns"]["error"]["kind"], "timeout");
}

#[test]
fn five_hundred_mx_records_whose_addresses_never_come() {
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => Answer::Mx(
            (0..500)
                .map(|i| (10, format!("mx{i}.hostile.test")))
                .collect(),
        ),
        _ => Answer::Silent,
    }));
    let o = probe_dns(
        "500 MX, silent address lookups",
        dns,
        refused_port(),
        &[],
        2,
    );
    assert!(o.has("mx-none-usable"), "{:?}", o.ids());
}

#[test]
fn escapes_in_mx_names() {
    // A DNS label may carry any byte: the names are shown escaped.
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => {
            Answer::Mx(vec![(10, "mx\u{1b}[31m\u{202e}.hostile.test".into())])
        }
        _ => Answer::NxDomain,
    }));
    let o = probe_dns("escapes in MX names", dns, refused_port(), &[], 2);
    assert!(o.has("mx-none-usable"), "{:?}", o.ids());
    let text = &o.text.stdout;
    assert!(!text.contains(&0x1b));
    let exchange = o.doc["dns"]["mx"][0]["exchange"].as_str().unwrap();
    assert!(
        !exchange.contains('\u{1b}'),
        "names come escaped: {exchange}"
    );
}

#[test]
fn every_mx_host_floods_its_greeting() {
    // Each attempt fills the per-attempt bounds; the probe as a whole must stay bounded too.
    let flood = serve(|mut s| async move {
        let mut line = b"220-".to_vec();
        line.extend(std::iter::repeat_n(b'z', 4500));
        line.extend_from_slice(b"\r\n");
        let block = line.repeat(999);
        let _ = s.write_all(&block).await;
    });
    let dns = dns_server(Arc::new(|name: &str, qtype| match (name, qtype) {
        ("hostile.test", TYPE_MX) => Answer::Mx(
            (0..8)
                .map(|i| (10 + i as u16, format!("mx{i}.hostile.test")))
                .collect(),
        ),
        (n, TYPE_A) if n.starts_with("mx") => Answer::A(vec![LOOPBACK]),
        (n, _) if n.ends_with(".arpa") => Answer::NxDomain,
        _ => Answer::Empty,
    }));
    let resolver = dns.to_string();
    let port = flood.port().to_string();
    let o = probe(
        "every MX host floods",
        TARGET,
        &["--resolver", &resolver, "--port", &port, "-4", "--all"],
        secs(10),
        2,
    );
    let attempts = o.doc["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 8);
    assert!(o.has("close-without-421"), "{:?}", o.ids());
    let last = &attempts[7]["limits"];
    assert!(last["truncated_lines"].as_u64().unwrap() > 0, "{last}");
}

#[test]
fn escapes_in_certificate_names() {
    use rcgen::{CertificateParams, DnType, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut params = CertificateParams::new(vec![
        "mx\u{1b}[31m.hostile.test".to_string(),
        "evil\u{7}.hostile.test".to_string(),
    ])
    .expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        DnType::CommonName,
        "\u{1b}]0;pwned\u{7}mx \u{202e}tset.elitsoh",
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "zero\u{200b}width \u{9b}31m");
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = starttls_server(READY, move |s| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(s).await else {
                return;
            };
            let mut buf = Vec::new();
            while let Some(cmd) = read_cmd(&mut tls, &mut buf).await {
                let reply: &[u8] = match cmd.get(..4).unwrap_or("") {
                    "EHLO" => b"250-mx.hostile.test\r\n250 8BITMIME\r\n",
                    "QUIT" => {
                        let _ = tls.write_all(b"221 Bye\r\n").await;
                        let _ = tls.shutdown().await;
                        return;
                    }
                    _ => b"250 Ok\r\n",
                };
                if tls.write_all(reply).await.is_err() {
                    return;
                }
            }
        }
    });
    let injected: &[&[u8]] = &[
        b"\x1b",
        b"\x07",
        "\u{202e}".as_bytes(),
        "\u{200b}".as_bytes(),
        b"\xc2\x9b",
    ];
    // An untrusted certificate is a warning; the dialogue goes on inside TLS.
    let o = probe_server("escapes in certificate names", addr, &[], secs(3), 1);
    assert!(o.has("tls-cert-untrusted"), "{:?}", o.ids());
    let chain = o.attempt(0)["tls"]["chain"].as_array().expect("chain");
    let subject = chain[0]["subject"].as_str().unwrap();
    assert!(subject.contains("pwned"), "{subject}");
    assert_escaped_in_every_text_mode("escapes in certificate names", addr, &o, injected);
    let verbose = run_binary(
        &[
            "probe",
            TARGET,
            SERVER,
            &addr.to_string(),
            "--timeout",
            "3s",
            "--color",
            "never",
            "-v",
        ]
        .map(String::from),
        secs(30),
    );
    let text = String::from_utf8(verbose.stdout).unwrap();
    assert!(
        text.contains("pwned"),
        "the verbose chain shows the subject: {text}"
    );
}
