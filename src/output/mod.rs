//! Printers: text (annotated transcript), JSON and Nagios; they only format a report.
//!
//! [`print()`] builds the transcripts of a [`crate::report::Report`] once
//! ([`Report::annotate`]) and hands them to the printer.

pub mod client;
pub mod explain;
pub mod json;
pub mod live;
pub mod nagios;
mod policy_text;
pub mod saved;
pub mod text;

use crate::config::{ColorChoice, Format, OutputConfig};
use crate::report::Report;
use std::io::Write;

/// Whether to color: `--color`, then NO_COLOR (set and non-empty means never), then the terminal.
/// `no_color` is the value of the NO_COLOR environment variable.
pub fn use_color(
    choice: ColorChoice,
    stdout_is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => no_color.is_none_or(|v| v.is_empty()) && stdout_is_terminal,
    }
}

/// Prints a report in the chosen format.
pub fn print(
    r: &Report,
    args: &OutputConfig,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match args.format {
        Format::Json => json::write(&r.annotate(), out),
        Format::Nagios => nagios::write(&r.annotate(), out),
        Format::Text => text::TextPrinter {
            color,
            detail: args.detail,
        }
        .write(&r.annotate(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn color_table() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(
            !use_color(ColorChoice::Auto, true, set),
            "NO_COLOR set and non-empty"
        );
        assert!(
            use_color(ColorChoice::Auto, true, empty),
            "an empty NO_COLOR is not set"
        );
        assert!(!use_color(ColorChoice::Auto, false, None), "not a terminal");
        assert!(
            use_color(ColorChoice::Always, false, set),
            "an explicit flag wins"
        );
        assert!(!use_color(ColorChoice::Never, true, None));
    }
}
