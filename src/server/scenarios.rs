//! The catalog of scripted server behaviours served by [`crate::server`], one per finding it can provoke.
//!
//! Every scenario lists the finding ids the probe must report (`expect`) and the probe arguments it
//! needs (`probe_args`). The expectations assume the probe targets domain `demo.test` (default RCPT
//! `postmaster@demo.test`) and trusts [`crate::server::demo_certificate_pem`] (`--ca-file`); without that
//! trust anchor every scenario that reaches TLS also yields `tls-cert-untrusted`.

use super::script::Cmd::{Any, Data, Dot, Ehlo, Helo, Mail, Quit, Rcpt, Rset, Starttls, Unknown};
use super::script::Step::{
    Close, Default, Hang, Hold, Reset, Send, SendArg, SendLines, SendPath, Sleep, StartTls,
    Trickle, Watch,
};
use super::script::{
    Cert, EHLO_PLAIN, EHLO_TLS, GREETING, QUEUED, Rule, STARTTLS_READY, Scenario, Script, Step,
    When, on, on_arg, on_not_arg, on_plain, on_tls, padded_line,
};

/// The scenario `smtpdoctor demo` runs without a name.
pub const DEMO_SCENARIO: &str = "classic";

const EHLO_NO_PIPELINING_PLAIN: &[u8] = b"250-mx.demo.test\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_NO_PIPELINING_TLS: &[u8] =
    b"250-mx.demo.test\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_SIZE_1000_PLAIN: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_SIZE_1000_TLS: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_SIZE_100000_PLAIN: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_SIZE_100000_TLS: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_UNRECOGNIZED: &[u8] = b"500 5.5.1 Command unrecognized\r\n";
/// `client-strict` before TLS: the extensions a careful client uses, STARTTLS, no AUTH.
const EHLO_STRICT_PLAIN: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n";
/// `client-strict` inside TLS: AUTH only here.
const EHLO_STRICT_TLS: &[u8] = b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n";
/// `client-minimal`: a greeting line and no extension at all.
const EHLO_MINIMAL: &[u8] = b"250 mx.demo.test\r\n";
/// The default hold of the final dot's reply in `client-dot-hold`: past the RFC 5321 10 minutes.
pub const DOT_HOLD_MS: u64 = 11 * 60 * 1000;
/// The default silence after the teaser of `client-teaser`.
pub const TEASER_HOLD_MS: u64 = 6000;
/// The default keep-alive period of `client-keepalive`, and its interval.
pub const KEEPALIVE_HOLD_MS: u64 = 3 * 60 * 1000;
/// The interval of `client-keepalive`'s continuation lines.
pub const KEEPALIVE_EVERY_MS: u64 = 10_000;
/// The default gap between the EHLO reply lines of `client-multiline`.
pub const MULTILINE_GAP_MS: u64 = 200;
/// A 700-octet reply line (CRLF included).
const TOO_LONG: [u8; 700] = padded_line(b"250 2.1.5 Ok ", b'x');

/// Shorthand for a scenario that only overrides some commands.
const fn rules(rules: &'static [Rule]) -> Script {
    Script {
        rules,
        ..Script::DEFAULT
    }
}

/// Shorthand for a scenario with its own greeting and otherwise default behaviour.
const fn greeting(greeting: &'static [Step]) -> Script {
    Script {
        greeting,
        ..Script::DEFAULT
    }
}

/// Shorthand for a scenario that presents another certificate after STARTTLS.
const fn cert(cert: Cert) -> Script {
    Script {
        cert,
        ..Script::DEFAULT
    }
}

