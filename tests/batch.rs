//! Many targets (SPEC §10) against a real DNS server: a dnsmasq zone of a few hundred domains,
//! each with its MX on a loopback address of its own (127.20.x.y), served by scripted servers
//! with delays and a mix of faults that count their concurrent connections. Also the Ctrl-C of
//! a single probe against a server that stalls (issue 14, item 10).

use crate::common::lab::{Dns, Zone, free_port};
use crate::common::{BIN, rt};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// How a scripted server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ESMTP with PIPELINING, no STARTTLS: `starttls-absent` (warning).
    Clean,
    /// The greeting ends in a bare LF: `reply-bare-lf` (error).
    BareLf,
    /// 421 at once and a hang-up: `greeting-421`, no attempt gets through (exit 2).
    Busy,
    /// Rejects the recipient: `postmaster-rejected` (error).
    RcptReject,
    /// Accepts and never says a word.
    Stall,
}

/// Connections open now and at most, per address.
#[derive(Default)]
struct Count {
    open: AtomicUsize,
    peak: AtomicUsize,
    accepted: AtomicUsize,
}

/// The scripted servers, one per address, all on one port.
struct Fleet {
    port: u16,
    counts: HashMap<IpAddr, Arc<Count>>,
}

const DOMAINS: usize = 300;
const SHARED_DOMAINS: usize = 30;
const STALLS: usize = 20;
const SHARED_ADDR: Ipv4Addr = Ipv4Addr::new(127, 20, 9, 1);
/// A clean server that greets after a while: in flight when a Ctrl-C comes, done within the grace.
const SLOW_ADDR: Ipv4Addr = Ipv4Addr::new(127, 20, 8, 200);
const SLOW_GREETING: Duration = Duration::from_millis(700);

fn addr_of(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 20, (i / 200) as u8, (i % 200 + 1) as u8)
}

fn stall_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 20, 8, (i + 1) as u8)
}

fn kind_of(i: usize) -> Kind {
    match i % 7 {
        0..=3 => Kind::Clean,
        4 => Kind::BareLf,
        5 => Kind::Busy,
        _ => Kind::RcptReject,
    }
}

/// The greeting delay of server `i`: 0 to 27 ms, so targets finish out of order.
fn delay_of(i: usize) -> Duration {
    Duration::from_millis(((i * 7) % 28) as u64)
}

async fn serve(listener: tokio::net::TcpListener, kind: Kind, delay: Duration, count: Arc<Count>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        let count = count.clone();
        tokio::spawn(async move {
            let now = count.open.fetch_add(1, Ordering::SeqCst) + 1;
            count.peak.fetch_max(now, Ordering::SeqCst);
            count.accepted.fetch_add(1, Ordering::SeqCst);
            let mut closing = Closing(Some(&count.open));
            let _ = converse(sock, kind, delay, &mut closing).await;
            closing.now();
        });
    }
}

/// Takes a connection off the open count once: before the server's last words (221 to QUIT,
/// the 421), so that the count is down before the client can see them, close and connect
/// again; otherwise when the conversation ends. (Counting down after the close would count a
/// client's next connection, accepted on another thread, before its last one is counted out.)
struct Closing<'a>(Option<&'a AtomicUsize>);

impl Closing<'_> {
    fn now(&mut self) {
        if let Some(open) = self.0.take() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

async fn converse(
    sock: tokio::net::TcpStream,
    kind: Kind,
    delay: Duration,
    closing: &mut Closing<'_>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut lines = tokio::io::BufReader::new(r).lines();
    tokio::time::sleep(delay).await;
    match kind {
        Kind::Stall => {
            // Silent until the client goes away.
            while lines.next_line().await?.is_some() {}
            return Ok(());
        }
        Kind::Busy => {
            closing.now();
            w.write_all(b"421 4.3.2 mx.batch.test busy, try later\r\n")
                .await?;
            return Ok(());
        }
        Kind::BareLf => w.write_all(b"220 mx.batch.test ESMTP\n").await?,
        _ => w.write_all(b"220 mx.batch.test ESMTP\r\n").await?,
    }
    while let Some(line) = lines.next_line().await? {
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mx.batch.test\r\n250 PIPELINING\r\n",
            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 2.0.0 ok\r\n",
            "RCPT" if kind == Kind::RcptReject => b"550 5.1.1 no such user\r\n",
            "RCPT" => b"250 2.1.5 ok\r\n",
            "DATA" => {
                w.write_all(b"354 go ahead\r\n").await?;
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                }
                b"250 2.0.0 Ok: queued as 4AbC12\r\n"
            }
            "QUIT" => {
                closing.now();
                w.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 unknown\r\n",
        };
        w.write_all(reply).await?;
    }
    Ok(())
}

