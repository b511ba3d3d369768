//! The annotated transcript for people: every line both ways with its time, direction, TLS mark
//! and visible line ending; findings under the line they came from; a summary with the verdict.
//!
//! It renders the JSON document ([`Document`]): a live run's, made from its report, and a saved
//! one read back by `smtpdoctor report`, print alike. Every string of the document is escaped
//! for the terminal here, since a saved document is input like any other.

use crate::knowledge::Severity;
use crate::record::attempt::Outcome;
use crate::report::document::{Document, EntryDoc, FindingDoc, LimitsDoc, TranscriptDoc};
use crate::report::transcript::ending_of;
use crate::report::{Annotated, Dir, Verdict};
use crate::wire::escape::{escape_for_terminal, escape_str, safe_text, unescape_bytes};
use crate::wire::reply::Terminator;
use owo_colors::{OwoColorize, Style};
use std::borrow::Cow;
use std::io::Write;

pub use crate::config::Detail;

/// Text printer settings.
#[derive(Debug, Clone, Copy)]
pub struct TextPrinter {
    /// Use ANSI colors.
    pub color: bool,
    /// Detail level.
    pub detail: Detail,
}

pub(super) struct Palette {
    pub(super) on: bool,
}

impl Palette {
    pub(super) fn paint(&self, s: &str, style: Style) -> String {
        if self.on {
            s.style(style).to_string()
        } else {
            s.to_string()
        }
    }
    pub(super) fn dim(&self, s: &str) -> String {
        self.paint(s, Style::new().dimmed())
    }
    pub(super) fn bold(&self, s: &str) -> String {
        self.paint(s, Style::new().bold())
    }
    pub(super) fn severity(&self, sev: Severity) -> String {
        let (text, style) = match sev {
            Severity::Error => ("error", Style::new().red().bold()),
            Severity::Warning => ("warning", Style::new().yellow().bold()),
            Severity::Info => ("info", Style::new().cyan()),
        };
        self.paint(text, style)
    }
    pub(super) fn fault(&self, s: &str) -> String {
        self.paint(s, Style::new().red().bold())
    }
}

/// `host [address]`, or just `[address]` when the host is the address itself.
pub(super) fn host_label(host: &str, address: &str) -> String {
    if host == address {
        format!("[{}]", escape_str(address))
    } else {
        format!("{} [{}]", escape_str(host), escape_str(address))
    }
}

fn fmt_ms(ms: f64) -> String {
    format!("{ms:>9.1}ms")
}

/// The exact bytes of a line entry: its `raw` unescaped (a document that does not hold them
/// escaped falls back to its text).
fn line_bytes(e: &EntryDoc) -> Vec<u8> {
    unescape_bytes(&e.raw).unwrap_or_else(|_| e.text.as_bytes().to_vec())
}

/// The entries as the text shows them, each with its index and with the next entry when that
/// one is nothing but the rest of its line ending, written on its own by the client side of the
/// record (the final dot's `\r\n.\r\n` carries the CRLF of the message's last line): the line
/// is shown complete and that entry is not shown again (the JSON keeps both, exactly).
pub(super) fn shown<'t>(
    t: &'t TranscriptDoc<'t>,
) -> impl Iterator<Item = (usize, Cow<'t, EntryDoc<'t>>, Option<Cow<'t, EntryDoc<'t>>>)> {
    let mut it = t.iter().enumerate().peekable();
    std::iter::from_fn(move || {
        let (i, e) = it.next()?;
        let end = it.next_if(|(_, n)| ends_line_of(&e, n)).map(|(_, n)| n);
        Some((i, e, end))
    })
}

/// `n` holds only the rest of the line ending of the written client line `e`.
fn ends_line_of(e: &EntryDoc, n: &EntryDoc) -> bool {
    let written =
        |l: &EntryDoc| l.dir == Dir::Client && l.reads.is_none() && l.truncated_bytes.is_none();
    if !written(e) || !written(n) {
        return false;
    }
    let rest = line_bytes(n);
    match ending_of(&line_bytes(e)) {
        Terminator::Unterminated => matches!(&rest[..], b"\r\n" | b"\n"),
        Terminator::BareCr => &rest[..] == b"\n",
        _ => false,
    }
}

