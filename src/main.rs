//! The smtpdoctor binary: parse the command line, run, print, map the verdict to the exit code.

use clap::Parser;
use smtpdoctor::cli::{Cli, Command};
use smtpdoctor::config::{OutputConfig, ProbeConfig};
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
            let opts = &ProbeConfig::from(&args.options);
            let output = OutputConfig::from(&args.options.output);
            // Check every target before probing any, so a typo does not stop a run halfway.
            for target in &args.target {
                if let Err(e) = smtpdoctor::probe::parse_target(target) {
                    eprintln!("smtpdoctor: error [input]: {e}");
                    return Ok(UNKNOWN);
                }
            }
            if args.target.len() != 1 || args.targets.is_some() {
                return many(&args, opts, &output).await;
            }
            // One target: the first Ctrl-C ends every wait and the report judges what was
            // recorded (marked interrupted); a second one ends the process.
            let shared = smtpdoctor::probe::Shared::default();
            let stop = shared.controls.stop.clone();
            let mut sigint = smtpdoctor::batch::interrupts();
            tokio::spawn(async move {
                if sigint.recv().await.is_some() {
                    stop.cancel();
                }
                if sigint.recv().await.is_some() {
                    std::process::exit(2);
                }
            });
            let echo = live_echo(&args.options);
            let live = echo.is_some();
            let report = match smtpdoctor::probe::run_shared(
                &args.target[0],
                args.server.as_deref(),
                opts,
                smtpdoctor::session::live_notes_wanted(),
                echo,
                &shared,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("smtpdoctor: error [input]: {e}");
                    return Ok(UNKNOWN);
                }
            };
            if live {
                // The judged report follows the live transcript.
                println!();
            }
            print_report(&report, &output)?;
            Ok(report.verdict().exit_code() as u8)
        }
        Command::Demo(args) => demo(args).await,
        Command::Mock(args) => mock(args).await,
        Command::Proxy(args) => proxy(args).await,
        Command::Report(args) => report(&args),
        Command::Explain(args) => {
            let input = args.text.join(" ");
            let explanation = smtpdoctor::knowledge::explain::explain(&input);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            if args.json {
                serde_json::to_writer(
                    &mut out,
                    &smtpdoctor::output::explain::explanation_json(&explanation, &input),
                )?;
                out.write_all(b"\n")?;
            } else {
                smtpdoctor::output::explain::render_explanation(&explanation, &input, &mut out)?;
            }
            out.flush()?;
            // Exit 0 when recognised (by wording or by code), 1 when not, so scripts can tell.
            Ok(u8::from(!smtpdoctor::knowledge::explain::recognised(
                &explanation,
                &input,
            )))
        }
    }
}

