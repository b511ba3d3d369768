
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'smtpdoctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'smtpdoctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'smtpdoctor' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe a mail domain, an address or a server and print an annotated transcript')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream''s)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a finding id or an MTA''s queue or log error text')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smtpdoctor;probe' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Connect here and skip the MX lookup: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT')
            [CompletionResult]::new('--targets', '--targets', [CompletionResultType]::ParameterName, 'Many targets: also probe each line of FILE (- for stdin), streamed: one domain, address or IP per line; blank lines and # comments are ignored, a target listed twice is probed once, an invalid line becomes a target-invalid document. JSON: one document per line as each finishes; text: a status line per target, then a summary')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Targets probed at once (each with the budgets of a probe alone)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Targets probed at once (each with the budgets of a probe alone)')
            [CompletionResult]::new('--per-host', '--per-host', [CompletionResultType]::ParameterName, 'Connections open to one IP address at a time, across all targets (shared MX hosts)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'New connections per second overall (e.g. 50, 0.5). Default: no cap')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Probe only shard I of N (0-based): the targets whose stable hash (XXH3-64 of the normalized target, seed 0) modulo N is I; shards 0..N-1 together cover the list once')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port used for MX hosts')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'Name sent in EHLO/HELO. Default: this host''s name')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'STARTTLS policy')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name (SNI and certificate name check). Default: the MX or server host name')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM). The certificate is always verified and reported')
            [CompletionResult]::new('--quit-after', '--quit-after', [CompletionResultType]::ParameterName, 'Last stage before RSET and QUIT')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged')
            [CompletionResult]::new('--slow', '--slow', [CompletionResultType]::ParameterName, 'A reply slower than this is flagged (reply-slow, greeting-slow)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory')
            [CompletionResult]::new('--dot-slow', '--dot-slow', [CompletionResultType]::ParameterName, 'A reply to the final dot slower than this (until its last line) is flagged dot-slow')
            [CompletionResult]::new('--cert-warn', '--cert-warn', [CompletionResultType]::ParameterName, 'A certificate expiring within this is flagged tls-cert-expiring')
            [CompletionResult]::new('--test', '--test', [CompletionResultType]::ParameterName, 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it')
            [CompletionResult]::new('--dane', '--dane', [CompletionResultType]::ParameterName, 'DANE (RFC 7672): validate the MX hosts'' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server')
            [CompletionResult]::new('--mta-sts', '--mta-sts', [CompletionResultType]::ParameterName, 'MTA-STS (RFC 8461): fetch the domain''s policy over HTTPS and check every MX host and certificate against it. Not for --server')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone''s keys (for test zones and private roots)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (NO_COLOR set and non-empty means never)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Probe every MX host and every address, not only the first that answers')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Only IPv4 addresses')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Only IPv6 addresses')
            [CompletionResult]::new('--tls-on-connect', '--tls-on-connect', [CompletionResultType]::ParameterName, 'Implicit TLS from the first byte (port 465 style)')
            [CompletionResult]::new('--no-pipelining', '--no-pipelining', [CompletionResultType]::ParameterName, 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Send a short test message with DATA and time the reply to the final dot')
            [CompletionResult]::new('--no-live', '--no-live', [CompletionResultType]::ParameterName, 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;demo' {
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Run this built-in misbehaving client against the mock instead, and print the client report of each of its connections (see --list)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port used for MX hosts')
            [CompletionResult]::new('--resolver', '--resolver', [CompletionResultType]::ParameterName, 'Ask this DNS server, IP[:PORT] or [IPv6]:PORT (repeatable). Default: system configuration')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'Name sent in EHLO/HELO. Default: this host''s name')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Reverse-path for MAIL FROM. Default: <> (the null reverse-path every MX must accept)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'RCPT address (repeatable). Default: the address in TARGET, else postmaster@<domain>')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'STARTTLS policy')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'TLS server name (SNI and certificate name check). Default: the MX or server host name')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM). The certificate is always verified and reported')
            [CompletionResult]::new('--quit-after', '--quit-after', [CompletionResultType]::ParameterName, 'Last stage before RSET and QUIT')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Every wait (connect, each reply) lasts at most this. Default: the RFC 5321 §4.5.3.2 minimums (5m greeting, MAIL, RCPT; 2m DATA; 3m per data block; 10m after the dot), connect 30s. Longer values let replies past the RFC minimum be seen and flagged')
            [CompletionResult]::new('--slow', '--slow', [CompletionResultType]::ParameterName, 'A reply slower than this is flagged (reply-slow, greeting-slow)')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Send this content (a file, or - for stdin) as the message; implies --data. Line ends are sent as CRLF and lines starting with a dot are dot-stuffed, on the fly')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Send a generated message of this size (10M, 1G, 512K, 1000); implies --data. Streamed in constant memory')
            [CompletionResult]::new('--dot-slow', '--dot-slow', [CompletionResultType]::ParameterName, 'A reply to the final dot slower than this (until its last line) is flagged dot-slow')
            [CompletionResult]::new('--cert-warn', '--cert-warn', [CompletionResultType]::ParameterName, 'A certificate expiring within this is flagged tls-cert-expiring')
            [CompletionResult]::new('--test', '--test', [CompletionResultType]::ParameterName, 'Opt-in active tests, comma-separated, run after the probe on fresh connections to the same address. They send unusual input on purpose; only use them on servers you run. smuggling needs an explicit --to you own and delivers test messages to it')
            [CompletionResult]::new('--dane', '--dane', [CompletionResultType]::ParameterName, 'DANE (RFC 7672): validate the MX hosts'' addresses with DNSSEC and match their TLSA records against the chain each handshake presents. Not for --server')
            [CompletionResult]::new('--mta-sts', '--mta-sts', [CompletionResultType]::ParameterName, 'MTA-STS (RFC 8461): fetch the domain''s policy over HTTPS and check every MX host and certificate against it. Not for --server')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors: DS or DNSKEY records in zone-file form, replacing the root zone''s keys (for test zones and private roots)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (NO_COLOR set and non-empty means never)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the scenarios (servers) and the demo clients, and exit')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Probe every MX host and every address, not only the first that answers')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Only IPv4 addresses')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Only IPv6 addresses')
            [CompletionResult]::new('--tls-on-connect', '--tls-on-connect', [CompletionResultType]::ParameterName, 'Implicit TLS from the first byte (port 465 style)')
            [CompletionResult]::new('--no-pipelining', '--no-pipelining', [CompletionResultType]::ParameterName, 'Send one command at a time. By default, when the server advertises PIPELINING, MAIL, RCPT, RSET and QUIT go as one group (RFC 2920), as a sending MTA does: one round trip')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Send a short test message with DATA and time the reply to the final dot')
            [CompletionResult]::new('--no-live', '--no-live', [CompletionResultType]::ParameterName, 'Do not show the dialogue live. On a terminal, the text output shows each line as it is sent or received (with its time and direction), then the judged report; with --no-live, or when stdout is no terminal, only the report is printed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;mock' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on, e.g. 127.0.0.1:2525')
            [CompletionResult]::new('--scenario', '--scenario', [CompletionResultType]::ParameterName, 'Scenario to serve (see `smtpdoctor demo --list`; client-dot-hold, client-teaser, client-keepalive, client-multiline, client-strict and client-minimal are made for judging clients)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Serve N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'The scenario''s deliberate delay: the hold of the dot reply (client-dot-hold, default 11m), the silence after the teaser (client-teaser, 6s), the whole keep-alive period (client-keepalive, 3m), the gap between EHLO lines (client-multiline, 200ms)')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM) to present after STARTTLS instead of the demo certificate')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (NO_COLOR set and non-empty means never)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Serve one connection, print its report and exit with its exit code')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;proxy' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on, e.g. 127.0.0.1:2525')
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'The server to relay to: HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT (port 25 by default); resolved once, and the only place the proxy connects to')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS after STARTTLS: relay it opaquely, or terminate it on both sides')
            [CompletionResult]::new('--cert', '--cert', [CompletionResultType]::ParameterName, 'Certificate chain (PEM) shown to clients in terminate mode (default: one generated for the run, whose fingerprint the report names)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Private key (PEM) of --cert')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra trust anchors (PEM) for the upstream''s certificate in terminate mode')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Relay N connections and exit with the worst of their exit codes. Default: until interrupted (Ctrl-C), then the worst so far')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'End a session when no byte moved in either direction for this long (at most 1h)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (NO_COLOR set and non-empty means never)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Relay one connection, print its report and exit with its exit code')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;explain' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;report' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (NO_COLOR set and non-empty means never)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Verbose: show TCP read boundaries with their times, and TLS details')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Quiet: only the summary and the findings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtpdoctor;help' {
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe a mail domain, an address or a server and print an annotated transcript')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Start the built-in scripted SMTP server on a loopback port and probe it, or run a built-in misbehaving client against it (--client); works offline')
            [CompletionResult]::new('mock', 'mock', [CompletionResultType]::ParameterValue, 'Serve one built-in scenario on ADDR and judge every client that connects: a client report per connection (annotated transcript, client findings, verdict)')
            [CompletionResult]::new('proxy', 'proxy', [CompletionResultType]::ParameterValue, 'Relay live sessions between clients and one upstream server on ADDR, unchanged, and judge both sides: a client report per connection (client findings and the upstream''s)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a finding id or an MTA''s queue or log error text')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Print a saved JSON report (of probe, mock or proxy; one document or JSON Lines) as the text or Nagios output of the run that wrote it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smtpdoctor;help;probe' {
            break
        }
        'smtpdoctor;help;demo' {
            break
        }
        'smtpdoctor;help;mock' {
            break
        }
        'smtpdoctor;help;proxy' {
            break
        }
        'smtpdoctor;help;explain' {
            break
        }
        'smtpdoctor;help;report' {
            break
        }
        'smtpdoctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