/// The zone, the servers and the list, started once for the module.
struct World {
    dns: Dns,
    fleet: Fleet,
    dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut zone = Zone::new(&["batch.test"]);
        let mut servers: Vec<(Ipv4Addr, Kind, Duration)> = Vec::new();
        for i in 0..DOMAINS {
            let mx = format!("mx{i}.batch.test");
            zone = zone
                .mx(&format!("d{i}.batch.test"), 10, &mx)
                .a(&mx, addr_of(i));
            servers.push((addr_of(i), kind_of(i), delay_of(i)));
        }
        for i in 0..SHARED_DOMAINS {
            zone = zone.mx(&format!("s{i}.batch.test"), 10, "shared.batch.test");
        }
        zone = zone.a("shared.batch.test", SHARED_ADDR);
        // Held long enough that probes of the shared host overlap whenever they may.
        servers.push((SHARED_ADDR, Kind::Clean, Duration::from_millis(40)));
        zone = zone
            .mx("slow.batch.test", 10, "slowmx.batch.test")
            .a("slowmx.batch.test", SLOW_ADDR);
        servers.push((SLOW_ADDR, Kind::Clean, SLOW_GREETING));
        for i in 0..STALLS {
            let mx = format!("stallmx{i}.batch.test");
            zone = zone
                .mx(&format!("stall{i}.batch.test"), 10, &mx)
                .a(&mx, stall_addr(i));
            servers.push((stall_addr(i), Kind::Stall, Duration::ZERO));
        }
        let dns = Dns::start(&zone);
        let port = free_port();
        let mut counts = HashMap::new();
        for (ip, kind, delay) in servers {
            let count = Arc::new(Count::default());
            counts.insert(IpAddr::V4(ip), count.clone());
            let listener = rt()
                .block_on(tokio::net::TcpListener::bind(SocketAddr::from((ip, port))))
                .unwrap_or_else(|e| panic!("bind {ip}:{port}: {e}"));
            rt().spawn(serve(listener, kind, delay, count));
        }
        let dir = tempfile::tempdir().unwrap();
        // The list: every domain, the shared-MX domains, duplicates in other spellings,
        // comments, blank lines and lines that are no target.
        let mut list = String::from("# the batch test list\r\n\r\n");
        for i in 0..DOMAINS {
            list.push_str(&format!("d{i}.batch.test\n"));
            if i % 50 == 0 {
                list.push_str(&format!("  D{i}.Batch.Test.  # again\r\n"));
            }
        }
        for i in 0..SHARED_DOMAINS {
            list.push_str(&format!("s{i}.batch.test\n"));
        }
        list.push_str("not a domain!\n\u{1b}[31mred\n\n# end\n");
        std::fs::write(dir.path().join("list.txt"), list).unwrap();
        World {
            dns,
            fleet: Fleet { port, counts },
            dir,
        }
    })
}

/// The tests of this module one at a time: they share the servers and count their connections.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Targets in the list (distinct, valid) and lines that are no target.
const LISTED: usize = DOMAINS + SHARED_DOMAINS;
const INVALID: usize = 2;

fn list() -> String {
    world().dir.path().join("list.txt").display().to_string()
}

/// The options every probe of these tests takes.
fn probe_args(w: &World) -> Vec<String> {
    vec![
        "probe".into(),
        "--resolver".into(),
        w.dns.resolver_arg(),
        "--port".into(),
        w.fleet.port.to_string(),
        "--timeout".into(),
        "20s".into(),
    ]
}