/// `report`: print saved JSON documents as their run printed them.
fn report(args: &smtpdoctor::cli::ReportArgs) -> anyhow::Result<u8> {
    use smtpdoctor::output::saved::{SavedError, print_saved};
    let output = OutputConfig::from(args);
    let stdout = std::io::stdout();
    let color = smtpdoctor::output::use_color(
        output.color,
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = if args.file == "-" {
        print_saved(std::io::stdin().lock(), &output, color, &mut out)
    } else {
        match std::fs::File::open(&args.file) {
            Ok(f) => print_saved(f, &output, color, &mut out),
            Err(e) => {
                eprintln!(
                    "smtpdoctor: error [input]: cannot read {}: {e}",
                    smtpdoctor::wire::escape::escape_str(&args.file)
                );
                return Ok(UNKNOWN);
            }
        }
    };
    out.flush()?;
    match result {
        Ok(code) => Ok(code),
        Err(SavedError::Io(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("smtpdoctor: error [input]: {e}");
            Ok(UNKNOWN)
        }
    }
}

/// `probe` with several targets or `--targets`: the batch engine (SPEC §10).
async fn many(
    args: &smtpdoctor::cli::ProbeArgs,
    opts: &ProbeConfig,
    output: &OutputConfig,
) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let color = smtpdoctor::output::use_color(
        output.color,
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut out = std::io::BufWriter::new(stdout.lock());
    match smtpdoctor::batch::run(
        args.target.clone(),
        args.server.clone(),
        opts.clone(),
        smtpdoctor::config::BatchConfig::from(args),
        *output,
        color,
        &mut out,
    )
    .await
    {
        Ok(code) => Ok(code),
        Err(smtpdoctor::batch::BatchError::Output(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("smtpdoctor: error [input]: {e}");
            Ok(UNKNOWN)
        }
    }
}

/// `demo`: start a scenario on a loopback port and probe it with the scenario's own options,
/// then whatever the user added on the command line.
async fn demo(args: smtpdoctor::cli::DemoArgs) -> anyhow::Result<u8> {
    use smtpdoctor::server;
    if args.list {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Scenarios (smtpdoctor demo NAME, smtpdoctor mock --listen ADDR --scenario NAME):"
        )?;
        // One column for the names, as wide as the longest of them.
        let width = server::scenarios()
            .iter()
            .map(|s| s.name.len())
            .chain(server::DEMO_CLIENTS.iter().map(|c| c.name.len()))
            .max()
            .unwrap_or(0);
        for s in server::scenarios() {
            let expect = if s.expect.is_empty() {
                "no finding".to_string()
            } else {
                s.expect.join(", ")
            };
            writeln!(out, "  {:<width$} {}", s.name, s.summary)?;
            writeln!(out, "  {:<width$} -> {expect}", "")?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Clients (smtpdoctor demo --client NAME: a built-in client against the mock):"
        )?;
        for c in server::DEMO_CLIENTS {
            writeln!(out, "  {:<width$} {}", c.name, c.summary)?;
            writeln!(
                out,
                "  {:<width$} -> {} (against {})",
                "",
                c.expect.join(", "),
                c.scenario
            )?;
        }
        out.flush()?;
        return Ok(0);
    }
    if let Some(name) = &args.client {
        return demo_client(name, &OutputConfig::from(&args.options.output)).await;
    }
    let name = args
        .scenario
        .as_deref()
        .unwrap_or(smtpdoctor::server::scenarios::DEMO_SCENARIO);
    let Some(scenario) = server::find(name) else {
        eprintln!(
            "smtpdoctor: error [input]: no scenario \"{}\"; `smtpdoctor demo --list` names them",
            smtpdoctor::wire::escape::escape_str(name)
        );
        return Ok(UNKNOWN);
    };
    let (addr, server) = server::spawn(scenario).await?;
    let ca = std::env::temp_dir().join(format!("smtpdoctor-demo-{}.pem", std::process::id()));
    std::fs::write(&ca, server::demo_certificate_pem())?;
    // The probe command line: the scenario's options first, then the user's (later ones win).
    let mut argv: Vec<std::ffi::OsString> = ["smtpdoctor", "probe", server::DOMAIN, "--server"]
        .iter()
        .map(Into::into)
        .collect();
    argv.push(addr.to_string().into());
    argv.push("--ca-file".into());
    argv.push(ca.clone().into());
    argv.extend(scenario.probe_args.iter().map(Into::into));
    argv.extend(user_demo_args(args.scenario.as_deref()));
    let parsed = Cli::try_parse_from(argv);
    let result = match parsed {
        Ok(Cli {
            command: Command::Probe(p),
        }) => {
            eprintln!(
                "smtpdoctor demo: scenario {} on {addr}: {}",
                scenario.name, scenario.summary
            );
            let echo = live_echo(&p.options);
            let live = echo.is_some();
            let report = smtpdoctor::probe::run_live(
                &p.target[0],
                p.server.as_deref(),
                &ProbeConfig::from(&p.options),
                smtpdoctor::session::live_notes_wanted(),
                echo,
            )
            .await;
            match report {
                Ok(r) => {
                    if live {
                        println!();
                    }
                    print_report(&r, &OutputConfig::from(&p.options.output))?;
                    Ok(r.verdict().exit_code() as u8)
                }
                Err(e) => {
                    eprintln!("smtpdoctor: error [input]: {e}");
                    Ok(UNKNOWN)
                }
            }
        }
        Ok(_) => Ok(UNKNOWN),
        Err(e) => {
            let _ = e.print();
            Ok(UNKNOWN)
        }
    };
    server.abort();
    let _ = std::fs::remove_file(&ca);
    result
}

/// The options the user gave after `demo` (the scenario name and --list removed).
fn user_demo_args(scenario: Option<&str>) -> Vec<std::ffi::OsString> {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let Some(pos) = raw.iter().position(|a| a == "demo") else {
        return vec![];
    };
    let mut rest: Vec<std::ffi::OsString> = raw[pos + 1..].to_vec();
    if let Some(name) = scenario
        && let Some(i) = rest.iter().position(|a| a == name)
    {
        rest.remove(i);
    }
    rest
}

/// `demo --client NAME`: a built-in client against the mock, one client report per connection.
async fn demo_client(name: &str, output: &OutputConfig) -> anyhow::Result<u8> {
    let Some(client) = smtpdoctor::server::find_client(name) else {
        eprintln!(
            "smtpdoctor: error [input]: no demo client \"{}\"; `smtpdoctor demo --list` names them",
            smtpdoctor::wire::escape::escape_str(name)
        );
        return Ok(UNKNOWN);
    };
    eprintln!(
        "smtpdoctor demo: client {} against scenario {}: {}",
        client.name, client.scenario, client.summary
    );
    let records = smtpdoctor::server::run_demo_client(client).await?;
    let mut worst = 0u8;
    for (i, rec) in records.into_iter().enumerate() {
        let report = smtpdoctor::report::client::ClientReport::of_mock(rec);
        print_client_report(&report, output, i > 0)?;
        worst = worst.max(report.verdict().exit_code() as u8);
    }
    Ok(worst)
}

/// The options of `mock` that are not output: hold, certificate, how many connections.
fn serve_options(
    args: &smtpdoctor::cli::MockArgs,
) -> Result<smtpdoctor::server::ServeOptions, String> {
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            let config = smtpdoctor::server::server_config_from_pem(&read(cert)?, &read(key)?)
                .map_err(|e| format!("--cert/--key: {e}"))?;
            Some(config)
        }
        _ => None,
    };
    Ok(smtpdoctor::server::ServeOptions {
        hold: args.hold,
        tls,
        max_connections: if args.once { Some(1) } else { args.count },
        idle: None,
    })
}

