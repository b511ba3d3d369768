//! The scripted server's waits: sleeps and holds that keep recording what the client sends, keep-alive lines, replies written line by line.
//!
//! While the script waits, the server does not act on client input, but it keeps reading it
//! into the record, so that each read carries its real time (a command written before the
//! greeting was complete shows as such) and a client that leaves ends the connection at once
//! rather than when the wait is over. The one exception is the time right after a STARTTLS
//! 220 in plaintext: those bytes belong to the TLS handshake and stay on the socket.

use std::time::Duration;

use tokio::time::{Instant, timeout, timeout_at};

use super::{Conn, Conversation, Ctx, Flow, HOLD_MAX, INPUT_BUFFER};
use crate::server::script::Cmd;

impl Conversation {
    /// The scenario's deliberate delay: `mock --hold`, else `default_ms`.
    pub(super) fn hold(&self, default_ms: u64) -> Duration {
        self.run
            .hold
            .unwrap_or(Duration::from_millis(default_ms))
            .min(HOLD_MAX)
    }

    /// Waits `length`, recording what the client sends meanwhile (without acting on it);
    /// false when the client went away (closed, reset) during the wait.
    pub(super) async fn pause(&mut self, length: Duration, ctx: Ctx) -> bool {
        let handshake_next =
            ctx == Ctx::Command(Cmd::Starttls) && matches!(self.conn, Conn::Plain(_));
        if handshake_next || self.conn.is_gone() {
            tokio::time::sleep(length).await;
            return true;
        }
        let deadline = Instant::now() + length;
        // Input beyond half the buffer waits on the socket: memory stays bounded.
        while self.record.client_pending() < INPUT_BUFFER / 2 {
            match timeout_at(deadline, self.fill()).await {
                Err(_) => return true,
                Ok(Ok(0)) | Ok(Err(_)) => return false,
                Ok(Ok(_)) => {}
            }
        }
        tokio::time::sleep_until(deadline).await;
        true
    }

    /// Writes `line` at once and every `every_ms` while `total` lasts.
    pub(super) async fn trickle(
        &mut self,
        line: &'static [u8],
        every_ms: u64,
        total: Duration,
        ctx: Ctx,
    ) -> Flow {
        let end = Instant::now() + total;
        let every = Duration::from_millis(every_ms.max(1));
        loop {
            if self.send(line).await == Flow::Done {
                return Flow::Done;
            }
            let now = Instant::now();
            if now >= end {
                return Flow::Go;
            }
            if !self.pause(every.min(end - now), ctx).await {
                return Flow::Done;
            }
            if Instant::now() >= end {
                return Flow::Go;
            }
        }
    }

    /// Writes each line of `bytes` in a write of its own, `gap` apart.
    pub(super) async fn send_lines(
        &mut self,
        bytes: &'static [u8],
        gap: Duration,
        ctx: Ctx,
    ) -> Flow {
        for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            if i > 0 && !self.pause(gap, ctx).await {
                return Flow::Done;
            }
            if self.send(line).await == Flow::Done {
                return Flow::Done;
            }
        }
        Flow::Go
    }

    /// Waits up to `ms` for client input: `Some(true)` if something arrived (or was already
    /// received and not yet taken), `Some(false)` if the client stayed quiet, `None` if it
    /// went away.
    pub(super) async fn watch(&mut self, ms: u64) -> Option<bool> {
        if self.record.client_pending() > 0 {
            return Some(true);
        }
        match timeout(Duration::from_millis(ms), self.fill()).await {
            Ok(Ok(0)) | Ok(Err(_)) => None,
            Ok(Ok(_)) => Some(true),
            Err(_) => Some(false),
        }
    }
}
