#!/usr/bin/env bash
# Benchmark: what the delivery security policy (SPEC §9) costs a probe. Wall time of a probe to
# RCPT of a DNSSEC-signed domain whose MX publishes DANE (TLSA 3 1 1) and MTA-STS (enforce,
# policy over HTTPS) and TLS-RPT, against the plain probe of the same server and the same DNS
# (--dane off --mta-sts off), in one run. Goal: under 1.3x on loopback (the TXT, TLSA and HTTPS
# lookups run beside the SMTP dialogue).
#
#   bench/policy-overhead.sh [N]      N runs of each case, interleaved (default 15, or $N)
#
# Everything runs in a network namespace of its own (unshare -n), so that NSD answers on port
# 53 and nginx on port 443 of its loopback: the zone lab.test, signed with ldns-signzone at
# start, served by NSD; the lab Postfix (tests/lab/postfix.sh) as mx1.lab.test; the policy on
# https://mta-sts.lab.test/ from nginx with a certificate from a CA made here with openssl.
# Needs root, and the Debian packages postfix, nsd, ldnsutils, nginx-light, openssl,
# util-linux, iproute2, plus cargo.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${N:-15}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
    echo "usage: $0 [N]" >&2
    exit 2
}
say() { printf '== %s\n' "$*" >&2; }

if [[ -z ${SMTPDOCTOR_BENCH_NETNS:-} ]]; then
    source "$repo/bench/build.sh"
    build_smtpdoctor
    exec unshare -n env SMTPDOCTOR_BENCH_NETNS=1 SMTPDOCTOR_BIN="$smtpdoctor" \
        bash "$0" "$runs"
fi

smtpdoctor=$SMTPDOCTOR_BIN
ip link set lo up
work=$(mktemp -d -t smtpdoctor-bench-policy.XXXXXX)
chmod 755 "$work"
pfdir=$work/postfix
nsd_pid= nginx_pid=
cleanup() {
    [[ -z $nsd_pid ]] || kill "$nsd_pid" 2>/dev/null || true
    [[ -z $nginx_pid ]] || kill "$nginx_pid" 2>/dev/null || true
    bash "$repo/tests/lab/postfix.sh" stop "$pfdir" >/dev/null 2>&1 || true
    rm -rf -- "$work"
}
trap cleanup EXIT

# --- the lab Postfix (self-signed certificate for mx1.lab.test) ------------------------------
source "$repo/bench/lab.sh"
start_lab_postfix "$pfdir"
spki=$(openssl x509 -in "$pfdir/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1)

# --- a CA and the policy host's certificate --------------------------------------------------
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Bench CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
# An ECDSA key for the policy host, as ACME clients issue by default today.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mta-sts.lab.test" \
    -keyout web.key -out web.csr 2>/dev/null
printf 'subjectAltName=DNS:mta-sts.lab.test\n' >web.ext
openssl x509 -req -in web.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile web.ext -out web.pem 2>/dev/null
# --ca-file: the CA of the policy host, and the Postfix certificate as its own anchor.
cat ca.pem "$pfdir/cert.pem" >trust.pem

# --- the signed zone ---------------------------------------------------------------------------
key=$(ldns-keygen -a ECDSAP256SHA256 -k lab.test.)
cat >lab.zone <<EOF
\$ORIGIN lab.test.
\$TTL 300
@ IN SOA ns.lab.test. admin.lab.test. 1 3600 600 86400 300
@ IN NS ns.lab.test.
@ IN MX 10 mx1.lab.test.
ns IN A 127.0.0.1
mx1 IN A 127.0.0.1
_$port._tcp.mx1 IN TLSA 3 1 1 $spki
_mta-sts IN TXT "v=STSv1; id=20261201T000000;"
mta-sts IN A 127.0.0.1
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@lab.test"
EOF
ldns-signzone lab.zone "$key"
cp "$key.key" anchor.key
cat >nsd.conf <<EOF
server:
  ip-address: 127.0.0.1
  port: 53
  zonesdir: $work
  pidfile: $work/nsd.pid
  database: ""
  xfrdfile: $work/xfrd.state
  zonelistfile: $work/zone.list
  username: ""
  chroot: ""
  logfile: $work/nsd.log
remote-control:
  control-enable: no
zone:
  name: lab.test.
  zonefile: lab.zone.signed
EOF
nsd -d -c nsd.conf >/dev/null 2>&1 &
nsd_pid=$!

# --- the policy over HTTPS -------------------------------------------------------------------
mkdir -p www/.well-known
printf 'version: STSv1\nmode: enforce\nmx: mx1.lab.test\nmax_age: 604800\n' >www/.well-known/mta-sts.txt
cat >nginx.conf <<EOF
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp-body;
  proxy_temp_path $work/tmp-proxy;
  fastcgi_temp_path $work/tmp-fcgi;
  uwsgi_temp_path $work/tmp-uwsgi;
  scgi_temp_path $work/tmp-scgi;
  server {
    listen 127.0.0.1:443 ssl;
    server_name mta-sts.lab.test;
    ssl_certificate $work/web.pem;
    ssl_certificate_key $work/web.key;
    # nginx 1.22 (Debian 12) offers TLS 1.2 only by default; 1.23.4 and later add TLS 1.3, as
    # policy hosts behind current servers and CDNs answer.
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
    default_type text/plain;
  }
}
EOF
nginx -p "$work" -c "$work/nginx.conf" >/dev/null 2>&1 &
nginx_pid=$!
for _ in $(seq 200); do
    grep -q 'nsd started' nsd.log 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/443) 2>/dev/null && break
    sleep 0.05
done

common=(probe lab.test --resolver 127.0.0.1 --port "$port" -4 --to postmaster@lab.test
    --trust-anchor "$work/anchor.key" --ca-file "$work/trust.pem" --quit-after rcpt)
# The policy probe must see what it is measured for: DANE and MTA-STS valid.
"$smtpdoctor" "${common[@]}" --json >check.json || true
for id in dane-valid mtasts-valid; do
    grep -q "\"id\":\"$id\"" check.json || {
        echo "the policy probe did not find $id; the set-up is broken:" >&2
        cat check.json >&2
        exit 1
    }
done

ms() { date +%s%N; }
declare -a plain policy
say "$runs runs of each case, interleaved"
for _ in $(seq "$runs"); do
    t0=$(ms)
    "$smtpdoctor" "${common[@]}" --dane off --mta-sts off -q >/dev/null || true
    t1=$(ms)
    "$smtpdoctor" "${common[@]}" -q >/dev/null || true
    t2=$(ms)
    plain+=($(((t1 - t0) / 1000)))
    policy+=($(((t2 - t1) / 1000)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mp=$(median "${plain[@]}")
mq=$(median "${policy[@]}")
printf '%-44s %12s\n' case "median ms"
printf '%-44s %12s\n' "plain probe (--dane off --mta-sts off)" "$(awk -v u="$mp" 'BEGIN { printf "%.1f", u / 1000 }')"
printf '%-44s %12s\n' "probe with DNSSEC, DANE, MTA-STS, TLS-RPT" "$(awk -v u="$mq" 'BEGIN { printf "%.1f", u / 1000 }')"
ratio=$(awk -v a="$mq" -v b="$mp" 'BEGIN { printf "%.2f", a / b }')
printf 'ratio %sx (goal: under 1.3x)\n' "$ratio"
