//! One attempt: where it went, its record, and what the dialogue got through (EHLO, TLS, DATA).

use crate::record::tls::TlsInfo;
use crate::record::{Record, Stage};
use crate::wire::ehlo::Capabilities;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// One server address to try.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptTarget {
    /// Host name (the MX exchange, `--server` host, or the address itself).
    pub host: String,
    /// Address and port.
    pub addr: SocketAddr,
    /// MX preference when the host came from an MX record.
    pub preference: Option<u16>,
}

/// The EHLO or HELO exchange that succeeded.
#[derive(Debug, Clone, Serialize)]
pub struct EhloResult {
    /// `EHLO` or `HELO`.
    pub verb: &'static str,
    /// Domain from the first reply line.
    pub server_name: String,
    /// Extensions (empty for HELO).
    pub capabilities: Vec<crate::wire::ehlo::Capability>,
    /// Index of the reply in the record.
    #[serde(skip)]
    pub reply: usize,
    /// Inside TLS.
    #[serde(skip)]
    pub tls: bool,
}

impl EhloResult {
    /// The capabilities as a lookup structure.
    pub fn caps(&self) -> Capabilities {
        Capabilities {
            server_name: self.server_name.clone(),
            capabilities: self.capabilities.clone(),
        }
    }
}

/// The duration of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    /// Which stage.
    pub stage: Stage,
    /// Milliseconds from the command (or connect) to the complete reply (or handshake).
    pub duration_ms: f64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Went through the dialogue to the stage aimed at.
    Completed,
    /// TCP connect failed.
    ConnectFailed,
    /// A wait ran out.
    Timeout,
    /// The server closed the connection.
    Closed,
    /// A read or write failed.
    IoError,
    /// The server refused to go on (4xx/5xx where the dialogue cannot continue).
    Refused,
    /// The TLS handshake failed.
    TlsFailed,
    /// `--starttls require` could not be met.
    PolicyFailed,
    /// A reply could not be understood.
    BadReply,
    /// The probe was interrupted (Ctrl-C) before the dialogue got through.
    Interrupted,
}

/// Everything one attempt produced.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Where.
    pub target: AttemptTarget,
    /// The byte-exact record.
    pub record: Record,
    /// The last successful EHLO/HELO (inside TLS when TLS was negotiated).
    pub ehlo: Option<EhloResult>,
    /// The EHLO before STARTTLS, when TLS was negotiated.
    pub ehlo_plain: Option<EhloResult>,
    /// EHLO was refused and HELO was tried: index of the refused EHLO reply.
    pub ehlo_refused: Option<usize>,
    /// TLS details.
    pub tls: Option<TlsInfo>,
    /// Stage durations.
    pub stages: Vec<StageTime>,
    /// How it ended.
    pub outcome: Outcome,
    /// The stage where it ended (when not completed).
    pub failed_stage: Option<Stage>,
    /// Reverse DNS of the address (when DNS was used).
    pub ptr: Option<crate::record::dns::PtrResult>,
    /// Total time, ms.
    pub duration_ms: f64,
    /// Whether QUIT was sent.
    pub quit_sent: bool,
    /// The reply to QUIT, when one came.
    pub quit_reply: Option<usize>,
    /// The DATA exchange, when one was attempted.
    pub data: Option<DataResult>,
    /// The active test this attempt ran (`--test`), `None` for the probe's own dialogue.
    pub test: Option<&'static str>,
    /// This attempt retried attempt N without STARTTLS after its TLS handshake failed, as an
    /// MTA with opportunistic TLS does.
    pub plaintext_retry_of: Option<usize>,
}

impl Attempt {
    /// Whether the TLS handshake after STARTTLS failed or stalled, so that an MTA with
    /// opportunistic TLS (`--starttls auto`) would try again without STARTTLS.
    pub fn starttls_handshake_failed(&self) -> bool {
        self.outcome == Outcome::TlsFailed && self.failed_stage == Some(Stage::Tls)
    }
}

/// What happened during DATA.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DataResult {
    /// Bytes of the message on the wire after the 354: dot-stuffed, the final `\r\n.\r\n`
    /// included (the transcript's "sent N bytes" and the summary show the same number).
    pub bytes_sent: u64,
    /// Content bytes as given, before dot-stuffing.
    pub content_bytes: u64,
    /// DATA command to its reply, ms.
    pub data_reply_ms: Option<f64>,
    /// Transfer of the content, ms.
    pub transfer_ms: Option<f64>,
    /// The slowest single write of a block, ms.
    pub slowest_block_ms: Option<f64>,
    /// Throughput of the transfer, MB/s (10^6 bytes).
    pub throughput_mb_s: Option<f64>,
    /// Final dot to the first line of its reply, ms.
    pub dot_first_line_ms: Option<f64>,
    /// Final dot to the last line of its reply, ms.
    pub dot_reply_ms: Option<f64>,
    /// The reply code to the final dot.
    pub dot_code: Option<u16>,
    /// Queue id named in the reply.
    pub queue_id: Option<String>,
    /// Why the message was not sent, when the probe refused to send it.
    pub not_sent: Option<String>,
    /// Index of the DATA reply in the record.
    #[serde(skip)]
    pub data_reply: Option<usize>,
    /// Index of the reply to the final dot.
    #[serde(skip)]
    pub dot_reply: Option<usize>,
    /// µs time the final dot was written.
    #[serde(skip)]
    pub dot_written_us: Option<u64>,
    /// Event index of the final dot write.
    #[serde(skip)]
    pub dot_event: Option<usize>,
}

impl Attempt {
    /// Whether the attempt reached the stage aimed at.
    pub fn completed(&self) -> bool {
        self.outcome == Outcome::Completed
    }

    /// Whether a wait of this attempt was cut short by an interrupt (Ctrl-C).
    pub fn interrupted(&self) -> bool {
        self.outcome == Outcome::Interrupted
            || self
                .record
                .events
                .iter()
                .any(|e| matches!(e.kind, crate::record::EventKind::Interrupted { .. }))
    }
}
