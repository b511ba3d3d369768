//! The live note on stderr while a wait passes one second on a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

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
    }

    pub(crate) fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
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
