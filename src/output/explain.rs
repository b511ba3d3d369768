//! Renders an [`Explanation`] as wrapped plain text or as a JSON document.

use crate::knowledge::catalog::{self, Entry};
use crate::knowledge::codes::ReplyCodes;
use crate::knowledge::explain::{Explanation, KnownError, reply_codes};
use crate::report::explain::ExplainDocument;
pub use crate::report::explain::SCHEMA as JSON_SCHEMA;
use std::io::{self, Write};

/// Text width the plain-text output is wrapped at.
pub const WIDTH: usize = 100;

/// What to run when nothing matched.
const PROBE_SUGGESTION: &str = "smtpdoctor probe <domain> -v";

/// How many further matches the text output lists after the best one.
const MORE_MATCHES: usize = 4;

/// Longest stretch of the input echoed back in the text output.
const INPUT_ECHO: usize = 300;

/// Writes `e` (the explanation of `input`) as readable plain text.
pub fn render_explanation(e: &Explanation, input: &str, out: &mut dyn Write) -> io::Result<()> {
    let codes = reply_codes(e, input);
    match e {
        Explanation::Finding(entry) => render_entry(entry, out),
        Explanation::Known(matches) => {
            render_known(matches, input, out)?;
            render_codes(&codes, out)
        }
        Explanation::Unknown if !codes.is_empty() => {
            paragraph(
                out,
                "Wording not known; the reply codes in it are explained below (RFC 5321 §4.2, \
                 RFC 3463 and the IANA registry of enhanced status codes).",
                "",
                "  ",
            )?;
            paragraph(out, &format!("Input: {}", echo(input)), "", "  ")?;
            render_codes(&codes, out)?;
            section(
                out,
                "Next step",
                &format!(
                    "See the reply in its dialogue: {PROBE_SUGGESTION}\n\
                     (add --from and --data to see a reply that comes after the message)"
                ),
            )
        }
        Explanation::Unknown => render_unknown(input, out),
    }
}

/// What the codes of each reply found in the text mean.
fn render_codes(codes: &[ReplyCodes], out: &mut dyn Write) -> io::Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Reply codes")?;
    for r in codes {
        paragraph(out, &r.found, "  ", "  ")?;
        let mut items = Vec::new();
        if let Some(b) = &r.basic {
            items.push(match (&b.text, &b.reference) {
                (Some(text), Some(reference)) => format!("{}: {text} ({reference})", b.code),
                _ => format!(
                    "{}: not a code of RFC 5321 or its common extensions",
                    b.code
                ),
            });
            items.push(format!(
                "{}yz: {}; x{}z: {}",
                b.code / 100,
                b.class,
                b.code / 10 % 10,
                b.category
            ));
        }
        if let Some(e) = &r.enhanced {
            items.push(match &e.detail {
                Some(d) => format!(
                    "{}: {}: {} ({})",
                    e.code, d.name, d.description, d.reference
                ),
                None => format!(
                    "{}: not in the IANA registry: a code of the server's own; its class and \
                     subject below still hold",
                    e.code
                ),
            });
            let class = e.code.split('.').next().unwrap_or("?");
            items.push(format!(
                "class {class}: {}: {}",
                e.class.name, e.class.description
            ));
            if let Some(s) = &e.subject {
                let subject = e.code.split('.').nth(1).unwrap_or("?");
                items.push(format!("subject {subject}: {}: {}", s.name, s.description));
            }
        }
        if r.classes_disagree {
            items.push(
                "the enhanced code's class differs from the reply code's first digit, which \
                 RFC 3463 §2 asks to be the same"
                    .to_string(),
            );
        }
        for item in &items {
            paragraph(out, item, "    - ", "      ")?;
        }
    }
    Ok(())
}

/// The explanation of `input` as a JSON document (`schema` `smtpdoctor.explain/v1`).
///
/// `kind` is `finding`, `known` or `unknown`; `finding` holds the catalog entry, `matches` the
/// recognised errors best first (each with its related findings), `suggestion` the next command.
pub fn explanation_json<'a>(e: &Explanation, input: &'a str) -> ExplainDocument<'a> {
    ExplainDocument::new(e, input, PROBE_SUGGESTION)
}

