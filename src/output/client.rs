//! Printers of the client report (SPEC §8): the annotated transcript of one connection with its findings and verdict, its JSON document, a Nagios line.

use crate::config::{Detail, Format, OutputConfig};
use crate::knowledge::Severity;
use crate::report::Verdict;
use crate::report::client::{AnnotatedClient, ClientDocument, ClientReport};
use crate::wire::escape::{escape_str, safe_text};
use crate::wire::request::hex;
use owo_colors::Style;
use std::io::Write;

use super::text::{Palette, TextPrinter, limits_note};

/// Prints a client report in the chosen format (JSON: one line).
pub fn print(
    r: &ClientReport,
    args: &OutputConfig,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let a = r.annotate();
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &ClientDocument::new(&a))?;
            out.write_all(b"\n")
        }
        Format::Nagios => write_nagios(r, out),
        Format::Text => write_text(
            &TextPrinter {
                color,
                detail: args.detail,
            },
            &a,
            out,
        ),
    }
}

/// `address` or `-` when unknown.
fn addr(a: Option<std::net::SocketAddr>) -> String {
    a.map_or_else(|| "-".to_string(), |a| a.to_string())
}

/// The annotated transcript of one connection, its messages, its findings and the verdict.
pub fn write_text(
    printer: &TextPrinter,
    a: &AnnotatedClient,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let r = a.report;
    let p = Palette { on: printer.color };
    let what = match &r.proxy {
        Some(px) => format!("upstream {}, TLS {}", px.upstream, px.mode),
        None => format!("scenario {}", r.scenario),
    };
    writeln!(
        out,
        "{}",
        p.bold(&format!(
            "smtpdoctor {}: connection {} from {} ({}, listening on {})",
            r.mode,
            r.n,
            addr(r.peer),
            safe_text(&what),
            addr(r.listen)
        ))
    )?;
    if let Some(px) = &r.proxy
        && let Some(fp) = &px.certificate_sha256
    {
        writeln!(out, "certificate shown to the client: sha256 {fp}")?;
    }
    if printer.detail != Detail::Quiet {
        for (e, end) in super::text::shown(&a.transcript) {
            printer.write_entry_ended(e, end, &p, out)?;
            for &f in e
                .findings
                .iter()
                .chain(end.iter().flat_map(|n| &n.findings))
            {
                printer.write_finding_inline(&r.findings[f], &p, out)?;
            }
        }
        for &f in a.transcript.unplaced() {
            printer.write_finding_inline(&r.findings[f], &p, out)?;
        }
        if let Some(note) = limits_note(&r.record) {
            writeln!(out, "             {}", p.dim(&note))?;
        }
        if r.record.client.truncated_lines > 0 || r.record.client.dropped_lines > 0 {
            writeln!(
                out,
                "             {}",
                p.dim(&format!(
                    "(client lines: {} cut short, {} not kept)",
                    r.record.client.truncated_lines, r.record.client.dropped_lines
                ))
            )?;
        }
    }
    write_messages(r, &p, out)?;
    write_findings(printer, r, &p, out)?;
    let (e, w, i) = r.counts();
    let v = r.verdict();
    let word = match v {
        Verdict::Ok => p.paint("OK", Style::new().green().bold()),
        Verdict::Warning => p.paint("WARNING", Style::new().yellow().bold()),
        Verdict::Error => p.paint("CRITICAL", Style::new().red().bold()),
    };
    writeln!(out)?;
    writeln!(
        out,
        "Verdict: {word} (exit {}): connection {} from {}: {e} error(s), {w} warning(s), {i} info in {:.1} ms",
        v.exit_code(),
        r.n,
        addr(r.peer),
        r.duration_ms
    )
}

fn write_messages(r: &ClientReport, p: &Palette, out: &mut dyn Write) -> std::io::Result<()> {
    let messages = &r.record.client.messages;
    if messages.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.bold("Messages"))?;
    for (i, m) in messages.iter().enumerate() {
        let id = m.message_id.as_deref().map_or_else(
            || "no Message-ID".to_string(),
            |id| format!("Message-ID <{}>", escape_str(id)),
        );
        let fate = match (m.accepted, m.reply_written) {
            (true, true) => p.paint("accepted", Style::new().green()),
            (true, false) => p.paint(
                "accepted, but the client left before the reply",
                Style::new().yellow(),
            ),
            (false, true) => p.fault("refused"),
            (false, false) => p.fault("not taken, no reply"),
        };
        writeln!(
            out,
            "  {}. {} octets, {id}, final dot at {:.1} ms: {fate}",
            i + 1,
            m.stats.content_size,
            m.dot_at_us as f64 / 1000.0
        )?;
        writeln!(out, "     {} {}", p.dim("sha256"), hex(&m.stats.sha256))?;
        if let Some(d) = &m.duplicate_of {
            writeln!(
                out,
                "     {}",
                p.fault(&format!("already arrived on connection {}", d.connection))
            )?;
        }
    }
    if r.record.client.dropped_messages > 0 {
        writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "(+{} more messages not described)",
                r.record.client.dropped_messages
            ))
        )?;
    }
    Ok(())
}

fn write_findings(
    printer: &TextPrinter,
    r: &ClientReport,
    p: &Palette,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if r.findings.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.bold("Findings"))?;
    let mut sorted: Vec<_> = r.findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in sorted {
        writeln!(
            out,
            "  {:<8} {}  [connection {}, {}]",
            p.severity(f.severity),
            p.bold(f.id),
            r.n,
            f.stage
        )?;
        writeln!(out, "           {}", safe_text(&f.summary))?;
        if printer.detail == Detail::Quiet {
            writeln!(out, "           {}", safe_text(&f.detail))?;
        }
        writeln!(out, "           {} {}", p.dim("fix:"), f.fix)?;
        writeln!(out, "           {} {}", p.dim("ref:"), f.reference)?;
    }
    Ok(())
}

/// One Nagios/Icinga status line for the connection.
pub fn write_nagios(r: &ClientReport, out: &mut dyn Write) -> std::io::Result<()> {
    let (e, w, i) = r.counts();
    let state = match r.verdict() {
        Verdict::Ok => "OK",
        Verdict::Warning => "WARNING",
        Verdict::Error => "CRITICAL",
    };
    let mut ids: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.id)
        .collect();
    ids.dedup();
    let ids = if ids.is_empty() {
        String::new()
    } else {
        format!(" ({})", ids.join(", "))
    };
    writeln!(
        out,
        "SMTP CLIENT {state} - connection {} from {}: {e} error(s), {w} warning(s), {i} info{ids} | duration={:.3}s messages={}",
        r.n,
        addr(r.peer),
        r.duration_ms / 1000.0,
        r.record.client.messages.len()
    )
}
