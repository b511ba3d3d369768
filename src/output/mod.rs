//! Printers: text (annotated transcript), JSON and Nagios. They only format a [`crate::report::Report`].

pub mod json;
pub mod nagios;
pub mod sanitize;
pub mod text;

use crate::cli::{ColorChoice, Format, OutputArgs};
use crate::report::Report;
use std::io::Write;

/// Whether to color: `--color`, then NO_COLOR (set and non-empty means never), then the terminal.
pub fn use_color(choice: ColorChoice, stdout_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && stdout_is_terminal
        }
    }
}

/// Prints a report in the chosen format.
pub fn print(
    r: &Report,
    args: &OutputArgs,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match args.format() {
        Format::Json => json::write(r, out),
        Format::Nagios => nagios::write(r, out),
        Format::Text => {
            let detail = if args.quiet {
                text::Detail::Quiet
            } else if args.verbose > 0 {
                text::Detail::Verbose
            } else {
                text::Detail::Normal
            };
            text::TextPrinter { color, detail }.write(r, out)
        }
    }
}
