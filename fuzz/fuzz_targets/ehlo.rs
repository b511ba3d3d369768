//! EHLO capability parsing over arbitrary reply lines: no panic, and what it returns is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpdoctor::wire::ehlo::Capabilities;
use smtpdoctor::wire::reply::ReplyParser;

fuzz_target!(|data: &[u8]| {
    let mut p = ReplyParser::new();
    p.feed(0, data);
    p.finish();
    let texts: Vec<String> = std::iter::from_fn(|| p.next_line())
        .map(|l| l.text())
        .collect();
    let caps = Capabilities::parse(texts.iter().map(String::as_str));
    assert!(caps.capabilities.len() < texts.len().max(1));
    assert!(!caps.server_name.bytes().any(|b| b.is_ascii_whitespace()));
    for c in &caps.capabilities {
        assert!(!c.keyword.is_empty());
        assert!(caps.has(&c.keyword));
        assert!(!c.params.iter().any(|p| p.is_empty()));
    }
    let _ = caps.size();
    let _ = caps.has("STARTTLS");
});
