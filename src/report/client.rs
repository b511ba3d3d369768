//! The client report (SPEC §8): one connection a server recorded, judged by the client checks; its JSON document `smtpdoctor.client-report/v1`.
//!
//! The transcript is the same model as a probe's, built from the server's record (client lines
//! with their reads, server lines from the server's writes); the verdict is the worst severity
//! of the findings (SPEC §2). Keys are written in lexicographic order, as in `report/v1`.

use crate::checks::{Anchor, Finding};
use crate::knowledge::Severity;
use crate::record::{EventKind, Record};
use crate::report::document::{FindingDoc, KeysSorted, Tool, TranscriptDoc, round};
use crate::report::{Transcript, Verdict};
use crate::server::ClientRecord;
use crate::wire::request::hex;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::SystemTime;

/// Schema identifier of the client report.
pub const CLIENT_SCHEMA: &str = "smtpdoctor.client-report/v1";

/// One connection judged from the server's side.
#[derive(Debug, Clone)]
pub struct ClientReport {
    /// `mock` (or `proxy`).
    pub mode: &'static str,
    /// The scenario served.
    pub scenario: &'static str,
    /// The address the server listened on.
    pub listen: Option<SocketAddr>,
    /// The connection's number, from 1.
    pub n: u64,
    /// The client's address.
    pub peer: Option<SocketAddr>,
    /// When the connection was accepted.
    pub started_at: SystemTime,
    /// How long it lasted, ms.
    pub duration_ms: f64,
    /// Everything the server recorded.
    pub record: Record,
    /// The client findings, `attempt` set to the connection's number.
    pub findings: Vec<Finding>,
    /// The proxy's side of it: upstream and TLS (None for the mock).
    pub proxy: Option<ProxySide>,
}

/// What a proxy report adds: where it relayed to, how TLS went, how the session ended.
#[derive(Debug, Clone)]
pub struct ProxySide {
    /// The upstream as named on the command line, with the address used.
    pub upstream: String,
    /// `passthrough` or `terminate`.
    pub mode: &'static str,
    /// The upstream's TLS (terminate mode).
    pub upstream_tls: Option<crate::record::tls::TlsInfo>,
    /// Fingerprint of the certificate shown to the client (terminate mode).
    pub certificate_sha256: Option<String>,
    /// The session did not get through: the upstream was unreachable, a wait ran out, TLS
    /// failed (SPEC §2: critical).
    pub incomplete: bool,
}

impl ClientReport {
    /// Judges a connection the mock recorded.
    pub fn of_mock(c: ClientRecord) -> ClientReport {
        let mut findings = crate::checks::client::check(&c.record);
        for f in &mut findings {
            f.attempt = Some(c.n as usize);
        }
        ClientReport {
            mode: "mock",
            scenario: c.scenario,
            listen: c.local,
            n: c.n,
            peer: c.peer,
            started_at: c.started_at,
            duration_ms: c.duration.as_secs_f64() * 1000.0,
            record: c.record,
            findings,
            proxy: None,
        }
    }

    /// Judges a connection the proxy relayed: the client findings and the upstream's.
    pub fn of_proxy(p: crate::server::proxy::ProxyRecord) -> ClientReport {
        use crate::record::attempt::Outcome;
        let findings = crate::server::proxy::findings(&p);
        let incomplete = p.outcome != Outcome::Completed;
        ClientReport {
            mode: "proxy",
            scenario: "",
            listen: p.listen,
            n: p.n,
            peer: p.peer,
            started_at: p.started_at,
            duration_ms: p.duration.as_secs_f64() * 1000.0,
            findings,
            proxy: Some(ProxySide {
                upstream: format!("{} ({})", p.upstream_host, p.upstream),
                mode: p.mode.name(),
                upstream_tls: p.upstream_tls,
                certificate_sha256: p.certificate_sha256,
                incomplete,
            }),
            record: p.record,
        }
    }