/// Runs the binary with `args`; returns (exit code, stdout, stderr).
fn run(args: &[String]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each line a whole document; by target (a target twice is a failure).
fn documents(stdout: &str) -> BTreeMap<String, Value> {
    let mut docs = BTreeMap::new();
    for line in stdout.lines() {
        let doc: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON document ({e}): {line:.300}"));
        assert_eq!(doc["schema"], "smtpdoctor.report/v1");
        let target = doc["target"].as_str().unwrap().to_string();
        assert!(
            docs.insert(target.clone(), doc).is_none(),
            "{target} reported twice"
        );
    }
    docs
}

/// What a document says, without times: verdict, exit code and the sorted finding ids.
fn gist(doc: &Value) -> (String, i64, Vec<String>) {
    let mut ids: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    (
        doc["verdict"].as_str().unwrap().to_string(),
        doc["exit_code"].as_i64().unwrap(),
        ids,
    )
}

fn gists(docs: &BTreeMap<String, Value>) -> BTreeMap<String, (String, i64, Vec<String>)> {
    docs.iter().map(|(t, d)| (t.clone(), gist(d))).collect()
}

/// The arguments of a run of the whole list: 32 at once, two connections per address.
fn whole_args(w: &World) -> Vec<String> {
    let mut args = probe_args(w);
    args.extend(
        [
            "--targets",
            &list(),
            "-j",
            "32",
            "--per-host",
            "2",
            "--json",
        ]
        .map(String::from),
    );
    args
}

/// The unsharded run of the whole list, done once.
fn whole_run() -> &'static (i32, BTreeMap<String, Value>) {
    static RUN: OnceLock<(i32, BTreeMap<String, Value>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let (code, out, err) = run(&whole_args(world()));
        (code, documents_checked(&out, &err))
    })
}

fn documents_checked(out: &str, err: &str) -> BTreeMap<String, Value> {
    assert!(!out.is_empty(), "no output; stderr: {err}");
    documents(out)
}

#[test]
fn every_target_once_with_the_findings_of_a_single_probe_and_the_worst_exit_code() {
    let _serial = serial();
    let w = world();
    let (code, docs) = whole_run();
    assert_eq!(docs.len(), LISTED + INVALID, "{:?}", docs.keys());
    for i in 0..DOMAINS {
        let doc = &docs[&format!("d{i}.batch.test")];
        let ids = gist(doc).2;
        let expected = match kind_of(i) {
            Kind::Clean => "starttls-absent",
            Kind::BareLf => "reply-bare-lf",
            Kind::Busy => "greeting-421",
            Kind::RcptReject => "postmaster-rejected",
            Kind::Stall => unreachable!(),
        };
        assert!(ids.iter().any(|id| id == expected), "d{i}: {ids:?}");
    }
    let invalid: Vec<&Value> = docs
        .values()
        .filter(|d| d["findings"][0]["id"] == "target-invalid")
        .collect();
    assert_eq!(invalid.len(), INVALID);
    for d in &invalid {
        assert_eq!(d["findings"][0]["stage"], "input");
        assert_eq!(d["findings"][0]["severity"], "error");
        assert!(
            !d["target"].as_str().unwrap().contains('\u{1b}'),
            "the target is escaped"
        );
    }
    assert!(docs.contains_key("not a domain!"));
    let worst = docs
        .values()
        .map(|d| d["exit_code"].as_i64().unwrap())
        .max();
    assert_eq!(Some(*code as i64), worst);
    assert_eq!(*code, 2);

    // The same findings as a probe of one target, for one domain of each kind and a
    // shared-MX domain.
    for t in [
        "d0.batch.test",
        "d4.batch.test",
        "d5.batch.test",
        "d6.batch.test",
        "s3.batch.test",
    ] {
        let mut args = probe_args(w);
        args.extend([t, "--json"].map(String::from));
        let (code, out, err) = run(&args);
        let single: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{t}: {e}: {err}"));
        assert_eq!(gist(&single), gist(&docs[t]), "{t}");
        assert_eq!(code as i64, single["exit_code"].as_i64().unwrap());
    }
}

