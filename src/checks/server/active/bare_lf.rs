//! `bare-lf`: a command ended by a bare LF.

use super::*;

pub(super) fn bare_lf(rec: &Record) -> Vec<Finding> {
    let Some(w) = test_write(rec, "bare-lf") else {
        return vec![];
    };
    // `RSET<LF>RSET<CR><LF>QUIT<CR><LF>`: two positive replies before QUIT's mean the server
    // ended the first RSET at the bare LF; one means it read `RSET<LF>RSET` as one line.
    let positive: Vec<&ReplyRecord> = rec
        .replies
        .iter()
        .filter(|r| r.command_event == Some(w) && r.code != Some(221) && is_positive(r))
        .collect();
    match positive.as_slice() {
        [first, _, ..] => vec![Finding::new(
            "bare-lf-accepted",
            Stage::Test("bare-lf"),
            Anchor::Line(first.first_line),
            "The server accepted a command ended by a bare LF",
            format!(
                "sent `{}`; the server answered `{}` for the `RSET<LF>` and again for the RSET \
                 after it: it ended the command at the bare LF",
                escape_bytes(written(rec, w)),
                reply_wire(rec, first)
            ),
        )],
        _ => vec![],
    }
}