    /// The verdict: the worst severity (SPEC §2).
    pub fn verdict(&self) -> Verdict {
        if self.proxy.as_ref().is_some_and(|p| p.incomplete) {
            return Verdict::Error;
        }
        match self.findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => Verdict::Error,
            Some(Severity::Warning) => Verdict::Warning,
            _ => Verdict::Ok,
        }
    }

    /// Counts per severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
    }

    /// The report with its transcript built, findings attached.
    pub fn annotate(&self) -> AnnotatedClient<'_> {
        AnnotatedClient {
            report: self,
            transcript: Transcript::with_findings(&self.record, self.n as usize, &self.findings),
        }
    }
}

/// A client report with its transcript, built once.
#[derive(Debug)]
pub struct AnnotatedClient<'a> {
    /// The report.
    pub report: &'a ClientReport,
    /// The connection's transcript.
    pub transcript: Transcript<'a>,
}

impl AnnotatedClient<'_> {
    /// The transcript index a finding points at.
    pub fn transcript_index(&self, f: &Finding) -> Option<usize> {
        self.transcript.position(f.anchor)
    }
}

/// The whole `smtpdoctor.client-report/v1` document of one connection. It reads back too: the
/// printers render from it (see [`crate::report::document`]).
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientDocument<'a> {
    /// `n`, `peer`, `started_at`, `duration_ms`.
    pub connection: ConnectionDoc,
    /// The exit code of the verdict.
    pub exit_code: i32,
    /// Every finding (`attempt` is the connection number).
    pub findings: Vec<FindingDoc<'a>>,
    /// What was not kept of the connection.
    pub limits: ClientLimitsDoc,
    /// The address listened on.
    pub listen: Option<String>,
    /// Each message whose final dot was received.
    pub messages: Vec<MessageDoc<'a>>,
    /// `mock` or `proxy`.
    pub mode: Cow<'a, str>,
    /// The scenario served (mock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Cow<'a, str>>,
    /// [`CLIENT_SCHEMA`].
    pub schema: Cow<'a, str>,
    /// The client's TLS, null without TLS (mock); the proxy's TLS object (proxy).
    pub tls: Option<TlsField<'a>>,
    /// Name and version of the tool.
    pub tool: Tool<'a>,
    /// The transcript, entry by entry.
    pub transcript: TranscriptDoc<'a>,
    /// The upstream relayed to (proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Cow<'a, str>>,
    /// The verdict.
    pub verdict: Verdict,
}

/// `tls`: the mock's view of the client's TLS, or the proxy's object of SPEC §8.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum TlsField<'a> {
    /// The mock's.
    Mock(TlsDoc<'a>),
    /// The proxy's.
    Proxy(ProxyTlsDoc<'a>),
}

/// The proxy's `tls`: `{certificate_sha256, client, mode, upstream}`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProxyTlsDoc<'a> {
    /// Fingerprint of the certificate shown to the client (terminate mode).
    pub certificate_sha256: Option<Cow<'a, str>>,
    /// The client's TLS as the proxy terminated it.
    pub client: Option<ProxyClientTlsDoc<'a>>,
    /// `passthrough` or `terminate`.
    pub mode: Cow<'a, str>,
    /// The upstream's TLS (the §5 object).
    pub upstream: Option<KeysSorted<Cow<'a, crate::record::tls::TlsInfo>>>,
}

/// The client's side of a terminated TLS.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProxyClientTlsDoc<'a> {
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Cow<'a, str>,
    /// The SNI the client sent.
    pub sni: Option<Cow<'a, str>>,
    /// e.g. `TLSv1.3`.
    pub version: Cow<'a, str>,
}

