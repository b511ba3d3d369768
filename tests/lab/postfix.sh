#!/usr/bin/env bash
# Private Postfix instance for smtpdoctor's integration tests and benchmarks.
#
#   postfix.sh start DIR PORT   set up and start an instance that lives entirely under DIR
#                               and listens on 127.0.0.1:PORT only
#   postfix.sh stop DIR         stop the instance of DIR (and only that one), wait until it is gone
#   postfix.sh status DIR       exit 0 when the instance of DIR is running
#   postfix.sh watch DIR        wait until standard input reaches end of file, then stop the
#                               instance of DIR and delete DIR: a watchdog that cleans up after
#                               an owner that never stops the instance (killed, or kept in a
#                               static) -- the owner holds the pipe, its exit closes it
#
# Layout under DIR (everything the instance reads or writes):
#   etc/main.cf etc/master.cf   configuration (config_directory)
#   etc/recipients              texthash table of the accepted local recipients
#   queue/                      queue_directory (pid/master.pid holds the master's pid)
#   data/                       data_directory (master.lock, TLS PRNG state)
#   mail/USER                   delivered mail, one mbox file per recipient
#   maillog                     the instance's log (maillog_file)
#   cert.pem key.pem            self-signed certificate for mx1.lab.test (STARTTLS)
#   port                        the port the instance was started on
#   .smtpdoctor-lab             marker: DIR was set up by this script (watch deletes only such DIRs)
#
# The instance: myhostname mx1.lab.test, local domains lab.test, mx1.lab.test and localhost,
# local recipients postmaster@lab.test and alice@lab.test (other local users: 550), no relaying
# (554 Relay access denied) and no outbound mail at all (every non-local transport is error:).
#
# Exit codes: 0 ok, 1 failure, 2 usage, 69 required package missing, 75 PORT already in use
# (the caller may retry with another port).
set -euo pipefail

# Postfix's tools live in /usr/sbin, which a non-login PATH may lack.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
# A MAIL_CONFIG from the caller's environment would point postfix(1) at another instance.
unset MAIL_CONFIG

readonly EX_USAGE=2 EX_UNAVAILABLE=69 EX_TEMPFAIL=75
readonly START_TIMEOUT=20   # seconds until the 220 greeting must be readable
readonly STOP_TIMEOUT=15    # seconds until the master must have exited after SIGTERM

# Lab identity; tests/common/lab.rs documents the same values.
readonly LAB_HOSTNAME=mx1.lab.test
readonly LAB_DOMAIN=lab.test
readonly LAB_RECIPIENTS=(postmaster alice)
# Delivered mail is written as nobody:nogroup (numeric ids are stable on Debian).
readonly MAILBOX_UID=65534 MAILBOX_GID=65534

log() { printf 'postfix.sh: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    log "error: $*"
    exit "$code"
}
usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit "$EX_USAGE"
}

# Master must run as root. Without root, retry through sudo when it needs no password.
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        exec sudo -n -- bash "$0" "$@"
    fi
    die 1 "Postfix's master must run as root: run this as root or with password-less sudo"
fi

# --- helpers -----------------------------------------------------------------------------

# Absolute, symlink-free path of DIR (created when missing); Postfix wants absolute paths.
abs_dir() {
    mkdir -p -- "$1"
    (cd -- "$1" && pwd -P)
}

