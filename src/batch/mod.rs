//! Many targets (SPEC §10): the targets streamed from the command line and `--targets`, up to
//! `-j` probed at once, each by the one-target path ([`crate::probe::run_shared`]) with the
//! per-probe budgets as for one target; connections gated per address and by rate
//! ([`limits`]); one resolver with a bounded cache for the run; a document (JSON Lines), a
//! status line (text) or a Nagios line written as each target finishes; the summary and the
//! worst exit code at the end.
//!
//! Ctrl-C: the first stops new probes and gives those in flight [`GRACE`] to finish; then (or
//! at a second Ctrl-C) every wait in flight ends at once and those probes are judged on what
//! they recorded, marked `interrupted` (counted as exit code 2). Every line written is a whole
//! document.

pub mod input;
pub mod limits;
pub mod progress;
pub mod shard;
pub mod summary;

use crate::checks::{Anchor, Finding};
use crate::config::{BatchConfig, Format, OutputConfig, ProbeConfig};
use crate::probe::{ProbeError, Shared};
use crate::record::Stage;
use crate::report::Report;
use input::{Input, Item};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// How long probes in flight may go on after the first Ctrl-C.
pub const GRACE: Duration = Duration::from_secs(2);
/// Entries of the run's DNS cache (answers, not targets: bounded whatever the list's length).
pub const DNS_CACHE_ENTRIES: u64 = 8192;

/// Errors that stop a run before it starts, or while reading its list (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The options are wrong for every target.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// `--targets` cannot be read.
    #[error("cannot read --targets {path}: {error}")]
    Targets {
        /// The path as given.
        path: String,
        /// What went wrong.
        error: std::io::Error,
    },
    /// Standard input cannot be both the list and the message.
    #[error("--body - and --targets - both want standard input; give one of them a file")]
    StdinTwice,
    /// The results could not be written (a closed pipe, a full disk).
    #[error("writing the results: {0}")]
    Output(#[from] std::io::Error),
    /// One message from standard input cannot be sent to many targets.
    #[error("--body - reads the message from standard input once: give a file for many targets")]
    BodyFromStdin,
}

/// SIGINTs as they come (each one a message). The handler is in place when this returns, so a
/// Ctrl-C right after it is never the default one that ends the process. Call it inside the
/// runtime.
pub fn interrupts() -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut sig) = signal(SignalKind::interrupt()) {
            tokio::spawn(async move {
                while sig.recv().await.is_some() {
                    if tx.send(()).is_err() {
                        return;
                    }
                }
            });
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if tx.send(()).is_err() {
                return;
            }
        }
    });
    rx
}

/// The report of a line that is no target: `target-invalid` (error, stage `input`).
pub fn invalid_report(given: &str, why: &str, opts: &ProbeConfig) -> Report {
    let finding = Finding::new(
        "target-invalid",
        Stage::Input,
        Anchor::None,
        format!("\"{given}\" is not a domain, an address or an IP address; not probed"),
        why.to_string(),
    );
    Report {
        target: given.to_string(),
        started_at: SystemTime::now(),
        duration_ms: 0.0,
        dns: None,
        plan: vec![],
        attempts: vec![],
        findings: vec![finding],
        aimed: crate::probe::aimed_stage(opts),
        notes: vec![],
        interrupted: false,
        policy: None,
    }
}

/// What every probe task needs.
struct Job {
    server: Option<String>,
    opts: ProbeConfig,
    shared: Shared,
}

