//! The progress line on stderr (a terminal only): done/total when the total is known, rate,
//! ETA and the counts by verdict, redrawn in place a few times a second.

use crate::batch::summary::Summary;
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the line is redrawn.
pub const EVERY: Duration = Duration::from_millis(250);

/// The progress line.
#[derive(Debug)]
pub struct Progress {
    on: bool,
    started: Instant,
    drawn: bool,
}

impl Progress {
    /// A progress line, drawn only when `on` (stderr is a terminal).
    pub fn new(on: bool) -> Progress {
        Progress {
            on,
            started: Instant::now(),
            drawn: false,
        }
    }

    /// Whether the line is drawn at all.
    pub fn enabled(&self) -> bool {
        self.on
    }

    /// The line's text: `total` is known once the input has been read to its end.
    pub fn text(&self, s: &Summary, in_flight: usize, total: Option<u64>) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = s.targets as f64 / secs;
        let done = match total {
            Some(t) => format!("{}/{t}", s.targets),
            None => format!("{}/?", s.targets),
        };
        let eta = match total {
            Some(t) if rate > 0.0 && t >= s.targets => {
                let left = Duration::from_secs(((t - s.targets) as f64 / rate).ceil() as u64);
                format!(" ETA {}", humantime::format_duration(left))
            }
            _ => String::new(),
        };
        format!(
            "smtpdoctor: {done} done, {in_flight} in flight, {rate:.1}/s{eta}  ok {} warning {} error {}",
            s.ok, s.warning, s.error
        )
    }

    /// Redraws the line.
    pub fn draw(&mut self, s: &Summary, in_flight: usize, total: Option<u64>) {
        if !self.on {
            return;
        }
        let line = self.text(s, in_flight, total);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{line}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Clears the line (before anything else goes to the terminal, and at the end).
    pub fn clear(&mut self) {
        if self.on && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_done_total_rate_and_counts() {
        let p = Progress::new(false);
        let mut s = Summary::default();
        assert!(
            p.text(&s, 3, None)
                .starts_with("smtpdoctor: 0/? done, 3 in flight")
        );
        s.targets = 10;
        s.ok = 7;
        s.error = 3;
        let line = p.text(&s, 2, Some(40));
        assert!(
            line.starts_with("smtpdoctor: 10/40 done, 2 in flight, "),
            "{line}"
        );
        assert!(line.contains(" ETA "), "{line}");
        assert!(line.ends_with("ok 7 warning 0 error 3"), "{line}");
    }
}