# True when PID is a live process (a zombie counts as gone: it has exited, only its
# parent has not collected it yet, which here can be a slow-reaping PID 1).
alive() {
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# True when PID runs with MAIL_CONFIG=CONFIG_DIR, i.e. belongs to the instance of that DIR
# (postfix(1) exports MAIL_CONFIG and the master passes it on to every daemon).
belongs_to() {
    grep -qzFx "MAIL_CONFIG=$2" "/proc/$1/environ" 2>/dev/null
}

# Print the pid of the running master of DIR, or fail.
master_pid() {
    local dir=$1 pid
    [[ -f $dir/queue/pid/master.pid ]] || return 1
    pid=$(tr -dc '0-9' <"$dir/queue/pid/master.pid")
    [[ -n $pid ]] && alive "$pid" && belongs_to "$pid" "$dir/etc" || return 1
    echo "$pid"
}

# Pids of every live process of the instance of DIR (master and its children).
instance_pids() {
    local file pid
    # One grep over all environments; unreadable ones (kernel threads, vanished) are skipped.
    grep -lzFx "MAIL_CONFIG=$1/etc" /proc/[0-9]*/environ 2>/dev/null |
        while IFS= read -r file; do
            pid=${file#/proc/}
            pid=${pid%/environ}
            if alive "$pid"; then echo "$pid"; fi
        done || true
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Read the greeting on 127.0.0.1:PORT; print it and succeed when it is a 220 reply.
greeting() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 5 line <&3 || exit 1
        printf 'QUIT\r\n' >&3 || true
        line=${line%$'\r'}
        printf '%s\n' "$line"
        [[ $line == 220[\ -]* ]]
    ) 2>/dev/null
}

maillog_tail() {
    local dir=$1
    if [[ -s $dir/maillog ]]; then
        log "last lines of $dir/maillog:"
        tail -n 25 "$dir/maillog" >&2
    else
        log "$dir/maillog is empty or missing"
    fi
}

# Stop the instance of DIR: SIGTERM to the master, wait for it and its children, and
# SIGKILL whatever is left after STOP_TIMEOUT. Processes of other instances are never touched.
stop_instance() {
    local dir=$1 pid i left
    if pid=$(master_pid "$dir"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            log "master $pid did not exit after ${STOP_TIMEOUT}s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # The master's children notice its exit and leave on their own; give them a moment.
    for ((i = 0; i < 50; i++)); do
        left=$(instance_pids "$dir")
        [[ -n $left ]] || return 0
        sleep 0.1
    done
    log "killing leftover processes of $dir: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
}

require_packages() {
    local missing=()
    command -v postfix >/dev/null 2>&1 || missing+=(postfix)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    if ((${#missing[@]})); then
        die "$EX_UNAVAILABLE" "missing commands: ${missing[*]}; install the Debian packages: apt-get install postfix openssl"
    fi
    getent passwd postfix >/dev/null || die "$EX_UNAVAILABLE" "user 'postfix' missing: (re)install the Debian package postfix"
    getent group postdrop >/dev/null || die "$EX_UNAVAILABLE" "group 'postdrop' missing: (re)install the Debian package postfix"
}

# Postfix's unprivileged daemons (user postfix) and the delivery agent (nobody) must be
# able to walk down to DIR: every parent directory needs search permission for others.
check_traversable() {
    local p=$1
    while [[ $p != / ]]; do
        p=$(dirname -- "$p")
        [[ $(stat -c %A -- "$p") == *x ]] || [[ $(stat -c %A -- "$p") == *t ]] ||
            die 1 "$p is not searchable by other users (mode $(stat -c %a -- "$p")); Postfix's daemons could not reach the instance directory"
    done
}

# --- configuration writers -------------------------------------------------------------

write_main_cf() {
    local dir=$1
    cat >"$dir/etc/main.cf" <<EOF
# Private lab instance written by tests/lab/postfix.sh; rewritten on every start.
compatibility_level = 3.6

# Every file of the instance lives under $dir.
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
mail_owner = postfix
setgid_group = postdrop

# Identity.
myhostname = $LAB_HOSTNAME
mydomain = $LAB_DOMAIN
myorigin = \$mydomain
mydestination = $LAB_DOMAIN, $LAB_HOSTNAME, localhost
smtpd_banner = \$myhostname ESMTP Postfix (lab)

# Loopback only; no DNS lookups for clients.
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no

# No inflow throttling: probes that quit after RCPT create queue files that are never
# delivered, so qmgr hands out no flow-control tokens and every further MAIL FROM would be
# held for in_flow_delay (1 s) -- deterministic latency matters more here.
in_flow_delay = 0

# Recipients: known local users only (550 for others), never relay (554 for foreign domains),
# even from loopback clients.
local_recipient_maps = texthash:$dir/etc/recipients
unknown_local_recipient_reject_code = 550
smtpd_relay_restrictions = reject_unauth_destination
alias_maps =
alias_database =

# Delivery: local mail goes to mbox files under $dir/mail; nothing ever leaves the machine.
local_transport = virtual
virtual_mailbox_domains =
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = texthash:$dir/etc/recipients
virtual_uid_maps = static:$MAILBOX_UID
virtual_gid_maps = static:$MAILBOX_GID
default_transport = error:lab: no outbound mail
relay_transport = error:lab: no outbound mail
relayhost =

# STARTTLS with the self-signed certificate of $LAB_HOSTNAME.
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/cert.pem
smtpd_tls_key_file = $dir/key.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtp_tls_security_level = none

# Hardening against SMTP smuggling and unsynchronised clients (Postfix 3.7.10+ backports),
# also for loopback clients, which the default exclusions (mynetworks) would let through.
smtpd_forbid_bare_newline = yes
smtpd_forbid_bare_newline_exclusions =
smtpd_forbid_unauth_pipelining = yes

# Room for the 10 MB DATA tests (the default limit is 10240000 bytes).
message_size_limit = 52428800
virtual_mailbox_limit = 0

# Quiet defaults that would otherwise point outside $dir.
biff = no
append_dot_mydomain = no
readme_directory = no
html_directory = no
EOF
}

write_master_cf() {
    local dir=$1 port=$2
    cat >"$dir/etc/master.cf" <<EOF
# Private lab instance written by tests/lab/postfix.sh; rewritten on every start.
# Nothing is chrooted. Only smtpd listens on the network, on 127.0.0.1:$port.
# service       type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port inet  n       -       n       -       -       smtpd
cleanup         unix  n       -       n       -       0       cleanup
qmgr            unix  n       -       n       300     1       qmgr
tlsmgr          unix  -       -       n       1000?   1       tlsmgr
rewrite         unix  -       -       n       -       -       trivial-rewrite
bounce          unix  -       -       n       -       0       bounce
defer           unix  -       -       n       -       0       bounce
trace           unix  -       -       n       -       0       bounce
flush           unix  n       -       n       1000?   0       flush
showq           unix  n       -       n       -       -       showq
error           unix  -       -       n       -       -       error
retry           unix  -       -       n       -       -       error
discard         unix  -       -       n       -       -       discard
virtual         unix  -       n       n       -       -       virtual
anvil           unix  -       -       n       -       1       anvil
postlog         unix-dgram n  -       n       -       1       postlogd
EOF
}

write_recipients() {
    local dir=$1 user
    {
        echo "# address  mailbox file under $dir/mail"
        for user in "${LAB_RECIPIENTS[@]}"; do
            echo "$user@$LAB_DOMAIN $user"
        done
    } >"$dir/etc/recipients"
}

# Self-signed leaf certificate for mx1.lab.test. CA:FALSE so that TLS clients which refuse
# a CA certificate as end entity (webpki) accept it when it is given as the trust anchor.
write_certificate() {
    local dir=$1
    cat >"$dir/etc/openssl.cnf" <<EOF
[req]
prompt = no
distinguished_name = dn
x509_extensions = leaf
[dn]
CN = $LAB_HOSTNAME
O = smtpdoctor lab
[leaf]
subjectAltName = DNS:$LAB_HOSTNAME
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
EOF
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
        -config "$dir/etc/openssl.cnf" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.log" ||
        {
            cat "$dir/openssl.log" >&2
            die 1 "openssl could not create the certificate"
        }
    chmod 600 "$dir/key.pem"
    chmod 644 "$dir/cert.pem"
}

# --- commands ----------------------------------------------------------------------------

cmd_start() {
    local dir port t0 line i
    [[ $# -eq 2 ]] || usage
    if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 65535)); then
        die "$EX_USAGE" "bad port: $2"
    fi
    [[ $1 != *[[:space:]]* ]] || die "$EX_USAGE" "DIR must not contain whitespace: $1"
    require_packages
    dir=$(abs_dir "$1")
    port=$2
    [[ $dir != / ]] || die "$EX_USAGE" "refusing to use / as DIR"
    t0=$(date +%s%N)

    # A stale instance from a crashed run in the same DIR: stop it, then start afresh.
    if master_pid "$dir" >/dev/null; then
        log "stopping the instance left running in $dir"
    fi
    stop_instance "$dir"
    rm -rf -- "${dir:?}/etc" "$dir/queue" "$dir/data" "$dir/mail" \
        "$dir/maillog" "$dir/cert.pem" "$dir/key.pem" "$dir/port" "$dir/start.log" "$dir/openssl.log"

    # Someone else on the port: let the caller pick another one.
    if port_open "$port"; then
        log "127.0.0.1:$port is already in use"
        exit "$EX_TEMPFAIL"
    fi

    # Directories with the ownership Postfix insists on: root owns DIR, etc and queue;
    # the mail owner owns data; the delivery user owns the mailboxes.
    check_traversable "$dir"
    chmod 755 "$dir"
    mkdir -m 755 "$dir/etc" "$dir/queue"
    mkdir -m 700 "$dir/data" "$dir/mail"
    chown postfix: "$dir/data"
    chown "$MAILBOX_UID:$MAILBOX_GID" "$dir/mail"
    : >"$dir/maillog"
    : >"$dir/.smtpdoctor-lab"

    write_main_cf "$dir"
    write_master_cf "$dir" "$port"
    write_recipients "$dir"
    write_certificate "$dir"
    # Postfix waits until a table's mtime is in the past before it trusts the file (it
    # might still be being written); backdate the fresh files instead of waiting ~1.5 s.
    touch -d '-1 minute' "$dir"/etc/*

    # postfix(1) creates the queue subdirectories, checks the setup and starts master -w,
    # which returns once the master is initialised (or has failed). Messages go to the
    # maillog (postfix(1) writes to stderr only when stderr is a terminal).
    if ! postfix -c "$dir/etc" start </dev/null >"$dir/start.log" 2>&1; then
        cat "$dir/start.log" >&2
        if grep -q 'Address already in use' "$dir/maillog"; then
            log "127.0.0.1:$port is already in use"
            stop_instance "$dir"
            exit "$EX_TEMPFAIL"
        fi
        maillog_tail "$dir"
        stop_instance "$dir"
        die 1 "postfix did not start in $dir"
    fi

    # Ready means: a client gets a 220 greeting.
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        if line=$(greeting "$port"); then
            echo "$port" >"$dir/port"
            log "ready on 127.0.0.1:$port after $((($(date +%s%N) - t0) / 1000000)) ms: $line"
            return 0
        fi
        master_pid "$dir" >/dev/null || break
        sleep 0.1
    done
    maillog_tail "$dir"
    stop_instance "$dir"
    die 1 "no 220 greeting on 127.0.0.1:$port within ${START_TIMEOUT}s"
}

cmd_stop() {
    local dir
    [[ $# -eq 1 ]] || usage
    [[ -d $1 ]] || {
        log "no directory $1: nothing to stop"
        return 0
    }
    dir=$(cd -- "$1" && pwd -P)
    stop_instance "$dir"
}

cmd_status() {
    local dir pid
    [[ $# -eq 1 && -d $1 ]] || usage
    dir=$(cd -- "$1" && pwd -P)
    if pid=$(master_pid "$dir"); then
        echo "running: master pid $pid, port $(cat "$dir/port" 2>/dev/null || echo '?')"
    else
        echo "not running"
        return 1
    fi
}

cmd_watch() {
    local dir
    [[ $# -eq 1 ]] || usage
    # Outlive a terminal's signals to the owner's process group; the owner's end of our
    # standard input closes when it exits, however it exits.
    trap '' HUP INT
    while IFS= read -r _; do :; done
    [[ -d $1 ]] || return 0
    dir=$(cd -- "$1" && pwd -P)
    stop_instance "$dir"
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
status) cmd_status "$@" ;;
watch) cmd_watch "$@" ;;
*) usage ;;
esac
