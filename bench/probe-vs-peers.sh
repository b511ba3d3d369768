#!/usr/bin/env bash
# Benchmark: a probe up to RCPT against a local Postfix, smtpdoctor against its peers
# swaks and check_smtp (monitoring-plugins), in plain text and with STARTTLS.
#
#   bench/probe-vs-peers.sh [N]       N runs of every case (default 50, or $N)
#
# Starts the lab Postfix (tests/lab/postfix.sh) in a temporary directory on a free loopback
# port, builds smtpdoctor with `cargo build-release` (bench/build.sh), runs the six cases interleaved
# in a random order each round (so drift affects all alike) after one checked warm-up run each, and prints per case the mean
# and median wall time per run, the peak RSS, and the ratios smtpdoctor/peer.
# Wall time is measured by bench/spawn-time.py from just before posix_spawn(2) to the return of
# wait4(2): the tool's exec, start-up, exchange and exit. (Measured around a bash fork and an
# exec of GNU time, as before, each run also carried about 1.7 ms of the harness, more than a
# third of a probe, which diluted every ratio towards 1.) Peak RSS is GNU time's %M (max
# resident set size) over 5 more runs of each case.
#
# Needs root (or password-less sudo) for Postfix, plus: postfix, swaks,
# monitoring-plugins-standard, time (installed here when missing), cargo.
# When smtpdoctor cannot be built or does not produce a report, the peers are still measured
# and the report says so.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${N:-50}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [N]" >&2
    exit 2
}

check_smtp=/usr/lib/nagios/plugins/check_smtp
gnu_time=/usr/bin/time
from=bench@lab.test
rcpt=postmaster@lab.test

say() { printf '== %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# --- tools ---------------------------------------------------------------------------------

# GNU time measures peak RSS; install it when missing.
if [[ ! -x $gnu_time ]]; then
    say "installing the Debian package time (for $gnu_time)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time
fi
command -v swaks >/dev/null || {
    echo "swaks not found: apt-get install swaks" >&2
    exit 1
}
[[ -x $check_smtp ]] || {
    echo "$check_smtp not found: apt-get install monitoring-plugins-standard" >&2
    exit 1
}

# --- the lab Postfix -----------------------------------------------------------------------

work=$(mktemp -d -t smtpdoctor-bench.XXXXXX)
# Postfix's unprivileged daemons must be able to walk into the instance directory.
chmod 755 "$work"
pfdir=$work/postfix
cleanup() {
    bash "$repo/tests/lab/postfix.sh" stop "$pfdir" || true
    rm -rf -- "$work"
}
trap cleanup EXIT

source "$repo/bench/lab.sh"
start_lab_postfix "$pfdir"
cert=$pfdir/cert.pem

# --- smtpdoctor ----------------------------------------------------------------------------

smtpdoctor_note=
source "$repo/bench/build.sh"
if ! build_smtpdoctor; then
    smtpdoctor_note="cargo build-release failed"
elif [[ ! -x $smtpdoctor ]]; then
    smtpdoctor_note="no binary at $smtpdoctor"
fi

# --- cases ---------------------------------------------------------------------------------

# The six cases: mode (plain or STARTTLS) and tool.
cases=(
    "plain smtpdoctor"
    "plain swaks"
    "plain check_smtp"
    "tls smtpdoctor"
    "tls swaks"
    "tls check_smtp"
)

# Print the command of a case, one word per line.
case_command() {
    case $1 in
    "plain smtpdoctor")
        printf '%s\n' "$smtpdoctor" probe lab.test --server "127.0.0.1:$port" --from "$from" \
            --to "$rcpt" --quit-after rcpt --starttls never --format json
        ;;
    "plain swaks")
        printf '%s\n' swaks --server 127.0.0.1 --port "$port" --from "$from" --to "$rcpt" \
            --quit-after RCPT
        ;;
    "plain check_smtp")
        printf '%s\n' "$check_smtp" -H 127.0.0.1 -p "$port" -f "$from" -C "RCPT TO:<$rcpt>" -R 250
        ;;
    "tls smtpdoctor")
        printf '%s\n' "$smtpdoctor" probe lab.test --server "127.0.0.1:$port" --from "$from" \
            --to "$rcpt" --quit-after rcpt --starttls require --ca-file "$cert" \
            --sni mx1.lab.test --format json
        ;;
    "tls swaks")
        printf '%s\n' swaks --server 127.0.0.1 --port "$port" --from "$from" --to "$rcpt" \
            --quit-after RCPT --tls
        ;;
    "tls check_smtp")
        printf '%s\n' "$check_smtp" -H 127.0.0.1 -p "$port" -S -f "$from" \
            -C "RCPT TO:<$rcpt>" -R 250
        ;;
    esac
}

# What a successful run prints.
case_success_pattern() {
    case $1 in
    *smtpdoctor) echo '"schema" *: *"smtpdoctor\.report/v1"' ;;
    "plain swaks") echo '<-  250 2\.1\.5 ' ;;
    "tls swaks") echo '<~  250 2\.1\.5 ' ;;
    *check_smtp) echo '^SMTP OK' ;;
    esac
}

# Exit codes that count as a run that got through: smtpdoctor may warn (1) about the lab.
case_ok_status() {
    case $1 in
    *smtpdoctor) [[ $2 -le 1 ]] ;;
    *) [[ $2 -eq 0 ]] ;;
    esac
}

