//! The JSON report document (SPEC §5, schema `smtpdoctor.report/v1`) as typed serde structs.
//!
//! Key order: v1 writes the keys of every object in lexicographic order (the document used to be
//! assembled as `serde_json::Value` maps, which sort their keys), so the structs here declare
//! their fields in that order. Types that other modules own (the DNS answers, TLS details, PTR,
//! DATA result, EHLO capabilities) derive `Serialize` in their own field order; they are written
//! through [`KeysSorted`], which gives them the same key order. A unit test holds the whole
//! document to it.
//!
//! Transcripts are serialized entry by entry from the [`Transcript`] model, so writing a document
//! costs no copy of a transcript ([`TranscriptDoc`]).
//!
//! The document also reads back (`Deserialize`, into owned parts): the text and Nagios printers
//! render from it, for a live run and for `smtpdoctor report` alike, so a saved report prints
//! as the run printed it.

use crate::checks::Finding;
use crate::record::attempt::{Attempt, DataResult, EhloResult, Outcome};
use crate::record::dns::{DnsReport, PtrResult};
use crate::record::tls::TlsInfo;
use crate::record::{EventKind, Record};
use crate::report::transcript::{Dir, Entry, EntryKind, ReadRef, Transcript};
use crate::report::{Annotated, PlanEntry, Verdict};
use crate::wire::ehlo::Capability;
use crate::wire::escape::{escape_bytes, escape_str};
use crate::wire::timeouts as rfc_timeouts;
use serde::ser::{Error as _, SerializeSeq, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;

/// Schema identifier.
pub const SCHEMA: &str = "smtpdoctor.report/v1";

/// Milliseconds rounded to µs, as v1 writes durations and times.
pub(crate) fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// Writes a value with the keys of each of its objects in lexicographic order, by way of a
/// `serde_json::Value` (for the small nested parts whose types other modules own).
#[derive(Debug, Clone, Copy)]
pub struct KeysSorted<T>(pub T);

impl<T: Serialize> Serialize for KeysSorted<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0)
            .map_err(S::Error::custom)?
            .serialize(s)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for KeysSorted<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }

    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for KeysSorted<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(KeysSorted)
    }
}

/// The whole document of one probe.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Document<'a> {
    /// The stage the probe aimed at (`--quit-after`).
    pub aimed_stage: Cow<'a, str>,
    /// One per attempt.
    pub attempts: Vec<AttemptDoc<'a>>,
    /// The DNS answers (null with `--server`).
    pub dns: KeysSorted<Cow<'a, Option<DnsReport>>>,
    /// Total duration, ms.
    pub duration_ms: f64,
    /// The monitoring-plugins exit code of the verdict.
    pub exit_code: i32,
    /// Every finding.
    pub findings: Vec<FindingDoc<'a>>,
    /// `true` when the probe was interrupted (SPEC §10); absent otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Things the probe decided not to do.
    pub notes: Cow<'a, [String]>,
    /// Which hosts and addresses were tried or skipped.
    pub plan: Cow<'a, [PlanEntry]>,
    /// Delivery security policy (SPEC §9), null where not evaluated.
    pub policy: KeysSorted<Option<super::policy::PolicyDoc>>,
    /// [`SCHEMA`].
    pub schema: Cow<'a, str>,
    /// Start time, RFC 3339 with milliseconds.
    pub started_at: String,
    /// The target as the user gave it.
    pub target: Cow<'a, str>,
    /// Name and version of the tool.
    pub tool: Tool<'a>,
    /// The verdict.
    pub verdict: Verdict,
}

impl<'a> Document<'a> {
    /// The policy facts and verdicts the text prints its policy lines from.
    pub fn policy_report(&self) -> Option<&super::policy::PolicyReport> {
        self.policy.0.as_ref().map(|p| &p.detail)
    }

