//! What a session shows while it runs on a terminal: the note on stderr while a wait passes
//! one second, and the live transcript (each line as it is recorded) when one is asked for.

use crate::record::Record;
use crate::record::attempt::AttemptTarget;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A waiting note is on the terminal's current line (stderr), not yet cleared.
static NOTE_SHOWN: AtomicBool = AtomicBool::new(false);

/// Clears a waiting note from the terminal line, if one is shown, so that a line written
/// next starts at the left margin (the note comes back at its next tick).
pub fn clear_note_line() {
    if NOTE_SHOWN.swap(false, Ordering::Relaxed) {
        eprint!("\r\x1b[2K");
    }
}

/// Shows an attempt's record as it grows (the live transcript).
pub trait LiveSink: Send {
    /// Called after the record grew; shows what was not shown yet.
    fn update(&mut self, rec: &Record);
}

/// Makes a connection's sink from its target and the active test it runs.
pub type MakeSink = dyn Fn(&AttemptTarget, Option<&'static str>) -> Box<dyn LiveSink> + Send + Sync;

/// Makes the sink of each connection as it opens.
#[derive(Clone)]
pub struct LiveEcho(pub Arc<MakeSink>);

impl std::fmt::Debug for LiveEcho {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveEcho")
    }
}

/// A live "waiting for ... 3s" note on stderr, only on a terminal, only after a second.
pub(crate) struct LiveNote {
    enabled: bool,
    what: String,
    started: Instant,
    shown: bool,
}

impl LiveNote {
    pub(crate) fn new(enabled: bool, what: String) -> LiveNote {
        LiveNote {
            enabled,
            what,
            started: Instant::now(),
            shown: false,
        }
    }

    /// Resolves once per second after the first second; never when disabled.
    pub(crate) async fn tick(&mut self) {
        if !self.enabled {
            std::future::pending::<()>().await;
        }
        let elapsed = self.started.elapsed();
        let next = Duration::from_secs(elapsed.as_secs() + 1);
        tokio::time::sleep(next - elapsed).await;
        let secs = self.started.elapsed().as_secs();
        eprint!("\r\x1b[2Kwaiting for {}… {secs}s", self.what);
        self.shown = true;
        NOTE_SHOWN.store(true, Ordering::Relaxed);
    }

    pub(crate) fn clear(&mut self) {
        if self.shown {
            clear_note_line();
            self.shown = false;
        }
    }
}

impl Drop for LiveNote {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Whether live notes should be shown (stderr is a terminal).
pub fn live_notes_wanted() -> bool {
    std::io::stderr().is_terminal()
}
