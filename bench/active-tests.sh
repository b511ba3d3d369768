#!/usr/bin/env bash
# Benchmark: how long the active tests take, now that they are decided by the replies that
# always come instead of by waiting on silence.
#
#   bench/active-tests.sh [N]       N runs of every case (default 10, or $N)
#
# Cases, each timed as wall time of the whole `smtpdoctor probe` run (median and max of N):
#   - all seven tests (`--test pregreet,pipelining,starttls-injection,smuggling,bare-lf,
#     unknown-command,relay`) against the lab Postfix (tests/lab/postfix.sh) on a free
#     loopback port; goal: under 2 s;
#   - `--test smuggling` alone against the built-in vulnerable and fixed servers
#     (`smtpdoctor mock --scenario smuggling-vulnerable|smuggling-fixed`); goal: under 0.5 s;
#   - `--test smuggling` alone against the lab Postfix.
# Every run must report the verdict the server deserves (the vulnerable server:
# smuggle-eod-accepted; the fixed one and Postfix: none); a wrong verdict fails the benchmark.
#
# Needs root (or password-less sudo) for Postfix, plus postfix, python3 and cargo.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${N:-10}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [N]" >&2
    exit 2
}
say() { printf '== %s\n' "$*" >&2; }

work=$(mktemp -d -t smtpdoctor-bench-active.XXXXXX)
chmod 755 "$work"
pfdir=$work/postfix
mock_pids=()
cleanup() {
    for pid in "${mock_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    bash "$repo/tests/lab/postfix.sh" stop "$pfdir" || true
    rm -rf -- "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- the lab Postfix -----------------------------------------------------------------------
source "$repo/bench/lab.sh"
start_lab_postfix "$pfdir"

# --- smtpdoctor ----------------------------------------------------------------------------
source "$repo/bench/build.sh"
build_smtpdoctor

# --- the built-in servers ------------------------------------------------------------------
declare -A mock_port
for scenario in smuggling-vulnerable smuggling-fixed; do
    p=$(free_port)
    "$smtpdoctor" mock --listen "127.0.0.1:$p" --scenario "$scenario" >/dev/null 2>&1 &
    mock_pids+=($!)
    mock_port[$scenario]=$p
done
for scenario in "${!mock_port[@]}"; do
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/${mock_port[$scenario]}") 2>/dev/null && break
        sleep 0.1
    done
done

all_tests=pregreet,pipelining,starttls-injection,smuggling,bare-lf,unknown-command,relay

# case name | server | --test | the finding ids the verdict must hold (sorted, space-separated)
cases=(
    "all seven vs Postfix|127.0.0.1:$port|$all_tests|lab.test|"
    "smuggling vs Postfix|127.0.0.1:$port|smuggling|lab.test|"
    "smuggling vs vulnerable mock|127.0.0.1:${mock_port[smuggling-vulnerable]}|smuggling|demo.test|smuggle-eod-accepted"
    "smuggling vs fixed mock|127.0.0.1:${mock_port[smuggling-fixed]}|smuggling|demo.test|"
)

# The active-test findings of a report (test stages only), sorted and unique.
active_ids() {
    python3 -c '
import json, sys
doc = json.load(sys.stdin)
ids = sorted({f["id"] for f in doc["findings"] if f["stage"].startswith("test:")
              and f["severity"] != "info"})
print(" ".join(ids))'
}

printf '%-30s %10s %10s %s\n' case median max verdict
for c in "${cases[@]}"; do
    IFS='|' read -r name server tests domain want <<<"$c"
    times=()
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        out=$("$smtpdoctor" probe "$domain" --server "$server" --test "$tests" \
            --to "postmaster@$domain" --json || true)
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
        got=$(active_ids <<<"$out")
        if [[ $got != "$want" ]]; then
            echo "$name: expected findings [$want], got [$got]" >&2
            exit 1
        fi
    done
    read -r median max < <(printf '%s\n' "${times[@]}" | sort -n | awk '
        { v[NR] = $1 } END { printf "%.3f %.3f\n", v[int((NR + 1) / 2)] / 1e6, v[NR] / 1e6 }')
    printf '%-30s %9ss %9ss %s\n' "$name" "$median" "$max" "${want:-clean}"
done
