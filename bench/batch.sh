#!/usr/bin/env bash
# Benchmark: many targets (SPEC §10). 1,000 targets whose server answers with realistic latency
# (greeting 100 ms after connect, every reply 20 ms after its command: bench/slow-smtp.py), at
# -j 64: smtpdoctor's targets per second against the ideal (concurrency / the latency of one
# target, measured by a probe of one target) and, in the same run, against GNU parallel -j 64
# driving `swaks --quit-after RCPT` and driving check_smtp (monitoring-plugins) to RCPT. Then
# smtpdoctor's peak RSS at -j 256, and for 1,000 vs 10,000 targets (it must be flat).
#
#   bench/batch.sh            N=1000 BIG=10000 by default ($N, $BIG)
#
# Every target is a name of its own (t1.bench.test ...) probed with --server 127.0.0.1:PORT,
# so no DNS is involved and all share one server; --per-host is raised to -j (the cap for one
# address is a politeness limit, not what is measured here). Goals: at least 0.8 of the ideal,
# at least 5x parallel+swaks, peak RSS at -j 256 under 64 MiB.
# Needs python3, swaks, monitoring-plugins-standard, parallel, cargo. Talks only to loopback.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000}
big=${BIG:-10000}
jobs=64
wide=256
greeting=0.1
reply=0.02
check_smtp=/usr/lib/nagios/plugins/check_smtp
say() { printf '== %s\n' "$*" >&2; }
for c in python3 swaks parallel "$check_smtp"; do
    command -v "$c" >/dev/null || {
        echo "missing: $c" >&2
        exit 2
    }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d -t smtpdoctor-bench-batch.XXXXXX)
