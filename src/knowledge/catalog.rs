//! The knowledge base: one entry per finding id (SPEC §3, §4 and the client findings of §8) with its
//! meaning, causes, fix and reference.

use crate::knowledge::Severity;
use serde::Serialize;

/// What smtpdoctor knows about one finding id.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The stable finding id (lower-case kebab), as in SPEC §3, §4 and §8.
    pub id: &'static str,
    /// The default severity given by the spec.
    pub severity: Severity,
    /// One line naming the fault.
    pub title: &'static str,
    /// Plain language: what is wrong, why it matters, which real clients (or, for a client
    /// finding, which real servers) break on it.
    pub meaning: &'static str,
    /// The usual reasons a server (or client) shows this finding, most common first.
    pub causes: &'static [&'static str],
    /// A concrete fix an administrator can apply, with configuration directives where known.
    pub fix: &'static str,
    /// The RFC section or other source the finding rests on.
    pub reference: &'static str,
    /// The smtpdoctor command that shows the finding.
    pub reproduce: &'static str,
}

/// Reply texts (matched case-insensitively as substrings of a 4xx reply) that identify greylisting.
///
/// The `greylisted` entry's meaning lists the same wordings; a unit test keeps the two in step.
pub const GREYLISTING_WORDINGS: &[&str] = &[
    "greylist",
    "graylist",
    "grey-list",
    "gray-list",
    "grey list",
    "gray list",
    "postgrey",
];

/// Reply text (with code 450, matched case-insensitively) that Postfix postscreen sends to a client
/// that has just passed its after-greeting tests.
pub const POSTSCREEN_WORDING: &str = "4.3.2 Service currently unavailable";

