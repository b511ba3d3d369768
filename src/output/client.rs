//! Printers of the client report (SPEC §8): the annotated transcript of one connection with its findings and verdict, its JSON document, a Nagios line.
//!
//! Text and Nagios render from the JSON document ([`ClientDocument`]), a live connection's and a
//! saved one alike (`smtpdoctor report`).

use crate::config::{Detail, Format, OutputConfig};
use crate::knowledge::Severity;
use crate::report::Verdict;
use crate::report::client::{ClientDocument, ClientReport, TlsField};
use crate::report::document::FindingDoc;
use crate::wire::escape::{escape_str, safe_text};
use owo_colors::Style;
use std::io::Write;

use super::text::{LimitCounts, Palette, Placement, TextPrinter, counts, limits_note};

/// Prints a client report in the chosen format (JSON: one line).
pub fn print(
    r: &ClientReport,
    args: &OutputConfig,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let a = r.annotate();
    let doc = ClientDocument::new(&a);
    match args.format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &doc)?;
            out.write_all(b"\n")
        }
        Format::Nagios => write_nagios(&doc, out),
        Format::Text => write_text(
            &TextPrinter {
                color,
                detail: args.detail,
            },
            &doc,
            out,
        ),
    }
}

/// `address` or `-` when unknown.
fn addr(a: Option<&str>) -> String {
    a.map_or_else(|| "-".to_string(), escape_str)
}

impl ClientDocument<'_> {
    /// The proxy's TLS object, for a proxy's report.
    fn proxy_tls(&self) -> Option<&crate::report::client::ProxyTlsDoc<'_>> {
        match &self.tls {
            Some(TlsField::Proxy(t)) => Some(t),
            _ => None,
        }
    }
}

/// The annotated transcript of one connection, its messages, its findings and the verdict.
pub fn write_text(
    printer: &TextPrinter,
    r: &ClientDocument,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let p = Palette { on: printer.color };
    let n = r.connection.n;
    let what = match (&r.upstream, r.proxy_tls()) {
        (Some(up), tls) => format!("upstream {up}, TLS {}", tls.map_or("", |t| t.mode.as_ref())),
        (None, _) => format!("scenario {}", r.scenario.as_deref().unwrap_or("")),
    };
    writeln!(
        out,
        "{}",
        p.bold(&format!(
            "smtpdoctor {}: connection {n} from {} ({}, listening on {})",
            safe_text(&r.mode),
            addr(r.connection.peer.as_deref()),
            safe_text(&what),
            addr(r.listen.as_deref())
        ))
    )?;
    if let Some(fp) = r.proxy_tls().and_then(|t| t.certificate_sha256.as_deref()) {
        writeln!(
            out,
            "certificate shown to the client: sha256 {}",
            safe_text(fp)
        )?;
    }
    if printer.detail != Detail::Quiet {
        let attempt = usize::try_from(n).unwrap_or(usize::MAX);
        let mut placement = Placement::of(&r.findings, attempt, r.transcript.len());
        for (ei, e, end) in super::text::shown(&r.transcript) {
            printer.write_entry_ended(&e, end.as_deref(), &p, out)?;
            let ended = end.is_some().then_some(ei + 1);
            for f in placement
                .at(ei)
                .into_iter()
                .chain(ended.into_iter().flat_map(|n| placement.at(n)))
            {
                printer.write_finding_inline(&r.findings[f], &p, out)?;
            }
        }
        for &f in &placement.unplaced {
            printer.write_finding_inline(&r.findings[f], &p, out)?;
        }
        let l = &r.limits;
        let server_side = LimitCounts {
            truncated_lines: l.server_truncated_lines,
            truncated_bytes: l.server_truncated_bytes,
            dropped_reply_lines: l.dropped_reply_lines,
            dropped_lines: l.server_dropped_lines,
            dropped_read_bytes: l.dropped_read_bytes,
            merged_reads: l.merged_reads,
        };
        if let Some(note) = limits_note(&server_side) {
            writeln!(out, "             {}", p.dim(&note))?;
        }
        if l.truncated_lines > 0 || l.dropped_lines > 0 {
            writeln!(
                out,
                "             {}",
                p.dim(&format!(
                    "(client lines: {} cut short, {} not kept)",
                    l.truncated_lines, l.dropped_lines
                ))
            )?;
        }
    }
    write_messages(r, &p, out)?;
    write_findings(printer, r, &p, out)?;
    let (e, w, i) = counts(&r.findings);
    let v = r.verdict;
    let word = match v {
        Verdict::Ok => p.paint("OK", Style::new().green().bold()),
        Verdict::Warning => p.paint("WARNING", Style::new().yellow().bold()),
        Verdict::Error => p.paint("CRITICAL", Style::new().red().bold()),
    };
    writeln!(out)?;
    writeln!(
        out,
        "Verdict: {word} (exit {}): connection {n} from {}: {e} error(s), {w} warning(s), {i} info in {:.1} ms",
        v.exit_code(),
        addr(r.connection.peer.as_deref()),
        r.connection.duration_ms
    )
}

fn write_messages(r: &ClientDocument, p: &Palette, out: &mut dyn Write) -> std::io::Result<()> {
    if r.messages.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.bold("Messages"))?;
    for (i, m) in r.messages.iter().enumerate() {
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
            m.size,
            m.dot_at_ms
        )?;
        writeln!(out, "     {} {}", p.dim("sha256"), safe_text(&m.sha256))?;
        if let Some(d) = &m.duplicate_of {
            writeln!(
                out,
                "     {}",
                p.fault(&format!("already arrived on connection {}", d.connection))
            )?;
        }
    }
    if r.limits.dropped_messages > 0 {
        writeln!(
            out,
            "  {}",
            p.dim(&format!(
                "(+{} more messages not described)",
                r.limits.dropped_messages
            ))
        )?;
    }
    Ok(())
}

fn write_findings(
    printer: &TextPrinter,
    r: &ClientDocument,
    p: &Palette,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if r.findings.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.bold("Findings"))?;
    let mut sorted: Vec<&FindingDoc> = r.findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in sorted {
        writeln!(
            out,
            "  {:<8} {}  [connection {}, {}]",
            p.severity(f.severity),
            p.bold(&safe_text(&f.id)),
            r.connection.n,
            safe_text(&f.stage)
        )?;
        writeln!(out, "           {}", safe_text(&f.summary))?;
        if printer.detail == Detail::Quiet {
            writeln!(out, "           {}", safe_text(&f.detail))?;
        }
        writeln!(out, "           {} {}", p.dim("fix:"), safe_text(&f.fix))?;
        writeln!(
            out,
            "           {} {}",
            p.dim("ref:"),
            safe_text(&f.reference)
        )?;
    }
    Ok(())
}

/// One Nagios/Icinga status line for the connection.
pub fn write_nagios(r: &ClientDocument, out: &mut dyn Write) -> std::io::Result<()> {
    let (e, w, i) = counts(&r.findings);
    let state = match r.verdict {
        Verdict::Ok => "OK",
        Verdict::Warning => "WARNING",
        Verdict::Error => "CRITICAL",
    };
    let mut ids: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| safe_text(&f.id))
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
        r.connection.n,
        addr(r.connection.peer.as_deref()),
        r.connection.duration_ms / 1000.0,
        r.messages.len()
    )
}
