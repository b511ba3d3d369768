//! The queue id a server names in its reply to the final dot.
//!
//! Only wordings known from real servers give a queue id; any other text gives none, so that
//! a word such as `OK` in `250 2.0.0 OK: message accepted and discarded` is never taken for one.

/// The queue id in a reply to the final dot (the text after the reply code), when the server
/// names one in a form it is known to use:
///
/// - Postfix: `2.0.0 Ok: queued as 4Xz1qL0abcz9`
/// - Exim: `OK id=1rABCd-000123-4x`
/// - Sendmail (also OpenSMTPD, Proofpoint): `2.0.0 5AMK1a2b003456 Message accepted for delivery`
/// - Exchange: `2.6.0 <message-id> [InternalId=12345, Hostname=...] Queued mail for delivery`
///   (the InternalId, the id message tracking shows)
/// - Gmail: `2.0.0 OK  1700000000 x1-20020a17090a...  - gsmtp` (the token after the timestamp)
pub fn queue_id(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    postfix(&words)
        .or_else(|| exchange(text))
        .or_else(|| exim(&words))
        .or_else(|| sendmail(&words))
        .or_else(|| gmail(&words))
}

/// A queue id token: letters, digits and `-`, `_`, `.`, `@`, `=`, `+`, `/`, `:` as queue ids of
/// real MTAs use them, with at least one letter or digit, at most 128 characters.
fn token(word: &str) -> Option<String> {
    let ok = !word.is_empty()
        && word.len() <= 128
        && word.bytes().any(|b| b.is_ascii_alphanumeric())
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b'=' | b'+' | b'/')
        });
    ok.then(|| word.to_string())
}

/// An enhanced status code (`2.0.0`): never a queue id.
fn is_enhanced_code(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The words `expected` (case-insensitive) at `words[at..]`.
fn words_at(words: &[&str], at: usize, expected: &[&str]) -> bool {
    words.len() >= at + expected.len()
        && expected
            .iter()
            .zip(&words[at..])
            .all(|(e, w)| w.eq_ignore_ascii_case(e))
}

/// Postfix: `queued as ID`.
fn postfix(words: &[&str]) -> Option<String> {
    let i = (0..words.len()).find(|&i| words_at(words, i, &["queued", "as"]))?;
    token(words.get(i + 2)?.trim_end_matches(['.', ',', ')']))
}

/// Exim: a word `id=ID`.
fn exim(words: &[&str]) -> Option<String> {
    words.iter().find_map(|w| {
        let (key, id) = w.split_once('=')?;
        if key.eq_ignore_ascii_case("id") {
            token(id.trim_end_matches(['.', ',']))
        } else {
            None
        }
    })
}

/// Sendmail and the servers that copied its wording: `ID Message accepted for delivery`.
fn sendmail(words: &[&str]) -> Option<String> {
    let i = (1..words.len())
        .find(|&i| words_at(words, i, &["message", "accepted", "for", "delivery"]))?;
    let id = words[i - 1];
    if is_enhanced_code(id) || !id.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    token(id)
}

/// Exchange: `[InternalId=ID, Hostname=...] Queued mail for delivery`.
fn exchange(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("queued mail for delivery") {
        return None;
    }
    let start = lower.find("[internalid=")? + "[internalid=".len();
    let rest = &text[start..];
    let end = rest.find([',', ']', ' ']).unwrap_or(rest.len());
    token(&rest[..end])
}

/// Gmail: `OK TIMESTAMP ID`, the Unix time in seconds right after `OK`.
fn gmail(words: &[&str]) -> Option<String> {
    let i = words.iter().position(|w| w.eq_ignore_ascii_case("ok"))?;
    let time = words.get(i + 1)?;
    if !(9..=11).contains(&time.len()) || !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = words.get(i + 2)?;
    if *id == "-" {
        return None;
    }
    token(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids() {
        let table: &[(&str, Option<&str>)] = &[
            // Postfix
            ("2.0.0 Ok: queued as 4Xz1qL0abcz9", Some("4Xz1qL0abcz9")),
            ("2.0.0 Ok: queued as 8A1B2C3D4E", Some("8A1B2C3D4E")),
            ("Ok: queued as MOCK1234", Some("MOCK1234")),
            // Exim
            ("OK id=1rABCd-000123-4x", Some("1rABCd-000123-4x")),
            ("2.0.0 OK id=1rABCd-000123-4x", Some("1rABCd-000123-4x")),
            // Sendmail, OpenSMTPD
            (
                "2.0.0 5AMK1a2b003456 Message accepted for delivery",
                Some("5AMK1a2b003456"),
            ),
            (
                "2.0.0 4f1c2b3a Message accepted for delivery",
                Some("4f1c2b3a"),
            ),
            // Exchange and Microsoft 365: the InternalId, not our own Message-ID.
            (
                "2.6.0 <smtpdoctor.1.2@probe.example> [InternalId=25915832811522, \
                 Hostname=EX01.contoso.com] Queued mail for delivery",
                Some("25915832811522"),
            ),
            (
                "2.6.0 <a@b> [InternalId=1234567890123, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] \
                 15621 bytes in 0.123, 123.992 KB/sec Queued mail for delivery",
                Some("1234567890123"),
            ),
            // Gmail
            (
                "2.0.0 OK  1700000000 x1-20020a17090a4b0100b0028d8fe7c47asm1234567pjb.12 - gsmtp",
                Some("x1-20020a17090a4b0100b0028d8fe7c47asm1234567pjb.12"),
            ),
            ("2.0.0 OK  1700000000 x1-20020a", Some("x1-20020a")),
            // No queue id
            ("2.0.0 OK: message accepted and discarded", None),
            ("2.0.0 Message accepted for delivery", None),
            ("2.0.0 OK: Message accepted for delivery", None),
            ("2.0.0 Ok", None),
            ("OK", None),
            ("2.0.0 OK  1700000000 - gsmtp", None),
            ("2.0.0 Ok: queued as", None),
            ("2.6.0 Queued mail for delivery", None),
            ("2.0.0 Thanks, id is unknown", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(queue_id(text).as_deref(), *want, "{text:?}");
        }
    }

    #[test]
    fn internal_id_is_not_an_exim_id() {
        // `InternalId=` contains `id=`: only a word that is `id=...` is Exim's.
        assert_eq!(
            queue_id("2.6.0 <x@y> [InternalId=42, Hostname=h] Queued mail for delivery").as_deref(),
            Some("42")
        );
        assert_eq!(queue_id("2.0.0 [InternalId=42] accepted"), None);
    }
}
