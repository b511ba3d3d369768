//! The DATA exchange as the record shows it: the DATA reply, the streamed content, the final
//! dot and its reply, derived once from the events (the session copies nothing).

use crate::record::attempt::DataResult;
use crate::record::{EventKind, Peer, Record, Stage};

impl DataResult {
    /// The DATA exchange of the probe's own dialogue, when it got as far as deciding on the
    /// message: the DATA command written, or the message refused before it.
    pub fn from_record(rec: &Record) -> Option<DataResult> {
        let mut d = DataResult::default();
        let mut seen = false;
        let mut data_write = None;
        let mut streamed = false;
        for (i, e) in rec.events.iter().enumerate() {
            match &e.kind {
                EventKind::MessageNotSent { reason }
                    if !matches!(
                        reason,
                        crate::record::decision::NotSent::NoRecipientAccepted
                    ) =>
                {
                    seen = true;
                    d.not_sent = Some(reason.to_string());
                }
                EventKind::Write {
                    from: Peer::Client,
                    stage: Stage::Data,
                    bytes,
                    ..
                } if data_write.is_none() && bytes.eq_ignore_ascii_case(b"DATA\r\n") => {
                    seen = true;
                    data_write = Some(i);
                }
                EventKind::Write {
                    from: Peer::Client,
                    stage: Stage::Dot,
                    ..
                } if data_write.is_some() && d.dot_event.is_none() => {
                    // The final dot: the write of stage `dot` after DATA.
                    d.dot_event = Some(i);
                    d.dot_written_us = Some(e.at_us);
                }
                EventKind::DataSent {
                    bytes,
                    content_bytes,
                    elapsed_us,
                    slowest_write_us,
                } if !streamed => {
                    // The one summary of the message: every printer shows these numbers.
                    streamed = true;
                    d.bytes_sent = *bytes;
                    d.content_bytes = *content_bytes;
                    d.transfer_ms = Some(*elapsed_us as f64 / 1000.0);
                    d.slowest_block_ms = Some(*slowest_write_us as f64 / 1000.0);
                    d.throughput_mb_s = Some(*bytes as f64 / (*elapsed_us).max(1) as f64);
                }
                _ => {}
            }
        }
        if !seen {
            return None;
        }
        if let Some(w) = data_write
            && let Some(r) = rec.replies.iter().position(|r| r.command_event == Some(w))
        {
            d.data_reply = Some(r);
            d.data_reply_ms =
                Some(rec.replies[r].completed_at_us.saturating_sub(rec.at_us(w)) as f64 / 1000.0);
        }
        if let (Some(dot), Some(dot_at)) = (d.dot_event, d.dot_written_us)
            && let Some(r) = rec
                .replies
                .iter()
                .position(|r| r.command_event == Some(dot) && !r.unsolicited)
        {
            let rr = &rec.replies[r];
            let lines = rec.reply_lines(rr);
            d.dot_reply = Some(r);
            d.dot_code = rr.code;
            d.dot_reply_ms = Some(rr.completed_at_us.saturating_sub(dot_at) as f64 / 1000.0);
            d.dot_first_line_ms = lines
                .first()
                .map(|l| rec.at_us(l.last_read).saturating_sub(dot_at) as f64 / 1000.0);
            d.queue_id = lines
                .last()
                .and_then(|l| crate::wire::queue_id::queue_id(&l.text()));
        }
        Some(d)
    }
}
