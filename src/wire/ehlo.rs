//! Capabilities from an EHLO reply (RFC 5321 §4.1.1.1).

use serde::Serialize;

/// One advertised extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Capability {
    /// The keyword as sent (case kept).
    pub keyword: String,
    /// Parameters after the keyword.
    pub params: Vec<String>,
}

/// The parsed EHLO (or HELO) reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The domain on the first line.
    pub server_name: String,
    /// Extensions from the following lines.
    pub capabilities: Vec<Capability>,
}

impl Capabilities {
    /// Parses the texts of a 250 reply's lines (code and separator already removed).
    pub fn parse<'a>(texts: impl IntoIterator<Item = &'a str>) -> Capabilities {
        let mut it = texts.into_iter();
        let server_name = it
            .next()
            .and_then(|t| t.split_ascii_whitespace().next())
            .unwrap_or_default()
            .to_string();
        let capabilities = it
            .filter_map(|t| {
                let mut words = t.split_ascii_whitespace();
                let keyword = words.next()?.to_string();
                Some(Capability {
                    keyword,
                    params: words.map(str::to_string).collect(),
                })
            })
            .collect();
        Capabilities {
            server_name,
            capabilities,
        }
    }

    /// The capability with this keyword (case-insensitive).
    pub fn get(&self, keyword: &str) -> Option<&Capability> {
        self.capabilities
            .iter()
            .find(|c| c.keyword.eq_ignore_ascii_case(keyword))
    }

    /// Whether the keyword is advertised.
    pub fn has(&self, keyword: &str) -> bool {
        self.get(keyword).is_some()
    }

    /// The SIZE limit: `Some(Some(n))` for `SIZE n`, `Some(None)` for SIZE without a number,
    /// `Some(Some(0))` means "no fixed limit" (RFC 1870).
    pub fn size(&self) -> Option<Option<u64>> {
        self.get("SIZE")
            .map(|c| c.params.first().and_then(|p| p.parse().ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keywords_and_params() {
        let c = Capabilities::parse([
            "mx.example.com Hello [127.0.0.1]",
            "PIPELINING",
            "SIZE 10240000",
            "starttls",
            "AUTH PLAIN LOGIN",
        ]);
        assert_eq!(c.server_name, "mx.example.com");
        assert!(c.has("STARTTLS"));
        assert_eq!(c.size(), Some(Some(10_240_000)));
        assert_eq!(c.get("auth").unwrap().params, vec!["PLAIN", "LOGIN"]);
        assert_eq!(c.capabilities.len(), 4);
    }

    #[test]
    fn empty_and_blank_lines() {
        let c = Capabilities::parse(["", " "]);
        assert_eq!(c.server_name, "");
        assert!(c.capabilities.is_empty());
        assert_eq!(c.size(), None);
    }
}
