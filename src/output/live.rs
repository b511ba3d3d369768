//! The live transcript on a terminal: each line printed as it is recorded, with its time and
//! direction, as telnet or swaks show a dialogue; the judged report follows when the probe ends.
//! Everything from outside is escaped by the same printer as the report's transcript.

use crate::output::text::{Detail, Palette, TextPrinter, host_label};
use crate::record::Record;
use crate::record::attempt::AttemptTarget;
use crate::report::document::EntryDoc;
use crate::report::transcript::Growing;
use crate::session::{LiveEcho, LiveSink, clear_note_line};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One connection's live transcript, written to stdout.
struct LiveTranscript {
    printer: TextPrinter,
    growing: Growing,
    /// The heading, until the first update writes it.
    heading: Option<String>,
}

impl LiveSink for LiveTranscript {
    fn update(&mut self, rec: &Record) {
        let p = Palette {
            on: self.printer.color,
        };
        let mut buf = Vec::new();
        if let Some(h) = self.heading.take() {
            let _ = writeln!(buf);
            let _ = writeln!(buf, "{}", p.bold(&h));
        }
        let printer = &self.printer;
        self.growing.advance(rec, |e| {
            let _ = printer.write_entry(&EntryDoc::new(e), &p, &mut buf);
        });
        if buf.is_empty() {
            return;
        }
        clear_note_line();
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&buf);
        let _ = out.flush();
    }
}

/// The live transcript of every connection a probe opens, numbered as the report numbers them.
pub fn echo(color: bool, detail: Detail) -> LiveEcho {
    let attempts = Arc::new(AtomicUsize::new(0));
    LiveEcho(Arc::new(move |target: &AttemptTarget, test| {
        let label = match test {
            Some(name) => format!("Test {name}"),
            None => format!("Attempt {}", attempts.fetch_add(1, Ordering::Relaxed) + 1),
        };
        let pref = target
            .preference
            .map(|p| format!(" (MX {p})"))
            .unwrap_or_default();
        Box::new(LiveTranscript {
            printer: TextPrinter { color, detail },
            growing: Growing::default(),
            heading: Some(format!(
                "{label}: {}:{}{pref}  (live)",
                host_label(&target.host, &target.addr.ip().to_string()),
                target.addr.port()
            )),
        }) as Box<dyn LiveSink>
    }))
}