    /// The document of an annotated report.
    pub fn new(a: &'a Annotated<'a>) -> Document<'a> {
        let r = a.report;
        let verdict = r.verdict();
        Document {
            aimed_stage: r.aimed.into(),
            attempts: a.attempts().map(|(at, t)| AttemptDoc::new(at, t)).collect(),
            dns: KeysSorted(Cow::Borrowed(&r.dns)),
            duration_ms: round(r.duration_ms),
            exit_code: verdict.exit_code(),
            findings: r
                .findings
                .iter()
                .map(|f| FindingDoc::new(f, a.transcript_index(f)))
                .collect(),
            interrupted: r.interrupted,
            notes: Cow::Borrowed(&r.notes),
            plan: Cow::Borrowed(&r.plan),
            policy: KeysSorted(r.policy.as_ref().map(super::policy::PolicyDoc::new)),
            schema: SCHEMA.into(),
            started_at: humantime::format_rfc3339_millis(r.started_at).to_string(),
            target: Cow::Borrowed(&r.target),
            tool: Tool::default(),
            verdict,
        }
    }
}

/// `tool`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool<'a> {
    /// `smtpdoctor`.
    pub name: Cow<'a, str>,
    /// The package version.
    pub version: Cow<'a, str>,
}

impl Default for Tool<'_> {
    fn default() -> Self {
        Tool {
            name: "smtpdoctor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// One attempt.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttemptDoc<'a> {
    /// Server address.
    pub address: String,
    /// The DATA exchange, with the RFC 5321 minimum timeouts beside it.
    pub data: Option<KeysSorted<DataDoc<'a>>>,
    /// Total time, ms.
    pub duration_ms: f64,
    /// The last EHLO (inside TLS when TLS was negotiated).
    pub ehlo: Option<EhloDoc<'a>>,
    /// The EHLO before STARTTLS.
    pub ehlo_plain: Option<EhloDoc<'a>>,
    /// The stage where the attempt ended, when it did not complete.
    pub failed_stage: Option<String>,
    /// Host name.
    pub host: Cow<'a, str>,
    /// What was not kept, and where each limit was reached.
    pub limits: LimitsDoc,
    /// How the attempt ended.
    pub outcome: Cow<'a, Outcome>,
    /// The attempt this one retried without STARTTLS.
    pub plaintext_retry_of: Option<usize>,
    /// Server port.
    pub port: u16,
    /// MX preference.
    pub preference: Option<u16>,
    /// Reverse DNS of the address.
    pub ptr: KeysSorted<Cow<'a, Option<PtrResult>>>,
    /// Each step with its duration, in order.
    pub stages: Vec<StageDoc>,
    /// The active test this attempt ran.
    pub test: Option<Cow<'a, str>>,
    /// TLS details.
    pub tls: KeysSorted<Cow<'a, Option<TlsInfo>>>,
    /// The transcript, written entry by entry.
    pub transcript: TranscriptDoc<'a>,
}

impl<'a> AttemptDoc<'a> {
    fn new(a: &'a Attempt, t: &'a Transcript<'a>) -> AttemptDoc<'a> {
        AttemptDoc {
            address: a.target.addr.ip().to_string(),
            data: a.data.as_ref().map(|result| {
                KeysSorted(DataDoc {
                    result: Cow::Borrowed(result),
                    rfc_minimum_ms: RfcMinimums::default(),
                })
            }),
            duration_ms: round(a.duration_ms),
            ehlo: a.ehlo.as_ref().map(EhloDoc::new),
            ehlo_plain: a.ehlo_plain.as_ref().map(EhloDoc::new),
            failed_stage: a.failed_stage.as_ref().map(|s| s.name()),
            host: Cow::Borrowed(&a.target.host),
            limits: LimitsDoc::new(&a.record, t),
            outcome: Cow::Borrowed(&a.outcome),
            plaintext_retry_of: a.plaintext_retry_of,
            port: a.target.addr.port(),
            preference: a.target.preference,
            ptr: KeysSorted(Cow::Borrowed(&a.ptr)),
            stages: a
                .stages
                .iter()
                .map(|s| StageDoc {
                    duration_ms: round(s.duration_ms),
                    stage: s.stage.name(),
                })
                .collect(),
            test: a.test.map(Cow::Borrowed),
            tls: KeysSorted(Cow::Borrowed(&a.tls)),
            transcript: TranscriptDoc::Model(t),
        }
    }
}

/// `data`: the DATA result with `rfc_minimum_ms` among its keys.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DataDoc<'a> {
    /// The DATA result.
    #[serde(flatten)]
    pub result: Cow<'a, DataResult>,
    /// The RFC 5321 §4.5.3.2 minimum timeouts of the DATA stages.
    pub rfc_minimum_ms: RfcMinimums,
}

/// `rfc_minimum_ms`, ms.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RfcMinimums {
    /// Each block of message data.
    pub block: u64,
    /// The reply to DATA.
    pub data_reply: u64,
    /// The reply to the final dot.
    pub dot_reply: u64,
}

