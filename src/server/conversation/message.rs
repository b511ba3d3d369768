//! Message data as the scripted server receives it: read to the end of data, recorded with its facts (and whether it arrived before), answered.

use super::{ClientLineKind, Cmd, Conversation, Ctx, Flow, Step};
use crate::wire::request::MessageStats;

impl Conversation {
    /// Reads message data up to the end-of-data sequence; returns what the parser saw of it,
    /// `None` if the client went away.
    pub(super) async fn read_message(&mut self) -> Option<MessageStats> {
        self.record.start_client_data(self.script.lenient_eod);
        loop {
            while let Some(line) = self.record.next_client_line() {
                if let ClientLineKind::Message(stats) = line.kind {
                    return Some(stats);
                }
            }
            if !self.more_input().await {
                return None;
            }
        }
    }

    /// The message is in: it is recorded (with whether it arrived before), then answered.
    pub(super) async fn final_dot(&mut self, stats: MessageStats) -> Flow {
        let steps = self.steps(Cmd::Dot, b"", stats.size);
        let intended = intended_class(steps, self) == Some(b'2');
        let at = self.now_us();
        let index = self.record.push_received_message(at, stats, intended);
        let id = index.and_then(|i| self.record.client.messages[i].message_id.clone());
        let earlier = match self.run.recent.lock() {
            Ok(mut recent) => recent.arrived(&stats, id.as_deref(), self.run.n),
            Err(_) => None,
        };
        if let (Some(index), Some(connection)) = (index, earlier) {
            self.record.message_duplicate(at, index, connection, id);
        }
        let before = self.writes;
        let flow = self.respond(Cmd::Dot, b"", stats.size).await;
        if let Some(index) = index
            && self.writes > before
        {
            self.record.message_answered(index, self.class);
        }
        flow
    }
}

/// The status digit of the reply `steps` mean to write to the final dot (`None`: no reply:
/// they close, reset or hang), looking through holds and waits.
fn intended_class(steps: &[Step], s: &Conversation) -> Option<u8> {
    let digit = |b: &[u8]| b.iter().copied().find(|b| (b'1'..=b'5').contains(b));
    for step in steps {
        match *step {
            Step::Send(b) | Step::SendArg(b, _) | Step::SendPath(b, _) => return digit(b),
            Step::Trickle(b, _, _) | Step::SendLines(b, _) => return digit(b),
            Step::Default => {
                return intended_class(s.default_steps(Ctx::Command(Cmd::Dot), b""), s);
            }
            Step::Sleep(_) | Step::Hold(_) | Step::Watch(..) => {}
            Step::Close | Step::Reset | Step::Hang | Step::StartTls | Step::Auth => return None,
        }
    }
    None
}
