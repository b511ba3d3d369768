#!/usr/bin/env bash
# DATA streaming benchmark: smtpdoctor --size N against Postfix's smtp-source sending the same
# size, both into one smtp-sink on a free loopback port. Prints wall time, peak RSS and ratios.
#
#   bash bench/data-vs-smtp-source.sh            # 10M and 1G, 3 runs each
#   SIZES="10M" RUNS=5 bash bench/data-vs-smtp-source.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10M 1G"}
RUNS=${RUNS:-3}
for tool in smtp-sink smtp-source python3 bc; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install postfix python3)" >&2; exit 3; }
done
repo=$PWD
source bench/build.sh
build_smtpdoctor
BIN=$smtpdoctor

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sink_user=$(id -un)
[ "$sink_user" = root ] && sink_user=nobody
smtp-sink -u "$sink_user" -c "127.0.0.1:$port" 256 >/dev/null 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1).close()" 2>/dev/null && break
    sleep 0.1
done

# measure CMD...: prints "wall_seconds peak_rss_kib exit_code" of the command. Wall time by
# the clock around the run (the same fork/exec overhead for every tool); peak RSS from GNU
# time (%M), which measures the command itself (a getrusage() from a Python parent would count
# the forked interpreter before exec).
command -v /usr/bin/time >/dev/null || { echo "missing /usr/bin/time (apt-get install time)" >&2; exit 3; }
measure() {
    python3 - "$@" <<'PY'
import os, subprocess, sys, tempfile, time
fd, path = tempfile.mkstemp()
os.close(fd)
t = time.perf_counter()
rc = subprocess.run(["/usr/bin/time", "-o", path, "-f", "%M"] + sys.argv[1:],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t
rss = open(path).read().split()[-1]
os.unlink(path)
print(f"{wall:.4f} {rss} {rc}")
PY
}

bytes_of() {
    python3 -c "import sys; s=sys.argv[1]; m={'K':1<<10,'M':1<<20,'G':1<<30}; print(int(s[:-1])*m[s[-1]] if s[-1] in m else int(s))" "$1"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-6s %-12s %10s %12s %10s\n' size tool "wall s" "peak RSS MiB" "MB/s"
for size in $SIZES; do
    n=$(bytes_of "$size")
    for tool in smtpdoctor smtp-source; do
        walls=(); rss_max=0
        for _ in $(seq "$RUNS"); do
            if [ "$tool" = smtpdoctor ]; then
                read -r wall rss rc < <(measure "$BIN" probe bench.test --server "127.0.0.1:$port" \
                    --from bench@bench.test --to sink@bench.test --size "$size" --json)
                # Exit 0/1 are fine (smtp-sink draws warnings such as missing enhanced codes).
                [ "$rc" -le 1 ] || { echo "smtpdoctor failed (exit $rc)" >&2; exit 1; }
            else
                read -r wall rss rc < <(measure smtp-source -s 1 -m 1 -l "$n" \
                    -f bench@bench.test -t sink@bench.test "127.0.0.1:$port")
                [ "$rc" -eq 0 ] || { echo "smtp-source failed (exit $rc)" >&2; exit 1; }
            fi
            walls+=("$wall")
            [ "$rss" -gt "$rss_max" ] && rss_max=$rss
        done
        med=$(printf '%s\n' "${walls[@]}" | median)
        eval "wall_${tool//-/_}_${size}=$med"
        eval "rss_${tool//-/_}_${size}=$rss_max"
        printf '%-6s %-12s %10.3f %12.1f %10.1f\n' "$size" "$tool" "$med" \
            "$(echo "$rss_max / 1024" | bc -l)" "$(echo "$n / $med / 1000000" | bc -l)"
    done
done
echo
for size in $SIZES; do
    a=$(eval echo "\$wall_smtpdoctor_${size}"); b=$(eval echo "\$wall_smtp_source_${size}")
    printf 'wall-time ratio smtpdoctor/smtp-source at %s: %.2f (below 1 means faster)\n' "$size" "$(echo "$a / $b" | bc -l)"
done
set -- $SIZES
if [ $# -ge 2 ]; then
    first=$(eval echo "\$rss_smtpdoctor_$1"); last=$(eval echo "\${rss_smtpdoctor_${!#}}")
    printf 'smtpdoctor peak RSS: %s KiB at %s, %s KiB at %s (difference %s KiB)\n' \
        "$first" "$1" "$last" "${!#}" "$((last - first))"
fi