impl Default for RfcMinimums {
    fn default() -> RfcMinimums {
        RfcMinimums {
            block: rfc_timeouts::DATA_BLOCK.as_millis() as u64,
            data_reply: rfc_timeouts::DATA_INIT.as_millis() as u64,
            dot_reply: rfc_timeouts::DATA_END.as_millis() as u64,
        }
    }
}

/// `ehlo` and `ehlo_plain`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EhloDoc<'a> {
    /// Extensions.
    pub capabilities: KeysSorted<Cow<'a, [Capability]>>,
    /// Domain from the first reply line.
    pub server_name: Cow<'a, str>,
    /// `EHLO` or `HELO`.
    pub verb: Cow<'a, str>,
}

impl<'a> EhloDoc<'a> {
    fn new(e: &'a EhloResult) -> EhloDoc<'a> {
        EhloDoc {
            capabilities: KeysSorted(Cow::Borrowed(&e.capabilities[..])),
            server_name: Cow::Borrowed(&e.server_name),
            verb: e.verb.into(),
        }
    }
}

/// One entry of `stages`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StageDoc {
    /// Duration, ms.
    pub duration_ms: f64,
    /// Stage name.
    pub stage: String,
}

/// `limits`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitsDoc {
    /// Server lines not kept.
    pub dropped_lines: u64,
    /// Read bytes not kept.
    pub dropped_read_bytes: u64,
    /// Lines beyond the per-reply limit.
    pub dropped_reply_lines: u64,
    /// Each limit reached, with where.
    pub hit: Vec<LimitHitDoc>,
    /// Reads counted with an earlier one.
    pub merged_reads: u64,
    /// Content bytes of cut lines not kept.
    pub truncated_bytes: u64,
    /// Lines cut short.
    pub truncated_lines: u64,
}

impl LimitsDoc {
    fn new(rec: &Record, t: &Transcript) -> LimitsDoc {
        LimitsDoc {
            dropped_lines: rec.dropped_lines,
            dropped_read_bytes: rec.dropped_read_bytes,
            dropped_reply_lines: rec.dropped_reply_lines,
            hit: rec
                .events
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e.kind {
                    EventKind::LimitReached { limit } => Some(LimitHitDoc {
                        limit: limit.name().into(),
                        max: limit.max(),
                        transcript_index: t.position(crate::checks::Anchor::Event(i)),
                    }),
                    _ => None,
                })
                .collect(),
            merged_reads: rec.merged_reads,
            truncated_bytes: rec.truncated_bytes,
            truncated_lines: rec.truncated_lines,
        }
    }
}

/// One entry of `limits.hit`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitHitDoc {
    /// Limit name.
    pub limit: Cow<'static, str>,
    /// The bound.
    pub max: usize,
    /// The transcript entry that says so.
    pub transcript_index: Option<usize>,
}

/// `transcript`: serialized entry by entry from the model; read back as entries.
#[derive(Debug, Clone)]
pub enum TranscriptDoc<'a> {
    /// The model of a live run: each entry's document is made as it is written.
    Model(&'a Transcript<'a>),
    /// Entries read from a saved document.
    Entries(Vec<EntryDoc<'a>>),
}