#[test]
fn per_host_is_never_exceeded() {
    let _serial = serial();
    let w = world();
    // The peaks count from here: other tests of this module run shards side by side, and
    // shards do not share their --per-host slots, so their peaks would be theirs, not this run's.
    for c in w.fleet.counts.values() {
        c.peak.store(0, Ordering::SeqCst);
    }
    let shared = &w.fleet.counts[&IpAddr::V4(SHARED_ADDR)];
    let before = shared.accepted.load(Ordering::SeqCst);
    let (_, out, err) = run(&whole_args(w));
    assert_eq!(documents_checked(&out, &err).len(), whole_run().1.len());
    assert!(shared.accepted.load(Ordering::SeqCst) - before >= SHARED_DOMAINS);
    // Thirty domains on one MX, 32 probes at once: two connections at a time, never more.
    assert_eq!(shared.peak.load(Ordering::SeqCst), 2, "--per-host 2");
    for (ip, c) in &w.fleet.counts {
        assert!(c.peak.load(Ordering::SeqCst) <= 2, "{ip}");
    }
    // With the default of one, the shared host sees one connection at a time.
    let before = shared.accepted.load(Ordering::SeqCst);
    shared.peak.store(0, Ordering::SeqCst);
    let mut args = probe_args(w);
    args.extend(["-j", "16", "--json"].map(String::from));
    args.extend((0..10).map(|i| format!("s{i}.batch.test")));
    let (code, out, _) = run(&args);
    assert_eq!(documents(&out).len(), 10);
    assert_eq!(code, 1, "starttls-absent everywhere");
    assert_eq!(shared.accepted.load(Ordering::SeqCst) - before, 10);
    assert_eq!(shared.peak.load(Ordering::SeqCst), 1);
}

#[test]
fn the_run_resolves_a_shared_mx_host_once() {
    let _serial = serial();
    let w = world();
    // Alone, the probe's own resolver asks once for ten domains.
    let mut args = probe_args(w);
    args.extend(["--json", "-j", "1", "--dane", "off", "--mta-sts", "off"].map(String::from));
    args.extend((10..20).map(|i| format!("s{i}.batch.test")));
    let before = count_queries(&w.dns.log());
    let (_, out, _) = run(&args);
    assert_eq!(documents(&out).len(), 10);
    let after = count_queries(&w.dns.log());
    assert_eq!(
        after - before,
        1,
        "one A query for shared.batch.test for ten domains"
    );
    // With the policy lookups (the default), their resolvers are the run's too: at most one
    // query for the shared host from each (the probe's, the policy lookups' plain and
    // validating ones), however many domains name it.
    let mut args = probe_args(w);
    args.extend(["--json", "-j", "1"].map(String::from));
    args.extend((20..30).map(|i| format!("s{i}.batch.test")));
    let before = count_queries(&w.dns.log());
    let (_, out, _) = run(&args);
    let docs = documents(&out);
    assert_eq!(docs.len(), 10);
    assert!(
        docs.values().all(|d| !d["policy"].is_null()),
        "policy evaluated"
    );
    let asked = count_queries(&w.dns.log()) - before;
    assert!(
        (1..=3).contains(&asked),
        "{asked} A queries for shared.batch.test for ten domains: bounded per run, not per target"
    );
}

fn count_queries(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("query[A] shared.batch.test"))
        .count()
}

#[test]
fn shards_together_equal_the_unsharded_run_also_through_gnu_parallel() {
    let _serial = serial();
    let w = world();
    let (_, whole) = whole_run();
    let whole = gists(whole);
    let mut union = BTreeMap::new();
    for i in 0..4 {
        let args = whole_args(w);
        let mut cmd = Command::new(BIN);
        cmd.args(&args).env("SMTPDOCTOR_SHARD", format!("{i}/4"));
        let out = cmd.output().unwrap();
        let docs = documents(&String::from_utf8(out.stdout).unwrap());
        assert!(
            !docs.is_empty() && docs.len() < whole.len(),
            "shard {i}: {}",
            docs.len()
        );
        for (t, g) in gists(&docs) {
            assert!(union.insert(t.clone(), g).is_none(), "{t} in two shards");
        }
    }
    assert_eq!(union, whole);

    // GNU parallel runs the four shards at once; the JSON Lines concatenated are the run.
    if Command::new("parallel").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU parallel must be installed in CI"
        );
        eprintln!("SKIPPED: GNU parallel is not installed");
        return;
    }
    let out = Command::new("parallel")
        .args(["--will-cite", "-j", "4", BIN])
        .args(args_with(
            w,
            &[
                "--targets",
                &list(),
                "-j",
                "32",
                "--per-host",
                "2",
                "--json",
                "--shard",
                "{}/4",
            ],
        ))
        .args([":::", "0", "1", "2", "3"])
        .output()
        .unwrap();
    let docs = documents(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(gists(&docs), whole);
}

