//! The annotated transcript for people: every line both ways with its time, direction, TLS mark
//! and visible line ending; findings under the line they came from; a summary with the verdict.

use crate::checks::Finding;
use crate::knowledge::Severity;
use crate::record::Peer;
use crate::report::{Annotated, Entry, EntryKind, Local, Report, Verdict};
use crate::wire::escape::{escape_for_terminal, escape_str, safe_text};
use crate::wire::reply::Terminator;
use owo_colors::{OwoColorize, Style};
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
pub(super) fn host_label(host: &str, addr: std::net::SocketAddr) -> String {
    if host == addr.ip().to_string() {
        format!("[{}]", addr.ip())
    } else {
        format!("{} [{}]", escape_str(host), addr.ip())
    }
}

fn fmt_ms(us: u64) -> String {
    format!("{:>9.1}ms", us as f64 / 1000.0)
}

/// The entries as the text shows them, each with the next entry when that one is nothing but
/// the rest of its line ending, written on its own by the client side of the record (the final
/// dot's `\r\n.\r\n` carries the CRLF of the message's last line): the line is shown
/// complete and that entry is not shown again (the JSON keeps both, exactly).
pub(super) fn shown<'e, 'a>(
    entries: &'e [Entry<'a>],
) -> impl Iterator<Item = (&'e Entry<'a>, Option<&'e Entry<'a>>)> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let e = entries.get(i)?;
        let end = entries.get(i + 1).filter(|n| ends_line_of(e, n));
        i += if end.is_some() { 2 } else { 1 };
        Some((e, end))
    })
}