/// `mock`: serve one scenario; a client report per connection as it ends.
async fn mock(args: smtpdoctor::cli::MockArgs) -> anyhow::Result<u8> {
    let Some(scenario) = smtpdoctor::server::find(&args.scenario) else {
        eprintln!(
            "smtpdoctor: error [input]: no scenario \"{}\"; `smtpdoctor demo --list` names them",
            smtpdoctor::wire::escape::escape_str(&args.scenario)
        );
        return Ok(UNKNOWN);
    };
    let options = match serve_options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "smtpdoctor: error [input]: {}",
                smtpdoctor::wire::escape::escape_str(&e)
            );
            return Ok(UNKNOWN);
        }
    };
    let output = OutputConfig::from(&args.output);
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "smtpdoctor: error [listen]: cannot listen on {}: {e}",
                args.listen
            );
            return Ok(UNKNOWN);
        }
    };
    let limit = options.max_connections;
    eprintln!(
        "smtpdoctor mock: serving scenario {} on {} ({}): {}",
        scenario.name,
        listener.local_addr()?,
        match limit {
            Some(1) => "one connection".to_string(),
            Some(n) => format!("{n} connections"),
            None => "Ctrl-C to stop".to_string(),
        },
        scenario.summary,
    );
    if let Some(hold) = args.hold {
        // The summary names the scenario's default delay.
        let hold = humantime::format_duration(hold);
        if scenario.script.has_hold() {
            eprintln!("smtpdoctor mock: --hold {hold} replaces the scenario's default delay");
        } else {
            eprintln!(
                "smtpdoctor mock: --hold {hold} does nothing here: scenario {} has no delay",
                scenario.name
            );
        }
    }
    let (tx, records) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(smtpdoctor::server::serve_recorded_with(
        listener, scenario, options, tx,
    ));
    report_connections("mock", records, server, limit, &output, |rec| {
        smtpdoctor::report::client::ClientReport::of_mock(rec)
    })
    .await
}

