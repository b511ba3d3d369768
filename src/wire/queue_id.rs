//! The queue id a server names in its reply to the final dot.

/// The queue id in a reply to the final dot, when the server names one (Postfix `queued as X`,
/// Exim `id=X`, Sendmail `X Message accepted`, Exchange `<id> [InternalId=...] Queued mail`).
pub fn queue_id(text: &str) -> Option<String> {
    let clean = |s: &str| {
        let t: String = s
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@' | '<' | '>')
            })
            .collect();
        let t = t
            .trim_matches(|c| c == '<' || c == '>' || c == '.')
            .to_string();
        (!t.is_empty()).then_some(t)
    };
    let lower = text.to_ascii_lowercase();
    for key in ["queued as ", "id=", "queued mail for delivery"] {
        if let Some(p) = lower.find(key) {
            if key == "queued mail for delivery" {
                break;
            }
            return clean(&text[p + key.len()..]);
        }
    }
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("message"))
        && words
            .get(i + 1)
            .is_some_and(|w| w.eq_ignore_ascii_case("accepted"))
        && i >= 1
    {
        return clean(words[i - 1]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids() {
        assert_eq!(
            queue_id("2.0.0 Ok: queued as 4Xz1qL0abcz9"),
            Some("4Xz1qL0abcz9".into())
        );
        assert_eq!(
            queue_id("OK id=1rABCd-000123-4x"),
            Some("1rABCd-000123-4x".into())
        );
        assert_eq!(
            queue_id("2.0.0 5AMK1a2b003456 Message accepted for delivery"),
            Some("5AMK1a2b003456".into())
        );
        assert_eq!(queue_id("2.0.0 Ok"), None);
    }
}
