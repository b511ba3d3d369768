# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_smtpdoctor_global_optspecs
    string join \n h/help V/version
end

function __fish_smtpdoctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_smtpdoctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_smtpdoctor_using_subcommand
    set -l cmd (__fish_smtpdoctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -s h -l help -d 'Print help'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "probe" -d 'Probe a mail domain, an address or a server and print an annotated transcript'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "demo" -d 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "mock" -d 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "proxy" -d 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream\'s)'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "explain" -d 'Explain a finding id or an MTA\'s queue or log error text'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "report" -d 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it'
complete -c smtpdoctor -n "__fish_smtpdoctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l server -d 'Connect here and skip the MX lookup: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l targets -d 'Many targets: also probe each line of FILE (- for stdin), streamed: one domain, address or IP per line; blank lines and # comments are ignored, a target listed twice is probed once, an invalid line becomes a target-invalid document. JSON: one document per line as each finishes; text: a status line per target, then a summary' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s j -l jobs -d 'Targets probed at once (each with the budgets of a probe alone)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l per-host -d 'Connections open to one IP address at a time, across all targets (shared MX hosts)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l rate -d 'New connections per second overall (e.g. 50, 0.5). Default: no cap' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l shard -d 'Probe only shard I of N (0-based): the targets whose stable hash (XXH3-64 of the normalized target, seed 0) modulo N is I; shards 0..N-1 together cover the list once' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l port -d 'Port used for MX hosts' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l resolver -d 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l helo -d 'Name sent in EHLO/HELO. Default: this host\'s name' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l from -d 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l to -d 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l starttls -d 'STARTTLS policy' -r -f -a "auto\t'Use STARTTLS when offered; failures are findings and the dialogue goes on'
require\t'TLS is mandatory: its absence or failure is `starttls-policy-failed` and the dialogue stops'
never\t'Never send STARTTLS'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l sni -d 'TLS server name (SNI and certificate name check). Default: the MX or server host name' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l ca-file -d 'Extra trust anchors (PEM). The certificate is always verified and reported' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l quit-after -d 'Last stage before RSET and QUIT' -r -f -a "connect\t'Stop once TCP is connected'
greeting\t'Stop after the greeting'
ehlo\t'Stop after EHLO/HELO'
tls\t'Stop after STARTTLS and the second EHLO'
mail\t'Stop after MAIL FROM'
rcpt\t'Stop after RCPT TO (no mail is sent)'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l timeout -d 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l slow -d 'A reply slower than this is flagged (reply-slow, greeting-slow)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l body -d 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l size -d 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l dot-slow -d 'A reply to the final dot slower than this (until its last line) is flagged dot-slow' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l cert-warn -d 'A certificate expiring within this is flagged tls-cert-expiring' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l test -d 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it' -r -f -a "pregreet\t'EHLO before the greeting (and between a 220- teaser and the final line)'
pipelining\t'MAIL, RCPT, RCPT and NOOP in one write, whether or not PIPELINING is advertised'
starttls-injection\t'STARTTLS and NOOP in one write; a NOOP reply inside TLS is CVE-2011-0411'
smuggling\t'Messages ending in non-standard end-of-data sequences (needs --to you own; delivers test messages to it)'
bare-lf\t'NOOP ended by a bare LF'
unknown-command\t'An unknown command: does the server hang up?'
relay\t'RCPT (never DATA) to foreign domains and old relay tricks, RSET after each'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l dane -d 'DANE (RFC 7672): validate the MX hosts\' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server' -r -f -a "auto\t'Evaluate it when the domain publishes it'
off\t'Do not evaluate it'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l mta-sts -d 'MTA-STS (RFC 8461): fetch the domain\'s policy over HTTPS and check every MX host and certificate against it. Not for --server' -r -f -a "auto\t'Evaluate it when the domain publishes it'
off\t'Do not evaluate it'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l trust-anchor -d 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone\'s keys (for test zones and private roots)' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l format -d 'Output format' -r -f -a "text\t'Annotated transcript for people'
json\t'One JSON document (schema smtpdoctor.report/v1)'
nagios\t'One Nagios/Icinga status line with performance data'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l color -d 'When to use colors (NO_COLOR set and non-empty means never)' -r -f -a "auto\t'Colors when stdout is a terminal and NO_COLOR is not set'
always\t'Always color'
never\t'Never color'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l all -d 'Probe every MX host and every address, not only the first that answers'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s 4 -d 'Only IPv4 addresses'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s 6 -d 'Only IPv6 addresses'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l tls-on-connect -d 'Implicit TLS from the first byte (port 465 style)'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l no-pipelining -d 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l data -d 'Send a short test message with DATA and time the reply to the final dot'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l no-live -d 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -l json -d 'Same as --format json'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s v -l verbose -d 'Verbose: show TCP read boundaries with their times, and TLS details'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s q -l quiet -d 'Quiet: only the summary and the findings'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand probe" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l client -d 'Run this built-in misbehaving client against the mock instead, and print the client report of each of its connections (see --list)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l port -d 'Port used for MX hosts' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l resolver -d 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l helo -d 'Name sent in EHLO/HELO. Default: this host\'s name' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l from -d 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l to -d 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l starttls -d 'STARTTLS policy' -r -f -a "auto\t'Use STARTTLS when offered; failures are findings and the dialogue goes on'
require\t'TLS is mandatory: its absence or failure is `starttls-policy-failed` and the dialogue stops'
never\t'Never send STARTTLS'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l sni -d 'TLS server name (SNI and certificate name check). Default: the MX or server host name' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l ca-file -d 'Extra trust anchors (PEM). The certificate is always verified and reported' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l quit-after -d 'Last stage before RSET and QUIT' -r -f -a "connect\t'Stop once TCP is connected'
greeting\t'Stop after the greeting'
ehlo\t'Stop after EHLO/HELO'
tls\t'Stop after STARTTLS and the second EHLO'
mail\t'Stop after MAIL FROM'
rcpt\t'Stop after RCPT TO (no mail is sent)'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l timeout -d 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l slow -d 'A reply slower than this is flagged (reply-slow, greeting-slow)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l body -d 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l size -d 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l dot-slow -d 'A reply to the final dot slower than this (until its last line) is flagged dot-slow' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l cert-warn -d 'A certificate expiring within this is flagged tls-cert-expiring' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l test -d 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it' -r -f -a "pregreet\t'EHLO before the greeting (and between a 220- teaser and the final line)'
pipelining\t'MAIL, RCPT, RCPT and NOOP in one write, whether or not PIPELINING is advertised'
starttls-injection\t'STARTTLS and NOOP in one write; a NOOP reply inside TLS is CVE-2011-0411'
smuggling\t'Messages ending in non-standard end-of-data sequences (needs --to you own; delivers test messages to it)'
bare-lf\t'NOOP ended by a bare LF'
unknown-command\t'An unknown command: does the server hang up?'
relay\t'RCPT (never DATA) to foreign domains and old relay tricks, RSET after each'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l dane -d 'DANE (RFC 7672): validate the MX hosts\' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server' -r -f -a "auto\t'Evaluate it when the domain publishes it'
off\t'Do not evaluate it'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l mta-sts -d 'MTA-STS (RFC 8461): fetch the domain\'s policy over HTTPS and check every MX host and certificate against it. Not for --server' -r -f -a "auto\t'Evaluate it when the domain publishes it'
off\t'Do not evaluate it'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l trust-anchor -d 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone\'s keys (for test zones and private roots)' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l format -d 'Output format' -r -f -a "text\t'Annotated transcript for people'
json\t'One JSON document (schema smtpdoctor.report/v1)'
nagios\t'One Nagios/Icinga status line with performance data'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l color -d 'When to use colors (NO_COLOR set and non-empty means never)' -r -f -a "auto\t'Colors when stdout is a terminal and NO_COLOR is not set'
always\t'Always color'
never\t'Never color'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l list -d 'List the scenarios (servers) and the demo clients, and exit'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l all -d 'Probe every MX host and every address, not only the first that answers'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s 4 -d 'Only IPv4 addresses'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s 6 -d 'Only IPv6 addresses'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l tls-on-connect -d 'Implicit TLS from the first byte (port 465 style)'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l no-pipelining -d 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l data -d 'Send a short test message with DATA and time the reply to the final dot'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l no-live -d 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -l json -d 'Same as --format json'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s v -l verbose -d 'Verbose: show TCP read boundaries with their times, and TLS details'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s q -l quiet -d 'Quiet: only the summary and the findings'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand demo" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l listen -d 'Address to listen on, e.g. 127.0.0.1:2525' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l scenario -d 'Scenario to serve (see `smtpdoctor demo --list`; client-dot-hold, client-teaser, client-keepalive, client-multiline, client-strict and client-minimal are made for judging clients)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l count -d 'Serve N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l hold -d 'The scenario\'s deliberate delay: the hold of the dot reply (client-dot-hold, default 11m), the silence after the teaser (client-teaser, 6s), the whole keep-alive period (client-keepalive, 3m), the gap between EHLO lines (client-multiline, 200ms)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l cert -d 'Certificate chain (PEM) to present after STARTTLS instead of the demo certificate' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l format -d 'Output format' -r -f -a "text\t'Annotated transcript for people'
json\t'One JSON document (schema smtpdoctor.report/v1)'
nagios\t'One Nagios/Icinga status line with performance data'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l color -d 'When to use colors (NO_COLOR set and non-empty means never)' -r -f -a "auto\t'Colors when stdout is a terminal and NO_COLOR is not set'
always\t'Always color'
never\t'Never color'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l once -d 'Serve one connection, print its report and exit with its exit code'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -l json -d 'Same as --format json'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -s v -l verbose -d 'Verbose: show TCP read boundaries with their times, and TLS details'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -s q -l quiet -d 'Quiet: only the summary and the findings'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand mock" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l listen -d 'Address to listen on, e.g. 127.0.0.1:2525' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l upstream -d 'The server to relay to: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT (port 25 by default); resolved once, and the only place the proxy connects to' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l tls -d 'TLS after STARTTLS: relay it opaquely, or terminate it on both sides' -r -f -a "passthrough\t'Relay the TLS bytes opaquely (the inside is not visible)'
terminate\t'Complete the client\'s TLS here and open our own TLS to the upstream, to see inside'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l cert -d 'Certificate chain (PEM) shown to clients in terminate mode (default: one generated for the run, whose fingerprint the report names)' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l key -d 'Private key (PEM) of --cert' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l ca-file -d 'Extra trust anchors (PEM) for the upstream\'s certificate in terminate mode' -r -F
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l count -d 'Relay N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l timeout -d 'End a session when no byte moved in either direction for this long (at most 1h)' -r
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l format -d 'Output format' -r -f -a "text\t'Annotated transcript for people'
json\t'One JSON document (schema smtpdoctor.report/v1)'
nagios\t'One Nagios/Icinga status line with performance data'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l color -d 'When to use colors (NO_COLOR set and non-empty means never)' -r -f -a "auto\t'Colors when stdout is a terminal and NO_COLOR is not set'
always\t'Always color'
never\t'Never color'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l once -d 'Relay one connection, print its report and exit with its exit code'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -l json -d 'Same as --format json'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -s v -l verbose -d 'Verbose: show TCP read boundaries with their times, and TLS details'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -s q -l quiet -d 'Quiet: only the summary and the findings'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand proxy" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand explain" -l json -d 'Print JSON'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand explain" -s h -l help -d 'Print help'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand explain" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -l format -d 'Output format' -r -f -a "text\t'Annotated transcript, as the run printed it'
nagios\t'One status line with performance data'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -l color -d 'When to use colors (NO_COLOR set and non-empty means never)' -r -f -a "auto\t'Colors when stdout is a terminal and NO_COLOR is not set'
always\t'Always color'
never\t'Never color'"
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -s v -l verbose -d 'Verbose: show TCP read boundaries with their times, and TLS details'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -s q -l quiet -d 'Quiet: only the summary and the findings'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand report" -s V -l version -d 'Print version'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "probe" -d 'Probe a mail domain, an address or a server and print an annotated transcript'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "demo" -d 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "mock" -d 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "proxy" -d 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream\'s)'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "explain" -d 'Explain a finding id or an MTA\'s queue or log error text'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "report" -d 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it'
complete -c smtpdoctor -n "__fish_smtpdoctor_using_subcommand help; and not __fish_seen_subcommand_from probe demo mock proxy explain report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