/// Runs the targets of the command line and of `--targets`; writes each result to `out` as
/// it finishes, then (text) the summary; returns the worst exit code.
pub async fn run(
    targets: Vec<String>,
    server: Option<String>,
    opts: ProbeConfig,
    batch: BatchConfig,
    output: OutputConfig,
    color: bool,
    out: &mut dyn Write,
) -> Result<u8, BatchError> {
    let stdin_list = batch
        .targets
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    let stdin_body = opts.body.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if stdin_list && stdin_body {
        return Err(BatchError::StdinTwice);
    }
    if stdin_body {
        return Err(BatchError::BodyFromStdin);
    }
    crate::probe::preflight(server.as_deref(), &opts).await?;
    // Each probe in flight holds a socket or two: make room for -j of them where the soft
    // limit on open files is below the hard one (often 1024 against 524288).
    #[cfg(unix)]
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let reader: Option<Box<dyn tokio::io::AsyncBufRead + Unpin + Send>> = match &batch.targets {
        None => None,
        Some(p) if p.as_os_str() == "-" => {
            Some(Box::new(tokio::io::BufReader::new(tokio::io::stdin())))
        }
        Some(p) => {
            let f = tokio::fs::File::open(p)
                .await
                .map_err(|error| BatchError::Targets {
                    path: p.display().to_string(),
                    error,
                })?;
            Some(Box::new(tokio::io::BufReader::with_capacity(64 * 1024, f)))
        }
    };
    let list_name = batch
        .targets
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut input = Input::new(targets, reader, batch.shard);
    let dns = crate::probe::run_resolver(&opts, DNS_CACHE_ENTRIES)
        .ok()
        .map(Arc::new);
    // The policy lookups share one validating resolver too: the trust anchor check is made
    // once per run, and a zone's DNSKEY/DS chain is fetched once for all its targets.
    let policy_dns = crate::probe::run_policy_resolver(server.as_deref(), &opts, DNS_CACHE_ENTRIES)
        .await?
        .map(Arc::new);
    let shared = Shared {
        controls: crate::session::Controls {
            stop: tokio_util::sync::CancellationToken::new(),
            limits: Some(limits::Limits::new(batch.per_host, batch.rate)),
        },
        dns,
        policy_dns,
    };
    let stop = shared.controls.stop.clone();
    let job = Arc::new(Job {
        server,
        opts,
        shared,
    });
    let mut summary = summary::Summary::default();
    let mut nagios = crate::output::nagios::RunLines::default();
    let mut progress =
        progress::Progress::new(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let mut ticker = tokio::time::interval(progress::EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigint = interrupts();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut admitting = true;
    let mut input_done = false;
    let mut total: Option<u64> = None;
    let mut started: u64 = 0;
    let mut grace: Option<tokio::time::Instant> = None;
    let mut unreadable = false;
    let jobs = batch.jobs.max(1);
    loop {
        if (input_done || !admitting) && in_flight.is_empty() {
            break;
        }
        let can_admit = admitting && !input_done && in_flight.len() < jobs;
        let grace_at =
            grace.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            biased;
            Some(()) = sigint.recv() => {
                progress.clear();
                if admitting {
                    admitting = false;
                    grace = Some(tokio::time::Instant::now() + GRACE);
                    eprintln!(
                        "smtpdoctor: interrupted: no new probes; {} in flight end within {} (Ctrl-C again to end them now)",
                        in_flight.len(),
                        humantime::format_duration(GRACE)
                    );
                } else {
                    stop.cancel();
                }
            }
            _ = tokio::time::sleep_until(grace_at), if grace.is_some() && !stop.is_cancelled() => {
                stop.cancel();
            }
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                let report = match done {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => {
                        progress.clear();
                        eprintln!("smtpdoctor: error [input]: {e}");
                        summary.worst = summary.worst.max(3);
                        continue;
                    }
                    Err(e) => {
                        progress.clear();
                        eprintln!("smtpdoctor: error: a probe failed: {e}");
                        summary.worst = summary.worst.max(3);
                        continue;
                    }
                };
                progress.clear();
                write_result(&report, &output, color, &mut nagios, out)?;
                summary.add(&summary::Finished::from(&report));
            }
            item = input.next(), if can_admit => {
                match item {
                    Ok(Some(Item::Target(t))) => {
                        started += 1;
                        let job = job.clone();
                        in_flight.spawn(async move {
                            crate::probe::run_shared(&t, job.server.as_deref(), &job.opts, false, None, &job.shared).await
                        });
                    }
                    Ok(Some(Item::Invalid { given, why })) => {
                        started += 1;
                        let report = invalid_report(&given, &why, &job.opts);
                        progress.clear();
                        write_result(&report, &output, color, &mut nagios, out)?;
                        summary.add(&summary::Finished::from(&report));
                    }
                    Ok(None) => {
                        input_done = true;
                        total = Some(started);
                    }
                    Err(e) => {
                        progress.clear();
                        eprintln!("smtpdoctor: error [input]: cannot read --targets {list_name}: {e}");
                        // The summary's exit code is the run's: 3 for a list that could not be read.
                        summary.worst = summary.worst.max(3);
                        unreadable = true;
                        input_done = true;
                        total = Some(started);
                    }
                }
            }
            _ = ticker.tick(), if progress.enabled() => {
                progress.draw(&summary, in_flight.len(), total);
            }
        }
    }
    progress.clear();
    if output.format == Format::Nagios {
        nagios.finish(&summary, out)?;
    }
    if output.format == Format::Text {
        summary.write_text(out)?;
        if input.duplicates > 0 || input.other_shards > 0 {
            writeln!(
                out,
                "  ({} duplicate(s) skipped{})",
                input.duplicates,
                match batch.shard {
                    Some(s) => format!(
                        ", {} target(s) of other shards than {}/{}",
                        input.other_shards, s.index, s.count
                    ),
                    None => String::new(),
                }
            )?;
        }
        out.flush()?;
    }
    if !admitting {
        eprintln!(
            "smtpdoctor: interrupted after {} target(s), exit {}",
            summary.targets, summary.worst
        );
    }
    let mut worst = summary.worst;
    if unreadable {
        worst = worst.max(3);
    }
    Ok(worst)
}

/// Writes one finished target in the chosen format and flushes it: a whole line at a time.
/// Nagios lines are kept for the end instead (see [`crate::output::nagios::RunLines`]).
fn write_result(
    r: &Report,
    output: &OutputConfig,
    color: bool,
    nagios: &mut crate::output::nagios::RunLines,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match output.format {
        Format::Text => writeln!(out, "{}", summary::status_line(&summary::Finished::from(r)))?,
        Format::Nagios => {
            return nagios.add(&crate::report::document::Document::new(&r.annotate()));
        }
        Format::Json => crate::output::print(r, output, color, out)?,
    }
    out.flush()
}