impl TranscriptDoc<'_> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            TranscriptDoc::Model(t) => t.len(),
            TranscriptDoc::Entries(v) => v.len(),
        }
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each entry's document, in order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, EntryDoc<'_>>> {
        let (model, entries) = match self {
            TranscriptDoc::Model(t) => (Some(t.iter()), None),
            TranscriptDoc::Entries(v) => (None, Some(v.iter())),
        };
        let model = model
            .into_iter()
            .flatten()
            .map(|e| Cow::Owned(EntryDoc::new(e)));
        model.chain(entries.into_iter().flatten().map(Cow::Borrowed))
    }
}

impl Serialize for TranscriptDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for e in self.iter() {
            seq.serialize_element(&*e)?;
        }
        seq.end()
    }
}

impl schemars::JsonSchema for TranscriptDoc<'_> {
    fn schema_name() -> Cow<'static, str> {
        "Transcript".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<EntryDoc<'static>>>::json_schema(generator)
    }
}

impl<'de> Deserialize<'de> for TranscriptDoc<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::deserialize(d).map(TranscriptDoc::Entries)
    }
}

/// One transcript entry.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntryDoc<'a> {
    /// Time, ms since the attempt started.
    pub at_ms: f64,
    /// Direction.
    pub dir: Dir,
    /// The server threw the line away without acting on it (client lines of a server's
    /// record; written only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discarded: bool,
    /// Local entries: which event (`connecting`, `connected`, `tls-established`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Cow<'a, str>>,
    /// The exact bytes, escaped (printable ASCII as is, every other byte as `\r`, `\n`, `\t`,
    /// `\\` or `\xHH`).
    pub raw: String,
    /// The reads a line of the observed peer came in (server lines of a probe, client lines of
    /// the mock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<Cow<'a, [ReadRef]>>,
    /// Lines: the exact text without its line ending (invalid UTF-8 as U+FFFD). Local entries:
    /// the event in words, quoted messages escaped as on a terminal (as v1 has it).
    pub text: Cow<'a, str>,
    /// Inside TLS.
    pub tls: bool,
    /// Bytes of a line beyond what was kept, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_bytes: Option<usize>,
    /// The writes that carried a line the recorder wrote (server lines of the mock), when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Cow<'a, [ReadRef]>>,
}

impl<'a> EntryDoc<'a> {
    /// The document of a transcript entry.
    pub fn new(e: &'a Entry<'a>) -> EntryDoc<'a> {
        let (text, reads, writes, truncated_bytes, discarded, event) = match &e.kind {
            EntryKind::Line(l) => (
                l.text(),
                l.observed.then_some(Cow::Borrowed(&l.reads[..])),
                (!l.observed && !l.reads.is_empty()).then_some(Cow::Borrowed(&l.reads[..])),
                (l.dropped > 0).then_some(l.dropped),
                l.discarded,
                None,
            ),
            EntryKind::Local(l) => (
                Cow::Owned(l.describe(escape_str)),
                None,
                None,
                None,
                false,
                Some(Cow::Borrowed(l.event())),
            ),
        };
        EntryDoc {
            at_ms: round(e.at_us as f64 / 1000.0),
            dir: e.dir(),
            discarded,
            event,
            raw: escape_bytes(e.raw()),
            reads,
            text,
            tls: e.tls,
            truncated_bytes,
            writes,
        }
    }
}

/// One finding.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingDoc<'a> {
    /// Attempt number (0-based), null for DNS-level findings.
    pub attempt: Option<usize>,
    /// What was seen.
    pub detail: Cow<'a, str>,
    /// What to do about it.
    pub fix: Cow<'a, str>,
    /// Catalog id.
    pub id: Cow<'a, str>,
    /// RFC section or source.
    pub reference: Cow<'a, str>,
    /// Severity.
    pub severity: crate::knowledge::Severity,
    /// Dialogue stage (SPEC §5 `stage`).
    pub stage: Cow<'a, str>,
    /// One line.
    pub summary: Cow<'a, str>,
    /// The transcript entry it points at, null when none applies.
    pub transcript_index: Option<usize>,
}