/// The visible line ending of a line.
fn ending(ending: Terminator, p: &Palette) -> String {
    match ending {
        Terminator::CrLf => p.dim("\\r\\n"),
        Terminator::BareLf => p.fault("\\n  <- bare LF"),
        Terminator::BareCr => p.fault("\\r  <- bare CR"),
        Terminator::Unterminated => p.fault("(no line ending)"),
    }
}

/// The counts of what was not kept that [`limits_note`] tells (the record's, as a document
/// has them).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LimitCounts {
    pub(super) truncated_lines: u64,
    pub(super) truncated_bytes: u64,
    pub(super) dropped_reply_lines: u64,
    pub(super) dropped_lines: u64,
    pub(super) dropped_read_bytes: u64,
    pub(super) merged_reads: u64,
}

impl From<&LimitsDoc> for LimitCounts {
    fn from(l: &LimitsDoc) -> LimitCounts {
        LimitCounts {
            truncated_lines: l.truncated_lines,
            truncated_bytes: l.truncated_bytes,
            dropped_reply_lines: l.dropped_reply_lines,
            dropped_lines: l.dropped_lines,
            dropped_read_bytes: l.dropped_read_bytes,
            merged_reads: l.merged_reads,
        }
    }
}

/// What was counted but not kept of an attempt, when anything was.
pub(super) fn limits_note(rec: &LimitCounts) -> Option<String> {
    use crate::record::{MAX_KEPT_LINES, MAX_KEPT_READ_BYTES};
    use crate::wire::reply::MAX_REPLY_LINES;
    let mut parts = Vec::new();
    if rec.truncated_lines > 0 {
        parts.push(format!(
            "{} line(s) cut short, {} bytes of them not kept",
            rec.truncated_lines, rec.truncated_bytes
        ));
    }
    if rec.dropped_reply_lines > 0 {
        parts.push(format!(
            "{} line(s) beyond {MAX_REPLY_LINES} per reply not kept",
            rec.dropped_reply_lines
        ));
    }
    let beyond_transcript = rec.dropped_lines.saturating_sub(rec.dropped_reply_lines);
    if beyond_transcript > 0 {
        parts.push(format!(
            "{beyond_transcript} line(s) beyond the {MAX_KEPT_LINES} kept per attempt not kept"
        ));
    }
    if rec.dropped_read_bytes > 0 {
        parts.push(format!(
            "{} read bytes beyond the {} MiB kept recorded by length only",
            rec.dropped_read_bytes,
            MAX_KEPT_READ_BYTES >> 20
        ));
    }
    if rec.merged_reads > 0 {
        parts.push(format!(
            "{} read(s) counted with an earlier one",
            rec.merged_reads
        ));
    }
    (!parts.is_empty()).then(|| format!("(limits reached: {})", parts.join("; ")))
}

/// Where the findings of one transcript stand: (entry, finding) pairs in entry order, the
/// report's order within an entry, and the findings that point at no entry.
pub(super) struct Placement {
    placed: Vec<(usize, usize)>,
    next: usize,
    /// Findings of the transcript that point at no entry, in the report's order.
    pub(super) unplaced: Vec<usize>,
}

impl Placement {
    /// The findings of `attempt` among `findings`, against a transcript of `len` entries.
    pub(super) fn of(findings: &[FindingDoc], attempt: usize, len: usize) -> Placement {
        let mut placed = Vec::new();
        let mut unplaced = Vec::new();
        for (fi, f) in findings.iter().enumerate() {
            if f.attempt != Some(attempt) {
                continue;
            }
            match f.transcript_index.filter(|&ti| ti < len) {
                Some(ti) => placed.push((ti, fi)),
                None => unplaced.push(fi),
            }
        }
        placed.sort_unstable();
        Placement {
            placed,
            next: 0,
            unplaced,
        }
    }