impl<'a> ClientDocument<'a> {
    /// The document of an annotated client report.
    pub fn new(a: &'a AnnotatedClient<'a>) -> ClientDocument<'a> {
        let r = a.report;
        let verdict = r.verdict();
        ClientDocument {
            connection: ConnectionDoc {
                duration_ms: round(r.duration_ms),
                n: r.n,
                peer: r.peer.map(|p| p.to_string()),
                started_at: humantime::format_rfc3339_millis(r.started_at).to_string(),
            },
            exit_code: verdict.exit_code(),
            findings: r
                .findings
                .iter()
                .map(|f| FindingDoc::new(f, a.transcript_index(f)))
                .collect(),
            limits: ClientLimitsDoc::new(&r.record, &a.transcript),
            listen: r.listen.map(|l| l.to_string()),
            messages: r
                .record
                .client
                .messages
                .iter()
                .map(|m| MessageDoc {
                    accepted: m.accepted,
                    dot_at_ms: round(m.dot_at_us as f64 / 1000.0),
                    duplicate_of: m.duplicate_of.as_ref().map(|d| DuplicateDoc {
                        connection: d.connection,
                        message_id: d.message_id.as_deref().map(Cow::Borrowed),
                    }),
                    message_id: m.message_id.as_deref().map(Cow::Borrowed),
                    reply_written: m.reply_written,
                    sha256: hex(&m.stats.sha256),
                    size: m.stats.content_size,
                })
                .collect(),
            mode: r.mode.into(),
            scenario: r.proxy.is_none().then_some(r.scenario.into()),
            schema: CLIENT_SCHEMA.into(),
            tls: match &r.proxy {
                None => r.record.client.tls.as_ref().map(|t| {
                    TlsField::Mock(TlsDoc {
                        cipher: Cow::Borrowed(&t.cipher),
                        client_sni: t.sni.as_deref().map(Cow::Borrowed),
                        sni: t.sni.as_deref().map(Cow::Borrowed),
                        version: Cow::Borrowed(&t.version),
                    })
                }),
                Some(p) => Some(TlsField::Proxy(ProxyTlsDoc {
                    certificate_sha256: p.certificate_sha256.as_deref().map(Cow::Borrowed),
                    client: r.record.client.tls.as_ref().map(|t| ProxyClientTlsDoc {
                        cipher: Cow::Borrowed(&t.cipher),
                        sni: t.sni.as_deref().map(Cow::Borrowed),
                        version: Cow::Borrowed(&t.version),
                    }),
                    mode: p.mode.into(),
                    upstream: p
                        .upstream_tls
                        .as_ref()
                        .map(|t| KeysSorted(Cow::Borrowed(t))),
                })),
            },
            tool: Tool::default(),
            transcript: TranscriptDoc::Model(&a.transcript),
            upstream: r.proxy.as_ref().map(|p| Cow::Borrowed(p.upstream.as_str())),
            verdict,
        }
    }
}

/// `connection`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionDoc {
    /// How long it lasted, ms.
    pub duration_ms: f64,
    /// Its number, from 1.
    pub n: u64,
    /// The client's address.
    pub peer: Option<String>,
    /// When it was accepted, RFC 3339 with milliseconds.
    pub started_at: String,
}

/// One entry of `messages`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageDoc<'a> {
    /// The server took the message (also when the client left before the reply).
    pub accepted: bool,
    /// When the final dot was read, ms since the connect.
    pub dot_at_ms: f64,
    /// The earlier arrival, when this is a duplicate.
    pub duplicate_of: Option<DuplicateDoc<'a>>,
    /// The Message-ID without `<>`.
    pub message_id: Option<Cow<'a, str>>,
    /// The reply to the dot was written.
    pub reply_written: bool,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Octets after dot-unstuffing, up to and including the CRLF before the final dot.
    pub size: u64,
}

/// `duplicate_of`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DuplicateDoc<'a> {
    /// The earlier connection.
    pub connection: u64,
    /// The Message-ID both carry.
    pub message_id: Option<Cow<'a, str>>,
}

/// `tls`: what the client negotiated (the mock is the server: no chain to verify).
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TlsDoc<'a> {
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Cow<'a, str>,
    /// The SNI the client sent.
    pub client_sni: Option<Cow<'a, str>>,
    /// The TLS server name of the session (the client's SNI).
    pub sni: Option<Cow<'a, str>>,
    /// e.g. `TLSv1.3`.
    pub version: Cow<'a, str>,
}