impl<'a> FindingDoc<'a> {
    /// The document of a finding that points at transcript entry `transcript_index`.
    pub fn new(f: &'a Finding, transcript_index: Option<usize>) -> FindingDoc<'a> {
        FindingDoc {
            attempt: f.attempt,
            detail: Cow::Borrowed(&f.detail),
            fix: f.fix.into(),
            id: f.id.into(),
            reference: f.reference.into(),
            severity: f.severity,
            stage: f.stage.name().into(),
            summary: Cow::Borrowed(&f.summary),
            transcript_index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testkit::hostile_report;

    fn written(a: &Annotated) -> String {
        serde_json::to_string(&Document::new(a)).unwrap()
    }

    /// The typed document writes its keys in the order v1 has them (lexicographic, at every
    /// level): the same bytes as the document built as a `serde_json::Value`.
    #[test]
    fn keys_are_in_v1_order_at_every_level() {
        let r = hostile_report();
        let a = r.annotate();
        let text = written(&a);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, serde_json::to_string(&value).unwrap());
        // The fixture reaches every part of the document.
        let attempt = &value["attempts"][0];
        for key in ["data", "ehlo", "ehlo_plain", "ptr", "tls", "failed_stage"] {
            assert!(!attempt[key].is_null(), "{key} is null");
        }
        assert!(!value["dns"].is_null());
        assert!(!attempt["limits"]["hit"].as_array().unwrap().is_empty());
        assert!(attempt["transcript"].as_array().unwrap().len() > 10);
    }

    #[test]
    fn lines_carry_exact_text_and_escaped_raw() {
        let r = hostile_report();
        let a = r.annotate();
        let v: serde_json::Value = serde_json::from_str(&written(&a)).unwrap();
        let greeting = &v["attempts"][0]["transcript"][2];
        assert_eq!(greeting["dir"], "server");
        assert_eq!(
            greeting["text"],
            "220 mx \u{1b}[31m\u{fffd} \u{202e} \\ Grüße"
        );
        assert_eq!(
            greeting["raw"],
            "220 mx \\x1b[31m\\xff \\xe2\\x80\\xae \\\\ Gr\\xc3\\xbc\\xc3\\x9fe\\r\\n"
        );
        assert_eq!(greeting["reads"].as_array().unwrap().len(), 2);
        let client = &v["attempts"][0]["transcript"][3];
        assert_eq!(client["dir"], "client");
        assert!(client.get("reads").is_none());
    }

    /// v1 writes local entries as the text printer shows them: quoted messages escaped.
    #[test]
    fn local_text_quotes_messages_escaped() {
        let r = hostile_report();
        let a = r.annotate();
        let v: serde_json::Value = serde_json::from_str(&written(&a)).unwrap();
        let texts: Vec<&str> = v["attempts"][0]["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["dir"] == "local")
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert!(
            texts.contains(&"note \\x1b[2J with \\\\ and \\u{200b}"),
            "{texts:?}"
        );
        assert!(texts.contains(&"TLS handshake complete (TLSv1.3 \\x1b]0;x\\x07)"));
    }

    #[test]
    fn findings_point_at_their_transcript_entries() {
        let r = hostile_report();
        let a = r.annotate();
        let v: serde_json::Value = serde_json::from_str(&written(&a)).unwrap();
        for (f, doc) in r.findings.iter().zip(v["findings"].as_array().unwrap()) {
            assert_eq!(doc["id"], f.id);
            match doc["transcript_index"].as_u64() {
                Some(ti) => {
                    let t = &a.transcripts[f.attempt.unwrap()];
                    assert_eq!(t[ti as usize].anchor, f.anchor);
                }
                None => assert!(
                    f.attempt.is_none() || f.anchor == crate::checks::Anchor::None,
                    "{}",
                    f.id
                ),
            }
        }
    }
}