    /// The findings at entry `ei`; entries must be asked in order.
    pub(super) fn at(&mut self, ei: usize) -> Vec<usize> {
        let mut here = Vec::new();
        while let Some(&(ti, fi)) = self.placed.get(self.next) {
            if ti > ei {
                break;
            }
            if ti == ei {
                here.push(fi);
            }
            self.next += 1;
        }
        here
    }
}

/// The local entry of a completed TLS handshake (documents written before entries named their
/// event are known by its words).
fn tls_established(e: &EntryDoc) -> bool {
    match e.event.as_deref() {
        Some(event) => event == "tls-established",
        None => e.dir == Dir::Local && e.text.starts_with("TLS handshake complete ("),
    }
}

impl Document<'_> {
    /// Whether some attempt of the probe's own dialogue (not an active test) went through to
    /// the aimed stage.
    pub fn got_through(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| a.test.is_none() && *a.outcome == Outcome::Completed)
    }

    /// Counts per severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        counts(&self.findings)
    }
}

/// Counts per severity: (errors, warnings, infos).
pub(super) fn counts(findings: &[FindingDoc]) -> (usize, usize, usize) {
    let n = |s| findings.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

impl TextPrinter {
    /// Writes the report of a run (by way of its document).
    pub fn write(&self, annotated: &Annotated, out: &mut dyn Write) -> std::io::Result<()> {
        self.write_document(&Document::new(annotated), out)
    }

    /// Writes a probe's document, escaping everything that came from outside for a terminal.
    pub fn write_document(&self, r: &Document, out: &mut dyn Write) -> std::io::Result<()> {
        let p = Palette { on: self.color };
        writeln!(
            out,
            "{} {}{}",
            p.bold("smtpdoctor probe"),
            escape_str(&r.target),
            if r.interrupted { "  (interrupted)" } else { "" }
        )?;
        if let Some(d) = r.dns.0.as_ref() {
            self.write_dns(r, d, &p, out)?;
        }
        if let Some(pol) = r.policy_report().filter(|_| self.detail != Detail::Quiet) {
            super::policy_text::write_dns(pol, &p, out)?;
        }
        for f in r.findings.iter().filter(|f| f.attempt.is_none()) {
            if self.detail != Detail::Quiet {
                self.write_finding_inline(f, &p, out)?;
            }
        }
        for (i, a) in r.attempts.iter().enumerate() {
            if self.detail == Detail::Quiet {
                continue;
            }
            let pref = a
                .preference
                .map(|p| format!(" (MX {p})"))
                .unwrap_or_default();
            writeln!(out)?;
            let label = match (&a.test, a.plaintext_retry_of) {
                (Some(name), _) => format!("Test {}", safe_text(name)),
                (None, Some(n)) => format!(
                    "Attempt {} (again without STARTTLS, after attempt {}'s failed handshake)",
                    i + 1,
                    n.saturating_add(1)
                ),
                (None, None) => format!("Attempt {}", i + 1),
            };
            writeln!(
                out,
                "{}",
                p.bold(&format!(
                    "{label}: {}:{}{pref}",
                    host_label(&a.host, &a.address),
                    a.port
                ))
            )?;
            let mut placement = Placement::of(&r.findings, i, a.transcript.len());
            for (ei, e, end) in shown(&a.transcript) {
                self.write_entry_ended(&e, end.as_deref(), &p, out)?;
                if tls_established(&e)
                    && let Some(tls) = a.tls.0.as_ref()
                {
                    self.write_tls(tls, &p, out)?;
                    if let Some(pol) = r.policy_report() {
                        super::policy_text::write_attempt(pol, i, &p, out)?;
                    }
                }
                let ended = end.is_some().then_some(ei + 1);
                for f in placement
                    .at(ei)
                    .into_iter()
                    .chain(ended.into_iter().flat_map(|n| placement.at(n)))
                {
                    self.write_finding_inline(&r.findings[f], &p, out)?;
                }
            }
            if let Some(pol) = r.policy_report().filter(|_| a.tls.0.is_none()) {
                super::policy_text::write_attempt(pol, i, &p, out)?;
            }
            for &f in &placement.unplaced {
                self.write_finding_inline(&r.findings[f], &p, out)?;
            }
            if let Some(note) = limits_note(&LimitCounts::from(&a.limits)) {
                writeln!(out, "             {}", p.dim(&note))?;
            }
        }
        self.write_summary(r, &p, out)
    }

    fn write_dns(
        &self,
        r: &Document,
        d: &crate::record::dns::DnsReport,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        writeln!(
            out,
            "{} MX {} via {} ({:.1} ms)",
            p.bold("DNS"),
            escape_str(&d.query),
            escape_str(&d.resolver),
            d.duration_ms
        )?;
        if self.detail == Detail::Quiet {
            return Ok(());
        }
        for h in &d.mx {
            let addrs = if h.addresses.is_empty() {
                "(no address)".to_string()
            } else {
                h.addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let label = if d.implicit {
                "implicit".to_string()
            } else {
                format!("{:>5}", h.preference)
            };
            writeln!(out, "  {label}  {}  {addrs}", escape_str(&h.exchange))?;
        }
        for pe in r.plan.iter().filter(|pe| pe.skipped.is_some()) {
            writeln!(
                out,
                "         {} {}{}: {}",
                p.dim("skipped"),
                escape_str(&pe.host),
                pe.address.map(|a| format!(" [{a}]")).unwrap_or_default(),
                escape_str(pe.skipped.as_deref().unwrap_or(""))
            )?;
        }
        Ok(())
    }

    pub(super) fn write_entry(
        &self,
        e: &EntryDoc,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.write_entry_ended(e, None, p, out)
    }

    /// [`TextPrinter::write_entry`] for a line whose ending alone came in `end`, the next
    /// entry (see [`shown`]): the line is shown complete; `-v` says where its ending went.
    pub(super) fn write_entry_ended(
        &self,
        e: &EntryDoc,
        end: Option<&EntryDoc>,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let time = p.dim(&fmt_ms(e.at_ms));
        let tls = if e.tls {
            p.dim("tls")
        } else {
            "   ".to_string()
        };
        if e.dir == Dir::Local {
            return writeln!(
                out,
                "{time}  {}  {tls}  {}",
                p.dim("--"),
                p.dim(&safe_text(&e.text))
            );
        }
        // The exact bytes are in `raw` (`text` is lossy); a document that does not hold them
        // escaped falls back to its text.
        let raw = unescape_bytes(&e.raw).unwrap_or_else(|_| e.text.as_bytes().to_vec());
        let line_ending = ending_of(&raw);
        let end_of_text = raw
            .iter()
            .rposition(|&b| b != b'\r' && b != b'\n')
            .map_or(0, |p| p + 1);
        let text = escape_for_terminal(&raw[..end_of_text]);
        let from_client = e.dir == Dir::Client;
        let arrow = if from_client {
            p.paint(">>", Style::new().green())
        } else {
            p.paint("<<", Style::new().blue())
        };
        // Reads for a line of the observed peer; writes for a line the recorder wrote.
        let observed = e.reads.is_some();
        let line_reads = e.reads.as_deref().or(e.writes.as_deref()).unwrap_or(&[]);
        // A line the recorder wrote as a client that ends mid-line goes on in the next write.
        let end = match (end, from_client, observed, line_ending) {
            (Some(rest), ..) => {
                let whole = ending_of(&[&raw[..], &line_bytes(rest)[..]].concat());
                let moved = if self.detail == Detail::Verbose {
                    p.dim(&format!(
                        "  (its line ending went in the next write, at {:.1}ms)",
                        rest.at_ms
                    ))
                } else {
                    String::new()
                };
                format!("{}{moved}", ending(whole, p))
            }
            (None, true, false, Terminator::BareCr | Terminator::Unterminated) => {
                p.dim(" (line continues in the next write)")
            }
            _ => ending(line_ending, p),
        };
        let mut reads = String::new();
        if !line_reads.is_empty() && (self.detail == Detail::Verbose || line_reads.len() > 1) {
            let list: Vec<String> = line_reads
                .iter()
                .map(|r| format!("#{}@{:.1}ms/{}B", r.n, r.at_ms, r.len))
                .collect();
            let what = if observed { "read" } else { "write" };
            let label = format!(
                "  [{what}{} {}]",
                if list.len() > 1 { "s" } else { "" },
                list.join(" + ")
            );
            reads = if line_reads.len() > 1 && observed {
                p.fault(&label)
            } else {
                p.dim(&label)
            };
        }
        let dropped = e.truncated_bytes.unwrap_or(0);
        let cut = if dropped > 0 {
            p.fault(&format!("…(+{dropped} bytes not kept)"))
        } else {
            String::new()
        };
        let discarded = if e.discarded {
            p.dim("  (discarded by the server, not answered)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "{time}  {arrow}  {tls}  {text}{cut}{end}{reads}{discarded}"
        )
    }

    fn write_tls(
        &self,
        t: &crate::record::tls::TlsInfo,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let pad = "                    ";
        let v = &t.verification;
        writeln!(
            out,
            "{pad}{} {} {}, SNI {}",
            p.dim("tls:"),
            safe_text(&t.version),
            safe_text(&t.cipher),
            t.sni.as_deref().map_or("(none)".into(), escape_str)
        )?;
        let verdict = if v.verified() {
            p.paint("verified", Style::new().green())
        } else {
            p.paint(
                &format!(
                    "NOT verified (trusted: {}, name {}: {}, dates: {})",
                    v.trusted,
                    escape_str(&v.name),
                    v.name_ok,
                    v.time_ok
                ),
                Style::new().yellow(),
            )
        };
        writeln!(out, "{pad}{} {verdict}", p.dim("certificate:"))?;
        let n = if self.detail == Detail::Verbose {
            t.chain.len()
        } else {
            1
        };
        for (i, c) in t.chain.iter().take(n).enumerate() {
            writeln!(out, "{pad}  [{i}] subject {}", escape_str(&c.subject))?;
            writeln!(out, "{pad}      issuer  {}", escape_str(&c.issuer))?;
            writeln!(
                out,
                "{pad}      valid   {} .. {}",
                safe_text(&c.not_before),
                safe_text(&c.not_after)
            )?;
            if !c.sans.is_empty() {
                let mut sans: Vec<String> = c.sans.iter().take(8).map(|s| escape_str(s)).collect();
                if c.sans.len() > 8 {
                    sans.push(format!("… ({} in all)", c.sans.len()));
                }
                writeln!(out, "{pad}      names   {}", sans.join(", "))?;
            }
        }
        if t.chain.len() > n {
            writeln!(
                out,
                "{pad}  {}",
                p.dim(&format!(
                    "(+{} more in the chain; -v shows them)",
                    t.chain.len() - n
                ))
            )?;
        }
        Ok(())
    }

    /// One line per DATA stage, each beside its RFC 5321 §4.5.3.2 minimum timeout.
    fn write_data_summary(
        &self,
        d: &crate::record::attempt::DataResult,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        use crate::wire::timeouts::{DATA_BLOCK, DATA_END, DATA_INIT};
        let rfc = |t: std::time::Duration| {
            p.dim(&format!("(RFC minimum {})", humantime::format_duration(t)))
        };
        if let Some(ms) = d.data_reply_ms {
            writeln!(out, "    DATA reply after {ms:.1} ms {}", rfc(DATA_INIT))?;
        }
        if let (Some(ms), Some(rate), Some(slowest)) =
            (d.transfer_ms, d.throughput_mb_s, d.slowest_block_ms)
        {
            writeln!(
                out,
                "    message: {} bytes in {ms:.1} ms ({rate:.1} MB/s), slowest block {slowest:.1} ms {}",
                d.bytes_sent,
                rfc(DATA_BLOCK)
            )?;
        }
        if let Some(ms) = d.dot_reply_ms {
            let first = d
                .dot_first_line_ms
                .filter(|f| (ms - f).abs() > 0.05)
                .map(|f| format!(", first line after {f:.1} ms"))
                .unwrap_or_default();
            let qid = d
                .queue_id
                .as_deref()
                .map(|q| format!(", queue id {}", escape_str(q)))
                .unwrap_or_default();
            writeln!(
                out,
                "    final dot answered after {ms:.1} ms{first}{qid} {}",
                rfc(DATA_END)
            )?;
        }
        if let Some(why) = &d.not_sent {
            writeln!(out, "    {} {}", p.fault("not sent:"), safe_text(why))?;
        }
        Ok(())
    }

    pub(super) fn write_finding_inline(
        &self,
        f: &FindingDoc,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        writeln!(
            out,
            "             {} {} {}: {}",
            p.paint("^", Style::new().bold()),
            p.severity(f.severity),
            p.bold(&safe_text(&f.id)),
            safe_text(&f.summary)
        )?;
        writeln!(out, "               {}", safe_text(&f.detail))
    }

    fn write_summary(&self, r: &Document, p: &Palette, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Summary"))?;
        let aimed = safe_text(&r.aimed_stage);
        for (i, a) in r.attempts.iter().enumerate() {
            let stages: Vec<String> = a
                .stages
                .iter()
                .map(|s| format!("{} {:.1} ms", safe_text(&s.stage), s.duration_ms))
                .collect();
            let outcome = || {
                serde_json::to_value(&*a.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let completed = *a.outcome == Outcome::Completed;
            let failed_stage = a.failed_stage.as_deref().map_or("?".into(), safe_text);
            if let Some(name) = &a.test {
                let how = if completed {
                    "ran to its end".to_string()
                } else {
                    format!("ended at {failed_stage} ({})", outcome())
                };
                writeln!(
                    out,
                    "  attempt {} (test {}): {}  {how} in {:.1} ms",
                    i + 1,
                    safe_text(name),
                    host_label(&a.host, &a.address),
                    a.duration_ms,
                )?;
                continue;
            }
            let how = if completed {
                p.paint(&format!("got through to {aimed}"), Style::new().green())
            } else {
                p.fault(&format!("stopped at {failed_stage} ({})", outcome()))
            };
            // No stage took time (a failed connect): no empty parentheses.
            let stages = if stages.is_empty() {
                String::new()
            } else {
                format!("  ({})", stages.join(", "))
            };
            writeln!(
                out,
                "  attempt {}: {}  {how} in {:.1} ms{stages}",
                i + 1,
                host_label(&a.host, &a.address),
                a.duration_ms,
            )?;
            if let Some(d) = &a.data {
                self.write_data_summary(&d.0.result, p, out)?;
            }
        }
        if let Some(pol) = r.policy_report() {
            super::policy_text::write_summary(pol, p, out)?;
        }
        for note in r.notes.iter() {
            writeln!(out, "  {} {}", p.dim("note:"), safe_text(note))?;
        }
        if !r.findings.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("Findings"))?;
            let mut sorted: Vec<&FindingDoc> = r.findings.iter().collect();
            sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
            for f in sorted {
                let stage = safe_text(&f.stage);
                let at = match f.attempt {
                    Some(a) => format!("attempt {}, {stage}", a.saturating_add(1)),
                    None => stage,
                };
                writeln!(
                    out,
                    "  {:<8} {}  [{at}]",
                    p.severity(f.severity),
                    p.bold(&safe_text(&f.id))
                )?;
                writeln!(out, "           {}", safe_text(&f.summary))?;
                if self.detail == Detail::Quiet {
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
        }
        let (e, w, i) = r.counts();
        let v = r.verdict;
        let word = match v {
            Verdict::Ok => p.paint("OK", Style::new().green().bold()),
            Verdict::Warning => p.paint("WARNING", Style::new().yellow().bold()),
            Verdict::Error => p.paint("CRITICAL", Style::new().red().bold()),
        };
        let mut through = if r.got_through() {
            String::new()
        } else {
            format!("; no attempt got through to {aimed}")
        };
        if r.interrupted {
            through.push_str("; interrupted (Ctrl-C): judged on what was recorded");
        }
        writeln!(out)?;
        writeln!(
            out,
            "Verdict: {word} (exit {}): {e} error(s), {w} warning(s), {i} info{through}",
            v.exit_code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Anchor;
    use crate::checks::Finding;
    use crate::checks::testkit::{attempt, read};
    use crate::record::Stage;
    use crate::report::Report;

    fn report(lines: usize, findings: usize) -> Report {
        let mut wire = Vec::new();
        for _ in 0..lines {
            wire.extend_from_slice(b"220-x\r\n");
        }
        wire.extend_from_slice(b"220 end\r\n");
        let a = attempt(vec![read(1, &wire)]);
        let findings = (0..findings)
            .map(|i| {
                let mut f = Finding::new(
                    "reply-bare-lf",
                    Stage::Greeting,
                    Anchor::Line(lines - i * 7),
                    "s",
                    "d",
                );
                f.attempt = Some(0);
                f
            })
            .collect();
        Report {
            target: "hostile.test".into(),
            started_at: std::time::SystemTime::UNIX_EPOCH,
            duration_ms: 0.0,
            dns: None,
            plan: vec![],
            attempts: vec![a],
            findings,
            aimed: "rcpt",
            notes: vec![],
            policy: None,
            interrupted: false,
        }
    }

    fn render(r: &Report) -> String {
        let mut out = Vec::new();
        TextPrinter {
            color: false,
            detail: Detail::Normal,
        }
        .write(&r.annotate(), &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn findings_stand_under_their_lines() {
        let text = render(&report(3, 1));
        let line = text.find("220 end").expect("last line");
        let finding = text.find("^ error reply-bare-lf").expect("finding");
        assert!(finding > line, "{text}");
    }

    /// What came from outside is escaped here, in the printer; the model keeps it exact.
    #[test]
    fn server_and_local_text_is_escaped_for_the_terminal() {
        let r = crate::report::testkit::hostile_report();
        let text = render(&r);
        assert!(
            text.contains("220 mx \\x1b[31m\\xff \\u{202e} \\\\ Grüße\\r\\n"),
            "{text}"
        );
        assert!(
            text.contains("note \\x1b[2J with \\\\ and \\u{200b}"),
            "{text}"
        );
        assert!(text.contains("connect failed: refused \\x1b"), "{text}");
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::wire::escape::is_dangerous(c)),
            "{text}"
        );
        let line = r.annotate().transcripts[0][2].text();
        assert!(
            line.contains('\u{1b}'),
            "the model keeps the exact text: {line:?}"
        );
    }

    #[test]
    fn tls_details_follow_the_handshake_entry() {
        let text = render(&crate::report::testkit::hostile_report());
        let handshake = text.find("TLS handshake complete").expect("handshake");
        let details = text
            .find("tls: TLSv1.3 TLS13_AES_256_GCM_SHA384")
            .expect("details");
        let next = text.find("<<  tls  250-yyy").expect("next line");
        assert!(handshake < details && details < next, "{text}");
    }

    /// Regression: each entry looked every finding's anchor up in the whole transcript, so a
    /// server's 20000 lines with a few dozen findings took minutes to print.
    #[test]
    fn a_long_transcript_with_many_findings_prints_in_linear_time() {
        let r = report(19_000, 40);
        let started = std::time::Instant::now();
        let text = render(&r);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(text.matches("^ error reply-bare-lf").count(), 40);
    }
}
