//! The built-in misbehaving clients of `smtpdoctor demo --client NAME`: scripted clients, each run against a mock scenario, with the client findings it must produce.
//!
//! A [`DemoClient`] is plain data like a [`Scenario`](super::Scenario): the scenario it talks
//! to, the hold it needs, and one script of [`Act`]s per connection. The runner is
//! [`run_demo_client`](super::run_demo_client).

use super::script::padded_line;

/// One thing a scripted client does.
#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// Write these bytes in one write.
    Send(&'static [u8]),
    /// Read one whole reply, as a correct client does: lines until one has a space (or
    /// nothing) after its code.
    Reply,
    /// Read one line, whatever follows it (a client that takes one line for the reply).
    Line,
    /// Take whatever one read returns (a client that takes one read for the reply).
    Read,
    /// Wait this many milliseconds.
    Sleep(u64),
    /// Start TLS (after the server's 220 to STARTTLS), trusting the demo CA, SNI `mx.demo.test`.
    StartTls,
    /// Close the connection now, without QUIT.
    Close,
}

/// A scripted client and what the client checks must find in it.
#[derive(Debug, Clone, Copy)]
pub struct DemoClient {
    /// Kebab-case name used by `demo --client NAME`.
    pub name: &'static str,
    /// One line saying what the client does wrong (or right).
    pub summary: &'static str,
    /// The mock scenario it talks to.
    pub scenario: &'static str,
    /// The scenario's hold (`mock --hold`), in ms, when the default would be too long.
    pub hold_ms: Option<u64>,
    /// The mock's wait for the next command, in ms, when its 5 minutes would be too long.
    pub idle_ms: Option<u64>,
    /// One script per connection, run one after the other.
    pub connections: &'static [&'static [Act]],
    /// The client finding ids of SPEC §8 the report must show, over all its connections.
    pub expect: &'static [&'static str],
}

use Act::{Close, Line, Read, Reply, Send, Sleep, StartTls};

const EHLO: &[u8] = b"EHLO client.demo.test\r\n";
const HELO: &[u8] = b"HELO client.demo.test\r\n";
const MAIL: &[u8] = b"MAIL FROM:<sender@client.demo.test>\r\n";
const RCPT: &[u8] = b"RCPT TO:<postmaster@demo.test>\r\n";
const DATA: &[u8] = b"DATA\r\n";
const QUIT: &[u8] = b"QUIT\r\n";
const MESSAGE: &[u8] = b"Message-ID: <demo-1@client.demo.test>\r\n\
From: <sender@client.demo.test>\r\n\
To: <postmaster@demo.test>\r\n\
Subject: smtpdoctor demo client\r\n\
\r\n\
A message from one of smtpdoctor's demo clients.\r\n\
.\r\n";

/// Greeting and EHLO, read properly.
const HELLO: [Act; 3] = [Reply, Send(EHLO), Reply];
/// MAIL, RCPT, DATA, the message and QUIT, each reply read properly.
const fn transaction(mail: &'static [u8], message: &'static [u8]) -> [Act; 10] {
    [
        Send(mail),
        Reply,
        Send(RCPT),
        Reply,
        Send(DATA),
        Reply,
        Send(message),
        Reply,
        Send(QUIT),
        Reply,
    ]
}

/// A whole correct session after the greeting and EHLO.
const SESSION: [Act; 13] = concat_acts(HELLO, transaction(MAIL, MESSAGE));

