//! Hostile clients: `smtpdoctor mock` must stay safe whatever a client sends (SPEC §8, §6).
//!
//! Every case runs the real binary twice (`--json`, and text with `--color never`), each with a
//! client from this process that does the hostile thing, and checks: a valid client report
//! whose exit code is the process's, the wall time (a bound per case), the peak RSS of the mock
//! (at most 64 MiB, measured as in the hostile server suite) and that no client-controlled
//! control byte or escape sequence reaches the text output raw.

use crate::hostile::{RSS_LIMIT_KIB, Run, assert_terminal_safe, run_binary_telling};
use crate::mock::assert_client_report_shape;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The address of a mock's `smtpdoctor mock: serving scenario NAME on ADDR (…)` line.
fn serving_addr(line: &str) -> SocketAddr {
    line.split_once(" on ")
        .and_then(|(_, rest)| rest.split_once(" ("))
        .and_then(|(addr, _)| addr.parse().ok())
        .unwrap_or_else(|| panic!("the mock did not say where it listens: {line:?}"))
}

/// Connects to the mock once it listens.
fn connect(addr: SocketAddr) -> TcpStream {
    let started = Instant::now();
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                return s;
            }
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("the mock does not listen on {addr}: {e}"),
        }
    }
}

/// Reads and throws away what the server sends until it closes (in the background).
fn drain(s: &TcpStream) -> std::thread::JoinHandle<u64> {
    let mut r = s.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut b = [0u8; 65536];
        let mut total = 0u64;
        while let Ok(n) = r.read(&mut b) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    })
}

/// The two runs of one hostile client.
struct Outcome {
    doc: Value,
    text: String,
}

/// Runs `mock --once` in JSON and in text mode, `client` against each, and checks what every
/// case must satisfy.
fn hostile<F>(name: &str, scenario: &str, limit: Duration, client: F) -> Outcome
where
    F: Fn(SocketAddr) + Send + Sync,
{
    let run = |mode: &[&str]| -> Run {
        // Port 0: the mock says where it listens, so no other test's server can hold the port
        // between a free-port probe and the mock's bind.
        let mut args: Vec<String> = [
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            scenario,
            "--once",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(mode.iter().map(|s| s.to_string()));
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel();
            let mock = scope.spawn(move || {
                run_binary_telling(&args, limit + Duration::from_secs(30), Some(tx))
            });
            let first = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("the mock's first stderr line");
            client(serving_addr(&first));
            mock.join().expect("mock run")
        })
    };
    let (json, text) = std::thread::scope(|scope| {
        let json = scope.spawn(|| run(&["--json"]));
        let text = run(&["--color", "never"]);
        (json.join().expect("json run"), text)
    });
    eprintln!(
        "hostile client {name}: exit {}/{}, {} ms/{} ms, peak RSS {} KiB/{} KiB (json/text)",
        json.code,
        text.code,
        json.elapsed.as_millis(),
        text.elapsed.as_millis(),
        json.rss_kib,
        text.rss_kib
    );
    let line = String::from_utf8_lossy(&json.stdout);
    assert_eq!(
        line.lines().count(),
        1,
        "{name}: one report: {}",
        &line[..line.len().min(2000)]
    );
    let doc: Value = serde_json::from_str(line.trim_end()).unwrap_or_else(|e| {
        panic!(
            "{name}: invalid JSON ({e}): {}",
            &line[..line.len().min(2000)]
        )
    });
    assert_client_report_shape(name, &doc);
    for (mode, r) in [("json", &json), ("text", &text)] {
        assert_eq!(
            i64::from(r.code),
            doc["exit_code"].as_i64().unwrap(),
            "{name} ({mode}): exit code; stderr: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            r.elapsed <= limit,
            "{name} ({mode}): took {:?} (limit {limit:?})",
            r.elapsed
        );
        assert!(
            r.rss_kib <= RSS_LIMIT_KIB,
            "{name} ({mode}): peak RSS {} KiB exceeds {RSS_LIMIT_KIB} KiB",
            r.rss_kib
        );
        assert_terminal_safe(name, "stderr", &r.stderr);
    }
    assert_terminal_safe(name, "text stdout", &text.stdout);
    let text = String::from_utf8(text.stdout).expect("text output is UTF-8");
    assert!(text.contains("Verdict: "), "{name}: {text}");
    Outcome { doc, text }
}

fn client_lines(doc: &Value) -> Vec<&Value> {
    doc["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dir"] == "client")
        .collect()
}

#[test]
fn a_line_of_64_mib_without_a_newline() {
    let out = hostile("64 MiB line", "clean", Duration::from_secs(60), |addr| {
        let mut s = connect(addr);
        let reader = drain(&s);
        let chunk = vec![b'x'; 1 << 16];
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = s.shutdown(std::net::Shutdown::Write);
        let _ = reader.join();
    });
    let lines = client_lines(&out.doc);
    assert_eq!(lines.len(), 1, "one line, cut");
    let kept = lines[0]["text"].as_str().unwrap().len();
    assert!(kept <= 4096, "{kept}");
    assert!(
        out.doc["limits"]["truncated_bytes"].as_u64().unwrap() > 60 << 20
            || out.doc["limits"]["truncated_lines"].as_u64().unwrap() >= 1
    );
    assert!(
        out.text.contains("bytes not kept"),
        "{}",
        &out.text[..out.text.len().min(3000)]
    );
}

