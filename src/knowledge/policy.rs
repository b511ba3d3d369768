//! What smtpdoctor knows about delivery security policy (SPEC §9): the catalog entries of the
//! DNSSEC, DANE, MTA-STS and TLS-RPT findings, and the policy failures as MTAs log them.

use super::catalog::Entry;
use super::explain::KnownError;
use crate::knowledge::Severity;

const DANE_PROBE: &str = "smtpdoctor probe example.com -v";
const STS_PROBE: &str = "smtpdoctor probe example.com -v --dane off";

/// The §9 findings.
pub static POLICY_ENTRIES: &[Entry] = &[
    Entry {
        id: "dnssec-bogus",
        severity: Severity::Error,
        title: "A DNS answer fails DNSSEC validation",
        meaning: "The zone is signed (its parent publishes a DS record, or a trust anchor names it) but \
                  the answer's signatures do not verify: expired or not yet valid RRSIGs, a key rollover \
                  that left the DS pointing at a removed key, or records edited after signing. A \
                  validating resolver answers SERVFAIL, so validating senders cannot resolve the MX, its \
                  address or its TLSA records at all, and queue the mail.",
        causes: &[
            "the zone was not re-signed in time: the RRSIGs expired (a stopped signer or cron job)",
            "a KSK rollover replaced the key without updating the DS at the registrar",
            "the zone file was edited and reloaded without signing",
            "a DNS provider change left the old provider's DS record at the parent",
        ],
        fix: "Re-sign the zone (ldns-signzone, dnssec-signzone, or the provider's automatic signing), \
              check the DS at the parent with `dig +dnssec DS example.com` against the DNSKEYs, and \
              verify with `delv` or `dig +dnssec +cd` that the answer validates.",
        reference: "RFC 4035 §5.5, RFC 4033 §5",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dnssec-insecure",
        severity: Severity::Info,
        title: "The MX hosts' zone is not signed: DANE cannot apply",
        meaning: "The address records of the MX host are provably unsigned (no DS record at the zone \
                  cut). DANE needs a signed chain to the TLSA records, so DANE senders fall back to \
                  opportunistic TLS for this host: any certificate, or none, is accepted.",
        causes: &[
            "the zone was never signed",
            "the registrar does not publish a DS record for the zone",
            "the MX host lives in a provider's unsigned zone",
        ],
        fix: "Sign the zone of the MX hosts and publish its DS at the parent, then publish TLSA records \
              (`3 1 1` of the server key) at _25._tcp.MXHOST.",
        reference: "RFC 7672 §2.2, RFC 4035 §4.3",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-valid",
        severity: Severity::Info,
        title: "A usable TLSA record matches the server's chain",
        meaning: "The TLSA records of the MX host are DNSSEC-secure and one usable record (DANE-EE or \
                  DANE-TA) matches the certificate chain the server presented: DANE senders such as \
                  Postfix (smtp_tls_security_level = dane) and Exim deliver over authenticated TLS.",
        causes: &["TLSA records published and kept in step with the certificate"],
        fix: "Nothing to fix. Before the next key change, publish the new key's TLSA record beside the \
              current one (RFC 7671 §8.1).",
        reference: "RFC 7672 §3, RFC 6698 §2.1",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-mismatch",
        severity: Severity::Error,
        title: "TLSA records exist but none matches the certificate: DANE senders defer",
        meaning: "The MX host publishes usable, DNSSEC-secure TLSA records, but none matches the chain the \
                  server presents. DANE senders do not fall back to unauthenticated TLS: Postfix logs \
                  \"Server certificate not trusted\" and defers every message until the records or the \
                  certificate change, Exim defers with \"TLS session: ... certificate verify failed\".",
        causes: &[
            "the certificate or key was renewed (e.g. Let's Encrypt with a new key) and the TLSA record still holds the old key's hash",
            "a `3 0 1` record (full certificate) outlived a renewal that kept the key",
            "a `2 x x` record names an intermediate the CA no longer uses, or the server does not send it",
            "the MX serves another certificate than the one the record was made from (SNI, load balancer)",
        ],
        fix: "Publish the TLSA record of the key in use (`3 1 1`: SHA-256 of the SubjectPublicKeyInfo: \
              `openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl \
              sha256`), keep the old one until caches expire, and reuse keys across renewals \
              (certbot --reuse-key) so `3 1 1` records stay valid.",
        reference: "RFC 7672 §3.1, RFC 7671 §5, §8",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-tlsa-unusable",
        severity: Severity::Warning,
        title: "Only TLSA records SMTP DANE cannot use",
        meaning: "The TLSA RRset holds only PKIX-TA(0)/PKIX-EE(1) records or unknown selectors or \
                  matching types. RFC 7672 §3.1 tells SMTP clients to treat such records as unusable: \
                  senders then deliver with unauthenticated TLS, so the records protect nothing, while \
                  some senders still insist on TLS.",
        causes: &[
            "records written for HTTPS (usage 0/1) copied to the mail server",
            "a typing error in the selector or matching type",
        ],
        fix: "Replace them with `3 1 1` (DANE-EE, SHA-256 of the public key) or `2 1 1` records for the \
              issuing CA's key.",
        reference: "RFC 7672 §3.1.3",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-tlsa-lookup-failed",
        severity: Severity::Error,
        title: "The TLSA lookup failed: DANE senders defer (\"TLSA lookup error\")",
        meaning: "The TLSA query of a host with secure address records gave SERVFAIL, timed out or failed \
                  validation. DANE senders must not deliver when they cannot tell whether TLSA records \
                  exist: Postfix logs \"TLSA lookup error for MXHOST:25\" and defers the mail.",
        causes: &[
            "a bogus signature or a broken NSEC/NSEC3 denial for _25._tcp.MXHOST",
            "name servers that answer SERVFAIL or nothing for the unknown TLSA type (old firewalls, load balancers)",
            "a delegation of _tcp.MXHOST to servers that do not answer",
        ],
        fix: "Query `dig +dnssec TLSA _25._tcp.MXHOST` at each authoritative server, fix the signing or \
              the server that fails, and check that a validated NODATA comes back when no TLSA record \
              is wanted.",
        reference: "RFC 7672 §2.2, Postfix TLS_README (DANE)",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-starttls-absent",
        severity: Severity::Error,
        title: "TLSA records exist but STARTTLS is not offered or fails",
        meaning: "Usable TLSA records oblige DANE senders to use TLS (RFC 7672 §2.2). When the server \
                  does not offer STARTTLS, or the handshake fails, they defer instead of sending in \
                  the clear.",
        causes: &[
            "STARTTLS disabled or its certificate missing after a configuration change",
            "a firewall or appliance that strips STARTTLS from the EHLO reply",
            "a TLS handshake failure (no shared cipher, broken key file)",
        ],
        fix: "Enable STARTTLS (Postfix: smtpd_tls_security_level = may with a certificate and key), or \
              remove the TLSA records until TLS works.",
        reference: "RFC 7672 §2.2",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "dane-single-record",
        severity: Severity::Info,
        title: "One TLSA record only: a key change breaks delivery",
        meaning: "The host publishes a single TLSA record. When the key or certificate changes, DANE \
                  senders defer mail until a new record is published and the old one has left \
                  caches. Publishing the next key's record ahead of the change avoids the gap.",
        causes: &["TLSA records made once and never planned for rollover"],
        fix: "Publish a second record for the next key (`3 1 1` of a pre-generated key) or a `2 1 1` for \
              the issuer, at least two TTLs before the change (RFC 7671 §8.1).",
        reference: "RFC 7671 §8.1",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "mtasts-valid",
        severity: Severity::Info,
        title: "MTA-STS record, policy, MX coverage and certificates are all good",
        meaning: "The _mta-sts TXT record parses, the policy was fetched over verified HTTPS and parses, \
                  every MX host matches an mx pattern and every certificate seen is PKIX-valid for the \
                  MX name: MTA-STS senders (Gmail, Microsoft 365, postfix-mta-sts-resolver) deliver.",
        causes: &["a policy kept in step with the MX set and the certificates"],
        fix: "Nothing to fix. When changing MX hosts, add them to the policy first and bump the record id.",
        reference: "RFC 8461 §3, §4",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-record-invalid",
        severity: Severity::Warning,
        title: "The _mta-sts TXT record is malformed (or there are several)",
        meaning: "RFC 8461 §3.1: a sender that finds no valid record, or more than one, behaves as if \
                  the domain had no policy; senders that cached an older policy keep it until max_age.",
        causes: &[
            "a missing or over-long id field (1 to 32 letters and digits)",
            "two records left behind during a change",
            "a wrong version tag (v=STSv1 is the only one)",
        ],
        fix: "Publish exactly one record `v=STSv1; id=20260101T000000;` and change the id whenever the \
              policy changes.",
        reference: "RFC 8461 §3.1",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-policy-unavailable",
        severity: Severity::Error,
        title: "An MTA-STS record exists but the policy cannot be fetched",
        meaning: "The policy must be served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt with a \
                  certificate valid for that name, 200 OK, no redirects and a small body. Senders that \
                  cached the policy keep enforcing it; senders without it (and every sender after \
                  max_age) deliver without MTA-STS, and the admin loses the protection unnoticed.",
        causes: &[
            "no A/AAAA record for mta-sts.DOMAIN, or nothing listening on port 443",
            "a certificate not valid for mta-sts.DOMAIN (expired, self-signed, wrong name)",
            "a redirect (to www or to HTTPS of another host), which RFC 8461 §3.3 forbids following",
            "a 404 after a web site move, or a body over 64 KiB",
        ],
        fix: "Serve the policy file at that URL with a valid certificate for mta-sts.DOMAIN, status 200, \
              Content-Type text/plain and no redirect; test with `curl --max-redirs 0 -v URL`.",
        reference: "RFC 8461 §3.3",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-policy-invalid",
        severity: Severity::Error,
        title: "The MTA-STS policy file does not parse",
        meaning: "The body lacks `version: STSv1`, a valid `mode`, an `mx` line or `max_age`, or has \
                  values out of range; senders discard it and deliver as if there were no policy.",
        causes: &[
            "an HTML error page or a web site's index served instead of the policy",
            "a misspelt key (max-age instead of max_age) or mode (enforcing)",
            "a missing mx line",
        ],
        fix: "Serve exactly `version: STSv1`, `mode: enforce|testing|none`, one `mx:` line per MX pattern \
              and `max_age: 604800` (or more), one per line.",
        reference: "RFC 8461 §3.2",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-mx-mismatch",
        severity: Severity::Error,
        title: "An MX host matches no mx pattern of the MTA-STS policy",
        meaning: "Under `enforce`, MTA-STS senders refuse to deliver to an MX host the policy does not list \
                  (RFC 8461 §4.1: `*.example.com` covers one label only), so mail queues or bounces; \
                  under `testing` they deliver and report the failure.",
        causes: &[
            "a new MX host (a migration to a hosted service) added to DNS but not to the policy",
            "a wildcard that covers one label while the MX has two (mx.eu.example.com)",
        ],
        fix: "Add the MX host (or a covering wildcard) to the policy, change the record's id, and wait \
              for max_age before removing old entries.",
        reference: "RFC 8461 §4.1",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-cert-invalid",
        severity: Severity::Error,
        title: "An MX certificate is not PKIX-valid for its name while MTA-STS requires it",
        meaning: "MTA-STS senders verify the MX certificate like a web browser: a public CA, within its \
                  dates, naming the MX host. Under `enforce` they do not deliver over a connection whose \
                  certificate fails (Gmail bounces, Microsoft 365 queues), under `testing` they report it.",
        causes: &[
            "a self-signed or private-CA certificate on the MX",
            "a certificate for the domain or another host name, not for the MX name",
            "an expired certificate or a missing intermediate",
            "STARTTLS not offered at all",
        ],
        fix: "Install a certificate from a public CA naming each MX host (with the intermediate chain), \
              or put the policy in `testing` until it is.",
        reference: "RFC 8461 §4.2",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-max-age-short",
        severity: Severity::Warning,
        title: "MTA-STS max_age under one day",
        meaning: "Senders cache the policy for max_age seconds; a short cache lets an attacker who blocks \
                  the policy fetch (or the TXT lookup) strip MTA-STS almost at once.",
        causes: &["a low value left from testing"],
        fix: "Use `max_age: 604800` (a week) or more once the policy works.",
        reference: "RFC 8461 §3.2, §10",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "mtasts-testing",
        severity: Severity::Info,
        title: "The MTA-STS policy is in testing mode",
        meaning: "Senders check the policy and report failures through TLS-RPT, but deliver anyway: it \
                  protects nothing yet.",
        causes: &["a policy being rolled out"],
        fix: "Switch to `mode: enforce` (and change the record id) once TLS-RPT reports are clean.",
        reference: "RFC 8461 §5",
        reproduce: STS_PROBE,
    },
    Entry {
        id: "tlsrpt-absent",
        severity: Severity::Info,
        title: "DANE or MTA-STS is published but no TLS-RPT record",
        meaning: "Without a TLS-RPT record senders have nowhere to report the TLS and policy failures they \
                  see, so a broken TLSA record or policy is noticed only when mail is stuck.",
        causes: &["TLS-RPT not set up with the policy"],
        fix: "Publish `_smtp._tls.example.com TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"`.",
        reference: "RFC 8460 §3",
        reproduce: DANE_PROBE,
    },
    Entry {
        id: "tlsrpt-invalid",
        severity: Severity::Warning,
        title: "The TLS-RPT record is malformed",
        meaning: "The _smtp._tls TXT record does not parse (wrong version, no rua, a URI that is neither \
                  mailto: nor https:), so senders send no reports.",
        causes: &["a typing error", "a rua address without mailto:"],
        fix: "Publish exactly `v=TLSRPTv1; rua=mailto:ADDRESS` (several URIs separated by commas).",
        reference: "RFC 8460 §3",
        reproduce: DANE_PROBE,
    },
];

/// The §9 ids with their severities.
pub const POLICY_SPEC_IDS: &[(&str, Severity)] = &[
    ("dnssec-bogus", Severity::Error),
    ("dnssec-insecure", Severity::Info),
    ("dane-valid", Severity::Info),
    ("dane-mismatch", Severity::Error),
    ("dane-tlsa-unusable", Severity::Warning),
    ("dane-tlsa-lookup-failed", Severity::Error),
    ("dane-starttls-absent", Severity::Error),
    ("dane-single-record", Severity::Info),
    ("mtasts-valid", Severity::Info),
    ("mtasts-record-invalid", Severity::Warning),
    ("mtasts-policy-unavailable", Severity::Error),
    ("mtasts-policy-invalid", Severity::Error),
    ("mtasts-mx-mismatch", Severity::Error),
    ("mtasts-cert-invalid", Severity::Error),
    ("mtasts-max-age-short", Severity::Warning),
    ("mtasts-testing", Severity::Info),
    ("tlsrpt-absent", Severity::Info),
    ("tlsrpt-invalid", Severity::Warning),
];

/// The policy failures as MTAs log them.
pub static POLICY_KNOWN_ERRORS: &[KnownError] = &[
    KnownError {
        key: "postfix-dane-tlsa-lookup-error",
        mta: "Postfix",
        example: "dsn=4.7.5, status=deferred (TLSA lookup error for mx.example.com:25)",
        meaning: "Postfix with DANE (smtp_tls_security_level = dane) found the MX host's address records \
                  DNSSEC-secure, then could not get a usable answer to the TLSA query at _25._tcp.MXHOST: \
                  SERVFAIL, a timeout, or an answer that failed validation. It cannot tell whether DANE \
                  applies, so it defers the mail and tries the next MX host.",
        causes: &[
            "the TLSA RRset or its NSEC/NSEC3 denial fails validation (expired signatures, a broken denial)",
            "authoritative servers that answer SERVFAIL or nothing for TLSA queries",
            "a delegation below the MX name to servers that do not answer",
        ],
        findings: &["dane-tlsa-lookup-failed", "dnssec-bogus"],
        reproduce: DANE_PROBE,
        patterns: &[&["tlsa lookup error"]],
    },
    KnownError {
        key: "postfix-dane-not-trusted",
        mta: "Postfix",
        example: "dsn=4.7.5, status=deferred (Server certificate not trusted)",
        meaning: "Postfix with DANE (or with `verify`/`secure`, as under MTA-STS) completed the TLS \
                  handshake but could not authenticate the certificate: under DANE, no usable TLSA record \
                  of the MX host matches the chain the server presented. It defers the mail; with DANE it \
                  never falls back to unauthenticated TLS.",
        causes: &[
            "a certificate or key change without updating the TLSA records",
            "a `2 x x` record for a CA certificate the server does not send",
            "under MTA-STS, a certificate that does not chain to a public CA",
        ],
        findings: &["dane-mismatch", "mtasts-cert-invalid", "tls-cert-untrusted"],
        reproduce: DANE_PROBE,
        patterns: &[
            &["status deferred server certificate not trusted"],
            &["4 7 5", "server certificate not trusted"],
        ],
    },
    KnownError {
        key: "postfix-mta-sts-not-verified",
        mta: "Postfix with postfix-mta-sts-resolver",
        example: "dsn=4.7.5, status=deferred (Server certificate not verified)",
        meaning: "postfix-mta-sts-resolver hands Postfix the policy of an `enforce` domain as \
                  `secure match=PATTERN:PATTERN`: the certificate must chain to a trusted CA and name a \
                  host the policy's mx patterns cover. When the MX host is missing from the policy, or its \
                  certificate names another host, Postfix logs \"Server certificate not verified\" and \
                  defers.",
        causes: &[
            "an MX host added to DNS but not to the policy's mx lines",
            "a certificate that names another host than the MX",
            "a self-signed or expired certificate on an MX of an enforce domain",
        ],
        findings: &[
            "mtasts-mx-mismatch",
            "mtasts-cert-invalid",
            "tls-cert-name-mismatch",
        ],
        reproduce: STS_PROBE,
        // The same words as any `secure` or `verify` failure: listed beside the general
        // reading, not before it.
        patterns: &[&["server certificate not verified"]],
    },
    KnownError {
        key: "exim-dane-tlsa-defer",
        mta: "Exim",
        example: "DANE error: tlsa lookup DEFER",
        meaning: "Exim (hosts_try_dane or hosts_require_dane) could not complete the TLSA lookup of a host \
                  whose addresses are DNSSEC-secure, and defers delivery to it.",
        causes: &[
            "SERVFAIL or a timeout for _25._tcp.MXHOST",
            "a TLSA RRset or denial that fails DNSSEC validation",
        ],
        findings: &["dane-tlsa-lookup-failed", "dnssec-bogus"],
        reproduce: DANE_PROBE,
        patterns: &[&["dane error tlsa lookup"]],
    },
    KnownError {
        key: "exim-dane-tlsa-not-dnssec",
        mta: "Exim",
        example: "DANE error: TLSA lookup for mx.example.com not DNSSEC",
        meaning: "Exim got TLSA records for the MX host, but the resolver did not mark them \
                  authenticated (no AD bit): the records are in an unsigned zone or the resolver does \
                  not validate, so they cannot be used.",
        causes: &[
            "the resolver Exim uses does not validate DNSSEC (dns_dnssec_ok, a stub resolver that strips AD)",
            "the TLSA records sit in an unsigned zone below a signed one",
        ],
        findings: &["dnssec-insecure", "dane-tlsa-lookup-failed"],
        reproduce: DANE_PROBE,
        patterns: &[&["dane error tlsa lookup for", "not dnssec"]],
    },
    KnownError {
        key: "m365-dane-starttls-not-supported",
        mta: "Microsoft 365 / Exchange Online",
        example: "450 4.7.321 starttls-not-supported: Destination mail server must support TLS to receive mail.",
        meaning: "Exchange Online found DNSSEC-authentic TLSA records for the MX host, so DANE requires TLS, \
                  but the server did not answer STARTTLS or the handshake failed. The message is queued \
                  (4.7.321) or bounced (5.7.321).",
        causes: &[
            "STARTTLS disabled or broken on the MX",
            "a TLS handshake failure (protocol versions, ciphers, key file)",
        ],
        findings: &[
            "dane-starttls-absent",
            "starttls-absent",
            "tls-handshake-failed",
        ],
        reproduce: DANE_PROBE,
        patterns: &[&["starttls not supported destination mail server must support tls"]],
    },
    KnownError {
        key: "m365-dane-certificate-expired",
        mta: "Microsoft 365 / Exchange Online",
        example: "450 4.7.322 certificate-expired: Destination mail server's certificate is expired.",
        meaning: "Exchange Online's DANE checks passed DNSSEC, but the MX presented an expired \
                  certificate; Exchange Online refuses it even where DANE-EE would ignore the dates.",
        causes: &["a certificate that was not renewed, or a renewal not loaded by the MTA"],
        findings: &["tls-cert-expired", "dane-mismatch"],
        reproduce: DANE_PROBE,
        patterns: &[&["certificate expired destination mail server s certificate is expired"]],
    },
    KnownError {
        key: "m365-dane-tlsa-invalid",
        mta: "Microsoft 365 / Exchange Online",
        example: "450 4.7.323 tlsa-invalid: The domain failed DANE validation.",
        meaning: "The TLSA records are DNSSEC-authentic but none matches the MX certificate (or the records \
                  are malformed): Exchange Online does not deliver.",
        causes: &[
            "TLSA records left behind after a certificate or key change",
            "records with unusable parameters",
        ],
        findings: &["dane-mismatch", "dane-tlsa-unusable"],
        reproduce: DANE_PROBE,
        patterns: &[&["tlsa invalid the domain failed dane validation"]],
    },
    KnownError {
        key: "m365-dnssec-invalid",
        mta: "Microsoft 365 / Exchange Online",
        example: "450 4.7.324 dnssec-invalid: Destination domain returned invalid DNSSEC records",
        meaning: "The destination signalled DNSSEC but its answers did not validate, so Exchange Online \
                  cannot use them for DANE (it often reports a generic 4.4.312 DNS error instead).",
        causes: &[
            "expired signatures",
            "a DS record at the parent that matches no DNSKEY",
        ],
        findings: &["dnssec-bogus", "dane-tlsa-lookup-failed"],
        reproduce: DANE_PROBE,
        patterns: &[&["dnssec invalid destination domain returned invalid dnssec records"]],
    },
    KnownError {
        key: "m365-dane-host-mismatch",
        mta: "Microsoft 365 / Exchange Online",
        example: "450 4.7.325 certificate-host-mismatch: Remote certificate MUST have a common name or \
                  subject alternative name matching the hostname (DANE)",
        meaning: "The MX certificate's names do not match the MX host or the domain while DANE applies: \
                  with a DANE-TA record the name must match.",
        causes: &["a certificate for another host name behind a `2 x x` TLSA record"],
        findings: &["dane-mismatch", "tls-cert-name-mismatch"],
        reproduce: DANE_PROBE,
        patterns: &[&["certificate host mismatch remote certificate must have"]],
    },
    KnownError {
        key: "m365-mta-sts-mx-failed",
        mta: "Microsoft 365 / Exchange Online",
        example: "550 5.4.8 MX hosts of example.com failed MTA-STS validation",
        meaning: "The destination domain's MTA-STS policy is in enforce mode and the MX host Exchange Online \
                  would deliver to matches none of its mx patterns, so the message is not delivered.",
        causes: &[
            "an MX host added (a migration) without updating the policy",
            "a wildcard pattern that covers one label only",
        ],
        findings: &["mtasts-mx-mismatch"],
        reproduce: STS_PROBE,
        patterns: &[&["mx hosts of", "failed mta sts validation"]],
    },
    KnownError {
        key: "m365-mta-sts-cert-failed",
        mta: "Microsoft 365 / Exchange Online",
        example: "550 5.7.5 Remote certificate failed MTA-STS validation. Reason: ...",
        meaning: "Under the destination's enforce MTA-STS policy the MX certificate must chain to a trusted \
                  CA and name the MX host; it does not, so Exchange Online does not deliver (4.7.5 while it \
                  retries, 5.7.5 when it gives up).",
        causes: &[
            "a self-signed or private-CA certificate",
            "a certificate that names another host",
            "an expired certificate or a missing intermediate",
        ],
        findings: &[
            "mtasts-cert-invalid",
            "tls-cert-untrusted",
            "tls-cert-name-mismatch",
        ],
        reproduce: STS_PROBE,
        patterns: &[&["remote certificate failed mta sts validation"]],
    },
    KnownError {
        key: "gmail-tls-cert-mismatch",
        mta: "Gmail",
        example: "TLS Negotiation failed, the certificate doesn't match the host.",
        meaning: "Gmail required an authenticated TLS connection (the domain's MTA-STS policy, or Gmail's \
                  own rules for a configured server) and the certificate was not valid for the host name: \
                  another name, self-signed, or an untrusted chain. The message bounces.",
        causes: &[
            "a certificate that does not name the MX host (only the domain, or another host)",
            "a self-signed certificate, which Gmail reports with the same words",
            "a missing intermediate certificate",
        ],
        findings: &[
            "mtasts-cert-invalid",
            "tls-cert-name-mismatch",
            "tls-cert-untrusted",
        ],
        reproduce: STS_PROBE,
        patterns: &[&["tls negotiation failed the certificate doesn t match the host"]],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_9_id_once_with_its_severity() {
        assert_eq!(POLICY_ENTRIES.len(), POLICY_SPEC_IDS.len());
        for (id, sev) in POLICY_SPEC_IDS {
            let e = crate::knowledge::catalog::entry(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(e.severity, *sev, "{id}");
            assert!(!e.meaning.is_empty() && !e.fix.is_empty() && !e.causes.is_empty());
            assert!(e.reproduce.starts_with("smtpdoctor probe "));
        }
    }

    #[test]
    fn policy_wordings_in_full_log_lines() {
        let first = |line: &str| crate::knowledge::explain::match_known(line)[0].key;
        assert_eq!(
            first(
                "Dec  1 10:00:00 mx postfix/smtp[123]: 4F2A1: to=<a@example.com>, \
                 relay=mx1.example.com[192.0.2.1]:25, delay=0.2, dsn=4.7.5, status=deferred \
                 (TLSA lookup error for mx1.example.com:25)"
            ),
            "postfix-dane-tlsa-lookup-error"
        );
        assert_eq!(
            first(
                "postfix/smtp[9]: 7672C1DD39: to=<info@example.nl>, relay=mail.example.nl[192.0.2.1]:25, \
                 dsn=4.7.5, status=deferred (Server certificate not trusted)"
            ),
            "postfix-dane-not-trusted"
        );
        assert_eq!(
            first(
                "Remote server returned '550 5.4.8 MX hosts of example.com failed MTA-STS validation'"
            ),
            "m365-mta-sts-mx-failed"
        );
        assert_eq!(
            first("LED=450 4.7.323 tlsa-invalid: The domain failed DANE validation. [Hostname=X]"),
            "m365-dane-tlsa-invalid"
        );
        assert_eq!(
            first(
                "2026-12-01 10:00:00 1abc-000 == a@example.com R=dnslookup T=remote_smtp defer (-1): DANE error: tlsa lookup DEFER"
            ),
            "exim-dane-tlsa-defer"
        );
        let sts = crate::knowledge::explain::match_known(
            "postfix/smtp[1]: A: to=<a@example.com>, status=deferred (Server certificate not verified)",
        );
        assert!(sts.iter().any(|k| k.key == "postfix-mta-sts-not-verified"));
    }

    #[test]
    fn known_policy_errors_name_policy_findings() {
        for k in POLICY_KNOWN_ERRORS {
            for f in k.findings {
                assert!(
                    crate::knowledge::catalog::entry(f).is_some(),
                    "{}: {f}",
                    k.key
                );
            }
            let found = crate::knowledge::explain::match_known(k.example);
            assert!(
                found.iter().any(|m| m.key == k.key),
                "{} does not explain its own example",
                k.key
            );
            // Only a wording that is no more specific than a general entry's comes second.
            if k.key != "postfix-mta-sts-not-verified" {
                assert_eq!(found[0].key, k.key, "{} is not the first reading", k.key);
            }
        }
    }
}
