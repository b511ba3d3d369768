#!/usr/bin/env bash
# Private DNS server (dnsmasq) for smtpdoctor's integration tests.
#
#   dnsmasq.sh start DIR PORT ZONE.conf   serve the records of ZONE.conf on 127.0.0.1:PORT (UDP and TCP)
#   dnsmasq.sh stop DIR                   stop the server of DIR (and only that one), wait until it is gone
#   dnsmasq.sh watch DIR                  wait until standard input reaches end of file, then stop the
#                                         server of DIR and delete DIR (watchdog, as in postfix.sh)
#
# ZONE.conf holds dnsmasq options describing the zone, e.g.
#   local=/lab.test/                      names under lab.test not listed below are NXDOMAIN
#   mx-host=lab.test,mx1.lab.test,10      MX record
#   host-record=mx1.lab.test,127.0.0.1    A record (and the matching PTR)
#   dns-rr=nullmx.lab.test,15,000000      raw record: null MX (RFC 7505)
#   txt-record=ghost.lab.test,"x"         makes a name exist without an address
#   ptr-record=1.0.0.127.in-addr.arpa,mx1.lab.test
# tests/common/lab.rs writes these files; Zone::lab() there is the standard lab zone.
#
# Nothing else is served: no upstream servers, no /etc/hosts, no /etc/dnsmasq.conf, no DHCP.
# Files under DIR: zone.conf (copy), dnsmasq.pid, dnsmasq.log (every query), dnsmasq.err,
# .smtpdoctor-lab (marker: watch deletes only such DIRs).
#
# Exit codes: 0 ok, 1 failure, 2 usage, 69 dnsmasq missing, 75 PORT already in use (the caller
# may retry with another port).
set -euo pipefail

export PATH="/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

readonly EX_USAGE=2 EX_UNAVAILABLE=69 EX_TEMPFAIL=75
readonly START_TIMEOUT=10 STOP_TIMEOUT=10

log() { printf 'dnsmasq.sh: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    log "error: $*"
    exit "$code"
}
usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "$EX_USAGE"
}

# True when PID is a live process (a zombie counts as gone).
alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# Print the pid of the running dnsmasq of DIR, or fail. The pid must be a dnsmasq whose
# command line names this DIR's pid file, so a recycled pid is never signalled.
server_pid() {
    local dir=$1 pid
    [[ -f $dir/dnsmasq.pid ]] || return 1
    pid=$(tr -dc '0-9' <"$dir/dnsmasq.pid")
    [[ -n $pid ]] || return 1
    alive "$pid" || return 1
    grep -qzFx -- "--pid-file=$dir/dnsmasq.pid" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

stop_server() {
    local dir=$1 pid i
    pid=$(server_pid "$dir") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    log "dnsmasq $pid did not exit after ${STOP_TIMEOUT}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

cmd_start() {
    local dir port zone pid i
    [[ $# -eq 3 ]] || usage
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
        die "$EX_USAGE" "bad port: $2"
    fi
    [[ -r $3 ]] || die "$EX_USAGE" "cannot read zone file $3"
    [[ $1 != *[[:space:]]* ]] || die "$EX_USAGE" "DIR must not contain whitespace: $1"
    command -v dnsmasq >/dev/null 2>&1 ||
        die "$EX_UNAVAILABLE" "dnsmasq not found; install the Debian package: apt-get install dnsmasq-base"
    mkdir -p -- "$1"
    dir=$(cd -- "$1" && pwd -P)
    port=$2
    zone=$3

    # A server left running in DIR by a crashed run: stop it, then start afresh.
    stop_server "$dir"
    if [[ $(realpath -- "$zone") != "$dir/zone.conf" ]]; then
        cp -- "$zone" "$dir/zone.conf"
    fi
    rm -f -- "$dir/dnsmasq.pid" "$dir/dnsmasq.log" "$dir/dnsmasq.err"
    # dnsmasq drops privileges to nobody after start-up: let it reach DIR.
    chmod 755 "$dir"
    : >"$dir/.smtpdoctor-lab"

    # In the foreground of its own session, detached from our stdio, so the caller's pipes
    # close when this script exits. --conf-file also keeps /etc/dnsmasq.conf out.
    setsid dnsmasq \
        --conf-file="$dir/zone.conf" \
        --keep-in-foreground \
        --pid-file="$dir/dnsmasq.pid" \
        --port="$port" \
        --listen-address=127.0.0.1 \
        --bind-interfaces \
        --no-resolv \
        --no-hosts \
        --no-poll \
        --user=nobody \
        --group=nogroup \
        --log-facility="$dir/dnsmasq.log" \
        --log-queries \
        </dev/null >"$dir/dnsmasq.err" 2>&1 &
    pid=$!

    # Ready when the TCP listener accepts (UDP and TCP sockets are bound together, before
    # dnsmasq starts answering).
    for ((i = 0; i < START_TIMEOUT * 20; i++)); do
        if ! alive "$pid"; then
            wait "$pid" || true
            cat "$dir/dnsmasq.err" >&2
            if grep -q 'Address already in use' "$dir/dnsmasq.err"; then
                log "127.0.0.1:$port is already in use"
                exit "$EX_TEMPFAIL"
            fi
            die 1 "dnsmasq exited during start-up"
        fi
        if [[ -s $dir/dnsmasq.pid ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            log "ready on 127.0.0.1:$port (pid $pid)"
            return 0
        fi
        sleep 0.05
    done
    cat "$dir/dnsmasq.err" >&2
    kill -TERM "$pid" 2>/dev/null || true
    die 1 "dnsmasq did not answer on 127.0.0.1:$port within ${START_TIMEOUT}s"
}

cmd_stop() {
    [[ $# -eq 1 ]] || usage
    [[ -d $1 ]] || return 0
    stop_server "$(cd -- "$1" && pwd -P)"
}

cmd_watch() {
    local dir
    [[ $# -eq 1 ]] || usage
    trap '' HUP INT
    while IFS= read -r _; do :; done
    [[ -d $1 ]] || return 0
    dir=$(cd -- "$1" && pwd -P)
    stop_server "$dir"
    if [[ -f $dir/.smtpdoctor-lab ]]; then
        rm -rf -- "$dir"
    fi
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
watch) cmd_watch "$@" ;;
*) usage ;;
esac
