#!/usr/bin/env bash
# Benchmark: what `smtpdoctor proxy` costs in front of the lab Postfix, against a direct
# connection, in one run:
#   - a 10 MB message (smtpdoctor probe --size 10M --data) through the proxy vs straight into
#     Postfix: median wall times and their ratio;
#   - the proxy's peak RSS over those sessions (GNU time);
#   - the added latency per command round trip: median µs of NOOP round trips through the
#     proxy minus the same directly (a Python client, one NOOP at a time).
#
#   bench/proxy-vs-direct.sh [N]     N runs of each 10 MB case (default 3), 5 x 90 NOOPs
#
# Needs root (or password-less sudo) for Postfix, plus postfix, python3, GNU time and cargo.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${N:-3}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [N]" >&2
    exit 2
}
# Postfix ends a session after 100 junk commands (smtpd_junk_command_limit; NOOP is one):
# the round trips are taken over several sessions of 90 NOOPs.
noop_sessions=5
noops=90
say() { printf '== %s\n' "$*" >&2; }

work=$(mktemp -d -t smtpdoctor-bench-proxy.XXXXXX)
chmod 755 "$work"
pfdir=$work/postfix
proxy_pid=
cleanup() {
    [[ -z $proxy_pid ]] || kill "$proxy_pid" 2>/dev/null || true
    bash "$repo/tests/lab/postfix.sh" stop "$pfdir" >/dev/null 2>&1 || true
    rm -rf -- "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the lab Postfix -------------------------------------------------------------------------
source "$repo/bench/lab.sh"
start_lab_postfix "$pfdir"

# --- smtpdoctor ------------------------------------------------------------------------------
source "$repo/bench/build.sh"
build_smtpdoctor

# The proxy serves every session of the run; GNU time reports its peak RSS when it exits.
pport=$(free_port)
sessions=$((runs + noop_sessions))
/usr/bin/time -f '%M' -o "$work/rss" "$smtpdoctor" proxy --listen "127.0.0.1:$pport" \
    --upstream "127.0.0.1:$port" --count "$sessions" --json >"$work/reports" 2>"$work/proxy.err" &
proxy_pid=$!
for _ in $(seq 50); do
    grep -q relaying "$work/proxy.err" 2>/dev/null && break
    sleep 0.1
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

ten_mb() { # ten_mb PORT: wall seconds of one 10 MB probe with DATA
    local t0 t1
    t0=$(date +%s.%N)
    "$smtpdoctor" probe postmaster@lab.test --server "127.0.0.1:$1" --starttls never \
        --from bench@lab.test --helo bench.lab.test --size 10M --json >"$work/last-probe.json" || true
    [[ $(grep -o '"dot_code":[0-9]*' "$work/last-probe.json") == '"dot_code":250' ]] || { echo "the 10 MB message was not accepted" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

say "10 MB x $runs, direct and through the proxy"
: >"$work/direct"
: >"$work/proxied"
for _ in $(seq "$runs"); do
    ten_mb "$port" >>"$work/direct"
    ten_mb "$pport" >>"$work/proxied"
done
direct=$(median <"$work/direct")
proxied=$(median <"$work/proxied")

noop_rtt() { # noop_rtt PORT: median µs of one NOOP round trip
    python3 - "$1" "$noops" "$noop_sessions" <<'PY'
import socket, sys, time, statistics
port, n, sessions = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
times = []
for _ in range(sessions):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    def reply():
        while True:
            line = f.readline()
            if len(line) < 4 or line[3:4] != b"-":
                return line
    reply()
    s.sendall(b"EHLO bench.lab.test\r\n"); reply()
    for _ in range(n):
        t = time.perf_counter_ns()
        s.sendall(b"NOOP\r\n"); reply()
        times.append((time.perf_counter_ns() - t) / 1000)
    s.sendall(b"QUIT\r\n"); reply()
    s.close()
print(f"{statistics.median(times):.1f}")
PY
}

say "$noop_sessions x $noops NOOP round trips, direct and through the proxy"
rtt_direct=$(noop_rtt "$port")
rtt_proxied=$(noop_rtt "$pport")
wait "$proxy_pid" || true
proxy_pid=
rss_kb=$(tail -n1 "$work/rss")

printf '\n%-44s %s\n' "case" "figure"
printf '%-44s %.3f s\n' "10 MB direct into Postfix (median of $runs)" "$direct"
printf '%-44s %.3f s\n' "10 MB through the proxy (median of $runs)" "$proxied"
printf '%-44s %.2f\n' "ratio proxy / direct" "$(echo "$proxied / $direct" | bc -l)"
printf '%-44s %s KiB\n' "proxy peak RSS ($sessions sessions)" "$rss_kb"
printf '%-44s %s µs\n' "NOOP round trip direct (median)" "$rtt_direct"
printf '%-44s %s µs\n' "NOOP round trip through the proxy (median)" "$rtt_proxied"
printf '%-44s %.1f µs\n' "added latency per round trip" "$(echo "$rtt_proxied - $rtt_direct" | bc -l)"

# --- flat memory: 10 MB and 1 GB through the proxy into smtp-sink ---------------------------
# Postfix would queue a gigabyte on disk; smtp-sink (shipped with Postfix) discards it. The
# proxy's peak RSS for one session of each size must be the same within a few MiB.
sink_port=$(free_port)
sink_user=$(id -un)
[[ $sink_user != root ]] || sink_user=nobody
smtp-sink -u "$sink_user" -c "127.0.0.1:$sink_port" 64 >/dev/null 2>&1 &
sink_pid=$!
sleep 0.3
one_session_rss() { # one_session_rss SIZE: the proxy's peak RSS (KiB) for one message of SIZE
    local p
    p=$(free_port)
    /usr/bin/time -f '%M' -o "$work/rss-$1" "$smtpdoctor" proxy --listen "127.0.0.1:$p" \
        --upstream "127.0.0.1:$sink_port" --once --json >/dev/null 2>"$work/proxy-$1.err" &
    local pid=$!
    for _ in $(seq 50); do
        grep -q relaying "$work/proxy-$1.err" 2>/dev/null && break
        sleep 0.1
    done
    "$smtpdoctor" probe postmaster@lab.test --server "127.0.0.1:$p" --starttls never \
        --from bench@lab.test --helo bench.lab.test --size "$1" --json >"$work/probe-$1.json" || true
    wait "$pid" || true
    grep -q '"dot_code":250' "$work/probe-$1.json" || {
        echo "the $1 message did not get through the proxy into smtp-sink" >&2
        exit 1
    }
    tail -n1 "$work/rss-$1"
}
say "one message of 10 MB and one of 1 GB through the proxy into smtp-sink"
rss_10m=$(one_session_rss 10M)
rss_1g=$(one_session_rss 1G)
kill "$sink_pid" 2>/dev/null || true
printf '%-44s %s KiB\n' "proxy peak RSS, one 10 MB message" "$rss_10m"
printf '%-44s %s KiB\n' "proxy peak RSS, one 1 GB message" "$rss_1g"