fn args_with(w: &World, extra: &[&str]) -> Vec<String> {
    let mut a = probe_args(w);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn text_gives_a_status_line_per_target_and_a_summary() {
    let _serial = serial();
    let w = world();
    let mut args = probe_args(w);
    args.extend(["-j", "8"].map(String::from));
    args.extend((0..14).map(|i| format!("d{i}.batch.test")));
    let (code, out, _) = run(&args);
    assert_eq!(code, 2);
    let status: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(status.len(), 14, "{out}");
    let summary = out.split("\nSummary: ").nth(1).expect("a summary");
    // Eight clean (starttls-absent: warning), two of each fault (error).
    assert!(
        summary.starts_with("14 target(s): 0 ok, 8 warning, 6 error (exit 2)"),
        "{summary}"
    );
    // Twelve servers lack STARTTLS (all but the two that hang up at once).
    assert!(
        summary.contains("      12  warning  starttls-absent"),
        "{summary}"
    );
    assert!(
        summary.contains("       2  error    reply-bare-lf"),
        "{summary}"
    );
    assert!(
        summary.contains("       2  warning  greeting-421"),
        "{summary}"
    );
}

/// `--format nagios` with many targets: the run's status line first (what a monitor reads),
/// with the counts as performance data, then each target's own line, named, worst first.
#[test]
fn nagios_gives_the_run_status_first_then_each_target_worst_first() {
    let _serial = serial();
    let w = world();
    let mut args = probe_args(w);
    args.extend(["-j", "8", "--format", "nagios"].map(String::from));
    args.extend((0..14).map(|i| format!("d{i}.batch.test")));
    let (code, out, _) = run(&args);
    assert_eq!(code, 2);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 15, "{out}");
    assert_eq!(
        lines[0],
        "SMTP CRITICAL - 14 target(s): 0 ok, 8 warning, 6 error | targets=14 ok=0 warning=8 error=6",
        "{out}"
    );
    let named: BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split_once(": SMTP ").expect("TARGET: SMTP ...").0)
        .collect();
    assert_eq!(named.len(), 14, "each target once: {out}");
    let states: Vec<&str> = lines[1..]
        .iter()
        .map(|l| {
            l.split(": SMTP ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(states[..6], ["CRITICAL"; 6], "{out}");
    assert_eq!(states[6..], ["WARNING"; 8], "{out}");
}

/// Starts the binary with stdout and stderr piped into channels of lines.
fn spawn(
    args: &[String],
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = |r: Box<dyn std::io::Read + Send>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        rx
    };
    let out = lines(Box::new(child.stdout.take().unwrap()));
    let err = lines(Box::new(child.stderr.take().unwrap()));
    (child, out, err)
}

fn sigint(child: &std::process::Child) {
    // SAFETY: kill(2) with the pid of our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
}

/// Waits until `cond` holds (a polled counter the servers keep), at most 20 s.
fn until(what: &str, cond: impl Fn() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn ctrl_c_in_a_run_leaves_whole_documents_and_the_worst_code() {
    let _serial = serial();
    let w = world();
    let stalled = || {
        (0..STALLS)
            .map(|i| {
                w.fleet.counts[&IpAddr::V4(stall_addr(i))]
                    .accepted
                    .load(Ordering::SeqCst)
            })
            .sum::<usize>()
    };
    let before = stalled();
    // Clean domains and silent servers in turn; eight at once, so the silent ones fill the slots.
    let mut list = String::new();
    for i in 0..STALLS {
        list.push_str(&format!("d{}.batch.test\nstall{i}.batch.test\n", i * 7));
    }
    let file = w.dir.path().join("interrupt.txt");
    std::fs::write(&file, list).unwrap();
    let mut args = probe_args(w);
    args.extend(
        [
            "--targets",
            &file.display().to_string(),
            "-j",
            "8",
            "--json",
        ]
        .map(String::from),
    );
    let (mut child, out, err) = spawn(&args);
    until("eight silent servers holding a probe each", || {
        stalled() - before >= 8
    });
    let started = Instant::now();
    sigint(&child);
    // The first Ctrl-C is acknowledged; the second ends the probes in flight at once.
    loop {
        let line = err
            .recv_timeout(Duration::from_secs(10))
            .expect("the interrupt is acknowledged");
        if line.contains("no new probes") {
            break;
        }
    }
    sigint(&child);
    let status = child.wait().unwrap();
    assert!(
        started.elapsed() < smtpdoctor::batch::GRACE,
        "the second Ctrl-C did not wait for the grace"
    );
    let text: Vec<String> = out.iter().collect();
    let docs = documents(&text.join("\n"));
    let interrupted: Vec<&Value> = docs.values().filter(|d| d["interrupted"] == true).collect();
    assert_eq!(
        interrupted.len(),
        8,
        "the eight in flight: {:?}",
        docs.keys()
    );
    for d in &interrupted {
        assert!(d["target"].as_str().unwrap().starts_with("stall"));
        assert_eq!(d["verdict"], "error");
        assert_eq!(d["attempts"][0]["outcome"], "interrupted");
    }
    assert!(
        docs.len() < 2 * STALLS,
        "no new probe started after the Ctrl-C"
    );
    let worst = docs
        .values()
        .map(|d| d["exit_code"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(status.code(), Some(worst as i32));
    assert_eq!(worst, 2);
}

#[test]
fn ctrl_c_of_one_probe_prints_the_judged_report_marked_interrupted() {
    let _serial = serial();
    let w = world();
    for (n, json) in [(STALLS - 1, true), (STALLS - 2, false)] {
        let count = &w.fleet.counts[&IpAddr::V4(stall_addr(n))];
        let before = count.accepted.load(Ordering::SeqCst);
        let mut args = probe_args(w);
        args.push(format!("stall{n}.batch.test"));
        if json {
            args.push("--json".into());
        }
        let (mut child, out, _err) = spawn(&args);
        until("the probe's connection", || {
            count.accepted.load(Ordering::SeqCst) > before
        });
        let started = Instant::now();
        sigint(&child);
        let status = child.wait().unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(status.code(), Some(2), "the aimed stage was not reached");
        let text: Vec<String> = out.iter().collect();
        if json {
            assert_eq!(text.len(), 1);
            let doc: Value = serde_json::from_str(&text[0]).unwrap();
            assert_eq!(doc["interrupted"], true);
            assert_eq!(doc["exit_code"], 2);
            assert_eq!(doc["attempts"][0]["outcome"], "interrupted");
            assert_eq!(doc["attempts"][0]["failed_stage"], "greeting");
            assert!(
                !gist(&doc).2.iter().any(|id| id == "greeting-timeout"),
                "an interrupt is no timeout"
            );
            let last = doc["attempts"][0]["transcript"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert!(
                last["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("interrupted (Ctrl-C)"),
                "{last}"
            );
            assert!(doc["dns"]["mx"][0]["exchange"] == format!("stallmx{n}.batch.test"));
        } else {
            let text = text.join("\n");
            assert!(
                text.contains(&format!(
                    "smtpdoctor probe stall{n}.batch.test  (interrupted)"
                )),
                "{text}"
            );
            assert!(
                text.contains("interrupted (Ctrl-C) while waiting (greeting)"),
                "{text}"
            );
            assert!(text.contains("Verdict: CRITICAL (exit 2)"), "{text}");
        }
    }
}

#[test]
fn the_first_ctrl_c_lets_probes_in_flight_finish_within_the_grace() {
    let _serial = serial();
    let w = world();
    let slow = &w.fleet.counts[&IpAddr::V4(SLOW_ADDR)];
    let stalls: Vec<&Arc<Count>> = (0..3)
        .map(|i| &w.fleet.counts[&IpAddr::V4(stall_addr(i))])
        .collect();
    let accepted = || {
        slow.accepted.load(Ordering::SeqCst)
            + stalls
                .iter()
                .map(|c| c.accepted.load(Ordering::SeqCst))
                .sum::<usize>()
    };
    let before = accepted();
    let mut args = probe_args(w);
    args.extend(
        [
            "-j",
            "4",
            "--json",
            "slow.batch.test",
            "stall0.batch.test",
            "stall1.batch.test",
        ]
        .map(String::from),
    );
    args.extend(["stall2.batch.test", "d0.batch.test"].map(String::from));
    let (mut child, out, _err) = spawn(&args);
    until("four probes connected", || accepted() - before >= 4);
    let started = Instant::now();
    sigint(&child);
    let status = child.wait().unwrap();
    let took = started.elapsed();
    let docs = documents(&out.iter().collect::<Vec<_>>().join("\n"));
    // The slow server greets within the grace: its probe ends as usual, not interrupted.
    let s = &docs["slow.batch.test"];
    assert!(s.get("interrupted").is_none(), "{s}");
    assert_eq!(gist(s).2, ["starttls-absent"]);
    // The silent ones are cut at the end of the grace, judged on what they recorded.
    for i in 0..3 {
        let d = &docs[&format!("stall{i}.batch.test")];
        assert_eq!(d["interrupted"], true);
        assert_eq!(d["attempts"][0]["outcome"], "interrupted");
    }
    assert!(
        !docs.contains_key("d0.batch.test"),
        "no probe starts after the Ctrl-C"
    );
    assert!(took >= smtpdoctor::batch::GRACE, "{took:?}");
    assert!(
        took < smtpdoctor::batch::GRACE + Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(status.code(), Some(2));
}

#[test]
fn data_and_active_tests_in_a_run_find_what_they_find_alone() {
    let _serial = serial();
    let w = world();
    let extra = ["--data", "--test", "bare-lf,unknown-command", "--json"];
    let targets = [
        "d0.batch.test",
        "d4.batch.test",
        "d6.batch.test",
        "s1.batch.test",
    ];
    let mut args = probe_args(w);
    args.extend(["-j", "4"].map(String::from));
    args.extend(extra.map(String::from));
    args.extend(targets.map(String::from));
    let (_, out, err) = run(&args);
    let docs = documents_checked(&out, &err);
    assert_eq!(docs.len(), targets.len());
    for t in targets {
        let mut args = probe_args(w);
        args.extend(extra.map(String::from));
        args.push(t.into());
        let (_, out, err) = run(&args);
        let single: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{t}: {e}: {err}"));
        assert_eq!(gist(&single), gist(&docs[t]), "{t}");
        let tests: Vec<&str> = docs[t]["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["test"].as_str())
            .collect();
        if t != "d6.batch.test" {
            assert_eq!(tests, ["bare-lf", "unknown-command"], "{t}");
        }
    }
    assert_eq!(
        docs["d0.batch.test"]["attempts"][0]["data"]["queue_id"],
        "4AbC12"
    );
}

#[test]
fn the_list_from_stdin_the_rate_cap_and_an_unreadable_list() {
    let _serial = serial();
    let w = world();
    // `--targets -`: the list on standard input; --rate 20 spaces ten connections 50 ms apart.
    let mut args = probe_args(w);
    args.extend(["--targets", "-", "-j", "10", "--rate", "20", "--json"].map(String::from));
    let mut child = Command::new(BIN)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let list: String = (0..10)
        .map(|i| format!("d{}.batch.test\n", i * 7))
        .collect();
    let started = Instant::now();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), list.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let took = started.elapsed();
    let docs = documents(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(docs.len(), 10);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ten clean servers: starttls-absent"
    );
    assert!(
        took >= Duration::from_millis(450),
        "--rate 20 for 10 connections: {took:?}"
    );

    let mut args = probe_args(w);
    args.extend(["--targets", "/nonexistent/list.txt", "--json"].map(String::from));
    let (code, out, err) = run(&args);
    assert_eq!(code, 3);
    assert!(out.is_empty());
    assert!(
        err.contains("cannot read --targets /nonexistent/list.txt"),
        "{err}"
    );
}

/// A list that opens but cannot be read (a directory): exit 3, and the summary says so.
/// A line that is no target is shown escaped once, in JSON, in its finding and in the status
/// line alike (`\x1b`, not `\\x1b`). Neither needs a server.
#[test]
fn an_unreadable_list_is_exit_3_and_invalid_lines_are_escaped_once() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&[
        "probe".into(),
        "--targets".into(),
        dir.path().display().to_string(),
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("cannot read --targets"), "{err}");
    assert!(
        out.contains("(exit 3)"),
        "the summary names the run's exit code: {out}"
    );

    let list = dir.path().join("list.txt");
    std::fs::write(&list, "\u{1b}[31mred\n").unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "probe".to_string(),
            "--targets".into(),
            list.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let (code, out, _) = run(&args(&["--json"]));
    assert_eq!(code, 2);
    let doc: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(doc["target"], "\\x1b[31mred");
    let f = &doc["findings"][0];
    for text in [&f["summary"], &f["detail"]] {
        let text = text.as_str().unwrap();
        assert!(text.contains("\"\\x1b[31mred\""), "{text}");
        assert!(!text.contains("\\\\"), "escaped twice: {text}");
    }
    let (code, out, _) = run(&args(&[]));
    assert_eq!(code, 2);
    assert!(out.starts_with("CRITICAL \\x1b[31mred "), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains("\\\\"), "{out}");
}

#[test]
fn ctrl_c_while_resolving_gives_a_valid_document() {
    // A resolver that reads the query and never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let resolver = silent.local_addr().unwrap().to_string();
    let child = Command::new(BIN)
        .args(["probe", "example.test", "--resolver", &resolver, "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 512];
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    silent.recv_from(&mut buf).expect("the probe's MX query");
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["interrupted"], true);
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(doc["attempts"].as_array().unwrap().len(), 0);
    assert!(
        doc["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("interrupted while resolving"),
        "{doc}"
    );
}

#[test]
fn a_progress_line_on_a_terminal_only() {
    let _serial = serial();
    let w = world();
    let mut args = probe_args(w);
    args.extend(["-j", "4", "--json"].map(String::from));
    args.extend((0..8).map(|i| format!("d{}.batch.test", i * 7)));
    // Not a terminal: stderr stays quiet.
    let (code, out, err) = run(&args);
    assert_eq!(code, 1);
    assert_eq!(documents(&out).len(), 8);
    assert!(!err.contains(" done, "), "{err}");
    // On a terminal (script(1) gives the run a pseudo-terminal), the line is drawn and cleared.
    if Command::new("script").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "script (util-linux) must be installed in CI"
        );
        eprintln!("SKIPPED: script (util-linux) is not installed");
        return;
    }
    let line = std::iter::once(BIN.to_string())
        .chain(args.iter().cloned())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\r\x1b[Ksmtpdoctor: "), "{text:.2000}");
    assert!(text.contains(" in flight, "), "{text:.2000}");
    assert_eq!(
        text.matches("\"schema\":\"smtpdoctor.report/v1\"").count(),
        8,
        "{text:.2000}"
    );
}

/// The environment that stands for `probe_args` when a recipe runs `smtpdoctor` by name.
fn recipe_env(w: &World, cmd: &mut Command) {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap().to_path_buf();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).unwrap())
        .env("SMTPDOCTOR_RESOLVER", w.dns.resolver_arg())
        .env("SMTPDOCTOR_PORT", w.fleet.port.to_string())
        .env("SMTPDOCTOR_TIMEOUT", "20s");
}

/// The shell script of the Indexed Job's container (`args: - |` in deploy/indexed-job.yaml).
fn indexed_job_script() -> String {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/indexed-job.yaml"),
    )
    .unwrap();
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "- |");
    lines.next().expect("the args block");
    let body: Vec<&str> = lines
        .take_while(|l| l.starts_with("              "))
        .map(|l| &l[14..])
        .collect();
    assert!(body.len() > 3, "{body:?}");
    body.join("\n")
}

#[test]
fn the_deploy_recipes_give_the_whole_run() {
    let _serial = serial();
    let w = world();
    let (_, whole) = whole_run();
    let whole = gists(whole);
    // The Kubernetes Indexed Job's command, run for each index as the pods would.
    let script = indexed_job_script();
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets");
    let results = dir.path().join("results");
    std::fs::create_dir_all(&targets).unwrap();
    std::fs::create_dir_all(&results).unwrap();
    std::fs::copy(list(), targets.join("domains.txt")).unwrap();
    let script = script
        .replace("/targets/", &format!("{}/", targets.display()))
        .replace("/results/", &format!("{}/", results.display()));
    let completions = 8;
    assert!(script.contains(&format!("/{completions}\"")), "{script}");
    for index in 0..completions {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script])
            .env("JOB_COMPLETION_INDEX", index.to_string());
        recipe_env(w, &mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "index {index}: findings are no failure: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut merged = String::new();
    for index in 0..completions {
        merged.push_str(
            &std::fs::read_to_string(results.join(format!("shard-{index}.jsonl"))).unwrap(),
        );
    }
    assert_eq!(gists(&documents(&merged)), whole);

    // deploy/parallel.sh with 3 shards on this machine.
    if Command::new("parallel").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU parallel must be installed in CI"
        );
        eprintln!("SKIPPED: GNU parallel is not installed");
        return;
    }
    let mut cmd = Command::new("bash");
    cmd.arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/parallel.sh"))
        .args([&list(), "3"]);
    recipe_env(w, &mut cmd);
    let out = cmd.output().unwrap();
    let docs = documents(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(gists(&docs), whole);
}
