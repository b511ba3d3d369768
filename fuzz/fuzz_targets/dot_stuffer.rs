//! Dot-stuffing in arbitrary chunks: the wire form has no bare CR or LF, ends with the one
//! end-of-data line, and unstuffing it gives the canonical form of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpdoctor::wire::stuff::{DotStuffer, canonical, unstuff};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (gaps, body) = rest.split_at(n);
    let mut s = DotStuffer::new();
    let mut wire = Vec::new();
    let mut at = 0;
    for &g in gaps {
        let end = (at + usize::from(g)).min(body.len());
        s.push(&body[at..end], &mut wire);
        at = end;
    }
    s.push(&body[at..], &mut wire);
    s.finish(&mut wire);
    assert_eq!(s.input_bytes, body.len() as u64);
    for (i, &b) in wire.iter().enumerate() {
        if b == b'\n' {
            assert!(i > 0 && wire[i - 1] == b'\r', "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(wire.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    assert!(wire.ends_with(b".\r\n"));
    let (content, terminated) = unstuff(&wire);
    assert!(terminated);
    assert_eq!(content, canonical(body));
    // The end-of-data line appears exactly once, at the end.
    let eod = wire.windows(5).filter(|w| w == b"\r\n.\r\n").count();
    assert!(eod <= 1);
});
