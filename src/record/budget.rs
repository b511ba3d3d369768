//! The bounds on what a probe keeps (read bytes, lines, read events), shared by its attempts,
//! and the limits recorded where they are hit.

use crate::wire::reply::{MAX_LINE_KEEP, MAX_REPLY_LINES};

// The budgets below hold for a whole probe: attempts share them (see [`Budget`]), so that
// memory stays bounded however many MX hosts a hostile zone names.

/// Bytes of read data kept while an attempt runs; past this only lengths are recorded. (The
/// bytes are given back once the attempt's checks have run: nothing after them reads them.)
pub const MAX_KEPT_READ_BYTES: usize = 4 * 1024 * 1024;
/// Server lines kept per probe; past this lines are counted, not stored.
pub const MAX_KEPT_LINES: usize = 20_000;
/// Content bytes of server lines kept per probe (the transcripts' size); past this each line
/// keeps only its first [`LINE_KEEP_OVER_BUDGET`] bytes.
pub const MAX_KEPT_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Bytes a line keeps once [`MAX_KEPT_LINE_BYTES`] is spent (its code and the start of its text).
pub const LINE_KEEP_OVER_BUDGET: usize = 64;
/// Read events kept per probe; past this a read is merged into the read event before it, so
/// that a server writing one byte at a time cannot grow the record with the number of writes.
pub const MAX_READ_EVENTS: usize = 10_000;
/// Bytes of a server's own writes (its replies) kept per connection, apart from the read-bytes
/// budget: a client's large message must not cost the replies that the client checks read.
pub const MAX_KEPT_WRITE_BYTES: usize = 1024 * 1024;
/// Lines and read events every attempt may keep even when the probe's budget is spent, so that
/// a later attempt still sees its greeting and EHLO.
pub const ATTEMPT_FLOOR: usize = 100;

/// What is left to keep; a probe passes what one attempt left to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Read bytes ([`MAX_KEPT_READ_BYTES`]).
    pub read_bytes: usize,
    /// Line content bytes ([`MAX_KEPT_LINE_BYTES`]).
    pub line_bytes: usize,
    /// Lines ([`MAX_KEPT_LINES`]).
    pub lines: usize,
    /// Read events ([`MAX_READ_EVENTS`]).
    pub read_events: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            read_bytes: MAX_KEPT_READ_BYTES,
            line_bytes: MAX_KEPT_LINE_BYTES,
            lines: MAX_KEPT_LINES,
            read_events: MAX_READ_EVENTS,
        }
    }
}

impl Budget {
    /// This budget divided by `n` (for connections that must share one probe's bounds).
    pub fn fraction(self, n: usize) -> Budget {
        Budget {
            read_bytes: self.read_bytes / n,
            line_bytes: self.line_bytes / n,
            lines: self.lines / n,
            read_events: self.read_events / n,
        }
    }
}

/// A bound on what is kept of an attempt, recorded when it is first reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A line longer than [`MAX_LINE_KEEP`] bytes: the rest of it is counted.
    LineLength,
    /// A reply of more than [`MAX_REPLY_LINES`] lines: its further lines are counted.
    ReplyLines,
    /// [`MAX_KEPT_LINES`] lines kept: further lines are counted.
    TranscriptLines,
    /// [`MAX_KEPT_LINE_BYTES`] of line content kept: further lines are cut short.
    TranscriptBytes,
    /// [`MAX_KEPT_READ_BYTES`] of read data kept: further reads keep their length only.
    ReadBytes,
    /// [`MAX_READ_EVENTS`] reads recorded: further reads are merged into the last one.
    ReadEvents,
    /// [`MAX_KEPT_WRITE_BYTES`] of a server's own writes kept (in a server's record): further
    /// writes keep their length only.
    WriteBytes,
}

impl Limit {
    /// The name used in JSON (`limits.hit[].limit`).
    pub fn name(self) -> &'static str {
        match self {
            Limit::LineLength => "line-length",
            Limit::ReplyLines => "reply-lines",
            Limit::TranscriptLines => "transcript-lines",
            Limit::TranscriptBytes => "transcript-bytes",
            Limit::ReadBytes => "read-bytes",
            Limit::ReadEvents => "read-events",
            Limit::WriteBytes => "write-bytes",
        }
    }

    /// The bound itself.
    pub fn max(self) -> usize {
        match self {
            Limit::LineLength => MAX_LINE_KEEP,
            Limit::ReplyLines => MAX_REPLY_LINES,
            Limit::TranscriptLines => MAX_KEPT_LINES,
            Limit::TranscriptBytes => MAX_KEPT_LINE_BYTES,
            Limit::ReadBytes => MAX_KEPT_READ_BYTES,
            Limit::ReadEvents => MAX_READ_EVENTS,
            Limit::WriteBytes => MAX_KEPT_WRITE_BYTES,
        }
    }

    /// What happens from here on, for the transcript.
    pub fn describe(self) -> String {
        match self {
            Limit::LineLength => format!(
                "a line longer than {MAX_LINE_KEEP} bytes: the rest of each such line is counted, not kept"
            ),
            Limit::ReplyLines => format!(
                "a reply of more than {MAX_REPLY_LINES} lines: its further lines are counted, not kept"
            ),
            Limit::TranscriptLines => {
                format!("{MAX_KEPT_LINES} lines kept: further lines are counted, not kept")
            }
            Limit::TranscriptBytes => format!(
                "{} MiB of reply text kept: further lines keep their first {LINE_KEEP_OVER_BUDGET} bytes",
                MAX_KEPT_LINE_BYTES >> 20
            ),
            Limit::ReadBytes => format!(
                "{} MiB of read data kept: further reads keep their length only",
                MAX_KEPT_READ_BYTES >> 20
            ),
            Limit::ReadEvents => format!(
                "{MAX_READ_EVENTS} reads recorded: further reads are counted with the last one"
            ),
            Limit::WriteBytes => format!(
                "{} MiB of the server's writes kept: further writes keep their length only",
                MAX_KEPT_WRITE_BYTES >> 20
            ),
        }
    }
}
