//! `dnssec-bogus` and `dnssec-insecure`: what a validating resolver makes of the answers.

use super::finding;
use crate::checks::Finding;
use crate::record::policy::{DnssecStatus, PolicyFacts, Validated};

/// Every validated answer of the facts.
fn answers(facts: &PolicyFacts) -> Vec<&Validated> {
    let mut all: Vec<&Validated> = facts.mx.iter().collect();
    for h in facts.dane.iter().flatten() {
        all.extend(h.addresses.iter());
        all.extend(h.lookup.iter());
    }
    all.extend(facts.mta_sts.iter().map(|s| &s.lookup));
    all.extend(facts.tls_rpt.iter().map(|s| &s.lookup));
    all
}

/// One `dnssec-bogus` per bogus answer; one `dnssec-insecure` when MX hosts sit in unsigned zones.
pub fn check(facts: &PolicyFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    for v in answers(facts)
        .into_iter()
        .filter(|v| v.status == DnssecStatus::Bogus)
    {
        out.push(finding(
            "dnssec-bogus",
            format!("the {} answer for {} fails DNSSEC validation", v.rtype, v.name),
            format!(
                "{} {}: {}; validating resolvers answer SERVFAIL, so validating senders cannot use it",
                v.name,
                v.rtype,
                v.error
                    .as_ref()
                    .map_or("signatures do not verify".into(), |e| e.message.clone())
            ),
        ));
    }
    let insecure: Vec<&str> = facts
        .dane
        .iter()
        .flatten()
        .filter(|h| h.address_status() == DnssecStatus::Insecure)
        .map(|h| h.host.as_str())
        .collect();
    if !insecure.is_empty() {
        out.push(finding(
            "dnssec-insecure",
            format!(
                "the zone of {} is not signed: DANE cannot apply",
                insecure.join(", ")
            ),
            format!(
                "the address records of {} validate as insecure (a proven unsigned delegation), \
                 so DANE senders fall back to opportunistic TLS for them",
                insecure.join(", ")
            ),
        ));
    }
    out
}
