//! The message: MAIL parameters decided before MAIL, DATA, the streamed and dot-stuffed
//! content and the final dot.

use crate::record::decision::NotSent;
use crate::record::{EventKind, Peer, Stage};
use crate::session::conn::{Stream, write_all};
use crate::session::{EhloResult, Outcome, SessionConfig, rfc_timeouts};
use crate::wire::command::Command;
use std::time::{Duration, Instant};

use crate::session::dialogue::Run;

impl Run {
    /// Decides before MAIL whether the message may be sent, and with which MAIL parameters.
    pub(crate) fn mail_params(&mut self, cfg: &SessionConfig) -> Result<Vec<String>, NotSent> {
        use crate::session::message::MessageSpec;
        let Some(spec) = &cfg.message else {
            return Ok(vec![]);
        };
        let caps = self
            .attempt
            .ehlo
            .as_ref()
            .map(EhloResult::caps)
            .unwrap_or_default();
        let known_size = match spec {
            MessageSpec::Size(n) => Some(*n),
            MessageSpec::File(_) => cfg.scan.map(|s| s.canonical_len),
            _ => None,
        };
        if let (Some(Some(limit)), Some(size)) = (caps.size(), known_size)
            && limit > 0
            && size > limit
        {
            return Err(NotSent::OverSizeLimit { size, limit });
        }
        if let Some(scan) = cfg.scan {
            if scan.longest_line > crate::session::message::MAX_LINE {
                return Err(NotSent::LineTooLong {
                    octets: scan.longest_line,
                    aborted: false,
                });
            }
            if scan.eight_bit && !caps.has("8BITMIME") {
                return Err(NotSent::EightBitWithout8BitMime { aborted: false });
            }
        }
        let mut params = vec![];
        if caps.size().is_some()
            && let Some(size) = known_size
        {
            params.push(format!("SIZE={size}"));
        }
        let eight_bit = match spec {
            MessageSpec::Stdin => true,
            _ => cfg.scan.is_some_and(|s| s.eight_bit),
        };
        if eight_bit && caps.has("8BITMIME") {
            params.push("BODY=8BITMIME".into());
        }
        Ok(params)
    }

    /// DATA, the streamed content and the final dot. Returns whether the dialogue got through.
    /// What happened is in the record; [`DataResult::from_record`] reads it from there.
    pub(crate) async fn send_data(
        &mut self,
        spec: &crate::session::message::MessageSpec,
        cfg: &SessionConfig,
    ) -> bool {
        use crate::session::message::Source;
        let data_from = self.conn.now_us();
        let Some(r) = self
            .command(
                Stage::Data,
                &Command::Data,
                cfg.wait(rfc_timeouts::DATA_INIT),
            )
            .await
        else {
            return false;
        };
        if self.code(r) != 354 {
            self.fail(Outcome::Refused, Stage::Data);
            self.quit(true, cfg).await;
            return false;
        }
        let mut source = match Source::open(spec, &cfg.from, &cfg.to, &cfg.helo).await {
            Ok(s) => s,
            Err(e) => {
                self.not_sent(NotSent::Unreadable {
                    error: e.to_string(),
                    aborted: false,
                });
                self.fail(Outcome::IoError, Stage::Data);
                return false;
            }
        };
        let mut stuffer = crate::wire::stuff::DotStuffer::new();
        let tally = match self.stream_content(&mut source, &mut stuffer, cfg).await {
            Streamed::Complete(tally) => tally,
            Streamed::NotSent(reason) => {
                // Abort without the final dot: the server must discard the partial message.
                self.not_sent(reason);
                self.fail(Outcome::Refused, Stage::Data);
                self.conn.stream = Stream::Closed;
                return false;
            }
            Streamed::Failed(outcome) => {
                self.fail(outcome, Stage::Data);
                return false;
            }
        };
        // The `data` stage is DATA, its 354 and the message; the final dot is `dot`.
        if let Some(last) = self.attempt.stages.last_mut()
            && last.stage == Stage::Data
        {
            last.duration_ms = self.conn.now_us().saturating_sub(data_from) as f64 / 1000.0;
        }
        self.final_dot(stuffer, tally, cfg).await
    }