/// `n` holds only the rest of the line ending of the written client line `e`.
fn ends_line_of(e: &Entry, n: &Entry) -> bool {
    let (Some(l), Some(m)) = (e.line(), n.line()) else {
        return false;
    };
    let written = |l: &crate::report::transcript::Line| {
        l.from == Peer::Client && !l.observed && l.dropped == 0
    };
    written(l)
        && written(m)
        && match l.ending {
            Terminator::Unterminated => matches!(&m.raw[..], b"\r\n" | b"\n"),
            Terminator::BareCr => &m.raw[..] == b"\n",
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

/// What was counted but not kept of an attempt, when anything was.
pub(super) fn limits_note(rec: &crate::record::Record) -> Option<String> {
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

impl TextPrinter {
    /// Writes the report, escaping everything that came from outside for a terminal.
    pub fn write(&self, annotated: &Annotated, out: &mut dyn Write) -> std::io::Result<()> {
        let r = annotated.report;
        let p = Palette { on: self.color };
        writeln!(
            out,
            "{} {}{}",
            p.bold("smtpdoctor probe"),
            escape_str(&r.target),
            if r.interrupted { "  (interrupted)" } else { "" }
        )?;
        if let Some(d) = &r.dns {
            self.write_dns(r, d, &p, out)?;
        }
        if let Some(pol) = r.policy.as_ref().filter(|_| self.detail != Detail::Quiet) {
            super::policy_text::write_dns(pol, &p, out)?;
        }
        for f in r.findings.iter().filter(|f| f.attempt.is_none()) {
            if self.detail != Detail::Quiet {
                self.write_finding_inline(f, &p, out)?;
            }
        }
        for (i, (a, t)) in annotated.attempts().enumerate() {
            if self.detail == Detail::Quiet {
                continue;
            }
            let pref = a
                .target
                .preference
                .map(|p| format!(" (MX {p})"))
                .unwrap_or_default();
            writeln!(out)?;
            let label = match (a.test, a.plaintext_retry_of) {
                (Some(name), _) => format!("Test {name}"),
                (None, Some(n)) => format!(
                    "Attempt {} (again without STARTTLS, after attempt {}'s failed handshake)",
                    i + 1,
                    n + 1
                ),
                (None, None) => format!("Attempt {}", i + 1),
            };
            writeln!(
                out,
                "{}",
                p.bold(&format!(
                    "{label}: {}:{}{pref}",
                    host_label(&a.target.host, a.target.addr),
                    a.target.addr.port()
                ))
            )?;
            for (e, end) in shown(t) {
                self.write_entry_ended(e, end, &p, out)?;
                if let Some(Local::TlsEstablished(_)) = e.local()
                    && let Some(tls) = &a.tls
                {
                    self.write_tls(tls, &p, out)?;
                    if let Some(pol) = &r.policy {
                        super::policy_text::write_attempt(pol, i, &p, out)?;
                    }
                }
                for &f in e
                    .findings
                    .iter()
                    .chain(end.iter().flat_map(|n| &n.findings))
                {
                    self.write_finding_inline(&r.findings[f], &p, out)?;
                }
            }
            if let Some(pol) = r.policy.as_ref().filter(|_| a.tls.is_none()) {
                super::policy_text::write_attempt(pol, i, &p, out)?;
            }
            for &f in t.unplaced() {
                self.write_finding_inline(&r.findings[f], &p, out)?;
            }
            if let Some(note) = limits_note(&a.record) {
                writeln!(out, "             {}", p.dim(&note))?;
            }
        }
        self.write_summary(r, &p, out)
    }

    fn write_dns(
        &self,
        r: &Report,
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
        e: &Entry,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.write_entry_ended(e, None, p, out)
    }

    /// [`TextPrinter::write_entry`] for a line whose ending alone came in `end`, the next
    /// entry (see [`shown`]): the line is shown complete; `-v` says where its ending went.
    pub(super) fn write_entry_ended(
        &self,
        e: &Entry,
        end: Option<&Entry>,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let time = p.dim(&fmt_ms(e.at_us));
        let tls = if e.tls {
            p.dim("tls")
        } else {
            "   ".to_string()
        };
        let l = match &e.kind {
            EntryKind::Local(l) => {
                let note = l.describe(escape_str);
                return writeln!(out, "{time}  {}  {tls}  {}", p.dim("--"), p.dim(&note));
            }
            EntryKind::Line(l) => l,
        };
        let text = escape_for_terminal(l.text_bytes());
        let arrow = match l.from {
            Peer::Client => p.paint(">>", Style::new().green()),
            Peer::Server => p.paint("<<", Style::new().blue()),
        };
        // A line the recorder wrote as a client that ends mid-line goes on in the next write.
        let end = match (end.and_then(Entry::line), l.from, l.observed, l.ending) {
            (Some(rest), ..) => {
                let whole =
                    crate::report::transcript::ending_of(&[&l.raw[..], &rest.raw[..]].concat());
                let moved = if self.detail == Detail::Verbose {
                    p.dim(&format!(
                        "  (its line ending went in the next write, at {:.1}ms)",
                        end.map_or(0, |n| n.at_us) as f64 / 1000.0
                    ))
                } else {
                    String::new()
                };
                format!("{}{moved}", ending(whole, p))
            }
            (None, Peer::Client, false, Terminator::BareCr | Terminator::Unterminated) => {
                p.dim(" (line continues in the next write)")
            }
            _ => ending(l.ending, p),
        };
        let mut reads = String::new();
        if !l.reads.is_empty() && (self.detail == Detail::Verbose || l.reads.len() > 1) {
            let list: Vec<String> = l
                .reads
                .iter()
                .map(|r| format!("#{}@{:.1}ms/{}B", r.n, r.at_ms, r.len))
                .collect();
            let what = if l.observed { "read" } else { "write" };
            let label = format!(
                "  [{what}{} {}]",
                if list.len() > 1 { "s" } else { "" },
                list.join(" + ")
            );
            reads = if l.reads.len() > 1 && l.observed {
                p.fault(&label)
            } else {
                p.dim(&label)
            };
        }
        let cut = if l.dropped > 0 {
            p.fault(&format!("…(+{} bytes not kept)", l.dropped))
        } else {
            String::new()
        };
        let discarded = if l.discarded {
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
            t.version,
            t.cipher,
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
                c.not_before, c.not_after
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
        f: &Finding,
        p: &Palette,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        writeln!(
            out,
            "             {} {} {}: {}",
            p.paint("^", Style::new().bold()),
            p.severity(f.severity),
            p.bold(f.id),
            safe_text(&f.summary)
        )?;
        writeln!(out, "               {}", safe_text(&f.detail))
    }

    fn write_summary(&self, r: &Report, p: &Palette, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Summary"))?;
        for (i, a) in r.attempts.iter().enumerate() {
            let stages: Vec<String> = a
                .stages
                .iter()
                .map(|s| format!("{} {:.1} ms", s.stage, s.duration_ms))
                .collect();
            let outcome = || {
                serde_json::to_value(&a.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            if let Some(name) = a.test {
                let how = if a.completed() {
                    "ran to its end".to_string()
                } else {
                    format!(
                        "ended at {} ({})",
                        a.failed_stage.as_ref().map_or("?".into(), |s| s.name()),
                        outcome()
                    )
                };
                writeln!(
                    out,
                    "  attempt {} (test {name}): {}  {how} in {:.1} ms",
                    i + 1,
                    host_label(&a.target.host, a.target.addr),
                    a.duration_ms,
                )?;
                continue;
            }
            let how = if a.completed() {
                p.paint(&format!("got through to {}", r.aimed), Style::new().green())
            } else {
                p.fault(&format!(
                    "stopped at {} ({})",
                    a.failed_stage.as_ref().map_or("?".into(), |s| s.name()),
                    outcome()
                ))
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
                host_label(&a.target.host, a.target.addr),
                a.duration_ms,
            )?;
            if let Some(d) = &a.data {
                self.write_data_summary(d, p, out)?;
            }
        }
        if let Some(pol) = &r.policy {
            super::policy_text::write_summary(pol, p, out)?;
        }
        for note in &r.notes {
            writeln!(out, "  {} {}", p.dim("note:"), safe_text(note))?;
        }
        if !r.findings.is_empty() {
            writeln!(out)?;
            writeln!(out, "{}", p.bold("Findings"))?;
            let mut sorted: Vec<&Finding> = r.findings.iter().collect();
            sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
            for f in sorted {
                let at = match f.attempt {
                    Some(a) => format!("attempt {}, {}", a + 1, f.stage),
                    None => f.stage.to_string(),
                };
                writeln!(
                    out,
                    "  {:<8} {}  [{at}]",
                    p.severity(f.severity),
                    p.bold(f.id)
                )?;
                writeln!(out, "           {}", safe_text(&f.summary))?;
                if self.detail == Detail::Quiet {
                    writeln!(out, "           {}", safe_text(&f.detail))?;
                }
                writeln!(out, "           {} {}", p.dim("fix:"), f.fix)?;
                writeln!(out, "           {} {}", p.dim("ref:"), f.reference)?;
            }
        }
        let (e, w, i) = r.counts();
        let v = r.verdict();
        let word = match v {
            Verdict::Ok => p.paint("OK", Style::new().green().bold()),
            Verdict::Warning => p.paint("WARNING", Style::new().yellow().bold()),
            Verdict::Error => p.paint("CRITICAL", Style::new().red().bold()),
        };
        let mut through = if r.got_through() {
            String::new()
        } else {
            format!("; no attempt got through to {}", r.aimed)
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
    use crate::checks::testkit::{attempt, read};
    use crate::record::Stage;

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
