//! The same greeting split at every byte offset, with a real delay between the two pieces.
//! `greeting-fragmented` must be reported exactly when the cut falls inside a line; a multi-line
//! greeting whose lines arrive in separate reads is `greeting-multiline`, not fragmentation.

use crate::common::{finding, ids, run_json, smtpdoctor};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

const GREETING: &[u8] = b"220-mx.demo.test ESMTP\r\n220 mx.demo.test ready\r\n";

/// Pause between the two pieces: long enough that a busy machine still reads them apart.
const DELAY: Duration = Duration::from_millis(250);

/// Cuts probed at the same time.
const BATCH: usize = 8;

/// A one-connection server: the greeting in two writes `delay` apart, then 221 to QUIT.
fn serve_split(cut: usize) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        if cut > 0 {
            s.write_all(&GREETING[..cut]).unwrap();
        }
        std::thread::sleep(DELAY);
        if cut < GREETING.len() {
            s.write_all(&GREETING[cut..]).unwrap();
        }
        let mut line = String::new();
        let mut r = BufReader::new(s.try_clone().unwrap());
        if r.read_line(&mut line).is_ok() && line.starts_with("QUIT") {
            let _ = s.write_all(b"221 2.0.0 Bye\r\n");
        }
    });
    addr
}

fn findings(addr: std::net::SocketAddr) -> (BTreeSet<String>, Value) {
    let (_, doc) = run_json(
        smtpdoctor()
            .args(["probe", "demo.test", "--server", &addr.to_string()])
            .args(["--quit-after", "greeting", "--json"])
            .timeout(Duration::from_secs(30)),
    );
    (ids(&doc), doc)
}

#[test]
fn greeting_split_at_every_offset() {
    let first_line_end = GREETING.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let line_starts = [0, first_line_end, GREETING.len()];
    let cuts: Vec<usize> = (0..=GREETING.len()).collect();
    let mut results: Vec<(usize, BTreeSet<String>, Value)> = Vec::new();
    for batch in cuts.chunks(BATCH) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|&cut| {
                    scope.spawn(move || {
                        let (ids, doc) = findings(serve_split(cut));
                        (cut, ids, doc)
                    })
                })
                .collect();
            results.extend(handles.into_iter().map(|h| h.join().unwrap()));
        });
    }
    for (cut, ids, doc) in results {
        let mut want = BTreeSet::from(["greeting-multiline".to_string()]);
        if !line_starts.contains(&cut) {
            want.insert("greeting-fragmented".to_string());
        }
        assert_eq!(ids, want, "cut at byte {cut}");
        if want.contains("greeting-fragmented") {
            // The finding points at the line that spans the reads, and that line lists both.
            let f = finding(&doc, "greeting-fragmented").unwrap();
            let line =
                &doc["attempts"][0]["transcript"][f["transcript_index"].as_u64().unwrap() as usize];
            assert_eq!(
                line["reads"].as_array().unwrap().len(),
                2,
                "cut at byte {cut}"
            );
            let gap = line["reads"][1]["at_ms"].as_f64().unwrap()
                - line["reads"][0]["at_ms"].as_f64().unwrap();
            // The server waits 200 ms between the pieces; the reads' gap is that, less however
            // late the first read was taken on a loaded machine.
            assert!(gap >= 150.0, "the pieces came {gap} ms apart");
        }
        assert_eq!(doc["exit_code"], if want.len() > 1 { 1 } else { 0 });
    }
}