#[test]
fn a_million_commands() {
    let out = hostile(
        "a million commands",
        "clean",
        Duration::from_secs(120),
        |addr| {
            let mut s = connect(addr);
            let reader = drain(&s);
            let block = b"NOOP\r\n".repeat(10_000);
            for _ in 0..100 {
                if s.write_all(&block).is_err() {
                    break;
                }
            }
            let _ = s.write_all(b"QUIT\r\n");
            let replies = reader.join().unwrap();
            assert!(
                replies > 1_000_000 * 10,
                "every NOOP was answered: {replies} bytes"
            );
        },
    );
    let limits = &out.doc["limits"];
    assert!(
        limits["dropped_lines"].as_u64().unwrap() > 900_000,
        "{limits}"
    );
    assert!(!limits["hit"].as_array().unwrap().is_empty(), "{limits}");
    assert!(out.text.contains("limit reached"), "the text says so");
}

#[test]
fn escape_sequences_in_ehlo() {
    let out = hostile(
        "escapes in EHLO",
        "clean",
        Duration::from_secs(20),
        |addr| {
            let mut s = connect(addr);
            let reader = drain(&s);
            s.write_all(
            b"EHLO \x1b[31mred\x1b[0m\x1b]0;owned\x07\xe2\x80\xae\xc2\x9b2J.example\r\nNOOP \x00\x08\x7f\r\nQUIT\r\n",
        )
        .unwrap();
            reader.join().unwrap();
        },
    );
    let ehlo = client_lines(&out.doc)[0];
    assert_eq!(
        ehlo["raw"],
        "EHLO \\x1b[31mred\\x1b[0m\\x1b]0;owned\\x07\\xe2\\x80\\xae\\xc2\\x9b2J.example\\r\\n"
    );
    assert!(out.text.contains("EHLO \\x1b[31mred"), "{}", out.text);
    assert!(out.text.contains("\\u{202e}"), "{}", out.text);
}

#[test]
fn invalid_utf8_in_commands_and_content() {
    let out = hostile("invalid UTF-8", "clean", Duration::from_secs(20), |addr| {
        let mut s = connect(addr);
        let reader = drain(&s);
        s.write_all(
            b"EHLO \xff\xfe\xc3\x28.example\r\nMAIL FROM:<\xc0\xaf@x>\r\nRCPT TO:<postmaster@demo.test>\r\n",
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        s.write_all(b"DATA\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        s.write_all(b"Subject: \xed\xa0\x80\r\n\r\n\xf8\x88\x80\x80\x80 body\r\n.\r\nQUIT\r\n")
            .unwrap();
        reader.join().unwrap();
    });
    let ehlo = client_lines(&out.doc)[0];
    assert_eq!(ehlo["raw"], "EHLO \\xff\\xfe\\xc3(.example\\r\\n");
    assert!(ehlo["text"].as_str().unwrap().contains('\u{fffd}'));
    assert_eq!(out.doc["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn one_byte_per_second() {
    // The mock has no command deadline shorter than its 5-minute idle time; what is bounded is
    // the time after the client leaves.
    let out = hostile(
        "one byte per second",
        "clean",
        Duration::from_secs(10),
        |addr| {
            let mut s = connect(addr);
            let reader = drain(&s);
            for b in b"EHLO slow" {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            // The reader holds a clone of the socket: close it for both.
            let _ = s.shutdown(std::net::Shutdown::Both);
            let _ = reader.join();
        },
    );
    let line = client_lines(&out.doc)[0];
    assert_eq!(line["text"], "EHLO slow");
    assert!(line["reads"].as_array().unwrap().len() >= 9, "{line}");
}

#[test]
fn reset_in_the_middle_of_a_command() {
    let out = hostile(
        "RST mid-command",
        "clean",
        Duration::from_secs(20),
        |addr| {
            let mut s = connect(addr);
            let mut greeting = [0u8; 256];
            let _ = s.read(&mut greeting);
            s.write_all(b"EHLO client.test\r\nMAIL FROM:<half").unwrap();
            std::thread::sleep(Duration::from_millis(300));
            socket2::SockRef::from(&s)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s);
        },
    );
    let lines = client_lines(&out.doc);
    let last = lines.last().unwrap();
    assert_eq!(last["text"], "MAIL FROM:<half");
    assert!(
        last["raw"].as_str().unwrap().ends_with("half"),
        "no line ending: {last}"
    );
    let closing = out.doc["transcript"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(closing["dir"], "local", "{closing}");
}