/// `limits`: what of the connection was counted but not kept.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientLimitsDoc {
    /// Client lines not kept.
    pub dropped_lines: u64,
    /// Messages beyond those described.
    pub dropped_messages: u64,
    /// Read bytes not kept.
    pub dropped_read_bytes: u64,
    /// Server lines beyond the per-reply limit (the upstream's, through a proxy).
    pub dropped_reply_lines: u64,
    /// Bytes of server writes not kept.
    pub dropped_write_bytes: u64,
    /// Server writes not recorded as events.
    pub dropped_writes: u64,
    /// Each limit reached: which, its bound, the transcript entry that says so.
    pub hit: Vec<LimitHit>,
    /// Reads counted with an earlier one.
    pub merged_reads: u64,
    /// Server lines not kept (the upstream's, through a proxy).
    pub server_dropped_lines: u64,
    /// Content bytes of cut server lines not kept.
    pub server_truncated_bytes: u64,
    /// Server lines cut short.
    pub server_truncated_lines: u64,
    /// Content bytes of cut client lines not kept.
    pub truncated_bytes: u64,
    /// Client lines cut short.
    pub truncated_lines: u64,
}

/// One entry of `limits.hit`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitHit {
    /// Limit name.
    pub limit: Cow<'static, str>,
    /// The bound.
    pub max: usize,
    /// The transcript entry that says so.
    pub transcript_index: Option<usize>,
}