/// `a` then `b` (const slices cannot be concatenated otherwise).
const fn concat_acts<const A: usize, const B: usize, const C: usize>(
    a: [Act; A],
    b: [Act; B],
) -> [Act; C] {
    let mut out = [Close; C];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < C {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

const CCNOTES: &[Act] = &[
    // The greeting comes in two TCP segments; the client takes the first for all of it.
    Read,
    Send(HELO),
    Read,
    Sleep(100),
    Send(MAIL),
    Read,
    Sleep(100),
    Send(RCPT),
    Read,
    Sleep(100),
    Send(DATA),
    Read,
    Sleep(100),
    Send(MESSAGE),
    Read,
    Sleep(100),
    Send(QUIT),
    Read,
];

const ONE_LINE_READER: &[Act] = &[
    Line,
    Send(EHLO),
    Line,
    // Sent while the rest of the EHLO reply is still being written.
    Send(MAIL),
    Reply,
    Reply,
    Send(QUIT),
    Reply,
];

const BARE_LF: &[Act] = &[
    Reply,
    Send(EHLO),
    Reply,
    Send(b"MAIL FROM:<sender@client.demo.test>\n"),
    Reply,
    Send(QUIT),
    Reply,
];

const BARE_CR: &[Act] = &[
    Reply,
    Send(EHLO),
    Reply,
    Send(b"NOOP\r"),
    Sleep(300),
    Send(QUIT),
    Reply,
    Send(QUIT),
    Reply,
];

const MESSAGE_BARE_LF: &[u8] = b"Message-ID: <bare-lf@client.demo.test>\r\n\
Subject: lines ended by a bare LF\r\n\
\r\n\
line one\n\
line two\r\n\
.\r\n";

/// A command of 607 octets with its CRLF.
static LONG_COMMAND: [u8; 607] = padded_line(b"NOOP ", b'x');
/// A message line of 1202 octets with its CRLF.
static LONG_TEXT_LINE: [u8; 1202] = padded_line(b"", b'y');

const MESSAGE_8BIT: &[u8] = "Message-ID: <eight-bit@client.demo.test>\r\n\
Subject: Gr\u{fc}\u{df}e\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Gr\u{fc}\u{df}e aus K\u{f6}ln, sent without BODY=8BITMIME.\r\n\
.\r\n"
    .as_bytes();

const MESSAGE_OVERSIZE: &[u8] = b"Message-ID: <oversize@client.demo.test>\r\n\
Subject: larger than its SIZE=100\r\n\
\r\n\
This message declared SIZE=100 on MAIL and is longer than that: a client that\r\n\
announces a size must not send more octets than it announced.\r\n\
.\r\n";

/// Every demo client, in the order of `demo --list`.
pub static DEMO_CLIENTS: &[DemoClient] = &[
    DemoClient {
        name: "ccnotes",
        summary: "the ccNotes gateway: takes the first TCP segment of a fragmented greeting for all of it, \
                  writes HELO before the greeting has ended, then one command per read",
        scenario: "greeting-fragmented",
        hold_ms: None,
        idle_ms: None,
        connections: &[CCNOTES],
        expect: &["client-pregreet", "client-helo-only"],
    },
    DemoClient {
        name: "one-line-reader",
        summary: "reads one line of the multi-line EHLO reply and sends MAIL while the rest is still coming",
        scenario: "client-multiline",
        hold_ms: None,
        idle_ms: None,
        connections: &[ONE_LINE_READER],
        expect: &["client-multiline-early"],
    },
    DemoClient {
        name: "bare-lf",
        summary: "ends a command with a bare LF instead of CRLF",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[BARE_LF],
        expect: &["client-bare-lf"],
    },
    DemoClient {
        name: "bare-cr",
        summary: "ends a command with a bare CR (the server reads it as part of the next line)",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[BARE_CR],
        expect: &["client-bare-cr"],
    },
    DemoClient {
        name: "data-bare-lf",
        summary: "sends message content with a line ended by a bare LF (what SMTP smuggling relies on)",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&concat_acts::<3, 10, 13>(HELLO, transaction(MAIL, MESSAGE_BARE_LF))],
        expect: &["client-data-bare-lf"],
    },
    DemoClient {
        name: "long-command",
        summary: "sends a 607-octet command line (RFC 5321 allows 512)",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[Reply, Send(EHLO), Reply, Send(&LONG_COMMAND), Reply, Send(QUIT), Reply]],
        expect: &["client-command-too-long"],
    },
    DemoClient {
        name: "long-line",
        summary: "sends a message line of 1202 octets (RFC 5321 allows 1000)",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(MAIL),
            Reply,
            Send(RCPT),
            Reply,
            Send(DATA),
            Reply,
            Send(b"Message-ID: <long-line@client.demo.test>\r\nSubject: a long line\r\n\r\n"),
            Send(&LONG_TEXT_LINE),
            Send(b".\r\n"),
            Reply,
            Send(QUIT),
            Reply,
        ]],
        expect: &["client-text-line-too-long"],
    },
    DemoClient {
        name: "blind-pipeliner",
        summary: "pipelines MAIL and RCPT to a server that does not advertise PIPELINING",
        scenario: "client-minimal",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(b"MAIL FROM:<sender@client.demo.test>\r\nRCPT TO:<postmaster@demo.test>\r\n"),
            Reply,
            Reply,
            Send(DATA),
            Reply,
            Send(MESSAGE),
            Reply,
            Send(QUIT),
            Reply,
        ]],
        expect: &["client-pipelining-unadvertised"],
    },
    DemoClient {
        name: "misordered-pipeliner",
        summary: "pipelines MAIL, RCPT, DATA and the message in one write: message data before the 354",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(
                b"MAIL FROM:<sender@client.demo.test>\r\nRCPT TO:<postmaster@demo.test>\r\nDATA\r\n\
Message-ID: <misordered@client.demo.test>\r\nSubject: too early\r\n\r\nbody\r\n.\r\n",
            ),
            Reply,
            Reply,
            Reply,
            Reply,
            Send(QUIT),
            Reply,
        ]],
        expect: &["client-pipelining-misordered"],
    },
    DemoClient {
        name: "bad-helo",
        summary: "greets with EHLO my-pc: neither a fully qualified domain name nor an address literal",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[Reply, Send(b"EHLO my-pc\r\n"), Reply, Send(QUIT), Reply]],
        expect: &["client-ehlo-invalid"],
    },
    DemoClient {
        name: "helo-only",
        summary: "says HELO to a server that would have done EHLO, and so gets no extension",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&concat_acts::<3, 10, 13>([Reply, Send(HELO), Reply], transaction(MAIL, MESSAGE))],
        expect: &["client-helo-only"],
    },
    DemoClient {
        name: "no-starttls",
        summary: "delivers in plaintext although the server offers STARTTLS",
        scenario: "clean",
        hold_ms: None,
        idle_ms: None,
        connections: &[&SESSION],
        expect: &["client-starttls-unused"],
    },
    DemoClient {
        name: "plaintext-auth",
        summary: "sends AUTH PLAIN with its password before STARTTLS (the report shows it redacted)",
        scenario: "client-strict",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(b"AUTH PLAIN AGRlbW8Ac2VjcmV0\r\n"),
            Reply,
            Send(QUIT),
            Reply,
        ]],
        // No MAIL follows, so STARTTLS is not "unused" for a message: AUTH in clear is the fault.
        expect: &["client-auth-plaintext"],
    },
    DemoClient {
        name: "eight-bit",
        summary: "sends 8-bit UTF-8 content without BODY=8BITMIME on MAIL",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&concat_acts::<3, 10, 13>(HELLO, transaction(MAIL, MESSAGE_8BIT))],
        expect: &["client-8bit-undeclared"],
    },
    DemoClient {
        name: "oversize",
        summary: "declares SIZE=100 on MAIL and sends more octets than that",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&concat_acts::<3, 10, 13>(
            HELLO,
            transaction(b"MAIL FROM:<sender@client.demo.test> SIZE=100\r\n", MESSAGE_OVERSIZE),
        )],
        expect: &["client-size-exceeded"],
    },
    DemoClient {
        name: "impatient",
        summary: "gives up 2 s after the final dot and closes, while the server holds its reply (4 s here): \
                  the message was accepted and will be sent again",
        scenario: "client-dot-hold",
        hold_ms: Some(4000),
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(b"STARTTLS\r\n"),
            Reply,
            StartTls,
            Send(EHLO),
            Reply,
            Send(MAIL),
            Reply,
            Send(RCPT),
            Reply,
            Send(DATA),
            Reply,
            Send(MESSAGE),
            Sleep(2000),
            Close,
        ]],
        expect: &["client-tls", "client-timeout-short", "client-no-quit"],
    },
    DemoClient {
        name: "redeliverer",
        summary: "delivers the same message (same Message-ID) on two connections",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&SESSION, &SESSION],
        expect: &["client-duplicate"],
    },
    DemoClient {
        name: "no-quit",
        summary: "delivers a message and closes the connection without QUIT",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: None,
        connections: &[&concat_acts::<11, 1, 12>(
            concat_acts::<3, 8, 11>(
                HELLO,
                [Send(MAIL), Reply, Send(RCPT), Reply, Send(DATA), Reply, Send(MESSAGE), Reply],
            ),
            [Close],
        )],
        expect: &["client-no-quit"],
    },
    DemoClient {
        name: "silent",
        summary: "connects, reads the greeting and sends nothing until the server gives up (here after 1 s, not 5 min)",
        scenario: "no-starttls",
        hold_ms: None,
        idle_ms: Some(1000),
        connections: &[&[Reply, Reply]],
        expect: &["client-silent"],
    },
    DemoClient {
        name: "clean",
        summary: "a correct client: STARTTLS, EHLO again, AUTH LOGIN inside TLS, SIZE on MAIL, one reply at a time, QUIT",
        scenario: "client-strict",
        hold_ms: None,
        idle_ms: None,
        connections: &[&[
            Reply,
            Send(EHLO),
            Reply,
            Send(b"STARTTLS\r\n"),
            Reply,
            StartTls,
            Send(EHLO),
            Reply,
            Send(b"AUTH LOGIN\r\n"),
            Reply,
            Send(b"ZGVtbw==\r\n"),
            Reply,
            Send(b"c2VjcmV0\r\n"),
            Reply,
            Send(b"MAIL FROM:<sender@client.demo.test> SIZE=1000\r\n"),
            Reply,
            Send(RCPT),
            Reply,
            Send(DATA),
            Reply,
            Send(MESSAGE),
            Reply,
            Send(QUIT),
            Reply,
        ]],
        expect: &["client-tls"],
    },
];