/// Every scenario, in catalog order.
pub static ALL: &[Scenario] = &[
    // ----- reference and demo
    Scenario {
        name: "clean",
        summary: "a correct ESMTP server: PIPELINING, SIZE, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, SMTPUTF8",
        expect: &[],
        probe_args: &[],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "implicit-tls",
        summary: "a submissions-style server (port 465): TLS from the first byte, then a correct dialogue",
        expect: &[],
        probe_args: &["--tls-on-connect"],
        script: Script {
            greeting: &[StartTls, Send(GREETING)],
            ..Script::DEFAULT
        },
    },
    Scenario {
        name: "classic",
        summary: "several classic faults: greeting in two pieces, EHLO refused (HELO works), a reply ended by bare LF, \
                  a slow final-dot reply kept alive with 250- lines",
        expect: &[
            "greeting-fragmented",
            "ehlo-fallback",
            "starttls-absent",
            "reply-bare-lf",
            "dot-slow",
            "data-keepalive-lines",
        ],
        probe_args: &["--data", "--dot-slow", "2s"],
        script: Script {
            greeting: &[Send(b"220 mx.demo.test "), Sleep(150), Send(b"ESMTP\r\n")],
            rules: &[
                on(Ehlo, &[Send(EHLO_UNRECOGNIZED)]),
                on(Mail, &[Send(b"250 2.1.0 Sender ok\n")]),
                on(
                    Dot,
                    &[
                        Sleep(1000),
                        Send(b"250-2.0.0 Message received, running content checks\r\n"),
                        Sleep(1000),
                        Send(b"250-2.0.0 Still checking\r\n"),
                        Sleep(1000),
                        Send(QUEUED),
                    ],
                ),
            ],
            ..Script::DEFAULT
        },
    },
    // ----- greeting
    Scenario {
        name: "greeting-timeout",
        summary: "accepts the connection and never greets",
        expect: &["greeting-timeout"],
        probe_args: &["--timeout", "1s"],
        script: greeting(&[Hang]),
    },
    Scenario {
        name: "greeting-slow",
        summary: "greets after 700 ms (a slow reverse DNS or RBL lookup)",
        expect: &["greeting-slow"],
        probe_args: &["--slow", "300ms"],
        script: greeting(&[Sleep(700), Default]),
    },
    Scenario {
        name: "greeting-after-rfc-timeout",
        summary: "greets after 5 min 1 s, past the RFC 5321 minimum greeting timeout (this one takes \
                  five minutes; --timeout 6m lets the probe wait for it)",
        expect: &["greeting-slow", "timing-rfc-exceeded"],
        probe_args: &["--timeout", "6m", "--quit-after", "greeting"],
        script: greeting(&[Sleep(301_000), Send(GREETING)]),
    },
    Scenario {
        name: "greeting-554",
        summary: "greets with 554 and answers every command but QUIT with 503",
        expect: &["greeting-554"],
        probe_args: &[],
        script: Script {
            greeting: &[Send(b"554 5.7.1 mx.demo.test service refused\r\n")],
            rules: &[on(Quit, &[Default]), on(Any, &[Send(b"503 5.5.1 Error: bad sequence of commands\r\n")])],
            ..Script::DEFAULT
        },
    },
    Scenario {
        name: "greeting-421",
        summary: "greets with 421 and closes",
        expect: &["greeting-421"],
        probe_args: &[],
        script: greeting(&[Send(b"421 4.3.2 Service not available, closing channel\r\n"), Close]),
    },
    Scenario {
        name: "greeting-fragmented",
        summary: "writes the greeting line in two pieces 150 ms apart",
        expect: &["greeting-fragmented"],
        probe_args: &[],
        script: greeting(&[Send(b"220 mx.demo.test "), Sleep(150), Send(b"ESMTP smtpdoctor-mock\r\n")]),
    },
    Scenario {
        name: "greeting-multiline",
        summary: "postscreen-like: a 220- teaser, one second of silence, then the final 220 line",
        expect: &["greeting-multiline"],
        probe_args: &[],
        script: greeting(&[Send(b"220-mx.demo.test ESMTP\r\n"), Sleep(1000), Send(b"220 mx.demo.test ESMTP\r\n")]),
    },
    Scenario {
        name: "greeting-syntax",
        summary: "greets with a bare 220, without the server's domain",
        expect: &["greeting-syntax", "reply-bare-code"],
        probe_args: &[],
        script: greeting(&[Send(b"220\r\n")]),
    },
    Scenario {
        name: "pix",
        summary: "behind a Cisco PIX/ASA SMTP fixup: masked banner, EHLO rewritten to XXXX and refused, HELO works",
        expect: &["pix-banner", "pix-ehlo-mangled", "ehlo-fallback", "starttls-absent"],
        probe_args: &[],
        script: Script {
            greeting: &[Send(
                b"220 *******************************************0*2******0***0*00**************2002*****0*0**\r\n",
            )],
            rules: &[on(Ehlo, &[SendArg(b"500 5.5.1 Command unrecognized: \"XXXX ", b"\"\r\n")])],
            ..Script::DEFAULT
        },
    },
    // ----- reply syntax
    Scenario {
        name: "zero-length",
        summary: "an empty line (extra CRLF) before the EHLO reply: \"Zero length SMTP status line\"",
        expect: &["reply-zero-length"],
        probe_args: &[],
        script: rules(&[on_plain(
            Ehlo,
            &[Send(
                b"\r\n250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            )],
        )]),
    },
    Scenario {
        name: "bare-lf",
        summary: "greeting and MAIL, RCPT, RSET replies end in a bare LF instead of CRLF",
        expect: &["reply-bare-lf"],
        probe_args: &[],
        script: Script {
            greeting: &[Send(b"220 mx.demo.test ESMTP smtpdoctor-mock\n")],
            rules: &[
                on(Mail, &[Send(b"250 2.1.0 Ok\n")]),
                on(Rcpt, &[Send(b"250 2.1.5 Ok\n")]),
                on(Rset, &[Send(b"250 2.0.0 Ok\n")]),
            ],
            ..Script::DEFAULT
        },
    },
    Scenario {
        name: "bare-cr",
        summary: "the MAIL reply's first line ends in a bare CR, directly followed by the last line",
        expect: &["reply-bare-cr"],
        probe_args: &[],
        script: rules(&[on(Mail, &[Send(b"250-2.1.0 Sender accepted\r250 2.1.0 Ok\r\n")])]),
    },
    Scenario {
        name: "multiline-mismatch",
        summary: "the RCPT reply changes its code between lines (250- then 251)",
        expect: &["reply-multiline-mismatch"],
        probe_args: &[],
        script: rules(&[on(Rcpt, &[Send(b"250-2.1.5 Recipient ok\r\n251 2.1.5 Ok\r\n")])]),
    },
    Scenario {
        name: "too-long",
        summary: "the RCPT reply is one 700-octet line",
        expect: &["reply-too-long"],
        probe_args: &[],
        script: rules(&[on(Rcpt, &[Send(&TOO_LONG)])]),
    },
    Scenario {
        name: "non-ascii",
        summary: "UTF-8 text in the greeting",
        expect: &["reply-non-ascii"],
        probe_args: &[],
        script: greeting(&[Send(b"220 mx.demo.test ESMTP Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n")]),
    },
    Scenario {
        name: "code-invalid",
        summary: "the RSET reply starts with \"2x0\" instead of a three-digit code",
        expect: &["reply-code-invalid"],
        probe_args: &[],
        script: rules(&[on(Rset, &[Send(b"2x0 2.0.0 Ok\r\n")])]),
    },
    Scenario {
        name: "bare-code",
        summary: "the RSET reply is a bare \"250\" without text",
        expect: &["reply-bare-code"],
        probe_args: &[],
        script: rules(&[on(Rset, &[Send(b"250\r\n")])]),
    },
    Scenario {
        name: "unsolicited",
        summary: "answers RSET twice in one write (no PIPELINING offered, so one reply was due)",
        expect: &["reply-unsolicited"],
        probe_args: &[],
        script: rules(&[
            on_plain(Ehlo, &[Send(EHLO_NO_PIPELINING_PLAIN)]),
            on_tls(Ehlo, &[Send(EHLO_NO_PIPELINING_TLS)]),
            on(Rset, &[Send(b"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n")]),
        ]),
    },
    // ----- EHLO
    Scenario {
        name: "ehlo-fallback",
        summary: "an old server: EHLO refused with 502, HELO accepted",
        expect: &["ehlo-fallback", "starttls-absent"],
        probe_args: &[],
        script: rules(&[on(Ehlo, &[Send(b"502 5.5.2 Error: command not recognized\r\n")])]),
    },
    Scenario {
        name: "ehlo-bad-failure-code",
        summary: "EHLO refused with 554 rather than a \"not recognized\" code; HELO accepted",
        expect: &["ehlo-bad-failure-code", "ehlo-fallback", "starttls-absent"],
        probe_args: &[],
        script: rules(&[on(Ehlo, &[Send(b"554 5.7.1 EHLO not accepted\r\n")])]),
    },
    Scenario {
        name: "helo-extended",
        summary: "EHLO refused, and the HELO reply lists extension keywords as if it were EHLO",
        expect: &["helo-extended", "ehlo-fallback", "starttls-absent"],
        probe_args: &[],
        script: rules(&[
            on(Ehlo, &[Send(EHLO_UNRECOGNIZED)]),
            on(Helo, &[Send(b"250-mx.demo.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")]),
        ]),
    },
    Scenario {
        name: "size-small",
        summary: "advertises SIZE 1000",
        expect: &["ext-size-small"],
        probe_args: &[],
        script: rules(&[on_plain(Ehlo, &[Send(EHLO_SIZE_1000_PLAIN)]), on_tls(Ehlo, &[Send(EHLO_SIZE_1000_TLS)])]),
    },
    Scenario {
        name: "enhancedcodes-malformed",
        summary: "advertises ENHANCEDSTATUSCODES, then answers MAIL with \"2.1\" and RCPT with a 5.x.x code in a 250",
        expect: &["ext-enhancedcodes-malformed"],
        probe_args: &[],
        script: rules(&[on(Mail, &[Send(b"250 2.1 Ok\r\n")]), on(Rcpt, &[Send(b"250 5.0.0 Ok\r\n")])]),
    },
    // ----- STARTTLS and TLS
    Scenario {
        name: "no-starttls",
        summary: "does not offer STARTTLS",
        expect: &["starttls-absent"],
        probe_args: &[],
        script: rules(&[on(Ehlo, &[Send(EHLO_TLS)])]),
    },
    Scenario {
        name: "starttls-policy-failed",
        summary: "does not offer STARTTLS, probed with --starttls require",
        expect: &["starttls-absent", "starttls-policy-failed"],
        probe_args: &["--starttls", "require"],
        script: rules(&[on(Ehlo, &[Send(EHLO_TLS)])]),
    },
    Scenario {
        name: "starttls-454",
        summary: "offers STARTTLS, then answers it with 454",
        expect: &["starttls-454"],
        probe_args: &[],
        script: rules(&[on(Starttls, &[Send(b"454 4.7.0 TLS not available due to local problem\r\n")])]),
    },
    Scenario {
        name: "starttls-required",
        summary: "refuses MAIL without TLS (probed with --starttls never)",
        expect: &["starttls-required"],
        probe_args: &["--starttls", "never"],
        script: rules(&[on_plain(Mail, &[Send(b"530 5.7.0 Must issue a STARTTLS command first\r\n")])]),
    },
    Scenario {
        name: "starttls-stall",
        summary: "answers STARTTLS with 220 and then never speaks TLS (like a PMTU black hole)",
        expect: &["starttls-stall"],
        probe_args: &["--timeout", "1s"],
        script: rules(&[on(Starttls, &[Send(STARTTLS_READY), Hang])]),
    },
    Scenario {
        name: "starttls-post-state",
        summary: "still advertises STARTTLS in the EHLO reply inside TLS",
        expect: &["starttls-post-state"],
        probe_args: &[],
        script: rules(&[on_tls(Ehlo, &[Send(EHLO_PLAIN)])]),
    },
    Scenario {
        name: "starttls-resp-injection",
        summary: "sends an extra plaintext line together with the STARTTLS 220, then does TLS",
        expect: &["starttls-resp-injection"],
        probe_args: &[],
        script: rules(&[on(Starttls, &[Send(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n"), StartTls])]),
    },
    Scenario {
        name: "tls-handshake-failed",
        summary: "answers STARTTLS with 220, then sends plaintext HTTP instead of a TLS handshake and closes",
        expect: &["tls-handshake-failed"],
        probe_args: &[],
        script: rules(&[on(
            Starttls,
            &[Send(STARTTLS_READY), Sleep(200), Send(b"HTTP/1.1 400 Bad Request\r\n"), Close],
        )]),
    },
    Scenario {
        name: "tls-cert-expired",
        summary: "presents a certificate for mx.demo.test that expired 30 days ago",
        expect: &["tls-cert-expired"],
        probe_args: &[],
        script: cert(Cert::Expired),
    },
    Scenario {
        name: "tls-cert-expiring",
        summary: "presents a certificate for mx.demo.test that expires in 5 days",
        expect: &["tls-cert-expiring"],
        probe_args: &[],
        script: cert(Cert::Expiring),
    },
    Scenario {
        name: "tls-cert-name-mismatch",
        summary: "presents a certificate issued for mail.other.invalid only",
        expect: &["tls-cert-name-mismatch"],
        probe_args: &[],
        script: cert(Cert::WrongName),
    },
    Scenario {
        name: "tls-cert-untrusted",
        summary: "presents a self-signed certificate for mx.demo.test that no trust anchor vouches for",
        expect: &["tls-cert-untrusted"],
        probe_args: &[],
        script: cert(Cert::Untrusted),
    },
    // ----- envelope
    Scenario {
        name: "mail-rejected",
        summary: "rejects the null reverse-path <> with 550",
        expect: &["mail-rejected"],
        probe_args: &[],
        script: rules(&[on_arg(Mail, "<>", &[Send(b"550 5.7.1 Sender rejected\r\n")])]),
    },
    Scenario {
        name: "mail-deferred",
        summary: "answers MAIL with a temporary 451",
        expect: &["mail-deferred"],
        probe_args: &[],
        script: rules(&[on(Mail, &[Send(b"451 4.3.0 Error: queue file write error\r\n")])]),
    },
    Scenario {
        name: "rcpt-rejected",
        summary: "rejects every recipient but postmaster as unknown (probed with --to nobody@demo.test)",
        expect: &["rcpt-rejected"],
        probe_args: &["--to", "nobody@demo.test"],
        script: rules(&[on_not_arg(
            Rcpt,
            "postmaster",
            &[SendPath(b"550 5.1.1 ", b": Recipient address rejected: User unknown in local recipient table\r\n")],
        )]),
    },
    Scenario {
        name: "rcpt-deferred",
        summary: "answers RCPT with a temporary lookup failure",
        expect: &["rcpt-deferred"],
        probe_args: &[],
        script: rules(&[on(Rcpt, &[SendPath(b"451 4.3.0 ", b": Temporary lookup failure\r\n")])]),
    },
    Scenario {
        name: "postmaster-rejected",
        summary: "rejects postmaster@ (and accepts everybody else)",
        expect: &["postmaster-rejected"],
        probe_args: &[],
        script: rules(&[on_arg(
            Rcpt,
            "postmaster",
            &[SendPath(b"550 5.7.1 ", b": Recipient address rejected: Access denied\r\n")],
        )]),
    },
    Scenario {
        name: "greylisted",
        summary: "postgrey-style greylisting of the recipient",
        expect: &["greylisted"],
        probe_args: &[],
        script: rules(&[on(
            Rcpt,
            &[SendPath(
                b"450 4.2.0 ",
                b": Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/demo.test.html\r\n",
            )],
        )]),
    },
    Scenario {
        name: "postscreen-after-tests",
        summary: "postscreen's 450 4.3.2 to RCPT after its after-220 tests",
        expect: &["postscreen-after-tests"],
        probe_args: &[],
        script: rules(&[on(Rcpt, &[Send(b"450 4.3.2 Service currently unavailable\r\n")])]),
    },
    Scenario {
        name: "quit-no-221",
        summary: "closes the connection on QUIT without answering 221",
        expect: &["quit-no-221"],
        probe_args: &[],
        script: rules(&[on(Quit, &[Close])]),
    },
    Scenario {
        name: "close-without-421",
        summary: "closes the connection right after its EHLO reply",
        expect: &["close-without-421"],
        probe_args: &[],
        script: rules(&[on_plain(Ehlo, &[Send(EHLO_PLAIN), Close])]),
    },
    Scenario {
        name: "reset-mid-dialogue",
        summary: "aborts the connection with a TCP RST when MAIL arrives",
        expect: &["close-without-421"],
        probe_args: &[],
        script: rules(&[on(Mail, &[Reset])]),
    },
    Scenario {
        name: "reply-slow",
        summary: "answers RCPT after 700 ms",
        expect: &["reply-slow"],
        probe_args: &["--slow", "300ms"],
        script: rules(&[on(Rcpt, &[Sleep(700), Default])]),
    },
    // ----- DATA
    Scenario {
        name: "dot-slow",
        summary: "answers the final dot after 1.2 s",
        expect: &["dot-slow"],
        probe_args: &["--data", "--dot-slow", "500ms"],
        script: rules(&[on(Dot, &[Sleep(1200), Default])]),
    },
    Scenario {
        name: "dot-timeout",
        summary: "never answers the final dot (\"response to dot-stuffed message expected\")",
        expect: &["dot-timeout"],
        probe_args: &["--data", "--timeout", "1s"],
        script: rules(&[on(Dot, &[Hang])]),
    },
    Scenario {
        name: "dot-keepalive",
        summary: "keeps the client waiting after the dot with 250- continuation lines every 300 ms",
        expect: &["data-keepalive-lines"],
        probe_args: &["--data"],
        script: rules(&[on(
            Dot,
            &[
                Send(b"250-2.0.0 Message received, running content checks\r\n"),
                Sleep(300),
                Send(b"250-2.0.0 Still checking\r\n"),
                Sleep(300),
                Send(b"250-2.0.0 Still checking\r\n"),
                Sleep(300),
                Send(QUEUED),
            ],
        )]),
    },
    Scenario {
        name: "data-rejected",
        summary: "rejects the message after the final dot with 552",
        expect: &["data-rejected"],
        probe_args: &["--data"],
        script: rules(&[on(Dot, &[Send(b"552 5.3.4 Message size exceeds fixed limit\r\n")])]),
    },
    Scenario {
        name: "no-354",
        summary: "never answers DATA: the attempt fails with a timeout before the message",
        expect: &["reply-timeout"],
        probe_args: &["--data", "--timeout", "1s"],
        script: rules(&[on(Data, &[Hang])]),
    },
    Scenario {
        name: "size-limit",
        summary: "advertises SIZE 100000 and rejects larger messages after the dot; the probe refuses to send a larger one",
        expect: &["data-not-sent"],
        probe_args: &["--size", "200000"],
        script: rules(&[
            on_plain(Ehlo, &[Send(EHLO_SIZE_100000_PLAIN)]),
            on_tls(Ehlo, &[Send(EHLO_SIZE_100000_TLS)]),
            Rule {
                cmd: Dot,
                when: When::SizeOver(100_000),
                then: &[Send(b"552 5.3.4 Message size exceeds fixed maximum message size\r\n")],
            },
        ]),
    },
    // ----- active tests (SPEC §4)
    Scenario {
        name: "pregreet-enforcing",
        summary: "postscreen-like: 220- teaser, and a client that talks before the final 220 line gets 554 and is \
                  disconnected",
        expect: &["pregreet-enforced", "greeting-multiline"],
        probe_args: &["--test", "pregreet"],
        script: greeting(&[
            Send(b"220-mx.demo.test ESMTP\r\n"),
            Watch(1000, &[Send(b"554 5.5.1 Protocol error\r\n"), Close]),
            Send(b"220 mx.demo.test ESMTP\r\n"),
        ]),
    },
    Scenario {
        name: "pregreet-tolerating",
        summary: "a correct server that simply answers commands sent before its greeting",
        expect: &["pregreet-tolerated"],
        probe_args: &["--test", "pregreet"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "pipelining-broken",
        summary: "advertises PIPELINING but answers only the first command of each read \
                  (the probe's own MAIL, RCPT, RSET and QUIT group too: RCPT goes unanswered)",
        expect: &["pipelining-broken", "reply-timeout"],
        probe_args: &["--test", "pipelining", "--timeout", "1s"],
        script: Script { answer_first_only: true, ..Script::DEFAULT },
    },
    Scenario {
        name: "pipelining-unadvertised",
        summary: "does not advertise PIPELINING but accepts pipelined commands",
        expect: &["pipelining-unauth-accepted"],
        probe_args: &["--test", "pipelining"],
        script: rules(&[
            on_plain(Ehlo, &[Send(EHLO_NO_PIPELINING_PLAIN)]),
            on_tls(Ehlo, &[Send(EHLO_NO_PIPELINING_TLS)]),
        ]),
    },
    Scenario {
        name: "pipelining-working",
        summary: "a correct server under the pipelining test",
        expect: &[],
        probe_args: &["--test", "pipelining"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "starttls-injection-vulnerable",
        summary: "keeps plaintext sent with STARTTLS and answers it inside TLS (CVE-2011-0411)",
        expect: &["starttls-cmd-injection"],
        probe_args: &["--test", "starttls-injection", "--timeout", "1s"],
        script: Script { starttls_keeps_input: true, ..Script::DEFAULT },
    },
    Scenario {
        name: "starttls-injection-fixed",
        summary: "discards plaintext sent with STARTTLS, as it must",
        expect: &[],
        probe_args: &["--test", "starttls-injection", "--timeout", "1s"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "smuggling-vulnerable",
        summary: "also ends message data at <LF>.<LF>, <LF>.<CR><LF> and <CR><LF>.<LF> (SMTP smuggling)",
        expect: &["smuggle-eod-accepted"],
        probe_args: &["--test", "smuggling", "--to", "postmaster@demo.test", "--timeout", "1s"],
        script: Script { lenient_eod: true, ..Script::DEFAULT },
    },
    Scenario {
        name: "smuggling-fixed",
        summary: "ends message data only at <CR><LF>.<CR><LF>",
        expect: &[],
        probe_args: &["--test", "smuggling", "--to", "postmaster@demo.test", "--timeout", "1s"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "bare-lf-accepting",
        summary: "accepts command lines ended by a bare LF",
        expect: &["bare-lf-accepted"],
        probe_args: &["--test", "bare-lf"],
        script: Script { accept_bare_lf: true, ..Script::DEFAULT },
    },
    Scenario {
        name: "bare-lf-rejecting",
        summary: "answers a command line ended by a bare LF with 500",
        expect: &[],
        probe_args: &["--test", "bare-lf"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "close-on-unknown",
        summary: "drops the connection after the first unknown command",
        expect: &["close-on-unknown"],
        probe_args: &["--test", "unknown-command"],
        script: rules(&[on(Unknown, &[Send(b"502 5.5.2 Error: command not recognized\r\n"), Close])]),
    },
    Scenario {
        name: "unknown-command-tolerated",
        summary: "answers an unknown command with 502 and carries on",
        expect: &[],
        probe_args: &["--test", "unknown-command"],
        script: Script::DEFAULT,
    },
    Scenario {
        name: "open-relay",
        summary: "accepts every recipient, whatever the domain or address trick",
        expect: &["open-relay"],
        probe_args: &["--test", "relay"],
        script: rules(&[on(Rcpt, &[Send(b"250 2.1.5 Ok\r\n")])]),
    },
    Scenario {
        name: "relay-closed",
        summary: "accepts only demo.test recipients; foreign domains, % hack, bang paths and quoted @ get 554",
        expect: &[],
        probe_args: &["--test", "relay"],
        script: Script::DEFAULT,
    },
    // ----- made for judging clients (SPEC §8); the probe sees correct servers, but slow ones
    Scenario {
        name: "client-dot-hold",
        summary: "holds the reply to the final dot for 11 minutes (mock --hold sets it), answering nothing \
                  else meanwhile, then accepts the message: shows clients that give up too early",
        expect: &[],
        probe_args: &[],
        script: rules(&[on(Dot, &[Hold(DOT_HOLD_MS), Default])]),
    },
    Scenario {
        name: "client-teaser",
        summary: "a 220- teaser line, 6 s of silence (mock --hold sets it), then the final 220: shows clients \
                  that talk before the greeting is complete",
        expect: &["greeting-multiline", "greeting-slow"],
        probe_args: &[],
        script: greeting(&[Send(b"220-mx.demo.test ESMTP\r\n"), Hold(TEASER_HOLD_MS), Send(b"220 mx.demo.test ESMTP\r\n")]),
    },
    Scenario {
        name: "client-keepalive",
        summary: "after the final dot, a 250- continuation line every 10 s for 3 minutes (mock --hold sets the \
                  period), then the final 250",
        expect: &[],
        probe_args: &[],
        script: rules(&[on(
            Dot,
            &[
                Trickle(b"250-2.0.0 Still processing the message\r\n", KEEPALIVE_EVERY_MS, KEEPALIVE_HOLD_MS),
                Send(QUEUED),
            ],
        )]),
    },
    Scenario {
        name: "client-multiline",
        summary: "writes its multi-line EHLO reply one line at a time, 200 ms apart (mock --hold sets the gap), \
                  no STARTTLS: shows clients that take one line for the whole reply",
        expect: &["starttls-absent"],
        probe_args: &[],
        script: rules(&[on(Ehlo, &[SendLines(EHLO_TLS, MULTILINE_GAP_MS)])]),
    },
    Scenario {
        name: "client-strict",
        summary: "a correct server for judging clients: PIPELINING, SIZE 10485760, 8BITMIME, \
                  ENHANCEDSTATUSCODES, STARTTLS; AUTH PLAIN LOGIN inside TLS only",
        expect: &[],
        probe_args: &[],
        script: Script {
            rules: &[
                on_plain(Ehlo, &[Send(EHLO_STRICT_PLAIN)]),
                on_tls(Ehlo, &[Send(EHLO_STRICT_TLS)]),
                Rule {
                    cmd: Dot,
                    when: When::SizeOver(10_485_760),
                    then: &[Send(b"552 5.3.4 Message size exceeds fixed maximum message size\r\n")],
                },
            ],
            auth_in_tls: true,
            ..Script::DEFAULT
        },
    },
    Scenario {
        name: "client-minimal",
        summary: "a correct server whose EHLO reply advertises no extension at all (no PIPELINING, SIZE, \
                  8BITMIME or STARTTLS)",
        expect: &["starttls-absent"],
        probe_args: &[],
        script: rules(&[
            on(Ehlo, &[Send(EHLO_MINIMAL)]),
            on(Starttls, &[Send(b"502 5.5.1 Error: command not implemented\r\n")]),
        ]),
    },
];