fn render_entry(entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
    paragraph(
        out,
        &format!("{} ({}): {}", entry.id, entry.severity, entry.title),
        "",
        "  ",
    )?;
    section(out, "Meaning", entry.meaning)?;
    bullets(out, "Causes", entry.causes.iter().copied())?;
    section(out, "Fix", entry.fix)?;
    section(out, "Reference", entry.reference)?;
    section(out, "Reproduce", entry.reproduce)?;
    let demos = demo_scenarios(entry.id);
    if demos.is_empty() {
        Ok(())
    } else {
        section(out, "See it offline", &demos.join("\n"))
    }
}

/// `smtpdoctor demo NAME` commands of the scenarios that produce a finding.
pub fn demo_scenarios(id: &str) -> Vec<String> {
    crate::server::scenarios()
        .iter()
        .filter(|s| s.expect.contains(&id))
        .map(|s| {
            let mut cmd = format!("smtpdoctor demo {}", s.name);
            for a in s.probe_args {
                cmd.push(' ');
                cmd.push_str(a);
            }
            cmd
        })
        .take(3)
        .collect()
}

fn render_known(matches: &[&KnownError], input: &str, out: &mut dyn Write) -> io::Result<()> {
    let Some(best) = matches.first() else {
        return render_unknown(input, out);
    };
    paragraph(
        out,
        &format!("Recognised: {} ({})", best.key, best.mta),
        "",
        "  ",
    )?;
    paragraph(out, &format!("Input: {}", echo(input)), "", "  ")?;
    paragraph(out, &format!("Known form: {}", best.example), "", "  ")?;
    section(out, "Meaning", best.meaning)?;
    bullets(out, "Likely causes", best.causes.iter().copied())?;
    let related: Vec<String> = best
        .findings
        .iter()
        .filter_map(|id| catalog::entry(id))
        .map(|f| format!("{} ({}): {}", f.id, f.severity, f.title))
        .collect();
    bullets(out, "Related findings", related.iter().map(String::as_str))?;
    section(
        out,
        "Reproduce",
        &format!(
            "{}\nDetails of a finding: smtpdoctor explain {}",
            best.reproduce,
            best.findings.first().copied().unwrap_or("<finding-id>")
        ),
    )?;
    let client_side = client_reproductions(best.findings);
    if !client_side.is_empty() {
        section(
            out,
            "The sending side (point the client at the mock)",
            &client_side.join("\n"),
        )?;
    }
    if matches.len() > 1 {
        let others: Vec<String> = matches[1..]
            .iter()
            .take(MORE_MATCHES)
            .map(|k| format!("{} ({}), e.g. \"{}\"", k.key, k.mta, k.example))
            .collect();
        bullets(
            out,
            "Other possible readings",
            others.iter().map(String::as_str),
        )?;
    }
    Ok(())
}

/// `id: command` for each related client finding whose reproduction is a mock or a demo client.
pub fn client_reproductions(findings: &[&str]) -> Vec<String> {
    findings
        .iter()
        .filter_map(|id| catalog::entry(id))
        .filter(|e| {
            e.reproduce.starts_with("smtpdoctor mock ")
                || e.reproduce.starts_with("smtpdoctor demo --client ")
        })
        .map(|e| format!("{}: {}", e.id, e.reproduce))
        .collect()
}

fn render_unknown(input: &str, out: &mut dyn Write) -> io::Result<()> {
    paragraph(
        out,
        "Not recognised: no finding id and no known MTA error text matches this input.",
        "",
        "  ",
    )?;
    paragraph(out, &format!("Input: {}", echo(input)), "", "  ")?;
    section(
        out,
        "Next step",
        &format!(
            "Probe the server the message was going to and read the annotated transcript:\n{PROBE_SUGGESTION}\n\
             A finding id from a report can be explained directly: smtpdoctor explain <finding-id>"
        ),
    )
}

/// A heading followed by the text, each of its lines wrapped and indented.
fn section(out: &mut dyn Write, heading: &str, text: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{heading}")?;
    for line in text.lines() {
        paragraph(out, line, "  ", "  ")?;
    }
    Ok(())
}

