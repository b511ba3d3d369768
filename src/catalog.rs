//! TEMPORARY stub
use crate::finding::Severity;
pub struct Entry {
    pub id: &'static str,
    pub severity: Severity,
    pub reference: &'static str,
    pub fix: &'static str,
}
pub fn entry(id: &str) -> Option<&'static Entry> {
    let sev = if id.contains("rejected")
        || id.starts_with("reply-")
            && !id.contains("slow")
            && !id.contains("too-long")
            && !id.contains("non-ascii")
            && !id.contains("bare-code")
        || id.starts_with("connect-")
        || id.contains("failed")
        || id == "greeting-554"
        || id == "greeting-timeout"
        || id == "tls-cert-expired"
        || id == "mx-nxdomain"
        || id == "helo-extended"
        || id == "starttls-post-state"
        || id == "starttls-required"
        || id == "mx-none-usable"
    {
        Severity::Error
    } else if id.contains("implicit")
        || id == "mx-null"
        || id == "greeting-multiline"
        || id == "reply-bare-code"
        || id == "greylisted"
        || id == "postscreen-after-tests"
    {
        Severity::Info
    } else {
        Severity::Warning
    };
    Some(Box::leak(Box::new(Entry {
        id: Box::leak(id.to_string().into_boxed_str()),
        severity: sev,
        reference: "RFC 5321",
        fix: "stub",
    })))
}
