//! The smtpdoctor binary: parse the command line, run, print, map the verdict to the exit code.

use clap::Parser;
use smtpdoctor::cli::{Cli, Command};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit code for usage errors, unreadable input and internal failures (SPEC §2).
const UNKNOWN: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { UNKNOWN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("smtpdoctor: cannot start the runtime: {e}");
            return ExitCode::from(UNKNOWN);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("smtpdoctor: error: {e:#}");
            ExitCode::from(UNKNOWN)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Probe(args) => {
            let opts = &args.options;
            let report = match smtpdoctor::probe::run(
                &args.target,
                args.server.as_deref(),
                opts,
                smtpdoctor::session::live_notes_wanted(),
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("smtpdoctor: error [input]: {e}");
                    return Ok(UNKNOWN);
                }
            };
            print_report(&report, &opts.output)?;
            Ok(report.verdict().exit_code() as u8)
        }
        Command::Demo(_) | Command::Mock(_) | Command::Explain(_) => {
            eprintln!("smtpdoctor: not available yet");
            Ok(UNKNOWN)
        }
    }
}

fn print_report(
    report: &smtpdoctor::report::Report,
    args: &smtpdoctor::cli::OutputArgs,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let color = smtpdoctor::output::use_color(args.color, stdout.is_terminal());
    let mut out = std::io::BufWriter::new(stdout.lock());
    smtpdoctor::output::print(report, args, color, &mut out)?;
    out.flush()?;
    Ok(())
}
