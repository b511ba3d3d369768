# Sourced by the benchmarks: starts the lab Postfix (tests/lab/postfix.sh) in "$1" on a random
# high port and sets `port`. postfix.sh exits 75 when the port is taken; then another is tried.
start_lab_postfix() {
    local dir=$1 candidate rc
    port=
    for _ in 1 2 3 4 5; do
        candidate=$((20000 + RANDOM % 40000))
        rc=0
        bash "$repo/tests/lab/postfix.sh" start "$dir" "$candidate" >/dev/null || rc=$?
        if ((rc == 0)); then
            port=$candidate
            return 0
        fi
        ((rc == 75)) || exit "$rc"
    done
    echo "no free port found for Postfix" >&2
    exit 1
}
