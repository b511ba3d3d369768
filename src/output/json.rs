//! The JSON printer (SPEC §5, schema `smtpdoctor.report/v1`): writes the typed
//! [`Document`] of a report as one line, transcripts entry by entry.

use crate::report::Annotated;
use crate::report::document::Document;
use std::io::Write;

pub use crate::report::document::SCHEMA;

/// Writes the document as one line. The transcripts are serialized entry by entry from the
/// model, so that memory does not grow with their size beyond the model itself.
pub fn write(a: &Annotated, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Document::new(a))?;
    out.write_all(b"\n")
}

/// The document as a `serde_json::Value` (for tools and tests; [`write()`] streams instead).
pub fn to_value(a: &Annotated) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(Document::new(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testkit::{attempt, read};
    use crate::report::Report;

    fn report(wire: &[u8]) -> Report {
        Report {
            target: "hostile.test".into(),
            started_at: std::time::SystemTime::UNIX_EPOCH,
            duration_ms: 0.0,
            dns: None,
            plan: vec![],
            attempts: vec![
                attempt(vec![read(1, wire)]),
                attempt(vec![read(2, b"220 b\r\n")]),
            ],
            findings: vec![],
            aimed: "rcpt",
            notes: vec![],
            interrupted: false,
        }
    }

    /// Regression: the whole document was built as a `Value` tree before writing, which took
    /// several times the transcript's size (87 MiB for 20000 empty lines). The streamed output
    /// must be the same bytes as the built one.
    #[test]
    fn streamed_document_equals_the_built_one() {
        let r = report(b"220-a\r\n220-\x1b[31m\xff\r\n220 c\r\n");
        let a = r.annotate();
        let mut streamed = Vec::new();
        write(&a, &mut streamed).unwrap();
        let doc = to_value(&a).unwrap();
        let built = serde_json::to_string(&doc).unwrap() + "\n";
        assert_eq!(String::from_utf8(streamed).unwrap(), built);
        assert_eq!(
            doc["attempts"][0]["transcript"][3]["raw"],
            "220-\\x1b[31m\\xff\\r\\n"
        );
        assert_eq!(
            doc["attempts"][0]["transcript"][3]["text"],
            "220-\u{1b}[31m\u{fffd}"
        );
        assert_eq!(doc["attempts"][1]["transcript"][2]["text"], "220 b");
    }

    /// The document is one line, whatever the server sent.
    #[test]
    fn one_line_per_document() {
        let r = report(b"220-a\r\n220-\n\r\x00\r\n220 c\r\n");
        let mut out = Vec::new();
        write(&r.annotate(), &mut out).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(out.ends_with(b"\n"));
    }
}
