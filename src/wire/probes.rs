//! The unusual inputs of the active tests, defined once for the tests that send them and the
//! checks that judge the answers: smuggling end-of-data sequences, relay address forms (and the
//! catch-all check before them), the unknown verb.

/// The end-of-data sequences of the smuggling test, in the order they are tried.
pub const SMUGGLING_SEQUENCES: &[&[u8]] = &[
    b"\n.\n",
    b"\n.\r\n",
    b"\r.\r",
    b"\r.\n",
    b"\r\n.\n",
    b"\r\n.\r",
    b"\r\n\x00.\r\n",
];

/// A sequence in the notation of the SMTP smuggling write-ups: `<CR><LF>.<LF>`.
pub fn sequence_label(seq: &[u8]) -> String {
    seq.iter()
        .map(|&b| match b {
            b'\r' => "<CR>".to_string(),
            b'\n' => "<LF>".to_string(),
            0 => "<NUL>".to_string(),
            b if b.is_ascii_graphic() => char::from(b).to_string(),
            b => format!("<{b:02X}>"),
        })
        .collect()
}

/// The foreign side of the relay test: a domain reserved for examples (RFC 2606). The test
/// never sends DATA, so nothing is delivered there even by an open relay.
pub const RELAY_FOREIGN_DOMAIN: &str = "example.net";
/// The local part used in the relay test's addresses.
pub const RELAY_LOCAL_PART: &str = "smtpdoctor-relay-test";

/// The unknown verb of the `unknown-command` test: RFC 5321 §4.1.5 leaves verbs starting
/// with X to private use, so no server knows this one.
pub const UNKNOWN_VERB: &str = "XSMTPDOCTOR";

/// What follows a smuggling test's sequence in the same write: the proper end of data and QUIT.
/// A server that waits for the proper end answers the message once and QUIT; one that ended the
/// data at the sequence answers the message, then this tail as commands, then QUIT. The replies
/// that always come tell the two apart, so the test never waits on silence.
pub const SMUGGLING_TAIL: &[u8] = b"\r\n.\r\nQUIT\r\n";

/// The bare-LF test: a server that ends commands at a bare LF answers two RSETs and QUIT, one
/// that waits for CRLF answers one line `RSET<LF>RSET` and QUIT. RSET, not NOOP: RFC 2920 §3.1
/// allows NOOP only last in a pipelined group, and a server that enforces that (Postfix's
/// `smtpd_forbid_unauth_pipelining`) would end the session before the test could conclude.
pub const BARE_LF_TEST: &[u8] = b"RSET\nRSET\r\nQUIT\r\n";

/// What the STARTTLS injection test sends inside TLS at once: a server that executed the
/// plaintext NOOP answers it first, so three replies come instead of two.
pub const INJECTION_FOLLOW_UP: &[u8] = b"NOOP\r\nQUIT\r\n";

/// The non-standard end-of-data sequence a smuggling message ends in (longest match).
pub fn smuggling_sequence(content: &[u8]) -> Option<&'static [u8]> {
    let content = content.strip_suffix(SMUGGLING_TAIL).unwrap_or(content);
    if content.ends_with(b"\r\n.\r\n") {
        return None;
    }
    let mut seqs: Vec<&'static [u8]> = SMUGGLING_SEQUENCES.to_vec();
    seqs.sort_by_key(|s| std::cmp::Reverse(s.len()));
    seqs.into_iter().find(|s| content.ends_with(s))
}

/// The local part of the relay test's first RCPT, followed by a random suffix: an address at
/// the local domain that cannot exist. A server that accepts it accepts any local part
/// (a catch-all), so it would also deliver the percent hack, the bang path and the quoted
/// local part locally, and accepting those proves no relaying.
pub const RELAY_UNKNOWN_LOCAL_PART: &str = "smtpdoctor-no-such-user-";

/// The form name of that first RCPT.
pub const RELAY_CATCH_ALL_FORM: &str = "random local part";

/// The forms of the relay test, in the order they are tried after the catch-all check.
pub const RELAY_FORMS: [&str; 5] = [
    "foreign domain",
    "percent hack",
    "bang path",
    "quoted local part",
    "source route",
];

/// Whether an accepted `form` could be a local delivery: its domain is the local one, and only
/// the local part names the foreign side (percent hack, bang path, quoted local part). A
/// catch-all accepts these like any local part; a foreign domain or a source route is relaying
/// whatever the server does with local parts.
pub fn relay_form_is_local(form: &str) -> bool {
    matches!(form, "percent hack" | "bang path" | "quoted local part")
}

/// The catch-all check's address at the local domain, with a random `suffix`.
pub fn relay_catch_all_address(local_domain: &str, suffix: &str) -> String {
    format!("{RELAY_UNKNOWN_LOCAL_PART}{suffix}@{local_domain}")
}

/// The addresses of the relay test for a local recipient domain: (form, address).
pub fn relay_addresses(local_domain: &str) -> Vec<(&'static str, String)> {
    let (user, foreign) = (RELAY_LOCAL_PART, RELAY_FOREIGN_DOMAIN);
    vec![
        ("foreign domain", format!("{user}@{foreign}")),
        ("percent hack", format!("{user}%{foreign}@{local_domain}")),
        ("bang path", format!("{foreign}!{user}@{local_domain}")),
        (
            "quoted local part",
            format!("\"{user}@{foreign}\"@{local_domain}"),
        ),
        ("source route", format!("@{local_domain}:{user}@{foreign}")),
    ]
}

/// The relay trick an address uses.
pub fn relay_form(address: &str) -> &'static str {
    if address.starts_with('@') {
        return "source route";
    }
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    if local.starts_with(RELAY_UNKNOWN_LOCAL_PART) && !local.contains(['%', '!', '"', '@']) {
        RELAY_CATCH_ALL_FORM
    } else if local.starts_with('"') && local.contains('@') {
        "quoted local part"
    } else if local.contains('%') {
        "percent hack"
    } else if local.contains('!') {
        "bang path"
    } else {
        "foreign domain"
    }
}