server_pid=
cleanup() {
    [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
    rm -rf -- "$work"
}
trap cleanup EXIT

source "$repo/bench/build.sh"
build_smtpdoctor

coproc SERVER { exec python3 "$repo/bench/slow-smtp.py" 0 "$greeting" "$reply"; }
server_pid=$SERVER_PID
read -r ready port <&"${SERVER[0]}"
[[ $ready == ready ]] || {
    echo "the slow server did not start" >&2
    exit 1
}
server=127.0.0.1:$port
seq 1 "$n" | sed 's/^/t/; s/$/.bench.test/' >"$work/list"
seq 1 "$big" | sed 's/^/t/; s/$/.bench.test/' >"$work/big"

now() { printf '%s\n' "$EPOCHREALTIME"; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
probe=("$smtpdoctor" probe --server "$server" --timeout 60s)

# --- the latency of one target (median of 5) -------------------------------------------------
lat=()
for _ in 1 2 3 4 5; do
    t0=$(now)
    "${probe[@]}" t0.bench.test --json >"$work/one.json" || [[ $? -le 1 ]]
    lat+=("$(ms_since "$t0")")
done
one_ms=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p)
ideal=$(awk -v j="$jobs" -v l="$one_ms" 'BEGIN { printf "%.1f", j / (l / 1000) }')
say "one target: $one_ms ms; ideal at -j $jobs: $ideal targets/s"

# --- smtpdoctor -j 64 ------------------------------------------------------------------------
t0=$(now)
"${probe[@]}" --targets "$work/list" -j "$jobs" --per-host "$jobs" --json >"$work/sd.jsonl" || [[ $? -le 2 ]]
sd_ms=$(ms_since "$t0")
sd_docs=$(wc -l <"$work/sd.jsonl")
sd_ok=$(grep -c '"outcome":"completed"' "$work/sd.jsonl" || true)
[[ $sd_docs -eq $n && $sd_ok -ge $n ]] || {
    echo "smtpdoctor: $sd_docs documents, $sd_ok completed attempts for $n targets" >&2
    exit 1
}
sd_rate=$(awk -v n="$n" -v m="$sd_ms" 'BEGIN { printf "%.1f", n / (m / 1000) }')
say "smtpdoctor -j $jobs: $n targets in $sd_ms ms"

# --- GNU parallel -j 64 + swaks --------------------------------------------------------------
t0=$(now)
parallel --will-cite -j "$jobs" swaks --silent 2 --server "$server" --to 'postmaster@{}' \
    --quit-after RCPT :::: "$work/list" >"$work/swaks.out" 2>&1 || {
    echo "parallel+swaks: $? failures: $(head -c 300 "$work/swaks.out")" >&2
    exit 1
}
sw_ms=$(ms_since "$t0")
sw_rate=$(awk -v n="$n" -v m="$sw_ms" 'BEGIN { printf "%.1f", n / (m / 1000) }')
say "parallel+swaks -j $jobs: $n targets in $sw_ms ms"

# --- GNU parallel -j 64 + check_smtp ---------------------------------------------------------
t0=$(now)
parallel --will-cite -j "$jobs" "$check_smtp" -H 127.0.0.1 -p "$port" -t 60 -f bench@bench.test \
    -C "'RCPT TO:<postmaster@{}>'" -R 250 :::: "$work/list" >"$work/check.out" 2>&1 || {
    echo "parallel+check_smtp: $? failures: $(head -c 300 "$work/check.out")" >&2
    exit 1
}
cs_ms=$(ms_since "$t0")
cs_rate=$(awk -v n="$n" -v m="$cs_ms" 'BEGIN { printf "%.1f", n / (m / 1000) }')
say "parallel+check_smtp -j $jobs: $n targets in $cs_ms ms"

# --- peak RSS at -j 256, 1,000 vs 10,000 targets ---------------------------------------------
maxrss() {
    # The peak RSS (KiB) of the command, its stdout counted in lines.
    python3 - "$@" <<'PY'
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
lines = p.stdout.count(b"\n")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, lines, p.returncode)
PY
}
read -r rss_n docs_n _ < <(maxrss "${probe[@]}" --targets "$work/list" -j "$wide" --per-host "$wide" --json)
say "smtpdoctor -j $wide, $n targets: peak RSS $rss_n KiB ($docs_n documents)"
t0=$(now)
read -r rss_big docs_big _ < <(maxrss "${probe[@]}" --targets "$work/big" -j "$wide" --per-host "$wide" --json)
big_ms=$(ms_since "$t0")
say "smtpdoctor -j $wide, $big targets: peak RSS $rss_big KiB ($docs_big documents, $big_ms ms)"
[[ $docs_n -eq $n && $docs_big -eq $big ]] || {
    echo "missing documents: $docs_n/$n, $docs_big/$big" >&2
    exit 1
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "many targets: $n targets, greeting $(awk -v g=$greeting 'BEGIN{print g*1000}') ms, each reply $(awk -v r=$reply 'BEGIN{print r*1000}') ms, -j $jobs"
printf '%-34s %12s %12s\n' case "targets/s" "wall ms"
printf '%-34s %12s %12s\n' "ideal ($jobs / $one_ms ms)" "$ideal" "-"
printf '%-34s %12s %12s\n' "smtpdoctor -j $jobs" "$sd_rate" "$sd_ms"
printf '%-34s %12s %12s\n' "parallel -j $jobs swaks" "$sw_rate" "$sw_ms"
printf '%-34s %12s %12s\n' "parallel -j $jobs check_smtp" "$cs_rate" "$cs_ms"
echo
printf 'smtpdoctor / ideal          %s  (goal >= 0.8)\n' "$(awk -v a="$sd_rate" -v b="$ideal" 'BEGIN { printf "%.2f", a / b }')"
printf 'smtpdoctor / parallel+swaks %sx (goal >= 5)\n' "$(awk -v a="$sd_rate" -v b="$sw_rate" 'BEGIN { printf "%.1f", a / b }')"
printf 'smtpdoctor / parallel+check_smtp %sx\n' "$(awk -v a="$sd_rate" -v b="$cs_rate" 'BEGIN { printf "%.1f", a / b }')"
printf 'peak RSS -j %s: %s targets %s MiB, %s targets %s MiB (goal < 64 MiB, flat)\n' \
    "$wide" "$n" "$(mib "$rss_n")" "$big" "$(mib "$rss_big")"
