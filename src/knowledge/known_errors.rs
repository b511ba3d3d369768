//! The table of MTA error texts `explain` recognises: each wording, the MTA that logs it and
//! the findings that explain it.

use super::explain::KnownError;

const PMDF: &str = "PMDF / Sun Messaging Server";
const POSTFIX: &str = "Postfix";
const EXIM: &str = "Exim";
const SENDMAIL: &str = "Sendmail";
const EXCHANGE: &str = "Exchange";
const DOMINO: &str = "Domino";
const GMAIL: &str = "Gmail / Google Workspace";
const MICROSOFT: &str = "Microsoft 365 / Outlook.com";
const YAHOO: &str = "Yahoo / AOL";

/// The large mailbox providers: their wordings name the cause, and win over the generic line of
/// the MTA that quotes them.
pub const PROVIDERS: &[&str] = &[GMAIL, MICROSOFT, YAHOO];

/// Every error text `explain` recognises.
pub static KNOWN_ERRORS: &[KnownError] = &[
    // ------------------------------------------------------------ PMDF / Sun / Oracle Messaging Server
    KnownError {
        key: "pmdf-zero-length-status",
        mta: PMDF,
        example: "Zero length SMTP status line",
        meaning: "The PMDF or Messaging Server SMTP client expected a status line (three digits, then a \
                  space or a hyphen) and read an empty line instead. It counts this as a temporary \
                  failure and requeues the message, so delivery to that server fails over and over. The \
                  empty line is almost always made by a stray CR or LF in front of the real reply, which \
                  the client, accepting a lone CR or LF as end of line by default, reads as a line of \
                  its own.",
        causes: &[
            "the remote server or a firewall in front of it sends CR CR LF or LF CR LF instead of CR LF",
            "some Exchange servers and firewall SMTP proxies add an extra line ending",
            "the channel uses the default `smtp` keyword (= `smtp_crorlf`), which treats bare CR and bare LF as line ends; `smtp_crlf` avoids it",
        ],
        findings: &["reply-zero-length", "reply-bare-cr", "reply-bare-lf"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["zero length smtp status line"]],
    },
    KnownError {
        key: "pmdf-dot-stuffed-expected",
        mta: PMDF,
        example: "Error reading SMTP packet; response to dot-stuffed message expected",
        meaning: "The client had sent the whole message body and the final dot (\"dot-stuffed \
                  message\" simply means the body) and then waited in vain for the server's verdict, ten \
                  minutes by default. Connection, sender and recipients had all been accepted. The \
                  message is retried; if the remote server did keep it, the recipient gets it twice.",
        causes: &[
            "slow content scanning after the dot on the remote server",
            "a firewall or NAT dropping the connection while the server is still working",
            "a path-MTU black hole swallowing the large packets of the body, so the dot never arrives",
            "an overloaded or hung remote server",
        ],
        findings: &[
            "dot-timeout",
            "dot-slow",
            "timing-rfc-exceeded",
            "close-without-421",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[
            &[
                "error reading smtp packet",
                "response to dot stuffed message expected",
            ],
            &["response to dot stuffed message expected"],
        ],
    },
    KnownError {
        key: "pmdf-smtp-packet-read-error",
        mta: PMDF,
        example: "Error reading SMTP packet",
        meaning: "The client could not read the remote server's reply at some point of the dialogue. The \
                  text after it (\"response to ... expected\") names the step that went unanswered: the \
                  connection was closed or the reply did not come in time.",
        causes: &[
            "the remote server closed the connection without a reply",
            "a reply slower than the channel's timeout",
            "network trouble between the two hosts",
        ],
        findings: &[
            "close-without-421",
            "greeting-timeout",
            "reply-slow",
            "timing-rfc-exceeded",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["error reading smtp packet", "!dot stuffed"]],
    },
    KnownError {
        key: "sims-smtp-open",
        mta: PMDF,
        example: "Fatal error from smtp_open.",
        meaning: "The MTA could not open a connection to the remote SMTP server (an `os_smtp_open` \
                  failure). This is a report from the network layer, not a fault of the MTA: the name \
                  did not resolve, resolved to the wrong place, or the connection was refused, filtered \
                  or unroutable. An occasional one is normal; a steady stream for one destination is a \
                  real DNS or network problem.",
        causes: &[
            "DNS: the destination or its MX does not resolve, or resolves to a stale address",
            "the remote server refuses or filters port 25",
            "routing problems, or an addressing or channel configuration error sending the MTA to the wrong system",
        ],
        findings: &[
            "connect-refused",
            "connect-timeout",
            "connect-unreachable",
            "mx-lookup-failed",
            "mx-none-usable",
        ],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[
            &["os_smtp_open"],
            &["fatal error from smtp_open"],
            &["tcp active open", "failed connect"],
        ],
    },
    KnownError {
        key: "sims-os-smtp-read",
        mta: PMDF,
        example: "os_smtp_read error",
        meaning: "The MTA lost the connection while it waited to read from the remote SMTP server: the \
                  other side closed or reset it, or the network failed. The channel debug log \
                  (`master_debug` on the channel) shows at which step it happened, and the step tells \
                  most of the story: right after connecting points at a refusing or overloaded server, \
                  after the dot at slow processing or a firewall idle timeout.",
        causes: &[
            "the remote server dropped the connection (policy, crash, overload)",
            "a firewall or NAT idle timeout during a long wait",
            "a path-MTU black hole",
        ],
        findings: &[
            "close-without-421",
            "greeting-timeout",
            "dot-timeout",
            "starttls-stall",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["os_smtp_read"]],
    },
    KnownError {
        key: "sims-os-smtp-write",
        mta: PMDF,
        example: "os_smtp_write error",
        meaning: "The MTA could not write to the remote SMTP server because the connection had already \
                  been closed or reset by the other side, or broke in the network. A write that fails in \
                  the middle of a message body often points at a path-MTU problem or a firewall that \
                  resets long transfers.",
        causes: &[
            "the remote server closed the connection, e.g. after rejecting something",
            "a firewall resetting the connection",
            "a path-MTU black hole on large packets",
        ],
        findings: &[
            "close-without-421",
            "close-on-unknown",
            "starttls-stall",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&["os_smtp_write"]],
    },
    KnownError {
        key: "sims-tls-init-failure",
        mta: "Sun / Oracle Messaging Server (as server)",
        example: "454 4.7.1 TLS library initialization failure",
        meaning: "A Messaging Server answered STARTTLS with 454: it advertises TLS but could not set up \
                  its TLS library for SMTP. Senders carry on without encryption, or defer the mail if \
                  they require TLS.",
        causes: &[
            "no usable server certificate for the SMTP service, or the certificate database unreadable by the mail server user",
            "certificates installed (perhaps working for POP/IMAP) but the dispatcher not restarted since",
        ],
        findings: &["starttls-454", "starttls-policy-failed"],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["tls library initialization failure"]],
    },
    // ------------------------------------------------------------ Domino
    KnownError {
        key: "domino-zero-messages",
        mta: "Domino (as server)",
        example: "SMTP Server: mail.example.com (192.168.0.1) disconnected. 0 message[s] received",
        meaning: "Domino's SMTP listener logs this when a client leaves without delivering anything. \
                  Every session you reject (blocklist, unknown recipient, refused relay) ends like this, \
                  so some are expected. Many more of them than rejections means clients fail in the \
                  dialogue, typically because a firewall mangles EHLO and senders reconnect with HELO, \
                  or because connections die on a path-MTU black hole.",
        causes: &[
            "sessions rejected on purpose (DNSBL, invalid recipients, relay attempts)",
            "Cisco PIX/ASA SMTP fixup turning EHLO into XXXX, so the sender gets 500 and reconnects",
            "spam software pipelining whole transactions and ignoring the rejections",
            "path-MTU black holes (ICMP blocked) killing sessions silently",
        ],
        findings: &[
            "pix-ehlo-mangled",
            "pix-banner",
            "ehlo-fallback",
            "pipelining-unauth-accepted",
            "starttls-stall",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[
            &["disconnected 0 message s received"],
            &["disconnected 0 messages received"],
        ],
    },
    KnownError {
        key: "domino-remote-not-responding",
        mta: DOMINO,
        example: "Unable to send mail to mx.example.com: Remote system no longer responding",
        meaning: "Domino's network layer reports that an established session stopped answering or was \
                  closed in the middle of a transfer. For SMTP routing it means the remote server \
                  dropped or stalled the connection after it had been opened.",
        causes: &[
            "the remote server closing the connection without a reply",
            "a firewall idle timeout or a path-MTU black hole",
            "slow processing after the end of data",
        ],
        findings: &[
            "close-without-421",
            "dot-timeout",
            "starttls-stall",
            "greeting-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["remote system no longer responding"]],
    },
    // ------------------------------------------------------------ Postfix (smtp client)
    KnownError {
        key: "postfix-eod-timeout",
        mta: POSTFIX,
        example: "conversation with mx.example.com[192.0.2.1] timed out while sending end of data -- \
                  message may be sent more than once",
        meaning: "Postfix sent the whole message and the final dot, then waited \
                  `smtp_data_done_timeout` (600 s by default) without getting an answer. It cannot tell \
                  whether the remote server kept the message, so it retries later and warns that the \
                  recipient may receive it twice. If `smtp_data_done_timeout` was lowered below the 600 s \
                  of RFC 5321, Postfix gave up too early: point it at `smtpdoctor mock --listen \
                  127.0.0.1:2525 --scenario client-dot-hold --hold 11m` to see how long it waits and \
                  whether it delivers twice.",
        causes: &[
            "slow content filtering after the dot on the remote server",
            "a firewall or NAT dropping the idle connection during that processing",
            "a path-MTU black hole losing the last data packets",
            "`smtp_data_done_timeout` set below 600 s on this Postfix",
        ],
        findings: &[
            "dot-timeout",
            "dot-slow",
            "timing-rfc-exceeded",
            "client-timeout-short",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[
            &["conversation with", "timed out while sending end of data"],
            &[
                "timed out while sending end of data",
                "message may be sent more than once",
            ],
        ],
    },
    KnownError {
        key: "postfix-eod-lost",
        mta: POSTFIX,
        example: "lost connection with mx.example.com[192.0.2.1] while sending end of data -- message \
                  may be sent more than once",
        meaning: "The remote server closed the connection after the final dot and before answering it. \
                  Postfix does not know whether the message was kept, defers it and warns about possible \
                  duplicates.",
        causes: &[
            "a content filter crashing or timing out on the server",
            "a firewall or load balancer idle timeout shorter than the server's processing time",
            "a server restart during the transaction",
        ],
        findings: &[
            "close-without-421",
            "dot-timeout",
            "dot-slow",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&["lost connection with", "while sending end of data"]],
    },
    KnownError {
        key: "postfix-greeting-timeout",
        mta: POSTFIX,
        example: "conversation with mx.example.com[192.0.2.1] timed out while receiving the initial \
                  server greeting",
        meaning: "The TCP connection opened, but no 220 greeting arrived within `smtp_helo_timeout` (300 \
                  s). Postfix defers and tries the next MX.",
        causes: &[
            "the server waits on reverse DNS, ident or blocklist lookups before greeting",
            "all server processes busy, connections waiting in the backlog",
            "a proxy or load balancer that accepts TCP without a working backend",
        ],
        findings: &["greeting-timeout", "greeting-slow", "timing-rfc-exceeded"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["timed out while receiving the initial server greeting"]],
    },
    KnownError {
        key: "postfix-greeting-lost",
        mta: POSTFIX,
        example: "lost connection with mx.example.com[192.0.2.1] while receiving the initial server \
                  greeting",
        meaning: "The TCP connection opened, but the server closed it before sending a greeting. Postfix \
                  defers and tries the next MX. The server side decided not to serve this client, or \
                  could not.",
        causes: &[
            "TCP wrappers, a firewall or an anti-spam front end dropping the client address",
            "a connection limit enforced by closing instead of a 421 greeting",
            "a load balancer or proxy with no healthy backend",
            "the SMTP server process failing at start (broken configuration, missing files)",
        ],
        findings: &["close-without-421", "greeting-421", "greeting-timeout"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&[
            "lost connection with",
            "while receiving the initial server greeting",
        ]],
    },
    KnownError {
        key: "postfix-handshake-lost",
        mta: POSTFIX,
        example: "lost connection with mx.example.com[192.0.2.1] while performing the EHLO handshake",
        meaning: "The greeting came, but the server (or something in front of it) closed the connection \
                  in reply to EHLO or HELO.",
        causes: &[
            "a firewall with SMTP inspection resetting the connection on EHLO",
            "the server rejecting the client's HELO name by hanging up",
            "a server crash while processing EHLO",
        ],
        findings: &["close-without-421", "pix-ehlo-mangled", "ehlo-fallback"],
        reproduce: "smtpdoctor probe example.com -v --quit-after ehlo",
        patterns: &[
            &[
                "lost connection with",
                "while performing the ehlo handshake",
            ],
            &[
                "lost connection with",
                "while performing the helo handshake",
            ],
        ],
    },
    KnownError {
        key: "postfix-handshake-timeout",
        mta: POSTFIX,
        example: "conversation with mx.example.com[192.0.2.1] timed out while performing the HELO \
                  handshake",
        meaning: "The greeting came, but no reply to EHLO or HELO arrived within `smtp_helo_timeout`. \
                  The server is stuck on lookups about the client's name, or a middlebox swallowed the \
                  command.",
        causes: &[
            "slow DNS lookups of the HELO name or client address on the server",
            "a firewall or proxy eating or rewriting EHLO",
        ],
        findings: &[
            "reply-slow",
            "timing-rfc-exceeded",
            "pix-ehlo-mangled",
            "ehlo-fallback",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after ehlo",
        patterns: &[
            &["timed out while performing the ehlo handshake"],
            &["timed out while performing the helo handshake"],
        ],
    },
    KnownError {
        key: "postfix-lost-connection",
        mta: POSTFIX,
        example: "lost connection with mx.example.com[192.0.2.1] while sending RCPT TO",
        meaning: "The remote server closed the connection at the step named after \"while\", without \
                  a 421 reply. Postfix defers the message and retries later.",
        causes: &[
            "a policy decision enforced by hanging up instead of replying",
            "a firewall or proxy resetting the connection",
            "a path-MTU black hole, when it happens while sending the message body",
        ],
        findings: &["close-without-421", "starttls-stall", "pipelining-broken"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["lost connection with", "while"]],
    },
    KnownError {
        key: "postfix-conversation-timeout",
        mta: POSTFIX,
        example: "conversation with mx.example.com[192.0.2.1] timed out while sending message body",
        meaning: "Postfix waited longer than its timeout for the step named at the end. During the \
                  message body this is typical of a path-MTU black hole: small commands pass, full-size \
                  data packets are lost.",
        causes: &[
            "a slow server at that step",
            "a path-MTU black hole (ICMP blocked, smaller MTU on the path)",
        ],
        findings: &[
            "reply-slow",
            "timing-rfc-exceeded",
            "starttls-stall",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&["conversation with", "timed out while"]],
    },
    KnownError {
        key: "postfix-ssl-connect-error",
        mta: POSTFIX,
        example: "SSL_connect error to mx.example.com[192.0.2.1]:25: lost connection",
        meaning: "The TLS handshake after STARTTLS failed on the Postfix side: the connection was lost, \
                  timed out or ended with a TLS alert. Depending on the TLS policy Postfix retries in \
                  clear text or defers.",
        causes: &[
            "no common TLS version or cipher",
            "a path-MTU black hole hitting the large certificate packets",
            "a middlebox that cannot follow the switch to TLS",
        ],
        findings: &["tls-handshake-failed", "starttls-stall"],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["ssl_connect error to"]],
    },
    KnownError {
        key: "postfix-connect-timeout",
        mta: POSTFIX,
        example: "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
        meaning: "The TCP connection attempt got no answer at all. Postfix tries the next MX and defers \
                  the message if none answers.",
        causes: &[
            "a firewall silently dropping port 25 at the destination",
            "outbound port 25 blocked by the sender's provider",
            "the host is down or the address in DNS is stale",
        ],
        findings: &["connect-timeout"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connect to", "connection timed out"]],
    },
    KnownError {
        key: "postfix-connect-refused",
        mta: POSTFIX,
        example: "connect to mx.example.com[192.0.2.1]:25: Connection refused",
        meaning: "The destination host actively refused the TCP connection: nothing listens on port 25 \
                  there, or a firewall rejects it.",
        causes: &[
            "the MTA is down or listens on loopback only",
            "a firewall with a REJECT rule",
            "DNS pointing at the wrong host",
        ],
        findings: &["connect-refused"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connect to", "connection refused"]],
    },
    KnownError {
        key: "postfix-connect-unreachable",
        mta: POSTFIX,
        example: "connect to mx.example.com[2001:db8::25]:25: Network is unreachable",
        meaning: "There was no route to the address. Very often the MX has an AAAA record and the sending \
                  host has no working IPv6.",
        causes: &[
            "IPv6 address without IPv6 connectivity on the sender (Postfix `inet_protocols = ipv4` avoids it)",
            "a routing problem or an ICMP unreachable from a router",
        ],
        findings: &["connect-unreachable"],
        reproduce: "smtpdoctor probe example.com -v --all -6",
        patterns: &[
            &["connect to", "network is unreachable"],
            &["connect to", "no route to host"],
        ],
    },
    KnownError {
        key: "postfix-tls-not-offered",
        mta: POSTFIX,
        example: "TLS is required, but was not offered by host mx.example.com[192.0.2.1]",
        meaning: "The Postfix client requires TLS for this destination (`smtp_tls_security_level = \
                  encrypt` or stronger, or an MTA-STS/DANE policy), and the server's EHLO reply did not \
                  offer STARTTLS. The mail stays queued.",
        causes: &[
            "TLS not configured on the receiving server",
            "a firewall stripping STARTTLS from the EHLO reply (Cisco ESMTP inspection)",
            "EHLO refused and HELO used, which has no extensions",
        ],
        findings: &[
            "starttls-absent",
            "starttls-policy-failed",
            "pix-ehlo-mangled",
        ],
        reproduce: "smtpdoctor probe example.com -v --starttls require",
        patterns: &[&["tls is required but was not offered by host"]],
    },
    KnownError {
        key: "postfix-tls-refused",
        mta: POSTFIX,
        example: "TLS is required, but host mx.example.com[192.0.2.1] refused to start TLS: 454 4.7.0 \
                  TLS not available due to local problem",
        meaning: "TLS is mandatory for this destination, the server offered STARTTLS, but refused it \
                  when asked. The mail stays queued.",
        causes: &[
            "the server cannot read its certificate or key",
            "a broken TLS configuration on the server",
        ],
        findings: &["starttls-454", "starttls-policy-failed"],
        reproduce: "smtpdoctor probe example.com -v --starttls require",
        patterns: &[&["tls is required but host", "refused to start tls"]],
    },
    KnownError {
        key: "postfix-cannot-start-tls",
        mta: POSTFIX,
        example: "Cannot start TLS: handshake failure",
        meaning: "STARTTLS was accepted but the TLS handshake failed. With a mandatory TLS policy the \
                  mail is deferred; with opportunistic TLS Postfix may retry in clear text.",
        causes: &[
            "no common protocol version or cipher (old servers with TLS 1.0 only)",
            "a misconfigured certificate or key on the server",
            "a handshake stalled by a path-MTU black hole or a middlebox",
        ],
        findings: &[
            "tls-handshake-failed",
            "starttls-stall",
            "starttls-policy-failed",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["cannot start tls"]],
    },
    KnownError {
        key: "postfix-cert-not-verified",
        mta: POSTFIX,
        example: "Server certificate not verified",
        meaning: "The TLS policy for this destination requires a verified certificate (`verify`, \
                  `secure`, MTA-STS, DANE) and the server's certificate failed verification. The mail is \
                  deferred.",
        causes: &[
            "a missing intermediate certificate or a self-signed certificate",
            "an expired certificate",
            "a certificate that does not name the MX host",
        ],
        findings: &[
            "tls-cert-untrusted",
            "tls-cert-expired",
            "tls-cert-name-mismatch",
            "starttls-policy-failed",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[
            &["server certificate not verified"],
            &["server certificate not trusted"],
            &["certificate verification failed for"],
        ],
    },
    KnownError {
        key: "postfix-refused-to-talk",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] refused to talk to me: 554 5.7.1 Service unavailable; \
                  Client host [198.51.100.7] blocked using zen.spamhaus.org",
        meaning: "The server greeted with a refusal instead of 220, so nothing can be sent on this \
                  connection. A 5xx greeting is aimed at the sending address, usually a blocklist or \
                  reputation decision.",
        causes: &[
            "the sending address is on a blocklist the server uses",
            "a policy against the sender's network (residential, cloud, country)",
        ],
        findings: &["greeting-554"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["refused to talk to me", "!refused to talk to me 421"]],
    },
    KnownError {
        key: "postfix-refused-to-talk-421",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] refused to talk to me: 421 4.7.0 mx.example.com Error: \
                  too many connections from 198.51.100.7",
        meaning: "The server greeted with 421: it will not serve this connection now. Postfix retries \
                  later.",
        causes: &[
            "the server's per-client or global connection limits",
            "load shedding or maintenance",
        ],
        findings: &["greeting-421"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["refused to talk to me 421"]],
    },
    KnownError {
        key: "greylisting",
        mta: "Postfix (Postgrey), Exim, Sendmail (milter-greylist), SQLgrey: any greylisting server",
        example: "host mx.example.com[192.0.2.1] said: 450 4.2.0 <postmaster@example.com>: Recipient \
                  address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html \
                  (in reply to RCPT TO command)",
        meaning: "The receiving server greylists: it refuses the first attempt from an unknown \
                  combination of client, sender and recipient with a 4xx and accepts a retry after a few \
                  minutes. The sending MTA retries on its own; nothing is broken.",
        causes: &[
            "greylisting on the receiving server (Postgrey, SQLgrey, milter-greylist, rspamd, greylistd)",
        ],
        findings: &["greylisted"],
        reproduce: "smtpdoctor probe user@example.com -v",
        patterns: &[
            &["#4xx", "greylist*"],
            &["#4xx", "graylist*"],
            &["greylisting in action"],
        ],
    },
    KnownError {
        key: "postscreen-deep-tests",
        mta: "Postfix (postscreen)",
        example: "host mx.example.com[192.0.2.1] said: 450 4.3.2 Service currently unavailable (in reply \
                  to RCPT TO command)",
        meaning: "The receiver runs Postfix postscreen with its after-greeting tests. A new client that \
                  passes them is still turned away with this 450 because postscreen cannot hand over a \
                  connection it has already talked on; the next connection from the same address goes \
                  through. A greylisting-like delay on first contact.",
        causes: &[
            "postscreen deep protocol tests (pipelining, non-SMTP command, bare newline) enabled",
        ],
        findings: &["postscreen-after-tests"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["450 4 3 2 service currently unavailable"]],
    },
    KnownError {
        key: "postfix-said-421",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] said: 421 4.3.2 System not accepting network messages \
                  (in reply to RCPT TO command)",
        meaning: "The server announced that it is closing the connection (421) in the middle of the \
                  dialogue. Postfix defers the message and retries later.",
        causes: &[
            "server shutdown, maintenance or overload",
            "rate or connection limits reached",
        ],
        findings: &["rcpt-deferred", "mail-deferred", "greeting-421"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["said 421"]],
    },
    KnownError {
        key: "postfix-rcpt-deferred",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] said: 451 4.3.5 Server configuration problem (in reply \
                  to RCPT TO command)",
        meaning: "The server temporarily refused the recipient. Postfix retries until \
                  `maximal_queue_lifetime` runs out and then bounces.",
        causes: &[
            "recipient verification against an unavailable backend",
            "a policy service or milter failing on the server",
            "mailbox over quota or too many recipients",
        ],
        findings: &["rcpt-deferred", "greylisted", "postscreen-after-tests"],
        reproduce: "smtpdoctor probe user@example.com -v",
        patterns: &[&[
            "said #4xx",
            "in reply to rcpt to command",
            "!said 421",
            "!greylist*",
            "!graylist*",
            "!4 3 2 service currently unavailable",
        ]],
    },
    KnownError {
        key: "postfix-rcpt-rejected",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] said: 550 5.1.1 <user@example.com>: Recipient address \
                  rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
        meaning: "The server permanently refused the recipient and Postfix bounced the message for that \
                  address.",
        causes: &[
            "unknown mailbox",
            "relay denied: the server does not consider itself responsible for the domain",
            "a policy or blocklist decision",
        ],
        findings: &["rcpt-rejected", "postmaster-rejected"],
        reproduce: "smtpdoctor probe user@example.com -v",
        patterns: &[&["said #5xx", "in reply to rcpt to command"]],
    },
    KnownError {
        key: "postfix-mail-refused",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] said: 550 5.7.1 Client host rejected: cannot find your \
                  reverse hostname, [198.51.100.7] (in reply to MAIL FROM command)",
        meaning: "The server refused the sender address or the sending client at MAIL FROM, permanently \
                  (5xx) or for now (4xx).",
        causes: &[
            "the sending host lacks reverse DNS or a forward-confirmed name",
            "sender-domain or SPF checks failing",
            "the null sender `<>` refused by an anti-spam rule",
        ],
        findings: &[
            "mail-rejected",
            "mail-deferred",
            "ptr-missing",
            "ptr-mismatch",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after mail",
        patterns: &[
            &["said #5xx", "in reply to mail from command"],
            &["said #4xx", "in reply to mail from command", "!said 421"],
        ],
    },
    KnownError {
        key: "postfix-data-refused",
        mta: POSTFIX,
        example: "host mx.example.com[192.0.2.1] said: 554 5.7.1 Message rejected as spam (in reply to \
                  end of DATA command)",
        meaning: "The server refused the message after receiving it completely, usually the verdict of \
                  its content filters.",
        causes: &[
            "spam, virus or DMARC verdicts",
            "message size above the server's limit",
            "a content filter failing (4xx)",
        ],
        findings: &["data-rejected", "dot-slow"],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[
            &["said #5xx", "in reply to end of data command"],
            &["said #4xx", "in reply to end of data command", "!said 421"],
        ],
    },
    KnownError {
        key: "postfix-name-service-try-again",
        mta: POSTFIX,
        example: "Host or domain name not found. Name service error for name=example.com type=MX: Host \
                  not found, try again",
        meaning: "The MX lookup failed temporarily (no answer, SERVFAIL). Postfix keeps the message and \
                  retries.",
        causes: &[
            "DNSSEC validation failure for the domain",
            "unreachable or lame authoritative name servers",
            "a broken local resolver",
        ],
        findings: &["mx-lookup-failed"],
        reproduce: "smtpdoctor probe example.com -v --resolver 1.1.1.1",
        patterns: &[&["name service error for name", "host not found try again"]],
    },
    KnownError {
        key: "postfix-host-not-found",
        mta: POSTFIX,
        example: "Host or domain name not found. Name service error for name=example.com type=MX: Host \
                  not found",
        meaning: "DNS said the name does not exist. With `type=MX` the domain itself is missing and the \
                  message bounces; with `type=A` or `type=AAAA` an MX target has no address.",
        causes: &[
            "a typing error in the domain",
            "an expired or undelegated domain",
            "an MX record pointing at a host name that does not exist",
        ],
        findings: &["mx-nxdomain", "mx-target-invalid", "mx-none-usable"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&[
            "name service error for name",
            "host not found",
            "!try again",
        ]],
    },
    KnownError {
        key: "postfix-nullmx",
        mta: POSTFIX,
        example: "Domain example.com does not accept mail (nullMX)",
        meaning: "The recipient domain publishes a null MX (RFC 7505): it declares that it receives no \
                  mail, so Postfix bounces at once.",
        causes: &[
            "the domain really takes no mail (a typing error in the address?)",
            "a parking-time null MX left in place next to or instead of real MX records",
        ],
        findings: &["mx-null"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["does not accept mail nullmx"]],
    },
    KnownError {
        key: "postfix-loops-back",
        mta: POSTFIX,
        example: "mail for example.com loops back to myself",
        meaning: "The MX chosen for the domain turned out to be this very Postfix, which does not \
                  consider the domain its own: delivering would send the mail in a circle.",
        causes: &[
            "the MX points at this host but the domain is missing from `mydestination`, `virtual_*_domains` or `relay_domains`",
            "the MX resolves to a loopback or internal address",
            "two servers with the same `myhostname`, so the remote greeting looks like our own",
        ],
        findings: &["mx-target-invalid", "mx-none-usable"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["loops back to myself"]],
    },
    KnownError {
        key: "postfix-size-limit-of-server",
        mta: POSTFIX,
        example: "message size 15728640 exceeds size limit 10240000 of server mx.example.com[192.0.2.1]",
        meaning: "The remote server announced a SIZE limit in its EHLO reply and the message is larger, \
                  so Postfix did not send it at all and returns it to the sender at once, as RFC 1870 \
                  intends: no bandwidth is spent on a transfer that would be refused. The client behaved \
                  correctly; the message is too large for that recipient, or the server's limit is set \
                  lower than its users need.",
        causes: &[
            "a large attachment, made about a third larger again by base64",
            "a receiving server with a small limit (`message_size_limit` in Postfix and Exim, `MaxMessageSize` in Exchange)",
        ],
        findings: &["client-size-exceeded", "ext-size-small"],
        reproduce: "smtpdoctor probe example.com -v --quit-after ehlo",
        patterns: &[&["message size #", "exceeds size limit", "of server"]],
    },
    KnownError {
        key: "postfix-sasl-no-mechanism",
        mta: POSTFIX,
        example: "SASL authentication failed; cannot authenticate to server smtp.example.com[192.0.2.1]: no \
                  mechanism available",
        meaning: "None of the mechanisms the relay offered in its AUTH line is allowed by this Postfix \
                  client's SASL settings, so it did not log in and keeps the mail queued. Usually the \
                  relay offers only PLAIN and LOGIN, and Postfix refuses to send a password that way: \
                  `smtp_sasl_security_options` defaults to `noplaintext, noanonymous`, and \
                  `smtp_sasl_tls_security_options` inherits that value, so even inside TLS plaintext \
                  mechanisms stay forbidden until it is set to `noanonymous`. The refusal is what keeps \
                  the password off an unencrypted connection.",
        causes: &[
            "TLS not used for the relay (`smtp_tls_security_level` empty or `none`, or STARTTLS not offered), so plaintext mechanisms stay forbidden",
            "`smtp_sasl_tls_security_options` left at its default, which forbids PLAIN and LOGIN inside TLS too",
            "the Cyrus SASL mechanism plugins (PLAIN, LOGIN) not installed on the client host",
        ],
        findings: &["client-auth-plaintext", "starttls-absent"],
        reproduce: "smtpdoctor probe example.com --server smtp.example.com:587 -v --quit-after tls",
        patterns: &[&["cannot authenticate to server", "no mechanism available"]],
    },
    // ------------------------------------------------------------ Postfix (as server)
    KnownError {
        key: "postfix-bare-lf-rejected",
        mta: "Postfix (as server)",
        example: "550 5.5.2 Error: bare <LF> received",
        meaning: "A Postfix server with `smtpd_forbid_bare_newline` enabled got a line ending in LF \
                  without CR and refused it, then disconnected. The setting is the defence against SMTP \
                  smuggling (CVE-2023-51764); the sending client is at fault.",
        causes: &[
            "a script, web application or appliance writing Unix line endings",
            "a probe for SMTP smuggling",
        ],
        findings: &[
            "bare-lf-accepted",
            "smuggle-eod-accepted",
            "reply-bare-lf",
            "client-bare-lf",
            "client-data-bare-lf",
        ],
        reproduce: "smtpdoctor probe example.com -v --test bare-lf",
        patterns: &[&["bare lf received"], &["smtpd_forbid_bare_newline"]],
    },
    KnownError {
        key: "postfix-pipelining-after-connect",
        mta: "Postfix (as server)",
        example: "improper command pipelining after CONNECT from unknown[192.0.2.1]",
        meaning: "The client sent a command before the server's greeting. Postfix logs and rejects such \
                  clients; talking before the greeting is typical of spam software.",
        causes: &[
            "spam software",
            "a broken client that does not wait for the 220",
        ],
        findings: &["pregreet-enforced", "pregreet-tolerated", "client-pregreet"],
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
        patterns: &[&["improper command pipelining after connect"]],
    },
    KnownError {
        key: "postfix-improper-pipelining",
        mta: "Postfix (as server)",
        example: "improper command pipelining after EHLO from unknown[192.0.2.1]",
        meaning: "The client sent further commands before Postfix had answered the previous one, at a \
                  point where pipelining is not allowed. Postfix 3.9 rejects this by default \
                  (`smtpd_forbid_unauth_pipelining`).",
        causes: &[
            "spam software blasting a whole transaction",
            "a client with a broken pipelining implementation",
        ],
        findings: &[
            "pipelining-unauth-accepted",
            "pipelining-broken",
            "client-pipelining-unadvertised",
            "client-pipelining-misordered",
        ],
        reproduce: "smtpdoctor probe example.com -v --test pipelining",
        patterns: &[&[
            "improper command pipelining after",
            "!improper command pipelining after connect",
        ]],
    },
    KnownError {
        key: "postscreen-pregreet",
        mta: "Postfix (postscreen)",
        example: "PREGREET 11 after 0.21 from [192.0.2.1]:54321: EHLO client.example.com\\r\\n",
        meaning: "postscreen saw the client talk before the greeting had finished (often after the \
                  \"220-\" teaser line) and treats it as spam software.",
        causes: &[
            "spam software",
            "a legitimate client that reads only the first greeting line",
        ],
        findings: &["pregreet-enforced", "greeting-multiline", "client-pregreet"],
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
        patterns: &[&["pregreet #", "after", "from"]],
    },
    KnownError {
        key: "must-issue-starttls",
        mta: "Postfix, Exim, Sendmail, Exchange (as server)",
        example: "530 5.7.0 Must issue a STARTTLS command first",
        meaning: "The server requires TLS before MAIL. On a public MX that is not allowed: senders \
                  without TLS, or whose TLS fails, cannot deliver at all.",
        causes: &[
            "Postfix `smtpd_tls_security_level = encrypt` on port 25",
            "an Exchange receive connector that requires TLS",
        ],
        findings: &[
            "starttls-required",
            "starttls-policy-failed",
            "client-starttls-unused",
        ],
        reproduce: "smtpdoctor probe example.com -v --starttls never",
        patterns: &[
            &["must issue a starttls command first"],
            &["starttls is required to send mail"],
        ],
    },
    KnownError {
        key: "postfix-bare-lf-in-data",
        mta: "Postfix (as server)",
        example: "reject: END-OF-MESSAGE from client.example.org[198.51.100.7]: bare <LF> received; \
                  from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<client.example.org>",
        meaning: "The message a client sent contained lines ending in LF without CR, and Postfix, with \
                  `smtpd_forbid_bare_newline = yes`, refused it at the end of DATA and disconnected. \
                  The fault is in the program that generated the message; the setting protects against \
                  SMTP smuggling (CVE-2023-51764). Point that program at `smtpdoctor mock` to see every \
                  line it gets wrong.",
        causes: &[
            "an application or script that builds the message with \"\\n\" line endings",
            "a device (printer, scanner) with a broken mail generator",
            "content copied into the message with its own line breaks",
        ],
        findings: &["client-data-bare-lf", "smuggle-eod-accepted"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["end of message from", "bare lf received"]],
    },
    KnownError {
        key: "postfix-helo-not-fqdn",
        mta: "Postfix (as server)",
        example: "504 5.5.2 <server01>: Helo command rejected: need fully-qualified hostname",
        meaning: "The client introduced itself in EHLO or HELO with a name without a dot, and the \
                  server's `reject_non_fqdn_helo_hostname` refused it. RFC 5321 asks for the client's \
                  fully qualified domain name, or an address literal in brackets.",
        causes: &[
            "a Windows computer name or a bare host name in EHLO",
            "a client whose host name was never set to its public FQDN",
        ],
        findings: &["client-ehlo-invalid"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["helo command rejected", "need fully qualified hostname"]],
    },
    KnownError {
        key: "postfix-helo-invalid-name",
        mta: "Postfix (as server)",
        example: "501 5.5.2 <server_01>: Helo command rejected: Invalid name",
        meaning: "The client's EHLO or HELO argument is not a valid host name or address literal \
                  (invalid characters, an IP address without brackets), and the server's \
                  `reject_invalid_helo_hostname` refused it.",
        causes: &[
            "an underscore, space or other character a host name cannot contain",
            "an IP address without the brackets of an address literal",
        ],
        findings: &["client-ehlo-invalid"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["helo command rejected", "invalid name"]],
    },
    KnownError {
        key: "message-size-exceeds-limit",
        mta: "Postfix, Exim (as server)",
        example: "552 5.3.4 Message size exceeds fixed limit",
        meaning: "The server refused the message as larger than its size limit (Postfix \
                  `message_size_limit`, 10240000 bytes by default; Exim's wording is \"552 Message size \
                  exceeds maximum permitted\"). Refused at MAIL FROM, the client declared a `SIZE=` above \
                  the limit; refused at the end of DATA, the whole message was transferred first, \
                  because the client ignored or understated the advertised SIZE.",
        causes: &[
            "a large attachment, grown by about a third through base64",
            "a client that does not compare the message with the SIZE the server advertised",
            "a server limit lower than its users need",
        ],
        findings: &["client-size-exceeded", "ext-size-small"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[
            &["message size exceeds fixed limit"],
            &[
                "said #5xx",
                "message size exceeds fixed limit",
                "in reply to",
            ],
            &["message size exceeds maximum permitted"],
            &[
                "smtp error from remote mail server after",
                "message size exceeds maximum permitted",
            ],
        ],
    },
    KnownError {
        key: "postfix-auth-not-enabled",
        mta: "Postfix (as server)",
        example: "503 5.5.1 Error: authentication not enabled",
        meaning: "The client sent AUTH, but the Postfix server offers no authentication on this \
                  connection: SASL is off on this port (`smtpd_sasl_auth_enable = no`, usual on port \
                  25), or `smtpd_tls_auth_only = yes` keeps AUTH hidden until STARTTLS. In the second \
                  case the client tried to log in without TLS, and its password has already crossed the \
                  network in clear text.",
        causes: &[
            "a client that logs in before STARTTLS (Python `login()` before `starttls()`, PHPMailer with TLS off)",
            "a client sending to port 25 instead of the submission port 587 or 465",
            "a client that sends AUTH without checking the EHLO reply",
        ],
        findings: &["client-auth-plaintext"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["error authentication not enabled"]],
    },
    KnownError {
        key: "auth-encryption-required",
        mta: "Postfix and other servers (RFC 4954)",
        example: "538 5.7.11 Encryption required for requested authentication mechanism",
        meaning: "The client asked to authenticate with a mechanism that sends the password in clear \
                  text (PLAIN or LOGIN) on an unencrypted connection, and the server refused. RFC 4954 \
                  defines this reply; Postfix words it \"504 5.5.4 Encryption required for requested \
                  authentication mechanism\". The password was not accepted, but it may already have \
                  been sent: change it if so.",
        causes: &[
            "a client that logs in before STARTTLS, or has TLS switched off",
            "a client configured for port 25 or 587 without STARTTLS",
        ],
        findings: &["client-auth-plaintext"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["encryption required for requested authentication mechanism"]],
    },
    KnownError {
        key: "postfix-command-too-long",
        mta: "Postfix (as server)",
        example: "500 5.5.2 mx.example.com Error: command too long",
        meaning: "The client sent a command line longer than the server's `line_length_limit` (2048 by \
                  default), and newer Postfix releases refuse it instead of cutting it off. RFC 5321 \
                  only promises 512 octets per command line.",
        causes: &[
            "very long addresses or parameters on MAIL FROM or RCPT TO",
            "an AUTH command with a large initial response",
            "a client that never sends a line end (binary data or a different protocol on port 25)",
        ],
        findings: &["client-command-too-long"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["error command too long"]],
    },
    KnownError {
        key: "postfix-smtpd-lost-connection",
        mta: "Postfix (as server)",
        example: "lost connection after RCPT from client.example.org[198.51.100.7]",
        meaning: "The client closed the connection without QUIT at the stage named after \"after\". \
                  Postfix does not log a client that leaves after a completed message, so this line \
                  means a session broke off: after CONNECT the client left before or during the \
                  greeting, after a command while waiting for its reply (a client timeout shorter than \
                  the server's checks, or a client that simply gave up), and \"after DATA (N bytes)\" \
                  in the middle of the message content.",
        causes: &[
            "a client timeout shorter than the server's delay at that stage (slow DNS or policy checks, tarpitting)",
            "spam software or an address harvester hanging up once it has its answer",
            "a network or path-MTU problem during the message content (after DATA)",
        ],
        findings: &["client-timeout-short", "client-no-quit"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["lost connection after", "from"]],
    },
    KnownError {
        key: "postfix-disconnect-without-quit",
        mta: "Postfix (as server)",
        example: "disconnect from client.example.org[198.51.100.7] ehlo=1 mail=1 rcpt=1 data=1 commands=4",
        meaning: "Postfix's summary of a finished session counts the commands the client sent; without \
                  \"quit=\" in the list, the client closed the connection without QUIT. After a \
                  completed message that is harmless; MTAs that cache connections do it routinely.",
        causes: &[
            "a client that caches connections and drops them when idle (Postfix does, on purpose)",
            "a script that closes the socket as soon as the message is accepted",
            "a session that broke off (see the \"lost connection after\" line before it)",
        ],
        findings: &["client-no-quit"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["disconnect from", "commands", "!quit"]],
    },
    KnownError {
        key: "postscreen-command-pipelining",
        mta: "Postfix (postscreen)",
        example: "COMMAND PIPELINING from [192.0.2.7]:54321 after EHLO: MAIL FROM:<a@example.org>\\r\\n",
        meaning: "postscreen's pipelining test caught the client sending more commands before postscreen \
                  had answered the previous one. postscreen does not offer PIPELINING, so the client \
                  pipelined without being allowed to, and is treated as spam software \
                  (`postscreen_pipelining_action`).",
        causes: &[
            "spam software sending the whole transaction at once",
            "a client that pipelines without checking the EHLO reply",
        ],
        findings: &["client-pipelining-unadvertised"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-minimal --once",
        patterns: &[&["command pipelining from", "after"]],
    },
    KnownError {
        key: "postscreen-bare-newline",
        mta: "Postfix (postscreen)",
        example: "BARE NEWLINE from [192.0.2.7]:54321 after EHLO client.example.org",
        meaning: "postscreen's bare newline test caught the client ending a command with LF alone \
                  instead of CR LF (`postscreen_bare_newline_action`). Legitimate clients do not do \
                  that; scripts with Unix line endings and spam software do.",
        causes: &[
            "a script or device writing \"\\n\" as line end",
            "spam software",
        ],
        findings: &["client-bare-lf"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["bare newline from", "after"]],
    },
    KnownError {
        key: "postscreen-command-length-limit",
        mta: "Postfix (postscreen)",
        example: "COMMAND LENGTH LIMIT from [192.0.2.7]:54321 after EHLO",
        meaning: "The client sent a command line longer than `line_length_limit` (2048 by default) to \
                  postscreen, which dropped the session with a 421 reply. RFC 5321 promises only 512 \
                  octets per command line.",
        causes: &[
            "a client or script with very long command arguments",
            "something other than SMTP talking to port 25",
        ],
        findings: &["client-command-too-long"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["command length limit from"]],
    },
    KnownError {
        key: "postscreen-hangup",
        mta: "Postfix (postscreen)",
        example: "HANGUP after 0.84 from [192.0.2.7]:54321 in tests before SMTP handshake",
        meaning: "The client closed the connection while postscreen was still testing it. \"In tests \
                  before SMTP handshake\" means during the greeting wait (`postscreen_greet_wait`, 6 s): \
                  a client that gives up within seconds of connecting has a greeting timeout far below \
                  the 5 minutes of RFC 5321, or did not mean to send mail. Clients that leave after \
                  passing all tests are normal.",
        causes: &[
            "a client or script whose greeting timeout is a few seconds instead of 5 minutes",
            "a port scanner or spam software",
            "an MTA that drops a cached connection",
        ],
        findings: &["client-timeout-short", "client-no-quit"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-teaser --once",
        patterns: &[&["hangup after", "from", "in tests"]],
    },
    // ------------------------------------------------------------ Exim
    KnownError {
        key: "exim-timeout-initial",
        mta: EXIM,
        example: "SMTP timeout after initial connection: Connection timed out",
        meaning: "Exim connected but no greeting arrived within its timeout. It tries the next host and \
                  defers the message.",
        causes: &[
            "slow lookups on the server before it greets",
            "an overloaded server",
            "a proxy or load balancer without a working backend",
        ],
        findings: &["greeting-timeout", "greeting-slow", "timing-rfc-exceeded"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["smtp timeout after initial connection"]],
    },
    KnownError {
        key: "exim-timeout-eod",
        mta: EXIM,
        example: "SMTP timeout after end of data (1536 bytes written): Connection timed out",
        meaning: "Exim sent the whole message and the final dot but got no reply within the smtp \
                  transport's `final_timeout` (10 minutes by default). It cannot tell whether the message \
                  was kept and will retry, so duplicates are possible. A `final_timeout` below 10 minutes \
                  makes Exim give up too early; `smtpdoctor mock --listen 127.0.0.1:2525 --scenario \
                  client-dot-hold --hold 11m` shows how long it really waits.",
        causes: &[
            "slow content filtering after the dot",
            "a firewall or NAT idle timeout",
            "a path-MTU black hole",
            "`final_timeout` lowered on the smtp transport",
        ],
        findings: &[
            "dot-timeout",
            "dot-slow",
            "timing-rfc-exceeded",
            "client-timeout-short",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[
            &["smtp timeout after end of data"],
            &["smtp timeout after pipelined end of data"],
        ],
    },
    KnownError {
        key: "exim-timeout",
        mta: EXIM,
        example: "SMTP timeout after RCPT TO:<user@example.com>: Connection timed out",
        meaning: "Exim waited too long for the reply to the command it names. A timeout while sending a \
                  data block points at a path-MTU black hole.",
        causes: &[
            "slow policy checks on the server",
            "a path-MTU black hole during data transfer",
            "a middlebox stalling the connection",
        ],
        findings: &["reply-slow", "timing-rfc-exceeded", "starttls-stall"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&[
            "smtp timeout after",
            "!smtp timeout after initial connection",
            "!smtp timeout after end of data",
            "!smtp timeout after pipelined end of data",
            "!smtp timeout after sending data block",
        ]],
    },
    KnownError {
        key: "exim-timeout-data-block",
        mta: EXIM,
        example: "SMTP timeout after sending data block (1048576 bytes written): Connection timed out",
        meaning: "Exim could not hand the next part of the message to the server within the smtp \
                  transport's `data_timeout` (5 minutes by default): the server stopped reading. Small \
                  commands had passed, so this is typical of a path-MTU black hole that loses the large \
                  data packets, or of a server stuck while receiving.",
        causes: &[
            "a path-MTU black hole (ICMP blocked, a tunnel with a smaller MTU)",
            "a middlebox or content scanner that stalls the transfer",
            "an overloaded server",
        ],
        findings: &["dot-timeout", "timing-rfc-exceeded"],
        reproduce: "smtpdoctor probe you@example.com -v --size 1M",
        patterns: &[&["smtp timeout after sending data block"]],
    },
    KnownError {
        key: "exim-lines-too-long",
        mta: EXIM,
        example: "message has lines too long for transport (received 1200, limit 998)",
        meaning: "Exim (4.95 and later) refuses to forward a message with lines longer than the smtp \
                  transport's `message_linelength_limit` (998 by default, the RFC 5321 limit without \
                  CR LF) and returns it to the sender. The lines came from the program that created \
                  the message.",
        causes: &[
            "HTML or JSON generated as one line",
            "base64 or quoted-printable without line breaks",
        ],
        findings: &["client-text-line-too-long"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["message has lines too long for transport"]],
    },
    KnownError {
        key: "exim-closed-initial",
        mta: EXIM,
        example: "Remote host closed connection in response to initial connection",
        meaning: "The server closed the connection before greeting. Exim tries the next host and defers.",
        causes: &[
            "a firewall, TCP wrapper or anti-spam front end dropping the sending address",
            "a connection limit enforced by closing",
            "a crashing SMTP server process",
        ],
        findings: &["close-without-421", "greeting-timeout"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["remote host closed connection in response to initial connection"]],
    },
    KnownError {
        key: "exim-closed-eod",
        mta: EXIM,
        example: "Remote host closed connection in response to end of data",
        meaning: "The server hung up after the final dot without answering. Exim does not know whether \
                  the message was kept and will retry.",
        causes: &[
            "a content filter crashing or timing out",
            "a firewall or load-balancer idle timeout during processing",
        ],
        findings: &[
            "close-without-421",
            "dot-timeout",
            "dot-slow",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&["remote host closed connection in response to end of data"]],
    },
    KnownError {
        key: "exim-closed",
        mta: EXIM,
        example: "Remote host closed connection in response to EHLO mail.example.org",
        meaning: "The server closed the connection instead of answering the command named.",
        causes: &[
            "an SMTP-inspecting firewall resetting on a command it does not allow",
            "a policy enforced by hanging up",
            "pipelined commands mishandled by a middlebox",
        ],
        findings: &["close-without-421", "pix-ehlo-mangled", "pipelining-broken"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&[
            "remote host closed connection in response to",
            "!in response to initial connection",
            "!in response to end of data",
        ]],
    },
    KnownError {
        key: "exim-error-initial",
        mta: EXIM,
        example: "SMTP error from remote mail server after initial connection: 554 5.7.1 Service \
                  unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org",
        meaning: "The server refused the session in its greeting (5xx permanently, 421 for now).",
        causes: &[
            "the sending address on a blocklist",
            "connection limits or maintenance (421)",
        ],
        findings: &["greeting-554", "greeting-421"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["smtp error from remote mail server after initial connection"]],
    },
    KnownError {
        key: "exim-error-eod",
        mta: EXIM,
        example: "SMTP error from remote mail server after end of data: 451 4.3.0 Error: queue file \
                  write error",
        meaning: "The server refused the message after receiving it completely: a content verdict (5xx) \
                  or a temporary failure while processing or storing it (4xx).",
        causes: &[
            "spam, virus or DMARC verdicts",
            "disk or filter failure on the server (4xx)",
        ],
        findings: &["data-rejected", "dot-slow"],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&["smtp error from remote mail server after end of data"]],
    },
    KnownError {
        key: "exim-error-rcpt",
        mta: EXIM,
        example: "SMTP error from remote mail server after RCPT TO:<user@example.com>: 550 5.1.1 \
                  <user@example.com>: Recipient address rejected: User unknown",
        meaning: "The server refused the recipient, permanently (5xx) or for now (4xx).",
        causes: &[
            "unknown mailbox or relay denied",
            "recipient verification or policy service failing (4xx)",
        ],
        findings: &["rcpt-rejected", "rcpt-deferred", "postmaster-rejected"],
        reproduce: "smtpdoctor probe user@example.com -v",
        patterns: &[&[
            "smtp error from remote mail server after rcpt to",
            "!greylist*",
            "!graylist*",
        ]],
    },
    KnownError {
        key: "exim-error-mail",
        mta: EXIM,
        example: "SMTP error from remote mail server after MAIL FROM:<> SIZE=1234: 550 5.7.1 Sender \
                  rejected",
        meaning: "The server refused the sender address or the sending client at MAIL FROM.",
        causes: &[
            "the null sender refused by an anti-spam rule",
            "sender-domain, SPF or reverse-DNS checks",
        ],
        findings: &["mail-rejected", "mail-deferred"],
        reproduce: "smtpdoctor probe example.com -v --quit-after mail",
        patterns: &[&["smtp error from remote mail server after mail from"]],
    },
    KnownError {
        key: "exim-tls-session",
        mta: EXIM,
        example: "TLS session: (SSL_connect): error:0A000410:SSL routines::sslv3 alert handshake failure",
        meaning: "The TLS handshake after STARTTLS failed. Depending on `hosts_require_tls` Exim retries \
                  in clear text or defers.",
        causes: &[
            "no common TLS version or cipher",
            "certificate problems on the server",
            "a stalled handshake (path MTU, middlebox)",
        ],
        findings: &[
            "tls-handshake-failed",
            "starttls-stall",
            "tls-cert-untrusted",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[
            &["tls session", "ssl_connect"],
            &["tls session", "gnutls_handshake"],
        ],
    },
    KnownError {
        key: "exim-tls-required",
        mta: EXIM,
        example: "a TLS session is required, but the server did not offer TLS support",
        meaning: "The transport requires TLS for this host (`hosts_require_tls`) and TLS was not offered \
                  or could not be started. The mail stays queued.",
        causes: &[
            "TLS not configured on the server",
            "STARTTLS stripped by a firewall",
            "a failed handshake",
        ],
        findings: &[
            "starttls-absent",
            "starttls-policy-failed",
            "tls-handshake-failed",
        ],
        reproduce: "smtpdoctor probe example.com -v --starttls require",
        patterns: &[&["a tls session is required but"]],
    },
    KnownError {
        key: "exim-hosts-failing",
        mta: EXIM,
        example: "all hosts for 'example.com' have been failing for a long time (and retry time not \
                  reached)",
        meaning: "Exim's retry database says every host of the domain has been failing for longer than \
                  the retry rules allow, so it did not even try. The real error is the earlier one \
                  recorded for those hosts (`exinext example.com`).",
        causes: &[
            "every MX refusing or timing out for days",
            "no usable MX address",
            "greetings never arriving",
        ],
        findings: &[
            "connect-timeout",
            "connect-refused",
            "greeting-timeout",
            "mx-none-usable",
        ],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[
            &["all hosts for", "have been failing for a long time"],
            &["all hosts have been failing for a long time"],
            &["retry time not reached for any host"],
        ],
    },
    KnownError {
        key: "exim-sync-pregreet",
        mta: "Exim (as server)",
        example: "SMTP protocol synchronization error (input sent without waiting for greeting): \
                  rejected connection from H=[192.0.2.1] input=\"EHLO client.example.com\\r\\n\"",
        meaning: "The client talked before Exim's greeting, and Exim dropped it, as it should for spam \
                  software.",
        causes: &["spam software", "a client that does not wait for the 220"],
        findings: &["pregreet-enforced", "client-pregreet"],
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
        patterns: &[&[
            "synchronization error",
            "input sent without waiting for greeting",
        ]],
    },
    KnownError {
        key: "exim-sync-pipelining",
        mta: "Exim (as server)",
        example: "SMTP protocol synchronization error (next input sent too soon: pipelining was not \
                  advertised): rejected \"MAIL FROM:<>\" H=client.example.com [192.0.2.1]",
        meaning: "The client pipelined commands although PIPELINING was not advertised to it, and Exim \
                  refused it (`smtp_enforce_sync`).",
        causes: &[
            "spam software",
            "a client that pipelines without checking the EHLO reply",
        ],
        findings: &[
            "pipelining-unauth-accepted",
            "pipelining-broken",
            "client-pipelining-unadvertised",
        ],
        reproduce: "smtpdoctor probe example.com -v --test pipelining",
        patterns: &[&["synchronization error", "pipelining was not advertised"]],
    },
    KnownError {
        key: "exim-helo-invalid",
        mta: "Exim (as server)",
        example: "rejected EHLO from [192.0.2.7]: syntactically invalid argument(s): server_01",
        meaning: "The client's EHLO or HELO argument is not a valid host name or address literal, and \
                  Exim answered \"501 Syntactically invalid EHLO argument(s)\" (the name checks are \
                  relaxed with `helo_accept_junk_hosts` or `helo_allow_chars`).",
        causes: &[
            "an underscore or other invalid character in the client's host name",
            "an IP address without brackets, or no argument at all",
        ],
        findings: &["client-ehlo-invalid"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["syntactically invalid", "argument"]],
    },
    KnownError {
        key: "exim-auth-not-advertised",
        mta: "Exim (as server)",
        example: "503 AUTH command used when not advertised",
        meaning: "The client sent AUTH where Exim had not offered it. Exim advertises AUTH only to hosts \
                  in `auth_advertise_hosts` and, per authenticator, where `server_advertise_condition` \
                  holds, which is usually written to require TLS. A client that authenticates anyway \
                  has most likely just sent its password without encryption.",
        causes: &[
            "a client that logs in before STARTTLS",
            "a client that sends AUTH without reading the EHLO reply",
        ],
        findings: &["client-auth-plaintext"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["auth command used when not advertised"]],
    },
    KnownError {
        key: "exim-lost-after-final-dot",
        mta: "Exim (as server)",
        example: "SMTP connection lost after final dot H=client.example.org [198.51.100.7]",
        meaning: "The client sent the whole message and the final dot and was gone before Exim answered. \
                  Exim notices this and throws the message away instead of delivering it, so that the \
                  client's retry does not make a second copy. The client waited less than Exim needed \
                  for its checks at the dot.",
        causes: &[
            "a client dot timeout below the 10 minutes of RFC 5321",
            "slow data ACLs or content scanning on this server",
            "a firewall or NAT dropping the idle connection",
        ],
        findings: &["client-timeout-short", "client-duplicate"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-dot-hold --once",
        patterns: &[&["smtp connection lost after final dot"]],
    },
    KnownError {
        key: "exim-unexpected-disconnection",
        mta: "Exim (as server)",
        example: "unexpected disconnection while reading SMTP command from client.example.org \
                  [198.51.100.7] D=2m13s",
        meaning: "The client closed the connection without QUIT in the middle of a transaction (Exim \
                  logs this only once MAIL was given). The client gave up waiting for a reply, hit an \
                  error of its own or lost the network.",
        causes: &[
            "a client timeout shorter than the server's delay (slow ACLs, DNS or callout verification)",
            "spam software hanging up once it has its answer",
            "a broken network connection",
        ],
        findings: &["client-timeout-short", "client-no-quit"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["unexpected disconnection while reading smtp command"]],
    },
    KnownError {
        key: "connection-timed-out",
        mta: "Exim and other MTAs",
        example: "H=mx.example.com [192.0.2.1] Connection timed out",
        meaning: "A network operation got no answer: usually the TCP connection attempt, sometimes a \
                  read later in the dialogue.",
        causes: &[
            "a firewall dropping port 25",
            "outbound port 25 blocked by the sender's provider",
            "a stalled connection (path-MTU black hole)",
        ],
        findings: &["connect-timeout", "greeting-timeout", "starttls-stall"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connection timed out", "!smtp timeout after"]],
    },
    KnownError {
        key: "connection-refused",
        mta: "Exim and other MTAs",
        example: "H=mx.example.com [192.0.2.1] Connection refused",
        meaning: "The destination actively refused the TCP connection: no service on port 25 or a \
                  rejecting firewall.",
        causes: &[
            "the MTA is down or listens on loopback only",
            "a REJECT firewall rule",
        ],
        findings: &["connect-refused"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connection refused"]],
    },
    // ------------------------------------------------------------ Sendmail
    KnownError {
        key: "sendmail-timeout-greeting",
        mta: SENDMAIL,
        example: "timeout waiting for input from mx.example.com. during client greeting",
        meaning: "Sendmail connected but the greeting did not arrive within `Timeout.initial` (5 minutes \
                  by default).",
        causes: &[
            "slow lookups on the server before it greets",
            "an overloaded server",
            "a proxy without a working backend",
        ],
        findings: &["greeting-timeout", "greeting-slow", "timing-rfc-exceeded"],
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
        patterns: &[&["timeout waiting for input from", "during client greeting"]],
    },
    KnownError {
        key: "sendmail-timeout-data-status",
        mta: SENDMAIL,
        example: "timeout waiting for input from mx.example.com. during client DATA status",
        meaning: "Sendmail sent the message and the final dot and waited `Timeout.datafinal` for the \
                  verdict in vain. It will retry; duplicates are possible. The default is an hour; a \
                  value below 10 minutes (`confTO_DATAFINAL`) gives up earlier than RFC 5321 allows.",
        causes: &[
            "slow content filtering after the dot",
            "a firewall or NAT idle timeout",
            "a path-MTU black hole",
        ],
        findings: &[
            "dot-timeout",
            "dot-slow",
            "timing-rfc-exceeded",
            "client-timeout-short",
            "client-duplicate",
        ],
        reproduce: "smtpdoctor probe you@example.com -v --data",
        patterns: &[&[
            "timeout waiting for input from",
            "during client data status",
        ]],
    },
    KnownError {
        key: "sendmail-timeout",
        mta: SENDMAIL,
        example: "timeout waiting for input from mx.example.com. during client RCPT",
        meaning: "Sendmail waited too long for the reply in the phase named after \"during\" (client \
                  EHLO, MAIL, RCPT, DATA 354, ...).",
        causes: &[
            "slow policy checks on the server",
            "a stalled connection (path MTU, middlebox)",
        ],
        findings: &["reply-slow", "timing-rfc-exceeded", "starttls-stall"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&[
            "timeout waiting for input from",
            "during",
            "!during client greeting",
            "!during client data status",
        ]],
    },
    KnownError {
        key: "sendmail-connection-timed-out",
        mta: SENDMAIL,
        example: "Deferred: Connection timed out with mx.example.com.",
        meaning: "The TCP connection attempt got no answer; Sendmail defers the message.",
        causes: &[
            "a firewall dropping port 25",
            "outbound port 25 blocked by the sender's provider",
            "a down host or stale DNS",
        ],
        findings: &["connect-timeout"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connection timed out with"]],
    },
    KnownError {
        key: "sendmail-connection-refused",
        mta: SENDMAIL,
        example: "Deferred: Connection refused by mx.example.com.",
        meaning: "The destination refused the TCP connection; Sendmail defers the message.",
        causes: &["no MTA listening on port 25", "a REJECT firewall rule"],
        findings: &["connect-refused"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["connection refused by"]],
    },
    KnownError {
        key: "sendmail-read-error",
        mta: SENDMAIL,
        example: "451 4.4.1 reply: read error from mx.example.com.",
        meaning: "Reading the server's reply failed because the connection was closed or reset. Sendmail \
                  defers the message.",
        causes: &[
            "the server hanging up without a reply",
            "a firewall reset or idle timeout",
            "a path-MTU black hole",
        ],
        findings: &[
            "close-without-421",
            "dot-timeout",
            "starttls-stall",
            "greeting-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["reply read error from"]],
    },
    KnownError {
        key: "sendmail-starttls-error",
        mta: SENDMAIL,
        example: "STARTTLS=client, error: connect failed=-1, reason=unknown protocol, SSL_error=1, \
                  errno=0, retry=-1",
        meaning: "The TLS handshake with the server failed. Sendmail carries on without TLS or defers, \
                  depending on its TLS policy (access map `TLS_Srv:`/`Try_TLS:`).",
        causes: &[
            "no common TLS version or cipher",
            "a server speaking something other than TLS after 220",
            "a stalled or reset handshake",
        ],
        findings: &["tls-handshake-failed", "starttls-stall"],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["starttls client error connect failed"]],
    },
    KnownError {
        key: "sendmail-verify-fail",
        mta: SENDMAIL,
        example: "STARTTLS=client, relay=mx.example.com., version=TLSv1.2, verify=FAIL, \
                  cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256",
        meaning: "TLS was established but the server certificate could not be verified. For \
                  opportunistic TLS Sendmail delivers anyway; a `TLS_Srv:` policy requiring \
                  verification makes it defer.",
        causes: &[
            "a missing intermediate or self-signed certificate",
            "an expired certificate",
            "no CA file configured on the sending Sendmail (`confCACERT`)",
        ],
        findings: &[
            "tls-cert-untrusted",
            "tls-cert-expired",
            "tls-cert-name-mismatch",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["starttls client", "verify fail"]],
    },
    KnownError {
        key: "sendmail-pregreet",
        mta: "Sendmail (as server)",
        example: "rejecting commands from [192.0.2.1] [192.0.2.1] due to pre-greeting traffic after 0 \
                  seconds",
        meaning: "Sendmail's `greet_pause` caught a client that talked before the greeting and refused \
                  it, as intended against spam software.",
        causes: &["spam software", "a client that does not wait for the 220"],
        findings: &["pregreet-enforced", "client-pregreet"],
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
        patterns: &[&["due to pre greeting traffic"]],
    },
    KnownError {
        key: "sendmail-lost-input-channel",
        mta: "Sendmail (as server)",
        example: "lost input channel from [198.51.100.7] to MTA after rcpt",
        meaning: "The client closed the connection without QUIT after the command named at the end. \
                  A client that gives up waiting for a reply, or spam software that hangs up once it \
                  knows whether a recipient exists, leaves this line.",
        causes: &[
            "a client timeout shorter than the server's delay at that command",
            "spam software or an address harvester",
            "a broken network connection",
        ],
        findings: &["client-no-quit", "client-timeout-short"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["lost input channel from", "after"]],
    },
    KnownError {
        key: "sendmail-host-unknown",
        mta: SENDMAIL,
        example: "Host unknown (Name server: example.com: host not found)",
        meaning: "DNS says the destination domain (or host) does not exist; Sendmail bounces.",
        causes: &[
            "a typing error in the domain",
            "an expired or undelegated domain",
        ],
        findings: &["mx-nxdomain"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["host unknown", "name server", "host not found"]],
    },
    KnownError {
        key: "sendmail-name-server-failure",
        mta: SENDMAIL,
        example: "Deferred: Name server: example.com.: host name lookup failure",
        meaning: "The DNS lookup failed temporarily; Sendmail keeps the message and retries.",
        causes: &[
            "DNSSEC validation failure or unreachable name servers for the domain",
            "a broken local resolver",
        ],
        findings: &["mx-lookup-failed"],
        reproduce: "smtpdoctor probe example.com -v --resolver 1.1.1.1",
        patterns: &[
            &["name server", "host name lookup failure"],
            &["name server timeout"],
        ],
    },
    // ------------------------------------------------------------ Exchange
    KnownError {
        key: "exchange-socket-error",
        mta: EXCHANGE,
        example: "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due \
                  to SocketError.\"",
        meaning: "Exchange's connection to the remote server broke (reset or closed) in the middle of \
                  the dialogue. The message stays queued and is retried.",
        causes: &[
            "the remote server or a firewall resetting the connection",
            "SMTP inspection on a firewall (Cisco ESMTP inspection) interfering with EHLO or STARTTLS",
            "a path-MTU black hole during TLS or data transfer",
        ],
        findings: &[
            "close-without-421",
            "starttls-stall",
            "pix-ehlo-mangled",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["connection dropped due to socketerror"]],
    },
    KnownError {
        key: "exchange-4-4-397",
        mta: EXCHANGE,
        example: "451 4.4.397 Error communicating with target host. -> 421 4.4.2 Connection dropped due \
                  to TimedOut",
        meaning: "Exchange lost the conversation with the target host; the part after the arrow says how \
                  (a timeout, a socket error). Often seen right after the TLS certificate exchange.",
        causes: &[
            "a TLS handshake stalling (path MTU, middlebox)",
            "a remote server too slow to answer",
            "a firewall idle timeout",
        ],
        findings: &[
            "close-without-421",
            "starttls-stall",
            "reply-slow",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[
            &["error communicating with target host"],
            &["connection dropped due to timedout"],
        ],
    },
    KnownError {
        key: "exchange-connection-timed-out",
        mta: EXCHANGE,
        example: "451 4.4.0 Primary target IP address responded with: \"421 4.4.1 Connection timed out.\" \
                  Attempted failover to alternate host, but that did not succeed.",
        meaning: "Exchange could not get a connection (or a greeting) from any MX host in time; the \
                  message waits in the queue.",
        causes: &[
            "a firewall dropping port 25",
            "the remote server down or not greeting",
        ],
        findings: &["connect-timeout", "greeting-timeout"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["421 4 4 1 connection timed out"]],
    },
    KnownError {
        key: "exchange-unable-to-connect",
        mta: EXCHANGE,
        example: "451 4.4.0 Primary target IP address responded with: \"421 4.2.1 Unable to connect.\"",
        meaning: "Exchange could not open a TCP connection to the target host.",
        causes: &[
            "connection refused or filtered on port 25",
            "no route to the address",
            "an outbound firewall on the Exchange side",
        ],
        findings: &["connect-refused", "connect-timeout", "connect-unreachable"],
        reproduce: "smtpdoctor probe example.com -v --all",
        patterns: &[&["421 4 2 1 unable to connect"]],
    },
    KnownError {
        key: "exchange-message-delayed",
        mta: EXCHANGE,
        example: "400 4.4.7 Message delayed",
        meaning: "A delay notice to the sender: the message has been in the queue longer than the \
                  notification interval. The reason is the queue's last error (`Get-Queue | fl \
                  LastError`).",
        causes: &[
            "any persistent temporary failure: connection timeouts, greylisting, 4xx replies",
            "TLS problems with a send connector that requires TLS",
        ],
        findings: &[
            "connect-timeout",
            "greeting-timeout",
            "greylisted",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["4 4 7 message delayed"]],
    },
    KnownError {
        key: "exchange-message-expired",
        mta: EXCHANGE,
        example: "550 4.4.7 QUEUE.Expired; message expired",
        meaning: "Exchange gave up: the message stayed in the queue past its expiration time (two days \
                  by default) and was returned to the sender. The underlying error is in the earlier \
                  queue retries.",
        causes: &[
            "the destination unreachable or deferring for the whole period",
            "TLS negotiation failing on every attempt",
        ],
        findings: &[
            "connect-timeout",
            "greeting-timeout",
            "tls-handshake-failed",
            "dot-timeout",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["queue expired"], &["4 4 7", "message expired"]],
    },
    KnownError {
        key: "exchange-4-4-317",
        mta: EXCHANGE,
        example: "450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required \
                  to send mail]",
        meaning: "Exchange Online could not complete a connection to the remote server; the bracketed \
                  message gives the remote side's reason, often a TLS requirement or a certificate name \
                  that does not match the connector's configuration.",
        causes: &[
            "the receiving connector requiring TLS that cannot be established",
            "a certificate whose name does not match the connector's TLS settings",
            "the TLS handshake failing",
        ],
        findings: &[
            "starttls-required",
            "starttls-policy-failed",
            "tls-handshake-failed",
            "tls-cert-name-mismatch",
        ],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[
            &["4 4 317", "cannot connect to remote server"],
            &["4 4 317"],
        ],
    },
    KnownError {
        key: "exchange-tls-negotiation-failed",
        mta: EXCHANGE,
        example: "TLS negotiation failed with error SocketError",
        meaning: "Exchange started TLS but the negotiation failed; the error names the reason \
                  (SocketError, NoCredentials, UnknownError).",
        causes: &[
            "no common TLS version (servers limited to TLS 1.0/1.1)",
            "no usable certificate on the Exchange side (NoCredentials)",
            "a connection reset during the handshake",
        ],
        findings: &["tls-handshake-failed", "starttls-stall", "starttls-454"],
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
        patterns: &[&["tls negotiation failed"], &["failed to negotiate tls"]],
    },
    KnownError {
        key: "exchange-not-rfc-conformant",
        mta: EXCHANGE,
        example: "451 4.4.0 Primary target IP address responded with: \"421 4.4.0 Remote server response \
                  was not RFC conformant.\"",
        meaning: "Exchange could not parse a reply from the remote server: wrong code syntax, empty or \
                  misterminated lines, or codes that change inside a multi-line reply.",
        causes: &[
            "a non-SMTP service or proxy on port 25",
            "a server sending bare LF or extra empty lines",
            "mismatched codes in a multi-line reply",
        ],
        findings: &[
            "reply-code-invalid",
            "reply-zero-length",
            "reply-bare-lf",
            "reply-multiline-mismatch",
            "reply-too-long",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[&["remote server response was not rfc"]],
    },
    KnownError {
        key: "exchange-suspicious-remote",
        mta: EXCHANGE,
        example: "451 4.4.0 SMTPSEND.SuspiciousRemoteServerError; remote server disconnected abruptly; \
                  retry will be delayed",
        meaning: "The remote server dropped the connection unexpectedly, and Exchange Online delays the \
                  next attempt.",
        causes: &[
            "a Cisco SMTP fixup or inspection in front of the remote server",
            "TLS versions or ciphers the remote server cannot handle",
            "a crashing or overloaded remote server",
        ],
        findings: &[
            "close-without-421",
            "pix-ehlo-mangled",
            "tls-handshake-failed",
        ],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[
            &["suspiciousremoteservererror"],
            &["remote server disconnected abruptly"],
        ],
    },
    KnownError {
        key: "exchange-bare-linefeeds",
        mta: EXCHANGE,
        example: "550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which \
                  cannot be sent via DATA",
        meaning: "The message contains lines ending in LF alone. Exchange Online can pass such a message \
                  on only with BDAT (CHUNKING); the receiving server does not offer CHUNKING, so it \
                  refused to send it with DATA. The bare line feeds come from the program that created \
                  the message.",
        causes: &[
            "an application, script or device that writes \"\\n\" line endings into the message",
            "a receiving server without CHUNKING",
        ],
        findings: &["client-data-bare-lf"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[
            &["barelinefeedsareillegal"],
            &["message contains bare linefeeds"],
        ],
    },
    KnownError {
        key: "microsoft-invalid-domain-name",
        mta: "Exchange Online / Outlook.com (as server)",
        example: "501 5.5.4 Invalid domain name",
        meaning: "Microsoft's servers refused the client's EHLO argument as not a valid domain name. \
                  A space after the name has been reported to cause it too.",
        causes: &[
            "a trailing space or other stray character after the EHLO name",
            "an internal or single-word name in EHLO",
        ],
        findings: &["client-ehlo-invalid"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[&["5 5 4 invalid domain name"]],
    },
    // ------------------------------------------------------------ Firewalls in the path
    KnownError {
        key: "cisco-xxxx-command",
        mta: "Cisco PIX/ASA in front of any MTA",
        example: "500 5.5.1 Command unrecognized: \"XXXX mail.example.org\"",
        meaning: "The server received \"XXXX\" where the client had sent EHLO (or another command): a \
                  Cisco SMTP fixup or ESMTP inspection rewrote the command it did not allow. The sender \
                  loses ESMTP and STARTTLS.",
        causes: &["Cisco PIX `fixup protocol smtp` or ASA `inspect esmtp` in the path"],
        findings: &["pix-ehlo-mangled", "pix-banner", "ehlo-fallback"],
        reproduce: "smtpdoctor probe example.com -v",
        patterns: &[
            &["command unrecognized", "xxxx"],
            &["xxxx", "command not recognized"],
            &["#5xx", "xxxx"],
        ],
    },
    KnownError {
        key: "cisco-masked-banner",
        mta: "Cisco PIX/ASA in front of any MTA",
        example: "220 ****************************************0*0*2******0***0*00",
        meaning: "A greeting made of asterisks, 2s and 0s: the banner was masked by a Cisco SMTP fixup \
                  or ESMTP inspection, which usually also mangles EHLO and strips STARTTLS.",
        causes: &["Cisco PIX `fixup protocol smtp` or ASA `inspect esmtp` with banner masking"],
        findings: &["pix-banner", "pix-ehlo-mangled"],
        reproduce: "smtpdoctor probe example.com -v --quit-after ehlo",
        patterns: &[&["220 ***"]],
    },
    // ------------------------------------------------------------ Large mailbox providers
    // Wordings as the providers' own pages give them (Google's "Gmail SMTP errors and codes",
    // Microsoft's "Email non-delivery reports and SMTP errors in Exchange Online", Yahoo's "SMTP
    // error codes" for senders) and as their servers write them in bounces.
    KnownError {
        key: "gmail-unauthenticated",
        mta: GMAIL,
        example: "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
        meaning: "Gmail refused the message after the final dot because it could not authenticate \
                  it: neither SPF nor DKIM passed for the sending domain, or the From domain's DMARC \
                  policy (p=reject or quarantine) asked for mail that fails alignment to be refused. \
                  The connection, sender and recipients were fine; the message itself is judged.",
        causes: &[
            "the sending host or service is not in the domain's SPF record",
            "no DKIM signature, or one by a domain that does not align with the From domain",
            "a DMARC policy of reject on a domain whose mail goes out through an unauthorised path (a newsletter service, a forwarder)",
            "an SPF record ending in -all that does not list the sending address",
        ],
        findings: &["data-rejected"],
        reproduce: "smtpdoctor probe postmaster@gmail.com --from you@your-domain --data -v",
        patterns: &[
            &["sender is unauthenticated"],
            &["does not have authentication information"],
            &["not accepted due to", "dmarc policy"],
            &["hard fail policy", "fails to pass spf checks"],
        ],
    },
    KnownError {
        key: "gmail-rate-limited",
        mta: GMAIL,
        example: "421-4.7.28 Gmail has detected an unusual rate of email originating from your IP address. To protect our users from spam, email sent from your IP address has been temporarily rate limited.",
        meaning: "Gmail defers mail from the sending IP address (or its netblock, its SPF or DKIM \
                  domain, or a URL domain in the message) because of an unusual rate of mail it \
                  judges unsolicited. The reply is temporary: the message stays queued and is \
                  retried, and retrying fast makes it worse.",
        causes: &[
            "a sudden rise in volume from an address or domain without a sending history",
            "recipients marking the mail as spam, or low engagement",
            "a shared address whose other senders send spam",
            "a compromised account or web form sending through the host",
        ],
        findings: &["mail-deferred", "rcpt-deferred"],
        reproduce: "smtpdoctor probe postmaster@gmail.com --from you@your-domain -v",
        patterns: &[
            &[
                "has detected an unusual rate of",
                "temporarily rate limited",
            ],
            &["has detected an unusual rate of", "temporarily blocked"],
            &[
                "detected an unusual amount of unsolicited",
                "temporarily blocked",
            ],
        ],
    },
    KnownError {
        key: "gmail-unsolicited-blocked",
        mta: GMAIL,
        example: "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.",
        meaning: "Gmail refused the message, or all mail from the sending address, as spam: a \
                  permanent verdict on the content or on the reputation of the sending address, \
                  not a fault of the SMTP dialogue.",
        causes: &[
            "content, links or attachments that Gmail's filters judge as spam",
            "the sending address or domain has a bad reputation (spam reports, blocklists)",
            "mail forwarded in bulk from a server that also relays spam",
        ],
        findings: &["data-rejected", "mail-rejected"],
        reproduce: "smtpdoctor probe postmaster@gmail.com --from you@your-domain --data -v",
        patterns: &[
            &["this message is likely unsolicited mail"],
            &[
                "unusual rate of unsolicited",
                "has been blocked",
                "!temporarily",
            ],
        ],
    },
    KnownError {
        key: "gmail-tls-required",
        mta: GMAIL,
        example: "421-4.7.29 Your email has been rate limited because you're not using a TLS connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections.",
        meaning: "Gmail defers (4.7.29) or refuses (5.7.29) mail that was not sent over TLS: the \
                  sending client did not use STARTTLS although Gmail offers it.",
        causes: &[
            "the sending MTA has opportunistic TLS switched off (Postfix smtp_tls_security_level = none)",
            "its TLS handshake fails and it falls back to plaintext",
            "an appliance in the path strips STARTTLS from the EHLO reply",
        ],
        findings: &["client-starttls-unused", "starttls-absent"],
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
        patterns: &[
            &["not using a tls connection"],
            &["wasn t sent over a tls connection"],
        ],
    },
    KnownError {
        key: "gmail-no-such-user",
        mta: GMAIL,
        example: "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
        meaning: "Gmail refused the recipient at RCPT: there is no such account. Retrying does not \
                  help; the address is wrong or gone.",
        causes: &[
            "a typing error in the address",
            "an account that was deleted",
            "a list that was never cleaned of bounced addresses",
        ],
        findings: &["rcpt-rejected"],
        reproduce: "smtpdoctor probe user@gmail.com -v",
        patterns: &[&["the email account that you tried to reach does not exist"]],
    },
    KnownError {
        key: "microsoft-banned-sending-ip",
        mta: MICROSOFT,
        example: "550 5.7.606 Access denied, banned sending IP [192.0.2.45]. To request removal from this list please visit https://sender.office.com/ and follow the directions.",
        meaning: "Exchange Online Protection refuses every message from the sending IP address \
                  (codes 5.7.606 to 5.7.649): the address is on Microsoft's own block list, for \
                  spam or compromise seen from it. The delist portal named in the reply can take \
                  it off once the cause is gone.",
        causes: &[
            "spam or malware sent from the address or its neighbours",
            "a new address in a range with a bad history",
            "a compromised account or open relay on the sending host",
        ],
        findings: &["rcpt-rejected", "mail-rejected"],
        reproduce: "smtpdoctor probe postmaster@outlook.com --from you@your-domain -v",
        patterns: &[&["access denied banned sending ip"]],
    },
    KnownError {
        key: "microsoft-block-list-s3150",
        mta: MICROSOFT,
        example: "550 5.7.1 Unfortunately, messages from [192.0.2.45] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
        meaning: "Outlook.com / Hotmail refuses mail from the sending address at MAIL FROM because \
                  it lies in a network range on Microsoft's block list (S3150, S3140 and similar): \
                  the verdict is about the range, not the message.",
        causes: &[
            "the sending address is in a hosting or dial-up range that Microsoft blocks",
            "spam from other customers of the same provider",
            "a new server address without a sending history",
        ],
        findings: &["mail-rejected"],
        reproduce: "smtpdoctor probe postmaster@outlook.com --from you@your-domain -v --quit-after mail",
        patterns: &[
            &["part of their network is on our block list"],
            &["s3150"],
            &["as3150"],
            &["s3140"],
        ],
    },
    KnownError {
        key: "microsoft-tenant-outbound-blocked",
        mta: MICROSOFT,
        example: "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP",
        meaning: "Exchange Online itself refuses to send for the tenant (5.7.705, 5.7.708): most of \
                  its traffic was judged suspicious and its sending was banned. The message did not \
                  reach the destination; the destination is not at fault.",
        causes: &[
            "a compromised mailbox of the tenant sending spam",
            "an open relay or connector through which others send",
            "a new tenant sending much mail at once",
        ],
        findings: &["mail-rejected", "rcpt-rejected"],
        reproduce: "smtpdoctor probe recipient-domain.example -v",
        patterns: &[
            &["access denied traffic not accepted from this ip"],
            &["access denied tenant has exceeded threshold"],
        ],
    },
    KnownError {
        key: "microsoft-unregistered-domain",
        mta: MICROSOFT,
        example: "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains",
        meaning: "Exchange Online blocks the tenant from sending mail from domains it has not added \
                  and verified: a suspicious number of messages came from unprovisioned domains.",
        causes: &[
            "a From or MAIL FROM domain that is not an accepted domain of the tenant",
            "a device or application relaying through the tenant with another domain",
        ],
        findings: &["mail-rejected"],
        reproduce: "smtpdoctor probe recipient-domain.example -v",
        patterns: &[&["client blocked from sending from unregistered domains"]],
    },
    KnownError {
        key: "microsoft-dmarc-reject",
        mta: MICROSOFT,
        example: "550 5.7.509 Access denied, sending domain [example.com] does not pass DMARC verification and has a DMARC policy of reject.",
        meaning: "Microsoft refused the message because its From domain failed DMARC and publishes \
                  p=reject: neither an aligned SPF nor an aligned DKIM pass.",
        causes: &[
            "mail sent through a service that neither is in the domain's SPF record nor signs with its DKIM key",
            "forwarding that breaks SPF, with no DKIM signature to survive it",
        ],
        findings: &["data-rejected"],
        reproduce: "smtpdoctor probe postmaster@outlook.com --from you@your-domain --data -v",
        patterns: &[&["does not pass dmarc verification"]],
    },
    KnownError {
        key: "yahoo-tss04-deferred",
        mta: YAHOO,
        example: "421 4.7.0 [TSS04] Messages from 192.0.2.45 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        meaning: "Yahoo defers mail from the sending address for now: unusual traffic from it, or \
                  complaints of Yahoo users about its mail. The reply is temporary and the queue \
                  retries; Yahoo asks senders to slow down and to review their lists and content.",
        causes: &[
            "recipients marking the mail as spam",
            "a rise in volume from the address",
            "a shared address whose other senders cause complaints",
        ],
        findings: &["mail-deferred", "greeting-421"],
        reproduce: "smtpdoctor probe postmaster@yahoo.com --from you@your-domain -v",
        patterns: &[
            &["tss04"],
            &["temporarily deferred due to unexpected volume or user complaints"],
        ],
    },
    KnownError {
        key: "yahoo-tss09-permanent",
        mta: YAHOO,
        example: "553 5.7.2 [TSS09] All messages from 192.0.2.45 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        meaning: "Yahoo refuses all mail from the sending address for good; retrying will not \
                  succeed. The address's reputation, a listing at Spamhaus, or mail failing the \
                  sending domain's DMARC or DKIM policy are the usual reasons.",
        causes: &[
            "the sending address is listed by Spamhaus",
            "mail failing authentication against the sending domain's policy",
            "a history of spam or invalid recipients from the address",
        ],
        findings: &["mail-rejected"],
        reproduce: "smtpdoctor probe postmaster@yahoo.com --from you@your-domain -v",
        patterns: &[
            &["tss09"],
            &["will be permanently deferred", "retrying will not succeed"],
        ],
    },
    KnownError {
        key: "yahoo-ph01-content",
        mta: YAHOO,
        example: "554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://postmaster.yahooinc.com/error-codes [120]",
        meaning: "Yahoo refused the message for its content (PH* errors): something in it, often a \
                  link, looks like phishing, malware or other content Yahoo does not accept.",
        causes: &[
            "a link to a domain or page that Yahoo judges malicious (a hacked web site, a shortener)",
            "an attachment type or content typical of phishing",
            "a tracking domain shared with spammers",
        ],
        findings: &["data-rejected"],
        reproduce: "smtpdoctor probe postmaster@yahoo.com --from you@your-domain --body message.eml -v",
        patterns: &[&["ph01"], &["email not accepted for policy reasons"]],
    },
    KnownError {
        key: "yahoo-authentication-failed",
        mta: YAHOO,
        example: "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes",
        meaning: "Yahoo refused the message because it failed the authentication checks of the \
                  sending domain (DKIM, SPF, DMARC): Yahoo could not verify that it came from the \
                  domain it claims.",
        causes: &[
            "a DKIM signature missing or broken where the domain's policy requires one",
            "a DMARC policy of reject with no aligned SPF or DKIM pass",
            "a mailing list sending with its subscribers' From addresses",
        ],
        findings: &["data-rejected"],
        reproduce: "smtpdoctor probe postmaster@yahoo.com --from you@your-domain --data -v",
        patterns: &[&["message not accepted for policy reasons"]],
    },
];