/// The demo client with this name.
pub fn find_client(name: &str) -> Option<&'static DemoClient> {
    DEMO_CLIENTS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_catalogs_and_the_expectations_are_client_findings() {
        let names: Vec<&str> = DEMO_CLIENTS.iter().map(|c| c.name).collect();
        assert_eq!(names, crate::knowledge::catalog::DEMO_CLIENTS);
        let ids: Vec<&str> = crate::knowledge::catalog::CLIENT_SPEC_IDS
            .iter()
            .map(|(id, _)| *id)
            .collect();
        for c in DEMO_CLIENTS {
            assert!(
                super::super::find(c.scenario).is_some(),
                "{}: {}",
                c.name,
                c.scenario
            );
            assert!(
                !c.connections.is_empty() && !c.expect.is_empty(),
                "{}",
                c.name
            );
            for id in c.expect {
                assert!(ids.contains(id), "{}: {id} is not a client finding", c.name);
            }
            assert!(std::ptr::eq(find_client(c.name).unwrap(), c));
        }
        // Between them, the demo clients show every client finding there is.
        for id in ids {
            assert!(
                DEMO_CLIENTS.iter().any(|c| c.expect.contains(&id)),
                "no demo client shows {id}"
            );
        }
        assert_eq!(LONG_COMMAND.len(), 607);
        assert!(LONG_TEXT_LINE.ends_with(b"y\r\n"));
    }
}
