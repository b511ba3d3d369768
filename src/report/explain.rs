//! The `explain --json` document (schema `smtpdoctor.explain/v1`) as typed serde structs.
//!
//! As in the report document, every object's fields are declared in lexicographic order, the
//! key order v1 has.

use crate::knowledge::Severity;
use crate::knowledge::catalog::{self, Entry};
use crate::knowledge::explain::{Explanation, KnownError};
use serde::Serialize;

/// The `schema` value of the document.
pub const SCHEMA: &str = "smtpdoctor.explain/v1";

/// What the input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A finding id.
    Finding,
    /// One or more known error texts.
    Known,
    /// No known wording, but reply codes it explains.
    Codes,
    /// Nothing known.
    Unknown,
}

/// The explanation of one input.
#[derive(Debug, Serialize)]
pub struct ExplainDocument<'a> {
    /// What the codes of each reply found in the input mean (kinds `known` and `codes`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<crate::knowledge::codes::ReplyCodes>,
    /// The catalog entry (kind `finding`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<CatalogEntryDoc>,
    /// The input as given.
    pub input: &'a str,
    /// What the input is.
    pub kind: Kind,
    /// The recognised errors, best first (kind `known`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<KnownErrorDoc>>,
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The command to run next.
    pub suggestion: Option<&'static str>,
}

impl<'a> ExplainDocument<'a> {
    /// The document of `e`, the explanation of `input`; `probe` is the command suggested when
    /// nothing matched.
    pub fn new(e: &Explanation, input: &'a str, probe: &'static str) -> ExplainDocument<'a> {
        let codes = crate::knowledge::explain::reply_codes(e, input);
        let doc = |kind, suggestion| ExplainDocument {
            codes: codes.clone(),
            finding: None,
            input,
            kind,
            matches: None,
            schema: SCHEMA,
            suggestion,
        };
        match e {
            Explanation::Finding(entry) => ExplainDocument {
                finding: Some(CatalogEntryDoc::new(entry)),
                ..doc(Kind::Finding, Some(entry.reproduce))
            },
            Explanation::Known(matches) => ExplainDocument {
                matches: Some(matches.iter().map(|k| KnownErrorDoc::new(k)).collect()),
                ..doc(Kind::Known, matches.first().map(|k| k.reproduce))
            },
            Explanation::Unknown if !codes.is_empty() => doc(Kind::Codes, Some(probe)),
            Explanation::Unknown => doc(Kind::Unknown, Some(probe)),
        }
    }
}

/// A catalog entry.
#[derive(Debug, Serialize)]
pub struct CatalogEntryDoc {
    /// Usual reasons, most common first.
    pub causes: &'static [&'static str],
    /// What to do.
    pub fix: &'static str,
    /// Finding id.
    pub id: &'static str,
    /// Plain-language meaning.
    pub meaning: &'static str,
    /// RFC section or source.
    pub reference: &'static str,
    /// The command that shows it.
    pub reproduce: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line naming the fault.
    pub title: &'static str,
}

impl CatalogEntryDoc {
    fn new(e: &Entry) -> CatalogEntryDoc {
        CatalogEntryDoc {
            causes: e.causes,
            fix: e.fix,
            id: e.id,
            meaning: e.meaning,
            reference: e.reference,
            reproduce: e.reproduce,
            severity: e.severity,
            title: e.title,
        }
    }
}

/// A recognised MTA error text.
#[derive(Debug, Serialize)]
pub struct KnownErrorDoc {
    /// Likely causes, most common first.
    pub causes: &'static [&'static str],
    /// An example of the text.
    pub example: &'static str,
    /// The related findings.
    pub findings: Vec<FindingRefDoc>,
    /// Stable short name.
    pub key: &'static str,
    /// What the error means.
    pub meaning: &'static str,
    /// The MTA that writes it.
    pub mta: &'static str,
    /// The command that reproduces or investigates it.
    pub reproduce: &'static str,
}

impl KnownErrorDoc {
    fn new(k: &KnownError) -> KnownErrorDoc {
        KnownErrorDoc {
            causes: k.causes,
            example: k.example,
            findings: k
                .findings
                .iter()
                .filter_map(|id| catalog::entry(id))
                .map(|f| FindingRefDoc {
                    id: f.id,
                    severity: f.severity,
                    title: f.title,
                })
                .collect(),
            key: k.key,
            meaning: k.meaning,
            mta: k.mta,
            reproduce: k.reproduce,
        }
    }
}

/// A related finding of a known error.
#[derive(Debug, Serialize)]
pub struct FindingRefDoc {
    /// Finding id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line naming the fault.
    pub title: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::explain::{KNOWN_ERRORS, explain};

    /// Keys come in v1 order (lexicographic) for every kind of document.
    #[test]
    fn keys_are_in_v1_order() {
        let mut inputs: Vec<&str> = catalog::ENTRIES.iter().map(|e| e.id).collect();
        inputs.extend(KNOWN_ERRORS.iter().map(|k| k.example));
        inputs.push("nothing known here");
        for input in inputs {
            let doc = ExplainDocument::new(&explain(input), input, "probe");
            let text = serde_json::to_string(&doc).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(text, serde_json::to_string(&value).unwrap(), "{input}");
        }
    }

    #[test]
    fn known_without_a_match_suggests_nothing() {
        let doc = ExplainDocument::new(&Explanation::Known(vec![]), "x", "probe");
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(v["kind"], "known");
        assert_eq!(v["matches"], serde_json::json!([]));
        assert!(v["suggestion"].is_null());
        assert!(v.get("finding").is_none());
    }
}