file_of() { echo "$work/${1// /-}"; }

# Run a case once; append "wall_ms status" to its results. Output goes to $2.
run_once() {
    local name=$1 out=$2 cmd wall rss status
    mapfile -t cmd < <(case_command "$name")
    read -r wall rss status < <(python3 -I -S "$repo/bench/spawn-time.py" --out "$out" -- "${cmd[@]}")
    printf '%s %s\n' "$wall" "$status" >>"$(file_of "$name").txt"
    return "$status"
}

# Peak RSS of a case under GNU time, appended to its .rss file.
rss_once() {
    local name=$1 cmd
    mapfile -t cmd < <(case_command "$name")
    "$gnu_time" -q -f '%M' -a -o "$(file_of "$name").rss" -- "${cmd[@]}" >/dev/null 2>&1 \
        </dev/null || true
}

# Warm-up and check: each case once, output captured. A case that does not get through is
# left out of the measurement (smtpdoctor included: it is still being written).
declare -A skip=()
for name in "${cases[@]}"; do
    if [[ $name == *smtpdoctor && -n $smtpdoctor_note ]]; then
        skip[$name]=$smtpdoctor_note
        continue
    fi
    log=$(file_of "$name").check
    status=0
    run_once "$name" "$log" || status=$?
    : >"$(file_of "$name").txt"
    if ! case_ok_status "$name" "$status" || ! grep -Eq "$(case_success_pattern "$name")" "$log"; then
        skip[$name]="check run failed (exit $status): $(head -c 300 "$log" | tr '\n' ' ')"
    fi
done

# The measurement proper, interleaved, in a new random order each round: what ran just before
# (a Perl start-up, a TLS handshake, a Postfix process still busy with the last QUIT) then
# weighs on every case alike.
say "$runs runs of each case against Postfix on 127.0.0.1:$port"
for ((i = 0; i < runs; i++)); do
    mapfile -t round < <(printf '%s\n' "${cases[@]}" | shuf)
    for name in "${round[@]}"; do
        [[ -z ${skip[$name]:-} ]] || continue
        run_once "$name" /dev/null || true
    done
done

# Peak RSS, separately: GNU time's own fork would count in the wall times above.
for ((i = 0; i < 5; i++)); do
    for name in "${cases[@]}"; do
        [[ -z ${skip[$name]:-} ]] || continue
        rss_once "$name"
    done
done

# --- report --------------------------------------------------------------------------------

# Print "ok mean median min rss_max" for a case from its results.
stats() {
    local name=$1 file
    file=$(file_of "$name").txt
    sort -n -k1,1 "$file" | awk -v ok_max="$([[ $name == *smtpdoctor ]] && echo 1 || echo 0)" \
        -v rss="$(sort -n "$(file_of "$name").rss" | tail -n 1)" '
        { wall[NR] = $1; sum += $1; if ($2 <= ok_max) ok++ }
        END {
            n = NR
            median = (n % 2) ? wall[(n + 1) / 2] : (wall[n / 2] + wall[n / 2 + 1]) / 2
            printf "%d %.2f %.2f %.2f %d\n", ok, sum / n, median, wall[1], rss
        }'
}

declare -A mean=() median=() rss=()
echo
echo "smtpdoctor vs peers: probe to RCPT, $runs runs per case, Postfix $(postconf -h mail_version 2>/dev/null || echo '?') on 127.0.0.1"
echo "host: $(nproc) cpu, $(uname -sr)"
echo
printf '%-18s %7s %9s %10s %8s %13s\n' case "ok/runs" "mean ms" "median ms" "min ms" "peak RSS MiB"
printf '%-18s %7s %9s %10s %8s %13s\n' ------------------ ------- --------- ---------- -------- -------------
for name in "${cases[@]}"; do
    if [[ -n ${skip[$name]:-} ]]; then
        printf '%-18s %s\n' "$name" "not measured: ${skip[$name]}"
        continue
    fi
    read -r ok m med min r < <(stats "$name")
    mean[$name]=$m
    median[$name]=$med
    rss[$name]=$r
    printf '%-18s %7s %9s %10s %8s %13s\n' "$name" "$ok/$runs" "$m" "$med" "$min" \
        "$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')"
done

echo
echo "ratios smtpdoctor/peer (below 1: smtpdoctor is faster or smaller)"
printf '%-28s %6s %8s %6s\n' pair mean median RSS
any_ratio=false
for mode in plain tls; do
    for peer in swaks check_smtp; do
        a="$mode smtpdoctor" b="$mode $peer"
        [[ -n ${mean[$a]:-} && -n ${mean[$b]:-} ]] || continue
        any_ratio=true
        awk -v p="$mode smtpdoctor/$peer" -v m1="${mean[$a]}" -v m2="${mean[$b]}" \
            -v d1="${median[$a]}" -v d2="${median[$b]}" -v r1="${rss[$a]}" -v r2="${rss[$b]}" \
            'BEGIN { printf "%-28s %6.2f %8.2f %6.2f\n", p, m1 / m2, d1 / d2, r1 / r2 }'
    done
done
if ! $any_ratio; then
    echo "(none: smtpdoctor was not measured${smtpdoctor_note:+: $smtpdoctor_note})"
fi
echo
echo "Note: swaks --tls and check_smtp -S do not verify the certificate; smtpdoctor verifies it"
echo "against --ca-file. Spec §7: smtpdoctor must beat swaks and be no slower than check_smtp."
