//! The reply parser fed the same bytes in arbitrary chunks must cut the same lines as when it is
//! fed them in one piece; offsets must be consistent and no kept line may exceed MAX_LINE_KEEP.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpdoctor::wire::reply::{MAX_LINE_KEEP, ReplyAssembler, ReplyParser, ServerLine, Terminator};

fn parse(chunks: &[&[u8]]) -> Vec<ServerLine> {
    let mut p = ReplyParser::new();
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        p.feed(i, c);
        out.extend(std::iter::from_fn(|| p.next_line()));
    }
    p.finish();
    out.extend(std::iter::from_fn(|| p.next_line()));
    out
}

fn replies(lines: &[ServerLine]) -> Vec<(Option<u16>, usize, usize)> {
    let mut a = ReplyAssembler::new();
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| a.push(i, l.kind))
        .map(|r| (r.code, r.first_line, r.dropped_lines))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    // The first byte says how many cut points follow; each cut point is one byte (a gap).
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (gaps, wire) = rest.split_at(n);
    let mut chunks = Vec::new();
    let mut at = 0;
    for &g in gaps {
        let end = (at + usize::from(g)).min(wire.len());
        chunks.push(&wire[at..end]);
        at = end;
    }
    chunks.push(&wire[at..]);

    let whole = parse(&[wire]);
    let split = parse(&chunks);
    assert_eq!(whole.len(), split.len(), "line count differs");
    let mut expected_offset = 0u64;
    for (a, b) in whole.iter().zip(&split) {
        assert_eq!(a.content, b.content);
        assert_eq!(a.dropped, b.dropped);
        assert_eq!(a.terminator, b.terminator);
        assert_eq!(a.offset, b.offset);
        assert_eq!(a.kind, b.kind);
        assert!(b.content.len() <= MAX_LINE_KEEP);
        assert_eq!(b.offset, expected_offset, "lines must tile the stream");
        expected_offset += b.wire_len() as u64;
        assert!(!b.reads.is_empty() || b.terminator != Terminator::Unterminated);
        assert!(b.reads.windows(2).all(|w| w[0] < w[1]), "reads ascend");
        assert!(b.first_read <= b.last_read);
    }
    assert_eq!(
        expected_offset,
        wire.len() as u64,
        "every byte belongs to a line"
    );
    assert_eq!(replies(&whole), replies(&split));
});