impl ClientLimitsDoc {
    fn new(rec: &Record, t: &Transcript) -> ClientLimitsDoc {
        let c = &rec.client;
        ClientLimitsDoc {
            dropped_lines: c.dropped_lines,
            dropped_messages: c.dropped_messages,
            dropped_read_bytes: rec.dropped_read_bytes,
            dropped_reply_lines: rec.dropped_reply_lines,
            dropped_write_bytes: c.dropped_write_bytes,
            dropped_writes: c.dropped_writes,
            hit: rec
                .events
                .iter()
                .enumerate()
                .filter_map(|(i, e)| match e.kind {
                    EventKind::LimitReached { limit } => Some(LimitHit {
                        limit: limit.name().into(),
                        max: limit.max(),
                        transcript_index: t.position(Anchor::Event(i)),
                    }),
                    _ => None,
                })
                .collect(),
            merged_reads: rec.merged_reads,
            server_dropped_lines: rec.dropped_lines,
            server_truncated_bytes: rec.truncated_bytes,
            server_truncated_lines: rec.truncated_lines,
            truncated_bytes: c.truncated_bytes,
            truncated_lines: c.truncated_lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Peer, Stage};
    use crate::report::{Dir, EntryKind};
    use crate::wire::reply::Terminator;

    /// A server's record of a short session: fragmented greeting, HELO written before its end,
    /// a message, a duplicate, the client's close without QUIT.
    fn served() -> Record {
        let mut rec = Record::default();
        rec.push(0, EventKind::Connected { local: None });
        rec.push_server_write(100, false, Stage::Greeting, b"220 mx ");
        let helo = rec.push_client_read(200, false, b"HELO c.test\r\n");
        rec.push_server_write(300, false, Stage::Greeting, b"ESMTP\r\n");
        rec.next_client_line().unwrap();
        rec.push_server_write(400, false, Stage::Ehlo, b"250 mx\r\n");
        rec.push_client_read(500, false, b"DATA\r\n");
        rec.next_client_line().unwrap();
        rec.push_server_write(600, false, Stage::Data, b"354 go\r\n");
        rec.start_client_data(false);
        rec.push_client_read(700, false, b"Message-ID: <a@c>\r\n\r\n..x\r\n");
        rec.push_client_read(800, false, b".\r\n");
        let msg = rec.next_client_line().unwrap();
        let i = rec
            .push_received_message(800, *msg.message().unwrap(), true)
            .unwrap();
        rec.message_duplicate(800, i, 1, Some("a@c".into()));
        rec.push_server_write(900, false, Stage::Data, b"250 ok\r\n");
        rec.message_answered(i, Some(b'2'));
        rec.push_client_eof(1000, false);
        rec.finish_client();
        assert_eq!(helo, 2);
        rec
    }

    fn report(rec: Record) -> ClientReport {
        ClientReport {
            mode: "mock",
            scenario: "clean",
            listen: "127.0.0.1:2525".parse().ok(),
            n: 2,
            peer: "127.0.0.1:40000".parse().ok(),
            started_at: SystemTime::UNIX_EPOCH,
            duration_ms: 1.0,
            findings: crate::checks::client::check(&rec)
                .into_iter()
                .map(|mut f| {
                    f.attempt = Some(2);
                    f
                })
                .collect(),
            record: rec,
            proxy: None,
        }
    }

    #[test]
    fn the_transcript_of_a_server_shows_client_lines_with_reads_and_the_written_replies() {
        let r = report(served());
        let a = r.annotate();
        let lines: Vec<(Dir, String, usize)> = a
            .transcript
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Line(l) => Some((e.dir(), e.text(), l.reads.len())),
                EntryKind::Local(_) => None,
            })
            .collect();
        let want = [
            (Dir::Client, "HELO c.test", 1),
            (Dir::Server, "220 mx ESMTP", 2),
            (Dir::Server, "250 mx", 1),
            (Dir::Client, "DATA", 1),
            (Dir::Server, "354 go", 1),
            (Dir::Client, "Message-ID: <a@c>", 1),
            (Dir::Client, "", 1),
            (Dir::Client, "..x", 1),
            (Dir::Client, ".", 1),
            (Dir::Server, "250 ok", 1),
        ];
        let want: Vec<(Dir, String, usize)> = want
            .iter()
            .map(|(d, t, n)| (*d, t.to_string(), *n))
            .collect();
        assert_eq!(lines, want);
        let dot = a.transcript.iter().find(|e| e.text() == ".").unwrap();
        let line = dot.line().unwrap();
        assert_eq!(
            (line.ending, line.observed, line.reads[0].n),
            (Terminator::CrLf, true, 4)
        );
        // The duplicate's finding stands at the final dot; the close without QUIT at the close.
        for id in ["client-duplicate", "client-no-quit"] {
            assert!(r.findings.iter().any(|f| f.id == id), "{id} missing");
        }
        for f in &r.findings {
            let at = &a.transcript[a.transcript_index(f).expect(f.id)];
            match f.id {
                "client-duplicate" => assert_eq!(at.text(), "."),
                "client-no-quit" => assert_eq!(at.text(), "client closed the connection"),
                // The rest of the client family judges this dialogue too (its own tests).
                _ => {}
            }
        }
        let greeting = a
            .transcript
            .iter()
            .find(|e| e.text().starts_with("220"))
            .unwrap();
        assert_eq!(greeting.line().unwrap().from, Peer::Server);
        assert!(!greeting.line().unwrap().observed);
    }

    #[test]
    fn the_document_has_the_fields_of_spec_8() {
        let r = report(served());
        let a = r.annotate();
        let text = serde_json::to_string(&ClientDocument::new(&a)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, serde_json::to_string(&v).unwrap(), "keys in order");
        assert_eq!(v["schema"], CLIENT_SCHEMA);
        assert_eq!(v["mode"], "mock");
        assert_eq!(v["connection"]["n"], 2);
        assert_eq!(v["connection"]["peer"], "127.0.0.1:40000");
        assert_eq!(v["listen"], "127.0.0.1:2525");
        assert!(v["tls"].is_null());
        let m = &v["messages"][0];
        assert_eq!(m["size"], 25);
        assert_eq!(m["message_id"], "a@c");
        assert_eq!(m["accepted"], true);
        assert_eq!(m["reply_written"], true);
        assert_eq!(m["dot_at_ms"], 0.8);
        assert_eq!(m["duplicate_of"]["connection"], 1);
        assert_eq!(
            m["sha256"],
            hex(
                ring::digest::digest(&ring::digest::SHA256, b"Message-ID: <a@c>\r\n\r\n.x\r\n")
                    .as_ref()
            )
        );
        for e in v["transcript"].as_array().unwrap() {
            match e["dir"].as_str().unwrap() {
                "client" => assert!(!e["reads"].as_array().unwrap().is_empty(), "{e}"),
                "server" => assert!(e.get("reads").is_none(), "{e}"),
                _ => {}
            }
        }
        for f in v["findings"].as_array().unwrap() {
            assert_eq!(f["attempt"], 2);
            assert!(f["transcript_index"].is_u64(), "{f}");
        }
        assert_eq!(v["verdict"], "error");
        assert_eq!(v["exit_code"], 2);
    }
}
