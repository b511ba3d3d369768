//! Escaping of untrusted bytes and text: the visible form of wire bytes in details, JSON `raw`
//! fields and terminals. Sans-IO, so that checks, the report model and printers share one definition.

use std::fmt::Write;

/// Escapes bytes for the JSON `raw` field and for details: printable ASCII stays, a backslash
/// becomes `\\`, CR/LF/TAB become `\r`/`\n`/`\t`, every other byte `\xHH`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

/// The inverse of [`escape_bytes`]: the exact bytes of an escaped `raw` string (SPEC §5). Any
/// other backslash sequence, or a character outside printable ASCII, is an error (the string
/// was not written by [`escape_bytes`]).
pub fn unescape_bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.bytes().enumerate();
    while let Some((i, b)) = it.next() {
        match b {
            b'\\' => match it.next().map(|(_, b)| b) {
                Some(b'\\') => out.push(b'\\'),
                Some(b'r') => out.push(b'\r'),
                Some(b'n') => out.push(b'\n'),
                Some(b't') => out.push(b'\t'),
                Some(b'x') => {
                    let hex = [it.next().map(|(_, b)| b), it.next().map(|(_, b)| b)];
                    let digit = |d: Option<u8>| (d? as char).to_digit(16);
                    match (digit(hex[0]), digit(hex[1])) {
                        (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                        _ => return Err(format!("bad \\x escape at offset {i}")),
                    }
                }
                _ => return Err(format!("bad escape at offset {i}")),
            },
            0x20..=0x7e => out.push(b),
            _ => return Err(format!("unescaped byte 0x{b:02x} at offset {i}")),
        }
    }
    Ok(out)
}

/// Whether a character must not reach a terminal as is: C0/C1 controls, DEL, bidi controls,
/// zero-width and other invisible formatting characters.
pub fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // zero-width no-break space / BOM
            | '\u{061C}' // Arabic letter mark
            | '\u{180E}' // Mongolian vowel separator
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        )
}

/// Makes server bytes safe for a terminal: valid UTF-8 printable characters stay, dangerous
/// characters become `\u{...}`, control bytes and invalid UTF-8 become `\xHH` (CR, LF, TAB as
/// `\r`, `\n`, `\t`), a backslash becomes `\\`.
pub fn escape_for_terminal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() {
                let mut buf = [0u8; 1];
                out.push_str(&escape_bytes(c.encode_utf8(&mut buf).as_bytes()));
            } else if is_dangerous(c) {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            } else {
                out.push(c);
            }
        }
        for &b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Makes text that smtpdoctor composed (which may quote escaped server bytes) safe for a
/// terminal: dangerous characters are escaped, backslashes are left alone so that quoted
/// escapes such as `\r\n` read as written.
pub fn safe_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || !is_dangerous(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    out
}

/// [`escape_for_terminal`] for text that is already a `str` (user input, DNS names, errors).
pub fn escape_str(s: &str) -> String {
    escape_for_terminal(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_escape_table() {
        assert_eq!(escape_bytes(b"220 ok\r\n"), "220 ok\\r\\n");
        assert_eq!(escape_bytes(b"a\nb"), "a\\nb");
        assert_eq!(
            escape_bytes(b"\x00\x1b[31m\xff\\"),
            "\\x00\\x1b[31m\\xff\\\\"
        );
    }

    #[test]
    fn unescape_inverts_escape() {
        let all: Vec<u8> = (0..=255u8).chain(*b"\\x41\\r\r\n").collect();
        assert_eq!(unescape_bytes(&escape_bytes(&all)).unwrap(), all);
        for bad in ["\\", "\\q", "\\x4", "\\xzz", "a\u{e9}", "\x01"] {
            assert!(unescape_bytes(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn unescape_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            proptest::prop_assert_eq!(unescape_bytes(&escape_bytes(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn terminal_escape_keeps_text_and_kills_controls() {
        assert_eq!(escape_for_terminal("Grüße".as_bytes()), "Grüße");
        assert_eq!(
            escape_for_terminal(b"\x1b]0;pwned\x07"),
            "\\x1b]0;pwned\\x07"
        );
        assert_eq!(escape_for_terminal("a\u{202E}b".as_bytes()), "a\\u{202e}b");
        assert_eq!(escape_for_terminal("a\u{200B}b".as_bytes()), "a\\u{200b}b");
        assert_eq!(escape_for_terminal(b"\xc3\x28"), "\\xc3(");
        assert_eq!(escape_for_terminal("\u{9b}31m".as_bytes()), "\\u{009b}31m");
        let out = escape_for_terminal(b"\x1b[2J\x9b\xe2\x80\xae");
        assert!(!out.chars().any(is_dangerous), "{out}");
    }
}