/// The proxy's options from its arguments: the upstream resolved once, the certificates.
async fn proxy_options(
    args: &smtpdoctor::cli::ProxyArgs,
) -> Result<smtpdoctor::server::proxy::ProxyOptions, String> {
    use smtpdoctor::server::proxy;
    let (host, addrs) = proxy::resolve_upstream(&args.upstream)
        .await
        .map_err(|e| format!("--upstream {}: {e}", args.upstream))?;
    let roots =
        smtpdoctor::session::tls::root_store(args.ca_file.as_deref()).map_err(|e| e.to_string())?;
    let mode = match args.tls {
        smtpdoctor::cli::ProxyTls::Passthrough => proxy::TlsMode::Passthrough,
        smtpdoctor::cli::ProxyTls::Terminate => proxy::TlsMode::Terminate,
    };
    let certificate = match (mode, &args.cert, &args.key) {
        (proxy::TlsMode::Passthrough, _, _) => None,
        (_, Some(cert), Some(key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            Some(
                proxy::pem_certificate(&read(cert)?, &read(key)?)
                    .map_err(|e| format!("--cert/--key: {e}"))?,
            )
        }
        _ => Some(
            proxy::generated_certificate(std::slice::from_ref(&host))
                .map_err(|e| format!("generating a certificate: {e}"))?,
        ),
    };
    Ok(proxy::ProxyOptions {
        upstream_host: host,
        upstreams: addrs,
        mode,
        certificate: certificate.map(std::sync::Arc::new),
        roots,
        idle: args.timeout.min(proxy::IDLE_MAX),
        connect_timeout: std::time::Duration::from_secs(30).min(args.timeout),
        max_connections: if args.once { Some(1) } else { args.count },
    })
}

/// `proxy`: relay sessions to the upstream; a client report per connection as it ends.
async fn proxy(args: smtpdoctor::cli::ProxyArgs) -> anyhow::Result<u8> {
    let options = match proxy_options(&args).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "smtpdoctor: error [input]: {}",
                smtpdoctor::wire::escape::escape_str(&e)
            );
            return Ok(UNKNOWN);
        }
    };
    let output = OutputConfig::from(&args.output);
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "smtpdoctor: error [listen]: cannot listen on {}: {e}",
                args.listen
            );
            return Ok(UNKNOWN);
        }
    };
    let limit = options.max_connections;
    eprintln!(
        "smtpdoctor proxy: relaying {} to {} ({}), TLS {}{}",
        listener.local_addr()?,
        options
            .upstreams
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        match limit {
            Some(1) => "one connection".to_string(),
            Some(n) => format!("{n} connections"),
            None => "Ctrl-C to stop".to_string(),
        },
        options.mode.name(),
        match &options.certificate {
            Some(c) => format!(", certificate sha256 {}", c.sha256),
            None => String::new(),
        }
    );
    let (tx, records) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(smtpdoctor::server::proxy::serve(listener, options, tx));
    report_connections("proxy", records, server, limit, &output, |rec| {
        smtpdoctor::report::client::ClientReport::of_proxy(rec)
    })
    .await
}

/// Prints a client report for each connection as it ends, until `limit` connections or
/// Ctrl-C; stops the server and returns the worst exit code (the mock and the proxy alike).
async fn report_connections<R>(
    what: &str,
    mut records: tokio::sync::mpsc::UnboundedReceiver<R>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    limit: Option<u64>,
    output: &OutputConfig,
    report_of: impl Fn(R) -> smtpdoctor::report::client::ClientReport,
) -> anyhow::Result<u8> {
    let mut worst = 0u8;
    let mut reported = 0u64;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            rec = records.recv() => {
                let Some(rec) = rec else { break };
                let report = report_of(rec);
                print_client_report(&report, output, reported > 0)?;
                worst = worst.max(report.verdict().exit_code() as u8);
                reported += 1;
                if limit.is_some_and(|n| reported >= n) {
                    break;
                }
            }
            _ = &mut interrupted => {
                eprintln!("smtpdoctor {what}: interrupted");
                break;
            }
        }
    }
    server.abort();
    eprintln!("smtpdoctor {what}: {reported} connection(s) reported, exit {worst}");
    Ok(worst)
}

/// Prints one client report on stdout and flushes it (a blank line before all but the first
/// text report).
fn print_client_report(
    report: &smtpdoctor::report::client::ClientReport,
    args: &OutputConfig,
    separate: bool,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let color = smtpdoctor::output::use_color(
        args.color,
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut out = std::io::BufWriter::new(stdout.lock());
    if separate && args.format == smtpdoctor::config::Format::Text {
        writeln!(out)?;
    }
    smtpdoctor::output::client::print(report, args, color, &mut out)?;
    out.flush()?;
    Ok(())
}

/// The live transcript: text output on a terminal, unless quiet or `--no-live`.
fn live_echo(o: &smtpdoctor::cli::ProbeOptions) -> Option<smtpdoctor::session::LiveEcho> {
    use smtpdoctor::config::{Detail, Format};
    let out = OutputConfig::from(&o.output);
    if o.no_live
        || out.format != Format::Text
        || out.detail == Detail::Quiet
        || !std::io::stdout().is_terminal()
    {
        return None;
    }
    let color =
        smtpdoctor::output::use_color(out.color, true, std::env::var_os("NO_COLOR").as_deref());
    Some(smtpdoctor::output::live::echo(color, out.detail))
}

fn print_report(report: &smtpdoctor::report::Report, args: &OutputConfig) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let color = smtpdoctor::output::use_color(
        args.color,
        stdout.is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let mut out = std::io::BufWriter::new(stdout.lock());
    smtpdoctor::output::print(report, args, color, &mut out)?;
    out.flush()?;
    Ok(())
}