/// A heading followed by one wrapped bullet per item.
fn bullets<'a>(
    out: &mut dyn Write,
    heading: &str,
    items: impl Iterator<Item = &'a str>,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{heading}")?;
    for item in items {
        paragraph(out, item, "  - ", "    ")?;
    }
    Ok(())
}

/// Writes `text` word-wrapped at [`WIDTH`], the first line prefixed by `first`, the rest by `rest`.
fn paragraph(out: &mut dyn Write, text: &str, first: &str, rest: &str) -> io::Result<()> {
    for line in wrap(text, WIDTH, first, rest) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let wlen = word.chars().count();
        if !empty && len + 1 + wlen > width {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += wlen;
        empty = false;
    }
    lines.push(line);
    lines
}

/// The input as one safe line, escaped as transcripts are (`\r`, `\n`, `\t`, `\xHH` for
/// other controls, `\u{XXXX}` for bidi and invisible characters), long input shortened.
fn echo(input: &str) -> String {
    let mut shown = String::new();
    for (i, c) in input.trim().chars().enumerate() {
        if i == INPUT_ECHO {
            shown.push('…');
            break;
        }
        match c {
            '\r' => shown.push_str("\\r"),
            '\n' => shown.push_str("\\n"),
            '\t' => shown.push_str("\\t"),
            c => shown.push_str(&crate::wire::escape::safe_text(c.encode_utf8(&mut [0; 4]))),
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::explain::explain;

    fn text(input: &str) -> String {
        let mut buf: Vec<u8> = Vec::new();
        render_explanation(&explain(input), input, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn finding_has_heading_and_all_sections() {
        let out = text("greeting-fragmented");
        assert!(
            out.starts_with(
                "greeting-fragmented (warning): Greeting line split across TCP reads\n"
            )
        );
        for heading in [
            "\nMeaning\n",
            "\nCauses\n",
            "\nFix\n",
            "\nReference\n",
            "\nReproduce\n",
        ] {
            assert!(out.contains(heading), "missing {heading:?} in\n{out}");
        }
        assert!(out.contains("  smtpdoctor demo greeting-fragmented\n"));
    }

    #[test]
    fn lines_are_wrapped_at_width() {
        for input in [
            "dot-timeout",
            "open-relay",
            "Nov 22 10:00:00 client postfix/smtp[1]: ABC: conversation with mx.example.com[192.0.2.1] \
             timed out while sending end of data -- message may be sent more than once",
        ] {
            for line in text(input).lines() {
                // A single word longer than the width may stand alone on its line.
                assert!(
                    line.chars().count() <= WIDTH || !line.trim().contains(' '),
                    "too long: {line:?}"
                );
            }
        }
    }

    #[test]
    fn known_error_lists_related_findings_and_reproduction() {
        let out = text(
            "Nov 22 10:00:00 client postfix/smtp[1]: ABC: conversation with mx.example.com[192.0.2.1] \
             timed out while sending end of data -- message may be sent more than once",
        );
        assert!(
            out.starts_with("Recognised: postfix-eod-timeout (Postfix)\n"),
            "{out}"
        );
        assert!(out.contains(
            "\nRelated findings\n  - dot-timeout (error): No reply to the final dot in time\n"
        ));
        assert!(out.contains("\nReproduce\n  smtpdoctor probe you@example.com -v --data\n"));
        assert!(
            out.contains("\nOther possible readings\n  - postfix-conversation-timeout (Postfix)")
        );
    }

    /// The sender's side of a dot timeout: the client finding and the mock that shows it.
    #[test]
    fn a_dot_timeout_names_the_client_finding_and_the_mock() {
        let out = text(
            "postfix/smtp[1]: ... timed out while sending end of data -- message may be sent more than once",
        );
        assert!(
            out.starts_with("Recognised: postfix-eod-timeout (Postfix)\n"),
            "{out}"
        );
        assert!(
            out.contains("  - client-timeout-short (warning): "),
            "{out}"
        );
        assert!(
            out.contains(
                "\nThe sending side (point the client at the mock)\n  client-timeout-short: \
                 smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-dot-hold --once\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn unknown_suggests_a_probe() {
        let out = text("Nov 22 10:00:00 host sshd[1]: Accepted publickey");
        assert!(out.starts_with("Not recognised:"));
        assert!(out.contains("smtpdoctor probe <domain> -v"));
        assert!(out.contains("Input: Nov 22 10:00:00 host sshd[1]: Accepted publickey\n"));
    }

    #[test]
    fn control_bytes_in_the_input_are_escaped() {
        let out = text("Zero length SMTP status line\r\n\u{1b}[2J \u{202e}x");
        assert!(
            out.contains("Input: Zero length SMTP status line\\r\\n\\x1b[2J \\u{202e}x\n"),
            "{out}"
        );
        assert!(!out.contains('\u{1b}'));
        assert!(!out.contains('\u{202e}'));
        assert!(!out.contains('\r'));
    }

    #[test]
    fn long_input_is_shortened_in_the_echo() {
        let input = format!("Zero length SMTP status line {}", "x".repeat(1000));
        let out = text(&input);
        assert!(out.contains('…'));
        assert!(out.len() < 3000);
    }

    fn json(e: &Explanation, input: &str) -> serde_json::Value {
        serde_json::to_value(explanation_json(e, input)).unwrap()
    }

    #[test]
    fn json_for_each_kind() {
        let v = json(&explain("greeting-fragmented"), "greeting-fragmented");
        assert_eq!(v["schema"], JSON_SCHEMA);
        assert_eq!(v["kind"], "finding");
        assert_eq!(v["finding"]["id"], "greeting-fragmented");
        assert_eq!(v["finding"]["severity"], "warning");
        assert!(v["finding"]["causes"].as_array().unwrap().len() > 1);

        let input = "Error reading SMTP packet; response to dot-stuffed message expected";
        let v = json(&explain(input), input);
        assert_eq!(v["kind"], "known");
        assert_eq!(v["input"], input);
        assert_eq!(v["matches"][0]["key"], "pmdf-dot-stuffed-expected");
        assert_eq!(v["matches"][0]["findings"][0]["id"], "dot-timeout");
        assert_eq!(v["matches"][0]["findings"][0]["severity"], "error");
        assert_eq!(
            v["suggestion"],
            "smtpdoctor probe you@example.com -v --data"
        );

        let v = json(&Explanation::Unknown, "nothing");
        assert_eq!(v["kind"], "unknown");
        assert_eq!(v["suggestion"], PROBE_SUGGESTION);
        assert!(v.get("matches").is_none());
    }

    #[test]
    fn every_entry_and_known_error_renders() {
        for entry in catalog::ENTRIES {
            let out = text(entry.id);
            assert!(out.starts_with(entry.id));
        }
        for known in crate::knowledge::explain::KNOWN_ERRORS {
            let out = text(known.example);
            assert!(
                out.starts_with(&format!("Recognised: {} ", known.key)),
                "{out}"
            );
        }
    }

    #[test]
    fn wrap_keeps_words_and_indents() {
        let lines = wrap("aaa bbb ccc ddd", 9, "- ", "  ");
        assert_eq!(lines, ["- aaa bbb", "  ccc ddd"]);
        assert_eq!(wrap("", 10, "> ", "  "), ["> "]);
        assert_eq!(
            wrap("averyveryverylongword x", 8, "", ""),
            ["averyveryverylongword", "x"]
        );
    }

    #[test]
    fn every_demo_named_in_the_knowledge_base_exists() {
        let texts = crate::knowledge::catalog::ENTRIES
            .iter()
            .map(|e| e.reproduce)
            .chain(
                crate::knowledge::explain::KNOWN_ERRORS
                    .iter()
                    .map(|k| k.reproduce),
            );
        for t in texts {
            for (i, _) in t.match_indices("smtpdoctor demo ") {
                let name = t[i + 16..].split_whitespace().next().unwrap_or("");
                if !name.is_empty() && !name.starts_with('-') {
                    assert!(
                        crate::server::find(name).is_some(),
                        "no demo scenario {name:?} in {t:?}"
                    );
                }
            }
        }
    }
}
