//! `smtpdoctor report`: saved JSON documents (SPEC §5 probe reports, §8 client reports; one
//! document, several, or JSON Lines) read back and printed by the same printers as the run that
//! wrote them.

use crate::config::{Format, OutputConfig};
use crate::report::Dir;
use crate::report::client::{CLIENT_SCHEMA, ClientDocument};
use crate::report::document::{Document, SCHEMA, TranscriptDoc};
use crate::wire::escape::{escape_str, unescape_bytes};
use std::io::{Read, Write};

/// Why a saved report could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    /// Not JSON, or JSON that is not a report.
    #[error("document {n}: {why}")]
    Malformed {
        /// The document's number in the input, from 1.
        n: usize,
        /// What is wrong.
        why: String,
    },
    /// The input holds no document.
    #[error("no JSON document in the input")]
    Empty,
    /// Reading the input or writing the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One document read back.
#[derive(Debug)]
pub enum Saved {
    /// A probe's report (`smtpdoctor.report/v1`).
    Probe(Box<Document<'static>>),
    /// A client report of the mock or the proxy (`smtpdoctor.client-report/v1`).
    Client(Box<ClientDocument<'static>>),
}

impl Saved {
    /// A document from its JSON value, checked.
    pub fn from_value(v: serde_json::Value) -> Result<Saved, String> {
        let schema = v.get("schema").and_then(|s| s.as_str()).map(str::to_string);
        let saved = match schema.as_deref() {
            Some(SCHEMA) => Saved::Probe(Box::new(
                serde_json::from_value(v).map_err(|e| e.to_string())?,
            )),
            Some(CLIENT_SCHEMA) => Saved::Client(Box::new(
                serde_json::from_value(v).map_err(|e| e.to_string())?,
            )),
            Some(other) => {
                return Err(format!(
                    "schema {:?} is not {SCHEMA} nor {CLIENT_SCHEMA}",
                    escape_str(other)
                ));
            }
            None => {
                return Err(format!(
                    "not a smtpdoctor report (no \"schema\" string; expected {SCHEMA} or {CLIENT_SCHEMA})"
                ));
            }
        };
        match &saved {
            Saved::Probe(d) => {
                for (i, a) in d.attempts.iter().enumerate() {
                    check_transcript(&a.transcript)
                        .map_err(|e| format!("attempts[{i}].transcript{e}"))?;
                }
            }
            Saved::Client(d) => {
                check_transcript(&d.transcript).map_err(|e| format!("transcript{e}"))?;
            }
        }
        Ok(saved)
    }

    /// The exit code of the verdict the document holds.
    pub fn exit_code(&self) -> u8 {
        let v = match self {
            Saved::Probe(d) => d.verdict,
            Saved::Client(d) => d.verdict,
        };
        v.exit_code() as u8
    }
}

/// Every line's `raw` must be bytes escaped as v1 writes them: the printer shows those bytes.
fn check_transcript(t: &TranscriptDoc) -> Result<(), String> {
    for (i, e) in t.iter().enumerate() {
        if e.dir != Dir::Local {
            unescape_bytes(&e.raw).map_err(|why| format!("[{i}].raw: {why}"))?;
        }
    }
    Ok(())
}

/// Reads every document of `input` and prints each as `cfg` asks (text or Nagios), as the run
/// that wrote it printed it: one probe report as `probe` prints it; consecutive probe reports,
/// which a run of many targets writes (SPEC §10), in text as that run prints them, a status line
/// each and the summary; client reports after the first separated by a blank line, as the mock
/// and the proxy do. Returns the worst exit code of the verdicts (SPEC §2). A malformed document
/// stops the run with an error (what came before it is printed).
pub fn print_saved(
    input: impl Read,
    cfg: &OutputConfig,
    color: bool,
    out: &mut dyn Write,
) -> Result<u8, SavedError> {
    let printer = super::text::TextPrinter {
        color,
        detail: cfg.detail,
    };
    let mut worst = 0u8;
    let mut clients = 0usize;
    let mut n = 0usize;
    // Text: the probe reports of the current run of consecutive ones, until it is known whether
    // it is one (a report) or many (status lines and a summary).
    let mut group = ProbeGroup {
        nagios: cfg.format == Format::Nagios,
        ..ProbeGroup::default()
    };
    let stream = serde_json::Deserializer::from_reader(std::io::BufReader::new(input))
        .into_iter::<serde_json::Value>();
    for value in stream {
        n += 1;
        let parsed = match value {
            Ok(value) => Saved::from_value(value).map_err(|why| SavedError::Malformed { n, why }),
            Err(e) if e.classify() == serde_json::error::Category::Io => {
                Err(SavedError::Io(e.into()))
            }
            Err(e) => Err(SavedError::Malformed {
                n,
                why: format!("not valid JSON: {e}"),
            }),
        };
        let saved = match parsed {
            Ok(saved) => saved,
            Err(e) => {
                // What came before the bad document is printed, a report held back included.
                group.end(&printer, out)?;
                return Err(e);
            }
        };
        worst = worst.max(saved.exit_code());
        match (saved, cfg.format) {
            (Saved::Probe(d), _) => group.push(d, out)?,
            (Saved::Client(d), Format::Nagios) => {
                group.end(&printer, out)?;
                super::client::write_nagios(&d, out)?
            }
            (Saved::Client(d), _) => {
                group.end(&printer, out)?;
                if clients > 0 {
                    writeln!(out)?;
                }
                super::client::write_text(&printer, &d, out)?;
                clients += 1;
            }
        }
    }
    group.end(&printer, out)?;
    if n == 0 {
        return Err(SavedError::Empty);
    }
    Ok(worst)
}

/// Consecutive probe reports: one prints as a report (or its Nagios line); several print as
/// a run of many targets prints them: in text a status line each and the summary, in Nagios
/// the run's status line and then the targets' lines ([`super::nagios::RunLines`]).
#[derive(Default)]
struct ProbeGroup {
    /// Nagios rather than text.
    nagios: bool,
    /// The first report, held until the next document shows whether more follow.
    first: Option<Box<Document<'static>>>,
    /// The tally, once the group is a run of many.
    many: Option<crate::batch::summary::Summary>,
    /// Nagios: the targets' lines, which follow the run's status line.
    lines: super::nagios::RunLines,
}

impl ProbeGroup {
    fn push(&mut self, d: Box<Document<'static>>, out: &mut dyn Write) -> std::io::Result<()> {
        if self.many.is_none() {
            let Some(first) = self.first.take() else {
                self.first = Some(d);
                return Ok(());
            };
            self.many = Some(Default::default());
            self.one_of_many(&first, out)?;
        }
        self.one_of_many(&d, out)
    }

    fn one_of_many(&mut self, d: &Document, out: &mut dyn Write) -> std::io::Result<()> {
        use crate::batch::summary::{Finished, status_line};
        let f = Finished::from(d);
        if self.nagios {
            self.lines.add(d)?;
        } else {
            writeln!(out, "{}", status_line(&f))?;
        }
        if let Some(summary) = &mut self.many {
            summary.add(&f);
        }
        Ok(())
    }

    /// The group is over: its report, or its summary.
    fn end(
        &mut self,
        printer: &super::text::TextPrinter,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        if let Some(first) = self.first.take() {
            if self.nagios {
                super::nagios::write_document(&first, out)?;
            } else {
                printer.write_document(&first, out)?;
            }
        }
        if let Some(summary) = self.many.take() {
            if self.nagios {
                std::mem::take(&mut self.lines).finish(&summary, out)?;
            } else {
                summary.write_text(out)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ColorChoice, Detail};
    use crate::report::testkit::hostile_report;

    fn cfg(format: Format, detail: Detail) -> OutputConfig {
        OutputConfig {
            format,
            color: ColorChoice::Never,
            detail,
        }
    }

    fn saved(input: &[u8], c: &OutputConfig, color: bool) -> Result<(u8, String), SavedError> {
        let mut out = Vec::new();
        let code = print_saved(input, c, color, &mut out)?;
        Ok((code, String::from_utf8(out).unwrap()))
    }

    fn live(c: &OutputConfig, color: bool) -> String {
        let mut out = Vec::new();
        crate::output::print(&hostile_report(), c, color, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn json() -> Vec<u8> {
        let mut out = Vec::new();
        crate::output::json::write(&hostile_report().annotate(), &mut out).unwrap();
        out
    }

    /// The hostile report reaches every part of the document: read back, it prints as the run
    /// printed it, in every format and detail level, with and without colors.
    #[test]
    fn a_saved_report_prints_as_the_run_did() {
        let doc = json();
        for format in [Format::Text, Format::Nagios] {
            for detail in [Detail::Normal, Detail::Verbose, Detail::Quiet] {
                for color in [false, true] {
                    let c = cfg(format, detail);
                    let (code, text) = saved(&doc, &c, color).unwrap();
                    assert_eq!(text, live(&c, color), "{format:?} {detail:?} {color}");
                    assert_eq!(code, hostile_report().verdict().exit_code() as u8);
                }
            }
        }
        // Pretty-printed, and several documents in a row (JSON Lines).
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        let c = cfg(Format::Text, Detail::Normal);
        assert_eq!(saved(&pretty, &c, false).unwrap().1, live(&c, false));
        // Several in a row (JSON Lines of a run of many targets): a status line each and the
        // summary, as that run prints them; in Nagios, a line each.
        let two = [doc.clone(), doc.clone()].concat();
        let (_, text) = saved(&two, &c, false).unwrap();
        let r = hostile_report();
        let line = crate::batch::summary::status_line(&(&r).into());
        assert!(
            text.starts_with(&format!("{line}\n{line}\n\nSummary: 2 target(s)")),
            "{text}"
        );
        // In Nagios, the run's status line first, then each target's line, named.
        let n = cfg(Format::Nagios, Detail::Normal);
        let nagios = saved(&two, &n, false).unwrap().1;
        let one = live(&n, false);
        let target_line = format!("{}: {one}", escape_str(&r.target));
        assert_eq!(
            nagios,
            format!(
                "SMTP CRITICAL - 2 target(s): 0 ok, 0 warning, 2 error | targets=2 ok=0 warning=0 error=2\n{target_line}{target_line}"
            )
        );
    }

    /// A document written before local entries named their event still shows its TLS details
    /// after the handshake.
    #[test]
    fn documents_without_events_still_print_as_their_run() {
        let mut v: serde_json::Value = serde_json::from_slice(&json()).unwrap();
        for a in v["attempts"].as_array_mut().unwrap() {
            for e in a["transcript"].as_array_mut().unwrap() {
                e.as_object_mut().unwrap().remove("event");
            }
        }
        let c = cfg(Format::Text, Detail::Verbose);
        let (_, text) = saved(&serde_json::to_vec(&v).unwrap(), &c, false).unwrap();
        assert_eq!(text, live(&c, false));
    }

    /// Whatever the input, an error or a rendering; never a panic. Truncated at every point,
    /// garbage, other JSON, wrong types, bad escapes.
    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let doc = json();
        let c = cfg(Format::Text, Detail::Verbose);
        let step = (doc.len() / 400).max(1);
        for cut in (0..doc.len() - 1).step_by(step) {
            match saved(&doc[..cut], &c, false) {
                Err(SavedError::Malformed { n: 1, .. }) | Err(SavedError::Empty) => {}
                other => panic!("cut at {cut}: {:?}", other.map(|(code, _)| code)),
            }
        }
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        let with = |path: &str, new: serde_json::Value| {
            let mut v = v.clone();
            *v.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = new;
            serde_json::to_vec(&v).unwrap()
        };
        let raw_at = (0..)
            .find(|&i| v["attempts"][0]["transcript"][i]["dir"] != "local")
            .unwrap();
        let raw = format!("/attempts/0/transcript/{raw_at}/raw");
        let table: Vec<(&str, Vec<u8>, &str)> = vec![
            ("garbage", b"\x00\xff garbage".to_vec(), "not valid JSON"),
            ("other JSON", b"[1, 2, 3]".to_vec(), "no \"schema\""),
            ("a number", b"42".to_vec(), "no \"schema\""),
            (
                "another schema",
                with("/schema", "other/v9".into()),
                "is not smtpdoctor.report/v1",
            ),
            (
                "attempts not a list",
                with("/attempts", "x".into()),
                "invalid type",
            ),
            (
                "a string for a number",
                with("/attempts/0/port", "25".into()),
                "invalid type",
            ),
            (
                "a port out of range",
                with("/attempts/0/port", 70000.into()),
                "invalid value",
            ),
            (
                "a severity unknown",
                with("/findings/0/severity", "fatal".into()),
                "unknown variant",
            ),
            ("raw with a bad escape", with(&raw, "220 \\q".into()), "raw"),
            (
                "raw with a control byte",
                with(&raw, "220 \u{1b}[2J".into()),
                "raw",
            ),
            (
                "second document truncated",
                [json(), json()[..100].to_vec()].concat(),
                "document 2",
            ),
        ];
        // The good document before a bad one is printed, then the error comes.
        let mut out = Vec::new();
        let r = print_saved(&[json(), b"{]".to_vec()].concat()[..], &c, false, &mut out);
        assert!(matches!(r, Err(SavedError::Malformed { n: 2, .. })));
        assert_eq!(String::from_utf8(out).unwrap(), live(&c, false));
        for (what, input, want) in table {
            match saved(&input, &c, false) {
                Err(e) => assert!(e.to_string().contains(want), "{what}: {e}"),
                Ok(_) => panic!("{what}: accepted"),
            }
        }
        assert!(matches!(saved(b"  \n", &c, false), Err(SavedError::Empty)));
        // Out-of-range indices and hostile text are shown, escaped, not trusted.
        let odd = with("/findings/1/transcript_index", 1_000_000.into());
        saved(&odd, &c, false).unwrap();
        let odd = with("/findings/1/attempt", usize::MAX.into());
        saved(&odd, &c, false).unwrap();
        let odd = with("/findings/0/fix", "\u{1b}]0;pwned\u{7}".into());
        let (_, text) = saved(&odd, &c, false).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
    }
}
