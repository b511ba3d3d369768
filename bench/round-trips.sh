#!/usr/bin/env bash
# Benchmark: a probe to RCPT counted in round trips, against the lab Postfix behind 50 ms of
# added round-trip delay, smtpdoctor beside swaks, check_smtp and posttls-finger in one run.
#
#   bench/round-trips.sh [N]       N runs of every case (default 5, or $N)
#
# The kernels here have no netem qdisc, so the delay comes from bench/delay-relay.py: a TCP
# relay on loopback that forwards every chunk unchanged 25 ms after it read it, in each
# direction. Its TCP handshake with the client is local (not delayed), so through the relay a
# session costs: the greeting 0.5 RTT after connect, then one RTT per exchange the client
# waits for. The protocol's minimum to RCPT, with PIPELINING advertised (RFC 2920: MAIL, RCPT,
# RSET and QUIT in one group), is therefore
#   plain     greeting 0.5 + EHLO 1 + the group 1                                  = 2.5 RTT
#   STARTTLS  greeting 0.5 + EHLO 1 + STARTTLS 1 + TLS 1.3 1 + EHLO 1 + group 1    = 5.5 RTT
# Each case prints its median wall time and that time in round trips (wall / RTT).
# posttls-finger stops after the second EHLO (it sends no MAIL or RCPT): its count is for a
# shorter exchange and is shown for reference.
#
# Needs root (or password-less sudo) for Postfix, plus postfix, swaks,
# monitoring-plugins-standard, python3 and cargo.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${N:-5}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [N]" >&2
    exit 2
}
delay=0.025
rtt_ms=50
check_smtp=/usr/lib/nagios/plugins/check_smtp
posttls_finger=/usr/sbin/posttls-finger
from=bench@lab.test
rcpt=postmaster@lab.test
say() { printf '== %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}
# swaks --tls needs Net::SSLeay and IO::Socket::SSL; install them when missing.
if ! perl -MNet::SSLeay -MIO::Socket::SSL -e 1 2>/dev/null; then
    say "installing libnet-ssleay-perl and libio-socket-ssl-perl (for swaks --tls)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libnet-ssleay-perl libio-socket-ssl-perl
fi

work=$(mktemp -d -t smtpdoctor-bench-rtt.XXXXXX)
chmod 755 "$work"
pfdir=$work/postfix
relay_pid=
cleanup() {
    [[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true
    bash "$repo/tests/lab/postfix.sh" stop "$pfdir" || true
    rm -rf -- "$work"
}
trap cleanup EXIT

# --- the lab Postfix, and the delaying relay in front of it --------------------------------
source "$repo/bench/lab.sh"
start_lab_postfix "$pfdir"
cert=$pfdir/cert.pem
relay_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
coproc RELAY { exec python3 "$repo/bench/delay-relay.py" "$relay_port" "$port" "$delay"; }
relay_pid=$RELAY_PID
read -r ready <&"${RELAY[0]}"
[[ $ready == ready ]] || {
    echo "the delaying relay did not start" >&2
    exit 1
}

# --- smtpdoctor ----------------------------------------------------------------------------
source "$repo/bench/build.sh"
build_smtpdoctor

cases=(
    "plain smtpdoctor"
    "plain smtpdoctor --no-pipelining"
    "plain swaks"
    "plain check_smtp"
    "plain posttls-finger"
    "tls smtpdoctor"
    "tls smtpdoctor --no-pipelining"
    "tls swaks"
    "tls check_smtp"
    "tls posttls-finger"
)

case_command() {
    local server=127.0.0.1:$relay_port
    case $1 in
    "plain smtpdoctor"*)
        printf '%s\n' "$smtpdoctor" probe lab.test --server "$server" --from "$from" --to "$rcpt" \
            --starttls never --format json
        [[ $1 != *--no-pipelining ]] || echo --no-pipelining
        ;;
    "tls smtpdoctor"*)
        printf '%s\n' "$smtpdoctor" probe lab.test --server "$server" --from "$from" --to "$rcpt" \
            --starttls require --ca-file "$cert" --sni mx1.lab.test --format json
        [[ $1 != *--no-pipelining ]] || echo --no-pipelining
        ;;
    "plain swaks")
        printf '%s\n' swaks --server 127.0.0.1 --port "$relay_port" --from "$from" --to "$rcpt" \
            --quit-after RCPT
        ;;
    "tls swaks")
        printf '%s\n' swaks --server 127.0.0.1 --port "$relay_port" --from "$from" --to "$rcpt" \
            --quit-after RCPT --tls
        ;;
    "plain check_smtp")
        printf '%s\n' "$check_smtp" -H 127.0.0.1 -p "$relay_port" -f "$from" -C "RCPT TO:<$rcpt>" -R 250
        ;;
    "tls check_smtp")
        printf '%s\n' "$check_smtp" -H 127.0.0.1 -p "$relay_port" -S -f "$from" -C "RCPT TO:<$rcpt>" -R 250
        ;;
    "plain posttls-finger")
        printf '%s\n' "$posttls_finger" -c -l none "[127.0.0.1]:$relay_port"
        ;;
    "tls posttls-finger")
        printf '%s\n' "$posttls_finger" -c -l may -F "$cert" "[127.0.0.1]:$relay_port"
        ;;
    esac
}

minimum() {
    case $1 in
    plain*posttls-finger) echo "1.5 (greeting, EHLO)" ;;
    tls*posttls-finger) echo "4.5 (to the second EHLO)" ;;
    plain*) echo 2.5 ;;
    tls*) echo 5.5 ;;
    esac
}

run_ms() {
    local cmd t0 t1 status=0
    mapfile -t cmd < <(case_command "$1")
    t0=$EPOCHREALTIME
    "${cmd[@]}" >"$work/out" 2>&1 </dev/null || status=$?
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
    return "$status"
}

declare -A results=() failed=()
for name in "${cases[@]}"; do
    status=0
    run_ms "$name" >/dev/null || status=$?
    # smtpdoctor exits 1 for the lab's warnings; the peers must exit 0.
    if { [[ $name == *smtpdoctor* ]] && ((status > 1)); } || { [[ $name != *smtpdoctor* ]] && ((status != 0)); }; then
        failed[$name]="exit $status: $(head -c 200 "$work/out" | tr '\n' ' ')"
    fi
done
say "$runs runs of each case through the relay (RTT $rtt_ms ms) to Postfix on 127.0.0.1:$port"
for ((i = 0; i < runs; i++)); do
    for name in "${cases[@]}"; do
        [[ -z ${failed[$name]:-} ]] || continue
        results[$name]+="$(run_ms "$name" || true) "
    done
done

echo
echo "probe to RCPT in round trips: $runs runs per case, RTT $rtt_ms ms added by a relay"
printf '%-34s %10s %12s %s\n' case "median ms" "round trips" "protocol minimum"
for name in "${cases[@]}"; do
    if [[ -n ${failed[$name]:-} ]]; then
        printf '%-34s %s\n' "$name" "not measured: ${failed[$name]}"
        continue
    fi
    med=$(tr ' ' '\n' <<<"${results[$name]}" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '%-34s %10s %12s %s\n' "$name" "$med" \
        "$(awk -v m="$med" -v r="$rtt_ms" 'BEGIN { printf "%.2f", m / r }')" "$(minimum "$name")"
done