    /// Records the [`EventKind::DataSent`] summary: the content as given (`content` bytes) and
    /// the bytes it took on the wire (dot-stuffed, the final dot included when it was written).
    fn data_sent(&mut self, tally: Tally, content: u64) {
        let at = self.conn.now_us();
        self.conn.record.push(
            at,
            EventKind::DataSent {
                bytes: tally.sent,
                content_bytes: content,
                elapsed_us: at.saturating_sub(tally.started_us),
                slowest_write_us: tally.slowest_us,
            },
        );
    }

    /// Records how much of the message data the record does not keep, when any.
    fn data_elided(&mut self, e: &Elided) {
        if e.bytes == 0 {
            return;
        }
        let at = self.conn.now_us();
        self.conn.record.push(
            at,
            EventKind::DataElided {
                bytes: e.bytes,
                lines: e.newlines + u64::from(!e.ends_with_lf),
            },
        );
    }

    /// Streams the content in chunks, dot-stuffed, keeping the first bytes in the record. When
    /// it stops early, the [`EventKind::DataSent`] summary follows at once; when it is complete,
    /// after the final dot.
    async fn stream_content(
        &mut self,
        source: &mut crate::session::message::Source,
        stuffer: &mut crate::wire::stuff::DotStuffer,
        cfg: &SessionConfig,
    ) -> Streamed {
        use crate::session::message::{CHUNK, MAX_LINE};
        const KEEP: usize = 4096;
        let caps = self
            .attempt
            .ehlo
            .as_ref()
            .map(EhloResult::caps)
            .unwrap_or_default();
        let eight_bit_ok = caps.has("8BITMIME");
        let mut input = Vec::with_capacity(CHUNK);
        let mut wire = Vec::with_capacity(CHUNK * 2);
        let block_wait = cfg.wait(rfc_timeouts::DATA_BLOCK);
        let mut tally = Tally {
            started_us: self.conn.now_us(),
            sent: 0,
            slowest_us: 0,
        };
        let mut kept = 0usize;
        let mut elided = Elided::default();
        loop {
            if let Err(e) = source.next(&mut input).await {
                self.data_elided(&elided);
                self.data_sent(tally, stuffer.input_bytes);
                return Streamed::NotSent(NotSent::Unreadable {
                    error: e.to_string(),
                    aborted: true,
                });
            }
            if input.is_empty() {
                self.data_elided(&elided);
                return Streamed::Complete(tally);
            }
            wire.clear();
            stuffer.push(&input, &mut wire);
            if stuffer.longest_line > MAX_LINE || (stuffer.eight_bit && !eight_bit_ok) {
                self.data_elided(&elided);
                self.data_sent(tally, stuffer.input_bytes);
                return Streamed::NotSent(if stuffer.longest_line > MAX_LINE {
                    NotSent::LineTooLong {
                        octets: stuffer.longest_line,
                        aborted: true,
                    }
                } else {
                    NotSent::EightBitWithout8BitMime { aborted: true }
                });
            }
            let mut take = 0;
            if kept < KEEP {
                take = (KEEP - kept).min(wire.len());
                if take < wire.len() {
                    // The record keeps whole lines; what follows is elided, and the transcript
                    // says how much (a cut mid-line would read as a write boundary).
                    if let Some(p) = memchr::memrchr(b'\n', &wire[..take]) {
                        take = p + 1;
                    }
                }
                let at = self.conn.now_us();
                self.conn.record.push(
                    at,
                    EventKind::Write {
                        from: Peer::Client,
                        expects: 0,
                        tls: self.conn.tls,
                        stage: Stage::Data,
                        bytes: wire[..take].to_vec(),
                    },
                );
                kept = if take < wire.len() { KEEP } else { kept + take };
            }
            elided.add(&wire[take..]);
            let t0 = Instant::now();
            let stop = self.conn.stop.clone();
            let write = async {
                match &mut self.conn.stream {
                    Stream::Plain(s) => tokio::time::timeout(block_wait, write_all(s, &wire)).await,
                    Stream::Tls(s) => {
                        tokio::time::timeout(block_wait, write_all(s.as_mut(), &wire)).await
                    }
                    Stream::Closed => {
                        Ok(Err(std::io::Error::from(std::io::ErrorKind::NotConnected)))
                    }
                }
            };
            let res = tokio::select! {
                r = write => Some(r),
                _ = stop.cancelled() => None,
            };
            let Some(res) = res else {
                // Interrupted while the server was not reading the message.
                let at = self.conn.now_us();
                self.conn.interrupted = true;
                self.conn.record.push(
                    at,
                    EventKind::Interrupted {
                        stage: Stage::Data,
                        waited_ms: t0.elapsed().as_millis() as u64,
                    },
                );
                self.conn.echo();
                self.data_sent(tally, stuffer.input_bytes);
                return Streamed::Failed(Outcome::Interrupted);
            };
            tally.slowest_us = tally.slowest_us.max(t0.elapsed().as_micros() as u64);
            tally.sent += wire.len() as u64;
            let failure = match res {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => EventKind::IoError {
                    stage: Stage::Data,
                    kind: e.kind(),
                    message: format!("write failed during the message: {e}"),
                },
                Err(_) => EventKind::Timeout {
                    stage: Stage::Data,
                    waited_ms: block_wait.as_millis() as u64,
                },
            };
            let timed_out = matches!(failure, EventKind::Timeout { .. });
            let at = self.conn.now_us();
            self.conn.record.push(at, failure);
            self.data_elided(&elided);
            self.data_sent(tally, stuffer.input_bytes);
            if timed_out {
                return Streamed::Failed(Outcome::Timeout);
            }
            // The server may have said why before closing.
            let _ = self
                .conn
                .reply(Stage::Data, Duration::from_secs(1), "reply")
                .await;
            return Streamed::Failed(Outcome::IoError);
        }
    }