/// Every finding id, in the order of SPEC §3, §4 and §8.
pub static ENTRIES: &[Entry] = &[
    // ---------------------------------------------------------------- Input (SPEC §10)
    Entry {
        id: "target-invalid",
        severity: Severity::Error,
        title: "A line of the target list is not a valid target",
        meaning: "A line of the list given with --targets is neither a mail domain (example.com), \
                  an address (user@example.com) nor an IP address, so nothing was probed for it. \
                  The run went on with the other lines; the line stands in the report as it was \
                  given (escaped).",
        causes: &[
            "a typing error, a space inside a name, or a stray character pasted with the list",
            "a list exported with extra columns (CSV) or with URLs instead of domains",
            "a line longer than any domain or address can be",
        ],
        fix: "Correct or remove the line: one domain, address or IP per line; blank lines and \
              `#` comments are ignored.",
        reference: "RFC 5321 §4.1.2 (Domain, Mailbox); RFC 1035 §2.3.1",
        reproduce: "smtpdoctor probe --targets - <<< 'bad domain!'",
    },
    // ---------------------------------------------------------------- DNS
    Entry {
        id: "mx-nxdomain",
        severity: Severity::Error,
        title: "The mail domain does not exist in DNS (NXDOMAIN)",
        meaning: "The DNS answered that the domain name itself does not exist, so there is no MX, no \
                  implicit MX and nowhere to deliver. Every sending MTA bounces such mail at once: \
                  Postfix reports \"Host or domain name not found. Name service error for \
                  name=example.com type=MX: Host not found\", Sendmail \"Host unknown\".",
        causes: &[
            "a typing error in the domain or in the recipient address",
            "the domain registration expired or the delegation was removed at the registrar",
            "the name servers named in the delegation do not serve the zone (lame delegation answering NXDOMAIN)",
            "split-horizon DNS: the zone exists in the internal view only",
        ],
        fix: "Check the delegation from the root with `dig +trace example.com MX`. Renew the domain or \
              repair the NS records at the registrar, and make sure every listed name server is \
              authoritative for the zone and serves the public view.",
        reference: "RFC 5321 §5.1; RFC 1035 §4.1.1 (RCODE 3)",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "mx-lookup-failed",
        severity: Severity::Error,
        title: "MX lookup failed (SERVFAIL, timeout or refused)",
        meaning: "The resolver could not obtain any answer for the MX query. Senders treat this as \
                  temporary and keep the mail queued (Postfix: \"Name service error for \
                  name=example.com type=MX: Host not found, try again\"), so delivery is delayed until \
                  DNS works again or the queue lifetime runs out and the mail bounces.",
        causes: &[
            "DNSSEC validation failure: expired signatures or a DS record that no longer matches the zone key",
            "all authoritative name servers unreachable or not answering for the zone",
            "a firewall dropping DNS over TCP or large UDP answers (EDNS fragments)",
            "a broken or overloaded local resolver",
        ],
        fix: "Ask each authoritative server directly (`dig @ns1.example.com example.com MX +norec`) and \
              check DNSSEC with `delv example.com MX`. Re-sign the zone or fix the DS record at the \
              parent, and allow DNS over TCP port 53. Compare with a public resolver using \
              `--resolver`.",
        reference: "RFC 5321 §5.1; RFC 4035 §5 (DNSSEC validation)",
        reproduce: "smtpdoctor probe example.com -v --resolver 1.1.1.1",
    },
    Entry {
        id: "mx-implicit",
        severity: Severity::Info,
        title: "No MX record: mail goes to the domain's own address (implicit MX)",
        meaning: "The domain has no MX records, so by RFC 5321 §5.1 senders use the A/AAAA records of \
                  the domain name itself as if it were a single MX of preference 0. That works, but it \
                  is often accidental: the bare domain usually points at a web server that does not \
                  run an MTA, and mail then waits in queues until it times out.",
        causes: &[
            "the MX record was forgotten or deleted when the DNS zone was moved",
            "the domain is not meant to receive mail but does not say so with a null MX",
        ],
        fix: "Publish explicit MX records (`example.com. IN MX 10 mx.example.com.`). If the domain \
              never receives mail, publish a null MX instead: `example.com. IN MX 0 .` (RFC 7505).",
        reference: "RFC 5321 §5.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "mx-null",
        severity: Severity::Info,
        title: "Null MX: the domain declares that it accepts no mail (RFC 7505)",
        meaning: "The domain publishes a single MX of preference 0 whose target is the root \".\". \
                  That is the standard way to say \"no mail here\"; senders bounce immediately instead \
                  of queueing (Postfix: \"Domain example.com does not accept mail (nullMX)\"). It \
                  becomes an error when other MX records exist beside it: RFC 7505 forbids the mix and \
                  senders then behave unpredictably.",
        causes: &[
            "the domain is deliberately mail-less (parked domains, web-only domains)",
            "a null MX left over from parking after real MX records were added",
        ],
        fix: "If the domain should receive mail, delete the `MX 0 .` record. If it should not, delete \
              every other MX record so that the null MX stands alone.",
        reference: "RFC 7505 §3, §4",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "mx-target-invalid",
        severity: Severity::Warning,
        title: "MX target is an IP literal, a CNAME, or has no address",
        meaning: "An MX record must name a host that has A or AAAA records of its own. An IP address \
                  written as the MX target is looked up as a host name (\"192.0.2.1.\") and fails; a \
                  CNAME target is tolerated by some MTAs and skipped by strict ones; a target without \
                  addresses is unusable. Delivery then depends on which sender you ask.",
        causes: &[
            "an IP address typed into the MX target field of a DNS control panel",
            "the MX pointing at an alias (CNAME) to a hosting provider name",
            "the target host renamed or its A/AAAA records deleted",
        ],
        fix: "Point every MX at a host name that carries A/AAAA records directly \
              (`mx.example.com. IN A 192.0.2.1`), not at an address literal or an alias.",
        reference: "RFC 5321 §5.1; RFC 2181 §10.3",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "mx-none-usable",
        severity: Severity::Error,
        title: "No MX host has a usable address",
        meaning: "After resolving every MX target, no address was left to connect to. Senders keep the \
                  mail queued and finally bounce it. Postfix sometimes reports this situation as \"mail \
                  for example.com loops back to myself\" when the only addresses are its own.",
        causes: &[
            "every MX target lacks A/AAAA records",
            "the MX hosts have only IPv6 addresses and the sender only IPv4 (or the reverse; see -4/-6)",
            "the targets resolve to loopback or private addresses (127.0.0.1, 10.0.0.0/8) that are unreachable from outside",
        ],
        fix: "Give at least one MX target a public A record (and AAAA if IPv6 works end to end). Remove \
              MX records that point at internal names.",
        reference: "RFC 5321 §5.1",
        reproduce: "smtpdoctor probe example.com -v --all",
    },
    Entry {
        id: "ptr-missing",
        severity: Severity::Warning,
        title: "The server address has no reverse DNS (PTR)",
        meaning: "The address smtpdoctor connected to has no PTR record. Inbound delivery still works, \
                  but an MX host usually sends mail too, and many receivers reject or down-score mail \
                  from addresses without reverse DNS (Postfix `reject_unknown_client_hostname`, large \
                  mailbox providers' sender requirements).",
        causes: &[
            "the reverse zone belongs to the hosting or access provider, who was never asked to set it",
            "a new address was added (often IPv6) without a matching PTR",
        ],
        fix: "Ask the owner of the address block (ISP, cloud console) to set the PTR to the host name \
              the server uses in its greeting and EHLO, and make that name resolve back to the address.",
        reference: "RFC 1912 §2.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "ptr-mismatch",
        severity: Severity::Warning,
        title: "The PTR name does not resolve back to the address",
        meaning: "The reverse lookup gives a name, but that name's A/AAAA records do not contain the \
                  address (no forward-confirmed reverse DNS). Postfix logs \"hostname ... does not \
                  resolve to address\" for such clients and treats them as \"unknown\"; receivers that \
                  require forward-confirmed names reject the server's outbound mail.",
        causes: &[
            "the host was renumbered and only one direction of DNS was updated",
            "a generic provider PTR (such as 192-0-2-1.dyn.example.net) without a matching forward record",
        ],
        fix: "Add an A/AAAA record for the PTR name that equals this address, or change the PTR to a \
              name that already resolves to it.",
        reference: "RFC 1912 §2.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- Connect
    Entry {
        id: "connect-refused",
        severity: Severity::Error,
        title: "TCP connection refused",
        meaning: "The host answered the connection attempt with a reset: nothing accepts connections on \
                  that port, or a firewall rejects them actively. Senders move on to the next MX and \
                  queue the mail if every MX refuses (Postfix: \"connect to mx.example.com[192.0.2.1]:25: \
                  Connection refused\").",
        causes: &[
            "the MTA is stopped or crashed",
            "the MTA listens on loopback only (Postfix `inet_interfaces = loopback-only`, Exim `local_interfaces = 127.0.0.1`)",
            "a firewall rule with REJECT on port 25",
            "the DNS points at the wrong address",
        ],
        fix: "On the server, check that something listens on the port that was probed (the \
              finding's detail gives the `ss -ltnp` command for it). Set Postfix \
              `inet_interfaces = all` (then `postfix stop; postfix start`) or the Exim/Sendmail \
              equivalent, and open TCP port 25 in every firewall on the path.",
        reference: "RFC 5321 §5.1 (try the next MX on connection failure)",
        reproduce: "smtpdoctor probe example.com -v --all",
    },
    Entry {
        id: "connect-timeout",
        severity: Severity::Error,
        title: "TCP connection attempt timed out",
        meaning: "No answer to the connection attempt arrived at all: the packets were dropped \
                  somewhere. Senders wait, try the next MX and queue the mail (Postfix: \"connect to \
                  ...: Connection timed out\").",
        causes: &[
            "a firewall silently dropping port 25 at the server",
            "outbound port 25 blocked by the network the probe runs from (many home ISPs and cloud providers block it by default)",
            "the host is down or the address in DNS is stale",
        ],
        fix: "Probe from a second network to tell a server-side block from a local one. Open TCP port 25 \
              inbound on the server's firewall and security groups; on cloud hosts ask the provider to \
              lift the outbound port 25 block if the probe host is there.",
        reference: "RFC 5321 §5.1",
        reproduce: "smtpdoctor probe example.com -v --all",
    },
    Entry {
        id: "connect-unreachable",
        severity: Severity::Error,
        title: "Network or host unreachable",
        meaning: "The connection failed because there is no route: a router answered with an ICMP \
                  unreachable message or the local system has no route to that address family. Most \
                  often the MX has an AAAA record while IPv6 does not actually work on one side.",
        causes: &[
            "an AAAA record for the MX host without working IPv6 connectivity",
            "a routing problem or an ACL on a router answering with ICMP unreachable",
            "the probe host itself lacks an IPv4 or IPv6 default route",
        ],
        fix: "Test each family with `-4` and `-6`. Remove the AAAA record or repair IPv6 routing on the \
              server; on a sender without IPv6 set Postfix `inet_protocols = ipv4`.",
        reference: "RFC 1122 §4.2.3.9",
        reproduce: "smtpdoctor probe example.com -v --all -6",
    },
    Entry {
        id: "close-without-421",
        severity: Severity::Warning,
        title: "Server closed the connection mid-dialogue without 221 or 421",
        meaning: "The server dropped the TCP connection while a reply was due. A server may only close \
                  on its own after sending 421; without it the client cannot tell a policy decision from \
                  a crash, logs \"lost connection with ... while ...\" and retries later. If the drop \
                  happens after the final dot, the sender cannot know whether the message was taken and \
                  may deliver it twice.",
        causes: &[
            "an SMTP process crashing or hitting a resource limit",
            "anti-spam layers configured to drop instead of reject (postscreen actions set to `drop`, appliance tarpits)",
            "a firewall, NAT or load balancer whose idle timer is shorter than the server's processing time",
            "an SMTP-inspecting firewall resetting connections it does not like",
        ],
        fix: "Find the session in the server's log by time and client address. Prefer rejecting with a \
              reply (Postfix postscreen `*_action = enforce` rather than `drop`), raise firewall and \
              load-balancer idle timeouts above the SMTP timeouts, and fix crashing filters.",
        reference: "RFC 5321 §3.8",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- Greeting
    Entry {
        id: "greeting-timeout",
        severity: Severity::Error,
        title: "No greeting arrived before the timeout",
        meaning: "The TCP connection was accepted but no 220 line followed. Senders give up on that \
                  host and try the next MX (Postfix: \"timed out while receiving the initial server \
                  greeting\", Exim: \"SMTP timeout after initial connection\", Sendmail: \"timeout \
                  waiting for input from ... during client greeting\").",
        causes: &[
            "the server does reverse DNS, ident or blocklist lookups before greeting and its resolver is slow or dead (on Solaris and others check the `hosts:` order in /etc/nsswitch.conf)",
            "all SMTP server processes are busy, so new connections wait in the listen backlog (Postfix `default_process_limit`, Exim `smtp_accept_max`, Messaging Server `MAX_PROCS` x `MAX_CONNS`)",
            "a load balancer or proxy accepting TCP without a healthy backend",
            "deliberate greeting delays longer than senders wait",
        ],
        fix: "Time the greeting by hand (`telnet mx.example.com 25`). Give the server a working local \
              caching resolver, put `files` before `dns` for host lookups, disable ident lookups \
              (Exim `rfc1413_query_timeout = 0s`, Sendmail `define(`confTO_IDENT', `0')`), and raise \
              the process or connection limits if they are exhausted.",
        reference: "RFC 5321 §4.5.3.2.1 (5 minutes for the initial 220)",
        reproduce: "smtpdoctor probe example.com -v --timeout 5m",
    },
    Entry {
        id: "greeting-slow",
        severity: Severity::Warning,
        title: "The greeting arrived, but slowly",
        meaning: "The 220 line took longer than the `--slow` threshold. Full MTAs wait five minutes, but \
                  application mail libraries and appliances often give up after 10 to 30 seconds, and a \
                  slow greeting usually means the server waits on DNS. Deliberate delays exist too: \
                  Postfix postscreen's greet wait (6 s by default) and Sendmail's `greet_pause`.",
        causes: &[
            "slow reverse DNS or blocklist lookups before the greeting",
            "an overloaded server",
            "a deliberate greeting pause used against spambots",
        ],
        fix: "If the delay is not deliberate, fix the server's resolver (local cache, working \
              forwarders, `files` before `dns`) and check its load. If it is deliberate, keep it below \
              about 10 seconds or allowlist known senders.",
        reference: "RFC 5321 §4.5.3.2.1",
        reproduce: "smtpdoctor probe example.com -v --slow 2s",
    },
    Entry {
        id: "greeting-fragmented",
        severity: Severity::Warning,
        title: "Greeting line split across TCP reads",
        meaning: "One greeting line arrived in pieces: a TCP read ended before the CRLF and the rest came \
                  later. TCP is a byte stream, so this is legal, and a correct client buffers until the \
                  CRLF. Clients that treat each read as a complete reply see \"220 host\", send HELO too \
                  early, then take the tail of the greeting as the answer to HELO and stay one reply out \
                  of step for the rest of the session; Winsock-era gateways were known for this.",
        causes: &[
            "the server writes the greeting with several write() calls (banner assembled piece by piece) and the pieces leave in separate segments",
            "TCP_NODELAY on the server socket, so Nagle does not merge the writes",
            "a proxy or SMTP-inspecting firewall re-segmenting the stream",
        ],
        fix: "On the server, assemble each reply in a buffer and write it in one call (with stdio, full \
              buffering via `setvbuf(out, NULL, _IOFBF, 8192)` and a flush per reply). On the client \
              side, the real fix is to read replies line by line until CRLF, whatever the segmentation.",
        reference: "RFC 5321 §4.2 (a reply line ends with CRLF), §2.3.8",
        reproduce: "smtpdoctor demo greeting-fragmented",
    },
    Entry {
        id: "greeting-multiline",
        severity: Severity::Info,
        title: "Multi-line greeting (220- teaser, then 220)",
        meaning: "The server greets with one or more \"220-\" lines before the final \"220 \" line. That \
                  is valid SMTP. Postfix postscreen uses it on purpose (`postscreen_greet_banner`): \
                  a client that starts talking after the first line is treated as a pregreeting spambot \
                  and rejected. Legitimate clients that read only the first line, such as some printers, \
                  scanners and embedded devices, are caught by it.",
        causes: &[
            "Postfix postscreen with a greeting banner teaser",
            "a banner text spread over several lines by the administrator",
        ],
        fix: "Nothing to fix on a compliant server. If a legitimate but broken client is rejected, \
              allowlist it (`postscreen_access_list = permit_mynetworks, cidr:/etc/postfix/postscreen_access.cidr`) \
              or set `postscreen_greet_banner =` to an empty value.",
        reference: "RFC 5321 §4.2.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "greeting-554",
        severity: Severity::Error,
        title: "The server refuses the session with a 554 greeting",
        meaning: "Instead of 220 the server said 554: it will not accept any mail on this connection and \
                  answers every further command with 503. It is nearly always aimed at the client \
                  address: a blocklist hit, bad reputation or a geographic block (Postfix: \"host ... \
                  refused to talk to me: 554 ...\").",
        causes: &[
            "the probing (or sending) address is on a DNS blocklist the server uses",
            "residential, dynamic or cloud address ranges refused by policy",
            "the server is configured not to accept mail at all from outside",
        ],
        fix: "Read the text of the 554 line: it usually names the list or policy. Check the sending \
              address on the named blocklist and request delisting, or probe from the address your \
              real MTA uses. For your own server, exempt trusted senders from the blocklist check.",
        reference: "RFC 5321 §3.1, §4.2.3",
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
    },
    Entry {
        id: "greeting-421",
        severity: Severity::Warning,
        title: "The server temporarily refuses the session (421 greeting)",
        meaning: "The greeting was 421: the service is not available right now and the connection will \
                  be closed. Senders retry later, so mail is delayed rather than lost; if it persists, \
                  mail eventually bounces.",
        causes: &[
            "per-client or global connection limits reached (Postfix anvil: \"421 4.7.0 ... Error: too many connections from ...\"; Exim `smtp_accept_max`)",
            "load shedding on an overloaded server",
            "maintenance or shutdown in progress",
            "a temporary blocklist or rate decision against the client address",
        ],
        fix: "Check the server's connection limits (Postfix `smtpd_client_connection_count_limit`, \
              `default_process_limit`; Exim `smtp_accept_max`, `smtp_accept_max_per_host`) and its \
              load; raise the limits if legitimate senders hit them.",
        reference: "RFC 5321 §3.8, §4.2.3",
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
    },
    Entry {
        id: "greeting-syntax",
        severity: Severity::Warning,
        title: "The greeting lacks the server's domain after 220",
        meaning: "The 220 line must carry the server's host name (or an address literal) right after the \
                  code. Without it, strict clients reject the greeting, and loop detection that compares \
                  the peer's name with its own cannot work. Some old clients also look for \"ESMTP\" in \
                  the greeting before they dare to send EHLO.",
        causes: &[
            "a custom banner that dropped the host name (Postfix `smtpd_banner` without `$myhostname`)",
            "an Exchange receive connector banner such as \"220 Mail Service\"",
            "a firewall masking the banner",
        ],
        fix: "Postfix: `smtpd_banner = $myhostname ESMTP`. Exim: `smtp_banner = $smtp_active_hostname \
              ESMTP`. Sendmail: `define(`confSMTP_LOGIN_MSG', `$j ESMTP')`. Exchange: \
              `Set-ReceiveConnector -Identity \"<server>\\Default Frontend <server>\" -Banner \"220 mx.example.com\"`.",
        reference: "RFC 5321 §4.2",
        reproduce: "smtpdoctor probe example.com -v --quit-after greeting",
    },
    Entry {
        id: "pix-banner",
        severity: Severity::Warning,
        title: "Greeting masked by a Cisco PIX/ASA SMTP fixup (220 ****)",
        meaning: "The greeting text consists only of asterisks, 2s, 0s and spaces. That is the trace of \
                  Cisco's SMTP inspection (PIX `fixup protocol smtp`, ASA `inspect esmtp`) hiding the \
                  banner. The same feature rewrites commands it does not know: EHLO can reach the server \
                  as \"XXXX\", STARTTLS and other extensions get stripped, and senders fall back to HELO \
                  or give up, which shows up on the server as sessions with \"0 message[s] received\".",
        causes: &[
            "Cisco PIX `fixup protocol smtp 25` enabled (the default on old PIX releases)",
            "Cisco ASA `inspect esmtp` in the global policy with banner masking",
        ],
        fix: "On a PIX: `no fixup protocol smtp 25`. On an ASA: `policy-map global_policy`, \
              `class inspection_default`, `no inspect esmtp`; or keep inspection but use an esmtp \
              inspect policy-map with `no mask-banner` that allows STARTTLS and the ESMTP extensions.",
        reference: "Cisco PIX fixup protocol smtp / Cisco ASA inspect esmtp",
        reproduce: "smtpdoctor demo pix",
    },
    Entry {
        id: "pix-ehlo-mangled",
        severity: Severity::Warning,
        title: "EHLO mangled by a command-filtering firewall",
        meaning: "The server answered EHLO as if it had received something else, typically echoing \
                  \"XXXX\" in a 500 reply. A firewall in the path rewrote the command. The sender loses \
                  ESMTP: no STARTTLS, no SIZE, no PIPELINING, no 8BITMIME. Clients that fall back to \
                  HELO deliver in clear text; others disconnect and reconnect, leaving \"0 message[s] \
                  received\" sessions in the server log.",
        causes: &[
            "Cisco PIX SMTP fixup or ASA `inspect esmtp` in front of the server",
            "other SMTP-aware firewalls or anti-spam proxies with a command allowlist that lacks EHLO",
        ],
        fix: "Turn off the SMTP inspection (`no fixup protocol smtp 25` on a PIX, `no inspect esmtp` in \
              `class inspection_default` on an ASA) or allow EHLO and the extensions in its policy.",
        reference: "RFC 5321 §4.1.1.1; Cisco PIX fixup protocol smtp",
        reproduce: "smtpdoctor demo pix",
    },
    // ---------------------------------------------------------------- Reply syntax
    Entry {
        id: "reply-code-invalid",
        severity: Severity::Error,
        title: "Reply does not start with a valid three-digit code",
        meaning: "Every reply line must begin with three digits (first 2 to 5, second 0 to 5) followed by \
                  a space, a hyphen or the end of the line. Anything else is a protocol error: clients \
                  defer the message (Exchange: \"Remote server response was not RFC conformant\") or \
                  misread the dialogue.",
        causes: &[
            "a different service on the port (HTTP, SSH, an implicit-TLS port spoken to in clear text)",
            "a proxy, load balancer or firewall inserting its own text",
            "home-made or embedded SMTP servers with broken reply formatting",
        ],
        fix: "Look at the raw bytes (`-v`) to see who produced the text. Point the MX at the real MTA \
              port, and remove or reconfigure the device that injects text.",
        reference: "RFC 5321 §4.2, §4.2.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "reply-multiline-mismatch",
        severity: Severity::Error,
        title: "Codes differ between the lines of one multi-line reply",
        meaning: "All lines of a multi-line reply must carry the same code. When they differ, clients \
                  disagree about the outcome: some act on the first line, others on the last, so the \
                  same reply can mean success to one sender and failure to another.",
        causes: &[
            "a proxy or filter concatenating its own reply with the server's",
            "keep-alive continuation lines sent during long processing with a provisional code",
            "server code building a multi-line reply from several sources",
        ],
        fix: "Make every line of a reply use the final code; if the server trickles continuation lines \
              while it works, they must already carry the code of the final line.",
        reference: "RFC 5321 §4.2.1",
        reproduce: "smtpdoctor demo multiline-mismatch",
    },
    Entry {
        id: "reply-bare-code",
        severity: Severity::Info,
        title: "Reply is a bare code without text",
        meaning: "A reply line consisted of the three digits only (\"250\" followed by CRLF). The grammar \
                  allows it, but the text is what administrators read in bounces and logs, and a few old \
                  clients expect a space after the code.",
        causes: &[
            "minimal or embedded SMTP implementations",
            "an empty custom reply text in the server configuration",
        ],
        fix: "Configure or patch the server to send a short text after each code, e.g. \"250 2.0.0 Ok\".",
        reference: "RFC 5321 §4.2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "reply-zero-length",
        severity: Severity::Error,
        title: "An empty line arrived where a status line was due",
        meaning: "Where a reply was expected, the server sent an empty line. PMDF and Sun/Oracle \
                  Messaging Server log this as \"Zero length SMTP status line\" and defer the message. \
                  The usual source is a stray CR or LF in front of the real status line: a client that \
                  takes a lone CR or LF as end of line sees an empty line first.",
        causes: &[
            "the server or a firewall emitting CR CR LF or LF CR LF instead of CR LF",
            "some Exchange versions and firewall SMTP proxies adding an extra line ending",
            "a client configured to treat bare CR or bare LF as a line terminator (PMDF's default `smtp_crorlf`)",
        ],
        fix: "Make the server send exactly CR LF after each line. On a PMDF/Messaging Server client, put \
              `smtp_crlf` on the channel instead of the default `smtp` (= `smtp_crorlf`) so that only \
              CR LF ends a line, or upgrade to a release that skips such lines.",
        reference: "RFC 5321 §4.2, §2.3.8",
        reproduce: "smtpdoctor demo zero-length",
    },
    Entry {
        id: "reply-bare-lf",
        severity: Severity::Error,
        title: "A reply line ended with LF instead of CRLF",
        meaning: "SMTP lines end with CR LF and nothing else. A reply ending in a lone LF is read \
                  differently by different clients: lenient ones accept it, strict ones (PMDF with \
                  `smtp_crlf`) keep reading until a CR LF arrives and time out, or merge two replies.",
        causes: &[
            "a server or script printing \"\\n\" on a Unix system",
            "a proxy rewriting line endings",
        ],
        fix: "Terminate every reply line with \"\\r\\n\" in the server or the script that generates it.",
        reference: "RFC 5321 §2.3.8",
        reproduce: "smtpdoctor demo",
    },
    Entry {
        id: "reply-bare-cr",
        severity: Severity::Error,
        title: "A reply contains a bare CR",
        meaning: "A carriage return without a following LF appeared in a reply. Clients that accept a lone \
                  CR as a terminator (PMDF by default) split the line there and then see garbage or an \
                  empty status line (\"Zero length SMTP status line\"); others keep the CR in the text.",
        causes: &[
            "server code emitting CR CR LF",
            "reply text taken from a file or database with stray carriage returns",
        ],
        fix: "Strip CR characters from reply texts and end lines with exactly one CR LF.",
        reference: "RFC 5321 §2.3.8",
        reproduce: "smtpdoctor demo bare-cr",
    },
    Entry {
        id: "reply-too-long",
        severity: Severity::Warning,
        title: "Reply line longer than 512 octets",
        meaning: "A reply line, counting the code and the CR LF, must fit in 512 octets. Longer lines are \
                  truncated or split by some clients, which can then read the remainder as the next \
                  reply and lose step.",
        causes: &[
            "long policy rejection texts with URLs and explanations on one line",
            "very long greeting banners",
        ],
        fix: "Shorten the text or spread it over a multi-line reply with the same code on each line.",
        reference: "RFC 5321 §4.5.3.1.5",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "reply-non-ascii",
        severity: Severity::Warning,
        title: "Reply contains non-ASCII bytes",
        meaning: "Reply text must be printable US-ASCII. Eight-bit bytes (localised banners in Latin-1 or \
                  UTF-8) are mangled in logs and bounce messages and have crashed older clients.",
        causes: &[
            "translated banner or rejection texts",
            "host or organisation names with accented letters in the greeting",
        ],
        fix: "Keep reply texts in ASCII; put translations on a web page linked from the text.",
        reference: "RFC 5321 §4.2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "reply-unsolicited",
        severity: Severity::Error,
        title: "The server sent bytes when no reply was due",
        meaning: "Data arrived while no command was waiting for an answer, or more replies arrived than \
                  commands were sent. Clients pair replies with commands in order, so an extra reply \
                  shifts every later answer onto the wrong command: recipients can appear accepted or \
                  rejected wrongly.",
        causes: &[
            "a proxy or load balancer sending its own 220 and then passing on the backend's 220",
            "a server answering one command twice",
            "an SMTP-inspecting firewall injecting replies",
        ],
        fix: "Capture the session (`-v`) to see which component adds the extra lines and remove the \
              duplicate greeting or reply.",
        reference: "RFC 5321 §4.2 (one reply per command)",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- EHLO
    Entry {
        id: "ehlo-fallback",
        severity: Severity::Warning,
        title: "EHLO refused, HELO accepted",
        meaning: "The server (or something in front of it) rejected EHLO but accepted HELO, so the session \
                  has no SMTP extensions: no STARTTLS (mail travels in clear text), no SIZE, no \
                  PIPELINING, no 8BITMIME, no DSN. Some senders do not fall back in the same session but \
                  disconnect and reconnect with HELO, doubling connections.",
        causes: &[
            "Cisco PIX/ASA SMTP inspection rewriting EHLO",
            "a very old MTA or an appliance without ESMTP",
            "ESMTP deliberately disabled on the server",
        ],
        fix: "Disable the firewall SMTP inspection (`no fixup protocol smtp 25`, `no inspect esmtp`) or \
              upgrade the MTA; every current MTA supports EHLO.",
        reference: "RFC 5321 §4.1.1.1, §3.2",
        reproduce: "smtpdoctor demo",
    },
    Entry {
        id: "ehlo-bad-failure-code",
        severity: Severity::Warning,
        title: "EHLO rejected with an unexpected reply code",
        meaning: "RFC 5321 lists 500, 501, 502 and 550 as the replies to an EHLO the server does not \
                  accept; after those, clients fall back to HELO in the same session. Other codes (a \
                  4xx other than 421, 554, 503) do not fit that rule: clients read them as a refusal of \
                  the whole session and defer or give up instead of falling back.",
        causes: &[
            "a server or filter rejecting EHLO by policy (bad HELO name checks answered at EHLO)",
            "a firewall answering the mangled command itself",
        ],
        fix: "Answer an unsupported EHLO with 500 or 502, and reject a bad HELO name with 550 or, \
              better, later at MAIL or RCPT.",
        reference: "RFC 5321 §4.1.4, §3.2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "helo-extended",
        severity: Severity::Error,
        title: "The HELO reply advertises extensions",
        meaning: "The reply to HELO was a multi-line list of extensions as if EHLO had been sent. HELO \
                  opens a plain SMTP session; extensions exist only after EHLO. A client that trusts the \
                  list may use PIPELINING or STARTTLS that were never negotiated, and clients that expect \
                  one line may lose step.",
        causes: &["server code treating HELO and EHLO alike"],
        fix: "Answer HELO with a single \"250 domain\" line; upgrade or patch the server.",
        reference: "RFC 5321 §4.1.1.1",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "ext-size-small",
        severity: Severity::Warning,
        title: "SIZE limit below 64 KB",
        meaning: "The SIZE extension announces the largest message the server takes. A limit under 64 KB \
                  rejects ordinary mail with a small attachment; senders that honour SIZE bounce such \
                  mail at once without trying. SIZE 0 means \"no fixed limit\" and is not flagged.",
        causes: &[
            "a unit mistake: Postfix `message_size_limit` is in bytes, so 10240 means 10 KB",
            "a test value left in production",
        ],
        fix: "Set a realistic limit: Postfix `message_size_limit = 52428800`, Exim \
              `message_size_limit = 50M`, Sendmail `define(`confMAX_MESSAGE_SIZE', `52428800')`, \
              Exchange `Set-TransportConfig -MaxReceiveSize 50MB`.",
        reference: "RFC 1870 §4; RFC 5321 §4.5.3.1.7",
        reproduce: "smtpdoctor probe example.com -v --quit-after ehlo",
    },
    Entry {
        id: "ext-enhancedcodes-malformed",
        severity: Severity::Warning,
        title: "ENHANCEDSTATUSCODES advertised but replies lack valid enhanced codes",
        meaning: "A server that advertises ENHANCEDSTATUSCODES promises a class.subject.detail code \
                  (such as 2.1.0) after the reply code of every reply except the greeting and the \
                  EHLO/HELO reply, with the class equal to the first digit. Missing or mismatched codes \
                  make senders classify failures wrongly in bounces and retry decisions.",
        causes: &[
            "custom reply texts without the enhanced code",
            "a filter or proxy rewriting replies",
        ],
        fix: "Either put a correct enhanced code in every reply or stop advertising the extension \
              (Postfix `smtpd_discard_ehlo_keywords = enhancedstatuscodes`).",
        reference: "RFC 2034 §3; RFC 3463 §2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "ext-enhancedcodes-mismatch",
        severity: Severity::Warning,
        title: "An enhanced status code does not fit the command it answers",
        meaning: "The server advertises ENHANCEDSTATUSCODES, and a positive reply carries a code whose \
                  subject or detail belongs to another command: `250 2.1.5` (\"Destination address \
                  valid\", a recipient's status) to MAIL, a sender's status (X.1.7, X.1.8) to RCPT, \
                  an address status to the final dot, a mailbox or content status to RSET or QUIT. \
                  RFC 3463 gives each subject a meaning (X.1 addressing, X.2 mailbox, X.3 mail \
                  system, X.4 network, X.5 protocol, X.6 content, X.7 policy); senders and log \
                  analysers that classify by code read the reply wrongly, and such codes usually mean \
                  a proxy or filter answers with canned replies out of step. Refusals are not judged: \
                  a refusal may rightly name any subject.",
        causes: &[
            "hand-written reply texts in a policy service, milter or filter with copied codes",
            "an SMTP proxy or anti-spam gateway that answers with fixed replies",
            "replies out of step: the reply meant for RCPT answers MAIL",
        ],
        fix: "Use the codes RFC 3463 and the IANA registry (RFC 5248) name for each reply: 2.1.0 for \
              an accepted sender, 2.1.5 for an accepted recipient, 2.0.0 (or 2.6.0) for an accepted \
              message, 2.0.0 for RSET, NOOP and QUIT. In Postfix, check `smtpd_*_restrictions` \
              actions and access maps with explicit `OK`/`REJECT` texts; or stop advertising the \
              extension (`smtpd_discard_ehlo_keywords = enhancedstatuscodes`).",
        reference: "RFC 3463 §3; RFC 5248 (IANA SMTP Enhanced Status Codes); RFC 2034 §3",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- STARTTLS / TLS
    Entry {
        id: "starttls-absent",
        severity: Severity::Warning,
        title: "STARTTLS is not offered",
        meaning: "The EHLO reply does not list STARTTLS, so mail to this server travels unencrypted. \
                  Senders that require TLS (MTA-STS in enforce mode, DANE, Postfix \
                  `smtp_tls_security_level = encrypt`) cannot deliver at all (Postfix: \"TLS is \
                  required, but was not offered by host\").",
        causes: &[
            "TLS never configured, or the certificate and key missing",
            "a firewall stripping STARTTLS from the EHLO reply (Cisco ESMTP inspection)",
            "an active attacker removing STARTTLS (a downgrade)",
        ],
        fix: "Postfix: `smtpd_tls_cert_file`, `smtpd_tls_key_file`, `smtpd_tls_security_level = may`. \
              Exim: `tls_certificate`, `tls_privatekey`, `tls_advertise_hosts = *`. Sendmail: \
              `confSERVER_CERT`, `confSERVER_KEY`. Exchange: `Enable-ExchangeCertificate -Services SMTP`. \
              Disable SMTP inspection on firewalls in the path.",
        reference: "RFC 3207 §4",
        reproduce: "smtpdoctor probe example.com -v --starttls require",
    },
    Entry {
        id: "starttls-required",
        severity: Severity::Error,
        title: "A public MX refuses mail without TLS",
        meaning: "The server answered MAIL with an order to start TLS first (e.g. \"530 5.7.0 Must issue \
                  a STARTTLS command first\"). RFC 3207 forbids a publicly referenced MX from requiring \
                  TLS, because senders without TLS, or whose TLS fails, can then not deliver at all.",
        causes: &[
            "Postfix `smtpd_tls_security_level = encrypt` applied to port 25 instead of only the submission port",
            "an Exchange receive connector with RequireTLS on the Internet-facing connector",
        ],
        fix: "Use `smtpd_tls_security_level = may` for port 25 and keep `encrypt` on 587 (in master.cf \
              `-o smtpd_tls_security_level=encrypt`). To ask senders for TLS, publish MTA-STS or DANE \
              instead.",
        reference: "RFC 3207 §4",
        reproduce: "smtpdoctor probe example.com -v --starttls never",
    },
    Entry {
        id: "starttls-454",
        severity: Severity::Warning,
        title: "STARTTLS answered with 454 (TLS not available)",
        meaning: "The server advertises STARTTLS but refuses it when asked. Opportunistic senders carry on \
                  in clear text; senders that require TLS defer the mail. Typical texts: Postfix \"454 \
                  4.7.0 TLS not available due to local problem\", Messaging Server \"454 4.7.1 TLS \
                  library initialization failure\".",
        causes: &[
            "the private key or certificate unreadable by the SMTP process (permissions, wrong path, passphrase-protected key)",
            "Messaging Server: certificates installed for POP/IMAP but not usable by the SMTP dispatcher, or the dispatcher not restarted after installing them",
            "a certificate and key that do not belong together",
        ],
        fix: "Read the server log just before the 454 (Postfix logs \"cannot get RSA private key\" or \
              similar). Fix the file permissions and paths; for Messaging Server install the \
              certificates, then `stop-msg dispatcher` and `start-msg dispatcher`.",
        reference: "RFC 3207 §4",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    Entry {
        id: "starttls-stall",
        severity: Severity::Warning,
        title: "The TLS handshake hangs after 220 Ready to start TLS",
        meaning: "STARTTLS was accepted but the handshake never finished. The classic cause is a path-MTU \
                  black hole: the server's certificate chain needs full-size packets, a link on the way \
                  has a smaller MTU, and the ICMP \"fragmentation needed\" messages that would announce \
                  it are blocked, so the large packets vanish. Small exchanges (greeting, EHLO) work and \
                  the session hangs at the first big one.",
        causes: &[
            "ICMP blocked by a firewall together with a smaller MTU on the path (PPPoE, VPN, tunnels)",
            "an SMTP-inspecting firewall that cannot follow the switch to TLS",
            "an IPS dropping the handshake",
        ],
        fix: "Allow ICMP type 3 code 4 (IPv4) and ICMPv6 Packet Too Big through firewalls, clamp the TCP \
              MSS on the router (`iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j \
              TCPMSS --clamp-mss-to-pmtu`) or lower the server interface MTU; disable SMTP inspection.",
        reference: "RFC 1191, RFC 8201 (path MTU discovery); RFC 3207 §4",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls --timeout 30s",
    },
    Entry {
        id: "starttls-post-state",
        severity: Severity::Error,
        title: "STARTTLS still advertised after TLS is up",
        meaning: "After the TLS handshake both sides must forget what they learnt in clear text, and the \
                  EHLO reply inside TLS must not offer STARTTLS again. Offering it shows that the server \
                  did not reset its session state, the same class of bug that lets injected plaintext \
                  commands survive into the encrypted session.",
        causes: &["server software that does not reset the SMTP state after the TLS handshake"],
        fix: "Upgrade the MTA or the TLS proxy in front of it.",
        reference: "RFC 3207 §4.2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "starttls-resp-injection",
        severity: Severity::Warning,
        title: "Extra plaintext bytes followed the STARTTLS 220",
        meaning: "After \"220 Ready to start TLS\" the next bytes must be the TLS handshake. Here more \
                  plaintext came first. A client that keeps those bytes in its buffer would read them as \
                  replies received over TLS, so an attacker in the path could forge answers inside the \
                  encrypted session (response injection, the mirror image of CVE-2011-0411).",
        causes: &[
            "a server or middlebox writing an extra line after the 220",
            "an active attacker injecting data",
        ],
        fix: "Find and fix the component that writes after the 220; clients must discard any buffered \
              plaintext when the handshake starts.",
        reference: "RFC 3207 §4.2; \"NO STARTTLS\" (USENIX Security 2021)",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    Entry {
        id: "tls-handshake-failed",
        severity: Severity::Error,
        title: "The TLS handshake failed",
        meaning: "STARTTLS was accepted but client and server could not agree on a TLS session. \
                  Opportunistic senders may retry in clear text, or defer; senders requiring TLS defer \
                  (Postfix: \"Cannot start TLS: handshake failure\", Exim: \"TLS session: \
                  (SSL_connect): ...\", Exchange: \"TLS negotiation failed with error ...\").",
        causes: &[
            "the server offers only TLS 1.0/1.1 or obsolete ciphers, which current senders refuse",
            "a certificate whose key does not match, or an incomplete TLS configuration",
            "a middlebox interfering with the handshake",
        ],
        fix: "Enable TLS 1.2 and 1.3 with current ciphers (Postfix `smtpd_tls_protocols = >=TLSv1.2` on \
              Postfix 3.6+, or `!SSLv2, !SSLv3, !TLSv1, !TLSv1.1`), then test with \
              `openssl s_client -starttls smtp -connect mx.example.com:25`.",
        reference: "RFC 3207 §4; RFC 8996",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    Entry {
        id: "tls-cert-expired",
        severity: Severity::Error,
        title: "The server certificate has expired (or is not yet valid)",
        meaning: "The certificate's validity period does not include the current time. Opportunistic \
                  senders still deliver, but senders that verify certificates (MTA-STS, DANE-TA, \
                  `smtp_tls_security_level = verify`) defer the mail (Postfix: \"Server certificate not \
                  verified\").",
        causes: &[
            "automatic renewal failed or the renewed certificate was never loaded",
            "the server's clock is wrong",
        ],
        fix: "Renew the certificate and reload the MTA (`postfix reload`; Exchange \
              `Enable-ExchangeCertificate -Services SMTP`); check the renewal job and the clock.",
        reference: "RFC 5280 §4.1.2.5; RFC 8461 §4.2",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    Entry {
        id: "tls-cert-expiring",
        severity: Severity::Warning,
        title: "The server certificate expires soon",
        meaning: "The certificate is still valid but expires within the `--cert-warn` window (14 days by \
                  default). Once it expires, verifying senders stop delivering.",
        causes: &["automatic renewal not set up or failing silently"],
        fix: "Renew now and make sure the MTA reloads the new certificate after each renewal (a certbot \
              deploy hook running `postfix reload`, for example).",
        reference: "RFC 5280 §4.1.2.5",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls --cert-warn 30d",
    },
    Entry {
        id: "tls-cert-name-mismatch",
        severity: Severity::Warning,
        title: "The certificate does not cover the MX host name",
        meaning: "None of the certificate's names (SANs) matches the MX host name smtpdoctor connected to. \
                  MTA-STS senders check exactly that name and refuse delivery; opportunistic senders do \
                  not care.",
        causes: &[
            "a certificate issued for the web site or the bare domain instead of the MX host",
            "a new MX host name added without reissuing the certificate",
        ],
        fix: "Issue a certificate whose SANs include every MX host name (`mx1.example.com`, \
              `mx2.example.com`) and configure it for SMTP.",
        reference: "RFC 6125 §6; RFC 8461 §4.2",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    Entry {
        id: "tls-cert-untrusted",
        severity: Severity::Warning,
        title: "The certificate chain is not trusted",
        meaning: "The chain does not lead to a trust anchor (the public roots, plus any `--ca-file`). \
                  The detail says why, in the verifier's terms: self-signed (the certificate is its \
                  own issuer), unknown issuer (a private CA, or an intermediate missing from the \
                  chain), a CA certificate used as the server's own (basicConstraints CA:TRUE on a \
                  certificate that is not itself a trust anchor), an issuer that is not a CA, a bad \
                  signature, an unsupported signature algorithm or a certificate not meant for TLS \
                  servers. Verifying senders (MTA-STS, DANE-TA, Postfix `smtp_tls_security_level = \
                  verify`) refuse delivery; others encrypt without authentication. A certificate \
                  given with `--ca-file` is trusted as the server's own, as OpenSSL and \
                  posttls-finger trust it, whatever its basicConstraints.",
        causes: &[
            "a self-signed certificate (`openssl req -x509`, the distribution's snakeoil certificate) on a public MX",
            "only the leaf certificate configured, without the intermediates (use the full chain file)",
            "a certificate from an internal CA that senders do not know",
            "the CA certificate itself configured as the server certificate",
            "a chain file that mixes certificates of different issuers, or SHA-1 signatures",
        ],
        fix: "By cause, as the detail names it. Self-signed: use a certificate from a public CA \
              (Let's Encrypt) on a public MX, or give the senders that must trust it the certificate \
              as a trust anchor (Postfix `smtp_tls_CAfile`; to check it here, `--ca-file cert.pem`), \
              or publish a DANE-EE TLSA record for it. Unknown issuer: serve the full chain \
              (`fullchain.pem` from certbot; Postfix `smtpd_tls_chain_files`, or a cert file that \
              contains the intermediates); for a private CA, give senders the CA certificate. CA \
              certificate as server certificate: issue the server its own certificate \
              (basicConstraints CA:FALSE, extended key usage serverAuth) signed by the CA. Issuer not \
              a CA or bad signature: rebuild the chain file from the CA's current intermediates, \
              server certificate first. Unsupported algorithm or wrong purpose: reissue with SHA-256 \
              and extended key usage serverAuth. Check with `openssl s_client -starttls smtp \
              -connect mx.example.com:25 -showcerts`.",
        reference: "RFC 5280 §4.2.1.9, §6; RFC 6125; RFC 8461 §4.2; RFC 7672 §3.1",
        reproduce: "smtpdoctor probe example.com -v --quit-after tls",
    },
    // ---------------------------------------------------------------- Envelope
    Entry {
        id: "mail-rejected",
        severity: Severity::Error,
        title: "MAIL FROM was refused (5xx)",
        meaning: "The server permanently refused the reverse-path. By default smtpdoctor sends the null \
                  reverse-path `<>`, which every MX must accept because bounces and delivery reports use \
                  it. Refusing it loses bounces and makes sender-verification callouts from other sites \
                  fail for this domain.",
        causes: &[
            "an anti-spam rule that rejects the empty sender",
            "the client address blocklisted and rejected at MAIL",
            "with `--from`: SPF or sender-domain checks failing for that address",
        ],
        fix: "Accept `<>` as a sender. Look up the rule named in the reply text and exempt the null \
              sender from it.",
        reference: "RFC 5321 §4.5.5, §3.3",
        reproduce: "smtpdoctor probe example.com -v --quit-after mail",
    },
    Entry {
        id: "mail-deferred",
        severity: Severity::Warning,
        title: "MAIL FROM was temporarily refused (4xx)",
        meaning: "The server asked to try again later at the MAIL stage. Senders retry, so mail is \
                  delayed; if the condition persists mail bounces when its queue lifetime ends.",
        causes: &[
            "sender-domain checks failing on DNS (Postfix `reject_unknown_sender_domain`: \"450 4.1.8 ... Sender address rejected: Domain not found\")",
            "rate limits or greylisting applied at MAIL",
            "lack of disk space on the server (\"452 4.3.1 Insufficient system storage\")",
        ],
        fix: "Read the reply text; fix the server's DNS resolution or free queue space; raise rate limits \
              for legitimate senders.",
        reference: "RFC 5321 §3.3, §4.2.1",
        reproduce: "smtpdoctor probe example.com -v --quit-after mail",
    },
    Entry {
        id: "rcpt-rejected",
        severity: Severity::Error,
        title: "RCPT TO was refused (5xx)",
        meaning: "The server permanently refused the recipient. Senders bounce the message for that \
                  address at once.",
        causes: &[
            "unknown user (\"550 5.1.1 ... User unknown\")",
            "the domain is not handled here: relay denied (\"554 5.7.1 ... Relay access denied\"), often a stale MX or a domain missing from Postfix `mydestination`, `virtual_mailbox_domains` or `relay_domains`",
            "a policy or blocklist rejection applied at RCPT",
        ],
        fix: "Read the reply: add the domain to the server's local or relay domains, create the mailbox \
              or alias, or adjust the policy that fired.",
        reference: "RFC 5321 §3.3, §4.2.2",
        reproduce: "smtpdoctor probe user@example.com -v",
    },
    Entry {
        id: "rcpt-deferred",
        severity: Severity::Warning,
        title: "RCPT TO was temporarily refused (4xx)",
        meaning: "The server asked to try this recipient again later, for a reason that does not look like \
                  greylisting. Senders retry; persistent 4xx replies delay mail for days and end in a \
                  bounce.",
        causes: &[
            "recipient verification against a backend that is down (Postfix: \"450 4.1.1 ... Recipient address rejected: unverified address\")",
            "a policy service or milter timing out (\"451 4.3.5 Server configuration problem\")",
            "mailbox over quota (\"452 4.2.2\") or too many recipients (\"452 4.5.3\")",
        ],
        fix: "Read the reply text and the server log at that time; repair the backend or policy service.",
        reference: "RFC 5321 §3.3, §4.2.1",
        reproduce: "smtpdoctor probe user@example.com -v",
    },
    Entry {
        id: "postmaster-rejected",
        severity: Severity::Error,
        title: "The postmaster address was refused",
        meaning: "Every domain that accepts mail must accept mail for \"postmaster\" (in any letter case); \
                  it is how other administrators report problems. Rejecting it cuts off that channel and \
                  fails postmaster-based checks by other sites.",
        causes: &[
            "no postmaster alias for the domain (virtual domains need their own postmaster@domain)",
            "blocklist or spam rules applied before any postmaster exemption",
        ],
        fix: "Add an alias (`postmaster: root` in /etc/aliases and `postmaster@example.com` in Postfix \
              `virtual_alias_maps` for virtual domains) and exempt it from restrictions that precede it.",
        reference: "RFC 5321 §4.5.1",
        reproduce: "smtpdoctor probe postmaster@example.com -v",
    },
    Entry {
        id: "greylisted",
        severity: Severity::Info,
        title: "Temporary refusal recognised as greylisting",
        meaning: "A 4xx reply whose text identifies greylisting: the server refuses the first attempt from \
                  an unknown client/sender/recipient combination and accepts a retry after a few \
                  minutes. Recognised wordings (case-insensitive substrings of the reply): \"greylist\", \
                  \"graylist\", \"grey-list\", \"gray-list\", \"grey list\", \"gray list\", \"postgrey\"; \
                  for example Postgrey's \"450 4.2.0 <user@example.com>: Recipient address rejected: \
                  Greylisted, see http://postgrey.schweikert.ch/help/example.com.html\" and \
                  milter-greylist's and SQLgrey's \"451 4.7.1 Greylisting in action, please come back \
                  later\". A single probe cannot see past it; repeat the probe after the delay.",
        causes: &[
            "greylisting enabled on the server (Postgrey, SQLgrey, milter-greylist, rspamd, Exim greylistd)",
        ],
        fix: "Nothing is broken. If large senders that retry from other addresses (Microsoft, Google) are \
              delayed for hours, allowlist their networks (Postgrey `/etc/postgrey/whitelist_clients`) \
              or use SPF-based allowlisting.",
        reference: "RFC 6647",
        reproduce: "smtpdoctor probe user@example.com -v",
    },
    Entry {
        id: "postscreen-after-tests",
        severity: Severity::Info,
        title: "Postfix postscreen deferral after its protocol tests (450 4.3.2)",
        meaning: "The RCPT reply was \"450 4.3.2 Service currently unavailable\" from Postfix postscreen. \
                  With its after-greeting tests enabled (`postscreen_pipelining_enable`, \
                  `postscreen_non_smtp_command_enable`, `postscreen_bare_newline_enable`), postscreen \
                  talks to a new client itself and cannot hand that connection over to the real SMTP \
                  server; a client that passed is told to come back, and its next connection from the \
                  same address goes straight through. The effect is a greylisting-like delay for \
                  first-time senders.",
        causes: &[
            "postscreen deep protocol tests enabled for clients not yet on its temporary allowlist",
        ],
        fix: "Expected behaviour. To avoid the delay, disable the after-greeting tests or allowlist large \
              senders that retry from changing addresses (`postscreen_access_list`).",
        reference: "Postfix POSTSCREEN_README (tests after the 220 greeting)",
        reproduce: "smtpdoctor probe example.com -v",
    },
    Entry {
        id: "starttls-policy-failed",
        severity: Severity::Error,
        title: "TLS was required (--starttls require) but not achieved",
        meaning: "smtpdoctor was told to require TLS and the server did not offer it, refused it or the \
                  handshake failed, so the dialogue stopped. That is what a sender with mandatory TLS \
                  (MTA-STS enforce, DANE, Postfix `smtp_tls_security_level = encrypt`, Exim \
                  `hosts_require_tls`, an Exchange send connector with RequireTLS) experiences: the mail \
                  stays queued.",
        causes: &[
            "STARTTLS not advertised (see starttls-absent)",
            "STARTTLS refused with 454 (see starttls-454)",
            "the handshake failed or hung (see tls-handshake-failed, starttls-stall)",
        ],
        fix: "Fix the underlying TLS finding reported in the same probe.",
        reference: "RFC 3207 §4; RFC 8461 §5",
        reproduce: "smtpdoctor probe example.com -v --starttls require",
    },
    Entry {
        id: "reply-slow",
        severity: Severity::Warning,
        title: "A reply was slower than the --slow threshold",
        meaning: "A command took longer to answer than the threshold (5 s by default). Each slow reply \
                  lengthens every delivery, and clients with short timeouts (application libraries, \
                  appliances) give up. Slowness is usually time spent waiting on DNS or a policy service.",
        causes: &[
            "blocklist, SPF or reverse-DNS lookups with a slow resolver",
            "policy daemons, milters or recipient-verification callouts answering slowly",
            "deliberate tarpitting (Exim `smtp_delay`, Postfix `smtpd_error_sleep_time` after errors)",
            "an overloaded server",
        ],
        fix: "Run a local caching resolver, give policy services and milters short timeouts, and check \
              the server's load.",
        reference: "RFC 5321 §4.5.3.2",
        reproduce: "smtpdoctor probe example.com -v --slow 2s",
    },
    Entry {
        id: "timing-rfc-exceeded",
        severity: Severity::Warning,
        title: "A reply came after the RFC 5321 minimum timeout of its stage",
        meaning: "RFC 5321 gives minimum client timeouts per stage: 5 minutes for the greeting, 5 for \
                  MAIL, 5 for RCPT, 2 for the 354 reply to DATA, 3 per data block and 10 after the final \
                  dot. A reply later than that would have been abandoned by an MTA that uses the minimum \
                  (Postfix's defaults: `smtp_helo_timeout` 300s, `smtp_mail_timeout` 300s, \
                  `smtp_rcpt_timeout` 300s, `smtp_data_init_timeout` 120s, `smtp_data_xfer_timeout` \
                  180s, `smtp_data_done_timeout` 600s).",
        causes: &[
            "the same causes as reply-slow, in a more extreme form",
            "a hung filter or resolver on the server",
        ],
        fix: "Find what the server waits on at that stage (log timestamps, policy services, content \
              filters) and make it answer well within the limit.",
        reference: "RFC 5321 §4.5.3.2",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- DATA
    Entry {
        id: "data-rejected",
        severity: Severity::Error,
        title: "DATA or the message was refused",
        meaning: "The server refused the DATA command or, after the final dot, the message itself. \
                  Senders bounce the message.",
        causes: &[
            "no valid recipients left (\"554 5.5.1 Error: no valid recipients\")",
            "content filtering: spam or virus verdicts, DMARC rejection",
            "message larger than the server's limit (\"552 5.3.4\")",
        ],
        fix: "Read the reply text and the server's content filter logs; adjust the filter or the size \
              limit.",
        reference: "RFC 5321 §4.1.1.4, §3.3",
        reproduce: "smtpdoctor probe you@example.com -v --data",
    },
    Entry {
        id: "data-not-sent",
        severity: Severity::Error,
        title: "The message could not be sent as it is",
        meaning: "smtpdoctor did not send the message it was asked to send (or dropped the \
                  connection without the final dot, so that the server discards the partial \
                  message), because the server would not have taken it as it is: it is larger than \
                  the SIZE the server advertises (RFC 1870), it has 8-bit bytes and the server does \
                  not advertise 8BITMIME (RFC 6152), it has a line longer than 998 octets (RFC 5321 \
                  §4.5.3.1.6), or the content could not be read. A real MTA bounces such a message \
                  or converts it first.",
        causes: &[
            "a message over the server's size limit (Postfix `message_size_limit`, Exim `message_size_limit`)",
            "binary or 8-bit content without MIME encoding for a server without 8BITMIME",
            "generated content with very long lines (HTML, base64 without line breaks)",
            "an unreadable --body file or a broken pipe on stdin",
        ],
        fix: "Send a smaller message or raise the server's limit; encode 8-bit content \
              (quoted-printable or base64) or enable 8BITMIME on the server; wrap lines at 998 \
              octets or encode the content.",
        reference: "RFC 1870 §6; RFC 6152 §3; RFC 5321 §4.5.3.1.6",
        reproduce: "smtpdoctor demo size-limit",
    },
    Entry {
        id: "reply-timeout",
        severity: Severity::Error,
        title: "No reply to a command before the timeout",
        meaning: "The server accepted the connection and answered earlier commands, then did not \
                  answer this one (EHLO, MAIL, RCPT, DATA or RSET) before the wait ran out. A sender \
                  gives up after the RFC 5321 §4.5.3.2 minimum (5 minutes for MAIL and RCPT, 2 for \
                  DATA), drops the connection and tries again later: mail is delayed, then bounced.",
        causes: &[
            "a slow before-queue check (DNS lookups of a blocklist or a policy service that does not answer)",
            "a milter or policy daemon that hangs",
            "tarpitting of a client the server considers suspicious",
            "a firewall or SMTP fixup that swallows the command",
        ],
        fix: "Find what the server waits for at that command (its logs show the stalled lookup or \
              policy service); give lookups short timeouts; check SMTP inspection on firewalls.",
        reference: "RFC 5321 §4.5.3.2",
        reproduce: "smtpdoctor demo no-354",
    },
    Entry {
        id: "dot-slow",
        severity: Severity::Warning,
        title: "The reply to the final dot was slow",
        meaning: "After the whole message was sent, the server took longer than `--dot-slow` (60 s by \
                  default) to answer. Processing at the dot (spam and virus scanning, milters, \
                  before-queue filters) is where servers spend time. RFC 5321 lets the client wait 10 \
                  minutes, but many wait less; a sender that gives up after the server accepted the \
                  message sends it again, and the recipient gets duplicates.",
        causes: &[
            "slow content filters, milters or before-queue proxies (Postfix `smtpd_proxy_filter`)",
            "scanners doing network lookups per message",
            "an overloaded server or slow queue disk",
        ],
        fix: "Speed up or time-limit the filters (Postfix `milter_content_timeout`), move heavy scanning \
              after the queue (Postfix `content_filter` instead of `smtpd_proxy_filter`), and aim for \
              well under a minute.",
        reference: "RFC 5321 §4.5.3.2.6; RFC 1047",
        reproduce: "smtpdoctor probe you@example.com -v --data",
    },
    Entry {
        id: "dot-timeout",
        severity: Severity::Error,
        title: "No reply to the final dot in time",
        meaning: "The message was transmitted completely, but no answer to the final dot arrived before \
                  the timeout. This is the classic \"response to dot-stuffed message expected\" of \
                  PMDF/Messaging Server, Postfix's \"timed out while sending end of data -- message may \
                  be sent more than once\", Exim's \"SMTP timeout after end of data\". The sender cannot \
                  know whether the server kept the message, so it retries and duplicates are likely.",
        causes: &[
            "very slow processing after the dot (see dot-slow)",
            "a firewall or NAT idle timer dropping the connection while the server is still working",
            "a path-MTU black hole losing the large data packets, so the dot never arrives",
            "the server hung",
        ],
        fix: "Make post-DATA processing faster; raise firewall idle timeouts above 10 minutes; fix PMTU \
              (allow ICMP fragmentation-needed, clamp MSS). As a sender, give such a destination more \
              time on a separate transport (Postfix `smtp_data_done_timeout`, PMDF a dedicated channel \
              with a larger `STATUS_DATA_RECEIVE_TIME`).",
        reference: "RFC 5321 §4.5.3.2.6 (10 minutes); RFC 1047",
        reproduce: "smtpdoctor demo dot-slow",
    },
    Entry {
        id: "data-keepalive-lines",
        severity: Severity::Info,
        title: "Continuation lines trickled out while the server processed the message",
        meaning: "During a long wait after the dot, the server sent continuation lines (\"250-...\") one \
                  by one to keep the client from timing out, and the final line later. That is valid \
                  SMTP and works with most clients, but legacy clients act on the first line, and the \
                  trick only works if every line carries the final code.",
        causes: &["a server designed to keep senders waiting during slow content processing"],
        fix: "No fix needed; faster processing makes it unnecessary. Make sure every continuation line \
              uses the final reply code.",
        reference: "RFC 5321 §4.2.1, §4.5.3.2.6",
        reproduce: "smtpdoctor probe you@example.com -v --data",
    },
    Entry {
        id: "quit-no-221",
        severity: Severity::Warning,
        title: "QUIT was not answered with 221",
        meaning: "The server must answer QUIT with 221 and then close. Closing without the reply makes \
                  clients log an error after an otherwise successful session, and some count the \
                  transaction as failed.",
        causes: &[
            "a server that closes immediately on QUIT",
            "a firewall cutting the connection",
        ],
        fix: "Send \"221 2.0.0 Bye\" before closing.",
        reference: "RFC 5321 §4.1.1.10",
        reproduce: "smtpdoctor probe example.com -v",
    },
    // ---------------------------------------------------------------- Active tests
    Entry {
        id: "pregreet-tolerated",
        severity: Severity::Info,
        title: "The server accepted a client that spoke before the greeting",
        meaning: "smtpdoctor sent EHLO before the server's 220 (or between a \"220-\" teaser and the final \
                  line) and the server processed it normally. A correct client always waits for the \
                  greeting; talking early is a hallmark of spam software, so a tolerant server gives up \
                  a cheap and reliable spam signal.",
        causes: &[
            "no greeting-time protocol check configured (Postfix without postscreen, Sendmail without greet_pause)",
            "Exim's early pipelining (PIPECONNECT) allowed for the client by `pipelining_connect_advertise_hosts`, \
             which is deliberate for clients that cached its PIPE_CONNECT (X_PIPE_CONNECT) keyword",
        ],
        fix: "Postfix: enable postscreen with `postscreen_greet_action = enforce`. Exim: early \
              talkers are accepted on purpose from the hosts in `pipelining_connect_advertise_hosts` \
              (PIPECONNECT, early pipelining; default `*` where Exim is built with it): set it to the \
              hosts that may pipeline before the banner, or to nothing (`pipelining_connect_advertise_hosts \
              =`), and Exim drops the others (\"SMTP protocol synchronization error (input sent \
              without waiting for greeting)\"); a short `delay` in `acl_smtp_connect` widens the \
              window. Sendmail: `FEATURE(`greet_pause', `5000')`.",
        reference: "RFC 5321 §3.1, §4.3.1; draft-harris-early-pipe (PIPE_CONNECT); Postfix POSTSCREEN_README",
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
    },
    Entry {
        id: "pregreet-enforced",
        severity: Severity::Info,
        title: "The server rejected a client that spoke before the greeting",
        meaning: "The server noticed the early EHLO and refused the session, as intended against spam \
                  software. Its log names it: postscreen \"PREGREET 11 after 0.2 from \
                  [192.0.2.1]:54321: EHLO ...\", Exim \"SMTP protocol synchronization error (input sent \
                  without waiting for greeting)\", Sendmail \"rejecting commands from ... due to \
                  pre-greeting traffic\". Only a problem if legitimate clients are caught, typically \
                  ones that treat each TCP read as a whole reply.",
        causes: &[
            "greeting-time protocol enforcement (postscreen, greet_pause, Exim connect ACL delay)",
        ],
        fix: "Nothing to fix. Allowlist legitimate clients that are caught.",
        reference: "RFC 5321 §4.3.1; Postfix POSTSCREEN_README",
        reproduce: "smtpdoctor probe example.com -v --test pregreet",
    },
    Entry {
        id: "pipelining-unauth-accepted",
        severity: Severity::Warning,
        title: "Pipelined commands accepted without PIPELINING being advertised",
        meaning: "smtpdoctor sent several commands in one write although the server had not advertised \
                  PIPELINING, and the server answered them all. Spam software pipelines whole \
                  transactions and ignores the replies, so accepting unannounced pipelining lets it \
                  through and ties up server processes. Strict servers reject it: Postfix logs \
                  \"improper command pipelining after ...\", Exim \"SMTP protocol synchronization error \
                  (next input sent too soon: pipelining was not advertised)\".",
        causes: &["no check for commands that arrive before the previous reply was sent"],
        fix: "Postfix 3.9 and later reject it by default (`smtpd_forbid_unauth_pipelining = yes`); on \
              older versions add `reject_unauth_pipelining` to `smtpd_data_restrictions`. Exim enforces \
              synchronisation by default unless `smtp_enforce_sync = false`.",
        reference: "RFC 2920 §3.1",
        reproduce: "smtpdoctor probe example.com -v --test pipelining",
    },
    Entry {
        id: "pipelining-broken",
        severity: Severity::Error,
        title: "PIPELINING is advertised but pipelined commands fail",
        meaning: "The server advertises PIPELINING, but when several commands arrive in one write \
                  (smtpdoctor sends MAIL, RCPT, RCPT and NOOP; MTAs send MAIL, RCPT and DATA), \
                  replies go missing, come out of order or the connection drops. Postfix, Exim and \
                  Exchange pipeline whenever it is advertised, so their mail gets stuck.",
        causes: &[
            "an SMTP-inspecting firewall or anti-virus proxy that handles one command per packet",
            "server code that reads one packet per command and discards the rest of the buffer",
        ],
        fix: "Fix or remove the middlebox, or stop advertising the extension: Postfix \
              `smtpd_discard_ehlo_keywords = pipelining`, Exim `pipelining_advertise_hosts =` (empty), \
              Exchange `Set-ReceiveConnector -PipeliningEnabled $false`.",
        reference: "RFC 2920 §3.1, §3.2",
        reproduce: "smtpdoctor probe example.com -v --test pipelining",
    },
    Entry {
        id: "starttls-cmd-injection",
        severity: Severity::Error,
        title: "Commands sent along with STARTTLS were executed inside TLS (CVE-2011-0411)",
        meaning: "smtpdoctor wrote \"STARTTLS\\r\\nNOOP\\r\\n\" in one go; the server answered the NOOP \
                  after the TLS handshake. It kept plaintext bytes received before TLS and executed them \
                  as if they had come encrypted, so an attacker in the path can inject commands into a \
                  protected session.",
        causes: &[
            "an MTA release with the STARTTLS plaintext buffering flaw (Postfix before 2.8 and several other MTAs of that era)",
        ],
        fix: "Upgrade the MTA (for Postfix: 2.8 or later, or 2.7.3, 2.6.9, 2.5.12, 2.4.16 on the older \
              branches). The server must discard its input buffer when TLS starts.",
        reference: "CVE-2011-0411; RFC 3207 §4.2",
        reproduce: "smtpdoctor probe example.com -v --test starttls-injection",
    },
    Entry {
        id: "smuggle-eod-accepted",
        severity: Severity::Error,
        title: "A non-standard end-of-data sequence was accepted (SMTP smuggling)",
        meaning: "The server ended the message at a sequence other than CR LF . CR LF (such as LF . LF or \
                  LF . CR LF). When an outbound server passes such a sequence through unchanged, an \
                  attacker can hide a second message, with a forged sender that passes SPF, inside the \
                  first one.",
        causes: &[
            "Postfix without `smtpd_forbid_bare_newline` (CVE-2023-51764)",
            "Sendmail before 8.18 (CVE-2023-51765)",
            "Exim before 4.97.1 (CVE-2023-51766)",
        ],
        fix: "Postfix: `smtpd_forbid_bare_newline = yes` (3.8.4, 3.7.9, 3.6.13, 3.5.23 or later; 3.9 \
              normalises by default) and `smtpd_data_restrictions = reject_unauth_pipelining`. \
              Sendmail: 8.18 and the `o` option in `srv_features`. Exim: 4.97.1 or later.",
        reference: "CVE-2023-51764, CVE-2023-51765, CVE-2023-51766; RFC 5321 §2.3.8, §4.1.1.4",
        reproduce: "smtpdoctor probe you@example.com -v --test smuggling --to you@example.com",
    },
    Entry {
        id: "bare-lf-accepted",
        severity: Severity::Info,
        title: "A command ended by a bare LF was accepted",
        meaning: "The server took a command (\"RSET\") followed by LF alone as complete. CR LF is the only \
                  line ending SMTP defines; accepting a bare LF is the leniency that SMTP smuggling \
                  builds on, though many servers still allow it for broken clients.",
        causes: &["default leniency toward clients that send Unix line endings"],
        fix: "Postfix: `smtpd_forbid_bare_newline = yes` (the rejection reads \"Error: bare <LF> \
              received\"), with `smtpd_forbid_bare_newline_exclusions = $mynetworks` for local broken \
              clients. Sendmail 8.18: `srv_features` option `g`.",
        reference: "RFC 5321 §2.3.8",
        reproduce: "smtpdoctor probe example.com -v --test bare-lf",
    },
    Entry {
        id: "close-on-unknown",
        severity: Severity::Warning,
        title: "The server dropped the connection after an unknown command",
        meaning: "An unrecognised command should be answered with 500 (or 502) and the session should go \
                  on. Dropping the connection instead breaks clients that probe for optional commands, \
                  and the sender sees a lost connection rather than an answer.",
        causes: &[
            "postscreen `postscreen_non_smtp_command_action = drop`, for verbs listed in `postscreen_forbidden_commands`",
            "a firewall or anti-spam proxy that closes on commands outside its allowlist",
        ],
        fix: "Answer unknown commands with \"500 5.5.2 Error: command not recognized\"; in postscreen use \
              `enforce` rather than `drop` for SMTP-looking commands.",
        reference: "RFC 5321 §4.2.4, §3.8",
        reproduce: "smtpdoctor probe example.com -v --test unknown-command",
    },
    Entry {
        id: "open-relay",
        severity: Severity::Error,
        title: "The server relays mail to foreign domains (open relay)",
        meaning: "An unauthenticated client from outside got a recipient in a foreign domain accepted, \
                  directly or through an old addressing trick: the percent hack \
                  (`user%foreign.example@target`), a bang path (`foreign.example!user@target`) or a \
                  quoted local part (`\"user@foreign.example\"@target`). Spammers find open relays within \
                  hours and the server's address lands on blocklists.",
        causes: &[
            "`mynetworks` or the relay ACL covering far more than the local networks",
            "Sendmail `FEATURE(`promiscuous_relay')` or `FEATURE(`loose_relay_check')` (percent hack)",
            "an Exchange receive connector granting anonymous users `ms-Exch-SMTP-Accept-Any-Recipient`",
            "a gateway that rewrites percent or bang addresses before checking relay rights",
        ],
        fix: "Postfix: `smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, \
              defer_unauth_destination` and a tight `mynetworks`. Exim: restrict `relay_from_hosts`. \
              Sendmail: remove the relay features above. Exchange: remove the anonymous relay \
              permission from the Internet-facing connector. Then test again.",
        reference: "RFC 5321 §3.6; RFC 2505 §2",
        reproduce: "smtpdoctor probe example.com -v --test relay",
    },
    Entry {
        id: "relay-forms-unjudged",
        severity: Severity::Info,
        title: "Relay tricks accepted by a catch-all server cannot be judged without delivery",
        meaning: "Before its relay forms, the relay test sends RCPT to a local part that cannot exist at \
                  the local domain. This server accepted it (or only deferred it): it takes any local \
                  part (a catch-all, or no recipient check at RCPT time). The percent hack (`user%foreign.example@target`), \
                  the bang path (`foreign.example!user@target`) and the quoted local part \
                  (`\"user@foreign.example\"@target`) all name the local domain, so a catch-all \
                  accepts them as local addresses and delivers them to its catch-all mailbox: their \
                  acceptance proves no relaying. A foreign domain or a source route accepted is still \
                  `open-relay`.",
        causes: &[
            "a catch-all address for the domain (Postfix `luser_relay` or a virtual alias `@example.com`, \
             Exim a `*` alias, Exchange a catch-all transport rule)",
            "no recipient validation at RCPT time: mail to unknown users is accepted and bounced later",
        ],
        fix: "Nothing is proven. To settle it, look up the test addresses (`smtpdoctor-relay-test`) in the \
              server's log or queue: delivered to the local catch-all is fine, queued for \
              `example.net` is an open relay. Consider validating recipients at RCPT time (Postfix \
              `smtpd_reject_unlisted_recipient = yes`, the default, with a catch-all only where \
              needed; Exim `verify = recipient`): accepting every local part invites dictionary \
              spam and backscatter. Run the test against a domain of the server without a catch-all \
              (`--to someone@other-domain`) to judge the forms there.",
        reference: "RFC 5321 §3.6, §4.1.1.3 (source routes), Appendix C; RFC 2505 §2.6",
        reproduce: "smtpdoctor probe example.com -v --test relay",
    },
    // ---------------------------------------------------------------- Client findings (SPEC §8)
    Entry {
        id: "client-pregreet",
        severity: Severity::Warning,
        title: "The client spoke before the greeting had ended",
        meaning: "The client wrote its first command before the server had sent the last line of the \
                  greeting: before any 220 at all, or after a \"220-\" teaser line and before the final \
                  \"220 \" line. A client has to read the whole greeting first. Servers that check this \
                  take the client for spam software and refuse it: Postfix postscreen logs \"PREGREET 11 \
                  after 0.31 from [192.0.2.1]:54321: HELO ...\", Exim \"SMTP protocol synchronization \
                  error (input sent without waiting for greeting)\", Sendmail with greet_pause \
                  \"rejecting commands from ... due to pre-greeting traffic\". A client that takes half \
                  of a greeting split over two TCP segments for the whole reply, as the ccNotes gateway \
                  did, also stays one reply out of step for the rest of the session.",
        causes: &[
            "one TCP read taken for one complete reply, so a greeting split over segments looks finished",
            "acting on the first line of a multi-line greeting (\"220-\") instead of waiting for \"220 \"",
            "a script or device that writes EHLO right after connecting to save a round trip",
            "spam software that never waits for replies",
        ],
        fix: "Read every reply with one routine that collects bytes up to CR LF and keeps reading lines \
              until a line has a space after its code; write nothing before the greeting's last line. \
              Scripts should use an SMTP library (Python `smtplib`, PHPMailer, nodemailer) rather than \
              raw socket writes. The `client-teaser` mock sends a \"220-\" line and waits 6 s before the \
              rest, which shows the fault at once. Until the client is fixed, a receiving Postfix can \
              exempt it in `postscreen_access_list`.",
        reference: "RFC 5321 §3.1, §4.3.1, §4.2.1",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-teaser --once",
    },
    Entry {
        id: "client-multiline-early",
        severity: Severity::Error,
        title: "The client sent its next command in the middle of a multi-line reply",
        meaning: "The server had written the first line of a multi-line reply (\"250-...\") and the \
                  client sent its next command before the last line (\"250 ...\") had been written. It \
                  takes one line, or one read, for the whole reply. The lines it did not wait for are \
                  then read as the replies to its next commands, and from there on every reply is \
                  matched to the wrong command: a refusal can pass for success and the other way round. \
                  Such clients fail on EHLO replies that arrive in pieces, on postscreen's \"220-\" \
                  teaser and on servers that send keep-alive continuation lines after the final dot.",
        causes: &[
            "a reply parser that reads once and takes whatever arrived as the complete reply",
            "code that looks only at the code of the first line",
            "testing only against servers that write each reply in a single TCP segment",
        ],
        fix: "Parse replies as RFC 5321 §4.2.1 defines them: a line with a hyphen after the code is \
              followed by more; the reply ends with the first line that has a space after the code. \
              Keep reading until then, however the bytes are split. Scripts should let the library read \
              replies (Python `smtplib`, PHPMailer and nodemailer all do). The `client-multiline` mock \
              writes its EHLO reply one line every 200 ms.",
        reference: "RFC 5321 §4.2.1, §4.2",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-multiline --once",
    },
    Entry {
        id: "client-bare-lf",
        severity: Severity::Error,
        title: "A command ended with a bare LF",
        meaning: "The client ended a command line with LF alone instead of CR LF, the only line ending \
                  SMTP defines. Many servers still accept it, strict ones do not: Postfix with \
                  `smtpd_forbid_bare_newline = yes` answers \"Error: bare <LF> received\" and hangs up, \
                  postscreen's bare newline test logs \"BARE NEWLINE from [192.0.2.1]:54321\". The \
                  tolerance servers show such clients is what SMTP smuggling exploits, so fewer servers \
                  keep it.",
        causes: &[
            "a script that writes \"\\n\" to the socket instead of \"\\r\\n\"",
            "a hand-written client or device firmware with its own SMTP code",
            "a proxy or gateway on the way that rewrites line endings",
        ],
        fix: "End every command with \"\\r\\n\". Let a library write the commands (Python `smtplib`, \
              PHPMailer, nodemailer) instead of writing to the socket directly. Until the client is \
              fixed, a Postfix server can exempt it with `smtpd_forbid_bare_newline_exclusions` (by \
              default `$mynetworks`).",
        reference: "RFC 5321 §2.3.8, §4.1.1",
        reproduce: "smtpdoctor demo --client bare-lf",
    },
    Entry {
        id: "client-bare-cr",
        severity: Severity::Error,
        title: "A command ended with a bare CR",
        meaning: "The client ended a command line with CR alone. Servers do not treat a lone CR as the \
                  end of a line: most wait for an LF that never comes, so the client gets no reply and \
                  times out, or the command and the next one run together into one garbled line. Servers \
                  differ in how they read it, which is why a lone CR is also one of the ingredients of \
                  SMTP smuggling.",
        causes: &[
            "classic Mac OS line endings (\"\\r\") in a script or device",
            "a client that writes CR and LF separately and loses the second write",
            "a terminal or serial gateway that translates line endings",
        ],
        fix: "End every command with CR LF (\"\\r\\n\"). Check the client's line-ending setting or let a \
              library write the commands; in a gateway, switch off line-ending translation.",
        reference: "RFC 5321 §2.3.8, §4.1.1",
        reproduce: "smtpdoctor demo --client bare-cr",
    },
    Entry {
        id: "client-data-bare-lf",
        severity: Severity::Warning,
        title: "The message contains a bare LF or a bare CR",
        meaning: "Inside the message, between the 354 and the final dot, a line ended with LF alone or a \
                  CR stood on its own; RFC 5321 §2.3.8 forbids both. Receivers disagree on where such \
                  lines end, and SMTP smuggling lives on that disagreement, so strict servers refuse the \
                  message: Postfix with `smtpd_forbid_bare_newline = yes` replies \"Error: bare <LF> \
                  received\", and Exchange Online cannot pass it on to a server without CHUNKING \
                  (\"550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal\"). Servers that repair the lines \
                  instead change the message, which breaks DKIM signatures made over the original.",
        causes: &[
            "an application that builds the message with \"\\n\" line endings and sends the bytes unchanged (Python `smtplib.sendmail()` converts a str message but passes bytes as they are)",
            "a template, header value or attachment with embedded line breaks copied into the message",
            "a device (scanner, printer, fax gateway) with a broken mail generator",
        ],
        fix: "Give the message CR LF line endings before it is sent: in Python use `send_message()`, or \
              serialise with `policy=email.policy.SMTP`; PHPMailer and nodemailer do it themselves. Fix \
              whatever generates the content rather than asking receivers to accept it. A Postfix \
              receiver can exempt known senders with `smtpd_forbid_bare_newline_exclusions`.",
        reference: "RFC 5321 §2.3.8, §4.1.1.4; CVE-2023-51764",
        reproduce: "smtpdoctor demo --client data-bare-lf",
    },
    Entry {
        id: "client-command-too-long",
        severity: Severity::Warning,
        title: "A command line was longer than 512 octets",
        meaning: "A command line, CR LF included, was longer than the 512 octets every server must \
                  accept (RFC 5321 §4.5.3.1.4). Servers with larger buffers take it; others cut it off, \
                  read the rest as a second command or refuse it. Postfix allows up to \
                  `line_length_limit` (2048): beyond that newer releases answer \"500 5.5.2 ... Error: \
                  command too long\" and postscreen logs \"COMMAND LENGTH LIMIT\" and drops the \
                  session. Extensions may make MAIL and RCPT longer, but only by parameters the server \
                  advertised.",
        causes: &[
            "long addresses or many parameters on MAIL FROM or RCPT TO",
            "an AUTH command carrying a long initial response (large tokens)",
            "a client that joins several commands into one line",
        ],
        fix: "Keep command lines within 512 octets: one recipient per RCPT, only the MAIL parameters the \
              server offered, and no padding. When an initial response would make AUTH too long, send \
              AUTH with the mechanism alone and give the response after the 334 continuation.",
        reference: "RFC 5321 §4.5.3.1.4; RFC 4954 §4",
        reproduce: "smtpdoctor demo --client long-command",
    },
    Entry {
        id: "client-text-line-too-long",
        severity: Severity::Warning,
        title: "A message line was longer than 1000 octets",
        meaning: "A line of the message, CR LF included, was longer than the 1000 octets of RFC 5321 \
                  §4.5.3.1.6. Receivers may refuse the message or wrap the line: Exim refuses to relay \
                  it (\"message has lines too long for transport\", `message_linelength_limit`), Postfix \
                  relays it with a line break inserted after 998 characters (`smtp_line_length_limit`), \
                  which corrupts HTML, unbroken base64 and signed content and invalidates DKIM \
                  signatures.",
        causes: &[
            "HTML or JSON generated as one long line",
            "base64 or quoted-printable produced without line breaks",
            "a header with many values (To, References) and no folding",
        ],
        fix: "Encode long content: quoted-printable or base64 with 76-character lines for bodies, \
              folding for headers. Libraries do it when asked (PHPMailer `Encoding = 'quoted-printable'`, \
              Python's `email` package with `policy=email.policy.SMTP`). Do not rely on relays to wrap \
              lines.",
        reference: "RFC 5321 §4.5.3.1.6; RFC 5322 §2.1.1",
        reproduce: "smtpdoctor demo --client long-line",
    },
    Entry {
        id: "client-pipelining-unadvertised",
        severity: Severity::Warning,
        title: "The client pipelined commands that PIPELINING had not been offered for",
        meaning: "The client sent a command while the reply to the previous one was still due, although \
                  the server had not advertised PIPELINING (or the client had greeted with HELO, where \
                  no extension exists). Without the extension a client waits for each reply. Servers \
                  check this because spam software fires whole transactions blind: Postfix logs \
                  \"improper command pipelining after ... from ...\" and rejects it \
                  (`smtpd_forbid_unauth_pipelining`, the default from 3.9), Exim drops the connection \
                  with \"SMTP protocol synchronization error (next input sent too soon: pipelining was \
                  not advertised)\".",
        causes: &[
            "a client that pipelines without looking at the EHLO reply",
            "a client that greeted with HELO and pipelines anyway",
            "a script that writes the whole dialogue at once and reads the replies afterwards",
            "spam software",
        ],
        fix: "Pipeline only when PIPELINING is in the EHLO reply; otherwise send one command and wait for \
              its reply. Postfix, Exim and Sendmail already behave this way, so the finding usually \
              points at a script or an appliance: send the commands through a library one at a time. \
              The `client-minimal` mock advertises no extension at all.",
        reference: "RFC 2920 §3, §3.1",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-minimal --once",
    },
    Entry {
        id: "client-pipelining-misordered",
        severity: Severity::Error,
        title: "Pipelined commands sent after one that must end a group",
        meaning: "Even with PIPELINING, RFC 2920 §3.1 lets some commands only end a group, because their \
                  reply changes what may follow: EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP, and \
                  STARTTLS (RFC 3207). The client sent more commands behind one of them, or sent \
                  message text before the 354 reply to DATA. If DATA was refused, the text is read as \
                  commands. Commands sent behind STARTTLS before the handshake are the plain-text \
                  injection of CVE-2011-0411; a careful server discards them or hangs up.",
        causes: &[
            "a pipelining implementation that queues every command without the last-in-group rule",
            "message text sent together with DATA to save the round trip to the 354",
            "EHLO or MAIL written right behind STARTTLS, before the TLS handshake",
        ],
        fix: "Flush and wait for the replies after every command that must end a group; send the message \
              only after the 354; after STARTTLS wait for the 220, finish the TLS handshake and start \
              again with EHLO. Postfix, Exim and Sendmail get this right; the finding usually points at \
              a custom or embedded client.",
        reference: "RFC 2920 §3.1; RFC 3207 §4; CVE-2011-0411",
        reproduce: "smtpdoctor demo --client misordered-pipeliner",
    },
    Entry {
        id: "client-ehlo-invalid",
        severity: Severity::Warning,
        title: "The EHLO/HELO argument is neither a host name nor an address literal",
        meaning: "RFC 5321 §4.1.1.1 asks the client to name itself with its fully qualified domain name, \
                  or, if it has none, with an address literal such as \"[192.0.2.1]\" or \
                  \"[IPv6:2001:db8::1]\". This client sent something else: a single word (a Windows \
                  computer name), an internal name such as \"server.local\", an IP address without \
                  brackets or characters a host name cannot have. Many receivers refuse it: Postfix \
                  `reject_invalid_helo_hostname` (\"Helo command rejected: Invalid name\") and \
                  `reject_non_fqdn_helo_hostname` (\"Helo command rejected: need fully-qualified \
                  hostname\"), Exim \"501 Syntactically invalid EHLO argument(s)\", Microsoft \"501 \
                  5.5.4 Invalid domain name\"; others score it as spam.",
        causes: &[
            "the host name never set to a public FQDN (Postfix uses `myhostname`, taken from the system host name)",
            "an Exchange send connector without an FQDN, which then announces the server's internal name",
            "a library default: Python `smtplib` uses `socket.getfqdn()`, nodemailer `os.hostname()`, PHPMailer falls back to `localhost.localdomain`",
            "an IP address without brackets, or an underscore or space in the name",
        ],
        fix: "Announce a public FQDN that resolves to the client's address and matches its PTR: Postfix \
              `smtp_helo_name` (default `$myhostname`), Exim `helo_data` on the smtp transport, Sendmail \
              `confHELO_NAME` (default `$j`, set with `confDOMAIN_NAME`), Exchange \
              `Set-SendConnector -Fqdn`, Python `smtplib.SMTP(local_hostname=...)`, PHPMailer `Helo` or \
              `Hostname`, nodemailer `name`. A host without a name uses an address literal in brackets.",
        reference: "RFC 5321 §4.1.1.1, §4.1.3, §2.3.5",
        reproduce: "smtpdoctor demo --client bad-helo",
    },
    Entry {
        id: "client-helo-only",
        severity: Severity::Info,
        title: "The client used HELO where EHLO would have worked",
        meaning: "The server would have answered EHLO, but the client greeted with HELO, so no extension \
                  could be used: no STARTTLS (the mail crossed the network in clear text), no SIZE check \
                  before sending, no 8BITMIME, no PIPELINING, no AUTH. RFC 5321 asks clients to try EHLO \
                  first and to fall back to HELO only when EHLO is refused. Servers accept HELO; the cost \
                  is security and speed.",
        causes: &[
            "a legacy client or device that only speaks RFC 821 SMTP",
            "EHLO switched off long ago to get past a broken firewall (Postfix `smtp_never_send_ehlo = yes`, Exim `hosts_avoid_esmtp`, Exchange `-ForceHELO $true`)",
            "a script that calls `helo()` instead of `ehlo()`",
        ],
        fix: "Let the client start with EHLO: Postfix `smtp_never_send_ehlo = no` (the default), Exim: \
              remove the host from `hosts_avoid_esmtp`, Exchange `Set-SendConnector -ForceHELO $false`, \
              Python `smtp.ehlo()` (or let `sendmail()` and `starttls()` do it). Devices that cannot \
              speak ESMTP can send through a local relay that can.",
        reference: "RFC 5321 §3.2, §4.1.1.1",
        reproduce: "smtpdoctor demo --client helo-only",
    },
    Entry {
        id: "client-starttls-unused",
        severity: Severity::Warning,
        title: "The server offered STARTTLS and the client did not use it",
        meaning: "STARTTLS was in the EHLO reply and the client carried on in clear text, so envelope, \
                  message and any credentials crossed the network readable by anyone on the path. \
                  Receivers that require TLS refuse such clients (\"530 5.7.0 Must issue a STARTTLS \
                  command first\"), and mailbox providers point out unencrypted mail to their users.",
        causes: &[
            "TLS switched off on the client: Postfix before 3.11 with an empty `smtp_tls_security_level` (no TLS), Exchange `-IgnoreSTARTTLS $true`",
            "TLS disabled for this destination after earlier handshake failures (Exim `hosts_avoid_tls`, Sendmail access map `Try_TLS:host NO`)",
            "a client built without TLS support (Sendmail compiled without STARTTLS)",
            "a script that never calls `starttls()` (Python `smtplib`), PHPMailer with `SMTPAutoTLS = false`, nodemailer with `ignoreTLS: true`",
        ],
        fix: "Use opportunistic TLS at least: Postfix `smtp_tls_security_level = may` (`encrypt` to \
              insist), Exim uses STARTTLS whenever it is offered unless `hosts_avoid_tls` matches \
              (`hosts_require_tls` to insist), Sendmail built with STARTTLS uses it when offered, \
              Exchange `Set-SendConnector -IgnoreSTARTTLS $false` (or `-RequireTLS $true`), Python \
              `smtp.starttls()` after EHLO, PHPMailer `SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS`, \
              nodemailer `requireTLS: true`.",
        reference: "RFC 3207 §4",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-strict --once",
    },
    Entry {
        id: "client-auth-plaintext",
        severity: Severity::Error,
        title: "The client sent AUTH on an unencrypted connection",
        meaning: "The client authenticated outside TLS. With PLAIN and LOGIN the user name and password \
                  are only base64-encoded, as good as clear text for anyone on the path, who can reuse \
                  them. RFC 4954 §4 expects servers to refuse plaintext mechanisms without TLS, and most \
                  do: Postfix with `smtpd_tls_auth_only = yes` does not offer AUTH before STARTTLS and \
                  answers \"503 5.5.1 Error: authentication not enabled\", other servers \"538 5.7.11 \
                  Encryption required for requested authentication mechanism\". The credentials were \
                  exposed even when the server refused them: change the password.",
        causes: &[
            "a client configured without TLS (PHPMailer with empty `SMTPSecure` and `SMTPAutoTLS = false`, nodemailer with `secure: false` and `ignoreTLS: true`)",
            "a script that calls `login()` before `starttls()` (Python `smtplib`)",
            "a Postfix relay client with `smtp_sasl_security_options = noanonymous` (a common tutorial setting that allows PLAIN and LOGIN without TLS) and `smtp_tls_security_level` below `encrypt`",
            "a device that only knows AUTH LOGIN in clear text",
        ],
        fix: "Authenticate only inside TLS: STARTTLS first (or implicit TLS on port 465, RFC 8314), then \
              AUTH. Postfix: `smtp_tls_security_level = encrypt` for the relay host, \
              `smtp_sasl_security_options = noplaintext, noanonymous` (the default) and \
              `smtp_sasl_tls_security_options = noanonymous`. Exim: the relay in `hosts_require_tls` as \
              well as `hosts_require_auth`. Sendmail: `define(`confAUTH_OPTIONS', `A p')` keeps plaintext \
              mechanisms for TLS sessions. Exchange: `-SmartHostAuthMechanism BasicAuthRequireTLS`. \
              Python `starttls()` before `login()`, PHPMailer `SMTPSecure = \
              PHPMailer::ENCRYPTION_STARTTLS`, nodemailer `requireTLS: true`. Then change the exposed \
              password.",
        reference: "RFC 4954 §4, §6; RFC 3207; RFC 8314",
        reproduce: "smtpdoctor demo --client plaintext-auth",
    },
    Entry {
        id: "client-tls",
        severity: Severity::Info,
        title: "The client used TLS (version, cipher and SNI)",
        meaning: "The client started TLS; the finding records the protocol version, the cipher suite and \
                  the server name it asked for (SNI). TLS 1.2 and 1.3 are what receivers expect; TLS 1.0 \
                  and 1.1 are deprecated (RFC 8996) and refused by many servers, and a client that sends \
                  no SNI cannot be shown the right certificate by a server that hosts several names. \
                  With `proxy --tls terminate` the same is shown for a live client.",
        causes: &["the client negotiated TLS, after STARTTLS or on connect (port 465)"],
        fix: "Nothing to fix with TLS 1.2 or later. With an older version, update the client's TLS \
              library or settings: Postfix `smtp_tls_protocols = >=TLSv1.2` (Postfix 3.6 and later), \
              Exim `tls_require_ciphers` on the smtp transport (with OpenSSL also `openssl_options`), \
              Windows/Exchange: enable TLS 1.2 in Schannel, Python: pass \
              `ssl.create_default_context()` to `starttls()`.",
        reference: "RFC 3207; RFC 8996; RFC 6066 §3",
        reproduce: "smtpdoctor demo --client clean",
    },
    Entry {
        id: "client-8bit-undeclared",
        severity: Severity::Warning,
        title: "8-bit content sent without BODY=8BITMIME",
        meaning: "The message contained octets above 127, but the client did not declare it with \
                  `BODY=8BITMIME` on MAIL FROM, or sent it to a server that had not advertised 8BITMIME. \
                  Without that agreement SMTP carries 7-bit text. Most servers pass the bytes on, some \
                  strip the eighth bit or refuse the message, and a relay cannot know that it has to \
                  convert the message before a 7-bit hop; the recipient sees garbled characters.",
        causes: &[
            "UTF-8 or Latin-1 text in headers or body without a MIME transfer encoding",
            "a client that never looks for 8BITMIME in the EHLO reply",
            "Sendmail with `confEIGHT_BIT_HANDLING` set to `pass8`, which sends 8-bit data to servers that did not offer 8BITMIME",
        ],
        fix: "Either encode the content (quoted-printable or base64: PHPMailer `Encoding = \
              'quoted-printable'`, Python's `email` package picks it by charset) or declare it: \
              `BODY=8BITMIME` when the server offers 8BITMIME, conversion to 7 bit when it does not \
              (Postfix converts on its own unless `disable_mime_output_conversion = yes`, Sendmail with \
              `confEIGHT_BIT_HANDLING` = `mimefy`).",
        reference: "RFC 6152 §3; RFC 5321 §2.4; RFC 2045 §6",
        reproduce: "smtpdoctor demo --client eight-bit",
    },
    Entry {
        id: "client-size-exceeded",
        severity: Severity::Warning,
        title: "The client sent more than its SIZE= or the server's SIZE limit",
        meaning: "The message was larger than the size the client declared with `SIZE=` on MAIL FROM, or \
                  larger than the limit the server advertised (`SIZE 10485760`). A client is meant to \
                  compare before sending, so that an oversized message fails at once and not after the \
                  whole transfer; a wrong SIZE= value also defeats the server's early check. The server \
                  then refuses the message at the end (Postfix \"552 5.3.4 Message size exceeds fixed \
                  limit\", Exim \"552 Message size exceeds maximum permitted\"), after the bandwidth was \
                  spent.",
        causes: &[
            "a client that ignores the SIZE keyword of the EHLO reply",
            "a SIZE= value taken before encoding: base64 makes attachments about a third larger",
            "content added after MAIL FROM was sent (signatures, disclaimers)",
        ],
        fix: "Compare the encoded size with the advertised SIZE before MAIL, and declare the real size in \
              `SIZE=`. MTAs do this (Postfix refuses up front with \"message size ... exceeds size \
              limit ... of server\", Exim pads its estimate by `size_addition`, 1024 by default); an \
              application should limit attachments and tell the user rather than rely on the server's \
              refusal.",
        reference: "RFC 1870 §4, §6",
        reproduce: "smtpdoctor demo --client oversize",
    },
    Entry {
        id: "client-timeout-short",
        severity: Severity::Warning,
        title: "The client gave up waiting earlier than RFC 5321 allows",
        meaning: "A reply was due and the client closed, reset or sent QUIT before the minimum time RFC \
                  5321 §4.5.3.2 asks a client to wait at that stage: 5 minutes for the greeting, MAIL and \
                  RCPT, 2 for the 354 reply to DATA, 10 after the final dot. A slow server is then \
                  treated like a broken one. At the final dot it is worse: the server may already have \
                  accepted the message, the client cannot know, sends it again later and the recipient \
                  gets it twice (client-duplicate).",
        causes: &[
            "a lowered MTA timeout: Postfix `smtp_data_done_timeout` (600s by default), `smtp_helo_timeout`, `smtp_mail_timeout`, `smtp_rcpt_timeout` (300s), `smtp_data_init_timeout` (120s); Exim `final_timeout` (10m), `command_timeout` (5m); Sendmail `Timeout.datafinal`",
            "a library default below the RFC minimums: nodemailer `greetingTimeout` is 30 s; Python `smtplib.SMTP(timeout=...)` or PHPMailer `Timeout` set to seconds",
            "a firewall or NAT on the client's side that drops the idle connection while the server works",
            "a script running under a short overall time limit (a web request, a cron job)",
        ],
        fix: "Wait at least the RFC minimums: Postfix's defaults (`smtp_data_done_timeout = 600s`), Exim \
              `final_timeout = 10m` on the smtp transport, Sendmail `Timeout.datafinal` of 10 minutes or \
              more (`confTO_DATAFINAL`), Exchange `Set-SendConnector -ConnectionInactivityTimeOut \
              00:10:00` or longer, nodemailer `greetingTimeout` and `socketTimeout` in minutes, Python \
              `smtplib.SMTP(timeout=600)`, PHPMailer `Timeout = 600`. Keep firewall and NAT idle timers \
              above 10 minutes. The `client-dot-hold` mock holds the dot reply 11 minutes by default.",
        reference: "RFC 5321 §4.5.3.2; RFC 1047",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-dot-hold --once",
    },
    Entry {
        id: "client-duplicate",
        severity: Severity::Error,
        title: "The same message arrived again on a later connection",
        meaning: "A message with the same Message-ID (or, without one, the same content) had already been \
                  received completely, final dot included, on an earlier connection of this run. The \
                  client sent it again because it did not get, or did not wait for, the reply to the \
                  dot. The usual story: the server was slow after the dot, the client gave up, kept the \
                  message queued and retried, and the recipient now has two copies. RFC 1047 described \
                  it in 1988; it is the reason for the 10 minutes RFC 5321 asks clients to wait at the \
                  dot.",
        causes: &[
            "a client dot timeout shorter than the server's processing time (client-timeout-short)",
            "a firewall or NAT dropping the connection while the server processes the message",
            "an application that resubmits after its own timeout without knowing what was accepted",
        ],
        fix: "Let the client wait at the dot (Postfix `smtp_data_done_timeout` 600s, Exim `final_timeout` \
              10m, Sendmail `Timeout.datafinal`, Exchange `ConnectionInactivityTimeOut`) and make the \
              server answer the dot quickly. Give each message its Message-ID once, when it is created, \
              and keep it on every retry, so that receivers can recognise the copies; make \
              resubmission in applications idempotent.",
        reference: "RFC 5321 §4.5.3.2.6; RFC 1047; RFC 5322 §3.6.4",
        reproduce: "smtpdoctor mock --listen 127.0.0.1:2525 --scenario client-dot-hold --count 2",
    },
    Entry {
        id: "client-no-quit",
        severity: Severity::Info,
        title: "The client closed the connection without QUIT",
        meaning: "The client ended the session by closing the connection instead of sending QUIT and \
                  waiting for the 221 (RFC 5321 §4.1.1.10). After a completed transaction nothing is \
                  lost, but the server logs a lost connection (Exim \"unexpected disconnection while \
                  reading SMTP command\", Sendmail \"lost input channel\"), and a close in the middle of \
                  a transaction abandons it.",
        causes: &[
            "an MTA that caches connections for reuse and drops them when idle (Postfix connection caching, `smtp_connection_cache_time_limit`)",
            "a script that exits or closes the socket as soon as the message was accepted",
            "a crash or a broken network connection on the client's side",
        ],
        fix: "Send QUIT and read the 221 before closing: Python `smtp.quit()` rather than `close()`, \
              PHPMailer `smtpClose()` after `SMTPKeepAlive`, nodemailer `transporter.close()` for \
              pooled transports. For an MTA that caches connections this is normal and needs no fix.",
        reference: "RFC 5321 §4.1.1.10, §3.8",
        reproduce: "smtpdoctor demo --client no-quit",
    },
    Entry {
        id: "client-silent",
        severity: Severity::Warning,
        title: "The client sent nothing until the server gave up waiting",
        meaning: "It was the client's turn (the greeting, or the reply to its last command, had been \
                  written) and it sent no byte until the server's timeout ran out: the server closed \
                  the connection (the mock answers 421). RFC 5321 §4.5.3.2.7 has a server wait at \
                  least 5 minutes for the next command, so a client that is silent that long holds a \
                  connection slot for nothing, and its mail does not move. A client that never sends \
                  a byte after connecting usually never saw the greeting.",
        causes: &[
            "the greeting did not reach the client: a firewall, an SMTP-inspecting middlebox (Cisco \
             \"fixup smtp\") or a proxy that holds server bytes back",
            "a client that does not take the greeting for one: a line it cannot parse, a multi-line greeting it reads wrongly",
            "a TCP health check or port scanner that connects and never speaks",
            "a client stalled between two commands: a slow DNS lookup, a content scanner, a hung process, a lost connection on its side (NAT or firewall idle timer)",
        ],
        fix: "Check what the client received: a packet capture on the client's side (`tcpdump -A port \
              25`) or `swaks --server HOST --quit-after CONNECT` from the client's host shows whether the \
              220 greeting arrives. Remove SMTP inspection from firewalls between the two (Cisco ASA \
              `no fixup protocol smtp` / `no inspect esmtp`). Exclude health checks from mail logs, or \
              let them send QUIT. Keep NAT and firewall idle timers above the server's timeout.",
        reference: "RFC 5321 §4.5.3.2.7, §4.5.3.2",
        reproduce: "smtpdoctor demo --client silent",
    },
];

/// The entry for a finding id, if it exists.
pub fn entry(id: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .chain(super::policy::POLICY_ENTRIES)
        .find(|e| e.id == id)
}

/// Every finding id the contract names (SPEC §3, §4) with its severity, plus the decisions
/// the record holds; the tests hold the catalog, the scenarios and the docs to this one list.
#[cfg(test)]
pub(crate) const SPEC_IDS: &[(&str, Severity)] = &[
    // §10 many targets
    ("target-invalid", Severity::Error),
    // §3 DNS
    ("mx-nxdomain", Severity::Error),
    ("mx-lookup-failed", Severity::Error),
    ("mx-implicit", Severity::Info),
    ("mx-null", Severity::Info),
    ("mx-target-invalid", Severity::Warning),
    ("mx-none-usable", Severity::Error),
    ("ptr-missing", Severity::Warning),
    ("ptr-mismatch", Severity::Warning),
    // §3 Connect
    ("connect-refused", Severity::Error),
    ("connect-timeout", Severity::Error),
    ("connect-unreachable", Severity::Error),
    ("close-without-421", Severity::Warning),
    // §3 Greeting
    ("greeting-timeout", Severity::Error),
    ("greeting-slow", Severity::Warning),
    ("greeting-fragmented", Severity::Warning),
    ("greeting-multiline", Severity::Info),
    ("greeting-554", Severity::Error),
    ("greeting-421", Severity::Warning),
    ("greeting-syntax", Severity::Warning),
    ("pix-banner", Severity::Warning),
    ("pix-ehlo-mangled", Severity::Warning),
    // §3 Reply syntax
    ("reply-code-invalid", Severity::Error),
    ("reply-multiline-mismatch", Severity::Error),
    ("reply-bare-code", Severity::Info),
    ("reply-zero-length", Severity::Error),
    ("reply-bare-lf", Severity::Error),
    ("reply-bare-cr", Severity::Error),
    ("reply-too-long", Severity::Warning),
    ("reply-non-ascii", Severity::Warning),
    ("reply-unsolicited", Severity::Error),
    // §3 EHLO
    ("ehlo-fallback", Severity::Warning),
    ("ehlo-bad-failure-code", Severity::Warning),
    ("helo-extended", Severity::Error),
    ("ext-size-small", Severity::Warning),
    ("ext-enhancedcodes-malformed", Severity::Warning),
    // Not in SPEC §3: a positive enhanced code whose subject belongs to another command.
    ("ext-enhancedcodes-mismatch", Severity::Warning),
    // §3 STARTTLS/TLS
    ("starttls-absent", Severity::Warning),
    ("starttls-required", Severity::Error),
    ("starttls-454", Severity::Warning),
    ("starttls-stall", Severity::Warning),
    ("starttls-post-state", Severity::Error),
    ("starttls-resp-injection", Severity::Warning),
    ("tls-handshake-failed", Severity::Error),
    ("tls-cert-expired", Severity::Error),
    ("tls-cert-expiring", Severity::Warning),
    ("tls-cert-name-mismatch", Severity::Warning),
    ("tls-cert-untrusted", Severity::Warning),
    // §3 Envelope
    ("mail-rejected", Severity::Error),
    ("mail-deferred", Severity::Warning),
    ("rcpt-rejected", Severity::Error),
    ("rcpt-deferred", Severity::Warning),
    ("postmaster-rejected", Severity::Error),
    ("greylisted", Severity::Info),
    ("postscreen-after-tests", Severity::Info),
    ("starttls-policy-failed", Severity::Error),
    ("reply-slow", Severity::Warning),
    ("timing-rfc-exceeded", Severity::Warning),
    // §3 DATA
    ("data-rejected", Severity::Error),
    // Not in SPEC §3: decisions and waits the record holds (see the README's design).
    ("data-not-sent", Severity::Error),
    ("reply-timeout", Severity::Error),
    ("dot-slow", Severity::Warning),
    ("dot-timeout", Severity::Error),
    ("data-keepalive-lines", Severity::Info),
    ("quit-no-221", Severity::Warning),
    // §4 active tests
    ("pregreet-tolerated", Severity::Info),
    ("pregreet-enforced", Severity::Info),
    ("pipelining-unauth-accepted", Severity::Warning),
    ("pipelining-broken", Severity::Error),
    ("starttls-cmd-injection", Severity::Error),
    ("smuggle-eod-accepted", Severity::Error),
    ("bare-lf-accepted", Severity::Info),
    ("close-on-unknown", Severity::Warning),
    ("open-relay", Severity::Error),
    // Not in SPEC §4: what the relay test cannot judge on a catch-all domain.
    ("relay-forms-unjudged", Severity::Info),
];

/// Every client finding id of SPEC §8 with its severity: what `mock` and `proxy` find in a client.
///
/// Kept beside [`SPEC_IDS`] rather than in it because the scripted-server tests hold every id of
/// that list to a server scenario that provokes it, and no server provokes a client finding. The
/// catalog's tests check both lists together.
#[cfg(test)]
pub(crate) const CLIENT_SPEC_IDS: &[(&str, Severity)] = &[
    // §8 client findings
    ("client-pregreet", Severity::Warning),
    ("client-multiline-early", Severity::Error),
    ("client-bare-lf", Severity::Error),
    ("client-bare-cr", Severity::Error),
    ("client-data-bare-lf", Severity::Warning),
    ("client-command-too-long", Severity::Warning),
    ("client-text-line-too-long", Severity::Warning),
    ("client-pipelining-unadvertised", Severity::Warning),
    ("client-pipelining-misordered", Severity::Error),
    ("client-ehlo-invalid", Severity::Warning),
    ("client-helo-only", Severity::Info),
    ("client-starttls-unused", Severity::Warning),
    ("client-auth-plaintext", Severity::Error),
    ("client-tls", Severity::Info),
    ("client-8bit-undeclared", Severity::Warning),
    ("client-size-exceeded", Severity::Warning),
    ("client-timeout-short", Severity::Warning),
    ("client-duplicate", Severity::Error),
    ("client-no-quit", Severity::Info),
    ("client-silent", Severity::Warning),
];

/// The mock scenarios made for judging clients (SPEC §8).
#[cfg(test)]
pub(crate) const CLIENT_SCENARIOS: &[&str] = &[
    "client-dot-hold",
    "client-teaser",
    "client-keepalive",
    "client-multiline",
    "client-strict",
    "client-minimal",
];
/// The built-in clients of `smtpdoctor demo --client NAME` (SPEC §8).
#[cfg(test)]
pub(crate) const DEMO_CLIENTS: &[&str] = &[
    "ccnotes",
    "one-line-reader",
    "bare-lf",
    "bare-cr",
    "data-bare-lf",
    "long-command",
    "long-line",
    "blind-pipeliner",
    "misordered-pipeliner",
    "bad-helo",
    "helo-only",
    "no-starttls",
    "plaintext-auth",
    "eight-bit",
    "oversize",
    "impatient",
    "redeliverer",
    "no-quit",
    "silent",
    "clean",
];

/// Checks that a reproduction command names only client scenarios and demo clients of §8.
#[cfg(test)]
pub(crate) fn assert_client_reproduce(what: &str, r: &str) {
    let words: Vec<&str> = r.split_whitespace().collect();
    match words.as_slice() {
        ["smtpdoctor", "demo", "--client", name] => {
            assert!(
                DEMO_CLIENTS.contains(name),
                "{what}: no demo client {name:?}"
            );
        }
        [
            "smtpdoctor",
            "mock",
            "--listen",
            "127.0.0.1:2525",
            "--scenario",
            name,
            rest @ ..,
        ] => {
            assert!(
                CLIENT_SCENARIOS.contains(name),
                "{what}: no client scenario {name:?}"
            );
            let mut rest = rest.iter();
            while let Some(flag) = rest.next() {
                match *flag {
                    "--once" => {}
                    "--count" | "--hold" => {
                        assert!(rest.next().is_some(), "{what}: {flag} needs a value")
                    }
                    other => panic!("{what}: unknown mock option {other:?}"),
                }
            }
        }
        _ => panic!("{what}: not a client reproduction: {r:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every finding id the spec names: §3 and §4 (server), then §8 (client).
    fn all_spec_ids() -> impl Iterator<Item = &'static (&'static str, Severity)> {
        SPEC_IDS.iter().chain(CLIENT_SPEC_IDS)
    }

    #[test]
    fn every_spec_id_present_exactly_once() {
        for (id, _) in all_spec_ids() {
            let n = ENTRIES.iter().filter(|e| e.id == *id).count();
            assert_eq!(n, 1, "{id} appears {n} times");
        }
        let listed: HashSet<_> = all_spec_ids().map(|(id, _)| *id).collect();
        assert_eq!(
            listed.len(),
            SPEC_IDS.len() + CLIENT_SPEC_IDS.len(),
            "an id is listed twice"
        );
        assert_eq!(
            ENTRIES.len(),
            listed.len(),
            "catalog has ids the spec does not name"
        );
    }

    #[test]
    fn severities_match_the_spec() {
        for (id, severity) in all_spec_ids() {
            assert_eq!(entry(id).unwrap().severity, *severity, "{id}");
        }
    }

    #[test]
    fn client_findings_are_the_client_ids() {
        for (id, _) in SPEC_IDS {
            assert!(
                !id.starts_with("client-"),
                "{id} belongs to CLIENT_SPEC_IDS"
            );
        }
        for (id, _) in CLIENT_SPEC_IDS {
            assert!(id.starts_with("client-"), "{id}");
        }
    }

    #[test]
    fn client_reproductions_name_client_scenarios_and_demo_clients() {
        for (id, _) in CLIENT_SPEC_IDS {
            assert_client_reproduce(id, entry(id).unwrap().reproduce);
        }
    }

    #[test]
    fn ids_are_lowercase_kebab() {
        for e in ENTRIES {
            let ok = !e.id.is_empty()
                && !e.id.starts_with('-')
                && !e.id.ends_with('-')
                && !e.id.contains("--")
                && e.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            assert!(ok, "{:?} is not lower-case kebab", e.id);
        }
    }

    #[test]
    fn no_empty_fields() {
        for e in ENTRIES {
            for (name, value) in [
                ("title", e.title),
                ("meaning", e.meaning),
                ("fix", e.fix),
                ("reference", e.reference),
                ("reproduce", e.reproduce),
            ] {
                assert!(!value.trim().is_empty(), "{}: empty {name}", e.id);
            }
            assert!(!e.causes.is_empty(), "{}: no causes", e.id);
            for c in e.causes {
                assert!(!c.trim().is_empty(), "{}: empty cause", e.id);
            }
            assert!(!e.title.contains('\n'), "{}: title must be one line", e.id);
            assert!(
                e.reproduce.starts_with("smtpdoctor "),
                "{}: reproduce",
                e.id
            );
        }
    }

    #[test]
    fn ids_are_unique() {
        let ids: HashSet<_> = ENTRIES.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), ENTRIES.len());
    }

    #[test]
    fn active_test_reproductions_name_their_test() {
        for (id, test) in [
            ("pregreet-tolerated", "pregreet"),
            ("pregreet-enforced", "pregreet"),
            ("pipelining-unauth-accepted", "pipelining"),
            ("pipelining-broken", "pipelining"),
            ("starttls-cmd-injection", "starttls-injection"),
            ("smuggle-eod-accepted", "smuggling"),
            ("bare-lf-accepted", "bare-lf"),
            ("close-on-unknown", "unknown-command"),
            ("open-relay", "relay"),
            ("relay-forms-unjudged", "relay"),
        ] {
            let r = entry(id).unwrap().reproduce;
            assert!(r.contains(&format!("--test {test}")), "{id}: {r}");
        }
    }

    #[test]
    fn greylisting_and_postscreen_wordings_are_documented() {
        let meaning = entry("greylisted").unwrap().meaning.to_ascii_lowercase();
        for w in GREYLISTING_WORDINGS {
            assert!(
                meaning.contains(&format!("\"{w}\"")),
                "greylisted meaning lacks {w:?}"
            );
        }
        assert!(
            entry("postscreen-after-tests")
                .unwrap()
                .meaning
                .contains(POSTSCREEN_WORDING)
        );
    }

    #[test]
    fn lookup_of_unknown_id_is_none() {
        assert!(entry("no-such-finding").is_none());
        assert_eq!(
            entry("greeting-fragmented").unwrap().title,
            "Greeting line split across TCP reads"
        );
    }
}
