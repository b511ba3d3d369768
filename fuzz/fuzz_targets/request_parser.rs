//! The request parser fed the same bytes in arbitrary chunks must cut the same lines as when it is
//! fed them in one piece (a DATA command switching to message content as a server does); lines
//! must tile the stream, and no kept line may exceed the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpdoctor::wire::request::{ClientLine, RequestParser, Verb};

/// A small cap, so that overlong lines and messages are common.
const MAX_LINE: usize = 64;

fn parse(chunks: &[&[u8]], lenient: bool) -> Vec<ClientLine> {
    let mut p = RequestParser::with_max_line(MAX_LINE);
    let mut out = Vec::new();
    let take = |p: &mut RequestParser, out: &mut Vec<ClientLine>| {
        while let Some(line) = p.next_line() {
            if line.verb() == Some(Verb::Data) && !line.is_overlong() {
                p.start_data(lenient);
            }
            out.push(line);
        }
    };
    for (i, c) in chunks.iter().enumerate() {
        p.feed(i, c);
        take(&mut p, &mut out);
        assert_eq!(
            p.buffered(),
            0,
            "every fed byte is consumed when no line is left"
        );
    }
    p.finish();
    take(&mut p, &mut out);
    assert_eq!(p.pending_len(), 0, "finish leaves nothing behind");
    out
}

fuzz_target!(|data: &[u8]| {
    // The first byte: bit 7 picks the lenient end of data, the low bits how many cut points follow;
    // each cut point is one byte (a gap).
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let lenient = first & 0x80 != 0;
    let n = usize::from(first % 16).min(rest.len());
    let (gaps, wire) = rest.split_at(n);
    let mut chunks = Vec::new();
    let mut at = 0;
    for &g in gaps {
        let end = (at + usize::from(g)).min(wire.len());
        chunks.push(&wire[at..end]);
        at = end;
    }
    chunks.push(&wire[at..]);

    let whole = parse(&[wire], lenient);
    let split = parse(&chunks, lenient);
    assert_eq!(whole.len(), split.len(), "line count differs");
    let mut expected_offset = 0u64;
    for (a, b) in whole.iter().zip(&split) {
        assert_eq!(a.content, b.content);
        assert_eq!(a.dropped, b.dropped);
        assert_eq!(a.terminator, b.terminator);
        assert_eq!(a.bare_cr, b.bare_cr);
        assert_eq!(a.offset, b.offset);
        assert_eq!(a.kind, b.kind);
        assert!(b.content.len() <= MAX_LINE);
        assert_eq!(b.offset, expected_offset, "lines must tile the stream");
        expected_offset += b.wire_len() as u64;
        if let Some(m) = b.message() {
            assert_eq!(
                m.size,
                b.wire_len() as u64,
                "a message's size is its wire length"
            );
        }
        assert!(b.reads.windows(2).all(|w| w[0] < w[1]), "reads ascend");
        assert!(b.first_read <= b.last_read);
    }
    assert_eq!(
        expected_offset,
        wire.len() as u64,
        "every byte belongs to a line"
    );
});
