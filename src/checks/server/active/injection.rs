//! `starttls-injection`: a plaintext command executed inside TLS (CVE-2011-0411).

use super::*;

pub(super) fn starttls_injection(rec: &Record) -> Vec<Finding> {
    let Some(w) = test_write(rec, "starttls-injection") else {
        return vec![];
    };
    let Some(h) = (w + 1..rec.events.len())
        .find(|&i| matches!(rec.events[i].kind, EventKind::TlsHandshake { ok: true, .. }))
    else {
        return vec![];
    };
    // The server spoke inside TLS before anything was sent there, or answered more commands
    // inside TLS than were sent there (NOOP and QUIT): the first reply is the injected NOOP's.
    let next = write_after(rec, h).unwrap_or(rec.events.len());
    let unprompted = rec
        .server_lines
        .iter()
        .position(|l| l.first_read > h && l.first_read < next);
    let inside: Vec<&ReplyRecord> = rec
        .replies
        .iter()
        .filter(|r| {
            rec.server_lines
                .get(r.first_line)
                .is_some_and(|l| l.first_read > h)
                && r.code != Some(221)
        })
        .collect();
    let Some(i) = unprompted.or_else(|| (inside.len() >= 2).then(|| inside[0].first_line)) else {
        return vec![];
    };
    let line = &rec.server_lines[i];
    vec![Finding::new(
        "starttls-cmd-injection",
        Stage::Test("starttls-injection"),
        Anchor::Line(i),
        "The server executed a command sent in plaintext along with STARTTLS, inside TLS (CVE-2011-0411)",
        format!(
            "sent `{}` in one write; {} after the TLS handshake the server said `{}`, an \
             answer to the NOOP sent in plaintext",
            escape_bytes(written(rec, w)),
            ms(between(rec, h, line.first_read)),
            escape_bytes(&line.raw())
        ),
    )]
}
