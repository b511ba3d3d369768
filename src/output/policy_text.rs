//! The delivery security policy in the text report: DNSSEC status of each answer and the
//! policy records in the DNS section, the DANE and MTA-STS verdicts after each attempt's TLS
//! details, and one summary line per policy saying what a strict sender does.

use super::text::Palette;
use crate::record::policy::{DnssecStatus, Validated};
use crate::report::policy::PolicyReport;
use crate::wire::escape::{escape_str, safe_text};
use owo_colors::Style;
use std::io::Write;

fn status(s: DnssecStatus, p: &Palette) -> String {
    let style = match s {
        DnssecStatus::Secure => Style::new().green(),
        DnssecStatus::Bogus => Style::new().red().bold(),
        _ => Style::new().dimmed(),
    };
    p.paint(s.name(), style)
}

fn answer(v: &Validated, p: &Palette) -> String {
    let err = v
        .error
        .as_ref()
        .map(|e| format!(", {}", escape_str(&e.message)))
        .unwrap_or_default();
    format!(
        "{} {} {}{err}",
        escape_str(&v.name),
        v.rtype,
        status(v.status, p)
    )
}

/// The DNS section's policy lines.
pub(super) fn write_dns(r: &PolicyReport, p: &Palette, out: &mut dyn Write) -> std::io::Result<()> {
    let f = &r.facts;
    let label = |s: &str| p.dim(&format!("  {s:<8}"));
    if let Some(mx) = &f.mx {
        writeln!(
            out,
            "{} {} {}",
            label("dnssec"),
            answer(mx, p),
            p.dim(&format!("(trust anchors: {})", escape_str(&f.anchors)))
        )?;
    }
    for h in f.dane.iter().flatten() {
        let addrs: Vec<String> = h.addresses.iter().map(|v| answer(v, p)).collect();
        let tlsa = match &h.lookup {
            Some(l) => format!("; {} ({} record(s))", answer(l, p), h.records.len()),
            None => String::new(),
        };
        writeln!(out, "{} {}{tlsa}", label("dnssec"), addrs.join("; "))?;
    }
    if let Some(s) = &f.mta_sts {
        let rec = match s.records.as_slice() {
            [] => "no v=STSv1 record".to_string(),
            rs => rs
                .iter()
                .map(|r| format!("{:?}", escape_str(r)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        writeln!(
            out,
            "{} _mta-sts TXT {rec} ({})",
            label("mta-sts"),
            status(s.lookup.status, p)
        )?;
        if let Some(x) = &s.fetch {
            let how = match (&x.error, &s.policy) {
                (Some(e), _) => p.fault(&escape_str(e)),
                (None, Some(pol)) => format!(
                    "mode {}, mx {}, max_age {}",
                    escape_str(&pol.mode),
                    escape_str(&pol.mx.join(", ")),
                    pol.max_age
                ),
                (None, None) => p.fault(&format!(
                    "does not parse: {}",
                    escape_str(s.policy_error.as_deref().unwrap_or("?"))
                )),
            };
            writeln!(
                out,
                "{} {} {}in {:.1} ms: {how}",
                label("mta-sts"),
                escape_str(&x.url),
                x.status.map(|c| format!("HTTP {c} ")).unwrap_or_default(),
                x.duration_ms
            )?;
        }
    }
    if let Some(t) = &f.tls_rpt {
        let rec = match t.records.as_slice() {
            [] => "no v=TLSRPTv1 record".to_string(),
            rs => rs
                .iter()
                .map(|r| format!("{:?}", escape_str(r)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        writeln!(out, "{} _smtp._tls TXT {rec}", label("tls-rpt"))?;
    }
    Ok(())
}

/// The DANE and MTA-STS verdicts of one attempt (after its TLS details).
pub(super) fn write_attempt(
    r: &PolicyReport,
    attempt: usize,
    p: &Palette,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let pad = "                    ";
    for d in r
        .verdicts
        .dane
        .iter()
        .flatten()
        .filter(|d| d.attempt == Some(attempt))
    {
        let style = match d.verdict {
            "valid" => Style::new().green(),
            "mismatch" | "lookup-failed" | "no-starttls" => Style::new().red().bold(),
            _ => Style::new().dimmed(),
        };
        writeln!(
            out,
            "{pad}{} {}: {}",
            p.dim("dane:"),
            p.paint(d.verdict, style),
            safe_text(&d.why)
        )?;
    }
    let Some(sts) = &r.verdicts.mta_sts else {
        return Ok(());
    };
    let mode = r
        .facts
        .mta_sts
        .as_ref()
        .and_then(|s| s.policy.as_ref())
        .map_or("?", |p| p.mode.as_str());
    for a in sts.attempts.iter().filter(|a| a.attempt == attempt) {
        let cover = match &a.pattern {
            Some(pat) => format!("covered by mx pattern {}", escape_str(pat)),
            None => p.fault("matches no mx pattern"),
        };
        let cert = if a.cert_ok {
            p.paint(
                "certificate PKIX-valid for the MX name",
                Style::new().green(),
            )
        } else {
            p.fault(&format!(
                "certificate not acceptable: {}",
                safe_text(a.cert_why.as_deref().unwrap_or("?"))
            ))
        };
        writeln!(
            out,
            "{pad}{} {}: {cover}; {cert}",
            p.dim("mta-sts:"),
            escape_str(mode)
        )?;
    }
    Ok(())
}

/// One line per policy: what a strict sender does.
pub(super) fn write_summary(
    r: &PolicyReport,
    p: &Palette,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if let Some(vs) = &r.verdicts.dane {
        let rank = |v: &str| match v {
            "mismatch" | "lookup-failed" | "no-starttls" => 0,
            "unusable" => 1,
            "valid" => 2,
            "not-published" => 3,
            _ => 4,
        };
        let line = match vs.iter().min_by_key(|v| rank(v.verdict)) {
            None => "no MX host to look up".to_string(),
            Some(w) => {
                let hosts: Vec<&str> = vs
                    .iter()
                    .filter(|v| v.verdict == w.verdict)
                    .map(|v| v.host.as_str())
                    .collect();
                let hosts = escape_str(&hosts.join(", "));
                match w.verdict {
                    "mismatch" => p.fault(&format!(
                        "DANE senders will defer mail to {hosts}: no TLSA record matches the certificate"
                    )),
                    "lookup-failed" => p.fault(&format!(
                        "DANE senders will defer mail to {hosts}: the TLSA lookup failed"
                    )),
                    "no-starttls" => p.fault(&format!(
                        "DANE senders will defer mail to {hosts}: TLSA records demand TLS, none was negotiated"
                    )),
                    "unusable" => format!(
                        "DANE senders use unauthenticated TLS with {hosts}: its TLSA records are unusable"
                    ),
                    "valid" => p.paint(
                        &format!("DANE senders deliver to {hosts} over authenticated TLS"),
                        Style::new().green(),
                    ),
                    "not-published" => format!(
                        "DANE senders use opportunistic TLS with {hosts}: no TLSA records"
                    ),
                    _ => format!(
                        "DANE does not apply to {hosts}: {}",
                        if r.facts.dnssec_unavailable.is_some() {
                            "DNSSEC could not be validated"
                        } else {
                            "the zone is not signed"
                        }
                    ),
                }
            }
        };
        writeln!(out, "  {} {line}", p.dim("dane:"))?;
    }
    if let Some(v) = &r.verdicts.mta_sts {
        let mode = r
            .facts
            .mta_sts
            .as_ref()
            .and_then(|s| s.policy.as_ref())
            .map_or("", |p| p.mode.as_str());
        let enforce = mode == "enforce";
        let why = safe_text(&v.why);
        let line = match v.verdict {
            "valid" => p.paint(
                &format!("MTA-STS ({mode}): senders deliver; {why}"),
                Style::new().green(),
            ),
            "mx-mismatch" | "cert-invalid" if enforce => p.fault(&format!(
                "MTA-STS senders (enforce) will not deliver: {why}"
            )),
            "mx-mismatch" | "cert-invalid" => {
                format!("MTA-STS senders (testing) deliver but report a failure: {why}")
            }
            "unavailable" => p.fault(&format!(
                "MTA-STS: {why}; senders without a cached policy deliver without it"
            )),
            "invalid" => format!("MTA-STS: {why}; senders treat the domain as having no policy"),
            _ => format!("MTA-STS: not published ({why})"),
        };
        writeln!(out, "  {} {line}", p.dim("mta-sts:"))?;
    }
    if let Some(t) = &r.facts.tls_rpt {
        let line = match (&t.error, t.rua.is_empty()) {
            (Some(e), _) => format!("TLS-RPT record malformed: {}", safe_text(e)),
            (None, true) => "TLS-RPT: not published, senders report failures nowhere".into(),
            (None, false) => format!(
                "TLS-RPT: senders report failures to {}",
                escape_str(&t.rua.join(", "))
            ),
        };
        writeln!(out, "  {} {line}", p.dim("tls-rpt:"))?;
    }
    Ok(())
}