    /// The final dot, `\r\n.\r\n` in one write, the summary of what the message took on
    /// the wire, and the wait for the dot's reply.
    async fn final_dot(
        &mut self,
        mut stuffer: crate::wire::stuff::DotStuffer,
        mut tally: Tally,
        cfg: &SessionConfig,
    ) -> bool {
        let mut wire = Vec::with_capacity(5);
        stuffer.finish(&mut wire);
        let dot_at = self.conn.now_us();
        let t0 = Instant::now();
        let written = self.conn.write(Stage::Dot, &wire, 1).await;
        if written {
            tally.sent += wire.len() as u64;
            tally.slowest_us = tally.slowest_us.max(t0.elapsed().as_micros() as u64);
        }
        self.data_sent(tally, stuffer.input_bytes);
        if !written {
            self.fail(Outcome::IoError, Stage::Dot);
            return false;
        }
        let reply = self
            .await_reply(
                Stage::Dot,
                cfg.wait(rfc_timeouts::DATA_END),
                "reply to the final dot",
            )
            .await;
        if reply.is_some() {
            self.stage_time(Stage::Dot, dot_at);
        }
        reply.is_some()
    }
}

/// What the message took on the wire so far.
#[derive(Debug, Clone, Copy)]
struct Tally {
    /// When the content started, µs.
    started_us: u64,
    /// Bytes written (dot-stuffed).
    sent: u64,
    /// The slowest single write, µs.
    slowest_us: u64,
}

/// Message data written but not kept in the record.
#[derive(Debug, Default)]
struct Elided {
    /// Bytes on the wire.
    bytes: u64,
    /// Line feeds among them.
    newlines: u64,
    /// The last of them was a line feed.
    ends_with_lf: bool,
}

impl Elided {
    fn add(&mut self, wire: &[u8]) {
        if let Some(&last) = wire.last() {
            self.bytes += wire.len() as u64;
            self.newlines += memchr::memchr_iter(b'\n', wire).count() as u64;
            self.ends_with_lf = last == b'\n';
        }
    }
}

/// How streaming the content ended.
enum Streamed {
    /// Every chunk was written; the final dot may follow.
    Complete(Tally),
    /// The content may not be sent (found while streaming); no final dot.
    NotSent(NotSent),
    /// A write failed or stalled.
    Failed(Outcome),
}
