
use builtin;
use str;

set edit:completion:arg-completer[smtpdoctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'smtpdoctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'smtpdoctor'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand probe 'Probe a mail domain, an address or a server and print an annotated transcript'
            cand demo 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline'
            cand mock 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)'
            cand proxy 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream''s)'
            cand explain 'Explain a finding id or an MTA''s queue or log error text'
            cand report 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smtpdoctor;probe'= {
            cand --server 'Connect here and skip the MX lookup: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT'
            cand --targets 'Many targets: also probe each line of FILE (- for stdin), streamed: one domain, address or IP per line; blank lines and # comments are ignored, a target listed twice is probed once, an invalid line becomes a target-invalid document. JSON: one document per line as each finishes; text: a status line per target, then a summary'
            cand -j 'Targets probed at once (each with the budgets of a probe alone)'
            cand --jobs 'Targets probed at once (each with the budgets of a probe alone)'
            cand --per-host 'Connections open to one IP address at a time, across all targets (shared MX hosts)'
            cand --rate 'New connections per second overall (e.g. 50, 0.5). Default: no cap'
            cand --shard 'Probe only shard I of N (0-based): the targets whose stable hash (XXH3-64 of the normalized target, seed 0) modulo N is I; shards 0..N-1 together cover the list once'
            cand --port 'Port used for MX hosts'
            cand --resolver 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration'
            cand --helo 'Name sent in EHLO/HELO. Default: this host''s name'
            cand --from 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)'
            cand --to 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>'
            cand --starttls 'STARTTLS policy'
            cand --sni 'TLS server name (SNI and certificate name check). Default: the MX or server host name'
            cand --ca-file 'Extra trust anchors (PEM). The certificate is always verified and reported'
            cand --quit-after 'Last stage before RSET and QUIT'
            cand --timeout 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged'
            cand --slow 'A reply slower than this is flagged (reply-slow, greeting-slow)'
            cand --body 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly'
            cand --size 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory'
            cand --dot-slow 'A reply to the final dot slower than this (until its last line) is flagged dot-slow'
            cand --cert-warn 'A certificate expiring within this is flagged tls-cert-expiring'
            cand --test 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it'
            cand --dane 'DANE (RFC 7672): validate the MX hosts'' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server'
            cand --mta-sts 'MTA-STS (RFC 8461): fetch the domain''s policy over HTTPS and check every MX host and certificate against it. Not for --server'
            cand --trust-anchor 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone''s keys (for test zones and private roots)'
            cand --format 'Output format'
            cand --color 'When to use colors (NO_COLOR set and non-empty means never)'
            cand --all 'Probe every MX host and every address, not only the first that answers'
            cand -4 'Only IPv4 addresses'
            cand -6 'Only IPv6 addresses'
            cand --tls-on-connect 'Implicit TLS from the first byte (port 465 style)'
            cand --no-pipelining 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip'
            cand --data 'Send a short test message with DATA and time the reply to the final dot'
            cand --no-live 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed'
            cand --json 'Same as --format json'
            cand -v 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand --verbose 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand -q 'Quiet: only the summary and the findings'
            cand --quiet 'Quiet: only the summary and the findings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;demo'= {
            cand --client 'Run this built-in misbehaving client against the mock instead, and print the client report of each of its connections (see --list)'
            cand --port 'Port used for MX hosts'
            cand --resolver 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration'
            cand --helo 'Name sent in EHLO/HELO. Default: this host''s name'
            cand --from 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)'
            cand --to 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>'
            cand --starttls 'STARTTLS policy'
            cand --sni 'TLS server name (SNI and certificate name check). Default: the MX or server host name'
            cand --ca-file 'Extra trust anchors (PEM). The certificate is always verified and reported'
            cand --quit-after 'Last stage before RSET and QUIT'
            cand --timeout 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged'
            cand --slow 'A reply slower than this is flagged (reply-slow, greeting-slow)'
            cand --body 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly'
            cand --size 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory'
            cand --dot-slow 'A reply to the final dot slower than this (until its last line) is flagged dot-slow'
            cand --cert-warn 'A certificate expiring within this is flagged tls-cert-expiring'
            cand --test 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it'
            cand --dane 'DANE (RFC 7672): validate the MX hosts'' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server'
            cand --mta-sts 'MTA-STS (RFC 8461): fetch the domain''s policy over HTTPS and check every MX host and certificate against it. Not for --server'
            cand --trust-anchor 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone''s keys (for test zones and private roots)'
            cand --format 'Output format'
            cand --color 'When to use colors (NO_COLOR set and non-empty means never)'
            cand --list 'List the scenarios (servers) and the demo clients, and exit'
            cand --all 'Probe every MX host and every address, not only the first that answers'
            cand -4 'Only IPv4 addresses'
            cand -6 'Only IPv6 addresses'
            cand --tls-on-connect 'Implicit TLS from the first byte (port 465 style)'
            cand --no-pipelining 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip'
            cand --data 'Send a short test message with DATA and time the reply to the final dot'
            cand --no-live 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed'
            cand --json 'Same as --format json'
            cand -v 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand --verbose 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand -q 'Quiet: only the summary and the findings'
            cand --quiet 'Quiet: only the summary and the findings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;mock'= {
            cand --listen 'Address to listen on, e.g. 127.0.0.1:2525'
            cand --scenario 'Scenario to serve (see `smtpdoctor demo --list`; client-dot-hold, client-teaser, client-keepalive, client-multiline, client-strict and client-minimal are made for judging clients)'
            cand --count 'Serve N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far'
            cand --hold 'The scenario''s deliberate delay: the hold of the dot reply (client-dot-hold, default 11m), the silence after the teaser (client-teaser, 6s), the whole keep-alive period (client-keepalive, 3m), the gap between EHLO lines (client-multiline, 200ms)'
            cand --cert 'Certificate chain (PEM) to present after STARTTLS instead of the demo certificate'
            cand --key 'Private key (PEM) of --cert'
            cand --format 'Output format'
            cand --color 'When to use colors (NO_COLOR set and non-empty means never)'
            cand --once 'Serve one connection, print its report and exit with its exit code'
            cand --json 'Same as --format json'
            cand -v 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand --verbose 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand -q 'Quiet: only the summary and the findings'
            cand --quiet 'Quiet: only the summary and the findings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;proxy'= {
            cand --listen 'Address to listen on, e.g. 127.0.0.1:2525'
            cand --upstream 'The server to relay to: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT (port 25 by default); resolved once, and the only place the proxy connects to'
            cand --tls 'TLS after STARTTLS: relay it opaquely, or terminate it on both sides'
            cand --cert 'Certificate chain (PEM) shown to clients in terminate mode (default: one generated for the run, whose fingerprint the report names)'
            cand --key 'Private key (PEM) of --cert'
            cand --ca-file 'Extra trust anchors (PEM) for the upstream''s certificate in terminate mode'
            cand --count 'Relay N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far'
            cand --timeout 'End a session when no byte moved in either direction for this long (at most 1h)'
            cand --format 'Output format'
            cand --color 'When to use colors (NO_COLOR set and non-empty means never)'
            cand --once 'Relay one connection, print its report and exit with its exit code'
            cand --json 'Same as --format json'
            cand -v 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand --verbose 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand -q 'Quiet: only the summary and the findings'
            cand --quiet 'Quiet: only the summary and the findings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;explain'= {
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;report'= {
            cand --format 'Output format'
            cand --color 'When to use colors (NO_COLOR set and non-empty means never)'
            cand -v 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand --verbose 'Verbose: show TCP read boundaries with their times, and TLS details'
            cand -q 'Quiet: only the summary and the findings'
            cand --quiet 'Quiet: only the summary and the findings'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtpdoctor;help'= {
            cand probe 'Probe a mail domain, an address or a server and print an annotated transcript'
            cand demo 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline'
            cand mock 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)'
            cand proxy 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream''s)'
            cand explain 'Explain a finding id or an MTA''s queue or log error text'
            cand report 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smtpdoctor;help;probe'= {
        }
        &'smtpdoctor;help;demo'= {
        }
        &'smtpdoctor;help;mock'= {
        }
        &'smtpdoctor;help;proxy'= {
        }
        &'smtpdoctor;help;explain'= {
        }
        &'smtpdoctor;help;report'= {
        }
        &'smtpdoctor;help;help'= {
        }
    ]
    $completions[$command]
}
