//! What did not run: test connections that ended before their test, and why.

use super::*;

/// Whether a test attempt got to the unusual part it exists for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reach {
    /// The test sent what it tests and the answer was judged.
    Reached,
    /// The server gave the test nothing to test (the reason).
    NotApplicable(String),
    /// The connection ended before the test's point (how).
    NotReached(String),
}

/// How an attempt ended, for a note: the stage and outcome, and the refusal when there was one.
pub(super) fn how_it_ended(a: &Attempt) -> String {
    let outcome = serde_json::to_value(&a.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut s = format!(
        "ended at {} ({outcome})",
        a.failed_stage.as_ref().map_or("?".into(), |st| st.name())
    );
    if let Some(r) = a.record.replies.iter().rfind(|r| !r.unsolicited)
        && r.code.is_some_and(|c| c >= 400)
    {
        s.push_str(&format!(": `{}`", reply_wire(&a.record, r)));
    }
    s
}

pub(super) fn reach(a: &Attempt) -> Reach {
    let Some(name) = a.test else {
        return Reach::Reached;
    };
    let rec = &a.record;
    let w = test_write(rec, name);
    match (name, w) {
        ("starttls-injection", Some(w)) => {
            let shook = rec.events[w..]
                .iter()
                .any(|e| matches!(e.kind, EventKind::TlsHandshake { ok: true, .. }));
            if shook {
                Reach::Reached
            } else if a.completed() {
                let code = rec
                    .replies
                    .iter()
                    .find(|r| r.stage == Stage::Starttls)
                    .and_then(|r| r.code)
                    .map_or("nothing".into(), |c| c.to_string());
                Reach::NotApplicable(format!("STARTTLS was answered with {code}"))
            } else {
                Reach::NotReached(how_it_ended(a))
            }
        }
        ("starttls-injection", None) if a.completed() => Reach::NotApplicable(
            if a.tls.is_some() {
                "the connection is TLS from the start"
            } else {
                "STARTTLS is not advertised"
            }
            .into(),
        ),
        // Only QUIT's 221 after the sequence tells one line from two; a session the server
        // ended first (a 554 for pipelining, a 421) decided nothing.
        ("bare-lf", Some(w))
            if !rec
                .replies
                .iter()
                .any(|r| r.command_event == Some(w) && r.code == Some(221)) =>
        {
            Reach::NotReached(how_it_ended(a))
        }
        ("pregreet", None) if a.completed() => {
            Reach::NotApplicable("no 220- teaser on this connection".into())
        }
        (_, Some(_)) => Reach::Reached,
        (_, None) => Reach::NotReached(how_it_ended(a)),
    }
}

/// The relay forms an attempt left untried (no answer to their RCPT), in test order.
pub(super) fn relay_untried(rec: &Record) -> Vec<&'static str> {
    let answered: Vec<&str> = relay_answers(rec).iter().map(|a| a.form).collect();
    std::iter::once(RELAY_CATCH_ALL_FORM)
        .chain(RELAY_FORMS)
        .filter(|f| !answered.contains(f))
        .collect()
}

/// Notes on the active tests that did not do what they exist for: connections that ended before
/// the test's point (so its silence is no pass), tests the server gave nothing to test, and the
/// relay forms a hang-up left untried. One note per test and reason.
pub fn unreached_notes(attempts: &[Attempt]) -> Vec<String> {
    let mut groups: Vec<(&str, Reach, usize)> = Vec::new();
    let mut totals: Vec<(&str, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        let Some(name) = a.test else { continue };
        match totals.iter_mut().find(|(n, _)| *n == name) {
            Some((_, n)) => *n += 1,
            None => totals.push((name, 1)),
        }
        let r = reach(a);
        if r == Reach::Reached {
            if name == "relay" {
                let untried = relay_untried(&a.record);
                if !untried.is_empty() {
                    let last = a.record.replies.iter().rfind(|r| !r.unsolicited);
                    let how = match last {
                        Some(r) if r.code == Some(421) => format!(
                            "the server closed the session with `{}`",
                            reply_wire(&a.record, r)
                        ),
                        _ => format!("the session {}", how_it_ended(a)),
                    };
                    out.push(format!(
                        "active test relay (attempt {}): not tried: {}; {how}; run it again \
                         later (or from another address) to judge them",
                        i + 1,
                        untried.join(", "),
                    ));
                }
            }
            continue;
        }
        match groups.iter_mut().find(|(n, g, _)| *n == name && *g == r) {
            Some((_, _, n)) => *n += 1,
            None => groups.push((name, r, 1)),
        }
    }
    let total = |name: &str| totals.iter().find(|(n, _)| *n == name).map_or(0, |t| t.1);
    let mut notes: Vec<String> = groups
        .into_iter()
        .map(|(name, r, n)| match r {
            Reach::NotReached(how) => format!(
                "active test {name} did not get to its test on {n} of {} connection(s), which \
                 {how}: it says nothing about the server",
                total(name)
            ),
            Reach::NotApplicable(why) => {
                format!("active test {name}: nothing to test on {n} connection(s): {why}")
            }
            Reach::Reached => String::new(),
        })
        .collect();
    notes.extend(out);
    notes
}
